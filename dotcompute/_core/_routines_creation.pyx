# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Creation routines: `empty`, `zeros`, `ones`, `full`, `*_like`, `asarray`, `array`,
`arange`, `linspace`, `eye`, `identity`.

Every public function takes `device=`: the cpu (the default) allocates from the memory
pool here; another device's arrays come from its backend (`_device.backend`).
"""
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.object cimport PyObject
from cpython.long cimport (PyLong_AsLongLongAndOverflow, PyLong_AsDouble, PyLong_CheckExact,
                           PyLong_AsLongLong)
from cpython.exc cimport PyErr_Occurred, PyErr_Clear
from cpython.tuple cimport PyTuple_GET_SIZE, PyTuple_GET_ITEM
from libc.stdint cimport uint16_t, uint32_t, uint64_t
from libc.string cimport memcpy, memset
cdef extern from "dc_copy.h" nogil:
    void dc_copy_bytes(char *dst, const char *src, size_t n)   # memmove, minus Zen's slow offsets
from libc.math cimport ceil, signbit

cimport numpy as cnp
from dotcompute._core._memory cimport (DeviceMemory, dc_malloc, dc_calloc,
                                       dc_calloc_by_caller)
from dotcompute._core._kernel_access cimport MAXDIMS, MAX_ITEM, run_fill
from dotcompute._core._dtypes cimport type_index, type_dtype, canonical_info, DC_T_U8
from dotcompute._core._ndarray cimport (ndarray, wrap_numpy, to_numpy, to_numpy_nested,
                                        shape_tuple, format_of, alloc_layout, SMALL_BYTES)

import numpy as np

from dotcompute._core._device import CPU, as_device, backend
from dotcompute._core._memory import PoolScope as numpy_in_pool

DEF SHORT_LIST = 32          # lists of scalars up to this length: NumPy's array() directly

cnp.import_array()

cdef extern from *:
    """
    static inline int dc_mul_overflows(Py_ssize_t a, Py_ssize_t b, Py_ssize_t *r) {
        return __builtin_mul_overflow(a, b, r);
    }
    """
    # *r = a * b; true when that overflows Py_ssize_t (no division per extent)
    bint mul_overflows "dc_mul_overflows" (Py_ssize_t a, Py_ssize_t b,
                                           Py_ssize_t *r) noexcept nogil

cdef extern from "Python.h":
    # -1 with an error set for what does not fit (the caller clears it and takes the
    # general path)
    Py_ssize_t ssize_or_error "PyLong_AsSsize_t" (object) noexcept

cdef extern from "numpy/arrayobject.h":
    bint PyDataType_REFCHK(cnp.PyArray_Descr *)      # the dtype holds Python objects
    # NumPy 2 C-API: store a Python value into one element as `a[i] = value` does.
    int PyArray_Pack(cnp.PyArray_Descr *descr, void *item, object value) except -1

cdef object _FLOAT64 = np.dtype(np.float64)
cdef object _INT64 = np.dtype(np.int64)
cdef object _BOOL = np.dtype(np.bool_)
cdef type _NP_FLOAT64 = np.float64


cdef ndarray _new_subarray(int nd, Py_ssize_t *shape, object dtype, bint fortran,
                          bint zeroed):
    """A subarray dtype ('(2,)f8') as NumPy creates it: its extents appended to the
    shape, the array of its base dtype."""
    cdef Py_ssize_t sh[MAXDIMS]
    cdef int i
    base, sub = dtype.subdtype
    if nd + len(sub) > MAXDIMS:
        raise ValueError(f"maximum supported dimension for an ndarray is currently "
                         f"{MAXDIMS}, found {nd + len(sub)}")
    for i in range(nd):
        sh[i] = shape[i]
    for i in range(len(sub)):
        sh[nd + i] = sub[i]
    return new_array(nd + len(sub), sh, base, fortran, zeroed)


cdef ndarray new_array(int nd, Py_ssize_t *shape, object dtype, bint fortran,
                       bint zeroed):
    """A new cpu array of nd extents (each >= 0) of dtype (a numpy.dtype) in pool memory,
    C- or Fortran-ordered; zeroed: every byte reads as zero. The layout is filled in
    directly (no Python-level construction)."""
    cdef ndarray r
    cdef Py_ssize_t itemsize = (<cnp.dtype>dtype).itemsize, n = 1, s
    cdef Py_ssize_t nonzero = 1       # NumPy checks the product of the non-zero extents
    cdef int i, num
    cdef DeviceMemory mem
    if nd > MAXDIMS:
        raise ValueError(f"maximum supported dimension for an ndarray is currently "
                         f"{MAXDIMS}, found {nd}")
    cdef int t = -1
    cdef PyObject *fmt = NULL
    num = canonical_info(dtype, &t, &fmt)
    if num < 0 and dtype.subdtype is not None:
        return _new_subarray(nd, shape, dtype, fortran, zeroed)
    if num < 0 and PyDataType_REFCHK(<cnp.PyArray_Descr *>dtype):
        raise TypeError("dotcompute arrays cannot hold Python objects (dtype=object)")
    for i in range(nd):
        s = shape[i]
        if s < 0:
            raise ValueError("negative dimensions are not allowed")
        if s and mul_overflows(nonzero, s, &nonzero):
            raise ValueError("array is too big; `arr.size * arr.dtype.itemsize` is larger "
                             "than the maximum possible size.")
        n *= s
    if mul_overflows(nonzero, itemsize, &s):
        raise ValueError("array is too big; `arr.size * arr.dtype.itemsize` is larger than "
                         "the maximum possible size.")
    cdef int dirty = 0
    if not zeroed:
        mem = dc_malloc(<size_t>(n * itemsize))
    elif n * itemsize < SMALL_BYTES:
        mem = dc_calloc(<size_t>(n * itemsize))
    else:
        # a reused block whose pages are in memory is cleared here, on the thread policy's
        # threads (zeros(1e6) + first touch: one thread's memset was the larger half)
        mem = dc_calloc_by_caller(<size_t>(n * itemsize), &dirty)
        if dirty:
            _clear(mem.ptr_, n * itemsize)
    r = ndarray.__new__(ndarray)
    r._mem = mem
    r._data = mem.ptr_
    r._dtype = dtype
    if num >= 0:
        r._t = t
        r._format = <bytes>fmt
    else:
        r._t = type_index(dtype)
        r._format = format_of(dtype)
    r._itemsize = itemsize
    r._base = None
    alloc_layout(r, nd)
    r._size = n
    s = itemsize if n else 0          # a new empty array has zero strides (as NumPy's)
    if fortran:
        for i in range(nd):
            r._shape[i] = shape[i]
            r._strides[i] = s
            s *= shape[i]
    else:
        for i in range(nd - 1, -1, -1):
            r._shape[i] = shape[i]
            r._strides[i] = s
            s *= shape[i]
    # contiguity as NumPy defines it: an array with at most one extent other than 1 (or
    # with no elements) is both
    s = 0
    for i in range(nd):
        if shape[i] != 1:
            s += 1
    r._c_contig = not fortran or s <= 1 or n == 0
    r._f_contig = fortran or s <= 1 or n == 0
    return r


cdef uint64_t _ZERO8 = 0


cdef void _clear(char *p, Py_ssize_t nbytes) noexcept:
    """memset(p, 0, nbytes) for large blocks: 8-byte words on threads_for's threads."""
    cdef Py_ssize_t words = nbytes // 8
    run_fill(p, words, <const char *>&_ZERO8, DC_T_U8)
    memset(p + 8 * words, 0, nbytes - 8 * words)


