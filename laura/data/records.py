"""From data dirs to training records: validate (once), read the cached manifest, check it.

The tables are the truth. Validation runs before any training step, once per state of the data
dir (`validate.validate_once` stamps `<data_dir>/.validated.json`): a bad dir fails with every
problem listed, or, with ``skip_invalid``, its bad utterances are dropped and listed in
``<exp_dir>/skipped_<name>.txt``. The records come from ``<data_dir>/manifest.jsonl`` only while
its fingerprint says it was built from the tables and audio files as they are now
(`manifest.manifest_records`); otherwise they are built from the tables again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from laura.data.errors import DataError
from laura.data.kaldi import data_dir_fingerprint
from laura.data.manifest import build_records, manifest_header, manifest_records, write_manifest
from laura.data.validate import ValidationError, filter_invalid, validate_once
from laura.io import atomic_write_text


def load_records(
    data_dir: str | Path,
    *,
    validate: bool = True,
    check_audio: bool = True,
    skip_invalid: bool = False,
    skipped_list: str | Path | None = None,
    require_text: bool = True,
    write_cache: bool = True,
) -> list[dict[str, Any]]:
    """Records of a Kaldi-style data dir, validated first.

    ``validate``: run `validate_once` (a matching ``.validated.json`` stamp skips the work);
    ``check_audio`` and ``require_text`` are its options. Problems raise `ValidationError`, or
    with ``skip_invalid`` drop the utterances concerned, listed in ``skipped_list``.
    ``write_cache``: write ``manifest.jsonl`` and the validation stamp into the data dir (when it
    is writable). Pass False for read-only use (decoding, scoring): nothing is then written into
    the data dir, the caches are still used when they are true.
    """
    d = Path(data_dir)
    if not d.is_dir():
        raise DataError(f"{d}: data directory does not exist")
    # One pass over the tables and audio files serves the stamp and the manifest checks.
    fp = data_dir_fingerprint(d)
    keep = None
    if validate:
        problems = validate_once(
            d,
            check_audio=check_audio,
            require_text=require_text,
            write_stamp=write_cache,
            fingerprint=fp,
        )
        if problems and not skip_invalid:
            raise ValidationError(problems, str(d))
        if problems:
            keep, skipped = filter_invalid(d, problems)
            where = ""
            if skipped_list is not None:
                atomic_write_text(skipped_list, "".join(f"{p}\n" for p in skipped))
                where = f", list in {skipped_list}"
            print(f"{d}: skipping {len(skipped)} problem(s){where}")
    if keep is None:
        records = manifest_records(d, write=write_cache, fingerprint=fp)
    else:
        # A filtered view is private to this experiment: never the data dir's shared manifest.
        records = build_records(d, utt_ids=keep)
        if skipped_list is not None:
            out = Path(skipped_list).with_suffix(".manifest.jsonl")
            write_manifest(out, records, header=manifest_header(fp, utt_ids=keep))
    if not records:
        raise DataError(f"{d}: no utterances left to use")
    return records
