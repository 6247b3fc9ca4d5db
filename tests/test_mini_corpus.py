"""The offline mini corpus (size="test"): layout, audio, splits, determinism, skipping."""

from __future__ import annotations

import io
import json
import random
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from laura.data.mini import grammar
from laura.data.mini.generate import SPLITS, main, make_mini_corpus, verify_corpus

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")

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


def test_skip_when_up_to_date(corpus, capsys):
    out, manifest = corpus
    wav = next((out / "wav").rglob("*.wav"))
    before = {p: p.stat().st_mtime_ns for p in (out / "manifest.json", wav, out / "asr/train/text")}
    t0 = time.time()
    again = make_mini_corpus(out, size="test", seed=0, langs=("zh", "en"), progress=False)
    assert time.time() - t0 < 2.0
    assert again["checksum"] == manifest["checksum"]
    assert "skipping" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in before} == before


def test_determinism_and_seed(corpus, tmp_path):
    _, manifest = corpus
    # a second build elsewhere, with one worker: same bytes, same checksum
    same = make_mini_corpus(tmp_path / "a", size="test", seed=0, num_workers=1, progress=False)
    assert same["checksum"] == manifest["checksum"]
    other = make_mini_corpus(tmp_path / "b", size="test", seed=1, langs=("en",), progress=False)
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
    for path in _table(moved / "asr/test/wav.scp").values():
        assert Path(path).is_file() and Path(path).is_relative_to(moved.resolve())
    assert verify_corpus(moved)
    assert json.loads((moved / "manifest.json").read_text())["root"] == m3["root"]


def test_refuses_foreign_directory(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        make_mini_corpus(tmp_path, size="test", progress=False)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_cli(tmp_path, capsys):
    assert (
        main(
            [
                "--out",
                str(tmp_path / "d"),
                "--size",
                "test",
                "--langs",
                "en",
                "--no-progress",
                "--verify",
            ]
        )
        == 0
    )
    assert "verify: ok" in capsys.readouterr().out


def test_grammar_parallel_and_deterministic():
    a = grammar.unique_pairs(random.Random(7), 300)
    b = grammar.unique_pairs(random.Random(7), 300)
    assert a == b
    assert len({p.en for p in a}) == len({p.zh for p in a}) == 300
    assert len({p.template for p in a}) == len(grammar.TEMPLATES)
    assert grammar.en_number(342) == "three hundred forty two"
    assert grammar.zh_number(2, counting=True) == "两" and grammar.zh_number(22) == "二十二"
    assert grammar.zh_number(105) == "一百零五" and grammar.zh_number(110) == "一百一十"
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
    # espeak-ng writes 22,050 Hz: 16 kHz output must last exactly as long (a wrong ratio = chipmunks)
    from laura.data.mini.synth import espeak_command, synthesize

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
