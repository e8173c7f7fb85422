"""Why is this gradient what it is? The chain rule's sum, one term per user.

After ``root.backward()`` a node's grad is d(root)/d(node). The chain rule
says where that number comes from: every node u that *uses* the node (has it
as a parent) hands back u.grad times u's local derivative with respect to
it, and the node's grad is the sum of those hand-backs:

    node.grad = sum over users u of  u.grad * d(u)/d(node)

A node used in three places gets three terms; a node used twice by the same
op (``a * a``) gets one term per operand slot. The output itself gets no
terms: its grad is the seed, 1. A node knows its parents, not its users, so
`explain_grad` needs the root to find them, and it names nodes the way
`backward_steps` and the drawings do (``#i`` is the position in the root's
topological order).

    >>> from tinygrad_edu import Value
    >>> x = Value(0.5, label="x")
    >>> y = x * x + x.tanh(); y.label = "y"
    >>> y.backward()
    >>> why = explain_grad(x, y)
    >>> print(why)
    x.grad = 1.78645, the sum over the 3 places x is used of (that node's grad x its local derivative):
      from #2 (tanh(x)): 1.0 x 0.786448 = 0.786448   [d(tanh(x))/dx = 1 - tanh(x)**2 = 1 - #2**2]
      from #1 (x*x, operand 1): 1.0 x 0.5 = 0.5   [d(x*x)/dx = x]
      from #1 (x*x, operand 2): 1.0 x 0.5 = 0.5   [d(x*x)/dx = x]
      total: 1.78645
    >>> why.total == x.grad   # added in backward()'s order: the same number to the last bit
    True
"""

from __future__ import annotations

from dataclasses import dataclass

from tinygrad_edu.engine import Value
from tinygrad_edu.engine import short_float as _fmt
from tinygrad_edu.stepping import (
    _substitute,
    formula_name,
    named_expression,
    operand_names,
    reference,
    rule_text,
)

__all__ = ["Contribution", "GradExplanation", "explain_grad"]


@dataclass(frozen=True)
class Contribution:
    """One term of the sum: the user `user` hands back ``user_grad * local_grad``."""

    user: Value
    user_index: int  # the user's position in the root's topological order
    user_name: str  # its label, or '#i'
    position: int  # which operand of the user the node is
    operand: str  # that operand's name in the user's formula: 'a', 'b', 'w3', ...
    rule: str  # the local derivative over the real names, e.g. 'y' or '1 - #2**2'
    user_grad: float
    local_grad: float
    formula: str  # the user's formula over its operands' real names: 'x*y', 'tanh(x)'
    derivative: str  # the local derivative with those names: 'd(x*y)/dx = y'
    which: str = ""  # ', operand 2' when the user reads the node more than once (x*x)

    @property
    def value(self) -> float:
        return self.local_grad * self.user_grad  # the product backward() computes

    def __str__(self) -> str:
        return (
            f"from {self.user_name} ({self.formula}{self.which}): "
            f"{_fmt(self.user_grad)} x {_fmt(self.local_grad)} = {_fmt(self.value)}   [{self.derivative}]"
        )


@dataclass(frozen=True)
class GradExplanation:
    """A node's grad as the sum of its `contributions` (the root's: the seed)."""

    node: Value
    index: int
    name: str
    grad: float  # node.grad when explained
    contributions: tuple[Contribution, ...]
    is_root: bool

    @property
    def total(self) -> float:
        """The contributions added up in the order backward() adds them (the
        reverse topological order of the users), so the sum is bit-for-bit
        the grad one backward() pass from zero leaves."""
        total = 1.0 if self.is_root else 0.0
        for c in self.contributions:
            total += c.value
        return total

    def lines(self) -> list[str]:
        if self.is_root:
            return [
                f"{self.name}.grad = {_fmt(self.grad)}: it is the output, d{_d(self.name)}/d{_d(self.name)} = 1"
            ]
        n = len(self.contributions)
        if n == 0:
            return [f"{self.name}.grad = {_fmt(self.grad)}: no node of this graph uses it"]
        places = "the 1 place" if n == 1 else f"the {n} places"
        lines = [
            f"{self.name}.grad = {_fmt(self.grad)}, the sum over {places} {self.name} is used of "
            f"(that node's grad x its local derivative):"
        ]
        lines += [f"  {c}" for c in self.contributions]
        lines.append(f"  total: {_fmt(self.total)}")
        if self.total != self.grad:
            lines.append(
                f"  ({self.name}.grad differs by {_fmt(self.grad - self.total)}: grads of leaves "
                f"accumulate over backward() calls until zeroed, and the terms use the users' grads as they are now)"
            )
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())


def explain_grad(node: Value, root: Value) -> GradExplanation:
    """Why `node.grad` (after ``root.backward()``) is what it is: one
    `Contribution` per place the node is used in the graph of `root`, in the
    order backward() adds them. Read the current grads; run backward first."""
    for name, v in (("node", node), ("root", root)):
        if not isinstance(v, Value):
            raise TypeError(f"explain_grad: {name} must be a Value, got {type(v).__name__}")
    order = root.topological_order()
    index = {v: i for i, v in enumerate(order)}
    if node not in index:
        raise ValueError(
            f"explain_grad: {_describe(node)} is not in the graph of the root "
            f"{reference(root, index[root])}: pass the output it was used to compute"
        )
    return GradExplanation(
        node=node,
        index=index[node],
        name=reference(node, index[node]),
        grad=node.grad,
        contributions=tuple(users_of(node, order, index)),
        is_root=node is root,
    )


def users_of(node: Value, order: list[Value], index: dict[Value, int]) -> list[Contribution]:
    """Every (user, operand slot) that reads `node`, in backward()'s order."""
    return _contributions(order, index, only=node).get(node, [])


def contributions_by_node(order: list[Value], index: dict[Value, int]) -> dict[Value, list[Contribution]]:
    """`users_of` for every node of the graph at once, in one pass over its edges."""
    return _contributions(order, index, only=None)


def _contributions(order, index, only: Value | None) -> dict[Value, list[Contribution]]:
    found: dict[Value, list[Contribution]] = {}
    for user in reversed(order):
        parents = user.parents
        if not parents or (only is not None and only not in parents):  # by identity: no Value.__eq__
            continue
        generic = operand_names(user.op, len(parents))
        names = {g: formula_name(p, index[p]) for g, p in zip(generic, parents)}
        names["out"] = formula_name(user, index[user])
        formula = named_expression(user.op, [names[g] for g in generic])
        for position, (parent, local_grad) in enumerate(zip(parents, user.local_grads)):
            if only is not None and parent is not only:
                continue
            rule = _substitute(rule_text(user.op, position, len(parents)), names)
            found.setdefault(parent, []).append(
                Contribution(
                    user=user,
                    user_index=index[user],
                    user_name=reference(user, index[user]),
                    position=position,
                    operand=generic[position],
                    rule=rule,
                    user_grad=user.grad,
                    local_grad=local_grad,
                    formula=formula,
                    derivative=f"d({formula})/d{names[generic[position]]} = {rule}",
                    which=f", operand {position + 1}" if parents.count(parent) > 1 else "",
                )
            )
    return found


def _d(name: str) -> str:
    return name if name.isidentifier() else "out"


def _describe(v: Value) -> str:
    return f"the Value labelled {v.label!r}" if v.label else f"the Value {v!r}"
