"""Text for pre-training the LM (``kind: text_lm``): the lines of Kaldi-style text tables, each
one a sample of token ids, batched by length under a token budget with the same resumable,
rank-aware sampler as the speech data (a line's token count stands in for a duration)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from laura.config import TextDataConfig
from laura.data.datamodule import ResumableDataModule
from laura.data.errors import DataError
from laura.data.kaldi import read_table
from laura.data.samplers import DynamicBucketSampler


def read_lines(files: Sequence[str | Path], tokenizer: Any, max_len: int) -> list[list[int]]:
    """Token ids of every non-empty line of the tables (in file order, then id order); a line
    longer than ``max_len`` tokens is refused with its file and id."""
    out: list[list[int]] = []
    for f in files:
        for uid, text in sorted(read_table(f).items()):
            if not text.strip():
                continue
            ids = tokenizer.encode(text)
            if len(ids) > max_len:
                raise DataError(
                    f"{f}: line {uid} has {len(ids)} tokens (data.max_len={max_len}); split it "
                    "or raise data.max_len"
                )
            if len(ids) >= 2:  # one token predicts nothing
                out.append(ids)
    if not out:
        raise DataError(f"{', '.join(map(str, files))}: no text lines of two or more tokens")
    return out


class TextLines(torch.utils.data.Dataset):
    def __init__(self, lines: list[list[int]]) -> None:
        self.lines = lines

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, item: int | tuple[int, int]) -> list[int]:
        return self.lines[item[0] if isinstance(item, tuple) else item]

    def durations(self) -> list[float]:
        return [float(len(x)) for x in self.lines]


def collate_lines(batch: list[list[int]]) -> dict[str, torch.Tensor]:
    """Right-padded ids, their attention mask, and labels (-100 at padding)."""
    n = max(len(x) for x in batch)
    ids = torch.zeros(len(batch), n, dtype=torch.long)
    mask = torch.zeros(len(batch), n, dtype=torch.long)
    for i, x in enumerate(batch):
        ids[i, : len(x)] = torch.tensor(x)
        mask[i, : len(x)] = 1
    return {"tokens": ids, "mask": mask, "labels": ids.masked_fill(mask == 0, -100)}


class TextDataModule(ResumableDataModule):
    def __init__(
        self, cfg: TextDataConfig, train: list[list[int]], valid: list[list[int]], seed: int = 0
    ) -> None:
        super().__init__()
        self.cfg, self.train, self.valid, self.seed = cfg, train, valid, seed

    def _loader(self, lines: list[list[int]], train: bool) -> torch.utils.data.DataLoader:
        rank, world = self._rank()
        ds = TextLines(lines)
        sampler = DynamicBucketSampler(
            ds.durations(),
            self.cfg.max_tokens,
            self.cfg.max_batch_size,
            shuffle=train,
            seed=self.seed,
            rank=rank,
            world_size=world,
        )
        return torch.utils.data.DataLoader(
            ds,
            batch_sampler=self._start(sampler) if train else sampler,
            collate_fn=collate_lines,
            num_workers=self.cfg.num_workers,
            generator=torch.Generator().manual_seed(self.seed),
        )

    def train_dataloader(self) -> torch.utils.data.DataLoader:
        return self._loader(self.train, True)

    def val_dataloader(self) -> list[torch.utils.data.DataLoader]:
        return [self._loader(self.valid, False)] if self.valid else []
