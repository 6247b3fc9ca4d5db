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
    spec = harmonic_spectrum(
        amp.expand(-1, n_frames)[None], torch.full((1, n_frames), f0), n_fft, hop, SR
    )
    y = torch.istft(spec, n_fft, hop, window=window, length=SR)[0]
    inner = slice(1000, -1000)
    rel = (y - x)[inner].norm() / x[inner].norm()
    assert rel < 0.01, rel
    wrong = harmonic_spectrum(
        amp.expand(-1, n_frames)[None], torch.full((1, n_frames), 1.05 * f0), n_fft, hop, SR
    )
    y_wrong = torch.istft(wrong, n_fft, hop, window=window, length=SR)[0]
    assert (y_wrong - x)[inner].norm() / x[inner].norm() > 0.5


def test_harmonic_codec_config_is_checked_and_returns_f0() -> None:
    with pytest.raises(ValueError, match="needs kind: freq"):
        Codec(CodecConfig(kind="seanet", harmonic=True))
    cfg = CodecConfig(
        kind="freq",
        harmonic=True,
        hidden=32,
        encoder_blocks=1,
        decoder_blocks=1,
        n_q=2,
        codebook_size=8,
        kmeans_iters=2,
        quantizer_dropout=[1, 2],
    )
    codec = Codec(cfg)
    out = codec(torch.randn(2, SR) * 0.1, f0=torch.full((2, 101), 150.0))
    assert out["recon"].shape == (2, SR) and out["log_f0"].shape == (2, 101)
    assert ((out["log_f0"] > math.log(50)) & (out["log_f0"] < math.log(600))).all()


def _explicit_codec() -> Codec:
    cfg = CodecConfig(
        kind="freq",
        harmonic=True,
        explicit_f0=True,
        hidden=32,
        encoder_blocks=1,
        decoder_blocks=1,
        n_q=2,
        codebook_size=8,
        kmeans_iters=2,
        quantizer_dropout=[1, 2],
    )
    return Codec(cfg).eval()


def test_explicit_f0_travels_in_the_latent_to_within_a_cent() -> None:
    with pytest.raises(ValueError, match="explicit_f0: true needs harmonic"):
        Codec(CodecConfig(kind="freq", explicit_f0=True))
    codec = _explicit_codec()
    x, _ = _glide(110.0, 260.0, seconds=1.2)
    x = torch.cat([x, torch.zeros(SR // 4)])  # a silent tail: unvoiced
    with torch.no_grad():
        z = codec.latent(codec.normalize(x[None])[0])
        log_f0, voiced = codec.decoder.pitch_from_latent(z.transpose(1, 2))
    n = z.shape[1] * 4
    padded = torch.nn.functional.pad(codec.normalize(x[None])[0], (0, z.shape[1] * 640 - len(x)))
    f0_yin, v_yin = yin(padded)
    assert log_f0.shape == voiced.shape == (1, n + 1)
    assert torch.equal(voiced[0, :n], v_yin[0, :n])
    assert voiced[0, 10:100].all() and not voiced[0, -10:].any()
    cents = 1200 / math.log(2) * (log_f0[0, :n] - f0_yin[0, :n].log()).abs()[v_yin[0, :n]]
    assert cents.max() < 1.0, cents.max()


def test_explicit_f0_decoder_renders_partials_at_the_latent_pitch() -> None:
    """A latent that says 'voiced, 200 Hz' gives peaks at 200 Hz multiples; 'unvoiced' does not."""
    codec = _explicit_codec()
    dec = codec.decoder
    with torch.no_grad():
        z = torch.zeros(1, 128, 25)
        z[:, :4] = dec.f0_scale * math.log(200 / 150)
        voiced_z, unvoiced_z = z.clone(), z.clone()
        voiced_z[:, 4:8], unvoiced_z[:, 4:8] = dec.f0_scale / 3, -dec.f0_scale / 3
        spectra = []
        for lat in (voiced_z, unvoiced_z):
            out = dec.render(lat)
            wav = out["wav"][0, 0, 2000:-2000]
            spectra.append(torch.fft.rfft(wav * torch.hann_window(len(wav))).abs())
        assert torch.allclose(out["log_f0"], torch.full_like(out["log_f0"], math.log(200)))
    hz = torch.fft.rfftfreq(SR - 4000, 1 / SR)
    at = lambda s, f: s[(hz - f).abs().argmin()]  # noqa: E731
    peaks = torch.stack([at(spectra[0], 200.0 * h) for h in range(1, 6)])
    gaps = torch.stack([at(spectra[0], 200.0 * h + 100) for h in range(1, 6)])
    assert (peaks > 10 * gaps).all(), (peaks, gaps)
    flat = torch.stack(
        [at(spectra[1], 200.0 * h) / at(spectra[1], 200.0 * h + 100) for h in range(1, 6)]
    )
    assert flat.median() < 3
