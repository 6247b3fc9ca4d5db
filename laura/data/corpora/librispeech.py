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

The split names, the chapter listing and the SPEAKERS.TXT reader (``common.LIBRI_SPLITS``,
``libri_chapters``, ``read_speakers``, ``add_genders``) are shared with LibriTTS.
"""

from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from laura.data.corpora import common, register_corpus
from laura.data.corpora.common import Dirs, Splits
from laura.data.errors import DataError

SPLITS = common.LIBRI_SPLITS


DESCRIPTION = "LibriSpeech (SLR12): 960 h English read audiobooks, 16 kHz FLAC"


@register_corpus("librispeech", ("ASR",), SPLITS, DESCRIPTION)
def prepare(src: Path, out: Path, *, splits: Splits = None, num_workers: int = 2) -> Dirs:
    """Write one Kaldi data dir per LibriSpeech split under ``out``; return split -> dir."""
    del num_workers  # nothing to convert: the FLAC files are used in place
    root = src / "LibriSpeech" if (src / "LibriSpeech").is_dir() else src
    root = common.require(root, "the LibriSpeech directory").resolve()
    wanted = common.choose_splits(splits, SPLITS, "librispeech", root=root)
    genders = common.read_speakers(root / "SPEAKERS.TXT")
    written: dict[str, Path] = {}
    for split in wanted:
        utts = _read_split(root / split, genders)
        first = utts[0].wav
        common.audio_info(first, "LibriSpeech FLAC")  # unreadable: that error, not "not 16 kHz"
        if not common.is_16k_mono(first):
            raise DataError(f"{first}: LibriSpeech audio should be 16 kHz mono FLAC")
        written[split] = common.write_split(out / split, utts, where=f"librispeech {split}")
    return written


def _read_split(split_dir: Path, genders: dict[str, str] | None) -> list[common.Utt]:
    utts: list[common.Utt] = []
    chapters = common.libri_chapters(split_dir)
    no_text: list[str] = []
    for chapter in tqdm(chapters, desc=f"librispeech {split_dir.name}", leave=False):
        spk, chap = chapter.parent.name, chapter.name
        trans = common.require(chapter / f"{spk}-{chap}.trans.txt", "chapter transcript")
        texts: dict[str, str] = {}
        for lineno, line in enumerate(trans.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            utt, _, text = line.strip().partition(" ")
            text = common.clean_text(text)
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
            utts.append(common.Utt(utt, str(flac), spk, text, extras={"utt2lang": "en"}))
        no_text += [f.stem for f in chapter.glob("*.flac") if f.stem not in texts]
    common.report_skipped(split_dir.name, "FLAC files without a transcript line", no_text)
    common.add_genders(utts, genders, split_dir, "SPEAKERS.TXT")
    return utts
