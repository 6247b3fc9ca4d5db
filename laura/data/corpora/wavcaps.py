"""WavCaps (Mei et al., 2023; HF dataset cvssp/WavCaps), ChatGPT-rewritten captions, for AAC.

About 400k clips from four sources, one caption each, used as extra AAC training data.
Expected layout (the ``json_files/`` of the release, and the ``Zip_files/<source>`` archives
extracted anywhere under ``src``; the archives unpack into deep paths such as
``.../waveforms/<source>_flac/``, so audio is found by name)::

    <src>/
      json_files/
        AudioSet_SL/as_final.json          # {"num_captions_per_audio": 1, "data": [ {...} ]}
        BBC_Sound_Effects/bbc_final.json   # each item: "id", "caption", "duration",
        FreeSound/fsd_final.json           #   "audio" (a path on the authors' machine), and
        SoundBible/sb_final.json           #   raw "description"/"title"/... (not used)
        blacklist/blacklist_exclude_test_ac.json  # {"AudioSet": [ids], "FreeSound": [ids]}
      .../AudioSet_SL_flac/Y<ytid>.flac    # 32 kHz mono FLAC; the json id is "Y<ytid>.wav"
      .../BBC_Sound_Effects_flac/<id>.flac
      .../FreeSound_flac/<id>.flac
      .../SoundBible_flac/<id>.flac

A plain JSON list of items (the GitHub copy of the metadata) is accepted as well. Each audio file
is matched to its source by a directory on its path whose name contains the source name
(``AudioSet``, ``BBC``, ``FreeSound``, ``SoundBible``, case-insensitive); ``audio_dirs=``
(source -> directory) overrides this.

Splits (one data dir per source): ``audioset_sl``, ``bbc_sound_effects``, ``freesound``,
``soundbible``; all are training data: one utterance per (clip, caption), id ``<clip>-c<k>``,
caption in ``caption``. Clip ids carry a source prefix (``as_``, ``bbc_``, ``fsd_``, ``sb_``)
so the dirs can be combined. ``utt2spk`` maps to the clip. No ``text`` table: validate with
``require_text=False``.

Filtering (each counted and logged): ids in the blacklist (default
``blacklist_exclude_test_ac.json``, the authors' list of clips overlapping the AudioCaps and
Clotho test sets; ``blacklist=None`` disables it, another file name selects it); clips longer
than ``max_duration`` seconds (default 60, the validator's limit; FreeSound and BBC clips average
86 s and 115 s: pass ``max_duration=None`` to keep everything); items without audio.

Audio: the FLAC files are 32 kHz, so they are converted to 16 kHz mono PCM under
``out/wav/<split>/<clip>.wav`` (skipped when done); that is several hundred GB for the whole
corpus. If a sample of a source's files is already 16 kHz mono they are used in place.
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

log = logging.getLogger(__name__)

# split -> (json file under json_files/, path keyword of its audio, blacklist key, id prefix)
SOURCES: dict[str, tuple[str, str, str, str]] = {
    "audioset_sl": ("AudioSet_SL/as_final.json", "audioset", "AudioSet", "as"),
    "bbc_sound_effects": ("BBC_Sound_Effects/bbc_final.json", "bbc", "BBC_Sound_Effects", "bbc"),
    "freesound": ("FreeSound/fsd_final.json", "freesound", "FreeSound", "fsd"),
    "soundbible": ("SoundBible/sb_final.json", "soundbible", "SoundBible", "sb"),
}
SPLITS = tuple(SOURCES)
DEFAULT_BLACKLIST = "blacklist_exclude_test_ac.json"
AUDIO_EXTS = (".flac", ".wav")


DESCRIPTION = "WavCaps: 400k weakly-labelled clips (FreeSound, BBC, SoundBible, AudioSet SL)"


@register_corpus("wavcaps", ("AAC",), SPLITS, DESCRIPTION)
def prepare(
    src: Path,
    out: Path,
    *,
    splits: Splits = None,
    num_workers: int = 2,
    blacklist: str | None = DEFAULT_BLACKLIST,
    max_duration: float | None = 60.0,
    audio_dirs: dict[str, str | Path] | None = None,
) -> Dirs:
    """Write one Kaldi data dir per WavCaps source under ``out``; return split -> dir."""
    common.require(src, "the WavCaps directory")
    wanted = common.choose_splits(splits, SPLITS, "wavcaps")
    jdir = common.require(src / "json_files", "WavCaps json_files directory")
    banned = _read_blacklist(jdir / "blacklist", blacklist)
    index = _index_audio(src, wanted, audio_dirs or {})

    written: dict[str, Path] = {}
    for split in wanted:
        rel, _, bl_key, prefix = SOURCES[split]
        jpath = common.require(jdir / rel, f"WavCaps {split} metadata")
        items = _read_items(jpath)
        ids = common.UniqueIds()
        clips: list[tuple[str, str, list[str]]] = []
        src_of: dict[str, Path] = {}
        skipped: dict[str, list[str]] = {"blacklisted": [], "too long": [], "without audio": []}
        for it in tqdm(items, desc=f"wavcaps {split}", leave=False):
            stem = Path(it["id"]).stem
            if it["id"] in banned.get(bl_key, ()) or stem in banned.get(bl_key, ()):
                skipped["blacklisted"].append(stem)
                continue
            dur = it.get("duration")
            if max_duration is not None and isinstance(dur, int | float) and dur > max_duration:
                skipped["too long"].append(stem)
                continue
            path = index[split].get(stem)
            if path is None:
                skipped["without audio"].append(stem)
                continue
            clip = ids.make(f"{prefix}_{stem}")
            clips.append((clip, str((out / "wav" / split / f"{clip}.wav").resolve()), it["caps"]))
            src_of[clip] = path
        for why, which in skipped.items():
            common.report_skipped(f"wavcaps {split}", f"clips {why}", which)
        if not clips:
            raise DataError(f"{jpath}: no clip of this source has audio under {src}")
        clips = _place_audio(clips, src_of, num_workers, split)
        utts = common.aac_utts(clips, per_clip=False)
        written[split] = common.write_split(out / split, utts, where=f"wavcaps {split}")
    return written


def _read_items(path: Path) -> list[dict[str, Any]]:
    """Items as {"id", "caps": [captions], "duration"} from one source json."""
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DataError(f"{path}: not valid JSON ({err})") from err
    n_caps = 1
    if isinstance(obj, dict):
        n_caps = int(obj.get("num_captions_per_audio", 1))
        obj = obj.get("data")
    if not isinstance(obj, list):
        raise DataError(f"{path}: expected {{'data': [items]}} or a list of items")
    out = []
    for i, it in enumerate(obj):
        if not isinstance(it, dict) or "id" not in it:
            raise DataError(f"{path}: item {i}: expected an object with 'id' and 'caption'")
        keys = ["caption"] if n_caps == 1 else [f"caption_{k}" for k in range(1, n_caps + 1)]
        caps = [common.clean_text(str(it.get(k) or "")) for k in keys]
        caps = [c for c in caps if c]
        if not caps:
            raise DataError(f"{path}: item {i} (id {it['id']}): no caption")
        out.append({"id": str(it["id"]), "caps": caps, "duration": it.get("duration")})
    return out


def _read_blacklist(bdir: Path, name: str | None) -> dict[str, set[str]]:
    if name is None:
        return {}
    path = bdir / name
    if not path.is_file():
        if name != DEFAULT_BLACKLIST:
            common.require(path, "WavCaps blacklist (blacklist=)")
        log.warning("%s not found: no clip is excluded for overlapping test sets", path)
        return {}
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DataError(f"{path}: not valid JSON ({err})") from err
    if not isinstance(obj, dict):
        raise DataError(f"{path}: expected {{source: [ids]}}")
    return {k: {str(x) for x in v} for k, v in obj.items() if isinstance(v, list)}


def _index_audio(
    src: Path, wanted: Sequence[str], audio_dirs: dict[str, str | Path]
) -> dict[str, dict[str, Path]]:
    """split -> {file stem: path}, from ``audio_dirs`` or by source keyword on the path."""
    index: dict[str, dict[str, Path]] = {s: {} for s in wanted}
    auto = [s for s in wanted if s not in audio_dirs]
    for s in wanted:
        if s in audio_dirs:
            d = common.require(Path(audio_dirs[s]), f"WavCaps {s} audio (audio_dirs=)")
            for p in sorted(d.rglob("*")):
                if p.suffix.lower() in AUDIO_EXTS:
                    index[s].setdefault(p.stem, p)
    if auto:
        files = [p for p in src.rglob("*") if p.suffix.lower() in AUDIO_EXTS]
        for p in tqdm(sorted(files), desc="wavcaps index", leave=False):
            dirs = [d.lower() for d in p.relative_to(src).parts[:-1]]
            for s in auto:
                if any(SOURCES[s][1] in d for d in dirs):
                    index[s].setdefault(p.stem, p)
    return index


def _place_audio(
    clips: list[tuple[str, str, list[str]]],
    src_of: dict[str, Path],
    num_workers: int,
    split: str,
) -> list[tuple[str, str, list[str]]]:
    """Use the files in place if a sample is 16 kHz mono; else convert (dropping bad files)."""
    # the index holds only AUDIO_EXTS files, so 16 kHz mono ones are wav/flac
    if common.sample_is_16k_mono([src_of[c] for c, _, _ in clips]):
        return [(c, str(src_of[c].resolve()), caps) for c, _, caps in clips]
    jobs = [(src_of[c], dst, None, None) for c, dst, _ in clips]
    failed = common.convert_skip_bad(
        jobs, num_workers, f"wavcaps {split}", "clips whose audio cannot be decoded"
    )
    bad = set(failed.values())
    return [c for c in clips if c[1] not in bad]
