"""A neural dependency parser (Chen & Manning 2014) learns a small treebank.

    tinygrad-edu demo parse [--quick] [--out DIR] [--sentences N] [--steps N]
    tinygrad-edu demo parse --sentence "the cat sat on the mat"
    tinygrad-edu demo parse --data ewt [--quick] [--sentence TEXT | --eval FILE.conllu]

``--data ewt`` trains and scores on real English instead (demos/parse_ewt.py);
this file is the generated treebank's demo, ``--data toy``, the default.

Generates a treebank from the grammar in tinygrad_edu/datasets/treebank.py (seeded;
a fifth of it held out), trains the arc-standard parser of
tinygrad_edu/models/parser.py on the oracle's moves (Adam, mini-batches of
configurations), and reports unlabelled and labelled attachment scores (UAS,
LAS) on the held-out sentences and on the hand-written ones, against the
better of two baselines that attach every word to its next or to its
previous word. Then it parses one sentence step by step (stack, buffer, the
move, its probability, the arc drawn) and draws its tree.

Every run saves the parser in the output folder, as one file (model.json:
the weights, the settings and the vocabulary together; a --quick run never
replaces a full run's); ``--sentence`` parses your words with that model,
or, if there is none, trains a quick one first and says so.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from tinygrad_edu.datasets.text import normalise_sentence
from tinygrad_edu.datasets.treebank import (
    LABELS,
    Sentence,
    generate_treebank,
    load_handwritten,
    split_treebank,
)
from tinygrad_edu.models.parser import (
    Parser,
    Vocabulary,
    attachment_scores,
    baseline_uas,
    batch_loss,
    tag_words,
    training_examples,
)
from tinygrad_edu.optim import Adam

from . import parse_ewt
from .common import (
    DEFAULT_OUTPUT_ROOT,
    demo_parser,
    find_saved,
    positive_float,
    positive_int,
    progress,
    recent_loss,
    report_outputs,
    save_trained,
    setup,
    train_loop,
    write_results,
)

DATA = ("toy", "ewt")
OUTPUT_FOLDERS = {"toy": "parse", "ewt": "parse-ewt"}  # in tinygrad-edu-output/
DEFAULTS = {
    "toy": {"steps": 1200, "batch": 32},
    "ewt": {"steps": parse_ewt.DEFAULTS["steps"], "batch": parse_ewt.DEFAULTS["batch"]},
}
SHOWN = "she saw the man with a telescope"  # the sentence parsed step by step


def main(argv: Sequence[str] | None = None) -> int:
    parser = demo_parser("parse", __doc__.splitlines()[0])
    parser.set_defaults(out=None)  # each data set has its own folder (OUTPUT_FOLDERS)
    out_option = next(action for action in parser._actions if action.dest == "out")
    out_option.help = (
        f"folder for the pictures, results.json and model.json (default: {DEFAULT_OUTPUT_ROOT}/parse, "
        f"or {DEFAULT_OUTPUT_ROOT}/parse-ewt with --data ewt)"
    )
    parser.add_argument(
        "--data",
        choices=DATA,
        default="toy",
        help="toy: the generated grammar of datasets/treebank.py (the default: a minute, and the lesson's "
        "telescope sentence step by step); ewt: real English, the UD English Web Treebank (6-8 minutes of CPU)",
    )
    parser.add_argument(
        "--sentences", type=positive_int, default=4000, help="toy treebank size (default: %(default)s)"
    )
    parser.add_argument("--steps", type=positive_int, help="training steps (default: 1200 toy, 3000 ewt)")
    parser.add_argument(
        "--batch", type=positive_int, help="configurations per step (default: 32 toy, 64 ewt)"
    )
    parser.add_argument("--hidden", type=positive_int, default=32, help="hidden units (default: %(default)s)")
    parser.add_argument(
        "--lr", type=positive_float, default=0.01, help="Adam's step size (default: %(default)s)"
    )
    parser.add_argument(
        "--activation", choices=Parser.ACTIVATIONS, default="relu", help="hidden layer (default: %(default)s)"
    )
    parser.add_argument("--sentence", help='parse these words with the saved model: "the cat sat on the mat"')
    parser.add_argument(
        "--eval",
        metavar="FILE",
        help="--data ewt: score the saved model on a CoNLL-U file (.conllu or .conllu.gz)",
    )
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = os.path.join(DEFAULT_OUTPUT_ROOT, OUTPUT_FOLDERS[args.data])
    for name, value in DEFAULTS[args.data].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.eval is not None and args.data != "ewt":
        parser.error("--eval scores the model trained on real text: give --data ewt")
    if args.eval is not None and args.sentence is not None:
        parser.error("give --sentence or --eval, not both")
    if args.data == "ewt":
        return parse_ewt.main(args, setup(args))
    if args.sentence is not None and not words_of(args.sentence):
        parser.error(f"--sentence needs at least one word, got {args.sentence!r}")
    out = setup(args)
    if args.sentence is not None:
        return parse_user_sentence(args, out)

    start, wall_start = time.process_time(), time.perf_counter()
    model, train, held_out, steps = train_parser(args)
    seconds = time.process_time() - start
    predicted = [model.parse(s) for s in held_out]
    uas, las = attachment_scores(held_out, predicted)
    baseline, side = baseline_uas(held_out)
    hand = load_handwritten()
    hand_uas, hand_las = attachment_scores(hand, [model.parse(s) for s in hand])
    print(f"held-out ({len(held_out)} sentences): UAS {uas:.1%}, LAS {las:.1%}")
    print(f"baseline (every word's head is its {side} word): UAS {baseline:.1%}")
    print_errors(held_out, predicted)
    print(
        f"hand-written ({len(hand)} sentences, data/handwritten.conllu): UAS {hand_uas:.1%}, LAS {hand_las:.1%}"
    )

    shown = next(s for s in hand if str(s) == SHOWN)
    print(f"\nparsing {str(shown)!r} step by step:")
    tree = show_steps(model, shown)
    title = f"predicted: {shown}"
    paths = [draw(tree, out / "parse_tree.svg", title, gold=shown)]
    paths += save_trained(
        args,
        out,
        model,
        data="generated treebank",
        sentences=len(train),
        steps=steps,
        handwritten_uas=hand_uas,
    )
    total, wall = time.process_time() - start, time.perf_counter() - wall_start
    scores = {
        "uas": uas,
        "las": las,
        "baseline_uas": baseline,
        "handwritten_uas": hand_uas,
        "handwritten_las": hand_las,
    }
    results = {name: round(score, 4) for name, score in scores.items()}
    # `seconds` is wall time, as in every demo; CPU time is what other jobs on the machine do not inflate.
    paths.append(
        write_results(
            out,
            args,
            wall,
            **results,
            cpu_seconds=round(total, 2),
            train_sentences=len(train),
            held_out=len(held_out),
        )
    )
    print(
        f"CPU time: {seconds:.1f} s training, {total:.1f} s in all "
        f"({wall:.1f} s of wall time, more when other jobs share the machine)"
    )
    report_outputs(paths)
    return 0


# ------------------------------------------------------------------ training
def train_parser(args: argparse.Namespace, quick: bool | None = None) -> tuple[Parser, list, list, int]:
    """Generate the treebank, train a parser on it; returns (model, training, held-out, steps)."""
    quick = args.quick if quick is None else quick
    n_sentences, steps, batch = (150, 40, 16) if quick else (args.sentences, args.steps, args.batch)
    treebank = generate_treebank(max(n_sentences, 10), seed=args.seed)
    train, held_out = split_treebank(treebank, held_out=0.2, seed=args.seed)
    vocab = Vocabulary.from_sentences(train)
    model = Parser(vocab, hidden=args.hidden, activation=args.activation)
    rng = random.Random(args.seed)
    examples, skipped = training_examples(model, train, unk_rate=0.02, rng=rng)
    print(
        f"treebank: {len(treebank)} generated sentences, {len(train)} for training ({len(examples)} moves), "
        f"{len(held_out)} held out; {len(vocab.words) - 3} words, {len(LABELS)} labels"
    )
    if skipped:
        print(f"skipped {len(skipped)} non-projective training trees (arc-standard cannot build them)")
    else:
        print("every training tree is projective: the oracle rebuilds each one")
    print(f"model: {model.extra_repr()}, {model.num_parameters()} parameters; {steps} steps of {batch} moves")

    def loss_of(step: int):
        return batch_loss(model, rng.sample(examples, min(batch, len(examples))))

    history = []
    bar = progress(
        train_loop(Adam(model.parameters(), lr=args.lr), loss_of, steps), total=steps, desc="parse"
    )
    for _, loss in bar:
        history.append(loss)
        bar.set_postfix(loss=f"{recent_loss(history):.3f}")
    print(
        f"loss per move: {history[0]:.3f} at the start, {recent_loss(history):.3f} "
        f"over the last {min(50, len(history))} steps"
    )
    return model, train, held_out, steps


# ------------------------------------------------------------------- parsing
def print_errors(gold: Sequence[Sentence], predicted: Sequence[Sentence]) -> None:
    """Which words get a wrong head, by their gold label: where parsing is hard.

    For prepositions, also how many of the wrong ones head a phrase whose
    noun is more than two words further on: when the preposition is b1, the
    word that decides (telescope or hat) is beyond b3, out of the features."""
    seen, wrong = Counter(), Counter()
    hidden = 0
    for g, p in zip(gold, predicted):
        for word, (label, gold_head, head) in enumerate(zip(g.labels, g.heads, p.heads), start=1):
            seen[label] += 1
            if head != gold_head:
                wrong[label] += 1
                nouns = [d for h, d, lab in g.arcs() if h == word and lab == "pobj"]
                hidden += label == "prep" and bool(nouns) and nouns[0] - word > 2
    if not wrong:
        print("held-out words with a wrong head: none")
        return
    parts = [f"{label} {n} of {seen[label]}" for label, n in wrong.most_common()]
    print(f"held-out words with a wrong head, by their gold label: {', '.join(parts)}")
    if wrong["prep"]:
        print(
            f"  {hidden} of the {wrong['prep']} wrong prepositions head a phrase whose noun is beyond b3 "
            '("with a big telescope"): out of sight of the features when the attachment is decided'
        )


def show_steps(model: Parser, sentence: Sentence) -> Sentence:
    """Print each step of the greedy parse; return the parsed sentence."""
    print(f"  {'stack':<30} {'buffer':<30} {'move':<17} {'p':>5}  arc")
    for step in model.parse_steps(sentence):
        stack = ("... " if len(step.stack) > 3 else "") + " ".join(step.stack[-3:])
        buffer = " ".join(step.buffer[:3]) + (" ..." if len(step.buffer) > 3 else "")
        arc = f"{step.arc[0]} -{step.arc[2]}-> {step.arc[1]}" if step.arc else ""
        print(
            f"  {'[' + stack + ']':<30} {'[' + buffer + ']':<30} {step.move!s:<17} {step.probability:5.2f}  {arc}"
        )
    return model.parse(sentence)


def words_of(text: str) -> list[str]:
    """The words of a typed sentence, read as every demo reads one
    (`normalise_sentence`: lowercase, no punctuation; the treebank has none)."""
    return normalise_sentence(text)


def parse_user_sentence(args: argparse.Namespace, out: Path) -> int:
    saved = find_saved(args, out, "parser")
    if saved is not None:
        model = saved.model
    else:
        print(f"no saved model in {out} (a run of `tinygrad-edu demo parse` saves one): training a quick one")
        model, _, _, _ = train_parser(args, quick=True)
        print("(a quick model: expect a poor parse)")
    words = words_of(args.sentence)
    tags, unknown = tag_words(words, model.vocab)
    print(f"words: {' '.join(words)}")
    print(f"tags (from the treebank's lexicon): {' '.join(tags)}")
    if unknown:
        print(
            f"unknown words (not in the treebank; the parser sees them as [UNK], tagged by their ending): "
            f"{', '.join(unknown)}"
        )
    tree = show_steps(model, Sentence(words, tags))
    print("\nthe tree (head -label-> word):")
    for head, dependent, label in tree.arcs():
        head_word = "ROOT" if head == 0 else words[head - 1]
        print(f"  {head_word} -{label}-> {words[dependent - 1]}")
    report_outputs([draw(tree, out / "sentence_tree.svg", f"predicted: {' '.join(words)}")])
    return 0


# ------------------------------------------------------------------ drawing
def draw(tree: Sentence, path: Path, title: str, gold: Sentence | None = None) -> Path:
    import viz

    return viz.render(viz.draw_tree(tree, gold=gold, title=title), path)
