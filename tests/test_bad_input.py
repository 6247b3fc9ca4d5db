"""Bad input is refused before training starts, with the utterance, the file and the problem."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from laura.data.validate import ValidationError
from laura.models.kinds import load_config
from laura.train import train

ROOT = Path(__file__).resolve().parents[1]


def _copy_dir(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _cfg(data: Path, bpe: Path, exp: Path, *extra: str):
    return load_config(
        ROOT / "recipes/lauragpt-mini.yaml",
        [
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
            *extra,
        ],
    )


def _rewrite(path: Path, key: str, value: str) -> None:
    lines = path.read_text().splitlines()
    out = [f"{key} {value}" if line.split(" ", 1)[0] == key else line for line in lines]
    path.write_text("".join(f"{line}\n" for line in out))


@pytest.fixture
def bad_dirs(tiny_asr_dir, tmp_path):
    """Three copies of the tiny dir, each with one kind of bad input."""
    dirs = {}
    d = _copy_dir(tiny_asr_dir, tmp_path / "missing")
    _rewrite(d / "wav.scp", "spk1-001", str(tmp_path / "gone.wav"))
    dirs["missing"] = (d, "spk1-001", "gone.wav", "does not exist")

    d = _copy_dir(tiny_asr_dir, tmp_path / "empty_text")
    _rewrite(d / "text", "spk1-002", "")
    dirs["empty_text"] = (d, "spk1-002", "text", "empty")

    d = _copy_dir(tiny_asr_dir, tmp_path / "rate")
    wav8k = tmp_path / "eight_k.wav"
    sf.write(wav8k, np.random.default_rng(0).uniform(-0.3, 0.3, 8000).astype(np.float32), 8000)
    _rewrite(d / "wav.scp", "spk1-003", str(wav8k))
    dirs["rate"] = (d, "spk1-003", "eight_k.wav", "8000")

    d = _copy_dir(tiny_asr_dir, tmp_path / "unreadable")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"this is not audio" * 10)
    _rewrite(d / "wav.scp", "spk1-004", str(junk))
    dirs["unreadable"] = (d, "spk1-004", "junk.wav", "unreadable|cannot|not")
    return dirs


@pytest.mark.parametrize("kind", ["missing", "empty_text", "rate", "unreadable"])
def test_training_refuses_bad_dir_before_first_step(kind, bad_dirs, tiny_bpe, tmp_path):
    d, utt, file_part, problem = bad_dirs[kind]
    exp = tmp_path / "exp"
    with pytest.raises(ValidationError) as err:
        train(_cfg(d, tiny_bpe, exp))
    msg = str(err.value)
    assert utt in msg and file_part in msg
    assert any(p in msg for p in problem.split("|")), msg
    assert len(err.value.problems) == 1
    assert not (exp / "checkpoints").exists()  # nothing was trained


def test_skip_option_trains_and_lists_what_it_skipped(bad_dirs, tiny_bpe, tmp_path):
    d, utt, _, _ = bad_dirs["rate"]
    exp = tmp_path / "exp"
    train(_cfg(d, tiny_bpe, exp, "data.skip_invalid=true"))
    skipped = (exp / "skipped_train0.txt").read_text()
    assert utt in skipped and "8000" in skipped
    assert (exp / "model.safetensors").is_file()


def test_training_refuses_unsafe_utterance_id(tiny_asr_dir, tiny_bpe, tmp_path):
    """An id that would be a path (decode writes <out>/wav/<id>.wav) stops training before any
    step, with every file and line that holds it."""
    d = _copy_dir(tiny_asr_dir, tmp_path / "unsafe")
    for name in ("wav.scp", "text", "utt2spk"):
        p = d / name
        # spk1-000 is the first line; "../" sorts before it, so the order stays valid
        p.write_text(p.read_text().replace("spk1-000 ", "../../evil ", 1))
    exp = tmp_path / "exp"
    with pytest.raises(ValidationError) as err:
        train(_cfg(d, tiny_bpe, exp))
    why = "id '../../evil' contains '/' (ids become file names: no path separators)"
    assert [str(p) for p in err.value.problems] == [
        f"{d / name}:1: {why}" for name in ("text", "utt2spk", "wav.scp")
    ]
    assert not (exp / "checkpoints").exists()
