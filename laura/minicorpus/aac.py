"""AAC: synthetic sound scenes (numpy) with captions generated from the scene description.

A scene is a background (``quiet``, ``hum``, ``hiss``, ``rumble``, ``wind``) and one to three
*event groups* played one after another; a group is one kind of event (high/low beeps, rising/
falling sweeps, noise bursts, clicks, knocks, steady tones, sirens, buzzes) repeated ``n`` times.
Scenes last 2-8 s (16 kHz mono). Captions describe the groups in order with their counts and the
background, in several paraphrases, e.g. "a high beep repeats three times then a falling tone
over a low hum" / "three shrill beeps followed by a downward whistle with a steady hum in the
background". Every caption states every group's count ("a"/"one"/"once"/"single" for one).

Scene *signatures* (background + ordered (kind, count) groups) of dev and test never occur in
train, so a test caption always describes a combination the model has not heard.

Layout (``aac/{train,dev,test}``), speaker = the scene family (the background name)::

    train: one utterance per (clip, caption): id <clip>-c<k>, table ``caption``
    dev/test: one utterance per clip: ``caption1`` .. ``captionN`` and ``caption`` (= caption1)
    all: wav.scp utt2spk spk2utt utt2dur, ``utt2events`` ("background=hum ; beep_high=3 ;
         sweep_down=1"), and ``scenes.jsonl`` (every event's onset, duration and parameters)

Clip ids are ``<family>-aac<split code><index>``, audio ``OUT/wav/aac/<family>/<clip>.wav``.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from typing import Any

import numpy as np

from laura.data.kaldi import atomic_write_text
from laura.minicorpus import grammar, words
from laura.minicorpus.core import SPLIT_CODE, SPLITS, AacSize, BuildContext, register_builder
from laura.minicorpus.synth import SAMPLE_RATE, write_wav

__all__ = [
    "BACKGROUNDS",
    "EVENTS",
    "Scene",
    "build_aac",
    "captions",
    "count_words",
    "random_scene",
    "render_scene",
]

SR = SAMPLE_RATE
MIN_SECONDS, MAX_SECONDS = 2.0, 8.0


@dataclass(frozen=True)
class EventKind:
    counts: tuple[int, int]  # repetitions, inclusive
    nouns: tuple[tuple[str, str], ...]  # (singular, plural) paraphrases
    dur: tuple[float, float]  # seconds of one event
    gap: tuple[float, float]  # silence between repetitions


EVENTS: dict[str, EventKind] = {
    "beep_high": EventKind(
        (1, 5),
        (
            ("high beep", "high beeps"),
            ("high pitched beep", "high pitched beeps"),
            ("shrill beep", "shrill beeps"),
        ),
        (0.1, 0.25),
        (0.15, 0.45),
    ),
    "beep_low": EventKind(
        (1, 5),
        (
            ("low beep", "low beeps"),
            ("deep beep", "deep beeps"),
            ("low pitched beep", "low pitched beeps"),
        ),
        (0.12, 0.3),
        (0.15, 0.45),
    ),
    "sweep_up": EventKind(
        (1, 3),
        (
            ("rising sweep", "rising sweeps"),
            ("rising tone", "rising tones"),
            ("upward whistle", "upward whistles"),
        ),
        (0.4, 1.1),
        (0.2, 0.4),
    ),
    "sweep_down": EventKind(
        (1, 3),
        (
            ("falling sweep", "falling sweeps"),
            ("falling tone", "falling tones"),
            ("downward whistle", "downward whistles"),
        ),
        (0.4, 1.1),
        (0.2, 0.4),
    ),
    "burst": EventKind(
        (1, 4),
        (
            ("burst of noise", "bursts of noise"),
            ("short hiss", "short hisses"),
            ("noise burst", "noise bursts"),
        ),
        (0.12, 0.35),
        (0.2, 0.5),
    ),
    "click": EventKind(
        (2, 6),
        (("click", "clicks"), ("tick", "ticks"), ("sharp click", "sharp clicks")),
        (0.01, 0.01),
        (0.12, 0.3),
    ),
    "knock": EventKind(
        (1, 4),
        (("knock", "knocks"), ("dull thud", "dull thuds"), ("low knock", "low knocks")),
        (0.15, 0.15),
        (0.15, 0.4),
    ),
    "tone": EventKind(
        (1, 2),
        (
            ("steady tone", "steady tones"),
            ("long whistle", "long whistles"),
            ("constant tone", "constant tones"),
        ),
        (0.7, 1.5),
        (0.25, 0.5),
    ),
    "siren": EventKind(
        (1, 2),
        (("siren", "sirens"), ("wailing siren", "wailing sirens"), ("siren wail", "siren wails")),
        (1.0, 2.0),
        (0.25, 0.5),
    ),
    "buzz": EventKind(
        (1, 3),
        (("buzz", "buzzes"), ("buzzer", "buzzers"), ("harsh buzz", "harsh buzzes")),
        (0.3, 0.7),
        (0.2, 0.45),
    ),
}

# background -> (level in dBFS rms, caption phrases; "" = not mentioned)
BACKGROUNDS: dict[str, tuple[float, tuple[str, ...]]] = {
    "quiet": (
        -62.0,
        ("", "in a quiet room", "in silence", "with no other sound", "in a silent room"),
    ),
    "hum": (
        -34.0,
        (
            "over a low hum",
            "with a steady hum in the background",
            "over an electrical hum",
            "while a low hum continues",
            "against a humming background",
        ),
    ),
    "hiss": (
        -38.0,
        (
            "over a soft hiss",
            "with static in the background",
            "over a steady hiss",
            "while a quiet hiss continues",
            "against a background of static",
        ),
    ),
    "rumble": (
        -34.0,
        (
            "over a deep rumble",
            "with a low rumble in the background",
            "over a rumbling noise",
            "while a deep rumble continues",
            "against a low rumbling",
        ),
    ),
    "wind": (
        -34.0,
        (
            "with wind blowing in the background",
            "over the sound of wind",
            "while the wind blows",
            "over a gusty wind",
            "against a windy background",
        ),
    ),
}

_GROUP_WEIGHTS = {1: 0.25, 2: 0.45, 3: 0.3}


@dataclass(frozen=True)
class Scene:
    background: str
    groups: tuple[tuple[str, int], ...]  # (event kind, count), in time order

    @property
    def signature(self) -> str:
        """``background=hum ; beep_high=3 ; sweep_down=1`` (also the ``utt2events`` value)."""
        return " ; ".join([f"background={self.background}"] + [f"{k}={n}" for k, n in self.groups])


def random_scene(rng: random.Random) -> Scene:
    bg = rng.choice(sorted(BACKGROUNDS))
    n_groups = rng.choices(list(_GROUP_WEIGHTS), weights=list(_GROUP_WEIGHTS.values()))[0]
    kinds = rng.sample(sorted(EVENTS), n_groups)
    return Scene(bg, tuple((k, rng.randint(*EVENTS[k].counts)) for k in kinds))


# ----------------------------------------------------------------------------------- captions
def count_words(n: int) -> set[str]:
    """Words that state the count ``n`` in a caption."""
    if n == 1:
        return {"a", "an", "one", "once", "single"}
    if n == 2:
        return {"two", "twice"}
    return {words.en_number(n)}


def _a(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{words.en_number(n)} times")


def _group_phrase(rng: random.Random, kind: str, n: int) -> tuple[str, bool]:
    """(phrase, is_noun_phrase) for ``n`` events of ``kind``."""
    sg, pl = rng.choice(EVENTS[kind].nouns)
    if n == 1:
        options = [
            (f"{_a(sg)} {sg}", True),
            (f"one {sg}", True),
            (f"a single {sg}", True),
            (f"{_a(sg)} {sg} sounds once", False),
            (f"{_a(sg)} {sg} is heard once", False),
        ]
    else:
        num = words.en_number(n)
        options = [
            (f"{num} {pl}", True),
            (f"{num} {pl}", True),
            (f"{_a(sg)} {sg} repeats {_times(n)}", False),
            (f"{_a(sg)} {sg} sounds {_times(n)}", False),
            (f"{num} {pl} are heard", False),
        ]
    return rng.choice(options)


def _caption(rng: random.Random, scene: Scene) -> str:
    parts: list[str] = []
    for i, (kind, n) in enumerate(scene.groups):
        phrase, is_np = _group_phrase(rng, kind, n)
        if i > 0:
            joins = ["then", "and then", "and after that"] + (["followed by"] * 2 if is_np else [])
            parts.append(rng.choice(joins))
        parts.append(phrase)
    bg = rng.choice(BACKGROUNDS[scene.background][1])
    if bg and rng.random() < 0.2 and not bg.startswith("while"):
        return " ".join([bg, *parts])
    return " ".join([*parts, bg]).strip()


def captions(rng: random.Random, scene: Scene, k: int) -> list[str]:
    """``k`` distinct paraphrases (fewer only if the scene has fewer)."""
    out: list[str] = []
    for _ in range(50 * k):
        c = _caption(rng, scene)
        if c not in out:
            out.append(c)
            if len(out) == k:
                break
    for c in out:
        assert grammar.is_normalised(c, "en"), c
    return out


# ----------------------------------------------------------------------------------- audio
def _ramp(x: np.ndarray, seconds: float) -> np.ndarray:
    n = min(len(x) // 2, max(1, int(seconds * SR)))
    w = 0.5 - 0.5 * np.cos(np.linspace(0, math.pi, n))
    x[:n] *= w
    x[len(x) - n :] *= w[::-1]
    return x


def _event(rng: np.random.Generator, kind: str, dur: float, params: dict[str, float]) -> np.ndarray:
    """One event's samples, peak about 1."""
    n = max(1, int(round(dur * SR)))
    t = np.arange(n) / SR
    if kind in ("beep_high", "beep_low", "tone"):
        x = np.sin(2 * math.pi * params["freq"] * t)
        return _ramp(x, 0.008 if kind != "tone" else 0.03)
    if kind in ("sweep_up", "sweep_down"):
        f0, f1 = params["f0"], params["f1"]
        k = math.log(f1 / f0) / dur
        phase = 2 * math.pi * f0 * (np.exp(k * t) - 1) / k
        return _ramp(np.sin(phase), 0.02)
    if kind == "siren":
        fc, dev, rate = params["freq"], params["dev"], params["rate"]
        phase = 2 * math.pi * (fc * t - dev / (2 * math.pi * rate) * np.cos(2 * math.pi * rate * t))
        return _ramp(np.sin(phase), 0.05)
    if kind == "buzz":
        x = np.sign(np.sin(2 * math.pi * params["freq"] * t)) * 0.7
        x += 0.3 * np.sin(2 * math.pi * 3 * params["freq"] * t)
        return _ramp(x, 0.01)
    if kind == "burst":
        x = rng.standard_normal(n)
        env = np.minimum(1.0, t / 0.005) * np.exp(-t / (dur / 2.5))
        return x * env / 3.0
    if kind == "click":
        x = rng.standard_normal(n) * np.exp(-t / 0.0008)
        return x / max(1e-9, float(np.abs(x).max()))
    if kind == "knock":
        x = np.sin(2 * math.pi * params["freq"] * t) * np.exp(-t / 0.035)
        x[: int(0.004 * SR)] += rng.standard_normal(int(0.004 * SR)) * 0.5
        return x
    raise ValueError(kind)


