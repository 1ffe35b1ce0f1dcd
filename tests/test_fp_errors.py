"""Floating-point errors reported by dotcompute's kernels as NumPy reports its loops'
(issue 14, defect 3): per category (divide, over, under, invalid) and per np.geterr()
mode (warn, raise, ignore, call, print, log), for ufuncs and operators, integer division
by zero, casts, reductions and evaluate -- serial and threaded. CI runs this file under
every forced kernel build (DOTCOMPUTE_CPU_CAPABILITY=scalar|baseline|avx2)."""
import warnings

import numpy as np
import pytest

import dotcompute as dc
from dotcompute._core import _opspec

SMALL = 8             # one serial kernel call
LARGE = 300_000       # above every serial threshold: the threaded drivers


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def threads(request):
    old = dc.set_num_threads(request.param)
    yield request.param
    dc.set_num_threads(old)


def outcome(f, m, mode="warn"):
    """(messages warned, exception raised) of f(m) under np.errstate(all=mode)."""
    with warnings.catch_warnings(record=True) as w, np.errstate(all=mode):
        warnings.simplefilter("always")
        try:
            f(m)
            raised = None
        except FloatingPointError as e:
            raised = str(e)
    return [str(x.message) for x in w if issubclass(x.category, RuntimeWarning)], raised


def tile(values, n, dtype):
    v = np.asarray(values, dtype=dtype)
    return np.resize(v, n) if n > len(v) else v


