"""Codec vocoders: from the LM's first-group codec tokens (plus the task's conditions) to what the
frozen codec decoder needs.

``OneStepVocoder`` (LauraGPT section 3.4): one feed-forward pass regresses the SUM of all codebook
embeddings of the target audio; ``Codec.decode_embedding`` turns it into a waveform.
``MultiStepVocoder`` (the paper's Table 3 baseline, VALL-E's non-autoregressive stage): predicts
groups 2..N one after another, each from the sum of the groups before it, then ``Codec.decode``.

Both read the same sequence: ``[condition_1, ..., condition_k, codec positions]``, each segment
with its own sinusoidal positions (from 0) plus a learned segment embedding, through a
transformer without convolution; outputs are read only at the codec positions. Conditions are
named in the config: token ids (``kind: tokens``, e.g. the text for TTS) or feature frames
(``kind: features``, e.g. fbank of the noisy speech for SE or of the prompt for zero-shot TTS).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from laura.nn.conformer import FeedForward, SelfAttention, sinusoidal_positions
from laura.nn.masks import make_pad_mask


@dataclass
class ConditionConfig:
    name: str = "text"
    # tokens (ids, dim = vocabulary size) | features (fbank frames, dim = their size) |
    # codec (the frozen codec's continuous latent of the input audio at the codec's frame rate,
    # dim = latent size: frame-aligned with the output, what SE's fine detail is read from)
    kind: str = "tokens"
    dim: int = 256


@dataclass
class VocoderConfig:
    kind: str = "one_step"  # one_step | multi_step
    latent_dim: int = 128  # codec latent = codebook entry size
    codebook_size: int = 1024
    n_q: int = 32  # groups the target sums (one_step) or predicts (multi_step)
    d_model: int = 512
    n_heads: int = 8
    ffn_dim: int = 2048
    n_blocks: int = 6
    dropout: float = 0.1
    conditions: list[ConditionConfig] = field(default_factory=list)
    l1_weight: float = 1.0  # loss = l1 * L1 + l2 * MSE on the embedding (paper eq. 2)
    l2_weight: float = 1.0

    def check(self) -> None:
        if self.kind not in ("one_step", "multi_step"):
            raise ValueError(f"vocoder.kind must be one_step or multi_step, got {self.kind!r}")
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model {self.d_model} is not a multiple of n_heads {self.n_heads}")
        names = [c.name for c in self.conditions]
        if len(set(names)) != len(names):
            raise ValueError(f"vocoder.conditions: duplicate names {names}")
        for c in self.conditions:
            if c.kind not in ("tokens", "features", "codec"):
                raise ValueError(
                    f"condition {c.name!r}: kind must be tokens, features or codec, got {c.kind!r}"
                )


Conditions = dict[
    str, tuple[Tensor, Tensor]
]  # name -> (ids (B, T) or feats (B, T, D), lengths (B,))


class TransformerBlock(nn.Module):
    """Pre-norm self-attention + feed-forward (no convolution module)."""

    def __init__(self, d: int, heads: int, ffn: int, dropout: float) -> None:
        super().__init__()
        self.norm_attn = nn.LayerNorm(d)
        self.attn = SelfAttention(d, heads, dropout, dropout)
        self.norm_ff = nn.LayerNorm(d)
        self.ff = FeedForward(d, ffn, dropout)

    def forward(self, x: Tensor, attn_mask: Tensor) -> Tensor:
        x = x + self.attn(self.norm_attn(x), attn_mask)
        return x + self.ff(self.norm_ff(x))


class ConditionedTransformer(nn.Module):
    """[conditions..., codec positions] -> hidden states (B, F, d_model) at the codec positions."""

    def __init__(self, cfg: VocoderConfig) -> None:
        super().__init__()
        cfg.check()
        self.cfg = cfg
        d = cfg.d_model
        self.inputs = nn.ModuleDict(
            {
                c.name: nn.Embedding(c.dim, d) if c.kind == "tokens" else nn.Linear(c.dim, d)
                for c in cfg.conditions
            }
        )
        self.segment = nn.Embedding(len(cfg.conditions) + 1, d)  # last = codec positions
        self.blocks = nn.ModuleList(
            TransformerBlock(d, cfg.n_heads, cfg.ffn_dim, cfg.dropout) for _ in range(cfg.n_blocks)
        )
        self.norm = nn.LayerNorm(d)
        self.dropout = nn.Dropout(cfg.dropout)

    def _segment(self, x: Tensor, lengths: Tensor, index: int) -> tuple[Tensor, Tensor]:
        pe = sinusoidal_positions(x.shape[1], x.shape[-1], device=x.device).to(x.dtype)
        pad = make_pad_mask(lengths, x.shape[1])
        x = x + pe + self.segment.weight[index]
        return x.masked_fill(pad.unsqueeze(-1), 0.0), pad

    def forward(
        self, codec_in: Tensor, lengths: Tensor, conditions: Conditions | None = None
    ) -> Tensor:
        """codec_in (B, F, d_model), lengths (B,) -> (B, F, d_model), padded frames zeroed."""
        conditions = conditions or {}
        missing = [c.name for c in self.cfg.conditions if c.name not in conditions]
        extra = sorted(set(conditions) - {c.name for c in self.cfg.conditions})
        if missing or extra:
            raise ValueError(f"vocoder conditions: missing {missing}, unexpected {extra}")
        parts, pads = [], []
        for i, c in enumerate(self.cfg.conditions):
            value, lens = conditions[c.name]
            if c.kind == "tokens" and value.dtype not in (torch.int32, torch.int64):
                raise ValueError(f"condition {c.name!r} takes token ids, got {value.dtype}")
            x, pad = self._segment(self.inputs[c.name](value), lens, i)
            parts.append(x)
            pads.append(pad)
        x, pad = self._segment(codec_in, lengths, len(self.cfg.conditions))
        parts.append(x)
        pads.append(pad)
        h = self.dropout(torch.cat(parts, dim=1))
        all_pad = torch.cat(pads, dim=1)
        attn_mask = (~all_pad)[:, None, None, :]
        for block in self.blocks:
            h = block(h, attn_mask)
        h = self.norm(h[:, -codec_in.shape[1] :])
        return h.masked_fill(pad.unsqueeze(-1), 0.0)


def embedding_loss(
    pred: Tensor, target: Tensor, lengths: Tensor, l1: float = 1.0, l2: float = 1.0
) -> dict[str, Tensor]:
    """L1 and MSE over the valid frames of (B, F, D) embeddings; ``loss`` = l1 * L1 + l2 * MSE."""
    valid = ~make_pad_mask(lengths, pred.shape[1])
    diff = (pred - target)[valid]
    out = {"l1": diff.abs().mean(), "l2": diff.pow(2).mean()}
    out["loss"] = l1 * out["l1"] + l2 * out["l2"]
    return out


def corrupt_tokens(
    tokens: Tensor,
    share: float,
    codebook_size: int,
    predicted: Tensor | None = None,
    keep_truth: float = 0.5,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Training inputs that look like the LM's output, so the vocoder learns to repair its errors.

    With ``predicted`` (the LM's tokens, teacher-forced): use them, but put back the truth at a
    wrong prediction with probability ``keep_truth`` (LauraTTS uses 0.5). Without: replace a
    ``share`` of the tokens by uniformly random codes."""
    if predicted is not None:
        if predicted.shape != tokens.shape:
            raise ValueError(f"predicted tokens {tuple(predicted.shape)} != {tuple(tokens.shape)}")
        wrong = predicted != tokens
        u = torch.rand(tokens.shape, generator=generator, device=tokens.device)
        return torch.where(wrong & (u < keep_truth), tokens, predicted)
    if share <= 0:
        return tokens
    u = torch.rand(tokens.shape, generator=generator, device=tokens.device)
    rand = torch.randint(0, codebook_size, tokens.shape, generator=generator, device=tokens.device)
    return torch.where(u < share, rand, tokens)


