"""A task's text as a Kaldi table (laura.data.task_text, ``laura task-text``): S2TT's
translations, AAC's every reference, TTS's input text, a refusal for a task with no text; and a
smaller copy of a data dir (laura.data.subset, ``laura subset-data``): N utterances spread over
the sorted ids, every per-utterance table filtered alike, spk2utt rebuilt, the manifest left out,
the codec token cache linked (and re-linked on a re-run)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from laura.bin import run_verb
from laura.data.kaldi import read_table
from laura.data.records import load_records
from laura.data.subset import subset_data_dir
from laura.data.task_text import task_texts
from laura.data.tasks import get_task
from laura.errors import DataError


def _table(path: Path, rows: dict[str, str]) -> None:
    lines = (f"{k} {rows[k]}".rstrip() + "\n" for k in sorted(rows))
    path.write_text("".join(lines), encoding="utf-8")


def _wavs(audio: Path, ids: list[str], seconds: float = 0.1) -> dict[str, str]:
    """A short wav per id in ``audio``: id -> absolute path."""
    audio.mkdir(parents=True, exist_ok=True)
    wav = np.zeros(int(16000 * seconds), dtype=np.float32)
    wav[::7] = 0.1
    out = {}
    for u in ids:
        sf.write(audio / f"{u}.wav", wav, 16000)
        out[u] = str(audio / f"{u}.wav")
    return out


def _data_dir(
    d: Path, tables: dict[str, dict[str, str]], spk: dict[str, str] | None = None
) -> Path:
    """A data dir of the utterances named in ``tables`` (wavs in ``<d>/../audio``): wav.scp,
    utt2spk (``spk``, or one speaker) and ``tables`` (file name -> utterance -> value)."""
    ids = sorted({u for rows in tables.values() for u in rows})
    d.mkdir(parents=True)
    _table(d / "wav.scp", _wavs(d.parent / "audio", ids))
    _table(d / "utt2spk", spk or {u: "s" for u in ids})
    for name, rows in tables.items():
        _table(d / name, rows)
    return d


def _verb(capsys: pytest.CaptureFixture[str], verb: str, *argv: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run_verb(verb, [str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- task-text ------------------------------------------------------------------------------------


def test_s2tt_text_is_the_translations_of_every_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train = _data_dir(
        tmp_path / "train",
        {
            "text": {"e1": "the cat sat", "z1": "我们吃饭"},  # transcripts: not written
            "utt2lang": {"e1": "en", "z1": "zh"},
            "text.en": {"e1": "the cat sat", "z1": "we  eat\trice"},
            "text.zh": {"e1": "猫坐着", "z1": "我们吃饭"},
        },
    )
    dev = _data_dir(
        tmp_path / "dev",
        {
            "text": {"e2": "hello world"},
            "utt2lang": {"e2": "en"},
            "text.en": {"e2": "hello world"},
            "text.zh": {"e2": "你好世界"},
        },
    )
    out = tmp_path / "text" / "s2tt"
    out.parent.mkdir()
    code, stdout, _ = _verb(
        capsys, "task-text", "--task", "S2TT", "--data", train, dev, "--out", out
    )
    assert code == 0
    # English speech -> its Chinese side, Mandarin speech -> its English side (spaces collapsed)
    assert read_table(out) == {"e1": "猫坐着", "e2": "你好世界", "z1": "we eat rice"}
    assert "3 lines of S2TT text from 2 data dir(s)" in stdout


def test_aac_text_is_every_reference_caption(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    caps = {
        "c1": ["a dog barks", "a dog is  barking", "dogs bark"],
        "c2": ["rain on a roof", "heavy rain", ""],  # two captions
        "c3": ["birds sing", "", ""],  # one caption: the plain id
    }
    tables = {f"caption{k + 1}": {u: cs[k] for u, cs in caps.items()} for k in range(3)}
    # a single-caption table beside the numbered ones is not a reference of its own
    tables["caption"] = {u: "the training caption" for u in caps}
    data = _data_dir(tmp_path / "aac", tables)
    out = tmp_path / "aac_text"
    code, _, _ = _verb(capsys, "task-text", "--task", "AAC", "--data", data, "--out", out)
    assert code == 0
    assert read_table(out) == {
        "c1-ref1": "a dog barks",
        "c1-ref2": "a dog is barking",
        "c1-ref3": "dogs bark",
        "c2-ref1": "rain on a roof",
        "c2-ref2": "heavy rain",
        "c3": "birds sing",
    }


def test_tts_text_is_the_input_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _data_dir(
        tmp_path / "tts",
        {"text": {"u1": "say hello", "u2": "good  morning"}, "utt2lang": {"u1": "en", "u2": "en"}},
    )
    out = tmp_path / "tts_text"
    code, _, _ = _verb(capsys, "task-text", "--task", "TTS", "--data", data, "--out", out)
    assert code == 0
    assert read_table(out) == {"u1": "say hello", "u2": "good morning"}


def test_task_with_no_text_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = ["n1", "n2"]
    clean = _wavs(tmp_path / "clean", ids)
    data = _data_dir(tmp_path / "se", {"clean.scp": clean})
    out = tmp_path / "se_text"
    code, stdout, err = _verb(capsys, "task-text", "--task", "SE", "--data", data, "--out", out)
    assert code == 2 and stdout == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("laura task-text: error:") and "task SE" in lines[0]
    assert "no text" in lines[0]
    assert not out.exists()


def test_slu_and_ser_targets_and_a_missing_reference() -> None:
    slu = [
        {"id": "u1", "intent": "set_alarm", "slots": "time=seven"},
        {"id": "u2", "intent": "play_music", "slots": "none"},
    ]
    assert task_texts(get_task("SLU"), slu) == {"u1": "set_alarm | time=seven", "u2": "play_music"}
    assert task_texts(get_task("SER"), [{"id": "u1", "emotion": "anger"}]) == {"u1": "anger"}
    # an S2TT record without a translation: the source and the utterance named
    s2tt = [
        {"id": "u1", "lang": "en", "text": "hi", "text_en": "hi", "text_zh": "你好"},
        {"id": "u2", "lang": "en", "text": "bye", "text_en": "bye"},
    ]
    with pytest.raises(DataError, match=r"^data/s2tt/dev: utterance u2: no translation"):
        task_texts(get_task("S2TT"), s2tt, source="data/s2tt/dev")


# --- subset-data ----------------------------------------------------------------------------------

IDS = [f"u{i:02d}" for i in range(10)]
SPK = {u: "a" if i < 4 else "b" if i < 8 else "c" for i, u in enumerate(IDS)}  # 4 + 4 + 2
PER_UTT = ("wav.scp", "text", "utt2spk", "utt2emotion", "text.zh", "utt2dur")


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """Ten utterances of three speakers: the core tables, extras, spk2gender, a cached manifest
    and stamp, and a codec token cache."""
    d = _data_dir(
        tmp_path / "src",
        {
            "text": {u: f"sentence number {i}" for i, u in enumerate(IDS)},
            "utt2emotion": {u: ("anger", "neutral", "sadness")[i % 3] for i, u in enumerate(IDS)},
            "text.zh": {u: f"句子 {i}" for i, u in enumerate(IDS)},
            "utt2dur": {u: "0.100" for u in IDS},
        },
        spk=SPK,
    )
    _table(d / "spk2utt", {s: " ".join(u for u in IDS if SPK[u] == s) for s in "abc"})
    _table(d / "spk2gender", {"a": "f", "b": "m", "c": "f"})
    assert len(load_records(d)) == 10  # writes manifest.jsonl and .validated.json
    assert (d / "manifest.jsonl").is_file() and (d / ".validated.json").is_file()
    (d / "codec_tokens").mkdir()
    (d / "codec_tokens" / "index.txt").write_text("the token cache\n")
    return d


def _check_subset(src: Path, dst: Path, keep: list[str]) -> None:
    """Every per-utterance table of ``dst`` is ``src``'s restricted to ``keep``; spk2utt and
    spk2gender name only the speakers left; the data dir loads with exactly ``keep``."""
    for name in PER_UTT:
        assert read_table(dst / name) == {
            k: v for k, v in read_table(src / name).items() if k in keep
        }, name
    speakers = sorted({SPK[u] for u in keep})
    assert read_table(dst / "spk2utt") == {
        s: " ".join(u for u in keep if SPK[u] == s) for s in speakers
    }
    assert sorted(read_table(dst / "spk2gender")) == speakers
    assert [r["id"] for r in load_records(dst, write_cache=False)] == keep


def test_subset_keeps_n_spread_utterances_and_filters_every_table(
    src: Path, tmp_path: Path
) -> None:
    dst = tmp_path / "sub"
    assert subset_data_dir(src, dst, 5) == 5
    keep = ["u00", "u02", "u04", "u06", "u08"]  # every second of the ten sorted ids
    _check_subset(src, dst, keep)
    assert read_table(dst / "utt2emotion") == {
        "u00": "anger",
        "u02": "sadness",
        "u04": "neutral",
        "u06": "anger",
        "u08": "sadness",
    }
    assert read_table(dst / "text.zh")["u04"] == "句子 4"
    # the caches describe the source: not copied (rebuilt when the subset is loaded)
    assert not (dst / "manifest.jsonl").exists() and not (dst / ".validated.json").exists()
    # the token cache is linked, not copied
    link = dst / "codec_tokens"
    assert link.is_symlink()
    assert link.resolve() == (src / "codec_tokens").resolve()
    assert (link / "index.txt").read_text() == "the token cache\n"


def test_subset_rerun_replaces_tables_and_link(src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "sub"
    subset_data_dir(src, dst, 5)
    # a second source (a copy with its own token cache) into the same subset dir, fewer utts
    src2 = tmp_path / "src2"
    shutil.copytree(src, src2, symlinks=False)
    (src2 / "codec_tokens" / "index.txt").write_text("the other cache\n")
    assert subset_data_dir(src2, dst, 2) == 2
    keep = ["u00", "u05"]  # every fifth: speaker c is gone
    _check_subset(src2, dst, keep)
    assert read_table(dst / "spk2gender") == {"a": "f", "b": "m"}
    link = dst / "codec_tokens"
    assert link.is_symlink() and link.resolve() == (src2 / "codec_tokens").resolve()
    assert (link / "index.txt").read_text() == "the other cache\n"
    # and the same source again over it
    assert subset_data_dir(src, dst, 2) == 2
    assert link.is_symlink() and link.resolve() == (src / "codec_tokens").resolve()


def test_subset_n_zero_keeps_everything(src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "all"
    assert subset_data_dir(src, dst, 0) == 10
    _check_subset(src, dst, IDS)
    for name in (*PER_UTT, "spk2utt", "spk2gender"):
        assert (dst / name).read_text() == (src / name).read_text(), name
    assert not (dst / "manifest.jsonl").exists()


def test_subset_n_above_the_size_keeps_everything(src: Path, tmp_path: Path) -> None:
    assert subset_data_dir(src, tmp_path / "all", 25) == 10
    _check_subset(src, tmp_path / "all", IDS)


def test_subset_data_verb(src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dst = tmp_path / "sub"
    code, stdout, _ = _verb(capsys, "subset-data", src, dst, "--n", "3")
    assert code == 0
    assert stdout.strip() == f"{dst}: 3 of 10 utterances"
    _check_subset(src, dst, ["u00", "u03", "u06"])  # every third


def test_subset_refusals(src: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a source without wav.scp: one line, exit 2
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = _verb(capsys, "subset-data", empty, tmp_path / "x", "--n", "2")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "no wav.scp" in err
    # a real directory where the link would go is not replaced
    dst = tmp_path / "sub"
    (dst / "codec_tokens").mkdir(parents=True)
    (dst / "codec_tokens" / "mine").write_text("keep me\n")
    with pytest.raises(DataError, match="not a link"):
        subset_data_dir(src, dst, 2)
    assert (dst / "codec_tokens" / "mine").read_text() == "keep me\n"
    assert not (dst / "codec_tokens").is_symlink()


# --- the cases a first version got wrong ------------------------------------------------------


def test_subset_spreads_over_the_whole_range_when_n_is_over_half(src: Path, tmp_path: Path) -> None:
    subset_data_dir(src, tmp_path / "sub", 6)
    kept = sorted(read_table(tmp_path / "sub" / "wav.scp"))
    assert len(kept) == 6
    # spread over the ten sorted ids: the last kept one is among the last ceil(10 / 6) = 2
    assert IDS.index(kept[-1]) >= 8


def test_subset_of_a_dir_with_relative_audio_paths_loads(tmp_path: Path) -> None:
    src = tmp_path / "rel"
    paths = _wavs(src / "wav", ["a", "b"])  # wav.scp: wav/a.wav, relative to the data dir
    _table(src / "wav.scp", {u: os.path.relpath(p, src) for u, p in paths.items()})
    _table(src / "text", {"a": "x", "b": "y"})
    _table(src / "utt2spk", {"a": "s", "b": "s"})
    assert [r["audio"] for r in load_records(src, write_cache=False)] == list(paths.values())
    subset_data_dir(src, tmp_path / "sub", 0)
    records = load_records(tmp_path / "sub", write_cache=False)
    assert [r["audio"] for r in records] == list(paths.values())


def test_subset_of_a_dir_with_segments(tmp_path: Path) -> None:
    src = tmp_path / "seg"
    src.mkdir()
    rec = _wavs(tmp_path / "audio", ["r1", "r2"], seconds=1.0)
    _table(src / "wav.scp", rec)
    _table(
        src / "segments",
        {"u1": "r1 0.0 0.4", "u2": "r1 0.5 0.9", "u3": "r2 0.0 0.4", "u4": "r2 0.5 0.9"},
    )
    _table(src / "text", {"u1": "a", "u2": "b", "u3": "c", "u4": "d"})
    _table(src / "utt2spk", {u: "s" for u in ("u1", "u2", "u3", "u4")})
    assert len(load_records(src, write_cache=False)) == 4
    assert subset_data_dir(src, tmp_path / "sub", 2) == 2
    kept = read_table(tmp_path / "sub" / "text")
    assert len(kept) == 2
    assert set(read_table(tmp_path / "sub" / "segments")) == set(kept)
    assert set(read_table(tmp_path / "sub" / "utt2spk")) == set(kept)
    assert len(load_records(tmp_path / "sub", write_cache=False)) == 2


def test_subset_of_a_dir_holding_its_audio_files(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    _table(src / "wav.scp", _wavs(src, ["a", "b"]))  # the wavs inside the data dir
    _table(src / "text", {"a": "x", "b": "y"})
    _table(src / "utt2spk", {"a": "s", "b": "s"})
    assert subset_data_dir(src, tmp_path / "sub", 1) == 1
    assert read_table(tmp_path / "sub" / "text") == {"a": "x"}
