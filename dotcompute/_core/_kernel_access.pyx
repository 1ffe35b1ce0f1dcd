# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The one way into the kernel table (see _kernel_access.pxd)."""
import sys
import warnings

import numpy as np

from cpython.pycapsule cimport PyCapsule_GetPointer
from libc.string cimport memset
from libc.stdlib cimport malloc, calloc, free
from cython.parallel cimport parallel, threadid
cimport openmp

from dotcompute._core._kernel_table cimport (dc_align64, dc_flags_of, dc_balance_init,
                                             dc_balance_next, DC_BALANCE_PAD)

from dotcompute._core._threads cimport (threads_for as _threads_for, threads_add_probe,
                                        threads_now, threads_observe,
                                        threads_for_size as _threads_for_size,
                                        threads_for_ew as _threads_for_ew,
                                        threads_time_serial, threads_note_serial,
                                        threads_for_red, threads_note_serial_red)
from dotcompute._core._dtypes cimport (type_size, DC_COST_CHEAP, DC_COST_EXPENSIVE, DC_T_F4,
                                       DC_T_F8, DC_T_I4, DC_T_I8, DC_T_U4, DC_T_U8,
                                       DC_T_I1, DC_T_I2, DC_T_U1, DC_T_U2, DC_T_B1)

from dotcompute._core import _dispatch
from dotcompute._core._opspec import (BINARY, UNARY, BINARY_INDEX, UNARY_INDEX, CHEAP,
                                      MEDIUM, SERIAL_THRESHOLD)

cdef dc_kernel_table *K = <dc_kernel_table *>PyCapsule_GetPointer(
    _dispatch.kernels.kernel_table(), b"dotcompute.kernels")

ISA = _dispatch.build

# Serial thresholds. The table's values (opspec.SERIAL_THRESHOLD of each operation's cost
# class) only name the class: the thread policy (_threads) maps each class to the chunk size
# derived from the fork/join, wake-up and per-element costs it measures in this process.
# It measures those costs on these kernels (the cheapest of a class decides).
cdef Py_ssize_t _cost_threshold[3]


def _register():
    cdef int cost, t
    for cost in range(DC_COST_EXPENSIVE + 1):
        _cost_threshold[cost] = SERIAL_THRESHOLD[cost]
    for name, cost in (("add", CHEAP), ("true_divide", MEDIUM)):
        for t, size in ((DC_T_F4, 4), (DC_T_F8, 8)):
            threads_add_probe(cost, 1, <void *>K.binary[BINARY_INDEX[name]][t], size)
    for name in ("sqrt", "exp", "sin"):
        for t, size in ((DC_T_F4, 4), (DC_T_F8, 8)):
            threads_add_probe(UNARY[UNARY_INDEX[name]][3], 0,
                              <void *>K.unary[UNARY_INDEX[name]][t], size)

_register()


def _cache_bytes(level=None):
    """Size of the largest cache of CPU 0 (sysfs; glibc's sysconf reports the whole chip's
    L3 on some VMs), or of its cache of that level; 0 when unknown."""
    import glob
    import os
    best = 0
    for d in glob.glob("/sys/devices/system/cpu/cpu0/cache/index*"):
        try:
            if level is not None:
                with open(os.path.join(d, "level")) as f:
                    if int(f.read()) != level:
                        continue
            with open(os.path.join(d, "size")) as f:
                text = f.read().strip().upper()
            mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
            best = max(best, int(text[:-1] if mult != 1 else text) * mult)
        except (OSError, ValueError):
            pass
    return best


def _last_level_cache_bytes():
    """Size of the last-level cache the CPUs of this process share, or 0 when unknown."""
    return _cache_bytes()


def sum_far_bytes():
    """Bytes from which a float64 sum reads its leaves one at a time (at import: the L2's
    size; see dc_reduce.h). Results do not depend on it."""
    return K.sum_far_bytes[0]


def set_sum_far_bytes(nbytes):
    """Set sum_far_bytes (> 0; measurements and tests); returns the previous value."""
    old = K.sum_far_bytes[0]
    K.sum_far_bytes[0] = _positive(nbytes, "sum_far_bytes")
    return old


def _positive(nbytes, name):
    nbytes = int(nbytes)
    if nbytes <= 0:
        raise ValueError(f"{name} must be > 0")
    return nbytes


def _parse_bytes(text):
    text = text.strip().upper()
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    return int(float(text[:-1] if mult != 1 else text) * mult)


def set_stream_min_bytes(nbytes):
    """Calls whose operands and dense result span at least `nbytes` write the result with
    non-temporal stores (0: never); "auto" (the default): calls of at least
    stream_auto_min() bytes (the last-level cache's size) stream theirs where measurement
    in this process finds it faster, per size class (stream_policy()). The environment
    variable DOTCOMPUTE_STREAM_MIN_BYTES sets it at import (a size, `4x` meaning 4x the
    last-level cache, 0, or auto). Returns the previous value.

    Measured rather than fixed: on the shared AMD EPYC VM of 2026-12-02 streamed results
    gained 1.3-1.5x for a + b at 1e6-2e6 float64 on one day and ran 1-6 % behind direct
    stores at 1e7 on another (other processes kept the memory busy); STREAM's triad gained
    1.5x from them at 256 MiB on a quiet machine (PERF.md)."""
    old = "auto" if K.stream_min_bytes == DC_STREAM_AUTO else K.stream_min_bytes
    if isinstance(nbytes, str) and nbytes.strip().lower() == "auto":
        K.stream_min_bytes = DC_STREAM_AUTO
        return old
    nbytes = int(nbytes)
    if nbytes < 0:
        raise ValueError("stream_min_bytes must be >= 0 or 'auto'")
    K.stream_min_bytes = nbytes
    return old


def stream_min_bytes():
    """The threshold in force: a size in bytes (0: never) or "auto"."""
    return "auto" if K.stream_min_bytes == DC_STREAM_AUTO else K.stream_min_bytes


def stream_supported():
    """Whether this kernel build writes results with non-temporal stores at all (the
    scalar build and non-x86 targets do not: every setting writes directly)."""
    return bool(K.can_stream)


def software_prefetch():
    """Whether the kernels' long min/max/arg-reductions and float comparisons prefetch in
    software (at import: on for Intel CPUs, off for others; dc_loops.h)."""
    return bool(K.prefetch[0])


def set_software_prefetch(flag):
    """Switch the kernels' software prefetch (results do not change, only speed); returns
    the previous setting. For measurements and tests."""
    old = bool(K.prefetch[0])
    K.prefetch[0] = 1 if flag else 0
    return old


def stream_auto_min():
    """Bytes (operands and result) from which "auto" measures whether to stream."""
    return K.stream_auto_min


def set_stream_auto_min(nbytes):
    """Bytes (operands and result) from which "auto" measures whether to stream (at
    import: the last-level cache's size). Returns the previous value."""
    old = K.stream_auto_min
    K.stream_auto_min = _positive(nbytes, "stream_auto_min")
    return old


def _loop_name(size_t fn):
    """`op[dtype]` of a kernel loop of this build, "cast[dtype->dtype]", or "numpy loop"."""
    from dotcompute._core._opspec import DTYPES
    cdef int i, t, u
    for i, op in enumerate(BINARY):
        for t in range(len(DTYPES)):
            if <size_t>K.binary[i][t] == fn:
                return f"{op[0]}[{DTYPES[t][0]}]"
    for i, op in enumerate(UNARY):
        for t in range(len(DTYPES)):
            if <size_t>K.unary[i][t] == fn:
                return f"{op[0]}[{DTYPES[t][0]}]"
    for t in range(len(DTYPES)):
        for u in range(len(DTYPES)):
            if <size_t>K.cast[t][u] == fn:
                return f"cast[{DTYPES[t][0]}->{DTYPES[u][0]}]"
    return "numpy loop"


def stream_policy():
    """The classes "auto" measured, one dict each: the loop, threads ("1" or ">1"), the
    smallest call of its size class in bytes, the choice ("direct" or "streamed";
    "measuring" during an exploration), calls run each way, explorations that chose each
    way, and calls between explorations."""
    cdef int j
    cdef dc_stream_class *cl
    rows = []
    for j in range(DC_STREAM_SLOTS):
        cl = &K.stream_cls[j]
        if cl.fn == NULL or cl.calls[0] + cl.calls[1] == 0:
            continue
        rows.append({"loop": _loop_name(<size_t>cl.fn), "threads": ">1" if cl.multi else "1",
                     "min_bytes": K.stream_auto_min << cl.size,
                     "choice": "measuring" if cl.explore else
                               ("streamed" if cl.choice else "direct"),
                     "calls_direct": cl.calls[0], "calls_streamed": cl.calls[1],
                     "chose_direct": cl.decided[0], "chose_streamed": cl.decided[1],
                     "interval": cl.interval})
    rows.sort(key=lambda r: (r["loop"], r["threads"], r["min_bytes"]))
    return rows


def reset_stream_policy():
    """Forget every measurement of "auto" (the next calls measure again)."""
    memset(K.stream_cls, 0, sizeof(K.stream_cls))


def _init_stream():
    import os
    l2 = _cache_bytes(2)
    if l2 > 0:
        K.sum_far_bytes[0] = l2
    llc = _last_level_cache_bytes()
    K.stream_auto_min = llc if llc > 0 else (8 << 20)
    K.stream_min_bytes = DC_STREAM_AUTO
    env = os.environ.get("DOTCOMPUTE_STREAM_MIN_BYTES", "").strip()
    if not env:
        return
    try:
        if env.lower() == "auto":
            set_stream_min_bytes("auto")
        elif env.lower().endswith("x"):
            set_stream_min_bytes(int(float(env[:-1]) * llc))
        else:
            set_stream_min_bytes(_parse_bytes(env))
    except ValueError:
        warnings.warn(f"ignoring DOTCOMPUTE_STREAM_MIN_BYTES={env!r}: not a size in bytes "
                      "(K/M/G suffixes), a multiple of the last-level cache (4x) or auto",
                      RuntimeWarning)

_init_stream()


cdef dc_kernel_table *kernel_table() noexcept nogil:
    return K


cdef int threads_for(Py_ssize_t n, Py_ssize_t threshold) noexcept nogil:
    return _threads_for(n, <int>(threshold if threshold < (1 << 30) else (1 << 30)))


cdef inline int threads_for_ew(Py_ssize_t n, Py_ssize_t threshold, Py_ssize_t itemsize) noexcept nogil:
    return _threads_for_ew(n, <int>(threshold if threshold < (1 << 30) else (1 << 30)),
                           <int>itemsize)


cdef int threads_for_size(Py_ssize_t n, Py_ssize_t threshold, Py_ssize_t itemsize) noexcept nogil:
    return _threads_for_size(n, <int>(threshold if threshold < (1 << 30) else (1 << 30)),
                             <int>(itemsize if itemsize < 64 else 64))


