"""IEMOCAP (Interactive Emotional Dyadic Motion Capture database, full release, Busso et al.
2008): SER training data.

Source: ``IEMOCAP_full_release`` from USC SAIL (sail.usc.edu/iemocap, licence required)::

    IEMOCAP_full_release/                      <- pass this (or its parent) as src
    └── Session1 .. Session5/
        ├── sentences/wav/<dialog>/<utt>.wav   16 kHz mono,
        │                                      e.g. Ses01F_impro01/Ses01F_impro01_F000.wav
        └── dialog/
            ├── EmoEvaluation/<dialog>.txt
            │   "[6.2901 - 8.2357]<TAB>Ses01F_impro01_F000<TAB>neu<TAB>[2.5000, 2.5000, 2.5000]"
            └── transcriptions/<dialog>.txt    "Ses01F_impro01_F000 [006.2901-008.2357]: Excuse me."

Only the ``[start - end]`` summary lines of ``EmoEvaluation`` are read (the consensus label);
the per-annotator lines and the ``Categorical/``, ``Attribute/``, ``Self-evaluation/``
subfolders are ignored. Labels: ang hap exc sad neu fru sur fea dis oth xxx; the mapping to
the nine classes is in ``emotion_labels`` (hap+exc -> happiness; fru, oth, xxx dropped and counted).

Splits (no official ones; ESPnet's ``egs2/iemocap`` split, generalised): ``test`` = Session
``test_session`` (default 5: both of its speakers, so test is speaker-disjoint), ``dev`` =
the dialogs of the previous session whose id has ``M`` (``Ses04M_*`` for the default: dialog-
disjoint, but its speakers also occur in train), ``train`` = everything else (Sessions 1-3
and ``Ses04F_*``). ``test_session=k`` gives the leave-one-session-out folds.

Tables: ``wav.scp`` (the original wavs), ``text`` (the transcription, whitespace collapsed,
``[LAUGHTER]``-style tags kept), ``utt2spk``, ``utt2emotion``, ``utt2emotion_orig``,
``utt2emotion_vad`` (the valence/activation/dominance triple, e.g. ``2.5 2.5 2.5``), ``utt2lang``.
Speakers: ``Ses01F``/``Ses01M`` etc. -- the gender letter of the *turn* (``..._M003`` is the
male actor even inside an ``Ses01F_*`` dialog); utterance id = ``<speaker>-<turn id>``.
Turns with an unmapped label, no wav or no/empty transcription are skipped and listed in
``<split>/skipped.tsv``. Tasks: SER.
"""

from __future__ import annotations

import re
from pathlib import Path

from laura.data.corpora import common, register_corpus
from laura.data.corpora.common import Dirs, Splits
from laura.data.emotion_labels import unify
from laura.data.errors import DataError

SPLITS = ("train", "dev", "test")
_EVAL_LINE = re.compile(r"^\[\s*([\d.]+)\s*-\s*([\d.]+)\s*\]\t(\S+)\t(\S+)\t\[([^\]]*)\]")
_TRANS_LINE = re.compile(r"^(Ses\S+)\s+\[[^\]]*\]:\s?(.*)$")
_TURN = re.compile(r"^(Ses(\d\d))([FM])_.*_([FM])\d+$")


def _root(src: Path) -> Path:
    return src / "IEMOCAP_full_release" if (src / "IEMOCAP_full_release").is_dir() else src


def _text_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.txt") if not p.name.startswith("."))


def read_evaluation(path: Path) -> dict[str, tuple[str, str]]:
    """turn id -> (label, "v a d") from an EmoEvaluation file."""
    out = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = _EVAL_LINE.match(line.strip("\r\n"))
        if m:
            vad = " ".join(v.strip() for v in m.group(5).split(","))
            out[m.group(3)] = (m.group(4).strip(), vad)
    return out


def read_transcriptions(path: Path) -> dict[str, str]:
    """turn id -> transcription (whitespace collapsed) from a transcriptions file."""
    return common.read_matches(path, _TRANS_LINE)


def split_of(dialog_prefix: str, session: int, test_session: int) -> str:
    """Split of a dialog from its prefix (``Ses04M``) and session number."""
    dev_session = (test_session - 2) % 5 + 1
    if session == test_session:
        return "test"
    if session == dev_session and dialog_prefix.endswith("M"):
        return "dev"
    return "train"


DESCRIPTION = "IEMOCAP full release, 5 sessions of dyadic acting; test = Session 5"


@register_corpus("iemocap", ("SER",), SPLITS, DESCRIPTION)
def prepare(
    src: Path,
    out: Path,
    *,
    splits: Splits = None,
    num_workers: int = 2,
    test_session: int = 5,
) -> Dirs:
    """Write ``out/<split>`` for IEMOCAP; see the module doc for layout, splits and tables."""
    test_session = int(test_session)
    if test_session not in range(1, 6):
        raise DataError(f"iemocap: test_session must be 1..5, got {test_session}")
    root = _root(src)
    parts = common.builders(splits, SPLITS, "iemocap")
    for n in range(1, 6):
        if not any(split_of(f"Ses0{n}{g}", n, test_session) in parts for g in "FM"):
            continue
        sess = common.require(root / f"Session{n}", f"IEMOCAP Session{n}")
        eval_dir = common.require(sess / "dialog" / "EmoEvaluation", "IEMOCAP emotion labels")
        trans_dir = common.require(sess / "dialog" / "transcriptions", "IEMOCAP transcriptions")
        wav_root = common.require(sess / "sentences" / "wav", "IEMOCAP sentence wavs")
        eval_files = _text_files(eval_dir)
        if not eval_files:
            raise DataError(f"{eval_dir}: no <dialog>.txt label files; is the corpus extracted?")
        for ev in eval_files:
            dialog = ev.stem
            split = split_of(dialog[:6], n, test_session)
            if split not in parts:
                continue
            part, skips = parts[split], parts[split].skips
            trans_path = trans_dir / f"{dialog}.txt"
            texts = read_transcriptions(trans_path) if trans_path.is_file() else {}
            for turn, (orig, vad) in read_evaluation(ev).items():
                m = _TURN.match(turn)
                if m is None:
                    skips.add(f"{ev} ({turn})", "turn id not of the form SesNN[FM]_..._[FM]NNN")
                    continue
                emo = unify("iemocap", orig)
                if emo is None:
                    skips.add(turn, f"label {orig!r} has no unified class")
                    continue
                wav = wav_root / dialog / f"{turn}.wav"
                if not wav.is_file():
                    skips.add(wav, "wav missing")
                    continue
                text = texts.get(turn, "")
                if not text:
                    skips.add(f"{trans_path} ({turn})", "no transcription")
                    continue
                spk = f"Ses{m.group(2)}{m.group(4)}"
                uid = f"{spk}-{turn}"
                extras = common.emotion_extras(orig, emo)
                extras["utt2emotion_vad"] = vad
                part.add(common.Utt(uid, "", spk, text=text, extras=extras), wav)
    return common.write_splits(parts, out, corpus="iemocap", num_workers=num_workers)
