"""Train a BPE text tokenizer on Kaldi text files (uttid transcript); writes
<out>/tokenizer.json."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--text", nargs="+", required=True, help="Kaldi text files (uttid transcript)")
    p.add_argument("--vocab-size", type=int, default=1000)
    p.add_argument("--out", required=True, help="output dir (tokenizer.json)")


def run(args: argparse.Namespace) -> int:
    from laura.data.kaldi import read_table
    from laura.text.tokenizer import train_bpe

    texts: list[str] = []
    for f in args.text:
        texts += list(read_table(f).values())
    tok = train_bpe(texts, args.vocab_size, args.out)
    print(f"{args.out}: BPE with {tok.vocab_size} tokens from {len(texts)} lines")
    return 0
