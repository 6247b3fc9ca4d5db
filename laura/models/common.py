"""Shared pieces of the LightningModules: optimiser and schedule, atomic checkpoints."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO
from torch import nn

from laura.config import OptimConfig


class TokenizerMixin:
    """The experiment's text tokenizer (``cfg.tokenizer.path``), opened when first used: a module
    built only to be trained on features never pays for it."""

    cfg: Any
    _tokenizer: Any = None

    @property
    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            from laura.text.tokenizer import TextTokenizer

            self._tokenizer = TextTokenizer(self.cfg.tokenizer.path)
        return self._tokenizer


def val_prefix(module: L.LightningModule, dataloader_idx: int) -> str:
    """Where a validation loader's figures are logged: ``val/`` in a single-source run,
    ``val/<name>/`` with one name per loader in a multi-source one (``val_names`` of the
    DataModule: the task, or ``<task>.<k>`` when several sources of one task validate)."""
    dm = getattr(module.trainer, "datamodule", None) if module._trainer else None
    if dm is None or len(getattr(dm, "sources", [None])) <= 1:
        return "val/"
    return f"val/{dm.val_names()[dataloader_idx]}/"


def param_groups(module: nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """No weight decay on biases, norms and embedding tables."""
    decay, no_decay = [], []
    for name, p in module.named_parameters():
        if not p.requires_grad:
            continue
        if p.ndim < 2 or "norm" in name.lower() or "embed" in name.lower():
            no_decay.append(p)
        else:
            decay.append(p)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def lr_lambda(cfg: OptimConfig, total_steps: int) -> Any:
    warm = max(1, cfg.warmup_steps)

    def f(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        if cfg.schedule == "constant":
            return 1.0
        if cfg.schedule == "noam":
            return math.sqrt(warm / (step + 1))
        if cfg.schedule == "cosine":
            if total_steps <= warm:
                return 1.0
            t = min(1.0, (step - warm) / (total_steps - warm))
            return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * t))
        raise ValueError(f"optim.schedule={cfg.schedule!r}: use cosine, constant or noam")

    return f


def make_optimizer(module: nn.Module, cfg: OptimConfig, total_steps: int) -> dict[str, Any]:
    opt = torch.optim.AdamW(
        param_groups(module, cfg.weight_decay),
        lr=cfg.lr,
        betas=tuple(cfg.betas),  # type: ignore[arg-type]
    )
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(cfg, total_steps))
    return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def step_seed(seed: int, step: int, rank: int) -> int:
    """The seed of training step ``step`` on ``rank`` (a hash: neighbouring steps share nothing)."""
    import random

    return random.Random(f"laura-step/{seed}/{step}/{rank}").getrandbits(63)


class StepSeed(L.Callback):
    """Reseed the global RNGs before every training step from (seed, step, rank).

    Dropout, SpecAugment, audio-token noise, codec quantizer depth and vocoder group draws then
    depend on where training is, not on what ran before: a run resumed from any checkpoint draws
    what the uninterrupted run drew, whatever validation, data loading or a restart consumed in
    between. (The examples' own randomness is keyed by the sampler's item seeds.)"""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def on_train_batch_start(
        self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int
    ) -> None:
        import random

        import numpy as np

        s = step_seed(self.seed, trainer.global_step, trainer.global_rank)
        torch.manual_seed(s)
        random.seed(s)
        np.random.seed(s % 2**32)


class AtomicCheckpointIO(TorchCheckpointIO):
    """Write to a temporary file and rename: a crash never leaves a torn checkpoint."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: Any, storage_options: Any = None
    ) -> None:
        import shutil

        from laura.io import atomic_path

        try:
            with atomic_path(path) as tmp:
                torch.save(checkpoint, tmp)
        except RuntimeError as err:
            # torch reports a failed write (a full disk, a quota) as a RuntimeError from its
            # stream writer: made an OSError that says so in one line (`laura train` prints it)
            if "write" not in str(err):
                raise
            free = shutil.disk_usage(Path(path).parent).free / 2**20
            first = str(err).strip().splitlines()[-1]
            raise OSError(
                f"{path}: checkpoint not written ({first}; {free:.0f} MiB free on its disk); "
                "the previous checkpoint is as it was"
            ) from None

    def load_checkpoint(
        self, path: Any, map_location: Any = None, weights_only: bool | None = None
    ) -> dict[str, Any]:
        # A checkpoint is data, never code (whatever the caller asks).
        from laura.checkpoints import read_checkpoint

        return read_checkpoint(path, map_location=map_location or "cpu")


class FiniteTraining(L.Callback):
    """Stop at the first NaN/Inf input feature or loss, naming the step and the utterances.

    Checked before the backward pass, so no optimiser step is taken with it and the last
    checkpoint on disk stays the last good one. (NaN/Inf audio is named by file when it is read:
    see ``TaskDataset``.)"""

    def __init__(self) -> None:
        self._ids: list[str] = []

    def on_train_batch_start(
        self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int
    ) -> None:
        from laura.errors import TrainingError

        self._ids = list(batch.get("ids") or []) if isinstance(batch, dict) else []
        for key in ("feats", "wav"):
            x = batch.get(key) if isinstance(batch, dict) else None
            if (
                isinstance(x, torch.Tensor)
                and x.is_floating_point()
                and not torch.isfinite(x).all()
            ):
                raise TrainingError(
                    f"step {trainer.global_step}: NaN/Inf in the input {key} of utterances "
                    f"{self._named()}; training stopped (the last checkpoint is unchanged)"
                )

    def on_before_backward(self, trainer: Any, pl_module: Any, loss: torch.Tensor) -> None:
        from laura.errors import TrainingError

        if not torch.isfinite(loss).all():
            raise TrainingError(
                f"step {trainer.global_step}: loss is {loss.detach().float().item()} on "
                f"utterances {self._named()}; training stopped (the last checkpoint is unchanged)"
            )

    def _named(self) -> str:
        return ", ".join(self._ids[:4]) + (
            f" (+{len(self._ids) - 4})" if len(self._ids) > 4 else ""
        )
