"""A transition-based dependency parser (Chen & Manning, 2014), from Values.

A parser reads a sentence left to right with two piles of words: a *stack*
(words it has started on; ROOT at the bottom) and a *buffer* (words not read
yet), and a set of *arcs* it has drawn. Arc-standard has three moves:

* SHIFT: move the next word from the buffer onto the stack;
* LEFT-ARC(label): the top word s1 becomes the head of the one below it, s2
  (an arc s1 -> s2); s2 leaves the stack;
* RIGHT-ARC(label): s2 becomes the head of s1 (an arc s2 -> s1); s1 leaves.

A sentence of n words takes exactly 2n moves (n shifts, n arcs), and ends
with ROOT alone on the stack. Each move has a precondition: SHIFT needs a
word in the buffer, the arcs need two words on the stack, ROOT is never a
dependent, and ROOT takes its one dependent (label ``root``) last, when the
buffer is empty. The *oracle* reads a gold tree and says which move builds
it: LEFT-ARC when s2's head is s1, RIGHT-ARC when s1's head is s2 and s1 has
all its dependents, else SHIFT. It works for every *projective* tree (no
crossing arcs); others are reported and skipped.

The parser is a classifier from a configuration to the next move.
Features, as in the paper but fewer (24 instead of 48): the words and tags
of the top 3 of the stack and of the buffer, and the words, tags and arc
labels of the leftmost and rightmost children of s1 and s2. Each becomes an
embedding (words, tags and labels have tables of their own), the embeddings
are concatenated into one vector x, and

    h = relu(W1 x + b1)       (or the paper's cube: (W1 x + b1) ** 3)
    p = softmax(W2 h + b2)    over the moves that are legal here

Illegal moves are *left out* of the softmax, as causal attention leaves out
the future: their logits are never computed, their probability is exactly 0,
and greedy parsing (take the likeliest move, 2n times) always builds a tree.
Training minimises cross-entropy against the oracle's move, with Adam.

    >>> import random; random.seed(0)
    >>> from tinygrad_edu.datasets.treebank import Sentence
    >>> s = Sentence(["the", "cat", "sat"], ["DET", "NOUN", "VERB"], [2, 3, 0], ["det", "nsubj", "root"])
    >>> [str(move) for move in oracle(s)]
    ['SHIFT', 'SHIFT', 'LEFT-ARC(det)', 'SHIFT', 'LEFT-ARC(nsubj)', 'RIGHT-ARC(root)']
    >>> replay(s, oracle(s)) == s
    True
    >>> vocab = Vocabulary.from_sentences([s])
    >>> model = Parser(vocab, hidden=8)
    >>> model
    Parser(words=6, tags=6, labels=4, moves=7, hidden=8, relu)
      (word_embedding): Embedding(6, 8)
      (tag_embedding): Embedding(6, 4)
      (label_embedding): Embedding(4, 4)
      (hidden): Linear(in_features=136, out_features=8, bias=True)
      (output): Linear(in_features=8, out_features=7, bias=True)
    >>> config = Configuration(s)
    >>> [str(model.moves[i]) for i in model.legal_moves(config)]   # at the start only SHIFT is legal
    ['SHIFT']
    >>> model.probabilities(model.features(config), model.legal_moves(config))[0].data
    1.0
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..checks import check_fields, check_size, check_words, describe
from ..datasets.treebank import Sentence
from ..engine import Value
from ..functional import cross_entropy, softmax
from ..nn.embedding import Embedding
from ..nn.linear import Linear
from ..nn.module import Module
from ..recording import no_grad

__all__ = [
    "FEATURES",
    "Configuration",
    "Move",
    "ParseStep",
    "Parser",
    "Vocabulary",
    "attachment_scores",
    "baseline_uas",
    "batch_loss",
    "extract_features",
    "feature_positions",
    "moves_for",
    "oracle",
    "replay",
    "tag_words",
    "training_examples",
]

ROOT_LABEL = "root"
NULL, ROOT, UNK = "[NULL]", "[ROOT]", "[UNK]"  # no word there / the ROOT token / a word never seen
NULL_ID, ROOT_ID, UNK_ID = 0, 1, 2  # their ids, the first rows of the word and tag tables
SHIFT, LEFT_ARC, RIGHT_ARC = "SHIFT", "LEFT-ARC", "RIGHT-ARC"

# The 10 positions whose word and tag are features, then the 4 whose arc label is.
POSITIONS = ("s1", "s2", "s3", "b1", "b2", "b3", "lc1(s1)", "rc1(s1)", "lc1(s2)", "rc1(s2)")
LABELLED = POSITIONS[6:]
FEATURES = (
    [f"word {p}" for p in POSITIONS] + [f"tag {p}" for p in POSITIONS] + [f"label {p}" for p in LABELLED]
)


# --------------------------------------------------------------- transitions
@dataclass(frozen=True)
class Move:
    """SHIFT, or LEFT-ARC / RIGHT-ARC with a label."""

    kind: str
    label: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in (SHIFT, LEFT_ARC, RIGHT_ARC):
            raise ValueError(
                f"Move: kind must be {SHIFT!r}, {LEFT_ARC!r} or {RIGHT_ARC!r}, got {self.kind!r}"
            )
        if self.kind == SHIFT and self.label is not None:
            raise ValueError(f"Move: SHIFT draws no arc, so it takes no label; got {self.label!r}")
        if self.kind != SHIFT and (not isinstance(self.label, str) or not self.label):
            raise ValueError(f"Move: {self.kind} needs the arc's label (a str), got {self.label!r}")

    def __str__(self) -> str:
        return self.kind if self.label is None else f"{self.kind}({self.label})"


def moves_for(labels: Sequence[str]) -> list[Move]:
    """SHIFT, then LEFT-ARC and RIGHT-ARC for each label: the classifier's classes.

    >>> [str(m) for m in moves_for(["root", "det"])]
    ['SHIFT', 'LEFT-ARC(root)', 'LEFT-ARC(det)', 'RIGHT-ARC(root)', 'RIGHT-ARC(det)']
    """
    if isinstance(labels, str) or not isinstance(labels, Sequence) or ROOT_LABEL not in labels:
        raise ValueError(f"moves_for: expected a list of labels that includes {ROOT_LABEL!r}, got {labels!r}")
    return [Move(SHIFT)] + [Move(LEFT_ARC, lab) for lab in labels] + [Move(RIGHT_ARC, lab) for lab in labels]


class Configuration:
    """The parser's state: stack, buffer and the arcs drawn so far.

    Words are numbered 1..n as in the sentence; 0 is ROOT. `heads[i]` and
    `labels[i]` are word i's arc once drawn (None before).

        >>> s = Sentence(["dogs", "bark"], ["NOUN", "VERB"])
        >>> c = Configuration(s)
        >>> print(c)
        stack [ROOT] | buffer [dogs, bark]
        >>> c.apply(Move(SHIFT)); c.apply(Move(SHIFT))
        >>> c.apply(Move(LEFT_ARC, "nsubj"))   # the arc drawn: (head, dependent, label)
        (2, 1, 'nsubj')
        >>> print(c)
        stack [ROOT, bark] | buffer []
        >>> c.apply(Move(LEFT_ARC, "det"))
        Traceback (most recent call last):
        ...
        ValueError: LEFT-ARC(det) is not legal here: ROOT (s2) can never be a dependent
    """

    def __init__(self, sentence: Sentence) -> None:
        if not isinstance(sentence, Sentence):
            raise TypeError(f"Configuration: expected a Sentence, got {type(sentence).__name__}")
        n = len(sentence)
        self.sentence = sentence
        self.stack = [0]
        self.buffer = list(range(1, n + 1))
        self.heads: list[int | None] = [None] * (n + 1)  # index 0 (ROOT) unused
        self.labels: list[str | None] = [None] * (n + 1)
        self.left_children: list[list[int]] = [[] for _ in range(n + 1)]  # kept in word order
        self.right_children: list[list[int]] = [[] for _ in range(n + 1)]

    def is_terminal(self) -> bool:
        return not self.buffer and self.stack == [0]

    def why_illegal(self, move: Move) -> str | None:
        """None if `move` is legal here, else the precondition it breaks."""
        if move.kind == SHIFT:
            return None if self.buffer else "the buffer is empty"
        if len(self.stack) < 2:
            return "it needs two words on the stack"
        s2 = self.stack[-2]
        if move.kind == LEFT_ARC:
            if s2 == 0:
                return "ROOT (s2) can never be a dependent"
            return f"the label {ROOT_LABEL!r} is only for ROOT's arc" if move.label == ROOT_LABEL else None
        if move.kind == RIGHT_ARC:
            if s2 != 0:
                return (
                    f"the label {ROOT_LABEL!r} is only for ROOT's arc" if move.label == ROOT_LABEL else None
                )
            if self.buffer:
                return "ROOT takes its dependent last, when the buffer is empty"
            return None if move.label == ROOT_LABEL else f"ROOT's arc is labelled {ROOT_LABEL!r}"
        raise ValueError(f"Configuration: unknown move {move!r}")

    def apply(self, move: Move) -> tuple[int, int, str] | None:
        """Make `move`; return the arc it drew as (head, dependent, label), or None for SHIFT."""
        if not isinstance(move, Move):
            raise TypeError(f"Configuration.apply: expected a Move, got {type(move).__name__}")
        reason = self.why_illegal(move)
        if reason:
            raise ValueError(f"{move} is not legal here: {reason}")
        if move.kind == SHIFT:
            self.stack.append(self.buffer.pop(0))
            return None
        s1 = self.stack.pop()
        s2 = self.stack.pop()
        head, dependent = (s1, s2) if move.kind == LEFT_ARC else (s2, s1)
        self.stack.append(head)
        self.heads[dependent] = head
        self.labels[dependent] = move.label
        children = self.left_children[head] if dependent < head else self.right_children[head]
        children.append(dependent)
        children.sort()
        return head, dependent, move.label

    def word(self, i: int) -> str:
        """Word number i's form ('ROOT' for 0)."""
        return "ROOT" if i == 0 else self.sentence.words[i - 1]

    def __str__(self) -> str:
        stack = ", ".join(self.word(i) for i in self.stack)
        buffer = ", ".join(self.word(i) for i in self.buffer)
        return f"stack [{stack}] | buffer [{buffer}]"


