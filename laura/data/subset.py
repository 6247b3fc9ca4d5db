"""A smaller copy of a Kaldi-style data dir: N utterances spread evenly over its sorted ids."""

from __future__ import annotations

import os
from pathlib import Path

from laura.data.errors import DataError
from laura.data.kaldi import (
    byte_order,
    derive_spk2utt,
    is_extra_table,
    read_table,
    resolve_audio_path,
    write_table,
)


def spread(ids: list[str], n: int) -> list[str]:
    """``n`` of ``ids`` at even steps over the whole list (all of them when ``n`` <= 0 or
    ``n`` >= len): the i-th kept is ``ids[i * len // n]``."""
    if n <= 0 or n >= len(ids):
        return list(ids)
    return [ids[i * len(ids) // n] for i in range(n)]


def subset_data_dir(
    src: str | Path, dst: str | Path, n: int, token_dir: str = "codec_tokens"
) -> int:
    """Copy ``src`` into ``dst`` keeping ``n`` utterances spread evenly over the sorted ids (``n``
    <= 0 keeps all). Its tables (``wav.scp``, ``text``, ``utt2spk``, ``segments`` and the
    per-utterance extras) are filtered alike, audio paths made absolute, ``spk2utt`` rebuilt and
    ``spk2gender`` filtered; with ``segments``, utterances are its ids and ``wav.scp`` keeps the
    recordings they are cut from. The codec token cache (``token_dir``) is linked, not copied (it
    holds a superset); nothing else is copied (the manifest and the validation stamp are rebuilt
    when used). Voice prompts (``utt2prompt``) are kept as they are, so they may name
    utterances outside the subset: their tokens come from that linked cache, so make the
    source's cache before the subset (training and decoding check that the cache covers every
    target and prompt). Returns the number of utterances kept."""
    s, d = Path(src), Path(dst)
    if not (s / "wav.scp").is_file():
        raise DataError(f"{s}: no wav.scp (not a data dir)")
    segments = read_table(s / "segments") if (s / "segments").is_file() else None
    ids = sorted(segments if segments is not None else read_table(s / "wav.scp"), key=byte_order)
    keep = set(spread(ids, n))
    recordings = {v.split()[0] for k, v in segments.items() if k in keep} if segments else keep
    d.mkdir(parents=True, exist_ok=True)
    for name in ("wav.scp", "text", "utt2spk", "segments"):
        (d / name).unlink(missing_ok=True)
    tables = ["wav.scp", "text", "utt2spk", "segments"]
    tables += sorted(p.name for p in s.iterdir() if p.is_file() and is_extra_table(p.name))
    for name in tables:
        if not (s / name).is_file():
            continue
        rows = read_table(s / name)
        wanted = recordings if name == "wav.scp" else keep
        rows = {k: v for k, v in rows.items() if k in wanted}
        if name.endswith(".scp"):  # relative paths are relative to the source dir
            rows = {k: resolve_audio_path(v, s) for k, v in rows.items()}
        write_table(d / name, rows)
    utt2spk = read_table(d / "utt2spk") if (d / "utt2spk").is_file() else {}
    spk2utt = derive_spk2utt(utt2spk)
    if spk2utt:
        write_table(d / "spk2utt", {k: " ".join(v) for k, v in spk2utt.items()})
    if spk2utt and (s / "spk2gender").is_file():
        g = read_table(s / "spk2gender")
        write_table(d / "spk2gender", {k: g[k] for k in spk2utt if k in g})
    cache = s / token_dir
    if cache.is_dir():
        link = d / token_dir
        if link.is_symlink():
            link.unlink()
        elif link.exists():
            raise DataError(f"{link}: exists and is not a link to {cache}")
        os.symlink(os.path.relpath(cache.resolve(), d.resolve()), link)
    return len(keep)
