"""Reference-based audio quality: PESQ (wide band, ITU-T P.862.2), STOI, and mel distance.

Used for codec reconstructions and SE outputs. PESQ needs 16 kHz (or 8 kHz narrow band) and at
least 0.25 s of audio; shorter or silent inputs give NaN instead of an exception, and averages
skip NaNs.
"""

from __future__ import annotations

import math

import numpy as np
import torch


def _np(x: np.ndarray | torch.Tensor) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().float().cpu().numpy()
    return np.asarray(x, dtype=np.float64).reshape(-1)


def _same_length(ref: np.ndarray, deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = min(len(ref), len(deg))
    return ref[:n], deg[:n]


def pesq_wb(
    ref: np.ndarray | torch.Tensor, deg: np.ndarray | torch.Tensor, sample_rate: int = 16000
) -> float:
    """Wide-band PESQ (MOS-LQO, 1.0-4.64) of ``deg`` against ``ref``."""
    from pesq import pesq
    from pesq.cypesq import PesqError

    if sample_rate != 16000:
        raise ValueError(f"wide-band PESQ needs 16 kHz audio, got {sample_rate} Hz")
    r, d = _same_length(_np(ref), _np(deg))
    if len(r) < sample_rate // 4 or not np.any(r):
        return math.nan
    try:
        return float(pesq(sample_rate, r, d, "wb"))
    except PesqError:
        return math.nan


def stoi(
    ref: np.ndarray | torch.Tensor, deg: np.ndarray | torch.Tensor, sample_rate: int = 16000
) -> float:
    """Short-time objective intelligibility (0-1)."""
    from pystoi import stoi as _stoi

    r, d = _same_length(_np(ref), _np(deg))
    if len(r) < sample_rate // 4 or not np.any(r):
        return math.nan
    return float(_stoi(r, d, sample_rate, extended=False))


def mel_distance(
    ref: np.ndarray | torch.Tensor, deg: np.ndarray | torch.Tensor, sample_rate: int = 16000
) -> float:
    """Mean absolute difference of log10 mel spectrograms (80 bands, 25 ms / 10 ms)."""
    import torchaudio

    r, d = _same_length(_np(ref), _np(deg))
    mel = torchaudio.transforms.MelSpectrogram(sample_rate, n_fft=400, hop_length=160, n_mels=80)
    mr = mel(torch.from_numpy(r).float()).clamp(min=1e-5).log10()
    md = mel(torch.from_numpy(d).float()).clamp(min=1e-5).log10()
    return float((mr - md).abs().mean())


def nanmean(values: list[float]) -> float:
    vals = [v for v in values if not math.isnan(v)]
    return float(sum(vals) / len(vals)) if vals else math.nan
