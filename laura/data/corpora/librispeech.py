"""LibriSpeech ASR corpus (Panayotov et al., 2015; OpenSLR SLR12), English read speech, for ASR.

Expected layout (the official ``<split>.tar.gz`` archives extracted in one place; ``src`` may be
the ``LibriSpeech`` directory or its parent)::

    LibriSpeech/
      SPEAKERS.TXT  CHAPTERS.TXT  BOOKS.TXT  LICENSE.TXT  README.TXT
      train-clean-100/
        103/                          # speaker id
          1240/                       # chapter id
            103-1240.trans.txt        # "<utt> TRANSCRIPT IN UPPER CASE", one line per utterance
            103-1240-0000.flac        # 16 kHz mono FLAC
            ...
      train-clean-360/ train-other-500/ dev-clean/ dev-other/ test-clean/ test-other/

Splits (data dir names = the official split names): train-clean-100, train-clean-360,
train-other-500, dev-clean, dev-other, test-clean, test-other. With ``splits=None`` every split
present under ``src`` is written (the absent ones are logged); a requested split that is absent is
an error.

Tables: ``wav.scp`` (the original FLAC files, absolute paths: they already are 16 kHz mono, so
nothing is converted), ``text`` (the transcript as distributed: upper case, no punctuation,
whitespace collapsed), ``utt2spk`` (LibriSpeech speaker id; utterance ids ``<spk>-<chapter>-<n>``
already start with it), ``utt2lang`` (``en``) and ``utt2gender`` (``m``/``f`` from
``SPEAKERS.TXT``; the table is left out with a warning when that file is absent).

Quirks: ``SPEAKERS.TXT`` is ``|``-separated with ``;`` comment lines, and a few reader names
contain ``|`` themselves (speaker 60 is "|CBW|Simon"), so only the first four fields are split.

The small helpers at the end of this module (text cleaning, stale-table removal, split
resolution) are shared by the other ASR/TTS corpus modules of this package; skipped items are
reported with ``common.report_skipped``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

import soundfile as sf
from tqdm import tqdm

from laura.data.corpora import register_corpus
from laura.data.corpora.common import SAMPLE_RATE, Utt, report_skipped, require, write_split
from laura.data.errors import DataError
from laura.data.kaldi import CORE_FILES, is_extra_table

log = logging.getLogger(__name__)

SPLITS = (
    "train-clean-100", "train-clean-360", "train-other-500",
    "dev-clean", "dev-other", "test-clean", "test-other",
)  # fmt: skip


@register_corpus(
    "librispeech",
    tasks=("ASR",),
    splits=SPLITS,
    description="LibriSpeech (SLR12): 960 h English read audiobooks, 16 kHz FLAC",
)
def prepare(
    src: Path,
    out: Path,
    *,
    splits: Sequence[str] | None = None,
    num_workers: int = 2,
) -> dict[str, Path]:
    """Write one Kaldi data dir per LibriSpeech split under ``out``; return split -> dir."""
    del num_workers  # nothing to convert: the FLAC files are used in place
    src, out = Path(src), Path(out)
    root = src / "LibriSpeech" if (src / "LibriSpeech").is_dir() else src
    root = require(root, "the LibriSpeech directory").resolve()
    wanted = resolve_splits(root, splits, SPLITS, "LibriSpeech")
    genders = read_speakers(root / "SPEAKERS.TXT")

    written: dict[str, Path] = {}
    for split in wanted:
        utts = _read_split(root / split, genders)
        if not check_audio_format(Path(utts[0].wav), "LibriSpeech FLAC"):
            raise DataError(f"{utts[0].wav}: LibriSpeech audio should be 16 kHz mono FLAC")
        written[split] = write_split_clean(out / split, utts)
        log.info("librispeech %s: %d utterances -> %s", split, len(utts), written[split])
    return written


def _read_split(split_dir: Path, genders: dict[str, str] | None) -> list[Utt]:
    utts: list[Utt] = []
    chapters = sorted(p for p in split_dir.glob("*/*") if p.is_dir())
    if not chapters:
        raise DataError(
            f"{split_dir}: no <speaker>/<chapter> directories; "
            "is the corpus extracted in its original layout?"
        )
    no_text: list[str] = []
    for chapter in tqdm(chapters, desc=f"librispeech {split_dir.name}", leave=False):
        spk, chap = chapter.parent.name, chapter.name
        trans = require(chapter / f"{spk}-{chap}.trans.txt", "chapter transcript")
        texts: dict[str, str] = {}
        for lineno, line in enumerate(trans.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            utt, _, text = line.strip().partition(" ")
            text = clean_text(text)
            if not utt.startswith(f"{spk}-{chap}-") or not text:
                raise DataError(f"{trans}:{lineno}: expected '{spk}-{chap}-NNNN TRANSCRIPT'")
            texts[utt] = text
        for utt, text in texts.items():
            flac = chapter / f"{utt}.flac"
            if not flac.is_file():
                raise DataError(
                    f"{flac}: not found (listed in {trans.name}); "
                    "is the corpus extracted in its original layout?"
                )
            extras = {"utt2lang": "en"}
            if genders is not None:
                extras["utt2gender"] = genders.get(spk, "")
            utts.append(Utt(utt, str(flac), spk, text, extras=extras))
        no_text += [f.stem for f in chapter.glob("*.flac") if f.stem not in texts]
    report_skipped(split_dir.name, "FLAC files without a transcript line", no_text)
    if genders is not None and any(u.extras["utt2gender"] == "" for u in utts):
        # A speaker missing from SPEAKERS.TXT: keep its utterances, drop the table for all.
        lacking = sorted({u.speaker for u in utts if u.extras["utt2gender"] == ""})
        log.warning("%s: speakers %s are not in SPEAKERS.TXT; no utt2gender", split_dir, lacking)
        for u in utts:
            u.extras.pop("utt2gender")
    return utts


def read_speakers(path: Path) -> dict[str, str] | None:
    """``SPEAKERS.TXT`` (LibriSpeech and LibriTTS): speaker id -> ``m``/``f``; None if absent."""
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


# --- helpers shared by the ASR/TTS corpus modules ------------------------------------------

_WS = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """Strip and collapse whitespace (tabs, newlines, full-width spaces) to single spaces."""
    return _WS.sub(" ", text).strip()


def resolve_splits(
    root: Path, splits: Sequence[str] | None, known: Sequence[str], corpus: str
) -> list[str]:
    """Requested splits (each must be a directory under ``root``), or all present ones."""
    if splits is not None:
        bad = [s for s in splits if s not in known]
        if bad:
            raise DataError(f"{corpus}: unknown split(s) {bad}; known: {', '.join(known)}")
        for s in splits:
            require(root / s, f"{corpus} split {s}")
        return list(splits)
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


def check_audio_format(path: Path, what: str) -> bool:
    """True if ``path`` is 16 kHz mono (readable by soundfile); DataError if unreadable."""
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError) as err:
        raise DataError(f"{path}: cannot read {what} ({err})") from err
    return info.samplerate == SAMPLE_RATE and info.channels == 1


def write_split_clean(
    out_dir: Path, utts: Sequence[Utt], recordings: dict[str, str] | None = None
) -> Path:
    """``common.write_split`` after removing tables an earlier run wrote and this one won't
    (e.g. a ``segments`` file left over from another audio mode), so re-runs stay consistent."""
    keep = {"wav.scp", "utt2spk", "spk2utt"}
    if any(u.text is not None for u in utts):
        keep.add("text")
    if any(u.segment is not None for u in utts):
        keep.add("segments")
    for u in utts:
        keep.update(u.extras)
    if out_dir.is_dir():
        for p in out_dir.iterdir():
            if (
                p.is_file()
                and p.name not in keep
                and (p.name in CORE_FILES or is_extra_table(p.name))
            ):
                p.unlink()
    return write_split(out_dir, utts, recordings)
