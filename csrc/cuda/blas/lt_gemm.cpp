// cuBLASLt calls with their descriptors and heuristic choice cached per shape: building the four
// layouts and querying the heuristic costs tens of microseconds, far more than a small GEMM, so an
// entry is made once per (shapes, strides, dtypes, epilogue, pointer alignments, flags) and reused.
// The cache is per thread (no locks; the per-call pointer attributes are set on its own copy).
//
// Row-major to column-major: cuBLASLt is column-major, so the row-major D = op(A) @ op(B) is run as
// D^T = op(B)^T @ op(A)^T: cuBLASLt's "A" is our B and its "B" our A, with the same transpose flags
// and leading dimensions (a row-major matrix with leading dimension ld is its transpose in column
// major with the same ld). Its M is our n, its N our m; bias vectors run along its rows (our columns).
#include "cuda/blas/lt_gemm.h"

#if TESSERA_HAS_CUBLASLT
#include <array>
#include <climits>
#include <memory>
#include <unordered_map>

#include "core/backend_flags.h"
#include "core/error.h"
#include "cuda/blas/cublaslt_context.h"

namespace tessera::cuda::blas {
namespace {

cudaDataType_t cuda_type(DType dt) {
  switch (dt) {
    case DType::Float32:
      return CUDA_R_32F;
    case DType::Float64:
      return CUDA_R_64F;
    case DType::Float16:
      return CUDA_R_16F;
    case DType::BFloat16:
      return CUDA_R_16BF;
    default:
      TS_FAIL(NotImplemented, "[matmul] cuBLASLt path got dtype ", dtype_name(dt));
  }
}

// Largest power of two (up to 256) dividing the address: the heuristic must only pick kernels whose
// vector loads this pointer allows.
uint32_t alignment(const void* p) {
  const auto v = reinterpret_cast<uintptr_t>(p);
  uint32_t a = 1;
  while (a < 256 && v % (a * 2) == 0) a *= 2;
  return p ? a : 256;
}

// Everything the descriptors and the heuristic's choice depend on, as int64s (no padding bytes).
struct Key {
  // clang-format off
  enum Field {
    kDevice, kInType, kOutType, kCompute, kEpilogue, kReduction, kTransA, kTransB, kM, kN, kK, kCount, kLda, kLdb,
    kLdd, kSa, kSb, kSd, kAuxLd, kAlignA, kAlignB, kAlignD, kAlignBias, kAlignAux, kNumFields
  };
  // clang-format on
  std::array<int64_t, kNumFields> v{};
  bool operator==(const Key& o) const { return v == o.v; }
};
struct KeyHash {
  size_t operator()(const Key& k) const {
    size_t h = 1469598103934665603ull;
    for (int64_t x : k.v) h = (h ^ static_cast<size_t>(x)) * 1099511628211ull + (h >> 29);
    return h;
  }
};

struct Entry {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulAlgo_t algo{};
  bool ok = false;  // false: cuBLASLt has no algorithm; the caller falls back every time
  ~Entry() {
    if (a) (void)cublasLtMatrixLayoutDestroy(a);
    if (b) (void)cublasLtMatrixLayoutDestroy(b);
    if (d) (void)cublasLtMatrixLayoutDestroy(d);
    if (op) (void)cublasLtMatmulDescDestroy(op);
  }
};

// Bounded: a workload with ever-new shapes (dynamic sequence lengths) restarts the cache rather
// than growing it forever.
constexpr size_t kMaxEntries = 4096;
using Cache = std::unordered_map<Key, std::unique_ptr<Entry>, KeyHash>;

cublasLtMatrixLayout_t make_layout(cudaDataType_t t, uint64_t rows, uint64_t cols, int64_t ld, int64_t count,
                                   int64_t batch_stride) {
  cublasLtMatrixLayout_t l = nullptr;
  TS_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&l, t, rows, cols, ld));
  if (count > 1) {
    const int32_t c = static_cast<int32_t>(count);
    TS_CUBLAS_CHECK(cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &c, sizeof(c)));
    TS_CUBLAS_CHECK(cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &batch_stride,
                                                     sizeof(batch_stride)));
  }
  return l;
}

template <class T>
void set_desc(cublasLtMatmulDesc_t d, cublasLtMatmulDescAttributes_t attr, const T& v) {
  TS_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(d, attr, &v, sizeof(v)));
}

