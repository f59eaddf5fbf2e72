#include "dispatch/schema.h"

#include <cctype>
#include <cmath>

namespace tessera {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Splits on commas that are not inside brackets or parentheses.
std::vector<std::string> split_top_level(const std::string& s) {
  std::vector<std::string> parts;
  int depth = 0;
  std::string cur;
  for (char c : s) {
    if (c == '(' || c == '[') ++depth;
    if (c == ')' || c == ']') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!trim(cur).empty()) parts.push_back(trim(cur));
  return parts;
}

IValue parse_default(const std::string& text, const std::string& schema) {
  if (text == "None") return IValue();
  if (text == "True") return IValue(true);
  if (text == "False") return IValue(false);
  if (text.size() >= 2 && (text.front() == '"' || text.front() == '\'')) return IValue(text.substr(1, text.size() - 2));
  if (text.front() == '[') {
    std::vector<int64_t> v;
    for (auto& p : split_top_level(text.substr(1, text.size() - 2))) v.push_back(std::stoll(p));
    return IValue(std::move(v));
  }
  if (text == "inf") return IValue(INFINITY);
  if (text == "-inf") return IValue(-INFINITY);
  bool is_float = text.find_first_of(".eE") != std::string::npos;
  try {
    if (is_float) return IValue(std::stod(text));
    return IValue(static_cast<int64_t>(std::stoll(text)));
  } catch (const std::exception&) {
    TS_FAIL(Value, "[schema] cannot parse default value '", text, "' in ", schema);
  }
}

}  // namespace

FunctionSchema FunctionSchema::parse(const std::string& text) {
  FunctionSchema s;
  s.text = text;
  size_t open = text.find('('), arrow = text.rfind("->");
  TS_CHECK_VALUE(open != std::string::npos && arrow != std::string::npos, "[schema] malformed schema: ", text);
  size_t close = text.rfind(')', arrow);
  TS_CHECK_VALUE(close != std::string::npos && close > open, "[schema] malformed schema: ", text);
  s.name = trim(text.substr(0, open));
  TS_CHECK_VALUE(!s.name.empty(), "[schema] missing op name: ", text);
  bool kwarg_only = false;
  for (const std::string& part : split_top_level(text.substr(open + 1, close - open - 1))) {
    if (part == "*") {
      kwarg_only = true;
      continue;
    }
    Argument a;
    std::string decl = part;
    size_t eq = decl.find('=');
    if (eq != std::string::npos) {
      a.default_value = parse_default(trim(decl.substr(eq + 1)), text);
      decl = trim(decl.substr(0, eq));
    }
    size_t sp = decl.rfind(' ');
    TS_CHECK_VALUE(sp != std::string::npos, "[schema] argument '", part, "' needs a type and a name in ", text);
    a.type = trim(decl.substr(0, sp));
    a.name = trim(decl.substr(sp + 1));
    a.kwarg_only = kwarg_only;
    s.arguments.push_back(std::move(a));
  }
  std::string ret = trim(text.substr(arrow + 2));
  if (!ret.empty() && ret.front() == '(') ret = ret.substr(1, ret.size() - 2);
  for (auto& r : split_top_level(ret)) s.returns.push_back(r);
  return s;
}

void FunctionSchema::fill_defaults(Stack& stack) const {
  TS_CHECK_TYPE(stack.size() <= arguments.size(), "[", name, "] takes ", arguments.size(), " arguments but ",
                stack.size(), " were given");
  for (size_t i = stack.size(); i < arguments.size(); ++i) {
    TS_CHECK_TYPE(arguments[i].default_value.has_value(), "[", name, "] missing required argument '",
                  arguments[i].name, "'");
    stack.push_back(*arguments[i].default_value);
  }
}

const char* IValue::type_name() const {
  constexpr const char* names[] = {"None", "Tensor", "int",      "float",  "bool",  "str",
                                   "int[]", "float[]", "Tensor[]", "dtype", "device", "object"};
  return names[v_.index()];
}

}  // namespace tessera
