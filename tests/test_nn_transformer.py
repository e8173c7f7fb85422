"""Norms, feed-forward, AddNorm, the transformer block and the GPT: finite
differences, PyTorch float64 with the same weights, generation, errors."""

from __future__ import annotations

import random

import pytest
from block_checks import assert_close, data, finite_difference_check, grads, random_sequence

from tinygrad_edu import Value, no_grad
from tinygrad_edu.functional import cross_entropy
from tinygrad_edu.models.gpt import GPT
from tinygrad_edu.nn import AddNorm, FeedForward, LayerNorm, RMSNorm, TransformerBlock, shape_of


# ---------------------------------------------------------------- helpers
def random_coeffs(T: int, d: int, rng: random.Random) -> list[list[float]]:
    return [[rng.uniform(-1.0, 1.0) for _ in range(d)] for _ in range(T)]


def project(outs, coeffs) -> Value:
    """sum_ij C_ij * out_ij: a scalar whose gradient reaches every output."""
    return Value.sum([Value.dot(row, c) for row, c in zip(outs, coeffs)])


def load_into_torch(torch, ref, state: dict) -> None:
    ref.load_state_dict({k: torch.tensor(v, dtype=torch.float64) for k, v in state.items()})


def randomize(module, rng: random.Random) -> None:
    """Norm weights start at exactly 1 and biases at 0; move them so the test
    sees every parameter do something."""
    for p in module.parameters():
        p.data += rng.uniform(-0.5, 0.5)


@pytest.fixture
def rng() -> random.Random:
    random.seed(4321)
    return random.Random(7)


# ------------------------------------------------------------------ norms
@pytest.mark.parametrize(
    "make",
    [lambda: LayerNorm(5), lambda: LayerNorm(5, bias=False), lambda: RMSNorm(5)],
    ids=["ln", "ln-nobias", "rms"],
)
def test_norm_gradcheck(rng, make):
    norm = make()
    randomize(norm, rng)
    x = [Value(rng.uniform(-2, 2)) for _ in range(5)]
    coeffs = [rng.uniform(-1, 1) for _ in range(5)]
    finite_difference_check(lambda: Value.dot(norm(x), coeffs), x + norm.parameters())


@pytest.mark.parametrize("kind", ["layernorm", "layernorm-nobias", "layernorm-noaffine", "rmsnorm"])
def test_norm_matches_torch(rng, kind):
    torch = pytest.importorskip("torch")
    if kind == "rmsnorm":
        norm, ref = RMSNorm(5), torch.nn.RMSNorm(5, eps=1e-5)
    elif kind == "layernorm-nobias":
        norm, ref = LayerNorm(5, bias=False), torch.nn.LayerNorm(5, bias=False)
    elif kind == "layernorm-noaffine":
        norm, ref = LayerNorm(5, elementwise_affine=False), torch.nn.LayerNorm(5, elementwise_affine=False)
    else:
        norm, ref = LayerNorm(5), torch.nn.LayerNorm(5)
    ref = ref.double()
    randomize(norm, rng)
    # Same names and shapes as the torch module: load_state_dict would refuse otherwise.
    assert {k: shape_of(v) for k, v in norm.named_parameters()} == {
        k: tuple(v.shape) for k, v in ref.state_dict().items()
    }
    load_into_torch(torch, ref, norm.state_dict())
    xs = random_sequence(3, 5, rng)
    coeffs = random_coeffs(3, 5, rng)
    outs = [norm(x) for x in xs]
    project(outs, coeffs).backward()
    x = torch.tensor(data(xs), dtype=torch.float64, requires_grad=True)
    ref_out = ref(x)
    (ref_out * torch.tensor(coeffs, dtype=torch.float64)).sum().backward()
    assert_close(data(outs), ref_out.detach())
    assert_close(grads(xs), x.grad)
    for name, param in ref.named_parameters():
        assert_close(grads(dict(norm.named_parameters())[name]), param.grad)


def test_layernorm_output_is_normalised_and_constant_input_is_safe():
    out = LayerNorm(4)([1.0, 2.0, 3.0, 10.0])
    values = [v.data for v in out]
    assert sum(values) == pytest.approx(0.0, abs=1e-12)
    assert sum(v * v for v in values) / 4 == pytest.approx(1.0, rel=1e-4)  # eps makes it a hair under 1
    assert [v.data for v in LayerNorm(3)([2.0, 2.0, 2.0])] == [0.0, 0.0, 0.0]  # var 0: eps, no ZeroDivision


