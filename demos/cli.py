"""The `tinygrad-edu` command: run a demo, draw a graph, step through backprop.

tinygrad-edu demo moons [--quick] [--out DIR]
tinygrad-edu draw "(a*b + c).tanh()" --set a=2 b=-3 c=10 --out graph.svg
tinygrad-edu step "(a*b + c).tanh()" --set a=2 b=-3 c=10
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# The exit code a shell reports for a process stopped by SIGPIPE (128 + 13).
BROKEN_PIPE = 141


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit code.

    Output piped into a reader that stops early (``tinygrad-edu demo neuron |
    head -3``) ends the command quietly, as `cat` would, not in a traceback.
    """
    try:
        return _dispatch(list(sys.argv[1:] if argv is None else argv))
    except BrokenPipeError:
        # Nothing more can be printed; point stdout at /dev/null so that
        # Python's own flush at exit does not raise a second time.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return BROKEN_PIPE


def _dispatch(argv: list[str]) -> int:
    from demos import DEMOS

    parser = argparse.ArgumentParser(
        prog="tinygrad-edu",
        description="Neural networks from one scalar up to a tiny GPT.",
        epilog="demos: " + ", ".join(DEMOS) + ". `tinygrad-edu demo NAME --help` shows a demo's options.",
    )
    commands = parser.add_subparsers(dest="command", metavar="{demo,draw,step}")
    demo = commands.add_parser("demo", help="run a demo: " + ", ".join(DEMOS), add_help=False)
    demo.add_argument("name", nargs="?", help="which demo")
    commands.add_parser("draw", help="draw the graph of an expression to SVG/PNG", add_help=False)
    commands.add_parser("step", help="step through backprop of an expression", add_help=False)

    args, rest = parser.parse_known_args(argv[:2])
    rest += argv[2:]
    if args.command == "demo":
        if args.name is None or args.name in ("-h", "--help"):
            print("usage: tinygrad-edu demo NAME [options]\n\ndemos:")
            for name, (_, summary) in DEMOS.items():
                print(f"  {name:<12} {summary}")
            return 0
        if args.name not in DEMOS:
            parser.error(f"unknown demo {args.name!r}; choose from: {', '.join(DEMOS)}")
        module = importlib.import_module(DEMOS[args.name][0])
        return module.main(rest)
    if args.command in ("draw", "step"):
        from viz import cli as viz_cli

        return getattr(viz_cli, f"{args.command}_main")(rest)
    parser.print_help()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
