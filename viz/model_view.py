"""A model view: look inside the GPT or BERT you trained, for one prompt.

A transformer keeps one vector per position, the *residual stream*, and
every layer reads it and adds to it, like a storyboard each layer fills in:

    x_0      = wte[token_t] + wpe[t]                    (the input vectors)
    x_mid    = x_l + proj(concat_h softmax(q k^T / sqrt(d_head)) v)   (attention adds)
    x_{l+1}  = x_mid + W_2 relu(W_1 norm(x_mid))        (the feed-forward adds)
    logits_t = head(norm_f(x_L)_t)                      (the vectors become scores)

with q, k, v = W_q, W_k, W_v of norm(x_l): each position asks (query),
offers (key) and passes on (value); the positions "talk to each other"
through the softmax weights (only backwards, s <= t, in a GPT; both ways in
BERT).

The feed-forward layer reads as a table of key-value memories (Geva et al.,
"Transformer Feed-Forward Layers Are Key-Value Memories", 2021): hidden
neuron j fires when the stream matches row j of W_1 (its *key*, a pattern)
and then adds column j of W_2 (its *value*) to the stream. So this page
shows, per neuron, where in the training text it fires most (its top
contexts) and what its value does to the output: the value pushed through
the final norm's gain and the output layer, head(g * W_2[:, j]) without the
bias (the norm's centring and scaling are left out: a direction, not an
exact prediction), whose largest entries are the tokens the neuron promotes
and whose smallest it suppresses. The *logit lens* pushes the stream at
every depth through the final norm and the output layer: what the model
would predict if it stopped there.

Everything is computed with plain floats from the model's `state_dict()`
(no graph: seconds, not minutes), by the same formulas as the model's own
modules, so the page's numbers are the model's numbers (the tests hold the
trace to the model's logits and `last_attention` to 1e-12). Snapshots taken
during training are state dicts too: each becomes one *moment* of the page,
and its step slider replays them.

    >>> import random; random.seed(0)
    >>> from tinygrad_edu.datasets import CharTokenizer
    >>> from tinygrad_edu.models.gpt import GPT
    >>> tok = CharTokenizer("abc")
    >>> model = GPT(tok.vocab_size, block_size=8, n_layer=1, n_embd=8, n_head=2)
    >>> data = model_view_data(model, tok, ".ab", corpus=[tok.encode_document("abcab")[:-1]])
    >>> data["tokens"], data["kind"]
    (['.', 'a', 'b'], 'gpt')
    >>> moment = data["moments"][-1]
    >>> [[round(w, 2) for w in row] for row in moment["layers"][0]["heads"][0]["attention"]]
    [[1.0, 0.0, 0.0], [0.43, 0.57, 0.0], [0.23, 0.33, 0.44]]
    >>> sorted(moment["neurons"][0][0])
    ['contexts', 'promotes', 'suppresses']
    >>> path = write_model_view(model, tok, ".ab", "model.html")  # doctest: +SKIP

`write_model_view` writes one self-contained HTML file (``model_view.html``,
``.css`` and ``.js`` in ``viz/assets/``, assembled by `viz.webpage`, every
string escaped) with the data inside as JSON, ``<script
type="application/json" id="model-view-data">``; ``json_path=`` writes the
same JSON beside it. Its keys are listed in the README ("The model view").
"""

from __future__ import annotations

import json
import math
import os
import random
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from operator import mul
from pathlib import Path
from typing import Any

from tinygrad_edu import Value
from tinygrad_edu.datasets import CharTokenizer
from tinygrad_edu.datasets.text import normalise_sentence
from tinygrad_edu.functional import softmax as value_softmax
from tinygrad_edu.models.bert import BERT, WordTokenizer
from tinygrad_edu.models.gpt import GPT
from tinygrad_edu.nn.embedding import SinusoidalPositionalEncoding
from tinygrad_edu.nn.norm import RMSNorm

from .webpage import html_page, read_asset

__all__ = [
    "SCAN_TOKENS",
    "TOP_CONTEXTS",
    "TOP_TOKENS",
    "Architecture",
    "architecture",
    "attention_weight_graph",
    "encode_prompt",
    "model_view_data",
    "model_view_page",
    "neuron_memories",
    "scan_sample",
    "trace",
    "trace_blocks",
    "write_model_view",
]

