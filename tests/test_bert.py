"""BERT: the encoder against PyTorch float64 (outputs, MLM loss, every grad),
the masking recipe's proportions, the loss only at the chosen positions,
tied weights, fill-mask, the classifier, and the sense corpus."""

from __future__ import annotations

import math
import random
import re
from collections import Counter

import pytest
from block_checks import assert_close, data, finite_difference_check, grads
from test_nn_transformer import randomize

from tinygrad_edu.datasets.senses import SENSES, SLOT, SLOTS, TEMPLATES, TOPICS, sense_corpus
from tinygrad_edu.functional import cross_entropy, softmax
from tinygrad_edu.models.bert import (
    BERT,
    IGNORE,
    SPECIAL_TOKENS,
    BERTClassifier,
    WordTokenizer,
    fill_mask,
    mask_tokens,
    masked_lm_loss,
)
from tinygrad_edu.nn import Collapse, Linear
from tinygrad_edu.optim import SGD

IDS = [1, 5, 3, 7, 3, 2]  # [CLS] w [MASK] w [MASK] [SEP]
LABELS = [IGNORE, IGNORE, 8, IGNORE, 6, IGNORE]


def small_bert(**options) -> BERT:
    random.seed(11)
    return BERT(vocab_size=9, max_len=6, n_layer=2, d_model=4, n_head=2, d_ff=6, **options)


def tokenizer(n_words: int = 4) -> WordTokenizer:
    return WordTokenizer([f"w{i}" for i in range(n_words)])


# ------------------------------------------------------------ vs PyTorch
@pytest.mark.parametrize(
    "options",
    [{}, {"norm_first": False}, {"tie_weights": True}, {"n_segments": 2}],
    ids=["pre-norm", "post-norm", "tied", "segments"],
)
def test_encoder_matches_torch_encoder_layers(options):
    """Ours against the bridge's twin (whose blocks are held to PyTorch's
    TransformerEncoderLayer in test_torch_twins): logits, MLM loss, every gradient."""
    torch = pytest.importorskip("torch")
    from tinygrad_edu.torch_bridge import compare, to_torch

    model = small_bert(**options)
    randomize(model, random.Random(3))
    segments = [0, 0, 0, 1, 1, 1] if model.n_segments else None
    twin = to_torch(model)
    for inputs, loss in (((IDS, segments), None), ((IDS, LABELS, segments), "mlm_loss")):
        table = compare(model, twin, inputs, loss, show=False)
        assert max(table.values()) < 1e-10, table
        assert {k for k in table if k.startswith("grad ")} == {
            f"grad {k}" for k, _ in model.named_parameters()
        }
    # the loss is masked_lm_loss of the logits, and torch's cross_entropy with ignore_index
    logits = twin(torch.tensor([IDS]), torch.tensor([segments]) if segments else None)
    ref_loss = torch.nn.functional.cross_entropy(logits[0], torch.tensor(LABELS), ignore_index=-100)
    assert model.mlm_loss(IDS, LABELS, segments).data == pytest.approx(ref_loss.item(), abs=1e-12)
    # PyTorch's names and shapes: torch's state_dict has the same keys, a tied weight under both names.
    assert {k: len(v) for k, v in model.state_dict().items() if not k.startswith("blocks")} == {
        k: v.shape[0] for k, v in twin.state_dict().items() if not k.startswith("blocks")
    }


def test_mlm_loss_gradcheck():
    model = small_bert(tie_weights=True)
    randomize(model, random.Random(5))
    finite_difference_check(lambda: model.mlm_loss(IDS, LABELS), model.parameters()[::9])


# ----------------------------------------------------- loss only where chosen
def test_unchosen_positions_get_no_gradient_from_the_loss():
    model = small_bert()
    logits = model(IDS)
    loss = masked_lm_loss(logits, LABELS)
    loss.backward()
    for t, row in enumerate(logits):
        if LABELS[t] == IGNORE:
            assert all(v.grad == 0.0 for v in row), t
        else:
            assert any(v.grad != 0.0 for v in row), t
    expected = (cross_entropy(logits[2], 8).data + cross_entropy(logits[4], 6).data) / 2
    assert loss.data == pytest.approx(expected, abs=1e-12)
    # The model's own loss runs the head only at the chosen rows: same number, same gradients.
    head_grads = grads(model.mlm_head.weight)
    model.zero_grad()
    fast = model.mlm_loss(IDS, LABELS)
    fast.backward()
    assert fast.data == pytest.approx(loss.data, abs=1e-12)
    assert_close(grads(model.mlm_head.weight), head_grads, tol=1e-12)


