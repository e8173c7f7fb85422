"""Backprop one node at a time: what `Value.backward_steps()` yields.

`backward()` runs the chain rule over the whole graph in one go. Here the same
walk is cut into steps, one per node, in the same order (the reverse of the
topological order), so that a learner can watch each node hand its gradient
to its parents:

    >>> from tinygrad_edu import Value
    >>> a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    >>> e = a * b; e.label = "e"
    >>> d = e + c; d.label = "d"
    >>> f = Value(-2.0, label="f")
    >>> L = d * f; L.label = "L"
    >>> steps = list(L.backward_steps())
    >>> print(steps[0])
    node L is the output: the output's grad starts at 1 (dL/dL = 1); leaf grads add up, so zero them before comparing with backward()
    node L (d*f = -8.0) passes grad 1.0 to d: d(d*f)/dd = f = -2.0; d.grad 0.0 -> -2.0 (+= -2.0 * 1.0)
    node L (d*f = -8.0) passes grad 1.0 to f: d(d*f)/df = d = 4.0; f.grad 0.0 -> 4.0 (+= 4.0 * 1.0)
    >>> print(steps[4])
    node e (a*b = -6.0) passes grad -2.0 to a: d(a*b)/da = b = -3.0; a.grad 0.0 -> 6.0 (+= -3.0 * -2.0)
    node e (a*b = -6.0) passes grad -2.0 to b: d(a*b)/db = a = 2.0; b.grad 0.0 -> -4.0 (+= 2.0 * -2.0)
    >>> print(steps[-1])
    leaf a (an input or a parameter) ends with grad 6.0: no parents to pass it on to
    >>> a.grad, b.grad, c.grad, f.grad  # what L.backward() gives
    (6.0, -4.0, -2.0, 4.0)

Each formula is written with the operands' own names: their labels, or
``#i`` (the position in the topological order) for a value without one; a
label that is not a plain name is put in parentheses, ``(x1*w1)``. The
generic names of `DERIVATIVE_RULES` (a, b, out) never show next to your
numbers. (`GradUpdate.operand` keeps the generic name: a, b, a3, w0, x2.)

The steps do the work as they are produced: the generator is lazy, and after
its last step every grad equals what `backward()` would have given, with the
same semantics (leaf grads accumulate, the graph's intermediate grads start
from zero, the output's grad is seeded with 1). Stop half way and the grads
are half done.

Stepping and then calling `backward()` (or stepping twice) therefore DOUBLES
the leaves' grads, exactly as two `backward()` calls would. To compare the
two, zero the leaves in between, or let the stepper do it:

    >>> L.backward()          # a second pass: the leaves now hold twice their grads
    >>> a.grad
    12.0
    >>> steps = list(L.backward_steps(zero_grad=True))   # the leaves start from 0 again
    >>> a.grad
    6.0
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from .checks import check_topological_order
from .engine import DERIVATIVE_RULES, Value, short_float
from .recording import current_anomaly_checker, tape_holding

__all__ = [
    "BackwardStep",
    "ForwardStep",
    "GradUpdate",
    "backward_steps",
    "expression",
    "formula_name",
    "forward_steps",
    "named_expression",
    "operand_names",
    "reference",
    "rule_text",
]


# ----------------------------------------------------------------- the steps
@dataclass(frozen=True)
class GradUpdate:
    """One edge of a backward step: `node` adds ``local_grad * grad`` to `parent`."""

    parent: Value
    parent_index: int  # the parent's position in the topological order
    position: int  # which operand of the node it is (0 for a, 1 for b, ...)
    operand: str  # its name in the formula: 'a', 'b', 'a3', 'w0', 'x2'
    rule: str  # the local derivative as text, e.g. 'b' or '1 - out**2'
    local_grad: float  # that derivative's number, computed at forward time
    before: float  # parent.grad before this edge
    after: float  # parent.grad after: before + local_grad * grad

    @property
    def contribution(self) -> float:
        """What this edge added to the parent's grad."""
        return self.after - self.before


