"""Codec encode+decode real-time factor: laura's SEANet codec against FunCodec's model of the same
config (the released 16 kHz, 25 Hz, 32 x 1024 codec; 57.5M parameters; same weights), measured in
the same run on 10 s of audio (the goal is BENCH.goal below). The mini (frequency-domain) codec
is timed too, for scale.

FunCodec (installed --no-deps by tools/setup.sh) is needed: without it the import of its model
fails and the benchmark stops there."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
from common import Benchmark, Goal, row, table, timeit, write  # noqa: E402
from peers import released_funcodec, speechlike  # noqa: E402

from laura.nn.codec import Codec, CodecConfig  # noqa: E402
from laura.nn.codec.funcodec import config_from_funcodec, from_funcodec_state  # noqa: E402

BENCH = Benchmark(
    name="codec",
    compares="encode (32 groups) + decode of 10 s: laura's SEANet codec vs FunCodec's own model, "
    "same released config and weights; the mini frequency-domain codec for scale",
    goal=Goal("ratio laura/FunCodec", "<=", 1.0),
)


def main() -> None:
    import yaml
    from peers import RELEASED

    torch.set_num_threads(2)
    seconds = 10.0
    wav = speechlike(int(seconds * 16000), seed=0)
    peer = released_funcodec().eval()
    laura_codec = from_funcodec_state(
        peer.state_dict(), config_from_funcodec(yaml.safe_load(RELEASED))
    )
    torch.manual_seed(0)
    mini = Codec(CodecConfig(kind="freq"))
    mini.train()
    with torch.no_grad():
        mini(speechlike(32000, seed=1))
    mini.eval()

    def laura_run(codec: Codec):
        def f() -> None:
            tokens, scale = codec.encode(wav)
            codec.decode(tokens, scale, length=wav.shape[-1])

        return f

    def peer_run() -> None:
        with torch.no_grad():
            peer.inference_encoding(wav, need_recon=True)

    rows = []
    with torch.inference_mode():
        t_peer = timeit(peer_run, repeat=5)
        t_laura = timeit(laura_run(laura_codec), repeat=5)
        t_mini = timeit(laura_run(mini), repeat=5)
    for name, t, params in (
        ("funcodec encodec (peer)", t_peer, sum(p.numel() for p in peer.parameters())),
        ("laura seanet (same weights)", t_laura, sum(p.numel() for p in laura_codec.parameters())),
        ("laura freq (mini codec)", t_mini, sum(p.numel() for p in mini.parameters())),
    ):
        rows.append(
            {
                "model": name,
                "params_M": params / 1e6,
                "seconds": t,
                "rtf": t / seconds,
                "ratio_vs_peer": t / t_peer,
            }
        )
    notes = (
        f"encode (32 quantizers) + decode of {seconds:g} s at 16 kHz, 2 threads, median of 5; "
        f"goal: {BENCH.goal.text} (measured {t_laura / t_peer:.2f})"
    )
    summary = [
        row(
            f"laura SEANet ({rows[1]['params_M']:.1f}M, FunCodec's weights), encode + decode "
            f"{seconds:g} s",
            t_laura,
            "s",
            note=f"RTF {t_laura / seconds:.3f}",
            reference=t_peer,
            reference_label="FunCodec",
            ratio=t_laura / t_peer,
            ratio_of="laura / FunCodec",
            goal=BENCH.goal,
        ),
        row(
            f"mini codec (frequency domain, {rows[2]['params_M']:.1f}M), encode + decode "
            f"{seconds:g} s",
            t_mini,
            "s",
            note=f"RTF {t_mini / seconds:.3f}",
            reference=t_peer,
            reference_label="FunCodec",
            ratio=t_mini / t_peer,
            ratio_of="mini / FunCodec",
        ),
    ]
    columns = ["model", "params_M", "seconds", "rtf", "ratio_vs_peer"]
    write(BENCH, summary, [table("codec_rtf", rows, columns, notes)], notes)


if __name__ == "__main__":
    main()
