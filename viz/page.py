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

The graph opens fitted to the width of its pane (never enlarged); Fit, -, +
and 100% (keys f, -, +, 0) zoom it, and the pane can be dragged taller. A
value shows its number only once the forward pass has computed it: before
that its box and its table row say ``?``.

Click a value (or Tab to its row and press Enter) and "Why this grad?"
shows its grad as the sum of the terms the values it feeds hand back
(`viz.explain_grad`), as far as the current step has got. With
``quiz=True`` the page asks, before each backward step, for the local
derivative of every edge; an answer within 1% (or 0.0001) is right; the
step is shown once answered, and the score is kept to the end.

A graph of more than ``max_nodes`` values is refused before any work is done
(the steps of a million-node chain would take minutes to write down).

Every piece of user text (labels) is escaped: in the SVG by Graphviz, in the
HTML by `html.escape`, in the embedded JSON by escaping ``<``, ``>`` and
``&``, and the script only ever sets ``textContent``.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from typing import Any

from tinygrad_edu.engine import Value
from tinygrad_edu.stepping import backward_steps, forward_steps, reference

from .draw import DEFAULT_MAX_NODES, check_options, draw_dot, format_number, grad_color, grad_scale
from .params import parse_params
from .rendering import DEFAULT_TIMEOUT, render_dot_bytes, svg_element

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
    derivative before a backward step is shown (see `_QUIZ_SCRIPT`).
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
        forward = list(forward_steps(root, param_list))
        backward = list(backward_steps(root))
        why = _why_data(order, index)  # while the grads are backward()'s
        scale = grad_scale(order, [root])
        # Drawn with the final grads, so the boxes are wide enough for them;
        # the script shows each step's grads in their place.
        dot = draw_dot(root, params=param_list, max_nodes=max_nodes, renderer=renderer)
        svg = svg_element(render_dot_bytes(dot, "svg", renderer=renderer, timeout=timeout))
    finally:
        for v, grad in zip(order, saved):
            v.grad = grad

    nodes = [
        {"id": f"n{i}", "name": reference(v, i), "data": format_number(v.data), "edges": _edges(v, i)}
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

    name = reference(root, index[root])
    title = title or f"Backprop through {name}, step by step"
    rows = "\n".join(
        f'<tr id="row-n{i}"><td>{html.escape(node["name"])}</td><td class="num" id="data-n{i}">?</td>'
        f'<td class="num" id="grad-n{i}">{data["zero"]}</td></tr>'
        for i, node in enumerate(nodes)
    )
    values = {
        "TITLE": html.escape(title),
        "SVG": svg,
        "ROWS": rows,
        "N_NODES": str(len(order)),
        "N_FRAMES": str(len(frames)),
        "DATA": _json_for_script(data),
        "QUIZ": _QUIZ_HTML if quiz else "",
        "WHY": _WHY_HTML,
        # The additions first: they set the hooks the player reads when it starts.
        "SCRIPT": _WHY_SCRIPT + (_QUIZ_SCRIPT if quiz else "") + _SCRIPT,
    }
    # One pass, so that text put in (a label saying "@SVG@") is never replaced again.
    page = re.sub(r"@([A-Z_]+)@", lambda m: values[m.group(1)], _TEMPLATE)
    # A lone surrogate in a label has no UTF-8: write it as the text \udxxx.
    return page.encode("utf-8", "backslashreplace").decode("utf-8")


def write_stepping_page(root: Value, path: str | os.PathLike, **options: Any) -> Path:
    """Write `stepping_page(root, **options)` to `path`; returns the path."""
    path = Path(path)
    text = stepping_page(root, **options)
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
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


def _json_for_script(data: Any) -> str:
    """JSON that is safe inside <script>: no '<', '>' or '&' can end the
    element or start a comment, and the line separators JavaScript once
    choked on are escaped too."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in [
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ]:
        text = text.replace(raw, escaped)
    return text


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@TITLE@</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 1rem 1.5rem; color: #222; }
  h1 { font-size: 1.25rem; margin: 0 0 .25rem; }
  .hint { color: #666; margin: 0 0 1rem; font-size: .9rem; }
  #graph { overflow: auto; height: 70vh; min-height: 12rem; resize: vertical; border: 1px solid #ddd; border-radius: 6px; padding: .5rem; background: #fff; margin-bottom: 1rem; box-sizing: border-box; }
  #graph svg { display: block; margin: auto; }
  .zoom { display: flex; gap: .3rem; align-items: center; margin-bottom: .3rem; font-size: .85rem; color: #555; }
  .zoom button { padding: .1rem .6rem; }
  #panel { display: flex; gap: 2rem; align-items: flex-start; flex-wrap: wrap; }
  #step-box { flex: 3 1 30rem; }
  #values { flex: 1 1 16rem; }
  .controls { display: flex; gap: .4rem; flex-wrap: wrap; margin-bottom: .5rem; }
  button { font: inherit; padding: .3rem .8rem; border: 1px solid #999; border-radius: 4px; background: #f6f6f6; cursor: pointer; }
  button:disabled { opacity: .4; cursor: default; }
  #slider { width: 100%; }
  #phase { font-weight: 600; margin: .5rem 0 .2rem; }
  #phase.forward { color: #1b7837; }
  #phase.backward { color: #b35806; }
  #explain { white-space: pre-wrap; background: #fbf8f1; border-left: 4px solid #e08214; padding: .6rem .8rem; margin: 0 0 1rem; min-height: 3.5rem; font-size: .85rem; }
  table { border-collapse: collapse; font-size: .85rem; }
  td, th { padding: .15rem .6rem; border-bottom: 1px solid #eee; text-align: left; }
  td.num { font-family: ui-monospace, Menlo, Consolas, monospace; text-align: right; white-space: nowrap; }
  tr.current { background: #fde0b2; }
  .key { font-size: .8rem; color: #555; margin-top: .75rem; }
  .swatch { display: inline-block; width: .9em; height: .9em; vertical-align: middle; border: 1px solid #888; }
  #graph g.node.pending, #graph g.edge.pending { opacity: .18; }
  #graph g.node.current > polygon, #graph g.node.current > path, #graph g.node.current > ellipse { stroke: #e08214; stroke-width: 4px; }
  #graph g.edge.active > path { stroke: #e08214; stroke-width: 3px; }
  #graph g.edge.active > polygon { stroke: #e08214; fill: #e08214; }
  #graph g.node, #values tbody tr { cursor: pointer; }
  tr.selected td { outline: 2px solid #2166ac; }
  #why { white-space: pre-wrap; background: #f1f6fb; border-left: 4px solid #2166ac; padding: .6rem .8rem; font-size: .8rem; min-height: 2.5rem; }
  h2 { font-size: 1rem; margin: 1rem 0 .3rem; }
  #quiz { background: #f6f1fb; border-left: 4px solid #762a83; padding: .6rem .8rem; margin: 0 0 1rem; }
  #quiz label { display: block; margin: .3rem 0; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .85rem; }
  #quiz input { font: inherit; width: 9rem; margin-left: .4rem; }
  #quiz input.right { background: #d9f0d3; } #quiz input.wrong { background: #fddbc7; }
  #quiz-result { white-space: pre-wrap; font-size: .85rem; margin: .4rem 0 0; }
  #score { font-weight: 600; }
</style>
</head>
<body>
<h1>@TITLE@</h1>
<p class="hint">@N_NODES@ values, @N_FRAMES@ steps: the forward pass computes each value from its parents,
then the backward pass hands each value's grad to its parents by the chain rule.
Keys: &larr; / &rarr; step, space plays; f fits the graph to the width, + / - zoom, 0 is 100%.</p>
<main>
<div class="zoom">
<button id="fit" type="button" title="fit to the width (f)">Fit width</button>
<button id="zoom-out" type="button" title="zoom out (-)">&minus;</button>
<button id="zoom-in" type="button" title="zoom in (+)">+</button>
<button id="zoom-reset" type="button" title="actual size (0)">100%</button>
<span id="zoom-level"></span>
</div>
<div id="graph">
@SVG@
</div>
<div id="panel">
<section id="step-box">
<div class="controls">
<button id="reset" type="button">Start</button>
<button id="prev" type="button">&#x25C0; Previous</button>
<button id="play" type="button">&#x25B6; Play</button>
<button id="next" type="button">Next &#x25B6;</button>
</div>
<input id="slider" type="range" min="-1" max="0" value="-1" aria-label="step">
<p id="phase">Press Next to start the forward pass.</p>
<p id="counter">step 0 of @N_FRAMES@</p>
@QUIZ@
<pre id="explain"></pre>
<p class="key">Box fill is the grad: <span class="swatch" style="background:#67a9cf"></span> positive,
<span class="swatch" style="background:#ef8a62"></span> negative, deeper = larger.
Rounded thick border: parameter; dashed: input or constant; thick: output.</p>
</section>
<section id="values">
<table>
<thead><tr><th>value</th><th>data</th><th>grad</th></tr></thead>
<tbody>
@ROWS@
</tbody>
</table>
@WHY@
</section>
</div>
</main>
<script type="application/json" id="frames">@DATA@</script>
<script>
@SCRIPT@
</script>
</body>
</html>
"""

# The player. Text only ever goes in through textContent.
_SCRIPT = r"""(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("frames").textContent);
  var frames = data.frames, nodes = data.nodes, n = nodes.length;
  var current = -1;  // -1: before the forward pass; otherwise the frame shown
  var timer = null;
  // What the additions (the why panel, the quiz) hook into, set by them
  // before this script runs: limit() is the last frame the player may go to,
  // hidden(k) holds back frame k's numbers and text, shown[] hear every show().
  var hooks = window.steppingPage = window.steppingPage || {};
  hooks.limit = hooks.limit || function () { return frames.length - 1; };
  hooks.hidden = hooks.hidden || function () { return false; };
  hooks.shown = hooks.shown || [];

  function byId(id) { return document.getElementById(id); }
  var groups = nodes.map(function (node) { return byId(node.id); });
  var opGroups = nodes.map(function (node) { return byId(node.id + "op"); });
  var gradTexts = groups.map(function (g) {
    if (!g) { return null; }
    var found = null;
    Array.prototype.forEach.call(g.querySelectorAll("text"), function (t) {
      if (t.textContent.indexOf("grad ") === 0) { found = t; }  // the last one: the grad field
    });
    return found;
  });
  var dataTexts = groups.map(function (g) {
    if (!g) { return null; }
    var found = null;
    Array.prototype.forEach.call(g.querySelectorAll("text"), function (t) {
      if (found === null && t.textContent.indexOf("data ") === 0) { found = t; }
    });
    return found;
  });
  var fills = groups.map(function (g) { return g ? g.querySelector("polygon, path") : null; });
  var cells = nodes.map(function (node) { return byId("grad-" + node.id); });
  var dataCells = nodes.map(function (node) { return byId("data-" + node.id); });
  var rows = nodes.map(function (node) { return byId("row-" + node.id); });
  var next = byId("next"), prev = byId("prev"), play = byId("play"), reset = byId("reset");
  var slider = byId("slider"), phase = byId("phase"), counter = byId("counter"), explain = byId("explain");
  slider.max = String(frames.length - 1);

  function setClass(el, name, on) { if (el) { el.classList.toggle(name, on); } }

  function show(k) {
    current = Math.max(-1, Math.min(hooks.limit(), k));
    var grads = [], colors = [], i;
    for (i = 0; i < n; i++) { grads.push(data.zero); colors.push(data.white); }
    for (i = n; i <= current; i++) {  // replay the backward steps up to this one
      var held = hooks.hidden(i);  // then only the node's own grad (the first change) is shown
      frames[i].set.forEach(function (change, j) {
        if (j === 0 || !held) { grads[change[0]] = change[1]; colors[change[0]] = change[2]; }
      });
    }
    var frame = current >= 0 ? frames[current] : null;
    for (i = 0; i < n; i++) {
      var pending = frame === null || (frame.phase === "forward" && i > frame.node);
      var isCurrent = frame !== null && i === frame.node;
      setClass(groups[i], "pending", pending);
      setClass(opGroups[i], "pending", pending);
      setClass(groups[i], "current", isCurrent);
      setClass(opGroups[i], "current", isCurrent);
      setClass(rows[i], "current", isCurrent);
      nodes[i].edges.forEach(function (id) {
        var edge = byId(id);
        setClass(edge, "pending", pending);
        setClass(edge, "active", isCurrent);
      });
      // A value is known once the forward pass has computed it, not before.
      var known = frame !== null && (frame.phase === "backward" || i <= frame.node);
      var number = known ? nodes[i].data : "?";
      if (dataTexts[i]) { dataTexts[i].textContent = "data " + number; }
      if (dataCells[i]) { dataCells[i].textContent = number; }
      if (gradTexts[i]) { gradTexts[i].textContent = "grad " + grads[i]; }
      if (fills[i]) { fills[i].setAttribute("fill", colors[i]); }
      if (cells[i]) { cells[i].textContent = grads[i]; }
    }
    if (frame) {
      if (groups[frame.node] && groups[frame.node].scrollIntoView) {
        groups[frame.node].scrollIntoView({block: "nearest", inline: "nearest"});
      }
      phase.textContent = frame.phase === "forward" ? "Forward pass" : "Backward pass";
      phase.className = frame.phase;
      explain.textContent = hooks.hidden(current) ? "" : frame.text;
    } else {
      phase.textContent = "Press Next to start the forward pass.";
      phase.className = "";
      explain.textContent = "";
    }
    counter.textContent = "step " + (current + 1) + " of " + frames.length;
    slider.value = String(current);
    prev.disabled = current < 0;
    next.disabled = current >= hooks.limit();
    hooks.grads = grads;
    hooks.shown.forEach(function (listener) { listener(current, frame); });
  }
  hooks.current = function () { return current; };
  hooks.refresh = function () { show(current); };

  function stop() { if (timer !== null) { clearInterval(timer); timer = null; play.textContent = "\u25B6 Play"; } }

  next.addEventListener("click", function () { if (current < hooks.limit()) { show(current + 1); } });
  prev.addEventListener("click", function () { stop(); show(current - 1); });
  reset.addEventListener("click", function () { stop(); show(-1); });
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
  play.addEventListener("click", function () {
    if (timer !== null) { stop(); return; }
    if (current >= frames.length - 1) { show(-1); }
    play.textContent = "\u23F8 Pause";
    timer = setInterval(function () {
      if (current >= hooks.limit()) { stop(); } else { next.click(); }
    }, 900);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "ArrowRight") { next.click(); }
    else if (event.key === "ArrowLeft") { prev.click(); }
    else if (event.key === " ") { event.preventDefault(); play.click(); }
  });

  // Zoom: the SVG's own size times a factor; "fit" makes it as wide as the pane.
  var pane = byId("graph"), svg = pane.querySelector("svg"), level = byId("zoom-level");
  var natural = svg.getBoundingClientRect(), zoom = 1;
  function setZoom(z) {
    zoom = Math.max(0.1, Math.min(4, z));
    svg.style.width = (natural.width * zoom) + "px";
    svg.style.height = (natural.height * zoom) + "px";
    level.textContent = Math.round(zoom * 100) + "%";
    // The pane grows with the graph up to 70% of the window (a short graph
    // leaves the controls in view); the user can still drag it taller.
    var style = getComputedStyle(pane);
    var padding = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom) + 2;
    var scrollbar = natural.width * zoom > pane.clientWidth ? 18 : 0;
    pane.style.height = Math.min(natural.height * zoom + padding + scrollbar, 0.7 * window.innerHeight) + "px";
    var fits = svg.getBoundingClientRect().width <= pane.clientWidth + 1 &&
      svg.getBoundingClientRect().height <= pane.clientHeight + 1;
    pane.setAttribute("data-zoom", zoom.toFixed(3));
    pane.setAttribute("data-fits", fits ? "yes" : "no");  // the whole graph is in view
  }
  function fitWidth() {
    var style = getComputedStyle(pane);
    var room = pane.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return natural.width > 0 ? room / natural.width : 1;
  }
  byId("fit").addEventListener("click", function () { setZoom(fitWidth()); });
  byId("zoom-in").addEventListener("click", function () { setZoom(zoom * 1.25); });
  byId("zoom-out").addEventListener("click", function () { setZoom(zoom / 1.25); });
  byId("zoom-reset").addEventListener("click", function () { setZoom(1); });
  setZoom(Math.min(1, fitWidth()));  // open fitted, but never enlarged
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }  // leave the browser's own zoom alone
    if (event.key === "f") { byId("fit").click(); }
    else if (event.key === "+" || event.key === "=") { byId("zoom-in").click(); }
    else if (event.key === "-") { byId("zoom-out").click(); }
    else if (event.key === "0") { byId("zoom-reset").click(); }
  });

  // #step=K: press Next K times from the start, through the same handler.
  function fromHash() {
    var match = /step=(\d+)/.exec(location.hash);
    if (!match) { return false; }
    stop();
    show(-1);
    var k = Math.min(parseInt(match[1], 10), frames.length);
    for (var j = 0; j < k; j++) { next.click(); }
    return true;
  }
  window.addEventListener("hashchange", fromHash);
  if (!fromHash()) { show(-1); }
}());"""


# ---------------------------------------------------------------- additions
def _why_data(order: list[Value], index: dict[Value, int]) -> list[dict[str, Any]]:
    """For each node: the terms of its grad (`explain_grad`), each with the
    backward frame at which it arrives, so the page can show the sum so far."""
    from .explain import contributions_by_node

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
    from tinygrad_edu.stepping import formula_name, named_expression

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
                "head": f"{step.name} = {expr} = {format_number(step.node.data)} is about to hand its grad "
                f"{format_number(step.grad)} to its parents. Type each local derivative "
                "(the data column has every number you need):",
                "ask": ask,
            }
        )
    return quiz


