#!/usr/bin/env bash
# Creates everything laura needs on a fresh machine: Debian tools (espeak-ng, sox, java) and .venv.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

missing=()
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
command -v sox >/dev/null 2>&1 || missing+=(sox libsox-fmt-all)
# AAC scoring: coco-caption's PTB tokenizer and METEOR are jars (pycocoevalcap)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
# webrtcvad (speech-metrics: resemblyzer) builds from source
command -v gcc >/dev/null 2>&1 || missing+=(gcc python3-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing ${missing[*]} (Debian packages)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi
if [ ! -f "$VENV/.installed" ] || [ pyproject.toml -nt "$VENV/.installed" ]; then
  echo "[setup] installing laura and its dependencies into $VENV (a few minutes the first time)"
  "$VENV/bin/pip" install -q --upgrade pip 2>/dev/null || true
  # pip, not uv/poetry: pip takes torch 2.14.1 from the machine's local wheel directory.
  "$VENV/bin/pip" install -q -e '.[dev,speech-metrics]' 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true
  # Peer implementations for equivalence tests and side-by-side benchmarks. Their normal installs
  # fail here (pins that do not build), so: --no-deps, plus the few small modules they import.
  "$VENV/bin/pip" install -q --no-deps funcodec==0.2.0 encodec==0.1.1 einops==0.8.2
  "$VENV/bin/python" -c "import torch, torchaudio, lightning, transformers, laura" \
    || { echo "[setup] the environment does not import; see the pip output above" >&2; exit 1; }
  touch "$VENV/.installed"
fi
echo "[setup] ok: $("$VENV/bin/python" -c 'import torch, torchaudio; print("torch", torch.__version__, "torchaudio", torchaudio.__version__)')"
