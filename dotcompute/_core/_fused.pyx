# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The fused-expression interpreter: runs a typed register program block by block.

A `Program` is built by the compiler (`dotcompute._compiler`) from a parsed, typed
expression; this module only knows registers and instructions, never expressions:

- registers are inputs (arrays, broadcast to the result shape; a Python scalar argument
  is a 0-d input), constants (one value, stride 0), temporaries (one cache-sized block per
  thread; the compiler gives each live value a slot and reuses slots, so a long chain
  needs few) or outputs: up to MAXREG registers, MAXARR of them inputs and outputs;
- instructions call the selected kernel build's serial loops (`binary`, `unary`, `cast`,
  `where`, `fused2` of `dc_kernel_table`) on one block at a time, with byte strides;
- an optional reduction folds the last register of each block into one partial per block;
  partials are combined in block order after the parallel loop (deterministic for any
  thread count).

The element space (the broadcast shape, after dropping extents of 1 and merging dimensions
every operand walks contiguously) is cut into blocks of at most BLK (512) elements of the
innermost dimension, so a program's temporaries stay in L1/L2; blocks are spread over
threads with a static prange, each thread with its own temporaries (cached by the program
between calls). Nothing of the full size is allocated except the results.

Also here, in C for the per-call cost: `ProgramCache`, the one cache of compiled programs
(bounded in bytes, least recently used first out) that `evaluate` and `ElementwiseKernel`
share, and `Evaluator`, the cached call path of `evaluate`.