def oracle(sentence: Sentence) -> list[Move]:
    """The moves that build `sentence`'s gold tree (the static arc-standard oracle).

    Raises ValueError for a sentence without a tree or with a non-projective
    one (crossing arcs): no sequence of arc-standard moves builds it."""
    if not isinstance(sentence, Sentence):
        raise TypeError(f"oracle: expected a Sentence, got {type(sentence).__name__}")
    if sentence.heads is None:
        raise ValueError(f"oracle: {str(sentence)!r} has no gold tree (heads and labels)")
    if not sentence.is_projective():
        raise ValueError(f"oracle: the tree of {str(sentence)!r} is not projective (its arcs cross)")
    gold = [None, *sentence.heads]
    missing = Counter(sentence.heads)  # dependents each word still has to collect
    config, moves = Configuration(sentence), []
    while not config.is_terminal():
        move = Move(SHIFT)
        if len(config.stack) >= 2:
            s1, s2 = config.stack[-1], config.stack[-2]
            if s2 != 0 and gold[s2] == s1:
                move = Move(LEFT_ARC, sentence.labels[s2 - 1])
            elif gold[s1] == s2 and missing[s1] == 0:
                move = Move(RIGHT_ARC, sentence.labels[s1 - 1])
        arc = config.apply(move)
        if arc:
            missing[arc[0]] -= 1
        moves.append(move)
    return moves


