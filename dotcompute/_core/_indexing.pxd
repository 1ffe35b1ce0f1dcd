# cython: language_level=3
"""Basic (metadata-only) indexing: integers, slices, None and Ellipsis, computed in C."""

cdef enum:
    INDEX_MAXDIMS = 64

cdef struct IndexResult:
    int nd                              # dimensions of the result
    bint scalar                         # every axis taken by an integer: a single element
    Py_ssize_t offset                   # byte offset of the first element
    Py_ssize_t shape[INDEX_MAXDIMS]
    Py_ssize_t strides[INDEX_MAXDIMS]

# 1 when `key` is a basic index of an array of `nd` dimensions (result in *r), 0 when it is
# not (fancy or boolean indexing: the caller takes NumPy's path); raises NumPy's IndexError
# for out-of-bounds integers, too many indices or a second Ellipsis.
cdef int basic_index(int nd, const Py_ssize_t *shape, const Py_ssize_t *strides,
                     object key, IndexResult *r) except -1
