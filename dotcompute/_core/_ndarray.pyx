# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""dotcompute.ndarray: a NumPy-compatible array over pooled memory.

The class keeps its layout in C (data pointer, shape, strides, kernel type index) so the
hot paths — element-wise operations and reductions on operands our kernels cover — go from
the Python call to the selected build's C function table without Python-level work. All
else runs NumPy's own code on a zero-copy numpy view of the same memory, with any new
result allocated from the pool (the NEP 49 handler) and wrapped without a copy: results,
dtypes and exceptions are NumPy's by construction.
"""
cimport cython
from cpython.buffer cimport PyBUF_WRITABLE, PyBUF_FORMAT, PyBUF_ND, PyBUF_STRIDES
from cpython.buffer cimport PyBUF_C_CONTIGUOUS, PyBUF_F_CONTIGUOUS, PyBUF_ANY_CONTIGUOUS
from cpython.mem cimport PyMem_Malloc, PyMem_Free
from cpython.pycapsule cimport PyCapsule_GetPointer
from libc.string cimport memcpy, memset
from libc.stdint cimport int64_t, uint64_t, uint8_t, int8_t, int16_t, int32_t
from libc.stdint cimport uint16_t, uint32_t

cimport numpy as cnp

from dotcompute._core._memory cimport DeviceMemory, dc_malloc
from dotcompute._core._cpu cimport effective_num_threads

import operator
import numpy as np

from dotcompute._core import _dispatch, _memory
from dotcompute._core._opspec import (BINARY_INDEX, UNARY_INDEX, REDUCE_INDEX, DTYPES,
                                      BINARY, UNARY)

cnp.import_array()

from dotcompute._core._kernel_table cimport *

DEF MAXDIMS = 64
# Below this many elements a kernel call keeps the GIL (releasing it costs more).
DEF NOGIL_MIN = 16384

cdef dc_kernel_table *K = <dc_kernel_table *>PyCapsule_GetPointer(
    _dispatch.kernels.kernel_table(), b"dotcompute.kernels")

# Serial thresholds. The table's values assume workers that spin between parallel regions
# (a fork/join of ~1 us). dotcompute's default OMP_WAIT_POLICY=PASSIVE lets them sleep --
# steady on a shared, oversubscribed machine -- and waking them costs ~10-20 us, measured
# here: 2 threads then only pay off from ~4x larger inputs, so the thresholds scale by 4.
def _scale_thresholds():
    import os
    if os.environ.get("OMP_WAIT_POLICY", "").strip().upper() != "PASSIVE":
        return
    cdef int i
    for i in range(len(BINARY)):
        K.binary_threshold[i] *= 4
    for i in range(len(UNARY)):
        K.unary_threshold[i] *= 4
    K.reduce_threshold *= 4

_scale_thresholds()


# dtype -> kernel table index (only native byte order dtypes are accelerated).
cdef dict _TYPE_INDEX = {}
for _i, _d in enumerate(DTYPES):
    _TYPE_INDEX[np.dtype(_d[2])] = _i
    _TYPE_INDEX[np.dtype(_d[0].replace("b1", "?"))] = _i
_TYPE_INDEX[np.dtype(np.int64)] = _TYPE_INDEX[np.dtype("q")]
_TYPE_INDEX[np.dtype(np.uint64)] = _TYPE_INDEX[np.dtype("Q")]
cdef int T_B1 = 0, T_I8 = 4, T_U8 = 8, T_F4 = 9, T_F8 = 10
cdef list _TYPE_DTYPE = [np.dtype(d[2]) for d in DTYPES]
_TYPE_DTYPE[T_I8] = np.dtype(np.int64)
_TYPE_DTYPE[T_U8] = np.dtype(np.uint64)
cdef object _BOOL = np.dtype(bool)
cdef Py_ssize_t _TYPE_SIZE[16]
for _i, _d in enumerate(_TYPE_DTYPE):
    _TYPE_SIZE[_i] = _d.itemsize
cdef list _TYPE_FORMAT = [memoryview(np.empty(0, _d)).format.encode() for _d in _TYPE_DTYPE]
cdef object _INTP = np.dtype(np.intp)

cdef inline int _type_index(object dtype):
    cdef object r = _TYPE_INDEX.get(dtype)
    return -1 if r is None else <int>r

# ufunc -> (binary op index, output is bool) and (unary op index, output is bool)
cdef dict _BINARY_OF = {}
cdef dict _UNARY_OF = {}
for _op in BINARY:
    _uf = getattr(np, _op[0])
    _BINARY_OF[_uf] = (BINARY_INDEX[_op[0]], _op[2] == "bool")
for _op in UNARY:
    _uf = getattr(np, _op[0])
    _UNARY_OF[_uf] = (UNARY_INDEX[_op[0]], _op[2] == "bool")

cdef int R_SUM = REDUCE_INDEX["sum"], R_PROD = REDUCE_INDEX["prod"]
cdef int R_MIN = REDUCE_INDEX["min"], R_MAX = REDUCE_INDEX["max"]
cdef int R_ARGMIN = REDUCE_INDEX["argmin"], R_ARGMAX = REDUCE_INDEX["argmax"]
cdef int R_ANY = REDUCE_INDEX["any"], R_ALL = REDUCE_INDEX["all"]


# ------------------------------------------------- NumPy's loops for the expensive ops
#
# For transcendentals NumPy may have a faster single-thread loop than ours on some CPUs
# (e.g. its AVX-512 SVML routines). For those (op, dtype) we can run NumPy's own inner loop
# -- taken from the ufunc object, called without the GIL -- across our threads. The first
# call of each (op, dtype) times both loops on one thread over a private buffer of typical
# inputs and keeps the faster for the rest of the process. Only in the default build (a forced
# DOTCOMPUTE_CPU_CAPABILITY exercises our kernels) and unless DOTCOMPUTE_NUMPY_LOOPS=0.
import os as _os
from dotcompute._core._opspec import EXPENSIVE as _EXPENSIVE
from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC

DEF MAXOPS = 64
cdef dc_npy_loop _npy_loop[2][MAXOPS][16]     # [0]: unary ops, [1]: binary ops
cdef void *_npy_ctx[2][MAXOPS][16]
cdef void *_npy_aux[2][MAXOPS][16]
cdef signed char _choice[2][MAXOPS][16]      # 0 undecided, 1 ours, 2 NumPy's
memset(_npy_loop, 0, sizeof(_npy_loop))
memset(_choice, 0, sizeof(_choice))
cdef bint _borrow = (not _os.environ.get("DOTCOMPUTE_CPU_CAPABILITY", "").strip()
                     and _os.environ.get("DOTCOMPUTE_NUMPY_LOOPS", "1") != "0")
cdef list _npy_capsules = []          # keep each loop's context and auxdata alive

# Leading fields of NumPy's `ufunc_call_info` (capsule "numpy_1.24_ufunc_call_info",
# documented with ufunc._get_strided_loop; NumPy's own tests call loops this way).
ctypedef struct _CallInfo:
    dc_npy_loop strided_loop
    void *context
    void *auxdata
    cnp.npy_bool requires_pyapi
    cnp.npy_bool no_floatingpoint_errors


cdef void _load_numpy_loops(int kind, list ops):
    cdef _CallInfo *info
    cdef int t
    for idx, op in enumerate(ops):
        if op[3] != _EXPENSIVE:
            continue
        uf = getattr(np, op[0])
        for t in (T_F4, T_F8):
            dt = _TYPE_DTYPE[t]
            try:
                resolved, capsule = uf._resolve_dtypes_and_context((dt,) * uf.nargs)
                if any(d != dt for d in resolved):
                    continue
                uf._get_strided_loop(capsule, fixed_strides=(dt.itemsize,) * uf.nargs)
                info = <_CallInfo *>PyCapsule_GetPointer(capsule,
                                                         b"numpy_1.24_ufunc_call_info")
            except Exception:
                return                       # private NumPy API changed: use our loops
            if info.strided_loop == NULL or info.requires_pyapi:
                continue
            _npy_capsules.append(capsule)
            _npy_loop[kind][idx][t] = info.strided_loop
            _npy_ctx[kind][idx][t] = info.context
            _npy_aux[kind][idx][t] = info.auxdata

if _borrow:
    _load_numpy_loops(0, UNARY)
    _load_numpy_loops(1, BINARY)


cdef inline double _now() noexcept nogil:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec + ts.tv_nsec * 1e-9


DEF CAL_N = 8192
cdef double _cal_buf[3][CAL_N]     # calibration inputs/output (float32 uses the front half)


cdef int _calibrate(int kind, int op, int t) noexcept nogil:
    """Time our loop and NumPy's on one thread over CAL_N typical inputs (0.1 .. 2);
    1 (ours) or 2 (NumPy's)."""
    cdef Py_ssize_t m = CAL_N, i
    cdef Py_ssize_t size = 4 if t == T_F4 else 8
    cdef Py_ssize_t steps[3]
    cdef char *args[3]
    cdef double best_ours = 1e30, best_np = 1e30, t0, dt
    cdef int rep, j
    for j in range(2):
        for i in range(CAL_N):
            if t == T_F4:
                (<float *>_cal_buf[j])[i] = <float>(0.1 + 1.9 * i / CAL_N)
            else:
                _cal_buf[j][i] = 0.1 + 1.9 * i / CAL_N
    args[0] = <char *>_cal_buf[0]
    args[1] = <char *>_cal_buf[1] if kind == 1 else <char *>_cal_buf[2]
    args[2] = <char *>_cal_buf[2]
    steps[0] = steps[1] = steps[2] = size
    for rep in range(3):
        t0 = _now()
        if kind == 0:
            K.unary[op][t](args[0], size, args[1], size, m)
        else:
            K.binary[op][t](args[0], size, args[1], size, args[2], size, m)
        dt = _now() - t0
        if dt < best_ours:
            best_ours = dt
        t0 = _now()
        _npy_loop[kind][op][t](_npy_ctx[kind][op][t], args, &m, steps,
                               _npy_aux[kind][op][t])
        dt = _now() - t0
        if dt < best_np:
            best_np = dt
    return 2 if best_np * 1.05 < best_ours else 1


cdef bint _run_numpy_loop(int kind, int op, int t, char **args, Py_ssize_t *steps,
                          Py_ssize_t n, int threshold):
    """Run NumPy's loop for (op, t) when it is the faster one here; False to use ours.
    The first call of each (op, t) decides, on a private buffer of typical inputs."""
    cdef signed char c = _choice[kind][op][t]
    cdef int nt
    if c == 1 or _npy_loop[kind][op][t] == NULL:
        return False
    if c == 0:
        with nogil:
            c = <signed char>_calibrate(kind, op, t)
        _choice[kind][op][t] = c
        if c == 1:
            return False
    nt = effective_num_threads() if n >= threshold else 1
    if n < NOGIL_MIN:
        K.run_npy(_npy_loop[kind][op][t], _npy_ctx[kind][op][t], _npy_aux[kind][op][t],
                  kind + 1, threshold, args, steps, n, 1)
        return True
    with nogil:
        K.run_npy(_npy_loop[kind][op][t], _npy_ctx[kind][op][t], _npy_aux[kind][op][t],
                  kind + 1, threshold, args, steps, n, nt)
    return True


def _borrow_enabled():
    return _borrow


def set_loop_choice(str name, str char, str who):
    """Fix whose loop runs ufunc `name` at dtype `char` ("numpy", "dotcompute", or
    "auto" to calibrate again). For tests and measurements."""
    t = T_F4 if char == "f" else T_F8
    for kind, index in ((0, UNARY_INDEX), (1, BINARY_INDEX)):
        if name in index:
            if who == "numpy" and _npy_loop[kind][index[name]][t] == NULL:
                raise ValueError(f"no NumPy loop borrowed for {name}[{char}]")
            _choice[kind][index[name]][t] = {"auto": 0, "dotcompute": 1, "numpy": 2}[who]
            return
    raise KeyError(name)


def numpy_loop_choices():
    """{(ufunc name, dtype char): "dotcompute" | "numpy"} decided so far in this process."""
    out = {}
    for kind, ops in ((0, UNARY), (1, BINARY)):
        for idx, op in enumerate(ops):
            for t in (T_F4, T_F8):
                c = _choice[kind][idx][t]
                if c:
                    out[(op[0], _TYPE_DTYPE[t].char)] = "numpy" if c == 2 else "dotcompute"
    return out


# ------------------------------------------------------------------------ the class

class _Interface:
    """Carrier of an __array_interface__ that keeps the memory owner (not the dc array)
    alive: numpy views of a dc array hold this, so they form no reference cycle with it."""
    __slots__ = ("__array_interface__", "owner")

    def __init__(self, iface, owner):
        self.__array_interface__ = iface
        self.owner = owner


cdef class ndarray:
    """N-dimensional array in pooled memory, compatible with numpy.ndarray.

    ``ndarray(shape, dtype=float, buffer=None, offset=0, strides=None, order=None)`` as
    numpy.ndarray; most code creates arrays with dotcompute.asarray / zeros / empty.
    """

    def __cinit__(self, *args, **kwargs):
        self._shape = NULL
        self._strides = NULL
        self._t = -1
        self._writeable = True

    def __init__(self, shape, dtype=float, buffer=None, offset=0, strides=None,
                 order=None):
        cdef ndarray tmp
        if buffer is None:
            if strides is not None:
                raise ValueError("strides require a buffer")
            tmp = _empty(_shape_tuple(shape), np.dtype(dtype), order or "C")
        else:
            tmp = _wrap_numpy(np.ndarray(shape, dtype, buffer, offset, strides, order))
        self._adopt(tmp)

    def __dealloc__(self):
        if self._shape != NULL:
            PyMem_Free(self._shape)

    cdef _adopt(self, ndarray other):
        self._mem = other._mem
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
        cdef Py_ssize_t size = 1, expect
        if nd > MAXDIMS:
            raise ValueError(f"maximum supported dimension for an ndarray is currently "
                             f"{MAXDIMS}, found {nd}")
        if self._shape != NULL:
            PyMem_Free(self._shape)
        self._shape = <Py_ssize_t *>PyMem_Malloc(sizeof(Py_ssize_t) * (2 * nd + 1))
        if self._shape == NULL:
            raise MemoryError()
        self._strides = self._shape + nd
        self._ndim = nd
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

    cdef object _np(self):
        """Zero-copy numpy.ndarray over the same memory (cached)."""
        cdef object v = self._npview
        if v is None:
            v = np.asarray(_Interface(self._interface(), self._mem))
            self._npview = v
        return v

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
        return tuple([self._shape[i] for i in range(self._ndim)])

    @shape.setter
    def shape(self, value):
        v = self._np().view()
        v.shape = value          # NumPy's checks and errors
        self._set_layout(v.shape, v.strides)

    @property
    def strides(self):
        return tuple([self._strides[i] for i in range(self._ndim)])

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
        return self.transpose()

    @property
    def mT(self):
        return _wrap(self._np().mT, self)

    @property
    def real(self):
        return _wrap(self._np().real, self)

    @real.setter
    def real(self, value):
        self._np().real = _to_numpy(value)

    @property
    def imag(self):
        return _wrap(self._np().imag, self)

    @imag.setter
    def imag(self, value):
        self._np().imag = _to_numpy(value)

    @property
    def flat(self):
        return self._np().flat

    @property
    def ctypes(self):
        return self._np().ctypes

    @property
    def device(self):
        return "cpu"

    @property
    def memory(self):
        """The DeviceMemory (or other owner) holding the data."""
        return self._mem

    # ------------------------------------------------------------ conversions
    @property
    def __array_interface__(self):
        d = self._interface()
        return d

    @property
    def __array_priority__(self):
        return 20.0

    def __array__(self, dtype=None, copy=None):
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
        return self._np().__dlpack__(stream=stream, max_version=max_version,
                                     dl_device=dl_device, copy=copy)

    def __dlpack_device__(self):
        return self._np().__dlpack_device__()

    def __array_namespace__(self, *, api_version=None):
        import dotcompute
        return dotcompute

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return _array_function(func, types, args, kwargs)

    # -------------------------------------------------------------- python protocol
    def __len__(self):
        if self._ndim == 0:
            raise TypeError("len() of unsized object")
        return self._shape[0]

    def __iter__(self):
        if self._ndim == 0:
            raise TypeError("iteration over a 0-d array")
        for i in range(self._shape[0]):
            yield self[i]

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
        return _wrap(self._np()[_key_to_numpy(key)], self)

    def __setitem__(self, key, value):
        if not self._writeable:
            raise ValueError("assignment destination is read-only")
        self._np()[_key_to_numpy(key)] = _to_numpy(value)

    # ----------------------------------------------------------------- operators
    def __add__(self, other):
        return _binop(np.add, self, other)

    def __radd__(self, other):
        return _binop(np.add, other, self)

    def __iadd__(self, other):
        return _inplace(np.add, self, other)

    def __sub__(self, other):
        return _binop(np.subtract, self, other)

    def __rsub__(self, other):
        return _binop(np.subtract, other, self)

    def __isub__(self, other):
        return _inplace(np.subtract, self, other)

    def __mul__(self, other):
        return _binop(np.multiply, self, other)

    def __rmul__(self, other):
        return _binop(np.multiply, other, self)

    def __imul__(self, other):
        return _inplace(np.multiply, self, other)

    def __truediv__(self, other):
        return _binop(np.true_divide, self, other)

    def __rtruediv__(self, other):
        return _binop(np.true_divide, other, self)

    def __itruediv__(self, other):
        return _inplace(np.true_divide, self, other)

    def __floordiv__(self, other):
        return _binop(np.floor_divide, self, other)

    def __rfloordiv__(self, other):
        return _binop(np.floor_divide, other, self)

    def __ifloordiv__(self, other):
        return _inplace(np.floor_divide, self, other)

    def __mod__(self, other):
        return _binop(np.remainder, self, other)

    def __rmod__(self, other):
        return _binop(np.remainder, other, self)

    def __imod__(self, other):
        return _inplace(np.remainder, self, other)

    def __divmod__(self, other):
        return _ufunc_call(np.divmod, (self, other), {})

    def __rdivmod__(self, other):
        return _ufunc_call(np.divmod, (other, self), {})

    def __pow__(self, other, mod=None):
        if mod is not None:
            return NotImplemented
        if (type(other) is int or type(other) is float) and other == 2:
            return _ufunc_call(np.square, (self,), {})   # NumPy's fast scalar power
        return _binop(np.power, self, other)

    def __rpow__(self, other, mod=None):
        if mod is not None:
            return NotImplemented
        return _binop(np.power, other, self)

    def __ipow__(self, other):
        return _inplace(np.power, self, other)

    def __matmul__(self, other):
        return _ufunc_call(np.matmul, (self, other), {})

    def __rmatmul__(self, other):
        return _ufunc_call(np.matmul, (other, self), {})

    def __imatmul__(self, other):
        return _ufunc_call(np.matmul, (self, other), {"out": (self,)})

    def __and__(self, other):
        return _binop(np.bitwise_and, self, other)

    def __rand__(self, other):
        return _binop(np.bitwise_and, other, self)

    def __iand__(self, other):
        return _inplace(np.bitwise_and, self, other)

    def __or__(self, other):
        return _binop(np.bitwise_or, self, other)

    def __ror__(self, other):
        return _binop(np.bitwise_or, other, self)

    def __ior__(self, other):
        return _inplace(np.bitwise_or, self, other)

    def __xor__(self, other):
        return _binop(np.bitwise_xor, self, other)

    def __rxor__(self, other):
        return _binop(np.bitwise_xor, other, self)

    def __ixor__(self, other):
        return _inplace(np.bitwise_xor, self, other)

    def __lshift__(self, other):
        return _binop(np.left_shift, self, other)

    def __rlshift__(self, other):
        return _binop(np.left_shift, other, self)

    def __ilshift__(self, other):
        return _inplace(np.left_shift, self, other)

    def __rshift__(self, other):
        return _binop(np.right_shift, self, other)

    def __rrshift__(self, other):
        return _binop(np.right_shift, other, self)

    def __irshift__(self, other):
        return _inplace(np.right_shift, self, other)

    def __lt__(self, other):
        return _binop(np.less, self, other)

    def __le__(self, other):
        return _binop(np.less_equal, self, other)

    def __gt__(self, other):
        return _binop(np.greater, self, other)

    def __ge__(self, other):
        return _binop(np.greater_equal, self, other)

    def __eq__(self, other):
        return _binop(np.equal, self, other)

    def __ne__(self, other):
        return _binop(np.not_equal, self, other)

    def __neg__(self):
        return _ufunc_call(np.negative, (self,), {})

    def __pos__(self):
        return _ufunc_call(np.positive, (self,), {})

    def __abs__(self):
        return _ufunc_call(np.absolute, (self,), {})

    def __invert__(self):
        return _ufunc_call(np.invert, (self,), {})

    # ------------------------------------------------------------------- methods
    def copy(self, order="C"):
        cdef ndarray r
        if order in ("C", "K", "A") and self._c_contig:
            r = _empty(self.shape, self._dtype, "C")
            if self._size:
                memcpy(r._data, self._data, self._size * self._itemsize)
            return r
        r = _empty(self.shape, self._dtype, "F" if order == "F" else "C")
        np.copyto(r._np(), self._np())
        return r

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        dtype = np.dtype(dtype)
        if dtype == self._dtype and not copy:
            return self
        cdef ndarray r = _empty(self.shape, dtype, "C")
        cdef int tf = self._t, tt = _type_index(dtype)
        if (tf >= 0 and tt >= 0 and self._c_contig and casting == "unsafe"
                and K.cast[tf][tt] != NULL):
            _run_unary(K.cast[tf][tt], K.reduce_threshold, self._data, self._itemsize, r._data,
                       r._itemsize, self._size)
            return r
        np.copyto(r._np(), self._np(), casting=casting)
        return r

    def fill(self, value):
        if not self._writeable:
            raise ValueError("assignment destination is read-only")
        self._np().fill(value)

    def reshape(self, *shape, order="C", copy=None):
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = shape[0]
        return _wrap(self._np().reshape(shape, order=order, copy=copy), self)

    def view(self, dtype=None, type=None):
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

    def __getattr__(self, name):
        # Methods and attributes we do not implement come from NumPy's ndarray on a
        # zero-copy view; array results are wrapped (views keep sharing our memory).
        if name.startswith("__"):
            raise AttributeError(name)
        attr = getattr(np.ndarray, name, None)
        if attr is None:
            raise AttributeError(f"'dotcompute.ndarray' object has no attribute '{name}'")
        bound = getattr(self._np(), name)
        if not callable(bound):
            return _wrap(bound, self)
        def method(*args, **kwargs):
            args, kwargs = _args_to_numpy(args, kwargs)
            with _numpy_in_pool():
                r = bound(*args, **kwargs)
            return _wrap_result(r, self)
        method.__name__ = name
        return method

    # Reductions with accelerated paths.
    def sum(self, axis=None, dtype=None, out=None, keepdims=False, initial=np._NoValue,
            where=True):
        return _reduction(np.add, R_SUM, self, axis, dtype, out, keepdims, initial, where)

    def prod(self, axis=None, dtype=None, out=None, keepdims=False, initial=np._NoValue,
             where=True):
        return _reduction(np.multiply, R_PROD, self, axis, dtype, out, keepdims, initial,
                          where)

    def min(self, axis=None, out=None, keepdims=False, initial=np._NoValue, where=True):
        return _reduction(np.minimum, R_MIN, self, axis, None, out, keepdims, initial, where)

    def max(self, axis=None, out=None, keepdims=False, initial=np._NoValue, where=True):
        return _reduction(np.maximum, R_MAX, self, axis, None, out, keepdims, initial, where)

    def any(self, axis=None, out=None, keepdims=False, *, where=True):
        return _reduction(np.logical_or, R_ANY, self, axis, None, out, keepdims,
                          np._NoValue, where)

    def all(self, axis=None, out=None, keepdims=False, *, where=True):
        return _reduction(np.logical_and, R_ALL, self, axis, None, out, keepdims,
                          np._NoValue, where)

    def argmin(self, axis=None, out=None, *, keepdims=False):
        return _argreduction(R_ARGMIN, "argmin", self, axis, out, keepdims)

    def argmax(self, axis=None, out=None, *, keepdims=False):
        return _argreduction(R_ARGMAX, "argmax", self, axis, out, keepdims)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False, *, where=True):
        cdef ndarray a = self
        if (axis is None and dtype is None and out is None and not keepdims
                and where is True and a._t >= T_F4 and a._size > 0):
            return _reduction(np.add, R_SUM, a, None, None, None, False, np._NoValue,
                              True) / a._size
        if dtype is None and out is None and where is True and a._t >= T_F4 and a._size > 0:
            r = _reduce_axes(R_SUM, a, axis, keepdims)
            if r is not None:
                # NumPy's _mean: the sum divided by the count as an intp (float64 division
                # for float32, cast back), in place for arrays
                count = np.intp(a._size // max(1, (<ndarray>r)._size if type(r) is ndarray
                                                     else 1))
                if type(r) is ndarray:
                    return np.true_divide(r, count, out=r, casting="unsafe")
                return r.dtype.type(r / count)
        return self.__getattr__("mean")(axis=axis, dtype=dtype, out=out,
                                        keepdims=keepdims, where=where)

    def dot(self, b, out=None):
        return _dot(self, b, out)

    def clip(self, min=None, max=None, out=None, **kwargs):
        return _clip(self, min, max, out, kwargs)

    def transpose(self, *axes):
        if len(axes) == 1 and (axes[0] is None or not isinstance(axes[0], int)):
            axes = axes[0]
        return _wrap(self._np().transpose(axes) if axes else self._np().transpose(), self)

    def ravel(self, order="C"):
        if order == "C" and self._c_contig:
            return _wrap(self._np().reshape(-1), self)
        return _wrap(self._np().ravel(order), self)

    def flatten(self, order="C"):
        return self.copy(order="F" if order == "F" else "C").ravel(
            "F" if order == "F" else "C")


