"""Build a graph from an expression typed on the command line, safely.

``tinygrad-edu draw "(a*b + c).tanh()" --set a=2 b=-3 c=10`` needs to turn
text into Values. `eval` would run anything (``__import__('os').system(...)``),
so instead the text is parsed with Python's `ast` and walked by hand. Only
these are allowed:

* names given a number with ``--set`` (each becomes one labelled Value, the
  same one every time it appears), and plain numbers;
* ``+ - * / **`` and unary ``-`` / ``+``;
* the Value ops as methods, ``x.tanh()``, or as functions, ``tanh(x)``:
  exp, log, tanh, sigmoid, relu, abs, sqrt;
* ``sum(a, b, c)`` and ``max(a, b, c)`` (or ``sum([a, b, c])``, as Python
  writes it), and ``dot([w1, w2], [x1, x2])``: the fused n-ary ops.

Names are read the way Python reads identifiers: NFKC-normalised, so the
fullwidth ``ａ`` is the name ``a`` (and ``--set a=1 ａ=5`` gives ``a`` twice,
which is refused).

Anything else (attributes, subscripts, lambdas, comparisons, strings,
keyword arguments, unknown names or functions...) is refused with an
`ExpressionError` that names what was refused.

    >>> out = build_expression("(a*b + c).tanh()", {"a": 2, "b": -3, "c": 10})
    >>> out.op, round(out.data, 6)
    ('tanh', 0.999329)
    >>> build_expression("a.__class__", {"a": 1})
    Traceback (most recent call last):
    ...
    viz.expr.ExpressionError: refused: the attribute '__class__' in 'a.__class__'; only the ops exp, log, tanh, sigmoid, relu, abs, sqrt can follow a dot, as calls like a.tanh()
"""

from __future__ import annotations

import ast
import math
import re
import unicodedata
from collections.abc import Mapping

from tinygrad_edu.engine import Value

__all__ = ["FUNCTIONS", "MAX_LENGTH", "ExpressionError", "build_expression", "parse_assignments"]

UNARY_OPS = ("exp", "log", "tanh", "sigmoid", "relu", "abs", "sqrt")
FUNCTIONS = (*UNARY_OPS, "sum", "max", "dot")
MAX_LENGTH = 2000  # characters: an expression typed by a person

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}

# How to name what was refused, by syntax node type.
_DESCRIPTIONS = {
    ast.Subscript: "a subscript",
    ast.Lambda: "a lambda",
    ast.Compare: "a comparison",
    ast.BoolOp: "'and'/'or'",
    ast.IfExp: "a conditional expression",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.Tuple: "a tuple",
    ast.List: "a list (a list may only be the argument of sum or the two arguments of dot)",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "an assignment (:=)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Starred: "a starred argument",
    ast.Slice: "a slice",
}


class ExpressionError(ValueError):
    """The expression is not one tinygrad-edu builds: the message says why."""


def build_expression(text: str, values: Mapping[str, float], *, label_nodes: bool = True) -> Value:
    """The Value that `text` computes, with each name a leaf Value from
    `values`. With `label_nodes`, each op's result is labelled with its own
    source text when that is short (``a*b``), so drawings read like the
    expression, and the output is named ``L`` (``out`` if L is an input), or
    as the text says with ``NAME = EXPR``:

    >>> build_expression("(a*b + c).tanh()", {"a": 2, "b": -3, "c": 10}).label
    'L'
    >>> build_expression("loss = (a - 1)**2", {"a": 3}).label
    'loss'
    """
    if not isinstance(text, str):
        raise TypeError(f"build_expression: expected the expression as a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"refused: the expression is {len(text)} characters long, more than {MAX_LENGTH}"
        )
    for name in values:
        _check_name(name)
    normalised = {unicodedata.normalize("NFKC", name): x for name, x in values.items()}
    if len(normalised) < len(values):  # as Python reads the names in the text
        raise ExpressionError(
            f"refused: two of the names {sorted(values)} are the same name to Python (NFKC)"
        )
    values = normalised
    output, text = _output_name(text, values)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"not a single Python expression: {error.msg} in {text!r}") from None
    except (ValueError, RecursionError, MemoryError) as error:  # e.g. a NUL byte, absurd nesting
        raise ExpressionError(f"refused: cannot parse the expression ({type(error).__name__})") from None
    leaves = {name: Value(float(x), label=name) for name, x in values.items()}
    builder = _Builder(text, leaves, label_nodes)
    try:
        result = builder.build(tree.body)
    except RecursionError:
        raise ExpressionError("refused: the expression is nested too deeply") from None
    except (ArithmeticError, ValueError) as error:  # ZeroDivisionError, OverflowError, log(-1), ...
        if isinstance(error, ExpressionError):
            raise
        raise ExpressionError(f"cannot compute the expression: {error}") from None
    if not isinstance(result, Value):  # pragma: no cover - numbers become Values
        raise ExpressionError("the expression has nothing to differentiate")
    if label_nodes and result.op:  # an input keeps its own name
        result.label = output
    return result


