import torch

from laura.nn.generation import GenerationConfig, generate
from laura.nn.lm import CausalLM, LMConfig
from laura.nn.sequence import Segment, build_prompt, collate_sequences
from laura.nn.vocab import UnifiedVocab


def setup(seed=0):
    torch.manual_seed(seed)
    vocab = UnifiedVocab(60, 16)
    cfg = LMConfig(
        hidden_size=48,
        num_layers=2,
        num_heads=4,
        num_kv_heads=2,
        ffn_dim=96,
        vocab_size=60,
        max_positions=512,
    )
    lm = CausalLM(cfg, vocab.n_extra).eval()
    prompts = [build_prompt(vocab, [Segment(embeds=torch.randn(n, 48))], "ASR") for n in (3, 9, 6)]
    sb = collate_sequences(prompts, lm.model.get_input_embeddings(), pad_side="left")
    return vocab, lm, prompts, sb


def test_kv_cache_gives_exactly_the_same_tokens():
    vocab, lm, _, sb = setup()
    allowed = vocab.allowed_mask("text")
    allowed[vocab.eos] = False  # force long outputs so the cache is exercised
    kw = dict(stop_ids=[vocab.eos], allowed=allowed)
    with_cache = generate(lm, sb, cfg=GenerationConfig(max_new_tokens=25, use_cache=True), **kw)
    no_cache = generate(lm, sb, cfg=GenerationConfig(max_new_tokens=25, use_cache=False), **kw)
    assert with_cache.tokens == no_cache.tokens
    assert all(len(t) == 25 for t in with_cache.tokens)
    assert len({tuple(t) for t in with_cache.tokens}) > 1  # rows really differ


def test_kept_probabilities_are_the_distributions_the_tokens_came_from():
    vocab, lm, _, sb = setup(2)
    allowed = vocab.allowed_mask("text")
    allowed[vocab.eos] = False
    kw = dict(stop_ids=[vocab.eos], allowed=allowed, keep_probs=(0, 60))
    runs = [
        generate(lm, sb, cfg=GenerationConfig(max_new_tokens=9, use_cache=c), **kw)
        for c in (True, False)
    ]
    for out in runs:
        assert out.probs is not None and len(out.probs) == 3
        for toks, p in zip(out.tokens, out.probs):
            assert p.shape == (len(toks), 60)
            assert torch.allclose(p.sum(-1), torch.ones(len(toks)), atol=1e-5)
            assert p.argmax(-1).tolist() == toks  # greedy: each token is its step's mode
            assert float(p.max(-1).values.min()) < 0.99  # a distribution, not a one-hot
    for a, b in zip(runs[0].probs, runs[1].probs):
        assert torch.allclose(a, b, atol=1e-5)
    assert (
        generate(lm, sb, cfg=GenerationConfig(max_new_tokens=3), stop_ids=[vocab.eos]).probs is None
    )


def test_batched_equals_one_by_one():
    vocab, lm, prompts, sb = setup(1)
    allowed = vocab.allowed_mask("text")
    allowed[vocab.eos] = False
    cfg = GenerationConfig(max_new_tokens=12)
    batched = generate(lm, sb, [vocab.eos], allowed, cfg)
    for i, p in enumerate(prompts):
        one = collate_sequences([p], lm.model.get_input_embeddings(), pad_side="left")
        assert generate(lm, one, [vocab.eos], allowed, cfg).tokens[0] == batched.tokens[i]


def test_max_length_guard_and_loop_flag():
    vocab, lm, _, sb = setup(2)
    allowed = vocab.allowed_mask("text")
    allowed[vocab.eos] = False  # can never stop by itself: every row loops
    caps = torch.tensor([4, 7, 2])
    out = generate(
        lm, sb, [vocab.eos], allowed, GenerationConfig(max_new_tokens=50), max_new_tokens=caps
    )
    assert [len(t) for t in out.tokens] == [4, 7, 2]
    assert out.hit_max == [True, True, True]


