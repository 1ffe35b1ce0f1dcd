"""CUDA C for element-wise operations and reductions, generated from `_core/_opspec.py`.

The CPU kernels and these come from the same table of expressions: an expression of the op
spec is C over `a`, `b` of the loop type `T`; here it is placed in CUDA kernels:

* contiguous kernels: every array operand read and the output written with 16-byte vector
  accesses (`Vec<T, N>`, N = 16 / the widest item), scalar operands passed by value, a
  grid-stride loop and a scalar tail;
* strided kernels: N-d index arithmetic unrolled for the (collapsed) number of dimensions,
  byte strides per operand (broadcast dimensions have stride 0);
* reductions: a full reduction in two launches (per-block partials, then one block), and
  an axis reduction with one warp (or one block) per output element.

Pure text generation; nothing here touches CUDA.
"""
import os

from dotcompute._core import _opspec as spec

# Bump when the generated text changes meaning (part of the on-disk cache key).
CODEGEN_VERSION = 6

# Bytes of one vector access of the widest operand in contiguous kernels (16: one 128-bit
# load/store per operand and thread), and whether their stores of 16 bytes carry the
# evict-first cache hint (__stcs): tuning knobs of tools/bench_cuda.py --fused-variants.
VEC_BYTES = int(os.environ.get("DOTCOMPUTE_CUDA_VEC_BYTES", "16"))
STREAMING_STORES = os.environ.get("DOTCOMPUTE_CUDA_STREAMING_STORES", "0") == "1"

PRELUDE = r"""
typedef signed char int8_t; typedef unsigned char uint8_t;
typedef short int16_t; typedef unsigned short uint16_t;
typedef int int32_t; typedef unsigned int uint32_t;
typedef long long int64_t; typedef unsigned long long uint64_t;
#define INFINITY __int_as_float(0x7f800000)
// The op spec raises the host's divide-by-zero flag for an integer division by zero (NumPy
// warns); a GPU has no floating-point flags to raise and, as CuPy, reports nothing.
__device__ __forceinline__ void dc_fpe_divbyzero() {}
template <typename T, int N> struct __align__(sizeof(T) * N) Vec { T v[N]; };
template <typename T> __device__ __forceinline__ T dc_floordiv_s(T a, T b, T zero) {
    T q; if (b == 0) q = zero; else if (b == (T)-1) q = (T)(0 - a);
    else { q = a / b; if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1; } return q; }
template <typename T> __device__ __forceinline__ T dc_mod_s(T a, T b, T zero) {
    T r; if (b == 0 || b == (T)-1) r = zero;
    else { r = a % b; if (r != 0 && ((r < 0) != (b < 0))) r += b; } return r; }
template <typename T> __device__ __forceinline__ T dc_mod_f(T a, T b) {
    T m = fmod(a, b); if (b == 0) return m;
    if (m != 0) { if ((b < 0) != (m < 0)) m += b; } else m = copysign((T)0, b); return m; }
// the host's branch-free float select (maximum, minimum, fmax, fmin); a select here
__device__ __forceinline__ float dc_sel_f4(int c, float a, float b) { return c ? a : b; }
__device__ __forceinline__ double dc_sel_f8(int c, double a, double b) { return c ? a : b; }
__device__ __forceinline__ uint8_t dc_signbit_f4(float a) { return signbit(a) != 0; }
__device__ __forceinline__ uint8_t dc_signbit_f8(double a) { return signbit(a) != 0; }
template <typename T> __device__ __forceinline__ T dc_floordiv_f(T a, T b) {
    if (b == 0) return a / b;
    T m = fmod(a, b), d = (a - m) / b, f;
    if (m != 0) { if ((b < 0) != (m < 0)) d -= (T)1; }
    if (d != 0) { f = floor(d); if (d - f > (T)0.5) f += (T)1; } else f = copysign((T)0, a / b);
    return f; }
"""

# dc_vmath.h array functions of the op spec -> CUDA math functions (f8 name; f4 adds "f").
_VMATH = {"vexp": "exp", "vexp2": "exp2", "vexpm1": "expm1", "vlog": "log", "vlog2": "log2",
          "vlog10": "log10", "vlog1p": "log1p", "vsin": "sin", "vcos": "cos", "vtan": "tan",
          "varcsin": "asin", "varccos": "acos", "varctan": "atan", "vsinh": "sinh",
          "vcosh": "cosh", "vtanh": "tanh", "varcsinh": "asinh", "varccosh": "acosh",
          "varctanh": "atanh", "vcbrt": "cbrt"}

