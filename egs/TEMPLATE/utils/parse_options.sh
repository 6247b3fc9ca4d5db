#!/usr/bin/env bash
# Sourced by run.sh: turns `--name value` / `--name=value` arguments into shell variables that
# run.sh declared beforehand (Kaldi/ESPnet convention; dashes become underscores).
# An option that run.sh did not declare is an error naming it.
while [ $# -gt 0 ]; do
  case "$1" in
    --help|-h)
      echo "usage: $0 [--option value ...]; options are the variables set at the top of $0" >&2
      grep -E '^[a-z_]+=' "$0" | sed 's/^/  --/' >&2
      exit 0 ;;
    --*=*) __name=${1%%=*}; __value=${1#*=}; shift ;;
    --*) __name=$1; __value=${2-}; [ $# -ge 2 ] || { echo "$0: option $1 needs a value" >&2; exit 1; }; shift 2 ;;
    *) break ;;
  esac
  __name=${__name#--}; __name=${__name//-/_}
  if ! declare -p "$__name" >/dev/null 2>&1; then
    echo "$0: unknown option --${__name//_/-}" >&2; exit 1
  fi
  printf -v "$__name" '%s' "$__value"
done
unset __name __value
