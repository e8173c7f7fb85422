"""The torch bridge: every family against its twin (outputs, loss, every
gradient, to 1e-10 in float64), the state_dict round trip, the refusals, and
the twins themselves against torch.nn's own layers."""

from __future__ import annotations

import contextlib
import io
import random
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from tinygrad_edu import nn  # noqa: E402
from tinygrad_edu.models.bert import BERT, IGNORE, BERTClassifier  # noqa: E402
from tinygrad_edu.models.digits import DigitCNN  # noqa: E402
from tinygrad_edu.models.gpt import GPT  # noqa: E402
from tinygrad_edu.models.parser import Parser, Vocabulary, training_examples  # noqa: E402
from tinygrad_edu.models.transformer_translate import TransformerTranslator  # noqa: E402
from tinygrad_edu.models.translate import Seq2Seq  # noqa: E402
from tinygrad_edu.torch_bridge import KNOWN, compare, from_torch, to_torch  # noqa: E402
from tinygrad_edu.torch_bridge import modules as twins  # noqa: E402

TOL = 1e-10


def seq(T: int, d: int, rng: random.Random) -> list[list[float]]:
    return [[rng.uniform(-1.0, 1.0) for _ in range(d)] for _ in range(T)]


def fmap(C: int, H: int, W: int, rng: random.Random) -> list[list[list[float]]]:
    return [seq(H, W, rng) for _ in range(C)]


def randomized(module, seed: int = 3):
    """Every parameter moved off its initial value (LayerNorm's ones and zeros
    would hide a swapped weight and bias)."""
    rng = random.Random(seed)
    for p in module.parameters():
        p.data = rng.uniform(-1.0, 1.0)
    return module


def assert_same(ours, inputs, loss=None, **kwargs) -> dict[str, float]:
    twin = to_torch(ours)
    table = compare(ours, twin, inputs, loss, show=False, **kwargs)
    worst = max(table, key=table.get)
    assert table[worst] < TOL, f"{type(ours).__name__}: {worst} differs by {table[worst]:.2e}"
    assert {k for k in table if k.startswith("grad ") and "input" not in k} == {
        f"grad {name}" for name, _ in ours.named_parameters()
    }
    return table


# One row per family: (id, a function of rng -> (our module, inputs, loss)).
R = random.Random


