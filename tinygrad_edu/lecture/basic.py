"""The blocks that read one thing at a time: EmbedToken, FeedForward, and
Conv and MaxPool for images. Each is a thin layer over a module of
`tinygrad_edu.nn`, which does the math."""

from __future__ import annotations

from collections.abc import Sequence

from ..checks import check_flag, check_ids, check_size, is_batch
from ..engine import Value
from ..nn import Conv2d, Embedding, MaxPool2d, PositionalEmbedding
from ..nn import FeedForward as _FeedForward
from .block import Block, expect_image, expect_sequence, expect_vector

__all__ = ["Conv", "EmbedToken", "FeedForward", "MaxPool"]


class EmbedToken(Block):
    """EmbedToken(x): a token -> its vector; a sequence of tokens -> one vector each.

    A table E of `vocab` rows of `dim` numbers; EmbedToken(y) = E[y], row y,
    learned. ``positions=n`` adds a learned vector per position (GPT's and
    BERT's), for sequences of at most n tokens: EmbedToken(x)_t = E[x_t] + P[t].
    Wraps `nn.Embedding` (and `nn.PositionalEmbedding`).

    Shapes: an int -> (dim,); a list of T ids -> (T, dim).

        >>> import random; random.seed(0)
        >>> embed = EmbedToken(5, 3)
        >>> len(embed(2)), len(embed([2, 0, 4]))
        (3, 3)
    """

    takes, gives = "token ids", "sequence"

    def __init__(self, vocab: int, dim: int, *, positions: int | None = None) -> None:
        check_size(vocab, "EmbedToken", "vocab")
        check_size(dim, "EmbedToken", "dim")
        self.table = Embedding(vocab, dim)
        if positions is not None:
            self.positions = PositionalEmbedding(positions, dim)
        self.vocab, self.dim = vocab, dim
        self.out_dim = dim

    def __call__(self, tokens: int | Sequence[int]) -> list[Value] | list[list[Value]]:
        if type(tokens) is int:  # one token: its vector
            return self([tokens])[0]
        check_ids(tokens, self.vocab, self)  # named as the block the learner called
        xs = self.table(tokens)  # (T, dim): the rows themselves
        if hasattr(self, "positions"):
            xs = self.positions(xs)  # (T, dim): E[x_t] + P[t]
        return xs

    def extra_repr(self) -> str:
        text = f"{self.vocab}, {self.dim}"
        if hasattr(self, "positions"):
            text += f", positions={self.positions.block_size}"
        return text


class FeedForward(Block):
    """FeedForward(x) = W2 ReLU(W1 x): a vector -> a vector of the same width.

    W1 widens to `hidden` (4 * dim by default), ReLU bends, W2 projects back
    (with biases, as PyTorch's layers have; ``bias=False`` gives the formula
    exactly). On a sequence it is applied to each vector on its own
    (position-wise): (T, dim) -> (T, dim). Wraps `nn.FeedForward`.

        >>> import random; random.seed(0)
        >>> ff = FeedForward(4, 8)
        >>> len(ff([1.0, 0.0, -1.0, 0.5])), len(ff([[1.0, 0.0, -1.0, 0.5]] * 3))
        (4, 3)
    """

    position_wise = True

    def __init__(self, dim: int, hidden: int | None = None, *, bias: bool = True) -> None:
        check_size(dim, "FeedForward", "dim")
        check_flag(bias, "FeedForward", "bias")
        self.ff = _FeedForward(dim, hidden, "relu", bias)
        self.in_dim = self.out_dim = dim

    def __call__(self, x: Sequence) -> list:
        if is_batch(x):  # a sequence: each position on its own
            expect_sequence(self, x, self.in_dim)
            return self.ff(x)
        expect_vector(self, x, self.in_dim)
        return self.ff([x])[0]

    def extra_repr(self) -> str:
        return f"{self.in_dim}, {self.ff.fc.out_features}"


class Conv(Block):
    """Conv(x): the same small filter slid over every position of an image.

    [C_in][H][W] -> [C_out][H][W]: `size` x `size` filters with zero
    padding size // 2, so an odd size keeps the image's height and width.
    Wraps `nn.Conv2d` (out[o][i][j] = b[o] + sum of w[o] times the patch under it).

        >>> import random; random.seed(0)
        >>> from tinygrad_edu.nn import shape_of
        >>> shape_of(Conv(1, 4)([[[0.0] * 8] * 8]))
        (4, 8, 8)
    """

    takes, gives = "image", "image"

    def __init__(self, in_channels: int, out_channels: int, size: int = 3) -> None:
        check_size(size, "Conv", "size")
        self.conv = Conv2d(in_channels, out_channels, size, padding=size // 2)
        self.in_dim, self.out_dim = in_channels, out_channels

    def __call__(self, image: Sequence) -> list:
        expect_image(self, image, self.in_dim)
        return self.conv(image)

    def extra_repr(self) -> str:
        return f"{self.in_dim}, {self.out_dim}, size={self.conv.kernel_size[0]}"


class MaxPool(Block):
    """MaxPool(x): the largest number in each `size` x `size` window, per channel.

    [C][H][W] -> [C][H // size][W // size] (windows side by side). Wraps
    `nn.MaxPool2d`; its gradient goes to each window's largest entry.

        >>> from tinygrad_edu.nn import shape_of
        >>> shape_of(MaxPool(2)([[[1.0, 2.0], [3.0, 4.0]]]))
        (1, 1, 1)
    """

    takes, gives = "image", "image"

    def __init__(self, size: int = 2) -> None:
        check_size(size, "MaxPool", "size")
        self.pool = MaxPool2d(size)

    def __call__(self, image: Sequence) -> list:
        expect_image(self, image, None)
        return self.pool(image)

    def extra_repr(self) -> str:
        return f"{self.pool.kernel_size[0]}"
