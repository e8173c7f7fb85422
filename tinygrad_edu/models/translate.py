"""A toy translator: an RNN encoder-decoder with attention, decoding and BLEU.

Sequence to sequence (Sutskever et al. 2014): an *encoder* GRU reads the
source sentence one word at a time (here two, one each way); a *decoder*
GRU, started from the encoder's last state, writes the target one word at a
time, each step fed the word it wrote before. Squeezing a whole sentence into that one state is
the bottleneck attention removes (Bahdanau et al. 2015, Luong et al. 2015):
at every target step the decoder's state h_t is a query, the encoder's
states m_1..m_S the memory, and `CrossAttention` returns a context

    c_t = sum_s softmax_s(score(h_t, m_s)) * m_s

from which, with h_t, the next word is predicted (Luong's form: the
attentional state tanh(W_c [c_t; h_t]) feeds the output layer). Translating
"la maison bleue" into "the blue house", the decoder can look at "bleue"
when it writes "blue", then back at "maison" for "house": the crossing the
heat maps show.

Training is *teacher forcing*: the decoder is fed the reference words, and
the loss is the mean cross-entropy of each next word (end-of-sentence
included). Translating, it is fed its own words: `greedy_decode` takes the
likeliest word each step; `beam_search` keeps the `beam_size` likeliest
partial translations, ranks finished ones by log-probability per word (so a
short one does not win for being short), and can be watched step by step
with `beam_search_steps`. `corpus_bleu` scores translations against
references.

    >>> import random; random.seed(0)
    >>> src, tgt = Vocab(["la", "maison", "bleue"]), Vocab(["the", "blue", "house"])
    >>> tgt
    Vocab(5 tokens: <bos> <eos> blue house the)
    >>> model = Seq2Seq(src.size, tgt.size, embedding_dim=4, hidden_size=6, attention="dot")
    >>> model
    Seq2Seq(src_vocab=5, tgt_vocab=5, embedding_dim=4, hidden_size=6, attention='dot', bidirectional=True, 987 parameters)
    >>> loss = model.loss(src.encode("la maison bleue"), tgt.encode("the blue house"))
    >>> loss.backward()                                # teacher forcing: 4 next words, eos included
    >>> len(model.attention.last_attention), len(model.attention.last_attention[0])
    (4, 3)
    >>> words = model.translate(src.encode("la maison bleue"), max_len=5)  # untrained: any 5 words
    >>> len(words) <= 5
    True
    >>> corpus_bleu(["the little blue house"], ["the little blue house"])
    100.0
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..checks import check_fields, check_flag, check_ids, check_words, describe
from ..engine import Value
from ..functional import cross_entropy, log_softmax
from ..nn import CrossAttention, Embedding, GRUCell, Linear, Module, run_sequence
from ..nn.attention import SCORINGS
from ..recording import no_grad

__all__ = [
    "BOS",
    "EOS",
    "UNK",
    "Hypothesis",
    "Seq2Seq",
    "Translator",
    "Vocab",
    "beam_search",
    "beam_search_steps",
    "corpus_bleu",
    "greedy_decode",
    "ngram_counts",
]

BOS, EOS = 0, 1  # every Vocab's first two ids: start the decoder, end a sentence
SPECIALS = ("<bos>", "<eos>")
UNK, UNK_TOKEN = 2, "<unk>"  # a Vocab(unknown=True)'s third id: any word it does not have


# ------------------------------------------------------------------ words
class Vocab:
    """Whole words <-> ids: 0 is <bos>, 1 is <eos>, the words follow sorted.

    >>> vocab = Vocab(["chat", "le"])
    >>> vocab.encode("le chat")
    [3, 2]
    >>> vocab.decode([3, 2, EOS, 3])   # stops at <eos>
    'le chat'
    >>> vocab.encode("le chien noir")
    Traceback (most recent call last):
    ...
    ValueError: Vocab.encode: unknown words 'chien', 'noir'; the vocabulary has 2 words (and <bos>, <eos>)

    A real corpus has words seen once or never: with ``unknown=True`` a third
    special, <unk> (id 2), stands for every word outside the list, so any
    sentence can be read (and `unknown_words` says which ones were not).

    >>> vocab = Vocab(["chat", "le"], unknown=True)
    >>> vocab.encode("le chien noir"), vocab.unknown_words("le chien noir")
    ([4, 2, 2], ['chien', 'noir'])
    """

    def __init__(self, words: Iterable[str], unknown: bool = False) -> None:
        if isinstance(words, str) or not isinstance(words, Iterable):
            raise TypeError(f"Vocab: expected a list of words, got {type(words).__name__}")
        check_flag(unknown, "Vocab", "unknown")
        specials = (*SPECIALS, UNK_TOKEN) if unknown else SPECIALS
        words = list(words)
        for word in words:
            if not isinstance(word, str) or not word or word.split() != [word] or word in specials:
                raise ValueError(
                    f"Vocab: a word must be a non-empty str without spaces, not special, got {word!r}"
                )
        self.itos = [*specials, *sorted(set(words))]
        self.stoi = {w: i for i, w in enumerate(self.itos)}
        self.unk = UNK if unknown else None  # the id of <unk>, or None: unknown words are refused
        self._n_specials = len(specials)

    @property
    def size(self) -> int:
        return len(self.itos)

    @property
    def words(self) -> list[str]:
        """The words, without the specials (what rebuilds this Vocab)."""
        return self.itos[self._n_specials :]

    def unknown_words(self, sentence: str) -> list[str]:
        """The distinct words of `sentence` this vocabulary does not have, in order."""
        if not isinstance(sentence, str):
            raise TypeError(f"Vocab: expected a sentence (a str), got {type(sentence).__name__}")
        return [
            w
            for w in dict.fromkeys(sentence.split())
            if w not in self.stoi or self.stoi[w] < self._n_specials
        ]

    def encode(self, sentence: str) -> list[int]:
        """A sentence (words separated by spaces) -> ids, no specials."""
        if not isinstance(sentence, str):
            raise TypeError(f"Vocab.encode: expected a sentence (a str), got {type(sentence).__name__}")
        words = sentence.split()
        if not words:
            raise ValueError("Vocab.encode: the sentence has no words")
        unknown = self.unknown_words(sentence)
        if self.unk is not None:
            return [self.unk if w in unknown else self.stoi[w] for w in words]
        if unknown:
            raise ValueError(
                f"Vocab.encode: unknown word{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
                f"the vocabulary has {self.size - 2} words (and <bos>, <eos>)"
            )
        return [self.stoi[w] for w in words]

    def decode(self, ids: Iterable[int]) -> str:
        """ids -> words joined by spaces, stopping at <eos> and skipping <bos>."""
        words = []
        for i in ids:
            if type(i) is not int or not 0 <= i < self.size:
                raise ValueError(f"Vocab.decode: ids must be ints in 0..{self.size - 1}, got {i!r}")
            if i == EOS:
                break
            if i != BOS:
                words.append(self.itos[i])
        return " ".join(words)

    def to_dict(self) -> dict:
        """The words, in id order, for a saved model (see `from_dict`); a
        Vocab with <unk> says so (``"unknown": true``)."""
        d: dict = {"words": self.words}
        if self.unk is not None:
            d["unknown"] = True
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Vocab:
        where = "Vocab.from_dict"
        words = check_words(check_fields(d, where, ("words",))["words"], where)
        if words != sorted(words):  # Vocab sorts its words: another order would move every id
            raise ValueError(f"{where}: words must be in sorted order, as to_dict writes them")
        unknown = d.get("unknown", False)
        if not isinstance(unknown, bool):
            raise ValueError(f"{where}: unknown must be true or false, got {unknown!r:.40}")
        try:
            return cls(words, unknown=unknown)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{where}: {error}") from None

    def __repr__(self) -> str:
        shown = " ".join(self.itos[:8]) + (" ..." if self.size > 8 else "")
        return f"Vocab({self.size} tokens: {shown})"


# ------------------------------------------------------------------ model
class Translator(Module):
    """What every translator here shares: translating by a search over its
    decoder. A subclass gives ``start(src_ids)`` (the decoder's first state)
    and ``next_log_probs(state, token)`` (feed one word: the next word's
    log-probabilities as floats, and the new state), and `translate` runs
    `greedy_decode` or `beam_search` over them: the one search code for the
    GRU and the Transformer."""

    def start(self, src_ids: Sequence[int]) -> Any:
        raise NotImplementedError

    def next_log_probs(self, state: Any, token: int) -> tuple[list[float], Any]:
        raise NotImplementedError

    def translate(self, src_ids: Sequence[int], beam_size: int = 1, max_len: int = 20) -> list[int]:
        """The translation's ids (no <eos>): greedy for beam_size 1, else the best beam."""
        for name, n in (("beam_size", beam_size), ("max_len", max_len)):
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"{describe(self)}.translate: {name} must be a positive int, got {n!r}")
        state = self.start(src_ids)
        if beam_size == 1:
            return greedy_decode(self.next_log_probs, state, max_len=max_len)
        best = beam_search(self.next_log_probs, state, beam_size=beam_size, max_len=max_len)[0]
        return list(best.tokens[:-1] if best.finished else best.tokens)


