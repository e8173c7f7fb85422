"""Embeddings, positional encodings and attention: finite differences, PyTorch
float64 with the same weights, the causal mask, and the error messages."""

from __future__ import annotations

import math
import random

import pytest
from block_checks import assert_close, data, finite_difference_check, grads, random_sequence

from tinygrad_edu import Value
from tinygrad_edu.nn import (
    AttentionHead,
    Embedding,
    MultiHeadAttention,
    PositionalEmbedding,
    SinusoidalPositionalEncoding,
    causal_mask,
    shape_of,
    sinusoidal_table,
)


# ---------------------------------------------------------------- helpers
def projection(outs: list[list[Value]], rng: random.Random) -> tuple[Value, list[list[float]]]:
    """A scalar loss sum_ij C_ij * out_ij with fixed random C: its gradient
    reaches every output with a different weight."""
    coeffs = [[rng.uniform(-1.0, 1.0) for _ in row] for row in outs]
    return Value.sum([Value.dot(row, c) for row, c in zip(outs, coeffs)]), coeffs


@pytest.fixture
def rng() -> random.Random:
    random.seed(1234)  # the modules' initialisation uses the random module
    return random.Random(99)


# -------------------------------------------------------------- embeddings
def test_embedding_lookup_returns_the_rows_and_accumulates_repeats(rng):
    emb = Embedding(5, 3)
    ids = [4, 1, 4]
    out = emb(ids)
    assert out[0] is emb.weight[4] and out[2] is emb.weight[4]
    loss, coeffs = projection(out, rng)
    loss.backward()
    # Row 4 was used twice: its gradient is the sum of both uses; row 0 unused.
    assert grads(emb.weight[4]) == pytest.approx([a + b for a, b in zip(coeffs[0], coeffs[2])])
    assert grads(emb.weight[1]) == pytest.approx(coeffs[1])
    assert grads(emb.weight[0]) == [0.0, 0.0, 0.0]


def test_embedding_gradcheck(rng):
    emb = Embedding(4, 3)
    coeffs = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(3)]

    def forward():
        return Value.sum([Value.dot(row, c) for row, c in zip(emb([2, 0, 2]), coeffs)])

    finite_difference_check(forward, emb.parameters())


def test_embedding_matches_torch(rng):
    torch = pytest.importorskip("torch")
    emb = Embedding(6, 4)
    ids = [5, 0, 2, 5]
    loss, coeffs = projection(emb(ids), rng)
    loss.backward()
    ref = torch.nn.Embedding(6, 4).double()
    ref.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in emb.state_dict().items()})
    ref_out = ref(torch.tensor(ids))
    (ref_out * torch.tensor(coeffs, dtype=torch.float64)).sum().backward()
    assert_close(data(emb(ids)), ref_out.detach())
    assert_close(grads(emb.weight), ref.weight.grad)
    assert shape_of(emb.weight) == tuple(ref.weight.shape)


def test_embedding_errors_name_the_module_and_sizes():
    emb = Embedding(3, 2)
    with pytest.raises(ValueError, match=r"Embedding\(3, 2\): token id 3 at position 1 is out of range"):
        emb([0, 3])
    with pytest.raises(ValueError, match=r"Embedding\(3, 2\).*token id -1"):
        emb([-1])
    with pytest.raises(TypeError, match=r"Embedding\(3, 2\): token ids must be ints, got 1.0"):
        emb([1.0])
    with pytest.raises(TypeError, match=r"got True"):
        emb([True])
    with pytest.raises(TypeError, match="list of token ids"):
        emb("ab")
    with pytest.raises(ValueError, match="at least one token id"):
        emb([])


