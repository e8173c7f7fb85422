"""Draw a computation graph: one box per Value, one small node per op.

    >>> from tinygrad_edu import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> e = a * b; e.label = "e"
    >>> e.backward()
    >>> dot = draw_dot(e)
    >>> lines = [line.strip() for line in dot.source.splitlines()]
    >>> lines[0]
    '// computation graph of e: 3 values, 1 op'
    >>> [line for line in lines if "->" in line]
    ['n0 -> n2op [id=e2_0]', 'n1 -> n2op [id=e2_1]', 'n2op -> n2 [id=e2op]']
    >>> path = render(e, "graph.svg", legend=True)  # doctest: +SKIP

`render` and `render_bytes` draw a Value and hand the DOT text to
`viz.rendering`, which lays it out and knows nothing of Values.

What the picture shows
----------------------
* Each Value is a box ``{label|data|grad}``. Unlabelled values are
  called ``#i``, their position in the topological order (the same names
  `Value.backward_steps` uses).
* The fill colour is the gradient: blue for grad > 0, red for grad < 0, the
  deeper the larger |grad| compared with the largest in the graph. White is 0.
* The border tells the kind: parameters (pass ``params=`` or ``group=``) are
  rounded with a thick brown border, other leaves (inputs, constants) have a
  dashed border, intermediates a thin one, the output a thick black one.
* For ``-``, ``/`` and ``**`` the edges say which operand is ``a`` and ``b``.

Deterministic: nodes are named ``n<i>`` by their position in the topological
order (never by ``id()``), parents are drawn in operand order, and floats are
formatted to fixed digits, so the same graph gives byte-identical DOT.

Big graphs and modules
----------------------
A graph of a few hundred boxes is unreadable and slow to lay out, so
`draw_dot` refuses more than ``max_nodes`` and names the way out: pass the
model as ``group=model`` to draw each module as a cluster, and
``collapse="Neuron"`` (or "Layer", or any Module class) to draw each such
module as a single box.

Values do not record which module made them, so `assign_modules` infers it:

1. a parameter belongs to the module that owns it (the deepest one, by its
   name in ``named_parameters``);
2. an op with a parameter among its parents belongs to that parameter's
   module (the deepest one if there are several);
3. any other op belongs to the lowest common module of its parents;
4. leaves that are not parameters belong to no module. An unlabelled one (a
   constant such as the 2 in ``x * 2``, or the max that softmax subtracts)
   takes no part in rule 3, so constants do not tear an attention head
   apart; a labelled one (data you named, like a target ``y``) does, and
   pulls the op that reads it out of every module;
5. what is computed after the model's output belongs to no module: an op
   from which no op that reads a parameter can be reached (the loss, its
   ``-`` and ``**2``, ``F.mse``'s sum) sits outside every box, whether the
   target is labelled or not. The one exception is an activation (relu,
   tanh, sigmoid) applied straight to an op that reads parameters: that is
   the last neuron's own activation.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tinygrad_edu.checks import check_topological_order
from tinygrad_edu.engine import Value

from .params import parse_params
from .rendering import DEFAULT_TIMEOUT, RENDERERS, is_dot, render_dot, render_dot_bytes

if TYPE_CHECKING:  # pragma: no cover
    from tinygrad_edu.nn import Module

    from ._digraph import Digraph

__all__ = [
    "DEFAULT_MAX_NODES",
    "assign_modules",
    "draw_dot",
    "format_exact",
    "format_number",
    "grad_color",
    "grad_scale",
    "render",
    "render_bytes",
]

DEFAULT_MAX_NODES = 300

# The look of each kind of box. Colours from ColorBrewer's RdBu (colour-blind safe).
_KIND_STYLE = {
    "parameter": {"shape": "Mrecord", "style": "filled,bold", "color": "#8c510a", "penwidth": "2.5"},
    "input": {"shape": "record", "style": "filled,dashed", "color": "#4d4d4d", "penwidth": "1.2"},
    "intermediate": {"shape": "record", "style": "filled", "color": "#4d4d4d", "penwidth": "1"},
    "output": {"shape": "record", "style": "filled,bold", "color": "black", "penwidth": "3"},
}
_POSITIVE = (0x67, 0xA9, 0xCF)  # grad > 0: blue
_NEGATIVE = (0xEF, 0x8A, 0x62)  # grad < 0: red
_NON_COMMUTATIVE = {"-", "/", "**"}


def draw_dot(
    root: Value | Sequence[Value],
    *,
    show_data: bool = True,
    show_grad: bool = True,
    params: Module | Iterable[Value] | None = None,
    group: Module | None = None,
    collapse: str | type | Sequence[str | type] | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    rankdir: str = "LR",
    legend: bool = False,
    renderer: str = "auto",
    order: Sequence[Value] | None = None,
) -> Digraph:
    """The graph that computed `root` (a Value, or a list of them) as a
    `graphviz.Digraph`; Jupyter shows it inline.

    show_data, show_grad: which numbers each box shows.
    params: a Module or the Values that are parameters (drawn as such);
        `group` implies its parameters.
    group, collapse: see the module docstring. ``collapse`` is a Module class
        or class name (or a list of them); needs `group`.
    max_nodes: refuse (ValueError) to draw more boxes than this.
    legend: add a small key explaining the styles.
    renderer: 'auto', 'dot' or 'wasm', used when Jupyter displays the graph.
    order: the graph's topological order (parents first, as
        `Value.topological_order` gives it) when the caller has it already,
        as the stepping page does; found here otherwise.

    Three decisions make the picture, one helper each: which values are
    drawn and which hide in a module box (`_Layout`), how each box looks
    (`_value_box`, `_module_box`), and which cluster it sits in
    (`_emit_clusters`); `_add_edges` then joins them.
    """
    roots = _as_roots(root)
    check_options(max_nodes, rankdir, renderer)
    if collapse is not None and group is None:
        raise ValueError("draw_dot: collapse=... needs group=<your model> to know the modules")
    _check_collapse(collapse)
    order = _topological(roots) if order is None else check_topological_order(order, roots, "draw_dot")
    param_set = _param_set(params, group)
    layout = _Layout(order, roots, group, collapse)
    count = len(layout.visible) + len(layout.boxes)
    if count > max_nodes:
        raise ValueError(_too_many_message(count, len(order), max_nodes, group, collapse))

    dot = _new_digraph(roots, order, layout.index, rankdir, renderer, count)
    scale = grad_scale(order, roots)
    root_set = set(roots)
    items: dict[str | None, list[tuple[str, dict[str, Any]]]] = {}  # cluster -> nodes
    for v in layout.visible:
        cluster = _cluster_of(layout.owner.get(v), layout.tree)
        kind = _kind(v, root_set, param_set)
        items.setdefault(cluster, []).extend(
            _value_box(
                v, layout, kind, show_data, show_grad, grad_color(v.grad, scale) if show_grad else None
            )
        )
    for path in layout.boxes:
        tree = layout.tree
        cluster = _cluster_of(tree.parent.get(path), tree)
        items.setdefault(cluster, []).append(_module_box(path, layout, param_set))
    _emit_clusters(dot, items, layout.tree)
    _add_edges(dot, order, layout)
    if legend:
        _add_legend(dot, scale, show_grad)
    return dot


def render(
    graph: Any,
    path: str | os.PathLike,
    *,
    fmt: str | None = None,
    renderer: str = "auto",
    timeout: float = DEFAULT_TIMEOUT,
    **draw_options: Any,
) -> Path:
    """Write `graph` (a Value, a list of them, a graphviz graph or DOT text)
    to `path`, in the format its suffix names (.svg, .png, .pdf, .dot) unless
    `fmt` is given; returns the path. Keyword options other than these go to
    `draw_dot` when `graph` is a Value. See `viz.rendering.render_dot`."""
    dot = _drawn(graph, draw_options)
    return render_dot(dot, path, fmt=fmt, renderer=renderer, timeout=timeout)


def render_bytes(
    graph: Any,
    fmt: str = "svg",
    *,
    renderer: str = "auto",
    timeout: float = DEFAULT_TIMEOUT,
    **draw_options: Any,
) -> bytes:
    """The rendered image of `graph` (as in `render`) as bytes.
    `timeout`: seconds the layout may take before `viz.RenderTimeout`."""
    return render_dot_bytes(_drawn(graph, draw_options), fmt, renderer=renderer, timeout=timeout)


def _drawn(graph: Any, draw_options: dict[str, Any]) -> Any:
    """`graph` as something `viz.rendering` takes: a Value drawn with
    `draw_dot`, a graphviz graph or DOT text as it is."""
    if isinstance(graph, Value) or (
        isinstance(graph, (list, tuple)) and graph and isinstance(graph[0], Value)
    ):
        return draw_dot(graph, **draw_options)
    if draw_options:
        raise TypeError(f"render: drawing options {sorted(draw_options)} only apply when given a Value")
    if not is_dot(graph):
        raise TypeError(f"render: expected a Value, a graphviz graph or DOT text, got {type(graph).__name__}")
    return graph


# Graphviz's effort, capped for a big graph: the default crossing minimisation
# and network simplex grow so fast that 70 chained products took 20 s of CPU
# and 141 never finished; with these caps 141 take about a second.
BOUNDED_LAYOUT_FROM = 40  # boxes
BOUNDED_LAYOUT = {"nslimit": "1", "nslimit1": "1", "mclimit": "0.05", "searchsize": "10", "splines": "line"}


class _Layout:
    """Which values are drawn, which module each belongs to, and which are
    hidden inside a collapsed module's box."""

    def __init__(self, order: list[Value], roots: list[Value], group, collapse) -> None:
        self.index = {v: i for i, v in enumerate(order)}
        self.tree: _ModuleTree | None = None
        self.owner: dict[Value, str | None] = {}
        self.box_of: dict[Value, str] = {}  # value -> the collapsed module hiding it
        if group is not None:
            self.tree = tree = _ModuleTree(group)
            self.owner = _place_constants(order, assign_modules(order, group, _tree=tree), tree)
            if collapse is not None:
                _check_collapse_names(collapse, tree)
                for v in order:
                    path = self.owner.get(v)
                    target = tree.collapsed_ancestor(path, collapse) if path is not None else None
                    if target is not None:
                        self.box_of[v] = target
                for r in roots:  # the output itself always stays visible
                    self.box_of.pop(r, None)
        self.visible = [v for v in order if v not in self.box_of]
        self.boxes = (
            sorted(set(self.box_of.values()), key=self.tree.position.__getitem__) if self.tree else []
        )
        self.order = order

    def name_of(self, v: Value) -> str:
        """The DOT node an edge from `v` starts at: its own box or its module's."""
        if v in self.box_of:
            return f"m{self.tree.position[self.box_of[v]]}"
        return f"n{self.index[v]}"


