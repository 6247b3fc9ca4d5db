import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

# Imported before torch runs a kernel: it pins the CPU kernels, see laura/__init__.py.
import laura  # noqa: F401

torch_threads = int(os.environ.get("LAURA_TEST_THREADS", "2"))
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True, scope="session")
def _threads():
    import torch

    torch.set_num_threads(torch_threads)


def have_espeak() -> bool:
    return shutil.which("espeak-ng") is not None


def speak(text: str, path: Path, voice: str = "en-us", sr: int = 16000) -> Path:
    """Synthesise ``text`` to a 16 kHz mono wav with espeak-ng."""
    raw = subprocess.run(
        ["espeak-ng", "-v", voice, "--stdout", text], check=True, capture_output=True
    ).stdout
    import io

    wav, src = sf.read(io.BytesIO(raw), dtype="float32")
    from scipy.signal import resample_poly

    # 16000 / 22050 = 320 / 441 (160 / 441 is for 44.1 kHz and made chipmunk speech)
    wav = resample_poly(wav, 320, 441).astype(np.float32) if src == 22050 else wav
    sf.write(path, wav, sr, subtype="PCM_16")
    return path


def write_kaldi_dir(d: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """rows: (utt, spk, wav path, text) -> wav.scp, text, utt2spk (sorted)."""
    d.mkdir(parents=True, exist_ok=True)
    rows = sorted(rows, key=lambda r: r[0].encode())
    (d / "wav.scp").write_text("".join(f"{u} {w}\n" for u, _, w, _ in rows))
    (d / "text").write_text("".join(f"{u} {t}\n" for u, _, _, t in rows))
    (d / "utt2spk").write_text("".join(f"{u} {s}\n" for u, s, _, _ in rows))
    return d


def write_rows(path: Path, rows: dict[str, str]) -> None:
    """A Kaldi table: ``id value`` a line, sorted by id (an empty value: the id alone)."""
    lines = (f"{k} {rows[k]}".rstrip() + "\n" for k in sorted(rows))
    path.write_text("".join(lines), encoding="utf-8")


def scoring_dirs(
    root: Path,
    tables: dict[str, dict[str, str]],
    ref: dict[str, str],
    hyp: dict[str, str],
    info: dict[str, Any] | None = None,
) -> tuple[Path, Path]:
    """What the scoring tests score: ``root/data``, a data dir of the utterances of ``ref`` (a
    0.1 s click train each; ``tables`` as given, one speaker ``s`` unless they hold
    ``utt2spk``), and ``root/decode``, a decode dir as `laura decode` writes it (``ref``,
    ``hyp``, and ``decode.json`` = ``info`` when given). Returns (decode dir, data dir)."""
    data, dec = root / "data", root / "decode"
    data.mkdir(parents=True)
    dec.mkdir(parents=True)
    wav = np.zeros(1600, dtype=np.float32)
    wav[::7] = 0.1
    for u in ref:
        sf.write(data / f"{u}.wav", wav, 16000)
    tables = {"utt2spk": {u: "s" for u in ref}, **tables}
    spk2utt: dict[str, list[str]] = {}
    for u, spk in sorted(tables["utt2spk"].items()):
        spk2utt.setdefault(spk, []).append(u)
    write_rows(data / "wav.scp", {u: str(data / f"{u}.wav") for u in ref})
    write_rows(data / "spk2utt", {k: " ".join(v) for k, v in spk2utt.items()})
    for name, rows in tables.items():
        write_rows(data / name, rows)
    write_rows(dec / "ref", ref)
    write_rows(dec / "hyp", hyp)
    if info is not None:
        (dec / "decode.json").write_text(json.dumps(info))
    return dec, data


SENTENCES = [
    "the cat sat on the mat",
    "a dog runs in the park",
    "she reads a red book",
    "we eat rice at noon",
    "the sun is very bright",
    "my friend has a blue car",
]


@pytest.fixture(scope="session")
def tiny_asr_dir(tmp_path_factory) -> Path:
    """Six espeak-ng utterances in a Kaldi dir (one voice)."""
    if not have_espeak():
        pytest.skip("espeak-ng not installed")
    root = tmp_path_factory.mktemp("tiny_asr")
    rows = []
    for i, s in enumerate(SENTENCES):
        uid = f"spk1-{i:03d}"
        speak(s, root / f"{uid}.wav")
        rows.append((uid, "spk1", str(root / f"{uid}.wav"), s))
    return write_kaldi_dir(root / "data", rows)


@pytest.fixture(scope="session")
def tiny_bpe(tiny_asr_dir, tmp_path_factory) -> Path:
    from laura.text.tokenizer import train_bpe

    out = tmp_path_factory.mktemp("bpe")
    texts = [line.split(" ", 1)[1] for line in (tiny_asr_dir / "text").read_text().splitlines()]
    train_bpe(texts, 60, out)
    return out


def metrics_rows(exp: Path) -> list[dict[str, str]]:
    """Every row of an experiment's CSV logs (a run and its resumptions, in order)."""
    import csv

    rows = []
    for f in sorted((exp / "logs").glob("version_*/metrics.csv")):
        with f.open() as fh:
            rows += list(csv.DictReader(fh))
    return rows


def tiny_codec(n_q: int = 4, codebook_size: int = 16, seed: int = 0) -> Any:
    """A small random frequency-domain codec (25 Hz, 16 kHz) with ``n_q`` groups: what tests
    tokenise with, structure only (untrained)."""
    import torch

    from laura.nn.codec import Codec, CodecConfig

    torch.manual_seed(seed)
    cfg = CodecConfig(
        kind="freq",
        hidden=32,
        encoder_blocks=1,
        decoder_blocks=1,
        n_q=n_q,
        codebook_size=codebook_size,
        kmeans_init=False,
        quantizer_dropout=sorted({1, max(1, n_q // 2), n_q}),
    )
    return Codec(cfg).eval()
