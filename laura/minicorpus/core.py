"""What every mini-corpus builder shares: sizes, the build context, the registry of builders.

A *builder* makes one part of the corpus (one task's data dirs, e.g. ``asr`` or ``se``): a
function ``builder(ctx) -> manifest section`` registered in :data:`BUILDERS` with
:func:`register_builder`; it writes ``ctx.work/<task>/{train,dev,test}`` and returns a dict with at
least ``{"splits": {split: {"utterances": n, "duration_sec": s, ...}}}``. The builders live in
their own modules (``asr``, ``slu``, ``ser``, ``aac``, ``se``) and import only this module, so
``generate`` (which imports them all) is the one place that knows the whole set.
"""

from __future__ import annotations

import multiprocessing as mp
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from laura.data.kaldi import write_table
from laura.minicorpus.synth import SAMPLE_RATE, SynthJob, SynthResult, render
from laura.minicorpus.voices import Speaker

__all__ = [
    "GENERATOR_VERSION",
    "LANGS",
    "SPLITS",
    "SPLIT_CODE",
    "BUILD_ORDER",
    "TASK_LANGS",
    "SIZES",
    "SplitSize",
    "SpokenSize",
    "AacSize",
    "AsrSize",
    "SeSize",
    "SerSize",
    "SluSize",
    "SpeakerSize",
    "Utterance",
    "BuildContext",
    "BUILDERS",
    "register_builder",
    "assign_speakers",
    "split_summary",
]

# Bump when anything that changes the output changes (grammar, voices, synthesis, layout).
GENERATOR_VERSION = "2"  # 2: noise floor instead of digital silence
LANGS = ("en", "zh")
SPLITS = ("train", "dev", "test")
SPLIT_CODE = {"train": "tr", "dev": "dv", "test": "te"}
# every builder's name (the corpus's tasks), in build order (also the order of a request's task
# list)
BUILD_ORDER = ("asr", "s2tt", "slu", "ser", "aac", "se", "tts")
# tasks that need one particular language among the requested ones
TASK_LANGS = {"slu": ("en",), "ser": ("en",)}


@dataclass(frozen=True)
class SpeakerSize:
    """How many speakers per language: ``seen`` appear in train/dev/test, held-out only in test."""

    seen: dict[str, int]
    heldout_variants: dict[str, int]  # variants reserved for test (never in any training speaker)
    heldout_accents: int = 2  # accents combined with each held-out variant (en has 8, zh 1)


@dataclass(frozen=True)
class SplitSize:
    """How many items (what an item is: the subclass says) go into each split."""

    train: int
    dev: int
    test: int

    @property
    def counts(self) -> dict[str, int]:
        """``{split: items}`` in :data:`SPLITS` order."""
        return {"train": self.train, "dev": self.dev, "test": self.test}


@dataclass(frozen=True)
class SpokenSize(SplitSize):
    """A :class:`SplitSize` whose test split is partly spoken by held-out speakers."""

    test_heldout_frac: float = 0.5  # share of test utterances spoken by held-out speakers


# The tasks' own names, so that each builder's annotation says whose size it reads; no new fields,
# so no @dataclass needed.
class AsrSize(SpokenSize):
    """Utterances per language and split."""


class SluSize(SpokenSize):
    """English commands per split."""


class SerSize(SpokenSize):
    """Sentences per split; each sentence is spoken once in every emotion (balanced classes)."""


@dataclass(frozen=True)
class AacSize(SplitSize):
    """Sound-scene clips per split, ``captions`` paraphrases per clip."""

    captions: int = 5


@dataclass(frozen=True)
class SeSize(SplitSize):
    """Noisy/clean pairs per split (clean speech: ASR utterances of the same split)."""

    reverb_frac: float = 0.3  # share of pairs whose speech is reverberated (synthetic RIR)


