"""The price of reproducible CPU training: the mini recipe's training step with the kernels'
instruction set pinned to AVX2 (laura's default, ``LAURA_CPU_ISA=avx2``: the same weights on
every x86-64 machine) against the machine's native choice (``LAURA_CPU_ISA=native``, e.g.
AVX-512), each in a fresh process, measured in the same run. The goal is BENCH.goal below.

The step: 4x256 Conformer on 8 x 4 s of LFR features + a 4x256 Qwen2 LM over 8 x 60 tokens,
forward, backward, AdamW (the shapes of recipes/lauragpt-mini.yaml). The weight checksums show
whether the two settings compute different numbers on this machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import MINI_TRAINING_STEP, Benchmark, Goal, row, table, write  # noqa: E402

BENCH = Benchmark(
    name="cpu_isa",
    compares="a mini-recipe training step (4x256 Conformer + 4x256 Qwen2, 8 x 4 s, AdamW) with the "
    "CPU kernels pinned to AVX2 (laura's default, docs/reproducibility.md) vs the machine's native "
    "choice, each in a fresh process",
    goal=Goal("ratio pinned/native", "<=", 1.15),
)

CHILD = (
    "import hashlib, json, statistics, time\n"
    + MINI_TRAINING_STEP
    + r"""
times = []
for i in range(12):
    t0 = time.perf_counter(); step(); times.append(time.perf_counter() - t0)
digest = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in params)).hexdigest()[:16]
print(json.dumps({"step_s": statistics.median(times[2:]), "checksum": digest,
                  "capability": torch.backends.cpu.get_cpu_capability()}))
"""
)


def run(isa: str) -> dict:
    env = {**os.environ, "LAURA_CPU_ISA": isa}
    out = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    native, pinned = run("native"), run("avx2")
    rows = [
        {"setting": "native", **native, "ratio": 1.0},
        {"setting": "avx2 (default)", **pinned, "ratio": pinned["step_s"] / native["step_s"]},
    ]
    same = "same" if native["checksum"] == pinned["checksum"] else "different"
    # This parent process neither imports laura nor runs kernels: its own CPU-ISA facts in the
    # record are not the measured ones; each row names the capability its child ran with.
    notes = f"weights after 12 steps: {same} numbers under the two settings on this machine"
    columns = ["setting", "capability", "step_s", "ratio", "checksum"]
    summary = [
        row(
            f"mini-recipe training step pinned to {pinned['capability']}",
            pinned["step_s"],
            "s",
            note=f"{same} weights after 12 steps",
            reference=native["step_s"],
            reference_label=f"native {native['capability']}",
            ratio=rows[1]["ratio"],
            ratio_of="pinned / native",
            goal=BENCH.goal,
        )
    ]
    write(BENCH, summary, [table("cpu_isa", rows, columns, notes)], notes)


if __name__ == "__main__":
    main()
