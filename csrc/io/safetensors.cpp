// safetensors reader and writer. The reader trusts nothing in the file: the header length, the JSON
// (parsed by a small strict parser with depth and size limits), every offset and shape are checked
// with overflow-safe arithmetic before a single data byte is touched.
#include "io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>
#include <set>
#include <unordered_set>

#include "core/error.h"
#include "ops/copy.h"

namespace tessera::io {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

namespace {

constexpr int kMaxDepth = 64;
constexpr size_t kMaxDims = 64;

// ---- a strict JSON parser for the subset a header needs (objects, arrays, strings, numbers,
// true/false/null are parsed too so that a well-formed but unexpected header gets a precise error).
struct Json {
  enum Kind : uint8_t { Object, Array, String, Number, Bool, Null } kind = Null;
  std::vector<std::pair<std::string, Json>> members;  // Object
  std::vector<Json> items;                            // Array
  std::string str;                                    // String
  bool is_uint = false;                               // Number: a non-negative integer that fits uint64
  uint64_t u = 0;
};

const char* kind_name(Json::Kind k) {
  switch (k) {
    case Json::Object: return "an object";
    case Json::Array: return "an array";
    case Json::String: return "a string";
    case Json::Number: return "a number";
    case Json::Bool: return "a boolean";
    case Json::Null: return "null";
  }
  return "?";
}

class JsonParser {
 public:
  JsonParser(const char* p, size_t n) : s_(p), n_(n) {}

  Json parse_document() {
    skip_ws();
    TS_CHECK_VALUE(pos_ < n_ && s_[pos_] == '{', "[load] invalid safetensors header: the JSON header must start with '{'");
    Json v = parse_value(0);
    skip_ws();
    TS_CHECK_VALUE(pos_ == n_, "[load] invalid safetensors header: unexpected data after the JSON object at byte ", pos_);
    return v;
  }

 private:
  [[noreturn]] void fail(const char* what) {
    TS_FAIL(Value, "[load] invalid safetensors header: malformed JSON (", what, ") at byte ", pos_, " of the header");
  }
  void skip_ws() {
    while (pos_ < n_ && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  char peek() {
    if (pos_ >= n_) fail("unexpected end of header");
    return s_[pos_];
  }
  void expect(char c) {
    if (peek() != c) fail("unexpected character");
    ++pos_;
  }
  void literal(const char* word) {
    size_t len = std::strlen(word);
    if (n_ - pos_ < len || std::memcmp(s_ + pos_, word, len) != 0) fail("invalid literal");
    pos_ += len;
  }

  Json parse_value(int depth) {
    if (depth > kMaxDepth) fail("nesting too deep");
    skip_ws();
    Json v;
    char c = peek();
    if (c == '{') {
      v.kind = Json::Object;
      std::unordered_set<std::string> seen;  // duplicate keys are an error (linear time for big headers)
      ++pos_;
      skip_ws();
      if (peek() == '}') {
        ++pos_;
        return v;
      }
      for (;;) {
        skip_ws();
        if (peek() != '"') fail("expected a string key");
        std::string key = parse_string();
        skip_ws();
        expect(':');
        TS_CHECK_VALUE(seen.insert(key).second, "[load] invalid safetensors header: duplicate key \"", key, "\"");
        v.members.emplace_back(std::move(key), parse_value(depth + 1));
        skip_ws();
        char d = peek();
        ++pos_;
        if (d == '}') return v;
        if (d != ',') fail("expected ',' or '}'");
      }
    }
    if (c == '[') {
      v.kind = Json::Array;
      ++pos_;
      skip_ws();
      if (peek() == ']') {
        ++pos_;
        return v;
      }
      for (;;) {
        v.items.push_back(parse_value(depth + 1));
        skip_ws();
        char d = peek();
        ++pos_;
        if (d == ']') return v;
        if (d != ',') fail("expected ',' or ']'");
      }
    }
    if (c == '"') {
      v.kind = Json::String;
      v.str = parse_string();
      return v;
    }
    if (c == 't') return literal("true"), v.kind = Json::Bool, v;
    if (c == 'f') return literal("false"), v.kind = Json::Bool, v;
    if (c == 'n') return literal("null"), v;
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number();
    fail("unexpected character");
  }

  Json parse_number() {
    Json v;
    v.kind = Json::Number;
    bool neg = false, integral = true, overflow = false;
    if (peek() == '-') neg = true, ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else if (peek() >= '1' && peek() <= '9') {
      while (pos_ < n_ && s_[pos_] >= '0' && s_[pos_] <= '9') {
        uint64_t d = static_cast<uint64_t>(s_[pos_] - '0');
        if (v.u > (UINT64_MAX - d) / 10) overflow = true;
        else v.u = v.u * 10 + d;
        ++pos_;
      }
    } else {
      fail("invalid number");
    }
    if (pos_ < n_ && s_[pos_] == '.') {
      integral = false;
      ++pos_;
      if (pos_ >= n_ || s_[pos_] < '0' || s_[pos_] > '9') fail("invalid number");
      while (pos_ < n_ && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    }
    if (pos_ < n_ && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < n_ && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (pos_ >= n_ || s_[pos_] < '0' || s_[pos_] > '9') fail("invalid number");
      while (pos_ < n_ && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    }
    v.is_uint = integral && !overflow && !(neg && v.u != 0);
    return v;
  }

  unsigned hex4() {
    if (n_ - pos_ < 4) fail("truncated \\u escape");
    unsigned x = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_++];
      x <<= 4;
      if (c >= '0' && c <= '9') x |= unsigned(c - '0');
      else if (c >= 'a' && c <= 'f') x |= unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') x |= unsigned(c - 'A' + 10);
      else fail("invalid \\u escape");
    }
    return x;
  }

  static void put_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }

  std::string parse_string() {
    expect('"');
    std::string out;
    for (;;) {
      char c = peek();
      ++pos_;
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      char e = peek();
      ++pos_;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00) {
            if (n_ - pos_ < 2 || s_[pos_] != '\\' || s_[pos_ + 1] != 'u') fail("unpaired surrogate");
            pos_ += 2;
            unsigned lo = hex4();
            if (lo < 0xDC00 || lo >= 0xE000) fail("unpaired surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            fail("unpaired surrogate");
          }
          put_utf8(out, cp);
          break;
        }
        default: fail("invalid escape");
      }
    }
  }

