"""SAVEE (Surrey Audio-Visual Expressed Emotion database, Jackson & Haq 2014): SER training
data.

Source: the SAVEE download (personal.ee.surrey.ac.uk/Personal/P.Jackson/SAVEE, registration),
``AudioData.zip`` extracted::

    <src>/                       (the folder holding AudioData/, or AudioData itself)
    └── AudioData/
        ├── DC/a01.wav ... su15.wav, n01.wav ... n30.wav     44.1 kHz mono 16-bit
        ├── JE/
        ├── JK/
        └── KL/

Four male speakers (DC, JE, JK, KL), 120 utterances each: 15 per emotion and 30 neutral.
Emotion codes: a anger, d disgust, f fear, h happiness, n neutral, sa sadness, su surprise
(mapping in ``emotion_labels``). The widely mirrored flat copy (``ALL/DC_a01.wav``) is read too.

Splits (no official ones; speaker-disjoint; SAVEE is too small for a dev speaker): ``train`` =
DC, JE, JK; ``test`` = KL.

Audio: converted to 16 kHz into ``out/wav/<split>/``. Tables: ``wav.scp``, ``utt2spk``,
``utt2emotion``, ``utt2emotion_orig`` (the code), ``utt2lang``. No ``text``: the audio release
carries no transcripts (the sentences are TIMIT prompts listed only in the paper), so validate
with ``require_text=False``. Utterance id = ``<SPK>-<code><nn>``. Tasks: SER.
"""

from __future__ import annotations

import re
from pathlib import Path

from laura.data.corpora import common, register_corpus
from laura.data.corpora.common import Dirs, Splits
from laura.data.emotion_labels import unify
from laura.data.errors import DataError

SPLITS = ("train", "test")
SPEAKERS = ("DC", "JE", "JK", "KL")
TEST_SPEAKERS = ("KL",)
_NAME = re.compile(r"^(a|d|f|h|n|sa|su)(\d\d)$")
_FLAT = re.compile(r"^(DC|JE|JK|KL)_(a|d|f|h|n|sa|su)(\d\d)$")


def _audio_root(src: Path) -> Path | None:
    for d in (src / "AudioData", src):
        if any((d / s).is_dir() for s in SPEAKERS):
            return d
    return None


DESCRIPTION = "SAVEE, 4 male speakers x 7 emotions (44.1 kHz, converted; no transcripts)"


@register_corpus("savee", ("SER",), SPLITS, DESCRIPTION)
def prepare(src: Path, out: Path, *, splits: Splits = None, num_workers: int = 2) -> Dirs:
    """Write ``out/<split>`` for SAVEE; see the module doc for layout, splits and tables."""
    found: list[tuple[str, str, str, Path]] = []  # spk, code, number, path
    odd: list[Path] = []
    root = _audio_root(src)
    if root is not None:
        for spk in SPEAKERS:
            folder = root / spk
            if not folder.is_dir():
                raise DataError(
                    f"{folder}: not found (SAVEE speaker {spk}); is AudioData extracted whole?"
                )
            for wav in sorted(p for p in folder.glob("*.wav") if not p.name.startswith(".")):
                m = _NAME.match(wav.stem)
                if m is None:
                    odd.append(wav)
                else:
                    found.append((spk, m.group(1), m.group(2), wav))
    else:  # the flat mirror: <SPK>_<code><nn>.wav anywhere below src
        for wav in common.iter_files(src, (".wav",)):
            m = _FLAT.match(wav.stem)
            if m is not None:
                found.append((m.group(1), m.group(2), m.group(3), wav))
    if not found:
        raise common.not_extracted(
            src,
            "not found or empty",
            "SAVEE",
            example="AudioData/DC/a01.wav, ...",
            shown=src / "AudioData",
        )
    parts = common.builders(splits, SPLITS, "savee")
    for wav in odd:
        if "train" in parts:
            parts["train"].skips.add(wav, "file name is not <code><nn>.wav")
    seen: set[str] = set()
    for spk, code, num, wav in found:
        split = "test" if spk in TEST_SPEAKERS else "train"
        if split not in parts:
            continue
        uid = f"{spk}-{code}{num}"
        if uid in seen:
            parts[split].skips.add(wav, "duplicate of an earlier file")
            continue
        seen.add(uid)
        emo = unify("savee", code)
        if emo is None:
            parts[split].skips.add(wav, f"emotion code {code!r} has no unified class")
            continue
        parts[split].add(common.Utt(uid, "", spk, extras=common.emotion_extras(code, emo)), wav)
    return common.write_splits(parts, out, corpus="savee", num_workers=num_workers)
