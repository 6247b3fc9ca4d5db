"""LauraGPT as one torch module: audio encoder + adaptor + GPT backbone over a unified vocabulary.

Audio in: LFR fbank features -> global CMVN -> SpecAugment (training) -> Conformer -> Linear to
the LM width (continuous embeddings). Text in: the LM's embedding table. Out: text or
first-group codec tokens from one output layer, after a task token.

A batch (made by ``laura.data``) is a dict:
    feats (N, T, F) and feat_lens (N,)     every audio input of the batch, padded
    inputs: list[list[("audio", k) | ("ids", LongTensor)]]   per example, in order
    tasks: list[str]; targets: list[LongTensor] (unified ids); output_kinds: list["text"|"audio"]
    output_prefix: optional list[LongTensor | None] (given, unscored output-side tokens)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from laura.nn.conformer import ConformerConfig, ConformerEncoder
from laura.nn.frontend import FrontendConfig, GlobalCMVN, SpecAugConfig, SpecAugment
from laura.nn.generation import GenerationConfig, GenerationOutput, generate
from laura.nn.lm import CausalLM, LMConfig, read_pretrained_text_vocab
from laura.nn.sequence import (
    Segment,
    build_prompt,
    build_training_sequence,
    collate_sequences,
    sequence_loss,
    tokens,
)
from laura.nn.vocab import TASKS, UnifiedVocab


@dataclass
class LauraGPTConfig:
    frontend: FrontendConfig = field(default_factory=FrontendConfig)
    specaug: SpecAugConfig = field(default_factory=SpecAugConfig)
    use_specaug: bool = True
    encoder: ConformerConfig = field(default_factory=ConformerConfig)
    lm: LMConfig = field(default_factory=LMConfig)
    n_audio_tokens: int = 1024  # first codec group
    tasks: list[str] = field(default_factory=lambda: list(TASKS))


def text_vocab_size(cfg: LMConfig) -> int:
    return read_pretrained_text_vocab(cfg.pretrained) if cfg.pretrained else cfg.vocab_size


class LauraGPT(nn.Module):
    def __init__(self, cfg: LauraGPTConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.vocab = UnifiedVocab(text_vocab_size(cfg.lm), cfg.n_audio_tokens, tuple(cfg.tasks))
        self.cmvn = GlobalCMVN(cfg.frontend.feat_dim)
        self.specaug = SpecAugment(cfg.specaug)
        self.encoder = ConformerEncoder(cfg.encoder)
        self.lm = CausalLM(cfg.lm, self.vocab.n_extra)
        self.adaptor = nn.Linear(cfg.encoder.d_model, self.lm.hidden_size)

    # --- pieces -----------------------------------------------------------------------------
    def encode_audio(
        self, feats: torch.Tensor, feat_lens: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, T, F) LFR features -> (N, T, D) embeddings at the LM width."""
        x = self.cmvn(feats)
        if self.training and self.cfg.use_specaug:
            x = self.specaug(x, feat_lens)
        x, lens = self.encoder(x, feat_lens)
        return self.adaptor(x), lens

    def input_segments(self, batch: dict[str, Any]) -> list[list[Segment]]:
        audio, lens = None, None
        if batch.get("feats") is not None:
            audio, lens = self.encode_audio(batch["feats"], batch["feat_lens"])
        out: list[list[Segment]] = []
        for items in batch["inputs"]:
            segs: list[Segment] = []
            for kind, value in items:
                if kind == "audio":
                    if audio is None:
                        raise ValueError("an input refers to audio but the batch has no feats")
                    segs.append(Segment(embeds=audio[value, : int(lens[value])]))
                elif kind == "ids":
                    segs.append(tokens(value))
                else:
                    raise ValueError(f"unknown input kind {kind!r}")
            out.append(segs)
        return out

    # --- training ---------------------------------------------------------------------------
    def forward(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        inputs = self.input_segments(batch)
        prefixes = batch.get("output_prefix") or [None] * len(inputs)
        seqs = [
            build_training_sequence(self.vocab, inp, task, tgt, kind, prefix)
            for inp, task, tgt, kind, prefix in zip(
                inputs, batch["tasks"], batch["targets"], batch["output_kinds"], prefixes
            )
        ]
        sb = collate_sequences(seqs, self.lm.model.get_input_embeddings(), pad_side="right")
        logits, _ = self.lm(sb.inputs_embeds, sb.attention_mask, sb.position_ids)
        loss, correct, n = sequence_loss(logits, sb.token_ids, sb.loss_mask)
        return {"loss": loss, "acc": correct.float() / n, "n_tokens": n}

    # --- decoding ---------------------------------------------------------------------------
    @torch.no_grad()
    def generate(
        self,
        batch: dict[str, Any],
        gen: GenerationConfig,
        max_len_ratio: float | None = None,
        max_len_offset: int = 10,
        min_len_ratio: float = 0.0,
        generator: torch.Generator | None = None,
    ) -> GenerationOutput:
        """Decode every example of a batch; all must share one output kind.

        Per-row length bounds from the input positions n: at most ``max_len_ratio * n +
        max_len_offset`` tokens; the end token is masked for the first ``min_len_ratio * n``
        (each row its own)."""
        kinds = set(batch["output_kinds"])
        if len(kinds) != 1:
            raise ValueError(f"decode one output kind per batch, got {sorted(kinds)}")
        kind = kinds.pop()
        inputs = self.input_segments(batch)
        prefixes = batch.get("output_prefix") or [None] * len(inputs)
        prompts = []
        for inp, task, prefix in zip(inputs, batch["tasks"], prefixes):
            p = build_prompt(self.vocab, inp, task)
            if prefix is not None and prefix.numel():
                p.append(tokens(prefix))
            prompts.append(p)
        sb = collate_sequences(prompts, self.lm.model.get_input_embeddings(), pad_side="left")
        caps = mins = None
        in_len = torch.tensor([sum(len(s) for s in inp) for inp in inputs])
        if max_len_ratio is not None:
            caps = (in_len.float() * max_len_ratio).long() + max_len_offset
        if min_len_ratio > 0:
            mins = (in_len.float() * min_len_ratio).long()
        return generate(
            self.lm,
            sb,
            stop_ids=[self.vocab.end_token(kind)],
            allowed=self.vocab.allowed_mask(kind),
            cfg=gen,
            max_new_tokens=caps,
            min_new_tokens=mins,
            generator=generator,
        )

    # --- bookkeeping ------------------------------------------------------------------------
    def parameter_counts(self) -> dict[str, int]:
        def count(m: nn.Module) -> int:
            return sum(p.numel() for p in m.parameters())

        emb = self.lm.model.get_input_embeddings().weight
        head = self.lm.model.get_output_embeddings().weight
        tied = emb is head
        lm_total = count(self.lm)
        return {
            "encoder": count(self.encoder),
            "adaptor": count(self.adaptor),
            "lm.embeddings": emb.numel(),
            "lm.output_layer": 0 if tied else head.numel(),
            "lm.transformer": lm_total - emb.numel() - (0 if tied else head.numel()),
            "lm": lm_total,
            "total": count(self),
        }


def move_batch(batch: dict[str, Any], device: torch.device) -> dict[str, Any]:
    def mv(x: Any) -> Any:
        if isinstance(x, torch.Tensor):
            return x.to(device)
        if isinstance(x, list):
            return [mv(v) for v in x]
        if isinstance(x, tuple):
            return tuple(mv(v) for v in x)
        return x

    return {k: mv(v) for k, v in batch.items()}
