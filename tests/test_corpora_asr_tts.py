"""Corpus preparation for LibriSpeech, AISHELL-1/2, LibriTTS, GigaSpeech and WenetSpeech: each
test builds a tiny copy of the corpus in its distributed layout and formats, prepares it and
checks the data dirs (ids, texts, labels) and that laura's validator finds no problem."""

from __future__ import annotations

import json
import logging
import tarfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from laura.data.corpora import get_corpus
from laura.data.errors import DataError
from laura.data.kaldi import load_data_dir
from laura.data.validate import validate_data_dir

RNG = np.random.default_rng(0)


def tone(seconds: float, sr: int, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    x = 0.2 * np.sin(2 * np.pi * 220 * t) + 0.01 * RNG.standard_normal(t.size)
    x = x.astype(np.float32)
    return np.stack([x] * channels, axis=1) if channels > 1 else x


def write_audio(path: Path, seconds: float, sr: int, **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), tone(seconds, sr), sr, **kw)
    return path


def prepare(name: str, src: Path, out: Path, **kw) -> dict[str, Path]:
    return get_corpus(name).prepare(src, out, num_workers=1, **kw)


def assert_valid(d: Path, **kw) -> None:
    problems = validate_data_dir(d, **kw)
    assert problems == [], "\n".join(str(p) for p in problems)


# --- LibriSpeech ------------------------------------------------------------------------------

SPEAKERS_TXT = """\
; Some notes
;ID  |SEX| SUBSET           |MINUTES| NAME
60   | M | train-clean-100  | 20.18 | |CBW|Simon
84   | F | dev-clean        |  8.02 | Christie Nowak
174  | M | dev-clean        |  8.04 | Peter Eastman
"""


def make_librispeech(root: Path) -> Path:
    ls = root / "LibriSpeech"
    ls.mkdir(parents=True)
    (ls / "SPEAKERS.TXT").write_text(SPEAKERS_TXT)
    rows = {
        ("dev-clean", "84", "121123"): ["GO DO YOU HEAR", "BUT IN LESS THAN FIVE MINUTES"],
        ("dev-clean", "174", "50561"): ["FOREGONE  CONCLUSION"],
        ("train-clean-100", "60", "121082"): ["A CHAPTER OF ACCIDENTS"],
    }
    for (split, spk, chap), texts in rows.items():
        d = ls / split / spk / chap
        lines = []
        for i, text in enumerate(texts):
            utt = f"{spk}-{chap}-{i:04d}"
            write_audio(d / f"{utt}.flac", 0.3, 16000, format="FLAC")
            lines.append(f"{utt} {text}\n")
        (d / f"{spk}-{chap}.trans.txt").write_text("".join(lines))
    return root


def test_librispeech(tmp_path):
    src = make_librispeech(tmp_path / "src")
    out = tmp_path / "data"
    dirs = prepare("librispeech", src, out)
    assert set(dirs) == {"dev-clean", "train-clean-100"}  # the splits present
    kd = load_data_dir(dirs["dev-clean"])
    assert kd.utt_ids == ["174-50561-0000", "84-121123-0000", "84-121123-0001"]
    assert kd.text["84-121123-0000"] == "GO DO YOU HEAR"
    assert kd.text["174-50561-0000"] == "FOREGONE CONCLUSION"
    assert kd.utt2spk["84-121123-0001"] == "84"
    assert kd.extras["utt2gender"] == {
        "174-50561-0000": "m",
        "84-121123-0000": "f",
        "84-121123-0001": "f",
    }
    assert set(kd.extras["utt2lang"].values()) == {"en"}
    assert kd.wav["84-121123-0000"].endswith("dev-clean/84/121123/84-121123-0000.flac")
    assert load_data_dir(dirs["train-clean-100"]).extras["utt2gender"] == {"60-121082-0000": "m"}
    for d in dirs.values():
        assert_valid(d)
    # idempotent: a second run gives the same tables
    before = (dirs["dev-clean"] / "text").read_text()
    prepare("librispeech", src / "LibriSpeech", out, splits=["dev-clean"])
    assert (dirs["dev-clean"] / "text").read_text() == before


