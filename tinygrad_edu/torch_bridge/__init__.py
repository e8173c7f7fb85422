"""From here to PyTorch and back: the same model, the same weights, the same numbers.

A model built from scalar `Value`s teaches what every number does; a model
that must train on more data than one scalar engine can push through, or on
several machines, needs tensors. This bridge turns one into the other:

* ``to_torch(module)`` builds the torch twin of any tinygrad_edu module (a
  class of `tinygrad_edu.torch_bridge.modules`, written to be read beside
  ours) and loads our ``state_dict()`` into it unchanged;
* ``from_torch(twin, ours)`` copies the twin's weights back (checked first:
  a wrong name or shape changes nothing);
* ``compare(ours, twin, inputs)`` runs both on the same inputs and prints,
  for the output, the loss and every gradient, the largest difference.

In float64 the two agree to rounding, about 1e-15: the same math, summed in
another order.

    >>> import random; random.seed(0)
    >>> from tinygrad_edu.models.gpt import GPT
    >>> model = GPT(vocab_size=5, block_size=4, n_layer=1, n_embd=8, n_head=2)
    >>> twin = to_torch(model)
    >>> type(twin).__module__, type(twin).__name__
    ('tinygrad_edu.torch_bridge.modules', 'GPT')
    >>> table = compare(model, twin, ([0, 3, 1], [3, 1, 0]), loss="loss", show=False)
    >>> max(table.values()) < 1e-12          # the loss and all 21 gradients
    True
    >>> from_torch(twin, model)              # and back: exact
    >>> to_torch(object())
    Traceback (most recent call last):
    ...
    TypeError: to_torch: no torch twin for object; the bridge knows AddNorm, AttentionHead, AvgPool2d, ...

Needs PyTorch (``pip install "tinygrad-edu[torch]"``); nothing else in the
package imports it.
"""

from __future__ import annotations

try:
    import torch  # noqa: F401
except ImportError:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "tinygrad_edu.torch_bridge needs PyTorch, which is not installed. The CPU-only build is "
        "enough: python -m pip install torch --index-url https://download.pytorch.org/whl/cpu "
        "(or pip install 'tinygrad-edu[torch]')"
    ) from None

from .compare import compare
from .convert import KNOWN, from_torch, to_torch

__all__ = ["KNOWN", "compare", "from_torch", "to_torch"]
