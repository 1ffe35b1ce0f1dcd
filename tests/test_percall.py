"""The per-call paths against NumPy: NumPy functions run on dotcompute arrays through
`__array_function__` (arguments by vectorcall, results wrapped from NumPy's flags) and
fancy indexing (boolean masks and integer arrays, reading and assigning)."""
import functools
import inspect
import operator
import pickle
import warnings

import numpy as np
import pytest

import dotcompute as dc

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402


def run(f, *args, **kwargs):
    """('ok', result) or ('raise', exception type) of f(*args, **kwargs)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return "ok", f(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - compared with NumPy's
            return "raise", type(e)


def _equal(g, e, maxulp):
    if maxulp and g.dtype.kind == "f" and g.size:
        # a transcendental (power): our kernel or NumPy's loop, bounded error -- NumPy's
        # own result depends on the CPU (AVX-512 SVML loops on Intel, libm elsewhere)
        np.testing.assert_array_equal(np.isfinite(g), np.isfinite(e))
        np.testing.assert_array_max_ulp(g[np.isfinite(e)], e[np.isfinite(e)], maxulp)
        np.testing.assert_array_equal(g[~np.isfinite(e)], e[~np.isfinite(e)])
    else:
        np.testing.assert_array_equal(g, e)


def same(got, expected, maxulp=0):
    """got (dotcompute) equals expected (numpy): arrays in value, dtype, shape, strides
    and contiguity, tuples and lists element by element, anything else by ==; with
    maxulp, floating values within that many units in the last place."""
    if isinstance(expected, np.ndarray) and expected.ndim:
        assert type(got) is dc.ndarray, type(got)
        g = np.asarray(got)
        assert (g.dtype, g.shape) == (expected.dtype, expected.shape)
        if expected.size:       # (the strides of extent-1 axes do not matter, as NumPy's)
            assert [s for s, n in zip(g.strides, g.shape) if n > 1] == \
                [s for s, n in zip(expected.strides, expected.shape) if n > 1]
        assert got.flags.c_contiguous == expected.flags.c_contiguous
        assert got.flags.f_contiguous == expected.flags.f_contiguous
        _equal(g, expected, maxulp)
    elif isinstance(expected, (tuple, list)):
        assert type(got) is type(expected) and len(got) == len(expected)
        for g, e in zip(got, expected):
            same(g, e, maxulp)
    else:
        g, e = np.asarray(got), np.asarray(expected)
        _equal(g, e, maxulp)
        assert g.dtype == e.dtype


def both(f, *np_args, maxulp=0, **kwargs):
    """f on numpy arrays and on dotcompute copies of them: same outcome (maxulp: see same)."""
    dc_args = [dc.asarray(a) if isinstance(a, np.ndarray) else a for a in np_args]
    (ek, ev), (gk, gv) = run(f, *np_args, **kwargs), run(f, *dc_args, **kwargs)
    assert gk == ek, (gv, ev)
    if ek == "ok":
        same(gv, ev, maxulp)
    else:
        assert gv is ev


rng = np.random.default_rng(7)
VEC = {n: rng.uniform(-1, 1, n) for n in (0, 1, 10, 1000)}
FALLBACKS = [
    lambda a: np.median(a), lambda a: np.unique(a), lambda a: np.diff(a),
    lambda a: np.percentile(a, 30), lambda a: np.histogram(a, bins=5),
    lambda a: np.pad(a, 2), lambda a: np.roll(a, 3), lambda a: np.linalg.norm(a),
    lambda a: np.flip(a), lambda a: np.round(a, 2), lambda a: np.sort(a),
    lambda a: np.cumsum(a), lambda a: np.nonzero(a > 0), lambda a: np.split(a, [1]),
    lambda a: np.unique(a, return_counts=True), lambda a: np.diff(a, n=2, prepend=a[:1]),
    lambda a: np.concatenate([a, a, a]), lambda a: np.stack((a, a), axis=1),
    lambda a: np.einsum("i,i,i,i,i,i,i,i,i->", a, a, a, a, a, a, a, a, a),   # > 8 args
    lambda a: np.isclose(a, a, rtol=1e-3), lambda a: np.interp(a, a[:1], a[:1]),
]


@pytest.mark.parametrize("n", [0, 1, 10, 1000])
@pytest.mark.parametrize("i", range(len(FALLBACKS)))
def test_numpy_functions_on_dotcompute_arrays(i, n):
    both(FALLBACKS[i], VEC[n])


def test_fallback_out_argument_is_returned_and_written():
    a = VEC[10]
    out_np, out_dc = np.empty(10), dc.empty(10)
    r = np.cumsum(dc.asarray(a), out=out_dc)
    assert r is out_dc
    np.cumsum(a, out=out_np)
    np.testing.assert_array_equal(np.asarray(out_dc), out_np)
    out_dc = dc.empty(10)
    assert np.round(dc.asarray(a), 3, out=out_dc) is out_dc        # positional + out=
    np.testing.assert_array_equal(np.asarray(out_dc), np.round(a, 3))


def test_fallback_keyword_dc_arrays_and_lists_are_converted():
    a, b = VEC[10], VEC[10][::-1].copy()
    both(lambda x, y: np.diff(x, append=y), a, b)
    both(lambda x, y: np.concatenate(arrays=None or [x, y]) if False else
         np.concatenate([x, y], axis=0), a, b)
    da, db = dc.asarray(a), dc.asarray(b)
    same(np.piecewise(da, [da > 0, da <= 0], [1, -1]),
         np.piecewise(a, [a > 0, a <= 0], [1, -1]))
    same(np.where(da > 0, x=None, y=None) if False else np.average(da, weights=db),
         np.average(a, weights=b))


def test_fallback_errors_are_numpys():
    a = dc.asarray(VEC[10])
    with pytest.raises(np.exceptions.AxisError):
        np.flip(a, axis=3)
    with pytest.raises(TypeError):
        np.diff(a, bogus=1)
    with pytest.raises(ValueError):
        np.split(a, 3)


def test_wrapped_results_keep_numpys_layout_and_flags():
    base = np.arange(24.0).reshape(4, 6)
    d = dc.asarray(base)
    for f in (lambda x: np.transpose(x), lambda x: np.flip(x, 0), lambda x: x[:, ::2],
              lambda x: np.moveaxis(x, 0, 1), lambda x: x[:0], lambda x: x[1:2, :1],
              lambda x: np.atleast_3d(x)):
        same(f(d), f(base))
    un = np.frombuffer(b"\0" + np.arange(5.0).tobytes(), dtype=np.float64, offset=1)
    assert not un.flags.aligned
    w = dc.asarray(un)                       # misaligned data: NumPy's loops, right values
    same(w + 1, un + 1)
    same(np.sqrt(w), np.sqrt(un))


# ------------------------------------------------------------------- fancy indexing

@st.composite
def fancy_case(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=12))
    dtype = draw(st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.int8,
                                  np.bool_, np.complex128, np.complex64, np.uint16]))
    x = (np.arange(int(np.prod(shape))) % 7 - 3).astype(dtype).reshape(shape)
    if draw(st.booleans()) and x.ndim >= 2:
        x = x.T
    kind = draw(st.sampled_from(["mask", "mask_full", "int", "int_neg", "int_oob",
                                 "int_2d", "list", "tuple_mix", "empty_int"]))
    if kind == "mask":
        key = draw(hnp.arrays(np.bool_, x.shape[:1]))
    elif kind == "mask_full":
        key = draw(hnp.arrays(np.bool_, x.shape))
    elif kind in ("int", "int_neg", "int_oob"):
        lo, hi = (-x.shape[0], x.shape[0] - 1) if kind != "int_oob" else (-30, 30)
        if x.shape[0] == 0:
            lo, hi = 0, 0
        idt = draw(st.sampled_from([np.intp, np.int32, np.int8, np.uint8]))
        lo = max(lo, int(np.iinfo(idt).min)) if kind != "int" else max(0, lo)
        key = draw(hnp.arrays(idt, draw(st.integers(0, 15)),
                              elements=st.integers(max(lo, int(np.iinfo(idt).min)),
                                                   min(hi, int(np.iinfo(idt).max)))))
    elif kind == "int_2d":
        n = max(x.shape[0], 1)
        key = draw(hnp.arrays(np.intp, (2, 3), elements=st.integers(0, n - 1)))
    elif kind == "list":
        n = max(x.shape[0], 1)
        key = draw(st.lists(st.integers(-n, n - 1), max_size=6))
    elif kind == "tuple_mix":
        n = max(x.shape[0], 1)
        key = (draw(hnp.arrays(np.intp, 3, elements=st.integers(0, n - 1))),) + (
            (slice(None, None, -1),) if x.ndim > 1 else ())
    else:
        key = np.zeros(0, np.intp)
    return x, key


def _keys(key):
    """The key for NumPy and for dotcompute (numpy arrays in it as dc arrays)."""
    if isinstance(key, np.ndarray):
        return key, dc.asarray(key)
    if isinstance(key, tuple):
        return key, tuple(dc.asarray(k) if isinstance(k, np.ndarray) else k for k in key)
    return key, key


@settings(max_examples=300, deadline=None)
@given(case=fancy_case(), numpy_key=st.booleans())
def test_fancy_getitem_as_numpy(case, numpy_key):
    x, key = case
    k_np, k_dc = _keys(key)
    d = dc.asarray(x)
    (ek, ev), (gk, gv) = run(lambda: x[k_np]), run(lambda: d[k_np if numpy_key else k_dc])
    assert gk == ek, (gv, ev)
    if ek == "ok":
        same(gv, ev)
        if isinstance(gv, dc.ndarray) and gv.size:     # a copy: writing it leaves d alone
            before = np.asarray(d).copy()
            gv[...] = 0
            np.testing.assert_array_equal(np.asarray(d), before)
    else:
        assert gv is ev


@settings(max_examples=300, deadline=None)
@given(case=fancy_case(), numpy_key=st.booleans(),
       value=st.sampled_from(["scalar", "npscalar", "array", "dc_array", "bad"]),
       py=st.sampled_from([2, 2.5, -1, 300, 1 << 70, True, float("nan"), float("inf"),
                           -0.0, 1 + 2j, complex(0, -0.0)]))
def test_fancy_setitem_as_numpy(case, numpy_key, value, py):
    x, key = case
    k_np, k_dc = _keys(key)
    e, d = x.copy(), dc.asarray(x.copy())
    sel = run(lambda: x[k_np])
    if value == "scalar":                  # Python scalars: converted as a[i] = v
        v_np = v_dc = py
    elif value == "npscalar":
        v_np = v_dc = np.float32(1.5)
    elif value == "bad":
        v_np = v_dc = "not a number"
    else:
        v_np = (np.arange(sel[1].size).reshape(sel[1].shape) if sel[0] == "ok"
                else np.arange(2)).astype(x.dtype)
        v_dc = dc.asarray(v_np) if value == "dc_array" else v_np

    def assign(a, k, v):
        a[k] = v

    (ek, ev) = run(assign, e, k_np, v_np)
    (gk, gv) = run(assign, d, k_np if numpy_key else k_dc, v_dc)
    assert gk == ek, (gv, ev)
    if ek == "raise":
        assert gv is ev
    same(d, e)


def _run_mask(rng, n):
    """A mask of n entries in runs (long true and false stretches, as a Mandelbrot set's
    rows) with some isolated flips: all-true 8-entry words, runs of them, mixed words."""
    m = np.zeros(n, bool)
    i = 0
    while i < n:
        length = int(rng.integers(1, 60))
        m[i:i + length] = rng.random() < 0.5
        i += length
    if n:
        flips = rng.integers(0, n, max(n // 50, 1))
        m[flips] = ~m[flips]
    return m


@pytest.mark.parametrize("dtype", [np.complex128, np.float64, np.float32, np.int8,
                                   np.bool_, np.int16])
@pytest.mark.parametrize("kind", ["rows", "full", "strided"])
def test_mask_gather_and_scatter_of_runs_as_numpy(dtype, kind):
    """a[mask] and a[mask] = v with masks of long runs (whole true words copied as one
    run) against NumPy, for row masks, masks of the whole shape and strided masks; values
    as dc and NumPy arrays; the array is left as NumPy leaves its own."""
    rng = np.random.default_rng(7)
    for n in (0, 7, 8, 9, 64, 1003, 4096 + 13):
        if kind == "full":
            x = (rng.normal(size=(n, 3)) * 10).astype(dtype)
            mask = _run_mask(rng, 3 * n).reshape(n, 3)
        else:
            x = (rng.normal(size=(n, 2)) * 10).astype(dtype)
            mask = _run_mask(rng, 2 * n)[::2] if kind == "strided" else _run_mask(rng, n)
        d = dc.asarray(x)
        for key in (mask, dc.asarray(mask)):
            same(d[key], x[mask])
        v = (rng.normal(size=x[mask].shape) * 100).astype(dtype)
        for value in (v, dc.asarray(v)):
            e, g = x.copy(), dc.asarray(x)
            e[mask] = v
            g[dc.asarray(mask) if isinstance(value, dc.ndarray) else mask] = value
            same(g, e)


def test_mask_assignment_of_arrays_keeps_numpys_errors_and_broadcasting():
    x = np.arange(12.0).reshape(4, 3)
    mask = np.array([True, False, True, True])
    for value in (np.arange(2.0 * 3).reshape(2, 3),      # too few rows
                  np.arange(4.0 * 3).reshape(4, 3),      # too many
                  np.arange(3.0),                        # broadcast over the rows
                  np.array([7.0]),                       # one value
                  np.arange(9, dtype=np.int64).reshape(3, 3),    # another dtype
                  np.arange(9.0).reshape(3, 3)[:, ::-1]):        # not contiguous
        e, d = x.copy(), dc.asarray(x)
        (ek, ev) = run(e.__setitem__, mask, value)
        (gk, gv) = run(d.__setitem__, dc.asarray(mask), dc.asarray(value))
        assert gk == ek and (ek == "ok" or gv is ev), (value, gv, ev)
        same(d, e)
    # the value a view of the array itself (overlap): NumPy's order of copies
    e, d = x.ravel().copy(), dc.asarray(x.ravel())
    m = np.arange(12) % 2 == 0
    e[m] = e[1:12:2][::-1].copy()
    d[dc.asarray(m)] = d[1:12:2][::-1]
    same(d, e)
    e, d = x.ravel().copy(), dc.asarray(x.ravel())
    e[m] = e[:6]
    d[dc.asarray(m)] = d[:6]
    same(d, e)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128, np.int8,
                                   np.int64, np.bool_])
@pytest.mark.parametrize("idt", [np.intp, np.int32])
def test_integer_index_assignment_of_arrays_as_numpy(dtype, idt):
    """a[idx] = v with v an array of a's dtype and the selected shape: repeated indices
    keep the last value, negative indices count from the end, 1-d and row (2-d) targets,
    strided keys; an index out of bounds raises NumPy's IndexError with nothing written."""
    rng = np.random.default_rng(3)
    for shape in ((50,), (50, 3), (0,), (1, 4)):
        x = (rng.normal(size=shape) * 10).astype(dtype)
        n0 = shape[0]
        for idx in (rng.integers(-n0, n0, 40).astype(idt) if n0 else np.zeros(0, idt),
                    np.array([0, 0, 0], idt) if n0 else np.zeros(0, idt),
                    (rng.integers(0, n0, 20).astype(idt)[::2] if n0 else np.zeros(0, idt))):
            v = (rng.normal(size=(len(idx),) + shape[1:]) * 10).astype(dtype)
            for key in (idx, dc.asarray(idx)):
                e, d = x.copy(), dc.asarray(x)
                e[idx] = v
                d[key] = dc.asarray(v)
                same(d, e)
    x = np.arange(10.0)
    for bad in (np.array([1, 10], np.intp), np.array([-11, 2], np.int32)):
        e, d = x.copy(), dc.asarray(x)
        (ek, ev), (gk, gv) = run(e.__setitem__, bad, np.ones(2)), \
            run(d.__setitem__, dc.asarray(bad), dc.ones(2))
        assert (ek, ev) == (gk, gv) == ("raise", IndexError)
        same(d, e)                                  # nothing written


