"""The compiler's CUDA lowering: the typed program of an expression as one CUDA kernel.

The same parser (whitelist), the same typing (`Builder`: NumPy's loops, NEP 50 weak
scalars, folded constants, NumPy's scalar powers) and the same tree cache as `evaluate`;
instead of a register program for the CPU interpreter, the builder's instructions become
CUDA C statements (one local per virtual register, each operation the op spec's
expression at its loop type), placed in the element-wise kernels of `dotcompute.cuda`
(16-byte vector accesses when the operands are contiguous, strided otherwise).  Compiled
kernels sit in the evaluate program cache under a ("cuda", ...) key.

`dotcompute.cuda` is imported only when a GPU expression is compiled.
"""
import sys

import numpy as np

from .._core import _fused, _opspec
from . import _evaluate
from ._lower import Builder, lower, strong_const, weak

_T_DTYPES = [None] * len(_opspec.DTYPES)
for _i, _d in enumerate(_opspec.DTYPES):
    _T_DTYPES[_i] = np.dtype(_d[2])
_SHORT = {np.dtype(d[2]): d[0] for d in _opspec.DTYPES}
_SHORT[np.dtype(np.int64)] = "i8"
_SHORT[np.dtype(np.uint64)] = "u8"
_T_NAMES = {d[0]: d[2] for d in _opspec.DTYPES}


def _literal(cb, short, ctype):
    u = int.from_bytes(cb, "little")
    if short == "f8":
        return f"__longlong_as_double((long long){u}ULL)"
    if short == "f4":
        return f"__int_as_float((int){u}U)"
    return f"(({ctype}){u}ULL)"


def lower_to_cuda(tree, names, keys):
    """(Elementwise description, reduction kind or None, axis, result dtype, input names)
    for an expression whose variables have `keys` (a dtype for GPU arrays, ("weak", v)
    for Python scalars, ("const", v) for NumPy scalars)."""
    from dotcompute.cuda._codegen import NAMES, Elementwise

    b = Builder()
    env = {}
    arrays = []
    for name, k in zip(names, keys):
        if isinstance(k, np.dtype):
            env[name] = b.input(k)
            arrays.append(name)
        elif k[0] == "weak":
            env[name] = weak(k[1])
        else:
            env[name] = strong_const(k[1])
    if len(arrays) > len(NAMES):
        raise NotImplementedError(f"at most {len(NAMES)} GPU arrays in one expression")
    kind = axis = None
    body = tree
    if tree[0] == "reduce":
        _, kind, body, axis = tree
    v, b = lower(body, env, b)
    dt = v.dtype if v.kind != "weak" else np.asarray(v.value).dtype
    if not arrays:
        raise TypeError("no GPU array in the expression")
    res = b.materialize(v, dt)
    stmts, reg = cuda_statements(b)
    in_types = [_SHORT[b.in_dtypes[i]] for i in range(len(arrays))]
    desc = Elementwise(in_types, [False] * len(arrays), in_types, reg(res), _SHORT[dt],
                       " ".join(stmts))
    return desc, kind, axis, dt, arrays


def cuda_statements(b):
    """(CUDA C statements, reg) of a Builder's instructions: one local per register, each
    operation the op spec's expression at its loop type; reg(r) is the C name of register
    r (inputs are the kernel's a, b, ... in input order)."""
    from dotcompute.cuda._codegen import CTYPE, NAMES, convert, op_expr

    def reg(r):
        k, idx, _dt, _cb = b.regs[r]
        return NAMES[idx] if k == _fused.R_INPUT else f"r{r}"

    stmts = []
    for r, (k, idx, rdt, cb) in enumerate(b.regs):
        if k == _fused.R_CONST:
            s = _SHORT[rdt]
            stmts.append(f"const {CTYPE[s]} r{r} = {_literal(cb, s, CTYPE[s])};")
    binary = [op[0] for op in _opspec.BINARY]
    unary = [op[0] for op in _opspec.UNARY]
    for kind_i, op, t, dst, a, bb, c in b.instrs:
        out_s = _SHORT[b.regs[dst][2]]
        oct_ = CTYPE[out_s]
        if kind_i in ("binary", "unary"):
            ts = _SHORT[_T_DTYPES[t]]
            ct = CTYPE[ts]
            name = binary[op] if kind_i == "binary" else unary[op]
            ops = f"{ct} x{dst} = {reg(a)};" + (f" {ct} y{dst} = {reg(bb)};"
                                                   if kind_i == "binary" else "")
            decl = f"T a = x{dst};" + (f" T b = y{dst};" if kind_i == "binary" else "")
            stmts.append(f"{oct_} r{dst}; {ops} {{ typedef {ct} T; {decl} "
                         f"r{dst} = {convert(op_expr(name, ts), out_s, ts)}; }}")
        elif kind_i == "cast":
            src_s = _SHORT[_T_DTYPES[op]]
            stmts.append(f"{oct_} r{dst} = {convert(reg(a), out_s, src_s)};")
        elif kind_i == "where":
            stmts.append(f"{oct_} r{dst} = {reg(c)} ? {reg(a)} : {reg(bb)};")
        else:
            raise NotImplementedError(f"instruction {kind_i}")
    return stmts, reg