def test_positional_embedding_gradcheck_and_torch(rng):
    pe = PositionalEmbedding(4, 3)
    xs = random_sequence(3, 3, rng)
    coeffs = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(3)]

    def forward():
        return Value.sum([Value.dot(row, c) for row, c in zip(pe(xs), coeffs)])

    finite_difference_check(forward, [v for row in xs for v in row] + pe.parameters())
    # x_t + weight[t]: the gradient reaches both, and rows past T get none.
    assert grads(pe.weight[3]) == [0.0, 0.0, 0.0]
    torch = pytest.importorskip("torch")
    weight = torch.tensor(data(pe.weight), dtype=torch.float64, requires_grad=True)
    x = torch.tensor(data(xs), dtype=torch.float64, requires_grad=True)
    out = x + weight[:3]
    (out * torch.tensor(coeffs, dtype=torch.float64)).sum().backward()
    assert_close(data(pe(xs)), out.detach())
    assert_close(grads(pe.weight), weight.grad)
    assert_close(grads(xs), x.grad)
    assert pe.state_dict().keys() == {"weight"} and shape_of(pe.weight) == (4, 3)


def test_positional_encodings_reject_long_sequences_and_bad_vectors():
    for module in (PositionalEmbedding(4, 3), SinusoidalPositionalEncoding(4, 3)):
        name = type(module).__name__
        with pytest.raises(ValueError, match=rf"{name}\(4, 3\): got a sequence of 5 vectors.*4 positions"):
            module([[0.0] * 3] * 5)
        with pytest.raises(
            ValueError, match=rf"{name}\(4, 3\): vector 1 of the sequence has length 2; expected 3"
        ):
            module([[0.0] * 3, [0.0] * 2])
        with pytest.raises(TypeError, match="single vector"):
            module([0.0, 0.0, 0.0])


