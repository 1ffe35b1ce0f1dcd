"""Expression parser: text -> a small tree of tuples, through a whitelist.

Python's `ast` module only tokenizes and parses; the tree is then walked here node by node
and anything not explicitly allowed is rejected (attribute access, subscripts, lambdas,
comprehensions, keywords other than a reduction's `axis`, strings, names starting with an
underscore pair, calls of anything but the functions below). Nothing of the user's text is
ever evaluated by Python.

Tree nodes (tuples):
    ("name", id)                 a variable
    ("const", value)             a Python int, float or bool
    ("binary", ufunc name, x, y) arithmetic, comparisons, bit and logical operations
    ("unary", ufunc name, x)
    ("call", function name, args)
    ("where", cond, x, y)
    ("reduce", kind, x, axis)    only as the outermost node
"""
import ast

MAX_LENGTH = 20000       # characters of one expression
MAX_NODES = 10000        # syntax-tree nodes (operands, operations, calls) of one expression
MAX_DEPTH = 100          # nesting of the syntax tree; a chain of binary operations
                         # (a + b * c - d ...: each the left operand of the next) is one level

_BINOPS = {
    ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply", ast.Div: "true_divide",
    ast.FloorDiv: "floor_divide", ast.Mod: "remainder", ast.Pow: "power",
    ast.LShift: "left_shift", ast.RShift: "right_shift", ast.BitAnd: "bitwise_and",
    ast.BitOr: "bitwise_or", ast.BitXor: "bitwise_xor",
}
_CMPOPS = {
    ast.Lt: "less", ast.LtE: "less_equal", ast.Gt: "greater", ast.GtE: "greater_equal",
    ast.Eq: "equal", ast.NotEq: "not_equal",
}
_UNOPS = {ast.USub: "negative", ast.UAdd: "positive", ast.Invert: "invert",
          ast.Not: "logical_not"}
_BOOLOPS = {ast.And: "logical_and", ast.Or: "logical_or"}

# Functions of the expression language (numexpr's names) -> NumPy ufunc names.
UNARY_FUNCS = {
    "sqrt": "sqrt", "sin": "sin", "cos": "cos", "tan": "tan", "arcsin": "arcsin",
    "arccos": "arccos", "arctan": "arctan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
    "arcsinh": "arcsinh", "arccosh": "arccosh", "arctanh": "arctanh", "log": "log",
    "log10": "log10", "log1p": "log1p", "log2": "log2", "exp": "exp", "expm1": "expm1",
    "exp2": "exp2", "cbrt": "cbrt", "abs": "absolute", "absolute": "absolute",
    "floor": "floor", "ceil": "ceil", "trunc": "trunc", "rint": "rint", "round": "rint",
    "isnan": "isnan", "isinf": "isinf", "isfinite": "isfinite", "signbit": "signbit",
    "sign": "sign", "square": "square", "reciprocal": "reciprocal", "negative": "negative",
    "copy": "positive", "logical_not": "logical_not", "invert": "invert",
}
BINARY_FUNCS = {
    "arctan2": "arctan2", "hypot": "hypot", "copysign": "copysign", "maximum": "maximum",
    "minimum": "minimum", "fmax": "fmax", "fmin": "fmin", "power": "power",
    "logical_and": "logical_and", "logical_or": "logical_or", "logical_xor": "logical_xor",
}
REDUCTIONS = {"sum": "sum", "prod": "prod", "min": "min", "max": "max"}
# numexpr functions we know but do not run (complex numbers, strings, C fmod).
UNSUPPORTED_FUNCS = {"complex", "real", "imag", "conj", "contains", "fmod", "ones_like",
                     "nextafter"}
FUNCTIONS = set(UNARY_FUNCS) | set(BINARY_FUNCS) | set(REDUCTIONS) | {"where"}


class UnsafeExpressionError(ValueError):
    """The expression uses a construct outside the expression language (rejected before
    anything is evaluated)."""


def _reject(node, what):
    col = getattr(node, "col_offset", None)
    where = f" at position {col}" if col is not None else ""
    raise UnsafeExpressionError(f"{what} is not allowed in expressions{where}")


def parse(text, allow_reduction=True):
    """Parse expression text into the tree described in the module docstring."""
    if not isinstance(text, str):
        raise TypeError(f"expression must be a string, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise UnsafeExpressionError(f"expression longer than {MAX_LENGTH} characters")
    if "\x00" in text:
        raise UnsafeExpressionError("expression contains a NUL character")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        shown = text if len(text) <= 80 else text[:77] + "..."
        raise SyntaxError(f"invalid expression {shown!r}: {e.msg} at position "
                          f"{e.offset}", ("<expression>", e.lineno, e.offset, text)) from None
    except (RecursionError, MemoryError, ValueError) as e:
        raise UnsafeExpressionError(f"expression cannot be parsed: {e}") from None
    count = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.expr):
            count += 1
            if count > MAX_NODES:
                raise UnsafeExpressionError(f"expression has more than {MAX_NODES} nodes")
    walker = _Walker()
    body = tree.body
    if (allow_reduction and isinstance(body, ast.Call) and isinstance(body.func, ast.Name)
            and body.func.id in REDUCTIONS):
        return walker.reduction(body)
    return walker.expr(body, 0)


