import os
import random
import sys

import pytest

# Tests run against the in-place dev build (PYTHONPATH=python) or an installed package.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if os.path.isdir(os.path.join(ROOT, "python", "tessera")) and any(
    f.startswith("_C") for f in os.listdir(os.path.join(ROOT, "python", "tessera"))
):
    sys.path.insert(0, os.path.join(ROOT, "python"))

if os.environ.get("TESSERA_TEST_DEVICE", "cpu") != "cpu":  # the suite on the GPU (helpers.py)
    import tessera

    tessera.set_default_device(os.environ["TESSERA_TEST_DEVICE"])


@pytest.fixture(autouse=True)
def _torch_single_thread():
    """torch's reference calls are far slower with several threads on tiny tensors; the values
    are the same."""
    import torch

    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(prev)


@pytest.fixture
def seed(request):
    """A fresh seed per test run; printed so a failure can be replayed with TESSERA_TEST_SEED."""
    s = int(os.environ.get("TESSERA_TEST_SEED", random.SystemRandom().randrange(2**31)))
    import torch

    torch.manual_seed(s)
    print(f"[seed] {request.node.nodeid}: TESSERA_TEST_SEED={s}")
    return s


@pytest.fixture(autouse=True, scope="session")
def _no_tf32_in_tests():
    """float32 results are compared against exact references: convolutions run without TF32 (torch's
    test suite does the same; tessera.backends.cudnn.allow_tf32 defaults to True as in torch).
    Tests of the flag itself set it explicitly."""
    import tessera as ts

    prev = ts.backends.cudnn.allow_tf32
    ts.backends.cudnn.allow_tf32 = False
    yield
    ts.backends.cudnn.allow_tf32 = prev
