"""RAVDESS (Ryerson Audio-Visual Database of Emotional Speech and Song, Livingstone & Russo
2018), speech part: SER training data.

Source: ``Audio_Speech_Actors_01-24.zip`` from Zenodo (record 1188976), extracted::

    <src>/                               (the zip's folders; a wrapping folder is fine too)
    └── Actor_01 .. Actor_24/
        └── 03-01-05-02-01-01-01.wav     48 kHz 16-bit, 1440 files

File name = modality-vocal channel-emotion-intensity-statement-repetition-actor:
modality 03 = audio-only; vocal channel 01 = speech, 02 = song; emotion 01 neutral, 02 calm,
03 happy, 04 sad, 05 angry, 06 fearful, 07 disgust, 08 surprised; intensity 01 normal,
02 strong; statement 01 "Kids are talking by the door", 02 "Dogs are sitting by the door";
actor 01-24 (odd = male, even = female).

Only speech (vocal channel 01) is used: song files (``Audio_Song_Actors_01-24.zip`` extracted
into the same folders) and non-audio modalities are skipped and counted. Emotion mapping in
``emotion_labels`` (calm -> neutral).

Splits (no official ones; speaker-disjoint, one male and one female actor in each held-out
split): ``train`` = actors 01-20, ``dev`` = 21-22, ``test`` = 23-24.

Audio: converted to 16 kHz mono 16-bit PCM into ``out/wav/<split>/`` (the originals are
48 kHz). Tables: ``wav.scp``, ``text`` (the statement), ``utt2spk`` (``Actor_01``),
``utt2emotion``, ``utt2emotion_orig`` (neutral, calm, ... as named by the corpus),
``utt2intensity`` (normal/strong), ``utt2lang``. Utterance id = ``Actor_NN-<file stem>``.
Tasks: SER.
"""

from __future__ import annotations

import re
from pathlib import Path

from laura.data.corpora import common, register_corpus
from laura.data.corpora.common import Dirs, Splits
from laura.data.emotion_labels import unify

SPLITS = ("train", "dev", "test")
EMOTIONS = {
    "01": "neutral",
    "02": "calm",
    "03": "happy",
    "04": "sad",
    "05": "angry",
    "06": "fearful",
    "07": "disgust",
    "08": "surprised",
}
INTENSITY = {"01": "normal", "02": "strong"}
STATEMENTS = {"01": "Kids are talking by the door", "02": "Dogs are sitting by the door"}
_NAME = re.compile(r"^(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)$")


def split_of(actor: int) -> str:
    return "test" if actor >= 23 else "dev" if actor >= 21 else "train"


DESCRIPTION = "RAVDESS speech, 24 actors x 8 emotions (48 kHz, converted)"


@register_corpus("ravdess", ("SER",), SPLITS, DESCRIPTION)
def prepare(src: Path, out: Path, *, splits: Splits = None, num_workers: int = 2) -> Dirs:
    """Write ``out/<split>`` for RAVDESS; see the module doc for layout, splits and tables."""
    actor_dirs = sorted(
        p for p in src.rglob("Actor_*") if p.is_dir() and re.fullmatch(r"Actor_\d\d", p.name)
    )
    if not actor_dirs:
        raise common.not_extracted(
            src, "no Actor_01..Actor_24 folders", "RAVDESS (Audio_Speech_Actors_01-24.zip)"
        )
    parts = common.builders(splits, SPLITS, "ravdess")
    seen: set[str] = set()
    for folder in actor_dirs:
        actor = int(folder.name[-2:])
        split = split_of(actor)
        if split not in parts:
            continue
        part, skips = parts[split], parts[split].skips
        for wav in sorted(folder.glob("*.wav")):
            if wav.name.startswith("."):
                continue
            m = _NAME.match(wav.stem)
            if m is None:
                skips.add(wav, "file name is not MM-VV-EE-II-SS-RR-AA.wav")
                continue
            modality, channel, emo_code, inten, stmt, _rep, act = m.groups()
            if modality != "03" or channel != "01":
                skips.add(wav, f"not audio-only speech (modality {modality}, channel {channel})")
                continue
            if int(act) != actor or emo_code not in EMOTIONS or stmt not in STATEMENTS:
                skips.add(wav, "actor/emotion/statement code out of range or not the folder's")
                continue
            orig = EMOTIONS[emo_code]
            emo = unify("ravdess", orig)
            if emo is None:  # every RAVDESS emotion maps today; kept for table edits
                skips.add(wav, f"emotion {orig!r} has no unified class")
                continue
            spk = folder.name
            uid = f"{spk}-{wav.stem}"
            if uid in seen:  # the same file extracted twice under different wrappers
                skips.add(wav, "duplicate of an earlier file")
                continue
            seen.add(uid)
            extras = common.emotion_extras(orig, emo)
            extras["utt2intensity"] = INTENSITY.get(inten, inten)
            part.add(common.Utt(uid, "", spk, text=STATEMENTS[stmt], extras=extras), wav)
    return common.write_splits(parts, out, corpus="ravdess", num_workers=num_workers)
