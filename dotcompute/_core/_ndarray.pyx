# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""dotcompute.ndarray: a NumPy-compatible array over pooled memory.

The class keeps its layout in C (data pointer, shape, strides, kernel type index, device)
and stays thin: its methods delegate to one routine module per kind of work, as CuPy's
`_core` does --

- `_routines_creation`: new arrays (pool allocation, asarray, zeros, ...);
- `_routines_elementwise`: ufuncs and operators (our kernels, else NumPy's loops);
- `_routines_reduction`: sum / prod / min / max / any / all / arg*, dot;
- `_routines_function`: the `__array_function__` overrides;

which reach the kernels through `_kernel_access` only. All else runs NumPy's own code on a
zero-copy numpy view of the same memory, with any new result allocated from the pool (the
NEP 49 handler) and wrapped without a copy: results, dtypes and exceptions are NumPy's by
construction. An array on another device than the cpu runs its device's backend
(`_device.backend`) at every entry point that reads or writes data.
"""
cimport cython
from cpython.buffer cimport PyBUF_WRITABLE, PyBUF_FORMAT, PyBUF_ND, PyBUF_STRIDES
from cpython.buffer cimport PyBUF_C_CONTIGUOUS, PyBUF_F_CONTIGUOUS, PyBUF_ANY_CONTIGUOUS
from cpython.object cimport PyObject, PyTypeObject
from cpython.ref cimport Py_INCREF
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM, PyTuple_GET_ITEM
from cpython.long cimport PyLong_FromSsize_t, PyLong_AsSsize_t, PyLong_CheckExact
from cpython.exc cimport PyErr_Occurred, PyErr_Clear
cdef extern from "Python.h":
    object PyMethod_New(object func, object self)     # (Python 3: no class argument)
    int PyUnicode_CompareWithASCIIString(object s, const char *ascii)
from cpython.dict cimport PyDict_Size
from dotcompute._core._vectorcall cimport PyTypeObject_vc, ternaryfunc
from libc.string cimport memcpy

cimport numpy as cnp

from dotcompute._core._dtypes cimport type_index, is_float, type_dtype, type_format, canonical_info
from dotcompute._core._dtypes cimport (DC_R_SUM, DC_R_PROD, DC_R_MIN, DC_R_MAX, DC_R_ANY,
                                       DC_R_ALL, DC_R_ARGMIN, DC_R_ARGMAX, DC_T_F8)
from cpython.float cimport PyFloat_AS_DOUBLE
from dotcompute._core._kernel_access cimport MAXDIMS
from dotcompute._core._indexing cimport basic_index, IndexResult
from dotcompute._core cimport _routines_creation as _cr
from dotcompute._core cimport _routines_elementwise as _ew
from dotcompute._core cimport _routines_reduction as _red
from dotcompute._core cimport _routines_function as _fn
from dotcompute._core cimport _routines_indexing as _ix

import operator
import re
import sys

import numpy as np

from dotcompute._core._device import CPU, Device, as_device, backend
cdef object _CPU = CPU             # (a C global: no module-dict look-up per array)
from dotcompute._core._array_api import check_api_version
from dotcompute._core._memory import PoolScope as numpy_in_pool

cnp.import_array()

cdef extern from "numpy/arrayobject.h":
    # Declared here with plain pointers: the descr reference is stolen (we add one).
    object NewFromDescr "PyArray_NewFromDescr" (
        PyTypeObject *subtype, cnp.PyArray_Descr *descr, int nd, cnp.npy_intp *dims,
        cnp.npy_intp *strides, void *data, int flags, PyObject *obj)
    # NumPy 2 C-API: store a Python value into one element as `a[i] = value` does.
    int PyArray_Pack(cnp.PyArray_Descr *descr, void *item, object value) except -1
    # The element at data as NumPy's scalar of descr (a copy; base only for void).
    object PyArray_Scalar(void *data, cnp.PyArray_Descr *descr, PyObject *base)

cdef PyTypeObject *_NP_ARRAY_TYPE = <PyTypeObject *>np.ndarray
cdef type _NP_F8 = np.float64


# The operators' ufuncs (module constants: no module and attribute lookups per call).
cdef object _uf_absolute = np.absolute
cdef object _uf_conjugate = np.conjugate
# the complex dtype last asked for its parts (.real, .imag): the parts' dtype, type index
# and buffer format
cdef object _part_of = None
cdef object _part_dtype = None
cdef int _part_t = -1
cdef bytes _part_fmt = None
cdef object _uf_add = np.add
cdef object _uf_bitwise_and = np.bitwise_and
cdef object _uf_bitwise_or = np.bitwise_or
cdef object _uf_bitwise_xor = np.bitwise_xor
cdef object _uf_divmod = np.divmod
cdef object _uf_equal = np.equal
cdef object _uf_floor_divide = np.floor_divide
cdef object _uf_greater = np.greater
cdef object _uf_greater_equal = np.greater_equal
cdef object _uf_invert = np.invert
cdef object _uf_left_shift = np.left_shift
cdef object _uf_less = np.less
cdef object _uf_less_equal = np.less_equal
cdef object _uf_matmul = np.matmul
cdef object _uf_multiply = np.multiply
cdef object _uf_negative = np.negative
cdef object _uf_not_equal = np.not_equal
cdef object _uf_positive = np.positive
cdef object _uf_power = np.power
cdef object _uf_remainder = np.remainder
cdef object _uf_right_shift = np.right_shift
cdef object _uf_subtract = np.subtract
cdef object _uf_true_divide = np.true_divide
cdef object _uf_logical_and = np.logical_and
cdef object _uf_logical_or = np.logical_or
cdef object _uf_maximum = np.maximum
cdef object _uf_minimum = np.minimum


# ------------------------------------------------------------------------ the class

@cython.final
cdef class _ArrayUfunc:
    """ndarray.__array_ufunc__, NumPy's ufunc protocol (array, ufunc, method, *inputs,
    **kwargs): an object of its own whose call (tp_call: _array_ufunc_call) takes the
    argument tuple and keywords dict NumPy built as they are -- a method with *inputs and
    **kwargs re-packed both on every call (a NumPy scalar on the left of an operator comes
    this way) --; read from an array it is bound to it, as a method."""

    __name__ = "__array_ufunc__"
    __qualname__ = "ndarray.__array_ufunc__"

    def __get__(self, obj, objtype):
        return self if obj is None else PyMethod_New(self, obj)

    def __repr__(self):
        return "<dotcompute ndarray.__array_ufunc__>"


cdef PyObject *_array_ufunc_call(PyObject *hook, PyObject *args, PyObject *kwds) except NULL:
    """ndarray.__array_ufunc__(array, ufunc, method, *inputs, **kwargs): a binary __call__
    without keywords on a cpu array goes to our operands' fast path directly (no inputs
    tuple, no keywords dict); anything else as the method it replaces."""
    cdef tuple a = <tuple>args
    cdef Py_ssize_t n = len(a)
    cdef object r, method
    if n < 3 or not isinstance(<object>PyTuple_GET_ITEM(a, 0), ndarray):
        raise TypeError("__array_ufunc__ takes a dotcompute array, a ufunc, a method name "
                        "and the inputs")
    method = <object>PyTuple_GET_ITEM(a, 2)
    if (n == 5 and (<ndarray>PyTuple_GET_ITEM(a, 0))._host
            and (kwds == NULL or PyDict_Size(<object>kwds) == 0)
            and type(method) is str
            and PyUnicode_CompareWithASCIIString(method, b"__call__") == 0):
        r = _ew.array_ufunc_binary(<object>PyTuple_GET_ITEM(a, 1),
                                   <object>PyTuple_GET_ITEM(a, 3),
                                   <object>PyTuple_GET_ITEM(a, 4))
    else:
        r = _array_ufunc(<ndarray>PyTuple_GET_ITEM(a, 0), <object>PyTuple_GET_ITEM(a, 1),
                         method, a[3:], {} if kwds == NULL else dict(<object>kwds))
    Py_INCREF(r)
    return <PyObject *>r


cdef object _array_ufunc(ndarray self, object ufunc, str method, tuple inputs,
                         dict kwargs):
    cdef Py_ssize_t n
    if not self._host:
        n = len(inputs)
        if not kwargs and (n == 1 or n == 2) and method == "__call__":
            r = _ew.device_fast(ufunc, inputs[0], inputs[1] if n == 2 else None)
            if r is not None:
                return r
        return backend(self._dev).ufunc(ufunc, method, inputs, kwargs)
    return _ew.array_ufunc(ufunc, method, inputs, kwargs)


(<PyTypeObject_vc *><PyObject *>_ArrayUfunc).tp_call = <ternaryfunc>_array_ufunc_call
cdef _ArrayUfunc _ARRAY_UFUNC = _ArrayUfunc()

# Not tracked by the cyclic GC, as NumPy's ndarray is not: an array references only its
# memory owner, device, dtype, format, base array and cached numpy view (whose base is the
# memory owner, never the array), so it closes no cycle itself; tracking made every small
# result pay the collector's bookkeeping and its periodic young-generation passes.
@cython.no_gc
@cython.freelist(64)
cdef class ndarray:
    """N-dimensional array in pooled memory, compatible with numpy.ndarray.

    ``ndarray(shape, dtype=float, buffer=None, offset=0, strides=None, order=None)`` as
    numpy.ndarray; most code creates arrays with dotcompute.asarray / zeros / empty.
    """

    def __cinit__(self):
        # (takes no arguments: Cython then ignores the constructor's, and packs none)
        self._shape = NULL
        self._strides = NULL
        self._t = -1
        self._writeable = True
        self._dev = _CPU
        self._host = True

    def __init__(self, shape, dtype=float, buffer=None, offset=0, strides=None,
                 order=None):
        cdef ndarray tmp
        if isinstance(buffer, ndarray) and not (<ndarray>buffer)._host:
            raise TypeError("a buffer on another device than the cpu cannot back an "
                            "ndarray(); use to_device('cpu')")
        if buffer is None:
            if strides is not None:
                raise ValueError("strides require a buffer")
            tmp = _cr.empty_array(shape_tuple(shape), np.dtype(dtype), order or "C")
        else:
            tmp = wrap_numpy(np.ndarray(shape, dtype, buffer, offset, strides, order))
        self._adopt(tmp)

    cdef _adopt(self, ndarray other):
        self._mem = other._mem
        self._dev = other._dev
        self._host = other._host
        self._data = other._data
        self._dtype = other._dtype
        self._t = other._t
        self._itemsize = other._itemsize
        self._format = other._format
        self._writeable = other._writeable
        self._base = other._base
        self._set_layout(other.shape, other.strides)

    cdef _set_layout(self, tuple shape, tuple strides):
        cdef int nd = len(shape), i
        cdef Py_ssize_t sh[MAXDIMS]
        cdef Py_ssize_t st[MAXDIMS]
        if nd > MAXDIMS:
            raise ValueError(f"maximum supported dimension for an ndarray is currently "
                             f"{MAXDIMS}, found {nd}")
        for i in range(nd):
            sh[i] = shape[i]
            st[i] = strides[i]
        self._set_layout_c(nd, sh, st)

    cdef int _set_layout_c(self, int nd, const Py_ssize_t *shape,
                           const Py_ssize_t *strides) except -1:
        cdef int i
        cdef Py_ssize_t size = 1, expect
        if nd > MAXDIMS:
            raise ValueError(f"maximum supported dimension for an ndarray is currently "
                             f"{MAXDIMS}, found {nd}")
        alloc_layout(self, nd)
        for i in range(nd):
            self._shape[i] = shape[i]
            self._strides[i] = strides[i]
            size *= self._shape[i]
        self._size = size
        # Kernels take typed pointers: misaligned data (a byte offset, odd strides) is
        # undefined behaviour for them (and vectorized code may fault on it), so such
        # arrays take NumPy's loops, which handle alignment, as NumPy itself does.
        if self._t >= 0 and self._itemsize > 1:
            if (<size_t>self._data) % self._itemsize:
                self._t = -1
            for i in range(nd):
                if self._strides[i] % self._itemsize:
                    self._t = -1
        # contiguity as NumPy defines it (extent-1 axes' strides do not matter)
        self._c_contig = True
        expect = self._itemsize
        for i in range(nd - 1, -1, -1):
            if self._shape[i] == 0:
                self._c_contig = True
                break
            if self._shape[i] != 1:
                if self._strides[i] != expect:
                    self._c_contig = False
                expect *= self._shape[i]
        self._f_contig = True
        expect = self._itemsize
        for i in range(nd):
            if self._shape[i] == 0:
                self._f_contig = True
                break
            if self._shape[i] != 1:
                if self._strides[i] != expect:
                    self._f_contig = False
                expect *= self._shape[i]
        self._npview = None
        return 0

    cdef object _np(self):
        """Zero-copy numpy.ndarray over the same memory (cached). On another device: a
        host copy made by its backend (reads only)."""
        cdef object v = self._npview
        if not self._host:
            return backend(self._dev).to_host(self)
        if v is None:
            v = self._np_at(self._data, self._ndim, self._shape, self._strides)
            self._npview = v
        return v

    cdef object _np_at(self, char *data, int nd, Py_ssize_t *shape, Py_ssize_t *strides):
        """A numpy.ndarray over this array's memory at data (shape, byte strides), built
        directly; its base is the memory owner (never the dc array: no reference cycle)."""
        Py_INCREF(self._dtype)                 # PyArray_NewFromDescr steals it
        v = NewFromDescr(_NP_ARRAY_TYPE, <cnp.PyArray_Descr *>self._dtype, nd,
                         <cnp.npy_intp *>shape, <cnp.npy_intp *>strides, data,
                         cnp.NPY_ARRAY_WRITEABLE if self._writeable else 0, NULL)
        cnp.set_array_base(v, self._mem)
        return v

    cdef ndarray _sub(self, char *data, int nd, const Py_ssize_t *shape,
                      const Py_ssize_t *strides):
        """A dc view of this array's memory at data (shape, byte strides); its base is
        the array owning the memory, as NumPy's."""
        cdef ndarray v = ndarray.__new__(ndarray)
        v._mem = self._mem
        v._dev = self._dev
        v._host = self._host
        v._data = data
        v._dtype = self._dtype
        v._t = self._t
        v._itemsize = self._itemsize
        v._format = self._format
        v._writeable = self._writeable
        v._base = self if self._base is None else self._base
        v._set_layout_c(nd, shape, strides)
        return v

    cdef ndarray _part(self, Py_ssize_t offset):
        """The real (offset 0) or imaginary part (offset: half an element) of this complex
        cpu array as a dc view, built directly (NumPy's .real/.imag: its float dtype of the
        same byte order, the same strides; through a NumPy view it cost 2x NumPy's)."""
        global _part_of, _part_dtype, _part_t, _part_fmt
        cdef int t = -1
        cdef PyObject *fmt = NULL
        if self._dtype is not _part_of:          # (by identity: hashing a dtype is slow)
            d = self._np().real.dtype
            if canonical_info(d, &t, &fmt) >= 0:
                _part_t, _part_fmt = t, <bytes>fmt
            else:
                _part_t, _part_fmt = type_index(d), format_of(d)
            _part_of, _part_dtype = self._dtype, d
        cdef ndarray v = ndarray.__new__(ndarray)
        v._mem = self._mem
        v._dev = self._dev
        v._host = self._host
        v._data = self._data + offset
        v._dtype = _part_dtype
        v._t = _part_t
        v._format = _part_fmt
        v._itemsize = self._itemsize // 2
        v._writeable = self._writeable
        v._base = self if self._base is None else self._base
        v._set_layout_c(self._ndim, self._shape, self._strides)
        return v

    cdef object _item_at(self, char *data):
        """The element at data as NumPy's scalar (a cpu array of a non-structured dtype:
        structured scalars view the array, NumPy's indexing makes those)."""
        return PyArray_Scalar(data, <cnp.PyArray_Descr *>self._dtype, NULL)

    cdef dict _interface(self):
        return {
            "version": 3,
            "shape": self.shape,
            "typestr": self._dtype.str,
            "descr": self._dtype.descr,
            "data": (<size_t>self._data, not self._writeable),
            "strides": None if (self._c_contig and self._ndim > 0) else self.strides,
        }

    # ----------------------------------------------------------------- attributes
    @property
    def shape(self):
        if self._shape_t is None:
            self._shape_t = ssize_tuple(self._shape, self._ndim)
        return self._shape_t

    @shape.setter
    def shape(self, value):
        v = self._np().view()
        v.shape = value          # NumPy's checks and errors
        self._set_layout(v.shape, v.strides)

    @property
    def strides(self):
        return ssize_tuple(self._strides, self._ndim)

    @property
    def dtype(self):
        return self._dtype

    @property
    def ndim(self):
        return self._ndim

    @property
    def size(self):
        return self._size

    @property
    def itemsize(self):
        return self._itemsize

    @property
    def nbytes(self):
        return self._size * self._itemsize

    @property
    def base(self):
        return self._base

    @property
    def data(self):
        return memoryview(self)

    @property
    def flags(self):
        return _Flags(self)

    @property
    def T(self):
        if self._host:
            return self._reversed_axes()        # (a method call cost 2x NumPy's .T)
        return self.transpose()

    @property
    def mT(self):
        return _wrap(self._np().mT, self)

    @property
    def real(self):
        if self._host:
            if (<cnp.dtype>self._dtype).kind == b"c":
                return self._part(0)
            if self._t >= 0:
                return self                    # a real array's .real is itself (NumPy's)
        return _wrap(self._np().real, self)

    @real.setter
    def real(self, value):
        self._np().real = to_numpy(value)

    @property
    def imag(self):
        if self._host and (<cnp.dtype>self._dtype).kind == b"c":
            return self._part(self._itemsize // 2)
        return _wrap(self._np().imag, self)

    @imag.setter
    def imag(self, value):
        self._np().imag = to_numpy(value)

    @property
    def flat(self):
        return self._np().flat

    @property
    def ctypes(self):
        return self._np().ctypes

    @property
    def device(self):
        """The Device holding the data (`str(x.device)`: "cpu", "cuda:0", ...)."""
        return self._dev

    @property
    def memory(self):
        """The DeviceMemory (or other owner) holding the data."""
        return self._mem

    @property
    def _owner(self):
        """The object that owns the memory (kept alive by this array)."""
        return self._mem

    @property
    def data_ptr(self):
        """Address of the first element (an int)."""
        return <size_t>self._data

    def to_device(self, device, /, *, stream=None):
        """This array on `device`: itself when it is there already, else a copy made by
        the backend of the target (or, to the cpu, of the source); with `stream` (a
        device backend's stream object, or its handle as an int) the copy runs on that
        stream, ordered after the work already queued there."""
        target = as_device(device)
        if target == self._dev:
            return self
        b = backend(self._dev if target is CPU else target)
        if stream is None:
            return b.copy_to(self, target)
        return b.copy_to(self, target, stream=stream)     # the copy runs on that stream

    # ------------------------------------------------------------ conversions
    @property
    def __array_interface__(self):
        if not self._host:
            raise TypeError(_no_implicit_host_copy(self._dev))
        d = self._interface()
        return d

    @property
    def __cuda_array_interface__(self):
        """CUDA Array Interface (version 3) of a GPU array; absent on the cpu."""
        if self._host:
            raise AttributeError("a cpu array has no __cuda_array_interface__")
        return backend(self._dev).cuda_array_interface(self)

    def get(self, stream=None):
        """A NumPy copy of the data on the host (CuPy's name; the explicit transfer of a GPU
        array)."""
        if not self._host:
            return backend(self._dev).to_host(self)
        return np.array(self._np(), copy=True)

    @property
    def __array_priority__(self):
        return 20.0

    def __array__(self, dtype=None, copy=None):
        if not self._host:
            raise TypeError(_no_implicit_host_copy(self._dev))
        cdef object v = self._np()
        if copy is True:
            return np.array(v, dtype=dtype, copy=True)
        if dtype is not None and np.dtype(dtype) != self._dtype:
            if copy is False:
                raise ValueError("Unable to avoid copy while creating an array as "
                                 "requested.")
            return v.astype(dtype)
        return v

    def __getbuffer__(self, Py_buffer *buf, int flags):
        if not self._host:
            raise BufferError(f"dotcompute array on {self._dev} does not export a buffer; "
                              "use to_device('cpu')")
        if (flags & PyBUF_WRITABLE) and not self._writeable:
            raise BufferError("dotcompute array is read-only")
        if (flags & PyBUF_C_CONTIGUOUS) == PyBUF_C_CONTIGUOUS and not self._c_contig:
            raise BufferError("dotcompute array is not C-contiguous")
        if (flags & PyBUF_F_CONTIGUOUS) == PyBUF_F_CONTIGUOUS and not self._f_contig:
            raise BufferError("dotcompute array is not Fortran-contiguous")
        if (flags & PyBUF_ANY_CONTIGUOUS) == PyBUF_ANY_CONTIGUOUS and not (
                self._c_contig or self._f_contig):
            raise BufferError("dotcompute array is not contiguous")
        if (flags & PyBUF_STRIDES) != PyBUF_STRIDES and not self._c_contig:
            raise BufferError("dotcompute array is not C-contiguous")
        buf.buf = self._data
        buf.obj = self
        buf.len = self._size * self._itemsize
        buf.readonly = 0 if self._writeable else 1
        buf.itemsize = self._itemsize
        if self._itemsize != 1 and self._format == b"B":
            # no PEP 3118 format (datetime64, timedelta64): NumPy then takes the array
            # interface, as for its own arrays of these dtypes (memoryview refuses them)
            raise BufferError(f"cannot include dtype {self._dtype.char!r} in a buffer")
        if flags & PyBUF_FORMAT:
            buf.format = <char *>self._format
        else:
            buf.format = NULL
        buf.ndim = self._ndim
        buf.shape = self._shape if (flags & PyBUF_ND) else NULL
        buf.strides = self._strides if (flags & PyBUF_STRIDES) == PyBUF_STRIDES else NULL
        buf.suboffsets = NULL
        buf.internal = NULL

    def __releasebuffer__(self, Py_buffer *buf):
        pass

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        if not self._host:
            return backend(self._dev).dlpack(self, stream=stream, max_version=max_version,
                                             dl_device=dl_device, copy=copy)
        return self._np().__dlpack__(stream=stream, max_version=max_version,
                                     dl_device=dl_device, copy=copy)

    def __dlpack_device__(self):
        if not self._host:
            return backend(self._dev).dlpack_device(self)
        return self._np().__dlpack_device__()

    def __array_namespace__(self, *, api_version=None):
        check_api_version(api_version)
        return sys.modules["dotcompute"]      # the package face (already imported)

    # (array, ufunc, method, *inputs, **kwargs): _array_ufunc_call
    __array_ufunc__ = _ARRAY_UFUNC

    def __array_function__(self, func, types, args, kwargs):
        if not self._host:
            return backend(self._dev).array_function(func, types, args, kwargs)
        return _fn.array_function(func, types, args, kwargs)

    # -------------------------------------------------------------- python protocol
    def __len__(self):
        if self._ndim == 0:
            raise TypeError("len() of unsized object")
        return self._shape[0]

    def __iter__(self):
        if self._ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return _Rows(self)

    def __bool__(self):
        return bool(self._np())

    def __int__(self):
        return int(self._np())

    def __float__(self):
        return float(self._np())

    def __complex__(self):
        return complex(self._np())

    def __index__(self):
        return operator.index(self._np())

    def __repr__(self):
        r = repr(self._np())
        # NumPy's repr with our class name (continuation lines re-indented to match)
        if r.startswith("array("):
            pad = " " * len("ndarray(") 
            body = r[len("array("):].replace("\n      ", "\n" + pad)
            return "ndarray(" + body
        return r

    def __str__(self):
        return str(self._np())

    def __format__(self, spec):
        return format(self._np(), spec)

    def __hash__(self):
        raise TypeError("unhashable type: 'dotcompute.ndarray'")

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def __reduce_ex__(self, protocol):
        # Protocol 5: the data travels as an out-of-band PickleBuffer (no copy).
        cdef ndarray c = self if (self._c_contig or self._f_contig) else self.copy()
        order = "C" if c._c_contig else "F"
        if protocol >= 5:
            import pickle
            return _rebuild_from_buffer, (pickle.PickleBuffer(c), c._dtype, c.shape, order)
        return _rebuild, (c.tobytes(order=order), c._dtype, c.shape, order)

    def __reduce__(self):
        return self.__reduce_ex__(2)

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, key):
        # Basic indexing (ints, slices, None, ...) is computed in C: a view built directly,
        # or the element as NumPy's scalar. Other keys run NumPy's indexing on a view.
        cdef IndexResult r
        cdef Py_ssize_t i
        if not self._host:
            return backend(self._dev).getitem(self, key)
        if PyLong_CheckExact(key) and self._ndim > 0:      # a[i]: the commonest key
            i = _axis0_index(self, key)
            if i >= 0:
                if self._ndim > 1:
                    return self._sub(self._data + i * self._strides[0], self._ndim - 1,
                                     self._shape + 1, self._strides + 1)
                if not _structured(self):
                    return self._item_at(self._data + i * self._strides[0])
        if type(key) is ndarray or type(key) is cnp.ndarray:   # integer or boolean arrays
            got = _ix.take(self, key)
            if got is not None:
                return got
            return _wrap(self._np()[to_numpy(key)], self)
        if type(key) is not cnp.ndarray and basic_index(self._ndim, self._shape,
                                                        self._strides, key, &r):
            if not r.scalar:
                return self._sub(self._data + r.offset, r.nd, r.shape, r.strides)
            if not _structured(self):
                return self._item_at(self._data + r.offset)
        return _wrap(self._np()[key_to_numpy(key)], self)

    def __setitem__(self, key, value):
        cdef IndexResult r
        cdef Py_ssize_t i
        if not self._writeable:
            raise ValueError("assignment destination is read-only")
        if not self._host:
            backend(self._dev).setitem(self, key, value)
            return
        if PyLong_CheckExact(key) and self._ndim == 1:     # a[i] = v
            i = _axis0_index(self, key)
            if i >= 0:
                if self._t == DC_T_F8 and (type(value) is float or type(value) is _NP_F8):
                    (<double *>(self._data + i * self._strides[0]))[0] = \
                        PyFloat_AS_DOUBLE(value)
                else:
                    PyArray_Pack(<cnp.PyArray_Descr *>self._dtype,
                                 self._data + i * self._strides[0],
                                 (<ndarray>value)._np() if type(value) is ndarray else value)
                return
        if type(key) is tuple and _int_tuple_offset(self, <tuple>key, &i):   # a[i, j] = v
            if self._t == DC_T_F8 and (type(value) is float or type(value) is _NP_F8):
                (<double *>(self._data + i))[0] = PyFloat_AS_DOUBLE(value)
            else:
                PyArray_Pack(<cnp.PyArray_Descr *>self._dtype, self._data + i,
                             (<ndarray>value)._np() if type(value) is ndarray else value)
            return
        if (type(key) is not ndarray and type(key) is not cnp.ndarray
                and basic_index(self._ndim, self._shape, self._strides, key, &r)):
            if r.scalar:           # one element: NumPy's own conversion of the value
                PyArray_Pack(<cnp.PyArray_Descr *>self._dtype, self._data + r.offset,
                             (<ndarray>value)._np() if type(value) is ndarray else value)
            elif not _ix.assign_region(self, self._data + r.offset, r.nd, r.shape,
                                       r.strides, value):
                # NumPy's assignment into a view of the region
                cnp.PyArray_CopyObject(self._np_at(self._data + r.offset, r.nd, r.shape,
                                                   r.strides),
                                       (<ndarray>value)._np() if type(value) is ndarray
                                       else value)
            return
        if type(value) is ndarray:
            if ((type(key) is ndarray or type(key) is cnp.ndarray)
                    and _ix.put_array(self, key, <ndarray>value)):
                return
            value = (<ndarray>value)._np()
        if type(key) is ndarray or type(key) is cnp.ndarray:   # integer or boolean arrays
            if _ix.put(self, key, value):
                return
            key = to_numpy(key)
        self._np()[key_to_numpy(key)] = value

    # ----------------------------------------------------------------- operators
    def __add__(self, other):
        return _ew.binop(_uf_add, self, other)

    def __radd__(self, other):
        return _ew.binop(_uf_add, other, self)

    def __iadd__(self, other):
        return _ew.inplace(_uf_add, self, other)

    def __sub__(self, other):
        return _ew.binop(_uf_subtract, self, other)

    def __rsub__(self, other):
        return _ew.binop(_uf_subtract, other, self)

    def __isub__(self, other):
        return _ew.inplace(_uf_subtract, self, other)

    def __mul__(self, other):
        return _ew.binop(_uf_multiply, self, other)

    def __rmul__(self, other):
        return _ew.binop(_uf_multiply, other, self)

    def __imul__(self, other):
        return _ew.inplace(_uf_multiply, self, other)

    def __truediv__(self, other):
        return _ew.binop(_uf_true_divide, self, other)

    def __rtruediv__(self, other):
        return _ew.binop(_uf_true_divide, other, self)

    def __itruediv__(self, other):
        return _ew.inplace(_uf_true_divide, self, other)

    def __floordiv__(self, other):
        return _ew.binop(_uf_floor_divide, self, other)

    def __rfloordiv__(self, other):
        return _ew.binop(_uf_floor_divide, other, self)

    def __ifloordiv__(self, other):
        return _ew.inplace(_uf_floor_divide, self, other)

    def __mod__(self, other):
        return _ew.binop(_uf_remainder, self, other)

    def __rmod__(self, other):
        return _ew.binop(_uf_remainder, other, self)

    def __imod__(self, other):
        return _ew.inplace(_uf_remainder, self, other)

    def __divmod__(self, other):
        return _ew.ufunc_call(_uf_divmod, (self, other), {})

    def __rdivmod__(self, other):
        return _ew.ufunc_call(_uf_divmod, (other, self), {})

    def __pow__(self, other, mod=None):
        if mod is not None:
            return NotImplemented
        return _ew.power(self, other)        # NumPy's fast scalar powers

    def __rpow__(self, other, mod=None):
        if mod is not None:
            return NotImplemented
        return _ew.binop(_uf_power, other, self)

    def __ipow__(self, other):
        return _ew.inplace(_uf_power, self, other)

    def __matmul__(self, other):
        return _matmul(self, other)

    def __rmatmul__(self, other):
        return _matmul(other, self)

    def __imatmul__(self, other):
        return _ew.ufunc_call(_uf_matmul, (self, other), {"out": (self,)})

    def __and__(self, other):
        return _ew.binop(_uf_bitwise_and, self, other)

    def __rand__(self, other):
        return _ew.binop(_uf_bitwise_and, other, self)

    def __iand__(self, other):
        return _ew.inplace(_uf_bitwise_and, self, other)

    def __or__(self, other):
        return _ew.binop(_uf_bitwise_or, self, other)

    def __ror__(self, other):
        return _ew.binop(_uf_bitwise_or, other, self)

    def __ior__(self, other):
        return _ew.inplace(_uf_bitwise_or, self, other)

    def __xor__(self, other):
        return _ew.binop(_uf_bitwise_xor, self, other)

    def __rxor__(self, other):
        return _ew.binop(_uf_bitwise_xor, other, self)

    def __ixor__(self, other):
        return _ew.inplace(_uf_bitwise_xor, self, other)

    def __lshift__(self, other):
        return _ew.binop(_uf_left_shift, self, other)

    def __rlshift__(self, other):
        return _ew.binop(_uf_left_shift, other, self)

    def __ilshift__(self, other):
        return _ew.inplace(_uf_left_shift, self, other)

    def __rshift__(self, other):
        return _ew.binop(_uf_right_shift, self, other)

    def __rrshift__(self, other):
        return _ew.binop(_uf_right_shift, other, self)

    def __irshift__(self, other):
        return _ew.inplace(_uf_right_shift, self, other)

    def __lt__(self, other):
        return _ew.binop(_uf_less, self, other)

    def __le__(self, other):
        return _ew.binop(_uf_less_equal, self, other)

    def __gt__(self, other):
        return _ew.binop(_uf_greater, self, other)

    def __ge__(self, other):
        return _ew.binop(_uf_greater_equal, self, other)

    def __eq__(self, other):
        return _ew.binop(_uf_equal, self, other)

    def __ne__(self, other):
        return _ew.binop(_uf_not_equal, self, other)

    def __neg__(self):
        return _ew.negative(self)

    def __pos__(self):
        return _ew.ufunc_call(_uf_positive, (self,), {})

    def __abs__(self):
        return _ew.ufunc_call(_uf_absolute, (self,), {})

    def __invert__(self):
        return _ew.ufunc_call(_uf_invert, (self,), {})

    # ------------------------------------------------------------------- methods
    def copy(self, order="C"):
        return _cr.copy(self, order)

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        return _ew.astype(self, dtype, casting, copy, order)

    def resize(self, *new_shape, refcheck=True):
        """Change shape and size in place (NumPy's ndarray.resize)."""
        if not new_shape:
            return None
        if len(new_shape) == 1 and (new_shape[0] is None or not isinstance(
                new_shape[0], int)):
            new_shape = () if new_shape[0] is None else new_shape[0]
        # references to self while `a.resize(...)` runs on an otherwise unreferenced `a`:
        # the caller's name, the call's and this method's argument handling (measured; a
        # NumPy array has one less, its check is "more than 2")
        _cr.resize(self, shape_tuple(new_shape), refcheck, 3)

    def fill(self, value):
        if not self._writeable:
            raise ValueError("assignment destination is read-only")
        if not self._host:
            backend(self._dev).setitem(self, Ellipsis, value)
            return
        self._np().fill(value)

    def reshape(self, *shape, order="C", copy=None):
        if not shape:
            raise TypeError("reshape() takes exactly 1 argument (0 given)")
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = shape[0]
        if not self._host:
            return self._on_device(np.reshape, shape, order=order)
        if self._c_contig and copy is not True and (order == "C" or order == "A"):
            v = _reshape_contiguous(self, shape)
            if v is not None:
                return v
        return _wrap(self._np().reshape(shape, order=order, copy=copy), self)

    def _on_device(self, func, *args, **kwargs):
        """A method of an array on another device: its backend's implementation of the
        NumPy function."""
        return backend(self._dev).array_function(func, (ndarray,), (self,) + args, kwargs)

    def view(self, dtype=None, type=None):
        if not self._host:
            raise TypeError(f"dotcompute: ndarray.view is not implemented for arrays on "
                            f"{self._dev}")
        if type is not None:
            return self._np().view(dtype if dtype is not None else self._dtype, type)
        if dtype is None:
            return _wrap(self._np().view(), self)
        if isinstance(dtype, builtins_type) and issubclass(dtype, np.ndarray):
            return self._np().view(dtype)
        return _wrap(self._np().view(dtype), self)

    def tolist(self):
        return self._np().tolist()

    def item(self, *args):
        return self._np().item(*args)

    def tobytes(self, order="C"):
        return self._np().tobytes(order=order)

    def setflags(self, write=None, align=None, uic=None):
        if write is not None:
            if write and not self._writeable:
                raise ValueError("cannot set WRITEABLE flag to True of this array")
            self._writeable = bool(write)
            self._npview = None

    # NumPy's methods we run on the view, defined here: reaching them through
    # __getattr__ (after the failed lookup's AttributeError, a closure per call) cost
    # ~2 us a call.
    def argpartition(self, *args, **kwargs):
        return _numpy_method(self, _nd_argpartition, args, kwargs)

    def argsort(self, axis=-1, kind=None, order=None, *, stable=None):
        r = _fn.argsort_ours(self, axis, kind, order, stable)
        if r is not None:
            return r
        return _numpy_method(self, _nd_argsort, (axis, kind, order),
                             {} if stable is None else {"stable": stable})

    def choose(self, *args, **kwargs):
        return _numpy_method(self, _nd_choose, args, kwargs)

    def compress(self, *args, **kwargs):
        return _numpy_method(self, _nd_compress, args, kwargs)

    def conj(self, out=None):
        return _conjugate(self, out, _nd_conj)

    def conjugate(self, out=None):
        return _conjugate(self, out, _nd_conjugate)

    def diagonal(self, *args, **kwargs):
        return _numpy_method(self, _nd_diagonal, args, kwargs)

    def nonzero(self):
        return _fn.nonzero(self)        # our kernel from a few thousand elements

    def partition(self, *args, **kwargs):
        return _numpy_method(self, _nd_partition, args, kwargs)

    def put(self, *args, **kwargs):
        return _numpy_method(self, _nd_put, args, kwargs)

    def repeat(self, *args, **kwargs):
        return _numpy_method(self, _nd_repeat, args, kwargs)

    def round(self, *args, **kwargs):
        return _numpy_method(self, _nd_round, args, kwargs)

    def searchsorted(self, v, side="left", sorter=None):
        r = _fn.searchsorted_fast(self, v, side, sorter)     # our search where it applies
        if r is not None:
            return r
        return _numpy_method(self, _nd_searchsorted, (v, side, sorter), {})

    def sort(self, axis=-1, kind=None, order=None, *, stable=None):
        # our radix sort where it gives NumPy's values (_routines_function.sort_method)
        if _fn.sort_method(self, axis, kind, order, stable):
            return None
        return _numpy_method(self, _nd_sort, (axis, kind, order),
                             {} if stable is None else {"stable": stable})

    def squeeze(self, *args, **kwargs):
        return _numpy_method(self, _nd_squeeze, args, kwargs)

    def std(self, *args, **kwargs):
        r = _red.var(self, args, kwargs, True)
        return r if r is not None else _numpy_method(self, _nd_std, args, kwargs)

    def swapaxes(self, *args, **kwargs):
        return _numpy_method(self, _nd_swapaxes, args, kwargs)

    def take(self, *args, **kwargs):
        return _numpy_method(self, _nd_take, args, kwargs)

    def trace(self, *args, **kwargs):
        return _numpy_method(self, _nd_trace, args, kwargs)

    def var(self, *args, **kwargs):
        r = _red.var(self, args, kwargs, False)
        return r if r is not None else _numpy_method(self, _nd_var, args, kwargs)

    def __getattr__(self, name):
        # Methods and attributes we do not implement come from NumPy's ndarray on a
        # zero-copy view; array results are wrapped (views keep sharing our memory).
        if name.startswith("__"):
            raise AttributeError(name)
        attr = getattr(np.ndarray, name, None)
        if attr is None:
            raise AttributeError(f"'dotcompute.ndarray' object has no attribute '{name}'")
        if not self._host:
            raise TypeError(f"dotcompute: ndarray.{name} is not implemented for arrays on "
                            f"{self._dev}")
        bound = getattr(self._np(), name)
        if not callable(bound):
            return _wrap(bound, self)
        def method(*args, **kwargs):
            args, kwargs = args_to_numpy(args, kwargs)
            if self._size * self._itemsize < SMALL_BYTES:
                r = bound(*args, **kwargs)       # small: NumPy's allocator (no swap)
            else:
                with numpy_in_pool():
                    r = bound(*args, **kwargs)
            return wrap_result(r, self)
        method.__name__ = name
        return method

    # Reductions with accelerated paths.
    def sum(self, axis=None, dtype=None, out=None, keepdims=False, initial=np._NoValue,
            where=True):
        return _red.reduction(_uf_add, DC_R_SUM, self, axis, dtype, out, keepdims, initial, where)

    def prod(self, axis=None, dtype=None, out=None, keepdims=False, initial=np._NoValue,
             where=True):
        return _red.reduction(_uf_multiply, DC_R_PROD, self, axis, dtype, out, keepdims, initial,
                          where)

    def min(self, axis=None, out=None, keepdims=False, initial=np._NoValue, where=True):
        return _red.reduction(_uf_minimum, DC_R_MIN, self, axis, None, out, keepdims, initial, where)

    def max(self, axis=None, out=None, keepdims=False, initial=np._NoValue, where=True):
        return _red.reduction(_uf_maximum, DC_R_MAX, self, axis, None, out, keepdims, initial, where)

    def any(self, axis=None, out=None, keepdims=False, *, where=True):
        return _red.reduction(_uf_logical_or, DC_R_ANY, self, axis, None, out, keepdims,
                          np._NoValue, where)

    def all(self, axis=None, out=None, keepdims=False, *, where=True):
        return _red.reduction(_uf_logical_and, DC_R_ALL, self, axis, None, out, keepdims,
                          np._NoValue, where)

    def argmin(self, axis=None, out=None, *, keepdims=False):
        return _red.argreduction(DC_R_ARGMIN, "argmin", self, axis, out, keepdims)

    def argmax(self, axis=None, out=None, *, keepdims=False):
        return _red.argreduction(DC_R_ARGMAX, "argmax", self, axis, out, keepdims)

    def cumsum(self, axis=None, dtype=None, out=None):
        return _red.accumulate(0, self, axis, dtype, out)

    def cumprod(self, axis=None, dtype=None, out=None):
        return _red.accumulate(1, self, axis, dtype, out)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
        return _red.mean(self, axis, dtype, out, keepdims, where)

    def dot(self, b, out=None):
        return _red.dot(self, b, out)

    def clip(self, min=None, max=None, out=None, **kwargs):
        return _ew.clip(self, min, max, out, kwargs)

    def transpose(self, *axes):
        cdef Py_ssize_t sh[MAXDIMS]
        cdef Py_ssize_t st[MAXDIMS]
        cdef int i, j, nd = self._ndim
        cdef bint seen[MAXDIMS]
        if len(axes) == 1 and (axes[0] is None or not isinstance(axes[0], int)):
            axes = axes[0]              # one argument: None or a sequence (maybe an array)
        if axes is not None and type(axes) is tuple and len(axes) == 0:
            axes = None
        if not self._host:
            return self._on_device(np.transpose, axes)
        if axes is not None:
            # a permutation of exact ints: the view built directly; else NumPy's code
            # (its errors for repeated or out-of-range axes and wrong lengths)
            if (type(axes) is not tuple and type(axes) is not list) or len(axes) != nd:
                return _wrap(self._np().transpose(axes), self)
            for i in range(nd):
                seen[i] = False
            for i in range(nd):
                x = axes[i]
                if not PyLong_CheckExact(x) or not -nd <= x < nd:
                    return _wrap(self._np().transpose(axes), self)
                j = <int>(x + nd if x < 0 else x)
                if seen[j]:
                    return _wrap(self._np().transpose(axes), self)
                seen[j] = True
                sh[i] = self._shape[j]
                st[i] = self._strides[j]
            return self._sub(self._data, nd, sh, st)
        return self._reversed_axes()

    cdef ndarray _reversed_axes(self):
        """The cpu array with its axes reversed (.T, transpose()): a view built directly."""
        cdef Py_ssize_t sh[MAXDIMS]
        cdef Py_ssize_t st[MAXDIMS]
        cdef int i, nd = self._ndim
        for i in range(nd):
            sh[i] = self._shape[nd - 1 - i]
            st[i] = self._strides[nd - 1 - i]
        return self._sub(self._data, nd, sh, st)

    def ravel(self, order="C"):
        cdef Py_ssize_t step = self._itemsize
        if not self._host:
            return self._on_device(np.ravel)
        if self._c_contig and (order == "C" or order == "A" or order == "K"):
            return self._sub(self._data, 1, &self._size, &step)    # a view, as NumPy's
        return _wrap(self._np().ravel(order), self)

    def flatten(self, order="C"):
        return self.copy(order="F" if order == "F" else "C").ravel(
            "F" if order == "F" else "C")