TOP_CONTEXTS = 5  # contexts kept per neuron
TOP_TOKENS = 5  # tokens promoted / suppressed per neuron, and per logit-lens row
SCAN_TOKENS = 6000  # corpus positions scanned for the neurons' contexts (a seeded sample of documents)
CONTEXT_SHOWN = 12  # tokens shown before (and, for BERT, after) a neuron's trigger

State = dict[str, Any]


# ------------------------------------------------------------ architecture
@dataclass(frozen=True)
class Architecture:
    """What the trace needs to know about a model besides its weights."""

    kind: str  # "gpt" (causal, next token) or "bert" (both sides, fill in [MASK])
    n_layer: int
    n_head: int
    d_model: int
    d_ff: int
    vocab_size: int
    context: int  # block_size (GPT) or max_len (BERT)
    norm: str  # "layernorm" or "rmsnorm"
    eps: float
    activation: str
    head: str  # the output layer's name in the state dict: "lm_head" or "mlm_head"
    positions: tuple[tuple[float, ...], ...] | None  # a fixed sinusoidal table, or None: wpe.weight

    @property
    def causal(self) -> bool:
        return self.kind == "gpt"

    def as_json(self) -> dict[str, Any]:
        names = ("kind", "n_layer", "n_head", "d_model", "d_ff", "vocab_size", "context", "norm", "eps")
        return {name: getattr(self, name) for name in names} | {
            "activation": self.activation,
            "head": self.head,
            "causal": self.causal,
            "d_head": self.d_model // self.n_head,
            "positions": None if self.positions is None else [list(row) for row in self.positions],
        }


def architecture(model: GPT | BERT) -> Architecture:
    """The `Architecture` of a GPT or a BERT (pre-norm blocks, no segments)."""
    if not isinstance(model, (GPT, BERT)):
        raise TypeError(f"model view: expected a GPT or a BERT, got {type(model).__name__}")
    block = model.blocks[0]
    if not block.norm_first:
        raise ValueError("model view: only pre-norm blocks (norm_first=True, as GPT-2) can be shown")
    if isinstance(model, BERT) and model.n_segments:
        raise ValueError("model view: a BERT with segment embeddings (n_segments > 0) cannot be shown")
    positions = None
    if isinstance(model.wpe, SinusoidalPositionalEncoding):
        positions = tuple(tuple(row) for row in model.wpe.table)
    is_gpt = isinstance(model, GPT)
    return Architecture(
        kind="gpt" if is_gpt else "bert",
        n_layer=len(model.blocks),
        n_head=model.n_head,
        d_model=block.d_model,
        d_ff=block.mlp.fc.out_features,
        vocab_size=model.vocab_size,
        context=model.block_size if is_gpt else model.max_len,
        norm="rmsnorm" if isinstance(block.ln_1, RMSNorm) else "layernorm",
        eps=block.ln_1.eps,
        activation=block.mlp.activation,
        head="lm_head" if is_gpt else "mlm_head",
        positions=positions,
    )


# ---------------------------------------------------- float building blocks
def _linear(state: State, name: str, x: Sequence[float]) -> list[float]:
    """W x + b with W = state[name.weight], (out, in) as in PyTorch."""
    weight, bias = state[name + ".weight"], state.get(name + ".bias")
    if bias is None:
        return [sum(map(mul, row, x)) for row in weight]
    return [sum(map(mul, row, x)) + b for row, b in zip(weight, bias)]


def _norm(arch: Architecture, state: State, name: str, x: Sequence[float]) -> list[float]:
    """LayerNorm (centre, divide by the std) or RMSNorm (divide by the rms),
    then the learned gain and bias, as `tinygrad_edu.nn.norm`."""
    n = len(x)
    if arch.norm == "layernorm":
        mean = sum(x) * (1.0 / n)
        x = [xi - mean for xi in x]
    inv = (sum(map(mul, x, x)) * (1.0 / n) + arch.eps) ** -0.5
    y = [xi * inv for xi in x]
    weight, bias = state.get(name + ".weight"), state.get(name + ".bias")
    if weight is not None:
        y = [yi * w for yi, w in zip(y, weight)]
    if bias is not None:
        y = [yi + b for yi, b in zip(y, bias)]
    return y


def _activate(z: float, activation: str) -> float:
    if activation == "relu":
        return z if z > 0.0 else 0.0
    if activation == "tanh":
        return math.tanh(z)
    if activation == "sigmoid":
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
    return z  # "linear"


