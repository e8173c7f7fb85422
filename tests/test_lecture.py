"""tinygrad_edu.lecture: each block gives the numbers of the module it wraps
(to the bit, outputs and gradients), the lecture's formulas against hand
computations, the GPT as a LanguageModel composition, and the errors of a
composition that cannot work."""

from __future__ import annotations

import math
import random

import pytest
from block_checks import finite_difference_check, random_map, random_sequence, weighted_loss

from tinygrad_edu import Value, nn
from tinygrad_edu.lecture import (
    BERT,
    LSTM,
    AddNorm,
    Attention,
    Collapse,
    Conv,
    EmbedToken,
    FeedForward,
    GenerateToken,
    LanguageModel,
    MaxPool,
    NormAdd,
    SequenceRNN,
    SequenceToSequence,
    SimpleRNN,
    Stack,
    TransformerBlock,
)
from tinygrad_edu.models.bert import BERT as ModelBERT
from tinygrad_edu.models.gpt import GPT
from tinygrad_edu.nn.module import flatten


# ------------------------------------------------------------------ helpers
def copy_weights(source: nn.Module, target: nn.Module) -> None:
    """Give `target` the numbers of `source`, tensor by tensor in order (the
    two name their tensors differently; the shapes must agree one by one)."""
    ours = list(source.named_parameters())
    theirs = list(target.named_parameters())
    assert len(ours) == len(theirs), ([n for n, _ in ours], [n for n, _ in theirs])
    for (name_a, a), (name_b, b) in zip(ours, theirs):
        assert nn.shape_of(a) == nn.shape_of(b), (name_a, name_b)
        for x, y in zip(flatten(a), flatten(b)):
            y.data = x.data


def assert_same_bits(lecture_block, module, run_lecture, run_module, make_input) -> None:
    """The same weights, the same input numbers: the same outputs, the same
    gradients of every parameter and every input, to the bit."""
    copy_weights(module, lecture_block)
    rng = random.Random(1)
    input_a = make_input(rng)
    rng = random.Random(1)
    input_b = make_input(rng)
    out_a, out_b = run_lecture(input_a), run_module(input_b)
    assert [v.data for v in flatten(out_a)] == [v.data for v in flatten(out_b)]
    weighted_loss(out_a).backward()
    weighted_loss(out_b).backward()
    assert [p.grad for p in lecture_block.parameters()] == [p.grad for p in module.parameters()]
    assert [v.grad for v in flatten(input_a)] == [v.grad for v in flatten(input_b)]
    assert any(p.grad for p in module.parameters())  # the check saw gradients, not zeros


def vector(rng, d: int) -> list[Value]:
    return random_sequence(1, d, rng)[0]


# ------------------------------------------------- each block = its module
def test_embed_token_is_embedding_plus_positions():
    random.seed(0)
    block, table, positions = EmbedToken(7, 4, positions=5), nn.Embedding(7, 4), nn.PositionalEmbedding(5, 4)
    pair = nn.Module()
    pair.table, pair.positions = table, positions
    copy_weights(pair, block)
    ids = [3, 0, 3, 6]
    assert [[v.data for v in x] for x in block(ids)] == [[v.data for v in x] for x in positions(table(ids))]
    plain = EmbedToken(7, 4)
    assert plain(3) is plain.table.weight[3]  # one token: its row, the parameters themselves
    assert plain([3, 3])[1] is plain.table.weight[3]


@pytest.mark.parametrize("shape", ["vector", "sequence"])
def test_feed_forward_is_nn_feed_forward(shape):
    random.seed(0)
    block, module = FeedForward(4, 6), nn.FeedForward(4, 6)
    if shape == "vector":
        assert_same_bits(block, module, block, lambda x: module([x])[0], lambda rng: vector(rng, 4))
    else:
        assert_same_bits(block, module, block, module, lambda rng: random_sequence(3, 4, rng))


def test_conv_and_max_pool_are_conv2d_and_max_pool2d():
    random.seed(0)
    block, module = Conv(2, 3, size=3), nn.Conv2d(2, 3, 3, padding=1)
    assert_same_bits(block, module, block, module, lambda rng: random_map(2, 5, 5, rng))
    pool = MaxPool(2)
    image = random_map(2, 4, 4, random.Random(0))
    assert [v.data for v in flatten(pool(image))] == [v.data for v in flatten(nn.MaxPool2d(2)(image))]


