#pragma once
// The backward engine. Each call builds its own graph task (dependency counts, input buffers,
// ready queue) and runs it on the calling thread: there is no process-wide lock, so independent
// backward calls from several threads run concurrently. The CUDA backend adds one worker thread
// per device with its own ready queue (issue 4); the task structure is already per call.
#include <vector>

#include "autograd/node.h"

namespace tessera::autograd {

struct BackwardOptions {
  bool keep_graph = false;
  bool create_graph = false;
  bool allow_unused = false;
};

// Gradients of `outputs` (seeded with `grad_outputs`; undefined = ones for scalars) flow to the
// leaves' .grad. With `inputs`, only those receive gradients (tensor.backward(inputs=...)).
void backward(const TensorVec& outputs, const TensorVec& grad_outputs, const BackwardOptions& opts,
              const TensorVec& inputs = {});
// autograd.grad: returns d outputs / d inputs without touching any .grad.
TensorVec grad(const TensorVec& outputs, const TensorVec& inputs, const TensorVec& grad_outputs,
               const BackwardOptions& opts);

}  // namespace tessera::autograd