_WHY_HTML = """<h2>Why this grad?</h2>
<pre id="why" aria-live="polite">Click a value (a box in the graph or a row above; Tab to a row and press Enter)
to see its grad as the sum of what the values it feeds hand back.</pre>"""

_QUIZ_HTML = """<section id="quiz" hidden aria-live="polite">
<p id="quiz-question"></p>
<div id="quiz-inputs"></div>
<button id="quiz-check" type="button">Check (Enter)</button>
<p id="quiz-result"></p>
</section>
<p id="score"></p>"""

# Why this grad? Selecting a value lists the terms of its grad that have
# arrived by the current step, and those still to come.
_WHY_SCRIPT = r"""(function () {
  "use strict";
  var page = window.steppingPage = window.steppingPage || {};
  page.shown = page.shown || [];
  var data = JSON.parse(document.getElementById("frames").textContent);
  var why = data.why, box = document.getElementById("why"), selected = null;
  function render(current) {
    if (selected === null) { return; }
    var w = why[selected], lines = [];
    function arrived(frame) { return frame < current || (frame === current && !page.hidden(current)); }
    lines.push(w.name + ".grad is " + page.grads[selected] + (current >= 0 ? " at step " + (current + 1) : " (nothing computed yet)"));
    if (w.root) {
      lines.push("  it is the output: its grad is seeded with 1 when the backward pass starts (d out/d out = 1)");
    } else if (w.terms.length === 0) {
      lines.push("  no value in this graph uses it, so nothing hands it a grad");
    } else {
      var done = w.terms.filter(function (t) { return arrived(t[0]); });
      var todo = w.terms.filter(function (t) { return !arrived(t[0]); });
      lines.push("  = the sum over the " + w.terms.length + (w.terms.length === 1 ? " place" : " places") +
                 " it is used of (that value's grad x its local derivative):");
      done.forEach(function (t) { lines.push("  " + t[1]); });
      todo.forEach(function (t) { lines.push("  still to come: from " + t[2] + ", at step " + (t[0] + 1)); });
      if (todo.length === 0) { lines.push("  total: " + w.total + " (what backward() gives)"); }
    }
    box.textContent = lines.join("\n");
  }
  function select(i) {
    if (selected !== null) { var old = document.getElementById("row-n" + selected); if (old) { old.classList.remove("selected"); } }
    selected = i;
    var row = document.getElementById("row-n" + i);
    if (row) { row.classList.add("selected"); }
    render(page.current());
  }
  why.forEach(function (_, i) {
    ["n" + i, "row-n" + i].forEach(function (id) {
      var el = document.getElementById(id);
      if (!el) { return; }
      el.addEventListener("click", function () { select(i); });
      if (id.indexOf("row-") === 0) {
        el.tabIndex = 0;
        el.addEventListener("keydown", function (event) { if (event.key === "Enter") { select(i); } });
      }
    });
  });
  page.shown.push(function (current) { render(current); });
}());
"""

