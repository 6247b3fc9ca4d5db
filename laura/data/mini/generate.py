"""Build the offline mini corpus: ``make_mini_corpus(out, size, seed, langs)``.

Layout (Kaldi-style, like a real corpus)::

    OUT/manifest.json            what was asked for, counts, durations, speakers, checksum
    OUT/checksums.sha256         sha256 of every file (``cd OUT && sha256sum -c checksums.sha256``)
    OUT/speakers.tsv             one row per speaker (voice, variant, prosody, held-out?)
    OUT/wav/<spk>/<uttid>.wav    16 kHz mono 16-bit
    OUT/<task>/{train,dev,test}/ wav.scp text utt2spk spk2utt utt2lang utt2dur spk2gender ...

Tasks are produced by *task builders* registered in :data:`TASK_BUILDERS` (only ``"asr"`` for now;
later S2TT, SLU, SER, AAC, SE, TTS builders plug in with :func:`register_task`). A builder gets a
:class:`BuildContext` (seeded RNG streams, the speakers, a parallel synthesiser, a data-dir
writer, and the products of earlier builders) and returns its manifest section.

Everything is written to a temporary sibling directory that is renamed into place at the end, so
an interrupted run never leaves a half corpus that looks complete.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import os
import random
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from laura.data.kaldi import atomic_write_text, write_table
from laura.data.mini import grammar
from laura.data.mini.synth import SAMPLE_RATE, SynthJob, SynthResult, espeak_version, render
from laura.data.mini.voices import Speaker, plan_speakers, sample_prosody

__all__ = [
    "GENERATOR_VERSION",
    "LANGS",
    "SPLITS",
    "SIZES",
    "AsrSize",
    "SpeakerSize",
    "Utterance",
    "BuildContext",
    "TASK_BUILDERS",
    "register_task",
    "make_mini_corpus",
    "verify_corpus",
    "main",
]

# Bump when anything that changes the output changes (grammar, voices, synthesis, layout).
GENERATOR_VERSION = "2"  # 2: noise floor instead of digital silence
LANGS = ("en", "zh")
SPLITS = ("train", "dev", "test")
_SPLIT_CODE = {"train": "tr", "dev": "dv", "test": "te"}
MANIFEST = "manifest.json"
CHECKSUMS = "checksums.sha256"


@dataclass(frozen=True)
class SpeakerSize:
    """How many speakers per language: ``seen`` appear in train/dev/test, held-out only in test."""

    seen: dict[str, int]
    heldout_variants: dict[str, int]  # variants reserved for test (never in any training speaker)
    heldout_accents: int = 2  # accents combined with each held-out variant (en has 8, zh 1)


@dataclass(frozen=True)
class AsrSize:
    """Utterances per language and split."""

    train: int
    dev: int
    test: int
    test_heldout_frac: float = 0.5  # share of test utterances spoken by held-out speakers


# The size table: tune here. Each size has a "speakers" entry plus one entry per task.
SIZES: dict[str, dict[str, Any]] = {
    "test": {
        "speakers": SpeakerSize(seen={"en": 6, "zh": 4}, heldout_variants={"en": 1, "zh": 1}),
        "asr": AsrSize(train=24, dev=8, test=8),
    },
    "demo": {
        "speakers": SpeakerSize(seen={"en": 48, "zh": 32}, heldout_variants={"en": 3, "zh": 3}),
        "asr": AsrSize(train=3000, dev=150, test=150),
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

    root: Path  # final corpus location: paths written into wav.scp point here
    work: Path  # where files are written during the build (renamed to root at the end)
    seed: int
    size: str
    langs: tuple[str, ...]
    num_workers: int = 2
    progress: bool = True
    speakers: list[Speaker] = field(default_factory=list)
    products: dict[str, Any] = field(default_factory=dict)  # builder name -> what it made
    file_hashes: dict[str, str] = field(default_factory=dict)  # relpath -> sha256, known already

    def rng(self, *keys: str) -> random.Random:
        """An independent RNG stream per purpose: adding a task never perturbs another's data."""
        return random.Random(":".join([str(self.seed), *keys]))

    def spec(self, key: str) -> Any:
        """This size's entry for ``key`` (a task name or "speakers")."""
        return SIZES[self.size][key]

    def speaker(self, spk: str) -> Speaker:
        return self._spk_index()[spk]

    def _spk_index(self) -> dict[str, Speaker]:
        return {s.spk: s for s in self.speakers}

    def synthesize(self, jobs: Sequence[SynthJob], desc: str = "synth") -> list[SynthResult]:
        """Render jobs in parallel (order preserved) and remember the wav hashes."""
        import scipy.signal  # noqa: F401 - import once here so forked workers inherit it

        if self.num_workers <= 1:
            results = [render(j) for j in _progress(jobs, len(jobs), desc, self.progress)]
        else:
            with mp.get_context("fork").Pool(self.num_workers) as pool:
                it = pool.imap(render, jobs, chunksize=4)
                results = list(_progress(it, len(jobs), desc, self.progress))
        for r in results:
            self.file_hashes[Path(r.path).relative_to(self.work).as_posix()] = r.sha256
        return results

    def write_data_dir(
        self,
        task: str,
        split: str,
        utts: Sequence[Utterance],
        extra: dict[str, dict[str, str]] | None = None,
    ) -> Path:
        """Write a Kaldi-style data dir ``<task>/<split>`` (files sorted by key, byte order)."""
        d = self.work / task / split
        d.mkdir(parents=True, exist_ok=True)
        spk2utt: dict[str, list[str]] = {}
        for u in sorted(utts, key=lambda u: u.uttid.encode()):
            spk2utt.setdefault(u.spk, []).append(u.uttid)
        idx = self._spk_index()
        tables: dict[str, dict[str, str]] = {
            "wav.scp": {u.uttid: (self.root / u.wav).as_posix() for u in utts},
            "text": {u.uttid: u.text for u in utts},
            "text.en": {u.uttid: u.text_en for u in utts},
            "text.zh": {u.uttid: u.text_zh for u in utts},
            "utt2spk": {u.uttid: u.spk for u in utts},
            "utt2lang": {u.uttid: u.lang for u in utts},
            "utt2dur": {u.uttid: f"{u.duration:.3f}" for u in utts},
            "spk2utt": {s: " ".join(us) for s, us in spk2utt.items()},
            "spk2gender": {s: idx[s].gender for s in spk2utt},
        }
        tables.update(extra or {})
        for name, table in tables.items():
            write_table(d / name, table)  # byte-order sorted, atomic
        return d


