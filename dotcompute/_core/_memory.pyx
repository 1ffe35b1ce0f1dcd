# cython: language_level=3, embedsignature=True
"""Pooled host memory for dotcompute.

* ``MemoryPool`` / ``get_default_memory_pool()``: a caching allocator (see ``src/dc_pool.h``)
  with CuPy's method names.  Freed blocks stay mapped and touched and are reused best-fit.
* ``DeviceMemory``: owner (or slice view) of one pooled block; exports a writable byte buffer.
* ``memory_stats`` / ``memory_summary`` / ``pool_info``: statistics in PyTorch's conventions.
* ``use_for_numpy()``: route NumPy's own array data through the pool (NEP 49 handler).
"""

cimport cython
from cpython.buffer cimport PyBUF_FORMAT, PyBUF_ND, PyBUF_STRIDES, PyBUF_WRITABLE
from cpython.pycapsule cimport (PyCapsule_New, PyCapsule_GetContext, PyCapsule_SetContext,
                                PyCapsule_GetPointer, PyCapsule_IsValid)
from cpython.ref cimport Py_INCREF, Py_DECREF, PyObject
from libc.stdint cimport int64_t, uint8_t, uintptr_t, SIZE_MAX
from libc.stdlib cimport calloc, free
from libc.string cimport strncpy, memmove

import collections
import gc
import operator
import os
import re
import warnings


cdef extern from "dc_pool.h" nogil:
    enum:
        DC_OK
        DC_ERR_NOMEM
        DC_ERR_LIMIT
        DC_SMALL_LIMIT
        DC_N_STAT_TYPES
        DC_N_HIST
        DC_STAT_ALLOCATION
        DC_STAT_ALLOCATED_BYTES
        DC_STAT_RESERVED_BYTES
        DC_STAT_ACTIVE_BYTES
        DC_STAT_REQUESTED_BYTES
        DC_STAT_SEGMENT

    ctypedef struct dc_stat:
        int64_t current, peak, allocated, freed

    ctypedef struct dc_stats:
        dc_stat stat[6][3]
        int64_t num_alloc_retries, num_ooms, num_os_alloc, num_os_free
        int64_t pool_hits, pool_misses
        int64_t n_free_blocks
        int64_t size_hist[65]

    dc_pool* dc_pool_create(size_t alignment)
    void dc_pool_destroy(dc_pool* pool)
    int dc_pool_malloc(dc_pool* pool, size_t nbytes, dc_chunk** out)
    int dc_pool_malloc_zeroed(dc_pool* pool, size_t nbytes, dc_chunk** out)
    char* dc_chunk_data(const dc_chunk* c)
    int dc_pool_malloc_zeroed_by_caller(dc_pool* pool, size_t nbytes, dc_chunk** out,
                                        int* dirty)
    void dc_pool_free(dc_pool* pool, dc_chunk* chunk)
    void dc_pool_release_cached(dc_pool* pool)
    void* dc_pool_raw_malloc(dc_pool* pool, size_t nbytes)
    void* dc_pool_raw_calloc(dc_pool* pool, size_t nelem, size_t elsize)
    void* dc_pool_raw_realloc(dc_pool* pool, void* ptr, size_t nbytes)
    void dc_pool_raw_free(dc_pool* pool, void* ptr)
    void dc_pool_set_limit(dc_pool* pool, size_t limit)
    size_t dc_pool_get_limit(dc_pool* pool)
    size_t dc_pool_used_bytes(dc_pool* pool)
    size_t dc_pool_total_bytes(dc_pool* pool)
    size_t dc_pool_free_bytes(dc_pool* pool)
    size_t dc_pool_n_free_blocks(dc_pool* pool)
    void dc_pool_get_stats(dc_pool* pool, dc_stats* out)
    void dc_pool_reset_peak(dc_pool* pool)
    void dc_pool_reset_accumulated(dc_pool* pool)
    void dc_pool_note_retry(dc_pool* pool)
    void dc_pool_note_oom(dc_pool* pool)


# --- NumPy's data-memory handler API (NEP 49) ------------------------------------------
cdef extern from *:
    """
    #ifndef NPY_NO_DEPRECATED_API
    #define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
    #endif
    """

cdef extern from "numpy/arrayobject.h":
    ctypedef struct PyDataMemAllocator:
        void* ctx
        void* (*malloc)(void* ctx, size_t size) noexcept nogil
        void* (*calloc)(void* ctx, size_t nelem, size_t elsize) noexcept nogil
        void* (*realloc)(void* ctx, void* ptr, size_t new_size) noexcept nogil
        void (*free)(void* ctx, void* ptr, size_t size) noexcept nogil

    ctypedef struct PyDataMem_Handler:
        char name[127]
        uint8_t version
        PyDataMemAllocator allocator

    object PyDataMem_SetHandler(object handler)
    object PyDataMem_GetHandler()
    int _import_array() except -1

_import_array()