cdef ndarray empty_array(tuple shape, object dtype, str order):
    cdef Py_ssize_t sh[MAXDIMS]
    cdef int nd = len(shape), i
    if nd > MAXDIMS:
        raise ValueError(f"maximum supported dimension for an ndarray is currently "
                         f"{MAXDIMS}, found {nd}")
    for i in range(nd):
        sh[i] = shape[i]
    return new_array(nd, sh, dtype, order == "F", False)


cdef ndarray empty_c(int nd, const Py_ssize_t *shape, int t):
    return new_array(nd, <Py_ssize_t *>shape, type_dtype(t), False, False)


cdef ndarray copy(ndarray a, str order):
    cdef ndarray r
    if not a._host:
        return backend(a._dev).copy_to(a, a._dev)
    cdef bint fortran = a._f_contig and (order == "F" or (
        not a._c_contig and (order == "K" or order == "A")))
    if (a._c_contig and not fortran and order != "F") or fortran:
        # one block: the layout filled in C (no shape tuple), the bytes copied as they lie
        r = new_array(a._ndim, a._shape, a._dtype, fortran, False)
        if a._size:
            dc_copy_bytes(r._data, a._data, a._size * a._itemsize)
        return r
    r = empty_array(a.shape, a._dtype, "F" if order == "F" else "C")
    np.copyto(r._np(), a._np())
    return r


cdef object pooled(object f, tuple args, dict kwargs):
    with numpy_in_pool():
        arr = f(*args, **kwargs)
    if arr.dtype.hasobject:
        raise TypeError("dotcompute arrays cannot hold Python objects (dtype=object)")
    return arr


cdef object _on_device(object numpy_array, object dev):
    """A host result as a dc array on dev (wrapped without a copy on the cpu)."""
    if dev is CPU:
        return wrap_numpy(numpy_array)
    return backend(dev).from_host(numpy_array, dev)


cdef object _np_array = np.array


cdef bint _short_scalars(object a):
    """a is a list or tuple of at most SHORT_LIST Python or NumPy scalars, or of at most
    SHORT_LIST such lists or tuples (a small matrix written out: `np.array([[c, -s], [s,
    c]])`, which took 3.1 us through the general path against NumPy's 1.7)."""
    cdef object x, y
    if type(a) is not list and type(a) is not tuple:
        return False
    if len(a) > SHORT_LIST:
        return False
    for x in a:
        if cnp.PyArray_IsAnyScalar(x):
            continue
        if (type(x) is not list and type(x) is not tuple) or len(x) > SHORT_LIST:
            return False
        for y in x:
            if not cnp.PyArray_IsAnyScalar(y):
                return False
    return True


