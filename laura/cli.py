"""The ``laura`` command. Imports are lazy: ``laura --help`` must not pay for torch."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def _add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-c", "--config", required=True, help="experiment YAML (e.g. recipes/lauragpt-mini.yaml)"
    )
    p.add_argument("overrides", nargs="*", help="key=value overrides, e.g. trainer.max_steps=100")


def cmd_train(args: argparse.Namespace) -> int:
    from laura.config import load_config
    from laura.train import train

    exp = train(load_config(args.config, args.overrides), fresh=args.fresh)
    print(f"done: {exp}")
    return 0


def cmd_decode(args: argparse.Namespace) -> int:
    from laura.decode import decode

    info = decode(args.exp, args.data, args.out, weights=args.weights, overrides=args.overrides,
                  task=args.task, vocoder=args.vocoder, overwrite=args.overwrite)  # fmt: skip
    print(json.dumps({k: v for k, v in info.items() if k not in ("config", "per_utt")}, indent=2))
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from laura.metrics.wer import main as score_main

    argv = ["--ref", args.ref, "--hyp", args.hyp, "--lang", args.lang]
    if args.out:
        argv += ["--out", args.out]
    return score_main(argv)


def cmd_info(args: argparse.Namespace) -> int:
    from laura.info import model_info

    info = model_info(args.config, args.overrides)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"config: {args.config}   (counted on the meta device: no weights allocated)")
    print(f"{'subsystem':<22}{'parameters':>16}")
    for k, v in info["parameters"].items():
        print(f"{k:<22}{v:>16,}")
    print(f"{'= total (billions)':<22}{info['parameters']['total'] / 1e9:>16.3f}")
    print("vocabulary: " + ", ".join(f"{k} {v:,}" for k, v in info["vocab"].items()))
    return 0


def cmd_tokenizer(args: argparse.Namespace) -> int:
    from laura.data.kaldi import read_table
    from laura.text.tokenizer import train_bpe

    texts: list[str] = []
    for f in args.text:
        texts += list(read_table(f).values())
    tok = train_bpe(texts, args.vocab_size, args.out)
    print(f"{args.out}: BPE with {tok.vocab_size} tokens from {len(texts)} lines")
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    from laura.data.corpora import corpora, parse_options, prepare

    if args.list or not args.corpus:
        print(f"{'corpus':<14}{'tasks':<12}default splits")
        for name, c in corpora().items():
            print(f"{name:<14}{','.join(c.tasks):<12}{' '.join(c.splits)}")
        return 0
    if not args.src or not args.out:
        raise ValueError("laura prepare CORPUS needs --src and --out")
    # typed by the corpus's prepare signature: "extract=false" is False, "max_duration=100" 100.0
    opts = parse_options(args.corpus, args.opt)
    for key in ("splits", "num_workers"):
        if key in opts:  # these have their own flags; two values for one option would clash
            raise ValueError(f"--opt {key}=...: use --{key.replace('_', '-')} instead")
    splits = args.splits.split(",") if args.splits else None
    dirs = prepare(
        args.corpus, args.src, args.out, splits=splits, num_workers=args.num_workers, **opts
    )
    for split, d in dirs.items():
        print(f"{split}: {d}")
    return 0


def cmd_manifest(args: argparse.Namespace) -> int:
    from laura.data.manifest import data_dir_to_manifest

    for d in args.dirs:
        out = Path(d) / "manifest.jsonl"
        n = data_dir_to_manifest(d, out)
        print(f"{out}: {n} utterances")
    return 0


def cmd_codec_tokens(args: argparse.Namespace) -> int:
    from laura.codec_tools import extract_tokens

    for d in args.data:
        out = extract_tokens(args.codec, d, field=args.field, n_q=args.n_q,
                             token_dir=args.token_dir, overwrite=args.overwrite)  # fmt: skip
        print(f"{out}: tokens ({args.n_q} groups)")
    return 0


def cmd_codec_eval(args: argparse.Namespace) -> int:
    from laura.codec_tools import (
        check_output_file,
        evaluate_codec,
        format_codec_table,
        open_codec,
        write_json,
    )

    check_output_file(args.out, args.overwrite)
    codec = open_codec(args.codec)
    speakers = None
    if args.speakers:
        # speakers.tsv of the mini corpus: spk ... heldout (1 = voice never seen in training)
        lines = Path(args.speakers).read_text().splitlines()
        head = lines[0].split("\t")
        if "heldout" not in head:
            raise ValueError(f"{args.speakers}: no 'heldout' column")
        col = head.index("heldout")
        speakers = {r.split("\t")[0] for r in lines[1:] if r.split("\t")[col] == "1"}
    n_qs = [int(x) for x in args.n_q.split(",")]
    result = evaluate_codec(codec, args.data, n_qs, max_utts=args.max_utts, speakers=speakers)
    result.update(codec=str(args.codec), data=str(args.data), heldout_only=bool(args.speakers))
    title = f"codec {args.codec} on {args.data}" + (" (held-out voices)" if speakers else "")
    print(format_codec_table(result, title))
    if args.out:
        write_json(result, args.out)
    return 0


def cmd_vocoder_eval(args: argparse.Namespace) -> int:
    from laura.vocoder_tools import evaluate_vocoder, format_vocoder_table

    result = evaluate_vocoder(args.vocoder, args.data, args.task, token_dir=args.token_dir,
                              max_utts=args.max_utts, out_dir=args.out_dir,
                              n_pictures=args.pictures, codec=args.codec, threads=args.threads,
                              asr_exp=args.asr_exp, overwrite=args.overwrite)  # fmt: skip
    print(format_vocoder_table(result, f"vocoder {args.vocoder} on {args.data} ({args.task})"))
    return 0


def cmd_score_audio(args: argparse.Namespace) -> int:
    from laura.audio_scoring import format_audio_table, score_audio

    result = score_audio(args.decode, args.data, args.task, asr_exp=args.asr_exp,
                         pocketsphinx=not args.no_pocketsphinx, secs=not args.no_secs,
                         mos=not args.no_dnsmos, max_utts=args.max_utts,
                         out=args.out or Path(args.decode) / "scores.json",
                         overwrite=args.overwrite)  # fmt: skip
    print(format_audio_table(result, args.label or str(args.decode)))
    return 0


def cmd_codec_convert(args: argparse.Namespace) -> int:
    from laura.nn.codec import save_codec
    from laura.nn.codec.funcodec import load_funcodec

    codec = load_funcodec(args.funcodec)
    out = save_codec(codec, args.out, {"converted_from": str(Path(args.funcodec).resolve())})
    n = sum(p.numel() for p in codec.parameters())
    print(f"{out}: laura codec ({n / 1e6:.2f}M parameters, {codec.cfg.n_q} x {codec.cfg.codebook_size} RVQ, "
          f"{codec.cfg.frame_rate:g} Hz)")  # fmt: skip
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="laura", description="LauraGPT toolkit: train, decode, score, inspect."
    )
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "train",
        help="train a model from a config",
        description="Train; resumes from <exp_dir>/checkpoints/last.ckpt when present. An "
        "experiment trained with another config is refused (nothing is written) unless --fresh.",
    )
    _add_config(p)
    p.add_argument(
        "--fresh",
        action="store_true",
        help="exp_dir holds an experiment with another config: move it aside to "
        "<exp_dir>.replaced-<time> and start anew",
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("decode", help="decode a data dir with a trained experiment")
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
    p.add_argument("--task", default=None, help="task to decode (default: the experiment's only task)")  # fmt: skip
    p.add_argument(
        "--vocoder", default=None, help="vocoder dir for audio outputs (SE, TTS): wavs + PNGs"
    )
    p.add_argument("overrides", nargs="*", help="key=value overrides, e.g. decode.batch_size=16")
    p.set_defaults(func=cmd_decode)

    p = sub.add_parser("score", help="WER/CER of hypotheses against references (Kaldi text files)")
    p.add_argument("--ref", required=True)
    p.add_argument("--hyp", required=True)
    p.add_argument(
        "--lang",
        default="auto",
        choices=["auto", "en", "zh"],
        help="normalisation; auto = per utterance",
    )
    p.add_argument("--out", default=None, help="write the result as JSON")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("info", help="parameter counts per subsystem (meta device, no memory)")
    _add_config(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_info)

    # Listed for --help; main() hands their arguments to the module's own parser.
    sub.add_parser(
        "validate-data", help="check Kaldi-style data dirs; every problem is listed", add_help=False
    )
    sub.add_parser(
        "mini-corpus", help="synthesise the offline mini corpus (espeak-ng, sox)", add_help=False
    )

    p = sub.add_parser(
        "prepare", help="prepare a real corpus (as distributed) into Kaldi-style data dirs"
    )
    p.add_argument("corpus", nargs="?", help="corpus name (see --list)")
    p.add_argument("--src", help="where the corpus was extracted")
    p.add_argument("--out", help="output dir: one data dir per split")
    p.add_argument(
        "--splits", default=None, help="comma-separated splits (default: the corpus's own)"
    )
    p.add_argument("--num-workers", type=int, default=2)
    p.add_argument(
        "--opt", action="append", default=[], help="corpus option key=value (repeatable)"
    )
    p.add_argument("--list", action="store_true", help="list the corpora laura can prepare")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser(
        "make-manifest",
        help="write <dir>/manifest.jsonl (one JSON record per utterance, with durations)",
    )
    p.add_argument("dirs", nargs="+", help="Kaldi-style data dirs")
    p.set_defaults(func=cmd_manifest)

    p = sub.add_parser("train-tokenizer", help="train a BPE text tokenizer on Kaldi text files")
    p.add_argument("--text", nargs="+", required=True, help="Kaldi text files (uttid transcript)")
    p.add_argument("--vocab-size", type=int, default=1000)
    p.add_argument("--out", required=True, help="output dir (tokenizer.json)")
    p.set_defaults(func=cmd_tokenizer)

    p = sub.add_parser(
        "codec-tokens",
        help="encode data dirs to codec tokens (the token cache that SE/TTS training reads)",
        description="Writes <data>/<token-dir>/<field>/ (safetensors shards); resumable.",
    )
    p.add_argument("--codec", required=True, help="laura codec dir, or a FunCodec model dir")
    p.add_argument("--data", nargs="+", required=True, help="Kaldi-style data dirs")
    p.add_argument(
        "--field", default="audio", help="audio (wav.scp) or clean (clean.scp, SE targets)"
    )
    p.add_argument(
        "--n-q", type=int, default=32, help="quantizer groups to keep (1 = LM targets only)"
    )
    p.add_argument("--token-dir", default="codec_tokens")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="re-extract a cache made differently (another codec, --n-q or utterance list; "
        "refused otherwise); a complete cache made the same way is kept without it",
    )
    p.set_defaults(func=cmd_codec_tokens)

    p = sub.add_parser("codec-eval", help="PESQ / STOI / mel distance of codec reconstructions")
    p.add_argument("--codec", required=True, help="laura codec dir, or a FunCodec model dir")
    p.add_argument("--data", required=True, help="Kaldi-style data dir")
    p.add_argument("--n-q", default="1,8,32", help="comma-separated numbers of quantizers")
    p.add_argument("--max-utts", type=int, default=0, help="evaluate a spread-out subset (0 = all)")
    p.add_argument("--speakers", default=None, help="speakers.tsv: score held-out voices only")
    p.add_argument("--out", default=None, help="write the result as JSON")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    p.set_defaults(func=cmd_codec_eval)

    p = sub.add_parser(
        "vocoder-eval",
        help="score a trained vocoder from ground-truth first-group tokens (PESQ, STOI, RTF)",
        description="Compares the vocoder with the codec decoding group 1 alone, all groups, and "
        "the task's audio input; writes wavs and spectrogram PNGs of a few utterances.",
    )
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
    p.set_defaults(func=cmd_vocoder_eval)

    p = sub.add_parser(
        "score-audio",
        help="score SE/TTS outputs of laura decode (PESQ, STOI, WER by ASR, SECS, DNSMOS)",
    )
    p.add_argument("--decode", required=True, help="decode dir (wav.scp, decode.json)")
    p.add_argument("--data", required=True, help="the data dir that was decoded (references)")
    p.add_argument("--task", required=True, choices=["SE", "TTS"])
    p.add_argument("--asr-exp", default=None, help="a laura ASR experiment to transcribe outputs")
    p.add_argument("--no-pocketsphinx", action="store_true", help="skip the pocketsphinx WER")
    p.add_argument("--no-secs", action="store_true", help="skip speaker similarity")
    p.add_argument("--no-dnsmos", action="store_true", help="skip DNSMOS")
    p.add_argument("--max-utts", type=int, default=0, help="a spread-out subset (0 = all)")
    p.add_argument("--label", default="", help="name for the table")
    p.add_argument("--out", default=None, help="JSON output (default <decode>/scores.json)")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing --out and the ASR dirs <decode>/asr{,_reference} (refused "
        "otherwise)",
    )
    p.set_defaults(func=cmd_score_audio)

    p = sub.add_parser("codec-convert", help="convert a FunCodec model dir into a laura codec dir")
    p.add_argument(
        "--funcodec", required=True, help="dir with FunCodec's config.yaml and model.pth"
    )
    p.add_argument("--out", required=True, help="output laura codec dir")
    p.set_defaults(func=cmd_codec_convert)
    return ap


# Commands whose arguments belong to another module's parser (its --help is theirs).
_PASSTHROUGH = {
    "validate-data": "laura.data.validate",
    "mini-corpus": "laura.data.mini.generate",
}


def main(argv: list[str] | None = None) -> int:
    """Run a verb. Bad input (a ``LauraError``, a missing file) is one line on stderr and exit 2;
    ``LAURA_DEBUG=1`` shows the traceback instead."""
    from laura.errors import LauraError

    argv = list(sys.argv[1:] if argv is None else argv)
    verb = argv[0] if argv else "laura"
    try:
        if argv and argv[0] in _PASSTHROUGH:
            import importlib

            return int(importlib.import_module(_PASSTHROUGH[argv[0]]).main(argv[1:]) or 0)
        args = build_parser().parse_args(argv)
        verb = args.command
        return int(args.func(args) or 0)
    except (LauraError, FileNotFoundError, ValueError, KeyError, OSError) as err:
        if os.environ.get("LAURA_DEBUG"):  # full traceback
            raise
        print(f"laura {verb}: error: {error_line(err)}", file=sys.stderr)
        return 2


def error_line(err: BaseException) -> str:
    """The message of a user error as the CLI prints it."""
    from laura.errors import LauraError

    msg = str(err.args[0] if isinstance(err, KeyError) and err.args else err)
    if "Original Traceback" in msg:
        # Raised in a DataLoader worker: torch re-raises it with the worker's traceback as the
        # message; its last line is "module.Type: the message".
        last = [line for line in msg.splitlines() if line.strip()][-1]
        msg = last.split(": ", 1)[1] if ": " in last else last
    return msg if isinstance(err, LauraError) else msg.split("\n")[0]


if __name__ == "__main__":
    sys.exit(main())