def _families():
    yield "neuron", lambda r: (nn.Neuron(3, "tanh"), (seq(1, 3, r)[0],), None)
    yield "layer", lambda r: (nn.Layer(3, 4, "sigmoid"), (seq(1, 3, r)[0],), None)
    yield "mlp", lambda r: (nn.MLP(3, [4, 4, 2], "tanh"), (seq(1, 3, r)[0],), None)
    yield "linear", lambda r: (nn.Linear(3, 2), (seq(1, 3, r)[0],), None)
    yield "linear-batch", lambda r: (nn.Linear(3, 2, bias=False), (seq(4, 3, r),), None)
    yield "embedding", lambda r: (nn.Embedding(5, 3), ([2, 0, 4, 2],), None)
    yield "positional", lambda r: (nn.PositionalEmbedding(4, 3), (seq(3, 3, r),), None)
    yield "sinusoidal", lambda r: (nn.SinusoidalPositionalEncoding(6, 5), (seq(4, 5, r),), None)
    yield "layernorm", lambda r: (nn.LayerNorm(4), (seq(1, 4, r)[0],), None)
    yield "layernorm-nobias", lambda r: (nn.LayerNorm(4, bias=False), (seq(1, 4, r)[0],), None)
    yield "layernorm-plain", lambda r: (nn.LayerNorm(4, elementwise_affine=False), (seq(1, 4, r)[0],), None)
    yield "rmsnorm", lambda r: (nn.RMSNorm(4), (seq(1, 4, r)[0],), None)
    yield "head-causal", lambda r: (nn.AttentionHead(4, 2, causal=True), (seq(3, 4, r),), None)
    yield "head-bias", lambda r: (nn.AttentionHead(4, 2, bias=True), (seq(3, 4, r),), None)
    yield "head-memory", lambda r: (nn.AttentionHead(4, 2), (seq(3, 4, r), seq(5, 4, r)), None)
    yield "mha-causal", lambda r: (nn.MultiHeadAttention(6, 3, causal=True), (seq(4, 6, r),), None)
    yield "mha-cross", lambda r: (nn.MultiHeadAttention(6, 2, bias=True), (seq(2, 6, r), seq(4, 6, r)), None)
    yield "cross-dot", lambda r: (nn.CrossAttention(3, 4), (seq(2, 3, r), seq(5, 4, r)), None)
    yield (
        "cross-additive",
        lambda r: (
            nn.CrossAttention(3, 4, "additive", d_attn=5),
            (seq(2, 3, r), seq(5, 4, r)),
            None,
        ),
    )
    yield "feedforward", lambda r: (nn.FeedForward(4, 6, "tanh"), (seq(3, 4, r),), None)
    yield "addnorm", lambda r: (nn.AddNorm(4), (seq(3, 4, r), seq(3, 4, r)), None)
    yield "block-pre", lambda r: (nn.TransformerBlock(4, 2, d_ff=6), (seq(3, 4, r),), None)
    yield (
        "block-post",
        lambda r: (nn.TransformerBlock(4, 2, 6, causal=False, norm_first=False), (seq(3, 4, r),), None),
    )
    yield (
        "block-rms",
        lambda r: (
            nn.TransformerBlock(4, 2, 6, norm="rmsnorm", bias=False, activation="sigmoid"),
            (seq(3, 4, r),),
            None,
        ),
    )
    yield "decoder-pre", lambda r: (nn.TransformerDecoderBlock(4, 2, 6), (seq(3, 4, r), seq(5, 4, r)), None)
    yield (
        "decoder-post",
        lambda r: (
            nn.TransformerDecoderBlock(4, 2, 6, norm_first=False),
            (seq(3, 4, r), seq(2, 4, r)),
            None,
        ),
    )
    yield "rnn", lambda r: (nn.RNNCell(3, 4), (seq(1, 3, r)[0], seq(1, 4, r)[0]), None)
    yield "rnn-relu", lambda r: (nn.RNNCell(3, 4, bias=False, nonlinearity="relu"), (seq(1, 3, r)[0],), None)
    yield "gru", lambda r: (nn.GRUCell(3, 4), (seq(1, 3, r)[0], seq(1, 4, r)[0]), None)
    yield "lstm", lambda r: (nn.LSTMCell(3, 4), (seq(1, 3, r)[0],), None)
    yield "conv2d", lambda r: (nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=1), (fmap(2, 5, 4, r),), None)
    yield "conv1d", lambda r: (nn.Conv1d(2, 3, 3, stride=2, padding=2, bias=False), (seq(2, 7, r),), None)
    yield "maxpool2d", lambda r: (nn.MaxPool2d(2, stride=(1, 2)), (fmap(2, 4, 5, r),), None)
    yield "avgpool2d", lambda r: (nn.AvgPool2d((2, 3)), (fmap(2, 4, 6, r),), None)
    yield "maxpool1d", lambda r: (nn.MaxPool1d(3, 2), (seq(2, 7, r),), None)
    yield "flatten", lambda r: (nn.Flatten(), (fmap(2, 3, 2, r),), None)
    yield "collapse-mean", lambda r: (nn.Collapse("mean"), (seq(3, 4, r),), None)
    yield "collapse-max", lambda r: (nn.Collapse("max"), (seq(3, 4, r),), None)
    yield "collapse-last", lambda r: (nn.Collapse("last"), (seq(3, 4, r),), None)
    yield "collapse-map", lambda r: (nn.Collapse("max"), (fmap(3, 2, 2, r),), None)
    yield "digits-cnn", lambda r: (DigitCNN(4), (fmap(1, 8, 8, r),), None)
    yield "gpt", lambda r: (small_gpt(), ([0, 3, 1, 4],), None)
    yield "gpt-loss", lambda r: (small_gpt(), ([0, 3, 1, 4], [3, 1, 4, 0]), "loss")
    yield (
        "gpt-rms-sinusoidal",
        lambda r: (
            small_gpt(norm="rmsnorm", bias=False, positional="sinusoidal"),
            ([0, 3, 1], [3, 1, 4]),
            "loss",
        ),
    )
    yield "gpt-tied", lambda r: (tied_gpt(), ([0, 3, 1], [3, 1, 4]), "loss")
    yield "bert", lambda r: (small_bert(), ([1, 5, 3, 7, 3, 2],), None)
    yield "bert-mlm", lambda r: (small_bert(), ([1, 5, 3, 7, 3, 2], MLM_LABELS), "mlm_loss")
    yield (
        "bert-post-tied-segments",
        lambda r: (
            small_bert(norm_first=False, tie_weights=True, n_segments=2),
            ([1, 5, 3, 7, 3, 2], MLM_LABELS, [0, 0, 0, 1, 1, 1]),
            "mlm_loss",
        ),
    )
    yield "bert-classifier", lambda r: (BERTClassifier(small_bert(), 3, "mean"), ([1, 5, 3, 2], 2), "loss")
    yield "seq2seq-dot", lambda r: (Seq2Seq(6, 7, 3, 4, "dot"), ([2, 5, 3], [4, 2, 6, 3]), "loss")
    yield "seq2seq-additive", lambda r: (Seq2Seq(6, 7, 3, 4, "additive"), ([2, 5, 3], [4, 2]), "loss")
    yield (
        "seq2seq-lexical",
        lambda r: (Seq2Seq(6, 7, 3, 4, "dot", lexical=True), ([2, 5, 3], [4, 2, 6, 3]), "loss"),
    )
    yield (
        "seq2seq-plain",
        lambda r: (Seq2Seq(6, 7, 3, 4, None, bidirectional=False), ([2, 5], [4, 2]), "loss"),
    )
    yield (
        "transformer-translator",
        lambda r: (
            TransformerTranslator(6, 7, d_model=4, n_head=2, n_layer=2, d_ff=6),
            ([2, 5, 3], [4, 2, 6, 3]),
            "loss",
        ),
    )


