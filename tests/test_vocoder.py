"""The codec vocoders (laura/nn/vocoder.py): shapes, masking, conditions, learning."""

from __future__ import annotations

import pytest
import torch

from laura.nn.vocoder import (
    ConditionConfig,
    MultiStepVocoder,
    OneStepVocoder,
    VocoderConfig,
    corrupt_tokens,
    embedding_loss,
)

V, D = 16, 8  # codebook size, latent dim


def small_cfg(**kw) -> VocoderConfig:
    base = dict(
        latent_dim=D,
        codebook_size=V,
        n_q=4,
        d_model=32,
        n_heads=4,
        ffn_dim=64,
        n_blocks=2,
        dropout=0.0,
        conditions=[ConditionConfig("text", "tokens", 10), ConditionConfig("noisy", "features", 5)],
    )
    base.update(kw)
    return VocoderConfig(**base)


def conds(b: int = 2, t_text: int = 3, t_feat: int = 7) -> dict:
    g = torch.Generator().manual_seed(1)
    return {
        "text": (torch.randint(0, 10, (b, t_text), generator=g), torch.full((b,), t_text)),
        "noisy": (torch.randn(b, t_feat, 5, generator=g), torch.full((b,), t_feat)),
    }


def test_one_step_shapes_and_padding_zeroed():
    torch.manual_seed(0)
    voc = OneStepVocoder(small_cfg(), torch.randn(V, D)).eval()
    tokens = torch.randint(0, V, (2, 6))
    lens = torch.tensor([6, 4])
    out = voc(tokens, lens, conds())
    assert out.shape == (2, 6, D)
    assert out[1, 4:].abs().max() == 0
    assert out[1, :4].abs().min() > 0


def test_one_step_output_independent_of_padding():
    torch.manual_seed(0)
    voc = OneStepVocoder(small_cfg(), torch.randn(V, D)).eval()
    c = conds(b=1, t_text=3, t_feat=5)
    tokens = torch.randint(0, V, (1, 4))
    alone = voc(tokens, torch.tensor([4]), c)
    # the same item padded in every segment inside a batch of 2
    padded = {
        "text": (
            torch.cat(
                [
                    torch.cat([c["text"][0], torch.zeros(1, 2, dtype=torch.long)], 1),
                    torch.randint(0, 10, (1, 5)),
                ]
            ),
            torch.tensor([3, 5]),
        ),
        "noisy": (
            torch.cat(
                [torch.cat([c["noisy"][0], torch.full((1, 3, 5), 1e4)], 1), torch.randn(1, 8, 5)]
            ),
            torch.tensor([5, 8]),
        ),
    }
    toks = torch.cat(
        [torch.cat([tokens, torch.zeros(1, 3, dtype=torch.long)], 1), torch.randint(0, V, (1, 7))]
    )
    batch = voc(toks, torch.tensor([4, 7]), padded)
    assert torch.allclose(batch[0, :4], alone[0], atol=1e-5)


def test_conditions_are_checked_by_name_and_kind():
    voc = OneStepVocoder(small_cfg())
    tokens, lens = torch.randint(0, V, (2, 6)), torch.tensor([6, 6])
    with pytest.raises(ValueError, match=r"missing \['noisy'\]"):
        voc(tokens, lens, {"text": conds()["text"]})
    with pytest.raises(ValueError, match=r"unexpected \['prompt'\]"):
        voc(tokens, lens, {**conds(), "prompt": conds()["noisy"]})
    with pytest.raises(ValueError, match="'text' takes token ids"):
        voc(tokens, lens, {**conds(), "text": (torch.randn(2, 3), torch.tensor([3, 3]))})
    with pytest.raises(ValueError, match="duplicate names"):
        small_cfg(conditions=[ConditionConfig("a"), ConditionConfig("a")]).check()
    with pytest.raises(ValueError, match="codebook"):
        OneStepVocoder(small_cfg(), torch.randn(V + 1, D))


def test_soft_one_hot_tokens_embed_like_ids():
    voc = OneStepVocoder(small_cfg(), torch.randn(V, D)).eval()
    tokens = torch.randint(0, V, (2, 6))
    one_hot = torch.nn.functional.one_hot(tokens, V).float().requires_grad_()
    lens = torch.tensor([6, 6])
    a, b = voc(tokens, lens, conds()), voc(one_hot, lens, conds())
    assert torch.allclose(a, b, atol=1e-6)
    b.sum().backward()  # differentiable back to the LM's distribution
    assert one_hot.grad is not None and one_hot.grad.abs().sum() > 0


