#pragma once
// Graph nodes of reverse-mode autodiff. A node is the backward of one forward op: it receives
// one gradient per forward output and returns one per forward input, routed along next_edges.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace tessera::autograd {

class Node;
struct AnomalyMetadata;  // autograd/anomaly_mode.h
using TensorVec = std::vector<Tensor>;

// Where a gradient goes: input slot `input_nr` of `function` (null: nowhere, input needs no grad).
struct Edge {
  std::shared_ptr<Node> function;
  uint32_t input_nr = 0;
  bool valid() const { return function != nullptr; }
};

// What a gradient for one forward output must look like (used to make zeros and check shapes).
struct OutputMeta {
  DimVector shape;
  DType dtype = DType::Float32;
  Device device;
};

using TensorHook = std::function<Tensor(const Tensor&)>;  // returns an undefined tensor to keep the grad

class Node : public std::enable_shared_from_this<Node> {
 public:
  Node();
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  virtual std::string name() const = 0;
  // grads[i] is the gradient of forward output i (undefined = zero); returns one per next edge.
  virtual TensorVec apply(TensorVec&& grads) = 0;
  // Frees saved tensors once a backward pass without retain_graph has used the node.
  virtual void release_saved() {}

  uint64_t sequence_nr() const { return sequence_nr_; }
  size_t num_outputs_of_forward() const { return output_meta_.size(); }
  const std::vector<Edge>& next_edges() const { return next_edges_; }
  void set_next_edges(std::vector<Edge> edges) { next_edges_ = std::move(edges); }
  uint32_t add_output_meta(const Tensor& t);
  const OutputMeta& output_meta(size_t i) const { return output_meta_[i]; }

  // Hooks on the gradient arriving for forward output `slot` (Tensor.register_hook on non-leaves).
  void add_pre_hook(uint32_t slot, TensorHook hook);
  bool has_pre_hooks() const { return !pre_hooks_.empty(); }
  void run_pre_hooks(TensorVec& grads);

  // Forward traceback of this node, recorded only while anomaly mode is on (else null).
  AnomalyMetadata* anomaly_metadata() const { return anomaly_metadata_.get(); }

 private:
  uint64_t sequence_nr_;
  std::vector<Edge> next_edges_;
  std::vector<OutputMeta> output_meta_;
  std::mutex hooks_mutex_;
  std::vector<std::pair<uint32_t, TensorHook>> pre_hooks_;
  std::shared_ptr<AnomalyMetadata> anomaly_metadata_;
};

}  // namespace tessera::autograd
