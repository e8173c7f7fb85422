"""One self-contained HTML page that plays backprop node by node.

The page holds the graph as inline SVG, the steps as JSON and a little
JavaScript: no server, no network, nothing to install. It plays the forward
pass (each node computed from its parents, in topological order) and then
the backward pass (each node handing its grad to its parents, as in
`Value.backward_steps`), with Previous / Next / Play controls and the
chain-rule sentence of the current step beside the graph.

    >>> from tinygrad_edu import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> out = (a * b).tanh(); out.label = "out"
    >>> html = stepping_page(out)
    >>> html.startswith("<!DOCTYPE html>") and "<svg" in html
    True
    >>> a.grad  # the page plays its own backward pass and leaves the grads alone
    0.0

The URL fragment ``#step=K`` opens the page K presses of Next from the start
(it presses the same button), so a link can point at one step.

The graph opens fitted to the width of its pane (never enlarged), unless
that would make its text smaller than 11 px: then it opens at the zoom that
keeps it 11 px and scrolls, the current step scrolled into view. Fit, -, +
and 100% (keys f, -, +, 0) zoom it, and the pane can be dragged taller. A
value shows its number only once the forward pass has computed it: before
that its box and its table row say ``?``.

Click a value (or Tab to its row and press Enter) and "Why this grad?"
shows its grad as the sum of the terms the values it feeds hand back
(`viz.explain_grad`), as far as the current step has got. With
``quiz=True`` the page asks, before each backward step, for the local
derivative of every edge; an answer within 1% (or 0.0001) is right; the
step is shown once answered, and the score is kept to the end. The boxes
show 4 decimals, the data column at least 6 significant digits
(`format_exact`), so every answer can be worked out from what is shown.

A graph of more than ``max_nodes`` values is refused before any work is done
(the steps of a million-node chain would take minutes to write down).

The page's HTML, CSS and JavaScript are files in ``viz/assets/``:
``stepping.html``, ``stepping.css`` and ``stepping.js`` (the player), and
``why.*`` and ``quiz.*`` (the additions, which hook into the player through
``window.steppingPage``); `viz.webpage` puts them into one file with the
steps as JSON.

Every piece of user text (labels) is escaped: in the SVG by Graphviz, in the
HTML by `html.escape`, in the embedded JSON by `viz.webpage.json_for_script`,
and the script only ever sets ``textContent``.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from tinygrad_edu.engine import Value
from tinygrad_edu.nn.module import write_atomically
from tinygrad_edu.stepping import backward_steps, formula_name, forward_steps, named_expression, reference

from .draw import (
    DEFAULT_MAX_NODES,
    check_options,
    draw_dot,
    format_exact,
    format_number,
    grad_color,
    grad_scale,
)
from .explain import contributions_by_node
from .params import parse_params
from .rendering import DEFAULT_TIMEOUT, render_dot_bytes, svg_element
from .webpage import fill, html_page, read_asset

__all__ = ["stepping_page", "write_stepping_page"]


def stepping_page(
    root: Value,
    *,
    params: Any = None,
    title: str | None = None,
    renderer: str = "auto",
    max_nodes: int = DEFAULT_MAX_NODES,
    timeout: float = DEFAULT_TIMEOUT,
    quiz: bool = False,
) -> str:
    """The HTML text of the stepping page for the graph of `root`.

    The backward pass shown starts from zero grads; the graph's own grads are
    put back as they were afterwards. `params` (a Module or Values) marks the
    parameters, as in `draw_dot`. `max_nodes` refuses a bigger graph;
    `timeout` is the seconds the layout may take (`viz.render`). ``quiz=True`` asks for each local
    derivative before a backward step is shown (see ``assets/quiz.js``).
    """
    if not isinstance(root, Value):
        raise TypeError(f"stepping_page: expected a Value, got {type(root).__name__}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"stepping_page: title must be a str, got {type(title).__name__}")
    check_options(max_nodes, "LR", renderer, where="stepping_page")
    if type(quiz) is not bool:
        raise TypeError(f"stepping_page: quiz must be True or False, got {quiz!r}")
    count = _count_values(root, max_nodes + 1)
    if count > max_nodes:
        raise ValueError(
            f"stepping_page: the graph has more than max_nodes={max_nodes} values; a page that big is "
            f"unreadable and slow to lay out. Step a smaller part of it (one neuron, one head), "
            f"or pass a larger max_nodes= to stepping_page"
        )
    param_list = [v for _, v in parse_params(params, "stepping_page")]
    order = root.topological_order()
    index = {v: i for i, v in enumerate(order)}
    saved = [v.grad for v in order]
    try:
        for v in order:
            v.grad = 0.0
        forward = list(forward_steps(root, param_list, order=order))  # one walk of the graph, shared
        backward = list(backward_steps(root, order=order))
        why = _why_data(order, index)  # while the grads are backward()'s
        scale = grad_scale(order, [root])
        # Drawn with the final grads, so the boxes are wide enough for them;
        # the script shows each step's grads in their place.
        dot = draw_dot(root, params=param_list, max_nodes=max_nodes, renderer=renderer, order=order)
        svg = svg_element(render_dot_bytes(dot, "svg", renderer=renderer, timeout=timeout))
    finally:
        for v, grad in zip(order, saved):
            v.grad = grad

    nodes = [
        {
            "id": f"n{i}",
            "name": reference(v, i),
            "data": format_number(v.data),  # in the box: as draw_dot writes it
            "exact": format_exact(v.data),  # in the data column: enough digits to work from
            "edges": _edges(v, i),
        }
        for i, v in enumerate(order)
    ]
    frames: list[dict[str, Any]] = []
    for step in forward:
        frames.append({"phase": "forward", "node": step.index, "text": step.text})
    for step in backward:
        changes = [[step.node_index, format_number(step.grad), grad_color(step.grad, scale)]]
        for u in step.updates:
            changes.append([u.parent_index, format_number(u.after), grad_color(u.after, scale)])
        frames.append(
            {
                "phase": "backward",
                "node": step.node_index,
                "text": str(step),
                "set": changes,
            }
        )
    data = {"nodes": nodes, "frames": frames, "zero": format_number(0.0), "white": grad_color(0.0, scale)}
    data["why"] = why
    data["quiz"] = _quiz_data(backward, len(order)) if quiz else None

    name = reference(root, index[root]) if root.label else "the output"  # not 'Backprop through #8'
    rows = "\n".join(
        f'<tr id="row-n{i}"><td>{html.escape(node["name"])}</td><td class="num" id="data-n{i}">?</td>'
        f'<td class="num" id="grad-n{i}">{data["zero"]}</td></tr>'
        for i, node in enumerate(nodes)
    )
    body = fill(
        read_asset("stepping.html"),
        text={"N_NODES": str(len(order)), "N_FRAMES": str(len(frames))},
        markup={
            "SVG": svg,
            "ROWS": rows,
            "QUIZ": read_asset("quiz.html") if quiz else "",
            "WHY": read_asset("why.html"),
        },
    )
    return html_page(
        title or f"Backprop through {name}, step by step",
        body,
        styles=["stepping.css"],
        # The additions first: they set the hooks the player reads when it starts.
        scripts=["why.js", "quiz.js", "stepping.js"] if quiz else ["why.js", "stepping.js"],
        data=data,
        data_id="frames",
    )


def write_stepping_page(root: Value, path: str | os.PathLike, **options: Any) -> Path:
    """Write `stepping_page(root, **options)` to `path`; returns the path."""
    path = Path(path)
    text = stepping_page(root, **options)
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, text, f"write_stepping_page({str(path)!r})")  # an old page stays whole on a crash
    return path


def _count_values(root: Value, limit: int) -> int:
    """How many values `root` depends on (itself included), counting no
    further than `limit`: a cheap look before the real work."""
    seen = {root}
    stack = [root]
    while stack and len(seen) < limit:
        for parent in stack.pop().parents:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return len(seen)


def _edges(node: Value, i: int) -> list[str]:
    """The SVG ids of the edges into node i (as `draw_dot` names them)."""
    if not node.parents:
        return []
    return [f"e{i}_{k}" for k in range(len(node.parents))] + [f"e{i}op"]


# ---------------------------------------------------------------- additions
def _why_data(order: list[Value], index: dict[Value, int]) -> list[dict[str, Any]]:
    """For each node: the terms of its grad (`explain_grad`), each with the
    backward frame at which it arrives, so the page can show the sum so far."""
    n = len(order)
    found = contributions_by_node(order, index)
    why = []
    for i, v in enumerate(order):
        terms = [[n + (n - 1 - c.user_index), str(c), c.user_name] for c in found.get(v, [])]
        why.append(
            {"name": reference(v, i), "root": i == n - 1, "terms": terms, "total": format_number(v.grad)}
        )
    return why


def _quiz_data(backward: list, n: int) -> list[dict[str, Any]]:
    """One question per edge of each backward step: its local derivative."""
    quiz = []
    for step in backward:
        if not step.updates:
            continue
        names = [formula_name(u.parent, u.parent_index) for u in step.updates]
        expr = named_expression(step.node.op, names)
        parents = [u.parent for u in step.updates]
        ask = []
        for u, name in zip(step.updates, names):
            which = f" (operand {u.position + 1})" if parents.count(u.parent) > 1 else ""
            ask.append([f"d({expr})/d{name}{which}", u.local_grad])
        quiz.append(
            {
                "frame": n + step.index,
                "head": f"{step.name} = {expr} = {format_exact(step.node.data)} is about to hand its grad "
                f"{format_number(step.grad)} to its parents. Type each local derivative "
                "(the data column has every number you need, to 6 significant digits):",
                "ask": ask,
            }
        )
    return quiz
