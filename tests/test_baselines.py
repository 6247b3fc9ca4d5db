"""Trivial baselines of the text tasks (laura.metrics.baselines, ``laura baseline``) on tiny
hand-made data dirs: ASR's empty output, SER's and SLU's majority (ties: alphabetically first),
S2TT's and AAC's best constant chosen on dev (by BLEU per output language; by CIDEr-D), their
decode dirs scored by the one scoring path, and the refusals (no --dev, a task without a
baseline, a non-empty output dir)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import sacrebleu
import soundfile as sf
from conftest import write_rows

from laura.bin import run_verb
from laura.data.kaldi import read_table
from laura.errors import ConfigError, DataError, ExperimentError
from laura.metrics.baselines import write_baseline
from laura.metrics.scoring import score


def _data_dir(d: Path, tables: dict[str, dict[str, str]]) -> Path:
    """A data dir of the utterances named in ``tables``: a 0.1 s wav each (in ``<d>/wav``), one
    speaker, and ``tables`` (file name -> utterance -> value) as given."""
    ids = sorted({u for rows in tables.values() for u in rows})
    (d / "wav").mkdir(parents=True)
    wav = np.zeros(1600, dtype=np.float32)
    wav[::7] = 0.1
    for u in ids:
        sf.write(d / "wav" / f"{u}.wav", wav, 16000)
    write_rows(d / "wav.scp", {u: str(d / "wav" / f"{u}.wav") for u in ids})
    write_rows(d / "utt2spk", {u: "s" for u in ids})
    for name, rows in tables.items():
        write_rows(d / name, rows)
    return d


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``laura baseline ARGV``: exit code, stdout, stderr."""
    capsys.readouterr()
    code = run_verb("baseline", [str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- ASR, SER, SLU ------------------------------------------------------------------------------


def test_asr_baseline_is_the_empty_output_with_error_rate_one(tmp_path: Path) -> None:
    refs = {"u1": "the cat sat", "u2": "a dog runs in the park"}
    data = _data_dir(tmp_path / "test", {"text": refs})
    out = tmp_path / "base"
    info = write_baseline("ASR", data, None, data, out)
    assert info["n_utts"] == 2 and info["choice"] == {} and info["baseline"] == "empty output"
    assert read_table(out / "hyp") == {"u1": "", "u2": ""}
    assert read_table(out / "ref") == refs
    assert json.loads((out / "decode.json").read_text())["task"] == "ASR"
    s = score(out, data, "ASR")["groups"][0]["scores"]
    # every one of the 3 + 6 reference words is deleted
    assert s["rate"] == pytest.approx(1.0)
    assert (s["sub"], s["ins"], s["del"]) == (0, 0, 9)


def test_ser_baseline_is_the_majority_class_and_its_wa_the_class_share(tmp_path: Path) -> None:
    train = _data_dir(
        tmp_path / "train",
        {
            "utt2emotion": {
                "t1": "anger",
                "t2": "neutral",
                "t3": "anger",
                "t4": "neutral",
                "t5": "neutral",
                "t6": "sadness",
            }
        },
    )
    test_refs = {"e1": "neutral", "e2": "anger", "e3": "neutral", "e4": "neutral"}
    test = _data_dir(tmp_path / "test", {"utt2emotion": test_refs})
    out = tmp_path / "base"
    info = write_baseline("SER", train, None, test, out)
    assert info["choice"] == {"output": "neutral"} and info["n_utts"] == 4
    assert info["dev"] is None
    assert read_table(out / "hyp") == {u: "neutral" for u in test_refs}
    assert read_table(out / "ref") == test_refs
    s = score(out, test, "SER")["groups"][0]["scores"]
    # WA: the majority class's share of the test set; UA: neutral 3/3, anger 0/1 -> 1/2
    assert s["wa"] == pytest.approx(3 / 4)
    assert s["ua"] == pytest.approx(1 / 2)
    assert s["n_correct"] == 3 and s["n_missing"] == 0


def test_ser_majority_tie_goes_to_the_alphabetically_first_label(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # sadness comes first in the files, anger (tied, 2 each) first in the alphabet
    train = _data_dir(
        tmp_path / "train",
        {"utt2emotion": {"a1": "sadness", "a2": "sadness", "b1": "anger", "b2": "anger"}},
    )
    test = _data_dir(tmp_path / "test", {"utt2emotion": {"e1": "sadness", "e2": "fear"}})
    out = tmp_path / "base"
    code, stdout, _ = _cli(capsys, "--task", "SER", "--train", train, "--data", test, "--out", out)
    assert code == 0
    printed = json.loads(stdout)
    assert printed["choice"] == {"output": "anger"}
    assert printed["task"] == "SER" and printed["n_utts"] == 2
    assert read_table(out / "hyp") == {"e1": "anger", "e2": "anger"}


def test_slu_baseline_is_the_majority_intent_without_slots(tmp_path: Path) -> None:
    train = _data_dir(
        tmp_path / "train",
        {
            "utt2intent": {"t1": "set_alarm", "t2": "play_music", "t3": "set_alarm"},
            "utt2slots": {"t1": "time=seven", "t2": "song=yesterday", "t3": "time=eight"},
        },
    )
    test = _data_dir(
        tmp_path / "test",
        {
            "utt2intent": {"e1": "play_music", "e2": "set_alarm"},
            "utt2slots": {"e1": "song=hello", "e2": "time=nine"},
        },
    )
    out = tmp_path / "base"
    info = write_baseline("SLU", train, None, test, out)
    assert info["choice"] == {"output": "set_alarm"}
    assert read_table(out / "hyp") == {"e1": "set_alarm", "e2": "set_alarm"}
    assert read_table(out / "ref") == {
        "e1": "play_music | song=hello",
        "e2": "set_alarm | time=nine",
    }
    s = score(out, test, "SLU")["groups"][0]["scores"]
    assert s["intent_acc"] == pytest.approx(1 / 2)


# --- S2TT: best constant per output language, chosen by dev BLEU ----------------------------------

# utterance -> (source language, text.en, text.zh); the translation is the other side
S2TT_TRAIN = {
    "t1": ("en", "i like this little cat", "我喜欢这只小猫"),
    "t2": ("en", "i like this little cat", "我喜欢这只小猫"),  # the most frequent into zh
    "t3": ("en", "the cat sat on the mat", "猫坐在垫子上"),  # the dev references into zh
    "t4": ("en", "hello world", "你好世界"),
    "t5": ("zh", "a dog runs in the park", "一只狗在公园里跑"),
    "t6": ("zh", "a dog runs in the park", "一只狗在公园里跑"),  # the most frequent into en
    "t7": ("zh", "we eat rice at noon", "我们中午吃米饭"),  # the dev references into en
    "t8": ("zh", "she reads a red book", "她读一本红色的书"),
}
S2TT_DEV = {
    "d1": ("en", "the cat sat on the mat", "猫坐在垫子上"),
    "d2": ("en", "the cat is on the mat", "猫坐在垫子上"),
    "d3": ("zh", "we eat rice at noon", "我们中午吃米饭"),
    "d4": ("zh", "at noon we eat rice", "我们中午吃米饭"),
}
S2TT_TEST = {
    "e1": ("en", "the cat sat on the mat", "猫坐在垫子上"),
    "e2": ("en", "i like this little cat", "我喜欢这只小猫"),
    "z1": ("zh", "we eat rice at noon every day", "我们每天中午吃米饭"),
}


def _s2tt_dir(d: Path, rows: dict[str, tuple[str, str, str]]) -> Path:
    """text (the transcript, in the source language), utt2lang, text.en, text.zh."""
    return _data_dir(
        d,
        {
            "text": {u: en if lang == "en" else zh for u, (lang, en, zh) in rows.items()},
            "utt2lang": {u: r[0] for u, r in rows.items()},
            "text.en": {u: r[1] for u, r in rows.items()},
            "text.zh": {u: r[2] for u, r in rows.items()},
        },
    )


@pytest.fixture
def s2tt(tmp_path: Path) -> tuple[Path, Path, Path]:
    return (
        _s2tt_dir(tmp_path / "train", S2TT_TRAIN),
        _s2tt_dir(tmp_path / "dev", S2TT_DEV),
        _s2tt_dir(tmp_path / "test", S2TT_TEST),
    )


def test_s2tt_best_constant_per_output_language_is_the_dev_reference(
    s2tt: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    train, dev, test = s2tt
    out = tmp_path / "base"
    write_baseline("S2TT", train, dev, test, out)
    info = json.loads((out / "decode.json").read_text())
    choice = info["choice"]
    assert set(choice) == {"en", "zh"}
    # not the most frequent training translation: the one every dev reference (nearly) equals
    assert choice["zh"]["output"] == "猫坐在垫子上"
    assert choice["zh"]["dev_bleu"] == pytest.approx(100.0)
    assert choice["en"]["output"] == "we eat rice at noon"
    # d4's reference is a reordering: BLEU below 100, still the best of the three candidates
    assert 0 < choice["en"]["dev_bleu"] < 100
    # every distinct training translation into the language was tried (3 each)
    assert choice["zh"]["candidates"] == choice["en"]["candidates"] == 3
    assert info["dev"] == str(dev) and info["n_utts"] == 3
    # English speech gets the Chinese constant, Mandarin speech the English one
    assert read_table(out / "hyp") == {
        "e1": "猫坐在垫子上",
        "e2": "猫坐在垫子上",
        "z1": "we eat rice at noon",
    }
    assert read_table(out / "ref") == {
        "e1": "猫坐在垫子上",
        "e2": "我喜欢这只小猫",
        "z1": "we eat rice at noon every day",
    }


def test_s2tt_baseline_scores_like_sacrebleu_on_its_hyps(
    s2tt: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    train, dev, test = s2tt
    out = tmp_path / "base"
    write_baseline("S2TT", train, dev, test, out)
    s = score(out, test, "S2TT")["groups"][0]["scores"]
    to_zh = sacrebleu.corpus_bleu(
        ["猫坐在垫子上", "猫坐在垫子上"], [["猫坐在垫子上", "我喜欢这只小猫"]], tokenize="zh"
    ).score
    to_en = sacrebleu.corpus_bleu(
        ["we eat rice at noon"], [["we eat rice at noon every day"]], tokenize="13a"
    ).score
    assert 0 < to_zh < 100
    assert s["bleu_zh"] == pytest.approx(to_zh, abs=1e-6)
    assert s["bleu_en"] == pytest.approx(to_en, abs=1e-6)
    assert s["n_missing"] == s["n_empty"] == 0


def test_s2tt_max_candidates_one_tries_only_the_most_frequent(
    s2tt: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    train, dev, test = s2tt
    out = tmp_path / "base"
    info = write_baseline("S2TT", train, dev, test, out, max_candidates=1)
    assert info["choice"]["zh"]["output"] == "我喜欢这只小猫"
    assert info["choice"]["en"]["output"] == "a dog runs in the park"
    assert info["choice"]["zh"]["candidates"] == info["choice"]["en"]["candidates"] == 1
    assert info["choice"]["zh"]["dev_bleu"] < 100


def test_s2tt_test_language_not_on_dev_is_refused(
    s2tt: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    train, _, test = s2tt
    dev_en_only = _s2tt_dir(tmp_path / "dev_en", {u: S2TT_DEV[u] for u in ("d1", "d2")})
    with pytest.raises(DataError, match=r"no translation into \['en'\]"):
        write_baseline("S2TT", train, dev_en_only, test, tmp_path / "base")
    assert not (tmp_path / "base").exists()


# --- AAC: the training caption with the best dev CIDEr-D ------------------------------------------


def test_aac_best_constant_caption_by_dev_cider_d(tmp_path: Path) -> None:
    if shutil.which("java") is None:
        pytest.skip("java is missing (the PTB tokenizer of the caption metrics)")
    train = _data_dir(
        tmp_path / "train",
        {
            "caption": {
                "t1": "rain falls on a tin roof",
                "t2": "rain falls on a tin roof",  # the most frequent
                "t3": "a dog barks loudly",
                "t4": "birds sing in the morning",
            }
        },
    )
    # the dog caption's words are in the references of two of the three dev clips (idf > 0);
    # the rain and birds captions share only "a", which every clip has (idf 0)
    dev_caps = {
        "d1": ["a dog barks loudly", "a dog is barking loudly", "the dog barks"],
        "d2": ["dogs bark loudly", "a dog barks loudly", ""],
        "d3": ["a car engine starts", "an engine revs up", "a motor starts"],
    }
    dev = _data_dir(
        tmp_path / "dev",
        {f"caption{k + 1}": {u: caps[k] for u, caps in dev_caps.items()} for k in range(3)},
    )
    test = _data_dir(
        tmp_path / "test",
        {
            "caption1": {"e1": "a dog barks", "e2": "water runs from a tap"},
            "caption2": {"e1": "dog barking", "e2": "a tap runs"},
        },
    )
    out = tmp_path / "base"
    info = write_baseline("AAC", train, dev, test, out)
    choice = info["choice"]
    assert choice["output"] == "a dog barks loudly"
    assert choice["dev_cider_d"] > 0
    assert choice["candidates"] == 3
    assert read_table(out / "hyp") == {"e1": "a dog barks loudly", "e2": "a dog barks loudly"}
    assert read_table(out / "ref") == {"e1": "a dog barks", "e2": "water runs from a tap"}
    assert json.loads((out / "decode.json").read_text())["dev"] == str(dev)


# --- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize("task", ["S2TT", "AAC"])
def test_best_constant_without_dev_names_dev(
    task: str, s2tt: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train, _, test = s2tt  # the refusal comes before any caption is read
    out = tmp_path / "base"
    with pytest.raises(ConfigError, match="--dev"):
        write_baseline(task, train, None, test, out)
    code, stdout, err = _cli(capsys, "--task", task, "--train", train, "--data", test, "--out", out)
    assert code == 2 and stdout == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("laura baseline: error:") and "--dev" in err and task in err
    assert not out.exists()


def test_task_without_baseline_lists_the_tasks_that_have_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _data_dir(tmp_path / "test", {"text": {"u1": "hello"}})
    out = tmp_path / "base"
    with pytest.raises(ConfigError, match="TTS"):
        write_baseline("TTS", data, None, data, out)
    code, _, err = _cli(capsys, "--task", "TTS", "--train", data, "--data", data, "--out", out)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "TTS" in err
    listed = err.split("laura has:")[1]
    for task in ("ASR", "SER", "SLU", "S2TT", "AAC"):
        assert task in listed
    assert "TTS" not in listed
    assert not out.exists()


def test_non_empty_out_dir_is_refused_without_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _data_dir(tmp_path / "test", {"text": {"u1": "hello world"}})
    out = tmp_path / "base"
    out.mkdir()
    (out / "hyp").write_text("u1 an old decode\n")
    args = ["--task", "ASR", "--train", data, "--data", data, "--out", out]
    with pytest.raises(ExperimentError, match="--overwrite"):
        write_baseline("ASR", data, None, data, out)
    code, _, err = _cli(capsys, *args)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--overwrite" in err
    assert (out / "hyp").read_text() == "u1 an old decode\n"  # untouched
    assert sorted(p.name for p in out.iterdir()) == ["hyp"]
    # with --overwrite: replaced whole (a stray file of the old dir is gone)
    (out / "stray").write_text("x\n")
    code, _, _ = _cli(capsys, *args, "--overwrite")
    assert code == 0
    assert read_table(out / "hyp") == {"u1": ""}
    assert sorted(p.name for p in out.iterdir()) == ["decode.json", "hyp", "ref"]


def test_empty_existing_out_dir_is_used(tmp_path: Path) -> None:
    data = _data_dir(tmp_path / "test", {"text": {"u1": "hello world"}})
    out = tmp_path / "base"
    out.mkdir()
    write_baseline("ASR", data, None, data, out)
    assert read_table(out / "ref") == {"u1": "hello world"}


def test_skip_done_keeps_a_baseline_of_the_same_data_and_its_scores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _data_dir(tmp_path / "test", {"text": {"u1": "hello world"}})
    out = tmp_path / "base"
    args = ["--task", "ASR", "--train", data, "--data", data, "--out", out]
    assert _cli(capsys, *args, "--overwrite", "--skip-done")[0] == 0
    score(out, data, "ASR", out=out / "scores.json")  # what a recipe scores next
    code, shown, _ = _cli(capsys, *args, "--overwrite", "--skip-done")
    assert code == 0 and "made before from the same data and options (skipped)" in shown
    assert (out / "scores.json").is_file()  # kept: the dir was not made again
    write_rows(data / "text", {"u1": "hello there world"})  # other references: made anew
    code, shown, _ = _cli(capsys, *args, "--overwrite", "--skip-done")
    assert code == 0 and "(skipped)" not in shown
    assert read_table(out / "ref") == {"u1": "hello there world"}
    assert not (out / "scores.json").exists()
