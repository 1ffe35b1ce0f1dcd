# cython: language_level=3
"""C-level interface of dotcompute._core._memory for other Cython modules.

Fast path for the array layer::

    from dotcompute._core._memory cimport DeviceMemory, dc_malloc

    cdef DeviceMemory mem = dc_malloc(nbytes)   # default pool; raises OutOfMemoryError
    cdef char* data = mem.ptr_                  # valid while `mem` is alive
    # keep `mem` referenced from the array object; the block returns to the pool when the
    # last reference (and the last view / buffer export) is gone.

``ptr_`` is aligned to the pool's alignment (64 bytes for the default pool; in fact to at
least 512 bytes for owners).  ``nbytes_`` is the size asked for; the block may be larger.
"""

from libc.stdint cimport int64_t


cdef extern from "dc_pool.h" nogil:
    ctypedef struct dc_pool:
        pass

    ctypedef struct dc_chunk:
        char* ptr
        size_t size
        size_t requested


cdef class MemoryPool:
    cdef dc_pool* pool_
    cdef readonly size_t alignment
    cdef void* np_handler_      # PyDataMem_Handler for use_for_numpy, allocated lazily
    # Failure episode (see _malloc_retry): gc.collect() already ran for a failed request of
    # gc_episode_size_ bytes; 0 when no episode is open.
    cdef size_t gc_episode_size_


cdef class DeviceMemory:
    cdef char* ptr_              # first byte of this block or view
    cdef size_t nbytes_          # bytes visible through this object
    cdef dc_chunk* chunk_        # the pooled block if this object owns it, else NULL
    cdef MemoryPool pool_        # pool the block belongs to (kept alive by every owner)
    cdef DeviceMemory base_      # owner of the block for views, None for owners
    cdef Py_ssize_t shape_[1]    # storage for buffer exports
    cdef Py_ssize_t strides_[1]


# Allocate nbytes from the default pool (raises OutOfMemoryError / MemoryError).
cdef DeviceMemory dc_malloc(size_t nbytes)
# nbytes reading as zero from the default pool (fresh or dropped pages for large blocks:
# zero-filled at first touch, as calloc's).
cdef DeviceMemory dc_calloc(size_t nbytes)
# As dc_calloc, but a block whose pages are in memory is handed out uncleared with
# dirty[0] = 1: the caller clears its nbytes (on several threads); 0 when it reads as zero.
cdef DeviceMemory dc_calloc_by_caller(size_t nbytes, int* dirty)
# Allocate nbytes from a given pool (zeroed: as dc_calloc; with zeroed and a `dirty` flag:
# as dc_calloc_by_caller).
cdef DeviceMemory pool_malloc(MemoryPool pool, size_t nbytes, bint zeroed=*, int* dirty=*)


# The default pool as NumPy's allocator (returns the handler replaced), and back: the
# array layer's calls of NumPy code on large inputs, strictly nested (PoolScope is the
# `with` form).
cdef object pool_for_numpy()
cdef void numpy_allocator_back(object prev) except *
