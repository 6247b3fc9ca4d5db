"""Convert a FunCodec model dir (config.yaml + model.pth) into a laura codec dir."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--funcodec", required=True, help="dir with FunCodec's config.yaml and model.pth"
    )
    p.add_argument("--out", required=True, help="output laura codec dir")


def run(args: argparse.Namespace) -> int:
    from laura.nn.codec import save_codec
    from laura.nn.codec.funcodec import load_funcodec

    codec = load_funcodec(args.funcodec)
    out = save_codec(codec, args.out, {"converted_from": str(Path(args.funcodec).resolve())})
    c = codec.cfg
    n = sum(p.numel() for p in codec.parameters())
    print(
        f"{out}: laura codec ({n / 1e6:.2f}M parameters, {c.n_q} x {c.codebook_size} RVQ, "
        f"{c.frame_rate:g} Hz)"
    )
    return 0
