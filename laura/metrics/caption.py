"""Audio captioning metrics (``TaskSpec.metric == "caption"``, task AAC): CIDEr-D and METEOR, and
SPICE and SPIDEr when local Stanford CoreNLP jars are given.

Each hypothesis (the decode dir's ``hyp``) is scored against *every* reference caption of its clip:
the data dir's ``caption1`` .. ``captionN`` tables (``TaskSpec.references_of``; a clip with fewer
captions has an empty line in the tables it lacks, as every table lists every utterance; a data
dir with a single ``caption`` table gives one reference per clip). The figures are those of
coco-caption as the DCASE AAC evaluation runs it (``caption-evaluation-tools``: ``COCOEvalCap``
of ``pycocoevalcap``), each computed over the utterances of a group as if that group were the
test set:

* Tokenisation: coco-caption's ``PTBTokenizer`` (Stanford CoreNLP 3.4.1's PTB tokenizer, the jar
  bundled in pycocoevalcap, run with java: ``-preserveLines -lowerCase``, then its punctuation
  tokens dropped) on hypotheses and references alike; every metric sees the tokenised text.
* CIDEr-D (``cider_d``, a reimplementation checked against pycocoevalcap's ``Cider``, whose code
  *is* CIDEr-D: the same formula as ``ciderD_scorer`` of the CIDEr authors and ``cider_d`` of
  aac-metrics): per n = 1..4, the cosine of the hypothesis's and a reference's tf-idf n-gram
  vectors, with the hypothesis weights clipped at the reference's (``min(h, r) * r``) and a
  Gaussian length penalty ``exp(-d^2 / (2 * 6^2))``; averaged over n and over the references,
  times 10; the corpus value is the mean over clips. The idf is ``log(clips) - log(df)``, df the
  number of clips of the scored set whose references hold the n-gram, so a group's CIDEr-D uses
  the group's references only, and a group of one clip has none (every idf is 0): reported as not
  computed, as aac-metrics refuses it.
* METEOR: pycocoevalcap's ``meteor-1.5.jar`` (``-l en -norm``, as its ``Meteor`` runs it): one
  ``SCORE`` line per clip with all its references gives the clip's statistics, ``EVAL`` over the
  group's statistics the corpus METEOR (from the summed statistics, not a mean of clip scores).
  The jar loads its paraphrase table at start (about 10 s, 1 GB): one java process serves a
  scoring run (every clip's ``SCORE``, every group's ``EVAL``) and stops with the scorer.
* SPICE (option ``corenlp_dir``): pycocoevalcap's ``spice-1.0.jar`` needs
  ``stanford-corenlp-3.6.0.jar`` and ``stanford-corenlp-3.6.0-models.jar``, which pycocoevalcap
  downloads at first use; nothing is downloaded here, so ``corenlp_dir`` must hold them. The group
  value is the mean of the clips' SPICE F-scores (``All``/``f``), as ``Spice.compute_score``;
  SPIDEr = (CIDEr-D + SPICE) / 2. Without ``corenlp_dir`` both are NaN (an empty table cell,
  ``null`` in scores.json) and ``not_computed`` gives the reason: they are never estimated.
  (The SPICE run itself is untested here, the jars being unavailable offline, and SPICE 1.0 was
  built for Java 8; its command and the reading of its output are tested with a stand-in.)

A group's ``scores``: ``cider_d``, ``meteor``, ``spice``, ``spider`` (NaN when not computed),
``not_computed`` (metric -> reason), ``refs_per_clip`` ("5", or "1-5" when clips differ),
``n_refs``, ``n_empty`` (hypotheses with no token after tokenisation, missing ones included) and
``n_missing``. ``per_utt`` keeps each hypothesis with its CIDEr-D (idf of the whole scored set),
METEOR (the jar's segment score) and SPICE.

Bad input: a ``ref`` id with no line in ``hyp`` is scored as an empty hypothesis and counted;
``ref`` ids not in the data dir, ``hyp`` ids not in ``ref``, a data dir without reference
captions for a scored utterance and a ``ref`` text that is none of the clip's captions (a decode
of another data dir) raise ``DataError`` naming the file. pycocoevalcap (and java) are needed:
their absence raises ``ConfigError``.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import subprocess
import tempfile
import weakref
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from laura.errors import ConfigError, DataError
from laura.metrics.scoring import Column, Decoded, Scorer, read_ref_hyp

__all__ = [
    "CORENLP_JARS",
    "CaptionScorer",
    "MeteorJar",
    "cider_d",
    "meteor",
    "ptb_tokenize",
    "spice",
]

log = logging.getLogger(__name__)

CORENLP_JARS = ("stanford-corenlp-3.6.0.jar", "stanford-corenlp-3.6.0-models.jar")
SPICE_MISSING = (
    "not computed: SPICE needs Stanford CoreNLP 3.6.0 ("
    + " and ".join(CORENLP_JARS)
    + "), which is not downloaded here: give corenlp_dir, a directory holding them"
)
SPIDER_MISSING = "not computed: SPIDEr = (CIDEr-D + SPICE) / 2, and there is no {}"
CIDER_ONE_CLIP = (
    "not computed: CIDEr-D needs at least 2 clips (its idf, log(clips / df), is 0 for every "
    "n-gram of a single clip)"
)


# --- the tools --------------------------------------------------------------------------------


def _pycocoevalcap_dir() -> Path:
    try:
        from pycocoevalcap.tokenizer import ptbtokenizer
    except ImportError:
        raise ConfigError(
            "the caption metrics need pycocoevalcap (pip install pycocoevalcap): its jars "
            "tokenise the captions and compute METEOR and SPICE"
        ) from None
    return Path(ptbtokenizer.__file__).resolve().parents[1]


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise ConfigError(
            "the caption metrics need java on PATH (coco-caption's PTB tokenizer, METEOR and "
            "SPICE are java programs)"
        )
    return java


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def ptb_tokenize(sentences: Sequence[str]) -> list[str]:
    """coco-caption's tokenisation of each sentence: Stanford's PTBTokenizer (lower case), then
    its punctuation tokens dropped; one java call for all sentences."""
    from pycocoevalcap.tokenizer.ptbtokenizer import PUNCTUATIONS

    jar = _pycocoevalcap_dir() / "tokenizer" / "stanford-corenlp-3.4.1.jar"
    # One line per sentence, as coco-caption writes them; any line break inside a sentence
    # (str.splitlines knows them all) would split it, so it becomes a space.
    lines = [" ".join(s.splitlines()) for s in sentences]
    # Blank lines are left out: the tokenizer's output for a blank last line is ambiguous, and a
    # blank sentence has no tokens anyway.
    todo = [i for i, s in enumerate(lines) if s.strip()]
    out = [""] * len(lines)
    if not todo:
        return out
    with tempfile.TemporaryDirectory(prefix="laura_ptb_") as tmp:
        path = Path(tmp) / "captions.txt"
        path.write_text("\n".join(lines[i] for i in todo), encoding="utf-8")
        cmd = [_java(), "-cp", str(jar), "edu.stanford.nlp.process.PTBTokenizer"]
        proc = subprocess.run(
            [*cmd, "-preserveLines", "-lowerCase", str(path)], capture_output=True, check=False
        )
    if proc.returncode != 0:
        raise RuntimeError(f"PTBTokenizer failed:\n{_tail(proc.stderr.decode(errors='replace'))}")
    got = proc.stdout.decode("utf-8").split("\n")
    # the output may or may not end with a newline; any other difference in the line count
    # means the alignment of sentences and lines is lost
    if len(got) < len(todo) or any(x.strip() for x in got[len(todo) :]):
        raise RuntimeError(f"PTBTokenizer returned {len(got)} lines for {len(todo)} sentences")
    for i, line in zip(todo, got):
        out[i] = " ".join(w for w in line.rstrip().split(" ") if w not in PUNCTUATIONS)
    return out


def _ngram_counts(sentence: str, n: int) -> Counter[tuple[str, ...]]:
    words = sentence.split()
    return Counter(
        tuple(words[i : i + k]) for k in range(1, n + 1) for i in range(len(words) - k + 1)
    )


def cider_d(
    hyps: Sequence[str], refs: Sequence[Sequence[str]], n: int = 4, sigma: float = 6.0
) -> tuple[float, list[float]]:
    """CIDEr-D of tokenised hypotheses, each against its list of tokenised references: the corpus
    value (mean over clips) and the clips' values. The document frequencies come from ``refs``
    (the scored set), so at least two clips are needed."""
    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} hypotheses but {len(refs)} reference lists")
    if len(hyps) < 2:
        raise ValueError(CIDER_ONE_CLIP)
    if any(not r for r in refs):
        raise ValueError("every hypothesis needs at least one reference")
    hyp_counts = [_ngram_counts(h, n) for h in hyps]
    ref_counts = [[_ngram_counts(r, n) for r in rs] for rs in refs]
    df: Counter[tuple[str, ...]] = Counter()
    for rs in ref_counts:
        df.update({g for c in rs for g in c})
    log_clips = math.log(len(hyps))

    def vector(counts: Counter) -> tuple[list[dict], list[float], int]:
        vec: list[dict] = [{} for _ in range(n)]
        norm = [0.0] * n
        length = 0
        for g, tf in counts.items():
            k = len(g) - 1
            # an n-gram in no reference counts as df 1, as coco-caption does
            w = tf * (log_clips - math.log(max(1.0, df[g])))
            vec[k][g] = w
            norm[k] += w * w
            if k == 1:
                # coco-caption's "length" counts bigrams (n index 1), not words; kept, because
                # it changes the length penalty of one-word and empty captions
                length += tf
        return vec, [math.sqrt(x) for x in norm], length

    scores = []
    for hc, rcs in zip(hyp_counts, ref_counts):
        hv, hn, hl = vector(hc)
        total = [0.0] * n
        for rc in rcs:
            rv, rn, rl = vector(rc)
            penalty = math.exp(-((hl - rl) ** 2) / (2 * sigma**2))
            for k in range(n):
                # clipped: a hypothesis n-gram counts at most as much as in the reference
                dot = sum(min(w, rv[k].get(g, 0.0)) * rv[k].get(g, 0.0) for g, w in hv[k].items())
                if hn[k] and rn[k]:
                    dot /= hn[k] * rn[k]
                total[k] += dot * penalty
        scores.append(10.0 * sum(total) / n / len(rcs))
    return sum(scores) / len(scores), scores


def _stop(proc: subprocess.Popen, err: IO[bytes]) -> None:
    try:
        if proc.stdin is not None:
            proc.stdin.close()
    except OSError:
        pass
    proc.kill()
    proc.wait()
    err.close()


class MeteorJar:
    """A running ``meteor-1.5.jar -stdio`` of pycocoevalcap, spoken to as its ``Meteor`` does."""

    def __init__(self) -> None:
        meteor_dir = _pycocoevalcap_dir() / "meteor"
        cmd = [_java(), "-jar", "-Xmx2G", str(meteor_dir / "meteor-1.5.jar")]
        # stderr to a file: a pipe nobody reads could fill up and stall the jar
        self._err = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [*cmd, "-", "-", "-stdio", "-l", "en", "-norm"],
            cwd=meteor_dir,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._err,
        )
        self._close = weakref.finalize(self, _stop, self._proc, self._err)

    @property
    def alive(self) -> bool:
        return self._close.alive and self._proc.poll() is None

    def close(self) -> None:
        self._close()

    def __enter__(self) -> MeteorJar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _fail(self) -> RuntimeError:
        self._err.seek(0)
        err = _tail(self._err.read().decode(errors="replace"))
        self.close()
        return RuntimeError(f"meteor-1.5.jar stopped answering:\n{err}")

    def _answer(self) -> str:
        assert self._proc.stdout is not None
        answer = self._proc.stdout.readline().decode().strip()
        if not answer:
            raise self._fail()
        return answer

    def _ask(self, line: str) -> str:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(f"{line}\n".encode())
            self._proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise self._fail() from None
        return self._answer()

    def stats(self, hyp: str, refs: Sequence[str]) -> str:
        """The jar's statistics of one hypothesis against its references."""
        # pycocoevalcap's Meteor._stat: '|||' separates the fields of the line
        hyp = hyp.replace("|||", "").replace("  ", " ")
        return self._ask(" ||| ".join(("SCORE", " ||| ".join(refs), hyp)))

    def evaluate(self, stats: Sequence[str]) -> tuple[float, list[float]]:
        """Corpus METEOR of these statistics and each segment's score."""
        if not stats:
            raise ValueError("no statistics to evaluate")
        # the jar answers EVAL with one line per segment, then the corpus score
        first = self._ask("EVAL ||| " + " ||| ".join(stats))
        lines = [first, *(self._answer() for _ in stats)]
        return float(lines[-1]), [float(x) for x in lines[:-1]]


