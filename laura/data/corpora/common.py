"""The helpers every corpus module shares, and the only module of this package they import.

A corpus module (``laura/data/corpora/<name>.py``) does ``from laura.data.corpora import common,
register_corpus`` and calls ``common.<helper>``; besides these it imports only non-corpus laura
modules (``laura.data.kaldi``, ``laura.data.errors``, ``laura.data.emotion_labels``,
``laura.data.augment``), never another corpus module: what two corpora share moves here
(``tests/test_import_rules.py`` checks it).

- layout: ``require`` (a missing path names the part of the corpus), ``choose_splits`` (the one
  split chooser), ``every_tenth_split`` (``TENTH_SPLITS``), ``iter_files``, ``zip_hint`` and
  ``not_extracted`` (the error for a download whose layout is not found);
- text and ids: ``clean_text``, ``sanitize_id``, ``UniqueIds``, ``read_matches`` (id -> text of
  the lines a pattern matches);
- LibriSpeech / LibriTTS: ``LIBRI_SPLITS``, ``libri_chapters``, ``read_speakers``
  (``SPEAKERS.TXT``) and ``add_genders``;
- skipped items: ``Skips`` (``report_skipped`` for one reason) -- every item a module leaves
  out (a wav without a transcript, a row without audio, an undecodable clip, an unmapped
  label) is counted, logged as one warning line per cause (count, cause, first few items)
  and, where the module keeps one, listed in ``<split>/skipped.tsv`` (``item<TAB>reason``);
- audio: ``is_16k_mono`` (the one format probe; ``sample_is_16k_mono`` for a directory),
  ``audio_info``, ``to_wav16k`` and the converters over many files (``convert_all`` fails on a
  bad file, ``convert_skip_bad`` skips it), ``resolve_audio`` (in place or converted,
  unreadable files skipped);
- writing: ``Utt`` and ``write_split`` (the one split writer), ``aac_utts`` (AAC),
  ``emotion_extras``, ``builders`` / ``SplitBuilder`` / ``write_splits`` (SER);
- ``JsonCorpus`` / ``prepare_json_corpus``: the streaming reader and cutter GigaSpeech and
  WenetSpeech share.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from tqdm import tqdm

from laura.data.errors import DataError
from laura.data.kaldi import CORE_FILES, Segment, atomic_write_text, is_extra_table, write_data_dir

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
SKIP_EXAMPLES = 5  # items named in a skip log line (the list file has them all)
SKIPPED_LIST = "skipped.tsv"
# First line of a git-lfs pointer file: what a clone made without `git lfs pull` holds in place
# of each large file (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md).
LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/v1"
SAMPLE_PROBES = 16  # files of a directory checked before it is used in place
MIN_SEGMENT = 0.05  # seconds; shorter cuts are dropped (the validator's min_duration)
JSON_CHUNK = 1 << 22  # characters read at a time by the streaming JSON reader


# --------------------------------------------------------------------------- layout


# The signature every corpus's prepare shares: prepare(src, out, *, splits: Splits = None,
# num_workers: int = 2, **its own options) -> Dirs
Splits = Sequence[str] | None  # the splits asked for (None: the corpus's default ones)
Dirs = dict[str, Path]  # split name -> the data dir written


def require(path: Path, what: str) -> Path:
    """``path`` must exist; the error says which part of the corpus layout is missing."""
    if not path.exists():
        raise DataError(
            f"{path}: not found ({what}); is the corpus extracted in its original layout?"
        )
    return path


def choose_splits(
    splits: Sequence[str] | str | None,
    known: Sequence[str],
    corpus: str,
    *,
    default: Sequence[str] | None = None,
    root: Path | None = None,
) -> list[str]:
    """The splits to write: ``splits`` (a list, or ``"a,b"`` from a command line), each one of
    ``known``; None gives ``default`` (all of ``known`` unless given).

    With ``root``, a split is a directory under it: a requested split must be there, and the
    default is the known splits that are (the absent ones are logged)."""
    if isinstance(splits, str):
        splits = [s.strip() for s in splits.split(",") if s.strip()]
    if splits is not None:
        bad = [s for s in splits if s not in known]
        if bad:
            raise DataError(f"{corpus}: unknown split(s) {bad}; known: {', '.join(known)}")
        if root is not None:
            for s in splits:
                require(root / s, f"{corpus} split {s}")
        return list(splits)
    if root is None:
        return list(known if default is None else default)
    present = [s for s in known if (root / s).is_dir()]
    if not present:
        raise DataError(
            f"{root}: none of the {corpus} splits ({', '.join(known)}) is there; "
            "is the corpus extracted in its original layout?"
        )
    absent = [s for s in known if s not in present]
    if absent:
        log.warning("%s: splits not found under %s, skipped: %s", corpus, root, absent)
    return present


def zip_hint(folder: Path) -> str:
    """`` (<archive>.zip is there: unzip it)`` when ``folder`` holds a zip archive, else ``""``:
    the usual reason a corpus layout is not found is that its download was never extracted."""
    zips = sorted(folder.glob("*.zip"))
    return f" ({zips[0].name} is there: unzip it)" if zips else ""


def not_extracted(
    folder: Path, problem: str, corpus: str, *, example: str = "", shown: Path | None = None
) -> DataError:
    """The error for a download whose layout is not found under ``folder``: ``<shown>: <problem>
    [zip_hint]; is <corpus> extracted in its original layout[ (<example>)]?`` (``shown``
    defaults to ``folder``, which is where the zip archive is looked for)."""
    example = f" ({example})" if example else ""
    return DataError(
        f"{shown or folder}: {problem}{zip_hint(folder)}; is {corpus} extracted in its original "
        f"layout{example}?"
    )


# the splits every_tenth_split assigns: the SPLITS of the corpora it splits
TENTH_SPLITS = ("train", "dev", "test")


def every_tenth_split(keys: Iterable[str]) -> dict[str, str]:
    """key -> split (one of ``TENTH_SPLITS``) for corpora without official splits, by groups of
    keys (speakers, words): the keys sorted, every 10th from the 9th on (index % 10 == 8) is
    ``dev``, from the 10th on (index % 10 == 9) ``test``, the rest ``train`` (80/10/10)."""
    out = {}
    for i, k in enumerate(sorted(set(keys))):
        out[k] = "dev" if i % 10 == 8 else "test" if i % 10 == 9 else "train"
    return out


def iter_files(root: Path, suffixes: Iterable[str]) -> list[Path]:
    """Every file under ``root`` with one of ``suffixes`` (case-insensitive), sorted; hidden
    files and macOS ``._`` resource forks are ignored."""
    want = {s.lower() for s in suffixes}
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix.lower() in want and not p.name.startswith(".") and p.is_file()
    )


# --------------------------------------------------------------------------- text and ids

_WS = re.compile(r"\s+")
_ID_BAD = re.compile(r"[^\w.]+")


def clean_text(text: str) -> str:
    """Strip and collapse whitespace (tabs, newlines, full-width spaces) to single spaces."""
    return _WS.sub(" ", text).strip()


def sanitize_id(name: str) -> str:
    """A Kaldi-safe id: runs of characters other than letters/digits/``.``/``_`` become ``_``.

    ``-`` is replaced as well, so that ``<clip>-c<k>`` utterance ids sort like their clip ids
    (``-`` sorts before every character left in a sanitised id).
    """
    out = _ID_BAD.sub("_", name).strip("_")
    return out or "x"


class UniqueIds:
    """Sanitised ids made unique with a ``_<n>`` suffix on a clash (deterministic)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def make(self, name: str) -> str:
        base = sanitize_id(name)
        cand, n = base, 1
        while cand in self.seen:
            n += 1
            cand = f"{base}_{n}"
        self.seen.add(cand)
        return cand


