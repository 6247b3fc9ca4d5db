"""Decode a data dir with a trained experiment.

Text tasks write <out>/hyp, <out>/ref and decode.json; audio tasks (SE, TTS; --vocoder) also
wav/, wav.scp, tokens and spectrogram PNGs. The output dir is written whole: a decode killed
midway leaves the previous results as they were.

Chained tasks decode two tasks in turn, each into its own sub-directory of --out (laura.chains):
S2ST (S2TT, then TTS of the translation), S2ST-personal (the source speech as the TTS voice
prompt) and SE-ASR (SE, then ASR of the enhanced speech)."""

from __future__ import annotations

import argparse
import json


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--exp", required=True, help="experiment dir (holds config.yaml and model.safetensors)"
    )
    p.add_argument("--data", required=True, help="Kaldi-style data dir to decode")
    p.add_argument(
        "--out",
        required=True,
        help="output dir (hyp, ref, decode.json; audio tasks: wav/, wav.scp, tokens, png/), "
        "written whole: a decode killed midway leaves the previous results as they were",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace a non-empty --out (refused otherwise)"
    )
    p.add_argument("--weights", default=None, help="weights file (default <exp>/model.safetensors)")
    p.add_argument(
        "--task",
        default=None,
        help="task to decode (default: the experiment's only task), or a chain: S2ST, "
        "S2ST-personal, SE-ASR",
    )
    p.add_argument(
        "--skip-done",
        action="store_true",
        help="keep --out when it holds a decode of the same weights, data, task and options",
    )
    p.add_argument(
        "--vocoder", default=None, help="vocoder dir for audio outputs (SE, TTS): wavs + PNGs"
    )
    p.add_argument("overrides", nargs="*", help="key=value overrides, e.g. decode.batch_size=16")


def run(args: argparse.Namespace) -> int:
    from laura.decode import decode

    options = ("weights", "overrides", "task", "vocoder", "overwrite", "skip_done")
    info = decode(args.exp, args.data, args.out, **{k: getattr(args, k) for k in options})
    hidden = ("config", "per_utt", "stamp", "empty_input")
    print(json.dumps({k: v for k, v in info.items() if k not in hidden}, indent=2))
    return 0
