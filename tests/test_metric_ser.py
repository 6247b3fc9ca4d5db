"""WA / UA / WF1 of SER decodes (laura.metrics.ser) through the one scoring path: values by hand,
equal to scikit-learn, the like/happiness -> joy merge, bad input counted or refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import scoring_dirs, write_rows

from laura.data.emotion_labels import EVAL_CLASSES, SER_CLASSES, eval_class
from laura.errors import DataError
from laura.metrics.scoring import format_table, score
from laura.metrics.ser import OUT_OF_SET, classification_scores, map_label


def _ser(tmp_path: Path, refs: dict[str, str], hyps: dict[str, str]) -> tuple[Path, Path]:
    """A data dir with ``utt2emotion`` = ``refs`` and a decode dir (``ref``, ``hyp``)."""
    tables = {"utt2lang": {u: "en" for u in refs}, "utt2emotion": refs}
    return scoring_dirs(tmp_path, tables, refs, hyps, {"loop_ratio": 0.0})


# u1..u6: references and hypotheses as a model might write them
REFS = {
    "u1": "anger",
    "u2": "anger",
    "u3": "neutral",
    "u4": "sadness",
    "u5": "happiness",
    "u6": "neutral",
}
HYPS = {
    "u1": "anger",
    "u2": "neutral",
    "u3": " Neutral ",  # stripped and lower-cased: correct
    "u4": "sad",  # not a class: out of set, wrong
    "u5": "like",  # like and happiness both count as joy: correct
    # u6: no hypothesis line: scored as an empty (out-of-set) output
}


def test_label_mapping() -> None:
    assert eval_class("Like") == eval_class("happiness") == "joy"  # the signature this relies on
    assert map_label(" Happiness\t") == map_label("joy") == "joy"
    assert map_label("sad") == map_label("") == map_label("anger.") == OUT_OF_SET
    assert {map_label(c) for c in SER_CLASSES} == set(EVAL_CLASSES)


def test_scores_by_hand(tmp_path) -> None:
    # mapped: refs  anger anger   neutral sadness joy neutral
    #         hyps  anger neutral neutral <oos>   joy <oos>
    # WA = 3 correct / 6 = 0.5
    # recall: anger 1/2, joy 1/1, neutral 1/2, sadness 0/1 -> UA = (0.5 + 1 + 0.5 + 0) / 4 = 0.5
    # F1 = 2TP / (2TP + FP + FN):
    #   anger   TP 1 FP 0 FN 1 -> 2/3      (support 2)
    #   joy     TP 1 FP 0 FN 0 -> 1        (support 1)
    #   neutral TP 1 FP 1 FN 1 -> 2/4      (support 2; u2's "neutral" is its false positive)
    #   sadness TP 0 FP 0 FN 1 -> 0        (support 1)
    # WF1 = (2 * 2/3 + 1 * 1 + 2 * 1/2 + 1 * 0) / 6 = (4/3 + 2) / 6 = 5/9
    dec, data = _ser(tmp_path, REFS, HYPS)
    res = score(dec, data, "SER", by=["lang"], label="m")
    assert res["metric"] == "ser"
    assert [g["group"]["lang"] for g in res["groups"]] == ["all", "en"]
    s = res["groups"][0]["scores"]
    assert s["wa"] == pytest.approx(0.5)
    assert s["ua"] == pytest.approx(0.5)
    assert s["wf1"] == pytest.approx(5 / 9)
    assert s["n_correct"] == 3
    # u4 ("sad") and u6 (missing) are out of set, u6 also missing; both scored as errors
    assert (s["n_out_of_set"], s["n_missing"]) == (2, 1)
    assert s["per_class"]["neutral"] == {
        "support": 2,
        "recall": 0.5,
        "precision": 0.5,
        "f1": 0.5,
    }
    assert set(s["per_class"]) == {"anger", "joy", "neutral", "sadness"}  # reference classes
    assert res["per_utt"]["u5"] == {"ref": "joy", "hyp": "joy", "correct": True}
    assert res["per_utt"]["u4"] == {"ref": "sadness", "hyp": OUT_OF_SET, "correct": False}
    lines = format_table(res).splitlines()
    assert (
        lines[0]
        == "| model | lang | WA | UA | WF1 | out of set | missing hyps | utts | loop ratio |"
    )
    assert lines[2] == "| m | all | 50.0% | 50.0% | 55.6% | 2 | 1 | 6 | 0.000 |"


def test_per_group_scores_use_only_the_groups_classes() -> None:
    # two classes, one always right, one never: WA 2/4, UA (1 + 0) / 2
    # F1: anger TP 2 FP 2 FN 0 -> 4/6; fear TP 0 FN 2 -> 0; WF1 = (2 * 2/3 + 0) / 4 = 1/3
    r = classification_scores(["anger", "anger", "fear", "fear"], ["anger"] * 4)
    assert (r["wa"], r["ua"]) == (0.5, 0.5) and r["wf1"] == pytest.approx(1 / 3)
    assert r["per_class"]["fear"]["precision"] == 0.0  # never predicted


# sklearn warns that out-of-set outputs are a class without references (weight 0: as laura)
@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_equal_to_scikit_learn(tmp_path) -> None:
    """WA / UA / WF1 of a random decode equal sklearn's accuracy_score /
    balanced_accuracy_score / f1_score(average="weighted") of the same mapped labels."""
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(7)
    ref_pool = ["anger", "neutral", "sadness", "happiness", "fear", "surprise"]
    hyp_pool = [*SER_CLASSES, "Joy", "LIKE ", "sad", "angry", "?"]  # some out of set
    ids = [f"u{i:03d}" for i in range(80)]
    refs = {u: str(rng.choice(ref_pool, p=[0.3, 0.25, 0.2, 0.15, 0.05, 0.05])) for u in ids}
    hyps = {}
    for u in ids:
        x = rng.random()
        if x < 0.45:  # mostly right, so every score is far from 0 and 1
            hyps[u] = refs[u]
        elif x < 0.95:
            hyps[u] = str(rng.choice(hyp_pool))
        # else: missing
    dec, data = _ser(tmp_path, refs, hyps)
    res = score(dec, data, "SER")
    s = res["groups"][0]["scores"]

    def mapped(label: str) -> str:  # the paper's merge, anything else one wrong label
        c = label.strip().lower()
        c = {"like": "joy", "happiness": "joy"}.get(c, c)
        return c if c in EVAL_CLASSES else "other"

    y_true = [mapped(refs[u]) for u in ids]
    y_pred = [mapped(hyps.get(u, "")) for u in ids]
    assert y_pred.count("other") == s["n_out_of_set"] > 0
    assert s["wa"] == pytest.approx(metrics.accuracy_score(y_true, y_pred), abs=1e-4)
    assert s["ua"] == pytest.approx(metrics.balanced_accuracy_score(y_true, y_pred), abs=1e-4)
    wf1 = metrics.f1_score(y_true, y_pred, average="weighted", zero_division=0)
    assert s["wf1"] == pytest.approx(wf1, abs=1e-4)
    assert 0.3 < s["ua"] < 0.9 and s["wa"] != pytest.approx(s["ua"])  # a real test


def test_ids_not_in_the_data_dir_are_one_line_errors(tmp_path) -> None:
    dec, data = _ser(tmp_path, REFS, HYPS)
    write_rows(dec / "ref", {**REFS, "zz-9": "anger"})
    with pytest.raises(DataError) as e:
        score(dec, data, "SER")
    assert str(e.value) == f"{dec / 'ref'}: 1 utterances not in {data} (e.g. zz-9)"
    write_rows(dec / "ref", REFS)
    write_rows(dec / "hyp", {**HYPS, "zz-9": "anger"})
    with pytest.raises(DataError) as e:
        score(dec, data, "SER")
    msg = str(e.value)
    assert msg == f"{dec / 'hyp'}: 1 utterances have no reference in {dec / 'ref'} (e.g. zz-9)"


def test_a_reference_outside_the_classes_is_a_data_error(tmp_path) -> None:
    dec, data = _ser(tmp_path, REFS, HYPS)
    write_rows(dec / "ref", {**REFS, "u4": "sad"})
    with pytest.raises(DataError) as e:
        score(dec, data, "SER")
    assert "\n" not in str(e.value)
    assert str(e.value).startswith(f"{dec / 'ref'}: 1 reference labels are not SER classes")
    assert "u4: 'sad'" in str(e.value)
