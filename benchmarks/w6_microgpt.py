"""Benchmark W6: the scalar GPT a learner writes by hand, on two engines.

Karpathy's microgpt trains a 1-layer GPT (16 dims, 4 heads, context 16,
RMSNorm, a ReLU MLP, an untied lm_head, keys and values kept in lists) on
first names, with nothing but scalar `+`, `*`, `**`, `exp`, `log` and `relu`:
no fused sums, every weight times every input its own node. This file is our
own re-implementation of that design, for measuring:

* `MicroValue` is the engine as microgpt describes it: `__slots__` data,
  grad, children and local grads; each op returns
  ``MicroValue(result, (operands...), (local grads...))``, numbers wrapped by
  `isinstance` checks, `-` and `/` built from `+`, `*` and `**`, a recursive
  topological sort with a visited set, and backward doing
  ``child.grad += local_grad * v.grad``.
* `make_step(value_class)` runs the same forward (`gpt`), mean cross-entropy,
  backward and Adam update on either `MicroValue` or `tinygrad_edu.Value`:
  the code a learner writes by hand, unfused, on our engine and on that one.

    >>> step_ours, positions = make_step(__import__("tinygrad_edu").Value)
    >>> step_micro, _ = make_step(MicroValue)
    >>> positions
    7
    >>> abs(step_ours() - step_micro()) < 1e-12  # the same arithmetic on both engines
    True
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable

from tinygrad_edu.datasets import CharTokenizer, load_names

N_LAYER, N_EMBD, N_HEAD, BLOCK_SIZE = 1, 16, 4, 16
HEAD_DIM = N_EMBD // N_HEAD
NAME = "emmett"  # the name trained on, as in W4: 7 positions a step


# ====================================================== the microgpt-style engine
class MicroValue:
    """A scalar that records its children and the local derivative to each."""

    __slots__ = ("data", "grad", "_children", "_local_grads")

    def __init__(self, data, children=(), local_grads=()):
        self.data = data
        self.grad = 0
        self._children = children
        self._local_grads = local_grads

    def __add__(self, other):
        other = other if isinstance(other, MicroValue) else MicroValue(other)
        return MicroValue(self.data + other.data, (self, other), (1, 1))

    def __mul__(self, other):
        other = other if isinstance(other, MicroValue) else MicroValue(other)
        return MicroValue(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, k):  # a number exponent
        return MicroValue(self.data**k, (self,), (k * self.data ** (k - 1),))

    def log(self):
        return MicroValue(math.log(self.data), (self,), (1 / self.data,))

    def exp(self):
        out = math.exp(self.data)
        return MicroValue(out, (self,), (out,))

    def relu(self):
        return MicroValue(max(0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other**-1

    def __rtruediv__(self, other):
        return other * self**-1

    def backward(self):
        order, visited = [], set()

        def visit(v):
            if v not in visited:
                visited.add(v)
                for child in v._children:
                    visit(child)
                order.append(v)

        limit = sys.getrecursionlimit()  # the recursive sort goes as deep as the graph
        sys.setrecursionlimit(max(limit, 20_000))
        try:
            visit(self)
        finally:
            sys.setrecursionlimit(limit)
        self.grad = 1
        for v in reversed(order):
            for child, local_grad in zip(v._children, v._local_grads):
                child.grad += local_grad * v.grad


# ============================================================ the hand-written GPT
def linear(x, w):
    return [sum(wi * xi for wi, xi in zip(row, x)) for row in w]


def softmax(logits):
    shift = max(z.data for z in logits)
    exps = [(z - shift).exp() for z in logits]
    total = sum(exps)
    return [e / total for e in exps]


def rmsnorm(x):
    mean_square = sum(xi * xi for xi in x) / len(x)
    return [xi * (mean_square + 1e-5) ** -0.5 for xi in x]


def gpt(params, token, position, keys, values):
    x = [t + p for t, p in zip(params["wte"][token], params["wpe"][position])]
    x = rmsnorm(x)
    for layer in range(N_LAYER):
        residual = x
        x = rmsnorm(x)
        q = linear(x, params[f"{layer}.wq"])
        keys[layer].append(linear(x, params[f"{layer}.wk"]))
        values[layer].append(linear(x, params[f"{layer}.wv"]))
        heads = []
        for h in range(0, N_EMBD, HEAD_DIM):
            q_h = q[h : h + HEAD_DIM]
            scores = [sum(q_h[j] * k[h + j] for j in range(HEAD_DIM)) / HEAD_DIM**0.5 for k in keys[layer]]
            weights = softmax(scores)
            heads += [sum(w * v[h + j] for w, v in zip(weights, values[layer])) for j in range(HEAD_DIM)]
        x = [a + b for a, b in zip(linear(heads, params[f"{layer}.wo"]), residual)]
        residual = x
        hidden = [h.relu() for h in linear(rmsnorm(x), params[f"{layer}.fc1"])]
        x = [a + b for a, b in zip(linear(hidden, params[f"{layer}.fc2"]), residual)]
    return linear(x, params["lm_head"])


def make_params(value_class, vocab_size: int, seed: int = 0) -> dict:
    rng = random.Random(seed)

    def matrix(rows, cols):
        return [[value_class(rng.gauss(0.0, 0.08)) for _ in range(cols)] for _ in range(rows)]

    params = {"wte": matrix(vocab_size, N_EMBD), "wpe": matrix(BLOCK_SIZE, N_EMBD)}
    for layer in range(N_LAYER):
        for name in ("wq", "wk", "wv", "wo"):
            params[f"{layer}.{name}"] = matrix(N_EMBD, N_EMBD)
        params[f"{layer}.fc1"] = matrix(4 * N_EMBD, N_EMBD)
        params[f"{layer}.fc2"] = matrix(N_EMBD, 4 * N_EMBD)
    params["lm_head"] = matrix(vocab_size, N_EMBD)
    return params


def make_step(value_class, seed: int = 0) -> tuple[Callable[[], float], int]:
    """(step, positions): one step trains on NAME and returns its loss."""
    tokenizer = CharTokenizer.from_texts(load_names())
    params = make_params(value_class, tokenizer.vocab_size, seed)
    flat = [p for matrix in params.values() for row in matrix for p in row]
    tokens = tokenizer.encode_document(NAME)
    n = min(BLOCK_SIZE, len(tokens) - 1)
    lr, beta1, beta2, eps = 1e-2, 0.85, 0.99, 1e-8
    m, v = [0.0] * len(flat), [0.0] * len(flat)
    t = 0

    def step() -> float:
        nonlocal t
        keys, values = [[] for _ in range(N_LAYER)], [[] for _ in range(N_LAYER)]
        losses = []
        for position in range(n):
            probs = softmax(gpt(params, tokens[position], position, keys, values))
            losses.append(-probs[tokens[position + 1]].log())
        loss = (1 / n) * sum(losses)
        loss.backward()
        t += 1
        for i, p in enumerate(flat):  # Adam, then the grad is cleared
            m[i] = beta1 * m[i] + (1 - beta1) * p.grad
            v[i] = beta2 * v[i] + (1 - beta2) * p.grad**2
            m_hat = m[i] / (1 - beta1**t)
            v_hat = v[i] / (1 - beta2**t)
            p.data -= lr * m_hat / (v_hat**0.5 + eps)
            p.grad = 0
        return loss.data

    return step, n
