"""SE: noisy/clean pairs from the mini corpus speech (en + zh).

Clean speech is the ASR utterances of the same split (so test pairs include held-out voices and
held-out sentences). Noise types:

- ``white``, ``pink``, ``brown``: sox ``synth whitenoise|pinknoise|brownnoise`` (brown and pink
  high-passed at 40/20 Hz, so their power is audible), ``hum``: sox ``synth sawtooth 50|60``
  low-passed at 400 Hz. One 60 s recording per type is made with ``sox -R`` (repeatable); train
  draws its pieces from the first 40 s, dev from the next 10 s, test from the last 10 s;
- ``babble``: 3-5 other utterances of the same split spoken by other speakers, each at a random
  offset (looped) and level.

The noise is scaled so that the SNR against the speech *as it is in the mixture* is exact
(:func:`laura.data.augment.mix_at_snr`, whole-utterance power): uniform 2-15 dB in
train (0.01 dB steps), the fixed grid 2, 5, 10, 15 dB cycled over the sorted ids in dev/test
(with the noise types cycled across it, so every (noise, SNR) cell has an equal share). A
``reverb_frac`` share of pairs is reverberated first with a synthetic exponential-decay RIR
(RT60 0.2-0.8 s, direct path aligned, power kept), and the reference stays the *dry* speech:
denoising plus dereverberation, as in the paper. If a mixture would clip, mixture and reference
are scaled by the same gain (then the reference is a copy; otherwise ``clean.scp`` points at
the ASR wav itself).

Tables (``se/{train,dev,test}``): ``wav.scp`` (noisy), ``clean.scp`` (absolute path of the dry
reference), ``utt2snr`` (dB), ``utt2noise`` (type), ``utt2rt60`` (s; ``0`` = not reverberated),
``text`` (the clean transcript, for the WER of enhanced speech), ``utt2lang``. Ids are
``<clean utt id>-se<k>``; audio is under ``OUT/wav/se/<spk>/``.
"""

from __future__ import annotations

import subprocess
from typing import Any

import numpy as np
import soundfile as sf

from laura.minicorpus.asr import asr_utterances
from laura.minicorpus.core import SPLITS, BuildContext, SeSize, Utterance, register_builder
from laura.minicorpus.synth import SAMPLE_RATE, write_wav

__all__ = ["NOISES", "EVAL_SNRS", "build_se", "noise_bank", "synthetic_rir"]

NOISES = ("white", "pink", "brown", "hum", "babble")
EVAL_SNRS = (2.0, 5.0, 10.0, 15.0)
TRAIN_SNR = (2.0, 15.0)
RT60 = (0.2, 0.8)
PEAK = 0.99
BANK_SECONDS = 60
# where each split takes its noise pieces from in the 60 s recordings (seconds)
BANK_REGION = {"train": (0, 40), "dev": (40, 50), "test": (50, 60)}
_SOX_NOISE = {
    "white": ["synth", str(BANK_SECONDS), "whitenoise"],
    "pink": ["synth", str(BANK_SECONDS), "pinknoise", "highpass", "20"],
    "brown": ["synth", str(BANK_SECONDS), "brownnoise", "highpass", "40"],
    "hum": ["synth", str(BANK_SECONDS), "sawtooth", "50", "lowpass", "400"],
    "hum60": ["synth", str(BANK_SECONDS), "sawtooth", "60", "lowpass", "400"],
}

_BANK: dict[str, np.ndarray] = {}  # set in the parent before forking the workers


def _sox(args: list[str]) -> np.ndarray:
    cmd = [
        "sox",
        "-R",
        "-V1",
        "-n",
        "-r",
        str(SAMPLE_RATE),
        "-c",
        "1",
        "-t",
        "raw",
        "-e",
        "floating-point",
        "-b",
        "32",
        "-",
        *args,
    ]
    try:
        out = subprocess.run(cmd, capture_output=True, check=True).stdout
    except FileNotFoundError:
        raise RuntimeError(
            "sox not found: install it (Debian/Ubuntu: apt-get install sox)"
        ) from None
    return np.frombuffer(out, dtype=np.float32).astype(np.float64)