def test_librispeech_broken(tmp_path):
    src = make_librispeech(tmp_path / "src")
    (src / "LibriSpeech/dev-clean/84/121123/84-121123.trans.txt").unlink()
    with pytest.raises(DataError, match=r"84-121123\.trans\.txt"):
        prepare("librispeech", src, tmp_path / "data", splits=["dev-clean"])
    with pytest.raises(DataError, match="test-other"):
        prepare("librispeech", src, tmp_path / "data", splits=["test-other"])


# --- AISHELL-1 --------------------------------------------------------------------------------

AISHELL1 = {  # speaker -> (split, {utt: words})
    "S0002": (
        "train",
        {
            "BAC009S0002W0122": "而 对 楼市 成交 抑制 作用 最 大 的 限 购",
            "BAC009S0002W0123": "也 成为 地方 政府 的 眼中 钉",
        },
    ),
    "S0724": ("dev", {"BAC009S0724W0121": "甚至 出现 交易 几乎 停滞 的 情况"}),
    "S0764": (
        "test",
        {
            "BAC009S0764W0121": "甚至 出现 交易 几乎 停滞 的 情况",
            "BAC009S0764W0122": "一二线 城市 虽然 也 处于 调整 中",
        },
    ),
}


def make_aishell1(root: Path, tmp: Path) -> Path:
    d = root / "data_aishell"
    (d / "transcript").mkdir(parents=True)
    lines = [f"{u} {w}\n" for _, (_, us) in AISHELL1.items() for u, w in us.items()]
    (d / "transcript/aishell_transcript_v0.8.txt").write_text("".join(sorted(lines)))
    (d / "wav").mkdir()
    for spk, (split, utts) in AISHELL1.items():
        stage = tmp / "stage" / spk
        for u in utts:
            write_audio(stage / split / spk / f"{u}.wav", 0.3, 16000, subtype="PCM_16")
        if spk == "S0002":  # one wav that has no transcript line (the real corpus has some)
            write_audio(stage / split / spk / "BAC009S0002W0999.wav", 0.3, 16000)
        with tarfile.open(d / "wav" / f"{spk}.tar.gz", "w:gz") as tar:
            tar.add(stage / split, arcname=split)
    return root


def test_aishell1(tmp_path, caplog):
    src = make_aishell1(tmp_path / "src", tmp_path)
    out = tmp_path / "data"
    with caplog.at_level(logging.WARNING):
        dirs = prepare("aishell1", src, out)
    assert "skipped 1 wav files without a transcript" in caplog.text
    assert (src / "data_aishell/wav/train/S0002/BAC009S0002W0122.wav").is_file()  # extracted
    assert set(dirs) == {"train", "dev", "test"}
    kd = load_data_dir(dirs["train"])
    assert kd.utt_ids == ["BAC009S0002W0122", "BAC009S0002W0123"]  # the official ids
    assert kd.text["BAC009S0002W0122"] == "而对楼市成交抑制作用最大的限购"
    assert kd.utt2spk["BAC009S0002W0123"] == "S0002"
    assert set(kd.extras["utt2lang"].values()) == {"zh"}
    assert load_data_dir(dirs["test"]).text["BAC009S0764W0122"] == "一二线城市虽然也处于调整中"
    for d in dirs.values():
        assert_valid(d)
    # the extracted state is read as is (and a re-run re-extracts nothing)
    (src / "data_aishell/wav/S0002.tar.gz").unlink()
    assert prepare("aishell1", src / "data_aishell", out, splits=["train"]) == {
        "train": out / "train"
    }


