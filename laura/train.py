"""``laura train``: config -> validated data -> CMVN -> LightningModule -> Trainer.fit -> export.

Outputs in ``exp_dir``: config.yaml (resolved), cmvn.json, checkpoints/ (last.ckpt resumes),
logs/version_N/metrics.csv (one per run or resume) and curves.png, model.safetensors (weights only, what ``laura decode`` reads) and,
for CTC pre-training, encoder.safetensors (what ``encoder_init`` reads).
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig

from laura.config import ExperimentConfig, data_sources, save_config, to_container, to_object
from laura.errors import ConfigError, ExperimentError, TrainingError

# Keys a re-run may change and still continue the same experiment: budgets, logging cadence and
# decoding settings. Any other difference means another experiment.
RESUMABLE_KEYS = (
    "exp_dir",
    "trainer.max_steps",
    "trainer.max_epochs",
    "trainer.max_time",
    "trainer.enable_progress_bar",
    "trainer.log_every_n_steps",
    "trainer.checkpoint_every_n_steps",
    "trainer.val_check_interval",
    "trainer.limit_val_batches",
    "data.num_workers",
    "decode.",
)


def _flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for k, v in tree.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: tree}


def config_differences(saved: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """``key: old -> new`` for every key that differs, except the resumable ones."""
    a, b = _flatten(saved), _flatten(new)
    diffs = []
    for k in sorted(set(a) | set(b)):
        if any(k == r or (r.endswith(".") and k.startswith(r)) for r in RESUMABLE_KEYS):
            continue
        if a.get(k, "<absent>") != b.get(k, "<absent>"):
            diffs.append(f"{k}: {a.get(k, '<absent>')} -> {b.get(k, '<absent>')}")
    return diffs


def claim_experiment(cfg: Any, exp: Path, fresh: bool = False) -> None:
    """Make sure training into ``exp`` damages nothing; call before anything is written there.

    A new or empty directory is taken. One trained with the same config (up to budgets and
    logging: ``RESUMABLE_KEYS``) is continued. One trained with another config is refused,
    naming the keys that differ, unless ``fresh``: then its contents are moved aside to
    ``<exp>.replaced-<time>`` (nothing is deleted) and training starts anew."""
    from omegaconf import OmegaConf

    saved_path = exp / "config.yaml"
    if not saved_path.is_file():
        if fresh and exp.is_dir() and any(exp.iterdir()) and _is_main_process():
            _move_aside(exp)
        return
    if not _is_main_process():
        return  # a re-launched DDP rank: rank 0 checked and wrote this config
    try:
        saved = OmegaConf.to_container(OmegaConf.load(saved_path), resolve=True)
    except Exception as err:  # a torn or hand-edited file: not ours to judge, nor to overwrite
        raise ExperimentError(
            f"{saved_path}: unreadable ({err}); use --fresh to start anew"
        ) from None
    diffs = config_differences(saved, to_container(cfg))  # type: ignore[arg-type]
    if not diffs:
        return
    if not fresh:
        shown = "; ".join(diffs[:8]) + (f"; ... ({len(diffs)} keys)" if len(diffs) > 8 else "")
        raise ExperimentError(
            f"{exp}: trained with another config ({shown}); nothing was changed. Choose another "
            "exp_dir, or pass --fresh to move this experiment aside and start anew"
        )
    _move_aside(exp)


def _move_aside(exp: Path) -> None:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    dest = exp.with_name(f"{exp.name}.replaced-{stamp}")
    os.replace(exp, dest)
    exp.mkdir(parents=True)
    print(f"--fresh: the previous {exp} is now {dest}")


def absolute_tokenizer_path(cfg: Any) -> None:
    """A tokenizer given as a relative path is stored absolute in config.yaml, so decoding from
    another directory cannot pick up a different tokenizer of the same relative name."""
    p = Path(cfg.tokenizer.path)
    if not p.is_absolute() and p.exists():
        cfg.tokenizer.path = str(p.resolve())


def resolve_vocab(cfg: ExperimentConfig, tokenizer: Any) -> None:
    """``model.lm.vocab_size: 0`` means 'as large as the tokenizer'."""
    lm = cfg.model.lm
    if lm.pretrained:
        return
    if lm.vocab_size == 0:
        lm.vocab_size = tokenizer.vocab_size
    if tokenizer.vocab_size > lm.vocab_size:
        raise ValueError(
            f"tokenizer {cfg.tokenizer.path} has {tokenizer.vocab_size} tokens but model.lm.vocab_size "
            f"is {lm.vocab_size}: the LM cannot embed them"
        )


def compute_cmvn(
    records: list[dict[str, Any]], frontend: Any, out: Path, max_utts: int = 2000
) -> Any:
    """Global mean/variance of LFR features (``frontend``: a FrontendConfig) over (up to
    ``max_utts``) training utterances."""
    from tqdm import tqdm

    from laura.data.dataset import read_audio
    from laura.nn.frontend import GlobalCMVN, WavFrontend, accumulate_cmvn_stats

    fe = WavFrontend(frontend)
    step = max(1, len(records) // max_utts)
    chosen = records[::step][:max_utts]

    def feats() -> Any:
        for r in tqdm(chosen, desc="cmvn stats", leave=False):
            wav, _ = read_audio(r["audio"], r.get("start"), r.get("end"))
            f = fe(torch.from_numpy(wav), train=False)
            if not torch.isfinite(f).all():
                raise TrainingError(
                    f"{r['audio']}: utterance {r['id']} gives NaN/Inf features (CMVN statistics "
                    "would be NaN); fix or drop it (laura validate-data finds such files)"
                )
            yield f

    s, ss, n = accumulate_cmvn_stats(feats())
    cmvn = GlobalCMVN.from_stats(s, ss, n)
    cmvn.save(out)
    return cmvn


def build_module(cfg: ExperimentConfig, tokenizer: Any) -> Any:
    """The registry of trainable kinds: only these classes are ever built from a config."""
    container = to_container(cfg)
    if cfg.kind == "lauragpt":
        from laura.models.laura import LauraGPTModule

        return LauraGPTModule(container)
    if cfg.kind == "encoder_ctc":
        from laura.models.encoder import EncoderCTCModule

        return EncoderCTCModule(container, tokenizer.vocab_size)
    raise ValueError(f"kind={cfg.kind!r}: use lauragpt or encoder_ctc")


def _is_main_process() -> bool:
    return (
        int(os.environ.get("LOCAL_RANK", "0")) == 0 and int(os.environ.get("NODE_RANK", "0")) == 0
    )


def train(dcfg: DictConfig, callbacks: list[Any] | None = None, fresh: bool = False) -> Path:
    """Train as configured; ``callbacks`` are extra Lightning callbacks (hooks for tools and
    tests); ``fresh`` moves an experiment trained with another config aside instead of refusing
    (see ``claim_experiment``)."""
    import lightning as L

    from laura.data.datamodule import LauraDataModule
    from laura.models.common import plot_curves
    from laura.text.tokenizer import TextTokenizer

    # Our DataModule resumes mid-epoch itself (sampler state in the checkpoint).
    warnings.filterwarnings(
        "ignore", message=".*resuming from a checkpoint that ended before the epoch.*"
    )
    cfg = to_object(dcfg)
    if cfg.kind == "codec":
        return train_codec(cfg, callbacks, fresh)
    if cfg.kind == "vocoder":
        return train_vocoder(cfg, callbacks, fresh)
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    exp = Path(cfg.exp_dir)
    absolute_tokenizer_path(cfg)
    tokenizer = TextTokenizer(cfg.tokenizer.path)
    resolve_vocab(cfg, tokenizer)
    cfg.cmvn = cfg.cmvn or str(exp / "cmvn.json")
    claim_experiment(cfg, exp, fresh)
    exp.mkdir(parents=True, exist_ok=True)
    sources = data_sources(cfg.data)
    if not sources or not any(src.train for src in sources):
        raise ValueError("no training data: set data.train (or data.sources[*].train)")
    for src in sources:
        if src.task not in cfg.model.tasks:
            raise ValueError(
                f"data source task {src.task} is not among model.tasks {cfg.model.tasks}"
            )

    recs = source_records(cfg.data, sources, exp)
    cmvn = load_or_compute_cmvn(cfg, sources, recs, cfg.model.frontend, exp)
    save_config(cfg, exp / "config.yaml")

    module = build_module(cfg, tokenizer)
    target = module.model.cmvn if cfg.kind == "lauragpt" else module.cmvn
    target.load_state_dict(cmvn.state_dict())
    if cfg.kind == "lauragpt" and cfg.encoder_init:
        module.load_encoder(cfg.encoder_init)
    if cfg.init_from:
        load_weights(module, cfg.init_from)

    audio_offset = module.model.vocab.audio_offset if cfg.kind == "lauragpt" else 0
    dm = LauraDataModule(
        cfg.data,
        cfg.model.frontend,
        tokenizer,
        sources,
        recs,
        seed=cfg.seed,
        audio_offset=audio_offset,
    )
    trainer = make_trainer(cfg.trainer, exp, callbacks, seed=cfg.seed)
    fit_resumable(trainer, module, dm, exp)
    if trainer.is_global_zero:
        export_weights(module, exp / "model.safetensors")
        if cfg.kind == "encoder_ctc":
            module.export_encoder(exp / "encoder.safetensors")
        plot_curves(sorted((exp / "logs").glob("version_*/metrics.csv")), exp / "curves.png")
    return exp


def source_records(data: Any, sources: list[Any], exp: Path
                   ) -> list[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:  # fmt: skip
    """(train, valid) records per source; every data dir is checked before anything is trained."""
    from laura.data.prepare import load_records
    from laura.data.tasks import get_task

    def records(task: str, dirs: list[str], split: str) -> list[dict[str, Any]]:
        spec = get_task(task)
        tag = split if len(sources) == 1 else f"{task}_{split}"
        out: list[dict[str, Any]] = []
        for i, d in enumerate(dirs):
            out += load_records(
                d,
                validate=data.validate,
                check_audio=data.check_audio,
                skip_invalid=data.skip_invalid,
                skipped_list=exp / f"skipped_{tag}{i}.txt",
                require_text=spec.needs_text,
            )
        return out

    return [
        (records(s.task, list(s.train), "train"), records(s.task, list(s.valid), "valid"))
        for s in sources
    ]


def load_or_compute_cmvn(cfg: Any, sources: list[Any], recs: list[Any], frontend: Any,
                         exp: Path) -> Any:  # fmt: skip
    """``cfg.cmvn`` (or exp/cmvn.json) when present, else stats of the training utterances of
    tasks that read audio (what the features describe); sets ``cfg.cmvn`` to the file."""
    from laura.data.tasks import get_task
    from laura.nn.frontend import GlobalCMVN

    train_recs = [
        r for s, (tr, _) in zip(sources, recs) if "audio" in get_task(s.task).inputs for r in tr
    ]
    cmvn_path = Path(cfg.cmvn) if cfg.cmvn else exp / "cmvn.json"
    if cmvn_path.is_file():
        cmvn = GlobalCMVN.load(cmvn_path)
    elif not train_recs:  # no audio inputs (e.g. a TTS-only vocoder): identity stats
        cmvn = GlobalCMVN(frontend.feat_dim)
        cmvn.save(cmvn_path)
    elif _is_main_process() or cfg.trainer.strategy not in ("ddp",):
        cmvn = compute_cmvn(train_recs, frontend, cmvn_path)
    else:  # a re-launched DDP rank: rank 0 is writing the same stats
        while not cmvn_path.is_file():
            time.sleep(0.5)
        cmvn = GlobalCMVN.load(cmvn_path)
    cfg.cmvn = str(cmvn_path)
    return cmvn


def resolve_conditions(cfg: Any, tokenizer: Any, latent_dim: int) -> None:
    """``vocoder.conditions[*].dim: 0`` -> the tokenizer's vocabulary (tokens), the frontend's
    LFR dimension (features) or the codec's latent size (codec)."""
    for c in cfg.vocoder.conditions:
        if c.dim == 0:
            dims = {"tokens": tokenizer.vocab_size, "features": cfg.frontend.feat_dim,
                    "codec": latent_dim}  # fmt: skip
            c.dim = dims[c.kind]
        elif c.kind == "codec" and c.dim != latent_dim:
            raise ValueError(f"condition {c.name!r}: dim {c.dim} != the codec's latent size {latent_dim}")  # fmt: skip
        elif c.kind == "features" and c.dim != cfg.frontend.feat_dim:
            raise ValueError(f"condition {c.name!r}: dim {c.dim} != frontend feat_dim {cfg.frontend.feat_dim}")  # fmt: skip
        elif c.kind == "tokens" and c.dim < tokenizer.vocab_size:
            raise ValueError(f"condition {c.name!r}: dim {c.dim} < tokenizer vocabulary {tokenizer.vocab_size}")  # fmt: skip