def noise_bank() -> dict[str, np.ndarray]:
    """The sox noise recordings (60 s each, 16 kHz), made once per process."""
    if not _BANK:
        for name, args in _SOX_NOISE.items():
            x = _sox(args)
            _BANK[name] = x - float(np.mean(x))
    return _BANK


def synthetic_rir(rng: np.random.Generator, rt60: float) -> np.ndarray:
    """Exponentially decaying noise (-60 dB after ``rt60`` s) after a unit direct path, with a
    few early reflections in the first 20 ms."""
    n = int(rt60 * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    tail = rng.standard_normal(n) * np.exp(-6.9078 * t / rt60) * 0.25
    h = np.zeros(n)
    h[0] = 1.0
    onset = int(0.003 * SAMPLE_RATE)
    h[onset:] += tail[: n - onset]
    for _ in range(4):
        k = int(rng.integers(int(0.002 * SAMPLE_RATE), int(0.02 * SAMPLE_RATE)))
        h[k] += rng.uniform(-0.5, 0.5)
    return h


def _read(path: str) -> np.ndarray:
    x, sr = sf.read(path, dtype="float64")
    assert sr == SAMPLE_RATE and x.ndim == 1, path
    return x


def _babble(rng: np.random.Generator, paths: list[str], n: int) -> np.ndarray:
    from laura.data.augment import crop_or_loop

    out = np.zeros(n)
    for p in paths:
        x = _read(p)
        x = x / max(1e-12, float(np.sqrt(np.mean(x * x))))
        out += crop_or_loop(x, n, rng) * rng.uniform(0.5, 1.0)
    return out


def _mix_job(job: dict[str, Any]) -> dict[str, Any]:
    from laura.data.augment import mix_at_snr, reverberate

    rng = np.random.default_rng(job["seed"])
    speech = _read(job["clean"])
    wet = speech
    if job["rt60"] > 0:
        wet = reverberate(speech, synthetic_rir(rng, job["rt60"]))
    if job["noise"] == "babble":
        noise = _babble(rng, job["babble"], len(speech))
    else:
        name = job["noise"]
        if name == "hum" and rng.random() < 0.5:
            name = "hum60"
        a, b = BANK_REGION[job["split"]]
        noise = noise_bank()[name][a * SAMPLE_RATE : b * SAMPLE_RATE]
    mix, _ = mix_at_snr(wet, noise, job["snr"], rng, mode="whole")
    peak = float(np.max(np.abs(mix)))
    gain = min(1.0, PEAK / peak) if peak > 0 else 1.0
    out = {"noisy": job["noisy"], "noisy_sha": write_wav(job["noisy"], mix * gain), "n": len(mix)}
    if gain < 1.0:
        out["clean_ref"] = job["clean_copy"]
        out["clean_sha"] = write_wav(job["clean_copy"], speech * gain)
    else:
        out["clean_ref"] = job["clean"]
        out["clean_sha"] = None
    out["gain"] = gain
    return out


def _pick_clean(rng: Any, utts: list[Utterance], n: int) -> list[tuple[Utterance, int]]:
    """``n`` (utterance, copy index) pairs: a random subset, cycled if ``n`` > len(utts)."""
    chosen: list[tuple[Utterance, int]] = []
    copy = 0
    while len(chosen) < n:
        pool = utts[:]
        rng.shuffle(pool)
        chosen += [(u, copy) for u in pool[: n - len(chosen)]]
        copy += 1
    return sorted(chosen, key=lambda c: f"{c[0].uttid}-se{c[1]}".encode())


@register_builder("se")
def build_se(ctx: BuildContext) -> dict[str, Any]:
    """Noisy/clean speech pairs with ``clean.scp``, ``utt2snr``, ``utt2noise``, ``utt2rt60``."""
    spec: SeSize = ctx.spec("se")
    counts = spec.counts
    by_split = asr_utterances(ctx)
    noise_bank()  # before forking: the workers inherit it
    jobs: list[dict[str, Any]] = []
    meta: list[tuple[str, str, Utterance]] = []  # split, id, clean utterance
    for split in SPLITS:
        rng = ctx.rng("se", "plan", split)
        chosen = _pick_clean(rng, by_split[split], counts[split])
        n_rev = round(len(chosen) * spec.reverb_frac)
        reverb = set(rng.sample(range(len(chosen)), n_rev))
        for i, (u, k) in enumerate(chosen):
            uid = f"{u.uttid}-se{k}"
            if split == "train":
                snr = round(rng.uniform(*TRAIN_SNR), 2)
                noise = rng.choice(NOISES)
            else:
                snr = EVAL_SNRS[i % len(EVAL_SNRS)]
                noise = NOISES[(i // len(EVAL_SNRS)) % len(NOISES)]
            others = [o for o in by_split[split] if o.spk != u.spk]
            babble: list[str] = []
            if noise == "babble":
                rng.shuffle(others)
                talkers = rng.randint(3, 5)
                spks: set[str] = set()
                for o in others:
                    if o.spk not in spks and len(babble) < talkers:
                        spks.add(o.spk)
                        babble.append(str(ctx.work / o.wav))
            rt60 = round(rng.uniform(*RT60), 2) if i in reverb else 0.0
            folder = ctx.work / "wav" / "se" / u.spk
            jobs.append(
                {
                    "split": split,
                    "clean": str(ctx.work / u.wav),
                    "noise": noise,
                    "snr": snr,
                    "rt60": rt60,
                    "babble": babble,
                    "seed": ctx.int_seed("se", "mix", uid),
                    "noisy": str(folder / f"{uid}.wav"),
                    "clean_copy": str(folder / f"{uid}-clean.wav"),
                }
            )
            meta.append((split, uid, u))
    results = ctx.map(_mix_job, jobs, desc="se mixtures")

    section: dict[str, Any] = {"splits": {}, "noises": list(NOISES)}
    for split in SPLITS:
        rows = [(j, r, m) for j, r, m in zip(jobs, results, meta, strict=True) if m[0] == split]
        wav, utt2spk, clean = {}, {}, {}
        tables: dict[str, dict[str, str]] = {
            n: {} for n in ("text", "utt2lang", "utt2snr", "utt2noise", "utt2rt60")
        }
        for job, res, (_, uid, u) in rows:
            wav[uid] = ctx.record(res["noisy"], res["noisy_sha"], res["n"])
            if res["clean_sha"] is not None:
                ctx.record(res["clean_ref"], res["clean_sha"], res["n"])
            clean[uid] = (ctx.root / ctx.rel(res["clean_ref"])).as_posix()
            utt2spk[uid] = u.spk
            tables["text"][uid] = u.text
            tables["utt2lang"][uid] = u.lang
            tables["utt2snr"][uid] = format(job["snr"], "g")
            tables["utt2noise"][uid] = job["noise"]
            tables["utt2rt60"][uid] = format(job["rt60"], "g")
        tables["clean.scp"] = clean
        ctx.write_dir("se", split, wav, utt2spk, tables)
        dur = sum(ctx.durations[p] for p in wav.values())
        spks = sorted(set(utt2spk.values()))
        section["splits"][split] = {
            "utterances": len(wav),
            "duration_sec": round(dur, 2),
            "hours": round(dur / 3600, 4),
            "per_noise": {n: sum(j["noise"] == n for j, _, _ in rows) for n in NOISES},
            "reverberated": sum(j["rt60"] > 0 for j, _, _ in rows),
            "clean_copies": sum(r["clean_sha"] is not None for _, r, _ in rows),
            "speakers": spks,
            "heldout_speakers": [s for s in spks if ctx.speaker(s).heldout],
        }
    return section