def meteor(hyps: Sequence[str], refs: Sequence[Sequence[str]]) -> tuple[float, list[float]]:
    """Corpus METEOR of tokenised hypotheses against their tokenised references, and each clip's
    score, as pycocoevalcap's ``Meteor.compute_score`` (a jar started for this call)."""
    with MeteorJar() as jar:
        return jar.evaluate([jar.stats(h, r) for h, r in zip(hyps, refs, strict=True)])


def _corenlp_jars(corenlp_dir: str | Path) -> list[Path]:
    d = Path(corenlp_dir)
    jars = [d / name for name in CORENLP_JARS]
    missing = [p.name for p in jars if not p.is_file()]
    if missing:
        raise ConfigError(f"corenlp_dir {d}: no {' or '.join(missing)} (SPICE needs both)")
    return jars


def _run_spice(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"SPICE failed:\n{_tail(proc.stderr.decode(errors='replace'))}")


def spice(
    hyps: Sequence[str], refs: Sequence[Sequence[str]], corenlp_dir: str | Path
) -> list[float]:
    """Each clip's SPICE F-score (NaN where SPICE gives none) of tokenised hypotheses against
    their tokenised references: pycocoevalcap's spice-1.0.jar with the CoreNLP jars of
    ``corenlp_dir`` on its class path."""
    jars = _corenlp_jars(corenlp_dir)
    spice_dir = _pycocoevalcap_dir() / "spice"
    items = [
        {"image_id": i, "test": h, "refs": list(r)}
        for i, (h, r) in enumerate(zip(hyps, refs, strict=True))
    ]
    with tempfile.TemporaryDirectory(prefix="laura_spice_") as tmp:
        in_path, out_path = Path(tmp) / "in.json", Path(tmp) / "out.json"
        in_path.write_text(json.dumps(items), encoding="utf-8")
        # The jar's manifest puts spice/lib/* on the class path; CoreNLP is added from
        # corenlp_dir. No -cache: its LMDB/FST cache only saves parsing again.
        classpath = os.pathsep.join(str(p) for p in [spice_dir / "spice-1.0.jar", *jars])
        cmd = [_java(), "-Xmx8G", "-cp", classpath, "edu.anu.spice.SpiceScorer", str(in_path)]
        _run_spice([*cmd, "-out", str(out_path), "-subset", "-silent"], spice_dir)
        results = json.loads(out_path.read_text(encoding="utf-8"))
    by_id: dict[int, float] = {}
    for item in results:
        f = item["scores"]["All"]["f"]
        try:
            by_id[int(item["image_id"])] = float(f)
        except (TypeError, ValueError):
            by_id[int(item["image_id"])] = math.nan  # as pycocoevalcap's float_convert
    return [by_id.get(i, math.nan) for i in range(len(items))]