@dataclass(frozen=True)
class BackwardStep:
    """One node's turn in backward: it passes its grad on to its parents.

    `grad` is the node's own gradient, final by the time its turn comes (every
    node that uses it came earlier in the reversed topological order).
    `updates` holds one `GradUpdate` per parent edge, in operand order; a leaf
    has none.
    """

    index: int  # 0 for the output, counting up
    total: int  # how many steps there are (one per node)
    node: Value
    node_index: int  # the node's position in the topological order
    name: str  # how the text refers to the node: its label, or '#i'
    grad: float
    updates: tuple[GradUpdate, ...]
    is_output: bool
    zeroed: bool = False  # backward_steps(zero_grad=True): the leaves started from 0

    def lines(self) -> list[str]:
        """The explanation, one sentence per line."""
        lines = []
        if self.is_output:
            d = formula_name(self.node, self.node_index)
            accumulate = (
                "the leaves' grads were set to 0 first"
                if self.zeroed
                else "leaf grads add up, so zero them before comparing with backward()"
            )
            # d(L)/d(L) reads well; d((a*b + c).tanh())/d((a*b + c).tanh()) does not.
            why = f" (d{d}/d{d} = 1)" if d.isidentifier() else ""
            lines.append(f"node {self.name} is the output: the output's grad starts at 1{why}; {accumulate}")
        if not self.updates:
            kind = "an input or a parameter" if not self.node.op else "made without a graph"
            lines.append(
                f"leaf {self.name} ({kind}) ends with grad {short_float(self.grad)}: no parents to pass it on to"
            )
            return lines
        # The formula and its derivatives with the operands' real names.
        names = {u.operand: formula_name(u.parent, u.parent_index) for u in self.updates}
        names["out"] = formula_name(self.node, self.node_index)
        expr = named_expression(self.node.op, [names[u.operand] for u in self.updates])
        if self.grad == 0.0:  # an inactive relu, a point past the margin: backward() skips it
            parents = ", ".join(dict.fromkeys(_parent_name(u) for u in self.updates))
            lines.append(
                f"node {self.name} ({expr} = {short_float(self.node.data)}) has grad 0, nothing to pass to {parents}"
            )
            return lines
        head = (
            f"node {self.name} ({expr} = {short_float(self.node.data)}) passes grad {short_float(self.grad)}"
        )
        repeats = [u.parent for u in self.updates]
        for u in self.updates:
            target = _parent_name(u)
            if repeats.count(u.parent) > 1:  # a*a: say which operand this edge is
                target += f" (operand {u.position + 1})"
            rule = _substitute(u.rule, names)
            derivative = f"d({expr})/d{names[u.operand]} = {rule}"
            if not _is_number(u.rule, u.local_grad):  # "= 1" needs no "= 1.0" after it
                derivative += f" = {short_float(u.local_grad)}"
            change = (
                f"{_parent_name(u)}.grad {short_float(u.before)} -> {short_float(u.after)} "
                f"(+= {short_float(u.local_grad)} * {short_float(self.grad)})"
            )
            lines.append(f"{head} to {target}: {derivative}; {change}")
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())


@dataclass(frozen=True)
class ForwardStep:
    """One node of the forward pass: how its number was computed."""

    index: int  # the node's position in the topological order
    node: Value
    name: str
    text: str

    def __str__(self) -> str:
        return self.text


def _parent_name(update: GradUpdate) -> str:
    return reference(update.parent, update.parent_index)


