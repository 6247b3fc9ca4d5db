"""The multi-task LauraGPT, vocoder and tokenizer shipped in egs/mini/lauragpt/shipped (what
`make demo` decodes with): sizes, recorded commands, and that they load, know every task and
produce audio of the bounded length."""

from __future__ import annotations

import json
from pathlib import Path

import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "egs/mini/lauragpt"
SHIPPED = RECIPE / "shipped"


def test_shipped_files_are_small_and_say_how_they_were_made() -> None:
    for f in ("lauragpt/model.safetensors", "vocoder/model.safetensors"):
        assert (SHIPPED / f).stat().st_size < 25 * 2**20, f
    voc = json.loads((SHIPPED / "vocoder/vocoder.json").read_text())
    lm = json.loads((SHIPPED / "lauragpt/info.json").read_text())
    assert "./run.sh --model trained --stage 7" in voc["command"]
    assert "./run.sh --model trained" in lm["command"] and "--stage-steps" in lm["command"]
    assert voc["codec"] == "../se_tts/shipped/codec" and voc["tokenizer"] == "shipped/bpe"
    assert (SHIPPED / "bpe/tokenizer.json").is_file()
    # self-contained: stage 3 started from stage 2's weights (init_from), the export drops that
    # and builds the Qwen2 backbone from its config alone
    cfg = yaml.safe_load((SHIPPED / "lauragpt/config.yaml").read_text())
    assert cfg["init_from"] is None and cfg["encoder_init"] is None
    assert cfg["model"]["lm"]["arch"] == "qwen2" and cfg["model"]["lm"]["pretrained"] is None


def test_shipped_vocoder_and_lm_load_and_synthesise(monkeypatch) -> None:
    """Paths inside the shipped dirs are relative to the recipe dir, where make demo runs."""
    from laura.decode import load_trained
    from laura.models.vocoder import load_vocoder

    monkeypatch.chdir(RECIPE)
    voc = load_vocoder("shipped/vocoder")
    assert voc.vocoder.codebook.dtype == torch.float32  # fp16 on disk, fp32 in memory
    first = torch.randint(0, 1024, (1, 50))
    cond = {
        "text": (torch.tensor([[5, 6, 7]]), torch.tensor([3])),
        "audio": (torch.zeros(1, 1, 128), torch.tensor([0])),
    }
    wav = voc.synthesize(first, torch.tensor([50]), cond)[0]
    assert wav.shape == (50 * 640,) and torch.isfinite(wav).all() and wav.abs().max() > 0
    module, cfg = load_trained("shipped/lauragpt")
    # resolved against the experiment dir (laura.artefact.resolve_recorded_path)
    assert Path(cfg.tokenizer.path) == SHIPPED / "bpe" and module.model.vocab.n_audio == 1024
    assert sorted(cfg.model.tasks) == ["AAC", "ASR", "S2TT", "SE", "SER", "SLU", "TTS"]
    # the settings that make the mini SE model read its input (egs/mini/se_tts/RESULTS.md)
    assert cfg.model.aligned_tasks == ["SE"] and cfg.model.audio_token_noise == 0.5
    assert cfg.decode.audio.top_k_by_task == {"SE": 1}
    assert cfg.decode.audio.posterior_mean_tasks == ["SE"]
