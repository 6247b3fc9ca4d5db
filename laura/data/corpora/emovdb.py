"""EmoV-DB (The Emotional Voices Database, Adigwe et al. 2018; OpenSLR SLR115): SER training
data.

Four speakers (bea and jenie female, josh and sam male) read CMU ARCTIC prompts in five
styles: amused, anger, disgust, neutral, sleepiness (josh: amused, neutral, sleepiness only).
OpenSLR ships one archive per speaker and style (``bea_Amused.tar.gz``, ``jenie_Angry.tar.gz``,
``sam_Sleepy.tar.gz`` ...); the authors' "sorted" copy has ``<speaker>/<style>/`` folders.
Both are read, as long as the archives are extracted::

    <src>/
    ├── bea_Amused/amused_1-15_0001.wav      (or bea/amused/amused_1-15_0001.wav)
    ├── jenie_Angry/anger_1-28_0011.wav
    ├── ...
    └── cmuarctic.data                       optional: the ARCTIC prompt list (festvox)

File name = ``<style>_<annotation range>_<sentence number>.wav``; the style comes from the
file name, the speaker from the nearest folder whose name starts with a speaker name. The
sentence number is the ARCTIC ``arctic_a<NNNN>`` prompt.

Labels: mapping in ``ser_labels`` (amused -> happiness; sleepiness dropped and counted by
default, ``sleepy="neutral"`` keeps it as neutral).

Splits (no official ones; speaker-disjoint): ``train`` = bea, jenie, josh; ``test`` = sam
(the one male speaker with all five styles).

Audio: converted to 16 kHz mono into ``out/wav/<split>/`` unless already 16 kHz mono.
Tables: ``wav.scp``, ``utt2spk``, ``utt2emotion``, ``utt2emotion_orig`` (the file's style
word), ``utt2lang``; ``text`` only when the ARCTIC prompt list is found (``cmuarctic.data`` in
src, or ``arctic_prompts=PATH``) -- the OpenSLR archives do not contain it; without it
validate with ``require_text=False``. Utterance id = ``<speaker>-<file stem>``. Tasks: SER.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from laura.data.corpora import register_corpus
from laura.data.corpora.common import Utt
from laura.data.corpora.ser_labels import (
    builders,
    choose_splits,
    collapse,
    emotion_extras,
    iter_files,
    unify,
    write_splits,
)
from laura.data.errors import DataError

SPLITS = ("train", "test")
SPEAKERS = ("bea", "jenie", "josh", "sam")
TEST_SPEAKERS = ("sam",)
# spellings seen in file and folder names -> the corpus's style word in file names
STYLE_ALIASES = {
    "amused": "amused", "anger": "anger", "angry": "anger", "disgust": "disgust",
    "disgusted": "disgust", "neutral": "neutral", "sleepiness": "sleepiness",
    "sleepy": "sleepiness",
}  # fmt: skip
_NAME = re.compile(r"^([A-Za-z]+)_(\d+-\d+)_(\d{4})$")
_PROMPT = re.compile(r'^\(\s*arctic_a(\d{4})\s+"(.*)"\s*\)\s*$')


def read_arctic_prompts(path: Path) -> dict[str, str]:
    """``cmuarctic.data`` -> {"0001": "Author of the danger trail, Philip Steels, etc."}."""
    out = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = _PROMPT.match(line.strip())
        if m:
            out[m.group(1)] = collapse(m.group(2))
    return out


def speaker_of(path: Path, root: Path) -> str | None:
    for part in reversed(path.relative_to(root).parts[:-1]):
        name = part.lower()
        for prefix in ("spk-", "spk_"):
            name = name.removeprefix(prefix)
        head = name.split("_", 1)[0]
        if head in SPEAKERS:
            return head
    return None


@register_corpus(
    "emovdb",
    tasks=("SER",),
    splits=SPLITS,
    description="EmoV-DB (OpenSLR 115), 4 speakers x 5 styles of ARCTIC prompts",
)
def prepare(
    src: Path,
    out: Path,
    *,
    splits: Sequence[str] | None = None,
    num_workers: int = 2,
    sleepy: str = "drop",
    arctic_prompts: str | Path | None = None,
    **opts: object,
) -> dict[str, Path]:
    """Write ``out/<split>`` for EmoV-DB; see the module doc for layout, splits and tables."""
    if opts:
        raise TypeError(f"emovdb: unknown option(s) {sorted(opts)}")
    if sleepy not in ("drop", "neutral"):
        raise DataError(f"emovdb: sleepy must be 'drop' or 'neutral', got {sleepy!r}")
    src, out = Path(src), Path(out)
    if not src.is_dir():
        raise DataError(f"{src}: not found (EmoV-DB folder)")
    prompts: dict[str, str] | None = None
    prompt_file = Path(arctic_prompts) if arctic_prompts is not None else src / "cmuarctic.data"
    if prompt_file.is_file():
        prompts = read_arctic_prompts(prompt_file)
        if not prompts:
            raise DataError(f"{prompt_file}: no '( arctic_aNNNN \"...\" )' lines")
    elif arctic_prompts is not None:
        raise DataError(f"{prompt_file}: not found (CMU ARCTIC prompt list cmuarctic.data)")
    wavs = iter_files(src, (".wav",))
    if not wavs:
        archives = sorted(src.glob("*.tar.gz"))
        hint = f" ({len(archives)} .tar.gz archives are there: extract them)" if archives else ""
        raise DataError(
            f"{src}: no .wav files{hint}; is EmoV-DB extracted in its original layout "
            "(bea_Amused/amused_1-15_0001.wav, ...)?"
        )
    wanted = choose_splits(splits, SPLITS, "emovdb")
    parts = builders(wanted)
    seen: set[str] = set()
    for wav in wavs:
        spk = speaker_of(wav, src)
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
        parts[split].add(Utt(uid, "", spk, text=text, extras=emotion_extras(orig, emo)), wav)
    return write_splits(parts, out, corpus="emovdb", num_workers=num_workers)
