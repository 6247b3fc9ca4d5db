"""GigaSpeech (Chen et al., 2021; SpeechColab, v1.0.0), 10,000 h of transcribed English podcasts,
YouTube and audiobooks, for ASR.

Expected layout (what the official downloader ``utils/download_meta.sh`` +
``utils/download_audio.sh`` leaves, after decryption; ``src`` may be that directory or its
parent holding ``GigaSpeech/``)::

    GigaSpeech/
      GigaSpeech.json                     # metadata, below
      audio/
        podcast/P0000/POD0000000001.opus  # long recordings, Ogg Opus, 16 kHz mono
        youtube/...  audiobook/...

``GigaSpeech.json``: ``{"audios": [{"aid": "POD0000000001", "path": "audio/podcast/...opus",
"sample_rate": 16000, "segments": [{"sid": "POD0000000001_S0000000", "begin_time": 0.0,
"end_time": 4.2, "text_tn": "AS THEY'RE LEAVING <COMMA> ...", "subsets": ["{XL}", "{L}",
...]}, ...]}, ...]}``. The file is a few GB; it is streamed one audio entry at a time.

Splits: ``xs``, ``s``, ``m``, ``l``, ``xl`` (the nested training subsets {XS} ⊂ ... ⊂ {XL}),
``dev``, ``test``. Default: ``xl``, ``dev``, ``test``. The official downloader fetches only the
audio of the subset asked for: preparing a larger subset than was downloaded fails on the first
missing recording (``skip_missing_audio=True`` drops and counts those instead).

Text, as the official Kaldi toolkit (``toolkits/kaldi/gigaspeech_data_prep.sh``) does it:
segments whose ``text_tn`` holds a garbage tag (``<SIL>``, ``<MUSIC>``, ``<NOISE>``,
``<OTHER>``: non-speech stretches of the dev/test annotation) are dropped and counted; the
punctuation tags ``<COMMA>``, ``<PERIOD>``, ``<QUESTIONMARK>``, ``<EXCLAMATIONPOINT>`` are
removed (``keep_punctuation=True`` turns them into ``, . ? !`` attached to the previous word);
whitespace is collapsed; the text stays upper case. (The official scorer additionally removes
fillers such as UH/UM from reference and hypothesis at scoring time; that is not done here.)

Audio (``audio=``): ``"cut"`` (default) decodes each recording once and writes every segment
as 16 kHz 16-bit wav into ``out/wav/<aid>/<sid>.wav`` (skipped when done; segments shorter than
50 ms are dropped and counted); ``"segments"`` converts nothing: ``wav.scp`` lists the original
Opus recordings (soundfile reads Ogg Opus with libsndfile >= 1.0.29) and a ``segments`` file
holds the official times.

Tables: ``wav.scp``, ``text``, ``utt2spk``, ``utt2lang`` (``en``), ``utt2source``
(podcast/youtube/audiobook), and ``segments`` in segments mode. Speaker = the recording id
(``aid``): GigaSpeech has no speaker labels (``"speaker": "N/A"``) and segment ids
``<aid>_S<n>`` already start with it.

The streaming reader and the cutter are shared with the WenetSpeech module.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from tqdm import tqdm

from laura.data.corpora import register_corpus
from laura.data.corpora.common import SAMPLE_RATE, Utt, report_skipped, require
from laura.data.corpora.librispeech import clean_text, write_split_clean
from laura.data.errors import DataError
from laura.data.kaldi import Segment

log = logging.getLogger(__name__)

SPLITS = {"xs": "XS", "s": "S", "m": "M", "l": "L", "xl": "XL", "dev": "DEV", "test": "TEST"}
DEFAULT_SPLITS = ("xl", "dev", "test")
GARBAGE_TAGS = ("<SIL>", "<MUSIC>", "<NOISE>", "<OTHER>")
PUNCTUATION_TAGS = {
    "<COMMA>": ",",
    "<PERIOD>": ".",
    "<QUESTIONMARK>": "?",
    "<EXCLAMATIONPOINT>": "!",
}
MIN_SEGMENT = 0.05  # seconds; shorter cuts are dropped (the validator's min_duration)
JSON_CHUNK = 1 << 22  # characters read at a time by the streaming JSON reader


@register_corpus(
    "gigaspeech",
    tasks=("ASR",),
    splits=DEFAULT_SPLITS,
    description="GigaSpeech v1.0: 10k h English podcasts/YouTube/audiobooks, Opus -> 16 kHz",
)
def prepare(
    src: Path,
    out: Path,
    *,
    splits: Sequence[str] | None = None,
    num_workers: int = 2,
    audio: str = "cut",
    keep_punctuation: bool = False,
    skip_missing_audio: bool = False,
) -> dict[str, Path]:
    """Write GigaSpeech data dirs (``xl``, ``dev``, ``test`` by default); return split -> dir."""

    def text_of(seg: dict[str, Any]) -> tuple[str | None, str]:
        text = seg["text_tn"]
        if any(tag in text for tag in GARBAGE_TAGS):
            return None, "segments with a garbage tag (<SIL> <MUSIC> <NOISE> <OTHER>)"
        for tag, mark in PUNCTUATION_TAGS.items():
            text = text.replace(tag, f" {mark}" if keep_punctuation else " ")
        text = re.sub(r" +([,.?!])", r"\1", clean_text(text))
        return (text or None), "segments with an empty transcript"

    spec = JsonCorpus(
        name="gigaspeech",
        json_name="GigaSpeech.json",
        subdir="GigaSpeech",
        splits=SPLITS,
        default_splits=DEFAULT_SPLITS,
        lang="en",
        text_of=text_of,
        audio_extras=lambda a: {"utt2source": str(a.get("source", "unknown"))},
    )
    return prepare_json_corpus(
        spec, Path(src), Path(out), splits, num_workers, audio, skip_missing_audio
    )


# --- shared with wenetspeech.py --------------------------------------------------------------


@dataclass
class JsonCorpus:
    """What differs between GigaSpeech and WenetSpeech."""

    name: str
    json_name: str
    subdir: str  # the corpus directory name when ``src`` is its parent
    splits: dict[str, str]  # data dir name -> subset label in the JSON (without braces)
    default_splits: Sequence[str]
    lang: str
    # segment -> (text, or None with the reason it is dropped)
    text_of: Callable[[dict[str, Any]], tuple[str | None, str]]
    audio_extras: Callable[[dict[str, Any]], dict[str, str]] = field(default=lambda a: {})


def prepare_json_corpus(
    spec: JsonCorpus,
    src: Path,
    out: Path,
    splits: Sequence[str] | None,
    num_workers: int,
    audio: str,
    skip_missing_audio: bool,
) -> dict[str, Path]:
    if audio not in ("cut", "segments"):
        raise DataError(f"{spec.name}: audio must be 'cut' or 'segments', got {audio!r}")
    wanted = list(spec.default_splits if splits is None else splits)
    bad = [s for s in wanted if s not in spec.splits]
    if bad:
        raise DataError(f"{spec.name}: unknown split(s) {bad}; known: {', '.join(spec.splits)}")
    root = src / spec.subdir if (src / spec.subdir / spec.json_name).is_file() else src
    root, wav_root = root.resolve(), (out / "wav").resolve()
    meta = require(root / spec.json_name, f"{spec.name} metadata")
    label_to_split = {spec.splits[s]: s for s in wanted}

    # sid -> (aid, begin, end, text, extras); split -> sids. Segments are stored once even
    # when they belong to several nested subsets.
    segs: dict[str, tuple[str, float, float, str, dict[str, str]]] = {}
    members: dict[str, list[str]] = {s: [] for s in wanted}
    recordings: dict[str, Path] = {}
    dropped: dict[str, list[str]] = {}
    for entry in tqdm(iter_json_list(meta, "audios"), desc=f"{spec.name} metadata", leave=False):
        try:
            aid, rel, seg_list = entry["aid"], entry["path"], entry.get("segments") or []
            extras = {"utt2lang": spec.lang, **spec.audio_extras(entry)}  # shared, read-only
            for seg in seg_list:
                labels = {str(s).strip("{}") for s in seg.get("subsets", [])}
                hit = [label_to_split[lab] for lab in labels if lab in label_to_split]
                if not hit:
                    continue
                sid = seg["sid"]
                begin, end = float(seg["begin_time"]), float(seg["end_time"])
                text, why = spec.text_of(seg)
                if text is None:
                    dropped.setdefault(why, []).append(sid)
                    continue
                if end - begin < MIN_SEGMENT:
                    dropped.setdefault("segments shorter than 50 ms", []).append(sid)
                    continue
                if not sid.startswith(aid) or any(c.isspace() for c in sid):
                    raise DataError(f"{meta}: segment id {sid!r} does not start with {aid!r}")
                segs[sid] = (aid, begin, end, text, extras)
                for split in hit:
                    members[split].append(sid)
                recordings[aid] = root / rel
        except DataError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            what = entry.get("aid", "?") if isinstance(entry, dict) else repr(entry)[:80]
            raise DataError(
                f"{meta}: malformed audio entry {what} ({type(err).__name__}: {err})"
            ) from err
    for why, sids in dropped.items():
        report_skipped(spec.name, why, sids)

    missing = sorted(aid for aid, p in recordings.items() if not p.is_file())
    if missing:
        if not skip_missing_audio:
            raise DataError(
                f"{recordings[missing[0]]}: not found ({len(missing)} recording(s) of "
                f"{spec.json_name} missing, for splits {wanted}); download the audio of these "
                "subsets, prepare smaller splits, or pass skip_missing_audio=True"
            )
        gone = set(missing)
        report_skipped(spec.name, "recordings whose audio file is missing", missing)
        for split in wanted:
            members[split] = [s for s in members[split] if segs[s][0] not in gone]
        for aid in missing:
            del recordings[aid]

    wav_of: dict[str, str] = {}
    if audio == "cut":
        by_rec: dict[str, list[tuple[str, float, float]]] = {}
        used = {sid for split in wanted for sid in members[split]}
        for sid in sorted(used):
            aid, begin, end = segs[sid][:3]
            dst = str(wav_root / aid / f"{sid}.wav")
            by_rec.setdefault(aid, []).append((dst, begin, end))
            wav_of[sid] = dst
        jobs = [(str(recordings[aid]), items) for aid, items in sorted(by_rec.items())]
        short = cut_recordings(jobs, num_workers, f"{spec.name} cut")
        if short:
            report_skipped(spec.name, "segments with < 50 ms of audio in the recording",
                           [Path(d).stem for d in short])  # fmt: skip
            gone = {Path(d).stem for d in short}
            for split in wanted:
                members[split] = [s for s in members[split] if s not in gone]

    written: dict[str, Path] = {}
    for split in wanted:
        if not members[split]:
            raise DataError(f"{meta}: no usable segment in subset {{{spec.splits[split]}}}")
        utts = []
        for sid in members[split]:
            aid, begin, end, text, extras = segs[sid]
            if audio == "cut":
                utts.append(Utt(sid, wav_of[sid], aid, text, extras=extras))
            else:
                utts.append(Utt(sid, aid, aid, text, Segment(aid, begin, end), extras))
        recs = None
        if audio == "segments":
            recs = {u.speaker: str(recordings[u.speaker]) for u in utts}
        written[split] = write_split_clean(out / split, utts, recs)
        log.info("%s %s: %d utterances -> %s", spec.name, split, len(utts), written[split])
    return written


def iter_json_list(path: Path, key: str, chunk: int | None = None) -> Iterator[Any]:
    """Yield the elements of the top-level list ``key`` of a JSON object file one at a time,
    without loading the whole file (GigaSpeech.json / WenetSpeech.json are several GB)."""
    chunk = chunk or JSON_CHUNK
    dec = json.JSONDecoder()
    head = re.compile(rf'"{re.escape(key)}"\s*:\s*\[')
    with open(path, encoding="utf-8") as f:
        buf = ""
        while True:
            m = head.search(buf)
            if m:
                buf = buf[m.end() :]
                break
            more = f.read(chunk)
            if not more:
                raise DataError(f"{path}: no {key!r} list; is this the corpus metadata file?")
            buf = buf[-(len(key) + 64) :] + more  # keep a tail: the key may straddle chunks
        skip = re.compile(r"[\s,]*")
        pos, eof = 0, False
        while True:
            pos = skip.match(buf, pos).end()
            if buf.startswith("]", pos):
                return
            try:
                if pos >= len(buf):
                    raise ValueError("need more input")
                obj, pos = dec.raw_decode(buf, pos)
            except ValueError as err:
                if eof:
                    raise DataError(f"{path}: truncated or malformed JSON in {key!r}") from err
                buf = buf[pos:]
                more = f.read(max(chunk, len(buf)))  # grow geometrically for huge entries
                eof = not more
                buf, pos = buf + more, 0
                continue
            yield obj


def cut_recordings(
    jobs: list[tuple[str, list[tuple[str, float, float]]]], num_workers: int, desc: str
) -> list[str]:
    """Cut segments out of long recordings: each job is ``(recording, [(dst, start, end)])``.
    Every recording is opened once; segments already written (newer than the recording) are
    skipped. Returns the destinations that got < 50 ms of audio (not written)."""
    short: list[str] = []
    if num_workers <= 1 or len(jobs) < 2:
        for job in tqdm(jobs, desc=desc, leave=False):
            short += _cut_one(job)
        return short
    with ProcessPoolExecutor(num_workers) as pool:
        for res in tqdm(pool.map(_cut_one, jobs, chunksize=4), total=len(jobs), desc=desc):
            short += res
    return short


def _cut_one(job: tuple[str, list[tuple[str, float, float]]]) -> list[str]:
    src, items = job
    src_mtime = os.stat(src).st_mtime
    todo = [
        (d, s, e)
        for d, s, e in items
        if not (os.path.isfile(d) and os.stat(d).st_mtime >= src_mtime)
    ]
    short: list[str] = []
    if not todo:
        return short
    try:
        with sf.SoundFile(src) as f:
            sr, frames = f.samplerate, f.frames
            for dst, start, end in sorted(todo, key=lambda t: t[1]):
                a = max(0, int(round(start * sr)))
                b = min(int(round(end * sr)), frames)
                if b - a < MIN_SEGMENT * sr:
                    short.append(dst)
                    continue
                f.seek(a)
                x = f.read(b - a, dtype="float32", always_2d=True).mean(axis=1)
                if sr != SAMPLE_RATE:
                    from math import gcd

                    from scipy.signal import resample_poly

                    g = gcd(SAMPLE_RATE, sr)
                    x = resample_poly(x, SAMPLE_RATE // g, sr // g).astype(np.float32)
                Path(dst).parent.mkdir(parents=True, exist_ok=True)
                tmp = f"{dst}.{os.getpid()}.tmp.wav"
                sf.write(tmp, np.clip(x, -1.0, 1.0), SAMPLE_RATE, subtype="PCM_16")
                os.replace(tmp, dst)
    except (sf.LibsndfileError, RuntimeError) as err:
        raise DataError(f"{src}: cannot decode audio ({err})") from err
    return short