# The size table: tune here. Each size has a "speakers" entry plus one entry per task that makes
# its own data; s2tt and tts reuse the ASR utterances (their size follows "asr").
SIZES: dict[str, dict[str, Any]] = {
    "test": {
        "speakers": SpeakerSize(seen={"en": 6, "zh": 4}, heldout_variants={"en": 1, "zh": 1}),
        "asr": AsrSize(train=24, dev=8, test=8),
        "slu": SluSize(train=24, dev=8, test=8),
        "ser": SerSize(train=6, dev=2, test=2),
        "aac": AacSize(train=8, dev=4, test=4),
        "se": SeSize(train=16, dev=8, test=8),
    },
    "demo": {
        "speakers": SpeakerSize(seen={"en": 48, "zh": 32}, heldout_variants={"en": 3, "zh": 3}),
        "asr": AsrSize(train=3000, dev=150, test=150),
        "slu": SluSize(train=1500, dev=150, test=150),
        "ser": SerSize(train=300, dev=30, test=30),
        "aac": AacSize(train=800, dev=100, test=100),
        "se": SeSize(train=1500, dev=100, test=200),
    },
}


@dataclass(frozen=True)
class Utterance:
    """One synthesised utterance, as task builders see it."""

    uttid: str
    spk: str
    lang: str
    split: str
    text_en: str
    text_zh: str
    wav: str  # path relative to the corpus root (posix)
    duration: float  # seconds

    @property
    def text(self) -> str:
        """The transcript (in the spoken language)."""
        return self.text_en if self.lang == "en" else self.text_zh


@dataclass
class BuildContext:
    """What a task builder gets: where to write, seeded randomness, speakers and helpers."""

    root: Path  # final corpus location: paths written into *.scp point here
    work: Path  # where files are written during the build (renamed to root at the end)
    seed: int
    size: str
    langs: tuple[str, ...]
    num_workers: int = 2
    progress: bool = True
    speakers: list[Speaker] = field(default_factory=list)
    products: dict[str, Any] = field(default_factory=dict)  # builder name -> what it made
    file_hashes: dict[str, str] = field(default_factory=dict)  # relpath -> sha256, known already
    durations: dict[str, float] = field(default_factory=dict)  # relpath -> seconds (audio made)

    def rng(self, *keys: str) -> random.Random:
        """An independent RNG stream per purpose: adding a task never perturbs another's data."""
        return random.Random(":".join([str(self.seed), *keys]))

    def int_seed(self, *keys: str) -> int:
        """A 63-bit integer seed per purpose (for numpy generators in worker processes)."""
        return self.rng(*keys).getrandbits(63)

    def spec(self, key: str) -> Any:
        """This size's entry for ``key`` (a task name or "speakers")."""
        return SIZES[self.size][key]

    def speaker(self, spk: str) -> Speaker:
        return self._spk_index()[spk]

    def _spk_index(self) -> dict[str, Speaker]:
        return {s.spk: s for s in self.speakers}

    def rel(self, path: str | Path) -> str:
        """``path`` (inside the work dir) relative to the corpus root, posix."""
        return Path(path).relative_to(self.work).as_posix()

    def record(self, path: str | Path, sha256: str, num_samples: int) -> str:
        """Remember an audio file written by a worker (hash for the checksum, duration)."""
        rel = self.rel(path)
        self.file_hashes[rel] = sha256
        self.durations[rel] = num_samples / SAMPLE_RATE
        return rel

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any], desc: str) -> list[Any]:
        """``[fn(x) for x in items]`` on ``num_workers`` forked processes, order preserved."""
        import scipy.signal  # noqa: F401 - import once here so forked workers inherit it

        if self.num_workers <= 1 or len(items) < 4:
            return [fn(x) for x in _progress(items, len(items), desc, self.progress)]
        with mp.get_context("fork").Pool(self.num_workers) as pool:
            it = pool.imap(fn, items, chunksize=4)
            return list(_progress(it, len(items), desc, self.progress))

    def synthesize(self, jobs: Sequence[SynthJob], desc: str = "synth") -> list[SynthResult]:
        """Render espeak-ng jobs in parallel (order preserved) and remember the wav hashes."""
        results = self.map(render, jobs, desc)
        for r in results:
            self.record(r.path, r.sha256, r.num_samples)
        return results

    def write_dir(
        self,
        task: str,
        split: str,
        wav: dict[str, str],
        utt2spk: dict[str, str],
        tables: dict[str, dict[str, str]],
        *,
        gender: bool = True,
    ) -> Path:
        """Write the Kaldi dir ``<task>/<split>``: ``wav.scp`` (``wav`` holds paths relative to
        the corpus root; written absolute), ``utt2spk``, ``spk2utt``, ``utt2dur``, ``spk2gender``
        (if ``gender``) and ``tables`` (name -> utt -> value), all sorted in byte order."""
        d = self.work / task / split
        d.mkdir(parents=True, exist_ok=True)
        spk2utt: dict[str, list[str]] = {}
        for u in sorted(utt2spk, key=str.encode):
            spk2utt.setdefault(utt2spk[u], []).append(u)
        out: dict[str, dict[str, str]] = {
            "wav.scp": {u: (self.root / p).as_posix() for u, p in wav.items()},
            "utt2spk": utt2spk,
            "spk2utt": {s: " ".join(us) for s, us in spk2utt.items()},
            "utt2dur": {u: f"{self.durations[p]:.3f}" for u, p in wav.items()},
        }
        if gender:
            idx = self._spk_index()
            out["spk2gender"] = {s: idx[s].gender for s in spk2utt}
        out.update(tables)
        for name, table in out.items():
            write_table(d / name, table)  # byte-order sorted, atomic
        return d

    def write_data_dir(
        self,
        task: str,
        split: str,
        utts: Sequence[Utterance],
        extra: dict[str, dict[str, str]] | None = None,
        *,
        parallel_text: bool = True,
    ) -> Path:
        """Write a speech data dir from utterances: ``text`` (+ ``text.en`` and ``text.zh``
        unless not ``parallel_text``), ``utt2lang``, and the tables of ``write_dir``."""
        for u in utts:
            self.durations.setdefault(u.wav, u.duration)
        tables: dict[str, dict[str, str]] = {
            "text": {u.uttid: u.text for u in utts},
            "utt2lang": {u.uttid: u.lang for u in utts},
        }
        if parallel_text:
            tables["text.en"] = {u.uttid: u.text_en for u in utts}
            tables["text.zh"] = {u.uttid: u.text_zh for u in utts}
        tables.update(extra or {})
        return self.write_dir(
            task,
            split,
            {u.uttid: u.wav for u in utts},
            {u.uttid: u.spk for u in utts},
            tables,
        )


