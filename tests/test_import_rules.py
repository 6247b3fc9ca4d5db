"""Import rules between laura's modules, checked on the source (``ast``), not by importing it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / "laura" / "data" / "corpora"
CORPORA_PKG = "laura.data.corpora"
CORPORA_SHARED = ("common", "__init__")  # what a corpus module may import from its package


def imported_modules(path: Path, package: str) -> list[tuple[int, str]]:
    """(line, absolute dotted name) of everything ``path`` imports: ``import a.b`` gives ``a.b``;
    ``from a import b`` gives ``a.b`` (``b`` may be a module) and ``a``; relative imports are
    resolved against ``package``."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, or level - 1 packages up
                parent = package.rsplit(".", node.level - 1)[0]
                base = f"{parent}.{base}" if base else parent
            out.append((node.lineno, base))
            out += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return out


def test_corpus_modules_import_no_sibling_corpus_module():
    """A corpus module shares code through ``common`` only, so that no corpus module silently
    becomes a library of others (docs/corpora.md, "Adding a corpus"); the failure names the file,
    the line and the sibling it imports."""
    modules = {p.stem for p in CORPORA.glob("*.py")} | {
        p.name for p in CORPORA.iterdir() if (p / "__init__.py").is_file()
    }
    corpus_modules = modules - set(CORPORA_SHARED)
    assert "common" in modules and len(corpus_modules) > 10  # looking at the right folder
    bad: dict[str, None] = {}  # ordered set: `from a.b import c` names a.b and a.b.c
    for path in sorted(CORPORA.glob("*.py")):
        for line, name in imported_modules(path, CORPORA_PKG):
            first = name.removeprefix(f"{CORPORA_PKG}.").split(".")[0]
            if name.startswith(f"{CORPORA_PKG}.") and first in corpus_modules:
                bad[f"{path.relative_to(ROOT)}:{line}: imports {CORPORA_PKG}.{first}"] = None
    assert not bad, "corpus modules may import only common from their package:\n" + "\n".join(bad)


def _package_of(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts if parts[-1] == "__init__" and parts.pop() else parts[:-1])


def _violations(folder: str, forbidden: tuple[str, ...], top_level_only: bool = False) -> list[str]:
    """``file:line: imports X`` for every import under ``laura/<folder>`` of a module starting
    with one of ``forbidden`` (``top_level_only``: imports at module level, not inside a
    function)."""
    bad = []
    for path in sorted((ROOT / "laura" / folder).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        nodes = tree.body if top_level_only else list(ast.walk(tree))
        lines = {n.lineno for n in nodes if isinstance(n, (ast.Import, ast.ImportFrom))}
        for line, name in imported_modules(path, _package_of(path)):
            if line in lines and any(name == f or name.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(ROOT)}:{line}: imports {name}")
    return sorted(set(bad))


def test_nn_is_pure_torch():
    """laura/nn (the models as torch modules) imports neither Lightning nor the data, training,
    CLI or metrics layers above it: it can be read and reused alone."""
    forbidden = (
        "lightning",
        "pytorch_lightning",
        "laura.data",
        "laura.models",
        "laura.bin",
        "laura.cli",
        "laura.train",
        "laura.decode",
        "laura.metrics",
        "laura.config",
    )
    bad = _violations("nn", forbidden)
    assert not bad, "laura/nn imports a layer above it:\n" + "\n".join(bad)


def test_storage_modules_import_only_each_other():
    """errors, io, checkpoints and artefact (how models are written and read) import no other
    laura module, so every layer, nn included, may use them."""
    storage = {"laura.errors", "laura.io", "laura.checkpoints", "laura.artefact"}
    bad = []
    for name in sorted(storage):
        path = ROOT / (name.replace(".", "/") + ".py")
        for line, mod in imported_modules(path, "laura"):
            top = ".".join(mod.split(".")[:2])
            if mod.startswith("laura.") and top not in storage:
                bad.append(f"{path.relative_to(ROOT)}:{line}: imports {mod}")
    assert not bad, "a storage module imports a layer:\n" + "\n".join(bad)


def test_layers_import_downwards_only():
    """nn <- models <- bin: models do not reach up to the verbs; nothing but laura/bin and
    laura/cli.py parses a command line; data and metrics do not import the models."""
    bad = _violations("models", ("laura.bin", "laura.cli"))
    bad += _violations("data", ("laura.models", "laura.bin", "laura.cli", "laura.train"))
    bad += _violations("metrics", ("laura.models", "laura.bin", "laura.cli", "laura.train"))
    for folder in ("nn", "models", "data", "metrics", "text"):
        bad += _violations(folder, ("argparse",))
    for path in sorted((ROOT / "laura").glob("*.py")):
        if path.name != "cli.py" and "import argparse" in path.read_text(encoding="utf-8"):
            bad.append(f"{path.relative_to(ROOT)}: imports argparse (a verb belongs in laura/bin)")
    assert not bad, "an import against the layering (docs/architecture.md):\n" + "\n".join(bad)


def test_nothing_below_the_verbs_imports_the_mini_corpus():
    """laura/minicorpus (the offline corpus generator) may use laura.data (kaldi, augment), not
    the other way round: data, nn, models and metrics never import it."""
    bad = []
    for folder in ("data", "nn", "models", "metrics"):
        bad += _violations(folder, ("laura.minicorpus",))
    assert not bad, "an import of the mini corpus generator:\n" + "\n".join(bad)


def test_verb_modules_import_only_light_modules_at_load():
    """`laura VERB --help` builds the verb's parser without torch: laura/bin modules import the
    work they do inside run()."""
    heavy = (
        "torch",
        "numpy",
        "lightning",
        "laura.models",
        "laura.nn",
        "laura.data",
        "laura.metrics",
        "laura.train",
        "laura.decode",
    )
    bad = _violations("bin", heavy, top_level_only=True)
    assert not bad, "laura/bin imports heavy modules at load:\n" + "\n".join(bad)
