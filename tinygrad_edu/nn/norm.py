"""LayerNorm and RMSNorm: keep each vector at a steady scale.

Deep stacks of layers drift: a vector's numbers grow or shrink from layer to
layer and the gradients with them. A norm layer rescales every vector on its
own (no batch statistics), then lets the model pick its preferred scale back
with a learned per-feature `weight` (and `bias`).

* LayerNorm: subtract the mean, divide by the standard deviation.
* RMSNorm: only divide by the root mean square (no centring): fewer
  operations, and in practice as good (LLaMA and microgpt use it).

Both follow PyTorch: the variance is the biased one (divide by n, not n-1),
`eps` goes inside the square root, names and shapes are those of
`torch.nn.LayerNorm(d)` and `torch.nn.RMSNorm(d)`.

    >>> ln = LayerNorm(3)
    >>> ln
    LayerNorm(3, eps=1e-05)
    >>> [round(v.data, 4) for v in ln([1.0, 2.0, 3.0])]  # mean 0, variance 1
    [-1.2247, 0.0, 1.2247]
    >>> [round(v.data, 4) for v in RMSNorm(2)([3.0, 4.0])]  # divided by sqrt((9 + 16) / 2)
    [0.8485, 1.1314]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..checks import INPUT_ERRORS, check_flag, check_parameter_count, check_size, check_vector, in_module
from ..engine import Operand, Value
from .module import Module

__all__ = ["LayerNorm", "RMSNorm", "make_norm"]

NORMS = ("layernorm", "rmsnorm")


class LayerNorm(Module):
    """y = (x - mean(x)) / sqrt(var(x) + eps) * weight + bias.

    weight starts at 1 and bias at 0, so a fresh LayerNorm only normalises.
    `elementwise_affine=False` drops both; `bias=False` drops only the bias
    (as in `torch.nn.LayerNorm`).
    """

    def __init__(
        self, normalized_shape: int, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True
    ) -> None:
        check_size(normalized_shape, "LayerNorm", "normalized_shape")
        _check_eps(eps, "LayerNorm")
        check_flag(elementwise_affine, "LayerNorm", "elementwise_affine")
        check_flag(bias, "LayerNorm", "bias")
        count = normalized_shape * (elementwise_affine + (elementwise_affine and bias))
        check_parameter_count(count, f"LayerNorm({normalized_shape})")
        self.weight = [Value(1.0) for _ in range(normalized_shape)] if elementwise_affine else None
        self.bias = [Value(0.0) for _ in range(normalized_shape)] if elementwise_affine and bias else None
        self.normalized_shape = normalized_shape
        self.eps = eps

    def __call__(self, x: Sequence[Operand]) -> list[Value]:
        check_vector(x, self.normalized_shape, self)
        inv_n = 1.0 / self.normalized_shape
        try:
            x, scale = _rescaled(_centred_on_an_entry(x))
            mean = Value.sum(x) * inv_n
        except INPUT_ERRORS as error:  # an entry that is not a number: name the module
            raise in_module(self, error) from None
        centred = [xi - mean for xi in x]
        variance = Value.dot(centred, centred) * inv_n  # biased (1/n), as PyTorch
        inv_std = (variance + self.eps * scale * scale) ** -0.5
        # Gradients flow through mean and inv_std too: each output depends
        # on every input. Fused sum/dot keep that to about 4n + 6 nodes.
        y = [c * inv_std for c in centred]
        if self.weight is not None:
            y = [yi * w for yi, w in zip(y, self.weight)]
        if self.bias is not None:
            y = [yi + b for yi, b in zip(y, self.bias)]
        return y

    def extra_repr(self) -> str:
        text = f"{self.normalized_shape}, eps={self.eps:g}"
        if self.weight is None:
            text += ", elementwise_affine=False"
        elif self.bias is None:
            text += ", bias=False"
        return text


class RMSNorm(Module):
    """y = x / sqrt(mean(x**2) + eps) * weight (no centring, no bias).

    `eps` is 1e-5 here; `torch.nn.RMSNorm` defaults to the float type's
    machine epsilon, so pass ``eps=1e-5`` to it when comparing.

        >>> RMSNorm(4, elementwise_affine=False).parameters()  # microgpt's rmsnorm
        []
    """

    def __init__(self, normalized_shape: int, eps: float = 1e-5, elementwise_affine: bool = True) -> None:
        check_size(normalized_shape, "RMSNorm", "normalized_shape")
        _check_eps(eps, "RMSNorm")
        check_flag(elementwise_affine, "RMSNorm", "elementwise_affine")
        check_parameter_count(normalized_shape * elementwise_affine, f"RMSNorm({normalized_shape})")
        self.weight = [Value(1.0) for _ in range(normalized_shape)] if elementwise_affine else None
        self.normalized_shape = normalized_shape
        self.eps = eps

    def __call__(self, x: Sequence[Operand]) -> list[Value]:
        check_vector(x, self.normalized_shape, self)
        try:
            x, scale = _rescaled(x)
            mean_square = Value.dot(x, x) * (1.0 / self.normalized_shape)
        except INPUT_ERRORS as error:  # an entry that is not a number: name the module
            raise in_module(self, error) from None
        inv_rms = (mean_square + self.eps * scale * scale) ** -0.5
        if self.weight is None:
            return [xi * inv_rms for xi in x]
        return [xi * inv_rms * w for xi, w in zip(x, self.weight)]

    def extra_repr(self) -> str:
        text = f"{self.normalized_shape}, eps={self.eps:g}"
        if self.weight is None:
            text += ", elementwise_affine=False"
        return text


# Squares of numbers up to 2**256 (1.2e77) and their sums stay far inside a float.
_HUGE = 2.0**256


def _rescaled(x: Sequence[Operand]) -> tuple[Sequence[Operand], float]:
    """(x, 1.0), or for a vector with an entry beyond _HUGE, (x * s, s) with s
    a power of two that brings the largest entry near 1.

    A norm's output does not change when x is scaled and eps with it:
    s*c / sqrt(s**2 * var + s**2 * eps) = c / sqrt(var + eps). Without this,
    the squares of [1e155, -1e155] overflow; with it, LayerNorm gives
    [1, -1] as PyTorch does. s is a power of two, so x * s is exact, and an
    ordinary vector never takes this path (its graph is unchanged).
    """
    # A wrong entry (a str, a list) is skipped here; the engine names it next.
    numbers = [xi.data if isinstance(xi, Value) else xi for xi in x]
    biggest = max((abs(n) for n in numbers if isinstance(n, float | int)), default=0.0)
    if not biggest > _HUGE:
        return x, 1.0
    scale = 2.0 ** -math.frexp(biggest)[1]
    return [xi * scale for xi in x], scale


def _centred_on_an_entry(x: Sequence[Operand]) -> Sequence[Operand]:
    """x, or x - r for a vector whose spread is tiny next to its size, with
    r its first entry (a plain number: LayerNorm does not change when every
    entry moves by the same amount, as softmax does not).

    The mean of [1e99, 1e99, 1e99] is rounded, so x - mean is not 0 but
    about 1e83, and LayerNorm would give [1, 1, 1] where PyTorch gives the
    zeros of exact arithmetic; 1e101 raised an error at '**-0.5'. Moved by
    one of its own entries, a constant vector is exactly 0, whatever its
    size. An ordinary vector (spread above 1/1024 of its largest entry)
    never takes this path: its graph is unchanged.
    """
    numbers = [xi.data if isinstance(xi, Value) else xi for xi in x]
    numbers = [n for n in numbers if isinstance(n, float | int) and math.isfinite(n)]
    if not numbers:  # a wrong entry (a str, a list) is skipped; the engine names it next
        return x
    low, high = min(numbers), max(numbers)
    if not high - low < max(abs(low), abs(high)) * 2.0**-10:
        return x
    return [xi - numbers[0] for xi in x]


def make_norm(norm: str, size: int, bias: bool = True, where: str = "make_norm") -> LayerNorm | RMSNorm:
    """'layernorm' -> LayerNorm(size, bias=bias); 'rmsnorm' -> RMSNorm(size).
    `where` names the caller in the error for an unknown name."""
    if norm == "layernorm":
        return LayerNorm(size, bias=bias)
    if norm == "rmsnorm":
        return RMSNorm(size)
    raise ValueError(f"{where}: unknown norm {norm!r}; expected one of {NORMS}")


def _check_eps(eps: float, module: str) -> None:
    # eps keeps 1/sqrt(variance + eps) finite for a constant vector (variance 0).
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not 0.0 < eps < math.inf:
        raise ValueError(f"{module}: eps must be a positive finite number, got {eps!r}")
