"""SEANet encoder and decoder (the EnCodec / FunCodec time-domain codec).

Strides [8, 5, 4, 2, 2] at 16 kHz give a hop of 640 samples: 25 latent frames per second. The
layer order inside ``layers`` follows EnCodec's (and so FunCodec's) ``model`` Sequential, so a
released checkpoint maps onto these modules name by name (``laura.nn.codec.funcodec``).

"Same" padding as in EnCodec: a conv with stride s turns T samples into ceil(T / s) frames, and the
decoder's transposed convs trim their overhang, so decode(encode(x)) is at least as long as x and
the codec wrapper cuts it to the input length.
"""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn

NORMS = ("time_group_norm", "weight_norm", "none")
# EnCodec's fixed choices (FunCodec configs that change them are refused by the converter).
KERNEL, RESIDUAL_KERNEL, DILATION_BASE, COMPRESS, PAD_MODE = 7, 3, 2, 2, "reflect"


def _check_norm(norm: str) -> None:
    if norm not in NORMS:
        raise ValueError(f"codec norm {norm!r} is not one of {NORMS}")


def _pad1d(x: Tensor, left: int, right: int, mode: str) -> Tensor:
    """F.pad that also reflect-pads inputs shorter than the padding (zeros first, as EnCodec)."""
    if mode != "reflect":
        return F.pad(x, (left, right), mode=mode)
    extra = max(0, max(left, right) - x.shape[-1] + 1)
    if extra:
        x = F.pad(x, (0, extra))
    y = F.pad(x, (left, right), mode="reflect")
    return y[..., : y.shape[-1] - extra] if extra else y


class PaddedConv1d(nn.Module):
    """Conv1d with 'same' padding (asymmetric when needed) and an optional norm after it."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        dilation: int = 1,
        norm: str = "time_group_norm",
        causal: bool = False,
        pad_mode: str = "reflect",
    ) -> None:
        super().__init__()
        _check_norm(norm)
        if causal and norm == "time_group_norm":
            raise ValueError("time_group_norm normalises over time, so it cannot be causal")
        conv = nn.Conv1d(in_channels, out_channels, kernel_size, stride, dilation=dilation)
        self.conv = nn.utils.parametrizations.weight_norm(conv) if norm == "weight_norm" else conv
        self.norm = nn.GroupNorm(1, out_channels) if norm == "time_group_norm" else nn.Identity()
        self.kernel_size, self.stride, self.dilation = kernel_size, stride, dilation
        self.causal, self.pad_mode = causal, pad_mode

    def forward(self, x: Tensor) -> Tensor:
        k, s, d = self.kernel_size, self.stride, self.dilation
        total = (k - 1) * d - (s - 1)
        length = x.shape[-1]
        # Pad the end so the last window is full: ceil(T / s) output frames.
        n_frames = math.ceil((length - k + total) / s + 1)
        extra = (n_frames - 1) * s + (k - total) - length
        if self.causal:
            x = _pad1d(x, total, extra, self.pad_mode)
        else:
            right = total // 2
            x = _pad1d(x, total - right, right + extra, self.pad_mode)
        return self.norm(self.conv(x))


class PaddedConvTranspose1d(nn.Module):
    """ConvTranspose1d that trims its kernel overhang: T frames -> T * stride samples."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int,
        norm: str = "time_group_norm",
        causal: bool = False,
    ) -> None:
        super().__init__()
        _check_norm(norm)
        conv = nn.ConvTranspose1d(in_channels, out_channels, kernel_size, stride)
        self.conv = nn.utils.parametrizations.weight_norm(conv) if norm == "weight_norm" else conv
        self.norm = nn.GroupNorm(1, out_channels) if norm == "time_group_norm" else nn.Identity()
        self.kernel_size, self.stride, self.causal = kernel_size, stride, causal

    def forward(self, x: Tensor) -> Tensor:
        y = self.norm(self.conv(x))
        total = self.kernel_size - self.stride
        right = total if self.causal else total // 2
        return y[..., total - right : y.shape[-1] - right]


