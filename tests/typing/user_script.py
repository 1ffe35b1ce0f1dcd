"""A small user script of the public API, type-checked by tests/test_typing.py."""
import numpy as np

import dotcompute as dc


def normalize(x: dc.ndarray) -> dc.ndarray:
    lo, hi = x.min(), x.max()
    return (x - lo) / (hi - lo)


a: dc.ndarray = dc.arange(10.0)
b = dc.zeros_like(a, device="cpu")
c = dc.asarray(np.linspace(0.0, 1.0, 10), dtype=np.float64)
d = normalize(a + 2 * b - c)
total: float = float(dc.sum(d))
s = dc.sqrt(d)
e = dc.evaluate("2*a + 1")
k = dc.ElementwiseKernel("float64 x", "float64 y", "y = x * 2", "double_it")
print(d.shape, d.dtype, d.device, a.to_device("cpu").data_ptr, total, s, e, k(a))
print(dc.get_num_threads(), dc.get_default_memory_pool().used_bytes(), dc.__version__)
with dc.use_for_numpy():
    tmp = np.empty(3)
m: dc.ndarray = dc.full((2, 2), 3.0).reshape(4).astype(np.float32)
print(m.tolist(), dc.where(a > 3, a, b).sum(axis=0), str(a.device))
