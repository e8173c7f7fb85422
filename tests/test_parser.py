"""The dependency parser: CoNLL-U files, the generated treebank, arc-standard
moves and their preconditions, the oracle, the features, the network's
gradients, greedy parsing, attachment scores, and the demo."""

from __future__ import annotations

import json
import random

import pytest
from block_checks import finite_difference_check

from tinygrad_edu import Value, functional
from tinygrad_edu.datasets.treebank import (
    LABELS,
    Sentence,
    format_conllu,
    generate_treebank,
    load_handwritten,
    parse_conllu,
    read_conllu,
    split_treebank,
    write_conllu,
)
from tinygrad_edu.models.digits import DigitCNN
from tinygrad_edu.models.parser import (
    FEATURES,
    LEFT_ARC,
    RIGHT_ARC,
    SHIFT,
    Configuration,
    Move,
    Parser,
    Vocabulary,
    attachment_scores,
    baseline_uas,
    batch_loss,
    extract_features,
    feature_positions,
    oracle,
    replay,
    tag_words,
    training_examples,
)
from tinygrad_edu.models.saved import load_model, save_model

CAT = Sentence(
    ["the", "cat", "sat", "on", "the", "mat"],
    ["DET", "NOUN", "VERB", "ADP", "DET", "NOUN"],
    [2, 3, 0, 3, 6, 4],
    ["det", "nsubj", "root", "prep", "det", "pobj"],
)
NON_PROJECTIVE = Sentence(["a", "b", "c", "d"], ["X"] * 4, [3, 4, 0, 3], ["det", "det", "root", "obj"])


def demo_treebank():
    """The demo's treebank and split (demos/parse.py, default --sentences and --seed)."""
    return split_treebank(generate_treebank(4000, seed=1337), held_out=0.2, seed=1337)


def tiny_parser(activation: str = "relu", seed: int = 0) -> Parser:
    random.seed(seed)
    return Parser(
        Vocabulary.from_sentences([CAT]), word_dim=2, tag_dim=2, label_dim=2, hidden=3, activation=activation
    )


# ------------------------------------------------------------------ CoNLL-U
def test_conllu_round_trip_and_what_reading_skips(tmp_path):
    bank = generate_treebank(50, seed=3) + load_handwritten()
    assert parse_conllu(format_conllu(bank)) == bank
    path = write_conllu(bank, tmp_path / "bank.conllu")
    assert read_conllu(path) == bank
    text = (
        "# sent_id = 1\n"
        "1-2\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n"  # a multi-word token: not a word of the tree
        "1\tdo\t_\tVERB\t_\t_\t0\troot\t_\t_\n"
        "2\tn't\t_\tPART\t_\t_\t1\tadvmod\t_\t_\n"
        "2.1\tghost\t_\tX\t_\t_\t_\t_\t_\t_\n"  # an empty node: skipped too
        "\n\n"
        "1  bark  _  VERB  _  _  _  _  _  _\n"  # spaces instead of tabs, no tree: a sentence to parse
    )
    first, second = parse_conllu(text)
    assert first == Sentence(["do", "n't"], ["VERB", "PART"], [0, 1], ["root", "advmod"])
    assert second == Sentence(["bark"], ["VERB"])


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("1\tcat\t_\tNOUN\t_\t_\t0\troot\n", 1, "expected 10 tab-separated columns, got 8"),
        ("1\tcat\t_\tNOUN\t_\t_\t0\troot\t_\t_\n2\tsat\t_\tVERB\t_\t_\tone\tx\t_\t_\n", 2, "HEAD must be"),
        ("1\ta\t_\tX\t_\t_\t0\troot\t_\t_\n3\tb\t_\tX\t_\t_\t1\tdet\t_\t_\n", 2, "ID must be 2"),
        ("# c\n1\ta\t_\tX\t_\t_\t0\troot\t_\t_\n2\tb\t_\tX\t_\t_\t7\tdet\t_\t_\n", 3, "HEAD 7 is not a word"),
        ("1\ta\t_\tX\t_\t_\t1\troot\t_\t_\n", 1, "or is the word itself"),
        ("1\ta\t_\tX\t_\t_\t0\t_\t_\t_\n", 1, "give both or neither"),
        ("1\t_\t_\tX\t_\t_\t0\troot\t_\t_\n", 1, "FORM is empty"),
        ("\n\n1\ta\t_\tX\t_\t_\t0\troot\t_\t_\n2\tb\t_\tX\t_\t_\t0\troot\t_\t_\n", 3, "2 words with HEAD 0"),
        (
            "1\ta\t_\tX\t_\t_\t0\troot\t_\t_\n2\tb\t_\tX\t_\t_\t3\tx\t_\t_\n3\tc\t_\tX\t_\t_\t2\tx\t_\t_\n",
            1,
            "cycle",
        ),
        ("1\ta\t_\tX\t_\t_\t0\troot\t_\t_\n2\tb\t_\tX\t_\t_\t_\t_\t_\t_\n", 1, "HEAD _ on some words"),
    ],
)
def test_a_malformed_conllu_line_is_an_error_naming_the_line(text, line, fragment):
    with pytest.raises(ValueError) as info:
        parse_conllu(text, source="bank.conllu")
    assert str(info.value).startswith(f"bank.conllu, line {line}: "), info.value
    assert fragment in str(info.value)