cdef inline Py_ssize_t _absz(Py_ssize_t v) noexcept nogil:
    return v if v >= 0 else -v


cdef inline Py_ssize_t _widest(Py_ssize_t a, Py_ssize_t b, Py_ssize_t c) noexcept nogil:
    """Bytes per element of a call with these strides (the largest; stride 0 is a
    scalar operand)."""
    return max(_absz(a), _absz(b), _absz(c))


cdef inline Py_ssize_t _by_bytes(Py_ssize_t n, Py_ssize_t threshold, Py_ssize_t nbytes,
                                 Py_ssize_t isz) noexcept nogil:
    """n as the thread policy counts a cheap (memory-bound) call's elements: by the bytes
    the call moves per element (nbytes; a scalar operand, stride 0, moves none) against
    the cheap class's probe, `a + b` on isz-byte elements (three streams). `a < 0.5` in
    float32 moves 5 bytes an element where the probe moves 12: one thread took 6.4 us at
    1e5 elements and `a + b` 12.5, but counted as an `a + b` the call threaded, and two
    threads took 7.8 (2-core Xeon VM). Never counts more than n (a fused pair's fourth
    stream is the callers' business)."""
    if threshold >= _cost_threshold[<int>DC_COST_CHEAP] and 0 < nbytes < 3 * isz:
        return n * nbytes // (3 * isz)
    return n


cdef Py_ssize_t cost_threshold(int cost) noexcept nogil:
    return _cost_threshold[cost]


def serial_threshold(int cost):
    """The serial threshold naming cost class `cost` (_opspec.CHEAP/MEDIUM/EXPENSIVE) to
    threads_for (the table's value for the class; _threads maps it to measured sizes)."""
    if cost < 0 or cost > DC_COST_EXPENSIVE:
        raise ValueError(f"unknown cost class {cost}")
    return _cost_threshold[cost]


def kernel_isa():
    """Name of the kernel build the table comes from."""
    return K.isa.decode()


cdef void run_unary(dc_unary_fn f, int threshold, const char *a, Py_ssize_t sa, char *o,
                    Py_ssize_t so, Py_ssize_t n, bint dense=False) noexcept:
    cdef int isz = <int>_widest(sa, 0, so)
    cdef Py_ssize_t nw = _by_bytes(n, threshold, _absz(sa) + _absz(so), isz)
    cdef int nt = threads_for_ew(nw, threshold, isz)
    cdef bint timed
    cdef double t0
    if n < NOGIL_MIN:
        K.run_unary(f, threshold, a, sa, o, so, n, nt, dense)
        return
    timed = nt == 1 and threads_time_serial(nw, threshold, isz)
    with nogil:
        t0 = threads_now() if timed else 0
        K.run_unary(f, threshold, a, sa, o, so, n, nt, dense)
        if timed:
            threads_note_serial(nw, threshold, isz, threads_now() - t0)


cdef void run_binary(dc_binary_fn f, int threshold, const char *a, Py_ssize_t sa,
                     const char *b, Py_ssize_t sb, char *o, Py_ssize_t so,
                     Py_ssize_t n, bint dense=False) noexcept:
    cdef int isz = <int>_widest(sa, sb, so)
    cdef Py_ssize_t nw = _by_bytes(n, threshold, _absz(sa) + _absz(sb) + _absz(so), isz)
    cdef int nt = threads_for_ew(nw, threshold, isz)
    cdef bint timed
    cdef double t0
    if n < NOGIL_MIN:
        K.run_binary(f, threshold, a, sa, b, sb, o, so, n, nt, dense)
        return
    timed = nt == 1 and threads_time_serial(nw, threshold, isz)
    with nogil:
        t0 = threads_now() if timed else 0
        K.run_binary(f, threshold, a, sa, b, sb, o, so, n, nt, dense)
        if timed:
            threads_note_serial(nw, threshold, isz, threads_now() - t0)


cdef inline int _ternary_threads(Py_ssize_t n, Py_ssize_t sa, Py_ssize_t sb, Py_ssize_t sc,
                                 Py_ssize_t so) noexcept:
    # four streams where a binary call has three: the policy sees a third more elements
    return threads_for_ew(n + n // 3, K.binary_threshold[0],
                          max(_widest(sa, sb, sc), _absz(so)))


cdef void run_ternary(dc_ternary_fn f, const char *a, Py_ssize_t sa, const char *b,
                      Py_ssize_t sb, const char *c, Py_ssize_t sc, char *o, Py_ssize_t so,
                      Py_ssize_t n, bint dense=False) noexcept:
    cdef int nt = _ternary_threads(n, sa, sb, sc, so)
    if n < NOGIL_MIN:
        K.run_ternary(f, a, sa, b, sb, c, sc, o, so, n, nt, dense)
    else:
        with nogil:
            K.run_ternary(f, a, sa, b, sb, c, sc, o, so, n, nt, dense)


cdef void run_ternary_split(dc_ternary_fn f, dc_binary_fn f1, dc_binary_fn f2,
                            const char *a, Py_ssize_t sa, const char *b, Py_ssize_t sb,
                            const char *c, Py_ssize_t sc, char *o, Py_ssize_t so,
                            Py_ssize_t n, int *flags) noexcept:
    cdef int nt = _ternary_threads(n, sa, sb, sc, so)
    if n < NOGIL_MIN:
        K.run_ternary_split(f, f1, f2, a, sa, b, sb, c, sc, o, so, n, nt, flags)
    else:
        with nogil:
            K.run_ternary_split(f, f1, f2, a, sa, b, sb, c, sc, o, so, n, nt, flags)


# Elements per block of a chain's pass (<= CH_BLK, the slots' capacity). 512, as evaluate's
# programs (_fused.BLK): a block's operands, slots and output then stay in L1 (48 KiB on the
# Xeon: `2*a + 3*b*b - c` in float64 touches 6 blocks of 4 KiB). With 2048 they spilled
# to L2: shuffled in-process A/B on 2 threads, float64, NumPy time / chain time at
# 1e4 / 1e5 / 3e5 / 1e6: 4.09 / 5.37 / 5.20 / 6.54 at 512 against 3.05 / 3.32 / 4.15 /
# 5.92 at 2048 (evaluate 4.48 / 5.02 / 5.35 / 4.66); float32 level within noise.
cdef Py_ssize_t _ch_blk = 512


def set_chain_block(Py_ssize_t n):
    """Elements per block of an operator chain's pass (a multiple of 64 up to CH_BLK; A/B
    measurements); returns the previous value."""
    global _ch_blk
    old = _ch_blk
    if n < 64 or n > CH_BLK or n % 64:
        raise ValueError(f"chain block must be a multiple of 64 in [64, {CH_BLK}]")
    _ch_blk = n
    return old


cdef inline const char *_chain_arg(const ChainArg *g, double *slots, double *conv,
                                   Py_ssize_t j, Py_ssize_t m, Py_ssize_t *stride,
                                   Py_ssize_t blk) noexcept nogil:
    """Where an operand's block starting at element j is (its stride in *stride): an
    array's elements, a scalar, a slot, or those widened into conv."""
    cdef const char *p
    if g.slot >= 0:
        p = <const char *>(slots + g.slot * blk)
    else:
        p = g.base + j * g.stride
    stride[0] = g.stride
    if g.cast != NULL:
        g.cast(p, g.stride, <char *>conv, 8, m)
        p = <const char *>conv
        stride[0] = 8
    return p


cdef void _chain_range(const Chain *ch, Py_ssize_t s, Py_ssize_t e) noexcept nogil:
    """Elements s..e-1 of the chain, block by block (slots and casts on this stack, on a
    64-byte boundary: dc_align64)."""
    cdef double raw_slots[CH_SLOTS * CH_BLK + 8]
    cdef double raw_conv[3 * CH_BLK + 8]
    cdef double *slots = <double *>dc_align64(<char *>raw_slots)
    cdef double *conv = <double *>dc_align64(<char *>raw_conv)
    cdef Py_ssize_t j, m
    cdef int k
    cdef const ChainOp *op
    cdef const char *pa
    cdef const char *pb
    cdef const char *pc = NULL
    cdef char *po
    cdef Py_ssize_t sa, sb, sc = 0
    cdef Py_ssize_t blk = _ch_blk
    if ch.loop != NULL:
        ch.loop(<const void **>ch.args, ch.out, s, e)
        return
    j = s
    while j < e:
        m = e - j if e - j < blk else blk
        for k in range(ch.n):
            op = &ch.op[k]
            pa = _chain_arg(&op.a, slots, conv, j, m, &sa, blk)
            pb = _chain_arg(&op.b, slots, conv + blk, j, m, &sb, blk)
            if op.fn3 != NULL:
                pc = _chain_arg(&op.c, slots, conv + 2 * blk, j, m, &sc, blk)
            if op.dst >= 0:
                po = <char *>(slots + op.dst * blk)
            else:
                po = ch.out + j * ch.osz
            if op.fn3 != NULL:
                op.fn3(pa, sa, pb, sb, pc, sc, po, op.isz, m)
            else:
                op.fn(pa, sa, pb, sb, po, op.isz, m)
        j += m


cdef Py_ssize_t _chain_blocks = 16    # blocks per thread's chunk (whole blocks, at least one)


def set_chain_blocks(Py_ssize_t m):
    """Balancing blocks per thread's chunk of a chain's pass (A/B measurements); returns
    the previous value."""
    global _chain_blocks
    old = _chain_blocks
    if m < 1:
        raise ValueError("chain blocks per chunk must be at least 1")
    _chain_blocks = m
    return old


