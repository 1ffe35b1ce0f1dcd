# cython: language_level=3, boundscheck=False, wraparound=False, embedsignature=True
"""The CUDA driver API, resolved at run time: no CUDA header or library at build time.

``libcuda.so.1`` is opened with ``dlopen`` on first use and every entry point is taken from
``cuGetProcAddress_v2`` (asked for its CUDA 12.0 signature, which is what is declared
below), so this module builds and imports on machines without CUDA; ``load()`` then
raises ``CUDAUnavailable`` saying what is missing.

Rooms in this module (all of it is the thin layer the rest of ``dotcompute.cuda`` stands on):

* contexts: the primary context of each device, made current per thread on demand (a
  thread-local C variable, so the check costs nothing in the launch path);
* ``Stream`` / ``Event`` and the per-thread current stream (default: the per-thread default
  stream, ``CU_STREAM_PER_THREAD``, so threads of a dask scheduler do not serialize);
* ``Module`` / ``Function``: loading cubins and launching with the arguments packed in C;
* ``DevicePool`` / ``DeviceAllocation``: the stream-ordered GPU memory pool with size
  classes and PyTorch-style statistics (the host pool's key names);
* copies, memset, host registration (pinned staging), memory info.
"""

cimport cython
from libc.stdint cimport uint64_t, int64_t, uintptr_t
from libc.string cimport memcpy
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.pythread cimport PyThread_get_thread_ident
from cpython.long cimport PyLong_AsLongLongAndOverflow

from dotcompute._core._ndarray cimport ndarray, device_result
from dotcompute._core._dtypes cimport type_index

import gc
import os
import threading

cdef extern from "<dlfcn.h>" nogil:
    void* dlopen(const char* filename, int flag)
    void* dlsym(void* handle, const char* symbol)
    char* dlerror()
    int RTLD_NOW
    int RTLD_GLOBAL

cdef extern from *:
    """
    #include <stdint.h>
    static __thread void *dc_tls_ctx = 0;          /* context made current on this thread */
    static __thread uintptr_t dc_tls_stream = 2;   /* CU_STREAM_PER_THREAD */
    static __thread int dc_tls_device = 0;
    """
    void* dc_tls_ctx
    uintptr_t dc_tls_stream
    int dc_tls_device

ctypedef int CUresult
ctypedef int CUdevice
ctypedef void* CUcontext
ctypedef void* CUmodule
ctypedef void* CUfunction
ctypedef void* CUstream
ctypedef void* CUevent
ctypedef unsigned long long CUdeviceptr

ctypedef CUresult (*p_getproc)(const char*, void**, int, uint64_t, int*) noexcept nogil
ctypedef CUresult (*p_u)(unsigned int) noexcept nogil
ctypedef CUresult (*p_pi)(int*) noexcept nogil
ctypedef CUresult (*p_devget)(CUdevice*, int) noexcept nogil
ctypedef CUresult (*p_devname)(char*, int, CUdevice) noexcept nogil
ctypedef CUresult (*p_devattr)(int*, int, CUdevice) noexcept nogil
ctypedef CUresult (*p_devmem)(size_t*, CUdevice) noexcept nogil
ctypedef CUresult (*p_ctxretain)(CUcontext*, CUdevice) noexcept nogil
ctypedef CUresult (*p_ctxset)(CUcontext) noexcept nogil
ctypedef CUresult (*p_void)() noexcept nogil
ctypedef CUresult (*p_memalloc)(CUdeviceptr*, size_t) noexcept nogil
ctypedef CUresult (*p_memfree)(CUdeviceptr) noexcept nogil
ctypedef CUresult (*p_meminfo)(size_t*, size_t*) noexcept nogil
ctypedef CUresult (*p_htod)(CUdeviceptr, const void*, size_t, CUstream) noexcept nogil
ctypedef CUresult (*p_dtoh)(void*, CUdeviceptr, size_t, CUstream) noexcept nogil
ctypedef CUresult (*p_dtod)(CUdeviceptr, CUdeviceptr, size_t, CUstream) noexcept nogil
ctypedef CUresult (*p_memset)(CUdeviceptr, unsigned char, size_t, CUstream) noexcept nogil
ctypedef CUresult (*p_hostreg)(void*, size_t, unsigned int) noexcept nogil
ctypedef CUresult (*p_hostunreg)(void*) noexcept nogil
ctypedef CUresult (*p_streamcreate)(CUstream*, unsigned int) noexcept nogil
ctypedef CUresult (*p_stream)(CUstream) noexcept nogil
ctypedef CUresult (*p_streamwait)(CUstream, CUevent, unsigned int) noexcept nogil
ctypedef CUresult (*p_eventcreate)(CUevent*, unsigned int) noexcept nogil
ctypedef CUresult (*p_event)(CUevent) noexcept nogil
ctypedef CUresult (*p_eventrecord)(CUevent, CUstream) noexcept nogil
ctypedef CUresult (*p_elapsed)(float*, CUevent, CUevent) noexcept nogil
ctypedef CUresult (*p_modload)(CUmodule*, const void*) noexcept nogil
ctypedef CUresult (*p_modfunc)(CUfunction*, CUmodule, const char*) noexcept nogil
ctypedef CUresult (*p_modunload)(CUmodule) noexcept nogil
ctypedef CUresult (*p_launch)(CUfunction, unsigned int, unsigned int, unsigned int,
                              unsigned int, unsigned int, unsigned int, unsigned int,
                              CUstream, void**, void**) noexcept nogil
ctypedef CUresult (*p_errstr)(CUresult, const char**) noexcept nogil
ctypedef CUresult (*p_ptrattr)(void*, int, CUdeviceptr) noexcept nogil

cdef struct Api:
    p_u cuInit
    p_pi cuDriverGetVersion
    p_pi cuDeviceGetCount
    p_devget cuDeviceGet
    p_devname cuDeviceGetName
    p_devattr cuDeviceGetAttribute
    p_devmem cuDeviceTotalMem
    p_ctxretain cuDevicePrimaryCtxRetain
    p_ctxset cuCtxSetCurrent
    p_void cuCtxSynchronize
    p_memalloc cuMemAlloc
    p_memfree cuMemFree
    p_meminfo cuMemGetInfo
    p_htod cuMemcpyHtoDAsync
    p_dtoh cuMemcpyDtoHAsync
    p_dtod cuMemcpyDtoDAsync
    p_memset cuMemsetD8Async
    p_hostreg cuMemHostRegister
    p_hostunreg cuMemHostUnregister
    p_streamcreate cuStreamCreate
    p_stream cuStreamDestroy
    p_stream cuStreamSynchronize
    p_stream cuStreamQuery
    p_streamwait cuStreamWaitEvent
    p_eventcreate cuEventCreate
    p_event cuEventDestroy
    p_eventrecord cuEventRecord
    p_event cuEventSynchronize
    p_event cuEventQuery
    p_elapsed cuEventElapsedTime
    p_modload cuModuleLoadData
    p_modfunc cuModuleGetFunction
    p_modunload cuModuleUnload
    p_launch cuLaunchKernel
    p_errstr cuGetErrorName
    p_errstr cuGetErrorString
    p_ptrattr cuPointerGetAttribute

cdef Api api
cdef bint _loaded = False
cdef object _load_error = None
cdef int _n_devices = 0
cdef enum:
    MAX_DEVICES = 64
cdef CUcontext _ctx[MAX_DEVICES]

CUDA_SUCCESS = 0
CUDA_ERROR_NOT_READY = 600
cdef int ERR_NOT_READY = 600
cdef int ERR_OOM = 2
cdef int ERR_ALREADY_REGISTERED = 712
cdef uintptr_t STREAM_PER_THREAD = 2
cdef int ATTR_SM_COUNT = 16
cdef int ATTR_CC_MAJOR = 75
cdef int ATTR_CC_MINOR = 76

