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
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import soundfile

from laura.data.errors import DataError
from laura.data.kaldi import atomic_write_text, byte_order, load_data_dir

__all__ = [
    "REQUIRED_KEYS",
    "data_dir_to_manifest",
    "default_extra_key",
    "read_manifest",
    "write_manifest",
]

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


def data_dir_to_manifest(
    data_dir: str | os.PathLike[str],
    out_jsonl: str | os.PathLike[str],
    extras_map: Mapping[str, str] | None = None,
    *,
    utt_ids: Iterable[str] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
) -> int:
    """Convert a Kaldi data dir into a JSONL manifest; return the number of records written.

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

    write_manifest(out_jsonl, records)
    return len(records)


def read_manifest(path: str | os.PathLike[str]) -> list[dict]:
    """Read a JSONL manifest. Raises `DataError` naming file and line for bad JSON, non-object
    lines, blank lines, missing required keys (`id`, `audio`, `duration`) and duplicate ids."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise DataError(f"{path}: no such file") from e
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot read: {e}") from e
    records: list[dict] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(raw.splitlines(), start=1):
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
        if rid in seen:
            raise DataError(
                f"{path}:{lineno}: duplicate id {rid!r} (first seen at line {seen[rid]})"
            )
        seen[rid] = lineno
        records.append(rec)
    return records


def write_manifest(path: str | os.PathLike[str], records: Iterable[Mapping[str, object]]) -> None:
    """Write records as JSONL (UTF-8, one object per line) atomically, in the given order."""
    path = Path(path)
    lines = []
    for i, rec in enumerate(records):
        if "id" not in rec:
            raise DataError(f"{path}: record #{i} has no 'id'")
        try:
            lines.append(json.dumps(dict(rec), ensure_ascii=False, allow_nan=False) + "\n")
        except (TypeError, ValueError) as e:
            raise DataError(f"{path}: record {rec['id']!r} cannot be written as JSON: {e}") from e
    atomic_write_text(path, "".join(lines))