def _new_digraph(roots, order, index, rankdir: str, renderer: str, count: int) -> Digraph:
    from ._digraph import Digraph

    n_ops = sum(1 for v in order if v.parents)
    graph_attr = {"rankdir": rankdir, "fontname": "Helvetica", "nodesep": "0.25", "ranksep": "0.35"}
    if count > BOUNDED_LAYOUT_FROM:
        graph_attr.update(BOUNDED_LAYOUT)
    dot = Digraph(
        comment=f"computation graph of {_root_names(roots, index)}: {len(order)} values, {n_ops} op{'s' if n_ops != 1 else ''}",
        graph_attr=graph_attr,
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"color": "#555555", "arrowsize": "0.7"},
    )
    dot.renderer = renderer
    return dot


def _kind(v: Value, root_set: set[Value], param_set: set[Value]) -> str:
    if v in root_set:
        return "output"
    if not v.parents:
        return "parameter" if v in param_set else "input"
    return "intermediate"


def _value_box(
    v: Value, layout: _Layout, kind: str, show_data: bool, show_grad: bool, fill: str | None
) -> list[tuple[str, dict[str, Any]]]:
    """The record box of one value, and the small ellipse of its op."""
    from ._digraph import nohtml

    i = layout.index[v]
    tree = layout.tree
    if v.label:
        name = v.label
    elif tree is not None and v in tree.local_name:
        name = tree.local_name[v]  # an unlabelled parameter: its name in its module
    else:
        name = f"#{i}"
    numbers = []
    if show_data:
        numbers.append(f"data {format_number(v.data)}")
    if show_grad:
        numbers.append(f"grad {format_number(v.grad)}")
    # The name, then data over grad: a box two fields wide, not three (a
    # neuron's drawing was 2,050 px wide with the three in a row).
    fields = [record_text(name), "{" + "|".join(numbers) + "}"] if numbers else [record_text(name)]
    box = {"label": nohtml("{" + "|".join(fields) + "}"), "id": f"n{i}", "fillcolor": fill or "#ffffff"}
    nodes = [(f"n{i}", {**box, **_KIND_STYLE[kind]})]
    if v.parents:
        op = {"label": nohtml(plain_text(v.op)), "id": f"n{i}op", "shape": "ellipse", "fontsize": "10"}
        nodes.append((f"n{i}op", {**op, "margin": "0.02,0.01", "height": "0.3"}))
    return nodes


