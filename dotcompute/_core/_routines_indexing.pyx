# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Fancy indexing in C: `a[idx]`, `a[mask]`, `a[idx] = v`, `a[mask] = v`.

The common cases of real code run here, on the array's memory, without a NumPy view or
its mapping iterator: a C-contiguous cpu array indexed on its first axis by a 1-d integer
array (intp / int32: NumPy's index types) or boolean array, or by a boolean mask of its
whole shape; values to assign are Python scalars, converted once as NumPy converts them
(`a[i] = v`), or C-contiguous arrays of the array's dtype and exactly the selected shape
(`z[alive] = z[alive] ** 2 + c[alive]`, `x[idx] = v`). Results are new
C-contiguous pool arrays, as NumPy's. Out-of-bounds indices
raise NumPy's IndexError before anything is written (after the value's conversion errors,
as NumPy orders them). Everything else (other key dtypes
or shapes, tuples of keys, other array values, other layouts) returns None / False and the
caller runs NumPy's indexing.
"""
from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memcpy
cdef extern from "dc_copy.h" nogil:
    void dc_fill_strided(char *o, Py_ssize_t n, Py_ssize_t s, const char *v, int isz)

cimport numpy as cnp

from dotcompute._core._ndarray cimport ndarray, operand_of
from dotcompute._core._dtypes cimport DC_T_B1, DC_T_I4, DC_T_I8
from dotcompute._core._kernel_access cimport (MAXDIMS, MAX_ITEM, Operand, NdIter, Body,
                                              BODY_UNARY, kernel_table, nd_setup, nd_run,
                                              unsafe_overlap, cost_threshold)
from dotcompute._core._kernel_table cimport dc_kernel_table, dc_unary_fn
from dotcompute._core._dtypes cimport DC_COST_CHEAP
from libc.string cimport memset
from dotcompute._core._routines_creation cimport new_array

cnp.import_array()

cdef dc_kernel_table *K = kernel_table()

cdef extern from "numpy/arrayobject.h":
    # NumPy 2 C-API: store a Python value into one element as `a[i] = value` does.
    int PyArray_Pack(cnp.PyArray_Descr *descr, void *item, object value) except -1


cdef bint _key_of(object key, Operand *k) noexcept:
    """k from a bool, int64 or int32 array (dc or numpy; native byte order, aligned) of
    at least one dimension -- an integer key 1-d; False for anything else."""
    if not operand_of(key, k, False) or k.ndim < 1:
        return False
    return k.t == DC_T_B1 or (k.ndim == 1 and (k.t == DC_T_I8 or k.t == DC_T_I4))


cdef inline int64_t _index(Operand *k, Py_ssize_t j) noexcept nogil:
    cdef char *p = k.data + j * k.strides[0]
    if k.t == DC_T_I4:
        return (<int32_t *>p)[0]
    return (<int64_t *>p)[0]


cdef inline int64_t _row_index(Operand *k, Py_ssize_t j, Py_ssize_t n0) noexcept nogil:
    """Index j of the key as a row of an axis of n0 (negative ones from the end; the key
    checked already: _check_indices)."""
    cdef int64_t i = _index(k, j)
    return i + n0 if i < 0 else i


cdef int _check_indices(Operand *k, Py_ssize_t n0) except -1:
    """Every index of the 1-d integer key is within [-n0, n0)."""
    cdef Py_ssize_t j
    cdef int64_t i
    for j in range(k.shape[0]):
        i = _index(k, j)
        if i < -n0 or i >= n0:
            raise IndexError(f"index {i} is out of bounds for axis 0 with size {n0}")
    return 0


cdef Py_ssize_t _row_items(ndarray a) noexcept:
    """Elements in one index of a's first axis."""
    cdef Py_ssize_t n = 1
    cdef int i
    for i in range(1, a._ndim):
        n *= a._shape[i]
    return n


cdef int _mask_kind(ndarray a, Operand *k) noexcept:
    """1: k masks a's first axis (1-d, same length); 2: k masks a's whole shape
    (C-contiguous); 0: neither (NumPy's indexing decides, and raises)."""
    cdef int i
    if k.t != DC_T_B1:
        return 0
    if k.ndim == 1 and k.shape[0] == a._shape[0]:
        return 1
    if k.ndim != a._ndim or not k.contig:
        return 0
    for i in range(k.ndim):
        if k.shape[i] != a._shape[i]:
            return 0
    return 2


