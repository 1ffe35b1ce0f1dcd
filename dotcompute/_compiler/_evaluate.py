"""`evaluate(expression)`: numexpr's entry point on the fused interpreter.

The first call of an expression parses it (cached by text); every call then looks its
variables up (in `local_dict`/`global_dict`, else the caller's frame, as numexpr does),
describes their types, and finds the compiled program in the program cache keyed by
(expression, casting, out dtype, types; one cache per process, so per ISA build). Only a
miss types and lowers the tree.

Python scalar variables are not part of the program: they are keyed by type (an int also
by the range class that decides which integer dtypes can hold it) and passed per call as
0-d arguments converted as NumPy converts them. Subexpressions of scalars only
(`2 * pi * f`) are lifted out of the program and computed per call as Python computes
them; a program that depends on a scalar's value beyond its type (`a ** s`) is looked up
again by that value (`_Specialized`).
"""
import numpy as np

from .._core import _fused
from .._core import _routines_creation
from . import _parser
from ._lower import Builder, lower, kernel_dtype, weak, Val, POWER, VALUE, _T_INDEX

# One cache object for the compiled programs of this process's kernel build (the ISA is
# chosen once at import) of both evaluate and ElementwiseKernel, bounded in bytes (least
# recently used entries go first), and one for parsed expressions.
#   evaluate: (expression, casting, out dtype, per variable its dtype or, for a Python
#   scalar, its type) -> (program, post-processing or None, plan) -- see _fused.Evaluator.
CACHE_BYTES = 64 << 20
TREE_CACHE_BYTES = 8 << 20
programs = _fused.ProgramCache(CACHE_BYTES)
trees = _fused.ProgramCache(TREE_CACHE_BYTES)       # expression -> (tree, names)
_ISA = _fused.ISA


class CacheInfo(tuple):
    """(hits, misses, size) of the compiled-program cache, like functools' cache_info,
    with more as attributes (as os.stat_result has): `evictions` (entries dropped to stay
    within the bound), `nbytes` (bytes the entries hold: keys, program structures and the
    temporaries programs keep between calls) and `max_bytes` (the bound)."""

    def __new__(cls, hits, misses, size, evictions=0, nbytes=0, max_bytes=0):
        self = tuple.__new__(cls, (hits, misses, size))
        self.evictions = evictions
        self.nbytes = nbytes
        self.max_bytes = max_bytes
        return self

    hits = property(lambda self: self[0])
    misses = property(lambda self: self[1])
    size = property(lambda self: self[2])

    def __repr__(self):
        return (f"CacheInfo(hits={self[0]}, misses={self[1]}, size={self[2]}, "
                f"evictions={self.evictions}, nbytes={self.nbytes}, "
                f"max_bytes={self.max_bytes})")


def _parse(ex):
    """Parse ex (a cache miss of the parsed expressions) and remember it."""
    tree = _parser.parse(ex)
    got = (tree, tuple(_parser.names(tree)))
    trees.put(ex, got, None, 2 * len(ex) + 64 * _parser.count_nodes(tree))
    return got


def _compile_entry(tree, names, key, casting, ex, scalars):
    """A cache miss of `evaluate`: compile for these types and remember. Returns
    (program, post, the scalar arguments of this call)."""
    kinds = key[3:]
    scalar_of = {}                      # scalar variable -> its number among the scalars
    for name, k in zip(names, kinds):
        if not isinstance(k, np.dtype):
            scalar_of[name] = len(scalar_of)
    body, prelude = _lift(tree, scalar_of)
    values = _prelude_values(prelude, scalar_of, scalars)
    prog, post, conv, specs = _compile(body, names, kinds, key[2], casting, ex, values)
    if not scalar_of:
        programs.put(key, (prog, post, None), prog)
        return prog, post, None
    if not specs and all(p[0] == "name" for p in prelude):
        # every parameter is a scalar variable as it is: convert them in C per call
        plan = tuple((scalar_of[prelude[i][1]], c) for i, c in conv)
        programs.put(key, (prog, post, plan), prog)
        return prog, post, _fused.convert_params(scalars, plan)
    spec = _Specialized(key, body, names, kinds, ex, prelude, scalar_of, specs)
    programs.put(key, (None, None, spec), None, 64 * len(prelude) + 256)
    return spec.store(values, prog, post, conv)


