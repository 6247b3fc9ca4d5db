"""BSTC, the Baidu Speech Translation Corpus (Zhang et al., AutoSimTrans 2021), Zh->En, for S2TT.

About 68 h of Mandarin talks and lectures (one speaker per talk) with manual transcripts, English
translations and ASR output, released through Baidu's LUGE/AI Studio for the AutoSimTrans shared
tasks. Only the per-talk files with sentence time stamps can be cut into utterances.

Expected layout (``src``; nesting below a split directory does not matter, files are found by
name)::

    <src>/
      train/                     # also: dev/, test/ when distributed with time stamps
        <talk>.wav               # one recording per talk (any rate; .flac/.mp3 accepted)
        <talk>.json              # the talk's sentences, in order (see below)
        ...
      dev/
        streaming_transcription/<talk>.txt  # shared-task text inputs: ignored (no time stamps)
        ...

NOTE: no copy of the distributed archive could be consulted while writing this module, so the
JSON reader is deliberately tolerant. A talk file is a JSON list of sentence objects (or an
object holding that list under ``sentences``/``segments``/``data``/``utterances``, or JSON
lines). Field names are matched case-insensitively against these aliases (first match wins):

* start: ``offset``, ``start``, ``start_time``, ``begin``, ``bg``, ``st``
* end: ``end``, ``end_time``, ``ed``, ``stop`` - or a ``duration``/``dur`` added to the start
* transcript: ``transcript``, ``transcription``, ``src``, ``source``, ``zh``, ``sentence``,
  ``text``
* translation: ``translation``, ``tgt``, ``target``, ``en``, ``trans``
* recording (optional; default: the JSON file's stem): ``wav_id``, ``talk_id``, ``wav``,
  ``audio``, ``recording``

Times are seconds; if a talk's times only fit its recording when read as milliseconds they are
converted (logged). Check the first talk of a new release with ``laura validate-data``.

Splits: whichever of ``train``, ``dev`` and ``test`` exist under ``src`` with time-stamped JSON
(a split directory without any is an error naming what was found instead).

Tables: ``wav.scp`` keyed by talk (the original file when it is 16 kHz mono wav/flac, else the
whole talk converted to 16 kHz mono PCM under ``out/wav/<split>/<talk>.wav``), ``segments``
(the sentence times), ``text`` (the Chinese transcript as distributed, whitespace collapsed),
``text.en`` (the English translation), ``utt2lang`` (``zh``), ``utt2spk`` (the talk id: one
speaker per talk). Utterance ids are ``<talk>-<nnnn>`` (sentence number in the talk, from 1).
Sentences with an empty transcript or translation, bad times or times outside the recording
are skipped and counted. Validate with ``extra_text_files=("text.en",)``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from laura.data.corpora import common, register_corpus
from laura.data.corpora.common import Dirs, Splits
from laura.data.errors import DataError
from laura.data.kaldi import Segment

log = logging.getLogger(__name__)

SPLITS = ("train", "dev", "test")
AUDIO_EXTS = (".wav", ".flac", ".mp3")
LIST_KEYS = ("sentences", "segments", "data", "utterances")
START_KEYS = ("offset", "start", "start_time", "begin", "bg", "st")
END_KEYS = ("end", "end_time", "ed", "stop")
DUR_KEYS = ("duration", "dur")
SRC_KEYS = ("transcript", "transcription", "src", "source", "zh", "sentence", "text")
TGT_KEYS = ("translation", "tgt", "target", "en", "trans")
REC_KEYS = ("wav_id", "talk_id", "wav", "audio", "recording")
TOLERANCE = 0.05  # seconds a sentence may overshoot its recording (clipped)


DESCRIPTION = "BSTC: 68 h Mandarin talks, sentence-aligned transcripts + English translations"


@register_corpus("bstc", ("S2TT",), SPLITS, DESCRIPTION)
def prepare(src: Path, out: Path, *, splits: Splits = None, num_workers: int = 2) -> Dirs:
    """Write one Kaldi data dir per BSTC split under ``out``; return split -> dir."""
    common.require(src, "the BSTC directory")
    written: dict[str, Path] = {}
    for split in common.choose_splits(splits, SPLITS, "bstc", root=src):
        utts, recordings = _read_split(src / split, out / "wav" / split, num_workers)
        written[split] = common.write_split(out / split, utts, recordings, where=f"bstc {split}")
    return written


def _pick(d: dict[str, Any], keys: Sequence[str]) -> Any:
    for k in keys:
        if k in d and d[k] not in (None, ""):
            return d[k]
    return None


def load_talk_json(path: Path) -> list[dict[str, Any]]:
    """The sentence objects of one talk file (list, wrapped list or JSON lines)."""
    text = path.read_text(encoding="utf-8-sig")
    try:
        obj: Any = json.loads(text)
    except json.JSONDecodeError:
        try:
            obj = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as err:
            raise DataError(f"{path}: neither JSON nor JSON lines ({err})") from err
    if isinstance(obj, dict):
        lists = [obj[k] for k in obj if k.lower() in LIST_KEYS and isinstance(obj[k], list)]
        obj = lists[0] if lists else [obj]
    if not isinstance(obj, list) or not all(isinstance(x, dict) for x in obj):
        raise DataError(f"{path}: expected a list of sentence objects")
    return [{str(k).lower(): v for k, v in x.items()} for x in obj]


def _read_split(
    split_dir: Path, wav_dir: Path, num_workers: int
) -> tuple[list[common.Utt], dict[str, str]]:
    files = sorted(p for p in split_dir.rglob("*") if p.is_file())
    audio: dict[str, Path] = {}
    for p in files:
        if p.suffix.lower() in AUDIO_EXTS:
            audio.setdefault(p.stem, p)
    talks: dict[str, list[dict[str, Any]]] = {}
    for p in files:
        if p.suffix.lower() not in (".json", ".jsonl"):
            continue
        for sent in load_talk_json(p):
            rec = _pick(sent, REC_KEYS)
            rec = Path(str(rec)).stem if rec is not None else p.stem
            talks.setdefault(rec, []).append(sent)
    timed = {r: s for r, s in talks.items() if any(_pick(x, START_KEYS) is not None for x in s)}
    if not timed:
        found = sorted({p.parent.name for p in files})[:8]
        raise DataError(
            f"{split_dir}: no talk JSON with per-sentence time stamps (found directories "
            f"{found}); the shared-task streaming_transcription/ text cannot be cut into "
            "utterances. Is the corpus extracted in its original layout?"
        )

    common.report_skipped(
        f"bstc {split_dir.name}",
        "talk files without sentence time stamps",
        [r for r in talks if r not in timed],
    )
    ids = common.UniqueIds()
    recordings: dict[str, str] = {}
    jobs: list[tuple[Path, Path, None, None]] = []
    utts: list[common.Utt] = []
    no_audio: list[str] = []
    dropped: list[str] = []
    for rec in tqdm(sorted(timed), desc=f"bstc {split_dir.name}", leave=False):
        wav = audio.get(rec)
        if wav is None:
            no_audio.append(rec)
            continue
        talk = ids.make(rec)
        dur = common.audio_info(wav, "audio").duration
        if wav.suffix.lower() in (".wav", ".flac") and common.is_16k_mono(wav):
            recordings[talk] = str(wav.resolve())
        else:
            dst = (wav_dir / f"{talk}.wav").resolve()
            jobs.append((wav, dst, None, None))
            recordings[talk] = str(dst)
        utts += _talk_utts(talk, timed[rec], dur, dropped)
    common.report_skipped(f"bstc {split_dir.name}", "talks without a recording", no_audio)
    common.report_skipped(
        f"bstc {split_dir.name}",
        "sentences with empty text/translation or bad times",
        dropped,
    )
    failed = common.convert_skip_bad(
        jobs, num_workers, f"bstc {split_dir.name}", "talks whose audio cannot be decoded"
    )
    bad_dst = set(failed.values())
    bad = {t for t, p in recordings.items() if p in bad_dst}
    utts = [u for u in utts if u.speaker not in bad]
    used = {u.speaker for u in utts}
    recordings = {t: p for t, p in recordings.items() if t in used}
    if not utts:
        raise DataError(f"{split_dir}: no usable sentence")
    return utts, recordings


def _talk_utts(
    talk: str, sents: list[dict[str, Any]], rec_dur: float, dropped: list[str]
) -> list[common.Utt]:
    times: list[tuple[float, float] | None] = []
    for s in sents:
        try:
            start = float(_pick(s, START_KEYS))
            end_v, dur_v = _pick(s, END_KEYS), _pick(s, DUR_KEYS)
            end = float(end_v) if end_v is not None else start + float(dur_v)
            times.append((start, end))
        except (TypeError, ValueError):
            times.append(None)
    ends = [t[1] for t in times if t is not None]
    scale = 1.0
    # Milliseconds only when seconds are impossible (far past the end) and ms fit.
    if ends and max(ends) > 10 * rec_dur + 1.0 and max(ends) / 1000.0 <= rec_dur + 1.0:
        log.info("bstc: talk %s: times read as milliseconds", talk)
        scale = 1e-3
    utts: list[common.Utt] = []
    for n, (s, t) in enumerate(zip(sents, times), 1):
        uid = f"{talk}-{n:04d}"
        zh = common.clean_text(str(_pick(s, SRC_KEYS) or ""))
        en = common.clean_text(str(_pick(s, TGT_KEYS) or ""))
        if t is None or not zh or not en:
            dropped.append(uid)
            continue
        start, end = t[0] * scale, min(t[1] * scale, rec_dur)
        if start < 0 or end <= start or t[1] * scale > rec_dur + TOLERANCE:
            dropped.append(uid)
            continue
        utts.append(
            common.Utt(
                uid,
                talk,
                talk,
                zh,
                segment=Segment(talk, round(start, 3), round(end, 3)),
                extras={"text.en": en, "utt2lang": "zh"},
            )
        )
    return utts
