"""Every corpus recipe's scoring stage scores its task with the task's metric.

For each ``egs/<corpus>/lauragpt/run.sh`` (mini aside): a copy of the recipe tree, a tiny data
dir per test set written the way the corpus module writes it (``common.write_split``, the tables
of ``laura/data/corpora/<corpus>.py``), a decode dir as ``laura decode`` writes it (``ref`` =
the task's target of each record, ``hyp``, ``decode.json``; for audio outputs ``wav/``,
``wav.scp``, ``tokens``), then ``./run.sh --stage 6 --stop-stage 6``: ``scores.json`` must hold
the metric of the task's ``TaskSpec`` and that metric's figures, ``RESULTS.md`` its table.
A recipe whose task has no case here fails, so a new recipe cannot go unscored.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from laura.data.corpora import common
from laura.data.records import load_records
from laura.data.tasks import get_task

ROOT = Path(__file__).resolve().parents[1]
RECIPES = sorted(
    p.parent for p in (ROOT / "egs").glob("*/lauragpt/run.sh") if p.parts[-3] != "mini"
)
SR = 16000
SCHEMA = {"task", "metric", "decode", "data", "label", "by", "decode_info", "groups", "per_utt"}


def _wav(path: Path, seed: int, seconds: float = 0.5) -> str:
    """``seconds`` of white noise at 16 kHz (what the validator and the scorers accept)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    noise = 0.1 * np.random.default_rng(seed).standard_normal(int(SR * seconds))
    sf.write(path, noise.astype(np.float32), SR)
    return str(path.resolve())


def _table(path: Path, rows: dict[str, str]) -> None:
    path.write_text("".join(f"{k} {rows[k]}\n" for k in sorted(rows)), encoding="utf-8")


@dataclass
class Case:
    """How one task's test set is made and what its scores must show."""

    # (data root, set name, corpus) -> the utterances of the set and hypotheses by utterance
    # (text tasks; audio tasks get noise)
    make: Callable[[Path, str, str], tuple[list[common.Utt], dict[str, str]]]
    check: Callable[[dict[str, Any], str], None]  # (first group's scores, corpus)
    header: str  # a column of the metric in RESULTS.md
    score_args: str = ""


# --- ASR: aishell1, aishell2 (zh, CER), librispeech (en, WER) ------------------------------------

ASR_TEXTS = {
    "en": ["the cat sat on the mat", "a dog ran home", "birds sing at dawn"],  # 14 words
    "zh": ["今天天气很好", "我们去公园", "你好世界"],  # 15 characters
}
ASR_LAST_HYP = {"en": "birds sing at dusk", "zh": "你好世"}  # one substitution / deletion
ASR_LANG = {"aishell1": "zh", "aishell2": "zh"}


def _asr(root: Path, name: str, corpus: str) -> tuple[list[common.Utt], dict[str, str]]:
    lang = ASR_LANG.get(corpus, "en")
    utts = [
        common.Utt(f"s1-{name}-{i}", _wav(root / "wav" / name / f"{i}.wav", i), "s1", t)
        for i, t in enumerate(ASR_TEXTS[lang])
    ]
    for u in utts:
        u.extras["utt2lang"] = lang
    hyps = {u.id: u.text or "" for u in utts}
    hyps[utts[-1].id] = ASR_LAST_HYP[lang]
    return utts, hyps


def _check_asr(scores: dict[str, Any], corpus: str) -> None:
    lang = ASR_LANG.get(corpus, "en")
    assert scores["metric"] == {"en": "WER", "zh": "CER"}[lang]
    n = {"en": 14, "zh": 15}[lang]
    assert (scores["errors"], scores["ref_tokens"]) == (1, n)
    assert scores["rate"] == pytest.approx(1 / n)
    assert {"sub", "ins", "del", "hits", "ser"} <= set(scores)


# --- S2TT: bstc (zh -> en), covost2 (en -> zh) ---------------------------------------------------

S2TT_PAIRS = [  # (en, zh)
    ("the weather is very good today", "今天天气很好"),
    ("we are going to the park", "我们要去公园"),
    ("hello world and good morning", "你好世界早上好"),
]
S2TT_DIRECTION = {"bstc": ("zh", "en"), "covost2": ("en", "zh")}
S2TT_LAST_HYP = {"en": "hello world and good evening", "zh": "你好世界晚上好"}


