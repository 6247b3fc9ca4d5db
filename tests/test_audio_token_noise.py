"""model.audio_token_noise: in training, a share of the teacher-forced audio tokens the LM reads
is replaced by random codes, so that SE/TTS must read their inputs; targets, text outputs,
prompts and evaluation are untouched."""

import pytest
import torch

from laura.nn.conformer import ConformerConfig
from laura.nn.lauragpt import LauraGPT, LauraGPTConfig, rotated_inputs
from laura.nn.lm import LMConfig
from laura.nn.sequence import build_training_sequence, collate_sequences, tokens


def tiny(noise: float) -> LauraGPT:
    torch.manual_seed(0)
    cfg = LauraGPTConfig(
        encoder=ConformerConfig(d_model=16, n_blocks=1, n_heads=2, ffn_dim=32, dropout=0.0),
        lm=LMConfig(hidden_size=32, num_layers=1, num_heads=2, ffn_dim=64, vocab_size=50),
        n_audio_tokens=64,
        audio_token_noise=noise,
    )
    return LauraGPT(cfg)


def batch(model: LauraGPT, kind: str, n: int = 40) -> dict:
    g = torch.Generator().manual_seed(1)
    v = model.vocab
    text_in = [tokens(torch.randint(0, v.n_text, (7,), generator=g))]
    if kind == "audio":
        tgt = v.audio_to_ids(torch.randint(0, v.n_audio, (n,), generator=g))
    else:
        tgt = torch.randint(0, v.n_text, (n,), generator=g)
    return {
        "feats": None,
        "inputs": [[("ids", s.ids) for s in text_in]] * 3,
        "tasks": ["TTS" if kind == "audio" else "S2TT"] * 3,
        "targets": [tgt] * 3,
        "output_kinds": [kind] * 3,
        "output_prefix": [torch.tensor([v.audio_offset + 5, v.audio_offset + 6])] * 3
        if kind == "audio"
        else None,
    }


def collated(model: LauraGPT, b: dict):
    seqs = [
        build_training_sequence(model.vocab, [tokens(ids) for _, ids in inp], t, tgt, k, p)
        for inp, t, tgt, k, p in zip(
            b["inputs"],
            b["tasks"],
            b["targets"],
            b["output_kinds"],
            b["output_prefix"] or [None] * 3,
        )
    ]
    return collate_sequences(seqs, model.lm.model.get_input_embeddings())


@pytest.mark.parametrize("p", [1.0, 0.3])
def test_only_audio_target_positions_are_replaced_at_the_given_rate(p: float) -> None:
    model = tiny(p)
    sb = collated(model, batch(model, "audio", n=400))
    out = model._noisy_audio_history(model.lm.model.get_input_embeddings(), sb)
    changed = (out != sb.inputs_embeds).any(-1)
    v = model.vocab
    audio_tgt = sb.loss_mask & (sb.token_ids >= v.audio_offset) & (sb.token_ids < v.eoa)
    assert not changed[~audio_tgt].any()  # inputs, task token, prompt prefix, end token
    rate = changed[audio_tgt].float().mean().item()
    # a replacement may draw the same code again (1 in 64)
    assert rate == pytest.approx(p * 63 / 64, abs=0.04)
    # the replacements are audio-token embeddings
    emb = model.lm.model.get_input_embeddings().weight
    audio_rows = emb[v.audio_offset : v.eoa]
    for x in out[changed][:20]:
        assert (audio_rows == x).all(-1).any()


def test_text_outputs_are_never_corrupted() -> None:
    model = tiny(1.0)
    sb = collated(model, batch(model, "text"))
    out = model._noisy_audio_history(model.lm.model.get_input_embeddings(), sb)
    assert torch.equal(out, sb.inputs_embeds)


def test_noise_acts_in_training_only_and_keeps_the_targets() -> None:
    clean, noisy = tiny(0.0), tiny(1.0)
    noisy.load_state_dict(clean.state_dict())
    b = batch(clean, "audio")
    for m in (clean, noisy):
        m.eval()
    assert torch.equal(clean(b)["loss"], noisy(b)["loss"])
    clean.train(), noisy.train()  # dropout 0 in the LM: only the noise differs
    a, c = clean(b), noisy(b)
    assert a["n_tokens"] == c["n_tokens"]  # same scored targets (outputs + end)
    assert not torch.isclose(a["loss"], c["loss"])
    bt = batch(clean, "text")
    assert torch.equal(clean(bt)["loss"], noisy(bt)["loss"])


def test_rotated_inputs_pair_each_target_with_the_next_examples_input() -> None:
    model = tiny(0.0).eval()
    b = batch(model, "audio")
    g = torch.Generator().manual_seed(2)
    b["inputs"] = [[("ids", torch.randint(0, 50, (n,), generator=g))] for n in (3, 5, 7)]
    b["targets"] = [t[: 10 + i] for i, t in enumerate(b["targets"])]
    r = rotated_inputs(b)
    assert [len(x[0][1]) for x in r["inputs"]] == [5, 7, 3]
    assert r["targets"] is b["targets"] and r["output_prefix"] is b["output_prefix"]
    assert [len(x[0][1]) for x in b["inputs"]] == [3, 5, 7]  # the batch itself is untouched
    # a model that reads its input scores the rotated batch differently
    assert not torch.isclose(model(b)["loss"], model(r)["loss"])
