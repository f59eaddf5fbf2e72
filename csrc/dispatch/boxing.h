#pragma once
// Converting between typed C++ calls and boxed stacks, so that every kernel can be reached from
// both paths: a typed kernel gets a generated boxed wrapper, and a typed call reaching a
// boxed-only (plugin) kernel boxes its arguments.
#include <optional>
#include <span>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "dispatch/device_check.h"
#include "dispatch/dispatcher.h"

namespace tessera {

using OptionalIntArrayRef = std::optional<IntArrayRef>;
using TensorList = std::span<const Tensor>;

namespace boxing {

template <class T>
using bare_t = std::remove_cv_t<std::remove_reference_t<T>>;

// ---- from IValue to an argument type. Views (span, string_view) point into the IValue.
template <class T>
struct Unbox;
template <>
struct Unbox<Tensor> {
  static const Tensor& get(const IValue& v) { return v.get<Tensor>("Tensor"); }
};
template <>
struct Unbox<std::optional<Tensor>> {
  static std::optional<Tensor> get(const IValue& v) {
    return v.is_none() ? std::nullopt : std::optional<Tensor>(v.get<Tensor>("Tensor"));
  }
};
template <>
struct Unbox<TensorList> {
  static TensorList get(const IValue& v) { return v.get<std::vector<Tensor>>("Tensor[]"); }
};
template <>
struct Unbox<Scalar> {
  static Scalar get(const IValue& v) { return v.to_scalar(); }
};
template <>
struct Unbox<std::optional<Scalar>> {
  static std::optional<Scalar> get(const IValue& v) { return v.is_none() ? std::nullopt : std::optional<Scalar>(v.to_scalar()); }
};
template <>
struct Unbox<int64_t> {
  static int64_t get(const IValue& v) { return v.get<int64_t>("int"); }
};
template <>
struct Unbox<double> {
  static double get(const IValue& v) { return v.to_scalar().to_double(); }
};
template <>
struct Unbox<bool> {
  static bool get(const IValue& v) { return v.get<bool>("bool"); }
};
template <>
struct Unbox<IntArrayRef> {
  static IntArrayRef get(const IValue& v) {
    if (v.is_int()) return IntArrayRef(&std::get<int64_t>(v.variant()), 1);
    return v.get<std::vector<int64_t>>("int[]");
  }
};
template <>
struct Unbox<std::string_view> {
  static std::string_view get(const IValue& v) { return v.get<std::string>("str"); }
};
template <>
struct Unbox<DType> {
  static DType get(const IValue& v) { return v.get<DType>("dtype"); }
};
template <>
struct Unbox<Device> {
  static Device get(const IValue& v) { return v.get<Device>("device"); }
};
template <class T>
struct Unbox<std::optional<T>> {
  static std::optional<T> get(const IValue& v) {
    return v.is_none() ? std::nullopt : std::optional<T>(Unbox<T>::get(v));
  }
};

// ---- from an argument or return type to IValue
inline IValue box(const Tensor& t) { return IValue(t); }
inline IValue box(const Scalar& s) { return IValue(s); }
inline IValue box(int64_t v) { return IValue(v); }
inline IValue box(double v) { return IValue(v); }
inline IValue box(bool v) { return IValue(v); }
inline IValue box(IntArrayRef v) { return IValue(std::vector<int64_t>(v.begin(), v.end())); }
inline IValue box(TensorList v) { return IValue(std::vector<Tensor>(v.begin(), v.end())); }
inline IValue box(const std::vector<Tensor>& v) { return IValue(v); }
inline IValue box(std::string_view v) { return IValue(std::string(v)); }
inline IValue box(DType v) { return IValue(v); }
inline IValue box(Device v) { return IValue(v); }
template <class T>
IValue box(const std::optional<T>& v) {
  return v ? box(*v) : IValue();
}

// ---- results
template <class R>
struct Results {
  static void push(Stack& s, R&& r) { s.push_back(box(r)); }
  static R pop(Stack& s) { return Unbox<R>::get(s.at(0)); }
};
template <>
struct Results<void> {};
template <>
struct Results<std::vector<Tensor>> {
  static void push(Stack& s, std::vector<Tensor>&& r) { s.emplace_back(std::move(r)); }
  static std::vector<Tensor> pop(Stack& s) { return s.at(0).get<std::vector<Tensor>>("Tensor[]"); }
};
template <class... Ts>
struct Results<std::tuple<Ts...>> {
  static void push(Stack& s, std::tuple<Ts...>&& r) {
    std::apply([&](auto&... x) { (s.push_back(box(x)), ...); }, r);
  }
  static std::tuple<Ts...> pop(Stack& s) {
    return pop_impl(s, std::index_sequence_for<Ts...>{});
  }
  template <size_t... I>
  static std::tuple<Ts...> pop_impl(Stack& s, std::index_sequence<I...>) {
    return std::tuple<Ts...>(Unbox<Ts>::get(s.at(I))...);
  }
};

// ---- dispatch keys of typed arguments
inline DispatchKeySet keys_of(const Tensor& t) { return tensor_keys(t); }
inline DispatchKeySet keys_of(const std::optional<Tensor>& t) { return t ? tensor_keys(*t) : 0; }
inline DispatchKeySet keys_of(TensorList ts) {
  DispatchKeySet k = 0;
  for (const Tensor& t : ts) k |= tensor_keys(t);
  return k;
}
inline DispatchKeySet keys_of(Device d) { return key_bit(backend_key(d.type)); }
inline DispatchKeySet keys_of(const std::optional<Device>& d) { return d ? keys_of(*d) : 0; }
template <class T>
DispatchKeySet keys_of(const T&) {
  return 0;
}

// The boxed wrapper generated for a typed kernel of signature R(Args...).
template <class R, class... Args>
struct BoxedWrapper {
  template <size_t... I>
  static void call(void* fn, Stack& stack, std::index_sequence<I...>) {
    auto f = reinterpret_cast<R (*)(Args...)>(fn);
    if constexpr (std::is_void_v<R>) {
      f(Unbox<bare_t<Args>>::get(stack[I])...);
      stack.clear();
    } else {
      R r = f(Unbox<bare_t<Args>>::get(stack[I])...);
      stack.clear();
      Results<R>::push(stack, std::move(r));
    }
  }
  static void run(const Operator& op, void* fn, Stack& stack) {
    TS_CHECK_TYPE(stack.size() == sizeof...(Args), "[", op.name(), "] expected ", sizeof...(Args),
                  " arguments, got ", stack.size());
    call(fn, stack, std::index_sequence_for<Args...>{});
  }
};

template <class Sig>
struct FnTraits;
template <class R, class... Args>
struct FnTraits<R(Args...)> {
  static KernelFunction make(R (*fn)(Args...)) {
    KernelFunction k;
    k.typed = reinterpret_cast<void*>(fn);
    k.signature = signature_id<R(Args...)>();
    k.boxed = &BoxedWrapper<R, Args...>::run;
    k.ctx = k.typed;
    return k;
  }
};

}  // namespace boxing

// A cached handle for calling an op through the dispatcher with a fixed C++ signature.
template <class Sig>
class TypedOp;
template <class R, class... Args>
class TypedOp<R(Args...)> {
 public:
  explicit TypedOp(const char* name) : op_(&Dispatcher::instance().get(name)) {
    const void* sig = op_->signature.load();
    TS_CHECK_TYPE(sig == nullptr || sig == signature_id<R(Args...)>(), "[dispatcher] '", name,
                  "' called with a C++ signature different from its kernels'");
  }
  R operator()(Args... args) const {
    DispatchKeySet keys = (boxing::keys_of(args) | ... | 0u);
    if ((keys & key_bit(DispatchKey::CUDA)) && !op_->mixed_devices_ok())
      device_check::check(op_->name().c_str(), args...);
    bool leaves_autocast;
    const KernelFunction& k = op_->lookup(keys, leaves_autocast);
    if (__builtin_expect(leaves_autocast, 0)) {
      ExcludeDispatchKeyGuard no_autocast(DispatchKey::Autocast);
      return call(k, std::forward<Args>(args)...);
    }
    return call(k, std::forward<Args>(args)...);
  }
  const Operator& op() const { return *op_; }

