"""The former name of `laura score` for SE/TTS outputs: runs `laura score --task SE --by snr` or
`--task TTS --by lang` with the same options (and says so on stderr)."""

from __future__ import annotations

import argparse
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--decode", required=True, help="decode dir (wav.scp, decode.json)")
    p.add_argument("--data", required=True, help="the data dir that was decoded (references)")
    p.add_argument("--task", required=True, choices=["SE", "TTS"])
    p.add_argument("--asr-exp", default=None, help="a laura ASR experiment to transcribe outputs")
    p.add_argument("--no-pocketsphinx", action="store_true", help="skip the pocketsphinx WER")
    p.add_argument("--no-secs", action="store_true", help="skip speaker similarity")
    p.add_argument("--no-dnsmos", action="store_true", help="skip DNSMOS")
    p.add_argument("--max-utts", type=int, default=None, help="a spread-out subset")
    p.add_argument("--label", default="", help="name for the table")
    p.add_argument("--out", default=None, help="JSON output (default <decode>/scores.json)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")


def run(args: argparse.Namespace) -> int:
    from laura.bin.score import score_decode_dir

    by = "snr" if args.task == "SE" else "lang"
    print(f"laura score-audio: now `laura score --task {args.task} --by {by}`", file=sys.stderr)
    return score_decode_dir(args, [by], None)
