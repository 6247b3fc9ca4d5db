#!/usr/bin/env python3
"""Spectrograms of one held-out test utterance through several codecs (RESULTS.md figure).

Usage: local/plot_spectrograms.py OUT.png UTT_ID LABEL=CODEC_DIR [LABEL=CODEC_DIR ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from laura.data.dataset import read_audio
from laura.data.records import load_records
from laura.metrics.audio import pesq_wb
from laura.nn.codec import load_codec
from laura.viz import save_spectrograms

DATA = Path(__file__).resolve().parents[1] / "../lauragpt/data/mini"


def main(argv: list[str]) -> None:
    if len(argv) < 3 or any("=" not in a for a in argv[2:]):
        raise SystemExit(__doc__)
    out, utt = argv[0], argv[1]
    recs = {r["id"]: r for r in load_records(DATA / "asr/test", require_text=False)}
    if utt not in recs:
        raise SystemExit(f"{DATA / 'asr/test'}: no utterance {utt}")
    r = recs[utt]
    audio, _ = read_audio(str(r["audio"]), r.get("start"), r.get("end"))
    wav = torch.from_numpy(audio)
    panels = [(f"original ({r.get('speaker', '?')})", wav)]
    for arg in argv[2:]:
        label, path = arg.split("=", 1)
        codec = load_codec(path)
        with torch.no_grad():
            tokens, scale = codec.encode(wav[None])
            y = codec.decode(tokens, scale, length=len(wav))[0]
        panels.append((f"{label}, 32 groups: PESQ {pesq_wb(wav, y):.2f}", y))
    save_spectrograms(panels, out, title=f"{utt}: {r.get('text', '')}")
    print(out)


if __name__ == "__main__":
    main(sys.argv[1:])
