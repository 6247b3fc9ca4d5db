"""Kaldi data dir I/O, manifests and validate_data_dir: one bad example of each kind."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from laura.bin.validate_data import main
from laura.data.errors import DataError
from laura.data.kaldi import (
    Segment,
    load_data_dir,
    read_segments,
    read_table,
    read_wav_scp,
    write_data_dir,
    write_table,
)
from laura.data.manifest import data_dir_to_manifest, read_manifest, write_manifest
from laura.data.validate import (
    Problem,
    ValidationError,
    filter_invalid,
    format_problems,
    raise_if_invalid,
    validate_data_dir,
)

SR = 16000


def _noise(seconds: float, sr: int = SR, channels: int = 1, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (int(seconds * sr), channels) if channels > 1 else (int(seconds * sr),)
    return (0.1 * rng.standard_normal(shape)).astype(np.float32)


def _write(lines: list[str], path: Path) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _clean_dir(root: Path) -> Path:
    d = root / "clean"
    (d / "wav").mkdir(parents=True)
    for i, utt in enumerate(["spk1-001", "spk1-002", "spk2-001"]):
        sf.write(d / "wav" / f"{utt}.wav", _noise(0.5, seed=i), SR, subtype="PCM_16")
    _write(
        ["spk1-001 wav/spk1-001.wav", "spk1-002 wav/spk1-002.wav", "spk2-001 wav/spk2-001.wav"],
        d / "wav.scp",
    )
    _write(["spk1-001 hello world", "spk1-002 good morning", "spk2-001 你好"], d / "text")
    _write(["spk1-001 spk1", "spk1-002 spk1", "spk2-001 spk2"], d / "utt2spk")
    _write(["spk1 spk1-001 spk1-002", "spk2 spk2-001"], d / "spk2utt")
    _write(["spk1-001 en", "spk1-002 en", "spk2-001 zh"], d / "utt2lang")
    return d


# utt id -> (problem kind, file holding the problem, substrings the message must contain)
BAD_CASES = {
    "b-missing": ("audio-missing", "wav.scp", ["does not exist", "b-missing.wav"]),
    "c-garbage": ("audio-unreadable", "wav.scp", ["cannot read audio file", "c-garbage.wav"]),
    "d-emptytext": ("empty-text", "text", ["empty transcript"]),
    "e-8k": ("sample-rate", "wav.scp", ["sample rate 8000", "expected 16000"]),
    "f-stereo": ("channels", "wav.scp", ["2 channels", "mono"]),
    "g-zerolen": ("empty-audio", "wav.scp", ["0 samples"]),
    "h-silent": ("silent", "wav.scp", ["silent", "all samples are zero"]),
    "i-nan": ("nonfinite", "wav.scp", ["NaN/Inf"]),
    "j-dup": ("duplicate", "text", ["duplicate id", "first seen at line"]),
    "l-textonly": ("missing-id", "text", ["missing from wav.scp"]),
    "m-nospk": ("missing-id", "wav.scp", ["missing from utt2spk"]),
    "n-long": ("too-long", "wav.scp", ["longer than max_duration 2.0"]),
}


def _bad_dir(root: Path) -> Path:
    d = root / "bad"
    w = d / "wav"
    w.mkdir(parents=True)
    sf.write(w / "a-good1.wav", _noise(0.5, seed=1), SR)
    sf.write(w / "a-good2.wav", _noise(0.5, seed=2), SR)
    (w / "c-garbage.wav").write_bytes(b"this is not a wav file" * 10)
    sf.write(w / "e-8k.wav", _noise(0.5, sr=8000), 8000)
    sf.write(w / "f-stereo.wav", _noise(0.5, channels=2), SR)
    sf.write(w / "g-zerolen.wav", np.zeros(0, dtype=np.float32), SR)
    sf.write(w / "h-silent.wav", np.zeros(SR // 2, dtype=np.float32), SR)
    nan = _noise(0.5, seed=3)
    nan[100] = np.nan
    sf.write(w / "i-nan.wav", nan, SR, subtype="FLOAT")
    sf.write(w / "j-dup.wav", _noise(0.5, seed=4), SR)
    sf.write(w / "m-nospk.wav", _noise(0.5, seed=5), SR)
    sf.write(w / "n-long.wav", _noise(3.0, seed=6), SR)

    wav_ids = [
        "a-good1",
        "a-good2",
        "b-missing",
        "c-garbage",
        "d-emptytext",
        "e-8k",
        "f-stereo",
        "g-zerolen",
        "h-silent",
        "i-nan",
        "j-dup",
        "m-nospk",
        "n-long",
    ]
    sf.write(w / "d-emptytext.wav", _noise(0.5, seed=7), SR)
    _write([f"{u} wav/{u}.wav" for u in wav_ids], d / "wav.scp")
    text = {u: f"words of {u}" for u in wav_ids + ["l-textonly"]}
    text["d-emptytext"] = "   "
    lines = [f"{u} {text[u]}" for u in sorted(text)]
    lines[0], lines[1] = lines[1], lines[0]  # a-good2 before a-good1: unsorted
    dup = lines.index("j-dup words of j-dup")
    lines.insert(dup + 1, "j-dup words of j-dup")  # adjacent duplicate: not also "unsorted"
    _write(lines, d / "text")
    spk_ids = [u for u in wav_ids if u != "m-nospk"]
    _write([f"{u} {u}" for u in spk_ids], d / "utt2spk")
    _write([f"{u} {u}" for u in spk_ids], d / "spk2utt")
    return d


def test_clean_dir_has_no_problems(tmp_path: Path) -> None:
    d = _clean_dir(tmp_path)
    assert validate_data_dir(d) == []
    raise_if_invalid(d)  # no exception
    assert main([str(d)]) == 0


def test_each_bad_case_reported_exactly_once(tmp_path: Path) -> None:
    d = _bad_dir(tmp_path)
    problems = validate_data_dir(d, max_duration=2.0)
    text = "\n".join(map(str, problems))

    unsorted = [p for p in problems if p.kind == "unsorted"]
    assert len(unsorted) == 1, text
    assert unsorted[0].file == str(d / "text") and unsorted[0].line == 2
    assert "'a-good1' comes after 'a-good2'" in unsorted[0].message
    assert str(unsorted[0]).startswith(f"{d / 'text'}:2: ids are not sorted")

    for utt, (kind, fname, parts) in BAD_CASES.items():
        mine = [p for p in problems if p.utt == utt]
        assert len(mine) == 1, f"{utt}: {mine}\n{text}"
        p = mine[0]
        assert p.kind == kind, p
        assert p.file == str(d / fname), p
        s = str(p)
        assert s.startswith(f"{d / fname}:"), s
        assert f"utt {utt}: " in s
        for part in parts:
            assert part in s, (part, s)
    assert len(problems) == len(BAD_CASES) + 1, text
    assert not [p for p in problems if p.utt in ("a-good1", "a-good2")]

    # line numbers point at the entry
    wav_lines = (d / "wav.scp").read_text().splitlines()
    p8k = next(p for p in problems if p.utt == "e-8k")
    assert wav_lines[p8k.line - 1].startswith("e-8k ")


def test_no_audio_and_header_only(tmp_path: Path) -> None:
    d = _bad_dir(tmp_path)
    no_audio = {p.kind for p in validate_data_dir(d, max_duration=2.0, check_audio=False)}
    assert no_audio == {"unsorted", "empty-text", "duplicate", "missing-id"}
    header = {p.utt for p in validate_data_dir(d, max_duration=2.0, check_samples=False)}
    assert "h-silent" not in header and "i-nan" not in header and "e-8k" in header


def test_raise_if_invalid_lists_all_problems(tmp_path: Path) -> None:
    d = _bad_dir(tmp_path)
    problems = validate_data_dir(d, max_duration=2.0)
    with pytest.raises(ValidationError) as ei:
        raise_if_invalid(d, max_duration=2.0)
    msg = str(ei.value)
    assert msg.startswith(f"{len(problems)} problems in data dir {d}")
    for p in problems:
        assert str(p) in msg
    assert ei.value.problems == problems
    assert isinstance(ei.value, DataError)


def test_format_problems_truncates() -> None:
    ps = [Problem("f", i, f"u{i}", "bad") for i in range(60)]
    out = format_problems(ps)
    assert "f:49: utt u49: bad" in out and "u50" not in out
    assert out.endswith("... and 10 more")
    assert str(Problem("data/x/wav.scp", None, None, "required file is missing")) == (
        "data/x/wav.scp: required file is missing"
    )


def test_missing_required_files(tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    problems = validate_data_dir(d)
    assert sorted(p.file for p in problems) == sorted(
        str(d / n) for n in ("wav.scp", "utt2spk", "text")
    )
    assert all(p.message == "required file is missing" for p in problems)
    assert validate_data_dir(tmp_path / "nope")[0].kind == "missing-dir"


def test_extra_tables_are_cross_checked(tmp_path: Path) -> None:
    d = _clean_dir(tmp_path)
    _write(["spk1-001 hallo welt", "spk1-002 ", "spk2-001 ni hao"], d / "text.de")
    _write(["spk1-001 happy", "spk2-001 sad"], d / "utt2emotion")
    (d / "README").write_text("not a table\n\nat all\n")  # not an extra: ignored
    problems = validate_data_dir(d, extra_text_files=["text.de", "text.fr"])
    got = sorted(str(p) for p in problems)
    assert got == sorted(
        [
            f"{d / 'text.fr'}: required file is missing",
            f"{d / 'text.de'}:2: utt spk1-002: empty transcript",
            f"{d / 'wav.scp'}:2: utt spk1-002: present in wav.scp, text, utt2spk, text.de, "
            "utt2lang but missing from utt2emotion",
        ]
    )


def test_spk2utt_mismatch(tmp_path: Path) -> None:
    d = _clean_dir(tmp_path)
    _write(["spk1 spk1-001", "spk2 spk1-002 spk2-001"], d / "spk2utt")
    problems = validate_data_dir(d)
    assert [p.kind for p in problems] == ["spk2utt", "spk2utt"]
    assert "missing ['spk1-002']" in problems[0].message
    assert "unexpected ['spk1-002']" in problems[1].message


def test_segments_checks_and_filter(tmp_path: Path) -> None:
    d = tmp_path / "seg"
    d.mkdir()
    sf.write(d / "rec1.wav", _noise(2.0), SR)
    sf.write(d / "rec2.wav", np.zeros(SR, dtype=np.float32), SR)  # silent recording
    _write(["rec1 rec1.wav", "rec2 rec2.wav"], d / "wav.scp")
    segs = {
        "u1": "rec1 0.0 1.0",  # fine
        "u2": "rec1 1.0 -1",  # fine: to the end
        "u3": "rec1 1.5 1.2",  # start after end
        "u4": "rec1 1.5 3.0",  # beyond the recording
        "u5": "rec9 0 1",  # unknown recording
        "u6": "rec2 0 0.5",  # fine, but rec2 is silent
    }
    _write([f"{u} {v}" for u, v in segs.items()], d / "segments")
    _write([f"{u} w" for u in segs], d / "text")
    _write([f"{u} s" for u in segs], d / "utt2spk")
    problems = validate_data_dir(d)
    by = {p.utt: p for p in problems}
    assert set(by) == {"u3", "u4", "u5", "rec2"}, problems
    assert "not before end" in by["u3"].message
    assert "outside recording rec1 (2.000 s)" in by["u4"].message
    assert "recording rec9 is not in wav.scp" in by["u5"].message
    assert str(by["rec2"]).startswith(f"{d / 'wav.scp'}:2: recording rec2: audio is silent")

    kept, skipped = filter_invalid(d, problems)
    assert kept == ["u1", "u2"]
    assert len(skipped) == 4


def test_filter_invalid(tmp_path: Path) -> None:
    d = _clean_dir(tmp_path)
    sf.write(d / "wav" / "spk1-002.wav", _noise(0.5, sr=8000), 8000)
    problems = validate_data_dir(d)
    kept, skipped = filter_invalid(d, problems)
    assert kept == ["spk1-001", "spk2-001"]
    assert [p.utt for p in skipped] == ["spk1-002"]
    # a duplicate id makes the dir unloadable: skipping cannot help
    _write(["spk1-001 a", "spk1-001 a", "spk1-002 b", "spk2-001 c"], d / "text")
    with pytest.raises(ValidationError, match=r"text:2: utt spk1-001: duplicate id"):
        filter_invalid(d, validate_data_dir(d))


def test_validate_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = _bad_dir(tmp_path)
    clean = _clean_dir(tmp_path)
    rc = main([str(bad), str(clean), "--max-duration", "2", "--header-only"])
    out = capsys.readouterr().out
    assert rc == 1
    assert (
        f"{bad / 'wav.scp'}:" in out and "utt e-8k: sample rate 8000 Hz, expected 16000 Hz" in out
    )
    assert f"{clean}: OK" in out
    assert (
        f"{bad}: 11 problems" in out
    )  # 13 minus silent + NaN: they need decoding, skipped by --header-only
    assert main([str(bad), "--sample-rate", "8000", "--no-audio"]) == 1


# --- kaldi.py -------------------------------------------------------------------------------


def test_read_table_errors_name_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "text"
    p.write_text("a one\nb two\n\nc three\n  d four\nb again\n", encoding="utf-8")
    with pytest.raises(DataError) as ei:
        read_table(p)
    msg = str(ei.value)
    assert f"{p}:3: blank line" in msg
    assert f"{p}:5: line starts with whitespace" in msg
    assert f"{p}:6: duplicate id (first seen at line 2)" in msg
    p.write_bytes(b"a ok\nb \xff\xfe\n")
    with pytest.raises(DataError, match=rf"{p}:2: not valid UTF-8"):
        read_table(p)
    with pytest.raises(DataError, match="no such file"):
        read_table(tmp_path / "missing")


def test_read_table_values(tmp_path: Path) -> None:
    p = tmp_path / "t"
    p.write_bytes(b"u1 hello  world \r\nu2\nu3\tTAB sep\n")
    assert read_table(p) == {"u1": "hello  world", "u2": "", "u3": "TAB sep"}


def test_write_table_byte_order_and_atomic(tmp_path: Path) -> None:
    p = tmp_path / "sub" / "t"
    write_table(p, {"a": "x", "B": "y", "_": "z", "é": "", "A10": 1, "A2": 2})
    assert p.read_text().splitlines() == ["A10 1", "A2 2", "B y", "_ z", "a x", "é"]
    assert sorted(os.listdir(p.parent)) == ["t"]  # no temp file left behind
    assert oct(p.stat().st_mode & 0o777) != oct(0o600)  # not the mkstemp mode
    with pytest.raises(DataError, match="whitespace"):
        write_table(p, {"a b": "x"})
    with pytest.raises(DataError, match="newline"):
        write_table(p, {"a": "x\ny"})
    assert read_table(p)["A2"] == "2"  # failed writes left the old file intact


def test_wav_scp_paths_and_pipes(tmp_path: Path) -> None:
    d = tmp_path / "data"
    d.mkdir()
    _write(["u1 wav/u1.wav", "u2 /abs/u2.flac"], d / "wav.scp")
    got = read_wav_scp(d / "wav.scp")
    assert got == {"u1": str(d / "wav" / "u1.wav"), "u2": "/abs/u2.flac"}
    assert read_wav_scp(d / "wav.scp", base_dir="/corpus")["u1"] == "/corpus/wav/u1.wav"
    _write(["u1 wav/u1.wav", "u2 sox x.wav -t wav - |", "u3 feats.ark:1234"], d / "wav.scp")
    with pytest.raises(DataError) as ei:
        read_wav_scp(d / "wav.scp")
    assert f"{d / 'wav.scp'}:2: utt u2: piped commands are not supported" in str(ei.value)
    assert f"{d / 'wav.scp'}:3: utt u3: ark offsets are not supported" in str(ei.value)


def test_segments_parse(tmp_path: Path) -> None:
    p = tmp_path / "segments"
    _write(["u1 r1 0.5 1.25", "u2 r1 2 -1", "u3 r1 x 2", "u4 r1 1"], p)
    with pytest.raises(DataError) as ei:
        read_segments(p)
    assert f"{p}:3: utt u3: start/end must be numbers" in str(ei.value)
    assert f"{p}:4: utt u4: expected 'utt recording start end'" in str(ei.value)
    _write(["u1 r1 0.5 1.25", "u2 r1 2 -1"], p)
    assert read_segments(p) == {"u1": Segment("r1", 0.5, 1.25), "u2": Segment("r1", 2.0, None)}


def test_load_and_write_data_dir(tmp_path: Path) -> None:
    d = _clean_dir(tmp_path)
    _write(["spk1-001 hallo welt", "spk1-002 guten morgen", "spk2-001 ni hao"], d / "text.de")
    (d / "README").write_text("free text\n\nnot a table")
    (d / "feats.scp").write_text("spk1-001 feats.ark:12\n")
    kd = load_data_dir(d)
    assert kd.utt_ids == ["spk1-001", "spk1-002", "spk2-001"]
    assert kd.wav["spk1-001"] == str(d / "wav" / "spk1-001.wav")
    assert kd.spk2utt == {"spk1": ["spk1-001", "spk1-002"], "spk2": ["spk2-001"]}
    assert sorted(kd.extras) == ["text.de", "utt2lang"]
    assert kd.audio_of("spk2-001") == (kd.wav["spk2-001"], None, None)

    out = write_data_dir(
        tmp_path / "copy",
        wav=kd.wav,
        text=kd.text,
        segments={"x1": Segment("spk1-001", 0, 0.25), "x2": Segment("spk1-001", 0.25, None)},
        extras={"utt2lang": {"x1": "en", "x2": "en"}},
    )
    assert (out / "segments").read_text() == "x1 spk1-001 0 0.25\nx2 spk1-001 0.25 -1\n"
    assert (out / "spk2utt").read_text() == "x1 x1\nx2 x2\n"
    kd2 = load_data_dir(out)
    assert kd2.utt_ids == ["x1", "x2"] and kd2.utt2spk == {"x1": "x1", "x2": "x2"}
    assert kd2.audio_of("x2") == (kd.wav["spk1-001"], 0.25, None)


# --- manifest.py ----------------------------------------------------------------------------


def test_manifest_from_data_dir(tmp_path: Path) -> None:
    d = _clean_dir(tmp_path)
    _write(["spk1-001 happy", "spk2-001 sad"], d / "utt2emotion")
    out = tmp_path / "m.jsonl"
    assert data_dir_to_manifest(d, out) == 3
    recs = read_manifest(out)
    assert [r["id"] for r in recs] == ["spk1-001", "spk1-002", "spk2-001"]
    r = recs[2]
    assert r["audio"] == str(d / "wav" / "spk2-001.wav")
    assert r["duration"] == pytest.approx(0.5) and r["sample_rate"] == SR
    assert r["start"] is None and r["end"] is None
    assert (r["speaker"], r["lang"], r["text"], r["emotion"]) == ("spk2", "zh", "你好", "sad")
    assert "emotion" not in recs[1]

    assert (
        data_dir_to_manifest(d, out, extras_map={"utt2emotion": "emo"}, utt_ids=["spk1-001"]) == 1
    )
    (r,) = read_manifest(out)
    assert r["emo"] == "happy" and "lang" not in r and "emotion" not in r


def test_manifest_with_segments(tmp_path: Path) -> None:
    d = tmp_path / "seg"
    d.mkdir()
    sf.write(d / "rec.wav", _noise(2.0), SR)
    write_data_dir(
        d,
        wav={"rec": "rec.wav"},
        segments={"u1": Segment("rec", 0.5, 1.25), "u2": Segment("rec", 1.5, None)},
        text={"u1": "a", "u2": "b"},
    )
    data_dir_to_manifest(d, d / "m.jsonl")
    r1, r2 = read_manifest(d / "m.jsonl")
    assert (r1["start"], r1["end"], r1["duration"]) == (0.5, 1.25, 0.75)
    assert (r2["start"], r2["end"], r2["duration"]) == (1.5, 2.0, 0.5)
    assert r1["audio"] == str(d / "rec.wav")


def test_manifest_errors(tmp_path: Path) -> None:
    p = tmp_path / "m.jsonl"
    write_manifest(p, [{"id": "a", "audio": "x.wav", "duration": 1.0}])
    assert read_manifest(p)[0]["id"] == "a"
    p.write_text('{"id": "a", "audio": "x", "duration": 1}\n{"id": "b", "audio": \n')
    with pytest.raises(DataError, match=rf"{p}:2: malformed JSON"):
        read_manifest(p)
    p.write_text(
        '{"id": "a", "audio": "x", "duration": 1}\n{"id": "a", "audio": "y", "duration": 2}\n'
    )
    with pytest.raises(DataError, match=rf"{p}:2: duplicate id 'a' \(first seen at line 1\)"):
        read_manifest(p)
    p.write_text('{"id": "a", "audio": "x"}\n')
    with pytest.raises(DataError, match=rf"{p}:1: record lacks required key\(s\) \['duration'\]"):
        read_manifest(p)
    with pytest.raises(DataError, match="cannot be written as JSON"):
        write_manifest(p, [{"id": "a", "duration": float("nan")}])
    assert json.loads(p.read_text())["id"] == "a"  # old file kept

    d = _clean_dir(tmp_path)
    (d / "wav" / "spk1-002.wav").write_bytes(b"junk")
    with pytest.raises(DataError, match=r"wav.scp: utt spk1-002: cannot read audio file"):
        data_dir_to_manifest(d, tmp_path / "m2.jsonl")
