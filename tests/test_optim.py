"""Optimizers: the update formulas on tiny examples worked by hand,
zero_grad, convergence on a convex loss, and errors for bad settings.
(test_engine_torch.py checks several steps against torch.optim.)"""

from __future__ import annotations

import math

import pytest

from tinygrad_edu import Value
from tinygrad_edu.optim import SGD, Adam, AdamW


def step_with_grad(optimizer, params, grads) -> None:
    for p, g in zip(params, grads):
        p.grad = g
    optimizer.step()


# ------------------------------------------------------------ update formulas
def test_sgd_step():
    w = Value(3.0)
    optimizer = SGD([w], lr=0.1)
    (w * w).backward()  # grad 6
    optimizer.step()
    assert w.data == pytest.approx(3.0 - 0.1 * 6.0, rel=1e-15)


def test_sgd_momentum_by_hand():
    w = Value(1.0)
    optimizer = SGD([w], lr=0.1, momentum=0.9)
    step_with_grad(optimizer, [w], [2.0])  # v = 2;           w = 1 - 0.2 = 0.8
    assert w.data == pytest.approx(0.8, rel=1e-15)
    step_with_grad(optimizer, [w], [2.0])  # v = 0.9*2 + 2 = 3.8; w = 0.8 - 0.38
    assert w.data == pytest.approx(0.42, rel=1e-14)
    step_with_grad(optimizer, [w], [0.0])  # v = 0.9*3.8 = 3.42; w = 0.42 - 0.342
    assert w.data == pytest.approx(0.078, rel=1e-12)


def test_sgd_weight_decay_adds_wd_times_p_to_the_gradient():
    w = Value(2.0)
    optimizer = SGD([w], lr=0.1, weight_decay=0.5)
    step_with_grad(optimizer, [w], [1.0])  # g = 1 + 0.5*2 = 2: w = 2 - 0.2
    assert w.data == pytest.approx(1.8, rel=1e-15)


def test_adam_by_hand():
    w = Value(1.0)
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    optimizer = Adam([w], lr=lr, betas=(b1, b2), eps=eps)
    # step 1, g = 2: m = 0.2, v = 0.004; corrected m = 2, v = 4: w -= lr * 2 / (2 + eps)
    step_with_grad(optimizer, [w], [2.0])
    expected = 1.0 - lr * 2.0 / (2.0 + eps)
    assert w.data == pytest.approx(expected, rel=1e-15)
    # step 2, g = -1: m = 0.9*0.2 - 0.1 = 0.08, v = 0.999*0.004 + 0.001 = 0.004996
    step_with_grad(optimizer, [w], [-1.0])
    m_hat = 0.08 / (1 - b1**2)
    v_hat = 0.004996 / (1 - b2**2)
    expected -= lr * m_hat / (math.sqrt(v_hat) + eps)
    assert w.data == pytest.approx(expected, rel=1e-13)
    assert optimizer.t == 2


def test_adam_first_step_is_about_lr_whatever_the_gradient_scale():
    for g in (1e-4, 1.0, 1e4):
        w = Value(0.0)
        step_with_grad(Adam([w], lr=0.01), [w], [g])
        assert w.data == pytest.approx(-0.01, rel=1e-3)


def test_adamw_decay_is_decoupled_from_the_gradient():
    # With a zero gradient, Adam's update is 0 and only the decay acts:
    # p *= 1 - lr * weight_decay (0.01 by default for AdamW, 0 for Adam).
    w, u = Value(2.0), Value(2.0)
    step_with_grad(AdamW([w], lr=0.1), [w], [0.0])
    step_with_grad(Adam([u], lr=0.1), [u], [0.0])
    assert w.data == pytest.approx(2.0 * (1 - 0.1 * 0.01), rel=1e-15)
    assert u.data == 2.0
    v = Value(2.0)
    step_with_grad(Adam([v], lr=0.1, weight_decay=0.5), [v], [0.0])
    assert v.data == pytest.approx(2.0 * (1 - 0.05), rel=1e-15)


def test_lr_can_change_between_steps():
    w = Value(1.0)
    optimizer = SGD([w], lr=0.1)
    optimizer.lr = 0.5  # the moons demo anneals its learning rate like this
    step_with_grad(optimizer, [w], [1.0])
    assert w.data == 0.5


