"""A character-level GPT learns to make up first names.

    tinygrad-edu demo gpt [--quick] [--out DIR] [--steps N] [--text FILE] [--prompt TEXT]

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

With ``--text FILE`` it learns your own UTF-8 text instead: the file is read
as one stream of characters (at most MAX_TEXT_BYTES, 1 MB; an empty file or
one that is not text is refused, one under MIN_TEXT_CHARS, 2,000 characters,
gets a warning), the last tenth is held out, each step trains on one window
of the context length (16 characters) from the rest, and the same two
baselines are measured on the held-out tenth. It trains TEXT_STEPS (1,300)
steps by default: as many predicted characters as the names' 3,000 steps,
and about the same CPU time.

Then it samples new names at two temperatures and writes the loss curve
and model.html, the model view (viz.model_view) of a default prompt
(``--prompt``): its embeddings, attention, residual stream, feed-forward
neurons, logit lens and logits, at the moments of training kept as weight
snapshots (after 0, 5%, 20% and 50% of the steps, and the end). It saves
the model in the output folder as one file (model.json: weights, settings,
the character tokenizer and those snapshots; `tinygrad_edu.models.saved.load_model`
rebuilds it, `tinygrad-edu view` shows it; a --quick run never replaces a
full run's).
"""

from __future__ import annotations

import math
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from tinygrad_edu.datasets import CharTokenizer, load_names
from tinygrad_edu.models.gpt import GPT
from tinygrad_edu.optim import Adam

from .common import (
    demo_parser,
    fail,
    positive_int,
    progress,
    pyplot,
    report_outputs,
    running_mean,
    save_figure,
    save_trained,
    setup,
    snapshot_steps,
    train_loop,
    write_model_page,
    write_results,
)

DEFAULT_PROMPT = ".jasmin"  # '.' starts a name: what comes after "jasmin"?
NAME_STEPS = 3000  # one name a step: about 22,000 predicted characters
TEXT_STEPS = 1300  # one 16-character window a step: about as many, for about the same CPU time
MAX_TEXT_BYTES = 1_000_000  # --text: larger files are refused (a minute of training sees ~50k characters)
MIN_TEXT_CHARS = 2_000  # --text: below this, a warning: too little to learn from