def test_embedding_loss_ignores_padding():
    pred, target = torch.zeros(2, 5, D), torch.ones(2, 5, D)
    target[1, 3:] = 100.0  # padding: must not count
    out = embedding_loss(pred, target, torch.tensor([5, 3]), l1=1.0, l2=0.5)
    assert out["l1"].item() == pytest.approx(1.0)
    assert out["l2"].item() == pytest.approx(1.0)
    assert out["loss"].item() == pytest.approx(1.5)


def test_corrupt_tokens():
    g = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, 1024, (4, 2000), generator=g)
    assert torch.equal(corrupt_tokens(tokens, 0.0, 1024), tokens)
    noisy = corrupt_tokens(tokens, 0.3, 1024, generator=g)
    assert 0.25 < (noisy != tokens).float().mean().item() < 0.35
    predicted = tokens.clone()
    wrong = torch.rand(tokens.shape, generator=g) < 0.4
    predicted[wrong] = (tokens[wrong] + 1) % 1024
    mixed = corrupt_tokens(tokens, 0.0, 1024, predicted=predicted, generator=g)
    assert torch.equal(mixed[~wrong], tokens[~wrong])  # right predictions stay
    back = (mixed[wrong] == tokens[wrong]).float().mean().item()
    assert 0.45 < back < 0.55  # wrong ones: the truth with probability 0.5


def _toy_codec_data(n: int, frames: int, n_q: int, seed: int = 0):
    """Tokens of n_q groups where each later group is a fixed function of the first one and a
    condition bit, so the sum of all entries is predictable from group 1 + the condition."""
    g = torch.Generator().manual_seed(seed)
    books = torch.randn(n_q, V, D, generator=g)
    first = torch.randint(0, V, (n, frames), generator=g)
    bit = torch.randint(0, 2, (n, 1), generator=g)
    groups = [first] + [(first * (q + 2) + bit * 5 + q) % V for q in range(1, n_q)]
    tokens = torch.stack(groups, 1)
    target = sum(books[q][tokens[:, q]] for q in range(n_q))
    return books, tokens, target, bit


def test_one_step_learns_the_sum_beyond_the_first_group():
    torch.manual_seed(0)
    books, tokens, target, bit = _toy_codec_data(64, 8, 4)
    cfg = small_cfg(conditions=[ConditionConfig("bit", "tokens", 2)], l2_weight=1.0)
    voc = OneStepVocoder(cfg, books[0])
    lens = torch.full((64,), 8)
    c = {"bit": (bit, torch.ones(64, dtype=torch.long))}
    first_only = embedding_loss(books[0][tokens[:, 0]], target, lens)["loss"].item()
    opt = torch.optim.Adam(voc.parameters(), lr=3e-3)
    for _ in range(300):
        loss = voc.loss(voc(tokens[:, 0], lens, c), target, lens)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    final = voc.loss(voc.eval()(tokens[:, 0], lens, c), target, lens)["loss"].item()
    assert final < 0.2 * first_only, (final, first_only)


def test_multi_step_learns_and_generates_all_groups():
    torch.manual_seed(0)
    books, tokens, _, bit = _toy_codec_data(64, 8, 4)
    cfg = small_cfg(kind="multi_step", conditions=[ConditionConfig("bit", "tokens", 2)])
    voc = MultiStepVocoder(cfg, books)
    lens = torch.full((64,), 8)
    c = {"bit": (bit, torch.ones(64, dtype=torch.long))}
    before = voc.loss(tokens, lens, c, group=2)["acc"].item()
    opt = torch.optim.Adam(voc.parameters(), lr=3e-3)
    for _ in range(300):
        loss = voc.loss(tokens, lens, c)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    voc.eval()
    assert voc.loss(tokens, lens, c, group=2)["acc"].item() > max(0.9, before + 0.5)
    out = voc.generate(tokens[:, 0], lens, c)
    assert out.shape == tokens.shape
    assert torch.equal(out[:, 0], tokens[:, 0])
    assert (out == tokens).float().mean().item() > 0.9
    with pytest.raises(ValueError, match="groups 1..3"):
        voc.logits(tokens, lens, c)