cdef Py_ssize_t _count(Operand *k, Py_ssize_t n, bint flat) noexcept nogil:
    """True elements among the first n of a 1-d (strided) or C-contiguous bool key."""
    cdef Py_ssize_t j, i, e, c = 0
    cdef Py_ssize_t step = 1 if flat else k.strides[0]
    cdef const uint8_t *p = <const uint8_t *>k.data
    cdef uint8_t b
    cdef uint32_t c32
    if step == 1:
        # blocks of 255 entries added into a byte, the bytes into 32 bits: loops the
        # compiler vectorizes without widening each entry to 64 bits (that loop took 2.5
        # us for 40000 entries, NumPy's count 1.6)
        j = 0
        while j < n:
            c32 = 0
            e = j + 65280 if n - j > 65280 else n
            while j + 255 <= e:
                b = 0
                for i in range(j, j + 255):
                    b += p[i] != 0
                c32 += b
                j += 255
            for i in range(j, e):
                c32 += p[i] != 0
            j = e
            c += c32
        return c
    for j in range(n):
        c += p[j * step] != 0
    return c


cdef inline void _copy(char *dst, const char *src, Py_ssize_t nbytes) noexcept nogil:
    """nbytes from src to dst: one typed move when both are aligned for it (a row of two
    float32 may sit at a 4-byte offset: typed loads there are undefined behaviour)."""
    cdef size_t both = (<size_t>dst) | (<size_t>src)
    if nbytes == 8 and (both & 7) == 0:
        (<uint64_t *>dst)[0] = (<const uint64_t *>src)[0]
    elif nbytes == 4 and (both & 3) == 0:
        (<uint32_t *>dst)[0] = (<const uint32_t *>src)[0]
    else:
        memcpy(dst, src, nbytes)


cdef object take(ndarray a, object key):
    cdef Operand k
    cdef Py_ssize_t sh[MAXDIMS]
    cdef Py_ssize_t n0, row, rowbytes, j, c, m, step
    cdef int64_t i
    cdef int kind, d
    cdef ndarray r
    cdef char *src
    cdef char *dst
    if not (a._host and a._c_contig and a._ndim >= 1) or not _key_of(key, &k):
        return None
    n0 = a._shape[0]
    row = _row_items(a)
    rowbytes = row * a._itemsize
    if k.t != DC_T_B1:
        sh[0] = k.shape[0]
        for d in range(1, a._ndim):
            sh[d] = a._shape[d]
        r = new_array(a._ndim, sh, a._dtype, False, False)
        src, dst = a._data, r._data
        if (k.t != DC_T_I4 and k.strides[0] == 8 and rowbytes == 8
                and ((<size_t>src) & 7) == 0):
            # int64 indices into 8-byte elements: checked and gathered in one pass (the
            # new array is not seen before it is complete)
            for j in range(k.shape[0]):
                i = (<int64_t *>k.data)[j]
                if i < 0:
                    i += n0
                if <uint64_t>i >= <uint64_t>n0:
                    _check_indices(&k, n0)          # raises NumPy's IndexError
                (<uint64_t *>dst)[j] = (<uint64_t *>src)[i]
            return r
        _check_indices(&k, n0)
        for j in range(k.shape[0]):
            i = _row_index(&k, j, n0)
            _copy(dst + j * rowbytes, src + i * rowbytes, rowbytes)
        return r
    kind = _mask_kind(a, &k)
    if kind == 0:
        return None
    m = n0 if kind == 1 else a._size         # mask elements
    if kind == 2:
        rowbytes = a._itemsize                # one element per mask entry
    c = _count(&k, m, kind == 2)
    sh[0] = c
    if kind == 1:
        for d in range(1, a._ndim):
            sh[d] = a._shape[d]
    r = new_array(a._ndim if kind == 1 else 1, sh, a._dtype, False, False)
    src, dst = a._data, r._data
    step = 1 if kind == 2 else k.strides[0]
    _mask_copy(dst, src, k.data, step, m, rowbytes, c, False)
    return r


