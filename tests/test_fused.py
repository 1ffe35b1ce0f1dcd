"""Fused expressions (dc.evaluate) and user-defined kernels (dc.ElementwiseKernel).

The oracle is the unfused NumPy evaluation of the same expression (the tests evaluate the
reference with Python over NumPy functions; the library never does): values and dtypes
equal exactly for exact operations, within 4 ULP for transcendentals.
"""
import numpy as np
import pytest

import dotcompute as dc
from dotcompute._compiler import cache_info, clear_cache, UnsafeExpressionError

NP_FUNCS = {
    "where": np.where, "sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp,
    "log": np.log, "log10": np.log10, "log1p": np.log1p, "expm1": np.expm1,
    "sqrt": np.sqrt, "abs": np.absolute, "arctan2": np.arctan2, "arcsin": np.arcsin,
    "arccos": np.arccos, "arctan": np.arctan, "sinh": np.sinh, "cosh": np.cosh,
    "tanh": np.tanh, "arcsinh": np.arcsinh, "arctanh": np.arctanh, "floor": np.floor,
    "ceil": np.ceil, "hypot": np.hypot, "maximum": np.maximum, "minimum": np.minimum,
    "sum": np.sum, "prod": np.prod, "min": np.min, "max": np.max, "isnan": np.isnan,
}
TRANSCENDENTAL = ("sin", "cos", "tan", "exp", "log", "arc", "sinh", "cosh", "tanh",
                  "hypot", "expm1", "log1p", "**")


def reference(expr, **variables):
    with np.errstate(all="ignore"):
        return eval(expr, dict(NP_FUNCS), dict(variables))   # test oracle only


def assert_matches(got, want, ulps=0):
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    if ulps == 0 or want.dtype.kind != "f":
        np.testing.assert_array_equal(got, want)
        return
    finite = np.isfinite(want)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got[~finite & ~np.isnan(want)],
                                  want[~finite & ~np.isnan(want)])
    err = np.abs(got[finite].astype(np.float64) - want[finite]) / np.spacing(
        np.abs(want[finite])).astype(np.float64)
    assert err.size == 0 or err.max() <= ulps, f"max error {err.max()} ULP"


def sample(dtype, shape, rng, positive=False):
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    if dtype.kind == "f":
        x = rng.standard_normal(shape) * 3
        if positive:
            x = np.abs(x) + 0.25
        return x.astype(dtype)
    info = np.iinfo(dtype)
    lo = 1 if positive else max(info.min, -100)
    return rng.integers(lo, min(info.max, 100), shape, dtype=dtype, endpoint=True)


def check(expr, ulps=None, **variables):
    want = reference(expr, **variables)
    got = dc.evaluate(expr, local_dict=variables)
    if ulps is None:
        ulps = 4 if any(t in expr for t in TRANSCENDENTAL) else 0
    assert_matches(got, want, ulps)
    return got


# ------------------------------------------------------------------ values and types

EXACT = ["2*a + 3*b*b - c", "a - b * c", "(a + b) * (a - c)", "a * 2 + 1", "-a + b",
         "a * a * a", "where(a > b, a, c)", "(a < b) & (b >= c)", "(a == b) | (a != c)",
         "maximum(a, b) - minimum(b, c)", "abs(a - b)", "a ** 2", "a*0 + 7"]
