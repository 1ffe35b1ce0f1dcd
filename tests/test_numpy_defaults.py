"""NumPy's defaults kept by the creation functions and ndarray methods (issue 14, defects
1, 2, 9, 11): dtype=None defaults, unsized string dtypes, astype's order, the "array is
too big" check and ndarray.resize."""
import numpy as np
import pytest

import dotcompute as dc


def same(got, expected):
    g, e = np.asarray(got), np.asarray(expected)
    assert type(got) is dc.ndarray
    assert g.dtype == e.dtype, (g.dtype, e.dtype)
    assert g.shape == e.shape
    np.testing.assert_array_equal(g, e)


# ------------------------------------------------------------ defect 1: dtype=None
DTYPE_NONE = {
    "empty": lambda m: m.empty((), dtype=None),
    "zeros": lambda m: m.zeros((2,), dtype=None),
    "ones": lambda m: m.ones((), dtype=None),
    "ones-2d": lambda m: m.ones((2, 2), None),
    "full-int": lambda m: m.full(3, 1, dtype=None),
    "full-float": lambda m: m.full(3, 1.5, dtype=None),
    "full-bool": lambda m: m.full(3, True, dtype=None),
    "empty_like": lambda m: m.empty_like(m.arange(3), dtype=None),
    "zeros_like": lambda m: m.zeros_like(m.arange(3), dtype=None),
    "ones_like": lambda m: m.ones_like(m.arange(3.0), dtype=None),
    "full_like": lambda m: m.full_like(m.arange(3), 2.5, dtype=None),
    "arange": lambda m: m.arange(3, dtype=None),
    "linspace": lambda m: m.linspace(0, 1, 4, dtype=None),
    "eye": lambda m: m.eye(2, dtype=None),
    "identity": lambda m: m.identity(2, dtype=None),
    "asarray": lambda m: m.asarray([1, 2], dtype=None),
    "array": lambda m: m.array([1.0, 2.0], dtype=None),
}


@pytest.mark.parametrize("name", sorted(DTYPE_NONE))
def test_dtype_none_defaults_as_numpy(name):
    got, want = DTYPE_NONE[name](dc), DTYPE_NONE[name](np)
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    if not name.startswith("empty"):
        same(got, want)


# ------------------------------------------------------------ defect 2: unsized strings
ASTYPE = {
    "float-str": (lambda m: m.ones(3), str),
    "float-U": (lambda m: m.ones(3), "U"),
    "int-S": (lambda m: m.arange(12), "S"),
    "int-str": (lambda m: m.arange(-3, 3), str),
    "bool-str": (lambda m: m.asarray([True, False]), str),
    "bool-S": (lambda m: m.asarray([True, False]), "S"),
    "float32-str": (lambda m: m.asarray([0.1, 2.5], dtype="float32"), str),
    "2d-str": (lambda m: m.arange(6.0).reshape(2, 3), np.str_),
    "sized": (lambda m: m.arange(3), "U2"),
}


@pytest.mark.parametrize("name", sorted(ASTYPE))
def test_astype_unsized_string(name):
    make, dtype = ASTYPE[name]
    same(make(dc).astype(dtype), make(np).astype(dtype))


@pytest.mark.parametrize("dtype", [str, "S", "U", np.bytes_, "U0"])
@pytest.mark.parametrize("make", ["empty", "zeros", "empty_like", "zeros_like",
                                  "full-str", "full-abc", "full_like"])
def test_creation_unsized_string(make, dtype):
    calls = {
        "empty": lambda m: m.empty(3, dtype=dtype),
        "zeros": lambda m: m.zeros((2, 2), dtype=dtype),
        "empty_like": lambda m: m.empty_like(m.arange(3), dtype=dtype),
        "zeros_like": lambda m: m.zeros_like(m.arange(3), dtype=dtype),
        "full-str": lambda m: m.full(3, "x", dtype=dtype),
        "full-abc": lambda m: m.full(3, "abc", dtype=dtype),
        "full_like": lambda m: m.full_like(m.arange(2), "yz", dtype=dtype),
    }
    got, want = calls[make](dc), calls[make](np)
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    if make != "empty" and make != "empty_like":
        same(got, want)


@pytest.mark.parametrize("order", ["C", "F", "A", "K"])
@pytest.mark.parametrize("layout", ["c", "f", "strided"])
@pytest.mark.parametrize("dtype", ["float32", "int64", "float64"])
def test_astype_order(order, layout, dtype):
    def make(m):
        a = m.arange(24.0).reshape(4, 6)
        if layout == "f":
            return m.asfortranarray(a)
        if layout == "strided":
            return a[:, ::2].T
        return a
    got, want = make(dc).astype(dtype, order=order), make(np).astype(dtype, order=order)
    same(got, want)
    assert got.flags.c_contiguous == want.flags.c_contiguous
    assert got.flags.f_contiguous == want.flags.f_contiguous
    assert got.strides == want.strides


