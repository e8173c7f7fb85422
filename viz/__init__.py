"""Pictures of computation graphs, and backprop played step by step.

    >>> import viz
    >>> from tinygrad_edu import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> loss = (a * b).tanh(); loss.label = "loss"
    >>> loss.backward()
    >>> dot = viz.draw_dot(loss)          # a graphviz.Digraph: shows inline in Jupyter
    >>> path = viz.render(loss, "graph.svg")  # doctest: +SKIP
    >>> page = viz.write_stepping_page(loss, "backprop.html")  # doctest: +SKIP

`draw_dot` builds the picture, `render` writes it (system ``dot`` or the
in-process WebAssembly Graphviz), `stepping_page` makes one self-contained
HTML file that plays the forward and the backward pass node by node,
`explain_grad` says why a node's grad is what it is (the chain rule's sum),
`TrainingRecorder` plays a whole training run in one HTML file,
`draw_tree` draws a dependency tree (tinygrad_edu.models.parser),
`draw_blocks` a composed model of `tinygrad_edu.lecture` as a block
diagram, and `write_model_view` opens a trained GPT or BERT on a prompt
(viz.model_view). The command line has them too: ``tinygrad-edu draw``,
``tinygrad-edu step`` and ``tinygrad-edu view``.
Nothing here imports graphviz until a graph is drawn.
"""

from .blocks import draw_blocks
from .draw import (
    DEFAULT_MAX_NODES,
    assign_modules,
    draw_dot,
    format_exact,
    format_number,
    grad_color,
    render,
    render_bytes,
)
from .explain import explain_grad
from .model_view import model_view_data, write_model_view
from .page import stepping_page, write_stepping_page
from .rendering import DEFAULT_TIMEOUT, RendererUnavailable, RenderTimeout, choose_renderer
from .training import TrainingRecorder, mlp_grid_scores
from .tree import draw_tree

__all__ = [
    "DEFAULT_MAX_NODES",
    "DEFAULT_TIMEOUT",
    "RenderTimeout",
    "RendererUnavailable",
    "TrainingRecorder",
    "assign_modules",
    "choose_renderer",
    "draw_blocks",
    "draw_dot",
    "draw_tree",
    "explain_grad",
    "format_exact",
    "format_number",
    "grad_color",
    "mlp_grid_scores",
    "model_view_data",
    "render",
    "render_bytes",
    "stepping_page",
    "write_model_view",
    "write_stepping_page",
]
