"""Watch a model learn: record a training run, then play it in one HTML file.

Training is a loop of four moves: compute the loss, backpropagate, look at
the gradients, step. A `TrainingRecorder` takes a snapshot between the
second and the last move, when every parameter has its value and its grad
and the optimizer has not yet changed anything:

    recorder = TrainingRecorder(model, points=points, labels=labels)
    for step in range(steps):
        loss = ...
        optimizer.zero_grad()
        loss.backward()
        recorder.record(step, loss.data, accuracy=acc)   # here: grads known, nothing changed yet
        optimizer.step()
    recorder.write("training.html")

Call `record` on every step (with ``every=k`` it keeps every k-th one). The
update of a recorded step, "what the optimizer is about to add", is
measured rather than predicted: the parameter's value at the next call
minus its value now, so it is right for SGD, momentum and Adam alike.

What the page shows at each recorded step: the loss curve up to that step
(and any metric in 0..1, such as accuracy), the parameters sorted by
|grad| (largest first) with value, grad and update (beside the curve when
there is no boundary to draw), and, for a model of two
inputs given ``points=`` and ``labels=``, its decision boundary: the sign of
its score on a coarse grid (40 x 40 by default), computed with plain floats
(a graph of Values for 1,600 forward passes a step would cost seconds).
Numbers are stored to 3 significant digits and the grid as one letter per
point (`grid_letters`), so the page stays small (the moons demo: 337
parameters, 100 steps, about 1 MB; the digits demo's CNN: 1,370 parameters,
every 21st of 656 steps, about 1 MB). The page grows with parameters x recorded
steps (about 25 bytes each, plus 1,600 for a grid), so for a long run or a
big model keep every k-th step with ``every=k``. A model of more than
``max_params`` parameters (2,000 by default) is shown by the `max_params`
with the largest |grad| at the first recorded step, and the page says so:
10,000 parameters over 100 steps made a page of 21 MB.

    >>> from tinygrad_edu import Value
    >>> w = Value(3.0, label="w")
    >>> recorder = TrainingRecorder([w])
    >>> for step in range(3):
    ...     loss = w * w
    ...     w.grad = 0.0
    ...     loss.backward()
    ...     recorder.record(step, loss.data)
    ...     w.data -= 0.25 * w.grad            # an SGD step by hand
    >>> recorder.frames[0]["loss"], recorder.frames[0]["grad"], recorder.frames[0]["update"]
    (9.0, [6.0], [-1.5])
    >>> len(recorder.frames)
    3
    >>> page = recorder.page()
    >>> page.startswith("<!DOCTYPE html>") and "<svg" in page
    True

The URL fragment ``#step=K`` opens the page at training step K (the
recorded step at or before it). The player is ``training.html``,
``training.css`` and ``training.js`` in ``viz/assets/``, put into one file
by `viz.webpage`. Names and the title are escaped: in the HTML by
`html.escape`, in the embedded JSON by `viz.webpage.json_for_script`; the
script only sets ``textContent`` and attributes.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from operator import add, mul
from pathlib import Path
from typing import Any

from tinygrad_edu.engine import Value
from tinygrad_edu.nn.module import write_atomically

from .params import parse_params
from .webpage import fill, html_page, read_asset

__all__ = ["TrainingRecorder", "grid_letters", "mlp_grid_scores"]

Scorer = Callable[[Sequence[float], Sequence[float]], list[list[float]]]


class TrainingRecorder:
    """Snapshots of a training run, written as one self-contained HTML player.

    params: a Module (names from ``named_parameters``) or a list of Values
        (named by label, else ``p0``, ``p1``, ...).
    every: keep every k-th step (the first is always kept).
    points, labels: 2-D inputs and their classes (-1/+1 or 0/1) to draw
        under the decision boundary.
    score: ``score(xs, ys) -> rows`` giving the model's score at every grid
        point (rows[j][i] at (xs[i], ys[j])) in plain floats; for an MLP
        with two inputs and one output it defaults to `mlp_grid_scores`.
    resolution: grid points along each axis.
    max_params: the most parameters the page shows (`DEFAULT_MAX_PARAMS`);
        a bigger model is shown by those with the largest |grad| at the
        first recorded step.
    """

    def __init__(
        self,
        params: Any,
        *,
        every: int = 1,
        points: Sequence[Sequence[float]] | None = None,
        labels: Sequence[float] | None = None,
        score: Scorer | None = None,
        resolution: int = 40,
        title: str = "Training, step by step",
        max_params: int = 2000,
    ) -> None:
        self.names, self.params = _named_params(params)
        self.total_params = len(self.params)  # self.params may be cut to max_params at the first record
        _check_count(every, "every", 1)
        _check_count(max_params, "max_params", 1)
        self.max_params = max_params
        _check_count(resolution, "resolution", 2)
        if not isinstance(title, str):
            raise TypeError(f"TrainingRecorder: title must be a str, got {type(title).__name__}")
        self.every, self.resolution, self.title = every, resolution, title
        self.points, self.labels = _check_points(points, labels)
        if self.points and score is None:
            score = _default_scorer(params)
        if score is not None and not callable(score):
            raise TypeError(f"TrainingRecorder: score must be a function (xs, ys) -> rows, got {score!r:.40}")
        self.score = score if self.points else None
        self.grid_x, self.grid_y = _grid_axes(self.points, resolution) if self.points else ([], [])
        self.frames: list[dict[str, Any]] = []
        # Time spent recording (on the clock, and of CPU), so a demo can report its training time without it.
        self.seconds = self.cpu_seconds = 0.0
        self._pending: tuple[dict[str, Any], list[float]] | None = None  # the last frame and its raw values

    def record(self, step: int, loss: float, **metrics: float) -> None:
        """Snapshot step `step`: call after ``loss.backward()`` and before
        ``optimizer.step()``, on every step. `metrics` (say accuracy=0.97)
        are shown beside the loss (batch_accuracy as "batch accuracy");
        those in 0..1 at every recorded step are drawn too."""
        start, cpu = time.perf_counter(), time.process_time()
        try:
            self._record(step, loss, metrics)
        finally:
            self.seconds += time.perf_counter() - start
            self.cpu_seconds += time.process_time() - cpu

    def _record(self, step: int, loss: float, metrics: dict[str, float]) -> None:
        if isinstance(step, bool) or not isinstance(step, int):
            raise TypeError(f"TrainingRecorder.record: step must be an int, got {step!r}")
        loss = _finite(loss, "loss")
        metrics = {name: _finite(value, name) for name, value in metrics.items()}
        self._settle()
        if self.frames and step <= self.frames[-1]["step"]:
            raise ValueError(
                f"TrainingRecorder.record: steps must increase, got step {step} after {self.frames[-1]['step']}"
            )
        if self.frames and step - self.frames[0]["step"] < self.every * (len(self.frames)):
            return  # not one of the kept steps
        if not self.frames and len(self.params) > self.max_params:
            self._keep_largest_grads()
        data = [p.data for p in self.params]
        frame: dict[str, Any] = {
            "step": step,
            "loss": _round(loss),
            "metrics": {name: _round(value) for name, value in metrics.items()},
            "value": [_round(x) for x in data],
            "grad": [_round(p.grad) for p in self.params],
            "update": None,
        }
        if self.score is not None:
            frame["grid"] = grid_letters(self.score(self.grid_x, self.grid_y))
        self.frames.append(frame)
        self._pending = (frame, data)

    def page(self) -> str:
        """The HTML text of the player."""
        self._settle()
        if not self.frames:
            raise ValueError("TrainingRecorder: nothing recorded yet: call record() in the training loop")
        data = {
            "names": self.names,
            "frames": self.frames,
            "points": [[_round(x), _round(y)] for x, y in self.points],
            "labels": [1 if y > 0 else -1 for y in self.labels],
            "gridX": [_round(x) for x in self.grid_x],
            "gridY": [_round(y) for y in self.grid_y],
        }
        first, last = self.frames[0]["step"], self.frames[-1]["step"]
        kept = "every step" if self.every == 1 else f"every {_ordinal(self.every)} step"
        summary = (
            f"{len(self.frames)} recorded steps ({kept}, {first} to {last}), "
            f"{len(self.params)} parameter{'' if len(self.params) == 1 else 's'}"
        )
        if len(self.params) < self.total_params:
            summary += (
                f" of {self.total_params:,}: those with the largest |grad| at step {first} "
                f"(max_params={self.max_params}; a page of them all would be too big to open)"
            )
        body = fill(read_asset("training.html"), text={"SUMMARY": summary})
        return html_page(
            self.title, body, styles=["training.css"], scripts=["training.js"], data=data, data_id="run"
        )

    def write(self, path: str | os.PathLike) -> Path:
        """Write `page()` to `path` (folders made as needed), atomically: a
        crash or Ctrl-C mid-write leaves an existing player whole. Returns
        the path."""
        path = Path(path)
        text = self.page()
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, text, f"TrainingRecorder.write({str(path)!r})")
        return path

    def _keep_largest_grads(self) -> None:
        """Keep the max_params parameters of largest |grad| now, in their order."""
        ranked = sorted(range(len(self.params)), key=lambda i: -abs(self.params[i].grad))
        kept = sorted(ranked[: self.max_params])
        self.names = [self.names[i] for i in kept]
        self.params = [self.params[i] for i in kept]

    def _settle(self) -> None:
        """Give the last recorded frame its update: the values now minus then."""
        if self._pending is None:
            return
        frame, before = self._pending
        frame["update"] = [_round(p.data - b) for p, b in zip(self.params, before)]
        self._pending = None

    def __repr__(self) -> str:
        return f"TrainingRecorder({len(self.params)} parameters, {len(self.frames)} steps recorded)"


def mlp_grid_scores(model: Any) -> Scorer:
    """A scorer for `TrainingRecorder`: the output of an `nn.MLP` with two
    inputs and one output at every grid point, in plain floats (it reads
    the weights when called, so it follows training).

        >>> import random; random.seed(0)
        >>> from tinygrad_edu.nn import MLP
        >>> model = MLP(2, [4, 1])
        >>> rows = mlp_grid_scores(model)([0.0, 1.0], [2.0])
        >>> [round(s, 6) for s in rows[0]] == [round(model([x, 2.0])[0].data, 6) for x in (0.0, 1.0)]
        True
    """
    from tinygrad_edu.nn import MLP

    if not isinstance(model, MLP):
        raise TypeError(f"mlp_grid_scores: expected an nn.MLP, got {type(model).__name__}; pass score=")
    first, last = model.layers[0].neurons, model.layers[-1].neurons
    if len(first[0].weight) != 2 or len(last) != 1:
        raise ValueError(
            f"mlp_grid_scores: a decision boundary needs 2 inputs and 1 output, got {model!r}; pass score="
        )

    def score(xs: Sequence[float], ys: Sequence[float]) -> list[list[float]]:
        layers = [
            (
                [[w.data for w in n.weight] for n in layer.neurons],
                [n.bias.data for n in layer.neurons],
                layer.neurons[0].activation,
            )
            for layer in model.layers
        ]
        (w1, b1, act1), rest = layers[0], layers[1:]
        # Layer 1 reads (x, y): w.x = wx*x + wy*y, so the x and y parts are
        # computed once per column and once per row instead of per point.
        x_part = [[w[0] * x for w in w1] for x in xs]
        rows = []
        for y in ys:
            y_part = [w[1] * y + b for w, b in zip(w1, b1)]
            row = []
            for xp in x_part:
                h = _activate(act1, list(map(add, xp, y_part)))
                for weights, biases, act in rest:
                    h = _activate(act, [sum(map(mul, w, h), b) for w, b in zip(weights, biases)])
                row.append(h[0])
            rows.append(row)
        return rows

    return score


def grid_letters(rows: Sequence[Sequence[float]]) -> str:
    """The grid of scores as one letter per point, row after row: upper case
    for a score > 0 (that side of the boundary), lower case otherwise, and
    the letter for |score| in tenths, capped at 1 (a: under 0.1, ..., k: 1 or
    more), which is all the page's shading shows.

        >>> grid_letters([[-2.0, -0.05], [0.0, 0.35]])
        'kaaD'
    """
    out = []
    for row in rows:
        if isinstance(row, (str, bytes)) or not isinstance(row, Iterable):
            raise TypeError(f"grid_letters: expected rows of numbers, got a row {row!r:.40}")
        for s in row:
            if isinstance(s, bool) or not isinstance(s, (int, float)) or not math.isfinite(s):
                raise TypeError(f"grid_letters: expected rows of finite numbers, got {s!r:.40}")
            letter = "abcdefghijk"[min(10, int(abs(s) * 10))]
            out.append(letter.upper() if s > 0 else letter)
    return "".join(out)


# ------------------------------------------------------------------ helpers
def _activate(name: str, zs: list[float]) -> list[float]:
    if name == "relu":  # inline: a function call per number would double the cost
        return [z if z > 0.0 else 0.0 for z in zs]
    if name == "linear":
        return zs
    return [_ACTIVATIONS[name](z) for z in zs]


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0.0 else math.exp(x) / (1.0 + math.exp(x))


_ACTIVATIONS = {"tanh": math.tanh, "sigmoid": _sigmoid}


def _ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, ..., 21st, 22nd."""
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _round(x: float, digits: int = 3) -> float:
    """x to `digits` significant digits: 0.012345 -> 0.0123 (smaller JSON)."""
    return float(f"{x:.{digits}g}")