# (name, call, operand values) -- each raises some category in NumPy
CASES = {
    "divide-by-zero": (lambda m, a, b: a / b, [1.0, -1.0, 2.0], [0.0, 0.0, 1.0]),
    "divide-0/0": (lambda m, a, b: a / b, [0.0, 1.0], [0.0, 1.0]),
    "true_divide": (lambda m, a, b: m.true_divide(a, b), [1.0, 0.0], [0.0, 0.0]),
    "overflow-mul": (lambda m, a, b: a * b, [1e308, 1.0], [10.0, 1.0]),
    "overflow-add": (lambda m, a, b: m.add(a, b), [1e308, 1.0], [1e308, 1.0]),
    "underflow": (lambda m, a, b: a * b, [1e-300, 1.0], [1e-300, 1.0]),
    "invalid-sub": (lambda m, a, b: a - b, [np.inf, 1.0], [np.inf, 1.0]),
    "invalid-mul": (lambda m, a, b: m.multiply(a, b), [np.inf, 1.0], [0.0, 1.0]),
    "sqrt-negative": (lambda m, a, b: m.sqrt(a), [-1.0, 4.0], None),
    "floor_divide-nan": (lambda m, a, b: a // b, [np.nan, 1.0, np.inf], [1.0, np.nan, 2.0]),
    "remainder-nan": (lambda m, a, b: m.remainder(a, b), [np.nan, 1.0], [1.0, np.nan]),
    "reciprocal": (lambda m, a, b: m.reciprocal(a), [0.0, 2.0], None),
    "power-overflow": (lambda m, a, b: m.power(a, b), [10.0, 2.0], [400.0, 2.0]),
    "power-invalid": (lambda m, a, b: a ** b, [-8.0, 2.0], [0.5, 2.0]),
    "floor_divide-by-zero": (lambda m, a, b: a // b, [1.0, 0.0], [0.0, 0.0]),
    "remainder-by-zero": (lambda m, a, b: a % b, [1.0, 2.0], [0.0, 1.0]),
    "inplace-divide": (lambda m, a, b: a.__itruediv__(b), [1.0, 2.0], [0.0, 1.0]),
    "no-error": (lambda m, a, b: a + b, [1.0, 2.0], [3.0, 4.0]),
    "less-nan": (lambda m, a, b: a < b, [np.nan, 1.0], [1.0, np.nan]),
    "maximum-nan": (lambda m, a, b: m.maximum(a, b), [np.nan, 1.0], [1.0, np.nan]),
    "equal-nan": (lambda m, a, b: m.equal(a, b), [np.nan, 1.0], [1.0, np.nan]),
    "nan-propagates": (lambda m, a, b: a * b + a, [np.nan, 1.0], [1.0, 2.0]),
}


def run_case(name, m, n, dtype="float64"):
    f, x, y = CASES[name]
    a = m.asarray(tile(x, n, dtype))
    b = None if y is None else m.asarray(tile(y, n, dtype))
    return lambda mod: f(mod, a, b)


# values chosen for float64 (float32 has its own cases below)
F64_ONLY = {"underflow", "overflow-mul", "overflow-add", "power-overflow"}


@pytest.mark.parametrize("n", [SMALL, LARGE], ids=["serial", "threaded"])
@pytest.mark.parametrize("name,dtype", [(c, t) for c in sorted(CASES)
                                        for t in ("float64", "float32")
                                        if t == "float64" or c not in F64_ONLY])
def test_warn_as_numpy(name, dtype, n, threads):
    want = outcome(run_case(name, np, n, dtype), np)
    got = outcome(run_case(name, dc, n, dtype), dc)
    assert sorted(set(got[0])) == sorted(set(want[0]))
    assert got[1] is None


@pytest.mark.parametrize("n", [SMALL, LARGE], ids=["serial", "threaded"])
@pytest.mark.parametrize("name", ["divide-by-zero", "overflow-mul", "underflow",
                                  "invalid-sub", "sqrt-negative", "floor_divide-by-zero",
                                  "no-error", "less-nan"])
def test_raise_as_numpy(name, n, threads):
    want = outcome(run_case(name, np, n), np, "raise")
    got = outcome(run_case(name, dc, n), dc, "raise")
    assert got == want


@pytest.mark.parametrize("category,expr", [
    ("divide", lambda m: m.ones(3) / 0.0),
    ("over", lambda m: m.full(3, 1e308) * 10.0),
    ("under", lambda m: m.full(3, 1e-300) * 1e-300),
    ("invalid", lambda m: m.zeros(3) / 0.0),
])
def test_each_category_follows_its_own_mode(category, expr):
    for mode in ("raise", "ignore", "warn"):
        settings = {c: "ignore" for c in ("divide", "over", "under", "invalid")}
        settings[category] = mode
        results = []
        for m in (np, dc):
            with warnings.catch_warnings(record=True) as w, np.errstate(**settings):
                warnings.simplefilter("always")
                try:
                    expr(m)
                    results.append(("ok", [str(x.message) for x in w]))
                except FloatingPointError as e:
                    results.append(("raise", str(e)))
        assert results[1] == results[0], (mode, results)


def test_errstate_raise_one_category():
    with np.errstate(all="raise"):
        with pytest.raises(FloatingPointError, match="divide by zero encountered in divide"):
            dc.ones(3) / 0.0
    with np.errstate(divide="raise", invalid="ignore"):
        with pytest.raises(FloatingPointError):
            dc.divide(dc.ones(3), 0.0)
        dc.zeros(3) / 0.0            # invalid only: ignored


def test_default_warns_with_numpys_message():
    with pytest.warns(RuntimeWarning, match="^divide by zero encountered in divide$"):
        dc.ones(3) / 0.0
    with pytest.warns(RuntimeWarning, match="^invalid value encountered in sqrt$"):
        dc.sqrt(dc.asarray([-1.0, 1.0]))
    with pytest.warns(RuntimeWarning, match="^overflow encountered in multiply$"):
        dc.asarray([1e308]) * 10.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dc.asarray([1e-300]) * 1e-300       # underflow is ignored by default (as NumPy)


def test_call_and_log_modes():
    for mode in ("call", "log"):
        seen = {np: [], dc: []}
        for m in (np, dc):
            class Log:
                def write(self, s, m=m):
                    seen[m].append(s)
            handler = Log() if mode == "log" else (lambda *a, m=m: seen[m].append(a))
            old = np.seterrcall(handler)
            try:
                with np.errstate(all=mode):
                    a = m.asarray([0.0, 1.0])
                    a / m.asarray([0.0, 0.0])
                    a * 2.0                     # no error: no call
            finally:
                np.seterrcall(old)
        assert seen[dc] == seen[np], mode
        assert seen[dc]


def test_call_without_function_is_name_error():
    old = np.seterrcall(None)
    try:
        for m in (np, dc):
            with np.errstate(divide="call"), pytest.raises(NameError):
                m.ones(2) / 0.0
    finally:
        np.seterrcall(old)


def test_print_mode(capfd):
    with np.errstate(all="print"):
        np.ones(2) / 0.0
    want = capfd.readouterr()
    with np.errstate(all="print"):
        dc.ones(2) / 0.0
    got = capfd.readouterr()
    assert got.out + got.err == want.out + want.err
    assert "Warning: divide by zero encountered in divide" in got.out + got.err


@pytest.mark.parametrize("n", [SMALL, LARGE], ids=["serial", "threaded"])
@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64", "uint8", "uint16",
                                   "uint32", "uint64"])
@pytest.mark.parametrize("op", ["floor_divide", "remainder", "divmod"])
def test_integer_division_by_zero(op, dtype, n, threads):
    def call(m):
        a = m.asarray(tile([5, 7, 0, 3], n, dtype))
        b = m.asarray(tile([0, 2, 0, 1], n, dtype))
        return getattr(m, op)(a, b)
    for mode in ("warn", "raise", "ignore"):
        assert outcome(call, dc, mode) == outcome(call, np, mode), mode
    with np.errstate(all="ignore"):
        got, want = call(dc), call(np)
    for g, w in zip(got if op == "divmod" else (got,), want if op == "divmod" else (want,)):
        assert np.asarray(g).dtype == w.dtype
        np.testing.assert_array_equal(np.asarray(g), w)
    # the operators too
    a = dc.asarray(tile([5, 7], n, dtype))
    z = dc.zeros(n, dtype=dtype)
    with pytest.warns(RuntimeWarning, match="divide by zero encountered in floor_divide"):
        a // z
    with pytest.warns(RuntimeWarning, match="divide by zero encountered in remainder"):
        a % z


