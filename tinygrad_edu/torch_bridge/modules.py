"""The torch twins: every family of tinygrad_edu, written again in PyTorch.

Each class here has the name, the constructor arguments and the attribute
names of ours, so a twin loads our ``state_dict()`` as it is, and its
``forward`` follows our ``__call__`` line for line, with a batch in front:
where ours takes one sequence, (T, d) as T lists of d Values, its twin takes
a tensor (B, T, d) of B sequences and runs them all at once. Read the two
side by side: what changes is the *shape* comments, not the math.

    ours (one example)                     twin (a batch)
    -----------------------------------    ------------------------------------------
    [[Value, ...], ...]   (T, d)           tensor (B, T, d)
    token ids [3, 1, 4]   (T,)             LongTensor (B, T)
    an image [C][H][W]                     tensor (B, C, H, W)
    (no padding: one sentence a call)      padding_mask (B, T): True at the real tokens

Twins are checked against ``torch.nn``'s own layers in the tests
(``nn.TransformerEncoderLayer``, ``nn.GRU``, ``nn.Conv2d``, ...), and
against ours by `tinygrad_edu.torch_bridge.compare`.

    >>> import torch
    >>> head = AttentionHead(d_model=4, d_head=2, causal=True).double()
    >>> head(torch.ones(3, 5, 4, dtype=torch.float64)).shape    # B=3 sequences of T=5
    torch.Size([3, 5, 2])
    >>> sorted(head.state_dict())                               # the names of ours
    ['key.weight', 'query.weight', 'value.weight']
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..models.bert import IGNORE  # -100: a target with nothing to predict (torch's ignore_index)
from ..models.parser import LABELLED, POSITIONS
from ..models.translate import BOS, EOS
from ..nn.embedding import sinusoidal_table

__all__ = [
    "BERT",
    "IGNORE",
    "MLP",
    "AddNorm",
    "AttentionHead",
    "AvgPool2d",
    "BERTClassifier",
    "Collapse",
    "Conv1d",
    "Conv2d",
    "CrossAttention",
    "DigitCNN",
    "FeedForward",
    "Flatten",
    "GPT",
    "GRUCell",
    "LSTMCell",
    "Layer",
    "LayerNorm",
    "MaxPool1d",
    "MaxPool2d",
    "MultiHeadAttention",
    "Neuron",
    "Parser",
    "PositionalEmbedding",
    "RMSNorm",
    "RNNCell",
    "Seq2Seq",
    "SinusoidalPositionalEncoding",
    "TransformerBlock",
    "TransformerDecoderBlock",
    "TransformerTranslator",
    "activate",
    "attend",
    "pad_documents",
    "run_sequence",
    "teacher_forcing",
]


def activate(x: torch.Tensor, activation: str) -> torch.Tensor:
    """ours: nn.linear.activate."""
    if activation == "relu":
        return torch.relu(x)
    if activation == "tanh":
        return torch.tanh(x)
    if activation == "sigmoid":
        return torch.sigmoid(x)
    return x  # 'linear'


# ------------------------------------------------------------------ linear
class Neuron(nn.Module):
    """activation(w . x + b): weight (nin,), bias () -- ours keeps the same two."""

    def __init__(self, nin: int, activation: str = "relu") -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(nin).uniform_(-1.0, 1.0))
        self.bias = nn.Parameter(torch.zeros(()))
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, nin) -> (B,)
        return activate(x @ self.weight + self.bias, self.activation)


class Layer(nn.Module):
    """`nout` neurons reading the same input: (B, nin) -> (B, nout)."""

    def __init__(self, nin: int, nout: int, activation: str = "relu") -> None:
        super().__init__()
        self.neurons = nn.ModuleList(Neuron(nin, activation) for _ in range(nout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([neuron(x) for neuron in self.neurons], dim=-1)  # (B, nout)


class MLP(nn.Module):
    """A stack of Layers; `activations` one name per layer, as ours takes them."""

    def __init__(self, nin: int, nouts: list[int], activations: list[str]) -> None:
        super().__init__()
        sizes = [nin, *nouts]
        self.layers = nn.ModuleList(Layer(sizes[i], sizes[i + 1], activations[i]) for i in range(len(nouts)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, nin) -> (B, nouts[-1])
        for layer in self.layers:
            x = layer(x)
        return x


# ---------------------------------------------------------- positions, norms
class PositionalEmbedding(nn.Module):
    """Adds row t of `weight` (block_size, d) to vector t: (B, T, d) -> (B, T, d)."""

    def __init__(self, block_size: int, embedding_dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(block_size, embedding_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.weight[: x.shape[1]]  # (B, T, d) + (T, d), broadcast over the batch


class SinusoidalPositionalEncoding(nn.Module):
    """Adds the fixed table of ours (`sinusoidal_table`, the very same numbers);
    a buffer left out of the state_dict, as ours has no parameter."""

    def __init__(self, max_len: int, d_model: int) -> None:
        super().__init__()
        self.register_buffer(
            "table", torch.tensor(sinusoidal_table(max_len, d_model), dtype=torch.float64), persistent=False
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.table[: x.shape[1]].to(x.dtype)


class LayerNorm(nn.Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias over the last axis
    (the biased variance, as ours and torch.nn.LayerNorm)."""

    def __init__(
        self, normalized_shape: int, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(normalized_shape)) if elementwise_affine else None
        self.bias = nn.Parameter(torch.zeros(normalized_shape)) if elementwise_affine and bias else None
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (..., d) -> (..., d)
        mean = x.mean(-1, keepdim=True)
        centred = x - mean
        variance = (centred * centred).mean(-1, keepdim=True)  # biased (1/n)
        y = centred * (variance + self.eps) ** -0.5
        if self.weight is not None:
            y = y * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y


