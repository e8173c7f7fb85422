"""What every block of the lecture shares: what it reads and gives, and the
checks that say so before anything is computed.

A block reads one kind of data and gives one kind (``"token ids"``,
``"vector"``, ``"sequence"`` of vectors, ``"image"`` [C][H][W]) of a known
width (`in_dim`, `out_dim`; None when any width will do). Two blocks
composed must agree, and `connect` says so when the model is built, not
when data first flows through it:

    >>> from tinygrad_edu.lecture import EmbedToken, LSTM, SequenceRNN
    >>> connect("LanguageModel", EmbedToken(27, 16), SequenceRNN(LSTM(8)))
    Traceback (most recent call last):
    ...
    ValueError: LanguageModel: SequenceRNN(LSTM(8)) reads vectors of width 8, but EmbedToken(27, 16) gives vectors of width 16

A block called with the wrong shape names itself and both shapes:

    >>> SequenceRNN(LSTM(16))([0.0] * 16)
    Traceback (most recent call last):
    ...
    TypeError: SequenceRNN(LSTM(16)): expected a sequence (T, 16), got a vector (16,); wrap one vector as [x]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..checks import check_sequence, describe, nesting_depth
from ..nn import Collapse, Module

__all__ = [
    "Block",
    "check_width",
    "connect",
    "expect_image",
    "expect_sequence",
    "expect_vector",
    "in_words",
    "kind_of",
]

KINDS = ("token ids", "vector", "sequence", "image")


class Block(Module):
    """A block of the lecture: a Module that says what it reads and gives.

    Subclasses set `takes` and `gives` (one of KINDS), `in_dim` and
    `out_dim`, and write `formula`: the block applied to `x` in the
    lecture's notation. `repr` is one line, the block and its sizes.
    """

    takes = "vector"
    gives = "vector"
    in_dim: int | None = None
    out_dim: int | None = None
    causal = True  # a sequence block whose output at t reads only positions <= t

    def formula(self, x: str = "x") -> str:
        """The block applied to `x`, as the lecture writes it."""
        return f"{type(self).__name__}({x})"

    def __repr__(self) -> str:
        return describe(self)


def kind_of(block: Any) -> tuple[str, str, int | None, int | None]:
    """(takes, gives, in_dim, out_dim) of a lecture block; `nn.Collapse` (which
    the lecture reuses as it is) turns a sequence of any width into a vector."""
    if isinstance(block, Block):
        return block.takes, block.gives, block.in_dim, block.out_dim
    if isinstance(block, Collapse):
        return "sequence", "vector", None, None
    raise TypeError(f"expected a block of tinygrad_edu.lecture, got {type(block).__name__}")


def connect(where: str, giver: Any, taker: Any) -> None:
    """Check that `taker` can read what `giver` gives: the same kind of
    data, and the same width when both widths are known."""
    gives, takes = kind_of(giver)[1], kind_of(taker)[0]
    if gives != takes and not (gives == "sequence" and takes == "vector" and _position_wise(taker)):
        raise TypeError(f"{where}: {taker!r} reads a {takes}, but {giver!r} gives a {gives}")
    check_width(where, giver, taker)


def check_width(where: str, giver: Any, taker: Any) -> None:
    """The width `giver` gives must be the one `taker` reads, when both are known."""
    out_dim, in_dim = kind_of(giver)[3], kind_of(taker)[2]
    if in_dim is not None and out_dim is not None and in_dim != out_dim:
        raise ValueError(
            f"{where}: {taker!r} reads vectors of width {in_dim}, but {giver!r} gives vectors of width {out_dim}"
        )


def _position_wise(block: Any) -> bool:
    """A vector block that also maps a sequence, one position at a time."""
    return getattr(block, "position_wise", False)


def in_words(x: Any) -> str:
    """What was passed, with its shape: 'a vector (16,)', 'a sequence (3, 8)'."""
    depth = nesting_depth(x)
    if depth == 0:
        if isinstance(x, (list, tuple)):
            return "an empty list"
        return f"a {type(x).__name__}"
    shape, y = [], x
    while isinstance(y, (list, tuple)) and y:
        shape.append(len(y))
        y = y[0]
    kind = {1: "a vector", 2: "a sequence", 3: "an image"}.get(depth, "nested lists")
    return f"{kind} {tuple(shape)}"


def _width(dim: int | None) -> str:
    return "d" if dim is None else str(dim)


def expect_sequence(block: Block, xs: Sequence, dim: int | None) -> None:
    """A sequence of vectors of width `dim` (any width if None), or an error
    naming the block, the shape it wants and the shape it got."""
    depth = nesting_depth(xs)
    wanted = f"a sequence (T, {_width(dim)})"
    if depth != 2:
        hint = "; wrap one vector as [x]" if depth == 1 else ""
        raise TypeError(f"{describe(block)}: expected {wanted}, got {in_words(xs)}{hint}")
    if dim is not None and len(xs[0]) != dim:
        raise ValueError(f"{describe(block)}: expected {wanted}, got {in_words(xs)}")
    check_sequence(xs, len(xs[0]), block)  # every vector as wide as the first


def expect_vector(block: Block, x: Sequence, dim: int | None) -> None:
    """One vector of width `dim`, or an error naming the block and both shapes."""
    depth = nesting_depth(x)
    wanted = f"a vector ({_width(dim)},)"
    if depth != 1:
        hint = "; Collapse a sequence to one vector first" if depth == 2 else ""
        raise TypeError(f"{describe(block)}: expected {wanted}, got {in_words(x)}{hint}")
    if dim is not None and len(x) != dim:
        raise ValueError(f"{describe(block)}: expected {wanted}, got {in_words(x)}")


def expect_image(block: Block, x: Sequence, channels: int | None) -> None:
    """An image [C][H][W] with `channels` channels, or an error naming the block."""
    depth = nesting_depth(x)
    wanted = f"an image [C={_width(channels)}][H][W]"
    if depth != 3:
        raise TypeError(f"{describe(block)}: expected {wanted}, got {in_words(x)}")
    if channels is not None and len(x) != channels:
        raise ValueError(f"{describe(block)}: expected {wanted}, got {in_words(x)}")
