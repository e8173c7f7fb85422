"""Benchmark W7: the demo GPT's training step on our engine against its torch
twin (`tinygrad_edu.torch_bridge`), in float64 and in float32, on one thread.

The model is the one `tinygrad-edu demo gpt` trains (`demos.gpt.make_model`),
moved with `to_torch` from the same starting weights. One step is one batch
of the same 8 names: the mean over the names of each name's mean
cross-entropy, backward, an Adam update (the demo's betas), zero_grad. Ours
builds the 8 names' graphs on one tape, as the demos' training loop runs a
step; the twin runs the 8 names as one padded (8, T) batch. The first losses
are checked against each other. Reported: CPU time per step, and ours over
the twin's, a ratio from the same run of bench.py.

    python benchmarks/w7_torch_gpt.py        # ms of CPU per step on each engine

    >>> step, names = make_step("tinygrad_edu")
    >>> names, 0.0 < step() < 10.0
    (8, True)
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # demos, from this checkout

from tinygrad_edu import Value, tape  # noqa: E402
from tinygrad_edu.datasets import CharTokenizer, load_names  # noqa: E402
from tinygrad_edu.optim import Adam  # noqa: E402

BATCH = 8
LR, BETAS = 1e-2, (0.85, 0.99)
ENGINES = ("tinygrad_edu", "pytorch float64", "pytorch float32")


def model_and_batch(seed: int = 0):
    """The demo's GPT (seeded) and the same batch of 8 name documents."""
    from demos.gpt import make_model  # the demo's model, so the two never drift apart

    names = load_names()
    tokenizer = CharTokenizer.from_texts(names)
    state = random.getstate()
    random.seed(seed)
    try:
        model = make_model(tokenizer.vocab_size)
    finally:
        random.setstate(state)
    docs = [tokenizer.encode_document(name) for name in random.Random(seed).sample(names, BATCH)]
    return model, docs


def make_step(engine: str, seed: int = 0) -> tuple[Callable[[], float], int]:
    """(step, names per step) on `engine`; step() returns the batch's loss."""
    model, docs = model_and_batch(seed)
    if engine == "tinygrad_edu":
        optimizer = Adam(model.parameters(), lr=LR, betas=BETAS)

        def step() -> float:
            with tape():
                loss = Value.sum([model.loss(d[:-1], d[1:]) for d in docs]) * (1.0 / len(docs))
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                return loss.data

        return step, len(docs)

    import torch

    from tinygrad_edu.torch_bridge import to_torch
    from tinygrad_edu.torch_bridge.modules import IGNORE, pad_documents

    torch.set_num_threads(1)  # ours has one
    twin = to_torch(model, dtype=getattr(torch, engine.split()[-1]))
    optimizer = torch.optim.Adam(twin.parameters(), lr=LR, betas=BETAS)
    ids, targets = pad_documents(docs, twin.block_size)  # (8, T)
    real = targets != IGNORE

    def step() -> float:
        logits = twin(ids)  # (8, T, vocab)
        per_token = torch.nn.functional.cross_entropy(
            logits.transpose(1, 2), targets, ignore_index=IGNORE, reduction="none"
        )  # (8, T), 0 at the padding
        loss = (per_token.sum(1) / real.sum(1)).mean()  # each name's mean, then the mean over names
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss.item()

    return step, len(docs)


def run(engine: str, quick: bool) -> dict:
    """One measuring process (bench.py's worker): median CPU time of a step."""
    if engine != ENGINES[0]:
        try:
            import torch  # noqa: F401
        except ImportError as error:
            return {"skipped": f"PyTorch is not installed ({error})"}
    step, names = make_step(engine)
    warmup, steps = (1, 2) if quick else (2, 10 if engine == ENGINES[0] else 100)
    cpu_times, losses = [], []
    for _ in range(warmup + steps):
        start = time.process_time()
        losses.append(step())
        cpu_times.append(time.process_time() - start)
    return {"cpu_seconds": statistics.median(cpu_times[warmup:]), "names": names, "first_loss": losses[0]}


def report(results: dict, median_of, spread) -> tuple[list[str], list[str]]:
    """bench.py's table rows and notes for W7, from {engine: [one result per process]}."""
    ours = results[ENGINES[0]]
    t_ours = median_of(ours, "cpu_seconds")
    rows, notes = [], [f"W7: our step {spread(ours, 'cpu_seconds', 1e3, 'ms')} of CPU per process."]
    for engine in ENGINES[1:]:
        theirs = results[engine]
        if "skipped" in theirs[0]:
            notes.append(f"W7: {engine} skipped: {theirs[0]['skipped']}")
            continue
        t = median_of(theirs, "cpu_seconds")
        drift = abs(theirs[0]["first_loss"] - ours[0]["first_loss"])
        rows.append(
            f"| W7 the demo GPT's training step, {ours[0]['names']} names, against its torch twin in "
            f"{engine.split()[-1]}, 1 thread, CPU time | {1e3 * t_ours:.1f} ms/step | {engine}: "
            f"{1e3 * t:.2f} ms/step | {t_ours / t:.0f}x the twin's time | (for information) | |"
        )
        notes.append(
            f"W7: {engine}'s step {spread(theirs, 'cpu_seconds', 1e3, 'ms')} of CPU per process; "
            f"its first loss is within {drift:.1e} of ours."
        )
    return rows, notes


if __name__ == "__main__":
    for engine in ENGINES:
        result = run(engine, quick=False)
        if "skipped" in result:
            print(f"W7 {engine}: skipped: {result['skipped']}")
            continue
        print(
            f"W7 {engine}: {1e3 * result['cpu_seconds']:.2f} ms of CPU per step of {result['names']} names "
            f"(first loss {result['first_loss']:.12f})"
        )