def test_a_malformed_file_names_its_path_and_line(tmp_path):
    path = tmp_path / "bad.conllu"
    path.write_text("# fine\n1\tcat\t_\tNOUN\t_\t_\tzero\tnsubj\t_\t_\n", encoding="utf-8")
    with pytest.raises(ValueError, match=rf"^{path}, line 2: HEAD must be a word number"):
        read_conllu(path)


# ---------------------------------------------------------------- treebank
def test_the_treebank_is_seeded_projective_and_uses_the_documented_labels():
    assert generate_treebank(40, seed=5) == generate_treebank(40, seed=5)
    assert generate_treebank(40, seed=5) != generate_treebank(40, seed=6)
    train, held_out = demo_treebank()
    bank = train + held_out
    assert len(train) == 3200 and len(held_out) == 800
    assert len({str(s) for s in bank}) == len(bank)  # held-out sentences are new strings
    assert all(s.is_projective() for s in bank)
    assert {label for s in bank for label in s.labels} == set(LABELS)
    for s in bank:  # the head rules
        for head, dep, label in s.arcs():
            head_tag = "ROOT" if head == 0 else s.tags[head - 1]
            allowed = {
                "det": {"NOUN"},
                "amod": {"NOUN"},
                "pobj": {"ADP"},
                "nsubj": {"VERB"},
                "obj": {"VERB"},
                "advmod": {"VERB"},
                "prep": {"VERB", "NOUN"},
                "root": {"ROOT"},
            }[label]
            assert head_tag in allowed, (str(s), head, dep, label)
            if label == "prep" and s.words[dep - 1] == "of":
                assert head_tag == "NOUN"  # "of" always modifies a noun


def test_the_hand_written_sentences_are_trees_with_the_treebank_labels():
    hand = load_handwritten()
    assert len(hand) >= 10
    assert all(s.is_projective() and set(s.labels) <= set(LABELS) for s in hand)
    assert "the cat sat on the mat" in {str(s) for s in hand}


# ------------------------------------------------------------- transitions
def test_replaying_the_oracle_rebuilds_every_training_tree():
    train, _ = demo_treebank()
    for sentence in train + load_handwritten():
        moves = oracle(sentence)
        assert len(moves) == 2 * len(sentence)
        assert replay(sentence, moves) == sentence


def test_the_oracle_on_the_cat_sat_on_the_mat():
    assert [str(m) for m in oracle(CAT)] == [
        "SHIFT",
        "SHIFT",
        "LEFT-ARC(det)",
        "SHIFT",
        "LEFT-ARC(nsubj)",
        "SHIFT",
        "SHIFT",
        "SHIFT",
        "LEFT-ARC(det)",
        "RIGHT-ARC(pobj)",
        "RIGHT-ARC(prep)",
        "RIGHT-ARC(root)",
    ]


def test_a_non_projective_tree_is_refused_by_the_oracle_and_skipped_in_training():
    assert not NON_PROJECTIVE.is_projective() and CAT.is_projective()
    with pytest.raises(ValueError, match="not projective"):
        oracle(NON_PROJECTIVE)
    model = Parser(Vocabulary.from_sentences([CAT, NON_PROJECTIVE]), hidden=4)
    examples, skipped = training_examples(model, [CAT, NON_PROJECTIVE, CAT])
    assert skipped == [1]
    assert len(examples) == 2 * 2 * len(CAT)


