#pragma once
// Anomaly detection (torch.autograd.detect_anomaly). When on, every new node records where its
// forward ran (through a factory the Python bindings install) and the engine checks each node's
// gradients for NaN; a failing node reports its forward traceback. Off, it costs one relaxed
// atomic load per node.
#include <atomic>
#include <memory>
#include <string>

#include "autograd/node.h"

namespace tessera::autograd {

class AnomalyMode {
 public:
  static bool enabled() { return enabled_.load(std::memory_order_relaxed); }
  static bool check_nan() { return check_nan_.load(std::memory_order_relaxed); }
  static void set_enabled(bool enabled, bool check_nan = true);

 private:
  static std::atomic<bool> enabled_;
  static std::atomic<bool> check_nan_;
};

// Where a node was created. Made only while anomaly mode is on.
struct AnomalyMetadata {
  virtual ~AnomalyMetadata() = default;
  // Reports that the backward of `node_name` failed, with the traceback of its forward.
  virtual void print_stack(const std::string& node_name) = 0;
};

using AnomalyMetadataFactory = std::unique_ptr<AnomalyMetadata> (*)();
// Installed by the Python bindings (C++-only builds record nothing).
void set_anomaly_metadata_factory(AnomalyMetadataFactory factory);
std::shared_ptr<AnomalyMetadata> make_anomaly_metadata();

// n.apply(grads) with the anomaly checks: NaN in any gradient raises, and any error reports the
// node's forward traceback before it propagates.
TensorVec apply_with_anomaly_checks(Node& n, TensorVec&& grads);

}  // namespace tessera::autograd