# ------------------------------------------------------------------ backward
def backward_steps(
    root: Value, *, zero_grad: bool = False, order: Sequence[Value] | None = None
) -> Iterator[BackwardStep]:
    """Run `root.backward()` one node at a time, yielding a `BackwardStep` each.

    The same order, seeding and arithmetic as `Value.backward`, so that after
    the last step every grad is the number `backward()` gives (to the bit).
    Like `backward()`, the steps ADD to the leaves' grads: stepping and then
    calling `backward()` doubles them. ``zero_grad=True`` sets every leaf's
    grad in the graph to 0 first, so the result can be compared with one
    `backward()` from zero grads.

    Nodes are numbered (``#i``, `node_index`, `parent_index`) by their place
    in the topological order, as `forward_steps` and the drawings number
    them, even when `backward()` walks a tape's order. `order` is that
    topological order, when the caller has it already (the stepping page
    does): it is checked, and the graph is not walked again.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps: expected a Value, got {type(root).__name__}")
    if type(zero_grad) is not bool:
        raise TypeError(f"backward_steps: zero_grad must be True or False, got {zero_grad!r}")
    order = _order(root, order, "backward_steps")
    return _backward_steps(root, zero_grad, order)  # checked now; the steps themselves run lazily


def _backward_steps(root: Value, zero_grad: bool, topological: list[Value]) -> Iterator[BackwardStep]:
    index = {node: i for i, node in enumerate(topological)}  # the numbers the texts and pages use
    order = _backward_order(root, topological)  # the order backward() adds in
    for node in order:
        if node._edges or zero_grad:  # intermediate grads are recomputed from zero, as in backward()
            node.grad = 0.0
    root.grad += 1.0
    checker = current_anomaly_checker()  # None outside detect_anomaly()
    check = checker is not None
    total = len(order)
    for step, node in enumerate(reversed(order)):
        grad = node.grad
        parents = node.parents
        names = operand_names(node.op, len(parents))
        updates = []
        passes = grad != 0.0 or check  # as backward(): a grad of 0 adds nothing, its edges are skipped
        for position, (parent, local_grad) in enumerate(zip(parents, node.local_grads)):
            before = parent.grad
            if passes:
                parent.grad += local_grad * grad  # the chain rule, exactly as in backward()
            updates.append(
                GradUpdate(
                    parent=parent,
                    parent_index=index[parent],
                    position=position,
                    operand=names[position],
                    rule=rule_text(node.op, position, len(parents)),
                    local_grad=local_grad,
                    before=before,
                    after=parent.grad,
                )
            )
        if check:
            checker.check_backward(node)
        yield BackwardStep(
            index=step,
            total=total,
            node=node,
            node_index=index[node],
            name=reference(node, index[node]),
            grad=grad,
            updates=tuple(updates),
            is_output=node is root,
            zeroed=zero_grad,
        )


def _backward_order(root: Value, order: list[Value]) -> list[Value]:
    """The graph (`order`: its topological order) in the order `backward()`
    uses: depth-first, or, for a Value made inside a running `tape()`, the
    leaves and then the tape's order (the order the ops ran). The order of
    the sums decides the last bits."""
    tape = tape_holding(root)
    if tape is None:
        return order
    reachable = set(order)
    return [v for v in order if not v._edges] + [v for v in tape.nodes if v in reachable]


def _order(root: Value, order: Sequence[Value] | None, where: str) -> list[Value]:
    """`root`'s topological order: found here, or the caller's, checked."""
    if order is None:
        return root.topological_order()
    return check_topological_order(order, [root], where)


# ------------------------------------------------------------------- forward
def forward_steps(
    root: Value, params: Sequence[Value] = (), *, order: Sequence[Value] | None = None
) -> Iterator[ForwardStep]:
    """The forward pass replayed in topological order, one text line per node.

    Nothing is recomputed: the numbers are the ones each node already holds.
    `order` is the topological order when the caller has it (checked; the
    graph is then not walked again), as in `backward_steps`.

        >>> from tinygrad_edu import Value
        >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
        >>> e = a * b; e.label = "e"
        >>> for step in forward_steps(e, params=[b]): print(step)
        a = 2.0 (an input)
        b = -3.0 (a parameter)
        e = a * b = 2.0 * (-3.0) = -6.0
    """
    if not isinstance(root, Value):
        raise TypeError(f"forward_steps: expected a Value, got {type(root).__name__}")
    if isinstance(params, (Value, str, bytes)) or not isinstance(params, Iterable):
        raise TypeError(f"forward_steps: params must be a list of Values, got {type(params).__name__}")
    param_set = set(params)
    for p in param_set:
        if not isinstance(p, Value):
            raise TypeError(f"forward_steps: params must be a list of Values, got an entry {p!r:.40}")
    order = _order(root, order, "forward_steps")
    index = {node: i for i, node in enumerate(order)}
    for i, node in enumerate(order):
        name = reference(node, i)
        if not node.parents:
            kind = "a parameter" if node in param_set else "an input" if not node.op else "a constant"
            if not node.label and not node.op and node not in param_set:
                kind = "a constant or an input"
            text = f"{name} = {short_float(node.data)} ({kind})"
        else:
            refs = [formula_name(p, index[p]) for p in node.parents]
            nums = [_paren(p.data) for p in node.parents]
            symbolic = _apply(node.op, refs)
            numeric = _apply(node.op, nums)
            text = f"{name} = {symbolic} = {numeric} = {short_float(node.data)}"
        yield ForwardStep(index=i, node=node, name=name, text=text)


# --------------------------------------------------------------- rule texts
def reference(node: Value, index: int) -> str:
    """How the texts refer to a node: its label if it is a plain name, the
    label quoted otherwise, and ``#index`` when it has no label."""
    if not node.label:
        return f"#{index}"
    return node.label if node.label.isidentifier() else repr(node.label)


