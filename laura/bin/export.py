"""Copy a trained model directory (a codec, a vocoder or an experiment) into a shippable one:
float16 weights with --fp16, provenance recorded, the tokenizer and codec paths it will be used
with. The output replaces --out only once it is complete."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("src", help="model dir: codec.json, vocoder.json or config.yaml + weights")
    p.add_argument("out", help="output dir (replaced whole with --overwrite)")
    p.add_argument("--fp16", action="store_true", help="float16 weights, no training-only state")
    p.add_argument("--tokenizer", help="tokenizer path to record (LMs and vocoders)")
    p.add_argument("--codec", help="codec dir to record (vocoders)")
    p.add_argument(
        "--info",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="provenance to record (trained_steps=8000 command='...'); integers stay integers, "
        "key=@file.yaml records a YAML or JSON file's content (e.g. the training config)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty OUT")


def _info(items: list[str]) -> dict[str, object]:
    from pathlib import Path

    import yaml

    out: dict[str, object] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--info {item!r} is not of the form key=value")
        if value.startswith("@"):
            path = Path(value[1:])
            if not path.is_file():
                raise FileNotFoundError(f"--info {key}: {path}: file not found")
            out[key] = yaml.safe_load(path.read_text())  # JSON is YAML too
        else:
            out[key] = int(value) if value.lstrip("-").isdigit() else value
    return out


def run(args: argparse.Namespace) -> int:
    from laura.artefact import WEIGHTS, export

    out = export(
        args.src,
        args.out,
        fp16=args.fp16,
        info=_info(args.info),
        tokenizer=args.tokenizer,
        codec=args.codec,
        overwrite=args.overwrite,
    )
    size = (out / WEIGHTS).stat().st_size / 1e6
    print(f"{out}: exported from {args.src} ({size:.1f} MB of weights{', fp16' * args.fp16})")
    return 0
