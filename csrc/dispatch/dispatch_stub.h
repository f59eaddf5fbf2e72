#pragma once
// Per-device inner kernels for device-generic op front-ends (ATen's DispatchStub): the front-end
// in csrc/ops does checks, promotion and allocation once; csrc/cpu and csrc/cuda fill the stubs.
#include <atomic>

#include "core/device.h"
#include "core/error.h"

namespace tessera {

// A stub without a kernel for a device. Front-ends that know the op's name (run_elementwise)
// rethrow it under that name; the catch costs nothing until a kernel is missing.
class MissingKernelError : public Error {
 public:
  MissingKernelError(const char* stub, DeviceType device_type)
      : Error(ErrorKind::NotImplemented,
              detail::concat("[", stub, "] has no kernel for device '", device_type_name(device_type), "'")),
        device(device_type) {}
  DeviceType device;
};

template <class Fn>
struct DispatchStub;

template <class R, class... Args>
struct DispatchStub<R(Args...)> {
  using Fn = R (*)(Args...);
  constexpr explicit DispatchStub(const char* op_name) : name(op_name) {}

  R operator()(Device device, Args... args) const {
    Fn f = fns[static_cast<int>(device.type)].load(std::memory_order_acquire);
    if (__builtin_expect(f == nullptr, 0)) throw MissingKernelError(name, device.type);
    return f(std::forward<Args>(args)...);
  }
  bool set(DeviceType t, Fn f) {
    fns[static_cast<int>(t)].store(f, std::memory_order_release);
    return true;
  }

  const char* name;
  std::atomic<Fn> fns[3] = {};
};

}  // namespace tessera

#define TS_DECLARE_STUB(stub, sig) extern ::tessera::DispatchStub<sig> stub
#define TS_DEFINE_STUB(stub, op_name, sig) ::tessera::DispatchStub<sig> stub{op_name}
#define TS_REGISTER_STUB(stub, device, fn) \
  static const bool TS_CONCAT(ts_stub_, __COUNTER__) = stub.set(::tessera::DeviceType::device, fn)
