"""The Transformer translator: gradients against finite differences, teacher
forcing equal to word-by-word decoding (so the decoder's causal mask holds),
the cross-attention map, the shared search code, and its errors (it learns a
few pairs in test_translate.py, beside the GRU). (Its
blocks are checked against PyTorch in test_nn_transformer.py.)"""

from __future__ import annotations

import random

import pytest
from block_checks import check_teacher_forcing_is_word_by_word, finite_difference_check

from tinygrad_edu import no_grad
from tinygrad_edu.functional import log_softmax
from tinygrad_edu.models.transformer_translate import TransformerTranslator
from tinygrad_edu.models.translate import BOS, Translator, Vocab, beam_search, greedy_decode


@pytest.fixture
def tiny():
    random.seed(5)
    src, tgt = Vocab(["la", "maison", "bleue"]), Vocab(["the", "blue", "house"])
    model = TransformerTranslator(src.size, tgt.size, d_model=4, n_head=2, d_ff=6)
    return model, src.encode("la maison bleue"), tgt.encode("the blue house")


def test_loss_gradcheck(tiny):
    model, s, t = tiny
    params = model.parameters()
    finite_difference_check(lambda: model.loss(s, t), params[::11] + params[-5:])


def test_teacher_forcing_equals_decoding_word_by_word(tiny):
    """All target positions computed at once (teacher forcing) give the same
    log-probabilities as feeding the words one at a time: no position saw a
    later word."""
    model, s, t = tiny
    check_teacher_forcing_is_word_by_word(model, s, t)


def test_the_cached_step_gives_the_whole_prefix_rerun_and_branches_cleanly(tiny):
    """next_log_probs reads a key-value cache; it must give what decoding
    the whole prefix again gives, and two words fed to one state (as beam
    search does) must not see each other."""
    model, s, _ = tiny
    with no_grad():
        memory = model.encode(s)
        state = model.start(s)
        _, state = model.next_log_probs(state, BOS)
        for token in (3, 4):  # two branches from one state
            got, _ = model.next_log_probs(state, token)
            rerun = [v.data for v in log_softmax(model.decode([BOS, token], memory)[-1])]
            assert got == pytest.approx(rerun, abs=1e-12)


def test_changing_a_later_word_leaves_earlier_predictions_alone(tiny):
    model, s, _ = tiny
    with no_grad():
        memory = model.encode(s)
        a = [[v.data for v in row] for row in model.decode([BOS, 2, 3], memory)]
        b = [[v.data for v in row] for row in model.decode([BOS, 2, 4], memory)]
    assert a[:2] == b[:2] and a[2] != b[2]


def test_alignment_is_the_last_blocks_cross_attention_averaged_over_heads(tiny):
    model, s, t = tiny
    rows = model.alignment(s, t)
    heads = model.decoder[-1].cross_attn.last_attention
    assert len(rows) == len(t) + 1 and all(len(r) == len(s) and sum(r) == pytest.approx(1.0) for r in rows)
    assert rows[1][2] == pytest.approx((heads[0][1][2] + heads[1][1][2]) / 2)


def test_translate_goes_through_the_shared_search(tiny):
    model, s, _ = tiny
    assert isinstance(model, Translator)
    with no_grad():
        assert model.translate(s) == greedy_decode(model.next_log_probs, model.start(s))
        best = beam_search(model.next_log_probs, model.start(s), beam_size=3)[0]
        assert model.translate(s, beam_size=3) == list(best.tokens[:-1] if best.finished else best.tokens)


def test_errors(tiny):
    model, s, t = tiny
    with pytest.raises(ValueError, match="TransformerTranslator: d_model=6 must be divisible by n_head=4"):
        TransformerTranslator(5, 5, d_model=6, n_head=4)
    with pytest.raises(ValueError, match="TransformerTranslator: tgt_vocab_size must be at least 3"):
        TransformerTranslator(5, 2)
    with pytest.raises(ValueError, match=r"TransformerTranslator\(src_vocab=5, .*token id 7"):
        model.loss([7], t)
    short = TransformerTranslator(5, 5, d_model=4, n_head=2, max_len=3)
    with pytest.raises(ValueError, match="SinusoidalPositionalEncoding"):
        short.loss([2, 3, 4, 2], [2])
    state = short.start([2])
    for token in (BOS, 2, 3):
        _, state = short.next_log_probs(state, token)
    with pytest.raises(ValueError, match=r"TransformerTranslator\(.*more than 3 words \(max_len\)"):
        short.next_log_probs(state, 2)  # a 4th target word has no position
