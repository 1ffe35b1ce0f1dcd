"""Per-call cost of the small-array statements of issue 13 part 3 for four array classes:
NumPy's ndarray, a minimal subclass of numpy.ndarray whose `__array_ufunc__` delegates
(what `dc.ndarray` would be as a subclass: indexing and NumPy functions run NumPy's own C
paths, ufuncs reach our code through the override), the same subclass compiled with
Cython (a C-level override: the best case of that design), and dotcompute's own class.
It also times the `__array_function__` protocol alone: a minimal Cython class (not an
ndarray) whose override does nothing but call the function's implementation on the
NumPy array it holds.

    PYTHONPATH=. python tools/bench_array_class.py [--repeat 15]

The delegating overrides call NumPy's ufunc on plain views (a stand-in for our kernels, so
the columns compare the per-call path, not the loops). The Cython classes are compiled
with pyximport into a temporary folder at the first run (needs Cython and a C compiler;
without them their columns are left out). One process, interleaved batches, fastest
batch of each (`interleaved_minimums`).
"""
import argparse
import os
import sys
import tempfile

import numpy as np

from dotcompute._timing import interleaved_minimums

_CYTHON_SOURCE = '''
# cython: language_level=3
cimport numpy as cnp
import numpy as np
cnp.import_array()

cdef object _ndarray = np.ndarray


cdef class Floor:
    """Not an ndarray: __array_function__ only unwraps the array it holds."""
    cdef public object v

    def __init__(self, v):
        self.v = v

    def __array_function__(self, func, types, args, kwargs):
        return func._implementation(self.v, *args[1:], **kwargs)


cdef object _plain(object x):
    return x.view(_ndarray) if isinstance(x, CSub) else x


cdef class CSub(cnp.ndarray):
    """A numpy.ndarray subclass whose ufunc override delegates in C."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        cdef object r
        inputs = tuple([_plain(x) for x in inputs])
        if method == "__call__":
            r = ufunc(*inputs, **kwargs)
        else:
            r = getattr(ufunc, method)(*inputs, **kwargs)
        return r.view(CSub) if type(r) is _ndarray else r
'''


class PySub(np.ndarray):
    """A numpy.ndarray subclass whose ufunc override delegates (in Python)."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = tuple(x.view(np.ndarray) if isinstance(x, PySub) else x for x in inputs)
        r = getattr(ufunc, method)(*inputs, **kwargs)
        return r.view(PySub) if type(r) is np.ndarray else r


def _compiled():
    """The Cython module (Floor, CSub), or None without Cython or a compiler."""
    try:
        import pyximport
    except ImportError:
        return None
    folder = os.path.join(tempfile.gettempdir(), "dotcompute_bench_array_class")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "dc_bench_classes.pyx")
    if not os.path.exists(path) or open(path).read() != _CYTHON_SOURCE:
        with open(path, "w") as f:
            f.write(_CYTHON_SOURCE)
    sys.path.insert(0, folder)
    try:
        pyximport.install(setup_args={"include_dirs": np.get_include()},
                          build_dir=os.path.join(folder, "build"), language_level=3)
        import dc_bench_classes
        return dc_bench_classes
    except Exception as e:          # no compiler: the columns are left out
        print(f"(Cython classes not built: {e})", file=sys.stderr)
        return None
    finally:
        sys.path.remove(folder)


STATEMENTS = ["a[5]", "a[1:-1]", "a[5] = 0.25", "a[1:-1] + a[:-2]", "a[:100] * 1.5",
              "a[:100] * np.float64(1.5)", "np.exp(a[:32])", "np.flip(a)", "np.diff(a)",
              "a.sum()"]


def _function(statement, scope):
    body = statement if " = " in statement else f"return {statement}"
    exec(compile(f"def f():\n    {body}\n", statement, "exec"), scope)
    return scope.pop("f")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=15, help="interleaved batches (15)")
    args = parser.parse_args(argv)
    import dotcompute as dc

    base = np.random.default_rng(0).uniform(size=1000)
    arrays = {"numpy": base.copy(), "subclass (Python)": base.copy().view(PySub)}
    mod = _compiled()
    if mod is not None:
        arrays["subclass (Cython)"] = base.copy().view(mod.CSub)
    arrays["dotcompute"] = dc.asarray(base)
    names = list(arrays)
    print(f"us per call, fastest of {args.repeat} interleaved batches; n = 1000\n")
    print("| statement | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for st in STATEMENTS:
        fns = {k: _function(st, {"a": a, "np": np}) for k, a in arrays.items()}
        t = interleaved_minimums(fns, args.repeat, batch_seconds=0.005)
        print(f"| `{st}` | " + " | ".join(f"{t[k] * 1e6:.2f}" for k in names) + " |",
              flush=True)
    if mod is not None:
        v = base.copy()
        fl = mod.Floor(v)
        f_np, f_fl = np.flip, np.flip
        t = interleaved_minimums({"numpy": lambda: f_np(v), "floor": lambda: f_fl(fl)},
                                 args.repeat, batch_seconds=0.005)
        print(f"\n`__array_function__` protocol alone (np.flip on a minimal Cython class "
              f"that unwraps): {t['floor'] * 1e6:.2f} us against NumPy's "
              f"{t['numpy'] * 1e6:.2f} us: +{(t['floor'] - t['numpy']) * 1e6:.2f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
