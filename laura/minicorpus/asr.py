"""The speech of the parallel grammar and the three tasks made from it: ASR, S2TT and TTS.

The utterances are synthesised once (:func:`asr_utterances`, cached in ``ctx.products["asr"]``)
and shared: S2TT and TTS use the *same* audio files as ASR (and SE uses them as clean speech),
so building more tasks adds tables, not audio.

- ``asr``: ``text`` is the transcript; ``text.en`` / ``text.zh`` hold both sides of the pair.
- ``s2tt``: the same utterances and tables; the translation of an utterance is the ``text.<lang>``
  that is not its ``utt2lang`` (English speech -> ``text.zh``, Mandarin speech -> ``text.en``).
- ``tts``: the pairs reversed (``text`` in, ``wav.scp`` out) with ``utt2prompt``: another
  utterance of the same speaker in the same split, as a zero-shot speaker prompt. Utterances whose
  speaker has no other utterance in the split are left out (they have no prompt).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from laura.minicorpus import grammar
from laura.minicorpus.core import (
    SPLIT_CODE,
    SPLITS,
    AsrSize,
    BuildContext,
    Utterance,
    assign_speakers,
    register_builder,
    split_summary,
)
from laura.minicorpus.synth import SAMPLE_RATE, SynthJob
from laura.minicorpus.voices import sample_prosody

__all__ = ["asr_sentence_blocks", "asr_utterances", "build_asr", "build_s2tt", "build_tts"]


def asr_sentence_blocks(ctx: BuildContext) -> dict[tuple[str, str], list[grammar.Pair]]:
    """The ASR sentence pairs per (split, lang), without synthesising anything.

    One stream of unique pairs cut into blocks, test first so that the test sentences depend
    least on the other sizes. Other tasks use it to keep their sentences apart from ASR's.
    """
    if "asr_blocks" in ctx.products:
        return ctx.products["asr_blocks"]
    spec: AsrSize = ctx.spec("asr")
    counts = spec.counts
    order = [(split, lang) for split in ("test", "dev", "train") for lang in ctx.langs]
    pairs = grammar.unique_pairs(ctx.rng("asr", "sentences"), sum(counts[s] for s, _ in order))
    blocks: dict[tuple[str, str], list[grammar.Pair]] = {}
    pos = 0
    for split, lang in order:
        blocks[split, lang] = pairs[pos : pos + counts[split]]
        pos += counts[split]
    ctx.products["asr_blocks"] = blocks
    return blocks


def asr_utterances(ctx: BuildContext) -> dict[str, list[Utterance]]:
    """Synthesise (once per build) the ASR utterances; ``{split: [Utterance]}``.

    Sentences of test and dev are never used in train (neither their English nor their Chinese
    text); part of test is spoken by held-out speakers.
    """
    if "asr" in ctx.products:
        return ctx.products["asr"]
    spec: AsrSize = ctx.spec("asr")
    counts = spec.counts
    blocks = asr_sentence_blocks(ctx)
    jobs: list[SynthJob] = []
    meta: list[tuple[str, str, str, grammar.Pair]] = []  # spk, lang, split, pair
    for lang in ctx.langs:
        for split in SPLITS:
            rng = ctx.rng("asr", "assign", lang, split)
            spks = assign_speakers(ctx, rng, lang, split, counts[split], spec.test_heldout_frac)
            for i, (spk, pair) in enumerate(zip(spks, blocks[split, lang], strict=True)):
                uttid = f"{spk.spk}-{SPLIT_CODE[split]}{i:05d}"
                pros = sample_prosody(rng, spk)
                text = pair.en if lang == "en" else pair.zh
                path = ctx.work / "wav" / spk.spk / f"{uttid}.wav"
                jobs.append(
                    SynthJob(
                        uttid,
                        str(path),
                        text,
                        spk.voice,
                        pros.speed,
                        pros.pitch,
                        pros.pitch_range,
                        pros.peak,
                        pros.lead,
                        pros.trail,
                    )
                )
                meta.append((spk.spk, lang, split, pair))

    results = ctx.synthesize(jobs, desc="asr speech")
    by_split: dict[str, list[Utterance]] = {s: [] for s in SPLITS}
    for job, res, (spk, lang, split, pair) in zip(jobs, results, meta, strict=True):
        rel = Path(res.path).relative_to(ctx.work).as_posix()
        by_split[split].append(
            Utterance(
                job.uttid, spk, lang, split, pair.en, pair.zh, rel, res.num_samples / SAMPLE_RATE
            )
        )
    ctx.products["asr"] = by_split
    return by_split


# the manifest's note on the tasks that reuse the ASR audio
_SHARED_AUDIO = "shared with asr (same utterances)"


def _speech_summary(ctx: BuildContext, utts: list[Utterance]) -> dict[str, Any]:
    out = split_summary(ctx, {u.uttid: u.spk for u in utts}, {u.uttid: u.wav for u in utts})
    out["per_lang"] = {lang: sum(u.lang == lang for u in utts) for lang in ctx.langs}
    return out


def _transcribed(ctx: BuildContext, task: str) -> dict[str, dict[str, Any]]:
    """Write ``<task>/<split>`` from the ASR utterances as they are (ASR and S2TT read the same
    text, text.en and text.zh); ``{split: manifest entry}``."""
    splits: dict[str, dict[str, Any]] = {}
    for split, utts in asr_utterances(ctx).items():
        ctx.write_data_dir(task, split, utts)
        splits[split] = _speech_summary(ctx, utts)
    return splits


@register_builder("asr")
def build_asr(ctx: BuildContext) -> dict[str, Any]:
    """Speech + transcript for each language; text.en / text.zh hold the parallel translations."""
    splits = _transcribed(ctx, "asr")
    assert not any(ctx.speaker(s).heldout for s in splits["train"]["speakers"])
    return {"splits": splits}


@register_builder("s2tt")
def build_s2tt(ctx: BuildContext) -> dict[str, Any]:
    """Speech translation on the ASR utterances (same audio, same ids): en->zh and zh->en."""
    splits = _transcribed(ctx, "s2tt")
    for summary in splits.values():
        summary["directions"] = {
            f"{lang}->{'zh' if lang == 'en' else 'en'}": summary["per_lang"][lang]
            for lang in ctx.langs
        }
    return {"splits": splits, "audio": _SHARED_AUDIO}


@register_builder("tts")
def build_tts(ctx: BuildContext) -> dict[str, Any]:
    """Text -> speech on the ASR utterances, with a same-speaker prompt utterance per target."""
    by_split = asr_utterances(ctx)
    section: dict[str, Any] = {"splits": {}, "audio": _SHARED_AUDIO}
    for split, utts in by_split.items():
        rng = ctx.rng("tts", "prompt", split)
        by_spk: dict[str, list[Utterance]] = {}
        for u in sorted(utts, key=lambda u: u.uttid.encode()):
            by_spk.setdefault(u.spk, []).append(u)
        kept: list[Utterance] = []
        prompt: dict[str, str] = {}
        for spk in sorted(by_spk, key=str.encode):
            group = by_spk[spk]
            if len(group) < 2:
                continue
            for u in group:
                prompt[u.uttid] = rng.choice([o.uttid for o in group if o is not u])
                kept.append(u)
        ctx.write_data_dir("tts", split, kept, {"utt2prompt": prompt}, parallel_text=False)
        summary = _speech_summary(ctx, kept)
        summary["dropped_without_prompt"] = len(utts) - len(kept)
        section["splits"][split] = summary
    return section
