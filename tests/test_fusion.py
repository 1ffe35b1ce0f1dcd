"""Operator fusion (_routines_elementwise, "operator fusion"; dc_fuse.h): `x op1 y op2 z`
with op1, op2 among + - * / on float arrays of one dtype runs as one pass. Every result is
compared with NumPy's two operations bit for bit (values, dtype, shape), with NumPy's
floating-point warnings and errors; whether a pair was fused is read from the counter
`fused_pairs()`, never from timing.

The expressions are written in functions (their operands are fast locals and constants,
as the fusion needs), and once more where fusion must not happen (module-level names,
tracing, a C caller, NumPy's object loops): the values must be NumPy's there too.
"""
import sys
import threading
import warnings

import numpy as np
import pytest

import dotcompute as dc
from dotcompute._core import _routines_elementwise as R

N = 20_000                                  # above the fusion threshold (4096 elements)

needs_fusion = pytest.mark.skipif(not R.fusion_supported(),
                                  reason="no operator fusion on this interpreter")

OPS = ["+", "-", "*", "/"]


def _same(expected, got):
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected), strict=True)


def _pair(op1, op2, right=False):
    """def f(x, y, z): return (x op1 y) op2 z, compiled as a function (fast locals); with
    `right`, x op2 (y op1 z) (the pair's result is the right operand: the reversed form)."""
    ns = {}
    body = f"x {op2} (y {op1} z)" if right else f"(x {op1} y) {op2} z"
    exec(f"def f(x, y, z):\n    return {body}\n", ns)
    return ns["f"]


def _data(dtype, n=N, seed=0):
    rng = np.random.default_rng(seed)
    # values whose products and sums round (an FMA would differ in the last bit)
    return [(rng.standard_normal(n) * 10 ** rng.uniform(-3, 3, n)).astype(dtype)
            for _ in range(3)]


def _fused(f, *args):
    """f(*args) and how many fused passes (pairs and chains) it ran."""
    before = R.fused_pairs() + R.fused_chains()
    r = f(*args)
    return r, R.fused_pairs() + R.fused_chains() - before


# ------------------------------------------------------------------ fused, NumPy's bits

@needs_fusion
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op2", OPS)
@pytest.mark.parametrize("op1", OPS)
def test_every_pair_of_arrays(op1, op2, dtype):
    f = _pair(op1, op2)
    x, y, z = _data(dtype)
    with np.errstate(all="ignore"):
        expected = f(x, y, z)
        got, fused = _fused(f, dc.asarray(x), dc.asarray(y), dc.asarray(z))
    _same(expected, got)
    assert fused == 1
    g = _pair(op1, op2, right=True)
    with np.errstate(all="ignore"):
        expected = g(x, y, z)
        got, fused = _fused(g, dc.asarray(x), dc.asarray(y), dc.asarray(z))
    _same(expected, got)
    assert fused == 1


@needs_fusion
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kinds", ["sav", "asv", "aas", "saa", "asa", "a0a", "0aa"])
def test_scalars_and_0d_operands(kinds, dtype):
    """s: a Python float/int or a NumPy scalar of the dtype; 0: a 0-d array; a: array."""
    x, y, z = _data(dtype, seed=1)
    scalars = [2.5, 3, dtype(-1.75)]

    def make(k, i, arr, lib):
        if k == "a":
            return lib.asarray(arr)
        if k == "0":
            return lib.asarray(arr[:1].reshape(()))
        return scalars[i]
    for op1, op2 in [("*", "+"), ("-", "/"), ("+", "*"), ("/", "-")]:
        f = _pair(op1, op2)
        npa = [make(k, i, a, np) for i, (k, a) in enumerate(zip(kinds, (x, y, z)))]
        dca = [make(k, i, a, dc) for i, (k, a) in enumerate(zip(kinds, (x, y, z)))]
        with np.errstate(all="ignore"):
            expected = f(*npa)
            got, fused = _fused(f, *dca)
        _same(expected, got)
        assert fused == (0 if kinds.startswith(("ss", "00", "0s", "s0")) else 1)


@needs_fusion
@pytest.mark.parametrize("z", [1.5, 2, np.float64(-0.5), "array"])
def test_reversed_pairs_with_any_left_operand(z):
    """z op2 (x op1 y): z a Python float or int, a NumPy scalar (its operator reaches op2
    through __array_ufunc__) or an array."""
    x, y, w = _data(np.float64, seed=40)
    zn = w if isinstance(z, str) else z
    zd = dc.asarray(w) if isinstance(z, str) else z
    for op1, op2 in (("*", "-"), ("-", "/"), ("/", "+"), ("+", "*")):
        g = _pair(op1, op2, right=True)
        with np.errstate(all="ignore"):
            expected = g(zn, x, y)
            got, fused = _fused(g, zd, dc.asarray(x), dc.asarray(y))
        _same(expected, got)
        assert fused == 1


