"""Neural-network modules built from scalar `Value`s.

>>> from tinygrad_edu import nn
>>> nn.MLP(2, [4, 1])
MLP(2 -> 4 -> 1, activations=relu, linear)
"""

from .linear import MLP, Layer, Linear, Neuron, activate
from .module import Module, shape_of

__all__ = ["MLP", "Layer", "Linear", "Module", "Neuron", "activate", "shape_of"]
