#!/usr/bin/env bash
# Sourced by run.sh: turns `--name value` / `--name=value` arguments into shell variables that
# run.sh declared beforehand (Kaldi/ESPnet convention; dashes become underscores).
# An option that run.sh did not declare is an error naming it.
while [ $# -gt 0 ]; do
  case "$1" in
    --help|-h)  # the variables run.sh sets before sourcing this file, with their comments
      __script=$0; [ -f "$__script" ] || __script=$(basename "$0")  # run.sh may cd to its dir
      echo "usage: $0 [--option value ...]   (defaults below)"
      awk '/parse_options\.sh/ { exit } /^[a-z_]+=/ {
             i = index($0, "="); name = substr($0, 1, i - 1); gsub("_", "-", name)
             printf "  --%s %s\n", name, substr($0, i + 1) }' "$__script"
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
