"""The shipped names list and the character tokenizer."""

from __future__ import annotations

import pytest

from tinygrad_edu.datasets import CharTokenizer, load_names


def test_names_are_a_few_thousand_lowercase_words():
    names = load_names()
    assert 3000 < len(names) < 10000
    assert all(name.isalpha() and name.islower() and name.isascii() for name in names)
    assert len(set(names)) == len(names)
    assert max(map(len, names)) + 1 <= 16  # BOS + a name fits the demo GPT's context of 16


def test_tokenizer_round_trip_and_bos():
    names = load_names()
    tok = CharTokenizer.from_texts(names)
    assert tok.vocab_size == 27 and tok.bos == 0 and tok.itos[0] == "."
    assert tok.itos[1:] == list("abcdefghijklmnopqrstuvwxyz")
    for name in names[::97]:
        doc = tok.encode_document(name)
        assert doc[0] == doc[-1] == tok.bos and tok.bos not in doc[1:-1]
        assert tok.decode(doc) == name
        assert tok.encode(name) == doc[1:-1]


def test_tokenizer_errors():
    tok = CharTokenizer("abc")
    with pytest.raises(ValueError, match="'z' is not in the alphabet"):
        tok.encode("az")
    with pytest.raises(ValueError, match="4 is not a token id"):
        tok.decode([1, 4])
    with pytest.raises(ValueError, match="bos_char '.' is also a character"):
        CharTokenizer("a.b")
    with pytest.raises(ValueError, match="single characters"):
        CharTokenizer(["ab"])
