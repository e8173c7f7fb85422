"""Pooling blocks and Collapse: outputs and every gradient against PyTorch
float64 (and central differences), ties routed as torch routes them, the
shapes and the errors a learner meets."""

from __future__ import annotations

import random

import pytest
from block_checks import (
    assert_close,
    data,
    finite_difference_check,
    grads,
    random_map,
    random_sequence,
    torch_weighted_loss,
    weighted_loss,
)

from tinygrad_edu import Value
from tinygrad_edu.nn import AvgPool2d, Collapse, Flatten, MaxPool1d, MaxPool2d, shape_of
from tinygrad_edu.nn.module import flatten


# ------------------------------------------------------------ Collapse
@pytest.mark.parametrize("mode", ["mean", "max", "first", "last"])
def test_collapse_of_a_sequence_matches_finite_differences(mode):
    rng = random.Random(0)
    xs = random_sequence(4, 3, rng)
    finite_difference_check(lambda: weighted_loss(Collapse(mode)(xs)), [v for x in xs for v in x])


@pytest.mark.parametrize("mode", ["mean", "max"])
def test_collapse_of_a_feature_map_matches_finite_differences(mode):
    rng = random.Random(1)
    fmap = random_map(3, 2, 3, rng)
    finite_difference_check(
        lambda: weighted_loss(Collapse(mode)(fmap)), [v for c in fmap for r in c for v in r]
    )


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
    weighted_loss(out).backward()
    t = torch.tensor(data(xs), dtype=torch.float64, requires_grad=True)  # (T, d)
    reduce = {
        "mean": lambda t: t.mean(dim=0),
        "max": lambda t: t.max(dim=0).values,
        "first": lambda t: t[0],
        "last": lambda t: t[-1],
    }[mode]
    theirs = reduce(t)
    torch_weighted_loss(theirs).backward()
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
    weighted_loss(out).backward()
    t = torch.tensor(data(fmap), dtype=torch.float64, requires_grad=True)
    pool = F.adaptive_avg_pool2d if mode == "mean" else F.adaptive_max_pool2d
    theirs = pool(t[None], 1).flatten()  # (C,)
    torch_weighted_loss(theirs).backward()
    assert_close(data(out), theirs, tol=1e-9)
    assert_close(grads(fmap), t.grad, tol=1e-9)


# ------------------------------------------------------------ MaxPool2d, AvgPool2d, MaxPool1d
POOL_GRID_2D = [(2, None, 4, 6), ((2, 3), (1, 2), 5, 7), (3, 2, 7, 5), ((1, 2), None, 3, 5), (3, 1, 3, 3)]
POOL_GRID_1D = [(2, None, 7), (3, 1, 6), (2, 3, 8), (4, None, 4)]


def rounded(tensor) -> None:
    """Round every entry to a multiple of 0.5: most windows then hold ties."""
    for v in flatten(tensor):
        v.data = round(v.data * 2) / 2


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize(("k", "s", "H", "W"), POOL_GRID_2D, ids=str)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool2d_matches_torch(kind, k, s, H, W, ties):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    fmap = random_map(2, H, W, random.Random(4))
    if ties:
        rounded(fmap)
    ours = (MaxPool2d if kind == "max" else AvgPool2d)(k, s)
    out = ours(fmap)
    weighted_loss(out).backward()
    t = torch.tensor(data(fmap), dtype=torch.float64, requires_grad=True)
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    theirs = pool(t[None], k, s)[0]
    torch_weighted_loss(theirs).backward()
    assert shape_of(out) == tuple(theirs.shape)
    assert_close(data(out), theirs, tol=1e-9)
    assert_close(grads(fmap), t.grad, tol=1e-9)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize(("k", "s", "L"), POOL_GRID_1D, ids=str)
def test_maxpool1d_matches_torch(k, s, L, ties):
    torch = pytest.importorskip("torch")
    rng = random.Random(5)
    x = [[Value(rng.uniform(-1, 1)) for _ in range(L)] for _ in range(3)]
    if ties:
        rounded(x)
    out = MaxPool1d(k, s)(x)
    weighted_loss(out).backward()
    t = torch.tensor(data(x), dtype=torch.float64, requires_grad=True)
    theirs = torch.nn.functional.max_pool1d(t[None], k, s)[0]
    torch_weighted_loss(theirs).backward()
    assert shape_of(out) == tuple(theirs.shape)
    assert_close(data(out), theirs, tol=1e-9)
    assert_close(grads(x), t.grad, tol=1e-9)


@pytest.mark.parametrize("pool", [MaxPool2d(2), AvgPool2d((2, 3), 1)], ids=repr)
def test_pool2d_matches_finite_differences(pool):
    fmap = random_map(2, 4, 5, random.Random(6))  # uniform floats: no ties
    finite_difference_check(lambda: weighted_loss(pool(fmap)), flatten(fmap))


def test_pooling_defaults_and_nodes():
    assert MaxPool2d(2).stride == (2, 2) and MaxPool2d((2, 3)).stride == (2, 3)
    assert MaxPool1d(3).stride == 3 and MaxPool2d(2, 1).stride == (1, 1)
    assert repr(MaxPool2d(2)) == "MaxPool2d(kernel_size=(2, 2), stride=(2, 2))"
    out = MaxPool2d(2)(random_map(1, 4, 4, random.Random(0)))
    assert {v.op for v in flatten(out)} == {"max"} and all(len(v.parents) == 4 for v in flatten(out))
    assert MaxPool2d(2).parameters() == [] and Flatten().parameters() == []


# ------------------------------------------------------------ Flatten
def test_flatten_is_c_major_like_torch_flatten():
    torch = pytest.importorskip("torch")
    fmap = random_map(2, 3, 4, random.Random(7))
    flat = Flatten()(fmap)
    assert [v.data for v in flat] == torch.tensor(data(fmap), dtype=torch.float64).flatten().tolist()
    assert flat[5] is fmap[0][1][1]  # the same Values, no new nodes
    assert Flatten()([[1.0, 2.0], [3.0, 4.0]]) == [1.0, 2.0, 3.0, 4.0]  # [C][L]
    assert Flatten()([1.0, 2.0]) == [1.0, 2.0]  # already flat
