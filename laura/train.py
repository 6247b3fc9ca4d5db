"""The one training entry, for every kind: config -> checked data -> LightningModule ->
Trainer.fit (resumable) -> export. What differs between kinds is asked of the kind
(``laura.models.kinds``); what may be written into ``exp_dir`` is ``laura.experiment``'s rule.

Outputs in ``exp_dir``: config.yaml (resolved), cmvn.json, checkpoints/ (last.ckpt resumes),
logs/version_N/metrics.csv (one per run or resume) and curves.png, and the kind's export
(model.safetensors, what ``laura decode`` reads; encoder.safetensors after CTC pre-training;
codec/ or vocoder/ dirs).
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

from laura.config import save_config, to_object
from laura.errors import ConfigError
from laura.experiment import claim_experiment


def train(cfg: Any, callbacks: list[Any] | None = None, fresh: bool = False) -> Path:
    """Train as configured (``cfg``: a loaded config, ``laura.models.kinds.load_config``);
    ``callbacks`` are extra Lightning callbacks (hooks for tools and tests); ``fresh`` moves an
    experiment trained with another config aside instead of refusing."""
    import lightning as L

    from laura.models.kinds import get_kind
    from laura.viz import metrics_csvs, plot_curves

    # Our DataModules resume mid-epoch themselves (sampler state in the checkpoint).
    warnings.filterwarnings(
        "ignore", message=".*resuming from a checkpoint that ended before the epoch.*"
    )
    cfg = copy.deepcopy(to_object(cfg))  # derived values are filled in: not the caller's
    kind = get_kind(cfg.kind)
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    exp = Path(cfg.exp_dir)
    ready = kind.prepare(cfg)  # derived values are part of the config claimed and saved
    claim_experiment(cfg, exp, fresh)
    exp.mkdir(parents=True, exist_ok=True)
    kind.load_data(cfg, exp, ready)
    save_config(cfg, exp / "config.yaml")
    module = kind.build(cfg, ready)
    kind.initialise(module, cfg, ready)
    datamodule = kind.datamodule(cfg, ready, module)
    trainer = make_trainer(
        cfg.trainer,
        exp,
        callbacks,
        kind.steps_per_batch(module),
        manual_optimization=not module.automatic_optimization,
        seed=cfg.seed,
    )
    fit_resumable(trainer, module, datamodule, exp)
    if trainer.is_global_zero:
        kind.export(module, exp, trainer)
        plot_curves(metrics_csvs(exp), exp / "curves.png")
    return exp


# TrainerConfig fields passed to Lightning's Trainer as they are (same name, same meaning)
TRAINER_ARGS = (
    "accelerator",
    "devices",
    "num_nodes",
    "strategy",
    "precision",
    "max_epochs",
    "max_time",
    "accumulate_grad_batches",
    "val_check_interval",
    "check_val_every_n_epoch",
    "limit_val_batches",
    "log_every_n_steps",
    "num_sanity_val_steps",
    "enable_progress_bar",
    "deterministic",
)


def make_trainer(
    t: Any,
    exp: Path,
    callbacks: list[Any] | None = None,
    steps_per_batch: int = 1,
    manual_optimization: bool = False,
    seed: int = 0,
) -> Any:
    """A Lightning Trainer from a TrainerConfig: CSV logs, last.ckpt every N steps, atomic writes.

    ``steps_per_batch``: Lightning counts each optimizer step (a GAN makes two per batch), so
    step budgets in the config, which count batches, are scaled by it. A module that steps its
    optimizers itself (``manual_optimization``) clips its own gradients."""
    import lightning as L
    from lightning.pytorch.callbacks import ModelCheckpoint
    from lightning.pytorch.loggers import CSVLogger

    from laura.models.common import AtomicCheckpointIO, FiniteTraining, StepSeed

    k = steps_per_batch
    if t.max_steps == 0 or (t.max_steps < 0 and not t.max_epochs and not t.max_time):
        raise ConfigError(
            f"trainer.max_steps={t.max_steps}: nothing would be trained (give a positive "
            "trainer.max_steps, or trainer.max_epochs / trainer.max_time)"
        )
    return L.Trainer(
        **{name: getattr(t, name) for name in TRAINER_ARGS},
        max_steps=t.max_steps * k if t.max_steps > 0 else t.max_steps,
        gradient_clip_val=None if manual_optimization else t.gradient_clip_val,
        default_root_dir=str(exp),
        # logs/version_N: a resume never overwrites
        logger=CSVLogger(str(exp), name="logs", flush_logs_every_n_steps=t.log_every_n_steps),
        callbacks=[
            ModelCheckpoint(
                dirpath=str(exp / "checkpoints"),
                save_last=True,
                save_top_k=0,
                # Always last.ckpt, the file a resume reads: in a moved experiment (its
                # config.yaml edited to the new place) Lightning wrote last-v1.ckpt beside it,
                # and the resume after that went back to the older last.ckpt.
                enable_version_counter=False,
                every_n_train_steps=t.checkpoint_every_n_steps * k,
            ),
            StepSeed(seed),
            FiniteTraining(),
            *(callbacks or []),
        ],
        plugins=[AtomicCheckpointIO()],
        use_distributed_sampler=False,  # the bucketed sampler is rank-aware itself
        enable_model_summary=False,
    )


def fit_resumable(trainer: Any, module: Any, datamodule: Any, exp: Path) -> None:
    """Fit, resuming from ``exp/checkpoints/last.ckpt`` when present (loaded weights-only), and
    save where we ended there, so a re-run with a larger budget continues."""
    last = exp / "checkpoints" / "last.ckpt"
    ckpt_path = str(last) if last.is_file() else None
    if ckpt_path:
        print(f"resuming from {ckpt_path}")
    trainer.fit(module, datamodule=datamodule, ckpt_path=ckpt_path, weights_only=True)
    trainer.save_checkpoint(str(last), weights_only=False)