DTYPES = ["f8", "f4", "i8", "i4", "i2", "i1", "u8", "u4", "u2", "u1"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("expr", EXACT)
def test_exact_expressions_per_dtype(expr, dtype, rng):
    a, b, c = (sample(dtype, 1000, rng) for _ in range(3))
    check(expr, a=a, b=b, c=c)


@pytest.mark.parametrize("types", [("f4", "f8", "i4"), ("i1", "u1", "i8"), ("u4", "i4", "f4"),
                                   ("?", "i2", "f8"), ("u8", "i8", "f8"), ("i4", "f4", "?")])
@pytest.mark.parametrize("expr", ["a + b * c", "a * b - c", "where(c > 0, a, b)",
                                  "(a > b) | (c < 1)"])
def test_mixed_dtypes_promote_as_numpy(expr, types, rng):
    a, b, c = (sample(t, 500, rng) for t in types)
    check(expr, a=a, b=b, c=c)


@pytest.mark.parametrize("dtype", ["f4", "f8"])
@pytest.mark.parametrize("expr", ["sin(a)", "cos(b) * 2", "tan(a / 4)", "exp(a / 4)", "log(b)",
                                  "log10(b)", "log1p(b)", "expm1(a / 8)", "sqrt(b) + a",
                                  "arctan2(a, b)", "tanh(a)", "sinh(a / 4)", "arcsinh(a)",
                                  "arctan(a)", "hypot(a, b)", "a ** 3.5", "b ** a",
                                  "b ** 0.5", "where(a > 0, sinh(a / 4), cosh(a / 4))"])
def test_transcendentals_within_4_ulp(expr, dtype, rng):
    a = sample(dtype, 3000, rng)
    b = sample(dtype, 3000, rng, positive=True)
    check(expr, a=a, b=b)


def test_transcendental_products(rng):
    a = sample("f8", 3000, rng)
    b = sample("f8", 3000, rng, positive=True)
    check("sin(a) * cos(b) * exp(a / 8)", ulps=16, a=a, b=b)


def test_division_and_modulo_follow_numpy(rng):
    a = sample("i4", 1000, rng)
    b = sample("i4", 1000, rng, positive=True)
    check("a / b", a=a, b=b)                      # true division of ints -> float64
    check("a // b + a % b", a=a, b=b)
    x = sample("f4", 1000, rng)
    y = sample("f4", 1000, rng, positive=True)
    check("x / y - x // y + x % y", x=x, y=y)


def test_weak_python_scalars_nep50(rng):
    a = sample("f4", 100, rng)
    assert dc.evaluate("a * 2.5 + 1").dtype == np.float32
    u = np.arange(10, dtype=np.uint8)
    assert dc.evaluate("u + 3").dtype == np.uint8
    with pytest.raises(OverflowError):
        dc.evaluate("u + 300")
    assert_matches(dc.evaluate("u < 1000"), u < 1000)       # NumPy compares exactly
    assert_matches(dc.evaluate("u > -1"), u > -1)
    s = 3                                                   # a Python scalar variable: weak
    assert_matches(dc.evaluate("u * s"), u * s)
    f = np.float64(2.0)                                     # a NumPy scalar: strong
    assert_matches(dc.evaluate("a * f"), a * f)
    assert_matches(dc.evaluate("a * (2 + 3) ** 2 / 7"), a * (2 + 3) ** 2 / 7)


def test_integer_powers_are_exact(rng):
    a = sample("i8", 1000, rng)
    check("a ** 3 + a ** 0 - a ** 5", a=a)
    u = sample("u1", 1000, rng)
    check("u ** 7", u=u)
    with pytest.raises(ValueError):
        dc.evaluate("a ** -1")


def test_scalar_power_fast_paths_match_numpy():
    a = np.array([-0.0, -np.inf, np.inf, 4.0, 0.0, -2.0, np.nan])
    for expr in ["a ** 0.5", "a ** -1", "a ** 2", "a ** 1", "a ** 0", "a ** 3"]:
        check(expr, ulps=0, a=a)


def test_bool_logic(rng):
    p = sample("?", 100, rng)
    q = sample("?", 100, rng)
    check("~p | q & ~q ^ p", p=p, q=q)
    check("p + q", p=p, q=q)
    check("p * 2", p=p)


def test_shifts_and_bitwise(rng):
    a = sample("i8", 100, rng)
    s = rng.integers(0, 70, 100).astype(np.int64)
    check("(a << s) ^ (a >> s) | (a & 12)", a=a, s=s)


def test_constants_only():
    assert_matches(dc.evaluate("2 * 3 + 1"), np.asarray(7))
    assert_matches(dc.evaluate("1.5 * 2"), np.asarray(3.0))


# ------------------------------------------------------------- layouts and broadcasting

def test_broadcasting(rng):
    a = sample("f8", (4, 1, 3), rng)
    b = sample("f8", (5, 1), rng)
    c = sample("f4", (3,), rng)
    check("a * b + c", a=a, b=b, c=c)
    z = np.float32(2)
    check("a + z", a=a, z=z)
    check("a + np0", a=a, np0=np.array(1.5))


@pytest.mark.parametrize("layout", ["step", "reverse", "transpose", "fortran", "2d-slice"])
def test_strides(layout, rng):
    base = sample("f8", (64, 80), rng)
    other = sample("f8", (64, 80), rng)
    view = {"step": lambda x: x[:, ::3], "reverse": lambda x: x[::-1, ::-2],
            "transpose": lambda x: x.T, "fortran": np.asfortranarray,
            "2d-slice": lambda x: x[5:50, 7:70]}[layout]
    a = view(base)
    b = view(other)
    check("2*a + 3*b*b - a", a=a, b=b)
    check("sum(a * b)", ulps=64, a=a, b=b)


def test_large_threaded_and_blocks(rng):
    n = 300_001                          # many blocks, a ragged last one
    a, b, c = (sample("f8", n, rng) for _ in range(3))
    check("2*a + 3*b*b - c", a=a, b=b, c=c)
    check("where(a > 0, exp(b / 4), c)", a=a, b=b, c=c)
    x = sample("i4", (3, 100_003), rng)
    check("x * 3 - 1", x=x)


def test_short_inner_dimension_walks_the_long_one(rng):
    a = sample("f8", (20000, 3), rng)
    b = sample("f8", (3,), rng)
    c = sample("i4", (20000, 1), rng)
    check("a * b - c", a=a, b=b, c=c)
    check("sum(a * b - c)", ulps=1e6, a=a, b=b, c=c)


def test_dc_arrays_in_and_out(rng):
    a = dc.asarray(sample("f8", 1000, rng))
    b = sample("f8", 1000, rng)
    r = dc.evaluate("a * b + 1")
    assert isinstance(r, dc.ndarray)
    assert_matches(r, np.asarray(a) * b + 1)


def test_empty_arrays():
    a = np.zeros((0, 3))
    assert dc.evaluate("a + 1").shape == (0, 3)
    assert_matches(dc.evaluate("sum(a)"), np.asarray(0.0))
    with pytest.raises(ValueError):
        dc.evaluate("max(a)")


# ------------------------------------------------------------------------- out= and casting

def test_out_same_dtype_and_cast(rng):
    a = sample("f8", 1000, rng)
    out = np.empty(1000)
    r = dc.evaluate("a * 2", out=out)
    assert r is out
    assert_matches(out, a * 2)
    o4 = np.empty(1000, np.float32)
    dc.evaluate("a * 2", out=o4)                      # same_kind: f8 -> f4 allowed
    assert_matches(o4, (a * 2).astype(np.float32))
    with pytest.raises(TypeError):
        dc.evaluate("a * 2", out=np.empty(1000, np.int32))
    oi = np.empty(1000, np.int32)
    dc.evaluate("a * 2", out=oi, casting="unsafe")
    assert_matches(oi, (a * 2).astype(np.int32))


def test_out_in_place_and_overlap(rng):
    a = sample("f8", 1000, rng)
    want = a * 2 + a
    dc.evaluate("a * 2 + a", out=a)
    assert_matches(a, want)
    x = np.arange(20.0)
    want = x[:-1] + 1
    dc.evaluate("y + 1", local_dict={"y": x[:-1]}, out=x[1:])     # overlapping views
    assert_matches(x[1:], want)


def test_out_shape_mismatch():
    a = np.ones(10)
    with pytest.raises(ValueError):
        dc.evaluate("a + 1", out=np.empty(11))
    with pytest.raises(ValueError):
        dc.evaluate("a + b", local_dict={"a": np.ones(3), "b": np.ones(4)})


# ---------------------------------------------------------------------------- reductions

@pytest.mark.parametrize("dtype", ["f8", "f4", "i4", "u2", "?", "i8"])
@pytest.mark.parametrize("kind", ["sum", "prod", "min", "max"])
def test_reductions(kind, dtype, rng):
    a = sample(dtype, 100_000 if kind != "prod" else 50, rng)
    b = sample(dtype, a.shape, rng)
    expr = f"{kind}(a * b)" if dtype != "?" else f"{kind}(a & b)"
    want = reference(expr, a=a, b=b)
    got = dc.evaluate(expr)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    if dtype.startswith("f") and kind in ("sum", "prod"):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5 if dtype == "f4" else 1e-12)
    else:
        assert_matches(got, want)


