"""Speech enhancement (SE) mixtures: clean speech from a prepared data dir + noise (FSD50K,
NOISEX-92 or any folder of noise recordings) at exact SNRs, optionally reverberated.

The paper's SE data (appendix A.2/A.3): training pairs mix clean AISHELL/LibriSpeech/WSJ
speech with FSD50K noise "at random SNRs ranging from 2 to 15" dB and convolve part of the
speech with room impulse responses (Ko et al. 2017, i.e. OpenSLR 28); the test set is
"LibriSpeech test-clean, FSD50K, noise-92" with no SNRs or RIRs stated. laura therefore uses
the one distribution the paper gives, uniform 2-15 dB, by default for every split, and
offers fixed SNR lists (``snrs=(0, 5, 10, 15, 20)``) for a per-SNR breakdown.

Inputs (this module never reads a raw speech corpus)::

    src          a prepared clean data dir (wav.scp [+segments], utt2spk, [text, utt2lang]),
                 e.g. LibriSpeech test-clean written by its corpus module; or a folder of such
                 dirs, one per requested split (src/<split>)
    noise_dirs   one or more noise sources, each either
                 - an FSD50K root:  FSD50K.dev_audio/*.wav, FSD50K.eval_audio/*.wav (44.1 kHz)
                                    FSD50K.ground_truth/dev.csv  (fname,labels,mids,split)
                                    FSD50K.ground_truth/eval.csv (fname,labels,mids)
                 - any other folder of noise files, searched recursively (.wav/.flac, and the
                   SPIB .mat files of NOISEX-92, read at ``noisex_rate`` = 19980 Hz). NOISEX-92
                   is 15 recordings of 235 s (white, pink, babble, factory1, factory2,
                   buccaneer1, buccaneer2, f16, destroyerengine, destroyerops, leopard, m109,
                   machinegun, volvo, hfchannel), 19.98 kHz 16-bit; mirrors ship them as wav.
    rir_dirs     optional: RIR folders. An OpenSLR-28 ``RIRS_NOISES`` tree is read through its
                 ``rir_list`` files (simulated_rirs/*/rir_list, real_rirs_isotropic_noises/
                 rir_list), so its isotropic and point-source *noises* are not taken for RIRs;
                 any other folder: every .wav below it (multi-channel RIRs: channel 0).

How one mixture is made (all choices from ``numpy.random.default_rng([seed, crc32(id)])``,
so a mixture depends only on the seed, its id and the inputs -- not on worker count/order):

1. a noise source is drawn (uniformly, or by ``noise_weights``), then a file of it uniformly;
   FSD50K clips whose labels include any of ``fsd50k_exclude`` (default: Human_voice,
   Speech, Singing, Speech_synthesizer -- voices would be "speech" the model must remove) are
   not used; which FSD50K part is used follows the split: ``test``/``eval`` splits use
   FSD50K.eval_audio, ``dev``/``valid`` splits the dev rows marked ``val``, anything else the
   dev rows marked ``train`` (noise-disjoint splits; ``noise_subset`` overrides);
2. the SNR: uniform in ``snr_range`` rounded to 0.01 dB, or, with ``snrs``, the list cycled
   over the sorted mixture ids (each SNR gets an equal share);
3. with ``rir_dirs``, an RIR is applied with probability ``rir_prob`` (default 1): the speech is
   convolved with the RIR, shifted so its direct path (the RIR's peak) lines up with the dry
   speech, and rescaled to the dry speech's power;
4. a noise segment as long as the speech starts at a random offset; a shorter noise is looped;
5. the noise is scaled so that 10*log10(P_speech / P_noise) equals the SNR exactly (float64),
   where P_speech is the power of the speech *as it is in the mixture* (reverberant if an RIR
   was applied) and P_noise that of the noise segment. ``snr_mode="whole"`` (default) takes
   P_speech over the whole utterance; ``"active"`` over the 20 ms frames within 40 dB of the
   loudest one (nearly the same for read speech; use it for utterances with long pauses);
6. if the mixture would clip (peak > 0.99), mixture *and* reference are scaled by the same
   gain, so mixture = gain * (speech + noise) and clean = gain * dry speech hold exactly.

The reference (``clean.scp``) is the *dry* clean speech -- SE here is denoising plus
dereverberation, as the paper defines the task. It points at the original clean file when
that is a whole 16 kHz mono file and the gain is 1; otherwise a copy is written. The values
are exact before 16-bit quantisation of the written wavs.

Outputs ``out/<split>/``: ``wav.scp`` (noisy mixtures, ``out/wav/<split>/<id>.wav``, 16 kHz
16-bit), ``clean.scp``, ``utt2snr`` (dB), ``utt2noise`` (``<source>/<relative path>``),
``utt2rir`` (relative path or ``-``; only with ``rir_dirs``), ``utt2spk``, and ``text`` /
``utt2lang`` copied from the clean dir (for the WER of enhanced speech), plus ``mix.jsonl``
with every choice (noise offset, gain, ...). Re-running with the same inputs reuses mixtures
whose recorded choices are unchanged. ``copies=k`` writes k mixtures per clean utterance
(``<id>-mix<k>``; training data), otherwise the ids are the clean ids.

The signal steps (``crop_or_loop``, ``mix_at_snr``, ``reverberate``) are ``laura.data.augment``,
shared with the mini corpus's SE pairs. Tasks: SE.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import zlib
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from laura.data.augment import crop_or_loop, mix_at_snr, reverberate
from laura.data.corpora import common, register_corpus
from laura.data.corpora.common import Dirs, Splits
from laura.data.errors import DataError
from laura.data.kaldi import atomic_write_text, load_data_dir

log = logging.getLogger(__name__)

DEFAULT_SNR_RANGE = (2.0, 15.0)  # paper A.2: "random SNRs ranging from 2 to 15"
FSD50K_EXCLUDE = ("Human_voice", "Speech", "Singing", "Speech_synthesizer")
NOISEX_RATE = 19980  # NOISEX-92 (SPIB) sampling rate, for .mat files that carry none
NOISE_EXTS = (".wav", ".flac", ".mat")
PEAK = 0.99


# --------------------------------------------------------------------------- audio input


def _load_mat(path: Path) -> np.ndarray:
    from scipy.io import loadmat

    data = loadmat(str(path))
    arrays = [v for k, v in data.items() if not k.startswith("__") and isinstance(v, np.ndarray)]
    if not arrays:
        raise DataError(f"{path}: no signal array in the .mat file")
    return np.asarray(max(arrays, key=np.size), dtype=np.float64).reshape(-1)


def read_16k(
    path: str | Path,
    start: float | None = None,
    end: float | None = None,
    mat_rate: int = NOISEX_RATE,
) -> np.ndarray:
    """Mono float64 audio at 16 kHz (channels averaged, resampled when needed)."""
    path = Path(path)
    if path.suffix.lower() == ".mat":
        x, sr = _load_mat(path), mat_rate
        a = int(round((start or 0) * sr))
        b = None if end is None else int(round(end * sr))
        return common.resample_16k(x[a:b], sr)
    try:
        info = sf.info(str(path))
        a = int(round((start or 0) * info.samplerate))
        b = None if end is None else int(round(end * info.samplerate))
        x, sr = sf.read(str(path), start=a, stop=b, dtype="float64", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as err:
        raise DataError(f"{path}: cannot read audio ({err})") from err
    return common.resample_16k(x.mean(axis=1), sr)


def read_rir(path: str | Path) -> np.ndarray:
    """An impulse response at 16 kHz; of a multi-channel RIR only channel 0 (one microphone:
    averaging microphones would smear the direct path)."""
    try:
        h, sr = sf.read(str(path), dtype="float64", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as err:
        raise DataError(f"{path}: cannot read RIR ({err})") from err
    return common.resample_16k(h[:, 0], sr)


# --------------------------------------------------------------------------- noise and RIRs


@dataclass(frozen=True)
class NoiseSource:
    name: str  # "fsd50k", or the folder name (lower-cased)
    root: Path
    files: tuple[str, ...]  # paths relative to root


def _fsd50k_subset(split: str, subset: str) -> str:
    if subset != "auto":
        return subset
    s = split.lower()
    if "test" in s or "eval" in s:
        return "eval"
    if "dev" in s or "val" in s:
        return "val"
    return "train"


def is_fsd50k(root: Path) -> bool:
    return any((root / n).is_dir() for n in ("FSD50K.ground_truth", "FSD50K.dev_audio"))


def fsd50k_files(root: Path, subset: str, exclude: Sequence[str]) -> tuple[list[str], int]:
    """Relative paths of the FSD50K clips of ``subset`` (train/val/dev/eval) without any of the
    ``exclude`` labels, and how many clips the label filter removed."""
    if subset not in ("train", "val", "dev", "eval"):
        raise DataError(f"FSD50K subset must be train, val, dev or eval, got {subset!r}")
    part = "eval" if subset == "eval" else "dev"
    gt = root / "FSD50K.ground_truth" / f"{part}.csv"
    audio = root / f"FSD50K.{part}_audio"
    for p, what in ((gt, "FSD50K ground truth"), (audio, "FSD50K audio folder")):
        if not p.exists():
            raise DataError(f"{p}: not found ({what}); is FSD50K extracted in its original layout?")
    bad = set(exclude)
    files, dropped = [], 0
    with open(gt, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or "fname" not in reader.fieldnames:
            raise DataError(f"{gt}: no 'fname' column; header is {reader.fieldnames}")
        for row in reader:
            if subset in ("train", "val") and (row.get("split") or "").strip() != subset:
                continue
            labels = {x.strip() for x in (row.get("labels") or "").split(",")}
            if labels & bad:
                dropped += 1
                continue
            files.append(f"{audio.name}/{row['fname'].strip()}.wav")
    missing = [f for f in files[:3] if not (root / f).is_file()]
    if missing:
        raise DataError(f"{root / missing[0]}: listed in {gt} but not found")
    return files, dropped


def noise_source(root: Path, split: str, subset: str, exclude: Sequence[str]) -> NoiseSource:
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: noise folder not found")
    if is_fsd50k(root):
        files, dropped = fsd50k_files(root, _fsd50k_subset(split, subset), exclude)
        log.info(
            "fsd50k %s: %d clips (%d with excluded labels left out)", split, len(files), dropped
        )
        name = "fsd50k"
    else:
        files = sorted(
            str(p.relative_to(root))
            for p in root.rglob("*")
            if p.suffix.lower() in NOISE_EXTS and p.is_file() and not p.name.startswith(".")
        )
        name = root.name.lower()
    if not files:
        raise DataError(f"{root}: no noise files (.wav/.flac/.mat) found")
    return NoiseSource(name, root.resolve(), tuple(files))


def rir_files(root: Path) -> list[tuple[str, Path]]:
    """(label, path) of every RIR under ``root`` (see module doc)."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: RIR folder not found")
    lists = sorted(root.rglob("rir_list"))
    out: list[tuple[str, Path]] = []
    if lists:
        for lst in lists:
            for lineno, line in enumerate(lst.read_text().splitlines(), start=1):
                if not line.strip():
                    continue
                rel = Path(line.split()[-1])
                # listed as RIRS_NOISES/simulated_rirs/...: drop leading parts until it resolves
                # below root, whichever level of the tree root is
                cands = [root / Path(*rel.parts[i:]) for i in range(len(rel.parts))]
                hit = next((c for c in cands if c.is_file()), None)
                if hit is None:
                    raise DataError(f"{lst}:{lineno}: RIR {rel} not found under {root}")
                out.append((str(hit.relative_to(root)), hit.resolve()))
    else:
        for p in sorted(root.rglob("*.wav")):
            if "noise" in p.name.lower() or "pointsource_noises" in p.parts:
                continue
            out.append((str(p.relative_to(root)), p.resolve()))
    if not out:
        raise DataError(f"{root}: no RIR wav files")
    return out