def _parsed(ex):
    """(tree, names) of an expression from evaluate's cache of parsed expressions."""
    got = _evaluate.trees.get(ex)
    return got if got is not None else _evaluate._parse(ex)


def _key_of(v):
    from dotcompute.cuda._array import DeviceView
    if isinstance(v, DeviceView):
        return v.dtype
    if isinstance(v, np.generic):
        return ("const", v)
    if isinstance(v, (bool, int, float)):
        return ("weak", v)
    if isinstance(v, np.ndarray):
        if v.ndim == 0:
            return ("const", v[()])
        raise ValueError("operands are on different devices: cpu and cuda "
                         "(move one with x.to_device(...))")
    raise TypeError(f"unsupported variable type {type(v).__name__}")


def evaluate(ex, local_dict=None, global_dict=None, out=None, _frame_depth=1):
    """`evaluate` for GPU arrays: one fused kernel per (expression, variable types)."""
    from dotcompute.cuda import _elementwise, _reduction

    tree, names = _parsed(ex)
    if local_dict is None and global_dict is None:
        f = sys._getframe(_frame_depth)
        local_dict, global_dict = f.f_locals, f.f_globals
    values = []
    for n in names:
        if local_dict is not None and n in local_dict:
            values.append(local_dict[n])
        elif global_dict is not None and n in global_dict:
            values.append(global_dict[n])
        else:
            raise KeyError(n)
    keys = tuple(_key_of(v) for v in values)
    ckey = ("cuda", ex) + tuple((k[0], type(k[1]), k[1]) if isinstance(k, tuple) else k
                                for k in keys)
    entry = _evaluate.programs.get(ckey)
    if entry is None:
        entry = lower_to_cuda(tree, names, keys)
        _evaluate.programs.put(ckey, entry, None, 64 * len(entry[0].helpers) + 256)
        _evaluate.programs.misses += 1
    else:
        _evaluate.programs.hits += 1
    desc, kind, axis, dt, arrays = entry
    ops = [values[names.index(n)] for n in arrays]
    r = _elementwise.run(desc, ops, (False,) * len(ops), dt, dt,
                         out if kind is None else None)
    if kind is not None:
        r = _reduction.reduce(kind, r, axis=axis)
    return r


def evaluate_device_arrays(ex, local_dict, global_dict, out):
    """`dotcompute.evaluate` when a variable is a dotcompute array on a GPU (the
    evaluator's device hook): the same kernel, on views of the arrays, wrapped back."""
    from dotcompute._core._ndarray import ndarray
    from dotcompute.cuda import _backend

    def unwrap(v):
        if isinstance(v, ndarray):
            if str(v.device) == "cpu":
                if v.ndim == 0:
                    return v.item()
                raise ValueError(f"operands are on different devices: cpu and cuda "
                                 f"(move one with x.to_device(...))")
            return _backend.view(v)
        return v

    tree, names = _parsed(ex)
    env = {}
    for n in names:
        if n in local_dict:
            env[n] = unwrap(local_dict[n])
        elif global_dict is not None and n in global_dict:
            env[n] = unwrap(global_dict[n])
    r = evaluate(ex, env, {}, None if out is None else _backend.view(out))
    if out is not None:
        return out
    return _backend.wrap(r)


# --- ElementwiseKernel on GPU arrays -----------------------------------------------------

