// Getters/setters behind tessera.backends.cuda.matmul and tessera.backends.cudnn (Python
// properties in python/tessera/backends); bound in every build so the attributes always exist.
#include "binder.h"
#include "core/backend_flags.h"

namespace tessera::python {

TS_BINDER(backend_flags, 20) {
  using namespace nb::literals;
  m.def("_get_matmul_allow_tf32", &matmul_allow_tf32);
  m.def("_set_matmul_allow_tf32", &set_matmul_allow_tf32, "on"_a);
  m.def("_get_cudnn_allow_tf32", &conv_allow_tf32);
  m.def("_set_cudnn_allow_tf32", &set_conv_allow_tf32, "on"_a);
  m.def("_get_matmul_allow_fp16_reduced_precision_reduction", &matmul_allow_fp16_reduced_precision_reduction);
  m.def("_set_matmul_allow_fp16_reduced_precision_reduction", &set_matmul_allow_fp16_reduced_precision_reduction,
        "on"_a);
  m.def("_get_matmul_allow_bf16_reduced_precision_reduction", &matmul_allow_bf16_reduced_precision_reduction);
  m.def("_set_matmul_allow_bf16_reduced_precision_reduction", &set_matmul_allow_bf16_reduced_precision_reduction,
        "on"_a);
}

}  // namespace tessera::python
