"""The engine, `Value`: every op's gradient against central finite differences,
random compositions of the ops (hypothesis), the graph shapes that broke
other engines, memory (graphs freed by reference counting alone), errors and
repr.

`OPS` below is THE list of ops: the gradient tests here and the PyTorch
oracle in test_engine_torch.py iterate over it, and
`test_every_public_op_is_in_OPS` fails when `Value` grows an op that has no
entry. The functions in it are written with operators and methods only (plus
`fused_sum`/`fused_dot`/`fused_max`), so the very same function runs on Values and on
torch tensors.
"""

from __future__ import annotations

import gc
import math
import re
import weakref
from collections.abc import Callable, Sequence

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tinygrad_edu import Value, engine, no_grad


# ------------------------------------------------------------ helpers
def number(x) -> float:
    """The plain float inside a Value, a torch scalar or a number."""
    if isinstance(x, Value):
        return x.data
    return x.item() if hasattr(x, "item") else float(x)


def fused_sum(xs: list):
    """`Value.sum` for Values; the same sum for torch tensors (oracle tests)."""
    if any(isinstance(x, Value) for x in xs):
        return Value.sum(xs)
    import torch

    return torch.stack([torch.as_tensor(x, dtype=torch.float64) for x in xs]).sum()


def fused_max(xs: list):
    """`Value.max` for Values; for torch tensors ``torch.max(x, dim=0)``, whose
    gradient goes to the first maximal entry on a tie, as ours does."""
    if any(isinstance(x, Value) for x in xs):
        return Value.max(xs)
    import torch

    return torch.stack([torch.as_tensor(x, dtype=torch.float64) for x in xs]).max(dim=0).values


def fused_cross_entropy(logits: list, target: int):
    """`Value.cross_entropy` for Values; ``torch.nn.functional.cross_entropy`` for tensors."""
    if any(isinstance(x, Value) for x in logits):
        return Value.cross_entropy(logits, target)
    import torch

    z = torch.stack([torch.as_tensor(x, dtype=torch.float64) for x in logits])
    return torch.nn.functional.cross_entropy(z[None], torch.tensor([target]))


def fused_dot(ws: list, xs: list, bias=None):
    """`Value.dot` for Values; the same dot product for torch tensors."""
    if any(isinstance(x, Value) for x in [*ws, *xs, bias]):
        return Value.dot(ws, xs, bias)
    import torch

    def vector(v):
        return torch.stack([torch.as_tensor(x, dtype=torch.float64) for x in v])

    out = torch.dot(vector(ws), vector(xs))
    return out if bias is None else out + bias


def fused_linear(rows: list, xs: list, biases=None):
    """`Value.linear` for Values; the same rows of dot products for torch tensors."""
    if any(isinstance(x, Value) for row in rows for x in [*row, *xs, *(biases or [])]):
        return Value.linear(rows, xs, biases)
    return [
        fused_dot(row, xs, None if biases is None else b)
        for row, b in zip(rows, biases or [None] * len(rows))
    ]


def fused_linear_batch(rows: list, batch: list, biases=None):
    """`Value.linear_batch` for Values; `fused_linear` of each input for torch tensors."""
    if any(isinstance(x, Value) for row in rows for x in [*row, *(biases or [])]) or any(
        isinstance(x, Value) for xs in batch for x in xs
    ):
        return Value.linear_batch(rows, batch, biases)
    return [fused_linear(rows, xs, biases) for xs in batch]


def numeric_grad(f: Callable, point: Sequence[float], i: int, h: float = 1e-6) -> float:
    """Central finite difference (f(x + h) - f(x - h)) / 2h in input i."""

    def at(x: float) -> float:
        shifted = list(point)
        shifted[i] = x
        with no_grad():  # numbers only: no graph needed
            return number(f(*[Value(v) for v in shifted]))

    return (at(point[i] + h) - at(point[i] - h)) / (2 * h)


def assert_grads_match_finite_differences(f: Callable, point: Sequence[float], tol: float = 1e-6) -> None:
    inputs = [Value(x) for x in point]
    out = f(*inputs)
    out.backward()
    for i, x in enumerate(inputs):
        numeric = numeric_grad(f, point, i)
        scale = max(1.0, abs(numeric), abs(x.grad))
        assert abs(x.grad - numeric) <= tol * scale, (
            f"input {i} at {point}: backward {x.grad!r}, finite differences {numeric!r}"
        )


