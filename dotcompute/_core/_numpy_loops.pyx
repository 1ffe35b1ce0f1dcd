# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""NumPy's loops for the expensive ops (see _numpy_loops.pxd).

For transcendentals NumPy may have a faster single-thread loop than ours on some CPUs
(e.g. its AVX-512 SVML routines). For those (op, dtype) we can run NumPy's own inner loop
-- taken from the ufunc object, called without the GIL -- across our threads. The first
call of each (op, dtype) times both loops on one thread over a private buffer of typical
inputs and keeps ours only where it is clearly faster (OURS_MARGIN): on a tie NumPy's loop
runs, so the one-thread path is never slower than NumPy's own. Only in the default build (a forced
DOTCOMPUTE_CPU_CAPABILITY exercises our kernels) and unless DOTCOMPUTE_NUMPY_LOOPS=0.
"""
import os

from cpython.pycapsule cimport PyCapsule_GetPointer
from libc.string cimport memset
from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC

cimport numpy as cnp

from dotcompute._core._kernel_table cimport dc_kernel_table, dc_npy_loop
from dotcompute._core._dtypes cimport DC_T_F4, DC_T_F8, DC_NTYPES, type_dtype, type_size
from dotcompute._core._threads cimport (threads_for_ew, threads_time_serial,
                                        threads_note_serial, threads_now, threads_class_cost)
from dotcompute._core._kernel_access cimport (kernel_table, NOGIL_MIN,
                                              dc_fpe_test, dc_fpe_clear, dc_fpe_raise)

import numpy as np

from dotcompute._core._opspec import (BINARY, UNARY, BINARY_INDEX, UNARY_INDEX, EXPENSIVE,
                                     SERIAL_THRESHOLD)

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
# NumPy's loops are loaded unless DOTCOMPUTE_NUMPY_LOOPS=0: for the report hooks (below)
# under every build, and to run for speed (_borrow) in the default build only.
cdef bint _load = os.environ.get("DOTCOMPUTE_NUMPY_LOOPS", "1") != "0"
cdef bint _borrow = _load and not os.environ.get("DOTCOMPUTE_CPU_CAPABILITY", "").strip()
cdef list _npy_capsules = []          # keep each loop's context and auxdata alive


# Leading fields of NumPy's `ufunc_call_info` (capsule "numpy_1.24_ufunc_call_info",
# documented with ufunc._get_strided_loop; NumPy's own tests call loops this way).
ctypedef struct _CallInfo:
    dc_npy_loop strided_loop
    void *context
    void *auxdata
    cnp.npy_bool requires_pyapi
    cnp.npy_bool no_floatingpoint_errors


# Medium-cost ops whose loop is borrowed too (the first call decides, as for the expensive
# ones): float remainder, fmod with its sign fix-ups, ran 0.6x NumPy's loop on one thread.
cdef tuple _BORROWED_MEDIUM = ("remainder", "floor_divide")


cdef void _load_numpy_loops(int kind, list ops):
    cdef _CallInfo *info
    cdef int t
    for idx, op in enumerate(ops):
        if op[3] != EXPENSIVE and op[0] not in _BORROWED_MEDIUM:
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

if _load:
    _load_numpy_loops(LOOP_UNARY, UNARY)
    _load_numpy_loops(LOOP_BINARY, BINARY)


# ------------------------------------------- NumPy's reports for dc_vmath.h's pass 2
#
# dc_vmath.h computes the rare inputs NumPy reports a flag for (its pass-2 lanes) with the
# C library function NumPy's loop calls on most machines. Where NumPy's loop is another
# (AVX-512 SVML on Intel CPUs reports no underflow for a subnormal input of expm1, log1p,
# tan, arcsin, arctan, sinh, arcsinh, arctanh), the flags differ -- and NumPy's loop picks
# its code by the strides it is given (on that CPU SVML for strides >= 0, the C library's
# function where one is negative: NumPy's own report for x[::-1] is the C library's).
# At import, each vectorized (op, dtype) runs ours and NumPy's loop on every special input,
# one element at a time, with the strides of several layouts (STEP_PATTERNS); where any
# report differs, its pass-2 lanes run NumPy's loop from then on (dc_vm_hook), on the one
# element with the strides NumPy's loop would get for the operands' layout, in every
# build. pow's rare lanes likewise (dc_vm_hook2: SVML reports divide by zero for
# power(0, -inf), pow does not). Where they agree (the AMD EPYC machines so far) nothing
# changes.
cdef extern from *:
    """
    typedef struct { void *fn; void *self; } dc_vm_hook_view;
    typedef struct { dc_npy_loop loop; void *ctx; void *aux; Py_ssize_t size; } dc_vm_npy;
    /* NumPy's loop on one element, through copies 16 bytes apart (NumPy's loop takes
       other code for operands that overlap or touch: these never do, as NumPy's
       operands in a call without overlap). */
    static void dc_vm_npy_fix(void *self, const void *x, void *y, Py_ssize_t sx,
                              Py_ssize_t sy) {
        dc_vm_npy *s = (dc_vm_npy *)self;
        double buf[6];
        char *args[2];
        Py_ssize_t n = 1, steps[2];
        memcpy(&buf[0], x, (size_t)s->size);
        args[0] = (char *)&buf[0]; args[1] = (char *)&buf[3];
        steps[0] = sx; steps[1] = sy;
        s->loop(s->ctx, args, &n, steps, s->aux);
        memcpy(y, &buf[3], (size_t)s->size);
    }
    static void dc_vm_npy_fix2(void *self, const void *a, const void *b, void *y,
                               Py_ssize_t sa, Py_ssize_t sb, Py_ssize_t sy) {
        dc_vm_npy *s = (dc_vm_npy *)self;
        double buf[9];
        char *args[3];
        Py_ssize_t n = 1, steps[3];
        memcpy(&buf[0], a, (size_t)s->size);
        memcpy(&buf[3], b, (size_t)s->size);
        args[0] = (char *)&buf[0]; args[1] = (char *)&buf[3]; args[2] = (char *)&buf[6];
        steps[0] = sa; steps[1] = sb; steps[2] = sy;
        s->loop(s->ctx, args, &n, steps, s->aux);
        memcpy(y, &buf[6], (size_t)s->size);
    }
    """
    ctypedef struct dc_vm_hook_view:
        void *fn
        void *self
    ctypedef struct dc_vm_npy:
        dc_npy_loop loop
        void *ctx
        void *aux
        Py_ssize_t size
    void dc_vm_npy_fix(void *self, const void *x, void *y, Py_ssize_t sx,
                       Py_ssize_t sy) noexcept nogil
    void dc_vm_npy_fix2(void *self, const void *a, const void *b, void *y, Py_ssize_t sa,
                        Py_ssize_t sb, Py_ssize_t sy) noexcept nogil

cdef dc_vm_npy _vm_npy[2][MAXOPS][DC_NTYPES]
cdef list _vm_hooked = []

# Strides (in elements) NumPy's loop may get, for the probe: contiguous, strided, a
# reversed input, a reversed output, a broadcast operand; the output's last. (None are
# all negative: NumPy's iterator negates those.)
STEP_PATTERNS = ((1, 1), (3, 1), (-1, 1), (1, -1), (0, 1))
STEP_PATTERNS2 = ((1, 1, 1), (3, 1, 1), (-1, 1, 1), (1, 1, -1), (1, 0, 1), (0, 1, 1))
# binary ops (power): every pair of the first PAIR_VALUES special inputs (zeros, ones,
# infinities, NaN, the extremes, subnormals, +-1000, +-1e-30: each of pow's flags)
DEF PAIR_VALUES = 24


def _special_inputs(dt):
    """0, -0, +-1, +-inf, nan, the extremes, subnormals and the overflow/underflow and
    domain thresholds of the transcendentals, in dtype dt."""
    fi = np.finfo(dt)
    vals = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, np.inf, -np.inf, np.nan,
            float(fi.max), -float(fi.max), float(fi.smallest_subnormal),
            -float(fi.smallest_subnormal), float(fi.smallest_normal),
            -float(fi.smallest_normal), 1000.0, -1000.0, 100.0, -100.0, 1e-30, -1e-30]
    if dt == np.float64:
        vals += [1e-310, -1e-310, 800.0, -800.0, 710.0, -746.0, 1025.0, -1080.0, 1e300,
                 1e-300, 2.0 ** 30 + 0.5, 1e-20]
    else:
        vals += [1e-40, -1e-40, 1e-20, 89.0, -104.0, 3e38, 2.0 ** 21 + 1.0, -1e-20]
    with np.errstate(all="ignore"):
        return np.array(vals, dtype=dt)


cdef bint _reports_differ(int kind, int op, int t, cnp.ndarray x):
    """Whether our loop and NumPy's raise other flags for some element of x (each alone;
    binary: every pair of the first PAIR_VALUES), with the same operand strides, for each
    of STEP_PATTERNS."""
    cdef Py_ssize_t size = x.itemsize, i, j, k, one = 1
    cdef Py_ssize_t steps[3]
    cdef char *args[3]
    cdef char out[16]
    cdef char *px = <char *>cnp.PyArray_DATA(x)
    cdef int ours, theirs
    cdef Py_ssize_t m = x.shape[0] if kind == LOOP_UNARY else min(x.shape[0], PAIR_VALUES)
    for pattern in (STEP_PATTERNS if kind == LOOP_UNARY else STEP_PATTERNS2):
        for k in range(len(pattern)):
            steps[k] = pattern[k] * size
        for i in range(m):
            for j in range(m if kind == LOOP_BINARY else 1):
                args[0] = px + i * size
                if kind == LOOP_UNARY:
                    args[1] = out
                    dc_fpe_clear()
                    K.unary[op][t](args[0], steps[0], out, steps[1], 1)
                else:
                    args[1] = px + j * size
                    args[2] = out
                    dc_fpe_clear()
                    K.binary[op][t](args[0], steps[0], args[1], steps[1], out, steps[2],
                                    1)
                ours = dc_fpe_test()
                dc_fpe_clear()
                _npy_loop[kind][op][t](_npy_ctx[kind][op][t], args, &one, steps,
                                       _npy_aux[kind][op][t])
                theirs = dc_fpe_test()
                if ours != theirs:
                    return True
    return False


cdef void *_hook_slot(int kind, int idx, int t) noexcept:
    if kind == LOOP_UNARY:
        return NULL if K.vm_hook_slot == NULL else K.vm_hook_slot(idx, t)
    return NULL if K.vm_hook2_slot == NULL else K.vm_hook2_slot(idx, t)


cdef bint _hook(int kind, int idx, int t, int src):
    """Pass-2 (rare) lanes of op idx at t run NumPy's loop of op src of the same kind
    (src < 0: ours again); False where op idx has no hook or op src no loaded NumPy
    loop."""
    cdef dc_vm_hook_view *slot = <dc_vm_hook_view *>_hook_slot(kind, idx, t)
    if slot == NULL or (src >= 0 and _npy_loop[kind][src][t] == NULL):
        return False
    slot.fn = NULL
    if src < 0:
        return True
    _vm_npy[kind][idx][t].loop = _npy_loop[kind][src][t]
    _vm_npy[kind][idx][t].ctx = _npy_ctx[kind][src][t]
    _vm_npy[kind][idx][t].aux = _npy_aux[kind][src][t]
    _vm_npy[kind][idx][t].size = 4 if t == DC_T_F4 else 8
    slot.self = &_vm_npy[kind][idx][t]
    slot.fn = <void *>dc_vm_npy_fix if kind == LOOP_UNARY else <void *>dc_vm_npy_fix2
    return True


cdef void _install_vm_hooks():
    cdef int idx, t, saved, kind
    specials = {t: _special_inputs(type_dtype(t)) for t in (DC_T_F4, DC_T_F8)}
    saved = dc_fpe_test()
    try:
        for kind, ops in ((LOOP_UNARY, UNARY), (LOOP_BINARY, BINARY)):
            for idx, op in enumerate(ops):
                for t in (DC_T_F4, DC_T_F8):
                    if (_hook_slot(kind, idx, t) == NULL or _npy_loop[kind][idx][t] == NULL
                            or not _reports_differ(kind, idx, t, specials[t])):
                        continue
                    if _hook(kind, idx, t, idx):
                        _vm_hooked.append((op[0], type_dtype(t).char))
    finally:
        dc_fpe_clear()
        dc_fpe_raise(saved)


def _set_vm_hook(str name, str char, object loop_of):
    """For tests: the pass-2 (rare) lanes of `name` at dtype `char` run NumPy's loop of
    ufunc `loop_of` (None: ours again, whatever the import decided). ValueError where
    there is no such hook or loop."""
    cdef int t = DC_T_F4 if char == "f" else DC_T_F8
    kind, index = (LOOP_UNARY, UNARY_INDEX) if name in UNARY_INDEX else \
        (LOOP_BINARY, BINARY_INDEX)
    src = -1 if loop_of is None else index.get(loop_of, -2)
    if name not in index or src == -2 or not _hook(kind, index[name], t, src):
        raise ValueError(f"no dc_vmath pass-2 hook for {name}[{char}] from {loop_of}")

if _load:
    _install_vm_hooks()


def vm_report_hooks():
    """[(ufunc name, dtype char)] whose rare inputs run NumPy's loop for NumPy's reports
    on this machine (see _install_vm_hooks)."""
    return list(_vm_hooked)


cdef inline double _now() noexcept nogil:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec + ts.tv_nsec * 1e-9


DEF CAL_N = 8192
cdef double _cal_buf[3][CAL_N]     # calibration inputs/output (float32 uses the front half)


DEF CAL_REPS = 7
# Ours must beat NumPy's loop by this factor to be kept. With 1.05 the other way round
# (NumPy's kept only when 5 % faster), float32 exp ran 3-4 % behind NumPy at n = 1e5 on the
# AMD EPYC VM: ties and noise went to our loop.
DEF OURS_MARGIN = 1.03


cdef void _fill_cal(int t, int bufs, Py_ssize_t n) noexcept nogil:
    """The first `bufs` calibration buffers: n typical inputs (0.1 .. 2) of type code t."""
    cdef int j
    cdef Py_ssize_t i
    for j in range(bufs):
        for i in range(n):
            if t == DC_T_F4:
                (<float *>_cal_buf[j])[i] = <float>(0.1 + 1.9 * i / n)
            else:
                _cal_buf[j][i] = 0.1 + 1.9 * i / n


cdef int _calibrate(int kind, int op, int t) noexcept nogil:
    """Time our loop and NumPy's on one thread over CAL_N typical inputs (0.1 .. 2), best of
    CAL_REPS each, interleaved; 1 (ours) or 2 (NumPy's)."""
    cdef Py_ssize_t m = CAL_N
    cdef Py_ssize_t size = 4 if t == DC_T_F4 else 8
    cdef Py_ssize_t steps[3]
    cdef char *args[3]
    cdef double best_ours = 1e30, best_np = 1e30, t0, dt
    cdef int rep, j
    _fill_cal(t, 2, CAL_N)
    args[0] = <char *>_cal_buf[0]
    args[1] = <char *>_cal_buf[1] if kind == LOOP_BINARY else <char *>_cal_buf[2]
    args[2] = <char *>_cal_buf[2]
    steps[0] = steps[1] = steps[2] = size
    for rep in range(CAL_REPS):
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
    return 1 if best_ours * OURS_MARGIN < best_np else 2


cdef bint _numpy_chosen(int kind, int op, int t) noexcept:
    """Whether NumPy's loop for (kind, op, t) is the faster one here (the first call of each
    decides, on a private buffer of typical inputs)."""
    cdef signed char c = _choice[kind][op][t]
    cdef int saved
    if c == 1 or not _borrow or _npy_loop[kind][op][t] == NULL:
        return False
    if c == 0:
        with nogil:
            saved = dc_fpe_test()     # the calibration inputs' flags are not this call's
            c = <signed char>_calibrate(kind, op, t)
            dc_fpe_clear()
            dc_fpe_raise(saved)
        _choice[kind][op][t] = c
    return c == 2


cdef bint numpy_loop_chosen(int kind, int op, int t, dc_npy_loop *loop, void **ctx,
                            void **aux) noexcept:
    """NumPy's loop for (kind, op, t) (loop, ctx, aux) when it is the faster one here, as
    run_numpy_loop decides; False to run ours."""
    if not _numpy_chosen(kind, op, t):
        return False
    loop[0] = _npy_loop[kind][op][t]
    ctx[0] = _npy_ctx[kind][op][t]
    aux[0] = _npy_aux[kind][op][t]
    return True


cdef bint run_numpy_loop(int kind, int op, int t, char **args, Py_ssize_t *steps,
                          Py_ssize_t n, int threshold):
    """Run NumPy's loop for (op, t) when it is the faster one here; False to use ours.
    The first call of each (op, t) decides, on a private buffer of typical inputs."""
    cdef int nt, isz
    cdef bint timed
    cdef double t0
    if not _numpy_chosen(kind, op, t):
        return False
    isz = <int>(steps[kind + 1] if steps[kind + 1] > 0 else -steps[kind + 1])
    nt = threads_for_ew(n, threshold, isz)
    if n < NOGIL_MIN:
        K.run_npy(_npy_loop[kind][op][t], _npy_ctx[kind][op][t], _npy_aux[kind][op][t],
                  kind + 1, threshold, args, steps, n, nt)
        return True
    timed = nt == 1 and threads_time_serial(n, threshold, isz)
    with nogil:
        t0 = threads_now() if timed else 0
        K.run_npy(_npy_loop[kind][op][t], _npy_ctx[kind][op][t], _npy_aux[kind][op][t],
                  kind + 1, threshold, args, steps, n, nt)
        if timed:
            threads_note_serial(n, threshold, isz, threads_now() - t0)
    return True


cdef bint numpy_loop_one(int kind, int op, int t, char **args, Py_ssize_t *steps) noexcept:
    """Run NumPy's loop for (kind, op, t) on one element (args: the inputs, then the
    output; steps as NumPy's ufunc gives a scalar call: 0) -- NumPy's bits and flags for
    a scalar without its ufunc machinery, in every build (the loops are NumPy's, loaded
    unless DOTCOMPUTE_NUMPY_LOOPS=0). False when no loop is loaded for it."""
    cdef Py_ssize_t n = 1
    if not _load or _npy_loop[kind][op][t] == NULL:
        return False
    _npy_loop[kind][op][t](_npy_ctx[kind][op][t], args, &n, steps, _npy_aux[kind][op][t])
    return True


cdef bint borrowing() noexcept:
    return _borrow


# ------------------------------------------------ ufuncs we have no kernel for
#
# fmod, logaddexp, degrees, heaviside, nextafter, ... on float32/float64 operands: NumPy's
# own strided loop, taken once per (ufunc, dtype) from the ufunc object, run here into a
# result from the pool -- without NumPy's ufunc machinery (dispatch, type resolution,
# wrapping: ~0.2 us a call on top of NumPy's ~0.55 us at 32 elements when the call went
# through NumPy) and on our threads when the policy finds it pays, weighing each call by
# the loop's cost measured at its first call (numpy_loop_cost). The values are
# NumPy's loop's; in every build (there is no kernel of ours to exercise).
DEF MAXGENERIC = 64
cdef dc_npy_loop _gen_loop[MAXGENERIC]
cdef void *_gen_ctx[MAXGENERIC]
cdef void *_gen_aux[MAXGENERIC]
cdef double _gen_cost[MAXGENERIC]       # its seconds an element (one thread, in cache)
cdef int _n_gen = 0
cdef dict _gen_slot = {}                # (ufunc, type code) -> slot, -1: none to call
cdef int _gen_threshold = SERIAL_THRESHOLD[EXPENSIVE]


DEF GEN_CAL_N = 1024
DEF GEN_CAL_REPS = 3


cdef double numpy_loop_cost(dc_npy_loop loop, void *ctx, void *aux, int nin, bint single,
                            Py_ssize_t in_size, Py_ssize_t out_size) noexcept:
    """Seconds an element of NumPy's strided loop takes on one thread, over GEN_CAL_N
    inputs of in_size bytes whose float parts (float32 when single) run 0.1 .. 2 (the
    fastest of GEN_CAL_REPS runs; ~50 us once for the slowest loops): the thread policy
    weighs its calls by it (NumPy's logaddexp takes ~16 ns an element, 80x our cheapest
    expensive-class probe; counted as that class, a call of 1e5 elements looked too short
    to wake the workers; its complex abs, hypot, ~1.7 ns, counted as a cheap element
    stayed serial below ~170000)."""
    cdef char *args[3]
    cdef Py_ssize_t steps[3]
    cdef Py_ssize_t m = GEN_CAL_N
    cdef int j, rep, saved
    cdef double best = 1e30, t0, dt
    _fill_cal(DC_T_F4 if single else DC_T_F8, nin,
              GEN_CAL_N * in_size // (4 if single else 8))
    for j in range(nin):
        args[j] = <char *>_cal_buf[j]
        steps[j] = in_size
    args[nin] = <char *>_cal_buf[2]
    steps[nin] = out_size
    saved = dc_fpe_test()             # the calibration inputs' flags are not the call's
    for rep in range(GEN_CAL_REPS):
        t0 = _now()
        loop(ctx, args, &m, steps, aux)
        dt = _now() - t0
        if dt < best:
            best = dt
    dc_fpe_clear()
    dc_fpe_raise(saved)
    return best / GEN_CAL_N if best > 0 else 1e-12


cdef int generic_slot(object ufunc, int nin, int t):
    """The slot of NumPy's loop of `ufunc` at type code t (every operand), loaded at the
    first call; -1 when NumPy has none without the Python API."""
    global _n_gen
    cdef object key = (ufunc, t)
    cdef object slot = _gen_slot.get(key)
    cdef tuple dtypes
    if slot is not None:
        return <int>slot
    slot = -1
    if (_load and _n_gen < MAXGENERIC and type(ufunc) is np.ufunc and ufunc.nin == nin
            and ufunc.nout == 1 and ufunc.signature is None and (t == DC_T_F4 or t == DC_T_F8)):
        dtypes = (type_dtype(t),) * (nin + 1)
        if numpy_loop_of(ufunc, dtypes, &_gen_loop[_n_gen], &_gen_ctx[_n_gen],
                         &_gen_aux[_n_gen]):
            slot = _n_gen
            _gen_cost[_n_gen] = numpy_loop_cost(_gen_loop[_n_gen], _gen_ctx[_n_gen],
                                                _gen_aux[_n_gen], nin, t == DC_T_F4,
                                                type_size(t), type_size(t))
            _n_gen += 1
    _gen_slot[key] = slot
    return <int>slot


cdef void run_generic_loop(int slot, int nin, char **args, Py_ssize_t *steps,
                           Py_ssize_t n):
    """The loop of `slot` (generic_slot) over n elements: nin inputs at strides `steps` (0
    for a scalar), the output contiguous."""
    cdef int nt, isz
    cdef double unit = threads_class_cost(_gen_threshold)
    cdef Py_ssize_t weighed = n
    isz = <int>(steps[nin] if steps[nin] > 0 else -steps[nin])
    if unit > 0 and _gen_cost[slot] > unit:
        weighed = <Py_ssize_t>(n * (_gen_cost[slot] / unit))
    nt = threads_for_ew(weighed, _gen_threshold, isz)
    if n < NOGIL_MIN:
        K.run_npy(_gen_loop[slot], _gen_ctx[slot], _gen_aux[slot], nin, _gen_threshold, args,
                  steps, n, nt)
        return
    with nogil:
        K.run_npy(_gen_loop[slot], _gen_ctx[slot], _gen_aux[slot], nin, _gen_threshold, args,
                  steps, n, nt)


cdef int generic_body(int slot, dc_npy_loop *loop, void **ctx, void **aux,
                      double *weight) noexcept:
    """The loop of `slot` for an N-d walk (BODY_NPY): loop, ctx, aux, and its weight (the
    elements of its threshold's class one of its elements costs, as run_generic_loop
    weighs a call); returns that threshold."""
    cdef double unit = threads_class_cost(_gen_threshold)
    loop[0] = _gen_loop[slot]
    ctx[0] = _gen_ctx[slot]
    aux[0] = _gen_aux[slot]
    weight[0] = _gen_cost[slot] / unit if unit > 0 and _gen_cost[slot] > unit else 1.0
    return _gen_threshold


def generic_enabled():
    """Whether NumPy's loops of ufuncs we have no kernel for are called directly
    (DOTCOMPUTE_NUMPY_LOOPS != 0)."""
    return _load


def generic_loops():
    """{(ufunc name, dtype char): True when NumPy's loop is called directly} seen so far."""
    return {(u.__name__, type_dtype(t).char): slot >= 0 for (u, t), slot in _gen_slot.items()}


def _borrow_enabled():
    return _borrow


def set_loop_choice(str name, str char, str who):
    """Fix whose loop runs ufunc `name` at dtype `char` ("numpy", "dotcompute", or
    "auto" to calibrate again). For tests and measurements."""
    cdef int kind, t
    t = DC_T_F4 if char == "f" else DC_T_F8
    for kind, index in ((LOOP_UNARY, UNARY_INDEX), (LOOP_BINARY, BINARY_INDEX)):
        if name in index:
            if who == "numpy" and (not _borrow or _npy_loop[kind][index[name]][t] == NULL):
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
