"""The codec: token shapes and lengths, the RMS scale, the quantizer, learning, save/load."""

from __future__ import annotations

import json
import random

import pytest
import soundfile as sf
import torch
import torch.nn.functional as F

from laura.nn.codec import Codec, CodecConfig, load_codec, save_codec
from laura.nn.codec.losses import MultiScaleSpectralLoss
from laura.nn.codec.quantizer import Codebook, ResidualVectorQuantizer

TINY = dict(hidden=48, encoder_blocks=1, decoder_blocks=1, codebook_size=32, kmeans_iters=5)
TINY_SEANET = dict(kind="seanet", n_filters=2, lstm_layers=1, codebook_size=32, kmeans_iters=5)


def _wav(n: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(n) / 16000
    return (0.2 * torch.sin(2 * torch.pi * 220 * t) + 0.05 * torch.randn(n, generator=g))[None]


def _warm(codec: Codec, wav: torch.Tensor) -> Codec:
    """One training pass initialises the codebooks (k-means), then eval mode."""
    codec.train()
    with torch.no_grad():
        codec(wav)
    return codec.eval()


@pytest.mark.parametrize("kind", ["seanet", "freq"])
def test_one_second_is_25_frames_and_decode_keeps_the_length(kind: str) -> None:
    torch.manual_seed(0)
    cfg = CodecConfig(**(TINY_SEANET if kind == "seanet" else dict(TINY, kind="freq")))
    codec = _warm(Codec(cfg), _wav(32000))
    assert cfg.frame_rate == 25.0 and codec.hop_length == 640
    for n, frames in ((16000, 25), (16001, 26), (15999, 25), (640, 1), (40960, 64)):
        tokens, scale = codec.encode(_wav(n))
        assert tokens.shape == (1, 32, frames), (n, tokens.shape)
        assert tokens.dtype == torch.long and 0 <= int(tokens.min()) and int(tokens.max()) < 32
        assert codec.decode(tokens, scale, length=n).shape == (1, n)
        assert codec.decode(tokens).shape == (1, frames * 640)  # untrimmed: whole frames
    tokens, _ = codec.encode(_wav(16000), n_q=8)
    assert tokens.shape == (1, 8, 25)
    with pytest.raises(ValueError, match="n_q=33"):
        codec.encode(_wav(16000), n_q=33)


def test_rms_scale_is_carried_through_decoding() -> None:
    torch.manual_seed(0)
    codec = _warm(Codec(CodecConfig(kind="freq", **TINY)), _wav(32000))
    x = _wav(16000, seed=4)
    t1, s1 = codec.encode(x)
    t2, s2 = codec.encode(10 * x)
    assert torch.equal(t1, t2)  # the tokens do not depend on the level
    assert torch.allclose(s1, x.pow(2).mean().sqrt(), rtol=1e-4)
    assert torch.allclose(s2, 10 * s1, rtol=1e-4)
    y1, y2 = codec.decode(t1, s1), codec.decode(t2, s2)
    assert torch.allclose(y2, 10 * y1, rtol=1e-4, atol=1e-6)
    assert torch.allclose(codec.decode(t1), y1 / s1, rtol=1e-4, atol=1e-6)
    # embed() is the codebook sum the vocoder regresses: decoding it equals decoding the tokens.
    assert torch.allclose(codec.decode_embedding(codec.embed(t1), s1), y1, atol=1e-6)
    summed = sum(codec.codebook(i)[t1[0, i]] for i in range(32))
    assert torch.allclose(codec.embed(t1)[0], summed, atol=1e-5)


def test_codebook_ema_moves_entries_to_the_data_and_restarts_dead_codes() -> None:
    torch.manual_seed(0)
    centers = torch.tensor([[5.0, 5.0], [-5.0, 5.0], [5.0, -5.0], [-5.0, -5.0]])
    data = centers[torch.randint(0, 4, (400,))] + 0.1 * torch.randn(400, 2)
    # k-means init on the first training batch: centroids of the data, much better than chance.
    cb = Codebook(dim=2, size=4, decay=0.5, kmeans_init=True, kmeans_iters=10)
    cb.train()
    cb(data)
    assert bool(cb.inited.item())
    err = (data - cb.decode(cb.encode(data))).pow(2).sum(1).mean()
    assert err < 0.5 * data.pow(2).sum(1).mean()
    # The EMA follows moving data.
    cb = Codebook(dim=2, size=4, decay=0.5, kmeans_init=False, dead_code_threshold=0.5)
    cb.embed.copy_(centers)
    cb.embed_avg.copy_(centers * 100)
    cb.cluster_size.fill_(100)
    cb.train()
    for _ in range(20):
        cb(data + 1.0)
    assert torch.allclose(cb.embed, centers + 1.0, atol=0.1)
    # A code nobody uses is restarted on a data vector, and the restart survives the EMA step
    # (EnCodec's restart is overwritten in the same step).
    cb.embed[0] = torch.tensor([100.0, 100.0])
    cb.embed_avg[0] = cb.embed[0] * cb.cluster_size[0]
    for _ in range(12):
        cb(data + 1.0)
    assert cb.embed.abs().max() < 7


def test_residual_quantizer_prefix_property_and_commitment() -> None:
    torch.manual_seed(0)
    rvq = ResidualVectorQuantizer(
        dim=8, n_q=4, codebook_size=16, kmeans_iters=5, dropout_choices=[1, 2, 4]
    )
    z = torch.randn(3, 50, 8)
    rvq.train()
    seen = set()
    for _ in range(30):
        q, codes, commit = rvq(z)
        seen.add(codes.shape[1])
        assert q.shape == z.shape and commit.item() >= 0
    assert seen == {1, 2, 4}  # structured dropout draws every depth
    rvq.eval()
    codes = rvq.encode(z)
    errs = [(rvq.decode(codes[:, :n]) - z).pow(2).mean().item() for n in (1, 2, 3, 4)]
    assert errs == sorted(errs, reverse=True) and errs[-1] < errs[0]
    with pytest.raises(ValueError, match="codes must lie"):
        rvq.decode(torch.full((1, 2, 3), 16))
    with pytest.raises(ValueError, match=r"outside 1\.\.4"):
        ResidualVectorQuantizer(dim=8, n_q=4, dropout_choices=[8])


def _train(
    codec: Codec,
    clips: list[torch.Tensor],
    steps: int,
    lr: float = 3e-3,
    segment: int | None = 8000,
) -> list[float]:
    spec = MultiScaleSpectralLoss(power_spec=False)
    opt = torch.optim.Adam(codec.parameters(), lr=lr, betas=(0.8, 0.99))
    g = torch.Generator().manual_seed(0)
    losses = []
    codec.train()
    for _ in range(steps):
        batch = []
        for clip in clips:
            if segment is None:
                batch.append(clip[0])
                continue
            start = int(torch.randint(0, clip.shape[-1] - segment, (), generator=g))
            batch.append(clip[0, start : start + segment])
        out = codec(torch.stack(batch))
        loss = (
            F.l1_loss(out["recon"], out["input"])
            + spec(out["input"], out["recon"])["mel"]
            + out["commit_loss"]
        )
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(codec.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.fixture(scope="module")
def speech(tiny_asr_dir) -> list[torch.Tensor]:
    rows = (tiny_asr_dir / "wav.scp").read_text().split("\n")
    return [torch.from_numpy(sf.read(r.split()[1], dtype="float32")[0])[None] for r in rows if r]


@pytest.fixture(scope="module")
def trained(speech) -> tuple[Codec, list[float]]:
    torch.manual_seed(0)
    random.seed(0)  # the structured-dropout depth of each batch
    codec = Codec(
        CodecConfig(
            kind="freq",
            hidden=64,
            encoder_blocks=2,
            decoder_blocks=2,
            n_q=8,
            codebook_size=64,
            kmeans_iters=5,
            quantizer_dropout=[1, 2, 4, 8],
        )
    )
    losses = _train(codec, speech[:5], steps=300)
    return codec.eval(), losses


def test_reconstruction_improves_with_more_quantizers(trained, speech) -> None:
    codec, losses = trained
    assert sum(losses[-10:]) < 0.7 * sum(losses[:10])  # it learned
    held_out = speech[5]
    tokens, scale = codec.encode(held_out)
    errs = []
    for n in (1, 2, 4, 8):
        y = codec.decode(tokens[:, :n], scale, length=held_out.shape[-1])
        errs.append(MultiScaleSpectralLoss(power_spec=False)(held_out, y)["mel"].item())
    # Margins from the spread over seeds 0-5 on AVX2 and AVX-512 kernels (12 trainings; mel L1
    # 0.66-0.76): 1 -> 2 quantizers falls by >= 0.014, 1 -> 4 and 1 -> 8 by >= 0.025. After 300
    # steps 4 vs 8 is within +-0.007 either way, so the test does not order them.
    assert errs[0] - errs[1] > 0.005, errs
    assert errs[0] - errs[2] > 0.01 and errs[0] - errs[3] > 0.01, errs
    # Structured dropout trained every depth: each codebook moved and is used.
    for i in range(8):
        cb = codec.quantizer.codebooks[i]
        assert int((cb.cluster_size > 0.5).sum()) >= 8, i


def test_overfitting_one_utterance_raises_pesq(speech) -> None:
    from laura.metrics.audio import pesq_wb

    torch.manual_seed(0)
    clip = speech[0]
    codec = Codec(
        CodecConfig(
            kind="freq",
            hidden=64,
            encoder_blocks=2,
            decoder_blocks=2,
            n_q=8,
            codebook_size=64,
            kmeans_iters=5,
            quantizer_dropout=[],
        )
    )

    def score() -> float:
        codec.eval()
        tokens, scale = codec.encode(clip)
        return pesq_wb(clip[0], codec.decode(tokens, scale, length=clip.shape[-1])[0])

    _train(codec, [clip], steps=1, segment=None)
    first = score()
    _train(codec, [clip], steps=250, segment=None)
    last = score()
    assert last > first + 0.3, (first, last)


def test_save_load_round_trip_and_errors(tmp_path) -> None:
    torch.manual_seed(0)
    codec = _warm(Codec(CodecConfig(kind="freq", **TINY)), _wav(16000))
    out = save_codec(codec, tmp_path / "c", {"note": "test"})
    again = load_codec(out)
    x = _wav(16000, 3)
    assert torch.equal(again.encode(x)[0], codec.encode(x)[0])
    assert json.loads((out / "codec.json").read_text())["note"] == "test"
    with pytest.raises(FileNotFoundError, match="model.safetensors"):
        load_codec(tmp_path / "missing")
    meta = json.loads((out / "codec.json").read_text())
    meta["config"]["n_qq"] = 3
    (out / "codec.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="n_qq"):
        load_codec(out)
    with pytest.raises(ValueError, match="codec kind 'wavelet'"):
        Codec(CodecConfig(kind="wavelet"))
