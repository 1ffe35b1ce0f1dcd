"""Typing and lowering: parsed tree -> typed register program (`_fused.Program`).

Types follow NumPy exactly, decided once at compile time by NumPy itself:

- every operation is a NumPy ufunc; its loop is chosen by `ufunc.resolve_dtypes` with
  Python scalars passed as the Python types `int` / `float` (NEP 50 weak scalars) and
  everything else as dtypes; operands are cast to the loop's input dtypes (cast
  instructions) and constants converted with NumPy (an out-of-range Python int raises
  OverflowError, as NumPy does);
- constant subexpressions are folded: Python scalars with Python's own arithmetic (guarded
  against huge results: `2**10**10` is rejected, not computed), anything involving a NumPy
  scalar with NumPy;
- `x ** c` for a Python scalar c follows NumPy's fast scalar power (2 -> square, 0.5 ->
  sqrt, -1 -> reciprocal, 1 -> copy); integer powers by a constant are exact repeated
  multiplications (wrapping as NumPy's);
- reductions use NumPy's default accumulator types (sum/prod of small ints -> int64, of
  unsigned -> uint64).

An operation NumPy would run on a dtype the kernels lack (float16, complex, ...) raises
NotImplementedError; one NumPy has no loop for raises NumPy's TypeError.
"""
import operator

import numpy as np

from .._core import _opspec
from .._core import _fused
from .._core._dtypes import TYPE_INDEX as _T_INDEX, TYPE_DTYPES as _T_DTYPES
from .._core._kernel_access import serial_threshold
_SHORT = {dt: _opspec.DTYPES[t][0] for dt, t in _T_INDEX.items()}
_BOOL = np.dtype(bool)
_BINARY = {op[0]: (i, set(op[1]), op[2], op[3]) for i, op in enumerate(_opspec.BINARY)}
_UNARY = {op[0]: (i, set(op[1]), op[2], op[3]) for i, op in enumerate(_opspec.UNARY)}
# Fused pairs (K.fused2): binary op index -> FUSE2 index; kernel type index -> FUSE2 type
_FUSE2 = {_BINARY[name][0]: i for i, (name, _) in enumerate(_opspec.FUSE2)}
_FUSE2_TYPES = {_T_INDEX[dt]: _opspec.FUSE2_TYPES.index(short)
                for dt, short in _SHORT.items() if short in _opspec.FUSE2_TYPES}
# False: programs are compiled without fused pairs (for measuring; cached programs stay)
FUSE_PAIRS = True
_COMPARISONS = {"less", "less_equal", "greater", "greater_equal", "equal", "not_equal"}

# Guards for folding Python-int constants: beyond these a constant is rejected.
MAX_CONST_BITS = 4096

_PY_UNARY = {"negative": operator.neg, "positive": operator.pos, "invert": operator.invert}

_PY_OPS = {
    "add": operator.add, "subtract": operator.sub, "multiply": operator.mul,
    "true_divide": operator.truediv, "floor_divide": operator.floordiv,
    "remainder": operator.mod, "power": operator.pow, "left_shift": operator.lshift,
    "right_shift": operator.rshift, "bitwise_and": operator.and_,
    "bitwise_or": operator.or_, "bitwise_xor": operator.xor, "less": operator.lt,
    "less_equal": operator.le, "greater": operator.gt, "greater_equal": operator.ge,
    "equal": operator.eq, "not_equal": operator.ne,
}


def kernel_dtype(dt):
    """The dtype as the kernels know it, or None (unsupported)."""
    return dt if dt in _T_INDEX and dt.isnative else None


def _unsupported(what, dt):
    return NotImplementedError(f"{what} on dtype {dt} is not supported by the fused "
                               "kernels (supported: bool, int8-64, uint8-64, float32, float64)")


def _kernel_spec(table, what, op, loop, result):
    """(kernel index, cost class) of `op` on loop dtype `loop` giving `result`, from the
    op table `table`; NotImplementedError when our kernels don't cover it."""
    spec = table.get(op)
    if spec is None:
        raise NotImplementedError(f"{what} {op} is not supported")
    index, types, out, cost = spec
    if kernel_dtype(loop) is None or _SHORT[loop] not in types:
        raise _unsupported(op, loop)
    expect = _BOOL if out == "bool" else loop
    if result != expect:
        raise NotImplementedError(f"{op} on {loop} gives {result}")
    return index, cost


