"""Kaldi-style data directories: `wav.scp`, `text`, `utt2spk`, `spk2utt`, `segments` and friends.

A *table* file holds one entry per line: `key value...`. The key runs up to the first space or
tab; the value is the rest of the line with surrounding whitespace stripped (it may be empty).
Files are UTF-8. Blank lines, lines starting with whitespace and duplicate keys are errors; the
error names the file and the line. Writers sort keys in byte order (what `LC_ALL=C sort` gives)
and replace files atomically, so a crash never leaves a half-written table behind.

Differences from Kaldi, on purpose:

* `wav.scp` values must be audio file paths. Piped commands (`sox ... |`) and ark offsets
  (`foo.ark:123`) are rejected with an error naming the file and line: we read audio with
  `soundfile`, never through a shell.
* A relative path in `wav.scp` (or any other `*.scp`) is resolved against the directory that
  contains the `.scp` file, not the current working directory, so a data dir can be moved or used
  from anywhere. Pass `base_dir=` to resolve against another directory (e.g. `Path.cwd()` for a
  Kaldi/ESPnet recipe that wrote paths relative to the recipe root).
* In `segments` (`utt rec start end`, seconds) an end time of `-1` means "to the end of the
  recording", as in Kaldi's `extract-segments`; it is stored as `end=None`.
* A missing `utt2spk` is read as "every utterance is its own speaker"; `spk2utt` is derived from
  `utt2spk` when the file is absent (`validate.py` still reports a missing `utt2spk`).
* Ids (the keys of every table: utterances, recordings, speakers) must be usable as one file
  name, because decoding writes `<out>/wav/<id>.wav` and friends: `check_utt_id` refuses empty
  ids, `.` and `..`, `/`, `\\`, NUL, whitespace and other control characters, and ids longer than
  `MAX_ID_BYTES`. `scan_table` reports such a key as a `bad-id` issue (file, line and the id
  quoted with `repr`, so a hostile id cannot print terminal escapes), the readers refuse it and
  `write_table` never writes one.

Besides the core files, every per-utterance table whose name matches `EXTRA_TABLE_PATTERNS`
(`text.*`, `utt2*`, `*.scp`, `caption*`, `prompt*`) is loaded into `KaldiDir.extras`, so a new
task can add e.g. `utt2emotion` or `text.en` without changing this module. Other names can be
requested with `extra_files=`.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from laura.data.errors import DataError
from laura.io import atomic_write_text  # noqa: F401  (re-exported: data modules import it here)

__all__ = [
    "CORE_FILES",
    "EXTRA_TABLE_PATTERNS",
    "KaldiDir",
    "Segment",
    "TableIssue",
    "TableLine",
    "atomic_write_text",
    "MAX_ID_BYTES",
    "byte_order",
    "check_utt_id",
    "data_dir_fingerprint",
    "derive_spk2utt",
    "is_extra_table",
    "load_data_dir",
    "parse_segment",
    "read_segments",
    "read_table",
    "read_wav_scp",
    "resolve_audio_path",
    "scan_table",
    "table_names",
    "write_data_dir",
    "write_table",
]

CORE_FILES = ("wav.scp", "text", "utt2spk", "spk2utt", "segments")
# Per-utterance tables picked up automatically as extras (fnmatch patterns on the file name).
EXTRA_TABLE_PATTERNS = ("text.*", "utt2*", "*.scp", "caption*", "prompt*")
# Never extras: tables keyed by speaker/recording, Kaldi feature archives (we compute features
# ourselves), and editor/backup leftovers.
_NOT_EXTRA = ("cmvn.scp", "feats.scp", "*.bak", "*~", "*.orig", "*.tmp", ".*")

_KEY_SPLIT = re.compile(r"[ \t]+")
# `foo.ark:123` (Kaldi archive offset) - not a plain audio path.
_ARK_OFFSET = re.compile(r"\.ark:\d+$")
MAX_ISSUES_IN_MESSAGE = 20
# Ids become file names (`<id>.wav`, `<id>_reference.wav`, `<id>.png`): leave room for a suffix
# under the usual 255-byte limit of a file name.
MAX_ID_BYTES = 200


def byte_order(key: str) -> bytes:
    """Sort key matching `LC_ALL=C sort` (UTF-8 byte order), which Kaldi tools expect."""
    return key.encode("utf-8")


@dataclass(frozen=True)
class TableLine:
    """One well-formed table entry."""

    lineno: int
    key: str
    value: str


@dataclass(frozen=True)
class TableIssue:
    """One problem found while scanning a table; `kind` is a short code used by validate.py."""

    lineno: int
    kind: str  # "blank" | "malformed" | "encoding" | "duplicate" | "bad-id"
    key: str | None
    message: str


def check_utt_id(uid: str) -> str | None:
    """What makes `uid` unusable as an id (utterance, recording or speaker), or None if it is fine.

    An id must be one safe file-name component: outputs are written as `<out>/wav/<id>.wav`, so
    `../../x`, `a/b`, `/abs/x`, `..` or `.` would write outside `<out>` or onto a directory.
    Refused: the empty id, `.` and `..`, `/` and `\\` (a path separator here or on Windows), NUL,
    whitespace, other non-printable characters (terminal escapes), and ids longer than
    `MAX_ID_BYTES` bytes in UTF-8. Everything else is allowed, e.g. `BAC009S0764W0121`,
    `1272-128104-0000`, `spk1_utt.2`, `.hidden` or non-ASCII letters.

    The answer reads after the id: `f"id {uid!r} {problem}"`.
    """
    if not uid:
        return "is empty"
    if uid in (".", ".."):
        return f"is {uid!r}, a directory name (ids become file names)"
    for c in uid:
        if c in "/\\":
            return f"contains {c!r} (ids become file names: no path separators)"
        if c == "\0":
            return "contains a NUL character"
        if c.isspace():
            return "contains whitespace"
        if not c.isprintable():
            return f"contains the control character {c!r}"
    n = len(uid.encode("utf-8"))
    if n > MAX_ID_BYTES:
        return f"is {n} bytes long (at most {MAX_ID_BYTES}: ids become file names)"
    return None


def _parse_table(raw: bytes) -> tuple[list[TableLine], list[TableIssue]]:
    entries: list[TableLine] = []
    issues: list[TableIssue] = []
    first_seen: dict[str, int] = {}
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the newline that ends the last line
    for lineno, bline in enumerate(lines, start=1):
        try:
            line = bline.decode("utf-8")
        except UnicodeDecodeError as e:
            issues.append(TableIssue(lineno, "encoding", None, f"not valid UTF-8 ({e.reason})"))
            continue
        line = line.rstrip()  # also drops a Windows "\r"
        if not line:
            issues.append(TableIssue(lineno, "blank", None, "blank line"))
            continue
        if line[0].isspace():
            issues.append(
                TableIssue(lineno, "malformed", None, "line starts with whitespace (empty id)")
            )
            continue
        parts = _KEY_SPLIT.split(line, maxsplit=1)
        key = parts[0]
        value = parts[1].strip() if len(parts) > 1 else ""
        bad = check_utt_id(key)
        if bad is not None:
            # key=None: the raw id is only ever printed quoted (it may hold terminal escapes).
            # The entry is dropped from every table alike, so no "missing from" cascade follows.
            issues.append(TableIssue(lineno, "bad-id", None, f"id {key!r} {bad}"))
            continue
        if key in first_seen:
            issues.append(
                TableIssue(
                    lineno, "duplicate", key, f"duplicate id (first seen at line {first_seen[key]})"
                )
            )
            continue
        first_seen[key] = lineno
        entries.append(TableLine(lineno, key, value))
    return entries, issues


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as e:
        raise DataError(f"{path}: no such file") from e
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e}") from e


def scan_table(path: str | os.PathLike[str]) -> tuple[list[TableLine], list[TableIssue]]:
    """Parse a table leniently: return every good entry and every issue, never raise on content.

    Duplicate keys are reported as issues and only the first occurrence is kept in the entries;
    unsafe ids (see `check_utt_id`) are reported and left out of the entries.
    Raises `DataError` only if the file cannot be opened.
    """
    return _parse_table(_read_bytes(Path(path)))


def _raise_issues(path: Path, issues: list[TableIssue]) -> None:
    shown = [f"{path}:{i.lineno}: {i.message}" for i in issues[:MAX_ISSUES_IN_MESSAGE]]
    if len(issues) > MAX_ISSUES_IN_MESSAGE:
        shown.append(f"... and {len(issues) - MAX_ISSUES_IN_MESSAGE} more")
    raise DataError("\n".join(shown))


def read_table(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a `key value...` table into an ordered dict (file order).

    Raises `DataError` naming the file and line(s) for blank/malformed lines, bad UTF-8 and
    duplicate keys (all of them are listed, not just the first).
    """
    path = Path(path)
    entries, issues = scan_table(path)
    if issues:
        _raise_issues(path, issues)
    return {e.key: e.value for e in entries}


