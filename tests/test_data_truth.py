"""Hostile data dirs (issue 15): unsafe ids, forged manifests, truncated/empty/NaN audio, and
validation done once per state of a data dir (the `.validated.json` stamp)."""

from __future__ import annotations

import contextlib
import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import laura.data.validate as validate_mod
import laura.io
from laura.bin.validate_data import main
from laura.data.errors import DataError
from laura.data.kaldi import (
    check_utt_id,
    data_dir_fingerprint,
    load_data_dir,
    read_table,
    write_table,
)
from laura.data.manifest import (
    HEADER_KEY,
    MANIFEST_NAME,
    data_dir_to_manifest,
    manifest_header,
    read_manifest,
    write_manifest,
)
from laura.data.records import load_records
from laura.data.validate import (
    STAMP_NAME,
    ValidationError,
    validate_data_dir,
    validate_once,
)

SR = 16000


def _noise(n: int, seed: int = 0) -> np.ndarray:
    return (0.1 * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)


def _lines(path: Path, lines: list[str]) -> None:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def _dir(root: Path, ids: tuple[str, ...] = ("u1", "u2", "u3"), name: str = "d") -> Path:
    """A clean data dir: one 0.5 s wav per id, relative paths, text and utt2spk."""
    d = root / name
    (d / "wav").mkdir(parents=True)
    for i in range(len(ids)):
        sf.write(d / "wav" / f"w{i}.wav", _noise(SR // 2, seed=i), SR, subtype="PCM_16")
    _lines(d / "wav.scp", [f"{u} wav/w{i}.wav" for i, u in enumerate(ids)])
    _lines(d / "text", [f"{u} words of {u}" for u in ids])
    _lines(d / "utt2spk", [f"{u} spk" for u in ids])
    return d


def _listing(d: Path) -> dict[str, int]:
    return {str(p.relative_to(d)): p.stat().st_mtime_ns for p in sorted(d.rglob("*"))}


@pytest.fixture
def count_validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every real validation run (validate_once calls validate_data_dir through the module)."""
    calls: list[str] = []
    real = validate_mod.validate_data_dir

    def counted(data_dir: str | os.PathLike[str], **kw: object) -> list:
        calls.append(str(data_dir))
        return real(data_dir, **kw)

    monkeypatch.setattr(validate_mod, "validate_data_dir", counted)
    return calls


# --- 1. unsafe utterance ids ------------------------------------------------------------------

UNSAFE = {
    "../../X": "contains '/' (ids become file names: no path separators)",
    "a/b": "contains '/' (ids become file names: no path separators)",
    "/abs/X": "contains '/' (ids become file names: no path separators)",
    "..": "is '..', a directory name (ids become file names)",
    ".": "is '.', a directory name (ids become file names)",
    "a\\b": "contains '\\\\' (ids become file names: no path separators)",
    "a\0b": "contains a NUL character",
    "a\x1b[2Jb": "contains the control character '\\x1b'",
    "a\u3000b": "contains whitespace",
    "x" * 201: "is 201 bytes long (at most 200: ids become file names)",
}


def test_check_utt_id() -> None:
    for ok in (
        "BAC009S0764W0121",
        "1272-128104-0000",
        "spk1_utt.2",
        ".hidden",
        "说话人1-句子",
        "x" * 200,
    ):
        assert check_utt_id(ok) is None, ok
    for bad, why in UNSAFE.items():
        assert check_utt_id(bad) == why, bad
    assert check_utt_id("") == "is empty"


def test_validate_reports_unsafe_ids_with_file_and_line(tmp_path: Path) -> None:
    ids = ("../../X", "/abs/X", ".", "..", "a/b", "a\\b", "a\0b", "ok-1", "spk1_utt.2")
    d = _dir(tmp_path, ids)
    problems = validate_data_dir(d, check_audio=False)
    got = sorted(str(p) for p in problems)
    want = sorted(
        f"{d / name}:{line}: id {uid!r} {UNSAFE[uid]}"
        for name in ("wav.scp", "text", "utt2spk")
        for line, uid in enumerate(ids, 1)
        if uid in UNSAFE
    )
    assert got == want  # no other problem: no "missing from" cascade, the good ids are fine
    assert {p.kind for p in problems} == {"bad-id"}
    assert main([str(d), "--no-audio"]) == 1


def test_reading_refuses_unsafe_ids(tmp_path: Path) -> None:
    d = _dir(tmp_path, ("../../X", "u2"))
    with pytest.raises(DataError, match=r"wav\.scp:1: id '\.\./\.\./X' contains '/'"):
        load_data_dir(d)
    with pytest.raises(DataError, match=r"text:1: id '\.\./\.\./X' contains '/'"):
        read_table(d / "text")
    with pytest.raises(DataError, match=r"wav\.scp:1: id '\.\./\.\./X' contains '/'"):
        load_records(d, validate=False)
    with pytest.raises(ValidationError) as ei:
        load_records(d, check_audio=False)
    assert len(ei.value.problems) == 3 and {p.kind for p in ei.value.problems} == {"bad-id"}
    with pytest.raises(ValidationError, match="contains '/'"):  # skipping cannot help
        load_records(d, check_audio=False, skip_invalid=True)
    assert not (d / MANIFEST_NAME).exists()


def test_writers_and_manifest_refuse_unsafe_ids(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"t: id '\.\./x' contains '/'"):
        write_table(tmp_path / "t", {"../x": "v"})
    assert not (tmp_path / "t").exists()
    p = tmp_path / "m.jsonl"
    p.write_text('{"id": "../x", "audio": "/a.wav", "duration": 1.0}\n')
    with pytest.raises(DataError, match=rf"{p}:1: id '\.\./x' contains '/'"):
        read_manifest(p)


def test_speaker_ids_are_checked(tmp_path: Path) -> None:
    d = _dir(tmp_path)
    _lines(d / "utt2spk", ["u1 spk", "u2 ../spk", "u3 spk"])
    (p,) = validate_data_dir(d, check_audio=False)
    why = "contains '/' (ids become file names: no path separators)"
    assert str(p) == f"{d / 'utt2spk'}:2: utt u2: speaker id '../spk' {why}"
    assert p.kind == "bad-id"


# --- 2. the manifest is a verified cache of the tables ----------------------------------------


def _true_records(d: Path) -> list[dict]:
    return [
        {
            "id": u,
            "audio": str(d / "wav" / f"w{i}.wav"),
            "start": None,
            "end": None,
            "duration": 0.5,
            "sample_rate": SR,
            "speaker": "spk",
            "text": f"words of {u}",
        }
        for i, u in enumerate(("u1", "u2", "u3"))
    ]


def _forge(d: Path, records: list[dict], header: dict | None = None) -> None:
    lines = ([json.dumps(header)] if header is not None else []) + [json.dumps(r) for r in records]
    _lines(d / MANIFEST_NAME, lines)
    future = os.stat(d / "wav.scp").st_mtime + 3600  # "newer than the tables" won before
    os.utime(d / MANIFEST_NAME, (future, future))


def _forged_records(d: Path, tmp_path: Path) -> list[dict]:
    nan = _noise(SR // 2)
    nan[10] = np.nan
    sf.write(tmp_path / "nan.wav", nan, SR, subtype="FLOAT")
    recs = _true_records(d)
    recs[0]["audio"] = str(tmp_path / "nan.wav")  # audio not the one of wav.scp
    recs[1]["text"] = "forged reference"
    recs.append(dict(recs[2], id="ghost", text="not in wav.scp"))
    return recs


def test_forged_newer_manifest_is_rebuilt_from_the_tables(tmp_path: Path) -> None:
    d = _dir(tmp_path)
    assert load_records(d) == _true_records(d)
    first = (d / MANIFEST_NAME).read_text().splitlines()[0]
    assert json.loads(first)[HEADER_KEY] == 1

    forged = _forged_records(d, tmp_path)
    _forge(d, forged)  # no header: an old or hand-written manifest
    assert load_records(d) == _true_records(d)
    assert read_manifest(d / MANIFEST_NAME) == _true_records(d)  # rebuilt, atomically replaced
    names = [STAMP_NAME, MANIFEST_NAME, "text", "utt2spk", "wav", "wav.scp"]
    assert sorted(p.name for p in d.iterdir()) == names  # no temp file left behind

    _forge(d, forged, json.loads(first))  # the real header over forged records
    assert load_records(d) == _true_records(d)

    # A header recomputed for the forged records: the fingerprint of the tables still matches,
    # but "ghost" is not in wav.scp and u1's audio is not the one wav.scp names.
    write_manifest(d / MANIFEST_NAME, forged, header=manifest_header(data_dir_fingerprint(d)))
    assert load_records(d) == _true_records(d)


def test_manifest_follows_table_contents_not_mtimes(tmp_path: Path) -> None:
    d = _dir(tmp_path)
    load_records(d)
    old = os.stat(d / "text").st_mtime_ns
    _lines(d / "text", ["u1 new words", "u2 words of u2", "u3 words of u3"])
    os.utime(d / "text", ns=(old, old))  # same mtime as before: only the content changed
    assert load_records(d)[0]["text"] == "new words"

    sf.write(d / "wav" / "w1.wav", _noise(SR, seed=9), SR, subtype="PCM_16")  # audio replaced
    assert load_records(d)[1]["duration"] == 1.0
    assert read_manifest(d / MANIFEST_NAME)[1]["duration"] == 1.0


def test_make_manifest_output_is_a_valid_cache(tmp_path: Path) -> None:
    d = _dir(tmp_path)
    assert data_dir_to_manifest(d, d / MANIFEST_NAME) == 3
    before = (d / MANIFEST_NAME).stat().st_mtime_ns
    assert load_records(d, validate=False) == _true_records(d)
    assert (d / MANIFEST_NAME).stat().st_mtime_ns == before  # used, not rebuilt


def test_read_only_use_writes_nothing_into_the_data_dir(tmp_path: Path) -> None:
    d = _dir(tmp_path)
    _forge(d, _forged_records(d, tmp_path))
    before = _listing(d)
    assert load_records(d, write_cache=False) == _true_records(d)
    assert _listing(d) == before  # no manifest rebuilt, no stamp


@contextlib.contextmanager
def _refuse(path: str | os.PathLike[str], fsync: bool = True):  # noqa: ANN202
    raise PermissionError(13, "Permission denied", str(path))
    yield Path(path)


def test_read_only_data_dir_builds_records_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = _dir(tmp_path)
    before = _listing(d)
    # tests run as root here, where chmod does not stop writes: every atomic write fails instead
    monkeypatch.setattr(laura.io, "atomic_path", _refuse)
    assert load_records(d) == _true_records(d)
    assert _listing(d) == before


# --- 3. truncated, empty and non-finite audio ---------------------------------------------


def test_truncated_wav_is_reported_with_both_counts(tmp_path: Path) -> None:
    d = _dir(tmp_path)
    w = d / "wav" / "w1.wav"
    sf.write(w, _noise(34298), SR, subtype="PCM_16")
    w.write_bytes(w.read_bytes()[: 44 + 20570 * 2])
    assert sf.info(w).frames == 20570  # libsndfile alone does not notice
    want = (
        f"{d / 'wav.scp'}:2: utt u2: audio file {w} is truncated: its header declares 34298 "
        "samples, the file holds 20570"
    )
    for header_only in (False, True):
        (p,) = validate_data_dir(d, check_samples=not header_only)
        assert (str(p), p.kind) == (want, "truncated")

    # float samples, cut inside a frame
    sf.write(w, _noise(1000), SR, subtype="FLOAT")
    w.write_bytes(w.read_bytes()[:-1001])
    (p,) = validate_data_dir(d)
    assert p.message == (
        f"audio file {w} is truncated: its header declares 1000 samples, the file holds 749"
    )


def test_streamed_wav_header_is_not_truncation(tmp_path: Path) -> None:
    """espeak-ng/sox writing to a pipe put 0x7ffff000 as the data size: length unknown."""
    d = _dir(tmp_path)
    w = d / "wav" / "w1.wav"
    raw = bytearray(w.read_bytes())
    i = raw.index(b"data")
    raw[i + 4 : i + 8] = struct.pack("<I", 0x7FFFF000)
    w.write_bytes(bytes(raw))
    assert validate_data_dir(d) == []


def test_empty_tables_are_no_utterances(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "empty"
    d.mkdir()
    for name in ("wav.scp", "text", "utt2spk"):
        (d / name).write_text("")
    (p,) = validate_data_dir(d)
    assert (str(p), p.kind) == (f"{d}: no utterances (wav.scp has none)", "no-utterances")
    assert main([str(d)]) == 1
    assert f"{d}: no utterances (wav.scp has none)\n{d}: 1 problem\n" in capsys.readouterr().out
    with pytest.raises(ValidationError, match="no utterances"):
        load_records(d)
    with pytest.raises(DataError, match=rf"{d}: no utterances left to use"):
        load_records(d, validate=False)


def test_nonfinite_float_samples_are_reported(tmp_path: Path) -> None:
    d = _dir(tmp_path)
    for i, bad in enumerate((np.nan, np.inf, -np.inf)):
        x = _noise(SR // 2, seed=i)
        x[7 + i] = bad
        sf.write(d / "wav" / f"w{i}.wav", x, SR, subtype="FLOAT")
    problems = validate_data_dir(d)
    assert [str(p) for p in problems] == [
        f"{d / 'wav.scp'}:{i + 1}: utt u{i + 1}: audio contains 1 NaN/Inf sample(s) "
        f"({d / 'wav' / f'w{i}.wav'})"
        for i in range(3)
    ]
    with pytest.raises(ValidationError, match=r"w1\.wav"):
        load_records(d, check_audio=True)


# --- 4. validation once per state of the data dir -------------------------------------------


def test_validation_is_stamped_and_done_once(tmp_path: Path, count_validations: list[str]) -> None:
    d = _dir(tmp_path)
    assert not (d / STAMP_NAME).exists()
    assert load_records(d) == _true_records(d)
    assert load_records(d) == _true_records(d)
    assert validate_once(d) == []
    assert len(count_validations) == 1
    stamp = json.loads((d / STAMP_NAME).read_text())
    assert stamp["fingerprint"] == data_dir_fingerprint(d)
    assert stamp["options"]["check_audio"] is True and stamp["options"]["require_text"] is True
    assert stamp["problems"] == []

    # A clean, stricter validation answers less demanding requests...
    assert load_records(d, check_audio=False, require_text=False) == _true_records(d)
    assert validate_once(d, max_duration=100.0, check_samples=False) == []
    assert len(count_validations) == 1
    # ...but not more demanding ones.
    assert validate_once(d, max_duration=0.4) != []
    assert len(count_validations) == 2


def test_stamp_is_invalidated_by_tables_and_audio(
    tmp_path: Path, count_validations: list[str]
) -> None:
    d = _dir(tmp_path)
    validate_once(d)
    old = os.stat(d / "text").st_mtime_ns
    _lines(d / "text", ["u1 a", "u2 b", "u3 c"])
    os.utime(d / "text", ns=(old, old))
    validate_once(d)
    assert len(count_validations) == 2

    w = d / "wav" / "w2.wav"
    st = w.stat()
    x = _noise(SR // 2, seed=5)
    x[3] = np.nan
    sf.write(w, x, SR, subtype="FLOAT")
    os.utime(w, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime: a new ctime all the same
    (p,) = validate_once(d)
    assert p.kind == "nonfinite"
    assert len(count_validations) == 3

    w.unlink()
    (p,) = validate_once(d)
    assert p.kind == "audio-missing"
    assert len(count_validations) == 4


def test_stamp_records_problems_and_follows_the_dir_name(
    tmp_path: Path, count_validations: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    d = _dir(tmp_path)
    _lines(d / "text", ["u1 a", "u2 ", "u3 c"])
    first = validate_once(d)
    assert [str(p) for p in first] == [f"{d / 'text'}:2: utt u2: empty transcript"]
    monkeypatch.chdir(tmp_path)
    again = validate_once("d")  # the same dir by a relative name: the stamp still matches
    assert [str(p) for p in again] == [f"{Path('d') / 'text'}:2: utt u2: empty transcript"]
    assert len(count_validations) == 1

    # skip_invalid works from the recorded problems too
    recs = load_records(d, skip_invalid=True, skipped_list=tmp_path / "exp" / "skipped.txt")
    assert [r["id"] for r in recs] == ["u1", "u3"]
    assert len(count_validations) == 1
    exp = tmp_path / "exp"
    assert (exp / "skipped.txt").read_text() == f"{d / 'text'}:2: utt u2: empty transcript\n"
    assert [r["id"] for r in read_manifest(exp / "skipped.manifest.jsonl")] == ["u1", "u3"]
    assert not (d / MANIFEST_NAME).exists()  # a filtered view never replaces the dir's manifest


def test_validate_cli_stamps_and_training_reuses_it(
    tmp_path: Path, count_validations: list[str]
) -> None:
    d = _dir(tmp_path)
    assert main([str(d)]) == 0
    assert main([str(d)]) == 0  # the command always validates
    assert len(count_validations) == 2
    load_records(d)
    assert len(count_validations) == 2


def test_no_stamp_without_write(tmp_path: Path, count_validations: list[str]) -> None:
    d = _dir(tmp_path)
    assert validate_once(d, write_stamp=False) == []
    assert validate_once(d, write_stamp=False) == []
    assert len(count_validations) == 2
    assert not (d / STAMP_NAME).exists()


def test_forged_or_foreign_stamp_is_ignored(tmp_path: Path, count_validations: list[str]) -> None:
    d = _dir(tmp_path)
    x = _noise(SR // 2)
    x[0] = np.nan
    sf.write(d / "wav" / "w0.wav", x, SR, subtype="FLOAT")
    stale = {"validator": 1, "fingerprint": {}, "options": {}, "problems": []}
    (d / STAMP_NAME).write_text(json.dumps(stale))
    with pytest.raises(ValidationError, match="NaN/Inf"):
        load_records(d)
    (d / STAMP_NAME).write_text("not json")
    assert [p.kind for p in validate_once(d)] == ["nonfinite"]
    assert len(count_validations) == 2
