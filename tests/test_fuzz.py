"""Fuzzing the engine with random expression graphs (hypothesis).

test_engine.py already checks random *compositions*: short programs where
each op takes one or two recent nodes. The graphs here are built to stress
what that leaves out:

* heavy sharing: most operands are drawn from a few "hot" nodes, so the same
  node feeds many ops (and the same op twice, ``x * x``, ``dot([a, a], [a, b])``),
  and the output sums *every* op node, so each one is reached by many paths;
* the fused n-ary ops mixed in with the rest: `Value.sum` with numbers and
  repeated operands, `Value.dot` with and without a bias, `Value.linear`
  (several output nodes at once, sharing x), with constants as entries;
* constants on either side of every binary op (``2 - v``, ``0.5 ** v``: the
  reflected forms).

Three properties: backward() matches central finite differences; a graph is
freed by reference counting alone once its output is dropped (the cyclic
garbage collector switched off); `backward_steps()` ends with exactly the
grads of backward(). Examples are derandomized: the same on every run.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Sequence

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tinygrad_edu import Value, detect_anomaly, no_grad

CONSTANTS = (-2.0, -0.5, 0.5, 1.5, 3.0)
EXPONENTS = (2, 3, -1, -2, 0.5, 1.5, -0.5)
UNARY = ("neg", "exp", "log", "tanh", "sigmoid", "relu", "abs", "sqrt")
BINARY = ("+", "-", "*", "/", "**")
NARY = ("sum", "dot", "dot+b", "linear", "linear+b", "linear_batch")
OPS = (*UNARY, *BINARY, "**k", *NARY)

MARGIN = 0.05  # keep relu/abs inputs, divisors, log/sqrt arguments this far from 0
BIG = 1e4  # reject examples whose values or gradients are larger: too steep to difference


class Reject(Exception):
    """The point is too near a kink or a domain edge, or the function too steep."""


# ------------------------------------------------------------ building a graph
def number(x) -> float:
    return x.data if isinstance(x, Value) else float(x)


def away_from_zero(x) -> None:
    if abs(number(x)) < MARGIN:
        raise Reject


def positive(x):
    """x or -x, whichever is positive: smooth while x stays away from 0."""
    away_from_zero(x)
    return x if number(x) > 0 else -x


def build(program: Sequence[tuple], inputs: Sequence[Value]) -> Value:
    """Run `program` on `inputs`; the output is the sum of every op node.

    Each instruction is (op, operand specs, extra); a spec is ("v", i) for
    pool[i] (the inputs, then every node made so far) or ("c", number). A
    last ("root", order, None) gives the order in which the sum reads the op
    nodes: another order than the one they were made in, so that a walk in
    creation order (a tape) and the depth-first one add up differently.
    """
    pool: list = list(inputs)
    order = None
    if program and program[-1][0] == "root":
        program, order = program[:-1], program[-1][1]

    def operand(spec):
        kind, x = spec
        return pool[x] if kind == "v" else x

    for op, specs, extra in program:
        args = [operand(s) for s in specs]
        if op == "neg":
            outs = [-args[0]]
        elif op in ("log", "sqrt"):
            outs = [getattr(positive(args[0]), op)()]
        elif op in ("relu", "abs"):
            away_from_zero(args[0])
            outs = [getattr(args[0], op)()]
        elif op == "exp":
            if number(args[0]) > 5.0:
                raise Reject
            outs = [args[0].exp()]
        elif op in UNARY:
            outs = [getattr(args[0], op)()]
        elif op == "+":
            outs = [args[0] + args[1]]  # a number on the left runs __radd__
        elif op == "-":
            outs = [args[0] - args[1]]
        elif op == "*":
            outs = [args[0] * args[1]]
        elif op == "/":
            away_from_zero(args[1])
            outs = [args[0] / args[1]]
        elif op == "**":  # a positive base to a Value (or number) exponent; 1.5 ** v runs __rpow__
            outs = [positive(args[0]) ** args[1]]
        elif op == "**k":
            k = extra
            base = args[0] if float(k).is_integer() and k > 0 else positive(args[0])
            outs = [base**k]
        elif op == "sum":
            outs = [Value.sum(args)]
        elif op in ("dot", "dot+b"):
            n = extra
            bias = args[2 * n] if op == "dot+b" else None
            outs = [Value.dot(args[:n], args[n : 2 * n], bias)]
        elif op in ("linear", "linear+b"):
            rows, n = extra
            matrix = [args[r * n : (r + 1) * n] for r in range(rows)]
            xs = args[rows * n : rows * n + n]
            biases = args[rows * n + n :] if op == "linear+b" else None
            outs = Value.linear(matrix, xs, biases)
        elif op == "linear_batch":  # rows x n matrix, a batch of vectors of n, rows biases
            rows, n, batch = extra
            matrix = [args[r * n : (r + 1) * n] for r in range(rows)]
            start = rows * n
            xs = [args[start + b * n : start + (b + 1) * n] for b in range(batch)]
            outs = [y for ys in Value.linear_batch(matrix, xs, args[start + batch * n :]) for y in ys]
        else:  # pragma: no cover
            raise AssertionError(op)
        for out in outs:
            if not isinstance(out, Value):  # every instruction reads at least one node
                raise AssertionError(f"{op} made a number")
            if abs(out.data) > BIG:
                raise Reject
        pool.extend(outs)
    made = pool[len(inputs) :]
    if order is not None:
        made = [made[i] for i in order if i < len(made)] + made[len(order) :]
    root = Value.sum(made) + made[-1] * made[-1]  # every op node reaches the root, the last one by 3 paths
    if abs(root.data) > BIG:
        raise Reject
    return root


@st.composite
def programs(draw, n_inputs: int, max_ops: int = 12):
    """A program for `build` whose operands keep coming back to a few hot nodes."""
    program = []
    size = n_inputs  # the pool grows by one node per op (by `rows` for linear)
    for _ in range(draw(st.integers(3, max_ops))):
        hot = sorted({0, min(1, size - 1), size - 1})  # the first inputs and the newest node
        node = st.one_of(st.sampled_from(hot), st.sampled_from(hot), st.integers(0, size - 1)).map(
            lambda i: ("v", i)
        )
        const = st.sampled_from(CONSTANTS).map(lambda c: ("c", c))
        entry = st.one_of(node, node, const)
        op = draw(st.sampled_from(OPS))
        extra = None
        if op in UNARY:
            specs = [draw(node)]
        elif op == "**k":
            specs, extra = [draw(node)], draw(st.sampled_from(EXPONENTS))
        elif op == "**":
            if draw(st.booleans()):  # c ** v: a positive constant base
                specs = [("c", draw(st.sampled_from((0.5, 1.5, 3.0)))), draw(node)]
            else:
                specs = [draw(node), draw(entry)]
        elif op in BINARY:
            specs = [draw(entry), draw(node)]
            if draw(st.booleans()):
                specs.reverse()  # the constant (if any) on either side
        elif op == "sum":
            specs = [*draw(st.lists(entry, max_size=6)), draw(node)]
        elif op in ("dot", "dot+b"):
            n = draw(st.integers(1, 3))
            specs = [draw(entry) for _ in range(2 * n - 1)] + [draw(node)]
            if op == "dot+b":
                specs.append(draw(entry))
            extra = n
        elif op == "linear_batch":
            rows, n, batch = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
            specs = [draw(entry) for _ in range(rows * n + batch * n - 1)] + [draw(node)]
            specs += [draw(entry) for _ in range(rows)]
            extra = (rows, n, batch)
        else:  # linear, linear+b: rows x n matrix, an x of n, maybe rows biases
            rows, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
            specs = [draw(entry) for _ in range(rows * n + n - 1)] + [draw(node)]
            if op == "linear+b":
                specs += [draw(entry) for _ in range(rows)]
            extra = (rows, n)
        program.append((op, tuple(specs), extra))
        size += extra[0] * extra[2] if op == "linear_batch" else extra[0] if op.startswith("linear") else 1
    program.append(("root", tuple(draw(st.permutations(range(size - n_inputs)))), None))
    return tuple(program)


@st.composite
def cases(draw, max_inputs: int = 4):
    n_inputs = draw(st.integers(2, max_inputs))
    point = tuple(draw(st.floats(-2.0, 2.0, allow_nan=False)) for _ in range(n_inputs))
    return draw(programs(n_inputs)), point


def build_or_reject(program, inputs) -> Value:
    try:
        return build(program, inputs)
    except Reject:
        assume(False)


# derandomize: the same examples on every run and machine (no flaky CI).
FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)


# ------------------------------------------------------------ property 1: gradients
def value_at(program, point) -> float:
    with no_grad():  # numbers only
        return build(program, [Value(x) for x in point]).data


@FUZZ
@given(case=cases())
def test_backward_matches_finite_differences_on_shared_graphs(case):
    program, point = case
    inputs = [Value(x) for x in point]
    root = build_or_reject(program, inputs)
    root.backward()
    assume(all(abs(x.grad) < BIG for x in inputs))
    h = 1e-6
    for i, x in enumerate(inputs):
        try:
            plus = value_at(program, [*point[:i], point[i] + h, *point[i + 1 :]])
            minus = value_at(program, [*point[:i], point[i] - h, *point[i + 1 :]])
        except Reject:  # the nudge crossed into a rejected region: no reference to compare with
            assume(False)
        numeric = (plus - minus) / (2 * h)
        scale = max(1.0, abs(numeric), abs(x.grad))
        assert abs(x.grad - numeric) <= 1e-5 * scale, (
            f"input {i} of {point}: backward {x.grad!r}, finite differences {numeric!r}\n{program}"
        )


def test_the_graphs_really_are_shared_and_mixed():
    """The strategy makes what the docstring promises: nodes used many times,
    n-ary ops among the rest, constants on both sides."""
    fan_outs, ops, reflected, shuffled = [], set(), 0, 0

    @FUZZ
    @given(case=cases())
    def collect(case):
        nonlocal reflected, shuffled
        program, point = case
        order = program[-1][1]
        shuffled += order != tuple(sorted(order))
        try:
            root = build(program, [Value(x) for x in point])
        except Reject:
            return
        uses: dict[Value, int] = {}
        for node in root.topological_order():
            for parent in node.parents:
                uses[parent] = uses.get(parent, 0) + 1
            ops.add(node.op if not node.op.startswith("**") or node.op == "**" else "**k")
        fan_outs.append(max(uses.values()))
        reflected += any(op in BINARY and specs[0][0] == "c" for op, specs, _ in program)

    collect()
    assert {*UNARY, *BINARY, "**k", "sum", "dot"} <= ops
    fan_outs.sort()
    assert fan_outs[len(fan_outs) // 2] >= 4  # half the graphs have a node used 4 times or more
    assert fan_outs[3 * len(fan_outs) // 4] >= 6  # a quarter, 6 times or more
    # a share, not a count: how many examples build depends on what ran before (11 of 137
    # after the whole suite, 18 of 112 alone, since linear_batch joined the ops)
    assert reflected >= 0.05 * len(fan_outs)
    assert shuffled >= 100  # the root reads the op nodes in another order than they were made


# ------------------------------------------------------------ property 2: freed by refcounting
def make_graph(program, point, how: str):
    """Build, run `how` ('none', 'backward', 'steps'), return weak references
    to every node; nothing else is kept."""
    root = build(program, [Value(x) for x in point])
    if how == "backward":
        root.backward()
    elif how == "steps":
        steps = list(root.backward_steps())  # each step holds nodes too
        assert steps
        del steps
    return [weakref.ref(v) for v in root.topological_order()]


@FUZZ
@given(case=cases(), how=st.sampled_from(["none", "backward", "steps"]), anomaly=st.booleans())
def test_a_dropped_graph_is_freed_without_the_garbage_collector(case, how, anomaly):
    program, point = case
    was_enabled = gc.isenabled()
    gc.disable()  # from here on only reference counting frees anything
    try:
        try:
            if anomaly:  # the mode's bookkeeping (where each node was made) must not keep it alive
                with detect_anomaly():
                    refs = make_graph(program, point, how)
            else:
                refs = make_graph(program, point, how)
        except Reject:
            refs = None
        if refs is not None:
            alive = [r() for r in refs if r() is not None]
            assert not alive, f"{len(alive)} of {len(refs)} nodes outlived their graph: {alive[:3]}"
    finally:
        if was_enabled:
            gc.enable()
    assume(refs is not None)


# ------------------------------------------------------------ property 3: steps == backward
@FUZZ
@given(case=cases(), twice=st.booleans())
def test_backward_steps_ends_with_the_grads_of_backward(case, twice):
    program, point = case
    a_inputs, b_inputs = [Value(x) for x in point], [Value(x) for x in point]
    a, b = build_or_reject(program, a_inputs), build_or_reject(program, b_inputs)
    for _ in range(2 if twice else 1):  # twice: leaves accumulate, intermediates restart, in both
        a.backward()
        steps = list(b.backward_steps())
    a_order, b_order = a.topological_order(), b.topological_order()
    assert [v.op for v in a_order] == [v.op for v in b_order]
    assert len(steps) == len(b_order)
    # To the bit: the same walk, the same multiply-accumulate in the same order.
    assert [v.grad for v in a_order] == [v.grad for v in b_order]
    assert [x.grad for x in a_inputs] == [x.grad for x in b_inputs]


def test_backward_steps_matches_backward_where_use_order_differs_from_creation_order():
    """The random programs above use shared nodes in the order they were made,
    so a backward() that walked in creation order (instead of the stepper's
    depth-first order) would pass them. Here a, b, c are made in that order
    and used in the reverse one, with numbers for which the order of adding
    x's three contributions changes the last bit: stepping and backward()
    must add them in the same order to agree to the bit."""
    k = (1.6394127483935201, 1.814115305835207, 0.6892803817067319)
    m = (1.4866803216942444, 1.8077927471391877, 1.3995694706393385)

    def graph():
        x = Value(0.1)
        a, b, c = x * k[0], x * k[1], x * k[2]  # made a, b, c
        return x, Value.sum([c * m[2], b * m[1], a * m[0]])  # used c, b, a

    terms = [ki * mi for ki, mi in zip(k, m)]
    forwards, backwards = 0.0, 0.0
    for t in terms:
        forwards += t
    for t in reversed(terms):
        backwards += t
    assert forwards != backwards, "the numbers must make the order of addition matter"

    x1, out1 = graph()
    out1.backward()
    x2, out2 = graph()
    list(out2.backward_steps())
    assert x1.grad == x2.grad
    assert x1.grad in (forwards, backwards)
