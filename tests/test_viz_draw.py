"""viz.draw_dot: deterministic DOT, the styles, escaping, the node limit, modules."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

import viz
from tinygrad_edu import Value
from tinygrad_edu.nn import MLP, Layer, Neuron
from viz.draw import plain_text, record_text

GOLDEN = Path(__file__).parent / "golden" / "small_graph.dot"


def small_graph():
    """Karpathy's first graph, with a subtraction and an unlabelled node."""
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    f = Value(-2.0, label="f")
    e = a * b
    e.label = "e"
    d = e - c  # unlabelled: drawn as #4
    L = d * f
    L.label = "L"
    L.backward()
    return L, f


def node_lines(source: str) -> dict[str, str]:
    """name -> the DOT line declaring that node."""
    lines = {}
    for line in source.splitlines():
        match = re.match(r"\s*(\w+) \[", line)
        if match:
            lines[match.group(1)] = line.strip()
    return lines


def test_dot_source_matches_the_golden_file():
    L, f = small_graph()
    source = viz.draw_dot(L, params=[f]).source
    # To update after an intended change: write `source` to GOLDEN and review the diff.
    assert source == GOLDEN.read_text(encoding="utf-8")


def test_same_graph_gives_byte_identical_dot_whatever_the_memory_layout():
    first = viz.draw_dot(small_graph()[0]).source
    _junk = [Value(float(i)) for i in range(1000)]  # different id()s next time
    second = viz.draw_dot(small_graph()[0]).source
    assert first == second
    assert "0x" not in first and str(id(_junk)) not in first


def test_nodes_are_numbered_in_topological_order_with_parents_in_operand_order():
    L, _ = small_graph()
    order = L.topological_order()
    source = viz.draw_dot(L).source
    for i, v in enumerate(order):
        assert f"\tn{i} [" in source
        if v.parents:
            for p in v.parents:
                assert f"n{order.index(p)} -> n{i}op" in source
            edges = [line for line in source.splitlines() if f"-> n{i}op" in line]
            assert [re.search(r"id=e\d+_(\d+)", e).group(1) for e in edges] == [
                str(k) for k in range(len(v.parents))
            ]
    # a - b: the edges say which operand is which.
    assert re.search(r"n2 -> n4op \[label=a", source) and re.search(r"n3 -> n4op \[label=b", source)


def test_a_topological_order_given_to_draw_dot_is_used_not_found_again(monkeypatch):
    L, _ = small_graph()
    order = L.topological_order()
    expected = viz.draw_dot(L).source

    def no_walk(*args, **kwargs):
        raise AssertionError("draw_dot walked the graph again")

    monkeypatch.setattr(Value, "topological_order", no_walk)
    assert viz.draw_dot(L, order=order).source == expected
    with pytest.raises(ValueError, match="draw_dot: order= does not hold the output"):
        viz.draw_dot(L, order=order[:-1])
    with pytest.raises(ValueError, match="draw_dot: order= is not a topological order"):
        viz.draw_dot(L, order=order[::-1])


def test_parameters_inputs_intermediates_and_the_output_look_different():
    L, f = small_graph()
    nodes = node_lines(viz.draw_dot(L, params=[f]).source)
    styles = {
        "parameter": nodes["n5"],  # f
        "input": nodes["n0"],  # a
        "intermediate": nodes["n2"],  # e
        "output": nodes["n6"],  # L
    }
    shapes_and_borders = {
        kind: (re.search(r"shape=(\w+)", line).group(1), re.search(r"style=(\S+)", line).group(1))
        for kind, line in styles.items()
    }
    assert len(set(shapes_and_borders.values())) == 4, shapes_and_borders
    assert "Mrecord" in styles["parameter"] and "dashed" in styles["input"]
    # Without params= every leaf is drawn as an input.
    assert "Mrecord" not in viz.draw_dot(L).source


def test_fill_shows_the_sign_and_size_of_the_grad():
    L, _ = small_graph()
    nodes = node_lines(viz.draw_dot(L).source)
    fill = {
        name: re.search(r'fillcolor="(#\w+)"', line).group(1)
        for name, line in nodes.items()
        if "fillcolor" in line
    }
    # a.grad = 6 (largest), b.grad = -4, e.grad = -2, f.grad = 12 ... compare through grad_color
    order = L.topological_order()
    scale = viz.draw.grad_scale(order, [L])
    for i, v in enumerate(order):
        assert fill[f"n{i}"] == viz.grad_color(v.grad, scale)
    red, green, blue = (int(viz.grad_color(1.0, 1.0)[k : k + 2], 16) for k in (1, 3, 5))
    assert blue > red  # positive: blue
    red, green, blue = (int(viz.grad_color(-1.0, 1.0)[k : k + 2], 16) for k in (1, 3, 5))
    assert red > blue  # negative: red
    assert viz.grad_color(0.0, 5.0) == "#ffffff"
    # A larger |grad| is deeper (further from white).
    assert sum(int(viz.grad_color(0.9, 1.0)[k : k + 2], 16) for k in (1, 3, 5)) < sum(
        int(viz.grad_color(0.1, 1.0)[k : k + 2], 16) for k in (1, 3, 5)
    )


