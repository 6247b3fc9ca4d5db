"""Batching efficiency and loader throughput on the mini corpus (demo size by default).

Padding share: padded share of audio seconds in the batches of the duration-bucketed sampler
against random batches of the same budget (one bucket), measured on the same utterances
(the goal is BENCH.goal below). Throughput: utterances/s through the real DataLoader (fbank + LFR in
the workers) with 0 and 2 workers.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Benchmark, Goal, row, table, write  # noqa: E402

from laura.config import DataConfig, SourceConfig  # noqa: E402
from laura.data.datamodule import LauraDataModule  # noqa: E402
from laura.data.records import load_records  # noqa: E402
from laura.data.samplers import DynamicBucketSampler  # noqa: E402
from laura.nn.frontend import FrontendConfig  # noqa: E402
from laura.text.tokenizer import train_bpe  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BENCH = Benchmark(
    name="loader",
    compares="padded share of the duration-bucketed sampler vs random batches (same budget, demo "
    "corpus); loader throughput with 0 and 2 workers",
    goal=Goal("bucketed padding", "<=", 10.0, on="result", unit="%"),
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=str(ROOT / "egs/mini/lauragpt/data/mini/asr/train"))
    ap.add_argument("--max-seconds", type=float, default=60.0)
    ap.add_argument("--batches", type=int, default=40, help="batches timed per loader setting")
    args = ap.parse_args()
    data = Path(args.data)
    if not (data / "wav.scp").is_file():
        from laura.minicorpus.generate import make_mini_corpus

        out = ROOT / "egs/mini/lauragpt/data/mini"
        print(f"{data} missing: building the demo mini corpus (ASR) in {out}")
        make_mini_corpus(out, size="demo", tasks=("asr",))
        data = out / "asr/train"
    records = load_records(data, validate=False)
    durations = [r["duration"] for r in records]
    rows = []
    for name, buckets in (("bucketed (10 buckets)", 10), ("random (1 bucket)", 1)):
        s = DynamicBucketSampler(durations, args.max_seconds, num_buckets=buckets, seed=0)
        batches = s.rank_batches()
        rows.append(
            {
                "batching": name,
                "padding_share": s.padding_share(),
                "batches": len(batches),
                "mean_batch": sum(map(len, batches)) / len(batches),
            }
        )
    shown = data.resolve().relative_to(ROOT) if data.resolve().is_relative_to(ROOT) else data
    notes = (
        f"{len(records)} utterances from {shown}, budget {args.max_seconds:g} padded seconds per "
        f"batch; goal: {BENCH.goal.text}"
    )
    columns = ["batching", "padding_share", "batches", "mean_batch"]
    tables = [table("batch_padding", rows, columns, notes)]
    summary = [
        row(
            f"bucketed batches, {len(records):,} utts, {args.max_seconds:g} s budget",
            100 * rows[0]["padding_share"],
            "% padded",
            reference=100 * rows[1]["padding_share"],
            reference_label="random batches",
            goal=BENCH.goal,
        )
    ]

    tok = train_bpe([r["text"] for r in records], 500, ROOT / "bench/results/_bpe")
    rows = []
    for workers in (0, 2):
        cfg = DataConfig(
            max_seconds=args.max_seconds, num_workers=workers, speed_perturb=[0.9, 1.0, 1.1]
        )
        dm = LauraDataModule(
            cfg,
            FrontendConfig(),
            tok,
            [SourceConfig(task="ASR", train=[str(data)])],
            [(records, [])],
        )
        loader = dm.train_dataloader()
        it = iter(loader)
        next(it)  # worker start-up is not throughput
        n_utt, audio = 0, 0.0
        t0 = time.perf_counter()
        for _ in range(args.batches):
            b = next(it)
            n_utt += len(b["ids"])
            audio += float(b["feat_lens"].sum()) * 0.06
        dt = time.perf_counter() - t0
        rows.append({"workers": workers, "utts_per_s": n_utt / dt, "audio_x_realtime": audio / dt})
    notes = (
        "train mode (dither, speed perturbation), fbank + LFR in the workers; torch threads: "
        f"{torch.get_num_threads()}"
    )
    columns = ["workers", "utts_per_s", "audio_x_realtime"]
    tables.append(table("loader_throughput", rows, columns, notes))
    summary.append(
        row(
            "loader throughput, 2 workers (train mode, speed perturbation)",
            rows[1]["utts_per_s"],
            "utts/s",
            note=f"{rows[1]['audio_x_realtime']:,.0f}x real time",
            reference=rows[0]["utts_per_s"],
            reference_label="0 workers",
            ratio=rows[1]["utts_per_s"] / rows[0]["utts_per_s"],
            ratio_of="2 workers / 0 workers",
        )
    )
    write(BENCH, summary, tables)


if __name__ == "__main__":
    main()