# ------------------------------------------------------------ THE list of ops
# Key: the `Value` attribute the entry exercises; several entries for one
# attribute are told apart by a suffix in parentheses ("__pow__(Value)").
# Value: (function of Values, sample points). The points keep away from the
# kinks of relu and abs at 0 (where the engine, like PyTorch, uses the
# derivative 0) and from the edges of each op's domain.
OPS: dict[str, tuple[Callable, list[tuple[float, ...]]]] = {
    "__add__": (lambda a, b: a + b, [(1.5, -0.7), (-2.0, 3.25)]),
    "__add__(number)": (lambda a: a + 2.5, [(0.3,)]),
    "__radd__": (lambda a: 2.5 + a, [(0.3,), (-4.0,)]),
    "__sub__": (lambda a, b: a - b, [(1.5, -0.7), (-2.0, 3.25)]),
    "__rsub__": (lambda a: 1.0 - a, [(0.3,), (-4.0,)]),
    "__mul__": (lambda a, b: a * b, [(1.5, -0.7), (-2.0, 3.25)]),
    "__rmul__": (lambda a: 2 * a, [(0.3,), (-4.0,)]),
    "__truediv__": (lambda a, b: a / b, [(1.5, -0.7), (-2.0, 3.25)]),
    "__rtruediv__": (lambda a: 1 / a, [(0.8,), (-1.7,)]),
    "__pow__": (lambda a: a**3, [(1.3,), (-0.6,)]),
    "__pow__(-1)": (lambda a: a**-1, [(1.3,), (-0.6,)]),
    "__pow__(0.5)": (lambda a: a**0.5, [(1.3,), (0.2,)]),
    "__pow__(-1.5)": (lambda a: a**-1.5, [(1.3,), (0.4,)]),
    "__pow__(Value)": (lambda a, b: a**b, [(1.3, 0.7), (0.4, -2.1), (2.5, 3.0)]),
    "__rpow__": (lambda a: 2**a, [(0.3,), (-1.7,)]),
    "__neg__": (lambda a: -a, [(0.3,), (-1.7,)]),
    "__abs__": (lambda a: abs(a), [(0.3,), (-1.7,)]),
    "abs": (lambda a: a.abs(), [(0.3,), (-1.7,)]),
    "exp": (lambda a: a.exp(), [(0.3,), (-1.7,), (5.0,)]),
    "log": (lambda a: a.log(), [(0.3,), (4.0,)]),
    "tanh": (lambda a: a.tanh(), [(0.3,), (-1.7,)]),
    "sigmoid": (lambda a: a.sigmoid(), [(0.3,), (-1.7,), (30.0,), (-30.0,)]),
    "relu": (lambda a: a.relu(), [(0.3,), (-1.7,)]),
    "sqrt": (lambda a: a.sqrt(), [(0.3,), (4.0,)]),
    "sum": (lambda a, b, c: fused_sum([a, b, 2.0, c, a]), [(0.3, -1.7, 2.0)]),
    "dot": (lambda a, b, c, d: fused_dot([a, b], [c, d]), [(0.3, -1.7, 2.0, 0.5)]),
    # No ties here (finite differences see a kink there): c wins, then a, then the constant.
    "max": (
        lambda a, b, c: fused_max([a, b, 0.5, c]) * a,
        [(0.3, -1.7, 2.0), (1.2, 0.9, -0.4), (0.1, -1.0, 0.2)],
    ),
    "cross_entropy": (  # a appears twice; a constant logit; a large one, shifted away by the max
        lambda a, b, c: fused_cross_entropy([a, b, 0.5, c, a], 3) * b,
        [(0.3, -1.7, 2.0), (1.2, 0.9, -0.4), (40.0, 1.0, 39.0)],
    ),
    "dot(numbers)": (lambda a, b: fused_dot([a, 3.0], [-2.0, b]), [(0.3, -1.7)]),
    "dot(shared)": (lambda a, b: fused_dot([a, a, b], [b, a, 2.0]), [(0.3, -1.7)]),
    "dot(bias)": (lambda a, b, c: fused_dot([a, b], [c, 2.0], a), [(0.3, -1.7, 0.9)]),
    "linear": (
        lambda a, b, c: (lambda ys: ys[0] * ys[1])(fused_linear([[a, b], [c, 2.0]], [b, a], [c, 1.5])),
        [(0.3, -1.7, 0.9)],
    ),
    "linear(no bias)": (
        lambda a, b: (lambda ys: ys[0] - ys[1])(fused_linear([[a, b], [b, b]], [a, 3.0])),
        [(0.3, -1.7)],
    ),
    "linear_batch": (  # a, b in the rows, in two of the inputs and in a bias
        lambda a, b, c: (lambda ys: ys[0][0] * ys[1][1] - ys[2][0])(
            fused_linear_batch([[a, b], [c, 2.0]], [[b, a], [c, 1.0], [a, a]], [c, 1.5])
        ),
        [(0.3, -1.7, 0.9), (1.1, 0.4, -0.6)],
    ),
    "linear_batch(no bias)": (
        lambda a, b: (lambda ys: ys[0][1] * ys[1][0])(
            fused_linear_batch([[a, b], [b, 3.0]], [[a, 3.0], [b, b]])
        ),
        [(0.3, -1.7)],
    ),
}