# --- the scorer -------------------------------------------------------------------------------


def _same_text(a: str, b: str) -> bool:
    return a.split() == b.split()


class CaptionScorer(Scorer):
    """``laura score`` for AAC: CIDEr-D, METEOR, and SPICE/SPIDEr with ``corenlp_dir`` (see the
    module docstring)."""

    metric = "caption"
    options = ("corenlp_dir",)
    columns = (
        Column("cider_d", "CIDEr-D"),
        Column("meteor", "METEOR"),
        Column("spice", "SPICE"),
        Column("spider", "SPIDEr"),
        Column("refs_per_clip", "refs/clip", "text"),
        Column("n_empty", "empty hyps", "int"),
        Column("n_missing", "missing hyps", "int"),
    )
    # one jar for read and every group's EVAL; it stops when the scorer is dropped (the end of
    # laura score), so its 1 GB or so is not held for the rest of the process
    _jar: MeteorJar | None = None

    def _meteor_jar(self) -> MeteorJar:
        if self._jar is None or not self._jar.alive:
            self._jar = MeteorJar()
        return self._jar

    def read(
        self, decoded: Decoded, corenlp_dir: str | Path | None = None
    ) -> tuple[list[str], dict[str, Any]]:

        ref_texts, hyps = read_ref_hyp(decoded)
        ref_path = decoded.decode_dir / "ref"
        ids = sorted(ref_texts)
        refs = {u: self._references(decoded, u) for u in ids}
        target = decoded.task.target
        for u in ids:
            captions = [*refs[u], str(decoded.records[u].get(target) or "")]
            if not any(_same_text(ref_texts[u], r) for r in captions):
                raise DataError(
                    f"{ref_path}: the reference of {u} ({ref_texts[u]!r}) is none of its "
                    f"captions in {decoded.data_dir}: was it decoded from another data dir?"
                )
        if corenlp_dir is not None:
            _corenlp_jars(corenlp_dir)  # refused before the slow work
        raw = {u: hyps.get(u, "") for u in ids}
        # one tokenizer call for every caption
        flat = [raw[u] for u in ids] + [r for u in ids for r in refs[u]]
        tokens = iter(ptb_tokenize(flat))
        tok_hyp = {u: next(tokens) for u in ids}
        tok_refs = {u: [next(tokens) for _ in refs[u]] for u in ids}
        empty = [u for u in ids if not tok_hyp[u]]
        if empty:
            log.warning("%d empty hypothesis(es) (e.g. %s)", len(empty), empty[0])
        jar = self._meteor_jar()
        stats = {u: jar.stats(tok_hyp[u], tok_refs[u]) for u in ids}
        per: dict[str, dict[str, Any]] = {u: {"hyp": raw[u]} for u in ids}
        _, seg = jar.evaluate([stats[u] for u in ids])
        for u, s in zip(ids, seg):
            per[u]["meteor"] = s
        if len(ids) > 1:
            _, cd = cider_d([tok_hyp[u] for u in ids], [tok_refs[u] for u in ids])
            for u, s in zip(ids, cd):
                per[u]["cider_d"] = s
        if corenlp_dir is not None:
            sp = spice([tok_hyp[u] for u in ids], [tok_refs[u] for u in ids], corenlp_dir)
            for u, s in zip(ids, sp):
                per[u]["spice"] = s
        material = {
            "tok_hyp": tok_hyp,
            "tok_refs": tok_refs,
            "meteor_stats": stats,
            "missing": set(ids) - set(hyps),
            "per": per,
            "spice": corenlp_dir is not None,
        }
        return ids, material

    @staticmethod
    def _references(decoded: Decoded, u: str) -> list[str]:
        """Every reference caption of utterance ``u`` in the data dir."""
        spec = decoded.task
        try:
            refs = [r for r in spec.references_of(decoded.records[u]) if r.strip()]
        except ValueError:  # no caption at all: target_text refuses
            refs = []
        if refs:
            return refs
        prefix = spec.references or spec.target
        tables = sorted(p.name for p in decoded.data_dir.glob(f"{prefix}*") if p.is_file())
        if not tables:
            raise DataError(
                f"{decoded.data_dir}: no reference caption tables ({prefix}1..{prefix}N or "
                f"{prefix}): is it a data dir for {spec.name}?"
            )
        where = ", ".join(str(decoded.data_dir / t) for t in tables)
        raise DataError(f"{where}: no reference caption for utterance {u}")

    def aggregate(
        self, material: dict[str, Any], ids: list[str], group: dict[str, str], decoded: Decoded
    ) -> dict[str, Any]:
        tok_hyp, tok_refs = material["tok_hyp"], material["tok_refs"]
        not_computed: dict[str, str] = {}
        if len(ids) > 1:
            cd, _ = cider_d([tok_hyp[u] for u in ids], [tok_refs[u] for u in ids])
        else:
            cd = math.nan
            not_computed["cider_d"] = CIDER_ONE_CLIP
        met, _ = self._meteor_jar().evaluate([material["meteor_stats"][u] for u in ids])
        if material["spice"]:
            # the mean as pycocoevalcap's Spice takes it: a clip without a score makes it NaN
            clips = [material["per"][u]["spice"] for u in ids]
            sp = sum(clips) / len(clips)
            if math.isnan(sp):
                n_nan = sum(math.isnan(x) for x in clips)
                not_computed["spice"] = f"not computed: SPICE gave no score for {n_nan} clip(s)"
        else:
            sp = math.nan
            not_computed["spice"] = SPICE_MISSING
        spider = (cd + sp) / 2
        if math.isnan(spider):
            names = {"cider_d": "CIDEr-D", "spice": "SPICE"}
            lost = " and ".join(v for k, v in names.items() if k in not_computed)
            not_computed["spider"] = SPIDER_MISSING.format(lost)
        n_refs = [len(tok_refs[u]) for u in ids]
        lo, hi = min(n_refs), max(n_refs)
        return {
            "cider_d": cd,
            "meteor": met,
            "spice": sp,
            "spider": spider,
            "not_computed": not_computed,
            "refs_per_clip": str(lo) if lo == hi else f"{lo}-{hi}",
            "n_refs": sum(n_refs),
            "n_empty": sum(not tok_hyp[u] for u in ids),
            "n_missing": sum(u in material["missing"] for u in ids),
        }

    def per_utt(self, material: dict[str, Any]) -> dict[str, Any]:
        return {u: dict(v) for u, v in material["per"].items()}
