from .container import ModuleDict, ModuleList, Sequential
from .layers import (GELU, Conv2d, CrossEntropyLoss, Dropout, Embedding, Flatten, Identity, LayerNorm, Linear, MSELoss,
                     ReLU, RMSNorm, Sigmoid, SiLU, Tanh)
from .module import Module
from .activation import MultiheadAttention, NonDynamicallyQuantizableLinear
from .transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
                          TransformerEncoderLayer)
