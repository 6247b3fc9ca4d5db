"""Duration-bucketed dynamic batching, rank-aware and resumable.

Utterances are grouped into buckets of similar duration; each batch takes utterances from one
bucket until a budget of padded seconds (``max_seconds``: longest utterance x batch size) is
spent. Under DDP every rank gets a disjoint share of the same epoch's batches and the same
number of them (batches are split, never dropped or repeated, to make the count divisible).
Lightning must not wrap it: set ``use_distributed_sampler=False``.

Epochs and resume: the order is a function of (seed, epoch) only, and the sampler counts epochs
itself: each new iteration after a finished one is the next epoch. (Lightning calls
``set_epoch`` on ``batch_sampler.sampler``, which a batch sampler does not have, and its epoch
count jumps ahead when a run stopped mid-epoch by ``max_steps`` is resumed.) Its state (epoch,
batches trained) travels in checkpoints; resuming skips exactly the batches already trained, in
any epoch. With
``item_seeds`` every element it yields is ``(index, seed)``: the seed keys the random choices
made for that example (dither, speed perturbation, prompts), so they do not depend on worker
processes, on prefetching or on where a run was resumed.
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
        item_seeds: bool = False,
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
        self.item_seeds = item_seeds
        self.epoch = 0
        self._skip = 0  # batches of the current epoch already trained (resume)
        self._plan: tuple[int, list[list[int]]] | None = None  # (epoch, this rank's batches)
        self._finished = False  # the last iteration ran to the end: the next is a new epoch

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
                if cur and (
                    new_longest * (len(cur) + 1) > self.max_seconds
                    or len(cur) >= self.max_batch_size
                ):
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
        if self._plan is None or self._plan[0] != self.epoch:
            self._plan = (self.epoch, self._all_batches()[self.rank :: self.world_size])
        return self._plan[1]

    def item_seed(self, position: int, index: int) -> int:
        """The seed of the example at ``position`` (in this rank's epoch order) of this epoch."""
        return random.Random(
            f"{self.seed}/{self.epoch}/{self.rank}/{position}/{index}"
        ).getrandbits(63)

    # --- sampler protocol -----------------------------------------------------------------------
    def __iter__(self) -> Iterator[list[Any]]:
        if self._finished:
            self.epoch, self._skip, self._finished = self.epoch + 1, 0, False
        batches = self.rank_batches()
        skip = self._skip
        position = sum(len(b) for b in batches[:skip])
        # Marked before the last batch is handed out: loaders stop at the known length without
        # asking for more. The epoch of a state saved meanwhile is still this one (loaders
        # prefetch ahead of training); the next iteration starts the next epoch.
        self._finished = skip >= len(batches)
        for n, batch in enumerate(batches[skip:], start=skip + 1):
            self._finished = n == len(batches)
            if self.item_seeds:
                yield [(i, self.item_seed(position + k, i)) for k, i in enumerate(batch)]
            else:
                yield list(batch)
            position += len(batch)

    def __len__(self) -> int:
        # The full epoch, even when resuming: Lightning counts resumed batches from where it was.
        return len(self.rank_batches())

    def set_epoch(self, epoch: int) -> None:
        """Start epoch ``epoch`` from its beginning (iterating further epochs needs no call)."""
        self.epoch, self._skip, self._finished = epoch, 0, False

    # --- resume -------------------------------------------------------------------------------
    def state_dict(self, batches_done: int) -> dict[str, Any]:
        """``batches_done``: batches of the current epoch trained so far (on this rank)."""
        return {
            "epoch": self.epoch,
            "batches_done": batches_done,
            "seed": self.seed,
            "world_size": self.world_size,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if int(state.get("seed", self.seed)) != self.seed:
            raise ValueError(
                f"sampler state was saved with seed {state.get('seed')}, this run has {self.seed}"
            )
        if int(state.get("world_size", self.world_size)) != self.world_size:
            raise ValueError(
                f"sampler state was saved with {state.get('world_size')} ranks, this run has "
                f"{self.world_size}: the batches of the interrupted epoch would not match"
            )
        self.epoch = int(state["epoch"])
        done = int(state["batches_done"])
        # A state saved at the very end of an epoch resumes at the start of the next one.
        if done >= len(self.rank_batches()):
            self.epoch, done = self.epoch + 1, 0
        self._skip, self._finished = done, False

    def padding_share(self) -> float:
        """Share of padded frames (seconds) in this rank's batches."""
        padded = used = 0.0
        for b in self.rank_batches():
            ds = [self.durations[i] for i in b]
            padded += max(ds) * len(ds)
            used += sum(ds)
        return 0.0 if padded == 0 else 1.0 - used / padded
