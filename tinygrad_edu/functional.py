"""Losses and the softmax family, on lists of `Value`s.

>>> from tinygrad_edu import Value
>>> logits = [Value(2.0), Value(1.0), Value(0.1)]
>>> [round(p.data, 4) for p in softmax(logits)]
[0.659, 0.2424, 0.0986]
>>> [round(p.data, 4) for p in softmax(logits, temperature=10.0)]  # hotter: flatter
[0.3661, 0.3312, 0.3027]
>>> round(cross_entropy(logits, 0).data, 4)  # -log(0.659)
0.417
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence

from .engine import Operand, Value, check_positive


def softmax(logits: Sequence[Value], temperature: float = 1.0) -> list[Value]:
    """exp(z_i / T) / sum_j exp(z_j / T).

    The largest logit is subtracted first: softmax does not change when every
    logit moves by the same amount, and exp then never sees a large positive
    number (so logits of 1000 give 1.0, not an overflow). The subtracted max
    is a plain number, a constant: no gradient flows through it, and none
    needs to. It is subtracted before dividing by T, so that a tiny
    temperature (1e-308) scales the differences, not the logits themselves.

    A logit whose shifted value is below -746 has an exp of exactly 0.0 in
    a float, and so has its derivative: its term is a constant 0, so that
    ``softmax([1e308, -1e308])`` gives [1, 0] as PyTorch does instead of
    overflowing in the subtraction.

    A NaN or infinite logit has no meaningful max, so it is refused with
    an error naming the function (run the forward pass inside
    `tinygrad_edu.detect_anomaly()` to find the op that made it).

        >>> [p.data for p in softmax([Value(1e308), Value(-1e308)])]
        [1.0, 0.0]
    """
    values = _values(logits, "softmax")
    inverse = inverse_temperature(temperature, "softmax")
    exps = _shifted_exps(values, _max_logit(values, "softmax"), inverse)
    total = Value.sum(exps)
    return [e / total for e in exps]


def log_softmax(logits: Sequence[Value], temperature: float = 1.0) -> list[Value]:
    """z_i / T - logsumexp(z / T), computed as (z_i - m) / T - log(sum_j
    exp((z_j - m) / T)) with m = max z: the shifted logit is made before the
    log term is subtracted, so that the log term is not lost in the rounding
    of a large logit (m + log(sum) - z_i is exactly 0 at z = 1e16)."""
    values = _values(logits, "log_softmax")
    inverse = inverse_temperature(temperature, "log_softmax")
    shift = _max_logit(values, "log_softmax")
    shifted = [_shifted(z, shift, inverse) for z in values]
    log_total = Value.sum([d.exp() if d.data >= _EXP_UNDERFLOW else Value(0.0) for d in shifted]).log()
    return [d - log_total for d in shifted]


def logsumexp(values: Sequence[Value]) -> Value:
    """log(sum_i exp(v_i)) = m + log(sum_i exp(v_i - m)) with m = max v_i."""
    values = _values(values, "logsumexp")
    shift = _max_logit(values, "logsumexp")
    return Value.sum(_shifted_exps(values, shift, 1.0)).log() + shift


# exp(x) is exactly 0.0 in a float below about -745.13, and so is its derivative.
_EXP_UNDERFLOW = -746.0


def _shifted(z: Value, shift: float, inverse: float) -> Value:
    """(z - m) / T: the shift first, then the temperature."""
    return z - shift if inverse == 1.0 else (z - shift) * inverse


def _shifted_exps(values: list[Value], shift: float, inverse: float) -> list[Value]:
    """exp((z - m) / T) for each logit z; a constant 0.0 where that exp is
    0.0 in a float anyway (the difference may even be beyond a float:
    (-1e308 - 1e308) / T)."""
    return [
        _shifted(z, shift, inverse).exp() if (z.data - shift) * inverse >= _EXP_UNDERFLOW else Value(0.0)
        for z in values
    ]


def cross_entropy(logits: Sequence[Value], target: int) -> Value:
    """-log softmax(logits)[target]: the loss of a classifier that should
    pick class `target`. Equals logsumexp(logits) - logits[target], and its
    gradient with respect to the logits is softmax(logits) - onehot(target)."""
    logits = _values(logits, "cross_entropy")
    index = _class_index(target)
    if index is None or not 0 <= index < len(logits):
        raise ValueError(
            f"cross_entropy: target must be a class index in 0..{len(logits) - 1}, got {target!r:.60}"
        )
    _max_logit(logits, "cross_entropy")  # a NaN or infinite logit is refused here, by name
    # One node, whose local derivatives are softmax(z) - onehot(target): see
    # `Value.cross_entropy`. (log_softmax(logits)[target], negated, is the same
    # number from 2n + 3 nodes, for stepping through.)
    return Value.cross_entropy(logits, index)


def _class_index(target: object) -> int | None:
    """An int-like target (int, NumPy int64, ...) as an int; None for a bool,
    a float or anything else that is not an index."""
    if isinstance(target, bool):
        return None
    try:
        return operator.index(target)
    except TypeError:
        return None


def mse(predictions: Sequence[Operand], targets: Sequence[Operand]) -> Value:
    """Mean squared error: mean of (p - t)**2."""
    _same_length(predictions, targets, "mse")
    predictions, targets = _values(predictions, "mse"), _values(targets, "mse")
    return Value.sum([(p - t) ** 2 for p, t in zip(predictions, targets)]) * (1.0 / len(predictions))


def hinge(scores: Sequence[Value], labels: Sequence[int]) -> Value:
    """micrograd's max-margin loss: mean of relu(1 - y * score), y in {-1, +1}.

    Zero once every point is on the right side with a margin of 1."""
    _same_length(scores, labels, "hinge")
    scores = _values(scores, "hinge")
    for y in labels:
        if isinstance(y, bool) or y not in (-1, 1):  # True == 1, but a bool is not a label
            raise ValueError(f"hinge: labels must be -1 or +1, got {y!r}")
    return Value.sum([(1 - y * s).relu() for s, y in zip(scores, labels)]) * (1.0 / len(scores))


def l2(parameters: Sequence[Value]) -> Value:
    """Sum of squares of the parameters: add alpha * l2(params) to a loss to
    keep weights small."""
    params = _values(parameters, "l2")
    return Value.dot(params, params)


def inverse_temperature(temperature: float, where: str = "softmax") -> float:
    """1 / temperature, after checking the temperature is a positive number
    whose inverse is a float (1e-320 is positive, but 1/1e-320 is not a float).

        >>> inverse_temperature(0.5)
        2.0
    """
    temperature = check_positive(temperature, where, "temperature")
    inverse = 1.0 / temperature
    if inverse == math.inf:
        raise ValueError(
            f"{where}: temperature {temperature!r} is too small: 1/temperature is beyond a float "
            "(it needs to be above about 5.6e-309)"
        )
    return inverse


def _max_logit(values: list[Value], where: str) -> float:
    """The max to shift by; refused when it is not a number (NaN or infinity)."""
    numbers = [v.data for v in values]
    if not all(map(math.isfinite, numbers)):  # max() alone would skip a NaN that is not first
        _refuse_non_finite(values, where)
    return max(numbers)


def _refuse_non_finite(values: list[Value], where: str) -> None:
    for i, v in enumerate(values):
        if not math.isfinite(v.data):
            raise ValueError(
                f"{where}: logit {i} of {len(values)} is {v.data!r}: a NaN or an infinity came in from upstream; "
                "run the forward pass inside tinygrad_edu.detect_anomaly() to find the op that made it"
            )
    raise AssertionError(f"{where}: a non-finite sum of finite exponentials")  # pragma: no cover


def _values(xs: Sequence[Operand], where: str) -> list[Value]:
    if (
        type(xs) is not list
        and type(xs) is not tuple
        and (isinstance(xs, (Value, str, bytes)) or not isinstance(xs, Iterable))
    ):
        raise TypeError(f"{where}: expected a list of Values, got {type(xs).__name__}")
    try:
        values = [x if isinstance(x, Value) else Value(x) for x in xs]
    except (TypeError, ValueError) as error:  # an entry that is a list (nested), a str, nan...
        raise type(error)(f"{where}: expected a flat list of Values or numbers; {error}") from None
    if not values:
        raise ValueError(f"{where}: expected a non-empty list of Values, got an empty one")
    return values


def _same_length(a: Sequence, b: Sequence, where: str) -> None:
    for x, what in ((a, "predictions"), (b, "targets")):
        if isinstance(x, (Value, str, bytes)) or not isinstance(x, Sequence):
            raise TypeError(f"{where}: {what} must be a list, got {type(x).__name__}")
    if len(a) != len(b):
        raise ValueError(f"{where}: got {len(a)} predictions but {len(b)} targets")
    if not a:
        raise ValueError(f"{where}: needs at least one prediction")
