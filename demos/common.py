"""What every demo shares: its options (checked), its output folder, its
progress bar, its training loop, its figures and its results.json.

A demo's `main(argv)` reads, in order::

    parser = demo_parser("moons", __doc__.splitlines()[0])
    parser.add_argument("--steps", type=positive_int, default=100, help="...")
    args = parser.parse_args(argv)       # bad options: a message and exit code 2
    out = setup(args)                    # seeded, folder made, --quick said once
    ...
    for step, loss in progress(train_loop(optimizer, batch_loss, steps), total=steps): ...
    write_results(out, args, seconds, train_accuracy=0.98, ...)
    paths += save_trained(args, out, model, tokenizer, steps=steps)   # out/model.json

and a demo that answers questions with its model (``--sentence``) finds it
again with ``saved = find_saved(args, out, "parser")``.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from tinygrad_edu.nn.module import write_atomically

DEFAULT_OUTPUT_ROOT = "tinygrad-edu-output"

# Every demo that trains a system saves it here, in its output folder: one
# file with the weights, the settings, the vocabulary and how it was trained
# (tinygrad_edu.models.saved).
MODEL_FILE = "model.json"

QUICK_NOTICE = (
    "--quick: a smoke test that runs in seconds; it is far too short to learn, "
    "so the figures below say nothing about what the model can do"
)


# ------------------------------------------------------------------ options
def positive_int(text: str) -> int:
    """An argparse type: a whole number >= 1 (`--steps 0` is refused, not a ZeroDivisionError)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


def positive_ints(text: str) -> list[int]:
    """An argparse type: comma-separated whole numbers >= 1, like 2,5,10."""
    try:
        return [positive_int(part) for part in text.split(",")]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected whole numbers >= 1 separated by commas, got {text!r}"
        ) from None


def output_folder(text: str) -> str:
    """An argparse type: a folder that exists or can be made (not a file,
    not inside a file, not in a folder we cannot write to)."""
    if not text:
        raise argparse.ArgumentTypeError("expected a folder, got an empty path")
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a file, not a folder")
    existing = path
    while not existing.exists():  # the nearest ancestor that exists must be a writable folder
        existing = existing.parent
    if not existing.is_dir():
        raise argparse.ArgumentTypeError(f"cannot make the folder {text!r}: {str(existing)!r} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"cannot write to {str(existing)!r} (permission denied)")
    return text


def existing_file(text: str) -> str:
    """An argparse type: a readable text file (`--corpus /bin/ls` is refused)."""
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text!r} is not a file")
    try:
        with path.open(encoding="utf-8") as f:
            f.read(65536)
    except UnicodeDecodeError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a UTF-8 text file") from None
    except OSError as error:
        raise argparse.ArgumentTypeError(f"cannot read {text!r}: {error.strerror}") from None
    return text


def comma_list(choices: Sequence[str]) -> Callable[[str], list[str]]:
    """An argparse type: comma-separated names, each one of `choices`."""

    def parse(text: str) -> list[str]:
        names = [name.strip() for name in text.split(",") if name.strip()]
        if not names:
            raise argparse.ArgumentTypeError(f"expected names from {', '.join(choices)}, got {text!r}")
        unknown = [name for name in names if name not in choices]
        if unknown:
            raise argparse.ArgumentTypeError(
                f"unknown {', '.join(map(repr, unknown))}; choose from {', '.join(choices)}"
            )
        return names

    return parse


def demo_parser(name: str, description: str) -> argparse.ArgumentParser:
    """The options every demo has: --quick, --out DIR, --seed N."""
    parser = argparse.ArgumentParser(prog=f"tinygrad-edu demo {name}", description=description)
    parser.set_defaults(demo=name)
    parser.add_argument("--quick", action="store_true", help="a few seconds' smoke run (what CI runs)")
    parser.add_argument(
        "--out",
        type=output_folder,
        default=os.path.join(DEFAULT_OUTPUT_ROOT, name),
        help="folder for the pictures and results.json (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=1337, help="random seed (default: %(default)s)")
    return parser


def setup(args: argparse.Namespace, quick_notice: str = QUICK_NOTICE) -> Path:
    """Seed the random module, make the output folder and return it; say
    once, first, when the run is a --quick smoke test."""
    random.seed(args.seed)
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # raced, or a read-only file system output_folder could not see
        fail(args, f"cannot make the output folder {args.out!r}: {error.strerror}")
    if args.quick:
        print(quick_notice)
    return out


def fail(args: argparse.Namespace, message: str, code: int = 2) -> None:
    """End the demo with `message` on stderr and exit `code`, the way argparse does."""
    print(f"tinygrad-edu demo {args.demo}: error: {message}", file=sys.stderr)
    raise SystemExit(code)


# ---------------------------------------------------------------- training
def progress(iterable, total: int | None = None, desc: str = ""):
    """A tqdm progress bar (on stderr), so stdout keeps only the results."""
    from tqdm import tqdm

    # disable=None: no bar when stderr is not a terminal (CI logs, pipes).
    return tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True, disable=None)