def replay(sentence: Sentence, moves: Sequence[Move]) -> Sentence:
    """The tree that `moves` build over `sentence`'s words and tags."""
    config = Configuration(sentence)
    for move in moves:
        config.apply(move)
    if not config.is_terminal():
        raise ValueError(f"replay: {len(moves)} moves leave {config}; a tree needs {2 * len(sentence)}")
    return Sentence(list(sentence.words), list(sentence.tags), config.heads[1:], config.labels[1:])


# -------------------------------------------------------------- vocabularies
class Vocabulary:
    """The ids of words, tags and labels, and a lexicon word -> its usual tag.

    Words and tags start with three special entries: [NULL] (no word at that
    position), [ROOT] and [UNK] (a word not seen in training); labels with
    [NULL] only.
    """

    def __init__(
        self, words: Sequence[str], tags: Sequence[str], labels: Sequence[str], lexicon=None
    ) -> None:
        for name, xs in (("words", words), ("tags", tags), ("labels", labels)):
            if isinstance(xs, str) or not isinstance(xs, Sequence) or not all(isinstance(x, str) for x in xs):
                raise TypeError(f"Vocabulary: {name} must be a list of str, got {xs!r:.60}")
        if ROOT_LABEL not in labels:
            raise ValueError(f"Vocabulary: labels must include {ROOT_LABEL!r}, got {list(labels)}")
        specials = [NULL, ROOT, UNK]
        self.words = specials + [w for w in words if w not in specials]
        self.tags = specials + [t for t in tags if t not in specials]
        self.labels = [NULL] + [lab for lab in labels if lab != NULL]
        self.lexicon: dict[str, str] = dict(lexicon or {})
        self.word_ids = {w: i for i, w in enumerate(self.words)}
        self.tag_ids = {t: i for i, t in enumerate(self.tags)}
        self.label_ids = {lab: i for i, lab in enumerate(self.labels)}

    @classmethod
    def from_sentences(cls, sentences: Sequence[Sentence]) -> Vocabulary:
        """Every word, tag and label of `sentences` (in order of first use),
        and each word's most frequent tag."""
        if isinstance(sentences, Sentence) or not isinstance(sentences, Sequence):
            raise TypeError(
                f"Vocabulary.from_sentences: expected a list of Sentence, got {type(sentences).__name__}"
            )
        tag_counts: dict[str, Counter] = {}
        labels = [ROOT_LABEL]
        for k, s in enumerate(sentences):
            if not isinstance(s, Sentence) or s.labels is None:
                raise TypeError(
                    f"Vocabulary.from_sentences: entry {k} is not a Sentence with a tree: {s!r:.60}"
                )
            for word, tag in zip(s.words, s.tags):
                tag_counts.setdefault(word, Counter())[tag] += 1
            for label in s.labels:
                if label not in labels:
                    labels.append(label)
        tags = list(dict.fromkeys(t for counts in tag_counts.values() for t in counts))
        lexicon = {w: counts.most_common(1)[0][0] for w, counts in tag_counts.items()}
        return cls(list(tag_counts), tags, labels, lexicon)

    def to_dict(self) -> dict:
        """Plain lists, for JSON (see `from_dict`)."""
        return {"words": self.words, "tags": self.tags, "labels": self.labels, "lexicon": self.lexicon}

    @classmethod
    def from_dict(cls, d: dict) -> Vocabulary:
        """The vocabulary `to_dict` described; a ValueError naming the entry
        if it is not one (a repeated or empty word, a word mapped to a
        number, a lexicon tag that is not among the tags)."""
        where = "Vocabulary.from_dict"
        check_fields(d, where, ("words", "tags", "labels", "lexicon"))
        words, tags, labels = (check_words(d[name], where, name) for name in ("words", "tags", "labels"))
        for name, xs, first in (
            ("words", words, [NULL, ROOT, UNK]),
            ("tags", tags, [NULL, ROOT, UNK]),
            ("labels", labels, [NULL]),
        ):
            if xs[: len(first)] != first:  # to_dict writes them first: the ids the features rely on
                raise ValueError(f"{where}: {name} must start with {first}, got {xs[: len(first)]}")
        lexicon = d["lexicon"]
        if not isinstance(lexicon, dict):
            raise ValueError(f"{where}: lexicon must map words to tags, got a {type(lexicon).__name__}")
        known = set(tags)
        for word, tag in lexicon.items():
            if not word or not isinstance(tag, str) or tag not in known:
                raise ValueError(
                    f"{where}: lexicon entry {word!r:.40}: {tag!r:.40} is not a word and one of the tags"
                )
        try:
            return cls(words, tags, labels, lexicon)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{where}: {error}") from None

    def __repr__(self) -> str:
        return f"Vocabulary({len(self.words)} words, {len(self.tags)} tags, {len(self.labels)} labels)"


