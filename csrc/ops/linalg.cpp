// Front-ends of the matrix products: shape and dtype checks as PyTorch, views that put every case
// into the one batched form `out(*batch, m, n) (+)= a(*batch, m, k) @ b(*batch, k, n)` of bmm_stub.
// Transposed and broadcast operands stay views (strides), so the kernel can hand them to BLAS.
#include "ops/linalg.h"

#include <sstream>

#include "dispatch/boxing.h"
#include "ops/activation.h"
#include "ops/copy.h"
#include "ops/linalg_stubs.h"
#include "ops/type_promotion.h"
#include "ops/view_utils.h"

namespace tessera {

TS_DEFINE_STUB(bmm_stub, "bmm", void(const Tensor&, const Tensor&, const Tensor&, const Scalar&, const Scalar&));
TS_DEFINE_STUB(linear_epilogue_stub, "linear",
               bool(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&));
TS_DEFINE_STUB(linear_weight_grad_stub, "linear_backward",
               bool(const Tensor&, const Tensor&, const Tensor&, const Tensor&));

namespace {

std::string dims_str(const Tensor& t) {
  std::ostringstream s;
  for (int64_t i = 0; i < t.dim(); ++i) s << (i ? "x" : "") << t.sizes()[i];
  return s.str();
}

void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  TS_CHECK(a.dtype() == b.dtype(), "[", op,
           "] expected m1 and m2 to have the same dtype, but got: ", dtype_name(a.dtype()),
           " != ", dtype_name(b.dtype()));
}
void check_not_bool(const char* op, DType dt) {
  TS_CHECK_NOT_IMPLEMENTED(dt != DType::Bool, "[", op, "] not implemented for 'bool'");
}

using detail::view_as;

// Writes `self` broadcast to out's shape into the fresh `out` (the addmm/baddbmm/linear accumulator).
void fill_from(const char* op, const Tensor& out, const Tensor& self) {
  ops::copy_(out, detail::expand_view(self, out.sizes(), op));
}

// out(*batch, m, n) = [bias] + a @ b, broadcasting batch dims; a and b are at least 2-D.
Tensor batched_product(const char* op, const Tensor& a, const Tensor& b, const Tensor* bias) {
  const int64_t da = a.dim(), db = b.dim();
  const int64_t m = a.sizes()[da - 2], k = a.sizes()[da - 1], k2 = b.sizes()[db - 2], n = b.sizes()[db - 1];
  TS_CHECK(k == k2, "[", op, "] mat1 and mat2 shapes cannot be multiplied (", m, "x", k, " and ", k2, "x", n, ")");
  DimVector batch_a(a.sizes().begin(), a.sizes().end() - 2), batch_b(b.sizes().begin(), b.sizes().end() - 2);
  DimVector batch = broadcast_shapes(batch_a, batch_b, op);
  const int64_t nb = static_cast<int64_t>(batch.size());
  auto expand = [&](const Tensor& t, int64_t rows, int64_t cols) {
    DimVector sizes(batch), strides(nb, 0);
    const int64_t off = nb - (t.dim() - 2);
    for (int64_t i = 0; i < t.dim() - 2; ++i)
      if (t.sizes()[i] != 1) strides[off + i] = t.strides()[i];
    sizes.push_back(rows);
    sizes.push_back(cols);
    strides.push_back(t.strides()[t.dim() - 2]);
    strides.push_back(t.strides()[t.dim() - 1]);
    return view_as(t, sizes, strides);
  };
  DimVector out_sizes(batch);
  out_sizes.push_back(m);
  out_sizes.push_back(n);
  Tensor out = empty_tensor(out_sizes, a.dtype(), a.device());
  if (bias) fill_from(op, out, *bias);
  bmm_stub(a.device(), out, expand(a, m, k), expand(b, k, n), Scalar(bias ? 1 : 0), Scalar(1));
  return out;
}

// Dims [0, d) of t merge into one strided dim when each (non-size-1) stride equals the next one
// times its size; `stride` is then the merged dim's stride.
bool leading_dims_fold(const Tensor& t, int64_t d, int64_t& stride) {
  stride = 1;
  int64_t prev = -1;
  for (int64_t i = d - 1; i >= 0; --i) {
    if (t.sizes()[i] == 1) continue;
    if (prev < 0)
      stride = t.strides()[i];
    else if (t.strides()[i] != t.strides()[prev] * t.sizes()[prev])
      return false;
    prev = i;
  }
  return true;
}

Tensor matmul_impl(const char* op, const Tensor& a, const Tensor& b, const Tensor* bias) {
  const int64_t da = a.dim(), db = b.dim();
  TS_CHECK(da >= 1 && db >= 1, "[", op, "] both arguments to matmul need to be at least 1D, but they are ", da,
           "D and ", db, "D");
  check_same_dtype(op, a, b);
  check_not_bool(op, a.dtype());
  if (bias) check_same_dtype(op, a, *bias);
  if (da == 1 && db == 1) {
    TS_CHECK(a.numel() == b.numel(), "[", op, "] inconsistent tensor size, expected tensor [", a.numel(), "] and src [",
             b.numel(), "] to have the same number of elements, but got ", a.numel(), " and ", b.numel(),
             " elements respectively");
  }
  // 1-D operands become (1, k) / (k, 1) matrices; the added dim is dropped from the result.
  Tensor A = da == 1 ? view_as(a, {1, a.sizes()[0]}, {a.sizes()[0] * a.strides()[0], a.strides()[0]}) : a;
  Tensor B = db == 1 ? view_as(b, {b.sizes()[0], 1}, {b.strides()[0], 1}) : b;
  Tensor out;
  int64_t fold_stride = 0;
  if (da >= 3 && db <= 2 && leading_dims_fold(A, da - 1, fold_stride)) {
    // (*, m, k) @ (k, n): one GEMM over the folded rows, as PyTorch does.
    int64_t rows = 1;
    for (int64_t i = 0; i < da - 1; ++i) rows *= A.sizes()[i];
    Tensor A2 = view_as(A, {rows, A.sizes()[da - 1]}, {fold_stride, A.strides()[da - 1]});
    Tensor bias2;
    if (bias) bias2 = *bias;
    const int64_t kk = A.sizes()[da - 1], k2 = B.sizes()[0];
    TS_CHECK(kk == k2, "[", op, "] mat1 and mat2 shapes cannot be multiplied (", rows, "x", kk, " and ", k2, "x",
             B.sizes()[1], ")");
    DimVector full(A.sizes().begin(), A.sizes().end() - 1);
    full.push_back(B.sizes()[1]);
    out = empty_tensor(full, a.dtype(), a.device());
    if (bias) fill_from(op, out, *bias);
    Tensor out2 = view_as(out, {rows, B.sizes()[1]}, {B.sizes()[1], 1});
    bmm_stub(a.device(), out2, A2, B, Scalar(bias ? 1 : 0), Scalar(1));
  } else {
    out = batched_product(op, A, B, bias);
  }
  if (da == 1 || db == 1) {
    DimVector sizes(out.sizes()), strides(out.strides());
    if (db == 1) {
      sizes.erase(sizes.size() - 1);
      strides.erase(strides.size() - 1);
    }
    if (da == 1) {
      sizes.erase(sizes.size() - (db == 1 ? 1 : 2));
      strides.erase(strides.size() - (db == 1 ? 1 : 2));
    }
    out = view_as(out, sizes, strides);
  }
  return out;
}

Tensor matmul_kernel(const Tensor& self, const Tensor& other) {
  return matmul_impl("matmul", self, other, nullptr);
}

Tensor mm_kernel(const Tensor& self, const Tensor& mat2) {
  TS_CHECK(self.dim() == 2, "[mm] self must be a matrix, got ", self.dim(), "-D");
  TS_CHECK(mat2.dim() == 2, "[mm] mat2 must be a matrix, got ", mat2.dim(), "-D");
  check_same_dtype("mm", self, mat2);
  check_not_bool("mm", self.dtype());
  TS_CHECK(self.sizes()[1] == mat2.sizes()[0], "[mm] mat1 and mat2 shapes cannot be multiplied (", dims_str(self),
           " and ", dims_str(mat2), ")");
  return batched_product("mm", self, mat2, nullptr);
}

void check_bmm(const char* op, const Tensor& b1, const Tensor& b2) {
  TS_CHECK(b1.dim() == 3, "[", op, "] batch1 must be a 3D tensor, got ", b1.dim(), "-D");
  TS_CHECK(b2.dim() == 3, "[", op, "] batch2 must be a 3D tensor, got ", b2.dim(), "-D");
  check_same_dtype(op, b1, b2);
  check_not_bool(op, b1.dtype());
  TS_CHECK(b2.sizes()[0] == b1.sizes()[0] && b2.sizes()[1] == b1.sizes()[2], "[", op,
           "] Expected size for first two dimensions of batch2 tensor to be: [", b1.sizes()[0], ", ", b1.sizes()[2],
           "] but got: [", b2.sizes()[0], ", ", b2.sizes()[1], "].");
}

Tensor bmm_kernel(const Tensor& self, const Tensor& mat2) {
  check_bmm("bmm", self, mat2);
  return batched_product("bmm", self, mat2, nullptr);
}

Tensor mv_kernel(const Tensor& self, const Tensor& vec) {
  TS_CHECK(self.dim() == 2 && vec.dim() == 1, "[mv] vector + matrix @ vector expected, got ", self.dim(), ", ",
           vec.dim());
  TS_CHECK(self.sizes()[1] == vec.sizes()[0], "[mv] size mismatch, got mat (", dims_str(self), "), vec (",
           vec.sizes()[0], ")");
  return matmul_impl("mv", self, vec, nullptr);
}

Tensor dot_kernel(const Tensor& self, const Tensor& other) {
  TS_CHECK(self.dim() == 1 && other.dim() == 1, "[dot] 1D tensors expected, but got ", self.dim(), "D and ",
           other.dim(), "D tensors");
  TS_CHECK(self.dtype() == other.dtype(), "[dot] expected both vectors to have same dtype, but found ",
           dtype_name(self.dtype()), " and ", dtype_name(other.dtype()));
  return matmul_impl("dot", self, other, nullptr);
}

Tensor outer_kernel(const Tensor& self, const Tensor& vec2) {
  TS_CHECK(self.dim() == 1, "[outer] Expected 1-D argument self, but got ", self.dim(), "-D");
  TS_CHECK(vec2.dim() == 1, "[outer] Expected 1-D argument vec2, but got ", vec2.dim(), "-D");
  DType dt = result_type(self, vec2);  // outer is a broadcast multiply in PyTorch: it promotes
  Tensor a = to_dtype(self, dt), b = to_dtype(vec2, dt);
  Tensor A = view_as(a, {a.sizes()[0], 1}, {a.strides()[0], 1});
  Tensor B = view_as(b, {1, b.sizes()[0]}, {b.sizes()[0] * b.strides()[0], b.strides()[0]});
  Tensor out = empty_tensor(DimVector{a.sizes()[0], b.sizes()[0]}, dt, a.device());
  bmm_stub(a.device(), out, A, B, Scalar(0), Scalar(1));
  return out;
}

Tensor addmm_kernel(const Tensor& self, const Tensor& mat1, const Tensor& mat2, const Scalar& beta,
                    const Scalar& alpha) {
  TS_CHECK(mat1.dim() == 2, "[addmm] mat1 must be a matrix, got ", mat1.dim(), "-D tensor");
  TS_CHECK(mat2.dim() == 2, "[addmm] mat2 must be a matrix, got ", mat2.dim(), "-D tensor");
  check_same_dtype("addmm", mat1, mat2);
  check_same_dtype("addmm", self, mat1);
  check_not_bool("addmm", mat1.dtype());
  TS_CHECK(mat1.sizes()[1] == mat2.sizes()[0], "[addmm] mat1 and mat2 shapes cannot be multiplied (", dims_str(mat1),
           " and ", dims_str(mat2), ")");
  Tensor out = empty_tensor(DimVector{mat1.sizes()[0], mat2.sizes()[1]}, mat1.dtype(), mat1.device());
  const bool use_self = beta.to_double() != 0.0;
  if (use_self)
    fill_from("addmm", out, self);
  else
    detail::expand_view(self, out.sizes(), "addmm");
  bmm_stub(out.device(), out, mat1, mat2, use_self ? beta : Scalar(0), alpha);
  return out;
}

Tensor baddbmm_kernel(const Tensor& self, const Tensor& b1, const Tensor& b2, const Scalar& beta, const Scalar& alpha) {
  check_bmm("baddbmm", b1, b2);
  check_same_dtype("baddbmm", self, b1);
  Tensor out = empty_tensor(DimVector{b1.sizes()[0], b1.sizes()[1], b2.sizes()[2]}, b1.dtype(), b1.device());
  const bool use_self = beta.to_double() != 0.0;
  if (use_self)
    fill_from("baddbmm", out, self);
  else
    detail::expand_view(self, out.sizes(), "baddbmm");
  bmm_stub(out.device(), out, b1, b2, use_self ? beta : Scalar(0), alpha);
  return out;
}

// input(*, k) as (rows, k) without a copy when its leading dims merge (undefined otherwise).
Tensor rows_view(const Tensor& input) {
  const int64_t d = input.dim(), k = input.sizes()[d - 1];
  int64_t stride = 0;
  if (d == 1) return view_as(input, {1, k}, {k * input.strides()[0], input.strides()[0]});
  if (!leading_dims_fold(input, d - 1, stride)) return Tensor();
  return view_as(input, {input.numel() / std::max<int64_t>(k, 1), k}, {stride, input.strides()[d - 1]});
}

// linear through the device's GEMM epilogue (bias added, and gelu-tanh applied when `aux` is
// wanted, by the GEMM itself); undefined when the device does not fuse this call.
Tensor fused_linear(const Tensor& input, const Tensor& wt, const Tensor& bias, Tensor* aux) {
  const Device dev = input.device();
  const int64_t n = wt.sizes()[1], k = wt.sizes()[0];
  if (!stub_has_kernel(linear_epilogue_stub, dev) || !is_floating(input.dtype()) || input.numel() == 0 || k == 0 ||
      n == 0 || wt.dtype() != input.dtype() || bias.dtype() != input.dtype() || wt.device() != dev ||
      bias.device() != dev || bias.dim() != 1 || bias.sizes()[0] != n || (n > 1 && bias.strides()[0] != 1) ||
      (aux && n % 8 != 0))
    return Tensor();
  Tensor a2 = rows_view(input);
  if (!a2.defined()) return Tensor();
  DimVector full(input.sizes().begin(), input.sizes().end() - 1);
  full.push_back(n);
  Tensor out = empty_tensor(full, input.dtype(), dev);
  Tensor out2 = view_as(out, {a2.sizes()[0], n}, {n, 1});
  Tensor aux2 = aux ? empty_tensor(DimVector{a2.sizes()[0], n}, input.dtype(), dev) : Tensor();
  if (!linear_epilogue_stub(dev, out2, a2, wt, bias, aux2)) return Tensor();
  if (aux) *aux = detail::reshape_contiguous(aux2, full);
  return out;
}

Tensor weight_t(const Tensor& weight) {  // weight^T as a view: BLAS reads it with the transpose flag
  return weight.dim() == 2
             ? view_as(weight, {weight.sizes()[1], weight.sizes()[0]}, {weight.strides()[1], weight.strides()[0]})
             : weight;
}

void check_linear(const Tensor& input, const Tensor& weight) {
  TS_CHECK(weight.dim() == 1 || weight.dim() == 2, "[linear] weight must be 1-D or 2-D, got ", weight.dim(), "-D");
  TS_CHECK(input.dim() >= 1, "[linear] input must have at least 1 dim, got 0-D");
  const int64_t in = weight.sizes()[weight.dim() - 1];
  TS_CHECK(input.sizes()[input.dim() - 1] == in, "[linear] mat1 and mat2 shapes cannot be multiplied (",
           input.numel() / std::max<int64_t>(1, input.sizes()[input.dim() - 1]), "x", input.sizes()[input.dim() - 1],
           " and ", in, "x", weight.dim() == 2 ? weight.sizes()[0] : 1, ")");
}

Tensor linear_kernel(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias) {
  check_linear(input, weight);
  Tensor wt = weight_t(weight);
  if (bias && weight.dim() == 2) {
    Tensor out = fused_linear(input, wt, *bias, nullptr);
    if (out.defined()) return out;
  }
  return matmul_impl("linear", input, wt, bias ? &*bias : nullptr);
}

// gelu(linear(input, weight, bias)) and the linear's result (the gelu's input, which its backward
// reads). With approximate='tanh' and a bias, a device with GEMM epilogues computes both in the
// GEMM (cuBLASLt GELU_AUX_BIAS); otherwise linear then gelu.
std::tuple<Tensor, Tensor> linear_gelu_impl(const Tensor& input, const Tensor& weight,
                                            const std::optional<Tensor>& bias, std::string_view approximate) {
  TS_CHECK_VALUE(approximate == "none" || approximate == "tanh", "[_linear_gelu] approximate argument must be either ",
                 "none or tanh, got '", approximate, "'");
  check_linear(input, weight);
  if (bias && weight.dim() == 2 && approximate == "tanh") {
    Tensor pre;
    Tensor out = fused_linear(input, weight_t(weight), *bias, &pre);
    if (out.defined()) return {out, pre};
  }
  Tensor pre = ops::linear(input, weight, bias);
  return {ops::gelu(pre, approximate), pre};
}

Tensor linear_gelu_kernel(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias,
                          std::string_view approximate) {
  return std::get<0>(linear_gelu_impl(input, weight, bias, approximate));
}

}  // namespace

