"""The toy translator: the corpus generator, the vocabulary, the Seq2Seq
models, greedy and beam search (beam 1 is greedy; a table where greedy is
wrong), and BLEU on hand-checked examples."""

from __future__ import annotations

import math
import random

import pytest
from block_checks import check_teacher_forcing_is_word_by_word, finite_difference_check

from tinygrad_edu.datasets.translation import (
    ADJECTIVES,
    NOUNS,
    english_vocabulary,
    french_vocabulary,
    make_corpus,
    noun_adjective_pairs,
    validation_split,
)
from tinygrad_edu.models.transformer_translate import TransformerTranslator
from tinygrad_edu.models.translate import (
    BOS,
    EOS,
    Seq2Seq,
    Vocab,
    beam_search,
    beam_search_steps,
    corpus_bleu,
    greedy_decode,
    ngram_counts,
)


# ------------------------------------------------------------------ corpus
@pytest.fixture(scope="module")
def corpus():
    return make_corpus(seed=3, n_train=600, n_test=80, n_long=40)


def test_corpus_is_deterministic_for_a_seed(corpus):
    assert make_corpus(seed=3, n_train=600, n_test=80, n_long=40) == corpus
    assert make_corpus(seed=4, n_train=600, n_test=80, n_long=40).train != corpus.train


def test_held_out_sets_are_disjoint_from_training_and_each_other(corpus):
    train = set(corpus.train)
    assert len(train) == 600 and len(set(corpus.test)) == 80 and len(set(corpus.test_long)) == 40
    assert not train & set(corpus.test) and not train & set(corpus.test_long)
    assert not set(corpus.test) & set(corpus.test_long)
    assert not {f for f, _ in corpus.train} & {f for f, _ in corpus.test + corpus.test_long}


def test_test_set_has_unseen_combinations_and_the_long_set_is_longer(corpus):
    seen = set().union(*(noun_adjective_pairs(f) for f, _ in corpus.train))
    assert not seen & corpus.held_out_pairs  # training never shows a held-out pair
    for french, _ in corpus.test:
        assert noun_adjective_pairs(french) & corpus.held_out_pairs, french
        assert len(french.split()) <= corpus.max_train_words
    longest_train = max(len(f.split()) for f, _ in corpus.train)
    assert all(len(f.split()) > longest_train for f, _ in corpus.test_long)
    # In the default corpus every word of the test sets was seen in training:
    # only the combinations are new.
    full = make_corpus()
    train_words = {w for f, _ in full.train for w in f.split()}
    assert {w for f, _ in full.test + full.test_long for w in f.split()} <= train_words


def test_the_grammar_agrees_and_moves_the_adjective(corpus):
    pairs = dict(corpus.train + corpus.test + corpus.test_long)
    for french, english in pairs.items():
        assert len(french.split()) == len(english.split())  # one English word per French word here
        assert set(french.split()) <= set(french_vocabulary())
        assert set(english.split()) <= set(english_vocabulary())
    post = {form: adj[4] for adj in ADJECTIVES if not adj[5] for form in adj[:4]}
    nouns = {(noun[0], False): noun[3] for noun in NOUNS} | {(noun[1], True): noun[4] for noun in NOUNS}
    crossing = [
        (f.split(), e.split()) for f, e in pairs.items() if len(f.split()) == 3 and f.split()[2] in post
    ]
    assert len(crossing) > 5
    for (det, noun, adjective), english in crossing:  # "la maison bleue" -> "the blue house"
        assert english[1:] == [post[adjective], nouns[noun, det == "les"]]
    assert any(f.startswith("les ") and e.split()[0] == "the" for f, e in pairs.items())


def test_validation_split_holds_out_combinations_seen_in_training(corpus):
    train, valid = validation_split(corpus.train, seed=1)
    assert (train, valid) == validation_split(corpus.train, seed=1)
    assert sorted(train + valid) == sorted(corpus.train) and valid
    seen = set().union(*(noun_adjective_pairs(f) for f, _ in train))
    for french, _ in valid:  # each validation sentence has a combination training no longer has
        assert noun_adjective_pairs(french) - seen, french
    assert not set().union(*(noun_adjective_pairs(f) for f, _ in valid)) & corpus.held_out_pairs
    with pytest.raises(ValueError, match="validation_split: fraction must be"):
        validation_split(corpus.train, fraction=0)


