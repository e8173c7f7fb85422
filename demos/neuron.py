"""The classic first graph: one neuron, x1*w1 + x2*w2 + b, squashed by tanh.

    tinygrad-edu demo neuron [--out DIR]

Karpathy's numbers from "The spelled-out intro to neural networks and
backpropagation": the bias 6.8813735870195432 makes n = 0.8814, so that
o = tanh(n) = 0.7071 and do/dn = 1 - o**2 = 0.5, easy to follow by hand.
Runs backward one node at a time, prints every step, and writes the graph
(SVG) and a page that plays the steps (HTML).

    >>> o, params = build_neuron()
    >>> round(o.data, 4)
    0.7071
    >>> o.backward()
    >>> [(p.label, round(p.grad, 4)) for p in params]
    [('w1', 1.0), ('w2', 0.0), ('b', 0.5)]
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from tinygrad_edu import Value

from .common import demo_parser, progress, report_outputs, setup, write_results


def build_neuron() -> tuple[Value, list[Value]]:
    """o = tanh(x1*w1 + x2*w2 + b), every node labelled; returns (o, [w1, w2, b])."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")  # inputs
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")  # weights
    b = Value(6.8813735870195432, label="b")  # bias
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    total = x1w1 + x2w2
    total.label = "x1*w1 + x2*w2"
    n = total + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, [w1, w2, b]


def main(argv: Sequence[str] | None = None) -> int:
    parser = demo_parser("neuron", __doc__.splitlines()[0])
    parser.add_argument(
        "--renderer", choices=("auto", "dot", "wasm"), default="auto", help="Graphviz's dot or the wasm one"
    )
    args = parser.parse_args(argv)
    out = setup(args, quick_notice="--quick: nothing to shorten here; one neuron runs in full")

    import viz

    start = time.perf_counter()
    o, params = build_neuron()
    print(f"forward: o = tanh(x1*w1 + x2*w2 + b) = {o.data:.4f}\n")
    print("backward, one node at a time:")
    steps = o.backward_steps()
    for step in progress(steps, total=len(o.topological_order()), desc="backprop"):
        print(f"  [{step.index + 1}/{step.total}] " + str(step).replace("\n", "\n      "))
    print("\n" + ", ".join(f"do/d{p.label} = {p.grad:.4f}" for p in params))

    graph = viz.render(o, out / "neuron.svg", renderer=args.renderer, params=params, legend=True)
    page = viz.write_stepping_page(o, out / "neuron.html", params=params, renderer=args.renderer)
    leaves = [v for v in o.topological_order() if not v.op]
    results = write_results(
        out,
        args,
        time.perf_counter() - start,
        output=o.data,
        grads={v.label: v.grad for v in leaves},  # do/d(each input, weight and the bias)
    )
    report_outputs([graph, page, results])
    return 0
