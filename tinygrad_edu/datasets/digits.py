"""Real handwritten digits, 8x8 pixels, and the shape a CNN or an MLP reads.

`load_digits()` reads the file shipped beside this module,
``digits-8x8.csv.gz``: 1,797 real handwritten digits, 8x8 pixels of 0..16
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

`as_image` turns one into the [C][H][W] a `Conv2d` reads (one channel of
0..1), `as_vector` into the 64 numbers an MLP reads.

    >>> image = as_image(digits[0][0])
    >>> len(image), len(image[0]), len(image[0][0]), max(max(row) for row in image[0])
    (1, 8, 8, 0.9375)
"""

from __future__ import annotations

import csv
import gzip
import io
import random
from collections.abc import Sequence
from importlib import resources

__all__ = ["Digit", "Image", "as_image", "as_vector", "load_digits", "split_digits"]

# An image is 8 rows of 8 ints (0 = white, 16 = full ink); a digit is (image, label).
Digit = tuple[list[list[int]], int]


def load_digits() -> list[Digit]:
    """The 1,797 shipped digits as (image, label) pairs, in file order; an
    image is 8 rows of 8 ints in 0..16, a label an int 0..9."""
    raw = resources.files(__package__).joinpath("digits-8x8.csv.gz").read_bytes()
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


Image = list[list[list[float]]]  # [C][H][W]


def as_image(pixels: list[list[int]]) -> Image:
    """8 rows of 0..16 -> one channel of 0..1: [1][8][8]."""
    _check_pixels(pixels, "as_image")
    return [[[p / 16.0 for p in row] for row in pixels]]


def as_vector(pixels: list[list[int]]) -> list[float]:
    """8 rows of 0..16 -> 64 numbers in 0..1, row by row (what an MLP reads)."""
    _check_pixels(pixels, "as_vector")
    return [p / 16.0 for row in pixels for p in row]


def _check_pixels(pixels: list[list[int]], where: str) -> None:
    """8 rows of 8 ints in 0..16, as `load_digits` gives an image."""
    rows_ok = isinstance(pixels, (list, tuple)) and len(pixels) == 8
    if not rows_ok or not all(isinstance(row, (list, tuple)) and len(row) == 8 for row in pixels):
        raise TypeError(
            f"{where}: expected an image of 8 rows of 8 pixels (as load_digits gives), got {pixels!r:.60}"
        )
    for row in pixels:
        for p in row:
            if isinstance(p, bool) or not isinstance(p, int) or not 0 <= p <= 16:
                raise ValueError(f"{where}: pixels are ints in 0..16, got {p!r:.40}")
