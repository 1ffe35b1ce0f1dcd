# cython: language_level=3
"""NumPy's own inner loops for the expensive ufuncs, where they beat ours on this CPU."""

from dotcompute._core._kernel_table cimport dc_npy_loop

cdef enum LoopKind:
    LOOP_UNARY = 0
    LOOP_BINARY = 1

# True when loops are borrowed in this process (default build, DOTCOMPUTE_NUMPY_LOOPS!=0).
cdef bint borrowing() noexcept

# Run NumPy's loop for (kind, op, t) over n contiguous elements when it is the faster one
# here (the first call of each (op, t) decides); False to run ours.
cdef bint run_numpy_loop(int kind, int op, int t, char **args, Py_ssize_t *steps,
                         Py_ssize_t n, int threshold)

# NumPy's loop for (kind, op, t) when it is the faster one here (decided as by
# run_numpy_loop): for the N-d walk (BODY_NPY); False to run ours.
cdef bint numpy_loop_chosen(int kind, int op, int t, dc_npy_loop *loop, void **ctx,
                            void **aux) noexcept

# NumPy's loop for (kind, op, t) on one scalar element (strides as NumPy's own scalar call);
# False when none is loaded.
cdef bint numpy_loop_one(int kind, int op, int t, char **args, Py_ssize_t *steps) noexcept

# NumPy's strided loop for ufunc at exactly `dtypes` (inputs then outputs), kept alive for
# the process; False when NumPy has none without the Python API (or the private API moved).
cdef bint numpy_loop_of(object ufunc, tuple dtypes, dc_npy_loop *loop, void **ctx,
                        void **aux)

# NumPy's loop of a float ufunc we have no kernel for (nin inputs and the output all of type
# code t): its slot, loaded at the first call, or -1 when NumPy has none to call (then
# NumPy's ufunc path runs); run_generic_loop runs it on our threads (strides: 0 for a
# scalar input, the output contiguous).
cdef int generic_slot(object ufunc, int nin, int t)
cdef void run_generic_loop(int slot, int nin, char **args, Py_ssize_t *steps, Py_ssize_t n)
# The loop of `slot` for an N-d walk: loop, ctx, aux and its weight for nd_run; returns
# the threshold to run it with.
cdef int generic_body(int slot, dc_npy_loop *loop, void **ctx, void **aux,
                      double *weight) noexcept

# Seconds an element of NumPy's strided loop takes on one thread (typical float inputs of
# in_size bytes, float32 parts when single), measured once by the caller to weigh its calls.
cdef double numpy_loop_cost(dc_npy_loop loop, void *ctx, void *aux, int nin, bint single,
                            Py_ssize_t in_size, Py_ssize_t out_size) noexcept