def test_integer_index_assignment_with_overlap_as_numpy():
    """The value or the key sharing the target's memory: NumPy's assignment runs."""
    e = np.arange(10)
    d = dc.asarray(e)
    e[e[:4]] = e[6:]
    d[d[:4]] = d[6:]
    same(d, e)
    e = np.arange(10.0)
    d = dc.asarray(e)
    idx = np.array([9, 8, 7])
    e[idx] = e[:3]
    d[dc.asarray(idx)] = d[:3]
    same(d, e)


def test_fancy_indexing_with_repeated_indices_and_accumulation():
    x = np.zeros(5)
    d = dc.zeros(5)
    idx = np.array([0, 1, 1, 3, 3, 3])
    x[idx] += 1
    d[dc.asarray(idx)] += 1
    same(d, x)


def test_fancy_indexing_of_read_only_array_raises():
    d = dc.asarray(np.arange(5.0))
    d.setflags(write=False)
    with pytest.raises(ValueError):
        d[dc.asarray(np.array([True, False, True, False, True]))] = 1.0
    with pytest.raises(ValueError):
        d[np.array([0, 1])] = 1.0
    same(d[np.array([0, 1])], np.arange(5.0)[np.array([0, 1])])


def test_shape_follows_every_layout_change():
    """.shape is built once and kept until the layout changes (shape set, resize)."""
    a, e = dc.zeros(6), np.zeros(6)
    assert a.shape == e.shape == (6,)
    a.shape = (2, 3)
    e.shape = (2, 3)
    assert a.shape == e.shape and a.strides == e.strides
    a.resize((3, 4), refcheck=False)
    e.resize((3, 4), refcheck=False)
    assert a.shape == e.shape == (3, 4)
    assert a.T.shape == (4, 3) and a[1:].shape == (2, 4) and a[:, None].shape == (3, 1, 4)


