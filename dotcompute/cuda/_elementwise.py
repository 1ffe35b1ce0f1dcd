"""Element-wise operations on GPU arrays: ufuncs of the op spec, where, clip, casts, copies.

Types are NumPy's: the output dtype of a ufunc is what NumPy's own type resolution gives
for the operand dtypes (Python scalars weak, NEP 50), computed once per combination on
empty arrays and cached with the kernel plan.  The loop type is the op spec's: the common
input type for comparisons and logical ops, the output type otherwise; an op spec entry
without that loop type is not implemented on the GPU (TypeError naming it).

A plan holds the `Elementwise` description and the compiled kernels per device; a call
looks the plan up by (op, operand types), allocates the output from the GPU pool and
launches on the thread's current stream: the contiguous kernel (16-byte vector accesses)
when every array operand is C-contiguous, of the output's shape and 16-byte aligned, the
strided kernel otherwise (broadcast dimensions get stride 0; dimensions are collapsed).
"""
import os

import numpy as np

from dotcompute._core import _opspec as spec

from . import _compile, _driver
from ._array import DeviceView
from ._codegen import CTYPE, Elementwise, op_expr, op_output, op_types
from ._transfer import empty

SHORT = {np.dtype(c): short for short, _, c in spec.DTYPES}
_ALIASES = {"divide": "true_divide", "abs": "absolute"}
THREADS = 256
# 0: one vector per thread (no grid-stride loop); N: at most N blocks per multiprocessor.
BLOCKS_PER_SM = int(os.environ.get("DOTCOMPUTE_CUDA_BLOCKS_PER_SM", "0"))
_sm_count = {}
_plans = {}
_kernels = {}      # (desc key, mode, ndim, device) -> Function


def device_name(x):
    return f"cuda:{x.device_id}"


def short(dtype):
    s = SHORT.get(dtype)
    if s is None:
        raise TypeError(f"dtype {dtype} is not supported on the GPU")
    return s


def _sms(dev):
    n = _sm_count.get(dev)
    if n is None:
        n = _sm_count[dev] = _driver.device_properties(dev)["multiprocessors"]
    return n


def _blocks(n_items, dev):
    b = (n_items + THREADS - 1) // THREADS
    cap = _sms(dev) * BLOCKS_PER_SM if BLOCKS_PER_SM else 2 ** 31 - 1
    return max(1, min(b, cap))


def _function(desc, mode, ndim, dev):
    k = (desc.key(), mode, ndim, dev)
    f = _kernels.get(k)
    if f is None:
        name = "dc_ew"
        src = desc.contiguous_source(name) if mode == 0 else desc.strided_source(name, ndim)
        f = _kernels[k] = _compile.get_function(src, name, dev)
    return f


def _is_array(x):
    return isinstance(x, DeviceView) or hasattr(x, "__cuda_array_interface__") and hasattr(
        x, "data_ptr") and hasattr(x, "device_id")


def _scalar_of(x):
    """A Python/NumPy scalar (or 0-d NumPy array) as the value NumPy would promote."""
    if isinstance(x, (bool, int, float)):
        return x
    if isinstance(x, np.generic):
        return x
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return x[()]
        raise ValueError("operands are on different devices: cpu and cuda "
                         "(move one with x.to_device(...))")
    if isinstance(x, complex):
        raise TypeError("complex numbers are not supported on the GPU")
    raise TypeError(f"unsupported operand type for a GPU operation: {type(x).__name__}")


def _type_key(x):
    if isinstance(x, DeviceView):
        return x.dtype
    if isinstance(x, np.generic):
        return ("scalar", x.dtype)
    return type(x)


def _dummy(x):
    if isinstance(x, DeviceView):
        return np.empty(0, x.dtype)
    return x


class Plan:
    __slots__ = ("desc", "out_dtype", "loop_dtype", "scalar", "name")

    def __init__(self, desc, out_dtype, loop_dtype, scalar, name):
        self.desc = desc
        self.out_dtype = out_dtype
        self.loop_dtype = loop_dtype
        self.scalar = scalar
        self.name = name


