# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Element-wise routines: operators, ufunc calls (`__array_ufunc__`), `astype`, `clip`,
`where` and the `dotcompute.ufunc` class.

Our kernel runs when the operands allow it (one accelerated dtype, equal shapes or a
scalar side, an `out` that does not partially overlap an input); everything else runs
NumPy's loop on zero-copy views, with results from the pool.
"""
from libc.stdint cimport int64_t, uint64_t, uint8_t, int8_t, int16_t, int32_t
from libc.stdint cimport uint16_t, uint32_t

from dotcompute._core._kernel_table cimport *
from dotcompute._core._dtypes cimport *
from dotcompute._core._kernel_access cimport fp_clear, fp_check
from dotcompute._core._kernel_access cimport (Operand, MAX_ITEM, kernel_table, run_unary,
                                              run_binary, run_where, unsafe_overlap,
                                              same_shape)
from dotcompute._core._numpy_loops cimport (run_numpy_loop, borrowing, LOOP_UNARY,
                                            LOOP_BINARY)
from dotcompute._core._ndarray cimport (ndarray, operand_of, wrap_result, to_numpy,
                                        to_numpy_nested, key_to_numpy, common_device,
                                        device_function, wrap_numpy, SMALL_BYTES)
from dotcompute._core._routines_creation cimport empty_array, empty_c, as_array
from dotcompute._core._routines_reduction cimport reduction, reduce_kind

import numpy as np

from dotcompute._core._device import CPU, backend
from dotcompute._core._memory import use_for_numpy as numpy_in_pool
from dotcompute._core._opspec import BINARY, UNARY, BINARY_INDEX, UNARY_INDEX

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


cdef ndarray _result(object out, const Operand *like, int t, Operand *R):
    """The array a kernel writes: new (out is None), or `out` when it is a writable cpu
    dc array of kernel type t and like's shape (R then describes it); else None."""
    cdef ndarray r
    cdef int i
    if out is None:
        return empty_c(like.ndim, like.shape, t)
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


cdef object fast_binary(object ufunc, object x, object y, object out):
    """Our kernel for ufunc(x, y) when the operands allow it, else None.

    Covered: both operands arrays of one accelerated dtype (dc or numpy) with equal shapes
    (any strides) or one side a 0-d array / Python scalar that keeps the array's dtype
    under NEP 50; out None or an array of the exact result dtype and shape that does not
    partially overlap an input.
    """
    cdef Operand A, B, R
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
    if operand_of(x, &A, False):
        if operand_of(y, &B, False):
            if A.t != B.t or A.t < 0:
                return None
            if not same_shape(&A, &B):
                if B.ndim == 0 and A.ndim > 0:
                    B.is_scalar = True
                elif A.ndim == 0 and B.ndim > 0:
                    A.is_scalar = True
                else:
                    return None
        else:
            if A.t < 0 or not scalar_into(y, A.t, B.value):
                return None
            B.data = B.value
            B.is_scalar = True
            B.t = A.t
    elif operand_of(y, &B, False):
        if B.t < 0 or not scalar_into(x, B.t, A.value):
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
    r = _result(out, &B if A.is_scalar else &A, DC_T_B1 if to_bool else t, &R)
    if r is None or (out is not None and (unsafe_overlap(&A, &R, r._ndim, r._shape)
                                          or unsafe_overlap(&B, &R, r._ndim, r._shape))):
        return None
    if (_borrow and not A.is_scalar and not B.is_scalar and A.contig and B.contig
            and r._c_contig and r._size > 0):
        args[0] = A.data
        args[1] = B.data
        args[2] = r._data
        steps[0] = type_size(t)
        steps[1] = type_size(t)
        steps[2] = r._itemsize
        if run_numpy_loop(LOOP_BINARY, op, t, args, steps, r._size, K.binary_threshold[op]):
            if r._ndim == 0 and out is None:
                return r._np()[()]
            return r
    _nd_binary(f, K.binary_threshold[op], &A, &B, r)
    if r._ndim == 0 and out is None:
        return r._np()[()]
    return r



cdef void _nd_binary(dc_binary_fn f, int thr, Operand *A, Operand *B, ndarray r):
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
        run_binary(f, thr, A.data, 0 if A.is_scalar else type_size(A.t),
                   B.data, 0 if B.is_scalar else type_size(B.t), r._data, r._itemsize, n)
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
        run_binary(f, thr, pa, sa, pb, sb, po, r._strides[nd - 1], inner)