def test_aishell1_counts_and_lists_transcript_lines_without_audio(tmp_path, caplog):
    src = make_aishell1(tmp_path / "src", tmp_path)
    transcript = src / "data_aishell/transcript/aishell_transcript_v0.8.txt"
    lines = transcript.read_text().splitlines(keepends=True)
    lines += [
        "BAC009S0002W0124 没有 音频\n",  # train speaker, wav absent
        "BAC009S0724W0122 没有 音频\n",  # dev speaker, wav absent
        "BAC009S0916W0001 没有 音频\n",  # a speaker with no directory in any split
    ]
    transcript.write_text("".join(sorted(lines)))
    out = tmp_path / "data"
    with caplog.at_level(logging.WARNING):
        dirs = prepare("aishell1", src, out)
    assert load_data_dir(dirs["train"]).utt_ids == ["BAC009S0002W0122", "BAC009S0002W0123"]
    assert load_data_dir(dirs["dev"]).utt_ids == ["BAC009S0724W0121"]
    assert (dirs["train"] / "skipped.tsv").read_text() == (
        "BAC009S0002W0999\twav files without a transcript\n"
        "BAC009S0002W0124\ttranscript lines without a wav file\n"
    )
    assert (dirs["dev"] / "skipped.tsv").read_text() == (
        "BAC009S0724W0122\ttranscript lines without a wav file\n"
    )
    assert not (dirs["test"] / "skipped.tsv").exists()
    assert (out / "aishell1_skipped.tsv").read_text() == (
        "BAC009S0916W0001\ttranscript lines without a wav file (their speaker has no directory "
        "in any split)\n"
    )
    assert "aishell1 dev: skipped 1 transcript lines without a wav file: BAC009S0724W0122" in (
        caplog.text
    )
    for d in dirs.values():
        assert_valid(d)
    # a rerun with a complete transcript removes the stale lists
    transcript.write_text("".join(sorted(lines[:-3])))
    (src / "data_aishell/wav/train/S0002/BAC009S0002W0999.wav").unlink()
    prepare("aishell1", src, out)
    assert not (dirs["train"] / "skipped.tsv").exists()
    assert not (dirs["dev"] / "skipped.tsv").exists()
    assert not (out / "aishell1_skipped.tsv").exists()


def test_aishell1_ids_get_a_speaker_prefix_only_when_sorting_needs_it():
    from laura.data.corpora.aishell import _kaldi_sortable_ids
    from laura.data.corpora.common import Utt

    official = [Utt(u, "", u[6:11]) for u in ("BAC009S0003W0001", "BAC009S0002W0122")]
    assert [u.id for u in _kaldi_sortable_ids(official, "t")] == [
        "BAC009S0003W0001",
        "BAC009S0002W0122",
    ]
    # a renamed file whose name sorts after another speaker's: ids sorted would interleave
    # the speakers (S0003 before S0002), which Kaldi's utt2spk forbids
    renamed = [Utt("BAC009S0003W0001", "", "S0003"), Utt("ZZZ0001", "", "S0002")]
    assert [u.id for u in _kaldi_sortable_ids(renamed, "t")] == [
        "S0003-BAC009S0003W0001",
        "S0002-ZZZ0001",
    ]


def test_aishell1_broken(tmp_path):
    src = make_aishell1(tmp_path / "src", tmp_path)
    with pytest.raises(DataError, match=r"not extracted.*S0002\.tar\.gz"):
        prepare("aishell1", src, tmp_path / "data", extract=False)
    (src / "data_aishell/transcript/aishell_transcript_v0.8.txt").unlink()
    with pytest.raises(DataError, match=r"aishell_transcript_v0\.8\.txt"):
        prepare("aishell1", src, tmp_path / "data")


# --- AISHELL-2 --------------------------------------------------------------------------------


