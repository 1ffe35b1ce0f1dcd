# C-level entry points of dotcompute._core._threads (the thread policy) for the kernel
# drivers, the array layer and the fused evaluator.

# Threads (= chunks) for a call over n elements whose kernel-table serial threshold is
# `threshold` (a cost-class hint: opspec.SERIAL_THRESHOLD), never more than `cap`.
cdef int chunks_for(Py_ssize_t n, int threshold, int cap) noexcept nogil
# The same with the library's thread count (set_num_threads, threadpoolctl) as the cap.
cdef int threads_for(Py_ssize_t n, int threshold) noexcept nogil
# Both for a call on elements of `itemsize` bytes (8 or more: scaled by the measured cost
# ratio of 8-byte to 4-byte elements of the threshold's class).
cdef int chunks_for_size(Py_ssize_t n, int threshold, int cap, int itemsize) noexcept nogil
cdef int threads_for_size(Py_ssize_t n, int threshold, int itemsize) noexcept nogil
# threads_for_size for an element-wise call (unary, binary, fused, N-d walk): n also weighed
# by what serial calls of its cost class and operand size were seen to cost beyond the
# cache-resident model. Their drivers time a serial call when threads_time_serial says so
# and report it to threads_note_serial.
cdef int threads_for_ew(Py_ssize_t n, int threshold, int itemsize) noexcept nogil
# The measured per-element cost (s) of the cost class a threshold names (0: not yet measured).
cdef double threads_class_cost(int threshold) noexcept nogil
cdef bint threads_time_serial(Py_ssize_t n, int threshold, int itemsize) noexcept nogil
cdef void threads_note_serial(Py_ssize_t n, int threshold, int itemsize,
                              double seconds) noexcept nogil
# The same for reductions and dot products (n as their drivers weigh it), in a row of
# their own.
cdef int threads_for_red(Py_ssize_t n, int threshold, int itemsize) noexcept nogil
cdef void threads_note_serial_red(Py_ssize_t n, int threshold, int itemsize,
                                  double seconds) noexcept nogil
# Monotonic clock in seconds (the stamps below).
cdef double threads_now() noexcept nogil
# After a parallel region of k chunks entered at t0 and left at t1: stamps[2c], stamps[2c+1]
# are when chunk c started and ended. Feeds the slow-region guard.
cdef void threads_observe(int k, double t0, double t1, const double *stamps) noexcept nogil
# Representative kernels whose per-element cost is measured at calibration: cls is the
# opspec cost class, kind 0 unary (dc_unary_fn), 1 binary (dc_binary_fn), itemsize 4 or 8.
cdef void threads_add_probe(int cls, int kind, void *fn, int itemsize) noexcept
# Threads other processes leave this one (its own other threads, e.g. NumPy's OpenBLAS
# pool, not counted): for choosing NumPy's BLAS, whose pool those threads are.
cdef int threads_left_by_processes() noexcept nogil
# Threads left by everything else: other processes and this process's threads other than
# the compute threads (NumPy's OpenBLAS pool spinning after its calls counts).
cdef int threads_left() noexcept nogil