def test_reduction_axis(rng):
    a = sample("f8", (30, 40), rng)
    for axis in (0, 1, -1):
        np.testing.assert_allclose(np.asarray(dc.evaluate(f"sum(a * 2, axis={axis})")),
                                   np.sum(a * 2, axis=axis), rtol=1e-13)
    assert_matches(dc.evaluate("max(a, 0)"), a.max(axis=0))


def test_reduction_must_be_outermost():
    a = np.ones(3)
    with pytest.raises(ValueError):
        dc.evaluate("sum(a) + 1")


# ----------------------------------------------------------------------- names and cache

def test_variables_from_caller_frame():
    local_var = np.arange(5.0)

    def inner():
        nested = np.arange(5.0) * 2
        return dc.evaluate("nested + 1")

    assert_matches(dc.evaluate("local_var * 2"), np.arange(5.0) * 2)
    assert_matches(inner(), np.arange(5.0) * 2 + 1)
    assert_matches(dc.evaluate("GLOBAL_ARRAY + 1"), GLOBAL_ARRAY + 1)


GLOBAL_ARRAY = np.arange(4)


def test_cache_hits_on_second_call():
    a = np.ones(10)
    expr = "a * 17 + 0.25"
    before = cache_info()
    dc.evaluate(expr)
    mid = cache_info()
    assert mid.misses == before.misses + 1
    dc.evaluate(expr)
    after = cache_info()
    assert after.hits == mid.hits + 1 and after.misses == mid.misses
    dc.evaluate(expr, local_dict={"a": np.ones(10, np.float32)})   # new dtypes: a miss
    assert cache_info().misses == after.misses + 1
    assert dc.evaluate.cache_info() == cache_info()
    clear_cache()
    assert cache_info() == (0, 0, 0)


# ----------------------------------------------------------------------------- errors

@pytest.mark.parametrize("expr", [
    "__import__('os').system('echo pwned')", "a.__class__", "a.sum()", "(lambda: 1)()",
    "[x for x in a]", "{x for x in a}", "a[0]", "a[::2]", "2**10**10", "1 << 10**6",
    "open('/etc/passwd')", "eval('1')", "exec('1')", "getattr(a, 'x')", "'abc'",
    "b'x'", "(a, a)", "[a]", "{'a': 1}", "a if a else a", "(y := a)", "*a",
    "__builtins__", "globals()", "a.real", "sum(a, dtype='f8')", "where(a, a, a, a)",
])
def test_hostile_or_foreign_expressions_are_rejected(expr):
    a = np.ones(3)
    with pytest.raises((UnsafeExpressionError, SyntaxError, KeyError, TypeError,
                        ValueError)):
        dc.evaluate(expr, local_dict={"a": a})


def test_hostile_expressions_do_not_execute(tmp_path):
    flag = tmp_path / "flag"
    expr = f"__import__('pathlib').Path({str(flag)!r}).touch()"
    with pytest.raises(UnsafeExpressionError):
        dc.evaluate(expr, local_dict={})
    assert not flag.exists()


def test_deeply_nested_and_long_expressions_rejected():
    with pytest.raises((UnsafeExpressionError, SyntaxError)):
        dc.evaluate("(" * 500 + "a" + ")" * 500, local_dict={"a": 1.0})
    with pytest.raises(UnsafeExpressionError):
        dc.evaluate("-" * 500 + "a", local_dict={"a": np.ones(2)})
    with pytest.raises(UnsafeExpressionError):
        dc.evaluate("+".join(["a"] * 5000), local_dict={"a": np.ones(2)})


def test_syntax_error_has_position():
    with pytest.raises(SyntaxError) as e:
        dc.evaluate("a + * b", local_dict={"a": 1, "b": 2})
    assert "position" in str(e.value)
    assert e.value.offset is not None


def test_unknown_names_and_functions():
    with pytest.raises(KeyError):
        dc.evaluate("a + nowhere_defined", local_dict={"a": np.ones(2)}, global_dict={})
    with pytest.raises(KeyError):
        dc.evaluate("frobnicate(a)", local_dict={"a": np.ones(2)})


