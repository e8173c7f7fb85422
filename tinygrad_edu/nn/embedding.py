"""Token embeddings and positional encodings: from ids to vectors.

A language model sees text as a list of integer ids. An `Embedding` is a
table with one learned row per id: looking a token up *is* the forward pass,
and the gradient of the loss lands on the rows that were looked up, nowhere
else. Attention itself ignores order (it is a weighted sum), so a position
signal is added to each vector: a learned table (`PositionalEmbedding`, as in
GPT-2) or fixed sines and cosines (`SinusoidalPositionalEncoding`, as in
"Attention Is All You Need").

    >>> import random; random.seed(0)
    >>> from tinygrad_edu.nn import shape_of
    >>> wte = Embedding(5, 3)                # 5 token ids, 3 numbers each
    >>> wpe = PositionalEmbedding(4, 3)      # at most 4 positions
    >>> xs = wpe(wte([2, 0, 2]))             # a sequence: 3 vectors of 3 Values
    >>> len(xs), len(xs[0])
    (3, 3)
    >>> [(name, shape_of(t)) for name, t in wte.named_parameters()]  # as torch.nn.Embedding
    [('weight', (5, 3))]
    >>> wpe([[0.0] * 3] * 5)
    Traceback (most recent call last):
    ...
    ValueError: PositionalEmbedding(4, 3): got a sequence of 5 vectors, but the context holds 4 positions
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from ..checks import (
    INPUT_ERRORS,
    check_ids,
    check_parameter_count,
    check_sequence,
    check_size,
    describe,
    in_module,
)
from ..engine import Operand, Value
from .module import Module

__all__ = [
    "Embedding",
    "PositionalEmbedding",
    "SinusoidalPositionalEncoding",
    "check_ids",
    "check_sequence",
    "describe",
    "sinusoidal_table",
]

# A vector is a list of Values (or numbers); a sequence is a list of vectors.
Vector = Sequence[Operand]


class Embedding(Module):
    """A lookup table: token id i -> row i of `weight` (num_embeddings, embedding_dim).

    Initialised from N(0, 1) like `torch.nn.Embedding`. The rows returned are
    the parameters themselves (no copy), so backward() accumulates the
    gradient of every use of a token into its row.

        >>> import random; random.seed(0)
        >>> emb = Embedding(3, 2)
        >>> emb
        Embedding(3, 2)
        >>> rows = emb([1, 1])
        >>> rows[0] is emb.weight[1] and rows[1] is emb.weight[1]
        True
        >>> emb([3])
        Traceback (most recent call last):
        ...
        ValueError: Embedding(3, 2): token id 3 at position 0 is out of range; expected 0 <= id < 3
    """

    def __init__(self, num_embeddings: int, embedding_dim: int) -> None:
        check_size(num_embeddings, "Embedding", "num_embeddings")
        check_size(embedding_dim, "Embedding", "embedding_dim")
        check_parameter_count(num_embeddings * embedding_dim, f"Embedding({num_embeddings}, {embedding_dim})")
        self.weight = [
            [Value(random.gauss(0.0, 1.0)) for _ in range(embedding_dim)] for _ in range(num_embeddings)
        ]
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim

    def __call__(self, ids: Sequence[int]) -> list[list[Value]]:
        check_ids(ids, self.num_embeddings, self)
        weight = self.weight
        return [weight[i] for i in ids]

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


class PositionalEmbedding(Module):
    """Learned positions (GPT-2's ``wpe``): adds row t of `weight` to vector t.

    `weight` is (block_size, embedding_dim), the shape of the
    `torch.nn.Embedding(block_size, embedding_dim)` that nanoGPT uses for it;
    N(0, 1) init like that Embedding. Its call takes the token vectors and
    returns ``x_t + weight[t]`` for each position t: T vectors in, T out.
    """

    def __init__(self, block_size: int, embedding_dim: int) -> None:
        check_size(block_size, "PositionalEmbedding", "block_size")
        check_size(embedding_dim, "PositionalEmbedding", "embedding_dim")
        check_parameter_count(
            block_size * embedding_dim, f"PositionalEmbedding({block_size}, {embedding_dim})"
        )
        self.weight = [
            [Value(random.gauss(0.0, 1.0)) for _ in range(embedding_dim)] for _ in range(block_size)
        ]
        self.block_size = block_size
        self.embedding_dim = embedding_dim

    def __call__(self, xs: Sequence[Vector]) -> list[list[Value]]:
        check_sequence(xs, self.embedding_dim, self, max_len=self.block_size)
        try:
            # One '+' node per number: x_t[i] + p_t[i].
            return [[x + p for x, p in zip(vec, row)] for vec, row in zip(xs, self.weight)]
        except INPUT_ERRORS as error:  # an entry that is not a number
            raise in_module(self, error) from None

    def extra_repr(self) -> str:
        return f"{self.block_size}, {self.embedding_dim}"


class SinusoidalPositionalEncoding(Module):
    """Fixed positions ("Attention Is All You Need"): adds `sinusoidal_table` row t.

    No parameters: the table is plain numbers, so the optimizer never sees
    it. Each pair of columns is a sine and a cosine of the position at one
    frequency; the frequencies fall geometrically from 1 to 1/10000, so
    nearby positions differ in the fast columns and far ones in the slow.

        >>> pe = SinusoidalPositionalEncoding(8, 4)
        >>> pe.parameters()
        []
        >>> [round(v.data, 4) for v in pe([[0.0] * 4, [0.0] * 4])[1]]  # sin 1, cos 1, sin .01, cos .01
        [0.8415, 0.5403, 0.01, 1.0]
    """

    def __init__(self, max_len: int, d_model: int) -> None:
        check_size(max_len, "SinusoidalPositionalEncoding", "max_len")
        check_size(d_model, "SinusoidalPositionalEncoding", "d_model")
        self.table = sinusoidal_table(max_len, d_model)  # floats: not a parameter
        self.max_len = max_len
        self.d_model = d_model

    def __call__(self, xs: Sequence[Vector], start: int = 0) -> list[list[Value]]:
        """x_t + PE[start + t] for each x_t: `start` is the position of the
        first vector (a decoder fed one word at a time passes its position)."""
        if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start < self.max_len:
            raise ValueError(
                f"{describe(self)}: start must be a position in 0..{self.max_len - 1}, got {start!r}"
            )
        check_sequence(xs, self.d_model, self, max_len=self.max_len - start)
        try:
            return [[x + p for x, p in zip(_as_values(vec), row)] for vec, row in zip(xs, self.table[start:])]
        except INPUT_ERRORS as error:  # an entry that is not a number
            raise in_module(self, error) from None

    def extra_repr(self) -> str:
        return f"{self.max_len}, {self.d_model}"


def sinusoidal_table(n_positions: int, d_model: int) -> list[list[float]]:
    """PE[pos][2i] = sin(pos / 10000**(2i/d)), PE[pos][2i+1] = cos(pos / 10000**(2i/d)).

    An odd `d_model` ends with a lone sine column.

        >>> [[round(v, 3) for v in row] for row in sinusoidal_table(2, 2)]
        [[0.0, 1.0], [0.841, 0.54]]
    """
    check_size(n_positions, "sinusoidal_table", "n_positions")
    check_size(d_model, "sinusoidal_table", "d_model")
    table = []
    for pos in range(n_positions):
        row = []
        for i in range(d_model):
            angle = pos / 10000.0 ** (2 * (i // 2) / d_model)
            row.append(math.sin(angle) if i % 2 == 0 else math.cos(angle))
        table.append(row)
    return table


# --------------------------------------------------------------------- checks


def _as_values(vec: Vector) -> list[Value]:
    return [v if isinstance(v, Value) else Value(v) for v in vec]