def _kernel_operand(v):
    """(operand, key, is scalar) of a kernel argument when a GPU array is among them: GPU
    dc arrays as DeviceViews (key: dtype), Python scalars by value (key: their type, the
    kernel converts them to the parameter's type as on the cpu), NumPy scalars and 0-d
    host arrays by value (key: dtype, typed as the cpu types a 0-d array)."""
    from dotcompute._core._device import CPU
    from dotcompute._core._ndarray import ndarray
    from dotcompute.cuda import _backend
    t = type(v)
    if t is float or t is int or t is bool:
        return v, t, True
    if isinstance(v, ndarray):
        if v.device is not CPU:
            return _backend.view(v), v.dtype, False
    if isinstance(v, np.generic):
        return v, v.dtype, True
    v = np.asarray(v)
    if v.ndim == 0:
        return v[()], v.dtype, True
    raise ValueError("operands are on different devices: cpu and cuda "
                     "(move one with x.to_device(...))")


def lower_kernel_to_cuda(kernel, keys, scalar, okeys):
    """(Elementwise description, per-input conversion dtype of Python scalars, outputs
    read before assignment, output dtypes) of an ElementwiseKernel for argument keys
    (dtype or Python type), which of them are host scalars, and output keys."""
    from dotcompute.cuda._codegen import NAMES, Elementwise

    b, outputs, scalar_types, read_outs = kernel._build(list(keys), list(okeys))
    if len(b.in_dtypes) > len(NAMES):
        raise NotImplementedError(f"at most {len(NAMES)} operands in a GPU kernel")
    regs = [b.materialize(v, dt) for v, dt in outputs]
    stmts, reg = cuda_statements(b)
    in_types = [_SHORT[d] for d in b.in_dtypes]
    flags = list(scalar) + [False] * len(read_outs)
    out_types = [_SHORT[dt] for _, dt in outputs]
    desc = Elementwise(in_types, flags, in_types, reg(regs[0]), out_types[0],
                       " ".join(stmts),
                       more=[(reg(r), t) for r, t in zip(regs[1:], out_types[1:])])
    return desc, scalar_types, read_outs, tuple(dt for _, dt in outputs)


def kernel_call(kernel, args, out):
    """`ElementwiseKernel.__call__` with a GPU array among the arguments: the kernel's
    typed program (the cpu's `_build`: same parser, whitelist and NEP 50 typing) as one
    CUDA kernel computing every output, cached in the evaluate program cache."""
    from dotcompute._core._device import CPU
    from dotcompute._core._ndarray import ndarray
    from dotcompute.cuda import _backend, _elementwise

    nin = kernel.nin
    if len(args) == nin and out is None:
        outs = [None] * kernel.nout
    else:
        outs = kernel._outputs(args, out)
        args = args[:nin]
    out_views = []
    for o in outs:
        if o is None:
            out_views.append(None)
        elif isinstance(o, ndarray) and o.device is not CPU:
            out_views.append(_backend.view(o))
        else:
            raise ValueError("operands are on different devices: cpu and cuda "
                             "(an output of a GPU kernel must be a GPU array)")
    ops, keys, scalar = [], [], []
    for a in args:
        v, k, s = _kernel_operand(a)
        ops.append(v)
        keys.append(k)
        scalar.append(s)
    okeys = [None if o is None else o.dtype for o in out_views]
    ckey = ("cuda",) + kernel._key + tuple(keys) + tuple(scalar) + tuple(okeys)
    entry = _evaluate.programs.get(ckey)
    if entry is None:
        entry = lower_kernel_to_cuda(kernel, keys, scalar, okeys)
        desc = entry[0]
        _evaluate.programs.put(ckey, entry, None, 64 * len(desc.helpers) + 256)
        _evaluate.programs.misses += 1
    else:
        _evaluate.programs.hits += 1
    desc, scalar_types, read_outs, out_dtypes = entry
    for i, st in enumerate(scalar_types):
        if st is not None and scalar[i]:
            ops[i] = np.asarray(ops[i], dtype=st)[()]      # NumPy's conversion
    for j in read_outs:
        if out_views[j] is None:
            raise ValueError(f"output {kernel.out_params[j][0]!r} is read before it is "
                             "assigned: pass it as an argument")
        ops.append(out_views[j])
    flags = tuple(desc.scalar)
    loop = tuple(np.dtype(_T_NAMES[t]) for t in desc.in_types)
    if kernel.nout == 1:
        res = [_elementwise.run(desc, ops, flags, loop, out_dtypes[0], out_views[0])]
    else:
        res = _elementwise.run(desc, ops, flags, loop, out_dtypes, out_views)
    res = [o if o is not None else _backend.wrap(r) for o, r in zip(outs, res)]
    if kernel.no_return:
        return None
    if kernel.nout == 1 and not kernel.return_tuple:
        return res[0]
    return tuple(res)
