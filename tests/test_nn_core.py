"""nn core: Module discovery (names, counts), zero_grad, state_dict with
PyTorch's names and shapes, load_state_dict that validates before it
changes anything, reprs, input checks, Neuron/Layer/MLP/Linear behaviour."""

from __future__ import annotations

import math
import random

import pytest

from tinygrad_edu import Value
from tinygrad_edu import functional as tf
from tinygrad_edu.models.gpt import GPT
from tinygrad_edu.nn import MLP, Layer, Linear, Module, Neuron, shape_of
from tinygrad_edu.optim import SGD


def numbers(model: Module) -> list[float]:
    return [p.data for p in model.parameters()]


def make_mlp(seed: int, activations="relu") -> MLP:
    random.seed(seed)
    return MLP(2, [3, 2], activations=activations)


class Block(Module):
    """Every kind of attribute a module can have."""

    def __init__(self) -> None:
        self.proj = Linear(2, 3)  # a child module
        self.heads = [Linear(3, 1), Linear(3, 1, bias=False)]  # a list of modules
        self.scale = Value(1.0)  # a scalar parameter
        self.table = [[Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]]  # a matrix
        self._cache = [Value(9.0)]  # private: skipped
        self.dropout = 0.1  # a plain number: skipped
        self.sizes = [2, 3]  # plain numbers: skipped


class Outer(Module):
    def __init__(self) -> None:
        self.block = Block()
        self.mlp = MLP(3, [2])

    def extra_repr(self) -> str:
        return "note=1"


# ------------------------------------------------------------ discovery
def test_named_parameters_use_pytorch_style_dotted_names():
    names = [name for name, _ in Outer().named_parameters()]
    assert names == [
        "block.proj.weight",
        "block.proj.bias",
        "block.heads.0.weight",
        "block.heads.0.bias",
        "block.heads.1.weight",  # bias=False: no bias entry
        "block.scale",
        "block.table",
        "mlp.layers.0.neurons.0.weight",
        "mlp.layers.0.neurons.0.bias",
        "mlp.layers.0.neurons.1.weight",
        "mlp.layers.0.neurons.1.bias",
    ]


def test_parameters_are_the_flat_scalars_in_named_order():
    model = Outer()
    params = model.parameters()
    # proj 2*3+3, heads 3+1 and 3, scale 1, table 4, mlp 2*(3+1)
    assert len(params) == 9 + 4 + 3 + 1 + 4 + 8 == model.num_parameters()
    assert all(type(p) is Value for p in params)
    assert len({id(p) for p in params}) == len(params)
    assert model.block.proj.weight[0][0] is params[0]
    assert model.block._cache[0] not in params


def test_mlp_counts_and_names():
    model = MLP(2, [16, 16, 1])
    assert model.num_parameters() == (2 + 1) * 16 + (16 + 1) * 16 + (16 + 1) * 1 == 337
    names = [name for name, _ in model.named_parameters()]
    assert names[:2] == ["layers.0.neurons.0.weight", "layers.0.neurons.0.bias"]
    assert names[-1] == "layers.2.neurons.0.bias"
    assert len(names) == 2 * (16 + 16 + 1)


def test_named_modules_and_children():
    model = Outer()
    assert [name for name, _ in model.children()] == ["block", "mlp"]
    names = [name for name, _ in model.named_modules()]
    assert names[:5] == ["", "block", "block.proj", "block.heads.0", "block.heads.1"]
    assert "mlp.layers.0.neurons.1" in names


def test_zero_grad_clears_every_parameter():
    model = make_mlp(0, activations="tanh")
    Value.sum(model([0.5, -1.0])).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