def write_aishell2_part(part: Path, rows: dict[str, tuple[str, str]], sr: int = 16000) -> None:
    """rows: utt -> (speaker, text); writes wav.scp, trans.txt and wav/<spk>/<utt>.wav."""
    part.mkdir(parents=True, exist_ok=True)
    scp, trans = [], []
    for utt, (spk, text) in rows.items():
        write_audio(part / "wav" / spk / f"{utt}.wav", 0.3, sr, subtype="PCM_16")
        scp.append(f"{utt}\twav/{spk}/{utt}.wav\n")
        if text:
            trans.append(f"{utt}\t{text}\n")
    (part / "wav.scp").write_text("".join(scp))
    (part / "trans.txt").write_text("".join(trans))


def make_aishell2(root: Path, tmp: Path) -> Path:
    write_aishell2_part(
        root / "AISHELL-2/iOS/data",
        {
            "IC0001W0001": ("C0001", "厨房用具"),
            "IC0001W0002": ("C0001", "帮我放一首歌Let's  go"),
            "IC0002W0001": ("C0002", "换一首歌"),
            "IC0002W0002": ("C0002", ""),  # no transcript line: skipped and counted
        },
    )
    ev = root / "AISHELL-DEV-TEST-SET"
    # iOS dev as distributed: dev.tar.gz holding dev/{wav.scp,trans.txt,wav/...}
    stage = tmp / "stage"
    write_aishell2_part(stage / "dev", {"ID0013W0001": ("D0013", "打开空调")})
    (ev / "iOS").mkdir(parents=True)
    with tarfile.open(ev / "iOS/dev.tar.gz", "w:gz") as tar:
        tar.add(stage / "dev", arcname="dev")
    write_aishell2_part(ev / "iOS/test", {"IT0011W0001": ("T0011", "换一首歌")})
    # a channel recorded at another rate is converted
    write_aishell2_part(ev / "Mic/test", {"MT0011W0001": ("T0011", "换一首歌")}, sr=44100)
    return root


def test_aishell2(tmp_path, caplog):
    src = make_aishell2(tmp_path / "src", tmp_path)
    out = tmp_path / "data"
    with caplog.at_level(logging.WARNING):
        dirs = prepare("aishell2", src / "AISHELL-2", out)
    assert "skipped 1 wav.scp entries without a transcript" in caplog.text
    assert set(dirs) == {"train", "dev_ios", "test_ios", "test_mic"}
    kd = load_data_dir(dirs["train"])
    assert kd.utt_ids == ["C0001-IC0001W0001", "C0001-IC0001W0002", "C0002-IC0002W0001"]
    assert kd.text["C0001-IC0001W0002"] == "帮我放一首歌Let's go"
    assert kd.utt2spk["C0002-IC0002W0001"] == "C0002"
    assert load_data_dir(dirs["dev_ios"]).text == {"D0013-ID0013W0001": "打开空调"}
    assert load_data_dir(dirs["test_ios"]).utt2spk == {"T0011-IT0011W0001": "T0011"}
    mic = load_data_dir(dirs["test_mic"])
    assert mic.wav["T0011-MT0011W0001"].startswith(str((out / "wav/test_mic").resolve()))
    assert sf.info(mic.wav["T0011-MT0011W0001"]).samplerate == 16000
    for d in dirs.values():
        assert_valid(d)


def test_aishell2_broken(tmp_path):
    src = make_aishell2(tmp_path / "src", tmp_path)
    (src / "AISHELL-2/iOS/data/trans.txt").unlink()
    with pytest.raises(DataError, match=r"iOS/data/trans\.txt"):
        prepare("aishell2", src, tmp_path / "data", splits=["train"])
    with pytest.raises(DataError, match=r"Android"):
        prepare("aishell2", src, tmp_path / "data", splits=["dev_android"])


# --- LibriTTS ---------------------------------------------------------------------------------

LIBRITTS_SPEAKERS = """\
;ID  |SEX| SUBSET           |MINUTES| NAME
84   | F | dev-clean        |  8.02 | Christie Nowak
174  | M | dev-clean        |  8.04 | Peter Eastman
"""


