"""How a dependency parser is scored on a real treebank, as the field reports it.

The headline numbers are the *attachment scores*, over every word:

    UAS = words given the right head / words
    LAS = words given the right head and the right relation / words

CoNLL shared tasks count punctuation; older papers (Chen & Manning among
them) leave it out, so both are reported, and named (`punct=False`).
Behind the headline:

* `relation_scores`: UAS and LAS per gold relation, where a parser is good
  (det, case: short, fixed) and where it is not (conj, parataxis: long, loose);
* `scores_by_distance`: the fraction of words whose head is found, by how far
  the gold head is (1 word away, 2, 3-4, 5-7, 8 or more);
* `baseline_scores`: parsers that learn nothing (every word's head is the
  next word, or the previous one, or the nearest verb), the floor to beat;
* `projective_upper_bound`: an arc-standard parser builds only projective
  trees (no crossing arcs), so on a treebank with crossing arcs even a
  perfect one loses the arcs that cross; lifting each crossing arc to its
  head's head (Nivre & Nilsson's 2005 pseudo-projective lifting) gives the
  projective tree it could at best build.

    >>> from tinygrad_edu.datasets.treebank import Sentence
    >>> gold = Sentence(["The", "cat", "sat", "."], ["DET", "NOUN", "VERB", "PUNCT"], [2, 3, 0, 3], ["det", "nsubj", "root", "punct"])
    >>> guess = Sentence(gold.words, gold.tags, [2, 3, 0, 2], ["det", "obj", "root", "punct"])
    >>> score_parses([gold], [guess])            # 3 of 4 heads; 2 of 4 with the relation too
    {'uas': 0.75, 'las': 0.5}
    >>> score_parses([gold], [guess], punct=False)
    {'uas': 1.0, 'las': 0.6666666666666666}
    >>> baseline_scores([gold])
    {'next': 0.5, 'previous': 0.25, 'nearest verb': 0.75}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ..datasets.treebank import Sentence

__all__ = [
    "DISTANCE_BINS",
    "baseline_scores",
    "lift_to_projective",
    "projective_upper_bound",
    "relation_scores",
    "score_parses",
    "scores_by_distance",
]

PUNCT = "PUNCT"
VERB_TAGS = ("VERB",)
# (name, shortest, longest) of |head - dependent|; None: no upper end.
DISTANCE_BINS = (("1", 1, 1), ("2", 2, 2), ("3-4", 3, 4), ("5-7", 5, 7), ("8+", 8, None))


def _pairs(gold: Sequence[Sentence], predicted: Sequence[Sentence], where: str):
    """(gold, predicted) sentence pairs, checked: same words, both with trees."""
    for name, xs in (("gold", gold), ("predicted", predicted)):
        if isinstance(xs, Sentence) or not isinstance(xs, Sequence):
            raise TypeError(f"{where}: {name} must be a list of Sentence, got {type(xs).__name__}")
    if len(gold) != len(predicted):
        raise ValueError(f"{where}: {len(gold)} gold sentences but {len(predicted)} predicted")
    for k, (g, p) in enumerate(zip(gold, predicted)):
        if not (isinstance(g, Sentence) and isinstance(p, Sentence)) or g.heads is None or p.heads is None:
            raise ValueError(f"{where}: sentence {k} needs a tree on both sides")
        if len(g) != len(p):
            raise ValueError(f"{where}: sentence {k} has {len(g)} gold words but {len(p)} predicted")
    return zip(gold, predicted)


def _words(gold: Sequence[Sentence], predicted: Sequence[Sentence], where: str):
    """Every word as (gold sentence, index, gold head, gold label, predicted head, predicted label)."""
    for g, p in _pairs(gold, predicted, where):
        for i in range(len(g)):
            yield g, i, g.heads[i], g.labels[i], p.heads[i], p.labels[i]


def score_parses(gold: Sequence[Sentence], predicted: Sequence[Sentence], punct: bool = True) -> dict:
    """{"uas": ..., "las": ...} over every word (``punct=False``: every word
    whose gold tag is not PUNCT)."""
    words = heads = both = 0
    for g, i, gh, gl, ph, pl in _words(gold, predicted, "score_parses"):
        if not punct and g.tags[i] == PUNCT:
            continue
        words += 1
        heads += gh == ph
        both += gh == ph and gl == pl
    if not words:
        raise ValueError("score_parses: no words to score")
    return {"uas": heads / words, "las": both / words}


def relation_scores(gold: Sequence[Sentence], predicted: Sequence[Sentence], top: int = 10) -> list[tuple]:
    """(relation, words, UAS, LAS) for the `top` most frequent gold relations,
    most frequent first: how often a word with that relation gets its head,
    and its head and relation."""
    seen, heads, both = Counter(), Counter(), Counter()
    for _, _, gh, gl, ph, pl in _words(gold, predicted, "relation_scores"):
        seen[gl] += 1
        heads[gl] += gh == ph
        both[gl] += gh == ph and gl == pl
    return [(label, n, heads[label] / n, both[label] / n) for label, n in seen.most_common(top)]


def scores_by_distance(gold: Sequence[Sentence], predicted: Sequence[Sentence]) -> list[tuple]:
    """(bin, words, UAS) for each of DISTANCE_BINS of the gold arc's length
    (ROOT's dependents are left out: their "distance" means nothing)."""
    seen, right = Counter(), Counter()
    for _, i, gh, _, ph, _ in _words(gold, predicted, "scores_by_distance"):
        if gh == 0:
            continue
        distance = abs(gh - (i + 1))
        name = next(
            n for n, low, high in DISTANCE_BINS if low <= distance and (high is None or distance <= high)
        )
        seen[name] += 1
        right[name] += gh == ph
    return [(name, seen[name], right[name] / seen[name]) for name, _, _ in DISTANCE_BINS if seen[name]]


# ----------------------------------------------------------------- baselines
def _next_heads(s: Sentence) -> list[int]:
    return [i + 1 if i < len(s) else 0 for i in range(1, len(s) + 1)]


def _previous_heads(s: Sentence) -> list[int]:
    return [i - 1 for i in range(1, len(s) + 1)]


def _nearest_verb_heads(s: Sentence) -> list[int]:
    """The first verb is the root (the first word if there is none); every
    other word's head is the nearest verb (the nearer left one on a tie),
    and another verb's is the root."""
    verbs = [i for i, tag in enumerate(s.tags, start=1) if tag in VERB_TAGS] or [1]
    root = verbs[0]
    heads = []
    for i in range(1, len(s) + 1):
        if i == root:
            heads.append(0)
        elif i in verbs:
            heads.append(root)
        else:
            heads.append(min(verbs, key=lambda v: (abs(v - i), v)))
    return heads


BASELINES = {"next": _next_heads, "previous": _previous_heads, "nearest verb": _nearest_verb_heads}


def baseline_scores(sentences: Sequence[Sentence]) -> dict[str, float]:
    """The UAS of each parser in BASELINES, which learn nothing: every word's
    head is the next word (the last word's is ROOT), the previous word (the
    first word's is ROOT), or the nearest verb (by gold tag)."""
    if isinstance(sentences, Sentence) or not isinstance(sentences, Sequence):
        raise TypeError(f"baseline_scores: expected a list of Sentence, got {type(sentences).__name__}")
    scores = {}
    for name, heads_of in BASELINES.items():
        guessed = [Sentence(list(s.words), list(s.tags), heads_of(s), ["dep"] * len(s)) for s in sentences]
        scores[name] = score_parses(sentences, guessed)["uas"]
    return scores


# ---------------------------------------------------------------- projective
def _dominates(heads: list[int], head: int, word: int) -> bool:
    """Is `head` on the path from `word` up to ROOT?"""
    while word != 0:
        if word == head:
            return True
        word = heads[word - 1]
    return head == 0


def lift_to_projective(sentence: Sentence) -> Sentence:
    """The tree with every crossing arc lifted, shortest first, to its
    head's head until none is left: a projective tree close to the gold one.

        >>> s = Sentence(list("abcd"), ["X"] * 4, [3, 4, 0, 3], ["l"] * 4)   # 2 -> 4 crosses 3 -> 1
        >>> s.is_projective(), lift_to_projective(s).heads
        (False, [3, 3, 0, 3])
    """
    if not isinstance(sentence, Sentence) or sentence.heads is None:
        raise ValueError(f"lift_to_projective: expected a Sentence with a tree, got {sentence!r:.60}")
    heads = list(sentence.heads)
    while True:
        crossing = [
            (abs(h - d), d)
            for d, h in enumerate(heads, start=1)
            if any(not _dominates(heads, h, w) for w in range(min(h, d) + 1, max(h, d)))
        ]
        if not crossing:
            return Sentence(list(sentence.words), list(sentence.tags), heads, list(sentence.labels))
        _, d = min(crossing)
        heads[d - 1] = heads[heads[d - 1] - 1]


def projective_upper_bound(sentences: Sequence[Sentence]) -> float:
    """The UAS of the lifted (projective) gold trees against the gold ones:
    about the best an arc-standard parser can score here."""
    if isinstance(sentences, Sentence) or not isinstance(sentences, Sequence):
        raise TypeError(
            f"projective_upper_bound: expected a list of Sentence, got {type(sentences).__name__}"
        )
    lifted = [s if s.is_projective() else lift_to_projective(s) for s in sentences]
    return score_parses(sentences, lifted)["uas"]
