"""Parameter counts per subsystem, computed on the meta device (the 2B config costs no memory)."""

from __future__ import annotations

from typing import Any

import torch

from laura.config import load_config, to_object


def model_info(config: str, overrides: list[str] | None = None) -> dict[str, Any]:
    from laura.nn.lauragpt import LauraGPT

    cfg = to_object(load_config(config, overrides))
    if not cfg.model.lm.pretrained and cfg.model.lm.vocab_size == 0:
        from laura.text.tokenizer import TextTokenizer

        try:
            cfg.model.lm.vocab_size = TextTokenizer(cfg.tokenizer.path).vocab_size
        except FileNotFoundError as err:
            raise FileNotFoundError(
                f"model.lm.vocab_size=0 takes the size from the tokenizer, which is not built yet "
                f"({err}); pass model.lm.vocab_size=N"
            ) from None
    with torch.device("meta"):
        model = LauraGPT(cfg.model)
    return {"parameters": model.parameter_counts(), "vocab": model.vocab.describe()}