def softmax(z: Sequence[float], temperature: float = 1.0) -> list[float]:
    """exp(z_i / T) / sum_j exp(z_j / T), the max subtracted first (stable
    at any temperature: nothing overflows, the largest term is exp(0) = 1).

        >>> [round(p, 4) for p in softmax([2.0, 1.0, 0.1])]
        [0.659, 0.2424, 0.0986]
        >>> softmax([1000.0, 0.0], temperature=0.05)
        [1.0, 0.0]
    """
    scaled = [zi / temperature for zi in z] if temperature != 1.0 else list(z)
    top = max(scaled)
    exps = [math.exp(zi - top) for zi in scaled]
    total = sum(exps)
    return [e / total for e in exps]


def _add(xs: list[list[float]], hs: list[list[float]]) -> list[list[float]]:
    return [[a + b for a, b in zip(x, h)] for x, h in zip(xs, hs)]


# ------------------------------------------------------------------ trace
def _head(arch: Architecture, state: State, name: str, xs: list[list[float]]) -> dict[str, Any]:
    """One attention head on the normed stream xs (T, d_model), step by step."""
    qs = [_linear(state, name + ".query", x) for x in xs]  # (T, d_head)
    ks = [_linear(state, name + ".key", x) for x in xs]  # (T, d_head)
    vs = [_linear(state, name + ".value", x) for x in xs]  # (T, d_head)
    scale = 1.0 / math.sqrt(len(qs[0]))
    T = len(xs)
    scores, weights, outs = [], [], []
    for t, q in enumerate(qs):
        q = [qi * scale for qi in q]  # as AttentionHead: q / sqrt(d) once, then the dots
        seen = t + 1 if arch.causal else T
        row = [sum(map(mul, q, ks[s])) for s in range(seen)]  # q.k / sqrt(d_head)
        att = softmax(row)  # what a causal query may not see is not in the softmax at all
        scores.append(row + [None] * (T - seen))  # None: masked (the future, in a GPT)
        weights.append(att + [0.0] * (T - seen))
        outs.append([sum(a * v[j] for a, v in zip(att, vs)) for j in range(len(vs[0]))])
    return {"q": qs, "k": ks, "v": vs, "scores": scores, "attention": weights, "out": outs}


def trace_blocks(arch: Architecture, state: State, ids: Sequence[int]) -> tuple[dict, list[dict]]:
    """The embeddings and every block's intermediate vectors, as floats:
    ({"token", "position", "sum"}, [one dict per block])."""
    token = [list(state["wte.weight"][i]) for i in ids]
    table = arch.positions if arch.positions is not None else state["wpe.weight"]
    position = [list(table[t]) for t in range(len(ids))]
    xs = _add(token, position)
    embeddings = {"token": token, "position": position, "sum": xs}
    layers = []
    for i in range(arch.n_layer):
        name = f"blocks.{i}."
        normed = [_norm(arch, state, name + "ln_1", x) for x in xs]
        heads = [_head(arch, state, f"{name}attn.heads.{h}", normed) for h in range(arch.n_head)]
        concat = [[v for head in heads for v in head["out"][t]] for t in range(len(xs))]
        attn_out = [_linear(state, name + "attn.proj", c) for c in concat]
        mid = _add(xs, attn_out)
        normed_2 = [_norm(arch, state, name + "ln_2", x) for x in mid]
        hidden = [
            [_activate(z, arch.activation) for z in _linear(state, name + "mlp.fc", x)] for x in normed_2
        ]
        ffn_out = [_linear(state, name + "mlp.proj", h) for h in hidden]
        xs = _add(mid, ffn_out)
        layers.append(
            {
                "norm_1": normed,
                "heads": heads,
                "attn_out": attn_out,
                "stream_mid": mid,
                "norm_2": normed_2,
                "ffn_hidden": hidden,
                "ffn_out": ffn_out,
                "stream": xs,
            }
        )
    return embeddings, layers


def _unembed(arch: Architecture, state: State, x: Sequence[float]) -> list[float]:
    return _linear(state, arch.head, _norm(arch, state, "ln_f", x))