builtins_type = type

# NumPy's ndarray methods that ours forward to (module constants: no lookups per call).
cdef object _nd_argpartition = np.ndarray.argpartition
cdef object _nd_argsort = np.ndarray.argsort
cdef object _nd_choose = np.ndarray.choose
cdef object _nd_compress = np.ndarray.compress
cdef object _nd_conj = np.ndarray.conj
cdef object _nd_conjugate = np.ndarray.conjugate
cdef object _nd_diagonal = np.ndarray.diagonal
cdef object _nd_partition = np.ndarray.partition
cdef object _nd_put = np.ndarray.put
cdef object _nd_repeat = np.ndarray.repeat
cdef object _nd_round = np.ndarray.round
cdef object _nd_searchsorted = np.ndarray.searchsorted
cdef object _nd_sort = np.ndarray.sort
cdef object _nd_squeeze = np.ndarray.squeeze
cdef object _nd_std = np.ndarray.std
cdef object _nd_swapaxes = np.ndarray.swapaxes
cdef object _nd_take = np.ndarray.take
cdef object _nd_trace = np.ndarray.trace
cdef object _nd_var = np.ndarray.var


cdef object _conjugate(ndarray a, object out, object method):
    """a.conj(out) / a.conjugate(out) (method: NumPy's of that name): a complex cpu array
    straight to np.conjugate's path; else NumPy's method (a real array returns itself),
    returning `out` itself as NumPy's."""
    if out is None:
        if a._host and (<cnp.dtype>a._dtype).kind == b"c":
            return _ew.ufunc_call(_uf_conjugate, (a,), {})
        return _numpy_method(a, method, (), {})
    r = _numpy_method(a, method, (out,), {})
    return out if type(out) is ndarray else r


