"""WenetSpeech (Zhang et al., 2022; v1.0), 10,000+ h of Mandarin YouTube/podcast audio, for ASR.

Expected layout (what the official ``utils/download_wenetspeech.sh`` leaves after decrypting
and untarring; ``src`` may be that directory or its parent holding ``WenetSpeech/``)::

    WenetSpeech/
      WenetSpeech.json
      audio/
        train/youtube/B00000/Y0000000000_--5llN02F84.opus   # long recordings, Ogg Opus 16 kHz
        train/podcast/...
        dev/...  test_net/...  test_meeting/...

``WenetSpeech.json``: ``{"audios": [{"aid": "Y0000000000_--5llN02F84", "path":
"audio/train/youtube/B00000/Y0000000000_--5llN02F84.opus", "duration": ..., "source":
"youtube", "segments": [{"sid": "Y0000000000_--5llN02F84_S00000", "begin_time": 20.08,
"end_time": 24.4, "confidence": 1.0, "text": "怎么样这些日子住得还习惯吧",
"subsets": ["L"]}, ...]}, ...]}``; it is streamed one audio entry at a time.

Splits: ``s``, ``m``, ``l`` (the nested high-label training subsets S ⊂ M ⊂ L), ``w`` (the
segments tagged ``W``: the weak-label data, confidence in [0.6, 0.95]), ``dev``, ``test_net``,
``test_meeting``; each is the set of segments whose ``subsets`` list holds its tag.
Default: ``l``, ``dev``, ``test_net``, ``test_meeting`` (what the official recipes train and
score on).

Text: the segment ``text`` as distributed (Chinese characters, occasional English words),
whitespace collapsed; segments with an empty text are dropped and counted. Speaker = the
recording id (``aid``, which every ``sid`` starts with): the corpus has no speaker labels.

Audio (``audio=``), tables and missing-audio handling are the same as for GigaSpeech (the
reader is ``common.prepare_json_corpus``; see ``gigaspeech.py``): by default every segment is
cut to ``out/wav/<aid>/<sid>.wav`` (16 kHz 16-bit), or with ``audio="segments"`` ``wav.scp``
lists the Opus recordings and a ``segments`` file holds the times. Tables: ``wav.scp``,
``text``, ``utt2spk``, ``utt2lang`` (``zh``), ``utt2source`` (youtube/podcast), ``segments``
in segments mode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from laura.data.corpora import common, register_corpus
from laura.data.corpora.common import Dirs, Splits

SPLITS = {
    "s": "S",
    "m": "M",
    "l": "L",
    "w": "W",
    "dev": "DEV",
    "test_net": "TEST_NET",
    "test_meeting": "TEST_MEETING",
}
DEFAULT_SPLITS = ("l", "dev", "test_net", "test_meeting")


def _text_of(seg: dict[str, Any]) -> tuple[str | None, str]:
    return (common.clean_text(str(seg["text"])) or None), "segments with an empty transcript"


SPEC = common.JsonCorpus("wenetspeech", "WenetSpeech", SPLITS, DEFAULT_SPLITS, "zh", _text_of)


DESCRIPTION = "WenetSpeech v1.0: 10k h Mandarin YouTube/podcasts, Opus -> 16 kHz"


@register_corpus("wenetspeech", ("ASR",), DEFAULT_SPLITS, DESCRIPTION)
def prepare(
    src: Path,
    out: Path,
    *,
    splits: Splits = None,
    num_workers: int = 2,
    audio: str = "cut",
    skip_missing_audio: bool = False,
) -> Dirs:
    """Write WenetSpeech data dirs (``l``, ``dev``, ``test_net``, ``test_meeting`` by
    default); return split -> dir."""
    return common.prepare_json_corpus(
        SPEC,
        src,
        out,
        splits=splits,
        num_workers=num_workers,
        audio=audio,
        skip_missing_audio=skip_missing_audio,
    )