cdef object _numpy_short_array(object a, object dtype):
    """numpy.array(a, dtype) of a short list of scalars (or of short rows of them) that
    _scalar_list does not take: NumPy's array() in NumPy's own memory (a pool allocation
    and the handler swap cost more than such an array), wrapped."""
    cdef cnp.ndarray arr = _np_array(a, dtype)
    if PyDataType_REFCHK(cnp.PyArray_DESCR(arr)):
        raise TypeError("dotcompute arrays cannot hold Python objects (dtype=object)")
    return wrap_numpy(arr)


cdef inline int _scalar_kind(object x, int kind) noexcept:
    """Fold element x into a list's kind: 1 ints (int64 range) so far, 2 floats (Python
    floats, np.float64) or ints, -1 anything else (NumPy's own conversion)."""
    cdef int ovf = 0
    if type(x) is float or type(x) is _NP_FLOAT64:
        return 2
    if type(x) is int:
        PyLong_AsLongLongAndOverflow(x, &ovf)
        return -1 if ovf else kind
    return -1


cdef object _scalar_list(object a):
    """np.array(a) of a list or tuple of Python floats, np.float64 scalars and Python ints
    (int64 range), or of equally long lists/tuples of them (rows), written into a pool
    array directly: float64 when any element is a float (ints as float() converts them),
    else int64, as NumPy's discovery gives. None for anything else. NumPy's array() behind
    our allocator and the nested walk cost 2x NumPy's time from 50 elements (0.46x at 50,
    0.76x at 10,000: `np.array(results)` after a loop)."""
    cdef Py_ssize_t n = len(a), m = -1, i, j
    cdef int kind = 1, ndim = 1
    cdef object row, x
    cdef Py_ssize_t shape[2]
    cdef ndarray r
    if n == 0:
        return None
    x = a[0]
    if type(x) is list or type(x) is tuple:
        ndim = 2
        m = len(x)
        if m == 0:
            return None
        for i in range(n):
            row = a[i]
            if (type(row) is not list and type(row) is not tuple) or len(row) != m:
                return None
            for j in range(m):
                kind = _scalar_kind(row[j], kind)
                if kind < 0:
                    return None
    else:
        for i in range(n):
            kind = _scalar_kind(a[i], kind)
            if kind < 0:
                return None
    shape[0] = n
    shape[1] = m
    r = new_array(ndim, shape, _FLOAT64 if kind == 2 else _INT64, False, False)
    if ndim == 1:
        for i in range(n):
            _put_scalar(a[i], kind == 2, r._data, i)
    else:
        for i in range(n):
            row = a[i]
            for j in range(m):
                _put_scalar(row[j], kind == 2, r._data, i * m + j)
    return r


cdef inline void _put_scalar(object x, bint floats, char *data, Py_ssize_t k):
    """Element k of a float64 (floats; ints as float() converts them, correctly rounded
    as PyLong_AsDouble) or int64 array from a scalar _scalar_kind accepted."""
    if floats:
        (<double *>data)[k] = PyLong_AsDouble(x) if type(x) is int else PyFloat_AS_DOUBLE(x)
    else:
        (<long long *>data)[k] = PyLong_AsLongLong(x)


cdef object _from_scalars(object a, object dtype):
    """array(a, dtype) of a list or tuple of scalars (or of rows of them) on the direct
    paths above; None for anything else."""
    cdef object r = None
    if dtype is None and (type(a) is list or type(a) is tuple):
        r = _scalar_list(a)
    if r is None and _short_scalars(a):
        r = _numpy_short_array(a, dtype)
    return r


cdef object _copy_numpy(cnp.ndarray a, object dtype, object order):
    """A copy of NumPy array `a` in pool memory as np.array(a, dtype, order, copy=True)
    makes it, written straight into a new array (no allocator swap, no second wrapper:
    about 0.5 us for a small array instead of 2-3 us), for an aligned contiguous array of
    a numeric dtype in native byte order whose layout the order keeps; None otherwise (the
    general path)."""
    cdef int flags = cnp.PyArray_FLAGS(a), nd = cnp.PyArray_NDIM(a)
    cdef cnp.dtype d = <cnp.dtype><object>cnp.PyArray_DESCR(a)
    cdef bint c = (flags & cnp.NPY_ARRAY_C_CONTIGUOUS) != 0
    cdef bint f = (flags & cnp.NPY_ARRAY_F_CONTIGUOUS) != 0
    cdef bint fortran
    cdef Py_ssize_t nbytes
    cdef ndarray r
    if (not (flags & cnp.NPY_ARRAY_ALIGNED) or nd > MAXDIMS or not (c or f)
            or d.type_num > cnp.NPY_CLONGDOUBLE or d.byteorder == c'>'):
        return None
    if dtype is not None and dtype is not d and sized_dtype(dtype) != d:
        return None
    if order is None or order == "K" or order == "A":
        fortran = f and not c
    elif order == "C" and c:
        fortran = False
    elif order == "F" and f:
        fortran = True
    else:
        return None
    r = new_array(nd, <Py_ssize_t *>cnp.PyArray_DIMS(a), d, fortran, False)
    nbytes = r._size * r._itemsize
    if nbytes >= SMALL_BYTES:
        with nogil:
            dc_copy_bytes(r._data, <char *>cnp.PyArray_DATA(a), nbytes)
    elif nbytes:
        memcpy(r._data, cnp.PyArray_DATA(a), nbytes)
    return r