# Tags for words not in the lexicon, by their ending (first match), else NOUN.
UNKNOWN_TAG_RULES = (("ly", "ADV"), ("ed", "VERB"))


def tag_words(words: Sequence[str], vocab: Vocabulary) -> tuple[list[str], list[str]]:
    """(tags, unknown words): each word's usual tag from the treebank's
    lexicon; a word not in it gets a guess from its ending (-ly ADV, -ed VERB,
    else NOUN) and is listed as unknown.

        >>> vocab = Vocabulary(["cat", "sat"], ["NOUN", "VERB"], ["root"], {"cat": "NOUN", "sat": "VERB"})
        >>> tag_words(["the", "cat", "purred"], vocab)
        (['NOUN', 'NOUN', 'VERB'], ['the', 'purred'])
    """
    if isinstance(words, str) or not isinstance(words, Sequence):
        raise TypeError(f"tag_words: expected a list of words (str.split() them), got {type(words).__name__}")
    tags, unknown = [], []
    for word in words:
        if not isinstance(word, str):
            raise TypeError(f"tag_words: expected words (str), got {word!r}")
        if word in vocab.lexicon:
            tags.append(vocab.lexicon[word])
            continue
        unknown.append(word)
        tags.append(next((tag for end, tag in UNKNOWN_TAG_RULES if word.endswith(end)), "NOUN"))
    return tags, unknown