# The symbols, in Api order, as cuGetProcAddress knows them (no _v2 suffixes: the version
# argument picks the variant).
_SYMBOLS = (
    "cuInit", "cuDriverGetVersion", "cuDeviceGetCount", "cuDeviceGet", "cuDeviceGetName",
    "cuDeviceGetAttribute", "cuDeviceTotalMem", "cuDevicePrimaryCtxRetain",
    "cuCtxSetCurrent", "cuCtxSynchronize", "cuMemAlloc", "cuMemFree", "cuMemGetInfo",
    "cuMemcpyHtoDAsync", "cuMemcpyDtoHAsync", "cuMemcpyDtoDAsync", "cuMemsetD8Async",
    "cuMemHostRegister", "cuMemHostUnregister", "cuStreamCreate", "cuStreamDestroy",
    "cuStreamSynchronize", "cuStreamQuery", "cuStreamWaitEvent", "cuEventCreate",
    "cuEventDestroy", "cuEventRecord", "cuEventSynchronize", "cuEventQuery",
    "cuEventElapsedTime", "cuModuleLoadData", "cuModuleGetFunction", "cuModuleUnload",
    "cuLaunchKernel", "cuGetErrorName", "cuGetErrorString", "cuPointerGetAttribute",
)


class CUDAUnavailable(RuntimeError):
    """CUDA cannot be used here; the message says which piece is missing."""


class CUDAError(RuntimeError):
    """A CUDA driver call failed.  ``code`` is the CUresult."""

    def __init__(self, code, call):
        self.code = code
        self.call = call
        super().__init__(f"{call} failed: {error_name(code)} ({code}): {error_string(code)}")

    def __reduce__(self):
        return (type(self), (self.code, self.call))


def error_name(int code):
    cdef const char* s = NULL
    if _loaded and api.cuGetErrorName(code, &s) == 0 and s != NULL:
        return s.decode()
    return "CUDA_ERROR"


def error_string(int code):
    cdef const char* s = NULL
    if _loaded and api.cuGetErrorString(code, &s) == 0 and s != NULL:
        return s.decode()
    return "unknown error"


cdef inline int check(CUresult rc, str call) except -1:
    if rc != 0:
        _raise(rc, call)
    return 0


cdef int _raise(CUresult rc, str call) except -1:
    if rc == ERR_OOM:
        raise MemoryError(f"{call}: {error_name(rc)}: {error_string(rc)}")
    raise CUDAError(rc, call)


cdef int _do_load() except -1:
    global _loaded, _n_devices
    cdef void* lib = NULL
    cdef void* pfn = NULL
    cdef p_getproc getproc
    cdef int status = 0
    cdef int count = 0
    cdef void** slots = <void**>&api
    cdef bytes name
    for libname in (os.environ.get("DOTCOMPUTE_LIBCUDA"), "libcuda.so.1", "libcuda.so"):
        if libname:
            lib = dlopen(libname.encode(), RTLD_NOW | RTLD_GLOBAL)
            if lib != NULL:
                break
    if lib == NULL:
        raise CUDAUnavailable(
            "no NVIDIA driver: libcuda.so.1 cannot be loaded (install the NVIDIA driver; "
            "set DOTCOMPUTE_LIBCUDA to its path if it is not on the loader's path)")
    getproc = <p_getproc>dlsym(lib, b"cuGetProcAddress_v2")
    if getproc == NULL:
        raise CUDAUnavailable("the NVIDIA driver is too old: it has no cuGetProcAddress_v2 "
                              "(CUDA 12.0 or newer is needed)")
    for i, sym in enumerate(_SYMBOLS):
        name = sym.encode()
        pfn = NULL
        if getproc(name, &pfn, 12000, 0, &status) != 0 or pfn == NULL:
            raise CUDAUnavailable(f"the NVIDIA driver lacks {sym}")
        slots[i] = pfn
    rc = api.cuInit(0)
    if rc != 0:
        raise CUDAUnavailable(f"the NVIDIA driver failed to initialise: cuInit returned "
                              f"{rc} ({_errname_raw(rc)}); no usable GPU or driver")
    check(api.cuDeviceGetCount(&count), "cuDeviceGetCount")
    if count == 0:
        raise CUDAUnavailable("the NVIDIA driver is loaded but sees no GPU")
    _n_devices = min(count, MAX_DEVICES)
    for d in range(_n_devices):
        _ctx[d] = NULL
    _loaded = True
    return 0


cdef str _errname_raw(int rc):
    cdef const char* s = NULL
    if api.cuGetErrorName != NULL and api.cuGetErrorName(rc, &s) == 0 and s != NULL:
        return s.decode()
    return "?"


_load_lock = threading.Lock()


def load():
    """Load the driver (once); raises ``CUDAUnavailable`` naming what is missing."""
    global _load_error
    if _loaded:
        return
    with _load_lock:
        if _loaded:
            return
        if _load_error is not None:
            raise CUDAUnavailable(str(_load_error))
        try:
            _do_load()
        except CUDAUnavailable as e:
            _load_error = e
            raise
        except CUDAError as e:
            _load_error = e
            raise CUDAUnavailable(str(e)) from None


def is_loaded():
    return _loaded


def device_count():
    load()
    return _n_devices


cdef int enter(int dev) except -1:
    """Make device dev's primary context current on this thread (cheap when it is)."""
    global dc_tls_ctx
    cdef CUcontext c
    cdef CUdevice d
    if not _loaded:
        load()
    c = _ctx[dev]
    if c == NULL:
        if dev < 0 or dev >= _n_devices:
            raise ValueError(f"cuda:{dev} does not exist ({_n_devices} GPU(s))")
        check(api.cuDeviceGet(&d, dev), "cuDeviceGet")
        check(api.cuDevicePrimaryCtxRetain(&c, d), "cuDevicePrimaryCtxRetain")
        _ctx[dev] = c
    if dc_tls_ctx != c:
        check(api.cuCtxSetCurrent(c), "cuCtxSetCurrent")
        dc_tls_ctx = c
    return 0


def get_device_id():
    """The current device of this thread."""
    return dc_tls_device


def set_device_id(int dev):
    global dc_tls_device
    load()
    if dev < 0 or dev >= _n_devices:
        raise ValueError(f"cuda:{dev} does not exist ({_n_devices} GPU(s))")
    dc_tls_device = dev
    enter(dev)


def driver_version():
    cdef int v = 0
    load()
    check(api.cuDriverGetVersion(&v), "cuDriverGetVersion")
    return v


def device_properties(int dev):
    """Name, compute capability, multiprocessors and memory of device dev."""
    cdef char name[256]
    cdef int major = 0, minor = 0, sms = 0
    cdef size_t total = 0
    cdef CUdevice d
    load()
    if dev < 0 or dev >= _n_devices:
        raise ValueError(f"cuda:{dev} does not exist ({_n_devices} GPU(s))")
    check(api.cuDeviceGet(&d, dev), "cuDeviceGet")
    check(api.cuDeviceGetName(name, 256, d), "cuDeviceGetName")
    check(api.cuDeviceGetAttribute(&major, ATTR_CC_MAJOR, d), "cuDeviceGetAttribute")
    check(api.cuDeviceGetAttribute(&minor, ATTR_CC_MINOR, d), "cuDeviceGetAttribute")
    check(api.cuDeviceGetAttribute(&sms, ATTR_SM_COUNT, d), "cuDeviceGetAttribute")
    check(api.cuDeviceTotalMem(&total, d), "cuDeviceTotalMem")
    return {"name": name.decode(errors="replace"), "compute_capability": (major, minor),
            "multiprocessors": sms, "total_memory": total}


