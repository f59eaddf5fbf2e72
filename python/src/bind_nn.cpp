// NN ops: torch.* functions (softmax, layer_norm, embedding, dropout, conv2d ...), Tensor methods,
// and tessera._C._nn (torch._C._nn's role) for the F-only ops wrapped by tessera/nn/functional_nn.py.
#include <nanobind/stl/vector.h>

#include "binder.h"
#include "casters.h"
#include "ops/nn.h"

namespace tessera::python {

namespace {
// An int[] argument given as an int or a sequence of ints (PyTorch accepts both).
std::vector<int64_t> int_list(nb::handle h, const char* op, const char* name) {
  if (PyLong_Check(h.ptr())) return {nb::cast<int64_t>(h)};
  std::vector<int64_t> v;
  TS_CHECK_TYPE(nb::try_cast<std::vector<int64_t>>(h, v), "[", op, "] argument '", name,
                "' must be an int or a tuple of ints, not ", nb::type_name(h.type()).c_str());
  return v;
}

Tensor conv2d_any(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias, nb::handle stride,
                  nb::handle padding, nb::handle dilation, int64_t groups) {
  auto s = int_list(stride, "conv2d", "stride"), d = int_list(dilation, "conv2d", "dilation");
  if (PyUnicode_Check(padding.ptr()))
    return ops::conv2d_padding(input, weight, bias, s, nb::cast<std::string>(padding), d, groups);
  return ops::conv2d(input, weight, bias, s, int_list(padding, "conv2d", "padding"), d, groups);
}
}  // namespace

TS_BINDER(nn, 10) {
  using namespace nb::literals;
  m.def("softmax", &ops::softmax, "input"_a, "dim"_a, "dtype"_a = nb::none());
  m.def("log_softmax", &ops::log_softmax, "input"_a, "dim"_a, "dtype"_a = nb::none());
  cls.def("softmax", &ops::softmax, "dim"_a, "dtype"_a = nb::none())
      .def("log_softmax", &ops::log_softmax, "dim"_a, "dtype"_a = nb::none());
  m.def(
      "layer_norm",
      [](const Tensor& x, nb::handle shape, const std::optional<Tensor>& w, const std::optional<Tensor>& b, double eps,
         bool) { return ops::layer_norm(x, int_list(shape, "layer_norm", "normalized_shape"), w, b, eps); },
      "input"_a, "normalized_shape"_a, "weight"_a = nb::none(), "bias"_a = nb::none(), "eps"_a = 1e-5,
      "cudnn_enable"_a = true);
  m.def(
      "rms_norm",
      [](const Tensor& x, nb::handle shape, const std::optional<Tensor>& w, std::optional<double> eps) {
        return ops::rms_norm(x, int_list(shape, "rms_norm", "normalized_shape"), w, eps);
      },
      "input"_a, "normalized_shape"_a, "weight"_a = nb::none(), "eps"_a = nb::none());
  // torch.embedding(weight, input, ...) (F.embedding swaps the first two; see functional_nn.py).
  m.def(
      "embedding",
      [](const Tensor& weight, const Tensor& input, int64_t padding_idx, bool, bool) {
        return ops::embedding(weight, input, padding_idx);
      },
      "weight"_a, "input"_a, "padding_idx"_a = -1, "scale_grad_by_freq"_a = false, "sparse"_a = false);
  m.def("dropout", &ops::dropout, "input"_a, "p"_a = 0.5, "train"_a = true);
  m.def("conv2d", &conv2d_any, "input"_a, "weight"_a, "bias"_a = nb::none(), "stride"_a = 1, "padding"_a = 0,
        "dilation"_a = 1, "groups"_a = 1);

  nb::module_ nn = nb::hasattr(m, "_nn") ? nb::borrow<nb::module_>(m.attr("_nn")) : m.def_submodule("_nn");
  nn.def("cross_entropy_loss", &ops::cross_entropy, "input"_a, "target"_a, "weight"_a = nb::none(),
         "ignore_index"_a = -100, "reduction"_a = "mean", "label_smoothing"_a = 0.0);
  nn.def("nll_loss", &ops::nll_loss, "input"_a, "target"_a, "weight"_a = nb::none(), "ignore_index"_a = -100,
         "reduction"_a = "mean");
  nn.def("mse_loss", &ops::mse_loss, "input"_a, "target"_a, "reduction"_a = "mean");
  nn.def("one_hot", &ops::one_hot, "input"_a, "num_classes"_a = -1);
  nn.def(
      "pad",
      [](const Tensor& x, nb::handle pad, const std::string& mode, std::optional<double> value) {
        return ops::pad(x, int_list(pad, "pad", "pad"), mode, value);
      },
      "input"_a, "pad"_a, "mode"_a = "constant", "value"_a = nb::none());
  nn.def("scaled_dot_product_attention", &ops::scaled_dot_product_attention, "query"_a, "key"_a, "value"_a,
         "attn_mask"_a = nb::none(), "dropout_p"_a = 0.0, "is_causal"_a = false, "scale"_a = nb::none(),
         "enable_gqa"_a = false);
}

}  // namespace tessera::python
