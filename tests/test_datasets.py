"""The shipped names list and the character tokenizer."""

from __future__ import annotations

import pytest

from tinygrad_edu.datasets import CharTokenizer, load_digits, load_names, load_word2vec_corpus, split_digits
from tinygrad_edu.datasets.text import normalise_sentence


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


def test_digits_are_1797_images_of_8x8_in_0_to_16_with_every_label():
    digits = load_digits()
    assert len(digits) == 1797
    assert all(len(image) == 8 and all(len(row) == 8 for row in image) for image, _ in digits)
    assert {p for image, _ in digits for row in image for p in row} <= set(range(17))
    counts = [sum(1 for _, label in digits if label == d) for d in range(10)]
    assert sum(counts) == 1797 and min(counts) > 170  # about 180 of each digit
    assert sum(digits[0][0][3]) > 0 and digits[0][1] == 0


def test_the_digit_split_is_fixed_by_the_seed_and_disjoint():
    digits = load_digits()
    train, test = split_digits(digits)
    assert (len(train), len(test)) == (1297, 500)
    assert split_digits(digits) == (train, test)  # the same every run
    assert split_digits(digits, seed=1)[1] != test
    ids = {id(d) for d in train} | {id(d) for d in test}
    assert len(ids) == 1797  # every digit once: none in both
    assert len({label for _, label in test}) == 10


# ------------------------------------------------------------ typed text
@pytest.mark.parametrize(
    "typed, words",
    [
        ("The cat sat on the mat.", ["the", "cat", "sat", "on", "the", "mat"]),
        ("la maison bleue.", ["la", "maison", "bleue"]),  # translate refused 'bleue.'
        ("le chat, la souris", ["le", "chat", "la", "souris"]),  # and 'chat,'
        ("« Bonjour » ?", ["bonjour"]),  # a word of punctuation only is dropped
        ("l'homme well-known", ["l'homme", "well-known"]),  # inner apostrophes and hyphens stay
        ("The [MASK] sat.", ["the", "[MASK]", "sat"]),  # a special token keeps its capitals
        ("([MASK]).", ["[MASK]"]),
        ("[mask]", ["[mask]"]),  # kept as written: fill_mask says to write it in capitals
        ("\uff23\uff41\uff34", ["cat"]),  # fullwidth, NFKC-normalised
        ("", []),
    ],
)
def test_normalise_sentence(typed, words):
    assert normalise_sentence(typed) == words


def test_normalise_sentence_refuses_a_non_string():
    with pytest.raises(TypeError, match="normalise_sentence: expected a str, got list"):
        normalise_sentence(["the", "cat"])


def test_every_data_sets_words_are_already_normal():
    """What the normaliser returns must match the data: no word of the shipped
    sets changes under it (else a typed sentence could never match them)."""
    from tinygrad_edu.datasets.senses import sense_corpus
    from tinygrad_edu.datasets.translation import make_corpus

    corpus = sense_corpus(seed=0)
    words = {w for s in corpus.train + corpus.held_out for w in s.words}
    translation = make_corpus(seed=0)
    words |= {w for pair in translation.train for side in pair for w in side.split()}
    words |= {w for s in load_word2vec_corpus() for w in s}
    changed = {w for w in words if normalise_sentence(w) != [w]}
    assert not changed
