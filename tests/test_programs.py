"""The program corpus (asv_benchmarks/benchmarks/programs.py) gives NumPy's results under
dotcompute: every value of every result matches NumPy's in dtype, shape and value (to the
program's tolerance), at the small size of each program."""
import os
import sys

import numpy as np
import pytest

import dotcompute as dc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
from asv_benchmarks.benchmarks.programs import PROGRAMS, prepare  # noqa: E402


def _parts(result):
    return result if isinstance(result, tuple) else (result,)


def test_corpus_size():
    assert len(PROGRAMS) >= 24


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_matches_numpy(name):
    _check(PROGRAMS[name], PROGRAMS[name].small)


@pytest.mark.parametrize("name, size", [("rank_bins", 20_000), ("group_means", 20_000),
                                        ("sensor_gaps", 600)])
def test_program_matches_numpy_at_kernel_sizes(name, size):
    """Programs whose functions take our kernels from thousands of elements (argsort,
    unique's indices, searchsorted, histogram, the nan-functions' axis steps), at a size
    that reaches them."""
    _check(PROGRAMS[name], size)


def _check(prog, size):
    name = prog.name
    expected = _parts(prog.func(np, *prepare(prog, np, size)))
    got = _parts(prog.func(dc, *prepare(prog, dc, size)))
    assert len(got) == len(expected)
    for k, (e, g) in enumerate(zip(expected, got)):
        e_arr, g_arr = np.asarray(e), np.asarray(g)
        assert g_arr.dtype == e_arr.dtype, (name, k)
        assert g_arr.shape == e_arr.shape, (name, k)
        if e_arr.dtype.kind in "iub":      # exact, or within the program's atol (rounding)
            diff = np.abs(g_arr.astype(np.int64) - e_arr.astype(np.int64))
            assert diff.max(initial=0) <= prog.atol, (name, k)
        else:
            np.testing.assert_allclose(g_arr, e_arr, rtol=prog.rtol, atol=prog.atol,
                                       err_msg=f"{name}, result {k}")


def test_inputs_are_backend_arrays():
    """prepare() hands the program arrays of the backend it runs on."""
    prog = PROGRAMS["path_length"]
    (p,) = prepare(prog, dc, prog.small)
    assert isinstance(p, dc.ndarray)
    (q,) = prepare(prog, np, prog.small)
    assert type(q) is np.ndarray
