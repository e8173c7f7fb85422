"""A small CNN reads real handwritten digits, beside an MLP of the same size.

    tinygrad-edu demo digits [--quick] [--out DIR] [--epochs N] [--batch-size B] [--lr LR]

The data are 1,797 handwritten digits of 8x8 pixels (0..16 of ink each):
the test set of the "Optical Recognition of Handwritten Digits" data (E.
Alpaydin and C. Kaynak, 1998, UCI Machine Learning Repository, CC BY 4.0), as
scikit-learn ships it, read by `tinygrad_edu.datasets.load_digits`. A fixed,
seeded split keeps 1,297 for training and 500 for the test.

The CNN: conv 3x3 with 8 channels (padding 1, so 8x8 stays 8x8), ReLU, 2x2
max-pooling (8x8 -> 4x4), Flatten (8 * 4 * 4 = 128 numbers), Linear to 10
scores, cross-entropy; 1,370 parameters. The MLP baseline reads the 64 pixels
as a flat vector: 64 -> 18 (ReLU) -> 10, 1,360 parameters. Both train with
mini-batch Adam on the same batches for the same number of steps, the step
size decaying linearly to 0.

It prints both test accuracies, parameter counts and times, and draws the
learned kernels, what each stage makes of one test digit, the confusion
matrix and the test digits the CNN got wrong. training.html plays the CNN's
training (see viz.TrainingRecorder): about 30 steps evenly spread over the
run, each with its batch's loss and accuracy and the 1,370 parameters sorted
by |grad| (value, grad and the update Adam then made). The trained CNN is
saved in the output folder as one file (model.json; a --quick run never
replaces a full run's).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

from tinygrad_edu import Value, no_grad
from tinygrad_edu.datasets import as_image, as_vector, load_digits, split_digits
from tinygrad_edu.datasets.digits import Image
from tinygrad_edu.functional import cross_entropy
from tinygrad_edu.models.digits import DigitCNN
from tinygrad_edu.nn import MLP
from tinygrad_edu.optim import Adam
from viz.training import TrainingRecorder

from .common import (
    demo_parser,
    positive_float,
    positive_int,
    progress,
    pyplot,
    report_outputs,
    save_figure,
    save_trained,
    setup,
    train_loop,
    write_results,
)


def make_cnn() -> DigitCNN:
    """The demo's CNN (benchmark W5 times one training step of it)."""
    return DigitCNN()


def make_mlp() -> MLP:
    """The baseline: about as many parameters as the CNN, but no idea that pixels have neighbours."""
    return MLP(64, [18, 10])


def loss_and_accuracy(model, inputs: Sequence, labels: Sequence[int]) -> tuple[Value, float]:
    """The mean cross-entropy over a batch, and the share of it the model got right."""
    scores = [model(x) for x in inputs]
    losses = [cross_entropy(s, y) for s, y in zip(scores, labels)]
    right = sum(_argmax([v.data for v in s]) == y for s, y in zip(scores, labels))
    return Value.sum(losses) * (1.0 / len(losses)), right / len(labels)


def batch_loss(model, inputs: Sequence, labels: Sequence[int]) -> Value:
    """The mean cross-entropy over a batch."""
    return loss_and_accuracy(model, inputs, labels)[0]


def predict(model, inputs: Sequence) -> list[int]:
    """The highest-scoring digit for each input (numbers only: no graph)."""
    with no_grad():
        scores = [[s.data for s in model(x)] for x in inputs]
    return [_argmax(row) for row in scores]


def _argmax(row: list[float]) -> int:
    return row.index(max(row))  # the first of equals


def train(
    model,
    inputs: Sequence,
    labels: Sequence[int],
    batches: list[list[int]],
    lr: float,
    desc: str,
    recorder=None,
):
    """Mini-batch Adam through `demos.common.train_loop`; returns the losses and the CPU seconds
    (without the recording). A `viz.TrainingRecorder` given as `recorder` sees every step's
    loss and batch accuracy (and keeps every k-th, as it was told)."""
    optimizer = Adam(model.parameters(), lr=lr)
    accuracies = []

    def loss_of(step: int) -> Value:
        batch = batches[step]
        loss, accuracy = loss_and_accuracy(model, [inputs[i] for i in batch], [labels[i] for i in batch])
        accuracies.append(accuracy)
        return loss

    def record(step: int, loss: float) -> None:
        recorder.record(step, loss, batch_accuracy=accuracies[-1])

    history = []
    cpu = time.process_time()
    run = train_loop(optimizer, loss_of, len(batches), before_step=record if recorder else None)
    bar = progress(run, total=len(batches), desc=desc)
    for _step, loss in bar:
        history.append(loss)
        bar.set_postfix(loss=f"{sum(history[-20:]) / len(history[-20:]):.3f}")
    return history, time.process_time() - cpu - (recorder.cpu_seconds if recorder else 0.0)