def _params(rng: random.Random, kind: str) -> dict[str, float]:
    if kind == "beep_high":
        return {"freq": round(rng.uniform(1800, 3200), 1)}
    if kind == "beep_low":
        return {"freq": round(rng.uniform(280, 600), 1)}
    if kind == "tone":
        return {"freq": round(rng.uniform(600, 1300), 1)}
    if kind == "sweep_up":
        return {"f0": round(rng.uniform(250, 600), 1), "f1": round(rng.uniform(1600, 3200), 1)}
    if kind == "sweep_down":
        return {"f0": round(rng.uniform(1600, 3200), 1), "f1": round(rng.uniform(250, 600), 1)}
    if kind == "siren":
        return {
            "freq": round(rng.uniform(700, 1100), 1),
            "dev": round(rng.uniform(150, 350), 1),
            "rate": round(rng.uniform(0.8, 2.5), 2),
        }
    if kind == "buzz":
        return {"freq": round(rng.uniform(110, 220), 1)}
    if kind == "knock":
        return {"freq": round(rng.uniform(90, 180), 1)}
    return {}


def layout(rng: random.Random, scene: Scene) -> dict[str, Any] | None:
    """Timed events for ``scene`` (None if it cannot fit in 8 s)."""
    t = rng.uniform(0.3, 0.7)
    lead = t
    events = []
    for gi, (kind, n) in enumerate(scene.groups):
        spec = EVENTS[kind]
        if gi > 0:
            t += rng.uniform(0.3, 0.7)
        params = _params(rng, kind)
        level = round(rng.uniform(0.3, 0.6), 3)
        dur = round(rng.uniform(*spec.dur), 3)  # one duration per group: a regular pattern
        for i in range(n):
            if i > 0:
                t += rng.uniform(*spec.gap)
            events.append(
                {"kind": kind, "onset": round(t, 3), "duration": dur, "level": level, **params}
            )
            t = round(t + dur, 3)
    total = t + rng.uniform(0.3, 0.6)
    if total > MAX_SECONDS:
        return None
    total = max(total, MIN_SECONDS)
    return {
        "background": scene.background,
        "bg_param": round(rng.uniform(0, 1), 3),
        "lead": round(lead, 3),
        "duration": round(total, 3),
        "events": events,
    }