def test_mlm_loss_refuses_labels_that_do_not_fit():
    model = small_bert()
    with pytest.raises(ValueError, match="every label is IGNORE"):
        model.mlm_loss(IDS, [IGNORE] * 6)
    with pytest.raises(ValueError, match="got 6 ids but 5 labels"):
        model.mlm_loss(IDS, LABELS[:5])
    with pytest.raises(ValueError, match=r"label 2 is -1; expected a token id or IGNORE \(-100\)"):
        model.mlm_loss(IDS, [IGNORE, IGNORE, -1, IGNORE, IGNORE, IGNORE])
    with pytest.raises(ValueError, match="cross_entropy: target must be a class index in 0..8, got 9"):
        model.mlm_loss(IDS, [IGNORE, IGNORE, 9, IGNORE, IGNORE, IGNORE])


# --------------------------------------------------------------- masking
def test_masking_proportions_over_many_draws():
    tok = tokenizer(50)
    ids = [tok.cls, *range(5, 55), *range(5, 55), tok.sep]  # 100 words
    rng = random.Random(0)
    kinds = Counter()
    per_position = Counter()
    for _ in range(2000):
        inputs, labels = mask_tokens(ids, tok, rng)
        chosen = [t for t, y in enumerate(labels) if y != IGNORE]
        assert len(chosen) == 15  # 15% of 100 word positions, exactly
        assert labels[0] == labels[-1] == IGNORE and inputs[0] == tok.cls and inputs[-1] == tok.sep
        for t in range(len(ids)):
            if t in chosen:
                per_position[t] += 1
                assert labels[t] == ids[t]
                if inputs[t] == tok.mask:
                    kinds["mask"] += 1
                elif inputs[t] == ids[t]:
                    kinds["same"] += 1
                else:
                    kinds["random"] += 1
                    assert inputs[t] in tok.word_ids  # a word, never a special token
            else:
                assert inputs[t] == ids[t]
    n = sum(kinds.values())
    assert n == 30000
    # 80% [MASK]; 10% a random word (1 in 50 of which is the word itself); 10% unchanged.
    assert kinds["mask"] / n == pytest.approx(0.8, abs=0.012)
    assert kinds["random"] / n == pytest.approx(0.1 * 49 / 50, abs=0.008)
    assert kinds["same"] / n == pytest.approx(0.1 + 0.1 / 50, abs=0.008)
    # Every word position is chosen about as often (15% of 2000 draws = 300).
    assert min(per_position.values()) > 220 and max(per_position.values()) < 380
    assert set(per_position) == set(range(1, 101))


def test_masking_is_seeded_and_chooses_at_least_one_word():
    tok = tokenizer()
    ids = tok.encode("w0 w1 w2")
    assert mask_tokens(ids, tok, random.Random(4)) == mask_tokens(ids, tok, random.Random(4))
    for seed in range(50):
        inputs, labels = mask_tokens(ids, tok, random.Random(seed))
        assert sum(y != IGNORE for y in labels) == 1  # round(0.15 * 3) = 0, but at least one
        assert labels[0] == labels[-1] == IGNORE
    ids_unk = tok.encode("w0 nope")  # [UNK] is a word position: BERT masks it too
    assert ids_unk == [1, 5, tok.unk, 2]
    with pytest.raises(ValueError, match="no word to mask"):
        mask_tokens([1, 2], tok, random.Random(0))


# ---------------------------------------------------------- tied weights
def test_a_tied_weight_appears_once_in_parameters_and_is_stepped_once():
    untied, tied = small_bert(), small_bert(tie_weights=True)
    assert tied.mlm_head.weight is tied.wte.weight
    params = tied.parameters()
    assert len({id(p) for p in params}) == len(params)
    assert tied.num_parameters() == untied.num_parameters() - 9 * 4
    names = [name for name, _ in tied.named_parameters()]
    assert (
        "wte.weight" in names and "mlm_head.weight" not in names
    )  # once, under its first name (torch's rule)
    state = tied.state_dict()
    assert state["mlm_head.weight"] == state["wte.weight"]  # both keys, as torch's state_dict
    tied.mlm_loss(IDS, LABELS).backward()
    shared = tied.wte.weight[5][0]  # read in (id 5 at position 1) and scored out
    before, grad = shared.data, shared.grad
    assert grad != 0.0
    SGD(params, lr=0.1).step()
    assert shared.data == pytest.approx(before - 0.1 * grad, abs=1e-15)  # one step, not two
    tied.load_state_dict(state)
    assert shared.data == before