builtins_type = type


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
    return _wrap_numpy(arr)


def _rebuild(buf, dtype, shape, order):
    cdef ndarray r = _empty(tuple(shape), np.dtype(dtype), order)
    if r._size:
        r._np()[...] = np.frombuffer(buf, dtype=r._dtype).reshape(shape, order=order)
    return r


# ---------------------------------------------------------------- construction

cdef tuple _shape_tuple(object shape):
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


cdef ndarray _empty(tuple shape, object dtype, str order):
    """New uninitialized array in pool memory (C or F order)."""
    cdef ndarray r = ndarray.__new__(ndarray)
    cdef Py_ssize_t itemsize = dtype.itemsize, n = 1, s
    cdef int nd = len(shape), i
    cdef list strides = [0] * nd
    if dtype.hasobject:
        raise TypeError("dotcompute arrays cannot hold Python objects (dtype=object)")
    for s in shape:
        if s < 0:
            raise ValueError("negative dimensions are not allowed")
        if s and n > (<Py_ssize_t>0x7fffffffffffffff) // s:
            raise ValueError("array is too big; `arr.size * arr.dtype.itemsize` is larger "
                             "than the maximum possible size.")
        n *= s
    if itemsize and n > (<Py_ssize_t>0x7fffffffffffffff) // itemsize:
        raise ValueError("array is too big; `arr.size * arr.dtype.itemsize` is larger than "
                         "the maximum possible size.")
    s = itemsize
    if order == "F":
        for i in range(nd):
            strides[i] = s
            s *= shape[i]
    else:
        for i in range(nd - 1, -1, -1):
            strides[i] = s
            s *= shape[i]
    cdef DeviceMemory mem = dc_malloc(<size_t>(n * itemsize))
    r._mem = mem
    r._data = mem.ptr_
    r._dtype = dtype
    r._t = _type_index(dtype)
    r._itemsize = itemsize
    r._format = _format_of(dtype)
    r._writeable = True
    r._base = None
    r._set_layout(shape, tuple(strides))
    return r