def trace(arch: Architecture, state: State, ids: Sequence[int]) -> dict[str, Any]:
    """The whole forward pass of `ids` in floats: the embeddings, each
    block's vectors, the stream's size at each depth, the logit lens and
    the logits (T, vocab_size), equal to the model's own."""
    embeddings, layers = trace_blocks(arch, state, ids)
    depths = [("embeddings", embeddings["sum"])]
    for i, layer in enumerate(layers):
        depths += [
            (f"block {i} + attention", layer["stream_mid"]),
            (f"block {i} + feed-forward", layer["stream"]),
        ]
    logits = [_unembed(arch, state, x) for x in depths[-1][1]]
    lens = []
    for label, stream in depths:
        rows = logits if stream is depths[-1][1] else [_unembed(arch, state, x) for x in stream]
        lens.append({"depth": label, "top": [_top_tokens(softmax(row)) for row in rows]})
    return {
        "embeddings": embeddings,
        "layers": layers,
        "stream_norms": [
            {"depth": label, "norms": [math.sqrt(sum(map(mul, x, x))) for x in stream]}
            for label, stream in depths
        ],
        "logit_lens": lens,
        "logits": logits,
        "probs": [softmax(row) for row in logits],
    }


def _top_tokens(probs: Sequence[float], k: int = TOP_TOKENS) -> list[list]:
    """[[id, p], ...] of the k likeliest ids, likeliest first (ties: lower id)."""
    return [[i, probs[i]] for i in sorted(range(len(probs)), key=lambda i: (-probs[i], i))[:k]]


def attention_weight_graph(
    arch: Architecture, state: State, ids: Sequence[int], layer: int, head: int, query: int, key: int
) -> Value:
    """One attention weight as a graph of Values on the scalar engine: the
    query and the keys it sees (leaves, their numbers from the trace), the
    scores q.k / sqrt(d_head), the softmax, and weight[query][key] at the
    top, ready for `viz.stepping_page` (its forward pass equals the trace's
    weight, its backward pass says how each number of q and k moves it).

        >>> import random; random.seed(0)
        >>> model = GPT(5, block_size=4, n_layer=1, n_embd=4, n_head=2)
        >>> arch, state = architecture(model), model.state_dict()
        >>> w = attention_weight_graph(arch, state, [0, 1, 2], 0, 1, 2, 0)
        >>> w.data == trace(arch, state, [0, 1, 2])["layers"][0]["heads"][1]["attention"][2][0]
        True
    """
    hd = trace_blocks(arch, state, ids)[1][layer]["heads"][head]
    scale = 1.0 / math.sqrt(len(hd["q"][query]))
    q = [Value(x, label=f"q{query}[{i}]") for i, x in enumerate(hd["q"][query])]
    q_scaled = [qi * scale for qi in q]  # as AttentionHead: q / sqrt(d) once, then the dots
    seen = query + 1 if arch.causal else len(ids)
    scores = []
    for s in range(seen):
        k = [Value(x, label=f"k{s}[{i}]") for i, x in enumerate(hd["k"][s])]
        score = Value.dot(q_scaled, k)
        score.label = f"score {query},{s}"
        scores.append(score)
    weight = value_softmax(scores)[key]
    weight.label = f"weight {query},{key}"
    return weight


# ------------------------------------------------------ neurons as memories
def neuron_memories(
    arch: Architecture,
    state: State,
    corpus: Sequence[Sequence[int]],
    itos: Sequence[str],
    k: int = TOP_CONTEXTS,
) -> list[list[dict[str, Any]]]:
    """Per block, per hidden neuron of the feed-forward layer: its top-k
    `contexts` over `corpus` (documents of token ids; where it fires most,
    one entry per distinct context, ties broken by document then position)
    and the tokens its value vector `promotes` and `suppresses`.

    A context is {"before": tokens, "token": the trigger, "after": tokens,
    "activation", "doc", "position"}: a GPT sees only the text up to the
    trigger, so "after" is empty; BERT sees both sides.
    """
    found: list[list[list[tuple[float, int, int]]]] = [
        [[] for _ in range(arch.d_ff)] for _ in range(arch.n_layer)
    ]
    for d, doc in enumerate(corpus):
        _, layers = trace_blocks(arch, state, doc)
        for i, layer in enumerate(layers):
            for t, hidden in enumerate(layer["ffn_hidden"]):
                for j, a in enumerate(hidden):
                    found[i][j].append((a, d, t))
    out = []
    for i in range(arch.n_layer):
        values = _value_logits(arch, state, i)  # (d_ff, vocab_size)
        neurons = []
        for j in range(arch.d_ff):
            contexts = _distinct_top(found[i][j], corpus, itos, arch.causal, k)
            order = sorted(range(arch.vocab_size), key=lambda v: (-values[j][v], v))
            neurons.append(
                {
                    "contexts": contexts,
                    "promotes": [[v, values[j][v]] for v in order[:TOP_TOKENS]],
                    "suppresses": [[v, values[j][v]] for v in order[::-1][:TOP_TOKENS]],
                }
            )
        out.append(neurons)
    return out