  const char* s_;
  size_t n_;
  size_t pos_ = 0;
};

bool valid_utf8(const unsigned char* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || n - i < len) return false;
    for (size_t k = 1; k < len; ++k)
      if ((s[i + k] & 0xC0) != 0x80) return false;
    if (len == 2 && c < 0xC2) return false;                                 // overlong
    if (len == 3 && c == 0xE0 && s[i + 1] < 0xA0) return false;             // overlong
    if (len == 3 && c == 0xED && s[i + 1] >= 0xA0) return false;            // surrogates
    if (len == 4 && (c > 0xF4 || (c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] >= 0x90))) return false;
    i += len;
  }
  return true;
}

struct CodeName {
  DType t;
  const char* code;
};
constexpr CodeName kCodes[] = {
    {DType::Bool, "BOOL"}, {DType::UInt8, "U8"},    {DType::Int8, "I8"},     {DType::Int16, "I16"},
    {DType::Int32, "I32"}, {DType::Int64, "I64"},   {DType::Float16, "F16"}, {DType::BFloat16, "BF16"},
    {DType::Float32, "F32"}, {DType::Float64, "F64"},
};

DType dtype_from_code(const std::string& code, const std::string& name) {
  for (const auto& c : kCodes)
    if (code == c.code) return c.t;
  TS_FAIL(Value, "[load] tensor \"", name, "\" has dtype \"", code,
          "\", which tessera does not support (supported: BOOL, U8, I8, I16, I32, I64, F16, BF16, F32, F64)");
}

uint64_t as_uint(const Json& v, const std::string& name, const char* field) {
  TS_CHECK_VALUE(v.kind == Json::Number && v.is_uint, "[load] tensor \"", name, "\": ", field,
                 " must hold non-negative integers (got ", kind_name(v.kind), v.kind == Json::Number ? " out of range" : "", ")");
  return v.u;
}