def train_vocoder(cfg: Any, callbacks: list[Any] | None = None, fresh: bool = False) -> Path:
    """kind=vocoder: SE/TTS data dirs with codec tokens of all groups -> VocoderModule (codec
    frozen) -> ``exp_dir/vocoder`` (vocoder.json + model.safetensors, what decoding reads)."""
    import lightning as L

    from laura.data.datamodule import LauraDataModule
    from laura.data.tasks import get_task
    from laura.models.common import plot_curves
    from laura.models.vocoder import VocoderModule, needs_waveforms, save_vocoder
    from laura.text.tokenizer import TextTokenizer

    L.seed_everything(cfg.seed, workers=True, verbose=False)
    exp = Path(cfg.exp_dir)
    if not cfg.codec:
        raise ValueError("kind=vocoder needs codec=<codec dir> (the frozen codec it decodes with)")
    sources = data_sources(cfg.data)
    if not sources or not any(src.train for src in sources):
        raise ValueError("no training data: set data.train (or data.sources[*].train)")
    for s in sources:
        if get_task(s.task).output_kind != "audio":
            raise ValueError(f"data source task {s.task}: the vocoder trains on audio-output tasks (SE, TTS)")  # fmt: skip
    if cfg.data.token_groups < cfg.vocoder.n_q:
        raise ValueError(f"data.token_groups {cfg.data.token_groups} < vocoder.n_q {cfg.vocoder.n_q}")  # fmt: skip
    absolute_tokenizer_path(cfg)
    tokenizer = TextTokenizer(cfg.tokenizer.path)
    from laura.nn.codec import load_codec

    codec = load_codec(cfg.codec)
    resolve_conditions(cfg, tokenizer, codec.cfg.latent_dim)
    if needs_waveforms(cfg.vocoder.conditions):
        cfg.data.keep_waveforms = True
    cfg.cmvn = cfg.cmvn or str(exp / "cmvn.json")
    claim_experiment(cfg, exp, fresh)
    exp.mkdir(parents=True, exist_ok=True)
    recs = source_records(cfg.data, sources, exp)
    cmvn = load_or_compute_cmvn(cfg, sources, recs, cfg.frontend, exp)
    save_config(cfg, exp / "config.yaml")
    module = VocoderModule(to_container(cfg), codec)
    module.cmvn.load_state_dict(cmvn.state_dict())
    if cfg.init_from:
        load_weights(module, cfg.init_from)
    dm = LauraDataModule(cfg.data, cfg.frontend, tokenizer, sources, recs, seed=cfg.seed)
    trainer = make_trainer(cfg.trainer, exp, callbacks, seed=cfg.seed)
    fit_resumable(trainer, module, dm, exp)
    if trainer.is_global_zero:
        save_vocoder(module, exp / "vocoder")
        plot_curves(sorted((exp / "logs").glob("version_*/metrics.csv")), exp / "curves.png")
    return exp


