#!/usr/bin/env bash
# LauraGPT ASR on aishell1 (paper Table 6). Options: see ../../TEMPLATE/lauragpt.sh.
set -euo pipefail
cd "$(dirname "$0")"
../../TEMPLATE/lauragpt.sh --task ASR --config ../../../recipes/lauragpt-2b.yaml \
  --train-sets "train" --valid-set "dev" --test-sets "test" "$@"
