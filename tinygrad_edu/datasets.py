"""Small data sets shipped with the package, and a character tokenizer.

`load_names()` reads the list of first names in ``tinygrad_edu/data`` (a
few thousand lowercase names, one a line) through `importlib.resources`, so
it works from an installed wheel as well as from a checkout.

`load_digits()` reads 1,797 real handwritten digits, 8x8 pixels of 0..16
each, and `split_digits` cuts them into a fixed, seeded training and test
set (1,297 / 500 by default). The file is the test set of the "Optical
Recognition of Handwritten Digits" data (E. Alpaydin and C. Kaynak, 1998, UCI
Machine Learning Repository, CC BY 4.0), exactly as scikit-learn ships it
(``sklearn/datasets/data/digits.csv.gz``); it is read here with gzip and csv
alone.

    >>> digits = load_digits()
    >>> len(digits), len(digits[0][0]), len(digits[0][0][0]), digits[0][1]   # 8 rows of 8, label 0
    (1797, 8, 8, 0)
    >>> train, test = split_digits(digits)
    >>> len(train), len(test)
    (1297, 500)

    >>> names = load_names()
    >>> len(names) > 5000, names[:3]
    (True, ['aaron', 'abbey', 'abbie'])
    >>> tok = CharTokenizer.from_texts(names)
    >>> tok
    CharTokenizer(27 tokens: '.abcdefghijklmnopqrstuvwxyz', bos=0)
    >>> tok.encode_document("ada")  # BOS marks where a name starts and where it ends
    [0, 1, 4, 1, 0]
    >>> tok.decode([0, 1, 4, 1, 0])
    'ada'
"""

from __future__ import annotations

import csv
import gzip
import io
import random
from collections.abc import Iterable, Sequence
from importlib import resources

__all__ = ["CharTokenizer", "load_digits", "load_names", "split_digits"]

# An image is 8 rows of 8 ints (0 = white, 16 = full ink); a digit is (image, label).
Digit = tuple[list[list[int]], int]


def load_names() -> list[str]:
    """The shipped first names, lowercase a-z, in file order (alphabetical)."""
    text = resources.files("tinygrad_edu").joinpath("data/first-names.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def load_digits() -> list[Digit]:
    """The 1,797 shipped digits as (image, label) pairs, in file order; an
    image is 8 rows of 8 ints in 0..16, a label an int 0..9."""
    raw = resources.files("tinygrad_edu").joinpath("data/digits-8x8.csv.gz").read_bytes()
    text = gzip.decompress(raw).decode("ascii")
    digits = []
    for line in csv.reader(io.StringIO(text)):
        numbers = [int(x) for x in line]  # 64 pixels, row by row, then the label
        digits.append(([numbers[r * 8 : r * 8 + 8] for r in range(8)], numbers[64]))
    return digits


def split_digits(
    digits: Sequence[Digit], n_test: int = 500, seed: int = 0
) -> tuple[list[Digit], list[Digit]]:
    """(train, test): a seeded shuffle of `digits`, the last `n_test` held out.

    The same seed gives the same split on every machine (`random.Random`
    is seeded on its own, so the global random state is left alone).
    """
    if isinstance(digits, (str, bytes)) or not isinstance(digits, Sequence):
        raise TypeError(f"split_digits: expected a list of (image, label) pairs, got {type(digits).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"split_digits: seed must be an int, got {seed!r}")
    if isinstance(n_test, bool) or not isinstance(n_test, int) or not 0 < n_test < len(digits):
        raise ValueError(f"split_digits: n_test must be an int in 1..{len(digits) - 1}, got {n_test!r}")
    order = list(range(len(digits)))
    random.Random(seed).shuffle(order)
    shuffled = [digits[i] for i in order]
    return shuffled[:-n_test], shuffled[-n_test:]


class CharTokenizer:
    """One id per character, plus one special token, BOS ("beginning of
    sequence"), at id 0.

    BOS does double duty, as in makemore and microgpt: a document is
    ``[BOS, c1, ..., cn, BOS]``, so the model learns both how names start
    (what follows BOS) and when they end (when BOS comes next). `itos` maps
    an id to its character, with BOS shown as `bos_char` ('.').
    """

    def __init__(self, chars: Iterable[str], bos_char: str = ".") -> None:
        if not isinstance(chars, Iterable):
            raise TypeError(
                f"CharTokenizer: expected the characters (a str or a list), got {type(chars).__name__}"
            )
        if not isinstance(bos_char, str) or len(bos_char) != 1:
            raise ValueError(f"CharTokenizer: bos_char must be a single character, got {bos_char!r}")
        alphabet = sorted(set(chars), key=str)
        for c in alphabet:
            if not isinstance(c, str) or len(c) != 1:
                raise ValueError(f"CharTokenizer: expected single characters, got {c!r}")
        if bos_char in alphabet:
            raise ValueError(f"CharTokenizer: bos_char {bos_char!r} is also a character of the text")
        self.bos = 0
        self.bos_char = bos_char
        self.itos = [bos_char, *alphabet]
        self.stoi = {c: i for i, c in enumerate(alphabet, start=1)}

    @classmethod
    def from_texts(cls, texts: Iterable[str], bos_char: str = ".") -> CharTokenizer:
        """A tokenizer whose alphabet is every character that occurs in `texts`."""
        if isinstance(texts, str) or not isinstance(texts, Iterable):
            raise TypeError(f"CharTokenizer.from_texts: expected a list of str, got {type(texts).__name__}")
        texts = list(texts)
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(
                    f"CharTokenizer.from_texts: expected a list of str, got an entry {text!r:.40}"
                )
        return cls({c for text in texts for c in text}, bos_char)

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    def encode(self, text: str) -> list[int]:
        """Characters -> ids (no BOS)."""
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer.encode: expected a str, got {type(text).__name__}")
        try:
            return [self.stoi[c] for c in text]
        except KeyError as error:
            raise ValueError(f"CharTokenizer.encode: {error.args[0]!r} is not in the alphabet") from None

    def encode_document(self, text: str) -> list[int]:
        """[BOS] + encode(text) + [BOS]."""
        return [self.bos, *self.encode(text), self.bos]

    def decode(self, ids: Sequence[int]) -> str:
        """Ids -> text; BOS tokens are dropped."""
        for i in ids:
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(self.itos):
                raise ValueError(f"CharTokenizer.decode: {i!r} is not a token id (0..{len(self.itos) - 1})")
        return "".join(self.itos[i] for i in ids if i != self.bos)

    def __repr__(self) -> str:
        return f"CharTokenizer({self.vocab_size} tokens: {''.join(self.itos)!r}, bos={self.bos})"