TaskBuilder = Callable[[BuildContext], dict[str, Any]]
TASK_BUILDERS: dict[str, TaskBuilder] = {}  # insertion order = build order


def register_task(name: str) -> Callable[[TaskBuilder], TaskBuilder]:
    """Decorator: register a task builder that writes ``OUT/<name>/{train,dev,test}``."""

    def deco(fn: TaskBuilder) -> TaskBuilder:
        TASK_BUILDERS[name] = fn
        return fn

    return deco


# ---------------------------------------------------------------------------------------------
# helpers
def _progress(it: Iterable, total: int, desc: str, enabled: bool) -> Iterable:
    if not enabled:
        return it
    from tqdm import tqdm

    return tqdm(it, total=total, desc=desc, unit="utt", dynamic_ncols=True)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _location_independent(rel: str) -> bool:
    # wav.scp holds absolute paths: keep it out of the corpus checksum so that the same request
    # built in two places gives the same checksum (it is still listed in checksums.sha256).
    return not rel.endswith("wav.scp")


def _corpus_checksum(entries: dict[str, str]) -> str:
    h = hashlib.sha256()
    for rel in sorted(entries, key=str.encode):
        if _location_independent(rel):
            h.update(f"{entries[rel]}  {rel}\n".encode())
    return h.hexdigest()


