"""SLU scoring (`laura.metrics.slu`) against SLURP's own scorer (pswietojanski/slurp,
scripts/evaluation/evaluate.py): hand-computed figures on tiny examples, laura's SLURP targets
scoring 100% as predictions, and the reference's figures on deliberately imperfect predictions.

The fixture (tests/data/slurp_test_31.jsonl) is 31 real entries of SLURP's
dataset/slurp/test.jsonl (CC BY 4.0, Bastianelli et al. 2020): the fields the scorers and
`laura.data.corpora.slurp` read (sentence, sentence_annotation, intent, scenario, action, token
surfaces, entity spans, recording file names, the first two recordings of each) are as
distributed; token lemmas/POS and the recordings' wer/status are placeholders that nothing reads.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from laura.data.corpora import get_corpus
from laura.data.kaldi import write_table
from laura.data.records import load_records
from laura.data.tasks import get_task, slu_target
from laura.errors import DataError
from laura.metrics import scoring
from laura.metrics.slu import (
    Frame,
    char_distance,
    parse_slu,
    score_frames,
    score_slu,
    word_distance,
)

# --- tiny examples, by hand ----------------------------------------------------------------------


def test_parse_slu() -> None:
    assert parse_slu("alarm_set") == Frame("alarm_set")
    assert parse_slu(" iot_hue_lightoff | house_place=living  room ; date=") == Frame(
        "iot_hue_lightoff", (("house_place", "living  room"), ("date", ""))
    )
    assert parse_slu("qa_factoid | person=Dolly parton 's").entities == (
        ("person", "Dolly parton 's"),  # case and spacing kept: SLURP compares them
    )
    assert parse_slu("x_y | a=b=c").entities == (("a", "b=c"),)
    assert parse_slu("alarm_set |") == Frame("alarm_set")
    f = parse_slu("iot_hue_lightoff")
    assert (f.scenario, f.action) == ("iot", "hue_lightoff")
    assert (Frame("query").scenario, Frame("query").action) == ("query", "")
    for bad in ("", "  ", "set an alarm", "alarm_set | eight", "alarm_set | time=8 ;", "| a=b"):
        assert parse_slu(bad) is None, bad
    assert parse_slu("alarm_set | time=eight ; date=monday").text() == (
        "alarm_set | time=eight ; date=monday"
    )


def test_distances() -> None:
    # word: jiwer 2.0.0 wer, edits / gold words, may exceed 1
    assert word_distance("eight am", "eight") == 0.5
    assert word_distance("noon", "twelve o'clock noon") == 2.0
    assert word_distance("a  b ", "a b") == 0.0  # runs of spaces collapse
    assert word_distance("friday", "Friday") == 1.0  # case counts
    assert word_distance("friday", "") == 1.0
    with pytest.raises(ValueError):
        word_distance(" ", "x")
    # char: Levenshtein / longer length, spaces included
    assert char_distance("eight am", "eight") == 3 / 8
    assert char_distance("friday", "Friday") == 1 / 6
    assert char_distance("jessica 's", "jessica's") == 1 / 10
    assert char_distance("", "") == 1.0  # textdistance's normalized_distance


def test_figures_by_hand() -> None:
    # utt 1: intent right; time partial, date right, person extra
    # utt 2: same scenario, wrong action, no entities either side
    refs = {"u1": "alarm_set | time=eight am ; date=monday", "u2": "alarm_set"}
    hyps = {"u1": "alarm_set | time=eight ; date=monday ; person=bob", "u2": "alarm_query"}
    r = score_slu(refs, hyps)
    assert (r["intent_acc"], r["scenario_acc"], r["action_acc"]) == (0.5, 1.0, 0.5)
    # exact spans: date TP; time=eight, person FP; time=eight am FN
    assert (r["span_tp"], r["span_fp"], r["span_fn"]) == (1, 2, 1)
    assert r["span_precision"] == pytest.approx(1 / 3) and r["span_recall"] == 0.5
    assert r["span_f1"] == pytest.approx(0.4)
    # word: time TP 1 + FP/FN 1/2, date TP 1, person FP 1
    assert (r["word_tp"], r["word_fp"], r["word_fn"]) == (2, 1.5, 0.5)
    assert r["word_f1"] == pytest.approx(2 / 3)  # P 4/7, R 4/5
    # char: time FP/FN 3/8
    assert (r["char_tp"], r["char_fp"], r["char_fn"]) == (2, 1.375, 0.375)
    # SLU-F1: both confusion matrices added, 2TP / (2TP + FP + FN) = 8 / 11.75
    assert (r["slu_tp"], r["slu_fp"], r["slu_fn"]) == (4, 2.875, 0.875)
    assert r["slu_f1"] == pytest.approx(8 / 11.75)
    assert r["slu_precision"] == pytest.approx(4 / 6.875)
    assert (r["missing_hyps"], r["n_unparsable"], r["extra_hyps"]) == (0, 0, 0)


def test_greedy_matching_follows_the_gold_order() -> None:
    """SpanDistanceFMeasure: each prediction takes the first closest gold entity of its type;
    "a" is 1/2 from both golds, so which one it takes depends on the gold order."""
    hyp = {"u": "x_y | t=a ; t=a c"}
    first = score_slu({"u": "x_y | t=a b ; t=a c"}, hyp)  # "a" takes "a b"; "a c" exact
    second = score_slu({"u": "x_y | t=a c ; t=a b"}, hyp)  # "a" takes "a c"; "a c" vs "a b"
    assert (first["word_tp"], first["word_fp"], first["word_fn"]) == (2, 0.5, 0.5)
    assert (second["word_tp"], second["word_fp"], second["word_fn"]) == (2, 1.0, 1.0)
    # a longer filler costs more than one: TP 1, FP = FN = 2
    r = score_slu({"u": "x_y | time=noon"}, {"u": "x_y | time=twelve o'clock noon"})
    assert (r["word_tp"], r["word_fp"], r["word_fn"]) == (1, 2, 2)
    assert r["word_f1"] == pytest.approx(1 / 3)
    # a type with no gold entity left: FP 1; case is an error
    r = score_slu({"u": "x_y | date=friday"}, {"u": "x_y | date=Friday ; date=friday"})
    assert (r["word_tp"], r["word_fp"], r["word_fn"]) == (1, 2, 1)
    assert (r["span_tp"], r["span_fp"], r["span_fn"]) == (1, 1, 0)


def test_unparsable_missing_and_extra_hypotheses() -> None:
    refs = {"a": "alarm_set | time=eight", "b": "alarm_set | time=eight", "c": "weather_query"}
    hyps = {"a": "alarm_set | eight", "c": "weather_query", "z": "alarm_set"}
    r = score_slu(refs, hyps)
    # a: unparsable, b: missing -> both wrong intent, no entities; z ignored
    assert (r["n_unparsable"], r["missing_hyps"], r["extra_hyps"]) == (1, 1, 1)
    assert r["intent_acc"] == pytest.approx(1 / 3) and r["scenario_acc"] == pytest.approx(1 / 3)
    assert (r["slu_tp"], r["slu_fp"], r["slu_fn"]) == (0, 0, 4)
    assert (r["slu_precision"], r["slu_f1"]) == (0.0, 0.0)  # SLURP's 0/0 -> 0
    with pytest.raises(DataError, match="not an SLU target"):
        score_slu({"a": "alarm set"}, {})
    with pytest.raises(DataError, match="not an SLU target"):
        score_slu({"a": "alarm_set | time="}, {})  # SLURP's word distance refuses it


# --- real SLURP records -----------------------------------------------------------------------


# 31 entries of SLURP's test.jsonl, one a line in its release format. Chosen for the cases SLURP's
# scorer is strict about: the first eight have an "intent" field that is not scenario_action (the
# action alone; 7353's says email_sendemail for email/query, and its tokens make "next weeks"
# "next week"); then upper-case annotations, attached "'s" (tokens "jessica 's"), several
# entities of one type, punctuation in fillers, plain entries.
ENTRIES: list[dict] = [
    json.loads(line)
    for line in (Path(__file__).parent / "data/slurp_test_31.jsonl").read_text().splitlines()
]


def _files(entry: dict) -> list[str]:
    return [r["file"] for r in entry["recordings"]]


def _gold(entry: dict) -> tuple[str, str, list[tuple[str, str]]]:
    """SLURP's gold of an entry, transcribed from scripts/evaluation/util.py,
    release2prediction (lines 70-74): scenario, action, and per entity the span's token
    surfaces, lower-cased, joined by a space. Independent of laura.data.corpora.slurp."""
    ents = [
        (e["type"], " ".join(entry["tokens"][i]["surface"].lower() for i in e["span"]))
        for e in entry["entities"]
    ]
    return entry["scenario"], entry["action"], ents


# Imperfect predictions by recording file: (scenario, action, entities) as SLURP's prediction
# format has them; a str is a laura hypothesis that does not parse and None a missing one (for
# evaluate.py both are the empty prediction: scenario "", action "", no entities, since it skips
# unpredicted files where laura scores them). Files not listed are predicted perfectly.
_Pred = tuple[str, str, list[tuple[str, str]]] | str | None
PREDICTIONS: dict[str, _Pred] = {
    "audio-1490356953-headset.flac": ("iot", "hue_lightdim", []),
    "audio-1434542976.flac": ("play", "music", [("game_name", "chess game")]),
    "audio-1498576546.flac": (
        "weather",
        "query",
        [("date", "tomorrow"), ("weather_descriptor", "rain")],
    ),
    "audio-1488984107.flac": ("weather", "query", [("weather_descriptor", "rain")]),
    "audio-1498571471.flac": (
        "weather",
        "query",
        [
            ("weather_descriptor", "winter"),
            ("weather_descriptor", "warm"),
            ("timeofday", "morning"),
        ],
    ),
    "audio-1501777148-headset.flac": (
        "weather",
        "query",
        [("weather_descriptor", "warm"), ("weather_descriptor", "winter socks")],
    ),
    "audio-1488993668.flac": ("play", "radio", [("radio_name", "eight ninety seven fm")]),
    "audio-1501767885-headset.flac": (
        "play",
        "radio",
        [("radio_name", "eight hundred and ninety seven f. m.")],
    ),
    "audio-1490199292-headset.flac": ("datetime", "query", [("time", "current time")]),
    "audio-1490199292.flac": "tell me the current time",
    "audio-1488973920.flac": (
        "calendar",
        "set",
        [
            ("event_name", "meeting"),
            ("business_name", "accounting department"),
            ("time", "two thirty pm"),
            ("date", "Friday"),
        ],
    ),
    "audio-1488991466.flac": (
        "calendar",
        "query",
        [("event_name", "meeting"), ("time", "two thirty"), ("date", "friday")],
    ),
    "audio-1497262740.flac": ("calendar", "query", [("date", "friday")]),
    "audio-1494512091-headset.flac": (
        "social",
        "post",
        [("media_type", "tweet"), ("business_name", "at and t")],
    ),
    "audio-1494512091.flac": ("social", "query", [("media_type", "tweet")]),
    "audio-1490108056-headset.flac": ("alarm", "set", [("time", "seven am"), ("date", "thursday")]),
    "audio-1490108056.flac": ("alarm", "query", [("date", "thursday"), ("time", "")]),
    "audio-1490203465-headset.flac": ("play", "music", [("song_name", "i can't feel my face")]),
    "audio-1490203465.flac": (
        "play",
        "music",
        [("song_name", "i ca n't feel my face"), ("artist_name", "the weeknd")],
    ),
    "audio-1501753669.flac": (
        "calendar",
        "query",
        [("person", "jessica"), ("date", "april twelfth")],
    ),
    "audio-1490370281-headset.flac": (
        "calendar",
        "query",
        [("person", "jessica's"), ("date", "april twelfth")],
    ),
    "audio-1490366428.flac": (
        "qa",
        "factoid",
        [("person", "dolly parton"), ("event_name", "birthday")],
    ),
    "audio-1502195259-headset.flac": (
        "calendar",
        "set",
        [("date", "feb four"), ("place_name", "kings park"), ("time", "two pm")],
    ),
    "audio-1502195259.flac": ("calendar", "set", [("date", "february four"), ("time", "two pm")]),
    "audio-1490369766-headset.flac": (
        "calendar",
        "set",
        [("date", "tomorrow"), ("event_name", "meeting"), ("time", "nine am")],
    ),
    "audio-1490369766.flac": "calendar_set | date=tomorrow 's ; meeting",
    "audio-1497881535-headset.flac": None,
    "audio-1497881535.flac": ("email", "query", [("person", "bob smith 's")]),
    "audio-1490194615.flac": (
        "takeaway",
        "order",
        [("business_name", "papa johns"), ("food_type", "pizza")],
    ),
    "audio-1490356980-headset.flac": (
        "calendar",
        "set",
        [("time", "six"), ("time", "four"), ("timeofday", "evening"), ("date", "tomorrow")],
    ),
    "audio-1501766310-headset.flac": (
        "calendar",
        "set",
        [("time", "four to six"), ("timeofday", "evening"), ("date", "tomorrow")],
    ),
    "audio-1502376390-headset.flac": (
        "transport",
        "ticket",
        [("transport_type", "train"), ("place_name", "los angeles"), ("place_name", "las vegas")],
    ),
    "audio-1502376390.flac": (
        "transport",
        "ticket",
        [
            ("transport_type", "train"),
            ("place_name", "vegas"),
            ("place_name", "los angeles"),
            ("place_name", "angeles"),
        ],
    ),
    "audio-1497870038.flac": (
        "calendar",
        "set",
        [
            ("event_name", "weekend trip"),
            ("event_name", "conversation"),
            ("person", "craig"),
            ("date", "monday twentieth"),
        ],
    ),
    "audio-1502376303.flac": (
        "qa",
        "currency",
        [("currency_name", "gbp"), ("currency_name", "usd")],
    ),
    "audio-1494415671-headset.flac": (
        "cooking",
        "recipe",
        [("media_type", "youtube videos"), ("food_type", "italian")],
    ),
    "audio-1494415671.flac": (
        "cooking",
        "recipe",
        [("media_type", "videos"), ("media_type", "youtube"), ("food_type", "italian foods")],
    ),
    "audio-1502376102-headset.flac": ("qa", "factoid", [("person", "brad pitt")]),
    "audio-1502376102.flac": ("general", "quirky", []),
    "audio-1490106265-headset.flac": (
        "email",
        "sendemail",
        [("email_address", "juanpedro@gmail.com")],
    ),
    "audio-1490106265.flac": (
        "email",
        "sendemail",
        [("email_address", "juan pedro at gmail dot com")],
    ),
    "audio-1434542024.flac": ("qa", "stock", [("business_name", "ibm")]),
    "audio-1502896864-headset.flac": (
        "datetime",
        "convert",
        [("time_zone", "est"), ("time_zone", "gmt")],
    ),
    "audio-1502896864.flac": (
        "datetime",
        "query",
        [("time_zone", "g. m. t."), ("time_zone", "e. s. t.")],
    ),
    "audio-1501751649.flac": ("qa", "factoid", [("person", "J. K. Rowling")]),
    "audio-1497872916.flac": ("calendar", "set", [("person", "mona"), ("date", "tuesday")]),
    "audio-1501757065.flac": (
        "calendar",
        "set",
        [("event_name", "meeting"), ("person", "pavel"), ("date", "tomorrow"), ("time", "ten am")],
    ),
    "audio-1501767950-headset.flac": "",
    "audio-1501692394-headset.flac": ("email", "querycontact", []),
    # what the words say; the gold is email_query with a "time" entity
    "audio-1498577946.flac": (
        "weather",
        "query",
        [("date", "next week"), ("place_name", "california")],
    ),
    # not in the gold data: ignored by both
    "audio-1999999999.flac": ("alarm", "set", []),
}


def _prediction(entry: dict, file: str) -> _Pred:
    return PREDICTIONS[file] if file in PREDICTIONS else _gold(entry)


def _laura_hyp(pred: _Pred) -> str | None:
    """A prediction as a laura SLU hypothesis (`slu_target`'s format)."""
    if pred is None or isinstance(pred, str):
        return pred
    scenario, action, ents = pred
    slots = " ; ".join(f"{t}={v}" for t, v in ents)
    return f"{scenario}_{action}" + (f" | {slots}" if slots else "")


def _slurp_prediction(file: str, pred: _Pred) -> dict:
    """A prediction in SLURP's format (a line of the evaluate.py prediction file)."""
    if pred is None or isinstance(pred, str):
        pred = ("", "", [])
    scenario, action, ents = pred
    entities = [{"type": t, "filler": v} for t, v in ents]
    return {"file": file, "scenario": scenario, "action": action, "entities": entities}


# evaluate.py's output for ENTRIES and PREDICTIONS: label -> overall (precision, recall, F1,
# TP, FP, FN). Made in a scratch folder, with the scorer's requirements.txt in its own venv
# (tabulate 0.8.10 for 0.8.7, which does not import on Python >= 3.10; it only prints tables):
#   git clone https://github.com/pswietojanski/slurp /tmp/slurp_ref   # at 8eb1654
#   python3 -m venv /tmp/slurp_venv && /tmp/slurp_venv/bin/pip install progress==1.5 \
#       tabulate==0.8.10 textdistance==4.1.5 jiwer==2.0.0
#   .venv/bin/python tests/test_metric_slu.py /tmp/slurp_ref/fx   # writes gold + predictions
#   cd /tmp/slurp_ref/scripts/evaluation && /tmp/slurp_venv/bin/python evaluate.py \
#       -g /tmp/slurp_ref/fx/test.jsonl -p /tmp/slurp_ref/fx/predictions.jsonl \
#       --table-layout tsv --errors
REFERENCE: dict[str, tuple[float, ...]] = {
    "Scenario": (0.9, 0.9, 0.9, 54.0, 6.0, 6.0),
    "Action": (0.7666666666666667, 0.7666666666666667, 0.7666666666666667, 46.0, 14.0, 14.0),
    "Intent (scen_act)": (0.75, 0.75, 0.75, 45.0, 15.0, 15.0),
    "Entities": (0.6132075471698113, 0.5416666666666666, 0.5752212389380531, 65.0, 41.0, 55.0),
    "Entities (distance word)": (
        0.7272727272727273,
        0.6600660066006601,
        0.6920415224913494,
        100.0,
        37.5,
        51.49999999999999,
    ),
    "Entities (distance char)": (
        0.8346344007353005,
        0.7473118910110128,
        0.7885630701505066,
        100.0,
        19.81293834989487,
        33.81293834989487,
    ),
    "Slu f1": (
        0.7772636746623267,
        0.7009846842442492,
        0.7371561460223207,
        200.0,
        57.31293834989487,
        85.31293834989488,
    ),
}
# evaluate.py's labels -> laura's keys
_KEYS = {
    "Scenario": "scenario_acc",
    "Action": "action_acc",
    "Intent (scen_act)": "intent_acc",
    "Entities": "span",
    "Entities (distance word)": "word",
    "Entities (distance char)": "char",
    "Slu f1": "slu",
}


def _write_slurp(root: Path) -> Path:
    """A SLURP directory with the fixture as test.jsonl and a short tone per recording."""
    text = root / "dataset" / "slurp"
    text.mkdir(parents=True)
    (text / "test.jsonl").write_text("".join(json.dumps(e) + "\n" for e in ENTRIES))
    t = np.arange(800) / 16000
    for i, f in enumerate(f for e in ENTRIES for f in _files(e)):
        path = root / "audio" / "slurp_real" / f
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, (0.1 * np.sin(2 * np.pi * (200 + i) * t)).astype(np.float32), 16000)
    return root