def _module_box(path: str, layout: _Layout, param_set: set[Value]) -> tuple[str, dict[str, Any]]:
    """The single box a collapsed module is drawn as."""
    from ._digraph import nohtml

    tree = layout.tree
    inside = [v for v in layout.order if layout.box_of.get(v) == path]
    n_params = sum(1 for v in inside if v in param_set)
    lines = [
        path or "(the model)",
        _module_summary(tree.modules[path]),
        f"{len(inside)} values, {n_params} parameters",
    ]
    attrs = {
        "label": nohtml("\\n".join(plain_text(line) for line in lines)),
        "id": f"m{tree.position[path]}",
        "shape": "box3d",
        "style": "filled",
        "fillcolor": "#ece7f2",
        "color": "#54278f",
    }
    return f"m{tree.position[path]}", attrs


def _add_edges(dot, order: list[Value], layout: _Layout) -> None:
    """Parent -> op -> value for each drawn value; one edge into a module box
    per source, however many of the values inside read it."""
    seen: set[tuple[str, str]] = set()
    for v in order:
        i = layout.index[v]
        if v in layout.box_of:  # hidden inside a module box: edges into the box
            target = layout.name_of(v)
            for p in v.parents:
                source = layout.name_of(p)
                if source != target and (source, target) not in seen:
                    seen.add((source, target))
                    dot.edge(source, target)
            continue
        for position, p in enumerate(v.parents):
            source = layout.name_of(p)
            if p in layout.box_of:
                if (source, f"n{i}op") in seen:
                    continue
                seen.add((source, f"n{i}op"))
            attrs: dict[str, str] = {"id": f"e{i}_{position}"}
            if v.op in _NON_COMMUTATIVE:
                attrs.update(label="ab"[position] if position < 2 else str(position), fontsize="9")
            dot.edge(source, f"n{i}op", **attrs)
        if v.parents:
            dot.edge(f"n{i}op", f"n{i}", id=f"e{i}op")


