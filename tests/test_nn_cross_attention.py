"""Cross-attention (dot and additive scoring, and MultiHeadAttention given a
memory) and the Transformer decoder block: finite differences, PyTorch
float64 with the same weights (torch.nn.TransformerDecoderLayer to 1e-9),
and the errors."""

from __future__ import annotations

import math
import random

import pytest
from block_checks import assert_close, data, finite_difference_check, grads, random_sequence

from tinygrad_edu import Value
from tinygrad_edu.nn import AttentionHead, CrossAttention, MultiHeadAttention, TransformerDecoderBlock
from tinygrad_edu.nn.attention import attend


def project(outs, coeffs) -> Value:
    """sum_ij C_ij * out_ij: a scalar whose gradient reaches every output."""
    return Value.sum([Value.dot(row, c) for row, c in zip(outs, coeffs)])


def random_coeffs(T: int, d: int, rng: random.Random) -> list[list[float]]:
    return [[rng.uniform(-1.0, 1.0) for _ in range(d)] for _ in range(T)]


def leaves(*sequences) -> list[Value]:
    return [v for seq in sequences for vec in seq for v in vec]


@pytest.fixture
def rng() -> random.Random:
    random.seed(2024)  # the modules' initialisation uses the random module
    return random.Random(12)


# ------------------------------------------------------- the shared path
def test_attend_weighs_the_values_by_the_softmax_of_the_scores():
    scores = [[Value(math.log(3.0)), Value(0.0)], [Value(5.0)]]  # softmax: [0.75, 0.25], [1.0]
    outs, weights = attend(scores, [[4.0, 0.0], [0.0, 8.0]])
    assert_close(data(outs), [[3.0, 2.0], [4.0, 0.0]], tol=1e-12)
    assert_close(weights, [[0.75, 0.25], [1.0, 0.0]], tol=1e-12)
    assert weights[1][1] == 0.0  # not seen: exactly 0


def test_every_attention_goes_through_attend(monkeypatch, rng):
    """One softmax-weighted sum: the self-, cross- and multi-head attentions all call it."""
    import tinygrad_edu.nn.attention as attention

    calls = []
    real = attention.attend
    monkeypatch.setattr(attention, "attend", lambda s, v: calls.append(len(s)) or real(s, v))
    xs, memory = random_sequence(2, 4, rng), random_sequence(3, 4, rng)
    AttentionHead(4, 2)(xs)
    MultiHeadAttention(4, 2)(xs, memory)
    CrossAttention(4, 4, "dot")(xs, memory)
    CrossAttention(4, 4, "additive")(xs, memory)
    assert calls == [2, 2, 2, 2, 2]


# ---------------------------------------------------- Luong and Bahdanau
@pytest.mark.parametrize("scoring", ["dot", "additive"])
def test_cross_attention_gradcheck(rng, scoring):
    cross = CrossAttention(3, 4, scoring=scoring, d_attn=5 if scoring == "additive" else None)
    queries, memory = random_sequence(2, 3, rng), random_sequence(4, 4, rng)
    coeffs = random_coeffs(2, 4, rng)
    finite_difference_check(
        lambda: project(cross(queries, memory), coeffs), leaves(queries, memory) + cross.parameters()
    )


def test_cross_attention_with_values_gradcheck(rng):
    cross = CrossAttention(3, 4, scoring="dot")
    queries, memory, values = (
        random_sequence(2, 3, rng),
        random_sequence(4, 4, rng),
        random_sequence(4, 6, rng),
    )
    coeffs = random_coeffs(2, 6, rng)
    finite_difference_check(
        lambda: project(cross(queries, memory, values=values), coeffs),
        leaves(queries, memory, values) + cross.parameters(),
    )


def test_values_change_what_is_read_not_where_it_looks(rng):
    cross = CrossAttention(2, 3, "additive")
    queries, memory = random_sequence(2, 2, rng), random_sequence(4, 3, rng)
    extra = random_sequence(4, 2, rng)
    plain = data(cross(queries, memory))
    weights = cross.last_attention
    read = data(cross(queries, memory, values=[m + x for m, x in zip(memory, extra)]))  # (2, 3 + 2)
    assert cross.last_attention == weights
    assert_close([row[:3] for row in read], plain, tol=1e-12)
    by_hand = [[sum(w * x[j] for w, x in zip(row, data(extra))) for j in range(2)] for row in weights]
    assert_close([row[3:] for row in read], by_hand, tol=1e-12)


