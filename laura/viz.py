"""Pictures people would rather look at than read: spectrograms of audio outputs."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch


def log_spectrogram(wav: np.ndarray | torch.Tensor, n_fft: int = 512, hop: int = 128) -> np.ndarray:
    """dB magnitude (bins, frames) with a Hann window."""
    x = torch.as_tensor(np.asarray(wav, dtype=np.float32))
    spec = torch.stft(x, n_fft, hop, window=torch.hann_window(n_fft), return_complex=True).abs()
    return (20 * torch.log10(spec + 1e-5)).numpy()


def save_spectrograms(
    panels: Sequence[tuple[str, np.ndarray | torch.Tensor]],
    out_png: str | Path,
    sample_rate: int = 16000,
    title: str | None = None,
) -> Path:
    """One row per (label, waveform), shared colour scale (80 dB below the loudest panel);
    written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    specs = [(label, log_spectrogram(w)) for label, w in panels]
    top = max(float(s.max()) for _, s in specs)
    fig, axes = plt.subplots(len(specs), 1, figsize=(9, 1.9 * len(specs)), squeeze=False)
    for ax, (label, s) in zip(axes[:, 0], specs):
        seconds = s.shape[1] * 128 / sample_rate
        ax.imshow(
            s,
            origin="lower",
            aspect="auto",
            vmin=top - 80,
            vmax=top,
            cmap="magma",
            extent=(0, seconds, 0, sample_rate / 2000),
        )
        ax.set_ylabel("kHz")
        ax.set_title(label, fontsize=9, loc="left")
    axes[-1, 0].set_xlabel("seconds")
    if title:
        fig.suptitle(title, fontsize=10)
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp.png")
    with warnings.catch_warnings():
        # a Mandarin title without a CJK font draws boxes: one warning per character otherwise
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.tight_layout()
        fig.savefig(tmp, dpi=90)
    plt.close(fig)
    os.replace(tmp, out)
    return out
