"""Wrong input to a public function or module call fails at the door, clearly.

Each row of `CASES` calls something with a mistake a learner makes (a str
where a list goes, a nested list where a flat one goes, a vector of the wrong
length, a token id out of range or a float id, a sequence longer than the
context, an empty one, a size of 0, a bool for a number, temperature 0, ...)
and says which error it must raise and what its message must contain: the
function or module it names, what was given, and what was expected. Without
the checks these fail deep inside (a bare ``'int' object is not iterable``,
an IndexError from some inner line, ``'str' object has no attribute
'relu'``) or, worse, quietly do something else (``Word2Vec("cat")`` learning a
vocabulary of three letters, ``sgns_loss`` reading word -1 from the end).

`test_every_public_name_has_a_row` fails when the public API grows a
function with no row here and no reason in `CHECKED_ELSEWHERE`.

Checks that other test files already make (Value's own errors in
test_engine.py, load_state_dict's in test_nn_core.py, GPT's context length
in test_nn_transformer.py, ...) are listed there rather than repeated.
"""

from __future__ import annotations

import functools
import inspect
import math
import random

import pytest

import tinygrad_edu
import viz
from tinygrad_edu import (
    Value,
    datasets,
    functional,
    gradcheck,
    lecture,
    nn,
    optim,
    stepping,
)
from tinygrad_edu.datasets import CharTokenizer, tatoeba, treebank
from tinygrad_edu.datasets import senses as corpus_module
from tinygrad_edu.datasets import translation as data_translation
from tinygrad_edu.datasets.senses import sense_corpus
from tinygrad_edu.datasets.text import normalise_sentence
from tinygrad_edu.datasets.treebank import (
    Sentence,
    format_conllu,
    generate_treebank,
    parse_conllu,
    split_treebank,
    write_conllu,
)
from tinygrad_edu.models import bert, parser, transformer_translate, translate, word2vec
from tinygrad_edu.models import digits as digits_model
from tinygrad_edu.models import gpt as gpt_model
from tinygrad_edu.models.bert import (
    BERT,
    BERTClassifier,
    WordTokenizer,
    fill_mask,
    mask_tokens,
    masked_lm_loss,
)
from tinygrad_edu.models.gpt import GPT
from tinygrad_edu.models.parser import (
    Configuration,
    Move,
    Parser,
    Vocabulary,
    attachment_scores,
    baseline_uas,
    batch_loss,
    extract_features,
    feature_positions,
    moves_for,
    oracle,
    replay,
    tag_words,
    training_examples,
)
from tinygrad_edu.models.transformer_translate import TransformerTranslator
from tinygrad_edu.models.translate import (
    Seq2Seq,
    Vocab,
    beam_search,
    beam_search_steps,
    corpus_bleu,
    greedy_decode,
    ngram_counts,
)
from tinygrad_edu.models.word2vec import (
    NoiseDistribution,
    Word2Vec,
    analogy,
    cosine_similarity,
    log_sigmoid,
    pca_2d,
    sgns_loss,
    skipgram_windows,
    subsample,
    train,
)
from tinygrad_edu.nn import (
    MLP,
    AddNorm,
    AttentionHead,
    AvgPool2d,
    Collapse,
    Conv1d,
    Conv2d,
    CrossAttention,
    Embedding,
    FeedForward,
    Flatten,
    GRUCell,
    Layer,
    LayerNorm,
    Linear,
    LSTMCell,
    MaxPool1d,
    MaxPool2d,
    MultiHeadAttention,
    Neuron,
    PositionalEmbedding,
    RMSNorm,
    RNNCell,
    SinusoidalPositionalEncoding,
    TransformerBlock,
    TransformerDecoderBlock,
    activate,
    causal_mask,
    run_sequence,
    shape_of,
    sinusoidal_table,
)

GPT_NAME = "GPT(vocab_size=5, block_size=4, n_layer=1, n_embd=4, n_head=2"


@functools.cache
def gpt() -> GPT:
    random.seed(0)
    return GPT(vocab_size=5, block_size=4, n_layer=1, n_embd=4, n_head=2)


@functools.cache
def w2v() -> Word2Vec:
    return Word2Vec(["a", "b", "c"], dim=2, rng=random.Random(0))


BERT_NAME = "BERT(vocab_size=8, max_len=4, n_layer=1, d_model=4, n_head=2)"


@functools.cache
def word_tok() -> WordTokenizer:
    return WordTokenizer(["a", "b", "c"])


@functools.cache
def bert_model() -> BERT:
    random.seed(0)
    return BERT(8, max_len=4, n_layer=1, d_model=4, n_head=2)


def dogs_bark() -> Sentence:
    return Sentence(["dogs", "bark"], ["NOUN", "VERB"], [2, 0], ["nsubj", "root"])


@functools.cache
def dep_parser() -> Parser:
    random.seed(0)
    return Parser(Vocabulary.from_sentences([dogs_bark()]), hidden=2)


PARSER_NAME = "Parser(words=5, tags=5, labels=3, moves=5, hidden=2, relu)"


@functools.cache
def seq2seq() -> Seq2Seq:
    random.seed(0)
    return Seq2Seq(5, 4, embedding_dim=2, hidden_size=3)


def eos_step(state, token):
    """A decoder that always says <eos>."""
    return [-9.0, 0.0, -9.0], state


def x2() -> Value:
    """A small graph to draw."""
    return Value(1.0, label="x") * 2


def tok() -> CharTokenizer:
    return CharTokenizer("abc")


def square(x: Value) -> Value:
    return x * x


