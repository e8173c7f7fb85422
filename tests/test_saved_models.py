"""save_model / load_model: one file per trained system, rebuilt from that
file alone, to the bit; every damaged or hand-edited file a clean error that
names the file (issue 23, item 2)."""

from __future__ import annotations

import json
import random

import pytest

from tinygrad_edu.datasets import CharTokenizer, as_image, load_digits
from tinygrad_edu.datasets.treebank import Sentence, load_handwritten
from tinygrad_edu.models.bert import BERT, WordTokenizer, fill_mask
from tinygrad_edu.models.digits import DigitCNN
from tinygrad_edu.models.gpt import GPT
from tinygrad_edu.models.parser import Parser, Vocabulary
from tinygrad_edu.models.saved import SavedModel, load_model, save_model
from tinygrad_edu.models.translate import Seq2Seq, Vocab
from tinygrad_edu.models.word2vec import Word2Vec
from tinygrad_edu.recording import no_grad

SENTENCES = [["the", "cat", "sat"], ["the", "dog", "ran"], ["a", "cat", "ran"]]


def _data(rows) -> list:
    return [[v.data for v in row] for row in rows]


# One small system of each kind: (model, vocab to save with it, a function
# of (model, vocab) whose result must be the same, to the bit, after a load).
def make_gpt():
    tok = CharTokenizer("abc")
    model = GPT(tok.vocab_size, block_size=4, n_layer=1, n_embd=8, n_head=2, norm="rmsnorm", bias=False)
    return model, tok, lambda m, t: _data(m(t.encode("abca")))


def make_bert():
    tok = WordTokenizer.from_sentences(SENTENCES)
    model = BERT(tok.vocab_size, max_len=6, n_layer=1, d_model=8, n_head=2, n_segments=2, tie_weights=True)
    return model, tok, lambda m, t: (_data(m(t.encode("the [MASK] sat"))), fill_mask(m, t, "the [MASK] sat"))


def make_translate():
    src, tgt = Vocab(["le", "chat", "noir"]), Vocab(["the", "black", "cat"])
    model = Seq2Seq(src.size, tgt.size, embedding_dim=4, hidden_size=6, attention="additive")

    def outputs(m, v):
        ids = v[0].encode("le chat noir")
        with no_grad():
            return m.loss(ids, v[1].encode("the black cat")).data, m.translate(ids, beam_size=2, max_len=5)

    return model, (src, tgt), outputs


def make_parser():
    model = Parser(Vocabulary.from_sentences(load_handwritten()), hidden=6, activation="cube")
    sentence = Sentence(["the", "cat", "sat"], ["DET", "NOUN", "VERB"])
    return model, None, lambda m, v: (m.parse(sentence), [s.probability for s in m.parse_steps(sentence)])


def make_word2vec():
    model = Word2Vec.from_sentences(SENTENCES, dim=3, rng=random.Random(0))
    for row in model.context_vectors:  # context vectors start at 0: give them numbers to keep
        for v in row:
            v.data = random.random()
    return model, None, lambda m, v: (m.words, m.counts, _data(m.context_vectors), m.nearest("cat", 3))


def make_digits():
    image = as_image(load_digits()[0][0])
    return DigitCNN(channels=2), None, lambda m, v: [s.data for s in m(image)]


MAKERS = {
    "gpt": make_gpt,
    "bert": make_bert,
    "translate": make_translate,
    "parser": make_parser,
    "word2vec": make_word2vec,
    "digits": make_digits,
}


@pytest.fixture
def saved_parser(tmp_path):
    random.seed(0)
    model, _, _ = make_parser()
    path = tmp_path / "model.json"
    save_model(path, model)
    return path


def edited(path, change) -> None:
    """Apply `change` to the file's document, as a hand edit would."""
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


