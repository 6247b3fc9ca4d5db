import subprocess
import sys
from pathlib import Path

import pytest

from laura.config import ConfigError, to_object
from laura.models.kinds import load_config, model_info

ROOT = Path(__file__).resolve().parents[1]
RECIPES = sorted((ROOT / "recipes").rglob("*.yaml"))


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_config_loads_and_builds_on_meta(path):
    cfg = to_object(load_config(path))
    if cfg.kind == "vocoder":  # the text condition's size comes from a tokenizer built later
        overrides = [
            f"vocoder.conditions.{i}.dim=1000"
            for i, c in enumerate(cfg.vocoder.conditions)
            if c.kind == "tokens"
        ]
    elif cfg.kind == "text_lm":  # sized by a tokenizer built later
        overrides = ["lm.vocab_size=1000"] if cfg.lm.vocab_size == 0 else []
    else:
        small_vocab = cfg.kind != "codec" and cfg.model.lm.vocab_size == 0
        overrides = ["model.lm.vocab_size=1000"] if small_vocab else []
        if cfg.kind != "codec" and cfg.model.lm.pretrained:  # made by an earlier recipe stage
            overrides.append("model.lm.pretrained=null")
    info = model_info(str(path), overrides)
    assert info["parameters"]["total"] > 0


def test_paper_size_vocoder_predictor_is_counted():
    """6 blocks x 512, 8 heads, FFN 2048 (paper): per block 4 x (512^2 + 512) attention,
    2 x 512 x 2048 + 2048 + 512 feed-forward, two LayerNorms."""
    info = model_info(
        str(ROOT / "recipes/vocoder-mini.yaml"),
        [
            "vocoder.d_model=512",
            "vocoder.n_heads=8",
            "vocoder.ffn_dim=2048",
            "vocoder.n_blocks=6",
            "vocoder.conditions.0.dim=1000",
        ],
    )
    per_block = 4 * (512 * 512 + 512) + (512 * 2048 + 2048 + 2048 * 512 + 512) + 2 * 2 * 512
    assert info["parameters"]["transformer"] == 6 * per_block == 18_914_304


def test_codec_configs_have_their_own_schema(tmp_path):
    info = model_info(str(ROOT / "recipes/codec-funcodec.yaml"))
    assert info["parameters"]["total"] == 57_549_987  # FunCodec's released codec
    assert info["vocab"] == {"codebooks": 32, "entries": 1024, "frame_rate_hz": 25.0}
    assert info["parameters"]["discriminator"] > 0
    mini = to_object(load_config(ROOT / "recipes/codec-mini.yaml", ["codec.n_q=8"]))
    assert mini.kind == "codec" and mini.codec.kind == "freq" and mini.codec.n_q == 8
    with pytest.raises(ConfigError, match="unknown config key 'codec.n_qq'"):
        load_config(ROOT / "recipes/codec-mini.yaml", ["codec.n_qq=8"])
    with pytest.raises(ConfigError, match="kind='wavelet'"):
        load_config(None, ["kind=wavelet"])


def test_paper_config_is_two_billion():
    info = model_info(str(ROOT / "recipes/lauragpt-2b.yaml"))
    p = info["parameters"]
    assert 1.95e9 <= p["total"] <= 2.05e9
    assert 0.15e9 <= p["encoder"] <= 0.17e9  # paper: ~0.16B
    assert 1.80e9 <= p["lm"] <= 1.87e9  # Qwen-1.8B + 1,034 new rows in and out
    assert info["vocab"]["text"] == 151_936 and info["vocab"]["audio"] == 1025


