"""`laura train` with kind=vocoder (VocoderModule: the codec frozen and kept out of checkpoints),
export and reload, mixed SE/TTS batches, `laura vocoder-eval`, and the errors a user can hit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import metrics_rows, tiny_codec

from laura.models.kinds import load_config
from laura.train import train

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def audio_data(tmp_path_factory) -> dict[str, Path]:
    """A test-size mini corpus (en) with SE and TTS, a tiny random codec, its 4-group tokens."""
    from conftest import have_espeak, tiny_codec

    from laura.data.codec_tokens import extract_tokens
    from laura.data.kaldi import read_table
    from laura.minicorpus.generate import make_mini_corpus
    from laura.nn.codec import save_codec
    from laura.text.tokenizer import train_bpe

    if not have_espeak():
        pytest.skip("espeak-ng not installed")
    tmp = tmp_path_factory.mktemp("vocoder_data")
    corpus = tmp / "mini"
    make_mini_corpus(
        corpus, size="test", seed=0, langs=("en",), tasks=("asr", "se", "tts"), progress=False
    )
    save_codec(tiny_codec(n_q=4, seed=0), tmp / "codec")
    for split in ("train", "dev"):
        extract_tokens(tmp / "codec", corpus / "se" / split, field="clean", n_q=4)
        extract_tokens(tmp / "codec", corpus / "tts" / split, field="audio", n_q=4)
    train_bpe(list(read_table(corpus / "tts/train/text").values()), 80, tmp / "bpe")
    return {"corpus": corpus, "codec": tmp / "codec", "bpe": tmp / "bpe", "tmp": tmp}


def _cfg(d: dict[str, Path], exp: Path, steps: int, *extra: str):
    c = d["corpus"]
    return load_config(
        ROOT / "recipes/vocoder-mini.yaml",
        [
            f"exp_dir={exp}",
            f"codec={d['codec']}",
            f"tokenizer.path={d['bpe']}",
            f"data.sources.0.train=[{c}/se/train]",
            f"data.sources.0.valid=[{c}/se/dev]",
            f"data.sources.1.train=[{c}/tts/train]",
            f"data.sources.1.valid=[{c}/tts/dev]",
            "data.token_groups=4",
            "data.max_seconds=12",
            "data.num_workers=0",
            "vocoder.n_q=4",
            "vocoder.codebook_size=16",
            "vocoder.d_model=32",
            "vocoder.n_heads=2",
            "vocoder.ffn_dim=64",
            "vocoder.n_blocks=1",
            "n_valid=2",
            f"trainer.max_steps={steps}",
            "trainer.val_check_interval=4",
            "trainer.log_every_n_steps=1",
            "trainer.checkpoint_every_n_steps=4",
            "trainer.enable_progress_bar=false",
            "optim.warmup_steps=2",
            *extra,
        ],
    )


@pytest.fixture(scope="module")
def trained(audio_data) -> Path:
    exp = audio_data["tmp"] / "exp_one"
    train(_cfg(audio_data, exp, 8))
    return exp


def test_training_logs_dev_audio_metrics_and_exports(trained, audio_data) -> None:
    rows = metrics_rows(trained)
    keys = set().union(*(r.keys() for r in rows))
    for task in ("SE", "TTS"):
        for k in ("loss", "pesq", "stoi", "pesq_first", "stoi_first"):
            assert f"val/{task}/{k}" in keys, (task, k, sorted(keys))
    first = next(float(r["val/SE/pesq_first"]) for r in rows if r.get("val/SE/pesq_first"))
    assert 1.0 <= first <= 4.7  # a PESQ value, computed against the clean reference
    assert (trained / "curves.png").is_file()
    meta = json.loads((trained / "vocoder/vocoder.json").read_text())
    assert meta["codec"] == str(audio_data["codec"].resolve())
    # conditions resolved from the tokenizer and the frontend (dim 0 in the recipe)
    dims = {c["name"]: c["dim"] for c in meta["vocoder"]["conditions"]}
    assert dims == {"text": 80, "audio": 128}  # the codec latent of the noisy input


def test_loading_with_another_codec_is_refused(trained, audio_data, tmp_path) -> None:
    """A codec dir retrained in place (or the wrong --codec) would decode the vocoder's outputs
    into noise silently: the vocoder's own copy of the codebooks gives it away."""
    from laura.models.vocoder import load_vocoder
    from laura.nn.codec import load_codec, save_codec

    same = load_codec(audio_data["codec"])
    assert load_vocoder(trained / "vocoder", codec=same).codec is same
    save_codec(tiny_codec(n_q=4, seed=1), tmp_path / "retrained")  # same shape, other weights
    with pytest.raises(
        ValueError, match=r"exp_one/vocoder: trained with another codec than .*retrained"
    ):
        load_vocoder(trained / "vocoder", codec=tmp_path / "retrained")