def _check_key_value(path: Path, key: str, value: str) -> None:
    bad = check_utt_id(key)
    if bad is not None:
        raise DataError(f"{path}: id {key!r} {bad}")
    if "\n" in value or "\r" in value:
        raise DataError(f"{path}: value for id {key!r} contains a newline")


def write_table(path: str | os.PathLike[str], mapping: Mapping[str, object]) -> None:
    """Write a table sorted by key in byte order, atomically. Values are converted with `str()`."""
    path = Path(path)
    lines = []
    for key in sorted(mapping, key=byte_order):
        value = str(mapping[key]).strip()
        _check_key_value(path, key, value)
        lines.append(f"{key} {value}\n" if value else f"{key}\n")
    atomic_write_text(path, "".join(lines))


def resolve_audio_path(value: str, base_dir: str | os.PathLike[str]) -> str:
    """Turn a `.scp` value into an absolute path; raise `ValueError` for pipes and ark offsets."""
    if value.endswith("|"):
        raise ValueError(f"piped commands are not supported (got {value!r}); write audio files")
    if _ARK_OFFSET.search(value):
        raise ValueError(f"ark offsets are not supported (got {value!r}); write audio files")
    if not value:
        raise ValueError("empty audio path")
    p = Path(value)
    if not p.is_absolute():
        p = Path(base_dir) / p
    return os.path.abspath(p)


