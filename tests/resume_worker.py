"""Run by test_resume_exact.py in a subprocess: a 2-rank DDP training on CPU that logs, for every
training step, the epoch and the utterance ids each rank trained on, and that can kill its whole
process group with SIGKILL at the start of a chosen step (the checkpoint of the step before is
on disk by then). Lightning's ``ddp`` strategy re-launches this script for rank 1, hence the
main guard.

    python resume_worker.py DATA BPE EXP MAX_STEPS [KILL_AT_STEP]
"""

import json
import os
import signal
import sys
from pathlib import Path

import lightning as L
import torch

from laura.models.kinds import load_config
from laura.train import train

ROOT = Path(__file__).resolve().parents[1]


class VisitLog(L.Callback):
    def __init__(self, out: Path, kill_at: int | None) -> None:
        self.out, self.kill_at = out, kill_at

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if self.kill_at is not None and trainer.global_step == self.kill_at:
            os.killpg(os.getpgid(0), signal.SIGKILL)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        row = {"step": trainer.global_step, "epoch": trainer.current_epoch, "ids": batch["ids"]}
        with (self.out / f"visits{trainer.global_rank}.jsonl").open("a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    data, bpe, exp, steps = sys.argv[1:5]
    kill_at = int(sys.argv[5]) if len(sys.argv) > 5 else None
    torch.set_num_threads(1)
    cfg = load_config(
        ROOT / "recipes/lauragpt-mini.yaml",
        [
            f"data.train=[{data}]",
            f"data.valid=[{data}]",
            f"tokenizer.path={bpe}",
            f"exp_dir={exp}",
            "encoder_init=null",
            f"trainer.max_steps={steps}",
            "trainer.enable_progress_bar=false",
            "trainer.devices=2",
            "trainer.strategy=ddp",
            "trainer.checkpoint_every_n_steps=2",
            "trainer.val_check_interval=3",
            "trainer.limit_val_batches=1",
            "trainer.log_every_n_steps=1",
            "data.num_workers=1",  # a worker process: its randomness must not matter
            "data.max_seconds=5",
            "data.num_buckets=2",
            "model.encoder.n_blocks=1",
            "model.lm.num_layers=1",
            "model.use_specaug=true",  # dither, speed perturbation, SpecAugment, dropout: all on
            "optim.warmup_steps=2",
        ],
    )
    Path(exp).mkdir(parents=True, exist_ok=True)
    train(cfg, callbacks=[VisitLog(Path(exp), kill_at)])