def make_libritts(root: Path) -> Path:
    lt = root / "LibriTTS"
    lt.mkdir(parents=True)
    (lt / "SPEAKERS.txt").write_text(LIBRITTS_SPEAKERS)
    rows = {  # (spk, chapter) -> [(utt suffix, seconds, original, normalized)]
        ("84", "121123"): [
            ("000007_000001", 0.4, "Maximilian.", "Maximilian."),
            (
                "000008_000000",
                3.2,
                "Villefort rose, half ashamed.",
                "Villefort rose, half ashamed.",
            ),
            ("000010_000000", 0.6, "It was 1815.", "It was eighteen fifteen."),
        ],
        ("174", "50561"): [("000001_000000", 0.5, "Alone.", "Alone.")],
    }
    for (spk, chap), utts in rows.items():
        d = lt / "dev-clean" / spk / chap
        tsv = []
        for suffix, secs, orig, norm in utts:
            utt = f"{spk}_{chap}_{suffix}"
            write_audio(d / f"{utt}.wav", secs, 24000, subtype="PCM_16")
            (d / f"{utt}.original.txt").write_text(orig)
            (d / f"{utt}.normalized.txt").write_text(norm)
            tsv.append(f"{utt}\t{orig}\t{norm}\n")
        (d / f"{spk}_{chap}.trans.tsv").write_text("".join(tsv))
        (d / f"{spk}_{chap}.book.tsv").write_text("")
    return root


def test_libritts(tmp_path, caplog):
    src = make_libritts(tmp_path / "src")
    out = tmp_path / "data"
    with caplog.at_level(logging.WARNING):
        dirs = prepare("libritts", src, out)
    assert set(dirs) == {"dev-clean"}
    assert "skipped 1 utterances of speakers with no other utterance" in caplog.text
    kd = load_data_dir(dirs["dev-clean"])
    ids = ["84_121123_000007_000001", "84_121123_000008_000000", "84_121123_000010_000000"]
    assert kd.utt_ids == ids
    assert kd.text[ids[2]] == "It was eighteen fifteen."  # normalized, case/punct kept
    # prompts: another utterance of the speaker, preferring 3-10 s ones
    assert kd.extras["utt2prompt"] == {ids[0]: ids[1], ids[1]: ids[2], ids[2]: ids[1]}
    assert set(kd.extras["utt2gender"].values()) == {"f"}
    wav = kd.wav[ids[1]]
    assert wav == str((out / "wav/dev-clean/84/121123" / f"{ids[1]}.wav").resolve())
    info = sf.info(wav)
    assert (info.samplerate, info.channels) == (16000, 1)
    assert abs(info.duration - 3.2) < 0.01
    assert_valid(dirs["dev-clean"])

    # a bad-utterance list extracted into the root (LibriTTS-R style) is honoured
    (src / "LibriTTS/dev-clean_bad_sample_list.txt").write_text(
        f"dev-clean/84/121123/{ids[0]}.wav\n"
    )
    kd = load_data_dir(prepare("libritts", src, out, splits=["dev-clean"])["dev-clean"])
    assert kd.utt_ids == ids[1:]
    assert_valid(out / "dev-clean")


def test_libritts_broken(tmp_path):
    src = make_libritts(tmp_path / "src")
    (src / "LibriTTS/dev-clean/84/121123/84_121123.trans.tsv").unlink()
    with pytest.raises(DataError, match=r"84_121123\.trans\.tsv"):
        prepare("libritts", src, tmp_path / "data")


# --- GigaSpeech / WenetSpeech -----------------------------------------------------------------


def make_json_corpus(root: Path, json_name: str, audios: list[dict], lengths: dict) -> Path:
    root.mkdir(parents=True)
    for a in audios:
        write_audio(root / a["path"], lengths[a["aid"]], 16000, format="OGG", subtype="OPUS")
    meta = {"dataset": json_name.split(".")[0], "version": "v1.0.0", "audios": audios}
    (root / json_name).write_text(json.dumps(meta, ensure_ascii=False, indent=2))
    return root


