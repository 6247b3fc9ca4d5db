"""CREMA-D (Crowd-sourced Emotional Multimodal Actors Dataset, Cao et al. 2014): SER training
data.

Source: the CREMA-D repository (github.com/CheyneyComputerScience/CREMA-D, audio in git LFS)::

    <src>/                              <- the repository root (or AudioWAV itself)
    ├── AudioWAV/1001_DFA_ANG_XX.wav    7442 files, 16 kHz mono 16-bit
    ├── VideoDemographics.csv           (not needed)
    └── ...

File name = ``<actor>_<sentence>_<emotion>_<level>``: actor 1001-1091; sentence one of 12
codes (IEO "It's eleven o'clock", TIE "That is exactly what happened", IOM "I'm on my way to
the meeting", IWW "I wonder what this is about", TAI "The airplane is almost full", MTI "Maybe
tomorrow it will be cold", IWL "I would like a new alarm clock", ITH "I think I have a
doctor's appointment", DFA "Don't forget a jacket", ITS "I think I've seen this before", TSI
"The surface is slick", WSI "We'll stop in a couple of minutes"); emotion ANG DIS FEA HAP NEU
SAD (the *intended* emotion -- the crowd ratings in processedResults/ are not used); level
LO MD HI XX. Mapping in ``emotion_labels``.

Splits (no official ones; speaker-disjoint): the 91 actors sorted, every 10th from the 9th on
(index % 10 == 8) is ``dev``, from the 10th on (index % 10 == 9) ``test``, the rest ``train``
(73/9/9 actors).

Audio: the 16 kHz mono originals are used in place; files that are empty or unreadable (the
README lists e.g. 1076_MTI_SAD_XX) are skipped and listed in ``<split>/skipped.tsv``. A clone
made without ``git lfs pull`` holds small git-lfs pointer text files in place of the wavs: that
is an error naming the file and the clone to run ``git lfs pull`` in, not a skip. Tables:
``wav.scp``, ``text`` (the sentence), ``utt2spk`` (actor id), ``utt2emotion``,
``utt2emotion_orig`` (ANG, ...), ``utt2intensity`` (LO/MD/HI/XX), ``utt2lang``.
Utterance id = the file stem (it starts with the actor id). Tasks: SER.
"""

from __future__ import annotations

import re
from pathlib import Path

from laura.data.corpora import common, register_corpus
from laura.data.corpora.common import Dirs, Splits
from laura.data.emotion_labels import unify
from laura.data.errors import DataError

SPLITS = common.TENTH_SPLITS
SENTENCES = {
    "IEO": "It's eleven o'clock",
    "TIE": "That is exactly what happened",
    "IOM": "I'm on my way to the meeting",
    "IWW": "I wonder what this is about",
    "TAI": "The airplane is almost full",
    "MTI": "Maybe tomorrow it will be cold",
    "IWL": "I would like a new alarm clock",
    "ITH": "I think I have a doctor's appointment",
    "DFA": "Don't forget a jacket",
    "ITS": "I think I've seen this before",
    "TSI": "The surface is slick",
    "WSI": "We'll stop in a couple of minutes",
}
_NAME = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})$")


DESCRIPTION = "CREMA-D, 91 actors x 12 sentences x 6 emotions (16 kHz)"


@register_corpus("crema_d", ("SER",), SPLITS, DESCRIPTION)
def prepare(src: Path, out: Path, *, splits: Splits = None, num_workers: int = 2) -> Dirs:
    """Write ``out/<split>`` for CREMA-D; see the module doc for layout, splits and tables."""
    audio_dir = src if src.name == "AudioWAV" else src / "AudioWAV"
    if not audio_dir.is_dir():
        raise DataError(
            f"{audio_dir}: not found (CREMA-D audio folder); is the corpus extracted in its "
            "original layout (AudioWAV/1001_DFA_ANG_XX.wav)?"
        )
    wavs = sorted(p for p in audio_dir.glob("*.wav") if not p.name.startswith("."))
    if not wavs:
        raise DataError(f"{audio_dir}: no .wav files (git-lfs pull not run?)")
    parts = common.builders(splits, SPLITS, "crema_d")
    parsed = [(w, _NAME.match(w.stem)) for w in wavs]
    split_of = common.every_tenth_split([m.group(1) for _, m in parsed if m is not None])
    for wav, m in parsed:
        if m is None:
            if "train" in parts:
                parts["train"].skips.add(wav, "file name is not AAAA_SSS_EEE_LL.wav")
            continue
        actor, sent, orig, level = m.groups()
        split = split_of[actor]
        if split not in parts:
            continue
        emo = unify("crema_d", orig)
        if emo is None or sent not in SENTENCES:
            parts[split].skips.add(wav, f"unknown emotion {orig!r} or sentence {sent!r}")
            continue
        extras = common.emotion_extras(orig, emo)
        extras["utt2intensity"] = level
        parts[split].add(common.Utt(wav.stem, "", actor, text=SENTENCES[sent], extras=extras), wav)
    return common.write_splits(parts, out, corpus="crema_d", num_workers=num_workers)