# The methods of Value that are not ops (they make no new node).
NOT_OPS = {"__init__", "__repr__", "backward", "topological_order", "backward_steps"}


def op_attributes() -> set[str]:
    """Every public method and every dunder method of Value (not `_helpers`,
    not properties or slots: those are not callable)."""
    names = set()
    for name, attr in vars(Value).items():
        is_dunder = name.startswith("__") and name.endswith("__")
        if name.startswith("_") and not is_dunder:
            continue
        if callable(attr) or isinstance(attr, staticmethod):
            names.add(name)
    return names - NOT_OPS


def attribute_of(entry: str) -> str:
    return entry.split("(")[0]


OP_POINTS = [
    pytest.param(name, point, id=f"{name}-{i}")
    for name, (_, points) in OPS.items()
    for i, point in enumerate(points)
]


# ------------------------------------------------------------ the list is complete
def test_every_public_op_is_in_OPS():
    covered = {attribute_of(name) for name in OPS}
    missing = op_attributes() - covered
    assert not missing, f"Value ops without an entry in OPS (add one, with sample points): {sorted(missing)}"
    # and nothing in OPS is stale
    assert covered <= set(vars(Value)), (
        f"OPS names attributes Value does not have: {covered - set(vars(Value))}"
    )


@pytest.mark.parametrize("name", list(OPS))
def test_each_OPS_entry_calls_the_attribute_it_is_named_after(name, monkeypatch):
    attribute = attribute_of(name)
    original = vars(Value)[attribute]
    calls = []
    if isinstance(original, staticmethod):
        function = original.__func__

        def spy(*args, **kwargs):
            calls.append(attribute)
            return function(*args, **kwargs)

        monkeypatch.setattr(Value, attribute, staticmethod(spy))
    else:

        def spy(*args, **kwargs):
            calls.append(attribute)
            return original(*args, **kwargs)

        monkeypatch.setattr(Value, attribute, spy)
    f, points = OPS[name]
    f(*[Value(x) for x in points[0]])
    assert calls, f"OPS[{name!r}] never calls Value.{attribute}"


@pytest.mark.parametrize("name", list(OPS))
def test_every_op_in_a_graph_has_a_derivative_rule(name):
    f, points = OPS[name]
    out = f(*[Value(x) for x in points[0]])
    for node in out.topological_order():
        if not node.op:
            continue
        key = "**k" if re.fullmatch(r"\*\*-?[0-9.e+-]+", node.op) else node.op
        assert key in engine.DERIVATIVE_RULES, f"no DERIVATIVE_RULES entry for op {node.op!r}"
        rules = engine.DERIVATIVE_RULES[key]
        if key not in ("sum", "dot", "max", "cross_entropy"):  # the n-ary ops have one rule for all operands
            assert len(rules) == len(node.parents), (node.op, rules, node.parents)
        assert len(node.local_grads) == len(node.parents)