def test_make_corpus_errors():
    with pytest.raises(
        ValueError, match="make_corpus: max_words must be an int above max_train_words=7, got 7"
    ):
        make_corpus(max_words=7)
    with pytest.raises(ValueError, match="make_corpus: n_train must be a non-negative int, got 1.5"):
        make_corpus(n_train=1.5)
    with pytest.raises(ValueError, match=r"make_corpus: could not draw .* ask for fewer"):
        make_corpus(n_train=100, n_test=0, n_long=0, max_train_words=2, max_words=3)


# -------------------------------------------------------------- vocabulary
def test_vocab_round_trip_and_unknown_words():
    vocab = Vocab(french_vocabulary())
    assert vocab.decode(vocab.encode("la maison bleue")) == "la maison bleue"
    assert vocab.itos[BOS] == "<bos>" and vocab.itos[EOS] == "<eos>"
    with pytest.raises(ValueError, match=r"Vocab.encode: unknown words 'maisson', 'bleu!'"):
        vocab.encode("la maisson bleu! maisson")
    with pytest.raises(ValueError, match="Vocab.encode: unknown word '<eos>'"):
        vocab.encode("la <eos>")


def test_vocab_with_an_unknown_token_reads_any_sentence():
    vocab = Vocab(["chat", "le", "noir"], unknown=True)
    assert vocab.itos[:3] == ["<bos>", "<eos>", "<unk>"] and vocab.unk == 2
    assert vocab.encode("le chien noir <eos>") == [4, 2, 5, 2]
    assert vocab.unknown_words("le chien noir <eos> chien") == ["chien", "<eos>"]
    assert vocab.decode(vocab.encode("le chien")) == "le <unk>"
    assert vocab.words == ["chat", "le", "noir"] and Vocab(vocab.words, unknown=True).itos == vocab.itos
    again = Vocab.from_dict(vocab.to_dict())  # what a saved model file holds
    assert again.itos == vocab.itos and again.unk == 2 and "unknown" not in Vocab(["a"]).to_dict()
    with pytest.raises(ValueError, match="Vocab.from_dict: unknown must be true or false"):
        Vocab.from_dict({"words": ["a"], "unknown": "yes"})
    plain = Vocab(["chat", "le"])  # without one, id 2 is a word, and unknown words are refused
    assert plain.unk is None and plain.unknown_words("le chat") == [] and plain.words == ["chat", "le"]
    with pytest.raises(ValueError, match="not special, got '<unk>'"):
        Vocab(["<unk>"], unknown=True)
    with pytest.raises(TypeError, match="Vocab: unknown must be"):
        Vocab(["a"], unknown="yes")


# ------------------------------------------------------------------ models
@pytest.fixture
def tiny():
    random.seed(5)
    src, tgt = Vocab(["la", "maison", "bleue"]), Vocab(["the", "blue", "house"])
    return src, tgt


@pytest.mark.parametrize(
    "attention, lexical", [("dot", False), ("additive", False), (None, False), ("dot", True)]
)
def test_seq2seq_loss_gradcheck(tiny, attention, lexical):
    src, tgt = tiny
    model = Seq2Seq(src.size, tgt.size, embedding_dim=3, hidden_size=3, attention=attention, lexical=lexical)
    s, t = src.encode("la maison bleue"), tgt.encode("the blue house")
    params = model.parameters()
    finite_difference_check(lambda: model.loss(s, t), params[::7] + params[-5:])


def test_seq2seq_loss_is_teacher_forced_cross_entropy(tiny):
    """The loss equals the mean cross-entropy of the decoder fed <bos> + target, step by step."""
    src, tgt = tiny
    model = Seq2Seq(src.size, tgt.size, embedding_dim=3, hidden_size=4)
    s, t = src.encode("la maison bleue"), tgt.encode("the blue house")
    check_teacher_forcing_is_word_by_word(model, s, t)
    rows = model.alignment(s, t)
    assert len(rows) == 4 and all(len(r) == 3 and sum(r) == pytest.approx(1.0) for r in rows)


