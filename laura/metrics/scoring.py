"""One scoring path for every task: a decode dir and the data dir it decoded -> the task's metric
(``TaskSpec.metric``), overall and per group, as one ``scores.json`` schema and one Markdown table.

    laura score --task ASR --decode exp/x/decode_test --data data/asr/test --by lang,voice

A metric is a ``Scorer`` (one module per metric, registered in ``SCORERS``): ``read`` gathers
per-utterance material once (texts, transcripts, per-utterance PESQ ...), ``aggregate`` turns the
material of any subset of utterances into the metric's figures; ``group_by`` makes the subsets.
Groups (``--by``, any of):

- ``lang``: ``utt2lang`` of the data dir (a text metric then scores each language its own way:
  WER for English, CER for Mandarin);
- ``voice``: all voices, and the held-out ones (``speakers.tsv`` of the mini corpus);
- ``snr``: ``utt2snr`` (SE test sets).

The first row is always every utterance. ``scores.json``::

    {"task", "metric", "decode", "data", "label", "by": [...], "decode_info": {...},
     "groups": [{"group": {"lang": "en", ...}, "n_utts": N, "scores": {...}}, ...],
     "per_utt": {...}}
"""

from __future__ import annotations

import importlib
import itertools
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from laura.errors import ConfigError, DataError

ALL = "all"
log = logging.getLogger(__name__)


@dataclass
class Decoded:
    """A decode dir and the data it decoded, as the scorers read them."""

    task: Any  # the TaskSpec
    decode_dir: Path
    data_dir: Path
    records: dict[str, dict[str, Any]]  # utterance id -> record of the data dir
    info: dict[str, Any] = field(default_factory=dict)  # decode.json


@dataclass(frozen=True)
class Column:
    key: str  # in a group's scores
    header: str
    kind: str = "float"  # float (3 decimals) | percent | int | text


class Scorer:
    """One metric. ``options`` names the keyword options ``read`` takes (``laura score`` refuses
    others by name)."""

    metric: ClassVar[str]
    options: ClassVar[tuple[str, ...]] = ()
    columns: ClassVar[tuple[Column, ...]] = ()

    def read(self, decoded: Decoded, **options: Any) -> tuple[list[str], dict[str, Any]]:
        """The utterance ids scored, and the per-utterance material ``aggregate`` reads."""
        raise NotImplementedError

    def aggregate(
        self, material: dict[str, Any], ids: list[str], group: dict[str, str], decoded: Decoded
    ) -> dict[str, Any]:
        raise NotImplementedError

    def per_utt(self, material: dict[str, Any]) -> dict[str, Any]:
        """What ``scores.json`` keeps per utterance."""
        return {}

    def columns_for(self, groups: list[dict[str, Any]]) -> tuple[Column, ...]:
        """The table's columns for these groups (a metric may add some per language)."""
        return self.columns


def few_ids(ids: Sequence[str]) -> str:
    """The first five of ``ids`` for a log line ("a, b, c, d, e ...")."""
    return ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")


def read_ref_hyp(
    decoded: Decoded, missing_as: str = "empty"
) -> tuple[dict[str, str], dict[str, str]]:
    """The decode dir's ``ref`` and ``hyp`` (what ``laura decode`` writes for a text task),
    checked for every text scorer alike: references exist and are utterances of the data dir, and
    every hypothesis has a reference (decode writes both together: one without means the two
    files do not belong together). A reference without a hypothesis is logged (scored as
    ``missing_as``); the scorer counts it in its figures."""
    from laura.data.kaldi import read_table

    ref_path, hyp_path = decoded.decode_dir / "ref", decoded.decode_dir / "hyp"
    refs, hyps = read_table(ref_path), read_table(hyp_path)
    if not refs:
        raise DataError(f"{ref_path}: no utterances to score")
    unknown = sorted(set(refs) - set(decoded.records))
    if unknown:
        raise DataError(
            f"{ref_path}: {len(unknown)} utterances not in {decoded.data_dir} (e.g. {unknown[0]})"
        )
    extra = sorted(set(hyps) - set(refs))
    if extra:
        raise DataError(
            f"{hyp_path}: {len(extra)} utterances have no reference in {ref_path} (e.g. {extra[0]})"
        )
    return refs, hyps


# metric (TaskSpec.metric) -> "module:Scorer class"; imported when used
SCORERS: dict[str, str] = {
    "wer": "laura.metrics.wer:WERScorer",
    "bleu": "laura.metrics.bleu:BLEUScorer",
    "slu": "laura.metrics.slu:SLUScorer",
    "ser": "laura.metrics.ser:SERScorer",
    "caption": "laura.metrics.caption:CaptionScorer",
    "se": "laura.metrics.audio_outputs:AudioOutputScorer",
    "tts": "laura.metrics.audio_outputs:AudioOutputScorer",
}