def _background(rng: np.random.Generator, name: str, n: int, u: float) -> np.ndarray:
    from scipy.signal import lfilter

    t = np.arange(n) / SR
    if name == "hum":
        f = 50.0 if u < 0.5 else 60.0
        x = sum(
            (0.6**h) * np.sin(2 * math.pi * f * (h + 1) * t + rng.uniform(0, 2 * math.pi))
            for h in range(5)
        )
        x = x + 0.02 * rng.standard_normal(n)
    elif name in ("hiss", "quiet"):
        x = rng.standard_normal(n)
    elif name == "rumble":
        # brown-ish noise: a leaky integrator (corner ~50 Hz) above a 30 Hz high-pass
        x = lfilter([1.0], [1.0, -0.98], rng.standard_normal(n))
        x = lfilter([1.0, -1.0], [1.0, -0.988], x)
    elif name == "wind":
        # pink-ish noise (Kellet's filter) with a slow gusting envelope
        w = rng.standard_normal(n)
        x = lfilter(
            [0.049922035, -0.095993537, 0.050612699, -0.004408786],
            [1, -2.494956002, 2.017265875, -0.522189400],
            w,
        )
        gust = 1 + 0.6 * np.sin(2 * math.pi * (0.2 + 0.3 * u) * t + rng.uniform(0, 6.3))
        x = x * gust
    else:
        raise ValueError(name)
    x = x - float(np.mean(x))
    return x / max(1e-12, float(np.sqrt(np.mean(x * x))))