# -------------------------------------------------------------- round trips
@pytest.mark.parametrize("kind", MAKERS)
def test_every_kind_rebuilds_from_its_file_alone_to_the_bit(kind, tmp_path):
    random.seed(0)
    model, vocab, outputs = MAKERS[kind]()
    path = tmp_path / "model.json"
    save_model(path, model, vocab, meta={"steps": 3, "data": "test"})
    random.seed(1)  # a rebuilt model starts from other random numbers: only the file can make them agree
    loaded = load_model(path, kind=kind)
    assert isinstance(loaded, SavedModel) and loaded.kind == kind and type(loaded.model) is type(model)
    assert loaded.meta == {"steps": 3, "data": "test"} and loaded.snapshots == ()
    assert loaded.model.config() == model.config()
    assert loaded.model.state_dict() == model.state_dict()
    vocab_after = loaded.model.vocab if kind == "parser" else loaded.vocab
    vocab_before = model.vocab if kind == "parser" else vocab
    assert outputs(loaded.model, vocab_after) == outputs(model, vocab_before)


def test_the_file_is_one_json_document_with_every_part(tmp_path):
    random.seed(0)
    model, vocab, _ = make_translate()
    save_model(tmp_path / "model.json", model, vocab)
    document = json.loads((tmp_path / "model.json").read_text())
    assert set(document) == {"format", "kind", "config", "vocab", "state_dict", "meta", "snapshots"}
    assert document["format"] == "tinygrad_edu.model.v1" and document["kind"] == "translate"
    assert document["config"]["attention"] == "additive"
    assert document["vocab"]["source"]["words"] == ["chat", "le", "noir"]
    assert document["state_dict"] == model.state_dict()  # PyTorch names, plain numbers
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]  # one file, no temporary left


def test_a_translator_saved_before_lexical_existed_loads_as_not_lexical(tmp_path):
    random.seed(0)
    model, vocab, outputs = make_translate()
    save_model(tmp_path / "model.json", model, vocab)
    document = json.loads((tmp_path / "model.json").read_text())
    assert document["config"].pop("lexical") is False  # a file from before the key
    (tmp_path / "model.json").write_text(json.dumps(document))
    loaded = load_model(tmp_path / "model.json")
    assert loaded.model.config() == model.config() and not loaded.model.lexical
    assert outputs(loaded.model, loaded.vocab) == outputs(model, vocab)


def test_a_lexical_translator_round_trips(tmp_path):
    random.seed(0)
    src, tgt = Vocab(["le", "chat"]), Vocab(["the", "cat"])
    model = Seq2Seq(src.size, tgt.size, embedding_dim=3, hidden_size=4, lexical=True)
    save_model(tmp_path / "model.json", model, (src, tgt))
    loaded = load_model(tmp_path / "model.json", kind="translate")
    assert loaded.model.lexical and loaded.model.state_dict() == model.state_dict()


def test_snapshots_round_trip_and_are_checked_against_the_model(tmp_path):
    random.seed(0)
    model = DigitCNN(channels=1)
    early = model.state_dict()
    for p in model.parameters():
        p.data += 1.0
    path = tmp_path / "model.json"
    save_model(path, model, snapshots=[{"step": 0, "state_dict": early}])
    loaded = load_model(path)
    assert loaded.snapshots == ({"step": 0, "state_dict": early},)
    assert loaded.model.state_dict() == model.state_dict()  # the last weights, not the snapshot's
    edited(path, lambda d: d["snapshots"][0]["state_dict"].pop("fc.bias"))
    with pytest.raises(ValueError, match=r"load_model\(.*model\.json'\): .*missing \['fc\.bias'\]"):
        load_model(path)


def test_save_model_refuses_what_it_cannot_write_whole(tmp_path):
    random.seed(0)
    model, tok, _ = make_gpt()
    with pytest.raises(TypeError, match="a gpt model needs vocab= its CharTokenizer"):
        save_model(tmp_path / "m.json", model)
    with pytest.raises(ValueError, match="config 'vocab_size' is 4, but the vocabulary has 5 tokens"):
        save_model(tmp_path / "m.json", model, CharTokenizer("abcd"))
    with pytest.raises(TypeError, match="a digits model holds its own vocabulary"):
        save_model(tmp_path / "m.json", DigitCNN(channels=1), tok)
    with pytest.raises(TypeError, match="cannot save a Linear"):
        from tinygrad_edu.nn import Linear

        save_model(tmp_path / "m.json", Linear(1, 1))
    model.lm_head.bias = None
    model.wte.weight[0][0].data = float("nan")
    with pytest.raises(ValueError, match=r"save_model\(.*m\.json'\): cannot write it as JSON"):
        save_model(tmp_path / "m.json", model, tok)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_ctrl_c_during_a_save_leaves_the_old_file_whole(tmp_path, monkeypatch):
    """The issue's interrupted run: the old model, vocabulary and all, survives."""
    import os

    random.seed(0)
    path = tmp_path / "model.json"
    save_model(path, DigitCNN(channels=1), meta={"run": 1})
    before = path.read_bytes()

    def interrupt(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)  # after the new text is written, before the rename
    with pytest.raises(KeyboardInterrupt):
        save_model(path, DigitCNN(channels=2), meta={"run": 2})
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["model.json"]
    assert load_model(path).meta == {"run": 1}