def _finite(x: Any, name: str) -> float:
    if isinstance(x, Value):
        x = x.data
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"TrainingRecorder.record: {name} must be a number, got {x!r:.40}")
    if not math.isfinite(x):
        raise ValueError(f"TrainingRecorder.record: {name} is {x!r}: the run diverged (try a smaller lr)")
    return float(x)


def _check_count(value: Any, name: str, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"TrainingRecorder: {name} must be an int >= {low}, got {value!r}")


def _named_params(params: Any) -> tuple[list[str], list[Value]]:
    named = parse_params(params, "TrainingRecorder")
    if not named:
        raise ValueError("TrainingRecorder: got an empty parameter list")
    return [name for name, _ in named], [v for _, v in named]


def _check_points(points: Any, labels: Any) -> tuple[list[tuple[float, float]], list[float]]:
    if points is None and labels is None:
        return [], []
    if points is None or labels is None:
        raise ValueError("TrainingRecorder: points= and labels= go together: give both or neither")
    points, labels = list(points), list(labels)
    if not points or len(points) != len(labels):
        raise ValueError(
            f"TrainingRecorder: expected as many labels as points (at least one), got {len(points)} points "
            f"and {len(labels)} labels"
        )
    checked = []
    for p in points:
        if isinstance(p, (str, bytes)) or not isinstance(p, Sequence) or len(p) != 2:
            raise ValueError(f"TrainingRecorder: each point must be a pair (x, y), got {p!r:.40}")
        checked.append((_finite(p[0], "a point's x"), _finite(p[1], "a point's y")))
    return checked, [_finite(y, "a label") for y in labels]


def _grid_axes(points: Sequence[tuple[float, float]], n: int) -> tuple[list[float], list[float]]:
    """n evenly spaced x and y values covering the points with a margin."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]

    def axis(lo: float, hi: float) -> list[float]:
        margin = 0.1 * (hi - lo) or 1.0
        lo, hi = lo - margin, hi + margin
        return [lo + (hi - lo) * i / (n - 1) for i in range(n)]

    return axis(min(xs), max(xs)), axis(min(ys), max(ys))


def _default_scorer(params: Any) -> Scorer:
    from tinygrad_edu.nn import MLP

    if not isinstance(params, MLP):
        raise ValueError(
            "TrainingRecorder: points= needs score=(xs, ys) -> rows to draw the decision boundary "
            f"(it is automatic only for an nn.MLP), got params of type {type(params).__name__}"
        )
    return mlp_grid_scores(params)