class OneStepVocoder(nn.Module):
    """First-group tokens + conditions -> predicted sum of all codebook embeddings (B, F, D).

    ``codebook``: the codec's first codebook (codebook_size, latent_dim), kept as a frozen buffer
    so the vocoder embeds tokens exactly as the codec does (and saves with its own weights)."""

    def __init__(self, cfg: VocoderConfig, codebook: Tensor | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        table = torch.zeros(cfg.codebook_size, cfg.latent_dim)
        if codebook is not None:
            if tuple(codebook.shape) != tuple(table.shape):
                raise ValueError(
                    f"codebook {tuple(codebook.shape)} != "
                    f"(codebook_size, latent_dim) {tuple(table.shape)}"
                )
            table = codebook.detach().float().clone()
        self.register_buffer("codebook", table)
        self.proj_in = nn.Linear(cfg.latent_dim, cfg.d_model)
        self.body = ConditionedTransformer(cfg)
        self.head = nn.Linear(cfg.d_model, cfg.latent_dim)
        # Zero residual at the start: an untrained vocoder decodes exactly the first group.
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def embed_tokens(self, tokens: Tensor) -> Tensor:
        """Ids (B, F) -> codebook entries; probabilities (B, F, V) -> probs @ codebook (a
        straight-through one-hot from the LM keeps the path differentiable)."""
        if tokens.dim() == 3:
            return tokens.to(self.codebook.dtype) @ self.codebook
        return F.embedding(tokens, self.codebook)

    def forward(
        self, tokens: Tensor, lengths: Tensor, conditions: Conditions | None = None
    ) -> Tensor:
        """Returns (B, F, latent_dim); the first-group embedding is the residual base, so the
        transformer learns what groups 2..N add (the FunCodec/LauraTTS formulation)."""
        base = self.embed_tokens(tokens)
        h = self.body(self.proj_in(base), lengths, conditions)
        valid = ~make_pad_mask(lengths, base.shape[1])
        return (base + self.head(h)) * valid.unsqueeze(-1)

    def loss(self, pred: Tensor, target: Tensor, lengths: Tensor) -> dict[str, Tensor]:
        return embedding_loss(pred, target, lengths, self.cfg.l1_weight, self.cfg.l2_weight)


class MultiStepVocoder(nn.Module):
    """VALL-E-style non-autoregressive baseline: group j's tokens from the sum of groups < j.

    ``codebooks``: all n_q tables (n_q, codebook_size, latent_dim) of the frozen codec.
    Training picks one group j in 1..n_q-1 per batch (cross-entropy); inference runs n_q - 1
    passes, each adding the argmax group's entries to the running sum."""

    def __init__(self, cfg: VocoderConfig, codebooks: Tensor | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        tables = torch.zeros(cfg.n_q, cfg.codebook_size, cfg.latent_dim)
        if codebooks is not None:
            if tuple(codebooks.shape) != tuple(tables.shape):
                raise ValueError(f"codebooks {tuple(codebooks.shape)} != {tuple(tables.shape)}")
            tables = codebooks.detach().float().clone()
        self.register_buffer("codebooks", tables)
        self.proj_in = nn.Linear(cfg.latent_dim, cfg.d_model)
        self.group = nn.Embedding(cfg.n_q, cfg.d_model)  # which group is being predicted
        self.body = ConditionedTransformer(cfg)
        self.head = nn.Linear(cfg.d_model, cfg.codebook_size)

    def partial_sum(self, tokens: Tensor) -> Tensor:
        """Tokens (B, j, F) of the first j groups -> sum of their entries (B, F, D)."""
        j = tokens.shape[1]
        return sum(F.embedding(tokens[:, i], self.codebooks[i]) for i in range(j))  # type: ignore[return-value]

    def logits(
        self, tokens: Tensor, lengths: Tensor, conditions: Conditions | None = None
    ) -> Tensor:
        """Tokens (B, j, F) of groups 0..j-1 -> logits (B, F, codebook_size) of group j."""
        j = tokens.shape[1]
        if not 1 <= j < self.cfg.n_q:
            raise ValueError(f"multi-step vocoder predicts groups 1..{self.cfg.n_q - 1}, got j={j}")
        x = self.proj_in(self.partial_sum(tokens)) + self.group.weight[j]
        return self.head(self.body(x, lengths, conditions))

    def loss(
        self,
        tokens: Tensor,
        lengths: Tensor,
        conditions: Conditions | None = None,
        group: int | None = None,
    ) -> dict[str, Tensor]:
        """tokens (B, n_q, F) of the target audio; ``group`` (default: random in 1..n_q-1)."""
        n_q = min(tokens.shape[1], self.cfg.n_q)
        j = int(torch.randint(1, n_q, ()).item()) if group is None else group
        logits = self.logits(tokens[:, :j], lengths, conditions)
        target = tokens[:, j].masked_fill(make_pad_mask(lengths, tokens.shape[-1]), -100)
        ce = F.cross_entropy(logits.transpose(1, 2), target, ignore_index=-100)
        valid = target != -100
        acc = (logits.argmax(-1) == target)[valid].float().mean()
        return {"loss": ce, "ce": ce, "acc": acc, "group": torch.tensor(float(j))}

    @torch.no_grad()
    def generate(
        self,
        first: Tensor,
        lengths: Tensor,
        conditions: Conditions | None = None,
        n_q: int | None = None,
    ) -> Tensor:
        """First-group tokens (B, F) -> all groups (B, n_q, F), one pass per group (greedy)."""
        n_q = n_q or self.cfg.n_q
        tokens = first[:, None]
        for _ in range(1, n_q):
            nxt = self.logits(tokens, lengths, conditions).argmax(-1)
            tokens = torch.cat([tokens, nxt[:, None]], dim=1)
        return tokens
