"""A translator learns French -> English: a toy grammar, and real sentences.

    tinygrad-edu demo translate [--quick] [--out DIR] [--steps N] [--beam K]
    tinygrad-edu demo translate --seeds 1337,1,2,3,4 [--validation]
    tinygrad-edu demo translate --data tatoeba [--quick] [--trainer engine|torch]
    tinygrad-edu demo translate [--data tatoeba] --sentence "la maison bleue"

`--data toy` (the default): the corpus comes from a tiny grammar
(tinygrad_edu/datasets/translation.py): "la maison bleue" -> "the blue
house", "le petit chat noir mange la souris grise" -> "the little black cat
eats the grey mouse". French adjectives mostly follow the noun, English ones
precede it, so the translation has to *cross* the word order: the place
where attention shows what it does.

Three models, trained with teacher forcing and Adam: a GRU encoder-decoder
with Luong (dot) cross-attention whose context also carries the attended
French words' own vectors (``lexical``), the original Seq2Seq (whose decoder sees
the source only through the encoder's last state), and an encoder-decoder
Transformer of about the same size. All translate the held-out sentences
(each with a noun-adjective combination never seen in training) and the
longer held-out sentences (longer than any training sentence). Prints exact
match and corpus BLEU, some translations (wrong ones included), draws
attention maps of both attention models and the accuracy against sentence
length, and saves the GRU with attention in the output folder as one file
(model.json: weights, sizes and both vocabularies; a --quick run never
replaces a full run's).

`--seeds` trains the GRU with attention at each seed and reports the spread;
`--validation` scores on a validation split of the training sentences
instead of the held-out ones (where the settings were chosen).

`--data tatoeba`: real sentences (demos/translate_tatoeba.py); `--trainer
torch` has the models' PyTorch twins train them, longer than the scalar
engine can, and brings the weights back.

`--sentence` translates your own sentence with the model saved in the output
folder of that `--data` (or, if there is none, a quickly trained one).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from tinygrad_edu import Value, no_grad
from tinygrad_edu.datasets.text import normalise_sentence
from tinygrad_edu.datasets.translation import (
    ADJECTIVES,
    english_vocabulary,
    english_word_class,
    french_vocabulary,
    make_corpus,
    validation_split,
)
from tinygrad_edu.models.transformer_translate import TransformerTranslator
from tinygrad_edu.models.translate import Seq2Seq, Translator, Vocab, corpus_bleu
from tinygrad_edu.optim import Adam

from .common import (
    demo_parser,
    fail,
    find_saved,
    positive_int,
    progress,
    pyplot,
    recent_loss,
    report_outputs,
    save_figure,
    save_trained,
    setup,
    train_loop,
    write_results,
)

SIZES = {"embedding_dim": 16, "hidden_size": 16}  # the GRUs
# The GRU with attention: dot scoring, and the attended French words' own
# vectors in its context (`lexical`, chosen on validation: it stops a noun
# after an adjective it never met from coming out as another noun).
ATTENTION = {"attention": "dot", "lexical": True}
TRANSFORMER_SIZES = {"d_model": 16, "n_head": 2, "d_ff": 48}  # about the GRU's parameter count
FULL = {
    "n_train": 3000,
    "n_test": 200,
    "n_long": 100,
    "steps": 900,  # 1,000 scored half a point higher on validation; the CPU budget needs the 10% less
    "baseline_steps": 100,
    "transformer_steps": 1200,
    "transformer_warmup": 100,  # steps of rising learning rate (chosen on validation, as the rest)
    "batch": 8,
    "transformer_batch": 4,
}
QUICK = {
    "n_train": 200,
    "n_test": 20,
    "n_long": 10,
    "steps": 12,
    "baseline_steps": 6,
    "transformer_steps": 12,
    "transformer_warmup": 1,
    "batch": 4,
    "transformer_batch": 4,
}
# --steps N sets the attention GRU's steps; these follow in the defaults' proportion.
SCALED_WITH_STEPS = ("baseline_steps", "transformer_steps", "transformer_warmup")
LR = 0.01
TRANSFORMER_LR = 0.01
DEFAULT_SEEDS = "1337,1,2,3,4"
# --sentence refuses more words than this: translating takes time in the
# square of the length (900 words took 86 s), and the toy model was trained
# on sentences of at most make_corpus's max_train_words (7) words.
MAX_SENTENCE_WORDS = 40


def vocabularies() -> tuple[Vocab, Vocab]:
    """Every word the grammar can write, so a saved model's ids never change."""
    return Vocab(french_vocabulary()), Vocab(english_vocabulary())