# ------------------------------------------------------------ each op vs finite differences
@pytest.mark.parametrize(("name", "point"), OP_POINTS)
def test_op_gradient_matches_finite_differences(name, point):
    f, _ = OPS[name]
    assert_grads_match_finite_differences(f, point)


def test_reflected_forms_match_the_plain_forms():
    x = Value(1.7)
    assert (2 + x).data == (x + 2).data == 3.7
    assert (1 - x).data == pytest.approx(-0.7) and (x - 1).data == pytest.approx(0.7)
    assert (3 * x).data == (x * 3).data
    assert (1 / x).data == 1 / 1.7
    assert (2**x).data == pytest.approx(2**1.7)


def test_forward_values_of_the_unary_ops():
    x = 0.7
    for name, expected in [
        ("exp", math.exp(x)),
        ("log", math.log(x)),
        ("tanh", math.tanh(x)),
        ("sigmoid", 1 / (1 + math.exp(-x))),
        ("sqrt", math.sqrt(x)),
        ("relu", x),
        ("abs", x),
    ]:
        assert getattr(Value(x), name)().data == pytest.approx(expected, rel=1e-15), name
    assert Value(-x).relu().data == 0.0
    assert Value(-x).abs().data == x
    assert Value(-1000.0).sigmoid().data == 0.0  # no overflow in exp for large |a|
    assert Value(1000.0).sigmoid().data == 1.0


def test_kink_conventions_relu_and_abs_have_derivative_zero_at_zero():
    # As in PyTorch: relu'(0) = 0 and abs'(0) = sign(0) = 0.
    for op in ("relu", "abs"):
        x = Value(0.0)
        getattr(x, op)().backward()
        assert x.grad == 0.0, op


def test_max_sends_the_whole_gradient_to_the_first_maximal_operand_on_a_tie():
    a, b, c, d = Value(1.0), Value(3.0), Value(3.0), Value(-2.0)
    top = Value.max([a, b, c, d])
    assert (top.data, top.op, len(top.parents)) == (3.0, "max", 4)
    top.backward()
    assert [v.grad for v in (a, b, c, d)] == [0.0, 1.0, 0.0, 0.0]
    shared = Value(2.0)  # the same Value twice: both slots tie, the first gets the 1
    Value.max([shared, shared]).backward()
    assert shared.grad == 1.0
    assert Value.max([Value(-1.5)]).data == -1.5  # one operand is its own max


def test_max_explains_itself_in_the_stepper():
    a, b = Value(1.0, label="a"), Value(4.0, label="b")
    top = Value.max([a, b, 2.0])
    text = str(next(iter(top.backward_steps())))
    rule = engine.DERIVATIVE_RULES["max"][0]
    assert "max(a, b, #2) = 4.0" in text
    assert f"d(max(a, b, #2))/db = {rule} = 1.0" in text
    assert f"d(max(a, b, #2))/da = {rule} = 0.0" in text
    assert (a.grad, b.grad) == (0.0, 1.0)
    window = Value.max([Value(float(i)) for i in range(9)])  # a 3x3 pooling window, shortened
    assert "max(#0, #1, ..., #8)" in str(next(iter(window.backward_steps())))


def test_pow_edge_cases():
    x = Value(0.0)
    y = x**0  # a**0 = 1 everywhere: derivative 0
    y.backward()
    assert (y.data, x.grad) == (1.0, 0.0)
    x = Value(0.0)
    (x**2).backward()
    assert x.grad == 0.0
    x = Value(-2.0)
    y = x**3  # an integer power of a negative base is fine
    y.backward()
    assert (y.data, x.grad) == (-8.0, 12.0)
    assert (Value(-2.0) ** 2.0).op == "**2.0"


# ------------------------------------------------------------ random compositions
class Reject(Exception):
    """The sample point is too close to a kink or to the edge of an op's domain."""


N_INPUTS = 3
CONSTANTS = (-2.0, -0.5, 0.5, 1.5, 3.0)
EXPONENTS = (2, 3, -1, -2, 0.5, 1.5, -0.5)
UNARY = ("neg", "exp", "log", "tanh", "sigmoid", "relu", "abs", "sqrt")
BINARY = ("+", "-", "*", "/", "**")
ALL_OPS = (*UNARY, *BINARY, "**k", "sum", "dot")


