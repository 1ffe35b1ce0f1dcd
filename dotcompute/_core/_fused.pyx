# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The fused-expression interpreter: runs a typed register program block by block.

A `Program` is built by the compiler (`dotcompute._compiler`) from a parsed, typed
expression; this module only knows registers and instructions, never expressions:

- registers are inputs (arrays, broadcast to the result shape), constants (one value,
  stride 0), temporaries (one cache-sized block per thread) or outputs;
- instructions call the selected kernel build's serial loops (`binary`, `unary`, `cast`,
  `where` of `dc_kernel_table`) on one block at a time, with byte strides;
- an optional reduction folds the last register of each block into one partial per block;
  partials are combined in block order after the parallel loop (deterministic for any
  thread count).

The element space (the broadcast shape, after dropping extents of 1 and merging dimensions
every operand walks contiguously) is cut into blocks of at most BLK (512) elements of the
innermost dimension, so a program's temporaries stay in L1/L2; blocks are spread over
threads with a static prange, each thread with its own temporaries (cached by the program
between calls). Nothing of the full size is allocated except the results.

The array layer does not import this module's caller (the compiler): data flows
compiler -> Program (here) -> kernel table.
"""
cimport cython
from cython.parallel cimport prange, threadid
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy, memset
from libc.math cimport copysign

cimport numpy as cnp

from dotcompute._core._kernel_table cimport *
from dotcompute._core._memory cimport DeviceMemory, dc_malloc
from dotcompute._core._dtypes cimport type_dtype, type_size, is_min_or_max, DC_R_MIN
from dotcompute._core._kernel_access cimport (Operand, MAXDIMS, NOGIL_MIN, kernel_table,
                                              threads_for, unsafe_overlap)
from dotcompute._core._ndarray cimport ndarray, operand_of
from dotcompute._core._routines_creation cimport empty_c

import numpy as np

from dotcompute._core._kernel_access import ISA, serial_threshold

cnp.import_array()

cdef extern from "dc_stream.h" nogil:
    void dc_stream_copy(char *dst, const char *src, Py_ssize_t n)
    void dc_stream_fence()

DEF MAXREG = 64         # registers of one program (inputs + constants + temporaries + outputs)
# Outputs of at least this many bytes are written with streaming stores (larger than a
# typical last-level cache: below it the result is better left in cache for its reader).
cdef Py_ssize_t STREAM_MIN_BYTES = 32 << 20


def set_stream_min_bytes(Py_ssize_t n):
    """Output size from which results are written with non-temporal stores (-1: never)."""
    global STREAM_MIN_BYTES
    STREAM_MIN_BYTES = n if n >= 0 else (<Py_ssize_t>1 << 62)

# Instruction kinds
DEF I_UNARY = 0         # unary loop or cast: fn(a, sa, o, so, n)
DEF I_BINARY = 1        # fn(a, sa, b, sb, o, so, n)
DEF I_WHERE = 2         # fn(c, sc, a, sa, b, sb, o, so, n)

# Register kinds (also the compiler's names: _fused.R_INPUT, ...)
cpdef enum RegisterKind:
    R_INPUT = 0
    R_CONST = 1
    R_TEMP = 2
    R_OUTPUT = 3

globals().update(RegisterKind.__members__)    # _fused.R_INPUT, ... for the compiler

# Elements per block.
DEF BLK = 512
# Temporary slots are staggered by a few cache lines so that slots of one thread do not
# all map to the same L1 sets (4 KiB aliasing between a load and an earlier store).
DEF SLOT_PAD = 320


def get_block_size():
    return BLK

cdef dc_kernel_table *K = kernel_table()


cdef struct Instr:
    int kind
    void *fn
    int dst, a, b, c


cdef struct Prog:
    int nregs, ninstr, nslots
    int kind[MAXREG]          # RK_*
    int index[MAXREG]         # input / output number, temporary slot
    int t[MAXREG]             # kernel type index
    char *cdata[MAXREG]       # constants: the value
    Py_ssize_t isz[MAXREG]    # item size
    Instr *instr
    int result                # register the reduction reads
    dc_reduce_fn reduce
    Py_ssize_t slot_bytes     # bytes of one temporary slot (blk elements of 8 bytes + pad)
    Py_ssize_t blk            # elements per block


cdef struct Run:
    int nouter                # outer dimensions (all but the innermost)
    Py_ssize_t inner          # extent of the innermost dimension
    Py_ssize_t bpr            # blocks per row of the innermost dimension
    Py_ssize_t blk            # elements per block
    Py_ssize_t outer_shape[MAXDIMS]
    char *base[MAXREG]        # array registers: first element
    Py_ssize_t st[MAXREG][MAXDIMS + 1]   # byte strides; st[r][nouter] is the inner one
    char *scratch             # per-thread temporaries
    Py_ssize_t thread_bytes
    char *partials            # one DC_PARTIAL_BYTES partial per block
    bint stream               # outputs staged in a temporary slot, then streamed out


cdef void _exec_block(const Prog *P, const Run *S, Py_ssize_t blk, int tid) noexcept nogil:
    """Run the program over block `blk` with thread `tid`'s temporaries."""
    cdef char *p[MAXREG]
    cdef Py_ssize_t s[MAXREG]
    cdef Py_ssize_t row = blk // S.bpr
    cdef Py_ssize_t j0 = (blk - row * S.bpr) * S.blk
    cdef Py_ssize_t m = S.inner - j0
    cdef Py_ssize_t idx, off, start
    cdef int r, d, k
    cdef char *tmp = S.scratch + tid * S.thread_bytes
    cdef char *out_p[MAXREG]
    cdef const Instr *ins
    if m > S.blk:
        m = S.blk
    for r in range(P.nregs):
        k = P.kind[r]
        if k == R_TEMP:
            p[r] = tmp + P.index[r] * P.slot_bytes
            s[r] = P.isz[r]
        elif k == R_CONST:
            p[r] = P.cdata[r]
            s[r] = 0
        else:
            off = j0 * S.st[r][S.nouter]
            idx = row
            for d in range(S.nouter - 1, -1, -1):
                off += (idx % S.outer_shape[d]) * S.st[r][d]
                idx = idx // S.outer_shape[d]
            p[r] = S.base[r] + off
            s[r] = S.st[r][S.nouter]
    if S.stream:
        for r in range(P.nregs):
            if P.kind[r] == R_OUTPUT:
                out_p[P.index[r]] = p[r]
                p[r] = tmp + (P.nslots + P.index[r]) * P.slot_bytes
                s[r] = P.isz[r]
    for k in range(P.ninstr):
        ins = &P.instr[k]
        if ins.kind == I_BINARY:
            (<dc_binary_fn>ins.fn)(p[ins.a], s[ins.a], p[ins.b], s[ins.b],
                                   p[ins.dst], s[ins.dst], m)
        elif ins.kind == I_UNARY:
            (<dc_unary_fn>ins.fn)(p[ins.a], s[ins.a], p[ins.dst], s[ins.dst], m)
        else:
            (<dc_where_fn>ins.fn)(p[ins.c], s[ins.c], p[ins.a], s[ins.a], p[ins.b], s[ins.b],
                                  p[ins.dst], s[ins.dst], m)
    if S.stream:
        for r in range(P.nregs):
            if P.kind[r] == R_OUTPUT:
                dc_stream_copy(out_p[P.index[r]], p[r], m * P.isz[r])
        dc_stream_fence()
    if P.reduce != NULL:
        start = row * S.inner + j0
        P.reduce(p[P.result], s[P.result], m, start, S.partials + blk * DC_PARTIAL_BYTES)


