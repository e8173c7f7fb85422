"""RNNCell, GRUCell, LSTMCell: finite differences, PyTorch float64, names, errors."""

import random

import pytest

from tinygrad_edu import Value
from tinygrad_edu.nn import GRUCell, LSTMCell, RNNCell, run_sequence, shape_of

INPUT, HIDDEN, STEPS = 3, 4, 3
EPS = 1e-6

# (our cell, torch class name, the keyword arguments both take)
CELLS = [
    (RNNCell, "RNNCell", {}),
    (RNNCell, "RNNCell", {"nonlinearity": "relu"}),
    (GRUCell, "GRUCell", {}),
    (LSTMCell, "LSTMCell", {}),
    (RNNCell, "RNNCell", {"bias": False}),
    (GRUCell, "GRUCell", {"bias": False}),
    (LSTMCell, "LSTMCell", {"bias": False}),
]
IDS = ["rnn-tanh", "rnn-relu", "gru", "lstm", "rnn-nobias", "gru-nobias", "lstm-nobias"]


def make_case(cls, kwargs, seed=0):
    """A cell, a few input steps and a non-zero initial state, all seeded."""
    random.seed(seed)
    cell = cls(INPUT, HIDDEN, **kwargs)
    rng = random.Random(seed + 1)
    xs = [[rng.uniform(-1, 1) for _ in range(INPUT)] for _ in range(STEPS)]
    h0 = [rng.uniform(-0.5, 0.5) for _ in range(HIDDEN)]
    c0 = [rng.uniform(-0.5, 0.5) for _ in range(HIDDEN)]
    # A fixed weighting of every output, so that every step matters to the loss.
    coeffs = [[rng.uniform(-1, 1) for _ in range(HIDDEN)] for _ in range(STEPS)]
    return cell, xs, h0, c0, coeffs


def state_of(cell, h0, c0):
    return (h0, c0) if isinstance(cell, LSTMCell) else h0


def loss_of(cell, xs, state, coeffs):
    outputs, _ = run_sequence(cell, xs, state)
    return Value.sum([Value.dot(c, h) for c, h in zip(coeffs, outputs)])


def flat_params(cell):
    return cell.parameters()


@pytest.mark.parametrize(("cls", "torch_name", "kwargs"), CELLS, ids=IDS)
def test_gradients_match_finite_differences(cls, torch_name, kwargs):
    cell, xs, h0, c0, coeffs = make_case(cls, kwargs)
    xs_v = [[Value(v) for v in x] for x in xs]
    h0_v, c0_v = [Value(v) for v in h0], [Value(v) for v in c0]
    loss = loss_of(cell, xs_v, state_of(cell, h0_v, c0_v), coeffs)
    loss.backward()

    def numeric(leaf):
        old = leaf.data
        leaf.data = old + EPS
        plus = loss_of(cell, xs_v, state_of(cell, h0_v, c0_v), coeffs).data
        leaf.data = old - EPS
        minus = loss_of(cell, xs_v, state_of(cell, h0_v, c0_v), coeffs).data
        leaf.data = old
        return (plus - minus) / (2 * EPS)

    leaves = flat_params(cell) + [v for x in xs_v for v in x] + h0_v
    if cls is LSTMCell:
        leaves += c0_v
    for leaf in leaves:
        assert leaf.grad == pytest.approx(numeric(leaf), abs=1e-6)


