// sort / argsort / topk: functions and Tensor methods; (values, indices) as named tuples.
#include "binder.h"
#include "casters.h"
#include "ops/sort.h"
#include "return_types.h"

namespace tessera::python {

TS_BINDER(sort, 10) {
  using namespace nb::literals;
  auto sort = [](const Tensor& x, int64_t dim, bool descending, bool stable) {
    return make_return("sort", ops::sort(x, dim, descending, stable));
  };
  auto argsort = [](const Tensor& x, int64_t dim, bool descending, bool stable) {
    return ops::argsort(x, dim, descending, stable);
  };
  auto topk = [](const Tensor& x, int64_t k, int64_t dim, bool largest, bool sorted) {
    return make_return("topk", ops::topk(x, k, dim, largest, sorted));
  };
  m.def("sort", sort, "input"_a, "dim"_a = -1, "descending"_a = false, nb::kw_only(), "stable"_a = false);
  cls.def("sort", sort, "dim"_a = -1, "descending"_a = false, nb::kw_only(), "stable"_a = false);
  m.def("argsort", argsort, "input"_a, "dim"_a = -1, "descending"_a = false, "stable"_a = false);
  cls.def("argsort", argsort, "dim"_a = -1, "descending"_a = false, "stable"_a = false);
  m.def("topk", topk, "input"_a, "k"_a, "dim"_a = -1, "largest"_a = true, "sorted"_a = true);
  cls.def("topk", topk, "k"_a, "dim"_a = -1, "largest"_a = true, "sorted"_a = true);
}

}  // namespace tessera::python