# ------------------------------------------------------------------ modules
class _ModuleTree:
    """The modules of a model by dotted name ('' is the model itself)."""

    def __init__(self, model: Module) -> None:
        self.checked(model)
        self.modules: dict[str, Module] = {}
        for name, module in model.named_modules():
            self.modules.setdefault(name, module)
        self.position = {name: k for k, name in enumerate(self.modules)}
        self.parent: dict[str, str | None] = {}
        names = list(self.modules)
        for name in names:
            if name == "":
                self.parent[name] = None
                continue
            # The longest other module name that is a dotted prefix of this one.
            parts = name.split(".")
            parent = ""
            for cut in range(len(parts) - 1, 0, -1):
                prefix = ".".join(parts[:cut])
                if prefix in self.modules:
                    parent = prefix
                    break
            self.parent[name] = parent
        self.depth = {}
        for name in names:
            d, p = 0, self.parent[name]
            while p is not None:
                d, p = d + 1, self.parent[p]
            self.depth[name] = d
        # Parameter -> owning module (the module part of its dotted name) and
        # its name inside that module ('weight[2]', 'bias'), for unlabelled boxes.
        self.owner: dict[Value, str] = {}
        self.local_name: dict[Value, str] = {}
        for pname, value in parse_params(model, "draw_dot"):
            module_name, _, local = pname.rpartition(".")
            if value not in self.owner:
                self.owner[value] = module_name
                self.local_name[value] = local

    @staticmethod
    def checked(model: Any) -> Module:
        """`model`, if it is a Module (group= needs its module tree)."""
        from tinygrad_edu.nn import Module

        if not isinstance(model, Module):
            raise TypeError(f"draw_dot: group= needs a tinygrad_edu.nn Module, got {type(model).__name__}")
        return model

    def common(self, a: str | None, b: str | None) -> str | None:
        """The lowest common module of two (None: no module at all)."""
        if a is None or b is None:
            return None
        while self.depth[a] > self.depth[b]:
            a = self.parent[a]
        while self.depth[b] > self.depth[a]:
            b = self.parent[b]
        while a != b:
            a, b = self.parent[a], self.parent[b]
        return a

    def collapsed_ancestor(self, path: str, collapse) -> str | None:
        """The outermost module at or above `path` that `collapse` selects."""
        kinds = collapse if isinstance(collapse, (list, tuple, set)) else [collapse]
        found = None
        p: str | None = path
        while p is not None:
            if _matches(self.modules[p], kinds):
                found = p
            p = self.parent[p]
        return found


