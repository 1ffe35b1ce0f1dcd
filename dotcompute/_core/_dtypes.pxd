# cython: language_level=3
"""The one dtype table of the kernels, for the Cython modules.

The indices are the enums that setup.py renders from `_opspec.py` into dc_kernel_table.h
(`DC_T_*` dtypes, `DC_B_*` / `DC_U_*` operations, `DC_R_*` reductions, `DC_COST_*` cost
classes): nothing here or in the modules that cimport this file spells an index as a
number. The C compiler checks every name against the rendered header.
"""
from cpython.object cimport PyObject
cimport numpy as cnp

cdef extern from "dc_kernel_table.h" nogil:
    ctypedef enum dc_type:
        DC_T_B1
        DC_T_I1
        DC_T_I2
        DC_T_I4
        DC_T_I8
        DC_T_U1
        DC_T_U2
        DC_T_U4
        DC_T_U8
        DC_T_F4
        DC_T_F8
    ctypedef enum dc_binary_op:
        DC_B_ADD
        DC_B_MULTIPLY
        DC_B_MINIMUM
        DC_B_MAXIMUM
        DC_B_LOGICAL_OR
        DC_B_LOGICAL_AND
    ctypedef enum dc_reduce_op:
        DC_R_SUM
        DC_R_PROD
        DC_R_MIN
        DC_R_MAX
        DC_R_ARGMIN
        DC_R_ARGMAX
        DC_R_ANY
        DC_R_ALL
    ctypedef enum dc_cost:
        DC_COST_CHEAP
        DC_COST_MEDIUM
        DC_COST_EXPENSIVE
    enum: DC_NTYPES


cdef inline Py_ssize_t type_size(int t) noexcept nogil:
    """Bytes of one element of kernel type t."""
    if t == DC_T_I8 or t == DC_T_U8 or t == DC_T_F8:
        return 8
    if t == DC_T_I4 or t == DC_T_U4 or t == DC_T_F4:
        return 4
    if t == DC_T_I2 or t == DC_T_U2:
        return 2
    return 1


cdef inline bint is_float(int t) noexcept nogil:
    return t == DC_T_F4 or t == DC_T_F8


cdef inline bint is_unsigned(int t) noexcept nogil:
    return DC_T_U1 <= t <= DC_T_U8


cdef inline bint is_signed(int t) noexcept nogil:
    return DC_T_I1 <= t <= DC_T_I8


cdef inline bint is_min_or_max(int r) noexcept nogil:
    """Reductions without an identity (an empty input is an error)."""
    return r == DC_R_MIN or r == DC_R_MAX


# Kernel type of a dtype (-1 when not accelerated: other dtypes, non-native byte order).
cdef int type_index(object dtype)
# dtype's NumPy type number when dtype is that number's builtin dtype object (float64,
# int32, complex128, ...: what np.dtype(float) returns), else -1; an identity check.
cdef int canonical_num(object dtype) noexcept
# canonical_num, with the dtype's kernel type in *t and buffer format in *fmt (set only
# when it returns >= 0; a borrowed reference the table keeps).
cdef int canonical_info(object dtype, int *t, PyObject **fmt) noexcept
# The numpy.dtype of kernel type t (int64 / uint64 spelled as NumPy's defaults).
cdef object type_dtype(int t)
# np.dtype(dtype), remembered for hashable arguments; the canonical instance.
cdef object as_dtype(object dtype)
# Buffer-protocol format of kernel type t.
cdef bytes type_format(int t)
# Kernel type of a numpy array's elements; -1 when the kernels cannot take it (dtype not
# accelerated, byte-swapped, or misaligned data: typed loads of misaligned data are
# undefined behaviour, so such arrays take NumPy's loops).
cdef int numpy_kernel_type(cnp.ndarray n) noexcept