# ------------------------------------------------------------------ features
def feature_positions(config: Configuration) -> list[int | None]:
    """The word number at each of the 10 POSITIONS (0 = ROOT, None = nothing there)."""
    if not isinstance(config, Configuration):
        raise TypeError(f"feature_positions: expected a Configuration, got {type(config).__name__}")
    stack, buffer = config.stack, config.buffer
    s = [stack[-k] if len(stack) >= k else None for k in (1, 2, 3)]
    b = [buffer[k] if len(buffer) > k else None for k in (0, 1, 2)]
    children = []
    for top in s[:2]:
        left = config.left_children[top] if top is not None else []
        right = config.right_children[top] if top is not None else []
        children += [left[0] if left else None, right[-1] if right else None]
    return s + b + children


def extract_features(config: Configuration, vocab: Vocabulary) -> list[int]:
    """The 24 ids of FEATURES: 10 word ids, 10 tag ids, 4 label ids."""
    if not isinstance(vocab, Vocabulary):
        raise TypeError(f"extract_features: expected a Vocabulary, got {type(vocab).__name__}")
    positions = feature_positions(config)
    sentence = config.sentence
    words, tags = [], []
    for p in positions:
        if p is None:
            words.append(NULL_ID)
            tags.append(NULL_ID)
        elif p == 0:
            words.append(ROOT_ID)
            tags.append(ROOT_ID)
        else:
            words.append(vocab.word_ids.get(sentence.words[p - 1], UNK_ID))
            tags.append(vocab.tag_ids.get(sentence.tags[p - 1], UNK_ID))
    # A child's arc label (labels have no ROOT or UNK: id 0 is [NULL], no child there).
    labels = [NULL_ID if p is None else vocab.label_ids.get(config.labels[p], NULL_ID) for p in positions[6:]]
    return words + tags + labels


# --------------------------------------------------------------------- model
@dataclass
class ParseStep:
    """One move of a parse, for printing: the configuration before it, the
    move, its probability, the arc it drew (head word, dependent word, label)."""

    stack: list[str]
    buffer: list[str]
    move: Move
    probability: float
    arc: tuple[str, str, str] | None