def _s2tt(root: Path, name: str, corpus: str) -> tuple[list[common.Utt], dict[str, str]]:
    src, tgt = S2TT_DIRECTION.get(corpus, ("en", "zh"))
    utts = []
    for i, pair in enumerate(S2TT_PAIRS):
        texts = dict(zip(("en", "zh"), pair))
        wav = _wav(root / "wav" / name / f"{i}.wav", i)
        extras = {f"text.{tgt}": texts[tgt], "utt2lang": src}
        utts.append(common.Utt(f"talk1-{name}-{i}", wav, "talk1", texts[src], extras=extras))
    hyps = {u.id: u.extras[f"text.{tgt}"] for u in utts}
    hyps[utts[-1].id] = S2TT_LAST_HYP[tgt]
    return utts, hyps


def _check_s2tt(scores: dict[str, Any], corpus: str) -> None:
    _, tgt = S2TT_DIRECTION.get(corpus, ("en", "zh"))
    assert set(scores["output_langs"]) == {tgt}
    assert scores["output_langs"][tgt]["tokenize"] == {"en": "13a", "zh": "zh"}[tgt]
    assert scores[f"bleu_{tgt}"] == scores["bleu"] and scores[f"chrf_{tgt}"] == scores["chrf"]
    # two translations exact, one with a word (two characters) wrong: high, not perfect
    assert 50 < scores["bleu"] < 100 and 50 < scores["chrf"] < 100
    assert (scores["n_missing"], scores["n_empty"]) == (0, 0)


# --- SLU: slurp -----------------------------------------------------------------------------------

SLU_ENTRIES = [  # (sentence, intent, scenario, action, slots)
    ("wake me up at eight", "alarm_set", "alarm", "set", [("time", "eight")]),
    ("turn off the lights", "iot_hue_lightoff", "iot", "hue_lightoff", []),
    ("play jazz in the kitchen", "play_music", "play", "music", [("music_genre", "jazz")]),
]


def _slu(root: Path, name: str, corpus: str) -> tuple[list[common.Utt], dict[str, str]]:
    utts = []
    for i, (sentence, intent, scenario, action, slots) in enumerate(SLU_ENTRIES):
        extras = {
            "utt2intent": intent,
            "utt2slots": " ; ".join(f"{t}={v}" for t, v in slots),
            "utt2scenario": scenario,
            "utt2action": action,
            "utt2slurp_id": str(100 + i),
            "utt2lang": "en",
        }
        wav = _wav(root / "wav" / name / f"{i}.wav", i)
        utts.append(common.Utt(f"sess1-{name}-{i}", wav, "sess1", sentence, extras=extras))
    # the third: the right slot, the wrong action (so the wrong intent)
    hyps = {utts[0].id: "alarm_set | time=eight", utts[1].id: "iot_hue_lightoff"}
    hyps[utts[2].id] = "play_radio | music_genre=jazz"
    return utts, hyps


def _check_slu(scores: dict[str, Any], corpus: str) -> None:
    assert scores["intent_acc"] == pytest.approx(2 / 3)
    assert scores["scenario_acc"] == 1.0 and scores["action_acc"] == pytest.approx(2 / 3)
    assert scores["slu_f1"] == 1.0 and scores["span_f1"] == 1.0  # every slot right
    assert {"slu_precision", "slu_recall", "word_f1", "char_f1"} <= set(scores)
    assert (scores["missing_hyps"], scores["n_unparsable"]) == (0, 0)


# --- SER: meld ------------------------------------------------------------------------------------

SER_LABELS = ["neutral", "joy", "anger", "sadness"]


def _ser(root: Path, name: str, corpus: str) -> tuple[list[common.Utt], dict[str, str]]:
    utts = []
    for i, label in enumerate(SER_LABELS):
        extras = {**common.emotion_extras(label, label), "utt2sentiment": "neutral"}
        wav = _wav(root / "wav" / name / f"{i}.wav", i)
        utts.append(common.Utt(f"dia{i}-{name}-{i}", wav, f"dia{i}", "oh really", extras=extras))
    hyps = {u.id: u.extras["utt2emotion"] for u in utts}
    hyps[utts[-1].id] = "neutral"  # sadness taken for neutral
    return utts, hyps