def config_after(sentence: Sentence, moves: list[str]) -> Configuration:
    config = Configuration(sentence)
    for text in moves:
        kind, _, label = text.partition("(")
        config.apply(Move(kind, label.rstrip(")") or None))
    return config


@pytest.mark.parametrize(
    ("moves", "move", "reason"),
    [
        ([], Move(LEFT_ARC, "det"), "two words on the stack"),
        ([], Move(RIGHT_ARC, "root"), "two words on the stack"),
        (["SHIFT"], Move(LEFT_ARC, "det"), "ROOT (s2) can never be a dependent"),
        (["SHIFT"], Move(RIGHT_ARC, "root"), "ROOT takes its dependent last"),
        (["SHIFT", "SHIFT"], Move(LEFT_ARC, "root"), "only for ROOT's arc"),
        (["SHIFT", "SHIFT"], Move(RIGHT_ARC, "root"), "only for ROOT's arc"),
        (["SHIFT"] * 6, Move(SHIFT), "the buffer is empty"),
        ([str(m) for m in oracle(CAT)[:-1]], Move(RIGHT_ARC, "obj"), "ROOT's arc is labelled 'root'"),
    ],
)
def test_a_move_whose_precondition_fails_is_refused_and_changes_nothing(moves, move, reason):
    config = config_after(CAT, moves)
    before = (list(config.stack), list(config.buffer), list(config.heads))
    assert reason in config.why_illegal(move)
    with pytest.raises(ValueError) as info:
        config.apply(move)
    assert str(info.value) == f"{move} is not legal here: {config.why_illegal(move)}"
    assert (config.stack, config.buffer, config.heads) == before


def test_which_moves_are_legal_where():
    model = Parser(Vocabulary.from_sentences([CAT]), hidden=4)

    def legal(config: Configuration) -> list[str]:
        return [str(model.moves[i]) for i in model.legal_moves(config)]

    non_root = sorted(set(LABELS[1:]) & set(CAT.labels))
    assert legal(config_after(CAT, [])) == ["SHIFT"]
    assert legal(config_after(CAT, ["SHIFT"])) == ["SHIFT"]  # ROOT's arc waits for the end
    both = legal(config_after(CAT, ["SHIFT", "SHIFT"]))
    assert both[0] == "SHIFT" and len(both) == 1 + 2 * len(non_root)  # every label but root, both ways
    assert "LEFT-ARC(root)" not in both and "RIGHT-ARC(root)" not in both
    end = config_after(CAT, [str(m) for m in oracle(CAT)[:-1]])  # stack [ROOT, sat], buffer []
    assert legal(end) == ["RIGHT-ARC(root)"]


def test_any_sequence_of_legal_moves_ends_in_a_tree_after_2n_moves():
    rng = random.Random(0)
    model = Parser(Vocabulary.from_sentences(load_handwritten()), hidden=4)
    for sentence in generate_treebank(200, seed=9):
        config = Configuration(sentence)
        for _ in range(2 * len(sentence)):
            legal = model.legal_moves(config)
            assert legal, str(config)  # never stuck
            config.apply(model.moves[rng.choice(legal)])
        assert config.is_terminal()
        tree = Sentence(sentence.words, sentence.tags, config.heads[1:], config.labels[1:])
        assert tree.heads.count(0) == 1 and tree.labels[tree.heads.index(0)] == "root"
        assert tree.is_projective()


# ---------------------------------------------------------------- features
def test_features_of_a_hand_checked_configuration():
    # the cat sat on the mat, after SHIFT SHIFT LEFT(det) SHIFT LEFT(nsubj) SHIFT SHIFT SHIFT LEFT(det) RIGHT(pobj):
    # stack [ROOT, sat, on], buffer []; sat has its left child cat (nsubj), on its right child mat (pobj).
    config = config_after(CAT, [str(m) for m in oracle(CAT)[:10]])
    assert str(config) == "stack [ROOT, sat, on] | buffer []"
    #                                  s1 s2 s3 b1    b2    b3    lc1(s1) rc1(s1) lc1(s2) rc1(s2)
    assert feature_positions(config) == [4, 3, 0, None, None, None, None, 6, 2, None]
    vocab = Vocabulary.from_sentences([CAT])
    ids = extract_features(config, vocab)
    assert len(ids) == len(FEATURES) == 24
    null, root = "[NULL]", "[ROOT]"
    assert [vocab.words[i] for i in ids[:10]] == [
        "on",
        "sat",
        root,
        null,
        null,
        null,
        null,
        "mat",
        "cat",
        null,
    ]
    assert [vocab.tags[i] for i in ids[10:20]] == [
        "ADP",
        "VERB",
        root,
        null,
        null,
        null,
        null,
        "NOUN",
        "NOUN",
        null,
    ]
    assert [vocab.labels[i] for i in ids[20:]] == [null, "pobj", "nsubj", null]


