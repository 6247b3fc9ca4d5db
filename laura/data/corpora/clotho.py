"""Clotho v2.1 (Drossos et al., 2020; Zenodo record 4783391), audio captioning, for AAC.

Expected layout (the official Zenodo archives extracted in one place, ``src``)::

    <src>/
      clotho_captions_development.csv     # file_name,caption_1,...,caption_5 (quoted CSV)
      clotho_captions_validation.csv
      clotho_captions_evaluation.csv
      clotho_metadata_*.csv               # not used
      development/*.wav                   # from clotho_audio_development.7z (44.1 kHz mono)
      validation/*.wav                    # from clotho_audio_validation.7z
      evaluation/*.wav                    # from clotho_audio_evaluation.7z

(``clotho_audio_files/<split>/`` as produced by some download tools is accepted too.)

Splits (data dir names = the Clotho split names): ``development`` (3,839 clips), ``validation``
(1,045) and ``evaluation`` (1,045), each clip with five captions.

Tables: the audio is 44.1 kHz, so every clip is converted to 16 kHz mono 16-bit PCM under
``out/wav/<split>/<clip>.wav`` (skipped when already done). Per the AAC convention,
``development`` gets one utterance per (clip, caption) pair, id ``<clip>-c<k>``, caption in
``caption``; ``validation`` and ``evaluation`` get one utterance per clip (id ``<clip>``) with
``caption`` = the first reference and ``caption1``..``caption5`` = all of them (``pair_splits=``
changes which splits are paired). ``utt2spk`` maps each utterance to its clip (no speakers in
AAC); ``utt2clip`` holds the original file name (needed to submit results). No ``text`` table:
validate with ``require_text=False``. Captions are kept as distributed (case and punctuation),
whitespace collapsed.

Quirks: file names contain spaces, commas, apostrophes, non-ASCII letters and hyphens, so the
clip id is the file stem with every run of characters other than letters, digits, ``.`` and
``_`` replaced by ``_`` (``-`` too, so that ``<clip>-c<k>`` ids sort like their clips); a clash
after sanitising gets a numeric suffix. Some CSV editions are not UTF-8: they are read as
cp1252 with a warning.

The helpers at the end (``sanitize_id``, ``aac_utts``, ``convert_skip_bad``, ...) are shared by
the other AAC modules and by the S2TT modules of this package.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import soundfile as sf

from laura.data.corpora import register_corpus
from laura.data.corpora.common import SAMPLE_RATE, Utt, convert_report, report_skipped, require
from laura.data.corpora.librispeech import clean_text, write_split_clean
from laura.data.errors import DataError

log = logging.getLogger(__name__)

SPLITS = ("development", "validation", "evaluation")
PAIR_SPLITS = ("development",)  # training split: one utterance per (clip, caption)
N_CAPTIONS = 5


@register_corpus(
    "clotho",
    tasks=("AAC",),
    splits=SPLITS,
    description="Clotho v2.1: 5,929 sound clips (15-30 s) with 5 captions each; 44.1 kHz -> 16 kHz",
)
def prepare(
    src: Path,
    out: Path,
    *,
    splits: Sequence[str] | None = None,
    num_workers: int = 2,
    pair_splits: Sequence[str] = PAIR_SPLITS,
) -> dict[str, Path]:
    """Write one Kaldi data dir per Clotho split under ``out``; return split -> dir."""
    src, out = Path(src), Path(out)
    require(src, "the Clotho directory")
    wanted = list(splits) if splits is not None else list(SPLITS)
    bad = [s for s in wanted if s not in SPLITS]
    if bad:
        raise DataError(f"clotho: unknown split(s) {bad}; known: {', '.join(SPLITS)}")
    written: dict[str, Path] = {}
    for split in wanted:
        csv_path = require(src / f"clotho_captions_{split}.csv", f"Clotho {split} captions")
        audio_dir = _audio_dir(src, split)
        rows = read_captions_csv(csv_path)
        clips: list[tuple[str, str, list[str], str]] = []  # clip id, 16 kHz wav, captions, name
        jobs: list[tuple[Path, Path, None, None]] = []
        missing: list[str] = []
        ids = UniqueIds()
        for file_name, caps in rows:
            wav = audio_dir / file_name
            if not wav.is_file():
                missing.append(file_name)
                continue
            clip = ids.make(Path(file_name).stem)
            dst = (out / "wav" / split / f"{clip}.wav").resolve()
            jobs.append((wav, dst, None, None))
            clips.append((clip, str(dst), caps, file_name))
        report_skipped(f"clotho {split}", f"clips listed in {csv_path.name} without audio", missing)
        if not clips:
            raise DataError(f"{audio_dir}: none of the clips of {csv_path.name} is there")
        failed = convert_skip_bad(
            jobs, num_workers, f"clotho {split}", "clips whose audio cannot be decoded"
        )
        bad_dst = set(failed.values())
        clips = [c for c in clips if c[1] not in bad_dst]
        utts = aac_utts(
            [(c, w, caps) for c, w, caps, _ in clips], per_clip=split not in pair_splits
        )
        names = {c: name for c, _, _, name in clips}
        for u in utts:
            u.extras["utt2clip"] = names[u.speaker]
        written[split] = write_aac_split(out / split, utts)
        log.info("clotho %s: %d utterances -> %s", split, len(utts), written[split])
    return written


def _audio_dir(src: Path, split: str) -> Path:
    for cand in (src / split, src / "clotho_audio_files" / split, src / f"clotho_audio_{split}"):
        if cand.is_dir():
            return cand
    return require(src / split, f"Clotho {split} audio (clotho_audio_{split}.7z extracted)")


def read_captions_csv(path: Path) -> list[tuple[str, list[str]]]:
    """Clotho captions CSV: (file_name, [caption_1..caption_5]) per row, in file order."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        log.warning("%s is not UTF-8; reading it as cp1252", path)
        text = path.read_text(encoding="cp1252")
    reader = csv.DictReader(text.splitlines())
    cols = [f"caption_{k}" for k in range(1, N_CAPTIONS + 1)]
    if reader.fieldnames is None or "file_name" not in reader.fieldnames:
        raise DataError(f"{path}: expected a header 'file_name,caption_1,...,caption_5'")
    cols = [c for c in cols if c in reader.fieldnames]
    if not cols:
        raise DataError(f"{path}: no caption_<k> columns in the header {reader.fieldnames}")
    rows: list[tuple[str, list[str]]] = []
    for lineno, row in enumerate(reader, 2):
        name = (row.get("file_name") or "").strip()
        caps = [clean_text(row.get(c) or "") for c in cols]
        caps = [c for c in caps if c]
        if not name or not caps:
            raise DataError(f"{path}:{lineno}: expected a file name and at least one caption")
        rows.append((name, caps))
    return rows