 private:
  R call(const KernelFunction& k, Args... args) const {
    if (k.typed) return reinterpret_cast<R (*)(Args...)>(k.typed)(std::forward<Args>(args)...);
    return call_boxed_kernel(k, args...);
  }
  R call_boxed_kernel(const KernelFunction& k, Args... args) const {
    Stack stack;
    stack.reserve(sizeof...(Args));
    (stack.push_back(boxing::box(args)), ...);
    k.boxed(*op_, k.ctx, stack);
    if constexpr (!std::is_void_v<R>) return boxing::Results<R>::pop(stack);
  }
  Operator* op_;
};

// Defines an op from its schema and registers a typed kernel for one dispatch key.
template <class R, class... Args>
bool register_op(const char* schema, DispatchKey key, R (*fn)(Args...)) {
  Operator& op = Dispatcher::instance().define(schema);
  TS_CHECK_TYPE(op.schema().arguments.size() == sizeof...(Args), "[dispatcher] schema '", schema, "' has ",
                op.schema().arguments.size(), " arguments but its kernel takes ", sizeof...(Args));
  Dispatcher::instance().register_kernel(op.name(), key, boxing::FnTraits<R(Args...)>::make(fn));
  return true;
}

// Registers a typed kernel for `key` of an op defined elsewhere (an Autograd kernel, a CUDA kernel).
template <class R, class... Args>
bool register_kernel(const char* name, DispatchKey key, R (*fn)(Args...)) {
  Dispatcher::instance().register_kernel(name, key, boxing::FnTraits<R(Args...)>::make(fn));
  return true;
}

// Ops whose outputs never carry gradients (comparisons, argmax, integer results): the Autograd
// key falls through to the backend for them instead of refusing.
inline bool register_nondifferentiable(std::initializer_list<const char*> names) {
  KernelFunction k;
  k.fallthrough = true;
  for (const char* n : names) Dispatcher::instance().register_kernel(n, DispatchKey::Autograd, k);
  return true;
}

// Exempts ops (defined earlier in the same file) from the same-device check.
inline bool allow_mixed_devices(std::initializer_list<const char*> names) {
  for (const char* n : names) Dispatcher::instance().get(n).allow_mixed_devices();
  return true;
}

// For kernels that only touch metadata or call other ops: one kernel for every backend.
template <class R, class... Args>
bool register_op_all_backends(const char* schema, R (*fn)(Args...)) {
  register_op(schema, DispatchKey::CPU, fn);
  Dispatcher& d = Dispatcher::instance();
  auto k = boxing::FnTraits<R(Args...)>::make(fn);
  d.register_kernel(d.get(schema_name(schema)).name(), DispatchKey::CUDA, k);
  d.register_kernel(d.get(schema_name(schema)).name(), DispatchKey::Plugin, k);
  return true;
}

}  // namespace tessera

// At static-initialisation time: define the op and register `fn` as its kernel for `key`.
#define TS_REGISTER_OP(schema, key, fn) \
  static const bool TS_CONCAT(ts_registered_, __COUNTER__) = ::tessera::register_op(schema, ::tessera::DispatchKey::key, fn)
#define TS_NONDIFFERENTIABLE(...) \
  static const bool TS_CONCAT(ts_registered_, __COUNTER__) = ::tessera::register_nondifferentiable({__VA_ARGS__})
#define TS_REGISTER_KERNEL(name, key, fn) \
  static const bool TS_CONCAT(ts_registered_, __COUNTER__) = ::tessera::register_kernel(name, ::tessera::DispatchKey::key, fn)
#define TS_REGISTER_OP_ALL_BACKENDS(schema, fn) \
  static const bool TS_CONCAT(ts_registered_, __COUNTER__) = ::tessera::register_op_all_backends(schema, fn)
#define TS_ALLOW_MIXED_DEVICES(...) \
  static const bool TS_CONCAT(ts_registered_, __COUNTER__) = ::tessera::allow_mixed_devices({__VA_ARGS__})
