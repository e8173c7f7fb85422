"""Real English: the shipped UD English-EWT files, the EWT-style tokeniser,
the POS taggers, the field's parse scores, and `demo parse --data ewt`."""

from __future__ import annotations

import json
import random

import pytest
from block_checks import assert_close, finite_difference_check, grads

from tinygrad_edu.datasets.ewt import load_ewt, tokenize_like_ewt
from tinygrad_edu.datasets.treebank import Sentence
from tinygrad_edu.models.parse_scores import (
    baseline_scores,
    lift_to_projective,
    projective_upper_bound,
    relation_scores,
    score_parses,
    scores_by_distance,
)
from tinygrad_edu.models.tagger import (
    N_FEATURES,
    MostFrequentTagger,
    TaggerVocabulary,
    WindowTagger,
    shape_of_word,
    tag_accuracy,
    tagger_batch_loss,
    tagger_examples,
)
from tinygrad_edu.optim import Adam

CAT = Sentence(
    ["The", "cat", "sat", "on", "the", "mat", "."],
    ["DET", "NOUN", "VERB", "ADP", "DET", "NOUN", "PUNCT"],
    [2, 3, 0, 6, 6, 3, 3],
    ["det", "nsubj", "root", "case", "det", "obl", "punct"],
)


# -------------------------------------------------------------------- data
@pytest.fixture(scope="module")
def ewt():
    return {"dev": load_ewt("dev"), "test": load_ewt("test")}


def test_the_shipped_files_hold_the_treebanks_sentences(ewt):
    assert len(ewt["dev"]) == 2001 and len(ewt["test"]) == 2077
    assert sum(not s.is_projective() for s in ewt["dev"]) == 31
    assert sum(not s.is_projective() for s in ewt["test"]) == 26
    labels = {lab for s in ewt["dev"] for lab in s.labels}
    assert {"nmod:poss", "obl", "punct", "root"} <= labels  # subtypes kept
    # "don't" is a multiword-token line (skipped); its words are do + n't
    words = [w for s in ewt["dev"] for w in s.words]
    assert "n't" in words and "don't" not in words


def test_load_ewt_names_the_splits():
    with pytest.raises(ValueError, match="split must be one of \\['dev', 'test'\\], got 'train'"):
        load_ewt("train")


def test_the_licence_and_attribution_ship_beside_the_files():
    from importlib import resources

    folder = resources.files("tinygrad_edu.datasets").joinpath("ud-english-ewt")
    assert "Attribution-ShareAlike 4.0" in folder.joinpath("LICENSE.txt").read_text(encoding="utf-8")
    assert "Silveira" in folder.joinpath("README.md").read_text(encoding="utf-8")


# --------------------------------------------------------------- tokeniser
@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("I don't know.", ["I", "do", "n't", "know", "."]),
        ("We can't, won't and cannot!", ["We", "ca", "n't", ",", "wo", "n't", "and", "can", "not", "!"]),
        ("It's John's dog, isn't it?", ["It", "'s", "John", "'s", "dog", ",", "is", "n't", "it", "?"]),
        ("a well-made (cheap) car", ["a", "well", "-", "made", "(", "cheap", ")", "car"]),
        ('She said "hi" -- then left...', ["She", "said", '"', "hi", '"', "--", "then", "left", "..."]),
        ("It cost $5.50 in the U.S. today", ["It", "cost", "$", "5.50", "in", "the", "U.S.", "today"]),
        (
            "Mail me at a.b@example.com or see http://x.org/a.",
            ["Mail", "me", "at", "a.b@example.com", "or", "see", "http://x.org/a", "."],
        ),
        ("Really?! Wow!!", ["Really", "?!", "Wow", "!!"]),
        ("Call 555-1234, Mr. Smith", ["Call", "555-1234", ",", "Mr.", "Smith"]),
        ("I\u2019m here", ["I", "'m", "here"]),
        ("   ", []),
    ],
)
def test_tokenize_like_ewt_splits_the_common_cases_as_the_treebank_does(text, tokens):
    assert tokenize_like_ewt(text) == tokens


