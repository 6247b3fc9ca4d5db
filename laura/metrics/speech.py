"""Reference-free and ASR-based scores of generated speech (TTS and SE outputs).

* `transcribe_en`: offline English ASR with PocketSphinx 5 and the default US English model
  (acoustic model, trigram LM and CMU dictionary) bundled in its wheel; score the transcripts
  with `laura.metrics.wer.wer`. A rough, independent intelligibility check: near 0 WER on real
  read speech, but 0.3-0.9 on espeak-ng speech depending on the voice.
* `speaker_embedding` / `speaker_similarity`: Resemblyzer's GE2E speaker encoder (256-dim,
  L2-normalised; weights in the wheel); similarity (SECS) is the cosine of two embeddings.
* `dnsmos`: DNSMOS P.835 (`sig`, `bak`, `ovrl`, from `sig_bak_ovr.onnx`, non-personalised
  polynomial mapping) and DNSMOS P.808 (`p808`, from `model_v8.onnx`), the ONNX models of
  Microsoft's DNS-Challenge `dnsmos_local.py`, as packaged by `speechmos`. Scores are MOS-like,
  roughly 1-5; clips are scored in 9.01 s windows (1 s hop) and averaged, and shorter clips are
  tiled to 9.01 s.

All models ship inside their wheels, so nothing is downloaded at first use. The packages are
the optional `speech-metrics` group (`pip install -e '.[speech-metrics]'`, or `make setup`) and
are imported only when a function is called. Inputs are float waveforms in [-1, 1]; any rate
is resampled to 16 kHz. Inputs too short to score (under 0.25 s; for speaker embeddings also
digital silence, or nothing left after Resemblyzer's silence trimming) give NaN instead of an
exception, as in `laura.metrics.audio`; an empty waveform transcribes to an empty string.
"""

from __future__ import annotations

import importlib
import importlib.resources
import math
import threading
import warnings
from types import ModuleType
from typing import Any

import numpy as np
import torch

from laura.metrics.text_norm import normalize

__all__ = ["dnsmos", "speaker_embedding", "speaker_similarity", "transcribe_en"]

SAMPLE_RATE = 16000
MIN_SECONDS = 0.25
DNSMOS_KEYS = ("ovrl", "sig", "bak", "p808")
EMBED_DIM = 256

_decoder: Any = None
_encoder: Any = None
_dnsmos_model: Any = None
# the decoder keeps per-utterance state, so concurrent callers must not interleave
_decoder_lock = threading.Lock()


def _import(module: str, package: str) -> ModuleType:
    try:
        with warnings.catch_warnings():
            # webrtcvad (under resemblyzer) imports pkg_resources, and resemblyzer a deprecated
            # scipy path: noise on every import, nothing the caller can act on
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.filterwarnings("ignore", message=".*pkg_resources.*")
            return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(
            f"laura.metrics.speech needs the '{package}' package ({e}); install it with "
            "pip install -e '.[speech-metrics]' (or pip install 'laura[speech-metrics]', "
            "or make setup)"
        ) from e


def _to_16k(wav: np.ndarray | torch.Tensor, sample_rate: int) -> np.ndarray:
    """Mono float32 numpy waveform at 16 kHz, clipped to [-1, 1]."""
    x = (
        wav.detach().float().cpu()
        if isinstance(wav, torch.Tensor)
        else torch.from_numpy(np.asarray(wav, dtype=np.float32).copy())
    )
    x = x.reshape(-1)
    if sample_rate != SAMPLE_RATE and len(x) > 0:
        import torchaudio

        x = torchaudio.functional.resample(x, sample_rate, SAMPLE_RATE)
    return np.clip(x.numpy(), -1.0, 1.0).astype(np.float32)


def _get_decoder() -> Any:
    global _decoder
    if _decoder is None:
        ps = _import("pocketsphinx", "pocketsphinx")
        # no hmm/lm/dict given: PocketSphinx uses the en-us model inside its wheel
        _decoder = ps.Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")
    return _decoder


