"""Score a trained vocoder from ground-truth first-group tokens (PESQ, STOI, RTF).

Compares the vocoder with the codec decoding group 1 alone, all groups, and the task's audio
input; writes wavs and spectrogram PNGs of a few utterances."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--vocoder", required=True, help="vocoder dir (vocoder.json + model.safetensors)"
    )
    p.add_argument("--data", required=True, help="data dir with codec tokens of all groups")
    p.add_argument("--task", required=True, help="SE or TTS")
    p.add_argument("--token-dir", default="codec_tokens")
    p.add_argument("--codec", default=None, help="codec dir (default: the one the vocoder records)")
    p.add_argument("--max-utts", type=int, default=0, help="a spread-out subset (0 = all)")
    p.add_argument("--out-dir", default=None, help="scores.json, wav/ and png/ go here")
    p.add_argument("--pictures", type=int, default=3, help="utterances written as wav and png")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0 = default)")
    p.add_argument("--asr-exp", default=None, help="a laura ASR experiment: WER/CER per system")
    p.add_argument(
        "--overwrite", action="store_true", help="replace a non-empty --out-dir (refused otherwise)"
    )
    p.add_argument(
        "--skip-done",
        action="store_true",
        help="keep an --out-dir evaluated from the same vocoder, data and options",
    )


def run(args: argparse.Namespace) -> int:
    from laura.evaluation import evaluate_vocoder, format_vocoder_table

    options = (
        "token_dir",
        "max_utts",
        "out_dir",
        "codec",
        "threads",
        "asr_exp",
        "overwrite",
        "skip_done",
    )
    result = evaluate_vocoder(
        args.vocoder,
        args.data,
        args.task,
        n_pictures=args.pictures,
        **{k: getattr(args, k) for k in options},
    )
    print(format_vocoder_table(result, f"vocoder {args.vocoder} on {args.data} ({args.task})"))
    return 0
