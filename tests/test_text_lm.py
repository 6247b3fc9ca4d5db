"""``kind: text_lm``: a causal LM pre-trained on text alone learns its text, exports a Hugging
Face directory, and LauraGPT starts from it (``model.lm.pretrained``) with its text rows."""

from __future__ import annotations

import csv
from pathlib import Path

import torch

from laura.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _losses(exp: Path) -> list[float]:
    rows = []
    for f in sorted((exp / "logs").glob("version_*/metrics.csv")):
        with f.open() as fh:
            rows += [float(r["train/loss"]) for r in csv.DictReader(fh) if r.get("train/loss")]
    return rows


def test_text_lm_learns_exports_and_starts_lauragpt(tiny_asr_dir, tiny_bpe, tmp_path):
    exp = tmp_path / "text_lm"
    common = [
        f"tokenizer.path={tiny_bpe}",
        "lm.num_layers=1",
        "lm.hidden_size=64",
        "lm.ffn_dim=128",
        "trainer.enable_progress_bar=false",
    ]
    argv = [
        "train",
        "-c",
        str(ROOT / "recipes/text-lm-mini.yaml"),
        f"exp_dir={exp}",
        f"data.train=[{tiny_asr_dir / 'text'}]",
        f"data.valid=[{tiny_asr_dir / 'text'}]",
        "trainer.max_steps=100",
        "trainer.log_every_n_steps=1",
        "trainer.val_check_interval=100",
        "optim.warmup_steps=5",
        "optim.lr=5e-3",
        *common,
    ]
    assert main(argv) == 0
    losses = _losses(exp)
    # Six sentences memorised: from ln(60) ~ 4.1 to well below 1 (measured: 0.37 after 100 steps)
    assert losses[0] > 3.5 and min(losses[-5:]) < 1.5, losses[::10]
    assert (exp / "lm/config.json").is_file() and (exp / "lm/model.safetensors").is_file()

    from laura.models.kinds import load_config
    from laura.models.laura import LauraGPTModule

    cfg = load_config(
        ROOT / "recipes/lauragpt-mini.yaml",
        [f"tokenizer.path={tiny_bpe}", f"model.lm.pretrained={exp / 'lm'}"],
    )
    module = LauraGPTModule(cfg)
    # like every freshly built module it is in training mode (HF's from_pretrained is not)
    assert all(m.training for m in module.modules())
    from safetensors.torch import load_file

    trained = load_file(str(exp / "lm/model.safetensors"))
    emb = module.model.lm.model.get_input_embeddings().weight
    key = next(k for k in trained if k.endswith("embed_tokens.weight"))
    n_text = trained[key].shape[0]
    assert torch.equal(emb[:n_text], trained[key])  # text rows kept; task/audio rows added
    assert emb.shape[0] > n_text

    # An experiment started from it exports without it: the export keeps the backbone's
    # config.json (structure) and its own weights, and loads after the text LM is gone.
    from laura.artefact import export
    from laura.config import save_config
    from laura.decode import load_trained
    from laura.models.kinds import export_weights

    trained_exp = tmp_path / "lauragpt"
    trained_exp.mkdir()
    save_config(cfg, trained_exp / "config.yaml")
    export_weights(module, trained_exp / "model.safetensors")
    export(trained_exp, tmp_path / "shipped", tokenizer=str(tiny_bpe))
    exp.rename(tmp_path / "text_lm_gone")
    back, back_cfg = load_trained(tmp_path / "shipped")
    assert back_cfg.model.lm.pretrained_weights is False
    assert Path(back_cfg.model.lm.pretrained) == tmp_path / "shipped/lm"
    state = back.state_dict()
    assert all(torch.equal(v, state[k]) for k, v in module.state_dict().items())
