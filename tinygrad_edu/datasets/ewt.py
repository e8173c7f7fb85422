"""Real English with gold trees: the Universal Dependencies English Web Treebank.

`load_ewt(split)` reads one of the two files shipped in ``ud-english-ewt/``
beside this module, gzipped and otherwise unchanged, from UD English-EWT
v2.15 (Silveira et al., 2014; UniversalDependencies/UD_English-EWT, CC BY-SA
4.0, the licence in ``ud-english-ewt/LICENSE.txt``): web text of blogs,
newsgroups, email, reviews and Yahoo! Answers, tokenised the Penn Treebank way
("do n't", "U.S." as one token, punctuation split off), tagged with the 17
universal POS tags (UPOS) and parsed with the 37 universal relations and their
English subtypes (``nmod:poss``, ``obl:tmod``, ...).

========  =========  ======  ============================================
split     sentences  words   used here for
========  =========  ======  ============================================
``dev``   2,001      25,147  training (and a seeded validation split)
``test``  2,077      25,094  the scores reported
========  =========  ======  ============================================

The treebank's own training file (12,544 sentences) is not shipped: the dev
file is the training material, so the numbers here are those of a parser
trained on a sixth of the usual data.

    >>> dev = load_ewt("dev")
    >>> len(dev), sum(len(s) for s in dev)
    (2001, 25147)
    >>> print(dev[0]); dev[0].tags; dev[0].labels
    From the AP comes this story :
    ['ADP', 'DET', 'PROPN', 'VERB', 'DET', 'NOUN', 'PUNCT']
    ['case', 'det', 'obl', 'root', 'det', 'nsubj', 'punct']
    >>> sum(not s.is_projective() for s in dev)   # arc-standard cannot build these
    31

Multiword-token lines (``1-2 don't``) and empty nodes (``8.1``) are skipped,
as the basic tree has them not: the words are the treebank's tokens.

Raw text is split the way the treebank splits it by `tokenize_like_ewt`,
for the common cases: punctuation off the words, clitics off their hosts
("don't" -> do n't, "can't" -> ca n't, "it's" -> it 's, "cannot" -> can
not), hyphens between word parts as tokens of their own, "$" and "%" off
their numbers, "!!" and "..." as one token, phone numbers, dates and
emoticons whole.

    >>> tokenize_like_ewt("I don't think it's well-made, Mr. Smith (see www.example.com)!")
    ['I', 'do', "n't", 'think', 'it', "'s", 'well', '-', 'made', ',', 'Mr.', 'Smith', '(', 'see', 'www.example.com', ')', '!']

Not handled (the treebank's annotators decided these by hand): typed-out
contractions without an apostrophe ("dont", "im"), "its" written for "it's",
abbreviations outside the short list below ending a sentence ("... in the
U.S." keeps one token where the treebank has two), units glued to
numbers ("45p", "300USD"), and addresses the text mangles.
"""

from __future__ import annotations

import gzip
import re
from importlib import resources

from .treebank import Sentence, parse_conllu

__all__ = ["ATTRIBUTION", "EWT_SPLITS", "load_ewt", "tokenize_like_ewt"]

FOLDER = "ud-english-ewt"
EWT_SPLITS = {"dev": "en_ewt-ud-dev.conllu.gz", "test": "en_ewt-ud-test.conllu.gz"}
ATTRIBUTION = (
    "UD English-EWT v2.15 (Silveira et al., 2014; Universal Dependencies), CC BY-SA 4.0: "
    "tinygrad_edu/datasets/ud-english-ewt/LICENSE.txt"
)


def load_ewt(split: str) -> list[Sentence]:
    """The sentences of the shipped ``dev`` or ``test`` file, in file order,
    with their forms as written (not lowercased), UPOS tags, heads and
    relations (subtypes kept)."""
    if split not in EWT_SPLITS:
        raise ValueError(f"load_ewt: split must be one of {sorted(EWT_SPLITS)}, got {split!r}")
    name = EWT_SPLITS[split]
    raw = resources.files(__package__).joinpath(FOLDER, name).read_bytes()
    return parse_conllu(gzip.decompress(raw).decode("utf-8"), source=f"{FOLDER}/{name}")