class _Walker:
    def expr(self, node, depth):
        if depth > MAX_DEPTH:
            raise UnsafeExpressionError(f"expression nested deeper than {MAX_DEPTH}")
        d = depth + 1
        t = type(node)
        if t is ast.BinOp:
            return self.chain(node, d)
        if t is ast.UnaryOp:
            op = _UNOPS[type(node.op)]
            operand = node.operand
            if op == "negative" and type(operand) is ast.Constant:
                c = self.const(operand)
                if type(c[1]) is not bool:
                    return ("const", -c[1])
            return ("unary", op, self.expr(operand, d))
        if t is ast.Compare:
            if len(node.ops) != 1:
                _reject(node, "a chained comparison (write (a < b) & (b < c))")
            op = _CMPOPS.get(type(node.ops[0]))
            if op is None:
                _reject(node, f"operator {type(node.ops[0]).__name__}")
            return ("binary", op, self.expr(node.left, d), self.expr(node.comparators[0], d))
        if t is ast.BoolOp:
            op = _BOOLOPS[type(node.op)]
            r = self.expr(node.values[0], d)
            for v in node.values[1:]:
                r = ("binary", op, r, self.expr(v, d))
            return r
        if t is ast.Name:
            return ("name", self.name(node))
        if t is ast.Constant:
            return self.const(node)
        if t is ast.Call:
            return self.call(node, d)
        what = {ast.Attribute: "attribute access", ast.Subscript: "subscripting",
                ast.Lambda: "a lambda", ast.ListComp: "a comprehension",
                ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
                ast.GeneratorExp: "a generator expression", ast.IfExp: "a conditional "
                "expression (use where(cond, x, y))", ast.NamedExpr: "assignment",
                ast.Starred: "unpacking", ast.Await: "await", ast.Yield: "yield",
                ast.JoinedStr: "a string", ast.List: "a list", ast.Tuple: "a tuple",
                ast.Dict: "a dict", ast.Set: "a set", ast.Slice: "a slice"}.get(t)
        _reject(node, what or f"syntax {t.__name__}")

    def chain(self, node, d):
        """A binary operation and the ones down its left operands, without recursing
        along that chain (a flat 1,000-term sum is one level deep)."""
        spine = []
        while type(node) is ast.BinOp:
            op = _BINOPS.get(type(node.op))
            if op is None:
                _reject(node, f"operator {type(node.op).__name__}")
            spine.append((op, node.right))
            node = node.left
        r = self.expr(node, d)
        for op, right in reversed(spine):
            r = ("binary", op, r, self.expr(right, d))
        return r

    def name(self, node):
        if node.id.startswith("__"):
            _reject(node, f"the name {node.id!r}")
        return node.id

    def const(self, node):
        v = node.value
        if type(v) in (int, float, bool):
            return ("const", v)
        if type(v) is complex:
            raise NotImplementedError("complex numbers are not supported")
        _reject(node, f"a constant of type {type(v).__name__}")

    def call(self, node, d):
        f = node.func
        if type(f) is not ast.Name:
            _reject(node, "calling anything but a function name")
        name = self.name(f)
        if node.keywords:
            _reject(node, f"a keyword argument to {name}()")
        if any(type(a) is ast.Starred for a in node.args):
            _reject(node, "unpacking")
        if name in REDUCTIONS:
            raise ValueError(f"reduction {name}() must be the outermost operation")
        if name in UNSUPPORTED_FUNCS:
            raise NotImplementedError(f"function {name}() is not supported")
        args = node.args
        if name == "where":
            self.arity(name, args, 3)
            return ("where", *[self.expr(a, d) for a in args])
        if name in UNARY_FUNCS:
            self.arity(name, args, 1)
            return ("unary", UNARY_FUNCS[name], self.expr(args[0], d))
        if name in BINARY_FUNCS:
            self.arity(name, args, 2)
            return ("binary", BINARY_FUNCS[name], self.expr(args[0], d), self.expr(args[1], d))
        raise KeyError(f"unknown function {name!r} in expression")

    def arity(self, name, args, n):
        if len(args) != n:
            raise TypeError(f"{name}() takes {n} argument{'s' if n > 1 else ''}, "
                            f"{len(args)} given")

    def reduction(self, node):
        name = node.func.id
        args = list(node.args)
        axis = None
        for kw in node.keywords:
            if kw.arg != "axis":
                _reject(node, f"keyword {kw.arg!r} to {name}()")
            args.append(kw.value)
        if len(args) not in (1, 2):
            raise TypeError(f"{name}() takes an expression and an optional axis")
        if len(args) == 2:
            a = args[1]
            if type(a) is ast.UnaryOp and type(a.op) is ast.USub:
                a, sign = a.operand, -1
            else:
                sign = 1
            if type(a) is not ast.Constant or type(a.value) is not int:
                _reject(node, f"an axis of {name}() that is not an integer constant")
            axis = sign * a.value
        return ("reduce", REDUCTIONS[name], self.expr(args[0], 1), axis)


def count_nodes(tree):
    """Nodes of a tree."""
    count = 0
    stack = [tree]
    while stack:
        n = stack.pop()
        count += 1
        stack.extend(c for c in n[1:] if type(c) is tuple)
    return count


def names(tree):
    """Variable names of a tree, in first-use order."""
    out = []
    stack = [tree]
    while stack:
        n = stack.pop()
        if n[0] == "name":
            if n[1] not in out:
                out.append(n[1])
        elif n[0] in ("binary", "unary", "where", "reduce", "call"):
            # children in reverse so first-use order is left to right
            kids = [c for c in n[1:] if type(c) is tuple]
            stack.extend(reversed(kids))
    return out
