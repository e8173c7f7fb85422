"""A tiny GPT from scalar Values: token ids in, next-token logits out.

`GPT` stacks: token embedding + position embedding -> blocks -> final norm
-> `lm_head`, a Linear to one logit per vocabulary entry. The names follow
nanoGPT (wte, wpe, ln_f, lm_head, ln_1, attn, ln_2, mlp).

    >>> import random; random.seed(0)
    >>> from tinygrad_edu.nn import shape_of
    >>> model = GPT(vocab_size=5, block_size=4, n_layer=1, n_embd=8, n_head=2)
    >>> model.num_parameters()
    1005
    >>> for name, tensor in list(model.named_parameters())[:4]: print(name, shape_of(tensor))
    wte.weight (5, 8)
    wpe.weight (4, 8)
    blocks.0.ln_1.weight (8,)
    blocks.0.ln_1.bias (8,)
    >>> model.blocks[0]  # doctest: +ELLIPSIS
    TransformerBlock(d_model=8, n_head=2, d_ff=32, norm_first=True)
      (ln_1): LayerNorm(8, eps=1e-05)
      (attn): MultiHeadAttention(d_model=8, n_head=2, causal=True)
        (heads.0): AttentionHead(d_model=8, d_head=4, causal=True)
      ...
      (mlp): FeedForward(8 -> 32 -> 8, relu)
        (fc): Linear(in_features=8, out_features=32, bias=True)
        (proj): Linear(in_features=32, out_features=8, bias=True)
    >>> logits = model([0, 3, 1])  # 3 token ids -> 3 rows of 5 logits
    >>> len(logits), len(logits[0])
    (3, 5)
    >>> loss = model.loss([0, 3, 1], [3, 1, 0])  # mean cross-entropy of the next token
    >>> loss.backward()
    >>> model.generate([0], 3, seed=1)  # the prompt, then 3 sampled ids
    [0, 0, 3, 3]
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

from ..checks import (
    check_flag,
    check_ids,
    check_size,
    describe,
)
from ..engine import Value
from ..functional import cross_entropy, inverse_temperature, softmax
from ..nn.embedding import Embedding, PositionalEmbedding, SinusoidalPositionalEncoding
from ..nn.linear import Linear
from ..nn.module import Module
from ..nn.norm import make_norm
from ..nn.transformer import TransformerBlock, check_block_settings
from ..recording import no_grad

__all__ = ["GPT"]


class GPT(Module):
    """A decoder-only language model: token ids in, next-token logits out.

    ``GPT(vocab_size, block_size, n_layer, n_embd, n_head)`` as in nanoGPT;
    `block_size` is the context length. Options: `d_ff` (4 * n_embd), `norm`
    ('layernorm' or 'rmsnorm'), `bias` (in every Linear and LayerNorm, as
    nanoGPT's flag), `positional` ('learned' or 'sinusoidal'), `activation`.

    Calls:

    * ``model(ids)`` -> (T, vocab_size) logits, row t predicting token t+1;
    * ``model.loss(ids, targets)`` -> the mean cross-entropy (a Value);
    * ``model.evaluate(documents)`` -> the mean loss per token (a float, no graph);
    * ``model.generate(prompt, n, temperature, top_k, seed)`` -> token ids.
    """

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
        check_size(vocab_size, "GPT", "vocab_size")
        check_size(block_size, "GPT", "block_size")
        check_size(n_layer, "GPT", "n_layer")
        check_block_settings("GPT", n_embd, n_head, d_ff, norm, activation, d_model_name="n_embd")
        check_flag(bias, "GPT", "bias")
        self.wte = Embedding(vocab_size, n_embd)
        if positional == "learned":
            self.wpe = PositionalEmbedding(block_size, n_embd)
        elif positional == "sinusoidal":
            self.wpe = SinusoidalPositionalEncoding(block_size, n_embd)
        else:
            raise ValueError(f"GPT: positional must be 'learned' or 'sinusoidal', got {positional!r}")
        self.blocks = [
            TransformerBlock(
                n_embd,
                n_head,
                d_ff,
                causal=True,
                norm_first=True,
                norm=norm,
                bias=bias,
                activation=activation,
            )
            for _ in range(n_layer)
        ]
        self.ln_f = make_norm(norm, n_embd, bias, where="GPT")
        self.lm_head = Linear(n_embd, vocab_size, bias=bias)
        self.vocab_size = vocab_size
        self.block_size = block_size
        self.n_embd = n_embd
        self.n_head = n_head
        self._config = {
            "vocab_size": vocab_size,
            "block_size": block_size,
            "n_layer": n_layer,
            "n_embd": n_embd,
            "n_head": n_head,
            "d_ff": d_ff,
            "norm": norm,
            "bias": bias,
            "positional": positional,
            "activation": activation,
        }

    def config(self) -> dict:
        """The constructor's keyword arguments, as a dict: ``GPT(**model.config())``
        builds the same architecture (what a saved model file records)."""
        return dict(self._config)

    # ------------------------------------------------------------- forward
    def __call__(self, ids: Sequence[int]) -> list[list[Value]]:
        check_ids(ids, self.vocab_size, self)
        self._check_context(ids)
        xs = self.wpe(self.wte(ids))  # (T, n_embd)
        for block in self.blocks:
            xs = block(xs)  # (T, n_embd)
        return self.lm_head([self.ln_f(x) for x in xs])  # (T, vocab_size)

    def loss(self, ids: Sequence[int], targets: Sequence[int]) -> Value:
        """Mean over positions of cross_entropy(logits_t, targets[t])."""
        for what, xs in (("ids", ids), ("targets", targets)):
            if isinstance(xs, (str, bytes)) or not isinstance(xs, Sequence):
                raise TypeError(
                    f"{describe(self)}.loss: {what} must be a list of token ids, got {type(xs).__name__}"
                )
        if len(targets) != len(ids):
            raise ValueError(
                f"{describe(self)}.loss: got {len(ids)} input ids but {len(targets)} targets; need one each"
            )
        check_ids(targets, self.vocab_size, self)
        logits = self(ids)
        losses = [cross_entropy(row, y) for row, y in zip(logits, targets)]
        return Value.sum(losses) * (1.0 / len(losses))

    def evaluate(self, documents: Iterable[Sequence[int]]) -> float:
        """Mean loss per predicted token over documents, without building a graph.

        Each document is a list of ids; its tokens 1.. are predicted from the
        ones before (so at most block_size + 1 ids per document).
        """
        if isinstance(documents, (str, bytes)) or not isinstance(documents, Iterable):
            raise TypeError(
                f"GPT.evaluate: expected a list of documents (lists of token ids), got {type(documents).__name__}"
            )
        total, count = 0.0, 0
        with no_grad():
            for k, doc in enumerate(documents):
                if isinstance(doc, (str, bytes)) or not isinstance(doc, Sequence):
                    raise TypeError(
                        f"GPT.evaluate: document {k} must be a list of token ids, got {type(doc).__name__} "
                        "(for one document, pass [ids])"
                    )
                if len(doc) < 2:
                    raise ValueError(f"GPT.evaluate: a document needs at least 2 token ids, got {len(doc)}")
                if len(doc) > self.block_size + 1:
                    raise ValueError(
                        f"GPT.evaluate: document {k} has {len(doc)} token ids; at most "
                        f"block_size + 1 = {self.block_size + 1} fit the context"
                    )
                n = len(doc) - 1
                total += self.loss(doc[:-1], doc[1:]).data * n
                count += n
        if not count:
            raise ValueError("GPT.evaluate: got no documents")
        return total / count

    # ------------------------------------------------------------ sampling
    def generate(
        self,
        prompt_ids: Sequence[int],
        n: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        seed: int | None = None,
        stop: int | None = None,
    ) -> list[int]:
        """Sample `n` more tokens after the prompt; return prompt + new ids.

        Each step feeds the last block_size ids, takes the logits of the last
        position, keeps the `top_k` largest (if given), and samples from
        softmax(logits / temperature): below 1 sharper (safer, duller), above
        1 flatter (more surprising). `seed` makes it repeatable (a private
        random.Random; None uses the `random` module). Generation stops early
        after emitting `stop`, if given. Runs in `no_grad()`: no graph.
        """
        check_ids(prompt_ids, self.vocab_size, self)
        ids = list(prompt_ids)
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"GPT.generate: n must be a non-negative int, got {n!r}")
        inverse_temperature(temperature, "GPT.generate")  # checked here, to name generate
        # top_k above vocab_size keeps every token, as nanoGPT's min(top_k, vocab_size).
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
            raise ValueError(f"GPT.generate: top_k must be a positive int or None, got {top_k!r}")
        if stop is not None and (type(stop) is not int or not 0 <= stop < self.vocab_size):
            raise ValueError(
                f"GPT.generate: stop must be None or a token id in 0..{self.vocab_size - 1}, got {stop!r}"
            )
        rng = random.Random(seed) if seed is not None else random
        with no_grad():
            for _ in range(n):
                logits = self(ids[-self.block_size :])[-1]  # (vocab_size,): the next token's
                candidates = list(range(self.vocab_size))
                if top_k is not None and top_k < self.vocab_size:
                    candidates.sort(key=lambda i: -logits[i].data)  # stable: ties keep id order
                    candidates = sorted(candidates[:top_k])
                probs = softmax([logits[i] for i in candidates], temperature)
                next_id = rng.choices(candidates, weights=[p.data for p in probs])[0]
                ids.append(next_id)
                if next_id == stop:
                    break
        return ids

    # -------------------------------------------------------------- checks
    def _check_context(self, ids: Sequence[int]) -> None:
        if isinstance(ids, Sequence) and len(ids) > self.block_size:
            raise ValueError(
                f"{describe(self)}: got {len(ids)} token ids, but the context holds block_size={self.block_size}; "
                f"feed the last {self.block_size}"
            )

    def extra_repr(self) -> str:
        return (
            f"vocab_size={self.vocab_size}, block_size={self.block_size}, n_layer={len(self.blocks)}, "
            f"n_embd={self.n_embd}, n_head={self.n_head}, {self.num_parameters()} parameters"
        )
