"""The bridge's twins against torch.nn's own layers: the same weights in
nn.TransformerEncoderLayer, nn.GRU, nn.Conv2d, ... give the same outputs and
gradients (float64, 1e-10), padding masks included. With the bridge's own
tests (ours == twin), this ties ours to PyTorch's layers through one set of
twins."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from tinygrad_edu.torch_bridge import modules as twins  # noqa: E402

F64 = torch.float64
TOL = 1e-10


@pytest.fixture(autouse=True)
def seeded():
    torch.manual_seed(0)


def rand(*shape) -> torch.Tensor:
    return torch.randn(*shape, dtype=F64, requires_grad=True)


def attention_state(twin_mha, prefix: str = "") -> dict[str, torch.Tensor]:
    """A twin MultiHeadAttention's weights under nn.MultiheadAttention's names
    (the heads' q, k, v stacked into in_proj, proj as out_proj)."""

    def stacked(part: str, what: str):
        tensors = [getattr(getattr(head, part), what) for head in twin_mha.heads]
        return None if tensors[0] is None else torch.cat(tensors)

    state = {
        f"{prefix}in_proj_weight": torch.cat([stacked(p, "weight") for p in ("query", "key", "value")]),
        f"{prefix}out_proj.weight": twin_mha.proj.weight,
    }
    if twin_mha.proj.bias is not None:
        state[f"{prefix}in_proj_bias"] = torch.cat([stacked(p, "bias") for p in ("query", "key", "value")])
        state[f"{prefix}out_proj.bias"] = twin_mha.proj.bias
    return state


def block_state(twin, decoder: bool = False) -> dict[str, torch.Tensor]:
    """A twin block's weights under nn.TransformerEncoderLayer's (or DecoderLayer's) names."""
    state = attention_state(twin.attn, "self_attn.")
    if decoder:
        state |= attention_state(twin.cross_attn, "multihead_attn.")
    state |= {
        "linear1.weight": twin.mlp.fc.weight,
        "linear1.bias": twin.mlp.fc.bias,
        "linear2.weight": twin.mlp.proj.weight,
        "linear2.bias": twin.mlp.proj.bias,
    }
    n = 3 if decoder else 2
    norms = (
        [getattr(twin, f"ln_{i}") for i in range(1, n + 1)]
        if twin.norm_first
        else [getattr(twin, f"addnorm_{i}").norm for i in range(1, n + 1)]
    )
    for i, norm in enumerate(norms, start=1):
        state[f"norm{i}.weight"], state[f"norm{i}.bias"] = norm.weight, norm.bias
    return state


def load(reference: torch.nn.Module, state: dict[str, torch.Tensor]) -> None:
    reference.load_state_dict({k: v.detach().clone() for k, v in state.items()}, strict=True)


def randomize(module: torch.nn.Module) -> torch.nn.Module:
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(-1.0, 1.0)
    return module


def check(twin_out, ref_out, inputs, twin_params: dict, ref_params: dict) -> None:
    """Outputs equal; then after the same weighted loss, input and parameter
    gradients equal (`twin_params` maps a name to a twin tensor, computed
    from the twin's grads the same way as the reference's names)."""
    assert torch.allclose(twin_out, ref_out, atol=TOL, rtol=0)
    weights = torch.linspace(-1.0, 1.0, twin_out.numel(), dtype=F64).view_as(twin_out)
    grads_twin = torch.autograd.grad((twin_out * weights).sum(), inputs + list(twin_params["leaves"]))
    grads_ref = torch.autograd.grad((ref_out * weights).sum(), inputs + list(ref_params["leaves"]))
    for a, b in zip(grads_twin, grads_ref):
        assert torch.allclose(a, b, atol=TOL, rtol=0)


# ----------------------------------------------------------------- norms
def test_layernorm_and_rmsnorm_twins_are_torchs():
    x = rand(3, 5)
    for twin, ref in (
        (twins.LayerNorm(5), torch.nn.LayerNorm(5)),
        (twins.LayerNorm(5, bias=False), torch.nn.LayerNorm(5, bias=False)),
        (twins.RMSNorm(5), torch.nn.RMSNorm(5, eps=1e-5)),
    ):
        twin, ref = randomize(twin.double()), ref.double()
        load(ref, twin.state_dict())
        out, out_ref = twin(x), ref(x)
        assert torch.allclose(out, out_ref, atol=TOL, rtol=0)
        g = torch.autograd.grad((out * out_ref.detach()).sum(), [x, twin.weight])
        g_ref = torch.autograd.grad((out_ref * out_ref.detach()).sum(), [x, ref.weight])
        assert all(torch.allclose(a, b, atol=TOL, rtol=0) for a, b in zip(g, g_ref))


# ------------------------------------------------------------- attention
@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_multi_head_attention_twin_is_torchs_with_padding(causal, bias):
    B, T, d, n_head = 2, 5, 6, 3
    twin = randomize(twins.MultiHeadAttention(d, n_head, causal=causal, bias=bias).double())
    ref = torch.nn.MultiheadAttention(d, n_head, bias=bias, batch_first=True, dtype=F64)
    load(ref, attention_state(twin))
    x = rand(B, T, d)
    real = torch.tensor([[True] * T, [True] * 3 + [False] * 2])
    out = twin(x, padding_mask=real)
    mask = torch.ones(T, T, dtype=torch.bool).triu(1) if causal else None  # torch's: True = not allowed
    ref_out, ref_weights = ref(
        x, x, x, attn_mask=mask, key_padding_mask=~real, need_weights=True, average_attn_weights=False
    )
    assert torch.allclose(twin.last_attention, ref_weights, atol=TOL, rtol=0)  # (B, n_head, T, T)
    check(out, ref_out, [x], {"leaves": [twin.proj.weight]}, {"leaves": [ref.out_proj.weight]})


def test_cross_attention_of_the_multi_head_twin_is_torchs():
    twin = randomize(twins.MultiHeadAttention(4, 2, bias=True).double())
    ref = torch.nn.MultiheadAttention(4, 2, batch_first=True, dtype=F64)
    load(ref, attention_state(twin))
    x, memory = rand(2, 3, 4), rand(2, 6, 4)
    ref_out, _ = ref(x, memory, memory, need_weights=False)
    check(twin(x, memory), ref_out, [x, memory], {"leaves": []}, {"leaves": []})


# ------------------------------------------------------------ transformer
@pytest.mark.parametrize("norm_first", [True, False])
@pytest.mark.parametrize("causal", [True, False])
def test_transformer_block_twin_is_torchs_encoder_layer(norm_first, causal):
    B, T, d = 2, 4, 6
    twin = randomize(twins.TransformerBlock(d, 2, d_ff=8, causal=causal, norm_first=norm_first).double())
    ref = torch.nn.TransformerEncoderLayer(
        d, 2, dim_feedforward=8, dropout=0.0, batch_first=True, norm_first=norm_first, dtype=F64
    )
    load(ref, block_state(twin))
    x = rand(B, T, d)
    real = torch.tensor([[True] * T, [True, True, True, False]])
    mask = torch.ones(T, T, dtype=torch.bool).triu(1) if causal else None  # True = may not look, as ~real
    ref_out = ref(x, src_mask=mask, src_key_padding_mask=~real, is_causal=causal)
    out = twin(x, real)
    keep = real[..., None]  # torch leaves a padding position's output to chance (its fast path zeroes it)
    check(
        out * keep,
        ref_out * keep,
        [x],
        {"leaves": [twin.mlp.fc.weight, twin.attn.proj.weight]},
        {"leaves": [ref.linear1.weight, ref.self_attn.out_proj.weight]},
    )


@pytest.mark.parametrize("norm_first", [True, False])
def test_decoder_block_twin_is_torchs_decoder_layer(norm_first):
    B, T, S, d = 2, 3, 5, 4
    twin = randomize(twins.TransformerDecoderBlock(d, 2, d_ff=6, norm_first=norm_first).double())
    ref = torch.nn.TransformerDecoderLayer(
        d, 2, dim_feedforward=6, dropout=0.0, batch_first=True, norm_first=norm_first, dtype=F64
    )
    load(ref, block_state(twin, decoder=True))
    x, memory = rand(B, T, d), rand(B, S, d)
    real = torch.tensor([[True] * S, [True, True, False, False, False]])
    mask = torch.nn.Transformer.generate_square_subsequent_mask(T, dtype=F64)
    ref_out = ref(x, memory, tgt_mask=mask, tgt_is_causal=True, memory_key_padding_mask=~real)
    check(
        twin(x, memory, real),
        ref_out,
        [x, memory],
        {"leaves": [twin.cross_attn.proj.weight]},
        {"leaves": [ref.multihead_attn.out_proj.weight]},
    )


# -------------------------------------------------------------- recurrent
@pytest.mark.parametrize(
    "name,kwargs", [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("GRU", {}), ("LSTM", {})]
)
def test_recurrent_twins_are_torchs_cells_and_sequence_layers(name, kwargs):
    twin = randomize(getattr(twins, f"{name}Cell")(3, 4, **kwargs).double())
    cell = getattr(torch.nn, f"{name}Cell")(3, 4, **kwargs, dtype=F64)
    layer = getattr(torch.nn, name)(3, 4, batch_first=True, **kwargs, dtype=F64)
    load(cell, twin.state_dict())
    load(layer, {f"{k}_l0": v for k, v in twin.state_dict().items()})
    xs = rand(2, 5, 3)
    outputs, _ = twins.run_sequence(twin, xs)
    ref_outputs, _ = layer(xs)
    leaves = {"leaves": [twin.weight_hh]}
    check(outputs, ref_outputs, [xs], leaves, {"leaves": [layer.weight_hh_l0]})
    one, ref_one = twin(xs[:, 0]), cell(xs[:, 0])
    check(
        one[0] if name == "LSTM" else one,
        ref_one[0] if name == "LSTM" else ref_one,
        [xs],
        leaves,
        {"leaves": [cell.weight_hh]},
    )


# ----------------------------------------------------------- convolution
@pytest.mark.parametrize("k,s,p", [((3, 3), (1, 1), (1, 1)), ((3, 2), (2, 1), (0, 2))])
def test_conv_twins_are_torchs(k, s, p):
    twin = twins.Conv2d(2, 3, k, s, p).double()
    ref = torch.nn.Conv2d(2, 3, k, s, p, dtype=F64)
    load(ref, twin.state_dict())
    x = rand(2, 2, 6, 5)
    check(twin(x), ref(x), [x], {"leaves": [twin.weight, twin.bias]}, {"leaves": [ref.weight, ref.bias]})

    twin1 = twins.Conv1d(2, 3, k[1:], s[1:], p[1:], bias=False).double()
    ref1 = torch.nn.Conv1d(2, 3, k[1], s[1], p[1], bias=False, dtype=F64)
    load(ref1, twin1.state_dict())
    x1 = rand(2, 2, 7)
    check(twin1(x1), ref1(x1), [x1], {"leaves": [twin1.weight]}, {"leaves": [ref1.weight]})


def test_pooling_twins_are_torchs():
    x = rand(2, 3, 6, 5)
    for twin, ref in (
        (twins.MaxPool2d((2, 2)), torch.nn.MaxPool2d(2)),
        (twins.MaxPool2d((3, 2), (1, 2)), torch.nn.MaxPool2d((3, 2), (1, 2))),
        (twins.AvgPool2d((2, 3)), torch.nn.AvgPool2d((2, 3))),
        (twins.Flatten(), torch.nn.Flatten()),
        (twins.Collapse("mean"), torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())),
        (twins.Collapse("max"), torch.nn.Sequential(torch.nn.AdaptiveMaxPool2d(1), torch.nn.Flatten())),
    ):
        check(twin(x), ref(x), [x], {"leaves": []}, {"leaves": []})
    x1 = rand(2, 3, 9)
    check(twins.MaxPool1d(3, 2)(x1), torch.nn.MaxPool1d(3, 2)(x1), [x1], {"leaves": []}, {"leaves": []})