def get_scorer(metric: str, task: str) -> Scorer:
    if metric not in SCORERS:
        raise ConfigError(
            f"task {task}: no scorer for its metric {metric!r} yet (laura scores: "
            f"{', '.join(sorted(SCORERS))})"
        )
    module, cls = SCORERS[metric].split(":")
    return getattr(importlib.import_module(module), cls)()


# --- groups -------------------------------------------------------------------------------------

GROUP_HEADERS = {"lang": "lang", "voice": "voices", "snr": "SNR (dB)"}
ALL_LABELS = {"voice": "all voices"}  # the label of a dimension's every-utterance group


def heldout_voices(speakers_tsv: str | Path) -> set[str]:
    """Speakers marked held out (``heldout`` column 1/true) in a mini-corpus ``speakers.tsv``."""
    import csv

    path = Path(speakers_tsv)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if rows and "heldout" not in rows[0]:
        raise DataError(f"{path}: no 'heldout' column")
    return {r["spk"] for r in rows if r.get("heldout") in ("1", "True", "true")}


def _labels(dim: str, rec: dict[str, Any], heldout: set[str] | None) -> list[str]:
    """The groups of dimension ``dim`` an utterance belongs to (besides ``all``)."""
    if dim == "lang":
        return [str(rec.get("lang") or "auto")]
    if dim == "snr":
        return [] if rec.get("snr") is None else [f"{float(rec['snr']):g}"]
    if dim == "voice":
        held = heldout is not None and rec.get("speaker") in heldout
        return ["held-out voices"] if held else []
    raise ConfigError(f"--by {dim}: group by lang, voice or snr")


def _order(label: str) -> tuple[int, float, str]:
    if label == ALL or label in ALL_LABELS.values():
        return (0, 0.0, "")
    try:
        return (1, float(label), "")
    except ValueError:
        return (1, 0.0, label)


def group_by(
    ids: Sequence[str],
    records: dict[str, dict[str, Any]],
    by: Sequence[str],
    heldout: set[str] | None = None,
) -> list[tuple[dict[str, str], list[str]]]:
    """(group, ids) for every combination of the dimensions' labels that has utterances; each
    dimension also has ``all`` (``all voices``), and the all-utterance group comes first."""
    if "voice" in by and heldout is None:
        raise ConfigError("--by voice needs --speakers (speakers.tsv with a heldout column)")
    members: dict[tuple[str, ...], list[str]] = {}
    for u in ids:
        per_dim = [[ALL_LABELS.get(d, ALL), *_labels(d, records[u], heldout)] for d in by]
        for combo in itertools.product(*per_dim):
            members.setdefault(tuple(combo), []).append(u)
    keys = sorted(members, key=lambda k: [_order(x) for x in k])
    return [(dict(zip(by, k)), members[k]) for k in keys]


# --- the path -----------------------------------------------------------------------------------


def score(
    decode_dir: str | Path,
    data_dir: str | Path,
    task: str,
    *,
    by: Iterable[str] = (),
    speakers: str | Path | None = None,
    label: str = "",
    out: str | Path | None = None,
    overwrite: bool = False,
    skip_done: bool = False,
    **options: Any,
) -> dict[str, Any]:
    """Score ``decode_dir`` (what ``laura decode`` wrote) against ``data_dir`` with ``task``'s
    metric; write ``out`` (JSON; refused if it exists, unless ``overwrite``, before any work).

    ``skip_done``: return the result ``out`` holds when it scored the same decode and data with
    the same options (``score_stamp``), and record the stamp in a new one."""
    from laura.data.tasks import CHAINS
    from laura.io import atomic_write_json, check_output_file

    by = [b.strip() for b in by if b.strip()]
    for b in by:
        if b not in GROUP_HEADERS:
            raise ConfigError(f"--by {b}: group by lang, voice or snr")
    stamp = None
    if skip_done and out is not None:
        from laura.stamps import done_before

        stamp = score_stamp(decode_dir, data_dir, task, by, speakers, label, options)
        done = done_before(out, stamp)
        if done is not None:
            print(f"{out}: scored before from the same decode, data and options (skipped)")
            return done
    check_output_file(out, overwrite)
    if task in CHAINS:
        from laura.metrics.chain import score_chain

        result = score_chain(
            decode_dir, data_dir, task, by=by, speakers=speakers, label=label, **options
        )
    else:
        result = _score_task(decode_dir, data_dir, task, by, speakers, label, options)
    if stamp is not None:
        result["stamp"] = stamp
    if out is not None:
        atomic_write_json(out, _strict_json(result))
    return result


