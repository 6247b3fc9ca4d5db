"""Build the offline mini corpus: ``make_mini_corpus(out, size, seed, langs, tasks=...)``.

Layout (Kaldi-style, like a real corpus)::

    OUT/manifest.json            what was asked for, counts, durations, speakers, checksum
    OUT/checksums.sha256         sha256 of every file (``cd OUT && sha256sum -c checksums.sha256``)
    OUT/speakers.tsv             one row per speaker (voice, variant, prosody, held-out?)
    OUT/wav/<spk>/<uttid>.wav    16 kHz mono 16-bit (ASR speech; other tasks: OUT/wav/<task>/)
    OUT/<task>/{train,dev,test}/ wav.scp utt2spk spk2utt utt2dur [text ...] + the task's tables

Tasks are produced by *task builders* registered in :data:`BUILDERS`: ``asr``, ``s2tt``,
``tts`` (:mod:`.asr`, one set of utterances), ``slu`` (:mod:`.slu`), ``ser`` (:mod:`.ser`),
``aac`` (:mod:`.aac`) and ``se`` (:mod:`.se`). A builder gets a :class:`BuildContext` (seeded
RNG streams, the speakers, a parallel map and synthesiser, data-dir writers, and the products of
earlier builders) and returns its manifest section. Audio of the newer tasks lives under
``OUT/wav/<task>/``; ASR speech (shared by s2tt, tts and, as clean speech, se) under
``OUT/wav/<spk>/``.

Everything is written to a temporary sibling directory that is renamed into place at the end, so
an interrupted run never leaves a half corpus that looks complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from laura.data.kaldi import atomic_write_text
from laura.io import sha256_file
from laura.minicorpus import aac, asr, se, ser, slu  # noqa: F401 - registers the task builders
from laura.minicorpus.core import (
    BUILD_ORDER,
    BUILDERS,
    GENERATOR_VERSION,
    LANGS,
    SIZES,
    TASK_LANGS,
    BuildContext,
)
from laura.minicorpus.synth import SAMPLE_RATE, espeak_version
from laura.minicorpus.voices import Speaker, plan_speakers

__all__ = ["default_tasks", "make_mini_corpus", "normalise_request", "verify_corpus"]

MANIFEST = "manifest.json"
CHECKSUMS = "checksums.sha256"


# ---------------------------------------------------------------------------------------------
# helpers
def _location_independent(rel: str) -> bool:
    # *.scp (wav.scp, clean.scp) hold absolute paths: keep them out of the corpus checksum so that
    # the same request built in two places gives the same checksum (they are still listed in
    # checksums.sha256).
    return not rel.endswith(".scp")


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


def default_tasks(langs: Iterable[str]) -> tuple[str, ...]:
    """Every registered task that ``langs`` can make (SLU and SER need English)."""
    langs = set(langs)
    return tuple(t for t in _ordered(BUILDERS) if set(TASK_LANGS.get(t, ())) <= langs)


def _ordered(tasks: Iterable[str]) -> list[str]:
    """Tasks in build order: ``BUILD_ORDER`` first, then other builders as registered."""
    order = list(dict.fromkeys([*BUILD_ORDER, *BUILDERS]))
    return sorted(set(tasks), key=order.index)


def normalise_request(
    size: str, langs: Iterable[str], tasks: Iterable[str] | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose from {sorted(SIZES)}")
    langs = tuple(langs)
    bad = set(langs) - set(LANGS)
    if bad or not langs:
        raise ValueError(f"langs must be a non-empty subset of {LANGS}, got {langs}")
    # canonical order, so ("zh", "en") and ("en", "zh") are the same request
    langs = tuple(x for x in LANGS if x in langs)
    if tasks is None:
        return langs, default_tasks(langs)
    tasks = tuple(tasks)
    bad = set(tasks) - set(BUILDERS)
    if bad or not tasks:
        raise ValueError(f"unknown tasks {sorted(bad)}; registered: {_ordered(BUILDERS)}")
    for t in tasks:
        missing = set(TASK_LANGS.get(t, ())) - set(langs)
        if missing:
            raise ValueError(f"task {t} needs langs {sorted(missing)} (got {list(langs)})")
    return langs, tuple(_ordered(tasks))


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
    """The corpus was moved: rewrite the absolute paths in *.scp files (cheap, no resynthesis)."""
    old = Path(manifest["root"])
    entries = _read_checksums(root)
    for rel in entries:
        if rel.endswith(".scp"):
            p = root / rel
            lines = []
            for line in p.read_text(encoding="utf-8").splitlines():
                uttid, path = line.split(" ", 1)
                lines.append(f"{uttid} {(root / Path(path).relative_to(old)).as_posix()}\n")
            p.write_text("".join(lines), encoding="utf-8")
            entries[rel] = sha256_file(p)
    _write_checksums(root, entries)
    manifest["root"] = root.as_posix()
    _write_json_atomic(root / MANIFEST, manifest)
    return manifest


# ---------------------------------------------------------------------------------------------
# the entry points
def make_mini_corpus(
    out: str | Path,
    size: str = "demo",
    seed: int = 0,
    langs: tuple[str, ...] = ("en", "zh"),
    num_workers: int = 2,
    force: bool = False,
    tasks: Sequence[str] | None = None,
    progress: bool = True,
) -> dict:
    """Generate (or reuse) the mini corpus at ``out``; return its manifest.

    ``tasks``: any subset of :data:`BUILD_ORDER` (default: every task the ``langs`` allow; SLU and
    SER need English). If ``out`` already holds a complete corpus for the same (generator
    version, seed, size, langs, tasks), nothing is rebuilt unless ``force``. A non-empty ``out``
    that is not a mini corpus is never overwritten.
    """
    langs, tasks = normalise_request(size, langs, tasks)
    root = Path(out).expanduser().resolve()
    request = _request(seed, size, langs, tasks)
    if not force and (manifest := _existing(root, request)) is not None:
        if manifest.get("root") != root.as_posix():
            manifest = _relocate(root, manifest)
        print(
            f"mini corpus {root} is up to date ({size}, seed {seed}, {'+'.join(langs)}, "
            f"tasks {','.join(tasks)}): skipping"
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
        sections = {}
        for task in tasks:
            t_task = time.time()
            sections[task] = BUILDERS[task](ctx)
            sections[task]["build_seconds"] = round(time.time() - t_task, 1)
        _write_speakers_tsv(work / "speakers.tsv", ctx.speakers)

        entries = {}
        for p in sorted(work.rglob("*")):
            if p.is_file():
                rel = p.relative_to(work).as_posix()
                entries[rel] = ctx.file_hashes.get(rel) or sha256_file(p)
        _write_checksums(work, entries)
        total = sum(ctx.durations.values())  # every audio file once (tasks share audio)
        manifest = {
            # the generator's name as recorded in every manifest so far (the package was
            # laura.data.mini): a label, not an import path; kept so manifests stay the same
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
            "audio_files": len(ctx.durations),
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
        (root / rel).is_file() and sha256_file(root / rel) == h for rel, h in entries.items()
    )
