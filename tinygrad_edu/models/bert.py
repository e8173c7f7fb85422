"""BERT (Devlin et al., 2018): a bidirectional encoder trained by filling in blanks.

A GPT reads left to right and guesses the next word. BERT reads the whole
sentence at once: its attention is *not* causal, so every position sees
every other, before and after it. Guessing the next word would then be
trivial (the answer is in plain view), so BERT is trained on a different
game, the masked language model (MLM): hide some words, guess them.

    [CLS] we sat on the [MASK] of the river [SEP]   ->   bank

The recipe of the paper, `mask_tokens`: choose 15% of the word positions
(never [CLS] or [SEP]); of the chosen ones, 80% become [MASK], 10% a random
word and 10% stay as they are. The loss is the cross-entropy at the chosen
positions only; every other position has the label IGNORE (-100, PyTorch's
``ignore_index``) and gives no gradient. (The random and unchanged 20% mean
the model cannot tell from the input which positions it will be asked
about, so it must keep a good vector for every word, not only for [MASK].)

To guess "bank" there, the model must use "river": after training, the
vector the encoder gives a word depends on its sentence. These *contextual*
vectors are the point: "bank" by a river and "bank" with money get two
different vectors, where word2vec has one per word.

The model: token + learned position embeddings (+ optional segment
embeddings, for sentence pairs), N `TransformerBlock(causal=False)`, a final
LayerNorm, and the MLM head, a Linear to one logit per vocabulary word
(optionally tied to the token embedding: the same table reads words in and
writes them out). `BERTClassifier` puts `Collapse` and a Linear on top of
the encoder to classify a whole sentence.

    >>> import random; random.seed(0)
    >>> tok = WordTokenizer.from_sentences([["the", "cat", "sat"], ["the", "dog", "ran"]])
    >>> tok
    WordTokenizer(10 tokens: [PAD] [CLS] [SEP] [MASK] [UNK] the cat dog ran sat)
    >>> ids = tok.encode("the cat sat")
    >>> ids, tok.decode(ids)
    ([1, 5, 6, 9, 2], '[CLS] the cat sat [SEP]')
    >>> inputs, labels = mask_tokens(ids, tok, random.Random(0))
    >>> tok.decode(inputs), labels     # one of 3 words chosen; only it has a label
    ('[CLS] the [MASK] sat [SEP]', [-100, -100, 6, -100, -100])
    >>> model = BERT(tok.vocab_size, max_len=8, n_layer=1, d_model=8, n_head=2)
    >>> loss = model.mlm_loss(inputs, labels)  # cross-entropy at position 2 only
    >>> loss.backward()
    >>> [word for word, p in fill_mask(model, tok, "the [MASK] sat", k=3)]  # untrained: any guess
    ['cat', 'dog', 'the']
"""

from __future__ import annotations

import numbers
import random
from collections import Counter
from collections.abc import Iterable, Sequence

from ..checks import check_fields, check_ids, check_size, check_words, describe
from ..datasets.text import normalise_sentence
from ..engine import Value
from ..functional import cross_entropy, softmax
from ..nn.embedding import Embedding, PositionalEmbedding
from ..nn.linear import Linear
from ..nn.module import Module
from ..nn.norm import LayerNorm
from ..nn.pooling import COLLAPSE_MODES, Collapse
from ..nn.transformer import TransformerBlock, check_block_settings
from ..recording import no_grad

__all__ = [
    "BERT",
    "IGNORE",
    "BERTClassifier",
    "SPECIAL_TOKENS",
    "WordTokenizer",
    "fill_mask",
    "mask_tokens",
    "masked_lm_loss",
]

SPECIAL_TOKENS = ("[PAD]", "[CLS]", "[SEP]", "[MASK]", "[UNK]")
IGNORE = -100  # the label of a position with nothing to guess (PyTorch's ignore_index)