# ------------------------------------------------------------ state_dict
def test_state_dict_names_and_shapes_follow_pytorch():
    random.seed(0)
    layer = Linear(4, 3)
    state = layer.state_dict()
    assert list(state) == ["weight", "bias"]
    assert shape_of(layer.weight) == (3, 4) and len(state["weight"]) == 3 and len(state["weight"][0]) == 4
    assert len(state["bias"]) == 3
    assert state["weight"][1][2] == layer.weight[1][2].data
    assert list(Linear(4, 3, bias=False).state_dict()) == ["weight"]

    mlp_state = make_mlp(0).state_dict()
    assert list(mlp_state)[:2] == ["layers.0.neurons.0.weight", "layers.0.neurons.0.bias"]
    assert isinstance(mlp_state["layers.0.neurons.0.bias"], float)  # a scalar is a plain float
    assert len(mlp_state["layers.1.neurons.1.weight"]) == 3

    block_state = Block().state_dict()
    assert block_state["scale"] == 1.0 and block_state["table"] == [[1.0, 2.0], [3.0, 4.0]]


def test_state_dict_is_a_copy_of_plain_numbers():
    model = make_mlp(0)
    state = model.state_dict()
    state["layers.0.neurons.0.weight"][0] = 123.0
    assert model.layers[0].neurons[0].weight[0].data != 123.0


def test_load_state_dict_round_trip():
    source, target = make_mlp(0), make_mlp(1)
    assert numbers(source) != numbers(target)
    target.load_state_dict(source.state_dict())
    assert numbers(target) == numbers(source)
    x = [0.3, -0.7]
    assert [v.data for v in target(x)] == [v.data for v in source(x)]
    assert all(type(p.data) is float for p in target.parameters())


def test_load_state_dict_accepts_ints():
    layer = Linear(1, 1)
    layer.load_state_dict({"weight": [[2]], "bias": [-1]})
    assert (layer.weight[0][0].data, layer.bias[0].data) == (2.0, -1.0)


def bad_states(good: dict) -> list:
    """(description, state, error type, fragments of the message): the bad
    entry is always the LAST key, so a loader that copied as it checked
    would already have changed the earlier ones."""
    last = list(good)[-1]  # layers.1.neurons.1.bias, a scalar
    last_vector = "layers.1.neurons.1.weight"
    without_last = {k: v for k, v in good.items() if k != last}
    return [
        ("missing key", without_last, KeyError, ["missing", last]),
        ("extra key", {**good, "layers.2.weight": [1.0]}, KeyError, ["unexpected", "layers.2.weight"]),
        ("wrong shape", {**good, last_vector: [1.0, 2.0]}, ValueError, [last_vector, "(2,)", "(3,)"]),
        (
            "matrix for a vector",
            {**good, last_vector: [[1.0, 2.0, 3.0]]},
            ValueError,
            [last_vector, "(1, 3)"],
        ),
        ("string scalar", {**good, last: "x"}, ValueError, [last, "str"]),
        ("None scalar", {**good, last: None}, ValueError, [last, "NoneType"]),
        ("bool scalar", {**good, last: True}, ValueError, [last, "bool"]),
        ("strings in a vector", {**good, last_vector: ["a", "b", "c"]}, ValueError, [last_vector]),
        ("nan", {**good, last: math.nan}, ValueError, [last, "nan"]),
        ("inf in a vector", {**good, last_vector: [1.0, math.inf, 0.0]}, ValueError, [last_vector, "inf"]),
        ("not a dict", list(good.items()), TypeError, ["dict", "list"]),
    ]


@pytest.mark.parametrize("case", range(len(bad_states(make_mlp(0).state_dict()))))
def test_load_state_dict_errors_are_clear_and_change_nothing(case):
    target = make_mlp(1)
    before = numbers(target)
    good = make_mlp(0).state_dict()  # different numbers: a partial load would show
    description, state, error_type, fragments = bad_states(good)[case]
    with pytest.raises(error_type) as info:
        target.load_state_dict(state)
    message = str(info.value)
    assert "MLP.load_state_dict" in message, description
    for fragment in fragments:
        assert fragment in message, f"{description}: {fragment!r} not in {message!r}"
    assert numbers(target) == before, f"{description}: parameters changed"