def read_matches(path: Path, pattern: re.Pattern[str]) -> dict[str, str]:
    """``group(1) -> clean_text(group(2))`` of every line of ``path`` (stripped) that ``pattern``
    matches; other lines are ignored, and undecodable bytes are replaced rather than fatal (the
    annotation files of some corpora are not clean UTF-8)."""
    out = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = pattern.match(line.strip())
        if m:
            out[m.group(1)] = clean_text(m.group(2))
    return out


# --------------------------------------------------------------------------- LibriSpeech / LibriTTS

# the official splits, the same in both corpora
LIBRI_SPLITS = (
    "train-clean-100",
    "train-clean-360",
    "train-other-500",
    "dev-clean",
    "dev-other",
    "test-clean",
    "test-other",
)


def libri_chapters(split_dir: Path) -> list[Path]:
    """The ``<speaker>/<chapter>`` directories of a LibriSpeech / LibriTTS split, sorted; none is
    a DataError."""
    chapters = sorted(p for p in split_dir.glob("*/*") if p.is_dir())
    if not chapters:
        raise DataError(
            f"{split_dir}: no <speaker>/<chapter> directories; "
            "is the corpus extracted in its original layout?"
        )
    return chapters


def read_speakers(path: Path) -> dict[str, str] | None:
    """``SPEAKERS.TXT`` (LibriSpeech and LibriTTS): speaker id -> ``m``/``f``; None if absent.

    The file is ``|``-separated with ``;`` comment lines, and a few reader names contain ``|``
    themselves (speaker 60 is "|CBW|Simon"), so only the first four fields are split."""
    if not path.is_file():
        log.warning("%s not found: utt2gender is not written", path)
        return None
    out: dict[str, str] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith(";"):
            continue
        fields = [f.strip() for f in line.split("|", 4)]
        if len(fields) < 4 or fields[1].upper() not in ("M", "F"):
            raise DataError(f"{path}:{lineno}: expected 'ID | SEX | SUBSET | MINUTES | NAME'")
        out[fields[0]] = fields[1].lower()
    return out


