"""Neurons, layers and MLPs, micrograd-style, and a PyTorch-style Linear.

>>> import random; random.seed(0)
>>> model = MLP(2, [16, 16, 1])
>>> model
MLP(2 -> 16 -> 16 -> 1, activations=relu, relu, linear)
>>> out = model([0.5, -1.0])
>>> isinstance(out, list), len(out)  # always a list, even of one output
(True, 1)
>>> loss = out[0]           # micrograd returns the Value itself; here take it out
>>> out.backward()          # the first habit of a micrograd user
Traceback (most recent call last):
...
AttributeError: MLP returns a list of 1 output Value: call .backward on one of them, e.g. model(x)[0].backward()
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from ..checks import (
    ACTIVATIONS,
    INPUT_ERRORS,
    as_lists,
    check_activation,
    check_flag,
    check_parameter_count,
    check_sequence,
    check_size,
    check_vector,
    in_module,
    is_batch,
)
from ..engine import Operand, Value
from .module import Module

Vector = Sequence[Operand]


def activate(x: Value, activation: str) -> Value:
    """Apply a named activation ('linear' is the identity)."""
    try:  # free until something is wrong: then x has no .relu()
        if activation == "relu":
            return x.relu()
        if activation == "tanh":
            return x.tanh()
        if activation == "sigmoid":
            return x.sigmoid()
    except AttributeError:
        raise TypeError(f"activate: expected a Value, got {x!r:.40} of type {type(x).__name__}") from None
    if activation == "linear":
        return x
    raise ValueError(f"activate: unknown activation {activation!r}; expected one of {ACTIVATIONS}")


class Neuron(Module):
    """activation(w . x + b): a weighted vote of the inputs, then a squash.

    >>> n = Neuron(2, activation="tanh")
    >>> n.weight = [Value(0.5), Value(-1.0)]; n.bias = Value(0.1)
    >>> round(n([2.0, 1.0]).data, 6)  # tanh(0.5*2 - 1*1 + 0.1)
    0.099668
    """

    def __init__(self, nin: int, activation: str = "relu") -> None:
        check_size(nin, "Neuron", "nin")
        check_activation(activation, "Neuron")
        check_parameter_count(nin + 1, f"Neuron({nin}, {activation})")
        # micrograd's init: uniform in [-1, 1], bias 0. (Linear below uses
        # PyTorch's +-1/sqrt(nin), which suits wide layers better.)
        self.weight = [Value(random.uniform(-1.0, 1.0)) for _ in range(nin)]
        self.bias = Value(0.0)
        self.activation = activation

    def __call__(self, x: Sequence[Operand]) -> Value:
        x = as_lists(x)  # a NumPy vector too
        check_vector(x, len(self.weight), self)
        try:
            z = Value.dot(self.weight, x, self.bias)
        except INPUT_ERRORS as error:
            raise in_module(self, error) from None
        return activate(z, self.activation)

    def extra_repr(self) -> str:
        return f"{len(self.weight)}, {self.activation}"


class Layer(Module):
    """`nout` neurons that all read the same input vector."""

    def __init__(self, nin: int, nout: int, activation: str = "relu") -> None:
        check_size(nout, "Layer", "nout")
        check_size(nin, "Layer", "nin")
        check_parameter_count(nout * (nin + 1), f"Layer({nin} -> {nout}, {activation})")
        self.neurons = [Neuron(nin, activation) for _ in range(nout)]

    def __call__(self, x: Sequence[Operand]) -> list[Value]:
        x = as_lists(x)  # a NumPy vector too
        check_vector(x, len(self.neurons[0].weight), self)
        # The same as [neuron(x) for neuron in self.neurons], with x read and
        # checked once for the layer instead of once per neuron.
        neurons = self.neurons
        try:
            zs = Value.linear([n.weight for n in neurons], x, [n.bias for n in neurons])
        except INPUT_ERRORS as error:
            raise in_module(self, error) from None
        return [activate(z, n.activation) for z, n in zip(zs, neurons)]

    def extra_repr(self) -> str:
        first = self.neurons[0]
        return f"{len(first.weight)} -> {len(self.neurons)}, {first.activation}"

    def __repr__(self) -> str:  # sixteen identical neuron lines would say nothing
        return f"Layer({self.extra_repr()})"


class Outputs(list):
    """What an MLP returns: a plain list of its output Values. Its one
    difference from a list is the error for a Value's attribute (``.backward``,
    ``.data``...), which says to take an entry first. `__getattr__` runs only
    when normal lookup fails, so this costs nothing on the hot path."""

    __slots__ = ()

    def __getattr__(self, name: str):
        if name in _VALUE_ATTRIBUTES:
            n = len(self)
            raise AttributeError(
                f"MLP returns a list of {n} output Value{'s' if n != 1 else ''}: call .{name} on one of "
                f"them, e.g. model(x)[0].{name}{'()' if name in ('backward', 'backward_steps') else ''}"
            )
        raise AttributeError(f"'list' object has no attribute {name!r}")


_VALUE_ATTRIBUTES = frozenset(
    [
        "backward",
        "backward_steps",
        "data",
        "grad",
        "label",
        "op",
        "parents",
        "local_grads",
        "topological_order",
    ]
    + ["tanh", "relu", "sigmoid", "exp", "log", "abs", "sqrt"]
)


class MLP(Module):
    """A stack of Layers. `activations` is one name for every hidden layer (the
    last layer is then linear) or a list with one name per layer.

    Calling it returns a list of the last layer's outputs, even of one, unlike
    micrograd's MLP, which returns the bare Value when there is one output:

        >>> model = MLP(2, [4, 1])
        >>> out = model([0.5, -1.0])[0]   # the one output Value
        >>> out.backward()
    """

    def __init__(self, nin: int, nouts: Sequence[int], activations: str | Sequence[str] = "relu") -> None:
        check_size(nin, "MLP", "nin")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence):
            raise TypeError(f"MLP: nouts must be a list of layer sizes, like [16, 16, 1], got {nouts!r}")
        if not nouts:
            raise ValueError("MLP: nouts needs at least one layer size, got []")
        for i, n in enumerate(nouts):
            check_size(n, "MLP", f"nouts[{i}]")
        if isinstance(activations, str):
            check_activation(activations, "MLP")  # even when one layer leaves it unused
            activations = [activations] * (len(nouts) - 1) + ["linear"]
        if not isinstance(activations, Sequence):
            raise TypeError(f"MLP: activations must be a name or a list of names, got {activations!r}")
        if len(activations) != len(nouts):
            raise ValueError(
                f"MLP: got {len(activations)} activations for {len(nouts)} layers; give one per layer"
            )
        for a in activations:
            check_activation(a, "MLP")
        sizes = [nin, *nouts]
        self.layers = [Layer(sizes[i], sizes[i + 1], activations[i]) for i in range(len(nouts))]

    def __call__(self, x: Sequence[Operand]) -> Outputs:
        """The outputs as a list, even of one (``model(x)[0]`` is the Value)."""
        try:
            for layer in self.layers:
                x = layer(x)
        except INPUT_ERRORS as error:  # the layer named itself; name the model the user called
            raise in_module(self, error) from None
        return Outputs(x)

    def extra_repr(self) -> str:
        sizes = [len(self.layers[0].neurons[0].weight)] + [len(layer.neurons) for layer in self.layers]
        acts = ", ".join(layer.neurons[0].activation for layer in self.layers)
        return " -> ".join(map(str, sizes)) + f", activations={acts}"

    def __repr__(self) -> str:
        return f"MLP({self.extra_repr()})"


class Linear(Module):
    """y = W x + b, with PyTorch's names and shapes: weight (out, in), bias (out,).

    >>> layer = Linear(4, 3)
    >>> layer
    Linear(in_features=4, out_features=3, bias=True)
    >>> len(layer([1.0, 2.0, 3.0, 4.0]))
    3
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        check_size(in_features, "Linear", "in_features")
        check_size(out_features, "Linear", "out_features")
        check_flag(bias, "Linear", "bias")
        check_parameter_count(
            out_features * (in_features + bias),
            f"Linear(in_features={in_features}, out_features={out_features}, bias={bias})",
        )
        bound = 1.0 / math.sqrt(in_features)
        self.weight = [
            [Value(random.uniform(-bound, bound)) for _ in range(in_features)] for _ in range(out_features)
        ]
        self.bias = [Value(random.uniform(-bound, bound)) for _ in range(out_features)] if bias else None
        self.in_features = in_features
        self.out_features = out_features

    def __call__(self, x: Vector | Sequence[Vector]) -> list[Value] | list[list[Value]]:
        """W x + b for one vector x (in_features,) -> (out_features,); or, as
        PyTorch's Linear takes a batch, for each vector of a sequence
        (T, in_features) -> (T, out_features), with each row of W read once
        for all T (`Value.linear_batch`). NumPy vectors and 2-D arrays are
        taken as lists (`as_lists`)."""
        x = as_lists(x)
        if is_batch(x):
            check_sequence(x, self.in_features, self)
            try:
                return Value.linear_batch(self.weight, x, self.bias)
            except INPUT_ERRORS as error:
                raise in_module(self, error) from None
        check_vector(x, self.in_features, self)
        try:
            return Value.linear(self.weight, x, self.bias)
        except INPUT_ERRORS as error:
            raise in_module(self, error) from None

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
        )
