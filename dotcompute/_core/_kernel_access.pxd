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
# The same for elements of `itemsize` bytes (_threads.threads_for_size: 8-byte elements
# weigh the measured cost ratio to 4-byte ones).
cdef int threads_for_size(Py_ssize_t n, Py_ssize_t threshold, Py_ssize_t itemsize) noexcept nogil

# Serial threshold (elements) of a cost class (DC_COST_*): the hint naming the class.
cdef Py_ssize_t cost_threshold(int cost) noexcept nogil

# Kernel calls on threads_for's threads, releasing the GIL from NOGIL_MIN elements on.
# `dense`: the output is contiguous (so is its element size); a dense result of a call
# larger than the last-level cache is written with non-temporal stores.
cdef void run_unary(dc_unary_fn f, int threshold, const char *a, Py_ssize_t sa, char *o,
                    Py_ssize_t so, Py_ssize_t n, bint dense=*) noexcept
cdef void run_binary(dc_binary_fn f, int threshold, const char *a, Py_ssize_t sa,
                     const char *b, Py_ssize_t sb, char *o, Py_ssize_t so,
                     Py_ssize_t n, bint dense=*) noexcept
# o = (a op1 b) op2 c, a fused pair of K.fused2
cdef void run_ternary(dc_ternary_fn f, const char *a, Py_ssize_t sa, const char *b,
                      Py_ssize_t sb, const char *c, Py_ssize_t sc, char *o, Py_ssize_t so,
                      Py_ssize_t n, bint dense=*) noexcept
# the same pair written into one of its operands, its floating-point flags split between
# the two operations (flags[0] op1's, flags[1] op2's; _kernels_body.pxi)
cdef void run_ternary_split(dc_ternary_fn f, dc_binary_fn f1, dc_binary_fn f2,
                            const char *a, Py_ssize_t sa, const char *b, Py_ssize_t sb,
                            const char *c, Py_ssize_t sc, char *o, Py_ssize_t so,
                            Py_ssize_t n, int *flags) noexcept
# An operator chain (`2*a + 3*b*b - c`, _routines_elementwise "operator chains"): CH_MAX
# binary operations over n elements in one pass, a block at a time (512 elements, at most
# CH_BLK: set_chain_block) through per-thread slots. Operand: an array (base, stride = its element size), a scalar (base
# points at one element of the operation's type, stride 0) or the slot of an earlier
# operation's result (slot >= 0, stride its element size); `cast` widens an array or slot
# operand of float32 to the operation's float64 (NULL: none). dst: the slot of the
# operation's result, -1 for the last one (the output, contiguous, `out`).
cdef enum:
    CH_MAX = 12
    CH_BLK = 2048
    CH_SLOTS = 6

cdef struct ChainArg:
    const char *base
    Py_ssize_t stride
    int slot
    dc_unary_fn cast

cdef struct ChainOp:
    dc_binary_fn fn         # a binary operation on a, b; or (NULL)
    dc_ternary_fn fn3       # a fused pair on a, b, c (K.fused2, fused2r)
    ChainArg a
    ChainArg b
    ChainArg c
    int dst
    Py_ssize_t isz
    int op1, op2            # what it computes (_opspec.FUSE2 indices; op2 of a pair)
    int form                # 0: a op1 b; 1: (a op1 b) op2 c; 2: c op2 (a op1 b)

# A chain's compiled loop (_jit.py): elements s..e-1 of the whole chain in one pass, args
# the array bases and scalar pointers of its operands in operation order.
ctypedef void (*dc_chain_loop)(const void **args, char *out, Py_ssize_t s,
                               Py_ssize_t e) noexcept nogil

cdef struct Chain:
    int n
    ChainOp op[CH_MAX]
    char *out
    Py_ssize_t osz
    int streams             # arrays read and written (the thread policy's weight)
    dc_chain_loop loop      # the compiled loop of this chain, or NULL (block by block)
    const void *args[3 * CH_MAX]

cdef void run_chain(const Chain *ch, Py_ssize_t n) noexcept

# Rows of a float array (float64 when f8, else float32; `rows` rows of n elements,
# row_stride bytes apart) each partitioned in place at k (dc_select.h: NumPy's partition
# contract; a row holding a NaN gets one at k), the rows spread over the thread policy's
# threads.
cdef void run_select(char *data, Py_ssize_t rows, Py_ssize_t n, Py_ssize_t row_stride,
                     Py_ssize_t k, bint f8) noexcept