def _make_plan(ufunc, name, operands):
    dummies = [_dummy(x) for x in operands]
    with np.errstate(all="ignore"):
        res = ufunc(*dummies)       # NumPy's type resolution (and its TypeError)
    out_dtype = res.dtype
    if op_output(name) == "bool":
        loop = np.result_type(*dummies)
    else:
        loop = out_dtype
    lt = SHORT.get(loop)
    if lt is None or lt not in op_types(name):
        raise TypeError(f"dotcompute: numpy.{ufunc.__name__} is not implemented for "
                        f"{loop} arrays on the GPU")
    scalar = tuple(not isinstance(x, DeviceView) for x in operands)
    in_types = [lt if s else short(x.dtype) for x, s in zip(operands, scalar)]
    desc = Elementwise(in_types, scalar, [lt] * len(operands), op_expr(name, lt),
                       short(out_dtype))
    return Plan(desc, out_dtype, loop, scalar, ufunc.__name__)


_fast = {}     # (ufunc, dtype[, dtype]) -> FastElementwise, for all-array operands


def ufunc_call(ufunc, inputs, out=None):
    """`ufunc(*inputs)` for a ufunc of the op spec with at least one GPU array operand."""
    if out is None:
        if len(inputs) == 2:
            a, b = inputs
            if type(a) is DeviceView and type(b) is DeviceView:
                fp = _fast.get((ufunc, a.dtype, b.dtype))
                if fp is not None:
                    r = fp.call(a, b)
                    if r is not None:
                        return r
        elif len(inputs) == 1 and type(inputs[0]) is DeviceView:
            fp = _fast.get((ufunc, inputs[0].dtype))
            if fp is not None:
                r = fp.call(inputs[0])
                if r is not None:
                    return r
    return _ufunc_general(ufunc, inputs, out)


def _ufunc_general(ufunc, inputs, out):
    name = _ALIASES.get(ufunc.__name__, ufunc.__name__)
    if op_types(name) is None:
        raise TypeError(f"dotcompute: numpy.{ufunc.__name__} is not implemented for arrays "
                        f"on the GPU")
    operands = [x if isinstance(x, DeviceView) else _scalar_of(x) for x in inputs]
    key = (name,) + tuple(_type_key(x) for x in operands)
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = _make_plan(ufunc, name, operands)
        if not any(plan.scalar) and len(operands) <= 2:
            dev = operands[0].device_id
            dtypes = tuple(x.dtype for x in operands)
            fp = _fast[(ufunc,) + dtypes] = _driver.FastElementwise(
                _function(plan.desc, 0, 1, dev), plan.desc.vec(), plan.out_dtype)
            _driver.register_fast(ufunc, dtypes, dev, fp)
        elif (len(operands) == 2 and sum(plan.scalar) == 1 and isinstance(
                plan.loop_dtype, np.dtype) and plan.loop_dtype.kind in "fiu"):
            # a dc array and a Python float / int: the scalar goes by value in the loop type
            # (an int out of an integer loop type's range takes the general path, which
            # raises NumPy's OverflowError)
            pos = plan.scalar.index(True)
            s = operands[pos]
            if type(s) in (float, int):
                arr = operands[1 - pos]
                dev = arr.device_id
                fp = _driver.FastElementwise(_function(plan.desc, 0, 1, dev), plan.desc.vec(),
                                             plan.out_dtype, pos, plan.loop_dtype)
                types = [arr.dtype, arr.dtype]
                types[pos] = type(s)
                _driver.register_fast(ufunc, types, dev, fp)
    return run(plan.desc, operands, plan.scalar, plan.loop_dtype, plan.out_dtype, out)