# (subject: the public name it checks, call, exception type, fragments of the message)
CASES = [
    # ---------------------------------------------------------------- engine
    ("Value.linear", lambda: Value.linear(Value(1.0), [1.0]), TypeError, ["'linear'", "rows", "Value"]),
    ("Value.linear", lambda: Value.linear([[1.0]], [1.0], 2.0), TypeError, ["'linear'", "biases", "float"]),
    (
        "Value.linear",
        lambda: Value.linear([[1.0]] * 2, [1.0], [0.0]),
        ValueError,
        ["'linear'", "2 rows", "1 biases"],
    ),
    ("Value.dot", lambda: Value.dot([[1.0]], [1.0]), TypeError, ["'dot'", "[1.0]", "list"]),
    ("Value.sum", lambda: Value.sum(3), TypeError, ["'sum'", "int"]),
    ("Value.max", lambda: Value.max([[1.0, 2.0]]), TypeError, ["'max'", "[1.0, 2.0]", "list"]),
    ("Value.max", lambda: Value.max(iter([])), ValueError, ["'max'", "empty"]),
    ("Value.sum", lambda: Value.sum([[1.0], [2.0]]), TypeError, ["'sum'", "[1.0]", "list"]),
    # Beyond a float (issue 10): an int too big for one, and every op whose result overflows.
    ("Value", lambda: Value(10**400), ValueError, ["Value(data)", "401 digits", "beyond a float"]),
    ("Value", lambda: Value(1.0) + 10**400, ValueError, ["'+'", "401 digits"]),
    ("Value", lambda: Value(1e308) + Value(1e308), OverflowError, ["'+'", "overflows", "(1e+308, 1e+308)"]),
    ("Value", lambda: Value(1e308) - Value(-1e308), OverflowError, ["'-'", "overflows", "inf"]),
    ("Value", lambda: Value(1e200) * 1e200, OverflowError, ["'*'", "overflows", "1e+200"]),
    ("Value", lambda: Value(0.9318) ** -10000, OverflowError, ["'**-10000.0'", "derivative", "0.9318"]),
    ("Value", lambda: Value(5e-324).log(), OverflowError, ["'log'", "derivative 1/a", "5e-324"]),
    ("Value.sum", lambda: Value.sum([1e308, 1e308]), OverflowError, ["'sum'", "overflows", "1e+308"]),
    ("Value.dot", lambda: Value.dot([1e200], [1e200]), OverflowError, ["'dot'", "overflows", "inf"]),
    (
        "Value.linear",
        lambda: Value.linear([[1e200, 1e200]], [1e200, -1e200]),  # inf + -inf: NaN
        OverflowError,
        ["'dot'", "overflows", "nan"],
    ),
    # ------------------------------------------------------------ functional
    ("softmax", lambda: functional.softmax(["a", "b"]), TypeError, ["softmax", "'a'", "str"]),
    ("softmax", lambda: functional.softmax([[1.0, 2.0]]), TypeError, ["softmax", "flat list", "[1.0, 2.0]"]),
    ("softmax", lambda: functional.softmax(3), TypeError, ["softmax", "list", "int"]),
    (
        "log_softmax",
        lambda: functional.log_softmax([[1.0]]),
        TypeError,
        ["log_softmax", "flat list", "[1.0]"],
    ),
    ("logsumexp", lambda: functional.logsumexp([1.0, math.nan]), ValueError, ["logsumexp", "nan"]),
    (
        "softmax",
        lambda: functional.softmax([1.0], temperature=1e-320),
        ValueError,
        ["softmax", "temperature 1e-320", "too small"],
    ),
    (
        "inverse_temperature",
        lambda: functional.inverse_temperature(10**400, "log_softmax"),
        ValueError,
        ["log_softmax", "temperature", "401 digits"],
    ),
    ("inverse_temperature", lambda: functional.inverse_temperature("1"), ValueError, ["softmax", "'1'"]),
    (
        "cross_entropy",
        lambda: functional.cross_entropy([1.0, 2.0], 1.0),  # a float is not an index, even 1.0
        ValueError,
        ["cross_entropy", "class index", "1.0"],
    ),
    (
        "cross_entropy",
        lambda: functional.cross_entropy([[1.0, 2.0]], 0),
        TypeError,
        ["cross_entropy", "flat"],
    ),
    ("cross_entropy", lambda: functional.cross_entropy(None, 0), TypeError, ["cross_entropy", "NoneType"]),
    ("mse", lambda: functional.mse("ab", [1.0, 2.0]), TypeError, ["mse", "predictions", "str"]),
    ("mse", lambda: functional.mse(Value(1.0), [1.0]), TypeError, ["mse", "predictions", "Value"]),
    ("mse", lambda: functional.mse([1.0], 1.0), TypeError, ["mse", "targets", "float"]),
    ("mse", lambda: functional.mse([1.0], [[1.0]]), TypeError, ["mse", "flat list", "[1.0]"]),
    ("hinge", lambda: functional.hinge("ab", [1, -1]), TypeError, ["hinge", "predictions", "str"]),
    ("hinge", lambda: functional.hinge([Value(1.0)], [True]), ValueError, ["hinge", "-1 or +1", "True"]),
    ("hinge", lambda: functional.hinge([["a"]], [1]), TypeError, ["hinge", "flat list", "['a']"]),
    ("l2", lambda: functional.l2([[Value(1.0)]]), TypeError, ["l2", "flat list"]),
    ("l2", lambda: functional.l2(Value(1.0)), TypeError, ["l2", "Value"]),
    # ----------------------------------------------------------------- optim
    ("SGD", lambda: optim.SGD(MLP(2, [1]), lr=0.1), TypeError, ["SGD", "model.parameters()", "MLP"]),
    ("Adam", lambda: optim.Adam(Value(1.0)), TypeError, ["Adam", "model.parameters()", "Value"]),
    ("AdamW", lambda: optim.AdamW(3), TypeError, ["AdamW", "int"]),
    ("SGD", lambda: optim.SGD([[Value(1.0)]], lr=0.1), TypeError, ["SGD", "Values", "list"]),
    (
        "SGD",
        lambda: optim.SGD([Value(2.0), p := Value(1.0), p]),  # stepped twice: a tied weight listed twice
        ValueError,
        ["SGD", "parameter 2", "parameter 1", "same Value", "once"],
    ),
    ("Adam", lambda: optim.Adam([Value(1.0)] * 2), ValueError, ["Adam", "parameter 1", "same Value"]),
    (
        "clip_grad_norm_",
        lambda: optim.clip_grad_norm_(Value(1.0), 1.0),
        TypeError,
        ["clip_grad_norm_", "Value"],
    ),
    ("SGD", lambda: optim.SGD([Value(1.0)], lr=10**400), ValueError, ["SGD", "lr", "about 401 digits"]),
    (
        "clip_grad_norm_",
        lambda: optim.clip_grad_norm_([Value(1.0)], 10**400),
        ValueError,
        ["clip_grad_norm_", "max_norm", "about 401 digits"],
    ),
    (
        "clip_grad_norm_",
        lambda: optim.clip_grad_norm_([Value(1.0)], 0),
        ValueError,
        ["clip_grad_norm_", "max_norm", "0"],
    ),
    # ------------------------------------------------------------- gradcheck
    ("gradcheck", lambda: gradcheck(square, 3.0), TypeError, ["gradcheck", "inputs", "float"]),
    ("gradcheck", lambda: gradcheck(square, [3.0], eps=0), ValueError, ["gradcheck", "eps", "0"]),
    ("gradcheck", lambda: gradcheck(square, [3.0], eps="1e-6"), ValueError, ["gradcheck", "eps", "'1e-6'"]),
    (
        "gradcheck",
        lambda: gradcheck(square, [3.0], tolerance=-1),
        ValueError,
        ["gradcheck", "tolerance", "-1"],
    ),
    # ---------------------------------------------------- neurons and layers
    ("activate", lambda: activate(Value(1.0), "gelu"), ValueError, ["activate", "'gelu'", "relu"]),
    ("activate", lambda: activate(1.0, "tanh"), TypeError, ["activate", "1.0", "float"]),
    ("Neuron", lambda: Neuron(2, activation=3), ValueError, ["Neuron", "activation", "3"]),
    ("Neuron", lambda: Neuron(2)(["a", "b"]), TypeError, ["Neuron(2, relu)", "'a'", "str"]),
    ("Layer", lambda: Layer(2, 3)([[1.0], [2.0]]), TypeError, ["Layer(2 -> 3, relu)", "[1.0]", "list"]),
    (  # a list of lists is a batch (T, in_features), as in PyTorch: here of vectors too short
        "Linear",
        lambda: Linear(3, 2)([[1.0], [2.0], [3.0]]),
        ValueError,
        ["Linear(in_features=3, out_features=2, bias=True)", "vector 0", "length 1", "expected 3"],
    ),
    ("Linear", lambda: Linear(2, 1)([[1.0, 2.0], [1.0, "a"]]), TypeError, ["Linear(in_features=2", "'a'"]),
    ("Linear", lambda: Linear(2, 1)([[1.0, 2.0], 3.0]), TypeError, ["Linear(in_features=2", "vector 1"]),
    ("Linear", lambda: Linear(3, 2)([1.0, None, 3.0]), TypeError, ["Linear(in_features=3", "None"]),
    ("Linear", lambda: Linear(3, 2)(True), TypeError, ["Linear(in_features=3", "3", "bool"]),
    ("MLP", lambda: MLP(2, 16), TypeError, ["MLP", "nouts", "16", "[16, 16, 1]"]),
    # a NaN or an infinity in the input: the engine finds it, the module the user called is named first
    ("Linear", lambda: Linear(2, 1)([math.nan, 1.0]), ValueError, ["Linear(in_features=2", "nan"]),
    ("MLP", lambda: MLP(2, [3, 1])([1.0, math.inf]), ValueError, ["MLP(2 -> 3 -> 1", "Layer(2 -> 3", "inf"]),
    ("Neuron", lambda: Neuron(2)([math.nan, 1.0]), ValueError, ["Neuron(2, relu)", "nan"]),
    ("LayerNorm", lambda: LayerNorm(2)([math.nan, 1.0]), ValueError, ["LayerNorm(2", "nan"]),
    ("RMSNorm", lambda: RMSNorm(2)([1.0, -math.inf]), ValueError, ["RMSNorm(2", "inf"]),
    ("LSTMCell", lambda: LSTMCell(2, 2)([math.nan, 1.0]), ValueError, ["LSTMCell(2, 2)", "nan"]),
    (
        "AttentionHead",
        lambda: AttentionHead(2, 2)([[math.nan, 1.0]]),
        ValueError,
        ["AttentionHead(d_model=2", "nan"],
    ),
    (
        "MultiHeadAttention",
        lambda: MultiHeadAttention(2, 1)([[math.nan, 1.0]]),
        ValueError,
        ["MultiHeadAttention(", "nan"],
    ),
    (
        "FeedForward",
        lambda: FeedForward(2)([[math.nan, 1.0]]),
        ValueError,
        ["FeedForward(2 -> 8 -> 2", "nan"],
    ),
    (
        "TransformerBlock",
        lambda: TransformerBlock(2, 1)([[math.nan, 1.0]]),
        ValueError,
        ["TransformerBlock(", "nan"],
    ),
    ("AddNorm", lambda: AddNorm(2)([[math.nan, 1.0]], [[1.0, 1.0]]), ValueError, ["AddNorm(2)", "nan"]),
    (
        "PositionalEmbedding",
        lambda: PositionalEmbedding(2, 2)([[math.nan, 1.0]]),
        ValueError,
        ["PositionalEmbedding(2, 2)", "nan"],
    ),
    (
        "SinusoidalPositionalEncoding",
        lambda: SinusoidalPositionalEncoding(2, 2)([[math.nan, 1.0]]),
        ValueError,
        ["SinusoidalPositionalEncoding(2, 2)", "nan"],
    ),
    ("MLP", lambda: MLP(2, "16"), TypeError, ["MLP", "nouts", "'16'"]),
    ("MLP", lambda: MLP(0, [1]), ValueError, ["MLP", "nin", "0"]),
    ("MLP", lambda: MLP(2, [4, 0]), ValueError, ["MLP", "nouts[1]", "0"]),
    ("MLP", lambda: MLP(2, [4, True]), ValueError, ["MLP", "nouts[1]", "True"]),
    ("MLP", lambda: MLP(2, [4, 1], activations=["relu", "gelu"]), ValueError, ["MLP", "'gelu'", "tanh"]),
    ("MLP", lambda: MLP(2, [4, 1], activations=3), TypeError, ["MLP", "activations", "3"]),
    # one layer leaves the hidden activation unused: still a typo to report
    ("MLP", lambda: MLP(2, [1], activations="Relu"), ValueError, ["MLP", "'Relu'", "lowercase", "'relu'"]),
    ("Neuron", lambda: Neuron(2, activation="ReLU"), ValueError, ["Neuron", "'ReLU'", "lowercase", "'tanh'"]),
    # switches: bias="no" is a non-empty str, so Python would read it as True
    ("GPT", lambda: GPT(5, 4, 1, 4, 2, bias="no"), TypeError, ["GPT", "bias", "'no'", "True or False"]),
    ("Linear", lambda: Linear(2, 2, bias="False"), TypeError, ["Linear", "bias", "'False'", "str"]),
    ("Linear", lambda: Linear(2, 2, bias=0), TypeError, ["Linear", "bias", "0", "an int"]),
    (
        "AttentionHead",
        lambda: AttentionHead(4, 2, causal="no"),
        TypeError,
        ["AttentionHead", "causal", "'no'"],
    ),
    ("AttentionHead", lambda: AttentionHead(4, 2, bias=None), TypeError, ["AttentionHead", "bias", "None"]),
    (
        "MultiHeadAttention",
        lambda: MultiHeadAttention(4, 2, causal="yes"),
        TypeError,
        ["MultiHeadAttention", "causal", "'yes'"],
    ),
    (
        "TransformerBlock",
        lambda: TransformerBlock(4, 2, norm_first="post"),
        TypeError,
        ["TransformerBlock", "norm_first", "'post'"],
    ),
    (
        "TransformerBlock",
        lambda: TransformerBlock(4, 2, causal="no"),
        TypeError,
        ["TransformerBlock", "causal"],
    ),
    ("FeedForward", lambda: FeedForward(4, bias="no"), TypeError, ["FeedForward", "bias", "'no'"]),
    ("AddNorm", lambda: AddNorm(4, bias=[]), TypeError, ["AddNorm", "bias", "[]"]),
    (
        "LayerNorm",
        lambda: LayerNorm(4, elementwise_affine="no"),
        TypeError,
        ["LayerNorm", "elementwise_affine"],
    ),
    ("LayerNorm", lambda: LayerNorm(4, bias=1.0), TypeError, ["LayerNorm", "bias", "1.0"]),
    ("RMSNorm", lambda: RMSNorm(4, elementwise_affine="no"), TypeError, ["RMSNorm", "elementwise_affine"]),
    ("RNNCell", lambda: RNNCell(2, 2, bias="no"), TypeError, ["RNNCell", "bias", "'no'"]),
    ("GRUCell", lambda: GRUCell(2, 2, bias="no"), TypeError, ["GRUCell", "bias"]),
    ("LSTMCell", lambda: LSTMCell(2, 2, bias="no"), TypeError, ["LSTMCell", "bias"]),
    # ------------------------------------------------ embeddings and positions
    ("Embedding", lambda: Embedding(3, 2)([[0, 1]]), TypeError, ["Embedding(3, 2)", "[0, 1]", "ints"]),
    ("Embedding", lambda: Embedding(3, 2)(2), TypeError, ["Embedding(3, 2)", "token ids", "int"]),
    ("Embedding", lambda: Embedding(0, 2), ValueError, ["Embedding", "num_embeddings", "0"]),
    (
        "PositionalEmbedding",
        lambda: PositionalEmbedding(4, 2)([["a", "b"]]),
        TypeError,
        ["PositionalEmbedding(4, 2)", "'a'", "str"],
    ),
    (
        "SinusoidalPositionalEncoding",
        lambda: SinusoidalPositionalEncoding(0, 4),
        ValueError,
        ["SinusoidalPositionalEncoding", "max_len", "0"],
    ),
    (
        "SinusoidalPositionalEncoding",
        lambda: SinusoidalPositionalEncoding(4, 2.0),
        ValueError,
        ["SinusoidalPositionalEncoding", "d_model", "2.0"],
    ),
    (
        "SinusoidalPositionalEncoding",
        lambda: SinusoidalPositionalEncoding(4, 2)([[None, 1.0]]),
        TypeError,
        ["SinusoidalPositionalEncoding(4, 2)", "None"],
    ),
    (
        "sinusoidal_table",
        lambda: sinusoidal_table(0, 2),
        ValueError,
        ["sinusoidal_table", "n_positions", "0"],
    ),
    ("causal_mask", lambda: causal_mask(2.0), ValueError, ["causal_mask", "T", "2.0"]),
    # ------------------------------------------------------------- attention
    (
        "AttentionHead",
        lambda: AttentionHead(4, 2)([["a"] * 4]),
        TypeError,
        ["AttentionHead(d_model=4, d_head=2, causal=False)", "'a'", "str"],
    ),
    (
        "AttentionHead",
        lambda: AttentionHead(4, 2)([[1.0] * 4, [1.0] * 3]),
        ValueError,
        ["AttentionHead(d_model=4", "vector 1", "length 3", "expected 4"],
    ),
    (
        "MultiHeadAttention",
        lambda: MultiHeadAttention(4, 2)([[[1.0]] * 4]),
        TypeError,
        ["MultiHeadAttention(d_model=4, n_head=2", "[1.0]", "list"],
    ),
    (
        "MultiHeadAttention",
        lambda: MultiHeadAttention(4, True),
        ValueError,
        ["MultiHeadAttention", "n_head", "True"],
    ),
    (
        "CrossAttention",
        lambda: CrossAttention(2, 3, scoring="luong"),
        ValueError,
        ["CrossAttention", "scoring", "'luong'", "'dot', 'additive'"],
    ),
    ("CrossAttention", lambda: CrossAttention(0, 3), ValueError, ["CrossAttention", "d_query", "0"]),
    (
        "CrossAttention",
        lambda: CrossAttention(2, 3, "additive", d_attn=0),
        ValueError,
        ["CrossAttention", "d_attn", "0"],
    ),
    (
        "CrossAttention",
        lambda: CrossAttention(2, 3)([[1.0, 2.0]], [1.0, 2.0, 3.0]),
        TypeError,
        ["CrossAttention(d_query=2, d_memory=3, scoring='dot')", "single vector", "[x]"],
    ),
    (
        "CrossAttention",
        lambda: CrossAttention(2, 3)([[1.0, 2.0]], [[1.0, "b", 3.0]]),
        TypeError,
        ["CrossAttention(d_query=2, d_memory=3", "'b'", "str"],
    ),
    (
        "CrossAttention",
        lambda: CrossAttention(2, 3)([[1.0, 2.0]], []),
        ValueError,
        ["CrossAttention(d_query=2", "at least one vector"],
    ),
    (
        "AttentionHead",
        lambda: AttentionHead(2, 2, causal=True)([[1.0, 2.0]], memory=[[1.0, 2.0]]),
        ValueError,
        ["AttentionHead(d_model=2, d_head=2, causal=True)", "memory", "causal=False"],
    ),
    (
        "MultiHeadAttention",
        lambda: MultiHeadAttention(4, 2)([[1.0] * 4], memory=[[1.0] * 3]),
        ValueError,
        ["MultiHeadAttention(d_model=4", "length 3", "expected 4"],
    ),
    # ---------------------------------------------------- convolution, pooling
    (
        "Conv2d",
        lambda: Conv2d(1, 2, 3)([0.0] * 64),
        TypeError,
        ["Conv2d(1, 2, kernel_size=(3, 3)", "[C][H][W]", "a flat list of 64 numbers"],
    ),
    (
        "Conv2d",
        lambda: Conv2d(1, 2, 3)([[0.0] * 8] * 8),
        TypeError,
        ["Conv2d(1, 2", "[C][H][W]", "shape (8, 8)"],
    ),
    (
        "Conv2d",
        lambda: Conv2d(1, 2, 3)([[[0.0] * 4] * 4] * 3),
        ValueError,
        ["Conv2d(1, 2", "expected 1 input channel(s), got 3"],
    ),
    (
        "Conv2d",
        lambda: Conv2d(1, 2, 5, padding=1)([[[0.0] * 2] * 2]),
        ValueError,
        ["Conv2d(1, 2", "kernel (5 along the height)", "padded input (2 + 2*1 = 4)"],
    ),
    (
        "Conv2d",
        lambda: Conv2d(1, 2, (1, 4))([[[0.0] * 3] * 3]),
        ValueError,
        ["Conv2d(1, 2", "kernel (4 along the width)", "(3 + 2*0 = 3)"],
    ),
    (
        "Conv2d",
        lambda: Conv2d(1, 2, 3)([[[[0.0] * 8] * 8]] * 16),
        TypeError,
        ["Conv2d(1, 2", "[C][H][W]", "shape (16, 1, 8, 8)", "no batch axis"],
    ),
    ("Conv2d", lambda: Conv2d(1, 2, 0), ValueError, ["Conv2d", "kernel_size", "positive int", "0"]),
    ("Conv2d", lambda: Conv2d(1, 2, (3, -1)), ValueError, ["Conv2d", "kernel_size", "(3, -1)"]),
    ("Conv2d", lambda: Conv2d(1, 2, 3, stride=0), ValueError, ["Conv2d", "stride", "0"]),
    ("Conv2d", lambda: Conv2d(1, 2, 3, padding=-1), ValueError, ["Conv2d", "padding", "int >= 0", "-1"]),
    ("Conv2d", lambda: Conv2d(0, 2, 3), ValueError, ["Conv2d", "in_channels", "0"]),
    ("Conv2d", lambda: Conv2d(1, 2, (3, 3, 3)), ValueError, ["Conv2d", "kernel_size", "pair"]),
    ("Conv2d", lambda: Conv2d(1, 2, 2.0), ValueError, ["Conv2d", "kernel_size", "2.0"]),
    (
        "Conv2d",
        lambda: Conv2d(1, 1, 2)([[[0.0, 1.0], [1.0]]]),
        ValueError,
        ["Conv2d(1, 1", "ragged", "W is 2"],
    ),
    (
        "Conv2d",
        lambda: Conv2d(1, 1, 1)([[["a"]]]),
        TypeError,
        ["Conv2d(1, 1", "Value(data)", "'a'"],
    ),
    (
        "Conv1d",
        lambda: Conv1d(2, 1, 3)([0.0] * 5),
        TypeError,
        ["Conv1d(2, 1, kernel_size=(3,)", "[C][L]", "a flat list of 5 numbers"],
    ),
    (
        "Conv1d",
        lambda: Conv1d(2, 1, 3)([[0.0] * 5]),
        ValueError,
        ["Conv1d(2, 1", "2 input channel(s), got 1"],
    ),
    (
        "Conv1d",
        lambda: Conv1d(1, 1, 6)([[0.0] * 5]),
        ValueError,
        ["Conv1d(1, 1", "kernel (6 along the length)", "(5 + 2*0 = 5)"],
    ),
    ("Conv1d", lambda: Conv1d(1, 1, (3, 3)), ValueError, ["Conv1d", "kernel_size", "(3, 3)"]),
    ("Conv1d", lambda: Conv1d(1, 1, 3, stride=0), ValueError, ["Conv1d", "stride", "0"]),
    (
        "MaxPool2d",
        lambda: MaxPool2d(2)([[0.0] * 4] * 4),
        TypeError,
        ["MaxPool2d(kernel_size=(2, 2)", "[C][H][W]", "shape (4, 4)"],
    ),
    (
        "MaxPool2d",
        lambda: MaxPool2d(3)([[[0.0] * 2] * 2]),
        ValueError,
        ["MaxPool2d(kernel_size=(3, 3)", "window (3 along the height)", "input (2)"],
    ),
    ("MaxPool2d", lambda: MaxPool2d(0), ValueError, ["MaxPool2d", "kernel_size", "0"]),
    ("MaxPool2d", lambda: MaxPool2d(2, stride=-1), ValueError, ["MaxPool2d", "stride", "-1"]),
    (
        "MaxPool2d",
        lambda: MaxPool2d(1)([[["a"]]]),
        TypeError,
        ["MaxPool2d(kernel_size=(1, 1)", "'max'", "'a'"],
    ),
    ("AvgPool2d", lambda: AvgPool2d((2, 0)), ValueError, ["AvgPool2d", "kernel_size", "(2, 0)"]),
    (
        "AvgPool2d",
        lambda: AvgPool2d(2)([[[0.0] * 3]]),
        ValueError,
        ["AvgPool2d(kernel_size=(2, 2)", "window (2 along the height)", "input (1)"],
    ),
    ("MaxPool1d", lambda: MaxPool1d(0), ValueError, ["MaxPool1d", "kernel_size", "0"]),
    ("MaxPool1d", lambda: MaxPool1d(2, stride=0), ValueError, ["MaxPool1d", "stride", "0"]),
    (
        "MaxPool1d",
        lambda: MaxPool1d(4)([[0.0] * 3]),
        ValueError,
        ["MaxPool1d(kernel_size=4, stride=4)", "window (4 along the length)", "input (3)"],
    ),
    (
        "MaxPool1d",
        lambda: MaxPool1d(2)([0.0] * 4),
        TypeError,
        ["MaxPool1d(kernel_size=2", "[C][L]", "flat list"],
    ),
    ("Flatten", lambda: Flatten()(3.0), TypeError, ["Flatten()", "a float"]),
    ("Flatten", lambda: Flatten()([[1.0, 2.0], [3.0]]), ValueError, ["Flatten()", "ragged"]),
    # ------------------------------------------------------------- Collapse
    ("Collapse", lambda: Collapse("cls"), ValueError, ["Collapse", "'cls'", "'first'"]),
    ("Collapse", lambda: Collapse(None), ValueError, ["Collapse", "None", "'mean'"]),
    (
        "Collapse",
        lambda: Collapse("mean")([1.0, 2.0, 3.0]),
        TypeError,
        ["Collapse(mode='mean')", "[T][d]", "a flat list of 3 numbers"],
    ),
    (
        "Collapse",
        lambda: Collapse("max")([[1.0, 2.0], [3.0]]),
        ValueError,
        ["Collapse(mode='max')", "ragged", "d is 2", "1 in another"],
    ),
    ("Collapse", lambda: Collapse("mean")([]), ValueError, ["Collapse(mode='mean')", "T is empty"]),
    (
        "Collapse",
        lambda: Collapse("first")([[[1.0, 2.0]]]),
        ValueError,
        ["Collapse(mode='first')", "feature map", "no first or last", "'mean' or 'max'"],
    ),
    ("Collapse", lambda: Collapse("max")([["a", "b"]]), TypeError, ["Collapse(mode='max')", "'max'", "'a'"]),
    (
        "Collapse",
        lambda: Collapse("mean")("abc"),
        TypeError,
        ["Collapse(mode='mean')", "[T][d]", "a str"],
    ),
    # ----------------------------------------------------------------- norms
    ("LayerNorm", lambda: LayerNorm(3, eps=0.0), ValueError, ["LayerNorm", "eps", "0.0"]),
    ("LayerNorm", lambda: LayerNorm(3, eps=-1e-5), ValueError, ["LayerNorm", "eps", "-1e-05"]),
    ("LayerNorm", lambda: LayerNorm(3, eps="small"), ValueError, ["LayerNorm", "eps", "'small'"]),
    (
        "LayerNorm",
        lambda: LayerNorm(2)([[1.0, 2.0], [3.0, 4.0]]),
        TypeError,
        ["LayerNorm(2, eps=1e-05)", "[1.0, 2.0]", "list"],
    ),
    (
        "LayerNorm",
        lambda: LayerNorm(3)([1.0, 2.0]),
        ValueError,
        ["LayerNorm(3, eps=1e-05)", "length 3", "length 2"],
    ),
    ("RMSNorm", lambda: RMSNorm(3, eps=math.nan), ValueError, ["RMSNorm", "eps", "nan"]),
    ("RMSNorm", lambda: RMSNorm(2)(["a", "b"]), TypeError, ["RMSNorm(2, eps=1e-05)", "'a'", "str"]),
    # ------------------------------------------------------ transformer parts
    ("FeedForward", lambda: FeedForward(0), ValueError, ["FeedForward", "d_model", "0"]),
    ("FeedForward", lambda: FeedForward(4, d_ff=0), ValueError, ["FeedForward", "d_ff", "0"]),
    ("FeedForward", lambda: FeedForward(4, activation="gelu"), ValueError, ["FeedForward", "'gelu'"]),
    (
        "FeedForward",
        lambda: FeedForward(2)([["a", "b"]]),
        TypeError,
        ["FeedForward(2 -> 8 -> 2, relu)", "'a'"],
    ),
    ("AddNorm", lambda: AddNorm(0), ValueError, ["AddNorm", "d_model", "0"]),
    ("AddNorm", lambda: AddNorm(2, norm="batchnorm"), ValueError, ["AddNorm", "'batchnorm'", "layernorm"]),
    ("AddNorm", lambda: AddNorm(2)([[1.0, "x"]], [[1.0, 2.0]]), TypeError, ["AddNorm(2)", "'x'", "str"]),
    (
        "AddNorm",
        lambda: AddNorm(2)([[1.0, 2.0]], [[1.0, 2.0]] * 2),
        ValueError,
        ["AddNorm(2)", "1 vectors", "output 2"],
    ),
    ("TransformerBlock", lambda: TransformerBlock(0, 1), ValueError, ["TransformerBlock", "d_model", "0"]),
    (
        "TransformerBlock",
        lambda: TransformerBlock(6, 4),
        ValueError,
        ["TransformerBlock", "d_model=6", "n_head=4"],
    ),
    (
        "TransformerBlock",
        lambda: TransformerBlock(4, 2, norm="batch"),
        ValueError,
        ["TransformerBlock", "'batch'"],
    ),
    (
        "TransformerBlock",
        lambda: TransformerBlock(4, 2, activation="gelu"),
        ValueError,
        ["TransformerBlock", "'gelu'"],
    ),
    (
        "TransformerBlock",
        lambda: TransformerBlock(4, 2, d_ff=0),
        ValueError,
        ["TransformerBlock", "d_ff", "0"],
    ),
    (
        "TransformerBlock",
        lambda: TransformerBlock(4, 2)([["a"] * 4]),
        TypeError,
        ["TransformerBlock(d_model=4, n_head=2", "'a'", "str"],
    ),
    (
        "TransformerDecoderBlock",
        lambda: TransformerDecoderBlock(6, 4),
        ValueError,
        ["TransformerDecoderBlock", "d_model=6", "n_head=4"],
    ),
    (
        "TransformerDecoderBlock",
        lambda: TransformerDecoderBlock(4, 2, norm="batch"),
        ValueError,
        ["TransformerDecoderBlock", "'batch'"],
    ),
    (
        "TransformerDecoderBlock",
        lambda: TransformerDecoderBlock(4, 2)([[0.0] * 4], [[0.0] * 3]),
        ValueError,
        ["TransformerDecoderBlock(d_model=4, n_head=2", "length 3", "expected 4"],
    ),
    (
        "TransformerDecoderBlock",
        lambda: TransformerDecoderBlock(4, 2)([["a"] * 4], [[0.0] * 4]),
        TypeError,
        ["TransformerDecoderBlock(d_model=4, n_head=2", "'a'", "str"],
    ),
    (
        "TransformerDecoderBlock",
        lambda: TransformerDecoderBlock(4, 2)([[0.0] * 4], [0.0] * 4),
        TypeError,
        ["TransformerDecoderBlock(d_model=4", "single vector"],
    ),
    # ------------------------------------------------------------------- GPT
    ("GPT", lambda: GPT(5, 4, 1, 0, 1), ValueError, ["GPT", "n_embd", "0"]),
    ("GPT", lambda: GPT(5, 4, 1, 4, 3), ValueError, ["GPT", "n_embd=4", "n_head=3"]),
    ("GPT", lambda: GPT(5, 4, 1, 4, 2, norm="batchnorm"), ValueError, ["GPT", "'batchnorm'", "rmsnorm"]),
    ("GPT", lambda: GPT(5, 4, 1, 4, 2, d_ff=-1), ValueError, ["GPT", "d_ff", "-1"]),
    ("GPT", lambda: GPT(5, 4, 1, 4, 2, activation="gelu"), ValueError, ["GPT", "'gelu'"]),
    ("GPT", lambda: gpt()("abcdefg"), TypeError, [GPT_NAME, "token ids", "str"]),
    ("GPT", lambda: gpt()([[0, 1]]), TypeError, [GPT_NAME, "[0, 1]", "ints"]),
    ("GPT", lambda: gpt()([]), ValueError, [GPT_NAME, "at least one token id"]),
    ("GPT", lambda: gpt()([0, 1.0]), TypeError, [GPT_NAME, "1.0", "position 1"]),
    ("GPT.loss", lambda: gpt().loss(3, [1]), TypeError, [GPT_NAME, ".loss", "ids", "int"]),
    ("GPT.loss", lambda: gpt().loss([0, 1], [1.0, 2.0]), TypeError, [GPT_NAME, "1.0", "ints"]),
    (
        "GPT.evaluate",
        lambda: gpt().evaluate([0, 1, 2]),
        TypeError,
        ["GPT.evaluate", "document 0", "int", "[ids]"],
    ),
    ("GPT.evaluate", lambda: gpt().evaluate(5), TypeError, ["GPT.evaluate", "documents", "int"]),
    ("GPT.evaluate", lambda: gpt().evaluate(["abc"]), TypeError, ["GPT.evaluate", "document 0", "str"]),
    (
        "GPT.evaluate",
        lambda: gpt().evaluate([[0, 1], [0, 1, 2, 3, 4, 0]]),
        ValueError,
        ["GPT.evaluate", "document 1", "6 token ids", "block_size + 1 = 5"],
    ),
    ("GPT.evaluate", lambda: gpt().evaluate([[0]]), ValueError, ["GPT.evaluate", "at least 2", "got 1"]),
    ("GPT.evaluate", lambda: gpt().evaluate([]), ValueError, ["GPT.evaluate", "no documents"]),
    (
        "GPT.generate",
        lambda: gpt().generate([0], 0, temperature=-1.0),
        ValueError,
        ["GPT.generate", "temperature", "-1.0"],
    ),
    (
        "GPT.generate",
        lambda: gpt().generate([0], 1, temperature=math.inf),
        ValueError,
        ["GPT.generate", "inf"],
    ),
    (
        "GPT.generate",
        lambda: gpt().generate([0], 1, stop=5),
        ValueError,
        ["GPT.generate", "stop", "0..4", "5"],
    ),
    ("GPT.generate", lambda: gpt().generate([0], 1, stop=1.0), ValueError, ["GPT.generate", "stop", "1.0"]),
    ("GPT.generate", lambda: gpt().generate(0, 1), TypeError, [GPT_NAME, "token ids", "int"]),
    ("GPT.generate", lambda: gpt().generate([0, 9], 1), ValueError, [GPT_NAME, "token id 9", "0 <= id < 5"]),
    (
        "GPT.generate",
        lambda: gpt().generate([0], 1, top_k=True),
        ValueError,
        ["GPT.generate", "top_k", "True"],
    ),
    ("GPT.generate", lambda: gpt().generate([0], 2.0), ValueError, ["GPT.generate", "n", "2.0"]),
    # ------------------------------------------------------------- recurrent
    ("RNNCell", lambda: RNNCell(2, 3)(["a", "b"]), TypeError, ["RNNCell(2, 3)", "'a'", "str"]),
    (
        "GRUCell",
        lambda: GRUCell(2, 3)([1.0, 2.0], [[0.0]] * 3),
        TypeError,
        ["GRUCell(2, 3)", "[0.0]", "list"],
    ),
    (
        "LSTMCell",
        lambda: LSTMCell(2, 3)([1.0, 2.0], ([0.0] * 3, ["c"] * 3)),
        TypeError,
        ["LSTMCell(2, 3)", "'c'", "str"],
    ),
    (
        "run_sequence",
        lambda: run_sequence(RNNCell(2, 2), [1.0, 2.0]),
        TypeError,
        ["run_sequence", "single vector of 2 numbers", "[x]"],
    ),
    ("run_sequence", lambda: run_sequence(RNNCell(1, 1), "abc"), TypeError, ["run_sequence", "str"]),
    # -------------------------------------------------------------- word2vec
    ("Word2Vec", lambda: Word2Vec("cat"), TypeError, ["Word2Vec", "'cat'", "list of str"]),
    ("Word2Vec", lambda: Word2Vec(["a", "b"], counts=[1, 0]), ValueError, ["Word2Vec", "'b'", "count 0"]),
    ("Word2Vec", lambda: Word2Vec(["a"], counts=[1.5]), ValueError, ["Word2Vec", "'a'", "count 1.5"]),
    (
        "Word2Vec.from_sentences",
        lambda: Word2Vec.from_sentences(["the cat sat"]),
        TypeError,
        ["Word2Vec.from_sentences", "sentence 0", "'the cat sat'", "split"],
    ),
    (
        "Word2Vec.from_sentences",
        lambda: Word2Vec.from_sentences([["a", "b"]], min_count=2),
        ValueError,
        ["Word2Vec.from_sentences", "min_count=2", "2 distinct words"],
    ),
    ("Word2Vec.from_sentences", lambda: Word2Vec.from_sentences(7), TypeError, ["from_sentences", "int"]),
    ("Word2Vec.nearest", lambda: w2v().nearest("a", k=0), ValueError, ["Word2Vec.nearest", "k", "0"]),
    ("Word2Vec.nearest", lambda: w2v().nearest("a", k=1.5), ValueError, ["Word2Vec.nearest", "k", "1.5"]),
    ("Word2Vec.analogy", lambda: w2v().analogy("a", "b", "c", k=-1), ValueError, ["analogy", "k", "-1"]),
    ("analogy", lambda: analogy(w2v(), "a", "b", "c", k="1"), ValueError, ["analogy", "k", "'1'"]),
    (
        "cosine_similarity",
        lambda: cosine_similarity(["a"], ["b"]),
        TypeError,
        ["cosine_similarity", "'a'", "str"],
    ),
    (
        "cosine_similarity",
        lambda: cosine_similarity([[1.0]], [[1.0]]),
        TypeError,
        ["cosine_similarity", "[1.0]"],
    ),
    ("cosine_similarity", lambda: cosine_similarity("ab", "cd"), TypeError, ["cosine_similarity", "str"]),
    (
        "cosine_similarity",
        lambda: cosine_similarity([1.0, math.inf], [1.0, 1.0]),
        ValueError,
        ["cosine_similarity", "finite", "inf"],
    ),
    ("pca_2d", lambda: pca_2d([[1.0, 2.0], [10**400, 1.0]]), ValueError, ["pca_2d", "finite", "1000"]),
    ("log_sigmoid", lambda: log_sigmoid("x"), TypeError, ["log_sigmoid", "'x'", "str"]),
    ("sgns_loss", lambda: sgns_loss(w2v(), 7, [0], [[1]]), ValueError, ["sgns_loss", "center", "7", "0..2"]),
    ("sgns_loss", lambda: sgns_loss(w2v(), -1, [0], [[1]]), ValueError, ["sgns_loss", "center", "-1"]),
    ("sgns_loss", lambda: sgns_loss(w2v(), 0.0, [1], [[2]]), ValueError, ["sgns_loss", "center", "0.0"]),
    ("sgns_loss", lambda: sgns_loss(w2v(), 0, [-1], [[1]]), ValueError, ["sgns_loss", "contexts", "-1"]),
    ("sgns_loss", lambda: sgns_loss(w2v(), 0, [1], [[3]]), ValueError, ["sgns_loss", "negatives", "3"]),
    (
        "sgns_loss",
        lambda: sgns_loss(w2v(), 0, [1, 2], [[1]]),
        ValueError,
        ["sgns_loss", "2 context words", "1 lists of negatives"],
    ),
    ("sgns_loss", lambda: sgns_loss(w2v(), 0, 1, [[1]]), TypeError, ["sgns_loss", "contexts", "int"]),
    (
        "NoiseDistribution",
        lambda: NoiseDistribution("ab"),
        ValueError,
        ["NoiseDistribution", "counts", "'ab'"],
    ),
    (
        "NoiseDistribution",
        lambda: NoiseDistribution([1, 2], power="x"),
        ValueError,
        ["NoiseDistribution", "power"],
    ),
    (
        "subsample",
        lambda: subsample([0, 5], [1.0, 1.0], random.Random(0)),
        ValueError,
        ["subsample", "5", "0..1"],
    ),
    ("subsample", lambda: subsample([-1], [1.0], random.Random(0)), ValueError, ["subsample", "-1"]),
    (
        "skipgram_windows",
        lambda: skipgram_windows([0, 1], 0, random.Random(0)),  # at the call, not at the first next()
        ValueError,
        ["skipgram_windows", "window", "0"],
    ),
    ("train", lambda: train(w2v(), ["a b"]), TypeError, ["train", "sentence 0", "'a b'", "split"]),
    ("train", lambda: train(w2v(), [["a"]], window=0), ValueError, ["train", "window", "0"]),
    ("train", lambda: train(w2v(), [["a"]], lr=-0.1), ValueError, ["train", "lr", "-0.1"]),
    ("train", lambda: train(w2v(), [["a"]], epochs=-1), ValueError, ["train", "epochs", "-1"]),
    ("train", lambda: train(w2v(), [["a"]], negatives=1.5), ValueError, ["train", "negatives", "1.5"]),
    (
        "train",
        lambda: train(w2v(), [["a"]], subsample_threshold=-1),
        ValueError,
        ["train", "subsample_threshold", "-1"],
    ),
    ("train", lambda: train(MLP(2, [1]), [["a"]]), TypeError, ["train", "Word2Vec", "MLP"]),
    ("pca_2d", lambda: pca_2d(["ab", "cd"]), TypeError, ["pca_2d", "str"]),
    ("pca_2d", lambda: pca_2d([[1.0], [[2.0]]]), TypeError, ["pca_2d", "[2.0]", "list"]),
    ("pca_2d", lambda: pca_2d([[1.0, 2.0], [1.0]]), ValueError, ["pca_2d", "same length"]),
    ("pca_2d", lambda: pca_2d([[1.0], [2.0]], iterations=0), ValueError, ["pca_2d", "iterations", "0"]),
    # ------------------------------------------------------------------ BERT
    ("BERT", lambda: BERT(0, 4, 1, 4, 2), ValueError, ["BERT", "vocab_size", "0"]),
    ("BERT", lambda: BERT(8, 4, 1, 6, 4), ValueError, ["BERT", "d_model=6", "n_head=4"]),
    ("BERT", lambda: BERT(8, 4, 1, 4, 2, n_segments=-1), ValueError, ["BERT", "n_segments", "-1"]),
    ("BERT", lambda: bert_model()("abc"), TypeError, [BERT_NAME, "list of token ids", "str"]),
    ("BERT", lambda: bert_model()([1, 99]), ValueError, [BERT_NAME, "token id 99", "0 <= id < 8"]),
    ("BERT", lambda: bert_model()([1, 5, 6, 7, 2]), ValueError, [BERT_NAME, "5 token ids", "max_len=4"]),
    ("BERT", lambda: bert_model()([1, 2], segments=[0, 1]), ValueError, [BERT_NAME, "n_segments=0"]),
    ("BERT.encode", lambda: bert_model().encode([1.0]), TypeError, [BERT_NAME, "ints", "1.0"]),
    (
        "BERT.mlm_loss",
        lambda: bert_model().mlm_loss([1, 5, 2], "abc"),
        TypeError,
        [BERT_NAME + ".mlm_loss", "labels", "str"],
    ),
    (
        "BERT.mlm_loss",
        lambda: bert_model().mlm_loss([1, 5, 2], [-100, 5.0, -100]),
        ValueError,
        [BERT_NAME + ".mlm_loss", "label 1 is 5.0", "IGNORE"],
    ),
    ("WordTokenizer", lambda: WordTokenizer("abc"), TypeError, ["WordTokenizer", "list of str", "str"]),
    (
        "WordTokenizer",
        lambda: WordTokenizer(["a b"]),
        ValueError,
        ["WordTokenizer", "without spaces", "'a b'"],
    ),
    ("WordTokenizer", lambda: WordTokenizer(["[MASK]"]), ValueError, ["WordTokenizer", "special", "[MASK]"]),
    (
        "WordTokenizer.from_sentences",
        lambda: WordTokenizer.from_sentences(["the cat"]),
        TypeError,
        ["WordTokenizer.from_sentences", "sentence 0", "'the cat'", "split"],
    ),
    ("WordTokenizer.encode", lambda: word_tok().encode(5), TypeError, ["WordTokenizer.encode", "str", "5"]),
    (
        "WordTokenizer.decode",
        lambda: word_tok().decode([99]),
        ValueError,
        ["WordTokenizer.decode", "99", "0..7"],
    ),
    (
        "mask_tokens",
        lambda: mask_tokens("abc", word_tok(), random.Random(0)),
        TypeError,
        ["mask_tokens", "str"],
    ),
    ("mask_tokens", lambda: mask_tokens([1, 5, 2], word_tok(), 0), TypeError, ["mask_tokens", "rng", "int"]),
    (
        "mask_tokens",
        lambda: mask_tokens([1, 5, 2], word_tok(), random.Random(0), prob=0),
        ValueError,
        ["mask_tokens", "prob", "0"],
    ),
    (
        "mask_tokens",
        lambda: mask_tokens([1, 50], word_tok(), random.Random(0)),
        ValueError,
        ["mask_tokens", "id 50 at position 1", "0..7"],
    ),
    (
        "mask_tokens",
        lambda: mask_tokens([1, 2], word_tok(), random.Random(0)),
        ValueError,
        ["mask_tokens", "no word"],
    ),
    (
        "masked_lm_loss",
        lambda: masked_lm_loss([[1.0]], [0, 1]),
        ValueError,
        ["masked_lm_loss", "2 labels", "1 rows"],
    ),
    ("masked_lm_loss", lambda: masked_lm_loss([[1.0]], "a"), TypeError, ["masked_lm_loss", "labels", "str"]),
    ("fill_mask", lambda: fill_mask("m", word_tok(), "[MASK]"), TypeError, ["fill_mask", "BERT", "str"]),
    ("fill_mask", lambda: fill_mask(bert_model(), word_tok(), 3), TypeError, ["fill_mask", "[MASK]", "int"]),
    ("fill_mask", lambda: fill_mask(bert_model(), word_tok(), "a b"), ValueError, ["fill_mask", "got 0"]),
    (
        "fill_mask",
        lambda: fill_mask(bert_model(), word_tok(), "zebra [MASK]"),
        ValueError,
        ["fill_mask: WordTokenizer.encode", "'zebra'", "vocabulary"],
    ),
    ("BERTClassifier", lambda: BERTClassifier("m", 3), TypeError, ["BERTClassifier", "BERT", "str"]),
    (
        "BERTClassifier",
        lambda: BERTClassifier(bert_model(), 0),
        ValueError,
        ["BERTClassifier", "n_classes", "0"],
    ),
    (
        "BERTClassifier",
        lambda: BERTClassifier(bert_model(), 3, pool="cls"),
        ValueError,
        ["BERTClassifier", "'cls'", "'first'"],
    ),
    (
        "BERTClassifier.loss",
        lambda: BERTClassifier(bert_model(), 3).loss([1, 5, 2], 3),
        ValueError,
        ["BERTClassifier(n_classes=3, pool='first').loss", "0..2", "3"],
    ),
    ("sense_corpus", lambda: sense_corpus(seed="a"), TypeError, ["sense_corpus", "seed", "'a'"]),
    ("sense_corpus", lambda: sense_corpus(size=5), ValueError, ["sense_corpus", "size", "5"]),
    ("sense_corpus", lambda: sense_corpus(held_out=1.0), ValueError, ["sense_corpus", "held_out", "1.0"]),
    # -------------------------------------------------------------- datasets
    ("split_digits", lambda: datasets.split_digits("digits"), TypeError, ["split_digits", "str"]),
    (
        "split_digits",
        lambda: datasets.split_digits([1, 2, 3], n_test=3),
        ValueError,
        ["split_digits", "1..2", "3"],
    ),
    (
        "split_digits",
        lambda: datasets.split_digits([1, 2], n_test=0),
        ValueError,
        ["split_digits", "n_test", "0"],
    ),
    (
        "split_digits",
        lambda: datasets.split_digits([1, 2], seed="0"),
        TypeError,
        ["split_digits", "seed", "'0'"],
    ),
    ("make_moons", lambda: datasets.make_moons("3"), ValueError, ["make_moons", "n", "'3'"]),
    ("make_moons", lambda: datasets.make_moons(10, noise=-1), ValueError, ["make_moons", "noise", "-1"]),
    ("make_moons", lambda: datasets.make_moons(10, rng=1), TypeError, ["make_moons", "rng", "int"]),
    ("as_image", lambda: datasets.as_image([[0] * 8] * 7), TypeError, ["as_image", "8 rows of 8"]),
    ("as_vector", lambda: datasets.as_vector([[17] * 8] * 8), ValueError, ["as_vector", "0..16", "17"]),
    ("DigitCNN", lambda: digits_model.DigitCNN(channels=0), ValueError, ["DigitCNN", "channels", "0"]),
    ("DigitCNN", lambda: digits_model.DigitCNN()([[1.0, 2.0]]), TypeError, ["Conv2d", "[C][H][W]"]),
    # -------------------------------------------------------------- treebank
    (
        "Sentence",
        lambda: Sentence("dogs bark", ["NOUN"]),
        TypeError,
        ["Sentence", "words", "list of str", "str"],
    ),
    ("Sentence", lambda: Sentence(["dogs"], ["NOUN", "VERB"]), ValueError, ["Sentence", "1 words", "2 tags"]),
    ("Sentence", lambda: Sentence(["a b"], ["X"]), ValueError, ["Sentence", "words[0]", "without spaces"]),
    ("Sentence", lambda: Sentence(["a"], ["X"], [0]), ValueError, ["Sentence", "both heads and labels"]),
    (
        "Sentence",
        lambda: Sentence(["a"], ["X"], [3], ["root"]),
        ValueError,
        ["Sentence", "word 1", "0..1", "3"],
    ),
    ("parse_conllu", lambda: parse_conllu(b"1\tcat"), TypeError, ["parse_conllu", "str", "bytes"]),
    ("format_conllu", lambda: format_conllu(dogs_bark()), TypeError, ["format_conllu", "list of Sentence"]),
    ("format_conllu", lambda: format_conllu(["dogs bark"]), TypeError, ["format_conllu", "entry 0", "str"]),
    ("write_conllu", lambda: write_conllu("dogs", "x.conllu"), TypeError, ["format_conllu", "str"]),
    ("generate_treebank", lambda: generate_treebank(0), ValueError, ["generate_treebank", "n", "0"]),
    ("generate_treebank", lambda: generate_treebank(3, seed="1"), TypeError, ["generate_treebank", "seed"]),
    (
        "split_treebank",
        lambda: split_treebank([dogs_bark()] * 4, held_out=20),
        ValueError,
        ["split_treebank", "held_out", "20"],
    ),
    (
        "split_treebank",
        lambda: split_treebank([dogs_bark()]),
        ValueError,
        ["split_treebank", "at least 2", "1"],
    ),
    # ---------------------------------------------------------------- parser
    ("Move", lambda: Move("REDUCE"), ValueError, ["Move", "kind", "'REDUCE'", "SHIFT"]),
    ("Move", lambda: Move("LEFT-ARC"), ValueError, ["Move", "LEFT-ARC", "label", "None"]),
    ("Move", lambda: Move("SHIFT", "det"), ValueError, ["Move", "SHIFT", "no label", "'det'"]),
    ("moves_for", lambda: moves_for(["det"]), ValueError, ["moves_for", "'root'", "['det']"]),
    ("moves_for", lambda: moves_for("root"), ValueError, ["moves_for", "list of labels"]),
    ("Configuration", lambda: Configuration(["dogs"]), TypeError, ["Configuration", "Sentence", "list"]),
    (
        "Configuration.apply",
        lambda: Configuration(dogs_bark()).apply("SHIFT"),
        TypeError,
        ["Configuration.apply", "Move", "str"],
    ),
    (
        "Configuration.apply",
        lambda: Configuration(dogs_bark()).apply(Move("RIGHT-ARC", "root")),
        ValueError,
        ["RIGHT-ARC(root) is not legal here", "two words on the stack"],
    ),
    ("oracle", lambda: oracle("dogs bark"), TypeError, ["oracle", "Sentence", "str"]),
    ("oracle", lambda: oracle(Sentence(["a"], ["X"])), ValueError, ["oracle", "'a'", "no gold tree"]),
    (
        "replay",
        lambda: replay(dogs_bark(), [Move("SHIFT")]),
        ValueError,
        ["replay", "1 moves", "a tree needs 4"],
    ),
    ("Vocabulary", lambda: Vocabulary("abc", [], ["root"]), TypeError, ["Vocabulary", "words", "'abc'"]),
    ("Vocabulary", lambda: Vocabulary([], [], ["det"]), ValueError, ["Vocabulary", "'root'", "['det']"]),
    (
        "Vocabulary.from_sentences",
        lambda: Vocabulary.from_sentences([Sentence(["a"], ["X"])]),
        TypeError,
        ["Vocabulary.from_sentences", "entry 0", "with a tree"],
    ),
    (
        "Vocabulary.from_sentences",
        lambda: Vocabulary.from_sentences(dogs_bark()),
        TypeError,
        ["Vocabulary.from_sentences", "list of Sentence"],
    ),
    (
        "Vocabulary.from_dict",
        lambda: Vocabulary.from_dict({}),
        ValueError,
        ["Vocabulary.from_dict", "lexicon"],
    ),
    (
        "tag_words",
        lambda: tag_words("dogs bark", dep_parser().vocab),
        TypeError,
        ["tag_words", "split", "str"],
    ),
    ("tag_words", lambda: tag_words([1], dep_parser().vocab), TypeError, ["tag_words", "1"]),
    (
        "feature_positions",
        lambda: feature_positions(dogs_bark()),
        TypeError,
        ["feature_positions", "Configuration", "Sentence"],
    ),
    (
        "extract_features",
        lambda: extract_features(Configuration(dogs_bark()), None),
        TypeError,
        ["extract_features", "Vocabulary", "NoneType"],
    ),
    ("Parser", lambda: Parser("vocab"), TypeError, ["Parser", "Vocabulary", "str"]),
    ("Parser", lambda: Parser(dep_parser().vocab, hidden=0), ValueError, ["Parser", "hidden", "0"]),
    (
        "Parser",
        lambda: Parser(dep_parser().vocab, activation="tanh"),
        ValueError,
        ["Parser", "'tanh'", "cube"],
    ),
    ("Parser", lambda: dep_parser()([1, 2, 3]), ValueError, [PARSER_NAME, "24 feature ids", "[1, 2, 3]"]),
    ("Parser", lambda: dep_parser()([0] * 24, [9]), ValueError, [PARSER_NAME, "legal move 9", "0..4"]),
    ("Parser", lambda: dep_parser()([0] * 24, []), ValueError, [PARSER_NAME, "non-empty list", "legal"]),
    ("Parser", lambda: dep_parser()([99] + [0] * 23), ValueError, ["Embedding(5, 8)", "token id 99"]),
    (
        "Parser.loss",
        lambda: dep_parser().loss([0] * 24, [0], 2),
        ValueError,
        [PARSER_NAME, ".loss", "2", "[0]"],
    ),
    ("Parser.parse", lambda: dep_parser().parse("dogs bark"), TypeError, [PARSER_NAME, ".parse", "Sentence"]),
    (
        "Parser.parse_steps",
        lambda: list(dep_parser().parse_steps(["dogs"])),
        TypeError,
        [PARSER_NAME, ".parse", "list"],
    ),
    (
        "training_examples",
        lambda: training_examples(dep_parser(), dogs_bark()),
        TypeError,
        ["training_examples", "list of Sentence"],
    ),
    (
        "training_examples",
        lambda: training_examples(dep_parser(), [dogs_bark()], unk_rate=1.0),
        ValueError,
        ["training_examples", "unk_rate", "1.0"],
    ),
    ("batch_loss", lambda: batch_loss(dep_parser(), []), ValueError, ["batch_loss", "empty"]),
    (
        "attachment_scores",
        lambda: attachment_scores([dogs_bark()], []),
        ValueError,
        ["attachment_scores", "1 gold", "0 predicted"],
    ),
    (
        "attachment_scores",
        lambda: attachment_scores(dogs_bark(), [dogs_bark()]),
        TypeError,
        ["attachment_scores", "gold", "list of Sentence"],
    ),
    (
        "attachment_scores",
        lambda: attachment_scores([dogs_bark()], [Sentence(["dogs", "bark"], ["NOUN", "VERB"])]),
        ValueError,
        ["attachment_scores", "sentence 0", "tree on both sides"],
    ),
    (
        "baseline_uas",
        lambda: baseline_uas(["dogs bark"]),
        TypeError,
        ["baseline_uas", "entry 0", "'dogs bark'"],
    ),
    # ------------------------------------------------------------- datasets
    # ------------------------------------------------------------- translate
    ("Vocab", lambda: Vocab("chat"), TypeError, ["Vocab", "list of words", "str"]),
    ("Vocab", lambda: Vocab(["la maison"]), ValueError, ["Vocab", "without spaces", "'la maison'"]),
    ("Vocab", lambda: Vocab(["<eos>"]), ValueError, ["Vocab", "special", "'<eos>'"]),
    ("Vocab.encode", lambda: Vocab(["la"]).encode(["la"]), TypeError, ["Vocab.encode", "str", "list"]),
    (
        "Vocab.encode",
        lambda: Vocab(["la"]).encode("la maison"),
        ValueError,
        ["Vocab.encode", "unknown", "'maison'"],
    ),
    ("Vocab.encode", lambda: Vocab(["la"]).encode("  "), ValueError, ["Vocab.encode", "no words"]),
    ("Vocab.decode", lambda: Vocab(["la"]).decode([2.0]), ValueError, ["Vocab.decode", "0..2", "2.0"]),
    ("Seq2Seq", lambda: Seq2Seq(5, 4, attention="luong"), ValueError, ["Seq2Seq", "attention", "'luong'"]),
    (
        "Seq2Seq",
        lambda: Seq2Seq(5, 4, bidirectional="no"),
        TypeError,
        ["Seq2Seq", "bidirectional", "'no'"],
    ),
    ("Seq2Seq", lambda: Seq2Seq(5, 2), ValueError, ["Seq2Seq", "tgt_vocab_size", "at least 3", "2"]),
    (
        "Seq2Seq",
        lambda: Seq2Seq(5, 4, attention=None, lexical=True),
        ValueError,
        ["Seq2Seq", "lexical", "needs attention"],
    ),
    ("Seq2Seq", lambda: Seq2Seq(5, 4, lexical=1), TypeError, ["Seq2Seq", "lexical", "1"]),
    ("Seq2Seq", lambda: Seq2Seq(5, 4, hidden_size=0), ValueError, ["GRUCell", "hidden_size", "0"]),
    (
        "Seq2Seq.loss",
        lambda: seq2seq().loss("la maison", [2]),
        TypeError,
        ["Seq2Seq(src_vocab=5", "token ids", "str"],
    ),
    (
        "Seq2Seq.loss",
        lambda: seq2seq().loss([0], [4]),
        ValueError,
        ["Seq2Seq(src_vocab=5", "token id 4", "< 4"],
    ),
    (
        "Seq2Seq.translate",
        lambda: seq2seq().translate([0], beam_size=0),
        ValueError,
        ["Seq2Seq", ".translate", "beam_size", "0"],
    ),
    (
        "Seq2Seq.translate",
        lambda: seq2seq().translate([9]),
        ValueError,
        ["Seq2Seq(src_vocab=5", "token id 9"],
    ),
    (
        "Seq2Seq.alignment",
        lambda: seq2seq().alignment([0], []),
        ValueError,
        ["Seq2Seq(src_vocab=5", "at least one token id"],
    ),
    (
        "greedy_decode",
        lambda: greedy_decode(eos_step, None, max_len=0),
        ValueError,
        ["greedy_decode", "max_len", "0"],
    ),
    (
        "greedy_decode",
        lambda: greedy_decode(eos_step, None, eos=-1),
        ValueError,
        ["greedy_decode", "eos", "-1"],
    ),
    (
        "beam_search",
        lambda: beam_search(eos_step, None, beam_size=2.0),
        ValueError,
        ["beam_search", "beam_size", "2.0"],
    ),
    (
        "beam_search",
        lambda: beam_search(eos_step, None, alpha=-1),
        ValueError,
        ["beam_search", "alpha", "-1"],
    ),
    (
        "beam_search",
        lambda: beam_search([0.5, 0.5], None),
        TypeError,
        ["beam_search", "step must be a function", "list"],
    ),
    (
        "beam_search_steps",  # at the call, not at the first next()
        lambda: beam_search_steps(eos_step, None, max_len=True),
        ValueError,
        ["beam_search", "max_len", "True"],
    ),
    ("corpus_bleu", lambda: corpus_bleu(["a b"], "a b"), TypeError, ["corpus_bleu", "hypotheses", "str"]),
    (
        "corpus_bleu",
        lambda: corpus_bleu([["a", 1]], ["a b"]),
        TypeError,
        ["corpus_bleu", "reference 0", "['a', 1]"],
    ),
    (
        "corpus_bleu",
        lambda: corpus_bleu([[]], ["a b"]),
        TypeError,
        ["corpus_bleu", "reference 0", "non-empty"],
    ),
    (
        "TransformerTranslator",
        lambda: TransformerTranslator(5, 5, d_model=6, n_head=4),
        ValueError,
        ["TransformerTranslator", "d_model=6", "n_head=4"],
    ),
    (
        "TransformerTranslator",
        lambda: TransformerTranslator(5, 2),
        ValueError,
        ["TransformerTranslator", "tgt_vocab_size", "at least 3", "2"],
    ),
    (
        "TransformerTranslator",
        lambda: TransformerTranslator(5, 5, n_layer=0),
        ValueError,
        ["TransformerTranslator", "n_layer", "0"],
    ),
    (
        "noun_adjective_pairs",
        lambda: data_translation.noun_adjective_pairs(["la", "maison"]),
        TypeError,
        ["noun_adjective_pairs", "str", "list"],
    ),
    (
        "validation_split",
        lambda: data_translation.validation_split([("la maison", "the house")], fraction=1.5),
        ValueError,
        ["validation_split", "fraction", "1.5"],
    ),
    (
        "validation_split",
        lambda: data_translation.validation_split(["la maison"]),
        TypeError,
        ["validation_split", "(french, english) pairs"],
    ),
    ("tokenize", lambda: tatoeba.tokenize(3), TypeError, ["tokenize", "str", "int"]),
    (
        "group_by_french",
        lambda: tatoeba.group_by_french([("Go.", "Va !")]),
        TypeError,
        ["group_by_french", "TatoebaPair"],
    ),
    (
        "split_by_french",
        lambda: tatoeba.split_by_french([("va !", ["go ."])] * 5, test_fraction=0.0),
        ValueError,
        ["split_by_french", "test_fraction", "0.0"],
    ),
    (
        "split_by_french",
        lambda: tatoeba.split_by_french([("va !", ["go ."])] * 3, test_fraction=0.1),
        ValueError,
        ["split_by_french", "3 sentences", "at least one on each side"],
    ),
    (
        "split_by_french",
        lambda: tatoeba.split_by_french([("va !", ["go ."])] * 30, seed=1.5),
        TypeError,
        ["split_by_french", "seed", "1.5"],
    ),
    (
        "corpus_bleu",
        lambda: corpus_bleu(["a"], ["a", "b"]),
        ValueError,
        ["corpus_bleu", "1 references", "2 hypotheses"],
    ),
    ("corpus_bleu", lambda: corpus_bleu([], []), ValueError, ["corpus_bleu", "no sentences"]),
    ("corpus_bleu", lambda: corpus_bleu(["a"], ["a"], max_n=0), ValueError, ["corpus_bleu", "max_n", "0"]),
    ("ngram_counts", lambda: ngram_counts(["a"], 0), ValueError, ["ngram_counts", "n", "0"]),
    (
        "make_corpus",
        lambda: data_translation.make_corpus(n_test=-1),
        ValueError,
        ["make_corpus", "n_test", "-1"],
    ),
    (
        "make_corpus",
        lambda: data_translation.make_corpus(max_train_words=1),
        ValueError,
        ["make_corpus", "max_train_words", "1"],
    ),
    (
        "make_corpus",
        lambda: data_translation.make_corpus(held_out_fraction=0.0),
        ValueError,
        ["make_corpus", "held_out_fraction", "0.0"],
    ),
    (
        "make_corpus",
        lambda: data_translation.make_corpus(held_out_fraction="0.1"),
        ValueError,
        ["make_corpus", "held_out_fraction", "'0.1'"],
    ),
    # -------------------------------------------------------------- datasets
    ("CharTokenizer", lambda: CharTokenizer(123), TypeError, ["CharTokenizer", "int"]),
    (
        "CharTokenizer",
        lambda: CharTokenizer("abc", bos_char=".."),
        ValueError,
        ["CharTokenizer", "bos_char", "'..'"],
    ),
    (
        "CharTokenizer.from_texts",
        lambda: CharTokenizer.from_texts([1, 2]),
        TypeError,
        ["CharTokenizer.from_texts", "list of str", "1"],
    ),
    ("CharTokenizer.encode", lambda: tok().encode(123), TypeError, ["CharTokenizer.encode", "str", "int"]),
    (
        "CharTokenizer.encode",
        lambda: tok().encode(["ab"]),
        TypeError,
        ["CharTokenizer.encode", "str", "list"],
    ),
    (
        "CharTokenizer.encode_document",
        lambda: tok().encode_document(None),
        TypeError,
        ["CharTokenizer.encode", "NoneType"],
    ),
    (
        "CharTokenizer.decode",
        lambda: tok().decode([1.5]),
        ValueError,
        ["CharTokenizer.decode", "1.5", "0..3"],
    ),
    ("CharTokenizer.decode", lambda: tok().decode("ab"), ValueError, ["CharTokenizer.decode", "'a'", "0..3"]),
    # ---------------------------------------------------------------- Module
    ("shape_of", lambda: shape_of("ab"), TypeError, ["shape_of", "str"]),
    ("shape_of", lambda: shape_of([1.0, 2.0]), TypeError, ["shape_of", "float"]),
    (
        "Module.load_state_dict",
        lambda: Linear(1, 1).load_state_dict({"weight": [[10**400]], "bias": [0.0]}),
        ValueError,
        ["Linear.load_state_dict", "'weight'", "finite numbers"],
    ),
    # -------------------------------------------------------------- stepping
    (
        "forward_steps",
        lambda: list(stepping.forward_steps("x")),
        TypeError,
        ["forward_steps", "Value", "str"],
    ),
    (
        "forward_steps",
        lambda: list(stepping.forward_steps(x2(), params="x")),
        TypeError,
        ["forward_steps", "params", "str"],
    ),
    (
        "forward_steps",
        lambda: list(stepping.forward_steps(x2(), params=[1.0])),
        TypeError,
        ["forward_steps", "1.0"],
    ),
    # ------------------------------------------------------------------- viz
    ("draw_dot", lambda: viz.draw_dot(x2(), max_nodes="300"), ValueError, ["draw_dot", "max_nodes", "'300'"]),
    ("draw_dot", lambda: viz.draw_dot(x2(), rankdir="XY"), ValueError, ["draw_dot", "rankdir", "'XY'", "LR"]),
    (
        "draw_dot",
        lambda: viz.draw_dot(x2(), renderer="cairo"),
        ValueError,
        ["draw_dot", "renderer", "'cairo'"],
    ),
    ("draw_dot", lambda: viz.draw_dot(x2(), params="x"), TypeError, ["draw_dot", "params=", "str"]),
    ("draw_dot", lambda: viz.draw_dot(x2(), params=[1.0]), TypeError, ["draw_dot", "params=", "1.0"]),
    ("draw_dot", lambda: viz.draw_dot("x"), TypeError, ["draw_dot", "Value", "str"]),
    ("format_number", lambda: viz.format_number("a"), TypeError, ["format_number", "'a'", "str"]),
    ("format_exact", lambda: viz.format_exact(True), TypeError, ["format_exact", "True", "bool"]),
    (
        "normalise_sentence",
        lambda: normalise_sentence(["the", "cat"]),
        TypeError,
        ["normalise_sentence", "expected a str", "list"],
    ),
    ("grad_color", lambda: viz.grad_color(1.0, None), TypeError, ["grad_color", "scale", "None"]),
    ("assign_modules", lambda: viz.assign_modules("x", Linear(1, 1)), TypeError, ["assign_modules", "str"]),
    ("assign_modules", lambda: viz.assign_modules(x2(), "x"), TypeError, ["assign_modules", "model", "str"]),
    (
        "stepping_page",
        lambda: viz.stepping_page(x2(), params="x"),
        TypeError,
        ["stepping_page", "params=", "str"],
    ),
    ("stepping_page", lambda: viz.stepping_page(x2(), params=[1.0]), TypeError, ["stepping_page", "1.0"]),
    ("stepping_page", lambda: viz.stepping_page(x2(), title=3), TypeError, ["stepping_page", "title", "int"]),
    (
        "stepping_page",
        lambda: viz.stepping_page(x2(), max_nodes=0),
        ValueError,
        ["stepping_page", "max_nodes", "0"],
    ),
    (
        "write_stepping_page",
        lambda: viz.write_stepping_page("x", "x.html"),
        TypeError,
        ["stepping_page", "str"],
    ),
    ("choose_renderer", lambda: viz.choose_renderer("svg"), ValueError, ["renderer must be one of", "'svg'"]),
    ("render_bytes", lambda: viz.render_bytes(x2(), "jpeg"), ValueError, ["format must be one of", "'jpeg'"]),
    ("render", lambda: viz.render(x2(), "graph.bmp"), ValueError, ["render", "'bmp'", ".svg"]),
    (
        "draw_blocks",
        lambda: viz.draw_blocks(nn.Linear(2, 2)),
        TypeError,
        ["draw_blocks", "lecture", "Linear"],
    ),
    (
        "draw_blocks",
        lambda: viz.draw_blocks(lecture.FeedForward(4), renderer="png"),
        ValueError,
        ["draw_blocks", "renderer"],
    ),
    ("draw_tree", lambda: viz.draw_tree("dogs bark"), TypeError, ["draw_tree", "Sentence", "str"]),
    (
        "draw_tree",
        lambda: viz.draw_tree(Sentence(["a"], ["X"])),
        ValueError,
        ["draw_tree", "'a'", "no tree", "parse it first"],
    ),
    (
        "draw_tree",
        lambda: viz.draw_tree(dogs_bark(), gold=Sentence(["a"], ["X"], [0], ["root"])),
        ValueError,
        ["draw_tree", "gold", "same words"],
    ),
    ("draw_tree", lambda: viz.draw_tree(dogs_bark(), renderer="png"), ValueError, ["draw_tree", "renderer"]),
    ("draw_tree", lambda: viz.draw_tree(dogs_bark(), title=3), TypeError, ["draw_tree", "title", "int"]),
    (
        "stepping_page",
        lambda: viz.stepping_page(x2(), quiz="yes"),
        TypeError,
        ["stepping_page", "quiz", "'yes'"],
    ),
    (
        "model_view_data",
        lambda: viz.model_view_data("x", tok(), ".a"),
        TypeError,
        ["model view", "GPT or a BERT", "str"],
    ),
    (
        "model_view_data",
        lambda: viz.model_view_data(gpt(), tok(), ".a"),
        ValueError,
        ["model view", "4 tokens", "5"],
    ),
    (
        "write_model_view",
        lambda: viz.write_model_view(gpt(), CharTokenizer("abcd"), " ", "view.html"),
        ValueError,
        ["model view", "prompt is empty"],
    ),
    (
        "model_view_data",
        lambda: viz.model_view_data(
            gpt(), CharTokenizer("abcd"), ".a", snapshots=[{"step": 0, "state_dict": {"wte.weight": [[1.0]]}}]
        ),
        ValueError,
        ["model view", "snapshot 0", "state_dict names"],
    ),
    (
        "write_model_view",
        lambda: viz.write_model_view(gpt(), CharTokenizer("abcd"), 3, "view.html"),
        TypeError,
        ["model view", "prompt", "int"],
    ),
    ("explain_grad", lambda: viz.explain_grad("x", x2()), TypeError, ["explain_grad", "node", "str"]),
    (
        "explain_grad",
        lambda: viz.explain_grad(Value(1.0, label="w"), x2()),
        ValueError,
        ["explain_grad", "'w'", "not in the graph"],
    ),
    ("TrainingRecorder", lambda: viz.TrainingRecorder("w"), TypeError, ["TrainingRecorder", "params", "str"]),
    ("TrainingRecorder", lambda: viz.TrainingRecorder([]), ValueError, ["TrainingRecorder", "empty"]),
    (
        "TrainingRecorder",
        lambda: viz.TrainingRecorder([1.0]),
        TypeError,
        ["TrainingRecorder", "Values", "1.0"],
    ),
    (
        "TrainingRecorder",
        lambda: viz.TrainingRecorder([Value(1.0)], every=0),
        ValueError,
        ["TrainingRecorder", "every", "0"],
    ),
    (
        "TrainingRecorder",
        lambda: viz.TrainingRecorder([Value(1.0)], points=[(0.0, 1.0)]),
        ValueError,
        ["TrainingRecorder", "labels="],
    ),
    (
        "TrainingRecorder",
        lambda: viz.TrainingRecorder([Value(1.0)], points=[(0.0, 1.0)], labels=[1]),
        ValueError,
        ["TrainingRecorder", "score=", "nn.MLP"],
    ),
    (
        "TrainingRecorder",
        lambda: viz.TrainingRecorder(MLP(2, [2, 1]), points=[(0.0, 1.0, 2.0)], labels=[1]),
        ValueError,
        ["TrainingRecorder", "pair (x, y)"],
    ),
    (
        "TrainingRecorder.record",
        lambda: viz.TrainingRecorder([Value(1.0)]).record("0", 1.0),
        TypeError,
        ["TrainingRecorder.record", "step", "'0'"],
    ),
    (
        "TrainingRecorder.record",
        lambda: viz.TrainingRecorder([Value(1.0)]).record(0, math.nan),
        ValueError,
        ["TrainingRecorder.record", "loss", "nan", "diverged"],
    ),
    (
        "TrainingRecorder.record",
        lambda: viz.TrainingRecorder([Value(1.0)]).record(0, 1.0, accuracy="high"),
        TypeError,
        ["TrainingRecorder.record", "accuracy", "'high'"],
    ),
    (
        "TrainingRecorder.page",
        lambda: viz.TrainingRecorder([Value(1.0)]).page(),
        ValueError,
        ["TrainingRecorder", "nothing recorded", "record()"],
    ),
    (
        "mlp_grid_scores",
        lambda: viz.mlp_grid_scores(Linear(2, 1)),
        TypeError,
        ["mlp_grid_scores", "nn.MLP", "Linear"],
    ),
    (
        "mlp_grid_scores",
        lambda: viz.mlp_grid_scores(MLP(3, [1])),
        ValueError,
        ["mlp_grid_scores", "2 inputs"],
    ),
    ("grid_letters", lambda: viz.training.grid_letters(["ab"]), TypeError, ["grid_letters", "'ab'"]),
    ("grid_letters", lambda: viz.training.grid_letters([[math.nan]]), TypeError, ["grid_letters", "nan"]),
    ("render", lambda: viz.render(x2(), "graph.svg", timeout=0), ValueError, ["render", "timeout", "0"]),
    (
        "render_bytes",
        lambda: viz.render_bytes(x2(), timeout=math.inf),
        ValueError,
        ["timeout", "finite", "inf"],
    ),
    (
        "draw_dot",
        lambda: viz.draw_dot(x2(), group=Linear(1, 1), collapse="Nope"),
        ValueError,
        ["draw_dot", "collapse='Nope'", "its modules are Linear"],
    ),
]