def test_norm_errors_and_repr():
    with pytest.raises(
        ValueError, match=r"LayerNorm\(3, eps=1e-05\): expected an input vector of length 3, got length 2"
    ):
        LayerNorm(3)([1.0, 2.0])
    with pytest.raises(ValueError, match=r"RMSNorm\(3, eps=1e-05\)"):
        RMSNorm(3)([1.0])
    with pytest.raises(ValueError, match="unknown norm 'batchnorm'"):
        TransformerBlock(4, 2, norm="batchnorm")
    assert repr(LayerNorm(2, bias=False)) == "LayerNorm(2, eps=1e-05, bias=False)"


# ---------------------------------------------------- feed-forward, AddNorm
def test_feed_forward_gradcheck_and_torch(rng):
    ff = FeedForward(3, 5)
    xs = random_sequence(2, 3, rng)
    coeffs = random_coeffs(2, 3, rng)
    finite_difference_check(lambda: project(ff(xs), coeffs), [v for x in xs for v in x] + ff.parameters())
    torch = pytest.importorskip("torch")
    ref = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3)).double()
    state = ff.state_dict()
    load_into_torch(torch, ref, {k.replace("fc.", "0.").replace("proj.", "2."): v for k, v in state.items()})
    for x in xs:
        for v in x:
            v.grad = 0.0
    ff.zero_grad()
    outs = ff(xs)
    project(outs, coeffs).backward()
    x = torch.tensor(data(xs), dtype=torch.float64, requires_grad=True)
    ref_out = ref(x)
    (ref_out * torch.tensor(coeffs, dtype=torch.float64)).sum().backward()
    assert_close(data(outs), ref_out.detach())
    assert_close(grads(xs), x.grad)
    assert_close(grads(ff.fc.weight), ref[0].weight.grad)
    assert_close(grads(ff.proj.bias), ref[2].bias.grad)
    assert [(k, shape_of(v)) for k, v in ff.named_parameters()] == [
        ("fc.weight", (5, 3)),
        ("fc.bias", (5,)),
        ("proj.weight", (3, 5)),
        ("proj.bias", (3,)),
    ]


def test_add_norm_is_norm_of_the_sum(rng):
    add_norm = AddNorm(4)
    randomize(add_norm, rng)
    xs, ys = random_sequence(2, 4, rng), random_sequence(2, 4, rng)
    coeffs = random_coeffs(2, 4, rng)
    leaves = [v for seq in (xs, ys) for x in seq for v in x] + add_norm.parameters()
    finite_difference_check(lambda: project(add_norm(xs, ys), coeffs), leaves)
    expected = [add_norm.norm([a + b for a, b in zip(x, y)]) for x, y in zip(xs, ys)]
    assert_close(data(add_norm(xs, ys)), data(expected))
    torch = pytest.importorskip("torch")
    ref = torch.nn.LayerNorm(4).double()
    load_into_torch(torch, ref, {k.removeprefix("norm."): v for k, v in add_norm.state_dict().items()})
    x = torch.tensor(data(xs), dtype=torch.float64, requires_grad=True)
    y = torch.tensor(data(ys), dtype=torch.float64, requires_grad=True)
    ref_out = ref(x + y)
    (ref_out * torch.tensor(coeffs, dtype=torch.float64)).sum().backward()
    for v in leaves:
        v.grad = 0.0
    outs = add_norm(xs, ys)
    project(outs, coeffs).backward()
    assert_close(data(outs), ref_out.detach())
    assert_close(grads(xs), x.grad)
    assert_close(grads(ys), y.grad)
    assert_close(grads(add_norm.norm.weight), ref.weight.grad)
    assert_close(grads(add_norm.norm.bias), ref.bias.grad)
    with pytest.raises(
        ValueError, match=r"AddNorm\(4\): the residual has 2 vectors but the sub-layer output 1"
    ):
        add_norm(xs, ys[:1])


# -------------------------------------------------------- transformer block
@pytest.mark.parametrize("norm_first", [True, False])
def test_block_gradcheck(rng, norm_first):
    block = TransformerBlock(4, 2, d_ff=6, norm_first=norm_first)
    randomize(block, rng)
    xs = random_sequence(3, 4, rng)
    coeffs = random_coeffs(3, 4, rng)
    finite_difference_check(
        lambda: project(block(xs), coeffs), [v for x in xs for v in x] + block.parameters()
    )


def block_to_torch_state(block: TransformerBlock, read=data) -> dict:
    """Our names -> torch.nn.TransformerEncoderLayer's (norm1/2, self_attn, linear1/2);
    `read` takes the numbers (data) or the gradients (grads)."""
    heads = block.attn.heads
    state = {
        "self_attn.in_proj_weight": [
            row for part in ("query", "key", "value") for h in heads for row in read(getattr(h, part).weight)
        ],
        "self_attn.in_proj_bias": [
            b for part in ("query", "key", "value") for h in heads for b in read(getattr(h, part).bias)
        ],
        "self_attn.out_proj.weight": read(block.attn.proj.weight),
        "self_attn.out_proj.bias": read(block.attn.proj.bias),
        "linear1.weight": read(block.mlp.fc.weight),
        "linear1.bias": read(block.mlp.fc.bias),
        "linear2.weight": read(block.mlp.proj.weight),
        "linear2.bias": read(block.mlp.proj.bias),
    }
    norms = (block.ln_1, block.ln_2) if block.norm_first else (block.addnorm_1.norm, block.addnorm_2.norm)
    for i, norm in enumerate(norms, start=1):
        state[f"norm{i}.weight"] = read(norm.weight)
        state[f"norm{i}.bias"] = read(norm.bias)
    return state