def test_reversed_pairs_after_a_jump_are_not_fused():
    """`(z1 if c else z2) + a * b`: the value below a and b on the stack comes from either
    branch; the instruction before `a`'s load is only one of them."""
    a, b, z1 = _data(np.float64, seed=41)
    z2 = z1 * 3

    def f(c, z1, z2, a, b):
        return (z1 if c else z2) + a * b
    for c in (True, False):
        got, fused = _fused(f, c, dc.asarray(z1), dc.asarray(z2), dc.asarray(a),
                            dc.asarray(b))
        _same(f(c, z1, z2, a, b), got)
        assert fused == 0


@needs_fusion
def test_reversed_pair_flags_are_reported_by_each_operation():
    x, y, z = (np.abs(v) + 1 for v in _data(np.float64, seed=42))
    x[3], y[3] = 1e300, 1e300                    # overflow in the multiply
    y[8] = 0.0

    def g(z, x, y):
        return z - x * y / y                     # z - ((x*y) / y): two pairs? one: (x*y)/y
    expected, ew = _warnings_of(g, z, x, y)
    got, gw = _warnings_of(g, dc.asarray(z), dc.asarray(x), dc.asarray(y))
    _same(expected, got)
    assert gw == ew and ew
    h = _pair("*", "-", right=True)              # z - x * y
    expected, ew = _warnings_of(h, z, x, y)
    got, gw = _warnings_of(h, dc.asarray(z), dc.asarray(x), dc.asarray(y))
    _same(expected, got)
    assert gw == ew and ew


@needs_fusion
def test_numpy_scalar_on_the_left_axpy():
    x, y, _ = _data(np.float64, seed=2)
    s = np.float64(2.5)

    def axpy(s, x, y):
        return s * x + y
    got, fused = _fused(axpy, s, dc.asarray(x), dc.asarray(y))
    _same(axpy(s, x, y), got)
    assert fused == 1
    # a float64 scalar with float32 arrays promotes (NEP 50): float64 results, fused as
    # a chain of mixed dtypes (the arrays widened block by block)
    x32, y32 = x.astype(np.float32), y.astype(np.float32)
    got, fused = _fused(axpy, s, dc.asarray(x32), dc.asarray(y32))
    _same(axpy(s, x32, y32), got)
    assert fused == 1


@needs_fusion
def test_chains_fuse_pairs_and_keep_values():
    a, b, c = _data(np.float64, seed=3)

    def expr(a, b, c):
        return 2 * a + 3 * b * b - c

    def horner(x):
        return ((x * 1.5 + 0.3) * x - 0.7) * x
    got, fused = _fused(expr, dc.asarray(a), dc.asarray(b), dc.asarray(c))
    _same(expr(a, b, c), got)
    assert fused >= 1
    got, fused = _fused(horner, dc.asarray(a))
    _same(horner(a), got)
    assert fused >= 1


@needs_fusion
def test_operands_may_be_the_same_array_and_inputs_are_kept():
    x, _, _ = _data(np.float64, seed=4)
    X = dc.asarray(x)

    def f(x):
        return x * x - x

    def g(x, y):
        return x / y + x
    got, fused = _fused(f, X)
    _same(f(x), got)
    got2, fused2 = _fused(g, X, X)
    with np.errstate(all="ignore"):
        _same(g(x, x), got2)
    assert fused == 1 and fused2 == 1
    _same(x, X)                                  # inputs unchanged


@needs_fusion
def test_2d_arrays():
    x, y, z = (a.reshape(100, 200) for a in _data(np.float32, seed=5))
    f = _pair("*", "-")
    got, fused = _fused(f, dc.asarray(x), dc.asarray(y), dc.asarray(z))
    _same(f(x, y, z), got)
    assert fused == 1


# --------------------------------------------------------- floating-point reports

def _warnings_of(f, *args):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = f(*args)
    return r, sorted(str(m.message) for m in w)


@needs_fusion
@pytest.mark.parametrize("case", ["overflow_op1", "invalid_op2", "divide_op2", "both"])
def test_warnings_name_the_operation_that_raised_them(case):
    x, y, z = (np.abs(a) + 1 for a in _data(np.float64, seed=6))
    if case == "overflow_op1":
        x[7] = 1e308
        y[7] = 1e10                    # x * y overflows in the multiply
        f = _pair("*", "+")
    elif case == "invalid_op2":
        x[5] = np.inf
        z[5] = np.inf                  # inf - inf in the subtract
        f = _pair("+", "-")
    elif case == "divide_op2":
        z[9] = 0.0
        f = _pair("-", "/")
    else:
        x[3], y[3], z[4] = 1e308, 1e308, 0.0   # overflow in +, divide by zero in /
        f = _pair("+", "/")
    expected, ew = _warnings_of(f, x, y, z)
    got, gw = _warnings_of(f, dc.asarray(x), dc.asarray(y), dc.asarray(z))
    _same(expected, got)
    assert gw == ew and ew


