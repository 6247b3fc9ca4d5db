"""Two jobs on one machine: the mini recipe's training step alone and with a second copy of it
running beside it, under libgomp's default spin-wait and under laura's (``GOMP_SPINCOUNT``,
set by ``import laura`` unless the environment has it; laura/__init__.py), measured in the same
run. The goal is BENCH.goal below.

Each OpenMP thread of PyTorch's CPU build (libgomp) spins after a parallel region, waiting for
the next one, for up to GOMP_SPINCOUNT iterations (300,000 by default) before it sleeps. Alone
that saves wake-ups; with two 2-thread jobs on 2 cores each job's spinning threads hold the cores
the other's threads need. The step is common.MINI_TRAINING_STEP (4x256 Conformer on 8 x 4 s + 4x256
Qwen2 over 8 x 60 tokens, forward, backward, AdamW), each job a fresh process; a pair's two jobs
time their steps over the same window.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import MINI_TRAINING_STEP, Benchmark, Goal, row, table, write  # noqa: E402

BENCH = Benchmark(
    name="threads",
    compares="the mini-recipe training step (2 threads) with a second copy beside it on the same "
    "cores, under laura's GOMP_SPINCOUNT vs libgomp's default; and alone under both",
    goal=Goal("pair speed-up over libgomp's default", ">=", 3.0),
)

CHILD = (
    "import json, os, statistics, sys, time\n"
    + MINI_TRAINING_STEP
    + r"""
start_at, end_at = float(sys.argv[1]), float(sys.argv[2])
step(); step()
while time.time() < start_at:
    time.sleep(0.01)
times = []
while True:
    t0 = time.perf_counter(); step(); t1 = time.perf_counter()
    if time.time() > end_at:
        break
    times.append(t1 - t0)
print(json.dumps({"step_s": statistics.median(times) if times else float("nan"),
                  "steps": len(times), "spincount": os.environ.get("GOMP_SPINCOUNT", ""),
                  "wait_policy": os.environ.get("OMP_WAIT_POLICY", "")}))
"""
)

# setting name -> environment changes (None: remove the variable)
SETTINGS: dict[str, dict[str, str | None]] = {
    "libgomp default (300,000)": {"GOMP_SPINCOUNT": "300000", "OMP_WAIT_POLICY": None},
    "laura default": {"GOMP_SPINCOUNT": None, "OMP_WAIT_POLICY": None},
    "OMP_WAIT_POLICY=PASSIVE": {"GOMP_SPINCOUNT": None, "OMP_WAIT_POLICY": "PASSIVE"},
}
WARMUP_S = 15.0  # both jobs import torch, build the model and take two steps before the window
# A pair's slowdown under libgomp's default moves a lot between windows (3x to 16x here, by how
# the two jobs' parallel regions happen to interleave): pairs are timed REPEATS times, the
# settings taking turns, and the rows give the median and the range.
REPEATS = 3


def run(changes: dict[str, str | None], jobs: int, window: float) -> dict:
    env = dict(os.environ)
    for k, v in changes.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    start = time.time() + WARMUP_S
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(start), str(start + window)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(jobs)
    ]
    outs = []
    for p in procs:
        out, _ = p.communicate()
        if p.returncode:
            raise SystemExit(f"bench_threads: a child failed (exit {p.returncode})")
        outs.append(json.loads(out.strip().splitlines()[-1]))
    step_s = sum(o["step_s"] for o in outs) / len(outs)
    return {"step_s": step_s, "steps": min(o["steps"] for o in outs), "seen": outs[0]}


def main() -> None:
    window = float(os.environ.get("BENCH_THREADS_WINDOW", "12"))
    alone = {name: run(changes, 1, window) for name, changes in SETTINGS.items()}
    pairs: dict[str, list[float]] = {name: [] for name in SETTINGS}
    for i in range(REPEATS):
        for name, changes in SETTINGS.items():
            pairs[name].append(run(changes, 2, window)["step_s"])
            print(f"pair {i + 1}/{REPEATS}, {name}: {pairs[name][-1]:.3f} s/step", flush=True)
    rows = []
    for name in SETTINGS:
        seen, pair = alone[name]["seen"], statistics.median(pairs[name])
        rows.append(
            {
                "setting": name,
                "GOMP_SPINCOUNT": seen["spincount"] or "(unset)",
                "OMP_WAIT_POLICY": seen["wait_policy"] or "(unset)",
                "alone_step_s": alone[name]["step_s"],
                "pair_step_s": pair,
                "pair_range_s": f"{min(pairs[name]):.2f}-{max(pairs[name]):.2f}",
                "pair_slowdown": pair / alone[name]["step_s"],
            }
        )
    ref, ours = rows[0], rows[1]
    for r in rows:
        r["alone_vs_libgomp"] = r["alone_step_s"] / ref["alone_step_s"]
        r["pair_speedup_vs_libgomp"] = ref["pair_step_s"] / r["pair_step_s"]
    notes = (
        f"2 threads per job; a job's figure is its median step time over a {window:g} s window; "
        f"a pair's, the median over {REPEATS} windows of its two jobs' mean (range beside it). "
        "laura's GOMP_SPINCOUNT: "
        f"{ours['GOMP_SPINCOUNT']}"
    )
    columns = [
        "setting",
        "GOMP_SPINCOUNT",
        "OMP_WAIT_POLICY",
        "alone_step_s",
        "pair_step_s",
        "pair_range_s",
        "pair_slowdown",
        "alone_vs_libgomp",
        "pair_speedup_vs_libgomp",
    ]
    summary = [
        row(
            "two training jobs side by side on the same cores, laura's spin-wait",
            ours["pair_step_s"],
            "s/step",
            reference=ref["pair_step_s"],
            reference_label="libgomp's default spin-wait",
            ratio=ours["pair_speedup_vs_libgomp"],
            ratio_of="speed-up (libgomp / laura step time)",
            goal=BENCH.goal,
        ),
        row(
            "one training job alone, laura's spin-wait",
            ours["alone_step_s"],
            "s/step",
            reference=ref["alone_step_s"],
            reference_label="libgomp's default spin-wait",
            ratio=ours["alone_vs_libgomp"],
            ratio_of="laura / libgomp step time (the price alone)",
        ),
    ]
    write(BENCH, summary, [table("threads", rows, columns, notes)], notes)


if __name__ == "__main__":
    main()
