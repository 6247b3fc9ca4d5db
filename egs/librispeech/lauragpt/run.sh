#!/usr/bin/env bash
# LauraGPT ASR on librispeech (paper Table 6). Options: see ../../TEMPLATE/lauragpt.sh.
set -euo pipefail
cd "$(dirname "$0")"
../../TEMPLATE/lauragpt.sh --task ASR --config ../../../recipes/lauragpt-2b.yaml \
  --train-sets "train-clean-100 train-clean-360 train-other-500" --valid-set "dev-clean" --test-sets "test-clean test-other" "$@"
