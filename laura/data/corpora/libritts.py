"""LibriTTS (Zen et al., 2019; OpenSLR SLR60), English multi-speaker read speech at 24 kHz, for TTS
(zero-shot, speaker-prompted) and ASR.

Expected layout (the official ``<split>.tar.gz`` archives extracted in one place; ``src`` may be
the ``LibriTTS`` directory or its parent; LibriTTS-R (SLR141, ``LibriTTS_R``) has the same
layout and is read the same way)::

    LibriTTS/
      SPEAKERS.txt  CHAPTERS.txt  BOOKS.txt  README.txt  ...
      train-clean-100/
        19/                                   # speaker id
          198/                                # chapter id
            19_198.trans.tsv                  # "<utt>\\t<original text>\\t<normalized text>"
            19_198.book.tsv
            19_198_000000_000000.wav          # 24 kHz mono 16-bit
            19_198_000000_000000.normalized.txt
            19_198_000000_000000.original.txt
      train-clean-360/ train-other-500/ dev-clean/ dev-other/ test-clean/ test-other/

Splits (data dir names = the official ones): train-clean-100, train-clean-360,
train-other-500, dev-clean, dev-other, test-clean, test-other; with ``splits=None`` every split
present is written (the absent ones are logged).

Tables: ``wav.scp`` -> ``out/wav/<split>/<spk>/<chapter>/<utt>.wav``, the 24 kHz audio
resampled to 16 kHz 16-bit PCM (skipped when already done); ``text``: the normalized
transcript (``<utt>.normalized.txt``, falling back to the third column of the chapter's
``.trans.tsv``), whitespace collapsed, case and punctuation kept; ``utt2spk`` (utterance ids
``<spk>_<chapter>_<para>_<sent>`` already start with the speaker id; note that ``_`` sorts
after digits, so e.g. ``84_...`` sorts after ``8455_...`` while speaker ``84`` sorts before
``8455``: the ids are kept as distributed because published test lists use them);
``utt2lang`` (``en``); ``utt2gender`` (``m``/``f`` from ``SPEAKERS.txt`` when present);
``utt2prompt``: another utterance of the same speaker in the same split for zero-shot
prompting, chosen deterministically: the next one (in id order, wrapping around) lasting 3-10 s,
else simply the next one. Speakers with a single utterance in a split have no possible prompt;
their utterances are dropped and counted.

Bad-utterance lists: the original LibriTTS release ships none. LibriTTS-R's "failed speech
restoration" lists (text files naming bad utterances, one per line) are honoured when they
were extracted into the corpus root: every ``*bad*.txt``/``*bad*.list`` file there or in a
top-level subdirectory (not inside a split) is read and the utterances it names are dropped
and counted. Wav files without any transcript are skipped and counted.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections import defaultdict
from pathlib import Path

from tqdm import tqdm

from laura.data.corpora import common, register_corpus
from laura.data.corpora.common import Dirs, Splits
from laura.data.errors import DataError

log = logging.getLogger(__name__)

SPLITS = common.LIBRI_SPLITS
PROMPT_RANGE = (3.0, 10.0)  # preferred prompt duration, seconds
_UTT_ID = re.compile(r"^(\d+)_(\d+)_\d+_\d+$")


DESCRIPTION = "LibriTTS (SLR60): 585 h English read speech, 24 kHz -> 16 kHz, prompts"


@register_corpus("libritts", ("TTS", "ASR"), SPLITS, DESCRIPTION)
def prepare(src: Path, out: Path, *, splits: Splits = None, num_workers: int = 2) -> Dirs:
    """Write one TTS data dir per LibriTTS split under ``out``; return split -> dir."""
    root = src
    for name in ("LibriTTS", "LibriTTS_R"):
        if (src / name).is_dir():
            root = src / name
            break
    root = common.require(root, "the LibriTTS directory").resolve()
    wav_root = (out / "wav").resolve()
    wanted = common.choose_splits(splits, SPLITS, "libritts", root=root)
    genders = common.read_speakers(root / "SPEAKERS.txt")
    bad = _read_bad_lists(root)

    written: dict[str, Path] = {}
    for split in wanted:
        utts, durations = _read_split(root / split, bad, genders)
        utts = _assign_prompts(utts, durations, split)
        jobs = [
            (
                u.wav,
                wav_root / split / u.speaker / u.id.split("_")[1] / f"{u.id}.wav",
                None,
                None,
            )
            for u in utts
        ]
        common.convert_all(jobs, num_workers=num_workers, desc=f"libritts {split} -> 16 kHz")
        for u, job in zip(utts, jobs):
            u.wav = str(job[1])
        written[split] = common.write_split(out / split, utts, where=f"libritts {split}")
    return written


def _read_bad_lists(root: Path) -> set[str]:
    files = [
        p
        for pattern in ("*bad*.txt", "*bad*.list", "*/*bad*.txt", "*/*bad*.list")
        for p in root.glob(pattern)
        if p.is_file() and p.parent.name not in SPLITS
    ]
    bad: set[str] = set()
    for f in sorted(set(files)):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                # entries may be bare ids or paths to the wav: keep the file stem
                bad.add(Path(line.strip().split()[0]).name.removesuffix(".wav"))
        log.info("libritts: bad-utterance list %s", f)
    return bad


def _read_split(
    split_dir: Path, bad: set[str], genders: dict[str, str] | None
) -> tuple[list[common.Utt], dict[str, float]]:
    chapters = common.libri_chapters(split_dir)
    utts: list[common.Utt] = []
    durations: dict[str, float] = {}
    no_text: list[str] = []
    dropped_bad: list[str] = []
    for chapter in tqdm(chapters, desc=f"libritts {split_dir.name}", leave=False):
        spk, chap = chapter.parent.name, chapter.name
        tsv = common.require(chapter / f"{spk}_{chap}.trans.tsv", "chapter transcript table")
        tsv_text: dict[str, str] = {}
        for line in tsv.read_text(encoding="utf-8").splitlines():
            fields = line.split("\t")
            if len(fields) >= 3 and fields[2].strip():
                tsv_text[fields[0]] = fields[2]
        for wav in sorted(chapter.glob("*.wav")):
            utt = wav.stem
            if not _UTT_ID.match(utt) or not utt.startswith(f"{spk}_{chap}_"):
                raise DataError(f"{wav}: expected a file named {spk}_{chap}_NNNNNN_NNNNNN.wav")
            if utt in bad:
                dropped_bad.append(utt)
                continue
            norm = chapter / f"{utt}.normalized.txt"
            text = common.clean_text(
                norm.read_text(encoding="utf-8") if norm.is_file() else tsv_text.get(utt, "")
            )
            if not text:
                no_text.append(utt)
                continue
            info = common.audio_info(wav, "LibriTTS audio")
            durations[utt] = info.frames / info.samplerate
            utts.append(common.Utt(utt, str(wav), spk, text, extras={"utt2lang": "en"}))
    common.report_skipped(split_dir.name, "utterances named in a bad-utterance list", dropped_bad)
    common.report_skipped(split_dir.name, "wav files without a transcript", no_text)
    common.add_genders(utts, genders, split_dir, "SPEAKERS.txt")
    if not utts:
        raise DataError(f"{split_dir}: no utterance with audio and a transcript")
    return utts, durations


def _assign_prompts(
    utts: list[common.Utt], durations: dict[str, float], split: str
) -> list[common.Utt]:
    """Set ``utt2prompt``; drop (and count) utterances of speakers with only one utterance."""
    by_spk: dict[str, list[common.Utt]] = defaultdict(list)
    for u in utts:
        by_spk[u.speaker].append(u)
    lo, hi = PROMPT_RANGE
    kept: list[common.Utt] = []
    lonely: list[str] = []
    for group in by_spk.values():
        group.sort(key=lambda u: u.id.encode())
        if len(group) < 2:
            lonely += [u.id for u in group]
            continue
        n = len(group)
        good = [j for j, o in enumerate(group) if lo <= durations[o.id] <= hi]
        for i, u in enumerate(group):
            # the first well-sized utterance after i (wrapping around), else the next one
            k = bisect.bisect_right(good, i)
            cands = [good[(k + d) % len(good)] for d in (0, 1)] if good else []
            cands = [j for j in cands if j != i]
            u.extras["utt2prompt"] = group[cands[0] if cands else (i + 1) % n].id
            kept.append(u)
    common.report_skipped(
        split, "utterances of speakers with no other utterance (no prompt)", lonely
    )
    if not kept:
        raise DataError(f"libritts {split}: no speaker has two utterances to prompt with")
    return kept