cdef object _numpy_method(ndarray a, object method, tuple args, dict kwargs):
    """NumPy's (unbound) ndarray method on a's zero-copy view, dc arrays among the
    arguments as views; array results wrapped (views of a stay views), the view itself
    returned as a (conj of a real array). Small arrays keep NumPy's allocator."""
    if not a._host:
        raise TypeError(f"dotcompute: ndarray.{method.__name__} is not implemented for "
                        f"arrays on {a._dev}")
    v = a._np()
    if args or kwargs:
        args, kwargs = args_to_numpy(args, kwargs)
    if a._size * a._itemsize < SMALL_BYTES:
        r = method(v, *args, **kwargs)
    else:
        with numpy_in_pool():
            r = method(v, *args, **kwargs)
    if r is v:
        return a
    return wrap_result(r, a)


cdef object _reshape_contiguous(ndarray a, object shape):
    """The C-order view of C-contiguous a in shape (ints, at most one -1), built from
    the layout; None where NumPy's code decides (other keys, sizes that do not match:
    its errors)."""
    cdef Py_ssize_t sh[MAXDIMS]
    cdef Py_ssize_t st[MAXDIMS]
    cdef Py_ssize_t known = 1, step
    cdef int nd, d, unknown = -1
    if PyLong_CheckExact(shape):
        shape = (shape,)
    elif type(shape) is not tuple and type(shape) is not list:
        return None
    nd = len(shape)
    if nd > MAXDIMS:
        return None
    for d in range(nd):
        x = shape[d]
        if not PyLong_CheckExact(x) or not -1 <= x <= a._size:
            return None
        sh[d] = x
        if sh[d] == -1:
            if unknown >= 0:
                return None
            unknown = d
        else:
            known *= sh[d]
            if known > a._size:         # (extents are at most the size: no overflow)
                return None
    if unknown >= 0:
        if known == 0 or a._size % known:
            return None
        sh[unknown] = a._size // known
    elif known != a._size:
        return None
    step = a._itemsize
    for d in range(nd - 1, -1, -1):          # NumPy's strides: an empty extent counts 1
        st[d] = step
        step *= sh[d] if sh[d] else 1
    return a._sub(a._data, nd, sh, st)


