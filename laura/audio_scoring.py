"""``laura score-audio``: score a decode dir of audio outputs (SE, TTS).

SE: PESQ-wb and STOI of the enhanced speech and of the noisy input against the clean reference,
overall and per SNR (``utt2snr``).
TTS and SE: word/character error rate of the outputs as transcribed by an ASR model (laura's own
ASR experiment, ``--asr-exp``: on the mini corpus the model of egs/mini/lauragpt; and
pocketsphinx for English, an independent recogniser), speaker similarity (SECS, resemblyzer)
with the reference recording, DNSMOS (speechmos), and the loop ratio from decode.json.
Reference rows (the clean/recorded audio through the same scorers) show each scorer's ceiling.

Outputs: ``<decode>/scores.json`` (or ``out``), and with an ASR experiment the transcription
dirs ``<decode>/asr`` and ``<decode>/asr_reference``, each written whole (``staged_dir``).
Existing ones are refused before any scoring unless ``overwrite``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from laura.codec_tools import check_output_dir, check_output_file, write_json
from laura.io import staged_dir

__all__ = ["asr_transcripts", "format_audio_table", "score_audio", "write_json"]


def _mean(values: list[float]) -> float:
    v = [x for x in values if not math.isnan(x)]
    return round(float(np.mean(v)), 4) if v else float("nan")


def _read(path: str, start: float | None = None, end: float | None = None) -> torch.Tensor:
    from laura.data.dataset import read_audio

    return torch.from_numpy(read_audio(path, start, end)[0])


def _target(rec: dict[str, Any], task: str) -> tuple[str, float | None, float | None]:
    if task == "SE":
        return str(rec["clean"]), None, None
    return str(rec["audio"]), rec.get("start"), rec.get("end")


def asr_transcripts(asr_exp: str | Path, wavs: dict[str, str], records: dict[str, dict[str, Any]],
                    work: Path) -> dict[str, str]:  # fmt: skip
    """Transcribe wavs with a laura ASR experiment (via a Kaldi data dir in ``work``, which the
    caller gives fresh: ``work/data`` and ``work/decode``)."""
    from laura.data.kaldi import read_table, write_table
    from laura.decode import decode

    d = work / "data"
    d.mkdir(parents=True, exist_ok=True)
    write_table(d / "wav.scp", wavs)
    write_table(d / "text", {u: records[u].get("text") or "-" for u in wavs})
    write_table(d / "utt2spk", {u: records[u].get("speaker") or u for u in wavs})
    langs = {u: records[u]["lang"] for u in wavs if records[u].get("lang")}
    if langs:
        write_table(d / "utt2lang", langs)
    decode(asr_exp, d, work / "decode", task="ASR")
    return read_table(work / "decode" / "hyp")


def score_audio(decode_dir: str | Path, data_dir: str | Path, task: str,
                asr_exp: str | Path | None = None, pocketsphinx: bool = True,
                secs: bool = True, mos: bool = True, max_utts: int = 0,
                out: str | Path | None = None, overwrite: bool = False) -> dict[str, Any]:  # fmt: skip
    """Scores of ``decode_dir/wav.scp`` against the data dir's references (see module doc),
    written to ``out`` (JSON) when given."""
    from tqdm import tqdm

    from laura.data.kaldi import read_wav_scp
    from laura.data.prepare import load_records
    from laura.metrics.audio import pesq_wb, stoi
    from laura.metrics.wer import score_by_lang, score_pairs

    dec = Path(decode_dir)
    scores_json = out
    # Refused before the (slow) scoring rather than after it.
    check_output_file(scores_json, overwrite)
    if asr_exp:
        for d in (dec / "asr", dec / "asr_reference"):
            check_output_dir(d, overwrite, "ASR scoring dir (of an earlier score-audio)")
    # relative paths in wav.scp are relative to the decode dir, not to the current directory
    outputs = read_wav_scp(dec / "wav.scp")
    records = {r["id"]: r for r in load_records(data_dir, require_text=False, write_cache=False)}
    missing = sorted(set(outputs) - set(records))
    if missing:
        raise ValueError(f"{dec / 'wav.scp'}: {len(missing)} utterances not in {data_dir} (e.g. {missing[0]})")  # fmt: skip
    ids = sorted(outputs)
    if max_utts and max_utts < len(ids):
        import random

        ids = sorted(random.Random(0).sample(ids, max_utts))
    info = json.loads((dec / "decode.json").read_text()) if (dec / "decode.json").is_file() else {}
    result: dict[str, Any] = {
        "task": task,
        "n_utts": len(ids),
        "loop_ratio": info.get("loop_ratio"),
    }
    per: dict[str, dict[str, float]] = {u: {} for u in ids}
    if pocketsphinx or secs or mos:
        from laura.metrics import speech
    refs_text = {u: records[u].get("text") or "" for u in ids}
    en = [u for u in ids if records[u].get("lang", "en") == "en" and refs_text[u]]
    hyp_ps: dict[str, str] = {}
    ref_ps: dict[str, str] = {}
    for u in tqdm(ids, desc=f"score {task}", leave=False):
        out = _read(outputs[u])
        ref = _read(*_target(records[u], task))
        n = min(len(ref), len(out))
        p = per[u]
        if task == "SE":
            noisy = _read(records[u]["audio"])
            p["pesq"], p["stoi"] = pesq_wb(ref[:n], out[:n]), stoi(ref[:n], out[:n])
            p["pesq_noisy"], p["stoi_noisy"] = (
                pesq_wb(ref, noisy[: len(ref)]),
                stoi(ref, noisy[: len(ref)]),
            )
        if secs:
            p["secs"] = speech.speaker_similarity(ref.numpy(), out.numpy())
        if mos:
            p["dnsmos"] = speech.dnsmos(out.numpy())["ovrl"]
            p["dnsmos_ref"] = speech.dnsmos(ref.numpy())["ovrl"]
            if task == "SE":
                p["dnsmos_noisy"] = speech.dnsmos(_read(records[u]["audio"]).numpy())["ovrl"]
        if pocketsphinx and u in en:
            hyp_ps[u] = speech.transcribe_en([out.numpy()])[0]
            ref_ps[u] = speech.transcribe_en([ref.numpy()])[0]
    keys = sorted({k for p in per.values() for k in p})
    result["means"] = {k: _mean([per[u][k] for u in ids if k in per[u]]) for k in keys}
    if task == "SE":
        by_snr: dict[str, dict[str, list[float]]] = {}
        for u in ids:
            if records[u].get("snr") is None:
                continue
            cell = by_snr.setdefault(f"{float(records[u]['snr']):g}", {})
            for k in ("pesq", "stoi", "pesq_noisy", "stoi_noisy"):
                cell.setdefault(k, []).append(per[u][k])
        result["by_snr"] = {
            s: {**{k: _mean(v) for k, v in c.items()}, "n": len(c["pesq"])}
            for s, c in sorted(by_snr.items(), key=lambda kv: float(kv[0]))
        }
    if pocketsphinx and en:
        result["pocketsphinx_wer"] = score_pairs({u: refs_text[u] for u in en}, hyp_ps, lang="en")[
            "rate"
        ]
        result["pocketsphinx_wer_reference"] = score_pairs({u: refs_text[u] for u in en}, ref_ps, lang="en")["rate"]  # fmt: skip
    if asr_exp:
        with staged_dir(dec / "asr", overwrite, "ASR scoring dir") as work:
            hyps = asr_transcripts(asr_exp, {u: outputs[u] for u in ids}, records, work)
        refs_wavs = {}
        for u in ids:
            path, start, end = _target(records[u], task)
            if start is None and end is None:
                refs_wavs[u] = path
        langs = {u: records[u].get("lang") or "auto" for u in ids}
        by_lang: dict[str, Any] = {
            lang: {"metric": r["metric"], "rate": r["rate"], "n_utts": r["n_utts"]}
            for lang, r in score_by_lang(refs_text, hyps, langs).items()
        }
        if len(refs_wavs) == len(ids):  # the same recogniser on the references: its ceiling
            with staged_dir(dec / "asr_reference", overwrite, "ASR scoring dir") as work:
                ref_hyps = asr_transcripts(asr_exp, refs_wavs, records, work)
            for lang, r in score_by_lang(refs_text, ref_hyps, langs).items():
                by_lang[lang]["rate_reference"] = r["rate"]
        result["asr"] = {"exp": str(asr_exp), "by_lang": by_lang}
    result["per_utt"] = per
    if scores_json is not None:
        write_json(result, scores_json)
    return result


def format_audio_table(result: dict[str, Any], label: str) -> str:
    m = result["means"]
    lines = [f"{label}: {result['task']}, {result['n_utts']} utterances, loop ratio "
             f"{result.get('loop_ratio')}", "", "| metric | output | reference / input |",
             "| --- | ---: | ---: |"]  # fmt: skip

    def row(name: str, out: Any, ref: Any) -> None:
        fmt = lambda v: "" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))  # noqa: E731
        lines.append(f"| {name} | {fmt(out)} | {fmt(ref)} |")

    if result["task"] == "SE":
        row("PESQ-wb (vs clean; right: noisy input)", m.get("pesq"), m.get("pesq_noisy"))
        row("STOI (vs clean; right: noisy input)", m.get("stoi"), m.get("stoi_noisy"))
    if "secs" in m:
        row("speaker similarity with the reference (SECS)", m.get("secs"), None)
    if "dnsmos" in m:
        row("DNSMOS OVRL (right: reference)", m.get("dnsmos"), m.get("dnsmos_ref"))
        if "dnsmos_noisy" in m:
            row("DNSMOS OVRL of the noisy input", m.get("dnsmos_noisy"), None)
    if "pocketsphinx_wer" in result:
        row("WER, pocketsphinx (en; right: on the reference)", result["pocketsphinx_wer"],
            result["pocketsphinx_wer_reference"])  # fmt: skip
    for lang, r in result.get("asr", {}).get("by_lang", {}).items():
        row(f"{r['metric'].upper()}, laura ASR ({lang}; right: on the reference)", r["rate"],
            r.get("rate_reference"))  # fmt: skip
    if result.get("by_snr"):
        lines += ["", "| SNR (dB) | utts | PESQ out | PESQ noisy | STOI out | STOI noisy |",
                  "| ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
        for snr, c in result["by_snr"].items():
            lines.append(f"| {snr} | {c['n']} | {c['pesq']:.3f} | {c['pesq_noisy']:.3f} | "
                         f"{c['stoi']:.3f} | {c['stoi_noisy']:.3f} |")  # fmt: skip
    return "\n".join(lines)
