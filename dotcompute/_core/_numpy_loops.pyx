# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""NumPy's loops for the expensive ops (see _numpy_loops.pxd).

For transcendentals NumPy may have a faster single-thread loop than ours on some CPUs
(e.g. its AVX-512 SVML routines). For those (op, dtype) we can run NumPy's own inner loop
-- taken from the ufunc object, called without the GIL -- across our threads. The first
call of each (op, dtype) times both loops on one thread over a private buffer of typical
inputs and keeps the faster for the rest of the process. Only in the default build (a forced
DOTCOMPUTE_CPU_CAPABILITY exercises our kernels) and unless DOTCOMPUTE_NUMPY_LOOPS=0.
"""
import os

from cpython.pycapsule cimport PyCapsule_GetPointer
from libc.string cimport memset
from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC

cimport numpy as cnp

from dotcompute._core._kernel_table cimport dc_kernel_table, dc_npy_loop
from dotcompute._core._dtypes cimport DC_T_F4, DC_T_F8, DC_NTYPES, type_dtype
from dotcompute._core._kernel_access cimport (kernel_table, threads_for, NOGIL_MIN,
                                              dc_fpe_test, dc_fpe_clear, dc_fpe_raise)

import numpy as np

from dotcompute._core._opspec import BINARY, UNARY, BINARY_INDEX, UNARY_INDEX, EXPENSIVE

cnp.import_array()

cdef dc_kernel_table *K = kernel_table()

DEF MAXOPS = 64
if len(BINARY) > MAXOPS or len(UNARY) > MAXOPS:
    raise ImportError("dotcompute: more operations than _numpy_loops.MAXOPS")
cdef dc_npy_loop _npy_loop[2][MAXOPS][DC_NTYPES]     # [LOOP_UNARY]: unary ops, [LOOP_BINARY]
cdef void *_npy_ctx[2][MAXOPS][DC_NTYPES]
cdef void *_npy_aux[2][MAXOPS][DC_NTYPES]
cdef signed char _choice[2][MAXOPS][DC_NTYPES]      # 0 undecided, 1 ours, 2 NumPy's
memset(_npy_loop, 0, sizeof(_npy_loop))
memset(_choice, 0, sizeof(_choice))
cdef bint _borrow = (not os.environ.get("DOTCOMPUTE_CPU_CAPABILITY", "").strip()
                     and os.environ.get("DOTCOMPUTE_NUMPY_LOOPS", "1") != "0")
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
        if op[3] != EXPENSIVE:
            continue
        uf = getattr(np, op[0])
        for t in (DC_T_F4, DC_T_F8):
            dt = type_dtype(t)
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
    _load_numpy_loops(LOOP_UNARY, UNARY)
    _load_numpy_loops(LOOP_BINARY, BINARY)


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
    cdef Py_ssize_t size = 4 if t == DC_T_F4 else 8
    cdef Py_ssize_t steps[3]
    cdef char *args[3]
    cdef double best_ours = 1e30, best_np = 1e30, t0, dt
    cdef int rep, j
    for j in range(2):
        for i in range(CAL_N):
            if t == DC_T_F4:
                (<float *>_cal_buf[j])[i] = <float>(0.1 + 1.9 * i / CAL_N)
            else:
                _cal_buf[j][i] = 0.1 + 1.9 * i / CAL_N
    args[0] = <char *>_cal_buf[0]
    args[1] = <char *>_cal_buf[1] if kind == LOOP_BINARY else <char *>_cal_buf[2]
    args[2] = <char *>_cal_buf[2]
    steps[0] = steps[1] = steps[2] = size
    for rep in range(3):
        t0 = _now()
        if kind == LOOP_UNARY:
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


cdef bint run_numpy_loop(int kind, int op, int t, char **args, Py_ssize_t *steps,
                          Py_ssize_t n, int threshold):
    """Run NumPy's loop for (op, t) when it is the faster one here; False to use ours.
    The first call of each (op, t) decides, on a private buffer of typical inputs."""
    cdef signed char c = _choice[kind][op][t]
    cdef int nt, saved
    if c == 1 or _npy_loop[kind][op][t] == NULL:
        return False
    if c == 0:
        with nogil:
            saved = dc_fpe_test()     # the calibration inputs' flags are not this call's
            c = <signed char>_calibrate(kind, op, t)
            dc_fpe_clear()
            dc_fpe_raise(saved)
        _choice[kind][op][t] = c
        if c == 1:
            return False
    nt = threads_for(n, threshold)
    if n < NOGIL_MIN:
        K.run_npy(_npy_loop[kind][op][t], _npy_ctx[kind][op][t], _npy_aux[kind][op][t],
                  kind + 1, threshold, args, steps, n, nt)
        return True
    with nogil:
        K.run_npy(_npy_loop[kind][op][t], _npy_ctx[kind][op][t], _npy_aux[kind][op][t],
                  kind + 1, threshold, args, steps, n, nt)
    return True


cdef bint borrowing() noexcept:
    return _borrow


def _borrow_enabled():
    return _borrow


def set_loop_choice(str name, str char, str who):
    """Fix whose loop runs ufunc `name` at dtype `char` ("numpy", "dotcompute", or
    "auto" to calibrate again). For tests and measurements."""
    cdef int kind, t
    t = DC_T_F4 if char == "f" else DC_T_F8
    for kind, index in ((LOOP_UNARY, UNARY_INDEX), (LOOP_BINARY, BINARY_INDEX)):
        if name in index:
            if who == "numpy" and _npy_loop[kind][index[name]][t] == NULL:
                raise ValueError(f"no NumPy loop borrowed for {name}[{char}]")
            _choice[kind][index[name]][t] = {"auto": 0, "dotcompute": 1, "numpy": 2}[who]
            return
    raise KeyError(name)


def numpy_loop_choices():
    """{(ufunc name, dtype char): "dotcompute" | "numpy"} decided so far in this process."""
    cdef int kind, t, idx
    out = {}
    for kind, ops in ((LOOP_UNARY, UNARY), (LOOP_BINARY, BINARY)):
        for idx, op in enumerate(ops):
            for t in (DC_T_F4, DC_T_F8):
                c = _choice[kind][idx][t]
                if c:
                    out[(op[0], type_dtype(t).char)] = "numpy" if c == 2 else "dotcompute"
    return out


cdef bint numpy_loop_of(object ufunc, tuple dtypes, dc_npy_loop *loop, void **ctx,
                        void **aux):
    cdef _CallInfo *info
    try:
        resolved, capsule = ufunc._resolve_dtypes_and_context(dtypes)
        if tuple(resolved) != dtypes:
            return False
        ufunc._get_strided_loop(capsule)
        info = <_CallInfo *>PyCapsule_GetPointer(capsule, b"numpy_1.24_ufunc_call_info")
    except Exception:
        return False
    if info.strided_loop == NULL or info.requires_pyapi:
        return False
    _npy_capsules.append(capsule)
    loop[0] = info.strided_loop
    ctx[0] = info.context
    aux[0] = info.auxdata
    return True
