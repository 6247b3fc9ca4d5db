"""Scoring a codec or a vocoder against ground truth (``laura codec-eval``, ``laura
vocoder-eval``): what the audio side of the model can do before an LM is involved.

``evaluate_codec``: PESQ-wb, STOI and mel distance of reconstructions with 1..N quantizers.

``evaluate_vocoder``: a trained vocoder on a data dir from the ground-truth first-group tokens
(what it adds over the codec decoding the first group alone), with a few wavs and spectrogram
pictures, and its speed. Systems scored against the target audio (SE: the clean reference; TTS:
the recorded speech): ``vocoder`` (its waveform), ``first_group`` (the codec decoding group 1
alone), ``codec_all`` (all groups: the codec's ceiling) and, for tasks with an audio input,
``input`` (e.g. the noisy speech of SE). ``out_dir`` (``scores.json``, ``wav/``, ``png/``,
``asr/``) is written whole (``staged_dir``): a run killed midway leaves the previous one as it
was; a non-empty ``out_dir`` is refused unless ``overwrite``.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from laura.nn.codec import Codec


def _rms_match(wav: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """Codec outputs are at the normalised level: give them the reference's loudness."""
    return wav * (ref.pow(2).mean().sqrt() / (wav.pow(2).mean().sqrt() + 1e-8))


