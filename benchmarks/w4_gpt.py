"""Benchmark W4: one training step of the demo GPT, in ms per token position.

The model is the one `tinygrad-edu demo gpt` trains (`demos.gpt.make_model`:
about Karpathy's microgpt, 1 layer, 16-dim embeddings, 4 heads, context 16).
One step is one name: forward over its positions, the mean cross-entropy,
backward, an Adam update, zero_grad. A name of n letters is n + 1 positions
(BOS, the letters; predicting the letters and the closing BOS).

    python -m benchmarks.w4_gpt          # prints ms per position (median of repeats)

    >>> step, positions, nodes = make_gpt_step(seed=0)
    >>> positions, nodes > 1000
    (7, True)
    >>> loss = step()
    >>> 0.0 < loss < 10.0
    True
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

from tinygrad_edu.datasets import CharTokenizer, load_names
from tinygrad_edu.optim import Adam

# The name trained on: a median-length (6-letter) name, so 7 positions a step.
NAME = "emmett"


def make_gpt_step(seed: int = 0) -> tuple[Callable[[], float], int, int]:
    """Build the demo GPT and an Adam optimizer; return (step, positions, nodes).

    `step()` runs one training step on one name and returns its loss;
    `positions` is the number of token positions a step processes; `nodes`
    is the number of graph nodes (Values, leaves included) one step builds.
    """
    from demos.gpt import make_model  # the demo's model, so the two never drift apart

    rng_state = random.getstate()
    random.seed(seed)
    try:
        tokenizer = CharTokenizer.from_texts(load_names())
        model = make_model(tokenizer.vocab_size)
    finally:
        random.setstate(rng_state)
    optimizer = Adam(model.parameters(), lr=1e-2, betas=(0.85, 0.99))
    doc = tokenizer.encode_document(NAME)
    inputs, targets = doc[:-1], doc[1:]

    def step() -> float:
        loss = model.loss(inputs, targets)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss.data

    nodes = len(model.loss(inputs, targets).topological_order())
    return step, len(inputs), nodes


def measure(repeats: int = 7, steps: int = 20, seed: int = 0) -> dict[str, float]:
    """Median over `repeats` of the mean time per position over `steps` steps."""
    step, positions, nodes = make_gpt_step(seed)
    for _ in range(3):  # warm up
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        times.append((time.perf_counter() - start) / steps)
    per_step = statistics.median(times)
    return {
        "ms_per_position": 1000 * per_step / positions,
        "ms_per_step": 1000 * per_step,
        "positions": positions,
        "nodes": nodes,
    }


if __name__ == "__main__":
    result = measure()
    print(
        f"W4 GPT training step: {result['ms_per_position']:.2f} ms per token position "
        f"({result['ms_per_step']:.1f} ms per step of {result['positions']} positions, "
        f"{result['nodes']} nodes per step; median of 7 repeats x 20 steps)"
    )
