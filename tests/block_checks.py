"""Checks shared by the tests of the nn blocks: a block's backward() against
central differences, and nested lists of numbers against torch tensors; random
inputs and a loss that weighs every output differently (so that every
gradient differs), the same on our side and on torch's."""

from __future__ import annotations

import pytest

from tinygrad_edu import Value, no_grad
from tinygrad_edu.nn.module import flatten


def random_sequence(T: int, d: int, rng) -> list[list[Value]]:
    """T vectors of d Values, uniform in [-1, 1]."""
    return [[Value(rng.uniform(-1.0, 1.0)) for _ in range(d)] for _ in range(T)]


def random_map(C: int, H: int, W: int, rng) -> list[list[list[Value]]]:
    """A feature map [C][H][W] of Values, uniform in [-1, 1]."""
    return [[[Value(rng.uniform(-1.0, 1.0)) for _ in range(W)] for _ in range(H)] for _ in range(C)]


def loss_weights(n: int) -> list[float]:
    return [0.3 + 0.1 * (i % 7) - 0.01 * i for i in range(n)]


def weighted_loss(out) -> Value:
    """tanh(sum_i c_i * out_i) over every output, however nested, each with its own c_i."""
    flat = flatten(out)
    return Value.dot(flat, loss_weights(len(flat))).tanh()


def torch_weighted_loss(out):
    """`weighted_loss` of a torch tensor, in the same (C-major) order."""
    import torch

    flat = out.flatten()
    return (flat * torch.tensor(loss_weights(flat.numel()), dtype=torch.float64)).sum().tanh()


def finite_difference_check(forward, leaves: list[Value], eps: float = 1e-6, tol: float = 1e-6) -> None:
    """backward() vs central differences for every leaf. `forward()` builds
    the scalar loss from the leaves' current numbers."""
    for leaf in leaves:
        leaf.grad = 0.0
    forward().backward()
    for i, leaf in enumerate(leaves):
        x = leaf.data
        with no_grad():
            leaf.data = x + eps
            plus = forward().data
            leaf.data = x - eps
            minus = forward().data
        leaf.data = x
        numeric = (plus - minus) / (2 * eps)
        assert leaf.grad == pytest.approx(numeric, abs=tol, rel=tol), f"leaf {i}: {leaf.grad} vs {numeric}"


def data(tensor):
    """Numbers of a Value / vector / matrix, same nesting."""
    if isinstance(tensor, Value):
        return tensor.data
    return [data(t) for t in tensor]


def grads(tensor):
    if isinstance(tensor, Value):
        return tensor.grad
    return [grads(t) for t in tensor]


def assert_close(ours, theirs, tol: float = 1e-6) -> None:
    """Nested lists of floats vs a torch tensor (or nested lists)."""
    if hasattr(theirs, "tolist"):
        theirs = theirs.tolist()
    a, b = flatten(ours), flatten(theirs)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x == pytest.approx(y, abs=tol, rel=tol)


def check_teacher_forcing_is_word_by_word(model, src_ids: list[int], tgt_ids: list[int]) -> None:
    """A translator's teacher-forced loss (every target position at once)
    equals the mean cross-entropy of feeding it <bos> + target one word at a
    time through `next_log_probs`, the path the searches take."""
    from tinygrad_edu.models.translate import BOS, EOS

    with no_grad():
        state = model.start(src_ids)
        losses = []
        for fed, wanted in zip([BOS, *tgt_ids], [*tgt_ids, EOS]):
            log_probs, state = model.next_log_probs(state, fed)
            losses.append(-log_probs[wanted])
        loss = model.loss(src_ids, tgt_ids).data
    assert loss == pytest.approx(sum(losses) / len(losses), rel=1e-12)