def mem_get_info(int dev=-1):
    """(free, total) bytes of the device (the current one by default)."""
    cdef size_t free_b = 0, total_b = 0
    enter(dc_tls_device if dev < 0 else dev)
    check(api.cuMemGetInfo(&free_b, &total_b), "cuMemGetInfo")
    return free_b, total_b


def synchronize(int dev=-1):
    """Wait for all work on the device (the current one by default)."""
    enter(dc_tls_device if dev < 0 else dev)
    with nogil:
        rc = api.cuCtxSynchronize()
    check(rc, "cuCtxSynchronize")


# --- streams and events ------------------------------------------------------------------

_tls = threading.local()


@cython.final
cdef class Stream:
    """A CUDA stream.  ``with stream:`` makes it this thread's current stream.

    ``Stream()`` creates a new stream (``non_blocking=True``: it does not synchronize with
    the legacy default stream).  ``Stream.per_thread()`` is the per-thread default stream
    (each thread's own implicit stream, the default current stream); ``Stream.null()`` the
    legacy default stream.
    """
    cdef CUstream handle
    cdef readonly int device_id
    cdef bint owned

    def __init__(self, non_blocking=False, *, device=None, ptr=None):
        cdef CUstream s = NULL
        self.device_id = dc_tls_device if device is None else int(device)
        enter(self.device_id)
        if ptr is not None:
            self.handle = <CUstream><uintptr_t>int(ptr)
            self.owned = False
            return
        check(api.cuStreamCreate(&s, 1 if non_blocking else 0), "cuStreamCreate")
        self.handle = s
        self.owned = True

    @staticmethod
    def per_thread(device=None):
        return Stream(device=device, ptr=STREAM_PER_THREAD)

    @staticmethod
    def null(device=None):
        return Stream(device=device, ptr=0)

    def __dealloc__(self):
        if self.owned and self.handle != NULL and _loaded:
            api.cuStreamDestroy(self.handle)
            self.handle = NULL

    @property
    def ptr(self):
        """The CUstream handle as an int (CuPy's name)."""
        return <uintptr_t>self.handle

    def synchronize(self):
        enter(self.device_id)
        with nogil:
            rc = api.cuStreamSynchronize(self.handle)
        check(rc, "cuStreamSynchronize")

    def query(self):
        """True when all work queued on the stream has finished."""
        enter(self.device_id)
        return _done(api.cuStreamQuery(self.handle), "cuStreamQuery")

    def wait_event(self, Event event):
        enter(self.device_id)
        check(api.cuStreamWaitEvent(self.handle, event.handle, 0), "cuStreamWaitEvent")

    def record(self, Event event=None):
        """Record an event on the stream (a new one when none is given) and return it."""
        if event is None:
            event = Event()
        event.record(self)
        return event

    def use(self):
        """Make this the current stream of this thread (until another ``use``)."""
        _set_current(self)
        return self

    def __enter__(self):
        stack = getattr(_tls, "stack", None)
        if stack is None:
            stack = _tls.stack = []
        stack.append(get_current_stream())
        _set_current(self)
        return self

    def __exit__(self, *exc):
        _set_current(_tls.stack.pop())

    def __eq__(self, other):
        return isinstance(other, Stream) and (<Stream>other).handle == self.handle

    def __hash__(self):
        return hash(<uintptr_t>self.handle)

    def __repr__(self):
        h = <uintptr_t>self.handle
        kind = {0: " (legacy default)", 2: " (per-thread default)"}.get(h, "")
        return f"<Stream 0x{h:x}{kind} on cuda:{self.device_id}>"


cdef bint _done(CUresult rc, str call) except -1:
    """A query's answer: finished (True), still running (False), or an error."""
    if rc == ERR_NOT_READY:
        return False
    check(rc, call)
    return True


cdef _set_current(Stream s):
    global dc_tls_stream
    _tls.current = s
    dc_tls_stream = <uintptr_t>s.handle


def get_current_stream():
    """This thread's current stream (the per-thread default stream unless one was set)."""
    s = getattr(_tls, "current", None)
    if s is None:
        s = _tls.current = Stream.per_thread()
    return s


cdef inline CUstream current_stream() noexcept:
    return <CUstream>dc_tls_stream


def current_stream_ptr():
    return <uintptr_t>dc_tls_stream


cdef CUstream _stream_arg(stream) except? <CUstream>1:
    if stream is None:
        return <CUstream>dc_tls_stream
    if isinstance(stream, Stream):
        return (<Stream>stream).handle
    return <CUstream><uintptr_t>int(stream)


@cython.final
cdef class Event:
    """A CUDA event (timing enabled unless ``disable_timing=True``)."""
    cdef CUevent handle
    cdef readonly int device_id

    def __init__(self, blocking=False, disable_timing=False):
        cdef CUevent e = NULL
        cdef unsigned int flags = (1 if blocking else 0) | (2 if disable_timing else 0)
        self.device_id = dc_tls_device
        enter(self.device_id)
        check(api.cuEventCreate(&e, flags), "cuEventCreate")
        self.handle = e

    def __dealloc__(self):
        if self.handle != NULL and _loaded:
            api.cuEventDestroy(self.handle)
            self.handle = NULL

    @property
    def ptr(self):
        return <uintptr_t>self.handle

    def record(self, stream=None):
        enter(self.device_id)
        check(api.cuEventRecord(self.handle, _stream_arg(stream)), "cuEventRecord")
        return self

    def synchronize(self):
        with nogil:
            rc = api.cuEventSynchronize(self.handle)
        check(rc, "cuEventSynchronize")

    def query(self):
        """True when the work before the recorded point has finished."""
        return _done(api.cuEventQuery(self.handle), "cuEventQuery")

    def elapsed_time(self, Event end):
        """Milliseconds from this event to ``end`` (both recorded and finished)."""
        cdef float ms = 0
        check(api.cuEventElapsedTime(&ms, self.handle, end.handle), "cuEventElapsedTime")
        return ms

    def __repr__(self):
        return f"<Event 0x{<uintptr_t>self.handle:x} on cuda:{self.device_id}>"


def get_elapsed_time(Event start, Event end):
    """CuPy's name: milliseconds between two finished events."""
    return start.elapsed_time(end)


# --- modules and kernel launch -----------------------------------------------------------

@cython.final
cdef class Module:
    """A loaded cubin."""
    cdef CUmodule handle
    cdef readonly int device_id
    cdef dict functions

    def __init__(self, bytes image, int device=-1):
        cdef CUmodule m = NULL
        cdef const char* p = PyBytes_AS_STRING(image)
        self.device_id = dc_tls_device if device < 0 else device
        enter(self.device_id)
        with nogil:
            rc = api.cuModuleLoadData(&m, p)
        check(rc, "cuModuleLoadData")
        self.handle = m
        self.functions = {}

    def __dealloc__(self):
        if self.handle != NULL and _loaded:
            api.cuModuleUnload(self.handle)
            self.handle = NULL

    def get_function(self, str name):
        f = self.functions.get(name)
        if f is None:
            f = Function.__new__(Function)
            check(api.cuModuleGetFunction(&(<Function>f).handle, self.handle, name.encode()),
                  "cuModuleGetFunction(" + name + ")")
            (<Function>f).module = self
            (<Function>f).name = name
            (<Function>f).device_id = self.device_id
            self.functions[name] = f
        return f


cdef enum:
    MAX_ARGS = 40


