#pragma once
// The one check mechanism: TS_CHECK_<KIND>(cond, "[op] ", parts...) throws a typed error whose
// kind maps to a Python exception type in the bindings. Messages start with the op name.
#include <sstream>
#include <stdexcept>
#include <string>

namespace tessera {

enum class ErrorKind { Runtime, Value, Type, Index, NotImplemented, OutOfMemory };

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& msg) : std::runtime_error(msg), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

namespace detail {
template <class... Args>
std::string concat(const Args&... args) {
  std::ostringstream ss;
  (ss << ... << args);
  return ss.str();
}
template <class... Args>
[[noreturn]] void fail(ErrorKind kind, const Args&... args) {
  throw Error(kind, concat(args...));
}
}  // namespace detail

}  // namespace tessera

#define TS_CHECK_KIND(kind, cond, ...)                          \
  do {                                                          \
    if (__builtin_expect(!(cond), 0)) {                         \
      ::tessera::detail::fail(::tessera::ErrorKind::kind, __VA_ARGS__); \
    }                                                           \
  } while (0)

#define TS_CHECK(cond, ...) TS_CHECK_KIND(Runtime, cond, __VA_ARGS__)
#define TS_CHECK_VALUE(cond, ...) TS_CHECK_KIND(Value, cond, __VA_ARGS__)
#define TS_CHECK_TYPE(cond, ...) TS_CHECK_KIND(Type, cond, __VA_ARGS__)
#define TS_CHECK_INDEX(cond, ...) TS_CHECK_KIND(Index, cond, __VA_ARGS__)
#define TS_CHECK_NOT_IMPLEMENTED(cond, ...) TS_CHECK_KIND(NotImplemented, cond, __VA_ARGS__)
#define TS_FAIL(kind, ...) ::tessera::detail::fail(::tessera::ErrorKind::kind, __VA_ARGS__)

#define TS_CONCAT_INNER(a, b) a##b
#define TS_CONCAT(a, b) TS_CONCAT_INNER(a, b)
