"""micrograd's classic demo: an MLP learns to separate two interleaved moons.

    tinygrad-edu demo moons [--quick] [--out DIR]

MLP 2 -> 16 -> 16 -> 1 (ReLU), max-margin (hinge) loss plus a little L2,
full-batch SGD with a decaying learning rate. Writes the loss curve, the
decision boundary, and training.html: a player of the whole run (every step's
boundary, loss and parameters sorted by |grad|; see viz.TrainingRecorder).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

from tinygrad_edu import Value, no_grad
from tinygrad_edu.datasets import make_moons
from tinygrad_edu.functional import hinge, l2
from tinygrad_edu.nn import MLP
from tinygrad_edu.optim import SGD
from viz.training import TrainingRecorder

from .common import (
    demo_parser,
    positive_int,
    progress,
    pyplot,
    report_outputs,
    save_figure,
    setup,
    train_loop,
    write_results,
)


def loss_and_accuracy(model: MLP, points: Sequence, labels: Sequence[int], alpha: float = 1e-4):
    """Hinge loss + alpha * L2 of the weights, and the share classified right."""
    scores = [model(p)[0] for p in points]
    loss = hinge(scores, labels) + alpha * l2(model.parameters())
    correct = sum((s.data > 0) == (y > 0) for s, y in zip(scores, labels))
    return loss, correct / len(labels)


def train(model: MLP, points, labels, steps: int, recorder=None):
    """Full-batch SGD, the step size falling linearly from 1 (big steps
    first, then settle); yields (step, loss, accuracy) as it goes. A
    `viz.TrainingRecorder` given as `recorder` records every step."""
    accuracies = []

    def batch_loss(step: int):
        loss, accuracy = loss_and_accuracy(model, points, labels)
        accuracies.append(accuracy)
        return loss

    def record(step: int, loss: float) -> None:
        recorder.record(step, loss, accuracy=accuracies[-1])

    optimizer = SGD(model.parameters(), lr=1.0)
    run = train_loop(optimizer, batch_loss, steps, decay_to=0.1, before_step=record if recorder else None)
    for step, loss in run:
        yield step, loss, accuracies[-1]


def main(argv: Sequence[str] | None = None) -> int:
    parser = demo_parser("moons", __doc__.splitlines()[0])
    parser.add_argument(
        "--steps", type=positive_int, default=100, help="training steps (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    out = setup(args)
    run_start = time.perf_counter()
    steps = 20 if args.quick else args.steps

    points, labels = make_moons(100, noise=0.1, rng=random.Random(args.seed))
    model = MLP(2, [16, 16, 1])
    print(f"model: {model}, {model.num_parameters()} parameters; {len(points)} points; {steps} steps")

    history = []
    recorder = TrainingRecorder(model, points=points, labels=labels, title=f"moons: {model}, {steps} steps")
    start = time.perf_counter()
    bar = progress(train(model, points, labels, steps, recorder), total=steps, desc="moons")
    for _step, loss, accuracy in bar:
        history.append((loss, accuracy))
        bar.set_postfix(loss=f"{loss:.4f}", acc=f"{accuracy:.0%}")
    seconds = time.perf_counter() - start - recorder.seconds  # training alone, without the recording
    final_loss, final_accuracy = loss_and_accuracy(model, points, labels)
    print(
        f"after {steps} steps ({seconds:.1f} s, {1000 * seconds / steps:.0f} ms/step): "
        f"loss {final_loss.data:.4f}, training accuracy {final_accuracy:.0%}"
    )
    player = recorder.write(out / "training.html")
    print(f"recording the training player took {recorder.seconds:.1f} s")
    paths = [plot_history(history, out), plot_boundary(model, points, labels, out), player]
    results = write_results(
        out,
        args,
        time.perf_counter() - run_start,  # the whole run, as every demo's `seconds`
        steps=steps,
        parameters=model.num_parameters(),
        final_loss=round(final_loss.data, 6),
        train_accuracy=final_accuracy,
        train_seconds=round(seconds, 2),
        player_seconds=round(recorder.seconds, 2),
    )
    report_outputs([*paths, results])
    return 0


def plot_history(history, out):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot([h[0] for h in history], label="loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax2 = ax.twinx()
    ax2.plot([h[1] for h in history], color="tab:orange", label="accuracy")
    ax2.set_ylabel("training accuracy")
    ax2.set_ylim(0, 1.05)
    ax.set_title("moons: loss and accuracy")
    return save_figure(fig, out / "loss.svg")[0]


def plot_boundary(model, points, labels, out, resolution: int = 60):
    plt = pyplot()
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x_lo, x_hi, y_lo, y_hi = min(xs) - 0.5, max(xs) + 0.5, min(ys) - 0.5, max(ys) + 0.5
    grid_x = [x_lo + (x_hi - x_lo) * i / (resolution - 1) for i in range(resolution)]
    grid_y = [y_lo + (y_hi - y_lo) * j / (resolution - 1) for j in range(resolution)]
    with no_grad():  # just numbers: no graph for 3,600 forward passes
        scores = [[model([x, y])[0].data for x in grid_x] for y in grid_y]
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.contourf(
        grid_x,
        grid_y,
        [[1 if s > 0 else -1 for s in row] for row in scores],
        levels=[-2, 0, 2],
        colors=["#f4c7a1", "#a9c8e8"],
        alpha=0.8,
    )
    ax.scatter(xs, ys, c=["tab:orange" if y < 0 else "tab:blue" for y in labels], s=18, edgecolors="k")
    ax.set_title("moons: decision boundary")
    return save_figure(fig, out / "decision_boundary.svg")[0]


# A Value import keeps `from demos.moons import *` honest for the REPL tour.
__all__ = ["Value", "loss_and_accuracy", "main", "train"]
