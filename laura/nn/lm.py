"""The GPT backbone: any Hugging Face causal LM with its vocabulary extended for audio and tasks.

Built from a config (Qwen2 architecture by default, the paper's Qwen-1.8B shape in
``recipes/lauragpt-2b.yaml``) or loaded from a local directory written by ``save_pretrained``.
Loading never runs code from the checkpoint (``trust_remote_code=False``, safetensors weights)
and never touches the network (``local_files_only=True``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

# Architectures that ``LMConfig.arch`` may name when the LM is built from a config.
# Values: (config class name, kwargs renaming). Only these are ever instantiated from a config.
_ARCHS: dict[str, str] = {
    "qwen2": "Qwen2Config",
    "qwen3": "Qwen3Config",
    "llama": "LlamaConfig",
    "mistral": "MistralConfig",
}


@dataclass
class LMConfig:
    """Shape of the backbone when built from scratch; ``pretrained`` overrides all of it."""

    pretrained: str | None = None  # local HF directory (config.json + safetensors)
    # False: only the pretrained dir's config.json is read, for the structure (an exported
    # LauraGPT holds every weight itself: `laura export` copies config.json and sets this)
    pretrained_weights: bool = True
    arch: str = "qwen2"
    hidden_size: int = 2048
    num_layers: int = 24
    num_heads: int = 16
    num_kv_heads: int | None = None  # None = multi-head attention (no grouping)
    ffn_dim: int = 5504
    vocab_size: int = 151936  # text rows N of the embedding table
    max_positions: int = 8192
    rope_theta: float = 10000.0
    tie_embeddings: bool = False
    attn_implementation: str = "sdpa"
    gradient_checkpointing: bool = False


def _hf_config(cfg: LMConfig, total_vocab: int) -> Any:
    import transformers

    if cfg.arch not in _ARCHS:
        raise ValueError(f"lm.arch={cfg.arch!r} is not a known architecture: {sorted(_ARCHS)}")
    config_cls = getattr(transformers, _ARCHS[cfg.arch])
    return config_cls(
        vocab_size=total_vocab,
        hidden_size=cfg.hidden_size,
        intermediate_size=cfg.ffn_dim,
        num_hidden_layers=cfg.num_layers,
        num_attention_heads=cfg.num_heads,
        num_key_value_heads=cfg.num_kv_heads or cfg.num_heads,
        max_position_embeddings=cfg.max_positions,
        rope_parameters={"rope_type": "default", "rope_theta": cfg.rope_theta},
        tie_word_embeddings=cfg.tie_embeddings,
        use_cache=True,
    )


def read_pretrained_text_vocab(path: str | Path) -> int:
    """Embedding rows of a local HF checkpoint, read from its config.json."""
    config_file = Path(path) / "config.json"
    if not config_file.is_file():
        raise FileNotFoundError(
            f"{config_file}: no config.json (lm.pretrained must be a local HF dir)"
        )
    data = json.loads(config_file.read_text())
    if "vocab_size" not in data:
        raise ValueError(f"{config_file}: has no 'vocab_size'")
    return int(data["vocab_size"])


def init_added_rows(model: nn.Module, n_old: int) -> None:
    """Rows ``n_old:`` of a resized input table (and of an untied output layer) drawn like the
    old rows: per dimension, their mean plus their spread times an independent normal draw.

    Not HF's ``mean_resizing``, which gives every added row the old rows' mean (its noise is
    1e-9 of their covariance): right for a few special tokens, but the 1,024 codec tokens and
    the task tokens then start as one vector. An input cannot tell them apart, and rows that are
    never a target get equal gradients: after 1,500 steps of ASR alone the mini LM's 1,024 codec
    rows were still within 1e-5 of each other (against 1.2 for its text rows), and SE and TTS
    were slow to read their inputs."""
    tables = [model.get_input_embeddings().weight]
    out = model.get_output_embeddings()
    if out is not None and out.weight is not tables[0]:
        tables.append(out.weight)
    with torch.no_grad():
        for w in tables:
            old = w[:n_old].float()
            mean, std = old.mean(0), old.std(0)
            new = mean + std * torch.randn(w.shape[0] - n_old, w.shape[1], device=w.device)
            w[n_old:] = new.to(w.dtype)


class CausalLM(nn.Module):
    """A Hugging Face causal LM whose input and output tables have ``n_extra`` more rows."""

    def __init__(self, cfg: LMConfig, n_extra: int) -> None:
        super().__init__()
        from transformers import AutoConfig, AutoModelForCausalLM

        self.cfg = cfg
        if cfg.pretrained:
            path = Path(cfg.pretrained)
            if torch.get_default_device().type == "meta" or not cfg.pretrained_weights:
                # Structure only (laura info; an exported model's own weights follow).
                hf_cfg = AutoConfig.from_pretrained(path, local_files_only=True)
                self.n_text = int(hf_cfg.vocab_size)
                hf_cfg.vocab_size = self.n_text + n_extra
                hf_cfg._attn_implementation = cfg.attn_implementation
                self.model = AutoModelForCausalLM.from_config(hf_cfg)
            else:
                self.model = AutoModelForCausalLM.from_pretrained(
                    path,
                    local_files_only=True,
                    trust_remote_code=False,
                    use_safetensors=True,
                    dtype=torch.float32,
                    attn_implementation=cfg.attn_implementation,
                )
                self.model.train()  # from_pretrained returns eval mode: a module trains by default
                self.n_text = self.model.get_input_embeddings().weight.shape[0]
                self.model.resize_token_embeddings(self.n_text + n_extra, mean_resizing=False)
                init_added_rows(self.model, self.n_text)
        else:
            self.n_text = cfg.vocab_size
            hf_cfg = _hf_config(cfg, cfg.vocab_size + n_extra)
            hf_cfg._attn_implementation = cfg.attn_implementation
            self.model = AutoModelForCausalLM.from_config(hf_cfg)
        if cfg.gradient_checkpointing:
            enable = getattr(self.model, "activation_checkpointing_enable", None)
            (enable or self.model.gradient_checkpointing_enable)()
        self.n_extra = n_extra

    @property
    def hidden_size(self) -> int:
        return int(self.model.config.hidden_size)

    @property
    def vocab_size(self) -> int:
        return self.n_text + self.n_extra

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        return self.model.get_input_embeddings()(ids)

    def forward(
        self,
        inputs_embeds: torch.Tensor,
        attention_mask: torch.Tensor,
        position_ids: torch.Tensor | None = None,
        past_key_values: Any = None,
        use_cache: bool = False,
    ) -> tuple[torch.Tensor, Any]:
        """Logits (B, L, vocab) and the KV cache (when ``use_cache``)."""
        out = self.model(
            inputs_embeds=inputs_embeds,
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_values=past_key_values,
            use_cache=use_cache,
        )
        return out.logits, out.past_key_values if use_cache else None