class Parser(Module):
    """Chen & Manning's feed-forward parser: features -> embeddings -> one
    hidden layer -> a softmax over the legal moves.

    ``state_dict`` names: word_embedding.weight (words, word_dim),
    tag_embedding.weight, label_embedding.weight, hidden.weight
    (hidden, 10 word_dim + 10 tag_dim + 4 label_dim), hidden.bias,
    output.weight (moves, hidden), output.bias.
    """

    ACTIVATIONS = ("relu", "cube")

    def __init__(
        self,
        vocab: Vocabulary,
        word_dim: int = 8,
        tag_dim: int = 4,
        label_dim: int = 4,
        hidden: int = 32,
        activation: str = "relu",
    ) -> None:
        if not isinstance(vocab, Vocabulary):
            raise TypeError(f"Parser: expected a Vocabulary, got {type(vocab).__name__}")
        for name, size in (
            ("word_dim", word_dim),
            ("tag_dim", tag_dim),
            ("label_dim", label_dim),
            ("hidden", hidden),
        ):
            check_size(size, "Parser", name)
        if activation not in self.ACTIVATIONS:
            raise ValueError(f"Parser: activation must be one of {self.ACTIVATIONS}, got {activation!r}")
        self._vocab = vocab  # '_': not a parameter
        self._moves = moves_for(vocab.labels[1:])
        self.word_embedding = Embedding(len(vocab.words), word_dim)
        self.tag_embedding = Embedding(len(vocab.tags), tag_dim)
        self.label_embedding = Embedding(len(vocab.labels), label_dim)
        n_in = len(POSITIONS) * (word_dim + tag_dim) + len(LABELLED) * label_dim
        self.hidden = Linear(n_in, hidden)
        self.output = Linear(hidden, len(self._moves))
        self.activation = activation
        self._config = {
            "word_dim": word_dim,
            "tag_dim": tag_dim,
            "label_dim": label_dim,
            "hidden": hidden,
            "activation": activation,
        }

    def config(self) -> dict:
        """The constructor's keyword arguments after the vocabulary, as a dict:
        ``Parser(model.vocab, **model.config())`` builds the same architecture."""
        return dict(self._config)

    @property
    def vocab(self) -> Vocabulary:
        return self._vocab

    @property
    def moves(self) -> list[Move]:
        return self._moves

    def features(self, config: Configuration) -> list[int]:
        """`extract_features` with this parser's vocabulary."""
        return extract_features(config, self._vocab)

    def legal_moves(self, config: Configuration) -> list[int]:
        """The indices (into `moves`) of the moves legal in `config`."""
        return [i for i, move in enumerate(self._moves) if config.why_illegal(move) is None]

    def __call__(self, features: Sequence[int], legal: Sequence[int] | None = None) -> list[Value]:
        """The logits of the moves in `legal` (all moves if None), in that order."""
        _check_features(features, self)
        legal = range(len(self._moves)) if legal is None else legal
        _check_legal(legal, len(self._moves), self)
        n = len(POSITIONS)
        words = self.word_embedding(features[:n])  # (10, word_dim)
        tags = self.tag_embedding(features[n : 2 * n])  # (10, tag_dim)
        labels = self.label_embedding(features[2 * n :])  # (4, label_dim)
        x = [v for rows in (words, tags, labels) for row in rows for v in row]  # (n_in,): concatenated
        z = self.hidden(x)  # (hidden,)
        h = [zi.relu() for zi in z] if self.activation == "relu" else [zi**3 for zi in z]  # (hidden,)
        # Only the legal moves' rows of the output layer: an illegal move has
        # no logit at all, so the softmax over these is the masked softmax.
        out = self.output
        return Value.linear([out.weight[i] for i in legal], h, [out.bias[i] for i in legal])  # (legal,)

    def probabilities(self, features: Sequence[int], legal: Sequence[int]) -> list[Value]:
        """softmax over the legal moves (in the order of `legal`)."""
        return softmax(self(features, legal))

    def loss(self, features: Sequence[int], legal: Sequence[int], gold: int) -> Value:
        """Cross-entropy of the oracle's move `gold` (an index into `moves`, one of `legal`)."""
        if gold not in legal:
            raise ValueError(
                f"{describe(self)}.loss: the gold move {gold!r} is not among the legal ones {list(legal)}"
            )
        return cross_entropy(self(features, legal), list(legal).index(gold))

    def parse_steps(self, sentence: Sentence) -> Iterator[ParseStep]:
        """Parse greedily (the likeliest legal move, 2n times), yielding each step."""
        yield from self._greedy(self._start(sentence))

    def parse(self, sentence: Sentence) -> Sentence:
        """A copy of `sentence` with the predicted heads and labels."""
        config = self._start(sentence)
        for _ in self._greedy(config):
            pass
        return Sentence(list(sentence.words), list(sentence.tags), config.heads[1:], config.labels[1:])

    def _start(self, sentence: Sentence) -> Configuration:
        if not isinstance(sentence, Sentence):
            raise TypeError(f"{describe(self)}.parse: expected a Sentence, got {type(sentence).__name__}")
        if len(sentence) == 0:
            raise ValueError(f"{describe(self)}.parse: the sentence has no words")
        return Configuration(sentence)

    def _greedy(self, config: Configuration) -> Iterator[ParseStep]:
        while not config.is_terminal():
            legal = self.legal_moves(config)
            with no_grad():
                probs = [p.data for p in self.probabilities(self.features(config), legal)]
            best = max(range(len(legal)), key=probs.__getitem__)
            move = self._moves[legal[best]]
            stack = [config.word(i) for i in config.stack]
            buffer = [config.word(i) for i in config.buffer]
            arc = config.apply(move)
            shown = None if arc is None else (config.word(arc[0]), config.word(arc[1]), arc[2])
            yield ParseStep(stack, buffer, move, probs[best], shown)

    def extra_repr(self) -> str:
        v = self._vocab
        return (
            f"words={len(v.words)}, tags={len(v.tags)}, labels={len(v.labels)}, moves={len(self._moves)}, "
            f"hidden={self.hidden.out_features}, {self.activation}"
        )


