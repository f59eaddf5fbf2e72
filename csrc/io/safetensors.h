#pragma once
// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON {"name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]},
// "__metadata__": {"k": "v"}}, then the raw little-endian data. Offsets are relative to the start
// of the data region; the tensors must tile it exactly (no gaps, no overlaps).
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace tessera::io {

struct SafetensorsEntry {
  std::string name;
  DType dtype;
  DimVector shape;
  uint64_t begin = 0;  // byte offsets into the data region
  uint64_t end = 0;
};

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> tensors;  // in header order
  std::vector<std::pair<std::string, std::string>> metadata;
  bool has_metadata = false;
  uint64_t data_start = 0;  // 8 + header length
};

// Largest accepted header (the reference implementation uses the same bound).
inline constexpr uint64_t kMaxHeaderBytes = 100'000'000;

// Validates everything (see safetensors.cpp) and throws ValueError "[load] ..." on malformed input.
// Never reads outside [data, data + size).
SafetensorsHeader parse_safetensors(const uint8_t* data, size_t size);

// Tensors (any layout, CPU) -> one safetensors byte string. Names must be unique.
std::string serialize_safetensors(const std::vector<std::pair<std::string, Tensor>>& tensors,
                                  const std::vector<std::pair<std::string, std::string>>& metadata,
                                  bool with_metadata);

// A new contiguous CPU tensor holding a copy of `entry`'s bytes.
Tensor tensor_from_entry(const SafetensorsEntry& entry, const uint8_t* data_region);

std::string_view safetensors_dtype_code(DType t);

}  // namespace tessera::io
