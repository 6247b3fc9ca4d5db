"""What a failing or repeated `laura train` must never do: damage an experiment, train on NaN,
print a traceback for a user error, or give other weights because the CPU was busy."""

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from laura.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _args(data: Path, bpe: Path, exp: Path, *extra: str) -> list[str]:
    return [
        "train",
        "-c",
        str(ROOT / "recipes/lauragpt-mini.yaml"),
        f"data.train=[{data}]",
        "data.valid=[]",
        f"tokenizer.path={bpe}",
        f"exp_dir={exp}",
        "encoder_init=null",
        "trainer.max_steps=2",
        "trainer.enable_progress_bar=false",
        "model.encoder.n_blocks=1",
        "model.lm.num_layers=1",
        "data.num_workers=0",
        "data.max_seconds=8",
        *extra,
    ]


def _checksums(d: Path) -> dict[str, str]:
    return {
        str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(d.rglob("*"))
        if p.is_file()
    }


def _refused(capsys, argv: list[str], *needles: str) -> str:
    """The command exits 2 with one line naming what is wrong, and no traceback."""
    rc = main(argv)
    out = capsys.readouterr().err
    # (progress bars may stand before it on stderr)
    lines = [x for x in out.splitlines() if x.strip() and "it/s]" not in x]
    err = lines[-1] if lines else ""
    assert rc == 2, out
    assert lines == [err] and err.startswith("laura train: error: "), out
    assert "Traceback" not in out, out
    for n in needles:
        assert n in err, (n, err)
    return err


@pytest.fixture(scope="module")
def trained(tiny_asr_dir, tiny_bpe, tmp_path_factory) -> Path:
    exp = tmp_path_factory.mktemp("guard") / "exp"
    assert main(_args(tiny_asr_dir, tiny_bpe, exp)) == 0
    return exp


def test_rerun_with_another_config_is_refused_and_changes_nothing(
    trained, tiny_asr_dir, tiny_bpe, capsys, tmp_path
):
    from laura.decode import decode

    before = _checksums(trained)
    err = _refused(
        capsys,
        _args(tiny_asr_dir, tiny_bpe, trained, "model.lm.num_layers=2", "optim.lr=0.002"),
        str(trained),
        "model.lm.num_layers: 1 -> 2",
        "optim.lr: 0.001 -> 0.002",
        "--fresh",
    )
    assert "nothing was changed" in err
    assert _checksums(trained) == before
    info = decode(trained, tiny_asr_dir, tmp_path / "dec")  # still decodes
    assert info["n_utts"] == 6
    # A larger budget is the same experiment: it continues.
    assert main(_args(tiny_asr_dir, tiny_bpe, trained, "trainer.max_steps=3")) == 0
    ck = torch.load(trained / "checkpoints/last.ckpt", map_location="cpu", weights_only=True)
    assert ck["global_step"] == 3


def test_fresh_moves_the_old_experiment_aside(tiny_asr_dir, tiny_bpe, tmp_path, capsys):
    exp = tmp_path / "exp"
    assert main(_args(tiny_asr_dir, tiny_bpe, exp)) == 0
    old = _checksums(exp)
    argv = _args(tiny_asr_dir, tiny_bpe, exp, "model.lm.num_layers=2", "trainer.max_steps=1")
    assert main([*argv, "--fresh"]) == 0
    (aside,) = tmp_path.glob("exp.replaced-*")
    assert _checksums(aside) == old  # nothing lost
    ck = torch.load(exp / "checkpoints/last.ckpt", map_location="cpu", weights_only=True)
    assert ck["global_step"] == 1


def test_nan_audio_with_validation_off_stops_training(
    trained, tiny_asr_dir, tiny_bpe, tmp_path, capsys
):
    data = tmp_path / "data"
    shutil.copytree(tiny_asr_dir, data)
    first = (data / "wav.scp").read_text().splitlines()[0].split()
    bad = tmp_path / "nan.wav"
    wav, sr = sf.read(first[1], dtype="float32")
    wav[100:200] = np.nan
    sf.write(bad, wav, sr, subtype="FLOAT")
    lines = (data / "wav.scp").read_text().splitlines()
    lines[0] = f"{first[0]} {bad}"
    (data / "wav.scp").write_text("\n".join(lines) + "\n")
    exp = tmp_path / "exp"
    _refused(capsys, _args(data, tiny_bpe, exp, "data.validate=false"), str(bad), "NaN")
    assert not (exp / "model.safetensors").exists()
    # ... also with the statistics given, when the NaN first shows up in a training batch
    shutil.copy(trained / "cmvn.json", tmp_path / "cmvn.json")
    argv = _args(
        data,
        tiny_bpe,
        tmp_path / "exp2",
        "data.validate=false",
        f"cmvn={tmp_path / 'cmvn.json'}",
        "data.max_batch_size=1",
    )
    _refused(capsys, argv, str(bad), "NaN")
    assert not (tmp_path / "exp2/model.safetensors").exists()