@settings(max_examples=200, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5),
       sizes=st.lists(st.integers(0, 4), min_size=1, max_size=4),
       axis=st.integers(-4, 3), dtypes=st.sampled_from(["same", "mixed"]),
       layout=st.sampled_from(["c", "T", "numpy"]), container=st.sampled_from([list, tuple]))
def test_concatenate_as_numpy(shape, sizes, axis, dtypes, layout, container):
    ax = axis % len(shape) if -len(shape) <= axis < len(shape) else 0
    parts = []
    for k, n in enumerate(sizes):
        sh = list(shape)
        sh[ax] = n
        dt = np.float64 if dtypes == "same" or k % 2 == 0 else np.int32
        parts.append((np.arange(int(np.prod(sh))) + 10 * k).astype(dt).reshape(sh))
    if layout == "T":
        parts = [np.ascontiguousarray(p.T).T for p in parts]
    e = run(np.concatenate, container(parts), axis=axis)
    d = [p if layout == "numpy" and i % 2 else dc.asarray(p) for i, p in enumerate(parts)]
    g = run(np.concatenate, container(d), axis=axis)
    g2 = run(dc.concatenate, container(d), axis)
    for got in (g, g2):
        assert got[0] == e[0], (got, e)
        if e[0] == "ok":
            same(got[1], e[1])
        else:
            assert got[1] is e[1]


def test_concatenate_of_equal_dtypes_promotes_as_numpy():
    a, b = np.arange(3, dtype="l"), np.arange(3, dtype="q")
    for parts in ([a, b], [b, a], [a, a]):
        same(np.concatenate([dc.asarray(p) for p in parts]), np.concatenate(parts))
        assert np.concatenate([dc.asarray(p) for p in parts]).dtype.char == \
            np.concatenate(parts).dtype.char


def test_concatenate_keywords_and_out():
    a, b = dc.asarray(np.arange(3.0)), dc.asarray(np.arange(2.0))
    out = dc.empty(5)
    assert np.concatenate([a, b], out=out) is out
    same(out, np.arange(5.0) - np.array([0, 0, 0, 3, 3]))
    same(np.concatenate([a, b], dtype=np.float32), np.concatenate(
        [np.arange(3.0), np.arange(2.0)], dtype=np.float32))
    same(np.concatenate([a, b], axis=None), np.concatenate([np.arange(3.0), np.arange(2.0)],
                                                           axis=None))
    with pytest.raises(ValueError):
        np.concatenate([])
    with pytest.raises(np.exceptions.AxisError):
        np.concatenate([a, b], axis=1)


def test_ufunc_of_scalars_returns_numpys_scalar():
    for v in (2.0, 4, True, np.float64(2.0), np.float32(3), np.int8(3), 1 + 2j, -1.0):
        for name in ("sqrt", "negative", "isnan", "exp", "absolute"):
            e, g = run(getattr(np, name), v), run(getattr(dc, name), v)
            assert g[0] == e[0]
            if e[0] == "ok":
                assert type(g[1]) is type(e[1])
                np.testing.assert_array_equal(g[1], e[1])


