"""Value.backward_steps(): one node at a time, and the same grads as backward()."""

from __future__ import annotations

import json
import math
import random
import re

import pytest

import viz
from tinygrad_edu import Value
from tinygrad_edu.engine import DERIVATIVE_RULES
from tinygrad_edu.nn import MLP
from tinygrad_edu.recording import tape
from tinygrad_edu.stepping import (
    BackwardStep,
    backward_steps,
    expression,
    forward_steps,
    operand_names,
    rule_text,
)


# ------------------------------------------------------------------ graphs
# Each builder takes the leaf numbers and returns (output, leaves), so the
# same graph can be built twice: once for backward(), once for the steps.
def karpathy_small(xs=(2.0, -3.0, 10.0, -2.0)):
    a, b, c, f = (Value(x, label=n) for x, n in zip(xs, "abcf"))
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    return L, [a, b, c, f]


def neuron(xs=(2.0, 0.0, -3.0, 1.0, 6.8813735870195432)):
    x1, x2, w1, w2, b = (Value(x, label=n) for x, n in zip(xs, ["x1", "x2", "w1", "w2", "b"]))
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.label = "o"
    return o, [x1, x2, w1, w2, b]


def reused(xs=(3.0,)):
    a = Value(xs[0], label="a")
    b = a + a  # the same parent twice
    c = b + b
    return c * a, [a]


def fan_out(xs=(0.5, -1.5)):
    x, y = Value(xs[0], label="x"), Value(xs[1], label="y")
    s = x * y
    out = s.exp() + s.sigmoid() * x - (s / y) ** 2 + (x + x) * x
    return out, [x, y]


def fused(xs=(0.3, -0.7, 1.2, 0.4, 2.0)):
    w1, w2, x1, x2, c = (Value(x) for x in xs)
    z = Value.dot([w1, w2], [x1, x2])
    total = Value.sum([z, w1 * c, x2, z.relu(), z.abs()])
    return total.log() if total.data > 0 else total, [w1, w2, x1, x2, c]


def every_unary(xs=(0.8, 1.7)):
    a, b = Value(xs[0], label="a"), Value(xs[1], label="b")
    parts = [a.exp(), a.log(), a.tanh(), a.sigmoid(), (-a).relu(), a.relu(), (-a).abs(), a.sqrt(), -a]
    parts += [a**2, a**-1, a**0.5, a**b, 2**a, a / b, a - b]
    return Value.sum(parts), [a, b]


GRAPHS = [karpathy_small, neuron, reused, fan_out, fused, every_unary]


def grads_by_position(root):
    return [v.grad for v in root.topological_order()]


@pytest.mark.parametrize("build", GRAPHS, ids=lambda f: f.__name__)
def test_last_step_leaves_the_grads_of_backward(build):
    expected, _ = build()
    expected.backward()
    stepped, _ = build()
    steps = list(stepped.backward_steps())
    assert len(steps) == len(stepped.topological_order())
    # Bit for bit: same order, same multiply-accumulate.
    assert grads_by_position(stepped) == grads_by_position(expected)


def test_steps_on_an_mlp_loss_match_backward():
    def build():
        random.seed(3)
        model = MLP(3, [4, 2], activations="tanh")
        out = model([0.5, -1.0, 2.0])
        return Value.sum([(o - t) ** 2 for o, t in zip(out, [1.0, -1.0])]), model

    loss, model = build()
    loss.backward()
    loss2, model2 = build()
    for _ in loss2.backward_steps():
        pass
    assert [p.grad for p in model2.parameters()] == [p.grad for p in model.parameters()]


def test_steps_accumulate_on_leaves_and_reset_intermediates_like_backward():
    expected, _ = neuron()
    expected.backward()
    expected.backward()
    stepped, _ = neuron()
    stepped.backward()
    list(stepped.backward_steps())  # the second pass, by steps
    assert grads_by_position(stepped) == grads_by_position(expected)


def test_each_step_is_one_node_in_reverse_topological_order():
    L, _ = karpathy_small()
    order = L.topological_order()
    steps = list(L.backward_steps())
    assert [s.node for s in steps] == order[::-1]
    assert [s.index for s in steps] == list(range(len(order)))
    assert all(s.total == len(order) for s in steps)
    assert steps[0].is_output and not any(s.is_output for s in steps[1:])
    for step in steps:
        assert isinstance(step, BackwardStep)
        assert step.node_index == order.index(step.node)
        assert [u.parent for u in step.updates] == list(step.node.parents)
        for u in step.updates:
            assert u.local_grad == step.node.local_grads[u.position]
            assert u.after == u.before + u.local_grad * step.grad
            assert math.isclose(u.contribution, u.local_grad * step.grad)
            assert order[u.parent_index] is u.parent