cdef ndarray _empty_c(int nd, const Py_ssize_t *shape, int t):
    """New C-order array of kernel type t and the given extents (already validated as the
    shape of an existing array): the allocation fast path of the element-wise kernels."""
    cdef ndarray r = ndarray.__new__(ndarray)
    cdef object dtype = <object>(<list>_TYPE_DTYPE)[t]
    cdef Py_ssize_t itemsize = _TYPE_SIZE[t], n = 1, s
    cdef int i
    for i in range(nd):
        n *= shape[i]
    cdef DeviceMemory mem = dc_malloc(<size_t>(n * itemsize))
    r._mem = mem
    r._data = mem.ptr_
    r._dtype = dtype
    r._t = t
    r._itemsize = itemsize
    r._format = <bytes>(<list>_TYPE_FORMAT)[t]
    r._base = None
    r._shape = <Py_ssize_t *>PyMem_Malloc(sizeof(Py_ssize_t) * (2 * nd + 1))
    if r._shape == NULL:
        raise MemoryError()
    r._strides = r._shape + nd
    r._ndim = nd
    r._size = n
    s = itemsize
    for i in range(nd - 1, -1, -1):
        r._shape[i] = shape[i]
        r._strides[i] = s
        s *= shape[i]
    r._c_contig = True
    r._f_contig = nd <= 1 or n == 0
    if not r._f_contig:
        r._f_contig = True
        s = 0
        for i in range(nd):
            if shape[i] != 1:
                s += 1
        r._f_contig = s <= 1
    return r


