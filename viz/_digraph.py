"""A `graphviz.Digraph` that Jupyter can show even without Graphviz installed.

graphviz's own Digraph displays itself by piping its source through the
system ``dot``; this one renders with `viz.rendering` instead, which falls
back to the in-process WebAssembly Graphviz. Imported only when a graph is drawn,
so `import viz` (and `import tinygrad_edu`) never import graphviz.
"""

from __future__ import annotations

import graphviz
from graphviz import nohtml

from .rendering import render_dot_bytes

__all__ = ["Digraph", "nohtml"]


class Digraph(graphviz.Digraph):
    """`graphviz.Digraph` whose inline display goes through `render_dot_bytes`."""

    renderer = "auto"  # 'auto', 'dot' or 'wasm': see viz.render

    def _repr_image_svg_xml(self) -> str:
        return render_dot_bytes(self, "svg", renderer=self.renderer).decode("utf-8")

    def _repr_image_png(self) -> bytes:
        return render_dot_bytes(self, "png", renderer=self.renderer)

    def _repr_svg_(self) -> str:  # for front ends that ask for SVG directly
        return self._repr_image_svg_xml()
