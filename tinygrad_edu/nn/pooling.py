"""Pooling: many numbers in, one out, to summarise and to shrink.

A classifier needs ONE vector at the end, however long the sentence or
however large the image. `Collapse` makes it from a sequence of vectors (a
list of T vectors of d numbers, (T, d)), one coordinate at a time:

    mean:   out[j] = (x_0[j] + ... + x_{T-1}[j]) / T     every position votes
    max:    out[j] = max_t x_t[j]                         the strongest one wins
    first:  out    = x_0                                  a [CLS] position, as in BERT
    last:   out    = x_{T-1}                              what an RNN has read by the end

PyTorch has no layer for this: code writes it by hand, most often as mean
pooling, ``hidden.mean(dim=1)`` (sentence embeddings; for images
``x.mean(dim=(2, 3))``, the global average pooling of a ResNet), or as the
[CLS] vector, ``hidden[:, 0]`` (BERT's pooler). On a feature map [C][H][W]
(C channels of H rows of W numbers) "mean" and "max" pool each channel over
all its positions, to a vector of C: global pooling, as
``nn.AdaptiveAvgPool2d(1)`` and ``nn.AdaptiveMaxPool2d(1)`` then a flatten.

The gradient of "max" goes to the winner alone (`Value.max`: on a tie, the
first maximal entry, as ``torch.max(x, dim)`` does); "mean" gives each entry
1/T of it.

    >>> from tinygrad_edu import Value
    >>> xs = [[Value(1.0), Value(-2.0)], [Value(3.0), Value(0.0)]]   # (T=2, d=2)
    >>> [v.data for v in Collapse("mean")(xs)], [v.data for v in Collapse("max")(xs)]
    ([2.0, -1.0], [3.0, 0.0])
    >>> Collapse("first")(xs) == xs[0]     # the vector itself, not a copy of its numbers
    True
    >>> [v.data for v in Collapse("max")([[[1.0, 5.0], [2.0, 0.0]]])]   # [C=1][H=2][W=2] -> [C]
    [5.0]
"""

from __future__ import annotations

from collections.abc import Sequence

from ..engine import Value
from .embedding import describe
from .linear import in_module
from .module import Module

__all__ = ["Collapse", "check_nested"]

COLLAPSE_MODES = ("mean", "max", "first", "last")


def check_nested(x: Sequence, layout: str, module: Module) -> tuple[int, ...]:
    """The shape of `x`, checked to be rectangular nested lists with one level
    per axis of `layout` (``"[C][H][W]"``, ``"[C][L]"``, ``"[T][d]"``).

    Raises a TypeError naming the module for the wrong nesting (a flat image
    where channels of rows go) and a ValueError for a ragged or empty axis.
    The entries themselves are checked by the ops they reach.

        >>> check_nested([[[1.0, 2.0], [3.0, 4.0]]], "[C][H][W]", Collapse())
        (1, 2, 2)
    """
    axes = layout.strip("[]").split("][")
    level = [x]
    shape = []
    for depth, axis in enumerate(axes):
        for item in level:
            if type(item) is not list and type(item) is not tuple:
                raise TypeError(
                    f"{describe(module)}: expected {layout}, {len(axes)} levels of lists, got "
                    f"{_nesting(x)}" + (f" (at level {depth}, a {type(item).__name__})" if depth else "")
                )
        size = len(level[0])
        if size == 0:
            raise ValueError(f"{describe(module)}: expected {layout}, but axis {axis} is empty")
        for item in level:
            if len(item) != size:
                raise ValueError(
                    f"{describe(module)}: expected {layout} with every {axis} the same, got a ragged input "
                    f"({axis} is {size} in the first list, {len(item)} in another)"
                )
        shape.append(size)
        level = [y for item in level for y in item]
    if type(level[0]) is list or type(level[0]) is tuple:
        raise TypeError(
            f"{describe(module)}: expected {layout}, {len(axes)} levels of lists, got {_nesting(x)}"
        )
    return tuple(shape)


def _nesting(x) -> str:
    """What a learner passed, in words: 'a flat list of 64 numbers', 'nested lists of shape (1, 8, 8)'."""
    if type(x) is not list and type(x) is not tuple:
        return f"a {type(x).__name__}"
    shape = []
    while type(x) is list or type(x) is tuple:
        shape.append(len(x))
        if not x:
            break
        x = x[0]
    if len(shape) == 1:
        return f"a flat list of {shape[0]} numbers"
    return f"nested lists of shape {tuple(shape)}"


def _depth(x) -> int:
    """How many levels of lists `x` has, following the first entries."""
    depth = 0
    while (type(x) is list or type(x) is tuple) and x:
        depth += 1
        x = x[0]
    return depth


class Collapse(Module):
    """A sequence (T, d) to one vector (d,), or a feature map [C][H][W] to (C,),
    by `mode`: "mean", "max", "first" or "last" (see the module docstring).

    No parameters: it is a choice of how to summarise, like a pooling layer.
    """

    def __init__(self, mode: str = "mean") -> None:
        if not isinstance(mode, str) or mode not in COLLAPSE_MODES:
            raise ValueError(f"Collapse: unknown mode {mode!r}; expected one of {COLLAPSE_MODES}")
        self.mode = mode

    def __call__(self, xs: Sequence) -> list:
        if _depth(xs) == 3:  # a feature map: pool each channel over all its positions
            if self.mode not in ("mean", "max"):
                raise ValueError(
                    f"{describe(self)}: a feature map [C][H][W] has no first or last position; "
                    "use mode 'mean' or 'max' (global pooling), or Flatten"
                )
            check_nested(xs, "[C][H][W]", self)
            columns = [[v for row in channel for v in row] for channel in xs]  # (C, H*W)
        else:
            T, d = check_nested(xs, "[T][d]", self)
            if self.mode == "first":
                return list(xs[0])  # (d,)
            if self.mode == "last":
                return list(xs[-1])  # (d,)
            columns = [list(column) for column in zip(*xs)]  # (d, T): column j holds x_t[j] for every t
        try:
            if self.mode == "max":
                return [Value.max(column) for column in columns]
            return [Value.sum(column) * (1.0 / len(column)) for column in columns]
        except TypeError as error:  # an entry that is not a number
            raise in_module(self, error) from None

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}"