def formula_name(node: Value, index: int) -> str:
    """How a formula names an operand: its label if it is a plain name,
    ``#index`` without a label, and the label in parentheses otherwise, so
    that ``(x1*w1)`` reads as one operand.

        >>> formula_name(Value(1.0, label="w1"), 0), formula_name(Value(1.0), 3)
        ('w1', '#3')
        >>> formula_name(Value(1.0, label="x1*w1"), 2)
        '(x1*w1)'
    """
    if not node.label:
        return f"#{index}"
    if node.label.isidentifier():
        return node.label
    return "(" + " ".join(node.label.split()) + ")"  # one line, however the label was written


def named_expression(op: str, names: Sequence[str]) -> str:
    """The op as a formula over its operands' real names (long sums and dot
    products are shortened with '...').

        >>> named_expression("*", ["x1", "w1"]), named_expression("tanh", ["(a*b + c)"])
        ('x1*w1', 'tanh(a*b + c)')
        >>> named_expression("dot", ["w1", "w2", "x1", "x2", "b"])
        'w1*x1 + w2*x2 + b'
    """
    if op in ("+", "-"):
        return f"{names[0]} {op} {names[1]}"
    if op in ("*", "/", "**"):
        return f"{names[0]}{op}{names[1]}"
    if op.startswith("**"):
        return f"{names[0]}{op}"
    if op == "neg":
        return f"-{names[0]}"
    if op in ("sum", "max", "cross_entropy"):
        shown = names if len(names) <= 5 else [*names[:2], "...", names[-1]]
        return f"{op}({', '.join(shown)})"
    if op == "dot":
        half = len(names) // 2
        terms = [f"{w}*{x}" for w, x in zip(names[:half], names[half : 2 * half])]
        shown = terms if len(terms) <= 3 else [*terms[:2], "...", terms[-1]]
        return " + ".join(shown + list(names[2 * half :]))
    return _unwrap(f"{op}({', '.join(names)})")


def _substitute(rule: str, names: dict[str, str]) -> str:
    """`rule` (a text from DERIVATIVE_RULES over a, b, out, ...) with each
    generic name replaced by the operand's real one."""

    def real(match: re.Match) -> str:
        return names.get(match.group(0), match.group(0))

    return _unwrap(re.sub(r"(?<![\w#])[A-Za-z_]\w*", real, rule))


def _unwrap(text: str) -> str:
    """'tanh((a*b))' -> 'tanh(a*b)': a call's parentheses are enough."""
    return re.sub(r"(\w)\(\(([^()]*)\)\)", r"\1(\2)", text)