TS_REGISTER_OP_ALL_BACKENDS("matmul(Tensor self, Tensor other) -> Tensor", &matmul_kernel);
TS_REGISTER_OP_ALL_BACKENDS("mm(Tensor self, Tensor mat2) -> Tensor", &mm_kernel);
TS_REGISTER_OP_ALL_BACKENDS("bmm(Tensor self, Tensor mat2) -> Tensor", &bmm_kernel);
TS_REGISTER_OP_ALL_BACKENDS("mv(Tensor self, Tensor vec) -> Tensor", &mv_kernel);
TS_REGISTER_OP_ALL_BACKENDS("dot(Tensor self, Tensor tensor) -> Tensor", &dot_kernel);
TS_REGISTER_OP_ALL_BACKENDS("outer(Tensor self, Tensor vec2) -> Tensor", &outer_kernel);
TS_REGISTER_OP_ALL_BACKENDS("addmm(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1) -> Tensor",
                            &addmm_kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "baddbmm(Tensor self, Tensor batch1, Tensor batch2, *, Scalar beta=1, Scalar alpha=1) -> Tensor", &baddbmm_kernel);
TS_REGISTER_OP_ALL_BACKENDS("linear(Tensor input, Tensor weight, Tensor? bias=None) -> Tensor", &linear_kernel);
TS_REGISTER_OP_ALL_BACKENDS(
    "_linear_gelu(Tensor input, Tensor weight, Tensor? bias=None, str approximate='none') -> Tensor",
    &linear_gelu_kernel);

