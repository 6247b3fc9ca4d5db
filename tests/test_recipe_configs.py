"""The multi-task mini LauraGPT's training-stage configs (stage 0, then the paper's three) stay in
step: they differ only where the stages differ (what they start from, the learning rate in the
paper's ratios, stage 0's warmup, the tasks of stages 0 and 2, the steps), and each loads as a
complete config."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from laura.config import data_sources
from laura.experiment import flatten
from laura.models.kinds import load_config

ROOT = Path(__file__).resolve().parents[1]
STAGES = [ROOT / f"recipes/lauragpt-mini-multitask-stage{n}.yaml" for n in (0, 1, 2, 3)]
# Where the stages may differ (and nowhere else).
MAY_DIFFER = {
    "exp_dir",
    "init_from",
    "encoder_init",
    "model.lm.pretrained",
    "optim.lr",
    "optim.warmup_steps",
    "trainer.val_check_interval",
    "data.tasks",
    "trainer.max_steps",
}


def test_stages_differ_only_where_the_paper_s_stages_differ() -> None:
    flat = [flatten(yaml.safe_load(p.read_text())) for p in STAGES]
    keys = set().union(*flat)
    differ = {k for k in keys if len({repr(f.get(k)) for f in flat}) > 1}
    assert differ <= MAY_DIFFER, sorted(differ - MAY_DIFFER)
    lrs = [f["optim.lr"] for f in flat]
    # stages 1-3 in the paper's ratios (5e-4 : 2e-4 : 1e-4); stage 0 (ASR alone) faster
    assert [round(lr / lrs[1], 6) for lr in lrs[1:]] == [1.0, 0.4, 0.2] and lrs[0] > lrs[1]
    assert flat[0].get("init_from") is None and flat[0]["model.lm.pretrained"]
    assert flat[0]["encoder_init"] and flat[0]["data.tasks"] == ["ASR"]
    for n in (1, 2, 3):  # each from the stage before, and nothing else
        assert flat[n]["init_from"] == f"exp/lauragpt_stage{n - 1}/model.safetensors"
        assert flat[n].get("model.lm.pretrained") is None and flat[n].get("encoder_init") is None
    assert [f["optim.warmup_steps"] for f in flat[1:]] == [500, 500, 500]


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_each_stage_loads_with_its_tasks(n: int) -> None:
    cfg = load_config(STAGES[n])
    trained = {s.task for s in data_sources(cfg.data)}
    every = {"ASR", "S2TT", "SLU", "SER", "AAC", "SE", "TTS"}
    expected = {0: {"ASR"}, 2: {"SLU", "SER", "AAC", "SE", "TTS"}}.get(n, every)
    assert trained == expected
    assert set(cfg.model.tasks) == every  # one output vocabulary in every stage
    assert cfg.exp_dir == f"exp/lauragpt_stage{n}"


def test_ser_and_aac_are_not_speed_perturbed() -> None:
    """Speed perturbation changes speed and pitch: what SER's classes and AAC's captions are
    about. Their sources keep [1.0]; the other text tasks take data.speed_perturb."""
    from laura.data.datamodule import LauraDataModule

    cfg = load_config(STAGES[1])
    sources = data_sources(cfg.data)
    dm = LauraDataModule(cfg.data, cfg.model.frontend, None, sources, [([], [])] * len(sources))
    factors = {s.task: dm.speed_factors(s) for s in sources}
    assert factors["SER"] == factors["AAC"] == [1.0]
    assert factors["ASR"] == factors["S2TT"] == factors["SLU"] == [0.9, 1.0, 1.1]
    with pytest.raises(Exception, match=r"data.sources.0.speed_perturb.*must be positive"):
        load_config(STAGES[1], ["data.sources.0.speed_perturb=[0.0]"])


def test_token_shares_weigh_sources_by_output_tokens_and_repeats() -> None:
    """What `laura train` prints: text targets counted through the tokenizer, audio targets at
    the codec frame rate, an end token each, times the repeat factor (hand-computed here)."""
    from laura.models.kinds import format_token_shares, output_token_shares

    class Words:  # a tokenizer with one token per word
        def encode(self, text: str) -> list[int]:
            return list(range(len(text.split())))

    cfg = load_config(STAGES[1])
    sources = [s for s in data_sources(cfg.data) if s.task in ("ASR", "SER", "TTS")]
    assert [s.repeat for s in sources] == [4, 3, 1]
    records = [
        ([{"text": "a b c"}, {"text": "d e"}], []),  # ASR: (3 + 1) + (2 + 1) = 7 tokens
        ([{"emotion": "happy"}], []),  # SER: 1 + 1 = 2
        ([{"duration": 2.0}, {"duration": 1.0}], []),  # TTS at 25 Hz: (50 + 1) + (25 + 1) = 77
    ]
    rows = output_token_shares(sources, records, Words(), 25.0)
    assert [(r["task"], r["tokens"]) for r in rows] == [("ASR", 7), ("SER", 2), ("TTS", 77)]
    total = 7 * 4 + 2 * 3 + 77
    assert [round(r["share"], 6) for r in rows] == [round(x / total, 6) for x in (28, 6, 77)]
    table = format_token_shares(rows).splitlines()
    assert table[1].split() == ["0:", "ASR", "2", "4", "3.5", f"{100 * 28 / total:.1f}%"]
