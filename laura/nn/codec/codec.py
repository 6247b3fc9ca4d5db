"""The codec as the rest of laura sees it: waveform <-> tokens, tokens -> embedding sum, and
embedding -> waveform (what the one-step vocoder's output goes through).

Shapes: waveforms (B, T) at ``sample_rate``; tokens (B, n_q, F) with F = ceil(T / hop); latents
and embeddings channels-last (B, F, D). Amplitude: each input is divided by its RMS before
encoding; ``encode`` returns that scale and ``decode`` multiplies it back (forgetting it is a
known FunCodec bug, FunCodec#15). Without a scale the output has unit RMS.

A saved codec is a directory: ``codec.json`` (the CodecConfig) and ``model.safetensors``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import torch
from torch import Tensor, nn

from laura.nn.codec.freq import FreqDecoder, FreqEncoder
from laura.nn.codec.quantizer import ResidualVectorQuantizer
from laura.nn.codec.seanet import SEANetDecoder, SEANetEncoder

KINDS = ("seanet", "freq")


@dataclass
class CodecConfig:
    kind: str = "seanet"  # "seanet" (EnCodec/FunCodec, time domain) | "freq" (STFT, ConvNeXt)
    sample_rate: int = 16000
    latent_dim: int = 128
    rms_normalize: bool = True
    # Residual vector quantizer (FunCodec release: 32 x 1024, EMA 0.99, k-means init)
    n_q: int = 32
    codebook_size: int = 1024
    ema_decay: float = 0.99
    kmeans_init: bool = True
    kmeans_iters: int = 50
    dead_code_threshold: float = 2.0
    quantizer_dropout: list[int] = field(default_factory=lambda: [2, 4, 8, 16, 32])
    # SEANet (kind=seanet); defaults = FunCodec's audio_codec-encodec-zh_en-general-16k-nq32ds640
    ratios: list[int] = field(default_factory=lambda: [8, 5, 4, 2, 2])
    n_filters: int = 32
    n_residual_layers: int = 1
    lstm_layers: int = 2
    norm: str = "time_group_norm"
    causal: bool = False
    # Frequency-domain variant (kind=freq)
    n_fft: int = 640
    stft_hop: int = 160
    hidden: int = 256
    encoder_blocks: int = 4
    decoder_blocks: int = 6
    # Harmonic codec (kind=freq): the encoder reads YIN pitch, the decoder adds partials at its
    # predicted F0 with a running phase (laura/nn/codec/freq.py)
    harmonic: bool = False
    # ... with F0 and voicing in the first 8 latent channels (scaled by f0_scale) instead of
    # estimated by the decoder; voiced frames are partials only below harmonic_max_hz
    explicit_f0: bool = False
    f0_scale: float = 10.0
    harmonic_max_hz: float = 2500.0

    @property
    def hop_length(self) -> int:
        return math.prod(self.ratios) if self.kind == "seanet" else self.stft_hop * 4

    @property
    def frame_rate(self) -> float:
        return self.sample_rate / self.hop_length

    def check(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"codec kind {self.kind!r} is not one of {KINDS}")
        if self.harmonic and self.kind != "freq":
            raise ValueError("codec harmonic: true needs kind: freq")
        if self.explicit_f0 and not self.harmonic:
            raise ValueError("codec explicit_f0: true needs harmonic: true")
        if self.kind == "freq" and self.n_fft < self.stft_hop:
            raise ValueError(f"codec n_fft {self.n_fft} is smaller than stft_hop {self.stft_hop}")


class Codec(nn.Module):
    def __init__(self, cfg: CodecConfig) -> None:
        super().__init__()
        cfg.check()
        self.cfg = cfg
        if cfg.kind == "seanet":
            kw = dict(
                dim=cfg.latent_dim,
                n_filters=cfg.n_filters,
                n_residual_layers=cfg.n_residual_layers,
                lstm_layers=cfg.lstm_layers,
                norm=cfg.norm,
                causal=cfg.causal,
            )
            self.encoder: nn.Module = SEANetEncoder(list(cfg.ratios), **kw)
            self.decoder: nn.Module = SEANetDecoder(list(cfg.ratios), **kw)
        else:
            kw = dict(dim=cfg.latent_dim, hidden=cfg.hidden, n_fft=cfg.n_fft, stft_hop=cfg.stft_hop)
            kw.update(
                sample_rate=cfg.sample_rate, explicit_f0=cfg.explicit_f0, f0_scale=cfg.f0_scale
            )
            self.encoder = FreqEncoder(n_blocks=cfg.encoder_blocks, pitch=cfg.harmonic, **kw)
            self.decoder = FreqDecoder(
                n_blocks=cfg.decoder_blocks,
                harmonic=cfg.harmonic,
                harmonic_max_hz=cfg.harmonic_max_hz,
                **kw,
            )
        self.quantizer = ResidualVectorQuantizer(
            cfg.latent_dim,
            cfg.n_q,
            cfg.codebook_size,
            cfg.ema_decay,
            cfg.kmeans_init,
            cfg.kmeans_iters,
            cfg.dead_code_threshold,
            cfg.quantizer_dropout,
        )

    @property
    def hop_length(self) -> int:
        return self.cfg.hop_length

    @property
    def sample_rate(self) -> int:
        return self.cfg.sample_rate

    def num_frames(self, num_samples: int) -> int:
        return -(-num_samples // self.hop_length)

    # --- pieces -------------------------------------------------------------------------------
    def _check_wav(self, wav: Tensor) -> Tensor:
        if wav.dim() == 1:
            wav = wav[None]
        if wav.dim() != 2:
            raise ValueError(f"waveform must be (batch, samples), got {tuple(wav.shape)}")
        return wav

    def normalize(self, wav: Tensor) -> tuple[Tensor, Tensor | None]:
        """wav (B, T) -> (wav / rms, rms (B, 1)) when rms_normalize, else (wav, None)."""
        if not self.cfg.rms_normalize:
            return wav, None
        scale = wav.pow(2).mean(dim=-1, keepdim=True).sqrt() + 1e-8
        return wav / scale, scale

    def latent(self, wav: Tensor) -> Tensor:
        """Normalised waveform (B, T) -> continuous latent (B, F, D)."""
        return self.encoder(wav[:, None]).transpose(1, 2)

    def decode_embedding(
        self, emb: Tensor, scale: Tensor | None = None, length: int | None = None
    ) -> Tensor:
        """Latent or codebook-sum (B, F, D) -> waveform (B, F * hop), or ``length`` samples."""
        wav = self.decoder(emb.transpose(1, 2)).squeeze(1)
        if length is not None:
            wav = wav[:, :length]
        return wav * scale if scale is not None else wav

    # --- the token API ------------------------------------------------------------------------
    @torch.no_grad()
    def encode(self, wav: Tensor, n_q: int | None = None) -> tuple[Tensor, Tensor | None]:
        """Waveform (B, T) -> (tokens (B, n_q, ceil(T / hop)), scale (B, 1) or None)."""
        wav, scale = self.normalize(self._check_wav(wav))
        return self.quantizer.encode(self.latent(wav), n_q), scale

    @torch.no_grad()
    def decode(
        self, tokens: Tensor, scale: Tensor | None = None, length: int | None = None
    ) -> Tensor:
        """Tokens (B, n, F) of the first n codebooks -> waveform (B, F * hop) (or ``length``)."""
        return self.decode_embedding(self.embed(tokens), scale, length)

    def embed(self, tokens: Tensor) -> Tensor:
        """Sum of the codebook entries of tokens (B, n, F) -> (B, F, D): the vocoder's target."""
        return self.quantizer.decode(tokens)

    def codebook(self, i: int) -> Tensor:
        """Entries (codebook_size, D) of codebook i (0 = the group LauraGPT predicts)."""
        return self.quantizer.codebooks[i].embed

    def forward(
        self,
        wav: Tensor,
        n_q: int | None = None,
        freeze_encoder: bool = False,
        f0: Tensor | None = None,
    ) -> dict[str, Tensor]:
        """Training pass on normalised audio: reconstruction, codes and commitment loss.

        ``freeze_encoder``: encoder and quantizer run without gradients or EMA updates (the
        tokens stay those of the trained codec; only the decoder learns), the depth still drawn
        from the dropout choices. ``f0`` (Hz per STFT frame, of the normalised input) drives a
        harmonic decoder's partials; its predicted ``log_f0`` is returned."""
        wav, scale = self.normalize(self._check_wav(wav))
        if freeze_encoder:
            with torch.no_grad():
                z = self.latent(wav)
                codes = self.quantizer.encode(z, self.quantizer.depth(n_q, z))
                q, commit = self.embed(codes), z.new_zeros(())
        else:
            q, codes, commit = self.quantizer(self.latent(wav), n_q)
        out = {
            "input": wav,
            "codes": codes,
            "commit_loss": commit,
            "scale": scale if scale is not None else torch.ones_like(wav[:, :1]),
        }
        if self.cfg.harmonic:
            r = self.decoder.render(q.transpose(1, 2), f0)
            out["recon"], out["log_f0"] = r["wav"].squeeze(1)[:, : wav.shape[-1]], r["log_f0"]
        else:
            out["recon"] = self.decode_embedding(q, None, wav.shape[-1])
        return out


