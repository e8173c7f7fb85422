"""word2vec: skip-gram with negative sampling (Mikolov et al., 2013), from Values.

The idea: a word is known by the company it keeps. Give every word two
vectors, a *word vector* v (the one we keep) and a *context vector* u, and
train them so that the dot product u_context . v_word is large for words that
appear near each other and small for random pairs:

    loss = -log sigmoid(u_context . v_word) - sum over k noise words n of log sigmoid(-u_n . v_word)

The noise words are drawn from the unigram distribution raised to the 3/4
power (rare words a little more often than their share). Words that appear in
the same contexts are pushed towards the same places, so their vectors end up
close; and relations that hold for many pairs (male -> female, country ->
capital) become directions: king - man + woman lands near queen.

    >>> import random
    >>> sentences = [["the", "cat", "eats"], ["the", "dog", "eats"], ["a", "cat", "sleeps"], ["a", "dog", "sleeps"]] * 5
    >>> model = Word2Vec.from_sentences(sentences, dim=8, rng=random.Random(0))
    >>> model
    Word2Vec(6 words, dim=8)
    >>> run = train(model, sentences, epochs=10, window=1, subsample_threshold=0, rng=random.Random(0))
    >>> losses = [loss for _epoch, loss in run]
    >>> losses[-1] < losses[0]
    True
    >>> model.nearest("cat", k=1)  # seen in the same places as "cat": "dog"  # doctest: +ELLIPSIS
    [('dog', 0.99...)]
    >>> round(cosine_similarity([1.0, 0.0], [1.0, 1.0]), 4)
    0.7071
"""

from __future__ import annotations

import itertools
import math
import numbers
import random
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

from ..checks import check_parameter_count, check_size, is_finite_number
from ..engine import Value
from ..nn.module import Module

__all__ = [
    "NoiseDistribution",
    "Word2Vec",
    "analogy",
    "cosine_similarity",
    "log_sigmoid",
    "pca_2d",
    "sgns_loss",
    "skipgram_windows",
    "subsample",
    "train",
]


# ---------------------------------------------------------------- the corpus


