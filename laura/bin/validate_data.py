"""Check Kaldi-style data dirs (wav.scp, text, utt2spk, segments, audio files): one line per
problem, then a summary per dir; exit 1 if any problem. A dir found clean is stamped
(<dir>/.validated.json), which spares `laura train` validating it again."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dirs", nargs="+", metavar="DIR")
    p.add_argument("--no-audio", action="store_true", help="do not open audio files at all")
    p.add_argument(
        "--header-only", action="store_true", help="read audio headers but do not decode samples"
    )
    p.add_argument("--sample-rate", type=int, default=16000, help="expected rate (default 16000)")
    p.add_argument("--no-text", action="store_true", help="do not require a text file")
    p.add_argument("--min-duration", type=float, default=0.05)
    p.add_argument("--max-duration", type=float, default=60.0)
    p.add_argument(
        "--extra-text",
        action="append",
        default=[],
        metavar="FILE",
        help="another required transcript file, e.g. text.en (repeatable)",
    )


def run(args: argparse.Namespace) -> int:
    from laura.data.validate import validate_once

    total = 0
    for data_dir in args.dirs:
        # always validates (force); the stamp it leaves spares `laura train` doing it again
        problems = validate_once(
            data_dir,
            force=True,
            expected_sample_rate=args.sample_rate,
            require_text=not args.no_text,
            max_duration=args.max_duration,
            min_duration=args.min_duration,
            check_audio=not args.no_audio,
            check_samples=not args.header_only,
            extra_text_files=args.extra_text,
        )
        for p in problems:
            print(p)
        n = len(problems)
        status = "OK" if n == 0 else f"{n} problem{'s' if n != 1 else ''}"
        print(f"{data_dir}: {status}")
        total += n
    if len(args.dirs) > 1:
        print(f"total: {total} problem{'s' if total != 1 else ''} in {len(args.dirs)} dirs")
    return 1 if total else 0


def main(argv: list[str] | None = None) -> int:
    from laura.bin import run_verb

    return run_verb("validate-data", argv)