@pytest.mark.parametrize(("cls", "torch_name", "kwargs"), CELLS, ids=IDS)
def test_outputs_and_gradients_match_torch(cls, torch_name, kwargs):
    torch = pytest.importorskip("torch")
    cell, xs, h0, c0, coeffs = make_case(cls, kwargs, seed=3)

    # Ours.
    xs_v = [[Value(v) for v in x] for x in xs]
    h0_v, c0_v = [Value(v) for v in h0], [Value(v) for v in c0]
    outputs, final = run_sequence(cell, xs_v, state_of(cell, h0_v, c0_v))
    loss = Value.sum([Value.dot(c, h) for c, h in zip(coeffs, outputs)])
    loss.backward()

    # Torch, with the same weights copied in through the state_dict.
    ref = getattr(torch.nn, torch_name)(INPUT, HIDDEN, **kwargs).double()
    ref.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in cell.state_dict().items()})
    xs_t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    h_t = torch.tensor([h0], dtype=torch.float64, requires_grad=True)
    c_t = torch.tensor([c0], dtype=torch.float64, requires_grad=True)
    state = (h_t, c_t) if cls is LSTMCell else h_t
    ref_outputs = []
    for t in range(STEPS):
        state = ref(xs_t[t : t + 1], state)
        ref_outputs.append(state[0] if cls is LSTMCell else state)
    ref_loss = sum((torch.tensor(c, dtype=torch.float64) * h[0]).sum() for c, h in zip(coeffs, ref_outputs))
    ref_loss.backward()

    def close(ours, theirs):
        assert [v.data for v in ours] == pytest.approx(theirs.detach().flatten().tolist(), abs=1e-6)

    def grads_close(ours, theirs):
        assert [v.grad for v in ours] == pytest.approx(theirs.grad.flatten().tolist(), abs=1e-6)

    for ours, theirs in zip(outputs, ref_outputs):
        close(ours, theirs)
    if cls is LSTMCell:
        close(final[1], state[1])  # the cell state c too
    assert loss.data == pytest.approx(ref_loss.item(), abs=1e-6)
    grads_close([v for x in xs_v for v in x], xs_t)
    grads_close(h0_v, h_t)
    if cls is LSTMCell:
        grads_close(c0_v, c_t)
    torch_params = dict(ref.named_parameters())
    for name, tensor in cell.named_parameters():
        flat = [v for row in tensor for v in (row if isinstance(row, list) else [row])]
        grads_close(flat, torch_params[name])


@pytest.mark.parametrize(("cls", "torch_name", "kwargs"), CELLS, ids=IDS)
def test_state_dict_names_and_shapes_match_torch(cls, torch_name, kwargs):
    cell = cls(INPUT, HIDDEN, **kwargs)
    gates = {RNNCell: 1, GRUCell: 3, LSTMCell: 4}[cls]
    expected = {
        "weight_ih": (gates * HIDDEN, INPUT),
        "weight_hh": (gates * HIDDEN, HIDDEN),
        "bias_ih": (gates * HIDDEN,),
        "bias_hh": (gates * HIDDEN,),
    }
    if kwargs.get("bias") is False:
        expected = {k: v for k, v in expected.items() if k.startswith("weight")}
    assert {name: shape_of(t) for name, t in cell.named_parameters()} == expected
    assert list(cell.state_dict()) == list(expected)  # PyTorch's order too
    torch = pytest.importorskip("torch")
    ref = getattr(torch.nn, torch_name)(INPUT, HIDDEN, **kwargs)
    assert {k: tuple(v.shape) for k, v in ref.state_dict().items()} == expected
    assert list(ref.state_dict()) == list(expected)


def test_torch_weights_load_into_our_cell():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = torch.nn.LSTMCell(INPUT, HIDDEN).double()
    cell = LSTMCell(INPUT, HIDDEN)
    cell.load_state_dict({k: v.tolist() for k, v in ref.state_dict().items()})
    x = [0.1, -0.2, 0.3]
    h, c = cell(x)
    ref_h, ref_c = ref(torch.tensor([x], dtype=torch.float64))
    assert [v.data for v in h] == pytest.approx(ref_h[0].tolist(), abs=1e-12)
    assert [v.data for v in c] == pytest.approx(ref_c[0].tolist(), abs=1e-12)


