"""One-step codec vocoder against the multi-step baseline (the paper's Table 3 pair), measured in
the same run: 10 s of audio (250 codec frames) with an SE-style condition (10 s of 560-d LFR
features at 16.7 Hz) at the paper's predictor size (6 blocks, 512-d, 8 heads, FFN 2048).

Rows: the vocoder alone (one pass against n_q - 1 = 31 passes), and vocoder + the codec decoder
(the paper's SEANet codec, 57.5M parameters, random weights: the same decoder cost for both).
The goal (BENCH.goal below) is for the whole synthesis, the second row."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import Benchmark, Goal, row, table, timeit, write  # noqa: E402

from laura.nn.codec import Codec, CodecConfig  # noqa: E402
from laura.nn.vocoder import (  # noqa: E402
    ConditionConfig,
    MultiStepVocoder,
    OneStepVocoder,
    VocoderConfig,
)

BENCH = Benchmark(
    name="vocoder",
    compares="one-step vocoder vs the multi-step baseline (paper predictor size, 10 s, SE-style "
    "condition), alone and followed by the paper's SEANet decoder",
    goal=Goal("ratio multi/one with the decoder", ">=", 5.0),
)


def main() -> None:
    torch.set_num_threads(2)
    torch.manual_seed(0)
    seconds, frames, feat_frames = 10.0, 250, 167
    cond = [ConditionConfig("noisy", "features", 560)]
    one = OneStepVocoder(VocoderConfig(conditions=cond)).eval()
    multi = MultiStepVocoder(VocoderConfig(kind="multi_step", conditions=cond)).eval()
    codec = Codec(CodecConfig(kind="seanet")).eval()
    tokens = torch.randint(0, 1024, (1, frames))
    lens = torch.tensor([frames])
    c = {"noisy": (torch.randn(1, feat_frames, 560), torch.tensor([feat_frames]))}

    def one_step() -> torch.Tensor:
        return one(tokens, lens, c)

    def multi_step() -> torch.Tensor:
        return multi.generate(tokens, lens, c)

    with torch.inference_mode():
        t_one = timeit(one_step, repeat=5)
        t_multi = timeit(multi_step, repeat=3)
        emb = one_step()
        all_groups = multi_step()
        t_dec_emb = timeit(lambda: codec.decode_embedding(emb), repeat=3)
        t_dec_tok = timeit(lambda: codec.decode(all_groups), repeat=3)
    rows = [
        {
            "what": "vocoder only",
            "one_step_s": t_one,
            "multi_step_s": t_multi,
            "ratio": t_multi / t_one,
        },
        {
            "what": "vocoder + codec decoder",
            "one_step_s": t_one + t_dec_emb,
            "multi_step_s": t_multi + t_dec_tok,
            "ratio": (t_multi + t_dec_tok) / (t_one + t_dec_emb),
        },
    ]
    params = sum(p.numel() for p in one.parameters()) / 1e6
    codec_params = sum(p.numel() for p in codec.parameters()) / 1e6
    notes = (
        f"{seconds:g} s of audio ({frames} frames), predictor {params:.1f}M parameters, "
        f"2 threads, median of 5 (one step) / 3 (multi-step); goal: {BENCH.goal.text} "
        f"(measured {rows[1]['ratio']:.1f})"
    )
    summary = [
        row(
            f"one-step vocoder ({params:.1f}M), {seconds:g} s",
            rows[0]["one_step_s"],
            "s",
            reference=rows[0]["multi_step_s"],
            reference_label=f"multi-step ({multi.cfg.n_q - 1} passes)",
            ratio=rows[0]["ratio"],
            ratio_of="multi / one",
        ),
        row(
            f"one-step vocoder + SEANet decoder ({codec_params:.1f}M codec), {seconds:g} s",
            rows[1]["one_step_s"],
            "s",
            note=f"decoder {t_dec_emb:.3g} s",
            reference=rows[1]["multi_step_s"],
            reference_label="multi-step + decoder",
            ratio=rows[1]["ratio"],
            ratio_of="multi / one",
            goal=BENCH.goal,
        ),
    ]
    columns = ["what", "one_step_s", "multi_step_s", "ratio"]
    write(BENCH, summary, [table("vocoder_one_vs_multi_step", rows, columns, notes)], notes)


if __name__ == "__main__":
    main()