cdef object _view_numpy(cnp.ndarray a, object dtype, object order):
    """A dc array over NumPy array `a`'s own memory, as np.asarray(a, dtype, order) returns
    `a` itself when it needs no conversion: writes through either show in both (a
    read-only `a` stays read-only); None when a copy is needed or `a` holds Python
    objects."""
    cdef int flags = cnp.PyArray_FLAGS(a)
    cdef cnp.dtype d = <cnp.dtype><object>cnp.PyArray_DESCR(a)
    if cnp.PyArray_NDIM(a) > MAXDIMS or PyDataType_REFCHK(<cnp.PyArray_Descr *>d):
        return None
    if dtype is not None and dtype is not d and sized_dtype(dtype) != d:
        return None
    if not (order is None or order == "K" or order == "A"
            or (order == "C" and flags & cnp.NPY_ARRAY_C_CONTIGUOUS)
            or (order == "F" and flags & cnp.NPY_ARRAY_F_CONTIGUOUS)):
        return None
    return wrap_numpy(a)


def asarray(a, dtype=None, order=None, *, copy=None, device=None, like=None):
    """Convert the input to a dotcompute array: no copy when it already is one, or when it
    is a NumPy array that needs no conversion (the array then views its memory, as
    NumPy's asarray returns the array itself)."""
    cdef ndarray r
    if type(a) is cnp.ndarray and device is None and copy is not False:
        if copy is None:
            res = _view_numpy(<cnp.ndarray>a, dtype, order)
            if res is not None:
                return res
        res = _copy_numpy(<cnp.ndarray>a, dtype, order)
        if res is not None:
            return res
    if device is None and order is None and copy is not False:
        res = _from_scalars(a, dtype)
        if res is not None:
            return res
    dev = CPU if device is None else as_device(device)
    if type(a) is ndarray:
        r = <ndarray>a
        if device is None:
            dev = r._dev
        if r._dev is not dev:
            if copy is False:
                raise ValueError("Unable to avoid copy while creating an array as "
                                 "requested.")
            return asarray(r.to_device(dev), dtype=dtype, order=order)
        if (dtype is None or np.dtype(dtype) == r._dtype) and (
                order in (None, "K", "A") or (order == "C" and r._c_contig)
                or (order == "F" and r._f_contig)):
            return r.copy() if copy else r
        if copy is False:
            raise ValueError("Unable to avoid copy while creating an array as requested.")
        if not r._host:
            return backend(dev).from_host(np.asarray(r._np(), dtype=dtype, order=order), dev)
        return wrap_numpy(pooled(np.array, (r._np(),), dict(
            dtype=dtype, order=order or "K", copy=True)))
    if dev is not CPU:
        return backend(dev).from_host(np.asarray(to_numpy_nested(a), dtype=dtype,
                                                 order=order), dev)
    if copy is False:
        return wrap_numpy(np.asarray(a, dtype=dtype, order=order, copy=False))
    return wrap_numpy(pooled(np.array, (to_numpy_nested(a),), dict(
        dtype=dtype, order=order or "K", copy=True)))


def array(object a, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, like=None,
          device=None):
    """numpy.array for dotcompute: a copy in pool memory unless copy=False/None allows a
    view."""
    if (type(a) is cnp.ndarray and device is None and copy is not False
            and ndmin <= cnp.PyArray_NDIM(<cnp.ndarray>a)):
        res = _copy_numpy(<cnp.ndarray>a, dtype, order)
        if res is not None:
            return res
    if device is None and ndmin == 0 and copy is not False and order == "K":
        res = _from_scalars(a, dtype)
        if res is not None:
            return res
    if device is not None and as_device(device) is not CPU:
        return asarray(np.array(to_numpy_nested(a), dtype=dtype, order=order, ndmin=ndmin),
                       device=device)
    if type(a) is ndarray and copy is not True and ndmin <= (<ndarray>a)._ndim:
        return asarray(a, dtype=dtype, order=None if order == "K" else order, copy=copy)
    if copy is False:
        return wrap_numpy(np.array(to_numpy_nested(a), dtype=dtype, copy=False,
                                   order=order, ndmin=ndmin))
    return wrap_numpy(pooled(np.array, (to_numpy_nested(a),), dict(
        dtype=dtype, copy=True, order=order, ndmin=ndmin)))


cdef dict _SIZED = {}          # dtype argument (a scalar type or a str) -> its sized dtype
DEF SIZED_MAX = 256           # entries _SIZED keeps at most
cdef tuple _BUILTIN_TYPES = (int, float, complex, bool, str, bytes, object)
cdef frozenset _BUILTIN_NAMES = frozenset(("float", "int", "complex", "bool"))