cdef inline Py_ssize_t _gather_rows(char *dst, const char *src, const char *mask,
                                    Py_ssize_t step, Py_ssize_t j, Py_ssize_t e,
                                    Py_ssize_t c, Py_ssize_t count,
                                    const Py_ssize_t w) noexcept nogil:
    """Rows j..e-1 of w bytes: each stored at slot c, which advances by its mask entry (no
    branch to mispredict on a mixed mask); the store is always to a slot below count, which
    is reached only once every true entry is in. Inlined with a constant w, the memcpy is
    one or two moves. Returns the next slot."""
    while j < e and c < count:
        memcpy(dst + c * w, src + j * w, w)
        c += mask[j * step] != 0
        j += 1
    return c


cdef inline Py_ssize_t _true_run(const char *mask, Py_ssize_t e, Py_ssize_t m) noexcept nogil:
    """The end of the run of whole all-true 8-entry words of a contiguous mask from e on."""
    cdef uint64_t w
    while e + 8 <= m:
        memcpy(&w, mask + e, 8)
        if w != <uint64_t>0x0101010101010101:
            break
        e += 8
    return e


cdef inline int _mask_words(const char *mask, Py_ssize_t step, Py_ssize_t j, Py_ssize_t m,
                            Py_ssize_t *e) noexcept nogil:
    """The mask entries from j on, 8 at a time where the mask is contiguous: 0, all false
    up to e[0]; 1, all true up to e[0] (a run of whole all-true words); 2, mixed (or a
    strided mask, or the tail): entry by entry up to e[0]."""
    cdef uint64_t w
    e[0] = j + 8
    if step == 1 and e[0] <= m:
        memcpy(&w, mask + j, 8)
        if w == 0:
            return 0
        if w == <uint64_t>0x0101010101010101:
            e[0] = _true_run(mask, e[0], m)
            return 1
    elif e[0] > m:
        e[0] = m
    return 2


cdef inline void _store(char *p, Py_ssize_t count, Py_ssize_t itemsize,
                        const char *value) noexcept nogil:
    """count copies of the itemsize-byte element at value, from p on."""
    cdef Py_ssize_t j
    cdef uint64_t v8, v8b
    cdef uint32_t v4
    cdef uint16_t v2
    if itemsize == 16:
        v8 = (<const uint64_t *>value)[0]
        v8b = (<const uint64_t *>value)[1]
        for j in range(count):
            (<uint64_t *>p)[2 * j] = v8
            (<uint64_t *>p)[2 * j + 1] = v8b
    elif itemsize == 8:
        v8 = (<const uint64_t *>value)[0]
        for j in range(count):
            (<uint64_t *>p)[j] = v8
    elif itemsize == 4:
        v4 = (<const uint32_t *>value)[0]
        for j in range(count):
            (<uint32_t *>p)[j] = v4
    elif itemsize == 2:
        v2 = (<const uint16_t *>value)[0]
        for j in range(count):
            (<uint16_t *>p)[j] = v2
    else:
        for j in range(count):
            p[j] = value[0]


cdef bint put(ndarray a, object key, object value) except -1:
    cdef Operand k
    cdef Py_ssize_t n0, row, rowbytes, j, m, step
    cdef int64_t i
    cdef int kind
    cdef uint64_t buf[2]           # one element (the accelerated dtypes and complex)
    cdef char *v = <char *>buf
    cdef type tv = type(value)
    cdef bint cplx = (a._t < 0 and a._dtype.kind == "c" and a._dtype.isnative
                      and (a._itemsize == 8 or a._itemsize == 16))
    if not (a._host and a._c_contig and a._ndim >= 1 and (a._t >= 0 or cplx)):
        return False
    if (not (tv is float or tv is int or tv is bool or (cplx and tv is complex))
            or not _key_of(key, &k)):
        return False
    buf[0] = buf[1] = 0
    kind = 0 if k.t != DC_T_B1 else _mask_kind(a, &k)
    if k.t == DC_T_B1 and kind == 0:
        return False
    n0 = a._shape[0]
    row = _row_items(a)
    rowbytes = row * a._itemsize
    # NumPy's conversion of a Python scalar, once (OverflowError, NaN into int, ...), then
    # the indices, as NumPy orders its errors
    PyArray_Pack(<cnp.PyArray_Descr *>a._dtype, v, value)
    if kind == 0:
        _check_indices(&k, n0)
    if kind == 0:
        for j in range(k.shape[0]):
            i = _row_index(&k, j, n0)
            _store(a._data + i * rowbytes, row, a._itemsize, v)
    else:
        m = n0 if kind == 1 else a._size
        step = 1 if kind == 2 else k.strides[0]
        if kind == 2:
            row = 1
            rowbytes = a._itemsize
        if row == 1:
            _fill_masked(a._data, k.data, step, m, a._itemsize, v)
        else:
            for j in range(m):
                if k.data[j * step]:
                    _store(a._data + j * rowbytes, row, a._itemsize, v)
    return True