def _check_features(features: Sequence[int], model: Parser) -> None:
    if (
        isinstance(features, (str, bytes))
        or not isinstance(features, Sequence)
        or len(features) != len(FEATURES)
    ):
        raise ValueError(
            f"{describe(model)}: expected the {len(FEATURES)} feature ids of extract_features, got {features!r:.60}"
        )


def _check_legal(legal: Sequence[int], n_moves: int, model: Parser) -> None:
    if isinstance(legal, (str, bytes)) or not isinstance(legal, Sequence) or not legal:
        raise ValueError(
            f"{describe(model)}: expected a non-empty list of legal move indices, got {legal!r:.60}"
        )
    for i in legal:
        if type(i) is not int or not 0 <= i < n_moves:
            raise ValueError(f"{describe(model)}: legal move {i!r} is not a move index 0..{n_moves - 1}")


# ------------------------------------------------------------------ training
def training_examples(
    model: Parser, sentences: Sequence[Sentence], unk_rate: float = 0.0, rng: random.Random | None = None
) -> tuple[list[tuple[list[int], list[int], int]], list[int]]:
    """(examples, skipped): one (features, legal, gold) per oracle move of
    every sentence, and the indices of the sentences skipped because their
    trees are not projective.

    With `unk_rate`, each word feature is replaced by [UNK] with that
    probability (fixed when the examples are made), so the [UNK] embedding
    learns what an unseen word should look like."""
    if isinstance(sentences, Sentence) or not isinstance(sentences, Sequence):
        raise TypeError(f"training_examples: expected a list of Sentence, got {type(sentences).__name__}")
    if isinstance(unk_rate, bool) or not isinstance(unk_rate, (int, float)) or not 0.0 <= unk_rate < 1.0:
        raise ValueError(f"training_examples: unk_rate must be in [0, 1), got {unk_rate!r}")
    rng = rng or random.Random(0)
    index = {move: i for i, move in enumerate(model.moves)}
    examples, skipped = [], []
    for k, sentence in enumerate(sentences):
        try:
            moves = oracle(sentence)
        except ValueError:
            if not isinstance(sentence, Sentence) or sentence.heads is None or sentence.is_projective():
                raise
            skipped.append(k)
            continue
        config = Configuration(sentence)
        for move in moves:
            features = model.features(config)
            for i in range(len(POSITIONS)):
                if features[i] > UNK_ID and rng.random() < unk_rate:  # a real word, not NULL/ROOT/UNK
                    features[i] = UNK_ID
            if move not in index:
                raise ValueError(
                    f"training_examples: sentence {k} uses {move}, a label the parser has no move for"
                )
            examples.append((features, model.legal_moves(config), index[move]))
            config.apply(move)
    return examples, skipped