def test_features_take_the_leftmost_and_rightmost_children_and_unknown_words():
    s = Sentence(["the", "big", "zebra", "ran"], ["DET", "ADJ", "NOUN", "VERB"])
    config = config_after(s, ["SHIFT", "SHIFT", "SHIFT", "LEFT-ARC(amod)", "LEFT-ARC(det)", "SHIFT"])
    # stack [ROOT, zebra, ran], buffer []: zebra's left children are the (1) and big (2)
    assert feature_positions(config)[:3] == [4, 3, 0]
    assert feature_positions(config)[8] == 1  # lc1(s2): the leftmost, "the"
    vocab = Vocabulary.from_sentences([CAT])
    ids = extract_features(config, vocab)
    assert [vocab.words[i] for i in ids[:2]] == ["[UNK]", "[UNK]"]  # ran, zebra: never seen
    assert vocab.words[ids[8]] == "the" and vocab.labels[ids[22]] == "det"


def test_tag_words_uses_the_lexicon_and_names_the_unknown_words():
    vocab = Vocabulary.from_sentences(load_handwritten())
    tags, unknown = tag_words(["the", "zebra", "quietly", "jumped", "on", "the", "mat"], vocab)
    assert tags == ["DET", "NOUN", "ADV", "VERB", "ADP", "DET", "NOUN"]
    assert unknown == ["zebra", "quietly", "jumped"]


# ------------------------------------------------------------------- model
@pytest.mark.parametrize("activation", ["relu", "cube"])
def test_the_parsers_gradients_match_finite_differences(activation):
    model = tiny_parser(activation)
    config = config_after(CAT, [str(m) for m in oracle(CAT)[:7]])
    features, legal = model.features(config), model.legal_moves(config)
    gold = model.moves.index(oracle(CAT)[7])
    finite_difference_check(lambda: model.loss(features, legal, gold), model.parameters(), tol=1e-5)


def test_illegal_moves_are_left_out_of_the_softmax():
    model = tiny_parser()
    config = config_after(CAT, ["SHIFT"])
    features, legal = model.features(config), model.legal_moves(config)
    assert legal == [0]  # SHIFT only
    everything = model(features)  # the logits of every move, unmasked
    masked = model.probabilities(features, legal)
    assert [p.data for p in masked] == [1.0]
    config = config_after(CAT, ["SHIFT", "SHIFT"])
    features, legal = model.features(config), model.legal_moves(config)
    everything = [z.data for z in model(features)]
    full = [p.data for p in functional.softmax([Value(everything[i]) for i in legal])]
    assert [p.data for p in model.probabilities(features, legal)] == pytest.approx(full)
    model.zero_grad()
    model.loss(features, legal, legal[1]).backward()
    illegal = [i for i in range(len(model.moves)) if i not in legal]
    assert illegal and all(model.output.bias[i].grad == 0.0 for i in illegal)  # not in the graph at all
    assert all(model.output.bias[i].grad != 0.0 for i in legal)


def test_the_parser_matches_torch():
    """Ours against the bridge's twin, whose illegal moves are masked to -inf
    where ours leaves them out: the loss and every gradient."""
    torch = pytest.importorskip("torch")
    from tinygrad_edu.torch_bridge import compare, to_torch

    model = tiny_parser("cube", seed=3)
    config = config_after(CAT, [str(m) for m in oracle(CAT)[:4]])
    features, legal = model.features(config), model.legal_moves(config)
    gold = model.moves.index(oracle(CAT)[4])
    mask = torch.tensor([[i in legal for i in range(len(model.moves))]])
    their_inputs = (torch.tensor([features]), mask, torch.tensor([gold]))
    table = compare(
        model, to_torch(model), (features, legal, gold), "loss", their_inputs=their_inputs, show=False
    )
    assert max(table.values()) < 1e-10, table
    assert len(table) == 1 + len(model.state_dict())  # the loss and every parameter's gradient


