"""espeak-ng voices as mini-corpus "speakers".

A speaker is a base voice (an accent: ``en-gb-scotland``, ``cmn-latn-pinyin``, ...) combined with a
voice *variant* (``+m3``, ``+f2``, ``+klatt4``, ``+croak`` ...) plus stable prosody offsets (base
speed, pitch, pitch range, level). Each utterance jitters around its speaker's offsets.

Held-out speakers use variants that no training speaker of *any* language uses, so a test score
on them measures generalisation to an unheard timbre rather than to a new accent/variant combo.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass

__all__ = [
    "ACCENTS",
    "VARIANTS",
    "Speaker",
    "UttProsody",
    "plan_speakers",
    "sample_prosody",
]

# Base voices per language. No mbrola voices: they need extra packages and are not installed.
# Plain ``cmn`` reads tone digits as English; ``cmn-latn-pinyin`` also reads hanzi correctly.
ACCENTS: dict[str, tuple[str, ...]] = {
    "en": (
        "en-us",
        "en-gb",
        "en-gb-scotland",
        "en-gb-x-rp",
        "en-gb-x-gbclan",
        "en-gb-x-gbcwmd",
        "en-029",
        "en-us-nyc",
    ),
    "zh": ("cmn-latn-pinyin",),
}

# variant -> (gender, kind). kind "plain": a normal-sounding voice, may be held out for test;
# "special": robotic / whispered / croaky voices, used in training only (variety, not benchmark).
# Left out on purpose: "fast" (renders identically to the base voice), "klatt6" and "caleb"
# (byte-identical to "klatt"), "Mr serious" (a space in the name).
VARIANTS: dict[str, tuple[str, str]] = {
    **{f"m{i}": ("m", "plain") for i in range(1, 9)},
    **{f"f{i}": ("f", "plain") for i in range(1, 6)},
    **{v: ("m", "plain") for v in ("klatt", "klatt2", "klatt3", "klatt4", "klatt5")},
    **{
        v: ("f", "plain")
        for v in ("Alicia", "Andrea", "Annie", "anika", "aunty", "belinda", "grandma", "linda")
    },
    **{v: ("f", "plain") for v in ("steph", "steph2", "steph3")},
    **{
        v: ("m", "plain")
        for v in (
            "Alex Andy Denis Diogo Gene Gene2 Henrique Hugo Jacky Lee Mario Michael Mike Nguyen "
            "RicishayMax RicishayMax2 RicishayMax3 adam antonio benjamin boris david ed edward "
            "edward2 grandpa gustave iven iven2 iven3 iven4 john marcelo max michel miguel norbert "
            "pablo paul pedro quincy rob robert sandro shelby travis victor zac"
        ).split()
    },
    **{v: ("f", "special") for v in ("whisperf", "anikaRobot")},
    **{
        v: ("m", "special")
        for v in (
            "croak whisper Demonic UniRobot announcer Tweaky kaukovalta AnxiousAndy Marco Storm "
            "robosoft robosoft2 robosoft3 robosoft4 robosoft5 robosoft6 robosoft7 robosoft8"
        ).split()
    },
}
# "Storm" declares "language en-us" in its variant file: keep it away from Mandarin.
_NOT_FOR = {"zh": {"Storm"}}

# Prosody ranges: speaker base values, per-utterance jitter and hard limits.
SPEED_BASE = (145, 195)  # espeak -s, words per minute
SPEED_JITTER = 15
SPEED_LIMITS = (130, 210)
PITCH_BASE = (25, 75)  # espeak -p, 0-99
PITCH_JITTER = 8
PITCH_LIMITS = (15, 85)
# SSML <prosody range="N%">: a flat contour hurts Mandarin tones, so zh keeps a wider floor.
RANGE_BASE = {"en": (60, 150), "zh": (85, 140)}
RANGE_JITTER = 20
RANGE_LIMITS = {"en": (40, 180), "zh": (70, 170)}
GAIN_BASE = (0.35, 0.85)  # target peak amplitude of the written wav
GAIN_JITTER = 0.1


@dataclass(frozen=True)
class Speaker:
    """One synthetic speaker."""

    spk: str  # id, e.g. "en007": fixed width so Kaldi sort orders agree
    lang: str
    accent: str  # espeak base voice
    variant: str
    gender: str  # "m" | "f"
    speed: int
    pitch: int
    pitch_range: int
    gain: float
    heldout: bool  # True: never in train (its variant is unused by every training speaker)

    @property
    def voice(self) -> str:
        """The espeak-ng ``-v`` argument."""
        return f"{self.accent}+{self.variant}"

    def to_dict(self) -> dict:
        """JSON-friendly form (for manifests)."""
        return asdict(self) | {"voice": self.voice}


@dataclass(frozen=True)
class UttProsody:
    """Per-utterance synthesis settings."""

    speed: int
    pitch: int
    pitch_range: int
    peak: float
    lead: float  # seconds of silence before speech
    trail: float  # seconds of silence after speech


def _interleave_genders(variants: list[str]) -> list[str]:
    """f, m, f, m, ... so a prefix of the list is as gender-balanced as the pool allows."""
    fem = [v for v in variants if VARIANTS[v][0] == "f"]
    mal = [v for v in variants if VARIANTS[v][0] == "m"]
    out: list[str] = []
    while fem or mal:
        if fem:
            out.append(fem.pop(0))
        if mal:
            out.append(mal.pop(0))
    return out


def plan_speakers(
    rng: random.Random,
    langs: tuple[str, ...],
    seen: Mapping[str, int],
    heldout_variants: Mapping[str, int],
    heldout_accents: int = 2,
) -> list[Speaker]:
    """Choose speakers for each language: ``seen[lang]`` training speakers plus held-out ones.

    ``heldout_variants[lang]`` variants are reserved per language (disjoint across languages, and
    unused by every training speaker); each is combined with up to ``heldout_accents`` accents.
    """
    plain = sorted(v for v, (_, kind) in VARIANTS.items() if kind == "plain")
    rng.shuffle(plain)
    plain = _interleave_genders(plain)
    heldout: dict[str, list[str]] = {}
    reserved: set[str] = set()
    for lang in langs:
        free = [v for v in plain if v not in reserved and v not in _NOT_FOR.get(lang, set())]
        heldout[lang] = free[: heldout_variants.get(lang, 0)]
        reserved.update(heldout[lang])

    speakers: list[Speaker] = []
    for lang in langs:
        accents = list(ACCENTS[lang])
        rng.shuffle(accents)
        pool = sorted(
            v for v in VARIANTS if v not in reserved and v not in _NOT_FOR.get(lang, set())
        )
        rng.shuffle(pool)
        pool = _interleave_genders(pool)
        n_seen = seen[lang]
        if n_seen > len(pool) * len(accents):
            raise ValueError(
                f"{n_seen} {lang} speakers requested, only {len(pool) * len(accents)} exist"
            )
        combos: list[tuple[str, str, bool]] = []
        for i in range(n_seen):
            # walk variants; each new round shifts the accent so combinations never repeat
            v = pool[i % len(pool)]
            a = accents[(i + i // len(pool)) % len(accents)]
            combos.append((a, v, False))
        for j, v in enumerate(heldout[lang]):
            for t in range(min(heldout_accents, len(accents))):
                combos.append((accents[(j * heldout_accents + t) % len(accents)], v, True))
        for k, (accent, variant, is_heldout) in enumerate(combos):
            speakers.append(
                Speaker(
                    spk=f"{lang}{k:03d}",
                    lang=lang,
                    accent=accent,
                    variant=variant,
                    gender=VARIANTS[variant][0],
                    speed=rng.randint(*SPEED_BASE),
                    pitch=rng.randint(*PITCH_BASE),
                    pitch_range=rng.randint(*RANGE_BASE[lang]),
                    gain=round(rng.uniform(*GAIN_BASE), 3),
                    heldout=is_heldout,
                )
            )
    return speakers


def _clip(x: float, lo: float, hi: float) -> float:
    return min(max(x, lo), hi)


def sample_prosody(rng: random.Random, spk: Speaker) -> UttProsody:
    """Per-utterance jitter around the speaker's base prosody."""
    rlo, rhi = RANGE_LIMITS[spk.lang]
    return UttProsody(
        speed=int(_clip(spk.speed + rng.randint(-SPEED_JITTER, SPEED_JITTER), *SPEED_LIMITS)),
        pitch=int(_clip(spk.pitch + rng.randint(-PITCH_JITTER, PITCH_JITTER), *PITCH_LIMITS)),
        pitch_range=int(
            _clip(spk.pitch_range + rng.randint(-RANGE_JITTER, RANGE_JITTER), rlo, rhi)
        ),
        peak=round(_clip(spk.gain + rng.uniform(-GAIN_JITTER, GAIN_JITTER), 0.2, 0.95), 3),
        lead=round(rng.uniform(0.1, 0.3), 3),
        trail=round(rng.uniform(0.1, 0.3), 3),
    )
