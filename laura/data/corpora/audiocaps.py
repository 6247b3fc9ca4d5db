"""AudioCaps (Kim et al., NAACL 2019; cdjkim/audiocaps), audio captioning on AudioSet, for AAC.

AudioCaps is distributed as captions only; the audio are 10 s AudioSet clips that each user has
to fetch from YouTube (many videos are gone, so every copy is incomplete). Expected layout
(``src``; ``audio_dir=`` may point elsewhere)::

    <src>/
      train.csv  val.csv  test.csv     # audiocap_id,youtube_id,start_time,caption
                                        # (also accepted under dataset/ as in the GitHub repo)
      audio/                            # the clips you downloaded, any nesting, named one of:
        <youtube_id>.wav                #   plain YouTube id
        Y<youtube_id>.wav               #   AudioSet/PANNs style
        Y<youtube_id>_<start>.000_<end>.000.wav   # AudioSet downloader style
        <youtube_id>_<start>.wav  <youtube_id>_<start>_<end>.wav
        <audiocap_id>.wav               #   audiocaps-download style
      (.flac, .mp3 and .ogg are accepted too; without audio/, ``src`` itself is searched)

Clips are assumed to be the 10 s excerpts already (``start_time`` .. +10 s), as every common
downloader writes them. If yours are the full YouTube audio, pass ``trimmed=False`` and the
excerpt is cut from ``start_time``. Any clip that is not 16 kHz mono wav/flac (or that has to be
cut) is converted to 16 kHz mono PCM under ``out/wav/<split>/<clip>.wav``; the others are used
in place.

Splits: ``train`` (49,838 captions, one per clip), ``val`` (2,475 = 5 x 495 clips) and
``test`` (4,875 = 5 x 975 clips), as in the CSVs. Per the AAC convention ``train`` gets one
utterance per (clip, caption), id ``<clip>-c<k>``, caption in ``caption``; ``val`` and ``test``
get one utterance per clip with ``caption`` = the first reference (lowest ``audiocap_id``) and
``caption1``..``captionN`` = all of them. The clip id is ``Y<youtube_id>_<start_time>`` (the
leading ``Y`` keeps ids that start with ``-`` safe); ``utt2spk`` maps to the clip;
``utt2audiocap_id`` keeps the AudioCaps ids (space-separated for evaluation clips). No ``text``
table: validate with ``require_text=False``.

Missing clips are counted per split and logged (with the first few ids), and also written to
``out/<split>.missing.txt`` (one ``youtube_id start_time`` per line) so they can be fetched
later; a split with no clip at all is an error.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

from laura.data.corpora import common, register_corpus
from laura.data.corpora.common import Dirs, Splits
from laura.data.errors import DataError
from laura.data.kaldi import atomic_write_text

SPLITS = ("train", "val", "test")
PAIR_SPLITS = ("train",)
AUDIO_EXTS = (".wav", ".flac", ".mp3", ".ogg")
CLIP_SECONDS = 10.0
# <ytid>[_<start>[.<frac>][_<end>[.<frac>]]] with an optional AudioSet "Y" prefix.
_NAME = re.compile(r"^(Y?)([A-Za-z0-9_-]{11})(?:_(\d+)(?:\.\d+)?(?:_\d+(?:\.\d+)?)?)?$")


DESCRIPTION = "AudioCaps: 51k AudioSet clips (10 s) with captions; audio fetched by the user"


@register_corpus("audiocaps", ("AAC",), SPLITS, DESCRIPTION)
def prepare(
    src: Path,
    out: Path,
    *,
    splits: Splits = None,
    num_workers: int = 2,
    audio_dir: str | Path | None = None,
    trimmed: bool = True,
    pair_splits: Sequence[str] = PAIR_SPLITS,
) -> Dirs:
    """Write one Kaldi data dir per AudioCaps split under ``out``; return split -> dir."""
    common.require(src, "the AudioCaps directory")
    wanted = common.choose_splits(splits, SPLITS, "audiocaps")
    csv_dir = src / "dataset" if (src / "dataset" / "train.csv").is_file() else src
    if audio_dir is not None:
        adir = common.require(Path(audio_dir), "AudioCaps audio directory (audio_dir=)")
    else:
        adir = src / "audio" if (src / "audio").is_dir() else src
    index = index_audio(adir)

    written: dict[str, Path] = {}
    for split in wanted:
        csv_path = common.require(csv_dir / f"{split}.csv", f"AudioCaps {split} captions")
        clips = _read_csv(csv_path)
        found: list[tuple[str, str, list[str], list[str]]] = []
        jobs: list[tuple[Path, Path, float | None, float | None]] = []
        missing: list[tuple[str, int]] = []
        for (ytid, start), caps in clips.items():
            ids = [a for a, _ in caps]
            path = _lookup(index, ytid, start, ids)
            if path is None:
                missing.append((ytid, start))
                continue
            clip = f"Y{ytid}_{start}"
            if trimmed and path.suffix.lower() in (".wav", ".flac") and common.is_16k_mono(path):
                wav = str(path.resolve())
            else:
                dst = (out / "wav" / split / f"{clip}.wav").resolve()
                cut = (None, None) if trimmed else (float(start), float(start) + CLIP_SECONDS)
                jobs.append((path, dst, *cut))
                wav = str(dst)
            found.append((clip, wav, [c for _, c in caps], ids))
        common.report_skipped(
            f"audiocaps {split}",
            f"clips (of {len(clips)}) not found in {adir}",
            [f"{y}_{s}" for y, s in missing],
        )
        atomic_write_text(out / f"{split}.missing.txt", "".join(f"{y} {s}\n" for y, s in missing))
        if not found:
            raise DataError(
                f"{adir}: none of the {len(clips)} clips of {csv_path.name} is there "
                "(expected files named <youtube_id>.wav, Y<youtube_id>.wav, ...)"
            )
        failed = common.convert_skip_bad(
            jobs, num_workers, f"audiocaps {split}", "clips whose audio cannot be decoded"
        )
        bad_dst = set(failed.values())
        found = [f for f in found if f[1] not in bad_dst]
        per_clip = split not in pair_splits
        utts = common.aac_utts([(c, w, caps) for c, w, caps, _ in found], per_clip=per_clip)
        capids = {c: ids for c, _, _, ids in found}
        for u in utts:
            ids = capids[u.speaker]
            u.extras["utt2audiocap_id"] = (
                " ".join(ids) if per_clip else ids[int(u.id.rsplit("-c", 1)[1]) - 1]
            )
        written[split] = common.write_split(out / split, utts, where=f"audiocaps {split}")
    return written


def _read_csv(path: Path) -> dict[tuple[str, int], list[tuple[str, str]]]:
    """(youtube_id, start_time) -> [(audiocap_id, caption)] sorted by audiocap_id."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        need = ("audiocap_id", "youtube_id", "start_time", "caption")
        lacking = [c for c in need if c not in (reader.fieldnames or [])]
        if lacking:
            raise DataError(f"{path}: missing column(s) {lacking} (header: {reader.fieldnames})")
        clips: dict[tuple[str, int], list[tuple[str, str]]] = {}
        for lineno, row in enumerate(reader, 2):
            try:
                key = (row["youtube_id"].strip(), int(float(row["start_time"])))
                capid = str(int(row["audiocap_id"]))
            except (ValueError, AttributeError) as err:
                raise DataError(f"{path}:{lineno}: bad row ({err})") from err
            cap = common.clean_text(row["caption"] or "")
            if not key[0] or not cap:
                raise DataError(f"{path}:{lineno}: empty youtube_id or caption")
            clips.setdefault(key, []).append((capid, cap))
    for caps in clips.values():
        caps.sort(key=lambda x: int(x[0]))
    return clips


def index_audio(root: Path) -> dict[str, Path]:
    """Audio files under ``root`` by lookup key: ``<ytid>``, ``<ytid>_<start>`` and the stem."""
    index: dict[str, Path] = {}
    for p in sorted(root.rglob("*")):
        if p.suffix.lower() not in AUDIO_EXTS or not p.is_file():
            continue
        index.setdefault(p.stem, p)
        m = _NAME.match(p.stem)
        if m:
            index.setdefault(m.group(2), p)
            if m.group(3) is not None:
                index.setdefault(f"{m.group(2)}_{int(m.group(3))}", p)
    return index


def _lookup(index: dict[str, Path], ytid: str, start: int, capids: list[str]) -> Path | None:
    for key in (f"{ytid}_{start}", ytid, f"Y{ytid}", *capids):
        if key in index:
            return index[key]
    return None