def test_tokenize_like_ewt_agrees_with_the_treebank_on_most_sentences():
    """Against the tokens of every sentence of both files, from its raw `# text` line."""
    import gzip
    from importlib import resources

    folder = resources.files("tinygrad_edu.datasets").joinpath("ud-english-ewt")
    same = total = 0
    for name in ("en_ewt-ud-dev.conllu.gz", "en_ewt-ud-test.conllu.gz"):
        text = gzip.decompress(folder.joinpath(name).read_bytes()).decode("utf-8")
        for block in text.strip().split("\n\n"):
            lines = block.split("\n")
            raw = next(line[len("# text = ") :] for line in lines if line.startswith("# text = "))
            gold = [line.split("\t")[1] for line in lines if line.split("\t")[0].isdigit()]
            same += tokenize_like_ewt(raw) == gold
            total += 1
    assert total == 4078 and same / total > 0.88  # measured: 88.7%


def test_tokenize_like_ewt_refuses_what_is_not_text():
    with pytest.raises(TypeError, match="tokenize_like_ewt: expected a str, got bytes"):
        tokenize_like_ewt(b"hi")


# ------------------------------------------------------------------ tagger
def test_shape_of_word():
    assert [shape_of_word(w) for w in ["cat", "Cat", "CAT", "3.5", "...", "eBay", "http://a.b"]] == [
        "lower",
        "Capital",
        "UPPER",
        "number",
        "punct",
        "mixed",
        "web",
    ]
    with pytest.raises(ValueError, match="shape_of_word: expected a non-empty str"):
        shape_of_word("")


def test_the_most_frequent_tag_baseline_uses_the_lexicon_then_the_rules():
    tagger = MostFrequentTagger.from_sentences(
        [CAT, Sentence(["sat"], ["NOUN"]), Sentence(["sat"], ["VERB"])]
    )
    assert tagger.lexicon["sat"] == "VERB" and tagger.lexicon["the"] == "DET"  # case-blind, most frequent
    assert tagger.tag(["THE", "Oslo", "42", "slowly", "jumped", "blorp", "?!"]) == [
        "DET",
        "PROPN",
        "NUM",
        "ADV",
        "VERB",
        "NOUN",
        "PUNCT",
    ]


def tiny_tagger(seed: int = 0) -> WindowTagger:
    random.seed(seed)
    return WindowTagger(
        TaggerVocabulary.from_sentences([CAT]), word_dim=3, suffix_dim=2, shape_dim=2, tag_dim=2, hidden=4
    )


def test_the_taggers_features_read_a_window_shapes_suffixes_and_usual_tags():
    vocab = TaggerVocabulary.from_sentences([CAT, CAT], min_count=2)
    ids = vocab.features(["The", "zebra", "sat"], 0)
    assert len(ids) == N_FEATURES == 14
    words, suffixes, shapes, usual = ids[:5], ids[5:8], ids[8:11], ids[11:]
    assert [vocab.words[i] for i in words] == ["[NULL]", "[NULL]", "the", "[UNK]", "sat"]
    assert [vocab.suffixes[i] for i in suffixes] == ["[NULL]", "the", "[UNK]"]
    assert [vocab.shapes[i] for i in shapes] == ["[NULL]", "Capital", "lower"]
    assert [vocab.usual_tags[i] for i in usual] == ["[NULL]", "DET", "[UNK]"]


def test_the_taggers_gradients_match_finite_differences():
    tagger = tiny_tagger()
    batch = tagger_examples(tagger.vocab, [CAT])[:3]
    finite_difference_check(lambda: tagger_batch_loss(tagger, batch), tagger.parameters(), tol=1e-5)


