"""Load FunCodec codec checkpoints (e.g. the LauraGPT authors' release
"audio_codec-encodec-zh_en-general-16k-nq32ds640": ``config.yaml`` + ``model.pth``).

FunCodec's Encodec model is EnCodec's SEANet + a residual VQ; laura's SEANet keeps the same layer
order, so conversion renames keys (``encoder.model.N.conv.conv.weight`` ->
``encoder.layers.N.conv.weight``), splits the stacked codebook buffers (n_q, K, D) into one
buffer per codebook, and drops the discriminator. Reading ``model.pth`` uses
``torch.load(weights_only=True)``: a checkpoint cannot run code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from laura.nn.codec.codec import Codec, CodecConfig


class FunCodecError(ValueError):
    pass


def config_from_funcodec(conf: Mapping[str, Any], source: str = "config") -> CodecConfig:
    """CodecConfig from a FunCodec training config (its config.yaml as a dict)."""
    model = conf.get("model", "encodec")
    if model != "encodec":
        raise FunCodecError(f"{source}: model {model!r} is not supported (only FunCodec 'encodec')")
    for key, want in (
        ("encoder", "encodec_seanet_encoder"),
        ("decoder", "encodec_seanet_decoder"),
        ("quantizer", "costume_quantizer"),
    ):
        if conf.get(key, want) != want:
            raise FunCodecError(
                f"{source}: {key} {conf.get(key)!r} is not supported (want {want!r})"
            )
    enc = dict(conf.get("encoder_conf") or {})
    dec = dict(conf.get("decoder_conf") or {})
    q = dict(conf.get("quantizer_conf") or {})
    m = dict(conf.get("model_conf") or {})
    ratios = list(enc.get("ratios", [8, 5, 4, 2]))
    if list(dec.get("ratios", ratios)) != ratios:
        raise FunCodecError(
            f"{source}: encoder ratios {ratios} differ from decoder ratios {dec.get('ratios')}"
        )
    if (
        enc.get("seq_model", "lstm") != "lstm"
        or enc.get("add_snake_activation")
        or not enc.get("double_filters", True)
        or m.get("codec_domain", "time") != "time"
    ):
        raise FunCodecError(f"{source}: only the LSTM SEANet in the time domain is supported")
    fixed = {
        "kernel_size": 7,
        "last_kernel_size": 7,
        "residual_kernel_size": 3,
        "dilation_base": 2,
        "compress": 2,
        "true_skip": False,
        "pad_mode": "reflect",
        "activation": "ELU",
    }
    for side, c in (("encoder_conf", enc), ("decoder_conf", dec)):
        changed = {k: c[k] for k in fixed if k in c and c[k] != fixed[k]}
        if (
            changed
            or c.get("activation_params", {"alpha": 1.0}) != {"alpha": 1.0}
            or c.get("final_activation")
        ):
            raise FunCodecError(
                f"{source}: {side} sets {changed or 'activation options'}, "
                "which laura's SEANet fixes"
            )
    if m.get("segment_dur") not in (None, "null"):
        raise FunCodecError(
            f"{source}: segment_dur={m['segment_dur']} (segment-wise coding) is not supported"
        )
    if q.get("codec_dim") not in (None, q.get("input_size", 128)) or q.get("q0_ds_ratio", 1) != 1:
        raise FunCodecError(f"{source}: quantizer projections / q0 downsampling are not supported")
    return CodecConfig(
        kind="seanet",
        sample_rate=int(conf.get("sampling_rate", m.get("target_sample_hz", 16000))),
        latent_dim=int(m.get("odim", enc.get("dimension", 128))),
        rms_normalize=bool(m.get("audio_normalize", True)),
        n_q=int(q.get("num_quantizers", 8)),
        codebook_size=int(q.get("codebook_size", 1024)),
        ema_decay=float(q.get("ema_decay", 0.95)),
        kmeans_init=bool(q.get("kmeans_init", False)),
        quantizer_dropout=list(q.get("rand_num_quant") or []) if q.get("quantize_dropout") else [],
        ratios=ratios,
        n_filters=int(enc.get("n_filters", 32)),
        n_residual_layers=int(enc.get("n_residual_layers", 1)),
        lstm_layers=int(enc.get("seq_layer_num", 2)),
        norm=str(enc.get("norm", "weight_norm")),
        causal=bool(enc.get("causal", False)),
    )


_RENAMES = [
    (re.compile(r"^(encoder|decoder)\.model\."), r"\1.layers."),
    (re.compile(r"\.convtr\.convtr\."), ".conv."),
    (re.compile(r"\.convtr\.norm\."), ".norm."),
    (re.compile(r"\.conv\.conv\."), ".conv."),
    (re.compile(r"\.conv\.norm\."), ".norm."),
    (re.compile(r"\.weight_g$"), ".parametrizations.weight.original0"),
    (re.compile(r"\.weight_v$"), ".parametrizations.weight.original1"),
]


def convert_state_dict(
    state: Mapping[str, Tensor], n_q: int, source: str = "state dict"
) -> dict[str, Tensor]:
    """FunCodec Encodec state dict -> laura Codec state dict (discriminator dropped)."""
    out: dict[str, Tensor] = {}
    for key, value in state.items():
        key = key.removeprefix("module.")
        if key.startswith("discriminator.") or key.startswith("mel_spec") or key == "zero":
            continue
        if key.startswith("quantizer.rq.model."):
            name = key.rsplit(".", 1)[-1]
            if name not in ("inited", "cluster_size", "embed", "embed_avg"):
                continue  # per-layer VQ modules hold no tensors without projections
            if value.shape[0] != n_q:
                raise FunCodecError(
                    f"{source}: {key} has {value.shape[0]} codebooks, config says {n_q}"
                )
            for i in range(n_q):
                v = value[i].reshape(1) if name == "inited" else value[i]
                out[f"quantizer.codebooks.{i}.{name}"] = v.clone()
            continue
        for pattern, repl in _RENAMES:
            key = pattern.sub(repl, key)
        out[key] = value
    return out


def load_funcodec(
    model_dir: str | Path, config_file: str = "config.yaml", model_file: str = "model.pth"
) -> Codec:
    """A FunCodec model directory -> laura Codec (eval mode)."""
    import yaml

    d = Path(model_dir)
    cfg_path, ckpt = d / config_file, d / model_file
    for p in (cfg_path, ckpt):
        if not p.is_file():
            raise FileNotFoundError(
                f"{p}: missing; a FunCodec model dir holds {config_file} and {model_file}"
            )
    conf = yaml.safe_load(cfg_path.read_text())
    if not isinstance(conf, dict):
        raise FunCodecError(f"{cfg_path}: not a FunCodec config (no mapping at the top)")
    cfg = config_from_funcodec(conf, str(cfg_path))
    state = torch.load(ckpt, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
        state = state["model"]
    return from_funcodec_state(state, cfg, str(ckpt))


def from_funcodec_state(
    state: Mapping[str, Tensor], cfg: CodecConfig, source: str = "state dict"
) -> Codec:
    codec = Codec(cfg)
    converted = convert_state_dict(state, cfg.n_q, source)
    missing, unexpected = codec.load_state_dict(converted, strict=False)
    if missing or unexpected:
        raise FunCodecError(
            f"{source}: does not fit the codec its config describes "
            f"(missing {missing[:4]}, unexpected {unexpected[:4]})"
        )
    return codec.eval()
