# cython: language_level=3
"""Reductions: sum / prod / min / max / any / all, argmin / argmax, mean, dot; cumsum /
cumprod."""
from dotcompute._core._ndarray cimport ndarray

# The DC_R_* reduction of a ufunc's `reduce`, or -1.
cdef int reduce_kind(object ufunc)
# a.<reduction>(...) for kind a DC_R_* (ufunc: its NumPy ufunc).
cdef object reduction(object ufunc, int kind, ndarray a, object axis, object dtype,
                      object out, object keepdims, object initial, object where)
cdef object argreduction(int kind, str name, ndarray a, object axis, object out,
                         object keepdims)
# a.cumsum(...) (scan 0) / a.cumprod(...) (scan 1).
cdef object accumulate(int scan, ndarray a, object axis, object dtype, object out)
# a.mean(...): float arrays through our sums, everything else NumPy's.
cdef object mean(ndarray a, object axis, object dtype, object out, object keepdims,
                 object where)
# a.var(...) / a.std(...) of a float array through our kernels, None: NumPy's.
cdef object var(ndarray a, tuple args, dict kwargs, bint std)
cdef object dot(object x, object y, object out)
cdef object matmul2(object x, object y, bint stacks=*)
# np.vdot of two float arrays of one dtype that read as strided runs; None: NumPy's.
cdef object vdot(object x, object y)
# np.maximum.accumulate / np.minimum.accumulate (is_max) of a 1-d contiguous cpu array
# of a real kernel type (axis 0, no dtype / out): our two-pass scan; None: NumPy's code.
cdef object extreme_accumulate(bint is_max, ndarray a, dict kwargs)
# np.nansum / np.nanmean of a whole C-contiguous float array (mean: the mean of the
# elements that are not NaN); None: NumPy's code (no such element for the mean, ...).
cdef object nan_reduce_full(ndarray a, bint mean)
# NumPy's _replace_nan(a, 0) of a C-contiguous float array in one threaded pass: (the
# copy with NaN as 0, the bool array of where a is not NaN); None: NumPy's code.
cdef tuple nan_replaced(ndarray a)
