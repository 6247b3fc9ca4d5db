"""TESS (Toronto Emotional Speech Set, Pichora-Fuller & Dupuis 2020, Scholars Portal
Dataverse doi:10.5683/SP2/E8H2MF): SER training data.

Two actresses (OAF, aged 64; YAF, aged 26) say "Say the word <word>" for 200 target words in
7 emotions: 2800 wav files, 24414 Hz mono 16-bit. The distributed folders::

    <src>/                                    (e.g. "TESS Toronto emotional speech set data")
    ├── OAF_angry/OAF_back_angry.wav
    ├── OAF_Pleasant_surprise/OAF_back_ps.wav
    ├── YAF_fear/YAF_back_fear.wav
    └── ...                                   (14 folders: {OAF,YAF}_{emotion})

Files are found recursively and parsed from the name ``<speaker>_<word>_<emotion>.wav``
(the folder names are not consistent in case/spelling, the file names are), so the flat
Dataverse download works too; a file present twice (a nested copy of the folder) is used once
and the duplicate counted. Emotions: angry disgust fear happy neutral ps (pleasant surprise)
sad; mapping in ``emotion_labels`` (ps -> surprise).

Splits: with only two talkers a speaker-disjoint split would confound speaker age with the
split, so TESS is split by *target word* (word-disjoint, both talkers everywhere): the 200
words sorted alphabetically, every 10th word from the 9th on (index % 10 == 8) is ``dev``,
from the 10th on (index % 10 == 9) ``test``, the rest ``train`` (80/10/10).

Audio: converted to 16 kHz into ``out/wav/<split>/``. Tables: ``wav.scp``, ``text``
("Say the word back"), ``utt2spk`` (OAF/YAF), ``utt2emotion``, ``utt2emotion_orig``,
``utt2lang``. Utterance id = ``<SPK>_<word>_<emotion>`` (lower-cased word and emotion).
Tasks: SER.
"""

from __future__ import annotations

from pathlib import Path

from laura.data.corpora import common, register_corpus
from laura.data.corpora.common import Dirs, Splits
from laura.data.emotion_labels import unify

SPLITS = common.TENTH_SPLITS
SPEAKERS = ("OAF", "YAF")


DESCRIPTION = "TESS, 2 talkers x 200 words x 7 emotions (24.4 kHz, converted)"


@register_corpus("tess", ("SER",), SPLITS, DESCRIPTION)
def prepare(src: Path, out: Path, *, splits: Splits = None, num_workers: int = 2) -> Dirs:
    """Write ``out/<split>`` for TESS; see the module doc for layout, splits and tables."""
    parts = common.builders(splits, SPLITS, "tess")
    found: dict[str, tuple[str, str, str, Path]] = {}  # uid -> spk, word, emotion, path
    bad: list[tuple[Path, str]] = []
    for wav in common.iter_files(src, (".wav",)):
        bits = wav.stem.split("_")
        if len(bits) != 3 or bits[0].upper() not in SPEAKERS:
            bad.append((wav, "file name is not <OAF|YAF>_<word>_<emotion>.wav"))
            continue
        spk, word, orig = bits[0].upper(), bits[1].lower(), bits[2].lower()
        uid = f"{spk}_{word}_{orig}"
        if uid in found:
            bad.append((wav, f"duplicate of {found[uid][3]}"))
            continue
        found[uid] = (spk, word, orig, wav)
    if not found:
        raise common.not_extracted(
            src,
            "no <OAF|YAF>_<word>_<emotion>.wav files",
            "TESS",
            example="OAF_angry/OAF_back_angry.wav, ...",
        )
    split_of = common.every_tenth_split([w for _, w, _, _ in found.values()])
    for path, why in bad:  # not attributable to a word: reported with the training split
        if "train" in parts:
            parts["train"].skips.add(path, why)
    for uid, (spk, word, orig, wav) in sorted(found.items()):
        split = split_of[word]
        if split not in parts:
            continue
        emo = unify("tess", orig)
        if emo is None:
            parts[split].skips.add(wav, f"emotion {orig!r} has no unified class")
            continue
        text = f"Say the word {word}"
        parts[split].add(
            common.Utt(uid, "", spk, text=text, extras=common.emotion_extras(orig, emo)), wav
        )
    return common.write_splits(parts, out, corpus="tess", num_workers=num_workers)