cdef dict _FORMATS = {}


cdef bytes _format_of(object dtype):
    """Buffer-protocol format of dtype (cached: computing it allocates)."""
    cdef object f = _FORMATS.get(dtype)
    if f is None:
        try:
            f = memoryview(np.empty(0, dtype)).format.encode()
        except (ValueError, TypeError):
            f = b"B"
        _FORMATS[dtype] = f
    return <bytes>f


cdef ndarray _wrap_numpy(object arr, object base=None):
    """A dc array over a numpy array's memory (no copy). `base` is the dc array it views."""
    cdef ndarray r = ndarray.__new__(ndarray)
    cdef cnp.ndarray a = <cnp.ndarray>arr
    dtype = arr.dtype
    r._data = <char *>cnp.PyArray_DATA(a)
    r._dtype = dtype
    r._t = _type_index(dtype)
    r._itemsize = dtype.itemsize
    r._format = _format_of(dtype)
    r._writeable = cnp.PyArray_ISWRITEABLE(a)
    if base is not None:
        r._mem = (<ndarray>base)._mem
        r._base = base if (<ndarray>base)._base is None else (<ndarray>base)._base
    else:
        r._mem = arr
        r._base = None
    r._set_layout(arr.shape, arr.strides)
    if base is None:
        r._npview = arr
    return r


cdef object _wrap(object r, ndarray parent):
    """Wrap a numpy result computed on parent's view: a view of parent stays a view."""
    if type(r) is not np.ndarray:
        return r
    if _is_view_of(r, parent._npview):
        return _wrap_numpy(r, parent)
    return _wrap_numpy(r)


cdef bint _is_view_of(object r, object v):
    cdef object b = r.base
    while b is not None:
        if b is v:
            return True
        if type(b) is not np.ndarray:
            return False
        b = b.base
    return False


cdef object _wrap_result(object r, ndarray parent=None):
    """Wrap numpy arrays in (nested tuples/lists of) results as dc arrays."""
    if type(r) is np.ndarray:
        if parent is not None and parent._npview is not None and _is_view_of(r, parent._npview):
            return _wrap_numpy(r, parent)
        return _wrap_numpy(r)
    if type(r) is tuple:
        return tuple([_wrap_result(x, parent) for x in r])
    if type(r) is list:
        return [_wrap_result(x, parent) for x in r]
    if isinstance(r, tuple) and hasattr(type(r), "_fields"):
        # named tuples (np.linalg.qr/svd/eigh, np.unique_all, ...)
        return type(r)(*[_wrap_result(x, parent) for x in r])
    return r


def asarray(a, dtype=None, order=None, *, copy=None, device=None, like=None):
    """Convert the input to a dotcompute array (no copy when it already is one)."""
    cdef ndarray r
    if device not in (None, "cpu"):
        raise ValueError(f"unsupported device {device!r}")
    if type(a) is ndarray:
        r = <ndarray>a
        if (dtype is None or np.dtype(dtype) == r._dtype) and (
                order in (None, "K", "A") or (order == "C" and r._c_contig)
                or (order == "F" and r._f_contig)):
            return r.copy() if copy else r
        if copy is False:
            raise ValueError("Unable to avoid copy while creating an array as requested.")
        return _wrap_numpy(_pooled(np.array, (r._np(),), dict(
            dtype=dtype, order=order or "K", copy=True)))
    if copy is False:
        return _wrap_numpy(np.asarray(a, dtype=dtype, order=order, copy=False))
    return _wrap_numpy(_pooled(np.array, (_to_numpy_nested(a),), dict(
        dtype=dtype, order=order or "K", copy=True)))


def array(object a, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, like=None):
    """numpy.array for dotcompute: a copy in pool memory unless copy=False/None allows a
    view."""
    if type(a) is ndarray and copy is not True and ndmin <= (<ndarray>a)._ndim:
        return asarray(a, dtype=dtype, order=None if order == "K" else order, copy=copy)
    if copy is False:
        return _wrap_numpy(np.array(_to_numpy_nested(a), dtype=dtype, copy=False,
                                    order=order, ndmin=ndmin))
    return _wrap_numpy(_pooled(np.array, (_to_numpy_nested(a),), dict(
        dtype=dtype, copy=True, order=order, ndmin=ndmin)))


cdef object _pooled(object f, tuple args, dict kwargs):
    """f(*args, **kwargs) with NumPy allocating from the pool; rejects object arrays."""
    with _numpy_in_pool():
        arr = f(*args, **kwargs)
    if arr.dtype.hasobject:
        raise TypeError("dotcompute arrays cannot hold Python objects (dtype=object)")
    return arr


def empty(shape, dtype=float, order="C", *, device=None, like=None):
    if order not in ("C", "F"):
        raise ValueError("order must be one of 'C', 'F'")
    return _empty(_shape_tuple(shape), np.dtype(dtype), order)


def zeros(shape, dtype=float, order="C", *, device=None, like=None):
    cdef ndarray r = empty(shape, dtype, order)
    if r._size:
        with nogil:
            memset(r._data, 0, r._size * r._itemsize)
    return r


