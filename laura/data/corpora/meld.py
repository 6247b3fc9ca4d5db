"""MELD (Multimodal EmotionLines Dataset, v1.0, Poria et al. 2018): SER, the paper's test set.

Source: ``MELD.Raw.tar.gz`` from the MELD site (affective-meld.github.io). After extracting it
and the three inner archives (``train.tar.gz``, ``dev.tar.gz``, ``test.tar.gz``)::

    MELD.Raw/                          <- pass this (or its parent) as src
    ├── train_sent_emo.csv             (also accepted under train/, dev/, test/ subfolders)
    ├── dev_sent_emo.csv
    ├── test_sent_emo.csv
    ├── train_splits/dia0_utt0.mp4 ...               (or train/train_splits/)
    ├── dev_splits_complete/dia0_utt0.mp4 ...        (or dev/dev_splits_complete/)
    └── output_repeated_splits_test/dia0_utt0.mp4 ...(or test/output_repeated_splits_test/)

CSV columns: ``Sr No., Utterance, Speaker, Emotion, Sentiment, Dialogue_ID, Utterance_ID,
Season, Episode, StartTime, EndTime``; clip ``dia{Dialogue_ID}_utt{Utterance_ID}.mp4``.
Splits: the official ``train`` (9989 rows), ``dev`` (1109), ``test`` (2610). Tasks: SER
(``test`` is the paper's Table 6 SER test set).

Audio: the clips are mp4 video. A pre-extracted audio file with the clip's stem
(``dia0_utt0.wav`` / ``.flac``) next to the mp4, or in a ``wav/`` subfolder of the clip
folder, is used when present (converted only if it is not 16 kHz mono). Otherwise the audio
track is extracted with ``ffmpeg`` (``-vn -ac 1 -ar 16000``, 16-bit PCM) into
``out/wav/<split>/``; ``ffmpeg`` is not a Python package, so when it is missing and mp4s need
extracting, ``prepare`` stops with an error naming the command (``apt-get install ffmpeg``).
Pass ``ffmpeg=/path/to/ffmpeg`` to use another binary.

Tables: ``wav.scp``, ``text`` (the utterance), ``utt2spk``, ``utt2emotion`` (unified class,
identity for MELD's seven labels), ``utt2emotion_orig``, ``utt2sentiment``
(positive/negative/neutral), ``utt2lang`` (en). At scoring time ``emotion_labels.eval_class``
merges like/happiness into joy.

Ids: speaker = the ``Speaker`` column with every run of characters other than letters and
digits replaced by ``_`` (``Mr. Geller`` -> ``Mr_Geller``); utterance =
``<speaker>-<split>_dia<D>_utt<U>`` (dialogue ids restart in every split).

Quirks handled: the CSVs are UTF-8 with Windows-1252 punctuation stored as C1 control
characters (``\\x92`` for an apostrophe) -- these are decoded as cp1252 and typographic
quotes, dashes and ellipses become ASCII; whitespace is collapsed, case and punctuation kept.
Clips that are missing or whose audio cannot be extracted (known: train ``dia125_utt3``,
dev ``dia110_utt7``) are skipped, counted and listed in ``<split>/skipped.tsv``.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from laura.data.corpora import common, register_corpus
from laura.data.corpora.common import Dirs, Splits
from laura.data.emotion_labels import unify
from laura.data.errors import DataError

log = logging.getLogger(__name__)

SPLITS = ("train", "dev", "test")
CSV_NAMES = {"train": "train_sent_emo.csv", "dev": "dev_sent_emo.csv", "test": "test_sent_emo.csv"}
CLIP_DIRS = {
    "train": "train_splits",
    "dev": "dev_splits_complete",
    "test": "output_repeated_splits_test",
}
REQUIRED_COLUMNS = ("Utterance", "Speaker", "Emotion", "Dialogue_ID", "Utterance_ID")

_TYPOGRAPHIC = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
    }
)


def repair_text(text: str) -> str:
    """MELD utterance text with its encoding damage repaired (see module doc)."""
    if "\u00e2\u20ac" in text:  # UTF-8 read as cp1252 ("â€™"): undo it when it round-trips
        try:
            text = text.encode("cp1252").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    # C1 controls are cp1252 bytes that were decoded as latin-1 (\x92 is a right quote)
    text = "".join(
        bytes([ord(c)]).decode("cp1252", errors="ignore") if 0x80 <= ord(c) <= 0x9F else c
        for c in text
    )
    return common.clean_text(text.translate(_TYPOGRAPHIC))


def speaker_id(name: str) -> str:
    return re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_") or "unknown"


def _root(src: Path) -> Path:
    return src / "MELD.Raw" if (src / "MELD.Raw").is_dir() else src


def _locate(root: Path, split: str, name: str, is_dir: bool) -> Path:
    candidates = [root / name, root / split / name]
    for c in candidates:
        if c.is_dir() if is_dir else c.is_file():
            return c
    hint = ""
    if is_dir and any((root / f"{split}{ext}").exists() for ext in (".tar.gz", ".tar")):
        hint = f" ({root / (split + '.tar.gz')} is there: extract it inside {root})"
    what = "clip folder" if is_dir else "metadata CSV"
    raise DataError(
        f"{candidates[0]}: not found (MELD {split} {what}; also looked in {candidates[1]})"
        f"{hint}; is the corpus extracted in its original layout?"
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a ``*_sent_emo.csv`` (UTF-8, or cp1252 for re-saved copies)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing}; header is {header}")
    rows = []
    for row in reader:
        rows.append({(k or "").strip(): (v or "") for k, v in row.items()})
    return rows


def _find_audio(clip_dir: Path, stem: str) -> tuple[str, Path] | None:
    """("audio", pre-extracted file) or ("mp4", clip) or None."""
    for d in (clip_dir, clip_dir / "wav"):
        for ext in (".wav", ".flac"):
            p = d / f"{stem}{ext}"
            if p.is_file():
                return "audio", p
    mp4 = clip_dir / f"{stem}.mp4"
    return ("mp4", mp4) if mp4.is_file() else None


def _extract(ffmpeg: str, src: Path, dst: Path) -> str | None:
    """Extract 16 kHz mono 16-bit audio from ``src``; None on success, else the error."""
    if dst.is_file() and dst.stat().st_mtime >= src.stat().st_mtime:
        return None
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp.wav")
    cmd = [
        ffmpeg,
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-i",
        str(src),
        "-vn",
        "-ac",
        "1",
        "-ar",
        "16000",
        "-c:a",
        "pcm_s16le",
        "-f",
        "wav",
        str(tmp),
    ]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError as err:
        return f"ffmpeg failed to start: {err}"
    if res.returncode != 0 or not tmp.is_file() or tmp.stat().st_size <= 44:
        tmp.unlink(missing_ok=True)
        msg = (res.stderr or "").strip().splitlines()
        return f"ffmpeg exit {res.returncode}: {msg[-1] if msg else 'no audio written'}"
    os.replace(tmp, dst)
    return None


def extract_all(
    jobs: Sequence[tuple[str, Path, Path]], ffmpeg: str, num_workers: int, desc: str
) -> dict[str, str]:
    """Run ffmpeg over (uid, mp4, wav) jobs in threads; uid -> error for the failures."""
    from tqdm import tqdm

    def one(job: tuple[str, Path, Path]) -> tuple[str, str | None]:
        return job[0], _extract(ffmpeg, job[1], job[2])

    with ThreadPoolExecutor(max(1, num_workers)) as pool:
        results = list(tqdm(pool.map(one, jobs), total=len(jobs), desc=desc, leave=False))
    return {uid: err for uid, err in results if err is not None}


def _prepare_split(
    root: Path, out: Path, split: str, ffmpeg: str, num_workers: int
) -> tuple[list[common.Utt], common.Skips]:
    csv_path = _locate(root, split, CSV_NAMES[split], is_dir=False)
    clip_dir = _locate(root, split, CLIP_DIRS[split], is_dir=True)
    rows = read_csv(csv_path)
    skips = common.Skips()
    meta: dict[str, tuple[str, str, str, str, str]] = {}  # uid -> spk, text, emo, orig, sentiment
    audio_files: dict[str, Path] = {}
    mp4_jobs: list[tuple[str, Path, Path]] = []
    wav_dir = out / "wav" / split
    for lineno, row in enumerate(rows, start=2):
        where = f"{csv_path}:{lineno}"
        dia, utt = row["Dialogue_ID"].strip(), row["Utterance_ID"].strip()
        if not (dia.isdigit() and utt.isdigit()):
            skips.add(where, f"bad Dialogue_ID/Utterance_ID {dia!r}/{utt!r}")
            continue
        stem = f"dia{int(dia)}_utt{int(utt)}"
        orig = row["Emotion"].strip().lower()
        emo = unify("meld", orig)
        if emo is None:
            skips.add(f"{where} ({stem})", f"emotion {orig!r} has no unified class")
            continue
        text = repair_text(row["Utterance"])
        if not text:
            skips.add(f"{where} ({stem})", "empty utterance text")
            continue
        spk = speaker_id(row["Speaker"])
        uid = f"{spk}-{split}_{stem}"
        if uid in meta:
            skips.add(f"{where} ({stem})", "duplicate Dialogue_ID/Utterance_ID row")
            continue
        found = _find_audio(clip_dir, stem)
        if found is None:
            skips.add(clip_dir / f"{stem}.mp4", "clip missing")
            continue
        kind, path = found
        if kind == "audio":
            audio_files[uid] = path
        else:
            mp4_jobs.append((uid, path, wav_dir / f"{uid}.wav"))
        meta[uid] = (spk, text, emo, orig, row.get("Sentiment", "").strip().lower())

    wav: dict[str, str] = common.resolve_audio(
        audio_files, wav_dir, skips, num_workers=num_workers, desc=f"meld {split} wav"
    )
    if mp4_jobs:
        exe = shutil.which(ffmpeg)
        if exe is None:
            raise DataError(
                f"{mp4_jobs[0][1]}: MELD {split} has {len(mp4_jobs)} mp4 clip(s) without "
                f"pre-extracted audio, and the command {ffmpeg!r} is not on PATH: install "
                "ffmpeg (e.g. `apt-get install ffmpeg`) or put <clip>.wav files (the audio "
                "track) next to the mp4s"
            )
        failed = extract_all(mp4_jobs, exe, num_workers, desc=f"meld {split} ffmpeg")
        for uid, mp4, dst in mp4_jobs:
            if uid in failed:
                skips.add(mp4, f"audio extraction failed ({failed[uid]})")
            else:
                wav[uid] = str(dst.resolve())

    utts = []
    for uid, (spk, text, emo, orig, sentiment) in meta.items():
        if uid not in wav:
            continue  # skipped above (unreadable audio or failed extraction)
        extras = common.emotion_extras(orig, emo)
        if sentiment:
            extras["utt2sentiment"] = sentiment
        utts.append(common.Utt(uid, wav[uid], spk, text=text, extras=extras))
    if any("utt2sentiment" not in u.extras for u in utts):  # a CSV without the column
        for u in utts:
            u.extras.pop("utt2sentiment", None)
    return utts, skips


DESCRIPTION = "MELD (Friends TV dialogues), 7 emotions; test = the paper's SER test set"


@register_corpus("meld", ("SER",), SPLITS, DESCRIPTION)
def prepare(
    src: Path,
    out: Path,
    *,
    splits: Splits = None,
    num_workers: int = 2,
    ffmpeg: str = "ffmpeg",
) -> Dirs:
    """Write ``out/<split>`` for MELD; see the module doc for the layout and tables."""
    root = _root(src)
    done: dict[str, Path] = {}
    for split in common.choose_splits(splits, SPLITS, "meld"):
        utts, skips = _prepare_split(root, out, split, ffmpeg, num_workers)
        done[split] = common.write_split(out / split, utts, where=f"meld {split}", skips=skips)
    return done