# --- helpers shared by the AAC and S2TT corpus modules --------------------------------------

_ID_BAD = re.compile(r"[^\w.]+")


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


def write_aac_split(out_dir: Path, utts: Sequence[Utt]) -> Path:
    """``write_split_clean`` that also removes ``caption<N>`` tables of an earlier run (they are
    not matched by the extra-table patterns, so ``write_split_clean`` leaves them)."""
    if out_dir.is_dir():
        for p in out_dir.glob("caption*"):
            if p.is_file() and re.fullmatch(r"caption\d+", p.name):
                p.unlink()
    return write_split_clean(out_dir, utts)


def is_16k_mono(path: Path) -> bool:
    """True if soundfile reads ``path`` as 16 kHz mono; False otherwise (also if unreadable)."""
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError):
        return False
    return info.samplerate == SAMPLE_RATE and info.channels == 1


def convert_skip_bad(
    jobs: Sequence[tuple[str | Path, str | Path, float | None, float | None]],
    num_workers: int = 2,
    desc: str = "convert",
    what: str = "audio files that cannot be decoded",
) -> dict[str, str]:
    """Like ``common.convert_all`` (16 kHz mono PCM, skipped when done) but a file that cannot
    be decoded is skipped instead of aborting the whole run: the failures are reported as
    ``what`` (each with its decoder error) and returned as ``{src: dst}``."""
    todo = [(str(s), str(d), a, b) for s, d, a, b in jobs]
    errors = convert_report(todo, num_workers, desc)
    # the error text starts with the source path, so the log names the file and the cause
    report_skipped(desc, what, errors.values())
    dst = {s: d for s, d, _, _ in todo}
    return {src: dst[src] for src in errors}