def train(
    model: Translator,
    pairs: Sequence[tuple[list[int], list[int]]],
    steps: int,
    batch: int,
    rng,
    desc: str,
    lr: float = LR,
    warmup: int = 0,
) -> list[float]:
    """Teacher forcing, Adam, the shared loop (`warmup` steps of rising
    learning rate first, if asked); returns the losses."""
    optimizer = Adam(model.parameters(), lr=lr)

    def batch_loss(step: int) -> Value:
        chosen = rng.sample(pairs, batch)
        return Value.sum([model.loss(src, tgt) for src, tgt in chosen]) * (1.0 / batch)

    history = []
    bar = progress(train_loop(optimizer, batch_loss, steps, warmup=warmup, clip=5.0), total=steps, desc=desc)
    for _, loss in bar:
        history.append(loss)
        bar.set_postfix(loss=f"{recent_loss(history):.3f}")
    return history


class Training(NamedTuple):
    """How one model of a demo is trained: `steps` steps of `batch` sentences,
    Adam at `lr`, the first `warmup` steps with a rising learning rate."""

    name: str
    model: Translator
    steps: int
    batch: int
    lr: float
    warmup: int = 0


def train_models(
    plan: Sequence[Training], pairs, rng, trainer=train
) -> tuple[dict[str, Translator], dict[str, float]]:
    """Train each model of `plan` in turn, one rng for all, saying how long
    each took; returns the models and their CPU seconds. `trainer` is
    `train` (the default) or another loop with its arguments."""
    models, cpus = {}, {}
    for name, model, steps, batch, lr, warmup in plan:
        cpu = time.process_time()
        history = trainer(model, pairs, steps, batch, rng, desc=name, lr=lr, warmup=warmup)
        cpus[name] = time.process_time() - cpu
        size = batch if trainer is train else f"up to {batch}"  # another loop may batch by shape
        print(
            f"{name}: {model!r}\n  {steps} steps of {size} sentences in {cpus[name]:.0f} s CPU "
            f"({1000 * cpus[name] / steps:.0f} ms a step); final loss {recent_loss(history):.3f}"
        )
        models[name] = model
    return models, cpus


def translate_all(model: Translator, pairs, tgt: Vocab, beam: int) -> list[str]:
    return [tgt.decode(model.translate(src, beam_size=beam, max_len=len(src) + 4)) for src, _ in pairs]


def exact(hypotheses: Sequence[str], references: Sequence[str]) -> float:
    return sum(h == r for h, r in zip(hypotheses, references)) / len(references)


def miss_kind(reference: str, hypothesis: str) -> str:
    """What went wrong in a toy translation, in a few words: 'dropped
    adjective' (one word missing), 'wrong noun' (one word replaced), 'word
    order' (the right words, moved), or 'other'.

        >>> miss_kind("the pretty blue girls", "the pretty girls"), miss_kind("the pretty mice", "the pretty doors")
        ('dropped adjective', 'wrong noun')
    """
    ref, hyp = reference.split(), hypothesis.split()
    if len(hyp) == len(ref) - 1:
        for i, word in enumerate(ref):
            if ref[:i] + ref[i + 1 :] == hyp:
                return f"dropped {english_word_class(word)}"
    if len(hyp) == len(ref):
        wrong = [r for r, h in zip(ref, hyp) if r != h]
        if len(wrong) == 1:
            return f"wrong {english_word_class(wrong[0])}"
        if sorted(ref) == sorted(hyp):
            return "word order"
    return "other"


def count_misses(references: Sequence[str], hypotheses: Sequence[str]) -> str:
    """The kinds of miss, most common first: '5 dropped adjective, 2 other'."""
    kinds: dict[str, int] = {}
    for reference, hypothesis in zip(references, hypotheses):
        if reference != hypothesis:
            kind = miss_kind(reference, hypothesis)
            kinds[kind] = kinds.get(kind, 0) + 1
    return ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1])) or "none"


def seed_list(text: str) -> list[int]:
    """An argparse type: comma-separated whole numbers (seeds), like 1337,1,2."""
    try:
        seeds = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected whole numbers separated by commas, got {text!r}"
        ) from None
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"each seed once, got {text!r}")
    return seeds


