"""Parameter counts per subsystem, computed on the meta device (the 2B config costs no memory)."""

from __future__ import annotations

from typing import Any

import torch

from laura.config import ExperimentConfig, load_config, to_object


def _text_vocab(cfg: ExperimentConfig) -> int:
    if cfg.model.lm.pretrained or cfg.model.lm.vocab_size:
        return cfg.model.lm.vocab_size
    from laura.text.tokenizer import TextTokenizer

    try:
        return TextTokenizer(cfg.tokenizer.path).vocab_size
    except FileNotFoundError as err:
        raise FileNotFoundError(
            f"model.lm.vocab_size=0 takes the size from the tokenizer, which is not built yet "
            f"({err}); pass model.lm.vocab_size=N"
        ) from None


def model_info(config: str, overrides: list[str] | None = None) -> dict[str, Any]:
    cfg = to_object(load_config(config, overrides))
    if cfg.kind == "codec":
        from laura.nn.codec import Codec
        from laura.nn.codec.discriminator import MultiScaleSTFTDiscriminator

        with torch.device("meta"):
            codec = Codec(cfg.codec)
            disc = (
                MultiScaleSTFTDiscriminator(cfg.loss.disc_filters, tuple(cfg.loss.disc_n_ffts))
                if cfg.loss.adversarial > 0
                else None
            )
        counts = {
            name: sum(p.numel() for p in getattr(codec, name).parameters())
            for name in ("encoder", "decoder")
        }
        counts["codebooks"] = (
            cfg.codec.n_q * cfg.codec.codebook_size * cfg.codec.latent_dim
        )  # EMA buffers
        counts["discriminator"] = (
            sum(p.numel() for p in disc.parameters()) if disc is not None else 0
        )
        counts["total"] = counts["encoder"] + counts["decoder"]  # trainable codec parameters
        c = cfg.codec
        return {"parameters": counts, "vocab": {"codebooks": c.n_q, "entries": c.codebook_size,
                                                "frame_rate_hz": c.frame_rate}}  # fmt: skip
    if cfg.kind == "vocoder":
        from laura.nn.vocoder import MultiStepVocoder, OneStepVocoder

        vc = cfg.vocoder
        # dim 0 = derived at training time; counted here with the usual sizes
        for c in vc.conditions:
            if c.dim == 0 and c.kind == "tokens":
                from laura.text.tokenizer import TextTokenizer

                try:
                    c.dim = TextTokenizer(cfg.tokenizer.path).vocab_size
                except FileNotFoundError as err:
                    raise FileNotFoundError(
                        f"condition {c.name!r} takes its size from the tokenizer, which is not "
                        f"built yet ({err}); pass vocoder.conditions.N.dim=V"
                    ) from None
            elif c.dim == 0:
                c.dim = cfg.frontend.feat_dim if c.kind == "features" else vc.latent_dim
        with torch.device("meta"):
            voc = (OneStepVocoder if vc.kind == "one_step" else MultiStepVocoder)(vc)
        counts = {
            "conditions": sum(p.numel() for p in voc.body.inputs.parameters()),
            "transformer": sum(p.numel() for p in voc.body.blocks.parameters()),
        }
        counts["total"] = sum(p.numel() for p in voc.parameters())  # codebook copies are buffers
        return {"parameters": counts, "vocab": {"codec groups summed or predicted": vc.n_q,
                                                "codebook entries": vc.codebook_size}}  # fmt: skip
    if cfg.kind == "encoder_ctc":
        from laura.nn.conformer import ConformerEncoder
        from laura.nn.ctc import CTCHead

        vocab = _text_vocab(cfg)
        with torch.device("meta"):
            enc = ConformerEncoder(cfg.model.encoder)
            head = CTCHead(cfg.model.encoder.d_model, vocab)
        counts = {
            "encoder": sum(p.numel() for p in enc.parameters()),
            "ctc_head": sum(p.numel() for p in head.parameters()),
        }
        counts["total"] = counts["encoder"] + counts["ctc_head"]
        return {"parameters": counts, "vocab": {"text": vocab, "ctc_blank": 1}}

    from laura.nn.lauragpt import LauraGPT

    if not cfg.model.lm.pretrained:
        cfg.model.lm.vocab_size = _text_vocab(cfg)
    with torch.device("meta"):
        model = LauraGPT(cfg.model)
    return {"parameters": model.parameter_counts(), "vocab": model.vocab.describe()}
