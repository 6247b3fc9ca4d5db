"""Front end: fbank, LFR, global CMVN (JSON and am.mvn), SpecAugment."""

import math

import numpy as np
import pytest
import torch

from laura.nn.frontend import (
    FrontendConfig,
    GlobalCMVN,
    SpecAugConfig,
    SpecAugment,
    WavFrontend,
    accumulate_cmvn_stats,
    apply_lfr,
    fbank,
    num_fbank_frames,
)


def _tone(seconds: float, seed: int = 0, sr: int = 16000) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(int(seconds * sr)) / sr
    f0 = 120.0 + 40.0 * seed
    wav = sum(0.2 / k * torch.sin(2 * math.pi * k * f0 * t) for k in range(1, 6))
    return (wav + 0.01 * torch.randn(t.shape, generator=g)).float()


def _lfr_reference(feats: torch.Tensor, m: int, n: int) -> torch.Tensor:
    """Straightforward loop version of FunASR's LFR, written independently of apply_lfr."""
    t = feats.shape[0]
    left = (m - 1) // 2
    padded = torch.cat([feats[:1].repeat(left, 1), feats])
    rows = []
    for i in range(math.ceil(t / n)):
        window = list(padded[i * n : i * n + m])
        while len(window) < m:  # past the end: repeat the last frame
            window.append(padded[-1])
        rows.append(torch.cat(window))
    return torch.stack(rows)


# -- fbank ------------------------------------------------------------------------------------


def test_fbank_shape_one_second():
    cfg = FrontendConfig()
    feats = fbank(_tone(1.0), cfg, train=False)
    assert feats.shape == (98, 80)
    assert num_fbank_frames(16000, cfg) == 98
    assert torch.isfinite(feats).all()


def test_fbank_eval_is_deterministic_train_dithers():
    cfg = FrontendConfig(dither=1.0)
    wav = _tone(0.5)
    a, b = fbank(wav, cfg, train=False), fbank(wav, cfg, train=False)
    assert torch.equal(a, b)
    c, d = fbank(wav, cfg, train=True), fbank(wav, cfg, train=True)
    assert not torch.equal(c, d)
    assert not torch.equal(a, c)


def test_fbank_too_short_gives_no_frames():
    cfg = FrontendConfig()
    assert fbank(torch.zeros(100), cfg).shape == (0, 80)
    assert WavFrontend(cfg)(torch.zeros(100)).shape == (0, 560)


# -- LFR --------------------------------------------------------------------------------------


def test_lfr_ramp_exact_stacking():
    # Frame t holds [t, 100 + t], so every output value names the frame it came from.
    t = 20
    feats = torch.stack([torch.arange(t), 100 + torch.arange(t)], dim=1).float()
    out = apply_lfr(feats, m=7, n=6)
    assert out.shape == (math.ceil(t / 6), 14)
    frames = out.view(out.shape[0], 7, 2)[..., 0]  # source frame index per stacked slot
    assert frames[0].tolist() == [0, 0, 0, 0, 1, 2, 3]  # 3 copies of frame 0 on the left
    assert frames[1].tolist() == [3, 4, 5, 6, 7, 8, 9]
    assert frames[2].tolist() == [9, 10, 11, 12, 13, 14, 15]
    assert frames[3].tolist() == [15, 16, 17, 18, 19, 19, 19]  # last frame repeated
    assert torch.equal(out.view(-1, 7, 2)[..., 1], frames + 100)


@pytest.mark.parametrize("m,n", [(7, 6), (5, 3), (1, 1), (4, 2)])
def test_lfr_matches_reference_for_many_lengths(m, n):
    g = torch.Generator().manual_seed(1)
    for t in range(1, 40):
        feats = torch.randn(t, 3, generator=g)
        out = apply_lfr(feats, m, n)
        assert out.shape == (math.ceil(t / n), 3 * m)
        assert torch.equal(out, _lfr_reference(feats, m, n)), (t, m, n)


def test_wav_frontend_shape_and_numpy_input():
    fe = WavFrontend()
    wav = _tone(1.0)
    feats = fe(wav)
    assert feats.shape == (math.ceil(98 / 6), 560) == (17, 560)
    assert fe.num_frames(16000) == 17
    assert fe.feat_dim == 560
    assert torch.equal(fe(wav.numpy().astype(np.float64)), feats)


# -- CMVN -------------------------------------------------------------------------------------


def _feature_list() -> list[torch.Tensor]:
    fe = WavFrontend()
    return [fe(_tone(s, seed=i)) for i, s in enumerate([0.7, 1.3, 2.1])]


def test_cmvn_from_stats_normalises_training_features():
    feats = _feature_list()
    s, s2, n = accumulate_cmvn_stats(feats)
    allf = torch.cat(feats).double()
    assert n == allf.shape[0]
    torch.testing.assert_close(s, allf.sum(0))
    torch.testing.assert_close(s2, (allf**2).sum(0))

    cmvn = GlobalCMVN.from_stats(s, s2, n)
    y = cmvn(torch.cat(feats)).double()
    assert y.mean(0).abs().max() < 1e-3
    assert (y.std(0, unbiased=False) - 1).abs().max() < 1e-3
    # Identity before stats are loaded.
    x = torch.randn(4, 560)
    assert torch.equal(GlobalCMVN(560)(x), x)