def run(desc, operands, scalar, loop_dtype, out_dtype, out=None):
    """Launch `desc` over operands (DeviceViews, or host scalars where scalar[i]).

    With several outputs (`desc.more`), out_dtype is the tuple of their dtypes, `out` a
    list of DeviceViews or None (allocated), and the list of outputs is returned."""
    multi = desc.nout > 1
    out_dtypes = tuple(out_dtype) if multi else (out_dtype,)
    outs = (list(out) if out is not None else [None] * desc.nout) if multi else [out]
    dev = -1
    shape = None
    for x, s in zip(operands, scalar):
        if not s:
            if dev < 0:
                dev = x.device_id
                shape = x.shape
            elif x.device_id != dev:
                raise ValueError(f"operands are on different devices: cuda:{dev} and "
                                 f"cuda:{x.device_id}")
            elif x.shape != shape:
                shape = None
    given = [o for o in outs if o is not None]
    if given:
        if dev < 0:
            dev = given[0].device_id
        # the output's shape rules: operands broadcast to it (NumPy's out= semantics)
        oshape = given[0].shape
        shape = np.broadcast_shapes(oshape, *[x.shape for x, s in zip(operands, scalar)
                                              if not s])
        if shape != oshape:
            raise ValueError(f"non-broadcastable output operand with shape {oshape} "
                             f"doesn't match the broadcast shape {shape}")
    if shape is None:
        shape = np.broadcast_shapes(*[x.shape for x, s in zip(operands, scalar) if not s])
    for k, o in enumerate(outs):
        if o is None:
            outs[k] = empty(shape, out_dtypes[k], dev)
        else:
            _check_out(o, shape, out_dtypes[k], dev)
    result = outs if multi else outs[0]
    n = outs[0].size
    if n == 0:
        return result
    args = []
    contiguous = all(o.c_contiguous and (o.data_ptr & 15) == 0 for o in outs)
    for x, s in zip(operands, scalar):
        if s:
            args.append(np.array(x, dtype=loop_dtype if isinstance(loop_dtype, np.dtype)
                                 else loop_dtype[len(args)]).tobytes())
        else:
            if contiguous and not (x.c_contiguous and x.shape == shape and
                                   (x.data_ptr & 15) == 0):
                contiguous = False
            args.append(x.data_ptr)
    args.extend(o.data_ptr for o in outs)
    if contiguous:
        f = _function(desc, 0, 1, dev)
        v = desc.vec()
        args.append(n)
        _driver.launch1d(f, _blocks((n + v - 1) // v, dev), THREADS, tuple(args))
        return result
    geo_shape, geo_strides = _geometry(shape, [
        (x.shape, x.strides) for x, s in zip(operands, scalar) if not s] + [
        (o.shape, o.strides) for o in outs])
    # scalars have no strides: insert zeros to keep one stride row per kernel operand
    rows = []
    it = iter(geo_strides)
    for s in scalar:
        rows.append([0] * len(geo_shape) if s else next(it))
    rows.extend(it)
    f = _function(desc, 1, len(geo_shape), dev)
    args.append(n)
    args.append(np.array(list(geo_shape) + [v for r in rows for v in r], np.int64).tobytes())
    _driver.launch1d(f, _blocks(n, dev), THREADS, tuple(args))
    return result


def _check_out(out, shape, dtype, dev):
    if not isinstance(out, DeviceView):
        raise TypeError("out must be a GPU array")
    if out.device_id != dev:
        raise ValueError(f"out is on cuda:{out.device_id}, the operands on cuda:{dev}")
    if out.shape != tuple(shape):
        raise ValueError(f"out has shape {out.shape}, the result {tuple(shape)}")
    if out.dtype != dtype:
        raise TypeError(f"out has dtype {out.dtype}, the result {dtype} "
                        f"(casting on output is not supported on the GPU)")


def _geometry(shape, operands):
    """Collapsed (shape, [strides per operand]) for broadcasting operands to `shape`."""
    nd = len(shape)
    full = []
    for oshape, ostrides in operands:
        pad = nd - len(oshape)
        st = [0] * pad + [0 if oshape[i] == 1 and shape[pad + i] != 1 else ostrides[i]
                          for i in range(len(oshape))]
        full.append(st)
    dims = [d for d in range(nd) if shape[d] != 1]
    sh = [shape[d] for d in dims]
    sts = [[st[d] for d in dims] for st in full]
    i = len(sh) - 1
    while i > 0:
        if all(st[i - 1] == st[i] * sh[i] for st in sts):
            sh[i - 1] *= sh[i]
            del sh[i]
            for st in sts:
                st[i - 1] = st[i]
                del st[i]
        i -= 1
    if not sh:
        sh = [1]
        sts = [[0] for _ in sts]
    return sh, sts


# --- where, clip, casts, copies --------------------------------------------------------

_extra = {}


def astype(x, dtype, out=None):
    dtype = np.dtype(dtype)
    key = ("astype", x.dtype, dtype)
    desc = _extra.get(key)
    if desc is None:
        s = short(x.dtype)
        desc = _extra[key] = Elementwise([s], [False], [s], "a", short(dtype))
    return run(desc, [x], (False,), dtype, dtype, out)


def copy(x, out=None):
    """A C-contiguous copy (any layout in), or a copy into `out` (any layout, x broadcast
    to it)."""
    return astype(x, x.dtype, out)


def fill(out, value):
    """Set every element of the GPU array `out` (any layout) to a scalar, as NumPy casts it
    on assignment."""
    t = short(out.dtype)
    key = ("fill", out.dtype)
    desc = _extra.get(key)
    if desc is None:
        desc = _extra[key] = Elementwise([t], [True], [t], "a", t)
    value = np.asarray(value).astype(out.dtype, casting="unsafe")[()]
    return run(desc, [value], (True,), out.dtype, out.dtype, out)


def where(cond, x, y):
    ops = [cond if isinstance(cond, DeviceView) else _scalar_of(cond),
           x if isinstance(x, DeviceView) else _scalar_of(x),
           y if isinstance(y, DeviceView) else _scalar_of(y)]
    if not any(isinstance(o, DeviceView) for o in ops):
        raise TypeError("where: no GPU operand")
    out_dtype = np.result_type(_dummy(ops[1]), _dummy(ops[2]))
    lt = short(out_dtype)
    scalar = tuple(not isinstance(o, DeviceView) for o in ops)
    key = ("where",) + tuple(_type_key(o) for o in ops)
    desc = _extra.get(key)
    if desc is None:
        in_types = ["b1" if scalar[0] else short(ops[0].dtype)]
        in_types += [lt if s else short(o.dtype) for o, s in zip(ops[1:], scalar[1:])]
        desc = _extra[key] = Elementwise(in_types, scalar, ["b1", lt, lt], "a ? b : c", lt)
    return run(desc, ops, scalar, (np.dtype(bool), out_dtype, out_dtype), out_dtype)


def clip(a, lo, hi, out=None):
    ops = [a if isinstance(a, DeviceView) else _scalar_of(a),
           lo if isinstance(lo, DeviceView) else _scalar_of(lo),
           hi if isinstance(hi, DeviceView) else _scalar_of(hi)]
    dummies = [_dummy(o) for o in ops]
    out_dtype = np.clip(*dummies).dtype
    lt = short(out_dtype)
    scalar = tuple(not isinstance(o, DeviceView) for o in ops)
    key = ("clip",) + tuple(_type_key(o) for o in ops)
    desc = _extra.get(key)
    if desc is None:
        t = CTYPE[lt]
        helpers = (f"auto dc_mx = [](const {t} a, const {t} b) -> {t} "
                   f"{{ return ({t})({op_expr('maximum', lt)}); }}; "
                   f"auto dc_mn = [](const {t} a, const {t} b) -> {t} "
                   f"{{ return ({t})({op_expr('minimum', lt)}); }};")
        in_types = [lt if s else short(o.dtype) for o, s in zip(ops, scalar)]
        desc = _extra[key] = Elementwise(in_types, scalar, [lt] * 3, "dc_mn(dc_mx(a, b), c)",
                                         lt, helpers)
    return run(desc, ops, scalar, out_dtype, out_dtype, out)
