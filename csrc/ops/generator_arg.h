#pragma once
// `Generator? generator=None` as an op argument: C++ type `const std::optional<GeneratorPtr>&`
// (nullopt or null: the default generator of the output's device). Boxed, a generator travels
// as the IValue's RefCounted object; this header teaches the boxing layer both directions.
#include <optional>

#include "core/generator.h"
#include "dispatch/boxing.h"

namespace tessera {

using OptionalGenerator = std::optional<GeneratorPtr>;

inline const Generator* generator_ptr(const OptionalGenerator& g) {
  return g ? g->get() : nullptr;
}

// Found by argument-dependent lookup from boxing::box(const std::optional<T>&).
inline IValue box(const GeneratorPtr& g) {
  if (!g) return IValue();
  return IValue(IntrusivePtr<RefCounted>(g));
}

namespace boxing {
template <>
struct Unbox<GeneratorPtr> {
  static GeneratorPtr get(const IValue& v) {
    if (v.is_none()) return GeneratorPtr();
    auto* g = dynamic_cast<Generator*>(v.get<IntrusivePtr<RefCounted>>("Generator").get());
    TS_CHECK_TYPE(g != nullptr, "[boxed call] expected a Generator object");
    return GeneratorPtr(g);
  }
};
}  // namespace boxing

}  // namespace tessera
