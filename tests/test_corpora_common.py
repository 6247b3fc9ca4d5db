"""Shared corpus-prep helpers: audio conversion to 16 kHz mono PCM."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from laura.data.corpora.common import convert_all, convert_report
from laura.data.errors import DataError


def _jobs(tmp_path: Path, n_good: int, n_bad: int) -> list[tuple[Path, Path, None, None]]:
    jobs = []
    for i in range(n_good):
        src = tmp_path / f"good{i}.flac"
        sf.write(str(src), np.sin(np.arange(22050) / 10).astype(np.float32) * 0.3, 22050)
        jobs.append((src, tmp_path / "out" / f"good{i}.wav", None, None))
    for i in range(n_bad):
        src = tmp_path / f"bad{i}.wav"
        src.write_bytes(b"RIFF not really a wave file")
        jobs.append((src, tmp_path / "out" / f"bad{i}.wav", None, None))
    return jobs


@pytest.mark.parametrize("workers", [1, 2])
def test_convert_all_names_every_bad_file_and_keeps_the_good_ones(tmp_path, workers) -> None:
    jobs = _jobs(tmp_path, n_good=10, n_bad=2)
    with pytest.raises(DataError, match="2 of 12 audio files could not be converted") as err:
        convert_all(jobs, num_workers=workers)
    assert "bad0.wav" in str(err.value) and "bad1.wav" in str(err.value)
    for _, dst, _, _ in jobs[:10]:
        wav, sr = sf.read(str(dst))
        assert sr == 16000 and len(wav) == 16000, (dst, sr, len(wav))
    assert not (tmp_path / "out" / "bad0.wav").exists()
    # a rerun after removing the bad files converts nothing twice and succeeds
    mtimes = [dst.stat().st_mtime_ns for _, dst, _, _ in jobs[:10]]
    assert convert_all(jobs[:10], num_workers=workers) == [dst for _, dst, _, _ in jobs[:10]]
    assert [dst.stat().st_mtime_ns for _, dst, _, _ in jobs[:10]] == mtimes


def test_convert_report_returns_the_errors_by_source(tmp_path) -> None:
    jobs = _jobs(tmp_path, n_good=1, n_bad=1)
    failed = convert_report(jobs, num_workers=1)
    assert list(failed) == [str(jobs[1][0])]
    assert "cannot decode audio" in failed[str(jobs[1][0])]