SafetensorsEntry parse_entry(const std::string& name, const Json& v) {
  TS_CHECK_VALUE(v.kind == Json::Object, "[load] tensor \"", name, "\": expected an object, got ", kind_name(v.kind));
  const Json *dtype = nullptr, *shape = nullptr, *offsets = nullptr;
  for (const auto& [k, f] : v.members) {
    if (k == "dtype") dtype = &f;
    else if (k == "shape") shape = &f;
    else if (k == "data_offsets") offsets = &f;
    else TS_FAIL(Value, "[load] tensor \"", name, "\": unknown field \"", k, "\"");
  }
  TS_CHECK_VALUE(dtype && shape && offsets, "[load] tensor \"", name, "\": missing field \"",
                 !dtype ? "dtype" : !shape ? "shape" : "data_offsets", "\"");
  TS_CHECK_VALUE(dtype->kind == Json::String, "[load] tensor \"", name, "\": dtype must be a string");
  TS_CHECK_VALUE(shape->kind == Json::Array, "[load] tensor \"", name, "\": shape must be an array");
  TS_CHECK_VALUE(offsets->kind == Json::Array && offsets->items.size() == 2, "[load] tensor \"", name,
                 "\": data_offsets must be an array of two integers");
  TS_CHECK_VALUE(shape->items.size() <= kMaxDims, "[load] tensor \"", name, "\": too many dimensions (",
                 shape->items.size(), ")");
  SafetensorsEntry e;
  e.name = name;
  e.dtype = dtype_from_code(dtype->str, name);
  // The product of the non-zero dimensions must fit in int64 even for an empty tensor, so that
  // strides computed from the shape cannot overflow.
  uint64_t numel = 1;
  for (const auto& d : shape->items) {
    uint64_t n = as_uint(d, name, "shape");
    e.shape.push_back(static_cast<int64_t>(n));
    TS_CHECK_VALUE(n <= uint64_t(INT64_MAX) && (n == 0 || numel <= uint64_t(INT64_MAX) / n), "[load] tensor \"", name,
                   "\": shape is too large (the product of its dimensions overflows int64)");
    if (n != 0) numel *= n;
  }
  if (std::find(e.shape.begin(), e.shape.end(), 0) != e.shape.end()) numel = 0;
  e.begin = as_uint(offsets->items[0], name, "data_offsets");
  e.end = as_uint(offsets->items[1], name, "data_offsets");
  TS_CHECK_VALUE(e.begin <= e.end, "[load] tensor \"", name, "\": data_offsets [", e.begin, ", ", e.end,
                 "] end before they begin");
  uint64_t isz = itemsize(e.dtype);
  TS_CHECK_VALUE(numel <= UINT64_MAX / isz && numel * isz == e.end - e.begin, "[load] tensor \"", name,
                 "\": shape ", shape_str(e.shape), " of dtype ", dtype->str, " needs a different byte length than its data_offsets [",
                 e.begin, ", ", e.end, "] give");
  return e;
}

}  // namespace

std::string_view safetensors_dtype_code(DType t) {
  for (const auto& c : kCodes)
    if (c.t == t) return c.code;
  TS_FAIL(Type, "[save] unsupported dtype");
}

SafetensorsHeader parse_safetensors(const uint8_t* data, size_t size) {
  TS_CHECK_VALUE(size >= 8, "[load] invalid safetensors data: ", size, " bytes is too short for the 8-byte header length");
  uint64_t n = 0;
  std::memcpy(&n, data, 8);
  TS_CHECK_VALUE(n <= kMaxHeaderBytes, "[load] invalid safetensors data: header length ", n, " exceeds the limit of ",
                 kMaxHeaderBytes, " bytes");
  TS_CHECK_VALUE(n <= size - 8, "[load] invalid safetensors data: header length ", n, " runs past the end of the data (",
                 size, " bytes; truncated file?)");
  TS_CHECK_VALUE(n >= 2, "[load] invalid safetensors data: header length ", n, " is too small");
  const char* hdr = reinterpret_cast<const char*>(data + 8);
  TS_CHECK_VALUE(valid_utf8(data + 8, n), "[load] invalid safetensors header: not valid UTF-8");
  Json root = JsonParser(hdr, n).parse_document();

  SafetensorsHeader h;
  h.data_start = 8 + n;
  for (auto& [key, v] : root.members) {
    if (key == "__metadata__") {
      TS_CHECK_VALUE(v.kind == Json::Object, "[load] invalid safetensors header: __metadata__ must be an object");
      h.has_metadata = true;
      for (auto& [mk, mv] : v.members) {
        TS_CHECK_VALUE(mv.kind == Json::String, "[load] invalid safetensors header: __metadata__ value for \"", mk,
                       "\" must be a string (got ", kind_name(mv.kind), ")");
        h.metadata.emplace_back(mk, mv.str);
      }
      continue;
    }
    h.tensors.push_back(parse_entry(key, v));
  }
  // The tensors must tile the data region exactly: sorted by offset, each starts where the last ended.
  std::vector<const SafetensorsEntry*> order;
  for (const auto& e : h.tensors) order.push_back(&e);
  std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t expected = 0;
  for (const auto* e : order) {
    TS_CHECK_VALUE(e->begin == expected, "[load] invalid safetensors header: tensor \"", e->name, "\" data_offsets [",
                   e->begin, ", ", e->end, "] ", e->begin < expected ? "overlap the previous tensor" : "leave a gap after the previous tensor",
                   " (expected to start at ", expected, ")");
    expected = e->end;
  }
  uint64_t data_bytes = size - h.data_start;
  TS_CHECK_VALUE(expected == data_bytes, "[load] invalid safetensors data: the tensors cover ", expected,
                 " bytes but the data region holds ", data_bytes, " bytes", expected > data_bytes ? " (truncated file?)" : "");
  return h;
}

