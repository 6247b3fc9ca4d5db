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
    first = list(a)
    assert first == list(b)
    second = list(a)  # the next pass is the next epoch
    assert second != first
    a.set_epoch(1)
    assert list(a) == second


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


def test_each_epoch_is_a_new_order_without_being_told():
    """Lightning never reaches a batch sampler's set_epoch, and stops reading a loader at its
    known length: each new pass over the loader must still be the next epoch."""
    from itertools import islice

    from torch.utils.data import DataLoader

    d = durations(60)
    s = DynamicBucketSampler(d, 20, seed=5)
    dl = DataLoader(list(range(60)), batch_sampler=s, collate_fn=lambda x: x)
    orders = [list(islice(iter(dl), len(dl))) for _ in range(4)]  # as Lightning reads it
    assert s.epoch == 3
    assert all(sorted(i for b in o for i in b) == list(range(60)) for o in orders)
    assert len({str(o) for o in orders}) == 4  # four different orders
    # ... and the same again for the same (seed, epoch)
    again = DynamicBucketSampler(d, 20, seed=5)
    again.set_epoch(2)
    assert list(again) == orders[2]


def test_resume_skips_exactly_the_trained_batches_in_any_epoch():
    d = durations(80)
    s = DynamicBucketSampler(d, 20, seed=2, item_seeds=True)
    s.set_epoch(3)
    full = list(s)
    for done in (0, 1, len(full) - 1):
        r = DynamicBucketSampler(d, 20, seed=2, item_seeds=True)
        r.load_state_dict(s.state_dict(batches_done=done))
        assert r.epoch == 3
        assert list(r) == full[done:]  # same batches, same item seeds
        # ... and the next pass is the next epoch, whole
        assert [len(b) for b in r] == [len(b) for b in list(_next_epoch(d))]
    # A state saved at the end of the epoch resumes at the start of the next.
    end = DynamicBucketSampler(d, 20, seed=2)
    end.load_state_dict(s.state_dict(batches_done=len(full)))
    assert end.epoch == 4 and len(list(end)) == len(full)
    # Item seeds differ between examples and between epochs.
    seeds = [sd for b in full for _, sd in b]
    assert len(set(seeds)) == len(seeds)
    s.set_epoch(4)
    assert {sd for b in s for _, sd in b}.isdisjoint(seeds)


def test_state_of_another_seed_or_world_size_is_refused():
    d = durations(40)
    state = DynamicBucketSampler(d, 20, seed=1, world_size=2).state_dict(batches_done=1)
    with pytest.raises(ValueError, match="seed 1, this run has 2"):
        DynamicBucketSampler(d, 20, seed=2, world_size=2).load_state_dict(state)
    with pytest.raises(ValueError, match="2 ranks, this run has 1"):
        DynamicBucketSampler(d, 20, seed=1).load_state_dict(state)


def _next_epoch(d):
    n = DynamicBucketSampler(d, 20, seed=2, item_seeds=True)
    n.set_epoch(4)
    return n
