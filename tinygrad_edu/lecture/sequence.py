"""Sequence models: a sequence of vectors in, a sequence of vectors out.

Two choices, as in the lecture. An RNN reads left to right, carrying a
hidden state (`SequenceRNN` of a `SimpleRNN` or an `LSTM` cell). A
Transformer lets every position look at every other (`Attention`), made
safe by `AddNorm`, then thinks per position (`FeedForward`):

    TransformerBlock(x) = AddNorm(FeedForward)(AddNorm(Attention)(x))
    BERT(x) = TransformerBlock^L(EmbedToken(x))

Each block wraps the `tinygrad_edu.nn` module that does its math.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..checks import check_flag, check_size, describe, is_batch
from ..engine import Value
from ..nn import AddNorm as _AddNorm
from ..nn import LSTMCell, MultiHeadAttention, RNNCell, run_sequence
from ..nn.norm import LayerNorm, RMSNorm, make_norm
from .basic import EmbedToken, FeedForward
from .block import Block, connect, expect_sequence, expect_vector

__all__ = [
    "BERT",
    "LSTM",
    "AddNorm",
    "Attention",
    "NormAdd",
    "SequenceRNN",
    "SimpleRNN",
    "Stack",
    "TransformerBlock",
]


# ------------------------------------------------------------------ RNNs
class SimpleRNN(Block):
    """SimpleRNN(h, x) = tanh(V h + W x): the next hidden state from the last one and an input.

    h and x are vectors of width `dim` (x of `input_dim`, if given); V and W
    are learned (with biases, as PyTorch's; ``bias=False`` gives the formula
    exactly). Wraps `nn.RNNCell` (V is its weight_hh, W its weight_ih).
    ``h=None`` starts from zeros.

        >>> import random; random.seed(0)
        >>> rnn = SimpleRNN(3)
        >>> h = rnn(None, [1.0, 0.0, -1.0])
        >>> len(rnn(h, [0.5, 0.5, 0.5]))
        3
    """

    def __init__(self, dim: int, *, input_dim: int | None = None, bias: bool = True) -> None:
        check_size(dim, "SimpleRNN", "dim")
        self.cell = RNNCell(dim if input_dim is None else input_dim, dim, bias)
        self.in_dim, self.out_dim = self.cell.input_size, dim

    def __call__(self, h: Sequence | None, x: Sequence) -> list[Value]:
        expect_vector(self, x, self.in_dim)
        return self.cell(x, h)

    def extra_repr(self) -> str:
        return _cell_sizes(self)


class LSTM(Block):
    """LSTM((h, c), x) = (h', c'): a cell whose memory c is updated by addition.

    c' = f * c + i * g and h' = o * tanh(c'), with the gates i, f, o (sigmoids)
    and g (a tanh) each read from h and x. The sum lets the gradient
    survive many steps, where SimpleRNN's product of Jacobians fades.
    Wraps `nn.LSTMCell` (PyTorch's equations and gate order). ``state=None``
    starts from zeros.

        >>> import random; random.seed(0)
        >>> h, c = LSTM(3)(None, [1.0, 0.0, -1.0])
        >>> len(h), len(c)
        (3, 3)
    """

    def __init__(self, dim: int, *, input_dim: int | None = None, bias: bool = True) -> None:
        check_size(dim, "LSTM", "dim")
        self.cell = LSTMCell(dim if input_dim is None else input_dim, dim, bias)
        self.in_dim, self.out_dim = self.cell.input_size, dim

    def __call__(self, state: tuple | None, x: Sequence) -> tuple[list[Value], list[Value]]:
        expect_vector(self, x, self.in_dim)
        return self.cell(x, state)

    def extra_repr(self) -> str:
        return _cell_sizes(self)


def _cell_sizes(block: SimpleRNN | LSTM) -> str:
    text = f"{block.out_dim}"
    if block.in_dim != block.out_dim:
        text += f", input_dim={block.in_dim}"
    if block.cell.bias_ih is None:
        text += ", bias=False"
    return text


class SequenceRNN(Block):
    """SequenceRNN(x_1..x_T) = h_1..h_T, with h_t = cell(h_{t-1}, x_t) and h_0 = 0.

    The same cell (`SimpleRNN` or `LSTM`) at every step; h_t has read
    x_1..x_t and nothing after (causal). (T, in_dim) -> (T, dim). Wraps
    `nn.run_sequence`.

        >>> import random; random.seed(0)
        >>> model = SequenceRNN(LSTM(4))
        >>> model
        SequenceRNN(LSTM(4))
        >>> len(model([[0.1] * 4] * 5))
        5
    """

    takes, gives = "sequence", "sequence"

    def __init__(self, cell: SimpleRNN | LSTM) -> None:
        if not isinstance(cell, (SimpleRNN, LSTM)):
            raise TypeError(f"SequenceRNN: expected a SimpleRNN or an LSTM cell, got {cell!r:.60}")
        self.cell = cell
        self.in_dim, self.out_dim = cell.in_dim, cell.out_dim

    def __call__(self, xs: Sequence[Sequence]) -> list[list[Value]]:
        return self.run(xs)[0]

    def run(self, xs: Sequence[Sequence], state: Any = None) -> tuple[list[list[Value]], Any]:
        """(h_1..h_T, the final state): the state is h, or (h, c) for an LSTM."""
        expect_sequence(self, xs, self.in_dim)
        return run_sequence(self.cell.cell, xs, state)

    def formula(self, x: str = "x") -> str:
        return f"SequenceRNN({x})"

    def extra_repr(self) -> str:
        return repr(self.cell)


# ------------------------------------------------------------- attention
class Attention(Block):
    """Attention(y, x_1..x_T): one query y reads a sequence.

    Each x_s offers a key k_s = W_k x_s and a value v_s = W_v x_s; the query
    q = W_q y scores each by q . k_s / sqrt(d), the softmax turns the scores
    into weights, and the output is W_o sum_s softmax_s(...) v_s (per head,
    the heads side by side).

    * ``attention(xs)``: self-attention, each x_t the query against all of
      xs (only x_1..x_t when ``causal=True``): (T, dim) -> (T, dim);
    * ``attention(y, xs)``: one query against a sequence (cross-attention):
      (dim,), (T, dim) -> (dim,); a sequence of queries gives one output each.

    Wraps `nn.MultiHeadAttention`, the one attention path of the library.

        >>> import random; random.seed(0)
        >>> attend = Attention(4)
        >>> xs = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]
        >>> len(attend(xs)), len(attend([0.5, 0.5, 0.0, 0.0], xs))
        (3, 4)
    """

    takes, gives = "sequence", "sequence"

    def __init__(self, dim: int, *, heads: int = 1, causal: bool = False, bias: bool = True) -> None:
        check_flag(causal, "Attention", "causal")
        check_flag(bias, "Attention", "bias")
        self.attention = MultiHeadAttention(dim, heads, causal=causal, bias=bias)
        self.in_dim = self.out_dim = dim
        self.causal = causal

    def __call__(self, y: Sequence, xs: Sequence | None = None) -> list:
        if xs is None:  # self-attention: y is the sequence
            expect_sequence(self, y, self.in_dim)
            return self.attention(y)
        if self.causal:
            raise ValueError(f"{describe(self)}: attention(y, xs), one query against xs, needs causal=False")
        expect_sequence(self, xs, self.in_dim)
        if is_batch(y):  # several queries, each against all of xs
            expect_sequence(self, y, self.in_dim)
            return self.attention(y, memory=xs)
        expect_vector(self, y, self.in_dim)
        return self.attention([y], memory=xs)[0]

    @property
    def last_attention(self) -> list[list[list[float]]]:
        """Each head's weights from the last call (rows: queries, columns: xs)."""
        return self.attention.last_attention

    def extra_repr(self) -> str:
        text = f"{self.in_dim}"
        if self.attention.n_head != 1:
            text += f", heads={self.attention.n_head}"
        return text + (", causal=True" if self.causal else "")


# ------------------------------------------------------------ residuals
def _same_width(where: str, f: Block) -> int:
    """The width f reads and gives: a residual x + f(x) needs them equal."""
    if not isinstance(f, Block) or f.takes not in ("vector", "sequence") or f.gives != f.takes:
        raise TypeError(f"{where}: f must be a block from vectors or sequences to the same, got {f!r:.60}")
    if f.in_dim is None or f.in_dim != f.out_dim:
        raise ValueError(
            f"{where}: x + f(x) needs f to give the width it reads; {f!r} reads {f.in_dim}, gives {f.out_dim}"
        )
    return f.in_dim


def _shaped_like(block: Block, f: Block, dim: int) -> None:
    """A residual wrapper reads and gives what f does: the same kind of
    input, the same width, position by position and causal if f is."""
    block.takes = block.gives = f.takes
    block.position_wise = getattr(f, "position_wise", False)
    block.in_dim = block.out_dim = dim
    block.causal = f.causal


class AddNorm(Block):
    """AddNorm(f)(x) = LayerNorm(x + f(x)): apply f safely; if f is junk, x is still there.

    The lecture's (and the original Transformer's) "post-norm": add the
    block's input back to its output, then normalise. f maps vectors to
    vectors of the same width, or sequences to sequences (`Attention`).
    Wraps `nn.AddNorm`. ``norm="rmsnorm"`` normalises with RMSNorm.

        >>> import random; random.seed(0)
        >>> block = AddNorm(FeedForward(4))
        >>> block
        AddNorm(FeedForward(4, 16))
        >>> out = block([1.0, 2.0, 3.0, 4.0])
        >>> abs(sum(v.data for v in out)) < 1e-12   # normalised: mean 0 (a fresh norm's weight is 1)
        True
    """

    def __init__(self, f: Block, *, norm: str = "layernorm", bias: bool = True) -> None:
        dim = _same_width("AddNorm", f)
        self.f = f
        self.add_norm = _AddNorm(dim, norm, bias)
        _shaped_like(self, f, dim)

    def __call__(self, x: Sequence) -> list:
        if self.takes == "vector" and not is_batch(x):
            expect_vector(self, x, self.in_dim)
            return self.add_norm([x], [self.f(x)])[0]
        expect_sequence(self, x, self.in_dim)
        return self.add_norm(x, self.f(x))

    def formula(self, x: str = "x") -> str:
        return f"AddNorm({type(self.f).__name__})({x})"

    def extra_repr(self) -> str:
        return repr(self.f)


class NormAdd(Block):
    """NormAdd(f)(x) = x + f(LayerNorm(x)): the "pre-norm" order of GPT-2.

    The same parts as `AddNorm`, the norm moved in front of f: the residual
    path x + ... + ... stays a clean sum through every block, which trains
    deep stacks more easily (a final norm after the last block then does
    what the skipped ones did not). ``norm="rmsnorm"`` for RMSNorm.

        >>> import random; random.seed(0)
        >>> NormAdd(Attention(4, causal=True)).formula()
        'NormAdd(Attention)(x)'
    """

    def __init__(self, f: Block, *, norm: str = "layernorm", bias: bool = True) -> None:
        dim = _same_width("NormAdd", f)
        self.norm = make_norm(norm, dim, bias, where="NormAdd")  # before f: state_dict order is use order
        self.f = f
        _shaped_like(self, f, dim)

    def __call__(self, x: Sequence) -> list:
        if self.takes == "vector" and not is_batch(x):
            expect_vector(self, x, self.in_dim)
            return [a + b for a, b in zip(x, self.f(self.norm(x)))]
        expect_sequence(self, x, self.in_dim)
        hs = self.f([self.norm(v) for v in x])  # (T, dim)
        return [[a + b for a, b in zip(v, h)] for v, h in zip(x, hs)]  # (T, dim): the residual

    def formula(self, x: str = "x") -> str:
        return f"NormAdd({type(self.f).__name__})({x})"

    def extra_repr(self) -> str:
        return repr(self.f)


# ----------------------------------------------------------- transformer
class TransformerBlock(Block):
    """TransformerBlock(x) = AddNorm(FeedForward)(AddNorm(Attention)(x)).

    Positions exchange information (self-attention), then each thinks on its
    own (the feed-forward, position-wise), each step wrapped in AddNorm.
    (T, dim) -> (T, dim). ``causal=True`` lets position t read only 1..t (a
    language model's); ``norm_first=True`` uses `NormAdd` instead (GPT-2's
    pre-norm); `heads`, `hidden` (4 * dim), `norm` and `bias` as in
    `nn.TransformerBlock`, whose numbers it gives.

        >>> import random; random.seed(0)
        >>> block = TransformerBlock(8, heads=2)
        >>> block.formula()
        'AddNorm(FeedForward)(AddNorm(Attention)(x))'
        >>> len(block([[0.1] * 8] * 5))
        5
    """

    takes, gives = "sequence", "sequence"

    def __init__(
        self,
        dim: int,
        *,
        hidden: int | None = None,
        heads: int = 1,
        causal: bool = False,
        norm_first: bool = False,
        norm: str = "layernorm",
        bias: bool = True,
    ) -> None:
        check_flag(norm_first, "TransformerBlock", "norm_first")
        residual = NormAdd if norm_first else AddNorm
        self.attention = residual(Attention(dim, heads=heads, causal=causal, bias=bias), norm=norm, bias=bias)
        self.feedforward = residual(FeedForward(dim, hidden, bias=bias), norm=norm, bias=bias)
        self.in_dim = self.out_dim = dim
        self.causal = causal
        self.norm_first = norm_first

    def __call__(self, xs: Sequence[Sequence]) -> list[list[Value]]:
        expect_sequence(self, xs, self.in_dim)
        return self.feedforward(self.attention(xs))

    def formula(self, x: str = "x") -> str:
        return self.feedforward.formula(self.attention.formula(x))

    def extra_repr(self) -> str:
        attention = self.attention.f.attention
        text = f"{self.in_dim}, hidden={self.feedforward.f.ff.fc.out_features}, heads={attention.n_head}"
        if self.causal:
            text += ", causal=True"
        return text + (", norm_first=True" if self.norm_first else "")


class Stack(Block):
    """Stack(blocks)(x) = block_L(...block_2(block_1(x))): sequence blocks one after another.

    The lecture's TransformerBlock^L. ``final_norm`` ("layernorm",
    "rmsnorm", or a norm module) normalises each output vector at the end,
    as pre-norm stacks need (GPT-2's ln_f).

        >>> import random; random.seed(0)
        >>> Stack([TransformerBlock(8) for _ in range(3)]).formula()
        'TransformerBlock^3(x)'
    """

    takes, gives = "sequence", "sequence"

    def __init__(
        self, blocks: Sequence[Block], *, final_norm: str | LayerNorm | RMSNorm | None = None
    ) -> None:
        if isinstance(blocks, Block) or not isinstance(blocks, Sequence) or not blocks:
            raise TypeError(f"Stack: expected a non-empty list of sequence blocks, got {blocks!r:.60}")
        for block in blocks:
            if not isinstance(block, Block) or (block.takes, block.gives) != ("sequence", "sequence"):
                raise TypeError(f"Stack: every block must map a sequence to a sequence, got {block!r:.60}")
        for giver, taker in zip(blocks, blocks[1:]):
            connect("Stack", giver, taker)
        self.blocks = list(blocks)
        self.in_dim, self.out_dim = blocks[0].in_dim, blocks[-1].out_dim
        if isinstance(final_norm, str):
            final_norm = make_norm(final_norm, self.out_dim, where="Stack")
        elif final_norm is not None and not isinstance(final_norm, (LayerNorm, RMSNorm)):
            raise TypeError(
                f"Stack: final_norm must be 'layernorm', 'rmsnorm', a norm module or None, got {final_norm!r:.60}"
            )
        if final_norm is not None:
            self.final_norm = final_norm
        self.causal = all(block.causal for block in blocks)

    def __call__(self, xs: Sequence[Sequence]) -> list[list[Value]]:
        expect_sequence(self, xs, self.in_dim)
        for block in self.blocks:
            xs = block(xs)  # (T, dim)
        if hasattr(self, "final_norm"):
            xs = [self.final_norm(x) for x in xs]
        return xs

    def formula(self, x: str = "x") -> str:
        names = {type(block).__name__ for block in self.blocks}
        if len(names) == 1 and len(self.blocks) > 1:
            text = f"{names.pop()}^{len(self.blocks)}({x})"
        else:
            text = x
            for block in self.blocks:
                text = block.formula(text)
        if hasattr(self, "final_norm"):
            text = f"{type(self.final_norm).__name__}({text})"
        return text

    def extra_repr(self) -> str:
        kinds = {repr(block) for block in self.blocks}
        text = f"{kinds.pop()} x {len(self.blocks)}" if len(kinds) == 1 else ", ".join(map(repr, self.blocks))
        if hasattr(self, "final_norm"):
            text += f", final_norm={type(self.final_norm).__name__}"
        return text


class BERT(Block):
    """BERT(x) = TransformerBlock^L(EmbedToken(x)): TransformerBlock again and again.

    BERT-large takes L = 24. Every position sees both sides (not causal);
    the token vectors carry learned positions (`max_len` of them).
    (T,) token ids -> (T, dim): one vector per token, each read in the
    context of the whole sequence. `heads`, `hidden`, `norm_first` and
    `final_norm` as in `TransformerBlock` and `Stack`.

        >>> import random; random.seed(0)
        >>> bert = BERT(vocab=10, dim=8, layers=2)
        >>> bert.formula()
        'TransformerBlock^2(EmbedToken(x))'
        >>> len(bert([1, 5, 3, 2])), len(bert([1, 5, 3, 2])[0])
        (4, 8)
    """

    takes, gives = "token ids", "sequence"
    causal = False

    def __init__(
        self,
        vocab: int,
        dim: int,
        layers: int,
        *,
        heads: int = 1,
        hidden: int | None = None,
        max_len: int = 64,
        norm_first: bool = False,
        final_norm: str | None = None,
    ) -> None:
        check_size(layers, "BERT", "layers")
        self.embed_token = EmbedToken(vocab, dim, positions=max_len)
        blocks = [
            TransformerBlock(dim, hidden=hidden, heads=heads, norm_first=norm_first) for _ in range(layers)
        ]
        self.transformer = Stack(blocks, final_norm=final_norm)
        self.out_dim = dim

    def __call__(self, tokens: Sequence[int]) -> list[list[Value]]:
        return self.transformer(self.embed_token(tokens))

    def formula(self, x: str = "x") -> str:
        return self.transformer.formula(self.embed_token.formula(x))

    def extra_repr(self) -> str:
        return f"vocab={self.embed_token.vocab}, dim={self.out_dim}, layers={len(self.transformer.blocks)}"