def player_every(steps: int) -> int:
    """training.html keeps every k-th step, about 30 in all: each adds ~33 kB
    (1,370 parameters' value, grad and update), so the page stays near 1 MB."""
    return max(1, steps // 30)


def make_batches(n: int, batch_size: int, epochs: int, rng: random.Random) -> list[list[int]]:
    """A fresh shuffle of 0..n-1 each epoch, cut into batches (the last one of an epoch may be short)."""
    batches = []
    for _ in range(epochs):
        order = list(range(n))
        rng.shuffle(order)
        batches += [order[i : i + batch_size] for i in range(0, n, batch_size)]
    return batches


def main(argv: Sequence[str] | None = None) -> int:
    parser = demo_parser("digits", __doc__.splitlines()[0])
    parser.add_argument(
        "--epochs", type=positive_int, default=8, help="passes over the training set (default: %(default)s)"
    )
    parser.add_argument(
        "--batch-size", type=positive_int, default=16, help="digits per step (default: %(default)s)"
    )
    parser.add_argument(
        "--lr", type=positive_float, default=0.03, help="Adam's starting step size (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    out = setup(args)
    wall, cpu = time.perf_counter(), time.process_time()

    train_set, test_set = split_digits(load_digits())  # the fixed split: seed 0, 1,297 / 500
    epochs = args.epochs
    if args.quick:
        train_set, test_set, epochs = train_set[:160], test_set[:100], 1
    labels = [label for _, label in train_set]
    test_labels = [label for _, label in test_set]
    batches = make_batches(len(train_set), args.batch_size, epochs, random.Random(args.seed))

    cnn, mlp = make_cnn(), make_mlp()
    print(
        f"{len(train_set)} training digits, {len(test_set)} test digits (8x8); "
        f"{epochs} epoch(s) of {args.batch_size} digits a step = {len(batches)} steps, Adam lr {args.lr}"
    )
    print(
        f"CNN: conv 3x3 x8, ReLU, max-pool 2x2, flatten, Linear(128, 10): {cnn.num_parameters()} parameters"
    )
    print(f"MLP: {mlp}: {mlp.num_parameters()} parameters")

    images = [as_image(p) for p, _ in train_set]
    title = f"digits: the CNN, {len(batches)} steps of {args.batch_size} digits (Adam, lr {args.lr})"
    recorder = TrainingRecorder(cnn, every=player_every(len(batches)), title=title)
    cnn_history, cnn_cpu = train(cnn, images, labels, batches, args.lr, "cnn", recorder)
    vectors = [as_vector(p) for p, _ in train_set]
    mlp_history, mlp_cpu = train(mlp, vectors, labels, batches, args.lr, "mlp")

    test_images = [as_image(p) for p, _ in test_set]
    predicted = predict(cnn, test_images)
    mlp_predicted = predict(mlp, [as_vector(p) for p, _ in test_set])
    accuracy = sum(p == y for p, y in zip(predicted, test_labels)) / len(test_labels)
    mlp_accuracy = sum(p == y for p, y in zip(mlp_predicted, test_labels)) / len(test_labels)
    steps = len(batches)
    print(
        f"CNN: test accuracy {accuracy:.1%} ({cnn.num_parameters()} parameters; "
        f"training {cnn_cpu:.1f} s CPU, {1000 * cnn_cpu / steps:.0f} ms a step)"
    )
    print(
        f"MLP: test accuracy {mlp_accuracy:.1%} ({mlp.num_parameters()} parameters; "
        f"training {mlp_cpu:.1f} s CPU, {1000 * mlp_cpu / steps:.0f} ms a step)"
    )
    write_cpu = time.process_time()
    player = recorder.write(out / "training.html")
    player_cpu = recorder.cpu_seconds + time.process_time() - write_cpu
    print(
        f"training.html plays {len(recorder.frames)} of the CNN's {steps} steps; "
        f"recording them and writing it took {player_cpu:.2f} s of CPU"
    )

    paths = [
        player,
        plot_losses(cnn_history, mlp_history, out),
        plot_kernels(cnn, out),
        plot_feature_maps(cnn, test_images[0], test_labels[0], out),
        plot_confusion(predicted, test_labels, accuracy, out),
        plot_misclassified(test_set, predicted, out),
        *save_trained(args, out, cnn, data="UCI handwritten digits", steps=steps, test_accuracy=accuracy),
    ]
    seconds, cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    print(f"the whole run: {seconds:.1f} s ({cpu_seconds:.1f} s of CPU)")
    paths.append(
        write_results(
            out,
            args,
            seconds,
            cpu_seconds=round(cpu_seconds, 2),
            test_accuracy=accuracy,
            mlp_test_accuracy=mlp_accuracy,
            parameters=cnn.num_parameters(),
            mlp_parameters=mlp.num_parameters(),
            steps=steps,
            train_digits=len(train_set),
            test_digits=len(test_set),
            player_steps=len(recorder.frames),
            player_cpu_seconds=round(player_cpu, 2),
        )
    )
    report_outputs(paths)
    return 0


# ------------------------------------------------------------------ pictures
def plot_losses(cnn_history: list[float], mlp_history: list[float], out):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.4))
    for history, label, color in ((cnn_history, "CNN", "tab:blue"), (mlp_history, "MLP", "tab:orange")):
        window = max(1, min(20, len(history) // 5))
        smooth = [
            sum(history[max(0, i - window + 1) : i + 1]) / len(history[max(0, i - window + 1) : i + 1])
            for i in range(len(history))
        ]
        ax.plot(history, color=color, alpha=0.2, linewidth=0.6)
        ax.plot(smooth, color=color, label=f"{label} (mean of {window} steps)")
    ax.set_xlabel("step (one mini-batch)")
    ax.set_ylabel("cross-entropy")
    ax.set_title("digits: training loss")
    ax.legend()
    return save_figure(fig, out / "loss.svg")[0]


def plot_kernels(cnn: DigitCNN, out):
    plt = pyplot()
    kernels = [[[w.data for w in row] for row in kernel[0]] for kernel in cnn.conv.weight]  # (8, 3, 3)
    limit = max(abs(x) for k in kernels for row in k for x in row)
    fig, axes = plt.subplots(1, len(kernels), figsize=(1.1 * len(kernels), 1.5))
    for i, (ax, kernel) in enumerate(zip(axes, kernels)):
        ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"kernel {i}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("the 3x3 kernels the CNN learned (red: +, blue: -)", fontsize=9)
    return save_figure(fig, out / "kernels.png", dpi=100)[0]


def plot_feature_maps(cnn: DigitCNN, image: Image, label: int, out):
    plt = pyplot()
    with no_grad():
        stages = cnn.stages(image)
    rows = [("conv", stages["conv"]), ("ReLU", stages["relu"]), ("max-pool", stages["pool"])]
    channels = len(stages["conv"])
    fig, axes = plt.subplots(len(rows), channels + 1, figsize=(1.1 * (channels + 1), 1.2 * len(rows) + 0.4))
    for r, (name, maps) in enumerate(rows):
        first = axes[r][0]
        if r == 0:
            first.imshow(image[0], cmap="gray_r", vmin=0, vmax=1)
            first.set_title(f"input ({label})", fontsize=8)
        first.axis("off")
        for c, fmap in enumerate(maps):
            ax = axes[r][c + 1]
            ax.imshow([[v.data for v in row] for row in fmap], cmap="viridis")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"channel {c}", fontsize=8)
            if c == 0:
                ax.set_ylabel(name, fontsize=8)
    scores = [s.data for s in stages["scores"]]
    fig.suptitle(f"one test digit through the CNN: predicted {scores.index(max(scores))}", fontsize=9)
    return save_figure(fig, out / "feature_maps.png", dpi=100)[0]


def plot_confusion(predicted: list[int], labels: list[int], accuracy: float, out):
    plt = pyplot()
    counts = [[0] * 10 for _ in range(10)]
    for p, y in zip(predicted, labels):
        counts[y][p] += 1
    fig, ax = plt.subplots(figsize=(4.4, 4))
    ax.imshow(counts, cmap="Blues")
    for y in range(10):
        for p in range(10):
            if counts[y][p]:
                color = "white" if counts[y][p] > max(map(max, counts)) / 2 else "black"
                ax.text(p, y, counts[y][p], ha="center", va="center", fontsize=7, color=color)
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"CNN on the test digits: {accuracy:.1%} right", fontsize=9)
    return save_figure(fig, out / "confusion.svg")[0]


def plot_misclassified(test_set, predicted: list[int], out, limit: int = 24):
    plt = pyplot()
    wrong = [(pixels, label, p) for (pixels, label), p in zip(test_set, predicted) if p != label][:limit]
    columns = 8
    rows = max(1, -(-len(wrong) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 0.95, rows * 1.1 + 0.3), squeeze=False)
    for ax in [a for row in axes for a in row]:
        ax.axis("off")
    for ax, (pixels, label, p) in zip([a for row in axes for a in row], wrong):
        ax.imshow(pixels, cmap="gray_r", vmin=0, vmax=16)
        ax.set_title(f"{p} (true {label})", fontsize=8, color="tab:red")
    fig.suptitle(f"the {len(wrong)} test digits the CNN got wrong: predicted (true)", fontsize=9)
    return save_figure(fig, out / "misclassified.png", dpi=100)[0]
