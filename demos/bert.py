"""BERT from scalars: masked-word pretraining, contextual vectors that tell "bank" from "bank".

    tinygrad-edu demo bert [--quick] [--out DIR] [--steps N] [--batch B] ...
    tinygrad-edu demo bert --sentence "the otter swam to the [MASK]"

1. Pretrain a small BERT (tinygrad_edu.models.bert) with the masked
   language model on the sense corpus (tinygrad_edu.datasets.senses: short
   sentences on five topics, in which "bank", "bat", "pitch" and "spring"
   each appear in two senses), Adam, a few sentences per step.
2. Held-out masked-word accuracy (each chosen word replaced by [MASK])
   against the unigram baseline (always guess the commonest word); a few
   fill-mask examples.
3. The sense test, on held-out sentences: for each ambiguous word, the mean
   cosine similarity of its contextual vectors within a sense and across
   the two senses, each vector less the mean of that word's vectors (what
   all its occurrences share, the word's own embedding above all, would
   otherwise push every cosine towards 1), for the trained model and for
   the same model before training, centred alike (an untrained encoder
   already separates the senses a little, because the context words
   differ: the question is what pretraining adds); and a nearest-neighbour
   sense classifier (the sense of the most similar training occurrence).
4. Fine-tune a sentence classifier (Collapse("mean") + Linear: the topic
   of the sentence) on a few labelled sentences per topic, from the pretrained
   encoder and from a fresh one, and compare their held-out accuracy.

The model view: model.html (viz.model_view) shows the pretrained model
reading ``--prompt`` (default: the first fill-mask example): embeddings,
bidirectional attention, the residual stream, the feed-forward neurons with
the training sentences where each fires most, the logit lens and the
fill-in probabilities at [MASK], at the moments of pretraining kept as
weight snapshots (after 0, 5%, 20% and 50% of the steps, and the end).

Pictures: each ambiguous word's contextual vectors on their first two
principal components, coloured by sense, beside word2vec's single vector
for it (a quick word2vec on the same sentences, with the words of each
sense around it); the bidirectional attention maps of one sentence.

The pretrained model (before fine-tuning) is saved in the output folder as
one file (model.json: weights, settings, the word tokenizer and the weight
snapshots the model view replays; a --quick run never replaces a full
run's). ``--sentence`` fills the [MASK] of your sentence with that model,
without retraining; if there is none, it pretrains a quick one first and
says so.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path

from tinygrad_edu import Value, no_grad
from tinygrad_edu.datasets.senses import SENSES, TOPICS, LabelledSentence, sense_corpus
from tinygrad_edu.datasets.text import normalise_sentence
from tinygrad_edu.models import word2vec
from tinygrad_edu.models.bert import (
    BERT,
    IGNORE,
    BERTClassifier,
    WordTokenizer,
    fill_mask,
    mask_tokens,
)
from tinygrad_edu.models.word2vec import cosine_similarity, pca_2d
from tinygrad_edu.optim import Adam

from .common import (
    demo_parser,
    fail,
    find_saved,
    label_points,
    positive_float,
    positive_int,
    progress,
    pyplot,
    recent_loss,
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

FILL_MASK_EXAMPLES = [
    "we sat on the [MASK] of the river",
    "my uncle borrowed money from the [MASK]",
    "the singer sang at a high [MASK]",
    "he hit the ball with a wooden [MASK]",
    "the tulips bloom in [MASK]",
    "a [MASK] flew out of the dark cave",
]
ATTENTION_SENTENCE = "the otter rested on the bank of the river"
# Words of each sense, drawn around word2vec's one vector for the ambiguous word.
SENSE_WORDS = {
    "bank": {"river": ["river", "stream", "otter", "muddy"], "money": ["money", "cash", "loan", "clerk"]},
    "bat": {
        "animal": ["cave", "insects", "moths", "night"],
        "sport": ["ball", "cricket", "baseball", "wooden"],
    },
    "pitch": {
        "field": ["football", "rugby", "fans", "kicked"],
        "sound": ["singer", "violin", "piano", "tuned"],
    },
    "spring": {
        "water": ["water", "drank", "bottle", "pure"],
        "season": ["tulips", "summer", "winter", "bloom"],
    },
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = demo_parser("bert", __doc__.splitlines()[0])
    parser.add_argument(
        "--steps", type=positive_int, default=7000, help="pretraining steps (default: %(default)s)"
    )
    parser.add_argument(
        "--batch", type=positive_int, default=2, help="sentences per step (default: %(default)s)"
    )
    parser.add_argument("--d-model", type=positive_int, default=16, help="vector size (default: %(default)s)")
    parser.add_argument(
        "--layers", type=positive_int, default=1, help="transformer blocks (default: %(default)s)"
    )
    parser.add_argument(
        "--heads", type=positive_int, default=2, help="attention heads (default: %(default)s)"
    )
    parser.add_argument(
        "--lr", type=positive_float, default=1e-2, help="Adam's step size (default: %(default)s)"
    )
    parser.add_argument(
        "--tie-weights",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the MLM head shares the token embedding table (default: %(default)s)",
    )
    parser.add_argument(
        "--labelled",
        type=positive_int,
        default=6,
        help="labelled sentences per topic for fine-tuning (default: %(default)s)",
    )
    parser.add_argument(
        "--finetune-steps", type=positive_int, default=150, help="fine-tuning steps (default: %(default)s)"
    )
    parser.add_argument(
        "--prompt",
        default=FILL_MASK_EXAMPLES[0],
        help="the sentence model.html looks at, with a [MASK] (default: %(default)r)",
    )
    parser.add_argument(
        "--sentence", help='fill the one [MASK] with the saved model: "the otter swam to the [MASK]"'
    )
    args = parser.parse_args(argv)
    if args.d_model % args.heads:
        parser.error(f"--d-model {args.d_model} must be divisible by --heads {args.heads}")
    if args.sentence is not None:
        if normalise_sentence(args.sentence).count("[MASK]") != 1:
            parser.error(f"--sentence needs exactly one [MASK] among its words, got {args.sentence!r}")
        return fill_user_sentence(args)
    out = setup(args)
    started, started_wall = time.process_time(), time.perf_counter()
    quick = args.quick
    steps = 10 if quick else args.steps
    finetune_steps = 10 if quick else args.finetune_steps
    rng = random.Random(args.seed)

    corpus = sense_corpus(seed=0)
    train_set = corpus.train
    held_out = corpus.held_out[:40] if quick else corpus.held_out
    tokenizer = WordTokenizer.from_sentences(s.words for s in train_set)
    encoded = [tokenizer.encode(s.words) for s in train_set]
    max_len = 2 + max(len(s.words) for s in corpus.train + corpus.held_out)  # [CLS] ... [SEP]
    # The head shares the token table (tie_weights): half the word parameters,
    # and a word is read in and scored out by the same vector.
    config = dict(n_layer=args.layers, d_model=args.d_model, n_head=args.heads, tie_weights=args.tie_weights)
    model = BERT(tokenizer.vocab_size, max_len=max_len, **config)
    print(
        f"corpus: {len(train_set)} training sentences, {len(corpus.held_out)} held out"
        f"{' (40 used)' if quick else ''}; vocabulary {tokenizer.vocab_size} tokens (5 special)"
    )
    print(f"model: BERT({model.extra_repr()}), {model.num_parameters()} parameters")

    senses_before = sense_test(model, tokenizer, train_set, held_out, quick)

    # ---------------------------------------------------------- pretraining
    cpu = time.process_time()
    wall = time.perf_counter()
    snapshots: list[dict] = []  # for the model view: the weights at snapshot_steps(steps)
    history = pretrain(model, tokenizer, encoded, steps, args, rng, snapshots)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    recent = history[-min(len(history), 100) :]
    print(
        f"pretrained {steps} steps x {args.batch} sentences in {cpu:.1f} s CPU ({wall:.1f} s wall; "
        f"{1000 * cpu / steps:.0f} ms CPU a step): MLM loss {history[0]:.3f} -> {sum(recent) / len(recent):.3f}"
    )

    # ------------------------------------------------------- masked words
    mlm_accuracy, unigram_accuracy, n_guesses, commonest = masked_accuracy(
        model, tokenizer, train_set, held_out, args.seed
    )
    print(
        f"held-out masked-word accuracy {mlm_accuracy:.3f} on {n_guesses} hidden words; "
        f"unigram baseline {unigram_accuracy:.3f} (always {commonest!r})"
    )
    print("fill-mask (top 3 with probabilities):")
    for text in FILL_MASK_EXAMPLES:
        guesses = ", ".join(f"{w} {p:.2f}" for w, p in fill_mask(model, tokenizer, text, k=3))
        print(f"  {text:45s} -> {guesses}")

    # Saved before fine-tuning, which changes the encoder's weights.
    paths = save_trained(
        args,
        out,
        model,
        tokenizer,
        snapshots=snapshots,
        data="sense corpus",
        steps=steps,
        mlm_accuracy=mlm_accuracy,
    )

    # ----------------------------------------------------------- the senses
    senses_after = sense_test(model, tokenizer, train_set, held_out, quick)
    print("sense test on held-out sentences: mean cosine of a word's contextual vectors, less their mean")
    print(
        f"  {'word':8s} {'within':>7s} {'across':>7s} {'gap':>6s}   untrained: {'within':>7s} {'across':>7s} {'gap':>6s}   nearest-neighbour sense"
    )
    senses = {}
    for word in SENSES:
        a, b = senses_after[word], senses_before[word]
        gap, gap0 = a["within"] - a["across"], b["within"] - b["across"]
        print(
            f"  {word:8s} {a['within']:7.3f} {a['across']:7.3f} {gap:6.3f}   untrained: {b['within']:7.3f} "
            f"{b['across']:7.3f} {gap0:6.3f}   {a['nn_accuracy']:.2f} (untrained {b['nn_accuracy']:.2f}) of {a['n']}"
        )
        senses[word] = {
            "within_sense": round(a["within"], 4),
            "across_sense": round(a["across"], 4),
            "untrained_within_sense": round(b["within"], 4),
            "untrained_across_sense": round(b["across"], 4),
            "nearest_neighbour_accuracy": round(a["nn_accuracy"], 4),
            "untrained_nearest_neighbour_accuracy": round(b["nn_accuracy"], 4),
        }
    wider = sum(
        senses_after[w]["within"] - senses_after[w]["across"]
        > senses_before[w]["within"] - senses_before[w]["across"]
        for w in SENSES
    )
    print(f"  pretraining widened the gap for {wider} of {len(SENSES)} words")

    # ----------------------------------------------------------- pictures
    w2v = train_word2vec(
        train_set[:300] if quick else train_set, args.d_model, args.seed, epochs=1 if quick else 5
    )
    paths += [
        plot_senses(senses_after, w2v, out),
        plot_attention(model, tokenizer, out),
        plot_loss(history, out),
    ]
    # The view before fine-tuning, which changes the encoder's weights too.
    view, view_figures = write_model_page(args, out, model, tokenizer, args.prompt, encoded, snapshots)
    paths.append(view)

    # --------------------------------------------------------- fine-tuning
    labelled = pick_labelled(train_set, args.labelled, args.seed)
    random.seed(args.seed + 1)
    scratch = BERT(tokenizer.vocab_size, max_len=max_len, **config)
    accuracy = {}
    for name, encoder in (("pretrained", model), ("scratch", scratch)):
        # The mean of the word vectors, not [CLS]: BERT's [CLS] vector is trained by
        # next-sentence prediction, which this pretraining does not do.
        classifier = BERTClassifier(encoder, len(TOPICS), pool="mean")
        finetune(classifier, tokenizer, labelled, finetune_steps, args.lr, random.Random(args.seed))
        accuracy[name] = topic_accuracy(classifier, tokenizer, held_out)
    print(
        f"fine-tuned a topic classifier (Collapse('mean') + Linear, {len(TOPICS)} topics) on {len(labelled)} labelled "
        f"sentences for {finetune_steps} steps: held-out accuracy {accuracy['pretrained']:.3f} from the "
        f"pretrained encoder, {accuracy['scratch']:.3f} from scratch (chance {1 / len(TOPICS):.2f})"
    )

    cpu_seconds, seconds = time.process_time() - started, time.perf_counter() - started_wall
    print(f"total {cpu_seconds:.1f} s CPU ({seconds:.1f} s wall, on a machine shared with other work)")
    paths.append(
        write_results(
            out,
            args,
            seconds,
            mlm_accuracy=round(mlm_accuracy, 4),
            unigram_accuracy=round(unigram_accuracy, 4),
            senses=senses,
            finetune_accuracy_pretrained=round(accuracy["pretrained"], 4),
            finetune_accuracy_scratch=round(accuracy["scratch"], 4),
            cpu_seconds=round(cpu_seconds, 2),
            pretraining_cpu_seconds=round(cpu, 2),
            **view_figures,
        )
    )
    report_outputs(paths)
    return 0


def pretrain(
    model: BERT,
    tokenizer: WordTokenizer,
    encoded,
    steps: int,
    args,
    rng: random.Random,
    snapshots: list[dict] | None = None,
) -> list[float]:
    """Masked-LM pretraining with Adam, `args.batch` sentences a step; the
    losses. Given a `snapshots` list, appends {"step", "state_dict"} at
    each of `snapshot_steps(steps)`."""

    def batch_loss(step: int) -> Value:
        losses = []
        for _ in range(args.batch):
            inputs, labels = mask_tokens(rng.choice(encoded), tokenizer, rng)
            losses.append(model.mlm_loss(inputs, labels))
        return Value.sum(losses) * (1.0 / len(losses))

    optimizer = Adam(model.parameters(), lr=args.lr)
    history = []
    keep = snapshot_steps(steps) if snapshots is not None else []
    if 0 in keep:
        snapshots.append({"step": 0, "state_dict": model.state_dict()})
    bar = progress(train_loop(optimizer, batch_loss, steps), total=steps, desc="bert pretraining")
    for step, loss in bar:
        history.append(loss)
        if step + 1 in keep:
            snapshots.append({"step": step + 1, "state_dict": model.state_dict()})
        bar.set_postfix(loss=f"{recent_loss(history):.3f}")
    return history


QUICK_MODEL_STEPS = 300  # --sentence with no saved model: seconds of pretraining, rough guesses


def fill_user_sentence(args: argparse.Namespace) -> int:
    """--sentence: the saved model's likeliest words for the [MASK] (or a
    quickly pretrained model's, if none is saved)."""
    saved = find_saved(args, Path(args.out), "bert")
    if saved is not None:
        model, tokenizer = saved.model, saved.vocab
    else:
        print(
            f"no saved model in {args.out} (a run of `tinygrad-edu demo bert` saves one): "
            f"pretraining a quick one ({QUICK_MODEL_STEPS} steps)"
        )
        corpus = sense_corpus(seed=0)
        tokenizer = WordTokenizer.from_sentences(s.words for s in corpus.train)
        max_len = 2 + max(len(s.words) for s in corpus.train + corpus.held_out)
        random.seed(args.seed)
        model = BERT(
            tokenizer.vocab_size,
            max_len=max_len,
            n_layer=args.layers,
            d_model=args.d_model,
            n_head=args.heads,
            tie_weights=args.tie_weights,
        )
        encoded = [tokenizer.encode(s.words) for s in corpus.train]
        pretrain(model, tokenizer, encoded, QUICK_MODEL_STEPS, args, random.Random(args.seed))
        print("(a quick model: expect rough guesses)")
    words = normalise_sentence(
        args.sentence
    )  # as fill_mask reads it: the corpus is lowercase, no punctuation
    if len(words) + 2 > model.max_len:
        fail(args, f"--sentence has {len(words)} words; the model reads at most {model.max_len - 2}")
    try:
        guesses = fill_mask(model, tokenizer, " ".join(words), k=5)
    except ValueError as error:  # a word the model never saw
        fail(args, f"--sentence {args.sentence!r}: {error}")
    print(f"{' '.join(words)}")
    for word, p in guesses:
        print(f"  {word:12s} {p:.3f}")
    return 0


