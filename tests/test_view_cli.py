"""tinygrad-edu view: a saved GPT or BERT in, one page out; bad input is a
message with exit code 2 and nothing written."""

from __future__ import annotations

import json
import random

import pytest

from demos.cli import main
from tinygrad_edu.datasets import CharTokenizer
from tinygrad_edu.models.bert import BERT, WordTokenizer
from tinygrad_edu.models.gpt import GPT
from tinygrad_edu.models.saved import save_model


@pytest.fixture
def gpt_file(tmp_path):
    random.seed(0)
    tok = CharTokenizer("abcdefghijklmnopqrstuvwxyz")
    model = GPT(tok.vocab_size, block_size=8, n_layer=1, n_embd=8, n_head=2)
    early = model.state_dict()
    random.seed(1)
    model = GPT(tok.vocab_size, block_size=8, n_layer=1, n_embd=8, n_head=2)
    path = tmp_path / "model.json"
    save_model(
        path,
        model,
        tok,
        meta={"demo": "gpt", "data": "first-names.txt"},
        snapshots=[{"step": 0, "state_dict": early}],
    )
    return path, model


def test_view_writes_the_page_and_the_json(gpt_file, tmp_path, capsys):
    path, model = gpt_file
    out, data = tmp_path / "v" / "model.html", tmp_path / "v.json"
    assert main(["view", str(path), "--prompt", ".emm", "--out", str(out), "--json", str(data)]) == 0
    view = json.loads(data.read_text(encoding="utf-8"))
    assert view["tokens"] == [".", "e", "m", "m"]
    assert [m["step"] for m in view["moments"]] == [0, None]
    assert view["scanned"]["documents"] > 0  # the names, named in the file's meta
    assert view["moments"][-1]["neurons"][0][0]["contexts"]
    assert 'id="model-view-data"' in out.read_text(encoding="utf-8")
    assert str(out) in capsys.readouterr().out


def test_view_warns_and_still_writes(gpt_file, tmp_path, capsys):
    path, _ = gpt_file
    out = tmp_path / "model.html"
    assert main(["view", str(path), "--prompt", ".Emma!abcdefghij", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "'E' is not in the vocabulary: read as 'e'" in err
    assert "'!' is not in the vocabulary: left out" in err
    assert "the context holds 8: showing the last 8" in err
    assert out.is_file()


def refused(argv, capsys, out) -> str:
    assert main(argv) == 2
    assert not out.exists(), "nothing is written"
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_an_empty_prompt_is_refused(gpt_file, tmp_path, capsys):
    path, _ = gpt_file
    out = tmp_path / "model.html"
    assert "prompt is empty" in refused(["view", str(path), "--prompt", " ", "--out", str(out)], capsys, out)


def test_a_truncated_or_hand_edited_file_is_refused(gpt_file, tmp_path, capsys):
    path, _ = gpt_file
    out = tmp_path / "model.html"
    text = path.read_text(encoding="utf-8")
    cut = tmp_path / "cut.json"
    cut.write_text(text[: len(text) // 2], encoding="utf-8")
    assert "cut.json" in refused(["view", str(cut), "--prompt", ".a", "--out", str(out)], capsys, out)
    edited = json.loads(text)
    edited["state_dict"]["wte.weight"][0] = [1.0]  # a row of the wrong length
    bad = tmp_path / "edited.json"
    bad.write_text(json.dumps(edited), encoding="utf-8")
    assert "edited.json" in refused(["view", str(bad), "--prompt", ".a", "--out", str(out)], capsys, out)
    missing = tmp_path / "nope.json"
    assert "nope.json" in refused(["view", str(missing), "--prompt", ".a", "--out", str(out)], capsys, out)


def test_a_model_of_another_kind_is_refused(tmp_path, capsys):
    from tinygrad_edu.models.word2vec import Word2Vec

    random.seed(0)
    path = tmp_path / "w2v.json"
    save_model(path, Word2Vec(["a", "b", "c"], dim=4, counts=[3, 2, 1]))
    out = tmp_path / "model.html"
    err = refused(["view", str(path), "--prompt", "a", "--out", str(out)], capsys, out)
    assert "'word2vec'" in err and "w2v.json" in err


def test_view_of_a_bert_fills_the_mask(tmp_path, capsys):
    random.seed(0)
    tok = WordTokenizer.from_sentences([["the", "cat", "sat"], ["the", "dog", "ran"]])
    model = BERT(tok.vocab_size, max_len=8, n_layer=1, d_model=8, n_head=2, tie_weights=True)
    path = tmp_path / "bert.json"
    save_model(path, model, tok, meta={"demo": "other"})
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat\nthe dog ran\n", encoding="utf-8")
    out, data = tmp_path / "model.html", tmp_path / "v.json"
    argv = ["view", str(path), "--prompt", "the [MASK] sat", "--out", str(out), "--json", str(data)]
    assert main([*argv, "--corpus", str(corpus)]) == 0
    view = json.loads(data.read_text(encoding="utf-8"))
    assert view["kind"] == "bert" and view["tokens"][view["selected"]] == "[MASK]"
    assert view["scanned"]["documents"] == 2


def test_view_of_a_text_model_reads_its_text_as_one_stream(tmp_path, capsys):
    random.seed(0)
    text = tmp_path / "mine.txt"
    text.write_text("the cat sat on the mat\nthe dog ran\n" * 3, encoding="utf-8")
    tok = CharTokenizer(set(text.read_text(encoding="utf-8")))
    model = GPT(tok.vocab_size, block_size=8, n_layer=1, n_embd=8, n_head=2)
    path = tmp_path / "model.json"
    save_model(path, model, tok, meta={"demo": "gpt", "stream": True, "text_file": str(text)})
    out, data = tmp_path / "model.html", tmp_path / "v.json"
    assert main(["view", str(path), "--prompt", "the ca", "--out", str(out), "--json", str(data)]) == 0
    view = json.loads(data.read_text(encoding="utf-8"))
    assert view["tokens"] == list("the ca")
    assert view["scanned"]["tokens"] == len(text.read_text(encoding="utf-8"))  # every character, in windows
    contexts = view["moments"][-1]["neurons"][0][0]["contexts"]
    assert all(len(c["before"]) < 8 for c in contexts)  # within one context window
