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
    from dotcompute.cuda._codegen import CTYPE, NAMES, Elementwise, convert, op_expr

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
    in_types = [_SHORT[b.in_dtypes[i]] for i in range(len(arrays))]
    desc = Elementwise(in_types, [False] * len(arrays), in_types, reg(res), _SHORT[dt],
                       " ".join(stmts))
    return desc, kind, axis, dt, arrays


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
