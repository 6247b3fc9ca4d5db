"""Corpus preparation for S2TT (CoVoST 2, BSTC), SLU (SLURP) and AAC (Clotho, AudioCaps, WavCaps).

Each test builds a tiny copy of the corpus in its distributed layout (real directory and file
names, real metadata formats, synthetic audio in the corpus's own format and rate), runs
``prepare`` and checks the data dirs; one test per corpus checks the error on a broken layout.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from laura.data.corpora import get_corpus
from laura.data.errors import DataError
from laura.data.kaldi import load_data_dir, read_segments, read_table, read_wav_scp
from laura.data.manifest import data_dir_to_manifest, read_manifest
from laura.data.validate import validate_data_dir


def _tone(path: Path, sr: int, seconds: float = 0.5, seed: int = 0, channels: int = 1) -> Path:
    rng = np.random.default_rng(seed)
    t = np.arange(int(sr * seconds)) / sr
    x = 0.2 * np.sin(2 * np.pi * (200 + 40 * seed) * t) + 0.01 * rng.standard_normal(t.size)
    if channels > 1:
        x = np.stack([x] * channels, axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, x.astype(np.float32), sr)
    return path


def _ok(d: Path, **kw) -> None:
    """No validation problem, and the dir turns into a manifest (no reserved-key clash)."""
    problems = validate_data_dir(d, **kw)
    assert problems == [], "\n".join(map(str, problems))
    n = data_dir_to_manifest(d, d.parent / f"{d.name}.manifest.jsonl")
    assert n == len(load_data_dir(d).utt_ids)


def _prepare(name: str, src: Path, out: Path, **kw) -> dict[str, Path]:
    return get_corpus(name).prepare(src, out, **kw)


# --- SLURP -----------------------------------------------------------------------------------


def _slurp_entry(sid, sentence, annotation, intent, files, entities=(), tokens=None, field=None):
    """``intent`` is ``<scenario>_<action>``; ``field`` the "intent" field when it differs (37
    real test entries have the action alone); ``tokens`` the surfaces when they are not the
    sentence's words (SLURP's tokens split "jessica's" into "jessica" "'s")."""
    scenario, action = intent.split("_", 1)
    words = (tokens or sentence).split()
    return {
        "slurp_id": sid,
        "sentence": sentence,
        "sentence_annotation": annotation,
        "intent": field or intent,
        "action": action,
        "tokens": [{"surface": w, "id": i, "lemma": w, "pos": "NN"} for i, w in enumerate(words)],
        "scenario": scenario,
        "recordings": [{"file": f, "wer": 0.0, "ent_wer": 0.0, "status": "correct"} for f in files],
        "entities": [{"span": list(s), "type": t} for s, t in entities],
    }


def _slurp(root: Path) -> Path:
    text = root / "dataset" / "slurp"
    text.mkdir(parents=True)
    real = root / "audio" / "slurp_real"
    entries = {
        "train": [
            _slurp_entry(
                4489,
                "wake me up at eight o'clock",
                "wake me up at [time : eight] o'clock",
                "alarm_set",
                ["audio-1502099775-headset.flac", "audio-1502099775.flac"],
                [((4,), "time")],
            ),
            # the same recording listed by a second entry: kept once
            _slurp_entry(
                4490,
                "wake me up at eight",
                "wake me up at [time : eight]",
                "alarm_set",
                ["audio-1502099775.flac", "audio--1504194195.flac"],
                [((4,), "time")],
            ),
        ],
        "devel": [
            _slurp_entry(
                13804,
                "what is one american dollar in japanese yen",
                "what is one [currency_name : american dollar] in [currency_name : japanese yen]",
                "qa_currency",
                ["audio-1434542201-headset.flac", "audio-1434542201.flac", "audio-1499999999.flac"],
                [((3, 4), "currency_name"), ((6, 7), "currency_name")],
            ),
        ],
        "test": [
            _slurp_entry(
                16421,
                "how many unread emails do i have",
                "how many unread emails do i have",
                "email_query",
                ["audio-1499695168-headset.flac"],
            ),
            # SLURP's gold, as its scorer reads it: intent scenario_action, not the "intent"
            # field; fillers = token surfaces lower-cased ("jessica 's", "friday")
            _slurp_entry(
                8767,
                "is jessica's birthday on Friday or friday week",
                "is [person : jessica's] birthday on [date : Friday] or [date : friday week]",
                "calendar_query",
                ["audio-1501753669.flac"],
                [((1, 2), "person"), ((5,), "date"), ((7, 8), "date")],
                tokens="is jessica 's birthday on Friday or friday week",
                field="query",
            ),
        ],
    }
    for split, es in entries.items():
        (text / f"{split}.jsonl").write_text("".join(json.dumps(e) + "\n" for e in es))
    syn = [_slurp_entry(20000, "set an alarm", "set an alarm", "alarm_set", ["audio-1.flac"])]
    (text / "train_synthetic.jsonl").write_text("".join(json.dumps(e) + "\n" for e in syn))
    meta = {
        "4489": {
            "recordings": {
                "audio-1502099775-headset.flac": {"usrid": "FO-460"},
                "audio-1502099775.flac": {"usrid": "FO-460"},
            }
        },
        "13804": {
            "recordings": {
                "audio-1434542201-headset.flac": {"usrid": "ME-101"},
                "audio-1434542201.flac": {"usrid": "ME-101"},
            }
        },
        "16421": {"recordings": {"audio-1499695168-headset.flac": {"usrid": "UNK-323"}}},
    }
    (text / "metadata.json").write_text(json.dumps(meta))
    names = [
        "audio-1502099775-headset.flac",
        "audio-1502099775.flac",
        "audio--1504194195.flac",
        "audio-1434542201-headset.flac",
        "audio-1434542201.flac",
        "audio-1499695168-headset.flac",
        "audio-1501753669.flac",
    ]
    for i, n in enumerate(names):
        _tone(real / n, 16000, seed=i)
    _tone(root / "audio" / "slurp_synth" / "audio-1.flac", 16000, seed=9)
    return root


def test_slurp(tmp_path: Path) -> None:
    src = _slurp(tmp_path / "slurp")
    out = _prepare("slurp", src, tmp_path / "data", num_workers=1)
    assert set(out) == {"train", "devel", "test"}
    for d in out.values():
        _ok(d)

    train = load_data_dir(out["train"])
    assert train.utt_ids == [
        "FO-460-audio-1502099775",
        "FO-460-audio-1502099775-headset",
        "sess-1504194195-audio--1504194195",  # not in metadata.json: session speaker
        "synth-audio-1",
    ]
    assert train.text["FO-460-audio-1502099775"] == "wake me up at eight o'clock"
    assert train.extras["utt2intent"]["synth-audio-1"] == "alarm_set"
    assert train.extras["utt2slots"]["FO-460-audio-1502099775"] == "time=eight"
    assert train.extras["utt2slots"]["synth-audio-1"] == ""
    assert train.utt2spk["synth-audio-1"] == "synth"
    # 16 kHz FLAC: used in place
    assert train.wav["FO-460-audio-1502099775"] == str(
        (src / "audio" / "slurp_real" / "audio-1502099775.flac").resolve()
    )

    devel = load_data_dir(out["devel"])
    assert devel.utt_ids == ["ME-101-audio-1434542201", "ME-101-audio-1434542201-headset"]
    assert devel.extras["utt2slots"]["ME-101-audio-1434542201"] == (
        "currency_name=american dollar ; currency_name=japanese yen"
    )
    assert devel.extras["utt2scenario"]["ME-101-audio-1434542201"] == "qa"
    assert devel.extras["utt2lang"]["ME-101-audio-1434542201"] == "en"
    test = load_data_dir(out["test"])
    assert test.extras["utt2slots"] == {
        "UNK-323-audio-1499695168-headset": "",
        # not "person=jessica's ; date=Friday ; ...": SLURP's scorer would count both wrong
        "sess1501753669-audio-1501753669": "person=jessica 's ; date=friday ; date=friday week",
    }
    assert test.extras["utt2intent"]["sess1501753669-audio-1501753669"] == "calendar_query"
    assert test.extras["utt2action"]["sess1501753669-audio-1501753669"] == "query"
    rec, rec2 = read_manifest(tmp_path / "data" / "test.manifest.jsonl")
    assert (rec["intent"], rec["slots"], rec["lang"]) == ("email_query", "", "en")
    from laura.data.tasks import slu_target

    assert slu_target(rec2) == "calendar_query | person=jessica 's ; date=friday ; date=friday week"

    # options: no synthetic data, close-talk only; re-running overwrites
    out = _prepare(
        "slurp", src, tmp_path / "data", splits=["train"], synthetic=False, close_talk_only=True
    )
    assert load_data_dir(out["train"]).utt_ids == ["FO-460-audio-1502099775-headset"]


def test_slurp_broken(tmp_path: Path) -> None:
    src = _slurp(tmp_path / "slurp")
    test_jsonl = src / "dataset" / "slurp" / "test.jsonl"
    good = test_jsonl.read_text()
    bad = _slurp_entry(1, "set an alarm", "set an alarm", "alarm_set", ["a.flac"], [((5,), "time")])
    test_jsonl.write_text(good + json.dumps(bad) + "\n")
    with pytest.raises(DataError, match=r"test.jsonl:3: entity .* does not fit 'tokens'"):
        _prepare("slurp", src, tmp_path / "data", splits=["test"])
    test_jsonl.write_text(good)
    (src / "dataset" / "slurp" / "devel.jsonl").unlink()
    with pytest.raises(DataError, match="devel.jsonl"):
        _prepare("slurp", src, tmp_path / "data")
    with pytest.raises(DataError, match="slurp_synth"):
        import shutil

        shutil.rmtree(src / "audio" / "slurp_synth")
        _prepare("slurp", src, tmp_path / "data", splits=["train"])


# --- CoVoST 2 --------------------------------------------------------------------------------

_CV_ROWS = [  # client_id, clip, sentence, translation, covost split
    ("a1b2c3", "common_voice_en_100", 'He said "hello" to me.', "他对我说“你好”。", "train"),
    ("a1b2c3", "common_voice_en_101", "It's  raining   again.", "又下雨了。", "train_covost"),
    ("d4e5f6", "common_voice_en_102", "Good morning.", "早上好。", "dev"),
    ("d4e5f6", "common_voice_en_103", "See you tomorrow.", "明天见。", "test"),
    ("d4e5f6", "common_voice_en_104", "This clip is missing.", "这个片段不见了。", "test"),
    ("d4e5f6", "common_voice_en_105", "Not in CoVoST.", "", None),
]


def _covost(root: Path, per_split: bool = False) -> Path:
    cv = root / "cv-corpus-4-2019-12-10" / "en"
    (cv / "clips").mkdir(parents=True)
    lines = ["client_id\tpath\tsentence\tup_votes\tdown_votes\tage\tgender\taccent"]
    for i, (spk, clip, sent, _, _) in enumerate(_CV_ROWS):
        lines.append(f"{spk}\t{clip}.mp3\t{sent}\t2\t0\t\t\t")
        if clip != "common_voice_en_104":
            _tone(cv / "clips" / f"{clip}.mp3", 48000, seed=i)
    (cv / "validated.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if per_split:
        for split, labels in (("train", ("train", "train_covost")), ("dev", ("dev",))):
            rows = ["path\tsentence\ttranslation\tclient_id"]
            rows += [f"{c}.mp3\t{s}\t{t}\t{spk}" for spk, c, s, t, lab in _CV_ROWS if lab in labels]
            (root / f"covost_v2.en_zh-CN.{split}.tsv").write_text("\n".join(rows) + "\n")
    else:
        rows = ["path\tsentence\ttranslation\tsplit"]
        rows += [f"{c}.mp3\t{s}\t{t}\t{lab}" for _, c, s, t, lab in _CV_ROWS if lab]
        (root / "covost_v2.en_zh-CN.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


def test_covost2(tmp_path: Path) -> None:
    src = _covost(tmp_path / "covost")
    out = _prepare("covost2", src, tmp_path / "data", num_workers=1)
    assert set(out) == {"train", "dev", "test"}
    for d in out.values():
        _ok(d, extra_text_files=["text.zh"])
    train = load_data_dir(out["train"])
    assert train.utt_ids == ["a1b2c3-common_voice_en_100", "a1b2c3-common_voice_en_101"]
    assert train.text["a1b2c3-common_voice_en_100"] == 'He said "hello" to me.'
    assert train.text["a1b2c3-common_voice_en_101"] == "It's raining again."
    assert train.extras["text.zh"]["a1b2c3-common_voice_en_100"] == "他对我说“你好”。"
    assert train.extras["utt2lang"]["a1b2c3-common_voice_en_101"] == "en"
    assert train.utt2spk["a1b2c3-common_voice_en_100"] == "a1b2c3"
    wav = Path(train.wav["a1b2c3-common_voice_en_100"])
    assert wav == (tmp_path / "data" / "wav" / "common_voice_en_100.wav").resolve()
    info = sf.info(str(wav))
    assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
    # the test clip whose mp3 is missing is skipped, not fatal
    assert load_data_dir(out["test"]).utt_ids == ["d4e5f6-common_voice_en_103"]
    # idempotent: a second run skips the conversion and writes the same tables
    mtime = wav.stat().st_mtime_ns
    before = (out["train"] / "text.zh").read_text()
    _prepare("covost2", src, tmp_path / "data", splits=["train"], num_workers=2)
    assert wav.stat().st_mtime_ns == mtime
    assert (out["train"] / "text.zh").read_text() == before


def test_covost2_split_tsvs(tmp_path: Path) -> None:
    # The output of get_covost_splits.py (client_id included), with src = the CV "en" dir.
    root = _covost(tmp_path / "covost", per_split=True)
    (root / "cv-corpus-4-2019-12-10" / "en" / "validated.tsv").unlink()  # not needed then
    out = _prepare(
        "covost2",
        root / "cv-corpus-4-2019-12-10" / "en",
        tmp_path / "data",
        splits=["train", "dev"],
        tsv_dir=root,
        num_workers=1,
    )
    _ok(out["dev"], extra_text_files=["text.zh"])
    assert read_table(out["dev"] / "text.zh") == {"d4e5f6-common_voice_en_102": "早上好。"}
    assert len(read_table(out["train"] / "text")) == 2


def test_covost2_broken(tmp_path: Path) -> None:
    src = _covost(tmp_path / "covost")
    (src / "cv-corpus-4-2019-12-10" / "en" / "validated.tsv").unlink()
    with pytest.raises(DataError, match="validated.tsv"):
        _prepare("covost2", src, tmp_path / "data")
    (src / "covost_v2.en_zh-CN.tsv").unlink()
    with pytest.raises(DataError, match=r"covost_v2\.en_zh-CN\.tsv"):
        _prepare("covost2", src, tmp_path / "data")


# --- BSTC ------------------------------------------------------------------------------------


def _bstc(root: Path) -> Path:
    # train: a 16 kHz talk with a JSON list in seconds -> used in place with segments
    _tone(root / "train" / "wav" / "105.wav", 16000, seconds=4.0, seed=1)
    sents = [
        {
            "offset": 0.2,
            "duration": 1.3,
            "transcript": "大家好！",
            "translation": "Hello, everyone!",
        },
        {"offset": 1.6, "duration": 1.5, "transcript": "欢迎  大家。", "translation": "Welcome."},
        {"offset": 3.2, "duration": 0.4, "transcript": "嗯", "translation": ""},  # no translation
        {"offset": 3.7, "duration": 2.0, "transcript": "太长了", "translation": "Too long."},
    ]
    (root / "train" / "json").mkdir(parents=True)
    (root / "train" / "json" / "105.json").write_text(json.dumps(sents, ensure_ascii=False))
    # dev: 44.1 kHz talk, a wrapped list with start/end in milliseconds -> converted
    _tone(root / "dev" / "2.wav", 44100, seconds=3.0, seed=2)
    wrapped = {
        "sentences": [
            {
                "wav_id": "2",
                "start": 100,
                "end": 1400,
                "src": "我是孙书琪。",
                "tgt": "I'm Sun Shuqi.",
            },
            {"wav_id": "2", "start": 1500, "end": 2900, "src": "谢谢！", "tgt": "Thank you!"},
        ]
    }
    (root / "dev" / "2.json").write_text(json.dumps(wrapped, ensure_ascii=False))
    (root / "dev" / "streaming_transcription").mkdir()
    (root / "dev" / "streaming_transcription" / "2.txt").write_text("我\n我是\n")
    return root


def test_bstc(tmp_path: Path) -> None:
    src = _bstc(tmp_path / "BSTC")
    out = _prepare("bstc", src, tmp_path / "data", num_workers=1)
    assert set(out) == {"train", "dev"}
    for d in out.values():
        _ok(d, extra_text_files=["text.en"])
    train = load_data_dir(out["train"])
    assert train.utt_ids == ["105-0001", "105-0002"]  # 0003 no translation, 0004 past the end
    assert train.text == {"105-0001": "大家好！", "105-0002": "欢迎 大家。"}
    assert train.extras["text.en"]["105-0001"] == "Hello, everyone!"
    assert train.extras["utt2lang"]["105-0002"] == "zh"
    assert train.utt2spk["105-0002"] == "105"
    assert read_wav_scp(out["train"] / "wav.scp") == {
        "105": str((src / "train" / "wav" / "105.wav").resolve())
    }
    seg = read_segments(out["train"] / "segments")["105-0002"]
    assert (seg.recording, seg.start, seg.end) == ("105", 1.6, 3.1)

    dev = load_data_dir(out["dev"])
    assert dev.utt_ids == ["2-0001", "2-0002"]
    seg = dev.segments["2-0002"]
    assert (seg.start, seg.end) == (1.5, 2.9)  # milliseconds detected
    info = sf.info(dev.wav["2"])
    assert (info.samplerate, info.channels) == (16000, 1)
    assert dev.extras["text.en"]["2-0001"] == "I'm Sun Shuqi."


def test_bstc_broken(tmp_path: Path) -> None:
    src = _bstc(tmp_path / "BSTC")
    (src / "dev" / "2.json").unlink()  # only the shared-task streaming text is left
    with pytest.raises(DataError, match="time stamps"):
        _prepare("bstc", src, tmp_path / "data", splits=["dev"])
    with pytest.raises(DataError, match="test"):
        _prepare("bstc", src, tmp_path / "data", splits=["test"])


# --- Clotho ----------------------------------------------------------------------------------

_CLOTHO = {
    "development": [
        ("Santa Motor.wav", ["A machine whines and squeals.", "A motor, then silence."]),
        ("00 Miri-Close.wav", ["Birds chirp.", "Many birds are chirping."]),
    ],
    "validation": [("Rain_on_roof.wav", ["Rain falls on a roof.", "Heavy rain."])],
    "evaluation": [("06 O'Ríordáin.wav", ["A man speaks.", "Someone talks, then stops."])],
}


def _clotho(root: Path) -> Path:
    root.mkdir(parents=True)
    for i, (split, rows) in enumerate(_CLOTHO.items()):
        with open(root / f"clotho_captions_{split}.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["file_name"] + [f"caption_{k}" for k in range(1, 6)])
            for name, caps in rows:
                w.writerow([name] + [caps[k % len(caps)] + f" {k}" for k in range(5)])
                _tone(root / split / name, 44100, seed=i)
    return root


def test_clotho(tmp_path: Path) -> None:
    src = _clotho(tmp_path / "clotho")
    (src / "development" / "00 Miri-Close.wav").unlink()  # a missing clip is skipped
    out = _prepare("clotho", src, tmp_path / "data", num_workers=1)
    caps = [f"caption{k}" for k in range(1, 6)]
    for d in out.values():
        _ok(d, require_text=False)
    dev = load_data_dir(out["development"])
    assert dev.utt_ids == [f"Santa_Motor-c{k}" for k in range(1, 6)]
    assert dev.extras["caption"]["Santa_Motor-c2"] == "A motor, then silence. 1"
    assert dev.extras["utt2clip"]["Santa_Motor-c1"] == "Santa Motor.wav"
    assert dev.utt2spk["Santa_Motor-c3"] == "Santa_Motor"
    info = sf.info(dev.wav["Santa_Motor-c1"])
    assert (info.samplerate, info.channels) == (16000, 1)
    ev = load_data_dir(out["evaluation"], extra_files=caps)
    assert ev.utt_ids == ["06_O_Ríordáin"]
    assert ev.extras["caption"]["06_O_Ríordáin"] == "A man speaks. 0"
    assert ev.extras["caption5"]["06_O_Ríordáin"] == "A man speaks. 4"
    assert ev.extras["utt2clip"]["06_O_Ríordáin"] == "06 O'Ríordáin.wav"
    val = load_data_dir(out["validation"], extra_files=caps)
    assert val.extras["caption2"]["Rain_on_roof"] == "Heavy rain. 1"


def test_clotho_broken(tmp_path: Path) -> None:
    src = _clotho(tmp_path / "clotho")
    (src / "clotho_captions_validation.csv").unlink()
    with pytest.raises(DataError, match="clotho_captions_validation.csv"):
        _prepare("clotho", src, tmp_path / "data")
    import shutil

    shutil.rmtree(src / "evaluation")
    with pytest.raises(DataError, match="evaluation"):
        _prepare("clotho", src, tmp_path / "data", splits=["evaluation"])


# --- AudioCaps -------------------------------------------------------------------------------

_AC = {  # audiocap_id, youtube_id, start_time, caption
    "train": [
        (91139, "r1nicOVtvkQ", 130, "A woman talks nearby as water pours"),
        (58146, "UDGBjjwyaqE", 20, "Multiple clanging and clanking sounds"),
        (11542, "-0Gj8-vB1q4", 30, "A kid is crying"),  # missing audio
    ],
    "val": [
        (97151, "vfY_TJq7n_U", 130, "Rustling occurs, ducks quack"),
        (97152, "vfY_TJq7n_U", 130, "Ducks quack while water splashes"),
    ],
    "test": [(103549, "--0w1YA1Hm4", 30, "A vehicle driving as a man speaks")],
}


def _audiocaps(root: Path) -> Path:
    root.mkdir(parents=True)
    for split, rows in _AC.items():
        with open(root / f"{split}.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["audiocap_id", "youtube_id", "start_time", "caption"])
            w.writerows(rows)
    audio = root / "audio"
    _tone(audio / "train" / "r1nicOVtvkQ.wav", 16000, seed=1)  # used in place
    _tone(audio / "train" / "YUDGBjjwyaqE.flac", 44100, seed=2)  # converted
    _tone(audio / "val" / "YvfY_TJq7n_U_130.000_140.000.wav", 32000, seed=3)
    _tone(audio / "test" / "103549.wav", 16000, seed=4, channels=2)  # stereo: converted
    return root


def test_audiocaps(tmp_path: Path) -> None:
    src = _audiocaps(tmp_path / "audiocaps")
    out = _prepare("audiocaps", src, tmp_path / "data", num_workers=1)
    for d in out.values():
        _ok(d, require_text=False)
    train = load_data_dir(out["train"])
    assert train.utt_ids == ["YUDGBjjwyaqE_20-c1", "Yr1nicOVtvkQ_130-c1"]
    assert train.extras["caption"]["Yr1nicOVtvkQ_130-c1"] == "A woman talks nearby as water pours"
    assert train.extras["utt2audiocap_id"]["YUDGBjjwyaqE_20-c1"] == "58146"
    assert train.wav["Yr1nicOVtvkQ_130-c1"] == str((src / "audio/train/r1nicOVtvkQ.wav").resolve())
    assert sf.info(train.wav["YUDGBjjwyaqE_20-c1"]).samplerate == 16000
    # the missing clip is reported in a list that can be fed to a downloader
    assert (tmp_path / "data" / "train.missing.txt").read_text() == "-0Gj8-vB1q4 30\n"
    val = load_data_dir(out["val"], extra_files=["caption1", "caption2"])
    assert val.utt_ids == ["YvfY_TJq7n_U_130"]
    assert val.extras["caption2"]["YvfY_TJq7n_U_130"] == "Ducks quack while water splashes"
    assert val.extras["utt2audiocap_id"]["YvfY_TJq7n_U_130"] == "97151 97152"
    test = load_data_dir(out["test"])
    assert test.utt_ids == ["Y--0w1YA1Hm4_30"]  # found by its audiocap_id file name
    info = sf.info(test.wav["Y--0w1YA1Hm4_30"])
    assert (info.samplerate, info.channels) == (16000, 1)


def test_audiocaps_broken(tmp_path: Path) -> None:
    src = _audiocaps(tmp_path / "audiocaps")
    (src / "test.csv").unlink()
    with pytest.raises(DataError, match="test.csv"):
        _prepare("audiocaps", src, tmp_path / "data")
    for p in (src / "audio" / "val").iterdir():
        p.unlink()
    with pytest.raises(DataError, match="none of the 1 clips"):
        _prepare("audiocaps", src, tmp_path / "data", splits=["val"])


# --- WavCaps ---------------------------------------------------------------------------------


def _wavcaps(root: Path) -> Path:
    j = root / "json_files"
    (j / "AudioSet_SL").mkdir(parents=True)
    (j / "SoundBible").mkdir()
    (j / "blacklist").mkdir()
    as_items = [
        {
            "id": "Yb0RFKhbpFJA.wav",
            "caption": "A man speaks.",
            "audio": "wav_path",
            "duration": 10.0,
        },
        {
            "id": "Y-0Gj8-vB1q4.wav",
            "caption": "A kid cries.",
            "audio": "wav_path",
            "duration": 10.0,
        },
        {
            "id": "Ytest000000.wav",
            "caption": "In a test set.",
            "audio": "wav_path",
            "duration": 10.0,
        },
    ]
    (j / "AudioSet_SL" / "as_final.json").write_text(
        json.dumps({"num_captions_per_audio": 1, "data": as_items})
    )
    sb_items = [  # the GitHub copy: a plain list
        {
            "title": "Bell",
            "description": "d",
            "author": "a",
            "href": "2218-Bell.html",
            "caption": "Someone is ringing a bell.",
            "id": "2218",
            "duration": 1.5,
        },
        {
            "title": "Rain",
            "description": "d",
            "author": "a",
            "href": "2217-Rain.html",
            "caption": "It is raining heavily.",
            "id": "2217",
            "duration": 86.4,
        },
    ]
    (j / "SoundBible" / "sb_final.json").write_text(json.dumps(sb_items))
    (j / "blacklist" / "blacklist_exclude_test_ac.json").write_text(
        json.dumps({"AudioSet": ["Ytest000000.wav"], "FreeSound": []})
    )
    deep = root / "mnt" / "fast" / "WavCaps" / "data" / "waveforms"
    for i, stem in enumerate(["Yb0RFKhbpFJA", "Y-0Gj8-vB1q4", "Ytest000000"]):
        _tone(deep / "AudioSet_SL_flac" / f"{stem}.flac", 32000, seed=i)
    _tone(deep / "SoundBible_flac" / "2218.flac", 32000, seed=5)
    _tone(deep / "SoundBible_flac" / "2217.flac", 32000, seed=6)
    return root


def test_wavcaps(tmp_path: Path) -> None:
    src = _wavcaps(tmp_path / "WavCaps")
    out = _prepare(
        "wavcaps", src, tmp_path / "data", splits=["audioset_sl", "soundbible"], num_workers=1
    )
    for d in out.values():
        _ok(d, require_text=False)
    aset = load_data_dir(out["audioset_sl"])
    assert aset.utt_ids == ["as_Y_0Gj8_vB1q4-c1", "as_Yb0RFKhbpFJA-c1"]  # test clip blacklisted
    assert aset.extras["caption"]["as_Yb0RFKhbpFJA-c1"] == "A man speaks."
    assert sf.info(aset.wav["as_Yb0RFKhbpFJA-c1"]).samplerate == 16000
    sb = load_data_dir(out["soundbible"])
    assert sb.utt_ids == ["sb_2218-c1"]  # the 86 s clip exceeds max_duration
    out = _prepare(
        "wavcaps", src, tmp_path / "data", splits=["soundbible"], max_duration=None, num_workers=1
    )
    assert load_data_dir(out["soundbible"]).utt_ids == ["sb_2217-c1", "sb_2218-c1"]


def test_wavcaps_broken(tmp_path: Path) -> None:
    src = _wavcaps(tmp_path / "WavCaps")
    with pytest.raises(DataError, match="bbc_final.json"):
        _prepare("wavcaps", src, tmp_path / "data", splits=["bbc_sound_effects"])
    with pytest.raises(DataError, match="json_files"):
        _prepare("wavcaps", src / "mnt", tmp_path / "data")


def test_audiocaps_untrimmed(tmp_path: Path) -> None:
    # Full-length downloads: the 10 s excerpt is cut from start_time.
    src = tmp_path / "audiocaps"
    src.mkdir()
    (src / "train.csv").write_text(
        "audiocap_id,youtube_id,start_time,caption\n1,r1nicOVtvkQ,2,Water pours\n"
    )
    _tone(src / "downloads" / "r1nicOVtvkQ.wav", 8000, seconds=13.0)
    out = _prepare(
        "audiocaps",
        src,
        tmp_path / "data",
        splits=["train"],
        audio_dir=src / "downloads",
        trimmed=False,
        num_workers=1,
    )
    _ok(out["train"], require_text=False)
    info = sf.info(load_data_dir(out["train"]).wav["Yr1nicOVtvkQ_2-c1"])
    assert (info.samplerate, info.duration) == (16000, 10.0)