_NAMED = re.compile(r"\s*([^\W\d]\w*)\s*=(?!=)(.*)", re.S)  # 'L = a*b', not 'a == b'


def _output_name(text: str, values: Mapping[str, float]) -> tuple[str, str]:
    """The output's name and the expression: ``"L = a*b"`` -> ("L", " a*b");
    without a name, L (out if L is an input, output if both are)."""
    match = _NAMED.match(text)
    if match is None:
        name = next((n for n in ("L", "out", "output") if n not in values), "")
        return name, text
    name = unicodedata.normalize("NFKC", match.group(1))
    _check_name(name)
    if name in values:
        raise ExpressionError(
            f"refused: {text.strip()!r} names the output {name!r}, which --set already gives an input; "
            "pick another name for the output"
        )
    return name, match.group(2)


def parse_assignments(items: list[str]) -> dict[str, float]:
    """``["a=2", "b=-3"]`` -> ``{"a": 2.0, "b": -3.0}``, refusing anything else.

    >>> parse_assignments(["a=2", "b = -3.5", "w1=1e-3"])
    {'a': 2.0, 'b': -3.5, 'w1': 0.001}
    >>> parse_assignments(["a=1", "\uff41=5"])
    Traceback (most recent call last):
    ...
    viz.expr.ExpressionError: --set gives 'a' twice ('ａ' is the same name as 'a' to Python, which reads names NFKC-normalised)
    """
    values: dict[str, float] = {}
    spelled: dict[str, str] = {}  # normalised name -> how it was first written
    for item in items:
        written, sep, number = item.partition("=")
        written, number = written.strip(), number.strip()
        if not sep:
            raise ExpressionError(f"--set takes NAME=NUMBER, got {item!r}")
        name = unicodedata.normalize("NFKC", written)  # as Python reads identifiers in the expression
        _check_name(name)
        if name in values:
            message = f"--set gives {name!r} twice"
            other = written if written != name else spelled[name]
            if other != name:  # two spellings of one name
                message += (
                    f" ({other!r} is the same name as {name!r} to Python, which reads names NFKC-normalised)"
                )
            raise ExpressionError(message)
        spelled[name] = written
        try:
            x = float(number)
        except ValueError:
            raise ExpressionError(f"--set {name}=...: expected a number, got {number!r}") from None
        if not math.isfinite(x):
            raise ExpressionError(f"--set {name}=...: expected a finite number, got {number!r}")
        values[name] = x
    return values


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
        raise ExpressionError(
            f"refused: {name!r} is not a usable name (letters, digits and _, not starting with _)"
        )
    if name in FUNCTIONS:
        raise ExpressionError(f"refused: {name!r} is the name of an op; pick another name for the value")


