"""Anomaly detection (torch.autograd.detect_anomaly / set_detect_anomaly).

While on, every graph node records the Python traceback of the forward call that made it, and
backward checks each node's gradients for NaN; a failing node's forward traceback is shown as a
UserWarning before the error propagates. The switch is process-wide, as in PyTorch.
"""
import warnings

from .. import _C
from .grad_mode import _DecoratorContextManager

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]

is_anomaly_enabled = _C.is_anomaly_enabled
is_anomaly_check_nan_enabled = _C.is_anomaly_check_nan_enabled


class detect_anomaly(_DecoratorContextManager):
    """Context manager / decorator that turns anomaly detection on for its body."""

    def __init__(self, check_nan=True):
        self._args = (check_nan,)
        self.check_nan = check_nan
        self.prev = _C.is_anomaly_enabled()
        self.prev_check_nan = _C.is_anomaly_check_nan_enabled()
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", stacklevel=2)

    def __enter__(self):
        _C._set_anomaly_enabled(True, bool(self.check_nan))

    def __exit__(self, *exc):
        _C._set_anomaly_enabled(self.prev, self.prev_check_nan)
        return False


class set_detect_anomaly(_DecoratorContextManager):
    """Sets anomaly detection on or off at construction; as a context manager, restores on exit."""

    def __init__(self, mode, check_nan=True):
        self._args = (mode, check_nan)
        self.prev = _C.is_anomaly_enabled()
        self.prev_check_nan = _C.is_anomaly_check_nan_enabled()
        _C._set_anomaly_enabled(bool(mode), bool(check_nan))

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _C._set_anomaly_enabled(self.prev, self.prev_check_nan)
        return False
