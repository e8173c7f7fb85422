"""Neural-network modules built from scalar `Value`s.

>>> from tinygrad_edu import nn
>>> nn.MLP(2, [4, 1])
MLP(2 -> 4 -> 1, activations=relu, linear)
"""

from .attention import AttentionHead, CrossAttention, MultiHeadAttention, causal_mask
from .conv import Conv1d, Conv2d
from .embedding import Embedding, PositionalEmbedding, SinusoidalPositionalEncoding, sinusoidal_table
from .linear import MLP, Layer, Linear, Neuron, activate
from .module import Module, shape_of
from .norm import LayerNorm, RMSNorm
from .pooling import AvgPool2d, Collapse, Flatten, MaxPool1d, MaxPool2d
from .recurrent import GRUCell, LSTMCell, RNNCell, run_sequence
from .transformer import AddNorm, FeedForward, TransformerBlock, TransformerDecoderBlock

__all__ = [
    "AddNorm",
    "AttentionHead",
    "AvgPool2d",
    "Collapse",
    "Conv1d",
    "Conv2d",
    "CrossAttention",
    "Embedding",
    "FeedForward",
    "Flatten",
    "LayerNorm",
    "MaxPool1d",
    "MaxPool2d",
    "MultiHeadAttention",
    "PositionalEmbedding",
    "RMSNorm",
    "SinusoidalPositionalEncoding",
    "TransformerBlock",
    "TransformerDecoderBlock",
    "causal_mask",
    "sinusoidal_table",
    "MLP",
    "GRUCell",
    "LSTMCell",
    "Layer",
    "Linear",
    "Module",
    "Neuron",
    "RNNCell",
    "activate",
    "run_sequence",
    "shape_of",
]