def test_each_refusal_is_one_line_naming_the_file_or_key(
    trained, tiny_asr_dir, tiny_bpe, tmp_path, capsys
):
    import argparse

    pickled = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {}, "extra": argparse.Namespace(a=1)}, pickled)
    err = _refused(
        capsys,
        _args(tiny_asr_dir, tiny_bpe, tmp_path / "e1", f"init_from={pickled}"),
        str(pickled),
        "may contain code",
        "not loaded",
    )
    assert "weights_only=False" not in err

    torn = tmp_path / "torn.safetensors"
    torn.write_bytes((trained / "model.safetensors").read_bytes()[:5000])
    _refused(
        capsys,
        _args(tiny_asr_dir, tiny_bpe, tmp_path / "e2", f"init_from={torn}"),
        str(torn),
        "safetensors",
    )

    other = tmp_path / "e3"
    assert (
        main(
            _args(
                tiny_asr_dir,
                tiny_bpe,
                other,
                "model.lm.hidden_size=128",
                "model.lm.num_heads=2",
                "trainer.max_steps=1",
            )
        )
        == 0
    )
    _refused(
        capsys,
        _args(tiny_asr_dir, tiny_bpe, tmp_path / "e4", f"init_from={other / 'model.safetensors'}"),
        "model.safetensors",
        "do not fit this model",
    )

    yaml_file = tmp_path / "broken.yaml"
    yaml_file.write_text("kind: lauragpt\nmodel:\n  lm: [1, 2\noptim: {}\n")
    _refused(capsys, ["train", "-c", str(yaml_file)], str(yaml_file), "line", "YAML")

    cmvn = tmp_path / "cmvn.json"
    cmvn.write_text((trained / "cmvn.json").read_text()[:300])
    _refused(
        capsys, _args(tiny_asr_dir, tiny_bpe, tmp_path / "e5", f"cmvn={cmvn}"), str(cmvn), "CMVN"
    )

    _refused(
        capsys,
        _args(tiny_asr_dir, tiny_bpe, tmp_path / "e6", "optim.lr=-0.001"),
        "optim.lr=-0.001",
        "positive",
    )
    _refused(
        capsys,
        _args(tiny_asr_dir, tiny_bpe, tmp_path / "e7", "trainer.max_steps=0"),
        "trainer.max_steps=0",
        "nothing would be trained",
    )
    for e in ("e1", "e2", "e4", "e5", "e6", "e7"):
        assert not (tmp_path / e / "model.safetensors").exists(), e


def _train_in_a_new_process(data: Path, bpe: Path, exp: Path) -> str:
    argv = _args(data, bpe, exp, "trainer.max_steps=6", "data.num_workers=1")
    subprocess.run([sys.executable, "-m", "laura.cli", *argv], check=True, capture_output=True)
    return hashlib.sha256((exp / "model.safetensors").read_bytes()).hexdigest()


@pytest.mark.slow
def test_same_seed_same_weights_on_a_busy_cpu(tiny_asr_dir, tiny_bpe, tmp_path):
    quiet = _train_in_a_new_process(tiny_asr_dir, tiny_bpe, tmp_path / "quiet")
    busy = [
        subprocess.Popen([sys.executable, "-c", "while True: sum(range(10**6))"]) for _ in range(2)
    ]
    try:
        loaded = _train_in_a_new_process(tiny_asr_dir, tiny_bpe, tmp_path / "busy")
    finally:
        for p in busy:
            p.kill()
    assert loaded == quiet


def test_two_sources_of_one_task_validate_under_their_own_names(tiny_asr_dir, tiny_bpe, tmp_path):
    # Two ASR corpora in one run (e.g. LibriSpeech and AISHELL): each validation loader logs
    # under its own name instead of Lightning refusing the second self.log of "val/ASR/loss".
    from conftest import metrics_rows

    src = f"{{task: ASR, train: [{tiny_asr_dir}], valid: [{tiny_asr_dir}]}}"
    exp = tmp_path / "exp"
    # (data.train=[]: the shorthand beside sources would be ignored, which is refused)
    argv = _args(tiny_asr_dir, tiny_bpe, exp, "data.train=[]", f"data.sources=[{src},{src}]")
    assert main([*argv, "trainer.val_check_interval=2", "trainer.limit_val_batches=1"]) == 0
    logged = {k for row in metrics_rows(exp) for k, v in row.items() if v}
    assert {"val/ASR.0/loss", "val/ASR.1/loss", "val/ASR.0/wer", "val/ASR.1/wer"} <= logged


def test_a_failed_checkpoint_write_is_one_line_and_keeps_the_last_one(tmp_path, monkeypatch):
    """A full disk shows in torch.save as a RuntimeError from its stream writer: the checkpoint
    writer makes it an OSError naming the file (what `laura train` prints as one line), and the
    checkpoint already on disk stays whole."""
    from laura.models.common import AtomicCheckpointIO

    io = AtomicCheckpointIO()
    last = tmp_path / "last.ckpt"
    io.save_checkpoint({"step": 1}, last)
    before = last.read_bytes()

    def full_disk(obj, f, *args, **kwargs):
        raise RuntimeError(
            "[enforce fail at inline_container.cc:626] . unexpected pos 64 vs 0\n"
            "PytorchStreamWriter failed writing file data/0: file write failed"
        )

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(OSError, match="last.ckpt: checkpoint not written .*file write failed") as e:
        io.save_checkpoint({"step": 2}, last)
    assert last.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.ckpt"]  # no temp file left
    from laura.bin import error_line

    assert "\n" not in error_line(e.value) and "MiB free" in error_line(e.value)
