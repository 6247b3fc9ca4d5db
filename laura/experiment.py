"""The experiment directory: what may be written into an ``exp_dir``, and when.

A new or empty directory is taken. One trained with the same config (up to budgets, logging and
decoding settings: ``RESUMABLE_KEYS``) is continued. One trained with another config is refused
before anything is written, naming the keys that differ, unless the user asks to start afresh:
then it is moved aside to ``<exp>.replaced-<time>`` (nothing is deleted).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from laura.config import move_renamed_keys, to_container
from laura.errors import ExperimentError

# Keys a re-run may change and still continue the same experiment: budgets, logging cadence and
# decoding settings. Any other difference means another experiment.
RESUMABLE_KEYS = (
    "exp_dir",
    "trainer.max_steps",
    "trainer.max_epochs",
    "trainer.max_time",
    "trainer.enable_progress_bar",
    "trainer.log_every_n_steps",
    "trainer.checkpoint_every_n_steps",
    "trainer.val_check_interval",
    "trainer.limit_val_batches",
    "data.num_workers",
    "decode.",
)


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """A nested config as ``{"a.b.c": value}``."""
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for k, v in tree.items():
            out.update(flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: tree}


def config_differences(saved: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """``key: old -> new`` for every key that differs, except the resumable ones."""
    a, b = flatten(saved), flatten(new)
    diffs = []
    for k in sorted(set(a) | set(b)):
        if any(k == r or (r.endswith(".") and k.startswith(r)) for r in RESUMABLE_KEYS):
            continue
        if a.get(k, "<absent>") != b.get(k, "<absent>") and not _same_file(a.get(k), b.get(k)):
            diffs.append(f"{k}: {a.get(k, '<absent>')} -> {b.get(k, '<absent>')}")
    return diffs


def _same_file(x: Any, y: Any) -> bool:
    """Two spellings of one existing path (``exp/cmvn.json`` and its absolute form): the same
    config, so a run resumed from its absolute path is not refused."""
    if not (isinstance(x, str) and isinstance(y, str) and x and y):
        return False
    try:
        return os.path.samefile(x, y)
    except (OSError, ValueError):
        return False


def schedule_stretch_note(saved: dict[str, Any], new: dict[str, Any]) -> str | None:
    """What a changed ``trainer.max_steps`` does to a resumed run's learning rate, or None.

    The cosine schedule is a function of the step budget, so continuing with another budget
    moves the rate at the resumed step (after a finished run: from the floor back up)."""
    a, b = flatten(saved), flatten(new)
    old_steps, new_steps = a.get("trainer.max_steps"), b.get("trainer.max_steps")
    if old_steps == new_steps or b.get("optim.schedule") != "cosine":
        return None
    return (
        f"trainer.max_steps {old_steps} -> {new_steps}: the cosine learning-rate schedule is "
        f"recomputed for {new_steps} steps, so the rate at the resumed step is the new "
        "schedule's, not a continuation of the old curve"
    )


def is_main_process() -> bool:
    """Rank 0 of node 0 (``ddp`` re-launches this script for the other ranks)."""
    return (
        int(os.environ.get("LOCAL_RANK", "0")) == 0 and int(os.environ.get("NODE_RANK", "0")) == 0
    )


def claim_experiment(cfg: Any, exp: Path, fresh: bool = False) -> None:
    """Make sure training ``cfg`` into ``exp`` damages nothing; call before anything is written
    there (see the module doc). ``fresh``: move an experiment trained with another config aside."""
    from omegaconf import OmegaConf

    saved_path = exp / "config.yaml"
    if not saved_path.is_file():
        if fresh and exp.is_dir() and any(exp.iterdir()) and is_main_process():
            _move_aside(exp)
        return
    if not is_main_process():
        return  # a re-launched DDP rank: rank 0 checked and wrote this config
    try:
        saved = OmegaConf.to_container(OmegaConf.load(saved_path), resolve=True)
        saved = move_renamed_keys(saved, str(saved_path), stored=True)  # type: ignore[arg-type]
    except Exception as err:  # a torn or hand-edited file: not ours to judge, nor to overwrite
        raise ExperimentError(
            f"{saved_path}: unreadable ({err}); use --fresh to start anew"
        ) from None
    new = to_container(cfg)
    diffs = config_differences(saved, new)  # type: ignore[arg-type]
    if not diffs:
        note = schedule_stretch_note(saved, new)  # type: ignore[arg-type]
        if note:
            print(f"{exp}: {note}")
        return
    if not fresh:
        shown = "; ".join(diffs[:8]) + (f"; ... ({len(diffs)} keys)" if len(diffs) > 8 else "")
        raise ExperimentError(
            f"{exp}: trained with another config ({shown}); nothing was changed. Choose another "
            "exp_dir, or pass --fresh to move this experiment aside and start anew"
        )
    _move_aside(exp)


def _move_aside(exp: Path) -> None:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    dest = exp.with_name(f"{exp.name}.replaced-{stamp}")
    os.replace(exp, dest)
    exp.mkdir(parents=True)
    print(f"--fresh: the previous {exp} is now {dest}")