class _Specialized:
    """The program of an expression whose scalar variables also enter through scalar
    subexpressions (`a * (2 * s)`: computed per call in Python, as Python would) or whose
    program depends on a scalar's value beyond its type (`a ** s`: NumPy's fast powers;
    integer powers). Per call it computes those scalars, looks the program up by their
    types and the values it depends on, and compiles on a miss."""

    def __init__(self, key, body, names, kinds, ex, prelude, scalar_of, specs):
        self.key = key
        self.body = body
        self.names = names
        self.kinds = kinds
        self.ex = ex
        self.prelude = prelude
        self.scalar_of = scalar_of
        self.specs = dict(specs)        # parameter -> POWER / VALUE (only ever raised)

    def key2(self, values):
        return (self.key, tuple(_value_key(v, self.specs.get(i))
                                for i, v in enumerate(values)))

    def store(self, values, prog, post, conv):
        programs.put(self.key2(values), (prog, post, conv), prog)
        return prog, post, _fused.convert_params([v.value for v in values], conv)

    def __call__(self, scalars):
        values = _prelude_values(self.prelude, self.scalar_of, scalars)
        entry = programs.get(self.key2(values))
        if entry is not None:
            programs.hits += 1
            return entry[0], entry[1], _fused.convert_params([v.value for v in values],
                                                             entry[2])
        programs.misses += 1
        prog, post, conv, specs = _compile(self.body, self.names, self.kinds, self.key[2],
                                           self.key[1], self.ex, values)
        for i, how in specs.items():
            if self.specs.get(i, 0) < how:
                self.specs[i] = how
        return self.store(values, prog, post, conv)


def _value_key(v, how):
    """What a program compiled for parameter value v (a Val) depends on: its type (and
    for a Python int its range class), and as much of its value as `how` says."""
    if v.kind == "weak":
        t = type(v.value)
        k = _fused.int_key(v.value) if t is int else t
    else:
        k = v.dtype
    if how == POWER:
        e = v.value
        return k, (e if e in (2, 0.5, -1, 1) else None)
    if how == VALUE:
        x = v.value
        if isinstance(x, (float, np.floating)):
            return k, float(x).hex()             # -0.0 and 0.0 differ, NaN is NaN
        return k, x
    return k


def _lift(tree, scalar_of):
    """Replace each largest subtree made only of constants and scalar variables (with at
    least one variable) by ("param", i). Returns (tree, [subtree i]). Iterative."""
    if not scalar_of:
        return tree, []
    top = tree if tree[0] != "reduce" else tree[2]
    status = {}                 # id(node) -> 0: has arrays, 1: constants only, 2: scalar
    new = {}
    prelude = []
    index = {}
    stack = [(top, False)]
    while stack:
        n, ready = stack.pop()
        k = n[0]
        if k == "const":
            status[id(n)] = 1
            new[id(n)] = n
            continue
        if k == "name":
            status[id(n)] = 2 if n[1] in scalar_of else 0
            new[id(n)] = n
            continue
        kids = n[_FIRST_CHILD[k]:]
        if not ready:
            stack.append((n, True))
            stack.extend((c, False) for c in reversed(kids))
            continue
        st = [status[id(c)] for c in kids]
        status[id(n)] = 0 if 0 in st else max(st)
        if status[id(n)]:
            new[id(n)] = n
            continue
        parts = list(n)
        for j, c in enumerate(kids, _FIRST_CHILD[k]):
            if status[id(c)] == 2:
                # one parameter per distinct subtree (repr tells 1, 1.0 and True apart)
                parts[j] = ("param", index.setdefault(repr(c), len(index)))
                if len(prelude) < len(index):
                    prelude.append(c)
            else:
                parts[j] = new[id(c)]
        new[id(n)] = tuple(parts)
    if status[id(top)] == 2:
        body = ("param", 0)
        prelude = [top]
    else:
        body = new[id(top)]
    if tree[0] == "reduce":
        return ("reduce", tree[1], body, tree[3]), prelude
    return body, prelude


_FIRST_CHILD = {"binary": 2, "unary": 2, "where": 1}


def _prelude_values(prelude, scalar_of, scalars):
    """The value (a Val) of every lifted subtree for this call's scalars, computed as
    Python (and NumPy, for functions) computes them."""
    if not prelude:
        return []
    env = {name: weak(scalars[j]) for name, j in scalar_of.items()}
    return [env[p[1]] if p[0] == "name" else lower(p, env, Builder())[0] for p in prelude]


