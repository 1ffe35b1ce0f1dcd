"""`ElementwiseKernel`: CuPy's user-defined element-wise kernels on the fused interpreter.

    k = dc.ElementwiseKernel("T x, T y", "T z", "z = x * x + y", "squared_sum")
    z = k(a, b)             # broadcasting; Python scalars and NumPy arrays accepted
    k(a, b, z)              # outputs positionally, or k(a, b, out=z)

The operation is one or more statements separated by `;` or newlines, each `name = expr`
or `type name = expr` (a local). Expressions use the language of `evaluate` (Python
syntax: where(c, x, y) instead of `?:`); C's `&&`, `||` and `!` are accepted and mean
logical and / or / not. An output read before it is assigned reads the `out` array.

With a dotcompute array on a GPU among the arguments, the same typed program becomes one
CUDA kernel computing every output (`_cuda.kernel_call`), cached in the same program cache.

Differences from CuPy: arithmetic follows NumPy's type rules (e.g. int / int is a float
division, then cast to the output's type on assignment) rather than C's; no `raw`
parameters, no index `i`, no preamble code.
"""
import re

import numpy as np

from .._core._device import CPU as _CPU
from .._core._ndarray import ndarray as _dcarray
from . import _parser
from ._evaluate import programs
from ._lower import Builder, lower, kernel_dtype, Val

_C_TYPES = {
    "bool": "?", "double": "f8", "float": "f4", "char": "i1", "signed char": "i1",
    "unsigned char": "u1", "short": "i2", "unsigned short": "u2", "int": "i4",
    "unsigned int": "u4", "unsigned": "u4", "long": "i8", "unsigned long": "u8",
    "long long": "i8", "unsigned long long": "u8", "size_t": "u8", "ptrdiff_t": "i8",
    "int8_t": "i1", "int16_t": "i2", "int32_t": "i4", "int64_t": "i8", "uint8_t": "u1",
    "uint16_t": "u2", "uint32_t": "u4", "uint64_t": "u8", "float32": "f4", "float64": "f8",
    "int8": "i1", "int16": "i2", "int32": "i4", "int64": "i8", "uint8": "u1",
    "uint16": "u2", "uint32": "u4", "uint64": "u8", "bool_": "?",
}
_ndarray_t = np.ndarray
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")


def _on_device(args, out):
    """Whether a dotcompute array among the arguments (or out=) is on another device than
    the cpu: the kernel then runs on that device."""
    for a in args:
        if type(a) is _dcarray and a.device is not _CPU:
            return True
    if out is not None:
        for o in (out if isinstance(out, (tuple, list)) else (out,)):
            if type(o) is _dcarray and o.device is not _CPU:
                return True
    return False


def _type_of(spec):
    """dtype of a type name, or the name itself for a type placeholder."""
    spec = " ".join(spec.split())
    if spec in _C_TYPES:
        return np.dtype(_C_TYPES[spec])
    if _IDENT.match(spec):
        return spec             # placeholder such as T
    raise ValueError(f"unknown parameter type {spec!r}")


def _parse_params(text, what):
    params = []
    if not text.strip():
        return params
    for p in text.split(","):
        words = p.split()
        if len(words) < 2:
            raise ValueError(f"{what} parameter {p.strip()!r} needs a type and a name")
        if words[0] == "raw":
            raise NotImplementedError("raw parameters are not supported")
        name = words[-1]
        if not _IDENT.match(name) or name.startswith("__"):
            raise ValueError(f"invalid parameter name {name!r}")
        params.append((name, _type_of(" ".join(words[:-1]))))
    return params


_STMT = re.compile(r"^\s*(?:(?P<type>[A-Za-z_][A-Za-z0-9_ ]*?)\s+)?(?P<name>[A-Za-z_]\w*)"
                   r"\s*=(?!=)(?P<expr>.*)$", re.S)


def _c_to_python(expr):
    """C's logical operators to the expression language's (and / or / not)."""
    expr = expr.replace("&&", " and ").replace("||", " or ")
    return re.sub(r"!(?!=)", " not ", expr)


