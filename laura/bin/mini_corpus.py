"""Synthesise the offline mini corpus (espeak-ng voices in English and Mandarin, sox scenes and
noise) as Kaldi-style data dirs for every task; skipped when the same request is up to date."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    from laura.minicorpus.core import BUILD_ORDER, LANGS, SIZES

    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--size", default="demo", choices=sorted(SIZES))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--langs", default=",".join(LANGS), help="comma-separated, e.g. en,zh")
    p.add_argument(
        "--tasks",
        default=None,
        help=f"comma-separated subset of {','.join(BUILD_ORDER)} (default: all that --langs allow)",
    )
    p.add_argument("--num-workers", type=int, default=2)
    p.add_argument("--force", action="store_true", help="rebuild even if up to date")
    p.add_argument("--verify", action="store_true", help="re-hash all files afterwards")
    p.add_argument("--no-progress", action="store_true")


def run(args: argparse.Namespace) -> int:
    from laura.minicorpus.generate import make_mini_corpus, verify_corpus

    langs = tuple(x for x in args.langs.split(",") if x)
    tasks = None if args.tasks is None else tuple(x for x in args.tasks.split(",") if x)
    m = make_mini_corpus(
        args.out,
        size=args.size,
        seed=args.seed,
        langs=langs,
        num_workers=args.num_workers,
        force=args.force,
        tasks=tasks,
        progress=not args.no_progress,
    )
    counts = ", ".join(f"{k} {v}" for k, v in m["counts"].items())
    print(f"{m['root']}: {counts}; {m['total_hours']:.2f} h; checksum {m['checksum'][:16]}")
    if args.verify:
        ok = verify_corpus(args.out)
        print("verify:", "ok" if ok else "FAILED")
        return 0 if ok else 1
    return 0


def main(argv: list[str] | None = None) -> int:
    from laura.bin import run_verb

    return run_verb("mini-corpus", argv)