def main(argv: Sequence[str] | None = None) -> int:
    parser = demo_parser("translate", __doc__.splitlines()[0])
    parser.set_defaults(out=None)  # each data set has its own folder (below)
    parser.add_argument(
        "--data",
        choices=("toy", "tatoeba"),
        default="toy",
        help="the toy grammar, or real French sentences from Tatoeba (default: %(default)s)",
    )
    parser.add_argument(
        "--steps",
        type=positive_int,
        default=None,
        help=f"training steps of the attention model (default: {FULL['steps']} on the toy data)",
    )
    parser.add_argument(
        "--beam", type=positive_int, default=4, help="beam size for beam search (default: %(default)s)"
    )
    parser.add_argument(
        "--seeds",
        type=seed_list,
        nargs="?",
        const=seed_list(DEFAULT_SEEDS),
        default=None,
        help=f"toy data: train the attention model at each of these seeds and report the spread "
        f"(default when given alone: {DEFAULT_SEEDS})",
    )
    parser.add_argument(
        "--validation",
        action="store_true",
        help="score on a validation split of the training sentences, not the held-out ones",
    )
    parser.add_argument(
        "--trainer",
        choices=("engine", "torch"),
        default="engine",
        help="tatoeba data: who trains the models, this library's scalar engine or their PyTorch twins "
        "(128 wide, 40 passes over the data; needs torch) (default: %(default)s)",
    )
    parser.add_argument(
        "--sentence", default=None, help='translate this French sentence, e.g. "la maison bleue"'
    )
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = default_output(args.data)
    if args.data != "tatoeba" and args.trainer != "engine":
        parser.error("--trainer is for the real data (--data tatoeba)")
    if args.data == "tatoeba":
        if args.seeds is not None:
            parser.error("--seeds is for the toy data (--data toy)")
        from .translate_tatoeba import run_tatoeba, translate_tatoeba_sentence

        return translate_tatoeba_sentence(args) if args.sentence is not None else run_tatoeba(args)
    if args.sentence is not None:
        return translate_sentence(args)
    out = setup(args)
    config = dict(QUICK if args.quick else FULL)
    if args.steps is not None:
        config["steps"] = args.steps
        for other in SCALED_WITH_STEPS:
            config[other] = max(1, round(args.steps * FULL[other] / FULL["steps"]))
    if args.seeds is not None:
        return run_seeds(args, out, config)
    return run_toy(args, out, config)


def default_output(data: str) -> str:
    from .common import DEFAULT_OUTPUT_ROOT

    return str(Path(DEFAULT_OUTPUT_ROOT) / ("translate" if data == "toy" else f"translate-{data}"))


def toy_data(args: argparse.Namespace, config: dict, seed: int):
    """(corpus, training pairs, scored pairs, long pairs), the pairs as ids;
    with --validation the scored ones come from the training sentences."""
    src_vocab, tgt_vocab = vocabularies()
    corpus = make_corpus(
        seed=seed, n_train=config["n_train"], n_test=config["n_test"], n_long=config["n_long"]
    )
    train_text, scored_text = corpus.train, corpus.test
    if args.validation:
        train_text, valid = validation_split(corpus.train, seed=seed)
        scored_text = valid[: config["n_test"]]
    encode = lambda pairs: [(src_vocab.encode(f), tgt_vocab.encode(e)) for f, e in pairs]  # noqa: E731
    return corpus, train_text, scored_text, encode(train_text), encode(scored_text), encode(corpus.test_long)


def run_seeds(args: argparse.Namespace, out: Path, config: dict) -> int:
    """--seeds: the GRU with attention at each seed; greedy exact match each time."""
    start_cpu, start_wall = time.process_time(), time.perf_counter()
    _, tgt_vocab = vocabularies()
    where = "validation sentences (from the training set)" if args.validation else "held-out sentences"
    scores = []
    for seed in args.seeds:
        random.seed(seed)
        _, _, scored_text, train_pairs, scored_pairs, _ = toy_data(args, config, seed)
        model = Seq2Seq(*(v.size for v in vocabularies()), **SIZES, **ATTENTION)
        train(model, train_pairs, config["steps"], config["batch"], random.Random(seed), desc=f"seed {seed}")
        with no_grad():
            greedy = translate_all(model, scored_pairs, tgt_vocab, 1)
        refs = [e for _, e in scored_text]
        scores.append(exact(greedy, refs))
        print(
            f"seed {seed:>5}: {scores[-1]:.1%} greedy exact match on {len(scored_pairs)} {where}; "
            f"misses: {count_misses(refs, greedy)}"
        )
    mean = sum(scores) / len(scores)
    print(f"over {len(scores)} seeds: mean {mean:.1%}, min {min(scores):.1%}, max {max(scores):.1%}")
    cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
    print(f"took {cpu:.0f} s of CPU time ({wall:.0f} s by the wall clock)")
    path = write_results(
        out,
        args,
        wall,
        data="toy",
        scored_on="validation" if args.validation else "test",
        seeds=args.seeds,
        exact_match_by_seed=[round(x, 4) for x in scores],
        exact_match_mean=round(mean, 4),
        exact_match_min=round(min(scores), 4),
        steps=config["steps"],
        cpu_seconds=round(cpu, 1),
    )
    report_outputs([path])
    return 0


