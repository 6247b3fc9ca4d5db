"""Corpus options typed at the registry (``laura prepare CORPUS --opt key=value``), the shared
skip reporting and the git-lfs pointer check, each on a small fixture in the corpus's layout."""

from __future__ import annotations

import json
import logging
import tarfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from laura.cli import main
from laura.data.corpora import parse_options, prepare
from laura.data.corpora.common import Skips, convert_all, report_skipped
from laura.data.errors import DataError
from laura.data.kaldi import load_data_dir


def tone(path: Path, sr: int, seconds: float = 0.2) -> Path:
    t = np.arange(int(sr * seconds)) / sr
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), sr)
    return path


# --- typing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("corpus", "item", "value"),
    [
        ("aishell1", "extract=false", False),
        ("aishell1", "extract=No", False),
        ("aishell1", "extract=0", False),
        ("aishell1", "extract=TRUE", True),
        ("aishell1", "extract=yes", True),
        ("aishell1", "extract=1", True),
        ("slurp", "close_talk_only=false", False),
        ("gigaspeech", "keep_punctuation=false", False),
        ("gigaspeech", "skip_missing_audio=true", True),
        ("wenetspeech", "skip_missing_audio=no", False),
        ("audiocaps", "trimmed=false", False),
        ("wavcaps", "max_duration=100", 100.0),
        ("wavcaps", "max_duration=none", None),
        ("wavcaps", "max_duration=NULL", None),
        ("wavcaps", "blacklist=none", None),
        ("wavcaps", "blacklist=mine.json", "mine.json"),
        (
            "wavcaps",
            "audio_dirs=soundbible:/d/sb,freesound:/d/fs",
            {"soundbible": Path("/d/sb"), "freesound": Path("/d/fs")},
        ),
        ("iemocap", "test_session=4", 4),
        ("aishell2", "eval_src=/data/AISHELL-DEV-TEST-SET", Path("/data/AISHELL-DEV-TEST-SET")),
        ("aishell2", "eval_src=none", None),
        ("emovdb", "arctic_prompts=/x/cmuarctic.data", Path("/x/cmuarctic.data")),
        ("emovdb", "sleepy=neutral", "neutral"),
        ("covost2", "tgt_lang=zh-CN", "zh-CN"),
        ("se_mixture", "snrs=0,5,10", [0.0, 5.0, 10.0]),
        ("se_mixture", "snr_range=2,15", (2.0, 15.0)),
        ("se_mixture", "noise_dirs=/n/fsd50k,/n/noisex", [Path("/n/fsd50k"), Path("/n/noisex")]),
        ("se_mixture", "fsd50k_exclude=Speech,Singing", ["Speech", "Singing"]),
        ("se_mixture", "rir_prob=0.5", 0.5),
        ("clotho", "pair_splits=", []),
    ],
)
def test_options_are_typed_by_the_prepare_signature(corpus, item, value):
    key = item.split("=", 1)[0]
    assert parse_options(corpus, [item]) == {key: value}


def test_several_options_at_once():
    assert parse_options("gigaspeech", ["audio=segments", "keep_punctuation=1"]) == {
        "audio": "segments",
        "keep_punctuation": True,
    }


@pytest.mark.parametrize(
    ("corpus", "item", "message"),
    [
        (
            "aishell1",
            "extract=maybe",
            "aishell1: option extract='maybe': expected bool (true/false/yes/no/1/0)",
        ),
        (
            "aishell1",
            "extract=",
            "aishell1: option extract='': expected bool (true/false/yes/no/1/0)",
        ),
        (
            "wavcaps",
            "max_duration=long",
            "wavcaps: option max_duration='long': expected float or none",
        ),
        ("iemocap", "test_session=5.0", "iemocap: option test_session='5.0': expected int"),
        (
            "se_mixture",
            "snr_range=2",
            "se_mixture: option snr_range='2': expected 2 comma-separated float values",
        ),
        (
            "se_mixture",
            "snrs=0,loud",
            "se_mixture: option snrs='0,loud': expected comma-separated float list or none",
        ),
        (
            "wavcaps",
            "audio_dirs=/d/sb",
            "wavcaps: option audio_dirs='/d/sb': expected comma-separated key:value pairs or none",
        ),
        ("aishell1", "extract", "aishell1: option 'extract' is not key=value"),
        ("aishell1", "=true", "aishell1: option '=true' is not key=value"),
    ],
)
def test_a_value_that_does_not_parse_names_key_type_and_value(corpus, item, message):
    with pytest.raises(DataError) as err:
        parse_options(corpus, [item])
    assert str(err.value) == message


