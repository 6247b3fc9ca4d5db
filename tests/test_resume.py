"""Training resumes from the last checkpoint: steps continue, logs are not overwritten."""

import csv
from pathlib import Path

import torch

from laura.models.kinds import load_config
from laura.train import train

ROOT = Path(__file__).resolve().parents[1]


def _cfg(data, bpe, exp, steps):
    return load_config(
        ROOT / "recipes/lauragpt-mini.yaml",
        [
            f"data.train=[{data}]",
            "data.valid=[]",
            f"tokenizer.path={bpe}",
            f"exp_dir={exp}",
            "encoder_init=null",
            f"trainer.max_steps={steps}",
            "trainer.enable_progress_bar=false",
            "trainer.log_every_n_steps=1",
            "trainer.checkpoint_every_n_steps=2",
            "data.num_workers=0",
            "model.encoder.n_blocks=1",
            "model.lm.num_layers=1",
            "data.max_seconds=8",
        ],
    )


def _steps(csv_path: Path) -> list[int]:
    return [int(r["step"]) for r in csv.DictReader(csv_path.open()) if r.get("train/loss")]


def test_rerun_resumes_from_last_checkpoint(tiny_asr_dir, tiny_bpe, tmp_path, capsys):
    exp = tmp_path / "exp"
    train(_cfg(tiny_asr_dir, tiny_bpe, exp, 4))
    ck = torch.load(exp / "checkpoints/last.ckpt", map_location="cpu", weights_only=True)
    assert ck["global_step"] == 4
    capsys.readouterr()
    train(_cfg(tiny_asr_dir, tiny_bpe, exp, 7))
    # the cosine schedule depends on the budget: a larger one moves the resumed rate, said once
    out = capsys.readouterr().out
    assert f"{exp}: trainer.max_steps 4 -> 7: the cosine learning-rate schedule" in out
    first, second = (
        _steps(exp / "logs/version_0/metrics.csv"),
        _steps(exp / "logs/version_1/metrics.csv"),
    )
    assert first == [0, 1, 2, 3]
    assert second == [4, 5, 6]  # continued, not restarted
    ck = torch.load(exp / "checkpoints/last.ckpt", map_location="cpu", weights_only=True)
    assert ck["global_step"] == 7
    assert "LauraDataModule" in ck  # the sampler position travels with the checkpoint


def test_resume_under_another_spelling_of_the_exp_dir_continues(
    tiny_asr_dir, tiny_bpe, tmp_path, monkeypatch
):
    # run.sh may pass an absolute exp_dir where a user typed a relative one: the recorded paths
    # (cmvn: exp/cmvn.json) name the same files, so the resume is not refused as another config
    monkeypatch.chdir(tmp_path)
    train(_cfg(tiny_asr_dir, tiny_bpe, Path("exp"), 2))
    train(_cfg(tiny_asr_dir, tiny_bpe, tmp_path / "exp", 4))
    assert sorted(p.name for p in (tmp_path / "exp/checkpoints").iterdir()) == ["last.ckpt"]
    ck = torch.load(tmp_path / "exp/checkpoints/last.ckpt", map_location="cpu", weights_only=True)
    assert ck["global_step"] == 4


def test_config_differences_compares_paths_by_the_file_they_name(tmp_path, monkeypatch):
    from laura.experiment import config_differences

    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "a/cmvn.json").write_text("{}")
    (tmp_path / "b.json").write_text("{}")
    same = {"cmvn": str(tmp_path / "a/cmvn.json")}
    assert config_differences({"cmvn": "a/cmvn.json"}, same) == []
    assert config_differences({"cmvn": "a/../a/cmvn.json"}, same) == []
    assert config_differences({"cmvn": "b.json"}, same) == [f"cmvn: b.json -> {same['cmvn']}"]
    # a path that does not exist (a moved experiment) differs by its spelling alone
    assert config_differences({"cmvn": "gone/cmvn.json"}, {"cmvn": "a/cmvn.json"}) != []