# ----------------------------------------------------------------- the model
class Word2Vec(Module):
    """A word vector and a context vector per word: two (words, dim) tables.

    `words` is the vocabulary, `counts` how often each word occurs (for the
    noise distribution and subsampling). Word vectors start small and random,
    context vectors at zero, as in the original word2vec code.
    """

    def __init__(
        self,
        words: Sequence[str],
        dim: int = 24,
        counts: Sequence[int] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        check_size(dim, "Word2Vec", "dim")
        if isinstance(words, str):  # list("cat") would be a vocabulary of letters
            raise TypeError(f"Word2Vec: words must be a list of str, got the str {words!r}")
        words = list(words)
        if not words or not all(isinstance(w, str) for w in words):
            raise ValueError("Word2Vec: words must be a non-empty list of str")
        if len(set(words)) != len(words):
            raise ValueError("Word2Vec: words must not repeat")
        counts = [1] * len(words) if counts is None else list(counts)
        if len(counts) != len(words):
            raise ValueError(f"Word2Vec: got {len(counts)} counts for {len(words)} words")
        for w, c in zip(words, counts):
            if type(c) is not int or c < 1:  # the noise distribution needs positive counts
                raise ValueError(f"Word2Vec: counts must be positive ints; {w!r} has count {c!r}")
        check_parameter_count(2 * len(words) * dim, f"Word2Vec({len(words)} words, dim={dim})")
        rng = rng or random.Random()
        scale = 0.5 / dim
        self.word_vectors = [
            [Value(rng.uniform(-scale, scale)) for _ in range(dim)] for _ in words
        ]  # (V, dim)
        self.context_vectors = [[Value(0.0) for _ in range(dim)] for _ in words]  # (V, dim)
        self.dim = dim
        self._words = words
        self._counts = counts
        self._index = {w: i for i, w in enumerate(words)}

    def config(self) -> dict:
        """The constructor's settings besides the vocabulary (`words`, `counts`):
        ``Word2Vec(model.words, counts=model.counts, **model.config())``."""
        return {"dim": self.dim}

    @classmethod
    def from_sentences(
        cls,
        sentences: Iterable[Sequence[str]],
        dim: int = 24,
        min_count: int = 1,
        rng: random.Random | None = None,
    ) -> Word2Vec:
        """The vocabulary of `sentences` (words seen at least `min_count` times),
        most frequent first."""
        check_size(min_count, "Word2Vec.from_sentences", "min_count")
        counts = Counter(w for sentence in _sentences(sentences, "Word2Vec.from_sentences") for w in sentence)
        kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        if not kept:
            raise ValueError(
                f"Word2Vec.from_sentences: no word occurs at least min_count={min_count} times "
                f"(in {len(counts)} distinct words)"
            )
        return cls(kept, dim, [counts[w] for w in kept], rng)

    @property
    def words(self) -> list[str]:
        return list(self._words)

    @property
    def counts(self) -> list[int]:
        return list(self._counts)

    def index(self, word: str) -> int:
        try:
            return self._index[word]
        except KeyError:
            raise KeyError(
                f"Word2Vec: {word!r} is not in the vocabulary of {len(self._words)} words"
            ) from None

    def __contains__(self, word: str) -> bool:
        return word in self._index

    def vector(self, word: str) -> list[float]:
        """The learned word vector, as plain numbers."""
        return [v.data for v in self.word_vectors[self.index(word)]]

    def unit_vectors(self) -> list[list[float]]:
        """Every word vector scaled to length 1 (so a dot product is a cosine)."""
        return [_unit([v.data for v in row]) for row in self.word_vectors]

    def nearest(self, word: str, k: int = 5) -> list[tuple[str, float]]:
        """The k words whose vectors point most nearly the same way as `word`'s,
        with their cosine similarities, most similar first."""
        check_size(k, "Word2Vec.nearest", "k")
        units = self.unit_vectors()
        target = units[self.index(word)]
        return _top(units, target, self._words, k, exclude={word})

    def analogy(self, a: str, b: str, c: str, k: int = 1) -> list[tuple[str, float]]:
        """Words near a - b + c (``analogy('king', 'man', 'woman')`` asks
        "king is to man as ? is to woman"), scored by cosine similarity.

        Uses unit vectors (3CosAdd) and, as is usual, leaves a, b and c out of
        the answers.
        """
        return analogy(self, a, b, c, k)

    def extra_repr(self) -> str:
        return f"{len(self._words)} words, dim={self.dim}"


def analogy(model: Word2Vec, a: str, b: str, c: str, k: int = 1) -> list[tuple[str, float]]:
    """The k words nearest to unit(a) - unit(b) + unit(c), with cosine scores."""
    check_size(k, "analogy", "k")
    units = model.unit_vectors()
    va, vb, vc = (units[model.index(w)] for w in (a, b, c))
    target = _unit([x - y + z for x, y, z in zip(va, vb, vc)])
    return _top(units, target, model.words, k, exclude={a, b, c})


def cosine_similarity(u: Sequence[float | Value], v: Sequence[float | Value]) -> float:
    """u . v / (|u| |v|): 1 for the same direction, 0 at right angles, -1 opposite."""
    u, v = _numbers(u, "cosine_similarity"), _numbers(v, "cosine_similarity")
    if len(u) != len(v):
        raise ValueError(f"cosine_similarity: the vectors need the same length, got {len(u)} and {len(v)}")
    # Lengths by hypot, which never squares a number itself, and the dot
    # product of the unit vectors: squaring 1e200 would overflow (inf / inf
    # is nan) and squaring 1e-200 would underflow to a "zero vector".
    nu, nv = math.hypot(*u), math.hypot(*v)
    if nu == 0.0 or nv == 0.0:
        raise ValueError("cosine_similarity: a zero vector has no direction")
    cosine = _dot([x / nu for x in u], [y / nv for y in v])
    return max(-1.0, min(1.0, cosine))  # rounding can land a hair outside [-1, 1]


# --------------------------------------------------------------- the training
def log_sigmoid(x: Value) -> Value:
    """log(sigmoid(x)), without overflow for large |x|.

    log sigmoid(x) = -log(1 + e**-x) = min(x, 0) - log(1 + e**-|x|): the
    exponent is never positive, so exp cannot overflow and the log never sees 0.
    """
    if type(x) is not Value:
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(
                f"log_sigmoid: expected a Value or a number, got {x!r} of type {type(x).__name__}"
            )
        x = Value(x)
    if x.data >= 0.0:
        return -((-x).exp() + 1.0).log()
    return x - (x.exp() + 1.0).log()


def sgns_loss(
    model: Word2Vec, center: int, contexts: Sequence[int], negatives: Sequence[Sequence[int]]
) -> Value:
    """Skip-gram negative-sampling loss of one center word: for each context
    word, -log sigmoid(u_context . v_center) and, for each of its noise words,
    -log sigmoid(-u_noise . v_center)."""
    n_words = len(model.word_vectors)
    if isinstance(contexts, (str, bytes)) or not isinstance(contexts, Sequence):
        raise TypeError(f"sgns_loss: contexts must be a list of word indices, got {type(contexts).__name__}")
    if isinstance(negatives, (str, bytes)) or not isinstance(negatives, Sequence):
        raise TypeError(f"sgns_loss: negatives must be a list of lists, got {type(negatives).__name__}")
    if len(contexts) != len(negatives):
        raise ValueError(
            f"sgns_loss: got {len(contexts)} context words but {len(negatives)} lists of negatives; need one each"
        )
    _check_word_ids([center], n_words, "sgns_loss", "center")
    _check_word_ids(contexts, n_words, "sgns_loss", "contexts")
    for noise in negatives:
        _check_word_ids(noise, n_words, "sgns_loss", "negatives")
    v = model.word_vectors[center]
    u = model.context_vectors
    terms = []
    for context, noise in zip(contexts, negatives):
        terms.append(log_sigmoid(Value.dot(u[context], v)))  # this pair is real: push the score up
        for n in noise:
            terms.append(log_sigmoid(-Value.dot(u[n], v)))  # these are noise: push theirs down
    return -Value.sum(terms)


class NoiseDistribution:
    """Draws noise words with probability proportional to count ** power.

    power=0.75 (word2vec's choice) flattens the unigram distribution: "the"
    is drawn less often than its share, rare words more often.

        >>> noise = NoiseDistribution([16, 1], power=0.75)
        >>> [round(p, 3) for p in noise.probabilities]  # 8 : 1, not 16 : 1
        [0.889, 0.111]
    """

    def __init__(self, counts: Sequence[int], power: float = 0.75) -> None:
        if (
            isinstance(counts, (str, bytes))
            or not isinstance(counts, Sequence)
            or not counts
            or any(isinstance(c, bool) or not isinstance(c, numbers.Real) or not c > 0 for c in counts)
        ):
            raise ValueError(
                f"NoiseDistribution: counts must be a non-empty list of positive numbers, got {counts!r:.80}"
            )
        if isinstance(power, bool) or not isinstance(power, numbers.Real) or not math.isfinite(power):
            raise ValueError(f"NoiseDistribution: power must be a finite number, got {power!r}")
        weights = [c**power for c in counts]
        total = sum(weights)
        self.probabilities = [w / total for w in weights]
        self._cumulative = list(itertools.accumulate(weights))
        self._population = range(len(counts))

    def sample(self, rng: random.Random, k: int) -> list[int]:
        return rng.choices(self._population, cum_weights=self._cumulative, k=k)


def subsample(sentence: Sequence[int], keep: Sequence[float], rng: random.Random) -> list[int]:
    """Drop each occurrence of word i with probability 1 - keep[i]."""
    _check_word_ids(sentence, len(keep), "subsample", "sentence")
    return [w for w in sentence if keep[w] >= 1.0 or rng.random() < keep[w]]


def keep_probabilities(counts: Sequence[int], threshold: float) -> list[float]:
    """word2vec's subsampling: keep a word with probability sqrt(t/f) + t/f,
    f its frequency, t the threshold (so "the" and "is" are mostly dropped:
    they are near everything and say little)."""
    total = sum(counts)
    if threshold <= 0:
        return [1.0] * len(counts)
    return [min(1.0, math.sqrt(threshold / (c / total)) + threshold / (c / total)) for c in counts]


def skipgram_windows(
    sentence: Sequence[int], window: int, rng: random.Random
) -> Iterator[tuple[int, list[int]]]:
    """(center, contexts) for each position: the words up to `window` away on
    each side. As in word2vec, each position uses a random window size in
    1..window, so near words count more often than far ones.

        >>> list(skipgram_windows([10, 11, 12], window=1, rng=random.Random(0)))
        [(10, [11]), (11, [10, 12]), (12, [11])]
    """
    check_size(window, "skipgram_windows", "window")  # here, not at the first next()
    return _windows(sentence, window, rng)


def _windows(sentence: Sequence[int], window: int, rng: random.Random) -> Iterator[tuple[int, list[int]]]:
    for i, center in enumerate(sentence):
        b = rng.randint(1, window)
        contexts = sentence[max(0, i - b) : i] + sentence[i + 1 : i + 1 + b]
        if contexts:
            yield center, list(contexts)


def train(
    model: Word2Vec,
    sentences: Sequence[Sequence[str]],
    epochs: int = 5,
    window: int = 3,
    negatives: int = 5,
    lr: float = 0.05,
    subsample_threshold: float = 1e-3,
    rng: random.Random | None = None,
) -> Iterator[tuple[int, float]]:
    """Train with plain SGD, one center word at a time; yield (epoch, mean loss).

    Only the rows that a step touched get a gradient, so only those are
    updated (a "sparse" update: the other 99% of the table did not take part).
    The learning rate falls linearly to nearly 0, as in word2vec.
    """
    # Checked now, not at the first next() of the generator.
    if not isinstance(model, Word2Vec):
        raise TypeError(f"train: model must be a Word2Vec, got {type(model).__name__}")
    sentences = _sentences(sentences, "train")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"train: epochs must be a non-negative int, got {epochs!r}")
    check_size(window, "train", "window")
    if isinstance(negatives, bool) or not isinstance(negatives, int) or negatives < 0:
        raise ValueError(f"train: negatives must be a non-negative int, got {negatives!r}")
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not 0.0 < lr < math.inf:
        raise ValueError(f"train: lr must be a positive number, got {lr!r}")
    if (
        isinstance(subsample_threshold, bool)
        or not isinstance(subsample_threshold, numbers.Real)
        or not 0.0 <= subsample_threshold < math.inf
    ):
        raise ValueError(f"train: subsample_threshold must be a number >= 0, got {subsample_threshold!r}")
    return _train(model, sentences, epochs, window, negatives, lr, subsample_threshold, rng)