# Public names whose inputs are checked in another test file, or that take
# nothing a learner could get wrong, with the reason.
# The lecture's blocks (their shape and composition errors in full: test_lecture.py).
LECTURE_CASES = [
    ("EmbedToken", lambda: lecture.EmbedToken(0, 4), ValueError, ["EmbedToken", "vocab", "positive int"]),
    ("EmbedToken", lambda: lecture.EmbedToken(5, 4)([7]), ValueError, ["EmbedToken(5, 4)", "token id 7"]),
    (
        "EmbedToken",
        lambda: lecture.EmbedToken(5, 4)("cat"),
        TypeError,
        ["EmbedToken(5, 4)", "token ids", "str"],
    ),
    (
        "FeedForward",
        lambda: lecture.FeedForward(4)([[0.0] * 3]),
        ValueError,
        ["FeedForward(4, 16)", "(T, 4)", "(1, 3)"],
    ),
    ("Conv", lambda: lecture.Conv(1, 2, size=0), ValueError, ["Conv", "size", "positive int"]),
    ("MaxPool", lambda: lecture.MaxPool(2)([1.0, 2.0]), TypeError, ["MaxPool(2)", "image", "vector (2,)"]),
    ("SimpleRNN", lambda: lecture.SimpleRNN(0), ValueError, ["SimpleRNN", "dim", "positive int"]),
    ("LSTM", lambda: lecture.LSTM(4)(None, [1.0]), ValueError, ["LSTM(4)", "vector (4,)", "(1,)"]),
    ("SequenceRNN", lambda: lecture.SequenceRNN(3), TypeError, ["SequenceRNN", "SimpleRNN or an LSTM", "3"]),
    (
        "Attention",
        lambda: lecture.Attention(4, causal="yes"),
        TypeError,
        ["Attention", "causal", "True or False"],
    ),
    ("AddNorm", lambda: lecture.AddNorm(nn.Linear(2, 2)), TypeError, ["AddNorm", "f must be a block"]),
    (
        "NormAdd",
        lambda: lecture.NormAdd(lecture.SequenceRNN(lecture.LSTM(8, input_dim=4))),
        ValueError,
        ["NormAdd", "width it reads", "8"],
    ),
    ("TransformerBlock", lambda: lecture.TransformerBlock(8, heads=3), ValueError, ["d_model=8", "n_head=3"]),
    ("Stack", lambda: lecture.Stack([]), TypeError, ["Stack", "non-empty list"]),
    ("BERT", lambda: lecture.BERT(10, 8, 0), ValueError, ["BERT", "layers", "positive int"]),
    (
        "GenerateToken",
        lambda: lecture.GenerateToken(lecture.EmbedToken(5, 4), vocab=6),
        ValueError,
        ["GenerateToken", "5 tokens", "vocab=6"],
    ),
    (
        "LanguageModel",
        lambda: lecture.LanguageModel(nn.Embedding(5, 4), lecture.SequenceRNN(lecture.LSTM(4))),
        TypeError,
        ["LanguageModel", "EmbedToken first", "Embedding"],
    ),
    (
        "LanguageModel.loss",
        lambda: lecture.LanguageModel(lecture.EmbedToken(5, 4), lecture.SequenceRNN(lecture.LSTM(4))).loss(
            [3]
        ),
        ValueError,
        ["LanguageModel", "at least 2 tokens", "got 1"],
    ),
    (
        "SequenceToSequence",
        lambda: lecture.SequenceToSequence(5, 2, 4),
        ValueError,
        ["SequenceToSequence", "target_vocab", "<eos>"],
    ),
    (
        "SequenceToSequence.translate",
        lambda: lecture.SequenceToSequence(5, 5, 4).translate([1], max_len=0),
        ValueError,
        ["SequenceToSequence.translate", "max_len"],
    ),
]
CASES += LECTURE_CASES