class Val:
    """A typed value while lowering: a weak Python scalar, a strong NumPy scalar, or a
    register holding a block of values.

    A scalar with `param` set is a run-time argument of the program (parameter number
    `param`): `value` is only this call's value, used for its type; a decision that
    depends on more than the type must call `Builder.specialize`."""
    __slots__ = ("kind", "value", "dtype", "reg", "param")

    def __init__(self, kind, value=None, dtype=None, reg=None, param=None):
        self.kind = kind        # "weak" | "const" | "reg"
        self.value = value
        self.dtype = dtype
        self.reg = reg
        self.param = param

    @property
    def is_const(self):
        return self.kind != "reg"

    def operand(self):
        """What ufunc.resolve_dtypes / np.result_type take for this value."""
        if self.kind == "weak":
            return type(self.value)
        return self.dtype


def weak(v):
    if type(v) is bool:                 # Python bools are not weak: plain bool (the value
        return Val("const", v, _BOOL)   # stays Python's for Python's own arithmetic)
    return Val("weak", v)


def _python(v):
    """True for a Python scalar (folded with Python's arithmetic, as Python would)."""
    return v.kind == "weak" or type(v.value) is bool


def strong_const(v):
    v = np.asarray(v)[()]
    return Val("const", v, v.dtype)


def _check_int(v):
    if type(v) is int and v.bit_length() > MAX_CONST_BITS:
        raise ValueError(f"integer constant too large ({v.bit_length()} bits)")
    return v


def fold_python(op, x, y):
    """Python's arithmetic on two Python scalars, refusing results too large to store."""
    if op == "power" and type(x) is int and type(y) is int and y > 0:
        if abs(x) > 1 and x.bit_length() * y > MAX_CONST_BITS:
            raise ValueError(f"constant {x}**{y} is too large")
    if op == "left_shift" and type(y) is int and y > MAX_CONST_BITS:
        raise ValueError(f"constant {x}<<{y} is too large")
    if op in ("logical_and", "logical_or", "logical_xor"):
        return getattr(np, op)(x, y)[()]
    f = _PY_OPS.get(op)
    if f is None:
        return getattr(np, op)(x, y)[()] if hasattr(np, op) else None
    r = f(x, y)
    return _check_int(r)


# How a program may depend on a parameter's value beyond its type (Builder.specialize):
# POWER: which of NumPy's fast scalar powers it is (2, 0.5, -1, 1 or none); VALUE: all of it.
POWER = 1
VALUE = 2