cdef object sized_dtype(object dtype):
    """np.dtype(dtype), an unsized string dtype (str, 'S', 'U') given one character as
    NumPy's creation functions do. A dtype object is taken as it is; a scalar type
    (np.float32, int) or a string naming a dtype by one of its own names ("float32",
    "f4", "<f4", "f") is looked up in _SIZED, filled on first use with what np.dtype made
    of it (np.dtype cost ~0.25 us a call, as much as creating a small array). Other
    arguments, as a deprecated alias ('a', which warns on every use as NumPy's does) or a
    class with a `dtype` attribute, go to np.dtype each time."""
    cdef cnp.dtype d
    if dtype is float or dtype is None:
        return _FLOAT64
    if cnp.PyArray_DescrCheck(dtype):
        d = <cnp.dtype>dtype
        if d.itemsize != 0 or (d.kind != b"U" and d.kind != b"S"):
            return d
        return _sized(d)
    if type(dtype) is type or type(dtype) is str:
        r = _SIZED.get(dtype)
        if r is not None:
            return r
        r = _sized(dtype)
        if len(_SIZED) < SIZED_MAX and (
                (type(dtype) is type and (issubclass(dtype, np.generic)
                                          or dtype in _BUILTIN_TYPES))
                or (type(dtype) is str and (dtype in _BUILTIN_NAMES or dtype == r.name
                                            or dtype == r.char or dtype == r.str
                                            or dtype == r.str[1:]))):
            _SIZED[dtype] = r
        return r
    return _sized(dtype)


cdef object _sized(object dtype):
    d = np.dtype(dtype)
    if d.itemsize == 0 and (d.kind == "U" or d.kind == "S"):
        return np.dtype((d.type, 1))
    return d


cdef int _extents(object shape, Py_ssize_t *out) except -1:
    """The extents of `shape` (an int or a sequence of ints, as NumPy's creation functions
    take it) into out[:MAXDIMS]; returns their count. NumPy's errors for bad shapes."""
    cdef Py_ssize_t v
    cdef int nd, i
    cdef object x
    if PyLong_CheckExact(shape):
        v = ssize_or_error(shape)
        if v >= 0:
            out[0] = v
            return 1
        if PyErr_Occurred():
            PyErr_Clear()
    elif type(shape) is tuple and PyTuple_GET_SIZE(shape) <= MAXDIMS:
        nd = <int>PyTuple_GET_SIZE(shape)
        for i in range(nd):
            x = <object>PyTuple_GET_ITEM(shape, i)
            if not PyLong_CheckExact(x):
                break
            v = ssize_or_error(x)
            if v < 0:
                if PyErr_Occurred():
                    PyErr_Clear()
                break
            out[i] = v
        else:
            return nd
    t = shape_tuple(shape)
    nd = len(t)
    if nd > MAXDIMS:
        raise ValueError(f"maximum supported dimension for an ndarray is currently "
                         f"{MAXDIMS}, found {nd}")
    for i in range(nd):
        out[i] = t[i]
    return nd


cdef bint _fortran(object order) except -1:
    if order is None or order == "C":
        return False
    if order == "F":
        return True
    raise ValueError("order must be one of 'C', 'F'")


def empty(shape, dtype=float, order="C", *, device=None, like=None):
    cdef Py_ssize_t sh[MAXDIMS]
    cdef bint fortran = _fortran(order)
    if device is not None:
        dev = as_device(device)
        if dev is not CPU:
            return backend(dev).empty(shape_tuple(shape), sized_dtype(dtype), order, dev)
    cdef int nd = _extents(shape, sh)
    return new_array(nd, sh, sized_dtype(dtype), fortran, False)


def zeros(shape, dtype=float, order="C", *, device=None, like=None):
    """numpy.zeros: small arrays are cleared, large ones get pages that read as zero until
    first touched (fresh or dropped), as calloc gives NumPy."""
    cdef Py_ssize_t sh[MAXDIMS]
    cdef bint fortran = _fortran(order)
    if device is not None:
        dev = as_device(device)
        if dev is not CPU:
            return backend(dev).full(shape_tuple(shape), 0, sized_dtype(dtype), order, dev)
    cdef int nd = _extents(shape, sh)
    return new_array(nd, sh, sized_dtype(dtype), fortran, True)


cdef object _scalar_dtype(object fill_value):
    """np.array(fill_value).dtype, without building the array for a Python float, bool or
    int64-range int."""
    cdef int ovf = 0
    if type(fill_value) is float:
        return _FLOAT64
    if type(fill_value) is bool:
        return _BOOL
    if type(fill_value) is int:
        PyLong_AsLongLongAndOverflow(fill_value, &ovf)
        if not ovf:
            return _INT64
    return np.array(to_numpy(fill_value)).dtype


