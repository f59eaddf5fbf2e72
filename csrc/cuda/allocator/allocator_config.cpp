#include "cuda/allocator/allocator_config.h"

#include <cstdlib>

#include "core/error.h"

namespace tessera::cuda {

namespace {

constexpr const char* kConf = "[TESSERA_CUDA_ALLOC_CONF] ";
constexpr const char* kKnownKeys =
    "max_split_size_mb, garbage_collection_threshold, expandable_segments, roundup_power2_divisions, "
    "backend, release_lock_on_cudamalloc, pinned_use_cuda_host_register, pinned_num_register_threads";

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

double parse_number(const std::string& key, const std::string& value) {
  char* end = nullptr;
  double v = std::strtod(value.c_str(), &end);
  TS_CHECK(!value.empty() && end == value.c_str() + value.size(), kConf, "option ", key, " expects a number (got '",
           value, "')");
  return v;
}

bool parse_bool(const std::string& key, const std::string& value) {
  if (value == "True" || value == "true" || value == "1") return true;
  if (value == "False" || value == "false" || value == "0") return false;
  TS_FAIL(Runtime, kConf, "option ", key, " expects True or False (got '", value, "')");
}

}  // namespace

AllocatorConfig AllocatorConfig::parse(const std::string& conf) {
  AllocatorConfig cfg;
  size_t pos = 0;
  while (pos <= conf.size()) {
    size_t comma = conf.find(',', pos);
    if (comma == std::string::npos) comma = conf.size();
    std::string item = trim(conf.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty()) continue;
    size_t colon = item.find(':');
    TS_CHECK(colon != std::string::npos, kConf, "expected key:value, got '", item, "'");
    std::string key = trim(item.substr(0, colon)), value = trim(item.substr(colon + 1));
    if (key == "max_split_size_mb") {
      double mb = parse_number(key, value);
      // Same floor as PyTorch: below the 20 MiB large-segment size the option would split nothing.
      TS_CHECK(mb > 20, kConf, "max_split_size_mb too small, must be > 20 (got ", value, ")");
      cfg.max_split_size = static_cast<size_t>(mb) * 1024 * 1024;
    } else if (key == "garbage_collection_threshold") {
      double t = parse_number(key, value);
      TS_CHECK(t > 0.0 && t < 1.0, kConf, "garbage_collection_threshold must be in (0.0, 1.0) (got ", value, ")");
      cfg.garbage_collection_threshold = t;
    } else if (key == "expandable_segments") {
      // Accepted only at its default: a setting that would be silently ignored is refused.
      TS_CHECK_NOT_IMPLEMENTED(!parse_bool(key, value), kConf, "expandable_segments:True is not implemented");
    } else if (key == "roundup_power2_divisions") {
      double d = parse_number(key, value);
      TS_CHECK(d >= 0 && d == static_cast<size_t>(d), kConf, "roundup_power2_divisions expects a whole number");
      TS_CHECK_NOT_IMPLEMENTED(d == 0, kConf, "roundup_power2_divisions is not implemented (sizes round to 512 bytes)");
    } else if (key == "backend") {
      TS_CHECK(value == "native", kConf, "backend '", value, "' is not supported (only 'native')");
    } else if (key == "release_lock_on_cudamalloc" || key == "pinned_use_cuda_host_register") {
      parse_bool(key, value);
    } else if (key == "pinned_num_register_threads") {
      parse_number(key, value);
    } else {
      TS_FAIL(Runtime, kConf, "unrecognized option '", key, "' (known: ", kKnownKeys, ")");
    }
  }
  return cfg;
}

AllocatorConfig AllocatorConfig::from_env() {
  const char* env = std::getenv("TESSERA_CUDA_ALLOC_CONF");
  return env ? parse(env) : AllocatorConfig{};
}

}  // namespace tessera::cuda