def transcribe_en(
    wavs: list[np.ndarray | torch.Tensor], sample_rate: int = SAMPLE_RATE
) -> list[str]:
    """English transcripts of float waveforms, one per input.

    Lower case, normalised like WER references (`text_norm.normalize`): no punctuation, except
    apostrophes inside words (`don't`), which the CMU dictionary has. Fillers (`<sil>`,
    `[noise]`) are dropped; an empty input gives an empty transcript.
    """
    decoder = _get_decoder()
    out: list[str] = []
    for wav in wavs:
        x = _to_16k(wav, sample_rate)
        if len(x) == 0:
            # process_raw raises IndexError on an empty buffer
            out.append("")
            continue
        pcm = (x * 32767.0).round().astype(np.int16).tobytes()
        with _decoder_lock:
            decoder.start_utt()
            try:
                decoder.process_raw(pcm, full_utt=True)
            finally:
                # an utterance left open would make every later start_utt fail
                decoder.end_utt()
            hyp = decoder.hyp()
        text = hyp.hypstr if hyp is not None else ""
        words = [w for w in text.split() if not w.startswith(("<", "["))]
        out.append(" ".join(normalize(" ".join(words), "en")))
    return out


def _get_encoder() -> Any:
    global _encoder
    if _encoder is None:
        rz = _import("resemblyzer", "resemblyzer")
        _encoder = rz.VoiceEncoder(device="cpu", verbose=False)
    return _encoder


def speaker_embedding(wav: np.ndarray | torch.Tensor, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """GE2E speaker embedding (256 floats, unit norm); all NaN if the input is too short."""
    encoder = _get_encoder()
    rz = _import("resemblyzer", "resemblyzer")
    x = _to_16k(wav, sample_rate)
    if len(x) < SAMPLE_RATE * MIN_SECONDS or not np.any(x):
        # digital silence has no speaker (and preprocess_wav divides by its zero RMS)
        return np.full(EMBED_DIM, np.nan, dtype=np.float32)
    # volume normalisation and webrtcvad silence trimming, as Resemblyzer was trained with
    x = rz.preprocess_wav(x.astype(np.float64), source_sr=SAMPLE_RATE)
    if len(x) == 0:
        # all trimmed as silence: the encoder would embed zero padding, a constant vector
        return np.full(EMBED_DIM, np.nan, dtype=np.float32)
    return np.asarray(encoder.embed_utterance(x), dtype=np.float32)


def speaker_similarity(
    ref: np.ndarray | torch.Tensor, deg: np.ndarray | torch.Tensor, sample_rate: int = SAMPLE_RATE
) -> float:
    """Speaker-embedding cosine similarity (SECS, -1..1) of two utterances; NaN if either is
    too short."""
    a = speaker_embedding(ref, sample_rate)
    b = speaker_embedding(deg, sample_rate)
    if np.isnan(a).any() or np.isnan(b).any():
        return math.nan
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def _get_dnsmos() -> Any:
    global _dnsmos_model
    if _dnsmos_model is None:
        ort = _import("onnxruntime", "onnxruntime")
        sm = _import("speechmos.dnsmos", "speechmos")
        opts = ort.SessionOptions()
        # onnxruntime ignores OMP_NUM_THREADS and would take every core
        opts.intra_op_num_threads = torch.get_num_threads()
        opts.inter_op_num_threads = 1
        root = importlib.resources.files("speechmos") / "dnsmos_models"

        class _DNSMOS(sm.DNSMOS):
            def __init__(self) -> None:
                self.primary_model_path = str(root / "sig_bak_ovr.onnx")
                cpu = ["CPUExecutionProvider"]
                self.onnx_sess = ort.InferenceSession(
                    self.primary_model_path, sess_options=opts, providers=cpu
                )
                self.p808_onnx_sess = ort.InferenceSession(
                    str(root / "model_v8.onnx"), sess_options=opts, providers=cpu
                )

        _dnsmos_model = _DNSMOS()
    return _dnsmos_model


def dnsmos(wav: np.ndarray | torch.Tensor, sample_rate: int = SAMPLE_RATE) -> dict[str, float]:
    """DNSMOS of one clip: `{"ovrl", "sig", "bak", "p808"}` (each about 1-5; NaN if too short).

    Silence is scored, not NaN: with no reference, a silent output is a bad output that
    averages must not skip.
    """
    model = _get_dnsmos()
    x = _to_16k(wav, sample_rate)
    if len(x) < SAMPLE_RATE * MIN_SECONDS:
        # speechmos tiles short clips up to 9.01 s (and loops forever on an empty one)
        return dict.fromkeys(DNSMOS_KEYS, math.nan)
    r = model(x, SAMPLE_RATE, False)
    return {k: float(r[f"{k}_mos"]) for k in DNSMOS_KEYS}
