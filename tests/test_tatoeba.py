"""The Tatoeba pairs: the shipped file and its attribution, tokenizing,
grouping by French sentence, the seeded split, and our multi-reference
corpus BLEU against sacreBLEU's on the same sentences."""

from __future__ import annotations

from importlib import resources

import pytest

from tinygrad_edu.datasets.tatoeba import (
    TATOEBA_FILE,
    group_by_french,
    load_tatoeba,
    split_by_french,
    tokenize,
)
from tinygrad_edu.models.translate import corpus_bleu


@pytest.fixture(scope="module")
def groups():
    return group_by_french(load_tatoeba())


def test_the_file_ships_with_its_attribution_and_licence():
    pairs = load_tatoeba()
    assert len(pairs) == 5000
    assert all(p.attribution.startswith("CC-BY 2.0 (France) Attribution: tatoeba.org #") for p in pairs)
    assert all(1 <= len(p.english.split()) <= 5 and p.french for p in pairs)
    readme = resources.files("tinygrad_edu.datasets").joinpath(TATOEBA_FILE).parent / "README.md"
    assert "CC-BY 2.0" in readme.read_text(encoding="utf-8")


def test_tokenize_splits_punctuation_and_keeps_words_whole():
    assert tokenize("Je suis si fatigué\u202f!") == "je suis si fatigué !"
    assert tokenize("J’ai vu « Tom », peut-être.") == "j'ai vu « tom » , peut-être ."
    assert tokenize("I'm 5.") == "i'm 5 ."
    with pytest.raises(TypeError, match="tokenize: expected a sentence"):
        tokenize(None)


def test_grouping_keeps_every_translation_of_a_french_sentence(groups):
    references = dict(groups)
    assert len(references) == len(groups)  # one group per French sentence
    assert references["va !"] == ["go .", "go ahead !", "go ahead ."]
    expected = {}
    for pair in load_tatoeba():
        expected.setdefault(tokenize(pair.french), set()).add(tokenize(pair.english))
    assert {f: set(es) for f, es in groups} == expected


def test_split_is_seeded_disjoint_and_about_a_tenth(groups):
    train, test = split_by_french(groups, seed=3)
    assert (train, test) == split_by_french(groups, seed=3)
    assert test != split_by_french(groups, seed=4)[1]
    assert len(test) == round(0.1 * len(groups)) and len(train) + len(test) == len(groups)
    assert not {f for f, _ in train} & {f for f, _ in test}
    with pytest.raises(ValueError, match=r"split_by_french: test_fraction must be in \(0, 1\)"):
        split_by_french(groups, test_fraction=1.0)


# ----------------------------------------------------- BLEU against sacreBLEU
def sacre(references, hypotheses, **options) -> float:
    sacrebleu = pytest.importorskip("sacrebleu")
    most = max(len(r) for r in references)
    streams = [[r[k] if k < len(r) else None for r in references] for k in range(most)]  # None: no k-th ref
    return sacrebleu.corpus_bleu(hypotheses, streams, tokenize="none", **options).score


def test_multi_reference_bleu_matches_sacrebleu_on_tatoeba(groups):
    """Hypotheses: each test sentence gets the translations of a training
    sentence (a fixed, imperfect system); references: all its English ones."""
    train, test = split_by_french(groups, seed=0)
    references = [refs for _, refs in test]
    for shift in (0, 1, 7):
        hypotheses = [
            train[(k + shift) % len(train)][1][0] if k % 3 else test[k][1][-1] for k in range(len(test))
        ]
        ours = corpus_bleu(references, hypotheses)
        assert 5.0 < ours < 80.0
        assert ours == pytest.approx(sacre(references, hypotheses), abs=1e-9)
    # One reference each (the first): sacreBLEU with a single stream.
    firsts = [r[:1] for r in references]
    hypotheses = [refs[-1] for refs in references]
    assert corpus_bleu([r[0] for r in firsts], hypotheses) == pytest.approx(
        sacre(firsts, hypotheses), abs=1e-9
    )


def test_bleu_edge_cases_match_sacrebleu_without_smoothing():
    cases = [
        ([["the cat sat"]], ["the cat"]),  # short: brevity penalty, and no 3-gram at all
        ([["a b c d e", "a b"]], ["a b c"]),  # the closest reference length, 2 and 5 against 3
        ([["a b c d", "a b c d e f"]], ["a b c d e"]),  # a tie of distance: the shorter counts
        ([["x y z w"], ["p q r s"]], ["x y z w", "p q"]),
    ]
    for references, hypotheses in cases:
        ours = corpus_bleu(references, hypotheses)
        assert ours == pytest.approx(sacre(references, hypotheses, smooth_method="none"), abs=1e-9)


def test_multi_reference_bleu_takes_the_best_reference_per_ngram():
    one = corpus_bleu(["the cat is on the mat"], ["the cat is on a mat"])
    both = corpus_bleu([["the cat is on the mat", "there is a cat on a mat"]], ["the cat is on a mat"])
    assert both == pytest.approx(100 * (1 * 1 * 3 / 4 * 1 / 3) ** 0.25) and both > one
    with pytest.raises(TypeError, match="corpus_bleu: reference 0 must be a sentence"):
        corpus_bleu([[]], ["a"])