cdef object fast_unary(object ufunc, object x, object out):
    cdef Operand A, R
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
    if spec is None or not operand_of(x, &A, False) or A.t < 0:
        return None
    op = spec[0]
    to_bool = spec[1]
    t = A.t
    f = K.unary[op][t]
    if f == NULL:
        return None
    r = _result(out, &A, DC_T_B1 if to_bool else t, &R)
    if r is None or (out is not None and unsafe_overlap(&A, &R, r._ndim, r._shape)):
        return None
    if r._ndim == 0:
        run_unary(f, 0, A.data, 0, r._data, r._itemsize, 1)
        return r._np()[()] if out is None else r
    if r._size == 0:
        return r
    if A.contig and r._c_contig:
        args[0] = A.data
        args[1] = r._data
        steps[0] = type_size(t)
        steps[1] = r._itemsize
        if _borrow and run_numpy_loop(LOOP_UNARY, op, t, args, steps, r._size,
                                      K.unary_threshold[op]):
            return r
        run_unary(f, K.unary_threshold[op], A.data, steps[0], r._data, r._itemsize,
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
        run_unary(f, K.unary_threshold[op], pa, A.strides[nd - 1], po,
                   r._strides[nd - 1], inner)
    return r


cdef object binop(object ufunc, object x, object y):
    """x <op> y for the operators: our kernel when possible, else the ufunc protocol."""
    fp_clear()
    cdef object r = fast_binary(ufunc, x, y, None)
    if r is not None:
        fp_check(ufunc)
        return r
    if not _is_operand(x) or not _is_operand(y):
        return NotImplemented
    return ufunc_call(ufunc, (x, y), {})


cdef bint _is_operand(object x):
    # Objects that define their own reflected operation and opt out of ufuncs win.
    if getattr(type(x), "__array_ufunc__", 0) is None:
        return False
    return True


cdef object inplace(object ufunc, ndarray self, object other):
    fp_clear()
    cdef object r = fast_binary(ufunc, self, other, self)
    if r is not None:
        fp_check(ufunc)
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
    cdef object r
    out = kwargs.get("out")
    if type(out) is tuple:
        if len(out) == 1:
            out = out[0]
        else:
            out = 0       # several outputs: not a fast path
    if out is not 0 and _plain_kwargs(kwargs):
        fp_clear()
        if len(inputs) == 2:
            r = fast_binary(ufunc, inputs[0], inputs[1], out)
            if r is not None:
                fp_check(ufunc)
                return r
        elif len(inputs) == 1:
            r = fast_unary(ufunc, inputs[0], out)
            if r is not None:
                fp_check(ufunc)
                return r
    return numpy_ufunc(ufunc, "__call__", inputs, kwargs)


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
        if "where" in kwargs:
            kwargs["where"] = to_numpy(kwargs["where"])
    f = ufunc if method == "__call__" else getattr(ufunc, method)
    if nbytes < SMALL_BYTES:
        r = f(*np_inputs, **kwargs)
    else:
        with numpy_in_pool():
            r = f(*np_inputs, **kwargs)
    if out is not None:
        outs = out if type(out) is tuple else (out,)
        if method == "at":
            return None
        if type(r) is tuple:
            return tuple([o if o is not None else wrap_result(x)
                          for o, x in zip(outs, r)])
        return outs[0]
    return wrap_result(r)


cdef object array_ufunc(object ufunc, str method, tuple inputs, dict kwargs):
    if method == "__call__":
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
    return numpy_ufunc(ufunc, method, inputs, kwargs)



cdef object clip(ndarray a, object lo, object hi, object out, dict kwargs):
    cdef char lov[MAX_ITEM]
    cdef char hiv[MAX_ITEM]
    cdef ndarray r
    cdef int t = a._t
    if not a._host:
        return device_function(a, np.clip, (a, lo, hi, out), kwargs)
    if (t >= 0 and out is None and not kwargs and a._c_contig and lo is not None
            and hi is not None and scalar_into(lo, t, lov) and scalar_into(hi, t, hiv)
            and K.clip[t] != NULL):
        r = empty_array(a.shape, a._dtype, "C")
        with nogil:
            K.clip[t](a._data, a._itemsize, lov, hiv, r._data, r._itemsize, a._size)
        return r
    kw = dict(kwargs)
    if out is not None:
        kw["out"] = to_numpy(out)
    with numpy_in_pool():
        res = np.clip(a._np(), to_numpy(lo), to_numpy(hi), **kw)
    return out if out is not None else wrap_result(res)


cdef object where(object condition, object x, object y):
    """numpy.where; our kernel for a bool condition and two arrays of one accelerated
    dtype, all of the same shape and C-contiguous (else NumPy's)."""
    cdef Operand C, X, Y
    cdef ndarray r
    if x is None and y is None:
        with numpy_in_pool():
            return wrap_result(np.where(to_numpy(condition)))
    if (operand_of(condition, &C, False) and operand_of(x, &X, False)
            and operand_of(y, &Y, False)
            and C.t == DC_T_B1 and X.t >= 0 and X.t == Y.t and C.contig and X.contig
            and Y.contig and same_shape(&C, &X) and same_shape(&C, &Y) and C.ndim > 0):
        r = empty_c(X.ndim, X.shape, X.t)
        run_where(K.where[X.t], C.data, X.data, Y.data, r._data, r._itemsize, r._size)
        return r
    with numpy_in_pool():
        return wrap_result(np.where(to_numpy(condition), to_numpy(x), to_numpy(y)))


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
            fp_clear()
            if len(args) == 2:
                r = fast_binary(self._ufunc, args[0], args[1], None)
                if r is not None:
                    fp_check(self._ufunc)
                    return r
            elif len(args) == 1:
                r = fast_unary(self._ufunc, args[0], None)
                if r is not None:
                    fp_check(self._ufunc)
                    return r
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


cdef object _operand(object x):
    """Lists and tuples become arrays; arrays and scalars stay as they are."""
    if type(x) is list or type(x) is tuple:
        return as_array(x)
    return x


cdef object astype(ndarray a, object dtype, object casting, object copy, object order="K"):
    dtype = np.dtype(dtype)
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
    cdef ndarray r = empty_array(a.shape, dtype, layout)
    cdef int tf = a._t, tt = type_index(dtype)
    if (tf >= 0 and tt >= 0 and a._c_contig and layout == "C" and casting == "unsafe"
            and K.cast[tf][tt] != NULL):
        fp_clear()
        run_unary(K.cast[tf][tt], K.reduce_threshold, a._data, a._itemsize, r._data,
                  r._itemsize, a._size)
        fp_check("cast")
        return r
    np.copyto(r._np(), a._np(), casting=casting)
    return r
