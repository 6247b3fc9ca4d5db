"""AISHELL-1 and AISHELL-2: Mandarin read speech, for ASR (two corpora: ``aishell1``,
``aishell2``).

AISHELL-1 (Bu et al., 2017; OpenSLR SLR33, ``data_aishell.tgz``, transcript v0.8). ``src`` may
be ``data_aishell`` or its parent. The archive holds one ``.tar.gz`` per speaker inside
``wav/``; each expands to ``<split>/<speaker>/*.wav``::

    data_aishell/
      transcript/aishell_transcript_v0.8.txt   # "BAC009S0002W0122 而 对 楼市 成交 ..." (words)
      wav/
        S0002.tar.gz ... S0916.tar.gz          # as distributed (extracted here, see below)
        train/S0002/BAC009S0002W0122.wav       # after extraction: 16 kHz mono 16-bit wav
        dev/S0724/...   test/S0764/...

Speaker archives that are not extracted yet are extracted in place (into ``wav/``, as the
official instructions do) unless ``extract=False``, which makes them an error instead.
Splits: ``train``, ``dev``, ``test`` (the official speaker-disjoint split). ``text`` is the
transcript with the word-segmentation spaces removed (character-level Chinese, no punctuation
in the corpus). Wav files that have no transcript line (there are a few hundred in the
official release) and transcript lines that have no wav file are skipped (as the Kaldi recipe
does by intersecting the two lists): counted, logged and listed in ``<split>/skipped.tsv``
(a line is charged to the split holding its speaker's directory; lines whose speaker has no
directory in any split go to ``out/aishell1_skipped.tsv``).

Utterance ids are the corpus's own (``BAC009S0002W0122``), as in the Kaldi, ESPnet and WeNet
recipes (``egs/aishell/s5/local/aishell_data_prep.sh``: id = file name, speaker = its
directory). No speaker prefix is needed for Kaldi's sorting rule (sorting utt2spk by utterance
must also sort it by speaker): every official id is ``BAC009`` + the speaker id, fixed width
(``S`` + 4 digits), + ``W`` + 4 digits, so byte-order sorting of the ids groups and orders
them by speaker. This is checked per split; only a split where it fails (renamed files) gets
``<speaker>-<file name>`` ids, with a warning.

AISHELL-2 (Du et al., 2018; iOS channel, v1.0, distributed on request by AISHELL). ``src`` is
the ``AISHELL-2`` directory (or its parent); the dev/test sets ship separately as
``AISHELL-DEV-TEST-SET`` (one ``dev.tar.gz``/``test.tar.gz`` per channel, extracted in place
like AISHELL-1's speaker archives), looked for in ``eval_src``, then inside ``src``, then
beside it::

    AISHELL-2/iOS/data/
      wav.scp      # "IC0001W0001<TAB>wav/C0001/IC0001W0001.wav" (relative to iOS/data)
      trans.txt    # "IC0001W0001<TAB>厨房用具"  (characters; a few English words)
      wav/C0001/IC0001W0001.wav ...
    AISHELL-DEV-TEST-SET/
      iOS/dev/{wav.scp,trans.txt,wav/D0013/ID0013W0001.wav}   iOS/test/{...}
      Android/dev ...  Android/test ...  Mic/dev ...  Mic/test ...

Splits: ``train`` (iOS/data), ``dev_ios``, ``test_ios``, ``dev_android``, ``test_android``,
``dev_mic``, ``test_mic``. With ``splits=None``: train plus every dev/test set found (missing
ones are logged). Utterances listed in ``wav.scp`` without a transcript (and the reverse) are
skipped and counted, as Kaldi's recipe does by intersecting the two lists; an audio file that
``wav.scp`` lists but that does not exist is an error. ``text`` is the transcript as
distributed (English words keep their case), whitespace collapsed.

Both: speaker = the directory holding the wav (AISHELL-1 ``S0002``, AISHELL-2 ``C0001``).
AISHELL-2 ids are ``<speaker>-<corpus id>`` (``C0001-IC0001W0001``). Tables: ``wav.scp`` (the
original 16 kHz mono wav files, absolute paths; a set whose files are not 16 kHz mono is
converted into ``out/wav/<split>/``), ``text``, ``utt2spk``, ``utt2lang`` (``zh``).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tarfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tqdm import tqdm

from laura.data.corpora import common, register_corpus
from laura.data.errors import DataError
from laura.data.kaldi import byte_order

log = logging.getLogger(__name__)

AISHELL1_SPLITS = ("train", "dev", "test")
AISHELL1_TRANSCRIPT = "transcript/aishell_transcript_v0.8.txt"
_AISHELL1_ID = re.compile(r"^BAC009(S\d{4})W\d{4}$")

AISHELL2_CHANNELS = {"ios": "iOS", "android": "Android", "mic": "Mic"}
AISHELL2_SPLITS = ("train",) + tuple(
    f"{part}_{ch}" for ch in AISHELL2_CHANNELS for part in ("dev", "test")
)
AISHELL2_EVAL_DIR = "AISHELL-DEV-TEST-SET"


# --- AISHELL-1 -------------------------------------------------------------------------------


AISHELL1_DESCRIPTION = "AISHELL-1 (SLR33): 178 h Mandarin read speech, 400 speakers, 16 kHz wav"


@register_corpus("aishell1", ("ASR",), AISHELL1_SPLITS, AISHELL1_DESCRIPTION)
def prepare_aishell1(
    src: Path,
    out: Path,
    *,
    splits: Sequence[str] | None = None,
    num_workers: int = 2,
    extract: bool = True,
) -> dict[str, Path]:
    """Write ``train``/``dev``/``test`` data dirs for AISHELL-1; return split -> dir."""
    root = (src / "data_aishell" if (src / "data_aishell").is_dir() else src).resolve()
    transcript = common.require(root / AISHELL1_TRANSCRIPT, "AISHELL-1 transcript v0.8")
    wav_root = common.require(root / "wav", "AISHELL-1 audio directory")
    wanted = common.choose_splits(splits, AISHELL1_SPLITS, "aishell1")

    # The per-speaker archives: extracted when the speaker's directory is in no split yet.
    pending = [
        t
        for t in sorted(wav_root.glob("*.tar.gz"))
        if not any((wav_root / s / _tar_stem(t)).is_dir() for s in AISHELL1_SPLITS)
    ]
    if pending:
        _extract_archives(pending, wav_root, extract, num_workers, "speaker")

    texts: dict[str, str] = {}
    for lineno, line in enumerate(transcript.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        utt, _, words = line.strip().partition(" ")
        text = "".join(words.split())  # drop the word-segmentation spaces: character level
        if not text:
            raise DataError(f"{transcript}:{lineno}: expected 'UTTID word word ...'")
        texts[utt] = text

    # speaker directory -> its split, over every split on disk (not only the wanted ones), so a
    # transcript line without audio is charged to the split its speaker belongs to
    split_of = {
        d.name: s
        for s in AISHELL1_SPLITS
        if (wav_root / s).is_dir()
        for d in (wav_root / s).iterdir()
        if d.is_dir()
    }
    written: dict[str, Path] = {}
    for split in wanted:
        split_dir = common.require(
            wav_root / split, f"AISHELL-1 {split} audio (wav/{split}/<speaker>)"
        )
        wavs = sorted(split_dir.glob("*/*.wav"))
        if not wavs:
            raise DataError(
                f"{split_dir}: no <speaker>/*.wav files; is the corpus extracted in its "
                "original layout?"
            )
        utts: list[common.Utt] = []
        skips = common.Skips()
        for wav in tqdm(wavs, desc=f"aishell1 {split}", leave=False):
            if wav.stem not in texts:
                skips.add(wav.stem, "wav files without a transcript")
                continue
            spk = wav.parent.name
            utts.append(
                common.Utt(wav.stem, str(wav), spk, texts[wav.stem], extras={"utt2lang": "zh"})
            )
        have = {w.stem for w in wavs}
        skips.add_all(
            sorted(
                u for u in texts if split_of.get(_aishell1_speaker(u)) == split and u not in have
            ),
            "transcript lines without a wav file",
        )
        utts = _kaldi_sortable_ids(utts, f"aishell1 {split}")
        utts = _ensure_16k(utts, out / "wav" / split, num_workers, f"aishell1 {split}")
        written[split] = common.write_split(
            out / split, utts, where=f"aishell1 {split}", skips=skips
        )
    # lines whose speaker has no directory in any split belong to no split: listed beside them
    common.report_skipped(
        "aishell1",
        "transcript lines without a wav file (their speaker has no directory in any split)",
        sorted(u for u in texts if _aishell1_speaker(u) not in split_of),
        out / "aishell1_skipped.tsv",
    )
    return written


def _aishell1_speaker(utt: str) -> str | None:
    """The speaker directory an AISHELL-1 id names (``BAC009S0764W0121`` -> ``S0764``)."""
    m = _AISHELL1_ID.match(utt)
    return m.group(1) if m else None


def _kaldi_sortable_ids(utts: list[common.Utt], what: str) -> list[common.Utt]:
    """Keep the corpus ids when sorting them also sorts their speakers -- what Kaldi needs of
    utt2spk (``sort -k2 utt2spk`` must not reorder it) and what the official AISHELL-1 ids
    (``BAC009`` + fixed-width speaker id + ``W`` + 4 digits) always give; otherwise prefix each
    id with its speaker (``S0002-<id>``), which does."""
    spks = [byte_order(u.speaker) for u in sorted(utts, key=lambda u: byte_order(u.id))]
    if all(a <= b for a, b in zip(spks, spks[1:])):
        return utts
    log.warning(
        "%s: sorting the file names does not sort their speakers (files renamed?): ids are "
        "<speaker>-<file name>",
        what,
    )
    for u in utts:
        u.id = f"{u.speaker}-{u.id}"
    return utts


# --- AISHELL-2 -------------------------------------------------------------------------------


AISHELL2_DESCRIPTION = "AISHELL-2: 1000 h Mandarin read speech (iOS), dev/test iOS/Android/Mic"


@register_corpus("aishell2", ("ASR",), AISHELL2_SPLITS, AISHELL2_DESCRIPTION)
def prepare_aishell2(
    src: Path,
    out: Path,
    *,
    splits: Sequence[str] | None = None,
    num_workers: int = 2,
    eval_src: Path | None = None,
    extract: bool = True,
) -> dict[str, Path]:
    """Write AISHELL-2 data dirs (``train``, ``dev_ios``, ``test_ios``, ...); split -> dir."""
    root = (src / "AISHELL-2" if (src / "AISHELL-2" / "iOS").is_dir() else src).resolve()
    eval_root = _find_eval_root(root, eval_src)
    if splits is None:
        wanted = ["train"]
        if eval_root is None:
            log.warning(
                "aishell2: %s not found (in eval_src, %s or beside it): only train is written",
                AISHELL2_EVAL_DIR,
                root,
            )
        else:
            wanted += [s for s in AISHELL2_SPLITS[1:] if _eval_part(eval_root, s, extract=None)]
            absent = [s for s in AISHELL2_SPLITS[1:] if s not in wanted]
            if absent:
                log.warning("aishell2: evaluation sets not found in %s: %s", eval_root, absent)
    else:
        wanted = common.choose_splits(splits, AISHELL2_SPLITS, "aishell2")

    written: dict[str, Path] = {}
    for split in wanted:
        if split == "train":
            part = common.require(root / "iOS" / "data", "AISHELL-2 training set (iOS/data)")
        else:
            if eval_root is None:
                raise DataError(
                    f"{root.parent / AISHELL2_EVAL_DIR}: not found (AISHELL-2 dev/test sets, "
                    f"needed for {split}); pass eval_src=<dir holding {AISHELL2_EVAL_DIR}>"
                )
            part = _eval_part(eval_root, split, extract=extract, num_workers=num_workers)
            assert part is not None
        utts = _read_aishell2_part(part, split)
        utts = _ensure_16k(utts, out / "wav" / split, num_workers, f"aishell2 {split}")
        written[split] = common.write_split(out / split, utts, where=f"aishell2 {split}")
    return written


def _find_eval_root(root: Path, eval_src: Path | None) -> Path | None:
    if eval_src is not None:
        eval_src = Path(eval_src)
        if (eval_src / AISHELL2_EVAL_DIR).is_dir():
            return (eval_src / AISHELL2_EVAL_DIR).resolve()
        return common.require(eval_src, f"AISHELL-2 dev/test sets ({AISHELL2_EVAL_DIR})").resolve()
    for cand in (root / AISHELL2_EVAL_DIR, root.parent / AISHELL2_EVAL_DIR):
        if cand.is_dir():
            return cand
    return None


def _eval_part(
    eval_root: Path, split: str, *, extract: bool | None, num_workers: int = 2
) -> Path | None:
    """``<eval_root>/<Channel>/<dev|test>``, extracting ``<dev|test>.tar.gz`` when needed.

    ``extract=None`` only probes (no extraction, None when neither dir nor archive exists)."""
    part, ch = split.split("_")
    # channel directory names vary in case between releases (iOS / IOS)
    chan = next(
        (p for p in sorted(eval_root.iterdir()) if p.is_dir() and p.name.lower() == ch), None
    )
    if chan is None:
        if extract is None:
            return None
        return common.require(
            eval_root / AISHELL2_CHANNELS[ch], f"AISHELL-2 {AISHELL2_CHANNELS[ch]} set"
        )
    target, archive = chan / part, chan / f"{part}.tar.gz"
    if extract is None:
        return target if target.is_dir() or archive.is_file() else None
    if not target.is_dir() and archive.is_file():
        _extract_archives([archive], chan, extract, num_workers, "evaluation")
    return common.require(target, f"AISHELL-2 {split} set ({chan.name}/{part} or {part}.tar.gz)")


def _read_aishell2_part(part: Path, split: str) -> list[common.Utt]:
    scp = common.require(part / "wav.scp", f"AISHELL-2 {split} wav list")
    trans = common.require(part / "trans.txt", f"AISHELL-2 {split} transcripts")
    paths = _read_tab_table(scp)
    texts = {k: common.clean_text(v) for k, v in _read_tab_table(trans).items()}
    utts: list[common.Utt] = []
    missing: list[str] = []
    for utt, rel in tqdm(paths.items(), desc=f"aishell2 {split}", leave=False):
        if utt not in texts or not texts[utt]:
            continue
        wav = part / rel
        if not wav.is_file():
            missing.append(str(wav))
            continue
        spk = wav.parent.name
        utts.append(
            common.Utt(f"{spk}-{utt}", str(wav), spk, texts[utt], extras={"utt2lang": "zh"})
        )
    if missing:
        raise DataError(
            f"{scp}: {len(missing)} listed audio file(s) do not exist, e.g. {missing[:3]}; "
            "is the corpus extracted in its original layout?"
        )
    common.report_skipped(
        f"aishell2 {split}",
        "wav.scp entries without a transcript",
        [u for u in paths if not texts.get(u)],
    )
    common.report_skipped(
        f"aishell2 {split}",
        "transcripts without a wav.scp entry",
        [u for u in texts if u not in paths],
    )
    if not utts:
        raise DataError(f"{part}: no utterance has both audio (wav.scp) and a transcript")
    return utts


def _read_tab_table(path: Path) -> dict[str, str]:
    """``id<TAB or space>value`` lines (AISHELL-2's wav.scp and trans.txt)."""
    out: dict[str, str] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        fields = line.strip().split(None, 1)
        if fields[0] in out:
            raise DataError(f"{path}:{lineno}: duplicate id {fields[0]}")
        out[fields[0]] = fields[1] if len(fields) > 1 else ""
    return out


# --- shared ----------------------------------------------------------------------------------


def _tar_stem(path: Path) -> str:
    return path.name[: -len(".tar.gz")]


def _extract_archives(
    archives: list[Path], dest: Path, extract: bool, num_workers: int, what: str
) -> None:
    if not extract:
        names = ", ".join(a.name for a in archives[:5]) + (" ..." if len(archives) > 5 else "")
        raise DataError(
            f"{dest}: {len(archives)} {what} archive(s) are not extracted ({names}); extract "
            f"them in place (cd {dest} && for f in *.tar.gz; do tar xzf $f; done) or pass "
            "extract=True"
        )
    log.info("extracting %d %s archive(s) in %s", len(archives), what, dest)
    jobs = [(str(a), str(dest)) for a in archives]
    if num_workers <= 1 or len(jobs) < 4:
        for job in tqdm(jobs, desc=f"extract {what} archives", leave=False):
            _extract_one(job)
        return
    with ProcessPoolExecutor(num_workers) as pool:
        for _ in tqdm(pool.map(_extract_one, jobs), total=len(jobs), desc="extract", leave=False):
            pass


def _extract_one(job: tuple[str, str]) -> None:
    """Extract one archive into a temp dir inside ``dest``, then move its top-level content
    (``train/S0002`` or ``dev``) into place: an interrupted run leaves no half-extracted dir."""
    archive, dest = Path(job[0]), Path(job[1])
    tmp = dest / f".extract-{_tar_stem(archive)}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
    except (tarfile.TarError, OSError) as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DataError(f"{archive}: cannot extract ({err})") from err
    try:
        for top in sorted(tmp.iterdir()):
            if not top.is_dir():
                continue
            target = dest / top.name
            try:
                if not target.exists():
                    os.replace(top, target)  # atomic: e.g. the whole dev/ set at once
                    continue
            except OSError:
                pass  # another worker created it meanwhile (e.g. train/)
            # train/ exists already (other speakers): move the speaker dirs, each atomically
            target.mkdir(exist_ok=True)
            for sub in sorted(top.iterdir()):
                if not (target / sub.name).exists():
                    os.replace(sub, target / sub.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _ensure_16k(
    utts: list[common.Utt], wav_out: Path, num_workers: int, what: str
) -> list[common.Utt]:
    """Keep the original files when they are 16 kHz mono (checked on the first one), else
    convert all into ``wav_out/<speaker>/<file>.wav``."""
    if not utts:
        return utts
    # an unreadable file fails here, before the whole corpus is converted because of it
    common.audio_info(utts[0].wav, f"{what} audio")
    if common.is_16k_mono(utts[0].wav):
        return utts
    log.warning("%s: audio is not 16 kHz mono, converting into %s", what, wav_out)
    wav_out = wav_out.resolve()
    jobs = [(u.wav, wav_out / u.speaker / f"{Path(u.wav).stem}.wav", None, None) for u in utts]
    common.convert_all(jobs, num_workers=num_workers, desc=f"convert {what}")
    for u, job in zip(utts, jobs):
        u.wav = str(job[1])
    return utts