Tensor tensor_from_entry(const SafetensorsEntry& e, const uint8_t* data_region) {
  Tensor t = empty_tensor(e.shape, e.dtype);
  if (e.end > e.begin) std::memcpy(t.data_ptr(), data_region + e.begin, e.end - e.begin);
  return t;
}

namespace {

void json_string(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c < 0x20) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else out += ch;
  }
  out += '"';
}

}  // namespace

std::string serialize_safetensors(const std::vector<std::pair<std::string, Tensor>>& tensors,
                                  const std::vector<std::pair<std::string, std::string>>& metadata, bool with_metadata) {
  std::vector<std::pair<std::string, Tensor>> items;
  for (const auto& [name, t] : tensors) {
    TS_CHECK_VALUE(name != "__metadata__", "[save] \"__metadata__\" is reserved and can't name a tensor");
    TS_CHECK_VALUE(valid_utf8(reinterpret_cast<const unsigned char*>(name.data()), name.size()),
                   "[save] tensor names must be valid UTF-8");
    TS_CHECK_TYPE(t.defined(), "[save] tensor \"", name, "\" is undefined");
    TS_CHECK(t.device().is_cpu(), "[save] tensor \"", name, "\" is on ", t.device().str(), "; move it to the CPU first");
    items.emplace_back(name, ops::contiguous(t));
  }
  // Larger items first, then by name: every tensor starts aligned to its itemsize (as the reference writer does).
  std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
    size_t ia = a.second.itemsize(), ib = b.second.itemsize();
    return ia != ib ? ia > ib : a.first < b.first;
  });
  std::set<std::string_view> seen;
  for (const auto& it : items)
    TS_CHECK_VALUE(seen.insert(it.first).second, "[save] duplicate tensor name \"", it.first, "\"");
  std::string header = "{";
  bool first = true;
  if (with_metadata) {
    header += "\"__metadata__\":{";
    for (size_t i = 0; i < metadata.size(); ++i) {
      if (i) header += ',';
      json_string(header, metadata[i].first);
      header += ':';
      json_string(header, metadata[i].second);
    }
    header += '}';
    first = false;
  }
  uint64_t offset = 0;
  for (const auto& [name, t] : items) {
    uint64_t nbytes = uint64_t(t.numel()) * t.itemsize();
    if (!first) header += ',';
    first = false;
    json_string(header, name);
    header += ":{\"dtype\":\"";
    header += safetensors_dtype_code(t.dtype());
    header += "\",\"shape\":[";
    for (int64_t d = 0; d < t.dim(); ++d) {
      if (d) header += ',';
      header += std::to_string(t.sizes()[d]);
    }
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + nbytes) + "]}";
    offset += nbytes;
  }
  header += '}';
  while (header.size() % 8) header += ' ';  // pad so the data region starts 8-byte aligned
  std::string out;
  out.reserve(8 + header.size() + offset);
  uint64_t n = header.size();
  out.append(reinterpret_cast<const char*>(&n), 8);
  out += header;
  for (const auto& [name, t] : items)
    out.append(static_cast<const char*>(t.data_ptr()), size_t(t.numel()) * t.itemsize());
  return out;
}

}  // namespace tessera::io
