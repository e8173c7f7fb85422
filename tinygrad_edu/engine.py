"""The scalar autograd engine: a `Value` remembers how it was made.

Every op computes its result *and* the local derivative of that result with
respect to each operand, right away, while both are at hand. `backward()` then
only has to apply the chain rule: walk the graph from the output back to the
inputs and, for every edge, add ``local_derivative * output.grad`` to the
operand's grad. That multiply-accumulate is written once, in `backward`.

    >>> a = Value(2.0, label="a")
    >>> b = Value(-3.0, label="b")
    >>> e = a * b
    >>> e.label = "e"
    >>> e
    Value(data=-6.0, grad=0.0, op='*', label='e')
    >>> e.local_grads  # d(a*b)/da = b, d(a*b)/db = a, stored at forward time
    (-3.0, 2.0)
    >>> e.backward()
    >>> a.grad, b.grad
    (-3.0, 2.0)

Design notes, for the curious:

* No closures. micrograd stores a ``_backward`` closure on each node; the
  closure refers to the node, the node to the closure, so every graph is a
  reference cycle that only the cyclic garbage collector can free (which
  then dominates the run time). Here a node holds plain numbers, so a graph
  is freed by reference counting the moment its output is dropped.
* Edges in one tuple. A node stores its parents and then their local
  derivatives in a single tuple ``_edges`` (``(a, b, d/da, d/db)`` for a
  binary op): one allocation instead of two, which keeps an op node under
  200 bytes. `parents` and `local_grads` give the two halves back.
* No recursion. The topological order is built with an explicit stack, so a
  chain of a million ops backpropagates without a RecursionError.
* Fused n-ary ops. `Value.sum` and `Value.dot` are one node each, however
  many inputs they have: a neuron's ``w . x + b`` is one node, not 2n.
* No silent infinities. Every op's result passes one test in `_node`, so
  ``Value(1e308) + Value(1e308)`` raises OverflowError at the `+`, and no
  Value made by an op holds a NaN or an infinity.
* The switches live next door. Grad mode (`no_grad`), the tape and the
  anomaly slot are in `recording.py`, per thread, as PyTorch's grad mode;
  `_node` reads them once per op, folded into one mode.
* An optional tape. By default `backward()` finds its order by a
  depth-first search of the graph, which is most of its cost. Inside
  ``with tape():`` each op's output is also appended to a list as it is
  made; that list is already in a topological order, and `backward()` walks
  it backwards instead (`recording.tape`, `recording.Tape`). It holds the
  block's graphs until the block ends, which is why it is opt-in: one per
  training step.
* Every import points down, with one exception: `Value.backward_steps`
  imports `stepping` (which imports this module) when it is called, so that
  a learner can write ``loss.backward_steps()`` beside ``loss.backward()``.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from .recording import (
    UNUSUAL,
    Tape,
    current_anomaly_checker,
    current_mode,
    is_grad_enabled,
    running_tape,
    tape_holding,
)

if TYPE_CHECKING:  # pragma: no cover
    from .stepping import BackwardStep  # the one upward import: see `Value.backward_steps`

Number = int | float

# Largest x for which math.exp(x) is finite (log of the largest float).
EXP_OVERFLOW_AT = math.log(1.7976931348623157e308)

# The local derivative of each op with respect to each operand, written as
# text. The numbers are computed in the ops below; these strings are for the
# people stepping through backprop (`Value.backward_steps`, viz). Operands are
# called a, b, ... in order; ``out`` is the node's own value.
DERIVATIVE_RULES: dict[str, tuple[str, ...]] = {
    "+": ("1", "1"),
    "-": ("1", "-1"),
    "*": ("b", "a"),
    "/": ("1/b", "-a/b**2"),
    "**": ("b*a**(b-1)", "log(a)*a**b"),  # a Value exponent
    "**k": ("k*a**(k-1)",),  # a number exponent k, shown as '**2', '**0.5', ...
    "neg": ("-1",),
    "exp": ("exp(a) = out",),
    "log": ("1/a",),
    "tanh": ("1 - tanh(a)**2 = 1 - out**2",),
    "sigmoid": ("sigmoid(a)*(1 - sigmoid(a)) = out*(1 - out)",),
    "relu": ("1 if a > 0 else 0",),
    "abs": ("1 if a > 0 else -1 if a < 0 else 0",),
    "sqrt": ("1/(2*sqrt(a)) = 1/(2*out)",),
    "sum": ("1",),  # the same for every operand
    "dot": ("the matching entry of the other vector; 1 for the bias",),  # d(w.x+b)/dw_i = x_i
    "max": ("1 for the first operand equal to the max, 0 for the others",),  # the same for every operand
    "cross_entropy": ("softmax(z)_i - (1 if i is the target else 0)",),  # the same for every logit i
}


class Value:
    """One scalar in a computation graph, with the gradient of the output.

    `data` is the number, `grad` is d(output)/d(this) after `backward()`,
    `label` is an optional name for printing and drawing.

        >>> x = Value(3.0, label="x")
        >>> y = x * x + 1
        >>> y.data
        10.0
        >>> y.backward()
        >>> x.grad  # d(x*x + 1)/dx = 2x
        6.0
    """

    __slots__ = ("data", "grad", "label", "_op", "_edges", "__weakref__")

    def __init__(self, data: Number, label: str = "") -> None:
        if type(data) is not float and (isinstance(data, bool) or not isinstance(data, numbers.Real)):
            raise TypeError(
                f"Value(data) needs a real number (int or float), got {data!r} of type {type(data).__name__}"
            )
        data = _finite_float(data, "Value(data)", "needs a finite number")
        if not isinstance(label, str):
            raise TypeError(f"Value(label=...) needs a str, got {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self._op = ""
        self._edges: tuple = ()

    # ------------------------------------------------------------ inspection
    @property
    def op(self) -> str:
        """The op that made this Value ('' for a leaf: an input or parameter)."""
        return self._op

    @property
    def parents(self) -> tuple[Value, ...]:
        """The operands this Value was computed from, in order."""
        edges = self._edges
        return edges[: len(edges) // 2]

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d(self)/d(parent) for each parent, computed at forward time."""
        edges = self._edges
        return edges[len(edges) // 2 :]

    def __repr__(self) -> str:
        text = f"Value(data={short_float(self.data)}, grad={short_float(self.grad)}"
        if self._op:
            text += f", op={self._op!r}"
        if self.label:
            text += f", label={self.label!r}"
        return text + ")"

    # ------------------------------------------------------------ binary ops
    def __add__(self, other: Operand) -> Value:
        if type(other) is not Value:  # a Value, the common case, needs no call
            other = _as_value(other, "+")
        # d(a+b)/da = 1, d(a+b)/db = 1
        return _node(self.data + other.data, "+", (self, other, 1.0, 1.0))

    def __sub__(self, other: Operand) -> Value:
        if type(other) is not Value:
            other = _as_value(other, "-")
        # d(a-b)/da = 1, d(a-b)/db = -1
        return _node(self.data - other.data, "-", (self, other, 1.0, -1.0))

    def __mul__(self, other: Operand) -> Value:
        if type(other) is not Value:
            other = _as_value(other, "*")
        # d(a*b)/da = b, d(a*b)/db = a
        return _node(self.data * other.data, "*", (self, other, other.data, self.data))

    def __truediv__(self, other: Operand) -> Value:
        if type(other) is not Value:
            other = _as_value(other, "/")
        a, b = self.data, other.data
        if b == 0.0:
            raise ZeroDivisionError(f"'/': division by zero in a / b with a={a!r}, b={b!r}")
        out = a / b
        # d(a/b)/da = 1/b, d(a/b)/db = -a/b**2, written -out/b: b*b would
        # underflow to 0 for |b| < 1e-162.
        local_b = -out / b
        if not math.isfinite(local_b):  # then out or 1/b**2 is beyond a float
            raise OverflowError(f"'/': a / b or its derivative -a/b**2 overflows with a={a!r}, b={b!r}")
        return _node(out, "/", (self, other, 1.0 / b, local_b))

    def __pow__(self, exponent: Operand) -> Value:
        if isinstance(exponent, Value):
            return self._pow_value(exponent)
        if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real):
            raise TypeError(f"'**': the exponent must be a number or a Value, got {type(exponent).__name__}")
        a, k = self.data, float(exponent)
        op = f"**{short_float(k)}"
        if not math.isfinite(k):
            raise ValueError(f"'**': the exponent must be a finite number, got {k!r}")
        if a < 0.0 and not k.is_integer():
            raise ValueError(f"'{op}': a negative base to a fractional power, a={a!r}, k={k!r}")
        if a == 0.0 and k < 1.0 and k != 0.0:
            raise ZeroDivisionError(f"'{op}': at a=0.0 the derivative k*a**(k-1) is infinite (k={k!r})")
        try:
            out = a**k
            # d(a**k)/da = k * a**(k-1)
            local = k * a ** (k - 1.0) if k != 0.0 else 0.0
        except OverflowError:
            raise OverflowError(f"'{op}': {a!r}**{k!r} overflows a float") from None
        node = _node(out, op, (self, local))
        _check_local(
            local, op, "k*a**(k-1)", f"a={a!r}, k={k!r}"
        )  # a finite power, an infinite slope: 0.9318**-10000
        return node

    def _pow_value(self, exponent: Value) -> Value:
        a, b = self.data, exponent.data
        if a <= 0.0:
            raise ValueError(
                f"'**': a Value exponent needs a positive base, since d(a**b)/db = log(a)*a**b; "
                f"got a={a!r}, b={b!r}"
            )
        out = _exp_checked(b * math.log(a), "**")
        # d(a**b)/da = b * a**(b-1), d(a**b)/db = log(a) * a**b
        local_a, local_b = b * out / a, math.log(a) * out
        node = _node(out, "**", (self, exponent, local_a, local_b))
        _check_local(local_a, "**", "b*a**(b-1)", f"a={a!r}, b={b!r}")
        _check_local(local_b, "**", "log(a)*a**b", f"a={a!r}, b={b!r}")
        return node

    # The reflected forms: `2 * v`, `1 - v`, `1 / v`, `2 ** v` wrap the number.
    def __radd__(self, other: Number) -> Value:
        return _as_value(other, "+") + self

    def __rsub__(self, other: Number) -> Value:
        return _as_value(other, "-") - self

    def __rmul__(self, other: Number) -> Value:
        return _as_value(other, "*") * self

    def __rtruediv__(self, other: Number) -> Value:
        return _as_value(other, "/") / self

    def __rpow__(self, other: Number) -> Value:
        return _as_value(other, "**") ** self

    # ------------------------------------------------------------- unary ops
    def __neg__(self) -> Value:
        # d(-a)/da = -1
        return _node(-self.data, "neg", (self, -1.0))

    def exp(self) -> Value:
        """e**self.  d(exp a)/da = exp a."""
        out = _exp_checked(self.data, "exp")
        return _node(out, "exp", (self, out))

    def log(self) -> Value:
        """Natural logarithm.  d(log a)/da = 1/a."""
        a = self.data
        if a <= 0.0:
            raise ValueError(f"'log': needs a positive number, got a={a!r}")
        out = _node(math.log(a), "log", (self, 1.0 / a))
        _check_local(1.0 / a, "log", "1/a", f"a={a!r}")  # 1/a is beyond a float for a < 5.6e-309
        return out

    def tanh(self) -> Value:
        """Hyperbolic tangent.  d(tanh a)/da = 1 - tanh(a)**2."""
        out = math.tanh(self.data)
        return _node(out, "tanh", (self, 1.0 - out * out))

    def sigmoid(self) -> Value:
        """1 / (1 + e**-a).  d(sigmoid a)/da = sigmoid(a) * (1 - sigmoid(a))."""
        a = self.data
        # Two forms so that exp never sees a large positive argument.
        if a >= 0.0:
            out = 1.0 / (1.0 + math.exp(-a))
        else:
            e = math.exp(a)
            out = e / (1.0 + e)
        return _node(out, "sigmoid", (self, out * (1.0 - out)))

    def relu(self) -> Value:
        """max(0, a).  The derivative is 1 for a > 0 and 0 otherwise (0 at a = 0,
        as in PyTorch)."""
        a = self.data
        return _node(a if a > 0.0 else 0.0, "relu", (self, 1.0 if a > 0.0 else 0.0))

    def abs(self) -> Value:
        """|a|.  The derivative is the sign of a (0 at a = 0, as in PyTorch)."""
        a = self.data
        sign = 1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0
        return _node(abs(a), "abs", (self, sign))

    def __abs__(self) -> Value:  # abs(v) is v.abs()
        return self.abs()

    def sqrt(self) -> Value:
        """Square root.  d(sqrt a)/da = 1 / (2 sqrt a)."""
        a = self.data
        if a < 0.0:
            raise ValueError(f"'sqrt': needs a non-negative number, got a={a!r}")
        if a == 0.0:
            raise ZeroDivisionError("'sqrt': at a=0.0 the derivative 1/(2*sqrt(a)) is infinite")
        out = math.sqrt(a)
        return _node(out, "sqrt", (self, 0.5 / out))

    # ----------------------------------------------------------- fused n-ary
    @staticmethod
    def sum(values: Iterable[Operand]) -> Value:
        """The sum of many values as ONE node (a chain of `+` would make n).

        >>> total = Value.sum([Value(1.0), Value(2.0), 3])
        >>> total.data, total.op, len(total.parents)
        (6.0, 'sum', 3)
        """
        operands = _as_values(values, "sum")
        if not operands:
            raise ValueError("'sum': needs at least one value, got an empty sequence")
        ones = [1.0] * len(operands)  # d(sum)/dv = 1 for every operand v
        return _node(sum([v.data for v in operands]), "sum", (*operands, *ones))

    @staticmethod
    def max(values: Iterable[Operand]) -> Value:
        """The largest of many values as ONE node (max-pooling's op).

        The derivative is 1 for one maximal operand and 0 for the rest: the
        output moves with the winner alone. On a tie the FIRST maximal
        operand wins, which is where ``torch.max(x, dim=0)`` and
        ``max_pool2d`` send the gradient (not ``amax``, which splits it).

        >>> a, b, c = Value(1.0), Value(3.0), Value(3.0)
        >>> top = Value.max([a, b, c])
        >>> top.data, top.op, top.local_grads  # b and c tie: the first, b, wins
        (3.0, 'max', (0.0, 1.0, 0.0))
        """
        operands = _as_values(values, "max")
        if not operands:
            raise ValueError("'max': needs at least one value, got an empty sequence")
        data = [v.data for v in operands]
        best = max(data)
        local = [0.0] * len(operands)  # d(max)/dv = 0 for every operand but the winner
        local[data.index(best)] = 1.0  # index() finds the first maximal operand
        return _node(best, "max", (*operands, *local))

    @staticmethod
    def cross_entropy(logits: Sequence[Operand], target: int) -> Value:
        """-log softmax(z)[t] = log(sum_j exp(z_j)) - z_t, the loss of a
        classifier that should pick class t, as ONE node.

        Its derivative is the most famous in deep learning: d/dz_i =
        softmax(z)_i - [i = t], what the model predicted minus what it should
        have. Built from exp, sum and log it would be 2n + 3 nodes for n
        classes, each on the tape and walked by backward; as one node, the
        toy translator's training step takes 5% fewer instructions.

        The largest logit m is subtracted before exp (softmax does not change
        when all logits move together), so exp never overflows; and the loss
        is log(sum_j exp(z_j - m)) - (z_t - m), so that at z = 1e16 the log
        term is not lost in the rounding of m + log(...) - z_t.

            >>> z = [Value(2.0), Value(1.0), Value(0.1)]
            >>> loss = Value.cross_entropy(z, 0)
            >>> round(loss.data, 4), loss.op, [round(g, 4) for g in loss.local_grads]
            (0.417, 'cross_entropy', [-0.341, 0.2424, 0.0986])
        """
        operands = _as_values(logits, "cross_entropy")
        if not operands:
            raise ValueError("'cross_entropy': needs at least one logit, got an empty sequence")
        if type(target) is not int or not 0 <= target < len(operands):
            raise ValueError(
                f"'cross_entropy': target must be a class index in 0..{len(operands) - 1}, got {target!r:.60}"
            )
        z = [v.data for v in operands]
        shift = max(z)
        if shift - shift != 0.0:  # an infinite largest logit: every difference would be NaN or inf
            raise ValueError(f"'cross_entropy': the logits must be finite, got {operands_text(operands)}")
        exps = [math.exp(zi - shift) for zi in z]  # each in [0, 1], the largest exactly 1
        total = sum(exps)
        local = [e / total for e in exps]  # softmax(z)_i ...
        local[target] -= 1.0  # ... minus 1 at the target
        return _node(math.log(total) - (z[target] - shift), "cross_entropy", (*operands, *local))

    @staticmethod
    def dot(ws: Sequence[Operand], xs: Sequence[Operand], bias: Operand | None = None) -> Value:
        """The dot product w . x (+ b) = sum of w_i * x_i (+ b), as ONE node.

        d/dw_i = x_i, d/dx_i = w_i, and d/db = 1: a neuron's pre-activation
        in a single node.

            >>> y = Value.dot([Value(2.0), Value(3.0)], [4.0, 5.0])
            >>> y.data, y.op
            (23.0, 'dot')
            >>> Value.dot([Value(2.0)], [4.0], bias=Value(1.0)).data
            9.0
        """
        ws, w_data = _values_and_data(ws, "dot")
        xs, x_data = _values_and_data(xs, "dot")
        return _dot(ws, w_data, xs, x_data, bias)

    @staticmethod
    def linear(
        rows: Sequence[Sequence[Operand]], xs: Sequence[Operand], biases: Sequence[Operand] | None = None
    ) -> list[Value]:
        """[w . x + b for each row w of the matrix and each bias b]: one `dot`
        node per row, exactly as `Value.dot` makes it. The only difference is
        speed: x is read and checked once for the whole layer, not per row.

            >>> ys = Value.linear([[Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]], [1.0, 1.0])
            >>> [y.data for y in ys], {y.op for y in ys}
            ([3.0, 7.0], {'dot'})
        """
        xs, x_data = _values_and_data(xs, "linear")
        rows, tape = _read_rows(rows, biases, [xs])
        return [_dot(ws, w_data, xs, x_data, bias, tape) for ws, w_data, bias in rows]

    @staticmethod
    def linear_batch(
        rows: Sequence[Sequence[Operand]],
        batch: Sequence[Sequence[Operand]],
        biases: Sequence[Operand] | None = None,
    ) -> list[list[Value]]:
        """[Value.linear(rows, x, biases) for x in batch], the same nodes, with
        each row read and checked once for the batch instead of once per x:
        a layer applied at every position of a sequence. On a tape, a Value that two
        inputs share gets its grads summed in another order than with one
        `linear` per input: the same up to rounding.

            >>> rows = [[Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]]
            >>> [[y.data for y in ys] for ys in Value.linear_batch(rows, [[1.0, 1.0], [1.0, 0.0]])]
            [[3.0, 7.0], [1.0, 3.0]]
        """
        if type(batch) is not list and type(batch) is not tuple:
            batch = _sequence(batch, "linear_batch", "a batch (a list of input vectors)")
        inputs = [_values_and_data(xs, "linear_batch") for xs in batch]
        rows, tape = _read_rows(rows, biases, [xs for xs, _ in inputs])
        # Row by row, as `linear` makes them; then one list per input.
        by_row = [
            [_dot(ws, w_data, xs, x_data, bias, tape) for xs, x_data in inputs] for ws, w_data, bias in rows
        ]
        return [list(ys) for ys in zip(*by_row)] if by_row else [[] for _ in inputs]

    # -------------------------------------------------------------- backprop
    def backward(self) -> None:
        """Fill in `grad` of every Value this one was computed from.

        Reverse-mode: visit the nodes from this output back to the inputs (a
        reversed topological order) and, for each edge, add
        ``local_derivative * node.grad`` to the parent's grad: the chain rule,
        summed over every path. The order comes from a depth-first search
        (`topological_order`), or, inside a running `tape()`, from the tape.

        Gradients ACCUMULATE on leaves (inputs and parameters), as in PyTorch:
        call `zero_grad()` (on a module or optimizer) before the next step.
        The grads of the intermediate nodes of this graph are recomputed from
        zero on every call, so they always show this pass's values.

            >>> w = Value(3.0)
            >>> loss = w * w
            >>> loss.backward(); w.grad
            6.0
            >>> loss.backward(); w.grad  # accumulated: 6 + 6
            12.0
        """
        tape = tape_holding(self)
        if tape is not None:
            # Made inside a running `tape()`: the tape already holds every
            # intermediate node this one depends on, each after its parents,
            # so no search of the graph is needed. Nodes on it that this one
            # does not depend on keep a grad of 0 and are skipped below.
            order = tape.nodes
            for node in order:
                node.grad = 0.0
        else:
            # Leaves have no edges to pass a gradient along, so the walk skips them.
            order = self.topological_order(include_leaves=False)
            for node in order:
                if node._edges:
                    node.grad = 0.0
        self.grad += 1.0
        checker = current_anomaly_checker()  # None outside detect_anomaly()
        check = checker is not None
        for node in reversed(order):
            grad = node.grad
            # A node whose grad is exactly 0 (an inactive ReLU, a point past the
            # hinge's margin) would add 0.0 to each parent: skip its edges, the
            # sums are the same to the bit (most of a ReLU net's edges sit
            # behind a zero). Anomaly mode still walks them, to check what it always checked.
            if grad == 0.0 and not check:
                continue
            edges = node._edges
            n = len(edges)
            # The chain rule: parent.grad += d(node)/d(parent) * node.grad.
            # Nodes with one or two parents are most of any graph, and
            # unpacking their edges costs a third of a loop over them.
            if n == 4:
                a, b, da, db = edges
                a.grad += da * grad
                b.grad += db * grad
            elif n == 2:
                a, da = edges
                a.grad += da * grad
            else:
                # zip stops at the shorter: the parents of edges meet edges[n//2:]
                for parent, local_grad in zip(edges, edges[n // 2 :]):
                    parent.grad += local_grad * grad
            if check:
                checker.check_backward(node)

    def topological_order(self, include_leaves: bool = True) -> list[Value]:
        """All Values this one depends on, each after its parents, self last.

        Depth-first search with an explicit stack (no recursion, so no depth
        limit). A node is pushed back under a `None` marker before its
        parents go on top; when the marker pops, every parent is done and
        the node can be emitted.

            >>> a = Value(2.0, label="a")
            >>> b = a * a
            >>> c = b + a
            >>> [v.label or v.op for v in c.topological_order()]
            ['a', '*', '+']
        """
        order: list[Value] = []
        visited: set[Value] = set()
        stack: list[Value | None] = [self]
        while stack:
            node = stack.pop()
            if node is None:  # its parents are done
                order.append(stack.pop())
                continue
            if node in visited:
                continue
            visited.add(node)
            stack.append(node)
            stack.append(None)
            edges = node._edges
            for parent in edges[len(edges) // 2 - 1 :: -1]:  # parents, last first: the first pops first
                if (include_leaves or parent._edges) and parent not in visited:
                    stack.append(parent)
        return order

    def backward_steps(self, *, zero_grad: bool = False) -> Iterator[BackwardStep]:
        """Run backward one node at a time, yielding a printable step for each.

        Like `backward()`, the steps add to the leaves' grads: stepping and
        then calling `backward()` doubles them. ``zero_grad=True`` zeroes the
        graph's leaves first. See `tinygrad_edu.stepping` for what a step shows.

        This method is the one import in the engine that points up: it is
        ``stepping.backward_steps(self, zero_grad=...)``, imported when it is
        called (stepping imports this module), kept so that stepping reads
        as ``loss.backward_steps()`` beside ``loss.backward()``.
        """
        from .stepping import backward_steps

        return backward_steps(self, zero_grad=zero_grad)


# A number or a Value: what the ops accept as an operand.
Operand = Value | int | float

# --------------------------------------------------------------------- helpers
_new_value = object.__new__


def _node(data: float, op: str, edges: tuple, on_tape: Tape | None = None) -> Value:
    """Make an op's output. `edges` holds the parents, then the derivative of
    the output with respect to each parent, in the same order.

    Skips `Value.__init__`'s checks: ops produce floats themselves.
    `on_tape`: the running tape, given by an op that has put every parent on
    it already (`_rows_on_tape`), so that `Tape.record` need not look them
    up again.
    """
    node = _new_value(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node._op = op
    node._edges = edges
    mode = current_mode()  # None (just record) in the common case
    if mode is not None:
        if on_tape is not None:  # the op has put the parents on the tape itself
            on_tape.nodes.append(node)
            on_tape.known.add(node)
        elif mode is not UNUSUAL:  # recording onto a tape
            mode.record(node, edges)
        else:
            _record_unusually(node, edges)
    # Every op's result is checked here, once: x - x is 0.0 for every finite
    # x and NaN for inf and NaN: one subtraction, cheap enough for every op.
    if data - data != 0.0:
        raise _not_finite(data, op, edges)
    return node


def _record_unusually(node: Value, edges: tuple) -> None:
    """`_node` inside no_grad() (keep the number, drop the graph) or
    detect_anomaly() (check the node as it is made, and put it on the tape
    if one is running)."""
    if not is_grad_enabled():
        node._edges = ()
        return
    running = running_tape()
    if running is not None:
        running.record(node, edges)
    checker = current_anomaly_checker()
    if checker is not None:
        checker.check_forward(node, edges)


def _check_local(local: float, op: str, rule: str, at: str) -> None:
    """Refuse a local derivative beyond a float (the op's result may be finite).

    Called after `_node`, so that inside `detect_anomaly()` its error, which
    names your line, comes first."""
    if not math.isfinite(local):
        raise OverflowError(f"'{op}': the derivative {rule} overflows a float at {at}")


def _not_finite(data: float, op: str, edges: tuple) -> Exception:
    """The error for an op whose result is not a finite number."""
    parents = edges[: len(edges) // 2]
    for i, parent in enumerate(parents):
        if not math.isfinite(parent.data):  # every op refuses one, so it was set by hand
            return ValueError(
                f"'{op}': operand {i} is {parent.data!r}; a Value's data was set to a NaN or an "
                "infinity by hand (Value() and every op refuse to make one)"
            )
    return OverflowError(
        f"'{op}': the result overflows a float (gives {data!r}) at operands {operands_text(parents)}"
    )


def operands_text(parents: Sequence[Value]) -> str:
    """The operands' numbers, for an error message: all of them for a small
    op; for a long dot or sum the first few, and every one that is not
    finite, by position.

        >>> operands_text((Value(1.0), Value(-2.5)))
        '(1.0, -2.5)'
        >>> operands_text([Value(float(i)) for i in range(9)])
        '(0.0, 1.0, 2.0, 3.0, 4.0, 5.0, ... 9 in all)'
    """
    numbers = tuple(p.data for p in parents)
    if len(numbers) <= _SHOWN:
        return repr(numbers)
    head = ", ".join(map(repr, numbers[:_SHOWN]))
    bad = [f"#{i}={x!r}" for i, x in enumerate(numbers) if i >= _SHOWN and not math.isfinite(x)]
    return f"({head}, ... {len(numbers)} in all{'; ' + ', '.join(bad[:_SHOWN]) if bad else ''})"


_SHOWN = 6  # operands shown in a message


def _dot(
    ws: list[Value],
    w_data: list[float],
    xs: list[Value],
    x_data: list[float],
    bias: Operand | None,
    on_tape: Tape | None = None,
) -> Value:
    """The `dot` node, from already checked Values and their numbers.
    `on_tape`: the running tape, which the caller has put every parent on."""
    if len(ws) != len(xs):
        raise ValueError(f"'dot': the two vectors need the same length, got {len(ws)} and {len(xs)}")
    if not ws:
        raise ValueError("'dot': needs vectors of length at least 1, got two empty ones")
    data = sum(map(operator.mul, w_data, x_data))
    if bias is None:
        # parents w..., x...; then d/dw_i = x_i, d/dx_i = w_i
        edges = (*ws, *xs, *x_data, *w_data)
    else:
        if type(bias) is not Value:
            bias = _as_value(bias, "dot")
        data = data + bias.data
        # parents w..., x..., b; then d/dw_i = x_i, d/dx_i = w_i, d/db = 1
        edges = (*ws, *xs, bias, *x_data, *w_data, 1.0)
    return _node(data, "dot", edges, on_tape)


def _read_rows(
    rows: Sequence[Sequence[Operand]], biases: Sequence[Operand] | None, inputs: list[list[Value]]
) -> tuple[list[tuple[list[Value], list[float], Value | None]], Tape | None]:
    """The rows of a `linear` layer as (Values, their numbers, bias), each
    row read and checked once for every input vector; and the running tape,
    if the layer has put all its parents on it (then `_node` need not)."""
    if type(rows) is not list and type(rows) is not tuple:  # a generator works; a Value or 3 does not
        rows = _sequence(rows, "linear", "rows (a list of rows)")
    if biases is None:
        biases = [None] * len(rows)
    else:
        if type(biases) is not list and type(biases) is not tuple:
            biases = _sequence(biases, "linear", "biases (a list, one per row)")
        if len(biases) != len(rows):
            raise ValueError(f"'linear': got {len(rows)} rows but {len(biases)} biases")
    mode = current_mode()
    if mode is not None and mode is not UNUSUAL and mode.is_recording():  # onto a tape this thread owns
        return _rows_on_tape(mode, rows, biases, inputs), mode
    read = []
    for row, bias in zip(rows, biases):
        ws, w_data = _values_and_data(row, "linear")
        if bias is not None and type(bias) is not Value:  # a number: one constant for every input
            bias = _as_value(bias, "dot")
        read.append((ws, w_data, bias))
    return read, None


def _rows_on_tape(tape: Tape, rows: Sequence[Sequence[Operand]], biases, inputs: list[list[Value]]) -> list:
    """`_read_rows` inside a running tape, which also puts every parent of
    the layer on the tape, instead of `Tape.record` doing it node by node.

    Two checks fall away. Each input vector, which every row reads, is
    looked up once for the layer, not once per row. And a weight row whose
    Values are all on the tape already (every row after the step's first use
    of it) needs no type check: the tape's set holds nothing but Values.
    The same losses to the bit, for fewer instructions a step.
    """
    known = tape.known
    for xs in inputs:
        if not known.issuperset(xs):
            tape.take_in(xs)
    read = []
    for row, bias in zip(rows, biases):
        try:
            seen = (type(row) is list or type(row) is tuple) and known.issuperset(row)
        except TypeError:  # something unhashable in it: the careful path below names it
            seen = False
        if seen:
            ws, w_data = row, [w.data for w in row]
        else:  # a row this tape has not seen yet: check it, then put it on
            ws, w_data = _values_and_data(row, "linear")
            tape.take_in(ws)
        if bias is not None and (type(bias) is not Value or bias not in known):
            bias = _as_value(bias, "dot")  # the op named as off a tape, where `_dot` checks it
            tape.take_in((bias,))
        read.append((ws, w_data, bias))
    return read


def _values_and_data(xs: Sequence[Operand], op: str) -> tuple[list[Value], list[float]]:
    """The entries of `xs` as Values (numbers wrapped as constants), and their numbers.

    The hot path of every neuron, so a list of Values takes one pass that both
    reads the numbers and checks the types: a short result means some entries
    were not Values, and the careful path wraps or reports them.
    """
    if type(xs) is list:
        data = [x.data for x in xs if type(x) is Value]
        if len(data) == len(xs):
            return xs, data
    values = _as_values(xs, op)
    return values, [v.data for v in values]


def _as_value(x: Operand, op: str) -> Value:
    if type(x) is Value:  # the common cases first: no ABC checks
        return x
    if isinstance(x, Value):
        return x
    if (
        type(x) is not float
        and type(x) is not int
        and (isinstance(x, bool) or not isinstance(x, numbers.Real))
    ):
        raise TypeError(f"'{op}': expected a Value or a number, got {x!r} of type {type(x).__name__}")
    x = _finite_float(x, f"'{op}'", "a number operand must be finite")
    # A constant: a leaf with no parents, made directly (it has nothing to
    # record, and its number is checked already).
    node = _new_value(Value)
    node.data = x
    node.grad = 0.0
    node.label = ""
    node._op = ""
    node._edges = ()
    return node


def check_positive(x: numbers.Real, where: str, name: str) -> float:
    """`x` as a float if it is a real number > 0 and finite (an int, a float,
    a NumPy float32 or float64 alike: any `numbers.Real` but a bool), else a
    ValueError naming `where` and `name`: the one check behind lr, temperature, ...

        >>> check_positive(0.5, "SGD", "lr")
        0.5
        >>> check_positive(-1, "SGD", "lr")
        Traceback (most recent call last):
        ...
        ValueError: SGD: lr must be a positive number, got -1
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise ValueError(f"{where}: {name} must be a positive number, got {x!r:.60}")
    value = _finite_float(x, f"{where}:", f"{name} must be a positive number")
    if not value > 0.0:
        raise ValueError(f"{where}: {name} must be a positive number, got {x!r}")
    return value


def _finite_float(x: numbers.Real, where: str, expected: str) -> float:
    """float(x), or a ValueError naming `where` when it is not a finite float
    (an int like 10**400 does not fit one: float() would raise a bare OverflowError)."""
    try:
        x = float(x)
    except OverflowError:
        digits = int(x.bit_length() * math.log10(2)) + 1  # str() of a huge int is refused too
        raise ValueError(f"{where} {expected}, got an int of about {digits} digits, beyond a float") from None
    if not math.isfinite(x):
        raise ValueError(f"{where} {expected}, got {x!r}")
    return x


def _as_values(xs: Iterable[Operand], op: str) -> list[Value]:
    if (
        type(xs) is not list
        and type(xs) is not tuple
        and (isinstance(xs, (Value, str, bytes)) or not isinstance(xs, Iterable))
    ):
        raise TypeError(f"'{op}': expected a sequence of Values or numbers, got {type(xs).__name__}")
    return [x if type(x) is Value else _as_value(x, op) for x in xs]


def _sequence(xs: Iterable, op: str, what: str) -> list:
    """`xs` as a list, or a TypeError naming the op if it is not a sequence."""
    if isinstance(xs, (Value, str, bytes)) or not isinstance(xs, Iterable):
        raise TypeError(f"'{op}': expected {what}, got {type(xs).__name__}")
    return list(xs)


def _exp_checked(x: float, op: str) -> float:
    if x > EXP_OVERFLOW_AT:
        raise OverflowError(
            f"'{op}': exp({x!r}) overflows a float (the limit is about {EXP_OVERFLOW_AT:.2f})"
        )
    return math.exp(x)


def short_float(x: float) -> str:
    """A short form of a float that still reads as a float, as `repr(Value)`,
    the stepper and the explanations print numbers.

        >>> short_float(-6.0), short_float(0.7615941559557649), short_float(1e-08)
        ('-6.0', '0.761594', '1e-08')
    """
    text = f"{x:.6g}"
    if text.lstrip("-").isdigit():
        text += ".0"
    return text
