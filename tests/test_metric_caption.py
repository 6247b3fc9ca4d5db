"""AAC caption metrics (laura.metrics.caption): CIDEr-D by hand and against pycocoevalcap's
``Cider`` (coco-caption's code, which computes CIDEr-D); PTB tokenisation and METEOR against
pycocoevalcap's own ``PTBTokenizer`` and ``Meteor``; the scoring path (every reference caption,
groups, empty and missing hypotheses, SPICE not computed or run with CoreNLP jars) and its
refusals. The scoring tests share one laura METEOR jar; it and pycocoevalcap's are started by the
first java test, so that they load their paraphrase tables meanwhile and at once."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import random
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import scoring_dirs

from laura.errors import ConfigError, DataError
from laura.metrics import caption, scoring
from laura.metrics.caption import cider_d

HAVE_COCO = importlib.util.find_spec("pycocoevalcap") is not None
needs_coco = pytest.mark.skipif(not HAVE_COCO, reason="pycocoevalcap is not installed")
needs_java = pytest.mark.skipif(
    shutil.which("java") is None or not HAVE_COCO, reason="java or pycocoevalcap is missing"
)


# --- CIDEr-D without java -------------------------------------------------------------------------


def test_cider_d_of_hypotheses_equal_to_their_only_reference_is_ten() -> None:
    # no n-gram is shared between the clips, so every idf is log 2 > 0 and each of the four
    # n-gram cosines is 1: 10 * mean(1, 1, 1, 1)
    corpus, per = cider_d(
        ["a dog barks at the mailman", "rain falls on some tin roofs"],
        [["a dog barks at the mailman"], ["rain falls on some tin roofs"]],
    )
    assert corpus == pytest.approx(10.0) and per == pytest.approx([10.0, 10.0])


def test_cider_d_hand_worked() -> None:
    # Every n-gram below is in one clip's references at most: each weight is log(2) - log(1),
    # so the cosines are overlap counts. Clip 1: unigrams 2 of {dog barks loudly now} x {dog
    # barks} -> 2 / (2 * sqrt 2); bigrams 1 / sqrt 3; no reference 3- or 4-grams; lengths (in
    # bigrams, as coco-caption counts) 3 and 1 -> penalty exp(-2^2 / 72).
    # Clip 2, reference 1 identical: 1 + 1; reference 2 "a cat purrs": unigrams 1 / sqrt 6,
    # bigrams 0, lengths 1 and 2 -> exp(-1 / 72); averaged over the two references.
    corpus, per = cider_d(
        ["dog barks loudly now", "cat meows"], [["dog barks"], ["cat meows", "a cat purrs"]]
    )
    clip1 = 10 / 4 * (2**-0.5 + 3**-0.5) * math.exp(-1 / 18)
    clip2 = 10 / 4 / 2 * (2 + 6**-0.5 * math.exp(-1 / 72))
    assert per == pytest.approx([clip1, clip2], abs=1e-12)
    assert corpus == pytest.approx((clip1 + clip2) / 2, abs=1e-12)
    # "the" is in the references of both clips: idf log(2 / 2) = 0, so it matches nothing
    corpus, per = cider_d(["the bird", "the cat"], [["the dog"], ["the cat"]])
    assert per == pytest.approx([0.0, 5.0]) and corpus == pytest.approx(2.5)
    with pytest.raises(ValueError, match="at least 2 clips"):
        cider_d(["a dog"], [["a dog"]])


def _random_set(seed: int, n: int) -> tuple[list[str], list[list[str]]]:
    rng = random.Random(seed)
    vocab = "a dog cat barks bird sings rain falls on the roof car engine loud quiet water".split()

    def sentence() -> str:
        return " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 12)))

    hyps = [sentence() for _ in range(n)]
    hyps[0], hyps[1] = "", "dog"  # an empty and a one-word hypothesis (the length quirk)
    refs = [[sentence() for _ in range(rng.randint(1, 5))] for _ in range(n)]
    return hyps, refs


@needs_coco
def test_cider_d_equals_pycocoevalcap() -> None:
    from pycocoevalcap.cider.cider import Cider

    corpora = []
    for seed, n in ((0, 2), (1, 7), (2, 40)):
        hyps, refs = _random_set(seed, n)
        corpus, per = cider_d(hyps, refs)
        ref_corpus, ref_per = Cider().compute_score(
            {i: refs[i] for i in range(n)}, {i: [hyps[i]] for i in range(n)}
        )
        assert corpus == pytest.approx(ref_corpus, abs=1e-4)
        assert per == pytest.approx(list(ref_per), abs=1e-4)
        corpora.append(corpus)
    assert corpora[-1] > 0.1  # not a comparison of zeros


# --- a decode dir and its data dir ---------------------------------------------------------------

CAPTIONS = {  # clip -> (speaker, its reference captions)
    "c1": ("a", ["A dog barks loudly.", "a dog is barking, far away", "Dogs bark (twice)"]),
    "c2": ("a", ["Rain falls on a tin roof.", "heavy rain on a roof", "rain drumming on metal"]),
    "c3": ("a", ["Birds chirp in the morning", "birds are singing outside", "small birds sing"]),
    "c4": ("b", ["A car engine starts", "an engine revs up", "a motor starts and idles"]),
    "c5": ("b", ["Water runs from a tap", "a tap is running"]),
}
HYPS = {  # c4 empty, c5 missing
    "c1": "a dog is barking",
    "c2": "rain falls on the roof",
    "c3": "birds are singing outside",
    "c4": "",
}


@pytest.fixture
def aac(tmp_path: Path) -> tuple[Path, Path, Path]:
    tables = {
        "utt2spk": {u: spk for u, (spk, _) in CAPTIONS.items()},
        "caption": {u: caps[0] for u, (_, caps) in CAPTIONS.items()},
    }
    for k in range(3):
        # every table lists every clip: a clip with fewer captions has an empty line
        tables[f"caption{k + 1}"] = {
            u: caps[k] if k < len(caps) else "" for u, (_, caps) in CAPTIONS.items()
        }
    refs = {u: caps[0] for u, (_, caps) in CAPTIONS.items()}
    dec, data = scoring_dirs(tmp_path, tables, refs, HYPS)
    speakers = tmp_path / "speakers.tsv"
    speakers.write_text("spk\tvoice\theldout\na\tx\t1\nb\ty\t0\n")
    return dec, data, speakers


# --- java: tokenizer, METEOR, the scoring path ---------------------------------------------------


@pytest.fixture(scope="module")
def coco_meteor():  # pycocoevalcap's own METEOR jar
    if shutil.which("java") is None or not HAVE_COCO:
        pytest.skip("java or pycocoevalcap is missing")
    from pycocoevalcap.meteor.meteor import Meteor

    return Meteor()


@pytest.fixture(scope="module")
def laura_meteor():
    """One laura METEOR jar for the scoring tests (each scoring run would start its own)."""
    if shutil.which("java") is None or not HAVE_COCO:
        pytest.skip("java or pycocoevalcap is missing")
    with caption.MeteorJar() as jar:
        yield jar


@pytest.fixture
def shared_jar(laura_meteor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caption, "MeteorJar", lambda: laura_meteor)


@needs_java
def test_ptb_tokenize_matches_coco_caption(coco_meteor, laura_meteor) -> None:
    # (asks for both METEOR jars so that they load their paraphrase tables meanwhile)
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    sentences = [
        "A dog barks, LOUDLY!",
        'He said "hello" -- twice... (maybe)',
        "",
        "it's a car's engine; revving: vroom?",
        "Café crème—fizzing   water",
        "well-known birds ||| sing",
    ]
    coco = PTBTokenizer().tokenize({i: [{"caption": s}] for i, s in enumerate(sentences)})
    assert caption.ptb_tokenize(sentences) == [coco[i][0] for i in range(len(sentences))]
    assert caption.ptb_tokenize(["", " "]) == ["", ""]


def _coco(ids: list[str], tokenized: dict, coco_meteor) -> tuple[float, float, list[float]]:
    """pycocoevalcap's Cider and Meteor on the clips ``ids`` (as COCOEvalCap calls them)."""
    from pycocoevalcap.cider.cider import Cider

    gts = {u: tokenized["refs"][u] for u in ids}
    res = {u: tokenized["hyps"][u] for u in ids}
    cd, _ = Cider().compute_score(gts, res)
    met, met_per = coco_meteor.compute_score(gts, res)
    return float(cd), float(met), list(met_per)


