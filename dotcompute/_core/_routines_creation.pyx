# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Creation routines: `empty`, `zeros`, `ones`, `full`, `*_like`, `asarray`, `array`,
`arange`, `linspace`, `eye`, `identity`.

Every public function takes `device=`: the cpu (the default) allocates from the memory
pool here; another device's arrays come from its backend (`_device.backend`).
"""
from cpython.mem cimport PyMem_Malloc
from libc.string cimport memcpy, memset

cimport numpy as cnp
from dotcompute._core._memory cimport DeviceMemory, dc_malloc
from dotcompute._core._kernel_access cimport MAXDIMS
from dotcompute._core._dtypes cimport type_index, type_dtype, type_size, type_format
from dotcompute._core._ndarray cimport (ndarray, wrap_numpy, to_numpy, to_numpy_nested,
                                        shape_tuple, format_of)

import numpy as np

from dotcompute._core._device import CPU, as_device, backend
from dotcompute._core._memory import use_for_numpy as numpy_in_pool

DEF MAX_BYTES = 0x7fffffffffffffff
DEF SHORT_LIST = 32          # lists of scalars up to this length: NumPy's array() directly

cnp.import_array()

cdef extern from "numpy/arrayobject.h":
    bint PyDataType_REFCHK(cnp.PyArray_Descr *)      # the dtype holds Python objects

cdef object _FLOAT64 = np.dtype(np.float64)


cdef ndarray empty_array(tuple shape, object dtype, str order):
    cdef ndarray r = ndarray.__new__(ndarray)
    cdef Py_ssize_t itemsize = (<cnp.dtype>dtype).itemsize, n = 1, s
    cdef int nd = len(shape), i
    cdef Py_ssize_t sh[MAXDIMS]
    cdef Py_ssize_t st[MAXDIMS]
    if PyDataType_REFCHK(<cnp.PyArray_Descr *>dtype):
        raise TypeError("dotcompute arrays cannot hold Python objects (dtype=object)")
    cdef Py_ssize_t nonzero = 1       # NumPy checks the product of the non-zero extents
    if nd > MAXDIMS:
        raise ValueError(f"maximum supported dimension for an ndarray is currently "
                         f"{MAXDIMS}, found {nd}")
    for i in range(nd):
        s = shape[i]
        if s < 0:
            raise ValueError("negative dimensions are not allowed")
        if s and nonzero > (<Py_ssize_t>MAX_BYTES) // s:
            raise ValueError("array is too big; `arr.size * arr.dtype.itemsize` is larger "
                             "than the maximum possible size.")
        n *= s
        if s:
            nonzero *= s
        sh[i] = s
    if itemsize and nonzero > (<Py_ssize_t>MAX_BYTES) // itemsize:
        raise ValueError("array is too big; `arr.size * arr.dtype.itemsize` is larger than "
                         "the maximum possible size.")
    s = itemsize if n else 0          # a new empty array has zero strides (as NumPy's)
    if order == "F":
        for i in range(nd):
            st[i] = s
            s *= sh[i]
    else:
        for i in range(nd - 1, -1, -1):
            st[i] = s
            s *= sh[i]
    cdef DeviceMemory mem = dc_malloc(<size_t>(n * itemsize))
    r._mem = mem
    r._data = mem.ptr_
    r._dtype = dtype
    r._t = type_index(dtype)
    r._itemsize = itemsize
    r._format = format_of(dtype)
    r._writeable = True
    r._base = None
    r._set_layout_c(nd, sh, st)
    return r


cdef ndarray empty_c(int nd, const Py_ssize_t *shape, int t):
    cdef ndarray r = ndarray.__new__(ndarray)
    cdef Py_ssize_t itemsize = type_size(t), n = 1, s
    cdef int i
    for i in range(nd):
        n *= shape[i]
    cdef DeviceMemory mem = dc_malloc(<size_t>(n * itemsize))
    r._mem = mem
    r._data = mem.ptr_
    r._dtype = type_dtype(t)
    r._t = t
    r._itemsize = itemsize
    r._format = type_format(t)
    r._base = None
    r._shape = <Py_ssize_t *>PyMem_Malloc(sizeof(Py_ssize_t) * (2 * nd + 1))
    if r._shape == NULL:
        raise MemoryError()
    r._strides = r._shape + nd
    r._ndim = nd
    r._size = n
    s = itemsize if n else 0          # a new empty array has zero strides (as NumPy's)
    for i in range(nd - 1, -1, -1):
        r._shape[i] = shape[i]
        r._strides[i] = s
        s *= shape[i]
    r._c_contig = True
    r._f_contig = nd <= 1 or n == 0
    if not r._f_contig:
        s = 0
        for i in range(nd):
            if shape[i] != 1:
                s += 1
        r._f_contig = s <= 1
    return r


cdef ndarray copy(ndarray a, str order):
    cdef ndarray r
    if not a._host:
        return backend(a._dev).copy_to(a, a._dev)
    if order in ("C", "K", "A") and a._c_contig:
        r = empty_array(a.shape, a._dtype, "C")
        if a._size:
            memcpy(r._data, a._data, a._size * a._itemsize)
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
    """a is a list or tuple of at most SHORT_LIST Python or NumPy scalars."""
    cdef object x
    if type(a) is not list and type(a) is not tuple:
        return False
    if len(a) > SHORT_LIST:
        return False
    for x in a:
        if not cnp.PyArray_IsAnyScalar(x):
            return False
    return True


cdef object _small_from_scalars(object a, object dtype):
    """numpy.array(a, dtype) of a short list of scalars, in NumPy's own memory (a pool
    allocation and the handler swap cost more than such an array), wrapped."""
    cdef cnp.ndarray arr = _np_array(a, dtype)
    if PyDataType_REFCHK(cnp.PyArray_DESCR(arr)):
        raise TypeError("dotcompute arrays cannot hold Python objects (dtype=object)")
    return wrap_numpy(arr)


def asarray(a, dtype=None, order=None, *, copy=None, device=None, like=None):
    """Convert the input to a dotcompute array (no copy when it already is one)."""
    cdef ndarray r
    if device is None and order is None and copy is not False and _short_scalars(a):
        return _small_from_scalars(a, dtype)
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
    if (device is None and ndmin == 0 and copy is not False and order == "K"
            and _short_scalars(a)):
        return _small_from_scalars(a, dtype)
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


cdef object sized_dtype(object dtype):
    """np.dtype(dtype), an unsized string dtype (str, 'S', 'U') given one character as
    NumPy's creation functions do."""
    if dtype is float or dtype is None:
        return _FLOAT64
    d = np.dtype(dtype)
    if d.itemsize == 0 and (d.kind == "U" or d.kind == "S"):
        return np.dtype((d.type, 1))
    return d