# Contiguous rows (`rows` of n elements of dtype t: float32/64, int32/64, uint32/64) each
# sorted in place (dc_sort.h: radix sort; NaNs last), on the thread policy's threads: a
# single row's passes shared by the threads, several rows spread over them. False when
# the dtype has no sort here or scratch memory could not be had (nothing was changed).
cdef bint run_sort(char *data, Py_ssize_t rows, Py_ssize_t n, int t) noexcept
# The indices that order each of `rows` contiguous rows of n elements of kernel type t
# (stable; int64 rows into out): 0, 1 when two equal values were found (an unstable
# sort's order among them is its own), -1 when it could not (type, memory).
cdef int run_argsort(const char *data, Py_ssize_t rows, Py_ssize_t n, int t,
                     char *out) noexcept

# For each of m keys (contiguous, dtype t as the sorted row a of n elements) the index
# np.searchsorted(a, key, side) gives for a sorted a (dc_search.h), into out (int64), the
# keys spread over the thread policy's threads. False for a dtype it has no search for.
cdef bint run_search(const char *a, Py_ssize_t n, const char *keys, Py_ssize_t m,
                     char *out, int t, bint right) noexcept

# NumPy's histogram of n contiguous float64 values in nbins equal bins (its uniform-bin
# steps per value: in [first, last], index from (x - first) / denom * nbins, then the
# corrections against edges), the counts added into counts (int64, nbins), the values
# spread over the thread policy's threads. False when scratch memory could not be had.
# np.interp of m contiguous float64 values on a non-decreasing NaN-free grid xp (n
# points) with values fp, into out (dc_interp.h: NumPy's rules and operations), the values
# spread over the thread policy's threads.
cdef void run_interp_f8(const double *x, Py_ssize_t m, const double *xp, const double *fp,
                        Py_ssize_t n, double left, double right, double *out) noexcept
# Whether run_interp_f8 applies: the grid non-decreasing and NaN-free, no value NaN.
cdef bint interp_inputs_ok(const double *x, Py_ssize_t m, const double *xp,
                           Py_ssize_t n) noexcept

# np.bincount of n contiguous values of kernel type t (bool, 8-64-bit signed, 8-32-bit
# unsigned integers), all known to lie in [0, L): counts (int64, L, zeroed) get them, the values spread over the thread
# policy's threads (a count array each, summed). False: type not handled or no memory.
cdef bint run_bincount(const char *x, Py_ssize_t n, int t, long long *counts,
                       Py_ssize_t L) noexcept

cdef bint run_hist_f8(const double *a, Py_ssize_t n, double first, double last,
                      double denom, Py_ssize_t nbins, const double *edges,
                      long long *counts) noexcept


# Reductions and dot products on threads_for's threads; sum_itemsize > 0: a float sum of
# contiguous elements of that size, itemsize: the dot's element size (each costs the
# policy a measured fraction of the cheap probe's element, see SUM_WEIGHT, DOT_WEIGHT).
cdef void run_reduce(dc_reduce_fn f, dc_combine_fn c, const char *a, Py_ssize_t sa,
                     Py_ssize_t n, char *out, int sum_itemsize=*) noexcept
cdef void run_dot(dc_dot_fn f, dc_combine_fn c, const char *a, Py_ssize_t sa, const char *b,
                  Py_ssize_t sb, Py_ssize_t n, char *out, int itemsize=*) noexcept
# `rows` reductions of nr elements each (row i at a + i*sa_row, elements sr bytes apart),
# row i's value into o + i*so: whole rows split between threads_for's threads (each row
# one call of f and c, start 0; not prod, whose exactness check runs per row by the caller).
# A reduction over an outer axis: o[j] = a[0, j], then g(o[j], a[r, j]) for r = 1..nr-1
# in row order, the nin columns split among the thread policy's threads.
# identity (float sums): the columns' sums then added to 0 as NumPy's (-0.0 gives +0.0).
cdef void run_slabs(dc_binary_fn g, dc_unary_fn copy, int threshold, const char *a,
                    Py_ssize_t sr, Py_ssize_t nr, Py_ssize_t sin, char *o, Py_ssize_t son,
                    Py_ssize_t nin, Py_ssize_t itemsize, bint identity=*) noexcept
# Independent tasks fn(ctx, task, thread) on nt threads (thread: an index below nt for
# per-thread scratch), task c on thread c mod nt, with the floating-point flags and the
# thread policy's bookkeeping of a region.
ctypedef void (*dc_task_fn)(void *ctx, Py_ssize_t task, int thread) noexcept nogil
cdef void run_tasks(dc_task_fn fn, void *ctx, Py_ssize_t ntasks, int nt) noexcept nogil
cdef void run_rows(dc_reduce_fn f, dc_combine_fn c, const char *a, Py_ssize_t sa_row,
                   Py_ssize_t sr, Py_ssize_t nr, char *o, Py_ssize_t so,
                   Py_ssize_t rows, Py_ssize_t itemsize) noexcept
