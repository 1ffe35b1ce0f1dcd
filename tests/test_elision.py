"""Temporary elision (dc_elide.h, _routines_elementwise.binop): an operator may write into an
operand that is a temporary nobody else can see, and never into an array anything else
can reach: a list, a dict, a view's base, a memoryview or NumPy view, an object referenced
twice, or a temporary that C code holds in a C local and reads again after the operator.

Values and dtypes are compared with NumPy's; whether elision happened is read from the
memory pool's allocation count, never from timing.
"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import dotcompute as dc
from dotcompute._core import _routines_elementwise as R

N = 100_000                    # 800 KB of float64: above the 256 KiB elision threshold


def _same(expected, got):
    """Values, dtype and shape (strict) as NumPy's."""
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected), strict=True)


def _allocations():
    return dc.memory_stats()["allocation.all.allocated"]


@pytest.fixture
def x():
    return dc.asarray(np.arange(N, dtype=np.float64))


XN = np.arange(N, dtype=np.float64)

needs_elision = pytest.mark.skipif(not R.elision_supported(),
                                   reason="no temporary elision on this interpreter")


# ------------------------------------------------------------- it happens where it may

@needs_elision
def test_operator_chains_write_into_their_temporaries(x):
    s = np.float64(2.5)
    y = dc.asarray(XN[::-1].copy())
    # with operator fusion a whole chain is one pass into one new array
    chain = 1 if R.fusion_supported() else 2
    for expr, news in (("s * x + y", 1), ("2*x + 3*y*y - x", chain),
                       ("((x*1.5 + 0.3)*x - 0.7)*x", 1),
                       ("-(x * 3)", 1), ("abs(x - y) ** 2", 2)):   # abs(): a call
        a0 = _allocations()
        got = eval(expr, {"x": x, "y": y, "s": s})
        used = _allocations() - a0
        _same(eval(expr, {"x": XN, "y": XN[::-1].copy(), "s": s}), got)
        assert used == news, (expr, used)
    _same(XN, x)


def test_switching_elision_off_gives_the_same_values(x):
    y = dc.asarray(XN * 0.5)
    old = R.set_elision(False)
    old_fusion = R.set_fusion(False)             # operator pairs fused: tests/test_fusion.py
    try:
        a0 = _allocations()
        off = 2 * x + 3 * y * y - x
        assert _allocations() - a0 == 5          # every operator its own new array
    finally:
        R.set_elision(old)
        R.set_fusion(old_fusion)
    on = 2 * x + 3 * y * y - x
    _same(np.asarray(off), on)
    _same(2 * XN + 3 * (XN * 0.5) ** 2 - XN, on)


# ---------------------------------------------------------- never into a visible array

def test_arrays_held_by_containers_are_not_written(x):
    lst = [x * 2]
    d = {"t": x * 3}
    r1 = lst[0] + 1
    r2 = d["t"] + 1
    r3 = lst.pop() * 2 + 1                       # the list gave its reference away: the
    _same(XN * 2 + 1, r1)                        # product of `* 2` is the temporary
    _same(XN * 3 + 1, r2)
    _same(XN * 2 * 2 + 1, r3)
    _same(XN * 3, d["t"])


def test_views_bases_and_exports_are_not_written(x):
    t = x * 2
    v = t[10:]                                   # a view of t
    del t                                        # t lives on as the view's base only
    r = v.base + 1                               # the base: referenced by the view
    _same(XN[10:] * 2, v)
    _same(XN * 2 + 1, r)
    mv = memoryview(x * 3)                       # a buffer export: the exporter lives on
    r = mv.obj + 1
    _same(XN * 3, np.frombuffer(mv, dtype=np.float64))
    _same(XN * 3 + 1, r)
    n = np.asarray(x * 4)                        # a NumPy view keeps the array alive
    r = n.base + 1 if isinstance(n.base, dc.ndarray) else dc.asarray(n) + 1
    _same(XN * 4, n)
    _same(XN * 4 + 1, r)
    iface = (x * 5).__array_interface__          # the address of an array that is gone:
    r = x * 5 + 1                                # not a reference (as NumPy's)
    _same(XN * 5 + 1, r)
    assert iface["shape"] == (N,)