def assign_modules(
    nodes: Value | Sequence[Value], model: Module, *, _tree: _ModuleTree | None = None
) -> dict[Value, str | None]:
    """Which module (dotted name, '' for the model itself, None for none)
    each Value belongs to, by the rules in this module's docstring.

        >>> import random; random.seed(0)
        >>> from tinygrad_edu.nn import Neuron
        >>> from tinygrad_edu import Value
        >>> n = Neuron(2)
        >>> out = n([1.0, 2.0])
        >>> loss = (out - Value(1.0, label="y")) ** 2
        >>> where = assign_modules(loss, n)
        >>> where[out], where[loss]  # the neuron is the model itself: ''
        ('', None)
    """
    if _tree is None:
        from tinygrad_edu.nn import Module

        if not isinstance(model, Module):
            raise TypeError(
                f"assign_modules: model must be a tinygrad_edu.nn Module, got {type(model).__name__}"
            )
    tree = _tree or _ModuleTree(model)
    order = _topological(_as_roots(nodes, "assign_modules"))
    where: dict[Value, str | None] = {}
    for v in order:
        if v in tree.owner:  # rule 1
            where[v] = tree.owner[v]
            continue
        parents = v.parents
        if not parents:  # rule 4: a leaf that is not a parameter
            where[v] = None
            continue
        owners = [tree.owner[p] for p in parents if p in tree.owner]
        if owners:  # rule 2: the deepest module among the parameter parents
            where[v] = max(owners, key=tree.depth.__getitem__)
            continue
        voters = [p for p in parents if p.parents or p.label]  # rule 4: unlabelled constants abstain
        if not voters:
            where[v] = None
            continue
        common = where.get(voters[0])
        for p in voters[1:]:  # rule 3
            common = tree.common(common, where.get(p))
        where[v] = common
    for v in _after_the_model(order, tree):  # rule 5
        where[v] = None
    return where


_ACTIVATIONS = ("relu", "tanh", "sigmoid")


def _after_the_model(order: Sequence[Value], tree: _ModuleTree) -> list[Value]:
    """The ops computed after the model's output: no op that reads a
    parameter can be reached from them (rule 5 of the module docstring)."""
    reads_param = {v for v in order if any(p in tree.owner for p in v.parents)}
    leads_to_model: set[Value] = set()  # an op reading a parameter is downstream
    for v in reversed(order):  # every consumer comes before its parents here
        if v in reads_param or v in leads_to_model:
            leads_to_model.update(v.parents)
    return [
        v
        for v in order
        if v.parents
        and v not in reads_param
        and v not in leads_to_model
        and not (v.op in _ACTIVATIONS and v.parents[0] in reads_param)  # the last neuron's activation
    ]


