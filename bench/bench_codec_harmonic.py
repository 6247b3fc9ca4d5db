"""What pitch costs in the mini codec: encode + decode of 10 s with the shipped explicit-F0
harmonic mini codec (egs/mini/codec/shipped/mini_codec: YIN in the encoder, partials in the
decoder) and the harmonic codec with learnt F0, against the plain frequency-domain mini codec of
the same size, measured in the same run. No goal: the figure is the price of the harmonic path,
reported for scale.

The plain and learnt-F0 codecs have random weights (trained ones would take hours; the time of
a pass does not depend on the weights), their codebooks initialised by one training pass as in
bench_codec.py."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
from common import ROOT, Benchmark, row, table, timeit_interleaved, write  # noqa: E402
from peers import speechlike  # noqa: E402

from laura.nn.codec import Codec  # noqa: E402
from laura.nn.codec.codec import load_codec  # noqa: E402

SHIPPED = ROOT / "egs/mini/codec/shipped/mini_codec"
BENCH = Benchmark(
    name="codec_harmonic",
    compares="encode + decode of 10 s: the shipped explicit-F0 harmonic mini codec (YIN in encode, "
    "partials in decode) and the harmonic codec with learnt F0 vs the plain mini codec",
    goal=None,
)


def main() -> None:
    torch.set_num_threads(2)
    seconds = 10.0
    wav = speechlike(int(seconds * 16000), seed=0)
    shipped = load_codec(SHIPPED)

    def variant(**change: bool) -> Codec:
        torch.manual_seed(0)
        codec = Codec(dataclasses.replace(shipped.cfg, **change))
        codec.train()
        with torch.no_grad():
            codec(speechlike(32000, seed=1))
        return codec.eval()

    plain = variant(harmonic=False, explicit_f0=False)
    learnt = variant(harmonic=True, explicit_f0=False)

    def run(codec: Codec):
        def f() -> None:
            tokens, scale = codec.encode(wav)
            codec.decode(tokens, scale, length=wav.shape[-1])

        return f

    with torch.inference_mode():
        t = timeit_interleaved(
            {"plain": run(plain), "learnt": run(learnt), "shipped": run(shipped)}, repeat=7
        )
    t_plain, t_learnt, t_shipped = t["plain"], t["learnt"], t["shipped"]
    rows = []
    for name, codec, t in (
        ("plain (reference)", plain, t_plain),
        ("harmonic, learnt F0", learnt, t_learnt),
        ("harmonic, explicit F0 (shipped)", shipped, t_shipped),
    ):
        params = sum(p.numel() for p in codec.parameters()) / 1e6
        rows.append(
            {
                "codec": name,
                "params_M": params,
                "seconds": t,
                "rtf": t / seconds,
                "ratio_vs_plain": t / t_plain,
            }
        )
    notes = (
        f"encode (32 quantizers) + decode of {seconds:g} s at 16 kHz, 2 threads, median of 7 "
        "taken in turns"
    )
    summary = [
        row(
            f"{label} mini codec ({r['params_M']:.1f}M), encode + decode {seconds:g} s",
            r["seconds"],
            "s",
            reference=t_plain,
            reference_label=f"plain ({rows[0]['params_M']:.1f}M)",
            ratio=r["ratio_vs_plain"],
            ratio_of="harmonic / plain",
        )
        for label, r in (
            ("explicit-F0 harmonic (shipped)", rows[2]),
            ("learnt-F0 harmonic", rows[1]),
        )
    ]
    columns = ["codec", "params_M", "seconds", "rtf", "ratio_vs_plain"]
    write(BENCH, summary, [table("codec_harmonic", rows, columns, notes)], notes)


if __name__ == "__main__":
    main()