def test_cmvn_zeroes_padding_when_lengths_given():
    cmvn = GlobalCMVN.from_mean_istd(torch.full((3,), 2.0), torch.full((3,), 0.5))
    x = torch.ones(2, 4, 3)
    y = cmvn(x, lengths=torch.tensor([4, 2]))
    assert torch.allclose(y[0], torch.full((4, 3), -0.5))
    assert torch.equal(y[1, 2:], torch.zeros(2, 3))


def test_cmvn_json_round_trip(tmp_path):
    g = torch.Generator().manual_seed(0)
    cmvn = GlobalCMVN.from_mean_istd(torch.randn(560, generator=g), torch.rand(560, generator=g))
    cmvn.save(tmp_path / "cmvn.json")
    text = (tmp_path / "cmvn.json").read_text()
    assert '"mean"' in text and '"istd"' in text
    back = GlobalCMVN.load(tmp_path / "cmvn.json")
    assert torch.equal(back.mean, cmvn.mean) and torch.equal(back.istd, cmvn.istd)


def test_am_mvn_round_trip_and_format(tmp_path):
    g = torch.Generator().manual_seed(0)
    cmvn = GlobalCMVN.from_mean_istd(
        torch.randn(560, generator=g) * 5, torch.rand(560, generator=g) + 0.1
    )
    path = tmp_path / "am.mvn"
    cmvn.write_kaldi_am_mvn(path)
    lines = path.read_text().splitlines()
    assert lines[0] == "<Nnet>" and lines[-1] == "</Nnet>"
    assert lines[3] == "<AddShift> 560 560" and lines[5] == "<Rescale> 560 560"
    # AddShift stores -mean.
    assert float(lines[4].split()[3]) == pytest.approx(-cmvn.mean[0].item())
    back = GlobalCMVN.load_kaldi_am_mvn(path)
    assert torch.equal(back.mean, cmvn.mean) and torch.equal(back.istd, cmvn.istd)


def test_am_mvn_reads_funasr_style_file(tmp_path):
    path = tmp_path / "am.mvn"
    path.write_text(
        "<Nnet>\n<Splice> 3 3\n[ 0 ]\n<AddShift> 3 3\n"
        "<LearnRateCoef> 0 [ -8.5 -9.25 1.5 ]\n<Rescale> 3 3\n"
        "<LearnRateCoef> 0 [ 0.25 0.5 2 ]\n</Nnet>\n"
    )
    cmvn = GlobalCMVN.load_kaldi_am_mvn(path)
    assert cmvn.mean.tolist() == [8.5, 9.25, -1.5]
    assert cmvn.istd.tolist() == [0.25, 0.5, 2.0]
    y = cmvn(torch.tensor([[8.5, 10.25, 0.5]]))
    assert y.tolist() == [[0.0, 0.5, 4.0]]  # (x + shift) * scale


# -- SpecAugment ------------------------------------------------------------------------------


def test_specaug_eval_is_identity():
    aug = SpecAugment().eval()
    x = torch.randn(2, 30, 560)
    assert torch.equal(aug(x, torch.tensor([30, 20])), x)


def test_specaug_masks_only_valid_region():
    torch.manual_seed(0)
    aug = SpecAugment(SpecAugConfig()).train()
    b, t, d = 6, 50, 560
    lengths = torch.tensor([50, 45, 30, 20, 12, 3])
    x = torch.rand(b, t, d) + 1.0  # no natural zeros
    for i, n in enumerate(lengths):
        x[i, n:] = 7.0  # sentinel padding
    masked_any = False
    for _ in range(20):
        y = aug(x.clone(), lengths)
        assert y.shape == x.shape
        for i, n in enumerate(lengths.tolist()):
            assert torch.equal(y[i, n:], x[i, n:])  # padding untouched
            z = y[i, :n] == 0.0
            assert torch.equal(y[i, :n][~z], x[i, :n][~z])  # the rest unchanged
            masked_any |= bool(z.any())
            # Frequency masks hit the same mel bands in all 7 stacked frames.
            full_cols = z.all(0).view(7, 80)
            assert (full_cols == full_cols[0]).all()
            assert full_cols[0].sum() <= 2 * 30 or n <= 2 * 12
            # Time masks: at most 2 x 12 fully masked frames (freq masks never cover a row).
            assert z.all(1).sum() <= 24
    assert masked_any


def test_specaug_time_masks_respect_length():
    torch.manual_seed(1)
    cfg = SpecAugConfig(num_freq_masks=0, time_mask_width=12, num_time_masks=2)
    aug = SpecAugment(cfg).train()
    lengths = torch.tensor([40, 5])
    x = torch.ones(2, 40, 560)
    hits = torch.zeros(2, 40)
    for _ in range(200):
        y = aug(x, lengths)
        rows = (y == 0).all(-1)
        assert torch.equal((y == 0).any(-1), rows)  # whole frames only
        hits += rows
    assert hits[1, 5:].sum() == 0 and hits[1, :5].sum() > 0
    assert (hits[0] > 0).all()  # every valid frame can be masked
