"""First names, and a character tokenizer for them.

`load_names()` reads the list of first names shipped beside this file
(``first-names.txt``: 5,163 lowercase names, one a line, from the 1990 United
States Census name-frequency lists, public domain) through
`importlib.resources`, so it works from an installed wheel as well as from a
checkout.


    >>> names = load_names()
    >>> len(names) > 5000, names[:3]
    (True, ['aaron', 'abbey', 'abbie'])
    >>> tok = CharTokenizer.from_texts(names)
    >>> tok
    CharTokenizer(27 tokens: '.abcdefghijklmnopqrstuvwxyz', bos=0)
    >>> tok.encode_document("ada")  # BOS marks where a name starts and where it ends
    [0, 1, 4, 1, 0]
    >>> tok.decode([0, 1, 4, 1, 0])
    'ada'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from importlib import resources

from ..checks import check_fields, check_words

__all__ = ["CharTokenizer", "load_names"]


def load_names() -> list[str]:
    """The shipped first names, lowercase a-z, in file order (alphabetical)."""
    text = resources.files(__package__).joinpath("first-names.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


class CharTokenizer:
    """One id per character, plus one special token, BOS ("beginning of
    sequence"), at id 0.

    BOS does double duty, as in makemore and microgpt: a document is
    ``[BOS, c1, ..., cn, BOS]``, so the model learns both how names start
    (what follows BOS) and when they end (when BOS comes next). `itos` maps
    an id to its character, with BOS shown as `bos_char` ('.').
    """

    def __init__(self, chars: Iterable[str], bos_char: str = ".") -> None:
        if not isinstance(chars, Iterable):
            raise TypeError(
                f"CharTokenizer: expected the characters (a str or a list), got {type(chars).__name__}"
            )
        if not isinstance(bos_char, str) or len(bos_char) != 1:
            raise ValueError(f"CharTokenizer: bos_char must be a single character, got {bos_char!r}")
        alphabet = sorted(set(chars), key=str)
        for c in alphabet:
            if not isinstance(c, str) or len(c) != 1:
                raise ValueError(f"CharTokenizer: expected single characters, got {c!r}")
        if bos_char in alphabet:
            raise ValueError(f"CharTokenizer: bos_char {bos_char!r} is also a character of the text")
        self.bos = 0
        self.bos_char = bos_char
        self.itos = [bos_char, *alphabet]
        self.stoi = {c: i for i, c in enumerate(alphabet, start=1)}

    @classmethod
    def from_texts(cls, texts: Iterable[str], bos_char: str = ".") -> CharTokenizer:
        """A tokenizer whose alphabet is every character that occurs in `texts`."""
        if isinstance(texts, str) or not isinstance(texts, Iterable):
            raise TypeError(f"CharTokenizer.from_texts: expected a list of str, got {type(texts).__name__}")
        texts = list(texts)
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(
                    f"CharTokenizer.from_texts: expected a list of str, got an entry {text!r:.40}"
                )
        return cls({c for text in texts for c in text}, bos_char)

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    def encode(self, text: str) -> list[int]:
        """Characters -> ids (no BOS)."""
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer.encode: expected a str, got {type(text).__name__}")
        try:
            return [self.stoi[c] for c in text]
        except KeyError as error:
            raise ValueError(f"CharTokenizer.encode: {error.args[0]!r} is not in the alphabet") from None

    def encode_document(self, text: str) -> list[int]:
        """[BOS] + encode(text) + [BOS]."""
        return [self.bos, *self.encode(text), self.bos]

    def decode(self, ids: Sequence[int]) -> str:
        """Ids -> text; BOS tokens are dropped."""
        for i in ids:
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(self.itos):
                raise ValueError(f"CharTokenizer.decode: {i!r} is not a token id (0..{len(self.itos) - 1})")
        return "".join(self.itos[i] for i in ids if i != self.bos)

    def to_dict(self) -> dict:
        """Plain lists, for a saved model (see `from_dict`)."""
        return {"chars": self.itos[1:], "bos_char": self.bos_char}

    @classmethod
    def from_dict(cls, d: dict) -> CharTokenizer:
        """The tokenizer `to_dict` described; a ValueError if `d` is not one
        (a missing key, a repeated or empty character, a word for a character)."""
        where = "CharTokenizer.from_dict"
        check_fields(d, where, ("chars", "bos_char"))
        chars = check_words(d["chars"], where, "chars")
        try:
            return cls(chars, d["bos_char"])
        except (TypeError, ValueError) as error:
            raise ValueError(f"{where}: {error}") from None

    def __repr__(self) -> str:
        return f"CharTokenizer({self.vocab_size} tokens: {''.join(self.itos)!r}, bos={self.bos})"