def test_codec_stays_out_of_checkpoints_and_exports(trained) -> None:
    from safetensors import safe_open

    ckpt = torch.load(trained / "checkpoints/last.ckpt", map_location="cpu", weights_only=True)
    assert ckpt["state_dict"], "empty checkpoint"
    assert not [k for k in ckpt["state_dict"] if k.startswith("codec.") or "_codec" in k]
    with safe_open(str(trained / "vocoder/model.safetensors"), framework="pt") as f:
        names = list(f.keys())
    assert any(n.startswith("vocoder.body.") for n in names)
    assert "vocoder.codebook" in names and "cmvn.mean" in names
    assert not [n for n in names if n.startswith("codec.")]


def test_reload_gives_the_same_waveform_and_mixed_batches_do_not_leak(trained, audio_data) -> None:
    """An exported vocoder reloads to identical output; a TTS example gives the same waveform
    alone and batched beside an SE example (empty condition segments are masked)."""
    from laura.data.datamodule import open_token_source
    from laura.data.dataset import TaskDataset, collate
    from laura.data.records import load_records
    from laura.data.tasks import get_task
    from laura.models.vocoder import batch_codes, batch_conditions, load_vocoder
    from laura.text.tokenizer import TextTokenizer

    m = load_vocoder(trained / "vocoder")
    again = load_vocoder(trained / "vocoder")
    c = audio_data["corpus"]
    items = []
    for task, d in (("TTS", c / "tts/dev"), ("SE", c / "se/dev")):
        spec = get_task(task)
        recs = load_records(d, require_text=spec.needs_text)
        ds = TaskDataset(
            recs,
            spec,
            TextTokenizer(str(audio_data["bpe"])),
            m.cfg.frontend,
            tokens=open_token_source(spec, [str(d)], "codec_tokens", 4),
            keep_waveforms=True,
        )
        items.append(ds[0])

    def run(module, its):
        b = collate(its)
        codes, lens = batch_codes(b, 4)
        cond = batch_conditions(b, module.cfg.vocoder.conditions, module.cmvn, module.codec)
        return module.synthesize(codes[:, 0], lens, cond), cond

    alone, cond_alone = run(m, items[:1])
    both, cond_both = run(m, items)
    assert int(cond_both["audio"][1][0]) == 0 and int(cond_both["audio"][1][1]) > 0
    assert int(cond_both["text"][1][1]) == 0 and int(cond_both["text"][1][0]) > 0
    torch.testing.assert_close(alone[0], both[0], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(run(again, items[:1])[0][0], alone[0])
    hop = m.codec.hop_length
    assert alone[0].shape[0] == items[0]["codes"].shape[1] * hop


def test_multi_step_baseline_trains_and_exports(audio_data) -> None:
    exp = audio_data["tmp"] / "exp_multi"
    train(_cfg(audio_data, exp, 4, "vocoder.kind=multi_step", "token_noise=0.0"))
    keys = set().union(*(r.keys() for r in metrics_rows(exp)))
    assert {"train/ce", "train/acc", "val/SE/pesq", "val/TTS/pesq"} <= keys
    from laura.models.vocoder import load_vocoder

    m = load_vocoder(exp / "vocoder")
    assert m.cfg.vocoder.kind == "multi_step"
    assert m.vocoder.codebooks.shape == (4, 16, 128)


def test_vocoder_eval_writes_scores_wavs_and_pictures(
    trained, audio_data, tmp_path, capsys
) -> None:
    from laura.cli import main

    c = audio_data["corpus"]
    out = tmp_path / "eval"
    argv = ["vocoder-eval", "--vocoder", str(trained / "vocoder"), "--data", str(c / "se/dev")]
    argv += ["--task", "SE", "--out-dir", str(out), "--pictures", "1", "--skip-done"]
    assert main(argv) == 0
    res = json.loads((out / "scores.json").read_text())
    assert set(res["systems"]) == {"vocoder", "first_group", "codec_all", "input"}
    assert res["n_utts"] > 0 and res["rtf"] > 0 and res["by_snr"]
    assert len(list((out / "png").glob("*.png"))) == 1
    assert len(list((out / "wav").glob("*.wav"))) == 4
    # a re-run keeps it (and shows it); other options are another evaluation
    first = (out / "scores.json").read_bytes()
    capsys.readouterr()
    assert main(argv) == 0
    shown = capsys.readouterr().out
    assert "evaluated before with the same vocoder, data and options (skipped)" in shown
    assert "| first_group |" in shown and (out / "scores.json").read_bytes() == first
    assert main([*argv, "--max-utts", "1"]) == 2  # stale: refused without --overwrite
    assert main([*argv, "--max-utts", "1", "--overwrite"]) == 0
    assert json.loads((out / "scores.json").read_text())["n_utts"] == 1


def test_vocoder_eval_adds_asr_error_rates_per_system(
    trained, audio_data, tmp_path, monkeypatch
) -> None:
    """--asr-exp transcribes every system's output and the reference with a laura ASR model (here
    a 2-step toy: the rates are not the point, their presence per system and language is)."""
    from laura.cli import main

    c = audio_data["corpus"]
    asr = tmp_path / "asr"
    cfg = load_config(
        ROOT / "recipes/lauragpt-mini.yaml",
        [
            f"data.train=[{c}/asr/train]",
            f"data.valid=[{c}/asr/dev]",
            f"tokenizer.path={audio_data['bpe']}",
            f"exp_dir={asr}",
            "encoder_init=null",
            "trainer.max_steps=2",
            "trainer.val_check_interval=2",
            "trainer.enable_progress_bar=false",
            "data.num_workers=0",
            "model.encoder.n_blocks=1",
            "model.encoder.d_model=32",
            "model.encoder.ffn_dim=64",
            "model.encoder.n_heads=2",
            "model.lm.hidden_size=32",
            "model.lm.num_layers=1",
            "model.lm.ffn_dim=64",
            "model.lm.num_heads=2",
            "model.lm.num_kv_heads=2",
            "decode.text.max_new_tokens=3",
        ],
    )
    train(cfg)
    out = tmp_path / "eval"
    monkeypatch.chdir(tmp_path)  # a relative --out-dir, as recipes pass it
    assert (
        main(
            [
                "vocoder-eval",
                "--vocoder",
                str(trained / "vocoder"),
                "--data",
                str(c / "se/dev"),
                "--task",
                "SE",
                "--out-dir",
                "eval",
                "--pictures",
                "0",
                "--max-utts",
                "3",
                "--asr-exp",
                str(asr),
            ]
        )
        == 0
    )
    res = json.loads((out / "scores.json").read_text())
    assert res["asr"]["exp"] == str(asr)
    for system in ("vocoder", "first_group", "codec_all", "input", "reference"):
        assert set(res["asr"][system]) == {"en WER"}, res["asr"]
        assert res["asr"][system]["en WER"] >= 0
        assert len(list((out / "asr/wav" / system).glob("*.wav"))) == 3


@pytest.mark.parametrize(
    "extra, message",
    [
        (("data.token_groups=2",), "data.token_groups 2 < vocoder.n_q 4"),
        (("codec=''",), "needs codec="),
        (("vocoder.conditions.1.dim=7",), "dim 7 != the codec.s latent size 128"),
    ],
)
def test_config_errors_name_the_problem(audio_data, tmp_path, extra, message) -> None:
    with pytest.raises(ValueError, match=message):
        train(_cfg(audio_data, tmp_path / "exp", 2, *extra))


def test_text_output_task_is_refused(audio_data, tmp_path) -> None:
    c = audio_data["corpus"]
    cfg = _cfg(
        audio_data,
        tmp_path / "exp",
        2,
        "data.sources.1.task=ASR",
        f"data.sources.1.train=[{c}/asr/train]",
        "data.sources.1.valid=[]",
    )
    with pytest.raises(ValueError, match="audio-output tasks"):
        train(cfg)


def test_too_few_groups_in_the_cache_is_reported(audio_data, tmp_path) -> None:
    """A cache filled with fewer groups than the vocoder sums fails before training, by path."""
    from laura.data.codec_tokens import extract_tokens

    c = audio_data["corpus"]
    extract_tokens(audio_data["codec"], c / "se/train", field="clean", n_q=2, token_dir="tok2")
    cfg = _cfg(audio_data, tmp_path / "exp", 2, "data.token_dir=tok2", "data.tasks=[SE]")
    with pytest.raises(Exception, match="holds 2 groups, 4 requested"):
        train(cfg)


@pytest.fixture(scope="module")
def audio_lm(audio_data) -> Path:
    """A (barely trained) LauraGPT over SE and TTS with the tiny codec's 16 first-group codes."""
    c, exp = audio_data["corpus"], audio_data["tmp"] / "lm"
    sources = (
        f"[{{task: SE, train: [{c}/se/train], valid: []}}, "
        f"{{task: TTS, train: [{c}/tts/train], valid: []}}]"
    )
    cfg = load_config(
        ROOT / "recipes/lauragpt-mini.yaml",
        [
            f"exp_dir={exp}",
            f"tokenizer.path={audio_data['bpe']}",
            "encoder_init=null",
            f"data.sources={sources}",
            "data.num_workers=0",
            "data.max_seconds=8",
            "data.speed_perturb=[1.0]",
            "model.n_audio_tokens=16",
            "model.encoder.n_blocks=1",
            "model.lm.num_layers=1",
            "trainer.max_steps=2",
            "trainer.enable_progress_bar=false",
            "trainer.log_every_n_steps=1",
        ],
    )
    train(cfg)
    return exp


@pytest.mark.parametrize("task", ["SE", "TTS"])
def test_audio_decoding_stays_within_length_bounds_and_reports_loops(
    audio_lm, trained, audio_data, tmp_path, task
) -> None:
    import soundfile as sf

    from laura.data.kaldi import read_table
    from laura.decode import decode

    data = audio_data["corpus"] / task.lower() / "dev"
    out = tmp_path / "dec"
    info = decode(
        audio_lm,
        data,
        out,
        task=task,
        vocoder=trained / "vocoder",
        overrides=["decode.audio.generation.max_new_tokens=40", "decode.audio.n_pictures=1"],
    )
    per = info["per_utt"]
    assert len(per) == len(read_table(data / "wav.scp")) == info["n_utts"]
    for u in per.values():
        assert 0 < u["max_tokens"] <= 40 and u["tokens"] <= u["max_tokens"]
        assert u["hit_max"] == (u["tokens"] == u["max_tokens"]) or not u["hit_max"]
    assert info["loop_ratio"] == pytest.approx(sum(u["hit_max"] for u in per.values()) / len(per))
    lo = {"SE": 1.45, "TTS": 2.0}[task]  # the minimum length ratio masks the end token early
    assert all(u["tokens"] >= min(1, u["max_tokens"]) for u in per.values()) and lo > 0
    scp = read_table(out / "wav.scp")
    tokens = read_table(out / "tokens")
    hop = 640
    for uid, path in scp.items():
        wav, sr = sf.read(path)
        assert sr == 16000 and len(wav) == max(1, len(tokens[uid].split())) * hop
    assert len(list((out / "png").glob("*.png"))) == 1
    assert json.loads((out / "decode.json").read_text())["task"] == task


def test_per_task_top_k_makes_se_decoding_greedy(audio_lm, trained, audio_data, tmp_path) -> None:
    from laura.data.kaldi import read_table
    from laura.decode import decode

    data = audio_data["corpus"] / "se/dev"

    def run(name: str, *extra: str) -> dict[str, str]:
        base = [
            "decode.audio.generation.max_new_tokens=30",
            "decode.audio.n_pictures=0",
            "decode.audio.generation.repeat_window=0",
        ]
        decode(
            audio_lm,
            data,
            tmp_path / name,
            task="SE",
            vocoder=trained / "vocoder",
            overrides=base + list(extra),
        )
        return read_table(tmp_path / name / "tokens")

    greedy = ["decode.audio.top_k_by_task={SE: 1}"]
    assert run("g0", *greedy, "decode.audio.seed=0") == run("g1", *greedy, "decode.audio.seed=1")
    assert run("s0", "decode.audio.seed=0") != run("s1", "decode.audio.seed=1")  # top-k 25


def test_posterior_mean_decoding_feeds_the_vocoder_code_probabilities(
    audio_lm, trained, audio_data, tmp_path
) -> None:
    import soundfile as sf

    from laura.data.kaldi import read_table
    from laura.decode import decode

    data = audio_data["corpus"] / "se/dev"
    base = [
        "decode.audio.generation.max_new_tokens=30",
        "decode.audio.n_pictures=0",
        "decode.audio.top_k_by_task={SE: 1}",
    ]

    def run(name: str, *extra: str) -> dict:
        return decode(
            audio_lm,
            data,
            tmp_path / name,
            task="SE",
            vocoder=trained / "vocoder",
            overrides=base + list(extra),
        )

    hard, soft = run("hard"), run("soft", "decode.audio.posterior_mean_tasks=[SE]")
    assert (hard["vocoder_input"], soft["vocoder_input"]) == ("codes", "posterior_mean")
    # The LM picks the same codes; only what the vocoder reads changes. The 2-step LM is unsure
    # everywhere, so its posterior mean is far from the chosen codes' embeddings.
    assert read_table(tmp_path / "hard/tokens") == read_table(tmp_path / "soft/tokens")
    differ = 0
    for uid, path in read_table(tmp_path / "hard/wav.scp").items():
        a, b = sf.read(path)[0], sf.read(read_table(tmp_path / "soft/wav.scp")[uid])[0]
        assert a.shape == b.shape
        differ += not np.allclose(a, b, atol=1e-3)
    assert differ > 0

    with pytest.raises(ValueError, match=r"posterior_mean_tasks: \['ENH'\] are not among"):
        run("bad", "decode.audio.posterior_mean_tasks=[ENH]")
    with pytest.raises(ValueError, match=r"top_k_by_task: \['se'\] are not among"):
        run("bad2", "decode.audio.top_k_by_task={se: 1}")
    multi = audio_data["tmp"] / "exp_multi"
    if not (multi / "vocoder").is_dir():
        train(_cfg(audio_data, multi, 4, "vocoder.kind=multi_step", "token_noise=0.0"))
    with pytest.raises(ValueError, match="only the one-step vocoder takes code probabilities"):
        decode(
            audio_lm,
            data,
            tmp_path / "m",
            task="SE",
            vocoder=multi / "vocoder",
            overrides=base + ["decode.audio.posterior_mean_tasks=[SE]"],
        )


def test_audio_decoding_needs_a_vocoder(audio_lm, audio_data, tmp_path) -> None:
    from laura.decode import decode

    with pytest.raises(ValueError, match="--vocoder"):
        decode(audio_lm, audio_data["corpus"] / "se/dev", tmp_path / "d", task="SE")
    with pytest.raises(ValueError, match="choose one with --task"):
        decode(audio_lm, audio_data["corpus"] / "se/dev", tmp_path / "d")


@pytest.mark.slow
def test_vocoder_beats_the_first_group_alone_after_bounded_training(audio_data, tmp_path) -> None:
    """Issue 5's acceptance test: fed with ground-truth first-group tokens, the one-step vocoder
    (trained a few minutes on the CPU with the shipped mini codec) decodes clearly better audio
    than the codec decoding the first group alone. Scored on the SE utterances it trained on:
    the held-out test split is the recipe's job (egs/mini/se_tts/RESULTS.md)."""
    from laura.data.codec_tokens import extract_tokens
    from laura.evaluation import evaluate_vocoder

    codec = ROOT / "egs/mini/se_tts/shipped/codec"
    se = audio_data["corpus"] / "se/train"
    extract_tokens(codec, se, field="clean", n_q=32, token_dir="tok_shipped")
    exp = tmp_path / "exp"
    cfg = _cfg(
        audio_data,
        exp,
        800,  # 500 left the gap at the margin on another CPU (docs/reproducibility.md)
        f"codec={codec}",
        "data.token_dir=tok_shipped",
        "data.token_groups=32",
        "data.tasks=[SE]",
        "data.max_seconds=60",
        "data.sources.0.valid=[]",
        "vocoder.n_q=32",
        "vocoder.codebook_size=1024",
        "vocoder.d_model=128",
        "vocoder.n_heads=4",
        "vocoder.ffn_dim=256",
        "vocoder.n_blocks=2",
        "vocoder.dropout=0.0",
        "token_noise=0.0",
        "optim.lr=2e-3",
        "optim.warmup_steps=20",
        "trainer.val_check_interval=1000",
    )
    train(cfg)
    res = evaluate_vocoder(exp / "vocoder", se, "SE", token_dir="tok_shipped", max_utts=8)
    s = res["systems"]
    print(s)
    assert s["vocoder"]["pesq"] > s["first_group"]["pesq"] + 0.1, s
    assert s["vocoder"]["stoi"] > s["first_group"]["stoi"], s
