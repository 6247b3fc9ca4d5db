"""BLEU and chrF of speech-to-text translation (``TaskSpec.metric == "bleu"``, task S2TT).

The decode dir's ``hyp`` is scored against its ``ref`` (the translations the model was given)
with sacrebleu: corpus BLEU (``sacrebleu.metrics.BLEU``, its defaults: exponential smoothing,
case-sensitive) and, beside it, chrF (``sacrebleu.metrics.CHRF`` defaults: character 6-grams,
beta 2). BLEU's tokenizer follows the *output* language: ``zh`` (each CJK character a token) for
Chinese, ``13a`` (sacrebleu's default, the WMT ``mteval-v13a`` rules) for every other language.
chrF needs no tokenizer. Scores are on sacrebleu's 0-100 scale, as the sacrebleu CLI prints them.

Output language. The output language of an utterance is that of its translation target: the
record's ``text_<lang>`` field that ``laura.data.tasks.translation_target`` picks (a language
other than the source ``lang``). ``laura score --by lang`` groups by the *source* language
(``utt2lang``); on an en<->zh test set (the mini corpus) that fixes the direction, but the
all-utterances row mixes both directions.

Grouping choice: BLEU is never computed over a mix of output languages (its n-gram statistics
would pool Chinese characters with English words under two tokenizers). Every group gets one
pair of figures per output language present in it, ``bleu_<out>`` and ``chrf_<out>`` (``bleu_zh``
is BLEU of the translations into Chinese), and the table has a column per output language,
headed ``BLEU to zh`` etc.; so the ``en`` row (English speech) fills the ``to zh`` columns, the
all row fills both. ``bleu`` and ``chrf`` hold the same figures when a group has a single output
language and are None when it has several (no mixed number exists to report). ``output_langs``
gives per output language the utterance count, the BLEU details (n-gram precisions, brevity
penalty, lengths) and the sacrebleu signature.

Bad input:

* a reference id with no line in ``hyp`` is scored as an empty hypothesis (it lowers BLEU
  through the brevity penalty) and counted: ``n_missing``; ``n_empty`` counts every utterance
  scored with an empty hypothesis (missing ones included). Both are logged as warnings;
* ``ref`` ids not in the data dir, ``hyp`` ids without a reference, and records without a
  translation field raise ``DataError`` naming the file.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from laura.errors import DataError
from laura.metrics.scoring import Column, Decoded, Scorer, read_ref_hyp

__all__ = ["BLEUScorer", "bleu_tokenizer", "corpus_scores", "output_lang"]

log = logging.getLogger(__name__)


def bleu_tokenizer(lang: str) -> str:
    """sacrebleu's BLEU tokenizer for text in ``lang``: ``zh`` for Chinese, ``13a`` otherwise."""
    base = lang.lower().replace("_", "-").split("-")[0]
    return "zh" if base in ("zh", "cmn") else "13a"


def output_lang(record: dict[str, Any]) -> str:
    """The language of an S2TT record's translation target (``<lang>`` of its ``text_<lang>``).

    Raises ``ValueError`` (from ``translation_target``) when the record has no translation."""
    from laura.data.tasks import translation_target

    # Ask translation_target which text it takes, so the two cannot disagree on the choice.
    target = translation_target(record)
    src = record.get("lang")
    for key in sorted(record):
        if key.startswith("text_") and key != f"text_{src}" and str(record[key]) == target:
            return key[len("text_") :]
    raise ValueError(f"utterance {record.get('id')}: no text_<lang> field holds its translation")


def corpus_scores(refs: Sequence[str], hyps: Sequence[str], lang: str) -> dict[str, Any]:
    """Corpus BLEU and chrF (0-100) of ``hyps`` against ``refs`` (one reference each), written
    in ``lang`` (which chooses BLEU's tokenizer), with BLEU's details and signature."""
    from sacrebleu.metrics import BLEU, CHRF

    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")
    bleu = BLEU(tokenize=bleu_tokenizer(lang))
    chrf = CHRF()
    b = bleu.corpus_score(list(hyps), [list(refs)])
    c = chrf.corpus_score(list(hyps), [list(refs)])
    return {
        "bleu": float(b.score),
        "chrf": float(c.score),
        "n_utts": len(refs),
        "tokenize": bleu_tokenizer(lang),
        "precisions": [float(p) for p in b.precisions],
        "bp": float(b.bp),
        "sys_len": int(b.sys_len),
        "ref_len": int(b.ref_len),
        "bleu_signature": str(bleu.get_signature()),
        "chrf_signature": str(chrf.get_signature()),
    }


class BLEUScorer(Scorer):
    """``laura score`` for S2TT: BLEU and chrF per output language (see the module docstring)."""

    metric = "bleu"
    # the per-output-language columns come first (columns_for); these follow them
    columns = (
        Column("n_empty", "empty hyps", "int"),
        Column("n_missing", "missing hyps", "int"),
    )

    def read(self, decoded: Decoded, **options: Any) -> tuple[list[str], dict[str, Any]]:

        refs, hyps = read_ref_hyp(decoded)
        out_lang: dict[str, str] = {}
        for u in refs:
            try:
                out_lang[u] = output_lang(decoded.records[u])
            except ValueError as e:
                raise DataError(f"{decoded.data_dir}: {e}") from None
        return sorted(refs), {"refs": refs, "hyps": hyps, "out_lang": out_lang}

    def aggregate(
        self, material: dict[str, Any], ids: list[str], group: dict[str, str], decoded: Decoded
    ) -> dict[str, Any]:
        refs, hyps, out_lang = material["refs"], material["hyps"], material["out_lang"]
        scores: dict[str, Any] = {}
        details: dict[str, dict[str, Any]] = {}
        for lang in sorted({out_lang[u] for u in ids}):
            sel = [u for u in ids if out_lang[u] == lang]
            r = corpus_scores([refs[u] for u in sel], [hyps.get(u, "") for u in sel], lang)
            scores[f"bleu_{lang}"] = r["bleu"]
            scores[f"chrf_{lang}"] = r["chrf"]
            details[lang] = r
        single = next(iter(details.values())) if len(details) == 1 else None
        scores["bleu"] = single["bleu"] if single else None
        scores["chrf"] = single["chrf"] if single else None
        scores["n_missing"] = sum(u not in hyps for u in ids)
        scores["n_empty"] = sum(not hyps.get(u, "").strip() for u in ids)
        scores["output_langs"] = details
        return scores

    def columns_for(self, groups: list[dict[str, Any]]) -> tuple[Column, ...]:
        """BLEU and chrF per output language (``BLEU to zh`` ...), then the fixed columns."""
        langs = sorted({lang for g in groups for lang in (g["scores"].get("output_langs") or {})})
        per_lang = [
            col
            for lang in langs
            for col in (
                Column(f"bleu_{lang}", f"BLEU to {lang}"),
                Column(f"chrf_{lang}", f"chrF to {lang}"),
            )
        ]
        return (*per_lang, *self.columns)
