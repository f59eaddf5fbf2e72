"""tessera: a PyTorch-style eager deep-learning system with a C++20 core."""
from . import _C
from ._C import Tensor, dtype, device, OutOfMemoryError, from_numpy
from ._C import (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64)  # noqa: A004
from ._size import Size

_C._set_size_type(Size)

half = float16
float = float32  # noqa: A001
double = float64
long = int64
int = int32  # noqa: A001
short = int16
from ._C import *  # noqa: E402,F401,F403  (the op functions)

__version__ = "0.1.0"
from . import autograd  # noqa: E402
from .autograd.grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled  # noqa: E402
from ._C import is_grad_enabled  # noqa: E402
from . import _return_types  # noqa: E402,F401  (named (values, indices) results)
from ._creation import tensor, as_tensor, set_default_device, get_default_device  # noqa: E402
from ._tensor_str import set_printoptions, get_printoptions  # noqa: E402
from . import nn  # noqa: E402,F401
from . import optim  # noqa: E402,F401
from .serialization import save, load  # noqa: E402
from . import safetensors  # noqa: E402,F401
from . import utils  # noqa: E402,F401
from . import datasets  # noqa: E402,F401
from . import cuda  # noqa: E402,F401
from . import backends  # noqa: E402,F401
from ._factory_grad import install as _install_factory_grad  # noqa: E402

_install_factory_grad(globals())

from . import amp  # noqa: E402,F401
from .amp import autocast  # noqa: E402
from .amp._state import *  # noqa: E402,F401,F403  (is_autocast_enabled, set_autocast_dtype ...)
from ._C import _amp_foreach_non_finite_check_and_unscale_, _amp_update_scale_  # noqa: E402,F401