def test_the_steps_are_lazy():
    L, (a, b, c, f) = karpathy_small()
    steps = L.backward_steps()
    first = next(steps)
    assert first.node is L and L.grad == 1.0
    assert f.grad == 4.0  # L = d * f passed its grad on...
    assert a.grad == 0.0  # ...but nothing has reached a yet
    list(steps)
    assert a.grad == 6.0


def test_step_texts_name_the_rule_the_numbers_and_the_grads():
    L, _ = karpathy_small()
    steps = list(L.backward_steps())
    assert str(steps[0]).splitlines() == [
        "node L is the output: the output's grad starts at 1 (dL/dL = 1); "
        "leaf grads add up, so zero them before comparing with backward()",
        "node L (d*f = -8.0) passes grad 1.0 to d: d(d*f)/dd = f = -2.0; d.grad 0.0 -> -2.0 (+= -2.0 * 1.0)",
        "node L (d*f = -8.0) passes grad 1.0 to f: d(d*f)/df = d = 4.0; f.grad 0.0 -> 4.0 (+= 4.0 * 1.0)",
    ]
    e_step = next(s for s in steps if s.node.label == "e")
    assert str(e_step).splitlines()[0] == (
        "node e (a*b = -6.0) passes grad -2.0 to a: d(a*b)/da = b = -3.0; a.grad 0.0 -> 6.0 (+= -3.0 * -2.0)"
    )
    d_step = next(s for s in steps if s.node.label == "d")
    assert "node d (e + c = 4.0) passes grad -2.0 to e: d(e + c)/de = 1; e.grad 0.0 -> -2.0" in str(d_step)
    leaf = steps[-1]
    assert str(leaf) == "leaf a (an input or a parameter) ends with grad 6.0: no parents to pass it on to"


def test_unlabelled_nodes_are_named_by_their_topological_position():
    x = Value(3.0)
    y = x.tanh() * 2
    steps = list(y.backward_steps())
    order = y.topological_order()
    tanh_index = order.index(y.parents[0])
    t, x_at = f"#{tanh_index}", f"#{order.index(x)}"
    two = f"#{order.index(y.parents[1])}"
    assert f"to {t}: d({t}*{two})/d{t} = {two} = 2.0" in str(steps[0])
    tanh_step = next(s for s in steps if s.node.op == "tanh")
    assert f"node {t} (tanh({x_at}) = " in str(tanh_step)
    assert f"d(tanh({x_at}))/d{x_at} = 1 - tanh({x_at})**2 = 1 - {t}**2 = " in str(tanh_step)


def test_formulas_use_the_operands_names_never_the_generic_ones():
    """A user's own `a` next to the rule's generic `a` misled a learner."""
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    total = b * a + c  # b is the first operand here
    total.label = "a*b"  # a label that is an expression: put in parentheses
    L = total.tanh()
    L.label = "L"
    text = "\n".join(str(s) for s in L.backward_steps())
    assert "d(tanh(a*b))/d(a*b) = 1 - tanh(a*b)**2 = 1 - L**2 = " in text
    assert "d(#2 + c)/d#2 = 1" in text
    assert "node #2 (b*a = -6.0) passes grad" in text and "d(b*a)/db = a = 2.0" in text
    assert "d(b*a)/da = b = -3.0" in text
    assert not re.search(r"\bout\b", text) and "(as " not in text


def test_a_repeated_operand_says_which_edge_it_is():
    x = Value(3.0, label="x")
    text = str(next((x * x).backward_steps()))
    assert "to x (operand 1): d(x*x)/dx = x = 3.0" in text
    assert "to x (operand 2): d(x*x)/dx = x = 3.0" in text


def test_stepping_after_backward_doubles_the_leaves_unless_zeroed():
    first, leaves = neuron()
    first.backward()
    once = [v.grad for v in leaves]
    steps = list(first.backward_steps())  # a second pass adds to the leaves, as backward() would
    assert [v.grad for v in leaves] == [2 * g for g in once]
    assert "zero them before comparing with backward()" in str(steps[0]).splitlines()[0]
    steps = list(first.backward_steps(zero_grad=True))
    assert [v.grad for v in leaves] == once
    assert "the leaves' grads were set to 0 first" in str(steps[0]).splitlines()[0]
    with pytest.raises(TypeError, match="backward_steps: zero_grad must be True or False, got 'yes'"):
        first.backward_steps(zero_grad="yes")