def test_an_untrained_parser_still_builds_a_tree_for_every_sentence():
    model = Parser(Vocabulary.from_sentences(generate_treebank(50, seed=0)), hidden=8)
    for sentence in load_handwritten() + [Sentence(["unknown"], ["NOUN"])]:
        tree = model.parse(Sentence(sentence.words, sentence.tags))
        assert tree.words == sentence.words and tree.heads.count(0) == 1 and tree.is_projective()
        steps = list(model.parse_steps(sentence))
        assert len(steps) == 2 * len(sentence)
        assert all(0.0 < step.probability <= 1.0 for step in steps)
        assert str(steps[-1].move) == "RIGHT-ARC(root)" and steps[-1].arc[0] == "ROOT"


def test_a_short_training_run_beats_the_baseline_and_survives_save_and_load(tmp_path):
    from tinygrad_edu.optim import Adam

    random.seed(0)
    train, held_out = split_treebank(generate_treebank(120, seed=4), seed=4)
    model = Parser(Vocabulary.from_sentences(train), hidden=16)
    examples, _ = training_examples(model, train)
    optimizer = Adam(model.parameters(), lr=0.02)
    rng = random.Random(0)
    for _ in range(60):
        loss = batch_loss(model, rng.sample(examples, 16))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    predicted = [model.parse(s) for s in held_out]
    uas, las = attachment_scores(held_out, predicted)
    assert uas > baseline_uas(held_out)[0] + 0.2 and 0.0 < las <= uas
    model.save(tmp_path / "parser.json")
    random.seed(1)
    again = Parser(Vocabulary.from_dict(json.loads(json.dumps(model.vocab.to_dict()))), hidden=16)
    again.load(tmp_path / "parser.json")
    assert [again.parse(s) for s in held_out] == predicted


# -------------------------------------------------------------- evaluation
def test_attachment_scores_on_a_hand_computed_example():
    gold = [CAT, Sentence(["dogs", "bark"], ["NOUN", "VERB"], [2, 0], ["nsubj", "root"])]
    predicted = [
        # heads: the->cat ok, cat->sat ok, sat->ROOT ok, on->mat WRONG, the->mat ok, mat->sat WRONG
        # labels right on: the, cat (nsubj), sat; the second "the" is labelled amod: head right, label wrong
        Sentence(CAT.words, CAT.tags, [2, 3, 0, 6, 6, 3], ["det", "nsubj", "root", "prep", "amod", "obj"]),
        # dogs->bark ok but labelled obj; bark->ROOT ok
        Sentence(["dogs", "bark"], ["NOUN", "VERB"], [2, 0], ["obj", "root"]),
    ]
    uas, las = attachment_scores(gold, predicted)
    assert uas == 6 / 8  # 4 of 6 heads, then 2 of 2
    assert las == 4 / 8  # the, cat, sat; then bark
    assert attachment_scores(gold, gold) == (1.0, 1.0)


def test_the_baseline_picks_the_better_side():
    # the -> cat -> sat: every head is the next word (UAS 1 for "next", 1/3 for "previous": sat's head ROOT)
    s = Sentence(["the", "cat", "sat"], ["DET", "NOUN", "VERB"], [2, 3, 0], ["det", "nsubj", "root"])
    assert baseline_uas([s]) == (1.0, "next")
    r = Sentence(["sat", "down", "here"], ["VERB", "ADV", "ADV"], [0, 1, 2], ["root", "advmod", "advmod"])
    assert baseline_uas([r]) == (1.0, "previous")
    # next: the->cat, cat->sat, the->mat right (3 of 6); previous: only on->sat (1 of 6)
    assert baseline_uas([CAT]) == (0.5, "next")