@cython.final
cdef class Function:
    """A kernel of a ``Module``.

    ``f(grid, block, args, shared_mem=0, stream=None)``: ``args`` is a tuple of Python ints
    (passed as 64-bit integers: pointers, sizes), floats (passed as double) and bytes
    (passed by value as raw bytes: scalars of any type, structs).
    """
    cdef CUfunction handle
    cdef readonly Module module
    cdef readonly str name
    cdef readonly int device_id

    def __call__(self, grid, block, tuple args, unsigned int shared_mem=0, stream=None):
        cdef unsigned int gx, gy = 1, gz = 1, bx, by = 1, bz = 1
        if isinstance(grid, tuple):
            gx = grid[0]; gy = grid[1] if len(grid) > 1 else 1
            gz = grid[2] if len(grid) > 2 else 1
        else:
            gx = grid
        if isinstance(block, tuple):
            bx = block[0]; by = block[1] if len(block) > 1 else 1
            bz = block[2] if len(block) > 2 else 1
        else:
            bx = block
        launch(self, gx, gy, gz, bx, by, bz, shared_mem, _stream_arg(stream), args)

    def __repr__(self):
        return f"<Function {self.name} on cuda:{self.device_id}>"


cdef int launch(Function f, unsigned int gx, unsigned int gy, unsigned int gz,
                unsigned int bx, unsigned int by, unsigned int bz, unsigned int shared_mem,
                CUstream stream, tuple args) except -1:
    """Pack args and launch (the one launch path of the package)."""
    cdef void* params[MAX_ARGS]
    cdef uint64_t slots[MAX_ARGS]
    cdef double dslots[MAX_ARGS]
    cdef Py_ssize_t i, n = len(args)
    cdef object a
    if n > MAX_ARGS:
        raise ValueError(f"at most {MAX_ARGS} kernel arguments")
    for i in range(n):
        a = args[i]
        if type(a) is int:
            slots[i] = <uint64_t>(<int64_t>a) if a < 0 else <uint64_t>a
            params[i] = &slots[i]
        elif type(a) is bytes:
            params[i] = <void*>PyBytes_AS_STRING(a)
        elif type(a) is float:
            dslots[i] = a
            params[i] = &dslots[i]
        else:
            raise TypeError(f"kernel argument {i}: int, float or bytes, got {type(a).__name__}")
    if dc_tls_ctx != _ctx[f.device_id] or _ctx[f.device_id] == NULL:
        enter(f.device_id)
    rc = api.cuLaunchKernel(f.handle, gx, gy, gz, bx, by, bz, shared_mem, stream, params, NULL)
    if rc != 0:
        _raise(rc, "cuLaunchKernel(" + f.name + ")")
    return 0


cpdef int launch1d(Function f, unsigned int grid, unsigned int block, tuple args) except -1:
    """Launch on this thread's current stream (the element-wise fast path)."""
    return launch(f, grid, 1, 1, block, 1, 1, 0, <CUstream>dc_tls_stream, args)


# --- copies ------------------------------------------------------------------------------

def memcpy_htod(uint64_t dst, uintptr_t src, size_t n, stream=None, bint sync=True):
    cdef CUstream s = _stream_arg(stream)
    enter(dc_tls_device)
    with nogil:
        rc = api.cuMemcpyHtoDAsync(dst, <const void*>src, n, s)
        if rc == 0 and sync:
            rc = api.cuStreamSynchronize(s)
    check(rc, "cuMemcpyHtoDAsync")


def memcpy_dtoh(uintptr_t dst, uint64_t src, size_t n, stream=None, bint sync=True):
    cdef CUstream s = _stream_arg(stream)
    enter(dc_tls_device)
    with nogil:
        rc = api.cuMemcpyDtoHAsync(<void*>dst, src, n, s)
        if rc == 0 and sync:
            rc = api.cuStreamSynchronize(s)
    check(rc, "cuMemcpyDtoHAsync")


def memcpy_dtod(uint64_t dst, uint64_t src, size_t n, stream=None):
    enter(dc_tls_device)
    check(api.cuMemcpyDtoDAsync(dst, src, n, _stream_arg(stream)), "cuMemcpyDtoDAsync")


def memset_d8(uint64_t dst, unsigned char value, size_t n, stream=None):
    enter(dc_tls_device)
    check(api.cuMemsetD8Async(dst, value, n, _stream_arg(stream)), "cuMemsetD8Async")


def host_register(uintptr_t ptr, size_t n):
    """Page-lock host memory (cuMemHostRegister, portable).  Returns False when the range
    (or part of it) is already registered."""
    enter(dc_tls_device)
    with nogil:
        rc = api.cuMemHostRegister(<void*>ptr, n, 1)
    if rc == ERR_ALREADY_REGISTERED:
        return False
    check(rc, "cuMemHostRegister")
    return True


def host_unregister(uintptr_t ptr):
    enter(dc_tls_device)
    check(api.cuMemHostUnregister(<void*>ptr), "cuMemHostUnregister")


def pointer_device(uint64_t ptr):
    """Device ordinal of a device pointer (CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL)."""
    cdef int dev = -1
    enter(dc_tls_device)
    check(api.cuPointerGetAttribute(&dev, 9, ptr), "cuPointerGetAttribute")
    return dev


# --- the GPU memory pool -----------------------------------------------------------------

cdef enum:
    SMALL_LIMIT = 1048576      # requests below this are "small" (the host pool's split)
    SMALL_UNIT = 512
    LARGE_MIN_STEP = 2097152

# stat rows (the host pool's order) x pools (all, small, large) x metrics
cdef enum:
    N_STAT = 6
    S_ALLOC = 0
    S_ALLOCATED = 1
    S_RESERVED = 2
    S_ACTIVE = 3
    S_REQUESTED = 4
    S_SEGMENT = 5