namespace ops {
Tensor matmul(const Tensor& self, const Tensor& other) {
  static TypedOp<Tensor(const Tensor&, const Tensor&)> op("matmul");
  return op(self, other);
}
Tensor mm(const Tensor& self, const Tensor& mat2) {
  static TypedOp<Tensor(const Tensor&, const Tensor&)> op("mm");
  return op(self, mat2);
}
Tensor bmm(const Tensor& self, const Tensor& mat2) {
  static TypedOp<Tensor(const Tensor&, const Tensor&)> op("bmm");
  return op(self, mat2);
}
Tensor mv(const Tensor& self, const Tensor& vec) {
  static TypedOp<Tensor(const Tensor&, const Tensor&)> op("mv");
  return op(self, vec);
}
Tensor dot(const Tensor& self, const Tensor& tensor) {
  static TypedOp<Tensor(const Tensor&, const Tensor&)> op("dot");
  return op(self, tensor);
}
Tensor outer(const Tensor& self, const Tensor& vec2) {
  static TypedOp<Tensor(const Tensor&, const Tensor&)> op("outer");
  return op(self, vec2);
}
Tensor addmm(const Tensor& self, const Tensor& mat1, const Tensor& mat2, const Scalar& beta, const Scalar& alpha) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, const Tensor&, const Scalar&, const Scalar&)> op("addmm");
  return op(self, mat1, mat2, beta, alpha);
}
Tensor baddbmm(const Tensor& self, const Tensor& batch1, const Tensor& batch2, const Scalar& beta,
               const Scalar& alpha) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, const Tensor&, const Scalar&, const Scalar&)> op("baddbmm");
  return op(self, batch1, batch2, beta, alpha);
}
Tensor linear(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, const std::optional<Tensor>&)> op("linear");
  return op(input, weight, bias);
}
Tensor linear_gelu(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias,
                   std::string_view approximate) {
  static TypedOp<Tensor(const Tensor&, const Tensor&, const std::optional<Tensor>&, std::string_view)> op(
      "_linear_gelu");
  return op(input, weight, bias, approximate);
}
}  // namespace ops

namespace detail {
std::tuple<Tensor, Tensor> linear_gelu_with_input(const Tensor& input, const Tensor& weight,
                                                  const std::optional<Tensor>& bias, std::string_view approximate) {
  return linear_gelu_impl(input, weight, bias, approximate);
}
}  // namespace detail
}  // namespace tessera
