"""CodecModule: trains the codec as a GAN with manual optimisation (generator and discriminator
take turns each step), as EnCodec and FunCodec do.

Generator loss = time L1 + multi-scale mel (+ power spectrum) + commitment
                 + adversarial (hinge) + feature matching, the last two from step
                 ``loss.disc_start_step`` on; ``loss.adversarial: 0`` trains without a
                 discriminator.
Dev metrics at each validation, per number of quantizers in ``eval_n_q``: PESQ-wb, STOI and mel
distance of the decoded tokens against the original (``val/pesq_q32`` ...).
"""

from __future__ import annotations

import math
from typing import Any

import lightning as L
import torch
import torch.nn.functional as F

from laura.config import CodecExperimentConfig, to_container
from laura.models.common import lr_lambda
from laura.nn.codec.codec import Codec
from laura.nn.codec.discriminator import MultiScaleSTFTDiscriminator
from laura.nn.codec.losses import (
    MultiScaleSpectralLoss,
    discriminator_hinge,
    feature_matching,
    generator_hinge,
)
from laura.nn.codec.pitch import yin


class CodecModule(L.LightningModule):
    def __init__(self, cfg: CodecExperimentConfig) -> None:
        super().__init__()
        self.save_hyperparameters({"config": to_container(cfg)})
        self.cfg = cfg
        self.automatic_optimization = False
        c, lw = self.cfg.codec, self.cfg.loss
        self.codec = Codec(c)
        self.spectral = MultiScaleSpectralLoss(
            c.sample_rate, log_floor=lw.mel_log_floor, power_spec=lw.power_spec
        )
        self.discriminator = (
            MultiScaleSTFTDiscriminator(lw.disc_filters, tuple(lw.disc_n_ffts))
            if lw.adversarial > 0
            else None
        )
        bad = [n for n in self.cfg.eval_n_q if not 1 <= n <= c.n_q]
        if bad:
            raise ValueError(f"eval_n_q {bad} outside 1..{c.n_q} (codec.n_q)")

    # --- optimisation -------------------------------------------------------------------------
    def configure_optimizers(self) -> Any:
        o = self.cfg.optim
        total = max(1, self.cfg.trainer.max_steps)
        betas = tuple(o.betas)
        params = (self.codec.decoder if self.cfg.freeze_encoder else self.codec).parameters()
        opts = [torch.optim.Adam(params, lr=o.lr, betas=betas)]  # type: ignore[arg-type]
        if self.discriminator is not None:
            opts.append(torch.optim.Adam(self.discriminator.parameters(), lr=o.lr, betas=betas))  # type: ignore[arg-type]
        scheds = [torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(o, total)) for opt in opts]
        return opts, scheds

    def _clip(self, opt: Any) -> None:
        clip = self.cfg.trainer.gradient_clip_val
        if clip and clip > 0:
            self.clip_gradients(opt, gradient_clip_val=clip, gradient_clip_algorithm="norm")

    @property
    def n_optimizers(self) -> int:
        """Lightning counts every optimizer step as a global step: with a discriminator, one batch
        is two steps (``laura train`` scales the step budget accordingly)."""
        return 1 if self.discriminator is None else 2

    def init_codec_from(self, path: str) -> None:
        """Start from a trained codec dir (codec.json + model.safetensors). The upgrade path
        plain -> harmonic -> explicit-F0 harmonic is allowed: new heads start at their init, and
        an explicit-F0 codec drops the F0 estimator of a harmonic one."""
        from laura.errors import CheckpointError
        from laura.nn.codec import load_codec

        try:
            missing, unexpected = self.codec.load_state_dict(
                load_codec(path).state_dict(), strict=False
            )
        except RuntimeError as e:  # shapes differ
            raise CheckpointError(
                f"init_from {path}: does not match the codec config "
                f"({str(e).splitlines()[1].strip()} ...)"
            ) from None
        new = ("decoder.harm_head.", "encoder.pitch_in.", "decoder.gain_head.")
        missing = [k for k in missing if not k.startswith(new)]
        if self.cfg.codec.explicit_f0:
            unexpected = [k for k in unexpected if not k.startswith("decoder.harm_head.")]
        if missing or unexpected:
            raise CheckpointError(
                f"init_from {path}: does not match the codec config "
                f"(missing {missing[:5]}, unexpected {unexpected[:5]})"
            )

    def _gan_on(self) -> bool:
        batches = self.global_step // self.n_optimizers
        return self.discriminator is not None and batches >= self.cfg.loss.disc_start_step

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        lw = self.cfg.loss
        opts = self.optimizers()
        opts = opts if isinstance(opts, list) else [opts]
        scheds = self.lr_schedulers()
        scheds = scheds if isinstance(scheds, list) else [scheds]
        f0 = voiced = None
        if self.cfg.codec.harmonic and not self.cfg.codec.explicit_f0:  # explicit: F0 is YIN
            f0, voiced = self._f0_targets(batch["wav"])
        out = self.codec(batch["wav"], freeze_encoder=self.cfg.freeze_encoder, f0=f0)
        x, y = out["input"], out["recon"]
        bs = x.shape[0]

        gan = self._gan_on()
        if self.discriminator is not None:  # trained from the start; G uses it from disc_start_step
            d_real, _ = self.discriminator(x)
            d_fake, _ = self.discriminator(y.detach())
            d_loss = discriminator_hinge(d_real, d_fake)
            opts[1].zero_grad()
            self.manual_backward(d_loss)
            self._clip(opts[1])
            opts[1].step()
            self.log("train/d_loss", d_loss, batch_size=bs)

        spec = self.spectral(x, y)
        l1 = F.l1_loss(y, x)
        g_loss = (
            lw.time_l1 * l1
            + lw.spectral * (spec["mel"] + spec["spec"])
            + lw.commit * out["commit_loss"]
        )
        if f0 is not None and voiced is not None:
            f0_l1 = (out["log_f0"] - f0.log()).abs()[voiced].mean() if voiced.any() else g_loss * 0
            g_loss = g_loss + lw.f0 * f0_l1
            self.log("train/f0_l1", f0_l1, batch_size=bs)
        if gan:
            assert self.discriminator is not None
            self.discriminator.requires_grad_(False)
            logits, fake_feats = self.discriminator(y)
            with torch.no_grad():
                _, real_feats = self.discriminator(x)
            adv, feat = generator_hinge(logits), feature_matching(real_feats, fake_feats)
            g_loss = g_loss + lw.adversarial * adv + lw.feature * feat
            self.discriminator.requires_grad_(True)
            self.log_dict({"train/adv": adv, "train/feat": feat}, batch_size=bs)
        opts[0].zero_grad()
        self.manual_backward(g_loss)
        self._clip(opts[0])
        opts[0].step()
        for s in scheds:
            s.step()
        self.log_dict(
            {
                "train/loss": g_loss,
                "train/mel": spec["mel"],
                "train/l1": l1,
                "train/commit": out["commit_loss"],
                "train/n_q": float(out["codes"].shape[1]),
                "lr": opts[0].param_groups[0]["lr"],
            },
            batch_size=bs,
        )
        self.log("train/mel_loss", spec["mel"], prog_bar=True, batch_size=bs, logger=False)

    def _f0_targets(self, wav: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """YIN F0 (Hz) and voicing per decoder STFT frame of the batch's waveforms."""
        c = self.cfg.codec
        with torch.no_grad():
            f0, voiced = yin(wav, c.sample_rate, c.stft_hop)
        frames = self.codec.num_frames(wav.shape[-1]) * (c.hop_length // c.stft_hop) + 1
        pad = max(0, frames - f0.shape[-1])
        f0 = F.pad(f0, (0, pad), mode="replicate")[:, :frames]
        return f0, F.pad(voiced, (0, pad))[:, :frames]

    # --- dev metrics ---------------------------------------------------------------------------
    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        from laura.metrics.audio import mel_distance, pesq_wb, stoi

        wav = batch["wav"][:, : int(batch["lens"][0])]
        sr = self.cfg.codec.sample_rate
        tokens, scale = self.codec.encode(wav)
        for n in self.cfg.eval_n_q:
            recon = self.codec.decode(tokens[:, :n], scale, length=wav.shape[-1])
            ref, deg = wav[0].cpu(), recon[0].cpu()
            for name, fn in (("pesq", pesq_wb), ("stoi", stoi), ("mel", mel_distance)):
                v = fn(ref, deg, sr)
                if not math.isnan(v):
                    self.log(
                        f"val/{name}_q{n}",
                        v,
                        batch_size=1,
                        prog_bar=(name == "pesq" and n == max(self.cfg.eval_n_q)),
                    )
        full = self.codec.decode(tokens, scale, length=wav.shape[-1])
        self.log("val/loss", self.spectral(wav, full)["mel"], batch_size=1)
