"""VocoderModule: trains the one-step codec vocoder (or the multi-step baseline) with the codec
frozen, and turns first-group tokens plus a task's conditions into waveforms.

The codec is loaded from ``cfg.codec`` in float32 eval mode and is *not* a submodule: it never
enters a checkpoint or an export (the exported ``vocoder.json`` points at it instead).
Conditions are read from the batch by input name: ``text`` -> the TTS text ids, ``audio`` -> the
LFR features of the SE noisy input (after CMVN); an example without one gets an empty segment,
so SE and TTS examples share batches.

Dev metrics at each validation (the first ``n_valid`` dev utterances of each task, decoded to
audio): PESQ-wb and STOI of the vocoder's waveform (``val/SE/pesq``) and of the codec decoding the
first group alone (``val/SE/pesq_first``), both against the original target audio (single-task
runs drop the task from the names).
"""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

import lightning as L
import torch
import torch.nn.functional as F
from torch import Tensor

from laura.config import VocoderExperimentConfig, from_container, to_container
from laura.data.tasks import get_task
from laura.errors import CheckpointError
from laura.models.common import make_optimizer, val_prefix
from laura.nn.codec import Codec, load_codec
from laura.nn.frontend import FrontendConfig, GlobalCMVN
from laura.nn.vocoder import (
    ConditionConfig,
    Conditions,
    MultiStepVocoder,
    OneStepVocoder,
    VocoderConfig,
    corrupt_tokens,
)


def check_against_codec(vc: VocoderConfig, codec: Codec, where: str = "vocoder") -> None:
    c = codec.cfg
    if vc.latent_dim != c.latent_dim or vc.codebook_size != c.codebook_size or vc.n_q > c.n_q:
        raise ValueError(
            f"{where}: latent_dim {vc.latent_dim}, codebook_size {vc.codebook_size}, n_q {vc.n_q} "
            f"do not fit the codec (latent_dim {c.latent_dim}, codebook_size {c.codebook_size}, "
            f"n_q {c.n_q})"
        )


def build_vocoder(vc: VocoderConfig, codec: Codec) -> OneStepVocoder | MultiStepVocoder:
    """The predictor of ``vc.kind`` with the codec's codebooks copied in (frozen)."""
    check_against_codec(vc, codec)
    if vc.kind == "one_step":
        return OneStepVocoder(vc, codec.codebook(0))
    return MultiStepVocoder(vc, torch.stack([codec.codebook(i) for i in range(vc.n_q)]))


def batch_codes(batch: dict[str, Any], n_q: int) -> tuple[Tensor, Tensor]:
    """The target codes of a batch, padded: (B, n_q, F) and frame lengths (B,)."""
    rows = batch["codes"]
    for uid, c in zip(batch["ids"], rows):
        if c is None:
            raise ValueError(
                f"utterance {uid}: no codec tokens (the vocoder trains on audio-output tasks)"
            )
        if c.shape[0] < n_q:
            raise ValueError(
                f"utterance {uid}: the token cache holds {c.shape[0]} groups, vocoder.n_q is {n_q} "
                "(set data.token_groups and extract tokens with --n-q)"
            )
    lens = torch.tensor([c.shape[1] for c in rows], dtype=torch.long)
    out = torch.zeros(len(rows), n_q, int(lens.max()), dtype=torch.long)
    for i, c in enumerate(rows):
        out[i, :, : c.shape[1]] = c[:n_q]
    return out, lens


def needs_waveforms(conditions: list[ConditionConfig]) -> bool:
    return any(c.kind == "codec" for c in conditions)


@torch.no_grad()
def codec_latent(codec: Codec, wav: Tensor) -> Tensor:
    """The frozen codec's continuous latent (frames, D) of one waveform (RMS-normalised as the
    codec normalises what it encodes)."""
    x, _ = codec.normalize(wav.float()[None].to(next(codec.parameters()).device))
    return codec.latent(x)[0]


def batch_conditions(
    batch: dict[str, Any],
    conditions: list[ConditionConfig],
    cmvn: GlobalCMVN | None = None,
    codec: Codec | None = None,
) -> Conditions:
    """name -> (padded ids or features, lengths) from the task inputs of the same name
    (``codec`` conditions need the batch's waveforms and the codec)."""
    per_example = []
    for task, inputs in zip(batch["tasks"], batch["inputs"]):
        names = get_task(task).inputs
        per_example.append({n: v for n, v in zip(names, inputs)})
    feats, feat_lens = batch.get("feats"), batch.get("feat_lens")
    out: Conditions = {}
    for c in conditions:
        rows: list[Tensor | None] = []
        for ex in per_example:
            item = ex.get(c.name)
            if item is None:
                rows.append(None)
                continue
            kind, value = item
            if c.kind == "tokens":
                if kind != "ids":
                    raise ValueError(f"condition {c.name!r} takes token ids, the task gives {kind}")
                rows.append(value)
            elif kind != "audio":
                raise ValueError(f"condition {c.name!r} takes audio, the task gives {kind}")
            elif c.kind == "codec":
                if codec is None or batch.get("wavs") is None:
                    raise ValueError(
                        f"condition {c.name!r} (kind codec) needs the batch's waveforms "
                        "and the codec (data.keep_waveforms)"
                    )
                rows.append(codec_latent(codec, batch["wavs"][value]).cpu())
            else:
                assert feats is not None and feat_lens is not None
                f = feats[value, : int(feat_lens[value])]
                rows.append(cmvn(f) if cmvn is not None else f)
        lens = torch.tensor([0 if r is None else r.shape[0] for r in rows], dtype=torch.long)
        t = max(1, int(lens.max()))  # an all-empty segment is one masked position
        if c.kind == "tokens":
            x = torch.zeros(len(rows), t, dtype=torch.long)
        else:
            x = torch.zeros(len(rows), t, c.dim)
        for i, r in enumerate(rows):
            if r is not None:
                x[i, : r.shape[0]] = r
        out[c.name] = (x, lens)
    return out


