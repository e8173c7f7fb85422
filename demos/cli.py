"""The `tinygrad-edu` command: run a demo, draw a graph, step through backprop,
look inside a trained model.

tinygrad-edu demo moons [--quick] [--out DIR]
tinygrad-edu draw "(a*b + c).tanh()" --set a=2 b=-3 c=10 --out graph.svg
tinygrad-edu step "(a*b + c).tanh()" --set a=2 b=-3 c=10
tinygrad-edu view tinygrad-edu-output/gpt/model.json --prompt ".jas" --out model.html [--json view.json]
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
    commands = parser.add_subparsers(dest="command", metavar="{demo,draw,step,view}")
    demo = commands.add_parser("demo", help="run a demo: " + ", ".join(DEMOS), add_help=False)
    demo.add_argument("name", nargs="?", help="which demo")
    commands.add_parser("draw", help="draw the graph of an expression to SVG/PNG", add_help=False)
    commands.add_parser("step", help="step through backprop of an expression", add_help=False)
    commands.add_parser("view", help="a page inside a trained GPT or BERT (model.json)", add_help=False)

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
    if args.command == "view":
        return view_main(rest)
    parser.print_help()
    return 0


# ------------------------------------------------------------------- view
def view_main(argv: Sequence[str]) -> int:
    """``tinygrad-edu view MODEL_FILE --prompt TEXT --out model.html``: the
    model view (viz.model_view) of a GPT or BERT saved by its demo, with the
    weight snapshots kept in the file. The neurons' top contexts come from
    ``--corpus FILE``, or else from the demo's own data when the file names
    it. Exit code 2, with a message and nothing written, for a file that is
    not a saved GPT or BERT (another kind, cut short, hand-edited), an empty
    prompt or an output that cannot be written."""
    parser = argparse.ArgumentParser(
        prog="tinygrad-edu view",
        description="Write one HTML page showing what a trained GPT or BERT does with a prompt.",
    )
    parser.add_argument(
        "model_file", metavar="MODEL_FILE", help="a model.json saved by demo gpt or demo bert"
    )
    parser.add_argument("--prompt", required=True, help="the text to look at (BERT: with a [MASK])")
    parser.add_argument("--out", default="model.html", help="the page to write (default: %(default)s)")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write the page's data as JSON")
    parser.add_argument(
        "--corpus",
        default=None,
        metavar="FILE",
        help="UTF-8 training text for the neurons' top contexts (one document a line; "
        "default: the demo's own data, when the model file names it)",
    )
    args = parser.parse_args(argv)

    def refuse(message: str) -> int:
        print(f"tinygrad-edu view: error: {message}", file=sys.stderr)
        return 2

    from tinygrad_edu.models.saved import load_model
    from viz.model_view import write_model_view

    try:
        saved = load_model(args.model_file)
    except (OSError, ValueError) as error:
        return refuse(str(error))
    if saved.kind not in ("gpt", "bert"):
        return refuse(f"{args.model_file!r} holds a {saved.kind!r} model; the view shows a 'gpt' or a 'bert'")
    try:
        corpus = _view_corpus(saved, args.corpus)
    except (OSError, ValueError) as error:
        return refuse(f"--corpus {args.corpus!r}: {error}")
    if corpus is None:
        print(
            "tinygrad-edu view: no training text: the neurons' top contexts are left out (give --corpus FILE)"
        )
    try:
        path, warnings = write_model_view(
            saved.model,
            saved.vocab,
            args.prompt,
            args.out,
            corpus=corpus,
            snapshots=list(saved.snapshots),
            json_path=args.json,
        )
    except ValueError as error:
        return refuse(str(error))
    except OSError as error:
        return refuse(f"cannot write {error.filename or args.out!r}: {error.strerror}")
    for warning in warnings:
        print(f"tinygrad-edu view: warning: {warning}", file=sys.stderr)
    print(f"wrote {path}" + (f" and {args.json}" if args.json else ""))
    return 0


def _view_corpus(saved, corpus_file: str | None) -> list[list[int]] | None:
    """The documents (token ids) to scan for the neurons' top contexts: each
    line of `corpus_file`, or the demo's own data named in the file's meta
    (the names for demo gpt, the sense corpus for demo bert), or None. A
    model trained by ``demo gpt --text`` reads its text (`corpus_file`, or
    the file it was trained on) as one stream, in context windows."""
    tokenizer = saved.vocab
    if saved.kind == "gpt" and saved.meta.get("stream"):  # demo gpt --text: one stream of characters
        with open(corpus_file or saved.meta["text_file"], encoding="utf-8") as f:
            ids = [tokenizer.stoi[c] for c in f.read() if c in tokenizer.stoi]
        context = saved.model.block_size
        return [ids[i : i + context] for i in range(0, len(ids), context)] or None
    if corpus_file is not None:
        with open(corpus_file, encoding="utf-8") as f:
            lines = [line.strip() for line in f if line.strip()]
        if not lines:
            raise ValueError("the file holds no text")
    elif saved.kind == "gpt" and saved.meta.get("data") == "first-names.txt":
        from tinygrad_edu.datasets import load_names

        lines = load_names()
    elif saved.kind == "bert" and saved.meta.get("demo") == "bert":
        from tinygrad_edu.datasets.senses import sense_corpus

        return [tokenizer.encode(s.words) for s in sense_corpus(seed=0).train]
    else:
        return None
    if saved.kind == "bert":
        return [tokenizer.encode(line) for line in lines]
    context = saved.model.block_size
    documents = []
    for line in lines:  # [BOS] + the characters the tokenizer knows, cut to the context
        ids = [tokenizer.bos] + [tokenizer.stoi[c] for c in line if c in tokenizer.stoi]
        documents.append(ids[:context])
    return documents


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
