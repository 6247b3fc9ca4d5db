"""Write <dir>/manifest.jsonl for Kaldi-style data dirs: one JSON record per utterance, with
durations (a verified cache of the tables; rebuilt whenever they change)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dirs", nargs="+", help="Kaldi-style data dirs")


def run(args: argparse.Namespace) -> int:
    from laura.data.manifest import data_dir_to_manifest

    for d in args.dirs:
        out = Path(d) / "manifest.jsonl"
        n = data_dir_to_manifest(d, out)
        print(f"{out}: {n} utterances")
    return 0