cdef void _repeat_first(char *p, Py_ssize_t n, Py_ssize_t itemsize) noexcept nogil:
    """Copy the first element of p (n elements of itemsize bytes) into the others: typed
    stores for the first 256 bytes, doubling copies up to 4 KiB, then copies of that
    block (its source stays in L1, and memcpy's wide stores run at memset's speed)."""
    cdef Py_ssize_t i, m, c, done, cap, total = n * itemsize
    cdef uint64_t v8
    cdef uint32_t v4
    cdef uint16_t v2
    if n <= 1:
        return
    m = 256 // itemsize if itemsize <= 256 else 1
    if m > n:
        m = n
    if itemsize == 8:
        v8 = (<uint64_t *>p)[0]
        for i in range(1, m):
            (<uint64_t *>p)[i] = v8
    elif itemsize == 4:
        v4 = (<uint32_t *>p)[0]
        for i in range(1, m):
            (<uint32_t *>p)[i] = v4
    elif itemsize == 2:
        v2 = (<uint16_t *>p)[0]
        for i in range(1, m):
            (<uint16_t *>p)[i] = v2
    elif itemsize == 1:
        memset(p + 1, p[0], m - 1)
    else:
        for i in range(1, m):
            memcpy(p + i * itemsize, p, itemsize)
    done = m * itemsize
    cap = (4096 // itemsize) * itemsize       # whole elements (a source that stays in L1)
    if cap > total:
        cap = total
    while done < cap:                          # doubling: every copy whole elements
        c = done if 2 * done <= cap else cap - done
        memcpy(p + done, p, c)
        done += c
    while done < total:
        c = cap if total - done >= cap else total - done
        memcpy(p + done, p, c)
        done += c


cdef int _fill(ndarray r, object value) except -1:
    """r[...] = value as numpy.full / ones write it (np.copyto with unsafe casting): a
    Python number of the array's kind is converted once (NumPy's own conversion) and
    repeated; anything else runs np.copyto."""
    cdef char kind = (<cnp.dtype>r._dtype).kind
    cdef type tv = type(value)
    cdef char item[MAX_ITEM]
    if r._size and ((tv is float and (kind == b'f' or kind == b'c'))
                    or (tv is int and (kind == b'i' or kind == b'u' or kind == b'f'
                                       or kind == b'c'))
                    or (tv is bool and kind == b'b')):
        if r._t >= 0 and r._size * r._itemsize >= SMALL_BYTES:
            # large arrays of a kernel type: the value repeated on the policy's threads
            PyArray_Pack(<cnp.PyArray_Descr *>r._dtype, item, value)
            run_fill(r._data, r._size, item, r._t)
            return 0
        PyArray_Pack(<cnp.PyArray_Descr *>r._dtype, r._data, value)
        if r._size * r._itemsize >= SMALL_BYTES:
            with nogil:
                _repeat_first(r._data, r._size, r._itemsize)
        else:
            _repeat_first(r._data, r._size, r._itemsize)
        return 0
    _np_copyto(r._np(), to_numpy(value), casting="unsafe")
    return 0


cdef object _np_copyto = np.copyto


cdef object _full(object shape, object fill_value, object dtype, object order,
                  object device):
    cdef Py_ssize_t sh[MAXDIMS]
    cdef bint fortran = _fortran(order)
    dtype = _scalar_dtype(fill_value) if dtype is None else sized_dtype(dtype)
    if device is not None:
        dev = as_device(device)
        if dev is not CPU:
            return backend(dev).full(shape_tuple(shape), fill_value, dtype, order, dev)
    cdef int nd = _extents(shape, sh)
    cdef ndarray r = new_array(nd, sh, dtype, fortran, False)
    _fill(r, fill_value)
    return r


def full(shape, fill_value, dtype=None, order="C", *, device=None, like=None):
    return _full(shape, fill_value, dtype, order, device)


def ones(shape, dtype=float, order="C", *, device=None, like=None):
    return _full(shape, 1, _FLOAT64 if dtype is None else dtype, order, device)


cdef ndarray _new_like(ndarray a, object dtype, object shape, object order, bint zeroed):
    """A new cpu array shaped like a (or `shape`) in a's memory layout as NumPy's *_like
    keep it: order "K" (the default) keeps a's axis order (C, Fortran, or the order of
    its strides), "A" Fortran for a Fortran array, "C" / "F" as given. A `shape` of
    another ndim than a's is C-ordered unless "F"."""
    cdef Py_ssize_t sh[MAXDIMS]
    cdef Py_ssize_t psh[MAXDIMS]
    cdef Py_ssize_t st[MAXDIMS]
    cdef int perm[MAXDIMS]
    cdef int nd, i, j, k
    cdef Py_ssize_t si, sj
    cdef bint fortran, same_nd
    cdef ndarray r
    dtype = a._dtype if dtype is None else sized_dtype(dtype)
    if shape is None:
        nd = a._ndim
        for i in range(nd):
            sh[i] = a._shape[i]
    else:
        nd = _extents(shape, sh)
    same_nd = nd == a._ndim
    if order == "C":
        fortran = False
    elif order == "F":
        fortran = True
    elif order == "A" or order == "K":
        fortran = same_nd and a._f_contig and not a._c_contig
    else:
        raise ValueError(f"order must be one of 'C', 'F', 'A', or 'K' (got {order!r})")
    if order != "K" or not same_nd or a._c_contig or a._f_contig:
        return new_array(nd, sh, dtype, fortran, zeroed)
    # K on a non-contiguous array: axes sorted by decreasing |stride| (stable), a C-order
    # block in that axis order, its strides put back on the original axes
    for i in range(nd):
        perm[i] = i
    for i in range(1, nd):
        k = perm[i]
        sj = a._strides[k] if a._strides[k] >= 0 else -a._strides[k]
        j = i
        while j > 0:
            si = a._strides[perm[j - 1]]
            if si < 0:
                si = -si
            if si >= sj:
                break
            perm[j] = perm[j - 1]
            j -= 1
        perm[j] = k
    for i in range(nd):
        psh[i] = sh[perm[i]]
    r = new_array(nd, psh, dtype, False, zeroed)
    for i in range(nd):
        st[perm[i]] = r._strides[i]
    r._set_layout_c(nd, sh, st)
    return r


cdef inline bint _plain_like(object a, object device):
    return type(a) is ndarray and (<ndarray>a)._host and (device is None or (
        as_device(device) is CPU))


cdef tuple _like(object a, object dtype, object shape, object device):
    """(dtype, shape, device) of a *_like call: the prototype's unless given."""
    if not isinstance(a, ndarray):
        a = asarray(a)
    dev = (<ndarray>a)._dev if device is None else as_device(device)
    return ((a.dtype if dtype is None else dtype), (a.shape if shape is None else shape),
            dev)


def empty_like(prototype, dtype=None, order="K", subok=True, shape=None, *, device=None):
    if _plain_like(prototype, device):
        return _new_like(<ndarray>prototype, dtype, shape, order, False)
    dtype, shape, dev = _like(prototype, dtype, shape, device)
    return empty(shape, dtype, "F" if order == "F" else "C", device=dev)


def zeros_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    if _plain_like(a, device):
        return _new_like(<ndarray>a, dtype, shape, order, True)
    dtype, shape, dev = _like(a, dtype, shape, device)
    return zeros(shape, dtype, "F" if order == "F" else "C", device=dev)


def ones_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    cdef ndarray r
    if _plain_like(a, device):
        r = _new_like(<ndarray>a, dtype, shape, order, False)
        _fill(r, 1)
        return r
    dtype, shape, dev = _like(a, dtype, shape, device)
    return ones(shape, dtype, "F" if order == "F" else "C", device=dev)


def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    cdef ndarray r
    if _plain_like(a, device):
        r = _new_like(<ndarray>a, dtype, shape, order, False)
        _fill(r, fill_value)
        return r
    dtype, shape, dev = _like(a, dtype, shape, device)
    return full(shape, fill_value, dtype, "F" if order == "F" else "C", device=dev)


def asanyarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    return asarray(a, dtype=dtype, order=order, copy=copy, device=device)


def ascontiguousarray(a, dtype=None, *, like=None):
    return asarray(a, dtype=dtype, order="C")


cdef bint _exact_number(object x, double *d, long long *i, bint *is_int):
    """x is a Python float, or a Python int of magnitude below 2**52 (exact as a double,
    differences too): its value in *d (and *i for an int)."""
    cdef int ovf = 0
    if type(x) is float:
        d[0] = PyFloat_AS_DOUBLE(x)
        is_int[0] = False
        return True
    if type(x) is int:
        i[0] = PyLong_AsLongLongAndOverflow(x, &ovf)
        if ovf or i[0] >= (1LL << 52) or i[0] <= -(1LL << 52):
            return False
        d[0] = <double>i[0]
        is_int[0] = True
        return True
    return False


cdef object _arange_numbers(tuple args):
    """numpy.arange(*args) of one to three Python ints / floats, computed here as NumPy
    does (length ceil((stop - start) / step); the first element start, the second
    start + step, then start + i * delta with delta their difference), or None when
    NumPy's own code should run (other arguments, a zero or non-finite step, ...)."""
    cdef double d[3]
    cdef long long iv[3]
    cdef bint isint[3]
    cdef int n = <int>len(args), k
    cdef double start, stop, step, q, first, delta
    cdef long long istart, istep
    cdef Py_ssize_t length, i
    cdef ndarray r
    for k in range(n):
        if not _exact_number(args[k], &d[k], &iv[k], &isint[k]):
            return None
    if n == 1:
        start, stop, step = 0.0, d[0], 1.0
        istart, istep = 0, 1
        ints = isint[0]
    elif n == 2:
        start, stop, step = d[0], d[1], 1.0
        istart, istep = iv[0], 1
        ints = isint[0] and isint[1]
    else:
        start, stop, step = d[0], d[1], d[2]
        istart, istep = iv[0], iv[2]
        ints = isint[0] and isint[1] and isint[2]
    if step == 0.0:
        return None
    q = (stop - start) / step
    if q == 0.0 and stop - start != 0.0:
        # the quotient underflowed (or the step is infinite): one element when its sign
        # says the range goes the step's way, else none (NumPy's underflow check)
        q = 0.0 if signbit(q) else 1.0
    q = ceil(q)
    if not (q == q) or q > 1e15 or q < -1e15:          # nan, inf, absurd: NumPy's errors
        return None
    length = <Py_ssize_t>q if q > 0 else 0
    r = new_array(1, &length, _INT64 if ints else _FLOAT64, False, False)
    if ints:
        for i in range(length):
            (<long long *>r._data)[i] = istart + i * istep
    elif length:
        first = start
        (<double *>r._data)[0] = first
        if length > 1:
            delta = (start + step) - first
            (<double *>r._data)[1] = start + step
            for i in range(2, length):
                (<double *>r._data)[i] = first + i * delta
    return r


def arange(*args, device=None, like=None, **kwargs):
    """numpy.arange in pool memory (or on `device`)."""
    cdef object r
    if device is None and not kwargs and 1 <= len(args) <= 3:
        r = _arange_numbers(args)
        if r is not None:
            return r
    dev = as_device(device)
    with numpy_in_pool():
        r = np.arange(*args, **kwargs)
    return _on_device(r, dev)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):
    """numpy.linspace in pool memory (or on `device`)."""
    dev = CPU if device is None else as_device(device)
    if (type(num) is int and 0 <= num < SMALL_BYTES // 16 and type(start) in (int, float)
            and type(stop) in (int, float)):
        # a small result: NumPy's allocator (swapping in the pool's costs more than the call)
        r = np.linspace(start, stop, num, endpoint, retstep, dtype, axis)
    else:
        with numpy_in_pool():
            r = np.linspace(to_numpy(start), to_numpy(stop), num, endpoint, retstep, dtype,
                            axis)
    if retstep:
        return _on_device(r[0], dev), r[1]
    return _on_device(r, dev)