def _train(
    model: Word2Vec,
    sentences: Sequence[Sequence[str]],
    epochs: int,
    window: int,
    negatives: int,
    lr: float,
    subsample_threshold: float,
    rng: random.Random | None,
) -> Iterator[tuple[int, float]]:
    rng = rng or random.Random()
    encoded = [[model.index(w) for w in s if w in model] for s in sentences]
    noise = NoiseDistribution(model.counts)
    keep = keep_probabilities(model.counts, subsample_threshold)
    total_steps = epochs * sum(len(s) for s in encoded)
    step = 0
    for epoch in range(epochs):
        order = list(range(len(encoded)))
        rng.shuffle(order)
        total_loss, pairs = 0.0, 0
        for s in order:
            for center, contexts in skipgram_windows(subsample(encoded[s], keep, rng), window, rng):
                negs = [[n for n in noise.sample(rng, negatives) if n != ctx] for ctx in contexts]
                loss = sgns_loss(model, center, contexts, negs)
                loss.backward()
                rate = lr * max(1e-4, 1.0 - step / total_steps)
                _sparse_sgd(model, [center], [*contexts, *itertools.chain.from_iterable(negs)], rate)
                total_loss += loss.data
                pairs += len(contexts)
                step += 1
        yield epoch, total_loss / max(pairs, 1)