cdef void _fill_masked(char *dst, const char *mask, Py_ssize_t step, Py_ssize_t m,
                       Py_ssize_t w, const char *value) noexcept nogil:
    """dst's elements (w bytes) whose mask entry is true become value: a contiguous mask
    read 8 entries at a time (an all-false word skipped, a run of all-true words one fill),
    a mixed word by a bit select per element (a branch per element ran at 0.88x NumPy's
    `x[m] = 1` on a random mask of 40000)."""
    cdef Py_ssize_t j = 0, e
    cdef int kind
    while j < m:
        kind = _mask_words(mask, step, j, m, &e)
        if kind == 0:
            j = e
            continue
        if kind == 1:
            _store(dst + j * w, e - j, w, value)
            j = e
            continue
        if step == 1 and e - j == 8 and K.mask_fill != NULL:
            K.mask_fill(dst, value, mask + j, j, <int>w)     # masked stores (dc_mask.h)
        else:
            # a bit select per element: the scatter of a mixed word from a source of one
            # row (count 1: every true entry takes row 0, the value); w is 1, 2, 4, 8 or 16
            _mixed_rows(dst, value, mask, step, j, e, 0, 1, w, True)
        j = e


cdef inline Py_ssize_t _scatter_rows(char *dst, const char *src, const char *mask,
                                     Py_ssize_t step, Py_ssize_t j, Py_ssize_t e,
                                     Py_ssize_t c, Py_ssize_t last,
                                     const Py_ssize_t w) noexcept nogil:
    """Rows j..e-1 of w bytes: each row of dst becomes src's row c where its mask entry is
    true and keeps its own bits where it is false, by a bit select (no branch to
    mispredict on a mixed mask: a branch per row ran at 0.7-0.85x NumPy's assignment on
    random masks); c advances by the entry and is read at most at `last` (the last
    source row). Returns the next source row."""
    cdef uint64_t sel, x0, x1, y0, y1
    cdef uint32_t x4, y4
    cdef uint16_t x2, y2
    cdef Py_ssize_t cc
    while j < e:
        sel = 0 - <uint64_t>(mask[j * step] != 0)
        cc = c if c < last else last
        if w == 16:
            memcpy(&x0, src + cc * 16, 8)
            memcpy(&x1, src + cc * 16 + 8, 8)
            memcpy(&y0, dst + j * 16, 8)
            memcpy(&y1, dst + j * 16 + 8, 8)
            x0 = (x0 & sel) | (y0 & ~sel)
            x1 = (x1 & sel) | (y1 & ~sel)
            memcpy(dst + j * 16, &x0, 8)
            memcpy(dst + j * 16 + 8, &x1, 8)
        elif w == 8:
            memcpy(&x0, src + cc * 8, 8)
            memcpy(&y0, dst + j * 8, 8)
            x0 = (x0 & sel) | (y0 & ~sel)
            memcpy(dst + j * 8, &x0, 8)
        elif w == 4:
            memcpy(&x4, src + cc * 4, 4)
            memcpy(&y4, dst + j * 4, 4)
            x4 = (x4 & <uint32_t>sel) | (y4 & ~<uint32_t>sel)
            memcpy(dst + j * 4, &x4, 4)
        elif w == 2:
            memcpy(&x2, src + cc * 2, 2)
            memcpy(&y2, dst + j * 2, 2)
            x2 = (x2 & <uint16_t>sel) | (y2 & ~<uint16_t>sel)
            memcpy(dst + j * 2, &x2, 2)
        else:
            dst[j] = <char>((<uint8_t>src[cc] & <uint8_t>sel)
                            | (<uint8_t>dst[j] & ~<uint8_t>sel))
        c += <Py_ssize_t>(sel & 1)
        j += 1
    return c


