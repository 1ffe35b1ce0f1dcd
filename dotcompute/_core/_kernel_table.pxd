# cython: language_level=3
# Cython view of the C kernel table (src/dc_kernel_table.h.tp, rendered by setup.py): the
# one declaration that the per-ISA kernel modules (which fill it), the array layer and the
# fused evaluator (which call through it) share. Array extents are declared as [1]: the C
# compiler sees the real header, Cython only needs the names.

from libc.stdint cimport int64_t

cdef extern from "dc_kernel_table.h" nogil:
    ctypedef void (*dc_binary_fn)(const char *a, Py_ssize_t sa, const char *b, Py_ssize_t sb,
                                  char *o, Py_ssize_t so, Py_ssize_t n) noexcept nogil
    ctypedef void (*dc_unary_fn)(const char *a, Py_ssize_t sa, char *o, Py_ssize_t so,
                                 Py_ssize_t n) noexcept nogil
    ctypedef void (*dc_ternary_fn)(const char *a, Py_ssize_t sa, const char *b,
                                   Py_ssize_t sb, const char *c, Py_ssize_t sc, char *o,
                                   Py_ssize_t so, Py_ssize_t n) noexcept nogil
    ctypedef void (*dc_reduce_fn)(const char *a, Py_ssize_t sa, Py_ssize_t n,
                                  Py_ssize_t start, char *partial) noexcept nogil
    ctypedef void (*dc_combine_fn)(const char *partials, int k, char *out) noexcept nogil
    ctypedef void (*dc_dot_fn)(const char *a, Py_ssize_t sa, const char *b, Py_ssize_t sb,
                               Py_ssize_t n, Py_ssize_t start, char *partial) noexcept nogil
    ctypedef void (*dc_where_fn)(const char *c, Py_ssize_t sc, const char *x, Py_ssize_t sx,
                                 const char *y, Py_ssize_t sy, char *o, Py_ssize_t so,
                                 Py_ssize_t n) noexcept nogil
    ctypedef void (*dc_clip_fn)(const char *a, Py_ssize_t sa, const char *lo,
                                const char *hi, char *o, Py_ssize_t so,
                                Py_ssize_t n) noexcept nogil
    ctypedef void (*dc_scan_fn)(const char *a, Py_ssize_t sa, Py_ssize_t ia, char *o,
                                Py_ssize_t so, Py_ssize_t io, Py_ssize_t n,
                                Py_ssize_t m) noexcept nogil
    ctypedef int (*dc_npy_loop)(void *context, char *const *data, const Py_ssize_t *dims,
                                const Py_ssize_t *strides, void *auxdata) noexcept nogil
    ctypedef struct dc_stream_class:
        const void *fn
        int size, multi
        int explore
        int choice
        int n[2]
        double t[2][5]
        int64_t left, interval
        int64_t calls[2]
        int64_t decided[2]
    enum: DC_STREAM_AUTO
    enum: DC_STREAM_SIZES
    enum: DC_STREAM_SLOTS
    enum: DC_STREAM_SAMPLES
    ctypedef struct dc_kernel_table:
        const char *isa
        dc_binary_fn binary[1][1]
        int binary_threshold[1]
        dc_unary_fn unary[1][1]
        int unary_threshold[1]
        dc_unary_fn cast[1][1]
        dc_reduce_fn reduce[1][1]
        dc_combine_fn combine[1][1]
        dc_reduce_fn sum_far[1]
        Py_ssize_t *sum_far_bytes
        dc_reduce_fn nansum[1]
        dc_reduce_fn nansum_far[1]
        dc_combine_fn nansum_combine[1]
        void (*nan_zero[1])(const char *a, char *o, char *m, Py_ssize_t n) noexcept nogil
        void (*correlate[1])(const char *a, Py_ssize_t na, const char *w, Py_ssize_t nw,
                             Py_ssize_t left, char *o, Py_ssize_t lo,
                             Py_ssize_t hi) noexcept nogil
        dc_dot_fn dot[1]
        dc_where_fn where[1]
        dc_clip_fn clip[1]
        dc_scan_fn scan[1][1]
        dc_ternary_fn fused2[1][1][1]
        dc_ternary_fn fused2r[1][1][1]
        dc_ternary_fn fused2m[1][1]
        dc_ternary_fn fused2mr[1][1]
        int reduce_threshold
        Py_ssize_t stream_min_bytes
        Py_ssize_t stream_auto_min
        int can_stream
        int *prefetch
        void (*mask_fill)(char *, const char *, const char *, Py_ssize_t, int) noexcept nogil
        Py_ssize_t (*mask_copy)(char *, const char *, const char *, Py_ssize_t, int,
                                Py_ssize_t *, Py_ssize_t, int) noexcept nogil
        dc_stream_class stream_cls[256]
        void (*run_binary)(dc_binary_fn, int, const char *, Py_ssize_t, const char *,
                           Py_ssize_t, char *, Py_ssize_t, Py_ssize_t, int,
                           int) noexcept nogil
        void (*run_unary)(dc_unary_fn, int, const char *, Py_ssize_t, char *, Py_ssize_t,
                          Py_ssize_t, int, int) noexcept nogil
        void (*run_ternary)(dc_ternary_fn, const char *, Py_ssize_t, const char *,
                            Py_ssize_t, const char *, Py_ssize_t, char *, Py_ssize_t,
                            Py_ssize_t, int, int) noexcept nogil
        void (*run_ternary_split)(dc_ternary_fn, dc_binary_fn, dc_binary_fn, const char *,
                                  Py_ssize_t, const char *, Py_ssize_t, const char *,
                                  Py_ssize_t, char *, Py_ssize_t, Py_ssize_t, int,
                                  int *) noexcept nogil
        void (*run_reduce)(dc_reduce_fn, dc_combine_fn, const char *, Py_ssize_t,
                           Py_ssize_t, char *, int) noexcept nogil
        void (*run_dot)(dc_dot_fn, dc_combine_fn, const char *, Py_ssize_t, const char *,
                        Py_ssize_t, Py_ssize_t, char *, int) noexcept nogil
        void (*run_npy)(dc_npy_loop, void *, void *, int, int, char **,
                        const Py_ssize_t *, Py_ssize_t, int) noexcept nogil
        void *(*vm_hook_slot)(int, int) noexcept nogil
        void *(*vm_hook2_slot)(int, int) noexcept nogil
    enum: DC_PARTIAL_BYTES
    enum: DC_MAX_CHUNKS
    enum: DC_NTYPES
    enum: DC_NBINARY
    enum: DC_NUNARY
    enum: DC_NREDUCE
    enum: DC_NFUSE2
    enum: DC_NFUSE2_TYPES