def test_the_tagger_matches_torch():
    torch = pytest.importorskip("torch")
    tagger = tiny_tagger(seed=2)
    features, gold = tagger_examples(tagger.vocab, [CAT])[4]
    loss = tagger_batch_loss(tagger, [(features, gold)])
    tagger.zero_grad()
    loss.backward()
    state = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in tagger.state_dict().items()
    }
    x = torch.cat(
        [
            state["word_embedding.weight"][features[:5]].flatten(),
            state["suffix_embedding.weight"][features[5:8]].flatten(),
            state["shape_embedding.weight"][features[8:11]].flatten(),
            state["usual_tag_embedding.weight"][features[11:]].flatten(),
        ]
    )
    h = torch.relu(state["hidden.weight"] @ x + state["hidden.bias"])
    logits = state["output.weight"] @ h + state["output.bias"]
    theirs = torch.nn.functional.cross_entropy(logits[None], torch.tensor([gold]))
    theirs.backward()
    assert loss.data == pytest.approx(theirs.item(), rel=1e-9)
    ours = dict(tagger.named_parameters())
    for name, tensor in state.items():
        assert_close(grads(ours[name]), tensor.grad, tol=1e-9)


def test_the_tagger_learns_a_sentence_and_round_trips_through_to_dict():
    tagger = tiny_tagger()
    examples = tagger_examples(tagger.vocab, [CAT])
    before = tag_accuracy([CAT], [tagger.tag(CAT.words)])
    optimizer = Adam(tagger.parameters(), lr=0.1)
    for _ in range(60):
        loss = tagger_batch_loss(tagger, examples)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert before < 1.0 and tagger.tag(CAT.words) == CAT.tags
    copy = WindowTagger.from_dict(json.loads(json.dumps(tagger.to_dict())))
    assert copy.state_dict() == tagger.state_dict() and copy.tag(["the", "mat"]) == tagger.tag(["the", "mat"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("vocab"), "expected a dict with config, vocab and state_dict"),
        (lambda d: d["config"].update(hidden=10**9), "config sizes must be whole numbers 1..4096"),
        (lambda d: d["config"].pop("tag_dim"), "config must give word_dim"),
        (
            lambda d: d["vocab"]["lexicon"].update(the="NOPE"),
            "lexicon entry 'the': 'NOPE' is not one of the tags",
        ),
        (lambda d: d["state_dict"].pop("output.bias"), "output.bias"),
    ],
)
def test_a_damaged_tagger_is_a_value_error_naming_what_is_wrong(change, message):
    d = json.loads(json.dumps(tiny_tagger().to_dict()))
    change(d)
    with pytest.raises(ValueError, match=message):
        WindowTagger.from_dict(d)


def test_the_tagger_refuses_bad_input():
    tagger = tiny_tagger()
    with pytest.raises(ValueError, match="WindowTagger.*expected the 14 feature ids"):
        tagger([0] * 11)
    with pytest.raises(TypeError, match="expected a list of words"):
        tagger.tag("the cat")
    with pytest.raises(ValueError, match="tag_accuracy: sentence 0 has 7 words but 1 tags"):
        tag_accuracy([CAT], [["DET"]])


# ------------------------------------------------------------------ scores
GUESS = Sentence(
    CAT.words, CAT.tags, [2, 3, 0, 5, 6, 3, 6], ["det", "obj", "root", "case", "det", "obl", "punct"]
)


def test_scores_with_and_without_punctuation():
    # heads right: The cat sat the mat (5 of 7); with the label too: The sat the mat (4 of 7)
    assert score_parses([CAT], [GUESS]) == {"uas": 5 / 7, "las": 4 / 7}
    assert score_parses([CAT], [GUESS], punct=False) == {"uas": 5 / 6, "las": 4 / 6}
    with pytest.raises(ValueError, match="score_parses: 1 gold sentences but 2 predicted"):
        score_parses([CAT], [GUESS, GUESS])
    with pytest.raises(ValueError, match="score_parses: sentence 0 needs a tree on both sides"):
        score_parses([CAT], [Sentence(CAT.words, CAT.tags)])