def batch_loss(model: Parser, batch: Sequence[tuple[list[int], list[int], int]]) -> Value:
    """The mean cross-entropy over a batch of training examples."""
    if not batch:
        raise ValueError("batch_loss: the batch is empty")
    return Value.sum([model.loss(f, legal, gold) for f, legal, gold in batch]) * (1.0 / len(batch))


# ---------------------------------------------------------------- evaluation
def attachment_scores(gold: Sequence[Sentence], predicted: Sequence[Sentence]) -> tuple[float, float]:
    """(UAS, LAS): the fraction of words given the right head, and the right
    head with the right label, over all words of all sentences.

        >>> g = Sentence(["a", "b", "c"], ["X"] * 3, [2, 0, 2], ["det", "root", "obj"])
        >>> p = Sentence(["a", "b", "c"], ["X"] * 3, [2, 0, 1], ["amod", "root", "obj"])
        >>> attachment_scores([g], [p])    # heads right: a, b; heads and labels right: b
        (0.6666666666666666, 0.3333333333333333)
    """
    for name, xs in (("gold", gold), ("predicted", predicted)):
        if isinstance(xs, Sentence) or not isinstance(xs, Sequence):
            raise TypeError(f"attachment_scores: {name} must be a list of Sentence, got {type(xs).__name__}")
    if len(gold) != len(predicted):
        raise ValueError(f"attachment_scores: {len(gold)} gold sentences but {len(predicted)} predicted")
    words = heads = both = 0
    for k, (g, p) in enumerate(zip(gold, predicted)):
        if not (isinstance(g, Sentence) and isinstance(p, Sentence)) or g.heads is None or p.heads is None:
            raise ValueError(f"attachment_scores: sentence {k} needs a tree on both sides")
        if g.words != p.words:
            raise ValueError(f"attachment_scores: sentence {k} differs: {str(g)!r} vs {str(p)!r}")
        for gh, gl, ph, pl in zip(g.heads, g.labels, p.heads, p.labels):
            words += 1
            heads += gh == ph
            both += gh == ph and gl == pl
    if not words:
        raise ValueError("attachment_scores: no words to score")
    return heads / words, both / words


def baseline_uas(sentences: Sequence[Sentence]) -> tuple[float, str]:
    """(UAS, side) of the better of two parsers that need no learning: every
    word's head is the next word ("next"; the last word's is ROOT) or the
    previous one ("previous"; the first word's is ROOT).

        >>> baseline_uas([Sentence(["a", "b", "c"], ["X"] * 3, [2, 3, 0], ["det", "nsubj", "root"])])
        (1.0, 'next')
    """
    if isinstance(sentences, Sentence) or not isinstance(sentences, Sequence):
        raise TypeError(f"baseline_uas: expected a list of Sentence, got {type(sentences).__name__}")
    for k, s in enumerate(sentences):
        if not isinstance(s, Sentence) or s.heads is None:
            raise TypeError(f"baseline_uas: entry {k} is not a Sentence with a tree: {s!r:.60}")
    scores = {}
    for side, step in (("next", 1), ("previous", -1)):
        predicted = []
        for s in sentences:
            n = len(s)
            heads = [i + step if 1 <= i + step <= n else 0 for i in range(1, n + 1)]
            predicted.append(Sentence(list(s.words), list(s.tags), heads, ["dep"] * n))
        scores[side] = attachment_scores(sentences, predicted)[0]
    side = max(scores, key=scores.get)
    return scores[side], side