def test_a_lexical_memory_ends_with_each_source_words_own_vector(tiny):
    src, tgt = tiny
    model = Seq2Seq(src.size, tgt.size, embedding_dim=3, hidden_size=4, lexical=True)
    ids = src.encode("la maison bleue")
    memory, _ = model.encode(ids)
    assert [len(m) for m in memory] == [2 * 4 + 3] * 3  # both directions' states, then the word
    for m, word in zip(memory, ids):
        assert [v.data for v in m[-3:]] == [v.data for v in model.src_embedding.weight[word]]
    plain = Seq2Seq(src.size, tgt.size, embedding_dim=3, hidden_size=4)
    assert model.num_parameters() - plain.num_parameters() == 3 * 4  # combine reads 3 more numbers


def test_the_baseline_sees_the_source_only_through_the_final_state(tiny):
    src, tgt = tiny
    model = Seq2Seq(src.size, tgt.size, embedding_dim=3, hidden_size=4, attention=None)
    assert "attention" not in dict(model.children())
    with pytest.raises(ValueError, match="a model without attention has no alignment"):
        model.alignment([2], [2])


@pytest.mark.parametrize("kind", ["gru", "transformer"])
def test_both_translators_learn_to_translate_a_few_pairs(kind):
    """The GRU and the Transformer, trained the same way, through the same search."""
    random.seed(0)
    from tinygrad_edu.optim import Adam

    pairs = [
        ("la maison bleue", "the blue house"),
        ("la maison", "the house"),
        ("la fleur bleue", "the blue flower"),
    ]
    src, tgt = Vocab(w for f, _ in pairs for w in f.split()), Vocab(w for _, e in pairs for w in e.split())
    if kind == "gru":
        model, lr = Seq2Seq(src.size, tgt.size, embedding_dim=6, hidden_size=8), 0.05
    else:
        model, lr = TransformerTranslator(src.size, tgt.size, d_model=8, n_head=2, d_ff=16), 0.03
    data = [(src.encode(f), tgt.encode(e)) for f, e in pairs]
    opt = Adam(model.parameters(), lr=lr)
    for step in range(60):
        loss = model.loss(*data[step % 3])
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert [tgt.decode(model.translate(s)) for s, _ in data] == [e for _, e in pairs]


def test_seq2seq_errors(tiny):
    src, tgt = tiny
    with pytest.raises(ValueError, match="Seq2Seq: attention must be one of"):
        Seq2Seq(5, 5, attention="luong")
    model = Seq2Seq(src.size, tgt.size, embedding_dim=2, hidden_size=2)
    with pytest.raises(ValueError, match=r"Seq2Seq\(src_vocab=5, .*token id 7"):
        model.loss([7], [2])


# ---------------------------------------------------------------- decoding
def table_step(table, vocab_size):
    """A made-up decoder: the next token's probabilities depend on the prefix
    only (unlisted prefixes say <eos>); the state is the prefix."""

    def step(prefix, token):
        prefix = prefix if token == BOS else (*prefix, token)
        probs = table.get(prefix, [1.0 if i == EOS else 0.0 for i in range(vocab_size)])
        return [math.log(p) if p > 0 else -math.inf for p in probs], prefix

    return step


# Greedy takes 2 (p 0.6), then its best is <eos> at 0.5: p = 0.30. Starting
# with 3 (p 0.4) and then 4 (p 0.95), then <eos>: p = 0.38, the likelier one.
TRAP = {
    (): [0.0, 0.0, 0.6, 0.4, 0.0],
    (2,): [0.0, 0.5, 0.2, 0.2, 0.1],
    (3,): [0.0, 0.05, 0.0, 0.0, 0.95],
}


def test_greedy_is_wrong_on_the_trap_and_beam_search_finds_the_likelier_sequence():
    step = table_step(TRAP, 5)
    assert greedy_decode(step, ()) == [2]
    best = beam_search(step, (), beam_size=2, alpha=0.0)[0]  # alpha 0: rank by probability alone
    assert best.tokens == (3, 4, EOS) and best.finished
    assert math.exp(best.log_prob) == pytest.approx(0.4 * 0.95 * 1.0)
    assert math.exp(best.log_prob) > 0.6 * 0.5


