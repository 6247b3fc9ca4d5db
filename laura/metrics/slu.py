"""SLU scores exactly as SLURP defines them: intent accuracy and SLU-F1.

Texts are SLU targets (`laura.data.tasks.slu_target`): ``intent | type=value ; type=value``, or
just ``intent`` without slots. `parse_slu` turns one back into a `Frame` (the intent,
``<scenario>_<action>``, and the entities, ``(type, filler)`` in the order written): what
SLURP's scorer reads from a prediction (``{"scenario", "action", "entities": [{"type",
"filler"}]}``). The figures are those of SLURP's ``scripts/evaluation/evaluate.py`` with its
default ``--average micro`` (github.com/pswietojanski/slurp; ``macro`` is not reproduced):

* ``scenario_acc``, ``action_acc``, ``intent_acc``: evaluate.py's micro-averaged F1 of the
  scenario, the action and ``<scenario>_<action>``; with one label per utterance on both sides
  that F1 equals precision, recall and accuracy (correct / utterances);
* ``span_*``: precision, recall and F1 of entities matched exactly, type and filler (the
  "entities" table; ``SpanFMeasure``);
* ``word_*`` and ``char_*``: span F1 where a predicted entity whose type is among the gold
  entities left counts one true positive and its distance to the closest of them (word error
  rate; character Levenshtein distance over the longer string's length) as a false positive
  and a false negative (``SpanDistanceFMeasure``);
* ``slu_*``: SLU-F1, the F1 of the word-level and character-level counts added together
  (``SLUF1``).

Gold fillers in SLURP's scorer are the entity's token surfaces, lower-cased, joined by one space
("jessica 's", "i ca n't"); `laura.data.corpora.slurp` writes exactly those, so a perfect model
scores 1.0. Fillers are compared as written, case included, as SLURP does.

Where laura differs from evaluate.py, it is about utterances, not figures: a reference id with no
hypothesis is scored as an empty hypothesis (evaluate.py skips it: ``missing_hyps`` counts them),
and a hypothesis that does not parse as a target counts as a wrong intent with no entities
(``n_unparsable``). ``laura score`` refuses hypothesis ids with no reference (the files do not
belong together); ``score_slu`` of two plain mappings counts them (``extra_hyps``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from laura.metrics.scoring import Column, Decoded, Scorer, read_ref_hyp

__all__ = [
    "Frame",
    "SLUScorer",
    "aggregate_counts",
    "char_distance",
    "parse_refs",
    "parse_slu",
    "score_frames",
    "score_slu",
    "utterance_counts",
    "word_distance",
]

log = logging.getLogger(__name__)

Entity = tuple[str, str]  # (type, filler)


@dataclass(frozen=True)
class Frame:
    """An intent (``<scenario>_<action>``) and its entities, in the order written."""

    intent: str
    entities: tuple[Entity, ...] = ()

    @property
    def scenario(self) -> str:
        # SLURP's scenarios hold no "_" (actions may: "hue_lightoff"), so the first one splits
        return self.intent.split("_", 1)[0]

    @property
    def action(self) -> str:
        return self.intent.split("_", 1)[1] if "_" in self.intent else ""

    def text(self) -> str:
        """The target string of this frame (what `slu_target` writes)."""
        slots = " ; ".join(f"{t}={v}" for t, v in self.entities)
        return f"{self.intent} | {slots}" if slots else self.intent


_NAME = re.compile(r"[^\s|;=]+")  # an intent or a slot type: one token, none of the separators


def parse_slu(text: str) -> Frame | None:
    """``"alarm_set | time=eight ; date=monday"`` -> `Frame`; None when ``text`` is not of that
    form (no intent, a slot without ``type=``, an empty slot between ``;``). Fillers keep their
    inner spacing and case (SLURP's distances see both); only the spaces around the separators
    are dropped. A filler may be empty (a wrong filler, not a malformed target)."""
    head, bar, tail = text.partition("|")
    intent = head.strip()
    if not _NAME.fullmatch(intent):
        return None
    entities: list[Entity] = []
    if bar and tail.strip():
        for chunk in tail.split(";"):
            etype, eq, filler = chunk.partition("=")
            etype = etype.strip()
            if not eq or not _NAME.fullmatch(etype):
                return None
            entities.append((etype, filler.strip()))
    return Frame(intent, tuple(entities))


# --- SLURP's distances (scripts/evaluation/metrics/distance.py) ---------------------------------


def _levenshtein(a: Sequence[Any], b: Sequence[Any]) -> int:
    """Unit-cost edit distance (insertion, deletion, substitution)."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


_RUNS = re.compile(r"\s\s+")


def _words(text: str) -> list[str]:
    # jiwer 2.0.0's default transform: runs of 2+ whitespace -> " ", strip, split on " ", drop
    # empty words
    return [w for w in _RUNS.sub(" ", text).strip().split(" ") if w.strip()]


def word_distance(gold: str, pred: str) -> float:
    """SLURP's word distance, ``jiwer.wer(truth=gold, hypothesis=pred)`` (jiwer 2.0.0): word
    edit distance over the gold word count; more than 1 when the prediction is longer."""
    g = _words(gold)
    if not g:
        raise ValueError("word distance: the gold filler is empty")  # as jiwer refuses it
    return _levenshtein(g, _words(pred)) / len(g)


def char_distance(gold: str, pred: str) -> float:
    """SLURP's character distance, textdistance's ``levenshtein.normalized_distance``: the edit
    distance over the longer string's length (1 for two empty strings, as textdistance has it)."""
    longest = max(len(gold), len(pred))
    return 1.0 if longest == 0 else _levenshtein(gold, pred) / longest


# --- SLURP's counts (scripts/evaluation/metrics/metrics.py), micro-averaged ----------------------


def _prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    """compute_metrics: precision, recall, F1, each 0 when its denominator is."""
    p = 0.0 if tp == 0 and fp == 0 else tp / (tp + fp)
    r = 0.0 if tp == 0 and fn == 0 else tp / (tp + fn)
    f = 0.0 if p == 0 and r == 0 else 2 * p * r / (p + r)
    return p, r, f


def _span_counts(gold: Sequence[Entity], pred: Sequence[Entity]) -> tuple[int, int, int]:
    """SpanFMeasure: a prediction equal to a gold entity left takes it (true positive)."""
    left = list(gold)
    tp = fp = 0
    for ent in pred:
        if ent in left:
            tp += 1
            left.remove(ent)
        else:
            fp += 1
    return tp, fp, len(left)


def _distance_counts(
    gold: Sequence[Entity], pred: Sequence[Entity], distance: Callable[[str, str], float]
) -> tuple[float, float, float]:
    """SpanDistanceFMeasure: predictions in order; one whose type is among the gold entities left
    takes the first of them closest to it (TP 1, FP and FN its distance); others are FPs; gold
    entities left over are FNs. The greedy order matters when a type occurs twice."""
    left = list(gold)
    tp = fp = fn = 0.0
    for etype, filler in pred:
        best, idx = float("inf"), None
        for j, (gtype, gfiller) in enumerate(left):
            if gtype == etype:
                d = distance(gfiller, filler)
                if idx is None or d < best:
                    best, idx = d, j
        if idx is None:
            fp += 1
            continue
        tp += 1
        fp += best
        fn += best
        del left[idx]
    return tp, fp, fn + len(left)


_COUNTS = ("span", "word", "char")


def utterance_counts(ref: Frame, hyp: Frame | None) -> dict[str, Any]:
    """One utterance's share of the figures: which labels are right, and the TP/FP/FN counts.
    ``hyp`` None (unparsable or missing): no label right, no entity predicted."""
    pred = hyp.entities if hyp is not None else ()
    return {
        # evaluate.py compares "<scenario>_<action>" formed from the two: the same as both
        "intent": hyp is not None and (hyp.scenario, hyp.action) == (ref.scenario, ref.action),
        "scenario": hyp is not None and hyp.scenario == ref.scenario,
        "action": hyp is not None and hyp.action == ref.action,
        "span": _span_counts(ref.entities, pred),
        "word": _distance_counts(ref.entities, pred, word_distance),
        "char": _distance_counts(ref.entities, pred, char_distance),
    }


def aggregate_counts(counts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The figures (see the module docstring) of some utterances' `utterance_counts`."""
    counts = list(counts)
    n = len(counts)
    out: dict[str, Any] = {}
    for label in ("scenario", "action", "intent"):
        out[f"{label}_acc"] = sum(c[label] for c in counts) / n if n else 0.0
    totals = {k: [sum(c[k][i] for c in counts) for i in range(3)] for k in _COUNTS}
    totals["slu"] = [w + c for w, c in zip(totals["word"], totals["char"])]
    for k, (tp, fp, fn) in totals.items():
        p, r, f = _prf(tp, fp, fn)
        out.update({f"{k}_precision": p, f"{k}_recall": r, f"{k}_f1": f})
        out.update({f"{k}_tp": tp, f"{k}_fp": fp, f"{k}_fn": fn})
    out["n_utts"] = n
    return out


def score_frames(pairs: Iterable[tuple[Frame, Frame | None]]) -> dict[str, Any]:
    """The figures of (reference, hypothesis) frames; a None hypothesis is wrong intent and no
    entities."""
    return aggregate_counts(utterance_counts(ref, hyp) for ref, hyp in pairs)


def parse_refs(refs: Mapping[str, str], where: str = "references") -> dict[str, Frame]:
    """Reference texts -> frames; a reference that does not parse, or an empty gold filler
    (which SLURP's word distance refuses), is a `DataError` naming ``where``."""
    from laura.errors import DataError

    out: dict[str, Frame] = {}
    for u, text in refs.items():
        frame = parse_slu(text)
        if frame is None or any(not _words(v) for _, v in frame.entities):
            raise DataError(
                f"{where}: id {u}: {text!r} is not an SLU target (intent | type=value ; ...)"
            )
        out[u] = frame
    return out


def score_slu(refs: Mapping[str, str], hyps: Mapping[str, str]) -> dict[str, Any]:
    """Score hypothesis texts against reference texts by utterance id (all reference ids; see
    the module docstring for the figures and for ``missing_hyps`` / ``n_unparsable`` /
    ``extra_hyps``)."""
    ref_frames = parse_refs(refs)
    hyp_frames = {u: parse_slu(hyps[u]) for u in refs if u in hyps}
    result = score_frames((ref_frames[u], hyp_frames.get(u)) for u in refs)
    result["missing_hyps"] = sum(u not in hyps for u in refs)
    result["n_unparsable"] = sum(f is None for f in hyp_frames.values())
    result["extra_hyps"] = sum(u not in refs for u in hyps)
    return result


class SLUScorer(Scorer):
    """``TaskSpec.metric == "slu"`` in ``laura score``: the decode dir's ``hyp`` against its
    ``ref`` (the targets the model was given)."""

    metric = "slu"
    columns = (
        Column("intent_acc", "intent acc", "percent"),
        Column("slu_f1", "SLU-F1", "percent"),
        Column("span_f1", "span F1", "percent"),
        Column("n_unparsable", "unparsable", "int"),
    )

    def read(self, decoded: Decoded, **options: Any) -> tuple[list[str], dict[str, Any]]:

        refs, hyps = read_ref_hyp(decoded)
        ref_path = decoded.decode_dir / "ref"
        ref_frames = parse_refs(refs, str(ref_path))
        per_utt: dict[str, dict[str, Any]] = {}
        for u in sorted(refs):
            hyp = parse_slu(hyps[u]) if u in hyps else None
            per_utt[u] = {
                "counts": utterance_counts(ref_frames[u], hyp),
                "missing": u not in hyps,
                "unparsable": u in hyps and hyp is None,
                "ref_intent": ref_frames[u].intent,
                "hyp_intent": hyp.intent if hyp is not None else None,
            }
        return sorted(refs), {"per_utt": per_utt}

    def aggregate(
        self, material: dict[str, Any], ids: list[str], group: dict[str, str], decoded: Decoded
    ) -> dict[str, Any]:
        rows = [material["per_utt"][u] for u in ids]
        out = aggregate_counts(r["counts"] for r in rows)
        out["missing_hyps"] = sum(r["missing"] for r in rows)
        out["n_unparsable"] = sum(r["unparsable"] for r in rows)
        return out

    def per_utt(self, material: dict[str, Any]) -> dict[str, Any]:
        return {
            u: {
                "ref_intent": r["ref_intent"],
                "hyp_intent": r["hyp_intent"],
                "intent_correct": r["counts"]["intent"],
                "unparsable": r["unparsable"],
                "missing": r["missing"],
            }
            for u, r in material["per_utt"].items()
        }