@pytest.mark.parametrize("norm_first", [True, False])
@pytest.mark.parametrize("causal", [True, False])
def test_block_matches_torch_encoder_layer(rng, norm_first, causal):
    torch = pytest.importorskip("torch")
    d_model, n_head, d_ff, T = 6, 2, 8, 4
    block = TransformerBlock(d_model, n_head, d_ff=d_ff, norm_first=norm_first, causal=causal)
    randomize(block, rng)
    xs = random_sequence(T, d_model, rng)
    coeffs = random_coeffs(T, d_model, rng)
    outs = block(xs)
    project(outs, coeffs).backward()

    ref = torch.nn.TransformerEncoderLayer(
        d_model, n_head, dim_feedforward=d_ff, dropout=0.0, batch_first=True, norm_first=norm_first
    ).double()
    load_into_torch(torch, ref, block_to_torch_state(block))
    x = torch.tensor([data(xs)], dtype=torch.float64, requires_grad=True)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64) if causal else None
    ref_out = ref(x, src_mask=mask, is_causal=causal)
    (ref_out[0] * torch.tensor(coeffs, dtype=torch.float64)).sum().backward()

    assert_close(data(outs), ref_out[0].detach())
    assert_close(grads(xs), x.grad[0])
    ref_grads = {k: v.grad for k, v in ref.named_parameters()}
    for name, values in block_to_torch_state(block, grads).items():
        assert_close(values, ref_grads[name])


def test_block_state_dict_names():
    pre = TransformerBlock(4, 2)
    assert [k for k in pre.state_dict() if not k.startswith("attn.heads")] == [
        "ln_1.weight",
        "ln_1.bias",
        "attn.proj.weight",
        "attn.proj.bias",
        "ln_2.weight",
        "ln_2.bias",
        "mlp.fc.weight",
        "mlp.fc.bias",
        "mlp.proj.weight",
        "mlp.proj.bias",
    ]
    post = TransformerBlock(4, 2, norm_first=False, norm="rmsnorm", bias=False)
    assert [k for k in post.state_dict() if not k.startswith("attn.heads")] == [
        "attn.proj.weight",
        "addnorm_1.norm.weight",
        "mlp.fc.weight",
        "mlp.proj.weight",
        "addnorm_2.norm.weight",
    ]


def test_block_is_causal_by_default(rng):
    block = TransformerBlock(4, 2)
    xs = random_sequence(3, 4, rng)
    block(xs)[0][0].backward()
    assert all(v.grad == 0.0 for x in xs[1:] for v in x)


# -------------------------------------------------------------------- GPT
def small_gpt(**options) -> GPT:
    random.seed(11)
    return GPT(vocab_size=5, block_size=4, n_layer=2, n_embd=4, n_head=2, d_ff=6, **options)


IDS, TARGETS = [0, 3, 1, 4], [3, 1, 4, 0]


def test_gpt_loss_gradcheck(rng):
    model = small_gpt()
    randomize(model, rng)
    # Every third scalar keeps this under a second (the block tests above check every one).
    finite_difference_check(lambda: model.loss(IDS, TARGETS), model.parameters()[::3])


def test_gpt_loss_is_the_mean_cross_entropy():
    model = small_gpt(norm="rmsnorm", bias=False, positional="sinusoidal")
    logits = model(IDS)
    expected = sum(cross_entropy(row, y).data for row, y in zip(logits, TARGETS)) / 4
    assert model.loss(IDS, TARGETS).data == pytest.approx(expected, abs=1e-12)
    assert model.evaluate([[0, *TARGETS]]) == pytest.approx(expected, abs=1e-12)
    assert "wpe.weight" not in model.state_dict()