MLM_LABELS = [IGNORE, IGNORE, 8, IGNORE, 6, IGNORE]


def small_gpt(**options) -> GPT:
    return GPT(vocab_size=5, block_size=4, n_layer=2, n_embd=4, n_head=2, d_ff=6, **options)


def tied_gpt() -> GPT:
    model = small_gpt(bias=False)
    model.lm_head.weight = model.wte.weight
    return model


def small_bert(**options) -> BERT:
    return BERT(vocab_size=9, max_len=6, n_layer=2, d_model=4, n_head=2, d_ff=6, **options)


FAMILIES = dict(_families())


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_matches_its_twin_to_float64_rounding(family):
    random.seed(7)
    module, inputs, loss = FAMILIES[family](random.Random(5))
    assert_same(randomized(module), inputs, loss)


def test_every_class_the_bridge_knows_is_checked_above():
    random.seed(7)
    checked = {type(FAMILIES[f](random.Random(5))[0]).__name__ for f in FAMILIES} | {"Parser"}
    assert checked == set(KNOWN)


def test_the_lstm_with_a_state_and_run_sequence_match():
    random.seed(1)
    rng = random.Random(2)
    cell = randomized(nn.LSTMCell(3, 4))
    h, c = seq(1, 4, rng)[0], seq(1, 4, rng)[0]
    x = seq(1, 3, rng)[0]
    state = (torch.tensor([h], dtype=torch.float64), torch.tensor([c], dtype=torch.float64))
    assert_same(cell, (x, (h, c)), their_inputs=(torch.tensor([x], dtype=torch.float64), state))

    xs = seq(5, 3, rng)
    for each in (nn.RNNCell(3, 4), nn.GRUCell(3, 4), cell):
        outputs, _ = nn.run_sequence(each, xs)
        twin_outputs, _ = twins.run_sequence(to_torch(each), torch.tensor([xs], dtype=torch.float64))
        assert torch.allclose(
            twin_outputs[0],
            torch.tensor([[v.data for v in h] for h in outputs], dtype=torch.float64),
            atol=TOL,
        )