# ------------------------------------------------------------ repr
def test_repr_of_nested_modules():
    assert repr(Outer()) == (
        "Outer(note=1)\n"
        "  (block): Block()\n"
        "    (proj): Linear(in_features=2, out_features=3, bias=True)\n"
        "    (heads.0): Linear(in_features=3, out_features=1, bias=True)\n"
        "    (heads.1): Linear(in_features=3, out_features=1, bias=False)\n"
        "  (mlp): MLP(3 -> 2, activations=linear)"
    )


def test_repr_of_mlp_layer_and_neuron():
    assert repr(MLP(2, [16, 16, 1])) == "MLP(2 -> 16 -> 16 -> 1, activations=relu, relu, linear)"
    assert (
        repr(MLP(3, [4, 2], activations=["tanh", "sigmoid"])) == "MLP(3 -> 4 -> 2, activations=tanh, sigmoid)"
    )
    assert repr(Layer(2, 16, "tanh")) == "Layer(2 -> 16, tanh)"
    assert repr(Neuron(3)) == "Neuron(3, relu)"


# ------------------------------------------------------------ input checks
@pytest.mark.parametrize(
    ("module", "x", "error_type", "fragments"),
    [
        (
            Linear(3, 2),
            [1.0, 2.0],
            ValueError,
            ["Linear(in_features=3, out_features=2", "length 3", "length 2"],
        ),
        (Neuron(3, "tanh"), [1.0] * 4, ValueError, ["Neuron(3, tanh)", "length 3", "length 4"]),
        (Layer(2, 5), [1.0], ValueError, ["Layer(2 -> 5, relu)", "length 2", "length 1"]),
        (MLP(2, [3, 1]), [1.0, 2.0, 3.0], ValueError, ["Layer(2 -> 3, relu)", "length 2", "length 3"]),
        (Linear(3, 2), "abc", TypeError, ["Linear(", "3", "str"]),
        (Linear(3, 2), (v for v in [1.0, 2.0, 3.0]), TypeError, ["Linear(", "generator"]),
        (Neuron(1), Value(1.0), TypeError, ["Neuron(1, relu)", "Value"]),
    ],
    ids=["linear", "neuron", "layer", "mlp", "string", "generator", "bare Value"],
)
def test_wrong_inputs_name_the_module_and_the_sizes(module, x, error_type, fragments):
    with pytest.raises(error_type) as info:
        module(x)
    for fragment in fragments:
        assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("make", "fragments"),
    [
        (lambda: Neuron(0), ["Neuron", "nin", "0"]),
        (lambda: Neuron(2, activation="gelu"), ["'gelu'", "relu"]),
        (lambda: Layer(2, 0), ["Layer", "nout", "0"]),
        (lambda: Linear(0, 2), ["Linear", "in_features", "0"]),
        (lambda: Linear(2, 1.5), ["Linear", "out_features", "1.5"]),
        (lambda: MLP(2, []), ["MLP", "nouts"]),
        (lambda: MLP(2, [3, 1], activations=["relu"]), ["MLP", "1 activations", "2 layers"]),
    ],
)
def test_bad_construction_arguments(make, fragments):
    with pytest.raises(ValueError) as info:
        make()
    for fragment in fragments:
        assert fragment in str(info.value)


# ------------------------------------------------------------ behaviour
def test_layer_linear_and_mlp_always_return_a_list():
    x = [0.5, -1.0]
    for module in (Layer(2, 1), Linear(2, 1), MLP(2, [1]), MLP(2, [4, 1])):
        out = module(x)
        assert isinstance(out, list) and len(out) == 1 and type(out[0]) is Value, module
    assert type(Neuron(2)(x)) is Value