class Builder:
    """Collects registers and instructions (virtual registers), then allocates temporaries
    and produces a `_fused.Program`."""

    def __init__(self):
        self.regs = []          # [kind, index, dtype, const bytes]
        self.instrs = []        # [kind, op, type index, dst, a, b, c]
        self.inputs = {}        # argument number -> register
        self.in_dtypes = []     # dtype of every argument
        self.consts = {}        # (dtype, bytes) -> register
        self.casts = {}         # (register, dtype) -> register
        self.cost = 0
        self.param_args = []    # (parameter, dtype) of every argument made of a parameter
        self.param_regs = {}    # (parameter, dtype) -> register
        self.specs = {}         # parameter -> POWER or VALUE

    def specialize(self, v, how=VALUE):
        """The program depends on parameter v's value (`how` much); no-op for others."""
        if v.param is not None and self.specs.get(v.param, 0) < how:
            self.specs[v.param] = how

    # ------------------------------------------------------------------ registers
    def _reg(self, kind, index, dtype, cbytes=None):
        self.regs.append([kind, index, dtype, cbytes])
        return len(self.regs) - 1

    def input(self, dtype):
        """A new argument of the program: the value of an array of `dtype`."""
        if kernel_dtype(dtype) is None:
            raise _unsupported("an operand", dtype)
        i = len(self.in_dtypes)
        self.in_dtypes.append(dtype)
        r = self._reg(_fused.R_INPUT, i, dtype)
        self.inputs[i] = r
        return Val("reg", dtype=dtype, reg=r)

    def temp(self, dtype):
        return self._reg(_fused.R_TEMP, -1, dtype)

    def const_reg(self, value, dtype):
        if kernel_dtype(dtype) is None:
            raise _unsupported("a constant", dtype)
        b = np.asarray(value, dtype=dtype).tobytes()
        key = (dtype, b)
        r = self.consts.get(key)
        if r is None:
            r = self.consts[key] = self._reg(_fused.R_CONST, -1, dtype, b)
        return r

    def materialize(self, v, dtype=None, cast=False):
        """Register holding v converted to dtype (default: v's own dtype). A Python scalar
        converts as NumPy's ufuncs convert it (OverflowError for an int out of range), or
        with `cast` as np.where does (through its default dtype, wrapping)."""
        if v.kind == "weak":
            if dtype is None:
                dtype = np.asarray(v.value).dtype
            value = _fused.convert_scalar(v.value, dtype, cast)
            if v.param is not None:
                return self._param_reg(v.param, dtype, cast)
            return self.const_reg(value, dtype)
        if v.kind == "const":
            if dtype is None:
                dtype = v.dtype
            value = np.asarray(v.value).astype(dtype)
            if v.param is not None:
                return self._param_reg(v.param, dtype)
            return self.const_reg(value, dtype)
        if dtype is None or dtype == v.dtype:
            return v.reg
        key = (v.reg, dtype)
        r = self.casts.get(key)
        if r is None:
            if kernel_dtype(dtype) is None:
                raise _unsupported("a cast", dtype)
            r = self.temp(dtype)
            self.instrs.append(["cast", _T_INDEX[v.dtype], _T_INDEX[dtype], r, v.reg, -1, -1])
            self.casts[key] = r
        return r

    def _param_reg(self, param, dtype, cast=False):
        """Register of parameter `param` converted to dtype (as `materialize` says): a 0-d
        argument made per call."""
        key = (param, dtype, cast)
        r = self.param_regs.get(key)
        if r is None:
            r = self.param_regs[key] = self.input(dtype).reg
            self.param_args.append(key)
        return r

    def emit(self, kind, op, dtype_in, dtype_out, a, b=-1, c=-1):
        r = self.temp(dtype_out)
        self.instrs.append([kind, op, _T_INDEX[dtype_in], r, a, b, c])
        return Val("reg", dtype=dtype_out, reg=r)

    # ----------------------------------------------------------------- operations
    def binary(self, op, x, y):
        if x.is_const and y.is_const:
            return self._fold_binary(op, x, y)
        if op == "power" and y.is_const and x.kind == "reg":
            r = self._scalar_power(x, y)
            if r is not None:
                return r
        tx, ty = x.operand(), y.operand()
        lx, ly, lo = getattr(np, op).resolve_dtypes((tx, ty, None))
        if op in _COMPARISONS:
            # NumPy compares with an out-of-range Python int exactly (no OverflowError)
            # (an integer array's; a bool array compares in int64 and overflows)
            for v, w in ((x, y), (y, x)):
                if v.kind == "weak" and type(v.value) is int and lx.kind in "iu" \
                        and w.dtype is not None and w.dtype.kind in "iu" \
                        and not _fits(v.value, lx):
                    self.specialize(v)
                    return self.binary(op, *[_exact_int(w) if w is v else w for w in (x, y)])
        if lx != ly:
            if op in _COMPARISONS and {lx.char, ly.char} <= {"Q", "q", "L", "l"}:
                return self._compare_u8_i8(op, x, y, lx)
            raise NotImplementedError(f"{op} with mixed loop types {lx}, {ly}")
        if op == "power" and lx.kind in "iub":
            return self._int_power(x, y, lx)
        index, cost = _kernel_spec(_BINARY, "operation", op, lx, lo)
        a = self.materialize(x, lx)
        b = self.materialize(y, lx)
        self.cost += 1 + 4 * cost
        return self.emit("binary", index, lx, lo, a, b)

    def _fold_binary(self, op, x, y):
        self.specialize(x)
        self.specialize(y)
        if _python(x) and _python(y):
            r = fold_python(op, x.value, y.value)
            if isinstance(r, np.generic):
                return strong_const(r)
            return weak(r)
        xv = x.value if x.kind == "weak" else x.value
        yv = y.value if y.kind == "weak" else y.value
        if op == "power" and isinstance(y.value, (int, np.integer)) and \
                isinstance(x.value, (int, np.integer)) and int(y.value) < 0:
            raise ValueError("Integers to negative integer powers are not allowed.")
        with np.errstate(all="ignore"):
            return strong_const(getattr(np, op)(xv, yv))

    def _compare_u8_i8(self, op, x, y, lx):
        """NumPy compares uint64 with int64 exactly: a negative int64 decides alone,
        otherwise both compare as uint64."""
        u8 = np.dtype(np.uint64)
        signed_left = lx.kind == "i"
        s = x if signed_left else y
        self.specialize(x)
        self.specialize(y)
        neg = self.binary("less", s, weak(0))
        xs = self._cast_val(x, u8) if not x.is_const else Val("const", np.uint64(x.value), u8)
        ys = self._cast_val(y, u8) if not y.is_const else Val("const", np.uint64(y.value), u8)
        rel = self.binary(op, xs, ys)
        # with the signed side negative: is `op` true?
        true_when_neg = op in (("less", "less_equal", "not_equal") if signed_left else
                               ("greater", "greater_equal", "not_equal"))
        if true_when_neg:
            return self.binary("logical_or", neg, rel)
        return self.binary("logical_and", self.unary("logical_not", neg), rel)

    def _scalar_power(self, x, y):
        """NumPy's fast scalar power for `array ** python scalar`."""
        if y.kind != "weak":
            return None
        e = y.value
        lx = getattr(np, "power").resolve_dtypes((x.dtype, type(e), None))[0]
        self.specialize(y, POWER)
        if e == 2:
            return self.unary("square", self._cast_val(x, lx))
        if lx.kind == "f":
            if e == 0.5:
                return self.unary("sqrt", self._cast_val(x, lx))
            if e == -1:
                return self.unary("reciprocal", self._cast_val(x, lx))
            if e == 1:
                return self.copy(self._cast_val(x, lx))
        return None

    def _cast_val(self, x, dtype):
        return Val("reg", dtype=dtype, reg=self.materialize(x, dtype))

    def _int_power(self, x, y, dt):
        """Integer power: exact (wrapping) repeated multiplication by a constant exponent."""
        if not (y.is_const and isinstance(y.value, (int, np.integer, bool, np.bool_))):
            raise NotImplementedError("integer power with an array exponent is not supported "
                                      "(use a float operand)")
        self.specialize(y)
        if y.kind == "weak":
            _fused.convert_scalar(y.value, dt)      # NumPy's OverflowError (u1 ** -1)
        e = int(y.value)
        if e < 0:
            raise ValueError("Integers to negative integer powers are not allowed.")
        if dt == _BOOL:
            raise NotImplementedError("power of booleans")
        base = self._cast_val(x, dt)
        if e == 0:
            # 1 everywhere, shaped like x: x * 0 + 1 is exact for integers
            one = Val("const", np.asarray(1, dtype=dt)[()], dt)
            zero = self.binary("multiply", base, Val("const", np.asarray(0, dt)[()], dt))
            return self.binary("add", zero, one)
        if e > 1 << 20:
            raise ValueError(f"integer exponent {e} too large")
        result = None
        while True:
            if e & 1:
                result = base if result is None else self.binary("multiply", result, base)
            e >>= 1
            if not e:
                break
            base = self.binary("multiply", base, base)
        return result

    def copy(self, x):
        if x.is_const:
            return x
        t = _T_INDEX[x.dtype]
        r = self.temp(x.dtype)
        self.instrs.append(["cast", t, t, r, x.reg, -1, -1])
        return Val("reg", dtype=x.dtype, reg=r)

    def unary(self, op, x):
        if op == "copy":
            return self.copy(x)
        uf = getattr(np, op)
        if x.is_const:
            self.specialize(x)
            if _python(x) and op in _PY_UNARY:
                return weak(_PY_UNARY[op](x.value))     # Python's -s, +s, ~n
            with np.errstate(all="ignore"):
                return strong_const(uf(x.value))
        li, lo = uf.resolve_dtypes((x.operand(), None))
        index, cost = _kernel_spec(_UNARY, "function", op, li, lo)
        a = self.materialize(x, li)
        self.cost += 1 + 4 * cost
        return self.emit("unary", index, li, lo, a)

    def where(self, c, x, y):
        if c.is_const and x.is_const and y.is_const:
            for v in (c, x, y):
                self.specialize(v)
            return strong_const(np.where(c.value, x.value, y.value))
        dt = np.result_type(_rt(x), _rt(y))
        if c.is_const and c.param is None:
            v = x if bool(c.value) else y
            return Val("reg", dtype=dt, reg=self.materialize(v, dt, cast=True))
        if kernel_dtype(dt) is None:
            raise _unsupported("where", dt)
        rc = self.materialize(c, _BOOL)
        rx = self.materialize(x, dt, cast=True)
        ry = self.materialize(y, dt, cast=True)
        r = self.temp(dt)
        self.instrs.append(["where", 0, _T_INDEX[dt], r, rx, ry, rc])
        self.cost += 2
        return Val("reg", dtype=dt, reg=r)

    # ------------------------------------------------------------------- programs
    def program(self, outputs=(), reduce=None, source=None):
        """Finish: outputs is [(Val, dtype)] (each written to a new output register);
        reduce is (kind, Val) for a reduction program."""
        out_types = []
        red = None
        if reduce is not None:
            kind, v = reduce
            dt = v.dtype if v.kind != "weak" else np.asarray(v.value).dtype
            if kernel_dtype(dt) is None:
                raise _unsupported(kind, dt)
            res = self.materialize(v, dt)
            short = _SHORT[dt]
            acc = _opspec.sum_acc(short) if kind in ("sum", "prod") else short
            red = [_opspec.REDUCE_INDEX[kind], _T_INDEX[dt], _opspec.DTYPE_INDEX[acc],
                   kind == "sum" and short in _opspec.FLOATS, res]
            result_dtype = np.dtype(_fused_dtype(acc))
        else:
            for j, (v, dt) in enumerate(outputs):
                if kernel_dtype(dt) is None:
                    raise _unsupported("an output", dt)
                src = self.materialize(v) if v.kind != "reg" else v.reg
                src_dt = self.regs[src][2]
                o = self._reg(_fused.R_OUTPUT, j, dt)
                last = self.instrs[-1] if self.instrs else None
                if (len(outputs) == 1 and last is not None and last[3] == src
                        and src_dt == dt and self.regs[src][0] == _fused.R_TEMP
                        and not any(src in (i[4], i[5], i[6]) for i in self.instrs)):
                    last[3] = o          # the last instruction writes the output directly
                else:
                    self.instrs.append(["cast", _T_INDEX[src_dt], _T_INDEX[dt], o, src, -1, -1])
                out_types.append(_T_INDEX[dt])
            result_dtype = None
        instrs = fuse_pairs(self.instrs, self.regs, red) if FUSE_PAIRS else self.instrs
        regs, instrs, nslots = self._allocate(red, instrs)
        threshold = serial_threshold(_opspec.MEDIUM if self.cost >= 3 else _opspec.CHEAP)
        prog = _fused.Program(regs, instrs, nslots, threshold, tuple(red) if red else None,
                              [_T_INDEX[d] for d in self.in_dtypes], out_types, source)
        return prog, result_dtype

    def _allocate(self, red, instrs):
        """Give the temporaries of `instrs` slots (a slot is reused once its value is dead;
        an instruction may write over a dying operand of the same item size), drop unused
        registers and number the rest."""
        regs = self.regs
        n = len(instrs)
        last_use = {}
        for k, ins in enumerate(instrs):
            for r in ins[4:7]:
                if r >= 0:
                    last_use[r] = k
        if red is not None:
            last_use[red[4]] = n
        slot_of = {}
        free = []
        nslots = 0
        for k, ins in enumerate(instrs):
            dst = ins[3]
            dying = [r for r in set(ins[4:7]) if r >= 0 and regs[r][0] == _fused.R_TEMP
                     and last_use.get(r) == k]
            dsize = regs[dst][2].itemsize
            same = [r for r in dying if regs[r][2].itemsize == dsize]
            for r in same:
                free.append(slot_of[r])
            if regs[dst][0] == _fused.R_TEMP:
                if free:
                    slot_of[dst] = free.pop()
                else:
                    slot_of[dst] = nslots
                    nslots += 1
            for r in dying:
                if r not in same:
                    free.append(slot_of[r])
        used = set()
        for ins in instrs:
            used.update(r for r in ins[3:7] if r >= 0)
        if red is not None:
            used.add(red[4])
        used.update(r for r, reg in enumerate(regs) if reg[0] == _fused.R_OUTPUT)
        number = {}
        out_regs = []
        slot_regs = {}          # (slot, type index) -> register: temporaries share them
        for r, (kind, index, dt, cb) in enumerate(regs):
            if r not in used:
                continue
            t = _T_INDEX[dt]
            if kind == _fused.R_TEMP:
                index = slot_of[r]
                shared = slot_regs.get((index, t))
                if shared is not None:
                    number[r] = shared
                    continue
                slot_regs[(index, t)] = len(out_regs)
            number[r] = len(out_regs)
            out_regs.append((kind, index, t, cb))
        out_instrs = [(k, op, t, number[d], number.get(a, -1), number.get(b, -1),
                       number.get(c, -1)) for k, op, t, d, a, b, c in instrs]
        if red is not None:
            red[4] = number[red[4]]
        return out_regs, out_instrs, nslots


