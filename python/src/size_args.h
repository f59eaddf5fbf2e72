#pragma once
// PyTorch accepts sizes and dim lists either as varargs (x.view(2, 3)) or as one sequence
// (x.view((2, 3)), x.view([2, 3]), x.view(torch.Size)).
#include <vector>

#include "binder.h"

namespace tessera::python {

// Ints from `args` (varargs or a single sequence); TypeError naming `op` otherwise.
std::vector<int64_t> int_list_from_args(const nb::args& args, const char* op, const char* what = "size");
// One int or a sequence of ints.
std::vector<int64_t> int_list_from_object(nb::handle obj, const char* op, const char* what);

}  // namespace tessera::python