def test_a_neuron_is_two_nodes_whatever_its_width():
    # The fused dot makes w.x + b one node, then the activation.
    neuron = Neuron(50, "tanh")
    out = neuron([0.1] * 50)
    ops = [v.op for v in out.topological_order() if v.op]
    assert ops == ["dot", "tanh"]
    assert out.parents[0].parents[-1] is neuron.bias


def float_forward(model: MLP, x: list[float]) -> list[float]:
    """The MLP recomputed with plain floats, from its state_dict."""
    state = model.state_dict()
    functions = {
        "relu": lambda z: max(z, 0.0),
        "tanh": math.tanh,
        "sigmoid": lambda z: 1 / (1 + math.exp(-z)),
        "linear": lambda z: z,
    }
    for i, layer in enumerate(model.layers):
        act = functions[layer.neurons[0].activation]
        x = [
            act(
                sum(w * v for w, v in zip(state[f"layers.{i}.neurons.{j}.weight"], x))
                + state[f"layers.{i}.neurons.{j}.bias"]
            )
            for j in range(len(layer.neurons))
        ]
    return x


@pytest.mark.parametrize("activations", [["tanh", "sigmoid", "linear"], ["sigmoid", "relu", "tanh"], "relu"])
def test_mlp_activation_per_layer(activations):
    random.seed(3)
    model = MLP(3, [4, 4, 2], activations=activations)
    expected = activations if isinstance(activations, list) else ["relu", "relu", "linear"]
    assert [layer.neurons[0].activation for layer in model.layers] == expected
    assert all(n.activation == layer.neurons[0].activation for layer in model.layers for n in layer.neurons)
    for x in ([0.3, -1.1, 0.8], [2.0, 0.5, -0.25]):
        assert [v.data for v in model(x)] == pytest.approx(float_forward(model, x), rel=1e-12)


def test_mlp_gradients_match_finite_differences_for_every_parameter_and_input():
    random.seed(5)
    model = MLP(2, [3, 2], activations=["tanh", "linear"])
    x = [Value(0.4), Value(-0.9)]

    def loss() -> Value:
        return tf.cross_entropy(model(x), 1)

    loss().backward()
    h = 1e-6
    for v in model.parameters() + x:
        original = v.data
        v.data = original + h
        plus = loss().data
        v.data = original - h
        minus = loss().data
        v.data = original
        assert v.grad == pytest.approx((plus - minus) / (2 * h), rel=1e-6, abs=1e-9)


def test_linear_computes_w_x_plus_b():
    layer = Linear(2, 2)
    layer.load_state_dict({"weight": [[1.0, 2.0], [3.0, 4.0]], "bias": [0.5, -0.5]})
    assert [v.data for v in layer([1.0, -1.0])] == [1 - 2 + 0.5, 3 - 4 - 0.5]
    no_bias = Linear(2, 1, bias=False)
    no_bias.load_state_dict({"weight": [[2.0, 3.0]]})
    assert no_bias([1.0, 1.0])[0].data == 5.0


def test_linear_init_follows_pytorch_bounds():
    random.seed(0)
    layer = Linear(16, 8)
    bound = 1 / math.sqrt(16)
    assert all(-bound <= p.data <= bound for p in layer.parameters())
    assert len({p.data for p in layer.parameters()}) == layer.num_parameters()  # not all equal


def test_layer_passes_gradients_to_value_inputs():
    layer = Layer(2, 3, "tanh")
    x = [Value(0.5), Value(-0.5)]
    Value.sum(layer(x)).backward()
    assert all(v.grad != 0.0 for v in x)


# ------------------------------------------------------------ tied parameters
def tied_gpt() -> GPT:
    """A GPT whose output layer reuses the token embedding (weight tying)."""
    random.seed(0)
    model = GPT(vocab_size=5, block_size=4, n_layer=1, n_embd=4, n_head=2, bias=False)
    model.lm_head.weight = model.wte.weight  # both (vocab_size, n_embd)
    return model