class Data(NamedTuple):
    """What main trains and measures on, from the names or from --text."""

    tokenizer: CharTokenizer
    train_docs: list[list[int]]  # each at most block_size + 1 ids: inputs [:-1], targets [1:]
    val_docs: list[list[int]]
    known: set[str]  # texts a sample may copy (the names); empty for --text
    description: str
    data_name: str


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
        default=None,
        help=f"training steps, one name or --text window each (default: {NAME_STEPS}; "
        f"{TEXT_STEPS} with --text, whose windows hold about twice the characters of a name)",
    )
    parser.add_argument(
        "--samples",
        type=positive_int,
        default=None,
        help="names to generate per temperature (default: 10; 5 with --quick)",
    )
    parser.add_argument(
        "--prompt",
        default=None,
        help=f"the text model.html looks at (default: {DEFAULT_PROMPT!r}, '.' starting a name; "
        "with --text, the start of the held-out text)",
    )
    parser.add_argument(
        "--text",
        metavar="FILE",
        default=None,
        help=f"train on your own UTF-8 text (one stream of characters, at most {MAX_TEXT_BYTES:,} bytes)",
    )
    args = parser.parse_args(argv)
    text = read_text(args) if args.text else None  # checked before anything is written
    out = setup(args)
    steps = 100 if args.quick else args.steps or (NAME_STEPS if text is None else TEXT_STEPS)
    rng = random.Random(args.seed)
    run_start = time.perf_counter()

    data = name_data(rng) if text is None else text_data(text, args.text)
    tokenizer, train_docs, val_docs = data.tokenizer, data.train_docs, data.val_docs
    # Tracking the held-out loss during training on a fixed slice keeps it cheap;
    # the final figure uses every held-out name.
    val_probe = val_docs[: 20 if args.quick else 150]
    if args.quick:
        val_docs = val_docs[:60]

    model = make_model(tokenizer.vocab_size)
    unigram = unigram_loss(train_docs, val_docs, tokenizer.vocab_size)
    bigram = bigram_loss(train_docs, val_docs, tokenizer.vocab_size)
    print(f"model: GPT, {model.num_parameters()} parameters; {data.description}; {steps} steps")
    print(f"baselines on the held-out part: unigram {unigram:.3f} nats/char, bigram {bigram:.3f}")

    history, val_history = [], [(0, model.evaluate(val_probe))]
    checkpoints = {int(steps * k / 8) for k in range(1, 9)} - {0}
    keep = snapshot_steps(steps)
    snapshots = [{"step": 0, "state_dict": model.state_dict()}] if 0 in keep else []
    seconds = 0.0  # training time only, without the evaluations
    start = time.perf_counter()
    bar = progress(train(model, train_docs, steps, rng), total=steps, desc="gpt")
    for step, loss in bar:
        history.append(loss)
        if step + 1 in keep:
            snapshots.append({"step": step + 1, "state_dict": model.state_dict()})
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

    figures = {
        "steps": steps,
        "parameters": model.num_parameters(),
        "train_seconds": round(seconds, 2),
        "heldout_loss": round(val_loss, 4),
        "unigram_loss": round(unigram, 4),
        "bigram_loss": round(bigram, 4),
        "data": data.data_name,
        "samples": {},
    }
    for temperature in (0.5, 1.0):
        samples = []
        for k in range(args.samples or (5 if args.quick else 10)):
            if text is None:
                ids = model.generate(
                    [tokenizer.bos], model.block_size, temperature, seed=args.seed + k, stop=tokenizer.bos
                )
            else:  # a continuation of the held-out text's first characters
                ids = model.generate(val_docs[k % len(val_docs)][:8], 40, temperature, seed=args.seed + k)
            samples.append(tokenizer.decode(ids))
        figures["samples"][str(temperature)] = samples
        if text is None:
            new = sum(s not in data.known for s in samples)
            print(
                f"samples at temperature {temperature}: {', '.join(samples)}  ({new}/{len(samples)} not in the list)"
            )
        else:
            print(f"samples at temperature {temperature} (8 held-out characters, then 40 sampled):")
            for sample in samples:
                print(f"  {sample!r}")

    corpus = [doc[:-1] for doc in train_docs]  # the inputs the model read (the final BOS is only a target)
    prompt = args.prompt or (DEFAULT_PROMPT if text is None else tokenizer.decode(val_docs[0][:-1]))
    view, view_figures = write_model_page(args, out, model, tokenizer, prompt, corpus, snapshots)
    figures |= view_figures
    # A --text model's view (tinygrad-edu view) finds its text again by the file's path.
    stream = {"stream": True, "text_file": str(Path(args.text).resolve())} if text is not None else {}
    saved = save_trained(
        args,
        out,
        model,
        tokenizer,
        snapshots=snapshots,
        data=data.data_name,
        steps=steps,
        heldout_loss=val_loss,
        **stream,
    )
    results = write_results(out, args, time.perf_counter() - run_start, **figures)
    loss_plot = plot_loss(history, val_history, unigram, bigram, out, text and data.data_name)
    report_outputs([loss_plot, view, *saved, results])
    return 0


# --------------------------------------------------------------------- data
def name_data(rng: random.Random) -> Data:
    """The shipped first names, a tenth held out, one document per name."""
    names = load_names()
    tokenizer = CharTokenizer.from_texts(names)
    rng.shuffle(names)
    n_val = len(names) // 10
    val_names, train_names = names[:n_val], names[n_val:]
    return Data(
        tokenizer,
        [tokenizer.encode_document(name) for name in train_names],
        [tokenizer.encode_document(name) for name in val_names],
        set(names),
        f"{len(train_names)} training names, {len(val_names)} held out; vocabulary "
        f"{tokenizer.itos[0]!r} (BOS) + a-z",
        "first-names.txt",
    )


