"""Operator chains (_routines_elementwise, "operator chains"; dc_fuse.h dc_chain_scan):
a straight-line expression of + - * / on float arrays runs as one pass from its first
operator. Every result is compared with NumPy's, bit for bit (values, dtype, shape), with
NumPy's floating-point warnings and errors; whether a chain ran is read from the counter
`fused_chains()`, never from timing.
"""
import random
import warnings

import numpy as np
import pytest

import dotcompute as dc
from dotcompute._core import _jit, _routines_elementwise as R

N = 20_000                                  # above the fusion threshold (4096 elements)

needs_fusion = pytest.mark.skipif(not R.fusion_supported(),
                                  reason="no operator fusion on this interpreter")


def _same(expected, got):
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected), strict=True)


def _arrays(dtypes, n=N, seed=0, shape=None):
    rng = np.random.default_rng(seed)
    out = []
    for dt in dtypes:
        # mixed magnitudes and signs: sums and products round (an FMA or a changed order
        # would differ in the last bit), nothing near zero to divide by
        v = rng.uniform(0.5, 2.0, n) * 10 ** rng.uniform(-3, 3, n)
        v *= np.where(rng.random(n) < 0.5, -1.0, 1.0)
        out.append(v.astype(dt).reshape(shape or (n,)))
    return out


def _compile(body, args="a, b, c, d, s, t"):
    ns = {}
    exec(f"def f({args}):\n    return {body}\n", ns)
    return ns["f"]


@pytest.fixture(autouse=True, params=["blocks", "compiled"])
def loops(request):
    """Every test twice: chains as block passes (compiled loops off), and as compiled
    loops (_jit.py; compiled at a chain's first run)."""
    mode = "off" if request.param == "blocks" else "sync"
    if mode == "sync" and _jit.compiler() is None:
        pytest.skip("no C compiler for compiled loops")
    was = _jit.set_mode(mode)
    yield request.param
    _jit.set_mode(was)


def _counted(f, *args):
    before = R.fused_chains()
    compiled = R.compiled_chains()
    r = f(*args)
    chains = R.fused_chains() - before
    if _jit.info()["mode"] == "sync" and np.size(r) >= 4096:
        # every chain of this size ran through its compiled loop
        assert R.compiled_chains() - compiled == chains, _jit.info()["last_error"]
    elif _jit.info()["mode"] == "off":
        assert R.compiled_chains() == compiled
    return r, chains


def _random_expression(rng, leaves, nops):
    """An expression of nops binary operators (+ - * /) over the leaf names."""
    expr = rng.choice(leaves)
    for _ in range(nops):
        other = rng.choice(leaves)
        op = rng.choice("+-*/")
        form = rng.random()
        if form < 0.1:
            expr = f"({expr}) ** 2 {op} {other}"            # NumPy's operator squares
        elif form < 0.4:
            expr = f"({expr}) {op} {other}"
        elif form < 0.8:
            expr = f"{other} {op} ({expr})"
        else:
            expr = f"({expr}) {op} ({rng.choice(leaves)} {rng.choice('+-*/')} {other})"
    return expr


SCALARS = {"py_float": 1.75, "py_int": 3, "f64": np.float64(-2.5), "f32": np.float32(0.375)}


@pytest.mark.parametrize("seed", range(200))
def test_random_chains_match_numpy(seed):
    rng = random.Random(seed)
    dtypes = [rng.choice([np.float32, np.float64]) for _ in range(4)]
    a, b, c, d = _arrays(dtypes, seed=seed)
    kind = rng.choice(sorted(SCALARS))
    s = SCALARS[kind]
    t = rng.choice([2.0, 0.5, np.float32(1.5), np.float64(3.0)])
    leaves = ["a", "b", "c", "d", "s", "t", "a", "b", "2.0", "3"]
    expr = _random_expression(rng, leaves, rng.randint(2, 8))
    f = _compile(expr)
    with np.errstate(all="ignore"):
        expected = f(a, b, c, d, s, t)
        got, chains = _counted(f, *[dc.asarray(v) for v in (a, b, c, d)], s, t)
    _same(expected, got)
    for v, orig in zip((a, b, c, d), _arrays(dtypes, seed=seed)):
        _same(orig, v)                         # the inputs are left as they were


@needs_fusion
@pytest.mark.parametrize("dtypes", [(np.float64,) * 3, (np.float32,) * 3,
                                    (np.float32, np.float64, np.float32)])
