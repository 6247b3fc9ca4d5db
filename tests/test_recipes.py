"""Recipe smoke tests: a corpus recipe's data stages run on a fixture in the corpus's real
layout."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RECIPES = sorted(p.parent for p in (ROOT / "egs").glob("*/*/run.sh"))


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: str(p.relative_to(ROOT / "egs")))
def test_recipe_scripts_parse_and_show_help(recipe):
    """Each run.sh parses, and `--help` (run from the repository root, as users do) lists the
    options it declares before parsing them: names with dashes, defaults, comments."""
    subprocess.run(["bash", "-n", str(recipe / "run.sh")], check=True)
    if (recipe / "local/data.sh").is_file():
        subprocess.run(["bash", "-n", str(recipe / "local/data.sh")], check=True)
    res = subprocess.run(
        [str((recipe / "run.sh").relative_to(ROOT)), "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert res.returncode == 0 and res.stdout.startswith("usage: "), res.stdout + res.stderr
    options = [line.split()[0] for line in res.stdout.splitlines()[1:]]
    assert len(options) >= 5 and "--stage" in options and "--stop-stage" in options
    assert all(o.startswith("--") and "_" not in o for o in options), options


def test_unknown_recipe_option_is_an_error():
    res = subprocess.run(
        [str(ROOT / "egs/librispeech/lauragpt/run.sh"), "--no-such-option", "1"],
        capture_output=True,
        text=True,
    )
    assert res.returncode != 0 and "unknown option --no-such-option" in res.stderr


def test_librispeech_recipe_data_stages(tmp_path):
    sys.path.insert(0, str(ROOT / "tests"))
    from test_corpora_asr_tts import make_librispeech

    src = make_librispeech(tmp_path / "corpus")
    # A copy of the recipe tree, so the test writes nothing into the repository.
    work = tmp_path / "repo"
    shutil.copytree(ROOT / "egs/TEMPLATE", work / "egs/TEMPLATE")
    shutil.copytree(ROOT / "egs/librispeech/lauragpt", work / "egs/librispeech/lauragpt")
    env = {
        **os.environ,
        "LIBRISPEECH": str(src),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    res = subprocess.run(
        [
            str(work / "egs/librispeech/lauragpt/run.sh"),
            "--stage",
            "1",
            "--stop-stage",
            "2",
            "--test-sets",
            "",
            "--train-sets",
            "train-clean-100",
            "--valid-set",
            "dev-clean",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    data = work / "egs/librispeech/lauragpt/data"
    assert (data / "train-clean-100/wav.scp").is_file() and (data / "dev-clean/text").is_file()
    assert "OK" in res.stdout


@pytest.mark.slow
def test_mini_recipe_runs_every_stage_on_the_test_corpus(tmp_path):
    """`make demo`'s recipe, all stages, at test size and a few steps: nothing breaks between
    stages."""
    work = tmp_path / "repo"
    shutil.copytree(ROOT / "egs/TEMPLATE", work / "egs/TEMPLATE")
    (work / "egs/mini").mkdir(parents=True)
    shutil.copy(ROOT / "egs/mini/paths.sh", work / "egs/mini/paths.sh")  # the shared paths
    shutil.copytree(
        ROOT / "egs/mini/lauragpt",
        work / "egs/mini/lauragpt",
        ignore=shutil.ignore_patterns("data", "exp"),
    )
    shutil.copytree(ROOT / "recipes", work / "recipes")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    res = subprocess.run(
        [
            str(work / "egs/mini/lauragpt/run.sh"),
            "--size",
            "test",
            "--tasks",
            "asr",
            "--bpe-size",
            "120",
            "--ctc-bpe-size",
            "100",
            "--ctc-steps",
            "6",
            "--asr-steps",
            "6",
            "--extra-args",
            "trainer.val_check_interval=3 trainer.enable_progress_bar=false",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    exp = work / "egs/mini/lauragpt/exp"
    assert (exp / "encoder_ctc/encoder.safetensors").is_file()
    assert (exp / "lauragpt_asr/model.safetensors").is_file()
    table = (exp / "lauragpt_asr/decode_test/RESULTS.md").read_text()
    assert "| en | all voices | WER |" in table and "| zh | all voices | CER |" in table
    assert "held-out voices" in table


@pytest.mark.slow
def test_se_tts_recipe_runs_every_stage_on_the_test_corpus(tmp_path):
    """egs/mini/se_tts at test size and a few steps: tokens, both vocoders (the ablation),
    their ground-truth-token scores, LauraGPT SE+TTS, audio decoding and audio scoring."""
    work = tmp_path / "repo"
    shutil.copytree(ROOT / "egs/TEMPLATE", work / "egs/TEMPLATE")
    shutil.copytree(ROOT / "egs/mini/codec/shipped", work / "egs/mini/codec/shipped")
    shutil.copy(ROOT / "egs/mini/paths.sh", work / "egs/mini/paths.sh")  # the shared paths
    shutil.copytree(
        ROOT / "egs/mini/se_tts",
        work / "egs/mini/se_tts",
        ignore=shutil.ignore_patterns("data", "exp", "*.log"),
    )
    shutil.copytree(ROOT / "recipes", work / "recipes")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    res = subprocess.run(
        [
            str(work / "egs/mini/se_tts/run.sh"),
            "--size",
            "test",
            "--tasks",
            "asr,se,tts",
            "--data",
            "data/mini",
            "--bpe-size",
            "80",
            "--vocoder-steps",
            "3",
            "--lm-steps",
            "3",
            "--ablation",
            "true",
            "--eval-utts",
            "2",
            "--decode-utts",
            "2",
            "--threads",
            "1",
            "--vocoder-args",
            "trainer.enable_progress_bar=false data.num_workers=0",
            "--lm-args",
            "trainer.enable_progress_bar=false data.num_workers=0",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
        cwd=work,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    exp = work / "egs/mini/se_tts/exp"
    for kind in ("one_step", "multi_step"):
        for t in ("se", "tts"):
            scores = json.loads((exp / f"vocoder_{kind}/eval_{t}/scores.json").read_text())
            assert set(scores["systems"]) >= {"vocoder", "first_group", "codec_all"}
    for t in ("se", "tts"):
        dec = exp / f"decode_trained/{t}_test"
        assert len((dec / "wav.scp").read_text().splitlines()) == 2
        assert list((dec / "png").glob("*.png"))
        table = (dec / "RESULTS.md").read_text()
        assert "DNSMOS" in table and "SECS" in table
        if t == "se":
            assert "| SNR (dB) |" in table and "PESQ-wb" in table