def read_text(args) -> str:
    """--text FILE, checked: a readable UTF-8 text file of 1..MAX_TEXT_BYTES
    bytes (anything else ends the demo with exit code 2); a warning when it
    is under MIN_TEXT_CHARS characters."""
    path = Path(args.text)
    try:
        size = path.stat().st_size
        if not path.is_file():
            fail(args, f"--text {args.text!r} is not a file")
        if size > MAX_TEXT_BYTES:
            fail(args, f"--text {args.text!r} is {size:,} bytes; at most {MAX_TEXT_BYTES:,} (cut it down)")
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        fail(args, f"--text {args.text!r} is not UTF-8 text (byte {error.start} cannot be decoded)")
    except OSError as error:
        fail(args, f"cannot read --text {args.text!r}: {error.strerror}")
    if not text.strip():
        fail(args, f"--text {args.text!r} is empty; give a file with some text in it")
    if "\x00" in text:
        fail(args, f"--text {args.text!r} holds NUL bytes: it is not a text file")
    if len(text) < MIN_TEXT_CHARS:
        print(
            f"warning: --text {args.text!r} has only {len(text):,} characters; below {MIN_TEXT_CHARS:,} "
            "there is too little to learn from, and the held-out figures are noisy",
            file=sys.stderr,
        )
    return text


def text_data(text: str, name: str) -> Data:
    """One stream of characters: the first nine tenths cut into windows of
    block_size + 1 characters, each overlapping the next by one (every
    character is predicted once; each step trains on one window, in a
    shuffled order), the last tenth held out in windows alike."""
    bos_char = next(c for c in (".", "\u2402", "\u2400") if c not in text)  # never in the stream: unused
    tokenizer = CharTokenizer(set(text), bos_char=bos_char)
    ids = tokenizer.encode(text)
    split = len(ids) - max(len(ids) // 10, 2)
    width = make_model(2).block_size + 1
    train, held_out = windows(ids[:split], width), windows(ids[split:], width)
    return Data(
        tokenizer,
        train,
        held_out,
        set(),
        f"your text {name!r}: {len(ids):,} characters, {tokenizer.vocab_size - 1} distinct; "
        f"{split:,} for training, {len(ids) - split:,} held out",
        Path(name).name,
    )


def windows(ids: list[int], width: int) -> list[list[int]]:
    """`ids` in windows of `width`, each starting on the last id of the one before.

    >>> windows([1, 2, 3, 4, 5, 6], 3)
    [[1, 2, 3], [3, 4, 5], [5, 6]]
    """
    return [ids[i : i + width] for i in range(0, len(ids) - 1, width - 1)]


def plot_loss(history, val_history, unigram: float, bigram: float, out, text_name: str | None = None):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    window = 100
    smooth = running_mean(history, window)
    ax.plot(history, color="tab:blue", alpha=0.15, linewidth=0.5)
    ax.plot(smooth, color="tab:blue", label=f"training (mean of last {window} steps)")
    ax.plot(*zip(*val_history), "o-", color="tab:green", label="held-out")
    ax.axhline(unigram, color="tab:red", linestyle="--", label=f"unigram baseline {unigram:.2f}")
    ax.axhline(bigram, color="tab:orange", linestyle=":", label=f"bigram baseline {bigram:.2f}")
    ax.set_ylim(min(1.5, min(smooth) - 0.1), max(3.6, unigram + 0.3))
    ax.set_xlabel("step (one name each)" if text_name is None else "step (one window each)")
    ax.set_ylabel("cross-entropy (nats per character)")
    ax.set_title("char-level GPT on " + ("first names" if text_name is None else repr(text_name)))
    ax.legend(fontsize=8)
    return save_figure(fig, out / "loss.svg")[0]