cdef class _Flags:
    """ndarray.flags (read-only except WRITEABLE)."""
    cdef ndarray a

    def __init__(self, ndarray a):
        self.a = a

    @property
    def c_contiguous(self):
        return self.a._c_contig

    @property
    def f_contiguous(self):
        return self.a._f_contig

    @property
    def contiguous(self):
        return self.a._c_contig

    @property
    def writeable(self):
        return self.a._writeable

    @writeable.setter
    def writeable(self, value):
        self.a.setflags(write=value)

    @property
    def owndata(self):
        return self.a._base is None

    @property
    def aligned(self):
        return (<size_t>self.a._data) % self.a._dtype.alignment == 0

    @property
    def writebackifcopy(self):
        return False

    def __getitem__(self, key):
        names = {"C_CONTIGUOUS": "c_contiguous", "C": "c_contiguous",
                 "CONTIGUOUS": "c_contiguous", "F_CONTIGUOUS": "f_contiguous",
                 "F": "f_contiguous", "FORTRAN": "f_contiguous", "WRITEABLE": "writeable",
                 "W": "writeable", "OWNDATA": "owndata", "O": "owndata",
                 "ALIGNED": "aligned", "A": "aligned", "WRITEBACKIFCOPY": "writebackifcopy",
                 "X": "writebackifcopy"}
        if key not in names:
            raise KeyError(f"Unknown flag {key!r}")
        return getattr(self, names[key])

    def __repr__(self):
        return "\n".join(f"  {k} : {self[k]}" for k in (
            "C_CONTIGUOUS", "F_CONTIGUOUS", "OWNDATA", "WRITEABLE", "ALIGNED",
            "WRITEBACKIFCOPY"))