def _positive(x):
    """x or -x, whichever is positive: a smooth function away from x = 0."""
    return x if number(x) > 0 else -x


def _check_away_from_zero(x, margin: float) -> None:
    if abs(number(x)) < margin:
        raise Reject


def evaluate(program: Sequence[tuple], inputs: Sequence) -> object:
    """Run a random program on Values or on torch tensors; return its last node.

    Each instruction appends a node to a pool that starts with the inputs and
    reads operands from anywhere in the pool (so subexpressions are shared,
    and an operand can appear twice) or is a constant (on either side, so the
    reflected forms `2 * v`, `1 / v` run too). Points near a kink or near the
    edge of a domain raise `Reject`.
    """
    pool = list(inputs)

    def operand(spec):
        kind, x = spec
        return pool[x % len(pool)] if kind == "v" else x

    for op, specs, k in program:
        args = [operand(s) for s in specs]
        if op == "neg":
            out = -args[0]
        elif op in ("log", "sqrt"):
            _check_away_from_zero(args[0], 0.25)
            out = getattr(_positive(args[0]), op)()
        elif op in ("relu", "abs"):
            _check_away_from_zero(args[0], 0.05)
            out = getattr(args[0], op)()
        elif op == "exp":
            if number(args[0]) > 4.0:
                raise Reject
            out = args[0].exp()
        elif op in UNARY:
            out = getattr(args[0], op)()
        elif op == "+":
            out = args[0] + args[1]
        elif op == "-":
            out = args[0] - args[1]
        elif op == "*":
            out = args[0] * args[1]
        elif op == "/":
            _check_away_from_zero(args[1], 0.25)
            out = args[0] / args[1]
        elif op == "**":  # a positive base to a Value or number exponent
            _check_away_from_zero(args[0], 0.25)
            out = _positive(args[0]) ** args[1]
        elif op == "**k":
            if k < 0 or not float(k).is_integer():
                _check_away_from_zero(args[0], 0.25)
            base = args[0] if float(k).is_integer() else _positive(args[0])
            out = base**k
        elif op == "sum":
            out = fused_sum(args)
        elif op == "dot":
            half = len(args) // 2
            out = fused_dot(args[:half], args[half:])
        else:  # pragma: no cover
            raise AssertionError(op)
        if abs(number(out)) > 1e4:
            raise Reject
        pool.append(out)
    return pool[-1]


@st.composite
def programs(draw, n_inputs: int = N_INPUTS, max_ops: int = 8):
    """A list of instructions (op, operand specs, exponent) for `evaluate`."""
    program = []
    for step in range(draw(st.integers(1, max_ops))):
        size = n_inputs + step
        # Lean towards recent nodes, so that expressions get deep.
        ref = st.one_of(st.integers(0, size - 1), st.integers(max(0, size - 2), size - 1)).map(
            lambda i: ("v", i)
        )
        const = st.sampled_from(CONSTANTS).map(lambda c: ("c", c))
        operand = st.one_of(ref, ref, const)
        op = draw(st.sampled_from(ALL_OPS))
        k = None
        if op in UNARY:
            specs = [draw(ref)]
        elif op == "**k":
            specs, k = [draw(ref)], draw(st.sampled_from(EXPONENTS))
        elif op in BINARY:
            first = draw(operand)
            second = draw(ref if first[0] == "c" else operand)  # at least one node
            specs = [first, second]
        elif op == "sum":
            specs = draw(st.lists(operand, max_size=3)) + [draw(ref)]
        else:  # dot: same-length halves, at least one node
            n = draw(st.integers(1, 3))
            specs = [draw(operand) for _ in range(2 * n - 1)] + [draw(ref)]
        program.append((op, tuple(specs), k))
    return tuple(program)


points = st.tuples(*[st.floats(-2.0, 2.0, allow_nan=False) for _ in range(N_INPUTS)])

# derandomize: the same examples on every run and machine (no flaky CI).
COMPOSITION_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)


def run_or_reject(program, inputs):
    try:
        return evaluate(program, inputs)
    except Reject:
        assume(False)


