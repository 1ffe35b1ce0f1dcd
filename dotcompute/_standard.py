"""Functions whose Array API standard call differs from NumPy's: both calls are accepted.

Where the two conflict NumPy's meaning wins (a positional `np.sort(a, 0)` is an axis,
`np.searchsorted(a, v, 'right')` a side); the standard's keywords are added on top:
`sort`/`argsort` take `descending=` (and `stable=`), `fft.fftfreq`/`fft.rfftfreq` take
`dtype=` and `device=`. `clip` (array or None bounds) and `searchsorted` (`side=`,
`sorter=`) already accept both calls as NumPy defines them.
"""
import numpy as np

from ._core._device import CPU, as_device
from ._core import _routines_function
from ._namespace import _wrap_function

_np_sort = _routines_function.sort
_np_argsort = _routines_function.argsort
_np_flip = _routines_function.flip
_np_ravel = _routines_function.ravel
_np_fftfreq = _wrap_function(np.fft.fftfreq)
_np_rfftfreq = _wrap_function(np.fft.rfftfreq)


def sort(a, axis=-1, kind=None, order=None, *, stable=None, descending=False):
    """numpy.sort; `descending=True` (the standard's) gives the reverse order, NaNs
    first."""
    r = _np_sort(a, axis, kind, order, stable=stable)
    if not descending:
        return r
    return _np_flip(r, -1 if axis is None else axis)


def argsort(a, axis=-1, kind=None, order=None, *, stable=None, descending=False):
    """numpy.argsort; `descending=True` (the standard's) orders from the largest, equal
    elements keeping their relative order when the sort is stable."""
    if not descending:
        return _np_argsort(a, axis, kind, order, stable=stable)
    if axis is None:
        a = _np_ravel(a)
        axis = -1
    n = np.shape(a)[axis]
    # sort the reversed array ascending, reverse the order found, map indices back
    rev = _np_argsort(_np_flip(a, axis), axis, kind, order, stable=stable)
    return (n - 1) - _np_flip(rev, axis)


def _freq(f, n, d, device, dtype):
    dev = as_device(device)
    r = f(n, d)
    if dtype is not None:
        r = r.astype(dtype, copy=False)
    return r if dev is CPU else r.to_device(dev)


def fftfreq(n, d=1.0, device=None, *, dtype=None):
    """numpy.fft.fftfreq; also the standard's `dtype=` and `device=`."""
    return _freq(_np_fftfreq, n, d, device, dtype)


def rfftfreq(n, d=1.0, device=None, *, dtype=None):
    """numpy.fft.rfftfreq; also the standard's `dtype=` and `device=`."""
    return _freq(_np_rfftfreq, n, d, device, dtype)


# name -> function, for the namespace and for its wrapped submodules
OWN = {"sort": sort, "argsort": argsort}
SUBMODULE_OWN = {"fft": {"fftfreq": fftfreq, "rfftfreq": rfftfreq},
                 "linalg": {"norm": _routines_function.norm, "det": _routines_function.det,
                            "inv": _routines_function.inv, "solve": _routines_function.solve}}