def add_genders(
    utts: Sequence[Utt], genders: Mapping[str, str] | None, where: Path, source: str
) -> None:
    """Set ``utt2gender`` from ``genders`` (``read_speakers`` of ``source``; None: nothing to
    set) on every utterance, or on none when a speaker is missing from ``source``: its
    utterances are kept and the table is dropped for all (logged), as a table must cover every
    utterance."""
    if genders is None:
        return
    lacking = sorted({u.speaker for u in utts if u.speaker not in genders})
    if lacking:
        log.warning("%s: speakers %s are not in %s; no utt2gender", where, lacking, source)
        return
    for u in utts:
        u.extras["utt2gender"] = genders[u.speaker]


# --------------------------------------------------------------------------- skipped items


@dataclass
class Skips:
    """Items left out of a split, each with its reason; ``report`` counts and logs them and
    writes the list."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, item: str | Path, reason: str) -> None:
        self.items.append((str(item), reason))

    def add_all(self, items: Iterable[str | Path], reason: str) -> None:
        self.items.extend((str(i), reason) for i in items)

    def __len__(self) -> int:
        return len(self.items)

    def summary(self) -> str:
        counts = Counter(reason for _, reason in self.items)
        return ", ".join(f"{n} x {reason}" for reason, n in counts.most_common())

    def report(self, where: str, list_file: Path | None = None) -> int:
        """Log one warning line per reason (``<where>: skipped <n> <reason>: a, b ...``) and,
        with ``list_file``, write every item as ``item<TAB>reason`` there (a stale list of an
        earlier run is removed when nothing was skipped). Returns the number skipped."""
        if list_file is not None:
            if self.items:
                atomic_write_text(list_file, "".join(f"{i}\t{r}\n" for i, r in self.items))
            else:
                list_file.unlink(missing_ok=True)
        by_reason: dict[str, list[str]] = {}
        for item, reason in self.items:
            by_reason.setdefault(reason, []).append(item)
        listed = f" (all listed in {list_file})" if list_file is not None else ""
        for reason, items in by_reason.items():
            names = sorted(items)
            more = " ..." if len(names) > SKIP_EXAMPLES else ""
            log.warning(
                "%s: skipped %d %s: %s%s%s",
                where,
                len(names),
                reason,
                ", ".join(names[:SKIP_EXAMPLES]),
                more,
                listed,
            )
        return len(self.items)


def report_skipped(
    where: str, what: str, items: Iterable[str | Path], list_file: Path | None = None
) -> int:
    """Count and log items skipped for one reason (``Skips.report``); return the count."""
    skips = Skips()
    skips.add_all(items, what)
    return skips.report(where, list_file)


# --------------------------------------------------------------------------- audio


def check_not_lfs_pointer(path: str | Path) -> None:
    """DataError when ``path`` is a git-lfs pointer file rather than the file it stands for.

    Audio probes call this when soundfile cannot read a file: a clone made without ``git lfs
    pull`` holds a ~130-byte text pointer for every audio file, which otherwise surfaces as
    "unreadable audio" with no hint of the fix."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(len(LFS_POINTER_PREFIX))
    except OSError:
        return
    if head != LFS_POINTER_PREFIX:
        return
    clone = next((p for p in path.resolve().parents if (p / ".git").exists()), None)
    where = str(clone) if clone is not None else "the clone this file comes from"
    raise DataError(
        f"{path}: a git-lfs pointer file, not audio (the repository was cloned without its "
        f"LFS files); run `git lfs pull` in {where}, then prepare again"
    )


