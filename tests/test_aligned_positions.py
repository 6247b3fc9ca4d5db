"""model.aligned_tasks: SE output tokens take positions on the input's time axis (output frame k at
the position of the input frame at the same time), the same in training and in decoding."""

import pytest
import torch

from laura.nn.conformer import ConformerConfig
from laura.nn.generation import GenerationConfig
from laura.nn.lauragpt import LauraGPT, LauraGPTConfig
from laura.nn.lm import LMConfig


def tiny(aligned: list[str]) -> LauraGPT:
    torch.manual_seed(0)
    cfg = LauraGPTConfig(
        encoder=ConformerConfig(
            input_dim=560, d_model=16, n_blocks=1, n_heads=2, ffn_dim=32, dropout=0.0
        ),
        lm=LMConfig(hidden_size=32, num_layers=2, num_heads=2, ffn_dim=64, vocab_size=50),
        n_audio_tokens=64,
        aligned_tasks=aligned,
    )
    return LauraGPT(cfg).eval()


def se_batch(model: LauraGPT, lens=(9, 6), n_out=(13, 9)) -> dict:
    g = torch.Generator().manual_seed(3)
    feats = torch.randn(len(lens), max(lens), 560, generator=g)
    v = model.vocab
    return {
        "feats": feats,
        "feat_lens": torch.tensor(lens),
        "inputs": [[("audio", i)] for i in range(len(lens))],
        "tasks": ["SE"] * len(lens),
        "targets": [v.audio_to_ids(torch.randint(0, 64, (n,), generator=g)) for n in n_out],
        "output_kinds": ["audio"] * len(lens),
    }


def test_output_positions_follow_the_input_time_axis() -> None:
    model = tiny(["SE"])
    assert model.input_frames_per_token == pytest.approx(2 / 3)  # 60 ms LFR vs 40 ms codec
    b = se_batch(model)
    inputs = model.input_segments(b)
    assert model.output_positions(inputs, ["SE", "SE"]) == [(1.0, pytest.approx(2 / 3))] * 2
    assert model.output_positions(inputs, ["TTS", "SE"])[0] is None  # only aligned tasks
    # a text input before the audio moves the start to the audio's first frame
    ids = model.input_segments({**b, "inputs": [[("ids", torch.tensor([3, 4, 5])), ("audio", 0)]]})
    assert model.output_positions(ids, ["SE"])[0][0] == 4.0
    with pytest.raises(ValueError, match="aligned_tasks"):
        tiny(["XYZ"])


def test_aligned_positions_change_the_model_and_decoding_matches_training() -> None:
    plain, aligned = tiny([]), tiny(["SE"])
    aligned.load_state_dict(plain.state_dict())
    b = se_batch(plain)
    assert not torch.isclose(plain(b)["loss"], aligned(b)["loss"])
    # Decoding (KV cache, left-padded batch) gives the output tokens the positions the
    # training-time pass (right-padded, whole sequence) gives them.
    seen: list[torch.Tensor] = []
    lm_forward = aligned.lm.forward

    def record(embeds, attn, pos, **kw):
        seen.append(pos.clone())
        return lm_forward(embeds, attn, pos, **kw)

    aligned.lm.forward = record
    gen = GenerationConfig(max_new_tokens=12, temperature=0.0)
    out = aligned.generate(b, gen)
    dec_pos = torch.cat(seen[1:], 1)  # positions of the new tokens, step by step
    assert (
        out.tokens
        == aligned.generate(
            b, GenerationConfig(max_new_tokens=12, temperature=0.0, use_cache=False)
        ).tokens
    )
    for i, toks in enumerate(out.tokens):
        seen.clear()
        one = {
            **b,
            "feats": b["feats"][i : i + 1],
            "feat_lens": b["feat_lens"][i : i + 1],
            "inputs": [[("audio", 0)]],
            "tasks": ["SE"],
            "output_kinds": ["audio"],
            "targets": [torch.tensor(toks)],
        }
        aligned(one)
        n_in = int(b["feat_lens"][i])
        train_out = seen[0][0, n_in + 2 : n_in + 2 + len(toks)]  # after <sos> audio <SE>
        assert torch.allclose(train_out, 1 + torch.arange(len(toks)) * 2 / 3)
        assert torch.allclose(dec_pos[i, : len(toks) - 1], train_out[: len(toks) - 1])
