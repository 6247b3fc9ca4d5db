"""Atomic writes: every file laura writes appears complete or not at all.

One temp-file-and-rename helper (``atomic_path``) under the text, JSON, bytes, wav and
safetensors writers, and ``staged_dir`` for outputs made of many files (a decode directory):
they are written into a hidden sibling and swapped in at the end, so a run killed midway leaves
the previous results intact and consistent, never a mix of two runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from laura.errors import ExperimentError


def _tmp_name(path: Path) -> Path:
    return path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], fsync: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path``.

    For writers that want a file name (``torch.save``, ``savefig``, ``sf.write``). The temp name
    keeps the suffix, so writers that infer a format from it still do."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(path).with_suffix(".tmp" + path.suffix)
    try:
        yield tmp
        if tmp.is_file() and not tmp.stat().st_mode & 0o044:
            os.chmod(tmp, 0o644)  # safetensors creates owner-only files; outputs are to share
        if fsync and tmp.is_file():
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The sha256 of a file's bytes (hex), read in 1 MiB blocks."""
    import hashlib

    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends): readers see the old or the new file."""
    with atomic_path(path) as tmp:
        with tmp.open("w", encoding="utf-8", newline="\n") as f:
            f.write(text)


def atomic_write_json(path: str | os.PathLike[str], obj: Any, indent: int = 2) -> None:
    atomic_write_text(path, json.dumps(obj, indent=indent, ensure_ascii=False) + "\n")


def atomic_write_wav(
    path: str | os.PathLike[str], wav: Any, sample_rate: int, subtype: str = "PCM_16"
) -> None:
    import soundfile as sf

    with atomic_path(path) as tmp:
        sf.write(str(tmp), wav, sample_rate, subtype=subtype, format="WAV")


def atomic_save_safetensors(
    path: str | os.PathLike[str],
    tensors: Mapping[str, Any] | Any,
    metadata: dict[str, str] | None = None,
) -> None:
    """``tensors``: a state dict or an ``nn.Module`` (shared weights stored once)."""
    from torch import nn

    with atomic_path(path) as tmp:
        if isinstance(tensors, nn.Module):
            from safetensors.torch import save_model

            save_model(tensors, str(tmp), metadata=metadata)
        else:
            from safetensors.torch import save_file

            save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp), metadata=metadata)


def is_nonempty_dir(path: str | os.PathLike[str]) -> bool:
    p = Path(path)
    return p.is_dir() and any(p.iterdir())


@contextlib.contextmanager
def staged_dir(
    out: str | os.PathLike[str], overwrite: bool = False, what: str = "output directory"
) -> Iterator[Path]:
    """Write a many-file output into a hidden sibling, then swap it in whole.

    A non-empty ``out`` is refused unless ``overwrite``; with ``overwrite`` the old contents stay
    in place until the new ones are complete. A failure (or a kill) leaves ``out`` as it was; a
    stale staging dir of a killed run is removed by the next one."""
    out = Path(out)
    if is_nonempty_dir(out) and not overwrite:
        raise ExperimentError(
            f"{out}: {what} is not empty; choose another or pass --overwrite to replace it"
        )
    if out.exists() and not out.is_dir():
        raise ExperimentError(f"{out}: exists and is not a directory")
    out.parent.mkdir(parents=True, exist_ok=True)
    for stale in out.parent.glob(f".{out.name}.staging-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    stage = out.parent / f".{out.name}.staging-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    try:
        yield stage
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        if out.exists():
            os.replace(out, old)
        os.replace(stage, out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own leftover from an earlier call in this process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def check_output_file(path: str | os.PathLike[str] | None, overwrite: bool) -> None:
    """Refuse to replace an existing result file unless ``overwrite`` (checked before the work)."""
    if path is not None and Path(path).exists() and not overwrite:
        raise ExperimentError(f"{path}: exists; choose another or pass --overwrite to replace it")


def check_output_dir(path: str | os.PathLike[str] | None, overwrite: bool, what: str) -> None:
    """``staged_dir``'s refusal of a non-empty output dir, made before a long job starts."""
    if path is not None and is_nonempty_dir(path) and not overwrite:
        raise ExperimentError(
            f"{path}: {what} is not empty; choose another or pass --overwrite to replace it"
        )
