"""Benchmark W5: one training step of the digits demo's CNN on 16 digits, in
ms per image, beside PyTorch float32 on the same model.

The model is the one `tinygrad-edu demo digits` trains (`demos.digits.make_cnn`:
conv 3x3 1 -> 8 channels with padding 1, ReLU, max-pool 2x2, flatten,
Linear(128, 10); 1,370 parameters). One step is one mini-batch of 16 training
digits: forward, the mean cross-entropy, backward, an Adam update, zero_grad.
PyTorch runs the same layers with the same starting weights (copied through
the state_dicts) on a (16, 1, 8, 8) float32 tensor, on one thread (ours has
one), and its first loss is checked against ours.

    python benchmarks/w5_cnn.py             # ms per image, ours and PyTorch's (median of repeats)
    python benchmarks/w5_cnn.py --profile   # where our step's time goes (cProfile)

    >>> step, images, nodes = make_cnn_step(seed=0)
    >>> images, nodes > 10_000
    (16, True)
    >>> 0.0 < step() < 10.0
    True
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # demos, from this checkout

from tinygrad_edu.datasets import load_digits, split_digits  # noqa: E402
from tinygrad_edu.optim import Adam  # noqa: E402

BATCH = 16
LR = 0.01
TORCH = "pytorch float32"


def batch_of_digits(n: int = BATCH) -> tuple[list, list[int]]:
    """The first n digits of the demo's training split: images [1][8][8] in 0..1, labels."""
    from tinygrad_edu.datasets import as_image

    train, _ = split_digits(load_digits())
    return [as_image(pixels) for pixels, _ in train[:n]], [label for _, label in train[:n]]


def make_model(seed: int):
    from demos.digits import make_cnn  # the demo's model, so the two never drift apart

    state = random.getstate()
    random.seed(seed)
    try:
        return make_cnn()
    finally:
        random.setstate(state)


def make_cnn_step(seed: int = 0) -> tuple[Callable[[], float], int, int]:
    """Our CNN and an Adam optimizer; return (step, images per step, nodes per step)."""
    from demos.digits import batch_loss

    model = make_model(seed)
    optimizer = Adam(model.parameters(), lr=LR)
    images, labels = batch_of_digits()

    def step() -> float:
        loss = batch_loss(model, images, labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss.data

    nodes = len(batch_loss(model, images, labels).topological_order())
    return step, len(images), nodes


def make_torch_step(seed: int = 0) -> tuple[Callable[[], float], int, float]:
    """The same layers in PyTorch float32 with our starting weights; return
    (step, images per step, how far its first loss is from ours)."""
    import torch

    torch.set_num_threads(1)
    ours = make_model(seed)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(128, 10),
    )
    state = ours.state_dict()  # conv.weight (8, 1, 3, 3), conv.bias, fc.weight (10, 128), fc.bias
    names = {"0.weight": "conv.weight", "0.bias": "conv.bias", "4.weight": "fc.weight", "4.bias": "fc.bias"}
    model.load_state_dict({theirs: torch.tensor(state[name]) for theirs, name in names.items()})
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    images, labels = batch_of_digits()
    x, y = torch.tensor(images), torch.tensor(labels)

    def step() -> float:
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss.item()

    from demos.digits import batch_loss

    drift = abs(torch.nn.functional.cross_entropy(model(x), y).item() - batch_loss(ours, images, labels).data)
    return step, len(images), drift


def run(engine: str, quick: bool) -> dict:
    """One measuring process (bench.py's worker): the median step time, on
    the clock and in CPU time (on a shared machine the wall clock also counts
    the time other processes held the core)."""
    if engine == TORCH:
        try:
            step, images, drift = make_torch_step()
        except ImportError as error:
            return {"skipped": f"PyTorch is not installed ({error})"}
        extra = {"loss_drift": drift}
    else:
        step, images, nodes = make_cnn_step()
        extra = {"nodes": nodes}
    warmup, steps = (1, 2) if quick else (3, 15 if engine != TORCH else 200)
    times, cpu_times = [], []
    for _ in range(warmup + steps):
        start, cpu = time.perf_counter(), time.process_time()
        step()
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu)
    return {
        "seconds": statistics.median(times[warmup:]),
        "cpu_seconds": statistics.median(cpu_times[warmup:]),
        "images": images,
        **extra,
    }


def report(results: dict, median_of, spread) -> tuple[list[str], list[str]]:
    """bench.py's table rows and notes for W5, from {engine: [one result per process]}.
    The table shows CPU time per image; the notes the wall-clock spread."""
    ours, theirs = results["tinygrad_edu"], results[TORCH]
    per_image = median_of(ours, "cpu_seconds") / ours[0]["images"]
    rows = [
        f"| W5 digits CNN training step, {ours[0]['images']} images ({ours[0]['nodes']:,} nodes), CPU time "
        f"| {1e3 * per_image:.2f} ms/image | (no CNN) | | (for information) | |"
    ]
    notes = [
        f"W5: our step {spread(ours, 'cpu_seconds', 1e3, 'ms')} of CPU per process, "
        f"{spread(ours, 'seconds', 1e3, 'ms')} on the clock."
    ]
    if "skipped" in theirs[0]:
        notes.append(f"W5: PyTorch skipped: {theirs[0]['skipped']}")
        return rows, notes
    torch_per_image = median_of(theirs, "cpu_seconds") / theirs[0]["images"]
    rows.append(
        f"| W5 the same step in PyTorch float32, 1 thread, CPU time | {1e3 * per_image:.2f} ms/image "
        f"| PyTorch: {1e3 * torch_per_image:.3f} ms/image | {per_image / torch_per_image:.0f}x PyTorch's time "
        f"| (for information) | |"
    )
    notes.append(
        f"W5: PyTorch's step {spread(theirs, 'cpu_seconds', 1e3, 'ms')} of CPU per process, "
        f"{spread(theirs, 'seconds', 1e3, 'ms')} on the clock; its first loss is within "
        f"{max(r['loss_drift'] for r in theirs):.1e} of ours (float32 against float64)."
    )
    return rows, notes


def profile(steps: int = 10) -> None:
    """Print where our step's time goes: the functions that take it (cProfile)."""
    import cProfile
    import pstats

    step, _, _ = make_cnn_step()
    step()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        step()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    if "--profile" in sys.argv[1:]:
        profile()
    else:
        for engine in ("tinygrad_edu", TORCH):
            result = run(engine, quick=False)
            if "skipped" in result:
                print(f"W5 {engine}: skipped: {result['skipped']}")
                continue
            print(
                f"W5 {engine}: {1e3 * result['cpu_seconds'] / result['images']:.3f} ms of CPU per image "
                f"({1e3 * result['cpu_seconds']:.2f} ms per step of {result['images']}; "
                f"{1e3 * result['seconds']:.2f} ms on the clock)"
            )
