"""The trainable kinds: what varies between them, in one small object each, and their registry.

``train``, ``info`` and ``decode`` ask the experiment's kind instead of branching on its name
(after ESPnet's ``AbsTask``: the loop is shared, the kind says what it needs):

- ``schema``: its config dataclass (``laura.config``), the one typed form from load to export;
- ``prepare(cfg)``: derive and check config values before anything is written (a tokenizer's
  vocabulary size, a vocoder condition's width), and open what the later steps share;
- ``load_data(cfg, exp, ready)``: validated records (and CMVN statistics) of the training data;
- ``build(cfg, ready)``: the LightningModule, initialised (CMVN, earlier stages' weights);
- ``datamodule(cfg, ready)``, ``optimizers`` (a GAN steps twice per batch), ``export``;
- ``parameter_counts(cfg)``: counted on the meta device (the 2B config costs no memory);
- ``decodes``: the tasks' outputs it can decode (``laura decode``), none for the codec and the
  vocoder, which have their own verbs.

Only the classes named here are ever built from a config. This module imports Lightning and the
models lazily: choosing a schema must not pay for them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import torch

from laura.config import (
    CodecExperimentConfig,
    ExperimentConfig,
    TextLMExperimentConfig,
    VocoderExperimentConfig,
    data_sources,
    load_structured,
    peek_kind,
)
from laura.errors import ConfigError


@dataclass
class Prepared:
    """What a kind opened and read before training: shared by the later steps."""

    tokenizer: Any = None
    codec: Any = None
    sources: list[Any] = field(default_factory=list)
    records: Any = None  # per source (train, valid) records; the codec: (train, valid)
    cmvn: Any = None


class ModelKind:
    """One trainable kind. Subclasses set ``name`` and ``schema`` and say what differs."""

    name: ClassVar[str]
    schema: ClassVar[type]
    decodes: ClassVar[tuple[str, ...]] = ()  # output kinds `laura decode` makes with it
    export_name: ClassVar[str] = "model.safetensors"  # what training leaves in exp_dir

    def prepare(self, cfg: Any) -> Prepared:
        return Prepared()

    def load_data(self, cfg: Any, exp: Path, ready: Prepared) -> None:
        raise NotImplementedError

    def build(self, cfg: Any, ready: Prepared) -> Any:
        raise NotImplementedError

    def initialise(self, module: Any, cfg: Any, ready: Prepared) -> None:
        """Weights that do not come from the checkpoint being resumed: CMVN statistics, an
        earlier stage's weights (``init_from``)."""
        if ready.cmvn is not None:
            module.cmvn.load_state_dict(ready.cmvn.state_dict())
        if cfg.init_from:
            from laura.checkpoints import load_state

            load_state(module, cfg.init_from, what="init_from weights")

    def datamodule(self, cfg: Any, ready: Prepared, module: Any) -> Any:
        raise NotImplementedError

    def steps_per_batch(self, module: Any) -> int:
        """Optimizer steps per batch: Lightning counts each, the config's budgets count batches."""
        return 1

    def export(self, module: Any, exp: Path, trainer: Any) -> None:
        export_weights(module, exp / self.export_name)

    def parameter_counts(self, cfg: Any) -> dict[str, Any]:
        raise NotImplementedError

    def for_decoding(self, cfg: Any) -> Any:
        """The module to load trained weights into for ``laura decode``."""
        if not self.decodes:
            raise ConfigError(
                f"kind={self.name}: nothing to decode with `laura decode` ({_OWN_VERBS[self.name]})"
            )
        return self.build(cfg, self.prepare_for_decoding(cfg))

    def prepare_for_decoding(self, cfg: Any) -> Prepared:
        from laura.text.tokenizer import TextTokenizer

        return Prepared(tokenizer=TextTokenizer(cfg.tokenizer.path))


_OWN_VERBS = {
    "codec": "use laura codec-tokens / codec-eval",
    "vocoder": "use laura vocoder-eval, or pass it to laura decode --vocoder",
    "text_lm": "LauraGPT reads its lm/ directory as model.lm.pretrained",
}


# --- the shared steps of the kinds that read Kaldi-style task data --------------------------------


def absolute_tokenizer_path(cfg: Any) -> None:
    """A tokenizer given as a relative path is stored absolute in config.yaml, so decoding from
    another directory cannot pick up a different tokenizer of the same relative name."""
    p = Path(cfg.tokenizer.path)
    if not p.is_absolute() and p.exists():
        cfg.tokenizer.path = str(p.resolve())