def test_default_state_is_zeros():
    random.seed(1)
    for cls in (RNNCell, GRUCell):
        cell = cls(2, 3)
        assert [v.data for v in cell([1.0, 2.0])] == [v.data for v in cell([1.0, 2.0], [0.0, 0.0, 0.0])]
    cell = LSTMCell(2, 3)
    h1, c1 = cell([1.0, 2.0])
    h2, c2 = cell([1.0, 2.0], ([0.0] * 3, [0.0] * 3))
    assert [v.data for v in h1 + c1] == [v.data for v in h2 + c2]


def test_run_sequence_returns_every_output_and_the_final_state():
    random.seed(2)
    cell = GRUCell(2, 3)
    xs = [[1.0, 0.0], [0.0, 1.0], [0.5, -0.5]]
    outputs, h = run_sequence(cell, xs)
    # The same as stepping by hand.
    state = None
    for x, out in zip(xs, outputs):
        state = cell(x, state)
        assert [v.data for v in state] == [v.data for v in out]
    assert outputs[-1] is h
    lstm = LSTMCell(2, 3)
    outputs, (h, c) = run_sequence(lstm, xs)
    assert outputs[-1] is h and len(c) == 3


def test_graph_stays_small():
    # A gate row is two dot nodes and one sum node, not a chain of 2n ops.
    random.seed(0)
    cell = RNNCell(50, 40)
    h = cell([0.1] * 50)
    nodes = {id(n) for v in h for n in v.topological_order() if n.op}
    assert len(nodes) == 40 * 4  # dot, dot, sum, tanh per unit


def test_reprs():
    assert repr(RNNCell(3, 4)) == "RNNCell(3, 4)"
    assert repr(RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"
    assert repr(GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"
    assert repr(LSTMCell(3, 4)) == "LSTMCell(3, 4)"


@pytest.mark.parametrize("cls", [RNNCell, GRUCell, LSTMCell])
def test_bad_sizes_raise_clear_errors(cls):
    name = cls.__name__
    with pytest.raises(ValueError, match=f"{name}: input_size must be a positive int, got 0"):
        cls(0, 4)
    with pytest.raises(ValueError, match=f"{name}: hidden_size must be a positive int, got -1"):
        cls(3, -1)
    with pytest.raises(ValueError, match=f"{name}: hidden_size must be a positive int, got 2.5"):
        cls(3, 2.5)
    cell = cls(3, 4)
    with pytest.raises(
        ValueError, match=rf"{name}\(3, 4\): expected an input vector of length 3, got length 2"
    ):
        cell([1.0, 2.0])
    with pytest.raises(TypeError, match=rf"{name}\(3, 4\): expected a list of 3 numbers"):
        cell(1.0)
    bad_h = [0.0] * 5
    state = (bad_h, [0.0] * 4) if cls is LSTMCell else bad_h
    with pytest.raises(
        ValueError, match=rf"{name}\(3, 4\): the state h must have length hidden_size=4, got 5"
    ):
        cell([1.0, 2.0, 3.0], state)


def test_lstm_state_must_be_a_pair():
    cell = LSTMCell(3, 4)
    with pytest.raises(TypeError, match=r"LSTMCell\(3, 4\): the state must be a pair \(h, c\)"):
        cell([1.0, 2.0, 3.0], [0.0] * 4)
    with pytest.raises(ValueError, match="the cell state c must have length hidden_size=4, got 3"):
        cell([1.0, 2.0, 3.0], ([0.0] * 4, [0.0] * 3))


def test_bad_nonlinearity_and_bad_sequences():
    with pytest.raises(ValueError, match="RNNCell: nonlinearity must be 'tanh' or 'relu', got 'sigmoid'"):
        RNNCell(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="run_sequence: xs must hold at least one input vector"):
        run_sequence(RNNCell(1, 1), [])
    with pytest.raises(TypeError, match="run_sequence: expected an RNNCell, GRUCell or LSTMCell, got Linear"):
        from tinygrad_edu.nn import Linear

        run_sequence(Linear(1, 1), [[1.0]])
