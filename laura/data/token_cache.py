"""Codec-token cache: audio targets (SE, TTS) are encoded once by a recipe stage, then read.

Layout of a cache directory (one per data dir and codec)::

    info.json                  {"format": "laura-token-cache", "version": 1, "n_q": 32,
                                "frame_rate": 25.0, "codec": "<name or checkpoint>",
                                "field": "audio"|"clean", "shards": [...]}
    shard-00000.safetensors    utterance id -> int16 tensor (n_q, frames)
    ...

Shards are written atomically and listed in ``info.json`` only when complete, so an
interrupted fill resumes at the first missing shard. Reading memory-maps the shards
(``safetensors.safe_open``); nothing in a cache can run code.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import torch

from laura.errors import DataError

FORMAT = "laura-token-cache"
VERSION = 1


class TokenCacheError(DataError):
    pass


def _atomic_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)


def fill_token_cache(
    out_dir: str | Path,
    items: Sequence[tuple[str, str]],
    encode: Callable[[list[str]], list[torch.Tensor]],
    *,
    n_q: int,
    frame_rate: float,
    codec: str,
    field: str = "audio",
    shard_size: int = 500,
    batch_size: int = 8,
    progress: bool = True,
) -> Path:
    """Encode ``items`` (utt id, audio path) with ``encode(paths) -> [(n_q, frames)]`` into a cache.

    Resumable: complete shards are kept; a cache made with another codec, n_q or item list is
    an error rather than silently mixed.
    """
    from safetensors.torch import save_file
    from tqdm import tqdm

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ids = [u for u, _ in items]
    if len(set(ids)) != len(ids):
        raise TokenCacheError(f"{out}: duplicate utterance ids in the items to encode")
    shards = [list(items[i : i + shard_size]) for i in range(0, len(items), shard_size)]
    info_path = out / "info.json"
    want = {
        "format": FORMAT,
        "version": VERSION,
        "n_q": n_q,
        "frame_rate": frame_rate,
        "codec": codec,
        "field": field,
        "n_items": len(items),
        "shard_size": shard_size,
    }
    done: list[str] = []
    if info_path.is_file():
        info = json.loads(info_path.read_text())
        mismatch = {k: (info.get(k), v) for k, v in want.items() if info.get(k) != v}
        if mismatch:
            raise TokenCacheError(
                f"{info_path}: cache was made differently {mismatch}; use a new directory"
            )
        done = list(info.get("shards", []))
    bar = tqdm(total=len(items), desc=f"tokens -> {out.name}", disable=not progress)
    bar.update(min(len(items), len(done) * shard_size))
    for k, shard in enumerate(shards):
        name = f"shard-{k:05d}.safetensors"
        if name in done and (out / name).is_file():
            continue
        tensors: dict[str, torch.Tensor] = {}
        for i in range(0, len(shard), batch_size):
            chunk = shard[i : i + batch_size]
            codes = encode([p for _, p in chunk])
            for (uid, path), c in zip(chunk, codes):
                c = torch.as_tensor(c)
                if c.ndim != 2 or c.shape[0] != n_q:
                    raise TokenCacheError(
                        f"{path}: encoder returned shape {tuple(c.shape)}, expected ({n_q}, frames)"
                    )
                if int(c.min()) < 0 or int(c.max()) > 32767:
                    raise TokenCacheError(f"{path}: codes outside int16 range")
                tensors[uid] = c.to(torch.int16).contiguous()
            bar.update(len(chunk))
        tmp = out / f".{name}.tmp"
        save_file(tensors, str(tmp))
        os.replace(tmp, out / name)
        done.append(name)
        _atomic_json(info_path, {**want, "shards": done})
    bar.close()
    if not done:
        _atomic_json(info_path, {**want, "shards": []})
    return out


class TokenCache:
    """Read-only view: ``cache[uid] -> LongTensor (n_q, frames)``; ``n_q`` limits groups read."""

    def __init__(self, path: str | Path, n_q: int | None = None) -> None:
        self.path = Path(path)
        info_path = self.path / "info.json"
        if not info_path.is_file():
            raise TokenCacheError(
                f"{info_path}: no token cache here (run the token extraction stage)"
            )
        self.info = json.loads(info_path.read_text())
        if self.info.get("format") != FORMAT:
            raise TokenCacheError(f"{info_path}: not a laura token cache")
        if len(self.info["shards"]) * self.info["shard_size"] < self.info["n_items"]:
            raise TokenCacheError(
                f"{info_path}: incomplete cache ({len(self.info['shards'])} shards); "
                "resume the fill"
            )
        self.n_q = n_q or int(self.info["n_q"])
        if self.n_q > int(self.info["n_q"]):
            raise TokenCacheError(
                f"{info_path}: holds {self.info['n_q']} groups, {self.n_q} requested"
            )
        self._where: dict[str, str] | None = None
        self._handles: dict[str, Any] = {}

    def _index(self) -> dict[str, str]:
        if self._where is None:
            from safetensors import safe_open

            self._where = {}
            for name in self.info["shards"]:
                with safe_open(str(self.path / name), framework="pt") as f:
                    for k in f.keys():  # noqa: SIM118 - safe_open has no __iter__
                        self._where[k] = name
        return self._where

    def __contains__(self, uid: str) -> bool:
        return uid in self._index()

    def __len__(self) -> int:
        return len(self._index())

    def keys(self) -> Iterable[str]:
        return self._index().keys()

    def __getitem__(self, uid: str) -> torch.Tensor:
        from safetensors import safe_open

        shard = self._index().get(uid)
        if shard is None:
            raise KeyError(f"{self.path}: no tokens for utterance {uid!r}")
        # Opened lazily per process: data-loader workers each get their own handles.
        h = self._handles.get(shard)
        if h is None:
            h = self._handles[shard] = safe_open(str(self.path / shard), framework="pt")
        return h.get_tensor(uid)[: self.n_q].long()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_handles"] = {}
        return state
