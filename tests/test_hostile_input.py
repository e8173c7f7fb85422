"""Errors that name the file, the line or the module (issue 23, item 7),
and the CoNLL-U reader's tree check in linear time (item 5)."""

from __future__ import annotations

import gzip

import pytest

from tinygrad_edu.datasets import treebank
from tinygrad_edu.datasets.treebank import Sentence, format_conllu, parse_conllu, read_conllu
from tinygrad_edu.nn import MLP, Conv2d, Linear

GOOD = "# text = a b\n1\ta\t_\tX\t_\t_\t2\tdet\t_\t_\n"  # lines 1-2; line 3 is word 2


def word2(**fields: str) -> str:
    columns = {"ID": "2", "FORM": "b", "UPOS": "X", "HEAD": "0", "DEPREL": "root"} | fields
    return (
        "\t".join(
            [
                columns["ID"],
                columns["FORM"],
                "_",
                columns["UPOS"],
                "_",
                "_",
                columns["HEAD"],
                columns["DEPREL"],
                "_",
                "_",
            ]
        )
        + "\n"
    )


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (GOOD + word2(HEAD="²"), 3, "HEAD must be a word number (0 for the root) or _, got '²'"),
        (
            GOOD + word2(HEAD="7" * 5000),
            3,
            "HEAD 77777777777777777777... is not a word of this sentence of 2 words",
        ),
        (GOOD + word2(FORM="ice cream"), 3, "FORM 'ice cream' holds a space or a line break"),
        (GOOD + word2(DEPREL=""), 3, "DEPREL is empty"),
        (GOOD + word2(UPOS="NO UN"), 3, "UPOS 'NO UN' holds a space"),
        # A form feed, U+0085 or U+2028 in a field is not a line break: the bad word is on line 4.
        ("# c\n" + GOOD + word2(FORM="b\x0cc"), 4, "FORM 'b\\x0cc' holds a space or a line break"),
        ("# c\n" + GOOD + word2(FORM="b\x85c"), 4, "FORM 'b\\x85c' holds a space or a line break"),
        ("# c\n" + GOOD + word2(FORM="b\u2028c"), 4, "FORM 'b\\u2028c' holds a space or a line break"),
        ("# c\u2028still the comment\n" + GOOD + word2(HEAD="x"), 4, "HEAD must be a word number"),
    ],
)
def test_hostile_conllu_is_an_error_naming_the_file_and_the_true_line(text, line, fragment):
    with pytest.raises(ValueError) as info:
        parse_conllu(text, source="bank.conllu")
    assert str(info.value).startswith(f"bank.conllu, line {line}: "), info.value
    assert fragment in str(info.value)


def test_a_byte_order_mark_is_accepted():
    # It gave "ID must be 1, got '\ufeff1'".
    assert parse_conllu("\ufeff" + GOOD + word2()) == parse_conllu(GOOD + word2())
    assert parse_conllu("\ufeff" + GOOD + word2())[0].words == ["a", "b"]


def test_read_conllu_reads_gzip_and_names_the_file_and_line_of_a_bad_byte(tmp_path):
    sentences = parse_conllu(GOOD + word2() + "\n" + GOOD.replace("a", "c") + word2())
    packed = tmp_path / "bank.conllu.gz"
    packed.write_bytes(gzip.compress(format_conllu(sentences).encode("utf-8")))
    assert read_conllu(packed) == sentences
    cut = tmp_path / "cut.conllu.gz"
    cut.write_bytes(packed.read_bytes()[:-12])
    with pytest.raises(ValueError, match=rf"^{cut}: not a whole gzip file"):
        read_conllu(cut)
    latin = tmp_path / "latin.conllu"
    latin.write_bytes((GOOD + word2(FORM="café")).encode("latin-1"))
    with pytest.raises(ValueError, match=rf"^{latin}, line 3: byte 0xe9 is not UTF-8"):
        read_conllu(latin)


class CountingList(list):
    reads = 0

    def __getitem__(self, index):
        CountingList.reads += 1
        return super().__getitem__(index)


def test_the_tree_check_reads_each_head_a_bounded_number_of_times():
    # A chain (word i hangs on word i + 1) walked to the root from every
    # word read n^2 / 2 heads: 14 s for 16,000 words. Counted, not timed.
    n = 2000
    heads = CountingList([*range(2, n + 1), 0])
    CountingList.reads = 0
    treebank._check_tree(heads, "chain.conllu", 1)
    assert CountingList.reads <= 2 * n
    cycle = CountingList([2, 3, 1, 0])
    with pytest.raises(ValueError, match="chain.conllu, line 1: .* cycle of heads through word 1"):
        treebank._check_tree(cycle, "chain.conllu", 1)