def test_unsupported_types():
    with pytest.raises((TypeError, NotImplementedError)):
        dc.evaluate("a + 1", local_dict={"a": np.ones(3, np.float16)})
    with pytest.raises((TypeError, NotImplementedError)):
        dc.evaluate("a + 1j", local_dict={"a": np.ones(3)})
    with pytest.raises((TypeError, NotImplementedError)):
        dc.evaluate("a + 1", local_dict={"a": np.ones(3, np.complex128)})
    with pytest.raises(TypeError):
        dc.evaluate("a << b", local_dict={"a": np.ones(3), "b": np.ones(3)})


# ------------------------------------------------------------------- ElementwiseKernel

def test_kernel_typed(rng):
    k = dc.ElementwiseKernel("float64 x, float64 y", "float64 z", "z = x * x + y", "sq")
    x = sample("f8", 1000, rng)
    y = sample("f8", 1000, rng)
    assert_matches(k(x, y), x * x + y)
    assert_matches(k(x, 2.0), x * x + 2.0)
    xf = sample("f4", 1000, rng)
    assert_matches(k(xf, y), xf.astype(np.float64) ** 2 + y)


def test_kernel_placeholders_and_out(rng):
    k = dc.ElementwiseKernel("T x, T y", "T z", "z = (x - y) * (x - y)", "sqdiff")
    for dt in ["f4", "f8", "i4", "u1"]:
        x = sample(dt, (20, 30), rng)
        y = sample(dt, (30,), rng)
        assert_matches(k(x, y), ((x - y) * (x - y)).astype(dt))
    x = sample("f4", 100, rng)
    out = np.empty(100, np.float32)
    assert k(x, x, out) is out
    k(x, np.float32(1), out=out)
    assert_matches(out, (x - 1) * (x - 1))
    with pytest.raises(TypeError):
        k(sample("f4", 3, rng), sample("f8", 3, rng))        # T mismatched


def test_kernel_statements_locals_and_two_outputs(rng):
    k = dc.ElementwiseKernel(
        "T x, T y", "T s, T d",
        "T t = x * y; s = t + x\n d = where(x > y && t > 0, t, -t)", "two")
    x = sample("f8", 500, rng)
    y = sample("f8", 500, rng)
    s, d = k(x, y)
    t = x * y
    assert_matches(s, t + x)
    assert_matches(d, np.where((x > y) & (t > 0), t, -t))


def test_kernel_reads_output_and_casts_on_assignment(rng):
    acc = dc.ElementwiseKernel("float32 x", "float32 z", "z = z + x * 2", "acc")
    x = sample("f4", 100, rng)
    z = np.ones(100, np.float32)
    acc(x, z)
    assert_matches(z, np.float32(1) + x * 2)
    with pytest.raises(ValueError):
        acc(x)
    trunc = dc.ElementwiseKernel("float64 x", "int32 n", "n = x * 10", "trunc")
    x = sample("f8", 100, rng)
    assert_matches(trunc(x), (x * 10).astype(np.int32))


def test_kernel_rejects_hostile_code():
    for op in ["z = __import__('os')", "z = x.real", "z = x[0]", "z = (lambda: x)()",
               "import os", "z = x; __x = 1", "x = 1"]:
        with pytest.raises((UnsafeExpressionError, SyntaxError, ValueError, KeyError)):
            dc.ElementwiseKernel("T x", "T z", op)(np.ones(3))


def test_kernel_cache():
    k = dc.ElementwiseKernel("T x", "T z", "z = x + 1", "inc")
    k(np.ones(3))
    h = cache_info().hits
    k(np.ones(4))
    assert cache_info().hits == h + 1


def test_streaming_stores_path(rng):
    from dotcompute._core import _fused
    _fused.set_stream_min_bytes(0)          # stream every output
    try:
        a = sample("f8", 10_001, rng)
        b = sample("f4", 10_001, rng)
        check("2*a + 3*b*b - a", a=a, b=b)
        check("a > b", a=a, b=b)
        out = np.empty((2, 10_001))[:, ::2]      # not contiguous: no streaming
        dc.evaluate("x + 1", local_dict={"x": a[::2]}, out=out)
        assert_matches(out, np.broadcast_to(a[::2] + 1, out.shape))
        k = dc.ElementwiseKernel("T x", "T y, T z", "y = x + 1; z = x * 2")
        y, z = k(a)
        assert_matches(y, a + 1)
        assert_matches(z, a * 2)
    finally:
        _fused.set_stream_min_bytes(32 << 20)


def test_nan_propagates_in_min_max():
    a = np.arange(100_000.0)
    a[77_777] = np.nan
    assert np.isnan(np.asarray(dc.evaluate("max(a * 2)")))
    assert np.isnan(np.asarray(dc.evaluate("min(a + 1)")))
    assert_matches(dc.evaluate("max(where(a > 0, a, 0))"),
                   np.asarray(np.max(np.where(a > 0, a, 0))))


def test_threads_do_not_change_exact_results(rng):
    a, b = sample("i8", 200_000, rng), sample("i8", 200_000, rng)
    before = dc.get_num_threads()
    try:
        dc.set_num_threads(1)
        one = np.asarray(dc.evaluate("sum(a * b - 3)"))
        dc.set_num_threads(2)
        two = np.asarray(dc.evaluate("sum(a * b - 3)"))
    finally:
        dc.set_num_threads(before)
    assert one == two == np.sum(a * b - 3)


