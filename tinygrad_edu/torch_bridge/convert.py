"""to_torch and from_torch: one table from our classes to their twins.

Each entry of `TWINS` reads the settings of one of our modules (sizes,
flags, which norm, ...) and builds its twin with the same constructor
arguments; `to_torch` then loads our ``state_dict()`` into it, names and
shapes unchanged, and ties what ours ties (a GPT's ``lm_head.weight =
wte.weight`` stays one tensor). `from_torch` goes back, after checking every
name and shape, so a wrong model leaves ours untouched.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .. import nn as ours
from ..models.bert import BERT, BERTClassifier
from ..models.digits import DigitCNN
from ..models.gpt import GPT
from ..models.parser import Parser
from ..models.transformer_translate import TransformerTranslator
from ..models.translate import Seq2Seq
from ..nn.module import Module
from . import modules as twins

__all__ = ["KNOWN", "TWINS", "from_torch", "to_torch"]


def _norm_name(norm: Module) -> str:
    return "rmsnorm" if isinstance(norm, ours.RMSNorm) else "layernorm"


def _has(tensor) -> bool:
    return tensor is not None


def _block_settings(block) -> dict:
    """The keyword arguments that rebuild a TransformerBlock or decoder block."""
    first_norm = block.ln_1 if block.norm_first else block.addnorm_1.norm
    return {
        "d_ff": block.mlp.fc.out_features,
        "norm_first": block.norm_first,
        "norm": _norm_name(first_norm),
        "bias": _has(block.attn.proj.bias),
        "activation": block.mlp.activation,
    }


def _mlp(m: ours.MLP) -> twins.MLP:
    return twins.MLP(
        len(m.layers[0].neurons[0].weight),
        [len(layer.neurons) for layer in m.layers],
        [layer.neurons[0].activation for layer in m.layers],
    )


def _parser(m: Parser) -> twins.Parser:
    return twins.Parser(
        m.word_embedding.num_embeddings,
        m.tag_embedding.num_embeddings,
        m.label_embedding.num_embeddings,
        len(m.moves),
        m.word_embedding.embedding_dim,
        m.tag_embedding.embedding_dim,
        m.label_embedding.embedding_dim,
        m.hidden.out_features,
        m.activation,
    )


def _cell(twin_class):
    def build(m):
        kwargs = {"nonlinearity": m.nonlinearity} if isinstance(m, ours.RNNCell) else {}
        return twin_class(m.input_size, m.hidden_size, _has(m.bias_ih), **kwargs)

    return build


# Our class -> a function building its twin from our module's settings.
TWINS: dict[type, Callable[[Module], nn.Module]] = {
    ours.Neuron: lambda m: twins.Neuron(len(m.weight), m.activation),
    ours.Layer: lambda m: twins.Layer(len(m.neurons[0].weight), len(m.neurons), m.neurons[0].activation),
    ours.MLP: _mlp,
    ours.Linear: lambda m: nn.Linear(m.in_features, m.out_features, bias=_has(m.bias)),
    ours.Embedding: lambda m: nn.Embedding(m.num_embeddings, m.embedding_dim),
    ours.PositionalEmbedding: lambda m: twins.PositionalEmbedding(m.block_size, m.embedding_dim),
    ours.SinusoidalPositionalEncoding: lambda m: twins.SinusoidalPositionalEncoding(m.max_len, m.d_model),
    ours.LayerNorm: lambda m: twins.LayerNorm(m.normalized_shape, m.eps, _has(m.weight), _has(m.bias)),
    ours.RMSNorm: lambda m: twins.RMSNorm(m.normalized_shape, m.eps, _has(m.weight)),
    ours.AttentionHead: lambda m: twins.AttentionHead(m.d_model, m.d_head, m.causal, _has(m.query.bias)),
    ours.MultiHeadAttention: lambda m: twins.MultiHeadAttention(
        m.d_model, m.n_head, m.causal, _has(m.proj.bias)
    ),
    ours.CrossAttention: lambda m: twins.CrossAttention(m.d_query, m.d_memory, m.scoring, m.d_attn),
    ours.FeedForward: lambda m: twins.FeedForward(
        m.fc.in_features, m.fc.out_features, m.activation, _has(m.fc.bias)
    ),
    ours.AddNorm: lambda m: twins.AddNorm(m.d_model, _norm_name(m.norm), _has(getattr(m.norm, "bias", 0))),
    ours.TransformerBlock: lambda m: twins.TransformerBlock(
        m.d_model, m.attn.n_head, causal=m.attn.causal, **_block_settings(m)
    ),
    ours.TransformerDecoderBlock: lambda m: twins.TransformerDecoderBlock(
        m.d_model, m.attn.n_head, **_block_settings(m)
    ),
    ours.RNNCell: _cell(twins.RNNCell),
    ours.GRUCell: _cell(twins.GRUCell),
    ours.LSTMCell: _cell(twins.LSTMCell),
    ours.Conv2d: lambda m: twins.Conv2d(
        m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, _has(m.bias)
    ),
    ours.Conv1d: lambda m: twins.Conv1d(
        m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, _has(m.bias)
    ),
    ours.MaxPool2d: lambda m: twins.MaxPool2d(m.kernel_size, m.stride),
    ours.AvgPool2d: lambda m: twins.AvgPool2d(m.kernel_size, m.stride),
    ours.MaxPool1d: lambda m: twins.MaxPool1d(m.kernel_size, m.stride),
    ours.Flatten: lambda m: twins.Flatten(),
    ours.Collapse: lambda m: twins.Collapse(m.mode),
    # The whole systems: a twin takes the constructor arguments ours records in config().
    DigitCNN: lambda m: twins.DigitCNN(**m.config()),
    GPT: lambda m: twins.GPT(**m.config()),
    BERT: lambda m: twins.BERT(**m.config()),
    BERTClassifier: lambda m: twins.BERTClassifier(
        twins.BERT(**m.encoder.config()), m.n_classes, m.pool.mode
    ),
    Seq2Seq: lambda m: twins.Seq2Seq(**m.config()),
    TransformerTranslator: lambda m: twins.TransformerTranslator(**m.config()),
    Parser: _parser,
}

KNOWN = tuple(sorted(cls.__name__ for cls in TWINS))


def to_torch(module: Module, dtype: torch.dtype = torch.float64) -> nn.Module:
    """The torch twin of `module`, holding its weights (in `dtype`).

    Only the class itself is looked up (a subclass of ours may compute
    something else); a module the bridge does not know is refused by name.
    """
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(
            f"to_torch: dtype must be a torch floating-point type such as torch.float64, got {dtype!r}"
        )
    build = TWINS.get(type(module))
    if build is None:
        raise TypeError(
            f"to_torch: no torch twin for {type(module).__name__}; the bridge knows {', '.join(KNOWN)}"
        )
    twin = build(module).to(dtype)
    _tie_like(module, twin)
    state = {name: torch.tensor(numbers, dtype=dtype) for name, numbers in module.state_dict().items()}
    twin.load_state_dict(state, strict=True)
    return twin


def from_torch(torch_module: nn.Module, ours: Module) -> None:
    """Copy the weights of `torch_module` (a twin, or any torch module with our
    names and shapes) into `ours`. Every name and shape is checked first;
    on a mismatch a ValueError names the parameter and both shapes, and
    `ours` is left as it was."""
    if not isinstance(torch_module, nn.Module):
        raise TypeError(f"from_torch: expected a torch.nn.Module first, got {type(torch_module).__name__}")
    if not isinstance(ours, Module):
        raise TypeError(f"from_torch: expected a tinygrad_edu Module second, got {type(ours).__name__}")
    theirs = torch_module.state_dict()
    mine = ours.state_dict()
    missing = [name for name in mine if name not in theirs]
    if missing:
        raise ValueError(
            f"from_torch: the {type(torch_module).__name__} has no {', '.join(map(repr, missing))} "
            f"for the {type(ours).__name__}; is it the twin of another model?"
        )
    for name, numbers in mine.items():
        want = _shape(numbers)
        got = tuple(theirs[name].shape)
        if got != want:
            raise ValueError(
                f"from_torch: {name!r} has shape {got} in the torch module ({type(torch_module).__name__}) "
                f"but {want} in ours ({type(ours).__name__}); nothing was copied"
            )
    ours.load_state_dict({name: theirs[name].detach().double().tolist() for name in mine})


def _shape(numbers) -> tuple[int, ...]:
    shape = []
    while isinstance(numbers, list):
        shape.append(len(numbers))
        numbers = numbers[0] if numbers else None
    return tuple(shape)


def _tie_like(module: Module, twin: nn.Module) -> None:
    """Make every tensor ours reaches by two names one Parameter in the twin too."""
    first: dict[int, str] = {}
    for name, tensor in module.named_parameters(remove_duplicate=False):
        if id(tensor) not in first:
            first[id(tensor)] = name
            continue
        owner, _, leaf = name.rpartition(".")
        setattr(twin.get_submodule(owner), leaf, twin.get_parameter(first[id(tensor)]))
