// CPU kernels of embedding (row gather), dropout, one_hot and index-map padding.
#include <cstring>
#include <vector>

#include "core/dispatch_type.h"
#include "cpu/dropout_mask.h"
#include "cpu/parallel.h"
#include "ops/nn_stubs.h"
#include "ops/tensor_iterator.h"

namespace tessera {
namespace {

template <class I>
void embedding_impl(const Tensor& out, const Tensor& weight, const I* idx, int64_t n) {
  const int64_t rows = weight.sizes()[0], d = weight.sizes()[1];
  for (int64_t i = 0; i < n; ++i)
    TS_CHECK_INDEX(idx[i] >= 0 && idx[i] < rows, "[embedding] index out of range in self (index ", idx[i],
                   ", num_embeddings ", rows, ")");
  if (d == 0) return;  // nothing to copy (and the output's data may be null)
  const size_t isz = weight.itemsize();
  const char* w = static_cast<const char*>(weight.data_ptr());
  char* o = static_cast<char*>(out.data_ptr());
  const int64_t rs = weight.strides()[0] * static_cast<int64_t>(isz),
                cs = weight.strides()[1] * static_cast<int64_t>(isz);
  parallel_for(0, n, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, d)), [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) {
      const char* src = w + idx[i] * rs;
      char* dst = o + i * d * static_cast<int64_t>(isz);
      if (cs == static_cast<int64_t>(isz)) {
        std::memcpy(dst, src, static_cast<size_t>(d) * isz);
      } else {
        for (int64_t j = 0; j < d; ++j) std::memcpy(dst + j * isz, src + j * cs, isz);
      }
    }
  });
}

void embedding_cpu(const Tensor& out, const Tensor& weight, const Tensor& indices) {
  if (indices.numel() == 0) return;
  if (indices.dtype() == DType::Int64)
    embedding_impl(out, weight, indices.data<int64_t>(), indices.numel());
  else
    embedding_impl(out, weight, indices.data<int32_t>(), indices.numel());
}

void dropout_cpu(const Tensor& out, const Tensor& input, double p) {
  const int64_t n = input.numel();
  std::vector<uint8_t> keep(static_cast<size_t>(n));
  dropout_mask(keep.data(), n, p);
  // The mask as a uint8 tensor over `keep`'s memory would need a storage wrapper; instead walk
  // the input in the output's (contiguous) order with TensorIterator and index the mask linearly.
  TS_DISPATCH_FLOATING_TYPES(input.dtype(), "dropout", [&] {
    using acc_t = opmath_t<scalar_t>;
    const acc_t scale = p < 1.0 ? static_cast<acc_t>(1.0 / (1.0 - p)) : acc_t(0);
    TensorIterator iter;
    iter.add_output(out, out.dtype()).add_input(input).build("dropout");
    scalar_t* o = out.data<scalar_t>();
    const uint8_t* k = keep.data();
    iter.for_each([&](char** data, const int64_t* st, int64_t cnt) {
      for (int64_t i = 0; i < cnt; ++i) {
        scalar_t* dst = reinterpret_cast<scalar_t*>(data[0] + i * st[0]);
        const int64_t lin = dst - o;
        const acc_t x = static_cast<acc_t>(*reinterpret_cast<const scalar_t*>(data[1] + i * st[1]));
        *dst = static_cast<scalar_t>(x * (k[lin] ? scale : acc_t(0)));
      }
    });
  });
}

void one_hot_cpu(const Tensor& out, const Tensor& input) {
  if (out.numel() == 0) return;  // data may be null: no memset
  const int64_t n = input.numel(), c = out.numel() / std::max<int64_t>(n, 1);
  int64_t* o = out.data<int64_t>();
  std::memset(o, 0, static_cast<size_t>(out.numel()) * sizeof(int64_t));
  const int64_t* p = input.data<int64_t>();
  for (int64_t i = 0; i < n; ++i) o[i * c + p[i]] = 1;
}


// Source index of output position i along a dim of size n padded by lo.
int64_t pad_source(int64_t i, int64_t n, int64_t lo, int64_t mode) {
  int64_t s = i - lo;
  if (mode == 1) {  // reflect (edge not repeated)
    if (n == 1) return 0;
    const int64_t period = 2 * (n - 1);
    s = ((s % period) + period) % period;
    return s < n ? s : period - s;
  }
  if (mode == 2) return s < 0 ? 0 : (s >= n ? n - 1 : s);  // replicate
  return ((s % n) + n) % n;                                // circular
}

template <class T>
void pad_index_impl(const Tensor& out, const Tensor& in, IntArrayRef pads, int64_t mode) {
  const int64_t nd = out.dim(), npairs = static_cast<int64_t>(pads.size()) / 2;
  // Per dim: element offsets into `in` for every output index.
  std::vector<std::vector<int64_t>> off(static_cast<size_t>(nd));
  for (int64_t d = 0; d < nd; ++d) {
    const int64_t pi = nd - 1 - d;  // pair index of dim d
    off[d].resize(static_cast<size_t>(out.sizes()[d]));
    for (int64_t i = 0; i < out.sizes()[d]; ++i) {
      const int64_t src = pi < npairs ? pad_source(i, in.sizes()[d], pads[2 * pi], mode) : i;
      off[d][i] = src * in.strides()[d];
    }
  }
  const T* src = in.data<T>();
  T* dst = out.data<T>();
  const int64_t last = nd == 0 ? 1 : out.sizes()[nd - 1], rows = out.numel() / std::max<int64_t>(last, 1);
  parallel_for(0, rows, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, last)), [&](int64_t s, int64_t e) {
    for (int64_t r = s; r < e; ++r) {
      int64_t base = 0, rem = r;
      for (int64_t d = nd - 2; d >= 0; --d) {
        base += off[d][rem % out.sizes()[d]];
        rem /= out.sizes()[d];
      }
      const int64_t* ol = off[nd - 1].data();
      T* o = dst + r * last;
      for (int64_t j = 0; j < last; ++j) o[j] = src[base + ol[j]];
    }
  });
}

void pad_index_cpu(const Tensor& out, const Tensor& in, IntArrayRef pads, int64_t mode) {
  switch (in.itemsize()) {
    case 1:
      return pad_index_impl<uint8_t>(out, in, pads, mode);
    case 2:
      return pad_index_impl<uint16_t>(out, in, pads, mode);
    case 4:
      return pad_index_impl<uint32_t>(out, in, pads, mode);
    default:
      return pad_index_impl<uint64_t>(out, in, pads, mode);
  }
}

}  // namespace

TS_REGISTER_STUB(embedding_stub, CPU, &embedding_cpu);
TS_REGISTER_STUB(dropout_stub, CPU, &dropout_cpu);
TS_REGISTER_STUB(one_hot_stub, CPU, &one_hot_cpu);
TS_REGISTER_STUB(pad_index_stub, CPU, &pad_index_cpu);

}  // namespace tessera