def test_same_object_twice_and_out(x):
    t = x * 2
    r = t + t                                    # named: two references
    _same(XN * 4, r)
    _same(XN * 2, t)
    o = dc.empty_like(x)
    r = dc.add(x * 2, 1, out=o)                  # out= is the result, not an operand
    assert r is o
    _same(XN * 2 + 1, o)
    r = np.add(x * 2, x * 3, out=o)
    _same(XN * 5, o)
    u = x * 2
    u += 1                                       # in place, as asked
    _same(XN * 2 + 1, u)
    w = (x * 2) + (x * 3)                        # both temporaries: one written into
    _same(XN * 5, w)
    _same(XN, x)


def test_numpy_on_the_left_and_mixed_operands(x):
    a = XN.copy()
    r = a + x * 2                                # NumPy's operator first
    _same(XN + XN * 2, r)
    _same(XN, a)
    r = (x * 2) + a
    _same(XN * 2 + XN, r)
    _same(XN, a)
    r = (x * 2).astype(np.float32) + np.float64(1)   # NEP 50: float64 result, new array
    _same((XN * 2).astype(np.float32) + np.float64(1), r)


# ------------------------------------------- C code holding the only reference (dc_elide.h)

_HOLDER = textwrap.dedent('''
    # cython: language_level=3
    cdef class Holder:
        """Operators written in C that run our operators on temporaries they hold in C
        locals and read again afterwards."""
        def __add__(self, other):
            t = other * 2          # only this C code holds t (refcount 1)
            u = t + 1              # PyNumber_Add(t, 1) under the interpreter's BINARY_OP
            return t, u
        def __sub__(self, other):
            t = other * 2
            u = t + t              # the same temporary twice
            return t, u
        def __mul__(self, other):
            t = other * 2
            u = -t                 # a unary operator
            return t, u
''')


@pytest.fixture(scope="module")
def holder(tmp_path_factory):
    """A Cython extension type compiled for the test (the toolchain builds dotcompute)."""
    d = tmp_path_factory.mktemp("holder")
    (d / "dc_test_holder.pyx").write_text(_HOLDER)
    (d / "setup.py").write_text(
        "from setuptools import setup\nfrom Cython.Build import cythonize\n"
        "setup(ext_modules=cythonize('dc_test_holder.pyx', quiet=True))\n")
    env = dict(os.environ)
    env.pop("DOTCOMPUTE_CPU_CAPABILITY", None)
    p = subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], cwd=d,
                       capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    sys.path.insert(0, str(d))
    try:
        import dc_test_holder
    finally:
        sys.path.remove(str(d))
    return dc_test_holder.Holder()


def test_c_code_holding_the_only_reference_keeps_its_temporary(holder, x):
    """The innermost Python frame executes BINARY_OP (`holder + x`), and the temporary has
    one reference, but C code between holds it: NumPy keeps t, and so must we."""
    tn, un = holder + XN                         # NumPy's own answer for the same code
    _same(XN * 2, tn)
    t, u = holder + x
    assert t is not u
    _same(tn, t)
    _same(un, u)
    t, u = holder - x
    _same(XN * 2, t)
    _same(XN * 4, u)
    t, u = holder * x
    _same(XN * 2, t)
    _same(-(XN * 2), u)


@needs_elision
def test_the_same_operators_from_python_do_elide(x):
    """What the C code above does, written in Python: the temporary is the evaluation
    stack's alone and the operator writes into it."""
    a0 = _allocations()
    u = x * 2 + 1
    assert _allocations() - a0 == 1
    _same(XN * 2 + 1, u)
