"""EmoV-DB (The Emotional Voices Database, Adigwe et al. 2018; OpenSLR SLR115): SER training
data.

Four speakers (bea and jenie female, josh and sam male) read CMU ARCTIC prompts in five
styles: amused, anger, disgust, neutral, sleepiness (josh: amused, neutral, sleepiness only).
OpenSLR ships one archive per speaker and style (``bea_Amused.tar.gz``, ``jenie_Angry.tar.gz``,
``sam_Sleepy.tar.gz`` ...), each holding bare ``.wav`` files (no folder), so the layout is
whatever the archives were extracted into. Every layout the official sources produce is read
(github.com/numediart/EmoV-DB: README.md, ``emov_mfa_alignment.py``)::

    <src>/                                   OpenSLR archives, each extracted into a folder
    ├── bea_Amused/amused_1-15_0001.wav      named after it (as SpeechBrain's EmoV-DB recipe
    ├── jenie_Angry/anger_1-28_0011.wav      expects them)
    └── ...
    <src>/                                   the authors' "sorted" copy (EmoV-DB_sorted,
    ├── bea/Amused/amused_1-15_0001.wav      README, old mega.nz link):
    ├── jenie/Angry/anger_393-420_0397.wav   <speaker>/<Style>/
    └── ...
    <src>/EMOV-DB/                           the repository's download script
    ├── 1/amused_1-15_0001.wav ...           (``Emov().download()``): numbered folders,
    ├── 2/ ... 3/ ... 4/                     1 = bea, 2 = jenie, 3 = josh, 4 = sam
    └── cmuarctic.data                       (src may be EMOV-DB or its parent; a sibling
                                             ``EMOV/`` of MFA-trimmed copies is not read)

Speaker folders may also carry the README's speaker names: ``Spk-Bea``, ``Spk-Je`` (jenie),
``Spk-Jsh`` (josh), ``Spk-Sa`` (sam), alone or as ``Spk-Je_Angry``. The speaker comes from the
nearest enclosing folder whose name (before ``_``) is a speaker name, else from a numbered
parent folder; a tree where no .wav file has a speaker is an error naming the layouts above.
``cmuarctic.data`` (the ARCTIC prompt list, festvox) is optional.

File name = ``<style>_<annotation range>_<sentence number>.wav``; the style comes from the
file name. The sentence number is the ARCTIC ``arctic_a<NNNN>`` prompt.

Labels: mapping in ``emotion_labels`` (amused -> happiness; sleepiness dropped and counted by
default, ``sleepy="neutral"`` keeps it as neutral).

Splits (no official ones; speaker-disjoint): ``train`` = bea, jenie, josh; ``test`` = sam
(the one male speaker with all five styles).

Audio: converted to 16 kHz mono into ``out/wav/<split>/`` unless already 16 kHz mono (the
distributed files are 44.1 kHz, some stored as 64-bit float wav).
Tables: ``wav.scp``, ``utt2spk``, ``utt2emotion``, ``utt2emotion_orig`` (the file's style
word), ``utt2lang``; ``text`` only when the ARCTIC prompt list is found (``cmuarctic.data`` in
src, or ``arctic_prompts=PATH``) -- the OpenSLR archives do not contain it; without it
validate with ``require_text=False``. Utterance id = ``<speaker>-<file stem>``. Tasks: SER.
"""

from __future__ import annotations

import re
from pathlib import Path

from laura.data.corpora import common, register_corpus
from laura.data.corpora.common import Dirs, Splits
from laura.data.emotion_labels import unify
from laura.data.errors import DataError

SPLITS = ("train", "test")
SPEAKERS = ("bea", "jenie", "josh", "sam")
TEST_SPEAKERS = ("sam",)
# folder-name spellings of the speakers: their names, and the README's abbreviations (Spk-Je,
# Spk-Jsh, Spk-Sa), accepted only with the "Spk" prefix so a stray short folder name is no match
SPEAKER_NAMES = {s: s for s in SPEAKERS}
README_NAMES = {"bea": "bea", "je": "jenie", "jsh": "josh", "sa": "sam"}
# the download script's target folders, in the order of its download list
NUMBERED = {"1": "bea", "2": "jenie", "3": "josh", "4": "sam"}
SCRIPT_DIR = "EMOV-DB"
LAYOUTS = (
    "OpenSLR archives each extracted into a folder named after it (bea_Amused/amused_1-15_0001"
    ".wav), the sorted copy (bea/Amused/amused_1-15_0001.wav), the download script's numbered "
    "folders (EMOV-DB/1/amused_1-15_0001.wav; 1-4 = bea, jenie, josh, sam) or the README's "
    "speaker names (Spk-Bea, Spk-Je, Spk-Jsh, Spk-Sa)"
)
# spellings seen in file and folder names -> the corpus's style word in file names
STYLE_ALIASES = {
    "amused": "amused",
    "anger": "anger",
    "angry": "anger",
    "disgust": "disgust",
    "disgusted": "disgust",
    "neutral": "neutral",
    "sleepiness": "sleepiness",
    "sleepy": "sleepiness",
}
_NAME = re.compile(r"^([A-Za-z]+)_(\d+-\d+)_(\d{4})$")
_PROMPT = re.compile(r'^\(\s*arctic_a(\d{4})\s+"(.*)"\s*\)\s*$')


