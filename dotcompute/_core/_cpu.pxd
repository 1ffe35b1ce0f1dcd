# C-level entry points of dotcompute._core._cpu for the other Cython modules.

# Threads a kernel may use now: the library setting, lowered by a threadpoolctl limit
# (omp_set_num_threads in the calling thread) when one is active.
cdef int effective_num_threads() noexcept nogil
