"""word2vec on a small corpus: nearest words, analogies, and a 2-D map.

    tinygrad-edu demo word2vec [--quick] [--out DIR] [--epochs N] [--dim D]

Trains skip-gram with negative sampling (tinygrad_edu.models.word2vec) on
tinygrad_edu/datasets/word2vec-corpus.txt, a few hundred short sentences about royalty, places,
animals and food; prints each probe word's nearest neighbours and a few
analogies (king - man + woman = ?) with their cosine scores; writes a PCA map
of the word vectors (PNG and SVG) and the vectors themselves (word2vec's text
format), and saves the model as one file (model.json: both tables, the
words and their counts; a --quick run never replaces a full run's).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from tinygrad_edu.datasets.corpus import CORPUS_FILE, read_sentences
from tinygrad_edu.models.word2vec import Word2Vec, cosine_similarity, pca_2d, train
from tinygrad_edu.nn.module import write_atomically

from .common import (
    demo_parser,
    existing_file,
    fail,
    label_points,
    positive_float,
    positive_int,
    progress,
    pyplot,
    report_outputs,
    save_figure,
    save_trained,
    setup,
    write_results,
)

CORPUS = Path(str(resources.files("tinygrad_edu.datasets").joinpath(CORPUS_FILE)))  # the shipped corpus

PROBES = ["king", "woman", "paris", "france", "dog", "puppy", "apple", "tea"]

# (a, b, c, expected): a - b + c should land near expected.
ANALOGIES = [
    ("king", "man", "woman", "queen"),
    ("queen", "woman", "man", "king"),
    ("prince", "boy", "girl", "princess"),
    ("king", "prince", "princess", "queen"),
    ("paris", "france", "italy", "rome"),
    ("rome", "italy", "japan", "tokyo"),
    ("berlin", "germany", "spain", "madrid"),
    ("puppy", "dog", "cat", "kitten"),
    ("lamb", "sheep", "cow", "calf"),
    ("foal", "horse", "duck", "duckling"),
]

# The words on the map, in groups (one colour each), and pairs joined by a line.
MAP_GROUPS = {
    "people": ["king", "queen", "prince", "princess", "man", "woman", "boy", "girl"],
    "countries": ["france", "italy", "spain", "germany", "japan", "egypt", "russia"],
    "capitals": ["paris", "rome", "madrid", "berlin", "tokyo", "cairo", "moscow"],
    "animals": ["dog", "cat", "cow", "sheep", "horse", "duck", "hen"],
    "young animals": ["puppy", "kitten", "calf", "lamb", "foal", "duckling", "chick"],
    "food": ["apple", "pear", "banana", "carrot", "potato", "onion", "tea", "coffee", "milk"],
}
# The three relation panels after the overview.
MAP_PANELS = [("people",), ("countries", "capitals"), ("animals", "young animals")]
MAP_PAIRS = [
    ("king", "queen"),
    ("prince", "princess"),
    ("man", "woman"),
    ("boy", "girl"),
    *zip(MAP_GROUPS["countries"], MAP_GROUPS["capitals"]),
    *zip(MAP_GROUPS["animals"], MAP_GROUPS["young animals"]),
]


def main(argv: Sequence[str] | None = None) -> int:
    parser = demo_parser("word2vec", __doc__.splitlines()[0])
    parser.add_argument(
        "--epochs", type=positive_int, default=40, help="passes over the corpus (default: %(default)s)"
    )
    parser.add_argument("--dim", type=positive_int, default=24, help="vector size (default: %(default)s)")
    parser.add_argument(
        "--window", type=positive_int, default=3, help="context words each side (default: %(default)s)"
    )
    parser.add_argument(
        "--negatives", type=positive_int, default=5, help="noise words per pair (default: %(default)s)"
    )
    parser.add_argument(
        "--lr", type=positive_float, default=0.05, help="starting learning rate (default: %(default)s)"
    )
    parser.add_argument(
        "--corpus",
        type=existing_file,
        default=str(CORPUS),
        help="one sentence per line (default: the shipped one)",
    )
    args = parser.parse_args(argv)
    out = setup(args)
    run_start = time.perf_counter()
    epochs = 3 if args.quick else args.epochs

    sentences = read_sentences(args.corpus)
    if not any(len(s) > 1 for s in sentences):
        fail(args, f"--corpus {args.corpus!r} has no sentence of two or more words to learn from")
    model = Word2Vec.from_sentences(sentences, dim=args.dim, rng=random.Random(args.seed))
    tokens = sum(len(s) for s in sentences)
    print(
        f"corpus: {len(sentences)} sentences, {tokens} words, vocabulary {len(model.words)}; "
        f"model: {model}, {model.num_parameters()} parameters"
    )
    print(f"skip-gram, window {args.window}, {args.negatives} noise words per pair, {epochs} epochs")

    start = time.perf_counter()
    history = []
    run = train(
        model,
        sentences,
        epochs=epochs,
        window=args.window,
        negatives=args.negatives,
        lr=args.lr,
        rng=random.Random(args.seed),
    )
    bar = progress(run, total=epochs, desc="word2vec")
    for _epoch, loss in bar:
        history.append(loss)
        bar.set_postfix(loss=f"{loss:.3f}")
    seconds = time.perf_counter() - start
    print(
        f"trained in {seconds:.1f} s ({seconds / epochs:.2f} s/epoch); loss per pair {history[0]:.3f} -> {history[-1]:.3f}"
    )

    baseline = mean_cosine_of_random_pairs(model, random.Random(args.seed))
    print(
        f"\nthe mean cosine of two words picked at random, the baseline for the scores below: {baseline:.2f}"
    )
    if baseline > 0.8:
        print(
            "  (the vectors still point nearly the same way, so every cosine below is near 1: after so short "
            "a run they mean nothing yet)"
        )
    print("\nnearest words (cosine similarity):")
    for word in PROBES:
        if word in model:
            neighbours = ", ".join(f"{w} {s:.2f}" for w, s in model.nearest(word, k=5))
            print(f"  {word:>8}: {neighbours}")

    print("\nanalogies, a - b + c = ? (top 3 with cosine scores):")
    right = 0
    asked = [q for q in ANALOGIES if all(w in model for w in q)]
    for a, b, c, expected in asked:
        answers = model.analogy(a, b, c, k=3)
        hit = answers[0][0] == expected
        right += hit
        shown = ", ".join(f"{w} {s:.2f}" for w, s in answers)
        print(f"  {'ok ' if hit else '-- '}{a} - {b} + {c} = {shown}   (expected {expected})")
    print(f"  {right} of {len(asked)} analogies right")
    results = write_results(
        out,
        args,
        time.perf_counter() - run_start,
        epochs=epochs,
        vocabulary=len(model.words),
        parameters=model.num_parameters(),
        train_seconds=round(seconds, 2),
        first_loss=round(history[0], 4),
        final_loss=round(history[-1], 4),
        analogies_right=right,
        analogies_total=len(asked),
        random_pair_cosine=round(baseline, 4),
    )

    paths = [
        *plot_map(model, out),
        plot_loss(history, out),
        write_vectors(model, out / "vectors.txt"),
        *save_trained(args, out, model, corpus=str(args.corpus), epochs=epochs, analogies_right=right),
        results,
    ]
    report_outputs(paths)
    return 0


def mean_cosine_of_random_pairs(model: Word2Vec, rng: random.Random, pairs: int = 500) -> float:
    """The mean cosine similarity of `pairs` pairs of different words drawn at
    random: what a neighbour's score must beat to mean anything."""
    words = list(model.words)
    if len(words) < 2:
        return 0.0
    total = 0.0
    for _ in range(pairs):
        a, b = rng.sample(words, 2)
        total += cosine_similarity(model.vector(a), model.vector(b))
    return total / pairs


