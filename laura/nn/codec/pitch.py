"""YIN pitch tracking in torch, batched (de Cheveigné & Kawahara, 2002).

The harmonic decoder of the frequency-domain codec learns F0 from these targets. Frame ``t`` is
centred on sample ``t * hop`` (as ``torch.stft(center=True)``), so targets line up with STFT frames.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def yin(
    wav: Tensor,
    sample_rate: int = 16000,
    hop: int = 160,
    fmin: float = 60.0,
    fmax: float = 500.0,
    window: int = 400,
    threshold: float = 0.15,
    voicing: float = 0.3,
) -> tuple[Tensor, Tensor]:
    """wav (B, T) -> (f0 in Hz (B, frames), voiced (B, frames) bool), frames = T // hop + 1.

    The lag is the first local minimum of the cumulative mean normalised difference below
    ``threshold`` (else its global minimum), refined by parabolic interpolation; a frame is voiced
    when that minimum is below ``voicing`` and the frame is not silent. Unvoiced frames carry the
    F0 of the lag found anyway (callers mask them)."""
    if wav.dim() != 2:
        raise ValueError(f"yin: waveform must be (batch, samples), got {tuple(wav.shape)}")
    tau_min, tau_max = int(sample_rate / fmax), int(sample_rate / fmin) + 1
    span = window + tau_max
    x = F.pad(wav, (span // 2, span - span // 2 + hop))
    n_frames = wav.shape[-1] // hop + 1
    frames = x.unfold(-1, span, hop)[:, :n_frames]  # (B, N, span)
    head = frames[..., :window]
    # d(tau) = E(head) + E(x[tau:tau+W]) - 2 r(tau); r by FFT cross-correlation
    n = 1 << (span + window - 1).bit_length()
    r = torch.fft.irfft(torch.fft.rfft(frames, n) * torch.fft.rfft(head, n).conj(), n)[
        ..., : tau_max + 1
    ]
    sq = F.pad(frames.pow(2).cumsum(-1), (1, 0))
    e_tau = sq[..., window : window + tau_max + 1] - sq[..., : tau_max + 1]
    d = (e_tau[..., :1] + e_tau - 2 * r).clamp(min=0)
    taus = torch.arange(tau_max + 1, device=wav.device, dtype=wav.dtype)
    cum = F.pad(d[..., 1:].cumsum(-1), (1, 0))
    cmnd = torch.where(taus > 0, d * taus / cum.clamp(min=1e-12), torch.ones_like(d))
    c = cmnd[..., tau_min:tau_max]  # candidates, lag = tau_min + index
    local_min = torch.zeros_like(c, dtype=torch.bool)
    local_min[..., 1:-1] = (c[..., 1:-1] <= c[..., :-2]) & (c[..., 1:-1] <= c[..., 2:])
    ok = local_min & (c < threshold)
    first = torch.where(ok.any(-1), ok.float().argmax(-1), c.argmin(-1))
    idx = first.clamp(1, c.shape[-1] - 2)
    y0, y1, y2 = (c.gather(-1, (idx + k)[..., None]).squeeze(-1) for k in (-1, 0, 1))
    denom = y0 - 2 * y1 + y2
    shift = torch.where(denom.abs() > 1e-9, 0.5 * (y0 - y2) / denom, torch.zeros_like(denom))
    lag = tau_min + idx.to(wav.dtype) + shift.clamp(-1, 1)
    f0 = sample_rate / lag
    energy = head.pow(2).mean(-1)
    loud = energy > 1e-4 * energy.amax(-1, keepdim=True).clamp(min=1e-12)
    voiced = (y1 < voicing) & loud
    return f0, voiced