The array layer does not import this module's caller (the compiler): data flows
compiler -> Program (here) -> kernel table.
"""
cimport cython
from cython.parallel cimport parallel, threadid
cimport openmp
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy, memset
from libc.math cimport copysign

cimport numpy as cnp

from dotcompute._core._kernel_table cimport *
from dotcompute._core._memory cimport DeviceMemory, dc_malloc
from dotcompute._core._dtypes cimport (type_dtype, type_size, is_min_or_max, DC_R_MIN,
                                       DC_T_F4, DC_T_F8, DC_T_I8)
from dotcompute._core._kernel_access cimport (fp_clear, fp_check, dc_fpe_clear, dc_fpe_test,
                                              dc_fpe_raise)
from dotcompute._core._kernel_access cimport (Operand, MAXDIMS, NOGIL_MIN, kernel_table,
                                              threads_for_size, unsafe_overlap)
from dotcompute._core._ndarray cimport ndarray, operand_of
from dotcompute._core._routines_creation cimport empty_c
from dotcompute._core._threads cimport (threads_now, threads_observe, threads_for_ew,
                                        threads_time_serial, threads_note_serial)

import numpy as np

from dotcompute._core._kernel_access import ISA, serial_threshold

cnp.import_array()

cdef extern from "Python.h":
    long long PyLong_AsLongLongAndOverflow(object v, int *overflow) except? -1
    double PyFloat_AS_DOUBLE(object v)

cdef extern from "dc_stream.h" nogil:
    void dc_stream_copy(char *dst, const char *src, Py_ssize_t n)
    void dc_stream_fence()

DEF MAXREG = 2048       # registers of one program (inputs + constants + temporaries + outputs)
DEF MAXARR = 128        # array registers (inputs + outputs) of one program
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
DEF I_TERNARY = 3       # a fused pair (a op1 b) op2 c: fn(a, sa, b, sb, c, sc, o, so, n)

# Register kinds (also the compiler's names: _fused.R_INPUT, ...)
cpdef enum RegisterKind:
    R_INPUT = 0
    R_CONST = 1
    R_TEMP = 2
    R_OUTPUT = 3

globals().update(RegisterKind.__members__)    # _fused.R_INPUT, ... for the compiler

# Elements per block.
DEF BLK = 512
# Elements per block at most of a program without temporaries (its kernels read and write
# only the operands and results: blocks need not fit in L1).
DEF BIG_BLK = 1 << 16
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
    # per register (nregs entries each, one allocation at kind)
    int *kind                 # R_*
    int *index                # input / output number, temporary slot
    int *t                    # kernel type index
    int *arr                  # array registers (inputs, outputs): their number, else -1
    char **cdata              # constants: the value
    Py_ssize_t *isz           # item size
    Instr *instr
    int narr                  # array registers (inputs and outputs)
    int *areg                 # their register numbers, by Prog.arr
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
    char *base[MAXARR]        # array registers (by Prog.arr): first element
    Py_ssize_t st[MAXARR][MAXDIMS + 1]   # byte strides; st[a][nouter] is the inner one
    char *scratch             # per-thread temporaries
    Py_ssize_t thread_bytes
    char *partials            # one DC_PARTIAL_BYTES partial per block
    bint stream               # outputs staged in a temporary slot, then streamed out


cdef void _exec_range(const Prog *P, const Run *S, Py_ssize_t lo, Py_ssize_t hi,
                      int tid) noexcept nogil:
    """Run the program over blocks lo..hi-1 with thread `tid`'s temporaries. The pointers
    and strides of temporaries and constants are set once; per block only the array
    registers move (one multiply for a 1-d walk)."""
    cdef char *p[MAXREG]
    cdef Py_ssize_t s[MAXREG]
    cdef char *out_p[MAXARR]          # streamed outputs: where the staged block goes
    cdef Py_ssize_t row, j0, m, idx, off, blk
    cdef int r, d, k, i
    cdef int nouter = S.nouter
    cdef Py_ssize_t bpr = S.bpr, bsz = S.blk, inner = S.inner
    cdef char *tmp = S.scratch + tid * S.thread_bytes
    cdef const Instr *ins
    cdef const Instr *iend = P.instr + P.ninstr
    cdef bint stream = S.stream
    for r in range(P.nregs):
        k = P.kind[r]
        if k == R_TEMP:
            p[r] = tmp + P.index[r] * P.slot_bytes
            s[r] = P.isz[r]
        elif k == R_CONST:
            p[r] = P.cdata[r]
            s[r] = 0
        elif stream and k == R_OUTPUT:
            p[r] = tmp + (P.nslots + P.index[r]) * P.slot_bytes
            s[r] = P.isz[r]
        else:
            s[r] = S.st[P.arr[r]][nouter]
    for blk in range(lo, hi):
        if nouter == 0:
            row = 0
            j0 = blk * bsz
        else:
            row = blk // bpr
            j0 = (blk - row * bpr) * bsz
        m = inner - j0
        if m > bsz:
            m = bsz
        for i in range(P.narr):
            off = j0 * S.st[i][nouter]
            idx = row
            for d in range(nouter - 1, -1, -1):
                off += (idx % S.outer_shape[d]) * S.st[i][d]
                idx = idx // S.outer_shape[d]
            r = P.areg[i]
            if stream and P.kind[r] == R_OUTPUT:
                out_p[P.index[r]] = S.base[i] + off
            else:
                p[r] = S.base[i] + off
        ins = P.instr
        while ins < iend:
            if ins.kind == I_BINARY:
                (<dc_binary_fn>ins.fn)(p[ins.a], s[ins.a], p[ins.b], s[ins.b],
                                       p[ins.dst], s[ins.dst], m)
            elif ins.kind == I_TERNARY:
                (<dc_ternary_fn>ins.fn)(p[ins.a], s[ins.a], p[ins.b], s[ins.b],
                                        p[ins.c], s[ins.c], p[ins.dst], s[ins.dst], m)
            elif ins.kind == I_UNARY:
                (<dc_unary_fn>ins.fn)(p[ins.a], s[ins.a], p[ins.dst], s[ins.dst], m)
            else:
                (<dc_where_fn>ins.fn)(p[ins.c], s[ins.c], p[ins.a], s[ins.a], p[ins.b],
                                      s[ins.b], p[ins.dst], s[ins.dst], m)
            ins += 1
        if stream:
            for r in range(P.nregs):
                if P.kind[r] == R_OUTPUT:
                    dc_stream_copy(out_p[P.index[r]], p[r], m * P.isz[r])
            dc_stream_fence()
        if P.reduce != NULL:
            P.reduce(p[P.result], s[P.result], m, row * inner + j0,
                     S.partials + blk * DC_PARTIAL_BYTES)


# Balanced regions, as the kernels' element-wise drivers (_kernels_body.pxi): thread c
# runs its own contiguous run of blocks GROUPS_PER_RUN groups at a time, claimed with an
# atomic add on its run's counter, then the groups left in the other runs. Each block's
# result (and reduction partial) is the same whoever computes it.
DEF GROUPS_PER_RUN = 16

cdef void _exec_all(const Prog *P, const Run *S, Py_ssize_t nblocks, int nt) noexcept nogil:
    """Run every block; with nt > 1 thread c runs the c-th contiguous run of blocks (with
    temporaries slot c), then helps the others (dc_balance.h), timed for the thread
    policy's guard."""
    cdef Py_ssize_t lo, hi, g
    cdef int c, j
    cdef int fls[DC_MAX_CHUNKS]      # each chunk's floating-point flags
    cdef double st[2 * DC_MAX_CHUNKS]
    cdef Py_ssize_t nxt[DC_MAX_CHUNKS * DC_BALANCE_PAD]
    cdef Py_ssize_t bounds[DC_MAX_CHUNKS + 1]
    cdef double t0
    if nt <= 1:
        _exec_range(P, S, 0, nblocks, 0)
        return
    g = (nblocks // nt + GROUPS_PER_RUN - 1) // GROUPS_PER_RUN
    if g < 1:
        g = 1
    for c in range(nt + 1):
        bounds[c] = nblocks * c // nt
    dc_balance_init(nxt, bounds, nt, g)
    t0 = threads_now()
    # per-thread floating-point flags, collected into the calling thread (dc_fpe.h)
    with parallel(num_threads=nt):
        c = threadid()
        while c < nt:          # one chunk a thread (more when the team is smaller)
            st[2 * c] = threads_now()
            dc_fpe_clear()
            j = -1
            lo = hi = 0                    # private: dc_balance_next writes them
            while dc_balance_next(nxt, bounds, nt, nt, c, &j, g, &lo, &hi):
                _exec_range(P, S, lo, hi, c)
            fls[c] = dc_fpe_test()
            st[2 * c + 1] = threads_now()
            c = c + openmp.omp_get_num_threads()
    dc_fpe_raise(dc_flags_of(fls, nt))
    threads_observe(nt, t0, threads_now(), st)


cdef inline bint _scalar_of(object x, int t, Operand *a) except -1:
    """A Python float operand of a float64 input, or a Python int (within int64) of an
    int64 input, as a 0-d operand held in a.value; False for anything else. Saves making
    a 0-d array of every scalar argument."""
    cdef int overflow = 0
    if type(x) is float and t == DC_T_F8:
        (<double *>a.value)[0] = PyFloat_AS_DOUBLE(x)
    elif type(x) is int and t == DC_T_I8:
        (<long long *>a.value)[0] = PyLong_AsLongLongAndOverflow(x, &overflow)
        if overflow:
            return False
    else:
        return False
    a.data = a.value
    a.t = t
    a.ndim = 0
    a.shape = NULL
    a.strides = NULL
    a.is_scalar = True
    a.contig = True
    return True


cdef class ProgramCache


cdef class Program:
    """A compiled fused program (see the module docstring). Built by the compiler from:

    regs    -- [(kind, index, type index, constant bytes or None)] with kind one of R_INPUT
               (index: argument number), R_CONST, R_TEMP (index: slot), R_OUTPUT (index:
               output number)
    instrs  -- [(kind, op, type, dst, a, b, c)]: kind "unary" (op: unary op index), "binary"
               (op: binary op index), "cast" (op: source type index, type: target), "where"
               (c: the bool condition register), "fused2" (dst = (a op1 b) op2 c, op:
               op1 * len(FUSE2) + op2 with indices of _opspec.FUSE2, type float32/64)
    nslots  -- temporaries per thread
    threshold -- the serial threshold of its cost class (a hint to the thread policy)
    reduce  -- None or (reduce op index, input type index, accumulator type index,
               pairwise, register reduced): `pairwise` sums the block partials pairwise
               (float sums)
    in_types / out_types -- kernel type index of every input / output
    """
    cdef Prog P
    cdef list _consts           # keeps constant bytes alive
    cdef int nin, nout
    cdef int in_t[MAXARR]
    cdef int out_t[MAXARR]
    cdef Py_ssize_t threshold
    cdef Py_ssize_t itemsize    # the widest array register's element (the thread policy)
    cdef bint has_reduce, pairwise
    cdef int red_op, red_t, acc_t
    cdef dc_combine_fn combine
    cdef dc_reduce_fn acc_sum
    cdef public object source   # the compiler's description (for repr / debugging)
    cdef DeviceMemory _scratch  # temporaries kept between calls (None while in use)
    cdef ProgramCache _owner    # the cache holding this program (counts its scratch bytes)
    cdef Py_ssize_t _counted    # scratch bytes the owner counts

    def __cinit__(self):
        self.P.instr = NULL
        self.P.kind = NULL
        self.P.areg = NULL

    def __init__(self, list regs, list instrs, int nslots, Py_ssize_t threshold,
                 object reduce, list in_types, list out_types, object source=None):
        cdef int i, kind
        cdef void *fn
        cdef int narr = 0
        cdef Py_ssize_t nr = len(regs)
        if nr > MAXREG:
            raise NotImplementedError(
                f"expression too complex: {nr} registers (at most {MAXREG})")
        if len(in_types) + len(out_types) > MAXARR:
            raise NotImplementedError(f"too many operands: {len(in_types)} inputs and "
                                      f"{len(out_types)} outputs (at most {MAXARR} in all)")
        self.source = source
        self._consts = []
        self.P.nregs = <int>nr
        # one block: kind, index, t, arr (int), then cdata (char *), isz (Py_ssize_t)
        self.P.kind = <int *>malloc(nr * (4 * sizeof(int) + sizeof(char *)
                                          + sizeof(Py_ssize_t)) + 16)
        self.P.areg = <int *>malloc(MAXARR * sizeof(int))
        if self.P.kind == NULL or self.P.areg == NULL:
            raise MemoryError()
        self.P.index = self.P.kind + nr
        self.P.t = self.P.index + nr
        self.P.arr = self.P.t + nr
        self.P.cdata = <char **>(<char *>self.P.kind + ((4 * nr * sizeof(int) + 7) & ~7))
        self.P.isz = <Py_ssize_t *>(self.P.cdata + nr)
        self.P.nslots = nslots
        self.P.blk = BLK
        self.P.slot_bytes = BLK * 8 + SLOT_PAD
        for i, (kind, index, t, cbytes) in enumerate(regs):
            self.P.kind[i] = kind
            self.P.index[i] = index
            self.P.t[i] = t
            self.P.cdata[i] = NULL
            self.P.isz[i] = type_size(t)
            self.P.arr[i] = -1
            if kind == R_INPUT or kind == R_OUTPUT:
                if self.P.isz[i] > self.itemsize:
                    self.itemsize = self.P.isz[i]
                self.P.arr[i] = narr
                self.P.areg[narr] = i
                narr += 1
            if kind == R_CONST:
                cbytes = bytes(cbytes) + b"\0" * 16      # room for any type, aligned copy
                self._consts.append(cbytes)
                self.P.cdata[i] = <char *>(<bytes>cbytes)
        self.P.narr = narr
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
            elif kind_s == "fused2":
                # op: op1 * DC_NFUSE2 + op2 (indices of _opspec.FUSE2), plus
                # DC_NFUSE2 * DC_NFUSE2 for c op2 (a op1 b) (K.fused2r); t: float32/64
                kind = I_TERNARY
                if not 0 <= op < 2 * DC_NFUSE2 * DC_NFUSE2 or t not in (DC_T_F4, DC_T_F8):
                    raise ValueError(f"no fused pair {op} on {type_dtype(t)}")
                if op >= DC_NFUSE2 * DC_NFUSE2:
                    op -= DC_NFUSE2 * DC_NFUSE2
                    fn = <void *>K.fused2r[op // DC_NFUSE2][op % DC_NFUSE2][
                        0 if t == DC_T_F4 else 1]
                else:
                    fn = <void *>K.fused2[op // DC_NFUSE2][op % DC_NFUSE2][
                        0 if t == DC_T_F4 else 1]
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
        free(self.P.kind)
        free(self.P.areg)

    cdef Py_ssize_t _struct_bytes(self):
        """Bytes of this program besides its retained temporaries."""
        cdef Py_ssize_t n = sizeof(Program) + 64, c
        n += self.P.nregs * (4 * sizeof(int) + sizeof(char *) + sizeof(Py_ssize_t))
        n += (self.P.ninstr + 1) * sizeof(Instr)
        for c in map(len, self._consts):
            n += c + 33
        if isinstance(self.source, str):
            n += len(<str>self.source) + 49
        return n

    cdef int _retain(self, DeviceMemory mem) except -1:
        """Keep `mem` as this program's temporaries for the next call (or none when it is
        too large), telling the owning cache how its bytes changed."""
        cdef Py_ssize_t kept = 0, delta
        if mem is not None and mem.nbytes_ <= (1 << 22):
            self._scratch = mem
            kept = <Py_ssize_t>mem.nbytes_
        if self._owner is not None and kept != self._counted:
            delta = kept - self._counted
            self._counted = kept
            self._owner._grow(delta)
        return 0

    @property
    def nbytes(self):
        """Bytes this program holds: its structures and its retained temporaries."""
        return self._struct_bytes() + (self._scratch.nbytes_ if self._scratch is not None
                                       else 0)

    def __repr__(self):
        return f"<dotcompute fused Program {self.source!r}>"

    @property
    def ninstr(self):
        return self.P.ninstr

    @property
    def nregs(self):
        return self.P.nregs

    @property
    def out_dtypes(self):
        """dtype of every output."""
        return [type_dtype(self.out_t[i]) for i in range(self.nout)]

    @property
    def nslots(self):
        return self.P.nslots

    def run(self, args, outs=None):
        """Evaluate over the arrays `args` (dc or numpy arrays, matching in_types; 0-d for
        scalars; a Python float for a float64 input, a Python int within int64 for an
        int64 one). outs: None or a list with one entry per output, None to allocate.
        Returns the list of outputs, or the 0-d result array of a reduction."""
        cdef Operand A[MAXARR]
        cdef Run S
        cdef int nd = 0, i, r, d, j, k, nt, nouter
        cdef Py_ssize_t shape[MAXDIMS]
        cdef Py_ssize_t cshape[MAXDIMS]
        cdef Py_ssize_t e, n, nblocks, total
        cdef object res = None
        cdef bint timed
        cdef double t0
        cdef list outl
        cdef list copy_back = None            # (index, original) of misaligned outputs
        cdef int nargs = len(args)
        cdef DeviceMemory mem = None
        cdef char *scratch = NULL
        cdef int nrar = 0                     # array registers
        cdef Operand *ra[MAXARR]              # their operand, by Prog.arr
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
            if _scalar_of(args[i], self.in_t[i], &A[i]):
                continue
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
                ra[self.P.arr[r]] = &A[self.P.index[r]]
            elif k == R_OUTPUT:
                ra[self.P.arr[r]] = &A[nargs + self.P.index[r]]
            else:
                continue
            nrar += 1
        # Drop extents of 1, then merge neighbours every array register walks contiguously.
        nouter = 0
        for d in range(nd):
            if shape[d] == 1:
                continue
            cshape[nouter] = shape[d]
            for i in range(nrar):
                k = d - (nd - ra[i].ndim)
                S.st[i][nouter] = (ra[i].strides[k]
                                        if k >= 0 and ra[i].shape[k] != 1 else 0)
            if nouter > 0:
                for i in range(nrar):
                    if S.st[i][nouter - 1] != S.st[i][nouter] * cshape[nouter]:
                        break
                else:
                    cshape[nouter - 1] *= cshape[nouter]
                    for i in range(nrar):
                        S.st[i][nouter - 1] = S.st[i][nouter]
                    continue
            nouter += 1
        if nouter == 0:
            cshape[0] = 1
            for i in range(nrar):
                S.st[i][0] = 0
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
                    e = S.st[i][k]
                    S.st[i][k] = S.st[i][nouter - 1]
                    S.st[i][nouter - 1] = e
        S.nouter = nouter - 1
        S.inner = cshape[nouter - 1]
        for d in range(nouter - 1):
            S.outer_shape[d] = cshape[d]
        for i in range(nrar):
            S.base[i] = ra[i].data
        S.blk = self.P.blk
        S.bpr = (S.inner + S.blk - 1) // S.blk
        # Outputs larger than the last-level cache are streamed (when every output is
        # contiguous along the inner dimension and the outputs are all we write).
        S.stream = False
        if self.nout and not self.has_reduce and n * 8 >= STREAM_MIN_BYTES:
            S.stream = True
            for r in range(self.P.nregs):
                if self.P.kind[r] == R_OUTPUT and (
                        S.st[self.P.arr[r]][nouter - 1] != self.P.isz[r]
                        or n * self.P.isz[r] < STREAM_MIN_BYTES):
                    S.stream = False
        nblocks = (n // S.inner) * S.bpr if n else 0
        # ---- threads and per-thread temporaries
        nt = (1 if nblocks < 2 else
              threads_for_size(n, self.threshold, self.itemsize) if self.has_reduce else
              threads_for_ew(n, self.threshold, self.itemsize))
        if nt > nblocks:
            nt = <int>nblocks
        if self.P.nslots == 0 and not S.stream and not self.has_reduce and nblocks > nt:
            # No temporaries to keep in cache: longer blocks (fewer kernel calls), each
            # thread's share of the rows in a few of them.
            e = (n + nt - 1) // nt
            if e > BIG_BLK:
                e = BIG_BLK
            S.blk = S.inner if e > S.inner else (e if e > S.blk else S.blk)
            S.bpr = (S.inner + S.blk - 1) // S.blk
            nblocks = (n // S.inner) * S.bpr
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
        fp_clear()
        if nblocks:
            if n < NOGIL_MIN:
                _exec_all(&self.P, &S, nblocks, nt)
            else:
                timed = (nt == 1 and not self.has_reduce
                         and threads_time_serial(n, self.threshold, self.itemsize))
                with nogil:
                    t0 = threads_now() if timed else 0
                    _exec_all(&self.P, &S, nblocks, nt)
                    if timed:
                        threads_note_serial(n, self.threshold, self.itemsize,
                                            threads_now() - t0)
        if self.has_reduce:
            res = self._finish_reduce(&S, nblocks)
        self._retain(mem)
        if copy_back is not None:
            for j, orig in copy_back:
                np.copyto(np.asarray(orig), outl[j])
                outl[j] = orig
        fp_check("evaluate")
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
        shapes = " ".join(str(np.shape(a)) for a in args if np.ndim(a))
        outs = [o for o in outl if o is not None]
        if outs:
            return (f"operands could not be broadcast together with shapes {shapes} "
                    f"and output shape {tuple(outs[0].shape)}")
        return f"operands could not be broadcast together with shapes {shapes}"


# ------------------------------------------------------------- the program cache

@cython.final
cdef class _Slot:
    cdef object value
    cdef Program prog           # the program whose retained temporaries count, or None
    cdef Py_ssize_t base        # bytes of the entry besides that program's temporaries
    cdef unsigned long long tick


cdef class ProgramCache:
    """Compiled programs (and parsed expressions) of `evaluate` and `ElementwiseKernel`.

    Bounded in bytes: an entry counts its key and value, its program's structures and the
    temporaries the program keeps between calls (they grow on its first runs). When the
    total passes `max_bytes`, the least recently used entries are evicted until it is
    below 7/8 of it. `hits`, `misses`, `evictions` and `nbytes` are the statistics
    (`misses` and `hits` are counted by the callers: one lookup may serve several tries).
    """
    cdef dict _slots
    cdef unsigned long long _clock
    cdef Py_ssize_t _max_bytes
    cdef public long long hits
    cdef public long long misses
    cdef readonly long long evictions
    cdef readonly Py_ssize_t nbytes

    def __init__(self, Py_ssize_t max_bytes):
        self._slots = {}
        self.max_bytes = max_bytes

    @property
    def max_bytes(self):
        """The bound in bytes (setting it evicts what no longer fits)."""
        return self._max_bytes

    @max_bytes.setter
    def max_bytes(self, Py_ssize_t n):
        if n < 0:
            raise ValueError(f"max_bytes must be >= 0, got {n}")
        self._max_bytes = n
        if self.nbytes > n:
            self._evict()

    cdef inline object lookup(self, object key):
        """The value stored under key (marking it used), or None."""
        cdef _Slot slot = self._slots.get(key)
        if slot is None:
            return None
        self._clock += 1
        slot.tick = self._clock
        return slot.value

    def get(self, key):
        """The value stored under key (marking it used), or None; not counted."""
        return self.lookup(key)

    def put(self, key, value, Program prog=None, Py_ssize_t nbytes=0):
        """Store value under key. `prog` is the program it holds (its bytes are counted and
        followed as it runs), `nbytes` the size of anything else it holds."""
        cdef _Slot slot = self._slots.pop(key, None)
        if slot is not None:
            self._drop(slot)
        slot = _Slot.__new__(_Slot)
        slot.value = value
        slot.base = nbytes + 8 * len(key) + 200 if isinstance(key, tuple) else nbytes + 200
        if prog is not None:
            if prog._owner is not None and prog._owner is not self:
                raise ValueError("the program is held by another cache")
            slot.prog = prog
            slot.base += prog._struct_bytes()
            prog._owner = self
            prog._counted = prog._scratch.nbytes_ if prog._scratch is not None else 0
            self.nbytes += prog._counted
        self._clock += 1
        slot.tick = self._clock
        self._slots[key] = slot
        self.nbytes += slot.base
        if self.nbytes > self._max_bytes:
            self._evict()

    cdef void _drop(self, _Slot slot):
        self.nbytes -= slot.base
        if slot.prog is not None:
            self.nbytes -= slot.prog._counted
            slot.prog._owner = None
            slot.prog._counted = 0

    cdef int _grow(self, Py_ssize_t delta) except -1:
        self.nbytes += delta
        if self.nbytes > self._max_bytes:
            self._evict()
        return 0

    cdef int _evict(self) except -1:
        cdef Py_ssize_t low = self._max_bytes - self._max_bytes // 8
        cdef _Slot slot
        order = sorted(self._slots.items(), key=_slot_tick)
        for key, slot in order:
            if self.nbytes <= low:
                break
            del self._slots[key]
            self._drop(slot)
            self.evictions += 1
        return 0

    def clear(self):
        """Forget every entry and reset the statistics."""
        for slot in self._slots.values():
            self._drop(slot)
        self._slots.clear()
        self.nbytes = 0
        self.hits = self.misses = self.evictions = 0

    def __len__(self):
        return len(self._slots)

    def __contains__(self, key):
        return key in self._slots

    def __repr__(self):
        return (f"<ProgramCache entries={len(self._slots)} nbytes={self.nbytes} "
                f"max_bytes={self._max_bytes} hits={self.hits} misses={self.misses} "
                f"evictions={self.evictions}>")


def _slot_tick(item):
    return (<_Slot>item[1]).tick


# ------------------------------------------------------------- the cached entry point

cdef extern from "Python.h":
    ctypedef struct PyObject
    PyObject *PyEval_GetLocals() except? NULL
    PyObject *PyEval_GetGlobals()

cdef extern from *:
    int __builtin_clzll(unsigned long long x) nogil


# Key of a Python int variable: int and the extreme value of its range class (which
# integer dtypes can hold it: by sign and bit length), so that every value of a class is
# typed and converted alike; beyond 64 bits, the value itself.
cdef tuple _INT_KEYS = tuple((int, v) for v in (
    127, 255, 32767, 65535, 2**31 - 1, 2**32 - 1, 2**63 - 1, 2**64 - 1,
    -128, -32768, -2**31, -2**63))
cdef tuple _NONNEG_BITS = (7, 8, 15, 16, 31, 32, 63, 64)


cdef object _int_key(object v):
    cdef int overflow = 0, bits, i
    cdef long long x = PyLong_AsLongLongAndOverflow(v, &overflow)
    if overflow == 0:
        if x >= 0:
            bits = 64 - __builtin_clzll(<unsigned long long>x) if x else 0
            for i in range(8):
                if bits <= <int>_NONNEG_BITS[i]:
                    return _INT_KEYS[i]
        bits = 64 - __builtin_clzll(<unsigned long long>(~x)) if ~x else 0
        if bits <= 7:
            return _INT_KEYS[8]
        if bits <= 15:
            return _INT_KEYS[9]
        if bits <= 31:
            return _INT_KEYS[10]
        return _INT_KEYS[11]
    if overflow > 0 and v.bit_length() == 64:
        return _INT_KEYS[7]
    return (int, v)


def convert_scalar(value, dtype, cast=False):
    """A Python scalar as a 0-d array of dtype: as NumPy's ufuncs convert it (OverflowError
    for an int out of range), or with `cast` as np.where does (through its default dtype,
    then an unsafe cast)."""
    if cast:
        with np.errstate(all="ignore"):
            return np.asarray(value).astype(dtype)
    return np.array(value, dtype=dtype)


cdef object _param(object v, tuple conv):
    """Python scalar v as the argument conv = (dtype, type index, cast) of a program:
    itself where Program.run takes it as it is (a float for float64, an int within int64
    for int64: the conversion is exact), else convert_scalar's 0-d array (the range class
    in the key guarantees it succeeds as it did when the program was compiled)."""
    cdef int t = conv[1]
    cdef int overflow = 0
    if t == DC_T_F8 and type(v) is float:
        return v
    if t == DC_T_I8 and type(v) is int:
        PyLong_AsLongLongAndOverflow(v, &overflow)
        if not overflow:
            return v
    return convert_scalar(v, conv[0], conv[2])


def convert_params(list scalars, tuple plan):
    """The program arguments that `plan` ((scalar number, (dtype, type index, cast)), ...)
    makes of Python scalars (what `Evaluator` does on a cache hit)."""
    return [_param(scalars[<Py_ssize_t>c[0]], <tuple>c[1]) for c in plan]


cdef tuple _CASTINGS = ("no", "equiv", "safe", "same_kind", "unsafe")
cdef tuple _ORDERS = ("K", "C", "F", "A", None)


cdef class Evaluator:
    """The call path of `dotcompute.evaluate`, in C so that a cached call costs little more
    than the program itself. It knows nothing of expressions: the compiler gives it
    `parse(text) -> (tree, names)` (storing what it returns in `trees`) and
    `compile(tree, names, key, casting, text, scalars) -> (program, post, scalar args)`
    (storing the entry in `programs`), and `fortran(program, args)` for an F-ordered output.

    Per call: check the arguments, look the names up (local_dict, else global_dict; by
    default the calling Python frame's locals and globals, as numexpr does), build the key
    (text, casting, out dtype, then per variable its dtype or, for a Python scalar, its
    type: scalars are run-time arguments, not part of the program), and run the cached
    program (compiling on a miss). An entry is (program, post, plan): plan None (no
    scalars), a tuple of scalar conversions, or a callable `plan(scalars) -> (program,
    post, scalar args)` for programs that also depend on scalar values.
    """
    cdef ProgramCache trees
    cdef ProgramCache programs
    cdef object parse
    cdef object compile
    cdef object fortran
    # device_hook(ex, local_dict, global_dict, out): the call when a variable is an array
    # on another device (set by the compiler: its CUDA lowering)
    cdef public object device_hook

    def __init__(self, parse, compile, fortran, ProgramCache trees, ProgramCache programs):
        self.device_hook = None
        self.parse = parse
        self.compile = compile
        self.fortran = fortran
        self.trees = trees
        self.programs = programs

    def __call__(self, ex, local_dict=None, global_dict=None, out=None, order="K",
                 casting="same_kind", **kwargs):
        cdef object got, v, entry, prog, post, plan
        cdef tuple names
        cdef list key, args
        cdef list scalars = None
        cdef PyObject *p
        cdef type t
        cdef bint non_c = False, all_f = True
        cdef ndarray d
        if kwargs:
            bad = set(kwargs) - {"_frame_depth", "sanitize", "optimization", "truediv"}
            if bad:
                raise TypeError(f"evaluate() got unexpected keyword arguments {sorted(bad)}")
        if out is not None and type(out) is not ndarray and not isinstance(out, cnp.ndarray):
            raise TypeError(f"out must be an array, not {type(out).__name__}")
        if casting != "same_kind" and (type(casting) is not str or casting not in _CASTINGS):
            raise ValueError("casting must be one of 'no', 'equiv', 'safe', 'same_kind', "
                             f"'unsafe' (got {casting!r})")
        if order != "K" and (not (order is None or type(order) is str)
                             or order not in _ORDERS):
            raise ValueError(f"order must be one of 'C', 'F', 'A', or 'K' (got {order!r})")
        got = self.trees.lookup(ex)
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
            if t is ndarray:
                d = <ndarray>v
                if not d._host:
                    if self.device_hook is None:
                        raise TypeError(f"evaluate: variable {name!r} is on {v.device}, "
                                        "which has no compiler")
                    return self.device_hook(ex, local_dict, global_dict, out)
                if d._ndim > 1:
                    non_c |= not d._c_contig
                    all_f &= d._f_contig
                key.append(d._dtype)
                args.append(v)
            elif t is cnp.ndarray:
                if cnp.PyArray_NDIM(<cnp.ndarray>v) > 1:
                    non_c |= not cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>v)
                    all_f &= cnp.PyArray_IS_F_CONTIGUOUS(<cnp.ndarray>v)
                key.append(v.dtype)
                args.append(v)
            elif t is float or t is int or t is bool:
                # a run-time argument of the program, keyed by its type (and for an int
                # by its range class)
                key.append(_int_key(v) if t is int else t)
                if scalars is None:
                    scalars = []
                scalars.append(v)
            else:
                if t is complex:
                    raise NotImplementedError("complex numbers are not supported")
                if not isinstance(v, (ndarray, cnp.ndarray)):
                    v = np.asarray(v)
                key.append(v.dtype)
                args.append(v)
        k = tuple(key)
        entry = self.programs.lookup(k)
        if entry is None:
            self.programs.misses += 1
            entry = self.compile(got[0], names, k, casting, ex, scalars)
            if (<tuple>entry)[2] is not None:
                args.extend((<tuple>entry)[2])
        else:
            plan = (<tuple>entry)[2]
            if plan is None:
                self.programs.hits += 1
            elif type(plan) is tuple:
                self.programs.hits += 1
                for c in <tuple>plan:
                    args.append(_param(scalars[<Py_ssize_t>(<tuple>c)[0]], <tuple>(<tuple>c)[1]))
            else:
                entry = plan(scalars)
                args.extend((<tuple>entry)[2])
        prog = (<tuple>entry)[0]
        post = (<tuple>entry)[1]
        if post is not None:
            return post(prog, args, out)
        if out is None:
            if order == "F" or (non_c and all_f and order != "C"):
                out = self.fortran(prog, args)
                if out is None:
                    return (<Program>prog).run(args)[0]
            else:
                return (<Program>prog).run(args)[0]
        (<Program>prog).run(args, [out])
        return out


def int_key(v):
    """The key part of a Python int scalar (see Evaluator): its range class."""
    return _int_key(v)