def test_chains_run_as_one_pass(dtypes):
    a, b, c = _arrays(dtypes, seed=1)
    A, B, C = (dc.asarray(v) for v in (a, b, c))
    for body in ("2*a + 3*b*b - c", "(a + b) * (c - a) / b", "a * b + c * a - b / c",
                 "((a * 1.5 + 0.3) * a - 0.7) * a"):
        f = _compile(body, "a, b, c")
        got, chains = _counted(f, A, B, C)
        _same(f(a, b, c), got)
        assert chains == 1, body
        assert got.base is None and got.flags.writeable


@needs_fusion
def test_mixed_pairs_and_numpy_scalars():
    x, y = _arrays((np.float32, np.float32), seed=2)
    X, Y = dc.asarray(x), dc.asarray(y)
    for s in (np.float64(2.5), np.float32(2.5), 2.5):
        f = _compile("s * a + b", "s, a, b")
        got, chains = _counted(f, s, X, Y)
        _same(f(s, x, y), got)
        # one dtype pairs run as pairs; a float64 scalar makes a chain of mixed dtypes
        assert chains == (1 if type(s) is np.float64 else 0)
    # a NumPy scalar on the left of a later operator (through __array_ufunc__)
    f = _compile("a * b + s * a - b", "s, a, b")
    got, chains = _counted(f, np.float64(1.25), X, Y)
    _same(f(np.float64(1.25), x, y), got)
    assert chains == 1


@needs_fusion
def test_float32_arrays_in_float64_operations():
    # float32 results feeding float64 pairs (float32 slots read by the widening kernels
    # while a float64 result is written: never over the slot being read)
    a, b, c, d = _arrays((np.float32,) * 4, seed=12)
    s, t = np.float64(2.5), np.float64(3.0)
    for body in ("((2.0 * ((b + (d + (c - (a - d)))) - t)) - b) * s",
                 "s * (a * b - c) + t * (d - a)", "(a + b) * s - (c - d) / t"):
        f = _compile(body)
        got, chains = _counted(f, *[dc.asarray(v) for v in (a, b, c, d)], s, t)
        _same(f(a, b, c, d, s, t), got)
        assert chains == 1, body


@needs_fusion
def test_zero_d_arrays_are_typed_scalars():
    a, b = _arrays((np.float32, np.float32), seed=3)
    z64, z32 = np.array(1.5), np.array(2.5, dtype=np.float32)
    f = _compile("a * s + b * t - a", "a, b, s, t")
    for s, t in ((z64, z32), (z32, z32), (z32, z64)):
        got, chains = _counted(f, dc.asarray(a), dc.asarray(b), dc.asarray(s),
                               dc.asarray(t))
        _same(f(a, b, s, t), got)
        assert chains == 1


@needs_fusion
def test_values_below_the_first_operator():
    a, b, c, d = _arrays((np.float64,) * 4, seed=4)
    A, B, C, D = (dc.asarray(v) for v in (a, b, c, d))
    for body in ("c - a * b + d", "d / (c - a * b)", "c * (d - a * b) + c"):
        f = _compile(body, "a, b, c, d")
        got, chains = _counted(f, A, B, C, D)
        _same(f(a, b, c, d), got)
        assert chains == 1, body


@needs_fusion
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_squares_in_chains(dtype):
    a, b, c = _arrays((dtype,) * 3, seed=14)
    for body in ("a**2 + b**2", "-a*c - b*c**2", "(a - b)**2 / c", "(a*b)**2 - a",
                 "a**2 * b + a**2", "c - a**2"):
        f = _compile(body, "a, b, c")
        got, chains = _counted(f, *[dc.asarray(v) for v in (a, b, c)])
        _same(f(a, b, c), got)
        assert chains == 1, body
    # not a square: other exponents and a float 2.0 run NumPy's power (not fused)
    for body in ("a**3 + b", "a**2.0 + b", "a**-1 + b"):
        f = _compile(body, "a, b, c")
        with np.errstate(all="ignore"):
            got, chains = _counted(f, *[dc.asarray(v) for v in (a, b, c)])
            want = f(a, b, c)
            if body.startswith("a**3"):
                # power is a transcendental: NumPy's loop differs between CPUs (AVX-512
                # SVML on Intel), ours is within 2 ulp of it; then the exact add rounds
                g = np.asarray(got)
                assert g.dtype == want.dtype and g.shape == want.shape
                bound = 2 * np.spacing(np.abs(a**3)) + np.spacing(np.abs(want))
                assert np.all(np.abs(g - want) <= bound), body
            else:
                _same(want, got)
        assert chains == 0, body
    # a square that overflows reports as NumPy's operator does
    big = np.full(N, 1e200 if dtype == np.float64 else 1e30, dtype=dtype)
    f = _compile("a**2 + b", "a, b, c")
    with np.errstate(over="raise"):
        with pytest.raises(FloatingPointError) as e_np:
            f(big, b, c)
        with pytest.raises(FloatingPointError) as e_dc:
            f(dc.asarray(big), dc.asarray(b), dc.asarray(c))
    assert str(e_dc.value) == str(e_np.value)


