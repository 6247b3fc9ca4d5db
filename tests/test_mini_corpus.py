"""The offline mini corpus (size="test"): layout, audio, splits, determinism, skipping, and the
seven tasks (ASR, S2TT, SLU, SER, AAC, SE, TTS)."""

from __future__ import annotations

import io
import json
import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from laura.bin.mini_corpus import main
from laura.minicorpus import grammar, words
from laura.minicorpus.core import BUILD_ORDER, SPLITS
from laura.minicorpus.generate import make_mini_corpus, verify_corpus

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None,
    reason="espeak-ng or sox not installed",
)

FILES = (
    "wav.scp",
    "text",
    "text.en",
    "text.zh",
    "utt2spk",
    "spk2utt",
    "utt2lang",
    "utt2dur",
    "spk2gender",
)


def _table(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        k, v = line.split(" ", 1)
        out[k] = v
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("mini") / "corpus"
    manifest = make_mini_corpus(out, size="test", seed=0, progress=False)
    return out, manifest


def test_layout_and_sorting(corpus):
    out, manifest = corpus
    assert (out / "manifest.json").is_file() and (out / "checksums.sha256").is_file()
    for split in SPLITS:
        d = out / "asr" / split
        keys = None
        for name in FILES:
            lines = (d / name).read_text(encoding="utf-8").splitlines()
            assert lines, f"{split}/{name} is empty"
            first = [ln.split(" ", 1)[0] for ln in lines]
            assert [k.encode() for k in first] == sorted(k.encode() for k in first), (
                f"{split}/{name} unsorted"
            )
            if name not in ("spk2utt", "spk2gender"):
                keys = keys or first
                assert first == keys, f"{split}/{name} keys differ from wav.scp"
        utt2spk = _table(d / "utt2spk")
        assert all(
            u.startswith(s + "-") for u, s in utt2spk.items()
        )  # Kaldi: uttid prefixed by spk
        spk2utt = _table(d / "spk2utt")
        assert sorted(u for us in spk2utt.values() for u in us.split()) == sorted(utt2spk)
        n = {"train": 24, "dev": 8, "test": 8}[split]
        assert manifest["tasks_info"]["asr"]["splits"][split]["per_lang"] == {"en": n, "zh": n}


def test_project_validator_accepts_it(corpus):
    from laura.data.kaldi import load_data_dir
    from laura.data.validate import validate_data_dir

    out, _ = corpus
    for split in SPLITS:
        d = out / "asr" / split
        assert (
            validate_data_dir(d, extra_text_files=("text.en", "text.zh"), max_duration=12.0) == []
        )
        assert {"text.en", "text.zh", "utt2lang", "utt2dur"} <= set(load_data_dir(d).extras)


def test_audio(corpus):
    out, _ = corpus
    for split in SPLITS:
        durs = _table(out / "asr" / split / "utt2dur")
        for utt, path in _table(out / "asr" / split / "wav.scp").items():
            assert Path(path).is_absolute() and Path(path).is_relative_to(out.resolve())
            info = sf.info(path)
            assert info.samplerate == 16000 and info.channels == 1 and info.subtype == "PCM_16"
            x, _ = sf.read(path, dtype="float32")
            dur = len(x) / 16000
            assert 0.5 <= dur <= 12.0, (utt, dur)
            assert abs(dur - float(durs[utt])) < 1e-3
            assert np.sqrt(np.mean(x**2)) > 0.01, f"{utt} is (nearly) silent"
            # a little silence at both ends, speech in between
            assert np.abs(x[:800]).max() < 0.05 and np.abs(x[-800:]).max() < 0.05


def test_text_normalisation(corpus):
    out, _ = corpus
    for split in SPLITS:
        d = out / "asr" / split
        lang = _table(d / "utt2lang")
        text, en, zh = _table(d / "text"), _table(d / "text.en"), _table(d / "text.zh")
        for utt in text:
            assert grammar.is_normalised(en[utt], "en"), en[utt]
            assert grammar.is_normalised(zh[utt], "zh"), zh[utt]
            assert text[utt] == (en[utt] if lang[utt] == "en" else zh[utt])
            assert 4 <= len(en[utt].split()) <= 15


def test_heldout_sentences_and_speakers(corpus):
    out, manifest = corpus
    train_en = set(_table(out / "asr/train/text.en").values())
    train_zh = set(_table(out / "asr/train/text.zh").values())
    for split in ("dev", "test"):
        assert not set(_table(out / f"asr/{split}/text.en").values()) & train_en
        assert not set(_table(out / f"asr/{split}/text.zh").values()) & train_zh
    train_spk = set(_table(out / "asr/train/utt2spk").values())
    test_spk = set(_table(out / "asr/test/utt2spk").values())
    for lang in ("en", "zh"):
        unseen = {s for s in test_spk - train_spk if s.startswith(lang)}
        assert len(unseen) >= (2 if lang == "en" else 1), (lang, unseen)
    # held-out speakers' voice variants are never used by a training speaker of any language
    spk = manifest["speakers"]
    train_variants = {spk[s]["variant"] for s in train_spk}
    assert all(spk[s]["variant"] not in train_variants for s in test_spk - train_spk)


def test_skip_when_up_to_date(corpus, capsys, monkeypatch):
    out, manifest = corpus
    wav = next((out / "wav").rglob("*.wav"))
    before = {p: p.stat().st_mtime_ns for p in (out / "manifest.json", wav, out / "asr/train/text")}
    from laura.minicorpus import core

    def no_synthesis(*args, **kwargs):
        raise AssertionError("an up-to-date corpus must not be synthesised again")

    monkeypatch.setattr(core.BuildContext, "synthesize", no_synthesis)
    monkeypatch.setattr(core.BuildContext, "map", no_synthesis)
    again = make_mini_corpus(out, size="test", seed=0, langs=("zh", "en"), progress=False)
    assert again["checksum"] == manifest["checksum"]
    assert "skipping" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in before} == before