cublasLtEpilogue_t lt_epilogue(Epilogue e) {
  switch (e) {
    case Epilogue::Bias:
      return CUBLASLT_EPILOGUE_BIAS;
    case Epilogue::GeluTanhAuxBias:
      return CUBLASLT_EPILOGUE_GELU_AUX_BIAS;
    case Epilogue::BiasGradA:
      return CUBLASLT_EPILOGUE_BGRADB;  // our A is cuBLASLt's B
    case Epilogue::None:
      break;
  }
  return CUBLASLT_EPILOGUE_DEFAULT;
}

// The per-call pointers of the epilogue (also read by the heuristic for their alignment).
void set_pointers(const Entry& e, const GemmDesc& g) {
  if (g.epilogue != Epilogue::None) set_desc(e.op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, g.bias);
  if (g.epilogue == Epilogue::GeluTanhAuxBias) set_desc(e.op, CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER, g.aux);
}

std::unique_ptr<Entry> make_entry(const Key& key, const GemmDesc& g, int device, size_t workspace) {
  auto e = std::make_unique<Entry>();
  const auto compute = static_cast<cublasComputeType_t>(key.v[Key::kCompute]);
  const cudaDataType_t scale = g.in_dtype == DType::Float64 ? CUDA_R_64F : CUDA_R_32F;
  TS_CUBLAS_CHECK(cublasLtMatmulDescCreate(&e->op, compute, scale));
  const cublasOperation_t ta = g.b.trans ? CUBLAS_OP_T : CUBLAS_OP_N;  // cuBLASLt's A is our B
  const cublasOperation_t tb = g.a.trans ? CUBLAS_OP_T : CUBLAS_OP_N;
  set_desc(e->op, CUBLASLT_MATMUL_DESC_TRANSA, ta);
  set_desc(e->op, CUBLASLT_MATMUL_DESC_TRANSB, tb);
  if (g.epilogue != Epilogue::None) {
    set_desc(e->op, CUBLASLT_MATMUL_DESC_EPILOGUE, lt_epilogue(g.epilogue));
    set_desc(e->op, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, static_cast<int32_t>(cuda_type(g.out_dtype)));
  }
  if (g.epilogue == Epilogue::GeluTanhAuxBias) {
    set_desc(e->op, CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_LD, g.aux_ld);
    set_desc(e->op, CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_DATA_TYPE, static_cast<int32_t>(cuda_type(g.out_dtype)));
  }
  set_pointers(*e, g);
  const cudaDataType_t in = cuda_type(g.in_dtype), out = cuda_type(g.out_dtype);
  // Stored shapes in column major: op(X) of cuBLASLt's A is (n x k), of its B (k x m), D is (n x m).
  e->a = make_layout(in, g.b.trans ? g.k : g.n, g.b.trans ? g.n : g.k, g.b.ld, g.count, g.b.batch_stride);
  e->b = make_layout(in, g.a.trans ? g.m : g.k, g.a.trans ? g.k : g.m, g.a.ld, g.count, g.a.batch_stride);
  e->d = make_layout(out, g.n, g.m, g.ldd, g.count, g.d_batch_stride);

  cublasLtMatmulPreference_t pref = nullptr;
  TS_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
  struct PrefGuard {
    cublasLtMatmulPreference_t p;
    ~PrefGuard() { (void)cublasLtMatmulPreferenceDestroy(p); }
  } pref_guard{pref};
  auto set_pref = [&](cublasLtMatmulPreferenceAttributes_t attr, auto v) {
    TS_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, attr, &v, sizeof(v)));
  };
  set_pref(CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, static_cast<uint64_t>(workspace));
  // cuBLASLt's A is our B
  set_pref(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, static_cast<uint32_t>(key.v[Key::kAlignB]));
  set_pref(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, static_cast<uint32_t>(key.v[Key::kAlignA]));
  set_pref(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, static_cast<uint32_t>(key.v[Key::kAlignD]));
  set_pref(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, static_cast<uint32_t>(key.v[Key::kAlignD]));
  if (key.v[Key::kReduction] != CUBLASLT_REDUCTION_SCHEME_MASK)
    set_pref(CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK, static_cast<uint32_t>(key.v[Key::kReduction]));

  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  const cublasStatus_t st =
      cublasLtMatmulAlgoGetHeuristic(lt_handle(device), e->op, e->a, e->b, e->d, e->d, pref, 1, &result, &found);
  if (st == CUBLAS_STATUS_SUCCESS && found > 0 && result.state == CUBLAS_STATUS_SUCCESS) {
    e->algo = result.algo;
    e->ok = true;
  } else if (st != CUBLAS_STATUS_SUCCESS && st != CUBLAS_STATUS_NOT_SUPPORTED && st != CUBLAS_STATUS_INVALID_VALUE) {
    throw_cublas_error(st, "cublasLtMatmulAlgoGetHeuristic", __FILE__, __LINE__);
  }
  return e;
}

}  // namespace

