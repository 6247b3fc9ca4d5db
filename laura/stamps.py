"""Stamps: what a result was made from, recorded in its JSON so that a re-run can keep it.

``laura decode``, ``laura score`` and ``laura vocoder-eval`` take ``--skip-done``: each builds a
stamp of its inputs (weights by content, data dirs by ``data_dir_fingerprint``: tables by
content, audio files by identity; options as given), writes it beside the result, and on a
re-run returns the earlier result when the stamps are equal. Anything else (another model,
edited data, other options, a result without a stamp) is done anew.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def digest(obj: Any) -> str:
    """sha256 of ``obj`` as canonical JSON (sorted keys; other objects by ``str``)."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def file_digest(path: str | Path | None) -> str | None:
    """sha256 of a file's bytes; None when there is no such file (the work itself reports it)."""
    from laura.io import sha256_file

    return sha256_file(path) if path is not None and Path(path).is_file() else None


def dir_digest(data_dir: str | Path, extra_files: tuple[str, ...] = ()) -> str | None:
    """A data (or decode) dir's ``data_dir_fingerprint`` as one digest; None if it is no dir.
    ``extra_files``: files beyond the Kaldi tables whose contents count (``hyp``, ...)."""
    from laura.data.kaldi import data_dir_fingerprint

    if not Path(data_dir).is_dir():
        return None
    return digest(data_dir_fingerprint(data_dir, extra_files=extra_files))


def experiment_digest(exp_dir: str | Path | None) -> list[str | None] | None:
    """An exported experiment's weights and config (``model.safetensors``, ``config.yaml``)."""
    if not exp_dir:
        return None
    exp = Path(exp_dir)
    return [file_digest(exp / "model.safetensors"), file_digest(exp / "config.yaml")]


def done_before(result_json: str | Path, stamp: dict[str, Any]) -> dict[str, Any] | None:
    """The result saved in ``result_json`` when it records ``stamp``, else None."""
    try:
        result = json.loads(Path(result_json).read_text())
    except (OSError, ValueError):
        return None
    return result if isinstance(result, dict) and result.get("stamp") == stamp else None