def training_sources(cfg: Any) -> list[Any]:
    sources = data_sources(cfg.data)
    if not sources or not any(src.train for src in sources):
        raise ValueError("no training data: set data.train (or data.sources[*].train)")
    return sources


def source_records(
    data: Any, sources: list[Any], exp: Path
) -> list[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """(train, valid) records per source; every data dir, and the codec tokens of every audio
    target, is checked before anything is trained."""
    from laura.data.datamodule import check_token_coverage
    from laura.data.records import load_records
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

    out = []
    for s in sources:
        pair = (records(s.task, list(s.train), "train"), records(s.task, list(s.valid), "valid"))
        for recs, dirs in zip(pair, (s.train, s.valid)):
            prompts = data.prompt_prob > 0
            check_token_coverage(
                get_task(s.task), recs, list(dirs), data.token_dir, prompts, data.token_groups
            )
        out.append(pair)
    return out


def output_token_shares(
    sources: list[Any],
    records: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]],
    tokenizer: Any,
    frame_rate: float,
) -> list[dict[str, Any]]:
    """Each source's share of an epoch's output tokens (what the token-mean loss weighs them
    by): text targets through ``tokenizer``, audio targets at ``frame_rate`` codec tokens a
    second of the utterance, one end token each, times the source's repeat factor."""
    from laura.data.tasks import get_task

    rows = []
    for src, (train, _) in zip(sources, records):
        spec = get_task(src.task)
        if spec.output_kind == "text":
            n = sum(len(tokenizer.encode(spec.target_text(r))) + 1 for r in train)
        else:
            n = sum(round(float(r.get("duration") or 0.0) * frame_rate) + 1 for r in train)
        rows.append({"task": src.task, "utts": len(train), "repeat": src.repeat, "tokens": n})
    total = sum(r["tokens"] * r["repeat"] for r in rows) or 1
    for r in rows:
        r["share"] = r["tokens"] * r["repeat"] / total
    return rows


def format_token_shares(rows: list[dict[str, Any]]) -> str:
    """The table `laura train` prints when a LauraGPT training starts."""
    lines = ["data source      utts  repeat  output tokens/utt  share of the loss"]
    for i, r in enumerate(rows):
        name, per = f"{i}: {r['task']}", r["tokens"] / max(r["utts"], 1)
        share = f"{100 * r['share']:.1f}%"
        lines.append(f"{name:<12} {r['utts']:>8} {r['repeat']:>7} {per:>18.1f} {share:>18}")
    return "\n".join(lines)


def compute_cmvn(
    records: list[dict[str, Any]], frontend: Any, out: Path, max_utts: int = 2000
) -> Any:
    """Global mean/variance of LFR features (``frontend``: a FrontendConfig) over (up to
    ``max_utts``) training utterances."""
    from tqdm import tqdm

    from laura.data.dataset import read_audio
    from laura.errors import TrainingError
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


def load_or_compute_cmvn(
    cfg: Any, sources: list[Any], recs: list[Any], frontend: Any, exp: Path
) -> Any:
    """``cfg.cmvn`` (or exp/cmvn.json) when present, else stats of the training utterances of
    tasks that read audio (what the features describe); sets ``cfg.cmvn`` to the file."""
    import time

    from laura.data.tasks import get_task
    from laura.experiment import is_main_process
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
    elif is_main_process() or cfg.trainer.strategy not in ("ddp",):
        cmvn = compute_cmvn(train_recs, frontend, cmvn_path)
    else:  # a re-launched DDP rank: rank 0 is writing the same stats
        while not cmvn_path.is_file():
            time.sleep(0.5)
        cmvn = GlobalCMVN.load(cmvn_path)
    cfg.cmvn = str(cmvn_path)
    return cmvn


def export_weights(module: torch.nn.Module, path: Path) -> None:
    """The trained weights (safetensors), refused when any is NaN/Inf (nothing is written)."""
    from laura.errors import TrainingError
    from laura.io import atomic_save_safetensors

    bad = [
        n
        for n, p in module.state_dict().items()
        if p.is_floating_point() and not torch.isfinite(p).all()
    ]
    if bad:
        raise TrainingError(f"{path}: not written: weights {bad[:3]} hold NaN/Inf")
    atomic_save_safetensors(path, module)


