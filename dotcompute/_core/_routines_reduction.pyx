# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Reductions (see _routines_reduction.pxd).

A whole C-contiguous array reduces with one threaded kernel call; axes of any layout one
axis at a time, with the 1-D kernel per result element or by accumulating slabs with the
matching element-wise kernel (see "axis reductions on any layout" below). Everything else
is NumPy's method on a zero-copy view.
"""
cimport numpy as cnp
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy, memchr
from libc.stdint cimport int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t

from dotcompute._core._kernel_table cimport *
from dotcompute._core._dtypes cimport *
from dotcompute._core._kernel_access cimport (Operand, MAX_ITEM, MAXDIMS, NOGIL_MIN, run_rows,
                                              run_tasks, threads_for_size,
                                              kernel_table, run_unary, run_binary,
                                              run_reduce, run_dot, run_slabs, run_nan_zero)
from dotcompute._core._cpu cimport effective_num_threads
from dotcompute._core._threads cimport threads_left_by_processes, threads_left
from dotcompute._core._kernel_access cimport fp_clear, fp_check
from dotcompute._core._ndarray cimport (ndarray, operand_of, byte_span, wrap_numpy, wrap_result,
                                        stack_offset,
                                        to_numpy, device_function, SMALL_BYTES)
from dotcompute._core._routines_creation cimport empty_array, pooled, empty_c, copy as _copy_array

from operator import index as operator_index

import numpy as np

from dotcompute._core._memory import use_for_numpy as numpy_in_pool
from dotcompute._core._opspec import BINARY_INDEX

cnp.import_array()

# _kernels_body.pxi cuts a reduction into partials of at least this many elements.
DEF PARTIAL_MIN = 32768
DEF ARG_NUMPY_ROWS = 16384     # see _reduce_one
DEF SUM_NUMPY_ROWS_LO = 16     # see _reduce_one
DEF SUM_NUMPY_ROWS_HI = 383

cdef dc_kernel_table *K = kernel_table()

cdef object _BOOL = np.dtype(bool)
cdef object _INTP = np.dtype(np.intp)
cdef dict _REDUCE_UFUNC = {np.add: DC_R_SUM, np.multiply: DC_R_PROD, np.minimum: DC_R_MIN,
                           np.maximum: DC_R_MAX, np.logical_or: DC_R_ANY,
                           np.logical_and: DC_R_ALL}
cdef dict _NP_REDUCE_NAME = {DC_R_SUM: "sum", DC_R_PROD: "prod", DC_R_MIN: "min",
                             DC_R_MAX: "max", DC_R_ANY: "any", DC_R_ALL: "all"}


cdef int reduce_kind(object ufunc):
    cdef object k = _REDUCE_UFUNC.get(ufunc)
    return -1 if k is None else <int>k


cdef object _result_dtype(int kind, int t):
    if kind == DC_R_SUM or kind == DC_R_PROD:
        if is_float(t):
            return type_dtype(t)
        if is_unsigned(t):
            return type_dtype(DC_T_U8)
        return type_dtype(DC_T_I8)
    if kind == DC_R_ANY or kind == DC_R_ALL:
        return _BOOL
    if kind == DC_R_ARGMIN or kind == DC_R_ARGMAX:
        return _INTP
    return type_dtype(t)


cdef extern from "numpy/arrayobject.h":
    object PyArray_Scalar(void *data, cnp.dtype descr, object base)


cdef inline object _scalar_from(char *value, object dtype):
    """NumPy scalar of `dtype` holding the bytes at value."""
    return PyArray_Scalar(value, <cnp.dtype>dtype, None)


# Float products: NumPy multiplies in order, one element after another. Our kernels
# multiply in lanes and partials, which gives the same value up to rounding, except where
# a partial product overflows or underflows: [0, 1e30, 1e30] in float32 is 0 in order but
# 0 * inf = nan when the two large values meet first. A product whose value is zero, not
# finite or subnormal (where such a partial may have been), or whose run overflowed or
# underflowed somewhere, is computed again in order, and the floating-point flags are
# those of the in-order product (the lanes' overflow of [0, 1e30, 1e30] is not NumPy's
# warning) added to the ones raised before the run. A normal result with no flag may
# still hide an in-order prefix that left the normal range where no lane did
# ([1e-30, 1e-30, 1e30, 1e30] in float32 is 0 in order, 1 when each small value meets a
# large one first): one more pass bounds every prefix of the in-order product (see
# dc_prod_prefix_unsafe), and the product is computed again in order unless all of them
# stay normal and finite with a factor-4 margin for the bounds' own rounding.
cdef extern from *:
    """
    #include <math.h>
    #include <float.h>
    #include <fenv.h>
    static inline int dc_prod_flags(void) { return fetestexcept(FE_ALL_EXCEPT); }
    #if defined(__SSE2__)
    #include <emmintrin.h>
    #endif
    /* Whether some prefix of the in-order product of |a| may leave [4 MIN, MAX / 4]. Blocks
     * of 256 elements: within a block every prefix lies between the block's product of
     * min(|x|, 1) and of max(|x|, 1) (l, h), times the product of the blocks before it (q,
     * the running in-order magnitude). All in double (float32 widened on load). Branch-free
     * (the data's signs and sizes are random); contiguous blocks in SSE2 vectors with 4
     * accumulators a bound; f8 is a constant in each inlined copy. */
    #define DC_PROD_BLOCK 256
    #if defined(__GNUC__) || defined(__clang__)
    #define DC_PB_INLINE static inline __attribute__((always_inline))
    #else
    #define DC_PB_INLINE static inline
    #endif
    static inline double dc__pb_load(int f8, const char *p) {
        if (f8) { double x; memcpy(&x, p, 8); return x; }
        float x; memcpy(&x, p, 4); return x;
    }
    #if defined(__SSE2__)
    DC_PB_INLINE __m128d dc__pb_load2(int f8, const char *p) {          /* 2 elements */
        if (f8) return _mm_loadu_pd((const double *)p);
        return _mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)p)));
    }
    #endif
    DC_PB_INLINE void dc__pb_bounds(int f8, const char *a, Py_ssize_t s, Py_ssize_t n,
                                    double *lo_out, double *hi_out) {
        Py_ssize_t i = 0;
        double l = 1, h = 1;
    #if defined(__SSE2__)
        if (s == (f8 ? 8 : 4)) {
            const __m128d one = _mm_set1_pd(1.0);
            const __m128d mask = _mm_castsi128_pd(_mm_set1_epi64x(0x7fffffffffffffffLL));
            __m128d l0 = one, l1 = one, l2 = one, l3 = one, h0 = one, h1 = one, h2 = one, h3 = one;
    #define DC_PB_STEP(L, H, off) { __m128d v = _mm_and_pd(dc__pb_load2(f8, a + (i + (off)) * s), mask); \
                                    L = _mm_mul_pd(L, _mm_min_pd(v, one)); H = _mm_mul_pd(H, _mm_max_pd(v, one)); }
            for (; i + 8 <= n; i += 8) {
                DC_PB_STEP(l0, h0, 0) DC_PB_STEP(l1, h1, 2) DC_PB_STEP(l2, h2, 4) DC_PB_STEP(l3, h3, 6)
            }
    #undef DC_PB_STEP
            double t[2];
            _mm_storeu_pd(t, _mm_mul_pd(_mm_mul_pd(l0, l1), _mm_mul_pd(l2, l3))); l = t[0] * t[1];
            _mm_storeu_pd(t, _mm_mul_pd(_mm_mul_pd(h0, h1), _mm_mul_pd(h2, h3))); h = t[0] * t[1];
        }
    #endif
        for (; i < n; i++) {
            double x = fabs(dc__pb_load(f8, a + i * s));
            l *= fmin(x, 1.0); h *= fmax(x, 1.0);
        }
        *lo_out = l; *hi_out = h;
    }
    static void dc_prod_block_bounds(int f8, const char *a, Py_ssize_t s, Py_ssize_t n,
                                     double *lo_out, double *hi_out) {
        if (f8) dc__pb_bounds(1, a, s, n, lo_out, hi_out);
        else dc__pb_bounds(0, a, s, n, lo_out, hi_out);
    }
    static int dc_prod_prefix_unsafe(int f8, const char *a, Py_ssize_t s, Py_ssize_t n) {
        const double tiny = 4 * (f8 ? DBL_MIN : FLT_MIN), huge = (f8 ? DBL_MAX : FLT_MAX) / 4;
        double q = 1;
        for (Py_ssize_t i = 0; i < n; i += DC_PROD_BLOCK) {
            Py_ssize_t m = n - i < DC_PROD_BLOCK ? n - i : DC_PROD_BLOCK;
            double l, h;
            dc_prod_block_bounds(f8, a + i * s, s, m, &l, &h);
            if (!(q * l >= tiny && q * h <= huge)) return 1;
            q *= l * h;
        }
        return 0;
    }
    static inline int dc_prod_suspect(int f8, const char *v, int before, const char *a,
                                      Py_ssize_t s, Py_ssize_t n) {
        if (fetestexcept(FE_OVERFLOW | FE_UNDERFLOW) & ~before) return 1;
        if (f8) { double x; memcpy(&x, v, sizeof x); if (!(fabs(x) >= DBL_MIN && fabs(x) <= DBL_MAX)) return 1; }
        else { float x; memcpy(&x, v, sizeof x); if (!(fabsf(x) >= FLT_MIN && fabsf(x) <= FLT_MAX)) return 1; }
        /* the bounds' own underflow/overflow must not show as the product's warnings */
        fexcept_t saved;
        fegetexceptflag(&saved, FE_ALL_EXCEPT);
        int r = n > 2 && dc_prod_prefix_unsafe(f8, a, s, n);
        fesetexceptflag(&saved, FE_ALL_EXCEPT);
        return r;
    }
    static void dc_prod_in_order(int f8, const char *a, Py_ssize_t s, Py_ssize_t n, char *out,
                                 int before) {
        feclearexcept(FE_ALL_EXCEPT);
        if (f8) {
            double r = 1, x;
            for (Py_ssize_t i = 0; i < n; i++) { memcpy(&x, a + i * s, sizeof x); r *= x; }
            memcpy(out, &r, sizeof r);
        } else {
            float r = 1, x;
            for (Py_ssize_t i = 0; i < n; i++) { memcpy(&x, a + i * s, sizeof x); r *= x; }
            memcpy(out, &r, sizeof r);
        }
        if (before) feraiseexcept(before);
    }
    """
    int dc_prod_flags() noexcept nogil
    bint dc_prod_suspect(int f8, const char *v, int before, const char *a, Py_ssize_t s,
                         Py_ssize_t n) noexcept nogil
    void dc_prod_in_order(int f8, const char *a, Py_ssize_t s, Py_ssize_t n,
                          char *out, int before) noexcept nogil


cdef inline int _prod_before(int kind, int t) noexcept nogil:
    """The floating-point flags before a float product's run (what _prod_exact keeps)."""
    return dc_prod_flags() if kind == DC_R_PROD and (t == DC_T_F4 or t == DC_T_F8) else 0


cdef inline void _prod_exact(int kind, int t, const char *a, Py_ssize_t s, Py_ssize_t n,
                             char *out, int before) noexcept nogil:
    """NumPy's in-order float product where lanes and partials may have differed from it
    (see above); called after a reduction run wrote `out`."""
    if kind == DC_R_PROD and (t == DC_T_F4 or t == DC_T_F8) \
            and dc_prod_suspect(t == DC_T_F8, out, before, a, s, n):
        dc_prod_in_order(t == DC_T_F8, a, s, n, out, before)


# Bool runs (contiguous) of any / all / max / min / argmax / argmin stop at the element
# that decides them, as NumPy's loops do (memchr-like searches): `mask.any(axis=1)` of
# (10, 100000) took 11.7 us against its 1.6, `np.argmax(mask, axis=1)` 17.5 us against 0.3
# -- our threaded kernels read every element. One thread: the first True is usually near.
DEF BOOL_SCAN_BLOCK = 4096
DEF ARG_COPY_ROWS = 32           # an outer axis this long: arg-reductions copy it last
DEF WHOLE_ROWS_MIN = 8           # long runs a call at least: whole rows to threads
DEF ARG_SMALL_BYTES = 32768      # below, arg-reductions over an axis: NumPy's method
cdef object _np_argmax = np.ndarray.argmax
cdef object _np_argmin = np.ndarray.argmin


