"""Compiled loops of operator chains (_core/_jit.py): when they are built and loaded, what
happens without a compiler, and that their values stay NumPy's. The chains' own values
under compiled loops are checked in test_chains.py (every test there runs both ways)."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import dotcompute as dc
from dotcompute._core import _jit, _routines_elementwise as R

needs_compiler = pytest.mark.skipif(_jit.compiler() is None, reason="no C compiler")
needs_fusion = pytest.mark.skipif(not R.fusion_supported(),
                                  reason="no operator fusion on this interpreter")

N = 50_000


def _arrays(dtypes, seed=0, n=N):
    rng = np.random.default_rng(seed)
    return [(rng.uniform(0.5, 2.0, n) * np.where(rng.random(n) < 0.5, -1, 1)).astype(dt)
            for dt in dtypes]


def _fused(a, b, c):
    return 2 * a + 3 * b * b - c


@pytest.fixture
def mode():
    was = _jit.set_mode("auto")
    yield _jit.set_mode
    _jit.set_mode(was)


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    """A cache directory of the test's own (nothing compiled before is found)."""
    monkeypatch.setattr(_jit, "_dir", str(tmp_path))
    _jit.forget()
    yield tmp_path
    _jit.forget()


def test_source_computes_each_operation_in_its_type():
    # float32 operand widened into a float64 pair, a scalar, a slot read back
    desc = bytes([8,                    # output: float64
                  2, 255, 0, 8, 0,      # slot 0 = x0 * k1 (float64)
                  255, 4,               # x0: a float32 array (widened)
                  255, 0,               # k1: a scalar
                  0, 1, 2, 8, 255,      # out = x3 - (slot 0 + x2)   (form 2: c op2 (a op1 b))
                  0, 8, 255, 8, 255, 8])
    osz, ops = _jit.parse(desc)
    assert osz == 8 and len(ops) == 2
    src = _jit.source(desc)
    assert "const float *restrict x0" in src and "(double)x0[i]" in src
    assert "const double k1 = *(const double *)args[1];" in src
    assert "o[i] = (double)(double)((double)x3[i] - (double)((double)v0 + (double)x2[i]));" \
        in src


@needs_fusion
@needs_compiler
def test_a_chain_gets_its_loop_after_enough_elements(mode, private_cache):
    a, b, c = (dc.asarray(v) for v in _arrays((np.float64,) * 3))
    runs = -(-_jit.JIT_AFTER // N)                 # calls until the chain has run enough
    before = R.compiled_chains()
    for _ in range(runs - 1):
        _fused(a, b, c)
    assert _jit.wait() and R.compiled_chains() == before
    assert not _jit.loops                          # not yet: fewer than JIT_AFTER elements
    _fused(a, b, c)                                # this one asks for the loop
    assert _jit.wait(120)
    assert len(_jit.loops) == 1, _jit.info()["last_error"]
    got = _fused(a, b, c)
    assert R.compiled_chains() == before + 1
    A, B, C = (np.asarray(v) for v in (a, b, c))
    np.testing.assert_array_equal(np.asarray(got), _fused(A, B, C), strict=True)
    assert list(private_cache.glob("chain-*.so"))


@needs_fusion
@needs_compiler
def test_a_loop_compiled_before_is_loaded_at_once(mode, private_cache):
    a, b, c = (dc.asarray(v) for v in _arrays((np.float32,) * 3))
    mode("sync")
    _fused(a, b, c)
    compiled = _jit.info()["compiled"]
    assert len(_jit.loops) == 1
    _jit.forget()                                  # a new process: the library is on disk
    mode("auto")
    before = R.compiled_chains()
    got = _fused(a, b, c)
    assert R.compiled_chains() == before + 1 and _jit.info()["compiled"] == compiled
    A, B, C = (np.asarray(v) for v in (a, b, c))
    np.testing.assert_array_equal(np.asarray(got), _fused(A, B, C), strict=True)


@needs_fusion
def test_without_a_compiler_the_block_pass_runs(mode, private_cache, monkeypatch):
    monkeypatch.setattr(_jit, "_cc", [["/nonexistent/cc"]])
    mode("sync")
    a, b, c = _arrays((np.float64, np.float32, np.float64), seed=3)
    before = R.compiled_chains()
    got = _fused(*(dc.asarray(v) for v in (a, b, c)))
    np.testing.assert_array_equal(np.asarray(got), _fused(a, b, c), strict=True)
    assert R.compiled_chains() == before and not _jit.loops
    assert _jit.info()["failed"] >= 1 and _jit.info()["last_error"]


@needs_fusion
def test_a_compiler_error_leaves_the_block_pass(mode, private_cache, monkeypatch, tmp_path):
    cc = tmp_path / "badcc"
    cc.write_text("#!/bin/sh\necho 'error: this compiler fails' >&2\nexit 1\n")
    cc.chmod(0o755)
    monkeypatch.setattr(_jit, "_cc", [[str(cc)]])
    mode("sync")
    a, b, c = _arrays((np.float32,) * 3, seed=4)
    got = _fused(*(dc.asarray(v) for v in (a, b, c)))
    np.testing.assert_array_equal(np.asarray(got), _fused(a, b, c), strict=True)
    assert not _jit.loops and "this compiler fails" in _jit.info()["last_error"]


@needs_fusion
def test_off_never_compiles(mode, private_cache):
    mode("off")
    a, b, c = (dc.asarray(v) for v in _arrays((np.float64,) * 3, seed=5))
    before = R.compiled_chains()
    for _ in range(3):
        _fused(a, b, c)
    assert R.compiled_chains() == before and not _jit.loops
    assert not list(private_cache.glob("*"))


@needs_fusion
@needs_compiler
@pytest.mark.parametrize("body", ["a * b - c / a", "(a + 2.5) * (b - c) + a",
                                  "c - (a * b) * 0.5"])
def test_floating_point_reports_under_compiled_loops(mode, private_cache, body):
    # a flag in the compiled pass gives NumPy's warnings (the chain then runs its
    # operators one by one, as in the block pass)
    mode("sync")
    ns = {}
    exec(f"def f(a, b, c):\n    return {body}\n", ns)
    f = ns["f"]
    a, b, c = _arrays((np.float64,) * 3, seed=6)
    a[7] = b[7] = 1e300                            # overflow
    a[11] = 0.0                                    # c / a: division by zero
    with pytest.warns(RuntimeWarning) as want:
        expected = f(a, b, c)
    with pytest.warns(RuntimeWarning) as got_w:
        got = f(*(dc.asarray(v) for v in (a, b, c)))
    np.testing.assert_array_equal(np.asarray(got), expected, strict=True)
    assert sorted(str(w.message) for w in got_w) == sorted(str(w.message) for w in want)
    with np.errstate(all="raise"):
        with pytest.raises(FloatingPointError):
            f(a, b, c)
        with pytest.raises(FloatingPointError):
            f(*(dc.asarray(v) for v in (a, b, c)))


def test_set_mode_rejects_unknown_modes():
    with pytest.raises(ValueError):
        _jit.set_mode("sometimes")


def test_environment_variable_sets_the_mode():
    code = textwrap.dedent("""
        from dotcompute._core import _jit
        print(_jit.info()["mode"])
    """)
    for value, want in (("off", "off"), ("sync", "sync"), ("bogus", "auto"), ("0", "off")):
        env = dict(os.environ, DOTCOMPUTE_JIT=value)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True).stdout.strip()
        assert out == want, value


def test_runtime_report_names_the_compiled_loops():
    info = dc.runtime_info()["compiled_chains"]
    assert info.startswith(_jit.info()["mode"])