def full(shape, fill_value, dtype=None, order="C", *, device=None, like=None):
    if dtype is None:
        dtype = np.array(_to_numpy(fill_value)).dtype
    cdef ndarray r = empty(shape, dtype, order)
    r._np()[...] = _to_numpy(fill_value)
    return r


def ones(shape, dtype=float, order="C", *, device=None, like=None):
    return full(shape, 1, dtype, order)


cdef object _to_numpy(object x):
    """Zero-copy numpy view of a dc array; anything else unchanged."""
    if type(x) is ndarray:
        return (<ndarray>x)._np()
    return x


cdef object _to_numpy_nested(object x):
    if type(x) is ndarray:
        return (<ndarray>x)._np()
    if type(x) is list:
        return [_to_numpy_nested(v) for v in x]
    if type(x) is tuple:
        return tuple([_to_numpy_nested(v) for v in x])
    return x


cdef object _key_to_numpy(object key):
    if type(key) is ndarray:
        return (<ndarray>key)._np()
    if type(key) is tuple:
        return tuple([_to_numpy(k) for k in key])
    return key


cdef tuple _args_to_numpy(tuple args, dict kwargs):
    args = tuple([_to_numpy_nested(a) for a in args])
    kwargs = {k: _to_numpy_nested(v) for k, v in kwargs.items()}
    return args, kwargs


# NumPy allocations of fallback calls come from the pool (NEP 49 handler), so their results
# are pool memory too and can be wrapped without a copy.
_numpy_in_pool = _memory.use_for_numpy


# ------------------------------------------------------------- element-wise paths

cdef inline void _run_unary(dc_unary_fn f, int thr, const char *a, Py_ssize_t sa, char *o,
                            Py_ssize_t so, Py_ssize_t n):
    cdef int nt = effective_num_threads()
    if n < NOGIL_MIN:
        K.run_unary(f, thr, a, sa, o, so, n, 1)
    else:
        with nogil:
            K.run_unary(f, thr, a, sa, o, so, n, nt)


cdef inline void _run_binary(dc_binary_fn f, int thr, const char *a, Py_ssize_t sa,
                             const char *b, Py_ssize_t sb, char *o, Py_ssize_t so,
                             Py_ssize_t n):
    cdef int nt
    if n < NOGIL_MIN:
        K.run_binary(f, thr, a, sa, b, sb, o, so, n, 1)
    else:
        nt = effective_num_threads()
        with nogil:
            K.run_binary(f, thr, a, sa, b, sb, o, so, n, nt)


cdef struct _Operand:
    char *data
    int t             # kernel type index, -1 when unsupported
    int ndim
    Py_ssize_t *shape
    Py_ssize_t *strides
    bint is_scalar    # python scalar converted into `value`
    bint contig
    char value[16]


cdef int _scalar_into(object s, int t, char *buf) except -2:
    """Convert a Python scalar to the array's kernel type t under NEP 50 (weak scalars).
    Returns 1 on success, 0 when the promotion would change the type or the value does not
    fit (the caller then lets NumPy decide: it promotes, raises OverflowError, ...)."""
    cdef type tp = type(s)
    cdef double d
    cdef long long v
    cdef unsigned long long u
    if tp is float:
        if t == T_F8:
            (<double *>buf)[0] = <double>s
            return 1
        if t == T_F4:
            d = <double>s
            (<float *>buf)[0] = <float>d
            return 1
        return 0
    if tp is bool:
        if t == T_B1:
            (<uint8_t *>buf)[0] = 1 if s else 0
            return 1
        return 0      # bool with numbers: let NumPy decide (rare)
    if tp is not int:
        return 0
    if t == T_F8:
        (<double *>buf)[0] = <double>s    # OverflowError for huge ints, as NumPy
        return 1
    if t == T_F4:
        (<float *>buf)[0] = <float>(<double>s)
        return 1
    if t <= 0 or t > T_U8:
        return 0
    if t >= 5:   # unsigned
        if s < 0 or s > 0xFFFFFFFFFFFFFFFF:
            return 0
        u = s
        if t == 5:
            if u > 0xFF: return 0
            (<uint8_t *>buf)[0] = <uint8_t>u
        elif t == 6:
            if u > 0xFFFF: return 0
            (<uint16_t *>buf)[0] = <uint16_t>u
        elif t == 7:
            if u > 0xFFFFFFFF: return 0
            (<uint32_t *>buf)[0] = <uint32_t>u
        else:
            (<uint64_t *>buf)[0] = u
        return 1
    if s < -0x8000000000000000 or s > 0x7FFFFFFFFFFFFFFF:
        return 0
    v = s
    if t == 1:
        if v < -128 or v > 127: return 0
        (<int8_t *>buf)[0] = <int8_t>v
    elif t == 2:
        if v < -32768 or v > 32767: return 0
        (<int16_t *>buf)[0] = <int16_t>v
    elif t == 3:
        if v < -2147483648 or v > 2147483647: return 0
        (<int32_t *>buf)[0] = <int32_t>v
    else:
        (<int64_t *>buf)[0] = v
    return 1


# NumPy type number -> kernel type index (-1: not accelerated). 64-bit integers have two
# type numbers (long and long long).
cdef int _NUM_TO_T[64]
for _i in range(64):
    _NUM_TO_T[_i] = -1
for _i, _d in enumerate(DTYPES):
    _NUM_TO_T[np.dtype(_d[2]).num] = _i
for _c in "lqLQ":
    if np.dtype(_c).itemsize == 8:
        _NUM_TO_T[np.dtype(_c).num] = T_I8 if _c in "lq" else T_U8


cdef int numpy_kernel_type(cnp.ndarray n) noexcept:
    """Kernel type index of a numpy array's elements; -1 when the kernels cannot take it
    (not an accelerated dtype, byte-swapped, or misaligned: typed loads of misaligned data
    are undefined behaviour, so such arrays take NumPy's loops as dc arrays do)."""
    cdef int num = cnp.PyArray_TYPE(n)
    if num < 0 or num >= 64 or not cnp.PyArray_ISNOTSWAPPED(n) or not cnp.PyArray_ISALIGNED(n):
        return -1
    return _NUM_TO_T[num]


cdef inline bint _operand_array(object x, _Operand *op):
    """Fill op from a dc or numpy array; False for anything else."""
    cdef ndarray a
    cdef cnp.ndarray n
    if type(x) is ndarray:
        a = <ndarray>x
        op.data = a._data
        op.t = a._t
        op.ndim = a._ndim
        op.shape = a._shape
        op.strides = a._strides
        op.contig = a._c_contig
        op.is_scalar = False
        return True
    if type(x) is np.ndarray:
        n = <cnp.ndarray>x
        op.data = <char *>cnp.PyArray_DATA(n)
        op.t = numpy_kernel_type(n)
        op.ndim = cnp.PyArray_NDIM(n)
        op.shape = <Py_ssize_t *>cnp.PyArray_DIMS(n)
        op.strides = <Py_ssize_t *>cnp.PyArray_STRIDES(n)
        op.contig = cnp.PyArray_IS_C_CONTIGUOUS(n)
        op.is_scalar = False
        return True
    return False


cdef bint _same_shape(_Operand *a, _Operand *b):
    if a.ndim != b.ndim:
        return False
    for i in range(a.ndim):
        if a.shape[i] != b.shape[i]:
            return False
    return True