def test_the_parser_matches_its_twin_with_illegal_moves_masked():
    from tinygrad_edu.datasets.treebank import Sentence

    random.seed(4)
    sentences = [
        Sentence(["the", "cat", "sat"], ["DET", "NOUN", "VERB"], [2, 3, 0], ["det", "nsubj", "root"]),
        Sentence(["dogs", "bark", "loudly"], ["NOUN", "VERB", "ADV"], [2, 0, 2], ["nsubj", "root", "advmod"]),
    ]
    for activation in ("relu", "cube"):
        parser = randomized(Parser(Vocabulary.from_sentences(sentences), hidden=5, activation=activation))
        examples, _ = training_examples(parser, sentences)
        features, legal, gold = next(e for e in examples if 1 < len(e[1]) < len(parser.moves))
        assert_same(parser, (features,))
        mask = torch.zeros(1, len(parser.moves), dtype=torch.bool)
        mask[0, legal] = True
        their = (torch.tensor([features]), mask, torch.tensor([gold]))
        assert_same(parser, (features, legal, gold), "loss", their_inputs=their)


# ------------------------------------------------------------ round trips
@pytest.mark.parametrize(
    "family",
    ["gpt-tied", "bert-post-tied-segments", "seq2seq-dot", "transformer-translator", "digits-cnn", "mlp"],
)
def test_state_dict_round_trip_is_exact(family):
    random.seed(7)
    module = randomized(FAMILIES[family](random.Random(5))[0])
    before = module.state_dict()
    twin = to_torch(module)
    assert {k: v.tolist() for k, v in twin.state_dict().items()} == before  # the twin holds our numbers
    with torch.no_grad():
        for p in twin.parameters():
            p.mul_(-0.5)
    from_torch(twin, module)
    moved = module.state_dict()
    assert moved != before
    assert to_torch(module).state_dict().keys() == twin.state_dict().keys()
    from_torch(to_torch(module), module)
    assert module.state_dict() == moved  # float64 there and back: bit for bit


def test_a_float32_twin_comes_back_as_its_own_numbers():
    random.seed(0)
    model = small_gpt()
    twin = to_torch(model, dtype=torch.float32)
    assert all(p.dtype == torch.float32 for p in twin.parameters())
    from_torch(twin, model)
    assert model.state_dict() == {k: v.double().tolist() for k, v in twin.state_dict().items()}


def test_a_model_trained_here_gives_the_same_held_out_loss_in_torch():
    from tinygrad_edu.optim import Adam

    random.seed(0)
    rng = random.Random(1)
    docs = [[rng.randrange(5) for _ in range(5)] for _ in range(12)]
    model = small_gpt()
    optimizer = Adam(model.parameters(), lr=0.05)
    for doc in docs[:8]:
        optimizer.zero_grad()
        model.loss(doc[:-1], doc[1:]).backward()
        optimizer.step()
    held_out = docs[8:]
    twin = to_torch(model)
    ids = torch.tensor([d[:-1] for d in held_out])
    targets = torch.tensor([d[1:] for d in held_out])
    with torch.no_grad():
        theirs = twin.loss(ids, targets).item()
    assert theirs == pytest.approx(model.evaluate(held_out), abs=TOL)


# ------------------------------------------------------------ padding
def test_bert_on_a_padded_batch_gives_each_sentence_its_own_numbers():
    random.seed(3)
    model = randomized(small_bert(n_segments=2))
    twin = to_torch(model)
    sentences = [[1, 5, 3, 7, 3, 2], [1, 6, 2], [1, 4, 8, 2]]
    T = max(map(len, sentences))
    ids = torch.tensor([s + [0] * (T - len(s)) for s in sentences])
    mask = torch.tensor([[t < len(s) for t in range(T)] for s in sentences])
    logits = twin(ids, None, mask)
    for b, s in enumerate(sentences):
        ours = torch.tensor([[v.data for v in row] for row in model(s)], dtype=torch.float64)
        assert torch.allclose(logits[b, : len(s)], ours, atol=TOL, rtol=0)

    classifier = randomized(BERTClassifier(small_bert(), 3, "mean"))
    twin = to_torch(classifier)
    out = twin(ids, None, mask)
    for b, s in enumerate(sentences):
        assert torch.allclose(
            out[b], torch.tensor([v.data for v in classifier(s)], dtype=torch.float64), atol=TOL, rtol=0
        )