# ------------------------------------------------------------ zero_grad and convergence
@pytest.mark.parametrize("make", [SGD, Adam, AdamW])
def test_zero_grad_clears_every_parameter(make):
    params = [Value(1.0), Value(-2.0)]
    optimizer = make(params, lr=0.1)
    Value.sum([p * p for p in params]).backward()
    assert all(p.grad != 0.0 for p in params)
    optimizer.zero_grad()
    assert all(p.grad == 0.0 for p in params)


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, lr=0.1),
        lambda ps: SGD(ps, lr=0.05, momentum=0.9),
        lambda ps: Adam(ps, lr=0.1),
        lambda ps: AdamW(ps, lr=0.1),
    ],
    ids=["SGD", "SGD momentum", "Adam", "AdamW"],
)
def test_a_few_steps_decrease_a_convex_loss(make):
    w, u = Value(0.0), Value(0.0)
    optimizer = make([w, u])

    def loss() -> Value:
        return (w - 3.0) ** 2 + 2 * (u + 1.0) ** 2 + w * u * 0.5

    first = loss().data
    for _ in range(60):
        optimizer.zero_grad()
        loss().backward()
        optimizer.step()
    assert loss().data < 0.05 * first


def test_grads_accumulate_without_zero_grad():
    # The reason zero_grad exists: backward() adds to the leaves' grads.
    w = Value(1.0)
    (w * 3).backward()
    (w * 3).backward()
    assert w.grad == 6.0


# ------------------------------------------------------------ errors and repr
@pytest.mark.parametrize("make", [SGD, Adam, AdamW])
def test_errors_for_bad_parameters_and_lr(make):
    name = make.__name__
    with pytest.raises(ValueError, match=f"{name}: got an empty parameter list"):
        make([], lr=0.1)
    with pytest.raises(TypeError, match=f"{name}: parameters must be Values, got float"):
        make([Value(1.0), 2.0], lr=0.1)
    for lr in (0, -0.1, math.nan, math.inf, "0.1", None, True):
        with pytest.raises(ValueError) as info:
            make([Value(1.0)], lr=lr)
        assert f"{name}: lr must be a positive number, got {lr!r}" in str(info.value)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda ps: SGD(ps, momentum=-0.1), "momentum"),
        (lambda ps: SGD(ps, momentum=1.0), "momentum"),
        (lambda ps: SGD(ps, weight_decay=-1.0), "weight_decay"),
        (lambda ps: Adam(ps, betas=(1.0, 0.999)), "betas[0]"),
        (lambda ps: Adam(ps, betas=(0.9, 1.5)), "betas[1]"),
        (lambda ps: Adam(ps, betas=0.9), "betas"),
        (lambda ps: Adam(ps, eps=0.0), "eps"),
        (lambda ps: Adam(ps, eps=math.nan), "eps"),
        (lambda ps: AdamW(ps, weight_decay=-0.01), "weight_decay"),
        # ints beyond a float: float() would raise a bare OverflowError
        (lambda ps: SGD(ps, lr=10**400), "SGD: lr must be a positive number, got an int of about 401 digits"),
        (
            lambda ps: SGD(ps, weight_decay=10**400),
            "SGD: weight_decay must be in [0.0, inf), got an int of about 401",
        ),
        (lambda ps: Adam(ps, eps=10**400), "Adam: eps must be in [0.0, inf), got an int of about 401 digits"),
        (
            lambda ps: AdamW(ps, lr=10**5000),
            "AdamW: lr must be a positive number, got an int of about 5001 digits",
        ),
        (
            lambda ps: SGD(ps, momentum=-(10**5000)),
            "SGD: momentum must be in [0.0, 1.0), got an int of about 5001",
        ),
    ],
)
def test_bad_settings_fail_at_construction_not_in_step(make, fragment):
    with pytest.raises(ValueError) as info:
        make([Value(1.0)])
    assert fragment in str(info.value)


def test_repr():
    assert repr(SGD([Value(1.0), Value(2.0)], lr=0.1)) == "SGD(2 parameters, lr=0.1)"
    assert repr(AdamW([Value(1.0)])) == "AdamW(1 parameter, lr=0.001)"