cdef inline size_t size_class(size_t n) noexcept nogil:
    """Block size for a request: 512-byte units below 1 MiB; above, 8 classes per power of
    two (at least 2 MiB apart), so a block wastes at most 12.5 %."""
    cdef size_t p, step
    if n < SMALL_LIMIT:
        return ((n + SMALL_UNIT - 1) // SMALL_UNIT) * SMALL_UNIT if n else SMALL_UNIT
    p = 1
    while p <= n // 2:
        p <<= 1
    step = p // 8
    if step < LARGE_MIN_STEP:
        step = LARGE_MIN_STEP
    return ((n + step - 1) // step) * step


@cython.final
@cython.freelist(64)
cdef class DeviceAllocation:
    """A block of GPU memory from a ``DevicePool``; goes back to the pool (on the stream it
    was allocated on) when the last reference is dropped."""
    cdef readonly uint64_t ptr
    cdef readonly size_t size          # bytes asked for
    cdef size_t block                  # bytes of the block (size class)
    cdef uintptr_t stream
    cdef uintptr_t arena               # the pool's free-list key (see _arena_key)
    cdef DevicePool pool

    def __dealloc__(self):
        if self.pool is not None and self.ptr:
            self.pool.release(self.ptr, self.block, self.size, self.arena)
            self.ptr = 0

    @property
    def device_id(self):
        return self.pool.device_id

    @property
    def stream_ptr(self):
        return self.stream

    def __repr__(self):
        return (f"<DeviceAllocation 0x{self.ptr:x} size={self.size} block={self.block} "
                f"cuda:{self.pool.device_id}>")


cdef inline uintptr_t _arena_key(uintptr_t stream) noexcept:
    """The pool's free-list key of a stream: its handle, except for the per-thread default
    stream, whose one handle names a different stream in each thread: (thread id << 2) | 2
    (stream handles are aligned, so no handle has these low bits)."""
    if stream == STREAM_PER_THREAD:
        return ((<uintptr_t>PyThread_get_thread_ident()) << 2) | 2
    return stream


cdef int _handoff(DeviceAllocation m) except -1:
    """Memory last written on another thread's per-thread default stream is used on this
    thread: that stream cannot be named from here, so wait for the device's queued work,
    then make the block this thread's (its release goes to this thread's free list, which
    is ordered after this thread's use)."""
    enter(m.pool.device_id)
    with nogil:
        rc = api.cuCtxSynchronize()
    check(rc, "cuCtxSynchronize")
    m.stream = dc_tls_stream
    m.arena = _arena_key(dc_tls_stream)
    return 0


cdef inline int ready_owner(object owner) except -1:
    cdef DeviceAllocation m
    if type(owner) is DeviceAllocation:
        m = <DeviceAllocation>owner
        if (m.arena & 3) == 2 and m.arena != _arena_key(dc_tls_stream):
            _handoff(m)
    return 0


cpdef int ready(object owner) except -1:
    """Make GPU memory (an allocation of the pool) safe to use on this thread's current
    stream: memory made on another thread's per-thread default stream (a dask task on
    another worker thread) is waited for once. Other owners are left as they are."""
    return ready_owner(owner)


@cython.final
cdef class DevicePool:
    """Stream-ordered caching allocator of GPU memory with size classes.

    A freed block is cached on the stream it was used on and handed again to requests of
    the same class on that stream without synchronizing (work on one stream runs in order);
    other streams get it only after ``free_all_blocks()`` (which synchronizes the device).
    Method names follow ``cupy.cuda.MemoryPool``; ``memory_stats()`` the host pool's keys.
    """
    cdef readonly int device_id
    cdef dict free                       # stream handle -> {block size: [ptr, ...]}
    cdef dict live_segments              # ptr -> block size, every cuMemAlloc'd block
    cdef int64_t stat[N_STAT][3][4]
    cdef size_t limit
    cdef int64_t n_free
    cdef int64_t hits, misses, retries, ooms, os_alloc, os_free
    cdef object lock

    def __init__(self, int device=0):
        self.device_id = device
        self.free = {}
        self.live_segments = {}
        self.limit = 0
        self.lock = threading.Lock()
        self._zero(True)

    cdef void _zero(self, bint everything):
        cdef int t, k, m
        for t in range(N_STAT):
            for k in range(3):
                for m in range(4):
                    if everything or m >= 2:
                        self.stat[t][k][m] = 0
        self.hits = self.misses = self.retries = self.ooms = 0
        if everything:
            self.os_alloc = self.os_free = 0

    cdef inline void _add(self, int t, int k, int64_t v) noexcept:
        # the "all" row (0), then row k: current, peak, allocated, freed
        cdef int64_t* s
        cdef int row[2]
        cdef int j
        row[0] = 0
        row[1] = k
        for j in range(2):
            s = self.stat[t][row[j]]
            s[0] += v
            if s[0] > s[1]:
                s[1] = s[0]
            if v > 0:
                s[2] += v
            else:
                s[3] -= v

    cpdef DeviceAllocation malloc(self, size_t nbytes, stream=None):
        """Allocate ``nbytes`` on the given stream (default: this thread's current)."""
        return self.alloc(nbytes, <uintptr_t>_stream_arg(stream))

    cdef DeviceAllocation alloc(self, size_t nbytes, uintptr_t stream):
        cdef DeviceAllocation a = DeviceAllocation.__new__(DeviceAllocation)
        cdef size_t block = size_class(nbytes)
        cdef int k = 1 if nbytes < SMALL_LIMIT else 2
        cdef list lst
        cdef uintptr_t key = _arena_key(stream)
        cdef dict arena = self.free.get(key)
        cdef uint64_t ptr = 0
        if arena is not None:
            lst = arena.get(block)
            if lst:
                ptr = lst.pop()
                self.n_free -= 1
                self.hits += 1
        if ptr == 0:
            ptr = self._fresh(block, nbytes)
            self.misses += 1
        a.ptr = ptr
        a.size = nbytes
        a.block = block
        a.stream = stream
        a.arena = key
        a.pool = self
        self._add(S_ALLOC, k, 1)
        self._add(S_ALLOCATED, k, <int64_t>block)
        self._add(S_ACTIVE, k, <int64_t>block)
        self._add(S_REQUESTED, k, <int64_t>nbytes)
        return a

    cdef uint64_t _fresh(self, size_t block, size_t nbytes) except 0:
        cdef CUdeviceptr p = 0
        cdef int k = 1 if nbytes < SMALL_LIMIT else 2
        cdef CUresult rc
        enter(self.device_id)
        if self.limit and self.stat[S_RESERVED][0][0] + <int64_t>block > <int64_t>self.limit:
            self.release_cached()
            if self.stat[S_RESERVED][0][0] + <int64_t>block > <int64_t>self.limit:
                gc.collect()
                self.retries += 1
                self.release_cached()
            if self.stat[S_RESERVED][0][0] + <int64_t>block > <int64_t>self.limit:
                self.ooms += 1
                self._oom(nbytes)
        with nogil:
            rc = api.cuMemAlloc(&p, block)
        if rc == ERR_OOM:
            self.release_cached()
            gc.collect()
            self.retries += 1
            self.release_cached()
            with nogil:
                rc = api.cuMemAlloc(&p, block)
            if rc == ERR_OOM:
                self.ooms += 1
                self._oom(nbytes)
        check(rc, "cuMemAlloc")
        self.os_alloc += 1
        self.live_segments[p] = block
        self._add(S_RESERVED, k, <int64_t>block)
        self._add(S_SEGMENT, k, 1)
        return p

    cdef _oom(self, size_t nbytes):
        from dotcompute._core._memory import OutOfMemoryError
        raise OutOfMemoryError(nbytes, self.stat[S_RESERVED][0][0], self.limit)

    cdef void release(self, uint64_t ptr, size_t block, size_t nbytes, uintptr_t stream):
        cdef int k = 1 if nbytes < SMALL_LIMIT else 2
        cdef dict arena = self.free.get(stream)
        cdef list lst
        if arena is None:
            arena = self.free[stream] = {}
        lst = arena.get(block)
        if lst is None:
            arena[block] = [ptr]
        else:
            lst.append(ptr)
        self.n_free += 1
        self._add(S_ALLOC, k, -1)
        self._add(S_ALLOCATED, k, -<int64_t>block)
        self._add(S_ACTIVE, k, -<int64_t>block)
        self._add(S_REQUESTED, k, -<int64_t>nbytes)

    cdef int release_cached(self) except -1:
        """Synchronize the device and cuMemFree every cached block."""
        cdef uint64_t p
        cdef size_t block
        cdef int k
        if not self.n_free:
            return 0
        enter(self.device_id)
        with nogil:
            api.cuCtxSynchronize()
        for arena in self.free.values():
            for block, lst in (<dict>arena).items():
                k = 1 if block < SMALL_LIMIT else 2
                for p in lst:
                    check(api.cuMemFree(p), "cuMemFree")
                    del self.live_segments[p]
                    self.os_free += 1
                    self._add(S_RESERVED, k, -<int64_t>block)
                    self._add(S_SEGMENT, k, -1)
        self.free.clear()
        self.n_free = 0
        return 0

    def free_all_blocks(self, stream=None):
        """Hand every cached (free) block back to the driver."""
        self.release_cached()

    def used_bytes(self):
        return self.stat[S_ALLOCATED][0][0]

    def total_bytes(self):
        return self.stat[S_RESERVED][0][0]

    def free_bytes(self):
        return self.stat[S_RESERVED][0][0] - self.stat[S_ALLOCATED][0][0]

    def n_free_blocks(self):
        return self.n_free

    def set_limit(self, size=None, fraction=None):
        """Limit the bytes the pool may reserve: ``size`` bytes or ``fraction`` of the
        device's memory; ``set_limit()`` removes it."""
        from dotcompute._core._memory import limit_bytes
        self.limit = limit_bytes(
            size, fraction, lambda: device_properties(self.device_id)["total_memory"])

    def get_limit(self):
        return self.limit

    def memory_stats(self):
        """Flat dict with the host pool's keys (PyTorch's conventions)."""
        from dotcompute._core._memory import stats_dict
        return stats_dict(lambda t, k, m: self.stat[t][k][m], self.retries, self.ooms,
                          self.os_alloc, self.os_free, self.hits, self.misses)

    def pool_info(self):
        from dotcompute._core._memory import info_dict
        return info_dict(self.stat[S_ALLOCATED][0][0], self.stat[S_RESERVED][0][0],
                         self.limit, self.n_free, self.hits, self.misses)

    def memory_summary(self):
        from dotcompute._core._memory import format_memory_summary
        return format_memory_summary(self.memory_stats(), self.pool_info(),
                                     f"dotcompute memory summary, cuda:{self.device_id}",
                                     "512-byte units below 1 MiB, 8 size classes per "
                                     "power of two above")

    def reset_peak_memory_stats(self):
        cdef int t, k
        for t in range(N_STAT):
            for k in range(3):
                self.stat[t][k][1] = self.stat[t][k][0]

    def reset_accumulated_memory_stats(self):
        self._zero(False)

    def __repr__(self):
        return (f"<DevicePool cuda:{self.device_id} used={self.used_bytes()} "
                f"total={self.total_bytes()} limit={self.limit}>")


_pools = {}


def get_pool(int device=-1):
    """The default GPU pool of a device (the current one by default)."""
    if device < 0:
        device = dc_tls_device
    p = _pools.get(device)
    if p is None:
        load()
        if device >= _n_devices:
            raise ValueError(f"cuda:{device} does not exist ({_n_devices} GPU(s))")
        p = _pools.setdefault(device, DevicePool(device))
    return p


cpdef DeviceAllocation alloc(size_t nbytes, int device=-1):
    """Allocate from a device's default pool on this thread's current stream (fast path)."""
    cdef DevicePool p = _pools.get(dc_tls_device if device < 0 else device)
    if p is None:
        p = get_pool(device)
    return p.alloc(nbytes, dc_tls_stream)


# --- the array description and the element-wise fast path --------------------------------

cdef bint _c_contig(tuple shape, tuple strides, Py_ssize_t itemsize):
    cdef Py_ssize_t s = itemsize, i, n
    for i in range(len(shape) - 1, -1, -1):
        n = shape[i]
        if n == 0:
            return True
        if n != 1 and <Py_ssize_t>strides[i] != s:
            return False
        s *= n
    return True


cdef tuple _c_strides(tuple shape, Py_ssize_t itemsize):
    cdef Py_ssize_t s = itemsize, i, n
    cdef list out = [0] * len(shape)
    for i in range(len(shape) - 1, -1, -1):
        out[i] = s
        n = shape[i]
        s *= n if n > 1 else 1
    return tuple(out)


@cython.final
cdef class FastElementwise:
    """The contiguous kernel of one element-wise plan, called without Python in between:
    ``call(a[, b])`` checks that the operands are C-contiguous GPU arrays of one shape on
    one device and 16-byte aligned (else returns None: the caller takes the general path),
    allocates the output from the pool on the current stream and launches."""
    cdef Function f
    cdef int vec
    cdef object out_dtype
    cdef Py_ssize_t out_itemsize
    cdef DevicePool pool

    cdef int out_t
    cdef int spos            # the operand passed by value (a Python scalar), or -1
    cdef int s_mode          # its loop type: 0 float32, 1 float64, 2 an integer type
    cdef long long s_lo, s_hi    # ... whose range a Python int must be in (NEP 50)

    def __init__(self, Function f, int vec, out_dtype, int scalar_pos=-1,
                 scalar_dtype=None):
        self.f = f
        self.vec = vec
        self.out_dtype = out_dtype
        self.out_itemsize = out_dtype.itemsize
        self.out_t = type_index(out_dtype)
        self.pool = get_pool(f.device_id)
        self.spos = scalar_pos
        if scalar_dtype is not None:
            if scalar_dtype.kind == "f":
                self.s_mode = 0 if scalar_dtype.itemsize == 4 else 1
            else:
                import numpy as np
                info = np.iinfo(scalar_dtype)
                self.s_mode = 2
                self.s_lo = info.min
                self.s_hi = min(info.max, 2 ** 63 - 1)

    cdef int _launch(self, uint64_t pa, uint64_t pb, bint binary, uint64_t pout,
                     long long n) except -1:
        cdef void* params[4]
        cdef int k = 0
        params[0] = &pa
        if binary:
            params[1] = &pb
            k = 1
        params[k + 1] = &pout
        params[k + 2] = &n
        return self._go(params, n)

    cdef int _go(self, void** params, long long n) except -1:
        cdef long long nv = (n + self.vec - 1) // self.vec
        cdef unsigned int blocks = (<unsigned int>((nv + 255) // 256)
                                    if nv < 0x7fffffff * 256 else 0x7fffffff)
        if dc_tls_ctx != _ctx[self.f.device_id]:
            enter(self.f.device_id)
        rc = api.cuLaunchKernel(self.f.handle, blocks, 1, 1, 256, 1, 1, 0,
                                <CUstream>dc_tls_stream, params, NULL)
        if rc != 0:
            _raise(rc, "cuLaunchKernel(" + self.f.name + ")")
        return 0

    cdef object call_scalar(self, ndarray a, object value):
        """The fast path with a Python float / int operand (at self.spos), passed by value
        in the loop type; None unless a is C-contiguous and 16-byte aligned and an int is
        in the range of an integer loop type (else NumPy's OverflowError comes from the
        general path). A float loop converts as NumPy does (an int too large for a double
        raises OverflowError)."""
        cdef void* params[4]
        cdef float vf = 0
        cdef double vd = 0
        cdef long long vi = 0
        cdef int overflow = 0
        cdef uint64_t pa, pout
        cdef long long n
        if not a._c_contig or (<size_t>a._data & 15):
            return None
        if self.s_mode == 2:
            vi = PyLong_AsLongLongAndOverflow(value, &overflow)
            if overflow or vi < self.s_lo or vi > self.s_hi:
                return None
        else:
            vd = value
            vf = <float>vd
        ready_owner(a._mem)
        n = a._size
        cdef DeviceAllocation mem = self.pool.alloc(n * self.out_itemsize, dc_tls_stream)
        cdef ndarray out = device_result(a, mem, mem.ptr, self.out_t, self.out_itemsize)
        if n:
            pa = <uint64_t><size_t>a._data
            pout = mem.ptr
            # an integer loop type reads the low bytes of the 64-bit value (little-endian)
            params[self.spos] = (<void*>&vf if self.s_mode == 0 else
                                 <void*>&vd if self.s_mode == 1 else <void*>&vi)
            params[1 - self.spos] = &pa
            params[2] = &pout
            params[3] = &n
            self._go(params, n)
        return out

    cdef object call_nd(self, ndarray a, ndarray b):
        """The fast path on dc arrays: None unless a (and b) are C-contiguous, 16-byte
        aligned and of one shape (b on a's device); the result is a dc array on a's
        device."""
        cdef int i
        if not a._c_contig or (<size_t>a._data & 15):
            return None
        if b is not None:
            if not b._c_contig or (<size_t>b._data & 15) or b._ndim != a._ndim:
                return None
            for i in range(a._ndim):
                if a._shape[i] != b._shape[i]:
                    return None
            if b._dev is not a._dev and b._dev != a._dev:
                return None
        ready_owner(a._mem)
        if b is not None:
            ready_owner(b._mem)
        cdef long long n = a._size
        cdef DeviceAllocation mem = self.pool.alloc(n * self.out_itemsize, dc_tls_stream)
        cdef ndarray out = device_result(a, mem, mem.ptr, self.out_t, self.out_itemsize)
        if n:
            self._launch(<uint64_t><size_t>a._data,
                         0 if b is None else <uint64_t><size_t>b._data, b is not None,
                         mem.ptr, n)
        return out

    cpdef object call(self, DeviceView a, DeviceView b=None):
        cdef long long n
        if not a.c_contiguous or a.device_id != self.f.device_id or (a.data_ptr & 15):
            return None
        if b is not None:
            if (not b.c_contiguous or b.device_id != a.device_id or (b.data_ptr & 15)
                    or not (b.shape == a.shape)):
                return None
        n = a.size
        cdef DeviceAllocation mem = self.pool.alloc(n * self.out_itemsize, dc_tls_stream)
        cdef DeviceView out = DeviceView.__new__(DeviceView)
        out._owner = mem
        out.data_ptr = mem.ptr
        out.shape = a.shape
        out.strides = (a.strides if self.out_itemsize == a.dtype.itemsize
                       else _c_strides(a.shape, self.out_itemsize))
        out.dtype = self.out_dtype
        out.device_id = a.device_id
        out.size = n
        out.c_contiguous = True
        if n:
            self._launch(a.data_ptr, 0 if b is None else b.data_ptr, b is not None,
                         mem.ptr, n)
        return out


# ufunc -> {key: FastElementwise}; key = (code of x * 32 + code of y) * 64 + device, where
# the code of an array is its kernel type, of a Python float 30, of a Python int 29, and of
# a missing y 31
cdef dict _fast_nd = {}
cdef enum:
    CODE_INT = 29
    CODE_FLOAT = 30
    CODE_NONE = 31


cdef int _code(object t) except -2:
    if t is float:
        return CODE_FLOAT
    if t is int:
        return CODE_INT
    return type_index(t)


def register_fast(ufunc, types, int device, FastElementwise fp):
    """Make `fp` the per-call fast path of ufunc on operands of these types (dtypes of dc
    arrays, or the Python types float / int of a scalar operand) on cuda:device
    (`fast_call`)."""
    cdef int ta = _code(types[0])
    cdef int tb = _code(types[1]) if len(types) > 1 else CODE_NONE
    if ta < 0 or tb < 0 or device >= 64:
        return
    _fast_nd.setdefault(ufunc, {})[(ta * 32 + tb) * 64 + device] = fp


cpdef object fast_call(object ufunc, object x, object y):
    """ufunc(x, y) (y None: ufunc(x)) for dc arrays on one GPU through a registered
    contiguous kernel, with no Python in between; None when that does not apply (the
    caller takes the general path, which also registers fast paths)."""
    cdef dict table = _fast_nd.get(ufunc)
    cdef ndarray a, b = None
    cdef object fp
    cdef type ty
    if table is None:
        return None
    if type(x) is not ndarray:
        # a Python scalar and a dc array: 2.5 - x
        ty = type(x)
        if (ty is not float and ty is not int) or type(y) is not ndarray:
            return None
        b = <ndarray>y
        if b._host or b._t < 0:
            return None
        fp = table.get(((CODE_FLOAT if ty is float else CODE_INT) * 32 + b._t) * 64
                       + <int>b._dev.index)
        if fp is None:
            return None
        return (<FastElementwise>fp).call_scalar(b, x)
    a = <ndarray>x
    if a._host or a._t < 0:
        return None
    if y is None:
        fp = table.get((a._t * 32 + CODE_NONE) * 64 + <int>a._dev.index)
        if fp is None:
            return None
        return (<FastElementwise>fp).call_nd(a, None)
    ty = type(y)
    if ty is ndarray:
        b = <ndarray>y
        if b._t < 0:
            return None
        fp = table.get((a._t * 32 + b._t) * 64 + <int>a._dev.index)
        if fp is None:
            return None
        return (<FastElementwise>fp).call_nd(a, b)
    if ty is float or ty is int:
        fp = table.get((a._t * 32 + (CODE_FLOAT if ty is float else CODE_INT)) * 64
                       + <int>a._dev.index)
        if fp is None:
            return None
        return (<FastElementwise>fp).call_scalar(a, y)
    return None

@cython.final
cdef class DeviceView:
    """GPU memory as an N-d array (pointer, shape, byte strides, dtype, owner).

    The minimal array of this package (what its kernels read); see ``_array.py``."""
    cdef public object _owner
    cdef public uint64_t data_ptr
    cdef public tuple shape
    cdef public tuple strides
    cdef public object dtype
    cdef public int device_id
    cdef public Py_ssize_t size
    cdef public bint c_contiguous
    cdef object __weakref__

    def __init__(self, owner, ptr, shape, strides, dtype, device_id=0):
        self._owner = owner
        self.data_ptr = ptr
        self.shape = tuple(shape)
        self.strides = tuple(strides)
        self.dtype = dtype
        self.device_id = device_id
        n = 1
        for d in shape:
            n *= d
        self.size = n
        self.c_contiguous = _c_contig(self.shape, self.strides, dtype.itemsize)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def nbytes(self):
        return self.size * self.dtype.itemsize

    @property
    def device(self):
        return f"cuda:{self.device_id}"

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __repr__(self):
        return (f"<DeviceView shape={self.shape} dtype={self.dtype} on cuda:{self.device_id} "
                f"at 0x{self.data_ptr:x}>")

    def __array__(self, dtype=None, copy=None):
        raise TypeError("implicit conversion of a GPU array to a NumPy array is not allowed: "
                        "use x.get(), dotcompute.asnumpy(x) or x.to_device('cpu')")

    @property
    def __cuda_array_interface__(self):
        strides = None if self.c_contiguous else self.strides
        return {"shape": self.shape, "typestr": self.dtype.str, "descr": [("", self.dtype.str)],
                "data": (self.data_ptr, False), "strides": strides, "version": 3,
                "stream": <uintptr_t>dc_tls_stream or None}

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        if dl_device is not None and tuple(dl_device) != (kDLCUDA, self.device_id):
            raise BufferError("dotcompute: a GPU array exports DLPack on its own device only "
                              "(use x.get() for a host copy)")
        if copy:
            raise BufferError("dotcompute: DLPack export with copy=True is not supported")
        return to_dlpack(self, stream)

    def __dlpack_device__(self):
        return (kDLCUDA, self.device_id)

    def get(self, stream=None, out=None):
        """Copy to a new NumPy array (C order) on the host."""
        from dotcompute.cuda._transfer import to_host
        return to_host(self, out=out, stream=stream)

    # --- metadata-only views (NumPy's rules on a stand-in array) -----------------------

    def _stand_in(self):
        import numpy as np
        base = np.empty(1, self.dtype)
        return base, np.lib.stride_tricks.as_strided(base, self.shape, self.strides)

    def _view_like(self, base, v):
        off = v.__array_interface__["data"][0] - base.__array_interface__["data"][0]
        return DeviceView(self._owner, self.data_ptr + off, v.shape, v.strides, self.dtype,
                          self.device_id)

    def basic_index(self, key):
        """View for a basic-indexing key (ints, slices, None, Ellipsis); None if the key is
        not basic (the caller then runs a gather kernel)."""
        import numpy as np
        if not isinstance(key, tuple):
            key = (key,)
        for k in key:
            if not (k is None or k is Ellipsis or isinstance(k, (slice, int, np.integer))
                    ) or isinstance(k, (bool, np.bool_)):
                return None
        if not any(k is Ellipsis for k in key):
            # an Ellipsis makes NumPy return a 0-d view where all-integer keys would give
            # a scalar (a copy, whose address is not in the stand-in)
            key = key + (Ellipsis,)
        base, fake = self._stand_in()
        return self._view_like(base, fake[key])

    def transpose(self, *axes):
        base, fake = self._stand_in()
        return self._view_like(base, fake.transpose(*axes))

    @property
    def T(self):
        return self.transpose()

    def reshape_view(self, shape):
        """A view with the new shape when the data is C-contiguous, else None."""
        if not self.c_contiguous:
            return None
        base, fake = self._stand_in()
        return self._view_like(base, fake.reshape(shape))


# --- DLPack ----------------------------------------------------------------------------

from cpython.pycapsule cimport (PyCapsule_New, PyCapsule_IsValid, PyCapsule_GetPointer,
                                PyCapsule_SetName)
from cpython.ref cimport Py_INCREF, Py_DECREF, PyObject
from libc.stdlib cimport malloc, free
from libc.stdint cimport int32_t, uint8_t, uint16_t

cdef extern from *:
    """
    typedef struct { int32_t device_type; int32_t device_id; } DLDevice;
    typedef struct { uint8_t code; uint8_t bits; uint16_t lanes; } DLDataType;
    typedef struct { void* data; DLDevice device; int32_t ndim; DLDataType dtype;
                     int64_t* shape; int64_t* strides; uint64_t byte_offset; } DLTensor;
    typedef struct DLManagedTensor { DLTensor dl_tensor; void* manager_ctx;
                                     void (*deleter)(struct DLManagedTensor*); } DLManagedTensor;
    """
    ctypedef struct DLDevice:
        int32_t device_type
        int32_t device_id
    ctypedef struct DLDataType:
        uint8_t code
        uint8_t bits
        uint16_t lanes
    ctypedef struct DLTensor:
        void* data
        DLDevice device
        int32_t ndim
        DLDataType dtype
        int64_t* shape
        int64_t* strides
        uint64_t byte_offset
    ctypedef struct DLManagedTensor:
        DLTensor dl_tensor
        void* manager_ctx
        void (*deleter)(DLManagedTensor*) noexcept

cdef int kDLCUDA = 2
_DL_CODES = {"i": 0, "u": 1, "f": 2, "b": 6}
_DL_KINDS = {0: "i", 1: "u", 2: "f", 6: "b"}


cdef void _dl_deleter(DLManagedTensor* m) noexcept with gil:
    Py_DECREF(<object>m.manager_ctx)
    free(m.dl_tensor.shape)
    free(m)


cdef void _dl_capsule_destructor(object capsule) noexcept:
    cdef DLManagedTensor* m
    if PyCapsule_IsValid(capsule, b"dltensor"):
        m = <DLManagedTensor*>PyCapsule_GetPointer(capsule, b"dltensor")
        m.deleter(m)


def _dl_sync_to(stream):
    """Make the consumer's stream wait for work queued on our current stream."""
    cdef CUevent e = NULL
    if stream is None or stream == -1:
        return
    s = <uintptr_t>int(stream)
    if s == dc_tls_stream:
        return
    enter(dc_tls_device)
    check(api.cuEventCreate(&e, 2), "cuEventCreate")
    try:
        check(api.cuEventRecord(e, <CUstream>dc_tls_stream), "cuEventRecord")
        check(api.cuStreamWaitEvent(<CUstream>s, e, 0), "cuStreamWaitEvent")
    finally:
        api.cuEventDestroy(e)


def to_dlpack(DeviceView x, stream=None):
    """A DLPack capsule ("dltensor", kDLCUDA) viewing x's memory (zero-copy)."""
    cdef DLManagedTensor* m
    cdef int nd = len(x.shape), i
    cdef Py_ssize_t item = x.dtype.itemsize
    kind = x.dtype.kind
    if kind not in _DL_CODES:
        raise TypeError(f"dtype {x.dtype} cannot be exported through DLPack")
    for st in x.strides:
        if st % item:
            raise BufferError("DLPack needs strides that are multiples of the item size")
    _dl_sync_to(stream)
    m = <DLManagedTensor*>malloc(sizeof(DLManagedTensor))
    if m == NULL:
        raise MemoryError()
    m.dl_tensor.shape = <int64_t*>malloc(sizeof(int64_t) * (2 * nd + 1))
    if m.dl_tensor.shape == NULL:
        free(m)
        raise MemoryError()
    m.dl_tensor.strides = m.dl_tensor.shape + nd
    for i in range(nd):
        m.dl_tensor.shape[i] = x.shape[i]
        m.dl_tensor.strides[i] = x.strides[i] // item
    m.dl_tensor.data = <void*><uintptr_t>x.data_ptr
    m.dl_tensor.device.device_type = kDLCUDA
    m.dl_tensor.device.device_id = x.device_id
    m.dl_tensor.ndim = nd
    m.dl_tensor.dtype.code = _DL_CODES[kind]
    m.dl_tensor.dtype.bits = 8 * item
    m.dl_tensor.dtype.lanes = 1
    m.dl_tensor.byte_offset = 0
    Py_INCREF(x)
    m.manager_ctx = <void*>x
    m.deleter = _dl_deleter
    return PyCapsule_New(m, b"dltensor", _dl_capsule_destructor)


@cython.final
cdef class _DLOwner:
    """Keeps an imported DLPack tensor alive; calls its deleter when dropped."""
    cdef DLManagedTensor* m

    def __dealloc__(self):
        if self.m != NULL and self.m.deleter != NULL:
            self.m.deleter(self.m)
        self.m = NULL


def from_dlpack(obj):
    """A DeviceView over a CUDA DLPack tensor (torch, CuPy, JAX ...), zero-copy."""
    import numpy as np
    cdef DLManagedTensor* m
    cdef DLTensor* t
    cdef int i
    cdef _DLOwner owner
    if not hasattr(obj, "__dlpack__"):
        raise TypeError(f"{type(obj).__name__} does not support DLPack")
    dev_type, dev_id = obj.__dlpack_device__()
    if dev_type != kDLCUDA:
        raise TypeError(f"from_dlpack: the tensor is not on a CUDA device (DLPack device "
                        f"type {dev_type}); move it to the GPU first")
    # the per-thread default stream (2) is not accepted by every producer (torch): ask
    # for the legacy default stream (1), which the per-thread stream synchronizes with
    cap = obj.__dlpack__(stream=1 if dc_tls_stream == 2 else <uintptr_t>dc_tls_stream)
    if not PyCapsule_IsValid(cap, b"dltensor"):
        raise TypeError("from_dlpack: expected an unused 'dltensor' capsule")
    m = <DLManagedTensor*>PyCapsule_GetPointer(cap, b"dltensor")
    t = &m.dl_tensor
    if t.dtype.lanes != 1 or t.dtype.code not in _DL_KINDS:
        raise TypeError(f"from_dlpack: unsupported DLPack dtype (code {t.dtype.code}, "
                        f"bits {t.dtype.bits}, lanes {t.dtype.lanes})")
    dtype = np.dtype("?" if t.dtype.code == 6 else f"{_DL_KINDS[t.dtype.code]}{t.dtype.bits // 8}")
    item = dtype.itemsize
    shape = tuple(t.shape[i] for i in range(t.ndim))
    if t.strides == NULL:
        strides = _c_strides(shape, item)
    else:
        strides = tuple(t.strides[i] * item for i in range(t.ndim))
    owner = _DLOwner.__new__(_DLOwner)
    owner.m = m
    PyCapsule_SetName(cap, b"used_dltensor")
    ptr = <uintptr_t>t.data + t.byte_offset
    return DeviceView(owner, ptr, shape, strides, dtype, t.device.device_id)


def from_cuda_array_interface(obj):
    """A DeviceView over an object exporting ``__cuda_array_interface__`` (zero-copy)."""
    import numpy as np
    cai = obj.__cuda_array_interface__
    dtype = np.dtype(cai["typestr"])
    shape = tuple(cai["shape"])
    strides = cai.get("strides") or _c_strides(shape, dtype.itemsize)
    ptr = cai["data"][0]
    s = cai.get("stream")
    cdef CUstream cs
    if s is not None and <uintptr_t>s != dc_tls_stream:
        enter(dc_tls_device)
        cs = <CUstream><uintptr_t>s
        with nogil:
            api.cuStreamSynchronize(cs)
    dev = pointer_device(ptr) if ptr else dc_tls_device
    return DeviceView(obj, ptr, shape, tuple(strides), dtype, dev)