def make_trainer(t: Any, exp: Path, callbacks: list[Any] | None = None, steps_per_batch: int = 1,
                 manual_optimization: bool = False, seed: int = 0) -> Any:  # fmt: skip
    """A Lightning Trainer from a TrainerConfig: CSV logs, last.ckpt every N steps, atomic writes.

    ``steps_per_batch``: Lightning counts each optimizer step (a GAN makes two per batch), so step
    budgets in the config, which count batches, are scaled by it."""
    import lightning as L
    from lightning.pytorch.callbacks import ModelCheckpoint
    from lightning.pytorch.loggers import CSVLogger

    from laura.models.common import AtomicCheckpointIO, FiniteTraining, StepSeed

    k = steps_per_batch
    if t.max_steps == 0 or (t.max_steps < 0 and not t.max_epochs and not t.max_time):
        raise ConfigError(
            f"trainer.max_steps={t.max_steps}: nothing would be trained (give a positive "
            "trainer.max_steps, or trainer.max_epochs / trainer.max_time)"
        )
    return L.Trainer(
        accelerator=t.accelerator,
        devices=t.devices,
        num_nodes=t.num_nodes,
        strategy=t.strategy,
        precision=t.precision,
        max_steps=t.max_steps * k if t.max_steps > 0 else t.max_steps,
        max_epochs=t.max_epochs,
        max_time=t.max_time,
        gradient_clip_val=None if manual_optimization else t.gradient_clip_val,
        accumulate_grad_batches=t.accumulate_grad_batches,
        val_check_interval=t.val_check_interval,
        check_val_every_n_epoch=t.check_val_every_n_epoch,
        limit_val_batches=t.limit_val_batches,
        log_every_n_steps=t.log_every_n_steps,
        num_sanity_val_steps=t.num_sanity_val_steps,
        enable_progress_bar=t.enable_progress_bar,
        deterministic=t.deterministic,
        default_root_dir=str(exp),
        logger=CSVLogger(
            str(exp), name="logs", flush_logs_every_n_steps=t.log_every_n_steps
        ),  # logs/version_N: a resume never overwrites
        callbacks=[
            ModelCheckpoint(
                dirpath=str(exp / "checkpoints"),
                save_last=True,
                save_top_k=0,
                every_n_train_steps=t.checkpoint_every_n_steps * k,
            ),
            StepSeed(seed),
            FiniteTraining(),
            *(callbacks or []),
        ],
        plugins=[AtomicCheckpointIO()],
        use_distributed_sampler=False,  # the bucketed sampler is rank-aware itself
        enable_model_summary=False,
    )


