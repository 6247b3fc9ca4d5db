"""SLURP (Bastianelli et al., EMNLP 2020; pswietojanski/slurp + Zenodo record 4274930), for SLU.

Expected layout (a clone of the SLURP repository with its ``scripts/download_audio.sh`` archives
extracted into ``audio/``; ``src`` is the repository root)::

    <src>/
      dataset/slurp/
        train.jsonl devel.jsonl test.jsonl   # one JSON object per line (a "SLURP entry")
        train_synthetic.jsonl                # text of the synthetic (TTS) training recordings
        metadata.json                        # per entry: recordings -> {"usrid": "FO-488", ...}
      audio/
        slurp_real/audio-<n>[-headset].flac  # 16 kHz mono FLAC (slurp_real.tar.gz)
        slurp_synth/*.flac                   # (slurp_synth.tar.gz)

An entry has ``slurp_id``, ``sentence`` ("wake me up at eight o'clock"), ``sentence_annotation``
("wake me up at [time : eight] o'clock"), ``intent`` (``<scenario>_<action>``, e.g.
``alarm_set``), ``scenario``, ``action``, ``tokens``, ``entities`` ([{"span": [token ids],
"type": ...}]) and ``recordings`` ([{"file", "wer", "ent_wer", "status"}]). Every recording is
one utterance (``-headset`` files are the close-talk microphone, the others far-field).

Splits (data dir names = the SLURP file names): ``train`` (real recordings, plus the synthetic
ones of ``train_synthetic.jsonl`` unless ``synthetic=False``, as the ESPnet and SpeechBrain
recipes do), ``devel`` and ``test``. ``close_talk_only=True`` keeps the ``-headset`` files only.

Tables: ``wav.scp`` (the original FLAC files: 16 kHz mono, checked on a sample of each audio
directory; if they are not, every file is converted under ``out/wav/<split>/``), ``text`` (the
``sentence`` as distributed: lower case, whitespace collapsed), ``utt2intent``
(``<scenario>_<action>``), ``utt2slots`` (``type=value ; type=value``, one per entry of
``entities`` in its order; an empty value when the entry has no entity), ``utt2scenario``,
``utt2action``, ``utt2slurp_id`` (to group recordings of one entry) and ``utt2lang`` (``en``).

The SLU targets are SLURP's gold as its scorer (``scripts/evaluation``) reads it, so that a
perfect model scores 100%: the intent is ``scenario`` + ``_`` + ``action`` (evaluate.py compares
those two fields, never ``intent``, which for some entries is the action alone, e.g. ``query``),
and a slot value is the entity's ``tokens`` surfaces, lower-cased and joined by one space
(util.py's ``release2prediction``): ``jessica 's`` where ``sentence_annotation`` has
``[person : jessica's]``, ``friday`` for ``[date : Friday]``, ``i ca n't feel my face``.

Speakers: the jsonl files carry no speaker; ``metadata.json`` gives each real recording a user
id (``usrid``, ``<F|M|UNK><E|O>-<nnn>``), used as the speaker id. Without ``metadata.json`` (or for
a recording it does not list) the speaker is derived from the recording session,
``sess<n>`` from ``audio-<n>[-headset].flac`` (close-talk and far-field files share it), with a
warning. Synthetic recordings get the speaker ``synth``. Utterance ids are
``<speaker>-<file stem>``. A recording listed by two entries (it happens) is kept once; missing
audio files are skipped; both are counted.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from tqdm import tqdm

from laura.data.corpora import common, register_corpus
from laura.data.corpora.common import Dirs, Splits
from laura.data.errors import DataError

log = logging.getLogger(__name__)

SPLITS = ("train", "devel", "test")
_SLOT = re.compile(r"\[([^\[\]:]+):([^\[\]]*)\]")  # "[type : value]"; the value may hold ":"
_NOT_IN_TYPE = re.compile(r"[\s|;=]")  # separators of the SLU target string


DESCRIPTION = "SLURP: 72k real + 69k synthetic English voice-assistant commands, 16 kHz FLAC"


@register_corpus("slurp", ("SLU",), SPLITS, DESCRIPTION)
def prepare(
    src: Path,
    out: Path,
    *,
    splits: Splits = None,
    num_workers: int = 2,
    synthetic: bool = True,
    close_talk_only: bool = False,
) -> Dirs:
    """Write one Kaldi data dir per SLURP split under ``out``; return split -> dir."""
    common.require(src, "the SLURP directory")
    wanted = common.choose_splits(splits, SPLITS, "slurp")
    text_dir = _text_dir(src)
    real_dir = _audio_dir(src, "slurp_real")
    speakers = _read_metadata(text_dir / "metadata.json")

    written: dict[str, Path] = {}
    for split in wanted:
        jsonl = common.require(text_dir / f"{split}.jsonl", f"SLURP {split} annotations")
        sources = [(jsonl, real_dir, False)]
        if split == "train" and synthetic:
            syn = common.require(
                text_dir / "train_synthetic.jsonl",
                "SLURP synthetic training annotations; pass synthetic=False to leave them out",
            )
            syn_dir = _audio_dir(src, "slurp_synth", " (or pass synthetic=False)")
            sources.append((syn, syn_dir, True))
        utts: list[common.Utt] = []
        seen: set[str] = set()
        for path, audio_dir, is_synth in sources:
            utts += _read_jsonl(path, audio_dir, is_synth, speakers, seen, close_talk_only)
        if not utts:
            raise DataError(f"{jsonl}: no utterance with audio in {real_dir}")
        utts = _ensure_16k(utts, out / "wav" / split, num_workers, split)
        written[split] = common.write_split(out / split, utts, where=f"slurp {split}")
    return written


def _text_dir(src: Path) -> Path:
    for cand in (src / "dataset" / "slurp", src / "slurp", src):
        if any((cand / f"{split}.jsonl").is_file() for split in SPLITS):
            return cand
    return common.require(src / "dataset" / "slurp" / "train.jsonl", "SLURP annotations").parent


def _audio_dir(src: Path, name: str, hint: str = "") -> Path:
    for cand in (src / "audio" / name, src / name, src.parent / "audio" / name):
        if cand.is_dir():
            return cand
    return common.require(src / "audio" / name, f"SLURP audio ({name}.tar.gz extracted){hint}")


def _read_metadata(path: Path) -> dict[str, str] | None:
    """metadata.json: recording file name -> usrid (None when the file is absent)."""
    if not path.is_file():
        log.warning("%s not found: speakers are derived from the recording sessions", path)
        return None
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DataError(f"{path}: not valid JSON ({err})") from err
    out: dict[str, str] = {}
    for key, rec in records.items():
        recs = rec.get("recordings") if isinstance(rec, dict) else None
        if not isinstance(recs, dict):
            raise DataError(f"{path}: entry {key}: expected a 'recordings' object")
        for name, info in recs.items():
            usrid = str(info.get("usrid", "")).strip() if isinstance(info, dict) else ""
            if usrid and not any(c.isspace() for c in usrid):
                out[name] = usrid
    return out


def _iter_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"{path}:{lineno}: not valid JSON ({err})") from err
            if not isinstance(obj, dict):
                raise DataError(f"{path}:{lineno}: expected a JSON object")
            yield lineno, obj


def parse_slots(annotation: str) -> list[tuple[str, str]]:
    """``"wake me up at [time : eight] o'clock"`` -> ``[("time", "eight")]`` (as annotated: case
    and attached ``'s`` kept; the targets use `gold_slots`)."""
    return [(common.clean_text(t), common.clean_text(v)) for t, v in _SLOT.findall(annotation)]


def gold_slots(entry: dict, where: str = "SLURP entry") -> list[tuple[str, str]]:
    """The entry's entities as SLURP's scorer reads the gold (scripts/evaluation/util.py,
    ``release2prediction``): ``(type, filler)`` in the order of ``entities``, the filler the
    ``tokens`` at the span's indices, surfaces lower-cased and joined by one space. An entry
    without ``entities``/``tokens`` falls back to ``sentence_annotation``, lower-cased (SLURP's
    scorer cannot read such an entry at all)."""
    entities, tokens = entry.get("entities"), entry.get("tokens")
    if not isinstance(entities, list) or not isinstance(tokens, list):
        ann = entry.get("sentence_annotation")
        if not isinstance(ann, str):
            raise DataError(f"{where}: no 'entities' and 'tokens', nor 'sentence_annotation'")
        return [(t, v.lower()) for t, v in parse_slots(ann)]
    out = []
    for ent in entities:
        try:
            # indices into the token list, as release2prediction reads them (not the "id"s)
            words = [str(tokens[i]["surface"]).lower() for i in ent["span"]]
            etype = str(ent["type"])
        except (KeyError, IndexError, TypeError) as err:
            raise DataError(f"{where}: entity {ent!r} does not fit 'tokens' ({err!r})") from err
        filler = " ".join(words)
        # ";" would split the target's slot list and "=", "|", whitespace end a slot type: such
        # a target would not read back as what SLURP scores
        if not words or ";" in filler or not etype or _NOT_IN_TYPE.search(etype):
            raise DataError(
                f"{where}: entity {etype}={filler!r} cannot be written as a 'type=value' slot"
            )
        out.append((etype, filler))
    return out


def format_slots(slots: Sequence[tuple[str, str]]) -> str:
    return " ; ".join(f"{t}={v}" for t, v in slots)


def entry_intent(entry: dict, where: str = "SLURP entry") -> tuple[str, str, str]:
    """(intent, scenario, action) of an entry: the intent is ``<scenario>_<action>``, as SLURP's
    scorer forms it (evaluate.py), not the ``intent`` field, which in 37 test entries is not
    that: the action alone (``"query"`` for scenario ``datetime``) but once ``email_sendemail``
    for ``email``/``query``. Without ``scenario``/``action`` both come from ``intent`` (split at
    its first ``_``: scenarios have none)."""
    scenario, action = entry.get("scenario"), entry.get("action")
    if not scenario or not action:
        intent = str(entry.get("intent") or "")
        if "_" not in intent:
            raise DataError(f"{where}: no 'scenario' and 'action', and no '<scenario>_<action>'")
        scenario, action = intent.split("_", 1)
    scenario, action = str(scenario).strip(), str(action).strip()
    return f"{scenario}_{action}", scenario, action


def _read_jsonl(
    path: Path,
    audio_dir: Path,
    is_synth: bool,
    speakers: dict[str, str] | None,
    seen: set[str],
    close_talk_only: bool,
) -> list[common.Utt]:
    utts: list[common.Utt] = []
    missing: list[str] = []
    dup: list[str] = []
    derived: list[str] = []
    for lineno, e in tqdm(_iter_jsonl(path), desc=f"slurp {path.name}", leave=False):
        try:
            sentence = common.clean_text(e["sentence"])
            recordings = e["recordings"]
        except (KeyError, TypeError) as err:
            raise DataError(f"{path}:{lineno}: missing field {err}") from err
        if not sentence:
            raise DataError(f"{path}:{lineno}: empty sentence")
        intent, scenario, action = entry_intent(e, f"{path}:{lineno}")
        slots = gold_slots(e, f"{path}:{lineno}")
        for rec in recordings:
            name = str(rec.get("file", "")) if isinstance(rec, dict) else ""
            if not name:
                raise DataError(f"{path}:{lineno}: recording without 'file'")
            stem = name[: -len(".flac")] if name.endswith(".flac") else Path(name).stem
            if close_talk_only and not is_synth and not stem.endswith("-headset"):
                continue
            if name in seen:
                dup.append(name)
                continue
            seen.add(name)
            flac = audio_dir / name
            if not flac.is_file():
                missing.append(name)
                continue
            if is_synth:
                spk = "synth"
            elif speakers is not None and name in speakers:
                spk = speakers[name]
            else:
                session = stem.removeprefix("audio-").removesuffix("-headset")
                spk = f"sess{session}"
                derived.append(name)
            extras = {
                "utt2intent": intent,
                "utt2slots": format_slots(slots),
                "utt2scenario": scenario,
                "utt2action": action,
                "utt2slurp_id": str(e.get("slurp_id", "")),
                "utt2lang": "en",
            }
            utts.append(
                common.Utt(f"{spk}-{stem}", str(flac.resolve()), spk, sentence, extras=extras)
            )
    common.report_skipped(f"slurp {path.name}", f"recordings missing from {audio_dir}", missing)
    common.report_skipped(f"slurp {path.name}", "recordings listed a second time", dup)
    if speakers is not None and derived:
        log.warning(
            "slurp %s: %d recordings not in metadata.json: speaker derived from the session",
            path.name,
            len(derived),
        )
    return utts


def _ensure_16k(
    utts: list[common.Utt], wav_dir: Path, num_workers: int, split: str
) -> list[common.Utt]:
    """Keep the FLAC files if a sample of each directory is 16 kHz mono, else convert all."""
    by_dir: dict[Path, list[common.Utt]] = {}
    for u in utts:
        by_dir.setdefault(Path(u.wav).parent, []).append(u)
    out: list[common.Utt] = []
    for d, group in by_dir.items():
        if common.sample_is_16k_mono([u.wav for u in group]):
            out += group
            continue
        log.warning("slurp %s: %s is not 16 kHz mono; converting to %s", split, d, wav_dir)
        jobs = [(u.wav, str((wav_dir / f"{u.id}.wav").resolve()), None, None) for u in group]
        failed = common.convert_skip_bad(
            jobs, num_workers, f"slurp {split}", "recordings whose audio cannot be decoded"
        )
        for u, (_, dst, _, _) in zip(group, jobs):
            if u.wav not in failed:
                u.wav = dst
                out.append(u)
    return out