def test_rule_texts_come_from_the_engine_table():
    assert rule_text("*", 0, 2) == DERIVATIVE_RULES["*"][0] == "b"
    assert rule_text("/", 1, 2) == DERIVATIVE_RULES["/"][1]
    assert rule_text("**3.0", 0, 1) == "3.0*a**(3.0-1)"
    assert rule_text("sum", 4, 7) == DERIVATIVE_RULES["sum"][0]
    assert rule_text("dot", 0, 4) == "x0" and rule_text("dot", 3, 4) == "w1"
    assert operand_names("dot", 6) == ["w0", "w1", "w2", "x0", "x1", "x2"]
    assert expression("neg", 1) == "-a" and expression("**", 2) == "a**b"


def test_every_op_the_engine_makes_has_a_rule_text():
    a, b = Value(0.7), Value(1.3)
    nodes = [a + b, a - b, a * b, a / b, a**b, a**2, -a, a.exp(), a.log(), a.tanh(), a.sigmoid()]
    nodes += [a.relu(), a.abs(), a.sqrt(), Value.sum([a, b]), Value.dot([a], [b])]
    for node in nodes:
        for position in range(len(node.parents)):
            text = rule_text(node.op, position, len(node.parents))
            assert not text.startswith("(no rule"), node.op
    for step in Value.sum(nodes).backward_steps():
        assert "no rule" not in str(step)


def test_dot_steps_use_the_matching_entry_of_the_other_vector():
    w = [Value(2.0, label="w"), Value(3.0, label="v")]
    x = [Value(4.0, label="p"), Value(5.0, label="q")]
    y = Value.dot(w, x)
    text = str(next(y.backward_steps()))
    assert "node #4 (w*p + v*q = 23.0)" in text
    assert "to w: d(w*p + v*q)/dw = p = 4.0" in text
    assert "to q: d(w*p + v*q)/dq = v = 3.0" in text


def test_grads_agree_with_central_differences():
    def f(xs):
        out, _ = neuron(xs)
        return out.data

    point = [2.0, 0.0, -3.0, 1.0, 6.8813735870195432]
    out, leaves = neuron(point)
    list(out.backward_steps())
    h = 1e-6
    for i, leaf in enumerate(leaves):
        up = point.copy()
        down = point.copy()
        up[i] += h
        down[i] -= h
        numeric = (f(up) - f(down)) / (2 * h)
        assert math.isclose(leaf.grad, numeric, rel_tol=1e-6, abs_tol=1e-8), leaf.label


def test_grads_agree_with_torch():
    torch = pytest.importorskip("torch")
    point = [0.5, -1.5]
    out, leaves = fan_out(point)
    list(out.backward_steps())
    x, y = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point)
    s = x * y
    t_out = s.exp() + torch.sigmoid(s) * x - (s / y) ** 2 + (x + x) * x
    t_out.backward()
    assert math.isclose(out.data, t_out.item(), rel_tol=1e-12)
    assert math.isclose(leaves[0].grad, x.grad.item(), rel_tol=1e-12)
    assert math.isclose(leaves[1].grad, y.grad.item(), rel_tol=1e-12)


def test_forward_steps_replay_the_numbers_in_topological_order():
    L, (a, b, c, f) = karpathy_small()
    lines = [str(s) for s in forward_steps(L, params=[f])]
    assert lines == [
        "a = 2.0 (an input)",
        "b = -3.0 (an input)",
        "e = a * b = 2.0 * (-3.0) = -6.0",
        "c = 10.0 (an input)",
        "d = e + c = (-6.0) + 10.0 = 4.0",
        "f = -2.0 (a parameter)",
        "L = d * f = 4.0 * (-2.0) = -8.0",
    ]
    assert L.grad == 0.0  # replaying the forward pass computes nothing


def test_backward_steps_of_a_leaf_and_of_a_non_value():
    x = Value(2.0, label="x")
    (step,) = list(x.backward_steps())
    assert x.grad == 1.0 and step.is_output and not step.updates
    from tinygrad_edu.stepping import backward_steps

    with pytest.raises(TypeError, match="expected a Value"):
        list(backward_steps(2.0))


def test_a_node_with_grad_zero_says_it_has_nothing_to_pass_and_changes_nothing():
    # relu(x) at x < 0 passes 0 back: backward() skips the edges of the '*' below it.
    x, w = Value(-2.0, label="x"), Value(3.0, label="w")
    h = x * w
    h.label = "h"
    out = h.relu() + w
    steps = {s.name: s for s in out.backward_steps()}
    assert steps["h"].grad == 0.0
    text = str(steps["h"])
    assert text == "node h (x*w = -6.0) has grad 0, nothing to pass to x, w"
    assert all(u.before == u.after for u in steps["h"].updates)
    assert (x.grad, w.grad) == (0.0, 1.0)
    expected_x, expected_w = Value(-2.0), Value(3.0)
    ((expected_x * expected_w).relu() + expected_w).backward()
    assert (x.grad, w.grad) == (expected_x.grad, expected_w.grad)