def operand_names(op: str, n: int) -> list[str]:
    """The names of an op's operands in its formula.

    >>> operand_names("*", 2), operand_names("sum", 3), operand_names("dot", 4)
    (['a', 'b'], ['a0', 'a1', 'a2'], ['w0', 'w1', 'x0', 'x1'])
    >>> operand_names("dot", 5)  # w.x + b: an odd count means a bias at the end
    ['w0', 'w1', 'x0', 'x1', 'b']
    """
    if op in ("sum", "max"):
        return [f"a{i}" for i in range(n)]
    if op == "cross_entropy":  # the logits
        return [f"z{i}" for i in range(n)]
    if op == "dot":
        half = n // 2
        bias = ["b"] if n % 2 else []
        return [f"w{i}" for i in range(half)] + [f"x{i}" for i in range(half)] + bias
    return ["a", "b", "c", "d"][:n] if n <= 4 else [f"a{i}" for i in range(n)]


def expression(op: str, n: int) -> str:
    """The op as a formula over its operand names: 'a*b', 'tanh(a)', 'a**2'.

    >>> expression("*", 2), expression("tanh", 1), expression("**2", 1), expression("sum", 3)
    ('a*b', 'tanh(a)', 'a**2', 'sum(a0..a2)')
    """
    if op in ("+", "-", "*", "/", "**"):
        return f"a{op}b"
    if op.startswith("**"):
        return f"a{op}"
    if op == "neg":
        return "-a"
    if op in ("sum", "max"):
        return f"{op}(a0..a{n - 1})"
    if op == "cross_entropy":
        return f"cross_entropy(z0..z{n - 1})"
    if op == "dot":
        return "w.x + b" if n % 2 else "w.x"
    return f"{op}({', '.join(operand_names(op, n))})"


def rule_text(op: str, position: int, n: int) -> str:
    """The local derivative d(op)/d(operand) as text, from `DERIVATIVE_RULES`.

    >>> rule_text("*", 0, 2), rule_text("**3", 0, 1), rule_text("dot", 1, 4), rule_text("dot", 4, 5)
    ('b', '3*a**(3-1)', 'x1', '1')
    """
    if op == "dot":
        # DERIVATIVE_RULES['dot']: "the matching entry of the other vector", made concrete.
        half = n // 2
        if position == 2 * half:  # the bias
            return "1"
        return f"x{position}" if position < half else f"w{position - half}"
    if op == "cross_entropy":  # "softmax(z)_i - ...", with i the operand's position
        return DERIVATIVE_RULES[op][0].replace("_i", f"_{position}").replace("if i ", f"if {position} ")
    if op.startswith("**") and op != "**":
        k = op[2:]
        return DERIVATIVE_RULES["**k"][0].replace("k", k)
    rules = DERIVATIVE_RULES.get(op)
    if not rules:
        return f"(no rule text for op {op!r})"
    return rules[min(position, len(rules) - 1)]  # 'sum', 'max': one rule for every operand


def _apply(op: str, args: list[str]) -> str:
    """The op applied to some texts (names or numbers), for the forward lines."""
    if op in ("+", "-", "*", "/", "**"):
        return f" {op} ".join(args)
    if op.startswith("**"):
        return f"{args[0]}{op}"
    if op == "neg":
        return f"-{args[0]}"
    if op == "sum":
        shown = args if len(args) <= 6 else [*args[:3], "...", *args[-2:]]
        return " + ".join(shown)
    if op == "dot":
        half = len(args) // 2
        terms = [f"{w}*{x}" for w, x in zip(args[:half], args[half : 2 * half])]
        shown = terms if len(terms) <= 4 else [*terms[:2], "...", terms[-1]]
        bias = args[2 * half :]  # the bias, if any
        return " + ".join(shown + bias)
    return f"{op}({', '.join(args)})"


def _is_number(text: str, x: float) -> bool:
    try:
        return float(text) == x
    except ValueError:
        return False


def _paren(x: float) -> str:
    return f"({short_float(x)})" if x < 0 else short_float(x)