def read_arctic_prompts(path: Path) -> dict[str, str]:
    """``cmuarctic.data`` -> {"0001": "Author of the danger trail, Philip Steels, etc."}."""
    return common.read_matches(path, _PROMPT)


def speaker_of(path: Path, root: Path) -> str | None:
    """The speaker of a wav under ``root``: the nearest enclosing folder named after a speaker
    (``bea_Amused``, ``bea``, ``Spk-Je``), else a numbered parent folder (``EMOV-DB/2``)."""
    folders = path.relative_to(root).parts[:-1]
    for part in reversed(folders):
        name = part.lower()
        bare = re.sub(r"^spk[-_ ]?", "", name)
        head = re.split(r"[_\- ]", bare, maxsplit=1)[0]
        if head in SPEAKER_NAMES:
            return SPEAKER_NAMES[head]
        if bare != name and head in README_NAMES:
            return README_NAMES[head]
    if folders and folders[-1] in NUMBERED:
        return NUMBERED[folders[-1]]
    return None


DESCRIPTION = "EmoV-DB (OpenSLR 115), 4 speakers x 5 styles of ARCTIC prompts"


@register_corpus("emovdb", ("SER",), SPLITS, DESCRIPTION)
def prepare(
    src: Path,
    out: Path,
    *,
    splits: Splits = None,
    num_workers: int = 2,
    sleepy: str = "drop",
    arctic_prompts: str | Path | None = None,
) -> Dirs:
    """Write ``out/<split>`` for EmoV-DB; see the module doc for layout, splits and tables."""
    if sleepy not in ("drop", "neutral"):
        raise DataError(f"emovdb: sleepy must be 'drop' or 'neutral', got {sleepy!r}")
    if not src.is_dir():
        raise DataError(f"{src}: not found (EmoV-DB folder)")
    # the download script's folder, when src is its parent: read it alone, so the MFA step's
    # trimmed copies (a sibling EMOV/ with the same file names) are not taken for the corpus
    root = src / SCRIPT_DIR if (src / SCRIPT_DIR).is_dir() else src
    prompts: dict[str, str] | None = None
    if arctic_prompts is not None:
        prompt_file = Path(arctic_prompts)
    else:
        found = [d / "cmuarctic.data" for d in (root, src) if (d / "cmuarctic.data").is_file()]
        prompt_file = found[0] if found else root / "cmuarctic.data"
    if prompt_file.is_file():
        prompts = read_arctic_prompts(prompt_file)
        if not prompts:
            raise DataError(f"{prompt_file}: no '( arctic_aNNNN \"...\" )' lines")
    elif arctic_prompts is not None:
        raise DataError(f"{prompt_file}: not found (CMU ARCTIC prompt list cmuarctic.data)")
    wavs = common.iter_files(root, (".wav",))
    if not wavs:
        archives = sorted(root.glob("*.tar.gz"))
        hint = f" ({len(archives)} .tar.gz archives are there: extract them)" if archives else ""
        raise DataError(f"{root}: no .wav files{hint}; expected one of: {LAYOUTS}")
    speakers = {wav: speaker_of(wav, root) for wav in wavs}
    if not any(speakers.values()):
        raise DataError(
            f"{root}: no EmoV-DB layout recognised ({len(wavs)} .wav files, none in a speaker "
            f"folder, e.g. {wavs[0].relative_to(root)}); expected one of: {LAYOUTS}. The OpenSLR "
            "archives hold bare .wav files: extract each into a folder named after it"
        )
    parts = common.builders(splits, SPLITS, "emovdb")
    seen: set[str] = set()
    for wav in wavs:
        spk = speakers[wav]
        m = _NAME.match(wav.stem)
        if spk is None or m is None:
            split = "test" if spk in TEST_SPEAKERS else "train"
            if split in parts:
                why = "no speaker folder" if spk is None else "name is not <style>_<a-b>_<NNNN>"
                parts[split].skips.add(wav, why)
            continue
        split = "test" if spk in TEST_SPEAKERS else "train"
        if split not in parts:
            continue
        skips = parts[split].skips
        style, rng, num = m.group(1).lower(), m.group(2), m.group(3)
        orig = STYLE_ALIASES.get(style, style)
        uid = f"{spk}-{orig}_{rng}_{num}"
        if uid in seen:
            skips.add(wav, "duplicate of an earlier file")
            continue
        seen.add(uid)
        emo = "neutral" if orig == "sleepiness" and sleepy == "neutral" else unify("emovdb", orig)
        if emo is None:
            skips.add(wav, f"style {orig!r} has no unified class")
            continue
        text = None
        if prompts is not None:
            text = prompts.get(num)
            if not text:
                skips.add(wav, f"no ARCTIC prompt arctic_a{num} in {prompt_file}")
                continue
        parts[split].add(
            common.Utt(uid, "", spk, text=text, extras=common.emotion_extras(orig, emo)), wav
        )
    return common.write_splits(parts, out, corpus="emovdb", num_workers=num_workers)
