"""The moons training step with plain Python floats: no graph, backward by hand.

This is the baseline of benchmark W1: the same arithmetic as one tinygrad_edu
training step of an MLP (ReLU hidden layers, a linear output neuron) with
micrograd's loss, hinge + alpha * L2, then a plain SGD update. Nothing is
recorded; the chain rule is written out by hand for this one architecture.
It is what an autograd engine saves you from writing, and the cost floor an
engine written in Python can be compared with.

The parameters are PyTorch-shaped lists, one ``(weight, bias)`` pair per layer:
``weight[j][k]`` is the weight from input k to neuron j (shape (out, in)).

    >>> layers = [([[0.5, -1.0]], [0.25])]  # one linear neuron: s = 0.5 x - y + 0.25
    >>> loss, grads = loss_and_grads(layers, [(1.0, 2.0)], [1], alpha=0.0)
    >>> loss  # relu(1 - 1 * (0.5 - 2 + 0.25)) = 2.25
    2.25
    >>> grads  # d loss/d s = -y = -1, so d/dw = -x and d/db = -1
    [([[-1.0, -2.0]], [-1.0])]
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import mul

Matrix = list[list[float]]
Layers = list[tuple[Matrix, list[float]]]


def loss_and_grads(
    layers: Layers, points: Sequence[Sequence[float]], labels: Sequence[int], alpha: float = 1e-4
) -> tuple[float, Layers]:
    """The loss mean(relu(1 - y * score)) + alpha * sum(p**2), and its
    gradient with respect to every weight and bias (same shapes as `layers`)."""
    n = len(points)
    last = len(layers) - 1
    grads = [([[0.0] * len(row) for row in weight], [0.0] * len(bias)) for weight, bias in layers]
    data_loss = 0.0
    for x, y in zip(points, labels):
        # ---- forward: keep every layer's input and pre-activation for backward
        inputs, pre_activations = [], []
        a = list(x)
        for i, (weight, bias) in enumerate(layers):
            z = [sum(map(mul, row, a)) + b for row, b in zip(weight, bias)]  # z = W a + b
            inputs.append(a)
            pre_activations.append(z)
            a = z if i == last else [zj if zj > 0.0 else 0.0 for zj in z]  # relu, except the output
        margin = 1.0 - y * a[0]
        data_loss += margin if margin > 0.0 else 0.0  # relu(margin)

        # ---- backward: d loss / d z for the output layer, then layer by layer.
        # d/d score of relu(1 - y * score) / n is -y / n where the margin is
        # positive, else 0. A point with a zero gradient still goes through
        # the backward below, as it does in an autograd engine: the baseline
        # does the same arithmetic, it does not skip work.
        dz = [-y / n if margin > 0.0 else 0.0]
        for i in range(last, -1, -1):
            weight, _ = layers[i]
            grad_weight, grad_bias = grads[i]
            a = inputs[i]
            for j, dzj in enumerate(dz):
                # z_j = sum_k W[j][k] a_k + b_j: dz_j/dW[j][k] = a_k, dz_j/db_j = 1
                grad_weight[j] = [g + dzj * ak for g, ak in zip(grad_weight[j], a)]
                grad_bias[j] += dzj
            if i == 0:
                break
            # d loss / d a_k = sum_j W[j][k] dz_j, then through the relu that made a.
            da = [sum(map(mul, column, dz)) for column in zip(*weight)]
            dz = [dak if zk > 0.0 else 0.0 for dak, zk in zip(da, pre_activations[i - 1])]

    # L2: d(alpha * p**2)/dp = 2 alpha p, for every parameter.
    squares = 0.0
    for (weight, bias), (grad_weight, grad_bias) in zip(layers, grads):
        for row, grad_row in zip(weight, grad_weight):
            squares += sum(map(mul, row, row))
            grad_row[:] = [g + 2.0 * alpha * w for g, w in zip(grad_row, row)]
        squares += sum(map(mul, bias, bias))
        grad_bias[:] = [g + 2.0 * alpha * b for g, b in zip(grad_bias, bias)]
    return data_loss / n + alpha * squares, grads


def sgd_update(layers: Layers, grads: Layers, lr: float) -> None:
    """p -= lr * grad, in place."""
    for (weight, bias), (grad_weight, grad_bias) in zip(layers, grads):
        for row, grad_row in zip(weight, grad_weight):
            row[:] = [w - lr * g for w, g in zip(row, grad_row)]
        bias[:] = [b - lr * g for b, g in zip(bias, grad_bias)]


def train_step(
    layers: Layers, points: Sequence[Sequence[float]], labels: Sequence[int], lr: float, alpha: float = 1e-4
) -> float:
    """One full-batch step: forward, backward, update. Returns the loss."""
    loss, grads = loss_and_grads(layers, points, labels, alpha)
    sgd_update(layers, grads, lr)
    return loss
