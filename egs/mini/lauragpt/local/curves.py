"""The three LauraGPT training stages' curves in one picture (each task's validation loss and
accuracy over all stages), for RESULTS.md.

Usage: python local/curves.py --exp exp --out figures/lauragpt_curves.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

from laura.viz import metrics_csvs, plot_task_curves


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--exp", type=Path, default=Path("exp"), help="holds lauragpt_stage{1,2,3}")
    ap.add_argument("--out", type=Path, required=True, help="the PNG to write")
    args = ap.parse_args()
    stages = []
    for n in (1, 2, 3):
        logs = metrics_csvs(args.exp / f"lauragpt_stage{n}")
        if logs:
            stages.append((f"stage {n}", logs))
    if not stages:
        raise SystemExit(
            f"{args.exp}: no lauragpt_stage1/logs/version_*/metrics.csv (run stage 8 first)"
        )
    print(
        plot_task_curves(stages, args.out, title="LauraGPT mini, the paper's three training stages")
    )


if __name__ == "__main__":
    main()
