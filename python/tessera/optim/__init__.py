"""tessera.optim: SGD, Adam, AdamW (fused multi-tensor steps in C++) and lr_scheduler."""
from . import lr_scheduler  # noqa: F401
from .optimizer import Optimizer  # noqa: F401
from .sgd_adam import SGD, Adam, AdamW  # noqa: F401