@pytest.mark.parametrize("dtype", ["int8", "int64"])
def test_integer_floor_divide_overflow(dtype):
    lo = np.iinfo(dtype).min
    def call(m):
        return m.floor_divide(m.asarray([lo, 6], dtype=dtype), m.asarray([-1, -1], dtype=dtype))
    assert outcome(call, dc) == outcome(call, np)
    assert outcome(call, dc, "raise") == outcome(call, np, "raise")


@pytest.mark.parametrize("n", [SMALL, LARGE], ids=["serial", "threaded"])
@pytest.mark.parametrize("to", ["int64", "int32", "int16", "uint8", "uint64"])
@pytest.mark.parametrize("frm", ["float64", "float32"])
def test_nan_to_int_cast(frm, to, n, threads):
    def call(m):
        return m.asarray(tile([np.nan, 1.0, 2.0], n, frm)).astype(to)
    want = outcome(call, np)
    assert outcome(call, dc) == want
    assert outcome(call, dc, "raise") == outcome(call, np, "raise")


@pytest.mark.parametrize("n", [SMALL, LARGE], ids=["serial", "threaded"])
def test_reductions(n, threads):
    cases = [
        (lambda m: m.asarray(tile([np.inf, -np.inf], n, "float64")).sum()),
        (lambda m: m.sum(m.asarray(tile([np.inf, -np.inf], n, "float64")))),
        (lambda m: m.asarray(tile([1e308, 1e308], n, "float64")).sum()),
        (lambda m: m.asarray(tile([1e200, 1e200], n, "float64")).prod()),
        (lambda m: m.add.reduce(m.asarray(tile([np.inf, -np.inf], n, "float64")))),
        (lambda m: m.asarray(tile([np.inf, -np.inf], n, "float64")).reshape(-1, 2).sum(1)),
        (lambda m: m.asarray(tile([np.inf, -np.inf], n, "float64")).reshape(2, -1).sum(0)),
        (lambda m: m.asarray(tile([np.nan, 1.0], n, "float64")).max()),
        (lambda m: m.asarray(tile([np.nan, 1.0], n, "float64")).min()),
        (lambda m: m.asarray(tile([1.0, 2.0], n, "float64")).sum()),
    ]
    for i, case in enumerate(cases):
        for mode in ("warn", "raise"):
            assert outcome(case, dc, mode) == outcome(case, np, mode), (i, mode)


@pytest.mark.parametrize("n", [SMALL, LARGE], ids=["serial", "threaded"])
def test_evaluate(n, threads):
    a = dc.asarray(tile([1.0, 0.0, 2.0], n, "float64"))
    b = dc.asarray(tile([0.0, 0.0, 1.0], n, "float64"))
    na, nb = np.asarray(a), np.asarray(b)
    for expr, ref in (("a / b + 1.0", lambda: na / nb + 1.0), ("a * b", lambda: na * nb),
                      ("sum(a / b * 0.0)", lambda: (na / nb * 0.0).sum())):
        for mode in ("warn", "raise"):
            got = outcome(lambda m: dc.evaluate(expr, {"a": a, "b": b}), dc, mode)
            want = outcome(lambda m: ref(), np, mode)
            # the same categories (once per call: NumPy warns per operation)
            assert [g.replace(" in evaluate", "") for g in got[0]] == \
                sorted(set(w.rsplit(" in ", 1)[0] for w in want[0]),
                       key=["divide by zero encountered", "overflow encountered",
                            "underflow encountered", "invalid value encountered"].index), \
                (expr, mode)
            assert (got[1] is None) == (want[1] is None)
            if got[1] is not None:
                assert got[1].replace(" in evaluate", "") == want[1].rsplit(" in ", 1)[0]
    with np.errstate(all="ignore"):
        r = dc.evaluate("a / b + 1.0")
        np.testing.assert_array_equal(np.asarray(r), na / nb + 1.0)
    with np.errstate(divide="raise", invalid="ignore"), pytest.raises(FloatingPointError):
        dc.evaluate("a / b")
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        dc.evaluate("a / b")
        dc.evaluate("sum(a / b)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dc.evaluate("a * 2.0 + 1.0")


def test_flags_left_by_other_code_are_not_reported():
    import math
    try:
        math.exp(1000)                  # Python raises OverflowError; flags may stay set
    except OverflowError:
        pass
    np.seterr(all="ignore")
    try:
        np.ones(2) / 0.0                # NumPy clears its flags; ignore mode
    finally:
        np.seterr(all="warn", under="ignore")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dc.ones(3) + 1.0
        dc.asarray([1.0, 2.0]).sum()


@pytest.mark.parametrize("t", [t for t in _opspec.FLOATS])
def test_float32_overflow_and_underflow(t):
    dt = np.dtype(dict((s, ch) for s, _, ch in _opspec.DTYPES)[t])
    for x, y in ((3e38, 10.0), (1e-30, 1e-30)):
        def call(m):
            return m.asarray([x, 1.0], dtype=dt) * m.asarray([y, 1.0], dtype=dt)
        assert outcome(call, dc) == outcome(call, np)
        assert outcome(call, dc, "raise") == outcome(call, np, "raise")


def test_warning_points_at_the_caller():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        dc.ones(2) / 0.0
    assert w and w[0].filename == __file__


def test_warning_filter_error_becomes_exception():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(RuntimeWarning):
            dc.ones(2) / 0.0


SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, 1e308, -1e308, 1e-310, 800.0]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", [op[0] for op in _opspec.BINARY if "f8" in op[1]])
def test_binary_kernels_report_as_numpy_on_special_values(name, dtype):
    """Every binary kernel, every pair of special values: the categories NumPy warns."""
    with np.errstate(all="ignore"):
        x = np.array(SPECIAL, dtype=dtype)
    a, b = np.repeat(x, len(x)), np.tile(x, len(x))
    for i in range(len(a)):
        def call(m, i=i):
            return getattr(m, name)(m.asarray(a[i:i + 1]), m.asarray(b[i:i + 1]))
        assert outcome(call, dc) == outcome(call, np), (name, a[i], b[i])