def test_unknown_and_repeated_options_are_refused():
    with pytest.raises(DataError) as err:
        parse_options("aishell1", ["extrct=false"])
    assert str(err.value) == (
        "aishell1: unknown option 'extrct'; its options are: splits (comma-separated str list "
        "or none), num_workers (int), extract (bool (true/false/yes/no/1/0))"
    )
    with pytest.raises(DataError, match=r"^emovdb: unknown option 'src'; its options are: "):
        parse_options("emovdb", ["src=/x"])  # src and out are not options
    with pytest.raises(DataError, match=r"^aishell1: option 'extract' is given twice$"):
        parse_options("aishell1", ["extract=true", "extract=false"])
    with pytest.raises(KeyError, match="unknown corpus 'aishel1'"):
        parse_options("aishel1", [])


@pytest.mark.parametrize("corpus", ["emovdb", "crema_d", "aishell1", "wavcaps"])
def test_prepare_refuses_unknown_keyword_options_before_any_work(tmp_path, corpus):
    with pytest.raises(DataError, match=rf"^{corpus}: unknown option 'bogus'; its options are: "):
        prepare(corpus, tmp_path / "does-not-exist", tmp_path / "out", bogus=1)
    assert not (tmp_path / "out").exists()


# --- the CLI -------------------------------------------------------------------------------


def aishell1_with_archive(root: Path) -> Path:
    """data_aishell as distributed: the transcript and an unextracted speaker archive."""
    d = root / "data_aishell"
    (d / "transcript").mkdir(parents=True)
    (d / "transcript/aishell_transcript_v0.8.txt").write_text(
        "BAC009S0764W0121 甚至 出现 交易 几乎 停滞 的 情况\n"
    )
    tone(root / "stage/test/S0764/BAC009S0764W0121.wav", 16000)
    (d / "wav").mkdir()
    with tarfile.open(d / "wav/S0764.tar.gz", "w:gz") as tar:
        tar.add(root / "stage/test", arcname="test")
    return d