# ------------------------------------------------------------ the tokenizer
class WordTokenizer:
    """Words <-> ids: the five special tokens at ids 0..4, then the words.

    * [PAD] fills a batch of sentences to one length (a tensor library runs
      a batch at once; here every sentence runs on its own, so it is never used);
    * [CLS] starts every sentence: its vector is the classifier's input;
    * [SEP] ends one (and separates the two sentences of a pair);
    * [MASK] stands for a hidden word; [UNK] for a word not in the vocabulary.
    """

    pad, cls, sep, mask, unk = range(5)

    def __init__(self, words: Iterable[str]) -> None:
        if isinstance(words, str) or not isinstance(words, Iterable):
            raise TypeError(f"WordTokenizer: words must be a list of str, got {type(words).__name__}")
        words = list(words)
        for w in words:
            if not isinstance(w, str) or not w or w != w.strip() or " " in w:
                raise ValueError(f"WordTokenizer: words must be single words without spaces, got {w!r:.40}")
        clash = [w for w in words if w in SPECIAL_TOKENS]
        if clash or len(set(words)) != len(words):
            raise ValueError(
                f"WordTokenizer: words must not repeat or be special tokens, got {clash or words}"
            )
        self.itos = [*SPECIAL_TOKENS, *words]
        self.stoi = {w: i for i, w in enumerate(self.itos)}

    @classmethod
    def from_sentences(cls, sentences: Iterable[Sequence[str]], min_count: int = 1) -> WordTokenizer:
        """The words of `sentences` seen at least `min_count` times, most frequent first."""
        check_size(min_count, "WordTokenizer.from_sentences", "min_count")
        if isinstance(sentences, (str, bytes)) or not isinstance(sentences, Iterable):
            raise TypeError(
                f"WordTokenizer.from_sentences: expected a list of sentences (lists of words), "
                f"got {type(sentences).__name__}"
            )
        counts: Counter[str] = Counter()
        for k, sentence in enumerate(sentences):
            if isinstance(sentence, str) or not isinstance(sentence, Iterable):
                raise TypeError(
                    f"WordTokenizer.from_sentences: sentence {k} must be a list of words, got "
                    f"{sentence!r:.40}; split a str first"
                )
            counts.update(sentence)
        return cls(sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w)))

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    @property
    def word_ids(self) -> range:
        """The ids of the ordinary words (everything after the special tokens)."""
        return range(len(SPECIAL_TOKENS), len(self.itos))

    def encode(self, text: str | Sequence[str], strict: bool = False) -> list[int]:
        """[CLS] + the words' ids + [SEP]. `text` is a list of words, or a
        str read as every typed sentence is (`normalise_sentence`: lowercase,
        split on spaces, punctuation off the ends of words: "The mat." is
        ["the", "mat"]); "[MASK]" in it is the mask token. A word not in
        the vocabulary becomes [UNK], or, with `strict`, a ValueError."""
        if isinstance(text, str):
            words = normalise_sentence(text)
        elif isinstance(text, Sequence) and all(isinstance(w, str) for w in text):
            words = list(text)
        else:
            raise TypeError(f"WordTokenizer.encode: expected a str or a list of words, got {text!r:.40}")
        ids = [self.cls]
        for w in words:
            i = self.stoi.get(w)
            if i is None and strict:
                raise ValueError(
                    f"WordTokenizer.encode: {w!r} is not in the vocabulary of {self.vocab_size} tokens"
                )
            ids.append(self.unk if i is None else i)
        return [*ids, self.sep]

    def decode(self, ids: Sequence[int]) -> str:
        """Ids -> the tokens, joined by spaces (special tokens shown)."""
        if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
            raise TypeError(f"WordTokenizer.decode: expected a list of token ids, got {type(ids).__name__}")
        for i in ids:
            if type(i) is not int or not 0 <= i < self.vocab_size:
                raise ValueError(f"WordTokenizer.decode: {i!r} is not a token id (0..{self.vocab_size - 1})")
        return " ".join(self.itos[i] for i in ids)

    def to_dict(self) -> dict:
        """The ordinary words, in id order, for a saved model (see `from_dict`)."""
        return {"words": self.itos[len(SPECIAL_TOKENS) :]}

    @classmethod
    def from_dict(cls, d: dict) -> WordTokenizer:
        where = "WordTokenizer.from_dict"
        words = check_words(check_fields(d, where, ("words",))["words"], where)
        try:
            return cls(words)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{where}: {error}") from None

    def __repr__(self) -> str:
        shown = " ".join(self.itos[:12]) + (" ..." if self.vocab_size > 12 else "")
        return f"WordTokenizer({self.vocab_size} tokens: {shown})"