def test_relation_scores_and_scores_by_distance():
    by_relation = {label: (n, uas, las) for label, n, uas, las in relation_scores([CAT], [GUESS], top=10)}
    assert by_relation["det"] == (2, 1.0, 1.0) and by_relation["nsubj"] == (1, 1.0, 0.0)
    assert by_relation["case"] == (1, 0.0, 0.0) and by_relation["punct"] == (1, 0.0, 0.0)
    # gold arc lengths: det 1, nsubj 1, case 2, det 1, obl 3, punct 4
    assert scores_by_distance([CAT], [GUESS]) == [("1", 3, 1.0), ("2", 1, 0.0), ("3-4", 2, 0.5)]


def test_the_baselines_learn_nothing_and_score_what_they_should():
    scores = baseline_scores([CAT])
    assert scores["next"] == pytest.approx(3 / 7)  # The -> cat, cat -> sat, the -> mat
    assert scores["previous"] == 0.0  # no word of CAT modifies the word before it
    assert scores["nearest verb"] == pytest.approx(4 / 7)  # cat, sat (the root), mat, "."


def test_lifting_makes_every_treebank_tree_projective(ewt):
    lifted = [lift_to_projective(s) for s in ewt["test"] if not s.is_projective()]
    assert len(lifted) == 26 and all(s.is_projective() for s in lifted)
    bound = projective_upper_bound(ewt["test"])
    assert 0.99 < bound < 1.0  # a few arcs of 26 trees: measured 99.89%