def test_gpt_on_a_padded_batch_gives_each_name_its_own_loss():
    random.seed(3)
    model = randomized(small_gpt())
    twin = to_torch(model)
    docs = [[0, 3, 1, 4, 0], [0, 2, 0]]
    ids = torch.tensor([d[:-1] + [0] * (5 - len(d)) for d in docs])
    targets = torch.tensor([d[1:] + [IGNORE] * (5 - len(d)) for d in docs])
    ours = sum(model.loss(d[:-1], d[1:]).data * (len(d) - 1) for d in docs) / 6  # per token
    assert twin.loss(ids, targets).item() == pytest.approx(ours, abs=TOL)


# ------------------------------------------------------------ refusals
def test_an_unknown_module_is_refused_by_name_listing_what_the_bridge_knows():
    class Mine(nn.Module):
        pass

    with pytest.raises(TypeError, match=r"to_torch: no torch twin for Mine; the bridge knows AddNorm, .*GPT"):
        to_torch(Mine())

    class MyGPT(GPT):  # a subclass may compute something else: refused too
        pass

    with pytest.raises(TypeError, match="no torch twin for MyGPT"):
        to_torch(MyGPT(5, 4, 1, 4, 2))
    with pytest.raises(TypeError, match="to_torch: dtype must be a torch floating-point type"):
        to_torch(small_gpt(), dtype=torch.int64)


def test_compare_refuses_a_loss_that_is_no_method():
    random.seed(0)
    model = small_gpt()
    with pytest.raises(ValueError, match="compare: loss='mlm_loss' names no method of GPT"):
        compare(model, to_torch(model), ([0, 1], [1, 2]), loss="mlm_loss")


def test_a_torch_module_of_another_shape_is_refused_and_ours_is_untouched():
    random.seed(0)
    ours = small_gpt()
    other = to_torch(GPT(vocab_size=7, block_size=4, n_layer=2, n_embd=4, n_head=2, d_ff=6))
    before = ours.state_dict()
    with pytest.raises(
        ValueError,
        match=r"'wte.weight' has shape \(7, 4\) in the torch module \(GPT\) but \(5, 4\) in ours \(GPT\)",
    ):
        from_torch(other, ours)
    assert ours.state_dict() == before
    with pytest.raises(ValueError, match=r"has no 'blocks.1.ln_1.weight'"):
        from_torch(to_torch(GPT(5, 4, 1, 4, 2, d_ff=6)), ours)
    assert ours.state_dict() == before
    with pytest.raises(TypeError, match="from_torch: expected a torch.nn.Module first, got GPT"):
        from_torch(ours, other)


def test_compare_prints_one_readable_table():
    random.seed(0)
    layer = nn.Linear(2, 2)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        table = compare(layer, to_torch(layer), ([0.5, -0.25],))
    lines = buffer.getvalue().splitlines()
    assert lines[0] == "Linear vs its torch twin (float64): the largest |ours - torch|"
    assert [line.split()[0] for line in lines[1:]] == ["output", "loss", "grad", "grad", "grad"]
    assert list(table) == ["output", "loss", "grad of input 0", "grad weight", "grad bias"]


def test_without_torch_the_bridge_says_how_to_install_it():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "try:\n    import tinygrad_edu.torch_bridge\n"
        "except ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "tinygrad_edu.torch_bridge needs PyTorch" in out
    assert "pip install torch --index-url https://download.pytorch.org/whl/cpu" in out
    # and nothing else in the package needs it
    code = "import sys; sys.modules['torch'] = None\nimport tinygrad_edu.models.gpt, tinygrad_edu.nn\nprint('ok')"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout == "ok\n"