def audio_info(path: str | Path, what: str) -> Any:
    """soundfile's header of ``path`` (samplerate, channels, frames, duration), for a file the
    module cannot do without: DataError naming the file and ``what`` it is when unreadable."""
    try:
        return sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError) as err:
        check_not_lfs_pointer(path)
        raise DataError(f"{path}: cannot read {what} ({err})") from err


def _is_16k_mono_info(info: Any) -> bool:
    return info.samplerate == SAMPLE_RATE and info.channels == 1


def is_16k_mono(path: str | Path) -> bool:
    """True if soundfile reads ``path`` as 16 kHz mono, so it can be used in place.

    An unreadable file is False, never an error: it is not usable in place, so the caller hands
    it to the converter, which reports why it cannot be decoded (a skip or an error, as the
    corpus module documents). Modules that must fail at once call ``audio_info`` first."""
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError):
        return False
    return _is_16k_mono_info(info)


def sample_is_16k_mono(paths: Sequence[str | Path], n: int = SAMPLE_PROBES) -> bool:
    """``is_16k_mono`` for ``n`` files spread evenly over ``paths``: whether a directory of one
    corpus can be used in place without opening every file."""
    step = max(1, len(paths) // n)
    return all(is_16k_mono(p) for p in paths[::step][:n])


def resample_16k(x: np.ndarray, sr: int) -> np.ndarray:
    """``x`` (1-D) resampled from ``sr`` to 16 kHz (polyphase); unchanged when already 16 kHz."""
    if sr == SAMPLE_RATE:
        return x
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(SAMPLE_RATE, sr)
    return resample_poly(x, SAMPLE_RATE // g, sr // g)


def write_wav16k(dst: Path, x: np.ndarray) -> None:
    """Write ``x`` (clipped to [-1, 1]) as 16 kHz 16-bit PCM, atomically (a temp file renamed
    into place: a killed run leaves no truncated wav that a rerun would take as done)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp.wav")
    sf.write(str(tmp), np.clip(x, -1.0, 1.0), SAMPLE_RATE, subtype="PCM_16")
    os.replace(tmp, dst)


def to_wav16k(
    src: str | Path, dst: str | Path, start: float | None = None, end: float | None = None
) -> Path:
    """Decode any soundfile-readable file (wav, flac, ogg, mp3), mix to mono, resample to 16 kHz
    and write 16-bit PCM atomically; skipped when ``dst`` is already newer than ``src``."""
    src, dst = Path(src), Path(dst)
    if dst.is_file() and dst.stat().st_mtime >= src.stat().st_mtime:
        return dst
    try:
        info = sf.info(str(src))
        first = int(round((start or 0.0) * info.samplerate))
        last = None if end is None else int(round(end * info.samplerate))
        wav, sr = sf.read(str(src), start=first, stop=last, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as err:
        check_not_lfs_pointer(src)
        raise DataError(f"{src}: cannot decode audio ({err})") from err
    write_wav16k(dst, resample_16k(wav.mean(axis=1), sr).astype(np.float32, copy=False))
    return dst


def _convert_one(job: tuple[str, str, float | None, float | None]) -> str | None:
    """None when converted, else the error naming the source file (a bad file must not stop
    the others)."""
    try:
        dst = to_wav16k(*job)
        if sf.info(str(dst)).frames == 0:
            return f"{job[0]}: decodes to no samples"
    except (DataError, ValueError, RuntimeError, OSError) as err:
        return f"{job[0]}: {err}"
    return None


ConvertJob = tuple[str | Path, str | Path, float | None, float | None]  # src, dst, start, end


def convert_report(
    jobs: Iterable[ConvertJob], num_workers: int = 2, desc: str = "convert"
) -> dict[str, str]:
    """Run ``to_wav16k`` over (src, dst, start, end) jobs in parallel, with a progress bar;
    returns ``{src: error}`` of the files that could not be converted (the rest are written).
    ``convert_all`` and ``convert_skip_bad`` decide what a failure means."""
    todo = [(str(s), str(d), a, b) for s, d, a, b in jobs]
    if num_workers <= 1 or len(todo) < 8:
        results = [_convert_one(j) for j in tqdm(todo, desc=desc, leave=False)]
    else:
        with ProcessPoolExecutor(num_workers) as pool:
            results = list(
                tqdm(
                    pool.map(_convert_one, todo, chunksize=16),
                    total=len(todo),
                    desc=desc,
                    leave=False,
                )
            )
    return {job[0]: err for job, err in zip(todo, results) if err is not None}


def convert_all(
    jobs: Iterable[ConvertJob], num_workers: int = 2, desc: str = "convert"
) -> list[Path]:
    """``convert_report`` that fails when any file failed: one DataError listing them all
    (after converting every file it can, so a rerun redoes only the bad ones)."""
    todo = list(jobs)
    failed = convert_report(todo, num_workers, desc)
    if failed:
        shown = "\n  ".join(list(failed.values())[:10])
        more = f"\n  ... and {len(failed) - 10} more" if len(failed) > 10 else ""
        raise DataError(
            f"{len(failed)} of {len(todo)} audio files could not be converted (the others are "
            f"written and are skipped on a rerun):\n  {shown}{more}"
        )
    return [Path(d) for _, d, _, _ in todo]


def convert_skip_bad(
    jobs: Sequence[ConvertJob],
    num_workers: int = 2,
    desc: str = "convert",
    what: str = "audio files that cannot be decoded",
) -> dict[str, str]:
    """``convert_report`` where a file that cannot be decoded is skipped instead of aborting the
    whole run: the failures are reported as ``what`` (each with its decoder error) and returned
    as ``{src: dst}``."""
    todo = [(str(s), str(d), a, b) for s, d, a, b in jobs]
    errors = convert_report(todo, num_workers, desc)
    # the error text starts with the source path, so the log names the file and the cause
    report_skipped(desc, what, errors.values())
    dst = {s: d for s, d, _, _ in todo}
    return {src: dst[src] for src in errors}


def resolve_audio(
    files: Mapping[str, Path],
    wav_dir: Path,
    skips: Skips,
    *,
    num_workers: int = 2,
    desc: str = "convert",
) -> dict[str, str]:
    """uid -> path of 16 kHz mono audio for each source file.

    A file that already is 16 kHz mono is used in place (absolute path); any other rate or
    channel count is converted once into ``wav_dir/<uid>.wav`` (16-bit PCM; skipped when the
    converted file is newer). Unreadable and empty files are skipped and recorded in ``skips``.
    """
    out: dict[str, str] = {}
    jobs: list[ConvertJob] = []
    for uid, path in tqdm(files.items(), desc=f"{desc} (headers)", leave=False):
        # the header is read here, not through is_16k_mono: empty files are skipped too, and
        # the decoder's error type goes into skipped.tsv
        try:
            info = sf.info(str(path))
        except Exception as err:  # LibsndfileError, RuntimeError: the file cannot be read
            check_not_lfs_pointer(path)  # not one bad file: the whole clone lacks its audio
            skips.add(path, f"unreadable audio ({type(err).__name__})")
            continue
        if info.frames == 0:
            skips.add(path, "empty audio (0 samples)")
            continue
        if _is_16k_mono_info(info):
            out[uid] = str(Path(path).resolve())
        else:
            dst = wav_dir / f"{uid}.wav"
            jobs.append((path, dst, None, None))
            out[uid] = str(dst.resolve())
    if jobs:
        convert_all(jobs, num_workers=num_workers, desc=desc)
    return out


# --------------------------------------------------------------------------- writing a split


@dataclass
class Utt:
    """One utterance of a data dir being written."""

    id: str
    wav: str  # audio path (absolute), or the recording id when `segment` is set
    speaker: str
    text: str | None = None
    segment: Segment | None = None
    extras: dict[str, str] = field(default_factory=dict)  # table name -> value (e.g. "utt2lang")


def write_split(
    out_dir: Path,
    utts: Sequence[Utt],
    recordings: Mapping[str, str] | None = None,
    *,
    where: str,
    skips: Skips | None = None,
) -> Path:
    """Write one split's Kaldi data dir from ``utts`` and log it as ``where`` (``"<corpus>
    <split>"``); returns ``out_dir``.

    Ids must be unique; files come out sorted. With segments, ``recordings`` maps recording id
    -> audio path for ``wav.scp``. Tables an earlier run wrote and this one does not (a
    ``segments`` file of another audio mode, the ``caption<N>`` of a split now paired) are
    removed, so reruns stay consistent. With ``skips``, the skipped items are reported and
    listed in ``<out_dir>/skipped.tsv``. No utterance is a DataError naming the skip reasons.
    """
    if not utts:
        detail = f" ({skips.summary()})" if skips is not None and len(skips) else ""
        raise DataError(f"{out_dir}: {where} has no usable utterances{detail}")
    ids = [u.id for u in utts]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})[:5]
        raise DataError(f"{out_dir}: duplicate utterance ids {dup}")
    has_seg = any(u.segment is not None for u in utts)
    if has_seg and recordings is None:
        raise DataError(f"{out_dir}: segments need the recordings table")
    _remove_stale_tables(out_dir, utts)
    extras: dict[str, dict[str, str]] = {}
    for u in utts:
        for name, value in u.extras.items():
            extras.setdefault(name, {})[u.id] = value
    write_data_dir(
        out_dir,
        wav=recordings if has_seg else {u.id: u.wav for u in utts},
        text={u.id: u.text for u in utts if u.text is not None} or None,
        utt2spk={u.id: u.speaker for u in utts},
        segments={u.id: u.segment for u in utts} if has_seg else None,
        extras=extras,
    )
    if skips is not None:
        skips.report(where, out_dir / SKIPPED_LIST)
    log.info(
        "%s: %d utterances -> %s%s",
        where,
        len(utts),
        out_dir,
        f" ({len(skips)} skipped)" if skips is not None else "",
    )
    return out_dir


def _remove_stale_tables(out_dir: Path, utts: Sequence[Utt]) -> None:
    if not out_dir.is_dir():
        return
    keep = {"wav.scp", "utt2spk", "spk2utt"}
    if any(u.text is not None for u in utts):
        keep.add("text")
    if any(u.segment is not None for u in utts):
        keep.add("segments")
    for u in utts:
        keep.update(u.extras)
    for p in out_dir.iterdir():
        if p.is_file() and p.name not in keep and (p.name in CORE_FILES or is_extra_table(p.name)):
            p.unlink()


def aac_utts(clips: Iterable[tuple[str, str, Sequence[str]]], *, per_clip: bool) -> list[Utt]:
    """AAC utterances from (clip id, audio path, captions).

    Training splits (``per_clip=False``): one utterance per caption, id ``<clip>-c<k>``,
    caption in ``caption``. Evaluation splits: one utterance per clip with ``caption`` = the first
    reference and ``caption1``..``captionN`` = all references. The clip is the "speaker".
    """
    utts: list[Utt] = []
    for clip, wav, caps in clips:
        if per_clip:
            extras = {"caption": caps[0]}
            extras.update({f"caption{k}": c for k, c in enumerate(caps, 1)})
            utts.append(Utt(clip, wav, clip, extras=extras))
        else:
            for k, cap in enumerate(caps, 1):
                utts.append(Utt(f"{clip}-c{k}", wav, clip, extras={"caption": cap}))
    return utts


def emotion_extras(orig: str, unified: str) -> dict[str, str]:
    """The per-utterance tables every SER module writes (``unified``: an
    ``emotion_labels.SER_CLASSES`` class; ``orig``: the corpus's own label)."""
    return {"utt2emotion": unified, "utt2emotion_orig": orig, "utt2lang": "en"}


@dataclass
class SplitBuilder:
    """Utterances of one split being collected: audio is resolved when the split is written."""

    utts: list[Utt] = field(default_factory=list)
    skips: Skips = field(default_factory=Skips)
    files: dict[str, Path] = field(default_factory=dict)  # uid -> source audio

    def add(self, utt: Utt, audio: Path) -> None:
        self.utts.append(utt)
        self.files[utt.id] = audio


def builders(
    splits: Sequence[str] | str | None, known: Sequence[str], corpus: str
) -> dict[str, SplitBuilder]:
    """One empty ``SplitBuilder`` per split to write (``choose_splits``), in that order."""
    return {s: SplitBuilder() for s in choose_splits(splits, known, corpus)}


def write_splits(
    parts: Mapping[str, SplitBuilder], out: Path, *, corpus: str, num_workers: int = 2
) -> dict[str, Path]:
    """Resolve each split's audio (``resolve_audio`` into ``out/wav/<split>``) and write
    ``out/<split>``; utterances whose audio was skipped are left out (and listed)."""
    done: dict[str, Path] = {}
    for split, part in parts.items():
        wav = resolve_audio(
            part.files,
            out / "wav" / split,
            part.skips,
            num_workers=num_workers,
            desc=f"{corpus} {split}",
        )
        kept = []
        for u in part.utts:
            if u.id in wav:
                u.wav = wav[u.id]
                kept.append(u)
        done[split] = write_split(out / split, kept, where=f"{corpus} {split}", skips=part.skips)
    return done


# --------------------------------------------------------------------------- JSON corpora


@dataclass
class JsonCorpus:
    """What differs between the corpora distributed as one big JSON of long recordings and
    their segments (GigaSpeech, WenetSpeech); ``prepare_json_corpus`` does the rest."""

    name: str  # the registry name, used in messages
    title: str  # the corpus directory (when ``src`` is its parent) and ``<title>.json``
    splits: dict[str, str]  # data dir name -> subset label in the JSON (without braces)
    default_splits: Sequence[str]
    lang: str
    # segment -> (text, or None with the reason it is dropped)
    text_of: Callable[[dict[str, Any]], tuple[str | None, str]]


def prepare_json_corpus(
    spec: JsonCorpus,
    src: Path,
    out: Path,
    *,
    splits: Sequence[str] | None,
    num_workers: int,
    audio: str,
    skip_missing_audio: bool,
) -> dict[str, Path]:
    """Write ``spec``'s data dirs (see the GigaSpeech module doc for the audio modes, the
    tables and missing-audio handling); return split -> dir."""
    if audio not in ("cut", "segments"):
        raise DataError(f"{spec.name}: audio must be 'cut' or 'segments', got {audio!r}")
    wanted = choose_splits(splits, list(spec.splits), spec.name, default=spec.default_splits)
    json_name = f"{spec.title}.json"
    root = src / spec.title if (src / spec.title / json_name).is_file() else src
    root, wav_root = root.resolve(), (out / "wav").resolve()
    meta = require(root / json_name, f"{spec.name} metadata")
    label_to_split = {spec.splits[s]: s for s in wanted}

    # sid -> (aid, begin, end, text, extras); split -> sids. Segments are stored once even
    # when they belong to several nested subsets.
    segs: dict[str, tuple[str, float, float, str, dict[str, str]]] = {}
    members: dict[str, list[str]] = {s: [] for s in wanted}
    recordings: dict[str, Path] = {}
    dropped: dict[str, list[str]] = {}
    for entry in tqdm(iter_json_list(meta, "audios"), desc=f"{spec.name} metadata", leave=False):
        try:
            aid, rel, seg_list = entry["aid"], entry["path"], entry.get("segments") or []
            # shared by the recording's segments, read-only
            extras = {"utt2lang": spec.lang, "utt2source": str(entry.get("source", "unknown"))}
            for seg in seg_list:
                labels = {str(s).strip("{}") for s in seg.get("subsets", [])}
                hit = [label_to_split[lab] for lab in labels if lab in label_to_split]
                if not hit:
                    continue
                sid = seg["sid"]
                begin, end = float(seg["begin_time"]), float(seg["end_time"])
                text, why = spec.text_of(seg)
                if text is None:
                    dropped.setdefault(why, []).append(sid)
                    continue
                if end - begin < MIN_SEGMENT:
                    dropped.setdefault("segments shorter than 50 ms", []).append(sid)
                    continue
                if not sid.startswith(aid) or any(c.isspace() for c in sid):
                    raise DataError(f"{meta}: segment id {sid!r} does not start with {aid!r}")
                segs[sid] = (aid, begin, end, text, extras)
                for split in hit:
                    members[split].append(sid)
                recordings[aid] = root / rel
        except DataError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            what = entry.get("aid", "?") if isinstance(entry, dict) else repr(entry)[:80]
            raise DataError(
                f"{meta}: malformed audio entry {what} ({type(err).__name__}: {err})"
            ) from err
    for why, sids in dropped.items():
        report_skipped(spec.name, why, sids)

    missing = sorted(aid for aid, p in recordings.items() if not p.is_file())
    if missing:
        if not skip_missing_audio:
            raise DataError(
                f"{recordings[missing[0]]}: not found ({len(missing)} recording(s) of "
                f"{json_name} missing, for splits {wanted}); download the audio of these "
                "subsets, prepare smaller splits, or pass skip_missing_audio=True"
            )
        gone = set(missing)
        report_skipped(spec.name, "recordings whose audio file is missing", missing)
        for split in wanted:
            members[split] = [s for s in members[split] if segs[s][0] not in gone]
        for aid in missing:
            del recordings[aid]

    wav_of: dict[str, str] = {}
    if audio == "cut":
        by_rec: dict[str, list[tuple[str, float, float]]] = {}
        used = {sid for split in wanted for sid in members[split]}
        for sid in sorted(used):
            aid, begin, end = segs[sid][:3]
            dst = str(wav_root / aid / f"{sid}.wav")
            by_rec.setdefault(aid, []).append((dst, begin, end))
            wav_of[sid] = dst
        jobs = [(str(recordings[aid]), items) for aid, items in sorted(by_rec.items())]
        short = cut_recordings(jobs, num_workers, f"{spec.name} cut")
        if short:
            report_skipped(
                spec.name,
                "segments with < 50 ms of audio in the recording",
                [Path(d).stem for d in short],
            )
            gone = {Path(d).stem for d in short}
            for split in wanted:
                members[split] = [s for s in members[split] if s not in gone]

    written: dict[str, Path] = {}
    for split in wanted:
        if not members[split]:
            raise DataError(f"{meta}: no usable segment in subset {{{spec.splits[split]}}}")
        utts = []
        for sid in members[split]:
            aid, begin, end, text, extras = segs[sid]
            if audio == "cut":
                utts.append(Utt(sid, wav_of[sid], aid, text, extras=extras))
            else:
                utts.append(Utt(sid, aid, aid, text, Segment(aid, begin, end), extras))
        recs = None
        if audio == "segments":
            recs = {u.speaker: str(recordings[u.speaker]) for u in utts}
        written[split] = write_split(out / split, utts, recs, where=f"{spec.name} {split}")
    return written


def iter_json_list(path: Path, key: str, chunk: int | None = None) -> Iterator[Any]:
    """Yield the elements of the top-level list ``key`` of a JSON object file one at a time,
    without loading the whole file (GigaSpeech.json / WenetSpeech.json are several GB)."""
    chunk = chunk or JSON_CHUNK
    dec = json.JSONDecoder()
    head = re.compile(rf'"{re.escape(key)}"\s*:\s*\[')
    with open(path, encoding="utf-8") as f:
        buf = ""
        while True:
            m = head.search(buf)
            if m:
                buf = buf[m.end() :]
                break
            more = f.read(chunk)
            if not more:
                raise DataError(f"{path}: no {key!r} list; is this the corpus metadata file?")
            buf = buf[-(len(key) + 64) :] + more  # keep a tail: the key may straddle chunks
        skip = re.compile(r"[\s,]*")
        pos, eof = 0, False
        while True:
            pos = skip.match(buf, pos).end()
            if buf.startswith("]", pos):
                return
            try:
                if pos >= len(buf):
                    raise ValueError("need more input")
                obj, pos = dec.raw_decode(buf, pos)
            except ValueError as err:
                if eof:
                    raise DataError(f"{path}: truncated or malformed JSON in {key!r}") from err
                buf = buf[pos:]
                more = f.read(max(chunk, len(buf)))  # grow geometrically for huge entries
                eof = not more
                buf, pos = buf + more, 0
                continue
            yield obj


def cut_recordings(
    jobs: list[tuple[str, list[tuple[str, float, float]]]], num_workers: int, desc: str
) -> list[str]:
    """Cut segments out of long recordings: each job is ``(recording, [(dst, start, end)])``.
    Every recording is opened once; segments already written (newer than the recording) are
    skipped. Returns the destinations that got < 50 ms of audio (not written)."""
    short: list[str] = []
    if num_workers <= 1 or len(jobs) < 2:
        for job in tqdm(jobs, desc=desc, leave=False):
            short += _cut_one(job)
        return short
    with ProcessPoolExecutor(num_workers) as pool:
        for res in tqdm(pool.map(_cut_one, jobs, chunksize=4), total=len(jobs), desc=desc):
            short += res
    return short


def _cut_one(job: tuple[str, list[tuple[str, float, float]]]) -> list[str]:
    src, items = job
    src_mtime = os.stat(src).st_mtime
    todo = [
        (d, s, e)
        for d, s, e in items
        if not (os.path.isfile(d) and os.stat(d).st_mtime >= src_mtime)
    ]
    short: list[str] = []
    if not todo:
        return short
    try:
        with sf.SoundFile(src) as f:
            sr, frames = f.samplerate, f.frames
            for dst, start, end in sorted(todo, key=lambda t: t[1]):
                a = max(0, int(round(start * sr)))
                b = min(int(round(end * sr)), frames)
                if b - a < MIN_SEGMENT * sr:
                    short.append(dst)
                    continue
                f.seek(a)
                x = f.read(b - a, dtype="float32", always_2d=True).mean(axis=1)
                write_wav16k(Path(dst), resample_16k(x, sr).astype(np.float32, copy=False))
    except (sf.LibsndfileError, RuntimeError) as err:
        raise DataError(f"{src}: cannot decode audio ({err})") from err
    return short