# ---------------------------------------------------------------- masking
def mask_tokens(
    ids: Sequence[int], tokenizer: WordTokenizer, rng: random.Random, prob: float = 0.15
) -> tuple[list[int], list[int]]:
    """BERT's masking: (inputs, labels) for one encoded sentence.

    Choose round(prob * n) of the n word positions (at least one; never a
    special token), as the paper's data script does. Each chosen position
    becomes [MASK] with probability 0.8, a random word with 0.1 (drawn from
    the ordinary words, so never a special token), and stays with 0.1; its
    label is the original id. Every other label is IGNORE.
    """
    if not isinstance(tokenizer, WordTokenizer):
        raise TypeError(f"mask_tokens: tokenizer must be a WordTokenizer, got {type(tokenizer).__name__}")
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Sequence):
        raise TypeError(f"mask_tokens: ids must be a list of token ids, got {type(ids).__name__}")
    for t, i in enumerate(ids):
        if type(i) is not int or not 0 <= i < tokenizer.vocab_size:
            raise ValueError(
                f"mask_tokens: id {i!r} at position {t} is not a token id (0..{tokenizer.vocab_size - 1})"
            )
    if not isinstance(rng, random.Random):
        raise TypeError(f"mask_tokens: rng must be a random.Random, got {type(rng).__name__}")
    if isinstance(prob, bool) or not isinstance(prob, numbers.Real) or not 0.0 < prob <= 1.0:
        raise ValueError(f"mask_tokens: prob must be a fraction in (0, 1], got {prob!r}")
    candidates = [t for t, i in enumerate(ids) if i >= len(SPECIAL_TOKENS) or i == tokenizer.unk]
    if not candidates:
        raise ValueError(
            f"mask_tokens: the sentence {list(ids)!r:.60} has no word to mask, only special tokens"
        )
    chosen = rng.sample(candidates, max(1, round(prob * len(candidates))))
    inputs, labels = list(ids), [IGNORE] * len(ids)
    words = tokenizer.word_ids
    for t in sorted(chosen):
        labels[t] = ids[t]
        draw = rng.random()
        if draw < 0.8:
            inputs[t] = tokenizer.mask
        elif draw < 0.9:
            inputs[t] = rng.choice(words)
        # else: the word stays, and must still be predicted
    return inputs, labels


def masked_lm_loss(logits: Sequence[Sequence[Value]], labels: Sequence[int]) -> Value:
    """The mean cross-entropy over the positions whose label is not IGNORE:
    the other rows of `logits` are not in the loss, so they get no gradient.
    (``torch.nn.functional.cross_entropy(logits, labels, ignore_index=-100)``.)"""
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Sequence):
        raise TypeError(f"masked_lm_loss: labels must be a list of ints, got {type(labels).__name__}")
    if isinstance(logits, (str, bytes)) or not isinstance(logits, Sequence) or len(logits) != len(labels):
        raise ValueError(
            f"masked_lm_loss: need one row of logits per label; got {len(labels)} labels and "
            f"{len(logits) if isinstance(logits, Sequence) else type(logits).__name__} rows"
        )
    chosen = _chosen(labels, "masked_lm_loss")
    return Value.sum([cross_entropy(logits[t], labels[t]) for t in chosen]) * (1.0 / len(chosen))


