"""The joint LauraGPT LightningModule: encoder + GPT backbone trained on the unified sequence."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import lightning as L
import torch

from laura.config import ExperimentConfig, data_sources, to_container
from laura.data.tasks import get_task
from laura.models.common import TokenizerMixin, make_optimizer, val_prefix
from laura.nn.ctc import CTCHead
from laura.nn.lauragpt import LauraGPT, rotated_inputs


class LauraGPTModule(TokenizerMixin, L.LightningModule):
    def __init__(self, cfg: ExperimentConfig) -> None:
        super().__init__()
        # A plain dict, so checkpoints stay loadable with weights_only=True.
        self.save_hyperparameters({"config": to_container(cfg)})
        self.cfg = cfg
        self.model = LauraGPT(self.cfg.model)
        self.multi_task = len({s.task for s in data_sources(cfg.data)}) > 1
        self.ctc = None
        if self.cfg.optim.ctc_weight > 0:
            self.ctc = CTCHead(self.cfg.model.encoder.d_model, self.model.vocab.n_text)

    def load_encoder(self, path: str | Path) -> None:
        """Encoder (and its CMVN) from a CTC pre-training export (safetensors)."""
        from laura.checkpoints import read_safetensors
        from laura.errors import CheckpointError

        state = read_safetensors(path)
        enc = {k[len("encoder.") :]: v for k, v in state.items() if k.startswith("encoder.")}
        if not enc:
            raise CheckpointError(
                f"{path}: no 'encoder.*' tensors (expected a laura encoder export)"
            )
        try:
            missing, unexpected = self.model.encoder.load_state_dict(enc, strict=False)
        except RuntimeError as err:
            raise CheckpointError(
                f"{path}: encoder does not fit the config ({str(err).splitlines()[1].strip()} ...)"
            ) from None
        if missing or unexpected:
            raise CheckpointError(
                f"{path}: encoder does not match the config "
                f"(missing {missing[:5]}, unexpected {unexpected[:5]})"
            )
        cmvn = {k[len("cmvn.") :]: v for k, v in state.items() if k.startswith("cmvn.")}
        if cmvn:
            self.model.cmvn.load_state_dict(cmvn)

    # --- steps ------------------------------------------------------------------------------
    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        out = self.model(batch)
        loss = out["loss"]
        bs = len(batch["ids"])
        if self.ctc is not None and batch.get("feats") is not None:
            ctc_loss = self._ctc_loss(batch)
            self.log("train/ctc_loss", ctc_loss, batch_size=bs)
            loss = loss + self.cfg.optim.ctc_weight * ctc_loss
        self.log("train/loss", out["loss"], prog_bar=True, batch_size=bs)
        self.log("train/acc", out["acc"], prog_bar=True, batch_size=bs)
        if self.multi_task:
            # mixed batches: each task's rows, weighted by their target tokens across steps
            for task in sorted(set(batch["tasks"])):
                rows = torch.tensor([t == task for t in batch["tasks"]])
                n = out["row_tokens"][rows].sum()
                self.log(
                    f"train/{task}/loss", out["row_loss_sum"][rows].sum() / n, batch_size=int(n)
                )
                self.log(f"train/{task}/acc", out["row_correct"][rows].sum() / n, batch_size=int(n))
        self.log("lr", self.optimizers().param_groups[0]["lr"], batch_size=bs)
        return loss

    def _ctc_loss(self, batch: dict[str, Any]) -> torch.Tensor:
        x = self.model.cmvn(batch["feats"])
        if self.cfg.model.use_specaug:
            x = self.model.specaug(x, batch["feat_lens"])
        h, lens = self.model.encoder(x, batch["feat_lens"])
        return self.ctc.loss(self.ctc(h), lens, batch["targets"])

    def validation_step(
        self, batch: dict[str, Any], batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        out = self.model(batch)
        bs = len(batch["ids"])
        task = batch["tasks"][0]
        pre = val_prefix(self, dataloader_idx)  # one validation loader per source
        multi = pre != "val/"
        kw = {"batch_size": bs, "sync_dist": True, "add_dataloader_idx": False}
        self.log(pre + "loss", out["loss"], prog_bar=not multi, **kw)
        self.log(pre + "acc", out["acc"], **kw)
        if set(batch["output_kinds"]) == {"audio"} and bs > 1:
            # The same targets after another example's input: equal to acc when the model
            # ignores its input (it only continues the codec sequence).
            self.log(pre + "acc_other_input", self.model(rotated_inputs(batch))["acc"], **kw)
        if set(batch["output_kinds"]) == {"text"}:
            from laura.metrics.wer import error_rate

            hyps = self.transcribe(batch, greedy=True)[0]
            # a word error rate of a label, a caption or a translation means little
            if get_task(task).metric == "wer":
                self.log(pre + "wer", error_rate(batch["refs"], hyps)["rate"], **kw)
            exact = sum(h.strip() == r.strip() for h, r in zip(hyps, batch["refs"])) / bs
            self.log(pre + "exact", exact, **kw)
            if batch_idx == 0 and self.global_rank == 0 and self.cfg.decode.n_log_examples:
                for ref, hyp in list(zip(batch["refs"], hyps))[: self.cfg.decode.n_log_examples]:
                    print(f"  [{task}] ref: {ref}\n  [{task}] hyp: {hyp}")

    def transcribe(
        self, batch: dict[str, Any], greedy: bool = False
    ) -> tuple[list[str], list[bool]]:
        """Text outputs of a batch with ``decode.*`` (``greedy``: temperature 0), and which rows
        were cut off at their maximum length (the loop guard)."""
        d = self.cfg.decode
        gen = replace(d.text, temperature=0.0, top_k=0) if greedy else d.text
        out = self.model.generate(batch, gen, max_len_ratio=d.max_len_ratio)
        return [self.tokenizer.decode(t) for t in out.tokens], out.hit_max

    def configure_optimizers(self) -> dict[str, Any]:
        total = self.trainer.estimated_stepping_batches if self._trainer else 1
        return make_optimizer(self, self.cfg.optim, int(total))