def test_simple_rnn_and_lstm_are_rnn_cell_and_lstm_cell():
    random.seed(0)
    rnn, cell = SimpleRNN(3), nn.RNNCell(3, 3)
    h0 = [0.1, -0.2, 0.3]
    assert_same_bits(rnn, cell, lambda x: rnn(h0, x), lambda x: cell(x, h0), lambda rng: vector(rng, 3))
    lstm, lstm_cell = LSTM(3, input_dim=2), nn.LSTMCell(2, 3)
    state = ([0.1, -0.2, 0.3], [0.0, 0.5, -0.5])
    assert_same_bits(
        lstm, lstm_cell, lambda x: lstm(state, x), lambda x: lstm_cell(x, state), lambda rng: vector(rng, 2)
    )


@pytest.mark.parametrize("kind", ["simple", "lstm"])
def test_sequence_rnn_is_run_sequence(kind):
    random.seed(0)
    block = SequenceRNN(SimpleRNN(3) if kind == "simple" else LSTM(3))
    cell = nn.RNNCell(3, 3) if kind == "simple" else nn.LSTMCell(3, 3)
    assert_same_bits(
        block, cell, block, lambda xs: nn.run_sequence(cell, xs)[0], lambda rng: random_sequence(4, 3, rng)
    )


def test_attention_is_multi_head_attention_both_ways():
    random.seed(0)
    block, module = Attention(4, heads=2), nn.MultiHeadAttention(4, 2, bias=True)
    assert_same_bits(block, module, block, module, lambda rng: random_sequence(3, 4, rng))
    memory = random_sequence(5, 4, random.Random(7))
    assert_same_bits(
        block,
        module,
        lambda y: block(y, memory),
        lambda y: module([y], memory=memory)[0],
        lambda rng: vector(rng, 4),
    )
    queries = random_sequence(2, 4, random.Random(3))
    assert [v.data for v in flatten(block(queries, memory))] == [
        v.data for q in queries for v in block(q, memory)
    ]  # a sequence of queries: each as if alone


def test_add_norm_is_nn_add_norm_of_the_block_and_its_output():
    random.seed(0)
    f = Attention(4, causal=True)
    block = AddNorm(f)
    module = nn.Module()
    module.f, module.add_norm = nn.MultiHeadAttention(4, 1, causal=True, bias=True), nn.AddNorm(4)
    assert_same_bits(
        block,
        module,
        block,
        lambda xs: module.add_norm(xs, module.f(xs)),
        lambda rng: random_sequence(3, 4, rng),
    )


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_block_is_nn_transformer_block(norm_first):
    """Post-norm: the lecture's AddNorm(FeedForward)(AddNorm(Attention)(x)) is
    nn.TransformerBlock(norm_first=False); pre-norm (NormAdd) is its default."""
    random.seed(0)
    block = TransformerBlock(8, hidden=12, heads=2, causal=True, norm_first=norm_first)
    module = nn.TransformerBlock(8, 2, 12, causal=True, norm_first=norm_first)
    assert_same_bits(block, module, block, module, lambda rng: random_sequence(4, 8, rng))


def test_bert_is_models_bert_encoder():
    random.seed(0)
    ours = BERT(vocab=11, dim=8, layers=2, heads=2, max_len=6, norm_first=True, final_norm="layernorm")
    theirs = ModelBERT(11, max_len=6, n_layer=2, d_model=8, n_head=2)
    encoder = nn.Module()  # theirs without the masked-LM head
    encoder.wte, encoder.wpe, encoder.blocks, encoder.ln_f = (
        theirs.wte,
        theirs.wpe,
        theirs.blocks,
        theirs.ln_f,
    )
    copy_weights(encoder, ours)
    ids = [1, 5, 3, 9, 2]
    assert [v.data for v in flatten(ours(ids))] == [v.data for v in flatten(theirs.encode(ids))]


# ------------------------------------------- the formulas, by hand
def layer_norm(xs: list[float]) -> list[float]:
    mean = sum(xs) / len(xs)
    var = sum((x - mean) ** 2 for x in xs) / len(xs)
    return [(x - mean) / math.sqrt(var + 1e-5) for x in xs]