def _sparse_sgd(model: Word2Vec, word_rows: Iterable[int], context_rows: Iterable[int], lr: float) -> None:
    for table, rows in ((model.word_vectors, word_rows), (model.context_vectors, context_rows)):
        for i in set(rows):
            for p in table[i]:
                p.data -= lr * p.grad
                p.grad = 0.0


# ------------------------------------------------------------- the 2-D map
def pca_2d(vectors: Sequence[Sequence[float]], iterations: int = 200) -> list[tuple[float, float]]:
    """Project vectors onto their two main directions (principal components).

    Centre the vectors, then find the top two eigenvectors of their covariance
    matrix by power iteration: multiplying any vector by the covariance again
    and again turns it towards the direction of largest spread. Removing that
    direction (deflation) and repeating gives the second.

        >>> points = pca_2d([[2.0, 0.0, 0.0], [-2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 0.0]])
        >>> [(round(x, 6) + 0.0, round(y, 6) + 0.0) for x, y in points]
        [(2.0, 0.0), (-2.0, 0.0), (0.0, 1.0), (0.0, -1.0)]
    """
    check_size(iterations, "pca_2d", "iterations")
    if isinstance(vectors, (str, bytes)) or not isinstance(vectors, Sequence):
        raise TypeError(f"pca_2d: expected a list of vectors, got {type(vectors).__name__}")
    if len(vectors) < 2:
        raise ValueError(f"pca_2d: needs at least two vectors, got {len(vectors)}")
    vectors = [_numbers(v, "pca_2d") for v in vectors]
    dim = len(vectors[0])
    if any(len(v) != dim for v in vectors):
        raise ValueError("pca_2d: the vectors need the same length")
    n = len(vectors)
    mean = [sum(v[j] for v in vectors) / n for j in range(dim)]
    centred = [[x - m for x, m in zip(v, mean)] for v in vectors]
    cov = [[sum(v[i] * v[j] for v in centred) / n for j in range(dim)] for i in range(dim)]
    components = []
    for _ in range(min(2, dim)):
        direction = _unit([1.0 + 0.1 * j for j in range(dim)])  # a fixed start: deterministic
        for _ in range(iterations):
            moved = [_dot(row, direction) for row in cov]
            if _dot(moved, moved) == 0.0:  # no spread left in any direction
                break
            direction = _unit(moved)
        # Fix the sign (an eigenvector is only defined up to it): largest entry positive.
        if max(direction, key=abs) < 0:
            direction = [-x for x in direction]
        eigenvalue = _dot(direction, [_dot(row, direction) for row in cov])
        # Deflate: take this direction's spread out of the covariance.
        cov = [[cov[i][j] - eigenvalue * direction[i] * direction[j] for j in range(dim)] for i in range(dim)]
        components.append(direction)
    if len(components) == 1:
        components.append([0.0] * dim)
    return [(_dot(v, components[0]), _dot(v, components[1])) for v in centred]


