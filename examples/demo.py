"""A tour of the tensor API (the README's "main job" until the training examples land).

Run: python examples/demo.py
"""
import time

import numpy as np

import tessera as ts


def main():
    a = ts.from_numpy(np.arange(12, dtype=np.float32).reshape(3, 4))
    print("a =", a.numpy().tolist(), a.dtype, tuple(a.shape))
    print("a.t() is a view:", a.t()._is_view_of_same_storage(a), "strides", a.t().stride())
    b = a + 1  # promotion keeps float32; an int tensor * 2.5 would become float32
    print("(a + 1)[2] =", b.select(0, 2).numpy().tolist())
    v = a.t().select(0, 1)
    v.add_(100)
    print("writing through a view changes the base:", a.numpy()[:, 1].tolist(), "version", a._version)
    big = ts.from_numpy(np.random.rand(4_000_000).astype(np.float32))
    t0 = time.perf_counter()
    for _ in range(20):
        big + big
    dt = (time.perf_counter() - t0) / 20
    print(f"4M-element add: {dt * 1e3:.2f} ms ({3 * 4 * 4e6 / dt / 1e9:.1f} GB/s)")
    print("registered ops:", len(ts._C._registered_ops()))


if __name__ == "__main__":
    main()
