"""Scaled dot-product attention: each position reads from the others.

For every position t a head makes three vectors from x_t: a query q_t ("what
am I looking for?"), a key k_t ("what do I offer?") and a value v_t ("what I
pass on"). Position t then scores every position s it may see by
q_t . k_s / sqrt(d_head), turns the scores into weights with a softmax, and
outputs the weighted sum of the values:

    out_t = sum_s softmax_s(q_t . k_s / sqrt(d_head)) * v_s

Causal attention (a language model must not peek at the next token) lets
position t see only s <= t. The future positions are *left out* of the
softmax, so their weight is exactly 0.0: there is no -inf or -1e9 added to a
score that could leak a tiny weight (or a NaN) through.

A sequence is a list of T vectors; the shape comments below say (T, d) for
"T vectors of d Values".

    >>> import random; random.seed(0)
    >>> head = AttentionHead(d_model=4, d_head=2, causal=True)
    >>> head
    AttentionHead(d_model=4, d_head=2, causal=True)
      (query): Linear(in_features=4, out_features=2, bias=False)
      (key): Linear(in_features=4, out_features=2, bias=False)
      (value): Linear(in_features=4, out_features=2, bias=False)
    >>> xs = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]
    >>> out = head(xs)  # (3, 4) -> (3, 2)
    >>> len(out), len(out[0])
    (3, 2)
    >>> [[round(w, 2) for w in row] for row in head.last_attention]  # row t: who t read from
    [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.32, 0.35, 0.33]]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..engine import Operand, Value
from ..functional import softmax
from .embedding import check_sequence
from .linear import INPUT_ERRORS, Linear, _check_flag, _check_size, in_module
from .module import Module

__all__ = ["AttentionHead", "MultiHeadAttention", "causal_mask"]

Vector = Sequence[Operand]


def causal_mask(T: int) -> list[list[bool]]:
    """mask[t][s] is True where query t may attend to key s (s <= t).

    The same lower triangle as ``torch.tril(torch.ones(T, T))`` in nanoGPT
    (and the opposite of the *disallowed* mask ``torch.nn.MultiheadAttention``
    takes).

        >>> for row in causal_mask(3): print([int(m) for m in row])
        [1, 0, 0]
        [1, 1, 0]
        [1, 1, 1]
    """
    _check_size(T, "causal_mask", "T")
    return [[s <= t for s in range(T)] for t in range(T)]


class AttentionHead(Module):
    """One head of self-attention: (T, d_model) -> (T, d_head).

    `query`, `key` and `value` are `Linear(d_model, d_head)` layers, weights
    (d_head, d_model) as in PyTorch, without bias by default (as the `Head` of
    Karpathy's "Let's build GPT"): a key bias adds the same q . b to every
    score of a row, which the softmax cancels exactly, and a value bias adds
    the same vector to every output (the weights sum to 1), which the next
    layer's bias can do. Pass ``bias=True`` to match a PyTorch layer that has
    them.

    After each call, `last_attention` holds the T x T weights as plain floats
    (row t = query position t, column s = key position s; each row sums to 1;
    masked entries are exactly 0.0), ready to plot.
    """

    def __init__(self, d_model: int, d_head: int, causal: bool = False, bias: bool = False) -> None:
        _check_size(d_model, "AttentionHead", "d_model")
        _check_size(d_head, "AttentionHead", "d_head")
        _check_flag(causal, "AttentionHead", "causal")
        _check_flag(bias, "AttentionHead", "bias")
        self.query = Linear(d_model, d_head, bias=bias)
        self.key = Linear(d_model, d_head, bias=bias)
        self.value = Linear(d_model, d_head, bias=bias)
        self.d_model = d_model
        self.d_head = d_head
        self.causal = bool(causal)
        self.last_attention: list[list[float]] = []  # floats, so not a parameter

    def __call__(self, xs: Sequence[Vector]) -> list[list[Value]]:
        check_sequence(xs, self.d_model, self)
        T = len(xs)
        # Multiplying q by 1/sqrt(d_head) once is the same as dividing each of
        # its T scores, in d_head nodes instead of T. The scaling keeps the
        # scores' spread near 1 however wide the head, so the softmax starts
        # soft instead of picking one position.
        scale = 1.0 / math.sqrt(self.d_head)
        try:
            qs = [[q * scale for q in self.query(x)] for x in xs]  # (T, d_head)
        except INPUT_ERRORS as error:  # an entry of x that is not a number
            raise in_module(self, error) from None
        ks = [self.key(x) for x in xs]  # (T, d_head)
        vs = [self.value(x) for x in xs]  # (T, d_head)
        v_columns = [list(column) for column in zip(*vs)]  # (d_head, T): column j holds v_s[j] for every s
        outs: list[list[Value]] = []
        weights: list[list[float]] = []
        for t in range(T):
            seen = t + 1 if self.causal else T  # positions 0..seen-1 are visible to t
            scores = [Value.dot(qs[t], ks[s]) for s in range(seen)]  # (seen,)
            att = softmax(scores)  # (seen,): the future is not in the softmax at all
            outs.append([Value.dot(att, column[:seen]) for column in v_columns])  # (d_head,)
            weights.append([a.data for a in att] + [0.0] * (T - seen))  # (T,)
        self.last_attention = weights
        return outs

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, d_head={self.d_head}, causal={self.causal}"


class MultiHeadAttention(Module):
    """n_head heads side by side, outputs concatenated, then a projection.

    (T, d_model) -> each head (T, d_model / n_head) -> concatenated (T, d_model)
    -> `proj`, a Linear(d_model, d_model) that mixes what the heads found (named
    as in Karpathy's "Let's build GPT"; PyTorch calls it ``out_proj``).
    `bias` applies to every projection, as in `torch.nn.MultiheadAttention`
    (there it is True by default; a key bias gets a gradient of exactly 0).

        >>> import random; random.seed(0)
        >>> from tinygrad_edu.nn import shape_of
        >>> mha = MultiHeadAttention(8, 2, causal=True)
        >>> [(name, shape_of(t)) for name, t in mha.named_parameters()][:3]
        [('heads.0.query.weight', (4, 8)), ('heads.0.key.weight', (4, 8)), ('heads.0.value.weight', (4, 8))]
        >>> len(mha([[0.1] * 8] * 5)), len(mha.last_attention)  # 5 positions; one map per head
        (5, 2)
    """

    def __init__(self, d_model: int, n_head: int, causal: bool = False, bias: bool = False) -> None:
        _check_size(d_model, "MultiHeadAttention", "d_model")
        _check_size(n_head, "MultiHeadAttention", "n_head")
        _check_flag(causal, "MultiHeadAttention", "causal")
        _check_flag(bias, "MultiHeadAttention", "bias")
        if d_model % n_head:
            raise ValueError(
                f"MultiHeadAttention: d_model={d_model} must be divisible by n_head={n_head} "
                "(each head gets d_model // n_head numbers)"
            )
        self.heads = [AttentionHead(d_model, d_model // n_head, causal, bias) for _ in range(n_head)]
        self.proj = Linear(d_model, d_model, bias=bias)
        self.d_model = d_model
        self.n_head = n_head
        self.causal = bool(causal)

    def __call__(self, xs: Sequence[Vector]) -> list[list[Value]]:
        check_sequence(xs, self.d_model, self)
        try:
            xs = [[x if isinstance(x, Value) else Value(x) for x in vec] for vec in xs]  # wrap numbers once
        except INPUT_ERRORS as error:  # an entry that is not a number
            raise in_module(self, error) from None
        per_head = [head(xs) for head in self.heads]  # n_head x (T, d_head)
        concat = [[v for head_out in per_head for v in head_out[t]] for t in range(len(xs))]  # (T, d_model)
        return [self.proj(c) for c in concat]  # (T, d_model)

    @property
    def last_attention(self) -> list[list[list[float]]]:
        """Each head's `last_attention`: n_head maps of T x T floats."""
        return [head.last_attention for head in self.heads]

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, n_head={self.n_head}, causal={self.causal}"
