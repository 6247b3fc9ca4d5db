"""GigaSpeech (Chen et al., 2021; SpeechColab, v1.0.0), 10,000 h of transcribed English podcasts,
YouTube and audiobooks, for ASR.

Expected layout (what the official downloader ``utils/download_meta.sh`` +
``utils/download_audio.sh`` leaves, after decryption; ``src`` may be that directory or its
parent holding ``GigaSpeech/``)::

    GigaSpeech/
      GigaSpeech.json                     # metadata, below
      audio/
        podcast/P0000/POD0000000001.opus  # long recordings, Ogg Opus, 16 kHz mono
        youtube/...  audiobook/...

``GigaSpeech.json``: ``{"audios": [{"aid": "POD0000000001", "path": "audio/podcast/...opus",
"sample_rate": 16000, "segments": [{"sid": "POD0000000001_S0000000", "begin_time": 0.0,
"end_time": 4.2, "text_tn": "AS THEY'RE LEAVING <COMMA> ...", "subsets": ["{XL}", "{L}",
...]}, ...]}, ...]}``. The file is a few GB; it is streamed one audio entry at a time.

Splits: ``xs``, ``s``, ``m``, ``l``, ``xl`` (the nested training subsets {XS} ⊂ ... ⊂ {XL}),
``dev``, ``test``. Default: ``xl``, ``dev``, ``test``. The official downloader fetches only the
audio of the subset asked for: preparing a larger subset than was downloaded fails on the first
missing recording (``skip_missing_audio=True`` drops and counts those instead).

Text, as the official Kaldi toolkit (``toolkits/kaldi/gigaspeech_data_prep.sh``) does it:
segments whose ``text_tn`` holds a garbage tag (``<SIL>``, ``<MUSIC>``, ``<NOISE>``,
``<OTHER>``: non-speech stretches of the dev/test annotation) are dropped and counted; the
punctuation tags ``<COMMA>``, ``<PERIOD>``, ``<QUESTIONMARK>``, ``<EXCLAMATIONPOINT>`` are
removed (``keep_punctuation=True`` turns them into ``, . ? !`` attached to the previous word);
whitespace is collapsed; the text stays upper case. (The official scorer additionally removes
fillers such as UH/UM from reference and hypothesis at scoring time; that is not done here.)

Audio (``audio=``): ``"cut"`` (default) decodes each recording once and writes every segment
as 16 kHz 16-bit wav into ``out/wav/<aid>/<sid>.wav`` (skipped when done; segments shorter than
50 ms are dropped and counted); ``"segments"`` converts nothing: ``wav.scp`` lists the original
Opus recordings (soundfile reads Ogg Opus with libsndfile >= 1.0.29) and a ``segments`` file
holds the official times.

Tables: ``wav.scp``, ``text``, ``utt2spk``, ``utt2lang`` (``en``), ``utt2source``
(podcast/youtube/audiobook), and ``segments`` in segments mode. Speaker = the recording id
(``aid``): GigaSpeech has no speaker labels (``"speaker": "N/A"``) and segment ids
``<aid>_S<n>`` already start with it.

The streaming reader and the cutter (``common.prepare_json_corpus``) are shared with WenetSpeech.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Any

from laura.data.corpora import common, register_corpus
from laura.data.corpora.common import Dirs, Splits

SPLITS = {"xs": "XS", "s": "S", "m": "M", "l": "L", "xl": "XL", "dev": "DEV", "test": "TEST"}
DEFAULT_SPLITS = ("xl", "dev", "test")
GARBAGE_TAGS = ("<SIL>", "<MUSIC>", "<NOISE>", "<OTHER>")
PUNCTUATION_TAGS = {
    "<COMMA>": ",",
    "<PERIOD>": ".",
    "<QUESTIONMARK>": "?",
    "<EXCLAMATIONPOINT>": "!",
}


DESCRIPTION = "GigaSpeech v1.0: 10k h English podcasts/YouTube/audiobooks, Opus -> 16 kHz"


@register_corpus("gigaspeech", ("ASR",), DEFAULT_SPLITS, DESCRIPTION)
def prepare(
    src: Path,
    out: Path,
    *,
    splits: Splits = None,
    num_workers: int = 2,
    audio: str = "cut",
    keep_punctuation: bool = False,
    skip_missing_audio: bool = False,
) -> Dirs:
    """Write GigaSpeech data dirs (``xl``, ``dev``, ``test`` by default); return split -> dir."""
    spec = common.JsonCorpus(
        "gigaspeech",
        "GigaSpeech",
        SPLITS,
        DEFAULT_SPLITS,
        "en",
        partial(text_of, keep_punctuation=keep_punctuation),
    )
    return common.prepare_json_corpus(
        spec,
        src,
        out,
        splits=splits,
        num_workers=num_workers,
        audio=audio,
        skip_missing_audio=skip_missing_audio,
    )


def text_of(seg: dict[str, Any], *, keep_punctuation: bool) -> tuple[str | None, str]:
    """A segment's ``text_tn`` as the official Kaldi toolkit cleans it (see the module doc), or
    None with the reason it is dropped."""
    text = seg["text_tn"]
    if any(tag in text for tag in GARBAGE_TAGS):
        return None, "segments with a garbage tag (<SIL> <MUSIC> <NOISE> <OTHER>)"
    for tag, mark in PUNCTUATION_TAGS.items():
        text = text.replace(tag, f" {mark}" if keep_punctuation else " ")
    text = re.sub(r" +([,.?!])", r"\1", common.clean_text(text))
    return (text or None), "segments with an empty transcript"
