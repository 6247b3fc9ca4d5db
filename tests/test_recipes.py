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
    """`make demo`'s recipe at test size and a few steps: `--model trained` trains everything
    (stages 1-8) and ships it (stage 11); `--model shipped` (what `make demo` runs) then starts
    from that shipped copy as a fresh clone would (no token caches), continues it, decodes and
    scores every task and chain into the Table-1 summary; a re-run skips what is done. (The
    decode and scoring stages are the same code for both models, so they run once.)"""
    work = tmp_path / "repo"
    shutil.copytree(ROOT / "egs/TEMPLATE", work / "egs/TEMPLATE")
    (work / "egs/mini").mkdir(parents=True)
    shutil.copy(ROOT / "egs/mini/paths.sh", work / "egs/mini/paths.sh")  # the shared paths
    shutil.copytree(
        ROOT / "egs/mini/lauragpt",
        work / "egs/mini/lauragpt",
        ignore=shutil.ignore_patterns("data", "exp", "shipped", ".run*", "UNTRACKED*"),
    )
    shutil.copytree(ROOT / "egs/mini/se_tts/shipped/codec", work / "egs/mini/se_tts/shipped/codec")
    shutil.copytree(ROOT / "recipes", work / "recipes")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    recipe = work / "egs/mini/lauragpt"
    small = ["--size", "test", "--test-utts", "4", "--audio-utts", "2", "--threads", "1"]
    quiet = "trainer.enable_progress_bar=false data.num_workers=0 trainer.val_check_interval=3"

    def run(*args: str) -> subprocess.CompletedProcess:
        res = subprocess.run(
            [str(recipe / "run.sh"), *args, *small],
            capture_output=True,
            text=True,
            env=env,
            timeout=1200,
        )
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
        return res

    tiny = "--bpe-size 150 --ctc-bpe-size 100 --text-lm-steps 4 --ctc-steps 4 --vocoder-steps 3"
    trained = ["--model", "trained", *tiny.split(), "--stage-steps", "3,3,3,3"]
    run(*trained, "--train-args", quiet, "--stop-stage", "8")
    run(*trained, "--stage", "11", "--stop-stage", "11")
    exp = recipe / "exp"
    for f in ("text_lm/lm/config.json", "encoder_ctc/encoder.safetensors", "vocoder/vocoder"):
        assert (exp / f).exists(), f
    for n in (0, 1, 2, 3):
        assert (exp / f"lauragpt_stage{n}/model.safetensors").is_file()
    for f in ("lauragpt/model.safetensors", "vocoder/model.safetensors", "bpe/tokenizer.json"):
        assert (recipe / "shipped" / f).is_file(), f
    # `make demo` on a fresh clone has no token caches: the trained run's (32 groups, whole
    # splits) would serve the shipped run and hide what it must make itself (the voice prompts of
    # its training subset are mostly outside it: a demo once stopped on them)
    for cache in (recipe / "data/mini").glob("*/*/codec_tokens"):
        shutil.rmtree(cache)
    run("--stage", "3", "--continue-steps", "2", "--continue-utts", "6", "--train-args", quiet)
    assert (exp / "lauragpt_continued/model.safetensors").is_file()
    table = (exp / "decode_shipped/RESULTS.md").read_text()
    rows = "ASR | en speech; S2TT | zh -> en; SLU; SER; AAC; SE; TTS | zh text; S2ST, personalised"
    for row in [*rows.split("; "), "S2ST", "SE -> ASR"]:
        assert f"| {row} |" in table, row
    assert "(empty output)" in table and "(majority class)" in table
    assert "SE per input SNR" in table
    assert "| TTS | one-step vocoder from the true first-group tokens |" in table  # the bound
    # a re-run skips what is done: the 10 decodes (7 tasks, 3 chains), the 5 baselines, the 15
    # scores and the 2 vocoder evaluations
    res = run("--stage", "9")
    assert res.stdout.count("(skipped)") == 32, res.stdout[-2000:]


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
