"""Shared helpers for benchmarks: timing, the printed tables, and one JSON record per benchmark in
bench/results/<name>.json that bench/report.py turns into the tables of docs/performance.md.

The record (schema 1):

    {"schema": 1, "benchmark": name, "script": "bench/bench_<name>.py",
     "compares": what is measured against what, "goal": {"text", "on", "op", "value"} or null,
     "date": ISO 8601 UTC, "command": how it was run, "wall_s": run time,
     "machine": {"cpu", "cores", "threads", "torch", "python",
                 "cpu_isa": {"laura", "capability", "env"}, "load_average"},
     "notes": the benchmark's printed remarks,
     "rows": [{"label", "result": {"value", "unit"}, "note",
               "reference": {"label", "value", "unit"} or null,
               "ratio": {"value", "of"} or null,
               "goal": {"text", "met"} or null}],
     "tables": [{"title", "columns", "rows", "notes"}]}   # the benchmark's own printed tables

Nothing here imports torch or laura at import time: bench/report.py reads the schema from this
module without paying for torch, and bench_cpu_isa.py must not pin the kernels of its parent
process (its children would inherit the pin through the environment).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SCHEMA = 1
# Keys bench/report.py needs; a record without one of them is refused with the key named.
RECORD_KEYS = (
    "schema",
    "benchmark",
    "script",
    "compares",
    "goal",
    "date",
    "command",
    "machine",
    "rows",
)
MACHINE_KEYS = ("cpu", "cores", "threads", "torch", "cpu_isa")
ROW_KEYS = ("label", "result", "reference", "ratio", "goal")
# The environment variables laura's CPU-ISA pin sets (laura/__init__.py, docs/reproducibility.md)
ISA_ENV = ("LAURA_CPU_ISA", "ATEN_CPU_CAPABILITY", "MKL_CBWR", "ONEDNN_MAX_CPU_ISA")

# The mini recipe's training step (4x256 Conformer on 8 x 4 s of LFR features + a 4x256 Qwen2 LM
# over 8 x 60 tokens; forward, backward, AdamW: the shapes of recipes/lauragpt-mini.yaml) as
# source for a benchmark's child process: what bench_cpu_isa and bench_threads compare is fixed
# when torch loads, so each setting runs in a fresh process. It defines ``params`` and ``step()``.
MINI_TRAINING_STEP = r"""
import laura  # before torch: pins the kernels' instruction set, sets GOMP_SPINCOUNT
import torch
from laura.nn.conformer import ConformerConfig, ConformerEncoder
from transformers import Qwen2Config, Qwen2ForCausalLM

torch.manual_seed(0)
torch.set_num_threads(2)
enc = ConformerEncoder(ConformerConfig(input_dim=560, d_model=256, n_blocks=4, n_heads=4,
                                       ffn_dim=1024, conv_kernel=15, dropout=0.0))
lm = Qwen2ForCausalLM(Qwen2Config(vocab_size=2048, hidden_size=256, num_hidden_layers=4,
                                  num_attention_heads=4, num_key_value_heads=4,
                                  intermediate_size=768, max_position_embeddings=512))
