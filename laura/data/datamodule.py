"""One LightningDataModule for every task: records + a TaskSpec + the bucketed sampler."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import lightning as L
import torch

from laura.config import DataConfig
from laura.data.dataset import TaskDataset, collate
from laura.data.samplers import DynamicBucketSampler
from laura.data.tasks import Tokenizer, get_task
from laura.nn.frontend import FrontendConfig


class LauraDataModule(L.LightningDataModule):
    def __init__(
        self,
        cfg: DataConfig,
        frontend: FrontendConfig,
        tokenizer: Tokenizer,
        train_records: Sequence[dict[str, Any]],
        valid_records: Sequence[dict[str, Any]] = (),
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.cfg = cfg
        self.frontend = frontend
        self.tokenizer = tokenizer
        self.task = get_task(cfg.task)
        self.train_records = list(train_records)
        self.valid_records = list(valid_records)
        self.seed = seed
        self._train_sampler: DynamicBucketSampler | None = None
        self._resume: dict[str, Any] | None = None

    def _rank(self) -> tuple[int, int]:
        t = self.trainer
        return (t.global_rank, t.world_size) if t is not None else (0, 1)

    def train_dataloader(self) -> torch.utils.data.DataLoader:
        ds = TaskDataset(
            self.train_records, self.task, self.tokenizer, self.frontend, train=True,
            speed_factors=self.cfg.speed_perturb,
        )
        rank, world = self._rank()
        sampler = DynamicBucketSampler(
            ds.durations(), self.cfg.max_seconds, self.cfg.max_batch_size, self.cfg.num_buckets,
            shuffle=True, seed=self.seed, rank=rank, world_size=world,
        )
        if self.trainer is not None:
            sampler.set_epoch(self.trainer.current_epoch)
        if self._resume is not None:
            if self.trainer is None or int(self._resume["epoch"]) >= self.trainer.current_epoch:
                sampler.load_state_dict(self._resume)
            self._resume = None
        self._train_sampler = sampler
        return self._loader(ds, sampler)

    def val_dataloader(self) -> torch.utils.data.DataLoader | list:
        if not self.valid_records:
            return []
        ds = TaskDataset(self.valid_records, self.task, self.tokenizer, self.frontend, train=False)
        rank, world = self._rank()
        sampler = DynamicBucketSampler(
            ds.durations(), self.cfg.max_seconds, self.cfg.max_batch_size, self.cfg.num_buckets,
            shuffle=False, rank=rank, world_size=world,
        )
        return self._loader(ds, sampler)

    def _loader(self, ds: TaskDataset, sampler: DynamicBucketSampler) -> torch.utils.data.DataLoader:
        return torch.utils.data.DataLoader(
            ds, batch_sampler=sampler, collate_fn=collate, num_workers=self.cfg.num_workers,
            persistent_workers=False, pin_memory=False,
        )

    # Mid-epoch position, saved in checkpoints by Lightning.
    def state_dict(self) -> dict[str, Any]:
        if self._train_sampler is None or self.trainer is None:
            return {}
        done = self.trainer.fit_loop.epoch_loop.batch_progress.current.completed
        return self._train_sampler.state_dict(batches_done=int(done))

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._resume = state or None
