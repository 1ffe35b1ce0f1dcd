"""The one list of kernels: builds, dtypes, operations and how each is computed.

setup.py renders the C templates in `src/` (`dc_kernels.h.tp`: the loops and the table
fill; `dc_kernel_table.h.tp`: the table and its index enums; `dc_builds.h.tp`: the kernel
builds the CPU check knows) from this file, and the array layer maps names to table indices
with it at run time, so they can never disagree. Pure data, no imports.

An expression is C code over `a` (and `b`) of the loop type `T`, `UT` is the unsigned type
of the same width, `BITS` its width. Integer code is compiled with -fwrapv, so wrapping
arithmetic behaves as NumPy's.
"""

# Kernel builds of each target architecture, lowest first: (name, extra compiler flags,
# the x86 psABI level the CPU must support to run it, or None when every CPU of the
# architecture can). One module `_kernels_<name>` per build; `_cpu` tells which the CPU
# can run before any is imported (a build for an ISA the CPU lacks dies by SIGILL).
NO_VECTORIZE = ["-fno-tree-vectorize", "-fno-tree-slp-vectorize"]
KERNEL_BUILDS = {
    "x86_64": [("scalar", ["-march=x86-64"] + NO_VECTORIZE, None),
               ("baseline", ["-march=x86-64"], None),
               ("avx2", ["-march=x86-64-v3"], "x86-64-v3"),
               ("avx512", ["-march=x86-64-v4", "-mprefer-vector-width=512"], "x86-64-v4")],
    "aarch64": [("scalar", NO_VECTORIZE, None), ("baseline", [], None)],
    "other": [("scalar", NO_VECTORIZE, None), ("baseline", [], None)],
}

# (short name, C type, numpy dtype char) in table order.
# The short name is NumPy's `dtype.kind + str(dtype.itemsize)`.
DTYPES = [
    ("b1", "uint8_t", "?"),
    ("i1", "int8_t", "b"),
    ("i2", "int16_t", "h"),
    ("i4", "int32_t", "i"),
    ("i8", "int64_t", "q"),
    ("u1", "uint8_t", "B"),
    ("u2", "uint16_t", "H"),
    ("u4", "uint32_t", "I"),
    ("u8", "uint64_t", "Q"),
    ("f4", "float", "f"),
    ("f8", "double", "d"),
]
UNSIGNED_OF = {"b1": "uint8_t", "i1": "uint8_t", "i2": "uint16_t", "i4": "uint32_t",
               "i8": "uint64_t", "u1": "uint8_t", "u2": "uint16_t", "u4": "uint32_t",
               "u8": "uint64_t"}
BITS_OF = {"b1": 8, "i1": 8, "i2": 16, "i4": 32, "i8": 64, "u1": 8, "u2": 16, "u4": 32,
           "u8": 64, "f4": 32, "f8": 64}

INTS = ["i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"]
SIGNED = ["i1", "i2", "i4", "i8"]
FLOATS = ["f4", "f8"]
NUMERIC = INTS + FLOATS
ALL = ["b1"] + NUMERIC

# Cost classes decide the serial threshold (elements below which a kernel never threads).
CHEAP = 0        # one pass of memory-bound work
MEDIUM = 1       # divisions, libm calls on a few elements
EXPENSIVE = 2    # transcendentals
SERIAL_THRESHOLD = {CHEAP: 32768, MEDIUM: 8192, EXPENSIVE: 1024}

