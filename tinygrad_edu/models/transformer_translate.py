"""The Transformer translator: attention only, no recurrence.

"Attention Is All You Need" (Vaswani et al. 2017) translates with the same
encoder-decoder plan as `Seq2Seq`, but reads no sentence word by word:

    encoder:  x = embed(src) + PE;  x = block(x) for each `TransformerBlock`;  memory = norm(x)
    decoder:  y = embed(<bos> + tgt) + PE;  y = block(y, memory) for each `TransformerDecoderBlock`
    logits:   out(norm(y))                             row t predicts target word t + 1

Each encoder position attends to every source position (no causal mask);
each decoder position attends to itself and the target words before it (the
causal mask of the decoder block's self-attention: during teacher forcing
every word is fed at once, and word t must not see word t + 1), then, by
cross-attention, to every source position. With no recurrence a word's
place is only known from the positional encoding PE, here the fixed
sinusoids (`SinusoidalPositionalEncoding`): they have a row for every
position up to `max_len`, learned or not, so the model can at least be run
on a sentence longer than any it trained on. Whether it translates it is
what the demo measures.

Translating reuses `Translator.translate`: `greedy_decode` and
`beam_search` call `next_log_probs`, which feeds the decoder one word: each
block's `step` reads the keys and values the earlier words left in a cache
(a key-value cache), so no earlier word is computed again, and gives what
running the decoder over the whole prefix would give for its last word.

    >>> import random; random.seed(0)
    >>> from tinygrad_edu.models.translate import Vocab
    >>> src, tgt = Vocab(["la", "maison", "bleue"]), Vocab(["the", "blue", "house"])
    >>> model = TransformerTranslator(src.size, tgt.size, d_model=8, n_head=2)
    >>> model
    TransformerTranslator(src_vocab=5, tgt_vocab=5, d_model=8, n_head=2, n_layer=1, d_ff=32, 2205 parameters)
    >>> loss = model.loss(src.encode("la maison bleue"), tgt.encode("the blue house"))
    >>> loss.backward()                                 # teacher forcing: 4 next words, eos included
    >>> weights = model.alignment(src.encode("la maison bleue"), tgt.encode("the blue house"))
    >>> len(weights), len(weights[0]), round(sum(weights[0]), 6)   # 4 target rows x 3 source words
    (4, 3, 1.0)
    >>> len(model.translate(src.encode("la maison bleue"), beam_size=2, max_len=5)) <= 5
    True
"""

from __future__ import annotations

from collections.abc import Sequence

from ..checks import check_ids, check_size, describe
from ..engine import Value
from ..functional import cross_entropy, log_softmax
from ..nn import Embedding, LayerNorm, Linear, SinusoidalPositionalEncoding
from ..nn.transformer import TransformerBlock, TransformerDecoderBlock, check_block_settings
from ..recording import no_grad
from .translate import BOS, EOS, Translator

__all__ = ["TransformerTranslator"]


