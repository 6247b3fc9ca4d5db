"""A CTC head over the encoder, for pre-training it as an ASR model (the paper initialises the
LauraGPT encoder from a pre-trained ASR encoder)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class CTCHead(nn.Module):
    """Linear to ``vocab + 1`` classes; the blank is the last class."""

    def __init__(self, d_model: int, vocab_size: int) -> None:
        super().__init__()
        self.blank = vocab_size
        self.proj = nn.Linear(d_model, vocab_size + 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).log_softmax(-1)

    def loss(
        self, log_probs: torch.Tensor, lengths: torch.Tensor, targets: list[torch.Tensor]
    ) -> torch.Tensor:
        """Mean CTC loss per target token (sum over the batch / number of target tokens)."""
        tgt_lens = torch.tensor([len(t) for t in targets], dtype=torch.long)
        flat = torch.cat([t.long() for t in targets]).cpu()
        loss = F.ctc_loss(
            log_probs.transpose(0, 1).float(),
            flat,
            lengths.cpu(),
            tgt_lens,
            blank=self.blank,
            reduction="sum",
            zero_infinity=True,
        )
        return loss / tgt_lens.sum().clamp(min=1)

    @torch.no_grad()
    def greedy(self, log_probs: torch.Tensor, lengths: torch.Tensor) -> list[list[int]]:
        best = log_probs.argmax(-1)
        out = []
        for b in range(best.shape[0]):
            seq = torch.unique_consecutive(best[b, : int(lengths[b])]).tolist()
            out.append([t for t in seq if t != self.blank])
        return out
