"""Conv1d and Conv2d: outputs and every gradient (weights, bias, input)
against PyTorch float64 with copied weights, over a grid of kernel sizes,
strides and paddings (non-square, stride > 1, padding wider than the
kernel); state_dicts that load into torch and back; central differences;
one `dot` node per output."""

from __future__ import annotations

import random

import pytest
from block_checks import (
    assert_close,
    data,
    finite_difference_check,
    grads,
    random_map,
    torch_weighted_loss,
    weighted_loss,
)

from tinygrad_edu import Value
from tinygrad_edu.nn import Conv1d, Conv2d, shape_of
from tinygrad_edu.nn.module import flatten

TOL = 1e-9

# (in_channels, out_channels, H, W, kernel_size, stride, padding, bias)
GRID_2D = [
    (1, 2, 5, 5, 3, 1, 0, True),
    (2, 3, 6, 5, (3, 2), (2, 1), (1, 0), True),
    (2, 2, 7, 6, (2, 3), 2, (0, 2), False),
    (1, 1, 4, 4, 4, 1, 0, True),  # the kernel covers the whole input: one output
    (3, 2, 5, 4, 3, (1, 2), 1, True),
    (1, 2, 3, 3, 2, 1, 2, True),  # padding wider than the kernel: corner windows see only zeros
    (2, 1, 8, 8, 3, 3, 1, True),  # stride 3 skips positions
]
# (in_channels, out_channels, L, kernel_size, stride, padding, bias)
GRID_1D = [
    (1, 2, 7, 3, 1, 0, True),
    (2, 3, 9, 4, 2, 1, True),
    (3, 1, 5, 5, 1, 2, False),
    (2, 2, 6, 2, 3, 3, True),
]


def to_torch(state: dict) -> dict:
    import torch

    return {name: torch.tensor(value, dtype=torch.float64) for name, value in state.items()}


def compare_with_torch(ours, theirs, x) -> None:
    """Same forward, same grads of the input, weight and bias."""
    import torch

    theirs.load_state_dict(to_torch(ours.state_dict()))  # same names, same shapes
    out = ours(x)
    weighted_loss(out).backward()
    t = torch.tensor(data(x), dtype=torch.float64, requires_grad=True)
    t_out = theirs(t[None])[0]
    torch_weighted_loss(t_out).backward()
    assert shape_of(out) == tuple(t_out.shape)
    assert_close(data(out), t_out, TOL)
    assert_close(grads(x), t.grad, TOL)
    assert_close(grads(ours.weight), theirs.weight.grad, TOL)
    if ours.bias is not None:
        assert_close(grads(ours.bias), theirs.bias.grad, TOL)


@pytest.mark.parametrize(("cin", "cout", "H", "W", "k", "s", "p", "bias"), GRID_2D, ids=str)
def test_conv2d_matches_torch_with_copied_weights(cin, cout, H, W, k, s, p, bias):
    torch = pytest.importorskip("torch")
    random.seed(0)
    ours = Conv2d(cin, cout, k, stride=s, padding=p, bias=bias)
    theirs = torch.nn.Conv2d(cin, cout, k, stride=s, padding=p, bias=bias, dtype=torch.float64)
    compare_with_torch(ours, theirs, random_map(cin, H, W, random.Random(1)))


@pytest.mark.parametrize(("cin", "cout", "L", "k", "s", "p", "bias"), GRID_1D, ids=str)
def test_conv1d_matches_torch_with_copied_weights(cin, cout, L, k, s, p, bias):
    torch = pytest.importorskip("torch")
    random.seed(0)
    ours = Conv1d(cin, cout, k, stride=s, padding=p, bias=bias)
    theirs = torch.nn.Conv1d(cin, cout, k, stride=s, padding=p, bias=bias, dtype=torch.float64)
    rng = random.Random(2)
    compare_with_torch(ours, theirs, [[Value(rng.uniform(-1, 1)) for _ in range(L)] for _ in range(cin)])


