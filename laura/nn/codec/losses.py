"""Codec training losses (EnCodec / FunCodec): time-domain L1, multi-scale mel and power-spectrum
reconstruction, hinge adversarial and feature-matching losses."""

from __future__ import annotations

import torch
import torch.nn.functional as F
import torchaudio
from torch import Tensor, nn


class MultiScaleSpectralLoss(nn.Module):
    """Mean over windows 2^5..2^10 (hop = window / 4) of the log-mel L1 (plus ``linear`` x the
    mel L1), and optionally the log power-spectrum L1 (FunCodec's ``use_power_spec_loss``).

    ``log_floor`` is added inside the log: synthetic speech has long runs of exact zeros, and a
    tiny floor (1e-5) lets silence dominate the loss; a floor near 1e-2 worked on this data. The
    linear-mel term is off by default: on RMS-normalised audio its loud bins swamp the rest.
    One STFT per scale serves both terms, and the reference's STFT runs without autograd (the loss
    was the largest part of a mini-codec step's forward).
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        powers: tuple[int, ...] = (5, 6, 7, 8, 9, 10),
        n_mels: int = 64,
        log_floor: float = 1e-2,
        power_spec: bool = True,
        linear: float = 0.0,
    ) -> None:
        super().__init__()
        self.sizes = [2**p for p in powers]
        for n in self.sizes:
            fb = torchaudio.functional.melscale_fbanks(
                n // 2 + 1, 0.0, sample_rate / 2, min(n_mels, n // 8), sample_rate
            )  # (freqs, mels), as torchaudio.transforms.MelSpectrogram builds it
            self.register_buffer(f"fb{n}", fb, persistent=False)
            self.register_buffer(f"window{n}", torch.hann_window(n), persistent=False)
        self.log_floor, self.power_spec, self.linear = log_floor, power_spec, linear

    def _mag(self, x: Tensor, n: int) -> Tensor:
        window = getattr(self, f"window{n}")
        return torch.stft(
            x, n, n // 4, window=window, center=True, pad_mode="reflect", return_complex=True
        ).abs()

    def forward(self, x: Tensor, y: Tensor) -> dict[str, Tensor]:
        """x: reference (B, T), y: reconstruction (B, T)."""
        mel = x.new_zeros(())
        spec = x.new_zeros(())
        floor = self.log_floor
        for n in self.sizes:
            fb = getattr(self, f"fb{n}")
            with torch.no_grad():
                sx = self._mag(x, n)
                mx = (sx.transpose(1, 2) @ fb).transpose(1, 2)
            sy = self._mag(y, n)
            my = (sy.transpose(1, 2) @ fb).transpose(1, 2)
            mel = mel + F.l1_loss(torch.log(my + floor), torch.log(mx + floor))
            if self.linear:
                mel = mel + self.linear * F.l1_loss(my, mx)
            if self.power_spec:
                spec = spec + F.l1_loss(torch.log(sy.pow(2) + floor), torch.log(sx.pow(2) + floor))
        n = len(self.sizes)
        return {"mel": mel / n, "spec": spec / n}


def discriminator_hinge(real: list[Tensor], fake: list[Tensor]) -> Tensor:
    """Hinge loss of the discriminator over its sub-discriminators' logits."""
    return sum(F.relu(1 - r).mean() + F.relu(1 + f).mean() for r, f in zip(real, fake)) / len(real)  # type: ignore[return-value]


def generator_hinge(fake: list[Tensor]) -> Tensor:
    return sum(F.relu(1 - f).mean() for f in fake) / len(fake)  # type: ignore[return-value]


def feature_matching(real_feats: list[list[Tensor]], fake_feats: list[list[Tensor]]) -> Tensor:
    """L1 between feature maps, each scaled by the mean magnitude of the real one (EnCodec)."""
    total, n = 0.0, 0
    for rs, fs in zip(real_feats, fake_feats):
        for r, f in zip(rs, fs):
            total = total + F.l1_loss(f, r.detach()) / (r.detach().abs().mean() + 1e-8)
            n += 1
    return total / max(n, 1)  # type: ignore[return-value]
