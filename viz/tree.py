"""Draw a dependency tree: ROOT at the top, each word below its head, arcs labelled.

    >>> from tinygrad_edu.datasets.treebank import Sentence
    >>> s = Sentence(["dogs", "bark"], ["NOUN", "VERB"], [2, 0], ["nsubj", "root"])
    >>> dot = draw_tree(s)
    >>> [line.strip() for line in dot.source.splitlines() if "->" in line]
    ['w0 -> w2 [label=root]', 'w2 -> w1 [label=nsubj]']
    >>> path = viz.render(dot, "tree.svg")   # doctest: +SKIP

Each word's box shows the word, its tag and its number in the sentence.
Dependents are drawn in sentence order under their head (``ordering=out``),
so reading a row left to right follows the sentence. Words and labels are
escaped: a word ``"<b>"`` shows as itself. Rendered with `viz.render`, so
the system ``dot`` is not needed (the WebAssembly Graphviz stands in).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .draw import check_options, plain_text

if TYPE_CHECKING:  # pragma: no cover
    from tinygrad_edu.datasets.treebank import Sentence

    from ._digraph import Digraph

__all__ = ["draw_tree"]


def draw_tree(
    sentence: Sentence, *, gold: Sentence | None = None, title: str | None = None, renderer: str = "auto"
) -> Digraph:
    """The tree of `sentence` (a `tinygrad_edu.datasets.treebank.Sentence` with heads
    and labels) as a `graphviz.Digraph`; Jupyter shows it inline.

    gold: the right tree of the same words; arcs that differ from it (a
    wrong head, or a wrong label) are drawn red and bold, and a line under
    the title counts them."""
    from tinygrad_edu.datasets.treebank import Sentence

    from ._digraph import Digraph, nohtml

    if not isinstance(sentence, Sentence):
        raise TypeError(f"draw_tree: expected a Sentence, got {type(sentence).__name__}")
    if sentence.heads is None:
        raise ValueError(f"draw_tree: {str(sentence)!r} has no tree yet (parse it first)")
    if gold is not None and (
        not isinstance(gold, Sentence) or gold.heads is None or gold.words != sentence.words
    ):
        raise ValueError(f"draw_tree: gold must be a parsed Sentence of the same words, got {gold!r:.80}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"draw_tree: title must be a str, got {type(title).__name__}")
    check_options(300, "TB", renderer, where="draw_tree")
    dot = Digraph(
        comment=f"dependency tree of: {plain_text(str(sentence))}",
        graph_attr={
            "rankdir": "TB",
            "ordering": "out",
            "fontname": "Helvetica",
            "nodesep": "0.2",
            "ranksep": "0.45",
        },
        node_attr={"fontname": "Helvetica", "fontsize": "11", "shape": "box", "style": "rounded,filled"},
        edge_attr={"fontname": "Helvetica", "fontsize": "10", "color": "#555555", "arrowsize": "0.7"},
    )
    dot.renderer = renderer
    lines = [title] if title else []
    if gold is not None:
        wrong = len(set(sentence.arcs()) - set(gold.arcs()))
        differ = "1 arc differs" if wrong == 1 else f"{wrong} arcs differ"
        lines.append(f"red: {differ} from the gold tree" if wrong else "every arc as in the gold tree")
    if lines:
        dot.attr(label=nohtml("\\n".join(plain_text(line) for line in lines)), labelloc="t", fontsize="12")
    dot.node("w0", label="ROOT", fillcolor="#d9d9d9", shape="box")
    for i, (word, tag) in enumerate(zip(sentence.words, sentence.tags), start=1):
        dot.node(f"w{i}", label=nohtml(f"{plain_text(word)}\\n{plain_text(tag)} {i}"), fillcolor="#e8f1f8")
    # Edges in order of the dependent: with ordering=out, children sit in sentence order.
    right = set(gold.arcs()) if gold is not None else None
    for arc in sorted(sentence.arcs(), key=lambda arc: (arc[0], arc[1])):
        head, dependent, label = arc
        wrong = (
            {}
            if right is None or arc in right
            else {"color": "#b2182b", "fontcolor": "#b2182b", "penwidth": "2"}
        )
        dot.edge(f"w{head}", f"w{dependent}", label=nohtml(plain_text(label)), **wrong)
    return dot
