"""One attention head learns where to look, and draws it.

    tinygrad-edu demo attention [--quick] [--out DIR] [--steps N]

Two toy tasks, where the answer at position t is a token from *another*
position, so the model can only succeed by attending to the right place:

* reverse (non-causal): output the input backwards. Position t must read
  position T-1-t: a purely positional pattern, the anti-diagonal.
* running max (causal): output the largest token seen so far. Position t
  must find, among positions 0..t, the one holding the largest token: a
  pattern that depends on the content, under the causal mask.

The model is as small as it can be: token embedding + learned positions ->
ONE AttentionHead -> a Linear readout of the head's output only (no residual
path, so the answer must come through the attention weights). Writes a heat
map of the learned attention for each task and prints the accuracy.

(A task like "output the token that followed the last marker" needs two
heads in a row, an induction head: one to tag each position with its
previous token, one to find the tag. One head cannot, which is why the tasks
above were chosen.)
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tinygrad_edu import Value, no_grad
from tinygrad_edu.functional import cross_entropy
from tinygrad_edu.nn import AttentionHead, Embedding, Linear, Module, PositionalEmbedding
from tinygrad_edu.optim import Adam

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


@dataclass(frozen=True)
class Task:
    name: str
    title: str
    causal: bool
    vocab_size: int
    length: int
    target: Callable[[Sequence[int]], list[int]]  # input ids -> the id to output at each position
    sources: Callable[[Sequence[int], int], list[int]]  # where position t should look


def reverse_target(ids: Sequence[int]) -> list[int]:
    """>>> reverse_target([1, 2, 3])
    [3, 2, 1]
    """
    return list(reversed(ids))


def running_max_target(ids: Sequence[int]) -> list[int]:
    """>>> running_max_target([2, 0, 5, 1, 5])
    [2, 2, 5, 5, 5]
    """
    out, best = [], -1
    for i in ids:
        best = max(best, i)
        out.append(best)
    return out


def reverse_sources(ids: Sequence[int], t: int) -> list[int]:
    """Where position t finds its answer: position T-1-t."""
    return [len(ids) - 1 - t]


def running_max_sources(ids: Sequence[int], t: int) -> list[int]:
    """Every position s <= t that holds the largest token so far (ties count).

    >>> running_max_sources([2, 0, 2, 1], 3)
    [0, 2]
    """
    best = max(ids[: t + 1])
    return [s for s in range(t + 1) if ids[s] == best]


TASKS = {
    "reverse": Task(
        "reverse",
        "reverse the sequence (non-causal)",
        causal=False,
        vocab_size=6,
        length=6,
        target=reverse_target,
        sources=reverse_sources,
    ),
    "max": Task(
        "max",
        "largest token so far (causal)",
        causal=True,
        vocab_size=8,
        length=8,
        target=running_max_target,
        sources=running_max_sources,
    ),
}


class OneHead(Module):
    """wte + wpe -> AttentionHead -> readout: (T ids) -> (T, vocab) logits."""

    def __init__(self, task: Task, d_model: int = 16, d_head: int = 8) -> None:
        self.wte = Embedding(task.vocab_size, d_model)
        self.wpe = PositionalEmbedding(task.length, d_model)
        self.head = AttentionHead(d_model, d_head, causal=task.causal)
        self.readout = Linear(d_head, task.vocab_size)

    def __call__(self, ids: Sequence[int]) -> list[list[Value]]:
        return [self.readout(h) for h in self.head(self.wpe(self.wte(ids)))]


def sample(task: Task, rng: random.Random) -> list[int]:
    return [rng.randrange(task.vocab_size) for _ in range(task.length)]


def batch_loss(model: OneHead, task: Task, batch: Sequence[Sequence[int]]) -> Value:
    losses = []
    for ids in batch:
        for logits, y in zip(model(ids), task.target(ids)):
            losses.append(cross_entropy(logits, y))
    return Value.sum(losses) * (1.0 / len(losses))


def evaluate(model: OneHead, task: Task, seqs: Sequence[Sequence[int]]) -> dict[str, float]:
    """Token accuracy, whole-sequence accuracy, and the share of attention
    that lands on a position holding the answer ("attention on target")."""
    tokens = correct = seqs_right = 0
    on_target = uniform = 0.0
    with no_grad():
        for ids in seqs:
            logits = model(ids)
            targets = task.target(ids)
            hits = [
                max(range(task.vocab_size), key=lambda i: row[i].data) == y for row, y in zip(logits, targets)
            ]
            tokens += len(hits)
            correct += sum(hits)
            seqs_right += all(hits)
            weights = model.head.last_attention
            for t in range(len(ids)):
                sources = task.sources(ids, t)
                on_target += sum(weights[t][s] for s in sources)
                visible = t + 1 if task.causal else len(ids)
                uniform += len(sources) / visible  # what evenly spread attention would score
    return {
        "token_accuracy": correct / tokens,
        "sequence_accuracy": seqs_right / len(seqs),
        "attention_on_target": on_target / tokens,
        "uniform_on_target": uniform / tokens,
    }


def train(model: OneHead, task: Task, steps: int, batch_size: int, rng: random.Random, lr: float = 0.02):
    """Adam with a linearly decaying step size; yields (step, loss)."""
    return train_loop(
        Adam(model.parameters(), lr=lr),
        lambda step: batch_loss(model, task, [sample(task, rng) for _ in range(batch_size)]),
        steps,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = demo_parser("attention", __doc__.splitlines()[0])
    parser.add_argument(
        "--steps", type=positive_int, default=300, help="training steps per task (default: %(default)s)"
    )
    parser.add_argument(
        "--batch", type=positive_int, default=8, help="sequences per step (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    out = setup(args)
    steps = 40 if args.quick else args.steps
    rng = random.Random(args.seed)

    paths, figures = [], {}
    total_start = time.perf_counter()
    for task in TASKS.values():
        model = OneHead(task)
        print(
            f"task {task.name}: {task.title}; {task.length} tokens from {task.vocab_size}; "
            f"{model.num_parameters()} parameters; {steps} steps of {args.batch} sequences"
        )
        start = time.perf_counter()
        bar = progress(train(model, task, steps, args.batch, rng), total=steps, desc=task.name)
        history = []
        for _step, loss in bar:
            history.append(loss)
            bar.set_postfix(loss=f"{loss:.3f}")
        seconds = time.perf_counter() - start
        test = [sample(task, rng) for _ in range(50 if args.quick else 300)]
        scores = evaluate(model, task, test)
        print(
            f"  after {seconds:.1f} s: loss {history[-1]:.3f}; test accuracy {scores['token_accuracy']:.1%} "
            f"per token, {scores['sequence_accuracy']:.1%} whole sequences; "
            f"{scores['attention_on_target']:.1%} of the attention on the right position "
            f"(evenly spread attention: {scores['uniform_on_target']:.1%})"
        )
        figures[f"{task.name}_accuracy"] = scores["token_accuracy"]
        figures[f"{task.name}_sequence_accuracy"] = scores["sequence_accuracy"]
        figures[f"{task.name}_attention_on_target"] = scores["attention_on_target"]
        figures[f"{task.name}_uniform_on_target"] = scores["uniform_on_target"]
        paths.append(plot_attention(model, task, test[:3], out))
        paths.append(plot_loss(history, task, out))
    seconds = time.perf_counter() - total_start
    paths.append(write_results(out, args, seconds, steps=steps, batch=args.batch, **figures))
    report_outputs(paths)
    return 0


def plot_attention(model: OneHead, task: Task, examples: Sequence[Sequence[int]], out):
    """A heat map of the head's weights for a few test sequences: row = the
    position asking (with the answer it should give), column = the position
    read. Under the causal mask the future is grey: masked, not learned."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(examples), figsize=(3.3 * len(examples) + 1.0, 3.6), layout="constrained")
    cmap = plt.get_cmap("viridis").with_extremes(bad="lightgrey")
    for k, (ax, ids) in enumerate(zip(axes, examples)):
        with no_grad():
            model(ids)
        T = len(ids)
        weights = [
            [w if not task.causal or s <= t else float("nan") for s, w in enumerate(row)]
            for t, row in enumerate(model.head.last_attention)
        ]
        image = ax.imshow(weights, cmap=cmap, vmin=0.0, vmax=1.0)
        ax.set_xticks(range(T), [f"{s}\n{i}" for s, i in enumerate(ids)], fontsize=8)
        ax.set_yticks(range(T), [f"{t}: {y}" for t, y in enumerate(task.target(ids))], fontsize=8)
        ax.set_xlabel("key: position / token")
        if k == 0:
            ax.set_ylabel("query: position: answer")
    fig.colorbar(image, ax=list(axes), shrink=0.8, label="attention weight")
    fig.suptitle(f"one attention head, task: {task.title}")
    return save_figure(fig, out / f"attention_{task.name}.svg")[0]


def plot_loss(history: Sequence[float], task: Task, out):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(history)
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy")
    ax.set_title(f"attention demo, {task.name}: training loss")
    return save_figure(fig, out / f"loss_{task.name}.svg")[0]
