"""JSONL manifests: one JSON object per utterance, one per line.

A record ("cut") looks like::

    {"id": "spk1-001", "audio": "/abs/path/rec.wav", "start": null, "end": null,
     "duration": 3.2, "sample_rate": 16000, "speaker": "spk1", "lang": "en",
     "text": "hello world", ...task extras...}

* `audio` is an absolute path; `start`/`end` (seconds) are set only for utterances that come
  from a `segments` file, otherwise both are null and the whole file is the utterance.
* `duration` is in seconds, read from the file header with `soundfile.info` (audio is never
  decoded), or `end - start` for segments.
* `speaker` comes from `utt2spk`, `text` from `text`, `lang` from `utt2lang`. Other tables of the
  data dir become extra keys (see `default_extra_key`): `utt2emotion` -> `emotion`,
  `text.en` -> `text_en`, `clean.scp` -> `clean` (an absolute path), `caption` -> `caption`.

Manifests are written atomically; reading one reports the file and line of any bad record.

The tables are the truth; `<data_dir>/manifest.jsonl` is only a cache of them (it saves reading
every audio header again). `data_dir_to_manifest` starts the file with a header line::

    {"laura_manifest": 1, "fingerprint": {...}, "options": {...}, "records_sha256": "..."}

`fingerprint` is `kaldi.data_dir_fingerprint` of the dir when the records were built (a hash of
every table's bytes and of the audio files' `os.stat`), `options` the builder's arguments and
`records_sha256` the hash of the record lines below. `manifest_records` uses the file only when
all three still agree and every record is an utterance of `wav.scp` (or `segments`) with the
audio path the table gives; otherwise (stale, hand-edited, forged, a manifest of an older
laura without a header) it builds the records from the tables again. `read_manifest` skips the
header, so manifests with and without one read the same.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import soundfile

from laura.data.errors import DataError
from laura.data.kaldi import (
    atomic_write_text,
    byte_order,
    check_utt_id,
    data_dir_fingerprint,
    load_data_dir,
    read_segments,
    read_wav_scp,
)

__all__ = [
    "HEADER_KEY",
    "MANIFEST_NAME",
    "MANIFEST_VERSION",
    "REQUIRED_KEYS",
    "build_records",
    "data_dir_to_manifest",
    "default_extra_key",
    "manifest_header",
    "manifest_records",
    "read_manifest",
    "write_manifest",
]

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.jsonl"  # the cached manifest inside a data dir
HEADER_KEY = "laura_manifest"  # marks the header line; its value is MANIFEST_VERSION
# Bump when records change shape or meaning: older cached manifests are then rebuilt.
MANIFEST_VERSION = 1

REQUIRED_KEYS = ("id", "audio", "duration")
# Keys the builder sets itself; an extra table may not overwrite them.
_RESERVED = {"id", "audio", "start", "end", "duration", "sample_rate", "speaker", "text"}
# Kaldi bookkeeping tables that are not task data.
_SKIP_BY_DEFAULT = {"utt2dur", "utt2num_frames", "utt2uniq"}
# A segment may overshoot its recording by this much (rounding in segment files); it is clipped.
SEGMENT_TOLERANCE = 0.02


def default_extra_key(file_name: str) -> str | None:
    """Record key for an extra table, or None if it is skipped by default.

    `utt2lang` -> `lang`, `utt2X` -> `X`, `X.scp` -> `X`, `text.en` -> `text_en`,
    anything else: the name with non-identifier characters replaced by `_`.
    """
    if file_name in _SKIP_BY_DEFAULT:
        return None
    name = file_name
    if name.startswith("utt2"):
        name = name[len("utt2") :]
    elif name.endswith(".scp"):
        name = name[: -len(".scp")]
    return re.sub(r"\W", "_", name)


def build_records(
    data_dir: str | os.PathLike[str],
    extras_map: Mapping[str, str] | None = None,
    *,
    utt_ids: Iterable[str] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
) -> list[dict[str, Any]]:
    """The manifest records of a Kaldi data dir, built from its tables and audio headers.

    `extras_map` maps extra table file names to record keys, e.g. `{"utt2emotion": "emotion"}`;
    when given, only those extras are included (and each must exist). When None, every extra
    table the dir holds is included under `default_extra_key`. Extras are optional per
    utterance (a missing entry leaves the key out); `text` and `utt2spk`, when present, must
    cover every utterance. `utt_ids` restricts the output (e.g. `filter_invalid`'s kept ids).
    Records are sorted by id in byte order. Raises `DataError` naming the file and utterance.
    """
    kd = load_data_dir(data_dir, extra_files=list(extras_map or {}), base_dir=base_dir)
    d = kd.path
    if extras_map is None:
        mapping = {n: k for n in kd.extras if (k := default_extra_key(n)) is not None}
    else:
        mapping = dict(extras_map)
    for name, key in mapping.items():
        if key in _RESERVED:
            raise DataError(
                f"{d / name}: would overwrite the manifest key {key!r}; pass extras_map"
            )

    wanted = kd.utt_ids
    if utt_ids is not None:
        keep = set(utt_ids)
        unknown = sorted(keep.difference(wanted), key=byte_order)
        if unknown:
            raise DataError(f"{d}: requested utterances not in the data dir: {unknown[:10]}")
        wanted = [u for u in wanted if u in keep]

    info_cache: dict[str, tuple[int, int]] = {}  # path -> (frames, sample_rate)

    def audio_info(path: str, utt: str) -> tuple[int, int]:
        if path not in info_cache:
            try:
                info = soundfile.info(path)
            except Exception as e:  # soundfile raises several types; all mean "unreadable"
                raise DataError(
                    f"{d / 'wav.scp'}: utt {utt}: cannot read audio file {path}: {e} "
                    "(run `laura validate-data` for a full report)"
                ) from e
            info_cache[path] = (info.frames, info.samplerate)
        return info_cache[path]

    records = []
    for utt in wanted:
        if kd.segments is not None:
            seg = kd.segments[utt]
            if seg.recording not in kd.wav:
                raise DataError(
                    f"{d / 'segments'}: utt {utt}: recording {seg.recording} not in wav.scp"
                )
            path = kd.wav[seg.recording]
            frames, sr = audio_info(path, seg.recording)
            rec_dur = frames / sr
            end = rec_dur if seg.end is None else seg.end
            if end > rec_dur + SEGMENT_TOLERANCE or seg.start < 0 or end <= seg.start:
                raise DataError(
                    f"{d / 'segments'}: utt {utt}: segment {seg.start}-{end} s is empty or "
                    f"outside recording {seg.recording} ({rec_dur:.3f} s)"
                )
            end = min(end, rec_dur)
            start: float | None = seg.start
            duration = end - seg.start
            rec_end: float | None = end
        else:
            path = kd.wav[utt]
            frames, sr = audio_info(path, utt)
            start, rec_end, duration = None, None, frames / sr

        rec: dict[str, object] = {
            "id": utt,
            "audio": path,
            "start": start,
            "end": rec_end,
            "duration": round(duration, 6),
            "sample_rate": sr,
        }
        if utt not in kd.utt2spk:
            raise DataError(f"{d / 'utt2spk'}: utt {utt} has no speaker")
        rec["speaker"] = kd.utt2spk[utt]
        if kd.text is not None:
            if utt not in kd.text:
                raise DataError(f"{d / 'text'}: utt {utt} has no transcript")
            rec["text"] = kd.text[utt]
        for name, key in mapping.items():
            value = kd.extras[name].get(utt)
            if value is not None:
                rec[key] = value
        records.append(rec)

    return records


def _options(
    extras_map: Mapping[str, str] | None,
    utt_ids: Iterable[str] | None,
    base_dir: str | os.PathLike[str] | None,
) -> dict[str, Any]:
    ids = None
    if utt_ids is not None:  # a digest: the list itself may be long
        ids = hashlib.sha256("\n".join(sorted(utt_ids, key=byte_order)).encode()).hexdigest()
    return {
        "extras_map": None if extras_map is None else dict(sorted(extras_map.items())),
        "utt_ids": ids,
        "base_dir": None if base_dir is None else os.path.abspath(base_dir),
    }


def manifest_header(
    fingerprint: Mapping[str, Any],
    extras_map: Mapping[str, str] | None = None,
    *,
    utt_ids: Iterable[str] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Header for `write_manifest`: the dir's `data_dir_fingerprint` (taken *before* building, so
    a table edited meanwhile makes the cache stale, never wrongly fresh) and the builder options."""
    return {
        "fingerprint": dict(fingerprint),
        "options": _options(extras_map, utt_ids, base_dir),
    }


def data_dir_to_manifest(
    data_dir: str | os.PathLike[str],
    out_jsonl: str | os.PathLike[str],
    extras_map: Mapping[str, str] | None = None,
    *,
    utt_ids: Iterable[str] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
) -> int:
    """Convert a Kaldi data dir into a JSONL manifest (atomically, with a fingerprint header);
    return the number of records written. Arguments as for `build_records`."""
    extra_files = list(extras_map or {})
    fp = data_dir_fingerprint(data_dir, extra_files=extra_files, base_dir=base_dir)
    records = build_records(data_dir, extras_map, utt_ids=utt_ids, base_dir=base_dir)
    header = manifest_header(fp, extras_map, utt_ids=utt_ids, base_dir=base_dir)
    write_manifest(out_jsonl, records, header=header)
    return len(records)


def _verified_cache(d: Path, path: Path, header: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The records of `path` if it is a true cache of data dir `d`, else None (with the reason
    logged). `header`: the header a fresh build would write."""
    if not path.is_file():
        return None
    try:
        got, body, records = _read(path)
    except DataError as e:
        log.info("%s: rebuilding the manifest (%s)", path, e)
        return None
    why = None
    if got is None:
        why = "no fingerprint header (older laura)"
    elif got.get(HEADER_KEY) != MANIFEST_VERSION:
        why = f"manifest version {got.get(HEADER_KEY)!r}, this laura writes {MANIFEST_VERSION}"
    elif got.get("fingerprint") != header["fingerprint"]:
        why = "the tables or audio files changed since it was built"
    elif got.get("options") != header["options"]:
        why = "built with other options"
    elif got.get("records_sha256") != hashlib.sha256(body).hexdigest():
        why = "its records were edited"
    else:
        why = _foreign_record(d, records)
    if why is not None:
        log.info("%s: rebuilding the manifest: %s", path, why)
        return None
    return records


def _foreign_record(d: Path, records: list[dict[str, Any]]) -> str | None:
    """Why a record does not belong to data dir `d`'s tables, or None: every id must be an
    utterance of `wav.scp` (or `segments`) and its audio the file that table names."""
    wav = read_wav_scp(d / "wav.scp")
    segs = read_segments(d / "segments") if (d / "segments").is_file() else None
    for rec in records:
        uid = rec["id"]
        if segs is not None:
            seg = segs.get(uid)
            want = None if seg is None else wav.get(seg.recording)
            table = "segments"
        else:
            want, table = wav.get(uid), "wav.scp"
        if want is None:
            return f"utterance {uid!r} is not in {d / table}"
        if rec.get("audio") != want:
            got = rec.get("audio")
            return f"utterance {uid!r}: audio {got!r}, but {d / 'wav.scp'} says {want!r}"
    return None


def manifest_records(
    data_dir: str | os.PathLike[str],
    *,
    write: bool = True,
    fingerprint: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Every record of a data dir: from `<data_dir>/manifest.jsonl` when it is a verified cache of
    the tables (see the module doc), else built from the tables.

    A rebuilt manifest is written back atomically when `write` is true and the dir is writable;
    with `write=False` (decoding, scoring: read-only use) nothing is ever written into the dir.
    `fingerprint`: `data_dir_fingerprint(data_dir)` if the caller has it already (saves a second
    pass over the tables and audio files).
    """
    d = Path(data_dir)
    fp = data_dir_fingerprint(d) if fingerprint is None else fingerprint
    header = manifest_header(fp)
    path = d / MANIFEST_NAME
    records = _verified_cache(d, path, header)
    if records is not None:
        return records
    records = build_records(d)
    if write:
        try:
            write_manifest(path, records, header=header)
        except OSError as e:  # a read-only data dir: the records are used from memory
            log.info("%s: cannot cache the manifest (%s); using it from memory", path, e)
    return records


def _read(path: Path) -> tuple[dict[str, Any] | None, bytes, list[dict[str, Any]]]:
    """(header or None, the bytes of the record lines, records) of a manifest file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as e:
        raise DataError(f"{path}: no such file") from e
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e}") from e
    header = None
    body = raw
    first, _, rest = raw.partition(b"\n")
    if first.lstrip().startswith(b"{") and HEADER_KEY.encode() in first:
        try:
            obj = json.loads(first)
        except (json.JSONDecodeError, UnicodeDecodeError):
            obj = None
        if isinstance(obj, dict) and HEADER_KEY in obj and "id" not in obj:
            header, body = obj, rest
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: cannot read: {e}") from e
    offset = 1 if header is not None else 0  # line numbers count the header line
    records: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    # Split on "\n" only: json.dumps(ensure_ascii=False) leaves U+2028 or U+0085 in a transcript
    # unescaped, and str.splitlines() would cut the record there.
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last record
    for lineno, line in enumerate(lines, start=1 + offset):
        if not line.strip():
            raise DataError(f"{path}:{lineno}: blank line")
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(f"{path}:{lineno}: malformed JSON: {e.msg} (column {e.colno})") from e
        if not isinstance(rec, dict):
            raise DataError(f"{path}:{lineno}: expected a JSON object, got {type(rec).__name__}")
        missing = [k for k in REQUIRED_KEYS if k not in rec]
        if missing:
            raise DataError(f"{path}:{lineno}: record lacks required key(s) {missing}")
        rid = rec["id"]
        if not isinstance(rid, str):
            raise DataError(f"{path}:{lineno}: id {rid!r} is not a string")
        bad = check_utt_id(rid)
        if bad is not None:
            raise DataError(f"{path}:{lineno}: id {rid!r} {bad}")
        if rid in seen:
            raise DataError(
                f"{path}:{lineno}: duplicate id {rid!r} (first seen at line {seen[rid]})"
            )
        seen[rid] = lineno
        records.append(rec)
    return header, body, records


def read_manifest(path: str | os.PathLike[str]) -> list[dict]:
    """Read a JSONL manifest (with or without the header line). Raises `DataError` naming file
    and line for bad JSON, non-object lines, blank lines, missing required keys (`id`, `audio`,
    `duration`), unsafe ids (`kaldi.check_utt_id`) and duplicate ids."""
    return _read(Path(path))[2]


def write_manifest(
    path: str | os.PathLike[str],
    records: Iterable[Mapping[str, object]],
    header: Mapping[str, Any] | None = None,
) -> None:
    """Write records as JSONL (UTF-8, one object per line) atomically, in the given order.

    With `header` (see `manifest_header`) the first line is the header, completed with the
    format version and the sha256 of the record lines; one file, one rename, so the header and
    the records it describes cannot come apart."""
    path = Path(path)
    lines = []
    for i, rec in enumerate(records):
        if "id" not in rec:
            raise DataError(f"{path}: record #{i} has no 'id'")
        try:
            lines.append(json.dumps(dict(rec), ensure_ascii=False, allow_nan=False) + "\n")
        except (TypeError, ValueError) as e:
            raise DataError(f"{path}: record {rec['id']!r} cannot be written as JSON: {e}") from e
    body = "".join(lines)
    if header is not None:
        digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
        head = {HEADER_KEY: MANIFEST_VERSION, **header, "records_sha256": digest}
        body = json.dumps(head, ensure_ascii=False, allow_nan=False) + "\n" + body
    atomic_write_text(path, body)
