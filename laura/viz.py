"""Pictures people would rather look at than read: spectrograms of audio outputs, training
curves (one run, or a multi-task training's stages)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
    return _save(fig, out_png, dpi=90)


def read_metrics_csvs(csvs: Sequence[str | Path]) -> dict[str, list[tuple[int, float]]]:
    """Lightning's CSV logs (a run and its resumptions, in order) as ``{key: [(step, value)]}``;
    a step logged twice (a resumption repeats the steps after its checkpoint) keeps the later
    value."""
    import csv

    series: dict[str, dict[int, float]] = {}
    for f in csvs:
        with Path(f).open() as fh:
            for row in csv.DictReader(fh):
                if not row.get("step"):
                    continue
                step = int(float(row["step"]))
                for k, v in row.items():
                    if k not in ("step", "epoch") and v not in ("", None):
                        series.setdefault(k, {})[step] = float(v)
    return {k: sorted(v.items()) for k, v in series.items()}


def plot_task_curves(
    stages: Sequence[tuple[str, Sequence[str | Path]]],
    out_png: str | Path,
    title: str | None = None,
) -> Path:
    """A multi-task training's curves over consecutive stages: each task's validation loss and
    accuracy (``val/<TASK>/loss``, ``val/<TASK>/acc``) and training loss against the steps
    counted over all stages, a dotted line where a stage begins.

    ``stages``: ``(name, metrics CSVs of that stage's run and resumptions)`` in training order.
    Written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), sharex=True)
    colours: dict[str, str] = {}
    offset = 0
    for i, (name, csvs) in enumerate(stages):
        series = read_metrics_csvs(csvs)
        if not series:
            raise ValueError(
                f"stage {name!r}: no logged steps in {', '.join(map(str, csvs)) or 'no files'}"
            )
        last = max(s for values in series.values() for s, _ in values)
        if i:
            for ax in axes:
                ax.axvline(offset, color="grey", linestyle=":", linewidth=1)
        axes[0].text(
            offset, 1.0, f" {name}", transform=axes[0].get_xaxis_transform(), fontsize=8, va="top"
        )
        tasks = sorted(
            {k.split("/")[1] for k in series if k.startswith("val/") and k.count("/") == 2}
        )
        for task in tasks:
            for ax, key in (
                (axes[0], f"train/{task}/loss"),
                (axes[1], f"val/{task}/loss"),
                (axes[2], f"val/{task}/acc"),
            ):
                if key not in series:
                    continue
                xs, ys = zip(*series[key])
                if key.startswith("train/"):  # each logged step is one mixed batch: smooth
                    ys = np.convolve(ys, np.ones(9) / 9, mode="valid") if len(ys) >= 9 else ys
                    xs = xs[len(xs) - len(ys) :]
                line = ax.plot(
                    [offset + x for x in xs],
                    ys,
                    marker=None if key.startswith("train/") else ".",
                    linewidth=0.8 if key.startswith("train/") else 1.5,
                    color=colours.get(task),
                    label=task if i == 0 else None,
                )[0]
                colours.setdefault(task, line.get_color())
        offset += last + 1
    axes[0].set_title("training loss per task (running mean of 9 logs)", fontsize=9)
    axes[0].set_yscale("log")
    axes[1].set_title("validation loss per task", fontsize=9)
    axes[1].set_yscale("log")
    axes[2].set_title("validation token accuracy per task (teacher forcing)", fontsize=9)
    for ax in axes:
        ax.set_xlabel("step (all stages)")
        ax.grid(alpha=0.3)
    axes[2].legend(fontsize=8, ncol=2)
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(fig, out_png, dpi=90)


def metrics_csvs(exp_dir: str | Path) -> list[Path]:
    """An experiment's CSV logs, its first run then each resumption (``logs/version_N``, by N)."""
    found = Path(exp_dir).glob("logs/version_*/metrics.csv")
    return sorted(found, key=lambda p: int(p.parent.name.rpartition("_")[2]))


def plot_curves(csvs: Sequence[str | Path], out_png: str | Path) -> Path | None:
    """Training/validation loss (and accuracy or WER when logged) against steps; a multi-task
    run (``val/<TASK>/acc`` logged) gets :func:`plot_task_curves`' per-task panels instead.

    ``csvs``: the CSV logs of a run and of its resumptions, in order. None when nothing is logged.
    """
    csvs = [f for f in csvs if Path(f).is_file()]
    series = read_metrics_csvs(csvs)
    if not series:
        return None
    if any(k.startswith("val/") and k.endswith("/acc") and k.count("/") == 2 for k in series):
        return plot_task_curves([("", csvs)], out_png)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [k for k in sorted(series) if "loss" in k]
    # Codec runs log many component losses; the second panel keeps the dev quality metrics.
    noise = ("lr", "train/n_q", "train/l1", "train/commit", "train/adv", "train/feat", "train/mel")
    others = [
        k
        for k in sorted(series)
        if k not in keys and k not in noise and not k.startswith("val/mel_")
    ]
    fig, axes = plt.subplots(1, 2 if others else 1, figsize=(11 if others else 6, 4), squeeze=False)
    for k in keys:
        xs, ys = zip(*series[k])
        axes[0][0].plot(xs, ys, label=k, marker="." if "val" in k else None)
    axes[0][0].set_xlabel("step")
    axes[0][0].set_ylabel("loss")
    axes[0][0].set_yscale("log")
    axes[0][0].legend()
    if others:
        for k in others:
            xs, ys = zip(*series[k])
            axes[0][1].plot(xs, ys, label=k, marker=".")
        axes[0][1].set_xlabel("step")
        axes[0][1].legend()
    return _save(fig, out_png, dpi=100)


def _save(fig: Any, out_png: str | Path, dpi: int) -> Path:
    """Write a figure atomically (a reader never sees half a PNG) and close it."""
    import matplotlib.pyplot as plt

    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp.png")
    with warnings.catch_warnings():
        # a Mandarin title without a CJK font draws boxes: one warning per character otherwise
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.tight_layout()
        fig.savefig(tmp, dpi=dpi)
    plt.close(fig)
    os.replace(tmp, out)
    return out