bool lt_gemm(const GemmDesc& g, int device, cudaStream_t stream) {
  if (g.k <= 0 || g.m <= 0 || g.n <= 0 || g.count <= 0 || g.count > INT_MAX) return false;
  cublasComputeType_t compute;
  uint32_t reduction = CUBLASLT_REDUCTION_SCHEME_MASK;
  switch (g.in_dtype) {
    case DType::Float32:
      compute = g.allow_tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
      break;
    case DType::Float64:
      compute = CUBLAS_COMPUTE_64F;
      break;
    case DType::Float16:
    case DType::BFloat16: {
      compute = CUBLAS_COMPUTE_32F;
      // torch's rule: without reduced-precision reduction, split-K sums stay in float32.
      const bool reduced = g.in_dtype == DType::Float16 ? matmul_allow_fp16_reduced_precision_reduction()
                                                        : matmul_allow_bf16_reduced_precision_reduction();
      if (!reduced) reduction = CUBLASLT_REDUCTION_SCHEME_NONE | CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE;
      break;
    }
    default:
      return false;
  }
  const Workspace ws = lt_workspace(device, stream);
  Key key;
  auto& v = key.v;
  v[Key::kDevice] = device;
  v[Key::kInType] = static_cast<int64_t>(g.in_dtype);
  v[Key::kOutType] = static_cast<int64_t>(g.out_dtype);
  v[Key::kCompute] = static_cast<int64_t>(compute);
  v[Key::kEpilogue] = static_cast<int64_t>(g.epilogue);
  v[Key::kReduction] = reduction;
  v[Key::kTransA] = g.a.trans;
  v[Key::kTransB] = g.b.trans;
  v[Key::kM] = g.m, v[Key::kN] = g.n, v[Key::kK] = g.k, v[Key::kCount] = g.count;
  v[Key::kLda] = g.a.ld, v[Key::kLdb] = g.b.ld, v[Key::kLdd] = g.ldd;
  if (g.count > 1) v[Key::kSa] = g.a.batch_stride, v[Key::kSb] = g.b.batch_stride, v[Key::kSd] = g.d_batch_stride;
  v[Key::kAuxLd] = g.aux_ld;
  v[Key::kAlignA] = alignment(g.a.ptr), v[Key::kAlignB] = alignment(g.b.ptr), v[Key::kAlignD] = alignment(g.d);
  v[Key::kAlignBias] = g.epilogue != Epilogue::None ? alignment(g.bias) : 0;
  v[Key::kAlignAux] = g.epilogue == Epilogue::GeluTanhAuxBias ? alignment(g.aux) : 0;

  // Never destroyed: at process exit cuBLASLt may be gone before thread-local destructors run.
  thread_local Cache& cache = *new Cache();
  auto it = cache.find(key);
  if (it == cache.end()) {
    if (cache.size() >= kMaxEntries) cache.clear();
    it = cache.emplace(key, make_entry(key, g, device, ws.bytes)).first;
  } else {
    set_pointers(*it->second, g);
  }
  Entry& e = *it->second;
  if (!e.ok) return false;

  const float alpha_f = static_cast<float>(g.alpha), beta_f = static_cast<float>(g.beta);
  const void* alpha = g.in_dtype == DType::Float64 ? static_cast<const void*>(&g.alpha) : &alpha_f;
  const void* beta = g.in_dtype == DType::Float64 ? static_cast<const void*>(&g.beta) : &beta_f;
  const cublasStatus_t st = cublasLtMatmul(lt_handle(device), e.op, alpha, g.b.ptr, e.a, g.a.ptr, e.b, beta, g.d, e.d,
                                           g.d, e.d, &e.algo, ws.ptr, ws.bytes, stream);
  if (st == CUBLAS_STATUS_NOT_SUPPORTED) {  // the heuristic's pick refused at launch: fall back from now on
    e.ok = false;
    return false;
  }
  if (st != CUBLAS_STATUS_SUCCESS) throw_cublas_error(st, "cublasLtMatmul", __FILE__, __LINE__);
  return true;
}

}  // namespace tessera::cuda::blas

#else  // no cuBLASLt in this toolkit: every GEMM takes the fallback kernel

namespace tessera::cuda::blas {
bool lt_gemm(const GemmDesc&, int, cudaStream_t) {
  return false;
}
}  // namespace tessera::cuda::blas
#endif
