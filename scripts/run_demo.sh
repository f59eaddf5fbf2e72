#!/usr/bin/env bash
# Installs tessera from this checkout and runs the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q .
cd examples && python3 demo.py
