"""Copy a Kaldi-style data dir keeping N utterances spread evenly over its sorted ids (every
per-utterance table filtered, spk2utt rebuilt, the codec token cache linked): a quick test set."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("src", help="the data dir")
    p.add_argument("dst", help="the subset's data dir (created; its tables are replaced)")
    p.add_argument("--n", type=int, required=True, help="utterances to keep (0: all)")


def run(args: argparse.Namespace) -> int:
    from laura.data.kaldi import read_table
    from laura.data.subset import subset_data_dir

    n = subset_data_dir(args.src, args.dst, args.n)
    print(f"{args.dst}: {n} of {len(read_table(f'{args.src}/wav.scp'))} utterances")
    return 0
