"""Peer implementations for equivalence tests and side-by-side benchmarks (not part of laura).

FunCodec 0.2.0 is installed --no-deps by tools/setup.sh. Two shims live here, never in laura:
its ``check_argument_types`` comes from an old typeguard, and its mel-loss helper calls
``.cuda()`` when built.
"""

from __future__ import annotations

import sys
import types

import torch
import yaml

# The released model's config.yaml
# (FunCodec egs/LibriTTS/codec/conf/encodec_16k_n32_600k_step_ds640.yaml), model part only.
RELEASED = """
input_size: 1
sampling_rate: 16000
encoder: encodec_seanet_encoder
encoder_conf: {ratios: [8, 5, 4, 2, 2], norm: time_group_norm, causal: false}
quantizer: costume_quantizer
quantizer_conf: {codebook_size: 1024, num_quantizers: 32, ema_decay: 0.99, kmeans_init: true,
  sampling_rate: 16000, quantize_dropout: true, rand_num_quant: [2, 4, 8, 16, 32], use_ddp: true,
  encoder_hop_length: 640}
decoder: encodec_seanet_decoder
decoder_conf: {ratios: [8, 5, 4, 2, 2], norm: time_group_norm, causal: false}
model: encodec
model_conf: {odim: 128, multi_spectral_window_powers_of_two: [5, 6, 7, 8, 9, 10],
  target_sample_hz: 16000, audio_normalize: true, use_power_spec_loss: true, segment_dur: null,
  overlap_ratio: null}
"""


def _funcodec_classes():
    if "typeguard" not in sys.modules or not hasattr(
        sys.modules["typeguard"], "check_argument_types"
    ):
        shim = types.ModuleType("typeguard")
        shim.check_argument_types = lambda: True  # type: ignore[attr-defined]
        shim.check_return_type = lambda *a, **k: True  # type: ignore[attr-defined]
        sys.modules["typeguard"] = shim
    import funcodec.models.codec_basic as codec_basic
    from funcodec.models.decoder.seanet_decoder import SEANetDecoder
    from funcodec.models.encoder.seanet_encoder import SEANetEncoder
    from funcodec.models.quantizer.costume_quantizer import CostumeQuantizer

    class _NoMel(torch.nn.Module):
        def __init__(self, *a, **k) -> None:
            super().__init__()

    codec_basic.Audio2Mel = _NoMel
    return codec_basic.Encodec, SEANetEncoder, SEANetDecoder, CostumeQuantizer


def build_funcodec(conf: dict):
    Encodec, Enc, Dec, Quant = _funcodec_classes()
    q = dict(conf["quantizer_conf"], input_size=conf["model_conf"]["odim"])
    model = Encodec(
        input_size=1,
        encoder=Enc(**conf["encoder_conf"]),
        decoder=Dec(**conf["decoder_conf"]),
        quantizer=Quant(**q),
        discriminator=None,
        **{k: v for k, v in conf["model_conf"].items() if k != "use_power_spec_loss"},
    )
    # Trained-looking codebooks without the 13 s k-means: entries drawn from encoder outputs.
    model.eval()
    with torch.no_grad():
        wav = speechlike(3 * 16000, seed=7)
        z = model.encoder(wav[:, None] / wav.pow(2).mean().sqrt())[0]  # (F, D)
        rq = model.quantizer.rq.model
        g = torch.Generator().manual_seed(1)
        for i in range(rq.embed.shape[0]):
            pick = z[torch.randint(0, z.shape[0], (rq.embed.shape[1],), generator=g)]
            scale = 0.5**i  # later codebooks quantize smaller residuals
            rq.embed[i] = (
                pick * scale + torch.randn(pick.shape, generator=g) * z.std() * scale * 0.3
            )
        rq.embed_avg.copy_(rq.embed)
        rq.cluster_size.fill_(1.0)
        rq.inited.fill_(1.0)
    return model


def speechlike(n: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(n) / 16000
    f0 = 120 + 40 * torch.sin(2 * torch.pi * 0.7 * t)
    voiced = sum(torch.sin(2 * torch.pi * k * torch.cumsum(f0, 0) / 16000) / k for k in range(1, 8))
    env = 0.5 + 0.5 * torch.sin(2 * torch.pi * 3 * t).clamp(min=0)
    return (0.1 * voiced * env + 0.01 * torch.randn(n, generator=g))[None]


def released_funcodec(seed: int = 0):
    """FunCodec's model for the released 16 kHz / 25 Hz / 32 x 1024 config, random weights."""
    torch.manual_seed(seed)
    return build_funcodec(yaml.safe_load(RELEASED))
