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

from ..checks import INPUT_ERRORS, check_flag, check_sequence, check_size, check_vector, describe, in_module
from ..engine import Operand, Value
from ..functional import softmax
from .linear import Linear
from .module import Module

__all__ = ["AttentionHead", "CrossAttention", "MultiHeadAttention", "attend", "causal_mask"]

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
    check_size(T, "causal_mask", "T")
    return [[s <= t for s in range(T)] for t in range(T)]


def attend(
    scores: Sequence[Sequence[Value]], values: Sequence[Vector]
) -> tuple[list[list[Value]], list[list[float]]]:
    """The one path from scores to outputs, shared by every attention here.

    `scores[t]` holds query t's scores for the first ``len(scores[t])`` of
    the T_k `values` (a causal query sees fewer); each row goes through the
    softmax and weighs the values it saw. Returns the outputs (T_q, d_v) and
    the weights as plain floats (T_q, T_k), the keys a query did not see at
    exactly 0.0.

        >>> outs, weights = attend([[Value(0.0), Value(0.0)], [Value(1.0)]], [[2.0], [4.0]])
        >>> [[round(o.data, 2) for o in row] for row in outs], weights
        ([[3.0], [2.0]], [[0.5, 0.5], [1.0, 0.0]])
    """
    v_columns = [list(column) for column in zip(*values)]  # (d_v, T_k): column j holds v_s[j] for every s
    T_k = len(values)
    outs: list[list[Value]] = []
    weights: list[list[float]] = []
    for row in scores:
        seen = len(row)
        att = softmax(row)  # (seen,): what a query may not see is not in the softmax at all
        outs.append([Value.dot(att, column if seen == T_k else column[:seen]) for column in v_columns])
        weights.append([a.data for a in att] + [0.0] * (T_k - seen))  # (T_k,)
    return outs, weights


