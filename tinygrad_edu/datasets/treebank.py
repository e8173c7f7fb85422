"""Dependency trees: a sentence type, CoNLL-U files, and a generated treebank.

A dependency tree gives every word one *head* (the word it modifies; 0 is
an artificial ROOT) and a *label* saying how it modifies it:

    the   cat   sat   on    the   mat
    det   nsubj root  prep  det   pobj      <- labels
    2     3     0     3     6     4         <- heads (word numbers, 1-based)

No freely usable treebank can be shipped here, so `generate_treebank` makes
one from a small English grammar with explicit head rules (the grammar and
the labels are below), seeded. `load_handwritten` reads a dozen sentences
written by hand, a second small test set, from the package's
``handwritten.conllu`` beside this file.

    >>> bank = generate_treebank(3, seed=0)
    >>> for sentence in bank: print(sentence)
    every bird walked on a garden
    a dog ate this young song with the tail behind every happy table
    they slept in this clever garden of this tall town

Files: CoNLL-U, the Universal Dependencies format. One word per line, ten
tab-separated columns; a blank line ends a sentence; ``#`` lines are
comments. Of the ten columns this module reads and writes ID, FORM, UPOS,
HEAD and DEPREL; the others are written as ``_`` and ignored on reading
(multi-word token lines ``1-2`` and empty nodes ``1.1`` are skipped). A
mistake is an error naming the line:

    >>> parse_conllu("1\\tcat\\t_\\tNOUN\\t_\\t_\\tzero\\tnsubj\\t_\\t_\\n", source="cats.conllu")
    Traceback (most recent call last):
    ...
    ValueError: cats.conllu, line 1: HEAD must be a word number (0 for the root) or _, got 'zero'

The grammar
-----------
Labels are those of Stanford Dependencies (what Chen & Manning trained on),
where a preposition heads its phrase:

=========  ==============================================================
root       the main verb, attached to ROOT (0)
nsubj      the subject (its head noun or pronoun) -> the verb
obj        the object -> a transitive verb
det        a determiner (the, a, this, every) -> its noun
amod       an adjective -> its noun
prep       a preposition -> the verb or the noun its phrase modifies
pobj       the noun inside a prepositional phrase -> the preposition
advmod     an adverb -> the verb
=========  ==============================================================

::

    S     -> NP[subject] (ADV) VERB[intransitive] PP* (ADV)
           | NP[subject] (ADV) VERB[transitive] NP[object] PP* (ADV)
    NP    -> DET ADJ* NOUN (PP[noun]) | PROPN | PRON
    PP    -> ADP NP

Where a prepositional phrase attaches is the ambiguity that makes parsing
hard ("saw the man with a telescope"). Here it follows from the words, so a
parser can learn it, but only by looking at the noun *inside* the phrase:

* ``of`` + anything, and ``with`` + something one has (hat, beard, ...)
  attach to the noun just before them: "the man with a hat";
* ``with`` + an instrument (telescope, fork, ...), and a place preposition
  (in, on, near, under, behind) + a place, attach to the verb: "ate the cake
  with a fork", "sat on the mat";
* in the subject, before any verb, every phrase attaches to the noun.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..nn.module import write_atomically

__all__ = [
    "LABELS",
    "Sentence",
    "format_conllu",
    "generate_treebank",
    "load_handwritten",
    "parse_conllu",
    "read_conllu",
    "split_treebank",
    "write_conllu",
]

LABELS = ("root", "nsubj", "obj", "det", "amod", "prep", "pobj", "advmod")


@dataclass
class Sentence:
    """Words, their part-of-speech tags, and (if parsed) a head and a label per word.

    ``heads[i]`` is the head of word i + 1 (words are numbered from 1; 0 is
    ROOT), ``labels[i]`` its label. A sentence to be parsed has
    ``heads = labels = None``.

        >>> s = Sentence(["dogs", "bark"], ["NOUN", "VERB"], [2, 0], ["nsubj", "root"])
        >>> s.arcs()   # (head, dependent, label)
        [(2, 1, 'nsubj'), (0, 2, 'root')]
    """

    words: list[str]
    tags: list[str]
    heads: list[int] | None = None
    labels: list[str] | None = None

    def __post_init__(self) -> None:
        for name in ("words", "tags"):
            _check_strings(getattr(self, name), name)
        if len(self.words) != len(self.tags):
            raise ValueError(f"Sentence: {len(self.words)} words but {len(self.tags)} tags")
        if (self.heads is None) != (self.labels is None):
            raise ValueError("Sentence: give both heads and labels, or neither")
        if self.heads is not None:
            self.heads, self.labels = list(self.heads), list(self.labels)
            _check_strings(self.labels, "labels")
            if len(self.heads) != len(self.words) or len(self.labels) != len(self.words):
                raise ValueError(
                    f"Sentence: {len(self.words)} words but {len(self.heads)} heads and {len(self.labels)} labels"
                )
            n = len(self.words)
            for i, head in enumerate(self.heads, start=1):
                if type(head) is not int or not 0 <= head <= n or head == i:
                    raise ValueError(
                        f"Sentence: the head of word {i} must be a word number 0..{n} other than {i}, got {head!r}"
                    )

    def __len__(self) -> int:
        return len(self.words)

    def __str__(self) -> str:
        return " ".join(self.words)

    def arcs(self) -> list[tuple[int, int, str]]:
        """Every arc as (head, dependent, label), in word order of the dependent."""
        if self.heads is None:
            return []
        return [(h, d, lab) for d, (h, lab) in enumerate(zip(self.heads, self.labels), start=1)]

    def is_projective(self) -> bool:
        """True when no two arcs cross (drawn above the words): the trees a
        stack-based parser like arc-standard can build.

            >>> Sentence(list("abcd"), ["X"] * 4, [3, 4, 0, 3], ["l"] * 4).is_projective()
            False
        """
        arcs = [(min(h, d), max(h, d)) for h, d, _ in self.arcs()]
        return not any(a < c < b < e for a, b in arcs for c, e in arcs)


def _check_strings(xs: Sequence[str], name: str) -> None:
    if isinstance(xs, (str, bytes)) or not isinstance(xs, Sequence):
        raise TypeError(f"Sentence: {name} must be a list of str, got {type(xs).__name__}")
    for i, x in enumerate(xs):
        if not isinstance(x, str) or not x or any(c.isspace() for c in x):
            raise ValueError(f"Sentence: {name}[{i}] must be a non-empty str without spaces, got {x!r}")


# ------------------------------------------------------------------- CoNLL-U
def parse_conllu(text: str, source: str = "<text>") -> list[Sentence]:
    """The sentences of CoNLL-U `text`; errors say ``source, line N: ...``.

    Lines end at a newline ("\\n" or "\\r\\n") only, as CoNLL-U says, so the
    line numbers are an editor's: a form feed, U+0085 or U+2028 inside a
    field is an error about that field on its own line, not a line break.
    A byte-order mark at the start is skipped."""
    if not isinstance(text, str):
        raise TypeError(f"parse_conllu: expected the file's text (a str), got {type(text).__name__}")
    sentences: list[Sentence] = []
    rows: list[tuple[int, list[str]]] = []  # (line number, columns) of the sentence being read
    lines = text.removeprefix("\ufeff").split("\n")
    for number, line in enumerate([*lines, ""], start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            if rows:
                sentences.append(_sentence(rows, source))
                rows = []
            continue
        if line.startswith("#"):
            continue
        columns = line.split("\t") if "\t" in line else line.split()
        if len(columns) != 10:
            _fail(source, number, f"expected 10 tab-separated columns, got {len(columns)}: {line!r:.60}")
        if "-" in columns[0] or "." in columns[0]:  # a multi-word token or an empty node: not a tree word
            continue
        rows.append((number, columns))
    return sentences


def _sentence(rows: list[tuple[int, list[str]]], source: str) -> Sentence:
    words, tags, heads, labels = [], [], [], []
    n = len(rows)
    for expected, (number, columns) in enumerate(rows, start=1):
        word_id, form, _lemma, upos, _xpos, _feats, head, deprel = columns[:8]
        if word_id != str(expected):
            _fail(source, number, f"ID must be {expected} (words are numbered 1, 2, ...), got {word_id!r}")
        for name, value in (("FORM", form), ("UPOS", upos), ("DEPREL", deprel)):
            if not value or (value == "_" and name != "DEPREL"):
                _fail(source, number, f"{name} is empty; every word needs one")
            if any(c.isspace() for c in value):
                _fail(
                    source, number, f"{name} {value!r:.60} holds a space or a line break; a field holds none"
                )
        if head == "_":
            heads.append(None)
        elif not (head.isascii() and head.isdigit()):  # '²'.isdigit() is True, and int() refuses it
            _fail(source, number, f"HEAD must be a word number (0 for the root) or _, got {head!r:.60}")
        elif len(head) > len(str(n)) or int(head) > n or int(head) == expected:  # 5,000 digits: never int()
            _fail(
                source,
                number,
                f"HEAD {head:.20}{'...' if len(head) > 20 else ''} is not a word of this sentence of {n} words "
                "(or is the word itself)",
            )
        else:
            heads.append(int(head))
        if (head == "_") != (deprel == "_"):
            _fail(source, number, f"HEAD {head!r:.60} and DEPREL {deprel!r:.60}: give both or neither")
        words.append(form)
        tags.append(upos)
        labels.append(deprel)
    first = rows[0][0]
    if all(h is None for h in heads):
        return Sentence(words, tags)
    if any(h is None for h in heads):
        _fail(source, first, "the sentence starting here has HEAD _ on some words but not all")
    _check_tree(heads, source, first)
    return Sentence(words, tags, heads, labels)


def _check_tree(heads: list[int], source: str, line: int) -> None:
    """Exactly one word on ROOT, and every word reaches it (no cycles).

    Each word is walked up only until a word already known to reach ROOT,
    so every word is visited once: linear in the sentence's length (a chain
    of 16,000 words took 14 s when each walk went all the way up)."""
    roots = [i for i, h in enumerate(heads, start=1) if h == 0]
    if len(roots) != 1:
        _fail(source, line, f"the sentence starting here has {len(roots)} words with HEAD 0; a tree has one")
    reaches_root = [False] * (len(heads) + 1)
    reaches_root[0] = True
    for start in range(1, len(heads) + 1):
        path, on_path, word = [], set(), start
        while not reaches_root[word]:
            if word in on_path:
                _fail(source, line, f"the sentence starting here has a cycle of heads through word {word}")
            path.append(word)
            on_path.add(word)
            word = heads[word - 1]
        for word in path:
            reaches_root[word] = True


def _fail(source: str, line: int, message: str) -> None:
    raise ValueError(f"{source}, line {line}: {message}")


def read_conllu(path: str | Path) -> list[Sentence]:
    """The sentences of a CoNLL-U file, or of a gzipped one (``.gz``).

    Bytes that are not UTF-8 are an error naming the file and the line."""
    path = Path(path)
    data = path.read_bytes()  # FileNotFoundError names the path
    if path.suffix == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as error:  # not gzip, or cut short
            raise ValueError(f"{path}: not a whole gzip file ({error})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ValueError(
            f"{path}, line {line}: byte {data[error.start]:#04x} is not UTF-8; CoNLL-U files are UTF-8"
        ) from None
    return parse_conllu(text, source=str(path))


def format_conllu(sentences: Sequence[Sentence]) -> str:
    """CoNLL-U text for `sentences`: ID, FORM, UPOS, HEAD, DEPREL filled in, ``_`` elsewhere.

    >>> print(format_conllu([Sentence(["dogs", "bark"], ["NOUN", "VERB"], [2, 0], ["nsubj", "root"])]))
    # text = dogs bark
    1	dogs	_	NOUN	_	_	2	nsubj	_	_
    2	bark	_	VERB	_	_	0	root	_	_
    <BLANKLINE>
    """
    if isinstance(sentences, Sentence) or not isinstance(sentences, Sequence):
        raise TypeError(f"format_conllu: expected a list of Sentence, got {type(sentences).__name__}")
    blocks = []
    for k, s in enumerate(sentences):
        if not isinstance(s, Sentence):
            raise TypeError(f"format_conllu: entry {k} is a {type(s).__name__}, not a Sentence")
        lines = [f"# text = {s}"]
        for i, (word, tag) in enumerate(zip(s.words, s.tags), start=1):
            head = "_" if s.heads is None else str(s.heads[i - 1])
            label = "_" if s.labels is None else s.labels[i - 1]
            lines.append("\t".join([str(i), word, "_", tag, "_", "_", head, label, "_", "_"]))
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def write_conllu(sentences: Sequence[Sentence], path: str | Path) -> Path:
    """Write `sentences` to a CoNLL-U file, atomically; returns the path."""
    text = format_conllu(sentences)
    path = Path(path)
    write_atomically(path, text, f"write_conllu({str(path)!r})")
    return path


def load_handwritten() -> list[Sentence]:
    """The hand-written test sentences shipped in ``handwritten.conllu`` beside this file."""
    name = "handwritten.conllu"
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return parse_conllu(text, source=name)


# --------------------------------------------------------------- the grammar
DETERMINERS = ("the", "a", "this", "every")
ADJECTIVES = ("big", "small", "old", "young", "red", "happy", "lazy", "clever", "tall", "quiet")
PEOPLE = ("cat", "dog", "man", "woman", "boy", "girl", "king", "teacher", "bird", "farmer")
THINGS = ("ball", "book", "apple", "cake", "letter", "box", "picture", "song")
INSTRUMENTS = ("telescope", "fork", "stick", "spoon", "hammer", "brush")  # with + these -> the verb
FEATURES = ("hat", "beard", "scarf", "tail", "collar", "basket")  # with + these -> the noun
PLACES = ("park", "garden", "mat", "table", "river", "house", "kitchen", "hill")
OWNERS = ("village", "castle", "school", "town")  # of + these (or people) -> the noun
NAMES = ("alice", "bob", "maria", "sam")
SUBJECT_PRONOUNS = ("she", "he", "they")
OBJECT_PRONOUNS = ("her", "him", "them")
TRANSITIVE = ("saw", "ate", "chased", "found", "liked", "held", "painted", "watched", "took")
INTRANSITIVE = ("sat", "slept", "ran", "walked", "laughed", "waited")
PLACE_PREPOSITIONS = ("in", "on", "near", "under", "behind")
ADVERBS = ("quickly", "slowly", "happily", "yesterday", "often")


class _Tree:
    """A sentence under construction: add words, then set heads as phrases close."""

    def __init__(self) -> None:
        self.words: list[str] = []
        self.tags: list[str] = []
        self.heads: list[int] = []
        self.labels: list[str] = []

    def add(self, word: str, tag: str) -> int:
        self.words.append(word)
        self.tags.append(tag)
        self.heads.append(-1)  # set when the word's phrase attaches
        self.labels.append("")
        return len(self.words)

    def attach(self, dependent: int, head: int, label: str) -> None:
        self.heads[dependent - 1] = head
        self.labels[dependent - 1] = label


class _Grammar:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.tree = _Tree()
        self.last_noun = 0  # the most recent noun: where a noun's phrase (of, with a hat) attaches

    def sentence(self) -> Sentence:
        rng, tree = self.rng, self.tree
        subject = self.noun_phrase(PEOPLE, "subject", noun_pps=0.25)
        adverb = tree.add(rng.choice(ADVERBS), "ADV") if rng.random() < 0.1 else 0
        transitive = rng.random() < 0.6
        verb = tree.add(rng.choice(TRANSITIVE if transitive else INTRANSITIVE), "VERB")
        tree.attach(verb, 0, "root")
        tree.attach(subject, verb, "nsubj")
        if adverb:
            tree.attach(adverb, verb, "advmod")
        self.last_noun = 0  # a phrase after the verb may attach to it
        if transitive:
            obj = self.noun_phrase(PEOPLE + THINGS, "object", noun_pps=0.25)
            tree.attach(obj, verb, "obj")
        for _ in range(rng.choices((0, 1, 2), weights=(3, 4, 2))[0]):
            if self.last_noun and rng.random() < 0.4:
                self.noun_pp()
            else:
                self.verb_pp(verb)
        if rng.random() < 0.15:
            tree.attach(tree.add(rng.choice(ADVERBS), "ADV"), verb, "advmod")
        return Sentence(tree.words, tree.tags, tree.heads, tree.labels)

    def noun_phrase(self, nouns: Sequence[str], role: str, noun_pps: float = 0.0) -> int:
        """DET ADJ* NOUN (PP), a name or a pronoun; returns the head word."""
        rng, tree = self.rng, self.tree
        kind = rng.random() if role != "pp" else 1.0  # no "in her" or "with bob"
        if kind < 0.1:
            return tree.add(rng.choice(SUBJECT_PRONOUNS if role == "subject" else OBJECT_PRONOUNS), "PRON")
        if kind < 0.2:
            return tree.add(rng.choice(NAMES), "PROPN")
        det = tree.add(rng.choice(DETERMINERS), "DET")
        adjectives = [
            tree.add(rng.choice(ADJECTIVES), "ADJ") for _ in range(rng.choices((0, 1, 2), (5, 3, 1))[0])
        ]
        noun = tree.add(rng.choice(nouns), "NOUN")
        for modifier in [det, *adjectives]:
            tree.attach(modifier, noun, "det" if modifier == det else "amod")
        self.last_noun = noun
        if rng.random() < noun_pps:
            self.noun_pp()
        return noun

    def noun_pp(self) -> None:
        """of + a noun, or with + something one has: attaches to the last noun."""
        noun = self.last_noun
        if self.rng.random() < 0.5:
            self.prepositional_phrase("of", OWNERS + PEOPLE, noun)
        else:
            self.prepositional_phrase("with", FEATURES, noun)

    def verb_pp(self, verb: int) -> None:
        """with + an instrument, or a place preposition + a place: attaches to the verb."""
        if self.rng.random() < 0.4:
            self.prepositional_phrase("with", INSTRUMENTS, verb)
        else:
            self.prepositional_phrase(self.rng.choice(PLACE_PREPOSITIONS), PLACES, verb)

    def prepositional_phrase(self, preposition: str, nouns: Sequence[str], head: int) -> None:
        prep = self.tree.add(preposition, "ADP")
        self.tree.attach(prep, head, "prep")
        inner = self.noun_phrase(nouns, "pp")  # may set last_noun: the next phrase can attach there
        self.tree.attach(inner, prep, "pobj")


def generate_treebank(n: int, seed: int = 0) -> list[Sentence]:
    """`n` different sentences from the grammar above (every tree projective), seeded."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"generate_treebank: n must be a positive int, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"generate_treebank: seed must be an int, got {seed!r}")
    rng = random.Random(seed)
    sentences: list[Sentence] = []
    seen: set[str] = set()
    for _ in range(100 * n):  # duplicates are skipped, so held-out sentences are new strings
        sentence = _Grammar(rng).sentence()
        if str(sentence) not in seen:
            seen.add(str(sentence))
            sentences.append(sentence)
            if len(sentences) == n:
                return sentences
    raise AssertionError("generate_treebank: the grammar ran out of new sentences")  # pragma: no cover


def split_treebank(
    sentences: Sequence[Sentence], held_out: float = 0.2, seed: int = 0
) -> tuple[list[Sentence], list[Sentence]]:
    """(training, held-out): a seeded shuffle, then the last `held_out` fraction held out."""
    if isinstance(held_out, bool) or not isinstance(held_out, (int, float)) or not 0.0 < held_out < 1.0:
        raise ValueError(f"split_treebank: held_out must be a fraction between 0 and 1, got {held_out!r}")
    order = list(sentences)
    if len(order) < 2:
        raise ValueError(f"split_treebank: need at least 2 sentences to split, got {len(order)}")
    random.Random(seed).shuffle(order)
    cut = min(len(order) - 1, max(1, round(len(order) * (1.0 - held_out))))
    return order[:cut], order[cut:]
