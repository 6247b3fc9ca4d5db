"""Check a Kaldi data dir before training, in the spirit of Kaldi's `validate_data_dir.sh`.

Every problem is reported (not just the first), one `Problem` per bad line / utterance, each
naming the file, the line when there is one, the utterance and what is wrong, e.g.::

    data/train/wav.scp:12: utt spk1-003: audio file /x/y.wav does not exist

Checks:

* required files exist: `wav.scp`, `utt2spk`, `text` (unless `require_text=False`) and any
  `extra_text_files`;
* every table (core files, `segments`, `spk2utt` and the extras `kaldi.is_extra_table` picks up):
  blank or malformed lines, bad UTF-8, duplicate ids, unsafe ids (`kaldi.check_utt_id`: path
  separators, `..`, NUL, ...), ids not sorted in byte order;
* the dir has at least one utterance (an empty `wav.scp` or `segments` is a problem);
* ids present in one per-utterance file and missing from another (one problem per id);
* `spk2utt` agrees with `utt2spk`; speaker ids are single safe tokens;
* empty transcripts in `text` and `extra_text_files`;
* audio (`check_audio=True`): file missing, unreadable, a WAV whose data chunk is shorter than
  its header declares (truncated: libsndfile would silently read what is there), sample rate !=
  expected, not mono, zero samples, duration outside [min_duration, max_duration]; with
  `check_samples=True` the samples are decoded (in blocks, so memory stays bounded) to find
  all-zero audio, NaN/Inf and files that decode to fewer frames than their header says;
  other path tables (e.g. `clean.scp`) get the same checks except the duration limits;
* `segments`: syntax, start >= 0, start < end, recording in `wav.scp`, segment within the
  recording (with `SEGMENT_TOLERANCE` slack), segment duration within the limits.

With `segments`, `wav.scp` is keyed by recording, and problems about a recording are labelled
`recording <id>`; `filter_invalid` then drops every segment of that recording.

`check_audio=False` skips every access to audio files (useful on slow network storage);
`check_samples=False` keeps the header checks and skips decoding.

Validation is done once per data dir, not at every `laura train` start nor on every DDP rank:
`validate_once` writes `<data_dir>/.validated.json` (atomically; skipped when the dir is
read-only), holding the dir's `kaldi.data_dir_fingerprint` (taken before validating), the
options and the problems found, and returns the recorded problems while the fingerprint, the
options and `VALIDATOR_VERSION` still match. Any change to a table, a replaced/rewritten/missing
audio file or a moved dir changes the fingerprint and validation runs again. A clean stamp also
answers a less demanding request (e.g. `check_audio=False`, `require_text=False`, wider duration
limits). The stamp is a cache, not a seal: whoever can write the data dir can forge it, as they
can the data.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
import os
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

from laura.data.errors import DataError
from laura.data.kaldi import (
    TableLine,
    byte_order,
    check_utt_id,
    data_dir_fingerprint,
    derive_spk2utt,
    is_extra_table,
    load_data_dir,
    parse_segment,
    resolve_audio_path,
    scan_table,
)
from laura.io import atomic_write_json

__all__ = [
    "BENIGN_KINDS",
    "STAMP_NAME",
    "STRUCTURAL_KINDS",
    "VALIDATOR_VERSION",
    "Problem",
    "ValidationError",
    "filter_invalid",
    "format_problems",
    "raise_if_invalid",
    "validate_data_dir",
    "validate_once",
]

log = logging.getLogger(__name__)

# Problems that stop `load_data_dir` from working: skipping utterances cannot help.
STRUCTURAL_KINDS = frozenset(
    {
        "missing-dir",
        "missing-file",
        "unreadable-file",
        "blank",
        "malformed",
        "encoding",
        "duplicate",
        "bad-id",
        "no-utterances",
        "spk2utt",
    }
)
# Problems our loaders do not care about (Kaldi tools do): reported, never cause skipping.
BENIGN_KINDS = frozenset({"unsorted"})
SEGMENT_TOLERANCE = 0.02  # seconds a segment may overshoot its recording (rounding)
_BLOCK_FRAMES = 1 << 20  # decode in blocks of ~1M frames: bounded memory for long recordings
MAX_PROBLEMS_IN_MESSAGE = 50
STAMP_NAME = ".validated.json"
# Bump when validate_data_dir gains or changes a check: older stamps then no longer count.
VALIDATOR_VERSION = 2
# WAV data sizes that mean "length unknown": what espeak-ng and sox write to a pipe, and -1.
_WAV_STREAMING_SIZES = (0x7FFFF000, 0xFFFFFFFF)
_EXACT_LENGTH_FORMATS = frozenset({"WAV", "WAVEX", "FLAC", "AIFF", "W64", "RF64", "CAF"})


@dataclass(frozen=True)
class Problem:
    """One problem in a data dir. `kind` is a short machine-readable code (see module doc)."""

    file: str
    line: int | None
    utt: str | None
    message: str
    kind: str = "other"
    label: str = "utt"  # "recording" for wav.scp entries of a dir with segments

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        who = f"{self.label} {self.utt}: " if self.utt is not None else ""
        return f"{where}: {who}{self.message}"


def format_problems(problems: Sequence[Problem], limit: int = MAX_PROBLEMS_IN_MESSAGE) -> str:
    """One line per problem, the first `limit` of them, then `... and N more`."""
    lines = [str(p) for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"... and {len(problems) - limit} more")
    return "\n".join(lines)


class ValidationError(DataError):
    """Raised when a data dir has problems; `.problems` holds all of them."""

    def __init__(self, problems: Sequence[Problem], data_dir: str | os.PathLike[str] | None = None):
        self.problems = list(problems)
        self.data_dir = None if data_dir is None else str(data_dir)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''}"
        if self.data_dir is not None:
            head += f" in data dir {self.data_dir}"
        super().__init__(f"{head}:\n{format_problems(self.problems)}")


def _unsorted_problem(label: str, entries: list[TableLine]) -> Problem | None:
    bad = [
        (prev, cur)
        for prev, cur in zip(entries, entries[1:])
        if byte_order(cur.key) < byte_order(prev.key)
    ]
    if not bad:
        return None
    prev, cur = bad[0]
    more = f"; {len(bad)} out-of-order lines in total" if len(bad) > 1 else ""
    return Problem(
        label,
        cur.lineno,
        None,
        f"ids are not sorted in byte order (LC_ALL=C sort): {cur.key!r} comes after "
        f"{prev.key!r}{more}",
        "unsorted",
    )


@dataclass
class _AudioInfo:
    frames: int
    sample_rate: int
    channels: int
    subtype: str
    format: str = ""

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate > 0 else 0.0


def _read_info(path: str) -> tuple[_AudioInfo | None, tuple[str, str] | None]:
    """Header of an audio file, or (None, (kind, message))."""
    if not os.path.isfile(path):
        return None, ("audio-missing", f"audio file {path} does not exist")
    try:
        info = soundfile.info(path)
    except Exception as e:  # LibsndfileError, RuntimeError, TypeError: all "cannot read"
        return None, ("audio-unreadable", f"cannot read audio file {path}: {e}")
    return _AudioInfo(info.frames, info.samplerate, info.channels, info.subtype, info.format), None


def _wav_data_chunk(path: str) -> tuple[int, int, int] | None:
    """(declared data bytes, bytes present after the data chunk header, bytes per frame) of a
    RIFF/WAVE file, or None if it is not one or its data length is unknown.

    libsndfile trusts the file size over a data chunk header that claims more, and reports the
    frames actually there: a truncated WAV looks like a shorter, valid one. Only the chunk
    headers are read."""
    with open(path, "rb") as f:
        riff = f.read(12)
        if len(riff) < 12 or riff[:4] != b"RIFF" or riff[8:12] != b"WAVE":
            return None
        size = os.fstat(f.fileno()).st_size
        block_align = 0
        while True:  # every turn moves >= 8 bytes on: ends at the end of the file
            head = f.read(8)
            if len(head) < 8:
                return None  # no data chunk: libsndfile refuses the file itself
            cid, n = head[:4], struct.unpack("<I", head[4:])[0]
            if cid == b"fmt ":
                fmt = f.read(n)
                if len(fmt) >= 14:
                    block_align = struct.unpack("<H", fmt[12:14])[0]
                f.seek(n & 1, os.SEEK_CUR)
            elif cid == b"data":
                if n in _WAV_STREAMING_SIZES or block_align <= 0:
                    return None
                return n, size - f.tell(), block_align
            else:
                f.seek(n + (n & 1), os.SEEK_CUR)  # chunks are padded to an even size


def _truncation(path: str, info: _AudioInfo) -> tuple[str, str] | None:
    """A WAV whose data chunk is shorter than its header declares."""
    if info.format not in ("WAV", "WAVEX"):  # the header says which, not the file name
        return None
    try:
        chunk = _wav_data_chunk(path)
    except OSError as e:
        return "audio-unreadable", f"cannot read audio file {path}: {e}"
    if chunk is None:
        return None
    declared, present, block_align = chunk
    if present >= declared:
        return None
    msg = (
        f"audio file {path} is truncated: its header declares {declared // block_align} "
        f"samples, the file holds {present // block_align}"
    )
    return "truncated", msg


def _scan_samples(path: str, info: _AudioInfo) -> tuple[str, str] | None:
    """Decode the file block by block; report NaN/Inf samples, all-zero audio, or fewer frames
    than the header says (a truncated compressed file)."""
    dtype = "float64" if info.subtype == "DOUBLE" else "float32"
    nonfinite = 0
    any_nonzero = False
    frames = 0
    try:
        for block in soundfile.blocks(path, blocksize=_BLOCK_FRAMES, dtype=dtype, always_2d=True):
            frames += len(block)
            finite = np.isfinite(block)
            nonfinite += int(block.size - np.count_nonzero(finite))
            # NaN != 0 is True, so mask non-finite values out before the silence test
            any_nonzero = any_nonzero or bool(np.any(block[finite] != 0))
    except Exception as e:
        return "audio-unreadable", f"cannot decode audio file {path}: {e}"
    # Lossless formats state their length exactly; lossy ones (MP3, OGG) may estimate it.
    if frames < info.frames and info.format in _EXACT_LENGTH_FORMATS:
        msg = (
            f"audio file {path} is truncated: its header declares {info.frames} samples, "
            f"{frames} could be decoded"
        )
        return "truncated", msg
    if nonfinite:
        return "nonfinite", f"audio contains {nonfinite} NaN/Inf sample(s) ({path})"
    if not any_nonzero:
        return "silent", f"audio is silent: all samples are zero ({path})"
    return None


def _check_audio_file(
    path: str,
    expected_sample_rate: int,
    limits: tuple[float, float] | None,
    check_samples: bool,
) -> tuple[_AudioInfo | None, tuple[str, str] | None]:
    """At most one (kind, message) per file, the most basic first; info if the header is usable."""
    info, err = _read_info(path)
    if info is None:
        return None, err
    err = _truncation(path, info)
    if err is not None:
        return None, err
    if info.sample_rate != expected_sample_rate:
        msg = f"sample rate {info.sample_rate} Hz, expected {expected_sample_rate} Hz ({path})"
        return None, ("sample-rate", msg)
    if info.channels != 1:
        return None, ("channels", f"{info.channels} channels, expected mono ({path})")
    if info.frames == 0:
        return None, ("empty-audio", f"audio file {path} is empty (0 samples)")
    if limits is not None:
        lo, hi = limits
        if info.duration < lo:
            msg = f"duration {info.duration:.3f} s is shorter than min_duration {lo} s ({path})"
            return info, ("too-short", msg)
        if info.duration > hi:
            msg = f"duration {info.duration:.2f} s is longer than max_duration {hi} s ({path})"
            return info, ("too-long", msg)
    if check_samples:
        return info, _scan_samples(path, info)
    return info, None


def validate_data_dir(
    data_dir: str | os.PathLike[str],
    *,
    expected_sample_rate: int = 16000,
    require_text: bool = True,
    max_duration: float = 60.0,
    min_duration: float = 0.05,
    check_audio: bool = True,
    check_samples: bool = True,
    extra_text_files: Iterable[str] = (),
    base_dir: str | os.PathLike[str] | None = None,
) -> list[Problem]:
    """Return every problem found in a Kaldi data dir (empty list: the dir is clean).

    `extra_text_files` (e.g. `("text.en",)`) are required and checked for empty values like
    `text`. `base_dir` resolves relative audio paths (default: the data dir, see kaldi.py).
    """
    d = Path(data_dir)
    if not d.is_dir():
        return [Problem(str(d), None, None, "data directory does not exist", "missing-dir")]
    extra_text_files = list(extra_text_files)
    base = Path(base_dir) if base_dir is not None else d
    problems: list[Problem] = []

    def fname(name: str) -> str:
        return str(d / name)

    required = ["wav.scp", "utt2spk"] + (["text"] if require_text else []) + extra_text_files
    for name in dict.fromkeys(required):
        if not (d / name).is_file():
            problems.append(
                Problem(fname(name), None, None, "required file is missing", "missing-file")
            )

    has_segments = (d / "segments").is_file()
    rec_label = "recording" if has_segments else "utt"

    # --- syntax of every table -------------------------------------------------------------
    core = [n for n in ("wav.scp", "segments", "text", "utt2spk", "spk2utt") if (d / n).is_file()]
    extras = sorted(
        {p.name for p in d.iterdir() if p.is_file() and is_extra_table(p.name)}
        | {n for n in extra_text_files if (d / n).is_file()}
    )
    tables: dict[str, list[TableLine]] = {}
    for name in core + extras:
        try:
            entries, issues = scan_table(d / name)
        except DataError as e:
            problems.append(Problem(fname(name), None, None, str(e), "unreadable-file"))
            continue
        for i in issues:
            problems.append(Problem(fname(name), i.lineno, i.key, i.message, i.kind))
        unsorted = _unsorted_problem(fname(name), entries)
        if unsorted is not None:
            problems.append(unsorted)
        tables[name] = entries

    # wav.scp / *.scp values must be plain paths
    paths: dict[str, dict[str, tuple[int, str]]] = {}  # table -> id -> (line, abs path)
    for name in ["wav.scp"] + [n for n in extras if n.endswith(".scp")]:
        if name not in tables:
            continue
        paths[name] = {}
        label = rec_label if name == "wav.scp" else "utt"
        for e in tables[name]:
            try:
                paths[name][e.key] = (e.lineno, resolve_audio_path(e.value, base))
            except ValueError as err:
                problems.append(Problem(fname(name), e.lineno, e.key, str(err), "malformed", label))

    segments: dict[str, tuple[int, float, float | None, str]] = {}  # utt -> (line, start, end, rec)
    for e in tables.get("segments", []):
        try:
            seg = parse_segment(e.value)
        except ValueError as err:
            problems.append(Problem(fname("segments"), e.lineno, e.key, str(err), "malformed"))
            continue
        segments[e.key] = (e.lineno, seg.start, seg.end, seg.recording)

    # --- the same utterance ids everywhere -----------------------------------------------
    primary = "segments" if has_segments else "wav.scp"
    if primary in tables and not tables[primary]:
        # otherwise an empty dir passes every per-utterance check and reads as clean
        problems.append(
            Problem(str(d), None, None, f"no utterances ({primary} has none)", "no-utterances")
        )
    utt_tables = [n for n in [primary, "text", "utt2spk", *extras] if n in tables]
    ids_of = {n: {e.key: e.lineno for e in tables[n]} for n in utt_tables}
    seen: set[str] = set()
    for name in utt_tables:
        for utt, lineno in ids_of[name].items():
            if utt in seen:
                continue
            seen.add(utt)
            missing = [m for m in utt_tables if utt not in ids_of[m]]
            if missing:
                present = [m for m in utt_tables if utt in ids_of[m]]
                problems.append(
                    Problem(
                        fname(name),
                        lineno,
                        utt,
                        f"present in {', '.join(present)} but missing from {', '.join(missing)}",
                        "missing-id",
                    )
                )

    # --- speakers ------------------------------------------------------------------------
    utt2spk: dict[str, str] = {}
    for e in tables.get("utt2spk", []):
        if not e.value or len(e.value.split()) != 1:
            problems.append(
                Problem(
                    fname("utt2spk"),
                    e.lineno,
                    e.key,
                    f"expected exactly one speaker id, got {e.value!r}",
                    "malformed",
                )
            )
        elif (bad := check_utt_id(e.value)) is not None:
            # speaker ids are keys of spk2utt and may name per-speaker outputs too
            msg = f"speaker id {e.value!r} {bad}"
            problems.append(Problem(fname("utt2spk"), e.lineno, e.key, msg, "bad-id"))
        else:
            utt2spk[e.key] = e.value
    if "spk2utt" in tables and "utt2spk" in tables:
        derived = {s: set(us) for s, us in derive_spk2utt(utt2spk).items()}
        listed = set()
        for e in tables["spk2utt"]:
            listed.add(e.key)
            got = set(e.value.split())
            want = derived.get(e.key)
            if want is None:
                msg = f"speaker {e.key} does not appear in utt2spk"
            elif got != want:
                lack = sorted(want - got, key=byte_order)
                extra = sorted(got - want, key=byte_order)
                msg = (
                    f"utterances of speaker {e.key} disagree with utt2spk: "
                    f"missing {lack[:5]}{'...' if len(lack) > 5 else ''}, "
                    f"unexpected {extra[:5]}{'...' if len(extra) > 5 else ''}"
                )
            else:
                continue
            problems.append(Problem(fname("spk2utt"), e.lineno, None, msg, "spk2utt"))
        for spk in sorted(set(derived) - listed, key=byte_order):
            problems.append(
                Problem(
                    fname("spk2utt"),
                    None,
                    None,
                    f"speaker {spk} from utt2spk is missing (regenerate spk2utt)",
                    "spk2utt",
                )
            )

    # --- transcripts ---------------------------------------------------------------------
    for name in dict.fromkeys(["text", *extra_text_files]):
        for e in tables.get(name, []):
            if not e.value.strip():
                problems.append(
                    Problem(fname(name), e.lineno, e.key, "empty transcript", "empty-text")
                )

    # --- audio ---------------------------------------------------------------------------
    if not check_audio:
        return _sorted(problems)
    rec_info: dict[str, _AudioInfo] = {}
    for name, table in paths.items():
        is_wav = name == "wav.scp"
        label = rec_label if is_wav else "utt"
        # per-file duration limits only for whole-file utterances (segments are checked below)
        limits = (min_duration, max_duration) if is_wav and not has_segments else None
        for key, (lineno, path) in table.items():
            info, bad = _check_audio_file(path, expected_sample_rate, limits, check_samples)
            if bad is not None:
                problems.append(Problem(fname(name), lineno, key, bad[1], bad[0], label))
            if is_wav and info is not None:
                rec_info[key] = info

    # --- segments ------------------------------------------------------------------------
    wav_ids = {e.key for e in tables.get("wav.scp", [])}
    for utt, (lineno, start, end, rec) in segments.items():

        def seg_problem(kind: str, msg: str, utt: str = utt, lineno: int = lineno) -> None:
            problems.append(Problem(fname("segments"), lineno, utt, msg, kind))

        if "wav.scp" in tables and rec not in wav_ids:
            seg_problem("missing-id", f"recording {rec} is not in wav.scp")
            continue
        if start < 0:
            seg_problem("segment", f"start time {start} s is negative")
            continue
        if end is not None and end <= start:
            seg_problem("segment", f"start {start} s is not before end {end} s")
            continue
        info = rec_info.get(rec)
        if info is None:
            continue  # recording unreadable (already reported) or not checked
        rec_dur = info.duration
        eff_end = rec_dur if end is None else end
        if start >= rec_dur or eff_end > rec_dur + SEGMENT_TOLERANCE:
            seg_problem(
                "segment",
                f"segment {start}-{eff_end} s is outside recording {rec} ({rec_dur:.3f} s)",
            )
            continue
        dur = min(eff_end, rec_dur) - start
        if dur < min_duration:
            seg_problem(
                "too-short", f"duration {dur:.3f} s is shorter than min_duration {min_duration} s"
            )
        elif dur > max_duration:
            seg_problem(
                "too-long", f"duration {dur:.2f} s is longer than max_duration {max_duration} s"
            )
    return _sorted(problems)


def _sorted(problems: list[Problem]) -> list[Problem]:
    # by file, then line (file-level problems first); stable, so checks keep their order
    return sorted(problems, key=lambda p: (p.file, p.line or 0))


# validate_data_dir's options and their defaults (validate_once forwards and stamps them)
_VALIDATE_DEFAULTS = {
    name: p.default
    for name, p in inspect.signature(validate_data_dir).parameters.items()
    if p.kind is p.KEYWORD_ONLY
}


def _options(o: Mapping[str, Any]) -> dict[str, Any]:
    """The options as a stamp records them: settings that have no effect are left out, so that
    equal meanings compare equal."""
    audio = bool(o["check_audio"])
    return {
        "require_text": bool(o["require_text"]),
        "extra_text_files": sorted(set(o["extra_text_files"])),
        "base_dir": None if o["base_dir"] is None else os.path.abspath(o["base_dir"]),
        "check_audio": audio,
        "check_samples": bool(audio and o["check_samples"]),
        "expected_sample_rate": int(o["expected_sample_rate"]) if audio else None,
        "min_duration": float(o["min_duration"]) if audio else None,
        "max_duration": float(o["max_duration"]) if audio else None,
    }


def _covers(done: Mapping[str, Any], want: Mapping[str, Any]) -> bool:
    """Would a dir that passed validation with options `done` also pass with `want`?"""
    if done["base_dir"] != want["base_dir"]:
        return False
    if want["require_text"] and not done["require_text"]:
        return False
    if not set(want["extra_text_files"]) <= set(done["extra_text_files"]):
        return False
    if not want["check_audio"]:
        return True
    return (
        done["check_audio"]
        and (done["check_samples"] or not want["check_samples"])
        and done["expected_sample_rate"] == want["expected_sample_rate"]
        and done["min_duration"] >= want["min_duration"]
        and done["max_duration"] <= want["max_duration"]
    )


def _problem_to_json(p: Problem, d: Path) -> dict[str, Any]:
    out = dataclasses.asdict(p)
    # file names relative to the dir: the same dir may be named by another (relative) path later
    if p.file == str(d):
        out["file"] = ""
    elif p.file.startswith(str(d) + os.sep):
        out["file"] = p.file[len(str(d)) + 1 :]
    else:
        out["file"] = None
        out["abs_file"] = p.file
    return out


def _problem_from_json(obj: Mapping[str, Any], d: Path) -> Problem:
    rel = obj["file"]
    file = obj["abs_file"] if rel is None else str(d) if rel == "" else str(d / rel)
    return Problem(
        file, obj["line"], obj["utt"], obj["message"], obj["kind"], obj.get("label", "utt")
    )


def _stamped(
    d: Path, fingerprint: Mapping[str, Any], opts: Mapping[str, Any]
) -> list[Problem] | None:
    try:
        stamp = json.loads((d / STAMP_NAME).read_text(encoding="utf-8"))
        if (
            not isinstance(stamp, dict)
            or stamp.get("validator") != VALIDATOR_VERSION
            or stamp.get("fingerprint") != fingerprint
        ):
            return None
        done = stamp["options"]
        problems = [_problem_from_json(p, d) for p in stamp["problems"]]
        if done == opts:
            return problems
        # a clean result under stricter options answers a less demanding request as well
        return [] if not problems and _covers(done, opts) else None
    except (OSError, ValueError, KeyError, TypeError):  # missing, unreadable or not ours
        return None


def validate_once(
    data_dir: str | os.PathLike[str],
    *,
    write_stamp: bool = True,
    force: bool = False,
    fingerprint: Mapping[str, Any] | None = None,
    **options: Any,
) -> list[Problem]:
    """`validate_data_dir(data_dir, **options)` with the result stamped in
    `<data_dir>/.validated.json`.

    When the stamp matches the dir as it is now (its `kaldi.data_dir_fingerprint`) and the
    options, its recorded problems are returned without validating; otherwise the dir is
    validated and, with `write_stamp`, the stamp is replaced atomically (a read-only dir is
    validated all the same, just not stamped). `force` validates even when the stamp matches
    (`laura validate-data`). `fingerprint`: `data_dir_fingerprint(data_dir,
    extra_files=extra_text_files, base_dir=base_dir)` if the caller has it already.

    DDP: ``laura train`` validates before Lightning starts the other ranks (``ddp`` re-launches
    the script after that, ``ddp_fork``/``ddp_spawn`` inherit the records): they find the stamp.
    """
    d = Path(data_dir)
    unknown = sorted(set(options) - set(_VALIDATE_DEFAULTS))
    if unknown:
        raise TypeError(f"validate_once: unknown options {unknown}")
    kwargs = {**_VALIDATE_DEFAULTS, **options}
    kwargs["extra_text_files"] = list(kwargs["extra_text_files"])
    if not d.is_dir():
        return validate_data_dir(d, **kwargs)
    opts = _options(kwargs)
    if fingerprint is None:  # taken before validating: a change meanwhile makes the stamp stale
        fingerprint = data_dir_fingerprint(
            d, extra_files=kwargs["extra_text_files"], base_dir=kwargs["base_dir"]
        )
    if not force:
        stamped = _stamped(d, fingerprint, opts)
        if stamped is not None:
            return stamped
    problems = validate_data_dir(d, **kwargs)
    if write_stamp:
        stamp = {
            "validator": VALIDATOR_VERSION,
            "fingerprint": dict(fingerprint),
            "options": opts,
            "problems": [_problem_to_json(p, d) for p in problems],
        }
        try:
            # one line: scripts that read every file of a data dir as a table (egs/mini/se_tts/
            # local/subset_dir.py) then see one odd key instead of lines starting with spaces
            atomic_write_json(d / STAMP_NAME, stamp, indent=None)
        except OSError as e:  # read-only data dir: validated, just not remembered
            log.info("%s: cannot write %s (%s)", d, STAMP_NAME, e)
    return problems


def raise_if_invalid(data_dir: str | os.PathLike[str], **kwargs: object) -> None:
    """Run `validate_data_dir(data_dir, **kwargs)`; raise `ValidationError` listing all problems."""
    problems = validate_data_dir(data_dir, **kwargs)  # type: ignore[arg-type]
    if problems:
        raise ValidationError(problems, data_dir)


def filter_invalid(
    data_dir: str | os.PathLike[str], problems: Sequence[Problem]
) -> tuple[list[str], list[Problem]]:
    """Split a data dir's utterances into kept ids and the problems that caused skipping.

    For training with an explicit "skip bad utterances" option: returns `(kept_ids, skipped)`
    where `kept_ids` are the utterance ids (byte order) with no problem and `skipped` holds the
    problems of the dropped ones (write them next to the experiment). A problem about a
    recording drops all its segments. Problems that skipping cannot fix (missing files,
    malformed tables, duplicate ids, spk2utt mismatch) raise `ValidationError`; `unsorted`
    problems are ignored.
    """
    fatal = [
        p
        for p in problems
        if p.kind in STRUCTURAL_KINDS or (p.utt is None and p.kind not in BENIGN_KINDS)
    ]
    if fatal:
        raise ValidationError(fatal, data_dir)
    kd = load_data_dir(data_dir)
    by_rec: dict[str, list[str]] = {}
    if kd.segments is not None:
        for utt, seg in kd.segments.items():
            by_rec.setdefault(seg.recording, []).append(utt)
    bad: set[str] = set()
    skipped: list[Problem] = []
    for p in problems:
        if p.kind in BENIGN_KINDS or p.utt is None:
            continue
        skipped.append(p)
        if p.label == "recording":
            bad.update(by_rec.get(p.utt, []))
        else:
            bad.add(p.utt)
    kept = [u for u in kd.utt_ids if u not in bad]
    return kept, skipped