def _place_constants(order: Sequence[Value], owner: dict, tree: _ModuleTree) -> dict:
    """Draw an unlabelled constant next to its users when they all sit in one
    module (the 1/sqrt(d) of an attention head goes inside the head's box),
    instead of as a loose leaf with a long edge into it."""
    users: dict[Value, set] = {}
    for v in order:
        for p in v.parents:
            if not p.parents and not p.label and p not in tree.owner:
                users.setdefault(p, set()).add(owner.get(v))
    placed = dict(owner)
    for leaf, modules in users.items():
        if len(modules) == 1:
            placed[leaf] = next(iter(modules))
    return placed


def _collapse_kinds(collapse) -> list:
    return list(collapse) if isinstance(collapse, (list, tuple, set)) else [collapse]


def _check_collapse(collapse) -> None:
    """collapse= is a Module class, a class name, or a list of them."""
    if collapse is None:
        return
    for kind in _collapse_kinds(collapse):
        if not isinstance(kind, (str, type)):
            raise TypeError(f"draw_dot: collapse= takes Module classes or class names, got {kind!r}")


def _check_collapse_names(collapse, tree: _ModuleTree) -> None:
    """A class name that no module of the model has is a typo ('Nope',
    'neuron'): say so, and list the names there are."""
    present = {cls.__name__ for module in tree.modules.values() for cls in type(module).__mro__}
    for kind in _collapse_kinds(collapse):
        if isinstance(kind, str) and kind not in present:
            names = sorted({type(m).__name__ for m in tree.modules.values()})
            raise ValueError(
                f"draw_dot: collapse={kind!r} is not the class of any module in the model; "
                f"its modules are {', '.join(names)}"
            )


def _matches(module: Any, kinds: Iterable) -> bool:
    for kind in kinds:
        if isinstance(kind, str):
            if any(cls.__name__ == kind for cls in type(module).__mro__):
                return True
        elif isinstance(kind, type):
            if isinstance(module, kind):
                return True
        else:
            raise TypeError(f"draw_dot: collapse= takes Module classes or class names, got {kind!r}")
    return False


def _cluster_of(path: str | None, tree: _ModuleTree | None) -> str | None:
    """The cluster a node is drawn in: its module, but never the whole model."""
    if tree is None or path is None or path == "":
        return None
    return path


def _emit_clusters(dot, items: dict, tree: _ModuleTree | None) -> None:
    """Add the nodes to `dot`, inside nested `cluster_*` subgraphs per module."""
    import graphviz

    for name, attrs in items.get(None, []):
        dot.node(name, **attrs)
    if tree is None:
        return
    # Every module that holds something, and all its ancestors up to the model.
    needed: set[str] = set()
    for path in items:
        while path:
            needed.add(path)
            path = tree.parent[path]
    children: dict[str, list[str]] = {}
    for path in sorted(needed, key=tree.position.__getitem__):
        children.setdefault(tree.parent[path] or "", []).append(path)

    def build(path: str) -> graphviz.Digraph:
        sub = graphviz.Digraph(name=f"cluster_m{tree.position[path]}")
        summary = _module_summary(tree.modules[path])
        sub.attr(
            label=plain_text(f"{path}: {summary}"),
            style="rounded,dashed",
            color="#807dba",
            fontcolor="#54278f",
            fontsize="10",
        )
        for name, attrs in items.get(path, []):
            sub.node(name, **attrs)
        for child in children.get(path, []):
            sub.subgraph(build(child))
        return sub

    for top in children.get("", []):
        dot.subgraph(build(top))


def _module_summary(module: Any) -> str:
    text = f"{type(module).__name__}({module.extra_repr()})"
    return text if len(text) <= 60 else text[:57] + "..."


# ------------------------------------------------------------------ helpers
def format_number(x: float) -> str:
    """Fixed digits, so drawings are stable: 2.0000, -0.0010, 1.235e+06.

    >>> format_number(2.0), format_number(-0.0), format_number(1234567.0), format_number(1e-7)
    ('2.0000', '0.0000', '1.235e+06', '1.000e-07')
    """
    if type(x) is not float and (isinstance(x, bool) or not isinstance(x, (int, float))):
        raise TypeError(f"format_number: expected a number, got {x!r} of type {type(x).__name__}")
    if x == 0.0:
        return "0.0000"
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:.4f}"
    return f"{x:.3e}"