# --- saving and loading ---------------------------------------------------------------------------
def config_from_dict(d: dict) -> CodecConfig:
    known = {f.name for f in fields(CodecConfig)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ValueError(f"unknown codec config keys {unknown}")
    return CodecConfig(**d)


def save_codec(
    codec: Codec, out_dir: str | Path, extra: dict | None = None, inference_only: bool = False
) -> Path:
    """Write the codec as a model directory (``laura.artefact``): ``model.safetensors``, then
    ``codec.json`` (its CodecConfig, ``extra``: provenance), each atomically.

    ``inference_only``: drop the EMA statistics and store float16 weights (about a quarter of
    the size; how the shipped mini codec is stored). Loading casts back to float32; such a codec
    can encode and decode, and training it again restarts the statistics."""
    from laura.artefact import Artefact

    state = {k: v.detach().contiguous() for k, v in codec.state_dict().items()}
    meta = {"config": asdict(codec.cfg), "inference_only": inference_only}
    return Artefact("codec", meta, state, dict(extra or {})).save(out_dir, fp16=inference_only)


def load_codec(path: str | Path, device: str | torch.device = "cpu") -> Codec:
    """Load a codec directory (codec.json + model.safetensors) in eval mode."""
    from laura.artefact import TRAINING_ONLY, Artefact
    from laura.errors import CheckpointError

    art = Artefact.load(path)
    cfg_path, weights = Path(path) / "codec.json", Path(path) / "model.safetensors"
    if art.kind != "codec":
        raise CheckpointError(f"{path}: a {art.kind} directory, not a codec (no {cfg_path.name})")
    try:
        cfg = config_from_dict(art.meta["config"])
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{cfg_path}: not a laura codec config ({e})") from e
    codec = Codec(cfg)
    missing, unexpected = codec.load_state_dict(art.state, strict=False)
    if art.meta.get("inference_only"):
        missing = [k for k in missing if k.rsplit(".", 1)[-1] not in TRAINING_ONLY["codec"]]
        for cb in codec.quantizer.codebooks:  # statistics consistent with the stored entries
            cb.cluster_size.fill_(1.0)
            cb.embed_avg.copy_(cb.embed)
    if missing or unexpected:
        raise CheckpointError(
            f"{weights}: does not match {cfg_path} (missing {missing[:5]}, "
            f"unexpected {unexpected[:5]})"
        )
    return codec.to(device).eval()
