"""Chained tasks (``laura.data.tasks.CHAINS``): two basic tasks decoded in turn by one model, the
first one's output the second one's input (the paper's "complex tasks").

    laura decode --exp EXP --data data/s2tt/test --task S2ST --vocoder VOC --out OUT

writes, in ``OUT``::

    s2tt/              the first step's decode dir (hyp, ref, decode.json)
    data_tts/          the second step's input, a Kaldi-style data dir made from the first's output
    tts/               the second step's decode dir (wav/, wav.scp, png/ ...)
    decode.json        what was chained, and each step's summary (written last: the chain is done)

The derived data dirs:

- S2ST (S2TT -> TTS): ``text`` is the translation the model wrote, ``utt2lang`` its language,
  ``wav.scp`` the source utterance (the TTS scorer's reference recording: SECS then measures how
  much of the source voice the output keeps), ``utt2spk`` the source speaker. Utterances whose
  translation came out empty cannot be spoken: they are left out of the TTS step and counted
  (``n_empty_input``); the end-to-end score counts them as empty outputs.
- S2ST-personal: the same, and ``utt2prompt`` names the utterance itself, whose codec tokens (the
  vocoder's codec, first group) start the TTS output: the source speech is the voice prompt.
- SE-ASR (SE -> ASR): ``wav.scp`` is the enhanced speech, ``text`` the source's transcript,
  ``utt2snr`` kept for per-SNR scores.

Utterances must be whole files (no ``segments``): the derived dirs name audio files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from laura.data.errors import DataError
from laura.io import check_output_dir

# what a step's decode.json keeps in the chain's summary
_SUMMARY = ("task", "n_utts", "loop_ratio", "seconds", "rtf", "mean_tokens", "vocoder")


def decode_chain(
    exp_dir: str | Path,
    data_dir: str | Path,
    out_dir: str | Path,
    chain: str,
    vocoder: str | Path | None,
    weights: str | Path | None = None,
    overrides: list[str] | None = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Decode the chain's steps into ``out_dir`` (see the module doc); returns its summary (the
    caller writes it to ``decode.json``, last)."""
    from laura.data.records import load_records
    from laura.data.tasks import CHAINS, get_task
    from laura.decode import decode

    spec = CHAINS[chain]
    first, second = spec.steps
    if any(get_task(t).output_kind == "audio" for t in spec.steps) and vocoder is None:
        raise ValueError(f"task {chain} has an audio step: give --vocoder <vocoder dir>")
    check_output_dir(out_dir, overwrite, "decode output dir")
    records = load_records(data_dir, require_text=get_task(first).needs_text, write_cache=False)
    if any(r.get("start") is not None for r in records):
        raise DataError(f"{data_dir}: chained tasks read whole files; this dir has segments")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "decode.json").unlink(missing_ok=True)  # written again when every step is done

    def run(task: str, data: Path | str) -> dict[str, Any]:
        voc = vocoder if get_task(task).output_kind == "audio" else None
        return decode(
            exp_dir, data, out / spec.step_dir(task), weights, overrides, task, voc, overwrite=True
        )

    info1 = run(first, data_dir)
    derived = out / spec.input_dir(second)
    skipped = make_step_input(spec.name, records, out / spec.step_dir(first), derived)
    if spec.voice_prompt:
        _prompt_tokens(derived, vocoder)
    info2 = run(second, derived)
    return {
        "chain": spec.name,
        "steps": list(spec.steps),
        "exp_dir": str(exp_dir),
        "data_dir": str(data_dir),
        "n_utts": len(records),
        "n_empty_input": len(skipped),
        "empty_input": skipped,
        "parts": {
            t: {k: i.get(k) for k in _SUMMARY if k in i}
            for t, i in ((first, info1), (second, info2))
        },
    }


def make_step_input(
    chain: str, records: list[dict[str, Any]], first_out: Path, derived: Path
) -> list[str]:
    """Write the second step's data dir from the source ``records`` and the first step's output
    dir; returns the utterances left out (an empty first output cannot be a TTS input)."""
    import shutil

    from laura.data.kaldi import read_table, write_table
    from laura.data.tasks import CHAINS

    spec = CHAINS[chain]
    if derived.exists():
        shutil.rmtree(derived)
    derived.mkdir(parents=True)
    tables: dict[str, dict[str, str]] = {"wav.scp": {}, "text": {}, "utt2spk": {}, "utt2lang": {}}
    skipped: list[str] = []
    if spec.steps == ("S2TT", "TTS"):
        from laura.metrics.bleu import output_lang

        hyps = read_table(first_out / "hyp")
        for r in records:
            uid = r["id"]
            text = " ".join(hyps.get(uid, "").split())
            if not text:
                skipped.append(uid)
                continue
            tables["wav.scp"][uid] = str(r["audio"])
            tables["text"][uid] = text
            tables["utt2spk"][uid] = str(r.get("speaker") or uid)
            tables["utt2lang"][uid] = output_lang(r)
            if spec.voice_prompt:
                tables.setdefault("utt2prompt", {})[uid] = uid
    elif spec.steps == ("SE", "ASR"):
        from laura.data.kaldi import read_wav_scp

        enhanced = read_wav_scp(first_out / "wav.scp")
        for r in records:
            uid = r["id"]
            if uid not in enhanced:
                skipped.append(uid)
                continue
            tables["wav.scp"][uid] = enhanced[uid]
            tables["text"][uid] = str(r.get("text") or "")
            tables["utt2spk"][uid] = str(r.get("speaker") or uid)
            if r.get("snr") is not None:
                tables.setdefault("utt2snr", {})[uid] = str(r["snr"])
            if r.get("lang"):
                tables["utt2lang"][uid] = str(r["lang"])
    else:
        raise ValueError(f"chain {chain}: no rule for the input of its step {spec.steps[1]}")
    if not tables["wav.scp"]:
        raise DataError(f"{first_out}: no output of step {spec.steps[0]} to continue from")
    for name, table in tables.items():
        if table:
            write_table(derived / name, table)
    return skipped


def _prompt_tokens(derived: Path, vocoder: str | Path | None) -> None:
    """First-group codec tokens of the derived dir's audio (the source speech): the voice prompt,
    encoded with the codec the vocoder decodes with (so with the LM's audio vocabulary)."""
    from laura.data.codec_tokens import extract_tokens

    meta_path = Path(str(vocoder)) / "vocoder.json"
    if not meta_path.is_file():
        raise FileNotFoundError(
            f"{meta_path}: not a vocoder dir (the voice prompt needs its codec)"
        )
    from laura.artefact import resolve_recorded_path

    codec = resolve_recorded_path(json.loads(meta_path.read_text())["codec"], meta_path)
    extract_tokens(codec, derived, field="audio", n_q=1, validate=False)