params = list(enc.parameters()) + list(lm.parameters())
opt = torch.optim.AdamW(params, lr=1e-3)
x = torch.randn(8, 67, 560)
lens = torch.full((8,), 67)
ids = torch.randint(0, 2048, (8, 60))
def step():
    h = enc(x, lens)[0]
    seq = torch.cat([h, lm.get_input_embeddings()(ids)], dim=1)
    out = lm(inputs_embeds=seq).logits[:, 67:-1]
    loss = torch.nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), ids[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
"""

_T0 = time.perf_counter()  # common is imported first by every benchmark: wall_s counts the run


@dataclass(frozen=True)
class Goal:
    """A benchmark's goal, checked on each row it applies to: ``on`` the row's "ratio" or its
    "result" value, ``op`` "<=" or ">=", ``value``; ``what`` names the quantity for the text."""

    what: str
    op: str
    value: float
    on: str = "ratio"
    unit: str = ""

    def __post_init__(self) -> None:
        if self.op not in ("<=", ">=") or self.on not in ("ratio", "result"):
            raise ValueError(f"goal {self}: op must be <= or >=, on must be ratio or result")

    @property
    def text(self) -> str:
        return f"{self.what} {self.op} {self.value:g}{self.unit}"

    def met(self, value: float) -> bool:
        return value <= self.value if self.op == "<=" else value >= self.value

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "on": self.on, "op": self.op, "value": self.value}


@dataclass(frozen=True)
class Benchmark:
    """What a benchmark is: its results name, what it compares and its goal (the one place
    they are written; docs/performance.md's goal table is generated from them)."""

    name: str
    compares: str
    goal: Goal | None

    @property
    def script(self) -> str:
        return f"bench/bench_{self.name}.py"


def timeit(fn: Callable[[], object], repeat: int = 5, warmup: int = 1) -> float:
    """Median wall-clock seconds of ``fn`` over ``repeat`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def timeit_interleaved(
    fns: dict[str, Callable[[], object]], repeat: int = 5, warmup: int = 1
) -> dict[str, float]:
    """Median wall-clock seconds of each of ``fns``, run in turns (a, b, c, a, b, c ...).

    On a CPU shared with other jobs the load changes within a run; taking turns exposes every
    compared function to the same load, so their ratio is fairer than timing one after another.
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def row(
    label: str,
    result: float,
    unit: str,
    *,
    reference: float | None = None,
    reference_label: str = "",
    ratio: float | None = None,
    ratio_of: str = "",
    goal: Goal | None = None,
    note: str = "",
) -> dict[str, Any]:
    """One measured row: ``result`` (in ``unit``) against ``reference`` (same unit, same run),
    their ``ratio`` as ``ratio_of`` says, and whether ``goal`` is met (None: not judged)."""
    judged = None
    if goal is not None:
        value = ratio if goal.on == "ratio" else result
        if value is None:
            raise ValueError(f"row {label!r}: goal on {goal.on} but no {goal.on} given")
        judged = {"text": goal.text, "met": goal.met(value)}
    return {
        "label": label,
        "result": {"value": result, "unit": unit},
        "note": note,
        "reference": None
        if reference is None
        else {"label": reference_label, "value": reference, "unit": unit},
        "ratio": None if ratio is None else {"value": ratio, "of": ratio_of},
        "goal": judged,
    }


def table(title: str, rows: list[dict], columns: list[str], notes: str = "") -> dict[str, Any]:
    """Print a benchmark's own table (all its measured columns) and return it for the record."""
    widths = [max(len(c), *(len(_fmt(r.get(c))) for r in rows)) for c in columns]
    print(f"\n{title}")
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(_fmt(r.get(c)).ljust(w) for c, w in zip(columns, widths)))
    if notes:
        print(notes)
    return {"title": title, "columns": columns, "rows": rows, "notes": notes}


def cpu_model() -> str:
    """The CPU's model name (platform.processor() says only "x86_64" on Linux)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """Facts of the machine and process the figures were measured with."""
    import torch

    laura = sys.modules.get("laura")
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        # The pin in effect in this process: laura's setting (None: laura not imported here, as
        # in bench_cpu_isa.py's parent, whose children set their own), the kernels torch chose.
        "cpu_isa": {
            "laura": getattr(laura, "CPU_ISA", None),
            "capability": torch.backends.cpu.get_cpu_capability(),
            "env": {k: os.environ[k] for k in ISA_ENV if k in os.environ},
        },
        # Other jobs share the CPU: the load says how noisy the absolute timings are.
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def command() -> str:
    """The command line of this run, paths relative to the repository when inside it."""

    def rel(p: str) -> str:
        try:
            return str(Path(p).absolute().relative_to(ROOT))
        except ValueError:
            return p

    return shlex.join([rel(sys.executable), rel(sys.argv[0]), *sys.argv[1:]])


def write(bench: Benchmark, rows: list[dict], tables: list[dict], notes: str = "") -> Path:
    """Write ``bench/results/<name>.json`` (atomically: a report never reads half a file)."""
    record = {
        "schema": SCHEMA,
        "benchmark": bench.name,
        "script": bench.script,
        "compares": bench.compares,
        "goal": None if bench.goal is None else bench.goal.as_dict(),
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "command": command(),
        "wall_s": round(time.perf_counter() - _T0, 1),
        "machine": machine(),
        "notes": notes,
        "rows": rows,
        "tables": tables,
    }
    print(f"\n{bench.name}: " + "; ".join(_summary(r) for r in rows))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{bench.name}.json"
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    tmp.replace(out)
    print(f"wrote {out.relative_to(ROOT)}")
    return out


def _summary(r: dict) -> str:
    s = f"{r['label']}: {_fmt(r['result']['value'])} {r['result']['unit']}"
    if r["ratio"] is not None:
        s += f", ratio {_fmt(r['ratio']['value'])}"
    if r["goal"] is not None:
        s += f" (goal {r['goal']['text']}: {'met' if r['goal']['met'] else 'NOT met'})"
    return s


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)
