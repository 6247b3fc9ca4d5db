"""Audio-only data for codec training: random fixed-length segments, whole utterances for dev."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from laura.data.datamodule import ResumableDataModule
from laura.data.dataset import read_audio
from laura.data.samplers import DynamicBucketSampler


class AudioSegmentDataset(torch.utils.data.Dataset):
    """``segment_samples`` set: a random window of that length (zero-padded when the utterance is
    shorter); None: the whole utterance."""

    def __init__(
        self, records: list[dict[str, Any]], segment_samples: int | None, sample_rate: int = 16000
    ) -> None:
        self.records, self.segment, self.sample_rate = records, segment_samples, sample_rate

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, item: int | tuple[int, int]) -> dict[str, Any]:
        """``item``: an index, or ``(index, seed)``: the seed places the crop."""
        i, seed = item if isinstance(item, tuple) else (item, None)
        g = torch.Generator().manual_seed(seed) if seed is not None else None
        r = self.records[i]
        wav, sr = read_audio(r["audio"], r.get("start"), r.get("end"))
        if sr != self.sample_rate:
            raise ValueError(
                f"{r['audio']}: {sr} Hz audio, the codec works at {self.sample_rate} Hz"
            )
        x = torch.from_numpy(np.ascontiguousarray(wav))
        if self.segment is not None:
            if len(x) >= self.segment:
                start = int(torch.randint(0, len(x) - self.segment + 1, (), generator=g).item())
                x = x[start : start + self.segment]
            else:
                x = torch.nn.functional.pad(x, (0, self.segment - len(x)))
        return {"id": r["id"], "wav": x, "speaker": r.get("speaker")}


def _collate(items: list[dict[str, Any]]) -> dict[str, Any]:
    n = max(len(it["wav"]) for it in items)
    wav = torch.stack([torch.nn.functional.pad(it["wav"], (0, n - len(it["wav"]))) for it in items])
    return {
        "ids": [it["id"] for it in items],
        "wav": wav,
        "lens": torch.tensor([len(it["wav"]) for it in items]),
    }


class AudioSegmentDataModule(ResumableDataModule):
    """Training: ``batch_size`` random crops per batch, a new order each epoch, each rank its own
    share, resumable exactly (the bucketed sampler with one bucket, item seeds place the crops)."""

    def __init__(
        self,
        train: list[dict[str, Any]],
        valid: list[dict[str, Any]],
        segment_samples: int,
        batch_size: int,
        num_workers: int = 1,
        n_valid: int = 8,
        sample_rate: int = 16000,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.seed = seed
        self.train_records, self.sample_rate = train, sample_rate
        # A fixed, spread-out dev subset: the same utterances at every validation.
        step = max(1, len(valid) // max(1, n_valid))
        self.valid_records = valid[::step][:n_valid]
        self.segment, self.batch_size, self.num_workers = segment_samples, batch_size, num_workers

    def train_dataloader(self) -> torch.utils.data.DataLoader:
        ds = AudioSegmentDataset(self.train_records, self.segment, self.sample_rate)
        seconds = self.segment / self.sample_rate  # every crop lasts this long
        rank, world = self._rank()
        sampler = DynamicBucketSampler(
            [seconds] * len(ds),
            seconds * self.batch_size + 1e-6,
            self.batch_size,
            num_buckets=1,
            shuffle=True,
            seed=self.seed,
            rank=rank,
            world_size=world,
            item_seeds=True,
        )
        return torch.utils.data.DataLoader(
            ds,
            batch_sampler=self._start(sampler),
            num_workers=self.num_workers,
            collate_fn=_collate,
            generator=torch.Generator().manual_seed(self.seed),
        )

    def val_dataloader(self) -> torch.utils.data.DataLoader:
        ds = AudioSegmentDataset(self.valid_records, None, self.sample_rate)
        return torch.utils.data.DataLoader(ds, batch_size=1, num_workers=0, collate_fn=_collate)
