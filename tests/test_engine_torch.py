"""PyTorch float64 as the second oracle: every op, random compositions,
Linear and MLP with copied weights, the losses, and the optimizers over
several steps must agree with torch to about 1e-9.

Skipped when torch is not importable (.ci/run installs torch==2.13.0 CPU).
"""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given

torch = pytest.importorskip("torch")
F = torch.nn.functional

from test_engine import (  # noqa: E402  (after the importorskip on purpose)
    COMPOSITION_SETTINGS,
    OP_POINTS,
    OPS,
    evaluate,
    fused_max,
    fused_sum,
    points,
    programs,
    run_or_reject,
)

from tinygrad_edu import Value  # noqa: E402
from tinygrad_edu import functional as tf  # noqa: E402
from tinygrad_edu.nn import MLP, Linear  # noqa: E402
from tinygrad_edu.optim import SGD, Adam, AdamW  # noqa: E402

REL = 1e-9  # relative tolerance, against max(1, |expected|)


def close(ours: float, theirs: float, rel: float = REL) -> bool:
    return abs(ours - theirs) <= rel * max(1.0, abs(theirs))


def leaves(xs) -> list:
    return [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in xs]


def torch_grads(out, inputs) -> list[float]:
    grads = torch.autograd.grad(out, inputs, allow_unused=True)
    return [0.0 if g is None else g.item() for g in grads]


def assert_same_forward_and_grads(f, point) -> None:
    ours_in = [Value(x) for x in point]
    ours = f(*ours_in)
    ours.backward()
    theirs_in = leaves(point)
    theirs = f(*theirs_in)
    assert close(ours.data, theirs.item()), (ours.data, theirs.item())
    for i, (x, g) in enumerate(zip(ours_in, torch_grads(theirs, theirs_in))):
        assert close(x.grad, g), f"input {i}: ours {x.grad!r}, torch {g!r}"


# ------------------------------------------------------------ every op
@pytest.mark.parametrize(("name", "point"), OP_POINTS)
def test_op_matches_torch(name, point):
    f, _ = OPS[name]
    assert_same_forward_and_grads(f, point)


@pytest.mark.parametrize("op", ["relu", "abs"])
def test_kink_convention_matches_torch(op):
    x = Value(0.0)
    getattr(x, op)().backward()
    (t,) = leaves([0.0])
    (g,) = torch_grads(getattr(t, op)(), [t])
    assert x.grad == g == 0.0


# ------------------------------------------------------------ max on ties
TIES = [[1.0, 3.0, 3.0, 2.0], [5.0, 5.0], [-1.0, -1.0, -1.0], [0.0, 2.0, 1.0, 2.0, 2.0]]


@pytest.mark.parametrize("xs", TIES, ids=str)
def test_max_routes_a_tie_like_torch_max_along_a_dim(xs):
    ours = [Value(x) for x in xs]
    fused_max(ours).backward()
    theirs = leaves(xs)
    assert [v.grad for v in ours] == torch_grads(fused_max(theirs), theirs)


@pytest.mark.parametrize("xs", TIES, ids=str)
def test_max_routes_a_tie_like_max_pool(xs):
    """max_pool1d over the whole row (max_pool2d scans its window row by row,
    so a window is this row read in that order)."""
    ours = [Value(x) for x in xs]
    fused_max(ours).backward()
    theirs = torch.tensor([xs], dtype=torch.float64, requires_grad=True)
    F.max_pool1d(theirs, len(xs)).sum().backward()
    assert [v.grad for v in ours] == theirs.grad[0].tolist()


# ------------------------------------------------------------ random compositions
@COMPOSITION_SETTINGS
@given(program=programs(), point=points)
def test_random_compositions_match_torch(program, point):
    ours_in = [Value(x) for x in point]
    ours = run_or_reject(program, ours_in)  # rejects points near a kink or a domain edge
    ours.backward()
    theirs_in = leaves(point)
    theirs = evaluate(program, theirs_in)
    assert close(ours.data, theirs.item()), (ours.data, theirs.item())
    for i, (x, g) in enumerate(zip(ours_in, torch_grads(theirs, theirs_in))):
        assert close(x.grad, g), f"input {i}: ours {x.grad!r}, torch {g!r}"


# ------------------------------------------------------------ Linear and MLP with copied weights
def to_torch(state: dict) -> dict:
    return {name: torch.tensor(value, dtype=torch.float64) for name, value in state.items()}