cdef inline Py_ssize_t _rows(char *dst, const char *src, const char *mask, Py_ssize_t step,
                             Py_ssize_t j, Py_ssize_t e, Py_ssize_t c, Py_ssize_t count,
                             const Py_ssize_t w, bint scatter) noexcept nogil:
    """_gather_rows or _scatter_rows (inlined with a constant w)."""
    if scatter:
        return _scatter_rows(dst, src, mask, step, j, e, c, count - 1, w)
    return _gather_rows(dst, src, mask, step, j, e, c, count, w)


cdef inline Py_ssize_t _mixed_rows(char *dst, const char *src, const char *mask,
                                   Py_ssize_t step, Py_ssize_t j, Py_ssize_t e,
                                   Py_ssize_t c, Py_ssize_t count, Py_ssize_t rowbytes,
                                   bint scatter) noexcept nogil:
    """Rows j..e-1 under a mixed mask word: _rows with the common row sizes as constants,
    a branch per row for the others. Returns the next packed row."""
    if rowbytes == 16: return _rows(dst, src, mask, step, j, e, c, count, 16, scatter)
    if rowbytes == 8: return _rows(dst, src, mask, step, j, e, c, count, 8, scatter)
    if rowbytes == 4: return _rows(dst, src, mask, step, j, e, c, count, 4, scatter)
    if rowbytes == 2: return _rows(dst, src, mask, step, j, e, c, count, 2, scatter)
    if rowbytes == 1: return _rows(dst, src, mask, step, j, e, c, count, 1, scatter)
    while j < e:
        if mask[j * step]:
            if scatter:
                memcpy(dst + j * rowbytes, src + c * rowbytes, rowbytes)
            else:
                memcpy(dst + c * rowbytes, src + j * rowbytes, rowbytes)
            c += 1
        j += 1
    return c


cdef void _mask_copy(char *dst, const char *src, const char *mask, Py_ssize_t step,
                     Py_ssize_t m, Py_ssize_t rowbytes, Py_ssize_t count,
                     bint scatter) noexcept nogil:
    """Gather (scatter False): the count rows of src whose mask entry is true, packed into
    dst; scatter: the rows of dst whose entry is true get src's count rows in order. A
    contiguous mask is read 8 entries at a time: an all-false word is skipped, a run of
    all-true words is one copy (NumPy's run-wise copy; a memcpy per 8 rows took 1.3x
    NumPy's time on the runs of a Mandelbrot set's mask), a mixed word goes row by row
    (_mixed_rows: a memcpy call with a branch per row took 4x NumPy's time on a complex128
    mask). The entries after the count-th true are false: the walk ends there."""
    cdef Py_ssize_t j = 0, c = 0, e
    cdef int kind
    if (step == 1 and K.mask_copy != NULL
            and (rowbytes == 4 or rowbytes == 8 or rowbytes == 16)):
        j = K.mask_copy(dst, src, mask, m, <int>rowbytes, &c, count, scatter)  # dc_mask.h
    while j < m and c < count:
        kind = _mask_words(mask, step, j, m, &e)
        if kind == 0:
            j = e
            continue
        if kind == 1:
            if scatter:
                memcpy(dst + j * rowbytes, src + c * rowbytes, (e - j) * rowbytes)
            else:
                memcpy(dst + c * rowbytes, src + j * rowbytes, (e - j) * rowbytes)
            c += e - j
            j = e
            continue
        c = _mixed_rows(dst, src, mask, step, j, e, c, count, rowbytes, scatter)
        j = e


cdef bint _rows_of(ndarray a, ndarray v, Py_ssize_t c) noexcept:
    """v has the shape of c rows of a: (c,) + a.shape[1:]."""
    cdef int d
    if v._ndim != a._ndim or v._shape[0] != c:
        return False
    for d in range(1, a._ndim):
        if v._shape[d] != a._shape[d]:
            return False
    return True