CHECKED_ELSEWHERE = {
    "Value": "test_engine.py: ERRORS (Value(data), every op's operands and domain)",
    "detect_anomaly": "takes no arguments",
    "no_grad": "takes no arguments",
    "tape": "takes no arguments (test_tape.py)",
    "is_grad_enabled": "takes no arguments",
    "Optimizer": "the base class: its checks run in the SGD/Adam/AdamW rows (and test_optim.py)",
    "Module": "load_state_dict: test_nn_core.py (bad_states); save/load: test_save_load.py and below",
    "load_names": "takes no arguments",
    "load_digits": "takes no arguments",
    "load_word2vec_corpus": "takes no arguments",
    "Digit": "a type: (image, label), read, not called",
    "read_sentences": "takes a path: open() raises FileNotFoundError naming it",
    "backward_steps": "test_stepping.py (expected a Value; zero_grad must be a bool)",
    "formula_name": "a text helper for drawings: any Value and index give a name",
    "named_expression": "a text helper for drawings: any op name gives a text",
    "expression": "a text helper for drawings: any op name gives a text",
    "operand_names": "a text helper for drawings",
    "reference": "a text helper for drawings",
    "rule_text": "a text helper for drawings: an unknown op says so in the text",
    "RendererUnavailable": "an exception class",
    "RenderTimeout": "an exception class",
    "DEFAULT_TIMEOUT": "a constant",
    "DEFAULT_MAX_NODES": "a constant",
    "IGNORE": "a constant (the label of a position with nothing to guess)",
    "SPECIAL_TOKENS": "a constant",
    "SENSES": "a constant (the ambiguous words and their senses)",
    "TOPICS": "a constant",
    "LabelledSentence": "a record sense_corpus returns: not called with user input",
    "SenseCorpus": "a record sense_corpus returns: not called with user input",
    "LABELS": "a constant: the treebank's label set",
    "FEATURES": "a constant: the names of the parser's 24 features",
    "load_handwritten": "takes no arguments",
    "read_conllu": "takes a path: open() raises FileNotFoundError naming it; bad lines: test_parser.py",
    "BOS": "a constant (the id of <bos>)",
    "UNK": "a constant (the id of <unk> in a Vocab(unknown=True))",
    "Translator": "the base class: its translate() checks run in the Seq2Seq rows",
    "english_word_class": "a lookup: any word gives a class ('unknown' for a word not in the grammar)",
    "load_tatoeba": "takes no arguments",
    "TatoebaPair": "a type: (english, french, attribution), read, not called",
    "TATOEBA_FILE": "a constant: the file's name in the package",
    "EOS": "a constant (the id of <eos>)",
    "Hypothesis": "what beam_search returns: not called by a learner",
    "TranslationCorpus": "what make_corpus returns: not called by a learner",
    "NOUNS": "a constant: the grammar's nouns",
    "ADJECTIVES": "a constant: the grammar's adjectives",
    "VERBS": "a constant: the grammar's verbs",
    "PREPOSITIONS": "a constant: the grammar's prepositions",
    "french_vocabulary": "takes no arguments",
    "english_vocabulary": "takes no arguments",
    "Block": "the base class of the lecture's blocks: its checks run in their rows",
}


