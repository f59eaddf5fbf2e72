#pragma once
// Inner loops for TensorIterator on the CPU. cpu_kernel(iter, op) applies a scalar lambda
// elementwise; operand i+1 is the lambda's argument i, operand 0 receives its result. The
// contiguous and scalar-broadcast cases get loops the compiler can vectorise.
#include <tuple>
#include <type_traits>
#include <utility>

#include "ops/tensor_iterator.h"

namespace tessera {

template <class F>
struct function_traits : function_traits<decltype(&F::operator())> {};
template <class C, class R, class... Args>
struct function_traits<R (C::*)(Args...) const> {
  using result_type = R;
  using args_tuple = std::tuple<std::decay_t<Args>...>;
  static constexpr size_t arity = sizeof...(Args);
  template <size_t I>
  using arg_t = std::tuple_element_t<I, args_tuple>;
};

namespace detail {

template <class F, size_t... I>
inline void elementwise_loop(char** data, const int64_t* strides, int64_t n, const F& op, std::index_sequence<I...>) {
  using traits = function_traits<F>;
  using out_t = typename traits::result_type;
  constexpr int64_t out_size = sizeof(out_t);
  const bool contiguous = strides[0] == out_size && ((strides[I + 1] == sizeof(typename traits::template arg_t<I>)) && ...);
  if (contiguous) {
    out_t* __restrict out = reinterpret_cast<out_t*>(data[0]);
    std::tuple<const typename traits::template arg_t<I>* __restrict...> in{
        reinterpret_cast<const typename traits::template arg_t<I>*>(data[I + 1])...};
    for (int64_t i = 0; i < n; ++i) out[i] = op(std::get<I>(in)[i]...);
    return;
  }
  if constexpr (sizeof...(I) == 2) {
    // a (op) scalar and scalar (op) a: hoist the broadcast operand out of the loop.
    using a_t = typename traits::template arg_t<0>;
    using b_t = typename traits::template arg_t<1>;
    if (strides[0] == out_size && strides[1] == sizeof(a_t) && strides[2] == 0) {
      out_t* __restrict out = reinterpret_cast<out_t*>(data[0]);
      const a_t* __restrict a = reinterpret_cast<const a_t*>(data[1]);
      const b_t b = *reinterpret_cast<const b_t*>(data[2]);
      for (int64_t i = 0; i < n; ++i) out[i] = op(a[i], b);
      return;
    }
    if (strides[0] == out_size && strides[1] == 0 && strides[2] == sizeof(b_t)) {
      out_t* __restrict out = reinterpret_cast<out_t*>(data[0]);
      const a_t a = *reinterpret_cast<const a_t*>(data[1]);
      const b_t* __restrict b = reinterpret_cast<const b_t*>(data[2]);
      for (int64_t i = 0; i < n; ++i) out[i] = op(a, b[i]);
      return;
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    *reinterpret_cast<out_t*>(data[0] + i * strides[0]) =
        op(*reinterpret_cast<const typename traits::template arg_t<I>*>(data[I + 1] + i * strides[I + 1])...);
  }
}

}  // namespace detail

template <class F>
void cpu_kernel(const TensorIterator& iter, const F& op) {
  constexpr size_t arity = function_traits<F>::arity;
  iter.for_each([&](char** data, const int64_t* strides, int64_t n) {
    detail::elementwise_loop(data, strides, n, op, std::make_index_sequence<arity>{});
  });
}

}  // namespace tessera