def render_scene(plan: dict[str, Any], seed: int) -> np.ndarray:
    """The samples of a laid-out scene (deterministic from ``plan`` and ``seed``)."""
    rng = np.random.default_rng(seed)
    n = int(round(plan["duration"] * SR))
    level_db = BACKGROUNDS[plan["background"]][0]
    y = _background(rng, plan["background"], n, plan["bg_param"]) * 10 ** (level_db / 20)
    for ev in plan["events"]:
        x = _event(rng, ev["kind"], ev["duration"], ev) * ev["level"]
        a = int(round(ev["onset"] * SR))
        b = min(n, a + len(x))
        y[a:b] += x[: b - a]
    peak = float(np.abs(y).max())
    if peak > 0.9:
        y *= 0.9 / peak
    return y.astype(np.float32)


def _render_job(job: dict[str, Any]) -> tuple[str, str, int]:
    y = render_scene(job["plan"], job["seed"])
    return job["path"], write_wav(job["path"], y), len(y)


# ----------------------------------------------------------------------------------- builder
@register_builder("aac")
def build_aac(ctx: BuildContext) -> dict[str, Any]:
    """Sound scenes + generated captions (several paraphrases per clip)."""
    spec: AacSize = ctx.spec("aac")
    counts = spec.counts
    rng = ctx.rng("aac", "scenes")
    taken: set[str] = set()
    plans: dict[str, list[tuple[Scene, dict[str, Any]]]] = {}
    for split in ("test", "dev", "train"):  # test first: it depends least on the other sizes
        plans[split] = []
        tries = 0
        while len(plans[split]) < counts[split]:
            tries += 1
            if tries > 1000 * counts[split] + 1000:
                raise RuntimeError("aac: not enough distinct scenes")
            scene = random_scene(rng)
            if scene.signature in taken:
                continue
            plan = layout(rng, scene)
            if plan is None:
                continue
            taken.add(scene.signature)
            plans[split].append((scene, plan))

    jobs: list[dict[str, Any]] = []
    meta: list[tuple[str, str, str, Scene, dict[str, Any], list[str]]] = []
    for split in SPLITS:
        crng = ctx.rng("aac", "captions", split)
        for i, (scene, plan) in enumerate(plans[split]):
            fam = scene.background
            clip = f"{fam}-aac{SPLIT_CODE[split]}{i:05d}"
            path = ctx.work / "wav" / "aac" / fam / f"{clip}.wav"
            seed = ctx.int_seed("aac", "render", clip)
            jobs.append({"path": str(path), "plan": plan, "seed": seed})
            meta.append((split, clip, fam, scene, plan, captions(crng, scene, spec.captions)))
    results = ctx.map(_render_job, jobs, desc="aac scenes")
    rel = {}
    for path, sha, n in results:
        rel[path] = ctx.record(path, sha, n)

    section: dict[str, Any] = {
        "splits": {},
        "events": sorted(EVENTS),
        "backgrounds": sorted(BACKGROUNDS),
    }
    for split in SPLITS:
        rows = [(j, m) for j, m in zip(jobs, meta, strict=True) if m[0] == split]
        wav: dict[str, str] = {}
        utt2spk: dict[str, str] = {}
        tables: dict[str, dict[str, str]] = {"caption": {}, "utt2events": {}}
        if split != "train":
            tables.update({f"caption{k + 1}": {} for k in range(spec.captions)})
        scenes_lines = {}
        for job, (_, clip, fam, scene, plan, caps) in rows:
            scenes_lines[clip] = json.dumps({"clip": clip, **plan}, sort_keys=True) + "\n"
            if split == "train":
                utts = [(f"{clip}-c{k + 1}", c) for k, c in enumerate(caps)]
            else:
                utts = [(clip, caps[0])]
                for k in range(spec.captions):
                    tables[f"caption{k + 1}"][clip] = caps[k % len(caps)]
            for utt, cap in utts:
                wav[utt] = rel[job["path"]]
                utt2spk[utt] = fam
                tables["caption"][utt] = cap
                tables["utt2events"][utt] = scene.signature
        d = ctx.write_dir("aac", split, wav, utt2spk, tables, gender=False)
        lines = [scenes_lines[c] for c in sorted(scenes_lines, key=str.encode)]
        atomic_write_text(d / "scenes.jsonl", "".join(lines))
        clip_dur = sum(ctx.durations[rel[j["path"]]] for j, _ in rows)
        section["splits"][split] = {
            "utterances": len(wav),
            "clips": len(rows),
            "duration_sec": round(clip_dur, 2),
            "hours": round(clip_dur / 3600, 4),
            "per_background": {b: sum(m[2] == b for _, m in rows) for b in sorted(BACKGROUNDS)},
        }
    return section
