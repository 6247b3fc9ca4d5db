"""PESQ / STOI / mel distance of codec reconstructions, per number of quantizers."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--codec", required=True, help="laura codec dir, or a FunCodec model dir")
    p.add_argument("--data", required=True, help="Kaldi-style data dir")
    p.add_argument("--n-q", default="1,8,32", help="comma-separated numbers of quantizers")
    p.add_argument("--max-utts", type=int, default=0, help="evaluate a spread-out subset (0 = all)")
    p.add_argument("--speakers", default=None, help="speakers.tsv: score held-out voices only")
    p.add_argument("--out", default=None, help="write the result as JSON")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file")


def heldout_speakers(path: str | Path) -> set[str]:
    """The held-out voices of the mini corpus's speakers.tsv (``heldout`` column = 1)."""
    lines = Path(path).read_text().splitlines()
    head = lines[0].split("\t")
    if "heldout" not in head:
        raise ValueError(f"{path}: no 'heldout' column")
    col = head.index("heldout")
    return {r.split("\t")[0] for r in lines[1:] if r.split("\t")[col] == "1"}


def run(args: argparse.Namespace) -> int:
    from laura.data.codec_tokens import open_codec
    from laura.evaluation import evaluate_codec, format_codec_table
    from laura.io import atomic_write_json, check_output_file

    check_output_file(args.out, args.overwrite)
    codec = open_codec(args.codec)
    speakers = heldout_speakers(args.speakers) if args.speakers else None
    n_qs = [int(x) for x in args.n_q.split(",")]
    result = evaluate_codec(codec, args.data, n_qs, max_utts=args.max_utts, speakers=speakers)
    result.update(codec=str(args.codec), data=str(args.data), heldout_only=bool(args.speakers))
    title = f"codec {args.codec} on {args.data}" + (" (held-out voices)" if speakers else "")
    print(format_codec_table(result, title))
    if args.out:
        atomic_write_json(args.out, result, indent=1)
    return 0
