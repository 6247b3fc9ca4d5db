"""The mini recipe's results in the layout of the LauraGPT paper's Table 1: per task its metrics on
the held-out test split (all voices, and the held-out voices alone), the trivial baseline scored
in the same run, and the paper's LauraGPT figure on the real corpora (for reference only: other
data, another scale). Reads the scores.json files stage 10 of run.sh writes.

Usage: python local/table1.py --decode exp/decode_shipped [--label MODEL]
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The paper's LauraGPT figures (arXiv 2310.04673, Tables 1 and 2), on its test sets.
PAPER = {
    ("ASR", "en"): "4.4 / 7.7 WER (LibriSpeech test-clean / -other)",
    ("ASR", "zh"): "1.8 / 3.2 CER (AISHELL-1 / AISHELL-2 ios)",
    ("S2TT", "en"): "38.5 BLEU (CoVoST2 en->zh)",
    ("S2TT", "zh"): "17.8 BLEU (BSTC zh->en)",
    ("SLU", ""): "87.9 / 73.5 (SLURP)",
    ("SER", ""): "50.7 / 31.2 / 49.2 (MELD)",
    ("AAC", ""): "0.22 CIDEr; SPICE 0.08, SPIDEr 0.15 (Clotho)",
    ("SE", ""): "2.97 / 0.880 / 15.9% WER (LibriSpeech + FSD50K + noise-92)",
    ("TTS", "en"): "8.62% WER, SECS 0.91, MOSNet 3.26 (LibriTTS)",
    ("TTS", "zh"): "6.91% CER, SECS 0.90, MOSNet 3.14 (AISHELL-1)",
    ("S2ST", ""): "demonstrated, not scored",
    ("SE-ASR", ""): "described, not scored",
}
OTHER = {"en": "zh", "zh": "en"}


def load(dec: Path, name: str) -> dict[str, Any] | None:
    path = dec / name / "scores.json"
    return json.loads(path.read_text()) if path.is_file() else None


def scores(result: dict[str, Any] | None, **want: str) -> dict[str, Any]:
    """The scores of the group that is ``want`` in the given dimensions and 'all' in the rest."""
    if result is None:
        return {}
    for g in result["groups"]:
        group = g["group"]
        if all(group.get(k) == want.get(k, "all voices" if k == "voice" else "all") for k in group):
            return dict(g["scores"], n_utts=g["n_utts"])
    return {}


def pct(x: Any) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"


def num(x: Any, digits: int = 1) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def both(result: dict[str, Any] | None, fmt: Any, **want: str) -> tuple[str, str]:
    """(all voices, held-out voices) of one figure, ``fmt(scores)``."""
    return fmt(scores(result, **want)), fmt(scores(result, voice="held-out voices", **want))


def e2e_s2tt(chain: dict[str, Any] | None) -> dict[str, Any] | None:
    """The S2TT step's result inside a chain's scores."""
    return (chain or {}).get("parts", {}).get("S2TT")


def table(dec: Path, label: str) -> str:
    rows: list[tuple[str, ...]] = []

    def row(
        task: str, test: str, metric: str, model: tuple[str, str], base: str, paper: str
    ) -> None:
        rows.append((task, test, metric, model[0], model[1], base, paper))

    asr, asr0 = load(dec, "asr"), load(dec, "baseline_asr")
    for lang, m in (("en", "WER"), ("zh", "CER")):
        row(
            "ASR",
            f"{lang} speech",
            f"{m} ↓",
            both(asr, lambda s: pct(s.get("rate")), lang=lang),
            pct(scores(asr0, lang=lang).get("rate")) + " (empty output)",
            PAPER[("ASR", lang)],
        )
    s2tt, s2tt0 = load(dec, "s2tt"), load(dec, "baseline_s2tt")
    for src in ("en", "zh"):
        tgt = OTHER[src]
        row(
            "S2TT",
            f"{src} -> {tgt}",
            "BLEU ↑",
            both(s2tt, lambda s, tgt=tgt: num(s.get(f"bleu_{tgt}")), lang=src),
            num(scores(s2tt0, lang=src).get(f"bleu_{tgt}")) + " (best constant)",
            PAPER[("S2TT", src)],
        )

    # one row each: (task, test set, metric, its figures, the baseline, by voice)
    def figures(keys: tuple[str, ...], fmt: Callable[[Any], str]) -> Callable[[dict], str]:
        return lambda s: " / ".join(fmt(s.get(k)) for k in keys)

    for task, test, metric, fmt, baseline, by_voice in (
        (
            "SLU",
            "en speech",
            "intent acc / SLU-F1 ↑",
            figures(("intent_acc", "slu_f1"), pct),
            "majority intent",
            True,
        ),
        (
            "SER",
            "en speech",
            "WA / UA / WF1 ↑",
            figures(("wa", "ua", "wf1"), pct),
            "majority class",
            True,
        ),
        (
            "AAC",
            "sound scenes",
            "CIDEr-D / METEOR ↑",
            figures(("cider_d", "meteor"), lambda x: num(x, 3)),
            "best constant",
            False,
        ),
    ):
        result, base = load(dec, task.lower()), load(dec, f"baseline_{task.lower()}")
        model = both(result, fmt) if by_voice else (fmt(scores(result)), "")
        row(task, test, metric, model, f"{fmt(scores(base))} ({baseline})", PAPER[(task, "")])
    se = load(dec, "se")
    s = scores(se)

    def se_wer(s: dict[str, Any], key: str) -> str:
        return " ".join(
            f"{lang} {pct(s.get(f'asr_{lang}{key}'))}"
            for lang in ("en", "zh")
            if s.get(f"asr_{lang}{key}") is not None
        )

    def se_fmt(s: dict[str, Any]) -> str:
        return f"{num(s.get('pesq'), 3)} / {num(s.get('stoi'), 3)} / {se_wer(s, '')}"

    row(
        "SE",
        "noisy speech, 2-15 dB",
        "PESQ / STOI ↑, WER/CER of output ↓",
        both(se, se_fmt),
        f"{num(s.get('pesq_noisy'), 3)} / {num(s.get('stoi_noisy'), 3)} / "
        f"{se_wer(s, '_noisy')} (noisy input)",
        PAPER[("SE", "")],
    )
    tts = load(dec, "tts")
    for lang, m in (("en", "WER"), ("zh", "CER")):
        t = scores(tts, lang=lang)
        h = scores(tts, lang=lang, voice="held-out voices")

        def fmt(s: dict[str, Any], lang: str = lang) -> str:
            secs, mos = num(s.get("secs"), 3), num(s.get("dnsmos"), 2)
            return f"{pct(s.get(f'asr_{lang}'))}, SECS {secs}, DNSMOS {mos}"

        ref_wer, ref_mos = pct(t.get(f"asr_{lang}_reference")), num(t.get("dnsmos_ref"), 2)
        ref = f"{ref_wer}, DNSMOS {ref_mos} (recorded speech)"
        row(
            "TTS",
            f"{lang} text",
            f"{m} by laura ASR ↓, SECS, DNSMOS ↑",
            (fmt(t), fmt(h)),
            ref,
            PAPER[("TTS", lang)],
        )
    for name, what in (("s2st", "S2ST"), ("s2st-personal", "S2ST, personalised")):
        r = load(dec, name)
        e2e = (r or {}).get("end_to_end")
        tts_part = (r or {}).get("parts", {}).get("TTS")
        for src in ("en", "zh"):
            tgt = OTHER[src]
            secs = scores(tts_part, lang=tgt).get("secs")
            row(
                what,
                f"{src} -> {tgt} speech",
                "ASR-BLEU ↑, SECS to source",
                (f"{num(scores(e2e, lang=src).get(f'bleu_{tgt}'))}, SECS {num(secs, 3)}", ""),
                f"{num(scores(s2tt0, lang=src).get(f'bleu_{tgt}'))} (best constant text; "
                f"its S2TT step: {num(scores(e2e_s2tt(r), lang=src).get(f'bleu_{tgt}'))})",
                PAPER[("S2ST", "")],
            )
    r = load(dec, "se-asr")
    e2e = (r or {}).get("end_to_end")
    for lang, m in (("en", "WER"), ("zh", "CER")):
        got = scores(e2e, lang=lang).get("rate")
        noisy = scores(se, lang=lang).get(f"asr_{lang}_noisy") if se else None
        if got is None and noisy is None:
            continue
        row(
            "SE -> ASR",
            f"{lang} noisy speech",
            f"{m} ↓",
            both(e2e, lambda s: pct(s.get("rate")), lang=lang),
            f"{pct(noisy)} (ASR of the noisy input)",
            PAPER[("SE-ASR", "")],
        )

    head = (
        "task",
        "test set (mini corpus)",
        "metric",
        "LauraGPT mini: all voices",
        "held-out voices",
        "trivial baseline (all voices)",
        "paper's LauraGPT (real corpora)",
    )
    lines = [
        f"Model: {label}. Test split: sentences never trained on, spoken by training voices and "
        "by held-out voices (never trained on; their own column).",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---"] * 3 + ["---:"] * 3 + ["---"]) + "|",
    ]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def se_by_snr(dec: Path) -> str:
    """SE per input SNR: the paired PESQ gain over the noisy input with its 95% bootstrap
    interval, STOI and the ASR error rates of output and input."""
    se = load(dec, "se")
    if se is None:
        return ""
    snrs = sorted({g["group"].get("snr") for g in se["groups"]} - {None, "all"}, key=float)
    lines = [
        "SE per input SNR (all voices; PESQ gain: output minus noisy input, 95% paired "
        "bootstrap interval):",
        "",
        "| SNR (dB) | utts | PESQ output / noisy | PESQ gain [95% CI] | STOI output / noisy "
        "| WER en output / noisy | CER zh output / noisy |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for snr in ["all", *snrs]:
        s = scores(se, snr=snr)
        gain = f"{num(s.get('pesq_gain'), 3)} [{num(s.get('pesq_gain_lo'), 3)}, "
        gain += f"{num(s.get('pesq_gain_hi'), 3)}]"
        rates = [
            f"{pct(s.get(f'asr_{lang}'))} / {pct(s.get(f'asr_{lang}_noisy'))}" for lang in OTHER
        ]
        lines.append(
            f"| {snr} | {s.get('n_utts', '')} | {num(s.get('pesq'), 3)} / "
            f"{num(s.get('pesq_noisy'), 3)} | {gain} | {num(s.get('stoi'), 3)} / "
            f"{num(s.get('stoi_noisy'), 3)} | {rates[0]} | {rates[1]} |"
        )
    return "\n".join(lines)


SYSTEMS = {  # laura vocoder-eval's systems, as this table names them
    "vocoder": "one-step vocoder from the true first-group tokens",
    "first_group": "codec decoder, true first group alone",
    "codec_all": "codec decoder, all 32 true groups (the codec's ceiling)",
    "input": "noisy input",
    "reference": "recorded speech",
}


def audio_bound(dec: Path) -> str:
    """SE and TTS beside what the audio path gives from the true tokens of the same test
    utterances (``vocoder_<task>/scores.json`` of ``laura vocoder-eval``): the LM's outputs can
    at best reach the vocoder's row."""
    lines: list[str] = []
    for task in ("se", "tts"):
        bound = load(dec, f"vocoder_{task}")
        if bound is None:
            continue
        if not lines:
            lines = [
                "What the audio path allows: the same test utterances from the true tokens "
                "(PESQ and STOI against the clean or recorded speech; WER/CER by the same laura "
                "ASR):",
                "",
                "| task | system | utts | PESQ | STOI | WER en | CER zh |",
                "|---|---|---:|---:|---:|---:|---:|",
            ]
        own = scores(load(dec, task))
        asr = bound.get("asr", {})
        lines.append(
            f"| {task.upper()} | LauraGPT output (its own tokens) | {own.get('n_utts', '')} | "
            f"{num(own.get('pesq'), 3)} | {num(own.get('stoi'), 3)} | "
            f"{pct(own.get('asr_en'))} | {pct(own.get('asr_zh'))} |"
        )
        for name, what in SYSTEMS.items():
            if name not in bound["systems"] and name not in asr:
                continue
            s, rates = bound["systems"].get(name, {}), asr.get(name, {})
            lines.append(
                f"| {task.upper()} | {what} | {bound['n_utts']} | {num(s.get('pesq'), 3)} | "
                f"{num(s.get('stoi'), 3)} | {pct(rates.get('en WER'))} | "
                f"{pct(rates.get('zh CER'))} |"
            )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--decode", required=True, help="the decode dir of run.sh stage 9-10")
    ap.add_argument("--label", default="", help="the model's name")
    args = ap.parse_args()
    dec = Path(args.decode)
    print(table(dec, args.label or args.decode))
    for detail in (se_by_snr(dec), audio_bound(dec)):
        if detail:
            print("\n" + detail)


if __name__ == "__main__":
    main()
