"""Speech emotion recognition scores (``TaskSpec.metric == "ser"``, task SER): WA, UA, WF1.

The decode dir's ``hyp`` (one emotion word per utterance) is scored against its ``ref`` (the
``utt2emotion`` labels the model was given):

* ``wa``, weighted accuracy: the share of utterances whose hypothesis is the reference class
  (plain accuracy; "weighted" because each class counts by its number of utterances);
* ``ua``, unweighted accuracy: the mean of the per-class recalls over the classes present in the
  group's references (every class counts the same, however rare);
* ``wf1``, weighted F1: per-class F1 = 2 TP / (2 TP + FP + FN), averaged over the classes of the
  references with their reference counts (support) as weights.

All three are fractions (0.62 = 62 %) and equal scikit-learn's ``accuracy_score``,
``balanced_accuracy_score`` and ``f1_score(average="weighted")`` of the same labels.
``per_class`` gives support, precision, recall and F1 per reference class.

Test-time merge. Both sides are mapped with ``laura.data.emotion_labels.eval_class`` (strip,
lower-case, *like* and *happiness* -> *joy*), always, not only for MELD-like data:

* it is the paper's scoring protocol (A.5), and the paper reports SER on MELD only;
* no test set laura prepares holds two of like / happiness / joy among its references (the acted
  corpora use *happiness*, MELD *joy*, none *like*), so within a test set the merge never joins
  two reference classes: it renames *happiness* to *joy* and no longer counts as wrong a model
  that answers with the sibling label the training mix taught it (the split is an artefact of
  the corpora, not an emotion distinction);
* "MELD-like" cannot be told from a data dir without corpus-specific guessing, and one decode
  must not score differently depending on such a guess.

So classes are reported under the merged names: on the mini corpus and the acted corpora the
class ``joy`` is their *happiness*.

Bad input:

* a hypothesis that is not one of the nine classes (``SER_CLASSES``, after strip/lower-case)
  counts as an error (it matches no reference) and is counted in ``n_out_of_set``;
* a reference id with no line in ``hyp`` is scored as an empty hypothesis, i.e. out of set:
  counted in ``n_missing`` and in ``n_out_of_set``; both are logged as warnings;
* a reference label that is not a class, ``ref`` ids not in the data dir, and ``hyp`` ids without
  a reference raise ``DataError`` naming the file.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from laura.data.emotion_labels import EVAL_CLASSES, eval_class
from laura.errors import DataError
from laura.metrics.scoring import Column, Decoded, Scorer, few_ids, read_ref_hyp

__all__ = ["OUT_OF_SET", "SERScorer", "classification_scores", "map_label"]

log = logging.getLogger(__name__)

# What an output outside the class set becomes: no reference carries it, so it is always wrong.
OUT_OF_SET = "<out-of-set>"


def map_label(label: str) -> str:
    """The scoring class of a reference or hypothesis label (``eval_class``), or ``OUT_OF_SET``."""
    cls = eval_class(label)
    return cls if cls in EVAL_CLASSES else OUT_OF_SET


def classification_scores(refs: Sequence[str], hyps: Sequence[str]) -> dict[str, Any]:
    """WA, UA and WF1 (fractions) of mapped labels, and per-class figures for the reference
    classes. Labels are compared as given (map them with ``map_label`` first)."""
    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")
    if not refs:
        raise ValueError("no utterances to score")
    r = np.asarray(refs, dtype=object)
    h = np.asarray(hyps, dtype=object)
    n = len(r)
    correct = r == h
    per_class: dict[str, dict[str, Any]] = {}
    for cls in sorted(set(refs)):
        is_ref, is_hyp = r == cls, h == cls
        tp = int(np.sum(is_ref & is_hyp))
        fp = int(np.sum(~is_ref & is_hyp))
        fn = int(np.sum(is_ref & ~is_hyp))
        support = tp + fn  # > 0: the class occurs in the references
        per_class[cls] = {
            "support": support,
            "recall": tp / support,
            # no prediction of the class: precision 0, as scikit-learn's zero_division default
            "precision": tp / (tp + fp) if tp + fp else 0.0,
            "f1": 2 * tp / (2 * tp + fp + fn),
        }
    return {
        "wa": float(np.mean(correct)),
        "ua": float(np.mean([c["recall"] for c in per_class.values()])),
        "wf1": float(sum(c["support"] * c["f1"] for c in per_class.values()) / n),
        "n_correct": int(np.sum(correct)),
        "per_class": per_class,
    }


class SERScorer(Scorer):
    """``laura score`` for SER: WA, UA and WF1 after the test-time merge (see the module doc)."""

    metric = "ser"
    columns = (
        Column("wa", "WA", "percent"),
        Column("ua", "UA", "percent"),
        Column("wf1", "WF1", "percent"),
        Column("n_out_of_set", "out of set", "int"),
        Column("n_missing", "missing hyps", "int"),
    )

    def read(self, decoded: Decoded, **options: Any) -> tuple[list[str], dict[str, Any]]:

        refs, hyps = read_ref_hyp(decoded, missing_as="wrong")
        ref_path, hyp_path = decoded.decode_dir / "ref", decoded.decode_dir / "hyp"
        ref_cls = {u: map_label(t) for u, t in refs.items()}
        bad = sorted(u for u, c in ref_cls.items() if c == OUT_OF_SET)
        if bad:
            raise DataError(
                f"{ref_path}: {len(bad)} reference labels are not SER classes (e.g. {bad[0]}: "
                f"{refs[bad[0]]!r}; classes: {', '.join(EVAL_CLASSES)} and like, happiness)"
            )
        hyp_cls = {u: map_label(hyps.get(u, "")) for u in refs}
        oos = sorted(u for u in hyps if hyp_cls[u] == OUT_OF_SET)
        if oos:
            log.warning(
                "%s: %d hypothesis label(s) are not SER classes, scored as wrong: %s",
                hyp_path,
                len(oos),
                few_ids(oos),
            )
        material = {"refs": ref_cls, "hyps": hyp_cls, "missing": set(refs) - set(hyps)}
        return sorted(refs), material

    def aggregate(
        self, material: dict[str, Any], ids: list[str], group: dict[str, str], decoded: Decoded
    ) -> dict[str, Any]:
        refs, hyps = material["refs"], material["hyps"]
        scores = classification_scores([refs[u] for u in ids], [hyps[u] for u in ids])
        scores["n_out_of_set"] = sum(hyps[u] == OUT_OF_SET for u in ids)
        scores["n_missing"] = sum(u in material["missing"] for u in ids)
        return scores

    def per_utt(self, material: dict[str, Any]) -> dict[str, Any]:
        """The mapped reference and hypothesis classes (``<out-of-set>`` for any other output;
        the raw outputs are in ``hyp``)."""
        return {
            u: {"ref": r, "hyp": material["hyps"][u], "correct": r == material["hyps"][u]}
            for u, r in sorted(material["refs"].items())
        }
