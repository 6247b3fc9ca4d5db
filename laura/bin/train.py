"""Train a model from a config (any kind: lauragpt, encoder_ctc, codec, vocoder).

Resumes from <exp_dir>/checkpoints/last.ckpt when present. An experiment trained with another
config is refused (nothing is written) unless --fresh."""

from __future__ import annotations

import argparse


def add_config_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-c", "--config", required=True, help="experiment YAML (e.g. recipes/lauragpt-mini.yaml)"
    )
    p.add_argument("overrides", nargs="*", help="key=value overrides, e.g. trainer.max_steps=100")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_config_arguments(p)
    p.add_argument(
        "--fresh",
        action="store_true",
        help="exp_dir holds an experiment with another config: move it aside to "
        "<exp_dir>.replaced-<time> and start anew",
    )


def run(args: argparse.Namespace) -> int:
    from laura.models.kinds import load_config
    from laura.train import train

    exp = train(load_config(args.config, args.overrides), fresh=args.fresh)
    print(f"done: {exp}")
    return 0