@needs_fusion
@pytest.mark.parametrize("case", ["first", "second"])
def test_errstate_raise(case):
    """'raise' stops at the operation that raised, with NumPy's message."""
    x, y, z = _data(np.float64, seed=7)
    if case == "first":
        x[0], y[0] = 1e308, 1e308
        f, state = _pair("*", "+"), {"over": "raise"}
    else:
        z[3] = 0.0
        f, state = _pair("+", "/"), {"divide": "raise"}
    with np.errstate(**state):
        with pytest.raises(FloatingPointError) as e_np:
            f(x, y, z)
        with pytest.raises(FloatingPointError) as e_dc:
            f(dc.asarray(x), dc.asarray(y), dc.asarray(z))
    assert str(e_dc.value) == str(e_np.value)


# ----------------------------------------------------- not fused, still NumPy's values

def test_small_strided_and_integer_operands_are_not_fused():
    x, y, z = _data(np.float64, seed=9)
    f = _pair("*", "+")
    mixed = 1 if R.fusion_supported() else 0
    cases = [((x.astype(np.float32), y, z), mixed),    # float32 op float64: a chain
             ((x[:100], y[:100], z[:100]), 0),          # below the threshold
             ((x.astype(np.int64), y, z), 0)]           # an integer operand
    for args, expected in cases:
        got, fused = _fused(f, *[dc.asarray(a) for a in args])
        _same(f(*args), got)
        assert fused == expected
    got, fused = _fused(f, *[dc.asarray(a)[::2] for a in (x, y, z)])   # strided views
    _same(f(x[::2], y[::2], z[::2]), got)
    assert fused == 0


def test_module_level_names_are_not_fused():
    x, y, _ = _data(np.float64, seed=10)
    ns = {"x": dc.asarray(x), "y": dc.asarray(y)}
    before = R.fused_pairs()
    got = eval("x * 2.0 + y", ns)                # LOAD_NAME, not a fast local
    assert R.fused_pairs() == before
    _same(x * 2.0 + y, got)


@needs_fusion
def test_no_fusion_while_tracing():
    x, y, z = _data(np.float64, seed=11)
    f = _pair("*", "+")
    X, Y, Z = dc.asarray(x), dc.asarray(y), dc.asarray(z)
    calls = []

    def tracer(frame, event, arg):
        calls.append(event)
        return tracer
    sys.settrace(tracer)
    try:
        before = R.fused_pairs()
        got = f(X, Y, Z)
        fused = R.fused_pairs() - before
    finally:
        sys.settrace(None)
    _same(f(x, y, z), got)
    assert fused == 0 and calls


def test_numpy_object_loops_are_not_fused():
    """NumPy's object loop calls the operator of each element (a NumPy scalar times a dc
    array) while the frame's BINARY_OP is followed by `LOAD_FAST z; BINARY_OP`: the
    element's product must stay a product."""
    x, y, _ = _data(np.float64, seed=12)
    X = dc.asarray(x)
    objs = np.empty(2, dtype=object)
    objs[0] = X
    objs[1] = X
    s = np.float64(2.0)

    def f(s, objs, z):
        return s * objs + z
    got = f(s, objs, 1.0)
    assert got.dtype == object and got.shape == (2,)
    for g in got:
        _same(2.0 * x + 1.0, g)


def test_c_callers_are_not_fused():
    """An operator called by C code (here NumPy's own reduction calling the object's
    operator is not it; functools.reduce is C): the result goes where the C code puts it."""
    import functools
    import operator
    x, y, _ = _data(np.float64, seed=13)
    X, Y = dc.asarray(x), dc.asarray(y)

    def f(X, Y, z):
        return functools.reduce(operator.mul, [X, Y]) + z
    got = f(X, Y, 1.5)
    _same(x * y + 1.5, got)


def test_fusion_off_gives_the_same_values():
    x, y, z = _data(np.float32, seed=14)
    f = _pair("/", "*")
    old = R.set_fusion(False)
    try:
        before = R.fused_pairs()
        off = f(dc.asarray(x), dc.asarray(y), dc.asarray(z))
        assert R.fused_pairs() == before
    finally:
        R.set_fusion(old)
    on = f(dc.asarray(x), dc.asarray(y), dc.asarray(z))
    _same(off, on)
    _same(f(x, y, z), on)


