# cython: language_level=3, boundscheck=False, wraparound=False
"""CPU feature detection and thread control (built with the target's baseline flags).

This module must import on every CPU of its architecture: it is what decides which per-ISA
kernel build the CPU can run, before that build is imported.
"""
cimport openmp

cdef extern from "dc_cpu.h" nogil:
    const char *DC_ARCH_NAME
    int dc_cpu_n_features()
    const char *dc_cpu_feature_name(int i)
    int dc_cpu_has_feature(int i)
    int dc_cpu_supports_build(const char *build)
    int dc_cpu_n_builds()
    const char *dc_cpu_build_name(int i)

ARCH = DC_ARCH_NAME.decode()

# The per-ISA kernel builds of this architecture, lowest first (_opspec.KERNEL_BUILDS).
BUILDS = tuple([dc_cpu_build_name(i).decode() for i in range(dc_cpu_n_builds())])


def cpu_features():
    """Dict feature name -> bool for this CPU (and OS support of its register state)."""
    return {dc_cpu_feature_name(i).decode(): bool(dc_cpu_has_feature(i))
            for i in range(dc_cpu_n_features())}


def cpu_supports_build(str build):
    """True when the CPU can execute every instruction of the named kernel build."""
    if build not in BUILDS:
        return False
    return bool(dc_cpu_supports_build(build.encode()))


# ----------------------------------------------------------------------------- threads

cdef int _num_threads = 1


# Set in the child of a fork(). GNU OpenMP cannot run a parallel region in a forked child
# from a thread whose team existed in the parent (the team's threads were not copied and
# the child waits for them forever), so kernels there run on the calling thread only.
cdef int _forked_child = 0

cdef extern from "<pthread.h>" nogil:
    int pthread_atfork(void (*prepare)() noexcept nogil, void (*parent)() noexcept nogil,
                       void (*child)() noexcept nogil)

cdef void _after_fork_in_child() noexcept nogil:
    global _forked_child
    _forked_child = 1

pthread_atfork(NULL, NULL, _after_fork_in_child)


cdef int effective_num_threads() noexcept nogil:
    if _forked_child:
        return 1
    cdef int limit = openmp.omp_get_max_threads()
    return _num_threads if _num_threads < limit else limit


def set_num_threads(n):
    """Set the number of threads kernels may use; return the previous value.

    Also sets the OpenMP runtime's value in the calling thread, so threadpoolctl sees the
    OpenMP pool with this size (and can lower it: a threadpoolctl limit is honoured).
    """
    global _num_threads
    cdef int old = _num_threads
    if isinstance(n, bool) or not hasattr(n, "__index__"):
        raise TypeError(f"number of threads must be an integer, not {type(n).__name__}")
    n = n.__index__()
    if n < 1:
        raise ValueError(f"number of threads must be >= 1, got {n}")
    if n > 4096:
        raise ValueError(f"number of threads must be <= 4096, got {n}")
    _num_threads = n
    openmp.omp_set_num_threads(n)
    return old


def get_num_threads():
    """The number of threads kernels use now (threadpoolctl limits included)."""
    return effective_num_threads()


def openmp_max_threads():
    return openmp.omp_get_max_threads()
