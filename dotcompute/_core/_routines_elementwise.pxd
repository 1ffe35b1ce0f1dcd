# cython: language_level=3
"""Element-wise routines: the operators, the ufunc protocol and `dotcompute.ufunc`."""
from dotcompute._core._ndarray cimport ndarray

# Convert a Python scalar to kernel type t under NEP 50 (weak scalars) into buf: 1 on
# success, 0 when NumPy must decide (promotion, overflow).
cdef int scalar_into(object s, int t, char *buf) except -2
# Our kernel for ufunc(x, y) / ufunc(x) when the operands allow it, else None.
cdef object fast_binary(object ufunc, object x, object y, object out)
cdef object fast_unary(object ufunc, object x, object out)
# x <op> y and x <op>= y for the operators.
cdef object binop(object ufunc, object x, object y)
# ufunc(x[, y]) (y None: one operand) through the per-call fast path of the backend of the
# device of x or y (a dc array on another device than the cpu); None when it does not apply.
cdef object device_fast(object ufunc, object x, object y)
cdef object inplace(object ufunc, ndarray self, object other)
# a ** e with NumPy's fast scalar powers (x**2, x**-1, x**0.5).
cdef object power(ndarray a, object e)
# -a (the operator).
cdef object negative(ndarray a)
# ufunc.__call__ and any ufunc method with dc semantics (the __array_ufunc__ protocol).
cdef object ufunc_call(object ufunc, tuple inputs, dict kwargs)
cdef object array_ufunc(object ufunc, str method, tuple inputs, dict kwargs)
# array_ufunc(ufunc, "__call__", (x, y), {}) without the tuple and dict.
cdef object array_ufunc_binary(object ufunc, object x, object y)
cdef object astype(ndarray a, object dtype, object casting, object copy, object order=*)
cdef object clip(ndarray a, object lo, object hi, object out, dict kwargs)
# numpy.where(condition[, x, y])
cdef object where(object condition, object x, object y)
