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
    SequenceBatch,
    build_prompt,
    build_training_sequence,
    collate_sequences,
    sequence_loss_by_row,
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
    # Share of the teacher-forced audio tokens the LM reads that are replaced by random codes in
    # training (the targets stay true). Codec tokens are predictable from their own history, so
    # without this an SE/TTS model can learn to continue the codec sequence and ignore its input.
    audio_token_noise: float = 0.0
    # Tasks whose audio output runs in time with their audio input (SE). Their output tokens take
    # RoPE positions on the input's time axis (like Qwen2.5-Omni's TMRoPE): output frame k sits at
    # the (fractional) position of the input frame at the same time, so reading the input is a
    # fixed relative offset instead of an alignment to discover. Not in the paper (plain
    # positions there); needs a rotary-position backbone.
    aligned_tasks: list[str] = field(default_factory=list)
    codec_frame_rate: float = 25.0  # output tokens per second, for aligned_tasks


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
        unknown = set(cfg.aligned_tasks) - set(cfg.tasks)
        if unknown:
            raise ValueError(f"aligned_tasks {sorted(unknown)} are not among tasks {cfg.tasks}")
        if cfg.aligned_tasks and not hasattr(getattr(self.lm.model, "model", None), "rotary_emb"):
            raise ValueError("aligned_tasks need a backbone with rotary positions (RoPE)")

    @property
    def input_frames_per_token(self) -> float:
        """Encoder frames per output codec frame (LFR 60 ms vs 40 ms codec frames: 2/3)."""
        f = self.cfg.frontend
        return 1000.0 / (f.frame_shift_ms * f.lfr_n) / self.cfg.codec_frame_rate

    def output_positions(
        self, inputs: list[list[Segment]], tasks: list[str]
    ) -> list[tuple[float, float] | None]:
        """Per example, (position of output token 0, step) on the input's time axis for
        ``aligned_tasks`` with an audio input, else None (plain positions)."""
        if not self.cfg.aligned_tasks:
            return [None] * len(inputs)
        out: list[tuple[float, float] | None] = []
        for segs, task in zip(inputs, tasks):
            pos, start = 1, None  # position 0 is <sos>
            for seg in segs:
                if seg.embeds is not None:
                    start = pos
                    break
                pos += len(seg)
            aligned = task in self.cfg.aligned_tasks and start is not None
            out.append((float(start), self.input_frames_per_token) if aligned else None)
        return out

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
        emb = self.lm.model.get_input_embeddings()
        sb = collate_sequences(seqs, emb, pad_side="right")
        inputs_embeds = sb.inputs_embeds
        if self.training and self.cfg.audio_token_noise > 0:
            inputs_embeds = self._noisy_audio_history(emb, sb)
        positions = sb.position_ids
        aligned = self.output_positions(inputs, batch["tasks"])
        if any(a is not None for a in aligned):
            positions = positions.float()
            for b, a in enumerate(aligned):
                if a is None:
                    continue
                start = int(sb.loss_mask[b].nonzero()[0])  # first output token
                n = int(sb.lengths[b]) - start
                k = torch.arange(n, device=positions.device, dtype=positions.dtype)
                positions[b, start : start + n] = a[0] + a[1] * k
        logits, _ = self.lm(inputs_embeds, sb.attention_mask, positions)
        loss, correct, n, row_ce = sequence_loss_by_row(logits, sb.token_ids, sb.loss_mask)
        return {
            "loss": loss,
            "acc": correct.sum().float() / n.sum(),
            "n_tokens": n.sum(),
            # per row (example): what per-task figures of a mixed batch are made of
            "row_loss_sum": row_ce,
            "row_correct": correct,
            "row_tokens": n,
        }

    def _noisy_audio_history(self, emb: nn.Embedding, sb: SequenceBatch) -> torch.Tensor:
        """Replace a random share of the audio target tokens' input embeddings by random codes."""
        embeds, ids = sb.inputs_embeds, sb.token_ids
        lo, n_audio = self.vocab.audio_offset, self.vocab.n_audio
        is_audio = sb.loss_mask & (ids >= lo) & (ids < lo + n_audio)
        pick = is_audio & (torch.rand(ids.shape, device=ids.device) < self.cfg.audio_token_noise)
        if not bool(pick.any()):
            return embeds
        random_ids = torch.randint(lo, lo + n_audio, (int(pick.sum()),), device=ids.device)
        out = embeds.clone()
        out[pick] = emb(random_ids).to(out.dtype)
        return out

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
        audio_probs: bool = False,
    ) -> GenerationOutput:
        """Decode every example of a batch; all must share one output kind.

        Per-row length bounds from the input positions n: at most ``max_len_ratio * n +
        max_len_offset`` tokens; the end token is masked for the first ``min_len_ratio * n``
        (each row its own). ``audio_probs``: keep each step's distribution over the codec codes
        (``GenerationOutput.probs``)."""
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
        aligned = self.output_positions(inputs, batch["tasks"])
        out_pos = None
        if any(a is not None for a in aligned):
            last = sb.position_ids[:, -1].float()
            start = torch.tensor([a[0] if a else float(last[b] + 1) for b, a in enumerate(aligned)])
            step = torch.tensor([a[1] if a else 1.0 for a in aligned])
            out_pos = (start, step)
        lo = self.vocab.audio_offset
        return generate(
            self.lm,
            sb,
            output_positions=out_pos,
            stop_ids=[self.vocab.end_token(kind)],
            allowed=self.vocab.allowed_mask(kind),
            cfg=gen,
            max_new_tokens=caps,
            min_new_tokens=mins,
            generator=generator,
            keep_probs=(lo, lo + self.vocab.n_audio) if audio_probs else None,
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


def rotated_inputs(batch: dict[str, Any]) -> dict[str, Any]:
    """The batch with every example's inputs taken from the next example (the last from the
    first); targets, tasks and prompt prefixes stay. A probe of how much a model reads its input."""
    inputs = list(batch["inputs"])
    return {**batch, "inputs": inputs[1:] + inputs[:1]}


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