cdef Py_ssize_t _first_nonzero(const char *p, Py_ssize_t n) noexcept nogil:
    """Index of the first nonzero byte of p[:n] (blocks tested by the build's any kernel,
    then the byte found within the block), -1 if none."""
    cdef Py_ssize_t i = 0, e, j, blk = 64
    cdef char part[DC_PARTIAL_BYTES]
    cdef dc_reduce_fn f = K.reduce[<int>DC_R_ANY][<int>DC_T_B1]
    while i < n:
        # blocks of 64 bytes, growing to BOOL_SCAN_BLOCK (a True near the start is found
        # after a few bytes, not a whole block's scan)
        e = i + blk if i + blk < n else n
        f(p + i, 1, e - i, 0, part)
        if (<unsigned char *>part)[0]:
            for j in range(i, e):
                if p[j]:
                    return j
        i = e
        if blk < BOOL_SCAN_BLOCK:
            blk *= 2
    return -1


cdef void _bool_scan_row(int kind, const char *p, Py_ssize_t n, char *out) noexcept nogil:
    """out = the reduction kind of the bool run p[:n] (a bool, or an intp index)."""
    cdef Py_ssize_t i
    cdef const void *z
    if kind == DC_R_ANY or kind == DC_R_MAX:
        (<unsigned char *>out)[0] = _first_nonzero(p, n) >= 0
    elif kind == DC_R_ALL or kind == DC_R_MIN:
        (<unsigned char *>out)[0] = memchr(p, 0, n) == NULL
    elif kind == DC_R_ARGMAX:
        i = _first_nonzero(p, n)
        (<long long *>out)[0] = i if i >= 0 else 0
    else:
        z = memchr(p, 0, n)
        (<long long *>out)[0] = (<const char *>z - p) if z != NULL else 0


cdef inline bint _bool_scan(int kind, int t) noexcept:
    return t == DC_T_B1 and (kind == DC_R_ANY or kind == DC_R_ALL or kind == DC_R_MAX
                             or kind == DC_R_MIN or kind == DC_R_ARGMAX
                             or kind == DC_R_ARGMIN)


cdef object _reduce_full(int kind, ndarray a):
    """Reduce all of a (C-contiguous, size >= 1) with our kernel; returns a numpy scalar."""
    return _reduce_run(kind, a._t, a._data, a._size, a._itemsize)


cdef object _reduce_run(int kind, int t, char *data, Py_ssize_t n, Py_ssize_t itemsize):
    """Reduce the n contiguous elements of type t at data with our kernel (in memory
    order); returns a numpy scalar."""
    cdef char out[MAX_ITEM]
    cdef int before = _prod_before(kind, t)
    if _bool_scan(kind, t):
        with nogil:
            _bool_scan_row(kind, data, n, out)
        return _scalar_from(out, _result_dtype(kind, t))
    run_reduce(K.reduce[kind][t], K.combine[kind][t], data, itemsize, n, out,
               itemsize if kind == DC_R_SUM and is_float(t) else 0)
    _prod_exact(kind, t, data, itemsize, n, out, before)
    return _scalar_from(out, _result_dtype(kind, t))


cdef inline bint _reversed_run(ndarray a, int kind) noexcept:
    """a is a 1-d reversed contiguous run (x[::-1]) whose reduction `kind` does not depend
    on the order (integers and bools; float max and min, whose zero ties go to NumPy after):
    reduced in memory order (an int64 max of 1e5 ran our strided loop at 0.5x NumPy). Float
    sums and products keep the logical order (NumPy's bits)."""
    return (a._ndim == 1 and a._size > 1 and a._strides[0] == -a._itemsize
            and (not is_float(a._t) or kind == DC_R_MAX or kind == DC_R_MIN))


cdef object nan_reduce_full(ndarray a, bint mean):
    """np.nansum(a) (mean: np.nanmean(a)) of a C-contiguous float32/float64 cpu array of
    one element or more, as NumPy computes it: its nansum sums a copy whose NaNs were set
    to 0, in its pairwise order, and our kernel (dc_r_nansum) adds the same values in that
    order, NaN read as +0.0, on the thread policy's threads (each partial a node of NumPy's
    tree): its bits, in one pass (NumPy's takes five). Its floating-point reports are the
    sum's. nanmean divides by the count of elements that are not NaN as NumPy's
    _divide_by_count does with two NumPy scalars (float64 division, then the array's
    type); with no such element, None (NumPy's code: its warning and nan)."""
    cdef char out[16]
    cdef int t = a._t
    cdef int64_t cnt
    cdef double s
    cdef float s4
    if (t != DC_T_F8 and t != DC_T_F4) or not a._c_contig or a._size == 0 or not a._host:
        return None
    fp_clear()
    run_reduce(K.nansum[t], K.nansum_combine[t], a._data, a._itemsize, a._size, out,
               a._itemsize)
    _fp_check_reduce(DC_R_SUM)
    if not mean:
        return _scalar_from(out, a._dtype)
    memcpy(&cnt, out + 8, 8)
    if cnt == 0:
        return None
    if t == DC_T_F8:
        memcpy(&s, out, 8)
        s = s / <double>cnt
        return _scalar_from(<char *>&s, a._dtype)
    memcpy(&s4, out, 4)
    s4 = <float>(<double>s4 / <double>cnt)
    return _scalar_from(<char *>&s4, a._dtype)


cdef tuple nan_replaced(ndarray a):
    """NumPy's _replace_nan(a, 0) for a C-contiguous float32/float64 cpu array, in one
    threaded pass: (a's copy with NaN as +0.0, the bool array of where a is not NaN --
    NumPy's mask inverted, as its nanmean counts it); None for anything else."""
    cdef ndarray arr, m
    if ((a._t != DC_T_F8 and a._t != DC_T_F4) or not a._c_contig or not a._host
            or a._size == 0):
        return None
    arr = empty_c(a._ndim, a._shape, a._t)
    m = empty_c(a._ndim, a._shape, DC_T_B1)
    if not run_nan_zero(a._data, arr._data, m._data, a._size, a._t):
        return None
    return arr, m


cdef inline int _float_cast(int t, object dt):
    """The float kernel type (float32/float64) of dtype dt when our cast loop takes type t
    to it, else -1."""
    cdef int to = type_index(dt)
    if (to == DC_T_F8 or to == DC_T_F4) and K.cast[t][to] != NULL:
        return to
    return -1


cdef object _sum_cast_full(ndarray a, int to):
    """The sum of all of a (C-contiguous, size >= 1) in float type `to`, as NumPy's
    `a.sum(dtype=...)` computes it: its iterator casts buffers of bufsize elements, its add
    loop sums each pairwise, and the buffers' sums are added in order to the identity 0.
    Returns a NumPy scalar of type `to`."""
    cdef Py_ssize_t bufsize = 8192, n = a._size, i = 0, m, isz = a._itemsize
    cdef Py_ssize_t osz = 8 if to == DC_T_F8 else 4
    cdef dc_unary_fn cast = K.cast[a._t][to]
    cdef char out[MAX_ITEM]
    cdef double acc8 = 0
    cdef float acc4 = 0
    cdef char *buf
    if n > bufsize:
        bufsize = np.getbufsize()
    buf = <char *>malloc((n if n < bufsize else bufsize) * osz)
    if buf == NULL:
        raise MemoryError()
    try:
        while i < n:
            m = n - i if n - i < bufsize else bufsize
            with nogil:
                cast(a._data + i * isz, isz, buf, osz, m)
            run_reduce(K.reduce[<int>DC_R_SUM][to], K.combine[<int>DC_R_SUM][to], buf, osz, m, out,
                       <int>osz)
            if to == DC_T_F8:
                acc8 = acc8 + (<double *>out)[0]
            else:
                acc4 = acc4 + (<float *>out)[0]
            i += m
    finally:
        free(buf)
    return np.float64(acc8) if to == DC_T_F8 else np.float32(acc4)


cdef object _prod_cast_full(ndarray a, int to):
    """The product of all of a (C-contiguous, size >= 1) in float type `to`
    (`a.prod(dtype=np.float64)` of float32 or integers): NumPy casts buffers and multiplies
    in order; the product of the cast copy is that product as _reduce_full gives it (the
    same value up to rounding, in order where a prefix may leave the range)."""
    cdef ndarray c = empty_c(a._ndim, a._shape, to)
    with nogil:
        K.cast[a._t][to](a._data, a._itemsize, c._data, c._itemsize, a._size)
    return _reduce_full(DC_R_PROD, c)


cdef object reduction(object ufunc, int kind, ndarray a, object axis, object dtype,
                       object out, object keepdims, object initial, object where):
    cdef int t = a._t
    cdef int to = -1           # a float sum in another float type (dtype=): that type
    if not a._host:
        return _on_device(a, _NP_REDUCE_NAME[kind], kind, axis, dtype, out, keepdims,
                          initial, where)
    if dtype is not None and t >= 0 and (kind == DC_R_SUM or kind == DC_R_PROD):
        # a dtype that is the reduction's own result type changes nothing (an int32 sum
        # is int64 already); a whole float sum in another float type casts as NumPy's
        # buffers (_sum_cast_full)
        dt = as_dtype(dtype)
        if dt is _result_dtype(kind, t):
            dtype = None
        else:
            to = _float_cast(t, dt)
    if (t >= 0 and (dtype is None or to >= 0) and out is None and initial is np._NoValue
            and where is True and (a._c_contig or (to < 0 and _reversed_run(a, kind)))
            and a._size > 0
            and (axis is None or (a._ndim == 1 and axis in (0, -1, (0,), (-1,))))):
        fp_clear()
        if not a._c_contig:
            r = _reduce_run(kind, t, a._data - (a._size - 1) * a._itemsize, a._size,
                            a._itemsize)
        elif to < 0:
            r = _reduce_full(kind, a)
        elif kind == DC_R_SUM:
            r = _sum_cast_full(a, to)
        else:
            r = _prod_cast_full(a, to)
        _fp_check_reduce(kind)
        if _zero_ties(kind, t) and r == 0 and _mixed_zeros(a):
            r = getattr(a._np(), _NP_REDUCE_NAME[kind])()
        if keepdims:
            return wrap_numpy(pooled(np.full, ((1,) * a._ndim, r), {}))
        return r
    if (t >= 0 and dtype is None and out is None and initial is np._NoValue
            and where is True and a._size > 0 and a._ndim >= 1):
        fp_clear()
        r = _reduce_axes(kind, a, axis, keepdims)
        if r is not None and not (_zero_ties(kind, t) and _has_zero(r) and _mixed_zeros(a)):
            _fp_check_reduce(kind)
            return r
    kw = {"axis": axis, "dtype": dtype, "out": out, "keepdims": keepdims}
    if initial is not np._NoValue:
        kw["initial"] = initial
    if where is not True:
        kw["where"] = where
    if kind in (DC_R_MIN, DC_R_MAX, DC_R_ANY, DC_R_ALL):
        kw.pop("dtype")
    if kind in (DC_R_ANY, DC_R_ALL):
        kw.pop("initial", None)
    return _numpy_method(a, _NP_REDUCE_NAME[kind], kw)


# Float max/min of ties between 0.0 and -0.0: NumPy's result takes the sign its loop's
# lane and pairing order gives (its SIMD max keeps the later operand), which ours does not
# follow; when our result is a zero and the input holds zeros of both signs, NumPy's
# reduction runs instead (bit for bit; the only case where the order shows).
cdef inline bint _zero_ties(int kind, int t) noexcept:
    return (kind == DC_R_MAX or kind == DC_R_MIN) and (t == DC_T_F4 or t == DC_T_F8)


