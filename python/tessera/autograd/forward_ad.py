"""Forward-mode automatic differentiation (torch.autograd.forward_ad).

One dual level at a time: inside ``with dual_level():`` tensors made with ``make_dual`` carry a
tangent that every op propagates (C++: csrc/autograd/forward_ad.cpp); leaving the level clears
all tangents.
"""
from collections import namedtuple

from .. import _C

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual", "dual_level"]

_current_level = -1


def enter_dual_level():
    """Opens a dual level and returns its index (only one level can be open)."""
    global _current_level
    _current_level = _C._enter_dual_level()
    return _current_level


def exit_dual_level(*, level=None):
    """Closes the dual level; every tangent of that level is cleared."""
    global _current_level
    if level is None:
        level = _current_level
    _C._exit_dual_level(level)
    _current_level = -1


def _level(level):
    if level is None:
        level = _current_level
    if level < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    return level


def make_dual(tensor, tangent, *, level=None):
    """A view of ``tensor`` whose tangent is ``tangent`` (same size; floating point)."""
    return _C._make_dual(tensor, tangent, _level(level))


UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])


def unpack_dual(tensor, *, level=None):
    """(primal, tangent): a view of ``tensor`` without its tangent, and the tangent or None."""
    if level is None:
        level = _current_level
    if level < 0:
        return UnpackedDualTensor(tensor, None)
    primal, tangent = _C._unpack_dual(tensor, level)
    return UnpackedDualTensor(primal, tangent)


class dual_level:
    """Context manager opening a dual level (``with dual_level(): ...``)."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, exc_type, exc_value, traceback):
        exit_dual_level()