def test_a_tied_weight_is_one_parameter_stepped_once():
    model = tied_gpt()
    random.seed(0)
    untied = GPT(vocab_size=5, block_size=4, n_layer=1, n_embd=4, n_head=2, bias=False)
    assert model.num_parameters() == untied.num_parameters() - 5 * 4
    names = [name for name, _ in model.named_parameters()]
    assert "wte.weight" in names and "lm_head.weight" not in names  # the first name, as in PyTorch
    params = model.parameters()
    assert len({id(p) for p in params}) == len(params)
    weight = model.wte.weight[1][0]
    model.loss([0, 1], [1, 2]).backward()
    before, grad = weight.data, weight.grad
    assert grad != 0.0
    SGD(params, lr=0.1).step()
    assert weight.data == pytest.approx(before - 0.1 * grad, rel=1e-12)  # once, not twice


def test_shared_scalars_are_listed_once_by_parameters():
    layer = Linear(2, 2)
    layer.weight[1] = layer.weight[0]  # one row used twice: 4 names' worth of scalars, 2 of them shared
    assert layer.num_parameters() == 2 + 2
    assert len(layer.parameters()) == len({id(p) for p in layer.parameters()})


def test_a_tied_weight_keeps_both_names_in_the_state_dict_and_loads_back():
    model = tied_gpt()
    state = model.state_dict()
    assert state["lm_head.weight"] == state["wte.weight"]
    other = tied_gpt()
    for p in other.parameters():
        p.data += 1.0
    other.load_state_dict(state)
    assert numbers(other) == numbers(model)
    assert other.lm_head.weight is other.wte.weight  # still tied


def test_a_tied_weight_given_two_different_values_is_refused_and_changes_nothing():
    model = tied_gpt()
    before = numbers(model)
    state = model.state_dict()
    state["lm_head.weight"] = [[x + 1.0 for x in row] for row in state["lm_head.weight"]]
    with pytest.raises(ValueError, match=r"GPT.load_state_dict: 'lm_head.weight' and 'wte.weight'.*same"):
        model.load_state_dict(state)
    assert numbers(model) == before


def test_tied_names_match_pytorch():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Module()
    theirs.a, theirs.b = torch.nn.Linear(2, 3), torch.nn.Linear(2, 3)
    theirs.b.weight = theirs.a.weight

    class Pair(Module):
        def __init__(self) -> None:
            self.a, self.b = Linear(2, 3), Linear(2, 3)
            self.b.weight = self.a.weight

    ours = Pair()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.num_parameters() == sum(p.numel() for p in theirs.parameters())


def test_a_module_reached_twice_is_one_module():
    class Shared(Module):
        def __init__(self) -> None:
            self.first = Linear(2, 2)
            self.again = self.first

    model = Shared()
    assert model.num_parameters() == 6
    assert [name for name, _ in model.named_modules()] == ["", "first"]  # as torch's named_modules
    assert list(model.state_dict()) == ["first.weight", "first.bias", "again.weight", "again.bias"]


# ------------------------------------------------------------ parameters in any container
class Containers(Module):
    """Parameters where a learner puts them: in a dict, a mixed list, a 3-D table, ragged rows."""

    def __init__(self) -> None:
        self.heads = {"q": Linear(2, 1), "k": Linear(2, 1, bias=False)}  # like torch's ModuleDict
        self.parts = [Linear(1, 1), Value(0.5)]  # a module and a scalar side by side
        self.cube = [[[Value(i + 2 * j + 4 * k) for i in range(2)] for j in range(2)] for k in range(3)]
        self.rows = [[Value(1.0), Value(2.0)], [Value(3.0)]]  # ragged: one vector per row
        self.settings = {"scale": 2.0, "names": ["a", "b"]}  # plain data: never parameters