# ------------------------------------------------------------------ the model
class BERT(Module):
    """A bidirectional transformer encoder with a masked-LM head.

    ``BERT(vocab_size, max_len, n_layer, d_model, n_head)``; options `d_ff`
    (4 * d_model), `n_segments` (0: no segment embeddings; 2 for sentence
    pairs, as BERT's token types), `tie_weights` (the head's weight *is* the
    token embedding table), `norm_first` (pre-norm blocks, as GPT-2; False is
    the original post-norm), `activation` ('relu'; BERT used GELU, which
    this library does not have).

    Calls:

    * ``model.encode(ids)`` -> (T, d_model): the contextual vectors;
    * ``model(ids)`` -> (T, vocab_size): the MLM logits at every position;
    * ``model.mlm_loss(inputs, labels)`` -> the loss at the labelled positions
      (the head runs only there: the same number as
      ``masked_lm_loss(model(inputs), labels)``, for a fraction of the work).

    `segments` (a list of segment ids, one per token) is accepted by all three
    when n_segments > 0.
    """

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
        check_size(vocab_size, "BERT", "vocab_size")
        check_size(max_len, "BERT", "max_len")
        check_size(n_layer, "BERT", "n_layer")
        check_block_settings("BERT", d_model, n_head, d_ff, "layernorm", activation)
        if isinstance(n_segments, bool) or not isinstance(n_segments, int) or n_segments < 0:
            raise ValueError(f"BERT: n_segments must be an int >= 0, got {n_segments!r}")
        # Attribute order is state_dict order.
        self.wte = Embedding(vocab_size, d_model)
        self.wpe = PositionalEmbedding(max_len, d_model)
        if n_segments:
            self.wse = Embedding(n_segments, d_model)
        self.blocks = [
            TransformerBlock(
                d_model, n_head, d_ff, causal=False, norm_first=norm_first, activation=activation
            )
            for _ in range(n_layer)
        ]
        self.ln_f = LayerNorm(d_model)
        self.mlm_head = Linear(d_model, vocab_size)
        # The tables start at N(0, 1/d_model), as the Transformer's shared
        # embedding and softmax table did (tensor2tensor), not at Embedding's
        # N(0, 1): a tied head scores word i by the final vector (LayerNorm'd,
        # about sqrt(d_model) long) dotted with row i, so rows of N(0, 1)
        # spread the first logits by ~sqrt(d_model), and an untrained model
        # started far above a uniform guess (demo bert: 14.7 nats, where
        # ln 313 = 5.75). Rows of N(0, 1/d_model) give logits of spread ~1: it
        # starts at 6.9. (GPT-2's 0.02 starts at 5.84, but learned least in
        # 1,500 steps of the demo: 21% of masked words, against 29% here and
        # 24% with N(0, 1).) Scaled, not drawn again: the same random stream.
        for table in (self.wte, self.wpe, *([self.wse] if n_segments else [])):
            _scale(table.weight, d_model**-0.5)
        if tie_weights:
            # One table, two uses: row i reads word i in and scores word i out.
            self.mlm_head.weight = self.wte.weight
        self.vocab_size = vocab_size
        self.max_len = max_len
        self.d_model = d_model
        self.n_head = n_head
        self.n_segments = n_segments
        self.tie_weights = bool(tie_weights)
        self._config = {
            "vocab_size": vocab_size,
            "max_len": max_len,
            "n_layer": n_layer,
            "d_model": d_model,
            "n_head": n_head,
            "d_ff": d_ff,
            "n_segments": n_segments,
            "tie_weights": bool(tie_weights),
            "norm_first": norm_first,
            "activation": activation,
        }

    def config(self) -> dict:
        """The constructor's keyword arguments, as a dict: ``BERT(**model.config())``
        builds the same architecture (what a saved model file records)."""
        return dict(self._config)

    # ------------------------------------------------------------- forward
    def encode(
        self,
        ids: Sequence[int],
        segments: Sequence[int] | None = None,
        positions: Sequence[int] | None = None,
    ) -> list[list[Value]]:
        """The contextual vectors: (T,) ids -> (T, d_model), after the final
        norm; with `positions`, only those vectors (the last block computes
        nothing else: see `TransformerBlock`)."""
        check_ids(ids, self.vocab_size, self)
        if len(ids) > self.max_len:
            raise ValueError(
                f"{describe(self)}: got {len(ids)} token ids, but the model holds max_len={self.max_len}"
            )
        xs = self.wpe(self.wte(ids))  # (T, d_model)
        if segments is not None or self.n_segments:
            xs = self._add_segments(xs, ids, segments)
        last = len(self.blocks) - 1
        for i, block in enumerate(self.blocks):
            # (T, d_model): every position attends to every position; the last
            # block only at `positions`, if given
            xs = block(xs, positions if i == last else None)
        return [self.ln_f(x) for x in xs]  # (T, d_model), or (len(positions), d_model)

    def __call__(self, ids: Sequence[int], segments: Sequence[int] | None = None) -> list[list[Value]]:
        return [self.mlm_head(h) for h in self.encode(ids, segments)]  # (T, vocab_size)

    def mlm_loss(
        self, ids: Sequence[int], labels: Sequence[int], segments: Sequence[int] | None = None
    ) -> Value:
        """Mean cross-entropy of the words at the positions whose label is not IGNORE."""
        if isinstance(labels, (str, bytes)) or not isinstance(labels, Sequence):
            raise TypeError(
                f"{describe(self)}.mlm_loss: labels must be a list of ints, got {type(labels).__name__}"
            )
        if isinstance(ids, Sequence) and len(labels) != len(ids):
            raise ValueError(
                f"{describe(self)}.mlm_loss: got {len(ids)} ids but {len(labels)} labels; need one each"
            )
        chosen = _chosen(labels, f"{describe(self)}.mlm_loss")
        # The last block and the head only where the loss reads: a pretraining
        # step does 60% less work than encoding every position, for the same
        # numbers. (Demo bert, one step: 12,204 nodes -> 5,199.)
        hidden = self.encode(ids, segments, positions=chosen)  # (len(chosen), d_model)
        losses = [cross_entropy(self.mlm_head(h), labels[t]) for h, t in zip(hidden, chosen)]
        return Value.sum(losses) * (1.0 / len(losses))

    def _add_segments(self, xs, ids, segments):
        if not self.n_segments:
            raise ValueError(f"{describe(self)}: got segments, but the model was made with n_segments=0")
        segments = [0] * len(ids) if segments is None else segments
        check_ids(segments, self.n_segments, self.wse)
        if len(segments) != len(ids):
            raise ValueError(f"{describe(self)}: got {len(ids)} ids but {len(segments)} segment ids")
        return [[a + b for a, b in zip(x, s)] for x, s in zip(xs, self.wse(segments))]

    def extra_repr(self) -> str:
        tied = ", tied" if self.tie_weights else ""
        return (
            f"vocab_size={self.vocab_size}, max_len={self.max_len}, n_layer={len(self.blocks)}, "
            f"d_model={self.d_model}, n_head={self.n_head}{tied}"
        )


