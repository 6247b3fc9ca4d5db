"""One LightningDataModule for every task and for their mixture.

Sources (one per task and its data dirs) become ``TaskDataset``s; training concatenates them with
per-source repeat factors under one duration-bucketed, rank-aware sampler; validation keeps one
loader per source so every task reports its own loss. The per-task DataModules at the bottom
are the same class with one source.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning as L
import torch

from laura.config import DataConfig, SourceConfig
from laura.data.dataset import TaskDataset, collate
from laura.data.errors import DataError
from laura.data.samplers import DynamicBucketSampler
from laura.data.tasks import TaskSpec, Tokenizer, get_task
from laura.nn.frontend import FrontendConfig


class MultiTokenSource:
    """Codec tokens looked up across the token caches of several data dirs."""

    def __init__(self, caches: Sequence[Any]) -> None:
        self.caches = list(caches)

    def __getitem__(self, uid: str) -> torch.Tensor:
        for c in self.caches:
            if uid in c:
                return c[uid]
        raise KeyError(
            f"no codec tokens for utterance {uid!r} in {[str(c.path) for c in self.caches]}"
        )


def open_token_source(
    task: TaskSpec, dirs: Sequence[str], token_dir: str, n_q: int = 1
) -> MultiTokenSource | None:
    """The token caches of an audio-output task's data dirs (filled by the token extraction
    stage), reading the first ``n_q`` groups (the LM needs 1, the vocoder all)."""
    if task.output_kind != "audio":
        return None
    from laura.data.token_cache import TokenCache

    return MultiTokenSource([TokenCache(Path(d) / token_dir / task.target, n_q=n_q) for d in dirs])


def check_token_coverage(
    task: TaskSpec,
    records: Sequence[dict[str, Any]],
    dirs: Sequence[str],
    token_dir: str,
    prompts: bool,
    n_q: int = 1,
) -> None:
    """Before training: every audio target of ``records`` (and, with ``prompts``, every voice
    prompt they name, which may be an utterance of the source a subset was cut from) has codec
    tokens in the caches of ``dirs``. A gap raises `DataError` naming the caches and the first
    ids, instead of a ``KeyError`` at the first batch that needs one. ``n_q``: the groups that
    will be read (a cache holding fewer is refused here too)."""
    source = open_token_source(task, dirs, token_dir, n_q)
    if source is None:
        return
    need = [r["id"] for r in records]
    if prompts and task.prompt:
        need += [r[task.prompt] for r in records if r.get(task.prompt)]
    missing = sorted({u for u in need if not any(u in c for c in source.caches)})
    if missing:
        what = "targets or voice prompts" if prompts and task.prompt else "targets"
        raise DataError(
            f"{', '.join(str(c.path) for c in source.caches)}: no codec tokens for "
            f"{len(missing)} {task.name} {what} ({', '.join(missing[:3])}"
            f"{', ...' if len(missing) > 3 else ''}): make the token cache of the data dirs "
            "they belong to (a subset links its source's cache)"
        )


class RepeatedConcat(torch.utils.data.Dataset):
    """Datasets side by side, each repeated an integer number of times per epoch."""

    def __init__(self, datasets: Sequence[TaskDataset], repeats: Sequence[int]) -> None:
        self.datasets = list(datasets)
        self.index = [
            (d, i)
            for d, (ds, r) in enumerate(zip(datasets, repeats))
            for _ in range(r)
            for i in range(len(ds))
        ]

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, item: int | tuple[int, int]) -> dict[str, Any]:
        k, seed = item if isinstance(item, tuple) else (item, None)
        d, i = self.index[k]
        return self.datasets[d][i if seed is None else (i, seed)]

    def durations(self) -> list[float]:
        per = [ds.durations() for ds in self.datasets]
        return [per[d][i] for d, i in self.index]


class ResumableDataModule(L.LightningDataModule):
    """A DataModule whose training batches come from a ``DynamicBucketSampler`` and whose
    position in them travels in checkpoints (Lightning saves ``state_dict`` there)."""

    def __init__(self) -> None:
        super().__init__()
        self._train_sampler: DynamicBucketSampler | None = None
        self._resume: dict[str, Any] | None = None

    def _rank(self) -> tuple[int, int]:
        t = self.trainer
        return (t.global_rank, t.world_size) if t is not None else (0, 1)

    def _start(self, sampler: DynamicBucketSampler) -> DynamicBucketSampler:
        """Put a new training sampler where a checkpoint left it (or, for a checkpoint without
        sampler state, at the start of the trainer's epoch)."""
        if self._resume:
            sampler.load_state_dict(self._resume)
        elif self.trainer is not None and self.trainer.current_epoch:
            sampler.set_epoch(self.trainer.current_epoch)
        self._resume = None
        self._train_sampler = sampler
        return sampler

    def state_dict(self) -> dict[str, Any]:
        if self._train_sampler is None or self.trainer is None:
            return self._resume or {}
        # "processed": a checkpoint taken in on_train_batch_end counts the batch just trained
        # ("completed" does so only after the hook).
        done = self.trainer.fit_loop.epoch_loop.batch_progress.current.processed
        return self._train_sampler.state_dict(batches_done=int(done))

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._resume = state or None


class LauraDataModule(ResumableDataModule):
    """``records``: for each source, (train records, valid records), in ``sources`` order."""

    def __init__(
        self,
        cfg: DataConfig,
        frontend: FrontendConfig,
        tokenizer: Tokenizer,
        sources: Sequence[SourceConfig],
        records: Sequence[tuple[list[dict[str, Any]], list[dict[str, Any]]]],
        seed: int = 0,
        audio_offset: int = 0,
    ) -> None:
        super().__init__()
        if len(sources) != len(records):
            raise ValueError("one (train, valid) record pair per source")
        self.cfg = cfg
        self.frontend = frontend
        self.tokenizer = tokenizer
        self.sources = list(sources)
        self.records = list(records)
        self.seed = seed
        self.audio_offset = audio_offset

    @property
    def tasks(self) -> list[str]:
        return [s.task for s in self.sources]

    def speed_factors(self, source: SourceConfig) -> list[float]:
        """A source's own speed-perturbation factors, else data.speed_perturb."""
        own = source.speed_perturb
        return list(own) if own is not None else list(self.cfg.speed_perturb)

    def _dataset(
        self, source: SourceConfig, records: list[dict[str, Any]], dirs: list[str], train: bool
    ) -> TaskDataset:
        task = get_task(source.task)
        return TaskDataset(
            records,
            task,
            self.tokenizer,
            self.frontend,
            train=train,
            speed_factors=self.speed_factors(source) if train else (1.0,),
            tokens=open_token_source(task, dirs, self.cfg.token_dir, self.cfg.token_groups),
            audio_offset=self.audio_offset,
            prompt_prob=self.cfg.prompt_prob,
            keep_waveforms=self.cfg.keep_waveforms,
        )

    def train_dataset(self) -> RepeatedConcat:
        sets = [
            self._dataset(s, tr, list(s.train), True)
            for s, (tr, _) in zip(self.sources, self.records)
        ]
        return RepeatedConcat(sets, [s.repeat for s in self.sources])

    def train_dataloader(self) -> torch.utils.data.DataLoader:
        ds = self.train_dataset()
        rank, world = self._rank()
        sampler = DynamicBucketSampler(
            ds.durations(),
            self.cfg.max_seconds,
            self.cfg.max_batch_size,
            self.cfg.num_buckets,
            shuffle=True,
            seed=self.seed,
            rank=rank,
            world_size=world,
            item_seeds=True,
        )
        return self._loader(ds, self._start(sampler))

    def val_dataloader(self) -> list[torch.utils.data.DataLoader]:
        loaders = []
        rank, world = self._rank()
        for s, (_, va) in zip(self.sources, self.records):
            if not va:
                continue
            ds = self._dataset(s, va, list(s.valid), False)
            sampler = DynamicBucketSampler(
                ds.durations(),
                self.cfg.max_seconds,
                self.cfg.max_batch_size,
                self.cfg.num_buckets,
                shuffle=False,
                rank=rank,
                world_size=world,
            )
            loaders.append(self._loader(ds, sampler))
        return loaders

    def val_tasks(self) -> list[str]:
        return [s.task for s, (_, va) in zip(self.sources, self.records) if va]

    def val_names(self) -> list[str]:
        """A name per validation loader for its logged figures: its task, or ``<task>.<k>``
        (k = 0, 1, ... in source order) when several sources of one task validate."""
        tasks = self.val_tasks()
        seen: dict[str, int] = {}
        names = []
        for t in tasks:
            k = seen[t] = seen.get(t, -1) + 1
            names.append(f"{t}.{k}" if tasks.count(t) > 1 else t)
        return names

    def _loader(
        self, ds: torch.utils.data.Dataset, sampler: DynamicBucketSampler
    ) -> torch.utils.data.DataLoader:
        # Its own generator: creating an iterator must not draw from the global RNG (the
        # examples' randomness is keyed by the sampler's item seeds, the model's by the step).
        return torch.utils.data.DataLoader(
            ds,
            batch_sampler=sampler,
            collate_fn=collate,
            num_workers=self.cfg.num_workers,
            persistent_workers=False,
            pin_memory=False,
            generator=torch.Generator().manual_seed(self.seed),
        )

        return self._loader(ds, self._start(sampler))


def _single(task: str) -> type[LauraDataModule]:
    """A per-task DataModule: the shared one with a single source of this task."""

    class _TaskDataModule(LauraDataModule):
        TASK = task

        def __init__(
            self,
            cfg: DataConfig,
            frontend: FrontendConfig,
            tokenizer: Tokenizer,
            train_dirs: Sequence[str],
            records: tuple[list[dict[str, Any]], list[dict[str, Any]]],
            valid_dirs: Sequence[str] = (),
            seed: int = 0,
            audio_offset: int = 0,
        ) -> None:
            source = SourceConfig(task=task, train=list(train_dirs), valid=list(valid_dirs))
            super().__init__(cfg, frontend, tokenizer, [source], [records], seed, audio_offset)

    _TaskDataModule.__name__ = _TaskDataModule.__qualname__ = f"{task}DataModule"
    return _TaskDataModule


ASRDataModule = _single("ASR")
S2TTDataModule = _single("S2TT")
SLUDataModule = _single("SLU")
SERDataModule = _single("SER")
AACDataModule = _single("AAC")
SEDataModule = _single("SE")
TTSDataModule = _single("TTS")
