"""espeak-ng -> 16 kHz mono 16-bit wav, one utterance at a time (run in worker processes).

espeak-ng is deterministic for fixed arguments, and so is everything here (resampling, trimming,
padding, gain), so the same job always yields byte-identical wav files.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import soundfile as sf

__all__ = [
    "SAMPLE_RATE",
    "SynthJob",
    "SynthResult",
    "espeak_command",
    "espeak_version",
    "render",
    "synthesize",
    "write_wav",
]

SAMPLE_RATE = 16000
ESPEAK_RATE = 22050  # what espeak-ng writes with --stdout
# espeak-ng limits (soft-clips) its own output near full scale at the default amplitude (100) for
# loud variants (iven, Jacky, antonio ...): a low amplitude keeps the waveform clean; we rescale.
ESPEAK_AMPLITUDE = 30
_UP, _DOWN = 320, 441
assert ESPEAK_RATE * _UP == SAMPLE_RATE * _DOWN
MAX_SECONDS = 11.5  # longer renderings are re-spoken faster (tests allow 12 s)
_TRIM_REL = 0.005  # silence threshold, relative to the utterance peak


@dataclass(frozen=True)
class SynthJob:
    """Everything needed to render one utterance (picklable, fully determines the output)."""

    uttid: str
    path: str  # where to write the wav
    text: str
    voice: str  # espeak-ng -v, e.g. "en-gb+m3"
    speed: int
    pitch: int
    pitch_range: int  # percent, via SSML <prosody range>
    peak: float  # target peak amplitude of the written wav
    lead: float  # seconds of silence kept before the speech
    trail: float  # ... and after
    word_gap: int = 0  # espeak -g: extra pause between words, in units of 10 ms
    drive: float = 0.0  # > 0: tanh overdrive of that gain (a harsh, pressed voice)


@dataclass(frozen=True)
class SynthResult:
    uttid: str
    path: str
    num_samples: int
    sha256: str  # of the wav file's bytes
    speed: int  # the speed actually used (raised if the first rendering was too long)


def espeak_command(
    text: str, voice: str, speed: int, pitch: int, pitch_range: int, word_gap: int = 0
) -> list[str]:
    """The espeak-ng command line for one utterance (wav on stdout)."""
    ssml = f'<speak><prosody range="{pitch_range}%">{escape(text)}</prosody></speak>'
    gap = ["-g", str(word_gap)] if word_gap else []
    return [
        "espeak-ng",
        "-m",  # SSML: the only way to set the pitch range from the command line
        "-v",
        voice,
        "-s",
        str(speed),
        "-p",
        str(pitch),
        "-a",
        str(ESPEAK_AMPLITUDE),
        *gap,
        "--stdout",
        ssml,
    ]


def espeak_version() -> str:
    """e.g. "1.51"; raises a helpful error if espeak-ng is missing."""
    if shutil.which("espeak-ng") is None:
        raise RuntimeError(
            "espeak-ng not found: install it (Debian/Ubuntu: apt-get install espeak-ng)"
        )
    out = subprocess.run(
        ["espeak-ng", "--version"], capture_output=True, text=True, check=True
    ).stdout
    # "eSpeak NG text-to-speech: 1.51  Data at: ..."
    return out.split(":", 1)[1].split()[0] if ":" in out else out.strip()


def synthesize(
    text: str, voice: str, speed: int, pitch: int, pitch_range: int, word_gap: int = 0
) -> np.ndarray:
    """Run espeak-ng; return float32 samples at 16 kHz (untrimmed)."""
    from scipy.signal import resample_poly  # lazy: keeps `import laura.minicorpus` light

    proc = subprocess.run(
        espeak_command(text, voice, speed, pitch, pitch_range, word_gap),
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0 or len(proc.stdout) <= 44:
        raise RuntimeError(
            f"espeak-ng failed for voice {voice!r}: {proc.stderr.decode(errors='replace')}"
        )
    x, sr = sf.read(io.BytesIO(proc.stdout), dtype="float32")
    if sr != ESPEAK_RATE:
        raise RuntimeError(f"unexpected espeak-ng sample rate {sr}")
    # 16000 / 22050 = 320 / 441 (160 / 441 would be right for 44.1 kHz, not for espeak-ng)
    return resample_poly(x, _UP, _DOWN).astype(np.float32)


def _trim(x: np.ndarray) -> np.ndarray:
    loud = np.flatnonzero(np.abs(x) > _TRIM_REL * float(np.abs(x).max()))
    return x[loud[0] : loud[-1] + 1] if loud.size else x


def add_noise_floor(y: np.ndarray, key: str) -> np.ndarray:
    """A recording-like noise floor (-70 to -55 dBFS, seeded by ``key``).

    espeak-ng writes exact digital silence (about a fifth of the samples). Kaldi fbank with
    dither in training and without it at test time sees such frames very differently
    (log-mel -16 vs about -7): a train/test mismatch that real recordings never have.
    """
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little")
    rng = np.random.default_rng(seed)
    level = 10 ** (rng.uniform(-70.0, -55.0) / 20)
    return (y + rng.standard_normal(len(y)).astype(np.float32) * level).astype(np.float32)


def render(job: SynthJob) -> SynthResult:
    """Synthesise, trim, pad with a little silence, scale to the target peak, write 16-bit wav."""
    speed = job.speed
    while True:
        x = _trim(synthesize(job.text, job.voice, speed, job.pitch, job.pitch_range, job.word_gap))
        if (
            len(x) + (job.lead + job.trail) * SAMPLE_RATE <= MAX_SECONDS * SAMPLE_RATE
            or speed >= 400
        ):
            break
        speed = int(speed * 1.2)  # slow variant + slow speed + long sentence: speak faster
    peak = float(np.abs(x).max())
    if peak > 0 and job.drive > 0:
        x = (np.tanh(job.drive * x / peak) / np.tanh(job.drive)).astype(np.float32)
        peak = float(np.abs(x).max())
    if peak > 0:
        x = x * (job.peak / peak)
    lead = np.zeros(int(round(job.lead * SAMPLE_RATE)), np.float32)
    trail = np.zeros(int(round(job.trail * SAMPLE_RATE)), np.float32)
    y = np.concatenate([lead, x.astype(np.float32), trail])
    y = add_noise_floor(y, job.uttid)
    return SynthResult(job.uttid, job.path, len(y), write_wav(job.path, y), speed)


def write_wav(path: str | Path, y: np.ndarray) -> str:
    """Write 16 kHz mono 16-bit wav (creating folders); return the sha256 of the file's bytes."""
    buf = io.BytesIO()
    sf.write(buf, y, SAMPLE_RATE, subtype="PCM_16", format="WAV")
    data = buf.getvalue()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()
