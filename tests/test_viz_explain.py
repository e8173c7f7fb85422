"""explain_grad: a node's grad is the sum of what its users hand back, exactly."""

from __future__ import annotations

import random

import pytest

import viz
from demos.neuron import build_neuron
from tinygrad_edu import Value
from tinygrad_edu.nn import MLP


def test_a_node_used_three_times_gets_three_terms_that_add_up_to_its_grad_exactly():
    x = Value(0.7, label="x")
    y = Value(-1.3, label="y")
    h = x * y  # use 1
    g = x.tanh()  # use 2
    k = (x + 2.0) ** 2  # use 3
    out = (h + g) * k + h.sigmoid()
    out.label = "out"
    out.backward()
    why = viz.explain_grad(x, out)
    assert len(why.contributions) == 3
    assert [c.user for c in why.contributions] == [k.parents[0], g, h]  # backward()'s order: last user first
    assert why.total == x.grad  # not approximately: the same additions in the same order
    assert sum(c.value for c in why.contributions) == pytest.approx(x.grad, rel=1e-12)
    for c in why.contributions:
        assert c.value == c.user.grad * c.local_grad
    # An intermediate used twice (h feeds '+' and sigmoid) explains itself the same way.
    assert viz.explain_grad(h, out).total == h.grad


def test_a_node_used_twice_by_one_op_gets_a_term_per_operand():
    a = Value(3.0, label="a")
    sq = a * a
    sq.backward()
    why = viz.explain_grad(a, sq)
    assert [c.operand for c in why.contributions] == ["a", "b"]
    assert why.total == a.grad == 6.0


def test_every_node_of_real_graphs_is_explained_exactly():
    random.seed(3)
    model = MLP(2, [4, 4, 1])
    o, _params = build_neuron()
    loss = (model([0.5, -1.0])[0] - 1.0) ** 2
    for root in (o, loss):
        root.backward()
        for v in root.topological_order():
            assert viz.explain_grad(v, root).total == v.grad, v


def test_the_text_names_each_user_and_the_numbers():
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    L = (a * b + c).tanh()
    L.label = "L"
    L.backward()
    order = L.topological_order()
    plus = order.index(L.parents[0])
    text = str(viz.explain_grad(L.parents[0], L))
    lines = text.splitlines()
    assert lines[0].startswith(f"#{plus}.grad = 0.00134095, the sum over the 1 place #{plus} is used")
    assert lines[1] == (
        f"  from L (tanh(#{plus})): 1.0 x 0.00134095 = 0.00134095"
        f"   [d(tanh(#{plus}))/d#{plus} = 1 - tanh(#{plus})**2 = 1 - L**2]"
    )
    assert lines[-1] == "  total: 0.00134095"
    assert str(viz.explain_grad(L, L)) == "L.grad = 1.0: it is the output, dL/dL = 1"
    assert viz.explain_grad(L, L).total == 1.0


def test_an_accumulated_leaf_grad_is_not_passed_off_as_the_sum():
    w = Value(3.0, label="w")
    loss = w * w
    loss.backward()
    loss.backward()  # leaf grads accumulate: 12, while one pass's terms sum to 6
    why = viz.explain_grad(w, loss)
    assert why.total == 6.0 and why.grad == 12.0
    assert "differs by 6.0" in str(why) and "accumulate" in str(why)


def test_a_node_outside_the_graph_is_refused_by_name():
    a = Value(1.0, label="stray")
    out = Value(2.0) * 3
    with pytest.raises(ValueError, match="explain_grad: the Value labelled 'stray' is not in the graph"):
        viz.explain_grad(a, out)