class ResidualUnit(nn.Module):
    """ELU -> conv k (dilated, to dim // compress) -> ELU -> conv 1 (back to dim), plus a 1x1
    skip."""

    def __init__(
        self, dim: int, kernel_size: int, dilation: int, compress: int, norm: str, causal: bool
    ) -> None:
        super().__init__()
        hidden = dim // compress
        conv = dict(norm=norm, causal=causal, pad_mode=PAD_MODE)
        self.block = nn.Sequential(
            nn.ELU(),
            PaddedConv1d(dim, hidden, kernel_size, dilation=dilation, **conv),
            nn.ELU(),
            PaddedConv1d(hidden, dim, 1, **conv),
        )
        self.shortcut = PaddedConv1d(dim, dim, 1, **conv)

    def forward(self, x: Tensor) -> Tensor:
        return self.shortcut(x) + self.block(x)


class SkipLSTM(nn.Module):
    """LSTM over time on a (B, C, T) tensor, with a residual connection."""

    def __init__(self, dim: int, num_layers: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(dim, dim, num_layers)

    def forward(self, x: Tensor) -> Tensor:
        t = x.permute(2, 0, 1)
        y, _ = self.lstm(t)
        return (y + t).permute(1, 2, 0)


class _SEANet(nn.Module):
    """What the encoder and decoder share: their arguments, the hop and one ``layers`` Sequential
    in EnCodec's order (so a released checkpoint maps by name), which ``_layers`` lists."""

    def __init__(
        self,
        ratios: list[int],
        dim: int = 128,
        n_filters: int = 32,
        n_residual_layers: int = 1,
        lstm_layers: int = 2,
        norm: str = "time_group_norm",
        causal: bool = False,
    ) -> None:
        super().__init__()
        self._norm, self._causal, self._n_residual_layers = norm, causal, n_residual_layers
        self.layers = nn.Sequential(*self._layers(ratios, dim, n_filters, lstm_layers))
        self.hop_length = math.prod(ratios)

    def _layers(
        self, ratios: list[int], dim: int, n_filters: int, lstm_layers: int
    ) -> list[nn.Module]:
        raise NotImplementedError

    def _conv(self, in_ch: int, out_ch: int, kernel_size: int, stride: int = 1) -> PaddedConv1d:
        kw = dict(norm=self._norm, causal=self._causal, pad_mode=PAD_MODE)
        return PaddedConv1d(in_ch, out_ch, kernel_size, stride, **kw)

    def _residual_units(self, ch: int) -> list[nn.Module]:
        return [
            ResidualUnit(ch, RESIDUAL_KERNEL, DILATION_BASE**j, COMPRESS, self._norm, self._causal)
            for j in range(self._n_residual_layers)
        ]

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)


class SEANetEncoder(_SEANet):
    """Waveform (B, 1, T) -> latent (B, dim, ceil(T / hop)); downsampling by
    ``reversed(ratios)``."""

    def _layers(
        self, ratios: list[int], dim: int, n_filters: int, lstm_layers: int
    ) -> list[nn.Module]:
        ch = n_filters
        layers: list[nn.Module] = [self._conv(1, ch, KERNEL)]
        for ratio in reversed(ratios):
            layers += self._residual_units(ch)
            layers += [nn.ELU(), self._conv(ch, ch * 2, ratio * 2, stride=ratio)]
            ch *= 2
        if lstm_layers:
            layers.append(SkipLSTM(ch, lstm_layers))
        return layers + [nn.ELU(), self._conv(ch, dim, KERNEL)]


class SEANetDecoder(_SEANet):
    """Latent (B, dim, F) -> waveform (B, 1, F * hop); upsampling by ``ratios`` in order."""

    def _layers(
        self, ratios: list[int], dim: int, n_filters: int, lstm_layers: int
    ) -> list[nn.Module]:
        ch = n_filters * 2 ** len(ratios)
        layers: list[nn.Module] = [self._conv(dim, ch, KERNEL)]
        if lstm_layers:
            layers.append(SkipLSTM(ch, lstm_layers))
        for ratio in ratios:
            up = PaddedConvTranspose1d(ch, ch // 2, ratio * 2, ratio, self._norm, self._causal)
            layers += [nn.ELU(), up]
            ch //= 2
            layers += self._residual_units(ch)
        return layers + [nn.ELU(), self._conv(ch, 1, KERNEL)]