def test_beam_one_is_greedy(tiny):
    step = table_step(TRAP, 5)
    assert list(beam_search(step, (), beam_size=1)[0].tokens) == greedy_decode(step, ()) + [EOS]
    src, tgt = tiny
    for seed in range(4):
        random.seed(seed)
        model = Seq2Seq(src.size, tgt.size, embedding_dim=3, hidden_size=4)
        ids = src.encode("la maison bleue")
        assert model.translate(ids, beam_size=1, max_len=6) == greedy_decode(
            model.next_log_probs, model.start(ids), max_len=6
        )
        best = beam_search(model.next_log_probs, model.start(ids), beam_size=1, max_len=6)[0]
        assert [t for t in best.tokens if t != EOS] == model.translate(ids, max_len=6)


def test_beam_search_steps_show_the_beam_and_length_normalisation():
    beams = list(beam_search_steps(table_step(TRAP, 5), (), beam_size=2))
    assert [h.tokens for h in beams[0]] == [(2,), (3,)]
    assert [(h.tokens, h.finished) for h in beams[1]] == [((3, 4), False), ((2, EOS), True)]
    finished = beams[-1][-1]
    assert finished.score == pytest.approx(finished.log_prob / len(finished.tokens))  # alpha = 1
    # max_len stops a search that never ends; then the best alive hypothesis is returned.
    forever = table_step({(): [0.0, 0.0, 1.0]}, 3)
    assert beam_search(forever, (), beam_size=2, max_len=1)[0].tokens == (2,)


def test_search_errors():
    step = table_step(TRAP, 5)
    with pytest.raises(ValueError, match="beam_search: beam_size must be a positive int, got 0"):
        beam_search(step, (), beam_size=0)
    with pytest.raises(ValueError, match="greedy_decode: max_len must be a positive int, got -1"):
        greedy_decode(step, (), max_len=-1)
    with pytest.raises(TypeError, match="beam_search: step must be a function"):
        beam_search("step", ())


# --------------------------------------------------------------------- BLEU
def test_bleu_of_a_perfect_corpus_is_100_and_of_no_overlap_0():
    assert corpus_bleu(["the blue house", "a cat"], ["the blue house", "a cat"], max_n=2) == pytest.approx(
        100.0
    )
    assert corpus_bleu(["the blue house"], ["a red car"]) == 0.0


def test_bleu_by_hand():
    # ref "the cat is on the mat", hyp "the cat is on a mat": 1-grams 5/6,
    # 2-grams 3/5 (the cat, cat is, is on), 3-grams 2/4, 4-grams 1/3; same length, BP 1.
    expected = 100 * (5 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25
    assert corpus_bleu(["the cat is on the mat"], ["the cat is on a mat"]) == pytest.approx(expected)
    # Clipping: "the the the" earns 2 of 3 unigrams against a reference with two "the"s;
    # brevity: 3 hypothesis words against 6 reference words, BP = exp(1 - 6/3).
    assert corpus_bleu(["the cat and the mat ."], ["the the the"], max_n=1) == pytest.approx(
        100 * math.exp(1 - 6 / 3) * 2 / 3
    )
    # Corpus BLEU sums the counts before dividing: not the mean of sentence scores.
    refs, hyps = ["a b c d", "e f"], ["a b c d", "e g"]
    p = [5 / 6, 3 / 4]  # 1-grams: 4 + 1 of 4 + 2; 2-grams: 3 + 0 of 3 + 1
    assert corpus_bleu(refs, hyps, max_n=2) == pytest.approx(100 * math.sqrt(p[0] * p[1]))
    assert ngram_counts(["a", "b", "a", "b"], 2) == {("a", "b"): 2, ("b", "a"): 1}


def test_bleu_errors():
    with pytest.raises(ValueError, match="corpus_bleu: got 1 references but 2 hypotheses"):
        corpus_bleu(["a"], ["a", "b"])
    with pytest.raises(TypeError, match="corpus_bleu: references must be a list of sentences"):
        corpus_bleu("a b", ["a b"])


def test_an_empty_target_is_refused(tiny):
    src, tgt = tiny
    model = Seq2Seq(src.size, tgt.size, embedding_dim=2, hidden_size=3, attention=None)
    with pytest.raises(ValueError, match=r"Seq2Seq\(.*at least one token id"):
        model.loss([2], [])
