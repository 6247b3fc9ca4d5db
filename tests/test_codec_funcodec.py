"""FunCodec checkpoints load into laura's codec: same tokens, same waveform.

The peer is FunCodec 0.2.0 itself (installed --no-deps by tools/setup.sh), built from the
released model's config ("audio_codec-encodec-zh_en-general-16k-nq32ds640") with random weights;
no download (tests/peers.py builds it; its two import shims stay there, not in laura).
"""

from __future__ import annotations

import pytest
import torch
import yaml
from peers import RELEASED, build_funcodec, speechlike

from laura.nn.codec import load_codec, save_codec
from laura.nn.codec.funcodec import (
    FunCodecError,
    config_from_funcodec,
    from_funcodec_state,
    load_funcodec,
)


@pytest.fixture(scope="module")
def released():
    torch.manual_seed(0)
    conf = yaml.safe_load(RELEASED)
    peer = build_funcodec(conf)
    codec = from_funcodec_state(peer.state_dict(), config_from_funcodec(conf))
    return conf, peer, codec


def test_released_config_maps_to_the_paper_codec(released) -> None:
    _, peer, codec = released
    cfg = codec.cfg
    assert (cfg.n_q, cfg.codebook_size, cfg.hop_length, cfg.frame_rate) == (32, 1024, 640, 25.0)
    assert cfg.quantizer_dropout == [2, 4, 8, 16, 32] and cfg.norm == "time_group_norm"
    n_peer = sum(p.numel() for p in peer.parameters())
    assert sum(p.numel() for p in codec.parameters()) == n_peer == 57_549_987


@pytest.mark.parametrize("seconds", [1.0, 2.37])
def test_tokens_identical_and_waveform_close(released, seconds: float) -> None:
    _, peer, codec = released
    n = int(seconds * 16000)
    wav = speechlike(n, seed=3)
    with torch.no_grad():
        ref = peer.inference_encoding(wav, need_recon=True)
    ref_codes = ref["code_indices"][0]  # (n_q, B, F)
    tokens, scale = codec.encode(wav)
    assert tokens.shape == (1, 32, -(-n // 640))
    assert torch.equal(tokens[0], ref_codes[:, 0])
    assert len(torch.unique(tokens[:, 0])) > 5  # the comparison is not between constant codes
    recon = codec.decode(tokens, scale, length=n)
    ref_wav = ref["recon_speech"][:, 0]
    assert recon.shape == ref_wav.shape == (1, n)
    diff = (recon - ref_wav).abs().max().item()
    assert diff < 1e-4 * max(1.0, ref_wav.abs().max().item()), diff


def test_fewer_quantizers_are_a_prefix(released) -> None:
    _, _, codec = released
    wav = speechlike(16000, seed=5)
    all_tokens, _ = codec.encode(wav)
    some, _ = codec.encode(wav, n_q=4)
    assert torch.equal(some, all_tokens[:, :4])


def test_weight_norm_variant_converts(tmp_path) -> None:
    """FunCodec's default SEANet norm is weight_norm: weight_g / weight_v map onto
    parametrizations."""
    conf = yaml.safe_load(RELEASED)
    for side in ("encoder_conf", "decoder_conf"):
        conf[side] = {"ratios": [4, 4], "norm": "weight_norm", "causal": False, "n_filters": 4}
    conf["quantizer_conf"].update(
        num_quantizers=4, codebook_size=16, rand_num_quant=[1, 2, 4], encoder_hop_length=16
    )
    conf["model_conf"]["odim"] = 8
    torch.manual_seed(0)
    peer = build_funcodec(
        {
            **conf,
            "encoder_conf": {**conf["encoder_conf"], "dimension": 8},
            "decoder_conf": {**conf["decoder_conf"], "input_size": 8},
        }
    )
    state = peer.state_dict()
    assert any(k.endswith("weight_g") for k in state)
    codec = from_funcodec_state(state, config_from_funcodec(conf))
    wav = speechlike(4000, seed=2)
    with torch.no_grad():
        ref = peer.inference_encoding(wav, need_recon=True)
    tokens, scale = codec.encode(wav)
    assert torch.equal(tokens[0], ref["code_indices"][0][:, 0])
    assert torch.allclose(
        codec.decode(tokens, scale, length=4000), ref["recon_speech"][:, 0], atol=1e-5
    )

    # A FunCodec model dir (config.yaml + model.pth) loads with weights_only, and the converted
    # codec round-trips through laura's own format.
    (tmp_path / "fc").mkdir()
    (tmp_path / "fc" / "config.yaml").write_text(yaml.safe_dump(conf))
    torch.save(state, tmp_path / "fc" / "model.pth")
    loaded = load_funcodec(tmp_path / "fc")
    assert torch.equal(loaded.encode(wav)[0], tokens)
    again = load_codec(save_codec(loaded, tmp_path / "laura"))
    assert torch.equal(again.encode(wav)[0], tokens)


def test_unsupported_funcodec_configs_are_refused_by_name() -> None:
    conf = yaml.safe_load(RELEASED)
    with pytest.raises(FunCodecError, match="segment_dur"):
        config_from_funcodec(
            {**conf, "model_conf": {**conf["model_conf"], "segment_dur": 1.0}}, "x.yaml"
        )
    with pytest.raises(FunCodecError, match=r"encoder_conf sets \{'dilation_base': 3\}"):
        enc = {**conf["encoder_conf"], "dilation_base": 3}
        config_from_funcodec({**conf, "encoder_conf": enc}, "x.yaml")
    with pytest.raises(FunCodecError, match="x.yaml: model 'freqcodec'"):
        config_from_funcodec({**conf, "model": "freqcodec"}, "x.yaml")


def test_missing_funcodec_files_are_named(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="config.yaml"):
        load_funcodec(tmp_path)