def _check_ser(scores: dict[str, Any], corpus: str) -> None:
    assert scores["wa"] == pytest.approx(3 / 4)
    assert scores["ua"] == pytest.approx(3 / 4)  # recalls 1, 1, 1, 0
    assert scores["wf1"] == pytest.approx((2 / 3 + 1 + 1 + 0) / 4)  # neutral: F1 2/3
    assert set(scores["per_class"]) == set(SER_LABELS)


# --- AAC: clotho ----------------------------------------------------------------------------------

AAC_CLIPS = [
    ["a dog barks loudly", "a dog is barking", "dogs bark twice", "a barking dog", "a dog barks"],
    ["rain falls on a roof", "heavy rain", "rain on metal", "it is raining", "rain drumming"],
    ["birds chirp outside", "birds are singing", "small birds sing", "birdsong", "birds chirping"],
]
AAC_HYPS = ["a dog is barking", "rain falls on the roof", "a car engine starts"]


def _aac(root: Path, name: str, corpus: str) -> tuple[list[common.Utt], dict[str, str]]:
    clips = [
        (f"clip{i}", _wav(root / "wav" / name / f"{i}.wav", i), caps)
        for i, caps in enumerate(AAC_CLIPS)
    ]
    utts = common.aac_utts(clips, per_clip=True)
    for u in utts:
        u.extras["utt2clip"] = f"{u.id}.wav"
    return utts, {u.id: h for u, h in zip(utts, AAC_HYPS)}


def _check_aac(scores: dict[str, Any], corpus: str) -> None:
    assert scores["cider_d"] > 0 and 0 < scores["meteor"] < 1
    # SPICE needs CoreNLP jars that are not given: reported as not computed (null), not guessed
    assert scores["spice"] is None and scores["spider"] is None
    assert set(scores["not_computed"]) == {"spice", "spider"}
    assert (scores["refs_per_clip"], scores["n_refs"]) == ("5", 15)
    assert (scores["n_empty"], scores["n_missing"]) == (0, 0)


# --- TTS: libritts --------------------------------------------------------------------------------

TTS_TEXTS = ["He hoped there would be stew for dinner.", "Stuff it into you, his belly said."]


def _tts(root: Path, name: str, corpus: str) -> tuple[list[common.Utt], dict[str, str]]:
    ids = [f"1089_134686_00000{i}_000000" for i in range(len(TTS_TEXTS))]
    utts = [
        common.Utt(
            u,
            _wav(root / "wav" / name / f"{u}.wav", i),
            "1089",
            t,
            extras={"utt2lang": "en", "utt2gender": "m", "utt2prompt": ids[(i + 1) % len(ids)]},
        )
        for i, (u, t) in enumerate(zip(ids, TTS_TEXTS))
    ]
    return utts, {}


def _check_tts(scores: dict[str, Any], corpus: str) -> None:
    # PESQ and STOI are SE's (outputs aligned with a clean reference); TTS gets speaker
    # similarity with the recording and the WER of an independent recogniser; DNSMOS is off
    assert -1 <= scores["secs"] <= 1
    assert scores["pocketsphinx_wer"] >= 0 and scores["pocketsphinx_wer_reference"] >= 0
    assert not any(k.startswith(("dnsmos", "pesq", "stoi", "asr_")) for k in scores)


CASES: dict[str, Case] = {
    "ASR": Case(_asr, _check_asr, "error rate"),
    "S2TT": Case(_s2tt, _check_s2tt, "BLEU to "),
    "SLU": Case(_slu, _check_slu, "SLU-F1"),
    "SER": Case(_ser, _check_ser, "WF1"),
    "AAC": Case(_aac, _check_aac, "CIDEr-D"),
    # the speaker encoder and pocketsphinx ship in their wheels; DNSMOS (about 6 s) is skipped
    # through the template's --score-args, which also shows the option reaches laura score
    "TTS": Case(_tts, _check_tts, "SECS", score_args="--no-dnsmos"),
}


# --- the recipe -----------------------------------------------------------------------------------


