"""Deprecated `tessera.cuda.amp.GradScaler` (FutureWarning, as torch)."""
import warnings

from ...amp.grad_scaler import GradScaler as _GradScaler
from ...amp.grad_scaler import OptState  # noqa: F401  (as torch.cuda.amp.grad_scaler)

__all__ = ["GradScaler"]


class GradScaler(_GradScaler):
    """See :class:`tessera.amp.GradScaler`; this is ``tessera.amp.GradScaler("cuda", args...)``."""

    def __init__(self, init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                 enabled=True):
        warnings.warn("`tessera.cuda.amp.GradScaler(args...)` is deprecated. "
                      "Please use `tessera.amp.GradScaler('cuda', args...)` instead.", FutureWarning, stacklevel=2)
        super().__init__("cuda", init_scale=init_scale, growth_factor=growth_factor, backoff_factor=backoff_factor,
                         growth_interval=growth_interval, enabled=enabled)
