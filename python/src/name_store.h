#pragma once
// Names built at run time (e.g. "mul_") for nanobind definitions, kept alive for the process.
#include <deque>
#include <string>

namespace tessera::python {
inline const char* keep_name(std::string s) {
  static std::deque<std::string> store;
  store.push_back(std::move(s));
  return store.back().c_str();
}
}  // namespace tessera::python