# ------------------------------------------------------------ measurements
def masked_accuracy(model, tokenizer, train_set, held_out, seed) -> tuple[float, float, int, str]:
    """Hide the words mask_tokens chooses (all as [MASK]) in each held-out
    sentence and guess them; the baseline always guesses the commonest
    training word."""
    rng = random.Random(seed)
    commonest = Counter(w for s in train_set for w in s.words).most_common(1)[0][0]
    right = baseline = total = 0
    with no_grad():
        for s in held_out:
            ids = tokenizer.encode(s.words)
            _, labels = mask_tokens(ids, tokenizer, rng)
            inputs = [tokenizer.mask if y != IGNORE else i for i, y in zip(ids, labels)]
            logits = model(inputs)
            for t, y in enumerate(labels):
                if y != IGNORE:
                    guess = max(tokenizer.word_ids, key=lambda i: logits[t][i].data)
                    right += guess == y
                    baseline += tokenizer.itos[y] == commonest
                    total += 1
    return right / total, baseline / total, total, commonest


def contextual_vectors(model, tokenizer, sentences: Sequence[LabelledSentence], word: str):
    """(sense, the encoder's vector at `word`) for each sentence holding it."""
    found = []
    with no_grad():
        for s in sentences:
            if s.word == word:
                ids = tokenizer.encode(s.words)
                hidden = model.encode(ids)
                found.append((s.sense, [v.data for v in hidden[1 + s.words.index(word)]]))
    return found


