# cython: language_level=3
"""Creation routines: new arrays in pool memory (cpu) or through a device's backend."""
from dotcompute._core._ndarray cimport ndarray

# New C- or F-order cpu array of nd extents (checked here) of a numpy dtype, in pool memory;
# zeroed: every byte reads as zero.
cdef ndarray new_array(int nd, Py_ssize_t *shape, object dtype, bint fortran, bint zeroed)
# New uninitialized C- or F-order cpu array (shape validated here).
cdef ndarray empty_array(tuple shape, object dtype, str order)
# New C-order cpu array of kernel type t with the given (already validated) extents: the
# allocation fast path of the element-wise kernels and the fused programs.
cdef ndarray empty_c(int nd, const Py_ssize_t *shape, int t)
# a.copy(order)
cdef ndarray copy(ndarray a, str order)
# f(*args, **kwargs) with NumPy allocating from the pool; rejects object arrays.
cdef object pooled(object f, tuple args, dict kwargs)
# asarray(a) (a itself when it is an ndarray).
cdef object as_array(object a)
# a.resize(shape) in place (NumPy's checks; self_refs: references the caller holds to a).
cdef object resize(ndarray a, tuple shape, bint refcheck, Py_ssize_t self_refs)
# A new cpu array shaped like a in a's memory layout as NumPy's *_like keep it (order "K":
# a's axis order); zeroed: every byte reads as zero.
cdef ndarray _new_like(ndarray a, object dtype, object shape, object order, bint zeroed)