def plot_map(model: Word2Vec, out: Path) -> list[Path]:
    """The word vectors projected on their two principal components: all the
    map's words in the first panel, then one relation per panel (projected on
    that panel's own components, so the within-group structure shows)."""
    groups = {name: [w for w in words if w in model] for name, words in MAP_GROUPS.items()}
    panels = [("all groups", list(groups))] + [(", ".join(names), list(names)) for names in MAP_PANELS]
    plt = pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(11, 9))
    colours = dict(zip(groups, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    for k, (ax, (title, names)) in enumerate(zip(axes.flat, panels)):
        overview = k == 0  # each group a tight cluster: its words' labels would pile up
        words = [w for name in names for w in groups[name]]
        points = dict(zip(words, pca_2d([model.vector(w) for w in words])))
        # A faint line for each pair: parallel lines are a shared relation.
        for a, b in MAP_PAIRS:
            if a in points and b in points and not overview:
                (xa, ya), (xb, yb) = points[a], points[b]
                ax.plot([xa, xb], [ya, yb], color="0.8", linewidth=0.8, zorder=1)
        for name in names:
            ws = groups[name]
            xs, ys = [points[w][0] for w in ws], [points[w][1] for w in ws]
            ax.scatter(xs, ys, s=18, color=colours[name], label=name, zorder=2)
            if overview:  # the group's name beside its cluster; the words are in the panels that follow
                centre = (max(xs), sum(ys) / len(ys))
                ax.annotate(
                    name,
                    centre,
                    fontsize=9,
                    color=colours[name],
                    weight="bold",
                    xytext=(8, -3),
                    textcoords="offset points",
                )
        ax.margins(x=0.18 if overview else 0.08)  # room for the names at the right
        if not overview:
            label_points(ax, points, fontsize=8)
        ax.set_title(
            title + (", one colour each (the other panels name the words)" if overview else ""), fontsize=10
        )
        if not overview:
            ax.legend(fontsize=7, loc="best")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("word2vec: word vectors on their first two principal components")
    return save_figure(fig, out / "word_map.png", out / "word_map.svg", dpi=120)


def plot_loss(history: Sequence[float], out: Path) -> Path:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(range(1, len(history) + 1), history, marker="o", markersize=3)
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean loss per (word, context) pair")
    ax.set_title("word2vec: training loss")
    return save_figure(fig, out / "loss.svg")[0]


def write_vectors(model: Word2Vec, path: Path) -> Path:
    """word2vec's text format: a 'count dim' line, then 'word x1 x2 ...' lines."""
    lines = [f"{len(model.words)} {model.dim}"]
    lines += [" ".join([w] + [f"{x:.6f}" for x in model.vector(w)]) for w in model.words]
    write_atomically(path, "\n".join(lines) + "\n", f"write_vectors({str(path)!r})")
    return path
