"""Reading weights and checkpoints: data only, never code, and one clear error when refused.

Every weights file laura reads goes through here: safetensors files (what training exports) and
Lightning checkpoints (``.ckpt``, read with ``torch.load(weights_only=True)``). A pickle that
holds anything beyond tensors and plain containers is refused, never retried without the
safeguard; a torn or foreign file and a file that does not fit the model are named, with the
problem, as one ``CheckpointError``.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import torch
from torch import nn

from laura.errors import CheckpointError


def _gist(err: BaseException, lines: int = 1) -> str:
    """The first line(s) of an exception, shortened: enough to say what a library found."""
    return " ".join(x.strip() for x in str(err).split("\n")[:lines])[:300]


def read_checkpoint(path: str | Path, map_location: Any = "cpu") -> dict[str, Any]:
    """A Lightning checkpoint as a dict of tensors and plain values."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        # torch's own message suggests weights_only=False: that would run the file's code.
        raise CheckpointError(
            f"{path}: refused: it holds Python objects beyond tensors and plain containers "
            f"and may contain code, so it was not loaded ({_gist(err)[:160]})"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as err:
        raise CheckpointError(
            f"{path}: not a readable checkpoint (torn, or not a torch file: {_gist(err)[:160]})"
        ) from None


def read_safetensors(path: str | Path) -> dict[str, torch.Tensor]:
    """All tensors of a safetensors file."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: weights file not found")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        raise CheckpointError(
            f"{path}: not a readable safetensors file (torn or malformed: {_gist(err)[:160]})"
        ) from None


def read_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """A state dict from safetensors, or from a ``.ckpt``'s ``state_dict``."""
    path = Path(path)
    if path.suffix == ".ckpt":
        ck = read_checkpoint(path)
        if not isinstance(ck, dict) or "state_dict" not in ck:
            raise CheckpointError(f"{path}: has no state_dict (not a Lightning checkpoint)")
        return ck["state_dict"]
    return read_safetensors(path)


def load_state(
    module: nn.Module, path: str | Path, what: str = "weights", strict: bool = True
) -> tuple[list[str], list[str]]:
    """Load ``path`` into ``module``; a file made for another model is one clear error.

    Tied weights stored once (safetensors' ``save_model``) are filled in from their twin."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: {what} not found")
    state = read_weights(path)
    own = module.state_dict()
    shapes = [
        f"{k} {tuple(v.shape)} in the file, {tuple(own[k].shape)} in the model"
        for k, v in state.items()
        if k in own and tuple(v.shape) != tuple(own[k].shape)
    ]
    if shapes:
        more = f" (+{len(shapes) - 2} more)" if len(shapes) > 2 else ""
        raise CheckpointError(
            f"{path}: {what} do not fit this model: {'; '.join(shapes[:2])}{more}"
        )
    if path.suffix != ".ckpt":
        from safetensors.torch import load_model

        try:
            missing, unexpected = load_model(module, str(path), strict=strict)
        except RuntimeError as err:
            raise CheckpointError(
                f"{path}: {what} do not fit this model ({_gist(err, 3)})"
            ) from None
        return list(missing), list(unexpected)
    try:
        res = module.load_state_dict(state, strict=strict)
    except RuntimeError as err:
        raise CheckpointError(f"{path}: {what} do not fit this model ({_gist(err, 3)})") from None
    return list(res.missing_keys), list(res.unexpected_keys)