cdef object _fast_binary(object ufunc, object x, object y, object out):
    """Our kernel for ufunc(x, y) when the operands allow it, else None.

    Covered: both operands arrays of one accelerated dtype (dc or numpy) with equal shapes
    (any strides) or one side a 0-d array / Python scalar that keeps the array's dtype
    under NEP 50; out None or an array of the exact result dtype and shape that does not
    partially overlap an input.
    """
    cdef _Operand A, B
    cdef object spec = _BINARY_OF.get(ufunc)
    cdef int op, t
    cdef bint to_bool
    cdef ndarray r
    cdef dc_binary_fn f
    cdef char *args[3]
    cdef Py_ssize_t steps[3]
    if spec is None:
        return None
    op = spec[0]
    to_bool = spec[1]
    if _operand_array(x, &A):
        if _operand_array(y, &B):
            if A.t != B.t or A.t < 0:
                return None
            if not _same_shape(&A, &B):
                if B.ndim == 0 and A.ndim > 0:
                    B.is_scalar = True
                elif A.ndim == 0 and B.ndim > 0:
                    A.is_scalar = True
                else:
                    return None
        else:
            if A.t < 0 or not _scalar_into(y, A.t, B.value):
                return None
            B.data = B.value
            B.is_scalar = True
            B.t = A.t
    elif _operand_array(y, &B):
        if B.t < 0 or not _scalar_into(x, B.t, A.value):
            return None
        A.data = A.value
        A.is_scalar = True
        A.t = B.t
    else:
        return None
    t = A.t
    f = K.binary[op][t]
    if f == NULL:
        return None
    cdef _Operand *shape_src = &B if A.is_scalar else &A
    if out is None:
        r = _empty_c(shape_src.ndim, shape_src.shape, T_B1 if to_bool else t)
    else:
        if type(out) is not ndarray:
            return None
        r = <ndarray>out
        if (r._t != (T_B1 if to_bool else t) or not r._writeable
                or r._ndim != shape_src.ndim):
            return None
        for i in range(r._ndim):
            if r._shape[i] != shape_src.shape[i]:
                return None
        if not _no_overlap_or_same(r, &A) or not _no_overlap_or_same(r, &B):
            return None
    if (_borrow and not A.is_scalar and not B.is_scalar and A.contig and B.contig
            and r._c_contig and r._size > 0):
        args[0] = A.data
        args[1] = B.data
        args[2] = r._data
        steps[0] = _TYPE_SIZE[t]
        steps[1] = _TYPE_SIZE[t]
        steps[2] = r._itemsize
        if _run_numpy_loop(1, op, t, args, steps, r._size, K.binary_threshold[op]):
            if r._ndim == 0 and out is None:
                return r._np()[()]
            return r
    _nd_binary(f, K.binary_threshold[op], &A, &B, r)
    if r._ndim == 0 and out is None:
        return r._np()[()]
    return r


cdef bint _no_overlap_or_same(ndarray r, _Operand *a):
    """True when r's memory is disjoint from operand a's, or a has exactly r's layout
    (element-wise in place), so a kernel may write r while reading a."""
    cdef int i
    if a.data == a.value:
        return True       # a Python scalar copied to the stack
    if a.data == r._data and not a.is_scalar and a.ndim == r._ndim:
        for i in range(r._ndim):
            if a.strides[i] != r._strides[i] and a.shape[i] > 1:
                return False
        return True
    return not _ranges_overlap(r, a)


cdef bint _ranges_overlap(ndarray r, _Operand *a):
    cdef Py_ssize_t lo_a = 0, hi_a = 0, lo_r = 0, hi_r = 0
    cdef int i
    if r._size == 0:
        return False
    for i in range(a.ndim):
        if a.shape[i] == 0:
            return False
        if a.strides[i] < 0:
            lo_a += a.strides[i] * (a.shape[i] - 1)
        else:
            hi_a += a.strides[i] * (a.shape[i] - 1)
    for i in range(r._ndim):
        if r._strides[i] < 0:
            lo_r += r._strides[i] * (r._shape[i] - 1)
        else:
            hi_r += r._strides[i] * (r._shape[i] - 1)
    return not (a.data + hi_a + 16 <= r._data + lo_r or r._data + hi_r + 16 <= a.data + lo_a)


cdef void _nd_binary(dc_binary_fn f, int thr, _Operand *A, _Operand *B, ndarray r):
    """Run f over r's shape: one call when all operands are one contiguous run, else an
    outer loop over all but the innermost axis."""
    cdef Py_ssize_t n = r._size
    cdef int nd = r._ndim, i
    cdef Py_ssize_t sa, sb, inner, outer, k, rem
    cdef char *pa
    cdef char *pb
    cdef char *po
    if n == 0:
        return
    if (A.is_scalar or A.contig) and (B.is_scalar or B.contig) and r._c_contig:
        _run_binary(f, thr, A.data, 0 if A.is_scalar else _elsize(A, r),
                    B.data, 0 if B.is_scalar else _elsize(B, r), r._data,
                    r._itemsize, n)
        return
    inner = r._shape[nd - 1]
    outer = n // inner
    sa = 0 if A.is_scalar else A.strides[nd - 1]
    sb = 0 if B.is_scalar else B.strides[nd - 1]
    for k in range(outer):
        pa = A.data
        pb = B.data
        po = r._data
        rem = k
        for i in range(nd - 2, -1, -1):
            if not A.is_scalar:
                pa += (rem % r._shape[i]) * A.strides[i]
            if not B.is_scalar:
                pb += (rem % r._shape[i]) * B.strides[i]
            po += (rem % r._shape[i]) * r._strides[i]
            rem //= r._shape[i]
        _run_binary(f, thr, pa, sa, pb, sb, po, r._strides[nd - 1], inner)


cdef inline Py_ssize_t _elsize(_Operand *a, ndarray r):
    return _TYPE_DTYPE[a.t].itemsize


cdef object _fast_unary(object ufunc, object x, object out):
    cdef _Operand A
    cdef object spec = _UNARY_OF.get(ufunc)
    cdef int op, t, i, nd
    cdef bint to_bool
    cdef ndarray r
    cdef dc_unary_fn f
    cdef Py_ssize_t inner, outer, k, rem
    cdef char *pa
    cdef char *po
    cdef char *args[3]
    cdef Py_ssize_t steps[3]
    if spec is None or not _operand_array(x, &A) or A.t < 0:
        return None
    op = spec[0]
    to_bool = spec[1]
    t = A.t
    f = K.unary[op][t]
    if f == NULL:
        return None
    if out is None:
        r = _empty_c(A.ndim, A.shape, T_B1 if to_bool else t)
    else:
        if type(out) is not ndarray:
            return None
        r = <ndarray>out
        if r._t != (T_B1 if to_bool else t) or not r._writeable or r._ndim != A.ndim:
            return None
        for i in range(r._ndim):
            if r._shape[i] != A.shape[i]:
                return None
        if not _no_overlap_or_same(r, &A):
            return None
    if r._ndim == 0:
        _run_unary(f, 0, A.data, 0, r._data, r._itemsize, 1)
        return r._np()[()] if out is None else r
    if r._size == 0:
        return r
    if A.contig and r._c_contig:
        args[0] = A.data
        args[1] = r._data
        steps[0] = _TYPE_SIZE[t]
        steps[1] = r._itemsize
        if _borrow and _run_numpy_loop(0, op, t, args, steps, r._size,
                                       K.unary_threshold[op]):
            return r
        _run_unary(f, K.unary_threshold[op], A.data, steps[0], r._data, r._itemsize,
                   r._size)
        return r
    nd = r._ndim
    inner = r._shape[nd - 1]
    outer = r._size // inner
    for k in range(outer):
        pa = A.data
        po = r._data
        rem = k
        for i in range(nd - 2, -1, -1):
            pa += (rem % r._shape[i]) * A.strides[i]
            po += (rem % r._shape[i]) * r._strides[i]
            rem //= r._shape[i]
        _run_unary(f, K.unary_threshold[op], pa, A.strides[nd - 1], po,
                   r._strides[nd - 1], inner)
    return r


cdef object _binop(object ufunc, object x, object y):
    """x <op> y for the operators: our kernel when possible, else the ufunc protocol."""
    cdef object r = _fast_binary(ufunc, x, y, None)
    if r is not None:
        return r
    if not _is_operand(x) or not _is_operand(y):
        return NotImplemented
    return _ufunc_call(ufunc, (x, y), {})


cdef bint _is_operand(object x):
    # Objects that define their own reflected operation and opt out of ufuncs win.
    if getattr(type(x), "__array_ufunc__", 0) is None:
        return False
    return True


cdef object _inplace(object ufunc, ndarray self, object other):
    cdef object r = _fast_binary(ufunc, self, other, self)
    if r is not None:
        return r
    _ufunc_call(ufunc, (self, other), {"out": (self,)})
    return self


cdef bint _plain_kwargs(dict kwargs):
    for k, v in kwargs.items():
        if k == "out":
            continue
        if k == "casting" and v == "same_kind":
            continue
        if k == "where" and v is True:
            continue
        return False
    return True


cdef object _ufunc_call(object ufunc, tuple inputs, dict kwargs):
    """ufunc.__call__ with dc semantics: our kernel when possible, else NumPy's loop on
    zero-copy views with results from the pool, wrapped as dc arrays."""
    cdef object r
    out = kwargs.get("out")
    if type(out) is tuple:
        if len(out) == 1:
            out = out[0]
        else:
            out = 0       # several outputs: not a fast path
    if out is not 0 and _plain_kwargs(kwargs):
        if len(inputs) == 2:
            r = _fast_binary(ufunc, inputs[0], inputs[1], out)
            if r is not None:
                return r
        elif len(inputs) == 1:
            r = _fast_unary(ufunc, inputs[0], out)
            if r is not None:
                return r
    return _numpy_ufunc(ufunc, "__call__", inputs, kwargs)