def _recipe_options(run_sh: Path) -> tuple[str, str, list[str]]:
    """The task, config and test sets a recipe passes to the template."""
    text = run_sh.read_text()
    task = re.search(r"--task\s+(\S+)", text)
    config = re.search(r"--config\s+(\S+)", text)
    test_sets = re.search(r'--test-sets\s+"([^"]*)"', text)
    assert task and config and test_sets, f"{run_sh}: no --task, --config or --test-sets"
    return task.group(1), config.group(1), test_sets.group(1).split()


def _write_decode(dec: Path, data: Path, task: str, hyps: dict[str, str]) -> None:
    """What ``laura decode`` writes for ``data`` (see laura/decode.py)."""
    spec = get_task(task)
    records = load_records(data, require_text=spec.needs_text, write_cache=False)
    dec.mkdir(parents=True)
    info: dict[str, Any] = {"exp_dir": str(dec.parent), "data_dir": str(data)}
    info.update(n_utts=len(records), loop_ratio=0.0, rtf=0.1, config={})
    if spec.output_kind == "text":
        _table(dec / "ref", {r["id"]: spec.target_text(r) for r in records})
        _table(dec / "hyp", hyps)
    else:
        # other noise than the reference recordings (seeds 0, 1, ...)
        scp = {
            r["id"]: _wav(dec / "wav" / f"{r['id']}.wav", 100 + i) for i, r in enumerate(records)
        }
        _table(dec / "wav.scp", scp)
        _table(dec / "tokens", {u: "1 2 3" for u in scp})
        info.update(task=task, vocoder="exp/vocoder", mean_tokens=3.0, per_utt={})
    (dec / "decode.json").write_text(json.dumps(info))


def test_recipes_are_found() -> None:
    assert len(RECIPES) >= 9, RECIPES


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.parts[-2])
def test_scoring_stage_scores_the_task_with_its_metric(recipe: Path, tmp_path: Path) -> None:
    corpus = recipe.parts[-2]
    task, config, test_sets = _recipe_options(recipe / "run.sh")
    assert task in CASES, f"{recipe}/run.sh: task {task} has no scoring case in {__file__}"
    if task == "AAC" and shutil.which("java") is None:
        pytest.skip("the caption metrics need java")
    case, spec = CASES[task], get_task(task)

    work = tmp_path / "repo"
    shutil.copytree(ROOT / "egs/TEMPLATE", work / "egs/TEMPLATE")
    run_dir = work / "egs" / corpus / "lauragpt"
    shutil.copytree(recipe, run_dir, ignore=shutil.ignore_patterns("data", "exp"))
    exp_name = f"{Path(config).stem}_{task.lower()}"
    expected_utts = {}
    for name in test_sets:
        utts, hyps = case.make(run_dir / "data", name, corpus)
        data = run_dir / "data" / name
        common.write_split(data, utts, where=f"{corpus} {name}")
        _write_decode(run_dir / "exp" / exp_name / f"decode_{name}", data, task, hyps)
        expected_utts[name] = {u.id for u in utts}

    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    cmd = ["./run.sh", "--stage", "6", "--stop-stage", "6"]
    if case.score_args:
        cmd += ["--score-args", case.score_args]
    res = subprocess.run(cmd, cwd=run_dir, capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]

    for name in test_sets:
        dec = run_dir / "exp" / exp_name / f"decode_{name}"
        scores = json.loads((dec / "scores.json").read_text())
        assert set(scores) == SCHEMA
        assert (scores["task"], scores["metric"]) == (task, spec.metric)
        assert scores["label"] == exp_name and scores["by"] == ["lang"]
        assert scores["decode"] == f"exp/{exp_name}/decode_{name}"
        assert scores["data"] == f"data/{name}"
        assert scores["decode_info"]["loop_ratio"] == 0.0
        first = scores["groups"][0]
        assert first["group"] == {"lang": "all"} and first["n_utts"] == len(expected_utts[name])
        assert set(scores["per_utt"]) <= expected_utts[name]
        case.check(first["scores"], corpus)
        assert all(not isinstance(v, float) or math.isfinite(v) for v in first["scores"].values())
        table = (dec / "RESULTS.md").read_text()
        assert table.startswith("| model | lang |") and case.header in table.splitlines()[0]
        assert f"| {exp_name} | all |" in table