def test_python_scalar_variables_are_part_of_the_key():
    a = np.array([1.0, -2.0, np.inf])
    for x in (0.0, -0.0, 2.5, -0.0, 0.0):
        with np.errstate(invalid="ignore"):
            want = a * x
        assert_matches(dc.evaluate("a * x"), want)
    for x in (1, True, 1.0):
        assert_matches(dc.evaluate("a * x"), a * x)
    u = np.arange(5, dtype=np.uint8)
    for x in (3, 300):
        if x > 255:
            with pytest.raises(OverflowError):
                dc.evaluate("u + x")
        else:
            assert_matches(dc.evaluate("u + x"), u + x)


def test_kernel_scalar_arguments_take_the_parameter_type(rng):
    k = dc.ElementwiseKernel("T x, float32 s", "T z", "z = x * s")
    x = sample("f8", 100, rng)
    assert_matches(k(x, 1.1), (x * np.float32(1.1)).astype(np.float64))
    u = np.arange(10, dtype=np.uint8)
    k2 = dc.ElementwiseKernel("T x, T y", "T z", "z = x + y")
    assert_matches(k2(u, 7), u + np.uint8(7))


# ------------------------------------------------ Python scalars as run-time arguments

def same_values(got, want):
    """Values, dtype and shape equal, NaN where NaN, and the sign of every zero equal."""
    got, want = np.asarray(got), np.asarray(want)
    assert (got.dtype, got.shape) == (want.dtype, want.shape)
    np.testing.assert_array_equal(got, want)
    if want.dtype.kind == "f":
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def outcome(f):
    """f()'s result, or the type of the exception it raised."""
    try:
        with np.errstate(all="ignore"):
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                return f()
    except Exception as e:          # compared by type with NumPy's
        return type(e)


def test_scalar_loop_compiles_once(rng):
    a, b = sample("f8", 1000, rng), sample("f8", 1000, rng)
    clear_cache()
    for i in range(1000):
        s = float(i)
        same_values(dc.evaluate("a*s + b*2.5"), a * s + b * 2.5)
    info = cache_info()
    assert (info.misses, info.hits) == (1, 999)


def test_nan_scalar_hits_the_cache(rng):
    a, b = sample("f8", 100, rng), sample("f8", 100, rng)
    s = float("nan")
    same_values(dc.evaluate("a*s + b*2.5"), a * s + b * 2.5)
    before = cache_info()
    s = float("nan")                    # another NaN object
    same_values(dc.evaluate("a*s + b*2.5"), a * s + b * 2.5)
    assert cache_info().hits == before.hits + 1 and cache_info().misses == before.misses


SCALARS = [0.0, -0.0, 2.5, -1e-310, float("nan"), float("inf"), -float("inf"), 1e300, 3, 0,
           -7, 127, 128, 255, 256, -128, -129, 2**31, 2**62, 2**63 - 1, 2**63, 2**64 - 1,
           2**64, -2**63, -2**63 - 1, True, False]
SCALAR_EXPRS = ["a*s + b*2.5", "a - s", "s / b", "a < s", "s >= b", "where(a > 0, a, s)",
                "a * (s * 2)", "a * -s", "a + (s > 1)", "maximum(a, s)"]


@pytest.mark.parametrize("dtype", ["f8", "f4", "i8", "i4", "i1", "u1", "u8", "?"])
@pytest.mark.parametrize("expr", SCALAR_EXPRS)
def test_scalar_values_match_numpy(expr, dtype, rng):
    """One cached program per expression and types, called with every value in turn:
    each result (or exception type) is NumPy's for that value."""
    a = sample(dtype, 50, rng)
    b = sample(dtype, 50, rng, positive=dtype != "?")
    for s in SCALARS:
        env = {"a": a, "b": b, "s": s}
        want = outcome(lambda: reference(expr, **env))
        got = outcome(lambda: dc.evaluate(expr, local_dict=env))
        if isinstance(want, type):
            if want is TypeError and got is NotImplementedError:
                continue                # a dtype NumPy rejects, or one we do not run
            assert got is want, (expr, s, got, want)
        elif isinstance(got, type) and got is NotImplementedError:
            assert np.asarray(want).dtype.kind not in "biuf", (expr, s)
        else:
            assert not isinstance(got, type), (expr, s, got, want)
            same_values(got, want)


@pytest.mark.parametrize("dtype", ["f8", "f4", "i8", "u1"])
def test_scalar_exponents_match_numpy(dtype, rng):
    a = sample(dtype, 200, rng, positive=True)
    for s in [2, 0.5, -1, 1, 3, 0, 2.0, 0.5, 1.5, -2.5, 2, 7, float("nan")]:
        want = outcome(lambda: reference("a ** s", a=a, s=s))
        got = outcome(lambda: dc.evaluate("a ** s", local_dict={"a": a, "s": s}))
        if isinstance(want, type):
            assert got is want, (s, got, want)
        else:
            assert_matches(got, want, ulps=4)


def test_numpy_scalars_are_strong(rng):
    i = sample("i1", 50, rng)
    f = sample("f4", 50, rng)
    for s in (np.float32(1.5), np.float64(-0.0), np.int16(300), np.uint8(7), np.bool_(True)):
        for x in (i, f):
            same_values(dc.evaluate("x * s + x"), x * s + x)