cdef bint _has_zero(object r):
    """r (a float reduction's result: a new C-ordered float32/float64 dc array, or a
    NumPy scalar) holds a zero: the build's all kernel on it (NumPy's `(r == 0).any()`
    cost ~2 us a call; a C loop with an early exit did not vectorize: 100 us of a
    (10, 100000) float32 max(axis=0)'s 230)."""
    cdef ndarray a
    cdef char part[DC_PARTIAL_BYTES]
    cdef char out[MAX_ITEM]
    cdef int t
    if type(r) is ndarray:
        a = <ndarray>r
        t = a._t
        if (t == DC_T_F8 or t == DC_T_F4) and a._c_contig:
            if a._size == 0:
                return False
            with nogil:
                K.reduce[<int>DC_R_ALL][t](a._data, a._itemsize, a._size, 0, part)
                K.combine[<int>DC_R_ALL][t](part, 1, out)
            return not (<unsigned char *>out)[0]
        return bool(a._size and (a._np() == 0).any())
    return r == 0


cdef bint _mixed_zeros(ndarray a):
    """a (float) holds both 0.0 and -0.0."""
    v = a._np()
    z = np.signbit(v[v == 0])
    return bool(z.size and z.any() and not z.all())


cdef inline int _fp_check_reduce(int kind) except -1:
    # NumPy reports floating-point errors of add.reduce and multiply.reduce ("... in
    # reduce"); its minimum/maximum/logical reductions compare quietly.
    if kind == DC_R_SUM or kind == DC_R_PROD:
        return fp_check("reduce")
    return 0


# ------------------------------------------------- axis reductions on any layout
#
# One axis at a time (several axes: the most contiguous first), over any strides (slices,
# transposes, negative strides), with one of two loop orders:
#   runs:  the 1-D reduction kernel along the reduced axis, once per result element (long
#          or contiguous reduced axes; every reduction kind);
#   slabs: the result starts as the first slab and the matching element-wise kernel (add,
#          multiply, minimum, maximum, logical_or/and of bools) accumulates each further slab
#          into it along the most
#          contiguous kept dimension: short or strided reduced axes, e.g. img.sum(axis=2) of
#          a (500, 500, 3) image is 3 passes over 250,000 elements, not 250,000 calls.
# Kept dimensions are coalesced first; the result is C-ordered. Anything else -> NumPy.

cdef dict _ROW_OP = {DC_R_SUM: DC_B_ADD, DC_R_PROD: DC_B_MULTIPLY, DC_R_MIN: DC_B_MINIMUM,
                     DC_R_MAX: DC_B_MAXIMUM, DC_R_ANY: DC_B_LOGICAL_OR,
                     DC_R_ALL: DC_B_LOGICAL_AND}


cdef tuple _reduced_axes(object axis, int nd):
    """Sorted, normalized axes of a reduction, or None when NumPy should decide (bad or
    repeated axes raise there, with NumPy's message; other axis types)."""
    cdef list out = []
    cdef Py_ssize_t ax
    if axis is None:
        return tuple(range(nd))
    if type(axis) is int:
        axis = (axis,)
    elif type(axis) is not tuple:
        return None
    for x in axis:
        if type(x) is not int:
            return None
        ax = x
        if ax < -nd or ax >= nd:
            return None
        if ax < 0:
            ax += nd
        if ax in out:
            return None
        out.append(ax)
    return tuple(sorted(out))


cdef struct _Dims:
    int m                                   # kept dimensions (coalesced), outermost first
    Py_ssize_t n[MAXDIMS]
    Py_ssize_t sa[MAXDIMS]                 # input byte strides
    Py_ssize_t so[MAXDIMS]                 # result byte strides


cdef void _kept_dims(ndarray a, int axis, Py_ssize_t rsz, _Dims *d,
                     bint with_axis=False) noexcept:
    """The dimensions of a other than axis (size 1 dropped), with the strides of a C-ordered
    result of item size rsz (of a's shape without axis, or with it when with_axis), sorted
    by input stride (outermost first) and coalesced."""
    cdef Py_ssize_t so = rsz, tn, ts, to
    cdef int i, j, m = 0
    for i in range(a._ndim - 1, -1, -1):     # result strides: C order over the kept dims
        if i == axis:
            if with_axis:
                so *= a._shape[i]
            continue
        if a._shape[i] != 1:
            d.n[m] = a._shape[i]
            d.sa[m] = a._strides[i]
            d.so[m] = so
            m += 1
        so *= a._shape[i]
    for i in range(1, m):                    # insertion sort, largest |input stride| first
        tn, ts, to = d.n[i], d.sa[i], d.so[i]
        j = i - 1
        while j >= 0 and (d.sa[j] if d.sa[j] >= 0 else -d.sa[j]) < (ts if ts >= 0 else -ts):
            d.n[j + 1], d.sa[j + 1], d.so[j + 1] = d.n[j], d.sa[j], d.so[j]
            j -= 1
        d.n[j + 1], d.sa[j + 1], d.so[j + 1] = tn, ts, to
    j = 0                                    # coalesce an outer dim into the next inner one
    for i in range(1, m):
        if d.sa[j] == d.n[i] * d.sa[i] and d.so[j] == d.n[i] * d.so[i]:
            d.n[j] *= d.n[i]
            d.sa[j], d.so[j] = d.sa[i], d.so[i]
        else:
            j += 1
            d.n[j], d.sa[j], d.so[j] = d.n[i], d.sa[i], d.so[i]
    d.m = j + 1 if m else 0


cdef inline bint _next(_Dims *d, int m, Py_ssize_t *idx, char **pa,
                       char **po) noexcept nogil:
    """Advance the odometer over the first m kept dims; False after the last position."""
    cdef int j = m - 1
    while j >= 0:
        idx[j] += 1
        pa[0] += d.sa[j]
        po[0] += d.so[j]
        if idx[j] < d.n[j]:
            return True
        pa[0] -= d.n[j] * d.sa[j]
        po[0] -= d.n[j] * d.so[j]
        idx[j] = 0
        j -= 1
    return False


ctypedef fused _narrow_int:
    int8_t
    uint8_t
    int16_t
    uint16_t
    int32_t
    uint32_t


cdef void _sum_short_rows(const _narrow_int *a, Py_ssize_t rows, Py_ssize_t nr,
                          long long *o) noexcept nogil:
    """o[i] = the sum of a[i * nr : (i + 1) * nr] in 64 bits (exact in any order, as
    NumPy's wrapping int64 / uint64 accumulation)."""
    cdef Py_ssize_t i, j
    cdef long long acc
    for i in range(rows):
        acc = 0
        for j in range(nr):
            acc += <long long>a[i * nr + j]
        o[i] = acc


cdef bint _sum_short_int_rows(ndarray a, ndarray res, Py_ssize_t nr) noexcept:
    """res = the sums of a's contiguous rows of nr (< 8) elements of a bool or 1-4 byte
    integer type, in int64 / uint64 (res): an image's `sum(axis=2)` / `mean(axis=2)`
    over its channels (NumPy: a call of its reduction loop per row, ~5 ns an element).
    False for other types."""
    cdef Py_ssize_t rows = a._size // nr
    cdef long long *o = <long long *>res._data
    cdef int t = a._t
    with nogil:
        if t == DC_T_I1:
            _sum_short_rows(<const int8_t *>a._data, rows, nr, o)
        elif t == DC_T_U1 or t == DC_T_B1:
            _sum_short_rows(<const uint8_t *>a._data, rows, nr, o)
        elif t == DC_T_I2:
            _sum_short_rows(<const int16_t *>a._data, rows, nr, o)
        elif t == DC_T_U2:
            _sum_short_rows(<const uint16_t *>a._data, rows, nr, o)
        elif t == DC_T_I4:
            _sum_short_rows(<const int32_t *>a._data, rows, nr, o)
        elif t == DC_T_U4:
            _sum_short_rows(<const uint32_t *>a._data, rows, nr, o)
        else:
            return False
    return True


# Reductions along an outer axis (the reduced axis less contiguous than the innermost kept
# one) whose result type is not the input's: integer and bool sums and products, which
# NumPy accumulates in int64 / uint64, and any / all of non-bool arrays (bool results).
# The input's own element-wise kernel (the slabs) cannot accumulate them, and each result
# element as a strided run of the reduced axis cost 0.1-0.75x NumPy's time ((10, 100000)
# int32 sum along axis 0: 1.6 ms against 0.33; its prod 2.0 ms against 0.36; a float
# (1000, 1000) all(axis=0) 0.54 ms against 0.20). Instead the columns are cut into tiles
# whose accumulators stay in L1, each tile taking the rows in order, tiles spread over the
# threads: sums and products wrap in 64 bits (NumPy's int64 / uint64 arithmetic: the low
# 64 bits of sign-extended values), any / all test x != 0 (NaN is true, -0.0 false).
DEF WIDE_TILE = 2048             # columns a tile (16 KiB of 64-bit accumulators)
DEF WIDE_MIN = 64                # columns at least: fewer made two kernel calls a short row
                                 # ((100000, 10) float32 any(axis=0): 3.1 ms, the runs 2.2)
cdef int _NOT_EQUAL = BINARY_INDEX["not_equal"]


cdef struct _WideCols:
    int t                        # input kernel type
    int kind                     # DC_R_SUM, DC_R_PROD, DC_R_ANY or DC_R_ALL
    const char *a                # the first row of this position
    Py_ssize_t sr, nr            # rows: byte stride, count
    Py_ssize_t sin, nin          # columns: byte stride, count
    char *o                      # results (8 bytes, or 1 for any / all; byte stride so)
    Py_ssize_t so
    Py_ssize_t tile              # columns a task (<= WIDE_TILE)
    dc_unary_fn conv             # sum / prod: a row's tile into the accumulator type
    dc_binary_fn test            # any / all: a row's tile != 0 (bool)
    dc_binary_fn acc             # accumulates a converted row into the tile's results
    Py_ssize_t asz               # accumulator element bytes (8, or 1 for bool)


cdef void _wide_task(void *p, Py_ssize_t k, int thread) noexcept nogil:
    """Columns [k * tile, ...) of one position: each row's tile converted by the build's
    own kernels (a cast, or != 0) into an L1 buffer and accumulated into the tile's
    results, row after row; then the results stored at their strides."""
    cdef const _WideCols *w = <const _WideCols *>p
    cdef Py_ssize_t c0 = k * w.tile
    cdef Py_ssize_t m = (w.tile if c0 + w.tile < w.nin else w.nin - c0)
    cdef double raw_acc[WIDE_TILE + 8]
    cdef double raw_tmp[WIDE_TILE + 8]
    cdef char *acc = dc_align64(<char *>raw_acc)
    cdef char *tmp = dc_align64(<char *>raw_tmp)
    cdef double zero = 0
    cdef Py_ssize_t i, j
    cdef const char *row = w.a + c0 * w.sin
    for i in range(w.nr):
        if w.conv != NULL:
            w.conv(row, w.sin, acc if i == 0 else tmp, w.asz, m)
        else:
            w.test(row, w.sin, <const char *>&zero, 0, acc if i == 0 else tmp, 1, m)
        if i:
            w.acc(acc, w.asz, tmp, w.asz, acc, w.asz, m)
        row += w.sr
    if w.so == w.asz:
        memcpy(w.o + c0 * w.so, acc, m * w.asz)
    else:
        for j in range(m):
            memcpy(w.o + (c0 + j) * w.so, acc + j * w.asz, w.asz)


cdef bint _wide_fns(_WideCols *w, int kind, int t) noexcept:
    """The build's kernels a tile reduction of kind on type t runs: sums and products of
    bool and 1-4 byte integers, any / all of every type but bool (those run the slabs of
    their own kernels); False for anything else, or a kernel the build lacks."""
    cdef int at
    if (kind == DC_R_SUM or kind == DC_R_PROD) and not is_float(t) and type_size(t) < 8:
        at = DC_T_U8 if is_unsigned(t) else DC_T_I8
        w.conv = K.cast[t][at]
        w.test = NULL
        w.acc = K.binary[<int>DC_B_ADD][at] if kind == DC_R_SUM else \
            K.binary[<int>DC_B_MULTIPLY][at]
        w.asz = 8
        return w.conv != NULL and w.acc != NULL
    if (kind != DC_R_ANY and kind != DC_R_ALL) or t == DC_T_B1:
        return False
    w.conv = NULL
    w.test = K.binary[_NOT_EQUAL][t]
    w.acc = K.binary[<int>DC_B_LOGICAL_OR][<int>DC_T_B1] if kind == DC_R_ANY else \
        K.binary[<int>DC_B_LOGICAL_AND][<int>DC_T_B1]
    w.asz = 1
    return w.test != NULL and w.acc != NULL


