"""The mini model learns: it overfits a handful of synthetic utterances through the real CLI
path."""

from pathlib import Path

import pytest

from laura.data.kaldi import read_table
from laura.decode import decode
from laura.metrics.wer import score_pairs
from laura.models.kinds import load_config
from laura.train import train

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mini_lauragpt_overfits_handful_of_utterances(tiny_asr_dir, tiny_bpe, tmp_path):
    exp = tmp_path / "exp"
    cfg = load_config(
        ROOT / "recipes/lauragpt-mini.yaml",
        [
            f"data.train=[{tiny_asr_dir}]",
            f"data.valid=[{tiny_asr_dir}]",
            f"tokenizer.path={tiny_bpe}",
            f"exp_dir={exp}",
            "encoder_init=null",
            "trainer.max_steps=400",
            "trainer.val_check_interval=400",
            "trainer.enable_progress_bar=false",
            "data.num_workers=0",
            "data.speed_perturb=[1.0]",
            "model.use_specaug=false",
            "model.frontend.dither=0.0",
            "model.encoder.dropout=0.0",
            "model.encoder.n_blocks=2",
            "model.encoder.d_model=128",
            "model.encoder.ffn_dim=256",
            "model.lm.hidden_size=128",
            "model.lm.num_layers=2",
            "model.lm.ffn_dim=256",
            "optim.lr=2e-3",
            "optim.warmup_steps=20",
            "optim.schedule=cosine",
            "data.max_seconds=100",
        ],
    )
    train(cfg)
    first = _first_loss(exp)
    info = decode(exp, tiny_asr_dir, tmp_path / "dec")
    res = score_pairs(
        read_table(tiny_asr_dir / "text"), read_table(tmp_path / "dec/hyp"), unit="char"
    )
    print("overfit CER", res["rate"])
    assert res["rate"] < 0.10, (res, (tmp_path / "dec/hyp").read_text())
    assert info["loop_ratio"] == 0.0
    assert first > 2.0  # it started from chance, so the low error is learned
    assert (exp / "curves.png").is_file()


def _first_loss(exp: Path) -> float:
    import csv

    rows = [
        r
        for r in csv.DictReader((exp / "logs/version_0/metrics.csv").open())
        if r.get("train/loss")
    ]
    return float(rows[0]["train/loss"])