def test_scalar_only_subexpressions_follow_python(rng):
    a = sample("f4", 100, rng)
    pi, f = 3.141592653589793, 0.25
    for k in range(5):
        f = 0.25 * k
        assert_matches(dc.evaluate("sin(2*pi*f*a)"), np.sin(2 * pi * f * a), ulps=4)
    n = 4
    u = np.arange(10, dtype=np.uint8)
    same_values(dc.evaluate("u * (n + 1) + (~n + 9)"), u * (n + 1) + (~n + 9))
    with pytest.raises(OverflowError):              # u - (-5): as NumPy
        dc.evaluate("u - ~n")
    s = 0.0
    with pytest.raises(ZeroDivisionError):       # as Python raises for 1 / s
        dc.evaluate("a * (1 / s)")


# ------------------------------------------------------------------- the program cache

def test_one_cache_serves_evaluate_and_kernels():
    from dotcompute._compiler import _evaluate
    k = dc.ElementwiseKernel("T x", "T z", "z = x * 3 + 1", "cache_probe")
    before = cache_info()
    k(np.ones(5))
    assert cache_info().misses == before.misses + 1
    assert cache_info().size == before.size + 1 == len(_evaluate.programs)
    k(np.ones(7))
    assert cache_info().hits == before.hits + 1
    assert dc.evaluate.cache_info() == cache_info()


def test_cache_is_bounded_in_bytes_and_evicts_least_recently_used():
    from dotcompute._compiler import set_cache_limit
    a = np.ones(100_000)
    clear_cache()
    dc.evaluate("a + 1")
    one = cache_info().nbytes
    assert one > 100_000 // 512 * 8         # counts the temporaries the program keeps
    old = set_cache_limit(12 * one)
    try:
        for i in range(2, 40):
            dc.evaluate(f"a + {i}")
            dc.evaluate("a + 1")            # kept recently used
            info = cache_info()
            assert info.nbytes <= info.max_bytes == 12 * one
        assert cache_info().evictions > 0
        hits = cache_info().hits
        dc.evaluate("a + 1")                # still cached
        assert cache_info().hits == hits + 1
        misses = cache_info().misses
        dc.evaluate("a + 2")                # evicted long ago
        assert cache_info().misses == misses + 1
    finally:
        set_cache_limit(old)
    clear_cache()
    info = cache_info()
    assert (info, info.evictions, info.nbytes) == ((0, 0, 0), 0, 0)


def test_cache_counts_the_temporaries_programs_keep():
    from dotcompute._compiler import _evaluate
    from dotcompute._core import _threads
    clear_cache()
    before = dc.get_num_threads()
    key = ("a * 2 + 1", "same_kind", None, np.dtype(np.float64))
    try:
        dc.set_num_threads(1)
        dc.evaluate("a * 2 + 1", local_dict={"a": np.ones(10)})
        prog = _evaluate.programs.get(key)[0]
        one, prog_one = cache_info().nbytes, prog.nbytes
        assert prog_one > 4096                    # structures and one thread's blocks
        dc.set_num_threads(2)
        # the thread policy adapts to the machine's load: make this call thread
        old_mode = _threads.set_mode("always")
        try:
            dc.evaluate("a * 2 + 1", local_dict={"a": np.ones(1 << 20)})
        finally:
            _threads.set_mode(old_mode)
        # the same program now keeps blocks for two threads, and the cache counts them
        assert prog.nbytes > prog_one
        assert cache_info().nbytes - one == prog.nbytes - prog_one
    finally:
        dc.set_num_threads(before)
    clear_cache()
    assert cache_info().nbytes == 0


# --------------------------------------------------------- long and wide expressions

def poly(n, var="a"):
    return " + ".join(f"{k + 1}*{var}**{k}" if k else "1" for k in range(n + 1))


def horner(n, var="a"):
    text = "1"
    for k in range(n):
        text = f"({text})*{var} + {k + 2}"
    return text


@pytest.mark.parametrize("expr,ulps", [
    ("+".join(["a"] * 65), 0), ("+".join(["a"] * 1000), 0),
    (poly(13), 8), (poly(30), 8), (horner(13), 0), (horner(30), 0),
    ("+".join(f"sin(a+{i})" for i in range(17)), None),
    ("-".join(f"a*{i}" for i in range(1000)), 0),
])
def test_long_expressions_match_numpy(expr, ulps, rng):
    a = rng.uniform(0.5, 1.5, 1000)
    want = reference(expr, a=a)
    got = dc.evaluate(expr, local_dict={"a": a})
    if ulps is None:            # a sum of transcendentals: each term within 4 ULP
        np.testing.assert_allclose(np.asarray(got), want, rtol=0, atol=1e-13)
    else:
        assert_matches(got, want, ulps)


def test_expression_over_64_arrays(rng):
    env = {f"x{i}": sample("f8", 300, rng) for i in range(64)}
    expr = " + ".join(f"x{i}*{i + 1}" for i in range(64))
    assert_matches(dc.evaluate(expr, local_dict=env), reference(expr, **env))
    k = dc.ElementwiseKernel(", ".join(f"T x{i}" for i in range(64)), "T z",
                             "z = " + " + ".join(f"x{i}" for i in range(64)))
    assert_matches(k(*env.values()), reference(" + ".join(env), **env))


def test_kernel_with_a_long_body(rng):
    x = sample("f8", 100, rng)
    k = dc.ElementwiseKernel("T x", "T z", "z = " + "+".join(["x"] * 65))
    assert_matches(k(x), reference("+".join(["x"] * 65), x=x))


@pytest.mark.parametrize("expr", ["sin(" * 150 + "a" + ")" * 150,
                                  "a+(" * 150 + "a" + ")" * 150,
                                  "-(" * 150 + "a" + ")" * 150])