def run_toy(args: argparse.Namespace, out: Path, config: dict) -> int:
    start_cpu, start_wall = time.process_time(), time.perf_counter()
    src_vocab, tgt_vocab = vocabularies()
    corpus, _, scored_text, train_pairs, test_pairs, long_pairs = toy_data(args, config, args.seed)
    print(
        f"corpus: {len(train_pairs)} training pairs (up to {corpus.max_train_words} words), "
        f"{len(test_pairs)} {'validation' if args.validation else 'held-out'} pairs in that range, each with a "
        f"noun-adjective pair never seen in training ({len(corpus.held_out_pairs)} such pairs held out), "
        f"{len(long_pairs)} longer held-out pairs; vocabularies {src_vocab.size} French, {tgt_vocab.size} English tokens"
    )
    sizes = (src_vocab.size, tgt_vocab.size)
    models, cpus = train_models(
        [
            Training(
                "attention", Seq2Seq(*sizes, **SIZES, **ATTENTION), config["steps"], config["batch"], LR
            ),
            Training(
                "baseline",
                Seq2Seq(*sizes, **SIZES, attention=None),
                config["baseline_steps"],
                config["batch"],
                LR,
            ),
            Training(
                "transformer",
                TransformerTranslator(*sizes, **TRANSFORMER_SIZES),
                config["transformer_steps"],
                config["transformer_batch"],
                TRANSFORMER_LR,
                config["transformer_warmup"],
            ),
        ],
        train_pairs,
        random.Random(args.seed),
    )

    refs = [e for _, e in scored_text]
    long_refs = [e for _, e in corpus.test_long]
    greedy, long = {}, {}
    with no_grad():
        for name, model in models.items():
            greedy[name] = translate_all(model, test_pairs, tgt_vocab, 1)
            long[name] = translate_all(model, long_pairs, tgt_vocab, 1)
        beam = translate_all(models["attention"], test_pairs, tgt_vocab, args.beam)
    figures = {
        "exact_match": exact(greedy["attention"], refs),
        "beam_exact_match": exact(beam, refs),
        "exact_match_long": exact(long["attention"], long_refs),
        "baseline_exact_match": exact(greedy["baseline"], refs),
        "bleu": corpus_bleu(refs, greedy["attention"]),
        "transformer_exact_match": exact(greedy["transformer"], refs),
        "transformer_bleu": corpus_bleu(refs, greedy["transformer"]),
        "transformer_exact_match_long": exact(long["transformer"], long_refs),
    }
    table = [
        ("GRU + attention, greedy", "attention", greedy["attention"]),
        (f"GRU + attention, beam {args.beam}", "attention", beam),
        ("GRU, no attention", "baseline", greedy["baseline"]),
        ("Transformer, greedy", "transformer", greedy["transformer"]),
    ]
    print_results(table, models, cpus, refs, long, long_refs, args.validation)
    print_examples(scored_text, greedy)

    paths = [
        plot_alignments(
            models["attention"],
            scored_text,
            greedy["attention"],
            src_vocab,
            tgt_vocab,
            out / "attention_alignment.svg",
            "GRU",
        ),
        plot_alignments(
            models["transformer"],
            scored_text,
            greedy["transformer"],
            src_vocab,
            tgt_vocab,
            out / "transformer_alignment.svg",
            "Transformer",
        ),
    ]
    paths.append(
        plot_by_length(
            scored_text + corpus.test_long,
            {LABELS[name]: greedy[name] + long[name] for name in models},
            corpus.max_train_words,
            out,
        )
    )
    if not args.validation:  # a model trained on less data never replaces the run's own
        paths += save_trained(
            args,
            out,
            models["attention"],
            (src_vocab, tgt_vocab),
            data="toy grammar",
            steps=config["steps"],
            max_train_words=corpus.max_train_words,
            **figures,
        )
    cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
    print(f"took {cpu:.0f} s of CPU time ({wall:.0f} s by the wall clock, on a machine shared with others)")
    model_name = (
        f"GRU encoder-decoder (bidirectional encoder) with dot (Luong) attention that also reads the "
        f"attended words' vectors (lexical), embedding {SIZES['embedding_dim']}, hidden {SIZES['hidden_size']}"
    )
    rounded = {k: round(v, 2) if k.endswith("bleu") else round(v, 4) for k, v in figures.items()}
    paths.append(
        write_results(
            out,
            args,
            wall,
            data="toy",
            scored_on="validation" if args.validation else "test",
            **rounded,
            transformer_parameters=models["transformer"].num_parameters(),
            parameters=models["attention"].num_parameters(),
            transformer_cpu_seconds=round(cpus["transformer"], 1),
            model=model_name,
            cpu_seconds=round(cpu, 1),
        )
    )
    report_outputs(paths)
    return 0


