# cython: language_level=3
"""The one way into the kernel table, for the array routines and the fused programs.

Owns: the selected build's table pointer, the serial thresholds (cost-class hints), the
thread-count decision (the thread policy of _threads), the helpers that run a kernel with the GIL released, the operand
struct the routines fill from arrays, the overlap test and the dimension limit.
"""
from dotcompute._core._kernel_table cimport *

cdef enum:
    MAXDIMS = 64            # NumPy's limit on dimensions
    NOGIL_MIN = 16384       # below this many elements a kernel keeps the GIL
    MAX_ITEM = 16           # bytes of the largest element / reduction partial value


# One operand of a kernel call: an array (data, layout, kernel type) or a Python scalar
# converted into `value` (then data == value and is_scalar is set).
cdef struct Operand:
    char *data
    int t                   # kernel type index, -1 when the kernels cannot take it
    int ndim
    Py_ssize_t *shape
    Py_ssize_t *strides
    bint is_scalar          # broadcast over the result (Python scalar or 0-d array)
    bint contig             # C-contiguous
    char value[MAX_ITEM]


# The kernel table of the build chosen at import.
cdef dc_kernel_table *kernel_table() noexcept nogil

# Threads to use for n elements of work whose serial threshold is `threshold` (a cost-class
# hint): the thread policy's answer (_threads.threads_for), at most the thread count.
cdef int threads_for(Py_ssize_t n, Py_ssize_t threshold) noexcept nogil

# Serial threshold (elements) of a cost class (DC_COST_*): the hint naming the class.
cdef Py_ssize_t cost_threshold(int cost) noexcept nogil

# Kernel calls on threads_for's threads, releasing the GIL from NOGIL_MIN elements on.
cdef void run_unary(dc_unary_fn f, int threshold, const char *a, Py_ssize_t sa, char *o,
                    Py_ssize_t so, Py_ssize_t n) noexcept
cdef void run_binary(dc_binary_fn f, int threshold, const char *a, Py_ssize_t sa,
                     const char *b, Py_ssize_t sb, char *o, Py_ssize_t so,
                     Py_ssize_t n) noexcept
cdef void run_reduce(dc_reduce_fn f, dc_combine_fn c, const char *a, Py_ssize_t sa,
                     Py_ssize_t n, char *out) noexcept
cdef void run_where(dc_where_fn f, const char *c, const char *x, const char *y, char *o,
                    Py_ssize_t itemsize, Py_ssize_t n) noexcept

# True when writing output o (of shape[:nd]) element by element may change elements of
# operand a not yet read: their memory overlaps and a is not o's exact layout (broadcast
# to o's shape). A Python scalar (data == value) never overlaps.
cdef bint unsafe_overlap(const Operand *a, const Operand *o, int nd,
                         const Py_ssize_t *shape) noexcept

# True when a and b have the same shape.
cdef bint same_shape(const Operand *a, const Operand *b) noexcept
