"""Conformer encoder: padding invariance (with the real front end), size, gradients, BatchNorm."""

import math

import pytest
import torch
from torch.nn.utils.rnn import pad_sequence

from laura.nn.conformer import (
    ConformerConfig,
    ConformerEncoder,
    MaskedBatchNorm,
    sinusoidal_positions,
)
from laura.nn.frontend import GlobalCMVN, WavFrontend, accumulate_cmvn_stats
from laura.nn.masks import make_pad_mask


def _small(**kw) -> ConformerConfig:
    base = dict(input_dim=560, d_model=64, n_blocks=3, n_heads=4, ffn_dim=128, conv_kernel=15)
    base.update(kw)
    return ConformerConfig(**base)


def _speechlike(seconds: float, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    sr = 16000
    t = torch.arange(int(seconds * sr)) / sr
    f0 = 100.0 + 30.0 * seed + 20.0 * torch.sin(2 * math.pi * 3 * t)  # vibrato
    phase = 2 * math.pi * torch.cumsum(f0, 0) / sr
    wav = sum(0.3 / k * torch.sin(k * phase) for k in range(1, 8))
    wav = wav * (0.5 + 0.5 * torch.sin(2 * math.pi * 4 * t).abs())  # syllable-like envelope
    return (wav + 0.02 * torch.randn(t.shape, generator=g)).float()


@pytest.fixture(scope="module")
def batch():
    """Three utterances (1.0, 2.3, 3.1 s) through fbank + LFR + CMVN, padded with zeros."""
    fe = WavFrontend()
    feats = [fe(_speechlike(s, i)) for i, s in enumerate([1.0, 2.3, 3.1])]
    cmvn = GlobalCMVN.from_stats(*accumulate_cmvn_stats(feats))
    with torch.no_grad():
        feats = [cmvn(f) for f in feats]
    lengths = torch.tensor([f.shape[0] for f in feats])
    return feats, pad_sequence(feats, batch_first=True), lengths


def _trained_bn_encoder(cfg: ConformerConfig, x: torch.Tensor, lengths: torch.Tensor):
    """A batch-norm encoder whose running stats are not the trivial 0 / 1."""
    enc = ConformerEncoder(cfg).train()
    with torch.no_grad():
        for _ in range(3):
            enc(x, lengths)
    return enc.eval()


@pytest.mark.parametrize("conv_norm", ["layer", "batch"])
def test_padded_batch_equals_each_utterance_alone(batch, conv_norm):
    feats, x, lengths = batch
    assert lengths.tolist() == [17, 38, 52]  # ceil(98/6), ceil(228/6), ceil(308/6)
    torch.manual_seed(0)
    cfg = _small(conv_norm=conv_norm)
    if conv_norm == "batch":
        enc = _trained_bn_encoder(cfg, x, lengths)
    else:
        enc = ConformerEncoder(cfg).eval()
    with torch.no_grad():
        out, out_len = enc(x, lengths)
        assert out.shape == (3, 52, 64) and torch.equal(out_len, lengths)
        for i, f in enumerate(feats):
            n = f.shape[0]
            alone, _ = enc(f.unsqueeze(0), torch.tensor([n]))
            assert (out[i, :n] - alone[0]).abs().max() < 1e-4
            assert torch.equal(out[i, n:], torch.zeros_like(out[i, n:]))  # padded frames are 0

        # Garbage in the padding (even inf / nan) must not change the valid outputs.
        noisy = x.clone()
        noisy[0, 17:] = 1e4 * torch.randn_like(noisy[0, 17:])
        noisy[1, 38:] = float("nan")
        out2, _ = enc(noisy, lengths)
        assert torch.isfinite(out2).all()
        assert (out2 - out).abs().max() < 1e-5

        # The check above can fail: treating padding as valid changes the short utterance.
        leaky, _ = enc(noisy.nan_to_num(0.0), torch.full((3,), 52))
        assert (leaky[0, :17] - out[0, :17]).abs().max() > 1e-2


def test_conv_module_zeroes_padding_before_depthwise_conv():
    """Without zeroing, the depthwise kernel reaches across the boundary into padded frames."""
    torch.manual_seed(0)
    enc = ConformerEncoder(_small()).eval()
    with torch.no_grad():
        # A single block's conv module would leak the padded frames' values without zeroing:
        block = enc.blocks[0]
        h = torch.randn(1, 20, 64)
        pad = make_pad_mask(torch.tensor([12]), 20)
        h2 = h.clone()
        h2[:, 12:] += 3.0
        a = block.conv(h, pad)[:, :12]
        b = block.conv(h2, pad)[:, :12]
        assert (a - b).abs().max() < 1e-6
        c = block.conv(h2, None)[:, :12]  # unmasked: the kernel reaches across the boundary
        assert (a - c).abs().max() > 1e-3


def test_paper_size_on_meta_device():
    cfg = ConformerConfig()  # 32 blocks, d 512, 16 heads, FFN 1536, kernel 15, input 560
    with torch.device("meta"):
        enc = ConformerEncoder(cfg)
    n = sum(p.numel() for p in enc.parameters())
    assert 0.15e9 <= n <= 0.17e9, n
    assert all(p.is_meta for p in enc.parameters())
    # Forward works on meta too (shape inference without memory).
    with torch.device("meta"):
        out, _ = enc(torch.empty(2, 10, 560), torch.tensor([10, 7]))
    assert out.shape == (2, 10, 512)


def test_gradients_flow_to_every_parameter():
    torch.manual_seed(0)
    for conv_norm in ["layer", "batch"]:
        enc = ConformerEncoder(_small(conv_norm=conv_norm, n_blocks=2)).train()
        x = torch.randn(3, 25, 560, requires_grad=True)
        lengths = torch.tensor([25, 18, 9])
        out, _ = enc(x, lengths)
        out.pow(2).sum().backward()
        for name, p in enc.named_parameters():
            assert p.grad is not None and torch.isfinite(p.grad).all(), name
            assert p.grad.abs().sum() > 0, name
        assert x.grad[2, 9:].abs().sum() == 0  # no gradient into padding
        assert x.grad[2, :9].abs().sum() > 0


def test_grad_checkpointing_gives_same_gradients():
    torch.manual_seed(0)
    cfg = _small(n_blocks=2, dropout=0.0)
    enc = ConformerEncoder(cfg).train()
    x, lengths = torch.randn(2, 20, 560), torch.tensor([20, 13])
    enc(x, lengths)[0].sum().backward()
    ref = [p.grad.clone() for p in enc.parameters()]
    enc.zero_grad()
    enc.cfg.grad_checkpointing = True
    enc(x, lengths)[0].sum().backward()
    for r, p in zip(ref, enc.parameters()):
        torch.testing.assert_close(p.grad, r)


def test_batchnorm_variant_uses_masked_statistics():
    torch.manual_seed(0)
    enc = ConformerEncoder(_small(conv_norm="batch", dropout=0.0)).train()
    assert isinstance(enc.blocks[0].conv.norm, MaskedBatchNorm)
    x, lengths = torch.randn(3, 30, 560), torch.tensor([30, 21, 8])
    out, _ = enc(x, lengths)
    assert out.shape == (3, 30, 64) and torch.isfinite(out).all()
    # Training-mode statistics ignore padding: padding contents do not change valid outputs.
    x2 = x.clone()
    x2[1, 21:] = 100.0
    x2[2, 8:] = -50.0
    out2, _ = enc(x2, lengths)
    assert (out2 - out).abs().max() < 1e-4
    # Running stats moved and equal a masked mean (checked on the module directly).
    bn = MaskedBatchNorm(4).train()
    h = torch.randn(2, 6, 4)
    pad = make_pad_mask(torch.tensor([6, 2]), 6)
    bn(h, pad)
    valid = torch.cat([h[0], h[1, :2]])
    torch.testing.assert_close(bn.running_mean, 0.1 * valid.mean(0))
    torch.testing.assert_close(bn.running_var, 0.9 + 0.1 * valid.var(0, unbiased=True))
    enc.eval()
    assert torch.isfinite(enc(x, lengths)[0]).all()


def test_positional_encoding_and_masks():
    pe = sinusoidal_positions(5, 8)
    assert pe.shape == (5, 8)
    assert torch.equal(pe[0], torch.tensor([0.0, 1.0] * 4))
    assert pe[3, 0] == pytest.approx(math.sin(3.0))
    assert make_pad_mask(torch.tensor([3, 1]), 4).tolist() == [
        [False, False, False, True],
        [False, True, True, True],
    ]
    # Position matters: reversing time does not simply reverse the output.
    torch.manual_seed(0)
    enc = ConformerEncoder(_small(n_blocks=1, conv_kernel=1)).eval()
    x, n = torch.randn(1, 12, 560), torch.tensor([12])
    with torch.no_grad():
        fwd = enc(x, n)[0]
        rev = enc(x.flip(1), n)[0].flip(1)
    assert (fwd - rev).abs().max() > 1e-3


def test_config_validation():
    with pytest.raises(ValueError):
        ConformerConfig(d_model=100, n_heads=16)
    with pytest.raises(ValueError):
        ConformerConfig(conv_kernel=14)
    with pytest.raises(ValueError):
        ConformerConfig(conv_norm="group")