def read_wav_scp(
    path: str | os.PathLike[str], base_dir: str | os.PathLike[str] | None = None
) -> dict[str, str]:
    """Read `wav.scp` (or any path-valued `.scp`) into id -> absolute audio path.

    Relative paths are resolved against `base_dir`, by default the directory holding the file.
    Piped commands and ark offsets raise `DataError` naming the file and line.
    """
    path = Path(path)
    base = Path(base_dir) if base_dir is not None else path.parent
    entries, issues = scan_table(path)
    if issues:
        _raise_issues(path, issues)
    out: dict[str, str] = {}
    errors: list[TableIssue] = []
    for e in entries:
        try:
            out[e.key] = resolve_audio_path(e.value, base)
        except ValueError as err:
            errors.append(TableIssue(e.lineno, "malformed", e.key, f"utt {e.key}: {err}"))
    if errors:
        _raise_issues(path, errors)
    return out


@dataclass(frozen=True)
class Segment:
    """A `segments` entry: part of recording `recording` from `start` to `end` seconds.

    `end=None` means "to the end of the recording" (Kaldi writes -1).
    """

    recording: str
    start: float
    end: float | None


def parse_segment(value: str) -> Segment:
    """Parse the value part of a `segments` line (`rec start end`); raise `ValueError`."""
    parts = value.split()
    if len(parts) != 3:
        raise ValueError(f"expected 'utt recording start end', got {len(parts) + 1} fields")
    rec, s_start, s_end = parts
    try:
        start, end = float(s_start), float(s_end)
    except ValueError:
        raise ValueError(f"start/end must be numbers, got {s_start!r} {s_end!r}") from None
    if start != start or end != end or start in (float("inf"), -float("inf")):
        raise ValueError(f"start/end must be finite, got {s_start!r} {s_end!r}")
    return Segment(rec, start, None if end == -1 else end)


def read_segments(path: str | os.PathLike[str]) -> dict[str, Segment]:
    """Read `segments` into utt -> Segment. Syntax errors raise `DataError` with file and line.

    Semantic checks (start < end, within the recording) are `validate.py`'s job.
    """
    path = Path(path)
    entries, issues = scan_table(path)
    out: dict[str, Segment] = {}
    for e in entries:
        try:
            out[e.key] = parse_segment(e.value)
        except ValueError as err:
            issues.append(TableIssue(e.lineno, "malformed", e.key, f"utt {e.key}: {err}"))
    if issues:
        _raise_issues(path, sorted(issues, key=lambda i: i.lineno))
    return out