# o[:n] = value (one element of kernel type t, apart from o) on threads_for's threads.
cdef void run_fill(char *o, Py_ssize_t n, const char *value, int t) noexcept
cdef void run_where(dc_where_fn f, const char *c, const char *x, const char *y, char *o,
                    Py_ssize_t itemsize, Py_ssize_t n) noexcept

# True when writing output o (of shape[:nd]) element by element may change elements of
# operand a not yet read: their memory overlaps and a is not o's exact layout (broadcast
# to o's shape). A Python scalar (data == value) never overlaps.
cdef bint unsafe_overlap(const Operand *a, const Operand *o, int nd,
                         const Py_ssize_t *shape) noexcept
# The same for elements of any size (asize / osize bytes: complex operands).
cdef bint unsafe_overlap_sized(const Operand *a, Py_ssize_t asize, const Operand *o,
                               Py_ssize_t osize, int nd, const Py_ssize_t *shape) noexcept

# True when a and b have the same shape.
cdef bint same_shape(const Operand *a, const Operand *b) noexcept


# ---------------------------------------------------------------- N-d element-wise walks
# An element-wise call over any shape: the operands (inputs, then the output) broadcast to
# the result's shape, size-1 dimensions dropped and neighbouring dimensions merged where
# every operand's strides allow (as NumPy's iterator does), so `4*img[1:-1,1:-1]` on a
# (500, 500, 3) array walks 498 rows of 1494 elements, not 248004 rows of 3.
cdef enum:
    NDOPS = 4               # most operands of one call (where: condition, x, y, output)
    BLOCK = 512             # elements per cast block (cache-sized buffers on the stack)
    TINY_INNER = 8          # an innermost dimension shorter than this is swapped for the
                            # longest one when that is at least 4x longer

cdef struct NdIter:
    int nd                  # dimensions after coalescing (>= 1)
    int nop                 # operands, the output last
    Py_ssize_t size         # elements of the result
    char *data[NDOPS]
    Py_ssize_t shape[MAXDIMS]
    Py_ssize_t strides[NDOPS][MAXDIMS]

# What runs on one row of the walk.
cdef enum BodyKind:
    BODY_BINARY = 0         # dc_binary_fn (in0, in1 -> out)
    BODY_UNARY = 1          # dc_unary_fn (in0 -> out)
    BODY_NPY = 2            # a NumPy strided loop (nin inputs -> out)
    BODY_WHERE = 3          # dc_where_fn (condition, x, y -> out)
    BODY_CLIP = 4           # dc_clip_fn (in0, lo, hi -> out), lo/hi scalars

# How one input reaches the loop's type: `cast` (a kernel-table cast, may be NULL) then
# `widen` (WIDEN_*: real -> complex of the same precision, or complex64 -> complex128).
cdef enum:
    WIDEN_NONE = 0
    WIDEN_F8_C16 = 1
    WIDEN_F4_C8 = 2
    WIDEN_C8_C16 = 3

cdef struct Body:
    int kind
    int nin
    void *fn
    void *ctx               # NumPy loop context / auxdata (BODY_NPY)
    void *aux
    bint converts           # some input goes through cast/widen
    dc_unary_fn cast[NDOPS]
    int widen[NDOPS]
    Py_ssize_t cast_size[NDOPS]   # bytes of one element after `cast` (before widen)
    Py_ssize_t loop_size[NDOPS]   # bytes of one element of the loop's input type
    const char *lo          # BODY_CLIP bounds (one element of the loop type each)
    const char *hi

# Broadcast the operands' layouts (ops[k]: ndim, shape, strides; is_scalar broadcasts it
# everywhere) to `shape` (nd dimensions) and merge dimensions. False when an operand does
# not broadcast to the shape. `long_inner` False keeps the innermost dimension NumPy's
# iterator would (a kernel whose result depends on an operand's stride: power).
cdef bint nd_setup(NdIter *it, int nop, Operand **ops, int nd,
                   const Py_ssize_t *shape, bint long_inner=*) noexcept

# NumPy's order='K' layout of a new element-wise result of shape[:nd] from the inputs
# ops[:nin] (elements of itemsize[k] bytes): False when it is C order; else True, perm[:nd] holding the result's axes from
# the fastest-varying (smallest stride) to the slowest. `trivial`: no input needs a cast
# (a ufunc then takes NumPy's trivial loop when the array inputs share one shape and one
# contiguity, C or F, and the result keeps it); otherwise NumPy's iterator orders the axes
# by the inputs' absolute strides (stable insertion sort, C order where the inputs
# disagree or say nothing: broadcast and size-1 axes).
cdef bint keep_order(Operand **ops, const Py_ssize_t *itemsize, int nin, int nd,
                     const Py_ssize_t *shape, bint trivial, int *perm) noexcept

