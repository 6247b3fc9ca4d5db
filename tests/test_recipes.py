"""Recipe smoke tests: a corpus recipe's data stages run on a fixture in the corpus's real layout."""

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
    subprocess.run(["bash", "-n", str(recipe / "run.sh")], check=True)
    if (recipe / "local/data.sh").is_file():
        subprocess.run(["bash", "-n", str(recipe / "local/data.sh")], check=True)


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
        [str(work / "egs/librispeech/lauragpt/run.sh"), "--stage", "1", "--stop-stage", "2",
         "--test-sets", "", "--train-sets", "train-clean-100", "--valid-set", "dev-clean"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    data = work / "egs/librispeech/lauragpt/data"
    assert (data / "train-clean-100/wav.scp").is_file() and (data / "dev-clean/text").is_file()
    assert "OK" in res.stdout
