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
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from pathlib import Path

from laura.data.corpora import common, register_corpus
from laura.data.corpora.common import Dirs, Splits
from laura.data.errors import DataError

log = logging.getLogger(__name__)

SPLITS = ("development", "validation", "evaluation")
PAIR_SPLITS = ("development",)  # training split: one utterance per (clip, caption)
N_CAPTIONS = 5


DESCRIPTION = "Clotho v2.1: 5,929 sound clips (15-30 s) with 5 captions each; 44.1 kHz -> 16 kHz"


@register_corpus("clotho", ("AAC",), SPLITS, DESCRIPTION)
def prepare(
    src: Path,
    out: Path,
    *,
    splits: Splits = None,
    num_workers: int = 2,
    pair_splits: Sequence[str] = PAIR_SPLITS,
) -> Dirs:
    """Write one Kaldi data dir per Clotho split under ``out``; return split -> dir."""
    common.require(src, "the Clotho directory")
    written: dict[str, Path] = {}
    for split in common.choose_splits(splits, SPLITS, "clotho"):
        csv_path = common.require(src / f"clotho_captions_{split}.csv", f"Clotho {split} captions")
        audio_dir = _audio_dir(src, split)
        rows = read_captions_csv(csv_path)
        clips: list[tuple[str, str, list[str], str]] = []  # clip id, 16 kHz wav, captions, name
        jobs: list[tuple[Path, Path, None, None]] = []
        missing: list[str] = []
        ids = common.UniqueIds()
        for file_name, caps in rows:
            wav = audio_dir / file_name
            if not wav.is_file():
                missing.append(file_name)
                continue
            clip = ids.make(Path(file_name).stem)
            dst = (out / "wav" / split / f"{clip}.wav").resolve()
            jobs.append((wav, dst, None, None))
            clips.append((clip, str(dst), caps, file_name))
        common.report_skipped(
            f"clotho {split}", f"clips listed in {csv_path.name} without audio", missing
        )
        if not clips:
            raise DataError(f"{audio_dir}: none of the clips of {csv_path.name} is there")
        failed = common.convert_skip_bad(
            jobs, num_workers, f"clotho {split}", "clips whose audio cannot be decoded"
        )
        bad_dst = set(failed.values())
        clips = [c for c in clips if c[1] not in bad_dst]
        utts = common.aac_utts(
            [(c, w, caps) for c, w, caps, _ in clips], per_clip=split not in pair_splits
        )
        names = {c: name for c, _, _, name in clips}
        for u in utts:
            u.extras["utt2clip"] = names[u.speaker]
        written[split] = common.write_split(out / split, utts, where=f"clotho {split}")
    return written


def _audio_dir(src: Path, split: str) -> Path:
    for cand in (src / split, src / "clotho_audio_files" / split, src / f"clotho_audio_{split}"):
        if cand.is_dir():
            return cand
    return common.require(src / split, f"Clotho {split} audio (clotho_audio_{split}.7z extracted)")


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
        caps = [common.clean_text(row.get(c) or "") for c in cols]
        caps = [c for c in caps if c]
        if not name or not caps:
            raise DataError(f"{path}:{lineno}: expected a file name and at least one caption")
        rows.append((name, caps))
    return rows