@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch_linear_loaded_from_our_state_dict(bias):
    random.seed(0)
    ours = Linear(3, 4, bias=bias)
    theirs = torch.nn.Linear(3, 4, bias=bias, dtype=torch.float64)
    theirs.load_state_dict(to_torch(ours.state_dict()))  # same names, same shapes
    x = [0.5, -1.25, 2.0]
    ours_x = [Value(v) for v in x]
    out = ours(ours_x)
    loss = Value.sum([o * (i + 1) for i, o in enumerate(out)]).tanh()
    loss.backward()
    theirs_x = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    theirs_out = theirs(theirs_x)
    theirs_loss = (theirs_out * torch.arange(1.0, 5.0, dtype=torch.float64)).sum().tanh()
    theirs_loss.backward()
    assert all(close(o.data, t) for o, t in zip(out, theirs_out.tolist()))
    assert all(close(v.grad, g) for v, g in zip(ours_x, theirs_x.grad.tolist()))
    grads = dict(theirs.named_parameters())
    for name, tensor in ours.named_parameters():
        ours_grads = [v.grad for v in (tensor if name == "bias" else sum(tensor, []))]
        assert all(close(a, b) for a, b in zip(ours_grads, grads[name].grad.flatten().tolist())), name


@pytest.mark.parametrize("bias", [True, False])
def test_linear_on_a_batch_matches_torch_linear_on_a_matrix(bias):
    # PyTorch's Linear takes (T, in_features) as well as (in_features,); so does ours.
    random.seed(1)
    ours = Linear(3, 2, bias=bias)
    theirs = torch.nn.Linear(3, 2, bias=bias, dtype=torch.float64)
    theirs.load_state_dict(to_torch(ours.state_dict()))
    xs = [[0.5, -1.25, 2.0], [1.0, 0.25, -0.5], [-2.0, 0.0, 1.5], [0.3, 0.3, 0.3]]
    ours_xs = [[Value(v) for v in x] for x in xs]
    out = ours(ours_xs)  # (4, 2)
    loss = Value.sum([o * (t + 2 * j + 1) for t, row in enumerate(out) for j, o in enumerate(row)]).tanh()
    loss.backward()
    theirs_xs = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    theirs_out = theirs(theirs_xs)
    weights = torch.tensor([[t + 2 * j + 1 for j in range(2)] for t in range(4)], dtype=torch.float64)
    (theirs_out * weights).sum().tanh().backward()
    assert [len(row) for row in out] == [2] * 4
    assert all(close(o.data, t) for row, trow in zip(out, theirs_out.tolist()) for o, t in zip(row, trow))
    assert all(close(v.grad, g) for x, gx in zip(ours_xs, theirs_xs.grad.tolist()) for v, g in zip(x, gx))
    grads = dict(theirs.named_parameters())
    for name, tensor in ours.named_parameters():
        ours_grads = [v.grad for v in (tensor if name == "bias" else sum(tensor, []))]
        assert all(close(a, b) for a, b in zip(ours_grads, grads[name].grad.flatten().tolist())), name


TORCH_ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "linear": lambda t: t}


@pytest.mark.parametrize(
    "activations", [["tanh", "relu", "linear"], ["sigmoid", "tanh", "relu"], "relu"], ids=str
)
def test_mlp_matches_torch_with_copied_weights(activations):
    random.seed(1)
    model = MLP(3, [5, 4, 2], activations=activations)
    layers = []  # (weight (out, in), bias (out,), activation) per layer, as torch leaves
    for layer in model.layers:
        weight = torch.tensor([[w.data for w in n.weight] for n in layer.neurons], dtype=torch.float64)
        bias = torch.tensor([n.bias.data for n in layer.neurons], dtype=torch.float64)
        layers.append((weight.requires_grad_(), bias.requires_grad_(), layer.neurons[0].activation))

    x = [0.3, -1.1, 0.8]
    ours_x = [Value(v) for v in x]
    out = model(ours_x)
    loss = tf.cross_entropy(out, 1)
    loss.backward()

    theirs_x = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    h = theirs_x
    for weight, bias, activation in layers:
        h = TORCH_ACTIVATIONS[activation](weight @ h + bias)
    theirs_loss = F.cross_entropy(h[None], torch.tensor([1]))
    theirs_loss.backward()

    assert all(close(o.data, t) for o, t in zip(out, h.tolist()))
    assert close(loss.data, theirs_loss.item())
    assert all(close(v.grad, g) for v, g in zip(ours_x, theirs_x.grad.tolist()))
    for layer, (weight, bias, _) in zip(model.layers, layers):
        for i, neuron in enumerate(layer.neurons):
            assert all(close(w.grad, g) for w, g in zip(neuron.weight, weight.grad[i].tolist()))
            assert close(neuron.bias.grad, bias.grad[i].item())


# ------------------------------------------------------------ losses
LOGITS = [
    [2.0, 1.0, 0.1],
    [-0.5, 3.0, 0.0, 1.5],
    [1000.0, -1000.0, 0.0],  # stability: exp never sees 1000
    [-1000.0, -999.0, -1001.0],
]


def run_both(loss_of_ours, loss_of_torch, xs):
    ours_in = [Value(x) for x in xs]
    ours = loss_of_ours(ours_in)
    ours.backward()
    theirs_in = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    theirs = loss_of_torch(theirs_in)
    theirs.backward()
    assert math.isfinite(ours.data)
    assert close(ours.data, theirs.item()), (ours.data, theirs.item())
    for i, (v, g) in enumerate(zip(ours_in, theirs_in.grad.tolist())):
        assert close(v.grad, g), f"input {i}: ours {v.grad!r}, torch {g!r}"