def _parse_operation(op):
    stmts = []
    for raw in re.split(r"[;\n]", op):
        if not raw.strip():
            continue
        m = _STMT.match(raw)
        if not m:
            raise SyntaxError(f"cannot parse statement {raw.strip()!r}: expected "
                              "'name = expression' or 'type name = expression'")
        decl = m.group("type")
        if decl is not None:
            decl = decl.strip()
            if decl.startswith("const "):
                decl = decl[6:]
            decl = _type_of(decl)
        tree = _parser.parse(_c_to_python(m.group("expr")), allow_reduction=False)
        stmts.append((decl, m.group("name"), tree))
    if not stmts:
        raise ValueError("the operation has no statement")
    return stmts


class ElementwiseKernel:
    """A user-defined element-wise kernel (CuPy's interface), compiled per argument dtypes
    into a fused register program and run blocked and in parallel."""

    def __init__(self, in_params, out_params, operation, name="kernel", reduce_dims=True,
                 options=(), preamble="", no_return=False, return_tuple=False, **kwargs):
        if preamble:
            raise NotImplementedError("preamble code is not supported")
        self.in_params = tuple(_parse_params(in_params, "input"))
        self.out_params = tuple(_parse_params(out_params, "output"))
        if not self.out_params:
            raise ValueError("an ElementwiseKernel needs at least one output")
        names = [p[0] for p in self.in_params + self.out_params]
        if len(set(names)) != len(names):
            raise ValueError("duplicate parameter names")
        self.operation = operation
        self.name = name
        self.no_return = no_return
        self.return_tuple = return_tuple
        self.nin = len(self.in_params)
        self.nout = len(self.out_params)
        self.nargs = self.nin + self.nout
        self._stmts = _parse_operation(operation)
        ins = {p[0] for p in self.in_params}
        for decl, target, _ in self._stmts:
            if target in ins:
                raise ValueError(f"cannot assign to input parameter {target!r}")
            if target.startswith("__"):
                raise _parser.UnsafeExpressionError(f"the name {target!r} is not allowed")
        self._key = ("kernel", in_params, out_params, operation)

    def __repr__(self):
        return f"<ElementwiseKernel {self.name}>"

    def __call__(self, *args, out=None, size=None, **kwargs):
        if kwargs:
            raise TypeError(f"unexpected keyword arguments {sorted(kwargs)}")
        if size is not None:
            raise NotImplementedError("size= is not supported")
        if _on_device(args, out):
            from ._cuda import kernel_call
            return kernel_call(self, args, out)
        nin = self.nin
        if len(args) == nin and out is None:
            outs = None
        else:
            outs = self._outputs(args, out)
            args = args[:nin]
        # key: the kernel, then per input its dtype (arrays) or Python type (scalars), then
        # per output its dtype or None
        key = [self._key]
        ops = list(args)
        scalars = False
        for i, a in enumerate(args):
            t = type(a)
            if t is _ndarray_t or t is _dcarray:
                key.append(a.dtype)
            elif t is float or t is int or t is bool:
                key.append(t)
                scalars = True
            else:
                a = ops[i] = np.asarray(a)
                key.append(a.dtype)
        if outs is None:
            key.append(None)
        else:
            key.extend(None if o is None else o.dtype for o in outs)
        key = tuple(key)
        entry = programs.get(key)
        if entry is None:
            okeys = key[nin + 1:] if outs is not None else (None,) * self.nout
            entry = self._compile(list(key[1:nin + 1]), okeys)
            programs.put(key, entry, entry[0])
            programs.misses += 1
        else:
            programs.hits += 1
        prog, scalar_types, read_outs = entry
        if scalars:
            for i, st in enumerate(scalar_types):
                if st is not None:
                    ops[i] = np.asarray(ops[i], dtype=st)   # NumPy's conversion
        for j in read_outs:
            if outs is None or outs[j] is None:
                raise ValueError(f"output {self.out_params[j][0]!r} is read before it is "
                                 "assigned: pass it as an argument")
            ops.append(outs[j])
        res = prog.run(ops, outs)
        if self.no_return:
            return None
        if self.nout == 1 and not self.return_tuple:
            return res[0]
        return tuple(res)

    def _outputs(self, args, out):
        """The list of output arrays (None: allocate) from positional outputs or out=."""
        if len(args) == self.nargs:
            outs = list(args[self.nin:])
        elif len(args) == self.nin:
            outs = [None] * self.nout
        else:
            raise TypeError(f"{self.name} takes {self.nin} or {self.nargs} arguments "
                            f"({len(args)} given)")
        if out is not None:
            if any(o is not None for o in outs):
                raise TypeError("outputs given both positionally and with out=")
            outs = list(out) if isinstance(out, (tuple, list)) else [out]
            if len(outs) != self.nout:
                raise ValueError(f"{self.name} has {self.nout} outputs, out= has {len(outs)}")
        for o in outs:
            if o is not None and type(o) is not _dcarray and not isinstance(o, np.ndarray):
                raise TypeError("outputs must be arrays")
        return outs

    def _compile(self, keys, okeys):
        b, outputs, scalar_types, read_outs = self._build(keys, okeys)
        prog, _ = b.program(outputs=outputs, source=self.name)
        return prog, scalar_types, read_outs

    def _build(self, keys, okeys):
        """The typed program of the operation for argument keys (a dtype per array or
        NumPy scalar, the type per Python scalar) and output keys (dtype or None):
        (Builder, [(value, dtype)] per output, per-input conversion dtype of a Python
        scalar or None, outputs read before assignment). The CPU's register program and
        the GPU's kernel are both made from it."""
        # Resolve type placeholders from the array arguments, then from scalars / outputs.
        bound = {}
        for (name, t), k in zip(self.in_params, keys):
            if isinstance(t, str) and isinstance(k, np.dtype):
                if bound.setdefault(t, k) != k:
                    raise TypeError(f"Type is mismatched. {name} {t} {k} {bound[t]}")
        for (name, t), k in zip(self.out_params, okeys):
            if isinstance(t, str) and k is not None:
                if bound.setdefault(t, k) != k:
                    raise TypeError(f"Type is mismatched. {name} {t} {k} {bound[t]}")
        for (name, t), k in zip(self.in_params, keys):
            if isinstance(t, str) and t not in bound:
                bound[t] = np.asarray(k(0)).dtype if isinstance(k, type) else k

        def resolve(t, name):
            if isinstance(t, str):
                if t not in bound:
                    raise TypeError(f"Cannot determine the type {t} of {name!r}")
                return bound[t]
            return t

        b = Builder()
        env = {}
        scalar_types = []
        for (name, t), k in zip(self.in_params, keys):
            dt = resolve(t, name)
            if kernel_dtype(dt) is None:
                raise NotImplementedError(f"parameter {name!r} has unsupported type {dt}")
            if isinstance(k, type):
                # a Python scalar: converted to the parameter's type, as CuPy does
                scalar_types.append(dt)
                env[name] = b.input(dt)
            else:
                scalar_types.append(None)
                if kernel_dtype(k) is None:
                    raise NotImplementedError(f"argument {name!r} has unsupported dtype {k}")
                if not np.can_cast(k, dt, "same_kind"):
                    raise TypeError(f"cannot cast argument {name!r} from {k} to {dt} "
                                    "with casting rule 'same_kind'")
                v = b.input(k)
                env[name] = v if k == dt else Val("reg", dtype=dt, reg=b.materialize(v, dt))
        out_types = [resolve(t, name) for name, t in self.out_params]
        for (name, _), dt, k in zip(self.out_params, out_types, okeys):
            if k is not None and k != dt:
                raise TypeError(f"output {name!r} must have dtype {dt}, not {k}")
        out_names = {p[0]: j for j, p in enumerate(self.out_params)}
        read_outs = []
        assigned = set()
        local_types = {}

        class _Env(dict):
            def __missing__(self, name):
                j = out_names.get(name)
                if j is None:
                    raise NameError(f"name {name!r} is not defined in kernel "
                                    f"{kernel_name!r}")
                # an output read before assignment: its current contents
                read_outs.append(j)
                v = b.input(out_types[j])
                self[name] = v
                return v

        kernel_name = self.name
        env = _Env(env)
        for decl, target, tree in self._stmts:
            v, _ = lower(tree, env, b)
            if decl is not None:
                dt = resolve(decl, target)
                local_types[target] = dt
            elif target in out_names:
                dt = out_types[out_names[target]]
            elif target in local_types:
                dt = local_types[target]
            else:
                raise NameError(f"assignment to undeclared name {target!r} (declare it: "
                                f"'T {target} = ...')")
            # assignment converts as C does (unsafe cast)
            env[target] = Val("reg", dtype=dt, reg=b.materialize(v, dt))
            if target in out_names:
                assigned.add(target)
        outputs = []
        for (name, _), dt in zip(self.out_params, out_types):
            if name not in assigned and out_names[name] not in read_outs:
                raise ValueError(f"output {name!r} is never assigned")
            outputs.append((env[name], dt))
        return b, outputs, scalar_types, read_outs