# Requests above this are refused before touching the allocator (rounding would overflow).
cdef size_t MAX_REQUEST = (<size_t>-1) >> 2


# --- errors ------------------------------------------------------------------------------

def limit_bytes(size, fraction, total):
    """The byte limit `set_limit(size=, fraction=)` asks for (0: no limit): ``size`` bytes,
    or ``fraction`` of ``total()`` bytes rounded down, where a positive fraction gives at
    least one byte (a tiny positive limit, not "unlimited"). Shared by every device's pool.
    """
    if size is not None and fraction is not None:
        raise ValueError("give size or fraction, not both")
    if fraction is not None:
        fraction = float(fraction)
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"fraction must be within [0, 1], got {fraction}")
        size = int(fraction * total())
        if size == 0 and fraction > 0:
            size = 1
    if size is None:
        size = 0
    size = operator.index(size)
    if size < 0:
        raise ValueError(f"limit must be >= 0, got {size}")
    return size


class OutOfMemoryError(MemoryError):
    """Raised when the pool cannot provide a block, after releasing cached blocks, running
    ``gc.collect()`` and retrying.  Attributes: ``size`` (bytes requested), ``total`` (bytes
    reserved by the pool when it failed) and ``limit`` (0 when there is no limit)."""

    def __init__(self, size, total, limit):
        self.size = size
        self.total = total
        self.limit = limit
        lim = f"{limit:,} bytes" if limit else "none"
        super().__init__(f"Out of memory allocating {size:,} bytes "
                         f"(reserved so far: {total:,} bytes, limit: {lim})")

    def __reduce__(self):
        return (type(self), (self.size, self.total, self.limit))


# --- release hooks -----------------------------------------------------------------------

# Callables run with a pool before it hands cached segments back to the OS (dotcompute.cuda
# unregisters the page-locked ranges it registered in that pool's segments).
_release_hooks = []


def add_release_hook(hook):
    """Run ``hook(pool)`` before ``pool`` unmaps cached segments."""
    if hook not in _release_hooks:
        _release_hooks.append(hook)


cdef _run_release_hooks(pool):
    for hook in _release_hooks:
        hook(pool)


# --- memory pool -------------------------------------------------------------------------

cdef class MemoryPool:
    """Caching allocator of aligned host memory blocks.

    ``alignment`` is a power of two up to 4096 (default 64).  Freed blocks are kept
    (mapped and touched) and reused; ``free_all_blocks()`` hands fully free segments back to
    the OS.  Method names follow ``cupy.cuda.MemoryPool``.
    """

    def __cinit__(self, alignment=64):
        alignment = operator.index(alignment)
        if alignment <= 0 or (alignment & (alignment - 1)) or alignment > 4096:
            raise ValueError(f"alignment must be a power of two <= 4096, got {alignment}")
        self.pool_ = dc_pool_create(<size_t>alignment)
        if self.pool_ == NULL:
            raise MemoryError("cannot create a memory pool")
        self.alignment = alignment
        self.np_handler_ = NULL
        self.gc_episode_size_ = 0

    def __dealloc__(self):
        # Every block and every NumPy handler capsule holds a reference to the pool, so
        # nothing is live here.
        if self.pool_ != NULL:
            dc_pool_destroy(self.pool_)
            self.pool_ = NULL
        free(self.np_handler_)

    def malloc(self, nbytes):
        """Allocate ``nbytes`` bytes; returns a ``DeviceMemory`` owning the block."""
        return pool_malloc(self, _check_size(self, nbytes))

    def free_all_blocks(self):
        """Return every fully free cached segment to the OS (live blocks are untouched;
        a segment that still holds a live block stays)."""
        _run_release_hooks(self)
        with nogil:
            dc_pool_release_cached(self.pool_)

    def used_bytes(self):
        """Bytes held by live blocks (after rounding)."""
        return dc_pool_used_bytes(self.pool_)

    def free_bytes(self):
        """Bytes reserved from the OS but not held by live blocks."""
        return dc_pool_free_bytes(self.pool_)

    def total_bytes(self):
        """Bytes reserved from the OS (used + free)."""
        return dc_pool_total_bytes(self.pool_)

    def n_free_blocks(self):
        """Number of cached free blocks."""
        return dc_pool_n_free_blocks(self.pool_)

    def set_limit(self, size=None, fraction=None):
        """Limit the bytes the pool may reserve from the OS.

        ``size`` in bytes or ``fraction`` of physical memory (rounded down to whole bytes,
        but a positive fraction never rounds to 0: it gives a limit of at least one byte,
        since 0 means no limit). ``set_limit()``, ``set_limit(size=0)`` and
        ``set_limit(fraction=0)`` remove the limit. Live blocks are never touched: a limit
        below the current use only makes later allocations fail.
        """
        size = limit_bytes(size, fraction, physical_memory)
        dc_pool_set_limit(self.pool_, min(size, <size_t>-1))

    def get_limit(self):
        """The limit in bytes (0: no limit)."""
        return dc_pool_get_limit(self.pool_)

    def __repr__(self):
        return (f"<MemoryPool alignment={self.alignment} used={self.used_bytes()} "
                f"total={self.total_bytes()} limit={self.get_limit()}>")