TRANSCENDENTAL = ["cbrt", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos",
                  "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh",
                  "arccosh", "arctanh"]


@pytest.mark.parametrize("name", TRANSCENDENTAL)
@pytest.mark.parametrize("kind", [float, np.float64, np.float32])
def test_transcendental_of_one_float_scalar_is_numpys_bits(name, kind):
    """A float scalar through a transcendental (NumPy's own loop on the one element, with
    the strides of NumPy's scalar call): NumPy's type and bits on 3000 values over many
    magnitudes and the special ones, and NumPy's reports under each errstate."""
    rng = np.random.default_rng(21)
    values = list(np.concatenate([rng.standard_normal(1000), rng.uniform(-1, 1, 1000),
                                  np.exp(rng.uniform(-700, 700, 1000)) *
                                  rng.choice([-1, 1], 1000)]))
    values += [0.0, -0.0, 1.0, -1.0, 0.5, 1e-310, -1e-310, 1e300, -1e300, 710.0, -750.0,
               89.0, -104.0, np.inf, -np.inf, np.nan, 1e-45, 3.4e38, np.pi, 2.0]
    uf, df = getattr(np, name), getattr(dc, name)
    with np.errstate(all="ignore"):
        for v in values:
            x = kind(v)
            e, g = uf(x), df(x)
            assert type(g) is type(e), (name, x)
            assert np.asarray(g).tobytes() == np.asarray(e).tobytes(), (name, x, g, e)
    def outcome(f, x):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                r = ("ok", np.asarray(f(x)).tobytes())
            except FloatingPointError as exc:
                r = ("raise", str(exc))
        return r, [str(m.message) for m in w]

    for v in (0.0, -1.0, 1e300, -1e300, 2.0, np.inf, 1e-310, 1e-45):
        with np.errstate(all="ignore"):
            x = kind(v)
        for mode in ("warn", "raise"):
            with np.errstate(all=mode):
                assert outcome(df, x) == outcome(uf, x), (name, x, mode)


BINARY_NAMES = ["add", "subtract", "multiply", "true_divide", "floor_divide", "remainder",
                "power", "maximum", "minimum", "fmax", "fmin", "copysign", "arctan2", "hypot",
                "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
                "logical_and", "logical_or", "logical_xor", "bitwise_and", "left_shift"]


@pytest.mark.parametrize("name", BINARY_NAMES)
def test_binary_of_two_float_scalars_is_numpys(name):
    """Two float64 scalars (Python floats, np.float64, mixed) through the namespace's
    binary ufunc (our kernel or NumPy's loop on the one element): NumPy's result type and
    bits, its exceptions, and its reports under each errstate."""
    special = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -2.5, 3.0, 1e-310, 1e300, -1e300, np.inf,
               -np.inf, np.nan, 7.25, -0.1]
    rng = np.random.default_rng(22)
    pairs = [(a, b) for a in special for b in special]
    pairs += [tuple(v) for v in rng.standard_normal((300, 2)) * 10]
    uf, df = getattr(np, name), getattr(dc, name)

    def outcome(f, x, y):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                r = f(x, y)
                r = ("ok", type(r), np.asarray(r).tobytes())
            except Exception as exc:  # noqa: BLE001 - compared with NumPy's
                r = ("raise", type(exc))
        return r, [str(m.message) for m in w]

    for k, (a, b) in enumerate(pairs):
        for x, y in ((a, b), (np.float64(a), b), (a, np.float64(b)),
                     (np.float64(a), np.float64(b))):
            modes = ("ignore", "warn", "raise") if k < 40 else ("ignore",)
            for mode in modes:
                with np.errstate(all=mode):
                    assert outcome(df, x, y) == outcome(uf, x, y), (name, x, y, mode)


EXACT_UNARY = ["negative", "positive", "absolute", "square", "reciprocal", "sqrt", "floor",
               "ceil", "trunc", "rint", "isnan", "isinf", "isfinite", "signbit"]


@pytest.mark.parametrize("name", EXACT_UNARY)
@pytest.mark.parametrize("kind", [float, np.float64, np.float32])
def test_exact_unary_of_one_float_scalar_as_numpy(name, kind):
    """A float scalar through the namespace's ufunc (our kernel on one element): NumPy's
    scalar type and bits (signed zeros, NaN, infinities, subnormals, rounding), and
    NumPy's floating-point errors under every errstate."""
    values = [0.0, -0.0, 1.5, -2.5, 2.5, 3.5, 1e-310, -1e-310, 1e300, -1e300, np.inf,
              -np.inf, np.nan, 0.1, 1e-45, 3.4e38]
    for v in values:
        x = kind(v)
        for mode in ("ignore", "raise"):
            with np.errstate(all=mode):
                e, g = run(getattr(np, name), x), run(getattr(dc, name), x)
            assert g[0] == e[0], (name, x, mode, g, e)
            if e[0] == "ok":
                assert type(g[1]) is type(e[1]), (name, x)
                assert np.array_equal(g[1], e[1], equal_nan=True), (name, x, g[1], e[1])
                assert np.signbit(g[1]) == np.signbit(e[1]), (name, x, g[1], e[1])
            else:
                assert g[1] is e[1]
    with warnings.catch_warnings(record=True) as got_w:
        warnings.simplefilter("always")
        dc.sqrt(kind(-1.0))
    with warnings.catch_warnings(record=True) as exp_w:
        warnings.simplefilter("always")
        np.sqrt(kind(-1.0))
    assert [str(w.message) for w in got_w] == [str(w.message) for w in exp_w]


@pytest.mark.parametrize("call", [
    lambda m, a: m.add(a, 1.5), lambda m, a: m.add(a, a, out=m.zeros(3)),
    lambda m, a: m.sqrt(a, dtype=np.float32), lambda m, a: m.add(a, 1, where=True),
    lambda m, a: m.add(a), lambda m, a: m.sqrt(), lambda m, a: m.add(a, a, a, a),
    lambda m, a: m.sqrt(a, bogus=1), lambda m, a: m.sqrt("x"), lambda m, a: m.sqrt(2.0),
    lambda m, a: m.add(2, 3), lambda m, a: m.negative(a), lambda m, a: m.divmod(a, 2),
    lambda m, a: m.sqrt(a, a), lambda m, a: m.isnan(np.float32(1.0)),
])
def test_ufunc_calls_by_vectorcall_as_numpy(call):
    """dotcompute.ufunc's vectorcall entry (one or two positional operands) and its
    keyword path give NumPy's values, types and exceptions."""
    a = np.array([1.0, 4.0, 9.0])
    e, g = run(call, np, a.copy()), run(call, dc, dc.asarray(a))   # sqrt(a, a) writes a
    assert g[0] == e[0], (g, e)
    if e[0] == "raise":
        assert g[1] is e[1]
    else:
        same(g[1], e[1])


