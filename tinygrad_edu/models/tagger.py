"""Part-of-speech tagging: a most-frequent-tag baseline and a window MLP.

A parser reads tags as well as words, and raw text comes without them. A
tagger gives each word one of the 17 universal tags (NOUN, VERB, ADP, ...).

The baseline, `MostFrequentTagger`, gives a word the tag it had most often
in training; a word never seen gets one by its shape and ending (a number is
NUM, "quickly" ADV, "Auckland" PROPN, ...). It is hard to beat on words it
has seen, and blind to context: "book" is always NOUN, "that" always PRON.

The `WindowTagger` reads context. For word i it looks at a window of five
words, i-2 .. i+2 (lowercased; a rare word is [UNK]), and, for words i-1,
i, i+1, at the *shape* (Xxxx, xxxx, XXXX, dd, ...), the last three letters
and the tag the word had most often in training (the baseline's answer, or
[UNK]): the ending says "-ly", "-ing", "-ed" for words it has never seen,
the shape says "capitalised mid-sentence, so probably a name", the usual tag
gives it the baseline to start from, and the window what overrules it ("to"
before a verb). Each is an embedding; concatenated, they go through one
hidden layer to a softmax over the tags,

    h = relu(W1 [e(w-2); ...; e(w+2); e(suffix, shape, usual tag of w-1..w+1)] + b1)
    p(tag | window) = softmax(W2 h + b2)

trained with cross-entropy, one word at a time, and applied greedily (each
word's tag is the likeliest; no tag depends on another). This is Collobert
and Weston's (2011) window approach, small.

    >>> import random; random.seed(0)
    >>> from tinygrad_edu.datasets.treebank import Sentence
    >>> s = Sentence(["The", "dog", "barked", "."], ["DET", "NOUN", "VERB", "PUNCT"])
    >>> MostFrequentTagger.from_sentences([s]).tag(["The", "cat", "meowed", "loudly", "."])
    ['DET', 'NOUN', 'VERB', 'ADV', 'PUNCT']
    >>> vocab = TaggerVocabulary.from_sentences([s])
    >>> tagger = WindowTagger(vocab, hidden=8)
    >>> tagger
    WindowTagger(words=6, suffixes=6, shapes=9, tags=4, hidden=8)
      (word_embedding): Embedding(6, 8)
      (suffix_embedding): Embedding(6, 6)
      (shape_embedding): Embedding(9, 3)
      (usual_tag_embedding): Embedding(6, 4)
      (hidden): Linear(in_features=79, out_features=8, bias=True)
      (output): Linear(in_features=8, out_features=4, bias=True)
    >>> len(tagger.tag(["The", "dog", "sat"]))   # untrained: three tags, probably wrong
    3
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from ..checks import check_size, describe
from ..datasets.treebank import Sentence
from ..engine import Value
from ..functional import cross_entropy
from ..nn.embedding import Embedding
from ..nn.linear import Linear
from ..nn.module import Module
from ..recording import no_grad

__all__ = [
    "MostFrequentTagger",
    "TaggerVocabulary",
    "WindowTagger",
    "shape_of_word",
    "tag_accuracy",
    "tagger_batch_loss",
    "tagger_examples",
]

NULL, UNK = "[NULL]", "[UNK]"  # beyond the sentence's ends / never seen in training
NULL_ID, UNK_ID = 0, 1
WINDOW = 2  # words on each side of the one tagged
SHAPES = ("lower", "Capital", "UPPER", "number", "punct", "mixed", "web")

# For a word the lexicon does not know: (test, tag), first match wins, else NOUN.
UNKNOWN_WORD_RULES = (
    (re.compile(r"[\W_]+"), "PUNCT"),
    (re.compile(r"[\d.,:/-]*\d[\d.,:/-]*(st|nd|rd|th|s)?", re.I), "NUM"),
    (re.compile(r"(https?://|www\.|\S+@)\S*", re.I), "X"),
    (re.compile(r"[A-Z].*"), "PROPN"),
    (re.compile(r".*ly"), "ADV"),
    (re.compile(r".*(ing|ed|ize|ise)"), "VERB"),
    (re.compile(r".*(able|ible|ful|ous|ive|less|ic|al)"), "ADJ"),
)


def shape_of_word(word: str) -> str:
    """One of SHAPES: how the word is written, which says much about an unseen word.

    >>> [shape_of_word(w) for w in ["dog", "Dog", "NASA", "1,000", "?!", "iPod", "www.x.com"]]
    ['lower', 'Capital', 'UPPER', 'number', 'punct', 'mixed', 'web']
    """
    if not isinstance(word, str) or not word:
        raise ValueError(f"shape_of_word: expected a non-empty str, got {word!r:.40}")
    if re.fullmatch(r"(https?://|www\.|\S+@)\S*", word, re.I):
        return "web"
    if re.fullmatch(r"[\d.,:/-]*\d[\d.,:/-]*", word):
        return "number"
    if not any(c.isalnum() for c in word):
        return "punct"
    if word.islower():
        return "lower"
    if word.isupper():
        return "UPPER"
    if word[0].isupper() and word[1:].islower():
        return "Capital"
    return "mixed"


def _check_sentences(sentences: Sequence[Sentence], where: str) -> None:
    if isinstance(sentences, Sentence) or not isinstance(sentences, Sequence):
        raise TypeError(f"{where}: expected a list of Sentence, got {type(sentences).__name__}")
    for k, s in enumerate(sentences):
        if not isinstance(s, Sentence):
            raise TypeError(f"{where}: entry {k} is a {type(s).__name__}, not a Sentence")


def _check_words(words: Sequence[str], where: str) -> None:
    if isinstance(words, str) or not isinstance(words, Sequence):
        raise TypeError(f"{where}: expected a list of words (tokens), got {type(words).__name__}")
    for word in words:
        if not isinstance(word, str) or not word:
            raise ValueError(f"{where}: expected words (non-empty str), got {word!r:.40}")


# ------------------------------------------------------------------ baseline
class MostFrequentTagger:
    """Each known word's most frequent training tag (case-blind); unknown
    words by UNKNOWN_WORD_RULES."""

    def __init__(self, lexicon: dict[str, str]) -> None:
        if not isinstance(lexicon, dict):
            raise TypeError(f"MostFrequentTagger: expected a dict word -> tag, got {type(lexicon).__name__}")
        self.lexicon = dict(lexicon)

    @classmethod
    def from_sentences(cls, sentences: Sequence[Sentence]) -> MostFrequentTagger:
        _check_sentences(sentences, "MostFrequentTagger.from_sentences")
        counts: dict[str, Counter] = {}
        for s in sentences:
            for word, tag in zip(s.words, s.tags):
                counts.setdefault(word.lower(), Counter())[tag] += 1
        return cls({w: c.most_common(1)[0][0] for w, c in counts.items()})

    def tag(self, words: Sequence[str]) -> list[str]:
        _check_words(words, "MostFrequentTagger.tag")
        return [self.lexicon.get(w.lower()) or self.guess(w) for w in words]

    @staticmethod
    def guess(word: str) -> str:
        """The tag of a word never seen, from its shape and ending."""
        return next((tag for rule, tag in UNKNOWN_WORD_RULES if rule.fullmatch(word)), "NOUN")

    def __repr__(self) -> str:
        return f"MostFrequentTagger({len(self.lexicon)} words)"


# ---------------------------------------------------------------- the model
class TaggerVocabulary:
    """The ids of words (lowercased), suffixes (last 3 letters), shapes and
    tags, and the lexicon: each word's most frequent tag in training.

    Words and suffixes seen fewer than `min_count` times in training are
    [UNK] (and have no lexicon entry), so the [UNK] rows learn what an unseen
    word looks like."""

    def __init__(
        self,
        words: Sequence[str],
        suffixes: Sequence[str],
        tags: Sequence[str],
        lexicon: dict[str, str] | None = None,
    ) -> None:
        for name, xs in (("words", words), ("suffixes", suffixes), ("tags", tags)):
            if isinstance(xs, str) or not isinstance(xs, Sequence) or not all(isinstance(x, str) for x in xs):
                raise TypeError(f"TaggerVocabulary: {name} must be a list of str, got {xs!r:.60}")
        if not tags:
            raise ValueError("TaggerVocabulary: expected at least one tag")
        lexicon = dict(lexicon or {})
        for word, tag in lexicon.items():
            if not isinstance(word, str) or tag not in tags:
                raise ValueError(
                    f"TaggerVocabulary: lexicon entry {word!r:.40}: {tag!r:.40} is not one of the tags"
                )
        self.lexicon = lexicon
        self.words = [NULL, UNK] + [w for w in words if w not in (NULL, UNK)]
        self.suffixes = [NULL, UNK] + [x for x in suffixes if x not in (NULL, UNK)]
        self.shapes = [NULL, UNK, *SHAPES]
        self.tags = list(tags)
        self.word_ids = {w: i for i, w in enumerate(self.words)}
        self.suffix_ids = {x: i for i, x in enumerate(self.suffixes)}
        self.shape_ids = {x: i for i, x in enumerate(self.shapes)}
        self.tag_ids = {t: i for i, t in enumerate(self.tags)}
        self.usual_tags = [NULL, UNK, *self.tags]  # the lexicon feature's ids: [NULL], [UNK], then the tags
        self.usual_tag_ids = {t: i for i, t in enumerate(self.usual_tags)}

    @classmethod
    def from_sentences(cls, sentences: Sequence[Sentence], min_count: int = 1) -> TaggerVocabulary:
        _check_sentences(sentences, "TaggerVocabulary.from_sentences")
        check_size(min_count, "TaggerVocabulary.from_sentences", "min_count")
        words: dict[str, Counter] = {}
        for s in sentences:
            for word, tag in zip(s.words, s.tags):
                words.setdefault(word.lower(), Counter())[tag] += 1
        kept = [w for w, counts in words.items() if counts.total() >= min_count]
        suffixes = Counter(w.lower()[-3:] for s in sentences for w in s.words)
        tags = list(dict.fromkeys(t for s in sentences for t in s.tags))
        return cls(
            kept,
            [x for x, n in suffixes.items() if n >= min_count],
            tags,
            {w: words[w].most_common(1)[0][0] for w in kept},
        )

    def features(self, words: Sequence[str], i: int) -> list[int]:
        """The ids the tagger reads for word i: 5 words, then 3 suffixes, 3
        shapes and 3 usual tags (of words i-1, i, i+1)."""
        n = len(words)
        around = [words[j] if 0 <= j < n else None for j in range(i - WINDOW, i + WINDOW + 1)]
        near = around[WINDOW - 1 : WINDOW + 2]
        word_ids = [NULL_ID if w is None else self.word_ids.get(w.lower(), UNK_ID) for w in around]
        suffix_ids = [NULL_ID if w is None else self.suffix_ids.get(w.lower()[-3:], UNK_ID) for w in near]
        shape_ids = [NULL_ID if w is None else self.shape_ids[shape_of_word(w)] for w in near]
        usual = [NULL if w is None else self.lexicon.get(w.lower(), UNK) for w in near]
        return word_ids + suffix_ids + shape_ids + [self.usual_tag_ids[t] for t in usual]

    def to_dict(self) -> dict:
        return {"words": self.words, "suffixes": self.suffixes, "tags": self.tags, "lexicon": self.lexicon}

    @classmethod
    def from_dict(cls, d: dict) -> TaggerVocabulary:
        if not isinstance(d, dict) or not {"words", "suffixes", "tags", "lexicon"} <= d.keys():
            raise ValueError(
                "TaggerVocabulary.from_dict: expected a dict with words, suffixes, tags and lexicon"
            )
        if not isinstance(d["lexicon"], dict):
            raise ValueError("TaggerVocabulary.from_dict: the lexicon must map words to tags")
        return cls(d["words"], d["suffixes"], d["tags"], d["lexicon"])

    def __repr__(self) -> str:
        return (
            f"TaggerVocabulary({len(self.words)} words, {len(self.suffixes)} suffixes, {len(self.tags)} tags)"
        )


N_WORDS, N_NEAR = 2 * WINDOW + 1, 3  # word features; suffix, shape and usual-tag features (i-1, i, i+1)
N_FEATURES = N_WORDS + 3 * N_NEAR


class WindowTagger(Module):
    """A window MLP over embeddings of words, suffixes and shapes.

    ``state_dict`` names: word_embedding.weight (words, word_dim),
    suffix_embedding.weight, shape_embedding.weight, usual_tag_embedding.weight,
    hidden.weight (hidden, 5 word_dim + 3 (suffix_dim + shape_dim + tag_dim)), hidden.bias,
    output.weight (tags, hidden), output.bias.
    """

    def __init__(
        self,
        vocab: TaggerVocabulary,
        word_dim: int = 8,
        suffix_dim: int = 6,
        shape_dim: int = 3,
        tag_dim: int = 4,
        hidden: int = 32,
    ) -> None:
        if not isinstance(vocab, TaggerVocabulary):
            raise TypeError(f"WindowTagger: expected a TaggerVocabulary, got {type(vocab).__name__}")
        for name, size in (
            ("word_dim", word_dim),
            ("suffix_dim", suffix_dim),
            ("shape_dim", shape_dim),
            ("tag_dim", tag_dim),
            ("hidden", hidden),
        ):
            check_size(size, "WindowTagger", name)
        self._vocab = vocab  # '_': not a parameter
        self.word_embedding = Embedding(len(vocab.words), word_dim)
        self.suffix_embedding = Embedding(len(vocab.suffixes), suffix_dim)
        self.shape_embedding = Embedding(len(vocab.shapes), shape_dim)
        self.usual_tag_embedding = Embedding(len(vocab.usual_tags), tag_dim)
        self.hidden = Linear(N_WORDS * word_dim + N_NEAR * (suffix_dim + shape_dim + tag_dim), hidden)
        self.output = Linear(hidden, len(vocab.tags))
        self._config = {
            "word_dim": word_dim,
            "suffix_dim": suffix_dim,
            "shape_dim": shape_dim,
            "tag_dim": tag_dim,
            "hidden": hidden,
        }

    @property
    def vocab(self) -> TaggerVocabulary:
        return self._vocab

    def config(self) -> dict:
        """The constructor's keyword arguments after the vocabulary."""
        return dict(self._config)

    def __call__(self, features: Sequence[int]) -> list[Value]:
        """The logits of the tags for one word's N_FEATURES feature ids."""
        if (
            isinstance(features, (str, bytes))
            or not isinstance(features, Sequence)
            or len(features) != N_FEATURES
        ):
            raise ValueError(
                f"{describe(self)}: expected the {N_FEATURES} feature ids of TaggerVocabulary.features, "
                f"got {features!r:.60}"
            )
        words = self.word_embedding(features[:N_WORDS])  # (5, word_dim)
        suffixes = self.suffix_embedding(features[N_WORDS : N_WORDS + N_NEAR])  # (3, suffix_dim)
        shapes = self.shape_embedding(features[N_WORDS + N_NEAR : N_WORDS + 2 * N_NEAR])  # (3, shape_dim)
        usual = self.usual_tag_embedding(features[N_WORDS + 2 * N_NEAR :])  # (3, tag_dim)
        x = [v for rows in (words, suffixes, shapes, usual) for row in rows for v in row]  # concatenated
        h = [z.relu() for z in self.hidden(x)]  # (hidden,)
        return self.output(h)  # (tags,)

    def to_dict(self) -> dict:
        """Everything that rebuilds this tagger, as JSON-ready data: its
        config, vocabulary and weights (see `from_dict`)."""
        return {"config": self.config(), "vocab": self._vocab.to_dict(), "state_dict": self.state_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> WindowTagger:
        """The tagger `to_dict` described; a ValueError naming what is wrong
        if `d` is not one (a missing part, a config or weights that do not fit)."""
        where = "WindowTagger.from_dict"
        if not isinstance(d, dict) or not {"config", "vocab", "state_dict"} <= d.keys():
            raise ValueError(f"{where}: expected a dict with config, vocab and state_dict")
        config = d["config"]
        if not isinstance(config, dict) or set(config) != {
            "word_dim",
            "suffix_dim",
            "shape_dim",
            "tag_dim",
            "hidden",
        }:
            raise ValueError(
                f"{where}: config must give word_dim, suffix_dim, shape_dim, tag_dim and hidden, got {config!r:.80}"
            )
        if not all(type(v) is int and 1 <= v <= 4096 for v in config.values()):
            raise ValueError(f"{where}: config sizes must be whole numbers 1..4096, got {config!r:.80}")
        try:
            tagger = cls(TaggerVocabulary.from_dict(d["vocab"]), **config)
            tagger.load_state_dict(d["state_dict"])
        except (TypeError, ValueError, KeyError) as error:  # load_state_dict: KeyError for a missing key
            raise ValueError(f"{where}: {error}") from None
        return tagger

    def tag(self, words: Sequence[str]) -> list[str]:
        """The likeliest tag of each word (tokens as the treebank splits them)."""
        _check_words(words, f"{describe(self)}.tag")
        tags = []
        with no_grad():
            for i in range(len(words)):
                logits = [z.data for z in self(self._vocab.features(words, i))]
                tags.append(self._vocab.tags[max(range(len(logits)), key=logits.__getitem__)])
        return tags

    def extra_repr(self) -> str:
        v = self._vocab
        return (
            f"words={len(v.words)}, suffixes={len(v.suffixes)}, shapes={len(v.shapes)}, tags={len(v.tags)}, "
            f"hidden={self.hidden.out_features}"
        )


# ------------------------------------------------------------------ training
def tagger_examples(vocab: TaggerVocabulary, sentences: Sequence[Sentence]) -> list[tuple[list[int], int]]:
    """(features, gold tag id) for every word of `sentences`."""
    _check_sentences(sentences, "tagger_examples")
    examples = []
    for k, s in enumerate(sentences):
        for i, tag in enumerate(s.tags):
            if tag not in vocab.tag_ids:
                raise ValueError(f"tagger_examples: sentence {k} has the tag {tag!r}, not among {vocab.tags}")
            examples.append((vocab.features(s.words, i), vocab.tag_ids[tag]))
    return examples


def tagger_batch_loss(model: WindowTagger, batch: Sequence[tuple[list[int], int]]) -> Value:
    """The mean cross-entropy of a batch of (features, gold tag id)."""
    if not batch:
        raise ValueError("tagger_batch_loss: the batch is empty")
    return Value.sum([cross_entropy(model(f), gold) for f, gold in batch]) * (1.0 / len(batch))


def tag_accuracy(gold: Sequence[Sentence], predicted: Sequence[Sequence[str]]) -> float:
    """The fraction of words whose predicted tag is the gold one.

    >>> tag_accuracy([Sentence(["a", "b"], ["DET", "NOUN"])], [["DET", "VERB"]])
    0.5
    """
    _check_sentences(gold, "tag_accuracy")
    if len(gold) != len(predicted):
        raise ValueError(f"tag_accuracy: {len(gold)} gold sentences but {len(predicted)} tag lists")
    right = total = 0
    for k, (s, tags) in enumerate(zip(gold, predicted)):
        if len(tags) != len(s):
            raise ValueError(f"tag_accuracy: sentence {k} has {len(s)} words but {len(tags)} tags")
        right += sum(g == p for g, p in zip(s.tags, tags))
        total += len(s)
    if not total:
        raise ValueError("tag_accuracy: no words to score")
    return right / total
