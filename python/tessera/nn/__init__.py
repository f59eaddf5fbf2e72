"""tessera.nn: modules, parameters, initialisation and the functional API (as torch.nn)."""
from . import functional, init  # noqa: F401
from .modules import (GELU, Conv2d, CrossEntropyLoss, Dropout, Embedding, Flatten, Identity, LayerNorm, Linear,  # noqa
                      Module, ModuleDict, ModuleList, MSELoss, ReLU, RMSNorm, Sequential, Sigmoid, SiLU, Tanh)
from .modules import (MultiheadAttention, Transformer, TransformerDecoder, TransformerDecoderLayer,  # noqa: F401
                      TransformerEncoder, TransformerEncoderLayer)
from .parameter import Parameter  # noqa: F401
from . import utils  # noqa: F401,E402