def _rebuild_from_buffer(buf, dtype, shape, order):
    """Unpickle (protocol 5): an array over the buffer itself, no copy. As with NumPy, a
    read-only buffer (e.g. out-of-band bytes) gives a read-only array; an unaligned one is
    copied into the pool (the kernels expect element-aligned data)."""
    import pickle
    raw = pickle.PickleBuffer(buf).raw()    # 1-d bytes of any contiguous buffer
    arr = np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(shape, order=order)
    if not arr.flags.aligned:
        return _rebuild(buf, dtype, shape, order)
    return wrap_numpy(arr)


def _rebuild(buf, dtype, shape, order):
    cdef ndarray r = _cr.empty_array(tuple(shape), np.dtype(dtype), order)
    if r._size:
        r._np()[...] = np.frombuffer(buf, dtype=r._dtype).reshape(shape, order=order)
    return r




# ------------------------------------------------------------- building and unwrapping

cdef tuple shape_tuple(object shape):
    cdef object s
    if PyLong_CheckExact(shape) and 0 <= shape <= <Py_ssize_t>0x7fffffffffffffff:
        return (shape,)
    if type(shape) is tuple:
        for s in <tuple>shape:
            if not (PyLong_CheckExact(s) and 0 <= s <= <Py_ssize_t>0x7fffffffffffffff):
                break
        else:
            return <tuple>shape
    if isinstance(shape, (tuple, list)):
        t = tuple([operator.index(s) for s in shape])
    else:
        t = (operator.index(shape),)
    for s in t:
        if s < 0:
            raise ValueError("negative dimensions are not allowed")
        if s > <Py_ssize_t>0x7fffffffffffffff:
            raise ValueError("Maximum allowed dimension exceeded")
    return t


