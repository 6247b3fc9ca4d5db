"""Conformer encoder speed: laura's ConformerEncoder against torchaudio's Conformer (the peer),
same size, same input, measured in the same run. The goal is BENCH.goal below."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Benchmark, Goal, row, table, timeit, write  # noqa: E402

from laura.nn.conformer import ConformerConfig, ConformerEncoder  # noqa: E402

BENCH = Benchmark(
    name="conformer",
    compares="laura's `ConformerEncoder` vs torchaudio's `Conformer`, same size and input "
    "(12x512 on 10 s; 4x256 on 8 x 4 s), inference",
    goal=Goal("ratio laura/torchaudio", "<=", 1.0),
)


def main() -> None:
    torch.manual_seed(0)
    torch.set_num_threads(2)
    rows, summary = [], []
    for blocks, d, heads, ffn, seconds, batch in [
        (12, 512, 8, 2048, 10.0, 1),
        (4, 256, 4, 1024, 4.0, 8),
    ]:
        frames = int(seconds * 100 / 6)  # LFR frames (60 ms)
        x = torch.randn(batch, frames, 560)
        lens = torch.full((batch,), frames)
        ours = ConformerEncoder(
            ConformerConfig(
                input_dim=560,
                d_model=d,
                n_blocks=blocks,
                n_heads=heads,
                ffn_dim=ffn,
                conv_kernel=15,
                dropout=0.0,
            )
        ).eval()
        from torchaudio.models import Conformer

        proj = torch.nn.Linear(560, d)
        peer = Conformer(
            input_dim=d,
            num_heads=heads,
            ffn_dim=ffn,
            num_layers=blocks,
            depthwise_conv_kernel_size=15,
        ).eval()
        with torch.inference_mode():
            t_ours = timeit(lambda ours=ours, x=x, lens=lens: ours(x, lens))
            t_peer = timeit(lambda peer=peer, proj=proj, x=x, lens=lens: peer(proj(x), lens))
        n_ours = sum(p.numel() for p in ours.parameters())
        n_peer = sum(p.numel() for p in peer.parameters()) + sum(
            p.numel() for p in proj.parameters()
        )
        rows.append(
            {
                "shape": f"{blocks}x{d}, batch {batch} x {seconds:g}s",
                "laura_s": t_ours,
                "torchaudio_s": t_peer,
                "ratio": t_ours / t_peer,
                "laura_params": n_ours,
                "peer_params": n_peer,
            }
        )
        summary.append(
            row(
                f"Conformer {blocks}x{d}, batch {batch} x {seconds:g} s, inference",
                t_ours,
                "s",
                reference=t_peer,
                reference_label="torchaudio",
                ratio=t_ours / t_peer,
                ratio_of="laura / torchaudio",
                goal=BENCH.goal,
            )
        )
    notes = f"inference mode, 2 threads; goal: {BENCH.goal.text}"
    columns = ["shape", "laura_s", "torchaudio_s", "ratio", "laura_params", "peer_params"]
    write(BENCH, summary, [table("conformer_forward", rows, columns, notes)], notes)


if __name__ == "__main__":
    main()