cdef object _numpy_ufunc(object ufunc, str method, tuple inputs, dict kwargs):
    """Run ufunc.method with NumPy's loops on views; return dc arrays."""
    np_inputs = tuple([_to_numpy(x) for x in inputs])
    out = kwargs.get("out")
    if out is not None:
        outs = out if type(out) is tuple else (out,)
        kwargs = dict(kwargs)
        kwargs["out"] = tuple([_to_numpy(o) for o in outs])
    if "where" in kwargs:
        kwargs["where"] = _to_numpy(kwargs["where"])
    with _numpy_in_pool():
        r = getattr(ufunc, method)(*np_inputs, **kwargs)
    if out is not None:
        outs = out if type(out) is tuple else (out,)
        if method == "at":
            return None
        if type(r) is tuple:
            return tuple([o if o is not None else _wrap_result(x)
                          for o, x in zip(outs, r)])
        return outs[0]
    return _wrap_result(r)


cdef object _array_ufunc(object ufunc, str method, tuple inputs, dict kwargs):
    if method == "__call__":
        return _ufunc_call(ufunc, inputs, kwargs)
    if method == "reduce" and len(inputs) == 1 and type(inputs[0]) is ndarray:
        spec = _REDUCE_UFUNC.get(ufunc)
        if spec is not None and set(kwargs) <= {"axis", "dtype", "out", "keepdims",
                                               "initial", "where"}:
            return _reduction(ufunc, spec, inputs[0], kwargs.get("axis", 0),
                              kwargs.get("dtype"), kwargs.get("out"),
                              kwargs.get("keepdims", False),
                              kwargs.get("initial", np._NoValue),
                              kwargs.get("where", True))
    return _numpy_ufunc(ufunc, method, inputs, kwargs)


# ------------------------------------------------------------------- reductions

cdef dict _REDUCE_UFUNC = {np.add: R_SUM, np.multiply: R_PROD, np.minimum: R_MIN,
                           np.maximum: R_MAX, np.logical_or: R_ANY,
                           np.logical_and: R_ALL}
cdef dict _NP_REDUCE_NAME = {R_SUM: "sum", R_PROD: "prod", R_MIN: "min", R_MAX: "max",
                             R_ANY: "any", R_ALL: "all"}


cdef object _result_dtype(int kind, int t):
    if kind == R_SUM or kind == R_PROD:
        if t >= T_F4:
            return _TYPE_DTYPE[t]
        if 5 <= t <= 8:
            return _TYPE_DTYPE[T_U8]
        return _TYPE_DTYPE[T_I8]
    if kind == R_ANY or kind == R_ALL:
        return _BOOL
    if kind == R_ARGMIN or kind == R_ARGMAX:
        return _INTP
    return _TYPE_DTYPE[t]


cdef extern from "numpy/arrayobject.h":
    object PyArray_Scalar(void *data, cnp.dtype descr, object base)


cdef inline object _scalar_from(char *value, object dtype):
    """NumPy scalar of `dtype` holding the bytes at value."""
    return PyArray_Scalar(value, <cnp.dtype>dtype, None)


cdef object _reduce_full(int kind, ndarray a):
    """Reduce all of a (C-contiguous, size >= 1) with our kernel; returns a numpy scalar."""
    cdef char out[16]
    cdef int t = a._t
    cdef dc_reduce_fn f = K.reduce[kind][t]
    cdef dc_combine_fn c = K.combine[kind][t]
    cdef int nt = effective_num_threads()
    cdef Py_ssize_t n = a._size, s = a._itemsize
    cdef char *p = a._data
    if n < NOGIL_MIN:
        K.run_reduce(f, c, p, s, n, out, 1)
    else:
        with nogil:
            K.run_reduce(f, c, p, s, n, out, nt)
    return _scalar_from(out, _result_dtype(kind, t))


cdef object _reduction(object ufunc, int kind, ndarray a, object axis, object dtype,
                       object out, object keepdims, object initial, object where):
    cdef int t = a._t
    if (t >= 0 and dtype is None and out is None and initial is np._NoValue
            and where is True and a._c_contig and a._size > 0
            and (axis is None or (a._ndim == 1 and axis in (0, -1, (0,), (-1,))))):
        r = _reduce_full(kind, a)
        if keepdims:
            return asarray(np.full((1,) * a._ndim, r))
        return r
    if (t >= 0 and dtype is None and out is None and initial is np._NoValue
            and where is True and a._size > 0 and a._ndim >= 1):
        r = _reduce_axes(kind, a, axis, keepdims)
        if r is not None:
            return r
    kw = {"axis": axis, "dtype": dtype, "out": out, "keepdims": keepdims}
    if initial is not np._NoValue:
        kw["initial"] = initial
    if where is not True:
        kw["where"] = where
    if kind in (R_MIN, R_MAX, R_ANY, R_ALL):
        kw.pop("dtype")
    if kind in (R_ANY, R_ALL):
        kw.pop("initial", None)
    return _numpy_method(a, _NP_REDUCE_NAME[kind], kw)


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

DEF _MAXDIMS = 64
cdef dict _ROW_OP = {R_SUM: BINARY_INDEX["add"], R_PROD: BINARY_INDEX["multiply"],
                     R_MIN: BINARY_INDEX["minimum"], R_MAX: BINARY_INDEX["maximum"],
                     R_ANY: BINARY_INDEX["logical_or"], R_ALL: BINARY_INDEX["logical_and"]}


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
    Py_ssize_t n[_MAXDIMS]
    Py_ssize_t sa[_MAXDIMS]                 # input byte strides
    Py_ssize_t so[_MAXDIMS]                 # result byte strides


cdef void _kept_dims(ndarray a, int axis, Py_ssize_t rsz, _Dims *d) noexcept:
    """The dimensions of a other than axis (size 1 dropped), with the strides of a C-ordered
    result of item size rsz, sorted by input stride (outermost first) and coalesced."""
    cdef Py_ssize_t so = rsz, tn, ts, to
    cdef int i, j, m = 0
    for i in range(a._ndim - 1, -1, -1):     # result strides: C order over the kept dims
        if i == axis:
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


cdef inline bint _next(_Dims *d, int m, Py_ssize_t *idx, char **pa, char **po) noexcept:
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


cdef ndarray _reduce_one(int kind, ndarray a, int axis, tuple shape):
    """Reduce a (any strides, size >= 1) over one axis into a new C-ordered array of the
    given shape (a's shape without axis, or with 1 there), or None (NumPy then)."""
    cdef int t = a._t, g_op, i
    cdef Py_ssize_t nr = a._shape[axis], sr = a._strides[axis], r, isz = a._itemsize
    cdef Py_ssize_t idx[_MAXDIMS]
    cdef Py_ssize_t nin = 1, sin = 0, son = 0, outputs = 1
    cdef _Dims d
    cdef char *pa
    cdef char *po
    cdef bint slabs
    cdef dc_binary_fn g = NULL
    cdef dc_unary_fn copy
    cdef int nt = effective_num_threads()
    rd = _result_dtype(kind, t)
    cdef ndarray res = _empty(shape, rd, "C")
    _kept_dims(a, axis, res._itemsize, &d)
    for i in range(d.m):
        outputs *= d.n[i]
        idx[i] = 0
    if d.m:
        nin, sin, son = d.n[d.m - 1], d.sa[d.m - 1], d.so[d.m - 1]
    # slabs when the reduced axis is short or less contiguous than the innermost kept dim
    slabs = (d.m > 0 and kind in _ROW_OP and rd == a._dtype and nin >= 8
             and (nr < 16 or (sr if sr >= 0 else -sr) > (sin if sin >= 0 else -sin)))
    if slabs:
        g_op = _ROW_OP[kind]
        g = K.binary[g_op][t]
        copy = K.cast[t][t]
        if g == NULL or copy == NULL:
            return None
        pa, po = a._data, res._data
        while True:                          # every position of the outer kept dims
            _run_unary(copy, K.reduce_threshold, pa, sin, po, son, nin)
            for r in range(1, nr):
                _run_binary(g, K.binary_threshold[g_op], po, son, pa + r * sr, sin, po, son,
                            nin)
            if not _next(&d, d.m - 1, idx, &pa, &po):
                break
        return res
    if nr < 8 and outputs >= 64 and (kind not in _ROW_OP or rd != a._dtype):
        return None                          # many tiny runs: NumPy's loop is cheaper
    cdef dc_reduce_fn f = K.reduce[kind][t]
    cdef dc_combine_fn c = K.combine[kind][t]
    pa, po = a._data, res._data
    while True:                              # every result element: one run
        if nr >= NOGIL_MIN:
            with nogil:
                K.run_reduce(f, c, pa, sr, nr, po, nt)
        else:
            K.run_reduce(f, c, pa, sr, nr, po, 1)
        if not _next(&d, d.m, idx, &pa, &po):
            break
    return res