def test_parameters_in_dicts_mixed_lists_and_nested_tables_are_found():
    model = Containers()
    shapes = {name: shape_of(t) for name, t in model.named_parameters()}
    assert shapes == {
        "heads.q.weight": (1, 2),
        "heads.q.bias": (1,),
        "heads.k.weight": (1, 2),
        "parts.0.weight": (1, 1),
        "parts.0.bias": (1,),
        "parts.1": (),
        "cube": (3, 2, 2),
        "rows.0": (2,),
        "rows.1": (1,),
    }
    assert model.num_parameters() == 3 + 2 + 2 + 1 + 12 + 3
    assert [name for name, _ in model.children()] == ["heads.q", "heads.k", "parts.0"]
    assert model.state_dict()["cube"][2][1] == [8.0 + 2, 8.0 + 3]


def test_parameters_in_containers_load_back():
    source, target = Containers(), Containers()
    for k, p in enumerate(target.parameters()):
        p.data = -1.0 - k
    target.load_state_dict(source.state_dict())
    assert numbers(target) == numbers(source)


@pytest.mark.parametrize(
    ("value", "fragments"),
    [
        ([Value(1.0), 2.0], ["Holder", "'weights'", "item 1", "2.0", "only Values"]),
        ([[Value(1.0), Value(2.0)], [Value(3.0), 4]], ["'weights.1'", "item 1", "4"]),
        ({1: Linear(1, 1)}, ["'weights'", "key 1", "str"]),
        ({"a.b": Value(1.0)}, ["'weights'", "'a.b'", "'.'"]),
        ({Value(1.0)}, ["'weights'", "set", "list"]),
    ],
    ids=["value and number", "number in a matrix", "int key", "dotted key", "set"],
)
def test_a_container_that_hides_parameters_is_refused_naming_the_attribute(value, fragments):
    class Holder(Module):
        def __init__(self) -> None:
            self.weights = value

    model = Holder()
    for call in (model.parameters, model.state_dict, model.named_modules):
        with pytest.raises(TypeError) as info:
            list(call())
        for fragment in fragments:
            assert fragment in str(info.value), (call, fragment, str(info.value))


def test_a_module_that_refers_back_to_its_parent_is_refused():
    outer = MLP(1, [1])
    outer.layers[0].owner = outer  # a cycle: the walk would never end
    with pytest.raises(ValueError, match=r"Layer: attribute 'owner' leads back to an enclosing module"):
        outer.parameters()
    outer = Outer()
    outer.block.proj.up = outer
    assert "(up): ... (a module already being printed)" in repr(outer)  # not a RecursionError


def test_an_mlp_returns_a_list_and_backward_on_it_says_to_take_an_entry():
    """model(x).backward() is the first habit a micrograd user brings."""
    random.seed(0)
    model = MLP(2, [4, 1])
    out = model([0.5, -1.0])
    assert isinstance(out, list) and len(out) == 1 and out == [out[0]]
    with pytest.raises(
        AttributeError, match=r"MLP returns a list of 1 output Value: .*model\(x\)\[0\]\.backward\(\)"
    ):
        out.backward()
    with pytest.raises(AttributeError, match=r"model\(x\)\[0\]\.data"):
        out.data  # noqa: B018
    with pytest.raises(AttributeError, match="'list' object has no attribute 'nonsense'"):
        out.nonsense  # noqa: B018
    out[0].backward()  # the entry is the Value
    assert any(p.grad != 0.0 for p in model.parameters())


def test_linear_takes_a_batch_of_any_sequences_as_pytorch_does():
    import array

    random.seed(2)
    layer = Linear(2, 3)
    vectors = [[0.5, -1.0], (2.0, 0.25), array.array("d", [1.0, 1.0])]
    each = [[y.data for y in layer(x)] for x in vectors]
    batch = layer(vectors)  # (3, 2) -> (3, 3)
    assert [[y.data for y in row] for row in batch] == each
    assert len(layer([0.5, -1.0])) == 3  # one vector is still one vector
    assert [y.data for y in layer(array.array("d", [0.5, -1.0]))] == each[0]