def test_sinusoidal_table_matches_the_formula_and_torch():
    table = sinusoidal_table(6, 4)
    for pos in range(6):
        for i in range(2):
            angle = pos / 10000 ** (2 * i / 4)
            assert table[pos][2 * i] == pytest.approx(math.sin(angle))
            assert table[pos][2 * i + 1] == pytest.approx(math.cos(angle))
    assert len(sinusoidal_table(2, 5)[0]) == 5  # an odd width ends with a sine
    torch = pytest.importorskip("torch")
    # The usual PyTorch recipe (the "Annotated Transformer" PositionalEncoding).
    position = torch.arange(6, dtype=torch.float64).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, 4, 2, dtype=torch.float64) * (-math.log(10000.0) / 4))
    pe = torch.zeros(6, 4, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    assert_close(table, pe, tol=1e-12)


def test_sinusoidal_encoding_has_no_parameters_and_passes_gradients(rng):
    pe = SinusoidalPositionalEncoding(5, 4)
    assert pe.parameters() == [] and pe.state_dict() == {}
    xs = random_sequence(3, 4, rng)
    out = pe(xs)
    assert_close(data(out), [[x.data + p for x, p in zip(row, t)] for row, t in zip(xs, pe.table)])
    loss, coeffs = projection(out, rng)
    loss.backward()
    assert_close(grads(xs), coeffs)  # d(x + constant)/dx = 1


def test_sinusoidal_encoding_from_a_start_position_adds_the_later_rows(rng):
    """A decoder fed one word at a time passes its position: the rows added
    are those the whole sequence would get there."""
    pe = SinusoidalPositionalEncoding(5, 4)
    xs = random_sequence(3, 4, rng)
    assert_close(data(pe(xs[1:], start=1)), data(pe(xs))[1:])
    with pytest.raises(
        ValueError, match=r"SinusoidalPositionalEncoding\(5, 4\): start must be a position in 0..4, got 5"
    ):
        pe(xs[:1], start=5)
    with pytest.raises(
        ValueError, match=r"SinusoidalPositionalEncoding\(5, 4\): got a sequence of 3 .* 2 positions"
    ):
        pe(xs, start=3)


# --------------------------------------------------------------- attention
def test_causal_mask_is_the_lower_triangle():
    assert causal_mask(3) == [[True, False, False], [True, True, False], [True, True, True]]


@pytest.mark.parametrize("causal", [False, True])
def test_attention_head_gradcheck(rng, causal):
    head = AttentionHead(3, 2, causal=causal)
    xs = random_sequence(4, 3, rng)
    coeffs = [[rng.uniform(-1, 1) for _ in range(2)] for _ in range(4)]

    def forward():
        return Value.sum([Value.dot(row, c) for row, c in zip(head(xs), coeffs)])

    finite_difference_check(forward, [v for row in xs for v in row] + head.parameters())


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_attention_head_matches_torch(rng, causal, bias):
    torch = pytest.importorskip("torch")
    head = AttentionHead(4, 3, causal=causal, bias=bias)
    xs = random_sequence(5, 4, rng)
    out = head(xs)
    loss, coeffs = projection(out, rng)
    loss.backward()

    # nanoGPT's Head in float64: the bridge's twin (held to torch.nn.MultiheadAttention in test_torch_twins)
    from tinygrad_edu.torch_bridge import to_torch

    twin = to_torch(head)
    x = torch.tensor([data(xs)], dtype=torch.float64, requires_grad=True)
    ref_out = twin(x)[0]
    (ref_out * torch.tensor(coeffs, dtype=torch.float64)).sum().backward()
    assert_close(data(out), ref_out.detach())
    assert_close(head.last_attention, twin.last_attention[0])
    assert_close(grads(xs), x.grad[0])
    for part in ("query", "key", "value"):
        assert_close(grads(getattr(head, part).weight), getattr(twin, part).weight.grad)
        if bias:
            assert_close(grads(getattr(head, part).bias), getattr(twin, part).bias.grad)
    if bias:  # the softmax cancels a key bias exactly: its gradient is 0
        assert max(abs(g) for g in grads(head.key.bias)) < 1e-12
    # PyTorch names and shapes: Linear(d_model, d_head) weights are (d_head, d_model).
    names = {k: shape_of_numbers(v) for k, v in head.state_dict().items()}
    expected = {f"{m}.weight": (3, 4) for m in ("query", "key", "value")}
    if bias:
        expected.update({f"{m}.bias": (3,) for m in ("query", "key", "value")})
    assert names == expected
    assert tuple(torch.nn.Linear(4, 3).weight.shape) == (3, 4)


def shape_of_numbers(x):
    from tinygrad_edu.nn.module import shape_of_numbers as shape

    return shape(x)


def test_causal_attention_gives_the_future_exactly_zero_weight(rng):
    head = AttentionHead(3, 2, causal=True)
    head(random_sequence(5, 3, rng))
    weights = head.last_attention
    assert len(weights) == 5 and all(len(row) == 5 for row in weights)
    for t, row in enumerate(weights):
        assert all(w == 0.0 for w in row[t + 1 :])  # exactly, not 1e-30
        assert all(w > 0.0 for w in row[: t + 1])
        assert sum(row) == pytest.approx(1.0, abs=1e-12)
    assert weights[0][0] == 1.0  # the first position sees only itself


def test_causal_output_does_not_depend_on_the_future(rng):
    head = AttentionHead(3, 2, causal=True)
    xs = random_sequence(4, 3, rng)
    head(xs)[1][0].backward()  # output at position 1
    assert all(v.grad == 0.0 for row in xs[2:] for v in row)
    assert any(v.grad != 0.0 for row in xs[:2] for v in row)


def test_non_causal_rows_sum_to_one_and_see_everything(rng):
    head = AttentionHead(3, 2)
    head(random_sequence(4, 3, rng))
    for row in head.last_attention:
        assert sum(row) == pytest.approx(1.0, abs=1e-12)
        assert all(w > 0.0 for w in row)
        assert all(type(w) is float for w in row)  # plain numbers, ready to plot


def test_attention_with_huge_scores_stays_finite():
    head = AttentionHead(1, 1, causal=True)
    head.query.weight = [[Value(30.0)]]
    head.key.weight = [[Value(30.0)]]
    head.value.weight = [[Value(1.0)]]
    out = head([[10.0], [-10.0], [10.0]])  # scores of +-90,000: the max shift keeps exp finite
    assert all(math.isfinite(v[0].data) for v in out)
    assert head.last_attention[2] == pytest.approx([0.5, 0.0, 0.5])


def test_last_attention_is_not_a_parameter(rng):
    head = AttentionHead(2, 2)
    before = [name for name, _ in head.named_parameters()]
    head(random_sequence(3, 2, rng))
    assert [name for name, _ in head.named_parameters()] == before
    assert len(head.parameters()) == 12


def test_attention_errors_name_the_module_and_sizes(rng):
    head = AttentionHead(3, 2, causal=True)
    with pytest.raises(
        ValueError,
        match=r"AttentionHead\(d_model=3, d_head=2, causal=True\): vector 1 .* length 4; expected 3",
    ):
        head([[0.0] * 3, [0.0] * 4])
    with pytest.raises(ValueError, match="at least one vector"):
        head([])
    with pytest.raises(ValueError, match=r"MultiHeadAttention: d_model=6 must be divisible by n_head=4"):
        MultiHeadAttention(6, 4)
    with pytest.raises(ValueError, match="d_head must be a positive int"):
        AttentionHead(3, 0)


@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_attention_gradcheck(rng, causal):
    mha = MultiHeadAttention(4, 2, causal=causal, bias=True)
    xs = random_sequence(3, 4, rng)
    coeffs = [[rng.uniform(-1, 1) for _ in range(4)] for _ in range(3)]

    def forward():
        return Value.sum([Value.dot(row, c) for row, c in zip(mha(xs), coeffs)])

    finite_difference_check(forward, [v for row in xs for v in row] + mha.parameters())


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_multi_head_attention_matches_torch(rng, causal, bias):
    torch = pytest.importorskip("torch")
    d_model, n_head, T = 6, 3, 4
    mha = MultiHeadAttention(d_model, n_head, causal=causal, bias=bias)
    xs = random_sequence(T, d_model, rng)
    out = mha(xs)
    loss, coeffs = projection(out, rng)
    loss.backward()

    ref = torch.nn.MultiheadAttention(d_model, n_head, bias=bias, batch_first=True).double()
    # PyTorch stacks every head's query rows, then the keys, then the values.
    state = {
        "in_proj_weight": [
            row
            for part in ("query", "key", "value")
            for h in mha.heads
            for row in data(getattr(h, part).weight)
        ],
        "out_proj.weight": data(mha.proj.weight),
    }
    if bias:
        state["in_proj_bias"] = [
            b for part in ("query", "key", "value") for h in mha.heads for b in data(getattr(h, part).bias)
        ]
        state["out_proj.bias"] = data(mha.proj.bias)
    ref.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in state.items()})
    x = torch.tensor([data(xs)], dtype=torch.float64, requires_grad=True)  # (1, T, d_model)
    mask = (
        torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1) if causal else None
    )  # True = may not look
    ref_out, ref_weights = ref(x, x, x, attn_mask=mask, need_weights=True, average_attn_weights=False)
    (ref_out[0] * torch.tensor(coeffs, dtype=torch.float64)).sum().backward()

    assert_close(data(out), ref_out[0].detach())
    assert_close(mha.last_attention, ref_weights[0].detach())
    assert_close(grads(xs), x.grad[0])
    assert_close(grads(mha.proj.weight), ref.out_proj.weight.grad)
    in_grad = ref.in_proj_weight.grad.tolist()
    ours = [
        row for part in ("query", "key", "value") for h in mha.heads for row in grads(getattr(h, part).weight)
    ]
    assert_close(ours, in_grad)
    if bias:
        assert_close(grads(mha.proj.bias), ref.out_proj.bias.grad)
    # Same shapes as PyTorch's out_proj; n_head * 3 (d_head, d_model) blocks = its in_proj_weight.
    assert shape_of(mha.proj.weight) == tuple(ref.out_proj.weight.shape)
    assert len(state["in_proj_weight"]) == ref.in_proj_weight.shape[0]


def test_multi_head_attention_runs_one_head_per_slice(rng):
    """The concatenation order: head h fills output slots h*d_head..(h+1)*d_head-1 before `proj`."""
    mha = MultiHeadAttention(4, 2)
    xs = random_sequence(3, 4, rng)
    head_outs = [head(xs) for head in mha.heads]
    out = mha(xs)
    for t in range(3):
        concat = [v.data for h in head_outs for v in h[t]]
        assert_close(data(out[t]), [sum(w.data * c for w, c in zip(row, concat)) for row in mha.proj.weight])
    assert len(mha.last_attention) == 2
