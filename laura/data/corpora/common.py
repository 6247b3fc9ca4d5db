"""Helpers shared by the corpus preparation modules.

Skipped items: every item a module leaves out (a wav without a transcript, a row without audio,
an undecodable clip, an unmapped label) goes through ``report_skipped`` or ``Skips.report``:
counted, logged as one warning line per cause (count, cause, first few items) and, where the
module keeps one, listed in ``<split>/skipped.tsv`` (``item<TAB>reason``).
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from laura.data.errors import DataError
from laura.data.kaldi import Segment, atomic_write_text, write_data_dir

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
SKIP_EXAMPLES = 5  # items named in a skip log line (the list file has them all)
# First line of a git-lfs pointer file: what a clone made without `git lfs pull` holds in place
# of each large file (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md).
LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/v1"

# The paper's nine SER classes (A.2); at MELD test time like and happiness count as joy.
SER_CLASSES: tuple[str, ...] = (
    "anger", "disgust", "neutral", "like", "sadness", "surprise", "happiness", "joy", "fear",
)  # fmt: skip


def require(path: Path, what: str) -> Path:
    """``path`` must exist; the error says which part of the corpus layout is missing."""
    if not path.exists():
        raise DataError(
            f"{path}: not found ({what}); is the corpus extracted in its original layout?"
        )
    return path


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
                where, len(names), reason, ", ".join(names[:SKIP_EXAMPLES]), more, listed,
            )  # fmt: skip
        return len(self.items)


def report_skipped(
    where: str, what: str, items: Iterable[str | Path], list_file: Path | None = None
) -> int:
    """Count and log items skipped for one reason (``Skips.report``); return the count."""
    skips = Skips()
    skips.add_all(items, what)
    return skips.report(where, list_file)


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
    out_dir: Path, utts: Sequence[Utt], recordings: dict[str, str] | None = None
) -> Path:
    """Write a Kaldi data dir from ``utts`` (ids must be unique; files come out sorted).

    With segments, ``recordings`` maps recording id -> audio path for ``wav.scp``.
    """
    if not utts:
        raise DataError(f"{out_dir}: no utterances to write")
    ids = [u.id for u in utts]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})[:5]
        raise DataError(f"{out_dir}: duplicate utterance ids {dup}")
    has_seg = any(u.segment is not None for u in utts)
    if has_seg and recordings is None:
        raise DataError(f"{out_dir}: segments need the recordings table")
    wav = recordings if has_seg else {u.id: u.wav for u in utts}
    text = {u.id: u.text for u in utts if u.text is not None} or None
    extras: dict[str, dict[str, str]] = {}
    for u in utts:
        for name, value in u.extras.items():
            extras.setdefault(name, {})[u.id] = value
    return write_data_dir(
        out_dir,
        wav=wav,
        text=text,
        utt2spk={u.id: u.speaker for u in utts},
        segments={u.id: u.segment for u in utts} if has_seg else None,
        extras=extras,
    )


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
    x = wav.mean(axis=1)
    if sr != SAMPLE_RATE:
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(SAMPLE_RATE, sr)
        x = resample_poly(x, SAMPLE_RATE // g, sr // g).astype(np.float32)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp.wav")
    sf.write(str(tmp), np.clip(x, -1.0, 1.0), SAMPLE_RATE, subtype="PCM_16")
    os.replace(tmp, dst)
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


def convert_report(
    jobs: Iterable[tuple[str | Path, str | Path, float | None, float | None]],
    num_workers: int = 2,
    desc: str = "convert",
) -> dict[str, str]:
    """Run ``to_wav16k`` over (src, dst, start, end) jobs in parallel, with a progress bar;
    returns ``{src: error}`` of the files that could not be converted (the rest are written)."""
    from tqdm import tqdm

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
    jobs: Iterable[tuple[str | Path, str | Path, float | None, float | None]],
    num_workers: int = 2,
    desc: str = "convert",
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