def _distinct_top(found, corpus, itos, causal: bool, k: int) -> list[dict[str, Any]]:
    """The k largest activations whose contexts read differently (a GPT's
    activation at t depends only on the text up to t, so the same prefix in
    two names gives the same number: shown once)."""
    contexts, seen = [], set()
    for a, d, t in sorted(found, key=lambda f: (-f[0], f[1], f[2])):
        doc = corpus[d]
        before = tuple(doc[max(0, t - CONTEXT_SHOWN) : t])
        after = () if causal else tuple(doc[t + 1 : t + 1 + CONTEXT_SHOWN])
        key = (before, doc[t], after)
        if key in seen:
            continue
        seen.add(key)
        contexts.append(
            {
                "before": [itos[i] for i in before],
                "token": itos[doc[t]],
                "after": [itos[i] for i in after],
                "activation": a,
                "doc": d,
                "position": t,
            }
        )
        if len(contexts) == k:
            break
    return contexts


def _value_logits(arch: Architecture, state: State, layer: int) -> list[list[float]]:
    """For each hidden neuron j of block `layer`: head.weight @ (g * W_2[:, j]),
    g the final norm's gain (1 without one): (d_ff, vocab_size)."""
    w2 = state[f"blocks.{layer}.mlp.proj.weight"]  # (d_model, d_ff)
    gain = state.get("ln_f.weight") or [1.0] * arch.d_model
    unembed = state[arch.head + ".weight"]  # (vocab_size, d_model)
    out = []
    for j in range(arch.d_ff):
        value = [w2[r][j] * g for r, g in enumerate(gain)]  # (d_model,)
        out.append([sum(map(mul, row, value)) for row in unembed])
    return out


def scan_sample(corpus: Sequence[Sequence[int]], tokens: int = SCAN_TOKENS, seed: int = 0) -> list[list[int]]:
    """A seeded sample of whole documents holding about `tokens` positions
    (all of `corpus` when it is smaller), in corpus order.

        >>> scan_sample([[1, 2], [3, 4], [5, 6]], tokens=4, seed=0)
        [[1, 2], [5, 6]]
    """
    order = list(range(len(corpus)))
    random.Random(seed).shuffle(order)
    chosen, total = [], 0
    for d in order:
        if total >= tokens:
            break
        chosen.append(d)
        total += len(corpus[d])
    return [list(corpus[d]) for d in sorted(chosen)]