_BINARY = {op[0]: op for op in spec.BINARY}
_UNARY = {op[0]: op for op in spec.UNARY}
CTYPE = {d[0]: d[1] for d in spec.DTYPES}
ITEMSIZE = {"b1": 1, "i1": 1, "i2": 2, "i4": 4, "i8": 8, "u1": 1, "u2": 2, "u4": 4, "u8": 8,
            "f4": 4, "f8": 8}
NAMES = "abcdefgh"


def op_types(name):
    """Loop dtypes (short names) of an op-spec operation, or None if it is not one."""
    op = _BINARY.get(name) or _UNARY.get(name)
    return None if op is None else op[1]


def op_output(name):
    op = _BINARY.get(name) or _UNARY.get(name)
    return op[2]


def op_expr(name, t):
    """The op spec's expression for op `name` at loop dtype `t` (over a, b)."""
    op = _BINARY.get(name) or _UNARY.get(name)
    expr = spec.group_expr(op[4], t)
    if expr.startswith("@"):
        fn = _VMATH[expr[1:]]
        return f"{fn}{'f' if t == 'f4' else ''}(a)"
    return spec.expand(expr, t)


def convert(expr, t, src=None):
    """C conversion of a value (of dtype src) to dtype t as NumPy's casts on x86-64: bool
    is 0/1; float to integer truncates through int64 and wraps (CUDA's own conversion
    saturates)."""
    if t == "b1":
        return f"(uint8_t)(({expr}) != 0)"
    if src in spec.FLOATS and t in spec.INTS:
        if t == "u8":
            return (f"(uint64_t)(({expr}) < 0 ? (unsigned long long)(long long)({expr}) : "
                    f"(unsigned long long)({expr}))")
        return f"({CTYPE[t]})(long long)({expr})"
    return f"({CTYPE[t]})({expr})"


