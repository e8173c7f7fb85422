"""The blocks that write: GenerateToken, and the two models built on it.

    LanguageModel(x) = GenerateToken(Collapse(SequenceModel(EmbedToken(x))))
    SequenceToSequence(x, y_<t) = GenerateToken(h_t + Attention(h_t, SequenceModel(EmbedToken(x))))
        with h = SequenceModel'(EmbedToken(<bos> y_<t))

GenerateToken scores every token y by x . EmbedToken(y), with the very
table the tokens were read with: a vector close to a token's own vector
makes that token likely.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from ..checks import check_ids, check_size, describe
from ..engine import Value
from ..functional import cross_entropy, softmax
from ..models.translate import BOS, EOS
from ..nn import Collapse, Linear
from ..recording import no_grad
from .basic import EmbedToken
from .block import Block, check_width, connect, expect_vector
from .sequence import LSTM, Attention, SequenceRNN

__all__ = ["GenerateToken", "LanguageModel", "SequenceToSequence"]


class GenerateToken(Block):
    """GenerateToken(x): a vector -> a distribution over tokens, p(y) ∝ exp(x · EmbedToken(y)).

    Given an `EmbedToken`, it shares that table E (the same parameters: one
    table reads tokens in and scores them out), so p = softmax(E x). Given
    sizes, ``GenerateToken(dim, vocab)``, it learns its own output layer
    instead, p = softmax(W x + b) (GPT's untied ``lm_head``).

    * ``generate(x)`` -> the probabilities, (vocab,) Values;
    * ``generate.scores(x)`` -> the logits x · E_y, before the softmax;
    * ``generate.loss(x, y)`` -> -log p(y), a Value;
    * ``generate.sample(x, rng)`` -> a token id drawn from p.

        >>> import random; random.seed(0)
        >>> embed = EmbedToken(4, 3)
        >>> generate = GenerateToken(embed)
        >>> generate
        GenerateToken(EmbedToken(4, 3))
        >>> p = generate([1.0, 0.0, -1.0])
        >>> len(p), round(sum(v.data for v in p), 12)
        (4, 1.0)
        >>> generate.sample([1.0, 0.0, -1.0], random.Random(0)) in range(4)
        True
    """

    def __init__(self, table: EmbedToken | int, vocab: int | None = None, *, bias: bool = True) -> None:
        if isinstance(table, EmbedToken):
            if vocab is not None and vocab != table.vocab:
                raise ValueError(f"GenerateToken: {table!r} has {table.vocab} tokens, not vocab={vocab}")
            self.weight = table.table.weight  # (vocab, dim): the same Values, tied
            self._tied = table
            dim, vocab = table.dim, table.vocab
        else:
            check_size(table, "GenerateToken", "dim")
            check_size(vocab, "GenerateToken", "vocab")
            self.out = Linear(table, vocab, bias=bias)
            self._tied = None
            dim = table
        self.in_dim, self.vocab = dim, vocab

    @property
    def tied_to(self) -> EmbedToken | None:
        """The EmbedToken whose table this shares, or None."""
        return self._tied

    def scores(self, x: Sequence) -> list[Value]:
        """x · E_y for every token y (or W x + b when untied): (dim,) -> (vocab,)."""
        expect_vector(self, x, self.in_dim)
        if self._tied is None:
            return self.out(x)
        return Value.linear(self.weight, x)  # one dot per row of the shared table

    def __call__(self, x: Sequence) -> list[Value]:
        return softmax(self.scores(x))

    def loss(self, x: Sequence, y: int) -> Value:
        """-log p(y | x): cross-entropy of the right token."""
        return cross_entropy(self.scores(x), y)

    def sample(self, x: Sequence, rng: random.Random | None = None, temperature: float = 1.0) -> int:
        """A token drawn from p (sharpened below temperature 1), without a graph."""
        with no_grad():
            probs = softmax(self.scores(x), temperature)
        return (rng or random).choices(range(self.vocab), weights=[p.data for p in probs])[0]

    def extra_repr(self) -> str:
        return repr(self._tied) if self._tied is not None else f"{self.in_dim}, {self.vocab}"


class LanguageModel(Block):
    """LanguageModel(x) = GenerateToken(Collapse(SequenceModel(EmbedToken(x)))).

    Tokens x_1..x_T in, the distribution of the next token out: embed each
    token, read them with a sequence model (`SequenceRNN`, or causal
    `TransformerBlock`s), keep the last position's vector (Collapse "last"),
    and score every token with it. ``generate_token`` defaults to
    `GenerateToken` sharing the embedding table.

    * ``model(ids)`` -> p(next token), (vocab,) Values;
    * ``model.loss(ids)`` -> the mean of -log p(x_{t+1} | x_1..x_t) over t:
      the sequence model runs once over the whole sequence, which gives each
      prefix's last vector at once because it is causal (the same numbers
      as calling the model on every prefix);
    * ``model.generate(prompt, n, seed, stop)`` -> the prompt and n sampled tokens.

        >>> import random; random.seed(0)
        >>> from tinygrad_edu.lecture import LSTM, SequenceRNN
        >>> model = LanguageModel(EmbedToken(27, 16), SequenceRNN(LSTM(16)))
        >>> model
        LanguageModel(x) = GenerateToken(Collapse(SequenceRNN(EmbedToken(x))))
          EmbedToken(27, 16)
          SequenceRNN(LSTM(16))
          Collapse(mode='last')
          GenerateToken(EmbedToken(27, 16))
        >>> len(model([0, 5, 13]))
        27
        >>> model.loss([0, 5, 13, 13, 1, 0]).backward()
    """

    takes, gives = "token ids", "vector"

    def __init__(
        self, embed_token: EmbedToken, sequence_model: Block, generate_token: GenerateToken | None = None
    ) -> None:
        if not isinstance(embed_token, EmbedToken):
            raise TypeError(f"LanguageModel: expected an EmbedToken first, got {embed_token!r:.60}")
        if not isinstance(sequence_model, Block) or (sequence_model.takes, sequence_model.gives) != (
            "sequence",
            "sequence",
        ):
            raise TypeError(
                f"LanguageModel: the sequence model must map a sequence to a sequence "
                f"(SequenceRNN, TransformerBlock, Stack), got {sequence_model!r:.60}"
            )
        if not sequence_model.causal:
            raise ValueError(
                f"LanguageModel: {sequence_model!r} lets a position read the tokens after it; "
                "a language model must not see the token it predicts: use causal=True"
            )
        generate_token = GenerateToken(embed_token) if generate_token is None else generate_token
        if not isinstance(generate_token, GenerateToken):
            raise TypeError(f"LanguageModel: expected a GenerateToken last, got {generate_token!r:.60}")
        self.embed_token = embed_token
        self.sequence_model = sequence_model
        self.collapse = Collapse("last")
        self.generate_token = generate_token
        connect("LanguageModel", embed_token, sequence_model)
        connect("LanguageModel", sequence_model, self.collapse)
        connect("LanguageModel", self.collapse, generate_token)
        check_width("LanguageModel", sequence_model, generate_token)  # Collapse keeps the width
        self.vocab = embed_token.vocab
        if generate_token.vocab != self.vocab:
            raise ValueError(
                f"LanguageModel: {generate_token!r} scores {generate_token.vocab} tokens, "
                f"but {embed_token!r} reads {self.vocab}"
            )

    def __call__(self, tokens: Sequence[int]) -> list[Value]:
        return self.generate_token(self.collapse(self.sequence_model(self.embed_token(tokens))))

    def loss(self, tokens: Sequence[int]) -> Value:
        check_ids(tokens, self.vocab, self)
        if len(tokens) < 2:
            raise ValueError(
                f"{describe(self)}.loss: needs at least 2 tokens (one to read, one to predict), got {len(tokens)}"
            )
        hs = self.sequence_model(self.embed_token(tokens[:-1]))  # (T-1, dim): h_t has read x_1..x_t
        losses = [self.generate_token.loss(h, y) for h, y in zip(hs, tokens[1:])]
        return Value.sum(losses) * (1.0 / len(losses))

    def generate(
        self,
        prompt: Sequence[int],
        n: int,
        *,
        seed: int | None = None,
        stop: int | None = None,
        temperature: float = 1.0,
    ) -> list[int]:
        check_ids(prompt, self.vocab, self)
        rng = random.Random(seed)
        tokens = list(prompt)
        with no_grad():
            for _ in range(n):
                h = self.collapse(self.sequence_model(self.embed_token(tokens)))
                tokens.append(self.generate_token.sample(h, rng, temperature))
                if tokens[-1] == stop:
                    break
        return tokens

    def formula(self, x: str = "x") -> str:
        inner = self.sequence_model.formula(self.embed_token.formula(x))
        return f"GenerateToken(Collapse({inner}))"

    def extra_repr(self) -> str:
        return self.formula()

    def __repr__(self) -> str:
        parts = [self.embed_token, self.sequence_model, self.collapse, self.generate_token]
        return "\n  ".join([f"LanguageModel(x) = {self.formula()}", *map(repr, parts)])


class SequenceToSequence(Block):
    """Read a sentence x, write a sentence y, one token at a time.

        u = SequenceModel(EmbedToken(x))                      the source, encoded: (S, dim)
        h = SequenceModel'(EmbedToken(<bos> y_1 .. y_{t-1}))  the target so far: (t, dim)
        p(y_t) = GenerateToken(h_t + Attention(h_t, u))

    The decoder's state h_t asks the source what to write next (one query
    against the sequence u); the answer is added to it and scored against
    every target token (GenerateToken shares the target's table). The
    decoder learns about the source only through that attention. Ends with
    <eos>; ids 0 and 1 of the target are <bos> and <eos>, as
    `tinygrad_edu.models.translate.Vocab` makes them. Default sequence
    models: `SequenceRNN(LSTM(dim))` for both.

        >>> import random; random.seed(0)
        >>> model = SequenceToSequence(source_vocab=6, target_vocab=7, dim=8)
        >>> model.loss([2, 3, 4], [4, 5, 6]).backward()   # teacher forcing: 4 tokens, <eos> included
        >>> len(model.translate([2, 3, 4], max_len=5)) <= 5
        True
    """

    takes, gives = "token ids", "vector"

    def __init__(
        self,
        source_vocab: int,
        target_vocab: int,
        dim: int,
        *,
        encoder: Block | None = None,
        decoder: Block | None = None,
        heads: int = 1,
    ) -> None:
        check_size(target_vocab, "SequenceToSequence", "target_vocab")
        if target_vocab < 3:
            raise ValueError(
                f"SequenceToSequence: target_vocab must hold <bos>, <eos> and a word, got {target_vocab}"
            )
        self.embed_source = EmbedToken(source_vocab, dim)
        self.encoder = SequenceRNN(LSTM(dim)) if encoder is None else encoder
        self.embed_target = EmbedToken(target_vocab, dim)
        self.decoder = SequenceRNN(LSTM(dim)) if decoder is None else decoder
        self.attention = Attention(dim, heads=heads)
        self.generate_token = GenerateToken(self.embed_target)
        connect("SequenceToSequence", self.embed_source, self.encoder)
        connect("SequenceToSequence", self.embed_target, self.decoder)
        connect("SequenceToSequence", self.encoder, self.attention)
        connect("SequenceToSequence", self.decoder, self.attention)
        if not self.decoder.causal:
            raise ValueError(
                f"SequenceToSequence: the decoder {self.decoder!r} must be causal (it must not read ahead)"
            )
        self.in_dim = self.out_dim = None

    def encode(self, source: Sequence[int]) -> list[list[Value]]:
        """u = SequenceModel(EmbedToken(x)): (S,) ids -> (S, dim)."""
        return self.encoder(self.embed_source(source))

    def _outputs(self, u: list[list[Value]], prefix: Sequence[int]) -> list[list[Value]]:
        """h_t + Attention(h_t, u) for every position of the target so far: (t, dim)."""
        hs = self.decoder(self.embed_target(prefix))  # (t, dim)
        contexts = self.attention(hs, u)  # (t, dim): each h_t a query against u
        return [[a + b for a, b in zip(h, c)] for h, c in zip(hs, contexts)]

    def loss(self, source: Sequence[int], target: Sequence[int]) -> Value:
        """Teacher forcing: read <bos> y, predict y <eos>; the mean -log p."""
        check_ids(target, self.embed_target.vocab, self)
        outs = self._outputs(self.encode(source), [BOS, *target])
        losses = [self.generate_token.loss(o, y) for o, y in zip(outs, [*target, EOS])]
        return Value.sum(losses) * (1.0 / len(losses))

    def translate(self, source: Sequence[int], max_len: int = 20) -> list[int]:
        """The likeliest token at each step until <eos> (greedy), without it."""
        check_size(max_len, "SequenceToSequence.translate", "max_len")
        written: list[int] = []
        with no_grad():
            u = self.encode(source)
            while len(written) < max_len:
                scores = self.generate_token.scores(self._outputs(u, [BOS, *written])[-1])
                best = max(range(len(scores)), key=lambda y: scores[y].data)
                if best == EOS:
                    break
                written.append(best)
        return written

    def formula(self, x: str = "x") -> str:
        u = self.encoder.formula(self.embed_source.formula(x))
        return f"GenerateToken(h_t + Attention(h_t, {u}))"

    def extra_repr(self) -> str:
        return (
            f"source_vocab={self.embed_source.vocab}, target_vocab={self.embed_target.vocab}, "
            f"dim={self.embed_source.dim}"
        )

    def __repr__(self) -> str:
        h = self.decoder.formula(self.embed_target.formula("<bos> y_<t"))
        parts = [
            self.embed_source,
            self.encoder,
            self.embed_target,
            self.decoder,
            self.attention,
            self.generate_token,
        ]
        return "\n  ".join(
            [f"SequenceToSequence(x, y_<t) = {self.formula()}", f"with h = {h}", *map(repr, parts)]
        )
