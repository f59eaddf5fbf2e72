#pragma once
// Integer power shared by the CPU and CUDA pow kernels (one definition of the semantics).
#include <type_traits>

#if defined(__CUDACC__)
#define TS_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define TS_HOST_DEVICE inline
#endif

namespace tessera {

// Integer power by squaring with wrap-around; negative exponents give 1/x truncated.
template <class T>
TS_HOST_DEVICE T int_pow(T base, T exp) {
  if constexpr (std::is_signed_v<T>) {
    if (exp < 0) {
      if (base == 1) return 1;
      if (base == -1) return (exp & 1) ? T(-1) : T(1);
      return 0;
    }
  }
  using U = std::make_unsigned_t<T>;
  U r = 1, b = static_cast<U>(base), e = static_cast<U>(exp);
  while (e) {
    if (e & 1) r = static_cast<U>(r * b);
    e >>= 1;
    b = static_cast<U>(b * b);
  }
  return static_cast<T>(r);
}

}  // namespace tessera
