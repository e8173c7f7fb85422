"""The word2vec corpus: a few hundred short sentences, one a line.

``word2vec-corpus.txt`` beside this file was written for tinygrad_edu so that
relations exist to be found: king/queen and man/woman, countries and their
capitals, animals and their young, fruits, vegetables and drinks.
`read_sentences` reads it, or any file of the same form (one sentence a
line, words split on spaces and lowercased, '#' lines are comments).

    >>> sentences = load_word2vec_corpus()
    >>> len(sentences) > 300, sentences[0]
    (True, ['we', 'boiled', 'a', 'carrot', 'for', 'dinner'])
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["CORPUS_FILE", "load_word2vec_corpus", "read_sentences"]

CORPUS_FILE = "word2vec-corpus.txt"


def load_word2vec_corpus() -> list[list[str]]:
    """The shipped word2vec corpus, as lists of lowercase words."""
    with resources.as_file(resources.files(__package__).joinpath(CORPUS_FILE)) as path:
        return read_sentences(path)


def read_sentences(path: str | Path) -> list[list[str]]:
    """One sentence per line, words split on spaces, lowercased; '#' lines are comments."""
    sentences = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            sentences.append(line.lower().split())
    return sentences