# -------------------------------------------------------------------- demo
@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One `demo parse --data ewt --quick` run (its model.json is what --sentence and --eval read)."""
    from demos.cli import main

    out = tmp_path_factory.mktemp("parse-ewt")
    assert main(["demo", "parse", "--data", "ewt", "--quick", "--out", str(out)]) == 0
    return out


def test_the_quick_run_scores_the_test_sentences_and_writes_results(quick_run):
    results = json.loads((quick_run / "results.json").read_text())
    assert results["data"] == "ewt" and results["quick"] is True
    for key in ("uas", "las", "uas_predicted_tags", "las_predicted_tags", "tag_accuracy", "baseline_uas"):
        assert 0.0 <= results[key] <= 1.0
    assert results["train_sentences"] == 150 and results["test_sentences"] == 100
    assert results["skipped_nonprojective"] >= 1  # real trees cross
    assert set(results["baselines"]) == {"next", "previous", "nearest verb"}
    assert results["baseline_uas"] == max(results["baselines"].values())
    for name in ("ewt_gold_tree.svg", "ewt_predicted_tree.svg"):
        assert "<svg" in (quick_run / name).read_text()
    assert (quick_run / "model.json").is_file()


def test_the_saved_model_tags_and_parses_a_raw_sentence(quick_run, capsys):
    from demos.cli import main

    capsys.readouterr()
    assert (
        main(["demo", "parse", "--data", "ewt", "--out", str(quick_run), "--sentence", "I don't like it."])
        == 0
    )
    stdout = capsys.readouterr().out
    assert "tokens (split as the treebank does): I do n't like it ." in stdout
    assert "ROOT -root-> " in stdout and (quick_run / "sentence_tree.svg").is_file()


def test_eval_scores_any_conllu_file_plain_or_gzipped(quick_run, tmp_path, capsys):
    import gzip

    from demos.cli import main
    from tinygrad_edu.datasets.treebank import format_conllu

    text = format_conllu(load_ewt("test")[:5])
    plain, zipped = tmp_path / "five.conllu", tmp_path / "five.conllu.gz"
    plain.write_text(text, encoding="utf-8")
    zipped.write_bytes(gzip.compress(text.encode("utf-8")))
    scores = []
    for path in (plain, zipped):
        out = tmp_path / path.name.replace(".", "-")
        (out).mkdir()
        (out / "model.json").write_bytes((quick_run / "model.json").read_bytes())
        assert main(["demo", "parse", "--data", "ewt", "--out", str(out), "--eval", str(path)]) == 0
        results = json.loads((out / "results.json").read_text())
        assert results["eval_sentences"] == 5 and results["data"] == "ewt"
        scores.append((results["uas"], results["las"], results["uas_predicted_tags"]))
    assert scores[0] == scores[1]
    assert "UAS" in capsys.readouterr().out


BAD_FILES = [
    (
        "1\tcat\t_\tNOUN\t_\t_\t2\tnsubj\t_\t_\n2\tsat\t_\tVERB\t_\t_\t0\troot\n",
        "line 2: expected 10 tab-separated columns",
    ),
    (
        "1\tcat\t_\tNOUN\t_\t_\t2\tnsubj\t_\t_\n2\tsat\t_\tVERB\t_\t_\t1\tobj\t_\t_\n3\t.\t_\tPUNCT\t_\t_\t0\troot\t_\t_\n",
        "cycle of heads",
    ),
    (
        "1\tcat\t_\tNOUN\t_\t_\t7\tnsubj\t_\t_\n2\tsat\t_\tVERB\t_\t_\t0\troot\t_\t_\n",
        "line 1: HEAD 7 is not a word",
    ),
    ("1\tcat\t_\tNOUN\t_\t_\t_\t_\t_\t_\n", "sentence 1 has no gold tree"),
    ("# just a comment\n", "holds no sentences"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_eval_refuses_a_bad_file_naming_it_and_the_line(quick_run, tmp_path, capsys, text, message):
    from demos.cli import main

    path = tmp_path / "bad.conllu"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(["demo", "parse", "--data", "ewt", "--out", str(quick_run), "--eval", str(path)])
    err = capsys.readouterr().err
    assert info.value.code == 2 and str(path) in err and message in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--sentence", " "], "--sentence needs at least one word"),
        (["--sentence", "word " * 101], "--sentence takes at most 100 tokens, got 101"),
        (["--eval", "/no/such/file.conllu"], "cannot read '/no/such/file.conllu'"),
    ],
)
def test_sentence_and_eval_refuse_what_they_cannot_handle(quick_run, capsys, argv, message):
    from demos.cli import main

    with pytest.raises(SystemExit) as info:
        main(["demo", "parse", "--data", "ewt", "--out", str(quick_run), *argv])
    assert info.value.code == 2 and message in capsys.readouterr().err


def test_sentence_needs_a_saved_ewt_model(tmp_path, capsys):
    import os

    from demos.cli import main
    from tinygrad_edu.models.digits import DigitCNN
    from tinygrad_edu.models.saved import save_model

    with pytest.raises(SystemExit) as info:
        main(["demo", "parse", "--data", "ewt", "--out", str(tmp_path), "--sentence", "hi there"])
    assert info.value.code == 2 and "no saved model" in capsys.readouterr().err

    toy = tmp_path / "toy"
    assert main(["demo", "parse", "--quick", "--out", str(toy)]) == 0  # a toy parser's model.json
    with pytest.raises(SystemExit) as info:
        main(["demo", "parse", "--data", "ewt", "--out", str(toy), "--sentence", "hi there"])
    assert info.value.code == 2 and "not on the English Web Treebank" in capsys.readouterr().err

    random.seed(0)
    save_model(os.fspath(tmp_path / "model.json"), DigitCNN(channels=1))
    with pytest.raises(SystemExit) as info:
        main(["demo", "parse", "--data", "ewt", "--out", str(tmp_path), "--eval", "x.conllu"])
    assert (
        info.value.code == 2
        and "holds a 'digits' model, expected a 'parser' model" in capsys.readouterr().err
    )


def test_eval_is_for_the_real_data_only(tmp_path, capsys):
    from demos.cli import main

    with pytest.raises(SystemExit) as info:
        main(["demo", "parse", "--out", str(tmp_path), "--eval", "x.conllu"])
    assert info.value.code == 2 and "give --data ewt" in capsys.readouterr().err
