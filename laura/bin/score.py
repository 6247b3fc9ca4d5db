"""Score a decode dir with its task's metric, overall and per group, or two Kaldi text files.

  laura score --task ASR --decode exp/x/decode_test --data data/asr/test --by lang,voice
      --speakers data/speakers.tsv
  laura score --task SE --decode DIR --data DIR --by snr [--asr-exp EXP]
  laura score --ref ref.txt --hyp hyp.txt [--lang en|zh|auto]    (WER/CER of two text files)

The task's metric (TaskSpec.metric) chooses the scorer: WER/CER for ASR; BLEU and chrF for
S2TT; intent accuracy and SLU-F1 (SLURP's) for SLU; WA, UA and weighted F1 for SER; CIDEr-D and
METEOR (SPICE, SPIDEr with --corenlp-dir) for AAC; PESQ, STOI, SECS, DNSMOS and the WER of an ASR
model for SE and TTS. Writes <decode>/scores.json (one schema for
every task) and prints a Markdown table, a row per group."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--task", default=None, help="the decoded task (ASR, SE, TTS, ...)")
    p.add_argument("--decode", default=None, help="decode dir (what laura decode wrote)")
    p.add_argument("--data", default=None, help="the data dir that was decoded (references)")
    p.add_argument(
        "--by", default="", help="comma-separated groups: lang, voice (needs --speakers), snr"
    )
    p.add_argument(
        "--speakers", default=None, help="speakers.tsv with a heldout column (--by voice)"
    )
    p.add_argument("--label", default="", help="model name for the table")
    p.add_argument("--out", default=None, help="JSON output (default <decode>/scores.json)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    p.add_argument(
        "--skip-done",
        action="store_true",
        help="keep an --out scored from the same decode, data and options (re-runs skip it)",
    )
    audio = p.add_argument_group("audio outputs (SE, TTS)")
    audio.add_argument("--asr-exp", default=None, help="a laura ASR experiment: WER/CER of outputs")
    audio.add_argument("--no-pocketsphinx", action="store_true", help="skip the pocketsphinx WER")
    audio.add_argument("--no-secs", action="store_true", help="skip speaker similarity")
    audio.add_argument("--no-dnsmos", action="store_true", help="skip DNSMOS")
    audio.add_argument("--max-utts", type=int, default=None, help="a spread-out subset")
    caption = p.add_argument_group("captions (AAC)")
    caption.add_argument(
        "--corenlp-dir",
        default=None,
        help="dir with stanford-corenlp-3.6.0.jar and its -models.jar: SPICE and SPIDEr "
        "(without it they are reported as not computed)",
    )
    text = p.add_argument_group("two text files")
    text.add_argument("--ref", default=None, help="reference text file (uttid text)")
    text.add_argument("--hyp", default=None, help="hypothesis text file (uttid text)")
    text.add_argument(
        "--lang",
        default="auto",
        choices=["auto", "en", "zh"],
        help="en (WER), zh (CER) or auto: detect per utterance (default: auto)",
    )


def run(args: argparse.Namespace) -> int:
    if args.ref or args.hyp:
        return score_text_files(args)
    if not (args.task and args.decode and args.data):
        raise ValueError("give --task, --decode and --data (or --ref and --hyp)")
    return score_decode_dir(args, args.by.split(","), args.speakers)


def score_decode_dir(args: argparse.Namespace, by: list[str], speakers: str | None) -> int:
    """``laura score --task``'s work (also ``laura score-audio``'s, its former name)."""
    from laura.metrics.scoring import format_table, score

    result = score(
        args.decode,
        args.data,
        args.task,
        by=by,
        speakers=speakers,
        label=args.label,
        out=args.out or Path(args.decode) / "scores.json",
        overwrite=args.overwrite,
        skip_done=getattr(args, "skip_done", False),
        asr_exp=args.asr_exp,
        pocketsphinx=False if args.no_pocketsphinx else None,
        secs=False if args.no_secs else None,
        mos=False if args.no_dnsmos else None,
        max_utts=args.max_utts,
        corenlp_dir=getattr(args, "corenlp_dir", None),
    )
    print(format_table(result))
    return 0


def score_text_files(args: argparse.Namespace) -> int:
    import math

    from laura.data.kaldi import read_table
    from laura.errors import DataError
    from laura.io import atomic_write_json
    from laura.metrics.wer import format_table, score_pairs

    if not (args.ref and args.hyp):
        raise ValueError("--ref and --hyp go together")
    refs = read_table(args.ref)
    hyps = read_table(args.hyp)
    if not refs:
        raise DataError(f"{args.ref}: no references")
    result = score_pairs(refs, hyps, lang=None if args.lang == "auto" else args.lang)
    print(format_table(result))
    if result["missing_hyps"]:
        n = result["missing_hyps"]
        print(f"warning: {n} utterance(s) without hypothesis, scored as deletions", file=sys.stderr)
    if result["extra_hyps"]:
        n = result["extra_hyps"]
        print(f"warning: {n} hypothesis id(s) without reference, ignored", file=sys.stderr)
    if args.out:
        payload = dict(result, ref=args.ref, hyp=args.hyp, lang=args.lang)
        if math.isinf(payload["rate"]):
            payload["rate"] = None  # strict JSON has no Infinity
        atomic_write_json(args.out, payload)
    return 0


def main(argv: list[str] | None = None) -> int:
    from laura.bin import run_verb

    return run_verb("score", argv)