def test_unknown_key_is_named(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  encoder:\n    n_blockz: 3\n")
    with pytest.raises(ConfigError, match=r"unknown config key 'model.encoder.n_blockz'") as err:
        load_config(bad)
    assert str(bad) in str(err.value)
    with pytest.raises(ConfigError, match=r"unknown config key 'trainer.max_stepz'"):
        load_config(None, ["trainer.max_stepz=3"])
    with pytest.raises(ConfigError, match="key=value"):
        load_config(None, ["trainer.max_steps"])
    with pytest.raises(ConfigError, match="model.encoder.n_blocks"):
        load_config(None, ["model.encoder.n_blocks=many"])
    with pytest.raises(ConfigError, match="kind="):
        load_config(None, ["kind=os.system"])


def test_overrides_apply():
    cfg = to_object(
        load_config(
            ROOT / "recipes/lauragpt-mini.yaml", ["trainer.max_steps=7", "data.train=[a,b]"]
        )
    )
    assert cfg.trainer.max_steps == 7 and cfg.data.train == ["a", "b"]
    assert cfg.model.encoder.conv_norm == "layer"


def test_cli_info_prints_total_without_allocating():
    out = subprocess.run(
        [sys.executable, "-m", "laura.cli", "info", "-c", str(ROOT / "recipes/lauragpt-2b.yaml")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "total" in out and "encoder" in out and "lm.transformer" in out
    assert "2.00" in out


@pytest.mark.parametrize(
    "cmd",
    [
        "train",
        "decode",
        "score",
        "info",
        "validate-data",
        "mini-corpus",
        "train-tokenizer",
        "prepare",
        "make-manifest",
        "codec-tokens",
        "codec-eval",
        "codec-convert",
    ],
)
def test_every_command_has_help(cmd):
    res = subprocess.run(
        [sys.executable, "-m", "laura.cli", cmd, "--help"], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    assert "usage:" in res.stdout


def test_cli_reports_config_errors_cleanly(tmp_path):
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "laura.cli",
            "train",
            "-c",
            str(ROOT / "recipes/lauragpt-mini.yaml"),
            "optim.lrr=1",
        ],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2
    assert "unknown config key 'optim.lrr'" in res.stderr
    assert "Traceback" not in res.stderr


def test_prepare_lists_every_table6_corpus():
    from laura.data.corpora import corpora

    names = set(corpora())
    table6 = {
        "librispeech",
        "aishell1",
        "aishell2",
        "slurp",
        "bstc",
        "covost2",
        "meld",
        "clotho",
        "libritts",
        "se_mixture",
    }
    assert table6 <= names, table6 - names
    out = subprocess.run(
        [sys.executable, "-m", "laura.cli", "prepare", "--list"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "librispeech" in out and "SER" in out


def test_data_sources_and_stage_subsets():
    from laura.config import data_sources

    cfg = to_object(
        load_config(
            ROOT / "recipes/lauragpt-mini.yaml",
            [
                "data.sources=[{task: ASR, train: [a]}, {task: SLU, train: [b], repeat: 10}, "
                "{task: TTS, train: [c]}]"
            ],
        )
    )
    assert [(s.task, s.repeat) for s in data_sources(cfg.data)] == [
        ("ASR", 1),
        ("SLU", 10),
        ("TTS", 1),
    ]
    cfg.data.tasks = ["SLU", "TTS"]  # the paper's stage 2 trains the small tasks only
    assert [s.task for s in data_sources(cfg.data)] == ["SLU", "TTS"]
    cfg.data.tasks = ["SE"]
    with pytest.raises(ConfigError, match="SE"):
        data_sources(cfg.data)
    single = to_object(load_config(ROOT / "recipes/lauragpt-mini.yaml"))
    assert [s.task for s in data_sources(single.data)] == ["ASR"]
    # a recipe's data.train beside a multi-task config's sources would be ignored: refused
    stage1 = ROOT / "recipes/lauragpt-mini-multitask-stage1.yaml"
    with pytest.raises(
        ConfigError,
        match=r"stage1.yaml: override 'data.train=\[x\]' is ignored beside data.sources: set "
        r"data.sources.N.train/valid$",
    ):
        load_config(stage1, ["data.train=[x]"])
    with pytest.raises(ConfigError, match=r"'data.valid=\[y\]' is ignored beside data.sources"):
        load_config(stage1, ["data.valid=[y]"])
    with pytest.raises(ConfigError, match=r"'data.task=SLU' is ignored beside data.sources"):
        load_config(stage1, ["data.task=SLU"])  # what egs/TEMPLATE passes: one task's recipes
    load_config(stage1, ["data.sources.0.train=[x]"])  # the way to point a source elsewhere
    load_config(stage1, ["data.train=[]"])  # nothing ignored
    with pytest.raises(ConfigError, match="unknown config key 'data.sources.0.repeet'"):
        load_config(
            ROOT / "recipes/lauragpt-mini.yaml",
            ["data.sources=[{task: ASR}]", "data.sources.0.repeet=2"],
        )


def test_renamed_decode_keys_are_refused_in_user_configs_and_moved_in_stored_ones(tmp_path):
    # decode.* sampling keys moved into GenerationConfig groups (text, audio.generation)
    with pytest.raises(ConfigError, match=r"'decode\.top_k' is now 'decode\.text\.top_k'"):
        load_config(ROOT / "recipes/lauragpt-mini.yaml", ["decode.top_k=3"])
    old = tmp_path / "config.yaml"
    old.write_text(
        "kind: lauragpt\ndecode:\n  max_new_tokens: 77\n  audio:\n    top_k: 9\n    repeat_max: 2\n"
    )
    with pytest.raises(ConfigError, match=r"'decode\.max_new_tokens' is now 'decode\.text\."):
        load_config(old)
    cfg = load_config(old, stored=True)  # an experiment's own config.yaml, written before the move
    assert cfg.decode.text.max_new_tokens == 77
    assert (cfg.decode.audio.generation.top_k, cfg.decode.audio.generation.repeat_max) == (9, 2)
    assert cfg.decode.audio.generation.max_new_tokens == 1500  # untouched keys keep defaults