@pytest.fixture(scope="module")
def coco_tokenized() -> dict:
    if shutil.which("java") is None or not HAVE_COCO:
        pytest.skip("java or pycocoevalcap is missing")
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    tok = PTBTokenizer()
    refs = {u: [{"caption": c} for c in caps] for u, (_, caps) in CAPTIONS.items()}
    hyps = {u: [{"caption": HYPS.get(u, "")}] for u in CAPTIONS}
    return {"refs": tok.tokenize(refs), "hyps": tok.tokenize(hyps)}


@needs_java
def test_scores_every_reference_like_pycocoevalcap(
    aac, coco_meteor, coco_tokenized, shared_jar
) -> None:
    dec, data, speakers = aac
    out = dec / "scores.json"
    res = scoring.score(dec, data, "AAC", by=["voice"], speakers=speakers, label="m", out=out)
    assert res["metric"] == "caption"
    rows = {g["group"]["voice"]: g for g in res["groups"]}
    assert list(rows) == ["all voices", "held-out voices"]
    everyone, held = rows["all voices"]["scores"], rows["held-out voices"]["scores"]
    for scores, ids in ((everyone, sorted(CAPTIONS)), (held, ["c1", "c2", "c3"])):
        cd, met, _ = _coco(ids, coco_tokenized, coco_meteor)
        assert scores["cider_d"] == pytest.approx(cd, abs=1e-4)  # idf from the group's refs
        assert scores["meteor"] == pytest.approx(met, abs=1e-4)
        assert math.isnan(scores["spice"]) and math.isnan(scores["spider"])
        assert scores["not_computed"]["spice"].startswith("not computed: SPICE needs Stanford")
        assert scores["not_computed"]["spider"].endswith("there is no SPICE")
    assert everyone["cider_d"] != pytest.approx(held["cider_d"], abs=1e-3)
    assert (everyone["refs_per_clip"], everyone["n_refs"]) == ("2-3", 14)
    assert (everyone["n_empty"], everyone["n_missing"]) == (2, 1)
    assert (held["refs_per_clip"], held["n_empty"], held["n_missing"]) == ("3", 0, 0)
    # per utterance: the jar's segment scores, and CIDEr-D with the whole set's idf
    _, _, met_per = _coco(sorted(CAPTIONS), coco_tokenized, coco_meteor)
    per = res["per_utt"]
    assert [per[u]["meteor"] for u in sorted(CAPTIONS)] == pytest.approx(met_per, abs=1e-4)
    assert np.mean([per[u]["cider_d"] for u in CAPTIONS]) == pytest.approx(everyone["cider_d"])
    assert per["c4"]["cider_d"] == 0.0 and per["c5"]["hyp"] == ""
    # scores.json: NaN written as null, the reason beside it; the table: empty cells
    saved = json.loads(out.read_text())["groups"][0]["scores"]
    assert saved["spice"] is None and saved["not_computed"]["spice"].startswith("not computed")
    table = scoring.format_table(res)
    assert (
        "| model | voices | CIDEr-D | METEOR | SPICE | SPIDEr | refs/clip | empty hyps "
        "| missing hyps | utts | loop ratio |" in table
    )
    cells = f"| {everyone['cider_d']:.3f} | {everyone['meteor']:.3f} |  |  | 2-3 | 2 | 1 | 5 |"
    assert f"| m | all voices {cells}" in table


