"""Parameter counts per subsystem of a config's model, counted on the meta device (no weights
allocated: the 2B paper config costs no memory)."""

from __future__ import annotations

import argparse
import json

from laura.bin.train import add_config_arguments


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_config_arguments(p)
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    from laura.models.kinds import model_info

    info = model_info(args.config, args.overrides)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"config: {args.config}   (counted on the meta device: no weights allocated)")
    print(f"{'subsystem':<22}{'parameters':>16}")
    for k, v in info["parameters"].items():
        print(f"{k:<22}{v:>16,}")
    print(f"{'= total (billions)':<22}{info['parameters']['total'] / 1e9:>16.3f}")
    print("vocabulary: " + ", ".join(f"{k} {v:,}" for k, v in info["vocab"].items()))
    return 0
