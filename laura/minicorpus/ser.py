"""SER: English sentences spoken in four emotions that differ in prosody, not in words.

Every sentence is spoken once in each emotion (by voices drawn independently), so the classes are
exactly balanced and the text carries no information about the label. The classes (names from the
paper's nine) are made acoustically distinct with what espeak-ng controls, relative to a
speaker-specific neutral base:

=========== ======= ======= =========== ======= ======== =====================================
emotion     speed   pitch   pitch range level   pauses   other
=========== ======= ======= =========== ======= ======== =====================================
neutral     x1.0    +0      x1.0        0.50    -        -
sadness     x0.72   -14     x0.35       0.22    +40 ms   -
happiness   x1.15   +16     x1.9        0.60    -        exclamation contour ("!")
anger       x1.25   -4      x1.45       0.90    -        tanh overdrive (pressed voice), "!"
=========== ======= ======= =========== ======= ======== =====================================

To keep the emotion cues larger than the differences between speakers, a speaker's own base
speed, pitch and range are pulled towards the middle (a SER speaker keeps its voice, accent and
variant). Sentences come from the parallel grammar (English side), disjoint from every ASR
sentence; dev/test sentences never occur in train, and part of test is spoken by held-out voices.

Tables (``ser/{train,dev,test}``): ``text``, ``utt2emotion``, ``utt2lang`` (``en``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from laura.minicorpus import grammar
from laura.minicorpus.asr import asr_sentence_blocks
from laura.minicorpus.core import (
    SPLIT_CODE,
    SPLITS,
    BuildContext,
    SerSize,
    assign_speakers,
    register_builder,
    split_summary,
)
from laura.minicorpus.synth import SynthJob
from laura.minicorpus.voices import Speaker

__all__ = ["EMOTIONS", "EmotionStyle", "build_ser", "emotion_job"]


@dataclass(frozen=True)
class EmotionStyle:
    speed: float  # factor on the neutral speed
    pitch: int  # offset on espeak -p (0-99)
    pitch_range: float  # factor on the neutral pitch range
    peak: float  # output level (peak amplitude)
    word_gap: int = 0  # espeak -g, 10 ms units
    drive: float = 0.0  # tanh overdrive
    ending: str = ""  # punctuation appended to the text espeak reads (not the transcript)


EMOTIONS: dict[str, EmotionStyle] = {
    "neutral": EmotionStyle(1.0, 0, 1.0, 0.5),
    "sadness": EmotionStyle(0.72, -14, 0.35, 0.22, word_gap=4),
    "happiness": EmotionStyle(1.15, 16, 1.9, 0.6, ending="!"),
    "anger": EmotionStyle(1.25, -4, 1.45, 0.9, drive=4.0, ending="!"),
}


def _toward(value: float, centre: float, keep: float) -> float:
    return centre + (value - centre) * keep


def emotion_job(uttid: str, path: str, text: str, spk: Speaker, emotion: str, rng: Any) -> SynthJob:
    """The espeak-ng job for ``text`` spoken by ``spk`` in ``emotion`` (jitter from ``rng``)."""
    st = EMOTIONS[emotion]
    speed = _toward(spk.speed, 165, 0.3) * (1 + rng.uniform(-0.04, 0.04))
    pitch = _toward(spk.pitch, 48, 0.4) + rng.randint(-3, 3)
    prange = _toward(spk.pitch_range, 100, 0.3) * (1 + rng.uniform(-0.08, 0.08))
    peak = st.peak * (1 + rng.uniform(-0.08, 0.08))
    return SynthJob(
        uttid,
        path,
        text + st.ending,
        spk.voice,
        int(round(speed * st.speed)),
        int(min(max(pitch + st.pitch, 5), 95)),
        int(round(prange * st.pitch_range)),
        round(min(peak, 0.97), 3),
        round(rng.uniform(0.1, 0.3), 3),
        round(rng.uniform(0.1, 0.3), 3),
        word_gap=st.word_gap,
        drive=st.drive,
    )


@register_builder("ser")
def build_ser(ctx: BuildContext) -> dict[str, Any]:
    """Each sentence x each emotion, spoken by English voices; ``utt2emotion``."""
    spec: SerSize = ctx.spec("ser")
    counts = spec.counts
    emotions = list(EMOTIONS)
    k = len(emotions)
    # sentences: English side of the grammar, none shared with ASR (any split)
    asr_pairs = [p for ps in asr_sentence_blocks(ctx).values() for p in ps]
    pool = grammar.unique_pairs(ctx.rng("ser", "sentences"), sum(counts.values()), asr_pairs)
    sentences: dict[str, list[str]] = {}
    pos = 0
    for split in ("test", "dev", "train"):
        sentences[split] = [p.en for p in pool[pos : pos + counts[split]]]
        pos += counts[split]

    jobs: list[SynthJob] = []
    meta: list[tuple[str, str, str, str]] = []  # spk, split, text, emotion
    for split in SPLITS:
        rng = ctx.rng("ser", "assign", split)
        n = counts[split] * k
        spks = assign_speakers(ctx, rng, "en", split, n, spec.test_heldout_frac)
        # sentence s gets speakers s*k .. s*k+k-1 (distinct unless there are fewer voices than k)
        for s, text in enumerate(sentences[split]):
            order = emotions[:]
            rng.shuffle(order)
            for j, emo in enumerate(order):
                spk = spks[s * k + j]
                i = s * k + j
                uttid = f"{spk.spk}-ser{SPLIT_CODE[split]}{i:05d}"
                path = ctx.work / "wav" / "ser" / spk.spk / f"{uttid}.wav"
                jobs.append(emotion_job(uttid, str(path), text, spk, emo, rng))
                meta.append((spk.spk, split, text, emo))
    results = ctx.synthesize(jobs, desc="ser speech")

    section: dict[str, Any] = {"splits": {}, "emotions": emotions}
    for split in SPLITS:
        rows = [(j, r, m) for j, r, m in zip(jobs, results, meta, strict=True) if m[1] == split]
        wav = {j.uttid: ctx.rel(r.path) for j, r, _ in rows}
        utt2spk = {j.uttid: m[0] for j, _, m in rows}
        tables = {
            "text": {j.uttid: m[2] for j, _, m in rows},
            "utt2emotion": {j.uttid: m[3] for j, _, m in rows},
            "utt2lang": {j.uttid: "en" for j, _, _ in rows},
        }
        ctx.write_dir("ser", split, wav, utt2spk, tables)
        summary = split_summary(ctx, utt2spk, wav)
        summary["sentences"] = counts[split]
        summary["per_emotion"] = {e: sum(m[3] == e for _, _, m in rows) for e in emotions}
        section["splits"][split] = summary
    return section