def _numel(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _tokenizer_size(cfg: Any, what: str, hint: str) -> int:
    from laura.text.tokenizer import TextTokenizer

    try:
        return TextTokenizer(cfg.tokenizer.path).vocab_size
    except FileNotFoundError as err:
        raise FileNotFoundError(
            f"{what} takes its size from the tokenizer, which is not built yet ({err}); {hint}"
        ) from None


def _text_vocab(cfg: ExperimentConfig) -> int:
    lm = cfg.model.lm
    if lm.pretrained or lm.vocab_size:
        return lm.vocab_size
    return _tokenizer_size(cfg, "model.lm.vocab_size=0", "pass model.lm.vocab_size=N")


# --- the kinds ------------------------------------------------------------------------------------


class LauraGPTKind(ModelKind):
    """The joint model: encoder + GPT backbone on the unified sequence of every task."""

    name = "lauragpt"
    schema = ExperimentConfig
    decodes = ("text", "audio")

    def prepare(self, cfg: ExperimentConfig) -> Prepared:
        from laura.text.tokenizer import TextTokenizer

        absolute_tokenizer_path(cfg)
        tokenizer = TextTokenizer(cfg.tokenizer.path)
        lm = cfg.model.lm
        if not lm.pretrained:  # model.lm.vocab_size: 0 means "as large as the tokenizer"
            if lm.vocab_size == 0:
                lm.vocab_size = tokenizer.vocab_size
            if tokenizer.vocab_size > lm.vocab_size:
                raise ValueError(
                    f"tokenizer {cfg.tokenizer.path} has {tokenizer.vocab_size} tokens but "
                    f"model.lm.vocab_size is {lm.vocab_size}: the LM cannot embed them"
                )
        cfg.cmvn = cfg.cmvn or str(Path(cfg.exp_dir) / "cmvn.json")
        sources = training_sources(cfg)
        for src in sources:
            if src.task not in cfg.model.tasks:
                raise ValueError(
                    f"data source task {src.task} is not among model.tasks {cfg.model.tasks}"
                )
        return Prepared(tokenizer=tokenizer, sources=sources)

    def load_data(self, cfg: ExperimentConfig, exp: Path, ready: Prepared) -> None:
        ready.records = source_records(cfg.data, ready.sources, exp)
        if len(ready.sources) > 1 and int(os.environ.get("RANK", "0")) == 0:
            # the loss is a token mean: how much each task weighs is worth seeing before hours
            shares = output_token_shares(
                ready.sources, ready.records, ready.tokenizer, cfg.model.codec_frame_rate
            )
            print(format_token_shares(shares), flush=True)
        ready.cmvn = load_or_compute_cmvn(
            cfg, ready.sources, ready.records, cfg.model.frontend, exp
        )

    def build(self, cfg: ExperimentConfig, ready: Prepared) -> Any:
        from laura.models.laura import LauraGPTModule

        return LauraGPTModule(cfg)

    def initialise(self, module: Any, cfg: ExperimentConfig, ready: Prepared) -> None:
        module.model.cmvn.load_state_dict(ready.cmvn.state_dict())
        if cfg.encoder_init:
            module.load_encoder(cfg.encoder_init)
        super().initialise(module, cfg, Prepared())

    def datamodule(self, cfg: ExperimentConfig, ready: Prepared, module: Any) -> Any:
        from laura.data.datamodule import LauraDataModule

        return LauraDataModule(
            cfg.data,
            cfg.model.frontend,
            ready.tokenizer,
            ready.sources,
            ready.records,
            seed=cfg.seed,
            audio_offset=self._audio_offset(module),
        )

    @staticmethod
    def _audio_offset(module: Any) -> int:
        return module.model.vocab.audio_offset

    def parameter_counts(self, cfg: ExperimentConfig) -> dict[str, Any]:
        from laura.nn.lauragpt import LauraGPT

        cfg.model.lm.vocab_size = _text_vocab(cfg)
        with torch.device("meta"):
            model = LauraGPT(cfg.model)
        return {"parameters": model.parameter_counts(), "vocab": model.vocab.describe()}


class EncoderCTCKind(LauraGPTKind):
    """CTC pre-training of the Conformer encoder (what ``encoder_init`` of LauraGPT reads)."""

    name = "encoder_ctc"
    decodes = ("text",)

    def build(self, cfg: ExperimentConfig, ready: Prepared) -> Any:
        from laura.models.encoder import EncoderCTCModule

        return EncoderCTCModule(cfg, ready.tokenizer.vocab_size)

    def initialise(self, module: Any, cfg: ExperimentConfig, ready: Prepared) -> None:
        ModelKind.initialise(self, module, cfg, ready)

    @staticmethod
    def _audio_offset(module: Any) -> int:
        return 0

    def export(self, module: Any, exp: Path, trainer: Any) -> None:
        super().export(module, exp, trainer)
        module.export_encoder(exp / "encoder.safetensors")

    def parameter_counts(self, cfg: ExperimentConfig) -> dict[str, Any]:
        from laura.nn.conformer import ConformerEncoder
        from laura.nn.ctc import CTCHead

        vocab = _text_vocab(cfg)
        with torch.device("meta"):
            enc = ConformerEncoder(cfg.model.encoder)
            head = CTCHead(cfg.model.encoder.d_model, vocab)
        counts = {"encoder": _numel(enc), "ctc_head": _numel(head)}
        counts["total"] = counts["encoder"] + counts["ctc_head"]
        return {"parameters": counts, "vocab": {"text": vocab, "ctc_blank": 1}}


class CodecKind(ModelKind):
    """The RVQ codec, trained as a GAN (generator and discriminator step in turn)."""

    name = "codec"
    schema = CodecExperimentConfig
    export_name = "codec"

    def prepare(self, cfg: CodecExperimentConfig) -> Prepared:
        import warnings

        # Checkpoints after the optimizer steps are what a resume wants.
        warnings.filterwarnings("ignore", message=".*manual optimization and every_n_train_steps.*")
        if not cfg.data.train:
            raise ValueError("no training data: set data.train")
        return Prepared()

    def load_data(self, cfg: CodecExperimentConfig, exp: Path, ready: Prepared) -> None:
        from laura.data.records import load_records

        d = cfg.data

        def records(dirs: list[str]) -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            for x in dirs:
                out += load_records(
                    x, validate=d.validate, check_audio=d.check_audio, require_text=False
                )
            return out

        ready.records = (records(list(d.train)), records(list(d.valid)))

    def build(self, cfg: CodecExperimentConfig, ready: Prepared) -> Any:
        from laura.models.codec import CodecModule

        return CodecModule(cfg)

    def initialise(self, module: Any, cfg: CodecExperimentConfig, ready: Prepared) -> None:
        if cfg.init_from:
            module.init_codec_from(cfg.init_from)

    def steps_per_batch(self, module: Any) -> int:
        return module.n_optimizers  # generator, and discriminator when there is one

    def datamodule(self, cfg: CodecExperimentConfig, ready: Prepared, module: Any) -> Any:
        from laura.data.codec_segments import AudioSegmentDataModule

        d = cfg.data
        seg = int(round(d.segment_seconds * cfg.codec.sample_rate))
        train, valid = ready.records
        return AudioSegmentDataModule(
            train,
            valid,
            seg,
            d.batch_size,
            d.num_workers,
            d.n_valid,
            cfg.codec.sample_rate,
            seed=cfg.seed,
        )

    def export(self, module: Any, exp: Path, trainer: Any) -> None:
        from laura.nn.codec import save_codec

        steps = {"trained_steps": trainer.global_step // module.n_optimizers}
        save_codec(module.codec.eval(), exp / self.export_name, steps)

    def parameter_counts(self, cfg: CodecExperimentConfig) -> dict[str, Any]:
        from laura.nn.codec import Codec
        from laura.nn.codec.discriminator import MultiScaleSTFTDiscriminator

        c, loss = cfg.codec, cfg.loss
        with torch.device("meta"):
            codec = Codec(c)
            disc = (
                MultiScaleSTFTDiscriminator(loss.disc_filters, tuple(loss.disc_n_ffts))
                if loss.adversarial > 0
                else None
            )
        counts = {name: _numel(getattr(codec, name)) for name in ("encoder", "decoder")}
        counts["codebooks"] = c.n_q * c.codebook_size * c.latent_dim  # EMA buffers
        counts["discriminator"] = _numel(disc) if disc is not None else 0
        counts["total"] = counts["encoder"] + counts["decoder"]  # trainable codec parameters
        vocab = {"codebooks": c.n_q, "entries": c.codebook_size, "frame_rate_hz": c.frame_rate}
        return {"parameters": counts, "vocab": vocab}


class VocoderKind(ModelKind):
    """The one-step vocoder (or the multi-step baseline) on SE/TTS targets, the codec frozen."""

    name = "vocoder"
    schema = VocoderExperimentConfig
    export_name = "vocoder"

    def prepare(self, cfg: VocoderExperimentConfig) -> Prepared:
        from laura.data.tasks import get_task
        from laura.models.vocoder import needs_waveforms
        from laura.nn.codec import load_codec
        from laura.text.tokenizer import TextTokenizer

        if not cfg.codec:
            raise ValueError(
                "kind=vocoder needs codec=<codec dir> (the frozen codec it decodes with)"
            )
        sources = training_sources(cfg)
        for s in sources:
            if get_task(s.task).output_kind != "audio":
                raise ValueError(
                    f"data source task {s.task}: the vocoder trains on audio-output tasks (SE, TTS)"
                )
        if cfg.data.token_groups < cfg.vocoder.n_q:
            raise ValueError(
                f"data.token_groups {cfg.data.token_groups} < vocoder.n_q {cfg.vocoder.n_q}"
            )
        absolute_tokenizer_path(cfg)
        tokenizer = TextTokenizer(cfg.tokenizer.path)
        codec = load_codec(cfg.codec)
        resolve_conditions(cfg, tokenizer.vocab_size, codec.cfg.latent_dim)
        if needs_waveforms(cfg.vocoder.conditions):
            cfg.data.keep_waveforms = True
        cfg.cmvn = cfg.cmvn or str(Path(cfg.exp_dir) / "cmvn.json")
        return Prepared(tokenizer=tokenizer, codec=codec, sources=sources)

    def load_data(self, cfg: VocoderExperimentConfig, exp: Path, ready: Prepared) -> None:
        ready.records = source_records(cfg.data, ready.sources, exp)
        ready.cmvn = load_or_compute_cmvn(cfg, ready.sources, ready.records, cfg.frontend, exp)

    def build(self, cfg: VocoderExperimentConfig, ready: Prepared) -> Any:
        from laura.models.vocoder import VocoderModule

        return VocoderModule(cfg, ready.codec)

    def datamodule(self, cfg: VocoderExperimentConfig, ready: Prepared, module: Any) -> Any:
        from laura.data.datamodule import LauraDataModule

        return LauraDataModule(
            cfg.data, cfg.frontend, ready.tokenizer, ready.sources, ready.records, seed=cfg.seed
        )

    def export(self, module: Any, exp: Path, trainer: Any) -> None:
        from laura.models.vocoder import save_vocoder

        save_vocoder(module, exp / self.export_name)

    def parameter_counts(self, cfg: VocoderExperimentConfig) -> dict[str, Any]:
        from laura.nn.vocoder import MultiStepVocoder, OneStepVocoder

        vc = cfg.vocoder
        # dim 0 = derived at training time; counted here with the usual sizes
        for c in vc.conditions:
            if c.dim == 0 and c.kind == "tokens":
                c.dim = _tokenizer_size(
                    cfg, f"condition {c.name!r}", "pass vocoder.conditions.N.dim=V"
                )
            elif c.dim == 0:
                c.dim = cfg.frontend.feat_dim if c.kind == "features" else vc.latent_dim
        with torch.device("meta"):
            voc = (OneStepVocoder if vc.kind == "one_step" else MultiStepVocoder)(vc)
        counts = {
            "conditions": _numel(voc.body.inputs),
            "transformer": _numel(voc.body.blocks),
            "total": _numel(voc),  # codebook copies are buffers
        }
        vocab = {"codec groups summed or predicted": vc.n_q, "codebook entries": vc.codebook_size}
        return {"parameters": counts, "vocab": vocab}


def resolve_conditions(cfg: VocoderExperimentConfig, text_vocab: int, latent_dim: int) -> None:
    """``vocoder.conditions[*].dim: 0`` -> the tokenizer's vocabulary (tokens), the frontend's
    LFR dimension (features) or the codec's latent size (codec)."""
    feat_dim = cfg.frontend.feat_dim
    for c in cfg.vocoder.conditions:
        if c.dim == 0:
            c.dim = {"tokens": text_vocab, "features": feat_dim, "codec": latent_dim}[c.kind]
        elif c.kind == "codec" and c.dim != latent_dim:
            raise ValueError(
                f"condition {c.name!r}: dim {c.dim} != the codec's latent size {latent_dim}"
            )
        elif c.kind == "features" and c.dim != feat_dim:
            raise ValueError(f"condition {c.name!r}: dim {c.dim} != frontend feat_dim {feat_dim}")
        elif c.kind == "tokens" and c.dim < text_vocab:
            raise ValueError(
                f"condition {c.name!r}: dim {c.dim} < tokenizer vocabulary {text_vocab}"
            )


class TextLMKind(ModelKind):
    """A causal LM on text alone, exported as a Hugging Face directory (``lm/``) for LauraGPT's
    ``model.lm.pretrained``: the stand-in for a released text LM such as Qwen."""

    name = "text_lm"
    schema = TextLMExperimentConfig
    export_name = "lm"

    def prepare(self, cfg: TextLMExperimentConfig) -> Prepared:
        from laura.text.tokenizer import TextTokenizer

        absolute_tokenizer_path(cfg)
        tokenizer = TextTokenizer(cfg.tokenizer.path)
        if not cfg.lm.pretrained:
            cfg.lm.vocab_size = cfg.lm.vocab_size or tokenizer.vocab_size
            if tokenizer.vocab_size > cfg.lm.vocab_size:
                raise ValueError(
                    f"tokenizer {cfg.tokenizer.path} has {tokenizer.vocab_size} tokens but "
                    f"lm.vocab_size is {cfg.lm.vocab_size}: the LM cannot embed them"
                )
        if not cfg.data.train:
            raise ValueError("no training text: set data.train (Kaldi-style text tables)")
        return Prepared(tokenizer=tokenizer)

    def load_data(self, cfg: TextLMExperimentConfig, exp: Path, ready: Prepared) -> None:
        from laura.data.text_lines import read_lines

        d = cfg.data
        valid = read_lines(d.valid, ready.tokenizer, d.max_len) if d.valid else []
        ready.records = (read_lines(d.train, ready.tokenizer, d.max_len), valid)

    def build(self, cfg: TextLMExperimentConfig, ready: Prepared) -> Any:
        from laura.models.text_lm import TextLMModule

        return TextLMModule(cfg)

    def initialise(self, module: Any, cfg: TextLMExperimentConfig, ready: Prepared) -> None:
        super().initialise(module, cfg, Prepared())

    def datamodule(self, cfg: TextLMExperimentConfig, ready: Prepared, module: Any) -> Any:
        from laura.data.text_lines import TextDataModule

        return TextDataModule(cfg.data, *ready.records, seed=cfg.seed)

    def export(self, module: Any, exp: Path, trainer: Any) -> None:
        export_weights(module, exp / "model.safetensors")  # refused when NaN/Inf
        module.save_pretrained(exp / self.export_name)

    def parameter_counts(self, cfg: TextLMExperimentConfig) -> dict[str, Any]:
        from laura.nn.lm import CausalLM

        if not cfg.lm.pretrained and not cfg.lm.vocab_size:
            cfg.lm.vocab_size = _tokenizer_size(cfg, "lm.vocab_size=0", "pass lm.vocab_size=N")
        with torch.device("meta"):
            lm = CausalLM(cfg.lm, n_extra=0)
        return {"parameters": {"lm": _numel(lm), "total": _numel(lm)}, "vocab": {"text": lm.n_text}}


# --- the registry ---------------------------------------------------------------------------------

KINDS: dict[str, ModelKind] = {
    k.name: k for k in (LauraGPTKind(), EncoderCTCKind(), CodecKind(), VocoderKind(), TextLMKind())
}


def get_kind(name: str) -> ModelKind:
    try:
        return KINDS[name]
    except KeyError:
        raise ConfigError(f"kind={name!r} is not one of {tuple(KINDS)}") from None


def model_info(config: str | Path, overrides: list[str] | None = None) -> dict[str, Any]:
    """Parameter counts per subsystem and the vocabularies of a config's model (meta device)."""
    cfg = load_config(config, overrides)
    return get_kind(cfg.kind).parameter_counts(cfg)


def load_config(
    path: str | Path | None = None, overrides: list[str] | None = None, stored: bool = False
) -> Any:
    """An experiment config: its kind's schema <- YAML file <- ``key=value`` overrides, each key
    checked against the schema (``laura.config.load_structured``; ``stored``: the file is an
    experiment's own config.yaml). The kind is taken from an override, else the file, else
    lauragpt."""
    kind = get_kind(peek_kind(path, overrides))
    return load_structured(kind.schema, path, overrides, stored=stored)