cdef size_t _check_size(MemoryPool pool, object nbytes) except? 0:
    if type(nbytes) is not int:
        nbytes = operator.index(nbytes)  # TypeError for floats, strings, None...
    if nbytes < 0:
        raise ValueError(f"cannot allocate a negative number of bytes ({nbytes})")
    if nbytes > MAX_REQUEST:
        dc_pool_note_oom(pool.pool_)
        raise OutOfMemoryError(nbytes, dc_pool_total_bytes(pool.pool_),
                               dc_pool_get_limit(pool.pool_))
    return <size_t>nbytes


cdef dc_chunk* _malloc_retry(MemoryPool pool, size_t nbytes, bint zeroed) except NULL:
    """Slow path of a failed allocation.

    First the pool's own cached free blocks go back to the OS and the request is retried.
    Only if that fails does ``gc.collect()`` run (unreachable cycles may hold blocks), and
    at most once per failure episode: an episode opens with that collection and closes when
    an allocation at least as large as the failed one succeeds. Within an episode later
    failures skip the collection (with millions of live objects it costs ~100 ms), so a
    failing allocation stays fast.
    """
    cdef dc_chunk* c = NULL
    cdef int rc
    _run_release_hooks(pool)   # page-locked ranges in cached segments are unregistered
    dc_pool_note_retry(pool.pool_)
    with nogil:
        dc_pool_release_cached(pool.pool_)
        rc = _pool_alloc(pool.pool_, nbytes, zeroed, &c)
    if rc != DC_OK and pool.gc_episode_size_ == 0:
        pool.gc_episode_size_ = nbytes if nbytes else 1
        gc.collect()  # may free blocks held by unreachable cycles
        _run_release_hooks(pool)
        with nogil:
            dc_pool_release_cached(pool.pool_)
            rc = _pool_alloc(pool.pool_, nbytes, zeroed, &c)
    if rc == DC_OK:
        if nbytes >= pool.gc_episode_size_:
            pool.gc_episode_size_ = 0
        return c
    if nbytes < pool.gc_episode_size_:
        pool.gc_episode_size_ = nbytes if nbytes else 1
    dc_pool_note_oom(pool.pool_)
    raise OutOfMemoryError(nbytes, dc_pool_total_bytes(pool.pool_), dc_pool_get_limit(pool.pool_))


cdef inline int _pool_alloc(dc_pool* pool, size_t nbytes, bint zeroed,
                            dc_chunk** out, int* dirty=NULL) noexcept nogil:
    if zeroed and dirty != NULL:
        return dc_pool_malloc_zeroed_by_caller(pool, nbytes, out, dirty)
    if zeroed:
        return dc_pool_malloc_zeroed(pool, nbytes, out)
    return dc_pool_malloc(pool, nbytes, out)


cdef DeviceMemory pool_malloc(MemoryPool pool, size_t nbytes, bint zeroed=False,
                              int* dirty=NULL):
    cdef DeviceMemory mem = DeviceMemory.__new__(DeviceMemory)  # before the block: no leak
    cdef dc_chunk* c = NULL
    cdef int rc
    if dirty != NULL:
        dirty[0] = 0
    if nbytes > MAX_REQUEST:
        return pool_malloc(pool, _check_size(pool, nbytes))  # raises
    if nbytes < DC_SMALL_LIMIT:
        # a small block: a cache pop or a short index search under the pool's lock, which
        # no holder keeps while waiting for the GIL (releasing the GIL costs more)
        rc = _pool_alloc(pool.pool_, nbytes, zeroed, &c, dirty)
    else:
        with nogil:       # may map a segment or drop pages
            rc = _pool_alloc(pool.pool_, nbytes, zeroed, &c, dirty)
    if rc != DC_OK:
        if dirty != NULL:
            dirty[0] = 0                       # the retry clears what it hands out
        c = _malloc_retry(pool, nbytes, zeroed)
    elif pool.gc_episode_size_ and nbytes >= pool.gc_episode_size_:
        pool.gc_episode_size_ = 0   # the pressure that opened the episode is gone
    mem.ptr_ = dc_chunk_data(c)
    mem.nbytes_ = nbytes
    mem.chunk_ = c
    mem.pool_ = pool
    return mem


cdef DeviceMemory dc_malloc(size_t nbytes):
    return pool_malloc(_default_pool, nbytes)


cdef DeviceMemory dc_calloc(size_t nbytes):
    return pool_malloc(_default_pool, nbytes, True)


cdef DeviceMemory dc_calloc_by_caller(size_t nbytes, int* dirty):
    return pool_malloc(_default_pool, nbytes, True, dirty)


# --- device memory -------------------------------------------------------------------------