# ---------------------------------------------------------- classification
class BERTClassifier(Module):
    """A sentence classifier on top of an encoder: `Collapse(pool)` turns the
    (T, d_model) contextual vectors into one vector, a Linear scores the
    classes. ``pool="first"`` reads the [CLS] vector, as BERT does; "mean"
    averages every position.

    Fine-tuning trains all of it, the encoder too (its MLM head takes no part
    and gets no gradient). Calls: ``clf(ids)`` -> (n_classes,) logits;
    ``clf.loss(ids, label)`` -> cross-entropy; ``clf.predict(ids)`` -> the
    likeliest class, under no_grad().
    """

    def __init__(self, encoder: BERT, n_classes: int, pool: str = "first") -> None:
        if not isinstance(encoder, BERT):
            raise TypeError(f"BERTClassifier: encoder must be a BERT, got {type(encoder).__name__}")
        check_size(n_classes, "BERTClassifier", "n_classes")
        if pool not in COLLAPSE_MODES:
            raise ValueError(f"BERTClassifier: unknown pool {pool!r}; expected one of {COLLAPSE_MODES}")
        self.encoder = encoder
        self.pool = Collapse(pool)
        self.classifier = Linear(encoder.d_model, n_classes)
        self.n_classes = n_classes

    def __call__(self, ids: Sequence[int], segments: Sequence[int] | None = None) -> list[Value]:
        return self.classifier(self.pool(self.encoder.encode(ids, segments)))  # (n_classes,)

    def loss(self, ids: Sequence[int], label: int, segments: Sequence[int] | None = None) -> Value:
        if type(label) is not int or not 0 <= label < self.n_classes:
            raise ValueError(
                f"{describe(self)}.loss: label must be a class in 0..{self.n_classes - 1}, got {label!r}"
            )
        return cross_entropy(self(ids, segments), label)

    def predict(self, ids: Sequence[int], segments: Sequence[int] | None = None) -> int:
        with no_grad():
            logits = self(ids, segments)
        return max(range(self.n_classes), key=lambda c: logits[c].data)

    def extra_repr(self) -> str:
        return f"n_classes={self.n_classes}, pool={self.pool.mode!r}"


