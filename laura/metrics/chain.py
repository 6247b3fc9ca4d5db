"""Scores of a chained task's decode (``laura.chains``): each step by its own task's metric, and
the chain's end-to-end figure.

- S2ST (S2TT -> TTS): the S2TT step's BLEU against the reference translations; the TTS step's
  scores against its input (the translation it was given: WER/CER by the ASR model, SECS against
  the *source* utterance, DNSMOS); end to end, **ASR-BLEU**: BLEU of the ASR model's transcripts
  of the output speech against the reference translations (the usual S2ST metric). Utterances the
  TTS step could not speak (an empty translation) count as empty outputs. Without ``asr_exp``
  the end-to-end figure is not computed, and ``not_computed`` says so.
- SE-ASR (SE -> ASR): the SE step's scores (against the clean speech); the ASR step's WER/CER
  against the transcripts, which is the end-to-end figure.

``scores.json`` of a chain: ``{"task", "metric": "chain", "steps", "parts": {step: result},
"end_to_end": result | None, "not_computed": reason | None, ...}``; each step's own
``scores.json`` is written in its sub-directory too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from laura.errors import DataError


def _step_options(task: str, options: dict[str, Any]) -> dict[str, Any]:
    from laura.data.tasks import get_task
    from laura.metrics.scoring import get_scorer

    allowed = get_scorer(get_task(task).metric, task).options
    return {k: v for k, v in options.items() if k in allowed}


def score_chain(
    decode_dir: str | Path,
    data_dir: str | Path,
    chain: str,
    *,
    by: Iterable[str] = (),
    speakers: str | Path | None = None,
    label: str = "",
    **options: Any,
) -> dict[str, Any]:
    """A chain's scores (the module doc); ``laura.metrics.scoring.score`` writes them."""
    from laura.data.kaldi import write_table
    from laura.data.records import load_records
    from laura.data.tasks import CHAINS, translation_target
    from laura.metrics.scoring import score

    spec = CHAINS[chain]
    dec = Path(decode_dir)
    info_path = dec / "decode.json"
    try:
        info = json.loads(info_path.read_text())
    except (OSError, ValueError):
        raise DataError(
            f"{info_path}: missing or unreadable (not a finished {chain} decode)"
        ) from None
    if info.get("chain") != chain:
        raise DataError(
            f"{info_path}: a decode of {info.get('chain') or info.get('task')}, not {chain}"
        )
    options = {k: v for k, v in options.items() if v is not None}
    by = list(by)
    first, second = spec.steps
    common = {"by": by, "speakers": speakers, "overwrite": True}
    parts = {
        first: score(
            dec / spec.step_dir(first),
            data_dir,
            first,
            label=f"{label} {first}".strip(),
            out=dec / spec.step_dir(first) / "scores.json",
            **common,
            **_step_options(first, options),
        ),
        second: score(
            dec / spec.step_dir(second),
            dec / spec.input_dir(second),
            second,
            label=f"{label} {second}".strip(),
            out=dec / spec.step_dir(second) / "scores.json",
            **common,
            **_step_options(second, options),
        ),
    }
    end_to_end, not_computed = None, None
    if spec.steps == ("S2TT", "TTS"):
        per_utt = parts["TTS"]["per_utt"]
        if not options.get("asr_exp"):
            not_computed = "ASR-BLEU needs an ASR model (--asr-exp)"
        else:
            records = load_records(data_dir, require_text=False, write_cache=False)
            e2e = dec / "asr_bleu"
            e2e.mkdir(exist_ok=True)
            write_table(e2e / "ref", {r["id"]: translation_target(r) for r in records})
            hyps = {r["id"]: per_utt.get(r["id"], {}).get("asr_hyp", "") for r in records}
            write_table(e2e / "hyp", {u: h for u, h in hyps.items() if h.strip()})
            end_to_end = score(
                e2e,
                data_dir,
                "S2TT",
                label=f"{label} ASR-BLEU".strip(),
                out=e2e / "scores.json",
                **common,
            )
    elif spec.steps == ("SE", "ASR"):
        end_to_end = parts["ASR"]
    result = {
        "task": chain,
        "metric": "chain",
        "steps": list(spec.steps),
        "decode": str(decode_dir),
        "data": str(data_dir),
        "label": label,
        "by": by,
        "decode_info": {k: v for k, v in info.items() if k not in ("stamp", "empty_input")},
        "parts": parts,
        "end_to_end": end_to_end,
        "not_computed": not_computed,
    }
    return result


def format_chain_table(result: dict[str, Any]) -> str:
    """Each step's table under a heading, then the end-to-end one (or why it is missing)."""
    from laura.metrics.scoring import format_table

    blocks = []
    for step in result["steps"]:
        blocks.append(f"{result['task']}, step {step}:\n\n{format_table(result['parts'][step])}")
    e2e = result.get("end_to_end")
    if e2e is not None and e2e is not result["parts"].get(result["steps"][-1]):
        blocks.append(f"{result['task']}, end to end ({e2e['label']}):\n\n{format_table(e2e)}")
    if result.get("not_computed"):
        blocks.append(f"{result['task']}, end to end: not computed ({result['not_computed']})")
    n = result["decode_info"].get("n_empty_input")
    if n:
        blocks.append(
            f"{n} utterance(s) with an empty {result['steps'][0]} output were not passed on"
        )
    return "\n\n".join(blocks)