def test_determinism_and_seed(corpus, tmp_path):
    _, manifest = corpus
    # a second build elsewhere, with one worker: same bytes, same checksum
    same = make_mini_corpus(tmp_path / "a", size="test", seed=0, num_workers=1, progress=False)
    assert same["checksum"] == manifest["checksum"]
    other = make_mini_corpus(
        tmp_path / "b", size="test", seed=1, langs=("en",), tasks=("asr",), progress=False
    )
    assert other["checksum"] != manifest["checksum"]
    assert other["counts"] == {"asr/train": 24, "asr/dev": 8, "asr/test": 8}
    assert verify_corpus(tmp_path / "b")


def test_force_verify_and_relocate(tmp_path):
    out = tmp_path / "c"
    m1 = make_mini_corpus(out, size="test", seed=3, langs=("zh",), progress=False)
    # tampering is detected by verify and repaired by force
    wav = next((out / "wav").rglob("*.wav"))
    wav.write_bytes(wav.read_bytes()[:-2] + b"\x00\x01")
    assert not verify_corpus(out)
    m2 = make_mini_corpus(out, size="test", seed=3, langs=("zh",), force=True, progress=False)
    assert m2["checksum"] == m1["checksum"] and verify_corpus(out)
    # a moved corpus is reused, with wav.scp rewritten to the new place
    moved = tmp_path / "moved"
    out.rename(moved)
    m3 = make_mini_corpus(moved, size="test", seed=3, langs=("zh",), progress=False)
    assert m3["checksum"] == m1["checksum"] and m3["root"] == moved.resolve().as_posix()
    assert m3["tasks"] == ["asr", "s2tt", "aac", "se", "tts"]  # SLU and SER need English
    for table in ("asr/test/wav.scp", "se/test/wav.scp", "se/test/clean.scp", "aac/dev/wav.scp"):
        for path in _table(moved / table).values():
            assert Path(path).is_file() and Path(path).is_relative_to(moved.resolve()), table
    assert verify_corpus(moved)
    assert json.loads((moved / "manifest.json").read_text())["root"] == m3["root"]