def test_gpt_matches_torch(rng):
    """Ours against the bridge's twin (whose blocks are held to PyTorch's
    TransformerEncoderLayer in test_torch_twins): logits, loss, every gradient."""
    pytest.importorskip("torch")
    from tinygrad_edu.torch_bridge import compare, to_torch

    model = small_gpt()
    randomize(model, rng)
    twin = to_torch(model)
    for inputs, loss in (((IDS,), None), ((IDS, TARGETS), "loss")):
        table = compare(model, twin, inputs, loss, show=False)
        assert max(table.values()) < 1e-10, table
        assert len(table) == len(dict(model.named_parameters())) + (2 if loss is None else 1)  # output, loss
    # Outside the blocks the names and shapes are nanoGPT's, which are torch's
    # (the twin's wte is a torch.nn.Embedding, its lm_head a torch.nn.Linear).
    for name in ("wte.weight", "wpe.weight", "ln_f.weight", "lm_head.weight", "lm_head.bias"):
        assert shape_of(dict(model.named_parameters())[name]) == tuple(twin.state_dict()[name].shape)


def test_gpt_state_dict_round_trip():
    model = small_gpt()
    other = small_gpt()
    for p in other.parameters():
        p.data = 0.0
    other.load_state_dict(model.state_dict())
    assert other.loss(IDS, TARGETS).data == model.loss(IDS, TARGETS).data


def test_generate_is_deterministic_for_a_seed_and_builds_no_graph(monkeypatch):
    model = small_gpt()
    seen = []
    original = GPT.__call__

    def spy(self, ids):
        logits = original(self, ids)
        seen.append(logits)
        return logits

    monkeypatch.setattr(GPT, "__call__", spy)
    out = model.generate([0, 1], 10, seed=3)
    assert out[:2] == [0, 1] and len(out) == 12
    assert all(0 <= i < 5 for i in out)
    assert model.generate([0, 1], 10, seed=3) == out
    assert [model.generate([0], 12, seed=s) for s in range(5)] != [model.generate([0], 12, seed=0)] * 5
    # No graph: every Value made while generating is a bare number.
    assert all(v.parents == () for rows in seen for row in rows for v in row)
    assert all(p.grad == 0.0 for p in model.parameters())
    assert len(seen[-1]) == 4  # the context was cropped to block_size


def test_generate_top_k_temperature_and_stop():
    model = small_gpt()
    # top_k=1 is greedy: the same at any temperature and for any seed.
    greedy = model.generate([0], 6, top_k=1, seed=0)
    assert model.generate([0], 6, top_k=1, temperature=5.0, seed=9) == greedy
    with no_grad():
        first = model([0])[-1]
    assert greedy[1] == max(range(5), key=lambda i: first[i].data)
    # top_k=2 only ever picks one of the two likeliest tokens.
    for seed in range(10):
        ids = model.generate([0], 1, top_k=2, seed=seed)
        assert ids[1] in sorted(range(5), key=lambda i: -first[i].data)[:2]
    # A very low temperature is nearly greedy; stop ends generation early.
    assert model.generate([0], 6, temperature=1e-3, seed=1) == greedy
    out = model.generate([0], 50, seed=2, stop=greedy[1])
    assert out[-1] == greedy[1] or len(out) == 51


def test_gpt_errors_name_the_module_and_sizes():
    model = small_gpt()
    name = r"GPT\(vocab_size=5, block_size=4, n_layer=2, n_embd=4, n_head=2, \d+ parameters\)"
    with pytest.raises(ValueError, match=name + r": got 5 token ids, but the context holds block_size=4"):
        model([0, 1, 2, 3, 4])
    with pytest.raises(
        ValueError, match=name + r": token id 5 at position 1 is out of range; expected 0 <= id < 5"
    ):
        model([0, 5])
    with pytest.raises(TypeError, match=name + ": token ids must be ints"):
        model([0, "a"])
    with pytest.raises(ValueError, match=r"GPT\(.*\)\.loss: got 2 input ids but 3 targets"):
        model.loss([0, 1], [1, 2, 3])
    with pytest.raises(ValueError, match="token id 7 at position 0"):
        model.loss([0], [7])
    with pytest.raises(ValueError, match="top_k must be a positive int"):
        model.generate([0], 3, top_k=0)
    with pytest.raises(ValueError, match="temperature must be a positive number"):
        model.generate([0], 3, temperature=0.0)
    with pytest.raises(ValueError, match="n must be a non-negative int"):
        model.generate([0], -1)
    with pytest.raises(ValueError, match="positional must be 'learned' or 'sinusoidal'"):
        GPT(5, 4, 1, 4, 2, positional="rotary")
    with pytest.raises(ValueError, match="n_layer must be a positive int"):
        GPT(5, 4, 0, 4, 2)


def test_gpt_trains(rng):
    """A few Adam steps on one sequence lower its loss (the model can fit)."""
    from tinygrad_edu.optim import Adam

    model = small_gpt()
    optimizer = Adam(model.parameters(), lr=0.05)
    first = model.loss(IDS, TARGETS).data
    for _ in range(15):
        loss = model.loss(IDS, TARGETS)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert model.loss(IDS, TARGETS).data < 0.5 * first