def score_stamp(
    decode_dir: str | Path,
    data_dir: str | Path,
    task: str,
    by: list[str],
    speakers: str | Path | None,
    label: str,
    options: dict[str, Any],
) -> dict[str, Any]:
    """What a score is of, for ``skip_done`` (``laura.stamps``): the decode dir's and the data
    dir's fingerprints (the decode's ``hyp`` and ``decode.json`` by content), the speakers
    table's content, the ASR model's weights and config (``asr_exp``) and the other options."""
    from laura.stamps import digest, dir_digest, experiment_digest, file_digest

    opts = {k: v for k, v in options.items() if v is not None}
    if opts.get("asr_exp"):
        opts["asr_exp"] = experiment_digest(opts["asr_exp"])
    return {
        "decode": dir_digest(decode_dir, ("hyp", "decode.json")),
        "data": dir_digest(data_dir),
        "task": task,
        "by": list(by),
        "speakers": file_digest(speakers),
        "label": label,
        "options": digest(opts),
    }


def _score_task(
    decode_dir: str | Path,
    data_dir: str | Path,
    task: str,
    by: list[str],
    speakers: str | Path | None,
    label: str,
    options: dict[str, Any],
) -> dict[str, Any]:
    """One basic task's scores (``score`` without the output file)."""
    from laura.data.records import load_records
    from laura.data.tasks import get_task

    spec = get_task(task)
    scorer = get_scorer(spec.metric, task)
    unknown = sorted(k for k, v in options.items() if v is not None and k not in scorer.options)
    if unknown:
        raise ConfigError(
            f"task {task} (metric {spec.metric}): option(s) {', '.join(unknown)} do not apply"
        )
    options = {k: v for k, v in options.items() if v is not None}
    dec = Path(decode_dir)
    if not dec.is_dir():
        raise DataError(f"{dec}: decode dir does not exist")
    records = {
        r["id"]: r for r in load_records(data_dir, require_text=spec.needs_text, write_cache=False)
    }
    info_path = dec / "decode.json"
    info = json.loads(info_path.read_text()) if info_path.is_file() else {}
    decoded = Decoded(spec, dec, Path(data_dir), records, info)
    heldout = heldout_voices(speakers) if speakers else None
    ids, material = scorer.read(decoded, **options)
    groups = [
        {
            "group": group,
            "n_utts": len(members),
            "scores": scorer.aggregate(material, members, group, decoded),
        }
        for group, members in group_by(ids, records, by, heldout)
    ]
    result = {
        "task": spec.name,
        "metric": spec.metric,
        "decode": str(decode_dir),
        "data": str(data_dir),
        "label": label,
        "by": by,
        "decode_info": {k: v for k, v in info.items() if k not in ("config", "per_utt")},
        "groups": groups,
        "per_utt": scorer.per_utt(material),
    }
    return result


def _strict_json(obj: Any) -> Any:
    """NaN and Infinity are not JSON: written as null."""
    import math

    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    if isinstance(obj, dict):
        return {k: _strict_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_strict_json(v) for v in obj]
    return obj


# --- the table ----------------------------------------------------------------------------------


def _cell(value: Any, kind: str) -> str:
    import math

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if kind == "percent":
        return "inf" if math.isinf(value) else f"{100 * value:.1f}%"
    if kind == "float":
        return f"{value:.3f}"
    return str(value)


def format_table(result: dict[str, Any]) -> str:
    """One Markdown table: a row per group, the metric's columns that have a value, then the
    utterance count and the decode's loop ratio (share of outputs cut at their maximum length).
    A chained task's result: each step's table, then the end-to-end one."""
    if result["metric"] == "chain":
        from laura.metrics.chain import format_chain_table

        return format_chain_table(result)
    scorer = get_scorer(result["metric"], result["task"])
    by = result["by"]
    groups = result["groups"]
    cols = [
        c
        for c in scorer.columns_for(groups)
        if any(g["scores"].get(c.key) is not None for g in groups)
    ]
    head = [
        "model",
        *(GROUP_HEADERS[b] for b in by),
        *(c.header for c in cols),
        "utts",
        "loop ratio",
    ]
    align = ["---", *("---" for _ in by), *("---:" for _ in cols), "---:", "---:"]
    loop = result["decode_info"].get("loop_ratio")
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
    for g in result["groups"]:
        cells = [
            result["label"] or result["decode"],
            *(g["group"][b] for b in by),
            *(_cell(g["scores"].get(c.key), c.kind) for c in cols),
            str(g["n_utts"]),
            _cell(loop, "float"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