LABELS = {"attention": "GRU + attention", "baseline": "GRU, no attention", "transformer": "Transformer"}


def print_results(table, models, cpus, refs, long, long_refs, validation: bool) -> None:
    where = "validation sentences (from the training set)" if validation else "held-out sentences"
    print(f"\n{len(refs)} {where} in the training length range, each with an unseen noun-adjective pair:")
    print(f"  {'':26} {'parameters':>10} {'CPU s':>6} {'exact match':>12} {'BLEU':>6}")
    for label, name, hyps in table:
        print(
            f"  {label:26} {models[name].num_parameters():>10,} {cpus[name]:>6.0f} "
            f"{exact(hyps, refs):>12.1%} {corpus_bleu(refs, hyps):>6.1f}"
        )
    for label, name, hyps in table:
        if name != "baseline":
            print(f"  misses of {label}: {count_misses(refs, hyps)}")
    print(
        f"{len(long_refs)} longer held-out sentences (longer than any training sentence), greedy exact match: "
        + ", ".join(f"{LABELS[name]} {exact(hyps, long_refs):.1%}" for name, hyps in long.items())
    )


def print_examples(pairs, greedy: dict[str, Sequence[str]], k: int = 4) -> None:
    attention = greedy["attention"]
    right = [i for i, (h, (_, e)) in enumerate(zip(attention, pairs)) if h == e]
    wrong = [i for i, (h, (_, e)) in enumerate(zip(attention, pairs)) if h != e]
    for title, chosen in (("translated right", right[:k]), ("translated wrong", wrong[:k])):
        if not chosen:
            continue
        print(f"\nexamples {title} by the GRU with attention:")
        for i in chosen:
            french, english = pairs[i]
            print(f"  {french}\n    {'reference:':20} {english}")
            for name, hyps in greedy.items():
                print(f"    {LABELS[name] + ':':20} {hyps[i]}")


def pick_crossings(pairs, greedy: Sequence[str], n: int = 3) -> list[int]:
    """Up to n right translations whose adjective moves ("maison bleue" ->
    "blue house"), the shortest first; wrong ones fill up if there are too few."""
    post = {form for adj in ADJECTIVES if not adj[5] for form in adj[:4]}
    crossing = [i for i, (f, _) in enumerate(pairs) if post & set(f.split())]
    right = sorted((i for i in crossing if greedy[i] == pairs[i][1]), key=lambda i: len(pairs[i][0].split()))
    chosen = right[:1] + [i for i in right[1:] if len(pairs[i][0].split()) >= 5][: n - 1]
    others = [i for i in crossing + list(range(len(pairs))) if i not in chosen and greedy[i]]
    return list(dict.fromkeys(chosen + others))[:n]  # (an empty translation has no map to draw)


def plot_alignments(
    model: Translator, pairs, greedy, src_vocab: Vocab, tgt_vocab: Vocab, path: Path, who: str
) -> Path:
    """Heat maps: row = English word written, column = French word read."""
    plt = pyplot()
    chosen = pick_crossings(pairs, greedy)
    if not chosen:  # an untrained model (--quick) may end every translation at once
        fig, ax = plt.subplots(figsize=(6.0, 1.2))
        ax.axis("off")
        ax.text(0.5, 0.5, f"the {who} wrote no word for any sentence: no attention map to draw", ha="center")
        return save_figure(fig, path)[0]
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
        f"where the {who} decoder looks: English word written (rows) vs French word read (columns)",
        fontsize=9,
    )
    return save_figure(fig, path)[0]


def plot_by_length(pairs, hypotheses: dict[str, Sequence[str]], max_train_words: int, out: Path) -> Path:
    """Greedy exact match of each model against the French sentence's length."""
    plt = pyplot()
    lengths = sorted({len(f.split()) for f, _ in pairs})
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    for (label, hyps), style in zip(hypotheses.items(), ("o-", "s--", "^-.")):
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
        model = Seq2Seq(src_vocab.size, tgt_vocab.size, **SIZES, **ATTENTION)
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
