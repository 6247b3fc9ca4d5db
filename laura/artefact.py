"""A trained model on disk: the one layout laura writes, ships and loads.

An artefact is a directory with the weights, ``model.safetensors``, and a descriptor that says
what they are. The descriptor's name tells the kind (older shipped artefacts keep loading):

    kind        descriptor    its config under        provenance      built by
    codec       codec.json    "config"                top-level keys  nn.codec.load_codec
    vocoder     vocoder.json  "vocoder", "frontend"   top-level keys  models.vocoder.load_vocoder
    experiment  config.yaml   the whole file          info.json       decode.load_trained

(provenance: ``trained_steps``, ``command``, ``history``: how the weights were made). Weights
may be stored as float16 (``fp16``: half the size; how shipped models are committed); every
loader casts them back to float32, since ``load_state_dict`` copies into the model's dtype.

``export`` (the ``laura export`` verb) copies an artefact into another directory: fp16 weights,
provenance added, recorded paths (tokenizer, codec) replaced by the ones it will be used with,
and what only training needs left out (a codec's EMA codebook statistics; an experiment's CMVN
file, encoder and init paths, whose contents are already in its weights).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from laura.checkpoints import read_safetensors
from laura.errors import CheckpointError
from laura.io import atomic_save_safetensors, atomic_write_json, atomic_write_text, staged_dir

WEIGHTS = "model.safetensors"
INFO = "info.json"  # an experiment's provenance (JSON descriptors hold theirs inside)
LM_DIR = "lm"  # an exported LauraGPT's backbone structure (config.json of model.lm.pretrained)
DESCRIPTORS = {"codec": "codec.json", "vocoder": "vocoder.json", "experiment": "config.yaml"}
# State-dict key suffixes only training reads; an fp16 export leaves them out (the codec's
# loader restarts them from the codebooks).
TRAINING_ONLY = {"codec": ("embed_avg", "cluster_size")}
# Config keys naming files an experiment's weights already hold; an export clears them.
EXPERIMENT_TRAINING_PATHS = ("cmvn", "encoder_init", "init_from")


def artefact_kind(path: str | Path) -> str:
    """Which kind of artefact ``path`` is (its descriptor), or one error naming what is missing."""
    d = Path(path)
    for kind, name in DESCRIPTORS.items():
        if (d / name).is_file():
            if not (d / WEIGHTS).is_file():
                raise FileNotFoundError(f"{d / WEIGHTS}: missing beside {name}")
            return kind
    names = ", ".join(DESCRIPTORS.values())
    raise FileNotFoundError(f"{d}: not a laura model directory (no {names} with {WEIGHTS})")


@dataclass
class Artefact:
    """A model directory read into memory: ``meta`` is the descriptor (a codec.json or
    vocoder.json, or an experiment's config.yaml), ``info`` its provenance, ``state`` the
    weights as stored."""

    kind: str
    meta: dict[str, Any]
    state: dict[str, torch.Tensor]
    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> Artefact:
        d = Path(path)
        kind = artefact_kind(d)
        descriptor = d / DESCRIPTORS[kind]
        try:
            if kind == "experiment":
                import yaml

                meta = yaml.safe_load(descriptor.read_text())
                info = json.loads((d / INFO).read_text()) if (d / INFO).is_file() else {}
            else:
                meta, info = json.loads(descriptor.read_text()), {}
        except (ValueError, OSError) as err:  # yaml.YAMLError and JSONDecodeError are ValueErrors
            raise CheckpointError(f"{descriptor}: unreadable ({err})") from None
        if not isinstance(meta, dict):
            raise CheckpointError(f"{descriptor}: not a mapping of keys")
        return cls(kind, meta, read_safetensors(d / WEIGHTS), info)

    def save(self, out: str | Path, fp16: bool = False) -> Path:
        """Write the weights, then the descriptor (each atomically) into ``out``; ``fp16``:
        floating-point weights as float16, training-only state left out."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        drop = TRAINING_ONLY.get(self.kind, ()) if fp16 else ()
        state = {
            k: v.half() if fp16 and v.is_floating_point() else v
            for k, v in self.state.items()
            if k.rsplit(".", 1)[-1] not in drop
        }
        dtype = "float16 (loads into float32)" if fp16 else "as trained"
        atomic_save_safetensors(
            out / WEIGHTS, state, metadata={"format": f"laura-{self.kind}", "dtype": dtype}
        )
        descriptor = out / DESCRIPTORS[self.kind]
        if self.kind == "experiment":
            import yaml

            atomic_write_text(descriptor, yaml.safe_dump(self.meta, sort_keys=False))
            if self.info:
                atomic_write_json(out / INFO, self.info, indent=1)
        else:
            atomic_write_json(descriptor, {**self.meta, **self.info}, indent=1)
        return out


def resolve_recorded_path(value: str | None, named_by: str | Path) -> str | None:
    """A path recorded in an experiment file (``named_by``: its config.yaml, vocoder.json), made
    usable from any current directory.

    Absolute paths are kept. A relative one is looked up beside ``named_by``, then in each
    directory above it: experiments record paths relative to the recipe dir they were trained
    in (``shipped/bpe`` in ``egs/mini/lauragpt/shipped/lauragpt/config.yaml`` means
    ``egs/mini/lauragpt/shipped/bpe``), and the nearest match is the one that travels with the
    experiment. Then the current directory (an experiment copied away from its recipe, decoded
    from the recipe dir). Found nowhere, the value is kept as it is: it may be a name rather than
    a path (a Hugging Face model id), and the loader's own error names it."""
    if not value:
        return value
    p = Path(value)
    if p.is_absolute():
        return value
    here = Path(named_by).resolve().parent
    for d in (here, *here.parents):
        if (d / p).exists():
            # "../se_tts/shipped/codec" without the ".." (unless a symlink gives it a meaning)
            plain = os.path.normpath(d / p)
            return plain if os.path.exists(plain) and os.path.samefile(plain, d / p) else str(d / p)
    if p.exists():
        return str(p.resolve())
    return value


def export(
    src: str | Path,
    out: str | Path,
    fp16: bool = False,
    info: dict[str, Any] | None = None,
    tokenizer: str | None = None,
    codec: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Copy the artefact ``src`` into ``out`` as a shippable model (see the module doc).

    ``tokenizer`` / ``codec``: the paths to record instead of the trained ones (relative paths
    are resolved against the artefact when it is loaded: ``resolve_recorded_path``)."""
    src, out = Path(src), Path(out)
    if src.resolve() == out.resolve():
        raise ValueError(f"{out}: the export would overwrite its source")
    a = Artefact.load(src)
    lm_config = None
    if codec is not None and a.kind != "vocoder":
        raise ValueError(f"{src}: a {a.kind} records no codec (--codec is for vocoders)")
    if a.kind == "experiment":
        a.meta["exp_dir"] = str(out)
        for key in EXPERIMENT_TRAINING_PATHS:
            a.meta[key] = None
        if tokenizer is not None:
            a.meta.setdefault("tokenizer", {})["path"] = tokenizer
        lm = a.meta.get("model", {}).get("lm", {})
        if lm.get("pretrained"):
            # The weights are all in the export: keep only the backbone's structure (config.json).
            lm_config = _lm_config_file(src, lm["pretrained"])
            lm.update(pretrained=LM_DIR, pretrained_weights=False)
    elif a.kind == "vocoder":
        a.meta.update({k: v for k, v in (("tokenizer", tokenizer), ("codec", codec)) if v})
    elif tokenizer is not None:
        raise ValueError(f"{src}: a codec records no tokenizer (--tokenizer is for LMs)")
    if a.kind == "codec" and fp16:
        a.meta["inference_only"] = True
    a.info.update(info or {})
    with staged_dir(out, overwrite, "export directory") as stage:  # swapped in once complete
        a.save(stage, fp16=fp16)
        if lm_config is not None:
            (stage / LM_DIR).mkdir()
            shutil.copyfile(lm_config, stage / LM_DIR / "config.json")
    return out


def _lm_config_file(src: Path, pretrained: str) -> Path:
    """config.json of an experiment's pretrained backbone (a relative path: as the experiment
    recorded it, against its config file)."""
    path = Path(resolve_recorded_path(pretrained, src / DESCRIPTORS["experiment"])) / "config.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: the backbone's config.json (model.lm.pretrained) is missing"
        )
    return path