def derive_spk2utt(utt2spk: Mapping[str, str]) -> dict[str, list[str]]:
    """spk -> sorted list of its utterances (both in byte order)."""
    out: dict[str, list[str]] = {}
    for utt in sorted(utt2spk, key=byte_order):
        out.setdefault(utt2spk[utt], []).append(utt)
    return {spk: out[spk] for spk in sorted(out, key=byte_order)}


def is_extra_table(name: str) -> bool:
    """True for file names loaded into `KaldiDir.extras` automatically."""
    if name in CORE_FILES or any(fnmatch.fnmatchcase(name, p) for p in _NOT_EXTRA):
        return False
    return any(fnmatch.fnmatchcase(name, p) for p in EXTRA_TABLE_PATTERNS)


@dataclass
class KaldiDir:
    """An in-memory Kaldi data dir.

    Without `segments`, `wav` maps utterance ids to audio paths. With `segments`, `wav` maps
    *recording* ids to paths and utterances are the keys of `segments`.
    """

    path: Path
    wav: dict[str, str]
    utt2spk: dict[str, str]
    spk2utt: dict[str, list[str]]
    text: dict[str, str] | None = None
    segments: dict[str, Segment] | None = None
    extras: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def utt_ids(self) -> list[str]:
        """Utterance ids in byte order."""
        keys = self.segments if self.segments is not None else self.wav
        return sorted(keys, key=byte_order)

    def audio_of(self, utt: str) -> tuple[str, float | None, float | None]:
        """(audio path, start, end) of an utterance; start/end are None without segments."""
        if self.segments is None:
            return self.wav[utt], None, None
        seg = self.segments[utt]
        return self.wav[seg.recording], seg.start, seg.end


def load_data_dir(
    data_dir: str | os.PathLike[str],
    *,
    extra_files: Iterable[str] = (),
    base_dir: str | os.PathLike[str] | None = None,
) -> KaldiDir:
    """Load a Kaldi data dir. Only `wav.scp` is required.

    `extra_files` names additional per-utterance tables to load into `extras` even if they do
    not match `EXTRA_TABLE_PATTERNS` (a listed file that is missing is an error).
    `base_dir` is passed to `read_wav_scp` (relative audio paths; default: the data dir).
    Any malformed file raises `DataError`; run `validate_data_dir` for a full report.
    """
    d = Path(data_dir)
    if not d.is_dir():
        raise DataError(f"{d}: data directory does not exist")
    if not (d / "wav.scp").is_file():
        raise DataError(f"{d / 'wav.scp'}: no such file (every data dir needs wav.scp)")
    wav = read_wav_scp(d / "wav.scp", base_dir=base_dir)
    segments = read_segments(d / "segments") if (d / "segments").is_file() else None
    text = read_table(d / "text") if (d / "text").is_file() else None
    utt_keys = segments if segments is not None else wav
    if (d / "utt2spk").is_file():
        utt2spk = read_table(d / "utt2spk")
    else:
        utt2spk = {u: u for u in utt_keys}  # no speaker info: each utterance its own speaker
    if (d / "spk2utt").is_file():
        spk2utt = {k: v.split() for k, v in read_table(d / "spk2utt").items()}
    else:
        spk2utt = derive_spk2utt(utt2spk)

    names = {p.name for p in d.iterdir() if p.is_file() and is_extra_table(p.name)}
    for name in extra_files:
        if not (d / name).is_file():
            raise DataError(f"{d / name}: no such file (requested as an extra table)")
        names.add(name)
    extras: dict[str, dict[str, str]] = {}
    for name in sorted(names):
        if name.endswith(".scp"):
            # path-valued, like wav.scp: resolve relative paths the same way
            extras[name] = read_wav_scp(d / name, base_dir=base_dir)
        else:
            extras[name] = read_table(d / name)
    return KaldiDir(
        path=d,
        wav=wav,
        utt2spk=utt2spk,
        spk2utt=spk2utt,
        text=text,
        segments=segments,
        extras=extras,
    )


def table_names(data_dir: str | os.PathLike[str], extra_files: Iterable[str] = ()) -> list[str]:
    """Names of the tables `load_data_dir`/`validate_data_dir` read, sorted: the core files that
    exist, the extras `is_extra_table` picks up, and `extra_files` (listed even if missing)."""
    d = Path(data_dir)
    names = {n for n in CORE_FILES if (d / n).is_file()}
    names.update(p.name for p in d.iterdir() if p.is_file() and is_extra_table(p.name))
    names.update(extra_files)
    return sorted(names)