def lr_factor(step: int, steps: int, decay_to: float = 0.0, warmup: int = 0) -> float:
    """The learning rate of step `step` (0, 1, ..., steps - 1) as a fraction
    of the starting one: falling linearly to `decay_to` over `steps`, and,
    with `warmup`, rising linearly over the first `warmup` steps (a Transformer's
    attention is easily knocked into a bad place by full-size first steps,
    when every weight is still random: Vaswani et al. warm up too).

        >>> [lr_factor(step, 4) for step in range(4)]
        [1.0, 0.75, 0.5, 0.25]
        >>> [lr_factor(step, 4, warmup=2) for step in range(4)]
        [0.5, 0.75, 0.5, 0.25]
    """
    factor = 1.0 - (1.0 - decay_to) * step / steps
    return min(factor, (step + 1) / warmup) if warmup else factor


def train_loop(
    optimizer,
    batch_loss: Callable[[int], object],
    steps: int,
    *,
    decay_to: float = 0.0,
    warmup: int = 0,
    clip: float | None = None,
    before_step: Callable[[int, float], None] | None = None,
) -> Iterator[tuple[int, float]]:
    """The training loop every demo runs: for each step, on a fresh
    `tinygrad_edu.tape()`, build the loss (`batch_loss(step)` returns a
    Value), zero the grads, backpropagate, optionally clip the gradient's
    length, and step. The learning rate falls linearly from its start to
    `decay_to` times it over `steps` (big steps first, then settle;
    `decay_to=1.0` keeps it constant), after rising over the first `warmup`
    steps if asked (`lr_factor`). Yields (step, loss as a float). `before_step(step, loss)` is called when the grads are
    known and nothing has changed yet: where a `viz.TrainingRecorder` records.

        >>> from tinygrad_edu import Value
        >>> from tinygrad_edu.optim import SGD
        >>> w = Value(3.0)
        >>> opt = SGD([w], lr=0.1)
        >>> [round(loss, 3) for _, loss in train_loop(opt, lambda step: w * w, 3, decay_to=1.0)]
        [9.0, 5.76, 3.686]
    """
    from tinygrad_edu import tape
    from tinygrad_edu.optim import clip_grad_norm_

    lr = optimizer.lr
    for step in range(steps):
        # A tape per step: backward() walks the order the ops ran in instead
        # of searching the graph, the cyclic collector is paused (our graphs
        # have no cycles), and the step's graph is freed when it ends. (CPU
        # time of a whole demo, the collector paused against not, before the
        # tape: moons 3.69 -> 3.44 s, digits --epochs 1 6.6 -> 5.5 s.)
        with tape():
            loss = batch_loss(step)
            optimizer.zero_grad()
            loss.backward()
            if clip is not None:
                clip_grad_norm_(optimizer.params, clip)
            if before_step is not None:
                before_step(step, loss.data)
            optimizer.lr = lr * lr_factor(step, steps, decay_to, warmup)
            optimizer.step()
            value = loss.data
            del loss  # free this step's graph now, not when the next one is built
        yield step, value
    optimizer.lr = lr


def recent_loss(history: Sequence[float], window: int = 50) -> float:
    """The mean of the last `window` losses (all of them, if fewer): the
    figure a progress bar and a final-loss line show, steadier than one step.

        >>> recent_loss([9.0, 3.0, 1.0], window=2)
        2.0
    """
    recent = history[-window:]
    return sum(recent) / len(recent)


