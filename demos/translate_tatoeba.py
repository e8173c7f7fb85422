"""`tinygrad-edu demo translate --data tatoeba`: real French -> English.

The first real task of PyTorch's "NLP From Scratch" translation tutorial:
Tatoeba's shortest sentence pairs (tinygrad_edu/datasets/tatoeba.py;
CC-BY 2.0 France, each pair's authors credited in the file). Words are
lower case with punctuation split off; a seeded tenth of the French
sentences is held out, each with every English translation Tatoeba has for
it, and those are the references. Words seen fewer than `min_count` times in
training become <unk>.

The GRU with attention and the same GRU without attention are trained with
teacher forcing on every (French, English) training pair, then translate
the held-out French sentences greedily. Scores: corpus BLEU-4 against all
the references (the same number as sacreBLEU's with tokenize="none") and
exact match against any of them, beside two baselines: no attention, and the
nearest neighbour (the first translation of the training sentence sharing
the most words with the test sentence), which in a corpus this small, where
most test sentences have a translation that also occurs as a training
target, is a strong one.

`--trainer torch`: six minutes of the scalar engine are less than one pass
over the pairs, far too few to translate. With this option the same
Seq2Seq, four times as wide and with additive attention, is trained by its PyTorch twin
(tinygrad_edu.torch_bridge) for 40 passes, with dropout, on batches of
pairs of one shape; the weights come back into our model, which then
translates and is scored exactly as above: what the model can learn from
this data, given the compute.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tinygrad_edu import no_grad
from tinygrad_edu.datasets.tatoeba import group_by_french, load_tatoeba, split_by_french, tokenize
from tinygrad_edu.models.translate import Seq2Seq, Vocab, corpus_bleu

from .common import (
    fail,
    find_saved,
    lr_factor,
    progress,
    recent_loss,
    report_outputs,
    save_trained,
    setup,
    write_results,
)
from .translate import MAX_SENTENCE_WORDS, Training, train, train_models

SIZES = {"embedding_dim": 32, "hidden_size": 32}
FULL = {"steps": 450, "baseline_steps": 150, "batch": 8, "min_count": 2, "n_test": None}
QUICK = {"steps": 6, "baseline_steps": 3, "batch": 4, "min_count": 2, "n_test": 40}
LR = 0.01
# --trainer torch: the same Seq2Seq, four times as wide, trained by its
# PyTorch twin for 40 passes over the pairs with dropout (the scalar engine
# would take days). Chosen on a validation split of the training sentences
# (seed 1337, validation BLEU against the nearest neighbour's 28.6): width 64,
# 20 passes 24.8; 40 passes 27.7; with dropout 0.3 29.2; width 128 34.7.
TORCH_SIZES = {"embedding_dim": 128, "hidden_size": 128}
TORCH_FULL = {"epochs": 40.0, "batch": 16, "min_count": 2, "n_test": None}
TORCH_QUICK = {"epochs": 0.05, "batch": 4, "min_count": 2, "n_test": 40}
TORCH_LR = 0.003
TORCH_DROPOUT = 0.3  # of the source word vectors and of the states the output layer reads
# Bahdanau's additive scoring, not Luong's dot: at this width the dot scores
# of 256-number memory vectors are large and the softmax saturates. Validation
# BLEU at seeds 1337, 1, 2: additive 42.8, 44.8, 43.6; dot 34.7, 36.1, 40.5;
# no attention 31.8, 33.5, 39.6.
TORCH_ATTENTION = "additive"

VALIDATION_SEED_OFFSET = 1000  # the validation split's seed: another shuffle than the test split's

Group = tuple[str, list[str]]  # a tokenized French sentence and all its English translations


@dataclass
class TatoebaData:
    """The split, the vocabularies made from its training side, and the
    training pairs as ids (one per English translation)."""

    train: list[Group]
    test: list[Group]
    src: Vocab
    tgt: Vocab
    pairs: list[tuple[list[int], list[int]]]


def tatoeba_data(seed: int, min_count: int, validation: bool = False) -> TatoebaData:
    """The seeded split; with `validation`, the held-out sentences are a
    tenth of the training ones instead (where the settings are chosen),
    and the vocabularies come from the rest."""
    train, test = split_by_french(group_by_french(load_tatoeba()), test_fraction=0.1, seed=seed)
    if validation:
        train, test = split_by_french(train, test_fraction=0.1, seed=seed + VALIDATION_SEED_OFFSET)
    french = Counter(w for f, _ in train for w in f.split())
    english = Counter(w for _, refs in train for e in refs for w in e.split())
    src = Vocab((w for w, n in french.items() if n >= min_count), unknown=True)
    tgt = Vocab((w for w, n in english.items() if n >= min_count), unknown=True)
    pairs = [(src.encode(f), tgt.encode(e)) for f, refs in train for e in refs]
    return TatoebaData(train, test, src, tgt, pairs)


def nearest_neighbour(train: Sequence[Group], test: Sequence[Group]) -> list[str]:
    """For each test sentence, the first translation of the training sentence
    sharing the most words with it (of those, the one with the fewest words
    in neither: the closest in length); the earliest on a tie."""
    sets = [set(f.split()) for f, _ in train]
    hypotheses = []
    for french, _ in test:
        words = set(french.split())
        best = max(range(len(train)), key=lambda i: (len(words & sets[i]), -len(words ^ sets[i]), -i))
        hypotheses.append(train[best][1][0])
    return hypotheses


def run_tatoeba(args: argparse.Namespace) -> int:
    by_torch = args.trainer == "torch"
    if by_torch and importlib.util.find_spec("torch") is None:  # before any folder or file is made
        fail(
            args,
            "--trainer torch needs PyTorch, which is not installed (see the README: Graduate to PyTorch)",
        )
    out = setup(args)
    if by_torch:
        config = dict(TORCH_QUICK if args.quick else TORCH_FULL)
    else:
        config = dict(QUICK if args.quick else FULL)
    start_cpu, start_wall = time.process_time(), time.perf_counter()
    data = tatoeba_data(args.seed, config["min_count"], args.validation)
    if by_torch:  # the same number of steps for both models: a pass over the pairs is cheap here
        per_pass = len(one_shape_batches(data.pairs, config["batch"], random.Random(0)))  # batches in a pass
        config["steps"] = config["baseline_steps"] = args.steps or max(1, round(config["epochs"] * per_pass))
    else:
        per_pass = len(data.pairs) / config["batch"]
        if args.steps is not None:
            config["steps"], config["baseline_steps"] = args.steps, max(1, args.steps // 2)
    test = data.test[: config["n_test"]]
    references = [refs for _, refs in test]
    targets = {e for _, refs in data.train for e in refs}
    seen = sum(any(e in targets for e in refs) for refs in references) / len(references)
    where = "validation" if args.validation else "held-out"
    print(
        f"Tatoeba: {len(data.train)} training French sentences ({len(data.pairs)} pairs with their translations), "
        f"{len(test)} {where} French sentences with {sum(map(len, references))} English references; "
        f"{seen:.0%} of the {where} sentences have a reference that is also a training target.\n"
        f"vocabularies (words seen at least {config['min_count']} times; the rest is <unk>): "
        f"{data.src.size} French, {data.tgt.size} English tokens"
    )
    sizes, widths, lr, scoring = (
        (data.src.size, data.tgt.size),
        TORCH_SIZES if by_torch else SIZES,
        TORCH_LR if by_torch else LR,
        TORCH_ATTENTION if by_torch else "dot",
    )
    models, cpus = train_models(
        [
            Training(
                "attention",
                Seq2Seq(*sizes, **widths, attention=scoring),
                config["steps"],
                config["batch"],
                lr,
            ),
            Training(
                "baseline",
                Seq2Seq(*sizes, **widths, attention=None),
                config["baseline_steps"],
                config["batch"],
                lr,
            ),
        ],
        data.pairs,
        random.Random(args.seed),
        trainer=train_in_torch if by_torch else train,
    )
    epochs = config["steps"] / per_pass
    print(f"the attention model saw {epochs:.1f} passes over the training pairs ({args.trainer} trained it)")

    hypotheses = {}
    with no_grad():
        for name, model in models.items():
            hypotheses[name] = [
                data.tgt.decode(model.translate(data.src.encode(f), max_len=len(f.split()) + 5))
                for f, _ in test
            ]
    hypotheses["neighbour"] = nearest_neighbour(data.train, test)
    bleu = {name: corpus_bleu(references, hyps) for name, hyps in hypotheses.items()}
    exact = {
        name: sum(h in refs for h, refs in zip(hyps, references)) / len(test)
        for name, hyps in hypotheses.items()
    }
    print(f"\n{len(test)} {where} French sentences, greedy:")
    print(f"  {'':34} {'BLEU':>6} {'exact match':>12}")
    for name, label in LABELS.items():
        print(f"  {label:34} {bleu[name]:6.1f} {exact[name]:12.1%}")
    print_real_examples(test, hypotheses["attention"], data.src)

    paths = []
    if not args.validation:  # a model trained on less data never replaces the run's own
        paths += save_trained(
            args,
            out,
            models["attention"],
            (data.src, data.tgt),
            data="tatoeba",
            steps=config["steps"],
            min_count=config["min_count"],
            trainer=args.trainer,
            bleu=round(bleu["attention"], 2),
            exact_match=round(exact["attention"], 4),
        )
    cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
    print(f"took {cpu:.0f} s of CPU time ({wall:.0f} s by the wall clock, on a machine shared with others)")
    paths.append(
        write_results(
            out,
            args,
            wall,
            data="tatoeba",
            scored_on="validation" if args.validation else "test",
            bleu=round(bleu["attention"], 2),
            exact_match=round(exact["attention"], 4),
            baseline_bleu=round(bleu["baseline"], 2),
            baseline_exact_match=round(exact["baseline"], 4),
            nearest_neighbour_bleu=round(bleu["neighbour"], 2),
            nearest_neighbour_exact_match=round(exact["neighbour"], 4),
            test_sentences=len(test),
            seen_target_fraction=round(seen, 4),
            parameters=models["attention"].num_parameters(),
            steps=config["steps"],
            epochs=round(epochs, 2),
            trainer=args.trainer,
            model=f"GRU encoder-decoder with {scoring} attention, embedding {widths['embedding_dim']}, "
            f"hidden {widths['hidden_size']}",
            cpu_seconds=round(cpu, 1),
        )
    )
    report_outputs(paths)
    return 0


def train_in_torch(
    model: Seq2Seq,
    pairs: Sequence[tuple[list[int], list[int]]],
    steps: int,
    batch: int,
    rng: random.Random,
    desc: str,
    lr: float,
    warmup: int = 0,
) -> list[float]:
    """`translate.train`'s loop, run by the PyTorch twin of `model`
    (tinygrad_edu.torch_bridge) in float32, with `TORCH_DROPOUT`: each step
    the mean teacher-forced loss of a batch of up to `batch` pairs of one
    shape (`one_shape_batches`), Adam, the gradient's length clipped at 5,
    the learning rate falling linearly to 0 (after `warmup` steps rising, as
    `common.lr_factor` says). The trained weights are then copied back into
    `model`, which translates as any of ours does; returns the losses."""
    import torch

    threads = torch.get_num_threads()
    # One thread: a batch's tensors are tiny, and more threads only wait on
    # each other (on a busy 2-core host a step took 13 times as long).
    torch.set_num_threads(1)
    try:
        # The dropout masks come from torch's generator: seeded from `rng`,
        # so a run repeats, inside fork_rng, so the caller's torch is untouched.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(rng.randrange(2**63))
            history = _torch_loop(model, pairs, steps, batch, rng, desc, lr, warmup)
    finally:
        torch.set_num_threads(threads)
    return history


def one_shape_batches(
    pairs: Sequence[tuple[list[int], list[int]]], batch: int, rng: random.Random
) -> list[list[tuple[list[int], list[int]]]]:
    """One pass over `pairs` in a random order, as batches of at most `batch`
    pairs whose sources have one length and whose targets have one length:
    a batch the twin runs as one tensor, with no padding to mask (Tatoeba's
    sentences are so short that few shapes exist). The batches of a shape
    seen less often are smaller; the mean loss of a batch is then still the
    mean of its sentences' mean losses, as `translate.train` takes it.

        >>> pairs = [([1], [5]), ([2], [6]), ([3, 4], [7]), ([1], [8])]
        >>> sorted(len(b) for b in one_shape_batches(pairs, 2, random.Random(0)))
        [1, 1, 2]
    """
    shapes: dict[tuple[int, int], list] = {}
    for src, tgt in rng.sample(list(pairs), len(pairs)):
        shapes.setdefault((len(src), len(tgt)), []).append((src, tgt))
    batches = [group[i : i + batch] for group in shapes.values() for i in range(0, len(group), batch)]
    rng.shuffle(batches)
    return batches


def _torch_loop(model, pairs, steps, batch, rng, desc, lr, warmup) -> list[float]:
    import torch

    from tinygrad_edu.torch_bridge import from_torch, to_torch

    twin = to_torch(model, dtype=torch.float32)
    twin.dropout = TORCH_DROPOUT
    twin.train()
    optimizer = torch.optim.Adam(twin.parameters(), lr=lr)
    history: list[float] = []
    batches: list = []
    bar = progress(range(steps), total=steps, desc=f"{desc} (torch)")
    for step in bar:
        if not batches:  # the next pass over the pairs
            batches = one_shape_batches(pairs, batch, rng)
        chosen = batches.pop()
        for group in optimizer.param_groups:
            group["lr"] = lr * lr_factor(step, steps, warmup=warmup)
        loss = twin.loss(torch.tensor([src for src, _ in chosen]), torch.tensor([tgt for _, tgt in chosen]))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(twin.parameters(), 5.0)
        optimizer.step()
        history.append(loss.item())
        bar.set_postfix(loss=f"{recent_loss(history):.3f}")
    from_torch(twin, model)
    return history


LABELS = {
    "attention": "GRU + attention",
    "baseline": "GRU, no attention",
    "neighbour": "nearest neighbour (training pair)",
}


def print_real_examples(test: Sequence[Group], hypotheses: Sequence[str], src: Vocab, k: int = 3) -> None:
    """A few held-out sentences translated right and wrong, with their references."""
    right = [i for i, (h, (_, refs)) in enumerate(zip(hypotheses, test)) if h in refs]
    wrong = [i for i, (h, (_, refs)) in enumerate(zip(hypotheses, test)) if h not in refs]
    for title, chosen in (("right", right[:k]), ("wrong", wrong[:k])):
        if chosen:
            print(f"\ntranslated {title} (matching a reference or not):")
        for i in chosen:
            french, refs = test[i]
            unknown = src.unknown_words(french)
            note = f"   (unknown: {', '.join(unknown)})" if unknown else ""
            print(f"  {french}{note}\n    model:      {hypotheses[i]}\n    references: {' | '.join(refs)}")


def translate_tatoeba_sentence(args: argparse.Namespace) -> int:
    """--data tatoeba --sentence: translate with the saved real model, naming
    the words it does not know (it reads them as <unk>)."""
    french = tokenize(args.sentence)
    if not french:
        fail(args, f"--sentence {args.sentence!r}: no words")
    if len(french.split()) > MAX_SENTENCE_WORDS:  # the toy's limit, for the same reason
        fail(
            args,
            f"--sentence has {len(french.split())} words; at most {MAX_SENTENCE_WORDS} are translated (the time "
            "grows with the square of the length, and Tatoeba's sentences here have a few words)",
        )
    saved = find_saved(args, Path(args.out), "translate")
    if saved is None:
        fail(
            args,
            f"no saved Tatoeba model in {args.out}: run `tinygrad-edu demo translate --data tatoeba` "
            "first (about 6 minutes of CPU)",
        )
    src, tgt = saved.vocab
    if saved.meta.get("data") != "tatoeba" or src.unk is None:
        fail(
            args,
            f"the model saved in {args.out} was not trained on Tatoeba; give --out the folder of a Tatoeba run",
        )
    model = saved.model
    ids = src.encode(french)
    with no_grad():
        greedy = tgt.decode(model.translate(ids, max_len=len(ids) + 5))
        beam = tgt.decode(model.translate(ids, beam_size=args.beam, max_len=len(ids) + 5))
    print(f"{french}\n  greedy:      {greedy}\n  beam ({args.beam}):    {beam}")
    unknown = src.unknown_words(french)
    if unknown:
        print(
            f"  unknown to the model (read as <unk>): {', '.join(unknown)}; it knows {len(src.words)} French "
            f"words, those seen at least {saved.meta.get('min_count', FULL['min_count'])} times in its training"
        )
    return 0