def _first_width(xs: Sequence[Vector]) -> int:
    """The length of the first vector of `xs`, the width the rest must have
    (-1 if there is no first vector: `check_sequence` then says what is wrong)."""
    if isinstance(xs, Sequence) and xs and isinstance(xs[0], Sequence):
        return len(xs[0])
    return -1


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
        check_size(d_model, "AttentionHead", "d_model")
        check_size(d_head, "AttentionHead", "d_head")
        check_flag(causal, "AttentionHead", "causal")
        check_flag(bias, "AttentionHead", "bias")
        self.query = Linear(d_model, d_head, bias=bias)
        self.key = Linear(d_model, d_head, bias=bias)
        self.value = Linear(d_model, d_head, bias=bias)
        self.d_model = d_model
        self.d_head = d_head
        self.causal = bool(causal)
        self.last_attention: list[list[float]] = []  # floats, so not a parameter

    def __call__(self, xs: Sequence[Vector], memory: Sequence[Vector] | None = None) -> list[list[Value]]:
        check_sequence(xs, self.d_model, self)
        source = xs if memory is None else self._check_memory(memory)  # where keys and values come from
        try:
            qs = self._scaled_queries(xs)  # (T_q, d_head)
        except INPUT_ERRORS as error:  # an entry of x that is not a number
            raise in_module(self, error) from None
        try:
            ks = self.key(source)  # (T_k, d_head)
        except INPUT_ERRORS as error:
            if memory is None:  # xs passed the query, so the key's own weights are wrong: it said so
                raise
            raise in_module(self, error) from None  # an entry of the memory that is not a number
        vs = self.value(source)  # (T_k, d_head)
        scores = [
            [Value.dot(q, ks[s]) for s in range(t + 1 if self.causal else len(ks))]  # (seen,)
            for t, q in enumerate(qs)
        ]  # (T_q, seen_t): a causal query scores only s <= t
        outs, self.last_attention = attend(scores, vs)  # (T_q, d_head), (T_q, T_k) floats
        return outs

    def read(self, x: Vector, keys: Sequence[Vector], values: Sequence[Vector]) -> list[Value]:
        """One query position against keys and values already made (a
        key-value cache, for decoding word by word): (d_head,) out, and
        `last_attention` one row long."""
        q = self._scaled_queries([x])[0]
        outs, self.last_attention = attend([[Value.dot(q, k) for k in keys]], values)
        return outs[0]

    def _scaled_queries(self, xs: Sequence[Vector]) -> list[list[Value]]:
        """q / sqrt(d_head) for each x. Multiplying q by 1/sqrt(d_head) once is
        the same as dividing each of its T_k scores, in d_head nodes instead
        of T_k. The scaling keeps the scores' spread near 1 however wide the
        head, so the softmax starts soft instead of picking one position."""
        scale = 1.0 / math.sqrt(self.d_head)
        return [[q * scale for q in row] for row in self.query(xs)]

    def _check_memory(self, memory: Sequence[Vector]) -> Sequence[Vector]:
        if self.causal:
            raise ValueError(
                f"{describe(self)}: a causal head attends to its own sequence; cross-attention "
                "to a memory needs causal=False"
            )
        check_sequence(memory, self.d_model, self)
        return memory

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
        check_size(d_model, "MultiHeadAttention", "d_model")
        check_size(n_head, "MultiHeadAttention", "n_head")
        check_flag(causal, "MultiHeadAttention", "causal")
        check_flag(bias, "MultiHeadAttention", "bias")
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

    def __call__(self, xs: Sequence[Vector], memory: Sequence[Vector] | None = None) -> list[list[Value]]:
        """Self-attention over `xs`, or, given a `memory` (T_k, d_model),
        cross-attention: queries from `xs`, keys and values from the memory
        (a decoder reading its encoder). Either way (T_q, d_model) out."""
        check_sequence(xs, self.d_model, self)
        if memory is not None:
            check_sequence(memory, self.d_model, self)
        try:
            xs = [[x if isinstance(x, Value) else Value(x) for x in vec] for vec in xs]  # wrap numbers once
            if memory is not None:
                memory = [[m if isinstance(m, Value) else Value(m) for m in vec] for vec in memory]
        except INPUT_ERRORS as error:  # an entry that is not a number
            raise in_module(self, error) from None
        per_head = [head(xs, memory) for head in self.heads]  # n_head x (T, d_head)
        concat = [[v for head_out in per_head for v in head_out[t]] for t in range(len(xs))]  # (T, d_model)
        return self.proj(concat)  # (T, d_model)

    def step(
        self, x: Vector, cache: tuple | None = None, memory: Sequence[Vector] | None = None
    ) -> tuple[list[Value], tuple]:
        """One new position at a time, as a decoder writes: returns (the
        output at `x`, the cache to pass with the next position). The output
        is the last row of ``self(xs)`` (or ``self(xs, memory)``) for xs =
        every position so far, without computing the earlier rows again.

        The cache holds each head's keys and values (None at the first
        step). Causal self-attention: the new position's key and value join
        those of the positions before it, all a causal query may see.
        Cross-attention (given the `memory`): the memory's keys and values,
        made at the first step and read at every later one."""
        check_vector(x, self.d_model, self)
        if memory is None and not self.causal:
            raise ValueError(
                f"{describe(self)}: self-attention without a causal mask reads later positions too, "
                "so it cannot run one position at a time"
            )
        if memory is not None and self.causal:
            raise ValueError(f"{describe(self)}: a causal attention reads its own positions, not a memory")
        if memory is not None and cache is None:
            check_sequence(memory, self.d_model, self)
        if cache is None:
            cache = tuple(
                ((), ()) if memory is None else (tuple(head.key(memory)), tuple(head.value(memory)))
                for head in self.heads
            )
        if memory is None:  # this position's keys and values join the cache
            cache = tuple(
                (keys + tuple(head.key([x])), values + tuple(head.value([x])))
                for head, (keys, values) in zip(self.heads, cache)
            )
        per_head = [head.read(x, keys, values) for head, (keys, values) in zip(self.heads, cache)]
        return self.proj([[v for out in per_head for v in out]])[0], cache

    @property
    def last_attention(self) -> list[list[list[float]]]:
        """Each head's `last_attention`: n_head maps of T x T floats."""
        return [head.last_attention for head in self.heads]

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, n_head={self.n_head}, causal={self.causal}"


SCORINGS = ("dot", "additive")


