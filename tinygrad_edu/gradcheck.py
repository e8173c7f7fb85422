"""Check backward() against central finite differences.

>>> from tinygrad_edu import gradcheck
>>> report = gradcheck(lambda x, y: (x * y).tanh(), [0.5, -1.5])
>>> report.ok
True
>>> print(report)  # doctest: +ELLIPSIS
gradcheck: 2 inputs, worst relative error ...e-... (tolerance 1e-05): ok
  input 0: backward -0.89... numeric -0.89... rel.error ...
  input 1: backward 0.29... numeric 0.29... rel.error ...
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .engine import Value


@dataclass(frozen=True)
class InputCheck:
    """One input's analytic (backward) and numeric (finite-difference) derivative."""

    index: int
    analytic: float
    numeric: float

    @property
    def relative_error(self) -> float:
        # Relative to the larger magnitude, but never divide by less than 1:
        # a tiny gradient is then judged by its absolute error.
        scale = max(1.0, abs(self.analytic), abs(self.numeric))
        return abs(self.analytic - self.numeric) / scale


@dataclass(frozen=True)
class GradcheckReport:
    inputs: tuple[InputCheck, ...]
    tolerance: float

    @property
    def worst(self) -> float:
        """The largest relative error, or NaN if any is NaN (max() would skip
        a NaN that is not first, and report ok)."""
        errors = [c.relative_error for c in self.inputs]
        if any(math.isnan(e) for e in errors):
            return math.nan
        return max(errors, default=0.0)

    @property
    def ok(self) -> bool:
        return self.worst <= self.tolerance  # False for NaN

    def __str__(self) -> str:
        lines = [
            f"gradcheck: {len(self.inputs)} input{'' if len(self.inputs) == 1 else 's'}, worst relative error {self.worst:.3g} "
            f"(tolerance {self.tolerance:g}): {'ok' if self.ok else 'FAILED'}"
        ]
        for c in self.inputs:
            lines.append(
                f"  input {c.index}: backward {c.analytic:.6g} numeric {c.numeric:.6g} "
                f"rel.error {c.relative_error:.3g}"
            )
        return "\n".join(lines)


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[float],
    eps: float = 1e-6,
    tolerance: float = 1e-5,
) -> GradcheckReport:
    """Compare the gradient of ``f(*inputs)`` from backward() with
    ``(f(x + eps) - f(x - eps)) / (2 eps)`` for each input.

    `f` takes one Value per input and returns a Value. `inputs` are numbers
    (or Values, whose `data` is used).
    """
    if not callable(f):
        raise TypeError(f"gradcheck: f must be callable, got {type(f).__name__}")
    if isinstance(inputs, (Value, str, bytes)) or not isinstance(inputs, Iterable):
        raise TypeError(f"gradcheck: inputs must be a list of numbers, got {type(inputs).__name__}")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not 0.0 < eps < math.inf:
        raise ValueError(f"gradcheck: eps must be a positive number, got {eps!r}")
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, numbers.Real)
        or not 0.0 <= tolerance < math.inf
    ):
        raise ValueError(f"gradcheck: tolerance must be a number >= 0, got {tolerance!r}")
    points = [_number(x) for x in inputs]
    if not points:
        raise ValueError("gradcheck: needs at least one input")
    values = [Value(x) for x in points]
    out = f(*values)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    out.backward()
    checks = []
    for i, x in enumerate(points):
        plus = _evaluate(f, points, i, x + eps)
        minus = _evaluate(f, points, i, x - eps)
        checks.append(InputCheck(i, values[i].grad, (plus - minus) / (2 * eps)))
    return GradcheckReport(tuple(checks), tolerance)


def _number(x: float | Value) -> float:
    if isinstance(x, Value):
        return x.data
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"gradcheck: inputs must be numbers or Values, got {x!r} of type {type(x).__name__}")
    return float(x)


def _evaluate(f: Callable[..., Value], points: list[float], i: int, x: float) -> float:
    shifted = list(points)
    shifted[i] = x
    return f(*(Value(v) for v in shifted)).data