class VocoderModule(L.LightningModule):
    def __init__(self, cfg: VocoderExperimentConfig, codec: Codec | None = None) -> None:
        super().__init__()
        self.save_hyperparameters({"config": to_container(cfg)})
        self.cfg = cfg
        codec = codec if codec is not None else load_codec(self.cfg.codec)
        codec.eval().float().requires_grad_(False)
        object.__setattr__(self, "_codec", codec)  # not a submodule: stays out of checkpoints
        self.vocoder = build_vocoder(self.cfg.vocoder, codec)
        self.cmvn = GlobalCMVN(self.cfg.frontend.feat_dim)
        self._dev: dict[str, list[float]] = {}

    @property
    def codec(self) -> Codec:
        codec: Codec = self._codec  # type: ignore[assignment]
        if next(codec.parameters()).device != self.device:
            codec.to(self.device)
        return codec

    @property
    def one_step(self) -> bool:
        return self.cfg.vocoder.kind == "one_step"

    def configure_optimizers(self) -> Any:
        return make_optimizer(self.vocoder, self.cfg.optim, max(1, self.cfg.trainer.max_steps))

    # --- one pass ------------------------------------------------------------------------------
    def _inputs(self, batch: dict[str, Any]) -> tuple[Tensor, Tensor, Conditions]:
        codes, lens = batch_codes(batch, self.cfg.vocoder.n_q)
        cond = batch_conditions(batch, self.cfg.vocoder.conditions, self.cmvn, self.codec)
        dev = self.device
        return (
            codes.to(dev),
            lens.to(dev),
            {k: (v.to(dev), n.to(dev)) for k, (v, n) in cond.items()},
        )

    def _loss(self, batch: dict[str, Any]) -> dict[str, Tensor]:
        codes, lens, cond = self._inputs(batch)
        if not self.one_step:
            return self.vocoder.loss(codes, lens, cond)  # type: ignore[operator]
        with torch.no_grad():
            target = self.codec.embed(codes)
        first = codes[:, 0]
        if self.training and self.cfg.token_noise > 0:
            first = corrupt_tokens(first, self.cfg.token_noise, self.cfg.vocoder.codebook_size)
        pred = self.vocoder(first, lens, cond)
        return self.vocoder.loss(pred, target, lens)  # type: ignore[operator]

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        out = self._loss(batch)
        bs = len(batch["ids"])
        self.log("train/loss", out["loss"], prog_bar=True, batch_size=bs)
        self.log_dict({f"train/{k}": v for k, v in out.items() if k != "loss"}, batch_size=bs)
        self.log("lr", self.optimizers().param_groups[0]["lr"], batch_size=bs)
        return out["loss"]

    # --- synthesis -----------------------------------------------------------------------------
    @torch.no_grad()
    def synthesize(self, first: Tensor, lengths: Tensor, conditions: Conditions) -> list[Tensor]:
        """First-group codec ids (B, F) + conditions -> one waveform per example (at the codec's
        normalised level: scale it to the level you want)."""
        if self.one_step:
            emb = self.vocoder(first, lengths, conditions)
        else:
            emb = self.codec.embed(self.vocoder.generate(first, lengths, conditions))  # type: ignore[operator]
        wav = self.codec.decode_embedding(emb)
        hop = self.codec.hop_length
        return [wav[i, : int(n) * hop] for i, n in enumerate(lengths)]

    @torch.no_grad()
    def first_group_only(self, first: Tensor, lengths: Tensor) -> list[Tensor]:
        """The baseline: the codec decoding the first group alone."""
        wav = self.codec.decode(first[:, None])
        hop = self.codec.hop_length
        return [wav[i, : int(n) * hop] for i, n in enumerate(lengths)]

    # --- dev -----------------------------------------------------------------------------------
    def on_validation_epoch_start(self) -> None:
        self._dev = {}

    def validation_step(
        self, batch: dict[str, Any], batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        out = self._loss(batch)
        bs = len(batch["ids"])
        pre = val_prefix(self, dataloader_idx)  # one validation loader per source
        multi = pre != "val/"
        self.log(
            pre + "loss", out["loss"], batch_size=bs, add_dataloader_idx=False, prog_bar=not multi
        )
        done = len(self._dev.get(pre + "stoi", []))
        if done >= self.cfg.n_valid:
            return
        from laura.data.dataset import read_audio
        from laura.metrics.audio import pesq_wb, stoi

        k = min(bs, self.cfg.n_valid - done)
        sub = {key: (v[:k] if isinstance(v, list) else v) for key, v in batch.items()}
        codes, lens, cond = self._inputs(sub)
        sr = self.codec.sample_rate
        systems = {
            "": self.synthesize(codes[:, 0], lens, cond),
            "_first": self.first_group_only(codes[:, 0], lens),
        }
        for i in range(k):
            t = batch["target_audio"][i]
            ref, _ = read_audio(t["path"], t.get("start"), t.get("end"))
            ref_t = torch.from_numpy(ref)
            for tag, wavs in systems.items():
                deg = match_length(wavs[i].float().cpu(), ref_t.shape[0])
                for name, fn in (("stoi", stoi), ("pesq", pesq_wb)):
                    v = fn(ref_t, deg, sr)
                    if not math.isnan(v):
                        self._dev.setdefault(f"{pre}{name}{tag}", []).append(v)

    def on_validation_epoch_end(self) -> None:
        for k, vals in self._dev.items():
            if vals:
                self.log(k, sum(vals) / len(vals), prog_bar=k.endswith("pesq"))


def match_length(wav: Tensor, n: int) -> Tensor:
    """Trim or zero-pad to n samples (codec output is a whole number of frames)."""
    return wav[:n] if wav.shape[0] >= n else F.pad(wav, (0, n - wav.shape[0]))


# --- export ---------------------------------------------------------------------------------------
def save_vocoder(module: VocoderModule, out_dir: str | Path) -> Path:
    """The vocoder as a model directory (``laura.artefact``): ``vocoder.json`` (configs, the codec
    it belongs to) + ``model.safetensors`` (predictor and CMVN; the codec is not copied)."""
    from laura.artefact import Artefact

    state = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    cfg = module.cfg
    meta = {
        "vocoder": asdict(cfg.vocoder),
        "frontend": asdict(cfg.frontend),
        "tokenizer": cfg.tokenizer.path,
        "codec": str(Path(cfg.codec).resolve()),
    }
    return Artefact("vocoder", meta, state).save(out_dir)


def load_vocoder(path: str | Path, codec: str | Path | Codec | None = None) -> VocoderModule:
    """A saved vocoder dir in eval mode, with its codec (``codec`` overrides the recorded path).

    Relative codec and tokenizer paths in vocoder.json are resolved against the vocoder dir (see
    ``laura.artefact.resolve_recorded_path``): a shipped vocoder loads from any directory."""
    from laura.artefact import Artefact, resolve_recorded_path
    from laura.text.tokenizer import QWEN2

    d = Path(path)
    meta_path, weights = d / "vocoder.json", d / "model.safetensors"
    art = Artefact.load(d)
    if art.kind != "vocoder":
        raise CheckpointError(f"{d}: a {art.kind} directory, not a vocoder (no {meta_path.name})")
    meta = art.meta
    meta["codec"] = resolve_recorded_path(meta["codec"], meta_path)
    if meta["tokenizer"] != QWEN2:
        meta["tokenizer"] = resolve_recorded_path(meta["tokenizer"], meta_path)
    vc = meta["vocoder"]
    vc["conditions"] = [asdict(ConditionConfig(**c)) for c in vc.get("conditions", [])]
    FrontendConfig(**meta["frontend"])  # unknown keys fail here, by name
    config = {
        "kind": "vocoder",
        "codec": str(codec if isinstance(codec, (str, Path)) else meta["codec"]),
        "vocoder": vc,
        "frontend": meta["frontend"],
        "tokenizer": {"path": meta["tokenizer"]},
    }
    codec_obj = codec if isinstance(codec, Codec) else None
    module = VocoderModule(from_container(config, VocoderExperimentConfig), codec_obj)
    missing, unexpected = module.load_state_dict(art.state, strict=False)
    if missing or unexpected:
        raise ValueError(
            f"{weights}: does not match {meta_path} "
            f"(missing {missing[:4]}, unexpected {unexpected[:4]})"
        )
    # The vocoder keeps a copy of the codebooks it was trained with: a codec dir that has since
    # been retrained in place would decode its outputs into noise without any other sign.
    v = module.vocoder
    saved = v.codebook[None] if isinstance(v, OneStepVocoder) else v.codebooks
    theirs = torch.stack([module.codec.codebook(i) for i in range(saved.shape[0])]).to(saved)
    if not torch.allclose(saved, theirs, atol=1e-3, rtol=1e-3):
        where = (
            codec
            if isinstance(codec, (str, Path))
            else meta["codec"]
            if codec is None
            else "the given codec"
        )
        raise ValueError(
            f"{d}: trained with another codec than {where} (its codebooks differ); "
            "pass the codec it was trained with (--codec)"
        )
    return module.eval()
