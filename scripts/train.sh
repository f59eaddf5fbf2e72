#!/usr/bin/env bash
# Installs tessera from this checkout and trains the sequence-reversal transformer on the CPU
# (about half a minute on 2 cores; exits non-zero if held-out token accuracy stays below 99%).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q .
cd examples && python3 reverse.py "$@"