@cython.final
@cython.no_gc
@cython.freelist(64)
cdef class DeviceMemory:
    """One pooled block (or a contiguous view of one), on the CPU.

    ``mem[a:b]`` is a view sharing the block; the block returns to the pool only when the
    owner, every view and every buffer export (memoryview, ``np.frombuffer``...) are gone.
    """

    def __init__(self, *args, **kwargs):
        raise TypeError("DeviceMemory objects come from MemoryPool.malloc()")

    def __dealloc__(self):
        if self.chunk_ != NULL:
            if self.chunk_.size < DC_SMALL_LIMIT:
                dc_pool_free(self.pool_.pool_, self.chunk_)     # (see pool_malloc)
            else:
                with nogil:
                    dc_pool_free(self.pool_.pool_, self.chunk_)
            self.chunk_ = NULL

    @property
    def ptr(self):
        """Address of the first byte."""
        return <size_t>self.ptr_

    @property
    def nbytes(self):
        return self.nbytes_

    @property
    def size(self):
        """Same as ``nbytes`` (CuPy's name)."""
        return self.nbytes_

    @property
    def alignment(self):
        """Largest power of two (up to the pool's alignment) dividing ``ptr``."""
        cdef size_t a = self.pool_.alignment
        cdef size_t p = <size_t>self.ptr_
        while a > 1 and p % a:
            a >>= 1
        return a

    @property
    def device(self):
        return "cpu"

    @property
    def pool(self):
        return self.pool_

    @property
    def base(self):
        """The owning DeviceMemory for a view, None for an owner."""
        return self.base_

    def __len__(self):
        return self.nbytes_

    def __getitem__(self, key):
        cdef Py_ssize_t start, stop, step
        cdef DeviceMemory view
        if isinstance(key, slice):
            start, stop, step = key.indices(self.nbytes_)
            if step != 1:
                raise ValueError("DeviceMemory slices must have step 1")
            if stop < start:
                stop = start
            view = DeviceMemory.__new__(DeviceMemory)
            view.ptr_ = self.ptr_ + start
            view.nbytes_ = <size_t>(stop - start)
            view.chunk_ = NULL
            view.pool_ = self.pool_
            view.base_ = self if self.base_ is None else self.base_
            return view
        start = operator.index(key)
        if start < 0:
            start += self.nbytes_
        if start < 0 or start >= <Py_ssize_t>self.nbytes_:
            raise IndexError("DeviceMemory index out of range")
        return <unsigned char>self.ptr_[start]

    def __getbuffer__(self, Py_buffer* buf, int flags):
        self.shape_[0] = <Py_ssize_t>self.nbytes_
        self.strides_[0] = 1
        buf.buf = self.ptr_
        buf.obj = self  # the export keeps this object, hence the block, alive
        buf.len = <Py_ssize_t>self.nbytes_
        buf.readonly = 0
        buf.itemsize = 1
        if flags & PyBUF_FORMAT:
            buf.format = b"B"
        else:
            buf.format = NULL
        buf.ndim = 1
        buf.shape = &self.shape_[0] if (flags & PyBUF_ND) else <Py_ssize_t*>NULL
        buf.strides = &self.strides_[0] if (flags & PyBUF_STRIDES) == PyBUF_STRIDES else <Py_ssize_t*>NULL
        buf.suboffsets = NULL
        buf.internal = NULL

    def __releasebuffer__(self, Py_buffer* buf):
        pass

    def __repr__(self):
        kind = "view" if self.base_ is not None else "block"
        return f"<DeviceMemory {kind} ptr=0x{<size_t>self.ptr_:x} nbytes={self.nbytes_} device=cpu>"


# --- default pool, limits ------------------------------------------------------------------