class Elementwise:
    """Description of one element-wise kernel: operand dtypes, which operands are scalars,
    the dtype each is converted to before the expression, the expression and the output;
    `more`: further outputs ((expression, dtype), ...) computed by the same kernel (an
    `ElementwiseKernel` with several outputs)."""

    __slots__ = ("in_types", "scalar", "var_types", "expr", "out_type", "helpers", "more")

    def __init__(self, in_types, scalar, var_types, expr, out_type, helpers="", more=()):
        self.in_types = tuple(in_types)
        self.scalar = tuple(scalar)
        self.var_types = tuple(var_types)
        self.expr = expr
        self.out_type = out_type
        self.helpers = helpers
        self.more = tuple(more)

    @property
    def nout(self):
        return 1 + len(self.more)

    @property
    def out_types(self):
        return (self.out_type,) + tuple(t for _, t in self.more)

    def key(self):
        return (self.in_types, self.scalar, self.var_types, self.expr, self.out_type,
                self.helpers, self.more)

    def vec(self):
        sizes = [ITEMSIZE[t] for t, s in zip(self.in_types, self.scalar) if not s]
        sizes += [ITEMSIZE[t] for t in self.out_types]
        return max(1, VEC_BYTES // max(sizes))

    def _decls(self, index):
        """C statements declaring a, b, ... from the operands at element `index`."""
        out = []
        for i, (t, s, vt) in enumerate(zip(self.in_types, self.scalar, self.var_types)):
            src = f"s{i}" if s else index(i)
            out.append(f"{CTYPE[vt]} {NAMES[i]} = {convert(src, vt, t)};")
        return " ".join(out)

    def _assign(self, lhs):
        """The statements computing every output; lhs(k): the place of output k."""
        stores = [f"{lhs(0)} = {convert(self.expr, self.out_type, self.var_types[-1])};"]
        for k, (expr, t) in enumerate(self.more, 1):
            stores.append(f"{lhs(k)} = {convert(expr, t, self.var_types[-1])};")
        return f"{self.helpers} " + " ".join(stores)

    def params(self):
        ps = []
        for i, (t, s) in enumerate(zip(self.in_types, self.scalar)):
            ps.append(f"{CTYPE[t]} s{i}" if s else f"const {CTYPE[t]}* __restrict__ p{i}")
        for k, t in enumerate(self.out_types):
            ps.append(f"{CTYPE[t]}* __restrict__ out{k or ''}")
        return ps

    def contiguous_source(self, name):
        v = self.vec()
        loads = []
        for i, (t, s) in enumerate(zip(self.in_types, self.scalar)):
            if not s:
                loads.append(f"Vec<{CTYPE[t]}, {v}> x{i} = "
                             f"((const Vec<{CTYPE[t]}, {v}>*)p{i})[i];")
        outs = [f"out{k or ''}" for k in range(self.nout)]
        vecs = [f"Vec<{CTYPE[t]}, {v}>" for t in self.out_types]
        decl_r = " ".join(f"{vt} r{k};" for k, vt in enumerate(vecs))
        store_r = " ".join(
            f"__stcs(((int4*){o}) + i, *reinterpret_cast<const int4*>(&r{k}));"
            if STREAMING_STORES and ITEMSIZE[t] * v == 16 else f"(({vt}*){o})[i] = r{k};"
            for k, (vt, o, t) in enumerate(zip(vecs, outs, self.out_types)))
        return PRELUDE + f"""
extern "C" __global__ void __launch_bounds__(256) {name}({", ".join(self.params())}, long long n) {{
    typedef {CTYPE[self.var_types[-1]]} T;
    long long stride = (long long)gridDim.x * blockDim.x;
    long long nv = n / {v};
    long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    for (; i < nv; i += stride) {{
        {" ".join(loads)}
        {decl_r}
#pragma unroll
        for (int j = 0; j < {v}; ++j) {{
            {self._decls(lambda k: f"x{k}.v[j]")}
            {self._assign(lambda k: f"r{k}.v[j]")}
        }}
        {store_r}
    }}
    for (i = nv * {v} + (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {{
        {self._decls(lambda k: f"p{k}[i]")}
        {self._assign(lambda k: f"{outs[k]}[i]")}
    }}
}}
"""

    def strided_source(self, name, ndim):
        """Kernel over an N-d index space: `shape` and byte strides per operand (the output
        last) passed by value in one struct."""
        nin = len(self.in_types)
        nops = nin + self.nout
        idx = []
        for d in range(ndim - 1, -1, -1):
            idx.append(f"{{ long long q = rem / g.shape[{d}], c = rem - q * g.shape[{d}]; "
                       f"rem = q; " + " ".join(f"o{k} += c * g.st[{k}][{d}];"
                                               for k in range(nops)) + " }")
        offs = " ".join(f"long long o{k} = 0;" for k in range(nops))
        outs = [f"*({CTYPE[t]}*)((char*)out{k or ''} + o{nin + k})"
                for k, t in enumerate(self.out_types)]
        return PRELUDE + f"""
struct Geo {{ long long shape[{ndim}]; long long st[{nops}][{ndim}]; }};
extern "C" __global__ void __launch_bounds__(256) {name}({", ".join(self.params())}, long long n, Geo g) {{
    typedef {CTYPE[self.var_types[-1]]} T;
    long long stride = (long long)gridDim.x * blockDim.x;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {{
        long long rem = i; {offs}
        {" ".join(idx)}
        {self._decls(lambda k: f"*(const {CTYPE[self.in_types[k]]}*)((const char*)p{k} + o{k})")}
        {self._assign(lambda k: outs[k])}
    }}
}}
"""


# --- reductions ------------------------------------------------------------------------

def reduction_spec(op, t):
    """(accumulator dtype, output dtype, C identity, C combine of (x, y) -> x, map of the
    loaded value v to the accumulator) for reduction `op` over dtype t."""
    is_float = t in spec.FLOATS
    ct = CTYPE[t]
    if op in ("sum", "prod", "mean"):
        acc = spec.sum_acc(t) if op != "mean" else (t if is_float else "f8")
        out = acc
        ident = "0" if op != "prod" else "1"
        comb = "x = x + y;" if op != "prod" else "x = x * y;"
        return acc, out, ident, comb, f"({CTYPE[acc]})v"
    if op in ("min", "max"):
        lt = "<" if op == "min" else ">"
        if is_float:
            ident = ("INFINITY" if op == "min" else "-INFINITY")
            ident = f"({ct}){ident}"
            comb = f"if (!(x != x) && ((y != y) || y {lt} x)) x = y;"
        else:
            lim = _int_limits(t)
            ident = lim[1] if op == "min" else lim[0]
            comb = f"if (y {lt} x) x = y;"
        return t, t, ident, comb, "v"
    if op in ("any", "all"):
        ident = "0" if op == "any" else "1"
        comb = "x = x | y;" if op == "any" else "x = x & y;"
        return "b1", "b1", ident, comb, "(uint8_t)(v != 0)"
    raise ValueError(op)


def _int_limits(t):
    bits = spec.BITS_OF[t]
    if t in spec.SIGNED:
        lo = f"(({CTYPE[t]})(-{2 ** (bits - 1) - 1}LL - 1))"
        hi = f"(({CTYPE[t]}){2 ** (bits - 1) - 1}LL)"
    else:
        lo = f"(({CTYPE[t]})0)"
        hi = f"(({CTYPE[t]}){2 ** bits - 1}ULL)"
    if t == "b1":
        lo, hi = "((uint8_t)0)", "((uint8_t)1)"
    return lo, hi


def _arg_combine(t, op):
    """Combine (x, xi) with (y, yi) into (x, xi): NumPy's argmin/argmax (first NaN wins,
    then the extreme value, ties to the lower index; yi < 0 is 'no element')."""
    lt = "<" if op == "argmin" else ">"
    nan = "(y != y)" if t in spec.FLOATS else "false"
    xnan = "(x != x)" if t in spec.FLOATS else "false"
    return (f"if (yi >= 0 && (xi < 0 || "
            f"({nan} && (!{xnan} || yi < xi)) || "
            f"(!{xnan} && !{nan} && (y {lt} x || (y == x && yi < xi))))) {{ x = y; xi = yi; }}")


def reduce_source(op, t, name, ndim_outer, ndim_inner, group):
    """One kernel reducing over an N-d inner space for each element of an N-d outer space
    (ndim_outer = 0: a single output).  `group` threads (32 or 256) cooperate on one output.
    Full reductions use it twice: the input to per-block partials (ndim_outer = 0 with
    many blocks, mode 'partial'), then the partials to the result.

    Parameters: x (input), out (output values), out_idx (arg reductions' indices), K (inner
    size), M (outer size), Geo (shapes and byte strides), count (for mean), mode.
    """
    arg = op in ("argmin", "argmax")
    if arg:
        acc = t
        ident = _int_limits(t)[0] if t not in spec.FLOATS else f"({CTYPE[t]})0"
        comb = _arg_combine(t, op)
        mapv = "v"
        out_t = "i8"
    else:
        acc, out_t, ident, comb, mapv = reduction_spec(op, t)
    cacc = CTYPE[acc]
    ct = CTYPE[t]
    inner = []
    for d in range(ndim_inner - 1, -1, -1):
        inner.append(f"{{ long long q = r / g.ishape[{d}], c = r - q * g.ishape[{d}]; r = q; "
                     f"off += c * g.ist[{d}]; }}")
    outer = []
    for d in range(ndim_outer - 1, -1, -1):
        outer.append(f"{{ long long q = r / g.oshape[{d}], c = r - q * g.oshape[{d}]; r = q; "
                     f"base += c * g.ost[{d}]; }}")
    oshape = f"long long oshape[{max(ndim_outer, 1)}]; long long ost[{max(ndim_outer, 1)}];"
    ishape = f"long long ishape[{max(ndim_inner, 1)}]; long long ist[{max(ndim_inner, 1)}];"
    nwarps = 8
    vec = 16 // ITEMSIZE[t]
    shfl = "" if not arg else "yi = __shfl_down_sync(0xffffffffu, xi, off);"
    final_val = "x"
    if op == "mean":
        final_val = f"({cacc})(x / ({cacc})count)"
    write = (f"out[m] = (long long)(xi < 0 ? 0 : xi);" if arg else
             f"out[m] = {convert(final_val, out_t)};")
    partial_write = ("pv[blockIdx.x] = x; pi[blockIdx.x] = xi;" if arg else
                     "pv[blockIdx.x] = x;")
    return PRELUDE + f"""
typedef {cacc} ACC;
struct Geo {{ {oshape} {ishape} }};
__device__ __forceinline__ void comb(ACC& x, long long& xi, ACC y, long long yi) {{
    {comb}
}}
__device__ __forceinline__ void group_reduce(ACC& x, long long& xi, ACC* sv, long long* si) {{
    for (int off = 16; off > 0; off >>= 1) {{
        ACC y = __shfl_down_sync(0xffffffffu, x, off);
        long long yi = __shfl_down_sync(0xffffffffu, xi, off);
        comb(x, xi, y, yi);
    }}
    {{
        int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
        __syncthreads();
        if (lane == 0) {{ sv[w] = x; si[w] = xi; }}
        __syncthreads();
        if (w == 0) {{
            x = lane < {nwarps} ? sv[lane] : ({cacc}){ident};
            xi = lane < {nwarps} ? si[lane] : -1;
            for (int off = 16; off > 0; off >>= 1) {{
                ACC y = __shfl_down_sync(0xffffffffu, x, off);
                long long yi = __shfl_down_sync(0xffffffffu, xi, off);
                comb(x, xi, y, yi);
            }}
        }}
    }}
}}
// mode 0: out[m] for each outer m; mode 1: partials over a contiguous x (blocks split K);
// mode 2: reduce partials (pv, pi) of length K into out[0].
extern "C" __global__ void __launch_bounds__(256) {name}(
        const {ct}* __restrict__ x_in, {CTYPE[out_t]}* __restrict__ out,
        ACC* __restrict__ pv, long long* __restrict__ pi,
        long long K, long long M, long long count, int mode, Geo g) {{
    __shared__ ACC sv[32]; __shared__ long long si[32];
    if (mode == 1) {{
        ACC x = ({cacc}){ident}; long long xi = -1;
        long long stride = (long long)gridDim.x * blockDim.x;
        long long k = (long long)blockIdx.x * blockDim.x + threadIdx.x;
        if (((unsigned long long)x_in & 15) == 0) {{
            long long nv = K / {vec};
            for (; k < nv; k += stride) {{
                Vec<{ct}, {vec}> w = ((const Vec<{ct}, {vec}>*)x_in)[k];
#pragma unroll
                for (int j = 0; j < {vec}; ++j) {{
                    {ct} v = w.v[j];
                    comb(x, xi, ({cacc})({mapv}), k * {vec} + j);
                }}
            }}
            k = nv * {vec} + (long long)blockIdx.x * blockDim.x + threadIdx.x;
        }}
        for (; k < K; k += stride) {{
            {ct} v = x_in[k];
            comb(x, xi, ({cacc})({mapv}), k);
        }}
        group_reduce(x, xi, sv, si);
        if (threadIdx.x == 0) {{ {partial_write} }}
        return;
    }}
    if (mode == 2) {{
        ACC x = ({cacc}){ident}; long long xi = -1;
        for (long long k = threadIdx.x; k < K; k += blockDim.x) {{
            comb(x, xi, pv[k], {"pi[k]" if arg else "k"});
        }}
        group_reduce(x, xi, sv, si);
        if (threadIdx.x == 0) {{ long long m = 0; {write} }}
        return;
    }}
    int lane = threadIdx.x % {group};
    long long first = (long long)blockIdx.x * {256 // group} + threadIdx.x / {group};
    long long mstride = (long long)gridDim.x * {256 // group};
    for (long long m = first; m < M; m += mstride) {{
        long long r = m, base = 0;
        {" ".join(outer)}
        ACC x = ({cacc}){ident}; long long xi = -1;
        for (long long k = lane; k < K; k += {group}) {{
            long long off = 0; r = k;
            {" ".join(inner)}
            {ct} v = *(const {ct}*)((const char*)x_in + base + off);
            comb(x, xi, ({cacc})({mapv}), k);
        }}
        {"group_reduce(x, xi, sv, si);" if group == 256 else
         "for (int off = 16; off > 0; off >>= 1) { ACC y = __shfl_down_sync(0xffffffffu, x, off); long long yi = __shfl_down_sync(0xffffffffu, xi, off); comb(x, xi, y, yi); }"}
        if (lane == 0) {{ {write} }}
        {"__syncthreads();" if group == 256 else ""}
    }}
}}
"""


def reduce_out_type(op, t):
    if op in ("argmin", "argmax"):
        return "i8"
    return reduction_spec(op, t)[1]
