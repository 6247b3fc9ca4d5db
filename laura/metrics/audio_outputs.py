"""The scores of audio outputs (``TaskSpec.metric`` "se" and "tts") in ``laura score``.

SE: PESQ-wb and STOI of the enhanced speech and of the noisy input against the clean reference.
TTS and SE: word/character error rate of the outputs as transcribed by an ASR model (laura's own
ASR experiment, ``asr_exp``: on the mini corpus the model of egs/mini/lauragpt; and pocketsphinx
for English, an independent recogniser), speaker similarity (SECS, resemblyzer) with the
reference recording, and DNSMOS (speechmos). Reference columns (the clean or recorded audio
through the same scorers) show each scorer's ceiling; "noisy" columns the SE input's level
(the ASR model's error rate on the noisy input included: what enhancement must improve on).
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import torch

from laura.metrics.scoring import Column, Decoded, Scorer


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


class AudioOutputScorer(Scorer):
    metric = "se"  # and "tts": the same scorers, SE adding those against its noisy input
    options = ("asr_exp", "pocketsphinx", "secs", "mos", "max_utts")
    columns = (
        Column("pesq", "PESQ-wb"),
        Column("pesq_noisy", "PESQ-wb noisy"),
        Column("pesq_gain", "PESQ gain"),
        Column("pesq_gain_lo", "gain 95% low"),
        Column("pesq_gain_hi", "gain 95% high"),
        Column("stoi", "STOI"),
        Column("stoi_noisy", "STOI noisy"),
        Column("secs", "SECS"),
        Column("dnsmos", "DNSMOS"),
        Column("dnsmos_ref", "DNSMOS ref"),
        Column("dnsmos_noisy", "DNSMOS noisy"),
        Column("pocketsphinx_wer", "WER pocketsphinx", "percent"),
        Column("pocketsphinx_wer_reference", "WER pocketsphinx ref", "percent"),
    )

    def columns_for(self, groups: list[dict[str, Any]]) -> tuple[Column, ...]:
        """The fixed columns, then laura ASR's error rate per language (WER for English, CER for
        Mandarin: never mixed in one figure) and on the references."""
        langs = sorted(
            {k.split("_")[1] for g in groups for k in g["scores"] if k.startswith("asr_")}
        )
        metric = {}
        for g in groups:
            for lang in langs:
                metric.setdefault(lang, g["scores"].get(f"asr_{lang}_metric"))
        extra = []
        for lang in langs:
            name = f"{metric[lang] or 'WER'} laura ASR {lang}"
            extra += [
                Column(f"asr_{lang}", name, "percent"),
                Column(f"asr_{lang}_reference", f"{name} ref", "percent"),
                Column(f"asr_{lang}_noisy", f"{name} noisy", "percent"),
            ]
        return (*self.columns, *extra)

    def read(
        self,
        decoded: Decoded,
        asr_exp: str | None = None,
        pocketsphinx: bool = True,
        secs: bool = True,
        mos: bool = True,
        max_utts: int = 0,
    ) -> tuple[list[str], dict[str, Any]]:
        from tqdm import tqdm

        from laura.data.kaldi import read_wav_scp
        from laura.errors import DataError
        from laura.metrics.audio import pesq_wb, stoi

        task, records = decoded.task.name, decoded.records
        # relative paths in wav.scp are relative to the decode dir, not to the current directory
        outputs = read_wav_scp(decoded.decode_dir / "wav.scp")
        missing = sorted(set(outputs) - set(records))
        if missing:
            raise DataError(
                f"{decoded.decode_dir / 'wav.scp'}: {len(missing)} utterances not in "
                f"{decoded.data_dir} (e.g. {missing[0]})"
            )
        ids = sorted(outputs)
        if max_utts and max_utts < len(ids):
            ids = sorted(random.Random(0).sample(ids, max_utts))
        if pocketsphinx or secs or mos:
            from laura.metrics import speech
        per: dict[str, dict[str, float]] = {u: {} for u in ids}
        texts = {u: records[u].get("text") or "" for u in ids}
        ps_hyp: dict[str, str] = {}
        ps_ref: dict[str, str] = {}
        for u in tqdm(ids, desc=f"score {task}", leave=False):
            out = _read(outputs[u])
            ref = _read(*_target(records[u], task))
            n = min(len(ref), len(out))
            p = per[u]
            if task == "SE":
                noisy = _read(records[u]["audio"])
                p["pesq"], p["stoi"] = pesq_wb(ref[:n], out[:n]), stoi(ref[:n], out[:n])
                p["pesq_noisy"] = pesq_wb(ref, noisy[: len(ref)])
                p["stoi_noisy"] = stoi(ref, noisy[: len(ref)])
            if secs:
                p["secs"] = speech.speaker_similarity(ref.numpy(), out.numpy())
            if mos:
                p["dnsmos"] = speech.dnsmos(out.numpy())["ovrl"]
                p["dnsmos_ref"] = speech.dnsmos(ref.numpy())["ovrl"]
                if task == "SE":
                    p["dnsmos_noisy"] = speech.dnsmos(noisy.numpy())["ovrl"]
            if pocketsphinx and records[u].get("lang", "en") == "en" and texts[u]:
                ps_hyp[u] = speech.transcribe_en([out.numpy()])[0]
                ps_ref[u] = speech.transcribe_en([ref.numpy()])[0]
        material: dict[str, Any] = {"per": per, "texts": texts, "ps_hyp": ps_hyp, "ps_ref": ps_ref}
        if asr_exp:
            from laura.decode import transcribe

            langs = {u: records[u]["lang"] for u in ids if records[u].get("lang")}
            material["asr_hyp"] = transcribe(asr_exp, {u: outputs[u] for u in ids}, langs)
            whole = {u: _target(records[u], task) for u in ids}
            if all(s is None and e is None for _, s, e in whole.values()):
                # the same recogniser on the references: its ceiling
                refs = {u: path for u, (path, _, _) in whole.items()}
                material["asr_ref"] = transcribe(asr_exp, refs, langs)
            if task == "SE":  # the same recogniser on the noisy input: what SE must improve on
                noisy_in = {u: str(records[u]["audio"]) for u in ids}
                material["asr_noisy"] = transcribe(asr_exp, noisy_in, langs)
        return ids, material

    def aggregate(
        self, material: dict[str, Any], ids: list[str], group: dict[str, str], decoded: Decoded
    ) -> dict[str, Any]:
        from laura.metrics.stats import paired_bootstrap
        from laura.metrics.wer import score_pairs

        per, texts = material["per"], material["texts"]
        keys = sorted({k for u in ids for k in per[u]})
        out: dict[str, Any] = {k: _mean([per[u][k] for u in ids if k in per[u]]) for k in keys}
        paired = [u for u in ids if "pesq" in per[u] and "pesq_noisy" in per[u]]
        if paired:  # SE: the output's PESQ minus the noisy input's, 95% paired bootstrap
            gain = paired_bootstrap(
                [per[u]["pesq"] for u in paired], [per[u]["pesq_noisy"] for u in paired]
            )
            out["pesq_gain"], out["pesq_gain_lo"], out["pesq_gain_hi"] = (round(g, 4) for g in gain)
        en = [u for u in ids if u in material["ps_hyp"]]
        if en:
            refs = {u: texts[u] for u in en}
            hyp = {u: material["ps_hyp"][u] for u in en}
            ref_hyp = {u: material["ps_ref"][u] for u in en}
            out["pocketsphinx_wer"] = score_pairs(refs, hyp, lang="en")["rate"]
            out["pocketsphinx_wer_reference"] = score_pairs(refs, ref_hyp, lang="en")["rate"]
        said = [u for u in ids if texts[u]]
        if "asr_hyp" in material and said:
            langs = {u: decoded.records[u].get("lang") or "auto" for u in said}
            for lang in sorted(set(langs.values())):
                refs = {u: texts[u] for u in said if langs[u] == lang}

                def of(hyps: dict[str, str], refs: dict[str, str] = refs) -> dict[str, str]:
                    return {u: hyps[u] for u in refs if u in hyps}  # this language's only

                r = score_pairs(refs, of(material["asr_hyp"]), lang=lang)
                out[f"asr_{lang}_metric"], out[f"asr_{lang}"] = r["metric"].upper(), r["rate"]
                for key, name in (("asr_ref", "reference"), ("asr_noisy", "noisy")):
                    if key in material:
                        other = score_pairs(refs, of(material[key]), lang=lang)
                        out[f"asr_{lang}_{name}"] = other["rate"]
        return out

    def per_utt(self, material: dict[str, Any]) -> dict[str, Any]:
        per = {u: dict(v) for u, v in material["per"].items()}
        for key in ("asr_hyp", "asr_ref", "asr_noisy", "ps_hyp"):
            for u, text in material.get(key, {}).items():
                per.setdefault(u, {})[key] = text
        return per