class CrossAttention(Module):
    """Attention from one sequence to another, as in RNN translation models.

    The queries q_t are the decoder's states, the memory m_s the encoder's;
    each query scores every memory position, and its output, the *context*,
    is the weighted sum of the memory vectors themselves (no value map, as in
    Bahdanau et al. 2015 and Luong et al. 2015):

    * ``scoring="dot"`` (Luong's "general"): score(q, m) = (W q) . m, with
      `query` = W a Linear(d_query, d_memory, bias=False). No 1/sqrt(d)
      scaling: Luong has none, and W learns the scale.
    * ``scoring="additive"`` (Bahdanau's): score(q, m) = v . tanh(W q + U m),
      with `query` = W (d_query -> d_attn, no bias), `key` = U (d_memory ->
      d_attn, with the bias) and `energy` = v (d_attn -> 1, no bias).

    Scores -> softmax -> weighted sum is `attend`, the path every head here
    shares. (T_q, d_query), (T_k, d_memory) -> (T_q, d_memory). Given
    ``values`` (T_k vectors of any width d_v), the weights average those
    instead of the memory: the memory decides where to look, the values what
    is read there; (T_q, d_v). After each call `last_attention` holds the
    T_q x T_k weights as plain floats.

        >>> import random; random.seed(0)
        >>> cross = CrossAttention(d_query=3, d_memory=2, scoring="additive", d_attn=4)
        >>> cross
        CrossAttention(d_query=3, d_memory=2, scoring='additive', d_attn=4)
          (query): Linear(in_features=3, out_features=4, bias=False)
          (key): Linear(in_features=2, out_features=4, bias=True)
          (energy): Linear(in_features=4, out_features=1, bias=False)
        >>> memory = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]      # 3 source positions
        >>> contexts = cross([[0.5, -0.5, 1.0]], memory)       # 1 query -> 1 context
        >>> len(contexts), len(contexts[0])
        (1, 2)
        >>> [round(w, 2) for w in cross.last_attention[0]]     # where the query read from
        [0.29, 0.36, 0.35]
    """

    def __init__(self, d_query: int, d_memory: int, scoring: str = "dot", d_attn: int | None = None) -> None:
        check_size(d_query, "CrossAttention", "d_query")
        check_size(d_memory, "CrossAttention", "d_memory")
        if scoring not in SCORINGS:
            raise ValueError(f"CrossAttention: scoring must be one of {SCORINGS}, got {scoring!r}")
        if d_attn is not None and scoring == "dot":
            raise ValueError(
                "CrossAttention: d_attn sets the width of additive scoring; dot scoring has none"
            )
        if scoring == "additive":
            d_attn = d_memory if d_attn is None else d_attn
            check_size(d_attn, "CrossAttention", "d_attn")
            self.query = Linear(d_query, d_attn, bias=False)  # W
            self.key = Linear(d_memory, d_attn, bias=True)  # U (one bias is enough: W q + U m + b)
            self.energy = Linear(d_attn, 1, bias=False)  # v
        else:
            self.query = Linear(d_query, d_memory, bias=False)  # W of Luong's (W q) . m
        self.d_query = d_query
        self.d_memory = d_memory
        self.scoring = scoring
        self.d_attn = d_attn
        self.last_attention: list[list[float]] = []  # floats, so not a parameter

    def __call__(
        self, queries: Sequence[Vector], memory: Sequence[Vector], values: Sequence[Vector] | None = None
    ) -> list[list[Value]]:
        check_sequence(queries, self.d_query, self)
        check_sequence(memory, self.d_memory, self)
        if values is None:
            values = memory
        else:
            check_sequence(values, _first_width(values), self)
            if len(values) != len(memory):
                raise ValueError(
                    f"{describe(self)}: got {len(values)} value vectors for {len(memory)} memory vectors; "
                    "expected one for each memory position"
                )
        try:
            qs = self.query(queries)  # (T_q, d_memory) or (T_q, d_attn)
            if self.scoring == "dot":
                scores = [[Value.dot(q, m) for m in memory] for q in qs]  # (T_q, T_k)
            else:
                keys = self.key(memory)  # (T_k, d_attn): U m + b, once per memory vector
                w = self.energy.weight[0]  # (d_attn,): v
                scores = [
                    [Value.dot(w, [(a + b).tanh() for a, b in zip(q, k)]) for k in keys] for q in qs
                ]  # (T_q, T_k)
        except INPUT_ERRORS as error:  # an entry of a query or of the memory that is not a number
            raise in_module(self, error) from None
        outs, self.last_attention = attend(scores, values)  # (T_q, d_v), (T_q, T_k) floats
        return outs

    def extra_repr(self) -> str:
        text = f"d_query={self.d_query}, d_memory={self.d_memory}, scoring={self.scoring!r}"
        return text + (f", d_attn={self.d_attn}" if self.scoring == "additive" else "")
