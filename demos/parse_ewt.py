"""`demo parse --data ewt`: the parser on real English, the UD English Web Treebank.

    tinygrad-edu demo parse --data ewt [--quick] [--out DIR]
    tinygrad-edu demo parse --data ewt --sentence "I don't think it's raining."
    tinygrad-edu demo parse --data ewt --eval FILE.conllu

The treebank's dev file (2,001 sentences of blogs, email, reviews, answers)
is the training material: a seeded tenth of it is held out for validation
(early stopping: the weights of the best validation UAS are kept), the rest
trains a POS tagger (tinygrad_edu/models/tagger.py) and the parser. Words are
lowercased, words seen once are [UNK], relations keep their subtypes
(``nmod:poss``: 49 relations, 99 moves), and the non-projective training
trees, which arc-standard cannot build, are skipped. Everything is scored on
the test file (2,077 sentences, every tree, every word): UAS and LAS with
gold tags and with the tagger's, with and without punctuation, per relation,
by arc length, against three baselines that learn nothing, and beside the
projective upper bound.

A run saves the parser and its tagger in the output folder (one model.json);
``--sentence`` tokenises raw text as the treebank does, tags it and parses
it; ``--eval`` scores any CoNLL-U file with that model.
"""

from __future__ import annotations

import argparse
import gzip
import random
import time
from collections.abc import Sequence
from pathlib import Path

from tinygrad_edu.datasets.ewt import ATTRIBUTION, load_ewt, tokenize_like_ewt
from tinygrad_edu.datasets.treebank import Sentence, parse_conllu, split_treebank
from tinygrad_edu.models.parse_scores import (
    baseline_scores,
    projective_upper_bound,
    relation_scores,
    score_parses,
    scores_by_distance,
)
from tinygrad_edu.models.parser import Parser, Vocabulary, batch_loss, training_examples
from tinygrad_edu.models.tagger import (
    MostFrequentTagger,
    TaggerVocabulary,
    WindowTagger,
    tag_accuracy,
    tagger_batch_loss,
    tagger_examples,
)
from tinygrad_edu.optim import Adam

from .common import fail, find_saved, progress, report_outputs, save_trained, train_loop, write_results

# Settings chosen on the validation split (never on the test file).
DEFAULTS = {"steps": 3000, "batch": 64, "hidden": 32, "lr": 0.01}
WORD_DIM, TAG_DIM = 8, 4
TAGGER_STEPS, TAGGER_BATCH = 2500, 32
MIN_COUNT = 2  # a word seen once in training is [UNK]
VALIDATION = 0.1  # the fraction of the dev file held out for early stopping
EVALUATIONS = 6  # validation checks during training (the best weights are kept)
MAX_WORDS = 100  # the longest sentence --sentence parses (the test file's longest: 81 tokens)
QUICK = {"train": 150, "validation": 30, "test": 100, "steps": 40, "tagger_steps": 40}


def for_parser(sentence: Sentence, tags: Sequence[str] | None = None) -> Sentence:
    """The sentence as the parser reads it: words lowercased, with `tags`
    (the tagger's) in place of the file's if given."""
    return Sentence(
        [w.lower() for w in sentence.words],
        list(sentence.tags if tags is None else tags),
        sentence.heads,
        sentence.labels,
    )


# ------------------------------------------------------------------ training
def train_tagger(train: list[Sentence], validation: list[Sentence], args, rng) -> WindowTagger:
    """The window tagger, trained on `train`; prints its accuracy on `validation`."""
    steps = QUICK["tagger_steps"] if args.quick else TAGGER_STEPS
    vocab = TaggerVocabulary.from_sentences(train, min_count=MIN_COUNT)
    tagger = WindowTagger(vocab)
    examples = tagger_examples(vocab, train)
    optimizer = Adam(tagger.parameters(), lr=0.01)
    bar = progress(
        train_loop(
            optimizer, lambda step: tagger_batch_loss(tagger, rng.sample(examples, TAGGER_BATCH)), steps
        ),
        total=steps,
        desc="tagger",
    )
    for _ in bar:
        pass
    accuracy = tag_accuracy(validation, [tagger.tag(s.words) for s in validation])
    print(
        f"tagger: {tagger.extra_repr()}, {tagger.num_parameters()} parameters, {steps} steps of "
        f"{TAGGER_BATCH} words; validation tag accuracy {accuracy:.1%}"
    )
    return tagger