def test_options_hide_grads_or_values():
    L, _ = small_graph()
    no_grad = viz.draw_dot(L, show_grad=False).source
    assert "grad " not in no_grad and "data " in no_grad
    no_data = viz.draw_dot(L, show_data=False).source
    assert "data " not in no_data and "grad " in no_data
    assert "cluster_legend" in viz.draw_dot(L, legend=True).source


def test_labels_with_special_characters_are_escaped_in_the_dot_source():
    nasty = 'a<b> & "c" {d|e}\nf\\g'
    x = Value(1.0, label=nasty)
    source = viz.draw_dot(x * 2).source
    assert record_text(nasty) in source
    assert record_text(nasty) == 'a\\<b\\>\\ &\\ \\"c\\"\\ \\{d\\|e\\}\\nf\\\\g'
    assert plain_text('say "hi"\n') == 'say \\"hi\\"\\n'
    # A label that looks like a Graphviz HTML label stays plain text.
    y = Value(1.0, label="<b>bold</b>")
    assert "label=<" not in viz.draw_dot(y).source


def test_the_node_limit_refuses_and_names_the_way_out():
    x = Value(0.5)
    for _ in range(400):
        x = x * 1.001
    # 801 values: the start, and 400 products each with its constant.
    with pytest.raises(ValueError, match=r"801 boxes .*max_nodes=300.*collapse='Neuron'"):
        viz.draw_dot(x)
    assert viz.draw_dot(x, max_nodes=801).source.count("->") == 400 * 3

    random.seed(0)
    model = MLP(4, [8, 8, 1])
    loss = model([0.1, 0.2, 0.3, 0.4])[0]
    n = len(loss.topological_order())
    with pytest.raises(ValueError, match=rf"{n} boxes .*Pass collapse='Neuron'"):
        viz.draw_dot(loss, group=model, max_nodes=20)
    with pytest.raises(ValueError, match="even with collapse='Neuron'"):
        viz.draw_dot(loss, group=model, collapse="Neuron", max_nodes=5)
    collapsed = viz.draw_dot(loss, group=model, collapse="Layer", max_nodes=20).source
    assert collapsed.count("shape=box3d") == 3


def mlp_with_loss():
    random.seed(1)
    model = MLP(2, [3, 1], activations="tanh")
    x = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    out = model(x)[0]
    loss = (out - Value(1.0, label="y")) ** 2 * 0.5
    loss.label = "loss"
    loss.backward()
    return model, x, out, loss


def test_assign_modules_follows_the_documented_heuristic_on_an_mlp():
    model, x, out, loss = mlp_with_loss()
    where = viz.assign_modules(loss, model)
    # Rule 1: parameters belong to their module.
    for i, neuron in enumerate(model.layers[0].neurons):
        for p in neuron.parameters():
            assert where[p] == f"layers.0.neurons.{i}"
    # Rule 2: each neuron's dot (w.x + b) uses its parameters.
    first = model.layers[0].neurons[0]
    dots = [v for v in loss.topological_order() if v.op == "dot" and v.parents[0] is first.weight[0]]
    assert len(dots) == 1 and where[dots[0]] == "layers.0.neurons.0"
    # Rule 3: the activation has no parameter parent; it inherits its parent's module.
    assert out.op == "dot" and where[out] == "layers.1.neurons.0"  # the linear output neuron
    hidden = [v for v in loss.topological_order() if v.op == "tanh"]
    assert sorted(where[h] for h in hidden) == [f"layers.0.neurons.{i}" for i in range(3)]
    # Rule 4: inputs belong to nobody; a labelled target pulls the loss out of the model,
    # while the unlabelled constant 0.5 takes no part.
    assert all(where[v] is None for v in x)
    assert where[loss] is None and where[loss.parents[0]] is None
    # Rule 5: an unlabelled target changes nothing: what comes after the model's output
    # belongs to no module (a learner found the loss drawn inside the last neuron).
    unlabelled = (out - 1.0) ** 2
    where = viz.assign_modules(unlabelled, model)
    assert where[unlabelled] is None and where[unlabelled.parents[0]] is None
    assert where[out] == "layers.1.neurons.0"