def fuse_pairs(instrs, regs, red=None):
    """Peephole pass: `t = a op1 b; ...; d = t op2 c` (or `d = c op2 t`, the reversed
    kernels) with t a temporary used once, op1 and op2 among + - * / and every operand of one
    float type, becomes one instruction `d = fused2(a, b, c)` (kind "fused2", op
    op1 * len(FUSE2) + op2) at the place of the second: one pass over the block instead of
    two, the same bits (each operation rounded to the type; builds use -ffp-contract=off)
    and the same floating-point flags. The instructions are in single-assignment form
    (each register written once, before its uses), so computing t later is the same.
    Each instruction takes part in at most one pair."""
    uses = {}
    for ins in instrs:
        for r in ins[4:7]:
            if r >= 0:
                uses[r] = uses.get(r, 0) + 1
    if red is not None:
        uses[red[4]] = uses.get(red[4], 0) + 1
    producer = {}
    for k, ins in enumerate(instrs):
        if (ins[0] == "binary" and ins[1] in _FUSE2 and ins[2] in _FUSE2_TYPES
                and regs[ins[3]][0] == _fused.R_TEMP and uses.get(ins[3]) == 1):
            producer[ins[3]] = k
    if not producer:
        return instrs
    nf = len(_FUSE2)
    gone = set()          # producers folded into their consumer
    taken = set()         # instructions already part of a pair
    out = list(instrs)
    for k, ins in enumerate(instrs):
        if ins[0] != "binary" or ins[1] not in _FUSE2 or ins[2] not in _FUSE2_TYPES:
            continue
        for side in (4, 5):
            p = producer.get(ins[side])
            if p is None or p in taken or instrs[p][2] != ins[2]:
                continue
            c = ins[4] if side == 5 else ins[5]     # (not t: t is used once)
            first = instrs[p]
            # `c op2 t` takes the reversed kernels (K.fused2r, op numbers from nf * nf):
            # c stays the left operand, as NumPy computes it (a NaN's payload too)
            out[k] = ["fused2", _FUSE2[first[1]] * nf + _FUSE2[ins[1]]
                      + (nf * nf if side == 5 else 0), ins[2], ins[3], first[4], first[5], c]
            gone.add(p)
            taken.update((p, k))
            break
    return [ins for k, ins in enumerate(out) if k not in gone]


