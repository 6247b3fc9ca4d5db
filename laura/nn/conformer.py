"""Conformer audio encoder (LauraGPT paper: 32 blocks, d=512, 16 heads, FFN 1536, ~0.16B).

Input: LFR features (B, T, 560) every 60 ms, so there is no convolutional subsampling: a linear
projection, absolute sinusoidal positions, then macaron Conformer blocks. The paper replaces
BatchNorm in the convolution module by LayerNorm (BatchNorm led to endless-loop decoding, Table 9);
`conv_norm="batch"` keeps BatchNorm (with masked statistics) for that ablation.

Padding is respected everywhere: padded keys are masked in attention, padded frames are zeroed
before the depthwise convolution, masked BatchNorm ignores them, and padded output frames are 0.
So a padded batch gives the same per-utterance outputs as each utterance alone (eval mode).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from laura.nn.masks import make_pad_mask


@dataclass
class ConformerConfig:
    input_dim: int = 560
    d_model: int = 512
    n_blocks: int = 32
    n_heads: int = 16
    ffn_dim: int = 1536
    conv_kernel: int = 15
    dropout: float = 0.1
    attn_dropout: float = 0.0
    # Plain str (not Literal) so OmegaConf structured configs accept it; checked below.
    conv_norm: str = "layer"  # "layer" (paper) | "batch" (Table 9 ablation)
    # Macaron: two half-step FFNs around attention + convolution; False = one full FFN at the end.
    macaron: bool = True
    pos_enc: str = "sinusoidal"  # "sinusoidal" | "none"
    # Recompute block activations in backward (saves memory for the paper size on GPU).
    grad_checkpointing: bool = False

    def __post_init__(self) -> None:
        if self.d_model % self.n_heads != 0:
            raise ValueError(f"d_model={self.d_model} not divisible by n_heads={self.n_heads}")
        if self.conv_kernel % 2 != 1:
            raise ValueError(f"conv_kernel={self.conv_kernel} must be odd for 'same' padding")
        if self.conv_norm not in ("layer", "batch"):
            raise ValueError(f"conv_norm must be 'layer' or 'batch', got {self.conv_norm!r}")
        if self.pos_enc not in ("sinusoidal", "none"):
            raise ValueError(f"pos_enc must be 'sinusoidal' or 'none', got {self.pos_enc!r}")


def sinusoidal_positions(length: int, dim: int, device: torch.device | None = None) -> Tensor:
    """(length, dim) absolute encoding: sin on even, cos on odd channels (Transformer/ESPnet)."""
    pos = torch.arange(length, device=device, dtype=torch.float32).unsqueeze(1)
    inv_freq = torch.exp(
        torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim)
    )
    pe = torch.zeros(length, dim, device=device)
    pe[:, 0::2] = torch.sin(pos * inv_freq)
    pe[:, 1::2] = torch.cos(pos * inv_freq[: dim // 2])
    return pe


class FeedForward(nn.Module):
    def __init__(self, d_model: int, ffn_dim: int, dropout: float) -> None:
        super().__init__()
        self.w1 = nn.Linear(d_model, ffn_dim)
        self.w2 = nn.Linear(ffn_dim, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.w2(self.dropout(F.silu(self.w1(x)))))


class SelfAttention(nn.Module):
    def __init__(self, d_model: int, n_heads: int, dropout: float, attn_dropout: float) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)  # fused: one matmul instead of three
        self.out = nn.Linear(d_model, d_model)
        self.attn_dropout = attn_dropout
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, attn_mask: Tensor | None) -> Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.n_heads, d // self.n_heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_mask, dropout_p=self.attn_dropout if self.training else 0.0
        )
        return self.dropout(self.out(y.transpose(1, 2).reshape(b, t, d)))


class MaskedBatchNorm(nn.Module):
    """BatchNorm over (B, T, C) whose training statistics use only the valid frames.

    Same parameter/buffer names as nn.BatchNorm1d. Deliberately not a `_BatchNorm` subclass so
    `SyncBatchNorm.convert_sync_batchnorm` leaves it alone (it would drop the mask); under DDP the
    statistics are therefore per process.
    """

    def __init__(self, channels: int, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        self.eps = eps
        self.momentum = momentum
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, x: Tensor, pad: Tensor | None) -> Tensor:
        if self.training:
            xf = x.float()
            if pad is None:
                n = torch.tensor(xf.shape[0] * xf.shape[1], device=x.device, dtype=torch.float32)
                mean = xf.mean((0, 1))
                var = (xf - mean).pow(2).mean((0, 1))
            else:
                w = (~pad).unsqueeze(-1).to(xf.dtype)
                n = w.sum().clamp(min=1.0)
                mean = (xf * w).sum((0, 1)) / n
                var = ((xf - mean).pow(2) * w).sum((0, 1)) / n
            with torch.no_grad():
                unbiased = var * n / (n - 1).clamp(min=1.0)
                self.running_mean.lerp_(mean.to(self.running_mean.dtype), self.momentum)
                self.running_var.lerp_(unbiased.to(self.running_var.dtype), self.momentum)
                self.num_batches_tracked += 1
        else:
            mean, var = self.running_mean, self.running_var
        y = (x.float() - mean) * torch.rsqrt(var + self.eps) * self.weight + self.bias
        return y.to(x.dtype)


class ConvModule(nn.Module):
    """Pointwise (d -> 2d) + GLU, depthwise conv, norm, Swish, pointwise (d -> d)."""

    def __init__(self, d_model: int, kernel: int, norm: str, dropout: float) -> None:
        super().__init__()
        # Pointwise convs are Linear layers on (B, T, C): same maths, no transposes.
        self.pw1 = nn.Linear(d_model, 2 * d_model)
        self.dw = nn.Conv1d(d_model, d_model, kernel, padding=kernel // 2, groups=d_model)
        self.norm: nn.Module = (
            nn.LayerNorm(d_model) if norm == "layer" else MaskedBatchNorm(d_model)
        )
        self.pw2 = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, pad: Tensor | None) -> Tensor:
        x = F.glu(self.pw1(x), dim=-1)
        if pad is not None:
            # Zero padding before the depthwise conv: otherwise it leaks into valid frames.
            x = x.masked_fill(pad.unsqueeze(-1), 0.0)
        x = self.dw(x.transpose(1, 2)).transpose(1, 2)
        x = self.norm(x) if isinstance(self.norm, nn.LayerNorm) else self.norm(x, pad)
        return self.dropout(self.pw2(F.silu(x)))


class ConformerBlock(nn.Module):
    """Pre-norm macaron block: x + FFN/2, x + MHSA, x + Conv, x + FFN/2, LayerNorm."""

    def __init__(self, cfg: ConformerConfig) -> None:
        super().__init__()
        d = cfg.d_model
        self.ff_scale = 0.5 if cfg.macaron else 1.0
        if cfg.macaron:
            self.norm_ff_macaron = nn.LayerNorm(d)
            self.ff_macaron = FeedForward(d, cfg.ffn_dim, cfg.dropout)
        self.norm_attn = nn.LayerNorm(d)
        self.attn = SelfAttention(d, cfg.n_heads, cfg.dropout, cfg.attn_dropout)
        self.norm_conv = nn.LayerNorm(d)
        self.conv = ConvModule(d, cfg.conv_kernel, cfg.conv_norm, cfg.dropout)
        self.norm_ff = nn.LayerNorm(d)
        self.ff = FeedForward(d, cfg.ffn_dim, cfg.dropout)
        self.norm_out = nn.LayerNorm(d)

    def forward(self, x: Tensor, pad: Tensor | None, attn_mask: Tensor | None) -> Tensor:
        if hasattr(self, "ff_macaron"):
            x = x + self.ff_scale * self.ff_macaron(self.norm_ff_macaron(x))
        x = x + self.attn(self.norm_attn(x), attn_mask)
        x = x + self.conv(self.norm_conv(x), pad)
        x = x + self.ff_scale * self.ff(self.norm_ff(x))
        return self.norm_out(x)


class ConformerEncoder(nn.Module):
    """(B, T, input_dim) features + lengths -> (B, T, d_model) with padded frames zeroed."""

    def __init__(self, cfg: ConformerConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg = cfg or ConformerConfig()
        self.input_proj = nn.Linear(cfg.input_dim, cfg.d_model)
        self.input_norm = nn.LayerNorm(cfg.d_model)
        self.dropout = nn.Dropout(cfg.dropout)
        # Positions are computed on the fly (no buffer): nothing to initialise on the meta device.
        self.blocks = nn.ModuleList(ConformerBlock(cfg) for _ in range(cfg.n_blocks))
        self.final_norm = nn.LayerNorm(cfg.d_model)

    @property
    def output_dim(self) -> int:
        return self.cfg.d_model

    def forward(self, x: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        b, t, _ = x.shape
        # Masks are always applied (no `pad.any()` shortcut): no device sync, no graph break
        # under torch.compile, and it runs on the meta device.
        pad = make_pad_mask(lengths, t)
        attn_mask = (~pad)[:, None, None, :]  # True = attend
        # Whatever the padding holds (even inf/nan) must not reach the valid frames.
        x = x.masked_fill(pad.unsqueeze(-1), 0.0)

        x = self.dropout(self.input_norm(self.input_proj(x)))
        if self.cfg.pos_enc == "sinusoidal":
            pe = sinusoidal_positions(t, self.cfg.d_model, device=x.device).to(x.dtype)
            # No x * sqrt(d) here: the input is layer-normed already, and scaling it up would
            # bury the blocks' residual updates (CTC training plateaued for hundreds of steps).
            x = x + pe
        x = self.dropout(x)

        for block in self.blocks:
            if self.cfg.grad_checkpointing and self.training and torch.is_grad_enabled():
                x = checkpoint(block, x, pad, attn_mask, use_reentrant=False)
            else:
                x = block(x, pad, attn_mask)
        x = self.final_norm(x)
        return x.masked_fill(pad.unsqueeze(-1), 0.0), lengths
