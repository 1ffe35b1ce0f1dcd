"""Element-wise results keep NumPy's memory layout (order='K'): operators, ufuncs (unary and
binary, with and without broadcasting), `where` and `clip` give the strides and contiguity
flags NumPy gives, over C-, F-ordered, transposed, sliced (negative steps), broadcast
operands, 0-d and empty ones, same and mixed dtypes; values and dtypes equal NumPy's.
"""
import operator

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import dotcompute as dc  # noqa: E402
from test_elementwise_paths import (REAL, COMPLEX, _values, assert_same_outcome,  # noqa: E402
                                    binary_case)
from test_fuzz import run_both, _ulps  # noqa: E402

KINDS = ["C", "F", "T", "slice", "reversed", "broadcast"]


def _layout(np_result, dc_result):
    """Strides and contiguity flags of both results equal (arrays) or both scalars."""
    if not isinstance(np_result, np.ndarray):
        assert not isinstance(dc_result, dc.ndarray), type(dc_result)
        return
    assert isinstance(dc_result, dc.ndarray), type(dc_result)
    assert dc_result.strides == np_result.strides, (dc_result.strides, np_result.strides)
    assert dc_result.flags.c_contiguous == np_result.flags.c_contiguous
    assert dc_result.flags.f_contiguous == np_result.flags.f_contiguous
    view = np.asarray(dc_result)
    assert view.strides == np_result.strides


@st.composite
def laid_out(draw, shape, dtype):
    """(numpy, dotcompute) arrays of `shape` with equal values in one of KINDS of layout."""
    kind = draw(st.sampled_from(KINDS))
    seed = draw(st.integers(0, 2 ** 31))
    nd = len(shape)
    size = int(np.prod(shape))
    if kind == "F":
        a = np.asfortranarray(_values(dtype, size, seed).reshape(shape))
        return a, dc.asarray(a)
    if kind == "T" and nd >= 2:
        perm = draw(st.permutations(range(nd)))
        inv = np.argsort(perm)
        base = _values(dtype, size, seed).reshape(tuple(shape[i] for i in inv))
        return base.transpose(perm), dc.asarray(base).transpose(perm)
    if kind in ("slice", "reversed") and nd >= 1:
        steps = [draw(st.sampled_from([1, 2, -1, -2] if kind == "slice" else [1, -1]))
                 for _ in shape]
        order = draw(st.sampled_from("CF"))
        base_shape = tuple(n * abs(s) for n, s in zip(shape, steps))
        base = np.asarray(_values(dtype, int(np.prod(base_shape)), seed).reshape(base_shape),
                          order=order)
        key = tuple(slice(None, None, s) for s in steps)
        return base[key], dc.asarray(base)[key]
    if kind == "broadcast" and nd >= 1:
        # stride-0 axes: a smaller array broadcast to the shape
        small = tuple(1 if draw(st.booleans()) else n for n in shape)
        base = _values(dtype, int(np.prod(small)), seed).reshape(small)
        if draw(st.booleans()):
            base = np.asfortranarray(base)
        return np.broadcast_to(base, shape), dc.broadcast_to(dc.asarray(base), shape)
    a = _values(dtype, size, seed).reshape(shape)
    return a, dc.asarray(a)


def operand_pair(dtypes):
    return binary_case(dtypes, arrays=laid_out)


BINARY = ["add", "subtract", "multiply", "true_divide", "maximum", "less", "power",
          "arctan2", "logical_and"]
UNARY = ["negative", "absolute", "sqrt", "exp", "square", "isnan", "sin", "conjugate"]
OPERATORS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.lt,
             operator.pow]


def _check(expected, got, ulps=0):
    assert_same_outcome(expected, got, ulps)
    if expected[0] == "ok":
        _layout(expected[1], got[1])


@given(name=st.sampled_from(BINARY), ops=operand_pair(REAL + COMPLEX))
def test_binary_ufunc_layout(name, ops):
    (x_np, y_np), (x_dc, y_dc) = ops
    expected, got = run_both(lambda x, y, m: getattr(m, name)(x, y), (x_np, y_np, np),
                             (x_dc, y_dc, dc))
    _check(expected, got, _ulps(name))


@given(f=st.sampled_from(OPERATORS), ops=operand_pair(REAL))
def test_operator_layout(f, ops):
    (x_np, y_np), (x_dc, y_dc) = ops
    expected, got = run_both(f, (x_np, y_np), (x_dc, y_dc))
    _check(expected, got, _ulps("power" if f is operator.pow else f.__name__))


@given(name=st.sampled_from(UNARY), dtype=st.sampled_from(REAL + COMPLEX), data=st.data())
def test_unary_layout(name, dtype, data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))
    x_np, x_dc = data.draw(laid_out(shape, dtype))
    expected, got = run_both(lambda x, m: getattr(m, name)(x), (x_np, np), (x_dc, dc))
    _check(expected, got, _ulps(name, x_np))


