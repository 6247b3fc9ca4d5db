"""Frequency-domain encoder and decoder with the same 25 Hz token interface as SEANet.

The FunCodec paper also builds codecs on spectra (FreqCodec). On a 2-core CPU this variant trains
far faster than SEANet from scratch (``../shared/design/environment.md``: PESQ 1.84 after 10
minutes where a small SEANet collapsed), so the mini recipe uses it. Encoder: STFT log-magnitude
every 10 ms -> ConvNeXt blocks -> stride-4 conv to 25 Hz and the codec latent. Decoder: latent ->
stride-4 transposed conv -> ConvNeXt blocks -> magnitude and phase -> inverse STFT (as Vocos).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from laura.nn.codec.pitch import yin


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
    """Waveform (B, 1, T) -> latent (B, dim, ceil(T / hop)), hop = stft_hop * 4.

    ``pitch``: the encoder also reads YIN's F0 and voicing per STFT frame, so that the tokens
    carry pitch precisely enough for the harmonic decoder (parametric codecs such as Codec2 and
    LPCNet's transmit pitch explicitly; learnt from the spectrum alone it stayed ~1 semitone off).

    ``explicit_f0``: the first ``2 * down`` latent channels are YIN itself, quantised with the rest:
    ``f0_scale * log(F0 / 150)`` (0 when unvoiced) and ``f0_scale / 3 * (+1 voiced, -1 not)`` per
    STFT frame. Learnt pitch stayed 40-70 cents off even with YIN as input, and a partial h x F0
    misses by h times that; the quantiser keeps these channels to a few cents (``f0_scale``)."""

    def __init__(
        self,
        dim: int = 128,
        hidden: int = 256,
        n_blocks: int = 4,
        n_fft: int = 640,
        stft_hop: int = 160,
        down: int = 4,
        pitch: bool = False,
        sample_rate: int = 16000,
        explicit_f0: bool = False,
        f0_scale: float = 10.0,
    ) -> None:
        super().__init__()
        self.n_fft, self.stft_hop, self.down = n_fft, stft_hop, down
        self.pitch, self.sample_rate = pitch, sample_rate
        self.explicit_f0, self.f0_scale = explicit_f0, f0_scale
        if explicit_f0 and (not pitch or dim <= 2 * down):
            raise ValueError("explicit_f0 needs pitch input and more than 2 * down latent channels")
        if pitch:  # YIN log F0 and voicing as two more input channels, added after proj_in
            self.pitch_in = nn.Conv1d(2, hidden, 7, padding=3)
            nn.init.zeros_(self.pitch_in.weight)
            nn.init.zeros_(self.pitch_in.bias)
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
        if self.pitch:
            f0, voiced = yin(x, self.sample_rate, self.stft_hop)
            v = voiced[:, : h.shape[-1]].to(h.dtype)
            log_f0 = torch.log(f0[:, : h.shape[-1]] / 150) * v
            h = h + self.pitch_in(torch.stack([log_f0, v], 1))
        h = self.blocks(self.norm_in(h.transpose(1, 2)).transpose(1, 2))
        h = self.norm(h.transpose(1, 2)).transpose(1, 2)
        z = self.proj_out(h)
        if self.explicit_f0:  # STFT frame 4t + j -> channels j (log F0), 4 + j (voicing) at t
            sub = lambda a: a.reshape(a.shape[0], frames, self.down).transpose(1, 2)  # noqa: E731
            pitch_ch = torch.cat(
                [sub(log_f0) * self.f0_scale, sub(2 * v - 1) * self.f0_scale / 3], 1
            )
            z = torch.cat([pitch_ch.to(z.dtype), z[:, pitch_ch.shape[1] :]], 1)
        return z


class FreqDecoder(nn.Module):
    """Latent (B, dim, F) -> waveform (B, 1, F * hop) through magnitude, phase and inverse STFT."""

    def __init__(
        self,
        dim: int = 128,
        hidden: int = 256,
        n_blocks: int = 6,
        n_fft: int = 640,
        stft_hop: int = 160,
        up: int = 4,
        harmonic: bool = False,
        sample_rate: int = 16000,
        fmin: float = 50.0,
        fmax: float = 600.0,
        explicit_f0: bool = False,
        f0_scale: float = 10.0,
        harmonic_max_hz: float = 2500.0,
    ) -> None:
        super().__init__()
        self.explicit_f0, self.f0_scale = explicit_f0, f0_scale
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
        self.harmonic = harmonic
        self.sample_rate, self.fmin, self.fmax = sample_rate, fmin, fmax
        if harmonic and explicit_f0:
            # Voiced frames below harmonic_max_hz are partials only, on the magnitude head's
            # envelope times a per-bin gain (1.5 at init: the smooth envelope spreads a partial's
            # energy over the bins between partials). Fixed, not learnt: the regression losses
            # score a smeared spectrum better than slightly misplaced partials, PESQ the reverse
            # (egs/mini/codec/RESULTS.md).
            self.gain_head = nn.Linear(hidden, n_fft // 2 + 1)
            nn.init.zeros_(self.gain_head.weight)
            nn.init.constant_(self.gain_head.bias, math.log(1.5))
            band = torch.arange(n_fft // 2 + 1) * sample_rate / n_fft < harmonic_max_hz
            self.register_buffer("band", band.float()[None, :, None], persistent=False)
        elif harmonic:  # per-bin harmonic amplitude + log F0
            self.harm_head = nn.Linear(hidden, n_fft // 2 + 2)
            # Starts faint (magnitude 1, ~30 dB under voiced peaks of unit-RMS speech) but not
            # far below in log units: Adam moves a log-amplitude about lr per step.
            nn.init.zeros_(self.harm_head.weight)
            nn.init.zeros_(self.harm_head.bias)

    def forward(self, latent: Tensor) -> Tensor:
        return self.render(latent)["wav"]

    def render(self, latent: Tensor, f0: Tensor | None = None) -> dict[str, Tensor]:
        """Latent (B, dim, F) -> {"wav": (B, 1, F * hop)} plus, when harmonic, ``log_f0``
        (B, F * up + 1) per STFT frame: predicted, or with ``explicit_f0`` read from the latent
        (then also ``voiced``). ``f0`` (Hz, same frames) replaces a predicted F0 in the synthesis
        (teacher forcing in training); explicit F0 ignores it."""
        h = self.upsample(self.proj_in(latent))
        h = self.blocks(self.norm_in(h.transpose(1, 2)).transpose(1, 2))
        h = F.pad(h, (0, 1), mode="replicate")  # F*up + 1 frames -> exactly F*hop samples
        h = self.norm(h.transpose(1, 2))
        log_mag, phase = self.head(h).transpose(1, 2).chunk(2, dim=1)
        spec = torch.polar(torch.exp(log_mag.clamp(max=6.0)), phase)
        out: dict[str, Tensor] = {}
        if self.harmonic and self.explicit_f0:
            log_f0, voiced = self.pitch_from_latent(latent)
            log_gain = self.gain_head(h).transpose(1, 2)
            harm = voiced[:, None].to(latent.dtype) * self.band  # (B, K, N): partials here
            harm_amp = spec.abs() * torch.exp(log_gain.clamp(max=3.0)) * harm
            spec = spec * (1 - harm) + harmonic_spectrum(
                harm_amp, log_f0.exp(), self.n_fft, self.stft_hop, self.sample_rate
            )
            out["log_f0"], out["voiced"] = log_f0, voiced
        elif self.harmonic:
            hh = self.harm_head(h).transpose(1, 2)
            log_amp, raw = hh[:, :-1], hh[:, -1]
            lo, hi = math.log(self.fmin), math.log(self.fmax)
            out["log_f0"] = lo + (hi - lo) * torch.sigmoid(raw)
            f0_syn = out["log_f0"].detach().exp() if f0 is None else f0
            spec = spec + harmonic_spectrum(
                torch.exp(log_amp.clamp(max=6.0)),
                f0_syn,
                self.n_fft,
                self.stft_hop,
                self.sample_rate,
            )
        length = latent.shape[-1] * self.hop_length
        wav = torch.istft(spec, self.n_fft, self.stft_hop, window=self.window, length=length)
        out["wav"] = wav.unsqueeze(1)
        return out

    def pitch_from_latent(self, latent: Tensor) -> tuple[Tensor, Tensor]:
        """The explicit pitch channels of a latent (B, dim, F) -> (log F0 (B, F * up + 1) clamped
        to [fmin, fmax], voiced (B, F * up + 1) bool), one value per STFT frame (FreqEncoder)."""
        b, n = latent.shape[0], latent.shape[-1] * self.up
        frames = lambda c: F.pad(c.transpose(1, 2).reshape(b, 1, n), (0, 1), mode="replicate")[:, 0]  # noqa: E731
        log_f0 = frames(latent[:, : self.up]) / self.f0_scale + math.log(150.0)
        voiced = frames(latent[:, self.up : 2 * self.up]) > 0
        return log_f0.clamp(math.log(self.fmin), math.log(self.fmax)), voiced


def harmonic_spectrum(amp: Tensor, f0: Tensor, n_fft: int, hop: int, sample_rate: int) -> Tensor:
    """The STFT (Hann window, ``center=True``) of a harmonic signal: amp (B, K, N) per bin, f0
    (B, N) in Hz per frame -> complex (B, K, N).

    Each bin takes the nearest harmonic h of f0: magnitude amp x the Hann main lobe at the bin's
    distance from h * f0, phase h x the running fundamental phase minus pi x bin (the phase
    torch.stft gives a cosine). Frames then overlap-add into continuous partials, which a
    regression loss alone does not teach a decoder that predicts each bin's phase freely."""
    k = torch.arange(amp.shape[1], device=amp.device, dtype=amp.dtype)[None, :, None]
    f0 = f0.detach().clamp(min=1.0)[:, None, :]
    bin_hz = sample_rate / n_fft
    h = torch.round(k * bin_hz / f0).clamp(min=1)
    x = (k * bin_hz - h * f0) / bin_hz  # distance in bins
    near1 = (x.abs() - 1).abs() < 1e-4
    lobe = torch.where(
        near1, torch.full_like(x, 0.5), torch.sinc(x) / (1 - x.pow(2) + near1.float())
    )
    lobe = lobe * (x.abs() < 2) * (h * f0 < sample_rate / 2)
    step = 2 * math.pi * hop / sample_rate * 0.5 * (f0[..., 1:] + f0[..., :-1])
    phi = torch.remainder(F.pad(step.cumsum(-1), (1, 0)), 2 * math.pi)  # fundamental at frame t
    phase = h * phi - math.pi * k
    return torch.polar(amp * lobe.clamp(min=0), phase)
