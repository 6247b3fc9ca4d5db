"""Each task's dev token accuracy (teacher forcing) at every validation, one markdown table per
experiment: how RESULTS.md compares training runs at equal steps.

Beside the accuracies: the dev ASR WER of the greedy hypotheses (does the model read the
audio, not only continue fluent text?) and, for SE and TTS, the accuracy with another
utterance's input (``acc_other_input``: equal to the accuracy when the input is ignored).
A single-task run (stage 0: ASR alone) logs ``val/acc`` and ``val/wer``: its task is ASR.

Usage: python local/dev_acc.py exp/lauragpt_stage1 [exp/another_run ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from laura.viz import metrics_csvs, read_metrics_csvs

ORDER = ["ASR", "S2TT", "SLU", "SER", "AAC", "SE", "TTS"]  # Table 1's


def columns(series: dict[str, list[tuple[int, float]]]) -> list[tuple[str, str]]:
    """(heading, metrics.csv key) of every column this run logged, in Table 1's order."""
    if "val/ASR/acc" not in series and "val/acc" in series:  # single-task (ASR) run
        return [("ASR", "val/acc"), ("ASR WER", "val/wer")]
    cols = []
    for task in ORDER:
        if f"val/{task}/acc" in series:
            cols.append((task, f"val/{task}/acc"))
        if task == "ASR" and "val/ASR/wer" in series:
            cols.append(("ASR WER", "val/ASR/wer"))
        if f"val/{task}/acc_other_input" in series:
            cols.append((f"{task} other input", f"val/{task}/acc_other_input"))
    return cols


def dev_acc_table(exp: Path) -> str:
    """``| steps | ASR | ASR WER | S2TT | ... |`` at each validation (the step Lightning logs
    is one less than the steps trained)."""
    series = read_metrics_csvs(metrics_csvs(exp))
    cols = columns(series)
    if not cols:
        raise SystemExit(f"{exp}: no val/<TASK>/acc (or val/acc) in logs/version_*/metrics.csv")
    by_step: dict[int, dict[str, float]] = {}
    for head, key in cols:
        for step, value in series[key]:
            by_step.setdefault(step + 1, {})[head] = value
    heads = [h for h, _ in cols]
    lines = [
        f"{exp} (dev token accuracy per task; ASR WER: greedy, 2 batches):",
        "",
        "| steps | " + " | ".join(heads) + " |",
        "|---:|" + "---:|" * len(heads),
    ]
    for step in sorted(by_step):
        row = [f"{by_step[step][h]:.3f}" if h in by_step[step] else "" for h in heads]
        lines.append(f"| {step:,} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "exp", type=Path, nargs="+", help="experiment dirs (logs/version_*/metrics.csv)"
    )
    args = ap.parse_args()
    print("\n\n".join(dev_acc_table(e) for e in args.exp))


if __name__ == "__main__":
    main()
