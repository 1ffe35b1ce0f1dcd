# cython: language_level=3, boundscheck=False, wraparound=False
"""The dtype table of the kernels (see _dtypes.pxd), built from `_opspec.DTYPES`.

Python-level names for the compiler: `TYPE_INDEX` (numpy.dtype -> kernel type) and
`TYPE_DTYPES` (kernel type -> numpy.dtype).
"""
from cpython.object cimport PyObject, PyTypeObject, Py_TYPE
cimport numpy as cnp
import numpy as np

from dotcompute._core._opspec import DTYPES

cnp.import_array()

# dtype -> kernel table index (only native byte order dtypes are accelerated); int64 and
# uint64 have two dtype objects each (long and long long), both map to the 8-byte type.
TYPE_INDEX = {}
for _i, _d in enumerate(DTYPES):
    TYPE_INDEX[np.dtype(_d[2])] = _i
    TYPE_INDEX[np.dtype(_d[0].replace("b1", "?"))] = _i
TYPE_INDEX[np.dtype(np.int64)] = DC_T_I8
TYPE_INDEX[np.dtype(np.uint64)] = DC_T_U8

TYPE_DTYPES = [np.dtype(d[2]) for d in DTYPES]
TYPE_DTYPES[DC_T_I8] = np.dtype(np.int64)
TYPE_DTYPES[DC_T_U8] = np.dtype(np.uint64)
if len(TYPE_DTYPES) != DC_NTYPES:
    raise ImportError("dotcompute: _opspec.DTYPES and the rendered kernel table disagree; "
                      "rebuild the extensions")

cdef dict _INDEX = TYPE_INDEX
cdef list _DTYPE = TYPE_DTYPES
cdef list _FORMAT = [memoryview(np.empty(0, _d)).format.encode() for _d in TYPE_DTYPES]

# NumPy type number -> kernel type (-1: not accelerated).
cdef int _NUM_TO_T[64]
for _i in range(64):
    _NUM_TO_T[_i] = -1
for _ch in np.typecodes["AllInteger"] + np.typecodes["AllFloat"] + "?":
    # by type character: equal dtypes collapse as dict keys (int64 'l' and long long 'q'
    # are one key of TYPE_INDEX), each type number needs its entry
    _NUM_TO_T[np.dtype(_ch).num] = TYPE_INDEX.get(np.dtype(_ch), -1)


# NumPy type number -> its builtin dtype (identity checks: hashing a dtype for a dict
# lookup costs more than a whole small allocation).
cdef PyObject *_CANON[64]
cdef PyTypeObject *_DESCR_TYPE = <PyTypeObject *>np.dtype
cdef list _CANON_KEEP = []
for _i in range(64):
    _CANON[_i] = NULL
for _ch in np.typecodes["AllInteger"] + np.typecodes["AllFloat"] + "?":
    # the numeric builtins only (never object or structured dtypes: callers skip the
    # object check for these); by type character, as equal dtypes collapse as dict keys
    # (int64 'l' and long long 'q')
    _c = np.dtype(_ch)
    _CANON_KEEP.append(_c)
    _CANON[_c.num] = <PyObject *>_c


# Buffer formats of the canonical dtypes, by type number.
cdef list _NUM_FORMAT = [None] * 64
for _ch in np.typecodes["AllInteger"] + np.typecodes["AllFloat"] + "?":
    _NUM_FORMAT[np.dtype(_ch).num] = memoryview(np.empty(0, np.dtype(_ch))).format.encode()


cdef int canonical_info(object dtype, int *t, PyObject **fmt) noexcept:
    """For a canonical dtype (see canonical_num): its type number, kernel type in *t and
    buffer format in *fmt, in one call; -1 (nothing set) for any other dtype."""
    cdef int num = canonical_num(dtype)
    if num >= 0:
        t[0] = _NUM_TO_T[num]
        fmt[0] = <PyObject *>_NUM_FORMAT[num]
    return num


cdef int canonical_num(object dtype) noexcept:
    """dtype's type number when dtype is that number's builtin dtype object, else -1."""
    cdef int num
    # every builtin dtype's class derives from np.dtype directly: one pointer comparison
    # before the general subtype check (PyType_IsSubtype's walk of the MRO: ~4 % of a
    # small array's creation)
    if Py_TYPE(dtype).tp_base != _DESCR_TYPE and not cnp.PyArray_DescrCheck(dtype):
        return -1
    num = (<cnp.dtype>dtype).type_num
    if 0 <= num < 64 and _CANON[num] == <PyObject *>dtype:
        return num
    return -1


cdef int type_index(object dtype):
    cdef int num = canonical_num(dtype)
    if num >= 0:
        return _NUM_TO_T[num]
    cdef object r = _INDEX.get(dtype)
    return -1 if r is None else <int>r


cdef object type_dtype(int t):
    return <object>_DTYPE[t]


cdef bytes type_format(int t):
    return <bytes>_FORMAT[t]


cdef int numpy_kernel_type(cnp.ndarray n) noexcept:
    cdef int num = cnp.PyArray_TYPE(n)
    if num < 0 or num >= 64 or not cnp.PyArray_ISNOTSWAPPED(n) or not cnp.PyArray_ISALIGNED(n):
        return -1
    return _NUM_TO_T[num]



def kernel_type(x):
    """Kernel type index of a numpy array's elements or of a dtype (-1: NumPy's loops),
    as the element-wise paths see it."""
    if isinstance(x, np.ndarray):
        return numpy_kernel_type(x)
    return type_index(np.dtype(x))


cdef dict _DTYPES = {}


cdef object as_dtype(object dtype):
    """np.dtype(dtype), remembered for hashable arguments (a type, a string, a dtype:
    0.1-0.2 us a call otherwise); the canonical instance, so `is` compares."""
    try:
        return _DTYPES[dtype]
    except KeyError:
        d = np.dtype(dtype)
        if d.isnative and len(_DTYPES) < 256:
            d = type_dtype(type_index(d)) if type_index(d) >= 0 else d
            _DTYPES[dtype] = d
        return d
    except TypeError:                        # unhashable
        return np.dtype(dtype)