class _Builder:
    def __init__(self, text: str, leaves: dict[str, Value], label_nodes: bool) -> None:
        self.text = text
        self.leaves = leaves
        self.label_nodes = label_nodes

    def refuse(self, node: ast.AST, what: str | None = None, why: str = "") -> ExpressionError:
        if what is None:
            what = _DESCRIPTIONS.get(type(node), f"the syntax {type(node).__name__}")
        source = ast.get_source_segment(self.text.strip(), node) or ast.unparse(node)
        message = f"refused: {what} in {source!r}"
        if why:
            message += f"; {why}"
        return ExpressionError(message)

    def build(self, node: ast.AST) -> Value:
        value = self._build(node)
        if self.label_nodes and value.op and not value.label and not isinstance(node, ast.Name):
            source = ast.get_source_segment(self.text.strip(), node) or ""
            if source and len(source) <= 24 and "\n" not in source:
                value.label = source
        return value

    def _build(self, node: ast.AST) -> Value:
        if isinstance(node, ast.Constant):
            x = node.value
            if isinstance(x, bool) or not isinstance(x, (int, float)):
                raise self.refuse(node, f"the constant {x!r}", "only numbers are allowed")
            try:
                return Value(float(x))
            except (OverflowError, ValueError):
                raise self.refuse(node, "a number too big for a float") from None
        if isinstance(node, ast.Name):
            if node.id not in self.leaves:
                if node.id in FUNCTIONS:
                    raise self.refuse(node, f"the op name {node.id!r} on its own", f"call it: {node.id}(x)")
                raise self.refuse(node, f"the name {node.id!r}", f"it is not set: add --set {node.id}=NUMBER")
            return self.leaves[node.id]
        if isinstance(node, ast.BinOp):
            op = _BINARY.get(type(node.op))
            if op is None:
                raise self.refuse(
                    node, f"the operator {type(node.op).__name__}", "only + - * / ** are allowed"
                )
            left = self.build(node.left)
            if isinstance(node.op, ast.Pow):
                k = _number_literal(node.right)
                if k is not None:  # a ** 2: a number exponent, the '**2' op
                    return left**k
            return op(left, self.build(node.right))
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return -self.build(node.operand)
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand)
            raise self.refuse(
                node, f"the operator {type(node.op).__name__}", "only unary - and + are allowed"
            )
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Attribute):
            raise self.refuse(
                node,
                f"the attribute {node.attr!r}",
                f"only the ops {', '.join(UNARY_OPS)} can follow a dot, as calls like a.tanh()",
            )
        raise self.refuse(node)

    def _call(self, node: ast.Call) -> Value:
        if node.keywords:
            raise self.refuse(
                node, f"the keyword argument {node.keywords[0].arg or '**'!r}", "ops take no keywords"
            )
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            raise self.refuse(node, "a starred argument")
        func = node.func
        if isinstance(func, ast.Attribute):  # a.tanh()
            if func.attr not in UNARY_OPS:
                raise self.refuse(
                    func, f"the method {func.attr!r}", f"the methods allowed are {', '.join(UNARY_OPS)}"
                )
            if node.args:
                raise self.refuse(node, f"arguments to .{func.attr}()", "the method takes none")
            return getattr(self.build(func.value), func.attr)()
        if not isinstance(func, ast.Name):
            raise self.refuse(func, "calling something that is not an op name")
        name = func.id
        if name in UNARY_OPS:  # tanh(a)
            if len(node.args) != 1:
                raise self.refuse(node, f"{name}() with {len(node.args)} arguments", "it takes exactly one")
            return getattr(self.build(node.args[0]), name)()
        if name in ("sum", "max"):  # sum(a, b, c), or Python's sum([a, b, c]); max the same
            args = node.args
            if len(args) == 1 and isinstance(args[0], ast.List):
                args = args[0].elts
            if not args:
                raise self.refuse(node, f"{name}() of nothing", "give it at least one value")
            return getattr(Value, name)([self.build(arg) for arg in args])
        if name == "dot":  # dot([w1, w2], [x1, x2])
            if len(node.args) != 2 or not all(isinstance(arg, ast.List) for arg in node.args):
                raise self.refuse(
                    node, "this dot()", "write dot([w1, w2], [x1, x2]): two lists of equal length"
                )
            ws, xs = ([self.build(item) for item in arg.elts] for arg in node.args)
            return Value.dot(ws, xs)
        raise self.refuse(func, f"a call of {name!r}", f"the ops allowed are {', '.join(FUNCTIONS)}")


def _number_literal(node: ast.AST) -> float | None:
    """The number of a literal like 2, -1 or 0.5; None for anything else."""
    sign = 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        node = node.operand
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, (int, float))
        and not isinstance(node.value, bool)
    ):
        try:
            return sign * float(node.value)
        except OverflowError:
            return None
    return None