# ----------------------------------------------------------------- prompt
def encode_prompt(
    tokenizer: CharTokenizer | WordTokenizer, prompt: str, context: int
) -> tuple[list[int], list[str]]:
    """(ids, warnings) for `prompt`.

    A character model reads it character by character (its BOS character,
    '.', is the start of a name); a BERT reads words (``[MASK]`` hides one)
    between [CLS] and [SEP], each as `fill_mask` reads it
    (`normalise_sentence`: lower case, punctuation at its ends off). A
    character outside the vocabulary is mapped to its lowercase if that is
    in it, else left out; a word is read in its normalised form if that is
    in the vocabulary, else as [UNK]; each with a warning; a prompt longer than the context
    keeps its last `context` tokens, with a warning. An empty prompt is a
    ValueError.

        >>> encode_prompt(CharTokenizer("ab"), ".Ab!", 16)
        ([0, 1, 2], ["'A' is not in the vocabulary: read as 'a'", "'!' is not in the vocabulary: left out"])
    """
    if not isinstance(prompt, str):
        raise TypeError(f"model view: the prompt must be a str, got {type(prompt).__name__}")
    if not prompt.strip():
        raise ValueError("model view: the prompt is empty; give some text to look at")
    warnings: list[str] = []
    if isinstance(tokenizer, WordTokenizer):
        ids = [tokenizer.cls]
        for typed in prompt.split():
            # Each word as `fill_mask` reads it (normalise_sentence: lower
            # case, punctuation at its ends off), so both see the same ids.
            words = normalise_sentence(typed)
            if not words:  # punctuation alone
                warnings.append(f"{typed!r} is not in the vocabulary: left out")
            for word in words:
                if word in tokenizer.stoi:
                    ids.append(tokenizer.stoi[word])
                    if word != typed:
                        warnings.append(f"{typed!r} is not in the vocabulary: read as {word!r}")
                else:
                    ids.append(tokenizer.unk)
                    warnings.append(f"{typed!r} is not in the vocabulary: read as [UNK]")
        ids.append(tokenizer.sep)
    elif isinstance(tokenizer, CharTokenizer):
        ids = []
        for c in prompt:
            if c == tokenizer.bos_char:
                ids.append(tokenizer.bos)
            elif c in tokenizer.stoi:
                ids.append(tokenizer.stoi[c])
            elif c.lower() in tokenizer.stoi:
                ids.append(tokenizer.stoi[c.lower()])
                warnings.append(f"{c!r} is not in the vocabulary: read as {c.lower()!r}")
            else:
                warnings.append(f"{c!r} is not in the vocabulary: left out")
        if not ids:
            raise ValueError(f"model view: no character of the prompt {prompt!r:.60} is in the vocabulary")
    else:
        raise TypeError(
            f"model view: expected a CharTokenizer or a WordTokenizer, got {type(tokenizer).__name__}"
        )
    if len(ids) > context:
        warnings.append(
            f"the prompt is {len(ids)} tokens long but the context holds {context}: showing the last {context}"
        )
        ids = ids[-context:]
    return ids, warnings


# ------------------------------------------------------------------- data
def model_view_data(
    model: GPT | BERT,
    tokenizer: CharTokenizer | WordTokenizer,
    prompt: str,
    *,
    corpus: Sequence[Sequence[int]] | None = None,
    snapshots: Sequence[dict[str, Any]] = (),
    scan_tokens: int = SCAN_TOKENS,
) -> dict[str, Any]:
    """The page's data (a dict of lists and numbers, ready for JSON).

    `corpus`: documents of token ids (what the model was trained on) for the
    neurons' top contexts, of which a seeded sample of about `scan_tokens`
    positions is scanned (the same sample at every moment). `snapshots`:
    earlier moments of training, each {"step": int, "state_dict": ...}; the
    model as it is now is the last moment.
    """
    arch = architecture(model)
    ids, warnings = encode_prompt(tokenizer, prompt, arch.context)  # checks the tokenizer's type too
    if len(tokenizer.itos) != arch.vocab_size:
        raise ValueError(
            f"model view: the tokenizer has {len(tokenizer.itos)} tokens but the model {arch.vocab_size}"
        )
    itos = list(tokenizer.itos)  # id -> its text, as shown
    sample = scan_sample(corpus, scan_tokens) if corpus else []
    state = model.state_dict()
    for i, snapshot in enumerate(snapshots):
        _check_snapshot(snapshot, i, state)
    moments = [*snapshots, {"step": None, "state_dict": state}]
    data_moments = []
    for moment in moments:
        weights = moment["state_dict"]
        data_moments.append(
            {
                "step": moment["step"],
                **trace(arch, weights, ids),
                "neurons": neuron_memories(arch, weights, sample, itos) if sample else [],
                "weights": _weights_for_page(arch, weights),
            }
        )
    if isinstance(tokenizer, WordTokenizer):
        masks = [t for t, i in enumerate(ids) if i == tokenizer.mask]
        selected = masks[0] if masks else min(1, len(ids) - 1)
    else:
        selected = len(ids) - 1
    return {
        "kind": arch.kind,
        "config": arch.as_json(),
        "vocab": itos,
        "prompt": prompt,
        "ids": ids,
        "tokens": [itos[i] for i in ids],
        "selected": selected,
        "warnings": warnings,
        "scanned": {"documents": len(sample), "tokens": sum(map(len, sample))},
        "moments": data_moments,
    }


