# cython: language_level=3
"""Fancy indexing in C: integer arrays and boolean masks on the first axis (or a mask of
the whole shape) of a C-contiguous cpu array."""
from dotcompute._core._ndarray cimport ndarray

# a[key] for an integer (intp / int32) or boolean array key (dc or numpy, 1-d, or a mask of
# a's shape) as NumPy computes it; None when the key or a is outside that case.
cdef object take(ndarray a, object key)
# a[key] = value for such a key and a Python scalar value of a's kind (written as NumPy
# converts it: a[i] = value); False when outside that case (nothing written).
cdef bint put(ndarray a, object key, object value) except -1
