"""Audio front end: Kaldi fbank -> low frame rate (LFR) stacking -> global CMVN -> SpecAugment.

Semantics follow FunASR's `WavFrontend` (the front end of the LauraGPT paper family):
80-dim log-mel fbank every 10 ms, 7 frames stacked every 6 frames -> 560-dim features every 60 ms,
then a global mean/variance normalisation whose statistics can be stored in FunASR's `am.mvn`.

`fbank`, `apply_lfr` and `WavFrontend` are cheap, parameter-free and picklable: run them in
data-loader workers. `GlobalCMVN` and `SpecAugment` are modules that live in the model (CMVN stats
are saved with the checkpoint).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from laura.errors import DataError
from laura.io import atomic_write_text
from laura.nn.masks import make_pad_mask


@dataclass
class FrontendConfig:
    sample_rate: int = 16000
    n_mels: int = 80
    frame_length_ms: float = 25.0
    frame_shift_ms: float = 10.0
    window: str = "hamming"
    # Dither is added only in training (FunASR trains with 1.0); inference is deterministic.
    dither: float = 1.0
    lfr_m: int = 7  # frames stacked per LFR frame
    lfr_n: int = 6  # hop between LFR frames (60 ms)

    @property
    def feat_dim(self) -> int:
        return self.n_mels * self.lfr_m

    @property
    def window_samples(self) -> int:
        return int(self.sample_rate * self.frame_length_ms / 1000)

    @property
    def shift_samples(self) -> int:
        return int(self.sample_rate * self.frame_shift_ms / 1000)


# ---------------------------------------------------------------------------------------------
# fbank and LFR (pure functions)
# ---------------------------------------------------------------------------------------------


def num_fbank_frames(num_samples: int, cfg: FrontendConfig) -> int:
    """Number of fbank frames Kaldi produces (snip_edges=True) for `num_samples` samples."""
    if num_samples < cfg.window_samples:
        return 0
    return 1 + (num_samples - cfg.window_samples) // cfg.shift_samples


def num_lfr_frames(num_fbank: int, lfr_n: int) -> int:
    """Number of LFR frames for `num_fbank` fbank frames: ceil(T / n)."""
    return math.ceil(num_fbank / lfr_n)


def fbank(wav: Tensor, cfg: FrontendConfig, train: bool = False) -> Tensor:
    """Kaldi log-mel fbank of a mono waveform in [-1, 1]: (T,) -> (frames, n_mels)."""
    # Imported lazily: torchaudio is only needed where features are computed (data workers).
    import torchaudio.compliance.kaldi as kaldi

    if wav.dim() != 1:
        raise ValueError(f"fbank expects a 1-D waveform, got shape {tuple(wav.shape)}")
    if wav.numel() < cfg.window_samples:
        return wav.new_zeros(0, cfg.n_mels, dtype=torch.float32)
    # Kaldi (and FunASR's models) work on 16-bit integer scale samples.
    x = wav.to(torch.float32).unsqueeze(0) * 32768.0
    return kaldi.fbank(
        x,
        num_mel_bins=cfg.n_mels,
        frame_length=cfg.frame_length_ms,
        frame_shift=cfg.frame_shift_ms,
        dither=cfg.dither if train else 0.0,
        energy_floor=0.0,
        window_type=cfg.window,
        sample_frequency=cfg.sample_rate,
    )


def apply_lfr(feats: Tensor, m: int, n: int) -> Tensor:
    """FunASR low-frame-rate stacking: (T, D) -> (ceil(T / n), D * m).

    The sequence is left-padded with (m - 1) // 2 copies of the first frame; output frame i
    concatenates padded frames [i * n, i * n + m), and windows running past the end repeat the
    last frame. Equivalently: original frame index clamp(i * n + j - (m - 1) // 2, 0, T - 1).
    """
    t, d = feats.shape
    if t == 0:
        return feats.new_zeros(0, d * m)
    t_out = math.ceil(t / n)
    starts = torch.arange(t_out, device=feats.device) * n - (m - 1) // 2
    idx = (starts[:, None] + torch.arange(m, device=feats.device)[None, :]).clamp_(0, t - 1)
    return feats[idx].reshape(t_out, m * d)


class WavFrontend:
    """Waveform -> fbank -> LFR features (no CMVN: that lives in the model as `GlobalCMVN`).

    A plain picklable callable for data-loader workers. `train=True` enables dither.
    """

    def __init__(self, cfg: FrontendConfig | None = None) -> None:
        self.cfg = cfg or FrontendConfig()

    @property
    def feat_dim(self) -> int:
        return self.cfg.feat_dim

    def num_frames(self, num_samples: int) -> int:
        """Number of LFR frames for a waveform of `num_samples` samples (for length bucketing)."""
        return num_lfr_frames(num_fbank_frames(num_samples, self.cfg), self.cfg.lfr_n)

    def __call__(self, wav: Tensor | np.ndarray, train: bool = False) -> Tensor:
        if isinstance(wav, np.ndarray):
            wav = torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32))
        feats = fbank(wav, self.cfg, train=train)
        return apply_lfr(feats, self.cfg.lfr_m, self.cfg.lfr_n)

    def __repr__(self) -> str:
        return f"WavFrontend({self.cfg})"


# ---------------------------------------------------------------------------------------------
# Global CMVN
# ---------------------------------------------------------------------------------------------


def accumulate_cmvn_stats(
    feature_iter: Iterable[Tensor | np.ndarray],
) -> tuple[Tensor, Tensor, int]:
    """Sum, sum of squares (float64, shape (D,)) and frame count over (T, D) feature matrices."""
    total: Tensor | None = None
    total_sq: Tensor | None = None
    count = 0
    for feats in feature_iter:
        f = torch.as_tensor(feats).to(torch.float64)
        if f.dim() != 2:
            raise ValueError(f"expected (T, D) features, got shape {tuple(f.shape)}")
        if total is None:
            total = torch.zeros(f.shape[1], dtype=torch.float64)
            total_sq = torch.zeros(f.shape[1], dtype=torch.float64)
        total += f.sum(0)
        total_sq += (f * f).sum(0)
        count += f.shape[0]
    if total is None or total_sq is None:
        raise ValueError("accumulate_cmvn_stats: no features given")
    return total, total_sq, count


def _bracket_values(tokens: list[str], tag: str) -> list[float]:
    """Floats inside the first [ ... ] following `tag` in a Kaldi-nnet text file."""
    try:
        i = tokens.index(tag)
        start = tokens.index("[", i)
        end = tokens.index("]", start)
    except ValueError as e:
        raise ValueError(f"am.mvn: no {tag} [ ... ] block found") from e
    return [float(v) for v in tokens[start + 1 : end]]


class GlobalCMVN(nn.Module):
    """Per-dimension global mean/variance normalisation: (x - mean) * istd on every frame."""

    mean: Tensor
    istd: Tensor

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim
        # Identity until stats are loaded; buffers so they travel with checkpoints.
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("istd", torch.ones(dim))

    def forward(self, x: Tensor, lengths: Tensor | None = None) -> Tensor:
        """Normalise (..., D). With `lengths` for a (B, T, D) batch, padded frames are set to 0."""
        y = (x - self.mean) * self.istd
        if lengths is not None:
            y = y.masked_fill(make_pad_mask(lengths, x.shape[1]).unsqueeze(-1), 0.0)
        return y

    def extra_repr(self) -> str:
        return f"dim={self.dim}"

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_mean_istd(cls, mean: Tensor | np.ndarray, istd: Tensor | np.ndarray) -> GlobalCMVN:
        mean_t = torch.as_tensor(mean, dtype=torch.float32).flatten()
        istd_t = torch.as_tensor(istd, dtype=torch.float32).flatten()
        if mean_t.shape != istd_t.shape:
            raise ValueError(f"mean {tuple(mean_t.shape)} and istd {tuple(istd_t.shape)} differ")
        cmvn = cls(mean_t.numel())
        cmvn.mean.copy_(mean_t)
        cmvn.istd.copy_(istd_t)
        return cmvn

    @classmethod
    def from_stats(
        cls,
        sum: Tensor | np.ndarray,
        sum_sq: Tensor | np.ndarray,
        count: int,
        var_floor: float = 1e-10,
    ) -> GlobalCMVN:
        """Build from `accumulate_cmvn_stats` output. `var_floor` guards constant dimensions."""
        if count <= 0:
            raise ValueError("GlobalCMVN.from_stats: count must be positive")
        s = torch.as_tensor(sum, dtype=torch.float64)
        s2 = torch.as_tensor(sum_sq, dtype=torch.float64)
        mean = s / count
        var = (s2 / count - mean * mean).clamp(min=var_floor)
        return cls.from_mean_istd(mean, var.rsqrt())

    # -- JSON (our format: human readable) ------------------------------------------------------

    def save(self, path: str | Path) -> None:
        data = {
            "format": "laura-global-cmvn",
            "dim": self.dim,
            "mean": self.mean.detach().cpu().tolist(),
            "istd": self.istd.detach().cpu().tolist(),
        }
        if not (torch.isfinite(self.mean).all() and torch.isfinite(self.istd).all()):
            raise DataError(f"{path}: not written: the CMVN statistics hold NaN/Inf")
        atomic_write_text(path, json.dumps(data, indent=1) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> GlobalCMVN:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            cmvn = cls.from_mean_istd(data["mean"], data["istd"])
        except FileNotFoundError:
            raise DataError(f"{path}: CMVN file not found") from None
        except (ValueError, KeyError, TypeError) as err:  # torn, truncated or not ours
            raise DataError(
                f"{path}: not a readable CMVN file ({type(err).__name__}: {err}); delete it to "
                "recompute the statistics"
            ) from None
        if not (torch.isfinite(cmvn.mean).all() and torch.isfinite(cmvn.istd).all()):
            raise DataError(f"{path}: CMVN statistics hold NaN/Inf; delete it to recompute them")
        return cmvn

    # -- FunASR / Kaldi-nnet am.mvn -------------------------------------------------------------

    @classmethod
    def load_kaldi_am_mvn(cls, path: str | Path) -> GlobalCMVN:
        """Read FunASR's `am.mvn`: <AddShift> holds -mean, <Rescale> holds istd."""
        # Tokenise the whole file so both one-line and wrapped vectors parse.
        tokens = re.sub(r"([\[\]])", r" \1 ", Path(path).read_text(encoding="utf-8")).split()
        shift = _bracket_values(tokens, "<AddShift>")
        scale = _bracket_values(tokens, "<Rescale>")
        return cls.from_mean_istd(-torch.tensor(shift, dtype=torch.float64), scale)

    def write_kaldi_am_mvn(self, path: str | Path) -> None:
        """Write FunASR's `am.mvn` (Kaldi nnet1 text: Splice [0], AddShift, Rescale)."""
        d = self.dim
        # 9 significant digits round-trip float32 exactly.
        shift = " ".join(f"{-v:.9g}" for v in self.mean.detach().cpu().tolist())
        scale = " ".join(f"{v:.9g}" for v in self.istd.detach().cpu().tolist())
        text = (
            "<Nnet>\n"
            f"<Splice> {d} {d}\n"
            "[ 0 ]\n"
            f"<AddShift> {d} {d}\n"
            f"<LearnRateCoef> 0 [ {shift} ]\n"
            f"<Rescale> {d} {d}\n"
            f"<LearnRateCoef> 0 [ {scale} ]\n"
            "</Nnet>\n"
        )
        Path(path).write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# SpecAugment (on LFR features, training only)
# ---------------------------------------------------------------------------------------------


@dataclass
class SpecAugConfig:
    # Widths are drawn uniformly from 0..max inclusive, one width per mask.
    freq_mask_width: int = 30
    num_freq_masks: int = 2
    time_mask_width: int = 12
    num_time_masks: int = 2
    # LFR features stack lfr_m mel vectors: a frequency mask hits the same mel band in each of
    # them (FunASR SpecAugLFR). Set 1 to mask the flat feature axis instead.
    lfr_m: int = 7
    fill_value: float = 0.0  # 0 = the global mean after CMVN


def _band_mask(
    size: Tensor | int, max_width: int, num: int, batch: int, extent: int, device: torch.device
) -> Tensor:
    """(batch, extent) bool: union of `num` random bands per row within [0, size_b)."""
    if num <= 0 or max_width <= 0 or extent == 0:
        return torch.zeros(batch, extent, dtype=torch.bool, device=device)
    size_t = torch.as_tensor(size, device=device).expand(batch).unsqueeze(1)  # (B, 1)
    width = torch.randint(0, max_width + 1, (batch, num), device=device)
    width = torch.minimum(width, size_t)
    # Start uniform in [0, size - width]: the band always lies within the valid extent.
    start = (torch.rand(batch, num, device=device) * (size_t - width + 1)).floor().long()
    pos = torch.arange(extent, device=device)[None, None, :]
    band = (pos >= start[..., None]) & (pos < (start + width)[..., None])
    return band.any(dim=1)


class SpecAugment(nn.Module):
    """Frequency and time masking on (B, T, D) features within each utterance's valid length."""

    def __init__(self, cfg: SpecAugConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or SpecAugConfig()

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        if not self.training:
            return x
        cfg = self.cfg
        b, t, d = x.shape
        if d % cfg.lfr_m != 0:
            raise ValueError(f"feature dim {d} is not a multiple of lfr_m={cfg.lfr_m}")
        sub = d // cfg.lfr_m
        freq = _band_mask(sub, cfg.freq_mask_width, cfg.num_freq_masks, b, sub, x.device)
        freq = freq.repeat(1, cfg.lfr_m)  # same mel band in every stacked frame: (B, D)
        time = _band_mask(lengths, cfg.time_mask_width, cfg.num_time_masks, b, t, x.device)
        valid = ~make_pad_mask(lengths, t)
        mask = (freq[:, None, :] | time[:, :, None]) & valid[:, :, None]
        return x.masked_fill(mask, cfg.fill_value)

    def extra_repr(self) -> str:
        return str(self.cfg)