# -------------------------------------------------------------- fill-mask
def test_fill_mask_shapes_probabilities_and_no_graph():
    tok = tokenizer()
    random.seed(2)
    model = BERT(tok.vocab_size, max_len=6, n_layer=1, d_model=4, n_head=2)
    guesses = fill_mask(model, tok, "w0 [MASK] w2", k=3)
    assert len(guesses) == 3 and all(isinstance(w, str) and type(p) is float for w, p in guesses)
    assert all(w not in SPECIAL_TOKENS for w, _ in guesses)
    probs = [p for _, p in guesses]
    assert probs == sorted(probs, reverse=True) and 0.0 < sum(probs) <= 1.0
    with_specials = softmax(model(tok.encode("w0 [MASK] w2"))[2])
    by_word = {tok.itos[i]: p.data for i, p in enumerate(with_specials)}
    for w, p in guesses:
        assert p == pytest.approx(by_word[w], abs=1e-12)
    assert len(fill_mask(model, tok, "[MASK] w1", k=99)) == 4  # at most every word
    assert all(p.grad == 0.0 for p in model.parameters())


def test_fill_mask_errors():
    tok = tokenizer()
    random.seed(2)
    model = BERT(tok.vocab_size, max_len=6, n_layer=1, d_model=4, n_head=2)
    with pytest.raises(ValueError, match=r"exactly one \[MASK\], got 0"):
        fill_mask(model, tok, "w0 w1")
    with pytest.raises(ValueError, match=r"exactly one \[MASK\], got 2"):
        fill_mask(model, tok, "[MASK] w1 [MASK]")
    with pytest.raises(ValueError, match="'zebra' is not in the vocabulary of 9 tokens"):
        fill_mask(model, tok, "zebra [MASK]")
    with pytest.raises(ValueError, match="k must be"):
        fill_mask(model, tok, "w0 [MASK]", k=0)
    with pytest.raises(ValueError, match="max_len=6"):
        fill_mask(model, tok, "w0 w1 w2 w3 w0 [MASK]")


def test_fill_mask_reads_text_as_the_tokenizer_does():
    """Issue 24: "The" and "mat." were refused though the words are known."""
    tok = WordTokenizer.from_sentences([["the", "cat", "sat", "on", "mat"]])
    random.seed(2)
    model = BERT(tok.vocab_size, max_len=8, n_layer=1, d_model=4, n_head=2)
    typed = fill_mask(model, tok, "The [MASK] sat on the mat.", k=3)
    assert typed == fill_mask(model, tok, "the [MASK] sat on the mat", k=3)
    assert tok.encode("The cat, sat.") == tok.encode("the cat sat")
    with pytest.raises(
        ValueError, match=r"got 0 .*'\[mask\]' is not it: the mask token is written in capitals"
    ):
        fill_mask(model, tok, "the [mask] sat")
    with pytest.raises(ValueError, match="'dog' is not in the vocabulary.*never saw it"):
        fill_mask(model, tok, "The dog sat on the [MASK].")


@pytest.mark.parametrize("tie_weights", [True, False])
def test_an_untrained_model_starts_near_a_uniform_guess(tie_weights):
    """Issue 24: the demo's first masked-LM loss was 14.7 nats where a
    uniform guess over 313 tokens costs ln 313 = 5.75: the tied head scored
    words with N(0, 1) rows. With N(0, 1/d_model) tables the first logits
    spread by about 1, and the loss starts within about a nat of uniform."""
    vocab, d_model = 313, 16
    random.seed(0)
    model = BERT(vocab, max_len=12, n_layer=1, d_model=d_model, n_head=2, tie_weights=tie_weights)
    rng = random.Random(0)
    losses = []
    for _ in range(20):
        ids = [1, *(rng.randrange(5, vocab) for _ in range(8)), 2]
        labels = [IGNORE] * len(ids)
        labels[3] = ids[3]
        ids[3] = 3  # [MASK]
        losses.append(model.mlm_loss(ids, labels).data)
    mean = sum(losses) / len(losses)
    assert math.log(vocab) - 0.1 < mean < math.log(vocab) + 1.5, mean
    entries = [v.data for row in model.wte.weight for v in row]
    spread = (sum(x * x for x in entries) / len(entries)) ** 0.5
    assert abs(spread - d_model**-0.5) < 0.02, spread  # N(0, 1/d_model)