cdef object _np_eye = np.eye


cdef dict _ONES = {}           # numeric dtype -> the bytes of its 1


cdef object _small_eye(Py_ssize_t n, Py_ssize_t m, object k, object dtype, bint fortran):
    """np.eye(n, m, k, dtype, order) of a small matrix of a numeric dtype in native byte
    order, written into a zeroed pool array (NumPy's eye is Python code: zeros, then a
    flat assignment, ~1 us for 4 x 4); None for other dtypes."""
    cdef ndarray r
    cdef Py_ssize_t shape[2]
    cdef Py_ssize_t i, i0, i1, off, kk, isz
    cdef bytes one
    cdef cnp.dtype d = <cnp.dtype>dtype
    one = _ONES.get(d)
    if one is None:
        if d.kind not in ("b", "i", "u", "f", "c") or not d.isnative or d.subdtype is not None:
            return None
        one = np.ones(1, d).tobytes()
        _ONES[d] = one
    if not (-n <= k <= m):
        kk = m + 1                               # (no diagonal element; any size of k)
    else:
        kk = k
    shape[0] = n
    shape[1] = m
    r = new_array(2, shape, d, fortran, True)
    isz = d.itemsize
    i0 = -kk if kk < 0 else 0
    i1 = m - kk if m - kk < n else n
    for i in range(i0, i1):
        off = (i + (i + kk) * n) if fortran else (i * m + i + kk)
        memcpy(r._data + off * isz, <char *>one, isz)
    return r


