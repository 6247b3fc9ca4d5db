"""Encode data dirs to codec tokens: the token cache that SE/TTS training reads.

Writes <data>/<token-dir>/<field>/ (safetensors shards); resumable."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--codec", required=True, help="laura codec dir, or a FunCodec model dir")
    p.add_argument("--data", nargs="+", required=True, help="Kaldi-style data dirs")
    p.add_argument(
        "--field", default="audio", help="audio (wav.scp) or clean (clean.scp, SE targets)"
    )
    p.add_argument(
        "--n-q", type=int, default=32, help="quantizer groups to keep (1 = LM targets only)"
    )
    p.add_argument("--token-dir", default="codec_tokens")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="re-extract a cache made differently (another codec, --n-q or utterance list; "
        "refused otherwise); a complete cache made the same way is kept without it",
    )


def run(args: argparse.Namespace) -> int:
    from laura.data.codec_tokens import extract_tokens

    for d in args.data:
        out = extract_tokens(
            args.codec,
            d,
            field=args.field,
            n_q=args.n_q,
            token_dir=args.token_dir,
            overwrite=args.overwrite,
        )
        print(f"{out}: tokens ({args.n_q} groups)")
    return 0