def physical_memory():
    """Bytes of physical memory of this machine."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


_SUFFIX = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def _parse_limit(text):
    """Parse ``DOTCOMPUTE_MEMORY_LIMIT``: bytes with optional K/M/G/T suffix (``KB``, ``KiB``
    also accepted; powers of 1024) or ``N%`` of physical memory.  Fractional bytes round
    down, except that a positive value never becomes 0 (which would mean no limit): it
    gives a limit of one byte.  ``0`` (or ``0%``) means no limit.  Raises ValueError."""
    s = text.strip()
    m = re.fullmatch(r"(\d+(?:\.\d*)?)\s*%", s)
    if m:
        pct = float(m.group(1))
        if pct > 100:
            raise ValueError(f"percentage above 100: {text!r}")
        return _at_least_one(pct, int(pct / 100 * physical_memory()))
    m = re.fullmatch(r"(\d+(?:\.\d*)?)\s*([kKmMgGtT]?)(?:i?[bB])?", s)
    if not m:
        raise ValueError(f"cannot parse memory limit {text!r}")
    num = float(m.group(1)) if "." in m.group(1) else int(m.group(1))
    return _at_least_one(num, int(num * _SUFFIX[m.group(2).upper()]))


def _at_least_one(value, nbytes):
    """nbytes, or 1 when a positive value rounded to 0 bytes (0 would mean no limit)."""
    return 1 if nbytes == 0 and value > 0 else nbytes


cdef MemoryPool _default_pool = MemoryPool()


def _apply_env_limit():
    text = os.environ.get("DOTCOMPUTE_MEMORY_LIMIT")
    if text is None or not text.strip():
        return
    try:
        limit = _parse_limit(text)
    except ValueError as e:
        warnings.warn(f"DOTCOMPUTE_MEMORY_LIMIT ignored: {e}", RuntimeWarning, stacklevel=2)
        return
    _default_pool.set_limit(size=limit)


_apply_env_limit()


def get_default_memory_pool():
    """The pool used by ``dc_malloc`` and the array layer."""
    return _default_pool


def malloc(nbytes):
    """Allocate from the default pool."""
    return pool_malloc(_default_pool, _check_size(_default_pool, nbytes))


# --- statistics ----------------------------------------------------------------------------

_STAT_NAMES = ("allocation", "allocated_bytes", "reserved_bytes", "active_bytes",
               "requested_bytes", "segment")
_STAT_INDEX = (DC_STAT_ALLOCATION, DC_STAT_ALLOCATED_BYTES, DC_STAT_RESERVED_BYTES,
               DC_STAT_ACTIVE_BYTES, DC_STAT_REQUESTED_BYTES, DC_STAT_SEGMENT)
_POOL_NAMES = ("all", "small_pool", "large_pool")
_METRICS = ("current", "peak", "allocated", "freed")


cdef bint _is_other_pool(pool):
    """A pool of another device (dotcompute.cuda's DevicePool) answers for itself."""
    return pool is not None and not isinstance(pool, MemoryPool) and hasattr(pool, "pool_info")


cdef MemoryPool _pool_arg(pool):
    if pool is None:
        return _default_pool
    if not isinstance(pool, MemoryPool):
        raise TypeError(f"expected a MemoryPool, got {type(pool).__name__}")
    return <MemoryPool>pool


def memory_stats(pool=None):
    """Flat dict of counters in PyTorch's conventions (``torch.cuda.memory_stats``).

    ``{allocation,allocated_bytes,reserved_bytes,active_bytes,requested_bytes,segment}``
    ``.{all,small_pool,large_pool}.{current,peak,allocated,freed}`` (small pool: requests
    below 1 MiB; bytes are rounded block sizes except ``requested_bytes``), plus
    ``num_alloc_retries``, ``num_ooms``, ``num_os_alloc``, ``num_os_free``, ``pool_hits``,
    ``pool_misses``.
    """
    if _is_other_pool(pool):
        return pool.memory_stats()
    cdef MemoryPool p = _pool_arg(pool)
    cdef dc_stats st
    dc_pool_get_stats(p.pool_, &st)
    cdef int t, k
    rows = [[(st.stat[t][k].current, st.stat[t][k].peak, st.stat[t][k].allocated,
              st.stat[t][k].freed) for k in range(3)] for t in _STAT_INDEX]
    return stats_dict(lambda t, k, m: rows[t][k][m], st.num_alloc_retries, st.num_ooms, st.num_os_alloc,
                      st.num_os_free, st.pool_hits, st.pool_misses)


def stats_dict(value, retries, ooms, os_alloc, os_free, hits, misses):
    """The ``memory_stats`` dict from ``value(stat row, pool, metric)`` and the counters
    (shared by the host pool and dotcompute.cuda's GPU pool)."""
    out = collections.OrderedDict()
    for t, name in enumerate(_STAT_NAMES):
        for k, pname in enumerate(_POOL_NAMES):
            for m, metric in enumerate(_METRICS):
                out[f"{name}.{pname}.{metric}"] = value(t, k, m)
    out["num_alloc_retries"] = retries
    out["num_ooms"] = ooms
    out["num_os_alloc"] = os_alloc
    out["num_os_free"] = os_free
    out["pool_hits"] = hits
    out["pool_misses"] = misses
    return out


def info_dict(used, total, limit, n_free_blocks, hits, misses):
    """The ``pool_info`` dict (shared with dotcompute.cuda's GPU pool)."""
    requests = hits + misses
    return {"used": used, "free": total - used, "total": total, "limit": limit,
            "n_free_blocks": n_free_blocks, "hit_rate": hits / requests if requests else 0.0}


def size_histogram(pool=None):
    """Counts of requests by size class: ``{upper_bound: count}`` where a request of n bytes
    falls in the power-of-two bucket with ``upper_bound // 2 < n <= upper_bound`` (sizes 0 and
    1 in bucket 1).  Only non-empty buckets; reset by ``reset_accumulated_memory_stats``."""
    cdef MemoryPool p = _pool_arg(pool)
    cdef dc_stats st
    dc_pool_get_stats(p.pool_, &st)
    return {1 << b: st.size_hist[b] for b in range(DC_N_HIST) if st.size_hist[b]}


def reset_peak_memory_stats(pool=None):
    """Set every ``peak`` to the ``current`` value."""
    if _is_other_pool(pool):
        return pool.reset_peak_memory_stats()
    dc_pool_reset_peak(_pool_arg(pool).pool_)


def reset_accumulated_memory_stats(pool=None):
    """Zero the ``allocated`` / ``freed`` totals, the event counters and the histogram."""
    if _is_other_pool(pool):
        return pool.reset_accumulated_memory_stats()
    dc_pool_reset_accumulated(_pool_arg(pool).pool_)


def pool_info(pool=None):
    """Small summary for the runtime report."""
    if _is_other_pool(pool):
        return pool.pool_info()
    cdef MemoryPool p = _pool_arg(pool)
    cdef dc_stats st
    dc_pool_get_stats(p.pool_, &st)
    return info_dict(st.stat[DC_STAT_ALLOCATED_BYTES][0].current,
                     st.stat[DC_STAT_RESERVED_BYTES][0].current, dc_pool_get_limit(p.pool_),
                     st.n_free_blocks, st.pool_hits, st.pool_misses)


def _fmt_bytes(n):
    n = int(n)
    for unit in ("B  ", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 * 10 or unit == "TiB":
            return f"{n:7d} {unit}" if unit == "B  " else f"{n:7.2f} {unit}"
        n /= 1024.0
    return str(n)  # not reached


def memory_summary(pool=None):
    """Human-readable table of ``memory_stats`` (like ``torch.cuda.memory_summary``)."""
    if _is_other_pool(pool):
        return pool.memory_summary()
    cdef MemoryPool p = _pool_arg(pool)
    return format_memory_summary(memory_stats(p), pool_info(p), "dotcompute memory summary",
                                 f"alignment {p.alignment} B")


def format_memory_summary(st, info, title, detail):
    """The summary table of a ``memory_stats`` dict and a ``pool_info`` dict (shared by the
    host pool and dotcompute.cuda's GPU pool)."""
    width = 81
    line = "|" + "=" * (width - 2) + "|"
    thin = "|" + "-" * (width - 2) + "|"
    rows = [line,
            "|" + title.center(width - 2) + "|",
            "|" + f"{detail}, limit "
                  f"{_fmt_bytes(info['limit']).strip() if info['limit'] else 'none'}, "
                  f"hit rate {100 * info['hit_rate']:.2f} %".center(width - 2) + "|",
            thin,
            "|" + (f"  num_alloc_retries: {st['num_alloc_retries']:<8} "
                   f"num_ooms: {st['num_ooms']:<8} os allocs/frees: "
                   f"{st['num_os_alloc']}/{st['num_os_free']}").ljust(width - 2) + "|",
            "|" + (f"  pool hits: {st['pool_hits']:<12} misses: {st['pool_misses']:<10} "
                   f"free blocks: {info['n_free_blocks']}").ljust(width - 2) + "|",
            line,
            "| {:<22}| {:>11} | {:>11} | {:>11} | {:>11} |".format(
                "Metric", "Cur Usage", "Peak Usage", "Tot Alloc", "Tot Freed"),
            thin]
    titles = (("allocated_bytes", "Allocated memory", True),
              ("active_bytes", "Active memory", True),
              ("requested_bytes", "Requested memory", True),
              ("reserved_bytes", "Reserved memory", True),
              ("allocation", "Allocations", False),
              ("segment", "Segments", False))
    for key, title, is_bytes in titles:
        for pname, label in (("all", title), ("large_pool", "      from large pool"),
                             ("small_pool", "      from small pool")):
            vals = [st[f"{key}.{pname}.{m}"] for m in _METRICS]
            cells = [_fmt_bytes(v) if is_bytes else f"{v:11d}" for v in vals]
            rows.append("| {:<22}| {:>11} | {:>11} | {:>11} | {:>11} |".format(label, *cells))
        rows.append(thin)
    rows[-1] = line
    return "\n".join(rows)


# --- NumPy allocator hook ------------------------------------------------------------------

cdef PyDataMem_Handler* _numpy_handler(MemoryPool self) except NULL:
    cdef PyDataMem_Handler* h = <PyDataMem_Handler*>self.np_handler_
    if h == NULL:
        h = <PyDataMem_Handler*>calloc(1, sizeof(PyDataMem_Handler))
        if h == NULL:
            raise MemoryError()
        strncpy(h.name, b"dotcompute_pool", 126)
        h.version = 1
        h.allocator.ctx = <void*>self.pool_
        h.allocator.malloc = _np_malloc
        h.allocator.calloc = _np_calloc
        h.allocator.realloc = _np_realloc
        h.allocator.free = _np_free
        self.np_handler_ = h
    return h


cdef void* _np_malloc(void* ctx, size_t size) noexcept nogil:
    return dc_pool_raw_malloc(<dc_pool*>ctx, size)

cdef void* _np_calloc(void* ctx, size_t nelem, size_t elsize) noexcept nogil:
    return dc_pool_raw_calloc(<dc_pool*>ctx, nelem, elsize)

cdef void* _np_realloc(void* ctx, void* ptr, size_t new_size) noexcept nogil:
    return dc_pool_raw_realloc(<dc_pool*>ctx, ptr, new_size)

cdef void _np_free(void* ctx, void* ptr, size_t size) noexcept nogil:
    dc_pool_raw_free(<dc_pool*>ctx, ptr)


# --- NumPy's own arrays on cache lines --------------------------------------------------
#
# NumPy's allocator (malloc, 16-byte aligned) leaves its large arrays 16 bytes past a
# 64-byte line (glibc's mmap header) and smaller ones 0, 16, 32 or 48 past one. Loads and
# stores of such arrays split cache lines: at 3e4 float64 elements (in L2, one thread, the
# Intel Xeon) NumPy's own `a + b` took 12.5 us against 6.5 on aligned memory, and our
# kernels on dc views of them (asarray) 1.2-1.5x their aligned time (sum, max, dot, clip,
# exp, a * b + c). At import, dotcompute puts a handler in front of the one NumPy uses in
# the importing thread's context (NEP 49): every block it gets is 64 bytes longer and the
# array starts at the next line, the distance kept in the byte before the array (freed and
# resized through it). Arrays made before the import, and in other threads, are NumPy's as
# before. DOTCOMPUTE_NUMPY_ALIGN=0 leaves NumPy's handler alone.

DEF LINE = 64

cdef PyDataMem_Handler _aligned
cdef PyDataMemAllocator _under          # the handler wrapped (NumPy's, as a rule)
cdef object _under_capsule = None       # keeps it alive
cdef object _aligned_capsule = None


cdef inline void* _to_line(char* p) noexcept nogil:
    cdef size_t off = LINE - (<uintptr_t>p & (LINE - 1))       # 1 .. 64
    (p + off)[-1] = <char>off
    return p + off


cdef void* _al_malloc(void* ctx, size_t size) noexcept nogil:
    cdef char* p
    if size > SIZE_MAX - LINE:
        return NULL
    p = <char*>_under.malloc(_under.ctx, size + LINE)
    return _to_line(p) if p != NULL else NULL


cdef void* _al_calloc(void* ctx, size_t nelem, size_t elsize) noexcept nogil:
    cdef char* p
    if elsize != 0 and nelem > (SIZE_MAX - LINE) // elsize:
        return NULL
    p = <char*>_under.calloc(_under.ctx, 1, nelem * elsize + LINE)
    return _to_line(p) if p != NULL else NULL


cdef void* _al_realloc(void* ctx, void* ptr, size_t new_size) noexcept nogil:
    cdef size_t off, noff
    cdef char* p
    if ptr == NULL:
        return _al_malloc(ctx, new_size)
    if new_size > SIZE_MAX - LINE:
        return NULL
    off = <unsigned char>(<char*>ptr)[-1]
    p = <char*>_under.realloc(_under.ctx, <char*>ptr - off, new_size + LINE)
    if p == NULL:
        return NULL                                             # the old block stands
    noff = LINE - (<uintptr_t>p & (LINE - 1))
    if noff != off:
        # the block moved to another offset in its line: the data to the new start
        # (both ranges lie within the new_size + LINE bytes, off and noff <= LINE)
        memmove(p + noff, p + off, new_size)
    (p + noff)[-1] = <char>noff
    return p + noff


cdef void _al_free(void* ctx, void* ptr, size_t size) noexcept nogil:
    if ptr == NULL:
        return
    _under.free(_under.ctx, <char*>ptr - <unsigned char>(<char*>ptr)[-1], size + LINE)


def align_numpy(bint on=True):
    """Put the line-aligning handler in front of NumPy's current one in this context (on),
    or put the wrapped one back (off); returns whether it is in place. Idempotent."""
    global _under_capsule, _aligned_capsule, _under
    cdef PyDataMem_Handler* h
    cur = PyDataMem_GetHandler()
    if not on:
        if _aligned_capsule is not None and cur is _aligned_capsule:
            PyDataMem_SetHandler(_under_capsule)
        return False
    if _aligned_capsule is not None:
        if cur is not _aligned_capsule:
            if cur is not _under_capsule:
                return False              # another handler took over since: leave it
            PyDataMem_SetHandler(_aligned_capsule)
        return True
    if not PyCapsule_IsValid(cur, b"mem_handler"):
        return False
    h = <PyDataMem_Handler*>PyCapsule_GetPointer(cur, b"mem_handler")
    _under = h.allocator
    _under_capsule = cur
    strncpy(_aligned.name, b"dotcompute_line_aligned", 126)
    _aligned.version = 1
    _aligned.allocator.ctx = NULL
    _aligned.allocator.malloc = _al_malloc
    _aligned.allocator.calloc = _al_calloc
    _aligned.allocator.realloc = _al_realloc
    _aligned.allocator.free = _al_free
    _aligned_capsule = PyCapsule_New(<void*>&_aligned, b"mem_handler", NULL)
    PyDataMem_SetHandler(_aligned_capsule)
    return True


# read once, at import: what the import did and what the report says
cdef bint _align_at_import = os.environ.get("DOTCOMPUTE_NUMPY_ALIGN", "1").strip() != "0"


def numpy_alignment():
    """What the import did to NumPy's allocator, for the runtime report."""
    if _aligned_capsule is None:
        return "NumPy's own (16-byte aligned)" + (
            "" if _align_at_import else ": DOTCOMPUTE_NUMPY_ALIGN=0")
    if PyDataMem_GetHandler() is _aligned_capsule:
        return ("64-byte lines: NumPy's arrays made in this context since the import "
                "(DOTCOMPUTE_NUMPY_ALIGN=0 to leave them)")
    return "NumPy's handler was replaced since the import: not aligned here"


if _align_at_import:
    align_numpy(True)


cdef void _capsule_destructor(object capsule) noexcept:
    # The capsule held a reference to its pool (set in _make_capsule); arrays hold the capsule.
    cdef void* ctx = PyCapsule_GetContext(capsule)
    if ctx != NULL:
        Py_DECREF(<object>ctx)


cdef object _make_capsule(MemoryPool pool):
    cdef PyDataMem_Handler* h = _numpy_handler(pool)
    cap = PyCapsule_New(<void*>h, b"mem_handler", _capsule_destructor)
    Py_INCREF(pool)
    PyCapsule_SetContext(cap, <void*>pool)
    return cap


class NumpyAllocator:
    """Handle returned by ``use_for_numpy``; ``restore()`` (or leaving the ``with`` block)
    undoes it.  Arrays made meanwhile stay valid afterwards.

    Handles may be restored in any order.  Each handle remembers the handler it replaced
    and the handle installed on top of it (in the same thread / context): restoring the top
    one puts the replaced handler back; restoring one that another handle covers changes
    nothing now, but hands its replaced handler down to the covering handle.  Once every
    handle is restored, NumPy's original handler is installed again."""

    def __init__(self, pool):
        self.pool = pool
        self._capsule = _make_capsule(pool)
        self._previous = PyDataMem_SetHandler(self._capsule)
        self._below = _active_handles.get(id(self._previous))   # the handle replaced
        if self._below is not None:
            self._below._above = self
        self._above = None
        _active_handles[id(self._capsule)] = self
        self.active = True

    def restore(self):
        if not self.active:
            return
        above, below = self._above, self._below
        if above is not None and PyDataMem_GetHandler() is not self._capsule:
            # covered by `above`: nothing changes now; `above` will put back what this
            # handle replaced
            above._previous = self._previous
            above._below = below
            if below is not None:
                below._above = above
        else:
            PyDataMem_SetHandler(self._previous)
            if above is not None:        # installed over this one in another context
                above._below = None
            if below is not None:
                below._above = None
        del _active_handles[id(self._capsule)]
        self._previous = self._above = self._below = None
        self.active = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.restore()
        return False


@cython.final
@cython.freelist(8)
cdef class PoolScope:
    """`with PoolScope():` NumPy allocates from the default pool inside the block, which
    the array layer's calls of NumPy code use for large inputs (their results and
    temporaries then come from the pool). Strictly nested: it puts back the handler it
    replaced, without use_for_numpy's handle bookkeeping -- that Python object, a new
    capsule and two dict updates cost 0.75 us a call, more than NumPy's own time on many
    such calls; the capsule here is made once per default pool."""
    cdef object prev

    def __enter__(self):
        self.prev = pool_for_numpy()
        return self

    def __exit__(self, *exc):
        PyDataMem_SetHandler(self.prev)
        self.prev = None
        return False


cdef object _scope_capsule = None
cdef object _scope_pool = None


cdef object pool_for_numpy():
    """The default pool as NumPy's allocator from now on; returns the handler it replaced,
    to put back with numpy_allocator_back (strictly nested, as PoolScope)."""
    global _scope_capsule, _scope_pool
    if _scope_pool is not _default_pool:
        _scope_capsule = _make_capsule(_default_pool)
        _scope_pool = _default_pool
    return PyDataMem_SetHandler(_scope_capsule)


cdef void numpy_allocator_back(object prev) except *:
    PyDataMem_SetHandler(prev)


# id(capsule) -> the active NumpyAllocator that installed it (the handle keeps the capsule
# alive, so an id stays unique while it is a key)
_active_handles = {}


def use_for_numpy(pool=None):
    """Make NumPy allocate array data from ``pool`` (default pool if None), 64-byte aligned
    (or the pool's larger alignment).  Works as a plain call (undo with ``.restore()``) and as
    a context manager.  NumPy keeps the handler in a context variable: the setting applies
    to the current thread / asyncio context only."""
    return NumpyAllocator(_pool_arg(pool))