def sense_test(model, tokenizer, train_set, held_out, quick: bool) -> dict:
    """Per ambiguous word: mean cosine of its centred vectors within a sense
    and across senses (on held-out sentences), and nearest-neighbour sense accuracy (held-out
    occurrences against up to 20 training occurrences per sense)."""
    results = {}
    for word, senses in SENSES.items():
        vectors = contextual_vectors(model, tokenizer, held_out, word)
        within, across = [], []
        for (sa, va), (sb, vb) in combinations(centred(vectors), 2):
            (within if sa == sb else across).append(cosine_similarity(va, vb))
        references = []
        for sense in senses:
            chosen = [s for s in train_set if s.word == word and s.sense == sense][: 4 if quick else 20]
            references += contextual_vectors(model, tokenizer, chosen, word)
        right = sum(
            max(references, key=lambda ref: cosine_similarity(ref[1], v))[0] == sense for sense, v in vectors
        )
        results[word] = {
            "within": _mean(within),
            "across": _mean(across),
            "nn_accuracy": right / max(1, len(vectors)),
            "n": len(vectors),
            "vectors": vectors,
        }
    return results


def centred(vectors: list[tuple[str, list[float]]]) -> list[tuple[str, list[float]]]:
    """Each vector minus the mean of all of them (both senses together).

    Every occurrence of a word shares a large part of its vector, the word's
    own embedding above all. That shared part pushes every cosine towards 1
    and squeezes the within/across gap to a few hundredths, where a few
    sentences more or less change its sign (cosines of uncentred vectors are
    dominated by a few shared directions: Timkey and van Schijndel 2021,
    "All bark and no bite"). Taking it away leaves what the context added,
    and the cosine compares that. The untrained and the trained vectors are
    centred alike, each on its own mean, over the same sentences. With few
    vectors the centred cosines lean negative (n centred vectors sum to
    zero), for both models the same."""
    if not vectors:
        return vectors
    mean = [sum(column) / len(vectors) for column in zip(*(v for _, v in vectors))]
    return [(sense, [x - m for x, m in zip(v, mean)]) for sense, v in vectors]


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