def _fused_dtype(short):
    return _T_DTYPES[_opspec.DTYPE_INDEX[short]]


def _rt(v):
    """np.result_type operand for v (Python scalars stay weak)."""
    return v.value if v.kind == "weak" else v.dtype


def _fits(v, dt):
    if dt.kind == "b":
        return v in (0, 1)
    info = np.iinfo(dt)
    return info.min <= v <= info.max


def _exact_int(v):
    """A Python int as the smallest exact strong constant (for comparisons)."""
    x = v.value
    for dt in (np.int64, np.uint64):
        if _fits(x, np.dtype(dt)):
            return strong_const(np.asarray(x, dtype=dt))
    return strong_const(np.float64(x))


def lower(tree, env, b=None, params=()):
    """Lower expression tree `tree` with `env` mapping names to Vals (and `params` giving
    the Val of every ("param", i) node). Iterative: a chain of any length lowers without
    recursion."""
    b = b if b is not None else Builder()
    vals = []
    stack = [(tree, False)]
    while stack:
        n, ready = stack.pop()
        k = n[0]
        if k == "const":
            vals.append(weak(n[1]))
        elif k == "name":
            try:
                vals.append(env[n[1]])
            except KeyError:
                raise KeyError(n[1]) from None
        elif k == "param":
            vals.append(params[n[1]])
        elif not ready:
            if k not in _ARITY:
                raise ValueError(f"unexpected node {k}")
            stack.append((n, True))
            stack.extend((c, False) for c in reversed(n[_ARITY[k]:]))
        else:
            if k == "binary":
                y = vals.pop()
                vals.append(b.binary(n[1], vals.pop(), y))
            elif k == "unary":
                vals.append(b.unary(n[1], vals.pop()))
            else:
                y = vals.pop()
                x = vals.pop()
                vals.append(b.where(vals.pop(), x, y))
    return vals.pop(), b


# node kind -> index of its first child
_ARITY = {"binary": 2, "unary": 2, "where": 1}
