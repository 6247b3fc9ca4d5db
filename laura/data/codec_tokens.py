"""Filling the codec-token cache (``laura codec-tokens``): a data dir's audio encoded once by a
laura or FunCodec codec into ``<data_dir>/<token_dir>/<field>`` (the layout: token_cache.py)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import torch

from laura.errors import ExperimentError
from laura.nn.codec import Codec, load_codec


def open_codec(path: str | Path) -> Codec:
    """A laura codec dir (codec.json) or a FunCodec model dir (config.yaml + model.pth)."""
    p = Path(path)
    if (p / "codec.json").is_file():
        return load_codec(p)
    if (p / "config.yaml").is_file() and (p / "model.pth").is_file():
        from laura.nn.codec.funcodec import load_funcodec

        return load_funcodec(p)
    raise FileNotFoundError(
        f"{p}: neither a laura codec dir (codec.json) nor a FunCodec model dir "
        "(config.yaml + model.pth)"
    )


def read_for_codec(
    path: str, start: float | None, end: float | None, sample_rate: int
) -> torch.Tensor:
    """A segment as a float tensor, refused unless at the codec's sample rate."""
    from laura.data.dataset import read_audio

    wav, sr = read_audio(path, start, end)
    if sr != sample_rate:
        raise ValueError(f"{path}: {sr} Hz audio, the codec works at {sample_rate} Hz")
    return torch.from_numpy(wav)


def extract_tokens(
    codec_dir: str | Path,
    data_dir: str | Path,
    field: str = "audio",
    n_q: int = 32,
    token_dir: str = "codec_tokens",
    validate: bool = True,
    overwrite: bool = False,
) -> Path:
    """Encode the ``field`` audio of every utterance of a data dir into
    ``<data_dir>/<token_dir>/<field>`` (see laura.data.token_cache).

    The cache lives in the data dir by design (training reads it from there). It appears complete
    or not at all: it is filled in a hidden sibling (``.<field>.partial``, resumed by the next run
    after a kill: its shards are written atomically) and renamed into place when complete. A
    complete cache made the same way is kept (nothing is re-encoded); one made with another
    codec, ``n_q`` or utterance list is refused unless ``overwrite``, which re-extracts and
    swaps the new cache in whole.

    Utterances are encoded one at a time: the time-group norm of SEANet normalises over the whole
    input, so padding a batch would change the tokens."""
    from laura.data.records import load_records
    from laura.data.token_cache import TokenCacheError, fill_token_cache

    codec = open_codec(codec_dir)
    if not 1 <= n_q <= codec.cfg.n_q:
        raise ValueError(f"--n-q {n_q}: the codec has {codec.cfg.n_q} quantizers")
    records = load_records(data_dir, validate=validate, require_text=False)
    missing = [r["id"] for r in records if not r.get(field)]
    if missing:
        raise ValueError(
            f"{data_dir}: {len(missing)} utterances have no '{field}' audio (e.g. {missing[0]})"
        )
    # Keys name the file and the utterance: with a segments file many utterances share one wav.
    where = {}
    for r in records:
        seg = (r.get("start"), r.get("end")) if field == "audio" else (None, None)
        where[f"{r[field]} ({r['id']})"] = (str(r[field]), *seg)
    items = [(r["id"], f"{r[field]} ({r['id']})") for r in records]

    def encode(keys: list[str]) -> list[torch.Tensor]:
        out = []
        for k in keys:
            path, start, end = where[k]
            tokens, _ = codec.encode(read_for_codec(path, start, end, codec.sample_rate)[None], n_q)
            out.append(tokens[0])
        return out

    name = str(Path(codec_dir).resolve())

    def fill(d: Path) -> Path:
        try:
            return fill_token_cache(
                d, items, encode, n_q=n_q, frame_rate=codec.cfg.frame_rate, codec=name, field=field
            )
        except TokenCacheError as e:
            raise ExperimentError(f"{e} (or pass --overwrite to re-extract it)") from e

    final = Path(data_dir) / token_dir / field
    partial = final.parent / f".{field}.partial"
    if overwrite:
        shutil.rmtree(partial, ignore_errors=True)
    elif _complete_cache(final):
        return fill(final)  # checks it was made the same way; encodes nothing
    elif final.is_dir() and (final / "info.json").is_file() and not partial.exists():
        os.replace(final, partial)  # an interrupted fill in place (older laura): resume it
    elif final.exists() and any(final.iterdir()):
        raise ExperimentError(
            f"{final}: not a complete token cache; pass --overwrite to replace it"
        )
    fill(partial)
    old = final.parent / f".{field}.old-{os.getpid()}"
    if final.exists():
        os.replace(final, old)
    os.replace(partial, final)
    shutil.rmtree(old, ignore_errors=True)
    return final


def _complete_cache(d: Path) -> bool:
    try:
        info = json.loads((d / "info.json").read_text())
        return len(info["shards"]) * int(info["shard_size"]) >= int(info["n_items"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