def test_refuses_foreign_directory(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        make_mini_corpus(tmp_path, size="test", progress=False)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_cli(tmp_path, capsys):
    out = tmp_path / "d"
    argv = ["--out", str(out), "--size", "test", "--langs", "en", "--tasks", "asr,se"]
    assert main([*argv, "--no-progress", "--verify"]) == 0
    assert "verify: ok" in capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tasks"] == ["asr", "se"]
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["asr", "se", "wav"]
    assert main([*argv, "--no-progress"]) == 0  # same request again: skipped
    assert "skipping" in capsys.readouterr().out


def test_grammar_parallel_and_deterministic():
    a = grammar.unique_pairs(random.Random(7), 300)
    b = grammar.unique_pairs(random.Random(7), 300)
    assert a == b
    assert len({p.en for p in a}) == len({p.zh for p in a}) == 300
    assert len({p.template for p in a}) == len(grammar.TEMPLATES)
    assert words.en_number(342) == "three hundred forty two"
    assert words.zh_number(2, counting=True) == "两" and words.zh_number(22) == "二十二"
    assert words.zh_number(105) == "一百零五" and words.zh_number(110) == "一百一十"
    vocab = grammar.vocabulary(5000)
    assert 300 <= len(vocab["en"]) <= 650 and 250 <= len(vocab["zh"]) <= 650


def test_every_hanzi_is_known_to_espeak():
    # espeak-ng reads a character missing from its dictionary as its code point digits (several
    # syllables): every character of the grammar must come out as exactly one syllable
    chars = "".join(sorted(grammar.vocabulary(5000)["zh"]))
    out = subprocess.run(
        ["espeak-ng", "-v", "cmn-latn-pinyin", "-q", "-x", " ".join(chars)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "(en)" not in out and out.count("_|") == len(chars)


def test_resampling_keeps_duration():
    # espeak-ng writes 22,050 Hz: 16 kHz output must last exactly as long
    # (a wrong ratio = chipmunks)
    from laura.minicorpus.synth import espeak_command, synthesize

    args = ("the red cat sat on the mat", "en-us+m3", 160, 50, 100)
    raw = subprocess.run(espeak_command(*args), capture_output=True, check=True).stdout
    info = sf.info(io.BytesIO(raw))
    assert info.samplerate == 22050
    assert abs(len(synthesize(*args)) / 16000 - info.frames / 22050) < 1e-3


def test_speaking_rate(corpus):
    # plausible rates: english 1.5-5 words/s, mandarin 2-7 syllables (hanzi)/s, silences included
    out, _ = corpus
    d = out / "asr" / "train"
    durs, text, lang = _table(d / "utt2dur"), _table(d / "text"), _table(d / "utt2lang")
    for utt, t in text.items():
        units = len(t.split()) if lang[utt] == "en" else len(t)
        rate = units / float(durs[utt])
        assert (1.5 <= rate <= 5.0) if lang[utt] == "en" else (2.0 <= rate <= 7.0), (utt, t, rate)


# ---------------------------------------------------------------------------------------------
# the seven tasks
PER_TASK_TABLES = {
    "asr": ("text", "text.en", "text.zh", "utt2lang"),
    "s2tt": ("text", "text.en", "text.zh", "utt2lang"),
    "slu": ("text", "utt2intent", "utt2slots", "utt2lang"),
    "ser": ("text", "utt2emotion", "utt2lang"),
    "aac": ("caption", "utt2events"),
    "se": ("text", "clean.scp", "utt2snr", "utt2noise", "utt2rt60", "utt2lang"),
    "tts": ("text", "utt2prompt", "utt2lang"),
}


def _validate_kwargs(task: str, split: str) -> dict:
    if task in ("asr", "s2tt"):
        return {"extra_text_files": ("text.en", "text.zh")}
    if task == "aac":
        caps = ("caption",) + (
            () if split == "train" else tuple(f"caption{k}" for k in range(1, 6))
        )
        return {"require_text": False, "extra_text_files": caps}
    return {}


def _words(text: str) -> set[str]:
    return set(text.split())


def test_every_task_layout_and_manifest(corpus):
    out, manifest = corpus
    assert (
        manifest["tasks"] == list(BUILD_ORDER) == ["asr", "s2tt", "slu", "ser", "aac", "se", "tts"]
    )
    for task, tables in PER_TASK_TABLES.items():
        for split in SPLITS:
            d = out / task / split
            wav = _table(d / "wav.scp")
            assert wav and manifest["counts"][f"{task}/{split}"] == len(wav)
            keys = [k.encode() for k in wav]
            assert keys == sorted(keys), (task, split)
            for name in ("utt2spk", "utt2dur", *tables):
                assert list(_table(d / name)) == list(wav), (task, split, name)
            for utt, spk in _table(d / "utt2spk").items():
                assert utt.startswith(spk + "-"), (task, utt, spk)
            for path in wav.values():
                assert Path(path).is_absolute() and Path(path).is_file()


def test_every_task_dir_validates(corpus):
    from laura.data.validate import validate_data_dir

    out, _ = corpus
    for task in PER_TASK_TABLES:
        for split in SPLITS:
            problems = validate_data_dir(out / task / split, **_validate_kwargs(task, split))
            assert problems == [], (task, split, [str(p) for p in problems[:5]])


def test_speech_tasks_hold_out_voices_and_sentences(corpus):
    out, manifest = corpus
    spk = manifest["speakers"]
    for task in ("slu", "ser", "se", "tts", "s2tt"):
        train_spk = set(_table(out / task / "train/utt2spk").values())
        assert not any(spk[s]["heldout"] for s in train_spk), task
        test_spk = set(_table(out / task / "test/utt2spk").values())
        assert any(spk[s]["heldout"] for s in test_spk), task
    for task in ("slu", "ser"):
        train = set(_table(out / task / "train/text").values())
        for split in ("dev", "test"):
            assert not set(_table(out / task / split / "text").values()) & train, (task, split)


def test_s2tt_reuses_asr_audio(corpus):
    out, _ = corpus
    for split in SPLITS:
        d, a = out / "s2tt" / split, out / "asr" / split
        assert _table(d / "wav.scp") == _table(a / "wav.scp")
        text, en, zh, lang = (_table(d / n) for n in ("text", "text.en", "text.zh", "utt2lang"))
        assert set(lang.values()) == {"en", "zh"}
        for utt, src in lang.items():
            assert text[utt] == (en[utt] if src == "en" else zh[utt])
            assert grammar.is_normalised(en[utt], "en") and grammar.is_normalised(zh[utt], "zh")


def test_tts_prompts(corpus):
    out, _ = corpus
    for split in SPLITS:
        d = out / "tts" / split
        utt2spk, prompt = _table(d / "utt2spk"), _table(d / "utt2prompt")
        asr = _table(out / "asr" / split / "text")
        assert set(utt2spk) <= set(asr)
        text = _table(d / "text")
        for utt, p in prompt.items():
            assert p != utt and p in utt2spk and utt2spk[p] == utt2spk[utt]
            assert text[utt] == asr[utt] and text[p] != text[utt]


def test_slu_intents_and_slots(corpus):
    from laura.minicorpus.slu import INTENTS, SLOT_VALUES

    out, _ = corpus
    seen_intents = set()
    for split in SPLITS:
        d = out / "slu" / split
        text, intent, slots = (_table(d / n) for n in ("text", "utt2intent", "utt2slots"))
        assert set(_table(d / "utt2lang").values()) == {"en"}
        for utt, t in text.items():
            assert grammar.is_normalised(t, "en"), t
            assert intent[utt] in INTENTS
            seen_intents.add(intent[utt])
            if slots[utt] == "none":
                continue
            for item in slots[utt].split(" ; "):
                typ, value = item.split("=")
                assert typ in SLOT_VALUES and value.strip() == value and value
                assert f" {value} " in f" {t} ", (t, item)
    assert len(seen_intents) >= 10
    # slot-less commands write "none", never an empty value
    assert all(v.strip() for v in _table(out / "slu/train/utt2slots").values())


def test_ser_balanced_and_text_independent(corpus):
    from laura.minicorpus.ser import EMOTIONS

    out, _ = corpus
    asr_en = {t for s in SPLITS for t in _table(out / f"asr/{s}/text.en").values()}
    for split in SPLITS:
        d = out / "ser" / split
        text, emo, dur = (_table(d / n) for n in ("text", "utt2emotion", "utt2dur"))
        counts = {e: sum(v == e for v in emo.values()) for e in EMOTIONS}
        assert len(set(counts.values())) == 1 and counts["neutral"] > 0, counts
        by_sentence: dict[str, dict[str, str]] = {}
        for utt, t in text.items():
            by_sentence.setdefault(t, {})[emo[utt]] = utt
        assert not set(by_sentence) & asr_en  # no ASR sentence is reused
        for t, utts in by_sentence.items():
            assert set(utts) == set(EMOTIONS), t  # each sentence in every emotion
            # prosody: sad speech is slow, angry speech fast
            assert float(dur[utts["sadness"]]) > float(dur[utts["anger"]]), t
        wav = _table(d / "wav.scp")
        for utt, e in emo.items():
            peak = float(np.abs(sf.read(wav[utt])[0]).max())
            lo, hi = {"sadness": (0.1, 0.3), "anger": (0.75, 1.0)}.get(e, (0.4, 0.7))
            assert lo <= peak <= hi, (utt, e, peak)


def test_aac_captions_and_scenes(corpus):
    from laura.minicorpus.aac import EVENTS, count_words

    out, _ = corpus
    signatures = {}
    for split in SPLITS:
        d = out / "aac" / split
        wav, events = _table(d / "wav.scp"), _table(d / "utt2events")
        caps = {"caption": _table(d / "caption")}
        if split == "train":
            assert all(u.rsplit("-", 1)[1] in {f"c{k}" for k in range(1, 6)} for u in wav)
        else:
            caps.update({f"caption{k}": _table(d / f"caption{k}") for k in range(1, 6)})
            assert caps["caption"] == caps["caption1"]
            for utt in wav:
                assert len({caps[f"caption{k}"][utt] for k in range(1, 6)}) == 5
        signatures[split] = set(events.values())
        for utt, sig in events.items():
            groups = [tuple(x.split("=")) for x in sig.split(" ; ")]
            assert groups[0][0] == "background"
            for table in caps.values():
                c = table[utt]
                assert grammar.is_normalised(c, "en"), c
                for kind, n in groups[1:]:
                    assert kind in EVENTS
                    assert _words(c) & count_words(int(n)), (c, kind, n)
        # the audio holds what the scene description says
        scenes = [json.loads(x) for x in (d / "scenes.jsonl").read_text().splitlines()]
        clips = {u.rsplit("-c", 1)[0] if split == "train" else u for u in wav}
        assert sorted(s["clip"] for s in scenes) == sorted(clips)
        for s in scenes:
            path = next(p for u, p in wav.items() if u.startswith(s["clip"]))
            x, sr = sf.read(path)
            assert sr == 16000 and 2.0 <= len(x) / sr <= 8.0 + 1e-3
            sig = events[next(u for u in wav if u.startswith(s["clip"]))]
            for kind, n in [tuple(g.split("=")) for g in sig.split(" ; ")[1:]]:
                assert sum(e["kind"] == kind for e in s["events"]) == int(n)
            floor = np.abs(x[: int(s["lead"] * sr)]).max()
            for e in s["events"]:
                a = int(e["onset"] * sr)
                seg = x[a : a + max(int(e["duration"] * sr), 160)]
                assert np.abs(seg).max() > 2 * floor, (s["clip"], e)
    assert not (signatures["dev"] | signatures["test"]) & signatures["train"]


def test_se_pairs(corpus):
    from laura.minicorpus.se import EVAL_SNRS, NOISES

    out, _ = corpus
    checked = 0
    for split in SPLITS:
        d = out / "se" / split
        wav, clean, snr, noise, rt60, text = (
            _table(d / n)
            for n in ("wav.scp", "clean.scp", "utt2snr", "utt2noise", "utt2rt60", "text")
        )
        asr_text = _table(out / "asr" / split / "text")
        for utt in wav:
            assert noise[utt] in NOISES
            assert text[utt] == asr_text[utt.rsplit("-", 1)[0]]
            s = float(snr[utt])
            assert (2 <= s <= 15) if split == "train" else s in EVAL_SNRS
            assert Path(clean[utt]).is_absolute() and Path(clean[utt]).is_file()
            y, _ = sf.read(wav[utt], dtype="float64")
            x, _ = sf.read(clean[utt], dtype="float64")
            assert len(x) == len(y)
            if float(rt60[utt]) == 0:
                measured = 10 * np.log10(np.sum(x**2) / np.sum((y - x) ** 2))
                assert abs(measured - s) < 0.5, (utt, measured, s)
                checked += 1
        if split != "train":
            assert sorted(set(map(float, snr.values()))) == sorted(EVAL_SNRS)
    assert checked >= 10
    assert any(float(v) > 0 for v in _table(out / "se/train/utt2rt60").values())


def test_task_needs_language():
    with pytest.raises(ValueError, match="needs langs"):
        make_mini_corpus("/nonexistent/x", size="test", langs=("zh",), tasks=("slu",))