cdef object _reduce_axes(int kind, ndarray a, object axis, object keepdims):
    """a.<kind>(axis=axis, keepdims=keepdims) with our kernels on any layout, or None."""
    cdef int nd = a._ndim, i, ax, best
    cdef ndarray cur = a
    cdef Py_ssize_t st, bst
    axes = _reduced_axes(axis, nd)
    if axes is None or len(axes) == 0 or a._size == 0 or a._t < 0:
        return None
    if kind == R_ARGMIN or kind == R_ARGMAX:
        if len(axes) != 1 or nd < 1:
            return None
    final = [1 if i in axes else a._shape[i] for i in range(nd)]
    if not keepdims:
        final = [final[i] for i in range(nd) if i not in axes]
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


cdef object _numpy_method(ndarray a, str name, dict kw):
    out = kw.get("out")
    if out is not None:
        kw["out"] = _to_numpy(out)
    if "where" in kw:
        kw["where"] = _to_numpy(kw["where"])
    with _numpy_in_pool():
        r = getattr(a._np(), name)(**kw)
    if out is not None:
        return out
    return _wrap_result(r)


cdef object _argreduction(int kind, str name, ndarray a, object axis, object out,
                          object keepdims):
    cdef char res[16]
    if a._t >= 0 and out is None and a._c_contig and a._size > 0 and (
            axis is None or (a._ndim == 1 and axis in (0, -1))):
        r = _reduce_full(kind, a)
        if keepdims:
            return asarray(np.full((1,) * a._ndim, r))
        return r
    if a._t >= 0 and out is None and a._size > 0 and type(axis) is int:
        r = _reduce_axes(kind, a, axis, keepdims)
        if r is not None:
            return r
    return _numpy_method(a, name, {"axis": axis, "out": out, "keepdims": keepdims})


cdef object _dot(object x, object y, object out):
    cdef _Operand A, B
    cdef char res[16]
    cdef dc_dot_fn f
    # Small float dot products run our kernel (a BLAS call costs more than the work);
    # from the threading size on NumPy's BLAS dot runs at the memory limit on its own threads
    # (and ours would compete with BLAS threads still spinning from a previous call).
    if (out is None and _operand_array(x, &A) and _operand_array(y, &B) and A.t == B.t
            and A.t >= T_F4 and A.ndim == 1 and B.ndim == 1
            and A.shape[0] == B.shape[0] and 0 < A.shape[0] < K.reduce_threshold):
        f = K.dot[A.t]
        with nogil:
            K.run_dot(f, K.combine[R_SUM][A.t], A.data, A.strides[0], B.data,
                      B.strides[0], A.shape[0], res, 1)
        return _scalar_from(res, _TYPE_DTYPE[A.t])
    with _numpy_in_pool():
        r = np.dot(_to_numpy(x), _to_numpy(y), out=_to_numpy(out))
    return out if out is not None else _wrap_result(r)


cdef object _clip(ndarray a, object lo, object hi, object out, dict kwargs):
    cdef char lov[16]
    cdef char hiv[16]
    cdef ndarray r
    cdef int t = a._t
    if (t >= 0 and out is None and not kwargs and a._c_contig and lo is not None
            and hi is not None and _scalar_into(lo, t, lov) and _scalar_into(hi, t, hiv)
            and K.clip[t] != NULL):
        r = _empty(a.shape, a._dtype, "C")
        with nogil:
            K.clip[t](a._data, a._itemsize, lov, hiv, r._data, r._itemsize, a._size)
        return r
    kw = dict(kwargs)
    if out is not None:
        kw["out"] = _to_numpy(out)
    with _numpy_in_pool():
        res = np.clip(a._np(), _to_numpy(lo), _to_numpy(hi), **kw)
    return out if out is not None else _wrap_result(res)


def where(condition, x=None, y=None, /):
    """numpy.where; our kernel for a bool condition and two arrays of one accelerated
    dtype, all of the same shape and C-contiguous (else NumPy's)."""
    cdef _Operand C, X, Y
    cdef ndarray r
    cdef int i
    if x is None and y is None:
        with _numpy_in_pool():
            return _wrap_result(np.where(_to_numpy(condition)))
    if (_operand_array(condition, &C) and _operand_array(x, &X) and _operand_array(y, &Y)
            and C.t == T_B1 and X.t >= 0 and X.t == Y.t and C.contig and X.contig
            and Y.contig and _same_shape(&C, &X) and _same_shape(&C, &Y) and C.ndim > 0):
        r = _empty_c(X.ndim, X.shape, X.t)
        if r._size >= NOGIL_MIN:
            with nogil:
                K.where[X.t](C.data, 1, X.data, r._itemsize, Y.data, r._itemsize, r._data,
                             r._itemsize, r._size)
        else:
            K.where[X.t](C.data, 1, X.data, r._itemsize, Y.data, r._itemsize, r._data,
                         r._itemsize, r._size)
        return r
    with _numpy_in_pool():
        return _wrap_result(np.where(_to_numpy(condition), _to_numpy(x), _to_numpy(y)))


# ------------------------------------------------------------ __array_function__

# numpy function -> our implementation (same signature). Filled by dotcompute._numpy_api.
IMPLEMENTATIONS = {}


cdef object _array_function(object func, object types, tuple args, dict kwargs):
    impl = IMPLEMENTATIONS.get(func)
    if impl is not None:
        return impl(*args, **kwargs)
    for tp in types:
        if tp is not ndarray and not issubclass(tp, np.ndarray) and tp is not ndarray:
            return NotImplemented
    np_args, np_kwargs = _args_to_numpy(args, kwargs)
    out = kwargs.get("out")
    with _numpy_in_pool():
        r = func(*np_args, **np_kwargs)
    if out is not None and r is np_kwargs.get("out"):
        return out
    return _wrap_result(r)


cdef class ufunc:
    """A NumPy ufunc returning dotcompute arrays: our kernels when the operands allow it,
    NumPy's loops on zero-copy views otherwise. Methods (reduce, accumulate, reduceat,
    outer, at) and attributes are the NumPy ufunc's."""
    cdef readonly object _ufunc
    cdef readonly str __name__
    cdef readonly object __doc__

    def __init__(self, np_ufunc):
        self._ufunc = np_ufunc
        self.__name__ = np_ufunc.__name__
        self.__doc__ = np_ufunc.__doc__

    def __call__(self, *args, **kwargs):
        cdef object r
        if not kwargs:
            if len(args) == 2:
                r = _fast_binary(self._ufunc, args[0], args[1], None)
                if r is not None:
                    return r
            elif len(args) == 1:
                r = _fast_unary(self._ufunc, args[0], None)
                if r is not None:
                    return r
        return _ufunc_call(self._ufunc, tuple([_operand(a) for a in args]), kwargs)

    def reduce(self, array, axis=0, dtype=None, out=None, **kwargs):
        return _array_ufunc(self._ufunc, "reduce", (_operand(array),),
                            dict(kwargs, axis=axis, dtype=dtype, out=out))

    def accumulate(self, array, axis=0, dtype=None, out=None):
        return _array_ufunc(self._ufunc, "accumulate", (_operand(array),),
                            dict(axis=axis, dtype=dtype, out=out))

    def reduceat(self, array, indices, axis=0, dtype=None, out=None):
        return _array_ufunc(self._ufunc, "reduceat",
                            (_operand(array), _to_numpy_nested(indices)),
                            dict(axis=axis, dtype=dtype, out=out))

    def outer(self, A, B, **kwargs):
        return _array_ufunc(self._ufunc, "outer", (_operand(A), _operand(B)), kwargs)

    def at(self, a, indices, b=None):
        args = (a, _key_to_numpy(indices)) if b is None else (a, _key_to_numpy(indices), b)
        return _array_ufunc(self._ufunc, "at", args, {})

    def __getattr__(self, name):
        return getattr(self._ufunc, name)

    def __repr__(self):
        return f"<dotcompute.ufunc '{self.__name__}'>"

    def __reduce__(self):
        return ufunc, (self._ufunc,)


cdef object _operand(object x):
    """Lists and tuples become arrays; arrays and scalars stay as they are."""
    if type(x) is list or type(x) is tuple:
        return asarray(x)
    return x


# Entry points for the Python layer.
def ufunc_call(ufunc, inputs, kwargs):
    return _ufunc_call(ufunc, tuple(inputs), dict(kwargs))


def array_ufunc(ufunc, method, inputs, kwargs):
    return _array_ufunc(ufunc, method, tuple(inputs), dict(kwargs))


def wrap_result(r):
    return _wrap_result(r)


def to_numpy(x):
    return _to_numpy_nested(x)


def kernel_isa():
    return K.isa.decode()