def _check_snapshot(snapshot: Any, i: int, state: State) -> None:
    """A snapshot must be {"step": int, "state_dict": the model's names and shapes}."""
    if not isinstance(snapshot, dict) or set(snapshot) != {"step", "state_dict"}:
        raise TypeError(f"model view: snapshot {i} must be a dict with 'step' and 'state_dict'")
    weights = snapshot["state_dict"]
    if type(snapshot["step"]) is not int or not isinstance(weights, dict) or set(weights) != set(state):
        raise ValueError(
            f"model view: snapshot {i} must hold an int step and the model's own state_dict names"
        )
    for name, tensor in state.items():
        if _shape(weights[name]) != _shape(tensor):
            raise ValueError(
                f"model view: snapshot {i}'s {name} has shape {_shape(weights[name])}, "
                f"the model's {_shape(tensor)}"
            )


def _shape(x: Any) -> tuple[int, ...]:
    return (len(x), *_shape(x[0])) if isinstance(x, list) and x else ()


def _weights_for_page(arch: Architecture, state: State) -> State:
    """The state dict the page's own forward pass reads (for "sample"): a
    tied output layer is listed once, under the token embedding's name."""
    tied = state[arch.head + ".weight"] == state["wte.weight"]
    return {
        name: _rounded(value) for name, value in state.items() if not (tied and name == arch.head + ".weight")
    }


def _rounded(x: Any) -> Any:
    """Numbers to 9 significant digits (the page's sampling needs no more;
    the weights are the page's largest part)."""
    if isinstance(x, list):
        return [_rounded(v) for v in x]
    return float(f"{x:.9g}")


# ------------------------------------------------------------------- page
def model_view_page(data: dict[str, Any], title: str | None = None) -> str:
    """The page for `model_view_data`'s data: one self-contained HTML file."""
    title = title or f"Inside your {data['kind'].upper()}: {' '.join(data['tokens'])[:60]}"
    return html_page(
        title,
        read_asset("model_view.html"),
        styles=["model_view.css"],
        scripts=["model_view.js"],
        data=data,
        data_id="model-view-data",
    )


def write_model_view(
    model: GPT | BERT,
    tokenizer: CharTokenizer | WordTokenizer,
    prompt: str,
    path: str | os.PathLike,
    *,
    corpus: Sequence[Sequence[int]] | None = None,
    snapshots: Sequence[dict[str, Any]] = (),
    json_path: str | os.PathLike | None = None,
    scan_tokens: int = SCAN_TOKENS,
    step_page: bool = True,
) -> tuple[Path, list[str]]:
    """Write the model view of `prompt` to `path` (and its data to
    `json_path`), each atomically; returns (path, warnings). With
    `step_page`, also ``<path stem>-attention-step.html`` beside it: the
    stepping page (`viz.stepping_page`) of one attention weight, the largest
    of head 0 in block 0 at the selected position, which the view links to."""
    data = model_view_data(
        model, tokenizer, prompt, corpus=corpus, snapshots=snapshots, scan_tokens=scan_tokens
    )
    path = Path(path)
    step_page = _attention_step_page(model, data) if step_page else None
    if step_page is not None:
        step_name = path.stem + "-attention-step.html"
        data["step_page"] = {**step_page[0], "file": step_name}
    page = model_view_page(data)
    if json_path is not None:
        _write_atomically(Path(json_path), json.dumps(data, ensure_ascii=False, allow_nan=False))
    if step_page is not None:
        _write_atomically(path.parent / step_name, step_page[1])
    _write_atomically(path, page)
    return path, data["warnings"]


def _attention_step_page(model: GPT | BERT, data: dict[str, Any]) -> tuple[dict, str] | None:
    """(where, the stepping page) for the largest weight of head 0 of block 0
    at the selected position, in the trained model; None when no Graphviz
    renderer is at hand (the model view is written all the same)."""
    from .page import stepping_page
    from .rendering import RendererUnavailable

    query = data["selected"]
    row = data["moments"][-1]["layers"][0]["heads"][0]["attention"][query]
    key = max(range(len(row)), key=lambda s: (row[s], -s))
    where = {"layer": 0, "head": 0, "query": query, "key": key}
    root = attention_weight_graph(architecture(model), model.state_dict(), data["ids"], 0, 0, query, key)
    tokens = data["tokens"]
    title = (
        f"How {tokens[query]!r} (position {query}) weighs {tokens[key]!r} (position {key}): block 0, head 0"
    )
    try:
        return where, stepping_page(root, title=title)
    except RendererUnavailable:
        return None


def _write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename: a crash leaves
    the old file or none, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