def _out_calls():
    """(name, call(m, a, b, c, c_int, c_wide)) of ufuncs given their output by position or
    keyword: m is the module, a (2, 3) and b (3,) operands, c a (2, 3) float64 output,
    c_int an int64 one, c_wide a (3, 3) one."""
    return [
        ("add pos", lambda m, a, b, c, ci, cw: m.add(a, b, c)),
        ("add kw", lambda m, a, b, c, ci, cw: m.add(a, b, out=c)),
        ("add tuple", lambda m, a, b, c, ci, cw: m.add(a, b, out=(c,))),
        ("add scalar", lambda m, a, b, c, ci, cw: m.multiply(a, 2.5, c)),
        ("add list", lambda m, a, b, c, ci, cw: m.subtract([1.0, 2.0, 3.0], a, out=c)),
        ("sqrt pos", lambda m, a, b, c, ci, cw: m.sqrt(a, c)),
        ("sqrt kw", lambda m, a, b, c, ci, cw: m.sqrt(a, out=c)),
        ("less pos", lambda m, a, b, c, ci, cw: m.less(a, b, c)),
        ("None pos", lambda m, a, b, c, ci, cw: m.add(a, b, None)),
        ("None kw", lambda m, a, b, c, ci, cw: m.negative(a, out=None)),
        ("cast", lambda m, a, b, c, ci, cw: m.add(a, b, ci)),
        ("cast kw", lambda m, a, b, c, ci, cw: m.sqrt(a, out=ci)),
        ("shape", lambda m, a, b, c, ci, cw: m.add(a, b, cw)),
        ("twice", lambda m, a, b, c, ci, cw: m.add(a, b, c, out=c)),
        ("not array", lambda m, a, b, c, ci, cw: m.sqrt(a, 3)),
        ("in place", lambda m, a, b, c, ci, cw: m.add(c, b, c)),
    ]


@pytest.mark.parametrize("name,call", _out_calls(), ids=[n for n, _ in _out_calls()])
def test_ufunc_output_by_position_or_keyword_as_numpy(name, call):
    """An output given by position (`np.add(a, b, c)`) or as out= takes the fast paths:
    NumPy's values and dtype, the output itself returned and written, NumPy's errors."""
    a = np.arange(6.0).reshape(2, 3) + 1.0
    b = np.array([0.5, 1.5, 2.5])

    def operands(m):
        conv = np.asarray if m is np else dc.asarray
        return (conv(a), conv(b), conv(np.full((2, 3), 7.0)), conv(np.zeros((2, 3), np.int64)),
                conv(np.zeros((3, 3))))

    want_ops, got_ops = operands(np), operands(dc)
    e, g = run(call, np, *want_ops), run(call, dc, *got_ops)
    assert g[0] == e[0], (g, e)
    if e[0] == "raise":
        assert g[1] is e[1]
        return
    same(g[1], e[1])
    for w, o in zip(want_ops, got_ops):     # what was written, and nothing else
        same(o, w)
    outs = [i for i, w in enumerate(want_ops) if e[1] is w]
    assert [i for i, o in enumerate(got_ops) if g[1] is o] == outs


def test_ufunc_numpy_output_of_dotcompute_operands_is_returned():
    """A NumPy array as the output of dotcompute operands is written and returned, by
    position as by keyword."""
    a = dc.asarray([1.0, 4.0, 9.0])
    for call in (lambda c: dc.sqrt(a, c), lambda c: dc.sqrt(a, out=c),
                 lambda c: dc.add(a, a, c), lambda c: dc.add(a, a, out=c)):
        c = np.zeros(3)
        r = call(c)
        assert r is c and c.tolist() != [0.0, 0.0, 0.0]


def test_power_broadcast_exponent_keeps_numpys_inner_loop():
    """(-inf) ** 0.5 is inf through pow and nan through NumPy's sqrt fast path, which its
    loop takes only for an exponent of stride 0 in NumPy's innermost dimension: the walk
    keeps that dimension for power (shapes (300, 1, 3) and (1, 70, 3))."""
    x = np.full((300, 1, 3), -np.inf, np.float32)
    y = np.full((1, 70, 3), 0.5, np.float32)
    y[0, :, 0] = 2.0
    with np.errstate(all="ignore"):
        e = np.power(x, y)
        g = dc.power(dc.asarray(x), dc.asarray(y))
    np.testing.assert_array_equal(np.asarray(g), e)


def test_fancy_rows_at_an_offset_of_half_a_row():
    """Rows of two float32 starting 4 bytes into an 8-byte boundary (and complex64
    elements after a 4-byte offset): gathered as NumPy does."""
    base = np.arange(21, dtype=np.float32)
    e = base[1:].reshape(10, 2)
    d = dc.asarray(base)[1:].reshape(10, 2)
    assert np.asarray(d).ctypes.data % 8 == 4
    for key in (np.array([3, 0, 9, -1]), np.array([True, False] * 5)):
        same(d[dc.asarray(key)], e[key])
        same(d[key], e[key])
    raw = np.zeros(9 * 8 + 4, np.uint8)
    c = np.frombuffer(raw.data, dtype=np.complex64, count=9, offset=4)
    c[:] = np.arange(9) + 1j
    dcc = dc.asarray(c, copy=False)               # over the misaligned buffer itself
    assert dcc.data_ptr % 8 == 4
    same(dcc[dc.asarray(np.array([8, 1, 1]))], c[np.array([8, 1, 1])])


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint16, np.int32, np.float32,
                                   np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize("pattern", ["runs", "random", "all", "none", "last_only",
                                     "first_only", "tail"])
@pytest.mark.parametrize("row", [None, 1, 2, 3])
def test_mask_gather_runs_as_numpy(dtype, pattern, row):
    # masks read 8 entries at a time (all-false words skipped, all-true words copied in
    # one move) and mixed words stored slot by slot: every pattern, length not a multiple
    # of 8, whole-shape masks and first-axis masks of rows of 1-3 elements
    rng = np.random.default_rng(7)
    n = 203
    mask = {"runs": (np.arange(n) // 13) % 3 != 1, "random": rng.random(n) < 0.5,
            "all": np.ones(n, bool), "none": np.zeros(n, bool),
            "last_only": np.arange(n) == n - 1, "first_only": np.arange(n) == 0,
            "tail": np.arange(n) >= n - 5}[pattern]
    shape = (n,) if row is None else (n, row)
    x = (np.arange(np.prod(shape)) % 11 - 4).astype(dtype).reshape(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * x[::-1] if row is None else x + 1j
    x = x.astype(dtype)
    same(dc.asarray(x)[dc.asarray(mask)], x[mask])
    if row is None:
        m2 = mask[:200].reshape(8, 25)
        x2 = x[:200].reshape(8, 25)
        same(dc.asarray(x2)[dc.asarray(m2)], x2[m2])


# ---------------------------------------------------- functions and methods run natively
# flip/fliplr/flipud/diff/reshape/ravel/transpose build their views from the layout (or
# run our subtract on two views); NumPy's methods are defined on the class. Each is
# checked through the namespace (dc.f) and through NumPy's protocol (np.f on dc arrays).

DTYPES = ["float64", "float32", "int32", "uint8", "bool", "complex128"]


@st.composite
def strided_views(draw):
    """(numpy view, dc view of the same values and layout): any dtype of DTYPES, 0-4
    dimensions, empty extents, steps of either sign, transposed or not."""
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))
    base = draw(hnp.arrays(dtype, shape))
    key = tuple(slice(draw(st.integers(-6, 6) | st.none()), draw(st.integers(-6, 6) | st.none()),
                      draw(st.sampled_from([1, 2, 3, -1, -2]))) for _ in shape)
    transposed = draw(st.booleans())
    v, d = (base[key], dc.asarray(base)[key]) if shape else (base, dc.asarray(base))
    if transposed:
        v, d = v.T, d.T
    return v, d