# Run body over the walk; threads (threads_for over the result's size and `threshold`)
# split the flattened iteration space, the GIL is released from NOGIL_MIN elements on.
cdef void nd_run(const NdIter *it, const Body *body, int threshold,
                 double weight=*) noexcept

# One conversion of n elements (stride s) into a contiguous buffer `dst` (see Body).
cdef void convert_into(dc_unary_fn cast, int widen, Py_ssize_t cast_size, const char *src,
                       Py_ssize_t s, char *dst, Py_ssize_t n) noexcept nogil

# Floating-point errors, reported as NumPy reports its loops' (np.geterr / np.errstate):
# an entry point calls fp_clear() before its kernels run and fp_check(name) after, with
# the GIL; `name` (a str or a ufunc) ends the message ("divide by zero encountered in
# divide"). The threaded drivers collect their workers' flags into the calling thread.
cdef extern from "dc_fpe.h" nogil:
    int dc_fpe_test()
    void dc_fpe_clear()
    void dc_fpe_raise(int flags)

cdef int fp_report(int status, object name) except -1
# The flags of `status` NumPy's error state does not ignore (np.geterr()).
cdef int fp_heeded(int status) except -1

cdef inline void fp_clear() noexcept nogil:
    dc_fpe_clear()

cdef inline int fp_check(object name) except -1:
    cdef int status = dc_fpe_test()
    if status:
        return fp_report(status, name)
    return 0
# Whether a contiguous row of n integers of kernel type t, all in lo..lo+range-1 (lo as
# its 64 bits, two's complement when negative), holds a value twice (a bitmap of range
# bits): 1, 0, -1 when it could not (type, memory).
cdef int run_hasdup(const char *data, Py_ssize_t n, int t, unsigned long long lo,
                    unsigned long long range) noexcept

# np.nonzero of a C-contiguous bool array in two calls: run_nonzero_count fills x (parts
# spans of the flat positions, their counts) and returns the total; run_nonzero_fill then
# writes coordinate d of entry j at out[j * ks + d * ds] (int64). The array must not
# change between them.
cdef struct NonzeroRun:
    const unsigned char *m
    int nd
    Py_ssize_t *shape
    Py_ssize_t n
    int parts
    Py_ssize_t counts[DC_MAX_CHUNKS]
    Py_ssize_t starts[DC_MAX_CHUNKS]
    long long *out
    Py_ssize_t ks
    Py_ssize_t ds

# The threads (spans) the thread policy gives a nonzero of n positions now.
cdef int nonzero_parts(Py_ssize_t n) noexcept
cdef Py_ssize_t run_nonzero_count(NonzeroRun *x, const char *m, int nd,
                                  Py_ssize_t *shape, Py_ssize_t n, int parts) noexcept
cdef void run_nonzero_fill(NonzeroRun *x, char *out, Py_ssize_t ks,
                           Py_ssize_t ds) noexcept

# NumPy's own sort / argsort loop of a dtype (its ArrFuncs.sort[kind], .argsort[kind]):
# rows of a C-contiguous block run through it on the thread policy's threads, each row
# as NumPy's sort runs it (the GIL released, `arr` passed through), so NumPy's results.
ctypedef int (*np_sort_fn)(void *, Py_ssize_t, void *) noexcept nogil
ctypedef int (*np_argsort_fn)(void *, Py_ssize_t *, Py_ssize_t, void *) noexcept nogil
# rows of n elements of isz bytes at data sorted in place (sort), or their orders written
# as rows of intp at idx (argsort; data unchanged); False when a row's loop failed (its
# memory): the caller runs NumPy's code.
cdef bint run_numpy_rows(np_sort_fn sort, np_argsort_fn argsort, char *data, char *idx,
                         Py_ssize_t rows, Py_ssize_t n, Py_ssize_t isz,
                         void *arr) noexcept
# o[:n] = a[:n] with NaN as +0.0, m[:n] = 1 where a is not NaN (contiguous, float type t;
# the nan-functions' copy) on the thread policy's threads; False for another type.
cdef bint run_nan_zero(const char *a, char *o, char *m, Py_ssize_t n, int t) noexcept
cdef bint run_correlate(const char *a, Py_ssize_t na, const char *w, Py_ssize_t nw,
                        Py_ssize_t left, char *o, Py_ssize_t nout, int t) noexcept
