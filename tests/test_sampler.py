import random

import pytest

from laura.data.samplers import DynamicBucketSampler


def durations(n=203, seed=0):
    rng = random.Random(seed)
    return [rng.uniform(0.8, 8.0) for _ in range(n)]


def test_budget_and_coverage():
    d = durations()
    s = DynamicBucketSampler(d, max_seconds=30, num_buckets=8, seed=1)
    batches = list(s)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(d)))  # every utterance once
    for b in batches:
        assert len(b) == 1 or max(d[i] for i in b) * len(b) <= 30 + 1e-9


@pytest.mark.parametrize("world", [2, 3])
def test_ranks_disjoint_equal_and_complete(world):
    d = durations(101)
    per_rank = [
        list(DynamicBucketSampler(d, 25, seed=3, rank=r, world_size=world)) for r in range(world)
    ]
    assert len({len(b) for b in per_rank}) == 1  # equal batch counts
    seen = [i for batches in per_rank for b in batches for i in b]
    assert sorted(seen) == list(range(len(d)))  # nothing lost, nothing repeated


def test_epochs_reshuffle_deterministically():
    d = durations()
    a = DynamicBucketSampler(d, 30, seed=5)
    b = DynamicBucketSampler(d, 30, seed=5)
    assert list(a) == list(b)
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first


def test_resume_mid_epoch_yields_exactly_the_rest():
    d = durations()
    s = DynamicBucketSampler(d, 30, seed=2)
    s.set_epoch(3)
    full = list(s)
    r = DynamicBucketSampler(d, 30, seed=2)
    r.load_state_dict(s.state_dict(batches_done=7))
    assert list(r) == full[7:]
    assert len(r) == len(full)  # Lightning counts the resumed batches itself
    # a state saved at the end of an epoch resumes at the next epoch's start
    e = DynamicBucketSampler(d, 30, seed=2)
    e.load_state_dict(s.state_dict(batches_done=len(full)))
    s.set_epoch(4)
    assert list(e) == list(s)


def test_bucketing_pads_less_than_random():
    d = durations(500)
    bucketed = DynamicBucketSampler(d, 40, num_buckets=10, seed=0).padding_share()
    single = DynamicBucketSampler(d, 40, num_buckets=1, seed=0).padding_share()
    assert bucketed < 0.10 < single