def test_add_norm_is_layer_norm_of_x_plus_f_of_x():
    random.seed(0)
    f = FeedForward(4, 5)
    x = [0.3, -1.2, 0.8, 2.0]
    fx = [v.data for v in f(x)]
    expected = layer_norm([a + b for a, b in zip(x, fx)])
    assert [v.data for v in AddNorm(f)(x)] == pytest.approx(expected, abs=1e-12)
    normed = layer_norm(x)
    pre = [a + b.data for a, b in zip(x, f(normed))]
    assert [v.data for v in NormAdd(f)(x)] == pytest.approx(pre, abs=1e-12)


def test_generate_token_is_softmax_of_x_dot_the_shared_table():
    random.seed(0)
    embed = EmbedToken(5, 3)
    generate = GenerateToken(embed)
    x = [0.4, -1.0, 0.7]
    scores = [sum(a * e.data for a, e in zip(x, row)) for row in embed.table.weight]
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    assert [p.data for p in generate(x)] == pytest.approx([e / sum(exps) for e in exps], abs=1e-12)
    assert generate.loss(x, 2).data == pytest.approx(-math.log(exps[2] / sum(exps)), abs=1e-12)
    assert generate.weight is embed.table.weight  # the same table, not a copy
    draws = [generate.sample(x, random.Random(seed)) for seed in range(200)]
    best = max(range(5), key=scores.__getitem__)
    assert draws.count(best) > 200 * max(exps) / sum(exps) * 0.7  # it samples from p


def test_an_untied_generate_token_is_softmax_of_a_linear_layer():
    random.seed(0)
    block, module = GenerateToken(4, 6), nn.Linear(4, 6)
    assert_same_bits(block, module, block, lambda x: nn_softmax(module(x)), lambda rng: vector(rng, 4))
    assert block.tied_to is None and block.num_parameters() == 4 * 6 + 6


def test_language_model_loss_is_the_mean_over_prefixes():
    """loss() runs the sequence model once; it must equal calling the model on
    every prefix (what the formula says), because the sequence model is causal."""
    random.seed(0)
    for sequence_model, positions in (
        (SequenceRNN(LSTM(6)), None),
        (Stack([TransformerBlock(6, heads=2, causal=True) for _ in range(2)]), 8),
    ):
        model = LanguageModel(EmbedToken(9, 6, positions=positions), sequence_model)
        ids = [0, 4, 2, 2, 7, 0]
        by_prefix = [-math.log(model(ids[: t + 1])[ids[t + 1]].data) for t in range(len(ids) - 1)]
        assert model.loss(ids).data == pytest.approx(sum(by_prefix) / len(by_prefix), abs=1e-12)


def test_the_gpt_is_this_composition():
    """EmbedToken with positions, pre-norm TransformerBlocks with a final
    norm, Collapse(last) and an untied GenerateToken, given the weights of the
    GPT demo's model (demos.gpt.make_model's settings), give its next-token
    distribution."""
    random.seed(0)
    vocab = 27
    gpt = GPT(vocab, block_size=16, n_layer=1, n_embd=16, n_head=4, norm="rmsnorm", bias=False)
    model = LanguageModel(
        EmbedToken(vocab, 16, positions=16),
        Stack(
            [TransformerBlock(16, heads=4, causal=True, norm_first=True, norm="rmsnorm", bias=False)],
            final_norm="rmsnorm",
        ),
        GenerateToken(16, vocab, bias=False),
    )
    copy_weights(gpt, model)
    assert model.num_parameters() == gpt.num_parameters()
    for ids in ([0], [0, 5, 13, 13, 1], [0, 20, 8, 15, 13, 1, 19, 0, 3, 9, 11, 2, 1, 5, 18, 7]):
        theirs = [p.data for p in nn_softmax(gpt(ids)[-1])]
        ours = [p.data for p in model(ids)]
        assert ours == pytest.approx(theirs, abs=1e-12, rel=0)
    assert "Stack" in repr(model) and model.formula() == (
        "GenerateToken(Collapse(RMSNorm(NormAdd(FeedForward)(NormAdd(Attention)(EmbedToken(x))))))"
    )


def nn_softmax(logits):
    from tinygrad_edu.functional import softmax

    return softmax(logits)