# ------------------------------------------------------------ damaged files
def test_a_truncated_file_is_a_clean_error_naming_it(saved_parser):
    text = saved_parser.read_text()
    saved_parser.write_text(text[: len(text) // 2])
    with pytest.raises(
        ValueError, match=r"load_model\('.*model\.json'\): not a complete JSON file \(truncated\?\)"
    ):
        load_model(saved_parser)


def test_json_nested_100000_deep_is_a_clean_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match=r"load_model\('.*deep\.json'\): JSON nested too deeply"):
        load_model(path)


def test_a_file_of_another_kind_is_refused_naming_both(saved_parser):
    with pytest.raises(
        ValueError, match=r"model\.json'\): the file holds a 'parser' model, expected a 'gpt' model"
    ):
        load_model(saved_parser, kind="gpt")
    with pytest.raises(ValueError, match="kind must be one of"):
        load_model(saved_parser, kind="Parser")


def test_a_module_save_file_is_not_a_saved_model(tmp_path):
    DigitCNN(channels=1).save(tmp_path / "weights.json")
    with pytest.raises(ValueError, match=r"weights\.json'\): not a saved model .*load it with model\.load"):
        load_model(tmp_path / "weights.json")


def set_in(keys, value):
    def change(document):
        target = document
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return change


def words_with(position, value):
    def change(document):
        document["vocab"]["words"][position] = value

    return change


# One row per hand edit of a saved parser: what it does, what the error says.
HAND_EDITS = [
    (set_in(["vocab", "words"], {"the": 5}), r"words must be a list of str, got \{'the': 5\}"),
    (words_with(5, ""), "words must be non-empty str; entry 5 is ''"),
    (words_with(5, 7), "words must be non-empty str; entry 5 is 7"),
    (words_with(6, "the"), "words must not repeat; 'the' comes twice"),
    (words_with(0, "kitten"), r"words must start with \['\[NULL\]', '\[ROOT\]', '\[UNK\]'\]"),
    (
        set_in(["vocab", "lexicon", "the"], "NOPE"),
        "lexicon entry 'the': 'NOPE' is not a word and one of the tags",
    ),
    (
        set_in(["config", "hidden"], 10_000_000),
        "about [0-9,]+ parameters, more than the limit of 10,000,000",
    ),
    (set_in(["config", "hidden"], "32"), "config 'hidden' must be a whole number >= 0, got '32'"),
    (set_in(["config", "hidden"], True), "config 'hidden' must be a whole number >= 0, got True"),
    (set_in(["config", "hidden"], 0), "Parser: hidden must be a positive int, got 0"),
    (set_in(["config", "activation"], "tanh"), "Parser: activation must be one of"),
    (set_in(["config", "dropout"], 0.1), r"config has keys a parser model does not take: \['dropout'\]"),
    (lambda d: d.pop("config"), "the file: missing 'config'"),
    (lambda d: d["config"].pop("hidden"), "config: missing 'hidden'"),
    (set_in(["kind"], "resnet"), "kind 'resnet' is not one of"),
    (set_in(["format"], "tinygrad_edu.model.v0"), "not a saved model"),
    (set_in(["meta"], []), "meta must be a dict"),
    (set_in(["snapshots"], [{"step": 1}]), "snapshot 0: missing 'state_dict'"),
    (set_in(["state_dict", "output.bias"], [0.0]), r"'output\.bias' has shape \(1,\), expected"),
    (set_in(["state_dict", "output.bias", 0], "x"), r"'output\.bias' holds 'x'"),
]


@pytest.mark.parametrize(("change", "message"), HAND_EDITS)
def test_every_hand_edit_is_a_clean_error_naming_the_file(saved_parser, change, message):
    edited(saved_parser, change)
    with pytest.raises(ValueError, match=r"^load_model\('.*model\.json'\): .*" + message):
        load_model(saved_parser)


def test_deeply_nested_weights_are_a_clean_error(saved_parser):
    edited(saved_parser, set_in(["state_dict", "output.bias"], json.loads("[" * 900 + "]" * 900)))
    with pytest.raises(ValueError, match=r"model\.json'\): .*'output\.bias' holds lists nested too deeply"):
        load_model(saved_parser)


@pytest.mark.parametrize(
    ("kind", "change", "message"),
    [
        ("gpt", set_in(["vocab", "chars"], ["a", "bb", "c"]), "CharTokenizer: expected single characters"),
        (
            "gpt",
            set_in(["vocab", "chars"], ["a", "b", "c", "d"]),
            "config 'vocab_size' is 4, but the vocabulary has 5",
        ),
        (
            "bert",
            set_in(["vocab", "words"], ["the", "[MASK]", "cat"]),
            "must not repeat or be special tokens",
        ),
        ("translate", set_in(["vocab", "target", "words"], ["cat", "the"]), "config 'tgt_vocab_size' is 5"),
        (
            "translate",
            set_in(["vocab", "source", "words"], ["noir", "le", "chat"]),
            "must be in sorted order",
        ),
        ("word2vec", set_in(["vocab", "counts"], [1, 2]), "counts must be 6 whole numbers >= 1"),
        ("word2vec", set_in(["config", "dim"], 5_000_000), "more than the limit of 10,000,000"),
        ("digits", set_in(["config", "channels"], 10**30), "more than the limit of 10,000,000"),
    ],
)
def test_each_kinds_vocabulary_and_config_are_checked(kind, change, message, tmp_path):
    random.seed(0)
    model, vocab, _ = MAKERS[kind]()
    path = tmp_path / "model.json"
    save_model(path, model, vocab)
    edited(path, change)
    with pytest.raises(ValueError, match=r"^load_model\('.*model\.json'\): .*" + message):
        load_model(path)


def test_the_issues_mismatched_vocabulary_cannot_happen(tmp_path):
    """Issue 23: two runs into one folder left one run's vocabulary beside the
    other's weights, and the parser parsed garbage. Now a run writes one
    file, so a second run replaces both together: the model and the
    vocabulary that come back are always the ones saved side by side."""
    random.seed(0)
    first = Parser(Vocabulary.from_sentences(load_handwritten()), hidden=4)
    bank = load_handwritten()
    second = Parser(Vocabulary.from_sentences(bank[::-1]), hidden=4)  # same shapes, other word ids
    assert first.vocab.words != second.vocab.words and first.vocab.words[:3] == second.vocab.words[:3]
    path = tmp_path / "model.json"
    save_model(path, first)
    save_model(path, second)
    loaded = load_model(path, kind="parser")
    assert loaded.vocab.words == second.vocab.words and loaded.model.state_dict() == second.state_dict()


def test_a_model_built_beyond_the_limit_on_purpose_loads_inside_the_same_limit(tmp_path):
    """The loader follows `checks.parameter_limit`, as the constructors do: a model
    made big on purpose is refused by default and loads where the limit is raised."""
    from tinygrad_edu.checks import parameter_limit
    from tinygrad_edu.models.digits import DigitCNN

    with parameter_limit(None):
        model = DigitCNN(channels=5000)  # 5000*9 + 5000 + (5000*16)*10 + 10 parameters
    path = tmp_path / "model.json"
    save_model(path, model)
    with pytest.raises(ValueError, match="more than the limit of 100,000"):
        with parameter_limit(100_000):
            load_model(path)
    with parameter_limit(None):
        assert load_model(path).model.state_dict() == model.state_dict()