cdef dict _FORMATS = {}

# The kernel type and buffer format of the last DTYPE_SLOTS dtypes wrapped, matched by
# identity: results alternate between a few dtypes (float64 values, int64 indices, bool
# masks), and a miss hashes the dtype for its format (~0.2 us a wrap).
cdef enum:
    DTYPE_SLOTS = 8
cdef PyObject *_slot_dtype[DTYPE_SLOTS]       # borrowed: _slot_keep holds the references
cdef int _slot_t[DTYPE_SLOTS]
cdef list _slot_keep = [None] * DTYPE_SLOTS   # (dtype, format) of each slot
cdef int _slot_next = 0


cdef inline void _set_dtype_info(ndarray r, object dtype) except *:
    global _slot_next
    cdef int i, t
    for i in range(DTYPE_SLOTS):
        if _slot_dtype[i] == <PyObject *>dtype:
            break
    else:
        # what may run Python code (and let another thread in) first, then the slot is
        # filled by C assignments only: no thread sees a dtype with another's entries
        t = type_index(dtype)
        kept = (dtype, format_of(dtype))
        i = _slot_next
        _slot_next = (i + 1) % DTYPE_SLOTS
        _slot_dtype[i] = NULL
        _slot_keep[i] = kept
        _slot_t[i] = t
        _slot_dtype[i] = <PyObject *>dtype
    r._t = _slot_t[i]
    r._itemsize = (<cnp.dtype>dtype).itemsize
    r._format = <bytes>(<tuple>_slot_keep[i])[1]