# ------------------------------------------- parameters and state_dict
def test_a_tied_table_is_counted_once_and_state_dict_round_trips(tmp_path):
    random.seed(0)
    model = LanguageModel(EmbedToken(10, 4), SequenceRNN(LSTM(4)))
    table = 10 * 4
    lstm = 4 * 4 * 4 * 2 + 2 * 16
    assert model.num_parameters() == table + lstm  # GenerateToken's table is the embedding's
    state = model.state_dict()
    assert state["generate_token.weight"] == state["embed_token.table.weight"]  # both names, as torch
    random.seed(1)
    other = LanguageModel(EmbedToken(10, 4), SequenceRNN(LSTM(4)))
    ids = [0, 3, 5]
    assert [p.data for p in other(ids)] != [p.data for p in model(ids)]
    other.load_state_dict(state)
    assert [p.data for p in other(ids)] == [p.data for p in model(ids)]
    model.save(tmp_path / "lm.json")
    random.seed(2)
    third = LanguageModel(EmbedToken(10, 4), SequenceRNN(LSTM(4)))
    third.load(tmp_path / "lm.json")
    assert third.state_dict() == state


def test_sequence_to_sequence_parameters_count_its_blocks_once():
    random.seed(0)
    model = SequenceToSequence(6, 7, dim=4)
    blocks = [model.embed_source, model.encoder, model.embed_target, model.decoder, model.attention]
    assert model.num_parameters() == sum(b.num_parameters() for b in blocks)


# ------------------------------------------------------------ gradients
def test_composed_models_gradients_match_finite_differences():
    random.seed(0)
    lm = LanguageModel(EmbedToken(5, 3, positions=4), TransformerBlock(3, causal=True))
    finite_difference_check(lambda: lm.loss([0, 2, 4, 1]), lm.parameters()[::7])
    seq2seq = SequenceToSequence(5, 6, dim=3, encoder=SequenceRNN(SimpleRNN(3)))
    finite_difference_check(lambda: seq2seq.loss([2, 3], [4, 5, 2]), seq2seq.parameters()[::5])


def test_language_model_generates_from_its_distribution():
    random.seed(0)
    model = LanguageModel(EmbedToken(6, 4), SequenceRNN(SimpleRNN(4)))
    out = model.generate([0], 5, seed=3)
    assert out[0] == 0 and len(out) == 6 and all(0 <= t < 6 for t in out)
    assert model.generate([0], 5, seed=3) == out  # seeded
    stopped = model.generate([0], 50, seed=3, stop=out[1])
    assert stopped == out[:2]


def test_sequence_to_sequence_memorises_a_pair():
    random.seed(0)
    from tinygrad_edu.optim import Adam

    model = SequenceToSequence(5, 6, dim=8)
    optimizer = Adam(model.parameters(), lr=0.05)
    for _ in range(40):
        loss = model.loss([2, 3, 4], [5, 3, 4])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.data < 0.1
    assert model.translate([2, 3, 4]) == [5, 3, 4]


# ------------------------------------------------------------------ repr
def test_repr_prints_the_composition():
    random.seed(0)
    model = LanguageModel(EmbedToken(27, 16), SequenceRNN(LSTM(16)))
    lines = repr(model).splitlines()
    assert lines[0] == "LanguageModel(x) = GenerateToken(Collapse(SequenceRNN(EmbedToken(x))))"
    assert [line.strip() for line in lines[1:]] == [
        "EmbedToken(27, 16)",
        "SequenceRNN(LSTM(16))",
        "Collapse(mode='last')",
        "GenerateToken(EmbedToken(27, 16))",
    ]
    assert repr(Stack([TransformerBlock(8) for _ in range(3)])) == (
        "Stack(TransformerBlock(8, hidden=32, heads=1) x 3)"
    )
    assert repr(BERT(10, 8, 2)).startswith("BERT(vocab=10, dim=8, layers=2)")
    assert repr(SequenceToSequence(5, 6, 4)).splitlines()[0] == (
        "SequenceToSequence(x, y_<t) = GenerateToken(h_t + Attention(h_t, SequenceRNN(EmbedToken(x))))"
    )


