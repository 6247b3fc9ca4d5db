"""Speech emotion recognition (SER): every corpus's labels mapped onto the paper's nine classes,
plus the small helpers the SER corpus modules share (audio resolution, skip bookkeeping).

LauraGPT (appendix A.5) unifies the labels of its SER training corpora into nine classes --
anger, disgust, neutral, like, sadness, surprise, happiness, joy, fear (``common.SER_CLASSES``)
-- and at test time counts *like* and *happiness* as *joy* to match the MELD test set
(``eval_class``). The nine classes are the NLPCC Weibo emotion set (anger, disgust, fear,
happiness, like, sadness, surprise, none=neutral) plus MELD's *joy*; none of the English
corpora below has a *like* label, so nothing maps onto it.

The paper does not publish its per-corpus mapping; this is laura's, one row per corpus
(original label -> unified class; "-" = dropped, counted and listed in ``<split>/skipped.tsv``):

=========  ===================================================================================
corpus     mapping
=========  ===================================================================================
MELD       anger->anger, disgust->disgust, fear->fear, joy->joy, neutral->neutral,
           sadness->sadness, surprise->surprise (MELD is the test set: identity)
IEMOCAP    ang->anger, dis->disgust, fea->fear, hap->happiness, exc->happiness (the usual
           happy+excited merge), neu->neutral, sad->sadness, sur->surprise;
           fru (frustration) -, oth (other) -, xxx (no majority) -
RAVDESS    neutral->neutral, calm->neutral (low-arousal neutral; the label is kept in
           utt2emotion_orig), happy->happiness, sad->sadness, angry->anger, fearful->fear,
           disgust->disgust, surprised->surprise
TESS       angry->anger, disgust->disgust, fear->fear, happy->happiness, neutral->neutral,
           ps (pleasant surprise)->surprise, sad->sadness
CREMA-D    ANG->anger, DIS->disgust, FEA->fear, HAP->happiness, NEU->neutral, SAD->sadness
SAVEE      a->anger, d->disgust, f->fear, h->happiness, n->neutral, sa->sadness, su->surprise
EmoV-DB    amused->happiness (amusement is positive, high arousal, like the acted "happy"
           classes), anger->anger, disgust->disgust, neutral->neutral, sleepiness -
           (sleepiness is not an emotion of the nine; ``prepare(..., sleepy="neutral")``
           maps it to neutral instead)
=========  ===================================================================================

Acted "happy" labels go to *happiness*, MELD's conversational *joy* stays *joy*: the model
sees the distinction in training, and ``eval_class`` merges them for MELD scoring.
``utt2emotion_orig`` always keeps the corpus's own label (the code as the corpus documents it:
``exc``, ``ps``, ``ANG``, ``sa``, ``calm``, ``sleepiness``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import soundfile as sf

from laura.data.corpora.common import (  # Skips: re-exported, the SER modules import it here
    SAMPLE_RATE,
    SER_CLASSES,
    Skips,
    Utt,
    check_not_lfs_pointer,
    convert_all,
    write_split,
)
from laura.data.errors import DataError

log = logging.getLogger(__name__)

# corpus -> {original label -> unified class, or None: dropped on purpose}
LABEL_MAPS: dict[str, dict[str, str | None]] = {
    "meld": {
        "anger": "anger", "disgust": "disgust", "fear": "fear", "joy": "joy",
        "neutral": "neutral", "sadness": "sadness", "surprise": "surprise",
    },
    "iemocap": {
        "ang": "anger", "dis": "disgust", "fea": "fear", "hap": "happiness",
        "exc": "happiness", "neu": "neutral", "sad": "sadness", "sur": "surprise",
        "fru": None, "oth": None, "xxx": None,
    },
    "ravdess": {
        "neutral": "neutral", "calm": "neutral", "happy": "happiness", "sad": "sadness",
        "angry": "anger", "fearful": "fear", "disgust": "disgust", "surprised": "surprise",
    },
    "tess": {
        "angry": "anger", "disgust": "disgust", "fear": "fear", "happy": "happiness",
        "neutral": "neutral", "ps": "surprise", "sad": "sadness",
    },
    "crema_d": {
        "ANG": "anger", "DIS": "disgust", "FEA": "fear", "HAP": "happiness",
        "NEU": "neutral", "SAD": "sadness",
    },
    "savee": {
        "a": "anger", "d": "disgust", "f": "fear", "h": "happiness", "n": "neutral",
        "sa": "sadness", "su": "surprise",
    },
    "emovdb": {
        "amused": "happiness", "anger": "anger", "disgust": "disgust", "neutral": "neutral",
        "sleepiness": None,
    },
}  # fmt: skip

# Test-time merge (paper A.5): like and happiness count as joy on MELD.
EVAL_MERGE: dict[str, str] = {"like": "joy", "happiness": "joy"}
# The seven MELD classes the merged labels fall into.
EVAL_CLASSES: tuple[str, ...] = tuple(c for c in SER_CLASSES if c not in EVAL_MERGE)

for _corpus, _table in LABEL_MAPS.items():  # keep the table honest
    for _orig, _cls in _table.items():
        assert _cls is None or _cls in SER_CLASSES, (_corpus, _orig, _cls)


def unify(corpus: str, label: str) -> str | None:
    """The unified class of ``label`` in ``corpus``, or None when it has none (drop it)."""
    return LABEL_MAPS[corpus].get(label)


def eval_class(label: str) -> str:
    """Map a unified (or predicted) label to the MELD scoring classes: like/happiness -> joy."""
    label = label.strip().lower()
    return EVAL_MERGE.get(label, label)


def choose_splits(requested: Sequence[str] | None, known: Sequence[str], corpus: str) -> list[str]:
    """Requested split names (default: all ``known``), each checked against ``known``."""
    if requested is None:
        return list(known)
    if isinstance(requested, str):  # "train,test" from a command line
        requested = [s.strip() for s in requested.split(",") if s.strip()]
    bad = [s for s in requested if s not in known]
    if bad:
        raise DataError(f"{corpus}: unknown split(s) {bad}; known: {', '.join(known)}")
    return list(requested)


def resolve_audio(
    files: Mapping[str, Path],
    wav_dir: Path,
    skips: Skips,
    *,
    num_workers: int = 2,
    desc: str = "convert",
) -> dict[str, str]:
    """uid -> path of 16 kHz mono audio for each source file.

    A file that already is 16 kHz mono is used in place (absolute path); any other rate or
    channel count is converted once into ``wav_dir/<uid>.wav`` (16-bit PCM; skipped when the
    converted file is newer). Unreadable and empty files are skipped and recorded in ``skips``.
    """
    from tqdm import tqdm

    out: dict[str, str] = {}
    jobs: list[tuple[Path, Path, None, None]] = []
    for uid, path in tqdm(files.items(), desc=f"{desc} (headers)", leave=False):
        try:
            info = sf.info(str(path))
        except Exception as err:  # LibsndfileError, RuntimeError: the file cannot be read
            check_not_lfs_pointer(path)  # not one bad file: the whole clone lacks its audio
            skips.add(path, f"unreadable audio ({type(err).__name__})")
            continue
        if info.frames == 0:
            skips.add(path, "empty audio (0 samples)")
            continue
        if info.samplerate == SAMPLE_RATE and info.channels == 1:
            out[uid] = str(Path(path).resolve())
        else:
            dst = wav_dir / f"{uid}.wav"
            jobs.append((path, dst, None, None))
            out[uid] = str(dst.resolve())
    if jobs:
        convert_all(jobs, num_workers=num_workers, desc=desc)
    return out


def finish_split(
    out_dir: Path, utts: Sequence[Utt], skips: Skips, *, corpus: str, split: str
) -> Path:
    """Write the data dir, ``skipped.tsv`` (when anything was skipped) and log a summary."""
    if not utts:
        detail = f" ({skips.summary()})" if len(skips) else ""
        raise DataError(f"{out_dir}: {corpus} split {split!r} has no usable utterances{detail}")
    write_split(out_dir, utts)
    skips.report(f"{corpus} {split}", out_dir / "skipped.tsv")
    log.info("%s %s: %d utterances written, %d skipped", corpus, split, len(utts), len(skips))
    return out_dir


@dataclass
class SplitBuilder:
    """Utterances of one split being collected: audio is resolved when the split is written."""

    utts: list[Utt] = field(default_factory=list)
    skips: Skips = field(default_factory=Skips)
    files: dict[str, Path] = field(default_factory=dict)  # uid -> source audio

    def add(self, utt: Utt, audio: Path) -> None:
        self.utts.append(utt)
        self.files[utt.id] = audio


def builders(splits: Iterable[str]) -> dict[str, SplitBuilder]:
    return {s: SplitBuilder() for s in splits}


def write_splits(
    parts: Mapping[str, SplitBuilder], out: Path, *, corpus: str, num_workers: int = 2
) -> dict[str, Path]:
    """Resolve each split's audio (``resolve_audio`` into ``out/wav/<split>``) and write
    ``out/<split>``; utterances whose audio was skipped are left out (and listed)."""
    done: dict[str, Path] = {}
    for split, part in parts.items():
        wav = resolve_audio(
            part.files, out / "wav" / split, part.skips,
            num_workers=num_workers, desc=f"{corpus} {split}",
        )  # fmt: skip
        kept = []
        for u in part.utts:
            if u.id in wav:
                u.wav = wav[u.id]
                kept.append(u)
        done[split] = finish_split(out / split, kept, part.skips, corpus=corpus, split=split)
    return done


def emotion_extras(orig: str, unified: str) -> dict[str, str]:
    """The per-utterance SER tables every module writes."""
    return {"utt2emotion": unified, "utt2emotion_orig": orig, "utt2lang": "en"}


def collapse(text: str) -> str:
    """Strip and collapse runs of whitespace (the minimal transcript cleaning)."""
    return " ".join(text.split())


def iter_files(root: Path, suffixes: Iterable[str]) -> list[Path]:
    """Every file under ``root`` with one of ``suffixes`` (case-insensitive), sorted; hidden
    files and macOS ``._`` resource forks are ignored."""
    want = {s.lower() for s in suffixes}
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix.lower() in want and not p.name.startswith(".") and p.is_file()
    )
