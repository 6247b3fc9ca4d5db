"""Word / character error rate (ASR, and the ASR-based scores of TTS and SE outputs).

Texts are normalised and tokenised with `laura.metrics.text_norm.normalize` (lower-case,
punctuation dropped; Chinese scored per character, embedded Latin words per word), then aligned
with `jiwer.process_words` (Levenshtein over tokens).

Result dicts (`error_rate`, `score_pairs`) hold:

* `errors` = `sub + ins + del`, `ref_tokens` (reference length), `hits`;
* `rate` = `errors / ref_tokens` as a fraction (0.05 = 5 %). If there are no reference tokens
  at all, `rate` is 0.0 when there are no errors and `inf` otherwise (any insertion against an
  empty reference is unboundedly bad); JSON output writes that `inf` as `null`;
* `n_utts`, `sent_err` (utterances with at least one error) and `ser` = `sent_err / n_utts`;
* `metric`: `"cer"` if every utterance was scored per character, `"wer"` if every one per
  word, `"mixed"` otherwise (per-utterance language detection on a mixed test set).

`score_pairs` also reports `missing_hyps` (reference ids without a hypothesis: scored as an
empty hypothesis, i.e. every reference token deleted) and `extra_hyps` (hypothesis ids with no
reference: ignored, logged as a warning).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import jiwer

from laura.metrics.scoring import Column, Decoded, Scorer
from laura.metrics.text_norm import detect_lang, is_char_lang, normalize

__all__ = ["cer", "error_rate", "format_table", "score_pairs", "wer"]

log = logging.getLogger(__name__)


def _utt_lang(ref: str, hyp: str, lang: str | None) -> str:
    if lang is not None and lang != "auto":
        return lang
    # the reference decides, so a wrong-script hypothesis cannot change the scoring unit
    return detect_lang(ref if ref.strip() else hyp)


def error_rate(
    refs: Sequence[str], hyps: Sequence[str], lang: str | None = None, unit: str = "auto"
) -> dict:
    """Corpus-level error rate of paired texts (see the module docstring for the keys).

    `lang`: `"en"` (word tokens), `"zh"` (character tokens), None/`"auto"`: detect per utterance.
    `unit="char"` scores every language by character (letters of English words too, spaces
    excluded): the plain character error rate.
    """
    if unit not in ("auto", "char"):
        raise ValueError(f"unit must be 'auto' or 'char', got {unit!r}")
    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")
    ref_toks: list[list[str]] = []
    hyp_toks: list[list[str]] = []
    char_mode: list[bool] = []
    for ref, hyp in zip(refs, hyps):
        ul = _utt_lang(ref, hyp, lang)
        r, h = normalize(ref, ul), normalize(hyp, ul)
        if unit == "char":
            r, h = list("".join(r)), list("".join(h))
        ref_toks.append(r)
        hyp_toks.append(h)
        char_mode.append(unit == "char" or is_char_lang(ul))

    sub = ins = dele = hits = 0
    sent_err = 0
    # jiwer 3 rejects empty references; score those by hand (every hyp token is an insertion)
    idx = [i for i, r in enumerate(ref_toks) if r]
    for i, r in enumerate(ref_toks):
        if not r:
            ins += len(hyp_toks[i])
            sent_err += bool(hyp_toks[i])
    if idx:
        out = jiwer.process_words(
            [" ".join(ref_toks[i]) for i in idx], [" ".join(hyp_toks[i]) for i in idx]
        )
        sub += out.substitutions
        ins += out.insertions
        dele += out.deletions
        hits += out.hits
        sent_err += sum(any(c.type != "equal" for c in chunks) for chunks in out.alignments)

    n_ref = sum(len(r) for r in ref_toks)
    errors = sub + ins + dele
    if n_ref:
        rate = errors / n_ref
    else:
        rate = 0.0 if errors == 0 else math.inf
    n = len(refs)
    if char_mode and all(char_mode):
        metric = "cer"
    elif not any(char_mode):
        metric = "wer"
    else:
        metric = "mixed"
    return {
        "metric": metric,
        "rate": rate,
        "errors": errors,
        "ref_tokens": n_ref,
        "hyp_tokens": sum(len(h) for h in hyp_toks),
        "hits": hits,
        "sub": sub,
        "ins": ins,
        "del": dele,
        "n_utts": n,
        "sent_err": sent_err,
        "ser": sent_err / n if n else 0.0,
    }


def wer(refs: Sequence[str], hyps: Sequence[str]) -> float:
    """Word error rate (fraction) with word tokens; use `error_rate` for the counts."""
    return error_rate(refs, hyps, lang="en")["rate"]


def cer(refs: Sequence[str], hyps: Sequence[str]) -> float:
    """Character error rate (fraction) over every character but spaces, in any language;
    use `error_rate(..., unit="char")` for the counts."""
    return error_rate(refs, hyps, unit="char")["rate"]


def _few(ids: list[str]) -> tuple[int, str]:
    """How many ids, and the first five of them (for a log line)."""
    return len(ids), ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")


def score_pairs(
    ref_map: Mapping[str, str],
    hyp_map: Mapping[str, str],
    lang: str | None = None,
    unit: str = "auto",
) -> dict:
    """Score hypotheses against references by utterance id.

    Every reference id is scored; a missing hypothesis counts as an empty one (all reference
    tokens deleted) and is counted in `missing_hyps`. Hypotheses without a reference are ignored
    and counted in `extra_hyps`. Both are logged as warnings.
    """
    ids = list(ref_map)
    missing = [u for u in ids if u not in hyp_map]
    extra = [u for u in hyp_map if u not in ref_map]
    if missing:
        log.warning("%d utterance(s) have no hypothesis, scored as deletions: %s", *_few(missing))
    if extra:
        log.warning("%d hypothesis id(s) have no reference and are ignored: %s", *_few(extra))
    result = error_rate([ref_map[u] for u in ids], [hyp_map.get(u, "") for u in ids], lang, unit)
    result["missing_hyps"] = len(missing)
    result["extra_hyps"] = len(extra)
    return result


def score_by_lang(
    refs: Mapping[str, str], hyps: Mapping[str, str], langs: Mapping[str, str]
) -> dict[str, dict]:
    """``score_pairs`` per language (``langs``: utterance -> language, e.g. "auto" when
    unknown) over the utterances of ``refs`` with a non-empty reference text."""
    out = {}
    for lang in sorted({langs[u] for u in refs}):
        sel = {u: t for u, t in refs.items() if t and langs[u] == lang}
        if sel:
            out[lang] = score_pairs(sel, {u: hyps.get(u, "") for u in sel}, lang=lang)
    return out


def _pct(x: float) -> str:
    return "inf" if math.isinf(x) else f"{100 * x:.2f}%"


def format_table(result: Mapping[str, object]) -> str:
    """A two-line text table of a result dict."""
    head = ["metric", "rate", "errors", "ref_tokens", "sub", "ins", "del", "utts", "SER"]
    row = [
        str(result["metric"]).upper(),
        _pct(result["rate"]),  # type: ignore[arg-type]
        *(str(result[k]) for k in ("errors", "ref_tokens", "sub", "ins", "del", "n_utts")),
        _pct(result["ser"]),  # type: ignore[arg-type]
    ]
    widths = [max(len(a), len(b)) for a, b in zip(head, row)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip() for cells in (head, row)
    )


class WERScorer(Scorer):
    """``TaskSpec.metric == "wer"`` in ``laura score``: the decode dir's ``hyp`` against its
    ``ref`` (the targets the model was given), each language scored its own way."""

    metric = "wer"
    columns = (
        Column("metric", "metric", "text"),
        Column("rate", "error rate", "percent"),
        Column("sub", "sub", "int"),
        Column("ins", "ins", "int"),
        Column("del", "del", "int"),
    )

    def read(self, decoded: Decoded, **options: Any) -> tuple[list[str], dict[str, Any]]:
        from laura.data.kaldi import read_table
        from laura.errors import DataError

        refs = read_table(decoded.decode_dir / "ref")
        hyps = read_table(decoded.decode_dir / "hyp")
        missing = sorted(set(refs) - set(decoded.records))
        if missing:
            raise DataError(
                f"{decoded.decode_dir / 'ref'}: {len(missing)} utterances not in "
                f"{decoded.data_dir} (e.g. {missing[0]})"
            )
        return sorted(refs), {"refs": refs, "hyps": hyps}

    def aggregate(
        self, material: dict[str, Any], ids: list[str], group: dict[str, str], decoded: Decoded
    ) -> dict[str, Any]:
        refs, hyps = material["refs"], material["hyps"]
        lang = group.get("lang")
        r = score_pairs(
            {u: refs[u] for u in ids},
            {u: hyps[u] for u in ids if u in hyps},
            lang=None if lang in (None, "all") else lang,
        )
        r["metric"] = r["metric"].upper()
        return r