class TransformerTranslator(Translator):
    """Encoder-decoder Transformer: `n_layer` encoder blocks and `n_layer`
    decoder blocks of width `d_model` with `n_head` heads (pre-norm, as
    `TransformerBlock`), sinusoidal positions up to `max_len` words.

    Calls, as `Seq2Seq`: ``loss(src_ids, tgt_ids)`` (teacher forcing, a
    Value), ``translate(src_ids, beam_size, max_len)``, ``alignment(src_ids,
    tgt_ids)`` (the last decoder block's cross-attention, averaged over its
    heads), ``start`` and ``next_log_probs``.
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        d_model: int = 16,
        n_head: int = 2,
        n_layer: int = 1,
        d_ff: int | None = None,
        max_len: int = 64,
    ) -> None:
        check_block_settings("TransformerTranslator", d_model, n_head, d_ff, "layernorm", "relu")
        check_size(n_layer, "TransformerTranslator", "n_layer")
        check_size(max_len, "TransformerTranslator", "max_len")
        check_size(tgt_vocab_size, "TransformerTranslator", "tgt_vocab_size")
        if tgt_vocab_size < 3:
            raise ValueError(
                f"TransformerTranslator: tgt_vocab_size must be at least 3 (<bos>, <eos> and a word), got {tgt_vocab_size}"
            )
        self.src_embedding = Embedding(src_vocab_size, d_model)
        self.tgt_embedding = Embedding(tgt_vocab_size, d_model)
        self.positions = SinusoidalPositionalEncoding(max_len, d_model)  # no parameters
        self.encoder = [TransformerBlock(d_model, n_head, d_ff, causal=False) for _ in range(n_layer)]
        self.encoder_norm = LayerNorm(d_model)  # pre-norm blocks leave the last sum un-normalised
        self.decoder = [TransformerDecoderBlock(d_model, n_head, d_ff) for _ in range(n_layer)]
        self.decoder_norm = LayerNorm(d_model)
        self.out = Linear(d_model, tgt_vocab_size)
        self.src_vocab_size = src_vocab_size
        self.tgt_vocab_size = tgt_vocab_size
        self.d_model = d_model
        self.n_head = n_head
        self.n_layer = n_layer
        self.d_ff = 4 * d_model if d_ff is None else d_ff
        self.max_len = max_len

    def config(self) -> dict:
        """The constructor's keyword arguments, as a dict:
        ``TransformerTranslator(**model.config())`` builds the same architecture."""
        return {
            "src_vocab_size": self.src_vocab_size,
            "tgt_vocab_size": self.tgt_vocab_size,
            "d_model": self.d_model,
            "n_head": self.n_head,
            "n_layer": self.n_layer,
            "d_ff": self.d_ff,
            "max_len": self.max_len,
        }

    # --------------------------------------------------------------- forward
    def encode(self, src_ids: Sequence[int]) -> list[list[Value]]:
        """The memory the decoder reads: (S, d_model)."""
        check_ids(src_ids, self.src_vocab_size, self)
        xs = self.positions(self.src_embedding(src_ids))  # (S, d_model)
        for block in self.encoder:
            xs = block(xs)  # (S, d_model): every word attends to every word
        return [self.encoder_norm(x) for x in xs]

    def decode(self, tgt_in: Sequence[int], memory: list[list[Value]]) -> list[list[Value]]:
        """Next-word logits (T, tgt_vocab) for the target prefix `tgt_in` (<bos> first)."""
        ys = self.positions(self.tgt_embedding(tgt_in))  # (T, d_model)
        for block in self.decoder:
            ys = block(ys, memory)  # (T, d_model): causal self-attention, then cross-attention to memory
        return self.out([self.decoder_norm(y) for y in ys])  # (T, tgt_vocab)

    def loss(self, src_ids: Sequence[int], tgt_ids: Sequence[int]) -> Value:
        """Teacher forcing: feed <bos> + tgt, predict tgt + <eos>; the mean cross-entropy."""
        check_ids(tgt_ids, self.tgt_vocab_size, self)
        inputs, targets = [BOS, *tgt_ids], [*tgt_ids, EOS]
        logits = self.decode(inputs, self.encode(src_ids))  # all T + 1 positions at once
        losses = [cross_entropy(row, y) for row, y in zip(logits, targets)]
        return Value.sum(losses) * (1.0 / len(losses))

    def alignment(self, src_ids: Sequence[int], tgt_ids: Sequence[int]) -> list[list[float]]:
        """Where each target word (and the final <eos>) looked in the source,
        by the last decoder block's cross-attention averaged over its heads:
        (len(tgt) + 1) x len(src) floats, the rows summing to 1."""
        with no_grad():
            self.loss(src_ids, tgt_ids)
        heads = self.decoder[-1].cross_attn.last_attention  # n_head maps of (T, S)
        return [[sum(col) / len(heads) for col in zip(*rows)] for rows in zip(*heads)]

    # -------------------------------------------------------------- decoding
    def start(self, src_ids: Sequence[int]) -> tuple[list[list[Value]], int, tuple]:
        """The search's first state: (the memory, no target words yet, each
        decoder block's empty cache)."""
        with no_grad():
            return self.encode(src_ids), 0, (None,) * len(self.decoder)

    def next_log_probs(self, state: tuple, token: int) -> tuple[list[float], tuple]:
        """Feed one word, at the next position: each decoder block's `step`
        reads the cache the earlier words left and returns it with this
        word's keys and values added (a new one, so beam search can branch
        from any state); the next word's log-probabilities, as floats."""
        memory, position, caches = state
        if position >= self.max_len:
            raise ValueError(
                f"{describe(self)}: a translation of more than {self.max_len} words (max_len) has no positions"
            )
        with no_grad():
            y = self.positions(self.tgt_embedding([token]), start=position)[0]
            new_caches = []
            for block, cache in zip(self.decoder, caches):
                y, cache = block.step(y, memory, cache)
                new_caches.append(cache)
            logits = self.out([self.decoder_norm(y)])[0]
            return [v.data for v in log_softmax(logits)], (memory, position + 1, tuple(new_caches))

    def extra_repr(self) -> str:
        return (
            f"src_vocab={self.src_vocab_size}, tgt_vocab={self.tgt_vocab_size}, d_model={self.d_model}, "
            f"n_head={self.n_head}, n_layer={self.n_layer}, d_ff={self.d_ff}, {self.num_parameters()} parameters"
        )

    def __repr__(self) -> str:  # one line: the children's repr would be a page
        return f"TransformerTranslator({self.extra_repr()})"