def test_the_last_neurons_own_activation_stays_in_its_box():
    random.seed(4)
    model = MLP(2, [2, 1], activations="tanh")
    model.layers[-1].neurons[0].activation = "sigmoid"
    out = model([0.5, -1.0])[0]
    loss = (out - 1.0) ** 2
    where = viz.assign_modules(loss, model)
    assert out.op == "sigmoid" and where[out] == "layers.1.neurons.0"
    assert where[loss] is None


def test_group_draws_clusters_and_collapse_draws_one_box_per_module():
    model, x, out, loss = mlp_with_loss()
    clusters = viz.draw_dot(loss, group=model).source
    assert clusters.count("subgraph cluster_m") == 2 + 3 + 1  # 2 layers, 3 + 1 neurons
    assert "layers.0.neurons.2: Neuron(2, tanh)" in clusters
    assert "weight[1]" in clusters and "bias" in clusters  # unlabelled parameters named

    boxes = viz.draw_dot(loss, group=model, collapse=Neuron).source
    assert boxes.count("shape=box3d") == 4
    assert boxes == viz.draw_dot(loss, group=model, collapse="Neuron").source
    nodes = node_lines(boxes)
    for name in ("weight", "dot", "tanh"):
        assert not any(name in line for key, line in nodes.items() if key.startswith("n")), name
    # Edges: the inputs go into every first-layer neuron box, those into the output neuron.
    order = loss.topological_order()
    assert all(f"n{order.index(v)} -> m" in boxes for v in x)
    assert len(re.findall(r"m\d+ -> m\d+", boxes)) == 3
    assert "{y|{data" in boxes and "{loss|{data" in boxes

    layers = viz.draw_dot(loss, group=model, collapse=(Layer,)).source
    assert layers.count("shape=box3d") == 2


GOLDEN_TOUR = Path(__file__).parent / "golden" / "readme_tour_loss_grouped.dot"


def readme_tour_loss():
    """The README's REPL tour, exactly: three SGD steps on MLP(2, [4, 1])."""
    from tinygrad_edu import functional as F
    from tinygrad_edu import optim

    random.seed(0)
    model = MLP(2, [4, 1])
    opt = optim.SGD(model.parameters(), lr=0.1)
    x, y = [0.5, -1.0], 1.0
    for _ in range(3):
        loss = F.mse(model(x), [y])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, loss


def test_the_grouped_drawing_of_the_readme_tour_loss_matches_the_golden_file():
    model, loss = readme_tour_loss()
    source = viz.draw_dot(loss, group=model, collapse="Neuron").source
    # The last neuron's box holds its own values only: weights, bias and its w.x + b.
    assert "layers.1.neurons.0\\nNeuron(4, linear)\\n6 values, 5 parameters" in source
    order = loss.topological_order()
    after = [v for v in order if v.op in ("-", "**2.0", "sum") or v is loss]
    assert after and all(f"\tn{order.index(v)} [" in source for v in after)  # drawn, outside every box
    # To update after an intended change: write `source` to GOLDEN_TOUR and review the diff.
    assert source == GOLDEN_TOUR.read_text(encoding="utf-8")


def test_group_and_collapse_refuse_wrong_arguments():
    model, _, _, loss = mlp_with_loss()
    with pytest.raises(ValueError, match="collapse=... needs group="):
        viz.draw_dot(loss, collapse="Neuron")
    with pytest.raises(TypeError, match="group= needs a tinygrad_edu.nn Module"):
        viz.draw_dot(loss, group=[1, 2])
    with pytest.raises(TypeError, match="collapse= takes Module classes"):
        viz.draw_dot(loss, group=model, collapse=3)
    with pytest.raises(TypeError, match="expected a Value"):
        viz.draw_dot("loss")


def test_several_outputs_in_one_drawing():
    random.seed(2)
    layer = Layer(2, 3)
    outs = layer([1.0, 2.0])
    source = viz.draw_dot(outs, params=layer).source
    assert source.count("penwidth=3") == 3  # three outputs
    assert source.count("shape=Mrecord") == len(layer.parameters())


def test_importing_tinygrad_edu_or_viz_does_not_import_graphviz():
    code = "import sys, tinygrad_edu, viz; print('graphviz' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_the_key_gives_each_swatch_its_own_sign():
    """Issue 24: "largest |grad| 0.0040" sat on the positive swatch when the
    largest grad was -0.0040."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    L = (a * b + 10.0).tanh()
    L.backward()
    assert max((a, b), key=lambda v: abs(v.grad)) is a and a.grad < 0  # the largest |grad| is negative
    source = viz.draw_dot(L, legend=True).source
    scale = viz.format_number(abs(a.grad))
    assert re.search(rf'key_pos \[label="grad > 0, deepest at {scale}"', source), source
    assert re.search(rf'key_neg \[label="grad < 0, deepest at -{scale}"', source), source
    assert "largest |grad|" not in source