class RMSNorm(nn.Module):
    """y = x / sqrt(mean(x**2) + eps) * weight (no centring, no bias)."""

    def __init__(self, normalized_shape: int, eps: float = 1e-5, elementwise_affine: bool = True) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(normalized_shape)) if elementwise_affine else None
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        inv_rms = ((x * x).mean(-1, keepdim=True) + self.eps) ** -0.5
        return x * inv_rms if self.weight is None else x * inv_rms * self.weight


def make_norm(norm: str, size: int, bias: bool = True) -> LayerNorm | RMSNorm:
    return LayerNorm(size, bias=bias) if norm == "layernorm" else RMSNorm(size)


# ---------------------------------------------------------------- attention
def attend(
    scores: torch.Tensor, values: torch.Tensor, allowed: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """ours: nn.attention.attend. scores (B, T_q, T_k), values (B, T_k, d_v),
    allowed (B or 1, T_q or 1, T_k) True where a query may look. A score it
    may not see is -inf before the softmax, so its weight is exactly 0, as
    ours leaves it out. Returns the outputs (B, T_q, d_v) and the weights
    (B, T_q, T_k)."""
    if allowed is not None:
        scores = scores.masked_fill(~allowed, -math.inf)
    weights = torch.softmax(scores, dim=-1)  # (B, T_q, T_k)
    return weights @ values, weights


def allowed_keys(T_q: int, T_k: int, causal: bool, padding_mask: torch.Tensor | None, device=None):
    """(B or 1, T_q, T_k) booleans: the causal triangle and/or the real (not
    padding) keys; None when every query sees every key."""
    allowed = None
    if causal:
        allowed = torch.ones(T_q, T_k, dtype=torch.bool, device=device).tril()[None]  # (1, T_q, T_k)
    if padding_mask is not None:
        keys = padding_mask[:, None, :].bool()  # (B, 1, T_k)
        allowed = keys if allowed is None else allowed & keys
    return allowed


class AttentionHead(nn.Module):
    """One head: (B, T, d_model) -> (B, T, d_head); with `memory` (B, T_k, d_model),
    keys and values come from it (cross-attention)."""

    def __init__(self, d_model: int, d_head: int, causal: bool = False, bias: bool = False) -> None:
        super().__init__()
        self.query = nn.Linear(d_model, d_head, bias=bias)
        self.key = nn.Linear(d_model, d_head, bias=bias)
        self.value = nn.Linear(d_model, d_head, bias=bias)
        self.d_head = d_head
        self.causal = causal

    def forward(self, x, memory=None, padding_mask=None):
        source = x if memory is None else memory  # where keys and values come from
        q = self.query(x) * (1.0 / math.sqrt(self.d_head))  # (B, T_q, d_head)
        k = self.key(source)  # (B, T_k, d_head)
        v = self.value(source)  # (B, T_k, d_head)
        scores = q @ k.transpose(-2, -1)  # (B, T_q, T_k)
        allowed = allowed_keys(x.shape[1], source.shape[1], self.causal, padding_mask, x.device)
        out, weights = attend(scores, v, allowed)  # (B, T_q, d_head), (B, T_q, T_k)
        self.last_attention = weights.detach()  # as ours keeps them, for plots
        return out


class MultiHeadAttention(nn.Module):
    """n_head heads side by side, concatenated, then `proj`: (B, T, d) -> (B, T, d)."""

    def __init__(self, d_model: int, n_head: int, causal: bool = False, bias: bool = False) -> None:
        super().__init__()
        self.heads = nn.ModuleList(
            AttentionHead(d_model, d_model // n_head, causal, bias) for _ in range(n_head)
        )
        self.proj = nn.Linear(d_model, d_model, bias=bias)
        self.causal = causal

    def forward(self, x, memory=None, padding_mask=None):
        per_head = [head(x, memory, padding_mask) for head in self.heads]  # n_head x (B, T, d_head)
        return self.proj(torch.cat(per_head, dim=-1))  # (B, T, d_model)

    @property
    def last_attention(self) -> torch.Tensor:
        """Each head's weights of the last call: (B, n_head, T_q, T_k)."""
        return torch.stack([head.last_attention for head in self.heads], dim=1)


class CrossAttention(nn.Module):
    """Luong's dot or Bahdanau's additive scoring from queries (B, T_q, d_query)
    to a memory (B, T_k, d_memory); the contexts weigh the memory itself, or
    `values` (B, T_k, d_v) if given."""

    def __init__(self, d_query: int, d_memory: int, scoring: str = "dot", d_attn: int | None = None) -> None:
        super().__init__()
        if scoring == "additive":
            d_attn = d_memory if d_attn is None else d_attn
            self.query = nn.Linear(d_query, d_attn, bias=False)  # W
            self.key = nn.Linear(d_memory, d_attn, bias=True)  # U
            self.energy = nn.Linear(d_attn, 1, bias=False)  # v
        else:
            self.query = nn.Linear(d_query, d_memory, bias=False)  # W of (W q) . m
        self.d_memory = d_memory
        self.scoring = scoring

    def forward(self, queries, memory, padding_mask=None, values=None):
        qs = self.query(queries)  # (B, T_q, d_memory) or (B, T_q, d_attn)
        if self.scoring == "dot":
            scores = qs @ memory.transpose(-2, -1)  # (B, T_q, T_k)
        else:
            keys = self.key(memory)  # (B, T_k, d_attn)
            scores = self.energy(torch.tanh(qs[:, :, None, :] + keys[:, None, :, :]))[..., 0]  # (B, T_q, T_k)
        allowed = allowed_keys(queries.shape[1], memory.shape[1], False, padding_mask, queries.device)
        values = memory if values is None else values
        out, weights = attend(scores, values, allowed)  # (B, T_q, d_v), (B, T_q, T_k)
        self.last_attention = weights.detach()
        return out


# -------------------------------------------------------------- transformer
class FeedForward(nn.Module):
    """d_model -> d_ff -> d_model at every position."""

    def __init__(self, d_model: int, d_ff: int | None = None, activation: str = "relu", bias: bool = True):
        super().__init__()
        d_ff = 4 * d_model if d_ff is None else d_ff
        self.fc = nn.Linear(d_model, d_ff, bias=bias)
        self.proj = nn.Linear(d_ff, d_model, bias=bias)
        self.activation = activation

    def forward(self, x):  # (B, T, d_model) -> (B, T, d_model)
        return self.proj(activate(self.fc(x), self.activation))


class AddNorm(nn.Module):
    """norm(x + sublayer(x))."""

    def __init__(self, d_model: int, norm: str = "layernorm", bias: bool = True) -> None:
        super().__init__()
        self.norm = make_norm(norm, d_model, bias)

    def forward(self, x, y):
        return self.norm(x + y)


class TransformerBlock(nn.Module):
    """Attention then feed-forward, pre-norm (`norm_first`) or post-norm.
    (Ours' `positions=` only skips work; a batch has no use for it.)"""

    def __init__(
        self,
        d_model: int,
        n_head: int,
        d_ff: int | None = None,
        causal: bool = True,
        norm_first: bool = True,
        norm: str = "layernorm",
        bias: bool = True,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        self.norm_first = norm_first
        if norm_first:
            self.ln_1 = make_norm(norm, d_model, bias)
        self.attn = MultiHeadAttention(d_model, n_head, causal=causal, bias=bias)
        if norm_first:
            self.ln_2 = make_norm(norm, d_model, bias)
        else:
            self.addnorm_1 = AddNorm(d_model, norm, bias)
        self.mlp = FeedForward(d_model, d_ff, activation, bias)
        if not norm_first:
            self.addnorm_2 = AddNorm(d_model, norm, bias)

    def forward(self, x, padding_mask=None):  # (B, T, d_model) -> (B, T, d_model)
        if not self.norm_first:
            x = self.addnorm_1(x, self.attn(x, padding_mask=padding_mask))
            return self.addnorm_2(x, self.mlp(x))
        x = x + self.attn(self.ln_1(x), padding_mask=padding_mask)  # residual
        return x + self.mlp(self.ln_2(x))  # residual


class TransformerDecoderBlock(nn.Module):
    """Causal self-attention, cross-attention to `memory`, feed-forward."""

    def __init__(
        self,
        d_model: int,
        n_head: int,
        d_ff: int | None = None,
        norm_first: bool = True,
        norm: str = "layernorm",
        bias: bool = True,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        self.norm_first = norm_first
        if norm_first:
            self.ln_1 = make_norm(norm, d_model, bias)
        self.attn = MultiHeadAttention(d_model, n_head, causal=True, bias=bias)
        if norm_first:
            self.ln_2 = make_norm(norm, d_model, bias)
        else:
            self.addnorm_1 = AddNorm(d_model, norm, bias)
        self.cross_attn = MultiHeadAttention(d_model, n_head, causal=False, bias=bias)
        if norm_first:
            self.ln_3 = make_norm(norm, d_model, bias)
        else:
            self.addnorm_2 = AddNorm(d_model, norm, bias)
        self.mlp = FeedForward(d_model, d_ff, activation, bias)
        if not norm_first:
            self.addnorm_3 = AddNorm(d_model, norm, bias)

    def forward(self, x, memory, memory_padding_mask=None):  # (B, T, d), (B, S, d) -> (B, T, d)
        if not self.norm_first:
            x = self.addnorm_1(x, self.attn(x))
            x = self.addnorm_2(x, self.cross_attn(x, memory, memory_padding_mask))
            return self.addnorm_3(x, self.mlp(x))
        x = x + self.attn(self.ln_1(x))
        x = x + self.cross_attn(self.ln_2(x), memory, memory_padding_mask)
        return x + self.mlp(self.ln_3(x))


class GPT(nn.Module):
    """Token ids (B, T) -> next-token logits (B, T, vocab_size); nanoGPT's names."""

    def __init__(
        self,
        vocab_size: int,
        block_size: int,
        n_layer: int,
        n_embd: int,
        n_head: int,
        *,
        d_ff: int | None = None,
        norm: str = "layernorm",
        bias: bool = True,
        positional: str = "learned",
        activation: str = "relu",
    ) -> None:
        super().__init__()
        self.wte = nn.Embedding(vocab_size, n_embd)
        if positional == "learned":
            self.wpe = PositionalEmbedding(block_size, n_embd)
        else:
            self.wpe = SinusoidalPositionalEncoding(block_size, n_embd)
        self.blocks = nn.ModuleList(
            TransformerBlock(n_embd, n_head, d_ff, True, True, norm, bias, activation) for _ in range(n_layer)
        )
        self.ln_f = make_norm(norm, n_embd, bias)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=bias)
        self.block_size = block_size

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.wpe(self.wte(ids))  # (B, T, n_embd)
        for block in self.blocks:
            x = block(x)  # (B, T, n_embd)
        return self.lm_head(self.ln_f(x))  # (B, T, vocab_size)

    def loss(self, ids: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The mean cross-entropy over every target that is not IGNORE (-100):
        pad a batch of names on the right with IGNORE targets. A causal model
        never lets padding reach an earlier position, so no mask is needed."""
        logits = self(ids)  # (B, T, vocab_size)
        return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE)


def pad_documents(docs, block_size: int, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Documents of token ids as one batch for `GPT.loss`: ids and targets
    (B, T), each document cut to block_size + 1 ids and padded on the right,
    the padding's targets IGNORE. (Ours takes one at a time:
    ``model.loss(doc[:-1], doc[1:])``.)

        >>> ids, targets = pad_documents([[0, 5, 2, 0], [0, 3, 0]], block_size=8)
        >>> ids.tolist(), targets.tolist()
        ([[0, 5, 2], [0, 3, 0]], [[5, 2, 0], [3, 0, -100]])
    """
    docs = [list(d[: block_size + 1]) for d in docs]
    T = max(len(d) for d in docs) - 1
    ids = torch.tensor([d[:-1] + [0] * (T + 1 - len(d)) for d in docs], device=device)
    targets = torch.tensor([d[1:] + [IGNORE] * (T + 1 - len(d)) for d in docs], device=device)
    return ids, targets


# --------------------------------------------------------------------- BERT
class BERT(nn.Module):
    """A bidirectional encoder with its masked-LM head. `padding_mask` (B, T),
    True at the real tokens, keeps every query off the padding."""

    def __init__(
        self,
        vocab_size: int,
        max_len: int,
        n_layer: int,
        d_model: int,
        n_head: int,
        *,
        d_ff: int | None = None,
        n_segments: int = 0,
        tie_weights: bool = False,
        norm_first: bool = True,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        self.wte = nn.Embedding(vocab_size, d_model)
        self.wpe = PositionalEmbedding(max_len, d_model)
        if n_segments:
            self.wse = nn.Embedding(n_segments, d_model)
        self.blocks = nn.ModuleList(
            TransformerBlock(
                d_model, n_head, d_ff, causal=False, norm_first=norm_first, activation=activation
            )
            for _ in range(n_layer)
        )
        self.ln_f = LayerNorm(d_model)
        self.mlm_head = nn.Linear(d_model, vocab_size)
        if tie_weights:
            self.mlm_head.weight = self.wte.weight  # one table, two uses
        self.n_segments = n_segments
        self.d_model = d_model

    def encode(self, ids, segments=None, padding_mask=None):  # (B, T) -> (B, T, d_model)
        x = self.wpe(self.wte(ids))
        if self.n_segments:
            x = x + self.wse(torch.zeros_like(ids) if segments is None else segments)
        for block in self.blocks:
            x = block(x, padding_mask)  # every position sees every real position
        return self.ln_f(x)

    def forward(self, ids, segments=None, padding_mask=None):  # (B, T) -> (B, T, vocab_size)
        return self.mlm_head(self.encode(ids, segments, padding_mask))

    def mlm_loss(self, ids, labels, segments=None, padding_mask=None):
        """Mean cross-entropy at the positions whose label is not IGNORE."""
        logits = self(ids, segments, padding_mask)
        return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE)


class Collapse(nn.Module):
    """(B, T, d) -> (B, d) by mean/max/first/last over the real positions, or a
    feature map (B, C, H, W) -> (B, C) by global mean/max."""

    def __init__(self, mode: str = "mean") -> None:
        super().__init__()
        self.mode = mode

    def forward(self, x, padding_mask=None):
        if x.dim() == 4:  # a feature map: each channel over all its positions
            x = x.flatten(2).transpose(1, 2)  # (B, H*W, C)
        real = (
            torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
            if padding_mask is None
            else padding_mask
        )
        if self.mode == "first":
            return x[:, 0]
        if self.mode == "last":
            last = real.long().sum(1) - 1  # (B,): the last real position
            return x[torch.arange(x.shape[0]), last]
        if self.mode == "max":
            return x.masked_fill(~real[..., None], -math.inf).max(dim=1).values
        weights = real[..., None].to(x.dtype)  # (B, T, 1)
        return (x * weights).sum(1) / weights.sum(1)  # mean over the real positions


class BERTClassifier(nn.Module):
    """encoder -> Collapse(pool) -> Linear(d_model, n_classes)."""

    def __init__(self, encoder: BERT, n_classes: int, pool: str = "first") -> None:
        super().__init__()
        self.encoder = encoder
        self.pool = Collapse(pool)
        self.classifier = nn.Linear(encoder.d_model, n_classes)

    def forward(self, ids, segments=None, padding_mask=None):  # (B, T) -> (B, n_classes)
        return self.classifier(self.pool(self.encoder.encode(ids, segments, padding_mask), padding_mask))

    def loss(self, ids, labels, segments=None, padding_mask=None):
        return F.cross_entropy(self(ids, segments, padding_mask), labels)


# ---------------------------------------------------------------- recurrent
class _RecurrentCell(nn.Module):
    GATES = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__()
        rows = self.GATES * hidden_size
        bound = 1.0 / math.sqrt(hidden_size)
        self.weight_ih = nn.Parameter(torch.empty(rows, input_size).uniform_(-bound, bound))
        self.weight_hh = nn.Parameter(torch.empty(rows, hidden_size).uniform_(-bound, bound))
        self.bias_ih = nn.Parameter(torch.empty(rows).uniform_(-bound, bound)) if bias else None
        self.bias_hh = nn.Parameter(torch.empty(rows).uniform_(-bound, bound)) if bias else None
        self.hidden_size = hidden_size

    def _gates(self, x, h):
        """gi = W_ih x + b_ih, gh = W_hh h + b_hh: (B, gates * hidden) each."""
        return F.linear(x, self.weight_ih, self.bias_ih), F.linear(h, self.weight_hh, self.bias_hh)

    def initial_state(self, x):
        return x.new_zeros(x.shape[0], self.hidden_size)


class RNNCell(_RecurrentCell):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh): (B, input), (B, hidden) -> (B, hidden)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh"):
        super().__init__(input_size, hidden_size, bias)
        self.nonlinearity = nonlinearity

    def forward(self, x, h=None):
        h = self.initial_state(x) if h is None else h
        gi, gh = self._gates(x, h)
        return torch.tanh(gi + gh) if self.nonlinearity == "tanh" else torch.relu(gi + gh)


class GRUCell(_RecurrentCell):
    """r, z, n gates in PyTorch's order; h' = n + z * (h - n)."""

    GATES = 3

    def forward(self, x, h=None):
        h = self.initial_state(x) if h is None else h
        gi, gh = self._gates(x, h)
        gi_r, gi_z, gi_n = gi.chunk(3, dim=-1)  # (B, hidden) each
        gh_r, gh_z, gh_n = gh.chunk(3, dim=-1)
        r = torch.sigmoid(gi_r + gh_r)
        z = torch.sigmoid(gi_z + gh_z)
        n = torch.tanh(gi_n + r * gh_n)  # r scales only the hidden part, bias included
        return n + z * (h - n)


class LSTMCell(_RecurrentCell):
    """i, f, g, o gates; c' = f * c + i * g, h' = o * tanh(c')."""

    GATES = 4

    def forward(self, x, state=None):
        h, c = (self.initial_state(x), self.initial_state(x)) if state is None else state
        gi, gh = self._gates(x, h)
        i, f, g, o = (gi + gh).chunk(4, dim=-1)  # (B, hidden) each
        c_next = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h_next = torch.sigmoid(o) * torch.tanh(c_next)
        return h_next, c_next


def run_sequence(cell: _RecurrentCell, xs: torch.Tensor, state=None):
    """ours: nn.recurrent.run_sequence. xs (B, T, input) -> (outputs (B, T, hidden),
    the final state), one step per position, as torch.nn.GRU runs it."""
    outputs = []
    for t in range(xs.shape[1]):
        state = cell(xs[:, t], state)
        outputs.append(state[0] if isinstance(cell, LSTMCell) else state)
    return torch.stack(outputs, dim=1), state


# ---------------------------------------------------- convolution, pooling
class Conv2d(nn.Module):
    """(B, C_in, H, W) -> (B, C_out, H_out, W_out): every patch against every
    kernel row, as ours does, with `F.unfold` cutting out the patches."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=(1, 1), padding=(0, 0), bias=True):
        super().__init__()
        kh, kw = kernel_size
        bound = 1.0 / math.sqrt(in_channels * kh * kw)
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kh, kw).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(out_channels).uniform_(-bound, bound)) if bias else None
        self.kernel_size, self.stride, self.padding = tuple(kernel_size), tuple(stride), tuple(padding)

    def forward(self, x):
        return self._convolve(x, self.weight)

    def _convolve(self, x, weight):
        B, _, H, W = x.shape
        (kh, kw), (sh, sw), (ph, pw) = weight.shape[2:], self.stride, self.padding
        H_out, W_out = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
        patches = F.unfold(x, (kh, kw), padding=(ph, pw), stride=(sh, sw))  # (B, C_in*kh*kw, H_out*W_out)
        rows = weight.flatten(1)  # (C_out, C_in*kh*kw): ours' `rows`
        out = rows @ patches  # (B, C_out, H_out*W_out)
        if self.bias is not None:
            out = out + self.bias[:, None]
        return out.view(B, -1, H_out, W_out)


class Conv1d(Conv2d):
    """(B, C_in, L) -> (B, C_out, L_out): a Conv2d on an image one row high."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=(1,), padding=(0,), bias=True):
        super().__init__(in_channels, out_channels, (1, *kernel_size), (1, *stride), (0, *padding), bias)
        self.weight = nn.Parameter(self.weight.detach()[:, :, 0])  # (out, in, k), as ours keeps it

    def forward(self, x):
        return self._convolve(x[:, :, None, :], self.weight[:, :, None, :])[:, :, 0]


def _windows(x: torch.Tensor, kernel, stride) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, kh*kw, H_out*W_out): each window, read row by row."""
    B, C, H, W = x.shape
    cols = F.unfold(x.reshape(B * C, 1, H, W), kernel, stride=stride)  # (B*C, kh*kw, L)
    return cols.view(B, C, cols.shape[1], cols.shape[2])


class MaxPool2d(nn.Module):
    """The largest value of each window, per channel (no padding)."""

    def __init__(self, kernel_size, stride=None) -> None:
        super().__init__()
        self.kernel_size = tuple(kernel_size)
        self.stride = self.kernel_size if stride is None else tuple(stride)

    def forward(self, x):
        B, C, H, W = x.shape
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        pooled = self._reduce(_windows(x, self.kernel_size, self.stride))  # (B, C, H_out*W_out)
        return pooled.view(B, C, (H - kh) // sh + 1, (W - kw) // sw + 1)

    @staticmethod
    def _reduce(windows):
        return windows.max(dim=2).values  # a tie: the first maximal entry, as ours


class AvgPool2d(MaxPool2d):
    """The mean of each window, per channel."""

    @staticmethod
    def _reduce(windows):
        return windows.mean(dim=2)


class MaxPool1d(nn.Module):
    """(B, C, L) -> (B, C, L_out), the largest value of each window."""

    def __init__(self, kernel_size: int, stride: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride

    def forward(self, x):
        return x.unfold(2, self.kernel_size, self.stride).max(dim=-1).values


class Flatten(nn.Module):
    """(B, ...) -> (B, n), C-major, as ours lays a map out."""

    def forward(self, x):
        return x.flatten(1)


class DigitCNN(nn.Module):
    """conv 3x3 -> ReLU -> max-pool 2x2 -> flatten -> Linear(128, 10): (B, 1, 8, 8) -> (B, 10)."""

    def __init__(self, channels: int = 8) -> None:
        super().__init__()
        self.conv = Conv2d(1, channels, kernel_size=(3, 3), padding=(1, 1))
        self.pool = MaxPool2d((2, 2))
        self.flatten = Flatten()
        self.fc = nn.Linear(channels * 4 * 4, 10)

    def forward(self, image):
        return self.fc(self.flatten(self.pool(torch.relu(self.conv(image)))))

    def loss(self, images, labels):
        return F.cross_entropy(self(images), labels)


# ---------------------------------------------------------------- translator
def teacher_forcing(tgt_ids):
    """(<bos> + tgt, tgt + <eos>) for a batch of targets (B, T): what the
    decoder reads and what it should write, one word apart."""
    B = tgt_ids.shape[0]
    inputs = torch.cat([tgt_ids.new_full((B, 1), BOS), tgt_ids], dim=1)
    targets = torch.cat([tgt_ids, tgt_ids.new_full((B, 1), EOS)], dim=1)
    return inputs, targets


class Seq2Seq(nn.Module):
    """GRU encoder (both ways) -> GRU decoder with cross-attention. A batch of
    sources (B, S) of one length and targets (B, T) of one length.

    `dropout` (0 unless a trainer sets it; ours has none) zeroes that
    fraction of the source word vectors and of the states `out` reads, in
    training mode only: a way to train the twin, after which ours, which
    translates without dropout, computes what the twin computes in eval mode."""

    def __init__(
        self,
        src_vocab_size,
        tgt_vocab_size,
        embedding_dim=16,
        hidden_size=32,
        attention="dot",
        bidirectional=True,
        lexical=False,
    ):
        super().__init__()
        self.src_embedding = nn.Embedding(src_vocab_size, embedding_dim)
        self.tgt_embedding = nn.Embedding(tgt_vocab_size, embedding_dim)
        self.encoder = GRUCell(embedding_dim, hidden_size)
        d_memory = hidden_size
        if bidirectional:
            self.encoder_reverse = GRUCell(embedding_dim, hidden_size)
            d_memory = 2 * hidden_size
            self.bridge = nn.Linear(d_memory, hidden_size)
        self.decoder = GRUCell(embedding_dim, hidden_size)
        if attention is not None:
            self.attention = CrossAttention(hidden_size, d_memory, scoring=attention)
            d_context = d_memory + (embedding_dim if lexical else 0)  # lexical: the words too
            self.combine = nn.Linear(d_context + hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, tgt_vocab_size)
        self.bidirectional = bidirectional
        self.lexical = lexical
        self.scoring = attention
        self.dropout = 0.0

    def _dropped(self, x):
        return F.dropout(x, self.dropout, self.training) if self.dropout else x

    def encode(self, src_ids):  # (B, S) -> memory (B, S, d_memory), the decoder's first state (B, hidden)
        xs = self._dropped(self.src_embedding(src_ids))
        memory, h = run_sequence(self.encoder, xs)
        if self.bidirectional:
            reverse, h_reverse = run_sequence(self.encoder_reverse, xs.flip(1))
            memory = torch.cat([memory, reverse.flip(1)], dim=-1)  # reverse[s] has read words S-1 .. s
            h = torch.tanh(self.bridge(torch.cat([h, h_reverse], dim=-1)))
        if self.lexical:
            memory = torch.cat([memory, xs], dim=-1)  # the word itself last
        return memory, h

    def _logits(self, hs, memory):  # (B, T, hidden) -> (B, T, tgt_vocab)
        if self.scoring is None:
            return self.out(self._dropped(hs))
        if self.lexical:  # score the states; read the states and the word vectors
            contexts = self.attention(hs, memory[..., : self.attention.d_memory], values=memory)
        else:
            contexts = self.attention(hs, memory)  # (B, T, d_memory)
        return self.out(self._dropped(torch.tanh(self.combine(torch.cat([contexts, hs], dim=-1)))))

    def loss(self, src_ids, tgt_ids):
        """Teacher forcing: feed <bos> + tgt, predict tgt + <eos>; the mean cross-entropy."""
        memory, h = self.encode(src_ids)
        inputs, targets = teacher_forcing(tgt_ids)
        hs, _ = run_sequence(self.decoder, self.tgt_embedding(inputs), h)  # (B, T + 1, hidden)
        return F.cross_entropy(self._logits(hs, memory).flatten(0, 1), targets.flatten())


class TransformerTranslator(nn.Module):
    """Encoder blocks over the source, decoder blocks (causal self-attention,
    then cross-attention to the encoder's normed output) over <bos> + target;
    sources (B, S) of one length, targets (B, T) of one length."""

    def __init__(
        self, src_vocab_size, tgt_vocab_size, d_model=16, n_head=2, n_layer=1, d_ff=None, max_len=64
    ):
        super().__init__()
        self.src_embedding = nn.Embedding(src_vocab_size, d_model)
        self.tgt_embedding = nn.Embedding(tgt_vocab_size, d_model)
        self.positions = SinusoidalPositionalEncoding(max_len, d_model)
        self.encoder = nn.ModuleList(
            TransformerBlock(d_model, n_head, d_ff, causal=False) for _ in range(n_layer)
        )
        self.encoder_norm = LayerNorm(d_model)
        self.decoder = nn.ModuleList(TransformerDecoderBlock(d_model, n_head, d_ff) for _ in range(n_layer))
        self.decoder_norm = LayerNorm(d_model)
        self.out = nn.Linear(d_model, tgt_vocab_size)

    def encode(self, src_ids):  # (B, S) -> memory (B, S, d_model)
        x = self.positions(self.src_embedding(src_ids))
        for block in self.encoder:
            x = block(x)
        return self.encoder_norm(x)

    def decode(self, tgt_in, memory):  # (B, T) -> next-word logits (B, T, tgt_vocab)
        y = self.positions(self.tgt_embedding(tgt_in))
        for block in self.decoder:
            y = block(y, memory)
        return self.out(self.decoder_norm(y))

    def loss(self, src_ids, tgt_ids):
        """Teacher forcing: feed <bos> + tgt, predict tgt + <eos>; the mean cross-entropy."""
        inputs, targets = teacher_forcing(tgt_ids)
        logits = self.decode(inputs, self.encode(src_ids))
        return F.cross_entropy(logits.flatten(0, 1), targets.flatten())


# ------------------------------------------------------------------- parser
class Parser(nn.Module):
    """Chen & Manning's net: features (B, 24) -> logits (B, n_moves); an
    illegal move's logit is -inf (ours leaves it out), so its probability is 0."""

    def __init__(
        self,
        n_words,
        n_tags,
        n_labels,
        n_moves,
        word_dim=8,
        tag_dim=4,
        label_dim=4,
        hidden=32,
        activation="relu",
    ):
        super().__init__()
        self.word_embedding = nn.Embedding(n_words, word_dim)
        self.tag_embedding = nn.Embedding(n_tags, tag_dim)
        self.label_embedding = nn.Embedding(n_labels, label_dim)
        n_in = len(POSITIONS) * (word_dim + tag_dim) + len(LABELLED) * label_dim
        self.hidden = nn.Linear(n_in, hidden)
        self.output = nn.Linear(hidden, n_moves)
        self.activation = activation

    def forward(self, features, legal=None):
        n = len(POSITIONS)
        words = self.word_embedding(features[:, :n])  # (B, 10, word_dim)
        tags = self.tag_embedding(features[:, n : 2 * n])  # (B, 10, tag_dim)
        labels = self.label_embedding(features[:, 2 * n :])  # (B, 4, label_dim)
        x = torch.cat([words.flatten(1), tags.flatten(1), labels.flatten(1)], dim=1)  # (B, n_in)
        z = self.hidden(x)
        h = torch.relu(z) if self.activation == "relu" else z**3
        logits = self.output(h)  # (B, n_moves)
        return logits if legal is None else logits.masked_fill(~legal, -math.inf)

    def loss(self, features, legal, gold):
        """legal (B, n_moves) booleans, gold (B,) move indices: the mean cross-entropy."""
        return F.cross_entropy(self(features, legal), gold)
