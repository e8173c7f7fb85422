"""compare: ours and its torch twin on the same inputs, number by number.

nn-zero-to-hero's backprop exercise checks every gradient with a line
``cmp(name, ours, torch)``; `compare` does that for a whole model at once.
It calls both on the same inputs (ours on one example, the twin on a batch
of that one example), takes a loss, runs backward on both and prints one
row per thing compared: the output, the loss, the gradient of every input
that holds numbers, and the gradient of every parameter, each with the
largest absolute difference between ours and torch's.

    >>> import random; random.seed(0)
    >>> from tinygrad_edu.nn import MLP
    >>> from tinygrad_edu.torch_bridge import to_torch
    >>> mlp = MLP(3, [4, 2])
    >>> table = compare(mlp, to_torch(mlp), ([0.5, -1.0, 2.0],))  # doctest: +ELLIPSIS
    MLP vs its torch twin (float64): the largest |ours - torch|
      output                               (2,)  ...
      loss                                 ()    ...
      grad of input 0                      (3,)  ...
      grad layers.0.neurons.0.weight       (3,)  ...
    ...
    >>> max(table.values()) < 1e-12
    True

Inputs are given as ours takes them; each becomes a tensor with a batch
axis of one: whole numbers become token ids (a LongTensor), True/False a
mask, anything else floats in the twin's dtype. Pass `their_inputs` when
the twin wants something else (a parser's legal moves as a mask, say).
The loss is, by default, tanh of a weighted sum of every output (each with
its own weight, so that every gradient differs); ``loss="loss"`` calls the
method of that name on both instead (``model.loss(ids, targets)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from ..engine import Value
from ..nn.module import Module, flatten, shape_of

__all__ = ["compare"]


def compare(
    ours: Module,
    theirs: nn.Module,
    inputs: Sequence[Any],
    loss: str | None = None,
    *,
    their_inputs: Sequence[Any] | None = None,
    show: bool = True,
) -> dict[str, float]:
    """{what: largest absolute difference} for the output (unless `loss` names
    a method), the loss, every input's and every parameter's gradient;
    printed as a table unless ``show=False``. Gradients accumulate, as
    backward() does: both models' are zeroed first."""
    if not isinstance(inputs, (tuple, list)):
        raise TypeError(
            f"compare: inputs must be a tuple of the arguments ours takes, got {type(inputs).__name__}"
        )
    if loss is not None:
        for model in (ours, theirs):
            if not callable(getattr(model, loss, None)):
                raise ValueError(f"compare: loss={loss!r} names no method of {type(model).__name__}")
    dtype = next((p.dtype for p in theirs.parameters()), torch.float64)
    our_args = [_as_values(x) for x in inputs]
    torch_args = list(their_inputs) if their_inputs is not None else [_batched(x, dtype) for x in inputs]
    ours.zero_grad()
    theirs.zero_grad(set_to_none=True)

    rows: dict[str, tuple[tuple, float]] = {}
    if loss is None:
        out, out_t = ours(*our_args), _unbatched(theirs(*torch_args))
        flat, flat_t = flatten(out), _flat_tensor(out_t)
        if len(flat) != flat_t.numel():
            raise ValueError(
                f"compare: ours gives {len(flat)} outputs, shaped {shape_of(out)}, the twin {flat_t.numel()}"
            )
        rows["output"] = (shape_of(out), _largest([v.data for v in flat], flat_t))
        weights = [0.3 + 0.1 * (i % 7) - 0.01 * i for i in range(len(flat))]
        loss_ours = Value.dot(flat, weights).tanh()
        loss_theirs = (flat_t * torch.tensor(weights, dtype=flat_t.dtype)).sum().tanh()
    else:
        loss_ours = getattr(ours, loss)(*our_args)
        loss_theirs = getattr(theirs, loss)(*torch_args)
    rows["loss"] = ((), abs(loss_ours.data - loss_theirs.item()))
    loss_ours.backward()
    loss_theirs.backward()

    for k, (mine, tensor) in enumerate(zip(our_args, torch_args)):
        if _holds_values(mine) and isinstance(tensor, torch.Tensor) and tensor.requires_grad:
            grad = tensor.grad if tensor.grad is not None else torch.zeros_like(tensor)
            rows[f"grad of input {k}"] = (shape_of(mine), _largest(_grads(mine), grad[0]))
    params = dict(theirs.named_parameters(remove_duplicate=False))
    for name, tensor in ours.named_parameters():
        param = params[name]
        grad = param.grad if param.grad is not None else torch.zeros_like(param)
        rows[f"grad {name}"] = (shape_of(tensor), _largest(_grads(tensor), grad))

    if show:
        print(
            f"{type(ours).__name__} vs its torch twin ({str(dtype).removeprefix('torch.')}): the largest |ours - torch|"
        )
        width = max(36, *(len(name) for name in rows))
        shape_width = max(5, *(len(str(shape)) for shape, _ in rows.values()))
        for name, (shape, diff) in rows.items():
            print(f"  {name:<{width}} {str(shape):<{shape_width}} {diff:.1e}")
    return {name: diff for name, (_, diff) in rows.items()}


# ------------------------------------------------------------------ helpers
def _leaves(x: Any) -> list:
    return flatten(x) if isinstance(x, (list, tuple)) else [x]


def _kind(x: Any) -> str:
    """'ids' (whole numbers), 'mask' (booleans) or 'numbers'."""
    leaves = _leaves(x)
    if leaves and all(isinstance(v, bool) for v in leaves):
        return "mask"
    if leaves and all(isinstance(v, int) and not isinstance(v, bool) for v in leaves):
        return "ids"
    return "numbers"


def _as_values(x: Any) -> Any:
    """Ours' argument: numbers become Values (so their gradients can be read)."""
    if x is None or isinstance(x, torch.Tensor) or _kind(x) != "numbers":
        return x
    if isinstance(x, (list, tuple)):
        return [_as_values(item) for item in x]
    return x if isinstance(x, Value) else Value(float(x))


def _data(x: Any) -> Any:
    if isinstance(x, Value):
        return x.data
    if isinstance(x, (list, tuple)):
        return [_data(item) for item in x]
    return x


def _batched(x: Any, dtype: torch.dtype) -> Any:
    """The twin's argument: a batch of one."""
    if x is None or isinstance(x, torch.Tensor):
        return x
    kind = _kind(x)
    if kind == "ids":
        return torch.tensor([x], dtype=torch.long)
    if kind == "mask":
        return torch.tensor([x], dtype=torch.bool)
    return torch.tensor([_data(x)], dtype=dtype, requires_grad=True)


def _unbatched(out: Any) -> Any:
    if isinstance(out, tuple):
        return tuple(t[0] for t in out)
    return out[0]


def _flat_tensor(out: Any) -> torch.Tensor:
    if isinstance(out, tuple):
        return torch.cat([t.reshape(-1) for t in out])
    return out.reshape(-1)


def _holds_values(x: Any) -> bool:
    return isinstance(x, Value) or (isinstance(x, list) and any(isinstance(v, Value) for v in flatten(x)))


def _grads(x: Any) -> list[float]:
    return [v.grad if isinstance(v, Value) else 0.0 for v in _leaves(x)]


def _largest(numbers: list[float], tensor: torch.Tensor) -> float:
    theirs = tensor.detach().double().reshape(-1).tolist()
    if len(theirs) != len(numbers):
        raise ValueError(f"compare: {len(numbers)} numbers on our side, {len(theirs)} on torch's")
    return max((abs(a - b) if a != b else 0.0 for a, b in zip(numbers, theirs)), default=0.0)
