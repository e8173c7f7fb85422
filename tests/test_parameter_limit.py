"""The parameter-count limit (issue 23, item 6): a layer beyond
`checks.MAX_PARAMETERS` parameters is refused before anything is allocated,
naming the layer and the count; `checks.parameter_limit` raises the limit."""

from __future__ import annotations

import pytest

from tinygrad_edu.checks import MAX_PARAMETERS, parameter_limit
from tinygrad_edu.models.word2vec import Word2Vec
from tinygrad_edu.nn import (
    MLP,
    Conv1d,
    Conv2d,
    Embedding,
    GRUCell,
    Layer,
    LayerNorm,
    Linear,
    LSTMCell,
    Neuron,
    PositionalEmbedding,
    RMSNorm,
    RNNCell,
)

# Each layer, built small: the limit at its exact count lets it be made,
# one below refuses it. This checks every constructor's count too.
LAYERS = {
    "Linear": (lambda: Linear(3, 4), "Linear(in_features=3, out_features=4, bias=True)"),
    "Linear, no bias": (
        lambda: Linear(3, 4, bias=False),
        "Linear(in_features=3, out_features=4, bias=False)",
    ),
    "Neuron": (lambda: Neuron(5), "Neuron(5, relu)"),
    "Layer": (lambda: Layer(3, 2), "Layer(3 -> 2, relu)"),
    "Conv2d": (lambda: Conv2d(2, 3, (2, 3)), "Conv2d(2, 3, kernel_size=(2, 3), bias=True)"),
    "Conv1d": (lambda: Conv1d(2, 3, 2, bias=False), "Conv1d(2, 3, kernel_size=(1, 2), bias=False)"),
    "Embedding": (lambda: Embedding(7, 3), "Embedding(7, 3)"),
    "PositionalEmbedding": (lambda: PositionalEmbedding(4, 3), "PositionalEmbedding(4, 3)"),
    "LayerNorm": (lambda: LayerNorm(5), "LayerNorm(5)"),
    "LayerNorm, no bias": (lambda: LayerNorm(5, bias=False), "LayerNorm(5)"),
    "RMSNorm": (lambda: RMSNorm(5), "RMSNorm(5)"),
    "RNNCell": (lambda: RNNCell(2, 3), "RNNCell(2, 3, bias=True)"),
    "GRUCell": (lambda: GRUCell(2, 3), "GRUCell(2, 3, bias=True)"),
    "LSTMCell": (lambda: LSTMCell(2, 3, bias=False), "LSTMCell(2, 3, bias=False)"),
    "Word2Vec": (lambda: Word2Vec(["a", "b", "c"], dim=2), "Word2Vec(3 words, dim=2)"),
}


@pytest.mark.parametrize("name", LAYERS)
def test_every_layer_is_refused_one_parameter_over_the_limit_naming_itself(name):
    make, text = LAYERS[name]
    count = make().num_parameters()
    with parameter_limit(count):
        assert make().num_parameters() == count
    with parameter_limit(count - 1), pytest.raises(ValueError) as info:
        make()
    assert str(info.value).startswith(f"{text}: {count:,} parameters is beyond the limit of {count - 1:,}")
    assert f"parameter_limit({count:_})" in str(info.value)


@pytest.mark.parametrize(
    "make, text",
    [
        (
            lambda: Linear(10**6, 10**6),
            "Linear(in_features=1000000, out_features=1000000, bias=True): 1,000,001,000,000",
        ),
        (
            lambda: Conv2d(10**5, 10**5, 3),
            "Conv2d(100000, 100000, kernel_size=(3, 3), bias=True): 90,000,100,000",
        ),
        (lambda: Embedding(10**9, 10**3), "Embedding(1000000000, 1000): 1,000,000,000,000"),
        (lambda: MLP(2, [16, 10**4, 10**4]), "Layer(10000 -> 10000, linear): 100,010,000"),
    ],
)
def test_the_issues_huge_layers_are_refused_before_allocating(make, text):
    # They ran until memory or patience ended; now refused at once.
    with pytest.raises(ValueError) as info:
        make()
    assert str(info.value).startswith(text + " parameters is beyond the limit of 10,000,000 (each is a Value")


def test_the_default_limit_and_no_limit():
    assert MAX_PARAMETERS == 10**7
    with parameter_limit(None):
        with parameter_limit(3):  # nested: the inner one counts, then the outer one again
            with pytest.raises(ValueError):
                Linear(2, 2)
        assert Linear(2, 2).num_parameters() == 6
    for bad in (0, -1, 2.5, True, "10"):
        with pytest.raises(ValueError, match="parameter_limit: limit must be a positive int or None"):
            with parameter_limit(bad):
                pass