def _native_cases(nd, shape):
    """(name, f(xp, a)) for the native functions on an array of nd dimensions."""
    cases = [("flip", lambda xp, a: xp.flip(a)), ("ravel", lambda xp, a: xp.ravel(a)),
             ("reshape -1", lambda xp, a: xp.reshape(a, -1)),
             ("reshape reversed", lambda xp, a: xp.reshape(a, shape[::-1])),
             ("reshape (1, -1)", lambda xp, a: xp.reshape(a, (1, -1))),
             ("fliplr", lambda xp, a: xp.fliplr(a)), ("flipud", lambda xp, a: xp.flipud(a)),
             ("transpose", lambda xp, a: xp.transpose(a)),
             ("transpose rolled", lambda xp, a: xp.transpose(a, list(range(1, nd)) + [0]
                                                             if nd else None)),
             ("method reshape", lambda xp, a: a.reshape(*shape[::-1])),
             ("method ravel K", lambda xp, a: a.ravel("K")),
             ("copy", lambda xp, a: xp.copy(a)), ("copy A", lambda xp, a: xp.copy(a, "A")),
             ("copy F", lambda xp, a: xp.copy(a, order="F")),
             ("method copy", lambda xp, a: a.copy()),
             ("method copy F", lambda xp, a: a.copy("F")),
             ("sort", lambda xp, a: xp.sort(a)), ("argsort", lambda xp, a: xp.argsort(a)),
             ("sort None", lambda xp, a: xp.sort(a, axis=None)),
             ("sort 0 stable", lambda xp, a: xp.sort(a, 0, stable=True)),
             ("argsort None", lambda xp, a: xp.argsort(a, None)),
             ("repeat", lambda xp, a: xp.repeat(a, 2)),
             ("where", lambda xp, a: xp.where(a)), ("nonzero", lambda xp, a: xp.nonzero(a)),
             ("outer", lambda xp, a: xp.outer(a, a)),
             ("stack 1", lambda xp, a: xp.stack([a])),
             ("stack reversed", lambda xp, a: xp.stack((a, a[::-1] if nd else a), -1)),
             ("repeat 0", lambda xp, a: xp.repeat(a, [1, 2], axis=0))]
    for ax in range(-nd - 1, nd + 1):                 # the out-of-range ones raise
        cases.append((f"flip {ax}", lambda xp, a, ax=ax: xp.flip(a, ax)))
        for n in (0, 1, 2):
            cases.append((f"diff {n} {ax}", lambda xp, a, ax=ax, n=n: xp.diff(a, n, ax)))
        cases.append((f"stack {ax}", lambda xp, a, ax=ax: xp.stack([a, a, a], ax)))
    cases.append(("stack -nd-2", lambda xp, a: xp.stack([a, a], -nd - 2)))
    cases.append(("stack shapes", lambda xp, a: xp.stack([a, a[..., :1] if nd else a])))
    cases.append(("stack dtypes", lambda xp, a: xp.stack([a, a.astype("float32")])))
    if nd >= 2:
        cases.append(("flip (0, -1)", lambda xp, a: xp.flip(a, (0, -1))))
        cases.append(("flip (0, 0)", lambda xp, a: xp.flip(a, (0, 0))))
    return cases


def _same_sharing(got, expected, got_in, expected_in):
    """A view where NumPy returns one (np.shares_memory), a new array where it does not."""
    if isinstance(expected, np.ndarray) and expected.size:
        assert np.shares_memory(got, got_in) == np.shares_memory(expected, expected_in)


@settings(max_examples=150, deadline=None)
@given(strided_views())
def test_native_functions_as_numpy(views):
    v, d = views
    for name, f in _native_cases(v.ndim, v.shape):
        ek, ev = run(f, np, v)
        for path in (dc, np):                         # the namespace, NumPy's protocol
            gk, gv = run(f, path, d)
            assert gk == ek, (name, path.__name__, gv, ev)
            if ek == "ok":
                same(gv, ev)
                _same_sharing(gv, ev, d, v)
            else:
                assert gv is ev, (name, path.__name__)


def test_native_flip_is_a_view_with_numpys_base():
    a = dc.arange(12.0).reshape(3, 4)
    for f, at in ((dc.flip, (2, 3)), (np.flip, (2, 3)), (dc.fliplr, (0, 3)),
                  (dc.flipud, (2, 0)), (np.fliplr, (0, 3))):
        r = f(a)
        assert np.shares_memory(r, a) and r.base is a.base
        r[0, 0] = -1.0
        assert float(a[at]) == -1.0
        a[...] = dc.arange(12.0).reshape(3, 4)
    ro = dc.asarray(np.arange(4.0))
    ro.flags.writeable = False
    assert not dc.flip(ro).flags.writeable
    x = dc.arange(5.0)
    assert dc.diff(x, 0) is x and np.diff(x, 0) is x      # n = 0: the input itself


@pytest.mark.parametrize("call", [
    lambda xp, a: xp.flip(a, 2), lambda xp, a: xp.flip(a, -3), lambda xp, a: xp.flip(a, 1.0),
    lambda xp, a: xp.flip(a, (0, 0)), lambda xp, a: xp.fliplr(a[0]),
    lambda xp, a: xp.flipud(a[0, 0]), lambda xp, a: xp.diff(a[0, 0]),
    lambda xp, a: xp.diff(a, -1), lambda xp, a: xp.diff(a, 1.5), lambda xp, a: xp.diff(a, axis=2),
    lambda xp, a: xp.diff(a, axis=(0,)), lambda xp, a: xp.reshape(a, 7),
    lambda xp, a: xp.reshape(a, (-1, -1)), lambda xp, a: xp.reshape(a, (5, -1)),
    lambda xp, a: xp.reshape(a, (5, 3)), lambda xp, a: xp.transpose(a, (0, 0)),
    lambda xp, a: xp.transpose(a, (0,)), lambda xp, a: xp.transpose(a, (0, 2)),
    lambda xp, a: xp.ravel(a, "Q")])
def test_native_functions_raise_numpys_errors(call):
    a = np.arange(12.0).reshape(3, 4)
    ek, ev = run(call, np, a)
    assert ek == "raise"
    for path in (dc, np):
        gk, gv = run(call, path, dc.asarray(a))
        assert (gk, gv) == (ek, ev)