def evaluate_vocoder(
    vocoder_dir: str | Path,
    data_dir: str | Path,
    task: str,
    token_dir: str = "codec_tokens",
    max_utts: int = 0,
    out_dir: str | Path | None = None,
    n_pictures: int = 3,
    codec: str | Path | None = None,
    threads: int = 0,
    asr_exp: str | Path | None = None,
    overwrite: bool = False,
    skip_done: bool = False,
) -> dict[str, Any]:
    """Scores per system (PESQ-wb, STOI; SE also per SNR), the vocoder's real-time factor, and
    ``out_dir/{wav,png}`` for the first ``n_pictures`` utterances, ``out_dir/scores.json``.
    ``asr_exp`` (a laura ASR experiment) adds each system's WER/CER per language and the
    reference's (its ceiling); the transcribed wavs go to ``out_dir/asr/wav`` and the
    transcripts to ``out_dir/asr/hyp`` (a temporary dir without ``out_dir``). ``skip_done``:
    return the result ``out_dir`` holds when it was made from the same vocoder, codec, data and
    options (``laura.stamps``)."""
    from tqdm import tqdm

    from laura.data.datamodule import open_token_source
    from laura.data.dataset import TaskDataset, collate, read_audio
    from laura.data.records import load_records
    from laura.data.tasks import get_task
    from laura.decode import check_data_dir_ids, check_output_ids
    from laura.io import atomic_write_json, atomic_write_wav, check_output_dir, staged_dir
    from laura.metrics.audio import nanmean, pesq_wb, stoi
    from laura.models.vocoder import (
        batch_codes,
        batch_conditions,
        load_vocoder,
        match_length,
        needs_waveforms,
    )
    from laura.stamps import dir_digest, done_before, experiment_digest, file_digest
    from laura.text.tokenizer import TextTokenizer
    from laura.viz import save_spectrograms

    out_dir = out_dir or None
    stamp = None
    if skip_done and out_dir is not None:
        stamp = {
            "vocoder": [
                file_digest(Path(vocoder_dir) / f) for f in ("model.safetensors", "vocoder.json")
            ],
            "codec": file_digest(Path(_vocoder_codec(vocoder_dir, codec)) / "model.safetensors"),
            "data": dir_digest(data_dir),
            "task": task,
            "options": [token_dir, max_utts, n_pictures, experiment_digest(asr_exp)],
        }
        done = done_before(Path(out_dir) / "scores.json", stamp)
        if done is not None:
            print(f"{out_dir}: evaluated before with the same vocoder, data and options (skipped)")
            return done
    check_output_dir(out_dir, overwrite, "vocoder-eval output dir")  # before the work, not after
    check_data_dir_ids(data_dir)  # ids name the wavs and pictures written below
    if threads:
        torch.set_num_threads(threads)
    module = load_vocoder(vocoder_dir, codec)
    spec = get_task(task)
    if spec.output_kind != "audio":
        raise ValueError(f"task {task}: the vocoder makes audio outputs (SE, TTS)")
    records = load_records(data_dir, require_text=spec.needs_text, write_cache=False)
    if max_utts and max_utts < len(records):
        # a seeded random subset: a stride could fall in step with a cycled grid (SE's SNRs)
        import random

        keep = sorted(random.Random(0).sample(range(len(records)), max_utts))
        records = [records[i] for i in keep]
    if not records:
        raise ValueError(f"{data_dir}: no utterances to evaluate")
    check_output_ids([r["id"] for r in records], data_dir)
    tokens = open_token_source(spec, [str(data_dir)], token_dir, module.codec.cfg.n_q)
    ds = TaskDataset(
        records,
        spec,
        TextTokenizer(module.cfg.tokenizer.path),
        module.cfg.frontend,
        train=False,
        tokens=tokens,
        keep_waveforms=needs_waveforms(module.cfg.vocoder.conditions),
    )
    sr = module.codec.sample_rate
    systems = ["vocoder", "first_group", "codec_all"] + (
        ["input"] if "audio" in spec.inputs else []
    )
    scores: dict[str, dict[str, list[float]]] = {s: {"pesq": [], "stoi": []} for s in systems}
    by_snr: dict[str, dict[str, list[float]]] = {}
    synth_seconds = audio_seconds = 0.0
    asr_wavs: dict[str, dict[str, str]] = {s: {} for s in systems + ["reference"]}
    with contextlib.ExitStack() as stack:
        out = None
        if out_dir is not None:
            out = stack.enter_context(staged_dir(out_dir, overwrite, "vocoder-eval output dir"))
        asr_work = None
        if asr_exp is not None and out is not None:
            asr_work = out / "asr"
        elif asr_exp is not None:
            asr_work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="voc_asr")))
        for k, rec in enumerate(tqdm(records, desc=f"vocoder eval {task}", leave=False)):
            batch = collate([ds[k]])
            codes, lens = batch_codes(batch, module.codec.cfg.n_q)
            conditions = module.cfg.vocoder.conditions
            cond = batch_conditions(batch, conditions, module.cmvn, module.codec)
            t0 = time.perf_counter()
            voc = module.synthesize(codes[:, 0], lens, cond)[0]
            synth_seconds += time.perf_counter() - t0
            t = batch["target_audio"][0]
            ref = torch.from_numpy(read_audio(t["path"], t.get("start"), t.get("end"))[0])
            audio_seconds += ref.shape[0] / sr
            n = int(lens[0]) * module.codec.hop_length
            wavs = {
                "vocoder": voc,
                "first_group": module.first_group_only(codes[:, 0], lens)[0],
                "codec_all": module.codec.decode(codes)[0, :n],
            }
            wavs = {
                name: _rms_match(match_length(w.float(), ref.shape[0]), ref)
                for name, w in wavs.items()
            }
            if "input" in systems:
                wavs["input"] = match_length(
                    torch.from_numpy(read_audio(rec["audio"], rec.get("start"), rec.get("end"))[0]),
                    ref.shape[0],
                )
            for name, w in wavs.items():
                p, s = pesq_wb(ref, w, sr), stoi(ref, w, sr)
                scores[name]["pesq"].append(p)
                scores[name]["stoi"].append(s)
                if rec.get("snr") is not None:
                    cell = by_snr.setdefault(f"{float(rec['snr']):g}", {})
                    cell.setdefault(f"{name}_pesq", []).append(p)
                    cell.setdefault(f"{name}_stoi", []).append(s)
            if asr_work is not None:
                for name, w in [*wavs.items(), ("reference", ref)]:
                    path = asr_work / "wav" / name / f"{rec['id']}.wav"
                    atomic_write_wav(path, w.numpy(), sr)
                    asr_wavs[name][rec["id"]] = str(path.resolve())
            if out is not None and k < n_pictures:
                for name, w in wavs.items():
                    atomic_write_wav(out / "wav" / f"{rec['id']}_{name}.wav", w.numpy(), sr)
                panels = [
                    (f"{name}  PESQ {scores[name]['pesq'][-1]:.2f}", wavs[name].numpy())
                    for name in systems
                ]
                panels.append(("reference", ref.numpy()))
                save_spectrograms(
                    panels, out / "png" / f"{rec['id']}.png", sr, title=f"{task} {rec['id']}"
                )
        result: dict[str, Any] = {
            "task": task,
            "n_utts": len(records),
            "vocoder_kind": module.cfg.vocoder.kind,
            "systems": {
                s: {m: round(nanmean(v), 4) for m, v in sc.items()} for s, sc in scores.items()
            },
            "rtf": round(synth_seconds / max(audio_seconds, 1e-9), 4),
            "torch_threads": torch.get_num_threads(),
            "vocoder": str(vocoder_dir),
            "data": str(data_dir),
        }
        if asr_work is not None:
            assert asr_exp is not None
            result["asr"] = {
                "exp": str(asr_exp),
                **_asr_rates(asr_exp, asr_wavs, records, asr_work),
            }
        if by_snr:
            result["by_snr"] = {
                snr: {m: round(float(np.nanmean(v)), 4) for m, v in cell.items()}
                for snr, cell in sorted(by_snr.items(), key=lambda kv: float(kv[0]))
            }
        if stamp is not None:
            result["stamp"] = stamp
        if out is not None:
            atomic_write_json(out / "scores.json", result, indent=1)
    return result


