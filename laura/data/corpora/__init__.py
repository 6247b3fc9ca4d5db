"""Real-corpus preparation: one module per corpus, each reading the corpus exactly as it is
distributed and writing Kaldi-style data dirs (see docs/data-format.md).

Every module registers itself with ``@register_corpus`` and exposes
``prepare(src: Path, out: Path, *, splits=None, num_workers=2, <its options>) -> dict[str,
Path]`` (split name -> data dir written), its options named keyword parameters (no ``**opts``
catch-all); ``register_corpus`` makes ``src`` and ``out`` Paths before the module sees them.
``laura prepare CORPUS --src DIR --out DIR --opt key=value`` calls it; ``parse_options`` types
the ``--opt`` strings by the function's annotations, and both it and ``prepare`` refuse an
option the function does not name, so a typo fails before any work instead of being ignored or
crashing later: the modules do not check their options again.

A corpus module imports what it shares with others from ``common`` only, never another corpus
module (``tests/test_import_rules.py``).
"""

from __future__ import annotations

import collections.abc
import functools
import importlib
import inspect
import pkgutil
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from laura.data.errors import DataError

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
        if name in _REGISTRY and getattr(_REGISTRY[name].prepare, "__wrapped__", None) is not fn:
            raise KeyError(f"corpus {name!r} is already registered")

        @functools.wraps(fn)
        def prepare(src: str | Path, out: str | Path, **kwargs: Any) -> dict[str, Path]:
            # src and out made Paths here once, for callers through the registry or not
            return fn(Path(src), Path(out), **kwargs)

        _REGISTRY[name] = CorpusInfo(name, tasks, splits, description, prepare)
        return prepare

    return deco


def _load_all() -> None:
    # Every module of this package except the shared helpers registers its corpus (or corpora).
    for mod in pkgutil.iter_modules(__path__):
        if mod.name != "common" and not mod.name.startswith("_"):
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
    """Prepare corpus ``name``; keyword options not in its prepare function are refused."""
    info = get_corpus(name)
    known = _options(info)
    for key in kwargs:
        if key not in known:
            raise _unknown_option(name, key, known)
    return info.prepare(src, out, **kwargs)


# --- typed options (``laura prepare CORPUS --opt key=value``) ---------------------------------

_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0")
_NONE = ("none", "null")


def parse_options(name: str, items: Sequence[str]) -> dict[str, Any]:
    """``["key=value", ...]`` -> keyword options for corpus ``name``'s prepare function, each
    value typed by that function's annotation.

    bool: true/false/yes/no/1/0 (any case); int; float; str; Path; ``X | None``: ``none`` or
    ``null`` gives None; lists, sequences and tuples: comma-separated (``a,b,c``; empty: ``[]``);
    dicts: comma-separated ``key:value`` pairs. An unknown key, a key given twice or a value
    that does not parse is a DataError naming the corpus and the option.
    """
    info = get_corpus(name)
    known = _options(info)
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise DataError(f"{name}: option {item!r} is not key=value")
        if key not in known:
            raise _unknown_option(name, key, known)
        if key in out:
            raise DataError(f"{name}: option {key!r} is given twice")
        tp = known[key]
        try:
            out[key] = _convert(text, tp)
        except ValueError:
            raise DataError(f"{name}: option {key}={text!r}: expected {_describe(tp)}") from None
    return out


def _options(info: CorpusInfo) -> dict[str, Any]:
    """Option name -> annotation of the corpus's prepare function (src and out are not options;
    ``**opts`` catch-alls accept nothing: an option must be a named parameter)."""
    fn = info.prepare
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # an annotation that cannot be resolved: fall back to the defaults' types
        hints = {}
    params = list(inspect.signature(fn).parameters.values())[2:]
    out: dict[str, Any] = {}
    for p in params:
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        tp = hints.get(p.name, inspect.Parameter.empty)
        if tp is inspect.Parameter.empty:
            tp = type(p.default) if p.default not in (p.empty, None) else str
        out[p.name] = tp
    return out


def _unknown_option(name: str, key: str, known: dict[str, Any]) -> DataError:
    listed = ", ".join(f"{k} ({_describe(t)})" for k, t in known.items()) or "none"
    return DataError(f"{name}: unknown option {key!r}; its options are: {listed}")


def _convert(text: str, tp: Any) -> Any:
    """``text`` as a value of type ``tp``; ValueError when it is not one."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        if len(members) < len(args) and text.strip().lower() in _NONE:
            return None
        # str | Path: a Path; otherwise the first member the text parses as
        if Path in members:
            members = [Path]
        for member in members:
            try:
                return _convert(text, member)
            except ValueError:
                continue
        raise ValueError(text)
    if origin in (list, tuple, collections.abc.Sequence):
        parts = [p.strip() for p in text.split(",")] if text.strip() else []
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(parts) != len(args):
                raise ValueError(text)
            return tuple(_convert(p, a) for p, a in zip(parts, args))
        elem = args[0] if args else str
        values = [_convert(p, elem) for p in parts]
        return tuple(values) if origin is tuple else values
    if origin is dict or origin is collections.abc.Mapping:
        ktp, vtp = args if args else (str, str)
        pairs: dict[Any, Any] = {}
        for part in (p.strip() for p in text.split(",") if p.strip()):
            k, sep, v = part.partition(":")
            if not sep:
                raise ValueError(text)
            pairs[_convert(k.strip(), ktp)] = _convert(v.strip(), vtp)
        return pairs
    if tp is bool:
        word = text.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise ValueError(text)
    if tp is int:
        return int(text.strip())
    if tp is float:
        return float(text.strip())
    if tp is Path:
        if not text.strip():
            raise ValueError(text)
        return Path(text.strip())
    return text  # str, and anything the function types loosely (object, Any)


def _describe(tp: Any) -> str:
    """A type as the error messages name it (``bool (true/false)``, ``int or none``, ...)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        if Path in members:
            members = [Path]
        text = " or ".join(_describe(a) for a in members)
        return f"{text} or none" if len(members) < len(args) else text
    if origin in (list, tuple, collections.abc.Sequence):
        if origin is tuple and args and args[-1] is not Ellipsis:
            return f"{len(args)} comma-separated {_describe(args[0])} values"
        return f"comma-separated {_describe(args[0] if args else str)} list"
    if origin is dict or origin is collections.abc.Mapping:
        return "comma-separated key:value pairs"
    if tp is bool:
        return "bool (true/false/yes/no/1/0)"
    if tp is Path:
        return "path"
    return getattr(tp, "__name__", str(tp))
