"""Prepare a real corpus, read exactly as it is distributed, into Kaldi-style data dirs (one per
split). --list shows the corpora; --opt key=value passes a corpus option, typed by the corpus's
prepare function (extract=false is False, max_duration=100 is 100.0)."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("corpus", nargs="?", help="corpus name (see --list)")
    p.add_argument("--src", help="where the corpus was extracted")
    p.add_argument("--out", help="output dir: one data dir per split")
    p.add_argument(
        "--splits", default=None, help="comma-separated splits (default: the corpus's own)"
    )
    p.add_argument("--num-workers", type=int, default=2)
    p.add_argument(
        "--opt", action="append", default=[], help="corpus option key=value (repeatable)"
    )
    p.add_argument("--list", action="store_true", help="list the corpora laura can prepare")


def run(args: argparse.Namespace) -> int:
    from laura.data.corpora import corpora, parse_options, prepare

    if args.list or not args.corpus:
        print(f"{'corpus':<14}{'tasks':<12}default splits")
        for name, c in corpora().items():
            print(f"{name:<14}{','.join(c.tasks):<12}{' '.join(c.splits)}")
        return 0
    if not args.src or not args.out:
        raise ValueError("laura prepare CORPUS needs --src and --out")
    opts = parse_options(args.corpus, args.opt)
    for key in ("splits", "num_workers"):
        if key in opts:  # these have their own flags; two values for one option would clash
            raise ValueError(f"--opt {key}=...: use --{key.replace('_', '-')} instead")
    splits = args.splits.split(",") if args.splits else None
    dirs = prepare(
        args.corpus, args.src, args.out, splits=splits, num_workers=args.num_workers, **opts
    )
    for split, d in dirs.items():
        print(f"{split}: {d}")
    return 0
