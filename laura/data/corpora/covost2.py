"""CoVoST 2 English->Chinese (Wang et al., 2021; facebookresearch/covost), for S2TT.

CoVoST 2 ships only translations; the English audio and transcripts come from the Common Voice
English 4.0 release (``cv-corpus-4-2019-12-10``). Expected layout (``src``; the two parts may
also be given separately with ``cv_dir=`` and ``tsv_dir=``)::

    <src>/
      covost_v2.en_zh-CN.tsv                 # from covost_v2.en_zh-CN.tsv.tar.gz:
                                             #   path, sentence, translation, split (header row)
      covost_v2.en_zh-CN.{train,dev,test}.tsv  # or/and: the output of get_covost_splits.py:
                                             #   path, sentence, translation, client_id
      cv-corpus-4-2019-12-10/en/             # Common Voice English 4.0 (``src`` may be this dir)
        validated.tsv                        # client_id, path, sentence, up_votes, ...
        clips/common_voice_en_<n>.mp3        # 48 kHz mono MP3

Both TSV flavours are tab-separated without quoting and with ``\\`` as escape character, as the
official scripts read them. With the release TSV, the transcript (``sentence``) and speaker
(``client_id``) come from Common Voice's ``validated.tsv``, joined on ``path`` (inner join, as
``get_covost_splits.py`` does); the per-split TSVs already carry both.

Splits: ``train`` (release split ``train`` or ``train_covost``; 289,430 utterances), ``dev``
(15,531) and ``test`` (15,531).

Tables: ``wav.scp`` (MP3 converted to 16 kHz mono 16-bit PCM under ``out/wav/<clip>.wav``,
skipped when already done; clips that cannot be decoded are logged and left out), ``text`` (the
English transcript as distributed, case and punctuation kept, whitespace collapsed),
``text.zh`` (the Chinese translation, same cleaning), ``utt2lang`` (``en``), ``utt2spk``
(Common Voice ``client_id``; utterance ids are ``<client_id>-<clip>``). Rows whose clip is
missing, whose translation or transcript is empty, or that repeat a clip are skipped and
counted. Validate with ``extra_text_files=("text.zh",)``.

``tgt_lang=`` selects another En->X pair of the same release (the table is ``text.<lang>``
with the region dropped, e.g. ``de``).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from laura.data.corpora import common, register_corpus
from laura.data.corpora.common import Dirs, Splits
from laura.data.errors import DataError

SPLITS = ("train", "dev", "test")
# Release split labels of each output split (get_covost_splits.py, version 2).
SPLIT_LABELS = {"train": ("train", "train_covost"), "dev": ("dev",), "test": ("test",)}
CV_RELEASE = "cv-corpus-4-2019-12-10"


DESCRIPTION = "CoVoST 2 En->Zh over Common Voice 4 English (430 h); 48 kHz MP3 -> 16 kHz"


@register_corpus("covost2", ("S2TT",), SPLITS, DESCRIPTION)
def prepare(
    src: Path,
    out: Path,
    *,
    splits: Splits = None,
    num_workers: int = 2,
    cv_dir: str | Path | None = None,
    tsv_dir: str | Path | None = None,
    tgt_lang: str = "zh-CN",
) -> Dirs:
    """Write one Kaldi data dir per CoVoST 2 split under ``out``; return split -> dir."""
    common.require(src, "the CoVoST 2 / Common Voice directory")
    wanted = common.choose_splits(splits, SPLITS, "covost2")
    cv = _find_cv_dir(src, cv_dir)
    clips_dir = common.require(cv / "clips", "Common Voice clips directory")
    prefix = f"covost_v2.en_{tgt_lang}"
    table = f"text.{tgt_lang.split('-')[0]}"
    search = [Path(tsv_dir)] if tsv_dir is not None else [src, cv, cv.parent, cv.parent.parent]

    per_split = {s: _find(search, f"{prefix}.{s}.tsv") for s in wanted}
    rows_by_split: dict[str, list[dict[str, str]]] = {}
    if all(p is not None for p in per_split.values()):
        cols = ("path", "sentence", "translation", "client_id")
        rows_by_split = {s: _read_tsv(p, cols) for s, p in per_split.items() if p is not None}
    else:
        release = _find(search, f"{prefix}.tsv")
        if release is None:
            raise DataError(
                f"{search[0] / (prefix + '.tsv')}: not found (CoVoST 2 translations; also looked "
                f"for {prefix}.<split>.tsv in {', '.join(map(str, search))}); "
                "is the corpus extracted in its original layout?"
            )
        rows_by_split = _join_release(release, cv / "validated.tsv", wanted)

    written: dict[str, Path] = {}
    for split in wanted:
        utts, jobs = _utts(rows_by_split[split], clips_dir, out / "wav", table, split)
        failed = common.convert_skip_bad(
            jobs, num_workers, f"covost2 {split}", "clips whose audio cannot be decoded"
        )
        bad_dst = set(failed.values())
        utts = [u for u in utts if u.wav not in bad_dst]
        written[split] = common.write_split(out / split, utts, where=f"covost2 {split}")
    return written


def _find_cv_dir(src: Path, cv_dir: str | Path | None) -> Path:
    if cv_dir is not None:
        return common.require(Path(cv_dir), "Common Voice English directory (cv_dir=)")
    cands = [src, src / "en", src / CV_RELEASE / "en"] + sorted(src.glob("cv-corpus-*/en"))
    for cand in cands:
        if (cand / "clips").is_dir():
            return cand
    raise DataError(
        f"{src / CV_RELEASE / 'en' / 'clips'}: not found (Common Voice English 4.0 clips); "
        "is the corpus extracted in its original layout? (or pass cv_dir=)"
    )


def _find(dirs: Sequence[Path], name: str) -> Path | None:
    for d in dirs:
        if (d / name).is_file():
            return d / name
    return None


def _read_tsv(path: Path, need: Sequence[str]) -> list[dict[str, str]]:
    # As the official scripts read them: tab-separated, no quoting, backslash escapes.
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(
            f, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\", restval=""
        )
        lacking = [c for c in need if c not in (reader.fieldnames or [])]
        if lacking:
            raise DataError(f"{path}: missing column(s) {lacking} (header: {reader.fieldnames})")
        return list(reader)


def _join_release(
    release: Path, validated: Path, wanted: Sequence[str]
) -> dict[str, list[dict[str, str]]]:
    """Rows of the release TSV, by output split, with sentence/client_id from validated.tsv."""
    labels = {lab: s for s in wanted for lab in SPLIT_LABELS[s]}
    rows = _read_tsv(release, ("path", "translation", "split"))
    common.require(validated, "Common Voice validated.tsv (transcripts and speakers)")
    cv = {r["path"]: r for r in _read_tsv(validated, ("client_id", "path", "sentence"))}
    out: dict[str, list[dict[str, str]]] = {s: [] for s in wanted}
    not_in_cv: list[str] = []
    unknown: list[str] = []
    known = {lab for labs in SPLIT_LABELS.values() for lab in labs}
    for r in rows:
        split = labels.get(r["split"])
        if split is None:
            if r["split"] not in known:
                unknown.append(f"{r['path']} ({r['split']!r})")
            continue
        v = cv.get(r["path"])
        if v is None:
            not_in_cv.append(r["path"])
            continue
        out[split].append(
            {
                "path": r["path"],
                "sentence": v["sentence"],
                "translation": r["translation"],
                "client_id": v["client_id"],
            }
        )
    common.report_skipped("covost2", f"rows of {release.name} not in {validated.name}", not_in_cv)
    common.report_skipped("covost2", f"rows of {release.name} with an unknown split label", unknown)
    return out


def _utts(
    rows: list[dict[str, str]], clips: Path, wav_dir: Path, table: str, split: str
) -> tuple[list[common.Utt], list[tuple[Path, Path, None, None]]]:
    utts: list[common.Utt] = []
    jobs: list[tuple[Path, Path, None, None]] = []
    seen: set[str] = set()
    missing: list[str] = []
    empty: list[str] = []
    dup: list[str] = []
    for r in rows:
        path = r["path"].strip()
        mp3 = clips / path
        if not mp3.is_file() and not path.endswith(".mp3"):
            mp3 = clips / f"{path}.mp3"  # early Common Voice TSVs list paths without extension
        stem = Path(path).stem if path.endswith(".mp3") else Path(path).name
        if stem in seen:
            dup.append(stem)
            continue
        seen.add(stem)
        if not mp3.is_file():
            missing.append(path)
            continue
        text, trans = common.clean_text(r["sentence"]), common.clean_text(r["translation"])
        spk = r["client_id"].strip()
        if not text or not trans or not spk or any(c.isspace() for c in spk):
            empty.append(path)
            continue
        dst = (wav_dir / f"{stem}.wav").resolve()
        jobs.append((mp3, dst, None, None))
        utts.append(
            common.Utt(
                f"{spk}-{stem}", str(dst), spk, text, extras={table: trans, "utt2lang": "en"}
            )
        )
    where = f"covost2 {split}"
    common.report_skipped(where, "rows whose clip is not in clips/", missing)
    common.report_skipped(where, "rows with an empty transcript, translation or client_id", empty)
    common.report_skipped(where, "rows repeating a clip", dup)
    if not utts:
        raise DataError(f"{clips}: no usable utterance for split {split}")
    return utts, jobs
