"""The ``laura`` command: a table of verbs. Each verb is a module in ``laura/bin/`` with
``add_arguments(parser)`` and ``run(args)``; nothing is imported until a verb is chosen, so
``laura --help`` does not pay for torch."""

from __future__ import annotations

import argparse
import sys

from laura.bin import error_line, run_verb  # noqa: F401 - error_line: part of the CLI's API

# verb: one line of help (the module laura/bin/<verb with _ for ->.py holds the rest)
VERBS: dict[str, str] = {
    # data
    "mini-corpus": "synthesise the offline mini corpus (espeak-ng, sox)",
    "prepare": "prepare a real corpus (as distributed) into Kaldi-style data dirs",
    "validate-data": "check Kaldi-style data dirs; every problem is listed",
    "make-manifest": "write <dir>/manifest.jsonl (one JSON record per utterance, with durations)",
    "train-tokenizer": "train a BPE text tokenizer on Kaldi text files",
    "task-text": "write a task's text (targets, or text inputs) as a Kaldi text table",
    "subset-data": "copy a data dir keeping N utterances spread over it (a quick test set)",
    "codec-tokens": "encode data dirs to codec tokens (the token cache SE/TTS training reads)",
    # models
    "train": "train a model from a config (every kind: lauragpt, encoder_ctc, codec, vocoder)",
    "info": "parameter counts per subsystem (meta device, no memory)",
    "codec-convert": "convert a FunCodec model dir into a laura codec dir",
    "export": "copy a trained model dir into a shippable one (--fp16, provenance, paths)",
    # outputs and their scores
    "decode": "decode a data dir with a trained experiment",
    "score": "score a decode dir with its task's metric, per group (or two text files)",
    "score-audio": (
        "former name of laura score --task SE|TTS (PESQ, STOI, WER by ASR, SECS, DNSMOS)"
    ),
    "baseline": "a text task's trivial baseline (empty, majority, best constant) as a decode dir",
    "codec-eval": "PESQ / STOI / mel distance of codec reconstructions",
    "vocoder-eval": (
        "score a trained vocoder from ground-truth first-group tokens (PESQ, STOI, RTF)"
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser: lists the verbs (their arguments are their modules')."""
    ap = argparse.ArgumentParser(
        prog="laura",
        description="LauraGPT toolkit: prepare data, train, decode, score, inspect.",
        epilog="laura VERB --help shows a verb's arguments.",
    )
    sub = ap.add_subparsers(dest="command", metavar="VERB", required=True)
    for verb, help_line in VERBS.items():
        sub.add_parser(verb, help=help_line, add_help=False)
    return ap


def main(argv: list[str] | None = None) -> int:
    """Run ``laura VERB ARGS...``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in VERBS:
        return run_verb(argv[0], argv[1:])
    build_parser().parse_args(argv)  # prints the verbs (--help) or the usage error, and exits
    return 2


if __name__ == "__main__":
    sys.exit(main())