def seg(sid: str, begin: float, end: float, text: str, subsets: list[str], key: str) -> dict:
    return {
        "sid": sid,
        "speaker": "N/A",
        "begin_time": begin,
        "end_time": end,
        key: text,
        "subsets": subsets,
    }


def make_gigaspeech(root: Path) -> Path:
    xs = ["{XL}", "{L}", "{M}", "{S}", "{XS}"]
    audios = [
        {
            "aid": "POD0000000001",
            "path": "audio/podcast/P0000/POD0000000001.opus",
            "source": "podcast",
            "sample_rate": 16000,
            "format": "opus",
            "speaker": "N/A",
            "segments": [
                seg("POD0000000001_S0000000", 0.1, 1.0, "DOUGLAS MCGRAY <COMMA> HI", xs, "text_tn"),
                seg(
                    "POD0000000001_S0000001",
                    1.0,
                    1.8,
                    "WHAT IS IT <QUESTIONMARK>",
                    ["{XL}"],
                    "text_tn",
                ),
            ],
        },
        {
            "aid": "YOU0000000315",
            "path": "audio/youtube/P0003/YOU0000000315.opus",
            "source": "youtube",
            "sample_rate": 16000,
            "format": "opus",
            "speaker": "N/A",
            "segments": [
                seg("YOU0000000315_S0000000", 0.0, 0.7, "<MUSIC>", ["{DEV}"], "text_tn"),
                seg("YOU0000000315_S0000001", 0.7, 1.5, "I SEE <PERIOD>", ["{DEV}"], "text_tn"),
            ],
        },
    ]
    return make_json_corpus(
        root / "GigaSpeech",
        "GigaSpeech.json",
        audios,
        {"POD0000000001": 2.0, "YOU0000000315": 1.5},
    )


def test_gigaspeech(tmp_path, caplog, monkeypatch):
    import laura.data.corpora.common as gs

    monkeypatch.setattr(gs, "JSON_CHUNK", 97)  # exercise the streaming reader's buffering
    src = make_gigaspeech(tmp_path / "src")
    out = tmp_path / "data"
    with caplog.at_level(logging.WARNING):
        dirs = prepare("gigaspeech", src.parent, out, splits=["xs", "xl", "dev"])
    assert "skipped 1 segments with a garbage tag" in caplog.text
    xl = load_data_dir(dirs["xl"])
    assert xl.utt_ids == ["POD0000000001_S0000000", "POD0000000001_S0000001"]
    assert xl.text == {
        "POD0000000001_S0000000": "DOUGLAS MCGRAY HI",
        "POD0000000001_S0000001": "WHAT IS IT",
    }
    assert xl.utt2spk["POD0000000001_S0000001"] == "POD0000000001"
    assert xl.extras["utt2source"]["POD0000000001_S0000000"] == "podcast"
    assert abs(sf.info(xl.wav["POD0000000001_S0000000"]).duration - 0.9) < 0.01
    assert load_data_dir(dirs["xs"]).utt_ids == ["POD0000000001_S0000000"]
    dev = load_data_dir(dirs["dev"])
    assert dev.text == {"YOU0000000315_S0000001": "I SEE"}
    for d in dirs.values():
        assert_valid(d)

    # no conversion: the Opus recordings with a segments file; punctuation kept on request
    dirs = prepare("gigaspeech", src, out, splits=["xl"], audio="segments", keep_punctuation=True)
    kd = load_data_dir(dirs["xl"])
    assert kd.segments["POD0000000001_S0000001"].start == 1.0
    assert kd.wav["POD0000000001"].endswith("POD0000000001.opus")
    assert kd.text["POD0000000001_S0000000"] == "DOUGLAS MCGRAY, HI"
    assert kd.text["POD0000000001_S0000001"] == "WHAT IS IT?"
    assert_valid(dirs["xl"])
    # and back to cut audio: the stale segments file goes away
    prepare("gigaspeech", src, out, splits=["xl"])
    assert not (out / "xl/segments").exists()
    assert_valid(out / "xl")