def _compile(tree, names, kinds, out_dt, casting, ex, values):
    """Type and lower one expression for variables of the given kinds (dtypes for arrays)
    and parameters of the given values. Returns (program, post, parameter conversions
    ((parameter, (dtype, type index, cast)), ...), specializations {parameter: how})."""
    b = Builder()
    env = {}
    for name, k in zip(names, kinds):
        if isinstance(k, np.dtype):
            if kernel_dtype(k) is None:
                raise NotImplementedError(
                    f"variable {name!r} has dtype {k}, which the fused kernels do not "
                    "support (bool, int8-64, uint8-64, float32, float64)")
            env[name] = b.input(k)
    params = [Val(v.kind, v.value, v.dtype, None, i) for i, v in enumerate(values)]
    post = None
    if tree[0] == "reduce":
        _, kind, body, axis = tree
        v, b = lower(body, env, b, params)
        if axis is None:
            if out_dt is not None:
                raise NotImplementedError("out= with a full reduction")
            prog, _ = b.program(reduce=(kind, v), source=ex)
            post = _full_reduce
        else:
            # Reduction along an axis: fuse the element-wise part, reduce with dotcompute.
            prog, _ = b.program(outputs=[(v, _val_dtype(v))], source=ex)
            post = _axis_reducer(kind, axis)
    else:
        v, b = lower(tree, env, b, params)
        dt = _val_dtype(v)
        if out_dt is not None:
            if not np.can_cast(dt, out_dt, casting):
                raise TypeError(f"Cannot cast the result of {ex!r} from {dt} to {out_dt} "
                                f"with casting rule {casting!r}")
            target = out_dt
        else:
            target = dt
        prog, _ = b.program(outputs=[(v, target)], source=ex)
    conv = tuple((i, (dt, _T_INDEX[dt], cast)) for i, dt, cast in b.param_args)
    return prog, post, conv, b.specs


class Evaluate(_fused.Evaluator):
    """evaluate(ex, local_dict=None, global_dict=None, out=None, order="K",
    casting="same_kind")

    Evaluate an element-wise expression in one fused, blocked, parallel pass.

    Compatible with numexpr.evaluate: arithmetic (+ - * / // % **), comparisons, bit and
    logical operators (& | ^ ~ << >>), where(c, x, y), the math functions (sin, exp, log,
    sqrt, abs, arctan2, ...), and sum/prod/min/max(expr[, axis]) as the outermost
    operation. Variables come from local_dict / global_dict, else the caller's frame.
    Types follow NumPy (NEP 50: Python scalars are weak, NumPy scalars strong). `out`
    (an array) receives the result under the `casting` rule ('no', 'equiv', 'safe',
    'same_kind', 'unsafe'). `order` ('K', 'C', 'F', 'A') is the memory order of a new
    result, as in numexpr: 'F' Fortran, 'C' C, 'K' and 'A' Fortran when the operands of
    two or more dimensions all are, C otherwise. Returns a dotcompute array (0-d for a
    full reduction).

    The compiled program is cached per (expression, variable dtypes, out dtype, casting)
    of this process's kernel build. Python scalar variables are arguments of the program,
    keyed by their type only (and an int by which integer dtypes can hold it), so a loop
    over scalar values compiles once. `evaluate.cache_info()` counts hits and misses.
    """

    def cache_info(self):
        """Hits, misses and size of the compiled-program cache (evaluate and
        ElementwiseKernel share it); evictions, nbytes and max_bytes as attributes."""
        return cache_info()

    def cache_clear(self):
        """Forget every compiled program and parsed expression; reset the counters."""
        clear_cache()

    def __repr__(self):
        return "<dotcompute.evaluate>"


def cache_info():
    """Hits, misses and size of the compiled-program cache; evictions, nbytes (bytes its
    entries hold) and max_bytes (its bound) as attributes."""
    return CacheInfo(programs.hits, programs.misses, len(programs), programs.evictions,
                     programs.nbytes, programs.max_bytes)


def clear_cache():
    """Forget every compiled program and parsed expression; reset the counters."""
    programs.clear()
    trees.clear()


def set_cache_limit(nbytes):
    """Bound the compiled-program cache to `nbytes` bytes (least recently used entries
    are evicted first); returns the previous bound."""
    old = programs.max_bytes
    programs.max_bytes = nbytes
    return old


def _fortran(prog, args):
    """A new F-ordered output for prog over args (order='F', or 'K'/'A' with F-ordered
    operands), or None where the order makes no difference or the shapes do not
    broadcast (the program then says so)."""
    try:
        shape = np.broadcast_shapes(*[np.shape(a) for a in args])
    except ValueError:
        return None
    if len(shape) < 2:
        return None
    return _routines_creation.empty(shape, prog.out_dtypes[0], order="F")


def _val_dtype(v):
    if v.kind == "weak":
        return np.asarray(v.value).dtype
    return v.dtype


def _full_reduce(prog, args, out):
    if out is not None:
        raise NotImplementedError("out= with a full reduction")
    return prog.run(args)


def _axis_reducer(kind, axis):
    from .._core import _routines_function
    f = getattr(_routines_function, kind)

    def post(prog, args, out):
        full = prog.run(args)[0]
        return f(full, axis=axis, out=out)
    return post


evaluate = Evaluate(_parse, _compile_entry, _fortran, trees, programs)


def _on_device(ex, local_dict, global_dict, out):
    """The evaluator's call when a variable is an array on a GPU: the CUDA lowering."""
    from ._cuda import evaluate_device_arrays
    return evaluate_device_arrays(ex, local_dict, global_dict, out)


evaluate.device_hook = _on_device
