"""Frequency-domain encoder and decoder with the same 25 Hz token interface as SEANet.

The FunCodec paper also builds codecs on spectra (FreqCodec). On a 2-core CPU this variant trains
far faster than SEANet from scratch (``../shared/design/environment.md``: PESQ 1.84 after 10
minutes where a small SEANet collapsed), so the mini recipe uses it. Encoder: STFT log-magnitude
every 10 ms -> ConvNeXt blocks -> stride-4 conv to 25 Hz and the codec latent. Decoder: latent ->
stride-4 transposed conv -> ConvNeXt blocks -> magnitude and phase -> inverse STFT (as Vocos).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class ConvNeXtBlock(nn.Module):
    """Depthwise conv 7 -> LayerNorm -> pointwise MLP (GELU) -> layer scale, residual."""

    def __init__(self, dim: int, mult: int = 3, layer_scale: float = 0.1) -> None:
        super().__init__()
        self.dwconv = nn.Conv1d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim)
        self.pw1 = nn.Linear(dim, dim * mult)
        self.pw2 = nn.Linear(dim * mult, dim)
        self.gamma = nn.Parameter(torch.full((dim,), layer_scale))

    def forward(self, x: Tensor) -> Tensor:  # (B, C, T)
        y = self.dwconv(x).transpose(1, 2)
        y = self.pw2(F.gelu(self.pw1(self.norm(y)))) * self.gamma
        return x + y.transpose(1, 2)


class FreqEncoder(nn.Module):
    """Waveform (B, 1, T) -> latent (B, dim, ceil(T / hop)), hop = stft_hop * 4."""

    def __init__(self, dim: int = 128, hidden: int = 256, n_blocks: int = 4, n_fft: int = 640,
                 stft_hop: int = 160, down: int = 4) -> None:  # fmt: skip
        super().__init__()
        self.n_fft, self.stft_hop, self.down = n_fft, stft_hop, down
        self.hop_length = stft_hop * down
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        self.proj_in = nn.Conv1d(n_fft // 2 + 1, hidden, 7, padding=3)
        self.norm_in = nn.LayerNorm(hidden)  # log-magnitudes span ~-11 (digital silence) to ~5
        self.blocks = nn.Sequential(
            *(ConvNeXtBlock(hidden, layer_scale=1 / n_blocks) for _ in range(n_blocks))
        )
        self.norm = nn.LayerNorm(hidden)
        self.proj_out = nn.Conv1d(hidden, dim, down, stride=down)

    def forward(self, wav: Tensor) -> Tensor:
        x = wav.squeeze(1)
        frames = -(-x.shape[-1] // self.hop_length)
        x = F.pad(x, (0, frames * self.hop_length - x.shape[-1]))
        spec = torch.stft(x, self.n_fft, self.stft_hop, window=self.window, return_complex=True)
        mag = spec.abs()[..., : frames * self.down]  # center=True gives one frame too many
        h = self.proj_in(torch.log(mag + 1e-5))
        h = self.blocks(self.norm_in(h.transpose(1, 2)).transpose(1, 2))
        h = self.norm(h.transpose(1, 2)).transpose(1, 2)
        return self.proj_out(h)


class FreqDecoder(nn.Module):
    """Latent (B, dim, F) -> waveform (B, 1, F * hop) through magnitude, phase and inverse STFT."""

    def __init__(self, dim: int = 128, hidden: int = 256, n_blocks: int = 6, n_fft: int = 640,
                 stft_hop: int = 160, up: int = 4) -> None:  # fmt: skip
        super().__init__()
        self.n_fft, self.stft_hop, self.up = n_fft, stft_hop, up
        self.hop_length = stft_hop * up
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        self.proj_in = nn.Conv1d(dim, hidden, 3, padding=1)
        self.upsample = nn.ConvTranspose1d(hidden, hidden, up, stride=up)
        self.norm_in = nn.LayerNorm(hidden)
        self.blocks = nn.Sequential(
            *(ConvNeXtBlock(hidden, layer_scale=1 / n_blocks) for _ in range(n_blocks))
        )
        self.norm = nn.LayerNorm(hidden)
        self.head = nn.Linear(hidden, 2 * (n_fft // 2 + 1))

    def forward(self, latent: Tensor) -> Tensor:
        h = self.upsample(self.proj_in(latent))
        h = self.blocks(self.norm_in(h.transpose(1, 2)).transpose(1, 2))
        h = F.pad(h, (0, 1), mode="replicate")  # F*up + 1 frames -> exactly F*hop samples
        log_mag, phase = self.head(self.norm(h.transpose(1, 2))).transpose(1, 2).chunk(2, dim=1)
        mag = torch.exp(log_mag.clamp(max=6.0))
        spec = torch.polar(mag, phase)
        length = latent.shape[-1] * self.hop_length
        wav = torch.istft(spec, self.n_fft, self.stft_hop, window=self.window, length=length)
        return wav.unsqueeze(1)