@pytest.mark.parametrize(("scoring", "d_v"), [("dot", None), ("additive", None), ("dot", 6)])
def test_cross_attention_matches_torch(rng, scoring, d_v):
    torch = pytest.importorskip("torch")
    cross = CrossAttention(3, 4, scoring=scoring)
    queries, memory = random_sequence(3, 3, rng), random_sequence(5, 4, rng)
    values = None if d_v is None else random_sequence(5, d_v, rng)
    coeffs = random_coeffs(3, d_v or 4, rng)
    outs = cross(queries, memory, values=values)
    project(outs, coeffs).backward()

    # The same scores in torch, (W q) . m or v . tanh(W q + U m + b): the bridge's twin
    from tinygrad_edu.torch_bridge import to_torch

    twin = to_torch(cross)
    q = torch.tensor([data(queries)], dtype=torch.float64, requires_grad=True)
    m = torch.tensor([data(memory)], dtype=torch.float64, requires_grad=True)
    v = None if values is None else torch.tensor([data(values)], dtype=torch.float64, requires_grad=True)
    ref_out = twin(q, m, values=v)[0]
    (ref_out * torch.tensor(coeffs, dtype=torch.float64)).sum().backward()
    if values is not None:
        assert_close(grads(values), v.grad[0], tol=1e-12)

    assert_close(data(outs), ref_out.detach(), tol=1e-12)
    assert_close(cross.last_attention, twin.last_attention[0], tol=1e-12)
    assert_close(grads(queries), q.grad[0], tol=1e-12)
    assert_close(grads(memory), m.grad[0], tol=1e-12)
    theirs = dict(twin.named_parameters())
    assert set(theirs) == {name for name, _ in cross.named_parameters()}
    for name, mine in cross.named_parameters():
        assert_close(grads(mine), theirs[name].grad, tol=1e-12)


def test_cross_attention_keeps_its_weights_as_floats_and_state_dict_names(rng):
    cross = CrossAttention(2, 3, "additive", d_attn=4)
    cross(random_sequence(2, 2, rng), random_sequence(5, 3, rng))
    assert len(cross.last_attention) == 2 and all(len(row) == 5 for row in cross.last_attention)
    assert all(type(w) is float for row in cross.last_attention for w in row)
    assert all(sum(row) == pytest.approx(1.0) for row in cross.last_attention)
    assert {k: len(v) for k, v in cross.state_dict().items()} == {
        "query.weight": 4,
        "key.weight": 4,
        "key.bias": 4,
        "energy.weight": 1,
    }
    assert list(CrossAttention(2, 3).state_dict()) == ["query.weight"]  # dot: W only


