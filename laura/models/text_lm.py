"""A causal LM trained on text alone (``kind: text_lm``): what LauraGPT starts from in place of a
released text LM (the paper starts from Qwen-1.8B). Exported as a Hugging Face directory
(``config.json`` + ``model.safetensors``) that ``model.lm.pretrained`` loads."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import lightning as L
import torch
import torch.nn.functional as F

from laura.config import TextLMExperimentConfig, to_container
from laura.models.common import make_optimizer
from laura.nn.lm import CausalLM


class TextLMModule(L.LightningModule):
    def __init__(self, cfg: TextLMExperimentConfig) -> None:
        super().__init__()
        self.save_hyperparameters({"config": to_container(cfg)})
        self.cfg = cfg
        self.lm = CausalLM(cfg.lm, n_extra=0)

    def _loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        logits, _ = self.lm(self.lm.embed(batch["tokens"]), batch["mask"])
        pred, gold = logits[:, :-1], batch["labels"][:, 1:]
        loss = F.cross_entropy(pred.reshape(-1, pred.shape[-1]), gold.reshape(-1))
        keep = gold != -100
        acc = (pred.argmax(-1)[keep] == gold[keep]).float().mean()
        return loss, acc

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss, acc = self._loss(batch)
        bs = batch["tokens"].shape[0]
        self.log("train/loss", loss, prog_bar=True, batch_size=bs)
        self.log("train/acc", acc, prog_bar=True, batch_size=bs)
        self.log("lr", self.optimizers().param_groups[0]["lr"], batch_size=bs)
        return loss

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        loss, acc = self._loss(batch)
        kw = {"batch_size": batch["tokens"].shape[0], "sync_dist": True}
        self.log("val/loss", loss, prog_bar=True, **kw)
        self.log("val/acc", acc, **kw)
        self.log("val/ppl", torch.exp(loss.clamp(max=math.log(1e6))), **kw)

    def configure_optimizers(self) -> dict[str, Any]:
        total = self.trainer.estimated_stepping_batches if self._trainer else 1
        return make_optimizer(self, self.cfg.optim, int(total))

    def save_pretrained(self, out: str | Path) -> Path:
        """The LM as a Hugging Face directory (safetensors), written whole or not at all."""
        from laura.io import staged_dir

        with staged_dir(out, overwrite=True, what="LM export") as stage:
            self.lm.model.save_pretrained(str(stage), safe_serialization=True)
        return Path(out)