# --------------------------------------------------------------- tokenizer
def test_tokenizer_special_tokens_round_trip_and_unknown_words():
    tok = WordTokenizer.from_sentences([["b", "a"], ["a", "c"]])
    assert tok.itos[:5] == list(SPECIAL_TOKENS) and tok.itos[5:] == ["a", "b", "c"]  # most frequent first
    assert (tok.pad, tok.cls, tok.sep, tok.mask, tok.unk) == (0, 1, 2, 3, 4)
    ids = tok.encode("a [MASK] c")
    assert ids == [1, 5, 3, 7, 2] and tok.decode(ids) == "[CLS] a [MASK] c [SEP]"
    assert tok.encode(["a", "zebra"]) == [1, 5, 4, 2]
    with pytest.raises(ValueError, match="'zebra' is not in the vocabulary"):
        tok.encode("a zebra", strict=True)


# ------------------------------------------------------------- classifier
@pytest.mark.parametrize("pool", ["first", "mean"])
def test_classifier_is_collapse_then_linear_and_fine_tunes_the_encoder(pool):
    model = small_bert()
    clf = BERTClassifier(model, 3, pool=pool)
    logits = clf(IDS)
    expected = clf.classifier(Collapse(pool)(model.encode(IDS)))
    assert_close(data(logits), data(expected), tol=1e-12)
    clf.loss(IDS, 2).backward()
    assert any(p.grad != 0.0 for p in model.blocks[0].parameters())  # the encoder is fine-tuned
    assert all(p.grad == 0.0 for p in model.mlm_head.parameters())  # the MLM head takes no part
    assert clf.predict(IDS) == max(range(3), key=lambda c: logits[c].data)
    assert isinstance(clf.classifier, Linear) and len(clf.parameters()) == model.num_parameters() + 3 * 4 + 3
    finite_difference_check(lambda: clf.loss(IDS, 1), clf.classifier.parameters() + model.ln_f.parameters())


# ------------------------------------------------------------ the corpus
def test_sense_corpus_tables_agree():
    for topic, labels, template in TEMPLATES:
        assert topic in TOPICS, template
        assert all(slot in SLOTS for slot in SLOT.findall(template)), template
        if labels:
            word, sense = labels.split("/")
            assert SENSES[word][sense] == topic and word in template.split(), template
    # An ambiguous word is never a slot filler: it appears only where its sense is known.
    assert not set(SENSES) & {w for words in SLOTS.values() for filler in words for w in filler.split()}


def test_sense_corpus_is_seeded_with_a_clean_held_out_set():
    corpus = sense_corpus()
    assert corpus == sense_corpus(seed=0) and corpus != sense_corpus(seed=1)
    train, held = corpus
    assert 2000 <= len(train) + len(held) <= 3000 and len(held) == pytest.approx(
        0.1 * (len(train) + len(held)), abs=1
    )
    assert not {s.words for s in train} & {s.words for s in held}
    for s in train + held:
        assert s.topic in TOPICS and 3 <= len(s.words) <= 11
        assert all(re.fullmatch(r"[a-z]+", w) for w in s.words)
        if s.word is None:
            assert not set(SENSES) & set(s.words)
        else:
            assert s.word in s.words and SENSES[s.word][s.sense] == s.topic
    held_senses = Counter((s.word, s.sense) for s in held if s.word)
    assert len(held_senses) == 8 and min(held_senses.values()) >= 10  # every sense is tested


# ------------------------------------------------------------------ demo
def test_demo_quick_writes_the_figures_the_issue_asks_for(tmp_path, capsys):
    import json

    from demos import bert as demo

    assert demo.main(["--quick", "--out", str(tmp_path)]) == 0
    stdout = capsys.readouterr().out
    assert "--quick" in stdout and "unigram baseline" in stdout and "fill-mask" in stdout
    results = json.loads((tmp_path / "results.json").read_text())
    for key in (
        "mlm_accuracy",
        "unigram_accuracy",
        "finetune_accuracy_pretrained",
        "finetune_accuracy_scratch",
    ):
        assert 0.0 <= results[key] <= 1.0, key
    assert results["demo"] == "bert" and results["quick"] is True and results["seconds"] > 0
    assert set(results["senses"]) == set(SENSES)
    for figures in results["senses"].values():
        assert {"within_sense", "across_sense", "untrained_within_sense", "untrained_across_sense"} <= set(
            figures
        )
    for name in ("senses.png", "attention.png", "loss.svg"):
        assert (tmp_path / name).stat().st_size > 1000

    # --sentence uses the saved model, without retraining: the guesses are fill_mask's with that model
    from tinygrad_edu.models.bert import fill_mask
    from tinygrad_edu.models.saved import load_model

    saved = load_model(tmp_path / "model.json", kind="bert")
    assert saved.meta["quick"] is True and saved.model.config()["tie_weights"] is True
    assert demo.main(["--out", str(tmp_path), "--sentence", "We sat on the [MASK] of the river"]) == 0
    stdout = capsys.readouterr().out
    assert f"using the model saved in {tmp_path / 'model.json'} (from a --quick run" in stdout
    assert "pretraining" not in stdout
    for word, p in fill_mask(saved.model, saved.vocab, "we sat on the [MASK] of the river"):
        assert f"  {word:12s} {p:.3f}" in stdout