@needs_java
def test_spice_and_spider_with_corenlp_jars(aac, tmp_path, monkeypatch, shared_jar) -> None:
    """The SPICE path with stand-in jars and a stand-in java run (the CoreNLP jars cannot be
    downloaded here): the command, the clips it is given and SPIDEr = (CIDEr-D + SPICE) / 2."""
    dec, data, _ = aac
    corenlp = tmp_path / "corenlp"
    corenlp.mkdir()
    for name in caption.CORENLP_JARS:
        (corenlp / name).write_bytes(b"")
    seen = {}

    def fake_spice(cmd: list[str], cwd: Path) -> None:
        classpath = cmd[cmd.index("-cp") + 1].split(os.pathsep)
        assert [Path(p).name for p in classpath] == ["spice-1.0.jar", *caption.CORENLP_JARS]
        assert cmd[cmd.index("-cp") + 2] == "edu.anu.spice.SpiceScorer"
        items = json.loads(Path(cmd[cmd.index("-cp") + 3]).read_text())
        seen["items"] = items
        # clip 3 gets no score, as SPICE writes null for an undefined F-score
        scores = [{"All": {"f": None if i == 3 else 0.1 * (i + 1)}} for i in range(len(items))]
        out = Path(cmd[cmd.index("-out") + 1])
        out.write_text(json.dumps([{"image_id": i, "scores": s} for i, s in enumerate(scores)]))

    monkeypatch.setattr(caption, "_run_spice", fake_spice)
    res = scoring.score(
        dec,
        data,
        "AAC",
        by=["voice"],
        speakers=dec.parent / "speakers.tsv",
        corenlp_dir=str(corenlp),
    )
    assert seen["items"][0]["test"] == "a dog is barking"  # tokenised, every reference
    assert seen["items"][0]["refs"] == [
        "a dog barks loudly",
        "a dog is barking far away",
        "dogs bark -lrb- twice -rrb-",
    ]
    everyone, held = (g["scores"] for g in res["groups"])
    assert held["spice"] == pytest.approx(0.2)  # mean of 0.1, 0.2, 0.3
    assert held["spider"] == pytest.approx((held["cider_d"] + 0.2) / 2)
    assert held["not_computed"] == {}
    assert (
        math.isnan(everyone["spice"]) and "no score for 1 clip" in everyone["not_computed"]["spice"]
    )
    assert res["per_utt"]["c2"]["spice"] == pytest.approx(0.2)


