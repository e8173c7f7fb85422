"""Sentences typed by a person, read the way the data sets are written.

The data sets hold lowercase words without punctuation ("the cat sat on
the mat"); a learner types "The cat sat on the mat." One function turns the
second into the first, so that every demo and model that takes a sentence
(`demo parse --sentence`, `demo translate --sentence`, BERT's tokenizer and
`fill_mask`) reads it the same way:

* NFKC-normalised and lowercased ("The" -> "the", the fullwidth "ｃａｔ" -> "cat");
* split on white space;
* punctuation taken off both ends of each word ("mat." -> "mat",
  "chat," -> "chat", "«bonjour»" -> "bonjour"), and a word that is only
  punctuation ("--", "?") dropped; an apostrophe or a hyphen inside a word
  stays ("l'homme", "well-known");
* a special token in square brackets, such as ``[MASK]``, kept as written,
  case and all (so a model can tell the token from the word "mask").

    >>> normalise_sentence("The cat sat on the [MASK] mat.")
    ['the', 'cat', 'sat', 'on', 'the', '[MASK]', 'mat']
    >>> normalise_sentence("  La maison BLEUE , l'homme -- chat ! ")
    ['la', 'maison', 'bleue', "l'homme", 'chat']
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalise_sentence"]

_SPECIAL = re.compile(r"\[[A-Za-z]+\]")  # [MASK], [CLS], [UNK], ...


def normalise_sentence(text: str) -> list[str]:
    """The words of `text`, as the data sets write them (see the module's docstring)."""
    if not isinstance(text, str):
        raise TypeError(f"normalise_sentence: expected a str, got {type(text).__name__}")
    words = []
    for word in unicodedata.normalize("NFKC", text).split():
        core = _strip_punctuation(word)
        special = _SPECIAL.fullmatch(core) or _SPECIAL.fullmatch(word)
        if special:
            words.append(special.group(0))
        elif core:
            words.append(core.lower())
    return words


def _strip_punctuation(word: str) -> str:
    """`word` without the punctuation at its ends (Unicode categories P*),
    keeping square brackets, which may hold a special token."""
    start, end = 0, len(word)
    while start < end and _is_punctuation(word[start]):
        start += 1
    while end > start and _is_punctuation(word[end - 1]):
        end -= 1
    return word[start:end]


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char).startswith("P") and char not in "[]"