def test_cli_extract_false_is_false(tmp_path, capsys):
    src = aishell1_with_archive(tmp_path / "src")
    out = tmp_path / "data"
    argv = ["prepare", "aishell1", "--src", str(src), "--out", str(out), "--splits", "test"]
    # "false" used to reach the module as a (truthy) string and extract anyway
    assert main([*argv, "--opt", "extract=false", "--num-workers", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"laura prepare: error: {src / 'wav'}: 1 speaker archive(s) are not ")
    assert err.count("\n") == 1
    assert not (src / "wav/test").exists()
    assert main([*argv, "--opt", "extract=maybe"]) == 2
    assert capsys.readouterr().err == (
        "laura prepare: error: aishell1: option extract='maybe': expected bool "
        "(true/false/yes/no/1/0)\n"
    )
    assert main([*argv, "--opt", "extract=yes", "--num-workers", "1"]) == 0
    assert capsys.readouterr().out == f"test: {out / 'test'}\n"
    assert load_data_dir(out / "test").utt_ids == ["BAC009S0764W0121"]


def test_cli_refuses_options_that_have_their_own_flags(tmp_path, capsys):
    argv = ["prepare", "aishell1", "--src", str(tmp_path), "--out", str(tmp_path / "o")]
    assert main([*argv, "--opt", "num_workers=4"]) == 2
    assert capsys.readouterr().err == (
        "laura prepare: error: --opt num_workers=...: use --num-workers instead\n"
    )
    assert main([*argv, "--opt", "splits=train"]) == 2
    assert "use --splits instead" in capsys.readouterr().err


def wavcaps_soundbible(root: Path) -> Path:
    """WavCaps json_files (the GitHub copy: a plain list) and the SoundBible FLAC clips."""
    j = root / "json_files" / "SoundBible"
    j.mkdir(parents=True)
    items = [
        {"id": "2218", "caption": "Someone is ringing a bell.", "duration": 1.5},
        {"id": "2217", "caption": "It is raining heavily.", "duration": 86.4},
    ]
    (j / "sb_final.json").write_text(json.dumps(items))
    (root / "json_files" / "blacklist").mkdir()
    (root / "json_files/blacklist/blacklist_exclude_test_ac.json").write_text(
        json.dumps({"AudioSet": [], "FreeSound": []})
    )
    for stem in ("2218", "2217"):
        tone(root / "Zip_files/SoundBible/mnt/waveforms/SoundBible_flac" / f"{stem}.flac", 32000)
    return root


@pytest.mark.parametrize(
    ("opt", "ids"),
    [
        ([], ["sb_2218-c1"]),  # default 60 s: the 86 s clip is left out
        (["--opt", "max_duration=100"], ["sb_2217-c1", "sb_2218-c1"]),
        (["--opt", "max_duration=none"], ["sb_2217-c1", "sb_2218-c1"]),
        (["--opt", "max_duration=10"], ["sb_2218-c1"]),
    ],
)
def test_cli_numbers_and_none_reach_wavcaps_typed(tmp_path, capsys, opt, ids):
    src = wavcaps_soundbible(tmp_path / "WavCaps")
    out = tmp_path / "data"
    argv = ["prepare", "wavcaps", "--src", str(src), "--out", str(out), "--splits", "soundbible"]
    assert main([*argv, "--num-workers", "1", *opt]) == 0, capsys.readouterr().err
    assert load_data_dir(out / "soundbible").utt_ids == ids


# --- skip reporting and git-lfs pointers ---------------------------------------------------


def test_skips_are_counted_logged_per_reason_and_listed(tmp_path, caplog):
    skips = Skips()
    for i in range(7):
        skips.add(f"clip{i}.wav", "empty audio")
    skips.add("x.wav", "no speaker folder")
    listed = tmp_path / "train" / "skipped.tsv"
    listed.parent.mkdir()
    with caplog.at_level(logging.WARNING):
        assert skips.report("corpus train", listed) == 8
    assert listed.read_text().splitlines() == [f"clip{i}.wav\tempty audio" for i in range(7)] + [
        "x.wav\tno speaker folder"
    ]
    assert [r.getMessage() for r in caplog.records] == [
        "corpus train: skipped 7 empty audio: clip0.wav, clip1.wav, clip2.wav, clip3.wav, "
        f"clip4.wav ... (all listed in {listed})",
        f"corpus train: skipped 1 no speaker folder: x.wav (all listed in {listed})",
    ]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert Skips().report("corpus train", listed) == 0  # a rerun without skips
    assert not listed.exists() and caplog.records == []
    with caplog.at_level(logging.WARNING):
        assert report_skipped("corpus", "rows without audio", ["b", "a"]) == 2
    assert caplog.records[-1].getMessage() == "corpus: skipped 2 rows without audio: a, b"


def test_converting_an_lfs_pointer_says_to_run_git_lfs_pull(tmp_path):
    clone = tmp_path / "repo"
    (clone / ".git").mkdir(parents=True)
    pointer = clone / "audio" / "a.wav"
    pointer.parent.mkdir()
    pointer.write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:" + "0" * 64 + "\nsize 10\n"
    )
    with pytest.raises(DataError) as err:
        convert_all([(pointer, tmp_path / "out" / "a.wav", None, None)], num_workers=1)
    assert f"{pointer}: a git-lfs pointer file, not audio" in str(err.value)
    assert f"run `git lfs pull` in {clone.resolve()}" in str(err.value)
