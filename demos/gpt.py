"""A character-level GPT learns to make up first names.

    tinygrad-edu demo gpt [--quick] [--out DIR] [--steps N]

The model is about the size of Karpathy's microgpt: 1 layer, 16-dim
embeddings, 4 heads, a context of 16 characters, RMSNorm, no biases (about
4,300 parameters, every one a `Value`). It trains with Adam on the names
shipped in the package, one name per step: the name becomes
``[BOS, n, a, m, e, BOS]`` and at every position the model predicts the next
character (the final BOS means "the name ends here").

The loss is compared with two baselines, on names held out from training:

* unigram: always predict the overall character frequencies (the entropy of
  the character distribution, in nats); what a model learns first;
* bigram: predict from the previous character only (a 27 x 27 table of
  counts); a GPT with a context of 16 should get below it too.

Then it samples new names at two temperatures, writes the loss curve, and
saves the model in the output folder as one file (model.json: weights,
settings and the character tokenizer; `tinygrad_edu.models.saved.load_model`
rebuilds it; a --quick run never replaces a full run's).
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Sequence

from tinygrad_edu.datasets import CharTokenizer, load_names
from tinygrad_edu.models.gpt import GPT
from tinygrad_edu.optim import Adam

from .common import (
    demo_parser,
    positive_int,
    progress,
    pyplot,
    report_outputs,
    running_mean,
    save_figure,
    save_trained,
    setup,
    train_loop,
    write_results,
)


def make_model(vocab_size: int) -> GPT:
    """The demo's GPT (benchmark W4 times one training step of it)."""
    return GPT(vocab_size, block_size=16, n_layer=1, n_embd=16, n_head=4, norm="rmsnorm", bias=False)


def unigram_loss(
    train_docs: Sequence[Sequence[int]], docs: Sequence[Sequence[int]], vocab_size: int
) -> float:
    """Cross-entropy of the predicted tokens of `docs` under the frequencies
    of the predicted tokens of `train_docs` (add-one smoothed).

        >>> round(unigram_loss([[0, 1, 0], [0, 1, 0]], [[0, 1, 0]], 2), 4)  # p = (2+1)/(4+2) each: log 2
        0.6931
    """
    counts = Counter(t for doc in train_docs for t in doc[1:])
    total = sum(counts.values()) + vocab_size
    log_p = {i: math.log((counts[i] + 1) / total) for i in range(vocab_size)}
    predicted = [t for doc in docs for t in doc[1:]]
    return -sum(log_p[t] for t in predicted) / len(predicted)


def bigram_loss(train_docs: Sequence[Sequence[int]], docs: Sequence[Sequence[int]], vocab_size: int) -> float:
    """Cross-entropy of `docs` under previous-character counts (add-one smoothed)."""
    counts = Counter((a, b) for doc in train_docs for a, b in zip(doc, doc[1:]))
    row_totals = Counter()
    for (a, _), n in counts.items():
        row_totals[a] += n
    pairs = [(a, b) for doc in docs for a, b in zip(doc, doc[1:])]
    return -sum(math.log((counts[a, b] + 1) / (row_totals[a] + vocab_size)) for a, b in pairs) / len(pairs)


def train(model: GPT, docs: Sequence[Sequence[int]], steps: int, rng: random.Random, lr: float = 1e-2):
    """One document per step, Adam (microgpt's betas), step size decaying
    linearly to 0; yields (step, loss)."""
    order: list[int] = []

    def next_name_loss(step: int):
        if not order:  # a fresh shuffle each pass over the data
            order.extend(range(len(docs)))
            rng.shuffle(order)
        doc = docs[order.pop()]
        return model.loss(doc[:-1], doc[1:])

    return train_loop(Adam(model.parameters(), lr=lr, betas=(0.85, 0.99)), next_name_loss, steps)