def data_dir_fingerprint(
    data_dir: str | os.PathLike[str],
    *,
    extra_files: Iterable[str] = (),
    base_dir: str | os.PathLike[str] | None = None,
) -> dict[str, object]:
    """What files derived from a data dir (manifest, validation stamp) were made from.

    Equal fingerprints mean the same tables and untouched audio files, so a derived file stamped
    with it is still true. JSON-ready dict:

    * `tables`: name -> sha256 of the file's bytes for every table of `table_names` (None for a
      requested `extra_files` entry that is missing). Contents, not mtimes: a forged file with a
      newer mtime does not pass for the truth, and copying a dir keeps it valid.
    * `audio`: sha256 over (absolute path, size, mtime_ns, ctime_ns, inode) of every audio file
      `wav.scp` and the other `*.scp` tables name (a missing file hashes as missing); `os.stat`
      only, no file is opened. Replacing or rewriting a file changes its inode or ctime, which
      cannot be set back like an mtime; moving the dir changes the absolute paths.
    * `audio_files`: how many distinct audio paths that is.

    Lenient: lines the tables cannot parse are skipped here (validation reports them).
    """
    d = Path(data_dir)
    base = Path(base_dir) if base_dir is not None else d
    tables: dict[str, str | None] = {}
    paths: set[str] = set()
    for name in table_names(d, extra_files):
        try:
            raw = (d / name).read_bytes()
        except OSError:
            tables[name] = None
            continue
        tables[name] = hashlib.sha256(raw).hexdigest()
        if name.endswith(".scp"):
            for e in _parse_table(raw)[0]:
                try:
                    paths.add(resolve_audio_path(e.value, base))
                except ValueError:
                    pass
    h = hashlib.sha256()
    for path in sorted(paths):
        try:
            st = os.stat(path)
            stat = f"{st.st_size}\t{st.st_mtime_ns}\t{st.st_ctime_ns}\t{st.st_ino}"
        except (OSError, ValueError):  # ValueError: a NUL in the path
            stat = "-"
        h.update(f"{path}\t{stat}\n".encode("utf-8", "surrogateescape"))
    return {"tables": tables, "audio": h.hexdigest(), "audio_files": len(paths)}


def _fmt_time(t: float) -> str:
    # microsecond precision, no trailing zeros: 1.5 -> "1.5", 3.0 -> "3"
    return f"{t:.6f}".rstrip("0").rstrip(".")


def write_data_dir(
    data_dir: str | os.PathLike[str],
    *,
    wav: Mapping[str, str | os.PathLike[str]],
    text: Mapping[str, str] | None = None,
    utt2spk: Mapping[str, str] | None = None,
    segments: Mapping[str, Segment] | None = None,
    extras: Mapping[str, Mapping[str, object]] | None = None,
) -> Path:
    """Write a data dir (each file sorted and atomic); `spk2utt` is derived from `utt2spk`.

    Without `utt2spk`, every utterance is its own speaker. `wav` values are written as given
    (absolute paths keep the dir relocatable; relative ones are relative to the data dir).
    `extras` maps file names (e.g. "text.en", "utt2lang") to tables.
    """
    d = Path(data_dir)
    d.mkdir(parents=True, exist_ok=True)
    write_table(d / "wav.scp", {k: os.fspath(v) for k, v in wav.items()})
    utts = list(segments) if segments is not None else list(wav)
    if segments is not None:
        write_table(
            d / "segments",
            {
                u: (
                    f"{s.recording} {_fmt_time(s.start)} "
                    f"{'-1' if s.end is None else _fmt_time(s.end)}"
                )
                for u, s in segments.items()
            },
        )
    if text is not None:
        write_table(d / "text", text)
    u2s = dict(utt2spk) if utt2spk is not None else {u: u for u in utts}
    write_table(d / "utt2spk", u2s)
    write_table(d / "spk2utt", {s: " ".join(us) for s, us in derive_spk2utt(u2s).items()})
    for name, table in (extras or {}).items():
        if name in CORE_FILES or "/" in name or name.startswith("."):
            raise DataError(f"{d / name}: not a valid extra table name")
        write_table(d / name, table)
    return d
