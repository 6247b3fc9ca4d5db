"""CTC pre-training of the Conformer encoder (the paper starts LauraGPT from an ASR encoder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import torch

from laura.config import ExperimentConfig, to_container
from laura.models.common import TokenizerMixin, make_optimizer
from laura.nn.conformer import ConformerEncoder
from laura.nn.ctc import CTCHead
from laura.nn.frontend import GlobalCMVN, SpecAugment


class EncoderCTCModule(TokenizerMixin, L.LightningModule):
    def __init__(self, cfg: ExperimentConfig, vocab_size: int) -> None:
        super().__init__()
        self.save_hyperparameters({"config": to_container(cfg), "vocab_size": vocab_size})
        self.cfg = cfg
        m = self.cfg.model
        self.cmvn = GlobalCMVN(m.frontend.feat_dim)
        self.specaug = SpecAugment(m.specaug)
        self.encoder = ConformerEncoder(m.encoder)
        self.ctc = CTCHead(m.encoder.d_model, vocab_size)

    def forward(
        self, feats: torch.Tensor, feat_lens: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.cmvn(feats)
        if self.training and self.cfg.model.use_specaug:
            x = self.specaug(x, feat_lens)
        h, lens = self.encoder(x, feat_lens)
        return self.ctc(h), lens

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        logp, lens = self(batch["feats"], batch["feat_lens"])
        loss = self.ctc.loss(logp, lens, batch["targets"])
        bs = len(batch["ids"])
        self.log("train/loss", loss, prog_bar=True, batch_size=bs)
        self.log("lr", self.optimizers().param_groups[0]["lr"], batch_size=bs)
        return loss

    def validation_step(
        self, batch: dict[str, Any], batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        logp, lens = self(batch["feats"], batch["feat_lens"])
        bs = len(batch["ids"])
        self.log(
            "val/loss",
            self.ctc.loss(logp, lens, batch["targets"]),
            prog_bar=True,
            batch_size=bs,
            sync_dist=True,
            add_dataloader_idx=False,
        )
        hyps = [self.tokenizer.decode(t) for t in self.ctc.greedy(logp, lens)]
        from laura.metrics.wer import error_rate

        wer = error_rate(batch["refs"], hyps)["rate"]
        self.log("val/wer", wer, batch_size=bs, sync_dist=True, add_dataloader_idx=False)
        if batch_idx == 0 and self.global_rank == 0:
            for ref, hyp in list(zip(batch["refs"], hyps))[: self.cfg.decode.n_log_examples]:
                print(f"  ref: {ref}\n  hyp: {hyp}")

    def transcribe(self, batch: dict[str, Any]) -> tuple[list[str], list[bool]]:
        """Greedy CTC transcripts of a batch (never cut off: CTC has no length to run away)."""
        logp, lens = self(batch["feats"], batch["feat_lens"])
        texts = [self.tokenizer.decode(t) for t in self.ctc.greedy(logp, lens)]
        return texts, [False] * len(texts)

    def export_encoder(self, path: str | Path) -> None:
        """``encoder.*`` and ``cmvn.*`` tensors, what LauraGPTModule.load_encoder reads."""
        from safetensors.torch import save_file

        state = {
            f"encoder.{k}": v.detach().cpu().contiguous()
            for k, v in self.encoder.state_dict().items()
        }
        state.update(
            {f"cmvn.{k}": v.detach().cpu().contiguous() for k, v in self.cmvn.state_dict().items()}
        )
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        save_file(state, str(tmp))
        tmp.replace(path)

    def configure_optimizers(self) -> dict[str, Any]:
        total = self.trainer.estimated_stepping_batches if self._trainer else 1
        return make_optimizer(self, self.cfg.optim, int(total))
