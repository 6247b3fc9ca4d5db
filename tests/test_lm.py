import pytest
import torch

from laura.nn.lm import CausalLM, LMConfig
from laura.nn.vocab import UnifiedVocab
from laura.text.tokenizer import TextTokenizer, qwen2_tokenizer_dir


def _save_tiny_qwen2(path, vocab=300):
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    cfg = Qwen2Config(
        vocab_size=vocab,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
        tie_word_embeddings=False,
    )
    model = Qwen2ForCausalLM(cfg).eval()
    model.save_pretrained(path, safe_serialization=True)
    return model


def test_pretrained_qwen2_loads_offline_and_matches_transformers(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    ref = _save_tiny_qwen2(tmp_path / "qwen2")
    vocab = UnifiedVocab(300, 1024)
    lm = CausalLM(LMConfig(pretrained=str(tmp_path / "qwen2")), vocab.n_extra).eval()
    assert lm.n_text == 300 and lm.vocab_size == vocab.size
    # Extended in both the input table and the output layer.
    assert lm.model.get_input_embeddings().weight.shape[0] == vocab.size
    assert lm.model.get_output_embeddings().weight.shape[0] == vocab.size
    ids = torch.tensor([[5, 17, 42, 99, 7, 250]])
    with torch.no_grad():
        want = ref(input_ids=ids).logits
        got, _ = lm(lm.embed(ids), torch.ones_like(ids))
    assert got.shape == (1, 6, vocab.size)
    assert torch.allclose(got[..., :300], want, atol=1e-5), (got[..., :300] - want).abs().max()


def _spread(rows: torch.Tensor) -> float:
    return float((rows - rows.mean(0)).norm(dim=1).mean())


def test_added_rows_of_a_pretrained_lm_are_distinct_and_scaled_like_the_old_ones(tmp_path):
    # HF's mean_resizing made all 1,034 added rows (codec and task tokens) one vector (spread
    # 1e-5 against 1.2 for the text rows): an input could not tell the codec tokens apart.
    _save_tiny_qwen2(tmp_path / "qwen2")  # untied output layer: both tables get new rows
    vocab = UnifiedVocab(300, 1024)
    torch.manual_seed(0)
    lm = CausalLM(LMConfig(pretrained=str(tmp_path / "qwen2")), vocab.n_extra)
    for table in (lm.model.get_input_embeddings().weight, lm.model.get_output_embeddings().weight):
        old, new = table[:300].detach(), table[300:].detach()
        assert new.shape[0] == vocab.n_extra
        assert 0.8 < _spread(new) / _spread(old) < 1.25
        assert torch.allclose(new.mean(0), old.mean(0), atol=0.3 * float(old.std()))
        nearest = torch.cdist(new, new).fill_diagonal_(float("inf")).min()
        assert nearest > 0.3 * _spread(old)  # no two added rows alike


def test_pretrained_dir_missing_is_clear(tmp_path):
    from laura.nn.lauragpt import text_vocab_size

    with pytest.raises(FileNotFoundError, match="config.json"):
        text_vocab_size(LMConfig(pretrained=str(tmp_path / "nope")))


def test_unknown_arch_rejected():
    with pytest.raises(ValueError, match="not a known architecture"):
        CausalLM(
            LMConfig(
                arch="evil.Module",
                hidden_size=8,
                num_layers=1,
                num_heads=1,
                ffn_dim=8,
                vocab_size=10,
            ),
            5,
        )


def test_build_from_config_has_extended_vocab():
    lm = CausalLM(
        LMConfig(hidden_size=32, num_layers=1, num_heads=4, ffn_dim=64, vocab_size=100), 40
    )
    assert lm.model.get_input_embeddings().weight.shape == (140, 32)
    assert lm.model.config.model_type == "qwen2"


def test_qwen2_tokenizer_ships_offline():
    tok = TextTokenizer("qwen2")
    assert (qwen2_tokenizer_dir() / "tokenizer.json").is_file()
    assert 151_000 < tok.vocab_size <= 151_936  # fits the Qwen-1.8B embedding table
    for text in ["hello world, this is laura", "今天天气很好"]:
        ids = tok.encode(text)
        assert ids and max(ids) < 151_936
        assert tok.decode(ids) == text
    assert tok.encode("hello")[0] == 14990  # Qwen2's id for "hello"


def test_bpe_keeps_chinese_characters(tmp_path):
    from laura.text.tokenizer import train_bpe

    tok = train_bpe(
        ["the cat sat on the mat"] * 5 + ["我们 吃 米饭", "今天 天气 很 好"] * 5, 80, tmp_path
    )
    for text in ["the cat sat", "今天天气很好"]:
        assert tok.decode(tok.encode(text)).replace(" ", "") == text.replace(" ", "")
    assert TextTokenizer(tmp_path).vocab_size == tok.vocab_size


def test_tokenizer_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="tokenizer.json"):
        TextTokenizer(tmp_path)