def test_a_long_chain_parses():
    n = 3000
    rows = [f"{i}\tw\t_\tX\t_\t_\t{i + 1 if i < n else 0}\tdep\t_\t_" for i in range(1, n + 1)]
    (sentence,) = parse_conllu("\n".join(rows) + "\n")
    assert isinstance(sentence, Sentence) and sentence.heads[-1] == 0


# ------------------------------------------------------------ NumPy input
def test_linear_takes_numpy_vectors_and_arrays_as_pytorch_takes_tensors():
    np = pytest.importorskip("numpy")
    layer = Linear(3, 2)
    x = [[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]]
    want = [[v.data for v in row] for row in layer(x)]
    for given in ([np.array(x[0]), np.array(x[1])], np.array(x), (np.array(x[0]), np.array(x[1]))):
        # [array, array] said "expected an input vector of length 3, got length 2"
        assert [[v.data for v in row] for row in layer(given)] == want
    assert [v.data for v in layer(np.array(x[0]))] == want[0]
    model = MLP(3, [4, 1])
    assert model(np.array(x[1]))[0].data == model(x[1])[0].data
    with pytest.raises(
        ValueError, match=r"^Linear\(in_features=3, .*vector 1 of the sequence has length 2; expected 3"
    ):
        layer([np.ones(3), np.ones(2)])


def test_a_nan_pixel_names_the_convolution():
    conv = Conv2d(1, 1, 2)
    with pytest.raises(
        ValueError,
        match=r"^Conv2d\(1, 1, kernel_size=\(2, 2\).*: Value\(data\) needs a finite number, got nan",
    ):
        conv([[[1.0, float("nan")], [1.0, 1.0]]])


# ------------------------------------------------------- demo translate --sentence
def saved_toy_model(folder) -> None:
    """An untrained translator saved where --sentence looks (no training: seconds)."""
    import random

    from demos import translate
    from tinygrad_edu.models.saved import save_model
    from tinygrad_edu.models.translate import Seq2Seq

    random.seed(0)
    src, tgt = translate.vocabularies()
    model = Seq2Seq(src.size, tgt.size, **translate.SIZES, attention="dot")
    save_model(folder / "model.json", model, (src, tgt), meta={"quick": False, "max_train_words": 7})


def test_translate_refuses_a_sentence_over_the_documented_length(tmp_path, capsys):
    # 900 words took 86 s, growing with the square of the length.
    from demos import translate
    from demos.cli import main

    saved_toy_model(tmp_path)
    words = ("le chat noir mange la souris " * 200).split()
    sentence = " ".join(words[: translate.MAX_SENTENCE_WORDS + 1])
    with pytest.raises(SystemExit) as info:
        main(["demo", "translate", "--out", str(tmp_path), "--sentence", sentence])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "Traceback" not in err
    assert (
        f"--sentence has {translate.MAX_SENTENCE_WORDS + 1} words; at most {translate.MAX_SENTENCE_WORDS}"
        in err
    )


def test_translate_warns_when_a_sentence_is_longer_than_any_training_sentence(tmp_path, capsys):
    from demos.cli import main

    saved_toy_model(tmp_path)
    long = "le chat noir mange la souris grise sur la petite voiture jaune avec le grand bateau"
    assert main(["demo", "translate", "--out", str(tmp_path), "--sentence", long]) == 0
    assert "warning: 16 words, longer than any training sentence (7 words)" in capsys.readouterr().err
    assert main(["demo", "translate", "--out", str(tmp_path), "--sentence", "la maison bleue"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_translate_without_a_saved_model_is_seeded_before_the_model_is_built(tmp_path, capsys, monkeypatch):
    import random

    from demos import translate
    from demos.cli import main

    monkeypatch.setattr(translate, "train", lambda *args, **kwargs: None)  # the untrained fallback: seconds
    answers = []
    for disturbance in (1, 2):
        random.seed(disturbance)  # whatever ran before must not matter
        assert (
            main(["demo", "translate", "--out", str(tmp_path / "none"), "--sentence", "la maison bleue"]) == 0
        )
        answers.append(capsys.readouterr().out)
    assert answers[0] == answers[1] and "greedy:" in answers[0]