TaskBuilder = Callable[[BuildContext], dict[str, Any]]
BUILDERS: dict[str, TaskBuilder] = {}  # name -> builder (LauraGPT's task specs: laura.data.tasks)


def register_builder(name: str) -> Callable[[TaskBuilder], TaskBuilder]:
    """Decorator: register the builder of ``OUT/<name>/{train,dev,test}`` in :data:`BUILDERS`."""

    def deco(fn: TaskBuilder) -> TaskBuilder:
        BUILDERS[name] = fn
        return fn

    return deco


def _progress(it: Iterable, total: int, desc: str, enabled: bool) -> Iterable:
    if not enabled:
        return it
    from tqdm import tqdm

    return tqdm(it, total=total, desc=desc, unit="utt", dynamic_ncols=True)


def assign_speakers(
    ctx: BuildContext, rng: random.Random, lang: str, split: str, n: int, heldout_frac: float
) -> list[Speaker]:
    """``n`` speakers for ``split``: seen speakers round-robin, and in test a ``heldout_frac``
    share of held-out speakers; shuffled with ``rng``."""
    seen = [s for s in ctx.speakers if s.lang == lang and not s.heldout]
    held = [s for s in ctx.speakers if s.lang == lang and s.heldout]
    n_held = round(n * heldout_frac) if split == "test" and held else 0
    spks = [held[i % len(held)] for i in range(n_held)]
    spks += [seen[i % len(seen)] for i in range(n - n_held)]
    rng.shuffle(spks)
    return spks


def split_summary(
    ctx: BuildContext, utt2spk: dict[str, str], wav: dict[str, str], speakers: bool = True
) -> dict[str, Any]:
    """The manifest entry of one split: counts, duration, (held-out) speakers."""
    dur = sum(ctx.durations[p] for p in wav.values())
    out: dict[str, Any] = {
        "utterances": len(utt2spk),
        "duration_sec": round(dur, 2),
        "hours": round(dur / 3600, 4),
    }
    if speakers:
        spks = sorted(set(utt2spk.values()))
        out["speakers"] = spks
        out["heldout_speakers"] = [s for s in spks if ctx.speaker(s).heldout]
    return out