@pytest.fixture(scope="module")
def slurp_test(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    """laura's data dir of the fixture (``prepare``), and its records by recording file."""
    root = tmp_path_factory.mktemp("slurp")
    dirs = get_corpus("slurp").prepare(_write_slurp(root / "src"), root / "data", splits=["test"])
    records = load_records(dirs["test"], write_cache=False)
    return dirs["test"], {Path(r["audio"]).name: r for r in records}


def _decode_dir(path: Path, by_file: dict[str, dict], hyp_of_file: dict[str, str | None]) -> Path:
    """A decode dir as `laura decode` writes it: ``ref`` the SLU targets, ``hyp`` the given."""
    spec = get_task("SLU")
    path.mkdir()
    write_table(path / "ref", {r["id"]: spec.target_text(r) for r in by_file.values()})
    hyps = {by_file[f]["id"]: h for f, h in hyp_of_file.items() if f in by_file and h is not None}
    # an empty hypothesis is a line with the id alone (write_table writes it so)
    write_table(path / "hyp", hyps)
    return path


def test_fixture_has_the_tricky_cases() -> None:
    entries = ENTRIES
    assert len(entries) == 31
    assert sum(e["intent"] != f"{e['scenario']}_{e['action']}" for e in entries) == 8
    golds = [_gold(e) for e in entries]
    fillers = [v for g in golds for _, v in g[2]]
    assert sum("'s" in f for f in fillers) >= 6 and "i ca n't feel my face" in fillers
    assert sum(any(c.isupper() for c in e["sentence_annotation"]) for e in entries) >= 5
    assert sum(len({t for t, _ in g[2]}) < len(g[2]) for g in golds) >= 6


def test_laura_targets_score_100_percent_on_slurp_gold(slurp_test, tmp_path) -> None:
    data, by_file = slurp_test
    entries = {f: e for e in ENTRIES for f in _files(e)}
    assert set(by_file) == set(entries)
    targets = {f: slu_target(rec) for f, rec in by_file.items()}
    # against SLURP's gold, made from the jsonl as its scorer makes it
    gold = {}
    for f, e in entries.items():
        scenario, action, ents = _gold(e)
        gold[f] = Frame(f"{scenario}_{action}", tuple(ents))
    r = score_frames((gold[f], parse_slu(targets[f])) for f in entries)
    for key in ("intent_acc", "scenario_acc", "action_acc", "span_f1", "slu_f1"):
        assert r[key] == 1.0, key
    # the targets of before (the "intent" field; slots as annotated) fall short on the same gold
    from laura.data.corpora.slurp import format_slots, parse_slots

    def old_target(e: dict) -> str:
        slots = format_slots(parse_slots(e["sentence_annotation"]))
        return slu_target({"intent": e["intent"], "slots": slots})

    r_old = score_frames((gold[f], parse_slu(old_target(e))) for f, e in entries.items())
    assert r_old["intent_acc"] < 1 and r_old["span_f1"] < 1 and r_old["slu_f1"] < 1
    # and through `laura score`: the targets as hypotheses
    dec = _decode_dir(tmp_path / "dec", by_file, targets)
    res = scoring.score(dec, data, "SLU")
    (g,) = res["groups"]
    assert g["n_utts"] == len(by_file)
    for key in ("intent_acc", "span_f1", "word_f1", "char_f1", "slu_f1"):
        assert g["scores"][key] == 1.0, key
    assert g["scores"]["n_unparsable"] == g["scores"]["missing_hyps"] == 0


def test_figures_equal_slurp_evaluate_py(slurp_test, tmp_path) -> None:
    data, by_file = slurp_test
    hyps = {f: _laura_hyp(_prediction(e, f)) for e in ENTRIES for f in _files(e)} | {
        f: _laura_hyp(p) for f, p in PREDICTIONS.items() if f not in by_file
    }
    dec = _decode_dir(tmp_path / "dec", by_file, hyps)
    res = scoring.score(dec, data, "SLU")
    s = res["groups"][0]["scores"]
    assert (s["n_unparsable"], s["missing_hyps"]) == (3, 1)
    assert set(REFERENCE) == set(_KEYS)
    for label, key in _KEYS.items():
        p, r, f, tp, fp, fn = REFERENCE[label]
        if key.endswith("_acc"):
            assert s[key] == pytest.approx(f, abs=1e-4), label
            continue
        mine = [s[f"{key}_{k}"] for k in ("precision", "recall", "f1", "tp", "fp", "fn")]
        assert mine == pytest.approx([p, r, f, tp, fp, fn], abs=1e-4), label
    # the table: intent accuracy and SLU-F1 columns
    table = scoring.format_table(res).splitlines()
    assert table[0] == (
        "| model | intent acc | SLU-F1 | span F1 | unparsable | utts | loop ratio |"
    )
    acc, slu = REFERENCE["Intent (scen_act)"][2], REFERENCE["Slu f1"][2]
    assert f"| {100 * acc:.1f}% | {100 * slu:.1f}% |" in table[2]
    per = res["per_utt"][by_file["audio-1490199292.flac"]["id"]]
    assert per == {
        "ref_intent": "datetime_query",
        "hyp_intent": None,
        "intent_correct": False,
        "unparsable": True,
        "missing": False,
    }


def test_refusals(slurp_test, tmp_path) -> None:
    data, by_file = slurp_test
    dec = _decode_dir(tmp_path / "dec", by_file, {})
    (dec / "ref").write_text((dec / "ref").read_text() + "zz-9 alarm_set\n")
    with pytest.raises(DataError, match=r"ref: 1 utterances not in .*\(e\.g\. zz-9\)"):
        scoring.score(dec, data, "SLU")
    first = next(iter(by_file.values()))["id"]
    write_table(dec / "ref", {first: "set an alarm"})
    with pytest.raises(DataError, match=f"ref: id {first}: 'set an alarm' is not an SLU target"):
        scoring.score(dec, data, "SLU")


def _dump_for_reference(out: Path) -> None:
    """Write test.jsonl (the fixture) and predictions.jsonl (PREDICTIONS) for evaluate.py."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "test.jsonl").write_text("".join(json.dumps(e) + "\n" for e in ENTRIES))
    files = {f: e for e in ENTRIES for f in _files(e)}
    preds = [_slurp_prediction(f, _prediction(e, f)) for f, e in files.items()]
    preds += [_slurp_prediction(f, p) for f, p in PREDICTIONS.items() if f not in files]
    (out / "predictions.jsonl").write_text("".join(json.dumps(p) + "\n" for p in preds))


if __name__ == "__main__":
    _dump_for_reference(Path(sys.argv[1]))
