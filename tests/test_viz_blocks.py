"""viz.draw_blocks: a composed lecture model as nested boxes, deterministic."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

import viz
from tinygrad_edu.lecture import (
    BERT,
    LSTM,
    Collapse,
    Conv,
    EmbedToken,
    FeedForward,
    GenerateToken,
    LanguageModel,
    MaxPool,
    SequenceRNN,
    SequenceToSequence,
    SimpleRNN,
    Stack,
    TransformerBlock,
)

GOLDEN = Path(__file__).parent / "golden" / "lecture_language_model.dot"


def rnn_language_model() -> LanguageModel:
    random.seed(0)
    return LanguageModel(EmbedToken(27, 16), SequenceRNN(LSTM(16)))


def test_dot_source_matches_the_golden_file():
    source = viz.draw_blocks(rnn_language_model()).source
    # To update after an intended change: write `source` to GOLDEN and review the diff.
    assert source == GOLDEN.read_text(encoding="utf-8")


def test_the_boxes_nest_as_the_blocks_compose():
    random.seed(0)
    model = LanguageModel(
        EmbedToken(9, 8, positions=8), Stack([TransformerBlock(8, causal=True) for _ in range(2)])
    )
    source = viz.draw_blocks(model).source
    frames = re.findall(r"label=\"?([^\"\n]+?)\"? style=\"rounded,dashed\"", source)
    assert frames == [
        "LanguageModel",
        "TransformerBlock^2",
        "TransformerBlock",
        "AddNorm(Attention)",
        "AddNorm(FeedForward)",
        "TransformerBlock",
        "AddNorm(Attention)",
        "AddNorm(FeedForward)",
    ]
    # the title is the formula, so the picture and the formula sit side by side
    assert f'label="LanguageModel(x) = {model.formula()}"' in source
    # data flows EmbedToken -> attention -> + -> LayerNorm -> FeedForward -> + -> LayerNorm -> Collapse
    names = {
        name: (quoted or bare).split("\\n")[0]
        for name, quoted, bare in re.findall(r'^\s*(n\d+) \[label=(?:"([^"]+)"|([^ \]]+))', source, re.M)
    }
    chain = ["x: tokens", "EmbedToken", "Attention", "+", "LayerNorm", "FeedForward", "+", "LayerNorm"]
    edges = re.findall(r"(n\d+) -> (n\d+)(?! \[label=\" the same)", source)
    node = next(n for n, text in names.items() if text == "x: tokens")
    for text in chain[1:]:
        node = next(b for a, b in edges if a == node and names[b] == text)
    assert node
    # the residual's skip connection is dashed, and the table is shared
    assert source.count("style=dashed") == 4  # two residuals in each of two blocks
    assert "the same table E" in source


def test_a_long_stack_draws_its_first_and_last_blocks():
    random.seed(0)
    source = viz.draw_blocks(BERT(10, 8, 24)).source
    frames = re.findall(r"label=\"?([^\"\n]+?)\"? style=\"rounded,dashed\"", source)
    assert frames.count("TransformerBlock") == 2 and "TransformerBlock^24" in frames
    assert "22 more TransformerBlocks" in source
    assert source.count('"Attention\\n8"') == 2


@pytest.mark.parametrize(
    "make",
    [
        lambda: FeedForward(4),
        lambda: Conv(1, 4),
        lambda: MaxPool(2),
        lambda: Collapse("max"),
        lambda: GenerateToken(4, 10),
        lambda: SequenceRNN(SimpleRNN(4)),
        lambda: TransformerBlock(8, norm_first=True),
        lambda: SequenceToSequence(6, 7, 4),
        lambda: BERT(10, 8, 2),
    ],
)
def test_every_block_draws_and_renders(make):
    random.seed(0)
    dot = viz.draw_blocks(make())
    again = (random.seed(0), viz.draw_blocks(make()))[1]
    assert dot.source == again.source  # deterministic: nodes numbered in drawing order
    svg = viz.render_bytes(dot, "svg", renderer="wasm")
    assert b"</svg>" in svg


def test_draw_blocks_refuses_what_is_not_a_block():
    with pytest.raises(TypeError, match="draw_blocks: expected a block of tinygrad_edu.lecture, got Linear"):
        from tinygrad_edu.nn import Linear

        viz.draw_blocks(Linear(2, 2))