# ---------------------------------------------------------------- errors
CALL_ERRORS = [
    (
        lambda: SequenceRNN(LSTM(16))([0.0] * 16),
        TypeError,
        "SequenceRNN(LSTM(16)): expected a sequence (T, 16), got a vector (16,); wrap one vector as [x]",
    ),
    (
        lambda: SequenceRNN(LSTM(16))([[0.0] * 8] * 3),
        ValueError,
        "SequenceRNN(LSTM(16)): expected a sequence (T, 16), got a sequence (3, 8)",
    ),
    (
        lambda: TransformerBlock(8)([0.0] * 8),
        TypeError,
        "TransformerBlock(8, hidden=32, heads=1): expected a sequence (T, 8), got a vector (8,)",
    ),
    (
        lambda: Attention(4)([[0.0] * 4] * 2, [[0.0] * 3] * 2),
        ValueError,
        "Attention(4): expected a sequence (T, 4), got a sequence (2, 3)",
    ),
    (
        lambda: GenerateToken(EmbedToken(5, 4))([[0.0] * 4] * 3),
        TypeError,
        "GenerateToken(EmbedToken(5, 4)): expected a vector (4,), got a sequence (3, 4); Collapse a sequence",
    ),
    (
        lambda: FeedForward(4)([0.0] * 3),
        ValueError,
        "FeedForward(4, 16): expected a vector (4,), got a vector (3,)",
    ),
    (
        lambda: Conv(1, 2)([0.0] * 64),
        TypeError,
        "Conv(1, 2, size=3): expected an image [C=1][H][W], got a vector (64,)",
    ),
    (
        lambda: Attention(4, causal=True)([0.0] * 4, [[0.0] * 4] * 2),
        ValueError,
        "Attention(4, causal=True): attention(y, xs), one query against xs, needs causal=False",
    ),
]


@pytest.mark.parametrize("call, error, message", CALL_ERRORS, ids=[m[:30] for _, _, m in CALL_ERRORS])
def test_a_block_given_the_wrong_shape_names_itself_and_both_shapes(call, error, message):
    random.seed(0)
    with pytest.raises(error) as info:
        call()
    assert str(info.value).startswith(message)


BUILD_ERRORS = [
    (
        lambda: LanguageModel(EmbedToken(27, 16), SequenceRNN(LSTM(8))),
        ValueError,
        "LanguageModel: SequenceRNN(LSTM(8)) reads vectors of width 8, but EmbedToken(27, 16) gives vectors of width 16",
    ),
    (
        lambda: LanguageModel(EmbedToken(27, 16), SequenceRNN(LSTM(8, input_dim=16)), GenerateToken(16, 27)),
        ValueError,
        "LanguageModel: GenerateToken(16, 27) reads vectors of width 16, but SequenceRNN(LSTM(8, input_dim=16)) gives vectors of width 8",
    ),
    (
        lambda: LanguageModel(EmbedToken(27, 16), TransformerBlock(16)),
        ValueError,
        "LanguageModel: TransformerBlock(16, hidden=64, heads=1) lets a position read the tokens after it",
    ),
    (
        lambda: LanguageModel(EmbedToken(27, 16), FeedForward(16)),
        TypeError,
        "LanguageModel: the sequence model must map a sequence to a sequence",
    ),
    (
        lambda: Stack([TransformerBlock(8), TransformerBlock(16)]),
        ValueError,
        "Stack: TransformerBlock(16, hidden=64, heads=1) reads vectors of width 16, but TransformerBlock(8, hidden=32, heads=1) gives vectors of width 8",
    ),
    (
        lambda: AddNorm(SequenceRNN(LSTM(8, input_dim=4))),
        ValueError,
        "AddNorm: x + f(x) needs f to give the width it reads",
    ),
    (
        lambda: SequenceRNN(FeedForward(4)),
        TypeError,
        "SequenceRNN: expected a SimpleRNN or an LSTM cell",
    ),
    (
        lambda: LanguageModel(EmbedToken(27, 16), SequenceRNN(LSTM(16)), GenerateToken(16, 30)),
        ValueError,
        "LanguageModel: GenerateToken(16, 30) scores 30 tokens, but EmbedToken(27, 16) reads 27",
    ),
]


@pytest.mark.parametrize("build, error, message", BUILD_ERRORS, ids=[m[:40] for _, _, m in BUILD_ERRORS])
def test_a_composition_that_cannot_work_fails_when_built(build, error, message):
    random.seed(0)
    with pytest.raises(error) as info:
        build()
    assert str(info.value).startswith(message)


def test_collapse_is_nn_collapse_itself():
    assert Collapse is nn.Collapse