# ------------------------------------------------------------- fine-tuning
def pick_labelled(train_set, per_topic: int, seed: int) -> list[LabelledSentence]:
    """`per_topic` training sentences of each topic: the small labelled set."""
    rng = random.Random(seed)
    labelled = []
    for topic in TOPICS:
        labelled += rng.sample([s for s in train_set if s.topic == topic], per_topic)
    return labelled


def finetune(classifier, tokenizer, labelled, steps: int, lr: float, rng: random.Random) -> None:
    data = [(tokenizer.encode(s.words), TOPICS.index(s.topic)) for s in labelled]
    optimizer = Adam(classifier.parameters(), lr=lr)

    def batch_loss(step: int) -> Value:
        ids, label = rng.choice(data)
        return classifier.loss(ids, label)

    for _ in progress(train_loop(optimizer, batch_loss, steps), total=steps, desc="fine-tuning"):
        pass


def topic_accuracy(classifier, tokenizer, sentences) -> float:
    with no_grad():
        right = sum(classifier.predict(tokenizer.encode(s.words)) == TOPICS.index(s.topic) for s in sentences)
    return right / len(sentences)


def train_word2vec(train_set, dim: int, seed: int, epochs: int) -> word2vec.Word2Vec:
    sentences = [list(s.words) for s in train_set]
    model = word2vec.Word2Vec.from_sentences(sentences, dim=dim, rng=random.Random(seed))
    for _ in word2vec.train(model, sentences, epochs=epochs, window=3, rng=random.Random(seed)):
        pass
    return model


