"""Signal helpers for making noisy/reverberant speech: the power of a signal, a noise piece of a
given length, mixing at an exact SNR and reverberation with a room impulse response.

Pure numpy/scipy on 1-D float arrays, no file I/O: the real-corpus SE mixtures
(``laura.data.corpora.se_mixture``) and the mini corpus's SE pairs (``laura.minicorpus.se``)
both build on them, so a mixture means the same thing in both.
"""

from __future__ import annotations

import math

import numpy as np

SAMPLE_RATE = 16000  # the rate laura's data dirs hold; only the "active" power depends on it
ACTIVE_FRAME_S = 0.02
ACTIVE_FLOOR_DB = -40.0


def active_power(x: np.ndarray, sr: int = SAMPLE_RATE) -> float:
    """Mean power over the frames (20 ms) within 40 dB of the loudest frame."""
    x = np.asarray(x, dtype=np.float64)
    n = max(1, int(round(ACTIVE_FRAME_S * sr)))
    starts = np.arange(0, len(x), n)
    energy = np.add.reduceat(x * x, starts)
    lengths = np.diff(np.append(starts, len(x)))
    power = energy / lengths
    if power.max() <= 0:
        return 0.0
    active = power >= power.max() * 10 ** (ACTIVE_FLOOR_DB / 10)
    return float(energy[active].sum() / lengths[active].sum())


def signal_power(x: np.ndarray, mode: str = "whole", sr: int = SAMPLE_RATE) -> float:
    """Power of ``x``: over all samples (``whole``) or its active frames (``active``)."""
    if mode == "whole":
        x = np.asarray(x, dtype=np.float64)
        return float(np.mean(x * x)) if len(x) else 0.0
    if mode == "active":
        return active_power(x, sr)
    raise ValueError(f"snr mode must be 'whole' or 'active', got {mode!r}")


def crop_or_loop(noise: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """A ``length``-sample piece of ``noise`` starting at a random offset; a noise shorter
    than ``length`` is looped (tiled) first, so the piece wraps around its end."""
    noise = np.asarray(noise)
    if noise.ndim != 1 or len(noise) == 0:
        raise ValueError("noise must be a non-empty 1-D array")
    if len(noise) >= length:
        start = int(rng.integers(0, len(noise) - length + 1))
        return noise[start : start + length]
    start = int(rng.integers(0, len(noise)))
    reps = math.ceil((start + length) / len(noise))
    return np.tile(noise, reps)[start : start + length]


def mix_at_snr(
    speech: np.ndarray,
    noise: np.ndarray,
    snr_db: float,
    rng: np.random.Generator,
    *,
    mode: str = "whole",
    sr: int = SAMPLE_RATE,
) -> tuple[np.ndarray, np.ndarray]:
    """Mix ``speech`` with a random piece of ``noise`` at exactly ``snr_db``.

    The noise piece (``crop_or_loop``: random offset from ``rng``, looped when short) is
    scaled so that ``10*log10(P(speech) / P(noise)) == snr_db``, with P the mean power over
    the whole clip (``mode="whole"``) or, for speech, over its active frames (``"active"``).
    Returns ``(mixture, scaled_noise)`` as float64 arrays as long as ``speech``;
    ``mixture - scaled_noise == speech``. Raises ``ValueError`` for silent speech or noise.
    """
    s = np.asarray(speech, dtype=np.float64)
    if s.ndim != 1 or len(s) == 0:
        raise ValueError("speech must be a non-empty 1-D array")
    piece = crop_or_loop(np.asarray(noise, dtype=np.float64), len(s), rng)
    ps = signal_power(s, mode, sr)
    pn = float(np.mean(piece * piece))
    if ps <= 0:
        raise ValueError("speech is silent (zero power)")
    if pn <= 0:
        raise ValueError("noise piece is silent (zero power)")
    scaled = piece * math.sqrt(ps / (pn * 10 ** (snr_db / 10)))
    return s + scaled, scaled


def reverberate(speech: np.ndarray, rir: np.ndarray) -> np.ndarray:
    """``speech`` convolved with ``rir``, aligned on the direct path (the RIR's peak) and
    scaled back to the power of ``speech``; as long as ``speech``."""
    from scipy.signal import fftconvolve

    s = np.asarray(speech, dtype=np.float64)
    h = np.asarray(rir, dtype=np.float64)
    delay = int(np.argmax(np.abs(h)))
    wet = fftconvolve(s, h)[delay : delay + len(s)]
    p_dry, p_wet = float(np.mean(s * s)), float(np.mean(wet * wet))
    return wet * math.sqrt(p_dry / p_wet) if p_wet > 0 else wet
