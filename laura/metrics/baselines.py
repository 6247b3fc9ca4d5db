"""Trivial baselines of the text-output tasks, written as decode dirs so that ``laura score``
scores them on the same path as a model:

- ASR: the empty output (every word deleted: 100% WER, the figure a model must get below);
- SER: the majority class of the training set (its UA is chance, 1/classes);
- SLU: the majority intent of the training set, without slots;
- S2TT: the best constant output: of the training set's translations into each output language,
  the one with the highest corpus BLEU on the dev set, output for every test utterance into that
  language;
- AAC: the best constant caption: of the training set's captions, the one with the highest
  CIDEr-D on the dev set (every reference caption), output for every test clip.

Candidates for a best constant are the most frequent training output and an evenly spread sample
of the rest (``max_candidates``): chosen on dev, scored on test, like a model.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from laura.errors import ConfigError, DataError

KINDS = {
    "ASR": "empty output",
    "SER": "majority class of the training set",
    "SLU": "majority intent of the training set",
    "S2TT": "best constant output (the training translation with the highest dev BLEU)",
    "AAC": "best constant caption (the training caption with the highest dev CIDEr-D)",
}


def _records(data_dir: str | Path) -> list[dict[str, Any]]:
    from laura.data.records import load_records

    return load_records(data_dir, check_audio=False, require_text=False, write_cache=False)


def _candidates(texts: list[str], max_candidates: int) -> list[str]:
    counts = Counter(t for t in texts if t.strip())
    if not counts:
        raise DataError("no training output to choose a constant from")
    ranked = [t for t, _ in counts.most_common()]
    rest = sorted(ranked[1:])
    step = max(1, len(rest) // max(1, max_candidates - 1))
    return [ranked[0], *rest[::step][: max_candidates - 1]]


def _majority(values: list[str], what: str, source: str | Path) -> str:
    counts = Counter(v for v in values if v)
    if not counts:
        raise DataError(f"{source}: no {what} to take the majority of")
    # ties: the first in sorted order, so the choice does not depend on the file order
    top = max(counts.values())
    return sorted(v for v, c in counts.items() if c == top)[0]


def _best(scored: list[tuple[float, str]]) -> tuple[float, str]:
    """The highest-scoring candidate; on a tie the earliest (the most frequent output first)."""
    top = max(score for score, _ in scored)
    return next((score, c) for score, c in scored if score == top)


def best_constant_bleu(
    train: list[dict[str, Any]], dev: list[dict[str, Any]], max_candidates: int = 200
) -> dict[str, dict[str, Any]]:
    """Per output language: the training translation with the highest dev corpus BLEU."""
    from laura.data.tasks import translation_target
    from laura.metrics.bleu import corpus_scores, output_lang

    out: dict[str, dict[str, Any]] = {}
    langs = sorted({output_lang(r) for r in dev})
    for lang in langs:
        refs = [translation_target(r) for r in dev if output_lang(r) == lang]
        pool = [translation_target(r) for r in train if output_lang(r) == lang]
        if not pool:
            raise DataError(f"no training translation into {lang} to choose a constant from")
        scored = [
            (corpus_scores(refs, [c] * len(refs), lang)["bleu"], c)
            for c in _candidates(pool, max_candidates)
        ]
        bleu, best = _best(scored)
        out[lang] = {"output": best, "dev_bleu": bleu, "candidates": len(scored)}
    return out


def best_constant_caption(
    spec: Any, train: list[dict[str, Any]], dev: list[dict[str, Any]], max_candidates: int = 200
) -> dict[str, Any]:
    """The training caption with the highest CIDEr-D on the dev clips (all their captions)."""
    from laura.metrics.caption import cider_d, ptb_tokenize

    pool = [c for r in train for c in spec.references_of(r)]
    cands = _candidates(pool, max_candidates)
    dev_refs = [[c for c in spec.references_of(r) if c.strip()] for r in dev]
    tokens = iter(ptb_tokenize(cands + [c for rs in dev_refs for c in rs]))
    tok_cands = [next(tokens) for _ in cands]
    tok_refs = [[next(tokens) for _ in rs] for rs in dev_refs]
    scored = [(cider_d([t] * len(tok_refs), tok_refs)[0], c) for t, c in zip(tok_cands, cands)]
    score, best = _best(scored)
    return {"output": best, "dev_cider_d": score, "candidates": len(scored)}


def write_baseline(
    task: str,
    train_dir: str | Path,
    dev_dir: str | Path | None,
    data_dir: str | Path,
    out_dir: str | Path,
    overwrite: bool = False,
    max_candidates: int = 200,
    skip_done: bool = False,
) -> dict[str, Any]:
    """Write the trivial baseline of ``task`` on ``data_dir`` as a decode dir (hyp, ref,
    decode.json with what was chosen and how). ``skip_done``: keep an ``out_dir`` made from the
    same data dirs and options (``laura.stamps``; its scores.json survives with it)."""
    from laura.data.kaldi import write_table
    from laura.data.tasks import get_task, slu_target
    from laura.io import atomic_write_json, check_output_dir, staged_dir
    from laura.metrics.bleu import output_lang
    from laura.stamps import dir_digest, done_before

    if task not in KINDS:
        raise ConfigError(f"task {task}: no trivial baseline (laura has: {', '.join(KINDS)})")
    stamp = None
    if skip_done:
        stamp = {
            "data": [dir_digest(d) if d else None for d in (train_dir, dev_dir, data_dir)],
            "task": task,
            "max_candidates": max_candidates,
        }
        done = done_before(Path(out_dir) / "decode.json", stamp)
        if done is not None:
            print(f"{out_dir}: made before from the same data and options (skipped)")
            return done
    check_output_dir(out_dir, overwrite, "baseline output dir")
    spec = get_task(task)
    test = _records(data_dir)
    needs_dev = task in ("S2TT", "AAC")
    if needs_dev and dev_dir is None:
        raise ConfigError(f"task {task}: the best constant output is chosen on a dev set (--dev)")
    train = _records(train_dir) if task != "ASR" else []
    dev = _records(dev_dir) if needs_dev and dev_dir is not None else []
    choice: dict[str, Any] = {}
    if task == "ASR":
        hyps = {r["id"]: "" for r in test}
    elif task == "SER":
        label = _majority([str(r.get("emotion") or "") for r in train], "emotion labels", train_dir)
        choice = {"output": label}
        hyps = {r["id"]: label for r in test}
    elif task == "SLU":
        intent = _majority([str(r.get("intent") or "") for r in train], "intents", train_dir)
        choice = {"output": slu_target({"id": "-", "intent": intent})}
        hyps = {r["id"]: choice["output"] for r in test}
    elif task == "S2TT":
        choice = best_constant_bleu(train, dev, max_candidates)
        missing = sorted({output_lang(r) for r in test} - set(choice))
        if missing:
            raise DataError(f"{dev_dir}: no translation into {missing} to choose a constant on")
        hyps = {r["id"]: choice[output_lang(r)]["output"] for r in test}
    else:  # AAC
        choice = best_constant_caption(spec, train, dev, max_candidates)
        hyps = {r["id"]: choice["output"] for r in test}
    refs = {r["id"]: spec.references_of(r)[0] for r in test}
    info = {
        "task": task,
        "baseline": KINDS[task],
        "choice": choice,
        "train": str(train_dir),
        "dev": str(dev_dir) if needs_dev else None,
        "data_dir": str(data_dir),
        "n_utts": len(test),
        "loop_ratio": 0.0,
    }
    if stamp is not None:
        info["stamp"] = stamp
    with staged_dir(out_dir, overwrite, "baseline output dir") as stage:
        write_table(stage / "hyp", hyps)
        write_table(stage / "ref", refs)
        atomic_write_json(stage / "decode.json", info)
    return info
