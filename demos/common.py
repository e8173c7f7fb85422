"""What every demo shares: its options, its output folder, its progress bar."""

from __future__ import annotations

import argparse
import os
import random
from collections.abc import Sequence
from pathlib import Path

DEFAULT_OUTPUT_ROOT = "tinygrad-edu-output"


def demo_parser(name: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"tinygrad-edu demo {name}", description=description)
    parser.add_argument("--quick", action="store_true", help="a few seconds' run (what CI runs)")
    parser.add_argument(
        "--out",
        default=os.path.join(DEFAULT_OUTPUT_ROOT, name),
        help="folder for the pictures (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=1337, help="random seed (default: %(default)s)")
    return parser


def setup(args: argparse.Namespace) -> Path:
    """Seed the random module and make the output folder; return it."""
    random.seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def progress(iterable, total: int | None = None, desc: str = ""):
    """A tqdm progress bar (on stderr), so stdout keeps only the results."""
    from tqdm import tqdm

    # disable=None: no bar when stderr is not a terminal (CI logs, pipes).
    return tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True, disable=None)


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend (no screen needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, *paths: Path, dpi: int | None = None) -> list[Path]:
    """Lay the figure out (unless it was made with a layout engine), write it
    to each path (the suffix picks the format), free it; return the paths."""
    if fig.get_layout_engine() is None:
        fig.tight_layout()
    for path in paths:
        fig.savefig(path, dpi=dpi)
    pyplot().close(fig)
    return list(paths)


def report_outputs(paths: Sequence[Path]) -> None:
    print("wrote:")
    for path in paths:
        print(f"  {path}")
