"""What ``params=`` means everywhere in viz: a Module, or some Values.

A drawing marks parameters, the stepping page calls them "a parameter", and
the training player lists them by name. All three read the same argument,
so one function reads it: `parse_params` gives (name, Value) pairs.

* A Module (anything with ``named_parameters``) gives every scalar of
  every parameter tensor, named as PyTorch would: ``weight[2]`` inside
  ``layers.0.neurons.1`` is ``layers.0.neurons.1.weight[2]``.
* A Value, or a list of them, names each by its label, else ``p0``,
  ``p1``, ... by its position.

    >>> from tinygrad_edu import Value
    >>> w, b = Value(0.5, label="w"), Value(0.1)
    >>> [name for name, _ in parse_params([w, b], "draw_dot")]
    ['w', 'p1']
    >>> from tinygrad_edu.nn import MLP
    >>> [name for name, _ in parse_params(MLP(2, [1]), "draw_dot")]
    ['layers.0.neurons.0.weight[0]', 'layers.0.neurons.0.weight[1]', 'layers.0.neurons.0.bias']
    >>> parse_params("w", "draw_dot")
    Traceback (most recent call last):
      ...
    TypeError: draw_dot: params= needs a Module or a list of Values, got str
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tinygrad_edu.engine import Value

__all__ = ["parse_params"]


def parse_params(params: Any, where: str) -> list[tuple[str, Value]]:
    """(name, Value) for every parameter `params` names (a Module, a Value
    or Values; None for none); `where` is the function named in an error."""
    if params is None:
        return []
    named = getattr(params, "named_parameters", None)
    if callable(named):
        return [(name + suffix, v) for name, tensor in named() for suffix, v in _scalars(tensor)]
    if isinstance(params, Value):
        params = [params]
    if isinstance(params, (str, bytes)) or not isinstance(params, Iterable):
        raise TypeError(f"{where}: params= needs a Module or a list of Values, got {type(params).__name__}")
    values = list(params)
    for v in values:
        if not isinstance(v, Value):
            raise TypeError(f"{where}: params= needs a Module or a list of Values, got an entry {v!r:.40}")
    return [(v.label or f"p{i}", v) for i, v in enumerate(values)]


def _scalars(tensor: Any, suffix: str = "") -> list[tuple[str, Value]]:
    """('[i][j]', value) for every scalar of a parameter tensor."""
    if isinstance(tensor, (list, tuple)):
        return [pair for i, item in enumerate(tensor) for pair in _scalars(item, f"{suffix}[{i}]")]
    return [(suffix, tensor)]
