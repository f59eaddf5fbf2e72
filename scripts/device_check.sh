#!/usr/bin/env bash
# On the GPU machine (device tool): build tessera (CUDA toolkit detected), run the C++ and Python
# suites with faulthandler, and leave logs and a summary under $OUT. The scipy-openblas32 wheel
# travels in .whl/ (the machine has no network).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
# The image's first g++ (/opt/gcc) pairs with another libstdc++ than the one loaded at run time:
# C++ exceptions then crash the process. The system compiler matches the system runtime.
if [ -z "${CXX:-}" ] && [ -x /usr/bin/g++ ]; then export CXX=/usr/bin/g++; fi
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
{
  echo "== $(date -u) $(git rev-parse --short HEAD 2>/dev/null) on $(nvidia-smi -L 2>/dev/null | head -1)"
  cmake -S . -B build/gpu -G Ninja -DTESSERA_DEV_INPLACE=ON -DTESSERA_TESTS=ON -DPython_EXECUTABLE="$(command -v python3)" \
    > "$OUT/cmake.log" 2>&1 && echo "cmake ok" || { echo "cmake FAILED"; tail -30 "$OUT/cmake.log"; exit 1; }
  ninja -C build/gpu > "$OUT/build.log" 2>&1 && echo "build ok" || { echo "build FAILED"; grep -E "error" -A3 "$OUT/build.log" | head -40; exit 1; }
  ctest --test-dir build/gpu -j 16 > "$OUT/ctest.log" 2>&1; tail -3 "$OUT/ctest.log"
  PYTHONPATH=python:/tmp/site python3 -X faulthandler -m pytest tests/python -q -n 16 -p no:cacheprovider \
    > "$OUT/pytest.log" 2>&1; tail -5 "$OUT/pytest.log"
  grep -E "^FAILED|Fatal Python error|Segmentation" "$OUT/pytest.log" | head -40
} 2>&1 | tee "$OUT/summary.txt"