cdef bytes format_of(object dtype):
    """Buffer-protocol format of dtype (cached: computing it allocates): NumPy's, with each
    structure's trailing padding (NumPy's own format leaves it out, so a reader of the
    buffer -- np.asarray of the array -- gets a smaller item or shifted fields). Keyed by
    the type number too: equal dtypes can have different formats (uint64 is "L", its
    equal ulonglong "Q"), and a format cached by the first would be given to the other."""
    key = ((<cnp.dtype>dtype).type_num, dtype)
    cdef object f = _FORMATS.get(key)
    if f is None:
        try:
            if _has_fields(dtype):
                f = _PAD_NAME.sub("", memoryview(np.empty(0, _padded(dtype))).format)
            else:
                f = memoryview(np.empty(0, dtype)).format
            f = f.encode()
        except (ValueError, TypeError):
            f = b"B"
        _FORMATS[key] = f
    return <bytes>f


cdef object _PAD_NAME = re.compile(r":__dc_pad\d+__:")


cdef bint _has_fields(object dtype):
    return dtype.names is not None or (dtype.subdtype is not None
                                       and _has_fields(dtype.subdtype[0]))


cdef object _padded(object dtype):
    """dtype with each structure's trailing padding as a void field named __dc_pad<k>__
    (NumPy's format writes it as padding, "<n>x:__dc_pad<k>__:"; format_of drops the
    name)."""
    if dtype.subdtype is not None:
        return np.dtype((_padded(dtype.subdtype[0]), dtype.subdtype[1]))
    if dtype.names is None:
        return dtype
    names, formats, offsets = [], [], []
    cdef Py_ssize_t end = 0
    for name in dtype.names:
        field = dtype.fields[name]
        names.append(name)
        formats.append(_padded(field[0]))
        offsets.append(field[1])
        end = max(end, field[1] + field[0].itemsize)
    if dtype.itemsize > end:
        k = len(names)
        while f"__dc_pad{k}__" in names:
            k += 1
        names.append(f"__dc_pad{k}__")
        formats.append(np.dtype(f"V{dtype.itemsize - end}"))
        offsets.append(end)
    return np.dtype({"names": names, "formats": formats, "offsets": offsets,
                     "itemsize": dtype.itemsize})


cdef str _no_implicit_host_copy(object dev):
    return (f"implicit conversion of an array on {dev} to a NumPy array is not allowed: "
            "use x.get(), dotcompute.asnumpy(x) or x.to_device('cpu')")


cpdef ndarray wrap_memory(object owner, size_t ptr, tuple shape, tuple strides, object dtype,
                          object device, bint readonly=False):
    """An ndarray over `ptr` (shape, byte strides, dtype) whose memory `owner` owns (kept
    alive by the array) on `device`: how a device backend builds its arrays."""
    cdef ndarray r = ndarray.__new__(ndarray)
    dtype = np.dtype(dtype)
    if dtype.hasobject:
        raise TypeError("dotcompute arrays cannot hold Python objects (dtype=object)")
    if len(shape) != len(strides):
        raise ValueError(f"shape {shape} and strides {strides} differ in length")
    r._dev = _checked_device(device)
    r._host = r._dev is CPU
    r._mem = owner
    r._data = <char *>ptr
    r._dtype = dtype
    r._t = type_index(dtype)
    r._itemsize = dtype.itemsize
    r._format = format_of(dtype)
    r._writeable = not readonly
    r._base = None
    r._set_layout(tuple([operator.index(s) for s in shape]),
                  tuple([operator.index(s) for s in strides]))
    return r


# id(Device) -> the Device, for Device objects as_device accepted (kept alive, so an id is
# never reused): a backend wrapping its results validates its device once, not per array.
cdef dict _valid_devices = {}


cdef object _checked_device(object device):
    if device is CPU:
        return CPU
    cdef object d = _valid_devices.get(id(device))
    if d is not None:
        return d
    d = as_device(device)
    if d is device:
        _valid_devices[id(device)] = device
    return d


cdef ndarray device_result(ndarray like, object owner, size_t ptr, int t,
                           Py_ssize_t itemsize):
    """A C-contiguous, writeable array of like's shape and device, kernel type t, over
    `ptr` (owned by `owner`): the result of a device backend's per-call fast path, built
    without Python calls."""
    cdef ndarray r = ndarray.__new__(ndarray)
    cdef Py_ssize_t st[MAXDIMS]
    cdef Py_ssize_t s = itemsize
    cdef int i
    for i in range(like._ndim - 1, -1, -1):
        st[i] = s
        if like._shape[i] > 1:
            s *= like._shape[i]
    r._dev = like._dev
    r._host = like._host
    r._mem = owner
    r._data = <char *>ptr
    r._dtype = type_dtype(t)
    r._t = t
    r._itemsize = itemsize
    r._format = type_format(t)
    r._writeable = True
    r._base = None
    r._set_layout_c(like._ndim, like._shape, st)
    return r


cdef object common_device(tuple inputs, object out):
    """The device of an operation's dc-array operands (CPU when there are none); a
    ValueError naming both when two of them are on different devices."""
    cdef object dev = None
    cdef object x
    for x in inputs + (out if type(out) is tuple else (out,)):
        if type(x) is ndarray:
            if dev is None:
                dev = (<ndarray>x)._dev
            elif (<ndarray>x)._dev != dev:
                raise ValueError(f"operands are on different devices: {dev} and "
                                 f"{(<ndarray>x)._dev}")
    return CPU if dev is None else dev