def test_gigaspeech_broken(tmp_path):
    src = make_gigaspeech(tmp_path / "src")
    (src / "audio/youtube/P0003/YOU0000000315.opus").unlink()
    with pytest.raises(DataError, match=r"YOU0000000315\.opus: not found"):
        prepare("gigaspeech", src, tmp_path / "data", splits=["dev"])
    dirs = prepare("gigaspeech", src, tmp_path / "data", splits=["xl"])  # not needed there
    assert load_data_dir(dirs["xl"]).utt_ids[0] == "POD0000000001_S0000000"
    (src / "GigaSpeech.json").unlink()
    with pytest.raises(DataError, match=r"GigaSpeech\.json"):
        prepare("gigaspeech", src, tmp_path / "data")


def make_wenetspeech(root: Path) -> Path:
    audios = [
        {
            "aid": "Y0000000000_--5llN02F84",
            "duration": 2.0,
            "source": "youtube",
            "path": "audio/train/youtube/B00000/Y0000000000_--5llN02F84.opus",
            "segments": [
                {
                    **seg(
                        "Y0000000000_--5llN02F84_S00000",
                        0.2,
                        1.1,
                        "怎么样这些日子住得还习惯吧",
                        ["L", "M", "S", "W"],
                        "text",
                    ),
                    "confidence": 1.0,
                },
                {
                    **seg("Y0000000000_--5llN02F84_S00001", 1.1, 1.9, "不 习惯  OK", ["W"], "text"),
                    "confidence": 0.7,
                },
            ],
        },
        {
            "aid": "TEST_MEETING_T0000000001",
            "duration": 1.0,
            "source": "meeting",
            "path": "audio/test_meeting/TEST_MEETING_T0000000001.opus",
            "segments": [
                seg("TEST_MEETING_T0000000001_S00000", 0.0, 0.9, "好的", ["TEST_MEETING"], "text")
            ],
        },
    ]
    return make_json_corpus(
        root / "WenetSpeech",
        "WenetSpeech.json",
        audios,
        {"Y0000000000_--5llN02F84": 2.0, "TEST_MEETING_T0000000001": 1.0},
    )


def test_wenetspeech(tmp_path):
    src = make_wenetspeech(tmp_path / "src")
    out = tmp_path / "data"
    dirs = prepare("wenetspeech", src, out, splits=["l", "w", "test_meeting"])
    assert load_data_dir(dirs["l"]).text == {
        "Y0000000000_--5llN02F84_S00000": "怎么样这些日子住得还习惯吧"
    }
    w = load_data_dir(dirs["w"])
    assert w.text["Y0000000000_--5llN02F84_S00001"] == "不 习惯 OK"
    assert w.utt2spk["Y0000000000_--5llN02F84_S00001"] == "Y0000000000_--5llN02F84"
    assert set(w.extras["utt2lang"].values()) == {"zh"}
    tm = load_data_dir(dirs["test_meeting"])
    assert tm.utt_ids == ["TEST_MEETING_T0000000001_S00000"]
    for d in dirs.values():
        assert_valid(d)
    dirs = prepare("wenetspeech", src, tmp_path / "seg", splits=["w"], audio="segments")
    assert_valid(dirs["w"])


def test_wenetspeech_broken(tmp_path):
    src = make_wenetspeech(tmp_path / "src")
    with pytest.raises(DataError, match=r"WenetSpeech\.json"):
        prepare("wenetspeech", src / "audio", tmp_path / "data")
    text = (src / "WenetSpeech.json").read_text()
    (src / "WenetSpeech.json").write_text(text[: len(text) // 2])
    with pytest.raises(DataError, match=r"truncated or malformed"):
        prepare("wenetspeech", src, tmp_path / "data", splits=["test_meeting"])
    with pytest.raises(DataError, match="unknown split"):
        prepare("wenetspeech", src, tmp_path / "data", splits=["train"])