@pytest.mark.parametrize(
    ("sentence", "message"),
    [
        ("the cat sat", "needs exactly one [MASK]"),
        ("the [MASK] [MASK]", "needs exactly one [MASK]"),
        ("the zebra [MASK]", "'zebra' is not in the vocabulary of 7 tokens"),
        ("the cat the cat the [MASK]", "--sentence has 6 words; the model reads at most 4"),
    ],
)
def test_demo_sentence_errors_are_messages_with_exit_code_2(sentence, message, tmp_path, capsys):
    from demos import bert as demo
    from tinygrad_edu.models.saved import save_model

    tokenizer = WordTokenizer(["the", "cat"])
    save_model(tmp_path / "model.json", BERT(tokenizer.vocab_size, 6, 1, 4, 2), tokenizer)
    with pytest.raises(SystemExit) as info:
        demo.main(["--out", str(tmp_path), "--sentence", sentence])
    error = capsys.readouterr().err
    assert info.value.code == 2 and message in error and "Traceback" not in error


def test_sense_test_centres_each_words_vectors_so_a_shared_part_does_not_count():
    from demos.bert import centred

    vectors = [("a", [1.0, 0.0]), ("a", [0.8, 0.2]), ("b", [-1.0, 0.1])]
    shifted = [(s, [x + 5.0, y - 3.0]) for s, (x, y) in vectors]  # one part every vector shares
    for (_, u), (_, v) in zip(centred(shifted), centred(vectors)):
        assert u == pytest.approx(v)
    assert [sum(col) for col in zip(*(v for _, v in centred(vectors)))] == pytest.approx([0.0, 0.0])
    assert [s for s, _ in centred(vectors)] == ["a", "a", "b"] and centred([]) == []


# ------------------------------------------------- the last block only where the loss reads
def test_mlm_loss_computes_the_last_block_only_at_the_masked_positions_with_the_same_bits():
    from tinygrad_edu import Value, tape
    from tinygrad_edu.nn.transformer import TransformerBlock

    for norm_first in (True, False):
        random.seed(5)
        model = BERT(12, max_len=8, n_layer=2, d_model=8, n_head=2, norm_first=norm_first)
        ids, labels = [1, 5, 7, 3, 9, 2], [-100, 6, -100, -100, 4, -100]
        loss = model.mlm_loss(ids, labels)
        loss.backward()
        fast = [p.grad for p in model.parameters()]
        model.zero_grad()
        hidden = model.encode(ids)  # every position, as before positions= existed
        slow = Value.sum([cross_entropy(model.mlm_head(hidden[t]), labels[t]) for t in (1, 4)]) * 0.5
        slow.backward()
        assert loss.data == slow.data
        assert fast == [p.grad for p in model.parameters()]
        with tape() as made_fast:
            model.mlm_loss(ids, labels)
            made_fast = len(made_fast)
        with tape() as made_slow:
            hidden = model.encode(ids)
            Value.sum([cross_entropy(model.mlm_head(hidden[t]), labels[t]) for t in (1, 4)])
            made_slow = len(made_slow)
        assert made_fast < 0.85 * made_slow  # the last block's work at 4 of 6 positions skipped

    block = TransformerBlock(8, 2, causal=True)
    with pytest.raises(ValueError, match=r"positions= needs a bidirectional block"):
        block([[0.1] * 8] * 3, positions=[1])
    block = TransformerBlock(8, 2, causal=False)
    with pytest.raises(ValueError, match=r"ints in 0..2"):
        block([[0.1] * 8] * 3, positions=[3])
    with pytest.raises(TypeError, match=r"non-empty list of ints"):
        block([[0.1] * 8] * 3, positions=[])
