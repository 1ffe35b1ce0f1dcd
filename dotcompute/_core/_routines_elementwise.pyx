# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Element-wise routines: operators, ufunc calls (`__array_ufunc__`), `astype`, `clip`,
`where` and the `dotcompute.ufunc` class.

Our kernels run whenever the operands are arrays (any layout, shapes that broadcast),
NumPy or Python scalars of the kernel dtypes or complex: the loop types are NumPy's own
(`resolve_dtypes`, NEP 50), inputs of another dtype are cast block by block inside the N-d
walk of _kernel_access, complex operations run NumPy's strided loop on that walk. An `out`
must be a dc array of the exact result dtype that does not partially overlap an input.
Everything else runs NumPy's loop on zero-copy views, with results from the pool.
"""
from libc.stdint cimport int64_t, uint64_t, uint8_t, int8_t, int16_t, int32_t
from libc.stdint cimport uint16_t, uint32_t
from libc.string cimport memcpy, memset
from libc.stdlib cimport malloc, free
from libc.math cimport INFINITY
cimport numpy as cnp

from dotcompute._core._kernel_table cimport *
from dotcompute._core._dtypes cimport *
from dotcompute._core._kernel_access cimport fp_clear, fp_check, fp_report, fp_heeded
from dotcompute._core._kernel_access cimport (Operand, MAX_ITEM, MAXDIMS, kernel_table,
                                              run_unary, run_binary, run_where, run_ternary,
                                              run_ternary_split, Chain, ChainOp, ChainArg,
                                              run_chain, CH_MAX, CH_SLOTS, dc_chain_loop,
                                              dc_fpe_clear, dc_fpe_test,
                                              unsafe_overlap, unsafe_overlap_sized,
                                              same_shape, NdIter, Body,
                                              nd_setup, nd_run, convert_into, BODY_BINARY,
                                              BODY_UNARY, BODY_NPY, BODY_WHERE, BODY_CLIP,
                                              WIDEN_NONE, WIDEN_F8_C16, WIDEN_F4_C8,
                                              WIDEN_C8_C16, cost_threshold, keep_order)
from dotcompute._core._threads cimport threads_class_cost
from dotcompute._core._numpy_loops cimport (run_numpy_loop, run_generic_loop, generic_slot,
                                            numpy_loop_one,
                                            numpy_loop_cost, borrowing, LOOP_UNARY,
                                            LOOP_BINARY, numpy_loop_of,
                                            numpy_loop_chosen, generic_body)
from dotcompute._core._ndarray cimport (ndarray, operand_of, wrap_result, to_numpy,
                                        ssize_tuple, to_numpy_nested, key_to_numpy, common_device,
                                        device_function, wrap_numpy, SMALL_BYTES, byte_span)
from dotcompute._core._routines_creation cimport empty_array, empty_c, as_array, new_array
from dotcompute._core._memory cimport DeviceMemory
from cpython.object cimport PyObject, PyTypeObject
from cpython.ref cimport _Py_REFCNT, Py_INCREF, Py_DECREF
from cpython.list cimport PyList_GET_ITEM
from cpython.object cimport Py_TYPE
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.long cimport PyLong_AsVoidPtr
from dotcompute._core._vectorcall cimport (vectorcallfunc, PyVectorcall_NARGS,
                                           PyTypeObject_vc, enable_vectorcall,
                                           vectorcall_dict, PySequence_Fast_ITEMS)
from dotcompute._core._routines_reduction cimport (reduction, reduce_kind, extreme_accumulate,
                                                   matmul2)

import dis

import numpy as np

cnp.import_array()

cdef extern from "dc_elide.h":
    int dc_called_from_binary_op(int opcode)
    int dc_called_from_interpreter()
    int dc_elide_init(void *in_module_a, void *in_module_b)

cdef extern from "dc_fuse.h":
    ctypedef struct dc_fz_state:        # the pending pair (the fields read here)
        PyObject *x
        PyObject *y
        int op1, flags2, restorable
    dc_fz_state dc_fz                   # per thread
    int dc_fuse_supported()
    void dc_fuse_init(int load_fast, int load_const, int binary_op, int cache_bytes)
    int dc_fuse_pair(PyObject *x, PyObject *y, PyObject **z, void **frame, int *at,
                     int *lasti, PyObject **code, int *rev, int *loaded)
    bint dc_fz_pending()
    void dc_fz_set(PyObject *r, PyObject *x, PyObject *y, PyObject *z, void *frame, int at,
                   int op1, int op2, int flags2, int restorable, int reversed)
    object dc_fz_pop()
    bint dc_fz_matches(PyObject *x, PyObject *y, int op2)
    enum: DC_CHAIN_MAX, DC_CHAIN_VALS
    ctypedef struct dc_chain:           # a chain the bytecode after op1 computes
        int n
        int at[DC_CHAIN_MAX]
        int oparg[DC_CHAIN_MAX]
        int l[DC_CHAIN_MAX]
        int r[DC_CHAIN_MAX]
        int nv
        PyObject *v[DC_CHAIN_VALS]
        int below_from, lasti, loaded
        void *frame
        PyObject *code
    int dc_chain_scan(PyObject *x, PyObject *y, dc_chain *ch)
    void dc_chain_fusable(int oparg)
    void dc_chain_init(int load_deref, int load_global, int global_cache_bytes, int load_name,
                       int extended_arg)
    ctypedef struct dc_ch_state:        # the pending chain
        int n, next
        void *frame
        int at[DC_CHAIN_MAX]
        int op[DC_CHAIN_MAX]
        PyObject *l[DC_CHAIN_MAX]
        PyObject *r[DC_CHAIN_MAX]
        PyObject *ret[DC_CHAIN_MAX]
        PyObject *keep
    dc_ch_state dc_ch                   # per thread
    PyObject *dc_ch_match(PyObject *x, PyObject *y, int op)

from dotcompute._core._device import CPU, backend, fast_calls as _device_fast_calls
from dotcompute._core._memory import PoolScope as numpy_in_pool
from dotcompute._core import _jit
from dotcompute._core._opspec import BINARY, UNARY, BINARY_INDEX, UNARY_INDEX, FUSE2

cdef dc_kernel_table *K = kernel_table()
cdef bint _borrow = borrowing()

# ufunc -> (binary op index, output is bool) and (unary op index, output is bool)
cdef dict _BINARY_OF = {}
cdef dict _UNARY_OF = {}
for _op in BINARY:
    _BINARY_OF[getattr(np, _op[0])] = (BINARY_INDEX[_op[0]], _op[2] == "bool")
for _op in UNARY:
    _UNARY_OF[getattr(np, _op[0])] = (UNARY_INDEX[_op[0]], _op[2] == "bool")


cdef int scalar_into(object s, int t, char *buf) except -2:
    """Convert a Python scalar to the array's kernel type t under NEP 50 (weak scalars).
    Returns 1 on success, 0 when the promotion would change the type or the value does not
    fit (the caller then lets NumPy decide: it promotes, raises OverflowError, ...)."""
    cdef type tp = type(s)
    cdef double d
    cdef long long v
    cdef unsigned long long u
    if tp is float:
        if t == DC_T_F8:
            (<double *>buf)[0] = <double>s
            return 1
        if t == DC_T_F4:
            d = <double>s
            (<float *>buf)[0] = <float>d
            return 1
        return 0
    if tp is bool:
        if t == DC_T_B1:
            (<uint8_t *>buf)[0] = 1 if s else 0
            return 1
        return 0      # bool with numbers: let NumPy decide (rare)
    if tp is not int:
        return 0
    if t == DC_T_F8:
        (<double *>buf)[0] = <double>s    # OverflowError for huge ints, as NumPy
        return 1
    if t == DC_T_F4:
        (<float *>buf)[0] = <float>(<double>s)
        return 1
    if not is_signed(t) and not is_unsigned(t):
        return 0
    if is_unsigned(t):
        if s < 0 or s > 0xFFFFFFFFFFFFFFFF:
            return 0
        u = s
        if t == DC_T_U1:
            if u > 0xFF: return 0
            (<uint8_t *>buf)[0] = <uint8_t>u
        elif t == DC_T_U2:
            if u > 0xFFFF: return 0
            (<uint16_t *>buf)[0] = <uint16_t>u
        elif t == DC_T_U4:
            if u > 0xFFFFFFFF: return 0
            (<uint32_t *>buf)[0] = <uint32_t>u
        else:
            (<uint64_t *>buf)[0] = u
        return 1
    if s < -0x8000000000000000 or s > 0x7FFFFFFFFFFFFFFF:
        return 0
    v = s
    if t == DC_T_I1:
        if v < -128 or v > 127: return 0
        (<int8_t *>buf)[0] = <int8_t>v
    elif t == DC_T_I2:
        if v < -32768 or v > 32767: return 0
        (<int16_t *>buf)[0] = <int16_t>v
    elif t == DC_T_I4:
        if v < -2147483648 or v > 2147483647: return 0
        (<int32_t *>buf)[0] = <int32_t>v
    else:
        (<int64_t *>buf)[0] = v
    return 1


# ------------------------------------------------------------------ the general path
# Any operands the kernels can read: arrays of any layout and shape (broadcast), NumPy
# scalars and 0-d arrays (strong under NEP 50), Python scalars (weak), mixed dtypes and
# complex. The loop types come from NumPy's own resolution (`ufunc.resolve_dtypes`, once
# per (op, types)); inputs of another type are cast block by block inside the walk. The
# loop is ours when the table has it, else NumPy's strided loop for complex types.
#
# Extended type codes: the kernel types, then complex64 / complex128, then the weak
# Python scalars (int, float, complex), which take the loop's type value by value.
DEF XMAX = 16
DEF MAXOPS = 64
cdef int XC8 = DC_NTYPES
cdef int XC16 = DC_NTYPES + 1
cdef int NX = DC_NTYPES + 2
cdef int PY_INT = NX
cdef int PY_FLOAT = NX + 1
cdef int PY_COMPLEX = NX + 2
if NX + 3 > XMAX or len(BINARY) > MAXOPS or len(UNARY) + 1 > MAXOPS:
    raise ImportError("dotcompute: too many kernel types/ops for _routines_elementwise")

cdef list _XIN = ([type_dtype(_t) for _t in range(DC_NTYPES)]
                  + [np.dtype(np.complex64), np.dtype(np.complex128), int, float, complex])
cdef list _BIN_UF = [getattr(np, _op[0]) for _op in BINARY]
cdef list _UN_UF = [getattr(np, _op[0]) for _op in UNARY] + [np.conjugate]
_UNARY_OF[np.conjugate] = (len(UNARY), False)        # NumPy's loops only

# NumPy scalar type -> type code (strong operands).
cdef dict _SCALAR_T = {}
for _t in range(DC_NTYPES):
    _SCALAR_T[type_dtype(_t).type] = _t
_SCALAR_T[np.longlong] = DC_T_I8
_SCALAR_T[np.ulonglong] = DC_T_U8
_SCALAR_T[np.complex64] = DC_NTYPES
_SCALAR_T[np.complex128] = DC_NTYPES + 1

# A NumPy scalar's value read in place: each type code's scalar type (the canonical one),
# where its value lies in the object and its size (numpy/arrayscalars.h). Reading it so
# costs a pointer compare and a copy where PyArray_ScalarAsCtype builds the scalar's
# descriptor first (about 300 instructions, a fifth of `x * A[i, j]` on 10 elements).
cdef extern from *:
    """
    #include <numpy/arrayscalars.h>
    static Py_ssize_t dc_scalar_value_offset(int typenum) {
        switch (typenum) {
        case NPY_BOOL: return offsetof(PyBoolScalarObject, obval);
        case NPY_BYTE: return offsetof(PyByteScalarObject, obval);
        case NPY_UBYTE: return offsetof(PyUByteScalarObject, obval);
        case NPY_SHORT: return offsetof(PyShortScalarObject, obval);
        case NPY_USHORT: return offsetof(PyUShortScalarObject, obval);
        case NPY_INT: return offsetof(PyIntScalarObject, obval);
        case NPY_UINT: return offsetof(PyUIntScalarObject, obval);
        case NPY_LONG: return offsetof(PyLongScalarObject, obval);
        case NPY_ULONG: return offsetof(PyULongScalarObject, obval);
        case NPY_LONGLONG: return offsetof(PyLongLongScalarObject, obval);
        case NPY_ULONGLONG: return offsetof(PyULongLongScalarObject, obval);
        case NPY_HALF: return offsetof(PyHalfScalarObject, obval);
        case NPY_FLOAT: return offsetof(PyFloatScalarObject, obval);
        case NPY_DOUBLE: return offsetof(PyDoubleScalarObject, obval);
        case NPY_CFLOAT: return offsetof(PyCFloatScalarObject, obval);
        case NPY_CDOUBLE: return offsetof(PyCDoubleScalarObject, obval);
        default: return -1;
        }
    }
    """
    Py_ssize_t dc_scalar_value_offset(int typenum)

cdef enum:
    NSCALAR = DC_NTYPES + 2            # the kernel types, complex64, complex128
cdef PyObject *_scalar_type[NSCALAR]
cdef Py_ssize_t _scalar_off[NSCALAR]
cdef Py_ssize_t _scalar_size[NSCALAR]
for _t in range(NSCALAR):
    _dt = type_dtype(_t) if _t < DC_NTYPES else np.dtype(
        np.complex64 if _t == DC_NTYPES else np.complex128)
    _scalar_type[_t] = <PyObject *>_dt.type          # kept alive by _SCALAR_T's keys
    _scalar_off[_t] = dc_scalar_value_offset(_dt.num)
    _scalar_size[_t] = _dt.itemsize
    if _scalar_off[_t] < 0:
        raise ImportError(f"dotcompute: no scalar layout for {_dt}")


cdef inline void _scalar_copy(object s, int code, char *buf) noexcept:
    """The value of NumPy scalar s of type code `code` (its type is one _SCALAR_T maps
    to it: the same object layout) into buf."""
    memcpy(buf, <char *><PyObject *>s + _scalar_off[code], _scalar_size[code])

# Resolution caches: route (0 unknown, 1 our kernel, 2 NumPy's loop, 3 not here) and
# the loop's types.
cdef signed char _bres[MAXOPS][XMAX][XMAX][4]
cdef dc_npy_loop _bloop[MAXOPS][XMAX][XMAX]
cdef void *_bctx[MAXOPS][XMAX][XMAX]
cdef void *_baux[MAXOPS][XMAX][XMAX]
cdef signed char _ures[MAXOPS][XMAX][3]
cdef dc_npy_loop _uloop[MAXOPS][XMAX]
cdef void *_uctx[MAXOPS][XMAX]
cdef void *_uaux[MAXOPS][XMAX]
cdef double _ucost[MAXOPS][XMAX]        # NumPy's loop: seconds an element (0: not measured)


DEF UCOST_MIN = 4096                    # elements: below, the policy never threads anyway
DEF UCOST_HEAVY = 4.0                   # x the expensive class's element: a loop weighed


def numpy_unary_costs():
    """{(ufunc name, dtype char): seconds an element} of NumPy's unary loops the N-d walk
    ran on 4096 elements or more so far (_numpy_loops.numpy_loop_cost)."""
    out = {}
    for op in range(len(_UN_UF)):
        for ta in range(NX):
            if _ucost[op][ta] > 0:
                out[(_UN_UF[op].__name__, _XIN[ta].char)] = _ucost[op][ta]
    return out


memset(_bres, 0, sizeof(_bres))
memset(_ures, 0, sizeof(_ures))


cdef inline Py_ssize_t _xsize(int t) noexcept:
    if t < DC_NTYPES:
        return type_size(t)
    return 8 if t == XC8 else 16


cdef int _xtype_of(object dtype):
    """Type code of a numpy.dtype, -1 when neither a kernel type nor native complex."""
    cdef int t = type_index(dtype)
    if t >= 0:
        return t
    t = canonical_num(dtype)              # builtin dtypes: no attribute lookups
    if t >= 0:
        return XC8 if t == cnp.NPY_CFLOAT else XC16 if t == cnp.NPY_CDOUBLE else -1
    if dtype.isnative:
        if dtype.num == cnp.NPY_CFLOAT:
            return XC8
        if dtype.num == cnp.NPY_CDOUBLE:
            return XC16
    return -1


cdef bint _classify(object x, Operand *A, int *xt):
    """Fill A and its type code from an operand; False when the kernels cannot read it."""
    cdef object t
    cdef type tp
    cdef Py_ssize_t al
    cdef int d
    if operand_of(x, A, False):
        if A.t >= 0:
            xt[0] = A.t
            return True
        xt[0] = _xtype_of((<ndarray>x)._dtype if type(x) is ndarray else
                          <object>cnp.PyArray_DESCR(<cnp.ndarray>x))
        if xt[0] < 0:
            return False
        al = _xsize(xt[0])
        if xt[0] >= DC_NTYPES:
            al //= 2                            # complex: aligned as its parts
        if (<size_t>A.data) % al:
            return False
        for d in range(A.ndim):
            if A.strides[d] % al:
                return False
        return True
    A.ndim = 0
    A.shape = NULL
    A.strides = NULL
    A.contig = True
    A.is_scalar = True
    A.data = A.value
    A.t = -1
    tp = type(x)
    if tp is float:
        xt[0] = PY_FLOAT
    elif tp is int:
        xt[0] = PY_INT
    elif tp is bool:
        xt[0] = DC_T_B1
        A.t = DC_T_B1
        A.value[0] = 1 if x else 0
    elif tp is complex:
        xt[0] = PY_COMPLEX
    else:
        t = _SCALAR_T.get(tp)
        if t is None:
            return False
        xt[0] = <int>t
        if xt[0] < DC_NTYPES:
            A.t = xt[0]
        _scalar_copy(x, xt[0], A.value)
    return True


cdef int _POWER = BINARY_INDEX["power"]
cdef int _SQRT = UNARY_INDEX["sqrt"]
cdef int _FLOOR = UNARY_INDEX["floor"]
cdef int _CEIL = UNARY_INDEX["ceil"]
cdef int _TRUNC = UNARY_INDEX["trunc"]
cdef int _POSITIVE = UNARY_INDEX["positive"]


cdef inline bint _is_half(const Operand *B, int t) noexcept:
    """B is one value (scalar or 0-d) of float type t equal to 0.5."""
    if not (B.is_scalar or B.ndim == 0):
        return False
    if t == DC_T_F8:
        return (<const double *>B.data)[0] == 0.5
    if t == DC_T_F4:
        return (<const float *>B.data)[0] == 0.5
    return False


cdef inline bint _numpy_scalar_into(object s, int t, char *buf):
    """A NumPy scalar of exactly kernel type t (the common `x * A[i, j]`) into buf."""
    cdef object st
    if 0 <= t < DC_NTYPES and <PyObject *>Py_TYPE(s) == _scalar_type[t]:
        _scalar_copy(s, t, buf)
        return True
    st = _SCALAR_T.get(type(s))           # np.longlong, np.ulonglong: aliases
    if st is None or <int>st != t:
        return False
    _scalar_copy(s, t, buf)
    return True


cdef bint _weak_into(object x, int xt, int lt, char *buf):
    """A Python scalar as a value of loop type lt (NEP 50: it must fit, else NumPy's)."""
    cdef double complex c
    if lt < DC_NTYPES:
        return xt != PY_COMPLEX and scalar_into(x, lt, buf) == 1
    c = x
    if lt == XC16:
        (<double *>buf)[0] = c.real
        (<double *>buf)[1] = c.imag
    else:
        (<float *>buf)[0] = <float>c.real
        (<float *>buf)[1] = <float>c.imag
    return True


cdef bint _conversion(int f, int l, dc_unary_fn *cast, int *widen, Py_ssize_t *cs):
    """How type f reaches loop type l (see Body); False when we cannot convert."""
    cdef int r
    cast[0] = NULL
    widen[0] = WIDEN_NONE
    cs[0] = 0
    if f == l:
        return True
    if f >= NX:
        return True                          # weak scalar: converted by value
    if l < DC_NTYPES:
        if f >= DC_NTYPES:
            return False
        cast[0] = K.cast[f][l]
        cs[0] = type_size(l)
        return cast[0] != NULL
    if f == XC8 and l == XC16:
        widen[0] = WIDEN_C8_C16
        return True
    if f >= DC_NTYPES:
        return False
    r = DC_T_F8 if l == XC16 else DC_T_F4
    widen[0] = WIDEN_F8_C16 if l == XC16 else WIDEN_F4_C8
    cs[0] = type_size(r)
    if f != r:
        cast[0] = K.cast[f][r]
        return cast[0] != NULL
    return True


cdef bint _convertible(int f, int l):
    cdef dc_unary_fn c
    cdef int w
    cdef Py_ssize_t cs
    return _conversion(f, l, &c, &w, &cs)


cdef int _resolve_binary(int op, bint to_bool, int ta, int tb) except -1:
    cdef int l[3]
    cdef int route = 3, i
    uf = _BIN_UF[op]
    try:
        res = uf.resolve_dtypes((_XIN[ta], _XIN[tb], None))
    except Exception:
        res = None
    if res is not None:
        for i in range(3):
            l[i] = _xtype_of(res[i])
        if l[0] >= 0 and l[1] >= 0 and l[2] >= 0:
            if (l[0] == l[1] and l[0] < DC_NTYPES and K.binary[op][l[0]] != NULL
                    and l[2] == (DC_T_B1 if to_bool else l[0])):
                route = 1
            elif ((l[0] >= DC_NTYPES or l[1] >= DC_NTYPES or l[2] >= DC_NTYPES)
                  and numpy_loop_of(uf, tuple(res), &_bloop[op][ta][tb], &_bctx[op][ta][tb],
                                    &_baux[op][ta][tb])):
                route = 2
            if route != 3 and not (_convertible(ta, l[0]) and _convertible(tb, l[1])):
                route = 3
            for i in range(3):
                _bres[op][ta][tb][i + 1] = <signed char>l[i]
    _bres[op][ta][tb][0] = <signed char>route
    return route


cdef int _resolve_unary(int op, bint to_bool, int ta) except -1:
    cdef int l0, l1, route = 3
    uf = _UN_UF[op]
    try:
        res = uf.resolve_dtypes((_XIN[ta], None))
    except Exception:
        res = None
    if res is not None:
        l0 = _xtype_of(res[0])
        l1 = _xtype_of(res[1])
        if l0 >= 0 and l1 >= 0:
            if (op < len(UNARY) and l0 < DC_NTYPES and K.unary[op][l0] != NULL
                    and l1 == (DC_T_B1 if to_bool else l0)):
                route = 1
            elif ((l0 >= DC_NTYPES or l1 >= DC_NTYPES or op >= len(UNARY))
                  and numpy_loop_of(uf, tuple(res), &_uloop[op][ta], &_uctx[op][ta],
                                    &_uaux[op][ta])):
                route = 2
            if route != 3 and not _convertible(ta, l0):
                route = 3
            _ures[op][ta][1] = <signed char>l0
            _ures[op][ta][2] = <signed char>l1
    _ures[op][ta][0] = <signed char>route
    return route


cdef bint _broadcast(Operand **ops, int nop, int *nd, Py_ssize_t *shape) noexcept:
    cdef int k, j, d, n = 0
    cdef Py_ssize_t e
    for k in range(nop):
        if not ops[k].is_scalar and ops[k].ndim > n:
            n = ops[k].ndim
    for d in range(n):
        shape[d] = 1
    for k in range(nop):
        if ops[k].is_scalar:
            continue
        for j in range(ops[k].ndim):
            d = j + n - ops[k].ndim
            e = ops[k].shape[j]
            if shape[d] == 1:
                shape[d] = e
            elif e != 1 and e != shape[d]:
                return False
    nd[0] = n
    return True


cdef ndarray _new_result(int nd, const Py_ssize_t *shape, int t, Operand **ops,
                         const Py_ssize_t *sizes, int nin, bint trivial):
    """A new result of type code t and shape[:nd] in NumPy's order 'K' layout of the
    inputs ops[:nin] (keep_order: F-ordered inputs give an F-ordered result, a transposed
    view a transposed one, negative strides positive ones in the same axis order)."""
    cdef int perm[MAXDIMS]
    cdef Py_ssize_t st[MAXDIMS]
    cdef Py_ssize_t s
    cdef int i
    cdef ndarray r
    if t < DC_NTYPES:
        r = empty_c(nd, shape, t)
    else:
        r = new_array(nd, <Py_ssize_t *>shape, _XIN[t], False, False)
    if r._size and keep_order(ops, sizes, nin, nd, shape, trivial, perm):
        s = r._itemsize
        for i in range(nd):
            st[perm[i]] = s
            s *= shape[perm[i]]
        r._set_layout_c(nd, shape, st)
    return r


cdef ndarray _out_array(object out, int nd, const Py_ssize_t *shape, int t, Operand *R,
                        Operand **ops, const Py_ssize_t *sizes, int nin, bint trivial):
    """The array a general call writes: new (in NumPy's order 'K' layout of the inputs
    ops[:nin], see _new_result), or `out` when it is a writable cpu dc array of type t and
    the result's shape; else None (NumPy's loop then casts / raises)."""
    cdef ndarray r
    cdef int i
    if out is None:
        r = _new_result(nd, shape, t, ops, sizes, nin, trivial)
    else:
        if type(out) is not ndarray:
            return None
        r = <ndarray>out
        if not r._host or not r._writeable or r._ndim != nd:
            return None
        if (r._t != t) if t < DC_NTYPES else (r._t >= 0 or _xtype_of(r._dtype) != t):
            return None
        for i in range(nd):
            if r._shape[i] != shape[i]:
                return None
    operand_of(r, R, False)
    return r


cdef bint _prepare_input(Operand *A, int xt, int lt, object x, Body *b, int k):
    """Make input k of the body read loop type lt: weak scalars take its value, strong
    scalars and 0-d arrays are converted once, arrays block by block in the walk."""
    cdef char tmp[2 * MAX_ITEM]
    if xt >= NX:
        if not _weak_into(x, xt, lt, A.value):
            return False
        A.data = A.value
        A.is_scalar = True
    elif xt != lt:
        _conversion(xt, lt, &b.cast[k], &b.widen[k], &b.cast_size[k])
        if A.is_scalar or A.ndim == 0:
            convert_into(b.cast[k], b.widen[k], b.cast_size[k], A.data, 0, tmp, 1)
            memcpy(A.value, tmp, MAX_ITEM)
            A.data = A.value
            A.is_scalar = True
            b.cast[k] = NULL
            b.widen[k] = WIDEN_NONE
        else:
            b.converts = True
    b.loop_size[k] = _xsize(lt)
    return True


cdef bint _unsafe(const Operand *a, int at, const Operand *o, int ot, int nd,
                  const Py_ssize_t *shape) noexcept:
    if at >= NX:
        return False
    return unsafe_overlap_sized(a, _xsize(at), o, _xsize(ot), nd, shape)


cdef inline bint _whole(Operand *a, int nd, const Py_ssize_t *shape) noexcept:
    """a is a scalar, or a C-contiguous array of the result's shape."""
    cdef int i
    if a.is_scalar:
        return True
    if not a.contig or a.ndim != nd:
        return False
    for i in range(nd):
        if a.shape[i] != shape[i]:
            return False
    return True


cdef inline bint _f_whole(const Operand *a, int nd, const Py_ssize_t *shape,
                          Py_ssize_t itemsize) noexcept:
    """a is a scalar, or an F-contiguous array (elements of itemsize bytes) of the result's
    shape."""
    cdef int i
    cdef Py_ssize_t expect = itemsize
    if a.is_scalar:
        return True
    if a.ndim != nd:
        return False
    for i in range(nd):
        if a.shape[i] != shape[i]:
            return False
        if a.shape[i] != 1:
            if a.strides[i] != expect:
                return False
            expect *= a.shape[i]
    return True


cdef int _LOGICAL_AND = BINARY_INDEX["logical_and"]
cdef int _LOGICAL_XOR = BINARY_INDEX["logical_xor"]
cdef int _LOGICAL_OR = BINARY_INDEX["logical_or"]


cdef inline bint _logical(int op) noexcept:
    return op == _LOGICAL_AND or op == _LOGICAL_OR or op == _LOGICAL_XOR


cdef inline bint _logical_casts(int op, int t, object s):
    """NumPy's logical_and/or/xor run the loop of two identical dtypes, else the bool one:
    beside a Python scalar (or a NumPy scalar of another type) an array that is not bool is
    cast, so NumPy's iterator, not its trivial loop, lays out the result."""
    if t == DC_T_B1 or not _logical(op):
        return False
    return _SCALAR_T.get(type(s), -1) != t


cdef inline object _truth_of_float(int op, object s):
    """NumPy's logical ops take a Python float by its truth: logical_and(float32 array,
    1e-300) is the array's truth, although 1e-300 is 0 in float32. As 1.0/0.0 (exact in
    every float type) our kernels give the same."""
    if type(s) is float and _logical(op):
        return 1.0 if s else 0.0
    return s


cdef bint _power_by_numpy(Operand *A, Operand *B, ndarray r, int t, int thr):
    cdef char *args[3]
    cdef Py_ssize_t steps[3]
    args[0] = A.data
    args[1] = B.data
    args[2] = r._data
    steps[0] = type_size(t)
    steps[1] = 0
    steps[2] = r._itemsize
    return run_numpy_loop(LOOP_BINARY, _POWER, t, args, steps, r._size, thr)


cdef object _general_binary(int op, bint to_bool, object x, object y, object out):
    cdef Operand A, B, R
    cdef Operand *ops[3]
    cdef dc_npy_loop loop
    cdef void *ctx
    cdef void *aux
    cdef int ta, tb, route, l0, l1, lo, nd, thr
    cdef bint trivial, f_order
    cdef Py_ssize_t shape[MAXDIMS]
    cdef Py_ssize_t sizes[2]
    cdef NdIter it
    cdef Body b
    cdef ndarray r
    if to_bool:
        x = _truth_of_float(op, x)
        y = _truth_of_float(op, y)
    if not _classify(x, &A, &ta) or not _classify(y, &B, &tb):
        return None
    route = _bres[op][ta][tb][0]
    if route == 0:
        route = _resolve_binary(op, to_bool, ta, tb)
    if route == 3:
        return None
    l0 = _bres[op][ta][tb][1]
    l1 = _bres[op][ta][tb][2]
    lo = _bres[op][ta][tb][3]
    ops[0] = &A
    ops[1] = &B
    if not _broadcast(ops, 2, &nd, shape):
        return None                          # NumPy raises its ValueError
    f_order = False
    if route == 2 and not (_whole(&A, nd, shape) and _whole(&B, nd, shape)):
        # NumPy's complex loops pick SIMD or scalar code (with or without FMA) from the
        # strides NumPy's own iterator passes; on a broadcast or strided walk ours could
        # differ from NumPy's in the last bit, so such calls run NumPy's code. Operands
        # all F-contiguous (a transpose, the result of a call on one) are one run in
        # memory order, as NumPy's iterator takes them (the result F-contiguous too).
        if not ((A.is_scalar or _f_whole(&A, nd, shape, _xsize(ta)))
                and (B.is_scalar or _f_whole(&B, nd, shape, _xsize(tb)))):
            return None
        f_order = True
    memset(&b, 0, sizeof(b))
    if not _prepare_input(&A, ta, l0, x, &b, 0) or not _prepare_input(&B, tb, l1, y, &b, 1):
        return None
    sizes[0] = _xsize(ta) if ta < NX else 0
    sizes[1] = _xsize(tb) if tb < NX else 0
    trivial = not b.converts
    if trivial and ta != tb and _logical(op):
        # NumPy's bool loop for two different types casts an array operand that is not
        # bool (see _logical_casts): its iterator lays out the result
        trivial = not ((not A.is_scalar and ta != DC_T_B1)
                       or (not B.is_scalar and tb != DC_T_B1))
    r = _out_array(out, nd, shape, lo, &R, ops, sizes, 2, trivial)
    if r is None or (out is not None and (_unsafe(&A, ta, &R, lo, nd, shape)
                                          or _unsafe(&B, tb, &R, lo, nd, shape))):
        return None
    if f_order and not _f_whole(&R, nd, shape, _xsize(lo)):
        return None
    b.nin = 2
    thr = K.binary_threshold[op]
    if op == _POWER and not B.is_scalar and not same_shape(&B, &R):
        # NumPy's power loop takes an exponent of stride 0 as a scalar (0.5: the square
        # root, so (-inf) ** 0.5 is nan, not pow's inf), and which dimension of a
        # broadcast exponent array has stride 0 in its loop is its iterator's choice
        # (operands in other orders than the result's): NumPy's code decides
        return None
    if route == 1 and op == _POWER and _is_half(&B, l1) and not A.is_scalar:
        # NumPy's power loop takes the square root for a scalar exponent of 0.5
        # (-0.0 ** 0.5 is -0.0, -inf ** 0.5 is nan): so do we.
        b.kind = BODY_UNARY
        b.nin = 1
        b.fn = <void *>K.unary[_SQRT][l0]
        thr = K.unary_threshold[_SQRT]
        ops[1] = &R
        if not nd_setup(&it, 2, ops, nd, shape):
            return None
        nd_run(&it, &b, thr)
        return r._np()[()] if nd == 0 and out is None else r
    if (route == 1 and op == _POWER and _borrow and B.is_scalar and not A.is_scalar
            and ta == l0 and l1 == l0 and lo == l0 and (l0 == DC_T_F4 or l0 == DC_T_F8)
            and r._size > 0 and same_shape(&A, &R) and _runs_with(&A, r)):
        # a float array to a scalar power: NumPy's loop where it is the faster one here
        # (on AVX-512 CPUs its SVML pow ran 4.6x ours at n = 5e5), threaded, given the
        # strides NumPy's own call passes it (the exponent's 0): NumPy's values
        if _power_by_numpy(&A, &B, r, l0, thr):
            return r._np()[()] if nd == 0 and out is None else r
    ops[2] = &R
    if (route == 1 and l1 == l0 and lo == l0 and _borrow and r._size > 0
            and numpy_loop_chosen(LOOP_BINARY, op, l0, &loop, &ctx, &aux)
            and _npy_setup(&it, ops, 3, nd, shape)):
        # operands of one float type (converted block by block from others: arctan2 of
        # integers), broadcast (arctan2(x, row), row ** x) or a scalar exponent of a
        # strided base: NumPy's loop where it is the faster one, the exponent at the
        # stride NumPy's call gives it (0 for a scalar: its fast paths)
        _npy_run(&it, &b, loop, ctx, aux, thr, 1.0)
        return r._np()[()] if nd == 0 and out is None else r
    if route == 1:
        b.kind = BODY_BINARY
        b.fn = <void *>K.binary[op][l0]
    else:
        b.kind = BODY_NPY
        b.fn = <void *>_bloop[op][ta][tb]
        b.ctx = _bctx[op][ta][tb]
        b.aux = _baux[op][ta][tb]
    ops[2] = &R
    # power's loop takes a scalar exponent's fast paths by its stride: the innermost
    # dimension stays NumPy's
    if not nd_setup(&it, 3, ops, nd, shape, op != _POWER):
        return None
    nd_run(&it, &b, thr)
    if nd == 0 and out is None:
        return r._np()[()]
    return r


cdef object _general_unary(int op, bint to_bool, object x, object out):
    cdef Operand A, R
    cdef Operand *ops[2]
    cdef dc_npy_loop loop
    cdef void *ctx
    cdef void *aux
    cdef int ta, route, l0, lo, nd, thr
    cdef double weight = 1.0, unit
    cdef Py_ssize_t sizes[1]
    cdef NdIter it
    cdef Body b
    cdef ndarray r
    if not _classify(x, &A, &ta):
        return None
    if A.data == A.value:                    # a scalar: NumPy's scalar result, directly
        return _UN_UF[op](x) if out is None else None
    route = _ures[op][ta][0]
    if route == 0:
        route = _resolve_unary(op, to_bool, ta)
    if route == 3:
        return None
    l0 = _ures[op][ta][1]
    lo = _ures[op][ta][2]
    nd = A.ndim
    if route == 2 and not A.contig and not _f_whole(&A, nd, A.shape, _xsize(ta)):
        # as in _general_binary: NumPy's complex loops take SIMD or scalar code by the
        # strides they are given (NumPy's iterator flips negative ones); on a strided walk
        # the last bit could differ from NumPy's (abs of a complex64 view with step -1).
        # An F-contiguous operand is one run in memory order (its result F-contiguous).
        return None
    memset(&b, 0, sizeof(b))
    _prepare_input(&A, ta, l0, x, &b, 0)
    ops[0] = &A
    sizes[0] = _xsize(ta)
    r = _out_array(out, nd, A.shape, lo, &R, ops, sizes, 1, not b.converts)
    if r is None or (out is not None and _unsafe(&A, ta, &R, lo, nd, r._shape)):
        return None
    if (route == 2 and not A.contig and out is not None
            and not _f_whole(&R, nd, r._shape, _xsize(lo))):
        return None                  # an F-contiguous operand into `out` of another layout
    b.nin = 1
    ops[0] = &A
    ops[1] = &R
    if (route == 1 and lo == l0 and _borrow and r._size > 0
            and numpy_loop_chosen(LOOP_UNARY, op, l0, &loop, &ctx, &aux)
            and _npy_setup(&it, ops, 2, nd, r._shape)):
        # an integer array (converted block by block, as NumPy's buffered call casts it)
        # or a walk: NumPy's loop where it is the faster one (arcsin of int64 ran our
        # kernel at 0.2x NumPy, other bits)
        _npy_run(&it, &b, loop, ctx, aux, K.unary_threshold[op], 1.0)
        return r._np()[()] if nd == 0 and out is None else r
    if route == 1:
        b.kind = BODY_UNARY
        b.fn = <void *>K.unary[op][l0]
        thr = K.unary_threshold[op]
    else:
        b.kind = BODY_NPY
        b.fn = <void *>_uloop[op][ta]
        b.ctx = _uctx[op][ta]
        b.aux = _uaux[op][ta]
        thr = K.unary_threshold[op] if op < len(UNARY) else cost_threshold(DC_COST_CHEAP)
        if r._size >= UCOST_MIN:
            # weighed as elements of the expensive class (a loop costlier than its class's
            # probe computes more than it moves)
            if _ucost[op][ta] == 0:
                _ucost[op][ta] = numpy_loop_cost(_uloop[op][ta], _uctx[op][ta],
                                                 _uaux[op][ta], 1, ta == DC_T_F4 or ta == XC8,
                                                 _xsize(ta), _xsize(lo))
            # (only loops far costlier than that class's probe: complex square, 2.5x, threaded
            # at 12836 elements as two chunks of ~3 us, and lost more than it saved)
            unit = threads_class_cost(cost_threshold(DC_COST_EXPENSIVE))
            if unit > 0 and _ucost[op][ta] > UCOST_HEAVY * unit:
                thr = cost_threshold(DC_COST_EXPENSIVE)
                weight = _ucost[op][ta] / unit
    ops[0] = &A
    ops[1] = &R
    if not nd_setup(&it, 2, ops, nd, r._shape):
        return None
    nd_run(&it, &b, thr, weight)
    if nd == 0 and out is None:
        return r._np()[()]
    return r


cdef ndarray _result(object out, const Operand *like, int t, Operand *R, Operand **ops,
                     int nin, Py_ssize_t itemsize, bint trivial=True):
    """The array a kernel writes: new (out is None; NumPy's order 'K' layout of the inputs
    ops[:nin], elements of itemsize bytes, trivial when NumPy casts none of them), or `out`
    when it is a writable cpu dc array of kernel type t and like's shape (R then describes
    it); else None."""
    cdef ndarray r
    cdef int i
    cdef Py_ssize_t sizes[2]
    if out is None:
        sizes[0] = itemsize
        sizes[1] = itemsize
        return _new_result(like.ndim, like.shape, t, ops, sizes, nin, trivial)
    if type(out) is not ndarray:
        return None
    r = <ndarray>out
    if not r._host or r._t != t or not r._writeable or r._ndim != like.ndim:
        return None
    for i in range(r._ndim):
        if r._shape[i] != like.shape[i]:
            return None
    operand_of(r, R, False)
    return r


cdef inline bint _runs_with(const Operand *a, ndarray r) noexcept:
    """a (of r's shape, or a scalar) lies in memory as r does and r is one contiguous block
    (C or F order): one 1-D kernel call covers both."""
    cdef int i
    if a.is_scalar:
        return r._c_contig or r._f_contig
    if r._c_contig and a.contig:
        return True
    if not r._f_contig or a.ndim != r._ndim:
        return False
    for i in range(a.ndim):
        if r._shape[i] != 1 and a.strides[i] != r._strides[i]:
            return False
    return True


cdef inline int _scalar_operand(object s, int t, Operand *S) except -1:
    """S becomes the Python or NumPy scalar s held in kernel type t (the other operand's);
    0 when our kernels can't take it in that type (NumPy's promotion decides elsewhere)."""
    if t < 0 or not (scalar_into(s, t, S.value) or _numpy_scalar_into(s, t, S.value)):
        return 0
    S.data = S.value
    S.is_scalar = True
    S.t = t
    return 1


cdef inline bint _strided_1d(const Operand *a, ndarray r) noexcept:
    """r is a contiguous vector and a (of r's shape: the callers checked) a vector at any
    stride (a column, a complex array's .real), or a scalar: NumPy's strided loop takes it
    as it lies (arctan2(z.imag, z.real) ran our scalar-libm loop at 0.4x NumPy's, other
    bits)."""
    return r._ndim == 1 and r._c_contig and (a.is_scalar or a.ndim == 1)


cdef inline Py_ssize_t _loop_step(const Operand *a, ndarray r) noexcept:
    """a's step in a NumPy loop over r: 0 for a scalar, a vector's own stride, else its
    element size (one contiguous run with r)."""
    if a.is_scalar:
        return 0
    if a.ndim == 1 and r._ndim == 1:
        return a.strides[0]
    return type_size(a.t)


cdef inline void _loop_args(const Operand *A, const Operand *B, ndarray r, char **args,
                            Py_ssize_t *steps) noexcept:
    """A NumPy strided loop's arguments for r = A op B over one contiguous run (a scalar
    side at stride 0, as NumPy's broadcasting passes it; a vector at its own stride)."""
    args[0] = A.data
    args[1] = B.data
    args[2] = r._data
    steps[0] = _loop_step(A, r)
    steps[1] = _loop_step(B, r)
    steps[2] = r._itemsize


cdef object _UF_MATMUL = np.matmul


# Binary kernels whose float64 results are NumPy's bits (IEEE operations, NaN-propagating
# extremes, comparisons; not fmax/fmin: NumPy's scalar fmax(0.0, -0.0) is +0.0, ours
# -0.0): two float scalars through the namespace's ufunc run them on the one element;
# power, arctan2 and hypot run NumPy's own loop on it (_scalar_binary).
cdef object _F8_DTYPE = np.dtype(np.float64)
cdef bint _EXACT_BINARY[MAXOPS]
memset(_EXACT_BINARY, 0, sizeof(_EXACT_BINARY))
for _name in ("add", "subtract", "multiply", "true_divide", "maximum", "minimum",
              "copysign", "equal", "not_equal", "less", "less_equal", "greater",
              "greater_equal"):
    _EXACT_BINARY[BINARY_INDEX[_name]] = True


cdef object _scalar_binary(object ufunc, int op, bint to_bool, double a, double b):
    """ufunc(x, y) of two float64 scalars (Python floats or np.float64): NumPy's scalar
    result (its bits, type and floating-point reports) without its 0-d round trip (~0.5 us
    of np.maximum(x, 0.5)'s 0.6); None where neither applies."""
    cdef char res[MAX_ITEM]
    cdef char *args[3]
    cdef Py_ssize_t steps[3]
    cdef dc_binary_fn fn
    args[0] = <char *>&a
    args[1] = <char *>&b
    args[2] = res
    steps[0] = steps[1] = steps[2] = 0
    fp_clear()
    if _EXACT_BINARY[op]:
        fn = K.binary[op][<int>DC_T_F8]
        if fn == NULL:
            return None
        fn(args[0], 0, args[1], 0, res, 0, 1)
    elif not numpy_loop_one(LOOP_BINARY, op, DC_T_F8, args, steps):
        return None
    fp_check(ufunc)
    return PyArray_Scalar(res, <cnp.PyArray_Descr *>(_BOOL_DTYPE if to_bool else _F8_DTYPE),
                          None)


cdef object fast_binary(object ufunc, object x, object y, object out):
    """Our kernel for ufunc(x, y) when the operands allow it, else None.

    The common case first: both operands arrays of one accelerated dtype (dc or numpy)
    with equal shapes, or one side a 0-d array / Python scalar that keeps the array's
    dtype under NEP 50. Everything else (broadcasting, NumPy scalars, mixed dtypes,
    complex) goes through the general path. `out` must be a dc array of the exact result
    dtype and shape that does not partially overlap an input.
    """
    cdef Operand A, B, R
    cdef Operand *ops[2]
    cdef Operand *ops3[3]
    cdef object spec = _BINARY_OF.get(ufunc)
    cdef object scalar = None
    cdef int op, t
    cdef bint to_bool
    cdef ndarray r
    cdef dc_binary_fn f
    cdef char *args[3]
    cdef Py_ssize_t steps[3]
    if spec is None:
        if ufunc is _UF_MATMUL and out is None:
            scalar = matmul2(x, y)              # (as the @ operator; a vector dot's scalar)
            if scalar is not None:
                return scalar
        return _generic_binary(ufunc, x, y, out)
    op = spec[0]
    to_bool = spec[1]
    if ((type(x) is float or type(x) is _NP_F8) and (type(y) is float or type(y) is _NP_F8)
            and out is None):
        scalar = _scalar_binary(ufunc, op, to_bool, x, y)
        if scalar is not None:
            return scalar
    if to_bool:
        x = _truth_of_float(op, x)
        y = _truth_of_float(op, y)
    if operand_of(x, &A, False):
        if operand_of(y, &B, False):
            if A.t != B.t or A.t < 0:
                return _general_binary(op, to_bool, x, y, out)
            if not same_shape(&A, &B):
                if B.ndim == 0 and A.ndim > 0:
                    B.is_scalar = True
                elif A.ndim == 0 and B.ndim > 0:
                    A.is_scalar = True
                else:
                    return _general_binary(op, to_bool, x, y, out)
        elif not _scalar_operand(y, A.t, &B):
            return _general_binary(op, to_bool, x, y, out)
        else:
            scalar = y
    elif operand_of(y, &B, False):
        if not _scalar_operand(x, B.t, &A):
            return _general_binary(op, to_bool, x, y, out)
        scalar = x
    elif out is None and _classify(x, &A, &t) and _classify(y, &B, &t):
        r0 = _BIN_UF[op](x, y)               # two scalars: NumPy's scalar result, directly
        fp_clear()                           # (NumPy reported its loop's flags itself)
        return r0
    else:
        return None
    t = A.t
    f = K.binary[op][t]
    if f == NULL or (op == _POWER and (B.is_scalar or B.ndim == 0)):
        return _general_binary(op, to_bool, x, y, out)
    ops[0] = &A
    ops[1] = &B
    r = _result(out, &B if A.is_scalar else &A, DC_T_B1 if to_bool else t, &R, ops, 2,
                type_size(t), not (to_bool and scalar is not None
                                   and _logical_casts(op, t, scalar)))
    if r is None or (out is not None and (unsafe_overlap(&A, &R, r._ndim, r._shape)
                                          or unsafe_overlap(&B, &R, r._ndim, r._shape))):
        return None
    if op == _POWER:
        if out is None:
            operand_of(r, &R, False)     # (R describes `out` only when one was given)
        if not same_shape(&B, &R):
            return None              # a broadcast exponent array: see _general_binary
    # NumPy's loop where it is the faster one (_numpy_loops), a scalar side at stride 0
    # as NumPy's own broadcasting passes it (arctan2(x, 1.5) ran our loop at 1.4x
    # NumPy's time while arctan2(x, y) ran NumPy's)
    if (_borrow and not (A.is_scalar and B.is_scalar) and r._size > 0
            and ((_runs_with(&A, r) and _runs_with(&B, r))
                 or (_strided_1d(&A, r) and _strided_1d(&B, r)))):
        _loop_args(&A, &B, r, args, steps)
        if run_numpy_loop(LOOP_BINARY, op, t, args, steps, r._size, K.binary_threshold[op]):
            if r._ndim == 0 and out is None:
                return r._np()[()]
            return r
    elif not (A.is_scalar and B.is_scalar) and r._ndim > 0:
        operand_of(r, &R, False)
        ops3[0] = &A
        ops3[1] = &B
        ops3[2] = &R
        if _nd_numpy(LOOP_BINARY, op, t, ops3, 3, r, K.binary_threshold[op]):
            return r
    _nd_binary(f, K.binary_threshold[op], &A, &B, &R, r, op != _POWER)
    if r._ndim == 0 and out is None:
        return r._np()[()]
    return r


cdef object _generic_binary(object ufunc, object x, object y, object out):
    """ufunc(x, y) for a ufunc we have no kernel for, by NumPy's own loop called directly
    (_numpy_loops.run_generic_loop): operands of one float type, arrays of one shape or one
    side a Python scalar, laid out as one contiguous run with the result; None otherwise
    (NumPy's ufunc path)."""
    cdef Operand A, B, R
    cdef Operand *ops[2]
    cdef Operand *ops3[3]
    cdef ndarray r
    cdef char *args[3]
    cdef Py_ssize_t steps[3]
    cdef int t, slot
    if operand_of(x, &A, False):
        if operand_of(y, &B, False):
            if A.t != B.t:
                return None
            if not same_shape(&A, &B):
                return _generic_broadcast(ufunc, &A, &B, out)
        elif not _scalar_operand(y, A.t, &B):
            return None
    elif not (operand_of(y, &B, False) and _scalar_operand(x, B.t, &A)):
        return None
    t = A.t
    if (t != DC_T_F4 and t != DC_T_F8) or (A.is_scalar and B.is_scalar):
        return None
    slot = generic_slot(ufunc, 2, t)
    if slot < 0:
        return None
    ops[0] = &A
    ops[1] = &B
    r = _result(out, &B if A.is_scalar else &A, t, &R, ops, 2, type_size(t))
    if (r is None or r._size == 0
            or (out is not None and (unsafe_overlap(&A, &R, r._ndim, r._shape)
                                     or unsafe_overlap(&B, &R, r._ndim, r._shape)))):
        return None
    if ((_runs_with(&A, r) and _runs_with(&B, r))
            or (_strided_1d(&A, r) and _strided_1d(&B, r))):
        _loop_args(&A, &B, r, args, steps)
        run_generic_loop(slot, 2, args, steps, r._size)
    else:
        operand_of(r, &R, False)
        ops3[0] = &A
        ops3[1] = &B
        ops3[2] = &R
        if not _nd_generic(slot, ops3, 3, r):
            return None
    if r._ndim == 0 and out is None:
        return r._np()[()]
    return r


cdef object _generic_broadcast(object ufunc, Operand *A, Operand *B, object out):
    """_generic_binary for two arrays of one float type whose shapes broadcast (fmod(x, row)):
    NumPy's loop over the N-d walk; None where NumPy's ufunc path is to run."""
    cdef Operand R
    cdef Operand *ops[3]
    cdef Py_ssize_t shape[MAXDIMS]
    cdef Py_ssize_t sizes[2]
    cdef int t = A.t, slot, nd
    cdef ndarray r
    if t != DC_T_F4 and t != DC_T_F8:
        return None
    slot = generic_slot(ufunc, 2, t)
    if slot < 0:
        return None
    ops[0] = A
    ops[1] = B
    if not _broadcast(ops, 2, &nd, shape):
        return None                          # NumPy raises its ValueError
    sizes[0] = sizes[1] = type_size(t)
    r = _out_array(out, nd, shape, t, &R, ops, sizes, 2, True)
    if (r is None or r._size == 0
            or (out is not None and (_unsafe(A, t, &R, t, nd, shape)
                                     or _unsafe(B, t, &R, t, nd, shape)))):
        return None
    ops[2] = &R
    if not _nd_generic(slot, ops, 3, r):
        return None
    return r


cdef object _generic_unary(object ufunc, object x, object out):
    """ufunc(x) for a ufunc we have no kernel for (see _generic_binary); None otherwise."""
    cdef Operand A, R
    cdef Operand *ops[1]
    cdef Operand *ops2[2]
    cdef ndarray r
    cdef char *args[2]
    cdef Py_ssize_t steps[2]
    cdef int t, slot
    if not operand_of(x, &A, False) or (A.t != DC_T_F4 and A.t != DC_T_F8):
        return None
    t = A.t
    slot = generic_slot(ufunc, 1, t)
    if slot < 0:
        return None
    ops[0] = &A
    r = _result(out, &A, t, &R, ops, 1, type_size(t))
    if (r is None or r._size == 0
            or (out is not None and unsafe_overlap(&A, &R, r._ndim, r._shape))):
        return None
    if not _runs_with(&A, r):
        operand_of(r, &R, False)
        ops2[0] = &A
        ops2[1] = &R
        return r if _nd_generic(slot, ops2, 2, r) else None
    args[0] = A.data
    args[1] = r._data
    steps[0] = type_size(t)
    steps[1] = r._itemsize
    run_generic_loop(slot, 1, args, steps, r._size)
    if r._ndim == 0 and out is None:
        return r._np()[()]
    return r


cdef bint _nd_numpy(int kind, int op, int t, Operand **ops, int nop, ndarray r,
                    int thr):
    """r = op(inputs) over an N-d walk (a strided, transposed or broadcast layout) by NumPy's
    loop for (kind, op, t) where it is the faster one here, on the policy's threads; False
    (nothing done) to run ours. Our loops of those ops on such walks were scalar libm, 0.1-0.6x
    NumPy's (float32 log10 of a slice: 0.33x; arctan2: 0.09-0.38x, other bits). NumPy's
    iterator may flip a negative stride, and a loop's SIMD or scalar code can follow the
    strides it is given: a walk whose innermost step is negative keeps ours; otherwise the
    walk keeps NumPy's innermost axis (no long-inner swap), so the loop sees the rows
    NumPy's own call gives it (tests compare the bits for slices, transposes, broadcasts
    and reversed rows)."""
    cdef dc_npy_loop loop
    cdef void *ctx
    cdef void *aux
    cdef NdIter it
    cdef Body b
    if (not _borrow or r._size == 0 or not _npy_setup(&it, ops, nop, r._ndim, r._shape)
            or not numpy_loop_chosen(kind, op, t, &loop, &ctx, &aux)):
        return False
    memset(&b, 0, sizeof(b))
    b.nin = nop - 1
    _npy_run(&it, &b, loop, ctx, aux, thr, 1.0)
    return True


cdef bint _npy_setup(NdIter *it, Operand **ops, int nop, int nd,
                     const Py_ssize_t *shape) noexcept:
    """The walk of `shape` over ops for a NumPy loop: NumPy's innermost axis kept (no
    long-inner swap); False when there is none or an operand steps backwards innermost
    (see _nd_numpy)."""
    cdef int k
    if not nd_setup(it, nop, ops, nd, shape, False):
        return False
    for k in range(nop):
        if it.strides[k][it.nd - 1] < 0:
            return False
    return True


cdef void _npy_run(const NdIter *it, Body *b, dc_npy_loop loop, void *ctx, void *aux,
                   int thr, double weight):
    """NumPy's strided loop as body b (its inputs' conversions, if any, already set) over
    the walk, on the policy's threads."""
    b.kind = BODY_NPY
    b.fn = <void *>loop
    b.ctx = ctx
    b.aux = aux
    nd_run(it, b, thr, weight)


cdef bint _nd_generic(int slot, Operand **ops, int nop, ndarray r):
    """r = the generic slot's ufunc over an N-d walk (fmod, logaddexp, nextafter of slices,
    transposes), NumPy's loop on the policy's threads; False (nothing done) where the walk
    steps backwards innermost (see _nd_numpy)."""
    cdef dc_npy_loop loop
    cdef void *ctx
    cdef void *aux
    cdef double weight
    cdef int thr
    cdef NdIter it
    cdef Body b
    if not _npy_setup(&it, ops, nop, r._ndim, r._shape):
        return False
    thr = generic_body(slot, &loop, &ctx, &aux, &weight)
    memset(&b, 0, sizeof(b))
    b.nin = nop - 1
    _npy_run(&it, &b, loop, ctx, aux, thr, weight)
    return True


cdef void _nd_binary(dc_binary_fn f, int thr, Operand *A, Operand *B, Operand *R,
                     ndarray r, bint long_inner):
    """Run f over r's shape: one call when all operands are one contiguous run, else the
    N-d walk (dimensions merged, threads over the flattened result)."""
    cdef Operand *ops[3]
    cdef NdIter it
    cdef Body b
    if r._size == 0:
        return
    if _runs_with(A, r) and _runs_with(B, r):
        run_binary(f, thr, A.data, 0 if A.is_scalar else type_size(A.t),
                   B.data, 0 if B.is_scalar else type_size(B.t), r._data, r._itemsize,
                   r._size, True)
        return
    operand_of(r, R, False)
    ops[0] = A
    ops[1] = B
    ops[2] = R
    memset(&b, 0, sizeof(b))
    b.kind = BODY_BINARY
    b.nin = 2
    b.fn = <void *>f
    nd_setup(&it, 3, ops, r._ndim, r._shape, long_inner)
    nd_run(&it, &b, thr)


cdef object fast_unary(object ufunc, object x, object out):
    cdef Operand A, R
    cdef Operand *ops[2]
    cdef object spec = _UNARY_OF.get(ufunc)
    cdef int op, t
    cdef bint to_bool
    cdef ndarray r
    cdef dc_unary_fn f
    cdef char *args[3]
    cdef Py_ssize_t steps[3]
    cdef NdIter it
    cdef Body b
    if spec is None:
        return _generic_unary(ufunc, x, out)
    op = spec[0]
    to_bool = spec[1]
    if op >= len(UNARY) or not operand_of(x, &A, False) or A.t < 0:
        return _general_unary(op, to_bool, x, out)
    t = A.t
    f = K.unary[op][t]
    if f == NULL and (op == _FLOOR or op == _CEIL or op == _TRUNC):
        # of an integer array: NumPy's loop is a copy in its dtype (ours: positive's;
        # NumPy's own loop through the general path cost 2x its time at 1e4)
        op = _POSITIVE
        f = K.unary[op][t]
    if f == NULL:
        return _general_unary(op, to_bool, x, out)
    ops[0] = &A
    r = _result(out, &A, DC_T_B1 if to_bool else t, &R, ops, 1, type_size(t))
    if r is None or (out is not None and unsafe_overlap(&A, &R, r._ndim, r._shape)):
        return None
    if r._ndim == 0:
        run_unary(f, 0, A.data, 0, r._data, r._itemsize, 1)
        return r._np()[()] if out is None else r
    if r._size == 0:
        return r
    if _runs_with(&A, r):
        args[0] = A.data
        args[1] = r._data
        steps[0] = type_size(t)
        steps[1] = r._itemsize
        if _borrow and run_numpy_loop(LOOP_UNARY, op, t, args, steps, r._size,
                                      K.unary_threshold[op]):
            return r
        run_unary(f, K.unary_threshold[op], A.data, steps[0], r._data, r._itemsize,
                  r._size, True)
        return r
    operand_of(r, &R, False)
    ops[0] = &A
    ops[1] = &R
    if _nd_numpy(LOOP_UNARY, op, t, ops, 2, r, K.unary_threshold[op]):
        return r
    memset(&b, 0, sizeof(b))
    b.kind = BODY_UNARY
    b.nin = 1
    b.fn = <void *>f
    nd_setup(&it, 2, ops, r._ndim, r._shape)
    nd_run(&it, &b, K.unary_threshold[op])
    return r


cdef inline object _checked_fast_binary(object ufunc, object x, object y, object out):
    """fast_binary with its floating-point errors reported (NumPy's errstate), or None."""
    fp_clear()
    cdef object r = fast_binary(ufunc, x, y, out)
    if r is not None:
        fp_check(ufunc)
    return r


# ------------------------------------------------------------------ temporary elision
# As NumPy does (temp_elide.c): in `a * b + c` the operator `+` may write into the
# temporary `a * b` instead of a new array, when the temporary is at least
# ELIDE_MIN_BYTES (below that a new block from the pool costs less than the checks), is
# referenced only by the interpreter's evaluation stack, owns its whole pooled block (no
# view, numpy view or buffer export of it exists), the operator was reached from the
# interpreter's BINARY_OP / UNARY_NEGATIVE, and no C code other than libpython's number
# protocol and this module's and the array type's own stands between that opcode and this
# call (C or Cython code holding the only reference in a C local, and reading it after the
# operator, would otherwise see it change; dc_elide.h gives the argument). The result is
# then the same dtype and shape as the temporary (fast_binary's `out` rules); element-wise
# kernels read each element before they write it, so writing in place gives the same
# values.
DEF ELIDE_MIN_BYTES = 262144
cdef int _OP_BINARY = dis.opmap.get("BINARY_OP", -1)
cdef int _OP_NEGATIVE = dis.opmap.get("UNARY_NEGATIVE", -1)


# an address in each trusted module: this one, and the array type's (its dealloc slot; a
# cimported function's name would give the address of this module's pointer to it)
cdef bint _elide_ready = dc_elide_init(<void *>_elidable,
                                       <void *>(<PyTypeObject *>ndarray).tp_dealloc) != 0


cdef bint _elide_on = _elide_ready


def elision_supported():
    """Whether operator chains may write into their temporaries on this interpreter and
    platform (dc_elide.h: CPython 3.11-3.13 on glibc, call stacks readable)."""
    return _elide_ready


def set_elision(bint on):
    """Turn temporary elision on (where supported) or off (measurements, tests); returns
    the previous setting."""
    global _elide_on
    old = _elide_on
    _elide_on = on and _elide_ready
    return old


cdef inline bint _caller_allows_elision(int opcode) noexcept:
    """The operator came from the interpreter's opcode, with no foreign C code between."""
    return _elide_on and dc_called_from_binary_op(opcode) and dc_called_from_interpreter()


cdef bint _elidable(object x) noexcept:
    """x is a temporary whose memory nothing else can see (see above). Reference counts
    are read through borrowed pointers (a typed local would add a reference)."""
    cdef PyObject *mem
    cdef PyObject *view
    if type(x) is not ndarray or _Py_REFCNT(<PyObject *>x) != 1:
        return False                         # more than the evaluation stack's reference
    if (not (<ndarray>x)._host or not (<ndarray>x)._writeable
            or (<ndarray>x)._base is not None
            or not ((<ndarray>x)._c_contig or (<ndarray>x)._f_contig)
            or (<ndarray>x)._size * (<ndarray>x)._itemsize < ELIDE_MIN_BYTES
            or type((<ndarray>x)._mem) is not DeviceMemory):
        return False
    mem = <PyObject *>(<ndarray>x)._mem
    if ((<DeviceMemory>mem).base_ is not None or (<DeviceMemory>mem).chunk_ == NULL
            or (<DeviceMemory>mem).ptr_ != (<ndarray>x)._data):
        return False
    if (<ndarray>x)._npview is None:
        return _Py_REFCNT(mem) == 1
    view = <PyObject *>(<ndarray>x)._npview
    return _Py_REFCNT(view) == 1 and _Py_REFCNT(mem) == 2   # the cached view holds it too


# device kind -> its backend's `fast_call(ufunc, x, y)` (y None for one operand), or None
cdef dict _device_fast = _device_fast_calls    # (emptied by _device.register_backend)


cdef object device_fast(object ufunc, object x, object y):
    """ufunc(x[, y]) through the per-call fast path of the backend of x's (else y's)
    device, a dc array on another device than the cpu; None when it does not apply."""
    cdef ndarray a
    if type(x) is ndarray and not (<ndarray>x)._host:
        a = <ndarray>x
    elif type(y) is ndarray and not (<ndarray>y)._host:
        a = <ndarray>y
    else:
        return None
    kind = a._dev.kind
    f = _device_fast.get(kind, 0)
    if f is 0:
        f = _device_fast[kind] = getattr(backend(a._dev), "fast_call", None)
    if f is None:
        return None
    return f(ufunc, x, y)


cdef inline bint _on_device(object x) noexcept:
    return type(x) is ndarray and not (<ndarray>x)._host


cdef object binop(object ufunc, object x, object y):
    """x <op> y for the operators: our kernel when possible (into an operand that is a
    temporary, see above), else the ufunc protocol; arrays on another device run that
    device's per-call fast path."""
    cdef object r
    cdef bint ex, ey
    if dc_fz_pending():
        r = _fz_resume(ufunc, x, y)
        if r is not None:
            return r
    if _on_device(x) or _on_device(y):
        r = device_fast(ufunc, x, y)
        if r is not None:
            return r
        if not _is_operand(x) or not _is_operand(y):
            return NotImplemented
        return ufunc_call(ufunc, (x, y), {})
    ex = _elidable(x)
    ey = _elidable(y)
    if _fuse_on:
        r = _fuse(ufunc, x, y, False, x if ex else (y if ey else None))
        if r is not None:
            return r
    if (ex or ey) and _caller_allows_elision(_OP_BINARY):
        r = _checked_fast_binary(ufunc, x, y, x if ex else y)
        if r is None and ex and ey:
            r = _checked_fast_binary(ufunc, x, y, y)
        if r is not None:
            return r
    r = _checked_fast_binary(ufunc, x, y, None)
    if r is not None:
        return r
    if not _is_operand(x) or not _is_operand(y):
        return NotImplemented
    return ufunc_call(ufunc, (x, y), {})


# the operators' ufuncs (a module attribute lookup per call costs ~30 ns)
cdef object _uf_power = np.power
cdef object _uf_square = np.square
cdef object _uf_reciprocal = np.reciprocal
cdef object _uf_sqrt = np.sqrt
cdef object _uf_negative = np.negative


cdef object power(ndarray a, object e):
    """a ** e with NumPy's fast scalar powers (the operator only; `np.power` is the
    ufunc): a Python int 2 squares (bool ** 2 is int8, as NumPy's), -1 takes the
    reciprocal and a Python float 0.5 the square root of a floating or complex array.
    Everything else is `np.power` (integer ** -1 raises NumPy's ValueError there)."""
    cdef type tp = type(e)
    cdef bint real = a._t == DC_T_F4 or a._t == DC_T_F8
    cdef object r
    if tp is int:
        if e == 2:
            # `x**2` may be an operation of a chain (see "operator chains"); fused pairs
            # are float32 and float64 only
            if dc_fz_pending():
                r = _fz_resume(_uf_power, a, e)
                if r is not None:
                    return r
            if _fuse_on and real:
                r = _fuse(_uf_power, a, e, False, None)
                if r is not None:
                    return r
            return unop(_uf_square, a, _OP_BINARY)
        if e == -1 and (real or a._dtype.kind == "c"):
            return unop(_uf_reciprocal, a, _OP_BINARY)
    elif tp is float and e == 0.5 and (real or a._dtype.kind == "c"):
        return unop(_uf_sqrt, a, _OP_BINARY)
    return binop(_uf_power, a, e)


cdef object unop(object ufunc, ndarray a, int opcode):
    """ufunc(a) for an operator (the opcode that reaches it): into a when a is a
    temporary (see binop), else a new array."""
    cdef object r
    if _elidable(a) and _caller_allows_elision(opcode):
        fp_clear()
        r = fast_unary(ufunc, a, a)
        if r is not None:
            fp_check(ufunc)
            return r
    return ufunc_call(ufunc, (a,), {})


cdef object negative(ndarray a):
    """-a (the operator)."""
    return unop(_uf_negative, a, _OP_NEGATIVE)


# ------------------------------------------------------------------ operator fusion
# `x op1 y op2 z` with op1, op2 among + - * / (_opspec.FUSE2) on float arrays of one dtype
# and shape (or scalars of that dtype) runs as one pass, o = (x op1 y) op2 z, where NumPy
# makes two (and a temporary): half the memory traffic of an axpy `s * x + y`.
#
# The operator op1 cannot see its caller's next operator, but the bytecode can: when op1
# is called by the interpreter's BINARY_OP (dc_elide.h: the innermost frame executes it and
# no foreign C code stands between) and the next instructions are `LOAD_FAST z` or
# `LOAD_CONST z`, then `BINARY_OP op2` (dc_fuse.h), the interpreter will call op2 on
# op1's result and z as soon as op1 returns, and nothing can run in between. op1 then
# computes (x op1 y) op2 z into a new array r, notes it as pending (per thread) and returns
# it; op2, called on (r, z) from that frame and instruction, returns r. Every operand is
# a dc array or a scalar, so op2 reaches this module first: r is a dc array on the left and
# z is not of a subclass that could take the reflected operation before it.
#
# Same results as the two operators: the pair is computed as they would be, each operation
# rounded to the dtype (no FMA: the kernels are built with -ffp-contract=off). Same
# floating-point reports: when the fused pass raised any floating-point flag, op1 is
# computed again alone into r with its own reports (errstate 'raise' raises there, as
# NumPy's op1 would) and nothing is pending: op2 then runs as usual with its own. The
# result is a new array, or, when op1's operand is a temporary that elision may write
# into (no more memory than NumPy uses), that temporary: the pair then runs block by block
# into an L1 buffer copied over the block (each block read before it is written), and a
# block that raised a flag is computed again as the two operations to tell whose flags
# they are (run_ternary_split); op1 reports its own, op2 its own when it is called. Chains
# fuse pair by pair: `2*a + 3*b*b - c` is 2*a, then (3*b)*b, then (t + u) - c into t; a
# Horner step `(t * x + c)` is one pass. The reversed form `z op2 (x op1 y)` (`p + dt * v`,
# `c - a * b`: z loaded before x and y, dc_fuse_pair) fuses too, into a new array, when the
# two loads before op1 loaded exactly x and y and no jump lands between z's load and op1.
# Should a call other than the awaited op2 ever meet a pending result (none can, by the argument above), r first gets op1's value back
# from the operands the record keeps (a pair written into its temporary operand cannot).
cdef bint _fuse_on = dc_fuse_supported() != 0
# below this many elements the checks (~0.6 us, the C stack walk most) cost more than a pass
cdef Py_ssize_t FUSE_MIN = 4096
cdef dict _F2_OF = {getattr(np, _n): _i for _i, (_n, _s) in enumerate(FUSE2)}
# `x ** 2` in a chain: operation SQ (x * x, NumPy's square; the operator's own fast path)
DEF SQ = 4
_F2_OF[np.power] = SQ
cdef int _F2_MUL = [n for n, _ in FUSE2].index("multiply")
cdef list _F2_UF = [getattr(np, _n) for _n, _s in FUSE2]
cdef int _F2_BIN[8]
cdef int _NB_F2[64]
cdef int _NB_CH[64]             # BINARY_OP's oparg -> a chain's operation (_NB_F2 and SQ)


def _init_fusion():
    """The opcodes and BINARY_OP opargs fusion reads (the dis module's); False where the
    interpreter has none of them."""
    cdef int i
    nb_ops = getattr(dis, "_nb_ops", [])       # BINARY_OP's oparg -> (name, symbol)
    for i in range(64):
        _NB_F2[i] = -1
    for i, (name, sym) in enumerate(FUSE2):
        _F2_BIN[i] = BINARY_INDEX[name]
        for j, (_, s2) in enumerate(nb_ops[:64]):
            if s2 == sym:
                _NB_F2[j] = i
    caches = getattr(dis, "_inline_cache_entries", None)
    op = dis.opmap.get("BINARY_OP", -1)
    if caches is None or op < 0 or not nb_ops:
        return False
    dc_fuse_init(dis.opmap["LOAD_FAST"], dis.opmap["LOAD_CONST"], op, 2 * caches[op])
    for j in range(64):
        _NB_CH[j] = _NB_F2[j]
        if _NB_F2[j] >= 0:
            dc_chain_fusable(j)
    for j, (_, s2) in enumerate(nb_ops[:64]):
        if s2 == "**":
            _NB_CH[j] = SQ
            dc_chain_fusable(j)
    lg = dis.opmap.get("LOAD_GLOBAL", -1)
    dc_chain_init(dis.opmap.get("LOAD_DEREF", -1), lg, 2 * caches[lg] if lg >= 0 else 0,
                  dis.opmap.get("LOAD_NAME", -1), dis.opmap.get("EXTENDED_ARG", -1))
    return True


if not _init_fusion():
    _fuse_on = False


def fusion_supported():
    """Whether operator pairs `x op1 y op2 z` may run as one pass on this interpreter
    (CPython 3.11, see dc_fuse.h) and platform (the caller check of dc_elide.h)."""
    return dc_fuse_supported() != 0 and _elide_ready


cdef Py_ssize_t _fused_pairs = 0


def fused_pairs():
    """How many operator pairs ran as one fused pass in this process (tests, show_runtime)."""
    return _fused_pairs


def set_fusion(bint on):
    """Turn operator fusion on (where supported) or off (measurements, tests); returns the
    previous setting."""
    global _fuse_on
    old = _fuse_on
    _fuse_on = on and dc_fuse_supported() != 0
    return old


cdef type _F8 = np.float64
cdef type _F4 = np.float32
cdef type _F2 = np.float16


cdef inline int _f2_index(object ufunc):
    cdef object i = _F2_OF.get(ufunc)
    return -1 if i is None else <int>i


cdef bint _fuse_operand(object v, int t, ndarray like, Operand *O):
    """O describes v for a fused pair of kernel type t over like's shape: a C-contiguous cpu
    dc array of type t and that shape, a 0-d one, or a Python or NumPy scalar that keeps
    type t (as fast_binary takes it)."""
    cdef ndarray a
    cdef int i
    cdef type tp = type(v)
    if tp is ndarray:
        a = <ndarray>v
        if not a._host or a._t != t:
            return False
        operand_of(v, O, False)
        if a._ndim == 0:
            O.is_scalar = True
            return True
        if not a._c_contig or a._ndim != like._ndim:
            return False
        for i in range(a._ndim):
            if a._shape[i] != like._shape[i]:
                return False
        return True
    if tp is float or tp is int or tp is _F8 or tp is _F4 or tp is _F2:
        return _scalar_operand(v, t, O) == 1
    return False


cdef object _fuse(object ufunc, object x, object y, bint via_numpy, object into):
    """x op1 y for the operator, computed with the operator after it as one fused pass
    when the bytecode and the operands allow it (see above); None otherwise. via_numpy:
    reached through `__array_ufunc__` from a NumPy scalar's operator (`np.float64(2) * x`):
    NumPy's frames stand between the interpreter and us, so the operands must be the very
    values the two instructions before the BINARY_OP loaded (dc_fuse_pair), which no call
    from NumPy's object loops can be. into: x or y when it is a temporary (elision's
    test) the result may be written into, else None."""
    cdef dc_chain ch
    cdef int f1, nch, t
    cdef ndarray like
    cdef object r
    if type(x) is ndarray and (<ndarray>x)._ndim > 0:
        like = <ndarray>x                        # the shape: an array operand's, not a 0-d
    elif type(y) is ndarray:
        like = <ndarray>y
    else:
        return None
    t = like._t
    if (like._size < FUSE_MIN or not like._host or not like._c_contig
            or (t != DC_T_F8 and t != DC_T_F4)):
        return None
    f1 = _f2_index(ufunc)
    if f1 < 0:
        return None
    nch = dc_chain_scan(<PyObject *>x, <PyObject *>y, &ch)
    if nch >= 3:
        return _chain(&ch, f1, like, via_numpy)
    r = _fuse_pair(ufunc, x, y, via_numpy, into, like, f1)
    if r is None and nch == 2:
        return _chain(&ch, f1, like, via_numpy)     # a pair of mixed dtypes
    return r


cdef object _fuse_pair(object ufunc, object x, object y, bint via_numpy, object into,
                       ndarray like, int f1):
    """The fused pair x op1 y op2 z (see above) when the bytecode and operands allow it."""
    global _fused_pairs
    cdef Operand A, B, C
    cdef PyObject *zp = NULL
    cdef void *frame = NULL
    cdef int at = 0, nb, f2, t = like._t
    cdef ndarray r
    cdef Py_ssize_t isz, n
    cdef object z
    cdef dc_ternary_fn fn
    cdef int flags[2]
    cdef int lasti = 0, rev = 0, loaded = 0
    cdef PyObject *codep = NULL
    if (t != DC_T_F8 and t != DC_T_F4) or f1 >= SQ:
        return None
    nb = dc_fuse_pair(<PyObject *>x, <PyObject *>y, &zp, &frame, &at, &lasti, &codep, &rev,
                      &loaded)
    if nb < 0 or nb >= 64 or _NB_F2[nb] < 0:
        return None
    f2 = _NB_F2[nb]
    z = <object>zp
    if (not _fuse_operand(x, t, like, &A) or not _fuse_operand(y, t, like, &B)
            or not _fuse_operand(z, t, like, &C) or (A.is_scalar and B.is_scalar)):
        return None
    if rev:
        # `z op2 (x op1 y)`: z is the value below x and y only if no jump lands between
        if not loaded or _jumps_between(<object>codep, lasti - 6, lasti):
            return None
        into = None                  # x and y are loaded values, no temporaries
    # Who called op1: when the two instructions before the BINARY_OP loaded exactly x and
    # y, the interpreter's dispatch of that BINARY_OP reached us (x and y are dc arrays
    # and scalars of exact types: their operators are ours or NumPy's), and no C code can
    # have called the operator on those two values for a use of its own; otherwise the C
    # stack must show the interpreter called the operator (dc_elide.h, ~1-3 us).
    if not loaded and (via_numpy or not dc_called_from_interpreter()):
        return None
    isz = type_size(t)
    if rev:
        fn = K.fused2r[f1][f2][0 if t == DC_T_F4 else 1]
    else:
        fn = K.fused2[f1][f2][0 if t == DC_T_F4 else 1]
    if into is not None:
        # into the temporary, block by block, each operation's flags apart
        r = <ndarray>into
        n = r._size
        run_ternary_split(fn, K.binary[_F2_BIN[f1]][t], K.binary[_F2_BIN[f2]][t], A.data,
                          0 if A.is_scalar else isz, B.data, 0 if B.is_scalar else isz,
                          C.data, 0 if C.is_scalar else isz, r._data, isz, n, flags)
        if flags[0]:
            fp_report(flags[0], ufunc)
        dc_fz_set(<PyObject *>r, <PyObject *>x, <PyObject *>y, zp, frame, at, f1, f2,
                  flags[1], 0, 0)
        _fused_pairs += 1
        return r
    r = empty_c(like._ndim, like._shape, t)
    n = r._size
    dc_fpe_clear()
    run_ternary(fn, A.data, 0 if A.is_scalar else isz, B.data, 0 if B.is_scalar else isz,
                C.data, 0 if C.is_scalar else isz, r._data, isz, n, True)
    if dc_fpe_test() != 0:
        # a floating-point flag: op1 alone, with its own reports; op2 runs as usual
        fp_clear()
        run_binary(K.binary[_F2_BIN[f1]][t], K.binary_threshold[_F2_BIN[f1]], A.data,
                   0 if A.is_scalar else isz, B.data, 0 if B.is_scalar else isz, r._data,
                   isz, n, True)
        fp_check(ufunc)
        return r
    dc_fz_set(<PyObject *>r, <PyObject *>x, <PyObject *>y, zp, frame, at, f1, f2, 0, 1, rev)
    _fused_pairs += 1
    return r


# ------------------------------------------------------------------ operator chains
# A longer straight-line expression, `2*a + 3*b*b - c` or `(a + b) * (c - d) / e`, runs
# as one pass from its first operator on: numba's single loop, where pairs made three
# passes. At op1, dc_chain_scan reads the operators the bytecode will apply next, on
# values it loads from locals and constants (and values loaded just before op1's
# operands: `c - a*b`); when every value is a float array of like's shape (any mix of
# float32 and float64) or a scalar, op1 computes the chain's value R block by block
# (run_chain: each operation in its own dtype, NumPy's promotion with NEP 50 scalars,
# float32 widened to float64 where NumPy casts; no FMA) and returns a placeholder for its
# own value; each later operator, called from that frame and instruction on the operands
# the record expects, returns the next placeholder, and the last one returns R. Nothing
# runs between op1 and the last operator but loads and these calls (no allocation, so no
# collection either: the placeholders exist before R is computed), yet should any other
# call meet the pending chain, every placeholder returned so far first gets its own value
# (computed then, into memory of its own) and the rest of the expression runs as usual.
# A floating-point flag in the pass that NumPy's error state heeds drops the chain: op1
# runs alone with its own reports, and so does every later operator. Flags it ignores (an
# underflow, by default: a wave on float32 with subnormal tails raised it every step) keep
# the chain. Placeholders are views of R (no memory).
cdef Py_ssize_t _fused_chains = 0

# value kinds
DEF V_ARR = 0       # a float dc array of like's shape
DEF V_STRONG = 1    # a NumPy float scalar or a 0-d float dc array: its dtype counts
DEF V_WEAK = 2      # a Python float or int: takes the other operand's dtype (NEP 50)


cdef int _chain_value(object v, ndarray like, int *t, double *d) noexcept:
    """The kind of a chain value (its type in t, a scalar's value in d), -1 when a chain
    can't take it."""
    cdef type tp = type(v)
    cdef ndarray a
    cdef int i
    if tp is ndarray:
        a = <ndarray>v
        if not a._host or (a._t != DC_T_F8 and a._t != DC_T_F4):
            return -1
        t[0] = a._t
        if a._ndim == 0:
            d[0] = (<double *>a._data)[0] if a._t == DC_T_F8 else (<float *>a._data)[0]
            return V_STRONG
        if not a._c_contig or a._ndim != like._ndim:
            return -1
        for i in range(a._ndim):
            if a._shape[i] != like._shape[i]:
                return -1
        return V_ARR
    if tp is float:
        d[0] = PyFloat_AS_DOUBLE(v)
        t[0] = -1
        return V_WEAK
    if tp is int:
        if not (-16777216 <= v <= 16777216):      # exact in float32 and float64
            return -1
        d[0] = <double>(<long>v)
        t[0] = -1
        return V_WEAK
    if tp is _F8:
        d[0] = <double>v
        t[0] = DC_T_F8
        return V_STRONG
    if tp is _F4:
        d[0] = <double>v
        t[0] = DC_T_F4
        return V_STRONG
    return -1


def fused_chains():
    """How many operator chains (three operators or more, or a pair of mixed dtypes) ran
    as one pass in this process (tests, show_runtime)."""
    return _fused_chains


cdef inline int _chain_type(int ref, const int *nt, const int *vkind, const int *vt) noexcept:
    """The type a chain operand arrives in: an operation's, an array's; -1 for a scalar
    (converted to any operation's type beforehand)."""
    if ref < 0:
        return nt[~ref]
    return vt[ref] if vkind[ref] == V_ARR else -1


cdef inline bint _chain_fits(int ta, int t) noexcept:
    """An operand arriving in type ta can enter an operation of type t: a scalar, the
    same type, or float32 widened."""
    return ta == -1 or ta == t or (ta == DC_T_F4 and t == DC_T_F8)


cdef bint _chain_fill(ChainArg *arg, int ref, int t, dc_chain *ch, const int *nt,
                      const int *vkind, const int *vt, const double *vd, const int *slot,
                      bint *busy, double *scal, bint widen) noexcept:
    """arg reads operand ref in an operation of type t: an earlier result's slot (freed:
    this is its one reader), an array, or a scalar held in *scal; float32 operands of a
    float64 operation are widened into a buffer first when `widen` (else the kernel takes
    them as they are). False when a float32 operation can't hold a finite Python float."""
    arg.cast = NULL
    arg.slot = -1
    if ref < 0:
        arg.slot = slot[~ref]
        arg.base = NULL
        arg.stride = 8 if nt[~ref] == DC_T_F8 else 4
        busy[slot[~ref]] = False
        if nt[~ref] != t and widen:
            arg.cast = K.cast[<int>DC_T_F4][<int>DC_T_F8]
    elif vkind[ref] == V_ARR:
        arg.base = (<ndarray>ch.v[ref])._data
        arg.stride = 8 if vt[ref] == DC_T_F8 else 4
        if vt[ref] != t and widen:
            arg.cast = K.cast[<int>DC_T_F4][<int>DC_T_F8]
    else:
        if t == DC_T_F8:
            scal[0] = vd[ref]
        else:
            if vd[ref] - vd[ref] == 0 and not (-3.4028234663852886e38 <= vd[ref]
                                               <= 3.4028234663852886e38):
                return False
            (<float *>scal)[0] = <float>vd[ref]
        arg.base = <const char *>scal
        arg.stride = 0
    return True


cdef object _chain(dc_chain *ch, int f1, ndarray like, bint via_numpy):
    """Run the chain ch (op1 = ufunc f1 on its values 0 and 1) in one pass and return
    op1's placeholder with the rest pending (see above); None when it can't."""
    global _fused_chains, _jit_runs
    cdef int n = ch.n, k, j, side, ref, tk, streams = 1
    cdef int vkind[DC_CHAIN_VALS]
    cdef int vt[DC_CHAIN_VALS]
    cdef double vd[DC_CHAIN_VALS]
    cdef int op[DC_CHAIN_MAX]           # each operation (_opspec.FUSE2; SQ as a multiply)
    cdef int rr[DC_CHAIN_MAX]           # its right operand (x ** 2: x)
    cdef bint sq[DC_CHAIN_MAX]          # x ** 2
    cdef int nt[DC_CHAIN_MAX]           # each operation's type
    cdef int slot[DC_CHAIN_MAX]
    cdef bint used[DC_CHAIN_VALS]
    cdef bint busy[CH_SLOTS]
    cdef double scal[3 * CH_MAX]
    cdef int fold[DC_CHAIN_MAX]         # 1, 2: takes operation k-1 in (forward, reversed)
    cdef bint absorbed[DC_CHAIN_MAX]    # taken in by operation k+1
    cdef int e, other, form, tix, flags
    cdef bint mixed
    cdef Chain C
    cdef ChainOp *o
    cdef int ta, tb
    cdef ndarray R
    cdef list keep, places
    if n > CH_MAX:
        return None
    # op1 was called on the values bytecode loaded, or by the interpreter (as for pairs);
    # values below its operands are the loaded ones only if no jump lands in between
    if not ch.loaded and (via_numpy or not dc_called_from_interpreter()):
        return None
    if ch.below_from >= 0 and _jumps_between(<object>ch.code, ch.below_from, ch.lasti):
        return None
    for j in range(ch.nv):
        used[j] = False
    for k in range(n):
        op[k] = f1 if k == 0 else _NB_CH[ch.oparg[k]]
        if op[k] < 0:
            return None
        rr[k] = ch.r[k]
        if op[k] == SQ:
            # only `v ** 2` (a Python int 2): v * v, as NumPy's operator squares
            if ch.r[k] < 0 or type(<object>ch.v[ch.r[k]]) is not int or \
                    <object>ch.v[ch.r[k]] != 2:
                return None
            rr[k] = ch.l[k]
            op[k] = _F2_MUL
            sq[k] = True
            used[ch.r[k]] = True          # (kept with the record: the operand it expects)
        else:
            sq[k] = False
        # each operation's type: float64 when a strong operand is, else float32
        ta = tb = -1
        for side in range(2):
            ref = ch.l[k] if side == 0 else rr[k]
            if ref < 0:
                tk = nt[~ref]
            else:
                if not used[ref]:
                    vkind[ref] = _chain_value(<object>ch.v[ref], like, &vt[ref], &vd[ref])
                    if vkind[ref] < 0:
                        return None
                    used[ref] = True
                    if vkind[ref] == V_ARR:
                        streams += 1
                tk = vt[ref]
            if side == 0:
                ta = tk
            else:
                tb = tk
        if ta < 0 and tb < 0:
            return None
        # an operation on two scalars never reaches us (Python's or NumPy's scalar math)
        if not ((ch.l[k] < 0 or vkind[ch.l[k]] == V_ARR)
                or (rr[k] < 0 or vkind[rr[k]] == V_ARR)):
            return None
        nt[k] = DC_T_F8 if (ta == DC_T_F8 or tb == DC_T_F8) else DC_T_F4
    # Pairs: operation k takes k-1 in (one K.fused2 kernel, one store instead of two) when
    # k-1's result is one of its operands and both have one type (float32 operands widened
    # first).
    for k in range(n):
        fold[k] = 0
        absorbed[k] = False
    for k in range(1, n):
        if absorbed[k - 1] or fold[k - 1] or nt[k] != nt[k - 1] or sq[k]:
            continue                  # (a square would need k-1's value twice)
        if ch.l[k] == ~(k - 1):
            other, form = rr[k], 1              # (a op1 b) op2 c
        elif rr[k] == ~(k - 1):
            other, form = ch.l[k], 2              # c op2 (a op1 b)
        else:
            continue
        if (not _chain_fits(_chain_type(ch.l[k - 1], nt, vkind, vt), nt[k])
                or not _chain_fits(_chain_type(rr[k - 1], nt, vkind, vt), nt[k])
                or not _chain_fits(_chain_type(other, nt, vkind, vt), nt[k])):
            continue
        fold[k] = form
        absorbed[k - 1] = True
    # the program: slots for results still to be read, scalars in their operation's type
    for j in range(CH_SLOTS):
        busy[j] = False
    e = 0
    for k in range(n):
        if absorbed[k]:
            continue
        o = &C.op[e]
        e += 1
        o.isz = 8 if nt[k] == DC_T_F8 else 4
        o.fn3 = NULL
        mixed = False
        if fold[k]:
            j = k - 1
            other = rr[k] if fold[k] == 1 else ch.l[k]
            tix = 0 if nt[k] == DC_T_F4 else 1
            # a float64 pair on float32 arrays and scalars only: widened as loaded
            mixed = (nt[k] == DC_T_F8
                     and _chain_type(ch.l[j], nt, vkind, vt) != DC_T_F8
                     and _chain_type(rr[j], nt, vkind, vt) != DC_T_F8
                     and _chain_type(other, nt, vkind, vt) != DC_T_F8)
            if mixed and fold[k] == 1:
                o.fn3 = K.fused2m[op[j]][op[k]]
            elif mixed:
                o.fn3 = K.fused2mr[op[j]][op[k]]
            elif fold[k] == 1:
                o.fn3 = K.fused2[op[j]][op[k]][tix]
            else:
                o.fn3 = K.fused2r[op[j]][op[k]][tix]
            o.fn = NULL
            o.op1 = op[j]
            o.op2 = op[k]
            o.form = fold[k]
            if (not _chain_fill(&o.a, ch.l[j], nt[k], ch, nt, vkind, vt, vd, slot, busy,
                                &scal[3 * k], not mixed)
                    or not _chain_fill(&o.b, rr[j], nt[k], ch, nt, vkind, vt, vd, slot,
                                       busy, &scal[3 * k + 1], not mixed)
                    or not _chain_fill(&o.c, other, nt[k], ch, nt, vkind, vt, vd, slot,
                                       busy, &scal[3 * k + 2], not mixed)):
                return None
        else:
            o.fn = K.binary[_F2_BIN[op[k]]][nt[k]]
            o.op1 = op[k]
            o.op2 = -1
            o.form = 0
            o.c.slot = -1
            if (not _chain_fill(&o.a, ch.l[k], nt[k], ch, nt, vkind, vt, vd, slot, busy,
                                &scal[3 * k], True)
                    or not _chain_fill(&o.b, rr[k], nt[k], ch, nt, vkind, vt, vd, slot,
                                       busy, &scal[3 * k + 1], True)):
                return None
        if k == n - 1:
            o.dst = -1
        else:
            # a free slot; not one this operation reads unwidened in a narrower type
            # (float32 read while float64 is written over it)
            j = 0
            while j < CH_SLOTS and (busy[j] or (mixed and fold[k] and (
                    (o.a.slot == j) or (o.b.slot == j) or (o.c.slot == j)))):
                j += 1
            if j == CH_SLOTS:
                return None
            busy[j] = True
            slot[k] = j
            o.dst = j
    C.n = e
    C.streams = streams
    # every object first: nothing is allocated between the pass and the last operator
    R = empty_c(like._ndim, like._shape, nt[n - 1])
    C.out = R._data
    C.osz = R._itemsize
    C.loop = NULL
    if R._size >= _JIT_MIN and _jit_loops is not None:
        _chain_loop(&C, R._size)
    places = [R._sub(R._data, R._ndim, R._shape, R._strides) for k in range(n - 1)]
    keep = [R]
    keep.extend(places)
    for j in range(ch.nv):
        if used[j]:
            keep.append(<object>ch.v[j])
    # what unfusing needs: each operation's ufunc, operands and placeholder
    keep.append(tuple([(_F2_UF[op[k]],
                        places[~ch.l[k]] if ch.l[k] < 0 else <object>ch.v[ch.l[k]],
                        places[~rr[k]] if rr[k] < 0 else <object>ch.v[rr[k]],
                        places[k] if k < n - 1 else None) for k in range(n)]))
    dc_fpe_clear()
    run_chain(&C, R._size)
    flags = dc_fpe_test()
    if flags != 0:
        fp_clear()
        if fp_heeded(flags):
            return None           # op1 and the rest run as usual, with their own reports
        # only flags NumPy's error state ignores (an underflow): nothing to report
    if dc_fz_pending():
        _fz_unfuse()              # (none can be: binop and array_ufunc resolved it)
    dc_ch.n = n
    dc_ch.next = 1
    dc_ch.frame = ch.frame
    for k in range(1, n):
        dc_ch.at[k] = ch.at[k]
        dc_ch.op[k] = SQ if sq[k] else op[k]
        dc_ch.l[k] = PyList_GET_ITEM(places, ~ch.l[k]) if ch.l[k] < 0 else ch.v[ch.l[k]]
        dc_ch.r[k] = PyList_GET_ITEM(places, ~ch.r[k]) if ch.r[k] < 0 else ch.v[ch.r[k]]
        dc_ch.ret[k] = <PyObject *>R if k == n - 1 else PyList_GET_ITEM(places, k)
    Py_INCREF(keep)
    dc_ch.keep = <PyObject *>keep
    _fused_chains += 1
    if C.loop != NULL:
        _jit_runs += 1
    return places[0]


# ------------------------------------------------------------------ compiled chains
# A chain that runs often over large arrays gets a loop of its own, compiled by the
# system's C compiler (_jit.py): one pass with every intermediate value in registers,
# where the block-by-block pass stores each operation's block to a slot and loads it back
# (2*a + 3*b*b - c: three passes over each block). The loop computes each operation in the
# same type, order and rounding as the kernels (no contraction: -ffp-contract=off), so its
# values and floating-point flags are theirs. The chain is known by its descriptor (each
# operation, the kind, element size and slot of each operand); _jit.loops maps the
# descriptors of compiled chains to their loop's address, _jit.chain_seen decides for the
# others (counting their elements; compiling in the background; a cached library is
# loaded at once).
cdef Py_ssize_t _JIT_MIN = 4096           # smaller chains keep the block pass
cdef dict _jit_loops = None               # _jit.loops while compiled loops are on
cdef object _jit_seen = _jit.chain_seen
cdef Py_ssize_t _jit_runs = 0


def _jit_switch(bint on):
    """_jit.py's mode changed: compiled loops on or off."""
    global _jit_loops
    _jit_loops = _jit.loops if on else None


_jit.on_mode(_jit_switch)


def compiled_chains():
    """How many chains ran through a compiled loop (tests, show_runtime)."""
    return _jit_runs


cdef int _chain_loop(Chain *C, Py_ssize_t n) except -1:
    """Attach the compiled loop of chain C when there is one (else tell _jit of it).
    Descriptor: the output's element size, then per operation op1, op2 (255: none),
    form, element size, result slot (255: the output) and per operand its slot (255:
    none) and stride (0: a scalar in the operation's type)."""
    cdef unsigned char d[1 + CH_MAX * 11]
    cdef int e, q, L = 1, na = 0, nargs
    cdef const ChainOp *o
    cdef const ChainArg *g
    cdef object addr
    d[0] = <unsigned char>C.osz
    for e in range(C.n):
        o = &C.op[e]
        d[L] = <unsigned char>o.op1
        d[L + 1] = <unsigned char>(o.op2 if o.op2 >= 0 else 255)
        d[L + 2] = <unsigned char>o.form
        d[L + 3] = <unsigned char>o.isz
        d[L + 4] = <unsigned char>(o.dst if o.dst >= 0 else 255)
        L += 5
        nargs = 3 if o.form else 2
        for q in range(nargs):
            g = &o.a if q == 0 else (&o.b if q == 1 else &o.c)
            d[L] = <unsigned char>(g.slot if g.slot >= 0 else 255)
            d[L + 1] = <unsigned char>g.stride
            L += 2
            if g.slot < 0:
                C.args[na] = <const void *>g.base
                na += 1
    key = PyBytes_FromStringAndSize(<char *>d, L)
    addr = _jit_loops.get(key)
    if addr is None:
        addr = _jit_seen(key, n)
        if addr is None:
            return 0
    C.loop = <dc_chain_loop>PyLong_AsVoidPtr(addr)
    return 0


cdef int _chain_interrupt = 0


def _interrupt_next_chain(int k):
    """Tests: the next chain takes its k-th later operator (1..) for another call, so
    the placeholders are given their values and the expression runs on as usual."""
    global _chain_interrupt
    _chain_interrupt = k


cdef object _ch_pop():
    """Forget the pending chain; returns its keep list."""
    cdef object keep = <object>dc_ch.keep      # (a new reference)
    Py_DECREF(keep)                             # the record's
    dc_ch.keep = NULL
    dc_ch.n = 0
    dc_ch.frame = NULL
    return keep


cdef object _ch_resume(object ufunc, object x, object y):
    """The awaited operator of the pending chain: its result; None for any other call
    (the placeholders returned so far first get their values)."""
    global _chain_interrupt
    cdef PyObject *p = dc_ch_match(<PyObject *>x, <PyObject *>y, _f2_index(ufunc))
    cdef object r
    if _chain_interrupt and dc_ch.next == _chain_interrupt:
        p = NULL                                  # (tests: as if another call came)
        _chain_interrupt = 0
    if p != NULL:
        r = <object>p
        dc_ch.next += 1
        if dc_ch.next == dc_ch.n:
            _ch_pop()
        return r
    _ch_unfuse()
    return None


cdef void _ch_unfuse():
    """Drop the pending chain, each placeholder returned so far holding its value."""
    cdef int returned = dc_ch.next
    cdef list keep = _ch_pop()
    cdef tuple plan = keep[len(keep) - 1]
    cdef int k
    for k in range(returned):
        uf, lo, ro, place = plan[k]
        (<ndarray>place)._adopt(ufunc_call(uf, (lo, ro), {}))


cdef dict _LABELS = {}          # code object -> its jump targets (dis.findlabels)


cdef bint _jumps_between(object code, int first, int lasti):
    """A jump of `code` lands after the load at `first`, up to op1 at lasti (the values
    below op1's operands may then come from elsewhere)."""
    labels = _LABELS.get(code)
    if labels is None:
        if len(_LABELS) >= 4096:
            _LABELS.clear()
        labels = _LABELS[code] = frozenset(dis.findlabels(code.co_code))
    for off in range(first + 2, lasti + 2, 2):
        if off in labels:
            return True
    return False



cdef object _fz_resume(object ufunc, object x, object y):
    """The awaited op2 of a pending fused pair: its result; None for any other call (the
    pending result first gets its op1 value back, see above)."""
    cdef int flags2
    cdef object r
    if dc_ch.keep != NULL:
        return _ch_resume(ufunc, x, y)
    if dc_fz_matches(<PyObject *>x, <PyObject *>y, _f2_index(ufunc)):
        flags2 = dc_fz.flags2
        r = dc_fz_pop()
        if flags2:
            fp_report(flags2, ufunc)          # op2's own reports, at op2
        return r
    _fz_unfuse()
    return None


cdef void _fz_unfuse():
    """Forget the pending fused pair, its result holding op1's value again (or the
    pending chain, see _ch_unfuse)."""
    if dc_ch.keep != NULL:
        _ch_unfuse()
        return
    cdef object fx = <object>dc_fz.x
    cdef object fy = <object>dc_fz.y
    cdef int op1 = dc_fz.op1
    cdef bint restorable = dc_fz.restorable
    cdef object r = dc_fz_pop()
    if restorable:                # (a pair written into a temporary operand is not)
        _checked_fast_binary(_F2_UF[op1], fx, fy, r)


cdef bint _is_operand(object x):
    # Objects that define their own reflected operation and opt out of ufuncs win.
    if getattr(type(x), "__array_ufunc__", 0) is None:
        return False
    return True


cdef object inplace(object ufunc, ndarray self, object other):
    cdef object r = _checked_fast_binary(ufunc, self, other, self)
    if r is not None:
        return r
    ufunc_call(ufunc, (self, other), {"out": (self,)})
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


cdef object ufunc_call(object ufunc, tuple inputs, dict kwargs):
    """ufunc.__call__ with dc semantics: our kernel when possible, else NumPy's loop on
    zero-copy views with results from the pool, wrapped as dc arrays."""
    cdef object r = None
    cdef object out = None            # 0: no fast path (several outputs, other keywords)
    if kwargs:
        out = kwargs.get("out")
        if type(out) is tuple:
            out = out[0] if len(out) == 1 else 0
        if not _plain_kwargs(kwargs):
            out = 0
    elif len(inputs) == 1 and _on_device(inputs[0]):
        r = device_fast(ufunc, inputs[0], None)
        if r is not None:
            return r
    if out is not 0:
        # (a NumPy scalar on the left of an operator comes here through NumPy's ufunc)
        fp_clear()
        if len(inputs) == 2:
            r = fast_binary(ufunc, inputs[0], inputs[1], out)
        elif len(inputs) == 1:
            r = fast_unary(ufunc, inputs[0], out)
        if r is not None:
            fp_check(ufunc)
            return r
    return numpy_ufunc(ufunc, "__call__", inputs, kwargs)


cdef void _copy_overlapping(tuple inputs, list np_inputs, tuple outs):
    """Inputs that partially overlap an output are given to NumPy's loop as copies. NumPy
    documents the result of overlapping operands as that of copies, but breaks it where its
    iterator buffers a cast output: `np.signbit(t[::-1], out=t)` for a float32 `t` of
    (2, 8192) with a negative inner stride writes results that differ from run to run
    (NumPy 2.4)."""
    cdef Operand X, O
    cdef Py_ssize_t i
    cdef object x, o
    for i in range(len(inputs)):
        x = inputs[i]
        if type(x) is not ndarray or not operand_of(x, &X, False):
            continue
        for o in outs:
            if type(o) is ndarray and operand_of(o, &O, False) and unsafe_overlap_sized(
                    &X, (<ndarray>x)._itemsize, &O, (<ndarray>o)._itemsize, O.ndim, O.shape):
                np_inputs[i] = np_inputs[i].copy()
                break


cdef object numpy_ufunc(object ufunc, str method, tuple inputs, dict kwargs):
    """Run ufunc.method with NumPy's loops on views; return dc arrays. Operands on another
    device run that device's backend. Small inputs keep NumPy's allocator (no pool swap)."""
    cdef Py_ssize_t nbytes = 0
    cdef object x
    cdef list np_inputs = []
    for x in inputs:
        if type(x) is ndarray:
            if not (<ndarray>x)._host:
                return backend(common_device(inputs, kwargs.get("out"))).ufunc(
                    ufunc, method, inputs, kwargs)
            nbytes += (<ndarray>x)._size * (<ndarray>x)._itemsize
            np_inputs.append((<ndarray>x)._np())
        else:
            np_inputs.append(x)
    out = None
    if kwargs:
        dev = common_device(inputs, kwargs.get("out"))
        if dev is not CPU:
            return backend(dev).ufunc(ufunc, method, inputs, kwargs)
        out = kwargs.get("out")
        if out is not None or "where" in kwargs:
            kwargs = dict(kwargs)
        if out is not None:
            outs = out if type(out) is tuple else (out,)
            kwargs["out"] = tuple([to_numpy(o) for o in outs])
            if method == "__call__":
                _copy_overlapping(inputs, np_inputs, outs)
        if "where" in kwargs:
            kwargs["where"] = to_numpy(kwargs["where"])
    f = ufunc if method == "__call__" else getattr(ufunc, method)
    # by vectorcall from the list's items (no tuple, and no copy of the keywords: the
    # callee receives them as names and values)
    if nbytes < SMALL_BYTES:
        r = vectorcall_dict(f, PySequence_Fast_ITEMS(np_inputs), len(np_inputs),
                            <PyObject *>kwargs if kwargs else NULL)
    else:
        with numpy_in_pool():
            r = vectorcall_dict(f, PySequence_Fast_ITEMS(np_inputs), len(np_inputs),
                                <PyObject *>kwargs if kwargs else NULL)
    if out is not None:
        outs = out if type(out) is tuple else (out,)
        if method == "at":
            return None
        if type(r) is tuple:
            return tuple([o if o is not None else wrap_result(x)
                          for o, x in zip(outs, r)])
        return outs[0]
    return wrap_result(r)


cdef object array_ufunc_binary(object ufunc, object x, object y):
    """array_ufunc(ufunc, "__call__", (x, y), {}) (a NumPy scalar's operator with a dc
    array on the right comes this way), the operands taken as they are: the tuple and
    dict are built only where NumPy's loop runs (ufunc_call's binary case without them)."""
    cdef object r
    if dc_fz_pending():
        # a reversed pair's op2 with a NumPy scalar on the left comes this way
        r = _fz_resume(ufunc, x, y)
        if r is not None:
            return r
    if _fuse_on and (type(x) is _F8 or type(x) is _F4):
        # `np.float64(2) * x op2 z`: the NumPy scalar's operator called np.multiply
        r = _fuse(ufunc, x, y, True, None)
        if r is not None:
            return r
    fp_clear()
    r = fast_binary(ufunc, x, y, None)
    if r is not None:
        fp_check(ufunc)
        return r
    return numpy_ufunc(ufunc, "__call__", (x, y), {})


cdef object array_ufunc(object ufunc, str method, tuple inputs, dict kwargs):
    if method == "__call__":
        if not kwargs and len(inputs) == 2:
            return array_ufunc_binary(ufunc, inputs[0], inputs[1])
        if dc_fz_pending():
            _fz_unfuse()
        return ufunc_call(ufunc, inputs, kwargs)
    if method == "reduce" and len(inputs) == 1 and type(inputs[0]) is ndarray:
        kind = reduce_kind(ufunc)
        if kind >= 0 and set(kwargs) <= {"axis", "dtype", "out", "keepdims",
                                               "initial", "where"}:
            return reduction(ufunc, kind, inputs[0], kwargs.get("axis", 0),
                              kwargs.get("dtype"), kwargs.get("out"),
                              kwargs.get("keepdims", False),
                              kwargs.get("initial", np._NoValue),
                              kwargs.get("where", True))
    if method == "at" and not kwargs and len(inputs) == 3 and (ufunc is _np_add
                                                              or ufunc is _np_subtract):
        if _at_fast(ufunc, inputs[0], inputs[1], inputs[2]):
            return None
    if (method == "accumulate" and len(inputs) == 1 and type(inputs[0]) is ndarray
            and (ufunc is _np_maximum or ufunc is _np_minimum)):
        r = extreme_accumulate(ufunc is _np_maximum, <ndarray>inputs[0], kwargs)
        if r is not None:
            return r
    return numpy_ufunc(ufunc, method, inputs, kwargs)


cdef object _np_maximum = np.maximum
cdef object _np_minimum = np.minimum
cdef object _np_add = np.add
cdef object _np_subtract = np.subtract


# ----------------------------------------------------------------- ufunc.at (scatter)
# np.add.at / np.subtract.at on a C-contiguous float64/float32/int64/int32 array of ours,
# with a tuple of one 1-d integer index array per dimension (a[i[k], j[k]] += v[k]) or one
# such array on the first (rows: a[i[k]] += v[k]), and values of the array's dtype (an
# array of one value per index, or per row element, or one row or scalar for all) or a
# Python scalar of its kind: one loop over precomputed offsets (dc_scatter.h). NumPy's at
# took 48 ns an element with a tuple of indices and 38 ns a row of 3 (NumPy 2.4), ours
# 2.7 and 3.4; its 1-d case takes 1.1 (ours would take 2: it stays NumPy's). Anything
# else, and any index out of bounds (NumPy's error), is NumPy's at.
cdef extern from "dc_scatter.h" nogil:
    void dc_scatter(int code, int sub, char *base, const int64_t *off, Py_ssize_t n,
                    Py_ssize_t m, const char *v, Py_ssize_t sv, Py_ssize_t sm)
    int dc_scatter_offsets(int64_t *off, const char *ip, Py_ssize_t ist, int isz,
                           Py_ssize_t n, Py_ssize_t dim, Py_ssize_t stride)


cdef object _cpu_numpy(object x):
    """x's NumPy view for a cpu array of ours, x for a NumPy array, else None."""
    if type(x) is ndarray:
        return (<ndarray>x)._np() if (<ndarray>x)._host else None
    return x if type(x) is cnp.ndarray else None


cdef cnp.ndarray _at_index(object x):
    """x as a 1-d int64/int32 NumPy array (ours viewed), else None."""
    cdef cnp.ndarray v
    x = _cpu_numpy(x)
    if x is None:
        return None
    v = <cnp.ndarray>x
    if cnp.PyArray_NDIM(v) != 1 or not (cnp.PyArray_TYPE(v) == cnp.NPY_INT64
                                        or cnp.PyArray_TYPE(v) == cnp.NPY_INT32
                                        or cnp.PyArray_TYPE(v) == cnp.NPY_LONG):
        return None
    if not cnp.PyArray_ISALIGNED(v) or cnp.PyArray_ITEMSIZE(v) not in (4, 8):
        return None
    return v


cdef bint _at_fast(object ufunc, object a, object indices, object b) except -1:
    """ufunc.at(a, indices, b) for the cases above; False to run NumPy's."""
    cdef ndarray A
    cdef tuple idx
    cdef list arrs = []
    cdef cnp.ndarray v, bv
    cdef Py_ssize_t n = -1, m, k, dim, st, isz, sv, sm, q
    cdef int64_t *off
    cdef char *ip
    cdef Py_ssize_t ist
    cdef char sbuf[8]
    cdef const char *vp
    cdef int t, nidx
    cdef bint sub = ufunc is _np_subtract, ok = True
    cdef Py_ssize_t lo, hi, blo, bhi
    if type(a) is not ndarray:
        return False
    A = <ndarray>a
    t = A._t
    if (not A._host or not A._writeable or A._ndim == 0 or not A._c_contig or A._size == 0
            or not (t == DC_T_F8 or t == DC_T_F4 or t == DC_T_I8 or t == DC_T_I4)):
        return False
    isz = A._itemsize
    if A._ndim == 1:
        return False                 # (NumPy's at has a fast 1-d path: 1.1 ns an element)
    if type(indices) is tuple:
        idx = <tuple>indices
        if len(idx) != A._ndim:
            return False
        m = 1
    else:
        idx = (indices,)
        m = A._size // A._shape[0]
    nidx = len(idx)
    for k in range(nidx):
        v = _at_index(idx[k])
        if v is None:
            return False
        if n < 0:
            n = cnp.PyArray_DIM(v, 0)
        elif cnp.PyArray_DIM(v, 0) != n:
            return False
        arrs.append(v)
    if n <= 0:
        return False
    # the values: one scalar, one row, or one per index (rows of m)
    if type(b) is float or type(b) is int:
        if t == DC_T_F8:
            (<double *>sbuf)[0] = <double>b
        elif t == DC_T_F4:
            if type(b) is float and 3.4028234663852886e38 < abs(<double>b) < INFINITY:
                return False                         # (NumPy's overflow report)
            (<float *>sbuf)[0] = <float><double>b
        elif type(b) is int:
            if t == DC_T_I8:
                if not (-(1 << 63) <= b < (1 << 63)):
                    return False
                (<int64_t *>sbuf)[0] = <int64_t>b
            else:
                if not (-(1 << 31) <= b < (1 << 31)):
                    return False
                (<int32_t *>sbuf)[0] = <int32_t>b
        else:
            return False                             # float into an int array: NumPy's
        vp = sbuf
        sv = sm = 0
    else:
        b = _cpu_numpy(b)
        if b is None:
            return False
        bv = <cnp.ndarray>b
        if bv.dtype != A._dtype or not cnp.PyArray_IS_C_CONTIGUOUS(bv):
            return False
        q = cnp.PyArray_SIZE(bv)
        if q == 0:
            return False
        # values in a's memory: NumPy's at decides how they are read
        lo, hi = byte_span(A)
        blo = <Py_ssize_t>cnp.PyArray_DATA(bv)
        bhi = blo + q * isz
        if blo < hi and lo < bhi:
            return False
        vp = <const char *>cnp.PyArray_DATA(bv)
        if cnp.PyArray_NDIM(bv) == 0:
            sv = sm = 0
        elif q == n * m and cnp.PyArray_DIM(bv, 0) == n and (
                cnp.PyArray_NDIM(bv) == 1 + (A._ndim - 1 if nidx == 1 else 0)):
            if nidx == 1:
                for k in range(1, A._ndim):
                    if cnp.PyArray_DIM(bv, k) != A._shape[k]:
                        return False
            sv = m * isz
            sm = isz
        elif nidx == 1 and q == m and cnp.PyArray_NDIM(bv) == A._ndim - 1:
            for k in range(1, A._ndim):
                if cnp.PyArray_DIM(bv, k - 1) != A._shape[k]:
                    return False
            sv = 0                                   # one row for every index
            sm = isz
        else:
            return False
    off = <int64_t *>malloc(n * sizeof(int64_t))
    if off == NULL:
        raise MemoryError()
    try:
        memset(off, 0, n * sizeof(int64_t))
        for k in range(nidx):
            v = <cnp.ndarray>arrs[k]
            dim = A._shape[k]
            st = A._strides[k]
            ip = <char *>cnp.PyArray_DATA(v)
            ist = cnp.PyArray_STRIDE(v, 0)
            with nogil:
                ok = dc_scatter_offsets(off, ip, ist, <int>cnp.PyArray_ITEMSIZE(v), n, dim,
                                        st) == 0
            if not ok:
                return False                          # NumPy's at raises its IndexError
        fp_clear()
        with nogil:
            dc_scatter(0 if t == DC_T_F8 else 1 if t == DC_T_F4 else 2 if t == DC_T_I8 else 3,
                       sub, A._data, off, n, m, vp, sv, sm)
        fp_check(ufunc)
    finally:
        free(off)
    return True



cdef signed char _promoted[XMAX][XMAX]      # result_type of two type codes, -2 unknown
memset(_promoted, 0xfe, sizeof(_promoted))
cdef list _XVAL = _XIN[:NX] + [0, 0.0, 0j]     # weak scalars as values for result_type


cdef int _promote(int a, int b):
    """NumPy's result type (NEP 50) of two operand type codes, -1 when not a type code."""
    cdef int t = _promoted[a][b]
    if t == -2:
        try:
            t = _xtype_of(np.result_type(_XVAL[a], _XVAL[b]))
        except Exception:
            t = -1
        _promoted[a][b] = <signed char>t
    return t


cdef bint _scalar_of_type(object x, Operand *A, int t):
    """A clip bound as one value of kernel type t (weak scalars must fit; strong scalars
    and 0-d arrays must promote to t); False when NumPy must decide."""
    cdef int xt
    cdef Body b
    if not _classify(x, A, &xt) or (A.data != A.value and A.ndim != 0):
        return False
    if xt < NX and _promote(xt, t) != t:
        return False
    memset(&b, 0, sizeof(b))
    if not _prepare_input(A, xt, t, x, &b, 0):
        return False
    if A.data != A.value:                     # a 0-d array of type t: copy its value
        memcpy(A.value, A.data, type_size(t))
    return True


cdef object clip(ndarray a, object lo, object hi, object out, dict kwargs):
    """numpy.clip: our kernel for scalar bounds that keep a's dtype (any layout, `out` a
    dc array of that dtype); else NumPy's."""
    cdef Operand A, L, H, R
    cdef Operand *ops[2]
    cdef Py_ssize_t sizes[1]
    cdef NdIter it
    cdef Body b
    cdef ndarray r
    cdef int t = a._t
    if not a._host:
        return device_function(a, np.clip, (a, lo, hi, out), kwargs)
    if (t >= 0 and not kwargs and K.clip[t] != NULL and _scalar_of_type(lo, &L, t)
            and _scalar_of_type(hi, &H, t)):
        operand_of(a, &A, False)
        ops[0] = &A
        sizes[0] = a._itemsize
        r = _out_array(out, a._ndim, a._shape, t, &R, ops, sizes, 1, True)
        if r is not None and not (out is not None and unsafe_overlap(&A, &R, r._ndim,
                                                                     r._shape)):
            memset(&b, 0, sizeof(b))
            b.kind = BODY_CLIP
            b.nin = 1
            b.fn = <void *>K.clip[t]
            b.lo = L.value
            b.hi = H.value
            ops[0] = &A
            ops[1] = &R
            nd_setup(&it, 2, ops, r._ndim, r._shape)
            nd_run(&it, &b, cost_threshold(DC_COST_CHEAP))
            if r._ndim == 0 and out is None:
                return r._np()[()]          # NumPy's scalar, as its ufunc returns
            return r
    kw = dict(kwargs)
    if out is not None:
        kw["out"] = to_numpy(out)
    with numpy_in_pool():
        res = np.clip(a._np(), to_numpy(lo), to_numpy(hi), **kw)
    return out if out is not None else wrap_result(res)


# numpy.where past its __array_function__ dispatch (its arguments are numpy arrays here)
cdef object _np_where = getattr(np.where, "_implementation", np.where)


cdef object where(object condition, object x, object y):
    """numpy.where; our kernel for operands of kernel types (any shapes that broadcast,
    any layout, NumPy's promotion of x and y, a condition of any type read as bool),
    else NumPy's."""
    cdef Operand C, X, Y, R
    cdef Operand *ops[4]
    cdef int tc, tx, ty, t, nd
    cdef Py_ssize_t shape[MAXDIMS]
    cdef Py_ssize_t sizes[3]
    cdef NdIter it
    cdef Body b
    cdef ndarray r
    if x is None and y is None:          # nonzero: index arrays of at most its size
        if type(condition) is ndarray and (
                (<ndarray>condition)._size * sizeof(Py_ssize_t) < SMALL_BYTES):
            return wrap_result(_np_where(to_numpy(condition)))
        with numpy_in_pool():
            return wrap_result(_np_where(to_numpy(condition)))
    if (_classify(condition, &C, &tc) and _classify(x, &X, &tx) and _classify(y, &Y, &ty)
            and tc < DC_NTYPES):
        t = _promote(tx, ty)
        ops[0] = &C
        ops[1] = &X
        ops[2] = &Y
        memset(&b, 0, sizeof(b))
        if (0 <= t < DC_NTYPES and K.where[t] != NULL and _convertible(tc, DC_T_B1)
                and _convertible(tx, t) and _convertible(ty, t)
                and _broadcast(ops, 3, &nd, shape)
                and _prepare_input(&C, tc, DC_T_B1, condition, &b, 0)
                and _prepare_input(&X, tx, t, x, &b, 1)
                and _prepare_input(&Y, ty, t, y, &b, 2)):
            sizes[0] = _xsize(tc)
            sizes[1] = _xsize(tx) if tx < NX else 0
            sizes[2] = _xsize(ty) if ty < NX else 0
            r = _new_result(nd, shape, t, ops, sizes, 3, False)   # NumPy's iterator order
            operand_of(r, &R, False)
            ops[3] = &R
            b.kind = BODY_WHERE
            b.nin = 3
            b.fn = <void *>K.where[t]
            nd_setup(&it, 4, ops, nd, shape)
            nd_run(&it, &b, cost_threshold(DC_COST_CHEAP))
            return r
    with numpy_in_pool():
        return wrap_result(np.where(to_numpy(condition), to_numpy(x), to_numpy(y)))


# Unary kernels whose float results are exact (IEEE rounding, as NumPy's loops): one
# float scalar through the namespace's ufunc runs them directly (_scalar_unary).
cdef extern from "numpy/arrayobject.h":
    object PyArray_Scalar(void *data, cnp.PyArray_Descr *descr, object base)

cdef bint _EXACT_UNARY[MAXOPS]
memset(_EXACT_UNARY, 0, sizeof(_EXACT_UNARY))
for _name in ("negative", "positive", "absolute", "square", "reciprocal", "sqrt", "floor",
              "ceil", "trunc", "rint", "isnan", "isinf", "isfinite", "signbit"):
    _EXACT_UNARY[UNARY_INDEX[_name]] = True
cdef type _NP_F8 = np.float64
cdef type _NP_F4 = np.float32
cdef object _BOOL_DTYPE = np.dtype(bool)


cdef object _scalar_unary(object ufunc, object x):
    """ufunc(x) for x a Python float, numpy.float64 or numpy.float32 and an exact unary
    kernel: NumPy's scalar result (same bits, same FP warnings) without NumPy's 0-d array
    round trip; None when this does not apply."""
    cdef object spec = _UNARY_OF.get(ufunc)
    cdef type tp = type(x)
    cdef int op, t
    cdef double d
    cdef float f
    cdef char *src
    cdef char res[MAX_ITEM]
    cdef dc_unary_fn fn
    cdef char *args[2]
    cdef Py_ssize_t steps[2]
    if spec is None:
        return None
    op = spec[0]
    if op >= len(UNARY):
        return None
    if tp is float or tp is _NP_F8:
        d = PyFloat_AS_DOUBLE(x)
        src = <char *>&d
        t = DC_T_F8
    elif tp is _NP_F4:
        _scalar_copy(x, DC_T_F4, <char *>&f)
        src = <char *>&f
        t = DC_T_F4
    else:
        return None
    fn = K.unary[op][t]
    if fn == NULL:
        return None
    fp_clear()
    if _EXACT_UNARY[op]:
        fn(src, 0, res, 0, 1)
    else:
        # a transcendental: NumPy's own loop on the one element (its bits, as NumPy's
        # scalar call gives them; ours are within the bound, not always the same)
        args[0] = src
        args[1] = res
        steps[0] = steps[1] = 0
        if not numpy_loop_one(LOOP_UNARY, op, t, args, steps):
            return None
    fp_check(ufunc)
    return PyArray_Scalar(res, <cnp.PyArray_Descr *>(_BOOL_DTYPE if spec[1] else _XIN[t]),
                          None)


cdef extern from *:
    """
    static PyObject *dc_steal(PyObject *o) { return o; }
    static int dc_raise_error(void) { return -1; }
    """
    object _steal "dc_steal" (PyObject *o)     # takes over the new reference
    int raise_error "dc_raise_error" () except -1   # the exception set by the callee




cdef object _call_out(ufunc self, object x, object y, object out, Py_ssize_t n):
    """self(x, out=out) (n == 1) or self(x, y, out=out) (n == 2), the output also given by
    position as older NumPy code writes it (`np.add(a, b, c)`): the fast paths take it
    without an argument tuple or keyword dict (before, both went through the general
    path: 0.3-0.6 us more a call, 1.6x NumPy's time at 1e3 elements)."""
    cdef object r = None
    cdef tuple inputs = (_operand(x), _operand(y)) if n == 2 else (_operand(x),)
    if out is None or type(out) is tuple:   # (out=(c,): the general path reads it)
        return ufunc_call(self._ufunc, inputs, {"out": out})
    fp_clear()
    r = fast_binary(self._ufunc, x, y, out) if n == 2 else fast_unary(self._ufunc, x, out)
    if r is not None:
        fp_check(self._ufunc)
        return r
    return numpy_ufunc(self._ufunc, "__call__", inputs, {"out": out})   # (tried above)


cdef object _call_plain(ufunc self, object x, object y, Py_ssize_t n):
    """self(x) (n == 1) or self(x, y) (n == 2) without keywords."""
    cdef object r
    if n == 1 and cnp.PyArray_IsAnyScalar(x):
        r = _scalar_unary(self._ufunc, x)
        if r is not None:
            return r
        return self._ufunc(x)                   # a scalar: NumPy's scalar result
    fp_clear()
    if n == 2:
        r = fast_binary(self._ufunc, x, y, None)
        if r is not None:
            fp_check(self._ufunc)
            return r
        return ufunc_call(self._ufunc, (_operand(x), _operand(y)), {})
    r = fast_unary(self._ufunc, x, None)
    if r is not None:
        fp_check(self._ufunc)
        return r
    return ufunc_call(self._ufunc, (_operand(x),), {})


cdef PyObject *_ufunc_vectorcall(PyObject *callable, PyObject **args, size_t nargsf,
                                 PyObject *kwnames) except NULL:
    """The vectorcall entry of dotcompute.ufunc: one or two positional operands without
    keywords go straight to the fast paths (no argument tuple or keyword dict is built,
    as for NumPy's own ufuncs); anything else is the class's __call__."""
    cdef Py_ssize_t n = PyVectorcall_NARGS(nargsf)
    cdef object r, pos, kw
    if kwnames == NULL and (n == 1 or (n == 2 and (<ufunc>callable)._nin == 2)):
        r = _call_plain(<ufunc>callable, <object>args[0], <object>args[1] if n == 2 else None,
                        n)
    elif (kwnames == NULL and n <= 3 and n == (<ufunc>callable)._nin + 1
          and (<ufunc>callable)._nout == 1):
        r = _call_out(<ufunc>callable, <object>args[0],
                      <object>args[1] if n == 3 else None, <object>args[n - 1], n - 1)
    elif (kwnames != NULL and (n == 1 or n == 2) and n == (<ufunc>callable)._nin
          and (<ufunc>callable)._nout == 1 and len(<tuple>kwnames) == 1
          and (<tuple>kwnames)[0] == "out"):
        r = _call_out(<ufunc>callable, <object>args[0],
                      <object>args[1] if n == 2 else None, <object>args[n], n)
    else:                                    # the class's tp_call (__call__ below)
        pos = tuple([<object>args[i] for i in range(n)])
        kw = None if kwnames == NULL else _keywords(args, n, kwnames)
        r = _tp_call(<object>callable, pos, kw)
    Py_INCREF(r)
    return <PyObject *>r


cdef object _tp_call(object f, object pos, object kw):
    """f's tp_call slot (not its vectorcall entry, which would come back here)."""
    cdef PyObject *r = (<PyTypeObject_vc *>Py_TYPE(f)).tp_call(
        <PyObject *>f, <PyObject *>pos, NULL if kw is None else <PyObject *>kw)
    if r == NULL:
        raise_error()
    return _steal(r)


cdef dict _keywords(PyObject **args, Py_ssize_t n, PyObject *kwnames):
    cdef tuple names = <tuple>kwnames
    return {names[i]: <object>args[n + i] for i in range(len(names))}


cdef class ufunc:
    """A NumPy ufunc returning dotcompute arrays: our kernels when the operands allow it,
    NumPy's loops on zero-copy views otherwise. Methods (reduce, accumulate, reduceat,
    outer, at) and attributes are the NumPy ufunc's."""
    cdef vectorcallfunc _vectorcall
    cdef readonly object _ufunc
    cdef readonly str __name__
    cdef readonly object __doc__
    cdef Py_ssize_t _nin, _nout

    def __cinit__(self, *args, **kwargs):
        self._vectorcall = <vectorcallfunc>_ufunc_vectorcall

    def __init__(self, np_ufunc):
        self._ufunc = np_ufunc
        self.__name__ = np_ufunc.__name__
        self.__doc__ = np_ufunc.__doc__
        self._nin = np_ufunc.nin
        self._nout = np_ufunc.nout

    def __call__(self, *args, **kwargs):
        if not kwargs and (len(args) == 1 or (len(args) == 2 and self._nin == 2)):
            return _call_plain(self, args[0], args[1] if len(args) == 2 else None,
                               len(args))
        if not kwargs and len(args) == self._nin + 1 and self._nout == 1 and self._nin <= 2:
            return _call_out(self, args[0], args[1] if self._nin == 2 else None, args[-1],
                             self._nin)
        return ufunc_call(self._ufunc, tuple([_operand(a) for a in args]), kwargs)

    def reduce(self, array, axis=0, dtype=None, out=None, **kwargs):
        return array_ufunc(self._ufunc, "reduce", (_operand(array),),
                            dict(kwargs, axis=axis, dtype=dtype, out=out))

    def accumulate(self, array, axis=0, dtype=None, out=None):
        return array_ufunc(self._ufunc, "accumulate", (_operand(array),),
                            dict(axis=axis, dtype=dtype, out=out))

    def reduceat(self, array, indices, axis=0, dtype=None, out=None):
        return array_ufunc(self._ufunc, "reduceat",
                            (_operand(array), to_numpy_nested(indices)),
                            dict(axis=axis, dtype=dtype, out=out))

    def outer(self, A, B, **kwargs):
        return array_ufunc(self._ufunc, "outer", (_operand(A), _operand(B)), kwargs)

    def at(self, a, indices, b=None):
        args = (a, key_to_numpy(indices)) if b is None else (a, key_to_numpy(indices), b)
        return array_ufunc(self._ufunc, "at", args, {})

    def __getattr__(self, name):
        return getattr(self._ufunc, name)

    def __repr__(self):
        return f"<dotcompute.ufunc '{self.__name__}'>"

    def __reduce__(self):
        return ufunc, (self._ufunc,)


cdef void _enable_vectorcall():
    """Point the ufunc type at its instances' _vectorcall field (CPython's vectorcall
    protocol: PEP 590), measured on one instance."""
    cdef ufunc probe = ufunc(np.negative)
    enable_vectorcall(ufunc, probe, &probe._vectorcall)


_enable_vectorcall()


cdef object _operand(object x):
    """Lists and tuples become arrays; arrays and scalars stay as they are."""
    if type(x) is list or type(x) is tuple:
        return as_array(x)
    return x


DEF SMALL_CAST_BYTES = 65536    # results below: NumPy's astype and allocator (no swap)


cdef object astype(ndarray a, object dtype, object casting, object copy, object order="K"):
    dtype = as_dtype(dtype)             # (np.dtype(): 0.1-0.2 us of a 0.6 us call)
    if dtype == a._dtype and not copy and (
            order in ("K", "A") or (order == "C" and a._c_contig)
            or (order == "F" and a._f_contig)):
        return a
    if not a._host:
        return device_function(a, np.astype, (a, dtype), {"copy": bool(copy)})
    if order not in ("C", "F", "A", "K"):
        raise ValueError(f"order must be one of 'C', 'F', 'A', or 'K' (got {order!r})")
    if (dtype.itemsize == 0 and dtype.kind in "SUV") or (
            order == "K" and not (a._c_contig or a._f_contig)):
        # NumPy sizes an unsized string dtype from the values, and orders 'K' by strides
        with numpy_in_pool():
            return wrap_numpy(a._np().astype(dtype, order=order, casting=casting))
    cdef str layout = "F" if order == "F" or (
        order != "C" and a._f_contig and not a._c_contig) else "C"
    cdef int tf = a._t, tt = type_index(dtype)
    cdef ndarray r
    if (tf >= 0 and tt >= 0 and a._c_contig and layout == "C" and casting == "unsafe"
            and K.cast[tf][tt] != NULL):
        r = empty_c(a._ndim, a._shape, tt)
        fp_clear()
        run_unary(K.cast[tf][tt], K.reduce_threshold, a._data, a._itemsize, r._data,
                  r._itemsize, a._size, True)
        fp_check("cast")
        return r
    if a._size * dtype.itemsize < SMALL_CAST_BYTES:
        # NumPy's own astype (complex to float: 1.2 us against 1.8 through copyto)
        return wrap_numpy(a._np().astype(dtype, order=order, casting=casting))
    r = empty_array(a.shape, dtype, layout)
    np.copyto(r._np(), a._np(), casting=casting)
    return r

