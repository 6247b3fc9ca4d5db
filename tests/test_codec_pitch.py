"""YIN pitch tracking and the harmonic STFT synthesis of the harmonic codec decoder."""

from __future__ import annotations

import math

import pytest
import torch

from laura.nn.codec import Codec, CodecConfig
from laura.nn.codec.freq import harmonic_spectrum
from laura.nn.codec.pitch import yin

SR = 16000


def _glide(f_start: float, f_end: float, seconds: float = 1.0, partials: int = 8) -> tuple:
    t = torch.arange(int(SR * seconds)) / SR
    f0 = f_start * (f_end / f_start) ** (t / seconds)  # exponential glide
    phase = 2 * math.pi * torch.cumsum(f0, 0) / SR
    x = sum(torch.cos(h * phase) / h for h in range(1, partials + 1))
    return x * 0.1, f0


@pytest.mark.parametrize("f_start,f_end", [(90.0, 140.0), (180.0, 320.0)])
def test_yin_tracks_a_gliding_harmonic_tone(f_start: float, f_end: float) -> None:
    x, f0_true = _glide(f_start, f_end)
    f0, voiced = yin(x[None])
    assert f0.shape == voiced.shape == (1, SR // 160 + 1)
    inner = slice(5, -5)
    ref = f0_true[(torch.arange(f0.shape[1]) * 160).clamp(max=SR - 1)][inner]
    assert voiced[0, inner].all()
    cents = 1200 * torch.log2(f0[0, inner] / ref).abs()
    assert cents.max() < 20, cents.max()


def test_yin_calls_silence_and_noise_unvoiced() -> None:
    torch.manual_seed(0)
    x = torch.cat([torch.zeros(SR // 2), 0.1 * torch.randn(SR // 2)])
    _, voiced = yin(x[None])
    assert voiced.float().mean() < 0.1
    with pytest.raises(ValueError, match="batch, samples"):
        yin(x)


def test_harmonic_spectrum_is_the_stft_of_a_harmonic_signal() -> None:
    """Bins filled from per-harmonic amplitudes at the right F0 resynthesise the tone: the phase
    convention matches torch.stft, so frames overlap-add into continuous partials."""
    n_fft, hop, f0 = 640, 160, 180.0
    t = torch.arange(SR) / SR
    x = 0.3 * torch.cos(2 * math.pi * f0 * t) + 0.2 * torch.cos(2 * math.pi * 2 * f0 * t)
    window = torch.hann_window(n_fft)
    n_frames = SR // hop + 1
    k = torch.arange(n_fft // 2 + 1)[:, None].float()
    h = torch.round(k * SR / n_fft / f0).clamp(min=1)
    amp = torch.where(h == 1, 0.3, torch.where(h == 2, 0.2, 0.0)) * n_fft / 4
    spec = harmonic_spectrum(amp.expand(-1, n_frames)[None], torch.full((1, n_frames), f0),
                             n_fft, hop, SR)  # fmt: skip
    y = torch.istft(spec, n_fft, hop, window=window, length=SR)[0]
    inner = slice(1000, -1000)
    rel = (y - x)[inner].norm() / x[inner].norm()
    assert rel < 0.01, rel
    wrong = harmonic_spectrum(amp.expand(-1, n_frames)[None], torch.full((1, n_frames), 1.05 * f0),
                              n_fft, hop, SR)  # fmt: skip
    y_wrong = torch.istft(wrong, n_fft, hop, window=window, length=SR)[0]
    assert (y_wrong - x)[inner].norm() / x[inner].norm() > 0.5


def test_harmonic_codec_config_is_checked_and_returns_f0() -> None:
    with pytest.raises(ValueError, match="needs kind: freq"):
        Codec(CodecConfig(kind="seanet", harmonic=True))
    cfg = CodecConfig(kind="freq", harmonic=True, hidden=32, encoder_blocks=1, decoder_blocks=1,
                      n_q=2, codebook_size=8, kmeans_iters=2, quantizer_dropout=[1, 2])  # fmt: skip
    codec = Codec(cfg)
    out = codec(torch.randn(2, SR) * 0.1, f0=torch.full((2, 101), 150.0))
    assert out["recon"].shape == (2, SR) and out["log_f0"].shape == (2, 101)
    assert ((out["log_f0"] > math.log(50)) & (out["log_f0"] < math.log(600))).all()