class Seq2Seq(Translator):
    """GRU encoder -> GRU decoder, with `CrossAttention` or without.

    ``attention`` is 'dot' (Luong), 'additive' (Bahdanau) or None: the
    original Seq2Seq, whose decoder sees the source only through the state
    it starts from. With `bidirectional` (the default) a second GRU reads
    the source right to left; each memory vector is both directions' states
    side by side, and the decoder starts from tanh(`bridge`(both last
    states)). With `lexical` (attention only) the attention, which scores
    the encoder's states as before, also reads each source word's own vector
    there: the context is [sum_s a_s m_s; sum_s a_s x_s], so it carries the
    attended words themselves, unmixed with their neighbours, and the
    decoder can read "chevaux" as "chevaux" even after an adjective it never
    saw before it (Nguyen and Chiang 2018, "Improving Lexical Choice in
    Neural Machine Translation", feed the same weighted word vectors to the
    output).
    Sizes: source and target vocabularies (ids 0 and
    1 of the target are <bos> and <eos>, as `Vocab` makes them), the word
    vectors' `embedding_dim`, the GRUs' `hidden_size`.

    Calls: ``loss(src_ids, tgt_ids)`` (teacher forcing, a Value),
    ``translate(src_ids, beam_size, max_len)`` (ids, under no_grad),
    ``alignment(src_ids, tgt_ids)`` (the attention weights as floats), and
    the two a decoder loop needs, ``start(src_ids)`` and
    ``next_log_probs(state, token)``.
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        embedding_dim: int = 16,
        hidden_size: int = 32,
        attention: str | None = "dot",
        bidirectional: bool = True,
        lexical: bool = False,
    ) -> None:
        check_flag(bidirectional, "Seq2Seq", "bidirectional")
        check_flag(lexical, "Seq2Seq", "lexical")
        if attention is not None and attention not in SCORINGS:
            raise ValueError(f"Seq2Seq: attention must be one of {SCORINGS} or None, got {attention!r}")
        if lexical and attention is None:
            raise ValueError(
                "Seq2Seq: lexical=True adds word vectors to what attention reads; it needs attention"
            )
        if (
            isinstance(tgt_vocab_size, int)
            and not isinstance(tgt_vocab_size, bool)
            and 0 < tgt_vocab_size < 3
        ):
            raise ValueError(
                f"Seq2Seq: tgt_vocab_size must be at least 3 (<bos>, <eos> and a word), got {tgt_vocab_size}"
            )
        self.src_embedding = Embedding(src_vocab_size, embedding_dim)
        self.tgt_embedding = Embedding(tgt_vocab_size, embedding_dim)
        self.encoder = GRUCell(embedding_dim, hidden_size)
        d_memory = hidden_size
        if bidirectional:  # a second GRU reads the source right to left
            self.encoder_reverse = GRUCell(embedding_dim, hidden_size)
            d_memory = 2 * hidden_size
            self.bridge = Linear(d_memory, hidden_size)  # both directions' last states -> the decoder's first
        self.decoder = GRUCell(embedding_dim, hidden_size)
        if attention is not None:
            self.attention = CrossAttention(hidden_size, d_memory, scoring=attention)
            d_context = d_memory + (embedding_dim if lexical else 0)  # lexical: the words too
            # Luong's W_c: [context; h] -> the attentional state, tanh'd, then `out`.
            self.combine = Linear(d_context + hidden_size, hidden_size)
        self.out = Linear(hidden_size, tgt_vocab_size)
        self.bidirectional = bool(bidirectional)
        self.lexical = bool(lexical)
        self.src_vocab_size = src_vocab_size
        self.tgt_vocab_size = tgt_vocab_size
        self.embedding_dim = embedding_dim
        self.hidden_size = hidden_size
        self.scoring = attention
        self._config = {
            "src_vocab_size": src_vocab_size,
            "tgt_vocab_size": tgt_vocab_size,
            "embedding_dim": embedding_dim,
            "hidden_size": hidden_size,
            "attention": attention,
            "bidirectional": bidirectional,
            "lexical": lexical,
        }

    def config(self) -> dict:
        """The constructor's keyword arguments, as a dict: ``Seq2Seq(**model.config())``
        builds the same architecture (what a saved model file records)."""
        return dict(self._config)

    # --------------------------------------------------------------- forward
    def encode(self, src_ids: Sequence[int]) -> tuple[list[list[Value]], list[Value]]:
        """The encoder's state after every source word (the memory) and the
        decoder's first state. Bidirectional: memory vector s is [forward
        state after word s; reverse state after word s], so it knows the
        words on both sides of s (an adjective knows its noun), and the
        decoder starts from tanh(bridge([forward last; reverse last]));
        lexical: the word's own vector x_s closes memory vector s (the
        attention scores what comes before it, and reads it all)."""
        check_ids(src_ids, self.src_vocab_size, self)
        xs = self.src_embedding(src_ids)  # (S, embedding_dim)
        memory, h = run_sequence(self.encoder, xs)  # (S, hidden), (hidden,)
        if self.bidirectional:
            reverse, h_reverse = run_sequence(self.encoder_reverse, xs[::-1])
            reverse.reverse()  # (S, hidden): reverse[s] has read words S-1 .. s
            memory = [f + r for f, r in zip(memory, reverse)]  # (S, 2 * hidden)
            h = [a.tanh() for a in self.bridge(h + h_reverse)]
        if self.lexical:
            memory = [m + x for m, x in zip(memory, xs)]  # (S, d_memory): the word itself last
        return memory, h

    def _logits(self, hs: list[list[Value]], memory: list[list[Value]]) -> list[list[Value]]:
        """Decoder states (T, hidden) -> next-word logits (T, tgt_vocab)."""
        if self.scoring is None:
            return [self.out(h) for h in hs]
        if self.lexical:  # score the states; read the states and the word vectors
            states = [m[: self.attention.d_memory] for m in memory]
            contexts = self.attention(hs, states, values=memory)  # (T, d_memory + embedding_dim)
        else:
            contexts = self.attention(hs, memory)  # (T, d_memory): one context per decoder state
        return [self.out([a.tanh() for a in self.combine(c + h)]) for c, h in zip(contexts, hs)]

    def loss(self, src_ids: Sequence[int], tgt_ids: Sequence[int]) -> Value:
        """Teacher forcing: feed <bos> + tgt, predict tgt + <eos>; the mean cross-entropy."""
        check_ids(tgt_ids, self.tgt_vocab_size, self)
        memory, h = self.encode(src_ids)
        inputs, targets = [BOS, *tgt_ids], [*tgt_ids, EOS]
        hs, _ = run_sequence(self.decoder, self.tgt_embedding(inputs), h)  # (T + 1, hidden)
        losses = [cross_entropy(row, y) for row, y in zip(self._logits(hs, memory), targets)]
        return Value.sum(losses) * (1.0 / len(losses))

    def alignment(self, src_ids: Sequence[int], tgt_ids: Sequence[int]) -> list[list[float]]:
        """Where each target word (and the final <eos>) looked in the source:
        (len(tgt) + 1) x len(src) floats, the rows summing to 1."""
        if self.scoring is None:
            raise ValueError(f"{describe(self)}: a model without attention has no alignment")
        with no_grad():
            self.loss(src_ids, tgt_ids)
        return self.attention.last_attention

    # -------------------------------------------------------------- decoding
    def start(self, src_ids: Sequence[int]) -> tuple[list[list[Value]], list[Value]]:
        """The decoder's starting state: (memory, the encoder's last state)."""
        with no_grad():
            return self.encode(src_ids)

    def next_log_probs(self, state: tuple, token: int) -> tuple[list[float], tuple]:
        """Feed one word: (log-probabilities of the next word, as floats; the new state)."""
        memory, h = state
        with no_grad():
            h = self.decoder(self.tgt_embedding([token])[0], h)
            logits = self._logits([h], memory)[0]
            return [v.data for v in log_softmax(logits)], (memory, h)

    def extra_repr(self) -> str:
        return (
            f"src_vocab={self.src_vocab_size}, tgt_vocab={self.tgt_vocab_size}, "
            f"embedding_dim={self.embedding_dim}, hidden_size={self.hidden_size}, "
            f"attention={self.scoring!r}, bidirectional={self.bidirectional}"
            + (", lexical=True" if self.lexical else "")
            + f", {self.num_parameters()} parameters"
        )

    def __repr__(self) -> str:  # one line: the children's repr would be a page
        return f"Seq2Seq({self.extra_repr()})"


# --------------------------------------------------------------- decoding
# A decoder, as the searches see it: step(state, token) -> (log-probabilities
# of every next token, as floats; the state after feeding `token`).
Step = Callable[[Any, int], tuple[Sequence[float], Any]]


def greedy_decode(step: Step, state: Any, bos: int = BOS, eos: int = EOS, max_len: int = 20) -> list[int]:
    """Feed <bos>, then each time the likeliest next token, until <eos>
    (not returned) or `max_len` tokens. Ties go to the lower id."""
    _check_search(step, bos, eos, max_len, 1, 0.0, "greedy_decode")
    tokens: list[int] = []
    token = bos
    for _ in range(max_len):
        log_probs, state = step(state, token)
        token = max(range(len(log_probs)), key=log_probs.__getitem__)
        if token == eos:
            break
        tokens.append(token)
    return tokens


@dataclass(frozen=True)
class Hypothesis:
    """A partial or finished translation in a beam: its tokens (a finished
    one ends with <eos>), their summed log-probability, and `score`, that sum
    divided by len(tokens) ** alpha (alpha 0: no length normalisation)."""

    tokens: tuple[int, ...]
    log_prob: float
    finished: bool
    score: float
    state: Any = None

    def __repr__(self) -> str:
        mark = "finished" if self.finished else "alive"
        return (
            f"Hypothesis({list(self.tokens)}, log_prob={self.log_prob:.4f}, score={self.score:.4f}, {mark})"
        )


def beam_search_steps(
    step: Step,
    state: Any,
    beam_size: int = 4,
    bos: int = BOS,
    eos: int = EOS,
    max_len: int = 20,
    alpha: float = 1.0,
) -> Iterator[list[Hypothesis]]:
    """Beam search one step at a time: yields, after each step, the beam's
    hypotheses still alive followed by those finished so far.

    Each step extends every alive hypothesis by every token and keeps the
    `beam_size` candidates of highest summed log-probability (all the same
    length, so no normalisation is needed to compare them). A kept candidate
    ending in <eos> is finished and leaves the beam, which shrinks; the
    search ends when no hypothesis is alive or after `max_len` steps.

        >>> table = {(): [0.0, 0.0, 0.6, 0.4], (2,): [0.0, 0.5, 0.25, 0.25], (3,): [0.0, 0.9, 0.05, 0.05]}
        >>> def step(prefix, token):   # a made-up decoder: next-token probabilities by prefix
        ...     prefix = prefix if token == BOS else (*prefix, token)
        ...     return [math.log(p) if p else -math.inf for p in table.get(prefix, [0, 1, 0, 0])], prefix
        >>> for beam in beam_search_steps(step, (), beam_size=2, max_len=3): print(beam)
        [Hypothesis([2], log_prob=-0.5108, score=-0.5108, alive), Hypothesis([3], log_prob=-0.9163, score=-0.9163, alive)]
        [Hypothesis([3, 1], log_prob=-1.0217, score=-0.5108, finished), Hypothesis([2, 1], log_prob=-1.2040, score=-0.6020, finished)]
    """
    _check_search(step, bos, eos, max_len, beam_size, alpha, "beam_search")  # at the call, not at next()
    return _beam_steps(step, state, beam_size, bos, eos, max_len, alpha)


def _beam_steps(
    step: Step, state: Any, beam_size: int, bos: int, eos: int, max_len: int, alpha: float
) -> Iterator[list[Hypothesis]]:
    alive = [Hypothesis((), 0.0, False, 0.0, state)]
    finished: list[Hypothesis] = []
    for _ in range(max_len):
        candidates = []  # (summed log-prob, parent, token, the parent's new state)
        for hyp in alive:
            log_probs, new_state = step(hyp.state, hyp.tokens[-1] if hyp.tokens else bos)
            for token, lp in enumerate(log_probs):
                if lp > -math.inf:  # an impossible token never joins the beam
                    candidates.append((hyp.log_prob + lp, hyp, token, new_state))
        candidates.sort(key=lambda c: -c[0])  # stable: ties keep the parent's rank, then the lower id
        alive = []
        for log_prob, parent, token, new_state in candidates[:beam_size]:
            tokens = (*parent.tokens, token)
            score = log_prob / len(tokens) ** alpha
            if token == eos:
                finished.append(Hypothesis(tokens, log_prob, True, score))
            else:
                alive.append(Hypothesis(tokens, log_prob, False, score, new_state))
        yield alive + sorted(finished, key=lambda h: -h.score)
        if not alive:
            return


def beam_search(
    step: Step,
    state: Any,
    beam_size: int = 4,
    bos: int = BOS,
    eos: int = EOS,
    max_len: int = 20,
    alpha: float = 1.0,
) -> list[Hypothesis]:
    """Every hypothesis the search finished, best `score` first (if none
    finished within `max_len`, the ones still alive). With beam_size 1 the
    best is the greedy decoding.

        >>> table = {(): [0.0, 0.0, 0.6, 0.4], (2,): [0.0, 0.5, 0.25, 0.25], (3,): [0.0, 0.9, 0.05, 0.05]}
        >>> def step(prefix, token):
        ...     prefix = prefix if token == BOS else (*prefix, token)
        ...     return [math.log(p) if p else -math.inf for p in table.get(prefix, [0, 1, 0, 0])], prefix
        >>> greedy_decode(step, ())                # 2 looks better first (0.6) ...
        [2]
        >>> beam_search(step, (), beam_size=2)[0]  # ... but 3 then <eos> is likelier: 0.36 > 0.30
        Hypothesis([3, 1], log_prob=-1.0217, score=-0.5108, finished)
    """
    *_, beam = beam_search_steps(step, state, beam_size, bos, eos, max_len, alpha)  # the last step's beam
    done = [h for h in beam if h.finished]
    return done or sorted(beam, key=lambda h: -h.score)


def _check_search(
    step: Step, bos: int, eos: int, max_len: int, beam_size: int, alpha: float, where: str
) -> None:
    if not callable(step):
        raise TypeError(
            f"{where}: step must be a function (state, token) -> (log_probs, state), got {type(step).__name__}"
        )
    for name, n in (("max_len", max_len), ("beam_size", beam_size)):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"{where}: {name} must be a positive int, got {n!r}")
    for name, token in (("bos", bos), ("eos", eos)):
        if type(token) is not int or token < 0:
            raise ValueError(f"{where}: {name} must be a token id (an int >= 0), got {token!r}")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0.0 <= alpha < math.inf:
        raise ValueError(f"{where}: alpha must be a number >= 0, got {alpha!r}")


# ------------------------------------------------------------------- BLEU
def ngram_counts(words: Sequence[str], n: int) -> dict[tuple[str, ...], int]:
    """How often each run of n consecutive words occurs.

    >>> ngram_counts("the cat the cat".split(), 2)
    {('the', 'cat'): 2, ('cat', 'the'): 1}
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"ngram_counts: n must be a positive int, got {n!r}")
    counts: dict[tuple[str, ...], int] = {}
    for i in range(len(words) - n + 1):
        gram = tuple(words[i : i + n])
        counts[gram] = counts.get(gram, 0) + 1
    return counts