# Balanced parallel regions (src/dc_balance.h): the kernels' 1-d drivers, the fused
# executor and the N-d walk hand out their chunks' blocks through these.
cdef extern from "dc_balance.h" nogil:
    enum: DC_BALANCE_PAD
    void dc_balance_init(Py_ssize_t *nxt, const Py_ssize_t *bounds, int k, Py_ssize_t blk)
    bint dc_balance_next(Py_ssize_t *nxt, const Py_ssize_t *bounds, int k, int visit,
                         int c, int *j, Py_ssize_t blk, Py_ssize_t *s, Py_ssize_t *e)


# Scratch buffers on the stack (C arrays, 16-byte aligned at most) used from the next
# 64-byte boundary on: a vector store into an unaligned one splits two cache lines (an
# operator chain's slots so aligned ran 1.2x faster on one thread). Declare 64 bytes more.
cdef inline char *dc_align64(char *p) noexcept nogil:
    return <char *>((<size_t>p + 63) & ~(<size_t>63))


# The drivers' parallel regions are `with parallel()` blocks, one chunk per thread of the
# team (threadid(), stepping by the team's size when OpenMP gave fewer threads), not
# prange: Cython makes a prange's loop variables firstprivate and lastprivate, and GCC
# then starts every worksharing loop with a team barrier (GOMP_barrier, with a futex wake
# by the last thread in): 0.6-0.8 us of each region on the 2-core VM, a third of what a
# region cost beyond its work. Each chunk keeps its floating-point flags in fls[chunk]:
cdef inline int dc_flags_of(const int *fls, int k) noexcept nogil:
    """The union of a region's k chunks' floating-point flags."""
    cdef int c, f = 0
    for c in range(k):
        f |= fls[c]
    return f