def test_a_torch_state_dict_loads_into_ours_and_gives_the_same_output():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.Conv2d(2, 3, (2, 3), stride=(1, 2), padding=1, dtype=torch.float64)
    ours = Conv2d(2, 3, (2, 3), stride=(1, 2), padding=1)
    ours.load_state_dict({name: t.tolist() for name, t in theirs.state_dict().items()})
    x = random_map(2, 4, 5, random.Random(3))
    assert_close(data(ours(x)), theirs(torch.tensor(data(x), dtype=torch.float64)[None])[0], TOL)
    for name, t in ours.state_dict().items():  # and back again, unchanged
        assert torch.equal(torch.tensor(t, dtype=torch.float64), theirs.state_dict()[name])


def test_state_dict_names_and_shapes_are_torchs():
    random.seed(0)
    conv2 = Conv2d(3, 4, (2, 5))
    assert {n: shape_of(t) for n, t in conv2.named_parameters()} == {"weight": (4, 3, 2, 5), "bias": (4,)}
    conv1 = Conv1d(3, 4, 5, bias=False)
    assert {n: shape_of(t) for n, t in conv1.named_parameters()} == {"weight": (4, 3, 5)}
    assert conv2.num_parameters() == 4 * 3 * 2 * 5 + 4 and conv1.num_parameters() == 60


def test_conv2d_gradients_match_finite_differences():
    random.seed(4)
    conv = Conv2d(2, 2, (2, 3), stride=(2, 1), padding=(1, 1))
    x = random_map(2, 3, 4, random.Random(5))
    leaves = flatten(x) + conv.parameters()
    finite_difference_check(lambda: weighted_loss(conv(x)), leaves)


def test_conv1d_gradients_match_finite_differences():
    random.seed(6)
    conv = Conv1d(2, 3, 3, stride=2, padding=1)
    rng = random.Random(7)
    x = [[Value(rng.uniform(-1, 1)) for _ in range(6)] for _ in range(2)]
    finite_difference_check(lambda: weighted_loss(conv(x)), flatten(x) + conv.parameters())


def test_every_output_is_one_dot_node_of_the_kernel_and_its_patch():
    random.seed(0)
    conv = Conv2d(2, 3, 3, padding=1)
    out = conv([[[1.0] * 4 for _ in range(4)] for _ in range(2)])
    nodes = flatten(out)
    assert {v.op for v in nodes} == {"dot"}
    inner = out[1][1][1]  # a window wholly inside the image: 2*3*3 weights, 18 pixels, the bias
    assert len(inner.parents) == 18 + 18 + 1
    assert inner.parents[-1] is conv.bias[1] and inner.parents[0] is conv.weight[1][0][0][0]
    corner = out[0][0][0]  # padding: the 2x2 part of the window on the image, 2 channels
    assert len(corner.parents) == 8 + 8 + 1
    # the graph of one output is that node and its leaves: nothing between
    assert len(inner.topological_order()) == 1 + len(set(inner.parents))


def test_numbers_and_tuples_are_accepted_and_the_output_is_values():
    random.seed(0)
    conv = Conv2d(1, 1, 2)
    out = conv(([(1.0, 2), (3.0, 4.0)],))  # a tuple of tuples of numbers (an int too)
    assert shape_of(out) == (1, 1, 1) and isinstance(out[0][0][0], Value)
    w = conv.weight[0][0]
    assert out[0][0][0].data == pytest.approx(
        w[0][0].data + 2 * w[0][1].data + 3 * w[1][0].data + 4 * w[1][1].data + conv.bias[0].data
    )


def test_repr_reads_like_torch():
    assert repr(Conv2d(1, 8, 3, padding=1)) == (
        "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=True)"
    )
    assert repr(Conv1d(2, 4, (5,), stride=2)) == (  # an int or a 1-tuple, as in torch
        "Conv1d(2, 4, kernel_size=(5,), stride=(2,), padding=(0,), bias=True)"
    )