# -------------------------------------------------------------------- demo
def test_the_demo_quick_run_reports_scores_draws_the_tree_and_writes_results(tmp_path, capsys):
    from demos.cli import main

    out = tmp_path / "parse"
    assert main(["demo", "parse", "--quick", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "held-out (30 sentences): UAS" in stdout and "baseline (every word's head is its" in stdout
    assert "step by step" in stdout and "RIGHT-ARC(root)" in stdout and "ROOT -root-> " in stdout
    results = json.loads((out / "results.json").read_text())
    assert results["demo"] == "parse" and results["quick"] is True
    for key in ("uas", "las", "baseline_uas"):
        assert 0.0 <= results[key] <= 1.0
    svg = (out / "parse_tree.svg").read_text()
    assert "<svg" in svg and "telescope" in svg and ">root<" in svg
    saved = load_model(out / "model.json", kind="parser")  # one file: weights, settings, vocabulary
    assert saved.meta["quick"] is True and saved.model.config()["hidden"] == 32
    assert sorted(p.name for p in out.iterdir()) == ["model.json", "parse_tree.svg", "results.json"]


def test_the_demo_parses_a_users_sentence_with_the_saved_model_or_a_quick_one(tmp_path, capsys):
    from demos.cli import main

    out = tmp_path / "parse"
    assert main(["demo", "parse", "--out", str(out), "--sentence", "The zebra sat on the mat."]) == 0
    stdout = capsys.readouterr().out
    assert "no saved model" in stdout and "training a quick one" in stdout
    assert "words: the zebra sat on the mat" in stdout  # lowercased, punctuation dropped
    assert "unknown words" in stdout and "zebra" in stdout and "[UNK]" in stdout
    assert (out / "sentence_tree.svg").is_file()

    random.seed(0)
    model = Parser(Vocabulary.from_sentences(load_handwritten()), hidden=5)
    save_model(out / "model.json", model, meta={"quick": False})
    assert main(["demo", "parse", "--out", str(out), "--sentence", "the cat sat"]) == 0
    stdout = capsys.readouterr().out
    assert "using the model saved in" in stdout and "unknown words" not in stdout
    expected = model.parse(Sentence(["the", "cat", "sat"], ["DET", "NOUN", "VERB"]))
    for head, dep, label in expected.arcs():
        head_word = "ROOT" if head == 0 else expected.words[head - 1]
        assert f"{head_word} -{label}-> {expected.words[dep - 1]}" in stdout

    (out / "model.json").write_text("{truncated")
    with pytest.raises(SystemExit) as info:
        main(["demo", "parse", "--out", str(out), "--sentence", "the cat sat"])
    error = capsys.readouterr().err
    assert info.value.code == 2 and "cannot use the saved model: load_model(" in error
    assert "model.json'): not a complete JSON file (truncated?)" in error and "Traceback" not in error


def test_the_demo_refuses_a_saved_model_of_another_kind(tmp_path, capsys):
    from demos.cli import main

    save_model(tmp_path / "model.json", DigitCNN(channels=1))
    with pytest.raises(SystemExit) as info:
        main(["demo", "parse", "--out", str(tmp_path), "--sentence", "the cat sat"])
    error = capsys.readouterr().err
    assert info.value.code == 2 and "the file holds a 'digits' model, expected a 'parser' model" in error


def test_the_demo_refuses_an_empty_sentence(tmp_path, capsys):
    from demos.cli import main

    with pytest.raises(SystemExit) as info:
        main(["demo", "parse", "--out", str(tmp_path), "--sentence", " ... "])
    assert info.value.code == 2 and "at least one word" in capsys.readouterr().err


# ----------------------------------------------------------------- drawing
def test_draw_tree_labels_every_arc_escapes_words_and_marks_wrong_arcs_red():
    import viz

    words = ['say"hi', "<b>", "back\\slash"]
    gold = Sentence(words, ["X", "Y", "Z"], [2, 0, 2], ['l"1', "root", "l{2}"])
    predicted = Sentence(words, ["X", "Y", "Z"], [2, 0, 1], ['l"1', "root", "l{2}"])
    source = viz.draw_tree(predicted, gold=gold, title="a <title>").source
    assert 'label="say\\"hi\\nX 1"' in source and 'label="back\\\\slash\\nZ 3"' in source
    assert 'w2 -> w1 [label="l\\"1"]' in source  # right: the plain style
    assert 'w1 -> w3 [label="l{2}" color="#b2182b"' in source  # wrong head: red
    assert "red: 1 arc differs from the gold tree" in source
    svg = viz.render_bytes(viz.draw_tree(predicted, gold=gold), "svg", renderer="wasm").decode()
    assert "&lt;b&gt;" in svg and "<b>" not in svg and "back\\slash" in svg
    assert "every arc as in the gold tree" in viz.draw_tree(gold, gold=gold).source