def eye(N, M=None, k=0, dtype=float, order="C", *, device=None, like=None):
    """numpy.eye in pool memory (or on `device`); a small one (up to 1024 elements, a
    rotation or transfer matrix in a loop) written directly (_small_eye), or for other
    dtypes NumPy's in its own memory, wrapped (the pool's allocator swap cost 0.8 us of
    NumPy's eye's 1.8)."""
    cols = N if M is None else M
    if (device is None and PyLong_CheckExact(N) and PyLong_CheckExact(cols)
            and PyLong_CheckExact(k) and 0 <= N <= 1024 and 0 <= cols and N * cols <= 1024
            and (order == "C" or order == "F")):
        r = _small_eye(N, cols, k, sized_dtype(dtype), order == "F")
        if r is not None:
            return r
        return wrap_numpy(_np_eye(N, M, k, dtype, order))
    dev = as_device(device)
    with numpy_in_pool():
        r = np.eye(N, M, k, dtype, order)
    return _on_device(r, dev)


def identity(n, dtype=None, *, like=None, device=None):
    """numpy.identity in pool memory (or on `device`)."""
    return eye(n, dtype=float if dtype is None else dtype, device=device)


cdef object as_array(object a):
    return a if type(a) is ndarray else asarray(a)


cdef extern from "Python.h":
    ctypedef struct PyObject
    Py_ssize_t Py_REFCNT(PyObject *o)


cdef object resize(ndarray a, tuple shape, bint refcheck, Py_ssize_t self_refs):
    """ndarray.resize in place, NumPy's semantics: only an array that owns its memory
    (not a view, not over a borrowed buffer), contiguous and -- with refcheck -- not
    referenced elsewhere (`self_refs`: references the caller itself holds). The leading
    bytes are kept, the new part is zero-filled."""
    if not a._host:
        raise ValueError(f"cannot resize an array on {a._dev}")
    if not (a._c_contig or a._f_contig):
        raise ValueError("resize only works on single-segment arrays")
    if a._base is not None or not (type(a._mem) is DeviceMemory or (
            type(a._mem) is np.ndarray and a._mem.flags.owndata)):
        raise ValueError("cannot resize this array: it does not own its data")
    if not a._writeable:
        raise ValueError("cannot resize this array: it is not writeable")
    # the bytes keep their memory order; a Fortran-ordered array stays one (as NumPy)
    cdef ndarray r = empty_array(shape, a._dtype,
                                 "F" if a._f_contig and not a._c_contig else "C")
    # references a fresh array has: the caller's, our _mem slot, the cached numpy view's
    # slot and, for pool memory, that view's owner
    cdef Py_ssize_t mem_refs = 1 + (a._npview is not None)
    if refcheck and (Py_REFCNT(<PyObject *>a) > self_refs
                     or Py_REFCNT(<PyObject *>a._mem) > mem_refs or (
                         a._npview is not None and a._npview is not a._mem
                         and Py_REFCNT(<PyObject *>a._npview) > 1)):
        raise ValueError("cannot resize an array that references or is referenced\n"
                         "by another array in this way.\n"
                         "Use the np.resize function or refcheck=False")
    cdef Py_ssize_t old = a._size * a._itemsize, new = r._size * r._itemsize
    if new:
        if old:
            memcpy(r._data, a._data, old if old < new else new)
        if new > old:
            memset(r._data + old, 0, new - old)
    a._mem = r._mem
    a._data = r._data
    a._set_layout(shape, r.strides)