# Binary operations: name -> (types, output: "same" | "bool", cost, {type group: expression}).
# A group is "int", "sint", "uint", "float", "bool" or a dtype short name; the first match
# in the order (dtype, sint/uint, int, float, bool, "*") wins.
BINARY = [
    ("add", ALL, "same", CHEAP, {"bool": "a | b", "*": "a + b"}),
    ("subtract", NUMERIC, "same", CHEAP, {"*": "a - b"}),
    ("multiply", ALL, "same", CHEAP, {"bool": "a & b", "*": "a * b"}),
    ("true_divide", FLOATS, "same", MEDIUM, {"*": "a / b"}),
    ("floor_divide", NUMERIC, "same", MEDIUM,
     {"sint": "dc_floordiv_s(a, b, (T)0)", "uint": "(b == 0) ? (dc_fpe_divbyzero(), (T)0) : (T)(a / b)",
      "float": "dc_floordiv_f(a, b)"}),
    ("remainder", NUMERIC, "same", MEDIUM,
     {"sint": "dc_mod_s(a, b, (T)0)", "uint": "(b == 0) ? (dc_fpe_divbyzero(), (T)0) : (T)(a % b)",
      "float": "dc_mod_f(a, b)"}),
    ("power", FLOATS, "same", EXPENSIVE, {"f4": "powf(a, b)", "f8": "pow(a, b)"}),
    ("maximum", ALL, "same", CHEAP,
     {"f4": "dc_sel_f4((a > b) | (a != a), a, b)",
      "f8": "dc_sel_f8((a > b) | (a != a), a, b)", "*": "(a > b) ? a : b"}),
    ("minimum", ALL, "same", CHEAP,
     {"f4": "dc_sel_f4((a < b) | (a != a), a, b)",
      "f8": "dc_sel_f8((a < b) | (a != a), a, b)", "*": "(a < b) ? a : b"}),
    # ties (0.0 and -0.0) give b, as NumPy's fmax/fmin loops. Floats select through the
    # bits (dc_sel_f4/f8, dc_loops.h): a `c ? a : b` branched in the strided loop

    ("fmax", ALL, "same", CHEAP,
     {"f4": "dc_sel_f4((a > b) | (b != b), a, b)",
      "f8": "dc_sel_f8((a > b) | (b != b), a, b)", "*": "(a > b) ? a : b"}),
    ("fmin", ALL, "same", CHEAP,
     {"f4": "dc_sel_f4((a < b) | (b != b), a, b)",
      "f8": "dc_sel_f8((a < b) | (b != b), a, b)", "*": "(a < b) ? a : b"}),
    ("copysign", FLOATS, "same", CHEAP, {"f4": "copysignf(a, b)", "f8": "copysign(a, b)"}),
    ("arctan2", FLOATS, "same", EXPENSIVE, {"f4": "atan2f(a, b)", "f8": "atan2(a, b)"}),
    ("hypot", FLOATS, "same", EXPENSIVE, {"f4": "hypotf(a, b)", "f8": "hypot(a, b)"}),
    ("equal", ALL, "bool", CHEAP, {"*": "a == b"}),
    ("not_equal", ALL, "bool", CHEAP, {"*": "a != b"}),
    ("less", ALL, "bool", CHEAP, {"*": "a < b"}),
    ("less_equal", ALL, "bool", CHEAP, {"*": "a <= b"}),
    ("greater", ALL, "bool", CHEAP, {"*": "a > b"}),
    ("greater_equal", ALL, "bool", CHEAP, {"*": "a >= b"}),
    ("logical_and", ALL, "bool", CHEAP, {"*": "(a != 0) & (b != 0)"}),
    ("logical_or", ALL, "bool", CHEAP, {"*": "(a != 0) | (b != 0)"}),
    ("logical_xor", ALL, "bool", CHEAP, {"*": "(a != 0) != (b != 0)"}),
    ("bitwise_and", ["b1"] + INTS, "same", CHEAP, {"*": "a & b"}),
    ("bitwise_or", ["b1"] + INTS, "same", CHEAP, {"*": "a | b"}),
    ("bitwise_xor", ["b1"] + INTS, "same", CHEAP, {"*": "a ^ b"}),
    ("left_shift", INTS, "same", CHEAP,
     {"*": "((UT)b < BITS) ? (T)((UT)a << b) : (T)0"}),
    ("right_shift", INTS, "same", CHEAP,
     {"sint": "((UT)b < BITS) ? (T)(a >> b) : (T)((a < 0) ? -1 : 0)",
      "uint": "((UT)b < BITS) ? (T)(a >> b) : (T)0"}),
]

