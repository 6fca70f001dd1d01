#!/usr/bin/env bash
# The contract fuzzer (testing/fuzz/run.ts): schemathesis, from PyPI, in a venv outside the
# repository (created once per machine), against the live API's /openapi.json for every role.
set -euo pipefail
cd "$(dirname "$0")/../.."

SCHEMATHESIS_VERSION="4.32.5"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/passplatform/schemathesis-venv"
if [ "$("$venv/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version ${SCHEMATHESIS_VERSION}" ]; then
  rm -rf "$venv"
  # Debian splits venv support out of python3.
  python3 -m venv "$venv" >&2 || { rm -rf "$venv"; apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$venv" >&2; }
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==${SCHEMATHESIS_VERSION}" >&2
fi
SCHEMATHESIS="$venv/bin/schemathesis" npm run fuzz