def test_deep_nesting_is_still_refused(expr):
    with pytest.raises(UnsafeExpressionError, match="nested deeper than 100"):
        dc.evaluate(expr, local_dict={"a": np.ones(3)})


# ----------------------------------------------------------------- evaluate's arguments

def test_evaluate_argument_checks():
    a = np.arange(3.0)
    for bad in ([0, 0, 0], (1, 2, 3), 5):
        with pytest.raises(TypeError):
            dc.evaluate("a + 1", out=bad)
    for out in (None, np.empty(3)):
        with pytest.raises(ValueError, match="casting"):
            dc.evaluate("a + 1", casting="bogus", out=out)
    for order in ("X", "c", 1):
        with pytest.raises(ValueError, match="order"):
            dc.evaluate("a + 1", order=order)


@pytest.mark.parametrize("order", ["K", "C", "F", "A"])
def test_evaluate_order_as_numpy(order):
    F = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    C = np.arange(12.0).reshape(3, 4) + 1
    v = np.arange(4.0)
    for x, y in [(F, F), (C, C), (F, v), (F, C), (C, F)]:
        got = dc.evaluate("x + y", local_dict={"x": x, "y": y}, order=order)
        want = np.add(x, y, order=order)
        assert_matches(got, want)
        assert (got.flags.c_contiguous, got.flags.f_contiguous) == \
            (want.flags.c_contiguous, want.flags.f_contiguous), (order, x.flags, y.flags)
    assert_matches(dc.evaluate("x * 2", local_dict={"x": F}, order=None), F * 2)


def test_equal_looking_scalar_subexpressions_keep_their_types():
    b = np.arange(5, dtype=np.int16)
    s = 3
    for expr in ["b*(s+1) + b*(s+1.0)", "b*(s+True) - b*(s+1)", "(b < s+1) & (b < s+1.0)"]:
        same_values(dc.evaluate(expr), eval(expr))


# ------------------------------------------------- fused pairs: (a op1 b) op2 c in one pass

FUSE2_OPS = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide}
SPECIALS = [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 3.0, 1e-300, 1e300, 1e-40, 3e38]


def special_sample(dtype, n, rng):
    """Normal values mixed with zeros of both signs, infinities, NaN, huge and tiny ones."""
    with np.errstate(over="ignore"):
        x = (rng.standard_normal(n) * 3).astype(dtype)
        sp = np.array(SPECIALS).astype(dtype)
    mask = rng.random(n) < 0.3
    x[mask] = sp[rng.integers(0, len(sp), int(mask.sum()))]
    return x


def fused_program(text, **arrays):
    """The compiled program of `text` over arrays (instructions and dtype checks)."""
    from dotcompute._compiler._lower import Builder, lower
    from dotcompute._compiler._parser import parse
    tree = parse(text)
    b = Builder()
    env = {k: b.input(v.dtype) for k, v in arrays.items()}
    v, b = lower(tree, env, b)
    prog, _ = b.program(outputs=[(v, v.dtype)], source=text)
    return prog


def bits_equal(got, want):
    """Bit for bit equal, except that any NaN matches any NaN (NumPy's payloads differ
    between builds)."""
    got, want = np.asarray(got), np.asarray(want)
    assert (got.dtype, got.shape) == (want.dtype, want.shape)
    nan = np.isnan(want)
    np.testing.assert_array_equal(np.isnan(got), nan)
    u = "u%d" % want.dtype.itemsize
    np.testing.assert_array_equal(got[~nan].view(u), want[~nan].view(u))


@pytest.mark.parametrize("dtype", ["f4", "f8"])
@pytest.mark.parametrize("op2", list(FUSE2_OPS))
@pytest.mark.parametrize("op1", list(FUSE2_OPS))
def test_fused_pairs_are_numpys_two_operations(op1, op2, dtype, rng):
    n = 2_000 + 37
    a, b, c = (special_sample(dtype, n, rng) for _ in range(3))
    f1, f2 = FUSE2_OPS[op1], FUSE2_OPS[op2]
    with np.errstate(all="ignore"):
        cases = {
            f"(a {op1} b) {op2} c": f2(f1(a, b), c),
            f"c {op2} (a {op1} b)": f2(c, f1(a, b)),         # right operand: fused if + *
            f"(a {op1} 2.5) {op2} b": f2(f1(a, 2.5), b),      # weak Python scalar
            f"(1.5 {op1} a) {op2} c": f2(f1(1.5, a), c),
            f"(a {op1} b) {op2} 0.75": f2(f1(a, b), 0.75),
            f"(a {op1} b) {op2} (a {op1} c)": f2(f1(a, b), f1(a, c)),
        }
        for text, want in cases.items():
            got = dc.evaluate(text, local_dict={"a": a, "b": b, "c": c})
            bits_equal(got, want)
        # strided and broadcast operands (byte strides, stride 0)
        sa, sb, sc = a[::3], b[1::3], c[2::3]
        m = len(sa) - 1
        got = dc.evaluate(f"(x {op1} y) {op2} z",
                          local_dict={"x": sa[:m], "y": sb[:m], "z": sc[:m]})
        bits_equal(got, f2(f1(sa[:m], sb[:m]), sc[:m]))
        x2, y2, z2 = a[:2000].reshape(40, 50), b[:50], c[:40].reshape(40, 1)
        got = dc.evaluate(f"(x {op1} y) {op2} z", local_dict={"x": x2, "y": y2, "z": z2})
        bits_equal(got, f2(f1(x2, y2), z2))


