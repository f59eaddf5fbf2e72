"""Deprecated `tessera.cuda.amp.autocast` / custom_fwd / custom_bwd (FutureWarning, as torch)."""
import functools
import warnings

from ...amp import autocast_mode as _amp

__all__ = ["autocast", "custom_fwd", "custom_bwd"]


class autocast(_amp.autocast):
    """See :class:`tessera.autocast`. ``tessera.cuda.amp.autocast(args...)`` is
    ``tessera.amp.autocast("cuda", args...)``."""

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        warnings.warn("`tessera.cuda.amp.autocast(args...)` is deprecated. "
                      "Please use `tessera.amp.autocast('cuda', args...)` instead.", FutureWarning, stacklevel=2)
        from ... import float16

        super().__init__("cuda", enabled=enabled, dtype=float16 if dtype is None else dtype,
                         cache_enabled=cache_enabled)


def custom_fwd(fwd=None, *, cast_inputs=None):
    warnings.warn("`tessera.cuda.amp.custom_fwd(args...)` is deprecated. "
                  "Please use `tessera.amp.custom_fwd(args..., device_type='cuda')` instead.", FutureWarning,
                  stacklevel=2)
    return functools.partial(_amp.custom_fwd, device_type="cuda")(fwd=fwd, cast_inputs=cast_inputs)


def custom_bwd(bwd):
    warnings.warn("`tessera.cuda.amp.custom_bwd(args...)` is deprecated. "
                  "Please use `tessera.amp.custom_bwd(args..., device_type='cuda')` instead.", FutureWarning,
                  stacklevel=2)
    return functools.partial(_amp.custom_bwd, device_type="cuda")(bwd)