cdef void run_chain(const Chain *ch, Py_ssize_t n) noexcept:
    """The chain over n elements on the thread policy's threads (as a call streaming
    `streams` arrays), its floating-point flags collected into the calling thread."""
    cdef Py_ssize_t nw = n * ch.streams // 3
    cdef int nt = threads_for_ew(nw, K.binary_threshold[0], ch.osz)
    cdef int c, j
    cdef int fls[DC_MAX_CHUNKS]      # each chunk's floating-point flags
    cdef Py_ssize_t s, e, step, blk
    cdef Py_ssize_t nxt[DC_MAX_CHUNKS * DC_BALANCE_PAD]
    cdef Py_ssize_t bounds[DC_MAX_CHUNKS + 1]
    cdef double st[2 * DC_MAX_CHUNKS]
    cdef bint timed
    cdef double t0
    if nt > DC_MAX_CHUNKS:
        nt = DC_MAX_CHUNKS
    if nt <= 1:
        if n < NOGIL_MIN:
            _chain_range(ch, 0, n)
            return
        timed = threads_time_serial(nw, K.binary_threshold[0], ch.osz)
        with nogil:
            t0 = threads_now() if timed else 0
            _chain_range(ch, 0, n)
            if timed:
                threads_note_serial(nw, K.binary_threshold[0], ch.osz, threads_now() - t0)
        return
    # balanced as the N-d walk (_walk_threads): each thread's chunk in blocks of whole
    # chain blocks, the blocks left in the others taken by a thread done with its own
    step = ((n + nt - 1) // nt + 63) // 64 * 64
    blk = (step // _chain_blocks + _ch_blk - 1) // _ch_blk * _ch_blk
    for c in range(nt + 1):
        bounds[c] = step * c if step * c < n else n
    dc_balance_init(nxt, bounds, nt, blk)
    with nogil:
        t0 = threads_now()
        with parallel(num_threads=nt):
            c = threadid()
            while c < nt:          # one chunk a thread (more when the team is smaller)
                st[2 * c] = threads_now()
                dc_fpe_clear()
                j = -1
                s = e = 0                      # private: dc_balance_next writes them
                while dc_balance_next(nxt, bounds, nt, nt, c, &j, blk, &s, &e):
                    _chain_range(ch, s, e)
                fls[c] = dc_fpe_test()
                st[2 * c + 1] = threads_now()
                c = c + openmp.omp_get_num_threads()
        dc_fpe_raise(dc_flags_of(fls, nt))
        threads_observe(nt, t0, threads_now(), st)

# ------------------------------------------------- static spans (selection, sort, search)
#
# The drivers below cut their work (rows, keys, values) into nt equal spans, span c on a
# thread of its own (run_tasks, one task a span); those that count (histogram, bincount)
# add into private zeroed counters per span, summed after.

ctypedef void (*_span_fn)(void *ctx, Py_ssize_t s, Py_ssize_t e, int c) noexcept nogil


cdef struct _Spans:
    _span_fn f
    void *ctx
    Py_ssize_t n
    int parts


cdef void _span_task(void *p, Py_ssize_t k, int thread) noexcept nogil:
    cdef _Spans *S = <_Spans *>p
    S.f(S.ctx, S.n * k // S.parts, S.n * (k + 1) // S.parts, <int>k)


cdef void _spans(_span_fn f, void *ctx, Py_ssize_t n, int nt) noexcept nogil:
    """f(ctx, s, e, c) over [0, n) in nt equal spans (at most DC_MAX_CHUNKS), span c the
    task c of run_tasks (a thread each; nt <= 1: one call on this thread)."""
    cdef _Spans S
    if nt > DC_MAX_CHUNKS:
        nt = DC_MAX_CHUNKS
    if nt < 1:
        nt = 1
    S.f, S.ctx, S.n, S.parts = f, ctx, n, nt
    run_tasks(_span_task, &S, nt, nt)


cdef struct _Counts:
    long long *out          # the result's L counters
    long long *part         # nt rows of L private counters, or NULL (one span: out)
    Py_ssize_t L


cdef inline long long *_counters(_Counts *k, int c) noexcept nogil:
    return k.part + c * k.L if k.part != NULL else k.out


cdef bint _counted_spans(_span_fn f, void *ctx, _Counts *k, Py_ssize_t n,
                         int nt) noexcept nogil:
    """_spans for a span function that adds into _counters(k, c); False (nothing counted)
    when the private counters could not be had."""
    cdef int c
    cdef Py_ssize_t b
    if nt > DC_MAX_CHUNKS:
        nt = DC_MAX_CHUNKS
    k.part = NULL
    if nt > 1:
        k.part = <long long *>calloc(nt * k.L, sizeof(long long))
        if k.part == NULL:
            return False
    _spans(f, ctx, n, nt)
    if k.part != NULL:
        for c in range(nt):
            for b in range(k.L):
                k.out[b] += k.part[c * k.L + b]
        free(k.part)
        k.part = NULL
    return True


cdef extern from "dc_select.h" nogil:
    void dc_select_f8(double *a, Py_ssize_t n, Py_ssize_t k)
    void dc_select_f4(float *a, Py_ssize_t n, Py_ssize_t k)


# A selection's element costs the policy this many of the cheap probe's: a float64 row of
# 4000 selected in ~14 us on one thread (AMD EPYC, 3.5 ns an element, NaN scan included)
# against ~0.25 ns an element for the probe's add.
DEF SELECT_WEIGHT = 12


cdef struct _SelectCtx:
    char *data
    Py_ssize_t n, row_stride, k
    bint f8


cdef void _select_span(void *p, Py_ssize_t r0, Py_ssize_t r1, int c) noexcept nogil:
    cdef _SelectCtx *x = <_SelectCtx *>p
    cdef Py_ssize_t r
    for r in range(r0, r1):
        if x.f8:
            dc_select_f8(<double *>(x.data + r * x.row_stride), x.n, x.k)
        else:
            dc_select_f4(<float *>(x.data + r * x.row_stride), x.n, x.k)


cdef void run_select(char *data, Py_ssize_t rows, Py_ssize_t n, Py_ssize_t row_stride,
                     Py_ssize_t k, bint f8) noexcept:
    cdef int nt = 1
    cdef _SelectCtx x
    if rows <= 0 or n <= 0:
        return
    if rows >= 2:
        nt = threads_for_ew(rows * n * SELECT_WEIGHT, K.binary_threshold[0], 8)
    if nt > rows:
        nt = <int>rows
    x.data, x.n, x.row_stride, x.k, x.f8 = data, n, row_stride, k, f8
    with nogil:
        _spans(_select_span, &x, rows, nt)


cdef extern from "dc_sort.h" nogil:
    void dc_sort_f8(void *a, Py_ssize_t n, void *tmp, int nt, double *stamps)
    void dc_sort_f4(void *a, Py_ssize_t n, void *tmp, int nt, double *stamps)
    void dc_sort_i8(void *a, Py_ssize_t n, void *tmp, int nt, double *stamps)
    void dc_sort_i4(void *a, Py_ssize_t n, void *tmp, int nt, double *stamps)
    void dc_sort_u8(void *a, Py_ssize_t n, void *tmp, int nt, double *stamps)
    void dc_sort_u4(void *a, Py_ssize_t n, void *tmp, int nt, double *stamps)

ctypedef void (*dc_sort_fn)(void *, Py_ssize_t, void *, int, double *) noexcept nogil
cdef dc_sort_fn _sort_fns[32]          # by kernel type; NULL: no sort here

# A sorted element costs the policy this many of the cheap probe's per key byte: 1e6
# float64 (8 passes) sorted in ~13 ms on one thread (AMD EPYC), 1.6 ns an element and
# byte, against ~0.25 ns an element for the probe's add.
DEF SORT_WEIGHT = 6
# One row's passes are shared by the threads only from this many bytes: each pass costs
# three barriers, and the row's lines move between the cores' caches at every scatter.
# On the AMD EPYC a float64 row of 4096 took 86 us on two threads against 63 on one,
# float32 rows of 16384 124 against 108; from 128 KiB two threads won (float64 16384:
# 185 against 217 us, float32 32768: 140 against 201).
DEF SORT_THREAD_BYTES = 131072


cdef struct _SortCtx:
    dc_sort_fn f
    char *data
    Py_ssize_t n
    int isz
    int failed              # a span found no scratch memory (its rows left unsorted)


cdef void _sort_span(void *p, Py_ssize_t r0, Py_ssize_t r1, int c) noexcept nogil:
    """Rows r0..r1-1, each sorted on this thread through one scratch row."""
    cdef _SortCtx *x = <_SortCtx *>p
    cdef Py_ssize_t r
    cdef char *tmp = <char *>malloc(x.n * x.isz)
    if tmp == NULL:
        x.failed = 1
        return
    for r in range(r0, r1):
        x.f(x.data + r * x.n * x.isz, x.n, tmp, 1, NULL)
    free(tmp)


cdef bint run_sort(char *data, Py_ssize_t rows, Py_ssize_t n, int t) noexcept:
    cdef int nt
    cdef char *tmp
    cdef double st[2 * DC_MAX_CHUNKS]
    cdef double t0
    cdef _SortCtx x
    if t < 0 or t >= 32 or _sort_fns[t] == NULL:
        return False
    x.f, x.data, x.n, x.isz, x.failed = _sort_fns[t], data, n, <int>type_size(t), 0
    if rows <= 0 or n < 2:
        return True
    nt = threads_for_ew(rows * n * x.isz * SORT_WEIGHT, K.binary_threshold[0], x.isz)
    if nt > DC_MAX_CHUNKS:
        nt = DC_MAX_CHUNKS
    if rows > 1:                # whole rows a thread
        if nt > rows:
            nt = <int>rows
        with nogil:
            _spans(_sort_span, &x, rows, nt)
        return not x.failed     # False: the caller sorts them all again
    if n * x.isz < SORT_THREAD_BYTES:
        nt = 1
    tmp = <char *>malloc(n * x.isz)
    if tmp == NULL:
        return False
    with nogil:                 # one row: its passes shared by the threads (dc_sort.h)
        t0 = threads_now()
        x.f(data, n, tmp, nt, st if nt > 1 else NULL)
        if nt > 1:
            threads_observe(nt, t0, threads_now(), st)
    free(tmp)
    return True


cdef extern from "dc_sort.h" nogil:
    int dc_argsort_f8(const void *a, Py_ssize_t n, void *out, int nt, double *stamps,
                      int *ties)
    int dc_argsort_f4(const void *a, Py_ssize_t n, void *out, int nt, double *stamps,
                      int *ties)
    int dc_argsort_i8(const void *a, Py_ssize_t n, void *out, int nt, double *stamps,
                      int *ties)
    int dc_argsort_i4(const void *a, Py_ssize_t n, void *out, int nt, double *stamps,
                      int *ties)
    int dc_argsort_u8(const void *a, Py_ssize_t n, void *out, int nt, double *stamps,
                      int *ties)
    int dc_argsort_u4(const void *a, Py_ssize_t n, void *out, int nt, double *stamps,
                      int *ties)

ctypedef int (*dc_argsort_fn)(const void *, Py_ssize_t, void *, int, double *,
                              int *) noexcept nogil
cdef dc_argsort_fn _argsort_fns[32]    # by kernel type; NULL: no argsort here

# An argsorted element moves its 8-byte index with its key at every pass: ~1.5 times a
# sorted one's work.
DEF ARGSORT_WEIGHT = 9


cdef struct _ArgsortCtx:
    dc_argsort_fn f
    const char *data
    char *out
    Py_ssize_t n
    int isz
    int failed[DC_MAX_CHUNKS]   # by span: no scratch memory (its rows not ordered)
    int ties[DC_MAX_CHUNKS]     # by span: equal values found


cdef void _argsort_span(void *p, Py_ssize_t r0, Py_ssize_t r1, int c) noexcept nogil:
    """Rows r0..r1-1, each ordered on this thread."""
    cdef _ArgsortCtx *x = <_ArgsortCtx *>p
    cdef Py_ssize_t r
    cdef int tie = 0
    for r in range(r0, r1):
        if x.f(x.data + r * x.n * x.isz, x.n, x.out + r * x.n * 8, 1, NULL, &tie) < 0:
            x.failed[c] = 1
            return
        x.ties[c] |= tie


cdef int run_argsort(const char *data, Py_ssize_t rows, Py_ssize_t n, int t,
                     char *out) noexcept:
    cdef int nt, c, tie = 0, r
    cdef double st[2 * DC_MAX_CHUNKS]
    cdef double t0
    cdef _ArgsortCtx x
    if t < 0 or t >= 32 or _argsort_fns[t] == NULL:
        return -1
    if rows <= 0 or n <= 0:
        return 0
    x.f, x.data, x.out, x.n, x.isz = _argsort_fns[t], data, out, n, <int>type_size(t)
    nt = threads_for_ew(rows * n * x.isz * ARGSORT_WEIGHT, K.binary_threshold[0], x.isz)
    if nt > DC_MAX_CHUNKS:
        nt = DC_MAX_CHUNKS
    if rows > 1:                # whole rows a thread
        if nt > rows:
            nt = <int>rows
        for c in range(DC_MAX_CHUNKS):
            x.failed[c] = 0
            x.ties[c] = 0
        with nogil:
            _spans(_argsort_span, &x, rows, nt)
        for c in range(DC_MAX_CHUNKS):
            if x.failed[c]:
                return -1
            tie |= x.ties[c]
        return 1 if tie else 0
    if n * x.isz < SORT_THREAD_BYTES:
        nt = 1
    with nogil:                 # one row: its passes shared by the threads (dc_sort.h)
        t0 = threads_now()
        r = x.f(data, n, out, nt, st if nt > 1 else NULL, &tie)
        if nt > 1 and r == 0:
            threads_observe(nt, t0, threads_now(), st)
    if r < 0:
        return -1
    return 1 if tie else 0


cdef extern from "dc_sort.h" nogil:
    int dc_hasdup_i8(const void *a, Py_ssize_t n, unsigned long long lo, unsigned long long range)
    int dc_hasdup_i4(const void *a, Py_ssize_t n, unsigned long long lo, unsigned long long range)
    int dc_hasdup_u8(const void *a, Py_ssize_t n, unsigned long long lo, unsigned long long range)
    int dc_hasdup_u4(const void *a, Py_ssize_t n, unsigned long long lo, unsigned long long range)


cdef int run_hasdup(const char *data, Py_ssize_t n, int t, unsigned long long lo,
                    unsigned long long range) noexcept:
    cdef int r = -1
    with nogil:
        if t == DC_T_I8:
            r = dc_hasdup_i8(data, n, lo, range)
        elif t == DC_T_I4:
            r = dc_hasdup_i4(data, n, lo, range)
        elif t == DC_T_U8:
            r = dc_hasdup_u8(data, n, lo, range)
        elif t == DC_T_U4:
            r = dc_hasdup_u4(data, n, lo, range)
    return r


cdef extern from "dc_nonzero.h" nogil:
    Py_ssize_t dc_nonzero_count(const unsigned char *m, Py_ssize_t s, Py_ssize_t e)
    void dc_nonzero_fill(const unsigned char *m, int nd, const Py_ssize_t *shape,
                         Py_ssize_t s, Py_ssize_t e, long long *out, Py_ssize_t ks,
                         Py_ssize_t ds, Py_ssize_t k, Py_ssize_t kend)

# A position's coordinates cost the policy this many of the cheap probe's elements (the
# fill's stores and its carry), the count one.
DEF NONZERO_WEIGHT = 4


cdef void _nonzero_count_span(void *p, Py_ssize_t s, Py_ssize_t e, int c) noexcept nogil:
    cdef NonzeroRun *x = <NonzeroRun *>p
    x.counts[c] = dc_nonzero_count(x.m, s, e)


cdef void _nonzero_fill_span(void *p, Py_ssize_t s, Py_ssize_t e, int c) noexcept nogil:
    cdef NonzeroRun *x = <NonzeroRun *>p
    dc_nonzero_fill(x.m, x.nd, x.shape, s, e, x.out, x.ks, x.ds, x.starts[c],
                    x.starts[c] + x.counts[c])


cdef int nonzero_parts(Py_ssize_t n) noexcept:
    return threads_for_ew(n * NONZERO_WEIGHT, K.binary_threshold[0], 1)


cdef Py_ssize_t run_nonzero_count(NonzeroRun *x, const char *m, int nd,
                                  Py_ssize_t *shape, Py_ssize_t n, int parts) noexcept:
    cdef int c
    cdef Py_ssize_t total = 0
    x.m, x.nd, x.shape, x.n = <const unsigned char *>m, nd, shape, n
    x.parts = parts if parts <= DC_MAX_CHUNKS else DC_MAX_CHUNKS
    if x.parts < 1:
        x.parts = 1
    with nogil:
        _spans(_nonzero_count_span, x, n, x.parts)
    for c in range(x.parts):
        x.starts[c] = total
        total += x.counts[c]
    return total


cdef void run_nonzero_fill(NonzeroRun *x, char *out, Py_ssize_t ks,
                           Py_ssize_t ds) noexcept:
    x.out, x.ks, x.ds = <long long *>out, ks, ds
    with nogil:
        _spans(_nonzero_fill_span, x, x.n, x.parts)


cdef struct _NumpyRows:
    np_sort_fn sort
    np_argsort_fn argsort
    char *data
    char *idx
    Py_ssize_t n
    Py_ssize_t isz
    void *arr
    int failed[DC_MAX_CHUNKS]     # by span: a row's loop failed (its memory)


cdef void _numpy_rows_span(void *p, Py_ssize_t r0, Py_ssize_t r1, int c) noexcept nogil:
    """Rows r0..r1-1 through NumPy's loop, on this thread."""
    cdef _NumpyRows *x = <_NumpyRows *>p
    cdef Py_ssize_t r, i
    cdef Py_ssize_t *ix
    for r in range(r0, r1):
        if x.sort != NULL:
            if x.sort(x.data + r * x.n * x.isz, x.n, x.arr) < 0:
                x.failed[c] = 1
                return
        else:
            ix = <Py_ssize_t *>(x.idx + r * x.n * sizeof(Py_ssize_t))
            for i in range(x.n):
                ix[i] = i
            if x.argsort(x.data + r * x.n * x.isz, ix, x.n, x.arr) < 0:
                x.failed[c] = 1
                return


cdef bint run_numpy_rows(np_sort_fn sort, np_argsort_fn argsort, char *data, char *idx,
                         Py_ssize_t rows, Py_ssize_t n, Py_ssize_t isz,
                         void *arr) noexcept:
    cdef _NumpyRows x
    cdef int c, nt
    if rows <= 0 or n <= 0:
        return True
    x.sort, x.argsort, x.data, x.idx = sort, argsort, data, idx
    x.n, x.isz, x.arr = n, isz, arr
    nt = threads_for_ew(rows * n * isz * SORT_WEIGHT, K.binary_threshold[0], <int>isz)
    if nt > rows:
        nt = <int>rows
    for c in range(DC_MAX_CHUNKS):
        x.failed[c] = 0
    with nogil:
        _spans(_numpy_rows_span, &x, rows, nt)
    for c in range(DC_MAX_CHUNKS):
        if x.failed[c]:
            return False
    return True


cdef extern from "dc_search.h" nogil:
    void dc_search_f8(const void *a, Py_ssize_t n, const void *k, Py_ssize_t m, void *o, int r)
    void dc_search_f4(const void *a, Py_ssize_t n, const void *k, Py_ssize_t m, void *o, int r)
    void dc_search_i8(const void *a, Py_ssize_t n, const void *k, Py_ssize_t m, void *o, int r)
    void dc_search_i4(const void *a, Py_ssize_t n, const void *k, Py_ssize_t m, void *o, int r)
    void dc_search_u8(const void *a, Py_ssize_t n, const void *k, Py_ssize_t m, void *o, int r)
    void dc_search_u4(const void *a, Py_ssize_t n, const void *k, Py_ssize_t m, void *o, int r)

ctypedef void (*dc_search_fn)(const void *, Py_ssize_t, const void *, Py_ssize_t, void *,
                              int) noexcept nogil
cdef dc_search_fn _search_fns[32]      # by kernel type; NULL: no search here
memset(_sort_fns, 0, sizeof(_sort_fns))
memset(_search_fns, 0, sizeof(_search_fns))
memset(_argsort_fns, 0, sizeof(_argsort_fns))
_argsort_fns[<int>DC_T_F8], _argsort_fns[<int>DC_T_F4] = dc_argsort_f8, dc_argsort_f4
_argsort_fns[<int>DC_T_I8], _argsort_fns[<int>DC_T_I4] = dc_argsort_i8, dc_argsort_i4
_argsort_fns[<int>DC_T_U8], _argsort_fns[<int>DC_T_U4] = dc_argsort_u8, dc_argsort_u4
_sort_fns[<int>DC_T_F8], _search_fns[<int>DC_T_F8] = dc_sort_f8, dc_search_f8
_sort_fns[<int>DC_T_F4], _search_fns[<int>DC_T_F4] = dc_sort_f4, dc_search_f4
_sort_fns[<int>DC_T_I8], _search_fns[<int>DC_T_I8] = dc_sort_i8, dc_search_i8
_sort_fns[<int>DC_T_I4], _search_fns[<int>DC_T_I4] = dc_sort_i4, dc_search_i4
_sort_fns[<int>DC_T_U8], _search_fns[<int>DC_T_U8] = dc_sort_u8, dc_search_u8
_sort_fns[<int>DC_T_U4], _search_fns[<int>DC_T_U4] = dc_sort_u4, dc_search_u4


cdef inline int _halvings(Py_ssize_t n) noexcept nogil:
    """The steps of a binary search of n points, plus one."""
    cdef int steps = 1
    while n > 0:
        steps += 1
        n >>= 1
    return steps


cdef struct _SearchCtx:
    dc_search_fn f
    const char *a
    const char *keys
    char *out
    Py_ssize_t n
    int isz
    bint right


cdef void _search_span(void *p, Py_ssize_t s, Py_ssize_t e, int c) noexcept nogil:
    cdef _SearchCtx *x = <_SearchCtx *>p
    x.f(x.a, x.n, x.keys + s * x.isz, e - s, x.out + s * 8, x.right)


cdef bint run_search(const char *a, Py_ssize_t n, const char *keys, Py_ssize_t m,
                     char *out, int t, bint right) noexcept:
    cdef _SearchCtx x
    cdef int nt
    if t < 0 or t >= 32 or _search_fns[t] == NULL:
        return False
    if m <= 0:
        return True
    x.f, x.a, x.keys, x.out, x.n, x.isz, x.right = (_search_fns[t], a, keys, out, n,
                                                    <int>type_size(t), right)
    # a key costs a probe, ~2 cheap elements' worth, per halving
    nt = threads_for_ew(m * 2 * _halvings(n), K.binary_threshold[0], 8)
    with nogil:
        _spans(_search_span, &x, m, nt)
    return True


cdef struct _NanZeroCtx:
    void (*f)(const char *a, char *o, char *m, Py_ssize_t n) noexcept nogil
    const char *a
    char *o
    char *m
    Py_ssize_t isz


cdef void _nan_zero_span(void *p, Py_ssize_t s, Py_ssize_t e, int c) noexcept nogil:
    cdef _NanZeroCtx *x = <_NanZeroCtx *>p
    x.f(x.a + s * x.isz, x.o + s * x.isz, x.m + s, e - s)


cdef bint run_nan_zero(const char *a, char *o, char *m, Py_ssize_t n, int t) noexcept:
    """o[:n] = a[:n] with NaN as +0.0 and m[:n] = 1 where a is not NaN (contiguous; float
    kernel type t), spread over the thread policy's threads; False for another type."""
    cdef _NanZeroCtx x
    cdef int nt
    if (t != DC_T_F8 and t != DC_T_F4) or K.nan_zero[t] == NULL:
        return False
    x.f, x.a, x.o, x.m, x.isz = K.nan_zero[t], a, o, m, type_size(t)
    nt = threads_for_ew(n, K.binary_threshold[0], <int>x.isz)
    if n < NOGIL_MIN:
        _spans(_nan_zero_span, &x, n, 1)
        return True
    with nogil:
        _spans(_nan_zero_span, &x, n, nt)
    return True


cdef struct _CorrCtx:
    void (*f)(const char *a, Py_ssize_t na, const char *w, Py_ssize_t nw, Py_ssize_t left,
              char *o, Py_ssize_t lo, Py_ssize_t hi) noexcept nogil
    const char *a
    const char *w
    char *o
    Py_ssize_t na, nw, left, isz


cdef void _corr_span(void *p, Py_ssize_t s, Py_ssize_t e, int c) noexcept nogil:
    cdef _CorrCtx *x = <_CorrCtx *>p
    x.f(x.a, x.na, x.w, x.nw, x.left, x.o + s * x.isz, s, e)


cdef bint run_correlate(const char *a, Py_ssize_t na, const char *w, Py_ssize_t nw,
                        Py_ssize_t left, char *o, Py_ssize_t nout, int t) noexcept:
    """o[k] = sum_j a[k + j - left] * w[j] for k < nout (terms outside a left out;
    contiguous; float kernel type t), the outputs spread over the thread policy's threads
    (an output costs nw multiply-adds); False for another type."""
    cdef _CorrCtx x
    cdef int nt
    if (t != DC_T_F8 and t != DC_T_F4) or K.correlate[t] == NULL:
        return False
    x.f, x.a, x.w, x.o, x.na, x.nw, x.left = K.correlate[t], a, w, o, na, nw, left
    x.isz = type_size(t)
    nt = threads_for_ew(nout * nw, K.binary_threshold[0], <int>x.isz)
    with nogil:
        _spans(_corr_span, &x, nout, nt)
    return True


cdef extern from "dc_interp.h" nogil:
    void dc_interp_f8(const double *x, Py_ssize_t m, const double *xp, const double *fp,
                      Py_ssize_t n, double left, double right, double *out)
    int dc_interp_grid_ok(const double *xp, Py_ssize_t n)
    int dc_interp_no_nan(const double *x, Py_ssize_t m)


cdef bint interp_inputs_ok(const double *x, Py_ssize_t m, const double *xp,
                           Py_ssize_t n) noexcept:
    cdef bint ok
    with nogil:
        ok = dc_interp_grid_ok(xp, n) and dc_interp_no_nan(x, m)
    return ok


cdef struct _InterpCtx:
    const double *x
    const double *xp
    const double *fp
    double *out
    Py_ssize_t n
    double left, right


cdef void _interp_span(void *p, Py_ssize_t s, Py_ssize_t e, int c) noexcept nogil:
    cdef _InterpCtx *v = <_InterpCtx *>p
    dc_interp_f8(v.x + s, e - s, v.xp, v.fp, v.n, v.left, v.right, v.out + s)


cdef void run_interp_f8(const double *x, Py_ssize_t m, const double *xp, const double *fp,
                        Py_ssize_t n, double left, double right, double *out) noexcept:
    cdef _InterpCtx v
    cdef int nt
    if m <= 0:
        return
    v.x, v.xp, v.fp, v.out, v.n, v.left, v.right = x, xp, fp, out, n, left, right
    # the search's halvings, then the rules: ~2 cheap elements each
    nt = threads_for_ew(m * 2 * (_halvings(n) + 1), K.binary_threshold[0], 8)
    with nogil:
        _spans(_interp_span, &v, m, nt)


cdef struct _BincountCtx:
    _Counts k
    const char *x
    int t


cdef void _bincount_span(void *p, Py_ssize_t s, Py_ssize_t e, int c) noexcept nogil:
    cdef _BincountCtx *v = <_BincountCtx *>p
    cdef long long *counts = _counters(&v.k, c)
    cdef Py_ssize_t i
    if v.t == DC_T_I8:
        for i in range(s, e):
            counts[(<const long long *>v.x)[i]] += 1
    elif v.t == DC_T_I4:
        for i in range(s, e):
            counts[(<const int *>v.x)[i]] += 1
    elif v.t == DC_T_U4:
        for i in range(s, e):
            counts[(<const unsigned int *>v.x)[i]] += 1
    elif v.t == DC_T_I2:
        for i in range(s, e):
            counts[(<const short *>v.x)[i]] += 1
    elif v.t == DC_T_U2:
        for i in range(s, e):
            counts[(<const unsigned short *>v.x)[i]] += 1
    elif v.t == DC_T_I1:
        for i in range(s, e):
            counts[(<const signed char *>v.x)[i]] += 1
    else:                           # uint8, bool
        for i in range(s, e):
            counts[(<const unsigned char *>v.x)[i]] += 1


cdef bint run_bincount(const char *x, Py_ssize_t n, int t, long long *counts,
                       Py_ssize_t L) noexcept:
    cdef _BincountCtx v
    cdef int nt
    cdef bint ok
    if not (t == DC_T_I8 or t == DC_T_I4 or t == DC_T_U4 or t == DC_T_I2
            or t == DC_T_U2 or t == DC_T_I1 or t == DC_T_U1 or t == DC_T_B1):
        return False
    if n <= 0:
        return True
    v.k.out, v.k.L, v.x, v.t = counts, L, x, t
    # a count array a thread: only where the counts are short next to the values (summing
    # long ones would cost more than the counting saves)
    nt = threads_for_ew(n, K.binary_threshold[0], 8) if L <= n // 8 else 1
    with nogil:
        ok = _counted_spans(_bincount_span, &v, &v.k, n, nt)
    return ok


cdef struct _HistCtx:
    _Counts k
    const double *a
    const double *edges
    double first, last, denom
    Py_ssize_t nbins


cdef void _hist_span(void *p, Py_ssize_t s, Py_ssize_t e, int c) noexcept nogil:
    """NumPy's uniform-bin steps (np.histogram) for values s..e-1, one at a time: kept when
    in [first, last] (NaN not), index ((x - first) / denom) * nbins truncated, the last
    edge's values in the last bin, one down where below its bin's left edge, then one up
    where at or above the next edge (not in the last bin)."""
    cdef _HistCtx *h = <_HistCtx *>p
    cdef long long *counts = _counters(&h.k, c)
    cdef Py_ssize_t i, idx
    cdef double x, f
    cdef double fn = <double>h.nbins
    for i in range(s, e):
        x = h.a[i]
        if not (x >= h.first and x <= h.last):
            continue
        f = (x - h.first) / h.denom * fn
        idx = <Py_ssize_t>f
        if idx == h.nbins:
            idx -= 1
        if x < h.edges[idx]:
            idx -= 1
        if x >= h.edges[idx + 1] and idx != h.nbins - 1:
            idx += 1
        counts[idx] += 1


cdef bint run_hist_f8(const double *a, Py_ssize_t n, double first, double last,
                      double denom, Py_ssize_t nbins, const double *edges,
                      long long *counts) noexcept:
    cdef _HistCtx h
    cdef int nt
    cdef bint ok
    if n <= 0 or nbins <= 0:
        return True
    h.k.out, h.k.L = counts, nbins
    h.a, h.edges, h.first, h.last, h.denom, h.nbins = a, edges, first, last, denom, nbins
    # ~4 cheap elements' worth a value (a division, two compares, a scattered increment)
    nt = threads_for_ew(n * 4, K.binary_threshold[0], 8)
    with nogil:
        ok = _counted_spans(_hist_span, &h, &h.k, n, nt)
    return ok


# What a reduction's element costs the thread policy, relative to the cheap probe's (an
# add of the same element size: chunks_for_size scales 8-byte elements by the measured
# ratio): a float sum reads one element and writes nothing, a dot reads two. One thread,
# n = 1e5, fastest of 15 interleaved runs (AMD EPYC VM, avx2 build, 2026-12-02): float32
# add 0.199 ns an element, sum 0.064, vdot 0.125; float64 add 0.396, sum 0.131, vdot
# 0.266. Counted as whole elements (sums) or two (dots) they threaded at sizes where a
# chunk's work did not pay the fork/join (float32 sum at 1e5: two 4 us chunks against
# a 3-4 us fork/join measured on the VM): those regions were lost, the guard tripped,
# and its back-off (up to 1.28 s) kept every call of the process serial, sqrt included.
DEF SUM_WEIGHT = 0.33
DEF DOT_WEIGHT = 0.65


cdef void run_reduce(dc_reduce_fn f, dc_combine_fn c, const char *a, Py_ssize_t sa,
                     Py_ssize_t n, char *out, int sum_itemsize=0) noexcept:
    cdef int nt
    cdef Py_ssize_t nw = <Py_ssize_t>(n * SUM_WEIGHT)
    cdef bint timed
    cdef double t0
    if sum_itemsize > 0:
        nt = threads_for_red(nw, K.reduce_threshold, sum_itemsize)
    else:
        nt = threads_for(n, K.reduce_threshold)
    if n < NOGIL_MIN:
        K.run_reduce(f, c, a, sa, n, out, nt)
        return
    # contiguous float sums learn their serial cost (threads_for_red)
    timed = (nt == 1 and sum_itemsize > 0 and sa == sum_itemsize
             and threads_time_serial(nw, K.reduce_threshold, sum_itemsize))
    with nogil:
        t0 = threads_now() if timed else 0
        K.run_reduce(f, c, a, sa, n, out, nt)
        if timed:
            threads_note_serial_red(nw, K.reduce_threshold, sum_itemsize, threads_now() - t0)


cdef void run_dot(dc_dot_fn f, dc_combine_fn c, const char *a, Py_ssize_t sa, const char *b,
                  Py_ssize_t sb, Py_ssize_t n, char *out, int itemsize=0) noexcept:
    # DOT_WEIGHT of an element of the same size as the cheap probe's (see SUM_WEIGHT); an
    # element of unknown size (itemsize 0) counts as two of the probe's
    cdef int nt
    cdef Py_ssize_t nw = <Py_ssize_t>(n * DOT_WEIGHT)
    cdef bint timed
    cdef double t0
    if itemsize > 0:
        nt = threads_for_red(nw, K.reduce_threshold, itemsize)
    else:
        nt = threads_for(2 * n, K.reduce_threshold)
    if n < NOGIL_MIN:
        K.run_dot(f, c, a, sa, b, sb, n, out, nt)
        return
    # contiguous dot products learn their serial cost (threads_for_red)
    timed = (nt == 1 and itemsize > 0 and sa == itemsize and sb == itemsize
             and threads_time_serial(nw, K.reduce_threshold, itemsize))
    with nogil:
        t0 = threads_now() if timed else 0
        K.run_dot(f, c, a, sa, b, sb, n, out, nt)
        if timed:
            threads_note_serial_red(nw, K.reduce_threshold, itemsize, threads_now() - t0)


cdef void _rows(dc_reduce_fn f, dc_combine_fn c, const char *a, Py_ssize_t sa_row,
                Py_ssize_t sr, Py_ssize_t nr, char *o, Py_ssize_t so, Py_ssize_t r0,
                Py_ssize_t r1) noexcept nogil:
    cdef char partial[DC_PARTIAL_BYTES]
    cdef Py_ssize_t i
    for i in range(r0, r1):
        f(a + i * sa_row, sr, nr, 0, partial)
        c(partial, 1, o + i * so)


cdef void _rows_threads(dc_reduce_fn f, dc_combine_fn c, const char *a, Py_ssize_t sa_row,
                        Py_ssize_t sr, Py_ssize_t nr, char *o, Py_ssize_t so,
                        Py_ssize_t rows, int nt) noexcept nogil:
    cdef int k
    cdef int fls[DC_MAX_CHUNKS]      # each chunk's floating-point flags
    if nt > DC_MAX_CHUNKS:
        nt = DC_MAX_CHUNKS
    with parallel(num_threads=nt):
        k = threadid()
        while k < nt:          # one chunk a thread (more when the team is smaller)
            dc_fpe_clear()
            _rows(f, c, a, sa_row, sr, nr, o, so, rows * k // nt, rows * (k + 1) // nt)
            fls[k] = dc_fpe_test()
            k = k + openmp.omp_get_num_threads()
    dc_fpe_raise(dc_flags_of(fls, nt))   # the workers' floating-point flags, on this thread


cdef void run_rows(dc_reduce_fn f, dc_combine_fn c, const char *a, Py_ssize_t sa_row,
                   Py_ssize_t sr, Py_ssize_t nr, char *o, Py_ssize_t so,
                   Py_ssize_t rows, Py_ssize_t itemsize) noexcept:
    cdef int nt = threads_for_size(rows * nr, K.reduce_threshold, _widest(sr, 0, 0)
                                   if sr != 0 else itemsize)
    if nt > rows:
        nt = <int>rows
    if rows * nr < NOGIL_MIN:
        _rows(f, c, a, sa_row, sr, nr, o, so, 0, rows)
    elif nt <= 1:
        with nogil:
            _rows(f, c, a, sa_row, sr, nr, o, so, 0, rows)
    else:
        with nogil:
            _rows_threads(f, c, a, sa_row, sr, nr, o, so, rows, nt)


DEF SLAB_SPLIT_BYTES = 8192    # of each row, at least, to a thread of a slab reduction


cdef double _ZERO = 0.0           # 0.0 of float32 and float64 alike (all bits zero)


cdef inline void _slabs(dc_binary_fn g, dc_unary_fn copy, const char *a, Py_ssize_t sr,
                        Py_ssize_t nr, Py_ssize_t sin, char *o, Py_ssize_t son,
                        Py_ssize_t s, Py_ssize_t e, bint identity) noexcept nogil:
    """Columns s..e-1 of the slab reduction: o = a[0], then o = g(o, a[r]) for r = 1..nr-1,
    row after row (the order of NumPy's reduction over an outer axis). identity (float
    sums): then o = 0 + o, as NumPy starts from its identity 0 -- a column of -0.0 sums
    to +0.0; a running sum is -0.0 only while every term so far is, so adding the 0 last
    gives the same bits as adding it first."""
    cdef Py_ssize_t r
    if e <= s:
        return
    copy(a + s * sin, sin, o + s * son, son, e - s)
    for r in range(1, nr):
        g(o + s * son, son, a + r * sr + s * sin, sin, o + s * son, son, e - s)
    if identity:
        g(<const char *>&_ZERO, 0, o + s * son, son, o + s * son, son, e - s)


cdef void run_slabs(dc_binary_fn g, dc_unary_fn copy, int threshold, const char *a,
                    Py_ssize_t sr, Py_ssize_t nr, Py_ssize_t sin, char *o, Py_ssize_t son,
                    Py_ssize_t nin, Py_ssize_t itemsize, bint identity=False) noexcept:
    """A reduction over an outer axis (nr rows of stride sr) into nin outputs, each output
    element combined with its column's rows in row order by the binary loop g: the columns
    split among the thread policy's threads (in multiples of 16), every thread through
    all rows; one region, where a call per row cost more than the row's work on narrow
    tables. A thread's columns of a row must span SLAB_SPLIT_BYTES: with less, both
    cores' prefetchers pulled every line of every row (a C loop over 4000 x 200 float64,
    the 200 columns split: 2 threads 255 us, 1 thread 214 us; rows of 50000: 149 against
    282 us)."""
    cdef Py_ssize_t n = nr * nin
    cdef int nt = threads_for_ew(n, threshold, itemsize)
    cdef _SlabTask T
    if nt > DC_MAX_CHUNKS:
        nt = DC_MAX_CHUNKS
    if nin * _absz(sin) < SLAB_SPLIT_BYTES * nt:
        nt = <int>(nin * _absz(sin) // SLAB_SPLIT_BYTES)
        if nt < 1:
            nt = 1
    if n < NOGIL_MIN:
        _slabs(g, copy, a, sr, nr, sin, o, son, 0, nin, identity)
        return
    if nt <= 1:
        with nogil:
            _slabs(g, copy, a, sr, nr, sin, o, son, 0, nin, identity)
        return
    # one chunk of columns a thread, borders on multiples of 16 elements (a line of
    # float32 when the columns are contiguous)
    T.g, T.copy, T.a, T.sr, T.nr, T.sin, T.o, T.son, T.nin, T.identity = (
        g, copy, a, sr, nr, sin, o, son, nin, identity)
    T.step = ((nin + nt - 1) // nt + 15) // 16 * 16
    with nogil:
        run_tasks(_slab_task, &T, nt, nt)


cdef struct _SlabTask:
    dc_binary_fn g
    dc_unary_fn copy
    const char *a
    Py_ssize_t sr, nr, sin, son, nin, step
    char *o
    bint identity


cdef void _slab_task(void *ctx, Py_ssize_t k, int thread) noexcept nogil:
    """Chunk k of columns of run_slabs."""
    cdef _SlabTask *T = <_SlabTask *>ctx
    _slabs(T.g, T.copy, T.a, T.sr, T.nr, T.sin, T.o, T.son, min(T.step * k, T.nin),
           min(T.step * (k + 1), T.nin), T.identity)


cdef void run_tasks(dc_task_fn fn, void *ctx, Py_ssize_t ntasks, int nt) noexcept nogil:
    """fn(ctx, task, thread) for task = 0 .. ntasks-1 on nt threads (thread < nt: the
    index of the caller's scratch), task c on thread c mod nt; the workers' floating-point
    flags raised on this thread and the region reported to the thread policy. A task's
    result must not depend on its thread."""
    cdef int c
    cdef Py_ssize_t j
    cdef int fls[DC_MAX_CHUNKS]      # each thread's floating-point flags
    cdef double st[2 * DC_MAX_CHUNKS]
    cdef double t0
    if nt > DC_MAX_CHUNKS:
        nt = DC_MAX_CHUNKS
    if nt > ntasks:
        nt = <int>ntasks
    if nt <= 1:
        for j in range(ntasks):
            fn(ctx, j, 0)
        return
    t0 = threads_now()
    with parallel(num_threads=nt):
        c = threadid()
        while c < nt:          # one share a thread (more when the team is smaller)
            st[2 * c] = threads_now()
            dc_fpe_clear()
            j = c
            while j < ntasks:
                fn(ctx, j, c)
                j = j + nt
            fls[c] = dc_fpe_test()
            st[2 * c + 1] = threads_now()
            c = c + openmp.omp_get_num_threads()
    dc_fpe_raise(dc_flags_of(fls, nt))   # the workers' floating-point flags, on this thread
    threads_observe(nt, t0, threads_now(), st)


cdef void run_fill(char *o, Py_ssize_t n, const char *value, int t) noexcept:
    # the type's own cast (a copy) from a stride-0 input: a broadcast store loop
    run_unary(K.cast[t][t], K.reduce_threshold, value, 0, o, type_size(t), n, True)


cdef void run_where(dc_where_fn f, const char *c, const char *x, const char *y, char *o,
                    Py_ssize_t itemsize, Py_ssize_t n) noexcept:
    if n < NOGIL_MIN:
        f(c, 1, x, itemsize, y, itemsize, o, itemsize, n)
    else:
        with nogil:
            f(c, 1, x, itemsize, y, itemsize, o, itemsize, n)


cdef inline void _extent(const Operand *a, Py_ssize_t itemsize, char **lo,
                         char **hi) noexcept:
    cdef Py_ssize_t l = 0, h = 0, x
    cdef int d
    for d in range(a.ndim):
        if a.shape[d] == 0:
            lo[0] = a.data
            hi[0] = a.data
            return
        x = (a.shape[d] - 1) * a.strides[d]
        if x < 0:
            l += x
        else:
            h += x
    lo[0] = a.data + l
    hi[0] = a.data + h + itemsize


cdef bint unsafe_overlap(const Operand *a, const Operand *o, int nd,
                         const Py_ssize_t *shape) noexcept:
    return unsafe_overlap_sized(a, type_size(a.t), o, type_size(o.t), nd, shape)


cdef bint unsafe_overlap_sized(const Operand *a, Py_ssize_t asize, const Operand *o,
                               Py_ssize_t osize, int nd, const Py_ssize_t *shape) noexcept:
    cdef char *alo
    cdef char *ahi
    cdef char *olo
    cdef char *ohi
    cdef int d, k
    cdef Py_ssize_t sa
    if a.data == a.value:
        return False                 # a Python scalar copied into the operand
    _extent(a, asize, &alo, &ahi)
    _extent(o, osize, &olo, &ohi)
    if ahi <= olo or ohi <= alo or alo == ahi or olo == ohi:
        return False
    if a.data != o.data or a.t != o.t or asize != osize:
        return True
    for d in range(nd):
        if shape[d] == 1:
            continue
        k = d - (nd - a.ndim)
        sa = a.strides[k] if k >= 0 and a.shape[k] != 1 else 0
        if sa != o.strides[d]:
            return True
    return False


cdef bint same_shape(const Operand *a, const Operand *b) noexcept:
    cdef int i
    if a.ndim != b.ndim:
        return False
    for i in range(a.ndim):
        if a.shape[i] != b.shape[i]:
            return False
    return True


# ------------------------------------------------------------- floating-point errors

cdef extern from "dc_fpe.h" nogil:
    enum:
        DC_FPE_DIVBYZERO
        DC_FPE_OVERFLOW
        DC_FPE_UNDERFLOW
        DC_FPE_INVALID

# (flag, np.geterr() key, NumPy's text, NumPy's status bit for the 'call' callback), in
# the order NumPy checks them.
_CATEGORIES = ((DC_FPE_DIVBYZERO, "divide", "divide by zero", 1),
               (DC_FPE_OVERFLOW, "over", "overflow", 2),
               (DC_FPE_UNDERFLOW, "under", "underflow", 4),
               (DC_FPE_INVALID, "invalid", "invalid value", 8))


# NumPy's loops for these compare, select or round quietly: a flag their kernels raise
# (an ordered comparison with NaN) is not reported. (The vectorized transcendentals of
# dc_vmath.h leave exactly NumPy's flags: they are reported as every other kernel's.)
_QUIET = frozenset([
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and",
    "logical_or", "logical_xor", "logical_not", "maximum", "minimum", "fmax", "fmin",
    "absolute", "negative", "positive", "sign", "copysign", "floor", "ceil", "trunc", "rint",
    "isnan", "isinf", "isfinite", "signbit", "bitwise_and", "bitwise_or", "bitwise_xor",
    "invert", "left_shift", "right_shift"])


# np.geterr() costs about 1 us (it builds its dict from the error state's capsule); a
# kernel whose flags are ignored by default (float32 products underflow often) paid it on
# every call. The modes are read again only when the error state's object changes
# (np.seterr and np.errstate set a new one; the one kept here can't be reused meanwhile).
try:
    from numpy._core._ufunc_config import _extobj_contextvar as _EXTOBJ_CV
except ImportError:                      # (another NumPy layout: geterr on every report)
    _EXTOBJ_CV = None
cdef object _modes_of = None
cdef object _modes = None


cdef object _fp_modes():
    """np.geterr(), read again only when NumPy's error state object changed."""
    global _modes_of, _modes
    if _EXTOBJ_CV is None:
        return np.geterr()
    e = _EXTOBJ_CV.get()
    if e is not _modes_of or _modes is None:
        _modes = np.geterr()
        _modes_of = e
    return _modes


cdef int fp_heeded(int status) except -1:
    """The flags of `status` whose np.geterr() mode is not "ignore" (a pass that raised
    only ignored flags -- underflow, by default -- reports nothing)."""
    cdef int flag, heeded = 0
    modes = _fp_modes()
    for flag, key, _, _ in _CATEGORIES:
        if status & flag and modes[key] != "ignore":
            heeded |= flag
    return heeded


cdef int fp_report(int status, object name) except -1:
    """Clear the flags in `status` and act on each as np.geterr() says: warn
    (RuntimeWarning), raise (FloatingPointError), call or log (np.geterrcall()), print,
    ignore. Only reached when a flag is set."""
    cdef int flag, bit, bits = 0
    dc_fpe_clear()
    if not isinstance(name, str):
        name = name.__name__
    if name in _QUIET:
        return 0
    for flag, _, _, bit in _CATEGORIES:
        if status & flag:
            bits |= bit
    modes = _fp_modes()
    for flag, key, text, bit in _CATEGORIES:
        if not status & flag:
            continue
        mode = modes[key]
        if mode == "ignore":
            continue
        msg = f"{text} encountered in {name}"
        if mode == "warn":
            warnings.warn(msg, RuntimeWarning, stacklevel=1)
        elif mode == "raise":
            raise FloatingPointError(msg)
        elif mode == "print":
            sys.stderr.write(f"Warning: {msg}\n")
        else:
            handler = np.geterrcall()
            if mode == "call":
                if handler is None:
                    raise NameError(f"python callback specified for {text} (in  {name}) "
                                    "but no function found.")
                handler(text, bits)
            else:
                if handler is None or not hasattr(handler, "write"):
                    raise NameError(f"log specified for {text} (in {name}) but no object "
                                    "with write method found.")
                handler.write(f"Warning: {msg}\n")
    return 0


# ---------------------------------------------------------------- N-d element-wise walks

cdef bint nd_setup(NdIter *it, int nop, Operand **ops, int nd,
                   const Py_ssize_t *shape, bint long_inner=True) noexcept:
    cdef int k, d, j, m = 0, off
    cdef Py_ssize_t n, st
    cdef bint merge
    cdef const Operand *o
    it.nop = nop
    it.size = 1
    for d in range(nd):
        it.size *= shape[d]
    for k in range(nop):
        o = ops[k]
        it.data[k] = o.data
        if not o.is_scalar and o.ndim > nd:
            return False
    # Broadcast and drop size-1 dimensions (kept dims: m).
    for d in range(nd):
        n = shape[d]
        if n == 1:
            for k in range(nop):
                o = ops[k]
                off = d - (nd - o.ndim)
                if not o.is_scalar and off >= 0 and o.shape[off] != 1:
                    return False
            continue
        for k in range(nop):
            o = ops[k]
            off = d - (nd - o.ndim)
            if o.is_scalar or off < 0 or o.shape[off] == 1:
                st = 0
            elif o.shape[off] == n:
                st = o.strides[off]
            else:
                return False
            it.strides[k][m] = st
        it.shape[m] = n
        m += 1
    _output_order(it, m)
    if m == 0:
        it.shape[0] = 1 if it.size else 0
        for k in range(nop):
            it.strides[k][0] = 0
        it.nd = 1
        return True
    # Merge dimension j into the one after it when every operand steps evenly across.
    j = m - 1
    for d in range(m - 2, -1, -1):
        merge = True
        for k in range(nop):
            if it.strides[k][d] != it.strides[k][j] * it.shape[j]:
                merge = False
                break
        if merge:
            it.shape[j] *= it.shape[d]
        else:
            j -= 1
            it.shape[j] = it.shape[d]
            for k in range(nop):
                it.strides[k][j] = it.strides[k][d]
    # Dimensions now live in [j, m): move them to the front.
    if j > 0:
        for d in range(j, m):
            it.shape[d - j] = it.shape[d]
            for k in range(nop):
                it.strides[k][d - j] = it.strides[k][d]
    it.nd = m - j
    if long_inner:
        _long_inner(it)
    return True


cdef inline Py_ssize_t _axis_stride(const Operand *o, int nd, const Py_ssize_t *shape,
                                    int d) noexcept:
    """o's stride along result axis d as NumPy's iterator sees it (0 when broadcast or of
    extent 1)."""
    cdef int off
    if o.is_scalar or o.ndim == 0:
        return 0
    off = d - (nd - o.ndim)
    if off < 0 or o.shape[off] == 1:
        return 0
    return o.strides[off]


cdef int _contiguity(const Operand *o, Py_ssize_t itemsize) noexcept:
    """NumPy's contiguity flags of an operand: 1 C, 2 F (size-1 axes ignored, an empty
    array is both)."""
    cdef int i, flags = 3
    cdef Py_ssize_t expect
    for i in range(o.ndim):
        if o.shape[i] == 0:
            return 3
    expect = itemsize
    for i in range(o.ndim - 1, -1, -1):
        if o.shape[i] != 1:
            if o.strides[i] != expect:
                flags &= ~1
                break
            expect *= o.shape[i]
    expect = itemsize
    for i in range(o.ndim):
        if o.shape[i] != 1:
            if o.strides[i] != expect:
                flags &= ~2
                break
            expect *= o.shape[i]
    return flags



cdef bint keep_order(Operand **ops, const Py_ssize_t *itemsize, int nin, int nd,
                     const Py_ssize_t *shape, bint trivial, int *perm) noexcept:
    cdef int k, i, i1, ipos, ax0, ax1, flags, order = 0
    cdef bint ambig, swap
    cdef Py_ssize_t s0, s1
    cdef const Operand *o
    if nd < 2:
        return False
    if trivial:
        for k in range(nin):
            o = ops[k]
            if o.is_scalar or o.ndim == 0:
                continue
            if o.ndim != nd:
                order = -1
                break
            for i in range(nd):
                if o.shape[i] != shape[i]:
                    order = -1
                    break
            if order == -1:
                break
            flags = _contiguity(o, itemsize[k])
            if flags == 0 or (order != 0 and flags != order):
                order = -1
                break
            order = flags
        if order != -1:
            if order != 2:
                return False
            for i in range(nd):
                perm[i] = i
            return True
    for i in range(nd):
        perm[i] = nd - 1 - i
    for i in range(1, nd):
        ipos = i
        ax0 = perm[i]
        for i1 in range(i - 1, -1, -1):
            ax1 = perm[i1]
            ambig = True
            swap = False
            for k in range(nin):
                s0 = _axis_stride(ops[k], nd, shape, ax0)
                s1 = _axis_stride(ops[k], nd, shape, ax1)
                if s0 != 0 and s1 != 0:
                    if _absz(s1) <= _absz(s0):
                        swap = False       # C order wins where inputs disagree
                    elif ambig:
                        swap = True
                    ambig = False
            if not ambig:
                if swap:
                    ipos = i1
                else:
                    break
        if ipos != i:
            for i1 in range(i, ipos, -1):
                perm[i1] = perm[i1 - 1]
            perm[ipos] = ax0
    for i in range(nd):
        if perm[i] != nd - 1 - i:
            return True
    return False


cdef void _output_order(NdIter *it, int m) noexcept:
    """Order the m kept dimensions by the output's stride, largest first (stable), as
    NumPy's iterator orders axes by memory: an F-ordered result of transposed inputs
    (`X.T - mu[:, None]`) then walks its memory in order and its dimensions merge."""
    cdef int d, j, k, o = it.nop - 1
    cdef Py_ssize_t n, st, key
    cdef Py_ssize_t tmp[NDOPS]
    for d in range(1, m):
        key = it.strides[o][d] if it.strides[o][d] >= 0 else -it.strides[o][d]
        j = d - 1
        while j >= 0 and (it.strides[o][j] if it.strides[o][j] >= 0
                          else -it.strides[o][j]) < key:
            j -= 1
        j += 1
        if j == d:
            continue
        n = it.shape[d]
        for k in range(it.nop):
            tmp[k] = it.strides[k][d]
        for st in range(d, j, -1):
            it.shape[st] = it.shape[st - 1]
            for k in range(it.nop):
                it.strides[k][st] = it.strides[k][st - 1]
        it.shape[j] = n
        for k in range(it.nop):
            it.strides[k][j] = tmp[k]


cdef void _long_inner(NdIter *it) noexcept:
    """A tiny innermost dimension (the 3 of `X[:, None, :] - X[None, :, :]` on (n, 3)
    points, which cannot merge) makes the walk call the kernel every few elements: the
    longest dimension becomes the innermost instead (strided runs, far fewer calls).
    Element-wise bodies do not depend on the order they visit elements in."""
    cdef int nd = it.nd, d, k, best = -1
    cdef Py_ssize_t n, st
    if nd < 2 or it.shape[nd - 1] >= TINY_INNER:
        return
    for d in range(nd - 1):
        if best < 0 or it.shape[d] > it.shape[best]:
            best = d
    if it.shape[best] < 4 * TINY_INNER:
        return
    n = it.shape[best]
    for d in range(best, nd - 1):
        it.shape[d] = it.shape[d + 1]
    it.shape[nd - 1] = n
    for k in range(it.nop):
        st = it.strides[k][best]
        for d in range(best, nd - 1):
            it.strides[k][d] = it.strides[k][d + 1]
        it.strides[k][nd - 1] = st


cdef void convert_into(dc_unary_fn cast, int widen, Py_ssize_t cast_size, const char *src,
                       Py_ssize_t s, char *dst, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    cdef const char *r
    cdef Py_ssize_t rs
    if widen == WIDEN_NONE:
        cast(src, s, dst, cast_size, n)
        return
    if widen == WIDEN_C8_C16:
        for i in range(n):
            (<double *>dst)[2 * i] = (<const float *>(src + i * s))[0]
            (<double *>dst)[2 * i + 1] = (<const float *>(src + i * s))[1]
        return
    r = src
    rs = s
    if cast != NULL:
        # the real values go to the upper half; widening upwards never overtakes them
        r = dst + n * cast_size
        rs = cast_size
        cast(src, s, <char *>r, rs, n)
    if widen == WIDEN_F8_C16:
        for i in range(n):
            (<double *>dst)[2 * i] = (<const double *>(r + i * rs))[0]
            (<double *>dst)[2 * i + 1] = 0.0
    else:
        for i in range(n):
            (<float *>dst)[2 * i] = (<const float *>(r + i * rs))[0]
            (<float *>dst)[2 * i + 1] = 0.0


cdef inline void _call(const Body *b, char **p, const Py_ssize_t *s,
                       Py_ssize_t n) noexcept nogil:
    if b.kind == BODY_BINARY:
        (<dc_binary_fn>b.fn)(p[0], s[0], p[1], s[1], p[2], s[2], n)
    elif b.kind == BODY_UNARY:
        (<dc_unary_fn>b.fn)(p[0], s[0], p[1], s[1], n)
    elif b.kind == BODY_NPY:
        (<dc_npy_loop>b.fn)(b.ctx, p, &n, s, b.aux)
    elif b.kind == BODY_WHERE:
        (<dc_where_fn>b.fn)(p[0], s[0], p[1], s[1], p[2], s[2], p[3], s[3], n)
    else:
        (<dc_clip_fn>b.fn)(p[0], s[0], b.lo, b.hi, p[1], s[1], n)


cdef void _row(const Body *b, char **p, const Py_ssize_t *s, Py_ssize_t n) noexcept nogil:
    """Body over one row of n elements; converted inputs go block by block through
    stack buffers."""
    cdef char raw_buf[(NDOPS - 1) * BLOCK * MAX_ITEM + 64]
    cdef char *buf0 = dc_align64(raw_buf)
    cdef char *q[NDOPS]
    cdef Py_ssize_t qs[NDOPS]
    cdef Py_ssize_t i0, m
    cdef int k, nout = b.nin
    if not b.converts:
        _call(b, p, s, n)
        return
    i0 = 0
    while i0 < n:
        m = n - i0 if n - i0 < BLOCK else BLOCK
        for k in range(nout + 1):
            q[k] = p[k] + i0 * s[k]
            qs[k] = s[k]
            if k < nout and (b.cast[k] != NULL or b.widen[k] != WIDEN_NONE):
                convert_into(b.cast[k], b.widen[k], b.cast_size[k], q[k], s[k],
                             buf0 + k * (BLOCK * MAX_ITEM), m)
                q[k] = buf0 + k * (BLOCK * MAX_ITEM)
                qs[k] = b.loop_size[k]
        _call(b, q, qs, m)
        i0 += m


cdef void _walk(const NdIter *it, const Body *b, Py_ssize_t start,
                Py_ssize_t end) noexcept nogil:
    """Body over the flattened elements [start, end) of the walk (C order)."""
    cdef Py_ssize_t idx[MAXDIMS]
    cdef char *row[NDOPS]
    cdef char *p[NDOPS]
    cdef Py_ssize_t s[NDOPS]
    cdef int nd = it.nd, k, d
    cdef Py_ssize_t inner = it.shape[nd - 1], r, off, m
    if end <= start or inner == 0:
        return
    r = start // inner
    off = start - r * inner
    for k in range(it.nop):
        row[k] = it.data[k]
        s[k] = it.strides[k][nd - 1]
    for d in range(nd - 2, -1, -1):
        idx[d] = r % it.shape[d]
        r = r // it.shape[d]
        for k in range(it.nop):
            row[k] += idx[d] * it.strides[k][d]
    while True:
        m = inner - off
        if m > end - start:
            m = end - start
        for k in range(it.nop):
            p[k] = row[k] + off * s[k]
        _row(b, p, s, m)
        start += m
        if start >= end:
            return
        off = 0
        d = nd - 2
        while d >= 0:
            idx[d] += 1
            for k in range(it.nop):
                row[k] += it.strides[k][d]
            if idx[d] < it.shape[d]:
                break
            for k in range(it.nop):
                row[k] -= it.shape[d] * it.strides[k][d]
            idx[d] = 0
            d -= 1


# The N-d walk balances its chunks as the kernels' 1-d drivers do (dc_balance.h): each
# thread walks its own chunk of the flat index range in blocks (WALK_BLOCKS per chunk, at
# least WALK_BLOCK_MIN elements), then the blocks left in the others'. An element's result
# does not depend on which thread computes it.
DEF WALK_BLOCKS = 16
DEF WALK_BLOCK_MIN = 4096

cdef void _walk_threads(const NdIter *it, const Body *b, int nt) noexcept nogil:
    """The walk on nt threads, balanced; reported to the thread policy as the kernels'
    drivers report their regions (it learns the workers are awake, and the guard sees a
    region that did not pay)."""
    cdef Py_ssize_t step = ((it.size + nt - 1) // nt + 63) // 64 * 64
    cdef Py_ssize_t blk = (step // WALK_BLOCKS + 63) // 64 * 64
    cdef Py_ssize_t s, e
    cdef Py_ssize_t nxt[DC_MAX_CHUNKS * DC_BALANCE_PAD]
    cdef Py_ssize_t bounds[DC_MAX_CHUNKS + 1]
    cdef int c, j
    cdef int fls[DC_MAX_CHUNKS]      # each chunk's floating-point flags
    cdef double st[2 * DC_MAX_CHUNKS]
    cdef double t0
    if nt > DC_MAX_CHUNKS:
        nt = DC_MAX_CHUNKS
    if blk < WALK_BLOCK_MIN:
        blk = WALK_BLOCK_MIN
    for c in range(nt + 1):
        bounds[c] = step * c if step * c < it.size else it.size
    dc_balance_init(nxt, bounds, nt, blk)
    t0 = threads_now()
    with parallel(num_threads=nt):
        c = threadid()
        while c < nt:          # one chunk a thread (more when the team is smaller)
            st[2 * c] = threads_now()
            dc_fpe_clear()
            j = -1
            s = e = 0                      # private: dc_balance_next writes them
            while dc_balance_next(nxt, bounds, nt, nt, c, &j, blk, &s, &e):
                _walk(it, b, s, e)
            fls[c] = dc_fpe_test()
            st[2 * c + 1] = threads_now()
            c = c + openmp.omp_get_num_threads()
    dc_fpe_raise(dc_flags_of(fls, nt))   # the workers' floating-point flags, on this thread
    threads_observe(nt, t0, threads_now(), st)


cdef inline void _walk_all(const NdIter *it, const Body *body, int nt) noexcept nogil:
    if nt <= 1:
        _walk(it, body, 0, it.size)
    else:
        _walk_threads(it, body, nt)


cdef void nd_run(const NdIter *it, const Body *body, int threshold,
                 double weight=1.0) noexcept:
    """The body over the walk on the thread policy's threads; weight: the policy's
    elements (of the threshold's class) an element of the body costs (NumPy's complex
    abs, hypot: ~9 of the expensive class's elements)."""
    cdef int nt, isz
    cdef bint timed
    cdef double t0
    cdef Py_ssize_t nw = it.size
    if it.size == 0:
        return
    if weight > 1.0:
        nw = <Py_ssize_t>(it.size * weight)
    # bytes per element: the widest innermost stride (a strided walk touches more lines)
    isz = <int>min(_widest(it.strides[0][it.nd - 1],
                           it.strides[1][it.nd - 1] if it.nop > 1 else 0,
                           it.strides[it.nop - 1][it.nd - 1]), 1 << 20)
    if weight > 1.0 and isz > 8:
        isz = 8                  # a weighed body computes more than it moves
    nt = threads_for_ew(nw, threshold, isz)
    if it.size < NOGIL_MIN and nt <= 1:
        _walk_all(it, body, nt)
        return
    timed = nt == 1 and threads_time_serial(nw, threshold, isz)
    with nogil:
        t0 = threads_now() if timed else 0
        _walk_all(it, body, nt)
        if timed:
            threads_note_serial(nw, threshold, isz, threads_now() - t0)