cdef inline bint _overlaps(ndarray a, const char *p, Py_ssize_t nbytes) noexcept:
    cdef const char *lo = a._data
    return p < lo + a._size * a._itemsize and p + nbytes > lo


cdef bint put_array(ndarray a, object key, ndarray v) except -1:
    """`a[key] = v` for a boolean mask of a's first axis or of its whole shape, or a 1-d
    integer key of its first axis, and a C-contiguous cpu array v of a's dtype with exactly
    the selected shape (NumPy's `(count,) + a.shape[1:]`), neither sharing memory with a.
    Integer keys are checked first (NumPy's IndexError, nothing written) and written in
    order (a repeated index keeps its last value, as NumPy's assignment does). False for
    anything else (a broadcast value, another dtype, a count that does not match: NumPy's
    assignment, and its errors)."""
    cdef Operand k
    cdef Py_ssize_t m, c, j, step, rowbytes, n0
    cdef int64_t i
    cdef int kind
    if not (a._host and a._c_contig and a._ndim >= 1 and v._host and v._c_contig):
        return False
    if not (v._dtype is a._dtype or v._dtype == a._dtype) or not _key_of(key, &k):
        return False
    if _overlaps(a, v._data, v._size * v._itemsize):
        return False                            # v overlaps a: NumPy's order of copies
    n0 = a._shape[0]
    if k.t != DC_T_B1:                          # integer indices of the first axis
        c = k.shape[0]
        if not _rows_of(a, v, c) or k.strides[0] < 0 or _overlaps(a, k.data,
                                                                   c * k.strides[0]):
            return False
        _check_indices(&k, n0)
        rowbytes = _row_items(a) * a._itemsize
        for j in range(c):
            i = _row_index(&k, j, n0)
            _copy(a._data + i * rowbytes, v._data + j * rowbytes, rowbytes)
        return True
    kind = _mask_kind(a, &k)
    if kind == 0:
        return False
    m = n0 if kind == 1 else a._size
    step = 1 if kind == 2 else k.strides[0]
    if step < 0 or _overlaps(a, k.data, m * step):
        return False                            # the mask overlaps a
    c = _count(&k, m, kind == 2)
    if kind == 2:
        if v._ndim != 1 or v._shape[0] != c:
            return False
        rowbytes = a._itemsize
    else:
        if not _rows_of(a, v, c):
            return False
        rowbytes = _row_items(a) * a._itemsize
    if c:
        _mask_copy(a._data, v._data, k.data, step, m, rowbytes, c, True)
    return True


cdef bint assign_region(ndarray a, char *data, int nd, Py_ssize_t *shape,
                        Py_ssize_t *strides, object value) except -1:
    cdef Operand V, R
    cdef Operand *ops[2]
    cdef NdIter it
    cdef Body b
    cdef dc_unary_fn copy
    if a._t < 0 or not a._host:
        return False
    copy = K.cast[a._t][a._t]
    if copy == NULL:
        return False
    R.data = data
    R.t = a._t
    R.ndim = nd
    R.shape = shape
    R.strides = strides
    R.is_scalar = False
    R.contig = False
    if operand_of(value, &V, False):
        if V.t != a._t or V.ndim > nd or unsafe_overlap(&V, &R, nd, shape):
            return False                     # casts, extra dimensions, overlap: NumPy's
    elif cnp.PyArray_IsAnyScalar(value):
        memset(V.value, 0, MAX_ITEM)
        PyArray_Pack(<cnp.PyArray_Descr *>a._dtype, V.value, value)   # NumPy's conversion
        V.data = V.value
        V.t = a._t
        V.ndim = 0
        V.is_scalar = True
    else:
        return False
    if V.is_scalar and nd == 1 and strides[0] != a._itemsize and shape[0] > 0:
        with nogil:
            dc_fill_strided(data, shape[0], strides[0], V.value, <int>a._itemsize)
        return True
    ops[0] = &V
    ops[1] = &R
    if not nd_setup(&it, 2, ops, nd, shape):
        return False                         # does not broadcast: NumPy raises
    if it.size == 0:
        return True
    memset(&b, 0, sizeof(b))
    b.kind = BODY_UNARY
    b.nin = 1
    b.fn = <void *>copy
    nd_run(&it, &b, cost_threshold(DC_COST_CHEAP))
    return True
