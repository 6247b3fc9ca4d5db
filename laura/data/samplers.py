"""Duration-bucketed dynamic batching, rank-aware and resumable.

Utterances are grouped into buckets of similar duration; each batch takes utterances from one
bucket until a budget of padded seconds (``max_seconds``: longest utterance x batch size) is
spent. Under DDP every rank gets a disjoint share of the same epoch's batches and the same
number of them (batches are split, never dropped or repeated, to make the count divisible).
Lightning must not wrap it: set ``use_distributed_sampler=False``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any


class DynamicBucketSampler:
    """Yields lists of dataset indices (a batch sampler)."""

    def __init__(
        self,
        durations: Sequence[float],
        max_seconds: float,
        max_batch_size: int = 256,
        num_buckets: int = 10,
        shuffle: bool = True,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if max_seconds <= 0:
            raise ValueError(f"max_seconds must be positive, got {max_seconds}")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} outside world size {world_size}")
        self.durations = [float(d) for d in durations]
        self.max_seconds = max_seconds
        self.max_batch_size = max_batch_size
        self.num_buckets = max(1, num_buckets)
        self.shuffle = shuffle
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.epoch = 0
        self._skip = 0  # batches of the current epoch already consumed (resume)

    # --- epoch plan ---------------------------------------------------------------------------
    def _buckets(self) -> list[list[int]]:
        order = sorted(range(len(self.durations)), key=lambda i: (self.durations[i], i))
        n = len(order)
        k = min(self.num_buckets, max(1, n))
        return [order[b * n // k : (b + 1) * n // k] for b in range(k)]

    def _all_batches(self) -> list[list[int]]:
        rng = random.Random(self.seed * 1_000_003 + self.epoch)
        batches: list[list[int]] = []
        for bucket in self._buckets():
            idx = list(bucket)
            if self.shuffle:
                rng.shuffle(idx)
            cur: list[int] = []
            longest = 0.0
            for i in idx:
                d = self.durations[i]
                new_longest = max(longest, d)
                if cur and (new_longest * (len(cur) + 1) > self.max_seconds or len(cur) >= self.max_batch_size):
                    batches.append(cur)
                    cur, new_longest = [], d
                cur.append(i)
                longest = new_longest
            if cur:
                batches.append(cur)
        if self.shuffle:
            rng.shuffle(batches)
        return self._balance(batches)

    def _balance(self, batches: list[list[int]]) -> list[list[int]]:
        # Split the largest batches until every rank can get the same count.
        while len(batches) % self.world_size:
            j = max(range(len(batches)), key=lambda i: len(batches[i]))
            if len(batches[j]) < 2:
                raise ValueError(
                    f"cannot give {self.world_size} ranks equal batch counts with "
                    f"{len(self.durations)} utterances: too little data"
                )
            b = batches.pop(j)
            half = len(b) // 2
            batches[j:j] = [b[:half], b[half:]]
        return batches

    def rank_batches(self) -> list[list[int]]:
        return self._all_batches()[self.rank :: self.world_size]

    # --- sampler protocol -----------------------------------------------------------------------
    def __iter__(self) -> Iterator[list[int]]:
        batches = self.rank_batches()
        skip, self._skip = self._skip, 0
        yield from batches[skip:]

    def __len__(self) -> int:
        # The full epoch, even when resuming: Lightning counts resumed batches from where it was.
        return len(self.rank_batches())

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    # --- resume -------------------------------------------------------------------------------
    def state_dict(self, batches_done: int) -> dict[str, Any]:
        return {"epoch": self.epoch, "batches_done": batches_done, "seed": self.seed}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if int(state.get("seed", self.seed)) != self.seed:
            raise ValueError("sampler state was saved with another seed")
        self.epoch = int(state["epoch"])
        done = int(state["batches_done"])
        # A state saved at the very end of an epoch resumes at the start of the next one.
        if done >= len(self.rank_batches()):
            self.epoch, done = self.epoch + 1, 0
        self._skip = done

    def padding_share(self) -> float:
        """Share of padded frames (seconds) in this rank's batches."""
        padded = used = 0.0
        for b in self.rank_batches():
            ds = [self.durations[i] for i in b]
            padded += max(ds) * len(ds)
            used += sum(ds)
        return 0.0 if padded == 0 else 1.0 - used / padded