def _request(
    seed: int, size: str, langs: tuple[str, ...], tasks: tuple[str, ...]
) -> dict[str, Any]:
    return {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "size": size,
        "langs": list(langs),
        "tasks": list(tasks),
    }


def _normalise_request(
    size: str, langs: Iterable[str], tasks: Iterable[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose from {sorted(SIZES)}")
    langs = tuple(langs)
    bad = set(langs) - set(LANGS)
    if bad or not langs:
        raise ValueError(f"langs must be a non-empty subset of {LANGS}, got {langs}")
    tasks = tuple(tasks)
    bad = set(tasks) - set(TASK_BUILDERS)
    if bad or not tasks:
        raise ValueError(f"unknown tasks {sorted(bad)}; registered: {list(TASK_BUILDERS)}")
    # canonical order, so ("zh", "en") and ("en", "zh") are the same request
    return tuple(x for x in LANGS if x in langs), tuple(t for t in TASK_BUILDERS if t in tasks)


def _read_checksums(root: Path) -> dict[str, str]:
    entries = {}
    for line in (root / CHECKSUMS).read_text(encoding="utf-8").splitlines():
        digest, rel = line.split("  ", 1)
        entries[rel] = digest
    return entries


def _write_checksums(root: Path, entries: dict[str, str]) -> None:
    lines = [f"{entries[rel]}  {rel}\n" for rel in sorted(entries, key=str.encode)]
    atomic_write_text(root / CHECKSUMS, "".join(lines))


def _write_json_atomic(path: Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def _existing(root: Path, request: dict[str, Any]) -> dict[str, Any] | None:
    """The manifest of a complete corpus at ``root`` built for ``request``, else None."""
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("request") != request:
            return None
        entries = _read_checksums(root)
    except (OSError, ValueError):
        return None
    if _corpus_checksum(entries) != manifest.get("checksum"):
        return None
    if not all((root / rel).is_file() for rel in entries):
        return None
    return manifest


def _relocate(root: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """The corpus was moved: rewrite the absolute paths in wav.scp files (cheap, no resynthesis)."""
    old = Path(manifest["root"])
    entries = _read_checksums(root)
    for rel in entries:
        if rel.endswith("wav.scp"):
            p = root / rel
            lines = []
            for line in p.read_text(encoding="utf-8").splitlines():
                uttid, path = line.split(" ", 1)
                lines.append(f"{uttid} {(root / Path(path).relative_to(old)).as_posix()}\n")
            p.write_text("".join(lines), encoding="utf-8")
            entries[rel] = _sha256_file(p)
    _write_checksums(root, entries)
    manifest["root"] = root.as_posix()
    _write_json_atomic(root / MANIFEST, manifest)
    return manifest


# ---------------------------------------------------------------------------------------------
# the ASR builder
@register_task("asr")
def build_asr(ctx: BuildContext) -> dict[str, Any]:
    """Speech + transcript for each language; text.en / text.zh hold the parallel translations.

    Sentences of test and dev are never used in train (neither their English nor their Chinese
    text); part of test is spoken by held-out speakers.
    """
    spec: AsrSize = ctx.spec("asr")
    counts = {"train": spec.train, "dev": spec.dev, "test": spec.test}
    # one stream of unique sentence pairs, cut into (split, lang) blocks: test first so that the
    # test sentences depend least on the other sizes
    order = [(split, lang) for split in ("test", "dev", "train") for lang in ctx.langs]
    pairs = grammar.unique_pairs(ctx.rng("asr", "sentences"), sum(counts[s] for s, _ in order))
    blocks: dict[tuple[str, str], list[grammar.Pair]] = {}
    pos = 0
    for split, lang in order:
        blocks[split, lang] = pairs[pos : pos + counts[split]]
        pos += counts[split]

    jobs: list[SynthJob] = []
    meta: list[tuple[str, str, str, grammar.Pair]] = []  # spk, lang, split, pair
    for lang in ctx.langs:
        seen = [s for s in ctx.speakers if s.lang == lang and not s.heldout]
        held = [s for s in ctx.speakers if s.lang == lang and s.heldout]
        for split in SPLITS:
            n = counts[split]
            n_held = round(n * spec.test_heldout_frac) if split == "test" and held else 0
            spks = [held[i % len(held)] for i in range(n_held)]
            spks += [seen[i % len(seen)] for i in range(n - n_held)]
            rng = ctx.rng("asr", "assign", lang, split)
            rng.shuffle(spks)
            for i, (spk, pair) in enumerate(zip(spks, blocks[split, lang], strict=True)):
                uttid = f"{spk.spk}-{_SPLIT_CODE[split]}{i:05d}"
                pros = sample_prosody(rng, spk)
                text = pair.en if lang == "en" else pair.zh
                path = ctx.work / "wav" / spk.spk / f"{uttid}.wav"
                jobs.append(
                    SynthJob(
                        uttid,
                        str(path),
                        text,
                        spk.voice,
                        pros.speed,
                        pros.pitch,
                        pros.pitch_range,
                        pros.peak,
                        pros.lead,
                        pros.trail,
                    )  # fmt: skip
                )
                meta.append((spk.spk, lang, split, pair))

    results = ctx.synthesize(jobs, desc="asr")
    by_split: dict[str, list[Utterance]] = {s: [] for s in SPLITS}
    for job, res, (spk, lang, split, pair) in zip(jobs, results, meta, strict=True):
        rel = Path(res.path).relative_to(ctx.work).as_posix()
        by_split[split].append(
            Utterance(
                job.uttid, spk, lang, split, pair.en, pair.zh, rel, res.num_samples / SAMPLE_RATE
            )
        )
    section: dict[str, Any] = {"splits": {}}
    for split, utts in by_split.items():
        ctx.write_data_dir("asr", split, utts)
        spks = sorted({u.spk for u in utts})
        dur = sum(u.duration for u in utts)
        section["splits"][split] = {
            "utterances": len(utts),
            "per_lang": {lang: sum(u.lang == lang for u in utts) for lang in ctx.langs},
            "duration_sec": round(dur, 2),
            "hours": round(dur / 3600, 4),
            "speakers": spks,
            "heldout_speakers": [s for s in spks if ctx.speaker(s).heldout],
        }
    train_spk = set(section["splits"]["train"]["speakers"])
    assert not any(ctx.speaker(s).heldout for s in train_spk)
    ctx.products["asr"] = by_split
    return section


# ---------------------------------------------------------------------------------------------
# the entry points
def make_mini_corpus(
    out: str | Path,
    size: str = "demo",
    seed: int = 0,
    langs: tuple[str, ...] = ("en", "zh"),
    num_workers: int = 2,
    force: bool = False,
    tasks: tuple[str, ...] = ("asr",),
    progress: bool = True,
) -> dict:
    """Generate (or reuse) the mini corpus at ``out``; return its manifest.

    If ``out`` already holds a complete corpus for the same (generator version, seed, size, langs,
    tasks), nothing is rebuilt unless ``force``. A non-empty ``out`` that is not a mini corpus is
    never overwritten.
    """
    langs, tasks = _normalise_request(size, langs, tasks)
    root = Path(out).expanduser().resolve()
    request = _request(seed, size, langs, tasks)
    if not force and (manifest := _existing(root, request)) is not None:
        if manifest.get("root") != root.as_posix():
            manifest = _relocate(root, manifest)
        print(
            f"mini corpus {root} is up to date ({size}, seed {seed}, {'+'.join(langs)}): skipping"
        )
        return manifest
    if root.exists() and (
        not root.is_dir() or (any(root.iterdir()) and not (root / MANIFEST).exists())
    ):
        raise FileExistsError(f"{root} exists and is not a mini corpus; refusing to overwrite it")

    t0 = time.time()
    work = root.parent / f".{root.name}.partial-{os.getpid()}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    try:
        ctx = BuildContext(root, work, seed, size, langs, num_workers, progress)
        sp = ctx.spec("speakers")
        ctx.speakers = plan_speakers(
            ctx.rng("speakers"), langs, sp.seen, sp.heldout_variants, sp.heldout_accents
        )
        sections = {task: TASK_BUILDERS[task](ctx) for task in tasks}
        _write_speakers_tsv(work / "speakers.tsv", ctx.speakers)

        entries = {}
        for p in sorted(work.rglob("*")):
            if p.is_file():
                rel = p.relative_to(work).as_posix()
                entries[rel] = ctx.file_hashes.get(rel) or _sha256_file(p)
        _write_checksums(work, entries)
        total = sum(
            s["duration_sec"] for sec in sections.values() for s in sec.get("splits", {}).values()
        )
        manifest = {
            "generator": "laura.data.mini",
            "request": request,
            **request,
            "root": root.as_posix(),
            "espeak_ng": espeak_version(),
            "sample_rate": SAMPLE_RATE,
            "counts": {
                f"{task}/{split}": s["utterances"]
                for task, sec in sections.items()
                for split, s in sec.get("splits", {}).items()
            },
            "total_duration_sec": round(total, 2),
            "total_hours": round(total / 3600, 4),
            "tasks_info": sections,
            "speakers": {s.spk: s.to_dict() for s in ctx.speakers},
            "num_files": len(entries),
            "checksum": _corpus_checksum(entries),
            "build_seconds": round(time.time() - t0, 1),
        }
        _write_json_atomic(work / MANIFEST, manifest)  # last file written: marks completeness
        # swap into place; the old corpus (if any) is removed only after the rename succeeded
        old = None
        if root.exists():
            old = root.parent / f".{root.name}.old-{os.getpid()}"
            root.rename(old)
        work.rename(root)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def _write_speakers_tsv(path: Path, speakers: Sequence[Speaker]) -> None:
    cols = [
        "spk",
        "lang",
        "accent",
        "variant",
        "gender",
        "speed",
        "pitch",
        "pitch_range",
        "gain",
        "heldout",
    ]
    lines = ["\t".join(cols)]
    for s in speakers:
        d = s.to_dict()
        lines.append("\t".join(str(int(d[c]) if c == "heldout" else d[c]) for c in cols))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def verify_corpus(out: str | Path) -> bool:
    """Re-hash every file listed in ``checksums.sha256``; True if all match the manifest."""
    root = Path(out).expanduser().resolve()
    manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    entries = _read_checksums(root)
    if _corpus_checksum(entries) != manifest["checksum"]:
        return False
    return all(
        (root / rel).is_file() and _sha256_file(root / rel) == h for rel, h in entries.items()
    )


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m laura.data.mini.generate --out data/mini --size demo``."""
    ap = argparse.ArgumentParser(prog="laura mini-corpus", description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--size", default="demo", choices=sorted(SIZES))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--langs", default=",".join(LANGS), help="comma-separated, e.g. en,zh")
    ap.add_argument(
        "--tasks", default="asr", help=f"comma-separated; registered: {','.join(TASK_BUILDERS)}"
    )
    ap.add_argument("--num-workers", type=int, default=2)
    ap.add_argument("--force", action="store_true", help="rebuild even if up to date")
    ap.add_argument("--verify", action="store_true", help="re-hash all files afterwards")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    m = make_mini_corpus(
        args.out,
        size=args.size,
        seed=args.seed,
        langs=tuple(x for x in args.langs.split(",") if x),
        num_workers=args.num_workers,
        force=args.force,
        tasks=tuple(x for x in args.tasks.split(",") if x),
        progress=not args.no_progress,
    )
    counts = ", ".join(f"{k} {v}" for k, v in m["counts"].items())
    print(f"{m['root']}: {counts}; {m['total_hours']:.2f} h; checksum {m['checksum'][:16]}")
    if args.verify:
        ok = verify_corpus(args.out)
        print("verify:", "ok" if ok else "FAILED")
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
