import pytest
import torch

from laura.nn.lm import CausalLM, LMConfig
from laura.nn.sequence import (
    IGNORE,
    Segment,
    build_prompt,
    build_training_sequence,
    collate_sequences,
    sequence_loss,
    tokens,
)
from laura.nn.vocab import TASKS, UnifiedVocab


def tiny_lm(n_text=50, n_audio=16):
    torch.manual_seed(0)
    vocab = UnifiedVocab(n_text, n_audio)
    cfg = LMConfig(
        hidden_size=32, num_layers=2, num_heads=4, ffn_dim=64, vocab_size=n_text, max_positions=256
    )
    lm = CausalLM(cfg, vocab.n_extra).eval()
    return vocab, lm


def test_vocab_layout():
    v = UnifiedVocab(100, 1024)
    assert v.audio_offset == 100 and v.eoa == 1124
    ids = {v.sos, v.eos, v.eoa, *[v.task_id(t) for t in TASKS]}
    assert len(ids) == 3 + len(TASKS)
    assert max(ids) == v.size - 1
    assert v.size == 100 + 1024 + 1 + 2 + len(TASKS)
    text = v.allowed_mask("text")
    assert text[:100].all() and text[v.eos] and not text[v.audio_offset] and not text[v.eoa]
    audio = v.allowed_mask("audio")
    assert audio[v.audio_offset : v.eoa + 1].all() and audio.sum() == 1025
    with pytest.raises(KeyError, match="unknown task 'XYZ'"):
        v.task_id("XYZ")
    with pytest.raises(ValueError, match=r"\[0, 1024\)"):
        v.audio_to_ids(torch.tensor([1024]))


def test_layout_and_loss_mask_asr():
    vocab, lm = tiny_lm()
    audio = torch.randn(5, 32)
    text = torch.tensor([7, 8, 9])
    seq = build_training_sequence(vocab, [Segment(embeds=audio)], "ASR", text, "text")
    sb = collate_sequences([seq], lm.model.get_input_embeddings())
    # [sos] + 5 audio + [<ASR>] + 3 text + [eos] = 11 positions
    assert sb.inputs_embeds.shape == (1, 11, 32)
    ids = sb.token_ids[0].tolist()
    assert ids[0] == vocab.sos and ids[6] == vocab.task_id("ASR")
    assert ids[1:6] == [-1] * 5
    assert ids[7:] == [7, 8, 9, vocab.eos]
    assert sb.loss_mask[0].tolist() == [False] * 7 + [True] * 4
    labels = sb.labels[0].tolist()
    assert labels[:7] == [IGNORE] * 7 and labels[7:] == [7, 8, 9, vocab.eos]
    assert torch.equal(sb.inputs_embeds[0, 1:6], audio)


def test_loss_ignores_inputs_and_task_token_but_not_targets():
    vocab, lm = tiny_lm()
    text_in = torch.tensor([3, 4, 5, 6])  # TTS-like: text input tokens
    codes = vocab.audio_to_ids(torch.tensor([1, 2, 3]))
    seq = build_training_sequence(vocab, [tokens(text_in)], "TTS", codes, "audio")
    sb = collate_sequences([seq], lm.model.get_input_embeddings())
    logits, _ = lm(sb.inputs_embeds, sb.attention_mask, sb.position_ids)
    base, _, n = sequence_loss(logits, sb.token_ids, sb.loss_mask)
    assert n == 4  # 3 codes + end-of-audio
    # An input-side label (input text, task token) changed: the loss must not move.
    for pos in (1, 2, 5):
        ids = sb.token_ids.clone()
        ids[0, pos] = (ids[0, pos] + 1) % vocab.n_text
        same, _, _ = sequence_loss(logits, ids, sb.loss_mask)
        assert torch.equal(same, base)
    # A target token changed: the loss must move.
    ids = sb.token_ids.clone()
    ids[0, 7] = vocab.audio_offset + 9
    moved, _, _ = sequence_loss(logits, ids, sb.loss_mask)
    assert not torch.isclose(moved, base)


def test_prompt_is_prefix_of_training_sequence():
    vocab, _ = tiny_lm()
    audio = Segment(embeds=torch.randn(3, 32))
    prompt = build_prompt(vocab, [audio], "S2TT")
    full = build_training_sequence(vocab, [audio], "S2TT", torch.tensor([1, 2]), "text")
    assert len(full) == len(prompt) + 1
    for a, b in zip(prompt, full):
        assert len(a) == len(b)
        if a.ids is not None:
            assert torch.equal(a.ids, b.ids)


def test_zero_shot_tts_prefix_not_scored():
    vocab, lm = tiny_lm()
    prompt_codes = vocab.audio_to_ids(torch.tensor([4, 5]))
    codes = vocab.audio_to_ids(torch.tensor([6, 7, 8]))
    seq = build_training_sequence(
        vocab, [tokens([3, 4])], "TTS", codes, "audio", output_prefix=prompt_codes
    )
    sb = collate_sequences([seq], lm.model.get_input_embeddings())
    mask = sb.loss_mask[0].tolist()
    # [sos, t, t, <TTS>, p, p, c, c, c, eoa]
    assert mask == [False] * 6 + [True] * 4


@pytest.mark.parametrize("pad_side", ["left", "right"])
def test_padding_does_not_change_logits(pad_side):
    vocab, lm = tiny_lm()
    emb = lm.model.get_input_embeddings()
    short = build_training_sequence(
        vocab, [Segment(embeds=torch.randn(2, 32))], "ASR", torch.tensor([5]), "text"
    )
    long = build_training_sequence(
        vocab, [Segment(embeds=torch.randn(6, 32))], "ASR", torch.tensor([5, 6, 7]), "text"
    )
    both = collate_sequences([short, long], emb, pad_side=pad_side)
    alone = collate_sequences([short], emb)
    assert both.attention_mask[0].sum() == alone.inputs_embeds.shape[1]
    lb, _ = lm(both.inputs_embeds, both.attention_mask, both.position_ids)
    la, _ = lm(alone.inputs_embeds, alone.attention_mask, alone.position_ids)
    n = alone.inputs_embeds.shape[1]
    rows = lb[0, :n] if pad_side == "right" else lb[0, -n:]
    assert torch.allclose(rows, la[0], atol=1e-5)


def test_no_targets_is_an_error():
    vocab, lm = tiny_lm()
    sb = collate_sequences(
        [build_prompt(vocab, [tokens([1, 2])], "ASR")], lm.model.get_input_embeddings()
    )
    logits, _ = lm(sb.inputs_embeds, sb.attention_mask, sb.position_ids)
    with pytest.raises(ValueError, match="no target positions"):
        sequence_loss(logits, sb.token_ids, sb.loss_mask)