@pytest.mark.parametrize("dtype", ["f4", "f8"])
def test_fused_pairs_are_chosen(dtype, rng):
    a, b, c = (sample(dtype, 100, rng) for _ in range(3))
    arrays = dict(a=a, b=b, c=c)
    # 2*a + 3*b*b - c: five operations in three instructions, (s*a + b) in one, c - a*b in
    # one (the reversed kernels)
    for text, ninstr in (("2*a + 3*b*b - c", 3), ("a*1.5 + b", 1), ("c * (a - b)", 1),
                         ("c - a * b", 1), ("a / b / c + a * b", 2)):
        prog = fused_program(text, **arrays)
        assert prog.ninstr == ninstr, (text, prog.ninstr)
        bits_equal(dc.evaluate(text, local_dict=arrays), reference(text, **arrays))
    # not fused: integers, mixed float types (a cast between), a value used twice
    i = sample("i8", 100, rng)
    assert fused_program("i * i + i", i=i).ninstr == 2
    h = sample("f4" if dtype == "f8" else "f8", 100, rng)
    assert fused_program("(a * h) + c", a=a, h=h, c=c).ninstr >= 2
    check("(a * h) + c", a=a, h=h, c=c)
    check("i * i + i", i=i)


def test_fused_pairs_without_fusion_give_the_same_bits(rng):
    from dotcompute._compiler import _lower
    a, b, c = (special_sample("f8", 5_000, rng) for _ in range(3))
    env = {"a": a, "b": b, "c": c}
    with np.errstate(all="ignore"):
        fused = np.asarray(dc.evaluate("2*a + 3*b*b - c", local_dict=env))
        _lower.FUSE_PAIRS = False
        try:
            plain = np.asarray(dc.evaluate("2*a + 3*b*b - c ", local_dict=env))
        finally:
            _lower.FUSE_PAIRS = True
        bits_equal(fused, plain)
        bits_equal(fused, 2*a + 3*b*b - c)


def _warnings_of(f):
    import warnings
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        f()
    return sorted({str(x.message).rsplit(" in ", 1)[0] for x in w})


@pytest.mark.parametrize("n", [10, 300_000], ids=["serial", "threaded"])
@pytest.mark.parametrize("dtype", ["f4", "f8"])
def test_fused_pairs_report_floating_point_errors(n, dtype):
    big = np.finfo(dtype).max
    cases = [
        # overflow in op1 only, then inf - inf: overflow and invalid
        ("a * b - c", [big, 1.0], [4.0, 1.0], [np.inf, 1.0]),
        # divide by zero in op1, then a finite op2
        ("a / b + c", [1.0, 2.0], [0.0, 1.0], [1.0, 1.0]),
        # invalid in op2 only
        ("(a + b) * c", [np.inf, 1.0], [1.0, 1.0], [0.0, 1.0]),
        # underflow is not reported (as NumPy)
        ("(a * b) + c", [1e-30, 1.0], [1e-30, 1.0], [0.0, 1.0]),
        # no flags
        ("(a - b) / c", [1.0, 2.0], [0.5, 1.0], [2.0, 4.0]),
    ]
    before = dc.get_num_threads()
    dc.set_num_threads(2)
    try:
        for text, av, bv, cv in cases:
            a, b, c = (np.resize(np.array(v, dtype), n) for v in (av, bv, cv))
            env = {"a": a, "b": b, "c": c}
            assert fused_program(text, **env).ninstr == 1
            # NumPy's two operations (test oracle only), warning per operation
            want = _warnings_of(lambda: eval(text, {}, env))
            got = _warnings_of(lambda: dc.evaluate(text, local_dict=env))
            assert got == want, (text, got, want)
            for cat in ("over", "divide", "invalid"):
                with np.errstate(all="ignore", **{cat: "raise"}):
                    try:
                        eval(text, {}, env)
                        raised = False
                    except FloatingPointError:
                        raised = True
                    if raised:
                        with pytest.raises(FloatingPointError):
                            dc.evaluate(text, local_dict=env)
                    else:
                        dc.evaluate(text, local_dict=env)
            with np.errstate(all="ignore"):
                bits_equal(dc.evaluate(text, local_dict=env), reference(text, **env))
    finally:
        dc.set_num_threads(before)


@pytest.mark.parametrize("threads", [1, 2])
def test_programs_without_temporaries_long_blocks(threads, rng):
    """A program without temporaries runs its rows in long blocks: every shape, stride,
    broadcast and out= path still gives NumPy's bits."""
    before = dc.get_num_threads()
    dc.set_num_threads(threads)
    try:
        for shape in [(200_003,), (3, 70_001), (70_001, 3), (5, 7, 9_001), (1, 1)]:
            a = sample("f8", shape, rng)
            b = sample("f8", shape[-1:], rng)
            c = sample("f8", shape, rng)[..., ::-1]
            check("a * 1.5 + b", a=a, b=b)
            check("(a - c) * b", a=a, b=b, c=c)
            check("a + b", a=a, b=b)
            out = np.empty(shape)
            dc.evaluate("(a - c) / b", local_dict={"a": a, "b": b, "c": c}, out=out)
            bits_equal(out, (a - c) / b)
        x = sample("f4", (400, 600), rng)[::2, 1::3]
        check("x * x - x", x=x)
        k = dc.ElementwiseKernel("T x, T y", "T z", "z = x * y + y", "fma_like")
        p, q = sample("f4", 100_001, rng), sample("f4", 100_001, rng)
        bits_equal(k(p, q), p * q + q)
    finally:
        dc.set_num_threads(before)
