#!/usr/bin/env bash
# The whole test suite from a fresh machine: installs what it needs (GoogleTest from Debian, the
# Python packages in requirements-dev.txt), builds tessera with its C++ tests, runs the C++ tests,
# the Python tests (against PyTorch), and the C++ tests again under ASan + UBSan.
# Usage: bash scripts/test.sh        (TESSERA_CUDA=ON|OFF overrides GPU detection)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f /usr/include/gtest/gtest.h ]; then
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq libgtest-dev >/dev/null
fi
python3 -m pip install -q -r requirements-dev.txt

# CUDA only where a GPU can run it; on a CPU machine the CUDA backend would build but never run.
if [ -z "${TESSERA_CUDA:-}" ]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then TESSERA_CUDA=ON; else TESSERA_CUDA=OFF; fi
fi

echo "== build (C++ core, Python extension, C++ tests; CUDA=$TESSERA_CUDA)"
cmake -S . -B build/test -G Ninja -DTESSERA_DEV_INPLACE=ON -DTESSERA_TESTS=ON -DTESSERA_CUDA="$TESSERA_CUDA" >/dev/null
ninja -C build/test

echo "== C++ tests"
ctest --test-dir build/test --output-on-failure -j "$(nproc)"

echo "== Python tests"
python3 -m pytest tests/python -q -n "$(nproc)" -p no:cacheprovider

echo "== C++ tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTESSERA_SANITIZE=ON -DTESSERA_TESTS=ON \
  -DTESSERA_PYTHON=OFF -DTESSERA_CUDA=OFF >/dev/null
ninja -C build/asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure -j "$(nproc)"
