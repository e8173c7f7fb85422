"""A toy French -> English parallel corpus, generated from a tiny grammar.

Every pair is made by one random walk through the grammar below, which
writes the French and the English side at the same time, so the English is
always the right translation. Nothing is read from disk.

The grammar::

    S   ->  NP                          "la maison bleue"                 (20%)
         |  NP P NP                     "le chat sur la table"            (20%)
         |  NP V NP                     "le chat mange la souris"         (40%)
         |  NP V NP P NP                "les chiens voient un oiseau sur la table"  (20%)
    NP  ->  DET [PRE] NOUN [POST]       French order
            DET [PRE] [POST] NOUN       English order: every adjective before the noun

* DET: the noun's gender and number pick it: le (m), la (f), les (plural)
  -> "the"; un (m), une (f) -> "a" (singular only).
* NOUN: 16 nouns, 8 masculine and 8 feminine (`NOUNS`), each with its
  French and English plural (cheval -> chevaux, souris -> mice).
* PRE: 3 adjectives that go *before* the noun in French too (petit, grand,
  joli: "le petit chat" -> "the little cat"); POST: 7 that go after it
  ("la maison bleue" -> "the blue house"). All 10 (`ADJECTIVES`) agree with
  the noun in gender and number (bleu, bleue, bleus, bleues); English
  adjectives never change. An NP has at most one of each, so "le petit chat
  noir" -> "the little black cat".
* V: 5 transitive verbs (`VERBS`), agreeing in number with the subject
  (mange / mangent -> eats / eat). P: 4 prepositions (`PREPOSITIONS`).

That makes sentences of 2 to 14 words (`make_corpus` keeps those up to
`max_words`, 12 by default). The French words carry no accents, so a
sentence is easy to type in a shell, and there is no elision ("le oiseau",
where French writes "l'oiseau"): one word, one token.

The held-out sets (`make_corpus`):

* `held_out_pairs`: a seeded tenth of the 16 x 10 noun-adjective
  combinations never appears in a training sentence (in either number).
  The in-range test set `test` has sentences no longer than the training
  ones, each with at least one of these unseen combinations: a model must
  put words together it never saw together.
* `test_long`: sentences longer than every training sentence
  (`max_train_words` + 1 to `max_words` French words).

Neither test set shares a sentence with the training set (the first by its
unseen combination, the second by its length), nor with each other.

Settings are chosen on neither: `validation_split` holds out, the same way,
another tenth of the combinations from the *training* sentences, and the
sentences that use them become a validation set.

    >>> corpus = make_corpus(seed=0, n_train=50, n_test=5, n_long=5)
    >>> corpus
    TranslationCorpus(train=50, test=5, test_long=5, held_out_pairs=16, max_train_words=7)
    >>> corpus.train[0]
    ('la maison', 'the house')
    >>> corpus == make_corpus(seed=0, n_train=50, n_test=5, n_long=5)  # the seed fixes everything
    True
    >>> "maison" in french_vocabulary() and "houses" in english_vocabulary()
    True
    >>> train, valid = validation_split(corpus.train, seed=0)
    >>> len(train), len(valid), sorted(noun_adjective_pairs("les petites souris grises"))
    (44, 6, [('souris', 'gris'), ('souris', 'petit')])
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = [
    "ADJECTIVES",
    "NOUNS",
    "PREPOSITIONS",
    "VERBS",
    "TranslationCorpus",
    "english_vocabulary",
    "french_vocabulary",
    "make_corpus",
    "english_word_class",
    "noun_adjective_pairs",
    "validation_split",
]

# (French singular, French plural, gender, English singular, English plural)
NOUNS: tuple[tuple[str, str, str, str, str], ...] = (
    ("chat", "chats", "m", "cat", "cats"),
    ("chien", "chiens", "m", "dog", "dogs"),
    ("livre", "livres", "m", "book", "books"),
    ("jardin", "jardins", "m", "garden", "gardens"),
    ("bateau", "bateaux", "m", "boat", "boats"),
    ("oiseau", "oiseaux", "m", "bird", "birds"),
    ("cheval", "chevaux", "m", "horse", "horses"),
    ("train", "trains", "m", "train", "trains"),
    ("maison", "maisons", "f", "house", "houses"),
    ("souris", "souris", "f", "mouse", "mice"),
    ("table", "tables", "f", "table", "tables"),
    ("fleur", "fleurs", "f", "flower", "flowers"),
    ("voiture", "voitures", "f", "car", "cars"),
    ("poire", "poires", "f", "pear", "pears"),
    ("fille", "filles", "f", "girl", "girls"),
    ("porte", "portes", "f", "door", "doors"),
)

# (masculine, feminine, masculine plural, feminine plural, English, goes before the noun in French)
ADJECTIVES: tuple[tuple[str, str, str, str, str, bool], ...] = (
    ("petit", "petite", "petits", "petites", "little", True),
    ("grand", "grande", "grands", "grandes", "big", True),
    ("joli", "jolie", "jolis", "jolies", "pretty", True),
    ("noir", "noire", "noirs", "noires", "black", False),
    ("blanc", "blanche", "blancs", "blanches", "white", False),
    ("rouge", "rouge", "rouges", "rouges", "red", False),
    ("bleu", "bleue", "bleus", "bleues", "blue", False),
    ("vert", "verte", "verts", "vertes", "green", False),
    ("gris", "grise", "gris", "grises", "grey", False),
    ("jaune", "jaune", "jaunes", "jaunes", "yellow", False),
)

# (French singular, French plural, English singular, English plural)
VERBS: tuple[tuple[str, str, str, str], ...] = (
    ("mange", "mangent", "eats", "eat"),
    ("voit", "voient", "sees", "see"),
    ("aime", "aiment", "likes", "like"),
    ("regarde", "regardent", "watches", "watch"),
    ("prend", "prennent", "takes", "take"),
)

PREPOSITIONS: tuple[tuple[str, str], ...] = (
    ("sur", "on"),
    ("sous", "under"),
    ("avec", "with"),
    ("dans", "in"),
)

DETERMINERS = {
    ("definite", "m"): "le",
    ("definite", "f"): "la",
    ("indefinite", "m"): "un",
    ("indefinite", "f"): "une",
}


@dataclass(frozen=True)
class TranslationCorpus:
    """Three lists of (french, english) sentence pairs and what was held out."""

    train: list[tuple[str, str]]
    test: list[tuple[str, str]]
    test_long: list[tuple[str, str]]
    held_out_pairs: frozenset[tuple[str, str]]  # (French noun, French masculine adjective)
    max_train_words: int

    def __repr__(self) -> str:
        return (
            f"TranslationCorpus(train={len(self.train)}, test={len(self.test)}, "
            f"test_long={len(self.test_long)}, held_out_pairs={len(self.held_out_pairs)}, "
            f"max_train_words={self.max_train_words})"
        )


def _noun_phrase(rng: random.Random) -> tuple[list[str], list[str], bool, set[tuple[str, str]]]:
    """One NP: (French words, English words, plural?, its noun-adjective pairs)."""
    noun = rng.choice(NOUNS)
    plural = rng.random() < 0.3
    gender = noun[2]
    if plural:
        determiner, english_det = "les", "the"
    else:
        kind = "definite" if rng.random() < 0.6 else "indefinite"
        determiner, english_det = DETERMINERS[kind, gender], "the" if kind == "definite" else "a"
    form = (2 if plural else 0) + (1 if gender == "f" else 0)  # index into an adjective's four forms
    pre = rng.choice([a for a in ADJECTIVES if a[5]]) if rng.random() < 0.3 else None
    post = rng.choice([a for a in ADJECTIVES if not a[5]]) if rng.random() < 0.5 else None
    french = [determiner] + ([pre[form]] if pre else []) + [noun[1] if plural else noun[0]]
    french += [post[form]] if post else []
    english = [english_det] + [a[4] for a in (pre, post) if a] + [noun[4] if plural else noun[3]]
    pairs = {(noun[0], a[0]) for a in (pre, post) if a}
    return french, english, plural, pairs


def _sentence(rng: random.Random) -> tuple[str, str, set[tuple[str, str]]]:
    """One walk through the grammar: (French, English, noun-adjective pairs used)."""
    french, english, plural, pairs = _noun_phrase(rng)
    shape = rng.random()
    if shape >= 0.4:  # NP V NP (and, from 0.8, P NP)
        verb = rng.choice(VERBS)
        obj_fr, obj_en, _, obj_pairs = _noun_phrase(rng)
        french += [verb[1] if plural else verb[0], *obj_fr]
        english += [verb[3] if plural else verb[2], *obj_en]
        pairs |= obj_pairs
    if shape >= 0.8 or 0.2 <= shape < 0.4:  # ... P NP
        prep = rng.choice(PREPOSITIONS)
        pp_fr, pp_en, _, pp_pairs = _noun_phrase(rng)
        french += [prep[0], *pp_fr]
        english += [prep[1], *pp_en]
        pairs |= pp_pairs
    return " ".join(french), " ".join(english), pairs


def make_corpus(
    seed: int = 0,
    n_train: int = 3000,
    n_test: int = 200,
    n_long: int = 100,
    max_train_words: int = 7,
    max_words: int = 12,
    held_out_fraction: float = 0.1,
) -> TranslationCorpus:
    """Distinct training pairs of at most `max_train_words` French words
    without any held-out noun-adjective pair; `n_test` in-range pairs with
    at least one; `n_long` pairs of max_train_words + 1 .. `max_words` words.
    The same arguments always give the same corpus."""
    for name, n in (("n_train", n_train), ("n_test", n_test), ("n_long", n_long)):
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"make_corpus: {name} must be a non-negative int, got {n!r}")
    if isinstance(max_train_words, bool) or not isinstance(max_train_words, int) or not 2 <= max_train_words:
        raise ValueError(f"make_corpus: max_train_words must be an int >= 2, got {max_train_words!r}")
    if isinstance(max_words, bool) or not isinstance(max_words, int) or not max_words > max_train_words:
        raise ValueError(
            f"make_corpus: max_words must be an int above max_train_words={max_train_words}, got {max_words!r}"
        )
    if isinstance(held_out_fraction, bool) or not isinstance(held_out_fraction, (int, float)):
        raise ValueError(
            f"make_corpus: held_out_fraction must be a number in (0, 0.5], got {held_out_fraction!r}"
        )
    if not 0.0 < held_out_fraction <= 0.5:
        raise ValueError(f"make_corpus: held_out_fraction must be in (0, 0.5], got {held_out_fraction!r}")
    rng = random.Random(seed)
    combos = [(noun[0], adj[0]) for noun in NOUNS for adj in ADJECTIVES]
    held_out = frozenset(rng.sample(combos, round(held_out_fraction * len(combos))))
    train: dict[tuple[str, str], None] = {}  # a dict keeps the order and drops repeats
    test: dict[tuple[str, str], None] = {}
    long: dict[tuple[str, str], None] = {}
    # Each draw lands in at most one set, so the sets are disjoint by construction;
    # the cap stops a request the grammar cannot meet (say, 10**6 distinct pairs).
    for _ in range(200 * (n_train + n_test + n_long) + 1000):
        if len(train) >= n_train and len(test) >= n_test and len(long) >= n_long:
            break
        french, english, pairs = _sentence(rng)
        words = len(french.split())
        unseen = bool(pairs & held_out)
        if words > max_words:
            continue
        if words > max_train_words:
            target = long if len(long) < n_long else None
        elif unseen:
            target = test if len(test) < n_test else None
        else:
            target = train if len(train) < n_train else None
        if target is not None and (french, english) not in train and (french, english) not in test:
            target[french, english] = None
    else:
        raise ValueError(
            f"make_corpus: could not draw {n_train} / {n_test} / {n_long} distinct pairs from the grammar "
            f"(got {len(train)} / {len(test)} / {len(long)}); ask for fewer"
        )
    return TranslationCorpus(list(train), list(test), list(long), held_out, max_train_words)


def french_vocabulary() -> list[str]:
    """Every French word the grammar can write, sorted."""
    words = {"le", "la", "les", "un", "une"}
    words |= {form for noun in NOUNS for form in noun[:2]}
    words |= {form for adj in ADJECTIVES for form in adj[:4]}
    words |= {form for verb in VERBS for form in verb[:2]}
    words |= {prep[0] for prep in PREPOSITIONS}
    return sorted(words)


def english_vocabulary() -> list[str]:
    """Every English word the grammar can write, sorted."""
    words = {"the", "a"}
    words |= {form for noun in NOUNS for form in noun[3:]}
    words |= {adj[4] for adj in ADJECTIVES}
    words |= {form for verb in VERBS for form in verb[2:]}
    words |= {prep[1] for prep in PREPOSITIONS}
    return sorted(words)


def noun_adjective_pairs(french: str) -> set[tuple[str, str]]:
    """The (noun, adjective) combinations of a French sentence of the grammar,
    each word in its dictionary form (masculine singular)."""
    if not isinstance(french, str):
        raise TypeError(
            f"noun_adjective_pairs: expected a French sentence (a str), got {type(french).__name__}"
        )
    nouns = {form: noun[0] for noun in NOUNS for form in noun[:2]}
    adjectives = {form: adj[0] for adj in ADJECTIVES for form in adj[:4]}
    words = french.split()
    pairs = set()
    for i, word in enumerate(words):
        if word in nouns:
            for j in (i - 1, i + 1):  # an adjective sits just before its noun (petit) or just after (bleu)
                if 0 <= j < len(words) and words[j] in adjectives:
                    pairs.add((nouns[word], adjectives[words[j]]))
    return pairs


def validation_split(
    train: list[tuple[str, str]], seed: int = 0, fraction: float = 0.1
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(train, validation): a seeded `fraction` of the noun-adjective
    combinations used in `train` is held out, and every training sentence
    using one moves to the validation set, so validation asks what the test
    set asks (combinations never seen) without touching the test set."""
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0.0 < fraction < 1.0:
        raise ValueError(f"validation_split: fraction must be a number in (0, 1), got {fraction!r}")
    if isinstance(train, str) or not all(isinstance(pair, tuple) and len(pair) == 2 for pair in train):
        raise TypeError("validation_split: expected a list of (french, english) pairs, as make_corpus gives")
    used = sorted(set().union(*(noun_adjective_pairs(f) for f, _ in train)))
    held_out = set(random.Random(seed).sample(used, max(1, round(fraction * len(used)))))
    kept = [pair for pair in train if not noun_adjective_pairs(pair[0]) & held_out]
    valid = [pair for pair in train if noun_adjective_pairs(pair[0]) & held_out]
    return kept, valid


def english_word_class(word: str) -> str:
    """What an English word of the grammar is: 'noun', 'adjective', 'verb',
    'preposition' or 'determiner' ('unknown' for any other word).

        >>> english_word_class("mice"), english_word_class("grey"), english_word_class("the")
        ('noun', 'adjective', 'determiner')
    """
    classes = {
        "noun": {form for noun in NOUNS for form in noun[3:]},
        "adjective": {adj[4] for adj in ADJECTIVES},
        "verb": {form for verb in VERBS for form in verb[2:]},
        "preposition": {prep[1] for prep in PREPOSITIONS},
        "determiner": {"the", "a"},
    }
    return next((name for name, words in classes.items() if word in words), "unknown")