# ------------------------------------------------------------------ helpers
def _sentences(sentences: Iterable[Sequence[str]], where: str) -> list[Sequence[str]]:
    """The sentences as a list, each a list of words (a str would be read as letters)."""
    if isinstance(sentences, (str, bytes)) or not isinstance(sentences, Iterable):
        raise TypeError(
            f"{where}: expected a list of sentences (lists of words), got {type(sentences).__name__}"
        )
    sentences = list(sentences)
    for k, sentence in enumerate(sentences):
        if isinstance(sentence, str):
            raise TypeError(
                f"{where}: sentence {k} is the str {sentence!r:.40}; expected a list of words: split it"
            )
        if not isinstance(sentence, Iterable):
            raise TypeError(f"{where}: sentence {k} must be a list of words, got {type(sentence).__name__}")
    return sentences


def _check_word_ids(ids: Iterable[int], n_words: int, where: str, what: str) -> None:
    for i in ids:
        if type(i) is not int or not 0 <= i < n_words:  # a negative id would silently pick from the end
            raise ValueError(f"{where}: {what} holds {i!r}; expected word indices in 0..{n_words - 1}")


def _numbers(v: Sequence[float | Value], where: str) -> list[float]:
    """A vector of plain floats, from numbers or Values."""
    if isinstance(v, (str, bytes, Value)) or not isinstance(v, Iterable):
        raise TypeError(f"{where}: expected a vector (a list of numbers), got {type(v).__name__}")
    out = []
    for x in v:
        if type(x) is Value:
            out.append(x.data)
        elif isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(
                f"{where}: expected a vector of numbers, got an entry {x!r:.40} of type {type(x).__name__}"
            )
        elif not is_finite_number(x):
            raise ValueError(f"{where}: expected finite numbers, got an entry {x!r:.40}")
        else:
            out.append(float(x))
    return out


def _dot(u: Sequence[float], v: Sequence[float]) -> float:
    return math.fsum(a * b for a, b in zip(u, v))


def _unit(v: Sequence[float]) -> list[float]:
    norm = math.hypot(*v)  # no squares: exact for 1e200 and 1e-200 alike
    return [x / norm for x in v] if norm > 0.0 else list(v)


def _top(units, target, words, k, exclude) -> list[tuple[str, float]]:
    scored = [(_dot(u, target), w) for u, w in zip(units, words) if w not in exclude]
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return [(w, s) for s, w in scored[:k]]
