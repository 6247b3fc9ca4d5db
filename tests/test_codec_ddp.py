"""The codebooks stay identical across DDP ranks: each rank sees other data and draws its own
dropout depth, yet the EMA statistics are all-reduced and the depth is taken from rank 0."""

from __future__ import annotations

import random
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from laura.nn.codec.quantizer import ResidualVectorQuantizer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, port: int, out: dict) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    rvq = ResidualVectorQuantizer(
        dim=4, n_q=4, codebook_size=8, kmeans_iters=3, dropout_choices=[1, 2, 4]
    )
    random.seed(100 + rank)  # different local draws on purpose
    g = torch.Generator().manual_seed(rank)
    rvq.train()
    depths = []
    for _ in range(12):
        _, codes, _ = rvq(torch.randn(2, 10, 4, generator=g) * (1 + rank))
        depths.append(codes.shape[1])
    out[rank] = ({k: v.clone() for k, v in rvq.state_dict().items()}, depths)
    dist.destroy_process_group()


def test_codebooks_stay_identical_across_ranks() -> None:
    manager = mp.Manager()
    out = manager.dict()
    mp.start_processes(_worker, args=(_free_port(), out), nprocs=2, start_method="fork", join=True)
    (s0, d0), (s1, d1) = out[0], out[1]
    assert d0 == d1 and len(set(d0)) > 1
    for k in s0:
        assert torch.equal(s0[k], s1[k]), k
    assert s0["codebooks.0.cluster_size"].sum() > 0