# Unary operations: name -> (types, output, cost, {group: expression over a}) or, for the
# vectorized transcendentals, the array function of dc_vmath.h ("@vexp" -> dc_vexp_f8).
UNARY = [
    ("negative", NUMERIC, "same", CHEAP, {"*": "-a"}),
    ("positive", NUMERIC, "same", CHEAP, {"*": "a"}),
    ("absolute", ALL, "same", CHEAP,
     {"bool": "a", "uint": "a", "f4": "fabsf(a)", "f8": "fabs(a)", "*": "(a < 0) ? -a : a"}),
    ("sign", NUMERIC, "same", CHEAP,
     {"uint": "(a > 0) ? 1 : 0",
      "*": "(a > 0) ? (T)1 : ((a < 0) ? (T)-1 : ((a == 0) ? (T)0 : a))"}),
    ("square", NUMERIC, "same", CHEAP, {"*": "a * a"}),
    ("reciprocal", FLOATS, "same", MEDIUM, {"*": "(T)1 / a"}),
    ("sqrt", FLOATS, "same", MEDIUM, {"f4": "sqrtf(a)", "f8": "sqrt(a)"}),
    ("cbrt", FLOATS, "same", EXPENSIVE, {"*": "@vcbrt"}),
    ("exp", FLOATS, "same", EXPENSIVE, {"*": "@vexp"}),
    ("exp2", FLOATS, "same", EXPENSIVE, {"*": "@vexp2"}),
    ("expm1", FLOATS, "same", EXPENSIVE, {"*": "@vexpm1"}),
    ("log", FLOATS, "same", EXPENSIVE, {"*": "@vlog"}),
    ("log2", FLOATS, "same", EXPENSIVE, {"*": "@vlog2"}),
    ("log10", FLOATS, "same", EXPENSIVE, {"*": "@vlog10"}),
    ("log1p", FLOATS, "same", EXPENSIVE, {"*": "@vlog1p"}),
    ("sin", FLOATS, "same", EXPENSIVE, {"*": "@vsin"}),
    ("cos", FLOATS, "same", EXPENSIVE, {"*": "@vcos"}),
    ("tan", FLOATS, "same", EXPENSIVE, {"*": "@vtan"}),
    ("arcsin", FLOATS, "same", EXPENSIVE, {"*": "@varcsin"}),
    ("arccos", FLOATS, "same", EXPENSIVE, {"*": "@varccos"}),
    ("arctan", FLOATS, "same", EXPENSIVE, {"*": "@varctan"}),
    ("sinh", FLOATS, "same", EXPENSIVE, {"*": "@vsinh"}),
    ("cosh", FLOATS, "same", EXPENSIVE, {"*": "@vcosh"}),
    ("tanh", FLOATS, "same", EXPENSIVE, {"*": "@vtanh"}),
    ("arcsinh", FLOATS, "same", EXPENSIVE, {"*": "@varcsinh"}),
    ("arccosh", FLOATS, "same", EXPENSIVE, {"*": "@varccosh"}),
    ("arctanh", FLOATS, "same", EXPENSIVE, {"*": "@varctanh"}),
    ("floor", FLOATS, "same", CHEAP, {"f4": "floorf(a)", "f8": "floor(a)"}),
    ("ceil", FLOATS, "same", CHEAP, {"f4": "ceilf(a)", "f8": "ceil(a)"}),
    ("trunc", FLOATS, "same", CHEAP, {"f4": "truncf(a)", "f8": "trunc(a)"}),
    ("rint", FLOATS, "same", CHEAP, {"f4": "rintf(a)", "f8": "rint(a)"}),
    ("isnan", ALL, "bool", CHEAP, {"float": "a != a", "*": "0"}),
    ("isinf", ALL, "bool", CHEAP, {"f4": "fabsf(a) == INFINITY", "f8": "fabs(a) == INFINITY",
                                   "*": "0"}),
    ("isfinite", ALL, "bool", CHEAP, {"f4": "fabsf(a) < INFINITY", "f8": "fabs(a) < INFINITY",
                                      "*": "1"}),
    # the sign bit through the bits (signbit(a) != 0 stayed scalar: 0.28x NumPy on float64)
    ("signbit", FLOATS, "bool", CHEAP, {"f4": "dc_signbit_f4(a)", "f8": "dc_signbit_f8(a)"}),
    ("logical_not", ALL, "bool", CHEAP, {"*": "a == 0"}),
    ("invert", ["b1"] + INTS, "same", CHEAP, {"bool": "!a", "*": "(T)~a"}),
]

# Reductions of a 1-D strided run to one value, for every dtype in ALL. The result type is
# NumPy's default: sum/prod of bool and signed ints -> int64, of unsigned ints -> uint64,
# floats stay; min/max keep the type; argmin/argmax -> int64; any/all -> bool.
REDUCE = ["sum", "prod", "min", "max", "argmin", "argmax", "any", "all"]

# Fused pairs: o = (a op1 b) op2 c in one pass for float types, op1 and op2 each one of
# these (the array layer runs an operator chain `x op1 y op2 z` through one, see
# _routines_elementwise's operator fusion). The pair is computed as the two operations are,
# each rounded to the loop type (builds compile with -ffp-contract=off: no FMA), so the
# result is bit for bit NumPy's two calls'.
FUSE2 = [("add", "+"), ("subtract", "-"), ("multiply", "*"), ("true_divide", "/")]
FUSE2_TYPES = FLOATS

BINARY_INDEX = {op[0]: i for i, op in enumerate(BINARY)}
UNARY_INDEX = {op[0]: i for i, op in enumerate(UNARY)}
REDUCE_INDEX = {name: i for i, name in enumerate(REDUCE)}
DTYPE_INDEX = {d[0]: i for i, d in enumerate(DTYPES)}


def group_expr(table, t):
    """The expression of `table` ({group: expr}) that applies to dtype short name t."""
    kind = ("bool" if t == "b1" else "float" if t in FLOATS else
            "sint" if t in SIGNED else "uint")
    for key in (t, kind, "int" if t in INTS else None, "*"):
        if key in table:
            return table[key]
    raise KeyError(f"no expression for {t} in {table}")


# Helpers for the templates.
def ctype(t):
    """C type of dtype short name t."""
    return {d[0]: d[1] for d in DTYPES}[t]


def sum_acc(t):
    """Accumulator dtype of sum/prod of t (NumPy's default result type)."""
    if t in FLOATS:
        return t
    return "u8" if t.startswith("u") else "i8"


def expand(expr, t):
    """Expression of dtype t with UT / BITS substituted."""
    return expr.replace("UT", UNSIGNED_OF.get(t, ctype(t))).replace("BITS", str(BITS_OF[t]))


def vfn(expr, t):
    """dc_vmath.h array function for "@name" at dtype t."""
    return "dc_" + expr[1:] + ("_f32" if t == "f4" else "_f64")
