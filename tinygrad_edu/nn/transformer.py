"""The transformer block, from scalar Values.

A block alternates two sub-layers, each wrapped in a residual connection:
attention (positions exchange information) and a feed-forward MLP (each
position thinks on its own). GPT-2 normalises *before* each sub-layer
("pre-norm", ``norm_first=True``, the default here); the original
Transformer normalised after adding the residual ("post-norm", the
`AddNorm` of its diagram).

    pre-norm:   x = x + attn(ln_1(x));        x = x + mlp(ln_2(x))
    post-norm:  x = addnorm_1(x, attn(x));    x = addnorm_2(x, mlp(x))

A whole decoder-only model built from these blocks, `GPT`, lives in
`tinygrad_edu.models.gpt`.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..checks import (
    INPUT_ERRORS,
    check_activation,
    check_flag,
    check_sequence,
    check_size,
    check_vector,
    describe,
    in_module,
)
from ..engine import Operand, Value
from .attention import MultiHeadAttention
from .linear import Linear, activate
from .module import Module
from .norm import NORMS, make_norm

__all__ = ["AddNorm", "FeedForward", "TransformerBlock", "TransformerDecoderBlock"]

Vector = Sequence[Operand]


class FeedForward(Module):
    """The per-position MLP of a block: d_model -> d_ff -> d_model.

    `fc` widens (d_ff = 4 * d_model by default, as in GPT), the activation
    (ReLU by default, as in microgpt) bends, `proj` projects back. (nanoGPT
    calls them c_fc and c_proj.) Applied to every vector of a sequence on its
    own: (T, d_model) -> (T, d_model).
    """

    def __init__(
        self, d_model: int, d_ff: int | None = None, activation: str = "relu", bias: bool = True
    ) -> None:
        check_size(d_model, "FeedForward", "d_model")
        if d_ff is not None:
            check_size(d_ff, "FeedForward", "d_ff")
        check_activation(activation, "FeedForward")
        check_flag(bias, "FeedForward", "bias")
        d_ff = 4 * d_model if d_ff is None else d_ff
        self.fc = Linear(d_model, d_ff, bias=bias)
        self.proj = Linear(d_ff, d_model, bias=bias)
        self.activation = activation

    def __call__(self, xs: Sequence[Vector]) -> list[list[Value]]:
        check_sequence(xs, self.fc.in_features, self)
        act = self.activation
        try:
            return self.proj([[activate(h, act) for h in row] for row in self.fc(xs)])
        except INPUT_ERRORS as error:  # an entry that is not a number
            raise in_module(self, error) from None

    def extra_repr(self) -> str:
        return (
            f"{self.fc.in_features} -> {self.fc.out_features} -> {self.proj.out_features}, {self.activation}"
        )


class AddNorm(Module):
    """ "Add & Norm" from the Transformer diagram: norm(x + sublayer(x)).

    Called with the sub-layer's input and output sequences, both (T, d):

        >>> add_norm = AddNorm(2)
        >>> [[round(v.data, 4) for v in vec] for vec in add_norm([[1.0, 2.0]], [[1.0, 0.0]])]
        [[0.0, 0.0]]
    """

    def __init__(self, d_model: int, norm: str = "layernorm", bias: bool = True) -> None:
        check_size(d_model, "AddNorm", "d_model")
        check_flag(bias, "AddNorm", "bias")
        self.norm = make_norm(norm, d_model, bias, where="AddNorm")
        self.d_model = d_model

    def __call__(self, xs: Sequence[Vector], ys: Sequence[Vector]) -> list[list[Value]]:
        check_sequence(xs, self.d_model, self)
        check_sequence(ys, self.d_model, self)
        if len(xs) != len(ys):
            raise ValueError(
                f"{describe(self)}: the residual has {len(xs)} vectors but the sub-layer output {len(ys)}"
            )
        try:
            return [self.norm([x + y for x, y in zip(xv, yv)]) for xv, yv in zip(xs, ys)]
        except INPUT_ERRORS as error:  # an entry that is not a number ("x" + 1.0 fails in Python itself)
            for what, seq in (("input", xs), ("sub-layer output", ys)):
                for t, vec in enumerate(seq):
                    for v in vec:
                        if type(v) is not Value and (isinstance(v, bool) or not isinstance(v, (int, float))):
                            raise TypeError(
                                f"{describe(self)}: vector {t} of the {what} holds {v!r:.40} "
                                f"(a {type(v).__name__}); expected numbers or Values"
                            ) from None
            raise in_module(self, error) from None

    def extra_repr(self) -> str:
        return f"{self.d_model}"


class TransformerBlock(Module):
    """Attention then feed-forward, each with a residual and a norm.

    (T, d_model) -> (T, d_model). `norm_first=True` is GPT-2's pre-norm (the
    residual path stays a clean sum, which trains deep stacks more easily);
    False is the original post-norm, built from two `AddNorm`s. The same
    switch as in `torch.nn.TransformerEncoderLayer`.
    """

    def __init__(
        self,
        d_model: int,
        n_head: int,
        d_ff: int | None = None,
        causal: bool = True,
        norm_first: bool = True,
        norm: str = "layernorm",
        bias: bool = True,
        activation: str = "relu",
    ) -> None:
        check_block_settings("TransformerBlock", d_model, n_head, d_ff, norm, activation)
        for flag, value in (("causal", causal), ("norm_first", norm_first), ("bias", bias)):
            check_flag(value, "TransformerBlock", flag)
        self.norm_first = bool(norm_first)
        # Attribute order is state_dict order: pre-norm reads ln_1, attn, ln_2, mlp.
        if self.norm_first:
            self.ln_1 = make_norm(norm, d_model, bias, where="TransformerBlock")
        self.attn = MultiHeadAttention(d_model, n_head, causal=causal, bias=bias)
        if self.norm_first:
            self.ln_2 = make_norm(norm, d_model, bias, where="TransformerBlock")
        else:
            self.addnorm_1 = AddNorm(d_model, norm, bias)
        self.mlp = FeedForward(d_model, d_ff, activation, bias)
        if not self.norm_first:
            self.addnorm_2 = AddNorm(d_model, norm, bias)
        self.d_model = d_model

    def __call__(self, xs: Sequence[Vector], positions: Sequence[int] | None = None) -> list[list[Value]]:
        """(T, d_model) -> (T, d_model); with `positions`, only the outputs at
        those positions, (len(positions), d_model), each still attending to
        every position.

        A loss that reads a few positions of the last block (BERT's masked
        words, 15% of them) makes everything the block computes at the
        others dead work: `positions` skips it, with the same numbers to the
        bit at the positions kept (their queries read the other positions'
        keys and values, as cross-attention does). Bidirectional blocks only:
        a causal query's view depends on its place in the sequence.
        """
        check_sequence(xs, self.d_model, self)
        queries = xs if positions is None else self._at(xs, positions)
        if not self.norm_first:
            memory = None if positions is None else xs
            queries = self.addnorm_1(queries, self.attn(queries, memory))
            return self.addnorm_2(queries, self.mlp(queries))
        try:  # only the norm reads the input: a softmax error inside attn is not about it
            normed = [self.ln_1(x) for x in xs]
        except INPUT_ERRORS as error:  # an entry that is not a finite number
            raise in_module(self, error) from None
        if positions is None:
            h = self.attn(normed)
        else:
            h = self.attn([normed[t] for t in positions], memory=normed)
        xs = [[a + b for a, b in zip(x, hx)] for x, hx in zip(queries, h)]  # residual
        h = self.mlp([self.ln_2(x) for x in xs])
        return [[a + b for a, b in zip(x, hx)] for x, hx in zip(xs, h)]  # residual

    def _at(self, xs: Sequence[Vector], positions: Sequence[int]) -> list[Vector]:
        """xs at `positions`, after checking them."""
        if self.attn.causal:
            raise ValueError(f"{describe(self)}: positions= needs a bidirectional block (causal=False)")
        if isinstance(positions, (str, bytes)) or not isinstance(positions, Sequence) or not positions:
            raise TypeError(
                f"{describe(self)}: positions must be a non-empty list of ints, got {positions!r:.60}"
            )
        for t in positions:
            if type(t) is not int or not 0 <= t < len(xs):
                raise ValueError(
                    f"{describe(self)}: positions must be ints in 0..{len(xs) - 1} (the sequence's), got {t!r}"
                )
        return [xs[t] for t in positions]

    def extra_repr(self) -> str:
        return (
            f"d_model={self.d_model}, n_head={self.attn.n_head}, d_ff={self.mlp.fc.out_features}, "
            f"norm_first={self.norm_first}"
        )


class TransformerDecoderBlock(Module):
    """The decoder block of an encoder-decoder Transformer ("Attention Is All You Need").

    Three sub-layers, each with a residual and a norm: causal self-attention
    (the target so far), cross-attention (queries from the target, keys and
    values from the encoder's output, the `memory`), feed-forward.
    (T, d_model), memory (S, d_model) -> (T, d_model). The order of
    `torch.nn.TransformerDecoderLayer`, and its `norm_first` switch (default
    True here, as in `TransformerBlock`; PyTorch's default is False)::

        pre-norm:  x = x + attn(ln_1(x));  x = x + cross_attn(ln_2(x), memory);  x = x + mlp(ln_3(x))
        post-norm: x = addnorm_1(x, attn(x));  x = addnorm_2(x, cross_attn(x, memory));  x = addnorm_3(x, mlp(x))

    (The memory is not normalised here, as in PyTorch: the encoder's own final
    norm does that.) Both attentions are `MultiHeadAttention`, the cross one
    called with the memory, so they share one path to the softmax.

        >>> import random; random.seed(0)
        >>> block = TransformerDecoderBlock(d_model=4, n_head=2, d_ff=8)
        >>> out = block([[0.1, 0.2, 0.3, 0.4]] * 3, memory=[[1.0, 0.0, -1.0, 0.5]] * 5)
        >>> len(out), len(out[0])
        (3, 4)
        >>> head_0 = block.cross_attn.last_attention[0]    # 3 target rows x 5 memory columns
        >>> len(head_0), len(head_0[0])
        (3, 5)
    """

    def __init__(
        self,
        d_model: int,
        n_head: int,
        d_ff: int | None = None,
        norm_first: bool = True,
        norm: str = "layernorm",
        bias: bool = True,
        activation: str = "relu",
    ) -> None:
        check_block_settings("TransformerDecoderBlock", d_model, n_head, d_ff, norm, activation)
        for flag, value in (("norm_first", norm_first), ("bias", bias)):
            check_flag(value, "TransformerDecoderBlock", flag)
        self.norm_first = bool(norm_first)
        # Attribute order is state_dict order: ln_1, attn, ln_2, cross_attn, ln_3, mlp (pre-norm).
        if self.norm_first:
            self.ln_1 = make_norm(norm, d_model, bias, where="TransformerDecoderBlock")
        self.attn = MultiHeadAttention(d_model, n_head, causal=True, bias=bias)
        if self.norm_first:
            self.ln_2 = make_norm(norm, d_model, bias, where="TransformerDecoderBlock")
        else:
            self.addnorm_1 = AddNorm(d_model, norm, bias)
        self.cross_attn = MultiHeadAttention(d_model, n_head, causal=False, bias=bias)
        if self.norm_first:
            self.ln_3 = make_norm(norm, d_model, bias, where="TransformerDecoderBlock")
        else:
            self.addnorm_2 = AddNorm(d_model, norm, bias)
        self.mlp = FeedForward(d_model, d_ff, activation, bias)
        if not self.norm_first:
            self.addnorm_3 = AddNorm(d_model, norm, bias)
        self.d_model = d_model

    def __call__(self, xs: Sequence[Vector], memory: Sequence[Vector]) -> list[list[Value]]:
        check_sequence(xs, self.d_model, self)
        check_sequence(memory, self.d_model, self)
        if not self.norm_first:
            xs = self.addnorm_1(xs, self.attn(xs))
            xs = self.addnorm_2(xs, self.cross_attn(xs, memory))
            return self.addnorm_3(xs, self.mlp(xs))
        try:  # only the norm reads the input: a softmax error inside attn is not about it
            normed = [self.ln_1(x) for x in xs]
        except INPUT_ERRORS as error:  # an entry that is not a finite number
            raise in_module(self, error) from None
        xs = _residual(xs, self.attn(normed))  # (T, d_model)
        xs = _residual(xs, self.cross_attn([self.ln_2(x) for x in xs], memory))  # (T, d_model)
        return _residual(xs, self.mlp([self.ln_3(x) for x in xs]))  # (T, d_model)

    def step(
        self, x: Vector, memory: Sequence[Vector], cache: tuple | None = None
    ) -> tuple[list[Value], tuple]:
        """One new target position (a decoder writing word by word): returns
        (the output at `x`, the cache for the next position), where the
        output is the last row of ``self(xs, memory)`` for xs = every
        position so far. The cache (None at the first position) holds both
        attentions' keys and values (`MultiHeadAttention.step`), so no
        earlier position is computed again."""
        check_vector(x, self.d_model, self)
        self_cache, cross_cache = (None, None) if cache is None else cache
        if not self.norm_first:
            h, self_cache = self.attn.step(x, self_cache)
            x = self.addnorm_1([x], [h])[0]
            h, cross_cache = self.cross_attn.step(x, cross_cache, memory)
            x = self.addnorm_2([x], [h])[0]
            return self.addnorm_3([x], self.mlp([x]))[0], (self_cache, cross_cache)
        h, self_cache = self.attn.step(self.ln_1(x), self_cache)
        x = _residual([x], [h])[0]
        h, cross_cache = self.cross_attn.step(self.ln_2(x), cross_cache, memory)
        x = _residual([x], [h])[0]
        return _residual([x], self.mlp([self.ln_3(x)]))[0], (self_cache, cross_cache)

    def extra_repr(self) -> str:
        return (
            f"d_model={self.d_model}, n_head={self.attn.n_head}, d_ff={self.mlp.fc.out_features}, "
            f"norm_first={self.norm_first}"
        )


def _residual(xs: Sequence[Vector], hs: Sequence[Sequence[Value]]) -> list[list[Value]]:
    """x + h, vector by vector: the skip connection around a sub-layer."""
    return [[a + b for a, b in zip(x, h)] for x, h in zip(xs, hs)]


def check_block_settings(
    where: str,
    d_model: int,
    n_head: int,
    d_ff: int | None,
    norm: str,
    activation: str,
    d_model_name: str = "d_model",
) -> None:
    """The settings of a block, checked where the user gave them (not in the
    Linear or LayerNorm that would trip over them)."""
    check_size(d_model, where, d_model_name)
    check_size(n_head, where, "n_head")
    if d_model % n_head:
        raise ValueError(
            f"{where}: {d_model_name}={d_model} must be divisible by n_head={n_head} "
            f"(each head gets {d_model_name} // n_head numbers)"
        )
    if d_ff is not None:
        check_size(d_ff, where, "d_ff")
    if norm not in NORMS:
        raise ValueError(f"{where}: unknown norm {norm!r}; expected one of {NORMS}")
    check_activation(activation, where)