# The quiz: before a backward step is shown, one box per edge for its local
# derivative; Enter moves on, then checks. Right means within 1% (or 0.0001).
_QUIZ_SCRIPT = r"""(function () {
  "use strict";
  var page = window.steppingPage = window.steppingPage || {};
  page.shown = page.shown || [];
  var data = JSON.parse(document.getElementById("frames").textContent);
  var quiz = data.quiz, last = data.frames.length - 1, byFrame = {}, answered = {};
  var right = 0, asked = 0, total = 0, open = null;
  quiz.forEach(function (q) { byFrame[q.frame] = q; total += q.ask.length; });
  function byId(id) { return document.getElementById(id); }
  var box = byId("quiz"), question = byId("quiz-question"), inputs = byId("quiz-inputs");
  var check = byId("quiz-check"), result = byId("quiz-result"), score = byId("score");

  page.limit = function () {  // the player stops at the first question not answered yet
    for (var j = 0; j < quiz.length; j++) { if (!answered[quiz[j].frame]) { return quiz[j].frame; } }
    return last;
  };
  page.hidden = function (k) { return byFrame[k] !== undefined && !answered[k]; };

  function number(text) {
    var t = text.trim().replace(/\u2212/g, "-");
    return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) ? Number(t) : NaN;
  }
  function close(x, truth) { return Math.abs(x - truth) <= Math.max(0.01 * Math.abs(truth), 1e-4); }
  function fmt(x) { return String(Number(x.toPrecision(6))); }

  function ask(k) {
    var q = byFrame[k];
    open = k;
    question.textContent = q.head;
    result.textContent = "";
    while (inputs.firstChild) { inputs.removeChild(inputs.firstChild); }
    q.ask.forEach(function (item, j) {
      var label = document.createElement("label"), input = document.createElement("input");
      label.textContent = item[0] + " =";
      input.id = "quiz-answer-" + j;
      input.type = "text";
      input.setAttribute("inputmode", "decimal");
      input.setAttribute("autocomplete", "off");
      input.addEventListener("keydown", function (event) {
        event.stopPropagation();  // typing "-" or "0" must not zoom, arrows must not step
        if (event.key !== "Enter") { return; }
        event.preventDefault();
        var nextInput = byId("quiz-answer-" + (j + 1));
        if (nextInput && nextInput.value.trim() === "") { nextInput.focus(); } else { check.click(); }
      });
      label.appendChild(input);
      inputs.appendChild(label);
    });
    check.disabled = false;
  }

  check.addEventListener("click", function () {
    var k = open;
    if (k === null || answered[k]) { return; }
    var q = byFrame[k], lines = [], good = 0;
    q.ask.forEach(function (item, j) {
      var input = byId("quiz-answer-" + j), typed = input.value.trim(), ok = close(number(typed), item[1]);
      input.className = ok ? "right" : "wrong";
      input.readOnly = true;
      good += ok ? 1 : 0;
      lines.push((ok ? "right: " : "wrong: ") + item[0] + " = " + fmt(item[1]) +
                 (ok ? "" : " (you typed " + (typed === "" ? "nothing" : typed) + ")"));
    });
    answered[k] = true;
    right += good;
    asked += q.ask.length;
    check.disabled = true;
    result.textContent = lines.join("\n") + "\nThe step is shown below; Next (or \u2192) goes on.";
    page.refresh();
    byId("next").focus();
  });
  check.addEventListener("keydown", function (event) { event.stopPropagation(); });

  function showScore(current) {
    var text = "score: " + right + " of " + asked + " right";
    if (asked === total && current === last) { text = "Done: " + right + " of " + total + " right"; }
    else if (asked < total) { text += " (" + (total - asked) + " to go)"; }
    score.textContent = text;
  }
  page.shown.push(function (current) {
    if (byFrame[current] !== undefined && !answered[current]) {
      box.hidden = false;
      if (open !== current) { ask(current); }
      byId("quiz-answer-0").focus();
    } else {
      box.hidden = !(byFrame[current] !== undefined && open === current);
    }
    showScore(current);
  });
}());
"""