def test_a_jump_into_the_operands_is_not_followed():
    # the value below `x * y` comes from either branch of the conditional expression
    a, b, c, d = _arrays((np.float64,) * 4, seed=5)
    f = _compile("(a if flag else b) - c * d + a", "a, b, c, d, flag")
    for flag in (True, False):
        got = f(*[dc.asarray(v) for v in (a, b, c, d)], flag)
        _same(f(a, b, c, d, flag), got)


def test_loads_with_extended_arguments():
    # locals beyond 255 are loaded with an EXTENDED_ARG before LOAD_FAST: the bytecode
    # reader must not take the load's low byte for the local it reads
    a, b, c, d = _arrays((np.float64,) * 4, seed=13)
    pad = "".join(f"    v{i} = {i}.0\n" for i in range(300))
    ns = {}
    exec("def f(a, b, c0, d0):\n" + pad                  # a, b: locals 0 and 1
         + "    c, d = c0, d0\n"                              # c, d: locals 304, 305
         + "    return (c - a * b + d, d / (c - a * b), c * (d - a * b) + c)\n", ns)
    expected = ns["f"](a, b, c, d)
    got = ns["f"](*[dc.asarray(v) for v in (a, b, c, d)])
    for e, g in zip(expected, got):
        _same(e, g)


@needs_fusion
def test_globals_cells_and_module_names():
    a, b, c = _arrays((np.float64,) * 3, seed=6)
    A, B, C = (dc.asarray(v) for v in (a, b, c))
    ns = {"A": A, "B": B, "C": C}
    before = R.fused_chains()
    got = eval("2*A + 3*B*B - C", ns)                      # LOAD_NAME
    _same(2 * a + 3 * b * b - c, got)
    exec("def g():\n    return 2*A + 3*B*B - C\n", ns)     # LOAD_GLOBAL
    _same(2 * a + 3 * b * b - c, ns["g"]())

    def outer(X, Y, Z):
        return lambda: 2 * X + 3 * Y * Y - Z                # LOAD_DEREF
    _same(2 * a + 3 * b * b - c, outer(A, B, C)())
    assert R.fused_chains() - before == 3


@needs_fusion
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_an_interrupted_chain_gives_every_placeholder_its_value(k):
    a, b, c = _arrays((np.float32, np.float64, np.float64), seed=7)
    f = _compile("2*a + 3*b**2 - c / a", "a, b, c")
    R._interrupt_next_chain(k)
    got, chains = _counted(f, *[dc.asarray(v) for v in (a, b, c)])
    R._interrupt_next_chain(0)
    assert chains >= 1                # (the rest may run as a chain of its own)
    _same(f(a, b, c), got)


@needs_fusion
def test_two_dimensional_and_strided_operands():
    a, b, c = _arrays((np.float64,) * 3, seed=8, shape=(100, 200))
    f = _compile("a * b - c * a + b", "a, b, c")
    got, chains = _counted(f, *[dc.asarray(v) for v in (a, b, c)])
    _same(f(a, b, c), got)
    assert chains == 1
    # views that are not C-contiguous: not a chain, NumPy's values
    got, chains = _counted(f, *[dc.asarray(v)[:, ::2] for v in (a, b, c)])
    _same(f(a[:, ::2], b[:, ::2], c[:, ::2]), got)
    assert chains == 0
    got, chains = _counted(f, *[dc.asarray(v).T for v in (a, b, c)])
    _same(f(a.T, b.T, c.T), got)
    assert chains == 0


def test_what_is_not_a_chain_keeps_numpy_semantics():
    a, b, c = _arrays((np.float64,) * 3, seed=9)
    A, B, C = (dc.asarray(v) for v in (a, b, c))
    i = np.arange(N)
    for body, args, dargs in (
            ("a * b + c ** 2 - a", (a, b, c), (A, B, C)),     # ** ends the chain
            ("a * b + c - a", (a, b, i), (A, B, dc.asarray(i))),       # an integer array
            ("a * b + c[3] - a", (a, b, c), (A, B, C)),           # a NumPy scalar
            ("a * b + 10**30 - c", (a, b, c), (A, B, C)),     # an int beyond 2**24
            ("a * b + c - [1.0] * len(a)", (a, b, c), (A, B, C))):
        f = _compile(body, "a, b, c")
        _same(f(*args), f(*dargs))