def test_anomaly_mode_still_checks_the_edges_of_a_node_with_grad_zero():
    from tinygrad_edu import detect_anomaly

    x = Value(-2.0)
    h = x * 3.0
    out = h.relu() * 5.0
    for run in (lambda: out.backward(), lambda: list(out.backward_steps())):
        x.grad = float("nan")  # set by hand; h's grad is 0, yet the mode checks its edges as before
        with pytest.raises(FloatingPointError, match="backward through '\\*'"), detect_anomaly():
            run()
        x.grad = 0.0


# ------------------------------------------------ one topological order
def _made_on_a_tape():
    """A graph whose tape order (c first) is not its depth-first order (d first)."""
    a, b, x, y = (Value(v, label=n) for v, n in [(2.0, "a"), (-3.0, "b"), (0.5, "x"), (4.0, "y")])
    c = a * b
    d = x + y
    L = d * c
    L.label = "L"
    return L


def test_steps_inside_a_tape_number_nodes_by_the_topological_order():
    """The stepping page numbers nodes by the topological order; backward_steps
    numbered them by the tape's order when the output was made inside a
    running tape(), so the page lit 4 of 7 backward steps on the wrong box."""
    with tape():
        L = _made_on_a_tape()
        order = L.topological_order()
        steps = list(L.backward_steps())  # fresh leaves: from zero, as the page
        page = viz.stepping_page(L)
        assert [v.label or v.op for v in order] == ["x", "y", "+", "a", "b", "*", "L"]
        assert [s.node.label or s.node.op for s in steps] == [
            "L",
            "+",
            "*",
            "b",
            "a",
            "y",
            "x",
        ]  # the tape's walk
    for s in steps:
        assert s.node_index == order.index(s.node)
        assert all(u.parent_index == order.index(u.parent) for u in s.updates)
    frames = json.loads(re.search(r'id="frames">(.*?)</script>', page, re.S).group(1))["frames"]
    n = len(order)
    assert [f["node"] for f in frames[n:]] == [order.index(s.node) for s in steps]
    assert [f["text"] for f in frames[n:]] == [str(s) for s in steps]  # '#i' names as the drawing's
    assert [v.grad for v in order[:2]] == [-6.0, -6.0]  # x and y: d(d*c)/dx = c = a*b


def test_order_is_checked_and_spares_a_walk(monkeypatch):
    L = _made_on_a_tape()
    order = L.topological_order()
    given = [str(s) for s in forward_steps(L, order=order)]
    assert given == [str(s) for s in forward_steps(L)]
    walks = []
    real = Value.topological_order
    monkeypatch.setattr(
        Value, "topological_order", lambda self, *a, **k: walks.append(self) or real(self, *a, **k)
    )
    assert [str(s) for s in backward_steps(L, order=order, zero_grad=True)] == [
        str(s) for s in backward_steps(L, order=list(order), zero_grad=True)
    ]
    assert walks == []  # given the order, neither walks the graph
    viz.stepping_page(L)
    assert walks == [L]  # the page: one walk, shared by the steps and the drawing
    bad = [
        (order[::-1], "comes before its parent"),
        (order[:-1], "does not hold the output"),
        ([*order[:3], order[2], *order[3:]], "holds a Value twice"),
        ([Value(9.0), *order], "1 Value\\(s\\) the output does not depend on"),
        ([*order[:-1], 3.0, order[-1]], "must be a list of Values, got 3.0 at position 6"),
    ]
    for wrong, message in bad:
        with pytest.raises((ValueError, TypeError), match=message):
            backward_steps(L, order=wrong)
        with pytest.raises((ValueError, TypeError), match=message):
            list(forward_steps(L, order=wrong))
    with pytest.raises(TypeError, match="backward_steps: order= must be a list of Values, got Value"):
        backward_steps(L, order=L)


def test_a_cross_entropy_step_shows_softmax_minus_one_hot_for_each_logit():
    from tinygrad_edu.functional import cross_entropy

    z = [Value(2.0, label="z_cat"), Value(1.0, label="z_dog")]
    loss = cross_entropy(z, 0)
    texts = [str(step) for step in loss.backward_steps()]
    cat = next(t for t in texts if "to z_cat" in t)
    dog = next(t for t in texts if "to z_dog" in t)
    assert "softmax(z)_0 - (1 if 0 is the target else 0) = -0.268941" in cat  # p_cat - 1
    assert "softmax(z)_1 - (1 if 1 is the target else 0) = 0.268941" in dog  # p_dog
    assert z[0].grad == pytest.approx(-z[1].grad, rel=1e-15)  # the two probabilities sum to 1
