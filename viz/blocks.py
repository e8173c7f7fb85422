"""Draw a composed model of the lecture as a block diagram: boxes nested as
the blocks are composed, arrows for the data.

    >>> import random; random.seed(0)
    >>> from tinygrad_edu.lecture import EmbedToken, LanguageModel, LSTM, SequenceRNN
    >>> model = LanguageModel(EmbedToken(27, 16), SequenceRNN(LSTM(16)))
    >>> dot = draw_blocks(model)
    >>> dot.source.splitlines()[0]
    '// block diagram: LanguageModel(x) = GenerateToken(Collapse(SequenceRNN(EmbedToken(x))))'
    >>> path = viz.render(dot, "language_model.svg")   # doctest: +SKIP

The formula is the picture's title, so the two sit side by side: read the
formula inside out and the picture from the bottom up. A block made of
blocks (AddNorm, TransformerBlock, SequenceRNN, a Stack, BERT, the models)
is a dashed frame around its parts; a leaf block (EmbedToken, FeedForward,
Attention, a cell, a norm, Collapse, GenerateToken) is a box with its sizes;
``+`` is a residual sum, and the skip connection that feeds it is dashed. A
recurrent cell has an arrow back to itself (the state it carries), and a
GenerateToken that shares its table with an EmbedToken has a dotted line
to it. Nodes are numbered in drawing order, so the same model gives the
same DOT text.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tinygrad_edu import lecture
from tinygrad_edu.nn import Collapse, LayerNorm, RMSNorm

from .draw import check_options, plain_text

if TYPE_CHECKING:  # pragma: no cover
    from ._digraph import Digraph

__all__ = ["draw_blocks"]

# Fill colours by what a block does (ColorBrewer Pastel1, colour-blind safe).
_COLOURS = {
    "embed": "#ccebc5",  # reads tokens
    "think": "#fed9a6",  # per position: FeedForward, Conv, MaxPool
    "mix": "#b3cde3",  # positions exchange: Attention, recurrent cells
    "norm": "#e5e5e5",
    "collapse": "#ffffcc",
    "generate": "#fbb4ae",  # writes tokens
    "data": "#ffffff",
}
_STACK_DRAWN = 2  # a Stack of more blocks draws its first and last and counts the rest


def draw_blocks(model: Any, *, renderer: str = "auto") -> Digraph:
    """The block diagram of `model`, any block of `tinygrad_edu.lecture` (or
    `nn.Collapse`), as a `graphviz.Digraph` (Jupyter shows it inline;
    `viz.render(dot, path)` writes it)."""
    from ._digraph import Digraph

    if not isinstance(model, (lecture.Block, Collapse)):
        raise TypeError(f"draw_blocks: expected a block of tinygrad_edu.lecture, got {type(model).__name__}")
    check_options(300, "BT", renderer, where="draw_blocks")
    title = _title(model)
    dot = Digraph(
        comment=f"block diagram: {title}",
        graph_attr={
            "rankdir": "BT",
            "fontname": "Helvetica",
            "nodesep": "0.3",
            "ranksep": "0.3",
            "label": plain_text(title),
            "labelloc": "t",
            "fontsize": "13",
        },
        node_attr={"fontname": "Helvetica", "fontsize": "11", "shape": "box", "style": "rounded,filled"},
        edge_attr={"color": "#555555", "arrowsize": "0.7", "fontname": "Helvetica"},
    )
    dot.renderer = renderer
    pen = _Pen(dot)
    takes = "token ids" if isinstance(model, lecture.Block) and model.takes == "token ids" else "x"
    if isinstance(model, lecture.SequenceToSequence):
        _draw_sequence_to_sequence(pen, dot, model)
    else:
        source = pen.data(dot, "x: tokens" if takes == "token ids" else "x")
        out = _draw(pen, dot, model, source)
        pen.edge(out, pen.data(dot, _output_name(model)))
    pen.finish()
    return dot


def _title(model: Any) -> str:
    name = type(model).__name__
    if isinstance(model, lecture.SequenceToSequence):
        return f"{name}(x, y_<t) = {model.formula()}"
    if isinstance(model, Collapse):
        return f"Collapse(x), mode {model.mode}"
    return f"{name}(x) = {model.formula()}"


def _output_name(model: Any) -> str:
    if isinstance(model, (lecture.GenerateToken, lecture.LanguageModel)):
        return "p(next token)" if isinstance(model, lecture.LanguageModel) else "p(y)"
    return "out"


class _Pen:
    """Numbers the nodes and frames in drawing order; keeps the edges to add
    last, at the top level (an edge may cross frames)."""

    def __init__(self, dot: Any) -> None:
        self.dot = dot
        self.nodes = 0
        self.frames = 0
        self.edges: list[tuple[str, str, dict[str, str]]] = []
        self.tables: dict[int, str] = {}  # id(EmbedToken) -> its node, for a tied GenerateToken

    def box(self, where: Any, text: str, colour: str, **attrs: str) -> str:
        name = f"n{self.nodes}"
        self.nodes += 1
        where.node(name, label=plain_text(text), fillcolor=_COLOURS[colour], **attrs)
        return name

    def data(self, where: Any, text: str) -> str:
        return self.box(where, text, "data", shape="plaintext", style="")

    def plus(self, where: Any) -> str:
        return self.box(where, "+", "data", shape="circle", width="0.3", fixedsize="true", style="")

    def edge(self, a: str, b: str, **attrs: str) -> None:
        self.edges.append((a, b, attrs))

    @contextmanager
    def frame(self, where: Any, text: str) -> Iterator[Any]:
        import graphviz

        sub = graphviz.Digraph(name=f"cluster_{self.frames}")
        self.frames += 1
        sub.attr(
            label=plain_text(text),
            style="rounded,dashed",
            color="#807dba",
            fontcolor="#54278f",
            fontsize="10",
        )
        yield sub
        where.subgraph(sub)

    def finish(self) -> None:
        for a, b, attrs in self.edges:
            self.dot.edge(a, b, **attrs)


def _draw(pen: _Pen, where: Any, block: Any, x: str) -> str:
    """Draw `block` reading from node `x` into `where`; return its output node."""
    for kind, draw in _DRAWERS:
        if isinstance(block, kind):
            return draw(pen, where, block, x)
    raise TypeError(f"draw_blocks: no drawing for {type(block).__name__}")  # pragma: no cover


def _leaf(colour: str, text) -> Any:
    def draw(pen: _Pen, where: Any, block: Any, x: str) -> str:
        node = pen.box(where, text(block), colour)
        pen.edge(x, node)
        return node

    return draw


def _embed_text(block: lecture.EmbedToken) -> str:
    text = f"EmbedToken\n{block.vocab} tokens -> {block.dim}"
    if hasattr(block, "positions"):
        text += f"\n+ {block.positions.block_size} positions"
    return text


def _draw_embed(pen: _Pen, where: Any, block: lecture.EmbedToken, x: str) -> str:
    node = _leaf("embed", _embed_text)(pen, where, block, x)
    pen.tables[id(block)] = node
    return node


def _attention_text(block: lecture.Attention) -> str:
    heads = block.attention.n_head
    return (
        f"Attention\n{block.in_dim}"
        + (f", {heads} heads" if heads > 1 else "")
        + (", causal" if block.causal else "")
    )


def _draw_cell(pen: _Pen, where: Any, block: lecture.SimpleRNN | lecture.LSTM, x: str) -> str:
    node = pen.box(where, f"{type(block).__name__}\n{block.in_dim} -> {block.out_dim}", "mix")
    pen.edge(x, node)
    state = "(h, c)" if isinstance(block, lecture.LSTM) else "h"
    pen.edge(node, node, label=plain_text(f" {state}"), color="#6a51a3", fontcolor="#6a51a3", fontsize="9")
    return node


def _draw_sequence_rnn(pen: _Pen, where: Any, block: lecture.SequenceRNN, x: str) -> str:
    with pen.frame(where, "SequenceRNN: the same cell at every step") as sub:
        return _draw(pen, sub, block.cell, x)


def _draw_residual(pen: _Pen, where: Any, block: lecture.AddNorm | lecture.NormAdd, x: str) -> str:
    """AddNorm: f, +, then the norm; NormAdd: the norm, f, then +. The skip is dashed."""
    with pen.frame(where, block.formula("x").removesuffix("(x)")) as sub:
        if isinstance(block, lecture.AddNorm):
            plus = _residual_sum(pen, sub, _draw(pen, sub, block.f, x), x)
            return _draw(pen, sub, block.add_norm.norm, plus)
        return _residual_sum(pen, sub, _draw(pen, sub, block.f, _draw(pen, sub, block.norm, x)), x)


def _residual_sum(pen: _Pen, where: Any, fx: str, x: str) -> str:
    """The + of x + f(x), its skip connection dashed."""
    plus = pen.plus(where)
    pen.edge(fx, plus)
    pen.edge(x, plus, style="dashed", label=" x", fontsize="9")
    return plus


def _chain(label: str, parts) -> Any:
    """A frame named `label` around the blocks `parts(block)`, drawn one after another."""

    def draw(pen: _Pen, where: Any, block: Any, x: str) -> str:
        with pen.frame(where, label) as sub:
            for part in parts(block):
                x = _draw(pen, sub, part, x)
            return x

    return draw


def _draw_stack(pen: _Pen, where: Any, block: lecture.Stack, x: str) -> str:
    blocks = block.blocks
    kinds = {type(b).__name__ for b in blocks}
    with pen.frame(where, f"{kinds.pop()}^{len(blocks)}" if len(kinds) == 1 else "Stack") as sub:
        if len(blocks) <= _STACK_DRAWN:
            for b in blocks:
                x = _draw(pen, sub, b, x)
        else:
            x = _draw(pen, sub, blocks[0], x)
            more = pen.data(sub, f"... {len(blocks) - 2} more {type(blocks[1]).__name__}s ...")
            pen.edge(x, more)
            x = _draw(pen, sub, blocks[-1], more)
        if hasattr(block, "final_norm"):
            x = _draw(pen, sub, block.final_norm, x)
        return x


def _draw_generate(pen: _Pen, where: Any, block: lecture.GenerateToken, x: str) -> str:
    tied = block.tied_to
    rule = "softmax(E x)" if tied is not None else "softmax(W x + b)"
    node = pen.box(where, f"GenerateToken\n{rule}: {block.vocab} tokens", "generate")
    pen.edge(x, node)
    if tied is not None and id(tied) in pen.tables:
        pen.edge(
            pen.tables[id(tied)], node, style="dotted", arrowhead="none", constraint="false",
            label=" the same table E", fontsize="9", color="#b2182b", fontcolor="#b2182b",
        )  # fmt: skip
    return node


def _draw_sequence_to_sequence(pen: _Pen, dot: Any, block: lecture.SequenceToSequence) -> None:
    with pen.frame(dot, "SequenceToSequence") as sub:
        x = pen.data(sub, "x: source tokens")
        u = _draw(pen, sub, block.encoder, _draw(pen, sub, block.embed_source, x))
        y = pen.data(sub, "<bos> y_1 .. y_(t-1)")
        h = _draw(pen, sub, block.decoder, _draw(pen, sub, block.embed_target, y))
        attention = pen.box(sub, _attention_text(block.attention) + "\nquery h_t, keys and values u", "mix")
        pen.edge(h, attention, label=" h_t", fontsize="9")
        pen.edge(u, attention, label=" u", fontsize="9")
        plus = pen.plus(sub)
        pen.edge(attention, plus)
        pen.edge(h, plus, style="dashed", label=" h_t", fontsize="9")
        out = _draw(pen, sub, block.generate_token, plus)
    pen.edge(out, pen.data(dot, "p(y_t)"))


def _collapse_text(block: Collapse) -> str:
    return f"Collapse\n{block.mode}"


_DRAWERS = [
    (lecture.EmbedToken, _draw_embed),
    (
        lecture.FeedForward,
        _leaf("think", lambda b: f"FeedForward\n{b.in_dim} -> {b.ff.fc.out_features} -> {b.out_dim}"),
    ),
    (
        lecture.Conv,
        _leaf(
            "think",
            lambda b: (
                f"Conv {b.conv.kernel_size[0]}x{b.conv.kernel_size[1]}\n{b.in_dim} -> {b.out_dim} channels"
            ),
        ),
    ),
    (lecture.MaxPool, _leaf("think", lambda b: f"MaxPool {b.pool.kernel_size[0]}x{b.pool.kernel_size[1]}")),
    (lecture.Attention, _leaf("mix", _attention_text)),
    ((lecture.SimpleRNN, lecture.LSTM), _draw_cell),
    (lecture.SequenceRNN, _draw_sequence_rnn),
    ((lecture.AddNorm, lecture.NormAdd), _draw_residual),
    (lecture.TransformerBlock, _chain("TransformerBlock", lambda b: [b.attention, b.feedforward])),
    (lecture.Stack, _draw_stack),
    (lecture.BERT, _chain("BERT", lambda b: [b.embed_token, b.transformer])),
    (Collapse, _leaf("collapse", _collapse_text)),
    (lecture.GenerateToken, _draw_generate),
    (
        lecture.LanguageModel,
        _chain("LanguageModel", lambda b: [b.embed_token, b.sequence_model, b.collapse, b.generate_token]),
    ),
    ((LayerNorm, RMSNorm), _leaf("norm", lambda b: type(b).__name__)),
]
