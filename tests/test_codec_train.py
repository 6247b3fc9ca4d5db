"""`laura train` with kind=codec (the GAN CodecModule), resume, token extraction, codec-eval."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf
import torch
from conftest import metrics_rows

from laura.models.kinds import load_config
from laura.train import train

ROOT = Path(__file__).resolve().parents[1]


def _cfg(data: Path, exp: Path, steps: int, adversarial: float = 0.1, *extra: str):
    return load_config(
        ROOT / "recipes/codec-mini.yaml",
        [
            f"exp_dir={exp}",
            f"data.train=[{data}]",
            f"data.valid=[{data}]",
            "data.segment_seconds=0.5",
            "data.batch_size=3",
            "data.num_workers=0",
            "data.n_valid=2",
            "codec.hidden=32",
            "codec.encoder_blocks=1",
            "codec.decoder_blocks=1",
            "codec.n_q=4",
            "codec.codebook_size=16",
            "codec.kmeans_iters=3",
            "codec.quantizer_dropout=[1,2,4]",
            f"loss.adversarial={adversarial}",
            "loss.disc_filters=4",
            "loss.disc_start_step=3",
            "eval_n_q=[1,4]",
            f"trainer.max_steps={steps}",
            "trainer.val_check_interval=4",
            "trainer.log_every_n_steps=1",
            "trainer.checkpoint_every_n_steps=4",
            "trainer.enable_progress_bar=false",
            *extra,
        ],
    )


@pytest.fixture(scope="module")
def trained(tiny_asr_dir, tmp_path_factory) -> Path:
    exp = tmp_path_factory.mktemp("codec_exp")
    train(_cfg(tiny_asr_dir, exp, steps=8))
    return exp


def test_gan_training_logs_dev_metrics_and_exports_a_codec(trained) -> None:
    from laura.nn.codec import load_codec

    rows = metrics_rows(trained)
    keys = set().union(*(r.keys() for r in rows))
    for k in (
        "val/pesq_q1",
        "val/stoi_q4",
        "val/mel_q4",
        "train/d_loss",
        "train/adv",
        "train/feat",
        "train/mel",
    ):
        assert k in keys, k
    # The generator used the adversarial terms only from batch 3 on; the discriminator trained
    # throughout.
    adv_steps = [int(r["step"]) for r in rows if r.get("train/adv")]
    d_steps = [int(r["step"]) for r in rows if r.get("train/d_loss")]
    assert adv_steps and d_steps and min(d_steps) < min(adv_steps)
    meta = json.loads((trained / "codec" / "codec.json").read_text())
    assert meta["trained_steps"] == 8  # batches, although Lightning counted 16 optimizer steps
    codec = load_codec(trained / "codec")
    tokens, _ = codec.encode(torch.randn(1, 8000) * 0.1)
    assert tokens.shape == (1, 4, 13)


def test_rerun_with_a_larger_budget_resumes(trained, tiny_asr_dir) -> None:
    train(_cfg(tiny_asr_dir, trained, steps=12))
    assert json.loads((trained / "codec" / "codec.json").read_text())["trained_steps"] == 12
    assert len(list((trained / "logs").glob("version_*"))) == 2


def test_token_extraction_fills_the_cache_the_data_layer_reads(
    trained, tiny_asr_dir, tmp_path
) -> None:
    import shutil

    from laura.data.codec_tokens import extract_tokens
    from laura.data.token_cache import TokenCache
    from laura.nn.codec import load_codec

    data = tmp_path / "data"
    shutil.copytree(tiny_asr_dir, data)
    out = extract_tokens(trained / "codec", data, n_q=4)
    assert out == data / "codec_tokens" / "audio"
    cache = TokenCache(out)
    codec = load_codec(trained / "codec")
    first = (data / "wav.scp").read_text().split("\n")[0].split()
    wav = torch.from_numpy(sf.read(first[1], dtype="float32")[0])[None]
    assert torch.equal(cache[first[0]], codec.encode(wav)[0][0])
    assert len(cache) == 6 and TokenCache(out, n_q=1)[first[0]].shape[0] == 1
    mtime = (out / "shard-00000.safetensors").stat().st_mtime_ns
    extract_tokens(trained / "codec", data, n_q=4)  # complete: nothing re-encoded
    assert (out / "shard-00000.safetensors").stat().st_mtime_ns == mtime
    with pytest.raises(ValueError, match="--n-q 5"):
        extract_tokens(trained / "codec", data, n_q=5)


def test_codec_eval_cli_prints_the_table(trained, tiny_asr_dir, tmp_path) -> None:
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "laura.cli",
            "codec-eval",
            "--codec",
            str(trained / "codec"),
            "--data",
            str(tiny_asr_dir),
            "--n-q",
            "1,4",
            "--out",
            str(tmp_path / "e.json"),
        ],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    assert "| quantizers | PESQ-wb | STOI |" in res.stdout
    result = json.loads((tmp_path / "e.json").read_text())
    assert set(result["by_n_q"]) == {"1", "4"} and result["n_utts"] == 6
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "laura.cli",
            "codec-eval",
            "--codec",
            str(tmp_path),
            "--data",
            str(tiny_asr_dir),
        ],
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0 and "neither a laura codec dir" in bad.stderr


def test_decoder_only_harmonic_fine_tune_keeps_the_tokens(trained, tiny_asr_dir, tmp_path) -> None:
    """freeze_encoder + codec.harmonic from a trained codec: same tokens and codebooks, a changed
    decoder with an F0 head that is trained."""
    from laura.data.codec_tokens import read_for_codec as _read
    from laura.data.records import load_records
    from laura.nn.codec import load_codec

    base = load_codec(trained / "codec")
    cfg = _cfg(
        tiny_asr_dir,
        tmp_path / "harm",
        8,
        0.0,
        f"init_from={trained / 'codec'}",
        "freeze_encoder=true",
        "codec.harmonic=true",
    )
    wav = _read(str(load_records(tiny_asr_dir, require_text=False)[0]["audio"]), None, None, 16000)
    tokens, _ = base.encode(wav[None])

    train(cfg)
    tuned = load_codec(tmp_path / "harm" / "codec")
    assert tuned.cfg.harmonic
    assert torch.equal(tuned.encode(wav[None])[0], tokens)
    for a, b in zip(tuned.quantizer.codebooks, base.quantizer.codebooks):
        assert torch.equal(a.embed, b.embed)
    assert not torch.equal(tuned.decoder.head.weight, base.decoder.head.weight)
    # The F0 loss is trained and logged every step. (Whether it falls within these 8 steps is
    # within its step-to-step noise, 0.49-0.64 here: not asserted.)
    f0 = [float(r["train/f0_l1"]) for r in metrics_rows(tmp_path / "harm") if r.get("train/f0_l1")]
    assert len(f0) >= 6 and all(0 < x < 10 for x in f0), f0


def test_init_from_a_different_architecture_is_refused(trained, tiny_asr_dir, tmp_path) -> None:
    cfg = _cfg(
        tiny_asr_dir, tmp_path / "bad", 2, 0.0, f"init_from={trained / 'codec'}", "codec.hidden=48"
    )
    with pytest.raises(ValueError, match="does not match the codec config"):
        train(cfg)


def test_explicit_f0_codec_starts_from_a_harmonic_one(tiny_asr_dir, tmp_path) -> None:
    """harmonic -> explicit_f0: the F0 estimator is dropped, the harmonic-plus-noise head starts
    at its init, everything else is loaded; no F0 loss (the F0 is YIN itself)."""
    from laura.nn.codec import Codec, load_codec, save_codec

    cfg = _cfg(tiny_asr_dir, tmp_path / "hnm", 2, 0.0, "codec.harmonic=true")
    source = Codec(cfg.codec)
    save_codec(source, tmp_path / "harmonic")
    cfg = _cfg(
        tiny_asr_dir,
        tmp_path / "hnm",
        2,
        0.0,
        f"init_from={tmp_path / 'harmonic'}",
        "codec.harmonic=true",
        "codec.explicit_f0=true",
        "optim.lr=1e-12",
    )
    train(cfg)
    tuned = load_codec(tmp_path / "hnm" / "codec")
    assert tuned.cfg.explicit_f0 and not hasattr(tuned.decoder, "harm_head")
    assert torch.allclose(tuned.encoder.proj_in.weight, source.encoder.proj_in.weight, atol=1e-6)
    assert not any(r.get("train/f0_l1") for r in metrics_rows(tmp_path / "hnm"))


def test_resumed_codec_training_ends_bitwise_where_an_uninterrupted_one_does(
    tiny_asr_dir, tmp_path
) -> None:
    """The GAN codec (two optimisers, manual optimisation, random crops, quantizer dropout)
    stopped after 4 batches and resumed to 10 (over epoch boundaries: 6 utterances, 3 per batch)
    equals a 10-batch run, tensor for tensor."""
    from laura.nn.codec import load_codec

    # (a constant learning rate: a cosine schedule is laid out over max_steps, so a run given a
    # larger budget on resume follows another schedule by design)
    const = ("optim.schedule=constant", "optim.warmup_steps=0")
    train(_cfg(tiny_asr_dir, tmp_path / "plain", 10, 0.1, *const))
    train(_cfg(tiny_asr_dir, tmp_path / "cut", 4, 0.1, *const))
    train(_cfg(tiny_asr_dir, tmp_path / "cut", 10, 0.1, *const))
    a = load_codec(tmp_path / "plain/codec").state_dict()
    b = load_codec(tmp_path / "cut/codec").state_dict()
    assert a.keys() == b.keys() and len(a) > 10
    assert [k for k in a if not torch.equal(a[k], b[k])] == []