def public_names() -> set[str]:
    """Every public function and class a learner can call."""
    names = set(tinygrad_edu.__all__) - {"functional", "nn", "optim"}  # the modules themselves
    for module in (functional, optim):
        names |= {
            name
            for name, obj in vars(module).items()
            if not name.startswith("_")
            and (inspect.isfunction(obj) or inspect.isclass(obj))
            and obj.__module__ == module.__name__
        }
    for module in (
        nn,
        word2vec,
        bert,
        corpus_module,
        translate,
        transformer_translate,
        tatoeba,
        parser,
        datasets,
        data_translation,
        treebank,
        gpt_model,
        digits_model,
        viz,
        stepping,
        viz.training,
        viz.explain,
        lecture,
    ):
        names |= set(module.__all__)
    # What backward_steps, Parser.parse_steps and explain_grad yield or return: read, not called.
    dataclasses = {
        "BackwardStep",
        "ForwardStep",
        "GradUpdate",
        "ParseStep",
        "Contribution",
        "GradExplanation",
    }
    return names - dataclasses


def test_every_public_name_has_a_row():
    covered = {subject.split(".")[0] for subject, *_ in CASES} | set(CHECKED_ELSEWHERE)
    missing = public_names() - covered
    assert not missing, f"public names with no input-check row: {sorted(missing)}"