@COMPOSITION_SETTINGS
@given(program=programs(), point=points)
def test_random_compositions_match_finite_differences(program, point):
    inputs = [Value(x) for x in point]
    out = run_or_reject(program, inputs)
    assert_valid_topological_order(out)
    out.backward()
    for i, x in enumerate(inputs):
        numeric = numeric_grad(lambda *xs: run_or_reject(program, xs), point, i, h=1e-6)
        scale = max(1.0, abs(numeric), abs(x.grad))
        assert abs(x.grad - numeric) <= 1e-5 * scale, (
            f"input {i}: backward {x.grad!r}, finite differences {numeric!r}"
        )


# ------------------------------------------------------------ topological order
def reachable(out: Value) -> set[Value]:
    """Every node `out` depends on, found without the engine's own walk."""
    seen, frontier = {out}, [out]
    while frontier:
        node = frontier.pop()
        for parent in node.parents:
            if parent not in seen:
                seen.add(parent)
                frontier.append(parent)
    return seen


def assert_valid_topological_order(out: Value) -> None:
    order = out.topological_order()
    assert order[-1] is out
    assert len(order) == len(set(order)), "a node appears twice"
    assert set(order) == reachable(out), "the order misses nodes or has foreign ones"
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        for parent in node.parents:
            assert position[parent] < position[node], f"{node!r} comes before its parent {parent!r}"


def test_topological_order_is_valid_on_a_diamond_with_reused_operands():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    d = c + a
    e = c * d + Value.sum([d, c, b, b])
    f = Value.dot([e, d], [c, a]) / e
    assert_valid_topological_order(f)
    assert [v.label for v in f.topological_order()[:2]] == ["a", "b"]  # parents in operand order


def test_topological_order_of_a_leaf_is_the_leaf():
    x = Value(1.0)
    assert x.topological_order() == [x]


# ------------------------------------------------------------ graph shapes that broke other engines
def test_b_is_a_plus_a_then_c_is_b_plus_b():
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert (c.data, b.grad, a.grad) == (12.0, 2.0, 4.0)
    # Two edges each, not one: micrograd's `set` of parents collapses a + a.
    assert b.parents == (a, a) and c.parents == (b, b)


def test_x_plus_x_times_x():
    x = Value(3.0)
    y = (x + x) * x  # 2 x**2: dy/dx = 4x
    y.backward()
    assert (y.data, x.grad) == (18.0, 12.0)


def test_fan_out_sums_every_path():
    x = Value(0.5)
    y = x * 2 + x.exp() + x.tanh() + x  # x feeds four ops
    y.backward()
    assert x.grad == pytest.approx(2 + math.exp(0.5) + (1 - math.tanh(0.5) ** 2) + 1, rel=1e-15)


@pytest.mark.parametrize(
    ("f", "derivative"),
    [
        (lambda x: x * x, lambda x: 2 * x),
        (lambda x: x + x, lambda x: 2.0),
        (lambda x: x - x, lambda x: 0.0),
        (lambda x: x / x, lambda x: 0.0),
        (lambda x: x**x, lambda x: x**x * (math.log(x) + 1)),
        (lambda x: Value.sum([x, x, x]), lambda x: 3.0),
        (lambda x: Value.dot([x, x], [x, x]), lambda x: 4 * x),
    ],
    ids=["mul", "add", "sub", "div", "pow", "sum", "dot"],
)
def test_a_value_used_as_both_operands(f, derivative):
    x = Value(1.5)
    f(x).backward()
    assert x.grad == pytest.approx(derivative(1.5), rel=1e-12)


def test_a_diamond_where_two_paths_meet():
    a = Value(2.0)
    b, c = a * 3, a.exp()
    d = b * c  # 3a e**a: d' = 3 e**a (1 + a)
    d.backward()
    assert a.grad == pytest.approx(3 * math.exp(2) * 3, rel=1e-14)


def test_backward_through_a_million_node_chain():
    # micrograd's recursive sort hits the RecursionError at about 500.
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = -y
    y.backward()
    assert (y.data, x.grad) == (0.5, 1.0)


# ------------------------------------------------------------ backward semantics
def test_backward_twice_accumulates_on_leaves_and_recomputes_intermediates():
    a = Value(2.0)
    b = a * a
    c = b * 3
    c.backward()
    assert (a.grad, b.grad, c.grad) == (12.0, 3.0, 1.0)
    c.backward()
    assert a.grad == 24.0  # leaves accumulate (PyTorch semantics): zero_grad() between steps
    assert (b.grad, c.grad) == (3.0, 1.0)  # intermediates show this pass's values