@pytest.mark.parametrize("method", [
    lambda a: a.argsort(), lambda a: a.argsort(axis=0, kind="stable"),
    lambda a: a.argpartition(1), lambda a: a.partition(1), lambda a: a.nonzero(),
    lambda a: a.round(1), lambda a: a.squeeze(), lambda a: a[:1].squeeze(0),
    lambda a: a.take([0, 2], axis=1), lambda a: a.repeat(2, axis=0),
    lambda a: a[0].searchsorted(0.5), lambda a: a.swapaxes(0, 1), lambda a: a.diagonal(),
    lambda a: a.trace(), lambda a: a.std(axis=0), lambda a: a.var(ddof=1),
    lambda a: a.conj(), lambda a: a.conjugate(), lambda a: a.compress([True, False], axis=0),
    lambda a: a[0].choose([[1, 2, 3, 4]] * 4) if False else a.astype(int).clip(0, 1),
    lambda a: (a.sort(), a)[1], lambda a: (a.sort(axis=0), a)[1],
    lambda a: (a.put([0, 5], [7.0, 8.0]), a)[1], lambda a: a.take(99),
    lambda a: a.swapaxes(0, 5), lambda a: a.sort(axis=3)])
def test_numpy_methods_on_the_class_as_numpy(method):
    both(lambda a: method(a.copy()), np.random.default_rng(3).uniform(size=(3, 4)))
    both(lambda a: method(a[::-1, ::2].copy()), np.random.default_rng(4).uniform(size=(3, 4)))


def test_real_conj_is_the_array_itself_and_methods_of_views_share_memory():
    a = dc.arange(6.0)
    assert a.conj() is a and np.arange(6.0).conj is not None
    v = a.reshape(2, 3)
    assert np.shares_memory(v, a) and v.base is a
    assert np.shares_memory(v.diagonal(), a) and np.shares_memory(v.swapaxes(0, 1), a)


class _Foreign:
    """An argument type with its own __array_function__: NumPy's dispatcher must see it."""
    def __array_function__(self, func, types, args, kwargs):
        return ("foreign", func.__name__)


def test_namespace_skips_numpys_dispatch_only_for_plain_arguments():
    x = dc.arange(4.0)
    assert dc.roll(_Foreign(), 1) == ("foreign", "roll")
    assert dc.stack([x, _Foreign()]) == ("foreign", "stack")
    assert dc.diff(x, prepend=_Foreign()) == ("foreign", "diff")
    assert dc.flip(_Foreign()) == ("foreign", "flip")
    assert dc.reshape(_Foreign(), 3) == ("foreign", "reshape")
    assert dc.concatenate([x, _Foreign()]) == ("foreign", "concatenate")
    same(dc.roll(x, 1), np.roll(np.arange(4.0), 1))
    same(dc.stack([x, [1.0, 2.0, 3.0, 4.0]], axis=1),
         np.stack([np.arange(4.0), [1.0, 2.0, 3.0, 4.0]], axis=1))
    with pytest.raises(TypeError):
        dc.roll(x, 1, bogus=2)


def test_wrapped_results_of_more_dtypes_than_the_wrap_cache_holds():
    """Results of 12 dtypes wrapped in turn, twice (the wrap keeps the kernel type of 8):
    each keeps its own dtype, buffer format and kernel."""
    dtypes = ["float64", "float32", "int64", "int32", "int16", "int8", "uint8", "uint16",
              "uint32", "uint64", "complex64", "complex128"]
    for _ in range(2):
        for dt in dtypes:
            a = np.arange(1, 7).astype(dt)
            r = dc.roll(dc.asarray(a), 1)               # NumPy's code: its result wrapped
            same(r, np.roll(a, 1))
            same(r + r, np.roll(a, 1) + np.roll(a, 1))   # our kernel for its type
            assert memoryview(r).format == memoryview(np.roll(a, 1)).format


def test_buffer_format_of_equal_dtypes_with_different_type_characters():
    """Equal dtypes of different type characters (uint64 "L" and ulonglong "Q", int64 "l"
    and longlong "q") each keep their own buffer format, whichever was seen first."""
    for first, second in (("Q", "L"), ("L", "Q"), ("q", "l"), ("l", "q")):
        for ch in (first, second):
            a = np.arange(1, 7, dtype=ch)
            for r in (dc.asarray(a), dc.roll(dc.asarray(a), 1)):
                assert memoryview(r).format == memoryview(a).format
                assert np.asarray(r).dtype.char == a.dtype.char


# ------------------------------------------- the protocols' and the namespace's call paths

def test_namespace_functions_by_vectorcall_as_numpy():
    """dc.<NumPy function> runs NumPy's implementation on the arguments as they came
    (positional and keyword, dc arrays as views, plain objects as they are): values,
    dtypes, shapes and errors are NumPy's, for every way of passing the arguments."""
    pos, a = rng.normal(size=(24, 3)), VEC[10]
    big = rng.uniform(size=(100, 100))           # 80 kB: NumPy's code with the pool's allocator
    both(lambda x: np.linalg.norm(x, axis=1), pos)
    both(lambda x: np.linalg.norm(x, None, 1, True), pos)
    both(lambda x: np.linalg.norm(x, ord=1, axis=(0, 1)), pos)
    both(lambda x: np.expand_dims(x, axis=(0, 2)), a)
    both(lambda x: np.tile(x, (2, 1)), a)
    both(lambda x, y: np.searchsorted(x, y, side="right"), np.sort(a), a[:3])
    both(lambda x, y: np.diff(x, append=y), a, a[:2])          # a dc array by keyword
    both(lambda x: np.roll(x, [1, 2], axis=(0, 1)), big)
    both(lambda x: np.pad(x, ((1, 2), (0, 1)), mode="edge"), big)
    both(lambda x: np.unique(x, return_index=True, return_counts=True), a.round(1))
    both(lambda x: np.meshgrid(x, x, indexing="ij", sparse=True), a)
    both(lambda x: np.isclose(x, x[::-1], 1e-3, 1e-9, True), a)
    both(lambda x: np.interp(0.5, np.sort(x), x), a)
    both(lambda x: np.cross(x[:3], x[3:6]), a)
    both(lambda x: np.linalg.norm(x, axis=3), pos)              # AxisError
    both(lambda x: np.roll(x), a)                               # missing argument
    both(lambda x: np.roll(x, 1, bogus=2), a)                   # unknown keyword
    both(lambda x: np.tile(x, "x"), a)
    both(lambda x: np.round(x, decimals=2), a)


