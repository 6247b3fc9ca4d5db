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
    """

    def __init__(self, sample_rate: int = 16000, powers: tuple[int, ...] = (5, 6, 7, 8, 9, 10),
                 n_mels: int = 64, log_floor: float = 1e-2, power_spec: bool = True,
                 linear: float = 0.0) -> None:  # fmt: skip
        super().__init__()
        self.mels = nn.ModuleList(
            torchaudio.transforms.MelSpectrogram(
                sample_rate=sample_rate,
                n_fft=2**p,
                win_length=2**p,
                hop_length=2**p // 4,
                n_mels=min(n_mels, 2 ** (p - 3)),
                power=1.0,
                center=True,
                normalized=False,
            )  # fmt: skip
            for p in powers
        )
        self.log_floor, self.power_spec, self.linear = log_floor, power_spec, linear

    def forward(self, x: Tensor, y: Tensor) -> dict[str, Tensor]:
        """x: reference (B, T), y: reconstruction (B, T)."""
        mel = x.new_zeros(())
        spec = x.new_zeros(())
        for m in self.mels:
            mx, my = m(x), m(y)
            mel = mel + F.l1_loss(torch.log(my + self.log_floor), torch.log(mx + self.log_floor))
            if self.linear:
                mel = mel + self.linear * F.l1_loss(my, mx)
            if self.power_spec:
                win = m.spectrogram.win_length
                window = torch.hann_window(win, device=x.device)
                sx = torch.stft(x, win, win // 4, window=window, return_complex=True).abs().pow(2)
                sy = torch.stft(y, win, win // 4, window=window, return_complex=True).abs().pow(2)
                spec = spec + F.l1_loss(
                    torch.log(sy + self.log_floor), torch.log(sx + self.log_floor)
                )
        n = len(self.mels)
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
