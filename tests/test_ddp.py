"""Two-process DDP on CPU (gloo): both ranks train on disjoint batches and end identical."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

HERE = Path(__file__).resolve().parent


@pytest.mark.slow
def test_two_rank_ddp_ends_with_identical_weights(tiny_asr_dir, tiny_bpe, tmp_path):
    exp = tmp_path / "exp"
    env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(29500 + os.getpid() % 1000)}
    res = subprocess.run(
        [
            sys.executable,
            str(HERE / "ddp_worker.py"),
            str(tiny_asr_dir),
            str(tiny_bpe),
            str(exp),
            "ddp",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    w0 = load_file(str(exp / "rank0.safetensors"))
    w1 = load_file(str(exp / "rank1.safetensors"))
    assert w0.keys() == w1.keys() and len(w0) > 10
    for k in w0:
        assert torch.equal(w0[k], w1[k]), k
    # The ranks saw equal numbers of batches (the bucketed sampler balances them).
    assert (exp / "rank0.batches").read_text() == (exp / "rank1.batches").read_text()
    # ... and it trained: the weights moved away from the (shared) initialisation.
    init = load_file(str(exp / "init0.safetensors"))
    assert torch.equal(
        init["model.adaptor.weight"],
        load_file(str(exp / "init1.safetensors"))["model.adaptor.weight"],
    )
    assert not torch.equal(init["model.adaptor.weight"], w0["model.adaptor.weight"])
    assert (exp / "model.safetensors").is_file()
