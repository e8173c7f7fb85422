"""Losses and the softmax family: values, gradients (finite differences),
numerical stability for huge logits, and the errors for bad arguments."""

from __future__ import annotations

import math

import pytest

from tinygrad_edu import Value, gradcheck
from tinygrad_edu import functional as tf

LOGITS = [[2.0, 1.0, 0.1], [-0.5, 3.0, 0.0, 1.5], [0.0], [4.0, 4.0]]


def data(values) -> list[float]:
    return [v.data for v in values]


def values(xs) -> list[Value]:
    return [Value(x) for x in xs]


def entropy(ps: list[float]) -> float:
    return -sum(p * math.log(p) for p in ps if p > 0)


# ------------------------------------------------------------ softmax
@pytest.mark.parametrize("logits", LOGITS)
def test_softmax_is_a_distribution_in_the_order_of_the_logits(logits):
    ps = data(tf.softmax(values(logits)))
    assert sum(ps) == pytest.approx(1.0, abs=1e-15)
    assert all(0.0 < p <= 1.0 for p in ps)
    expected = [math.exp(z) / sum(math.exp(y) for y in logits) for z in logits]
    assert ps == pytest.approx(expected, rel=1e-14)


def test_temperature_flattens_and_sharpens():
    logits = [2.0, 1.0, 0.1]
    by_temperature = {t: data(tf.softmax(values(logits), temperature=t)) for t in (0.1, 0.5, 1.0, 2.0, 10.0)}
    entropies = [entropy(by_temperature[t]) for t in sorted(by_temperature)]
    assert entropies == sorted(entropies), "hotter must mean flatter"
    assert by_temperature[0.1][0] > 0.9999  # cold: almost one-hot
    assert max(by_temperature[10.0]) - min(by_temperature[10.0]) < 0.1  # hot: almost uniform
    assert by_temperature[1.0] == data(tf.softmax(values(logits)))
    for t, ps in by_temperature.items():
        expected = [math.exp(z / t) / sum(math.exp(y / t) for y in logits) for z in logits]
        assert ps == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("logits", "expected"),
    [
        ([1000.0, -1000.0, 0.0], [1.0, 0.0, 0.0]),
        ([1000.0, 1000.0], [0.5, 0.5]),
        ([-1000.0, -1000.0, -1000.0], [1 / 3] * 3),
        ([1000.0, 999.0], [1 / (1 + math.exp(-1)), 1 / (1 + math.exp(1))]),
    ],
)
def test_softmax_is_stable_for_huge_logits(logits, expected):
    xs = values(logits)
    ps = tf.softmax(xs)
    assert data(ps) == pytest.approx(expected, rel=1e-14, abs=1e-300)
    Value.dot(ps, [1.0, 2.0, 3.0][: len(ps)]).backward()
    assert all(math.isfinite(x.grad) for x in xs)


def test_log_softmax_and_logsumexp_are_stable_for_huge_logits():
    assert data(tf.log_softmax(values([1000.0, -1000.0]))) == pytest.approx([0.0, -2000.0], abs=1e-12)
    assert tf.logsumexp(values([1000.0, 1000.0])).data == pytest.approx(1000.0 + math.log(2), rel=1e-15)
    assert tf.logsumexp(values([-1000.0, -1000.0])).data == pytest.approx(-1000.0 + math.log(2), rel=1e-15)


@pytest.mark.parametrize("logits", LOGITS)
def test_log_softmax_is_the_log_of_softmax(logits):
    for t in (1.0, 0.7):
        assert data(tf.log_softmax(values(logits), temperature=t)) == pytest.approx(
            [math.log(p) for p in data(tf.softmax(values(logits), temperature=t))], rel=1e-12, abs=1e-14
        )


# ------------------------------------------------------------ cross entropy
def test_cross_entropy_is_minus_log_softmax_of_the_target():
    logits = [2.0, 1.0, 0.1]
    for target in range(3):
        expected = -math.log(data(tf.softmax(values(logits)))[target])
        assert tf.cross_entropy(values(logits), target).data == pytest.approx(expected, rel=1e-14)


def test_cross_entropy_of_huge_logits_is_finite_with_finite_grads():
    xs = values([1000.0, -1000.0])
    loss = tf.cross_entropy(xs, 1)
    loss.backward()
    assert loss.data == pytest.approx(2000.0, rel=1e-15)
    assert data(xs) == [1000.0, -1000.0]
    assert [x.grad for x in xs] == pytest.approx([1.0, -1.0])  # softmax - onehot
    assert tf.cross_entropy(values([1000.0, -1000.0]), 0).data == pytest.approx(0.0, abs=1e-300)


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    xs = values([0.5, -1.0, 2.0])
    tf.cross_entropy(xs, 2).backward()
    ps = data(tf.softmax(values([0.5, -1.0, 2.0])))
    assert [x.grad for x in xs] == pytest.approx([ps[0], ps[1], ps[2] - 1.0], rel=1e-12)