def test_the_context_reads_the_memory_position_a_query_points_at():
    """A dot-scoring W that makes q . m huge for one memory vector: the context is that vector."""
    cross = CrossAttention(2, 2, "dot")
    for i, row in enumerate(cross.query.weight):
        for j in range(2):
            row[j].data = 50.0 * (i == j)  # W = 50 I
    memory = [[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]
    contexts = cross([[0.0, 1.0], [1.0, 0.0]], memory)
    assert_close(data(contexts), [[0.0, 1.0], [1.0, 0.0]], tol=1e-12)
    assert [max(range(3), key=row.__getitem__) for row in cross.last_attention] == [1, 0]


def test_cross_attention_errors_name_the_module():
    with pytest.raises(
        ValueError, match=r"CrossAttention: scoring must be one of \('dot', 'additive'\), got 'general'"
    ):
        CrossAttention(2, 2, "general")
    with pytest.raises(ValueError, match="d_attn sets the width of additive scoring"):
        CrossAttention(2, 2, "dot", d_attn=3)
    cross = CrossAttention(2, 3)
    with pytest.raises(
        ValueError,
        match=r"CrossAttention\(d_query=2, d_memory=3, scoring='dot'\): vector 0 .* length 2; expected 3",
    ):
        cross([[1.0, 2.0]], [[1.0, 2.0]])
    with pytest.raises(TypeError, match=r"CrossAttention\(d_query=2.*'a'"):
        cross([["a", 1.0]], [[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match=r"CrossAttention\(d_query=2.*got 1 value vectors for 2 memory"):
        cross([[1.0, 2.0]], [[1.0, 2.0, 3.0]] * 2, values=[[1.0]])
    with pytest.raises(ValueError, match=r"CrossAttention\(d_query=2.*vector 1 .* length 2; expected 1"):
        cross([[1.0, 2.0]], [[1.0, 2.0, 3.0]] * 2, values=[[1.0], [1.0, 2.0]])


# ------------------------------------------------- heads given a memory
def test_attention_head_with_memory_reads_keys_and_values_from_it(rng):
    torch = pytest.importorskip("torch")
    head = AttentionHead(4, 3)
    xs, memory = random_sequence(2, 4, rng), random_sequence(5, 4, rng)
    outs = head(xs, memory)
    assert len(head.last_attention) == 2 and len(head.last_attention[0]) == 5
    x, m = (torch.tensor(data(s), dtype=torch.float64) for s in (xs, memory))
    Wq, Wk, Wv = (
        torch.tensor(data(getattr(head, n).weight), dtype=torch.float64) for n in ("query", "key", "value")
    )
    ref = torch.softmax((x @ Wq.T) @ (m @ Wk.T).T / math.sqrt(3), dim=-1) @ (m @ Wv.T)
    assert_close(data(outs), ref, tol=1e-12)
    with pytest.raises(
        ValueError, match=r"AttentionHead\(d_model=4, d_head=3, causal=True\): a causal head .* causal=False"
    ):
        AttentionHead(4, 3, causal=True)(xs, memory)


def test_multi_head_cross_attention_gradcheck(rng):
    mha = MultiHeadAttention(4, 2, bias=True)
    xs, memory = random_sequence(2, 4, rng), random_sequence(3, 4, rng)
    coeffs = random_coeffs(2, 4, rng)
    finite_difference_check(lambda: project(mha(xs, memory), coeffs), leaves(xs, memory) + mha.parameters())


# ------------------------------------------------------ the decoder block
def randomize(module, rng: random.Random) -> None:
    """Norm weights start at 1 and biases at 0: move them so every parameter does something."""
    for p in module.parameters():
        p.data += rng.uniform(-0.5, 0.5)


@pytest.mark.parametrize("norm_first", [True, False])
def test_decoder_block_gradcheck(rng, norm_first):
    block = TransformerDecoderBlock(4, 2, d_ff=6, norm_first=norm_first)
    randomize(block, rng)
    xs, memory = random_sequence(3, 4, rng), random_sequence(2, 4, rng)
    coeffs = random_coeffs(3, 4, rng)
    finite_difference_check(
        lambda: project(block(xs, memory), coeffs), leaves(xs, memory) + block.parameters()
    )


def attention_to_torch(mha: MultiHeadAttention, prefix: str, read) -> dict:
    """Our heads' query/key/value rows stacked as torch's in_proj (all queries, then keys, then values)."""
    heads = mha.heads
    return {
        f"{prefix}.in_proj_weight": [
            row for part in ("query", "key", "value") for h in heads for row in read(getattr(h, part).weight)
        ],
        f"{prefix}.in_proj_bias": [
            b for part in ("query", "key", "value") for h in heads for b in read(getattr(h, part).bias)
        ],
        f"{prefix}.out_proj.weight": read(mha.proj.weight),
        f"{prefix}.out_proj.bias": read(mha.proj.bias),
    }


def decoder_block_to_torch_state(block: TransformerDecoderBlock, read=data) -> dict:
    """Our names -> torch.nn.TransformerDecoderLayer's (self_attn, multihead_attn, linear1/2, norm1/2/3)."""
    state = attention_to_torch(block.attn, "self_attn", read) | attention_to_torch(
        block.cross_attn, "multihead_attn", read
    )
    state |= {
        "linear1.weight": read(block.mlp.fc.weight),
        "linear1.bias": read(block.mlp.fc.bias),
        "linear2.weight": read(block.mlp.proj.weight),
        "linear2.bias": read(block.mlp.proj.bias),
    }
    if block.norm_first:
        norms = (block.ln_1, block.ln_2, block.ln_3)
    else:
        norms = (block.addnorm_1.norm, block.addnorm_2.norm, block.addnorm_3.norm)
    for i, norm in enumerate(norms, start=1):
        state[f"norm{i}.weight"] = read(norm.weight)
        state[f"norm{i}.bias"] = read(norm.bias)
    return state


@pytest.mark.parametrize("norm_first", [True, False])
def test_decoder_block_matches_torch_decoder_layer(rng, norm_first):
    torch = pytest.importorskip("torch")
    d_model, n_head, d_ff, T, S = 6, 2, 8, 4, 5
    block = TransformerDecoderBlock(d_model, n_head, d_ff=d_ff, norm_first=norm_first)
    randomize(block, rng)
    xs, memory = random_sequence(T, d_model, rng), random_sequence(S, d_model, rng)
    coeffs = random_coeffs(T, d_model, rng)
    outs = block(xs, memory)
    project(outs, coeffs).backward()

    ref = torch.nn.TransformerDecoderLayer(
        d_model, n_head, dim_feedforward=d_ff, dropout=0.0, batch_first=True, norm_first=norm_first
    ).double()
    ref.load_state_dict(
        {k: torch.tensor(v, dtype=torch.float64) for k, v in decoder_block_to_torch_state(block).items()}
    )
    x = torch.tensor([data(xs)], dtype=torch.float64, requires_grad=True)
    m = torch.tensor([data(memory)], dtype=torch.float64, requires_grad=True)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64)
    ref_out = ref(x, m, tgt_mask=mask, tgt_is_causal=True)
    (ref_out[0] * torch.tensor(coeffs, dtype=torch.float64)).sum().backward()

    assert_close(data(outs), ref_out[0].detach(), tol=1e-9)
    assert_close(grads(xs), x.grad[0], tol=1e-9)
    assert_close(grads(memory), m.grad[0], tol=1e-9)
    ref_grads = {k: v.grad for k, v in ref.named_parameters()}
    for name, values in decoder_block_to_torch_state(block, grads).items():
        assert_close(values, ref_grads[name], tol=1e-9)


def test_decoder_block_is_causal_and_reads_the_whole_memory(rng):
    block = TransformerDecoderBlock(4, 2)
    xs, memory = random_sequence(3, 4, rng), random_sequence(4, 4, rng)
    block(xs, memory)[0][0].backward()
    assert all(v.grad == 0.0 for x in xs[1:] for v in x)  # position 0 cannot see the future
    assert all(any(v.grad != 0.0 for v in m) for m in memory)  # but sees every source position


@pytest.mark.parametrize("norm_first", [True, False])
def test_decoder_block_step_by_step_gives_the_whole_sequences_rows(rng, norm_first):
    """A key-value cache: feeding positions one at a time through `step`
    gives, at each, the row the whole-sequence call gives there."""
    block = TransformerDecoderBlock(4, 2, d_ff=6, norm_first=norm_first, bias=True)
    xs, memory = random_sequence(4, 4, rng), random_sequence(3, 4, rng)
    whole = data(block(xs, memory))
    cache, rows = None, []
    for x in xs:
        out, cache = block.step(x, memory, cache)
        rows.append(out)
    assert_close(data(rows), whole, tol=1e-12)
    assert [len(keys) for keys, _ in cache[0]] == [4, 4]  # each head's self-attention keys: one per position
    assert [len(keys) for keys, _ in cache[1]] == [3, 3]  # the cross-attention's: one per memory vector


def test_attention_step_errors_name_the_module():
    with pytest.raises(
        ValueError, match=r"MultiHeadAttention\(.*causal=False.*cannot run one position at a time"
    ):
        MultiHeadAttention(4, 2).step([0.0] * 4)
    with pytest.raises(ValueError, match=r"MultiHeadAttention\(.*causal=True.*not a memory"):
        MultiHeadAttention(4, 2, causal=True).step([0.0] * 4, None, [[0.0] * 4])
    with pytest.raises(
        ValueError, match=r"(?s)MultiHeadAttention\(d_model=4.*vector of length 4, got length 3"
    ):
        MultiHeadAttention(4, 2, causal=True).step([0.0] * 3)
    with pytest.raises(ValueError, match=r"MultiHeadAttention\(d_model=4.*vector 0 .* length 3; expected 4"):
        MultiHeadAttention(4, 2).step([0.0] * 4, None, [[0.0] * 3])


def test_decoder_block_state_dict_names_and_errors(rng):
    names = [k for k in TransformerDecoderBlock(4, 2).state_dict() if ".heads." not in k]
    assert names == [
        "ln_1.weight", "ln_1.bias", "attn.proj.weight", "attn.proj.bias",
        "ln_2.weight", "ln_2.bias", "cross_attn.proj.weight", "cross_attn.proj.bias",
        "ln_3.weight", "ln_3.bias", "mlp.fc.weight", "mlp.fc.bias", "mlp.proj.weight", "mlp.proj.bias",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="TransformerDecoderBlock: d_model=6 must be divisible by n_head=4"):
        TransformerDecoderBlock(6, 4)
    with pytest.raises(
        ValueError, match=r"TransformerDecoderBlock\(d_model=4.*vector 0 of the sequence has length 3"
    ):
        TransformerDecoderBlock(4, 2)([[0.0] * 4], [[0.0] * 3])