def corpus_bleu(
    references: Sequence[str | Sequence[str]], hypotheses: Sequence[str], max_n: int = 4
) -> float:
    """BLEU (Papineni et al. 2002) of a whole corpus, 0 to 100.

    Each hypothesis has one reference (a str) or several (a list of str: a
    sentence can be translated more than one way). For n = 1..max_n,
    p_n = (n-grams of the hypotheses that also occur in a reference, each
    counted at most as often as it occurs in the reference that has it most)
    / (all n-grams of the hypotheses), summed over the corpus before
    dividing. BLEU = BP * exp(mean of log p_n), where the brevity penalty
    BP = exp(1 - r/c) if the hypotheses' total length c is below r, the
    summed length of each hypothesis's closest reference (the shorter on a
    tie), else 1 (a short output cannot win by precision alone). Any p_n = 0
    makes BLEU 0 (no smoothing). On text split into words beforehand this is
    sacreBLEU's corpus BLEU with ``tokenize="none"`` (the tests check it).

        >>> round(corpus_bleu(["the cat is on the mat"], ["the cat is on a mat"]), 2)  # (5/6 * 3/5 * 2/4 * 1/3) ** (1/4)
        53.73
        >>> # a second reference has "on a" and "a mat": (6/6 * 5/5 * 3/4 * 1/3) ** (1/4)
        >>> round(corpus_bleu([["the cat is on the mat", "there is a cat on a mat"]], ["the cat is on a mat"]), 2)
        70.71
    """
    for what, xs in (("references", references), ("hypotheses", hypotheses)):
        if isinstance(xs, str) or not isinstance(xs, Sequence):
            raise TypeError(f"corpus_bleu: {what} must be a list of sentences (str), got {type(xs).__name__}")
    for x in hypotheses:
        if not isinstance(x, str):
            raise TypeError(f"corpus_bleu: hypotheses must hold sentences (str), got {x!r:.40}")
    if len(references) != len(hypotheses):
        raise ValueError(
            f"corpus_bleu: got {len(references)} references but {len(hypotheses)} hypotheses; need one each"
        )
    if not references:
        raise ValueError("corpus_bleu: got no sentences")
    if isinstance(max_n, bool) or not isinstance(max_n, int) or max_n < 1:
        raise ValueError(f"corpus_bleu: max_n must be a positive int, got {max_n!r}")
    matches, totals = [0] * max_n, [0] * max_n
    ref_len = hyp_len = 0
    for k, (reference, hypothesis) in enumerate(zip(references, hypotheses)):
        refs = [ref.split() for ref in _reference_list(reference, k)]
        hyp = hypothesis.split()
        hyp_len += len(hyp)
        closest = min((abs(len(ref) - len(hyp)), len(ref)) for ref in refs)  # shorter on a tie
        ref_len += closest[1]
        for n in range(1, max_n + 1):
            most: dict[tuple[str, ...], int] = {}  # each n-gram's largest count in any one reference
            for ref in refs:
                for gram, count in ngram_counts(ref, n).items():
                    most[gram] = max(most.get(gram, 0), count)
            for gram, count in ngram_counts(hyp, n).items():
                matches[n - 1] += min(count, most.get(gram, 0))  # clipped
                totals[n - 1] += count
    if hyp_len == 0 or 0 in matches:
        return 0.0
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals)) / max_n
    brevity = 1.0 if hyp_len >= ref_len else math.exp(1.0 - ref_len / hyp_len)
    return 100.0 * brevity * math.exp(log_precision)


def _reference_list(reference: str | Sequence[str], k: int) -> list[str]:
    """One hypothesis's references as a list: a str is one reference."""
    if isinstance(reference, str):
        return [reference]
    if not isinstance(reference, Sequence) or not reference or not all(isinstance(r, str) for r in reference):
        raise TypeError(
            f"corpus_bleu: reference {k} must be a sentence (str) or a non-empty list of them, got {reference!r:.60}"
        )
    return list(reference)
