"""A toy translator learns French -> English, with attention and without.

    tinygrad-edu demo translate [--quick] [--out DIR] [--steps N] [--beam K]
    tinygrad-edu demo translate --sentence "la maison bleue"

The corpus comes from a tiny grammar (tinygrad_edu/data_translation.py):
"la maison bleue" -> "the blue house", "le petit chat noir mange la souris
grise" -> "the little black cat eats the grey mouse". French adjectives
mostly follow the noun, English ones precede it, so the translation has to
*cross* the word order: the place where attention shows what it does.

Two models, trained with teacher forcing and Adam: a GRU encoder-decoder
with Luong (dot) cross-attention, and the original Seq2Seq, whose decoder
sees the source only through the encoder's last state. Both translate the
held-out sentences (each with a noun-adjective combination never seen in
training), greedily and with beam search, and the longer held-out sentences
(longer than any training sentence). Prints exact-match accuracy and corpus
BLEU, some translations (wrong ones included), draws three attention maps and
the accuracy against sentence length, and saves the attention model in the
output folder as one file (model.json: weights, sizes and both
vocabularies; a --quick run never replaces a full run's).

`--sentence` translates your own sentence with the model saved in the output
folder (or, if there is none, a quickly trained one).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from tinygrad_edu import Value, no_grad
from tinygrad_edu.datasets.text import normalise_sentence
from tinygrad_edu.datasets.translation import ADJECTIVES, english_vocabulary, french_vocabulary, make_corpus
from tinygrad_edu.models.translate import Seq2Seq, Vocab, corpus_bleu
from tinygrad_edu.optim import Adam

from .common import (
    demo_parser,
    fail,
    find_saved,
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

SIZES = {"embedding_dim": 16, "hidden_size": 16}
FULL = {"n_train": 3000, "n_test": 200, "n_long": 100, "steps": 1200, "baseline_steps": 600, "batch": 4}
QUICK = {"n_train": 200, "n_test": 20, "n_long": 10, "steps": 12, "baseline_steps": 6, "batch": 4}
LR = 0.01
# --sentence refuses more words than this: translating takes time in the
# square of the length (900 words took 86 s), and the toy model was trained
# on sentences of at most make_corpus's max_train_words (7) words.
MAX_SENTENCE_WORDS = 40


def vocabularies() -> tuple[Vocab, Vocab]:
    """Every word the grammar can write, so a saved model's ids never change."""
    return Vocab(french_vocabulary()), Vocab(english_vocabulary())


def train(
    model: Seq2Seq, pairs: Sequence[tuple[list[int], list[int]]], steps: int, batch: int, rng, desc: str
):
    """Teacher forcing, Adam, the shared loop; returns the losses."""
    optimizer = Adam(model.parameters(), lr=LR)

    def batch_loss(step: int) -> Value:
        chosen = rng.sample(pairs, batch)
        return Value.sum([model.loss(src, tgt) for src, tgt in chosen]) * (1.0 / batch)

    history = []
    bar = progress(train_loop(optimizer, batch_loss, steps, clip=5.0), total=steps, desc=desc)
    for _, loss in bar:
        history.append(loss)
        bar.set_postfix(loss=f"{sum(history[-50:]) / len(history[-50:]):.3f}")
    return history


def translate_all(model: Seq2Seq, pairs, tgt: Vocab, beam: int) -> list[str]:
    return [tgt.decode(model.translate(src, beam_size=beam, max_len=len(src) + 4)) for src, _ in pairs]


