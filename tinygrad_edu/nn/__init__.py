"""Neural-network modules built from scalar `Value`s.

>>> from tinygrad_edu import nn
>>> nn.MLP(2, [4, 1])
MLP(2 -> 4 -> 1, activations=relu, linear)
"""

from .linear import MLP, Layer, Linear, Neuron, activate
from .module import Module, shape_of
from .recurrent import GRUCell, LSTMCell, RNNCell, run_sequence

__all__ = [
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
