"""bench/report.py renders docs/performance.md's tables from result JSON: checked on two small
synthetic results in a tmp dir (no benchmark is run)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _load(name: str):
    # bench/ is not a package: load its modules by path, under names no test module shadows,
    # and leave sys.path and sys.modules as they were (report.py puts bench/ first to import
    # its sibling common.py).
    path, had_common = list(sys.path), "common" in sys.modules
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.path[:] = path
        if not had_common:
            sys.modules.pop("common", None)
    return mod


common = _load("common")
report = _load("report")

PAGE = """# Performance

Hand-written intro | with a pipe.

<!-- bench:goals:begin -->
stale goals
<!-- bench:goals:end -->

Between the blocks.

<!-- bench:results:begin -->
| stale | table |
<!-- bench:results:end -->

## Measured by hand

| job | speed |
| --- | --- |
| something | 2 steps/s |
"""


def _record(name: str, goal, rows: list[dict]) -> dict:
    return {
        "schema": common.SCHEMA,
        "benchmark": name,
        "script": f"bench/bench_{name}.py",
        "compares": f"{name} vs its reference",
        "goal": None if goal is None else goal.as_dict(),
        "date": "2026-12-04T15:00:00+00:00",
        "command": f".venv/bin/python bench/bench_{name}.py",
        "wall_s": 12.3,
        "machine": {
            "cpu": "Test CPU",
            "cores": 2,
            "threads": 2,
            "torch": "2.14.1",
            "python": "3.11.7",
            "cpu_isa": {"laura": "avx2", "capability": "AVX2", "env": {}},
            "load_average": [1.5, 1.2, 1.0],
        },
        "notes": "",
        "rows": rows,
        "tables": [],
    }


@pytest.fixture
def setup(tmp_path: Path):
    results = tmp_path / "results"
    results.mkdir()
    speed = common.Goal("ratio laura/peer", "<=", 1.0)
    fast = common.Goal("ratio cache/no cache", ">=", 3.0)
    a = _record(
        "alpha",
        speed,
        [
            common.row(
                "12x512, batch 1",
                0.13,
                "s",
                reference=0.2,
                reference_label="peer",
                ratio=0.65,
                ratio_of="laura / peer",
                goal=speed,
            ),
            common.row(
                "4x256, batch 8",
                0.05,
                "s",
                reference=0.04,
                reference_label="peer",
                ratio=1.25,
                ratio_of="laura / peer",
                goal=speed,
            ),
        ],
    )
    b = _record(
        "beta",
        fast,
        [
            common.row(
                "batch 1",
                457.0,
                "tokens/s",
                reference=73.0,
                reference_label="no cache",
                ratio=6.26,
                ratio_of="cache / no cache",
                goal=fast,
                note="200 tokens",
            ),
            common.row("padding", 7.7, "% padded", reference=37.5, reference_label="random"),
        ],
    )
    (results / "alpha.json").write_text(json.dumps(a))
    (results / "beta.json").write_text(json.dumps(b))
    doc = tmp_path / "performance.md"
    doc.write_text(PAGE)
    return doc, results


def _outside(text: str) -> list[str]:
    """The page with each generated block's contents cut out."""
    parts = []
    for name in report.BLOCKS:
        begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
        head, rest = text.split(begin)
        parts.append(head + begin)
        text = end + rest.split(end)[1]
    return [*parts, text]


def test_rows_ratios_and_goals(setup):
    doc, results = setup
    assert report.main(["--doc", str(doc), "--results", str(results)]) == 0
    text = doc.read_text()
    rows = [
        line
        for line in text.splitlines()
        if line.startswith("| `alpha`") or line.startswith("| `beta`")
    ]
    assert rows == [
        (
            "| `alpha` | 12x512, batch 1 | 0.13 s | peer 0.2 s | 0.65 (laura / peer) "
            "| ratio laura/peer <= 1 | yes |"
        ),
        (
            "| `alpha` | 4x256, batch 8 | 0.05 s | peer 0.04 s | 1.25 (laura / peer) "
            "| ratio laura/peer <= 1 | **no** |"
        ),
        (
            "| `beta` | batch 1 | 457 tokens/s (200 tokens) | no cache 73 tokens/s "
            "| 6.26 (cache / no cache) | ratio cache/no cache >= 3 | yes |"
        ),
        "| `beta` | padding | 7.7% padded | random 37.5% padded |  |  |  |",
    ]
    # the goals table comes from the records, one line per benchmark
    assert "| `bench/bench_alpha.py` | alpha vs its reference | ratio laura/peer <= 1 |" in text
    assert "| `bench/bench_beta.py` | beta vs its reference | ratio cache/no cache >= 3 |" in text
    # one machine-and-date line per result file
    machine_lines = [line for line in text.splitlines() if line.startswith("- `")]
    assert len(machine_lines) == 2
    assert all(
        "2026-12-04 15:00:00 UTC" in line and "Test CPU" in line and "AVX2" in line
        for line in machine_lines
    )
    assert "stale" not in text


def test_text_outside_markers_unchanged(setup):
    doc, results = setup
    report.main(["--doc", str(doc), "--results", str(results)])
    assert _outside(doc.read_text()) == _outside(PAGE)
    # a second run changes nothing, and --check agrees
    once = doc.read_text()
    report.main(["--doc", str(doc), "--results", str(results)])
    assert doc.read_text() == once
    assert report.main(["--doc", str(doc), "--results", str(results), "--check"]) == 0


def test_missing_marker_is_one_line_naming_the_file(setup, capsys):
    doc, results = setup
    doc.write_text(PAGE.replace("<!-- bench:results:end -->\n", ""))
    before = doc.read_text()
    assert report.main(["--doc", str(doc), "--results", str(results)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert str(doc) in err and "<!-- bench:results:end -->" in err and "not found" in err
    assert doc.read_text() == before  # nothing written


def test_missing_key_is_named_with_the_file(setup, capsys):
    doc, results = setup
    rec = json.loads((results / "beta.json").read_text())
    del rec["rows"][1]["result"]["unit"]
    (results / "beta.json").write_text(json.dumps(rec))
    assert report.main(["--doc", str(doc), "--results", str(results)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert str(results / "beta.json") in err and "rows[1].result.unit" in err
    rec = json.loads((results / "alpha.json").read_text())
    del rec["machine"]
    (results / "alpha.json").write_text(json.dumps(rec))
    assert report.main(["--doc", str(doc), "--results", str(results)]) == 2
    err = capsys.readouterr().err
    assert str(results / "alpha.json") in err and "'machine'" in err
    assert doc.read_text() == PAGE