def test_stop_token_ends_row_and_is_not_a_loop():
    vocab, lm, _, sb = setup(3)
    only_eos = torch.zeros(vocab.size, dtype=torch.bool)
    only_eos[vocab.eos] = True
    out = generate(lm, sb, [vocab.eos], only_eos, GenerationConfig(max_new_tokens=10))
    assert out.tokens == [[], [], []] and out.hit_max == [False] * 3
    # min_new_tokens masks the stop token at first: with nothing else allowed... allow text too.
    allowed = vocab.allowed_mask("text")
    out = generate(
        lm, sb, [vocab.eos], allowed, GenerationConfig(max_new_tokens=10, min_new_tokens=3)
    )
    assert all(len(t) >= 3 for t in out.tokens)


def test_right_padded_prompt_rejected():
    vocab, lm, prompts, _ = setup()
    sb = collate_sequences(prompts, lm.model.get_input_embeddings(), pad_side="right")
    try:
        generate(lm, sb, [vocab.eos])
    except ValueError as err:
        assert "left-padded" in str(err)
    else:
        raise AssertionError("right padding must be rejected")


def test_sampling_respects_top_k_and_allowed():
    vocab, lm, _, sb = setup(4)
    allowed = vocab.allowed_mask("audio")
    g = torch.Generator().manual_seed(0)
    out = generate(
        lm,
        sb,
        [vocab.eoa],
        allowed,
        GenerationConfig(max_new_tokens=8, temperature=1.0, top_k=3),
        generator=g,
    )
    for row in out.tokens:
        assert all(vocab.audio_offset <= t < vocab.eoa for t in row)


class _Biased(torch.nn.Module):
    """The LM with fixed logit offsets (to force eos-first or a looping token)."""

    def __init__(self, lm, bias):
        super().__init__()
        self.lm, self.model, self.bias = lm, lm.model, bias

    def forward(self, *args, **kw):
        logits, past = self.lm(*args, **kw)
        return logits + self.bias, past


def test_per_row_minimum_masks_the_stop_token_until_reached():
    vocab, lm, _, sb = setup(5)
    bias = torch.zeros(vocab.size)
    bias[vocab.eos] = 100.0  # eos wins whenever it is allowed
    out = generate(
        _Biased(lm, bias),
        sb,
        [vocab.eos],
        vocab.allowed_mask("text"),
        GenerationConfig(max_new_tokens=20),
        max_new_tokens=torch.tensor([10, 10, 3]),
        min_new_tokens=torch.tensor([2, 5, 8]),
    )
    # Row 3's minimum exceeds its cap: the cap wins (it stops at 2 + eos = 3 positions).
    assert [len(t) for t in out.tokens] == [2, 5, 2]
    assert out.hit_max == [False, False, False]


def test_repetition_guard_breaks_a_loop_top_k_cannot_leave():
    vocab, lm, _, sb = setup(6)
    loop_tok = vocab.audio_offset + 3
    bias = torch.zeros(vocab.size)
    bias[loop_tok] = 3.0  # top-1 always picks it; the full distribution only about half the time
    allowed = vocab.allowed_mask("audio")
    allowed[vocab.eoa] = False
    kw = dict(stop_ids=[vocab.eoa], allowed=allowed)
    plain = GenerationConfig(max_new_tokens=40, temperature=1.0, top_k=1)
    guarded = GenerationConfig(
        max_new_tokens=40, temperature=1.0, top_k=1, repeat_window=6, repeat_max=3
    )
    stuck = generate(
        _Biased(lm, bias), sb, cfg=plain, generator=torch.Generator().manual_seed(0), **kw
    )
    assert all(t == [loop_tok] * 40 for t in stuck.tokens)
    free = generate(
        _Biased(lm, bias), sb, cfg=guarded, generator=torch.Generator().manual_seed(0), **kw
    )
    for row in free.tokens:
        assert len(row) == 40 and row.count(loop_tok) < 32
        assert any(t != loop_tok for t in row)