cdef ndarray wrap_numpy(object arr, object base=None):
    """A dc array over a numpy array's memory (no copy). `base` is the dc array it views."""
    cdef ndarray r = ndarray.__new__(ndarray)
    cdef cnp.ndarray a = <cnp.ndarray>arr
    dtype = <object>cnp.PyArray_DESCR(a)
    r._data = <char *>cnp.PyArray_DATA(a)
    r._dtype = dtype
    _set_dtype_info(r, dtype)
    r._writeable = cnp.PyArray_ISWRITEABLE(a)
    if base is not None:
        r._mem = (<ndarray>base)._mem
        r._base = base if (<ndarray>base)._base is None else (<ndarray>base)._base
    else:
        r._mem = arr
        r._base = None
    # the layout as NumPy keeps it: its contiguity flags are ours (extent-1 axes' strides
    # do not matter, an empty array is both), its alignment flag the kernels' condition
    # for the accelerated dtypes (whose alignment is their item size)
    cdef int nd = cnp.PyArray_NDIM(a), flags = cnp.PyArray_FLAGS(a)
    if nd > MAXDIMS:
        raise ValueError(f"maximum supported dimension for an ndarray is currently "
                         f"{MAXDIMS}, found {nd}")
    alloc_layout(r, nd)
    if nd:                          # a 0-d array's dims and strides may be NULL
        memcpy(r._shape, cnp.PyArray_DIMS(a), nd * sizeof(Py_ssize_t))
        memcpy(r._strides, cnp.PyArray_STRIDES(a), nd * sizeof(Py_ssize_t))
    r._size = cnp.PyArray_SIZE(a)
    r._c_contig = (flags & cnp.NPY_ARRAY_C_CONTIGUOUS) != 0
    r._f_contig = (flags & cnp.NPY_ARRAY_F_CONTIGUOUS) != 0
    if not (flags & cnp.NPY_ARRAY_ALIGNED):
        r._t = -1
    r._npview = arr
    return r


cdef object _wrap(object r, ndarray parent):
    """Wrap a numpy result computed on parent's view: a view of parent stays a view."""
    if type(r) is not cnp.ndarray:
        return r
    if _is_view_of(r, parent):
        return wrap_numpy(r, parent)
    return wrap_numpy(r)


cdef bint _is_view_of(object r, ndarray parent):
    """r (a numpy array) shares parent's memory: its base chain reaches parent's numpy
    view or parent's memory owner."""
    cdef PyObject *b = cnp.PyArray_BASE(<cnp.ndarray>r)
    cdef PyObject *v = <PyObject *>parent._npview
    cdef PyObject *m = <PyObject *>parent._mem
    while b != NULL:
        if b == v or b == m:
            return True
        if type(<object>b) is not cnp.ndarray:
            return False
        b = cnp.PyArray_BASE(<cnp.ndarray>b)
    return False


cdef tuple ssize_tuple(const Py_ssize_t *p, int n):
    cdef tuple t = PyTuple_New(n)
    cdef int i
    cdef object x
    for i in range(n):
        x = PyLong_FromSsize_t(p[i])
        Py_INCREF(x)
        PyTuple_SET_ITEM(t, i, x)
    return t


cdef inline Py_ssize_t _axis0_index(ndarray a, object key) except -2:
    """key (an exact int) as an index into a's first axis, -1 when out of bounds or past
    Py_ssize_t (basic_index then raises NumPy's IndexError or defers to NumPy)."""
    cdef Py_ssize_t i = PyLong_AsSsize_t(key)
    if i == -1 and PyErr_Occurred():
        PyErr_Clear()
        return -1
    if i < 0:
        i += a._shape[0]
    if i < 0 or i >= a._shape[0]:
        return -1
    return i


cdef inline bint _int_tuple_offset(ndarray a, tuple key, Py_ssize_t *offset) except -1:
    """key is a tuple of a._ndim exact ints, all in bounds: offset (bytes) of the element;
    False otherwise (basic_index then decides, with NumPy's errors)."""
    cdef Py_ssize_t n = len(key), d, i, off = 0
    cdef object k
    if n != a._ndim or n == 0:
        return False
    for d in range(n):
        k = key[d]
        if not PyLong_CheckExact(k):
            return False
        try:
            i = PyLong_AsSsize_t(k)
        except OverflowError:
            return False                     # past Py_ssize_t: NumPy's IndexError
        if i < 0:
            i += a._shape[d]
        if i < 0 or i >= a._shape[d]:
            return False
        off += i * a._strides[d]
    offset[0] = off
    return True


@cython.final
cdef class _Rows:
    """iter(a): NumPy scalars along a 1-d array, views of the rows otherwise."""
    cdef ndarray a
    cdef Py_ssize_t i, n
    cdef char *p
    cdef bint items

    def __cinit__(self, ndarray a):
        self.a = a
        self.i = 0
        self.n = a._shape[0]
        self.p = a._data
        self.items = a._ndim == 1 and a._host and not _structured(a)

    def __iter__(self):
        return self

    def __next__(self):
        cdef ndarray a = self.a
        cdef char *p = self.p
        if self.i >= self.n:
            raise StopIteration
        self.i += 1
        self.p += a._strides[0]
        if self.items:
            return a._item_at(p)
        if a._ndim > 1 and a._host:
            return a._sub(p, a._ndim - 1, a._shape + 1, a._strides + 1)
        return a[self.i - 1]          # structured elements, other devices: a[i]


cdef inline bint _structured(ndarray a):
    return (<cnp.dtype>a._dtype).type_num == cnp.NPY_VOID


cdef object _matmul(object x, object y):
    """x @ y: the routines' direct paths for two arrays of ours (_red.matmul2), else the
    ufunc protocol."""
    cdef object r = _red.matmul2(x, y)
    if r is not None:
        return r
    return _ew.ufunc_call(np.matmul, (x, y), {})


cdef object wrap_result(object r, ndarray parent=None):
    """Wrap numpy arrays in (nested tuples/lists of) results as dc arrays."""
    if type(r) is cnp.ndarray:
        if parent is not None and _is_view_of(r, parent):
            return wrap_numpy(r, parent)
        return wrap_numpy(r)
    if type(r) is tuple:
        return _wrap_tuple(<tuple>r, parent)
    if type(r) is list:
        return [wrap_result(x, parent) for x in r]
    if isinstance(r, tuple) and hasattr(type(r), "_fields"):
        # named tuples (np.linalg.qr/svd/eigh, np.unique_all, ...)
        return type(r)(*[wrap_result(x, parent) for x in r])
    return r



cdef tuple _wrap_tuple(tuple r, ndarray parent):
    """wrap_result of each item of r, into a tuple built directly (np.where's and
    np.nonzero's index tuples, divmod's pair: no list in between)."""
    cdef Py_ssize_t i, n = len(r)
    cdef tuple t = PyTuple_New(n)
    cdef object x
    for i in range(n):
        x = wrap_result(<object>PyTuple_GET_ITEM(r, i), parent)
        Py_INCREF(x)
        PyTuple_SET_ITEM(t, i, x)
    return t


cdef object to_numpy(object x):
    """Zero-copy numpy view of a dc array (a host copy for another device); anything else
    unchanged."""
    if type(x) is ndarray:
        return (<ndarray>x)._np()
    return x


cdef object to_numpy_nested(object x):
    if type(x) is ndarray:
        return (<ndarray>x)._np()
    if type(x) is list:
        return [to_numpy_nested(v) for v in x]
    if type(x) is tuple:
        return tuple([to_numpy_nested(v) for v in x])
    return x


cdef object key_to_numpy(object key):
    if type(key) is ndarray:
        return (<ndarray>key)._np()
    if type(key) is tuple:
        return tuple([to_numpy(k) for k in key])
    return key


cdef tuple args_to_numpy(tuple args, dict kwargs):
    args = tuple([to_numpy_nested(a) for a in args])
    kwargs = {k: to_numpy_nested(v) for k, v in kwargs.items()}
    return args, kwargs


# NumPy allocations of fallback calls come from the pool (NEP 49 handler), so their results


# For the Python layer (the namespace wraps NumPy's functions with these).
def wrap(r):
    """numpy arrays in r (also inside tuples and lists) as dc arrays."""
    return wrap_result(r)


def unwrap(x):
    """dc arrays in x (also inside tuples and lists) as zero-copy numpy arrays."""
    return to_numpy_nested(x)


cdef object device_function(ndarray a, object func, tuple args, dict kwargs):
    return backend(a._dev).array_function(func, (ndarray,), args, kwargs)
