"""Chained tasks (laura.chains, laura.metrics.chain): S2ST (plain and personalised) and SE -> ASR
decode step by step with one tiny model, from the CLI, and score like their steps; what the
second step reads is the first step's output; empty first outputs are counted, never dropped
silently; ``--skip-done`` keeps a finished decode of the same model and data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from laura.bin import run_verb
from laura.data.kaldi import read_table, read_wav_scp
from laura.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
FAST = [
    "decode.text.max_new_tokens=6",
    "decode.audio.generation.max_new_tokens=12",
    "decode.audio.n_pictures=0",
]


@pytest.fixture(scope="module")
def chain_setup(tmp_path_factory) -> dict[str, Path]:
    """A test-size mini corpus (en, zh: ASR, S2TT, SE, TTS), a tiny random codec and its tokens,
    a vocoder and a LauraGPT over the four tasks, each trained for two steps (structure only)."""
    from conftest import have_espeak, tiny_codec

    from laura.data.codec_tokens import extract_tokens
    from laura.minicorpus.generate import make_mini_corpus
    from laura.models.kinds import load_config
    from laura.nn.codec import save_codec
    from laura.text.tokenizer import train_bpe
    from laura.train import train

    if not have_espeak():
        pytest.skip("espeak-ng not installed")
    tmp = tmp_path_factory.mktemp("chains")
    c = tmp / "mini"
    make_mini_corpus(
        c,
        size="test",
        seed=0,
        langs=("en", "zh"),
        tasks=("asr", "s2tt", "se", "tts"),
        progress=False,
    )
    save_codec(tiny_codec(n_q=2), tmp / "codec")
    for split in ("train", "dev"):
        extract_tokens(tmp / "codec", c / "se" / split, field="clean", n_q=2)
        extract_tokens(tmp / "codec", c / "tts" / split, field="audio", n_q=2)
    texts = [
        *read_table(c / "asr/train/text").values(),
        *read_table(c / "s2tt/train/text.zh").values(),
    ]
    texts += read_table(c / "s2tt/train/text.en").values()
    train_bpe(texts, 120, tmp / "bpe")
    common = [
        f"tokenizer.path={tmp / 'bpe'}",
        "data.num_workers=0",
        "data.max_seconds=8",
        "data.num_buckets=1",  # (validation batches of several utterances: acc_other_input)
        "trainer.max_steps=2",
        "trainer.enable_progress_bar=false",
        "trainer.log_every_n_steps=1",
    ]
    voc = tmp / "vocoder"
    train(
        load_config(
            ROOT / "recipes/vocoder-mini.yaml",
            [
                *common,
                f"exp_dir={voc}",
                f"codec={tmp / 'codec'}",
                f"data.sources.0.train=[{c}/se/train]",
                "data.sources.0.valid=[]",
                f"data.sources.1.train=[{c}/tts/train]",
                "data.sources.1.valid=[]",
                "data.token_groups=2",
                "vocoder.n_q=2",
                "vocoder.codebook_size=16",
                "vocoder.d_model=32",
                "vocoder.n_heads=2",
                "vocoder.ffn_dim=64",
                "vocoder.n_blocks=1",
                "n_valid=0",
                "optim.warmup_steps=1",
            ],
        )
    )
    sources = ", ".join(
        f"{{task: {t}, train: [{c}/{t.lower()}/train], valid: [{c}/{t.lower()}/dev]}}"
        for t in ("ASR", "S2TT", "SE", "TTS")
    )
    lm = tmp / "lm"
    train(
        load_config(
            ROOT / "recipes/lauragpt-mini-multitask-stage1.yaml",
            [
                *common,
                f"exp_dir={lm}",
                "init_from=null",
                f"data.sources=[{sources}]",
                "data.speed_perturb=[1.0]",
                "model.n_audio_tokens=16",
                "model.encoder.n_blocks=1",
                "model.lm.num_layers=1",
                "optim.warmup_steps=1",
                "trainer.val_check_interval=2",
                "trainer.limit_val_batches=1",
            ],
        )
    )
    return {"corpus": c, "lm": lm, "vocoder": voc / "vocoder", "codec": tmp / "codec"}


def _decode(s: dict[str, Path], data: Path, out: Path, task: str, *extra: str) -> int:
    argv = ["--exp", str(s["lm"]), "--data", str(data), "--task", task, "--out", str(out)]
    return run_verb("decode", [*argv, "--vocoder", str(s["vocoder"]), *extra, *FAST])


@pytest.mark.parametrize("chain", ["S2ST", "S2ST-personal"])
def test_s2st_translates_then_speaks_the_translation(chain_setup, tmp_path, chain) -> None:
    s = chain_setup
    data = s["corpus"] / "s2tt/dev"
    out = tmp_path / chain
    assert _decode(s, data, out, chain) == 0
    info = json.loads((out / "decode.json").read_text())
    assert info["chain"] == chain and info["steps"] == ["S2TT", "TTS"]
    hyps = read_table(out / "s2tt/hyp")
    assert set(hyps) == set(read_table(data / "wav.scp"))
    spoken = read_table(out / "data_tts/text")
    # the TTS step reads the translations the S2TT step wrote, and only the non-empty ones
    assert spoken == {u: " ".join(h.split()) for u, h in hyps.items() if h.strip()}
    assert info["n_empty_input"] == len(hyps) - len(spoken) == len(info["empty_input"])
    assert set(read_table(out / "tts/wav.scp")) == set(spoken)
    # the TTS input's language is the translation's, its reference recording the source speech
    src_lang = read_table(data / "utt2lang")
    for u, lang in read_table(out / "data_tts/utt2lang").items():
        assert {lang, src_lang[u]} == {"en", "zh"}
    assert read_wav_scp(out / "data_tts/wav.scp") == {
        u: p for u, p in read_wav_scp(data / "wav.scp").items() if u in spoken
    }
    prompts = out / "data_tts/utt2prompt"
    per_utt = json.loads((out / "tts/decode.json").read_text())["per_utt"]
    if chain == "S2ST-personal":  # the source utterance is its own voice prompt, tokenised
        assert read_table(prompts) == {u: u for u in spoken}
        assert (out / "data_tts/codec_tokens/audio/info.json").is_file()
        assert all(p["prompt_frames"] > 0 for p in per_utt.values())
    else:
        assert not prompts.exists()
        assert all(p["prompt_frames"] == 0 for p in per_utt.values())

    from laura.metrics.scoring import format_table, score

    result = score(
        out, data, chain, by=["lang"], asr_exp=str(s["lm"]), pocketsphinx=False, mos=False
    )
    assert result["metric"] == "chain" and set(result["parts"]) == {"S2TT", "TTS"}
    assert result["parts"]["S2TT"]["groups"][0]["scores"]["bleu_en"] >= 0
    assert (
        "asr_en" in result["parts"]["TTS"]["groups"][0]["scores"]
        or "asr_zh" in (result["parts"]["TTS"]["groups"][0]["scores"])
    )
    e2e = result["end_to_end"]["groups"][0]["scores"]
    assert {"bleu_en", "bleu_zh"} <= set(e2e)
    # ASR-BLEU's references are the reference translations; unspoken utterances count as empty
    ref = read_table(out / "asr_bleu/ref")
    assert ref == read_table(out / "s2tt/ref")
    assert e2e["n_empty"] >= info["n_empty_input"]
    table = format_table(result)
    assert "step S2TT" in table and "step TTS" in table and "end to end" in table
    assert json.loads((out / "s2tt/scores.json").read_text())["task"] == "S2TT"


def test_se_then_asr_transcribes_the_enhanced_speech(chain_setup, tmp_path) -> None:
    s = chain_setup
    data = s["corpus"] / "se/dev"
    out = tmp_path / "se-asr"
    assert _decode(s, data, out, "SE-ASR") == 0
    enhanced = read_wav_scp(out / "se/wav.scp")
    assert read_wav_scp(out / "data_asr/wav.scp") == enhanced
    assert read_table(out / "data_asr/text") == read_table(data / "text")
    assert set(read_table(out / "asr/hyp")) == set(enhanced)
    from laura.metrics.scoring import score

    result = score(out, data, "SE-ASR", by=["snr"], pocketsphinx=False, secs=False, mos=False)
    assert result["end_to_end"] is result["parts"]["ASR"]
    snrs = {g["group"]["snr"] for g in result["end_to_end"]["groups"]}
    assert "all" in snrs and len(snrs) > 1  # per SNR, from the source's utt2snr
    assert 0 <= result["parts"]["SE"]["groups"][0]["scores"]["pesq"] < 4.6


def test_skip_done_keeps_a_finished_decode_of_the_same_model_and_data(chain_setup, tmp_path):
    s = chain_setup
    data = s["corpus"] / "se/dev"
    out = tmp_path / "se"
    assert _decode(s, data, out, "SE") == 0
    first = (out / "decode.json").stat().st_mtime_ns
    assert _decode(s, data, out, "SE", "--skip-done") == 0
    assert (out / "decode.json").stat().st_mtime_ns == first  # kept
    # another option is another decode: redone (and refused without --overwrite)
    assert _decode(s, data, out, "SE", "--skip-done", "decode.audio.seed=1") == 2
    assert _decode(s, data, out, "SE", "--skip-done", "--overwrite", "decode.audio.seed=1") == 0
    assert (out / "decode.json").stat().st_mtime_ns != first


def test_empty_first_outputs_are_counted_and_all_empty_is_an_error(tmp_path) -> None:
    from laura.chains import make_step_input

    records = [
        {
            "id": "a",
            "audio": "/x/a.wav",
            "lang": "en",
            "text_en": "hi",
            "text_zh": "你好",
            "speaker": "s",
        },
        {
            "id": "b",
            "audio": "/x/b.wav",
            "lang": "en",
            "text_en": "yes",
            "text_zh": "是",
            "speaker": "s",
        },
    ]
    first = tmp_path / "s2tt"
    first.mkdir()
    (first / "hyp").write_text("a 你 好\nb\n")
    skipped = make_step_input("S2ST", records, first, tmp_path / "d")
    assert skipped == ["b"]
    assert read_table(tmp_path / "d/text") == {"a": "你 好"}
    assert read_table(tmp_path / "d/utt2lang") == {"a": "zh"}
    (first / "hyp").write_text("a\nb\n")
    with pytest.raises(DataError, match="no output of step S2TT"):
        make_step_input("S2ST", records, first, tmp_path / "d")


def test_scoring_a_decode_of_another_kind_as_a_chain_is_refused(tmp_path, capsys) -> None:
    d = tmp_path / "dec"
    d.mkdir()
    (d / "decode.json").write_text(json.dumps({"task": "ASR"}))
    argv = ["--task", "S2ST", "--decode", str(d), "--data", str(tmp_path)]
    assert run_verb("score", argv) == 2
    assert "a decode of ASR, not S2ST" in capsys.readouterr().err
    (d / "decode.json").unlink()
    assert run_verb("score", argv) == 2
    assert "not a finished S2ST decode" in capsys.readouterr().err


def test_multi_task_training_logs_each_task(chain_setup) -> None:
    """Mixed batches log each task's loss and accuracy; the batch loss is their token-weighted
    mean, so it lies between the smallest and the largest task loss of the step."""
    from conftest import metrics_rows

    rows = [r for r in metrics_rows(chain_setup["lm"]) if r.get("train/loss")]
    assert rows
    seen = set()
    for r in rows:
        per_task = {
            k.split("/")[1]: float(v)
            for k, v in r.items()
            if k.endswith("/loss") and k.count("/") == 2 and v
        }
        seen |= set(per_task)
        assert per_task, r
        lo, hi = min(per_task.values()), max(per_task.values())
        assert lo - 1e-4 <= float(r["train/loss"]) <= hi + 1e-4
        for task in per_task:
            assert 0.0 <= float(r[f"train/{task}/acc"]) <= 1.0
    assert seen <= {"ASR", "S2TT", "SE", "TTS"} and len(seen) >= 2


def test_multi_task_validation_logs_each_tasks_own_measures(chain_setup) -> None:
    """Each task validates under its own name; greedy WER only where the task is scored by WER
    (ASR), exact match for every text task, and for audio outputs the accuracy with another
    utterance's input beside their own."""
    from conftest import metrics_rows

    logged = {k for row in metrics_rows(chain_setup["lm"]) for k, v in row.items() if v}
    val = {k for k in logged if k.startswith("val/")}
    for task in ("ASR", "S2TT", "SE", "TTS"):
        assert {f"val/{task}/loss", f"val/{task}/acc"} <= val, task
    assert {"val/ASR/wer", "val/ASR/exact", "val/S2TT/exact"} <= val
    assert {"val/SE/acc_other_input", "val/TTS/acc_other_input"} <= val, " ".join(sorted(val))
    assert not {"val/S2TT/wer", "val/SE/wer", "val/TTS/wer", "val/SE/exact"} & val
