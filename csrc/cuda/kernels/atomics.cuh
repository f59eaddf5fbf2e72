#pragma once
// Atomic read-modify-write on every storage type of tessera: native atomicAdd where the hardware
// has it (float, double, int32, int64, __half from sm_70, __nv_bfloat16 from sm_80), otherwise a
// compare-and-swap loop on the element's bits (16-bit CAS for 2-byte types, the enclosing aligned
// 32-bit word for 1-byte types, as PyTorch does).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "cuda/kernels/launch_utils.cuh"

namespace tessera::cuda {

// *addr = next where f(*addr, next) returns true, atomically; f returning false leaves the element
// as it is (and ends the loop: a max that is already larger needs no write).
template <class T, class F>
__device__ __forceinline__ void atomic_update(T* addr, F f) {
  if constexpr (sizeof(T) == 8) {
    auto* a = reinterpret_cast<unsigned long long*>(addr);
    unsigned long long old = *a, assumed;
    do {
      assumed = old;
      T cur, next;
      memcpy(&cur, &assumed, 8);
      if (!f(cur, next)) return;
      unsigned long long bits;
      memcpy(&bits, &next, 8);
      old = atomicCAS(a, assumed, bits);
    } while (old != assumed);
  } else if constexpr (sizeof(T) == 4) {
    auto* a = reinterpret_cast<unsigned int*>(addr);
    unsigned int old = *a, assumed;
    do {
      assumed = old;
      T cur, next;
      memcpy(&cur, &assumed, 4);
      if (!f(cur, next)) return;
      unsigned int bits;
      memcpy(&bits, &next, 4);
      old = atomicCAS(a, assumed, bits);
    } while (old != assumed);
  } else if constexpr (sizeof(T) == 2) {
    auto* a = reinterpret_cast<unsigned short int*>(addr);
    unsigned short int old = *a, assumed;
    do {
      assumed = old;
      T cur, next;
      memcpy(&cur, &assumed, 2);
      if (!f(cur, next)) return;
      unsigned short int bits;
      memcpy(&bits, &next, 2);
      old = atomicCAS(a, assumed, bits);
    } while (old != assumed);
  } else {
    static_assert(sizeof(T) == 1, "atomic_update: 1, 2, 4 or 8-byte elements");
    const auto p = reinterpret_cast<uintptr_t>(addr);
    auto* word = reinterpret_cast<unsigned int*>(p & ~uintptr_t{3});
    const unsigned int shift = static_cast<unsigned int>(p & 3) * 8;
    unsigned int old = *word, assumed;
    do {
      assumed = old;
      const auto byte = static_cast<uint8_t>((assumed >> shift) & 0xffu);
      T cur, next;
      memcpy(&cur, &byte, 1);
      if (!f(cur, next)) return;
      uint8_t nb;
      memcpy(&nb, &next, 1);
      old = atomicCAS(word, assumed, (assumed & ~(0xffu << shift)) | (static_cast<unsigned int>(nb) << shift));
    } while (old != assumed);
  }
}

// *addr += delta (integers wrap around, as on the CPU).
template <class T>
__device__ __forceinline__ void atomic_add(T* addr, T delta) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int32_t>) {
    atomicAdd(addr, delta);
  } else if constexpr (std::is_same_v<T, int64_t>) {
    atomicAdd(reinterpret_cast<unsigned long long*>(addr), static_cast<unsigned long long>(delta));
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 700
  } else if constexpr (std::is_same_v<T, __half>) {
    atomicAdd(addr, delta);
#endif
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
  } else if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    atomicAdd(addr, delta);
#endif
  } else {
    atomic_update(addr, [delta](T cur, T& next) {
      next = convert_value<T>(to_opmath(cur) + to_opmath(delta));
      return true;
    });
  }
}

// *addr = max(*addr, v) (or min): a NaN value always wins, and a NaN already there stays, as the
// CPU kernels' "v != v || (d == d && v > d)" rule.
template <bool kMax, class T>
__device__ __forceinline__ void atomic_max_min(T* addr, T v) {
  if constexpr (std::is_same_v<T, int32_t>) {
    kMax ? atomicMax(addr, v) : atomicMin(addr, v);
    return;
  } else if constexpr (std::is_same_v<T, int64_t>) {
    auto* a = reinterpret_cast<long long*>(addr);
    kMax ? atomicMax(a, static_cast<long long>(v)) : atomicMin(a, static_cast<long long>(v));
    return;
  }
  const auto x = to_opmath(v);
  atomic_update(addr, [x, v](T cur, T& next) {
    const auto d = to_opmath(cur);
    if (x != x || (d == d && (kMax ? x > d : x < d))) {
      next = v;
      return true;
    }
    return false;
  });
}

// *addr *= v, computed in opmath and rounded once.
template <class T>
__device__ __forceinline__ void atomic_mul(T* addr, T v) {
  const auto x = to_opmath(v);
  atomic_update(addr, [x](T cur, T& next) {
    next = convert_value<T>(to_opmath(cur) * x);
    return true;
  });
}

}  // namespace tessera::cuda