cdef void _exec_all(const Prog *P, const Run *S, Py_ssize_t nblocks, int nt) noexcept nogil:
    cdef Py_ssize_t b
    if nt <= 1:
        for b in range(nblocks):
            _exec_block(P, S, b, 0)
    else:
        for b in prange(nblocks, num_threads=nt, schedule="static"):
            _exec_block(P, S, b, threadid())


cdef class Program:
    """A compiled fused program (see the module docstring). Built by the compiler from:

    regs    -- [(kind, index, type index, constant bytes or None)] with kind one of R_INPUT
               (index: argument number), R_CONST, R_TEMP (index: slot), R_OUTPUT (index:
               output number)
    instrs  -- [(kind, op, type, dst, a, b, c)]: kind "unary" (op: unary op index), "binary"
               (op: binary op index), "cast" (op: source type index, type: target), "where"
               (c: the bool condition register)
    nslots  -- temporaries per thread
    threshold -- elements below which the program runs on one thread
    reduce  -- None or (reduce op index, input type index, accumulator type index,
               pairwise, register reduced): `pairwise` sums the block partials pairwise
               (float sums)
    in_types / out_types -- kernel type index of every input / output
    """
    cdef Prog P
    cdef list _consts           # keeps constant bytes alive
    cdef int nin, nout
    cdef int in_t[MAXREG]
    cdef int out_t[MAXREG]
    cdef Py_ssize_t threshold
    cdef bint has_reduce, pairwise
    cdef int red_op, red_t, acc_t
    cdef dc_combine_fn combine
    cdef dc_reduce_fn acc_sum
    cdef public object source   # the compiler's description (for repr / debugging)
    cdef DeviceMemory _scratch  # temporaries kept between calls (None while in use)

    def __cinit__(self):
        self.P.instr = NULL

    def __init__(self, list regs, list instrs, int nslots, Py_ssize_t threshold,
                 object reduce, list in_types, list out_types, object source=None):
        cdef int i, kind
        cdef void *fn
        if len(regs) > MAXREG:
            raise NotImplementedError(
                f"expression too complex: {len(regs)} registers (at most {MAXREG})")
        if len(in_types) > MAXREG or len(out_types) > MAXREG:
            raise NotImplementedError("too many operands")
        self.source = source
        self._consts = []
        self.P.nregs = len(regs)
        self.P.nslots = nslots
        self.P.blk = BLK
        self.P.slot_bytes = BLK * 8 + SLOT_PAD
        for i, (kind, index, t, cbytes) in enumerate(regs):
            self.P.kind[i] = kind
            self.P.index[i] = index
            self.P.t[i] = t
            self.P.cdata[i] = NULL
            self.P.isz[i] = type_size(t)
            if kind == R_CONST:
                cbytes = bytes(cbytes) + b"\0" * 16      # room for any type, aligned copy
                self._consts.append(cbytes)
                self.P.cdata[i] = <char *>(<bytes>cbytes)
        self.P.ninstr = len(instrs)
        self.P.instr = <Instr *>malloc(sizeof(Instr) * (len(instrs) + 1))
        if self.P.instr == NULL:
            raise MemoryError()
        for i, (kind_s, op, t, dst, a, b, c) in enumerate(instrs):
            if kind_s == "binary":
                kind = I_BINARY
                fn = <void *>K.binary[op][t]
            elif kind_s == "unary":
                kind = I_UNARY
                fn = <void *>K.unary[op][t]
            elif kind_s == "cast":
                kind = I_UNARY
                fn = <void *>K.cast[op][t]
            elif kind_s == "where":
                kind = I_WHERE
                fn = <void *>K.where[t]
            else:
                raise ValueError(f"unknown instruction kind {kind_s!r}")
            if fn == NULL:
                raise NotImplementedError(
                    f"no {kind_s} kernel for op {op} on {type_dtype(t)}")
            self.P.instr[i].kind = kind
            self.P.instr[i].fn = fn
            self.P.instr[i].dst = dst
            self.P.instr[i].a = a
            self.P.instr[i].b = b
            self.P.instr[i].c = c
        self.nin = len(in_types)
        self.nout = len(out_types)
        for i in range(self.nin):
            self.in_t[i] = in_types[i]
        for i in range(self.nout):
            self.out_t[i] = out_types[i]
        self.threshold = threshold
        self.P.reduce = NULL
        self.has_reduce = reduce is not None
        if self.has_reduce:
            self.red_op, self.red_t, self.acc_t, self.pairwise, self.P.result = reduce
            self.P.reduce = K.reduce[self.red_op][self.red_t]
            self.combine = K.combine[self.red_op][self.acc_t]
            self.acc_sum = K.reduce[self.red_op][self.acc_t]
            if self.P.reduce == NULL or self.combine == NULL:
                raise NotImplementedError("no reduction kernel")
            for i in range(self.P.nregs):
                if self.P.kind[i] == R_OUTPUT:
                    raise ValueError("a reduction program has no output registers")

    def __dealloc__(self):
        if self.P.instr != NULL:
            free(self.P.instr)

    def __repr__(self):
        return f"<dotcompute fused Program {self.source!r}>"

    @property
    def ninstr(self):
        return self.P.ninstr

    @property
    def nslots(self):
        return self.P.nslots

    def run(self, args, outs=None):
        """Evaluate over the arrays `args` (dc or numpy arrays, matching in_types; 0-d for
        scalars). outs: None or a list with one entry per output, None to allocate.
        Returns the list of outputs, or the 0-d result array of a reduction."""
        cdef Operand A[MAXREG]
        cdef Run S
        cdef int nd = 0, i, r, d, j, k, nt, nouter
        cdef Py_ssize_t shape[MAXDIMS]
        cdef Py_ssize_t cshape[MAXDIMS]
        cdef Py_ssize_t e, n, nblocks, total
        cdef object res = None
        cdef list outl
        cdef list copy_back = None            # (index, original) of misaligned outputs
        cdef int nargs = len(args)
        cdef DeviceMemory mem = None
        cdef char *scratch = NULL
        cdef int nrar = 0                     # array registers
        cdef int rar[MAXREG]                  # their register numbers
        cdef Operand *ra[MAXREG]
        if nargs != self.nin:
            raise TypeError(f"expected {self.nin} operands, got {nargs}")
        if outs is None:
            outl = [None] * self.nout
        else:
            outl = list(outs)
            if len(outl) != self.nout:
                raise ValueError(f"expected {self.nout} outputs, got {len(outl)}")
        # ---- operands and the broadcast shape
        for i in range(nargs):
            if not operand_of(args[i], &A[i], True):
                raise TypeError(f"operand {i} is not an array")
            if A[i].t != self.in_t[i]:
                if A[i].t < 0 and np.asarray(args[i]).dtype == type_dtype(self.in_t[i]):
                    # right dtype, data the kernels cannot take (misaligned): an aligned copy
                    if type(args) is not list:
                        args = list(args)
                    args[i] = np.array(np.asarray(args[i]), copy=True)
                    operand_of(args[i], &A[i], True)
                else:
                    raise TypeError(f"operand {i} has dtype {args[i].dtype}, the program "
                                    f"was compiled for {type_dtype(self.in_t[i])}")
            if A[i].ndim > nd:
                nd = A[i].ndim
        for j in range(self.nout):
            if outl[j] is not None:
                if not operand_of(outl[j], &A[nargs + j], True):
                    raise TypeError("out must be an array")
                if not outl[j].flags.writeable:
                    raise ValueError("output array is read-only")
                if A[nargs + j].t != self.out_t[j]:
                    if (A[nargs + j].t < 0
                            and np.asarray(outl[j]).dtype == type_dtype(self.out_t[j])):
                        # right dtype, misaligned: compute into an aligned array, copy back
                        if copy_back is None:
                            copy_back = []
                        copy_back.append((j, outl[j]))
                        outl[j] = np.empty(np.shape(outl[j]), type_dtype(self.out_t[j]))
                        operand_of(outl[j], &A[nargs + j], True)
                    else:
                        raise TypeError(f"output {j} must have dtype "
                                        f"{type_dtype(self.out_t[j])}")
                if A[nargs + j].ndim > nd:
                    nd = A[nargs + j].ndim
        if nd > MAXDIMS:
            raise ValueError(f"maximum supported dimension for an ndarray is currently "
                             f"{MAXDIMS}, found {nd}")
        for d in range(nd):
            shape[d] = 1
        for i in range(nargs + self.nout):
            if i >= nargs and outl[i - nargs] is None:
                continue
            for d in range(A[i].ndim):
                e = A[i].shape[d]
                k = nd - A[i].ndim + d
                if e != 1:
                    if shape[k] == 1:
                        shape[k] = e
                    elif shape[k] != e:
                        raise ValueError(self._shape_error(args, outl))
        for j in range(self.nout):
            if outl[j] is not None:
                if A[nargs + j].ndim != nd:
                    raise ValueError(self._shape_error(args, outl))
                for d in range(nd):
                    if A[nargs + j].shape[d] != shape[d]:
                        raise ValueError(self._shape_error(args, outl))
            else:
                outl[j] = empty_c(nd, shape, self.out_t[j])
                operand_of(outl[j], &A[nargs + j], True)
        if outs is not None:
            # An input the outputs overlap other than element for element is copied first.
            args = list(args)
            for j in range(self.nout):
                if outs[j] is None:
                    continue
                for i in range(nargs):
                    if unsafe_overlap(&A[i], &A[nargs + j], nd, shape):
                        args[i] = np.array(args[i], copy=True)
                        operand_of(args[i], &A[i], True)
        n = 1
        for d in range(nd):
            n *= shape[d]
        # ---- array registers: per-dimension byte strides (0 where broadcast)
        for r in range(self.P.nregs):
            k = self.P.kind[r]
            if k == R_INPUT:
                ra[nrar] = &A[self.P.index[r]]
            elif k == R_OUTPUT:
                ra[nrar] = &A[nargs + self.P.index[r]]
            else:
                continue
            rar[nrar] = r
            nrar += 1
        # Drop extents of 1, then merge neighbours every array register walks contiguously.
        nouter = 0
        for d in range(nd):
            if shape[d] == 1:
                continue
            cshape[nouter] = shape[d]
            for i in range(nrar):
                k = d - (nd - ra[i].ndim)
                S.st[rar[i]][nouter] = (ra[i].strides[k]
                                        if k >= 0 and ra[i].shape[k] != 1 else 0)
            if nouter > 0:
                for i in range(nrar):
                    if S.st[rar[i]][nouter - 1] != S.st[rar[i]][nouter] * cshape[nouter]:
                        break
                else:
                    cshape[nouter - 1] *= cshape[nouter]
                    for i in range(nrar):
                        S.st[rar[i]][nouter - 1] = S.st[rar[i]][nouter]
                    continue
            nouter += 1
        if nouter == 0:
            cshape[0] = 1
            for i in range(nrar):
                S.st[rar[i]][0] = 0
            nouter = 1
        # now cshape[0..nouter) with the innermost last. A short innermost dimension
        # (e.g. (1e6, 3) + (3,)) would make tiny blocks: walk the longest one innermost
        # instead (element order does not matter to an element-wise program).
        if nouter > 1 and cshape[nouter - 1] < 128:
            k = 0
            for d in range(1, nouter):
                if cshape[d] > cshape[k]:
                    k = d
            if cshape[k] >= 4 * cshape[nouter - 1]:
                e = cshape[k]
                cshape[k] = cshape[nouter - 1]
                cshape[nouter - 1] = e
                for i in range(nrar):
                    e = S.st[rar[i]][k]
                    S.st[rar[i]][k] = S.st[rar[i]][nouter - 1]
                    S.st[rar[i]][nouter - 1] = e
        S.nouter = nouter - 1
        S.inner = cshape[nouter - 1]
        for d in range(nouter - 1):
            S.outer_shape[d] = cshape[d]
        for i in range(nrar):
            S.base[rar[i]] = ra[i].data
        S.blk = self.P.blk
        S.bpr = (S.inner + S.blk - 1) // S.blk
        # Outputs larger than the last-level cache are streamed (when every output is
        # contiguous along the inner dimension and the outputs are all we write).
        S.stream = False
        if self.nout and not self.has_reduce and n * 8 >= STREAM_MIN_BYTES:
            S.stream = True
            for r in range(self.P.nregs):
                if self.P.kind[r] == R_OUTPUT and (
                        S.st[r][nouter - 1] != self.P.isz[r]
                        or n * self.P.isz[r] < STREAM_MIN_BYTES):
                    S.stream = False
        nblocks = (n // S.inner) * S.bpr if n else 0
        # ---- threads and per-thread temporaries
        nt = threads_for(n, self.threshold) if nblocks >= 2 else 1
        if nt > nblocks:
            nt = <int>nblocks
        S.thread_bytes = ((self.P.nslots + (self.nout if S.stream else 0)) * self.P.slot_bytes
                          + 4096 + 192)
        total = nt * S.thread_bytes + (nblocks * DC_PARTIAL_BYTES if self.has_reduce else 0)
        if total:
            # Reuse this program's temporaries unless another thread is running it.
            mem = self._scratch
            self._scratch = None
            if mem is None or mem.nbytes_ < <size_t>total:
                mem = dc_malloc(<size_t>total)
            scratch = mem.ptr_
        S.scratch = scratch
        S.partials = scratch + nt * S.thread_bytes
        if nblocks:
            if n < NOGIL_MIN:
                _exec_all(&self.P, &S, nblocks, 1)
            else:
                with nogil:
                    _exec_all(&self.P, &S, nblocks, nt)
        if self.has_reduce:
            res = self._finish_reduce(&S, nblocks)
        if mem is not None and mem.nbytes_ <= (1 << 22):
            self._scratch = mem
        if copy_back is not None:
            for j, orig in copy_back:
                np.copyto(np.asarray(orig), outl[j])
                outl[j] = orig
        return res if self.has_reduce else outl

    cdef object _finish_reduce(self, Run *S, Py_ssize_t nblocks):
        cdef ndarray res = empty_c(0, NULL, self.acc_t)
        cdef char partial[DC_PARTIAL_BYTES]
        if nblocks == 0:
            if is_min_or_max(self.red_op):       # no identity
                raise ValueError("zero-size array to reduction operation "
                                 f"{'minimum' if self.red_op == DC_R_MIN else 'maximum'} "
                                 "which has no identity")
            # the empty sum / product: reduce no elements
            self.P.reduce(S.partials, 0, 0, 0, partial)
            self.combine(partial, 1, res._data)
            return res
        if self.pairwise and nblocks > 1:
            # float sums: partial values (stride DC_PARTIAL_BYTES) summed pairwise
            self.acc_sum(S.partials, DC_PARTIAL_BYTES, nblocks, 0, partial)
            self.combine(partial, 1, res._data)
        else:
            self.combine(S.partials, <int>nblocks, res._data)
        return res

    cdef str _shape_error(self, args, outl):
        shapes = " ".join(str(tuple(a.shape)) for a in args if a.ndim)
        outs = [o for o in outl if o is not None]
        if outs:
            return (f"operands could not be broadcast together with shapes {shapes} "
                    f"and output shape {tuple(outs[0].shape)}")
        return f"operands could not be broadcast together with shapes {shapes}"


# ------------------------------------------------------------- the cached entry point

cdef extern from "Python.h":
    ctypedef struct PyObject
    PyObject *PyEval_GetLocals() except? NULL
    PyObject *PyEval_GetGlobals()


cdef class Evaluator:
    """The call path of `dotcompute.evaluate`, in C so that a cached call costs little more
    than the program itself. It knows nothing of expressions: the compiler gives it
    `parse(text) -> (tree, names)` and `compile(tree, names, key, casting, text) ->
    (program, post)`, both of which store what they return in the dicts given here.

    Per call: look the names up (local_dict, else global_dict; by default the calling
    Python frame's locals and globals, as numexpr does), build the key (text, casting, out
    dtype, then per variable its dtype or, for a Python scalar, its type and value), and
    run the cached program (compiling on a miss).
    """
    cdef dict trees
    cdef dict programs
    cdef object parse
    cdef object compile
    cdef public long long hits
    cdef public long long misses

    def __init__(self, parse, compile, dict trees, dict programs):
        self.parse = parse
        self.compile = compile
        self.trees = trees
        self.programs = programs
        self.hits = 0
        self.misses = 0

    def __call__(self, ex, local_dict=None, global_dict=None, out=None, order="K",
                 casting="same_kind", **kwargs):
        cdef object got, v, entry, prog, post
        cdef tuple names
        cdef list key, args
        cdef PyObject *p
        cdef type t
        if kwargs:
            bad = set(kwargs) - {"_frame_depth", "sanitize", "optimization", "truediv"}
            if bad:
                raise TypeError(f"evaluate() got unexpected keyword arguments {sorted(bad)}")
        got = self.trees.get(ex)
        if got is None:
            got = self.parse(ex)
        names = <tuple>(<tuple>got)[1]
        if local_dict is None:
            if names:
                p = PyEval_GetLocals()
                local_dict = <object>p if p != NULL else {}
            else:
                local_dict = {}
        if global_dict is None:
            p = PyEval_GetGlobals()
            global_dict = <object>p if p != NULL else {}
        key = [ex, casting, None if out is None else out.dtype]
        args = []
        for name in names:
            if name in local_dict:
                v = local_dict[name]
            elif name in global_dict:
                v = global_dict[name]
            else:
                raise KeyError(f"variable {name!r} is not defined")
            t = type(v)
            if t is ndarray or t is cnp.ndarray:
                key.append(v.dtype)
                args.append(v)
            elif t is float or t is int or t is bool:
                key.append(t)
                # folded into the program (not an argument); 0.0 and -0.0 are equal keys,
                # so a zero carries its sign
                key.append(v if v != 0 or t is not float else (v, copysign(1.0, v)))
            else:
                if t is complex:
                    raise NotImplementedError("complex numbers are not supported")
                if not isinstance(v, (ndarray, cnp.ndarray)):
                    v = np.asarray(v)
                key.append(v.dtype)
                args.append(v)
        k = tuple(key)
        entry = self.programs.get(k)
        if entry is None:
            entry = self.compile(got[0], names, k, casting, ex)
            self.misses += 1
        else:
            self.hits += 1
        prog = (<tuple>entry)[0]
        post = (<tuple>entry)[1]
        if post is not None:
            return post(prog, args, out)
        if out is None:
            return (<Program>prog).run(args)[0]
        if type(out) is not ndarray and not isinstance(out, cnp.ndarray):
            raise TypeError("out must be an array")
        (<Program>prog).run(args, [out])
        return out

