"""Write a text task's trivial baseline on a data dir as a decode dir (hyp, ref, decode.json), for
`laura score` to score like a model: ASR the empty output; SER the training set's majority class;
SLU its majority intent; S2TT and AAC the best constant output, chosen on --dev by the task's
metric (BLEU per output language; CIDEr-D) among the training outputs."""

from __future__ import annotations

import argparse
import json


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--task", required=True, help="ASR, SER, SLU, S2TT or AAC")
    p.add_argument(
        "--train", required=True, help="the training data dir (the outputs to choose from)"
    )
    p.add_argument("--dev", default=None, help="the dev data dir the best constant is chosen on")
    p.add_argument("--data", required=True, help="the data dir to write the baseline's output for")
    p.add_argument("--out", required=True, help="output dir (hyp, ref, decode.json)")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    p.add_argument(
        "--max-candidates", type=int, default=200, help="constants tried on --dev (S2TT, AAC)"
    )
    p.add_argument(
        "--skip-done",
        action="store_true",
        help="keep an --out made from the same data dirs and options (and its scores)",
    )


def run(args: argparse.Namespace) -> int:
    from laura.metrics.baselines import write_baseline

    info = write_baseline(
        args.task,
        args.train,
        args.dev,
        args.data,
        args.out,
        args.overwrite,
        args.max_candidates,
        args.skip_done,
    )
    print(
        json.dumps(
            {k: info[k] for k in ("task", "baseline", "choice", "n_utts")}, ensure_ascii=False
        )
    )
    return 0