def format_exact(x: float) -> str:
    """`format_number`'s look with at least 6 significant digits, so that a
    local derivative worked out from the shown numbers is within the quiz's 1%
    (a box's 0.0012 would make 1/a 833 where the answer is 813).

    >>> format_exact(0.00123), format_exact(2.0), format_exact(0.7615941559557649)
    ('0.00123', '2.0000', '0.761594')
    >>> format_exact(123.456789), format_exact(-1234567.0), format_exact(1e-7)
    ('123.4568', '-1.23457e+06', '1.00000e-07')
    """
    if type(x) is not float and (isinstance(x, bool) or not isinstance(x, (int, float))):
        raise TypeError(f"format_exact: expected a number, got {x!r} of type {type(x).__name__}")
    if x == 0.0:
        return "0.0000"
    if not 1e-3 <= abs(x) < 1e5:
        return f"{x:.5e}"
    decimals = max(4, 6 - (math.floor(math.log10(abs(x))) + 1))
    text = f"{x:.{decimals}f}"
    while decimals > 4 and text.endswith("0"):  # 0.00123000 -> 0.00123, never below 4 decimals
        text, decimals = text[:-1], decimals - 1
    return text


def grad_scale(order: Sequence[Value], roots: Sequence[Value]) -> float:
    """The |grad| that gets the deepest colour: the largest one, leaving out
    the output's own grad (always 1 after backward, it would wash out the rest)."""
    root_set = set(roots)
    scale = max((abs(v.grad) for v in order if v not in root_set), default=0.0)
    return scale or max((abs(r.grad) for r in roots), default=0.0)


def grad_color(grad: float, scale: float) -> str:
    """White for 0, deeper blue for larger positive grads, deeper red for
    larger negative ones, relative to `scale` (the largest |grad| drawn).

        >>> grad_color(0.0, 1.0), grad_color(1.0, 1.0), grad_color(-1.0, 1.0)
        ('#ffffff', '#67a9cf', '#ef8a62')
    """
    for name, x in (("grad", grad), ("scale", scale)):
        if type(x) is not float and (isinstance(x, bool) or not isinstance(x, (int, float))):
            raise TypeError(f"grad_color: {name} must be a number, got {x!r} of type {type(x).__name__}")
    if scale <= 0.0 or grad == 0.0:
        return "#ffffff"
    # sqrt: small grads stay visible next to a big one.
    t = min(1.0, abs(grad) / scale) ** 0.5
    end = _POSITIVE if grad > 0 else _NEGATIVE
    return "#" + "".join(f"{round(255 + (c - 255) * t):02x}" for c in end)


def record_text(text: str) -> str:
    r"""Text for a field of a Graphviz record label: the characters that mean
    something there (``{ } | < >``, quotes, backslashes, newlines) escaped, so
    they show as themselves.

        >>> print(record_text('a<b> {c|d} "e"'))
        a\<b\>\ \{c\|d\}\ \"e\"
    """
    return _escaped(text, '{}|<> "\\')


def plain_text(text: str) -> str:
    r"""Text for an ordinary Graphviz label: quotes, backslashes, newlines escaped.

        >>> print(plain_text('say "hi"\\'))
        say \"hi\"\\
    """
    return _escaped(text, '"\\')


def _escaped(text: str, special: str) -> str:
    """`text` with a backslash before each `special` character, newlines as
    a Graphviz newline, and other control characters shown as text."""
    out = []
    for ch in text:
        if ch in special:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            continue
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\\\x{ord(ch):02x}")  # shows as \x07: XML has no control characters
        elif 0xD800 <= ord(ch) <= 0xDFFF:
            out.append(f"\\\\u{ord(ch):04x}")  # a lone surrogate: no UTF-8 exists for it
        else:
            out.append(ch)
    return "".join(out)


def check_options(max_nodes: int, rankdir: str, renderer: str, where: str = "draw_dot") -> None:
    """The drawing options, checked before any work (a typo would otherwise
    surface only when Graphviz or Jupyter reads them)."""
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"{where}: max_nodes must be a positive int, got {max_nodes!r}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"{where}: rankdir must be one of {_RANKDIRS}, got {rankdir!r}")
    if renderer not in RENDERERS:
        raise ValueError(f"{where}: renderer must be one of {RENDERERS}, got {renderer!r}")


