"""The unified sequence ``[sos, inputs..., task-ID, outputs..., end]`` and its loss mask.

One builder serves training and decoding (train/inference prompt mismatch is a classic source of
endless repetition), and every task: inputs are a list of segments, each either continuous
embeddings (audio through the encoder) or token ids (text, audio codes, or a task token for
chained tasks), so ASR ``[audio, <ASR>, text]``, TTS ``[text, <TTS>, prompt codes, codes]`` and
noise-robust ASR ``[noisy, <SE>, enhanced, <ASR>, text]`` are all the same code path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from laura.nn.vocab import UnifiedVocab

IGNORE = -100


@dataclass
class Segment:
    """A run of positions: ``embeds`` (T, D) or ``ids`` (T,) in the unified vocabulary."""

    embeds: torch.Tensor | None = None
    ids: torch.Tensor | None = None
    target: bool = False  # positions whose tokens are predicted and scored

    def __post_init__(self) -> None:
        if (self.embeds is None) == (self.ids is None):
            raise ValueError("a Segment holds exactly one of embeds or ids")
        if self.target and self.ids is None:
            raise ValueError("only token segments can be targets")

    def __len__(self) -> int:
        return int(self.embeds.shape[0] if self.embeds is not None else self.ids.shape[0])


def tokens(ids: Sequence[int] | torch.Tensor, target: bool = False) -> Segment:
    return Segment(ids=torch.as_tensor(ids, dtype=torch.long).reshape(-1), target=target)


def build_prompt(vocab: UnifiedVocab, inputs: Sequence[Segment], task: str) -> list[Segment]:
    """``[sos, inputs..., <task>]``: everything the model reads before it answers."""
    return [tokens([vocab.sos]), *inputs, tokens([vocab.task_id(task)])]


def build_training_sequence(
    vocab: UnifiedVocab,
    inputs: Sequence[Segment],
    task: str,
    outputs: torch.Tensor,
    output_kind: str,
    output_prefix: torch.Tensor | None = None,
) -> list[Segment]:
    """``[sos, inputs..., <task>, (prefix), outputs, end]``; loss on outputs and end only.

    ``output_prefix`` holds given output-side tokens that are not scored (the prompt's codec
    tokens in zero-shot TTS).
    """
    seq = build_prompt(vocab, inputs, task)
    if output_prefix is not None and output_prefix.numel():
        seq.append(tokens(output_prefix))
    end = torch.tensor([vocab.end_token(output_kind)], dtype=torch.long)
    seq.append(tokens(torch.cat([outputs.long().reshape(-1), end]), target=True))
    return seq


@dataclass
class SequenceBatch:
    inputs_embeds: torch.Tensor  # (B, L, D)
    attention_mask: torch.Tensor  # (B, L) long, 1 = real position
    position_ids: torch.Tensor  # (B, L)
    token_ids: torch.Tensor  # (B, L) unified ids, -1 at embedding or padding positions
    loss_mask: torch.Tensor  # (B, L) bool, True where the token is a target
    lengths: torch.Tensor  # (B,)

    @property
    def labels(self) -> torch.Tensor:
        """Token ids at target positions, IGNORE elsewhere (HF convention, unshifted)."""
        return torch.where(self.loss_mask, self.token_ids, torch.full_like(self.token_ids, IGNORE))


def collate_sequences(
    seqs: Sequence[Sequence[Segment]],
    embedding: nn.Embedding,
    pad_side: str = "right",
) -> SequenceBatch:
    """Embed and pad a batch of segment lists.

    Training pads on the right; decoding pads prompts on the left so that every sequence ends
    at the same position and new tokens are appended in one column. Position ids count only
    real positions in both cases.
    """
    if pad_side not in ("left", "right"):
        raise ValueError(f"pad_side must be 'left' or 'right', got {pad_side!r}")
    # One embedding call for all token segments of the batch.
    tok_segs = [s.ids for seq in seqs for s in seq if s.ids is not None]
    flat = torch.cat(tok_segs) if tok_segs else torch.zeros(0, dtype=torch.long)
    dtype, device = embedding.weight.dtype, embedding.weight.device
    flat_emb = embedding(flat.to(device)) if flat.numel() else None

    lengths = [sum(len(s) for s in seq) for seq in seqs]
    B, L = len(seqs), max(lengths)
    dim = _dim(seqs, flat_emb)
    inputs = torch.zeros(B, L, dim, dtype=dtype, device=device)
    ids = torch.full((B, L), -1, dtype=torch.long, device=device)
    loss_mask = torch.zeros(B, L, dtype=torch.bool, device=device)
    attn = torch.zeros(B, L, dtype=torch.long, device=device)
    offset_tok = 0
    for b, seq in enumerate(seqs):
        pos = L - lengths[b] if pad_side == "left" else 0
        attn[b, pos : pos + lengths[b]] = 1
        for seg in seq:
            n = len(seg)
            if seg.ids is not None:
                inputs[b, pos : pos + n] = flat_emb[offset_tok : offset_tok + n]
                ids[b, pos : pos + n] = seg.ids.to(device)
                loss_mask[b, pos : pos + n] = seg.target
                offset_tok += n
            else:
                inputs[b, pos : pos + n] = seg.embeds.to(device=device, dtype=dtype)
            pos += n
    position_ids = (attn.cumsum(1) - 1).clamp(min=0)
    return SequenceBatch(
        inputs_embeds=inputs,
        attention_mask=attn,
        position_ids=position_ids,
        token_ids=ids,
        loss_mask=loss_mask,
        lengths=torch.tensor(lengths, device=device),
    )


def _dim(seqs: Sequence[Sequence[Segment]], flat_emb: torch.Tensor | None) -> int:
    if flat_emb is not None:
        return int(flat_emb.shape[-1])
    for seq in seqs:
        for s in seq:
            if s.embeds is not None:
                return int(s.embeds.shape[-1])
    raise ValueError("empty batch: no segments")


def sequence_loss(
    logits: torch.Tensor, token_ids: torch.Tensor, loss_mask: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mean next-token cross-entropy over target positions (eq. 1 of the paper).

    The logit at position t predicts the token at t+1, so position t+1 is scored when it is a
    target. Returns (loss, number of correct argmax predictions, number of scored tokens).
    """
    loss, correct, n, _ = sequence_loss_by_row(logits, token_ids, loss_mask)
    return loss, correct.sum(), n.sum()


def sequence_loss_by_row(
    logits: torch.Tensor, token_ids: torch.Tensor, loss_mask: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """`sequence_loss` (the batch mean) with its parts per row: (loss, correct per row, scored
    tokens per row, summed cross-entropy per row). What per-task figures of a mixed batch are
    made of."""
    pred = logits[:, :-1]
    tgt = token_ids[:, 1:]
    mask = loss_mask[:, 1:]
    n = mask.sum()
    if n == 0:
        raise ValueError("no target positions in the batch: nothing to learn from")
    sel_logits = pred[mask].float()
    sel_tgt = tgt[mask]
    ce = F.cross_entropy(sel_logits, sel_tgt, reduction="none")
    row = mask.nonzero()[:, 0]
    rows = mask.shape[0]
    row_ce = torch.zeros(rows, device=ce.device).index_add_(0, row, ce.detach())
    hit = (sel_logits.argmax(-1) == sel_tgt).long()
    row_correct = torch.zeros(rows, dtype=torch.long, device=ce.device).index_add_(0, row, hit)
    return ce.sum() / n, row_correct, mask.sum(1), row_ce
