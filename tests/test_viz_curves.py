"""Training curves: the CSV logs read as Lightning writes them (resumptions repeat steps, logs
past version_9), a picture for one run and for a multi-task training's stages."""

from __future__ import annotations

from pathlib import Path

import pytest

from laura.viz import metrics_csvs, plot_curves, plot_task_curves, read_metrics_csvs

HEADER = (
    "epoch,lr,step,train/ASR/loss,train/loss,val/ASR/acc,val/ASR/loss,val/TTS/acc,val/TTS/loss\n"
)


def write_log(exp: Path, version: int, rows: list[str]) -> Path:
    f = exp / "logs" / f"version_{version}" / "metrics.csv"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(HEADER + "".join(r + "\n" for r in rows))
    return f


def test_versions_in_numeric_order_and_a_resumed_step_keeps_the_later_value(tmp_path: Path) -> None:
    for v in (0, 2, 10):
        write_log(tmp_path, v, [f"0,0.1,{v * 10},1.0,{v}.5,,,,"])
    csvs = metrics_csvs(tmp_path)
    assert [p.parent.name for p in csvs] == ["version_0", "version_2", "version_10"]
    write_log(tmp_path, 11, ["0,0.1,100,1.0,9.0,,,,", "0,0.1,110,1.0,8.0,0.5,2.0,,"])
    series = read_metrics_csvs(metrics_csvs(tmp_path))
    # version_10 logged step 100 as 10.5; version_11 resumed from an earlier checkpoint: 9.0 wins
    assert series["train/loss"] == [(0, 0.5), (20, 2.5), (100, 9.0), (110, 8.0)]
    assert series["val/ASR/acc"] == [(110, 0.5)]
    assert "epoch" not in series and "val/TTS/acc" not in series  # empty cells are no values


def test_task_curves_over_stages_and_refusals(tmp_path: Path) -> None:
    s1 = write_log(
        tmp_path / "s1", 0, [f"0,0.1,{i},2.0,2.0,{i / 100},1.0,0.1,3.0" for i in range(20)]
    )
    s2 = write_log(tmp_path / "s2", 0, [f"0,0.1,{i},1.5,1.5,0.3,0.9,0.2,2.5" for i in range(5)])
    out = plot_task_curves([("stage 1", [s1]), ("stage 2", [s2])], tmp_path / "fig" / "c.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in out.parent.iterdir()] == ["c.png"]  # no temporary file left
    empty = write_log(tmp_path / "s3", 0, [])
    with pytest.raises(ValueError, match="stage 'stage 3': no logged steps"):
        plot_task_curves([("stage 3", [empty])], tmp_path / "x.png")
    # one multi-task run (what `laura train` draws) gets the same per-task picture
    gone = tmp_path / "logs/version_9/metrics.csv"  # a listed log that is not there is skipped
    assert plot_curves([s1, gone], tmp_path / "one.png") == tmp_path / "one.png"
    assert plot_curves([empty], tmp_path / "none.png") is None
    assert not (tmp_path / "none.png").exists()