@needs_fusion
def test_threads_fuse_their_own_pairs():
    """The pending pair is per thread: threads running fused pairs at once each get their
    own result."""
    data = [_data(np.float64, seed=20 + k) for k in range(4)]
    f = _pair("*", "-")
    errors = []

    def work(k):
        x, y, z = data[k]
        X, Y, Z = dc.asarray(x), dc.asarray(y), dc.asarray(z)
        try:
            for _ in range(50):
                _same(f(x, y, z), f(X, Y, Z))
        except AssertionError as e:          # pragma: no cover - reported below
            errors.append(e)
    ts = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors


# ------------------------------------------- pairs written into a temporary operand

NT = 40_000                     # 320 KB of float64: temporaries elision may write into


def _allocations():
    return dc.memory_stats()["allocation.all.allocated"]


@needs_fusion
@pytest.mark.skipif(not R.elision_supported(), reason="no temporary elision here")
def test_pairs_fuse_into_temporaries_without_new_arrays():
    a, b, c = _data(np.float64, n=NT, seed=30)
    A, B, C = dc.asarray(a), dc.asarray(b), dc.asarray(c)

    def expr(a, b, c):
        return 2 * a + 3 * b * b - c             # 2*a; (3*b)*b; (t + u) - c into t

    def horner(x):
        return ((x * 1.5 + 0.3) * x - 0.7) * x   # (x*1.5)+0.3; (t*x)-0.7 into t; t*x
    def pair(a, b, c):
        return abs(a) * 1.5 + b                  # abs(a) a temporary: (t * 1.5) + b into t
    # a chain is one pass into one new array; a pair after a call writes into its result
    for f, args, dargs, news, pairs, chains in ((expr, (a, b, c), (A, B, C), 1, 0, 1),
                                                (horner, (a,), (A,), 1, 0, 1),
                                                (pair, (a, b, c), (A, B, C), 1, 1, 0)):
        a0, p0, c0 = _allocations(), R.fused_pairs(), R.fused_chains()
        got = f(*dargs)
        assert (_allocations() - a0, R.fused_pairs() - p0,
                R.fused_chains() - c0) == (news, pairs, chains), f.__name__
        _same(f(*args), got)
    _same(a, A)


@needs_fusion
@pytest.mark.skipif(not R.elision_supported(), reason="no temporary elision here")
@pytest.mark.parametrize("where", ["op1", "op2", "both"])
def test_temporary_pairs_report_each_operations_flags(where):
    x, y, z = (np.abs(v) + 1 for v in _data(np.float64, n=NT, seed=31))
    if where in ("op1", "both"):
        x[100], y[100] = 1e300, 1e300            # (-x) * y overflows in the multiply
    if where in ("op2", "both"):
        z[NT - 5] = 0.0                          # ... / z divides by zero

    def f(x, y, z):
        return (-x) * y / z                      # -x a temporary: (t * y) / z into t
    expected, ew = _warnings_of(f, x, y, z)
    p0 = R.fused_pairs()
    got, gw = _warnings_of(f, dc.asarray(x), dc.asarray(y), dc.asarray(z))
    assert R.fused_pairs() - p0 == 1
    _same(expected, got)
    assert gw == ew and ew
    state = {"op1": {"over": "raise"}, "op2": {"divide": "raise"}, "both": {"all": "raise"}}
    with np.errstate(**state[where]):
        with pytest.raises(FloatingPointError) as e_np:
            f(x, y, z)
        with pytest.raises(FloatingPointError) as e_dc:
            f(dc.asarray(x), dc.asarray(y), dc.asarray(z))
    assert str(e_dc.value) == str(e_np.value)


_GX = _GY = _GS = None


@needs_fusion
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_scalar_on_the_left_with_global_and_closure_operands(dtype):
    """`s * x + y` with the NumPy scalar's operator first and the arrays loaded as
    globals, as closure cells, and by module-level code (LOAD_NAME): fused, NumPy's bits
    and dtype (a float64 scalar with float32 arrays promotes, NEP 50)."""
    global _GX, _GY, _GS
    x, y, _ = _data(dtype, seed=21)
    expected = np.float64(2.5) * x + y
    _GX, _GY, _GS = dc.asarray(x), dc.asarray(y), np.float64(2.5)

    def with_globals():
        return _GS * _GX + _GY

    X, Y, S = _GX, _GY, _GS

    def with_cells():
        return S * X + Y

    for f in (with_globals, with_cells):
        got, fused = _fused(f)
        _same(expected, got)
        assert fused == 1, f.__name__
    namespace = {"S": S, "X": X, "Y": Y}
    code = compile("r = S * X + Y", "<module>", "exec")
    before = R.fused_pairs() + R.fused_chains()
    exec(code, namespace)                     # module-level code: LOAD_NAME
    _same(expected, namespace["r"])
    assert R.fused_pairs() + R.fused_chains() - before == 1
    _GX = _GY = _GS = None