def train_ewt_parser(train: list[Sentence], validation: list[Sentence], args, rng) -> tuple[Parser, dict]:
    """The parser, trained on `train` (lowercased, gold tags) with Adam and a
    learning rate falling to zero; every steps/EVALUATIONS steps its UAS on
    `validation` is measured and the best weights are kept."""
    steps = QUICK["steps"] if args.quick else args.steps
    train, validation = [for_parser(s) for s in train], [for_parser(s) for s in validation]
    vocab = Vocabulary.from_sentences(train, min_count=MIN_COUNT)
    model = Parser(
        vocab,
        word_dim=WORD_DIM,
        tag_dim=TAG_DIM,
        label_dim=TAG_DIM,
        hidden=args.hidden,
        activation=args.activation,
    )
    examples, skipped = training_examples(model, train, rng=rng)
    print(
        f"parser: {model.extra_repr()}, {model.num_parameters()} parameters; "
        f"{len(train) - len(skipped)} training trees ({len(examples)} moves), {steps} steps of {args.batch}"
    )
    print(
        f"skipped {len(skipped)} non-projective training trees (arc-standard cannot build them; "
        "the test file's are all scored)"
    )
    optimizer = Adam(model.parameters(), lr=args.lr)
    every = max(1, steps // EVALUATIONS)
    best = {"uas": -1.0, "step": 0, "state": None}
    history = []
    bar = progress(
        train_loop(optimizer, lambda step: batch_loss(model, rng.sample(examples, args.batch)), steps),
        total=steps,
        desc="parser",
    )
    for step, loss in bar:
        history.append(loss)
        if (step + 1) % every == 0 or step + 1 == steps:
            uas = score_parses(validation, [model.parse(s) for s in validation])["uas"]
            bar.set_postfix(loss=f"{sum(history[-100:]) / len(history[-100:]):.3f}", val_uas=f"{uas:.3f}")
            print(
                f"  step {step + 1}: loss {sum(history[-every:]) / len(history[-every:]):.3f}, validation UAS {uas:.1%}"
            )
            if uas > best["uas"]:
                best = {"uas": uas, "step": step + 1, "state": model.state_dict()}
    model.load_state_dict(best["state"])
    print(f"kept the weights of step {best['step']} (validation UAS {best['uas']:.1%})")
    return model, {"skipped": len(skipped), "validation_uas": best["uas"], "best_step": best["step"]}


# ---------------------------------------------------------------- reporting
def parse_all(
    model: Parser, sentences: list[Sentence], tags: list[list[str]] | None = None
) -> list[Sentence]:
    """`model`'s trees of `sentences` (read with their gold tags, or `tags`)."""
    return [model.parse(for_parser(s, None if tags is None else tags[k])) for k, s in enumerate(sentences)]


def report_scores(gold: list[Sentence], by_gold_tags: list[Sentence], by_predicted: list[Sentence]) -> dict:
    """Print the attachment scores every way the field reports them; return the headline ones."""
    gold = [for_parser(s) for s in gold]
    scores = score_parses(gold, by_gold_tags)
    no_punct = score_parses(gold, by_gold_tags, punct=False)
    predicted = score_parses(gold, by_predicted)
    predicted_no_punct = score_parses(gold, by_predicted, punct=False)
    print(f"{'':36} {'UAS':>6} {'LAS':>6}   {'UAS':>6} {'LAS':>6} (without punctuation)")
    for name, every, some in (
        ("gold tags", scores, no_punct),
        ("the tagger's tags", predicted, predicted_no_punct),
    ):
        print(f"  {name:34} {every['uas']:6.1%} {every['las']:6.1%}   {some['uas']:6.1%} {some['las']:6.1%}")
    print(
        f"  {'gap (gold - tagger)':34} {scores['uas'] - predicted['uas']:6.1%} "
        f"{scores['las'] - predicted['las']:6.1%}"
    )
    return {
        "uas": scores["uas"],
        "las": scores["las"],
        "uas_no_punct": no_punct["uas"],
        "las_no_punct": no_punct["las"],
        "uas_predicted_tags": predicted["uas"],
        "las_predicted_tags": predicted["las"],
    }


def report_errors(gold: list[Sentence], predicted: list[Sentence]) -> dict:
    """Per relation and by arc length (gold tags): where the parser fails."""
    gold = [for_parser(s) for s in gold]
    print("by gold relation (the 12 most frequent), gold tags:")
    print(f"  {'relation':14} {'words':>6} {'UAS':>6} {'LAS':>6}")
    relations = relation_scores(gold, predicted, top=12)
    for label, n, uas, las in relations:
        print(f"  {label:14} {n:6d} {uas:6.1%} {las:6.1%}")
    print("by distance to the gold head (words; ROOT's dependents left out):")
    distances = scores_by_distance(gold, predicted)
    print("  " + "   ".join(f"{name}: {uas:.1%} of {n}" for name, n, uas in distances))
    return {
        "relations": {
            label: {"words": n, "uas": round(u, 4), "las": round(las, 4)} for label, n, u, las in relations
        },
        "uas_by_distance": {name: round(uas, 4) for name, _, uas in distances},
    }


def pick_example(gold: list[Sentence], predicted: list[Sentence]) -> int:
    """The first test sentence of 10 to 16 words with 1 to 3 wrong heads: a
    picture of the errors real text brings, small enough to read."""
    for k, (g, p) in enumerate(zip(gold, predicted)):
        wrong = sum(a != b for a, b in zip(g.heads, p.heads))
        if 10 <= len(g) <= 16 and 1 <= wrong <= 3:
            return k
    return 0


def draw_example(gold: Sentence, predicted: Sentence, k: int, out: Path) -> list[Path]:
    import viz

    gold = for_parser(gold, predicted.tags)
    return [
        viz.render(viz.draw_tree(gold, title=f"gold: EWT test sentence {k + 1}"), out / "ewt_gold_tree.svg"),
        viz.render(
            viz.draw_tree(predicted, gold=gold, title=f"predicted: EWT test sentence {k + 1}"),
            out / "ewt_predicted_tree.svg",
        ),
    ]


# --------------------------------------------------------------------- main
def run(args: argparse.Namespace, out: Path, save) -> int:
    """Train the tagger and the parser on the dev file, score them on the test file."""
    start, wall_start = time.process_time(), time.perf_counter()
    rng = random.Random(args.seed)
    dev, test = load_ewt("dev"), load_ewt("test")
    print(f"data: {ATTRIBUTION}")
    train, validation = split_treebank(dev, held_out=VALIDATION, seed=args.seed)
    if args.quick:
        train, validation, test = (
            train[: QUICK["train"]],
            validation[: QUICK["validation"]],
            test[: QUICK["test"]],
        )
    print(
        f"{len(train)} training and {len(validation)} validation sentences (the dev file), "
        f"{len(test)} test sentences ({sum(map(len, test))} words)"
    )
    baseline_tagger = MostFrequentTagger.from_sentences(train)
    tagger = train_tagger(train, validation, args, rng)
    parser, info = train_ewt_parser(train, validation, args, rng)
    trained = time.process_time() - start

    predicted_tags = [tagger.tag(s.words) for s in test]
    accuracy = tag_accuracy(test, predicted_tags)
    baseline_accuracy = tag_accuracy(test, [baseline_tagger.tag(s.words) for s in test])
    print(f"\ntest tag accuracy: window tagger {accuracy:.1%}, most frequent tag {baseline_accuracy:.1%}")
    by_gold_tags = parse_all(parser, test)
    by_predicted = parse_all(parser, test, predicted_tags)
    print(f"test ({len(test)} sentences, every tree, every word):")
    scores = report_scores(test, by_gold_tags, by_predicted)
    baselines = baseline_scores(test)
    bound = projective_upper_bound(test)
    print(
        "baselines (UAS, nothing learnt): "
        + ", ".join(f"every word's head is the {name} {score:.1%}" for name, score in baselines.items())
    )
    non_projective = sum(not s.is_projective() for s in test)
    print(
        f"projective upper bound: {bound:.2%} ({non_projective} test trees are non-projective; "
        "their crossing arcs lifted)"
    )
    errors = report_errors(test, by_gold_tags)

    k = pick_example(test, by_gold_tags)
    paths = draw_example(test[k], by_gold_tags[k], k, out)
    paths += save(
        args,
        out,
        parser,
        tagger,
        train_sentences=len(train),
        steps=info["best_step"],
        validation_uas=round(info["validation_uas"], 4),
        test_uas=round(scores["uas"], 4),
    )
    total, wall = time.process_time() - start, time.perf_counter() - wall_start
    results = {name: round(score, 4) for name, score in scores.items()}
    paths.append(
        write_results(
            out,
            args,
            wall,
            data="ewt",
            **results,
            tag_accuracy=round(accuracy, 4),
            tag_accuracy_most_frequent=round(baseline_accuracy, 4),
            baseline_uas=round(max(baselines.values()), 4),
            baselines={name: round(score, 4) for name, score in baselines.items()},
            projective_upper_bound=round(bound, 4),
            validation_uas=round(info["validation_uas"], 4),
            train_sentences=len(train),
            validation_sentences=len(validation),
            test_sentences=len(test),
            skipped_nonprojective=info["skipped"],
            **errors,
            cpu_seconds=round(total, 2),
            cpu_seconds_training=round(trained, 2),
        )
    )
    print(f"CPU time: {trained:.1f} s training, {total:.1f} s in all ({wall:.1f} s of wall time)")
    report_outputs(paths)
    return 0


# ------------------------------------------------------------ --sentence
def sentence_tokens(args: argparse.Namespace) -> list[str]:
    """--sentence split as the treebank splits text; exit code 2 if it is empty or too long."""
    words = tokenize_like_ewt(args.sentence)
    if not words:
        fail(args, f"--sentence needs at least one word, got {args.sentence!r}")
    if len(words) > MAX_WORDS:
        fail(
            args,
            f"--sentence takes at most {MAX_WORDS} tokens, got {len(words)}; split the text into sentences",
        )
    return words


def parse_raw(out: Path, words: list[str], parser: Parser, tagger: WindowTagger) -> int:
    """Tag and parse the user's tokens; print and draw the tree."""
    tags = tagger.tag(words)
    print(f"tokens (split as the treebank does): {' '.join(words)}")
    print(f"tags (the window tagger): {' '.join(f'{w}/{t}' for w, t in zip(words, tags))}")
    unknown = [w for w in words if w.lower() not in parser.vocab.word_ids]
    if unknown:
        print(f"words the parser has not seen (it reads them as [UNK]): {', '.join(unknown)}")
    tree = parser.parse(Sentence([w.lower() for w in words], tags))
    print("the tree (head -relation-> word):")
    for head, dependent, label in tree.arcs():
        print(f"  {'ROOT' if head == 0 else words[head - 1]} -{label}-> {words[dependent - 1]}")
    import viz

    path = viz.render(viz.draw_tree(tree, title=f"predicted: {' '.join(words)}"), out / "sentence_tree.svg")
    report_outputs([path])
    return 0


# ----------------------------------------------------------------- --eval
def read_eval_file(args: argparse.Namespace) -> list[Sentence]:
    """The sentences of --eval's CoNLL-U file (gzipped if it ends in .gz), each with a gold tree."""
    path = Path(args.eval)
    try:
        raw = path.read_bytes()
        text = (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8")
        sentences = parse_conllu(text, source=str(path))
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        fail(args, f"cannot read {str(path)!r}: {error}")
    except UnicodeDecodeError:
        fail(args, f"{str(path)!r} is not UTF-8 text (CoNLL-U is)")
    except ValueError as error:  # a bad line: parse_conllu names the file and the line
        fail(args, str(error))
    if not sentences:
        fail(args, f"{str(path)!r} holds no sentences")
    missing = [k for k, s in enumerate(sentences, start=1) if s.heads is None]
    if missing:
        fail(
            args,
            f"{str(path)!r}: sentence {missing[0]} has no gold tree (HEAD and DEPREL are _); nothing to score",
        )
    return sentences


def evaluate_file(args: argparse.Namespace, out: Path, parser: Parser, tagger: WindowTagger) -> int:
    """Score the saved model on --eval's file, with its gold tags and with the tagger's."""
    start, wall_start = time.process_time(), time.perf_counter()
    sentences = read_eval_file(args)
    print(f"{args.eval}: {len(sentences)} sentences, {sum(map(len, sentences))} words")
    predicted_tags = [tagger.tag(s.words) for s in sentences]
    accuracy = tag_accuracy(sentences, predicted_tags)
    print(f"tag accuracy (the window tagger against the file's tags): {accuracy:.1%}")
    scores = report_scores(
        sentences, parse_all(parser, sentences), parse_all(parser, sentences, predicted_tags)
    )
    path = write_results(
        out,
        args,
        time.perf_counter() - wall_start,
        data="ewt",
        eval_file=str(args.eval),
        **{name: round(score, 4) for name, score in scores.items()},
        tag_accuracy=round(accuracy, 4),
        eval_sentences=len(sentences),
        cpu_seconds=round(time.process_time() - start, 2),
    )
    report_outputs([path])
    return 0


# ------------------------------------------------------------ saved model
def main(args: argparse.Namespace, out: Path) -> int:
    """`demo parse --data ewt`: train and score, or use the saved model for --sentence / --eval."""
    if args.sentence is None and args.eval is None:
        return run(args, out, save_system)
    if args.sentence is not None:
        words = sentence_tokens(args)
        return parse_raw(out, words, *load_system(args, out))
    return evaluate_file(args, out, *load_system(args, out))


def save_system(
    args: argparse.Namespace, out: Path, parser: Parser, tagger: WindowTagger, **meta
) -> list[Path]:
    """The parser in out/model.json, its tagger in the same file (meta "tagger"):
    one file, so a tagger can never be paired with another run's parser."""
    return save_trained(args, out, parser, data="ewt", lowercase=True, tagger=tagger.to_dict(), **meta)


def load_system(args: argparse.Namespace, out: Path) -> tuple[Parser, WindowTagger]:
    """The parser and tagger a `--data ewt` run saved in `out`; exit code 2
    with a message if there is none, or the file holds something else."""
    saved = find_saved(args, out, "parser")
    if saved is None:
        fail(
            args,
            f"no saved model in {out}: run `tinygrad-edu demo parse --data ewt` first (about 6 minutes of CPU)",
        )
    if saved.meta.get("data") != "ewt":
        fail(
            args,
            f"the model in {out} was trained on {saved.meta.get('data')!r} data, not on the English Web Treebank; "
            "run `tinygrad-edu demo parse --data ewt` first, or give --out the folder it wrote",
        )
    try:
        tagger = WindowTagger.from_dict(saved.meta.get("tagger"))
    except ValueError as error:
        fail(args, f"the model in {out} has no usable tagger: {error}")
    return saved.model, tagger