def empty(shape, dtype=float, order="C", *, device=None, like=None):
    if order not in ("C", "F"):
        raise ValueError("order must be one of 'C', 'F'")
    if device is not None:
        dev = as_device(device)
        if dev is not CPU:
            return backend(dev).empty(shape_tuple(shape), sized_dtype(dtype), order, dev)
    return empty_array(shape_tuple(shape), sized_dtype(dtype), order)


def zeros(shape, dtype=float, order="C", *, device=None, like=None):
    if device is not None:
        dev = as_device(device)
        if dev is not CPU:
            return backend(dev).full(shape_tuple(shape), 0, sized_dtype(dtype), order, dev)
    cdef ndarray r = empty(shape, dtype, order)
    if r._size:
        with nogil:
            memset(r._data, 0, r._size * r._itemsize)
    return r


def full(shape, fill_value, dtype=None, order="C", *, device=None, like=None):
    if dtype is None:
        dtype = np.array(to_numpy(fill_value)).dtype
    if device is not None:
        dev = as_device(device)
        if dev is not CPU:
            return backend(dev).full(shape_tuple(shape), fill_value, sized_dtype(dtype),
                                     order, dev)
    cdef ndarray r = empty(shape, dtype, order)
    cnp.PyArray_CopyObject(r._np(), to_numpy(fill_value))     # as r[...] = fill_value
    return r


def ones(shape, dtype=float, order="C", *, device=None, like=None):
    return full(shape, 1, float if dtype is None else dtype, order, device=device)


cdef tuple _like(object a, object dtype, object shape, object device):
    """(dtype, shape, device) of a *_like call: the prototype's unless given."""
    if not isinstance(a, ndarray):
        a = asarray(a)
    dev = (<ndarray>a)._dev if device is None else as_device(device)
    return ((a.dtype if dtype is None else dtype), (a.shape if shape is None else shape),
            dev)


def empty_like(prototype, dtype=None, order="K", subok=True, shape=None, *, device=None):
    dtype, shape, dev = _like(prototype, dtype, shape, device)
    return empty(shape, dtype, "F" if order == "F" else "C", device=dev)


def zeros_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    dtype, shape, dev = _like(a, dtype, shape, device)
    return zeros(shape, dtype, "F" if order == "F" else "C", device=dev)


def ones_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    dtype, shape, dev = _like(a, dtype, shape, device)
    return ones(shape, dtype, "F" if order == "F" else "C", device=dev)


def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    dtype, shape, dev = _like(a, dtype, shape, device)
    return full(shape, fill_value, dtype, "F" if order == "F" else "C", device=dev)


def asanyarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    return asarray(a, dtype=dtype, order=order, copy=copy, device=device)


def ascontiguousarray(a, dtype=None, *, like=None):
    return asarray(a, dtype=dtype, order="C")


def arange(*args, device=None, like=None, **kwargs):
    """numpy.arange in pool memory (or on `device`)."""
    dev = as_device(device)
    with numpy_in_pool():
        r = np.arange(*args, **kwargs)
    return _on_device(r, dev)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):
    """numpy.linspace in pool memory (or on `device`)."""
    dev = as_device(device)
    with numpy_in_pool():
        r = np.linspace(to_numpy(start), to_numpy(stop), num, endpoint, retstep, dtype, axis)
    if retstep:
        return _on_device(r[0], dev), r[1]
    return _on_device(r, dev)


def eye(N, M=None, k=0, dtype=float, order="C", *, device=None, like=None):
    """numpy.eye in pool memory (or on `device`)."""
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
        memcpy(r._data, a._data, old if old < new else new)
        if new > old:
            memset(r._data + old, 0, new - old)
    a._mem = r._mem
    a._data = r._data
    a._set_layout(shape, r.strides)