@given(ops=operand_pair(REAL), data=st.data())
def test_where_layout(ops, data):
    (x_np, y_np), (x_dc, y_dc) = ops
    shape = np.broadcast_shapes(np.shape(x_np), np.shape(y_np))
    c_np, c_dc = data.draw(laid_out(shape, np.dtype("?")))
    expected, got = run_both(lambda c, x, y, m: m.where(c, x, y), (c_np, x_np, y_np, np),
                             (c_dc, x_dc, y_dc, dc))
    _check(expected, got)


@given(dtype=st.sampled_from(REAL), data=st.data())
def test_clip_layout(dtype, data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))
    x_np, x_dc = data.draw(laid_out(shape, dtype))
    expected, got = run_both(lambda x, m: m.clip(x, 1, 5), (x_np, np), (x_dc, dc))
    _check(expected, got)


@pytest.mark.parametrize("make", [
    lambda xp: xp.asarray(np.ones((3, 1, 4), order="F")),
    lambda xp: xp.asarray(np.ones((3, 1, 4), order="F"))[:, :, ::-1],
    lambda xp: xp.asarray(np.arange(24.0).reshape(2, 3, 4)).transpose(1, 2, 0),
    lambda xp: xp.asarray(np.arange(24.0).reshape(2, 3, 4))[::-1, :, ::-2],
    lambda xp: xp.asarray(np.ones((0, 3))).T,
    lambda xp: xp.asarray(np.ones((5, 4), order="F"))[1:, ::2],
])
@pytest.mark.parametrize("f", [
    lambda a: a + a, lambda a: a * 2.5, lambda a: 1 - a, lambda a: a < 0.5, lambda a: -a,
    lambda a: abs(a), lambda a: a ** 2, lambda a: a + a.astype(np.float32),
    lambda a: a + np.float32(1), lambda a: a + 1j, lambda a: a.astype(np.int32) + 1.5,
])
def test_layout_cases(make, f):
    """Size-1 axes (NumPy's trivial loop keeps the F strides, its iterator does not),
    reversed, transposed, empty and sliced operands."""
    expected = f(make(np))
    got = f(make(dc))
    _layout(expected, got)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(np.asarray(got), expected)


def test_fortran_operands_run_as_one_loop():
    """F-ordered operands of one shape give an F-ordered result whose walk is one
    contiguous run (the values then equal NumPy's element for element)."""
    a = np.asfortranarray(np.arange(60000.0).reshape(200, 300))
    b = np.asfortranarray(np.linspace(0, 1, 60000).reshape(200, 300))
    for r, e in ((dc.asarray(a) + dc.asarray(b), a + b),
                 (dc.sqrt(dc.asarray(a)), np.sqrt(a)),
                 (dc.asarray(a) * 2.0, a * 2.0)):
        assert r.flags.f_contiguous and not r.flags.c_contiguous
        np.testing.assert_array_equal(np.asarray(r), e)


def test_elided_temporary_keeps_fortran_order():
    """`a * b + c` on large F-ordered arrays: the temporary (F) is reused, as NumPy does."""
    a = np.asfortranarray(np.arange(80000.0).reshape(200, 400))
    d = dc.asarray(a)
    r = d * d + d
    e = a * a + a
    _layout(e, r)
    np.testing.assert_array_equal(np.asarray(r), e)


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
@pytest.mark.parametrize("dtype", [np.int8, np.float32, np.bool_, np.int16])
@pytest.mark.parametrize("other", [0, 1.5, True, np.int8(1), np.float32(2), np.bool_(False),
                                   "int16 array", "same array"])
@pytest.mark.parametrize("shape, perm", [((1, 3, 5), (0, 2, 1)), ((100, 1, 3), (1, 2, 0)),
                                         ((3, 5, 1), (2, 0, 1)), ((2, 3, 4), (2, 1, 0))])
def test_logical_layout_of_cast_operands(name, dtype, other, shape, perm):
    """NumPy's logical ops run the bool loop unless both dtypes are the same, so an array
    that is not bool beside a Python scalar is cast and NumPy's iterator lays out the
    result (a size-1 axis of a transposed operand keeps its place), not its trivial loop:
    found by test_binary_ufunc_layout, int8 (100, 1, 3) strides (1, 100, 100) and 0."""
    inv = np.argsort(perm)
    base = (np.arange(int(np.prod(shape))).reshape(tuple(shape[i] for i in inv)) % 3)
    base = base.astype(dtype)
    a, a_dc = base.transpose(perm), dc.asarray(base).transpose(perm)
    if other == "int16 array":
        other, other_dc = a.astype(np.int16), a_dc.astype(np.int16)
    elif other == "same array":
        other, other_dc = a, a_dc
    else:
        other_dc = other
    for args, args_dc in (((a, other), (a_dc, other_dc)), ((other, a), (other_dc, a_dc))):
        expected, got = run_both(lambda x, y, m: getattr(m, name)(x, y), (*args, np),
                                 (*args_dc, dc))
        _check(expected, got)
