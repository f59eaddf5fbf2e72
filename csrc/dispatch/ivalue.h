#pragma once
// A boxed value: what the plugin ABI and the Node binding pass on the stack of a boxed call.
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"

namespace tessera {

class IValue {
 public:
  using Variant = std::variant<std::monostate, Tensor, int64_t, double, bool, std::string, std::vector<int64_t>,
                               std::vector<double>, std::vector<Tensor>, DType, Device, IntrusivePtr<RefCounted>>;
  IValue() = default;
  template <class T, class = std::enable_if_t<std::is_constructible_v<Variant, T&&>>>
  IValue(T&& v) : v_(std::forward<T>(v)) {}
  IValue(int v) : v_(static_cast<int64_t>(v)) {}
  IValue(const char* s) : v_(std::string(s)) {}
  IValue(const Scalar& s) {
    if (s.is_bool()) v_ = s.to_bool();
    else if (s.is_integral()) v_ = s.to_int();
    else v_ = s.to_double();
  }

  bool is_none() const { return std::holds_alternative<std::monostate>(v_); }
  bool is_tensor() const { return std::holds_alternative<Tensor>(v_); }
  bool is_int() const { return std::holds_alternative<int64_t>(v_); }
  bool is_double() const { return std::holds_alternative<double>(v_); }
  bool is_bool() const { return std::holds_alternative<bool>(v_); }
  bool is_scalar() const { return is_int() || is_double() || is_bool(); }
  bool is_tensor_list() const { return std::holds_alternative<std::vector<Tensor>>(v_); }
  const Variant& variant() const { return v_; }

  template <class T>
  const T& get(const char* what) const {
    const T* p = std::get_if<T>(&v_);
    TS_CHECK_TYPE(p != nullptr, "[boxed call] expected ", what, " but got ", type_name());
    return *p;
  }
  Scalar to_scalar() const {
    if (is_int()) return Scalar(std::get<int64_t>(v_));
    if (is_double()) return Scalar(std::get<double>(v_));
    if (is_bool()) return Scalar(std::get<bool>(v_));
    TS_FAIL(Type, "[boxed call] expected a number but got ", type_name());
  }
  const char* type_name() const;

 private:
  Variant v_;
};

using Stack = std::vector<IValue>;

}  // namespace tessera