def power_layouts(m, x, y):
    """power(x, y) with the operands (three copies of one pair of values) in several
    layouts: NumPy's loop gets their strides as they are, or all negated where none is
    positive, and on AVX-512 machines picks SVML or the C library's pow by them."""
    a, b = m.asarray(np.full(3, x)), m.asarray(np.full(3, y))
    yield "contiguous", lambda: m.power(a, b)
    yield "reversed", lambda: m.power(a[::-1], b)
    yield "both reversed", lambda: m.power(a[::-1], b[::-1])
    yield "reversed out", lambda: m.power(a, b, out=m.empty_like(a)[::-1])
    yield "all reversed", lambda: m.power(a[::-1], b[::-1], out=m.empty_like(a)[::-1])
    yield "strided", lambda: m.power(m.asarray(np.repeat(a, 3))[::3], b)
    yield "broadcast exponent", lambda: m.power(a, m.broadcast_to(b[:1], (3,)))

    def in_place():
        c = m.array(a)
        return m.power(c, b, out=c)
    yield "in place", in_place


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_power_reports_as_numpy_in_every_layout(dtype):
    """Every pair of special values, each layout of power_layouts: NumPy's categories."""
    with np.errstate(all="ignore"):
        x = np.array(SPECIAL, dtype=dtype)
    for a in x:
        for b in x:
            for (label, want), (_, got) in zip(power_layouts(np, a, b),
                                               power_layouts(dc, a, b)):
                for mode in ("warn", "raise"):
                    assert outcome(lambda m: got(), dc, mode) == \
                        outcome(lambda m: want(), np, mode), (a, b, label, mode)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", [op[0] for op in _opspec.UNARY if "f8" in op[1]])
def test_unary_kernels_report_as_numpy_on_special_values(name, dtype):
    """Every unary kernel (the transcendentals of dc_vmath.h too: tests/test_fp_vmath.py
    checks those in depth)."""
    with np.errstate(all="ignore"):
        x = np.array(SPECIAL, dtype=dtype)
    for i in range(len(x)):
        def call(m, i=i):
            return getattr(m, name)(m.asarray(x[i:i + 1]))
        assert outcome(call, dc) == outcome(call, np), (name, x[i])


def test_error_modes_follow_every_change_of_numpys_state():
    """The modes read for a report are cached by NumPy's error-state object: each
    np.errstate / np.seterr change (and its undoing) is seen by the next report."""
    x = np.full(200, 1e-3, np.float32)          # the product underflows
    d = dc.asarray(x)
    for _ in range(3):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert d.prod() == x.prod()          # under: ignore (the default)
        with np.errstate(under="raise"):
            with pytest.raises(FloatingPointError, match="underflow encountered in reduce"):
                x.prod()
            with pytest.raises(FloatingPointError, match="underflow encountered in reduce"):
                d.prod()
        old = np.seterr(under="warn")
        try:
            with pytest.warns(RuntimeWarning, match="underflow"):
                d.prod()
        finally:
            np.seterr(**old)