def _noise_piece(
    path: Path, length: int, rng: np.random.Generator, mat_rate: int
) -> tuple[np.ndarray, float]:
    """A random ``length``-sample piece of a noise file at 16 kHz and its start (seconds).

    Long files are read only around the chosen offset; short ones whole and looped."""
    if path.suffix.lower() != ".mat":
        info = sf.info(str(path))
        n16 = int(info.frames * common.SAMPLE_RATE // info.samplerate)
        if n16 > length + 1:
            off = int(rng.integers(0, n16 - length))
            pad = 0.05  # seconds of context on each side: no resampling edge effects
            t0 = off / common.SAMPLE_RATE
            a = max(0.0, t0 - pad)
            x = read_16k(
                path, a, min(info.frames / info.samplerate, t0 + length / common.SAMPLE_RATE + pad)
            )
            k = int(round((t0 - a) * common.SAMPLE_RATE))
            piece = x[k : k + length]
            if len(piece) == length:
                return piece, t0
    x = read_16k(path, mat_rate=mat_rate)
    piece = crop_or_loop(x, length, rng)
    return piece, -1.0  # -1: looped/whole-file piece (offset drawn inside crop_or_loop)


# --------------------------------------------------------------------------- one mixture


def _mix_one(job: dict[str, Any]) -> dict[str, Any]:
    """Make one mixture; returns the job's record with the outcome (or an ``error``)."""
    rec = dict(job)
    try:
        speech = read_16k(job["clean_src"], job["start"], job["end"])
        if job["rir_path"] is not None:
            rir = read_rir(job["rir_path"])
            wet = reverberate(speech, rir)
        else:
            wet = speech
        rng = np.random.default_rng([job["seed"], job["crc"], 1])
        noise_path = Path(job["noise_path"])
        for _ in range(10):  # a silent stretch of a noise file: draw another offset
            piece, t0 = _noise_piece(noise_path, len(wet), rng, job["mat_rate"])
            if float(np.mean(piece * piece)) > 0:
                break
        else:
            raise ValueError(f"noise {noise_path} is silent")
        mix, _ = mix_at_snr(wet, piece, job["snr"], rng, mode=job["snr_mode"])
        peak = float(np.max(np.abs(mix)))
        gain = min(1.0, PEAK / peak) if peak > 0 else 1.0
        noisy = Path(job["noisy"])
        noisy.parent.mkdir(parents=True, exist_ok=True)
        tmp = noisy.with_name(f".{noisy.name}.{os.getpid()}.tmp.wav")
        sf.write(str(tmp), (mix * gain).astype(np.float32), common.SAMPLE_RATE, subtype="PCM_16")
        os.replace(tmp, noisy)
        if gain < 1.0 or job["clean_needs_copy"]:
            ref = Path(job["clean_copy"])
            ref.parent.mkdir(parents=True, exist_ok=True)
            tmp = ref.with_name(f".{ref.name}.{os.getpid()}.tmp.wav")
            sf.write(
                str(tmp), (speech * gain).astype(np.float32), common.SAMPLE_RATE, subtype="PCM_16"
            )
            os.replace(tmp, ref)
            rec["clean_ref"] = str(ref)
        else:
            rec["clean_ref"] = job["clean_src"]
        rec["noise_offset"] = round(t0, 4)
        rec["gain"] = gain
    except (ValueError, DataError, OSError, sf.LibsndfileError) as err:
        rec["error"] = str(err)
    return rec


# the job fields that decide a mixture (a recorded mixture is reused when these are unchanged)
_KEY_FIELDS = (
    "id",
    "clean_src",
    "start",
    "end",
    "noise",
    "noise_path",
    "snr",
    "snr_mode",
    "rir",
    "rir_path",
    "seed",
    "mat_rate",
    "noisy",
    "clean_needs_copy",
)


def _old_records(path: Path) -> dict[str, dict[str, Any]]:
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
            out[rec["id"]] = rec
        except (json.JSONDecodeError, KeyError, TypeError):
            return {}  # damaged: recompute everything
    return out


def _clean_dirs(src: Path, splits: Sequence[str] | None) -> dict[str, Path]:
    if isinstance(splits, str):
        splits = _listed(splits, str)
    if (src / "wav.scp").is_file():
        names = list(splits) if splits else ["test"]
        if len(names) != 1:
            raise DataError(
                f"{src}: one clean data dir gives one split, got splits {names}; pass a folder "
                "holding one clean data dir per split instead"
            )
        return {names[0]: src}
    names = list(splits) if splits else ["test"]
    out = {}
    for s in names:
        d = src / s
        if not (d / "wav.scp").is_file():
            raise DataError(
                f"{d / 'wav.scp'}: not found (the clean data dir for split {s!r}); src must be a "
                "prepared clean data dir, or a folder of them named after the splits"
            )
        out[s] = d
    return out


DESCRIPTION = "SE mixtures: clean data dir + FSD50K/NOISEX-92 noise (+ RIRs) at exact SNRs"


@register_corpus("se_mixture", ("SE",), ("test",), DESCRIPTION)
def prepare(
    src: Path,
    out: Path,
    *,
    splits: Splits = None,
    num_workers: int = 2,
    noise_dirs: Sequence[str | Path] = (),
    rir_dirs: Sequence[str | Path] = (),
    snr_range: tuple[float, float] = DEFAULT_SNR_RANGE,
    snrs: Sequence[float] | None = None,
    snr_mode: str = "whole",
    rir_prob: float = 1.0,
    copies: int = 1,
    seed: int = 0,
    noise_weights: Sequence[float] | None = None,
    noise_subset: str = "auto",
    fsd50k_exclude: Sequence[str] = FSD50K_EXCLUDE,
    noisex_rate: int = NOISEX_RATE,
) -> Dirs:
    """Write noisy/clean pairs ``out/<split>`` from the clean data dir(s) ``src``.

    See the module doc for the inputs, every choice made per mixture and the tables written.
    """
    # options may arrive as CLI strings: "a,b" lists, "2,15" ranges, "3" numbers
    noise_dirs = _listed(noise_dirs, Path)
    rir_dirs = _listed(rir_dirs, Path)
    fsd50k_exclude = _listed(fsd50k_exclude, str)
    snr_pair = _listed(snr_range, float)
    snr_list = None if snrs is None else _listed(snrs, float)
    weight_list = None if noise_weights is None else _listed(noise_weights, float)
    copies, seed, noisex_rate, rir_prob = int(copies), int(seed), int(noisex_rate), float(rir_prob)
    if not noise_dirs:
        raise DataError("se_mixture: noise_dirs is empty (give FSD50K and/or NOISEX-92 folders)")
    if snr_mode not in ("whole", "active"):
        raise DataError(f"se_mixture: snr_mode must be 'whole' or 'active', got {snr_mode!r}")
    if copies < 1 or not 0.0 <= rir_prob <= 1.0:
        raise DataError(
            f"se_mixture: need copies >= 1 and 0 <= rir_prob <= 1 (got {copies}, {rir_prob})"
        )
    if len(snr_pair) != 2 or snr_pair[0] > snr_pair[1]:
        raise DataError(f"se_mixture: snr_range must be (low, high), got {snr_range!r}")
    lo, hi = snr_pair
    if snr_list is not None and not snr_list:
        raise DataError("se_mixture: snrs is empty")
    if weight_list is not None and (
        len(weight_list) != len(noise_dirs) or min(weight_list) < 0 or sum(weight_list) <= 0
    ):
        raise DataError("se_mixture: noise_weights needs one weight >= 0 per noise dir")
    rirs = [r for d in rir_dirs for r in rir_files(Path(d))]
    weights = None
    if weight_list is not None:
        w = np.asarray(weight_list, dtype=np.float64)
        weights = w / w.sum()

    done: dict[str, Path] = {}
    for split, clean_dir in _clean_dirs(src, splits).items():
        sources = [noise_source(Path(d), split, noise_subset, fsd50k_exclude) for d in noise_dirs]
        kd = load_data_dir(clean_dir)
        lang = kd.extras.get("utt2lang", {})
        wav_dir = (out / "wav" / split).resolve()
        ids = []
        for cid in kd.utt_ids:
            for k in range(copies):
                ids.append((cid, cid if copies == 1 else f"{cid}-mix{k}"))
        jobs = []
        for i, (cid, uid) in enumerate(ids):
            crc = zlib.crc32(uid.encode("utf-8"))
            rng = np.random.default_rng([seed, crc])
            s_idx = int(rng.choice(len(sources), p=weights)) if len(sources) > 1 else 0
            source = sources[s_idx]
            rel = source.files[int(rng.integers(len(source.files)))]
            snr = (
                float(snr_list[i % len(snr_list)])
                if snr_list is not None
                else round(float(rng.uniform(lo, hi)), 2)
            )
            rir = None
            if rirs and rng.random() < rir_prob:
                rir = rirs[int(rng.integers(len(rirs)))]
            path, start, end = kd.audio_of(cid)
            whole16k = start is None and end is None and common.is_16k_mono(path)
            jobs.append(
                {
                    "id": uid,
                    "clean_id": cid,
                    "clean_src": path,
                    "start": start,
                    "end": end,
                    "noise": f"{source.name}/{rel}",
                    "noise_path": str(source.root / rel),
                    "snr": snr,
                    "snr_mode": snr_mode,
                    "rir": None if rir is None else rir[0],
                    "rir_path": None if rir is None else str(rir[1]),
                    "seed": seed,
                    "crc": crc,
                    "mat_rate": noisex_rate,
                    "noisy": str(wav_dir / f"{uid}.wav"),
                    "clean_copy": str(wav_dir / "clean" / f"{uid}.wav"),
                    "clean_needs_copy": not whole16k,
                }
            )
        old = _old_records(out / split / "mix.jsonl")
        records: list[dict[str, Any]] = []
        todo = []
        for job in jobs:
            prev = old.get(job["id"])
            if (
                prev is not None
                and "error" not in prev
                and all(prev.get(f) == job[f] for f in _KEY_FIELDS)
                and Path(job["noisy"]).is_file()
                and Path(prev.get("clean_ref", "")).is_file()
            ):
                records.append(prev)
            else:
                todo.append(job)
        records.extend(_run(todo, num_workers, split))
        skips = common.Skips()
        utts = []
        for rec in sorted(records, key=lambda r: r["id"].encode("utf-8")):
            if "error" in rec:
                skips.add(rec["id"], rec["error"])
                continue
            cid = rec["clean_id"]
            extras = {
                "clean.scp": str(rec["clean_ref"]),
                "utt2snr": format(rec["snr"], "g"),
                "utt2noise": rec["noise"],
            }
            if rirs:
                extras["utt2rir"] = rec["rir"] or "-"
            if cid in lang:
                extras["utt2lang"] = lang[cid]
            text = kd.text.get(cid) if kd.text is not None else None
            utts.append(
                common.Utt(rec["id"], rec["noisy"], kd.utt2spk[cid], text=text, extras=extras)
            )
        split_dir = out / split
        done[split] = common.write_split(split_dir, utts, where=f"se_mixture {split}", skips=skips)
        atomic_write_text(
            split_dir / "mix.jsonl",
            "".join(json.dumps(r, sort_keys=True) + "\n" for r in records),
        )
    return done


def _listed(value: object, conv: type) -> list:
    """A list option given as a sequence, or as one comma-separated string (CLI)."""
    if isinstance(value, str):
        return [conv(v.strip()) for v in value.split(",") if v.strip()]
    if isinstance(value, Path):
        return [conv(value)]
    return [conv(v) for v in value]  # type: ignore[union-attr]


def _run(jobs: list[dict[str, Any]], num_workers: int, split: str) -> list[dict[str, Any]]:
    from tqdm import tqdm

    if not jobs:
        return []
    desc = f"se_mixture {split}"
    if num_workers <= 1 or len(jobs) < 8:
        return [_mix_one(j) for j in tqdm(jobs, desc=desc, leave=False)]
    with ProcessPoolExecutor(num_workers) as pool:
        return list(
            tqdm(pool.map(_mix_one, jobs, chunksize=8), total=len(jobs), desc=desc, leave=False)
        )