# --------------------------------------------------------------- fill-mask
def fill_mask(model: BERT, tokenizer: WordTokenizer, text: str, k: int = 5) -> list[tuple[str, float]]:
    """The k likeliest words for the one [MASK] in `text` (read as the
    tokenizer reads it: "The cat sat on the [MASK]." is fine), with their
    probabilities (the softmax over the whole vocabulary; special tokens are
    left out of the ranking). Runs under no_grad(): no graph is built."""
    if not isinstance(model, BERT):
        raise TypeError(f"fill_mask: model must be a BERT, got {type(model).__name__}")
    if not isinstance(tokenizer, WordTokenizer):
        raise TypeError(f"fill_mask: tokenizer must be a WordTokenizer, got {type(tokenizer).__name__}")
    if not isinstance(text, str):
        raise TypeError(f"fill_mask: text must be a str with one [MASK], got {type(text).__name__}")
    check_size(k, "fill_mask", "k")
    if tokenizer.vocab_size != model.vocab_size:
        raise ValueError(
            f"fill_mask: the tokenizer has {tokenizer.vocab_size} tokens but the model {model.vocab_size}"
        )
    words = normalise_sentence(text)  # as the tokenizer reads it: "The" is "the", "mat." is "mat"
    n_masks = words.count("[MASK]")
    if n_masks != 1:
        lower = [w for w in words if w.upper() == "[MASK]" and w != "[MASK]"]
        hint = f"; {lower[0]!r} is not it: the mask token is written in capitals, [MASK]" if lower else ""
        raise ValueError(f"fill_mask: text must hold exactly one [MASK], got {n_masks} in {text!r:.60}{hint}")
    try:
        ids = tokenizer.encode(words, strict=True)
    except ValueError as error:  # a word the model never saw: say so, do not guess for [UNK]
        raise ValueError(f"fill_mask: {error} (the model never saw it)") from None
    with no_grad():
        logits = model(ids)[ids.index(tokenizer.mask)]  # (vocab_size,)
        probs = [p.data for p in softmax(logits)]
    ranked = sorted(tokenizer.word_ids, key=lambda i: (-probs[i], i))[:k]
    return [(tokenizer.itos[i], probs[i]) for i in ranked]


# ------------------------------------------------------------------ helpers
def _scale(table: list[list[Value]], factor: float) -> None:
    """Multiply every entry of a table of parameters by `factor`, in place."""
    for row in table:
        for v in row:
            v.data *= factor


def _chosen(labels: Sequence[int], where: str) -> list[int]:
    """The positions with a label, after checking every label."""
    for t, y in enumerate(labels):
        if type(y) is not int or (y < 0 and y != IGNORE):
            raise ValueError(f"{where}: label {t} is {y!r}; expected a token id or IGNORE ({IGNORE})")
    chosen = [t for t, y in enumerate(labels) if y != IGNORE]
    if not chosen:
        raise ValueError(f"{where}: every label is IGNORE; mask_tokens chooses at least one position")
    return chosen