@pytest.mark.parametrize(
    ("subject", "call", "error_type", "fragments"),
    [pytest.param(*case, id=f"{case[0]}-{i}") for i, case in enumerate(CASES)],
)
def test_wrong_input_fails_at_the_door_with_a_clear_message(
    subject, call, error_type, fragments, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # a call that would write a file writes it here
    with pytest.raises(Exception) as info:
        call()
    error = info.value
    # The exact type: a KeyError or IndexError from an inner line is not "a ValueError".
    assert type(error) is error_type, f"{subject}: {type(error).__name__}: {error}"
    message = str(error)
    for fragment in fragments:
        assert fragment in message, f"{subject}: {fragment!r} not in {message!r}"


# ------------------------------------------------------------ the right input still works
def test_what_the_checks_let_through_still_works():
    """The checks refuse mistakes, not the other spellings of right input."""
    model = gpt()
    assert len(model((0, 1))) == 2  # a tuple of ids
    assert (
        len(model.generate([0, 1, 2, 3, 4, 0], 1, seed=0)) == 7
    )  # a prompt longer than the context is cropped
    # top_k larger than the vocabulary keeps every token, as nanoGPT's min(top_k, vocab_size)
    assert model.generate([0], 3, top_k=99, seed=3) == model.generate([0], 3, seed=3)
    assert model.generate([0], 0, temperature=0.5) == [0]
    assert log_sigmoid(2.0).data == pytest.approx(log_sigmoid(Value(2.0)).data)
    assert functional.mse([1.0, 2.0], (1.0, 0.0)).data == 2.0  # plain numbers, a tuple
    assert functional.softmax(x for x in [0.0, 0.0])[0].data == 0.5  # a generator
    assert len(Value.linear(([1.0], [2.0]), (3.0,), (0.5, 0.5))) == 2  # tuples for rows, x and biases
    assert Value.linear((row for row in [[1.0]]), [2.0])[0].data == 2.0  # a generator of rows
    assert optim.SGD(p for p in [Value(1.0)]).params  # a generator of parameters
    assert activate("anything", "linear") == "anything"  # the identity does not look at x
    assert CharTokenizer.from_texts(("ab", "ba")).vocab_size == 3


def test_numpy_scalars_are_numbers_and_indices_like_their_python_kin():
    """np.float32 passes wherever np.float64 (a float subclass) does; np.int64 is an index."""
    np = pytest.importorskip("numpy")
    for number in (np.float32(0.5), np.float64(0.5), np.int64(2)):
        assert optim.SGD([Value(1.0)], lr=number).lr == float(number)
        assert optim.Adam([Value(1.0)], lr=number, betas=(np.float32(0.5), 0.9)).beta1 == 0.5
        assert functional.softmax([1.0, 2.0], temperature=number)[0].data == pytest.approx(
            functional.softmax([1.0, 2.0], temperature=float(number))[0].data
        )
        assert gpt().generate([0], 1, temperature=number, seed=0)
    for index in (np.int64(1), np.int32(1), np.uint8(1)):
        assert (
            functional.cross_entropy([1.0, 2.0], index).data == functional.cross_entropy([1.0, 2.0], 1).data
        )
    with pytest.raises(ValueError, match="cross_entropy: target must be a class index"):
        functional.cross_entropy([1.0, 2.0], np.float64(1.0))
    with pytest.raises(ValueError, match="GPT.generate: temperature 1e-320 is too small"):
        gpt().generate([0], 1, temperature=np.float64(1e-320))


def test_a_saved_file_that_is_not_text_or_is_nested_absurdly_deep_is_a_clear_error(tmp_path):
    layer = Linear(1, 1)
    before = [p.data for p in layer.parameters()]
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00\x01 not text")
    with pytest.raises(ValueError, match=r"Linear\.load\(.*binary\.json'\): not a text \(UTF-8\) file"):
        layer.load(binary)
    for depth, message in [
        (500, "'weight' holds lists nested too deeply"),
        (20_000, "JSON nested too deeply"),  # 40 KB: under the size limit, so json parses it
    ]:
        deep = tmp_path / f"deep{depth}.json"
        nested = "[" * depth + "1" + "]" * depth
        deep.write_text(
            '{"format": "tinygrad_edu.state_dict.v1", "module": "Linear", '
            f'"state_dict": {{"weight": {nested}, "bias": [0]}}}}'
        )
        with pytest.raises(ValueError, match=message):
            layer.load(deep)
    assert [p.data for p in layer.parameters()] == before


def test_cosine_similarity_of_huge_and_tiny_vectors_is_right():
    """Squaring first made [1e200, 1e200] with itself inf / inf = nan, and 1e-200 a zero vector."""
    assert cosine_similarity([1e200, 1e200], [1e200, 1e200]) == pytest.approx(1.0, rel=1e-15)
    assert cosine_similarity([1e308, -1e308], [-1e308, 1e308]) == pytest.approx(-1.0, rel=1e-15)
    assert cosine_similarity([1e-200, 0.0], [1e-200, 1e-200]) == pytest.approx(math.sqrt(0.5), rel=1e-15)
    assert cosine_similarity([5e-324], [1e300]) == 1.0
    rng = random.Random(0)
    for _ in range(200):  # the same vector: never a hair above 1
        v = [rng.uniform(-1, 1) for _ in range(7)]
        assert cosine_similarity(v, v) <= 1.0
    model = Word2Vec(["a", "b"], dim=2, rng=random.Random(0))
    for row, scale in zip(model.word_vectors, (1e200, 3e200)):
        for p in row:
            p.data = scale
    [(word, similarity)] = model.nearest("a", k=1)
    assert word == "b" and similarity == pytest.approx(1.0, rel=1e-15)