# ------------------------------------------------------------ mse, hinge, l2
def test_mse_hinge_l2_values():
    assert tf.mse(values([1.0, 2.0]), [0.0, 4.0]).data == (1 + 4) / 2
    assert tf.mse([Value(1.0)], [Value(3.0)]).data == 4.0  # Values as targets too
    # margins y*s: 2 (outside: 0), 0.5 (0.5), -1 (2): mean 2.5 / 3
    assert tf.hinge(values([2.0, -0.5, 1.0]), [1, -1, -1]).data == pytest.approx(2.5 / 3)
    assert tf.hinge(values([1.5, -3.0]), [1, -1]).data == 0.0  # every margin >= 1
    assert tf.l2(values([1.0, -2.0, 3.0])).data == 14.0


# ------------------------------------------------------------ gradients vs finite differences
GRADCHECKS = {
    "softmax": (lambda a, b, c: Value.dot(tf.softmax([a, b, c]), [0.3, -1.2, 2.0]), [0.5, -1.0, 2.0]),
    "softmax T=0.5": (
        lambda a, b, c: Value.dot(tf.softmax([a, b, c], temperature=0.5), [0.3, -1.2, 2.0]),
        [0.5, -1.0, 2.0],
    ),
    "softmax T=3": (
        lambda a, b, c: Value.dot(tf.softmax([a, b, c], temperature=3.0), [0.3, -1.2, 2.0]),
        [0.5, -1.0, 2.0],
    ),
    "log_softmax": (lambda a, b, c: Value.dot(tf.log_softmax([a, b, c]), [0.3, -1.2, 2.0]), [0.5, -1.0, 2.0]),
    "log_softmax T=2": (
        lambda a, b, c: Value.dot(tf.log_softmax([a, b, c], temperature=2.0), [0.3, -1.2, 2.0]),
        [0.5, -1.0, 2.0],
    ),
    "logsumexp": (lambda a, b, c: tf.logsumexp([a, b, c]), [0.5, -1.0, 2.0]),
    "cross_entropy": (lambda a, b, c: tf.cross_entropy([a, b, c], 1), [0.5, -1.0, 2.0]),
    "mse": (lambda a, b, c: tf.mse([a, b], [c, 0.5]), [0.5, -1.0, 2.0]),
    "hinge": (lambda a, b, c: tf.hinge([a, b, c], [1, -1, 1]), [0.5, -1.5, 0.2]),  # margins away from 1
    "l2": (lambda a, b, c: tf.l2([a, b, c]), [0.5, -1.0, 2.0]),
}


@pytest.mark.parametrize("name", list(GRADCHECKS))
def test_loss_gradients_match_finite_differences(name):
    f, point = GRADCHECKS[name]
    report = gradcheck(f, point, tolerance=1e-6)
    assert report.ok, f"{name}\n{report}"


# ------------------------------------------------------------ errors
@pytest.mark.parametrize("target", [-1, 3, 1.0, True, "0", None])
def test_cross_entropy_rejects_a_bad_target(target):
    with pytest.raises(ValueError) as info:
        tf.cross_entropy(values([1.0, 2.0, 3.0]), target)
    message = str(info.value)
    assert "cross_entropy" in message and repr(target) in message and "0..2" in message


@pytest.mark.parametrize("function", [tf.softmax, tf.log_softmax])
@pytest.mark.parametrize("temperature", [0, -1.0, math.nan, math.inf, "hot", True])
def test_softmax_rejects_a_bad_temperature(function, temperature):
    with pytest.raises(ValueError) as info:
        function(values([1.0, 2.0]), temperature=temperature)
    message = str(info.value)
    assert function.__name__ in message and "temperature" in message and repr(temperature) in message


@pytest.mark.parametrize(
    ("call", "error_type", "fragments"),
    [
        (lambda: tf.softmax([]), ValueError, ["softmax", "empty"]),
        (lambda: tf.softmax(Value(1.0)), TypeError, ["softmax", "Value"]),
        (lambda: tf.cross_entropy([], 0), ValueError, ["cross_entropy", "empty"]),
        (lambda: tf.logsumexp("ab"), TypeError, ["logsumexp", "str"]),
        (lambda: tf.mse(values([1.0, 2.0]), [1.0]), ValueError, ["mse", "2 predictions", "1 targets"]),
        (lambda: tf.mse([], []), ValueError, ["mse", "at least one"]),
        (lambda: tf.hinge(values([1.0]), [0]), ValueError, ["hinge", "-1 or +1", "0"]),
        (lambda: tf.hinge(values([1.0, 2.0]), [1]), ValueError, ["hinge", "2 predictions"]),
        (lambda: tf.l2([]), ValueError, ["l2", "empty"]),
    ],
)
def test_errors_name_the_function(call, error_type, fragments):
    with pytest.raises(error_type) as info:
        call()
    for fragment in fragments:
        assert fragment in str(info.value)


def test_numbers_are_accepted_as_logits():
    assert data(tf.softmax([0.0, 0.0])) == [0.5, 0.5]
