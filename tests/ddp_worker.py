"""Run by test_ddp.py in a subprocess: a 2-rank DDP training on CPU that saves each rank's weights.

Lightning's ``ddp`` strategy re-launches this script for rank 1, hence the main guard.
"""

import sys
from pathlib import Path

import lightning as L
import torch
from safetensors.torch import save_file

from laura.models.kinds import load_config
from laura.train import train

ROOT = Path(__file__).resolve().parents[1]


class SaveRankWeights(L.Callback):
    def __init__(self, out: Path) -> None:
        self.out = out

    def on_train_start(self, trainer, pl_module) -> None:
        self._save(trainer, pl_module, "init")

    def on_train_end(self, trainer, pl_module) -> None:
        self._save(trainer, pl_module, "rank")
        n_batches = len(trainer.train_dataloader)
        (self.out / f"rank{trainer.global_rank}.batches").write_text(str(n_batches))

    def _save(self, trainer, pl_module, prefix: str) -> None:
        state = {k: v.detach().clone().contiguous() for k, v in pl_module.state_dict().items()}
        # Tied tensors (embeddings) would be saved twice: safetensors refuses shared storage.
        seen, uniq = set(), {}
        for k, v in state.items():
            if v.data_ptr() not in seen:
                seen.add(v.data_ptr())
                uniq[k] = v
        self.out.mkdir(parents=True, exist_ok=True)
        save_file(uniq, str(self.out / f"{prefix}{trainer.global_rank}.safetensors"))


if __name__ == "__main__":
    data, bpe, exp, strategy = sys.argv[1:5]
    torch.set_num_threads(1)
    cfg = load_config(
        ROOT / "recipes/lauragpt-mini.yaml",
        [
            f"data.train=[{data}]",
            "data.valid=[]",
            f"tokenizer.path={bpe}",
            f"exp_dir={exp}",
            "encoder_init=null",
            "trainer.max_steps=3",
            "trainer.enable_progress_bar=false",
            "trainer.devices=2",
            f"trainer.strategy={strategy}",
            "data.num_workers=0",
            "model.encoder.n_blocks=1",
            "model.lm.num_layers=1",
            "data.max_seconds=8",
        ],
    )
    train(cfg, callbacks=[SaveRankWeights(Path(exp))])
