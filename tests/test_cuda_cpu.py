"""dotcompute.cuda on any machine (CI has no GPU and no CUDA packages): importing needs no
CUDA, availability is reported without raising, errors name what is missing, and the CUDA C
generated from the op spec covers every operation and dtype of the CPU kernels."""
import numpy as np
import pytest

import dotcompute.cuda as dcuda
from dotcompute._core import _opspec as spec
from dotcompute.cuda import _codegen as cg


def test_import_and_availability_never_raise():
    assert isinstance(dcuda.is_available(), bool)
    reason = dcuda.unavailable_reason()
    assert (reason is None) == dcuda.is_available()
    info = dcuda.runtime_info()
    assert info["available"] == dcuda.is_available()
    if not info["available"]:
        assert info["reason"]


@pytest.mark.skipif(dcuda.is_available(), reason="CUDA is usable here")
def test_unavailable_errors_name_the_missing_piece():
    reason = dcuda.unavailable_reason()
    assert any(w in reason for w in ("driver", "GPU", "cuda-bindings"))
    assert dcuda.device_count() == 0
    with pytest.raises(dcuda.CUDAUnavailable, match="driver|GPU|cuda-bindings"):
        dcuda.synchronize()
    with pytest.raises(dcuda.CUDAUnavailable):
        dcuda.require()
    with pytest.raises(RuntimeError):        # CUDAUnavailable is a RuntimeError
        dcuda.get_default_memory_pool()


def test_codegen_covers_every_op_and_dtype():
    n = 0
    for table in (spec.BINARY, spec.UNARY):
        for name, types, out, _cost, _exprs in table:
            for t in types:
                nin = 2 if table is spec.BINARY else 1
                d = cg.Elementwise([t] * nin, [False] * nin, [t] * nin, cg.op_expr(name, t),
                                   t if out == "same" else "b1")
                src = d.contiguous_source("k")
                assert "@" not in src and 'extern "C" __global__' in src
                assert f"Vec<{cg.CTYPE[t]}, {d.vec()}>" in src
                assert d.vec() * max(cg.ITEMSIZE[t], cg.ITEMSIZE[d.out_type]) == 16
                assert "Geo g" in d.strided_source("k", 3)
                n += 1
    assert n > 200


def test_every_helper_the_op_spec_calls_is_defined_for_the_gpu():
    # the op spec's C expressions call dc_* helpers of the CPU headers; the CUDA prelude
    # must define each one (NVRTC would reject the kernel on the GPU machine only)
    import re
    called = set()
    for table in (spec.BINARY, spec.UNARY):
        for name, types, _out, _cost, _exprs in table:
            for t in types:
                called |= set(re.findall(r"\b(dc_\w+)\s*\(", cg.op_expr(name, t)))
    assert called, "the op spec calls no helpers: the test reads nothing"
    defined = set(re.findall(r"\b(dc_\w+)\s*\(", cg.PRELUDE))
    assert called <= defined, sorted(called - defined)


def test_vector_width_follows_the_widest_operand():
    d = cg.Elementwise(["f4", "f8"], [False, False], ["f8", "f8"], "a + b", "f8")
    assert d.vec() == 2
    d = cg.Elementwise(["u1"], [False], ["u1"], "a", "u1")
    assert d.vec() == 16
    d = cg.Elementwise(["f8", "f8"], [False, True], ["f8", "f8"], "a + b", "b1")
    assert d.vec() == 2 and "double s1" in d.contiguous_source("k")


@pytest.mark.parametrize("op", ["sum", "prod", "min", "max", "argmin", "argmax", "any",
                                "all", "mean"])
def test_reduction_types_are_numpy_defaults(op):
    for t in spec.ALL:
        dt = np.dtype(next(d[2] for d in spec.DTYPES if d[0] == t))
        a = np.ones(3, dt)
        want = np.asarray(getattr(np, op)(a)).dtype
        got = np.dtype(next(d[2] for d in spec.DTYPES if d[0] == cg.reduce_out_type(op, t)))
        assert got == want, (op, t)
        src = cg.reduce_source(op, t, "k", 1, 1, 32)
        assert "__shfl_down_sync" in src


def test_casts_follow_numpy_on_x86():
    assert "(long long)" in cg.convert("a", "u1", "f4")
    assert cg.convert("a", "b1", "f8") == "(uint8_t)((a) != 0)"
    assert cg.convert("a", "f8", "i4") == "(double)(a)"


def _nvrtc_compiles(src):
    """Compile with NVRTC where cuda-bindings and its library are present (not on CI)."""
    from dotcompute.cuda import _compile
    try:
        _compile.nvrtc_version()
    except Exception:                    # noqa: BLE001 - no NVRTC here: text checks only
        return
    _compile.compile_cubin(src, "sm_90")


def test_elementwise_kernel_lowering_types_follow_the_cpu_kernel():
    import dotcompute as dc
    from dotcompute._compiler._cuda import lower_kernel_to_cuda
    k = dc.ElementwiseKernel("float32 x, T y", "T z, float64 w",
                             "z = x * y + 1; w = sin(x) / 2", "two_out_cpu_test")
    for yt, ykey, scalar in (("f8", np.dtype("f8"), False), ("f4", np.dtype("f4"), False),
                             ("f8", float, True)):
        desc, scalar_types, read_outs, out_dtypes = lower_kernel_to_cuda(
            k, [np.dtype("f4"), ykey], [False, scalar], [None, None])
        # the cpu kernel's result dtypes for the same argument types
        yarg = 2.0 if scalar else np.ones(3, yt)
        want = k(np.ones(3, np.float32), yarg)
        assert out_dtypes == tuple(np.asarray(w).dtype for w in want), (yt, out_dtypes)
        assert desc.nout == 2 and desc.scalar == (False, scalar)
        assert read_outs == []
        src = desc.contiguous_source("k")
        assert "out1" in src and src.count("__restrict__ out") == 2
        assert "Geo g" in desc.strided_source("k", 2)
        _nvrtc_compiles(src)
        _nvrtc_compiles(desc.strided_source("k", 2))


def test_elementwise_kernel_lowering_reads_outputs_as_inputs():
    import dotcompute as dc
    from dotcompute._compiler._cuda import lower_kernel_to_cuda
    acc = dc.ElementwiseKernel("int32 x", "T s", "s = s + 2 * x", "acc_cpu_test")
    desc, _, read_outs, out_dtypes = lower_kernel_to_cuda(
        acc, [np.dtype("i4")], [False], [np.dtype("f8")])
    assert read_outs == [0] and out_dtypes == (np.dtype("f8"),)
    assert len(desc.in_types) == 2 and desc.in_types[1] == "f8"    # s read as an input
    _nvrtc_compiles(desc.contiguous_source("k"))
    with pytest.raises(TypeError):
        lower_kernel_to_cuda(acc, [np.dtype("f8")], [False], [np.dtype("f8")])
