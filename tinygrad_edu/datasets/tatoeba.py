"""Real French -> English sentence pairs from Tatoeba, grouped and split.

``tatoeba-fr-en/eng-fra-short.tsv.gz`` (beside this module) holds 5,000
real pairs, the shortest in the Tatoeba collection (1 to 5 English words),
the set PyTorch's "NLP From Scratch" translation tutorial starts from. One
pair a line: English, TAB, French, TAB, the attribution (tatoeba.org sentence
numbers and their authors; CC-BY 2.0 France, see the README.md beside the
file). `load_tatoeba` reads them as `TatoebaPair`s, attribution included.

A sentence often has several translations ("Go." is "Va !", "Marche." and
"Bouge !"), so `group_by_french` gathers every English translation of a
French sentence: a translator is scored against all of them. `tokenize`
makes the words a `Vocab` reads: lower case, punctuation split off as words
of its own, apostrophes and hyphens kept inside a word ("j'ai", "peut-être").
`split_by_french` holds out a seeded tenth of the French sentences, so no
test sentence was ever seen in training, in any of its translations.

    >>> pairs = load_tatoeba()
    >>> len(pairs), pairs[0].english, pairs[0].french
    (5000, 'Go.', 'Va !')
    >>> tokenize("Je suis si fatigué\\u202f!")
    'je suis si fatigué !'
    >>> groups = group_by_french(pairs)
    >>> len(groups), groups[0]    # 4,360 French sentences as written, 4,309 once tokenized
    (4309, ('va !', ['go .', 'go ahead !', 'go ahead .']))
    >>> train, test = split_by_french(groups, seed=0)
    >>> len(train), len(test)
    (3878, 431)
"""

from __future__ import annotations

import gzip
import random
import re
import unicodedata
from collections.abc import Sequence
from importlib import resources
from typing import NamedTuple

__all__ = ["TATOEBA_FILE", "TatoebaPair", "group_by_french", "load_tatoeba", "split_by_french", "tokenize"]

TATOEBA_FILE = "tatoeba-fr-en/eng-fra-short.tsv.gz"

# A word is a run of letters, digits, apostrophes and hyphens; any other
# visible character (. ! ? , « » ...) is a word of its own.
_WORD = re.compile(r"[\w'-]+|[^\w\s]")


class TatoebaPair(NamedTuple):
    """One line of the file: an English sentence, its French translation, who wrote them."""

    english: str
    french: str
    attribution: str


def load_tatoeba() -> list[TatoebaPair]:
    """The 5,000 shipped pairs, in file order, as written (not tokenized)."""
    raw = resources.files(__package__).joinpath(TATOEBA_FILE).read_bytes()
    pairs = []
    for number, line in enumerate(gzip.decompress(raw).decode("utf-8").splitlines(), 1):
        fields = line.split("\t")
        if len(fields) != 3:
            raise ValueError(
                f"load_tatoeba: line {number} of {TATOEBA_FILE} has {len(fields)} fields, expected 3"
            )
        pairs.append(TatoebaPair(*fields))
    return pairs


def tokenize(text: str) -> str:
    """Lower case, punctuation split off, words joined by single spaces.

    Unicode's compatibility form (NFKC) turns the narrow no-break space French
    puts before "!" into a plain one; a curly apostrophe becomes a straight one.

        >>> tokenize("I'm so tired!"), tokenize("« Peut-être. »")
        ("i'm so tired !", '« peut-être . »')
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize: expected a sentence (a str), got {type(text).__name__}")
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").lower()
    return " ".join(_WORD.findall(text))


def group_by_french(pairs: Sequence[TatoebaPair]) -> list[tuple[str, list[str]]]:
    """(tokenized French, every distinct tokenized English translation of
    it), in the order each French sentence first appears."""
    groups: dict[str, dict[str, None]] = {}
    if isinstance(pairs, str) or not all(isinstance(pair, TatoebaPair) for pair in pairs):
        raise TypeError("group_by_french: expected TatoebaPairs, as load_tatoeba gives")
    for pair in pairs:
        french, english = tokenize(pair.french), tokenize(pair.english)
        if french and english:
            groups.setdefault(french, {})[english] = None
    return [(french, list(englishes)) for french, englishes in groups.items()]


def split_by_french(
    groups: Sequence[tuple[str, list[str]]], test_fraction: float = 0.1, seed: int = 0
) -> tuple[list[tuple[str, list[str]]], list[tuple[str, list[str]]]]:
    """(train, test): a seeded shuffle of the French sentences, `test_fraction`
    of them held out (each with all its translations), both in file order."""
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)):
        raise TypeError(f"split_by_french: test_fraction must be a number, got {test_fraction!r}")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"split_by_french: test_fraction must be in (0, 1), got {test_fraction!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"split_by_french: seed must be an int, got {seed!r}")
    n_test = round(test_fraction * len(groups))
    if not 0 < n_test < len(groups):
        raise ValueError(
            f"split_by_french: {len(groups)} sentences with test_fraction={test_fraction} leave "
            f"{n_test} to test; need at least one on each side"
        )
    held_out = set(random.Random(seed).sample(range(len(groups)), n_test))
    train = [g for i, g in enumerate(groups) if i not in held_out]
    test = [g for i, g in enumerate(groups) if i in held_out]
    return train, test
