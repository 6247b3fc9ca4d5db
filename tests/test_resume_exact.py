"""Exact resume under DDP: a 2-process CPU training killed with SIGKILL after its first epoch
and again mid-epoch, and resumed each time, ends with the weights of an uninterrupted run,
bitwise; every epoch trains every utterance exactly once across the kills, in a new order."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import SENTENCES, have_espeak, speak, write_kaldi_dir
from safetensors.torch import load_file

HERE = Path(__file__).resolve().parent
MORE = [
    "the bird sings in the tree",
    "he drinks cold water",
    "they play in the snow",
    "a fish swims in the lake",
    "the door is open now",
    "our teacher writes on the board",
    "the train leaves at nine",
    "she paints a green house",
    "the baby sleeps all day",
    "we walk to the market",
]


@pytest.fixture(scope="module")
def sixteen(tmp_path_factory, tiny_bpe) -> Path:
    if not have_espeak():
        pytest.skip("espeak-ng not installed")
    root = tmp_path_factory.mktemp("sixteen")
    rows = []
    for i, s in enumerate(SENTENCES + MORE):
        uid = f"spk{i % 2}-{i:03d}"
        speak(s, root / f"{uid}.wav", voice="en-us" if i % 2 else "en-us+f2")
        rows.append((uid, f"spk{i % 2}", str(root / f"{uid}.wav"), s))
    return write_kaldi_dir(root / "data", rows)


def _run(data, bpe, exp, steps, kill_at=None) -> int:
    env = {
        **os.environ,
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(29600 + (os.getpid() + (kill_at or 0)) % 1000),
    }
    args = [
        sys.executable,
        str(HERE / "resume_worker.py"),
        str(data),
        str(bpe),
        str(exp),
        str(steps),
    ]
    if kill_at is not None:
        args.append(str(kill_at))
    # A session of its own: the kill takes both ranks (and the data-loader workers) at once.
    res = subprocess.run(
        args, capture_output=True, text=True, env=env, timeout=900, start_new_session=True
    )
    if kill_at is None:
        assert res.returncode == 0, res.stderr[-3000:]
    return res.returncode


def _visits(exp: Path) -> dict[tuple[int, int], list[str]]:
    """(rank, step) -> ids, the resumed run's rows replacing those redone after a kill."""
    out = {}
    for rank in (0, 1):
        for line in (exp / f"visits{rank}.jsonl").read_text().splitlines():
            row = json.loads(line)
            out[(rank, row["step"])] = (row["epoch"], row["ids"])
    return out


def _weights(exp: Path) -> dict[str, torch.Tensor]:
    return load_file(str(exp / "model.safetensors"))


@pytest.mark.slow
def test_ddp_training_killed_twice_resumes_bitwise_exactly(sixteen, tiny_bpe, tmp_path):
    steps = 12
    plain, killed = tmp_path / "plain", tmp_path / "killed"
    _run(sixteen, tiny_bpe, plain, steps)

    n_utts = len((sixteen / "wav.scp").read_text().splitlines())
    visits = _visits(plain)
    per_epoch: dict[int, list[str]] = {}
    for (_, _step), (epoch, ids) in sorted(visits.items()):
        per_epoch.setdefault(epoch, []).extend(ids)
    steps_per_epoch = sum(1 for (r, _), (e, _) in visits.items() if r == 0 and e == 0)
    assert steps_per_epoch >= 3 and len(per_epoch) >= 3  # the kills below fall where intended

    # Killed at the start of the first step of epoch 1 (its last checkpoint: the end of epoch 0),
    # then mid-epoch 1 (checkpoints every 2 steps: one step after the last is lost and redone).
    first_kill = steps_per_epoch
    mid_kill = steps_per_epoch + 2 + (1 if steps_per_epoch + 2 < 2 * steps_per_epoch - 1 else 0)
    assert _run(sixteen, tiny_bpe, killed, steps, kill_at=first_kill) == -signal.SIGKILL
    assert not (killed / "model.safetensors").exists()
    assert _run(sixteen, tiny_bpe, killed, steps, kill_at=mid_kill) == -signal.SIGKILL
    _run(sixteen, tiny_bpe, killed, steps)

    a, b = _weights(plain), _weights(killed)
    assert a.keys() == b.keys() and len(a) > 10
    moved = [k for k in a if not torch.equal(a[k], b[k])]
    assert not moved, f"{len(moved)} tensors differ, e.g. {moved[:3]}"

    # The killed run trained exactly what the plain one did, step by step.
    assert _visits(killed) == visits
    # Every epoch trained every utterance exactly once (both ranks together) ...
    for epoch, ids in per_epoch.items():
        if len([1 for (r, _), (e, _) in visits.items() if e == epoch]) == 2 * steps_per_epoch:
            assert sorted(ids) == sorted(set(ids)) and len(ids) == n_utts, epoch
    # ... in a new order each epoch.
    orders = [
        [ids for (r, s), (e, ids) in sorted(visits.items()) if r == 0 and e == epoch]
        for epoch in sorted(per_epoch)
    ]
    assert all(x != y for x, y in zip(orders, orders[1:]))