# ---------------------------------------------------------------- pictures
def plot_senses(senses_after: dict, w2v, out: Path) -> Path:
    """Top row: each ambiguous word's contextual vectors (PCA), coloured by
    sense. Bottom row: word2vec's one vector for the word, among the words
    of each sense (PCA of those word vectors)."""
    plt = pyplot()
    words = list(SENSES)
    fig, axes = plt.subplots(2, len(words), figsize=(3.2 * len(words), 6.2))
    colours = ["tab:blue", "tab:orange"]
    for col, word in enumerate(words):
        ax = axes[0][col]
        vectors = senses_after[word]["vectors"]
        if len(vectors) >= 2:
            points = pca_2d([v for _, v in vectors])
            for sense, colour in zip(SENSES[word], colours):
                xy = [p for (s, _), p in zip(vectors, points) if s == sense]
                if xy:
                    ax.scatter(*zip(*xy), s=14, color=colour, label=sense, alpha=0.8)
        ax.set_title(f'BERT: "{word}" in {len(vectors)} sentences', fontsize=9)
        ax.legend(fontsize=7)
        ax = axes[1][col]
        groups = SENSE_WORDS[word]
        shown = [w for ws in groups.values() for w in ws if w in w2v] + [word]
        points = dict(zip(shown, pca_2d([w2v.vector(w) for w in shown])))
        for ws, colour in zip(groups.values(), colours):
            for w in ws:
                if w in points:
                    ax.scatter(*points[w], s=14, color=colour)
        ax.scatter(*points[word], s=90, marker="*", color="black")
        ax.margins(0.15)  # room for the labels inside the panel
        label_points(ax, points, fontsize=7, bold=[word])  # apart, not piled up
        ax.set_title(f'word2vec: one vector for "{word}"', fontsize=9)
        for a in (axes[0][col], ax):
            a.set_xticks([])
            a.set_yticks([])
    fig.suptitle("contextual vectors (top: one point per sentence) vs a static one (bottom)", fontsize=10)
    return save_figure(fig, out / "senses.png", dpi=110)[0]


