#!/usr/bin/env bash
# On the GPU machine (device tool): build tessera with the CUDA backend for sm_90 through pip
# (scikit-build-core, no build isolation: the machine has no network), run the C++ tests (CUDA
# ones under compute-sanitizer too) and the Python tests (the CUDA runtime tests first, verbose),
# and leave logs plus summary.txt under $OUT.
#   usage: scripts/gpu_check.sh [pytest args...]   (default: the whole tests/python suite)
#   GPU_CHECK_PHASES picks what runs after the build (default: all of them):
#     cpp      C++ tests, and compute-sanitizer memcheck + racecheck over the Cuda* ones
#     runtime  tests/python/test_cuda_runtime.py, verbose
#     cpu      the Python suite as on CPU machines (its test_cuda_* files use the GPU)
#     cuda     the Python suite again with TESSERA_TEST_DEVICE=cuda: every op test on the GPU
#     pysan    compute-sanitizer memcheck and racecheck over the Python CUDA tests
#     bench    every benchmarks/bench_cuda_*.py
set -uo pipefail
PHASES=" ${GPU_CHECK_PHASES:-cpp runtime cpu cuda pysan bench} "
phase() { [[ "$PHASES" == *" $1 "* ]]; }
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
# The image's first g++ (/opt/gcc) pairs with another libstdc++ than the one loaded at run time:
# C++ exceptions then crash the process. The system compiler matches the system runtime.
# The image exports CXX=/opt/gcc/bin/g++, so override it (TESSERA_GPU_CXX picks another compiler).
if [ -n "${TESSERA_GPU_CXX:-}" ]; then export CXX=$TESSERA_GPU_CXX; elif [ -x /usr/bin/g++ ]; then export CXX=/usr/bin/g++; fi
export CUDAHOSTCXX=$CXX  # the image sets this to /opt/gcc too: nvcc objects must match as well
PY=$(command -v python3)
BUILD_DIR=build/gpu-pip
if ls .whl/*.whl >/dev/null 2>&1; then  # wheels that travel with the tree (scipy-openblas32)
  $PY -m pip install -q --no-index --no-deps --no-compile .whl/*.whl >/tmp/wheels.log 2>&1
fi
{
  echo "== $(date -u) $(git rev-parse --short HEAD 2>/dev/null) on $(nvidia-smi -L 2>/dev/null | head -1)"
  echo "   nvcc: $(nvcc --version 2>/dev/null | tail -1); CXX=$CXX; torch $($PY -c 'import torch; print(torch.__version__, torch.version.cuda)' 2>/dev/null)"
  if $PY -c 'import scikit_build_core, nanobind' 2>/dev/null; then
    if CXX=$CXX $PY -m pip install -v --no-build-isolation --no-deps --no-index . \
        -C build-dir="$BUILD_DIR" \
        -C cmake.define.TESSERA_CUDA=ON -C cmake.define.CMAKE_CUDA_ARCHITECTURES=90 \
        -C cmake.define.TESSERA_TESTS=ON -C cmake.define.CMAKE_CUDA_HOST_COMPILER="$CXX" >"$OUT/pip.log" 2>&1; then
      echo "pip install ok"
    else
      echo "pip install FAILED"; grep -E "error|Error" -A3 "$OUT/pip.log" | head -60; exit 1
    fi
    # from another directory: the installed package, not python/tessera of the tree
    (cd /tmp && $PY -c 'import tessera as ts; print("tessera.cuda:", ts.cuda.is_available(), ts.cuda.device_count(), ts.cuda.get_device_name() if ts.cuda.is_available() else "-")')
  else  # no scikit-build-core here: the same build through CMake, in place (PYTHONPATH=python)
    echo "scikit-build-core/nanobind missing: building with CMake in place instead of pip"
    BUILD_DIR=build/gpu-cmake
    cmake -S . -B "$BUILD_DIR" -G Ninja -DTESSERA_DEV_INPLACE=ON -DTESSERA_TESTS=ON -DTESSERA_CUDA=ON \
      -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_CUDA_HOST_COMPILER="$CXX" -DPython_EXECUTABLE="$PY" > "$OUT/cmake.log" 2>&1 \
      && echo "cmake ok" || { echo "cmake FAILED"; tail -30 "$OUT/cmake.log"; exit 1; }
    ninja -C "$BUILD_DIR" > "$OUT/build.log" 2>&1 && echo "build ok" \
      || { echo "build FAILED"; grep -E "error" -A3 "$OUT/build.log" | head -40; exit 1; }
  fi
  CPP=$(find "$BUILD_DIR" -name tessera_cpp_tests -type f -perm -u+x | head -1)
  if phase cpp && [ -n "$CPP" ]; then
    "$CPP" > "$OUT/cpp_tests.log" 2>&1; echo "cpp tests rc=$? : $(grep -E '^\[  (PASSED|FAILED)' "$OUT/cpp_tests.log" | tr '\n' ' ')"
    grep -E "^\[  FAILED|^\[  SKIPPED" "$OUT/cpp_tests.log" | head -20
    if command -v compute-sanitizer >/dev/null; then
      # API errors are expected (tests provoke them on purpose); memory and race errors are not.
      for tool in memcheck racecheck; do
        compute-sanitizer --tool $tool --report-api-errors no --error-exitcode 9 "$CPP" --gtest_filter='Cuda*' \
          > "$OUT/sanitizer_$tool.log" 2>&1
        echo "compute-sanitizer $tool (Cuda*) rc=$? : $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$OUT/sanitizer_$tool.log" | tail -1)"
      done
    fi
  elif phase cpp; then
    echo "cpp tests: tessera_cpp_tests not built (GTest missing?)"
  fi
  if phase runtime; then
    $PY -X faulthandler -m pytest tests/python/test_cuda_runtime.py -v -p no:cacheprovider -rs > "$OUT/pytest_cuda_runtime.log" 2>&1
    echo "pytest test_cuda_runtime.py rc=$?: $(tail -1 "$OUT/pytest_cuda_runtime.log")"
    grep -E "^FAILED|SKIPPED|Fatal Python error|Segmentation" "$OUT/pytest_cuda_runtime.log" | head -40
  fi
  NPROC=$(nproc 2>/dev/null || echo 4)
  XDIST=$($PY -c 'import xdist' 2>/dev/null && echo "-n $NPROC" || echo "")
  # The data sets (../shared/data, or TESSERA_DATA) do not travel to the GPU machine by default.
  DATA_DIR=${TESSERA_DATA:-$(cd .. && pwd)/shared/data}
  IGNORE_DATA=""
  if [ ! -d "$DATA_DIR" ]; then IGNORE_DATA="--ignore=tests/python/test_datasets.py"; echo "no data in $DATA_DIR: test_datasets.py not run"; fi
  if phase cpu; then
    $PY -X faulthandler -m pytest ${@:-tests/python} $IGNORE_DATA -q $XDIST -p no:cacheprovider > "$OUT/pytest_all.log" 2>&1
    echo "pytest ${*:-tests/python} rc=$?: $(tail -1 "$OUT/pytest_all.log")"
    grep -E "^FAILED|Fatal Python error|Segmentation" "$OUT/pytest_all.log" | head -40
  fi
  if phase cuda; then  # the test_cuda_* files already ran in the cpu phase
    TESSERA_TEST_DEVICE=cuda $PY -X faulthandler -m pytest ${@:-tests/python} $IGNORE_DATA -q $XDIST -p no:cacheprovider \
      $(ls tests/python/test_cuda_*.py | sed 's/^/--ignore=/') > "$OUT/pytest_on_cuda.log" 2>&1
    echo "pytest on cuda (TESSERA_TEST_DEVICE=cuda) rc=$?: $(tail -1 "$OUT/pytest_on_cuda.log")"
    grep -E "^FAILED" "$OUT/pytest_on_cuda.log" | sed -E 's/\[.*\]//; s/ - .*//' | sort | uniq -c | sort -rn | head -60
    grep -E "Fatal Python error|Segmentation" "$OUT/pytest_on_cuda.log" | head
  fi
  if phase pysan && command -v compute-sanitizer >/dev/null; then
    for tool in memcheck racecheck; do
      compute-sanitizer --tool $tool --report-api-errors no --error-exitcode 9 --target-processes all \
        $PY -m pytest tests/python/test_cuda_*.py -q -x -p no:cacheprovider > "$OUT/sanitizer_py_$tool.log" 2>&1
      echo "compute-sanitizer $tool (Python CUDA tests) rc=$? : $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$OUT/sanitizer_py_$tool.log" | tail -1); $(grep -E ' passed| failed' "$OUT/sanitizer_py_$tool.log" | tail -1)"
    done
  fi
  if phase bench; then
    for b in benchmarks/bench_cuda_*.py; do
      echo "== $b"; (cd benchmarks && timeout 300 $PY "$(basename "$b")") 2>&1 | tail -40
    done
  fi
} 2>&1 | tee "$OUT/summary.txt"
