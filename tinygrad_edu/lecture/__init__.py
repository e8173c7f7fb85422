"""The differentiable-programming lecture's vocabulary, runnable.

Deep learning as a few blocks that compose (the CS221 lecture on
differentiable programming). Each block here is a thin composition of the
modules in `tinygrad_edu.nn`, under the lecture's name and signature:
constructors take sizes, calls take data. No new math: every block gives
the numbers and gradients of the module it wraps.

    EmbedToken(x)        a token -> a vector; a sequence -> one vector per token
    FeedForward(x)       = W2 ReLU(W1 x)
    Conv(x), MaxPool(x)  a filter slid over an image; the largest of each window
    SimpleRNN(h, x)      = tanh(V h + W x)
    LSTM((h, c), x)      a cell whose memory is updated by addition
    SequenceRNN(x)       h_t = cell(h_{t-1}, x_t) for each t
    Attention(y, x)      one query y reads the sequence x; Attention(x): each x_t reads all of x
    AddNorm(f)(x)        = LayerNorm(x + f(x)): apply f safely
    TransformerBlock(x)  = AddNorm(FeedForward)(AddNorm(Attention)(x))
    BERT(x)              = TransformerBlock^L(EmbedToken(x))
    Collapse(x)          many vectors -> one (mean, max, first, last): `nn.Collapse` itself
    GenerateToken(x)     p(y) ∝ exp(x · EmbedToken(y))
    LanguageModel(x)     = GenerateToken(Collapse(SequenceModel(EmbedToken(x))))
    SequenceToSequence   encode x with a sequence model; write y token by token, attending to x

Once tokens are embedded, the sequence model is a choice: an RNN or a
Transformer. The composition of the lecture is one line, and so is this:

    >>> import random; random.seed(0)
    >>> from tinygrad_edu.lecture import EmbedToken, LanguageModel, LSTM, SequenceRNN, TransformerBlock
    >>> rnn_model = LanguageModel(EmbedToken(27, 16), SequenceRNN(LSTM(16)))
    >>> rnn_model.formula()
    'GenerateToken(Collapse(SequenceRNN(EmbedToken(x))))'
    >>> transformer_model = LanguageModel(EmbedToken(27, 16, positions=16), TransformerBlock(16, causal=True))
    >>> transformer_model.formula()
    'GenerateToken(Collapse(AddNorm(FeedForward)(AddNorm(Attention)(EmbedToken(x)))))'
    >>> p = rnn_model([0, 5, 13])          # p(next token | "em"): 27 probabilities
    >>> len(p), round(sum(v.data for v in p), 12)
    (27, 1.0)

A composition that cannot work fails when it is built, naming both blocks:

    >>> LanguageModel(EmbedToken(27, 16), TransformerBlock(16))
    Traceback (most recent call last):
    ...
    ValueError: LanguageModel: TransformerBlock(16, hidden=64, heads=1) lets a position read the tokens after it; a language model must not see the token it predicts: use causal=True

`viz.draw_blocks(model)` draws a composed model as nested boxes;
notebooks/06_differentiable_programming.ipynb trains each composition.
"""

from ..nn import Collapse
from .basic import Conv, EmbedToken, FeedForward, MaxPool
from .block import Block
from .generate import GenerateToken, LanguageModel, SequenceToSequence
from .sequence import BERT, LSTM, AddNorm, Attention, NormAdd, SequenceRNN, SimpleRNN, Stack, TransformerBlock

__all__ = [
    "BERT",
    "LSTM",
    "AddNorm",
    "Attention",
    "Block",
    "Collapse",
    "Conv",
    "EmbedToken",
    "FeedForward",
    "GenerateToken",
    "LanguageModel",
    "MaxPool",
    "NormAdd",
    "SequenceRNN",
    "SequenceToSequence",
    "SimpleRNN",
    "Stack",
    "TransformerBlock",
]