# --- refusals (before any java) ------------------------------------------------------------------


def test_refusals_name_the_file(aac, tmp_path) -> None:
    dec, data, _ = aac
    with pytest.raises(ConfigError, match="stanford-corenlp-3.6.0.jar"):
        scoring.score(dec, data, "AAC", corenlp_dir=str(tmp_path))
    (dec / "ref").write_text("c1 A dog barks loudly.\nzz unknown\n")
    with pytest.raises(DataError, match=r"decode/ref: 1 utterances not in .*data"):
        scoring.score(dec, data, "AAC")
    (dec / "ref").write_text("c1 a dog is barking, far away\n")  # caption2: still a reference
    (dec / "hyp").write_text("c1 a dog\nc2 rain\n")
    with pytest.raises(DataError, match=r"decode/hyp: 1 utterances have no reference"):
        scoring.score(dec, data, "AAC")
    (dec / "ref").write_text("c1 a cat meows\n")
    (dec / "hyp").write_text("c1 a dog\n")
    with pytest.raises(DataError, match="decoded from another data dir"):
        scoring.score(dec, data, "AAC")
    (dec / "hyp").unlink()
    with pytest.raises(DataError, match=r"decode/hyp: no such file"):
        scoring.score(dec, data, "AAC")
    (dec / "hyp").write_text("c1 a dog\n")
    (dec / "ref").write_text("c1 A dog barks loudly.\n")
    for t in ["caption", "caption1", "caption2", "caption3"]:
        (data / t).unlink()
    with pytest.raises(DataError, match="no reference caption tables"):
        scoring.score(dec, data, "AAC")
