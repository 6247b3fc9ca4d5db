"""Real-corpus preparation: one module per corpus, each reading the corpus exactly as it is
distributed and writing Kaldi-style data dirs (see docs/data-format.md).

Every module registers itself with ``@register_corpus`` and exposes
``prepare(src: Path, out: Path, *, splits=None, num_workers=2) -> dict[str, Path]``
(split name -> data dir written). ``laura prepare CORPUS --src DIR --out DIR`` calls it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PrepareFn = Callable[..., dict[str, Path]]


@dataclass(frozen=True)
class CorpusInfo:
    name: str
    tasks: tuple[str, ...]  # laura tasks it serves (ASR, S2TT, SE, TTS, AAC, SER, SLU)
    splits: tuple[str, ...]  # the splits it writes by default
    description: str
    prepare: PrepareFn


_REGISTRY: dict[str, CorpusInfo] = {}



def register_corpus(
    name: str, tasks: tuple[str, ...], splits: tuple[str, ...], description: str
) -> Callable[[PrepareFn], PrepareFn]:
    def deco(fn: PrepareFn) -> PrepareFn:
        if name in _REGISTRY and _REGISTRY[name].prepare is not fn:
            raise KeyError(f"corpus {name!r} is already registered")
        _REGISTRY[name] = CorpusInfo(name, tasks, splits, description, fn)
        return fn

    return deco


def _load_all() -> None:
    # Every module of this package except the helpers registers its corpus (or corpora).
    for mod in pkgutil.iter_modules(__path__):
        if mod.name not in ("common", "ser_labels") and not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")


def get_corpus(name: str) -> CorpusInfo:
    _load_all()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown corpus {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def corpora() -> dict[str, CorpusInfo]:
    _load_all()
    return dict(sorted(_REGISTRY.items()))


def prepare(name: str, src: str | Path, out: str | Path, **kwargs: Any) -> dict[str, Path]:
    return get_corpus(name).prepare(Path(src), Path(out), **kwargs)