def fit_resumable(trainer: Any, module: Any, datamodule: Any, exp: Path) -> None:
    """Fit, resuming from ``exp/checkpoints/last.ckpt`` when present (loaded weights-only), and
    save where we ended there, so a re-run with a larger budget continues."""
    last = exp / "checkpoints" / "last.ckpt"
    ckpt_path = str(last) if last.is_file() else None
    if ckpt_path:
        print(f"resuming from {ckpt_path}")
    trainer.fit(module, datamodule=datamodule, ckpt_path=ckpt_path, weights_only=True)
    trainer.save_checkpoint(str(last), weights_only=False)


def train_codec(cfg: Any, callbacks: list[Any] | None = None, fresh: bool = False) -> Path:
    """kind=codec: audio-only data dirs -> CodecModule (GAN) -> ``exp_dir/codec`` (codec.json +
    model.safetensors, what ``laura codec-tokens`` and the vocoder read)."""
    import lightning as L

    from laura.data.prepare import load_records
    from laura.data.segments import AudioSegmentDataModule
    from laura.models.codec import CodecModule
    from laura.models.common import plot_curves
    from laura.nn.codec import load_codec, save_codec

    # Checkpoints after the optimizer steps are what a resume wants.
    warnings.filterwarnings("ignore", message=".*manual optimization and every_n_train_steps.*")
    L.seed_everything(cfg.seed, workers=True, verbose=False)
    exp = Path(cfg.exp_dir)
    d = cfg.data
    if not d.train:
        raise ValueError("no training data: set data.train")
    claim_experiment(cfg, exp, fresh)
    exp.mkdir(parents=True, exist_ok=True)

    def records(dirs: list[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for x in dirs:
            out += load_records(
                x, validate=d.validate, check_audio=d.check_audio, require_text=False
            )
        return out

    train_recs, valid_recs = records(list(d.train)), records(list(d.valid))
    save_config(cfg, exp / "config.yaml")
    module = CodecModule(to_container(cfg))
    if cfg.init_from:
        try:
            missing, unexpected = module.codec.load_state_dict(
                load_codec(cfg.init_from).state_dict(), strict=False
            )
        except RuntimeError as e:  # shapes differ
            raise ValueError(f"init_from {cfg.init_from}: does not match the codec config "
                             f"({str(e).splitlines()[1].strip()} ...)") from e  # fmt: skip
        # plain -> harmonic -> explicit-F0 harmonic: new heads start at their init, the F0
        # estimator of a harmonic codec is dropped by an explicit-F0 one
        new = ("decoder.harm_head.", "encoder.pitch_in.", "decoder.gain_head.")
        missing = [k for k in missing if not k.startswith(new)]
        if cfg.codec.explicit_f0:
            unexpected = [k for k in unexpected if not k.startswith("decoder.harm_head.")]
        if missing or unexpected:
            raise ValueError(f"init_from {cfg.init_from}: does not match the codec config "
                             f"(missing {missing[:5]}, unexpected {unexpected[:5]})")  # fmt: skip
    seg = int(round(d.segment_seconds * cfg.codec.sample_rate))
    dm = AudioSegmentDataModule(train_recs, valid_recs, seg, d.batch_size, d.num_workers, d.n_valid,
                                cfg.codec.sample_rate, seed=cfg.seed)  # fmt: skip
    trainer = make_trainer(
        cfg.trainer, exp, callbacks, module.n_optimizers, manual_optimization=True, seed=cfg.seed
    )
    fit_resumable(trainer, module, dm, exp)
    if trainer.is_global_zero:
        save_codec(
            module.codec.eval(),
            exp / "codec",
            {"trained_steps": trainer.global_step // module.n_optimizers},
        )
        plot_curves(sorted((exp / "logs").glob("version_*/metrics.csv")), exp / "curves.png")
    return exp


def load_weights(module: torch.nn.Module, path: str | Path) -> None:
    """Start from an earlier stage's weights (safetensors, or a checkpoint read weights-only)."""
    from laura.checkpoints import load_state

    load_state(module, path, what="init_from weights")


def export_weights(module: torch.nn.Module, path: Path) -> None:
    """The trained weights (safetensors), refused when any is NaN/Inf (nothing is written)."""
    from laura.io import atomic_save_safetensors

    bad = [n for n, p in module.state_dict().items() if p.is_floating_point() and not torch.isfinite(p).all()]  # fmt: skip
    if bad:
        raise TrainingError(f"{path}: not written: weights {bad[:3]} hold NaN/Inf")
    atomic_save_safetensors(path, module)
