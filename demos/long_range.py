"""Why attention won: remembering a token far back, with an RNN, an LSTM and attention.

    tinygrad-edu demo long-range [--quick] [--out DIR] [--distances 2,5,10,20,40]
                                 [--steps N] [--models rnn,lstm,attention] [--no-forget-bias]

The task: a sequence starts with a signal token (one of A B C D), then
`distance` distractor tokens (drawn from w x y z), then a '?'. At the '?'
the model must name the signal:  ``C w x x z y w ? -> C``. The answer is
always `distance` + 1 steps back.

Three models of about the same size, each: a 4-number embedding per token,
then
  * rnn:       an Elman RNNCell with 8 hidden units (state: 8 numbers);
  * lstm:      an LSTMCell with 4 hidden units (state h and c: 8 numbers);
  * attention: one AttentionHead with d_head = 8, read at the '?' position;
then a Linear readout to the 4 answers. For each distance D a fresh model
of each kind trains on sequences with distances 1..D (the short ones are
where learning can start), with Adam, gradient clipping and the same budget
of steps; training stops early once 50 training sequences in a row are
right. Then each model is tested on 200 new sequences at exactly distance D.

What to look for: the RNN fails first. To learn, the error at the '?' has to
reach the signal's embedding through every step in between, multiplied by
the RNN's Jacobian at each one: it shrinks geometrically with distance (the
second plot measures it, at initialisation). The LSTM's cell state is
carried by addition, scaled by a forget gate near 1, so its gradient
survives; attention reads the signal in one step from any distance, at the
price of comparing every position with every other (T**2 work).

An honest note: the LSTM's advantage here depends on starting its forget
gate open (bias +2, the usual trick; Gers et al. 2000, Jozefowicz et al.
2015). With PyTorch's default init (`--no-forget-bias`) it fails at long
distances too within this budget, only a little later than the RNN.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from pathlib import Path

from tinygrad_edu import Value, no_grad
from tinygrad_edu.functional import cross_entropy
from tinygrad_edu.nn import AttentionHead, Embedding, Linear, LSTMCell, Module, RNNCell, run_sequence
from tinygrad_edu.optim import Adam

from .common import (
    comma_list,
    demo_parser,
    positive_int,
    positive_ints,
    progress,
    pyplot,
    report_outputs,
    save_figure,
    setup,
    train_loop,
    write_results,
)

SIGNALS = ["A", "B", "C", "D"]
DISTRACTORS = ["w", "x", "y", "z"]
QUERY = "?"
VOCAB = SIGNALS + DISTRACTORS + [QUERY]
ID = {token: i for i, token in enumerate(VOCAB)}

EMBED = 4  # numbers per token embedding, for every model
MODELS = ("rnn", "lstm", "attention")
LABELS = {"rnn": "RNN (Elman)", "lstm": "LSTM", "attention": "attention (1 head)"}


def make_example(distance: int, rng: random.Random) -> tuple[list[int], int]:
    """(token ids, answer): a signal, `distance` distractors, then the query.

    >>> ids, answer = make_example(3, random.Random(0))
    >>> " ".join(VOCAB[i] for i in ids), VOCAB[answer]
    ('D z w y ?', 'D')
    """
    signal = rng.randrange(len(SIGNALS))
    distractors = [ID[rng.choice(DISTRACTORS)] for _ in range(distance)]
    return [signal, *distractors, ID[QUERY]], signal


class RecurrentClassifier(Module):
    """Embedding -> a recurrent cell over the sequence -> Linear on the last state."""

    def __init__(self, cell: RNNCell | LSTMCell) -> None:
        self.embed = Embedding(len(VOCAB), cell.input_size)
        self.cell = cell
        self.readout = Linear(cell.hidden_size, len(SIGNALS))

    def __call__(self, ids: Sequence[int]) -> list[Value]:
        outputs, _state = run_sequence(self.cell, self.embed(ids))
        return self.readout(outputs[-1])


class AttentionClassifier(Module):
    """Embedding -> one attention head -> Linear on the query position's output.

    No positions are added: the head finds the signal by what it is, not
    where it is, which is all this task needs.
    """

    def __init__(self, d_head: int) -> None:
        self.embed = Embedding(len(VOCAB), EMBED)
        self.attention = AttentionHead(EMBED, d_head)
        self.readout = Linear(d_head, len(SIGNALS))

    def __call__(self, ids: Sequence[int]) -> list[Value]:
        outputs = self.attention(self.embed(ids))  # (T, EMBED) -> (T, d_head)
        return self.readout(outputs[-1])  # read at the '?'


def build_model(kind: str, forget_bias: bool = True) -> Module:
    """The three contestants, sized so that each carries about 8 numbers."""
    if kind == "rnn":
        return RecurrentClassifier(RNNCell(EMBED, 8))
    if kind == "lstm":
        model = RecurrentClassifier(LSTMCell(EMBED, 4))
        if forget_bias:
            # Start the forget gate open: sigmoid(2) = 0.88, so the cell state
            # (and its gradient) survives ~10 steps from the first update on.
            H = model.cell.hidden_size
            for j in range(H, 2 * H):  # rows H..2H-1 are the forget gate (i, f, g, o)
                model.cell.bias_ih[j].data = 2.0
                model.cell.bias_hh[j].data = 0.0
        return model
    if kind == "attention":
        return AttentionClassifier(d_head=8)
    raise ValueError(f"long-range: unknown model {kind!r}; expected one of {MODELS}")


def predict(logits: Sequence[Value]) -> int:
    return max(range(len(logits)), key=lambda k: logits[k].data)


def train(
    model: Module,
    max_distance: int,
    steps: int,
    rng: random.Random,
    batch: int = 2,
    lr: float = 0.01,
    clip: float = 1.0,
    solved_after: int = 50,
) -> int:
    """Train on distances 1..max_distance; stop early once `solved_after`
    training sequences in a row were answered right. Returns the steps taken."""
    streak = 0

    def batch_loss(step: int) -> Value:
        nonlocal streak
        examples = [make_example(rng.randint(1, max_distance), rng) for _ in range(batch)]
        outputs = [model(ids) for ids, _ in examples]
        right = sum(predict(out) == answer for out, (_, answer) in zip(outputs, examples))
        streak = streak + right if right == batch else 0
        losses = [cross_entropy(out, answer) for out, (_, answer) in zip(outputs, examples)]
        return Value.sum(losses) * (1 / batch)

    taken = 0
    optimizer = Adam(model.parameters(), lr=lr)
    for step, _loss in train_loop(optimizer, batch_loss, steps, decay_to=1.0, clip=clip):
        taken = step + 1
        if streak >= solved_after:
            break
    return taken


def accuracy(model: Module, distance: int, n: int, seed: int) -> float:
    """The share of n fresh sequences at exactly `distance` answered right."""
    rng = random.Random(seed)
    right = 0
    with no_grad():
        for _ in range(n):
            ids, answer = make_example(distance, rng)
            right += predict(model(ids)) == answer
    return right / n


def gradient_at_signal(model: Module, distance: int, n: int, seed: int) -> float:
    """Mean length of d(loss)/d(signal embedding): how much of the error at
    the '?' reaches the token `distance` + 1 steps back. The signal tokens
    appear only at position 0, so their embedding rows' grads are exactly
    the gradient at the first input."""
    rng = random.Random(seed)
    total = 0.0
    for _ in range(n):
        ids, answer = make_example(distance, rng)
        model.zero_grad()
        cross_entropy(model(ids), answer).backward()
        row = model.embed.weight[ids[0]]
        total += math.sqrt(sum(v.grad * v.grad for v in row))
    model.zero_grad()
    return total / n


def main(argv: Sequence[str] | None = None) -> int:
    parser = demo_parser("long-range", __doc__.splitlines()[0])
    parser.add_argument(
        "--distances",
        type=positive_ints,
        default=[2, 5, 10, 20, 40],
        help="comma-separated distances (default: 2,5,10,20,40)",
    )
    parser.add_argument(
        "--steps", type=positive_int, default=1000, help="most training steps per model and distance"
    )
    parser.add_argument(
        "--models",
        type=comma_list(MODELS),
        default=list(MODELS),
        help="comma-separated, from rnn,lstm,attention",
    )
    parser.add_argument(
        "--test", type=positive_int, default=200, help="test sequences per distance (default: %(default)s)"
    )
    parser.add_argument(
        "--no-forget-bias", action="store_true", help="keep PyTorch's LSTM init (no open forget gate)"
    )
    args = parser.parse_args(argv)
    out = setup(args)
    distances = [2, 10] if args.quick else args.distances
    steps = 60 if args.quick else args.steps
    n_test = 50 if args.quick else args.test
    kinds = args.models
    run_start = time.perf_counter()

    print("task: signal, D distractors, '?' -> the signal; e.g.", end=" ")
    ids, answer = make_example(5, random.Random(args.seed))
    print(" ".join(VOCAB[i] for i in ids), "->", VOCAB[answer], f"(chance: {1 / len(SIGNALS):.0%})")
    for kind in kinds:
        random.seed(args.seed)
        model = build_model(kind, not args.no_forget_bias)
        print(f"  {LABELS[kind]:<19} {model.num_parameters():>4} parameters")
    print(f"training: distances 1..D, batch 2, Adam lr 0.01, clip 1.0, at most {steps} steps\n")

    results: dict[str, dict[int, tuple[float, int, float, float]]] = {}
    jobs = [(kind, d) for kind in kinds for d in distances]
    bar = progress(jobs, total=len(jobs), desc="long-range")
    for kind, distance in bar:
        bar.set_postfix(model=kind, D=distance)
        random.seed(args.seed)  # the same initial weights at every distance
        model = build_model(kind, not args.no_forget_bias)
        grad = gradient_at_signal(model, distance, n=10, seed=args.seed)
        start = time.perf_counter()
        used = train(model, distance, steps, random.Random(args.seed + distance))
        seconds = time.perf_counter() - start
        acc = accuracy(model, distance, n_test, seed=10_000 + distance)
        results.setdefault(kind, {})[distance] = (acc, used, seconds, grad)

    print_table(results, kinds, distances)
    figures = {
        "steps": steps,
        "distances": distances,
        # model -> distance -> the share of test sequences answered right
        "accuracy": {kind: {str(d): results[kind][d][0] for d in distances} for kind in kinds},
        "steps_used": {kind: {str(d): results[kind][d][1] for d in distances} for kind in kinds},
        "grad_at_signal": {kind: {str(d): results[kind][d][3] for d in distances} for kind in kinds},
        "chance": 1 / len(SIGNALS),
    }
    seconds = time.perf_counter() - run_start
    report_outputs([*plot(results, kinds, distances, out), write_results(out, args, seconds, **figures)])
    return 0


def print_table(results, kinds: Sequence[str], distances: Sequence[int]) -> None:
    header = "distance D".ljust(20) + "".join(f"{d:>8}" for d in distances) + "   train time"
    print("test accuracy at distance D (steps used, of the budget):")
    print(header)
    for kind in kinds:
        row = results[kind]
        cells = "".join(f"{row[d][0]:>8.0%}" for d in distances)
        print(f"{LABELS[kind]:<20}{cells}   {sum(r[2] for r in row.values()):8.1f} s")
        print(" " * 20 + "".join(f"{'(' + str(row[d][1]) + ')':>8}" for d in distances))
    print("\n|d loss / d signal embedding| at initialisation (how much error reaches the signal):")
    print(header[: 20 + 8 * len(distances)])
    for kind in kinds:
        print(f"{LABELS[kind]:<20}" + "".join(f"{results[kind][d][3]:>8.1e}" for d in distances))


def plot(results, kinds: Sequence[str], distances: Sequence[int], out: Path) -> list[Path]:
    plt = pyplot()
    fig, (ax_acc, ax_grad) = plt.subplots(1, 2, figsize=(11, 4.2))
    for kind in kinds:
        row = results[kind]
        ax_acc.plot(distances, [row[d][0] for d in distances], marker="o", label=LABELS[kind])
        ax_grad.plot(distances, [max(row[d][3], 1e-30) for d in distances], marker="o", label=LABELS[kind])
    ax_acc.axhline(1 / len(SIGNALS), color="0.6", linestyle="--", linewidth=1, label="chance")
    ax_acc.set_xscale("log")
    ax_acc.set_xticks(distances, [str(d) for d in distances])
    ax_acc.set_xticks([], minor=True)
    ax_acc.set_ylim(0, 1.05)
    ax_acc.set_xlabel("distance D (distractors between the signal and the '?')")
    ax_acc.set_ylabel("test accuracy")
    ax_acc.set_title("remembering a token D steps back")
    ax_acc.legend(fontsize=8)
    ax_grad.set_xscale("log")
    ax_grad.set_yscale("log")
    ax_grad.set_xticks(distances, [str(d) for d in distances])
    ax_grad.set_xticks([], minor=True)
    ax_grad.set_xlabel("distance D")
    ax_grad.set_ylabel("|d loss / d signal embedding|")
    ax_grad.set_title("gradient reaching the signal, at initialisation")
    ax_grad.legend(fontsize=8)
    return save_figure(fig, out / "long_range.png", out / "long_range.svg", dpi=120)
