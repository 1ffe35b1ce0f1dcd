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
# a[mask] = v or a[idx] = v for an array v of a's dtype and exactly the selected shape
# (put_array); False when outside that case (nothing written)
cdef bint put_array(ndarray a, object key, ndarray v) except -1
# a[region] = value for a basic-index region of a (data, nd, shape, strides) and a value
# that is a Python or NumPy scalar (converted once as NumPy converts it), or a cpu dc /
# numpy array of a's kernel dtype broadcasting to the region without partial overlap:
# written by the copy kernel over the N-d walk; False when outside that case (nothing
# written, no error raised).
cdef bint assign_region(ndarray a, char *data, int nd, Py_ssize_t *shape,
                        Py_ssize_t *strides, object value) except -1