@pytest.mark.parametrize("logits", LOGITS)
@pytest.mark.parametrize("temperature", [1.0, 0.5, 3.0])
def test_softmax_and_log_softmax_match_torch(logits, temperature):
    weights = [0.7, -1.3, 2.1, 0.4][: len(logits)]  # a scalar to backpropagate from

    def ours_weighted(fn):
        return lambda z: Value.dot(fn(z, temperature=temperature), weights)

    def theirs_weighted(fn):
        return lambda z: (fn(z / temperature, dim=0) * torch.tensor(weights, dtype=torch.float64)).sum()

    run_both(ours_weighted(tf.softmax), theirs_weighted(torch.softmax), logits)
    run_both(ours_weighted(tf.log_softmax), theirs_weighted(torch.log_softmax), logits)


@pytest.mark.parametrize("logits", LOGITS)
def test_logsumexp_and_cross_entropy_match_torch(logits):
    run_both(tf.logsumexp, lambda z: torch.logsumexp(z, dim=0), logits)
    for target in range(len(logits)):
        run_both(
            lambda z, t=target: tf.cross_entropy(z, t),
            lambda z, t=target: F.cross_entropy(z[None], torch.tensor([t])),
            logits,
        )


def test_mse_hinge_and_l2_match_torch():
    predictions = [0.5, -1.2, 2.0, 0.1]
    targets = [1.0, -1.0, 1.5, -0.3]
    target_tensor = torch.tensor(targets, dtype=torch.float64)
    run_both(lambda p: tf.mse(p, targets), lambda p: F.mse_loss(p, target_tensor), predictions)
    labels = [1, -1, -1, 1]  # margins 0.5, 2.2, -1.0, 0.1: some inside, some outside
    label_tensor = torch.tensor(labels, dtype=torch.float64)
    run_both(lambda s: tf.hinge(s, labels), lambda s: torch.relu(1 - label_tensor * s).mean(), predictions)
    run_both(tf.l2, lambda p: (p * p).sum(), predictions)


# ------------------------------------------------------------ optimizers over several steps
def loss_of(p):
    """A smooth non-quadratic loss that runs on Values and on torch tensors alike."""
    return fused_sum(
        [(p[0] * 1.5 - 2.0) ** 2, (p[1] + 0.5).tanh() * p[2], (p[2] - 1.0) ** 2 * 0.3, p[0] * p[1]]
    )


OPTIMIZERS = {
    "SGD": (lambda ps: SGD(ps, lr=0.1), lambda ts: torch.optim.SGD(ts, lr=0.1)),
    "SGD momentum": (
        lambda ps: SGD(ps, lr=0.1, momentum=0.9),
        lambda ts: torch.optim.SGD(ts, lr=0.1, momentum=0.9),
    ),
    "SGD momentum weight_decay": (
        lambda ps: SGD(ps, lr=0.05, momentum=0.8, weight_decay=0.1),
        lambda ts: torch.optim.SGD(ts, lr=0.05, momentum=0.8, weight_decay=0.1),
    ),
    "Adam": (lambda ps: Adam(ps, lr=0.1), lambda ts: torch.optim.Adam(ts, lr=0.1)),
    "Adam betas eps": (
        lambda ps: Adam(ps, lr=0.05, betas=(0.8, 0.99), eps=1e-6),
        lambda ts: torch.optim.Adam(ts, lr=0.05, betas=(0.8, 0.99), eps=1e-6),
    ),
    # Our Adam's weight_decay is decoupled, i.e. it is torch's AdamW.
    "Adam weight_decay": (
        lambda ps: Adam(ps, lr=0.1, weight_decay=0.1),
        lambda ts: torch.optim.AdamW(ts, lr=0.1, weight_decay=0.1),
    ),
    "AdamW defaults": (lambda ps: AdamW(ps, lr=0.1), lambda ts: torch.optim.AdamW(ts, lr=0.1)),
    "AdamW weight_decay": (
        lambda ps: AdamW(ps, lr=0.1, weight_decay=0.3),
        lambda ts: torch.optim.AdamW(ts, lr=0.1, weight_decay=0.3),
    ),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_steps_match_torch_optim(name):
    make_ours, make_theirs = OPTIMIZERS[name]
    start = [0.3, -0.8, 1.7]
    params = [Value(x) for x in start]
    tensors = leaves(start)
    ours, theirs = make_ours(params), make_theirs(tensors)
    for step in range(8):
        ours.zero_grad()
        loss_of(params).backward()
        ours.step()
        theirs.zero_grad()
        loss_of(tensors).backward()
        theirs.step()
        for p, t in zip(params, tensors):
            assert close(p.data, t.item(), 1e-10), f"step {step}: ours {p.data!r}, torch {t.item()!r}"