def test_astype_copy_false_keeps_a_matching_array():
    a = dc.arange(6.0).reshape(2, 3)
    assert a.astype("float64", copy=False) is a
    f = a.astype("float64", order="F", copy=False)
    assert f is not a and f.flags.f_contiguous
    np.testing.assert_array_equal(np.asarray(f), np.arange(6.0).reshape(2, 3))
    with pytest.raises(ValueError):
        np.ones(2).astype(float, order="X")
    with pytest.raises(ValueError):
        dc.ones(2).astype(float, order="X")


# ------------------------------------------------------------ defect 9: too big
@pytest.mark.parametrize("shape", [(0, 2**62), (2**62, 0), (0, 2**61, 4), (2**40, 2**40),
                                   (2**62,)])
@pytest.mark.parametrize("make", ["empty", "zeros", "ones", "full"])
def test_array_too_big_is_value_error(shape, make):
    call = (lambda m: m.full(shape, 1.0)) if make == "full" else (
        lambda m: getattr(m, make)(shape))
    with pytest.raises(ValueError) as expected:
        call(np)
    with pytest.raises(ValueError, match="array is too big") as got:
        call(dc)
    assert str(got.value) == str(expected.value)


def test_zero_size_with_huge_extent_within_limits():
    same(dc.empty((0, 2**40)), np.empty((0, 2**40)))
    same(dc.zeros((2**40, 0), dtype="int8"), np.zeros((2**40, 0), dtype="int8"))


# ------------------------------------------------------------ defect 11: resize
@pytest.mark.parametrize("new", [(5,), (2,), (2, 3), (0,), (3,), ()])
def test_resize_fresh_array(new):
    n = np.arange(1.0, 4.0)
    d = dc.arange(1.0, 4.0)
    n.resize(new)
    r = d.resize(new)          # (not inside `assert`: its rewriting holds a reference)
    assert r is None
    same(d, n)


@pytest.mark.parametrize("make", ["zeros", "ones", "empty-filled"])
def test_resize_zero_fills_the_new_part(make):
    def create(m):
        if make == "empty-filled":
            a = m.empty((2, 2), dtype="int32")
            a[...] = 7
            return a
        return getattr(m, make)((2, 2), dtype="int32")
    n, d = create(np), create(dc)
    n.resize(3, 3)
    d.resize(3, 3)
    same(d, n)
    n.resize((2, 5), refcheck=False)
    d.resize((2, 5), refcheck=False)
    same(d, n)


def test_resize_refused_when_referenced_or_not_owning():
    for m in (np, dc):
        a = m.arange(4.0)
        b = a                                   # another reference
        with pytest.raises(ValueError, match="referenced"):
            a.resize(8)
        del b
        a.resize(8)
        assert a.shape == (8,)
        v = a[:4]                               # a view refers to a
        with pytest.raises(ValueError):
            a.resize(2)
        with pytest.raises(ValueError, match="does not own its data"):
            v.resize(2)
        with pytest.raises(ValueError, match="single-segment"):
            a[::2].resize(2)
        del v
        a.resize(2)
        assert a.shape == (2,)
        a = m.arange(4.0)
        a.resize(6, refcheck=False)             # the caller takes responsibility
        assert a.shape == (6,)


def test_resize_fortran_order_array():
    n = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    d = dc.asarray(np.asfortranarray(np.arange(6.0).reshape(2, 3)), order="F")
    d = d.copy(order="F")
    n = n.copy(order="F")
    n.resize(3, 4)
    d.resize(3, 4)
    same(d, n)
    assert d.strides == n.strides


def test_resize_keeps_views_safe():
    a = dc.arange(5.0)
    n = np.asarray(a)                           # a NumPy view of a's memory
    with pytest.raises(ValueError):
        a.resize(1000)
    a.resize(1000, refcheck=False)
    n[0] = 42.0                                 # the old memory is still alive
    assert a[0] == 0.0 and a.shape == (1000,)
    assert float(a[999]) == 0.0


def test_resize_bad_shape():
    for m in (np, dc):
        a = m.arange(3.0)
        with pytest.raises(ValueError):
            a.resize(-1)
        with pytest.raises(TypeError):
            a.resize("x")
