"""From data dirs to training records: validate, write a manifest next to the data, read it.

Validation runs before any training step: a bad dir fails with every problem listed, or, with
``skip_invalid``, its bad utterances are dropped and listed in ``<exp_dir>/skipped_<name>.txt``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from laura.data.manifest import data_dir_to_manifest, read_manifest
from laura.data.validate import ValidationError, filter_invalid, validate_data_dir


def _manifest_is_fresh(data_dir: Path, manifest: Path) -> bool:
    if not manifest.is_file():
        return False
    m = manifest.stat().st_mtime
    return all(p.stat().st_mtime <= m for p in data_dir.iterdir() if p.is_file() and p != manifest)


def load_records(
    data_dir: str | Path,
    *,
    validate: bool = True,
    check_audio: bool = True,
    skip_invalid: bool = False,
    skipped_list: str | Path | None = None,
    require_text: bool = True,
) -> list[dict[str, Any]]:
    """Records of a Kaldi-style data dir, validated first."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise FileNotFoundError(f"{data_dir}: data directory not found")
    keep = None
    if validate:
        problems = validate_data_dir(data_dir, check_audio=check_audio, require_text=require_text)
        if problems and not skip_invalid:
            raise ValidationError(problems, str(data_dir))
        if problems:
            keep, skipped = filter_invalid(data_dir, problems)
            if skipped_list is not None:
                out = Path(skipped_list)
                out.parent.mkdir(parents=True, exist_ok=True)
                tmp = out.with_name(out.name + ".tmp")
                tmp.write_text("".join(f"{p}\n" for p in skipped))
                tmp.replace(out)
            print(f"{data_dir}: skipping {len(skipped)} problem(s), list in {skipped_list}")
    manifest = data_dir / "manifest.jsonl"
    if keep is not None:
        # A filtered view is private to this experiment: do not overwrite the shared manifest.
        manifest = Path(skipped_list or data_dir).with_suffix(".manifest.jsonl")
        data_dir_to_manifest(data_dir, manifest, utt_ids=keep)
    elif not _manifest_is_fresh(data_dir, manifest):
        data_dir_to_manifest(data_dir, manifest)
    records = read_manifest(manifest)
    if not records:
        raise ValueError(f"{data_dir}: no utterances left to use")
    return records
