"""Experiment configuration: plain dataclasses, YAML files and ``key=value`` overrides.

The dataclasses are the schema: a YAML file or an override naming a key that does not exist is
an error naming that key. Nothing is instantiated from a class path in the file; ``kind``
chooses from a fixed registry of LightningModules and ``model.lm.arch`` from a fixed set of
Hugging Face architectures.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from laura.errors import ConfigError
from laura.nn.codec.codec import CodecConfig
from laura.nn.frontend import FrontendConfig
from laura.nn.generation import GenerationConfig
from laura.nn.lauragpt import LauraGPTConfig
from laura.nn.lm import LMConfig
from laura.nn.vocoder import ConditionConfig, VocoderConfig


@dataclass
class SourceConfig:
    """One task's data: Kaldi-style dirs and a repeat factor (the paper's Table 5, e.g.
    SLURP x10)."""

    task: str = "ASR"
    train: list[str] = field(default_factory=list)
    valid: list[str] = field(default_factory=list)
    repeat: int = 1
    # this source's speed-perturbation factors (None: data.speed_perturb); e.g. [1.0] where speed
    # and pitch are what the labels are about (emotion, "a high beep")
    speed_perturb: list[float] | None = None


@dataclass
class DataConfig:
    # Single-task shorthand; `sources` (multi-task) replaces it when given.
    train: list[str] = field(default_factory=list)  # Kaldi-style data dirs
    valid: list[str] = field(default_factory=list)
    task: str = "ASR"
    sources: list[SourceConfig] = field(default_factory=list)
    tasks: list[str] | None = None  # train only these tasks' sources (a stage's subset)
    token_dir: str = "codec_tokens"  # codec tokens of audio targets: <data dir>/<token_dir>/<field>
    token_groups: int = 1  # codec groups read per audio target (the LM: 1; the vocoder: all)
    prompt_prob: float = 0.0  # share of TTS examples given a same-speaker prompt (zero-shot)
    max_seconds: float = 60.0  # padded seconds of audio per batch
    max_batch_size: int = 64
    num_buckets: int = 10
    num_workers: int = 1
    speed_perturb: list[float] = field(default_factory=lambda: [1.0])
    validate: bool = True  # check every data dir before training starts
    check_audio: bool = True  # open every audio file during validation
    skip_invalid: bool = False  # drop bad utterances instead of failing (list kept in exp_dir)
    keep_waveforms: bool = False  # batches also carry input waveforms (set by kind=vocoder)


@dataclass
class TokenizerConfig:
    path: str = "qwen2"  # a dir/file with tokenizer.json, or "qwen2" (shipped Qwen2 tokenizer)


@dataclass
class OptimConfig:
    lr: float = 5e-4
    warmup_steps: int = 10000
    weight_decay: float = 0.01
    betas: list[float] = field(default_factory=lambda: [0.9, 0.98])
    schedule: str = "cosine"  # cosine | constant | noam (all after linear warmup)
    min_lr_ratio: float = 0.05  # cosine floor, as a share of lr
    ctc_weight: float = 0.0  # auxiliary CTC on the encoder (lauragpt kind)


@dataclass
class TrainerConfig:
    accelerator: str = "cpu"
    devices: int = 1
    num_nodes: int = 1
    strategy: str = "auto"  # ddp | ddp_fork | ddp_spawn | fsdp | auto
    precision: str = "32-true"
    max_steps: int = -1
    max_epochs: int | None = None
    max_time: str | None = None  # "DD:HH:MM:SS", a wall-clock budget
    gradient_clip_val: float = 1.0
    accumulate_grad_batches: int = 1
    val_check_interval: Any = 1.0
    check_val_every_n_epoch: int | None = 1
    limit_val_batches: Any = 1.0
    log_every_n_steps: int = 10
    num_sanity_val_steps: int = 0
    enable_progress_bar: bool = True
    checkpoint_every_n_steps: int = 200
    deterministic: bool = False


def _len_ratios() -> dict[str, list[float]]:
    # SE reads LFR frames (16.7/s) and writes codec frames (25/s): 1.5 per input position;
    # TTS reads text tokens (CosyVoice bounds speech tokens per text token by 2 and 20).
    return {"SE": [1.45, 1.55], "TTS": [2.0, 20.0]}


def _audio_generation() -> GenerationConfig:
    # LauraTTS: top-k 25 sampling; 1500 codec frames = 60 s at 25 Hz; the repetition guard on.
    return GenerationConfig(
        max_new_tokens=1500, temperature=1.0, top_k=25, repeat_window=10, repeat_max=4
    )


@dataclass
class AudioDecodeConfig:
    """Codec-token outputs (TTS, SE): top-k sampling, length bounds, the repetition guard."""

    generation: GenerationConfig = field(default_factory=_audio_generation)
    # Per-task top_k overriding generation.top_k, e.g. {SE: 1}: an enhancement has one right
    # answer, and sampling only adds error (measured on the mini SE model: STOI 0.43 sampled,
    # 0.51 greedy).
    top_k_by_task: dict[str, int] = field(default_factory=dict)
    # Tasks whose vocoder input is the LM's posterior mean, sum_c p(c) * codebook[c], instead of
    # the chosen codes: where the LM is unsure (the mini SE model is right on 36-40% of the
    # frames) the mean is a smaller error than a wrong code (mini SE: PESQ 1.095 -> 1.124 on the
    # same decodes). One-step vocoder only.
    posterior_mean_tasks: list[str] = field(default_factory=list)
    len_ratios: dict[str, list[float]] = field(default_factory=_len_ratios)  # task: [min, max]
    output_rms: float = 0.05  # level of TTS outputs; SE outputs take the noisy input's level
    n_pictures: int = 4  # utterances drawn as spectrograms (input, output, reference)
    seed: int = 0


@dataclass
class DecodeConfig:
    batch_size: int = 8
    text: GenerationConfig = field(default_factory=GenerationConfig)  # greedy, 200 tokens
    max_len_ratio: float = 2.0  # text outputs: cap = ratio x input positions + 10 (loop guard)
    n_log_examples: int = 4  # greedy decodes printed at each validation
    audio: AudioDecodeConfig = field(default_factory=AudioDecodeConfig)


@dataclass
class ExperimentConfig:
    kind: str = "lauragpt"  # lauragpt | encoder_ctc
    exp_dir: str = "exp/lauragpt"
    seed: int = 0
    data: DataConfig = field(default_factory=DataConfig)
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    model: LauraGPTConfig = field(default_factory=LauraGPTConfig)
    cmvn: str | None = None  # stats file; computed from the training data when missing
    init_from: str | None = None  # weights of an earlier stage (model.safetensors), not a resume
    encoder_init: str | None = None  # encoder weights (safetensors) from CTC pre-training
    optim: OptimConfig = field(default_factory=OptimConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    decode: DecodeConfig = field(default_factory=DecodeConfig)


@dataclass
class TextDataConfig:
    """Text for pre-training the LM: Kaldi-style ``text`` tables (``<id> <text>``; any file of
    that form, e.g. ``text``, ``text.en``), one sentence per line; each line is one sample."""

    train: list[str] = field(default_factory=list)
    valid: list[str] = field(default_factory=list)
    max_tokens: int = 4096  # tokens per batch (the bucketing sampler's budget)
    max_batch_size: int = 128
    max_len: int = 256  # longer lines are refused by name (the LM's context is longer)
    num_workers: int = 0


@dataclass
class TextLMExperimentConfig:
    """``kind: text_lm``: a causal LM trained on text alone, exported as a Hugging Face
    directory that LauraGPT starts from (``model.lm.pretrained``), as the paper starts from
    Qwen. ``lm.vocab_size: 0`` = as many rows as the tokenizer has."""

    kind: str = "text_lm"
    exp_dir: str = "exp/text_lm"
    seed: int = 0
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    lm: LMConfig = field(default_factory=lambda: LMConfig(vocab_size=0))
    data: TextDataConfig = field(default_factory=TextDataConfig)
    init_from: str | None = None  # weights (model.safetensors) of an earlier run
    optim: OptimConfig = field(default_factory=OptimConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)


@dataclass
class CodecDataConfig:
    train: list[str] = field(default_factory=list)  # Kaldi-style data dirs (wav.scp is enough)
    valid: list[str] = field(default_factory=list)
    segment_seconds: float = 2.56  # FunCodec: 40,960-sample segments
    batch_size: int = 16
    num_workers: int = 1
    n_valid: int = 8  # utterances decoded for the dev metrics at each validation
    validate: bool = True
    check_audio: bool = True


@dataclass
class CodecLossConfig:
    """Loss weights (FunCodec's: recon 1, multi-spectral 1, adversarial 1/9, feature 100/9)."""

    time_l1: float = 1.0
    spectral: float = 1.0
    power_spec: bool = True  # add the power-spectrum loss to the mel losses
    mel_log_floor: float = 1e-2
    commit: float = 1.0
    adversarial: float = 1 / 9  # 0 = no discriminator at all
    feature: float = 100 / 9
    disc_filters: int = 32
    disc_n_ffts: list[int] = field(
        default_factory=lambda: [1024, 512, 256, 128, 64]
    )  # one per scale
    disc_start_step: int = 0  # generator-only warm-up before the GAN losses switch on
    f0: float = 1.0  # harmonic decoder: L1 of log F0 against YIN on voiced frames


@dataclass
class CodecExperimentConfig:
    kind: str = "codec"
    exp_dir: str = "exp/codec"
    seed: int = 0
    data: CodecDataConfig = field(default_factory=CodecDataConfig)
    codec: CodecConfig = field(default_factory=CodecConfig)
    loss: CodecLossConfig = field(default_factory=CodecLossConfig)
    optim: OptimConfig = field(
        default_factory=lambda: OptimConfig(
            lr=3e-4, warmup_steps=0, weight_decay=0.0, betas=[0.5, 0.9], schedule="constant"
        )
    )
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    eval_n_q: list[int] = field(default_factory=lambda: [1, 8, 32])  # dev PESQ/STOI per n_q
    init_from: str | None = None  # a codec dir (codec.json + model.safetensors) to start from
    # Train the decoder only: encoder and quantizer frozen, so the tokens (and every token cache,
    # vocoder and LM built on them) stay valid while the decoder improves.
    freeze_encoder: bool = False


def _vocoder_data() -> DataConfig:
    return DataConfig(task="SE", token_groups=32, max_seconds=120.0)


def _mini_vocoder() -> VocoderConfig:
    # Conditions are named after the task inputs they read: "text" (TTS ids), "audio" (SE fbank).
    return VocoderConfig(
        conditions=[ConditionConfig("text", "tokens", 0), ConditionConfig("audio", "features", 0)]
    )


@dataclass
class VocoderExperimentConfig:
    """kind=vocoder: the one-step codec vocoder (or the multi-step baseline) trained on the audio
    targets of SE/TTS data dirs, the codec frozen. ``vocoder.conditions[*].dim: 0`` = derived
    (tokens: the tokenizer's vocabulary; features: the frontend's LFR dimension)."""

    kind: str = "vocoder"
    exp_dir: str = "exp/vocoder"
    seed: int = 0
    codec: str = ""  # codec dir (codec.json + model.safetensors); kept out of checkpoints
    data: DataConfig = field(default_factory=_vocoder_data)
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    frontend: FrontendConfig = field(default_factory=FrontendConfig)
    cmvn: str | None = None  # stats of the feature conditions; computed when missing
    vocoder: VocoderConfig = field(default_factory=_mini_vocoder)
    token_noise: float = 0.0  # share of input tokens replaced by random codes in training
    optim: OptimConfig = field(
        default_factory=lambda: OptimConfig(
            lr=1e-3, warmup_steps=25000, weight_decay=0.0, betas=[0.9, 0.98], schedule="noam"
        )
    )
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    n_valid: int = 4  # dev utterances decoded to audio (PESQ/STOI) at each validation
    init_from: str | None = None  # vocoder weights (model.safetensors) to start from


# Keys that moved (old dotted key -> new). A stored config.yaml written before the move is read
# with its keys moved, so older experiments stay decodable and resumable; a config file or an
# override a user writes with an old key is refused with the new name.
RENAMED = {
    "decode.max_new_tokens": "decode.text.max_new_tokens",
    "decode.temperature": "decode.text.temperature",
    "decode.top_k": "decode.text.top_k",
    **{
        f"decode.audio.{k}": f"decode.audio.generation.{k}"
        for k in ("max_new_tokens", "temperature", "top_k", "repeat_window", "repeat_max")
    },
}


def _pop_dotted(tree: dict[str, Any], key: str) -> tuple[bool, Any]:
    *parents, leaf = key.split(".")
    for part in parents:
        tree = tree.get(part)  # type: ignore[assignment]
        if not isinstance(tree, dict):
            return False, None
    if leaf not in tree:
        return False, None
    return True, tree.pop(leaf)


def move_renamed_keys(data: dict[str, Any], source: str, stored: bool) -> dict[str, Any]:
    """``data`` (a plain dict) with the keys in ``RENAMED`` moved to their new place if
    ``stored`` (a config an experiment wrote), else a ConfigError naming the first one."""
    for old, new in RENAMED.items():
        found, value = _pop_dotted(data, old)
        if not found:
            continue
        if not stored:
            raise ConfigError(f"{source}: config key '{old}' is now '{new}'")
        *parents, leaf = new.split(".")
        tree = data
        for part in parents:
            tree = tree.setdefault(part, {})
        tree[leaf] = value
    return data


def _explain(err: OmegaConfBaseException, source: str) -> ConfigError:
    key = getattr(err, "full_key", None) or "?"
    msg = str(err).splitlines()[0]
    if "not in" in msg or "Key '" in msg:
        return ConfigError(f"{source}: unknown config key '{key}' ({msg})")
    return ConfigError(f"{source}: bad value for '{key}': {msg}")


def _check_key(cfg: DictConfig, key: str, item: str) -> None:
    """Walk ``key`` through the schema so a typo is reported as the key it is."""
    from omegaconf import ListConfig

    node: Any = cfg
    parts = key.split(".")
    for i, part in enumerate(parts):
        where = ".".join(parts[: i + 1])
        if isinstance(node, ListConfig):
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError(
                    f"override {item!r}: '{where}' is not an element of a {len(node)}-element list"
                )
            node = node[int(part)]
        elif isinstance(node, DictConfig):
            if part not in node:
                if where in RENAMED:
                    raise ConfigError(f"override {item!r}: '{where}' is now '{RENAMED[where]}'")
                raise ConfigError(f"override {item!r}: unknown config key '{where}'")
            node = node._get_node(part)
        else:
            raise ConfigError(f"override {item!r}: '{'.'.join(parts[:i])}' is a value, not a group")


def peek_kind(path: str | Path | None = None, overrides: list[str] | None = None) -> str:
    """The ``kind`` an experiment config asks for: from an override, else the file, else
    lauragpt (``laura.models.kinds`` maps it to its schema)."""
    for item in overrides or []:
        key, _, value = item.partition("=")
        if key.strip() == "kind":
            return value.strip()
    raw = _read_yaml(Path(path)) if path is not None else None
    kind = raw.get("kind") if isinstance(raw, DictConfig) else None
    return str(kind or "lauragpt")


def _read_yaml(path: Path) -> DictConfig | None:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: config file not found")
    try:
        raw = OmegaConf.load(path)
    except OmegaConfBaseException as err:
        raise _explain(err, str(path)) from None
    except yaml.YAMLError as err:  # broken YAML: name the line
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        what = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(f"{path}:{where}: not valid YAML ({what})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text (UTF-8) file") from None
    if raw is not None and not isinstance(raw, DictConfig):
        raise ConfigError(f"{path}: a config file must be a mapping of keys, not a list or value")
    return raw


def load_structured(
    schema: type,
    path: str | Path | None = None,
    overrides: list[str] | None = None,
    stored: bool = False,
) -> Any:
    """``schema`` (a config dataclass) <- YAML file <- ``key=value`` overrides, each key checked
    against the schema; values checked (``check_values``). Returns the dataclass: the one typed
    form the config keeps from here to the checkpoint. ``stored``: the file is a config.yaml an
    experiment wrote, whose renamed keys (``RENAMED``) are moved rather than refused."""
    cfg = OmegaConf.structured(schema)
    source = str(path) if path is not None else "config"
    if path is not None:
        raw = _read_yaml(Path(path))
        if raw is not None:
            plain = OmegaConf.to_container(raw)
            raw = OmegaConf.create(move_renamed_keys(plain, source, stored))  # type: ignore[arg-type]
            try:
                cfg = OmegaConf.merge(cfg, raw)
            except OmegaConfBaseException as err:
                raise _explain(err, str(path)) from None
    for item in overrides or []:
        if "=" not in item:
            raise ConfigError(f"override {item!r} is not of the form key=value")
        key, value = item.split("=", 1)
        _check_key(cfg, key.strip(), item)
        try:
            parsed = OmegaConf.from_dotlist([f"v={value}"])["v"]  # OmegaConf's value grammar
            OmegaConf.update(cfg, key.strip(), parsed, merge=True)
        except OmegaConfBaseException as err:
            raise _explain(err, f"override {item!r}") from None
        except (TypeError, IndexError, ValueError) as err:
            raise ConfigError(f"override {item!r}: {err}") from None
    check_values(cfg, source)
    data = cfg.get("data")
    if data is not None and data.get("sources"):
        # sources replace the single-task shorthand: a data.task or data.train given on the
        # command line (a corpus recipe's, over a multi-task config) would be ignored unsaid
        for item in overrides or []:
            key = item.split("=", 1)[0].strip()
            if key == "data.task" or (key in ("data.train", "data.valid") and data.get(key[5:])):
                raise ConfigError(
                    f"{source}: override {item!r} is ignored beside data.sources: "
                    "set data.sources.N.train/valid"
                )
    return to_object(cfg)


def check_values(cfg: DictConfig, source: str = "config") -> None:
    """Values every kind shares that must be in range, checked before anything runs."""

    def bad(key: str, value: Any, want: str) -> ConfigError:
        return ConfigError(f"{source}: {key}={value}: {want}")

    o, t = cfg.get("optim"), cfg.get("trainer")
    if o is not None:
        if not o.lr > 0:
            raise bad("optim.lr", o.lr, "must be positive")
        if o.warmup_steps < 0:
            raise bad("optim.warmup_steps", o.warmup_steps, "must be >= 0")
        if o.weight_decay < 0:
            raise bad("optim.weight_decay", o.weight_decay, "must be >= 0")
        if not 0 <= o.min_lr_ratio <= 1:
            raise bad("optim.min_lr_ratio", o.min_lr_ratio, "must be in [0, 1]")
        if len(o.betas) != 2 or not all(0 <= b < 1 for b in o.betas):
            raise bad("optim.betas", list(o.betas), "must be two values in [0, 1)")
        if o.schedule not in ("cosine", "constant", "noam"):
            raise bad("optim.schedule", o.schedule, "use cosine, constant or noam")
    if t is not None:
        if t.max_steps < -1:
            raise bad("trainer.max_steps", t.max_steps, "must be positive (or -1: no step limit)")
        if t.accumulate_grad_batches < 1:
            raise bad("trainer.accumulate_grad_batches", t.accumulate_grad_batches, "must be >= 1")
    d = cfg.get("data")
    if d is not None:
        for key in ("max_seconds", "max_batch_size", "batch_size", "segment_seconds"):
            if key in d and not d[key] > 0:
                raise bad(f"data.{key}", d[key], "must be positive")
        if "prompt_prob" in d and not 0 <= d.prompt_prob <= 1:
            raise bad("data.prompt_prob", d.prompt_prob, "must be in [0, 1]")
        if "speed_perturb" in d and not all(f > 0 for f in d.speed_perturb):
            raise bad("data.speed_perturb", list(d.speed_perturb), "factors must be positive")
        for i, src in enumerate(d.get("sources") or []):
            factors = src.get("speed_perturb")
            if factors is not None and not all(f > 0 for f in factors):
                raise bad(
                    f"data.sources.{i}.speed_perturb", list(factors), "factors must be positive"
                )


def data_sources(data: DataConfig) -> list[SourceConfig]:
    """The sources a run trains on: ``data.sources`` or the single-task shorthand, filtered
    by ``data.tasks`` (the task subset of a training stage)."""
    sources = list(data.sources) or [
        SourceConfig(task=data.task, train=list(data.train), valid=list(data.valid))
    ]
    if data.tasks is not None:
        unknown = set(data.tasks) - {s.task for s in sources}
        if unknown:
            raise ConfigError(f"data.tasks names {sorted(unknown)}, which no data source provides")
        sources = [s for s in sources if s.task in data.tasks]
    for s in sources:
        if s.repeat < 1:
            raise ConfigError(f"data source {s.task}: repeat must be >= 1, got {s.repeat}")
    return sources


def to_object(cfg: Any) -> Any:
    """The config as its dataclass (a dataclass is returned as it is)."""
    if not isinstance(cfg, DictConfig):
        return cfg
    try:
        return OmegaConf.to_object(cfg)
    except OmegaConfBaseException as err:
        raise _explain(err, "config") from None


def from_container(data: dict[str, Any], schema: type) -> Any:
    """A plain dict (a config.yaml read back, a vocoder.json) as the ``schema`` dataclass; unknown
    keys are refused by name, renamed ones moved (``RENAMED``)."""
    data = move_renamed_keys(copy.deepcopy(data), "config", stored=True)
    try:
        return to_object(OmegaConf.merge(OmegaConf.structured(schema), data))
    except OmegaConfBaseException as err:
        raise _explain(err, "config") from None


def to_container(cfg: Any) -> dict[str, Any]:
    """Plain dict (for hyper-parameters in checkpoints that load with weights_only=True)."""
    if not isinstance(cfg, DictConfig):
        cfg = OmegaConf.structured(cfg)
    return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]


def save_config(cfg: Any, path: str | Path) -> None:
    from laura.io import atomic_write_text

    atomic_write_text(path, OmegaConf.to_yaml(OmegaConf.create(to_container(cfg))))
