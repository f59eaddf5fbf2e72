"""nn.Parameter: a leaf tensor that modules register as a learnable weight."""
from .. import _C


class Parameter(_C.Tensor):
    """Shares `data`'s storage, but is a new leaf of the graph (requires_grad=True by default)."""

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            from .. import empty
            data = empty(0)
        super().__init__(data.detach())
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + _C.Tensor.__repr__(self)

    def __reduce_ex__(self, proto):
        return (Parameter, (self.detach(), self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = Parameter(self.detach().clone(), self.requires_grad)
        memo[id(self)] = result
        return result