def plot_attention(model, tokenizer, out: Path) -> Path:
    """Every head of every block on one sentence: no masked future, each
    word reads from both sides."""
    ids = tokenizer.encode(ATTENTION_SENTENCE)
    with no_grad():
        model.encode(ids)
    tokens = [tokenizer.itos[i] for i in ids]
    maps = [
        (b, h, m) for b, block in enumerate(model.blocks) for h, m in enumerate(block.attn.last_attention)
    ]
    plt = pyplot()
    cols = model.n_head
    rows = len(model.blocks)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 4.2 * rows), squeeze=False)
    for b, h, weights in maps:
        ax = axes[b][h]
        ax.imshow(weights, cmap="Blues", vmin=0.0, vmax=max(max(row) for row in weights))
        ax.set_xticks(range(len(tokens)), tokens, rotation=90, fontsize=9)
        ax.set_yticks(range(len(tokens)), tokens, fontsize=9)
        ax.set_title(f"block {b}, head {h}", fontsize=10)
    fig.suptitle(
        "bidirectional attention: row = a word, columns = where it reads from\n"
        "(both sides; darkest = the head's largest weight)",
        fontsize=10,
    )
    return save_figure(fig, out / "attention.png", dpi=110)[0]


def plot_loss(history: Sequence[float], out: Path) -> Path:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.4))
    window = 50
    smooth = running_mean(history, window)
    ax.plot(history, color="tab:blue", alpha=0.2, linewidth=0.5)
    ax.plot(smooth, color="tab:blue", label=f"mean of last {window} steps")
    ax.set_xlabel("step")
    ax.set_ylabel("masked-LM cross-entropy (nats)")
    ax.set_title("BERT pretraining")
    ax.legend(fontsize=8)
    return save_figure(fig, out / "loss.svg")[0]