_RANKDIRS = ("LR", "TB", "RL", "BT")


def _as_roots(root: Value | Sequence[Value], where: str = "draw_dot") -> list[Value]:
    if isinstance(root, Value):
        return [root]
    if isinstance(root, (str, bytes)) or not isinstance(root, Iterable):
        raise TypeError(f"{where}: expected a Value or a list of Values, got {type(root).__name__}")
    roots = list(root)
    if not roots or not all(isinstance(r, Value) for r in roots):
        raise TypeError(f"{where}: expected a Value or a non-empty list of Values")
    return roots


def _topological(roots: Sequence[Value]) -> list[Value]:
    """All the values the roots depend on, parents first, each once."""
    if len(roots) == 1:
        return roots[0].topological_order()
    order: list[Value] = []
    seen: set[Value] = set()
    for r in roots:
        for v in r.topological_order():
            if v not in seen:
                seen.add(v)
                order.append(v)
    return order


def _param_set(params, group) -> set[Value]:
    """The Values drawn as parameters: those of `params` and of `group`."""
    found = {v for _, v in parse_params(params, "draw_dot")}
    if group is not None:
        found.update(v for _, v in parse_params(_ModuleTree.checked(group), "draw_dot"))
    return found


def _root_names(roots: Sequence[Value], index: dict[Value, int]) -> str:
    """The outputs' names for the DOT comment line: a label's control
    characters (a NUL, a newline) and lone surrogates as visible escapes, so
    nothing can end the comment or the file's UTF-8."""
    names = (r.label if r.label else f"#{index[r]}" for r in roots)
    return ", ".join(_comment_safe(name) for name in names)


def _comment_safe(text: str) -> str:
    return "".join(
        ch if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF else ascii(ch)[1:-1] for ch in text
    )


def _too_many_message(count: int, total: int, max_nodes: int, group, collapse) -> str:
    head = f"draw_dot: the drawing would have {count} boxes ({total} values in the graph), more than max_nodes={max_nodes}"
    if group is None:
        return (
            f"{head}. A graph this big is unreadable and slow to lay out: pass group=<your model>, "
            f"collapse='Neuron' (or 'Layer') to draw each module as one box, or raise max_nodes."
        )
    if collapse is None:
        return (
            f"{head}. Pass collapse='Neuron' (or 'Layer') to draw each module as one box, or raise max_nodes."
        )
    return f"{head} even with collapse={collapse!r}: collapse a bigger module (e.g. 'Layer'), or raise max_nodes."


def _add_legend(dot, scale: float, show_grad: bool) -> None:
    import graphviz

    from ._digraph import nohtml

    key = graphviz.Digraph(name="cluster_legend")
    key.attr(label="key", style="rounded", color="#bbbbbb", fontsize="10", fontcolor="#555555")
    names = []
    for kind, text in [
        ("parameter", "parameter"),
        ("input", "input or constant"),
        ("intermediate", "intermediate"),
        ("output", "output"),
    ]:
        names.append(f"key_{kind}")
        key.node(names[-1], label=nohtml(text), fillcolor="#ffffff", fontsize="9", **_KIND_STYLE[kind])
    if show_grad and scale > 0.0:
        # Each swatch shows its deepest colour, and says which grad gets it:
        # the largest |grad| drawn, with that swatch's sign (the largest grad
        # itself may have either sign).
        for name, sign, text in [("key_pos", 1.0, "grad > 0"), ("key_neg", -1.0, "grad < 0")]:
            names.append(name)
            key.node(
                name,
                label=nohtml(f"{text}, deepest at {format_number(sign * scale)}"),
                shape="box",
                style="filled",
                fillcolor=grad_color(sign * scale, scale),
                fontsize="9",
            )
    # An invisible chain lays the key out in one line, across the ranks.
    for tail, head in zip(names, names[1:]):
        key.edge(tail, head, style="invis")
    dot.subgraph(key)