# ------------------------------------------------------------- tokenising
# Kept whole: web and mail addresses, numbers with points and commas (3.5,
# 1,000), initials and dotted abbreviations (U.S., e.g., p.m.), and these
# abbreviations whose point the treebank keeps on the word.
ABBREVIATIONS = frozenset(
    "mr. mrs. ms. dr. st. jr. sr. inc. corp. co. ltd. vs. etc. jan. feb. mar. apr. jun. jul. aug. sep. "
    "sept. oct. nov. dec. mon. tue. wed. thu. fri. sat. sun. no. p.s.".split()
)
_WHOLE = re.compile(
    r"(?:https?://|www\.)[^\s()<>\"]*[^\s()<>\".,!?;:']|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\w+(?:\.\w+)+\.(?:com|org|net|edu|gov|uk)\b"
    r"|\d+(?:[.,:]\d+)+|\d+(?:-\w+)*-\d+|(?:[A-Za-z]\.){2,}|[:;]-?[()DPp]",
    re.IGNORECASE,
)
_CLITIC = re.compile(r"(?i)^(.+?)(n't|'s|'re|'ve|'ll|'d|'m|')$")
_SPECIAL = {"cannot": ["can", "not"], "gonna": ["gon", "na"], "wanna": ["wan", "na"], "gotta": ["got", "ta"]}


def tokenize_like_ewt(text: str) -> list[str]:
    """`text` split into tokens as UD English-EWT splits its sentences (see
    the module's docstring for what is and is not handled)."""
    if not isinstance(text, str):
        raise TypeError(f"tokenize_like_ewt: expected a str, got {type(text).__name__}")
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    tokens: list[str] = []
    for chunk in text.split():
        tokens += _split_chunk(chunk)
    return tokens


def _split_chunk(chunk: str) -> list[str]:
    """One whitespace-separated chunk: leading punctuation, the core, trailing punctuation."""
    whole = _WHOLE.fullmatch(chunk)
    if whole or chunk.lower() in ABBREVIATIONS:
        return [chunk]
    head = []
    while chunk and chunk[0] in "\"'([{$#.":
        if chunk[0] == "'" and _CLITIC.fullmatch(chunk):  # 's at a chunk's start is a clitic
            break
        cut = 3 if chunk.startswith("...") else 1
        if chunk[0] == "." and cut == 1:
            break
        head.append(chunk[:cut])
        chunk = chunk[cut:]
    tail = []
    while chunk and not _WHOLE.fullmatch(chunk) and chunk.lower() not in ABBREVIATIONS:
        run = len(chunk) - len(chunk.rstrip(".!?"))
        if run > 1 and chunk.endswith(("...", "!!", "??", "?!", "!?", ".?", "?.")):
            cut = run  # "!!", "?!", "....": one token
        elif chunk.endswith("--"):
            cut = 2
        elif chunk[-1] in '".,!?;:)]}%' or (chunk[-1] == "'" and not chunk.lower().endswith("s'")):
            cut = 1
        else:
            break
        tail.insert(0, chunk[-cut:])
        chunk = chunk[:-cut]
    return head + _split_core(chunk) + tail


def _split_core(word: str) -> list[str]:
    """A word without its outer punctuation: clitics, hyphens and dashes split off."""
    if not word:
        return []
    if _WHOLE.fullmatch(word) or word.lower() in ABBREVIATIONS:
        return [word]
    if word.lower() in _SPECIAL:
        first, second = _SPECIAL[word.lower()]
        return [word[: len(first)], word[len(first) :]]
    for dash in ("--", "..."):
        if dash in word.strip(dash):
            left, _, right = word.partition(dash)
            return _split_core(left) + [dash] + _split_core(right)
    if "/" in word.strip("/") and word.replace("/", "").isalpha():  # and/or -> and / or
        left, _, right = word.partition("/")
        return [left, "/", *_split_core(right)]
    if "-" in word.strip("-") and not re.fullmatch(r"[A-Za-z]-\w+", word):  # e-mail, x-ray: one word
        parts = word.split("-")
        return [t for k, part in enumerate(parts) for t in ([part] if k == 0 else ["-", part]) if t]
    clitic = _CLITIC.fullmatch(word)
    if clitic and clitic.group(1).isalpha():
        host, ending = clitic.groups()
        if ending.lower() == "n't":
            return [host, ending]
        if ending == "'" and not host.lower().endswith("s"):
            return [word]
        return [host, ending]
    return [word]
