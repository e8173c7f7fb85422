"""Pooling blocks and Collapse: outputs and every gradient against PyTorch
float64 (and central differences), ties routed as torch routes them, the
shapes and the errors a learner meets."""

from __future__ import annotations

import random

import pytest
from block_checks import assert_close, data, finite_difference_check, grads, random_sequence

from tinygrad_edu import Value
from tinygrad_edu.nn import Collapse


def random_map(C: int, H: int, W: int, rng) -> list[list[list[Value]]]:
    """A feature map [C][H][W] of Values uniform in [-1, 1]."""
    return [[[Value(rng.uniform(-1.0, 1.0)) for _ in range(W)] for _ in range(H)] for _ in range(C)]


def weighted(out: list[Value]) -> Value:
    """A scalar loss that weighs each output differently, so every gradient differs."""
    return Value.dot(out, [0.5 + 0.25 * i for i in range(len(out))]).tanh()


# ------------------------------------------------------------ Collapse
@pytest.mark.parametrize("mode", ["mean", "max", "first", "last"])
def test_collapse_of_a_sequence_matches_finite_differences(mode):
    rng = random.Random(0)
    xs = random_sequence(4, 3, rng)
    finite_difference_check(lambda: weighted(Collapse(mode)(xs)), [v for x in xs for v in x])


@pytest.mark.parametrize("mode", ["mean", "max"])
def test_collapse_of_a_feature_map_matches_finite_differences(mode):
    rng = random.Random(1)
    fmap = random_map(3, 2, 3, rng)
    finite_difference_check(lambda: weighted(Collapse(mode)(fmap)), [v for c in fmap for r in c for v in r])


def test_collapse_modes_pick_what_they_say():
    xs = [[Value(1.0), Value(5.0)], [Value(4.0), Value(-1.0)], [Value(2.0), Value(2.0)]]
    assert data(Collapse("mean")(xs)) == pytest.approx([7 / 3, 2.0])
    assert data(Collapse("max")(xs)) == [4.0, 5.0]
    assert Collapse("first")(xs) == xs[0] and Collapse("last")(xs) == xs[-1]
    assert Collapse("first")(xs)[0] is xs[0][0]  # the Values themselves: gradient flows into them
    out = Collapse("mean")(xs)
    Value.sum(out).backward()
    assert_close(grads(xs), [[1 / 3, 1 / 3]] * 3, tol=1e-15)
    assert Collapse().mode == "mean" and repr(Collapse("max")) == "Collapse(mode='max')"
    assert Collapse().parameters() == []


def test_collapse_max_sends_a_tie_to_the_first_position():
    xs = [[Value(2.0)], [Value(2.0)], [Value(1.0)]]
    Collapse("max")(xs)[0].backward()
    assert grads(xs) == [[1.0], [0.0], [0.0]]


@pytest.mark.parametrize("mode", ["mean", "max", "first", "last"])
@pytest.mark.parametrize("ties", [False, True])
def test_collapse_of_a_sequence_matches_torch(mode, ties):
    torch = pytest.importorskip("torch")
    rng = random.Random(2)
    xs = random_sequence(5, 4, rng)
    if ties:  # rounded to halves, so positions tie in most columns
        for x in xs:
            for v in x:
                v.data = round(v.data * 2) / 2
    out = Collapse(mode)(xs)
    weighted(out).backward()
    t = torch.tensor(data(xs), dtype=torch.float64, requires_grad=True)  # (T, d)
    reduce = {
        "mean": lambda t: t.mean(dim=0),
        "max": lambda t: t.max(dim=0).values,
        "first": lambda t: t[0],
        "last": lambda t: t[-1],
    }[mode]
    theirs = reduce(t)
    (theirs * torch.tensor([0.5 + 0.25 * i for i in range(4)], dtype=torch.float64)).sum().tanh().backward()
    assert_close(data(out), theirs, tol=1e-9)
    assert_close(grads(xs), t.grad, tol=1e-9)


@pytest.mark.parametrize("mode", ["mean", "max"])
def test_collapse_of_a_feature_map_is_torch_global_pooling(mode):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = random.Random(3)
    fmap = random_map(3, 3, 2, rng)
    fmap[1][0][0].data = fmap[1][2][1].data = 5.0  # a tie in channel 1
    out = Collapse(mode)(fmap)
    weighted(out).backward()
    t = torch.tensor(data(fmap), dtype=torch.float64, requires_grad=True)
    pool = F.adaptive_avg_pool2d if mode == "mean" else F.adaptive_max_pool2d
    theirs = pool(t[None], 1).flatten()  # (C,)
    (theirs * torch.tensor([0.5, 0.75, 1.0], dtype=torch.float64)).sum().tanh().backward()
    assert_close(data(out), theirs, tol=1e-9)
    assert_close(grads(fmap), t.grad, tol=1e-9)