def test_two_losses_sharing_a_subgraph_accumulate_on_the_leaves():
    w = Value(3.0)
    shared = w * w
    loss1, loss2 = shared * 2, shared.exp() * 0 + shared
    loss1.backward()
    loss2.backward()
    assert w.grad == pytest.approx(4 * 3 + 2 * 3)
    assert shared.grad == 1.0  # from the last pass only


def test_backward_on_a_leaf_sets_its_own_grad():
    x = Value(4.0)
    x.backward()
    assert x.grad == 1.0


def test_local_grads_are_plain_numbers_stored_at_forward_time():
    a, b = Value(2.0), Value(-3.0)
    e = a * b
    assert e.parents == (a, b)
    assert e.local_grads == (-3.0, 2.0)
    a.data = 100.0  # changing an input later does not change the recorded derivative
    assert e.local_grads == (-3.0, 2.0)
    assert (a.op, e.op) == ("", "*")


# ------------------------------------------------------------ memory: freed by refcounting
@pytest.fixture
def gc_disabled():
    """Turn off the cyclic garbage collector: only reference counting frees."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def test_a_finished_graph_is_freed_by_reference_counting_alone(gc_disabled):
    x = Value(2.0)
    hidden = x * 3
    out = Value.dot([hidden, x], [x, 2.0]) + (hidden + 1).tanh() ** 2
    out.backward()
    interior = weakref.ref(hidden)
    output = weakref.ref(out)
    del hidden, out
    assert interior() is None and output() is None
    assert x.grad != 0.0  # the leaf lives on, with its grad


def test_a_chain_whose_leaf_is_dropped_is_freed_entirely(gc_disabled):
    leaf = Value(0.5)
    y = leaf
    for _ in range(100):
        y = (y * 1.01).tanh() + 0.1
    y.backward()
    refs = [weakref.ref(v) for v in y.topological_order()]
    assert len(refs) > 200
    del leaf, y
    assert all(r() is None for r in refs)


# ------------------------------------------------------------ errors name the op and the values
def error_message(exception_type, f) -> str:
    with pytest.raises(exception_type) as info:
        f()
    return str(info.value)


# (expression, the error it raises, fragments its message must contain)
ERRORS = [
    ('Value("abc")', TypeError, ["Value(data)", "'abc'", "str"]),
    ("Value(None)", TypeError, ["Value(data)", "None"]),
    ("Value(True)", TypeError, ["Value(data)", "True", "bool"]),
    ("Value([1.0])", TypeError, ["Value(data)", "list"]),
    ("Value(1.0, label=3)", TypeError, ["label", "int"]),
    ('Value(float("nan"))', ValueError, ["Value(data)", "nan"]),
    ('Value(float("inf"))', ValueError, ["Value(data)", "inf"]),
    ("Value(-math.inf)", ValueError, ["Value(data)", "-inf"]),
    ("Value(0.0).log()", ValueError, ["'log'", "0.0"]),
    ("Value(-2.5).log()", ValueError, ["'log'", "-2.5"]),
    ("Value(1.5) / 0", ZeroDivisionError, ["'/'", "1.5", "0.0"]),
    ("3 / Value(0.0)", ZeroDivisionError, ["'/'", "3.0", "0.0"]),
    ("Value(-2.0) ** 0.5", ValueError, ["'**0.5'", "-2.0", "0.5"]),
    ("Value(-8.0) ** 1.5", ValueError, ["'**1.5'", "-8.0"]),
    ("Value(0.0) ** -1", ZeroDivisionError, ["'**-1.0'", "0.0"]),
    ("Value(0.0) ** 0.5", ZeroDivisionError, ["'**0.5'", "0.0"]),
    ("Value(10.0) ** 400", OverflowError, ["'**400.0'", "10.0"]),
    ("Value(1000.0).exp()", OverflowError, ["'exp'", "1000.0"]),
    ("Value(-1.0).sqrt()", ValueError, ["'sqrt'", "-1.0"]),
    ("Value(0.0).sqrt()", ZeroDivisionError, ["'sqrt'", "0.0"]),
    ("Value(-2.0) ** Value(3.0)", ValueError, ["'**'", "-2.0", "3.0"]),
    ("Value(0.0) ** Value(2.0)", ValueError, ["'**'", "0.0", "2.0"]),
    ("(-2) ** Value(2.0)", ValueError, ["'**'", "-2.0", "2.0"]),
    ("Value(2.0) ** Value(2000.0)", OverflowError, ["'**'", "exp("]),
    ("Value.dot([Value(1.0), Value(2.0)], [Value(3.0)])", ValueError, ["'dot'", "got 2 and 1"]),
    ("Value.dot([1.0, 2.0], (3.0,))", ValueError, ["'dot'", "got 2 and 1"]),
    ("Value.dot([], [])", ValueError, ["'dot'", "empty"]),
    ("Value.sum([])", ValueError, ["'sum'", "empty"]),
    ("Value.max([])", ValueError, ["'max'", "empty"]),
    ("Value.max(Value(1.0))", TypeError, ["'max'", "Value"]),
    ('Value.max([Value(1.0), "a"])', TypeError, ["'max'", "'a'", "str"]),
    ("Value.sum(iter([]))", ValueError, ["'sum'", "empty"]),
    ("Value.sum(Value(1.0))", TypeError, ["'sum'", "Value"]),
    ('Value.sum("abc")', TypeError, ["'sum'", "str"]),
    ('Value.sum([Value(1.0), "a"])', TypeError, ["'sum'", "'a'", "str"]),
    ('Value.dot([Value(1.0)], ["x"])', TypeError, ["'dot'", "'x'", "str"]),
    ('Value(1.0) + "a"', TypeError, ["'+'", "'a'", "str"]),
    ('"a" + Value(1.0)', TypeError, ["'+'", "'a'", "str"]),
    ("Value(1.0) - None", TypeError, ["'-'", "None"]),
    ("Value(1.0) * [2.0]", TypeError, ["'*'", "[2.0]", "list"]),
    ('Value(1.0) / "2"', TypeError, ["'/'", "'2'"]),
    ("Value(1.0) + True", TypeError, ["'+'", "True", "bool"]),
    ('Value(2.0) ** "x"', TypeError, ["'**'", "str"]),
]


@pytest.mark.parametrize(("expression", "exception_type", "fragments"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_name_the_op_and_the_values(expression, exception_type, fragments):
    message = error_message(exception_type, lambda: eval(expression, {"Value": Value, "math": math}))
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_exp_just_below_the_overflow_limit_works():
    assert math.isfinite(Value(709.0).exp().data)


# ------------------------------------------------------------ repr
def test_repr_shows_data_grad_op_and_label():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    e = a * b
    e.label = "e"
    assert repr(e) == "Value(data=-6.0, grad=0.0, op='*', label='e')"
    e.backward()
    assert repr(e) == "Value(data=-6.0, grad=1.0, op='*', label='e')"
    assert repr(a) == "Value(data=2.0, grad=-3.0, label='a')"
    assert repr(Value(3)) == "Value(data=3.0, grad=0.0)"
    assert repr(Value(1.0).tanh()) == "Value(data=0.761594, grad=0.0, op='tanh')"
    assert repr(Value(1e-8)) == "Value(data=1e-08, grad=0.0)"
    assert repr(Value(2.0) ** 2) == "Value(data=4.0, grad=0.0, op='**2.0')"


# ------------------------------------------------------------ numerical edge cases
@pytest.mark.parametrize(("a", "b"), [(1e-300, 1e-300), (1.0, 1e-200)])
def test_division_by_a_tiny_nonzero_number(a, b):
    try:
        out = Value(a) / Value(b)
    except (ZeroDivisionError, OverflowError, ValueError) as error:
        assert "'/'" in str(error), f"a bare error, not naming the op: {error!r}"
    else:
        assert out.data == a / b
        assert out.local_grads[0] == 1.0 / b


@pytest.mark.parametrize("k", [math.nan, math.inf])
def test_a_non_finite_number_exponent_is_refused(k):
    with pytest.raises(ValueError, match=r"'\*\*"):
        Value(2.0) ** k
