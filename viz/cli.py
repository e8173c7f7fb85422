"""``tinygrad-edu draw`` and ``tinygrad-edu step``: graphs from the command line.

    tinygrad-edu draw "(a*b + c).tanh()" --set a=2 b=-3 c=10 --out graph.svg
    tinygrad-edu step "(a*b + c).tanh()" --set a=2 b=-3 c=10 [--html steps.html]
    tinygrad-edu step "(a*b + c).tanh()" --set a=2 b=-3 c=10 --quiz --html quiz.html

`demos.cli` (the `tinygrad-edu` command) hands the arguments after the subcommand to `draw_main` /
`step_main`, which return the exit code: 0 on success, 2 for a refused
expression, a bad option, a file that cannot be written or a graph too big
to lay out in time (with the reason on stderr, never a traceback), 1 when
no renderer is available.

An expression may start with a minus sign (``draw "-a*b" --set a=1 b=2``):
anything starting with ``-`` that is not one of the options is taken for
the expression.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from .expr import FUNCTIONS, ExpressionError, build_expression, parse_assignments
from .rendering import DEFAULT_TIMEOUT

__all__ = ["draw_main", "step_main"]

_EXPR_HELP = (
    "an expression over the names given with --set: numbers, + - * / **, and the ops "
    + ", ".join(FUNCTIONS)
    + " (as x.tanh() or tanh(x); sum(a, b, c) or sum([a, b, c]); dot([w1, w2], [x1, x2])); "
    "quote it for the shell"
)
PAGE_SUFFIXES = (".html", ".htm")


def _parser(command: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"tinygrad-edu {command}",
        description=description,
        epilog=f'example: tinygrad-edu {command} "(a*b + c).tanh()" --set a=2 b=-3 c=10',
    )
    parser.add_argument("expr", metavar="EXPR", help=_EXPR_HELP)
    parser.add_argument(
        "--set",
        dest="assignments",
        metavar="NAME=NUMBER",
        nargs="+",
        action="extend",
        default=[],
        help="the value of each name in EXPR, e.g. --set a=2 b=-3",
    )
    parser.add_argument(
        "--renderer",
        choices=("auto", "dot", "wasm"),
        default="auto",
        help="Graphviz's dot, or the in-process WebAssembly Graphviz (default: dot if on PATH)",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="stop a layout that takes longer than this (default: %(default)g)",
    )
    return parser


def _seconds(text: str) -> float:
    """An argparse type: a positive, finite number of seconds."""
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (0 < x < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return x


def draw_main(argv: Sequence[str] | None = None) -> int:
    """Draw the graph of EXPR, after a backward pass, to an SVG/PNG/PDF/DOT file."""
    parser = _parser("draw", "Draw the computation graph of an expression, with its gradients.")
    parser.add_argument(
        "--out",
        default="graph.svg",
        help="the file to write: .svg, .png, .pdf or .dot (default: %(default)s)",
    )
    parser.add_argument("--no-backward", action="store_true", help="draw before backward: every grad 0")
    parser.add_argument("--no-grad", action="store_true", help="hide the grads")
    parser.add_argument("--no-data", action="store_true", help="hide the values")
    parser.add_argument("--no-legend", action="store_true", help="leave out the key to the styles")
    args = parser.parse_args(_expression_first(parser, argv))
    if Path(args.out).is_dir():  # say so, rather than "cannot tell the format" of a folder
        return _file_error("draw", args.out, IsADirectoryError(21, "it is a directory: give a file name"))
    root = _build(args, "draw")
    if root is None:
        return 2
    if not args.no_backward:
        root.backward()

    from .draw import draw_dot
    from .rendering import RendererUnavailable, RenderTimeout, choose_renderer, render_dot

    try:
        dot = draw_dot(
            root, show_grad=not args.no_grad, show_data=not args.no_data, legend=not args.no_legend
        )
        suffix = args.out.rsplit(".", 1)[-1].lower() if "." in args.out else ""
        which = choose_renderer(args.renderer, suffix) if suffix in ("svg", "png", "pdf") else "none"
        path = render_dot(dot, args.out, renderer=args.renderer, timeout=args.timeout)
    except (RendererUnavailable, RenderTimeout, ValueError, OSError) as error:
        return _failed("draw", args.out, error)
    how = f" (rendered with {which})" if which != "none" else ""
    print(f"wrote {path}{how}: {len(root.topological_order())} values, output {root.data:.6g}")
    return 0


def step_main(argv: Sequence[str] | None = None) -> int:
    """Print the forward pass and then backprop node by node; optionally
    write the stepping HTML page."""
    parser = _parser("step", "Step through the forward pass and backprop of an expression, node by node.")
    parser.add_argument(
        "--html", metavar="PAGE.html", help="also write a self-contained HTML page that plays the steps"
    )
    parser.add_argument(
        "--quiz",
        action="store_true",
        help="make the page a quiz: type each local derivative before the step is shown (needs --html; "
        "the backward steps are then not printed)",
    )
    args = parser.parse_args(_expression_first(parser, argv))
    if args.html is not None and Path(args.html).suffix.lower() not in PAGE_SUFFIXES:
        parser.error(f"--html takes a file name ending in .html, got {args.html!r}")
    if args.quiz and args.html is None:
        parser.error("--quiz makes a page: give it a file with --html quiz.html")
    root = _build(args, "step")
    if root is None:
        return 2
    if args.quiz:
        return _write_page(root, args)

    from tinygrad_edu.stepping import formula_name, forward_steps

    print("forward pass:")
    for step in forward_steps(root):
        print(f"  {step}")
    print("\nbackward pass (one node at a time, output first):")
    for step in root.backward_steps():
        print(f"  [{step.index + 1}/{step.total}] " + str(step).replace("\n", "\n" + " " * 4))
    order = root.topological_order()
    top = formula_name(root, len(order) - 1)
    leaves = [(i, v) for i, v in enumerate(order) if not v.parents and v.label]
    print("\ngrads: " + ", ".join(f"d{top}/d{formula_name(v, i)} = {v.grad:.6g}" for i, v in leaves))

    return _write_page(root, args) if args.html is not None else 0


def _write_page(root, args: argparse.Namespace) -> int:
    """Write the stepping page (or the quiz) to --html, and say so."""
    from .page import write_stepping_page
    from .rendering import RendererUnavailable, RenderTimeout

    try:
        path = write_stepping_page(
            root, args.html, renderer=args.renderer, timeout=args.timeout, quiz=args.quiz
        )
    except (RendererUnavailable, RenderTimeout, ValueError, OSError) as error:
        return _failed("step", args.html, error)
    if args.quiz:
        n = sum(len(v.parents) for v in root.topological_order())
        print(
            f"wrote {path}: a quiz of {n} local derivatives; open it in any browser (Enter checks an answer, the right arrow goes on)"
        )
    else:
        print(f"wrote {path}: open it in any browser (#step=K at the end of its address jumps to step K)")
    return 0


def _build(args: argparse.Namespace, command: str):
    try:
        values = parse_assignments(args.assignments)
        return build_expression(args.expr, values)
    except ExpressionError as error:
        print(f"tinygrad-edu {command}: {error}", file=sys.stderr)
        return None


def _expression_first(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> list[str]:
    """The arguments, with an expression that starts with '-' (like "-a*b")
    protected from argparse, which would take it for an unknown option: a
    leading space makes it an ordinary argument (the parser strips it)."""
    args = list(sys.argv[1:] if argv is None else argv)
    options = {s for action in parser._actions for s in action.option_strings}
    for k, arg in enumerate(args):
        option = arg.split("=", 1)[0]
        if arg == "--":
            break
        if arg.startswith("-") and option not in options and not re.fullmatch(r"--[a-z][a-z-]*", option):
            args[k] = " " + arg
    return args


def _failed(command: str, path: str, error: Exception) -> int:
    """The message and exit code for a drawing or page that could not be
    written: 1 when no renderer is installed, 2 for everything else."""
    from .rendering import RendererUnavailable

    if isinstance(error, OSError):
        return _file_error(command, path, error)
    print(f"tinygrad-edu {command}: {error}", file=sys.stderr)
    return 1 if isinstance(error, RendererUnavailable) else 2


def _file_error(command: str, path: str, error: OSError) -> int:
    """A file that cannot be written: a message naming it, exit code 2."""
    reason = error.strerror or str(error)
    print(f"tinygrad-edu {command}: cannot write {path!r}: {reason}", file=sys.stderr)
    return 2