def main(argv: Sequence[str] | None = None) -> int:
    parser = demo_parser("gpt", __doc__.splitlines()[0])
    parser.add_argument(
        "--steps",
        type=positive_int,
        default=3000,
        help="training steps, one name each (default: %(default)s)",
    )
    parser.add_argument(
        "--samples",
        type=positive_int,
        default=None,
        help="names to generate per temperature (default: 10; 5 with --quick)",
    )
    args = parser.parse_args(argv)
    out = setup(args)
    steps = 100 if args.quick else args.steps
    rng = random.Random(args.seed)
    run_start = time.perf_counter()

    names = load_names()
    tokenizer = CharTokenizer.from_texts(names)
    rng.shuffle(names)
    n_val = len(names) // 10
    val_names, train_names = names[:n_val], names[n_val:]
    train_docs = [tokenizer.encode_document(name) for name in train_names]
    val_docs = [tokenizer.encode_document(name) for name in val_names]
    # Tracking the held-out loss during training on a fixed slice keeps it cheap;
    # the final figure uses every held-out name.
    val_probe = val_docs[: 20 if args.quick else 150]
    if args.quick:
        val_docs = val_docs[:60]

    model = make_model(tokenizer.vocab_size)
    unigram = unigram_loss(train_docs, val_docs, tokenizer.vocab_size)
    bigram = bigram_loss(train_docs, val_docs, tokenizer.vocab_size)
    print(
        f"model: GPT, {model.num_parameters()} parameters; {len(train_names)} training names, "
        f"{len(val_names)} held out; vocabulary {tokenizer.itos[0]!r} (BOS) + a-z; {steps} steps"
    )
    print(f"baselines on held-out names: unigram {unigram:.3f} nats/char, bigram {bigram:.3f}")

    history, val_history = [], [(0, model.evaluate(val_probe))]
    checkpoints = {int(steps * k / 8) for k in range(1, 9)} - {0}
    seconds = 0.0  # training time only, without the evaluations
    start = time.perf_counter()
    bar = progress(train(model, train_docs, steps, rng), total=steps, desc="gpt")
    for step, loss in bar:
        history.append(loss)
        if step + 1 in checkpoints:
            seconds += time.perf_counter() - start
            val_history.append((step + 1, model.evaluate(val_probe)))
            start = time.perf_counter()
        bar.set_postfix(loss=f"{sum(history[-100:]) / len(history[-100:]):.3f}")
    seconds += time.perf_counter() - start
    val_loss = model.evaluate(val_docs)
    recent = history[-min(len(history), 500) :]
    print(
        f"after {steps} steps ({seconds:.1f} s, {1000 * seconds / steps:.1f} ms/step): "
        f"training loss (last {len(recent)} steps) {sum(recent) / len(recent):.3f}, "
        f"held-out loss {val_loss:.3f} (unigram {unigram:.3f}, bigram {bigram:.3f})"
    )

    known = set(names)
    figures = {
        "steps": steps,
        "parameters": model.num_parameters(),
        "train_seconds": round(seconds, 2),
        "heldout_loss": round(val_loss, 4),
        "unigram_loss": round(unigram, 4),
        "bigram_loss": round(bigram, 4),
        "samples": {},
    }
    for temperature in (0.5, 1.0):
        samples = []
        for k in range(args.samples or (5 if args.quick else 10)):
            ids = model.generate(
                [tokenizer.bos], model.block_size, temperature, seed=args.seed + k, stop=tokenizer.bos
            )
            samples.append(tokenizer.decode(ids))
        new = sum(s not in known for s in samples)
        figures["samples"][str(temperature)] = samples
        print(
            f"samples at temperature {temperature}: {', '.join(samples)}  ({new}/{len(samples)} not in the list)"
        )

    saved = save_trained(
        args, out, model, tokenizer, data="first-names.txt", steps=steps, heldout_loss=val_loss
    )
    results = write_results(out, args, time.perf_counter() - run_start, **figures)
    report_outputs([plot_loss(history, val_history, unigram, bigram, out), *saved, results])
    return 0


def plot_loss(history, val_history, unigram: float, bigram: float, out):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    window = 100
    smooth = running_mean(history, window)
    ax.plot(history, color="tab:blue", alpha=0.15, linewidth=0.5)
    ax.plot(smooth, color="tab:blue", label=f"training (mean of last {window} names)")
    ax.plot(*zip(*val_history), "o-", color="tab:green", label="held-out names")
    ax.axhline(unigram, color="tab:red", linestyle="--", label=f"unigram baseline {unigram:.2f}")
    ax.axhline(bigram, color="tab:orange", linestyle=":", label=f"bigram baseline {bigram:.2f}")
    ax.set_ylim(min(1.5, min(smooth) - 0.1), max(3.6, unigram + 0.3))
    ax.set_xlabel("step (one name each)")
    ax.set_ylabel("cross-entropy (nats per character)")
    ax.set_title("char-level GPT on first names")
    ax.legend(fontsize=8)
    return save_figure(fig, out / "loss.svg")[0]