def test_namespace_function_calls_that_take_the_general_path():
    """More than 8 arguments, `out=`, `like=`, lists holding dc arrays and dc arrays on
    the way in through *args/**kwargs unpacking all give NumPy's results."""
    a = VEC[10]
    d = dc.asarray(a)
    same(dc.einsum("i,i,i,i,i,i,i,i,i->", *[d] * 9),
         np.einsum("i,i,i,i,i,i,i,i,i->", *[a] * 9))
    out = dc.empty(10)
    assert dc.round(d, 2, out=out) is out
    np.testing.assert_array_equal(np.asarray(out), np.round(a, 2))
    same(dc.block([d, d]), np.block([a, a]))
    same(dc.column_stack((d, d)), np.column_stack((a, a)))
    args, kwargs = (d,), {"shift": 2}
    same(dc.roll(*args, **kwargs), np.roll(a, 2))
    same(functools.partial(dc.roll, shift=3)(d), np.roll(a, 3))
    same(dc.atleast_2d(d), np.atleast_2d(a))
    same(dc.fromfunction(lambda i: i * 2, (3,), like=d),        # like=: NumPy's dispatch
         np.fromfunction(lambda i: i * 2, (3,)))
    with pytest.raises(TypeError):
        dc.roll(d, 1, 0, 5)


def test_namespace_function_objects_keep_numpys_face():
    """Name, docstring, module, __wrapped__ and signature are NumPy's function's; the
    object pickles and compares as NumPy's function does not matter for."""
    f = dc.tile
    assert f.__name__ == "tile" and f.__doc__ == np.tile.__doc__
    assert f.__wrapped__ is np.tile and f.__wrapped_numpy__ is np.tile
    assert f.__module__ == np.tile.__module__
    assert inspect.signature(f) == inspect.signature(np.tile)
    assert "tile" in repr(f) and callable(f)
    g = pickle.loads(pickle.dumps(f))
    same(g(dc.arange(4.0), 2), np.tile(np.arange(4.0), 2))
    assert dc.linalg.pinv.__name__ == "pinv" and dc.linalg.pinv.__wrapped__ is np.linalg.pinv

    class Holder:                                # set on a class: a method, as NumPy's
        ndim_of = dc.ndim
        np_ndim_of = np.ndim
    h = Holder()
    assert Holder.ndim_of is dc.ndim and Holder.np_ndim_of is np.ndim
    assert h.ndim_of() == h.np_ndim_of() == 0
    with pytest.raises(TypeError):
        h.ndim_of(1)


def test_array_function_overrides_and_fallbacks_with_keywords():
    """NumPy's functions on dc arrays (the protocol): our overrides and NumPy's code get the
    keywords as given (the caller's dict is not changed), positional and keyword.
    (Whole numbers: sums exact in any order.)"""
    pos = rng.integers(-50, 50, size=(24, 3)).astype(np.float64)
    d = dc.asarray(pos)
    kw = {"axis": 0, "keepdims": True}
    same(np.sum(d, **kw), np.sum(pos, **kw))
    same(np.mean(d, **kw), np.mean(pos, **kw))
    assert kw == {"axis": 0, "keepdims": True}
    same(np.argmin(d, axis=1), np.argmin(pos, axis=1))
    same(np.copy(d, order="F"), np.copy(pos, order="F"))
    same(np.expand_dims(d, 0), np.expand_dims(pos, 0))
    same(np.linalg.norm(d, axis=1), np.linalg.norm(pos, axis=1))
    same(np.divmod(d, 0.5), np.divmod(pos, 0.5))
    with pytest.raises(TypeError):
        np.sum(d, bogus=1)
    with pytest.raises(np.exceptions.AxisError):
        np.copy(d).sum(axis=2)


@pytest.mark.parametrize("shape", [(32,), (4, 8), (3, 4, 5), (0,), (5000,)])
def test_where_of_a_condition_alone_as_numpy(shape):
    """np.where(c) on a dc condition: NumPy's nonzero, a tuple of new int64 dc arrays
    (small ones from NumPy's allocator, larger from the pool); NumPy's error on 0-d."""
    c = rng.uniform(size=shape) > 0.5
    d = dc.asarray(c)
    for f in (np.where, dc.where, np.nonzero):
        r = f(d)
        assert type(r) is tuple
        same(r, np.where(c))
        assert all(not np.shares_memory(x, d) for x in r)
    both(lambda x: np.where(x), rng.uniform(size=6))      # numbers: their truth
    both(lambda x: np.where(x), np.array(True))          # 0-d: NumPy's ValueError


SCALARS = [np.float64(2.5), np.float32(-1.5), np.int64(3), np.int8(-2), np.uint8(7),
           np.complex128(1 - 2j), np.bool_(True), np.float16(0.5)]
ARRAYS = {dt: rng.normal(size=32).astype(dt) for dt in
          ("float64", "float32", "int64", "int32", "uint8", "complex128", "bool")}


@pytest.mark.parametrize("s", SCALARS, ids=repr)
@pytest.mark.parametrize("dt", list(ARRAYS))
@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv,
                                operator.pow, operator.lt])
def test_numpy_scalar_on_the_left_as_numpy(s, dt, op):
    """A NumPy scalar on the left of an operator reaches us through NumPy's ufunc and our
    __array_ufunc__ (its two-operand fast path): NumPy's values, dtype and errors (power,
    a transcendental, within 2 ulp: NumPy's own loop differs between CPUs)."""
    ulp = 2 if op is operator.pow else 0
    both(lambda x: op(s, x), ARRAYS[dt], maxulp=ulp)
    both(lambda x: op(s, x[3]), ARRAYS[dt], maxulp=ulp)              # and on a scalar of ours
    both(lambda x: op(s, x[:1].reshape(())), ARRAYS[dt], maxulp=ulp)  # on a 0-d array


def test_numpy_ufuncs_on_dc_arrays_report_floating_point_errors_as_numpy():
    """NumPy's ufunc called on dc arrays (one and two operands, no keywords): our kernels
    raise or warn as NumPy's errstate says."""
    a = np.array([-1.0, 0.0, 4.0])
    d = dc.asarray(a)
    with np.errstate(invalid="raise"):
        with pytest.raises(FloatingPointError):
            np.sqrt(d)
    with np.errstate(divide="raise"):
        with pytest.raises(FloatingPointError):
            np.float64(1.0) / d
    with np.errstate(all="ignore"):
        same(np.sqrt(d), np.sqrt(a))
        same(np.float64(1.0) / d, np.float64(1.0) / a)
    both(lambda x: x ** 2, rng.normal(size=32) + 1j * rng.normal(size=32))
    both(lambda x: np.square(x), rng.normal(size=(4, 8)).astype(np.float32))
    both(lambda x: np.negative(x), np.arange(5, dtype=np.uint8))


def test_namespace_functions_that_return_none_run_once():
    """NumPy functions that work in place and return None (np.put, np.place,
    np.put_along_axis, np.copyto) run once through the namespace, on our memory."""
    for f, args in ((np.put, ([0, 2], [5.0, 6.0])), (np.copyto, (np.arange(5.0),)),
                    (np.place, ([True, False, True, False, True], [7.0])),
                    (np.put_along_axis, (np.array([1, 3]), 9.0, 0))):
        a = np.arange(5.0)[::-1].copy()
        d = dc.asarray(a)
        assert getattr(dc, f.__name__)(d, *args) is None
        assert f(a, *args) is None
        same(d, a)
    calls = []                                   # a callback runs once per row
    r = dc.apply_along_axis(lambda row: calls.append(1) or row.sum(), 0, dc.arange(3.0))
    assert len(calls) == 1 and float(r) == 3.0
