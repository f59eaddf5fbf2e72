#pragma once
// Schema-lite: "add(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor".
#include <optional>
#include <string>
#include <vector>

#include "dispatch/ivalue.h"

namespace tessera {

struct Argument {
  std::string name;
  std::string type;  // as written: "Tensor", "int[]?", "Scalar" ...
  bool kwarg_only = false;
  std::optional<IValue> default_value;
  bool optional() const { return !type.empty() && type.back() == '?'; }
};

struct FunctionSchema {
  std::string name;
  std::vector<Argument> arguments;
  std::vector<std::string> returns;  // types
  std::string text;                  // the schema as registered

  static FunctionSchema parse(const std::string& text);
  // Fills defaults for trailing arguments a boxed caller left out; TypeError if one is missing.
  void fill_defaults(Stack& stack) const;
};

// The op name of a schema string (text before the parenthesis).
inline std::string schema_name(const std::string& schema) {
  auto p = schema.find('(');
  auto n = schema.substr(0, p);
  n.erase(n.find_last_not_of(' ') + 1);
  return n;
}

}  // namespace tessera