def running_mean(values: Sequence[float], window: int) -> list[float]:
    """The mean of the last `window` values at each point (fewer at the
    start): a noisy per-step loss, smoothed for its plot.

        >>> running_mean([4.0, 2.0, 0.0, 2.0], 2)
        [4.0, 3.0, 1.0, 1.0]
    """
    return [
        sum(values[max(0, i - window + 1) : i + 1]) / (i + 1 - max(0, i - window + 1))
        for i in range(len(values))
    ]


# ------------------------------------------------------------------ output
def pyplot():
    """matplotlib's pyplot on the file-only Agg backend (no screen needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


# Where a label may go from its point, in points: right, below, above, then left.
_LABEL_PLACES = [(4, 2, "left"), (4, -10, "left"), (4, 12, "left"), (-4, 2, "right"), (-4, -10, "right"),
                 (4, -20, "left"), (-4, 12, "right"), (4, 22, "left")]  # fmt: skip


def label_points(
    ax, points: dict[str, tuple[float, float]], fontsize: float = 8, bold: Sequence[str] = (), **style
) -> None:
    """Write each name beside its point, moving a label to another side of
    its point when it would cover one already written: close words ("money",
    "loan", "cash") stay readable. Greedy: the `bold` names first (larger),
    then top to bottom; a label with no free place goes to the right."""
    ax.autoscale_view()
    to_pixels = ax.transData.transform
    scale = ax.figure.dpi / 72  # points -> pixels
    taken: list[tuple[float, float, float, float]] = []
    for name, (x, y) in sorted(points.items(), key=lambda item: (item[0] not in bold, -item[1][1])):
        size = fontsize * 1.25 if name in bold else fontsize
        px, py = to_pixels((x, y))
        width, height = 0.62 * size * len(name) * scale, 1.1 * size * scale
        for dx, dy, side in _LABEL_PLACES:
            left = px + dx * scale - (width if side == "right" else 0.0)
            bottom = py + dy * scale
            box = (left, bottom, left + width, bottom + height)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in taken):
                break
        else:
            dx, dy, side = _LABEL_PLACES[0]
            box = (px + dx * scale, py + dy * scale, px + dx * scale + width, py + dy * scale + height)
        taken.append(box)
        ax.annotate(name, (x, y), fontsize=size, xytext=(dx, dy), textcoords="offset points",
                    ha="right" if side == "right" else "left", weight="bold" if name in bold else None,
                    **style)  # fmt: skip


def save_figure(fig, *paths: Path, dpi: int | None = None) -> list[Path]:
    """Lay the figure out (unless it was made with a layout engine), write it
    to each path (the suffix picks the format), free it; return the paths.

    The file is cropped to what is drawn (``bbox_inches="tight"``), so an
    axis label below a row of heat maps is never cut off at the figure's edge."""
    if fig.get_layout_engine() is None:
        fig.tight_layout()
    for path in paths:
        # Drawn in memory, then written atomically: an old picture stays
        # whole if the run is stopped mid-write.
        picture = io.BytesIO()
        fig.savefig(
            picture,
            format=Path(path).suffix.lstrip(".") or None,
            dpi=dpi,
            bbox_inches="tight",
            pad_inches=0.08,
        )
        write_atomically(path, picture.getvalue(), f"save_figure({str(path)!r})")
    pyplot().close(fig)
    return list(paths)


def write_results(out: Path, args: argparse.Namespace, seconds: float, **figures) -> Path:
    """Write the run's headline figures to out/results.json, atomically (a
    crash leaves the old file or none, never half of one), and return the path.

    Every file has `demo`, `quick` (a --quick smoke run?), `seed` and
    `seconds`, the whole run's wall time from `setup` to here (the same
    meaning in every demo: parts of it go in keys of their own, such as
    `train_seconds`); the rest are the demo's own (accuracies as fractions
    in 0..1).

        >>> import tempfile, argparse
        >>> args = argparse.Namespace(demo="moons", quick=True, seed=1)
        >>> path = write_results(Path(tempfile.mkdtemp()), args, 1.234, train_accuracy=0.5)
        >>> json.loads(path.read_text())
        {'demo': 'moons', 'quick': True, 'seed': 1, 'seconds': 1.23, 'train_accuracy': 0.5}
    """
    results = {"demo": args.demo, "quick": bool(args.quick), "seed": args.seed, "seconds": round(seconds, 2)}
    clash = results.keys() & figures.keys()
    if clash:
        raise ValueError(f"write_results: {sorted(clash)} are common keys, set from args and seconds")
    results.update(figures)
    text = json.dumps(results, indent=2, allow_nan=False) + "\n"
    path = Path(out) / "results.json"
    write_atomically(path, text, "write_results")
    return path