def exact(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    return sum(h == r for h, r in zip(hypotheses, references)) / len(references)


def main(argv: Sequence[str] | None = None) -> int:
    parser = demo_parser("translate", __doc__.splitlines()[0])
    parser.add_argument(
        "--steps",
        type=positive_int,
        default=None,
        help=f"training steps of the attention model (default: {FULL['steps']})",
    )
    parser.add_argument(
        "--beam", type=positive_int, default=4, help="beam size for beam search (default: %(default)s)"
    )
    parser.add_argument(
        "--sentence", default=None, help='translate this French sentence, e.g. "la maison bleue"'
    )
    args = parser.parse_args(argv)
    if args.sentence is not None:
        return translate_sentence(args)
    out = setup(args)
    config = dict(QUICK if args.quick else FULL)
    if args.steps is not None:
        config["steps"] = args.steps
        config["baseline_steps"] = max(1, args.steps // 2)
    start_cpu, start_wall = time.process_time(), time.perf_counter()
    src_vocab, tgt_vocab = vocabularies()
    corpus = make_corpus(
        seed=args.seed, n_train=config["n_train"], n_test=config["n_test"], n_long=config["n_long"]
    )
    encode = lambda pairs: [(src_vocab.encode(f), tgt_vocab.encode(e)) for f, e in pairs]  # noqa: E731
    train_pairs, test_pairs, long_pairs = encode(corpus.train), encode(corpus.test), encode(corpus.test_long)
    print(
        f"corpus: {len(train_pairs)} training pairs (up to {corpus.max_train_words} words), "
        f"{len(test_pairs)} held-out pairs in that range, each with a noun-adjective pair never seen in training "
        f"({len(corpus.held_out_pairs)} such pairs held out), {len(long_pairs)} longer held-out pairs; "
        f"vocabularies {src_vocab.size} French, {tgt_vocab.size} English tokens"
    )
    rng = random.Random(args.seed)
    models = {}
    for name, attention, steps in (
        ("attention", "dot", config["steps"]),
        ("baseline", None, config["baseline_steps"]),
    ):
        model = Seq2Seq(src_vocab.size, tgt_vocab.size, **SIZES, attention=attention)
        cpu = time.process_time()
        history = train(model, train_pairs, steps, config["batch"], rng, desc=name)
        cpu = time.process_time() - cpu
        print(
            f"{name}: {model!r}\n  {steps} steps of {config['batch']} sentences in {cpu:.0f} s CPU "
            f"({1000 * cpu / steps:.0f} ms a step); final loss {sum(history[-50:]) / len(history[-50:]):.3f}"
        )
        models[name] = model

    refs = [e for _, e in corpus.test]
    long_refs = [e for _, e in corpus.test_long]
    with no_grad():
        attn, base = models["attention"], models["baseline"]
        greedy = translate_all(attn, test_pairs, tgt_vocab, 1)
        beam = translate_all(attn, test_pairs, tgt_vocab, args.beam)
        greedy_long = translate_all(attn, long_pairs, tgt_vocab, 1)
        baseline = translate_all(base, test_pairs, tgt_vocab, 1)
        baseline_long = translate_all(base, long_pairs, tgt_vocab, 1)
    figures = {
        "exact_match": exact(greedy, refs),
        "beam_exact_match": exact(beam, refs),
        "exact_match_long": exact(greedy_long, long_refs),
        "baseline_exact_match": exact(baseline, refs),
        "bleu": corpus_bleu(refs, greedy),
    }
    printed = figures | {
        "beam_bleu": corpus_bleu(refs, beam),
        "baseline_bleu": corpus_bleu(refs, baseline),
        "baseline_exact_match_long": exact(baseline_long, long_refs),
    }
    print_results(printed, args.beam, len(refs), len(long_refs))
    print_examples(corpus.test, greedy, baseline)

    paths = [plot_alignments(attn, corpus.test, greedy, src_vocab, tgt_vocab, out)]
    paths.append(
        plot_by_length(
            corpus.test + corpus.test_long,
            greedy + greedy_long,
            baseline + baseline_long,
            corpus.max_train_words,
            out,
        )
    )
    paths += save_trained(
        args,
        out,
        attn,
        (src_vocab, tgt_vocab),
        data="toy grammar",
        steps=config["steps"],
        max_train_words=corpus.max_train_words,
        **figures,
    )
    cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
    print(f"took {cpu:.0f} s of CPU time ({wall:.0f} s by the wall clock, on a machine shared with others)")
    model_name = (
        f"GRU encoder-decoder (bidirectional encoder) with dot (Luong) attention, "
        f"embedding {SIZES['embedding_dim']}, hidden {SIZES['hidden_size']}"
    )
    rounded = {k: round(v, 2) if k == "bleu" else round(v, 4) for k, v in figures.items()}
    paths.append(write_results(out, args, wall, **rounded, model=model_name, cpu_seconds=round(cpu, 1)))
    report_outputs(paths)
    return 0


def print_results(figures: dict, beam: int, n: int, n_long: int) -> None:
    print(
        f"\nheld-out sentences in the training length range ({n}, each with an unseen noun-adjective pair):"
    )
    print(f"  {'':24} {'exact match':>12} {'BLEU':>7}")
    print(f"  {'attention, greedy':24} {figures['exact_match']:12.1%} {figures['bleu']:7.1f}")
    print(f"  {f'attention, beam {beam}':24} {figures['beam_exact_match']:12.1%} {figures['beam_bleu']:7.1f}")
    print(
        f"  {'no attention, greedy':24} {figures['baseline_exact_match']:12.1%} {figures['baseline_bleu']:7.1f}"
    )
    print(
        f"longer held-out sentences ({n_long}, longer than any training sentence; no target, shown honestly): "
        f"attention {figures['exact_match_long']:.1%}, no attention {figures['baseline_exact_match_long']:.1%}"
    )


def print_examples(pairs, greedy: Sequence[str], baseline: Sequence[str], k: int = 4) -> None:
    right = [i for i, (h, (_, e)) in enumerate(zip(greedy, pairs)) if h == e]
    wrong = [i for i, (h, (_, e)) in enumerate(zip(greedy, pairs)) if h != e]
    for title, chosen in (("translated right", right[:k]), ("translated wrong", wrong[:k])):
        if not chosen:
            continue
        print(f"\nexamples {title} by the attention model:")
        for i in chosen:
            french, english = pairs[i]
            print(
                f"  {french}\n    reference:    {english}\n    attention:    {greedy[i]}\n    no attention: {baseline[i]}"
            )


def pick_crossings(pairs, greedy: Sequence[str], n: int = 3) -> list[int]:
    """Up to n right translations whose adjective moves ("maison bleue" ->
    "blue house"), the shortest first; wrong ones fill up if there are too few."""
    post = {form for adj in ADJECTIVES if not adj[5] for form in adj[:4]}
    crossing = [i for i, (f, _) in enumerate(pairs) if post & set(f.split())]
    right = sorted((i for i in crossing if greedy[i] == pairs[i][1]), key=lambda i: len(pairs[i][0].split()))
    chosen = right[:1] + [i for i in right[1:] if len(pairs[i][0].split()) >= 5][: n - 1]
    others = [i for i in crossing + list(range(len(pairs))) if i not in chosen and greedy[i]]
    return list(dict.fromkeys(chosen + others))[:n]  # (an empty translation has no map to draw)


def plot_alignments(model: Seq2Seq, pairs, greedy, src_vocab: Vocab, tgt_vocab: Vocab, out: Path) -> Path:
    """Heat maps: row = English word written, column = French word read."""
    plt = pyplot()
    chosen = pick_crossings(pairs, greedy)
    widths = [len(pairs[i][0].split()) for i in chosen]
    fig, axes = plt.subplots(
        1,
        len(chosen),
        figsize=(sum(widths) * 0.55 + 2.5, 3.4),
        layout="constrained",
        gridspec_kw={"width_ratios": widths},
    )
    image = None
    for ax, i in zip(list(axes) if len(chosen) > 1 else [axes], chosen):
        french, _ = pairs[i]
        english = greedy[i].split()
        weights = model.alignment(src_vocab.encode(french), tgt_vocab.encode(greedy[i]))
        image = ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0)
        ax.set_xticks(range(len(french.split())), french.split(), rotation=60, fontsize=8)
        ax.set_yticks(range(len(english) + 1), english + ["<eos>"], fontsize=8)
    fig.colorbar(image, ax=list(axes), shrink=0.8, label="attention weight")
    fig.suptitle(
        "where the decoder looks: English word written (rows) vs French word read (columns)", fontsize=9
    )
    return save_figure(fig, out / "attention_alignment.svg")[0]


def plot_by_length(
    pairs, attention: Sequence[str], baseline: Sequence[str], max_train_words: int, out: Path
) -> Path:
    plt = pyplot()
    lengths = sorted({len(f.split()) for f, _ in pairs})
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    for label, hyps, style in (("with attention", attention, "o-"), ("no attention", baseline, "s--")):
        accuracy = []
        for n in lengths:
            idx = [i for i, (f, _) in enumerate(pairs) if len(f.split()) == n]
            accuracy.append(sum(hyps[i] == pairs[i][1] for i in idx) / len(idx))
        ax.plot(lengths, accuracy, style, label=label)
    ax.axvline(max_train_words + 0.5, color="grey", linestyle=":", label="longest training sentence")
    ax.set_xlabel("French sentence length (words)")
    ax.set_ylabel("held-out exact match (greedy)")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title("exact match against sentence length")
    ax.legend(fontsize=8)
    return save_figure(fig, out / "accuracy_by_length.svg")[0]


def translate_sentence(args: argparse.Namespace) -> int:
    """--sentence: load the saved model (or train a quick one) and translate."""
    saved = find_saved(args, Path(args.out), "translate")
    src_vocab, tgt_vocab = vocabularies() if saved is None else saved.vocab
    words = normalise_sentence(args.sentence)  # as every demo reads a typed sentence: "bleue." is "bleue"
    unknown = [w for w in dict.fromkeys(words) if w not in src_vocab.stoi or w.startswith("<")]
    if not words or unknown:
        what = (
            f"unknown word{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}"
            if unknown
            else "no words"
        )
        fail(
            args,
            f"--sentence {args.sentence!r}: {what}; the model knows {src_vocab.size - 2} French words "
            "(the toy grammar's, in tinygrad_edu/datasets/translation.py), for example: la maison bleue",
        )
    if len(words) > MAX_SENTENCE_WORDS:
        fail(
            args,
            f"--sentence has {len(words)} words; at most {MAX_SENTENCE_WORDS} are translated (the time grows "
            "with the square of the length, and the model learnt from sentences of a few words)",
        )
    # How long the training sentences were: in the saved file, else make_corpus's default.
    longest = saved.meta.get("max_train_words") if saved is not None else None
    longest = longest or make_corpus(n_train=1, n_test=0, n_long=0).max_train_words
    if len(words) > longest:
        print(
            f"warning: {len(words)} words, longer than any training sentence ({longest} words): "
            "expect words to be dropped or repeated",
            file=sys.stderr,
        )
    ids = src_vocab.encode(" ".join(words))
    if saved is not None:
        model = saved.model
    else:
        steps = 200
        print(
            f"no saved model in {args.out}: training a quick one ({steps} steps); "
            "its translations will be rough. Run `tinygrad-edu demo translate` once for a good model."
        )
        random.seed(args.seed)
        model = Seq2Seq(src_vocab.size, tgt_vocab.size, **SIZES, attention="dot")
        corpus = make_corpus(seed=args.seed, n_train=1000, n_test=0, n_long=0)
        pairs = [(src_vocab.encode(f), tgt_vocab.encode(e)) for f, e in corpus.train]
        train(model, pairs, steps, 4, random.Random(args.seed), desc="quick model")
    with no_grad():
        greedy = tgt_vocab.decode(model.translate(ids, max_len=len(ids) + 4))
        beam = tgt_vocab.decode(model.translate(ids, beam_size=args.beam, max_len=len(ids) + 4))
    print(f"{args.sentence}\n  greedy:      {greedy}\n  beam ({args.beam}):    {beam}")
    if greedy:
        weights = model.alignment(ids, tgt_vocab.encode(greedy))
        print("  where each English word looked:")
        for word, row in zip(greedy.split(), weights):
            best = max(range(len(row)), key=row.__getitem__)
            print(f"    {word:>10} <- {words[best]} ({row[best]:.0%})")
    return 0
