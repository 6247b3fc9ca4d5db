"""Padding masks shared by the encoder and the models."""

from __future__ import annotations

import torch
from torch import Tensor


def make_pad_mask(lengths: Tensor, max_len: int | None = None) -> Tensor:
    """Boolean mask of shape (B, max_len): True where a frame is padding.

    `max_len` defaults to `lengths.max()`; pass the padded tensor's length explicitly to avoid a
    device sync and to cover batches padded beyond their longest item.
    """
    if max_len is None:
        max_len = int(lengths.max()) if lengths.numel() > 0 else 0
    positions = torch.arange(max_len, device=lengths.device)
    return positions.unsqueeze(0) >= lengths.unsqueeze(1)


def make_valid_mask(lengths: Tensor, max_len: int | None = None) -> Tensor:
    """Boolean mask of shape (B, max_len): True where a frame is real (the inverse of padding)."""
    return ~make_pad_mask(lengths, max_len)