def report_outputs(paths: Sequence[Path]) -> None:
    print("wrote:")
    for path in paths:
        print(f"  {path}")


# ------------------------------------------------------------ saved models
def save_trained(
    args: argparse.Namespace, out: Path, model, vocab=None, *, snapshots=(), **meta
) -> list[Path]:
    """Save the run's system to out/model.json (one file, written atomically)
    and return [its path]; `meta` records how it was trained, beside the
    demo, the seed and whether the run was --quick; `snapshots` are earlier
    weights, {"step", "state_dict"} (the model view replays them). A --quick
    model never replaces one from a full run (it returns [] and says so)."""
    from tinygrad_edu.models.saved import save_model

    path = out / MODEL_FILE
    if args.quick and _holds_full_run(path):
        print(f"--quick: the fully trained model in {path} is kept; this run's model is not saved")
        return []
    save_model(
        path,
        model,
        vocab,
        meta={"demo": args.demo, "quick": bool(args.quick), "seed": args.seed, **meta},
        snapshots=snapshots,
    )
    return [path]


def _holds_full_run(path: Path) -> bool:
    from tinygrad_edu.models.saved import load_model

    try:
        return load_model(path).meta.get("quick") is False
    except (OSError, ValueError):  # none, or damaged: nothing worth keeping
        return False


def find_saved(args: argparse.Namespace, out: Path, kind: str):
    """The `kind` system saved in out/model.json (a `SavedModel`), or None if
    there is none. A damaged file, or one holding another kind of system, ends
    the demo with a message naming it (exit code 2), never a silent retrain."""
    from tinygrad_edu.models.saved import load_model

    path = out / MODEL_FILE
    if not path.is_file():
        return None
    try:
        saved = load_model(path, kind=kind)
    except (OSError, ValueError) as error:
        fail(
            args,
            f"cannot use the saved model: {error}; give --out a folder that a run of "
            f"`tinygrad-edu demo {args.demo}` wrote, or delete the file",
        )
    quick = " (from a --quick run: expect poor answers)" if saved.meta.get("quick") else ""
    print(f"using the model saved in {path}{quick}")
    return saved


# ------------------------------------------------------------ model view
# The moments of training a demo keeps for its model view (viz.model_view),
# as fractions of its steps: the untrained model, three early and middle
# points, and (added by the page) the trained model at the end.
SNAPSHOT_FRACTIONS = (0.0, 0.05, 0.2, 0.5)


def snapshot_steps(steps: int) -> list[int]:
    """The steps (counted in updates done) at which to keep the weights.

    >>> snapshot_steps(3000)
    [0, 150, 600, 1500]
    >>> snapshot_steps(10)
    [0, 2, 5]
    """
    return sorted({int(steps * f) for f in SNAPSHOT_FRACTIONS} - {steps})


def write_model_page(
    args: argparse.Namespace, out: Path, model, tokenizer, prompt: str, corpus, snapshots
) -> tuple[Path, dict]:
    """Write out/model.html, the model view of `prompt`, and say what it
    cost; returns (its path, {"view_cpu_seconds", "view_bytes"}). A --quick
    run scans a quarter of the usual sample of the corpus for the neurons."""
    import time

    from viz.model_view import SCAN_TOKENS, write_model_view

    cpu = time.process_time()
    path, warnings = write_model_view(
        model,
        tokenizer,
        prompt,
        out / "model.html",
        corpus=corpus,
        snapshots=snapshots,
        scan_tokens=SCAN_TOKENS // 4 if args.quick else SCAN_TOKENS,
    )
    cpu = time.process_time() - cpu
    for warning in warnings:
        print(f"model view: {warning}")
    size = path.stat().st_size
    print(
        f"model view of {prompt!r} at {len(snapshots) + 1} moments of training: "
        f"{cpu:.1f} s CPU, {size / 1e6:.2f} MB"
    )
    return path, {"view_cpu_seconds": round(cpu, 2), "view_bytes": size}