@needs_fusion
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_floating_point_reports_are_numpys(where):
    a, b, c = (np.abs(v) + 1 for v in _arrays((np.float64,) * 3, seed=10))
    if where == "first":
        a[7], b[7] = 1e300, 1e300                 # a * b overflows
    elif where == "middle":
        c[9] = 0.0                                # b / c divides by zero
    else:
        a[11], b[11] = 0.0, np.inf                # (a - a) * b: 0 * inf is invalid
    f = _compile("a * b + b / c - (a - a) * b", "a, b, c")
    with warnings.catch_warnings(record=True) as w_np:
        warnings.simplefilter("always")
        expected = f(a, b, c)
    with warnings.catch_warnings(record=True) as w_dc:
        warnings.simplefilter("always")
        got = f(*[dc.asarray(v) for v in (a, b, c)])
    _same(expected, got)
    assert [str(x.message) for x in w_dc] == [str(x.message) for x in w_np]
    with np.errstate(all="raise"):
        with pytest.raises(FloatingPointError) as e_np:
            f(a, b, c)
        with pytest.raises(FloatingPointError) as e_dc:
            f(*[dc.asarray(v) for v in (a, b, c)])
    assert str(e_dc.value) == str(e_np.value)


@needs_fusion
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ignored_flags_keep_the_chain(dtype):
    # subnormal tails (a float32 wave): c * lap underflows; NumPy ignores underflow by
    # default, so the chain stands; a heeded underflow warns or raises as NumPy does
    a, b, lap = _arrays((dtype,) * 3, seed=13)
    tiny = np.finfo(dtype).smallest_subnormal
    lap[::7] = tiny * 3
    c = dtype(0.2)
    f = _compile("2 * a - b + c * lap", "a, b, c, lap")
    args = [dc.asarray(v) for v in (a, b)] + [c, dc.asarray(lap)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = f(a, b, c, lap)
        got, chains = _counted(f, *args)
    _same(expected, got)
    assert chains == 1
    for mode, catch in (("warn", pytest.warns(RuntimeWarning, match="underflow")),
                        ("raise", pytest.raises(FloatingPointError, match="underflow"))):
        with np.errstate(under=mode):
            with catch:
                f(a, b, c, lap)
            with catch:
                got, chains = _counted(f, *args)
        assert chains == 0


@needs_fusion
def test_threads_and_fusion_off_give_the_same_bits():
    a, b, c = _arrays((np.float32, np.float64, np.float64), n=300_000, seed=11)
    f = _compile("2*a + 3*b*b - c / a", "a, b, c")
    expected = f(a, b, c)
    old = dc.get_num_threads()
    try:
        for nt in (1, 2):
            dc.set_num_threads(nt)
            got, chains = _counted(f, *[dc.asarray(v) for v in (a, b, c)])
            _same(expected, got)
            assert chains == 1
    finally:
        dc.set_num_threads(old)
    was = R.set_fusion(False)
    try:
        got, chains = _counted(f, *[dc.asarray(v) for v in (a, b, c)])
    finally:
        R.set_fusion(was)
    _same(expected, got)
    assert chains == 0


@needs_fusion
@pytest.mark.parametrize("blk, per_chunk", [(64, 16), (512, 16), (2048, 16), (512, 1),
                                            (64, 1000)])
@pytest.mark.parametrize("threads", [1, 2])
def test_chain_results_do_not_depend_on_the_block(blk, per_chunk, threads):
    """The chain's pass by blocks of any size (set_chain_block: partial last blocks, slots
    of mixed float32/float64 operations, threaded chunks in whole blocks) and any number of
    balancing blocks per thread's chunk (set_chain_blocks: 1 is a static split) gives
    NumPy's bits."""
    from dotcompute._core import _kernel_access as KA, _threads
    a, b, c = _arrays((np.float32, np.float64, np.float32), n=N + 37, seed=5)
    A, B, C = (dc.asarray(v) for v in (a, b, c))
    old_blk = KA.set_chain_block(blk)
    old_per_chunk = KA.set_chain_blocks(per_chunk)
    old_mode = _threads.set_mode("always" if threads > 1 else "never")
    old_n = dc.get_num_threads()
    dc.set_num_threads(threads)
    try:
        for body in ("2*a + 3*b*b - c", "(a + b) * (c - a) / b", "a * 1.5 + b * c - a"):
            f = _compile(body, "a, b, c")
            got, chains = _counted(f, A, B, C)
            _same(f(a, b, c), got)
            assert chains == 1, body
    finally:
        dc.set_num_threads(old_n)
        _threads.set_mode(old_mode)
        KA.set_chain_block(old_blk)
        KA.set_chain_blocks(old_per_chunk)
    with pytest.raises(ValueError):
        KA.set_chain_block(100)
    with pytest.raises(ValueError):
        KA.set_chain_blocks(0)