cdef void _wide_cols(_WideCols *w) noexcept:
    """The tile reduction of one position (see above), tiles on the thread policy's
    threads."""
    cdef Py_ssize_t tiles
    cdef int nt = threads_for_size(w.nr * w.nin, K.binary_threshold[<int>DC_B_ADD],
                                   type_size(w.t))
    if nt < 1:
        nt = 1
    # whole tiles of WIDE_TILE, or (fewer columns) one share a thread in 64-column steps
    w.tile = (w.nin + nt - 1) // nt
    w.tile = (w.tile + 63) // 64 * 64
    if w.tile > WIDE_TILE:
        w.tile = WIDE_TILE
    tiles = (w.nin + w.tile - 1) // w.tile
    if nt > tiles:
        nt = <int>tiles
    if w.nr * w.nin < NOGIL_MIN:
        run_tasks(_wide_task, w, tiles, 1)
        return
    with nogil:
        run_tasks(_wide_task, w, tiles, nt)


cdef ndarray _reduce_one(int kind, ndarray a, int axis, tuple shape):
    """Reduce a (any strides, size >= 1) over one axis into a new C-ordered array of the
    given shape (a's shape without axis, or with 1 there), or None (NumPy then)."""
    cdef int t = a._t, g_op, i
    cdef Py_ssize_t nr = a._shape[axis], sr = a._strides[axis], r, isz = a._itemsize
    cdef int before
    cdef Py_ssize_t idx[MAXDIMS]
    cdef Py_ssize_t nin = 1, sin = 0, son = 0, outputs = 1
    cdef _Dims d
    cdef char *pa
    cdef char *po
    cdef bint slabs, fsum, outer
    cdef dc_binary_fn g = NULL
    cdef dc_unary_fn copy
    cdef dc_reduce_fn f
    cdef dc_combine_fn c
    cdef _WideCols w
    if ((kind == DC_R_ARGMIN or kind == DC_R_ARGMAX) and nr < ARG_NUMPY_ROWS
            and sr == isz and a._size // nr >= 8):
        # contiguous rows of an arg-reduction: NumPy's loop per row (one pass with SIMD
        # index lanes) beats our two passes plus per-run cost below ARG_NUMPY_ROWS
        # elements (500 x 500 float64 argmin(axis=1): 52.7 vs 74.5 us)
        return None
    rd = _result_dtype(kind, t)
    cdef ndarray res = empty_array(shape, rd, "C")
    _kept_dims(a, axis, res._itemsize, &d)
    for i in range(d.m):
        outputs *= d.n[i]
        idx[i] = 0
    if d.m:
        nin, sin, son = d.n[d.m - 1], d.sa[d.m - 1], d.so[d.m - 1]
    # slabs when the reduced axis is short or less contiguous than the innermost kept dim.
    # Float sums follow NumPy's iterator, whose inner loop is the smaller stride: along a
    # kept dim, rows added in order from 0 (slabs, or _add_positions for fewer than 8
    # columns);
    # along the reduced axis, its pairwise sum per output (below) -- a short reduced axis
    # too (10 x 1000 F-ordered, axis 0: ten elements' pairwise sum, not ten rows in order).
    fsum = kind == DC_R_SUM and (t == DC_T_F8 or t == DC_T_F4)
    outer = d.m > 0 and _absz(sr) > _absz(sin)
    if fsum and outer and nin < 8:
        # fewer than 8 columns: their sums in registers, row after row ((70000, 3) float64
        # along axis 0: NumPy 830 us, a call of its loop per row)
        pa, po = a._data, res._data
        with nogil:
            while True:                      # every position of the outer kept dims
                if t == DC_T_F8:
                    _add_positions(<double *>po, son, nin, sin, pa, &nr, &sr, 1)
                else:
                    _add_positions(<float *>po, son, nin, sin, pa, &nr, &sr, 1)
                if not _next(&d, d.m - 1, idx, &pa, &po):
                    break
        return res
    if outer and nin >= WIDE_MIN and _wide_fns(&w, kind, t):
        w.t, w.kind, w.sr, w.nr, w.sin, w.nin, w.so = t, kind, sr, nr, sin, nin, son
        pa, po = a._data, res._data
        while True:                          # every position of the outer kept dims
            w.a, w.o = pa, po
            _wide_cols(&w)
            if not _next(&d, d.m - 1, idx, &pa, &po):
                break
        return res
    slabs = (d.m > 0 and kind in _ROW_OP and rd == a._dtype and nin >= 8
             and ((nr < 16 and not fsum) or outer))
    if slabs:
        g_op = _ROW_OP[kind]
        g = K.binary[g_op][t]
        copy = K.cast[t][t]
        if g == NULL or copy == NULL:
            return None
        pa, po = a._data, res._data
        while True:                          # every position of the outer kept dims
            run_slabs(g, copy, K.binary_threshold[g_op], pa, sr, nr, sin, po, son, nin,
                      isz, fsum)
            if not _next(&d, d.m - 1, idx, &pa, &po):
                break
        return res
    if (kind == DC_R_SUM and nr < 8 and a._c_contig and axis == a._ndim - 1
            and res._itemsize == 8 and not is_float(t)
            and _sum_short_int_rows(a, res, nr)):
        return res                           # short integer rows (an image's channels)
    if nr < 8 and outputs >= 64 and (kind not in _ROW_OP or rd != a._dtype):
        return None                          # many tiny runs: NumPy's loop is cheaper
    if (kind == DC_R_SUM and SUM_NUMPY_ROWS_LO <= nr <= SUM_NUMPY_ROWS_HI and sr == isz
            and outputs >= 8 and (d.m == 0 or (t != DC_T_F8 and t != DC_T_F4))):
        # contiguous integer rows of 16-383 elements: our lane kernel per row ran at
        # 0.33-0.87x NumPy's reduction (X.sum(axis=1) of (100000, 16) float64, before the
        # float sum took NumPy's pairwise order: 64 vs 26 ns a row); float rows are NumPy's
        # pairwise sum (its bits), rows split between threads (run_rows below)
        return None
    if (kind == DC_R_ARGMIN or kind == DC_R_ARGMAX) and outer and nr >= ARG_NUMPY_ROWS:
        # NumPy's own way for a long outer axis: the axis moved last in a C-ordered copy
        # (its elements then one run per result), where strided runs read across rows
        # ((100000, 10) uint8 argmin(axis=0): 0.51x NumPy); shorter ones from ARG_COPY_ROWS
        # on take all of NumPy's way (_arg_by_numpy)
        perm = [i for i in range(a._ndim) if i != axis] + [axis]
        return _reduce_one(kind, _copy_array(a.transpose(perm), "C"), a._ndim - 1, shape)
    if _bool_scan(kind, t) and sr == 1 and nr >= 64:
        pa, po = a._data, res._data
        with nogil:
            while True:                      # every result element: one run
                _bool_scan_row(kind, pa, nr, po)
                if not _next(&d, d.m, idx, &pa, &po):
                    break
        return res
    f = K.reduce[kind][t]
    c = K.combine[kind][t]
    pa, po = a._data, res._data
    if nr < PARTIAL_MIN or (kind != DC_R_PROD and d.m >= 1 and outputs >= WHOLE_ROWS_MIN):
        # runs of one partial each (as run_reduce cuts them), or at least WHOLE_ROWS_MIN
        # long runs (whole rows to threads, one region; a region per row split into
        # partials: (10, 100000) int64 sum(axis=1) 0.80x NumPy; a float sum's row kernel
        # is NumPy's pairwise sum of the row, the bits of the tree): the kernel and its combine
        # directly, without the driver's per-call thread decision (`X.argmax(axis=1)` on
        # rows of 200 was half its time); the innermost kept dimension's runs split
        # between threads as whole rows (prod checks each row's exactness: one thread)
        if kind != DC_R_PROD and d.m >= 1:
            while True:
                run_rows(f, c, pa, d.sa[d.m - 1], sr, nr, po, d.so[d.m - 1],
                         d.n[d.m - 1], isz)
                if not _next(&d, d.m - 1, idx, &pa, &po):
                    break
            return res
        if outputs * nr < NOGIL_MIN:
            _short_runs(f, c, &d, idx, pa, sr, nr, po, kind, t)
        else:
            with nogil:
                _short_runs(f, c, &d, idx, pa, sr, nr, po, kind, t)
        return res
    while True:                              # every result element: one run
        before = _prod_before(kind, t)
        run_reduce(f, c, pa, sr, nr, po,
                   a._itemsize if kind == DC_R_SUM and is_float(t) and sr == a._itemsize else 0)
        _prod_exact(kind, t, pa, sr, nr, po, before)
        if not _next(&d, d.m, idx, &pa, &po):
            break
    return res


# float and double (the one-pass squared deviations, _sqdev_rows)
ctypedef fused _real:
    float
    double


cdef void _short_runs(dc_reduce_fn f, dc_combine_fn c, _Dims *d, Py_ssize_t *idx, char *pa,
                      Py_ssize_t sr, Py_ssize_t nr, char *po, int kind, int t) noexcept nogil:
    cdef char partial[DC_PARTIAL_BYTES]
    cdef int before
    while True:
        before = _prod_before(kind, t)
        f(pa, sr, nr, 0, partial)
        c(partial, 1, po)
        _prod_exact(kind, t, pa, sr, nr, po, before)
        if not _next(d, d.m, idx, &pa, &po):
            break


cdef ndarray _merged_reduced(ndarray a, tuple axes):
    """a as a view with its reduced axes (of extent > 1) as one last axis, when they chain
    into one run (an F-ordered or transposed array reduced whole, the trailing axes of a C
    array; negative strides walk it backwards, as NumPy's iterator does), else None.
    NumPy's iterator coalesces such axes: a float sum is then one pairwise sum over the run where it is the inner loop, or rows
    added in order where a kept axis is (the slabs of _reduce_one); reduced one axis at a
    time, the order (and the bits) differed."""
    cdef Py_ssize_t shape[MAXDIMS]
    cdef Py_ssize_t strides[MAXDIMS]
    cdef Py_ssize_t n, st0
    cdef int ax[MAXDIMS]
    cdef int i, j, m = 0
    cdef int nd = _by_stride(a, axes, ax)    # innermost last
    if nd < 2 or a._strides[ax[nd - 1]] == 0:
        return None
    st0 = a._strides[ax[nd - 1]]
    n = a._shape[ax[nd - 1]]
    for j in range(nd - 2, -1, -1):
        if a._strides[ax[j]] != n * st0:
            return None
        n *= a._shape[ax[j]]
    for i in range(a._ndim):
        if i not in axes:
            shape[m] = a._shape[i]
            strides[m] = a._strides[i]
            m += 1
    shape[m] = n
    strides[m] = st0
    return a._sub(a._data, m + 1, shape, strides)


DEF _SMALL_CHUNK_BYTES = 16384
DEF _SMALL_CHUNKS = 64


cdef inline Py_ssize_t _absz(Py_ssize_t v) noexcept nogil:
    return v if v >= 0 else -v


cdef int _by_stride(ndarray a, tuple axes, int *ax):
    """The axes of a in axes with extent > 1 into ax by decreasing |stride| (ties in axis
    order, as NumPy's iterator); returns their count."""
    cdef int i, j, nd = 0
    for i in axes:
        if a._shape[i] == 1:
            continue
        j = nd
        while j > 0 and _absz(a._strides[ax[j - 1]]) < _absz(a._strides[i]):
            ax[j] = ax[j - 1]
            j -= 1
        ax[j] = i
        nd += 1
    return nd


cdef struct _Chunks:
    char *data                      # first element
    Py_ssize_t n[MAXDIMS]           # reduced dims coalesced, outermost first; the last: runs
    Py_ssize_t st[MAXDIMS]
    int m
    Py_ssize_t kn[MAXDIMS]          # kept dims (of the C-ordered result), outermost first
    Py_ssize_t kst[MAXDIMS]
    int km
    Py_ssize_t k, rows, core, sin, isz, per_out
    Py_ssize_t blk, cpb             # runs per buffered block, chunks per block
    dc_reduce_fn f
    dc_unary_fn copy
    char *buf                       # per thread scratch of k runs, or NULL: no copy
    Py_ssize_t bufbytes
    char *vals                      # one partial per chunk


cdef void _chunk_sum(void *ctx, Py_ssize_t task, int thread) noexcept nogil:
    """Chunk task % per_out of output task // per_out (_sum_in_iterator_order): its runs
    copied into the thread's scratch (when it has one) and summed pairwise into partial
    task."""
    cdef _Chunks *C = <_Chunks *>ctx
    cdef Py_ssize_t idx[MAXDIMS]
    cdef Py_ssize_t o = task // C.per_out, c = task % C.per_out
    cdef Py_ssize_t b = c // C.cpb
    cdef Py_ssize_t r0 = b * C.blk + (c % C.cpb) * C.k, cnt = (b + 1) * C.blk - r0, q, i
    cdef char *p = C.data
    cdef char *buf
    cdef int j
    if cnt > C.k:
        cnt = C.k
    for j in range(C.km - 1, -1, -1):        # the output's block
        p += (o % C.kn[j]) * C.kst[j]
        o //= C.kn[j]
    q = r0
    for j in range(C.m - 2, -1, -1):         # the chunk's first run
        idx[j] = q % C.n[j]
        q //= C.n[j]
        p += idx[j] * C.st[j]
    if C.buf == NULL:
        C.f(p, C.sin, C.core, 0, C.vals + task * DC_PARTIAL_BYTES)
        return
    buf = C.buf + thread * C.bufbytes
    for i in range(cnt):
        C.copy(p, C.sin, buf + i * C.core * C.isz, C.isz, C.core)
        _odometer(C.n, C.st, idx, C.m - 1, &p)
    C.f(buf, C.isz, cnt * C.core, 0, C.vals + task * DC_PARTIAL_BYTES)


cdef ndarray _sum_in_iterator_order(ndarray a, tuple axes, tuple shape):
    """The float sum over axes of a, whose reduced axes are no run of memory (a slice, a
    strided or a transposed view) and step less than every kept axis, in the order
    NumPy's iterator gives it, so its bits, into a new C-ordered array of the given shape;
    None for stride-0 dimensions or other layouts. NumPy iterates the dimensions by
    decreasing |stride| (negative strides kept), coalesces those that chain, and buffers:
    its loop gets chunks of an output's block, copied, each summed pairwise and added in
    order to the identity 0. A chunk is bufsize // unit units, where a unit is the inner
    dims that fit the buffer whole (at least the innermost), and stays within one position
    of the dims outside the next one (found on NumPy 2.4 with its model's bits on slices,
    strided, transposed, 3-d to 5-d and reversed views, whole and along trailing axes). Here the chunks are summed on the
    thread policy's threads, each thread copying into scratch of its own, and their sums
    added in order; a chunk is copied only when it holds two or more runs or a strided
    one. np.getbufsize() costs 0.5 us: blocks of at most 8192 elements (one chunk at
    NumPy's default) take the default without asking."""
    cdef _Chunks C
    cdef int ax[MAXDIMS]
    cdef int m = 0, i, j, nd = 0, t = a._t, nt
    cdef Py_ssize_t bufsize = 8192, nchunks, c, outputs = 1, block = 1, kmin = -1, o
    cdef Py_ssize_t unit, units
    cdef char small[_SMALL_CHUNK_BYTES]
    cdef char vals[_SMALL_CHUNKS * DC_PARTIAL_BYTES]
    cdef double acc8
    cdef float acc4
    cdef ndarray res
    C.km = 0
    for i in range(a._ndim):                 # kept dims of extent > 1, in order
        if i in axes or a._shape[i] == 1:
            continue
        C.kn[C.km] = a._shape[i]
        C.kst[C.km] = a._strides[i]
        if kmin < 0 or _absz(a._strides[i]) < kmin:
            kmin = _absz(a._strides[i])
        outputs *= a._shape[i]
        C.km += 1
    nd = _by_stride(a, axes, ax)             # reduced dims, inner to every kept one
    for j in range(nd):
        i = ax[j]
        if a._strides[i] == 0 or (kmin >= 0 and _absz(a._strides[i]) >= kmin):
            return None
        block *= a._shape[i]
    for j in range(nd):                      # coalesced where they chain
        i = ax[j]
        if m and C.st[m - 1] == a._shape[i] * a._strides[i]:
            C.n[m - 1] *= a._shape[i]
            C.st[m - 1] = a._strides[i]
        else:
            C.n[m] = a._shape[i]
            C.st[m] = a._strides[i]
            m += 1
    if m <= 1:
        return None                          # one run per output: _reduce_one's
    C.data, C.m, C.isz = a._data, m, a._itemsize
    C.core, C.sin = C.n[m - 1], C.st[m - 1]
    C.f, C.copy = K.reduce[<int>DC_R_SUM][t], K.cast[t][t]
    if block > 8192:
        bufsize = np.getbufsize()
    C.rows = 1
    for i in range(m - 1):
        C.rows *= C.n[i]
    unit = C.core                            # the inner dims that fit the buffer whole
    j = m - 2
    while j >= 0 and unit * C.n[j] <= bufsize:
        unit *= C.n[j]
        j -= 1
    if j < 0:                                # all of a block in one chunk
        C.blk = C.k = C.rows
        C.cpb = 1
    else:                                    # chunks of bufsize // unit units within
        C.blk = C.n[j] * (unit // C.core)    # each position of the dims outside dim j
        units = bufsize // unit
        if units < 1:
            units = 1
        C.k = units * (unit // C.core)
        C.cpb = (C.n[j] + units - 1) // units
    C.per_out = C.rows // C.blk * C.cpb
    nchunks = outputs * C.per_out
    nt = threads_for_size(a._size, K.reduce_threshold, a._itemsize)
    if nt > nchunks:
        nt = <int>nchunks
    C.buf = NULL
    C.bufbytes = C.k * C.core * C.isz
    C.vals = vals
    if C.k > 1 or C.sin != C.isz:
        if nt <= 1 and C.bufbytes <= _SMALL_CHUNK_BYTES:
            C.buf = small
        else:
            C.buf = <char *>malloc(nt * C.bufbytes)
    if nchunks > _SMALL_CHUNKS:
        C.vals = <char *>malloc(nchunks * DC_PARTIAL_BYTES)
    res = empty_array(shape, a._dtype, "C")
    try:
        if (C.buf == NULL and (C.k > 1 or C.sin != C.isz)) or C.vals == NULL:
            raise MemoryError()
        with nogil:
            run_tasks(_chunk_sum, &C, nchunks, nt)
            for o in range(outputs):
                acc8 = 0.0
                acc4 = 0.0
                for c in range(o * C.per_out, (o + 1) * C.per_out):
                    if t == DC_T_F8:
                        acc8 = acc8 + (<double *>(C.vals + c * DC_PARTIAL_BYTES))[0]
                    else:
                        acc4 = acc4 + (<float *>(C.vals + c * DC_PARTIAL_BYTES))[0]
                if t == DC_T_F8:
                    (<double *>res._data)[o] = acc8
                else:
                    (<float *>res._data)[o] = acc4
    finally:
        if C.buf != small:
            free(C.buf)
        if C.vals != vals:
            free(C.vals)
    return res


cdef ndarray _sum_positions_in_order(ndarray a, tuple axes, tuple shape):
    """The float sum over several axes of a whose kept axes step less than every reduced
    one and chain into one run (an image's channels: img[:, :, :3].sum(axis=(0, 1))), as
    NumPy's iterator adds it, so its bits: its inner loop is the kept run, so each output
    starts at 0 and adds the elements of the reduced positions in iteration order
    (dimensions by decreasing |stride|); reduced one axis at a time, the association
    differed. None for other layouts. One thread, as NumPy's."""
    cdef Py_ssize_t n[MAXDIMS]
    cdef Py_ssize_t st[MAXDIMS]
    cdef int ax[MAXDIMS]
    cdef int i, j, nd = 0, t = a._t
    cdef Py_ssize_t kn = 1, ks = 0
    cdef char *p
    cdef ndarray res
    for i in range(a._ndim):                 # kept dims: one run (coalesced), inner to all
        if i in axes or a._shape[i] == 1:
            continue
        if a._strides[i] == 0:
            return None
        if ks == 0:
            kn, ks = a._shape[i], a._strides[i]
        elif ks == a._shape[i] * a._strides[i]:
            kn *= a._shape[i]
            ks = a._strides[i]
        else:
            return None
    if ks == 0:
        return None
    nd = _by_stride(a, axes, ax)             # reduced dims, outer to the kept run
    for j in range(nd):
        if _absz(a._strides[ax[j]]) <= _absz(ks):
            return None
        n[j] = a._shape[ax[j]]
        st[j] = a._strides[ax[j]]
    res = empty_array(shape, a._dtype, "C")
    p = a._data
    with nogil:
        if t == DC_T_F8:
            _add_positions(<double *>res._data, 8, kn, ks, p, n, st, nd)
        else:
            _add_positions(<float *>res._data, 4, kn, ks, p, n, st, nd)
    return res


cdef void _add_positions(_real *o, Py_ssize_t so, Py_ssize_t kn, Py_ssize_t ks, char *p,
                         const Py_ssize_t *n, const Py_ssize_t *st, int nd) noexcept nogil:
    """Output j (byte stride so) = 0, then += p[j * ks] at every position of the nd dims
    (outermost first), in order: up to 8 sums in registers, more in the output."""
    cdef Py_ssize_t idx[MAXDIMS]
    cdef Py_ssize_t q, j, positions = 1
    cdef _real acc[8]
    for j in range(nd):
        idx[j] = 0
        positions *= n[j]
    if kn <= 8:
        for j in range(kn):
            acc[j] = 0
        for q in range(positions):
            for j in range(kn):
                acc[j] = acc[j] + (<const _real *>(p + j * ks))[0]
            _odometer(n, st, idx, nd, &p)
        for j in range(kn):
            (<_real *>(<char *>o + j * so))[0] = acc[j]
        return
    for j in range(kn):
        (<_real *>(<char *>o + j * so))[0] = 0
    for q in range(positions):
        if ks == sizeof(_real) and so == sizeof(_real):
            for j in range(kn):
                o[j] = o[j] + (<const _real *>p)[j]
        else:
            for j in range(kn):
                (<_real *>(<char *>o + j * so))[0] = \
                    (<_real *>(<char *>o + j * so))[0] + (<const _real *>(p + j * ks))[0]
        _odometer(n, st, idx, nd, &p)


cdef inline void _odometer(const Py_ssize_t *n, const Py_ssize_t *st, Py_ssize_t *idx, int m,
                           char **p) noexcept nogil:
    """Step p to the next position of the first m dimensions (outermost first)."""
    cdef int j = m - 1
    while j >= 0:
        idx[j] += 1
        p[0] += st[j]
        if idx[j] < n[j]:
            return
        p[0] -= n[j] * st[j]
        idx[j] = 0
        j -= 1


cdef object _reduce_axes(int kind, ndarray a, object axis, object keepdims):
    """a.<kind>(axis=axis, keepdims=keepdims) with our kernels on any layout, or None."""
    cdef int nd = a._ndim, i, ax, best, wide = 0
    cdef ndarray cur = a, whole
    cdef Py_ssize_t st, bst
    axes = _reduced_axes(axis, nd)
    if axes is None or len(axes) == 0 or a._size == 0 or a._t < 0:
        return None
    if kind == DC_R_ARGMIN or kind == DC_R_ARGMAX:
        if len(axes) != 1 or nd < 1:
            return None
    # A float product over several axes of extent > 1 multiplies in the order of NumPy's
    # iterator, which the axis-at-a-time loops below do not follow on every layout: of a
    # reversed view of [[[1e200, 1e200], [0, 1e-300]], [[1e200, 0], [1e-300, 1e200]]]
    # NumPy's product is 0, ours was NaN (1e200 * 1e200 = inf meeting a zero). Where the
    # order can show (an overflow or underflow on the way) it decides the value: NumPy's
    # reduction runs them. (A C-contiguous product of everything takes _reduce_full: it
    # multiplies in memory order where the order can show, as NumPy does, _prod_exact.)
    if kind == DC_R_PROD and is_float(a._t):
        for ax in axes:                      # reduced axes of extent > 1
            wide += a._shape[ax] > 1
        if wide > 1:
            return None
    # A float sum over several axes, one of them broadcast (stride 0): NumPy's iterator
    # leaves a stride-0 axis where it is (its axis sort can't order it), where ours
    # reduces it first; the association differs (of a float32 [4.94e16, 2**30, 2**30,
    # 2**30] broadcast to (2, 4) NumPy's sum is 9.88256e16, ours was 9.882559e16): NumPy's
    # reduction runs them.
    if kind == DC_R_SUM and is_float(a._t) and len(axes) > 1:
        for ax in axes:
            if a._shape[ax] > 1 and a._strides[ax] == 0:
                return None
    final = [1 if i in axes else a._shape[i] for i in range(nd)]
    if not keepdims:
        final = [final[i] for i in range(nd) if i not in axes]
    if len(axes) > 1:                        # (one axis: one run per output already)
        merged = _merged_reduced(a, axes)
        if merged is not None:
            whole = _reduce_one(kind, merged, merged._ndim - 1, tuple(final))
            if whole is None or len(final) > 0:
                return whole
            return _scalar_from(whole._data, whole._dtype)
        if kind == DC_R_SUM and (a._t == DC_T_F8 or a._t == DC_T_F4):
            whole = _sum_in_iterator_order(a, axes, tuple(final))
            if whole is None:
                whole = _sum_positions_in_order(a, axes, tuple(final))
            if whole is not None:
                return whole if len(final) > 0 else _scalar_from(whole._data, whole._dtype)
    left = list(axes)                        # axes of cur still to reduce
    kept = [i for i in range(nd)]            # original axis of each dim of cur
    while left:
        best, bst = -1, -1
        for ax in left:                      # the most contiguous remaining axis first
            st = cur._strides[kept.index(ax)]
            st = st if st >= 0 else -st
            if best < 0 or st < bst:
                best, bst = ax, st
        left.remove(best)
        i = kept.index(best)
        kept.remove(best)
        shape = (tuple(final) if not left else
                 tuple([cur._shape[j] for j in range(cur._ndim) if j != i]))
        cur = _reduce_one(kind, cur, i, shape)
        if cur is None:
            return None
    if len(final) == 0:
        return _scalar_from(cur._data, cur._dtype)
    return cur


# ------------------------------------------------- cumulative sums and products
#
# a.cumsum / a.cumprod over any axis and layout: rows along the scanned axis, the most
# contiguous other dimension as lanes when it steps less than the axis (each row one
# vectorized loop over the lanes: img.cumsum(axis=0)), else one register scan per lane
# (axis=-1 of a C array); the remaining dimensions outside. NumPy's result dtype (sum's
# accumulator: bool and signed ints -> int64, unsigned -> uint64, floats and complex keep
# theirs) and NumPy's order of operations per element (its bits). Complex sums run as two
# float lanes (real and imaginary parts). dtype= other than that default, out= that is not
# a C-contiguous dc array of the result, a flattened (axis=None) non-C-contiguous array and
# partial overlap of out and a run NumPy's method.

cdef object _scan(int scan, ndarray a, object axis, object dtype, object out):
    cdef int t = a._t, nd = a._ndim, ax = 0, outer, i, parts = 1, to
    cdef Py_ssize_t n, sa, so, m = 1, ia = 0, io = 0, half, lo_a, hi_a, lo_o, hi_o
    cdef Py_ssize_t idx[MAXDIMS]
    cdef _Dims d
    cdef char *pa
    cdef char *po
    cdef ndarray res
    cdef dc_scan_fn f
    if t < 0:
        if (scan != 0 or a._dtype.kind != "c" or not a._dtype.isnative
                or a._itemsize not in (8, 16)):
            return None
        t = DC_T_F4 if a._itemsize == 8 else DC_T_F8
        parts = 2
        rd = a._dtype
    else:
        rd = _result_dtype(DC_R_SUM, t)
    if dtype is not None:
        dt = as_dtype(dtype)
        if dt != rd:
            # another float type: the elements cast into the result, then scanned there in
            # place (NumPy's buffered iterator casts, its loop adds in order: the same bits)
            to = _float_cast(t, dt) if parts == 1 else -1
            if (to >= 0 and to != t and out is None and a._c_contig and a._size > 0
                    and K.scan[scan][to] != NULL and (axis is None or a._ndim == 1
                                                      or type(axis) is int)):
                res = empty_array((a._size,) if axis is None else a.shape, dt, "C")
                with nogil:
                    K.cast[t][to](a._data, a._itemsize, res._data, res._itemsize, a._size)
                return _scan(scan, res, axis, None, res)
            return None
    f = K.scan[scan][t]
    if f == NULL:
        return None
    flat = axis is None
    if flat:
        if nd > 1 and not a._c_contig:
            return None
        shape = (a._size,)
    else:
        try:
            ax = operator_index(axis)
        except TypeError:
            return None
        if ax < -nd or ax >= nd:
            return None                       # NumPy raises its AxisError
        if ax < 0:
            ax += nd
        shape = a.shape
    if out is None:
        res = empty_array(shape, rd, "C")
    else:
        if (type(out) is not ndarray or not (<ndarray>out)._host
                or not (<ndarray>out)._writeable or not (<ndarray>out)._c_contig
                or (<ndarray>out)._dtype != rd or out.shape != shape):
            return None
        res = <ndarray>out
        if a._size and res._data != a._data:  # in place (same layout) is safe, else disjoint
            lo_a, hi_a = byte_span(a)
            lo_o, hi_o = byte_span(res)
            if lo_a < hi_o and lo_o < hi_a:
                return None
        elif a._size and (res._itemsize != a._itemsize or (not flat and res.strides != a.strides)
                          or (flat and not a._c_contig)):
            return None
    if a._size == 0:
        return res
    half = a._itemsize // parts
    if flat or nd == 1:
        n = a._size
        sa = a._strides[0] if nd == 1 else a._itemsize
        so = res._itemsize
        outer = 0
    else:
        n = a._shape[ax]
        sa = a._strides[ax]
        _kept_dims(a, ax, res._itemsize, &d, True)
        so = res._itemsize
        for i in range(nd - 1, ax, -1):
            so *= a._shape[i]
        outer = d.m
        if d.m and (d.sa[d.m - 1] if d.sa[d.m - 1] >= 0 else -d.sa[d.m - 1]) < (
                sa if sa >= 0 else -sa):
            outer = d.m - 1
            m, ia, io = d.n[d.m - 1], d.sa[d.m - 1], d.so[d.m - 1]
        for i in range(outer):
            idx[i] = 0
    if parts == 2:                            # complex: real and imaginary parts as lanes
        if m == 1:
            ia = io = half
        elif ia == a._itemsize and io == res._itemsize:
            ia = io = half
        else:
            return None
        m *= 2
    pa, po = a._data, res._data
    fp_clear()
    while True:
        if n * m < 16384:
            f(pa, sa, ia, po, so, io, n, m)
        else:
            with nogil:
                f(pa, sa, ia, po, so, io, n, m)
        if outer == 0 or not _next(&d, outer, idx, &pa, &po):
            break
    fp_check("accumulate")
    return res


ctypedef fused _scan_t:
    double
    float
    long long
    int
    short
    signed char
    unsigned long long
    unsigned int
    unsigned short
    unsigned char


cdef void _extreme_scan(const _scan_t *x, _scan_t *o, Py_ssize_t s, Py_ssize_t e,
                        bint is_max, bint combine, _scan_t carry) noexcept nogil:
    """NumPy's maximum (minimum) as its loop computes it, a > b (a < b) or a NaN: a,
    else b -- ties to the later operand, the first NaN kept -- run as a scan over
    [s, e): o[i] = op(o[i-1], x[i]) from o[s] = x[s]; combine: o[i] = op(carry, o[i]) over
    [s, e) instead (the scans of the spans before, carried in). The operation is
    associative (the result over a sequence is its first NaN, else its last extreme), so
    the spans scanned apart and combined give the one scan's values, bit for bit."""
    cdef Py_ssize_t i
    cdef _scan_t r, v
    if combine:
        if is_max:
            for i in range(s, e):
                v = o[i]
                o[i] = carry if (carry > v or carry != carry) else v
        else:
            for i in range(s, e):
                v = o[i]
                o[i] = carry if (carry < v or carry != carry) else v
        return
    r = x[s]
    o[s] = r
    if is_max:
        for i in range(s + 1, e):
            v = x[i]
            r = r if (r > v or r != r) else v
            o[i] = r
    else:
        for i in range(s + 1, e):
            v = x[i]
            r = r if (r < v or r != r) else v
            o[i] = r


cdef struct _ScanCtx:
    const char *x
    char *o
    Py_ssize_t n
    int parts
    int t
    bint is_max
    bint combine
    char carry[16 * DC_MAX_CHUNKS]     # span k's carried-in value (combine)


cdef void _scan_span(_ScanCtx *c, Py_ssize_t s, Py_ssize_t e, const char *carry) noexcept nogil:
    cdef int t = c.t
    if t == DC_T_F8:
        _extreme_scan(<const double *>c.x, <double *>c.o, s, e, c.is_max, c.combine,
                      (<const double *>carry)[0])
    elif t == DC_T_F4:
        _extreme_scan(<const float *>c.x, <float *>c.o, s, e, c.is_max, c.combine,
                      (<const float *>carry)[0])
    elif t == DC_T_I8:
        _extreme_scan(<const long long *>c.x, <long long *>c.o, s, e, c.is_max, c.combine,
                      (<const long long *>carry)[0])
    elif t == DC_T_I4:
        _extreme_scan(<const int *>c.x, <int *>c.o, s, e, c.is_max, c.combine,
                      (<const int *>carry)[0])
    elif t == DC_T_I2:
        _extreme_scan(<const short *>c.x, <short *>c.o, s, e, c.is_max, c.combine,
                      (<const short *>carry)[0])
    elif t == DC_T_I1:
        _extreme_scan(<const signed char *>c.x, <signed char *>c.o, s, e, c.is_max,
                      c.combine, (<const signed char *>carry)[0])
    elif t == DC_T_U8:
        _extreme_scan(<const unsigned long long *>c.x, <unsigned long long *>c.o, s, e,
                      c.is_max, c.combine, (<const unsigned long long *>carry)[0])
    elif t == DC_T_U4:
        _extreme_scan(<const unsigned int *>c.x, <unsigned int *>c.o, s, e, c.is_max,
                      c.combine, (<const unsigned int *>carry)[0])
    elif t == DC_T_U2:
        _extreme_scan(<const unsigned short *>c.x, <unsigned short *>c.o, s, e, c.is_max,
                      c.combine, (<const unsigned short *>carry)[0])
    else:
        _extreme_scan(<const unsigned char *>c.x, <unsigned char *>c.o, s, e, c.is_max,
                      c.combine, (<const unsigned char *>carry)[0])


cdef void _scan_task(void *p, Py_ssize_t k, int thread) noexcept nogil:
    cdef _ScanCtx *c = <_ScanCtx *>p
    cdef Py_ssize_t s = c.n * k // c.parts, e = c.n * (k + 1) // c.parts
    if s >= e or (c.combine and k == 0):
        return
    _scan_span(c, s, e, c.carry + 16 * k)


DEF SCAN_MIN = 4096      # elements: below, NumPy's accumulate


cdef object extreme_accumulate(bint is_max, ndarray a, dict kwargs):
    cdef _ScanCtx c
    cdef ndarray r
    cdef int k, nt
    cdef Py_ssize_t isz = a._itemsize, e
    cdef int t = a._t
    # (misaligned data, a view at an odd byte offset: the typed loops assume natural
    # alignment -- gcc's vector peel read from the address rounded down: NumPy's code)
    if (not a._host or a._ndim != 1 or not a._c_contig or a._size < SCAN_MIN
            or (<size_t>a._data) % <size_t>isz != 0
            or not (is_float(t) or is_signed(t) or is_unsigned(t)) or t == DC_T_B1
            or not set(kwargs) <= {"axis", "dtype", "out"} or kwargs.get("dtype") is not None
            or kwargs.get("out") is not None or type(kwargs.get("axis", 0)) is not int
            or kwargs.get("axis", 0) not in (0, -1)):
        return None
    r = empty_array((a._size,), a._dtype, "C")
    c.x, c.o, c.n, c.t, c.is_max = a._data, r._data, a._size, t, is_max
    nt = threads_for_size(a._size * 4, K.reduce_threshold, isz)
    c.parts = nt if nt > 1 else 1
    if c.parts > DC_MAX_CHUNKS:
        c.parts = DC_MAX_CHUNKS
    c.combine = False
    with nogil:
        run_tasks(_scan_task, &c, c.parts, c.parts)
        if c.parts > 1:
            # span k's carry: the scan's value at the end of span k-1, the spans' last
            # values combined in order
            memcpy(c.carry + 16, r._data + (c.n // c.parts - 1) * isz, isz)
            for k in range(2, c.parts):
                e = c.n * k // c.parts - 1          # span k-1's last element
                memcpy(c.carry + 16 * k, c.carry + 16 * (k - 1), isz)
                c.combine = True
                _scan_span(&c, e, e + 1, c.carry + 16 * (k - 1))   # op(carry, last)
                memcpy(c.carry + 16 * k, r._data + e * isz, isz)
            c.combine = True
            run_tasks(_scan_task, &c, c.parts, c.parts)
    fp_clear()       # (NaN comparisons may raise "invalid"; NumPy's maximum reports none)
    return r


cdef object accumulate(int scan, ndarray a, object axis, object dtype, object out):
    """a.cumsum(...) (scan 0) / a.cumprod(...) (scan 1): our kernels (see above), else
    NumPy's method."""
    name = "cumprod" if scan else "cumsum"
    if not a._host:
        return device_function(a, getattr(np, name), (a,),
                               {"axis": axis, "dtype": dtype, "out": out})
    r = _scan(scan, a, axis, dtype, out)
    if r is not None:
        return r
    return _numpy_method(a, name, {"axis": axis, "dtype": dtype, "out": out}, True)


cdef object _numpy_method(ndarray a, str name, dict kw, bint scan=False):
    """NumPy's reduction (or, scan, cumulative) method on a's view: the pool as its
    allocator only where the result can be large (a small input, `out=`, a whole reduction
    or an axis leaving fewer than SMALL_BYTES of result keep NumPy's: the swap, 0.3 us, was
    most of the cost the fallback added, e.g. to `argmin(axis=1)` of 500 x 500)."""
    cdef object axis = kw.get("axis")
    cdef Py_ssize_t ax
    out = kw.get("out")
    if out is not None:
        kw["out"] = to_numpy(out)
    if "where" in kw:
        kw["where"] = to_numpy(kw["where"])
    small = a._size * a._itemsize < SMALL_BYTES or out is not None
    if scan:                                 # cumsum / cumprod: a result of a's size
        pass
    elif axis is None:
        small = True
    elif not small and type(axis) is int:
        ax = <int>axis
        if -a._ndim <= ax < a._ndim:
            ax = ax + a._ndim if ax < 0 else ax
            small = (a._size // (a._shape[ax] if a._shape[ax] else 1)) * 16 < SMALL_BYTES
    if small:
        r = getattr(a._np(), name)(**kw)
    else:
        with numpy_in_pool():
            r = getattr(a._np(), name)(**kw)
    if out is not None:
        return out
    return wrap_result(r)


cdef bint _arg_by_numpy(ndarray a, object axis):
    """An arg-reduction over one axis that NumPy's method does faster than our axis
    machinery (~0.75 us before any work): a small array (NumPy's costs ~0.16 us), or
    bool (its loops stop at the first True / False; ours, _bool_scan_row, after ~0.75 us),
    contiguous rows shorter than ARG_NUMPY_ROWS, 8 or more of them (its loop per row, see
    _reduce_one), an outer axis of ARG_COPY_ROWS to ARG_NUMPY_ROWS elements (its copy
    with the axis last, then that loop; our strided runs read across rows: (300, 3000)
    float32 argmin(axis=0) 0.76x)."""
    cdef int ax, i
    cdef Py_ssize_t nr, s
    if type(axis) is not int or a._ndim == 0 or a._size == 0:
        return False
    if a._size * a._itemsize < ARG_SMALL_BYTES or a._t == DC_T_B1:
        return True               # (bool: NumPy's loops stop at the first True / False)
    ax = axis
    if ax < -a._ndim or ax >= a._ndim:
        return False
    if ax < 0:
        ax += a._ndim
    nr = a._shape[ax]
    if nr >= ARG_NUMPY_ROWS:
        return False
    if a._strides[ax] == a._itemsize:
        return a._size // nr >= 8
    if nr < ARG_COPY_ROWS:
        return False
    s = a._strides[ax] if a._strides[ax] >= 0 else -a._strides[ax]
    for i in range(a._ndim):             # outer: a kept axis more contiguous
        if i != ax and a._shape[i] > 1 and (a._strides[i] if a._strides[i] >= 0
                                            else -a._strides[i]) < s:
            return True
    return False


cdef object argreduction(int kind, str name, ndarray a, object axis, object out,
                          object keepdims):
    if not a._host:
        return device_function(a, getattr(np, name), (a,),
                               {"axis": axis, "out": out, "keepdims": keepdims})
    if a._t >= 0 and out is None and a._c_contig and a._size > 0 and (
            axis is None or (a._ndim == 1 and axis in (0, -1))):
        r = _reduce_full(kind, a)
        if keepdims:
            return wrap_numpy(pooled(np.full, ((1,) * a._ndim, r), {}))
        return r
    if out is None and a._t >= 0 and _arg_by_numpy(a, axis):
        meth = (_np_argmax if kind == DC_R_ARGMAX else _np_argmin)
        if keepdims is False:
            return wrap_result(meth(a._np(), axis))
        return wrap_result(meth(a._np(), axis, keepdims=keepdims))
    if a._t >= 0 and out is None and a._size > 0 and type(axis) is int:
        r = _reduce_axes(kind, a, axis, keepdims)
        if r is not None:
            return r
        if a._ndim and a._size // max(a._shape[axis % a._ndim], 1) * 8 < SMALL_BYTES:
            # NumPy's loop (see _reduce_one) with a small int64 result: NumPy's allocator,
            # not the pool's handler swap (+2-4 us a call)
            return wrap_result(getattr(a._np(), name)(axis=axis, keepdims=keepdims))
    return _numpy_method(a, name, {"axis": axis, "out": out, "keepdims": keepdims})


cdef ndarray _divide_by_count(ndarray r, Py_ssize_t count):
    """r divided in place by the count of the elements summed into each, as NumPy's _mean
    and _var divide: by an intp (float64 division for float32, cast back); float64 by
    float64(count), exact below 2**53: the same bits without the mixed-type path."""
    if r._t == DC_T_F8:
        np.true_divide(r, float(count), out=r)
    else:
        np.true_divide(r, np.intp(count), out=r, casting="unsafe")
    return r


cdef object mean(ndarray a, object axis, object dtype, object out, object keepdims,
                 object where):
    """a.mean(...): float arrays (host) through our sums, as NumPy's _mean computes it;
    bool and integer arrays of up to 4 bytes through our exact int64 sums (no overflow
    below 2**31 elements), converted to float64 and divided by the count: NumPy's float64
    accumulation gives the same bits while its partial sums stay below 2**53 and is
    rounded more often beyond."""
    cdef int t = a._t
    if dtype is not None and t >= 0 and a._host:
        # the mean's own type (float64 of integers, the float's own) changes nothing; a
        # whole float mean in another float type: the sum in that type (reduction's cast
        # buffers), over the count, as NumPy's _mean
        dt = as_dtype(dtype)
        if dt is (type_dtype(t) if is_float(t) else type_dtype(DC_T_F8)):
            dtype = None
        elif (out is None and where is True and axis is None and not keepdims
                and a._c_contig and a._size > 0 and _float_cast(t, dt) >= 0):
            r = reduction(np.add, DC_R_SUM, a, None, dt, None, False, np._NoValue, True)
            return r.dtype.type(r / np.intp(a._size))
    if (dtype is None and out is None and where is True and t >= 0 and not is_float(t)
            and t != DC_T_I8 and t != DC_T_U8 and 0 < a._size < 2147483648 and a._host):
        if axis is None and not keepdims:
            return np.float64(<double>reduction(np.add, DC_R_SUM, a, None, None, None, False,
                                                np._NoValue, True) / <double>a._size)
        r = _reduce_axes(DC_R_SUM, a, axis, keepdims)
        if type(r) is ndarray:
            return np.true_divide(r, np.intp(a._size // (<ndarray>r)._size))
        if r is not None:
            return np.float64(r / np.intp(a._size))
    if (dtype is None and out is None and where is True and is_float(a._t)
            and a._size > 0 and a._host):
        if axis is None and not keepdims:
            return reduction(np.add, DC_R_SUM, a, None, None, None, False, np._NoValue,
                             True) / a._size
        r = _reduce_axes(DC_R_SUM, a, axis, keepdims)
        if r is not None:
            if type(r) is ndarray:
                return _divide_by_count(<ndarray>r, a._size // (<ndarray>r)._size)
            return r.dtype.type(r / np.intp(a._size))
    return a.__getattr__("mean")(axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                                 where=where)


cdef void _sqdev_rows(const _real *a, Py_ssize_t nr, Py_ssize_t m, const _real *mean,
                      _real *o) noexcept nogil:
    """o[j] = sum over rows i, in row order, of (a[i, j] - mean[j]) ** 2 (a C-ordered
    (nr, m) block) in the array's type: NumPy's steps for an outer-axis variance -- the
    difference rounded, its square rounded, added to the column's running sum -- in one
    pass, without the temporaries (built with -ffp-contract=off: no fused multiply-add)."""
    cdef Py_ssize_t i, j
    cdef _real d
    cdef const _real *row
    for j in range(m):
        d = a[j] - mean[j]
        o[j] = d * d
    for i in range(1, nr):
        row = a + i * m
        for j in range(m):
            d = row[j] - mean[j]
            o[j] = o[j] + d * d


# Below this many bytes NumPy's _var is as fast (12 float64 along axis 0: 5.7 us, ours
# 6.9; 1000: 13.9 against 8.5).
DEF VAR_MIN_BYTES = 2048


cdef object var(ndarray a, tuple args, dict kwargs, bint std):
    """a.var(...) / a.std(...) (std: the square root) of a float32 or float64 array as
    NumPy's _var computes it, each step through our kernels: the sum over the axes kept
    as dims divided in place by the count (an intp), the deviations a - mean, squared in
    place, their sum, divided by max(count - ddof, 0) (an int64). The calls programs
    make: the axis (by position or keyword), an int ddof, keepdims; None for any other
    call (dtype=, out=, where=, mean=, correction=, ddof >= the count, arrays below
    VAR_MIN_BYTES), which the method leaves to NumPy's code. NumPy's own runs its
    single-threaded loops (std of 4000 x 200 float64: 1.6 ms along axis 0, 0.57-0.70 ms
    here; 1.5 ms along axis 1, 0.6 ms here). The sums add in NumPy's order, so the
    results are its bits."""
    cdef object axis = None, ddof = 0, keepdims = False, m, x, r, k, axes
    cdef Py_ssize_t count
    cdef int i
    if (not a._host or (a._t != DC_T_F8 and a._t != DC_T_F4)
            or a._size * a._itemsize < VAR_MIN_BYTES or len(args) > 1):
        return None
    if args:
        axis = args[0]
    for key, v in kwargs.items():
        if key == "axis" and not args:
            axis = v
        elif key == "ddof":
            ddof = v
        elif key == "keepdims":
            keepdims = v
        elif (key == "dtype" or key == "out") and v is None:
            pass
        else:
            return None
    if type(ddof) is not int or not (keepdims is True or keepdims is False):
        return None
    axes = _reduced_axes(axis, a._ndim)
    if axes is None:
        return None
    count = 1
    for i in axes:
        count *= a._shape[i]
    if ddof >= count:
        return None                       # NumPy's warning, and its inf / nan
    fp_clear()
    m = _reduce_axes(DC_R_SUM, a, axis, True)
    if type(m) is not ndarray:
        return None
    _fp_check_reduce(DC_R_SUM)           # the sum's overflow, as NumPy's reduce reports it
    _divide_by_count(<ndarray>m, count)
    if a._c_contig and a._ndim >= 2 and a._shape[0] > 1 and axes == (0,):
        # over the outer axis of a C-ordered array: the squared deviations summed in one
        # pass (4000 x 200 float64: ~0.2 ms where the three steps took ~0.7)
        r = empty_array(tuple([a._shape[i] for i in range(1, a._ndim)]), a._dtype, "C")
        fp_clear()
        with nogil:
            if a._t == DC_T_F8:
                _sqdev_rows(<const double *>a._data, a._shape[0], (<ndarray>r)._size,
                            <const double *>(<ndarray>m)._data, <double *>(<ndarray>r)._data)
            else:
                _sqdev_rows(<const float *>a._data, a._shape[0], (<ndarray>r)._size,
                            <const float *>(<ndarray>m)._data, <float *>(<ndarray>r)._data)
        fp_clear()
        if not np.isfinite((<ndarray>r)._np()).all():
            r = None           # an overflow or a NaN: the steps below, with NumPy's reports
        elif keepdims:
            r = (<ndarray>r).reshape((1,) + (<ndarray>r).shape)
    else:
        r = None
    if r is None:
        x = a - m
        np.multiply(x, x, out=x)
        if axis is None and not keepdims:
            r = reduction(np.add, DC_R_SUM, <ndarray>x, None, None, None, False, np._NoValue,
                          True)
        else:
            fp_clear()
            r = _reduce_axes(DC_R_SUM, <ndarray>x, axis, keepdims)
            if r is None:
                return None
            _fp_check_reduce(DC_R_SUM)
    k = np.maximum(np.intp(count) - ddof, 0)
    if type(r) is ndarray:
        np.true_divide(r, k, out=r, casting="unsafe")
        if std:
            np.sqrt(r, out=r)
        return r
    r = r.dtype.type(r / k)
    return r.dtype.type(np.sqrt(r)) if std else r


cdef Py_ssize_t DOT_BLAS_MIN = 1 << 19


def _set_dot_blas_min(Py_ssize_t n):
    """From how many contiguous elements a 1-D float dot may run NumPy's BLAS (see dot);
    returns the previous value. For benchmarks and tests."""
    global DOT_BLAS_MIN
    old = DOT_BLAS_MIN
    DOT_BLAS_MIN = n
    return old


cdef inline Py_ssize_t _flat(const Operand *A, Py_ssize_t itemsize, Py_ssize_t *stride) noexcept:
    """Elements of an operand read as one strided run (vdot flattens its operands): a 1-D
    operand with its stride, a C-contiguous one (0-d included) with its element size; -1
    for any other layout."""
    cdef Py_ssize_t n = 1
    cdef int d
    if A.ndim == 1:
        stride[0] = A.strides[0]
        return A.shape[0]
    if not A.contig:
        return -1
    for d in range(A.ndim):
        n *= A.shape[d]
    stride[0] = itemsize
    return n


cdef object _dot_run(object x, object y, int t, const char *a, Py_ssize_t sa, const char *b,
                     Py_ssize_t sb, Py_ssize_t n):
    """Dot product of n >= 1 elements of float type t: our kernel, or NumPy's BLAS on x
    and y (whose elements these are) where the note below says so."""
    cdef char res[MAX_ITEM]
    cdef int nth
    # Our kernel, on the thread policy's threads (as sum), streams as fast as NumPy's BLAS
    # dot from memory and beats its float32 dot (single-threaded in NumPy's OpenBLAS)
    # (see the README's performance notes). NumPy's BLAS threads from ~1e4 elements with
    # its own pool, whose workers spin for ~0.1 s after each call: after NumPy's own dot
    # calls in this process that pool takes a core from our threads (the policy then runs
    # one), and it is the pool already spinning for BLAS. So from DOT_BLAS_MIN contiguous
    # elements, when other processes leave us every thread but this process's own other
    # threads take one, NumPy's BLAS runs (1e6 float64 dot in `python -m dotcompute
    # --quick`, NumPy timed in the same process: our kernel 0.42-0.54x NumPy, BLAS 1.13x).
    # NumPy's BLAS is not used otherwise: its float64 pool stalls on a core another process
    # keeps busy (vdot at 3e5: 5 ms instead of 60 us with one core loaded).
    nth = effective_num_threads()
    if (n >= DOT_BLAS_MIN and sa == sb == type_size(t) and nth > 1
            and threads_left() < nth and threads_left_by_processes() >= nth):
        return np.dot(to_numpy(x).reshape(-1), to_numpy(y).reshape(-1))
    run_dot(K.dot[t], K.combine[<int>DC_R_SUM][t], a, sa, b, sb, n, res, type_size(t))
    return _scalar_from(res, type_dtype(t))


cdef extern from "dc_matmul.h" nogil:
    void dc_small_matmul_f8(const char *a, Py_ssize_t sam, Py_ssize_t sak, const char *b,
                            Py_ssize_t sbk, Py_ssize_t sbn, double *c, Py_ssize_t m,
                            Py_ssize_t n, Py_ssize_t k)
    void dc_small_matmul_f4(const char *a, Py_ssize_t sam, Py_ssize_t sak, const char *b,
                            Py_ssize_t sbk, Py_ssize_t sbn, float *c, Py_ssize_t m,
                            Py_ssize_t n, Py_ssize_t k)

# The most multiply-adds a product runs in our small loop (dc_matmul.h); above, NumPy's
# matmul (BLAS) is the faster.
DEF SMALL_MATMUL_MACS = 2048


cdef object _small_products(ndarray a, ndarray b):
    """a @ b by our small loop (dc_matmul.h): float64/float32 of one dtype, each product up
    to SMALL_MATMUL_MACS multiply-adds; a a matrix or vector and b a matrix (or a matrix
    and a vector), or either a stack of matrices with the other one matrix or vector or a
    stack of the same batch shape (NumPy's matmul spent ~0.9 us a call in its ufunc and
    BLAS set-up, ~100 ns a 3 x 3 product of a stack). None for anything else (other
    broadcasting, sizes, dtypes, two vectors: the caller's other paths)."""
    cdef ndarray r, s
    cdef Py_ssize_t m, n, k, sam, sak, sbk, sbn, q, nb = 1, oa, ob, osz
    cdef Py_ssize_t shape[MAXDIMS]
    cdef int nba, nbb, nbat, d, nd
    if a._t != b._t or not (a._t == DC_T_F8 or a._t == DC_T_F4):
        return None
    nba = a._ndim - 2 if a._ndim > 2 else 0
    nbb = b._ndim - 2 if b._ndim > 2 else 0
    if (nba and nbb and nba != nbb) or (a._ndim == 1 and (nbb or b._ndim == 1)):
        return None
    s = a if nba else b                  # the stack whose batch shape is the result's
    nbat = nba if nba else nbb
    for d in range(nbat):
        if nba and nbb and a._shape[d] != b._shape[d]:
            return None
        shape[d] = s._shape[d]
        nb *= s._shape[d]
    m = a._shape[a._ndim - 2] if a._ndim >= 2 else 1
    k = a._shape[a._ndim - 1]
    n = b._shape[b._ndim - 1] if b._ndim >= 2 else 1
    if b._shape[b._ndim - 2 if b._ndim >= 2 else 0] != k:
        return None
    if m * n * k > SMALL_MATMUL_MACS or m * n * nb == 0:
        return None
    sam = a._strides[a._ndim - 2] if a._ndim >= 2 else 0
    sak = a._strides[a._ndim - 1]
    sbk = b._strides[b._ndim - 2] if b._ndim >= 2 else b._strides[0]
    sbn = b._strides[b._ndim - 1] if b._ndim >= 2 else 0
    nd = nbat
    if a._ndim >= 2:
        shape[nd] = m
        nd += 1
    if b._ndim >= 2:
        shape[nd] = n
        nd += 1
    r = empty_c(nd, shape, a._t)
    osz = m * n
    fp_clear()
    for q in range(nb):
        oa = stack_offset(a._shape, a._strides, nba, q) if nba else 0
        ob = stack_offset(b._shape, b._strides, nbb, q) if nbb else 0
        if a._t == DC_T_F8:
            dc_small_matmul_f8(a._data + oa, sam, sak, b._data + ob, sbk, sbn,
                               <double *>r._data + q * osz, m, n, k)
        else:
            dc_small_matmul_f4(a._data + oa, sam, sak, b._data + ob, sbk, sbn,
                               <float *>r._data + q * osz, m, n, k)
    fp_check("matmul")                   # NumPy's reports ("... in matmul")
    return r


cdef object matmul2(object x, object y, bint stacks=True):
    """x @ y of two cpu arrays of ours (the operator and dotcompute.matmul without
    keywords): our dot kernel for two float vectors of one dtype; our small loop for float
    matrices, vectors and (stacks) stacks of them (_small_products); NumPy's matmul on
    direct views (its allocator, no pool swap) for other small results of 1-d and 2-d
    operands; None for anything else (the ufunc protocol)."""
    cdef ndarray a, b
    cdef object r
    if type(x) is not ndarray or type(y) is not ndarray:
        return None
    a = <ndarray>x
    b = <ndarray>y
    if not (a._host and b._host and a._ndim and b._ndim):
        return None
    if a._ndim > 2 or b._ndim > 2:
        return _small_products(a, b) if stacks else None
    if a._ndim == 1 and b._ndim == 1:
        if a._t == b._t and is_float(a._t) and a._shape[0] == b._shape[0] and a._shape[0]:
            return _dot_run(a, b, a._t, a._data, a._strides[0], b._data, b._strides[0],
                            a._shape[0])
        return None                  # (a scalar result: NumPy's matmul / dot decide)
    r = _small_products(a, b)
    if r is not None:
        return r
    # the result's bytes decide (NumPy allocates only the result)
    if ((a._shape[0] if a._ndim == 2 else 1) * (b._shape[1] if b._ndim == 2 else 1)
            * (a._itemsize if a._itemsize > b._itemsize else b._itemsize) < SMALL_BYTES):
        return wrap_result(np.matmul(a._np(), b._np()))
    return None


cdef object dot(object x, object y, object out):
    # 1-D float dot products run _dot_run (our kernel, or NumPy's BLAS)
    cdef Operand A, B
    if (out is None and operand_of(x, &A, False) and operand_of(y, &B, False) and A.t == B.t
            and is_float(A.t) and A.ndim == 1 and B.ndim == 1
            and A.shape[0] == B.shape[0] and A.shape[0] > 0):
        return _dot_run(x, y, A.t, A.data, A.strides[0], B.data, B.strides[0], A.shape[0])
    if out is None:
        r = matmul2(x, y, False)     # (for 1-d and 2-d operands dot is matmul)
        if r is not None:
            return r
    with numpy_in_pool():
        r = np.dot(to_numpy(x), to_numpy(y), out=to_numpy(out))
    return out if out is not None else wrap_result(r)


cdef object vdot(object x, object y):
    """np.vdot(x, y) of two cpu arrays (ours or NumPy's) of one float dtype and one size
    whose elements each read as one strided run (1-D, or C-contiguous: vdot flattens):
    _dot_run over them (real operands: no conjugation). None for anything else (NumPy's
    vdot decides: complex conjugation, integers, mixed dtypes, other layouts, errors)."""
    cdef Operand A, B
    cdef Py_ssize_t n, sa = 0, sb = 0
    if not (operand_of(x, &A, False) and operand_of(y, &B, False) and A.t == B.t
            and is_float(A.t)):
        return None
    n = _flat(&A, type_size(A.t), &sa)
    if n <= 0 or _flat(&B, type_size(B.t), &sb) != n:
        return None
    return _dot_run(x, y, A.t, A.data, sa, B.data, sb, n)


cdef object _on_device(ndarray a, str name, int kind, object axis, object dtype, object out,
                       object keepdims, object initial, object where):
    """A reduction of an array on another device: its backend's."""
    kw = {"axis": axis, "out": out, "keepdims": keepdims}
    if kind not in (DC_R_MIN, DC_R_MAX, DC_R_ANY, DC_R_ALL):
        kw["dtype"] = dtype
    if initial is not np._NoValue:
        kw["initial"] = initial
    if where is not True:
        kw["where"] = where
    return device_function(a, getattr(np, name), (a,), kw)