def _asr_rates(
    asr_exp: str | Path, wavs: dict[str, dict[str, str]], records: list[dict[str, Any]], work: Path
) -> dict[str, dict[str, float]]:
    """{system: {"<lang> <WER|CER>": rate}} of each system's wavs transcribed by laura's ASR;
    the transcripts go to ``work/hyp/<system>``."""
    from laura.decode import transcribe
    from laura.io import atomic_write_text
    from laura.metrics.wer import score_by_lang

    by_id = {r["id"]: r for r in records}
    langs = {u: r.get("lang") or "auto" for u, r in by_id.items()}
    tags = {u: r["lang"] for u, r in by_id.items() if r.get("lang")}
    rates: dict[str, dict[str, float]] = {}
    for name, paths in wavs.items():
        hyps = transcribe(asr_exp, paths, {u: tags[u] for u in paths if u in tags})
        atomic_write_text(work / "hyp" / name, "".join(f"{u} {hyps[u]}\n" for u in sorted(hyps)))
        refs = {u: by_id[u].get("text") or "" for u in paths}
        rates[name] = {
            f"{lang} {r['metric'].upper()}": r["rate"]
            for lang, r in score_by_lang(refs, hyps, langs).items()
        }
    return rates


def _vocoder_codec(vocoder_dir: str | Path, codec: str | Path | None) -> str:
    """The codec a vocoder decodes with: ``codec`` if given, else the one it records."""
    import json

    from laura.artefact import resolve_recorded_path

    if codec:
        return str(codec)
    meta = Path(vocoder_dir) / "vocoder.json"
    try:
        return resolve_recorded_path(json.loads(meta.read_text()).get("codec"), meta) or ""
    except (OSError, ValueError):
        return ""  # loading the vocoder reports it


def format_vocoder_table(result: dict[str, Any], title: str) -> str:
    asr = {k: v for k, v in result.get("asr", {}).items() if k != "exp"}
    cols = sorted({c for v in asr.values() for c in v})
    fmt = lambda v: "" if v is None else f"{100 * v:.1f}%"  # noqa: E731
    rows = [
        f"| {name} | {s['pesq']:.3f} | {s['stoi']:.3f} |"
        + "".join(f" {fmt(asr.get(name, {}).get(c))} |" for c in cols)
        for name, s in result["systems"].items()
    ]
    if asr.get("reference"):
        rows.append(
            "| reference | | |" + "".join(f" {fmt(asr['reference'].get(c))} |" for c in cols)
        )
    head = "| system | PESQ-wb | STOI |" + "".join(f" {c} (laura ASR) |" for c in cols)
    return "\n".join(
        [
            f"{title} ({result['n_utts']} utterances, {result['vocoder_kind']}, "
            f"real-time factor {result['rtf']:.3f})",
            "",
            head,
            "| --- | ---: | ---: |" + " ---: |" * len(cols),
            *rows,
        ]
    )


# --- codec ---
def evaluate_codec(
    codec: Codec,
    data_dir: str | Path,
    n_qs: list[int],
    max_utts: int = 0,
    speakers: set[str] | None = None,
) -> dict[str, Any]:
    """PESQ-wb, STOI and mel distance of reconstructions with 1..N quantizers, per utterance
    averaged; ``speakers`` restricts to those speakers (e.g. held-out voices)."""
    from tqdm import tqdm

    from laura.data.codec_tokens import read_for_codec
    from laura.data.records import load_records
    from laura.metrics.audio import mel_distance, nanmean, pesq_wb, stoi

    records = load_records(data_dir, require_text=False, write_cache=False)
    if speakers is not None:
        records = [r for r in records if r.get("speaker") in speakers]
    if max_utts:
        records = records[:: max(1, len(records) // max_utts)][:max_utts]
    if not records:
        raise ValueError(f"{data_dir}: no utterances to evaluate")
    scores: dict[int, dict[str, list[float]]] = {
        n: {"pesq": [], "stoi": [], "mel": []} for n in n_qs
    }
    for r in tqdm(records, desc="codec eval", leave=False):
        wav = read_for_codec(str(r["audio"]), r.get("start"), r.get("end"), codec.sample_rate)
        tokens, scale = codec.encode(wav[None])
        for n in n_qs:
            y = codec.decode(tokens[:, :n], scale, length=len(wav))[0]
            scores[n]["pesq"].append(pesq_wb(wav, y))
            scores[n]["stoi"].append(stoi(wav, y))
            scores[n]["mel"].append(mel_distance(wav, y))
    return {
        "n_utts": len(records),
        "by_n_q": {
            str(n): {k: round(nanmean(v), 4) for k, v in s.items()} for n, s in scores.items()
        },
    }


def format_codec_table(result: dict[str, Any], title: str) -> str:
    rows = [
        f"| {n} | {s['pesq']:.3f} | {s['stoi']:.3f} | {s['mel']:.3f} |"
        for n, s in result["by_n_q"].items()
    ]
    return "\n".join(
        [
            f"{title} ({result['n_utts']} utterances)",
            "",
            "| quantizers | PESQ-wb | STOI | mel distance |",
            "| ---: | ---: | ---: | ---: |",
            *rows,
        ]
    )
