"""`tinygrad-edu demo translate`: the quick run writes its pictures and
results.json with the issue's keys; --sentence uses a saved model, and names
unknown words with exit code 2 and no traceback."""

from __future__ import annotations

import json
import random

import pytest

from demos import translate
from demos.cli import main
from tinygrad_edu.models.saved import load_model, save_model
from tinygrad_edu.models.translate import Seq2Seq, Vocab

KEYS = {
    "demo",
    "quick",
    "seed",
    "seconds",
    "exact_match",
    "beam_exact_match",
    "exact_match_long",
    "baseline_exact_match",
    "bleu",
    "model",
    "cpu_seconds",
}


def test_quick_run_writes_pictures_and_results(tmp_path, capsys):
    out = tmp_path / "translate"
    assert main(["demo", "translate", "--quick", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "--quick" in stdout and "no attention, greedy" in stdout and "exact match" in stdout
    for name in ("attention_alignment.svg", "accuracy_by_length.svg"):
        assert "<svg" in (out / name).read_text(encoding="utf-8")[:2000]
    results = json.loads((out / "results.json").read_text())
    assert set(results) == KEYS
    assert (
        results["quick"] is True and 0.0 <= results["exact_match"] <= 1.0 and 0.0 <= results["bleu"] <= 100.0
    )
    assert load_model(out / "model.json", kind="translate").meta["quick"] is True


def test_sentence_with_unknown_words_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["demo", "translate", "--out", str(tmp_path), "--sentence", "la maison bleu ciel xyz"])
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert "unknown words 'ciel', 'xyz'" in captured.err and "Traceback" not in captured.err


def test_sentence_uses_the_saved_model_and_its_vocabularies(tmp_path, capsys):
    random.seed(0)
    src, tgt = translate.vocabularies()
    model = Seq2Seq(src.size, tgt.size, **translate.SIZES, attention="dot")
    save_model(tmp_path / "model.json", model, (src, tgt), meta={"quick": False})
    # Typed as a person types it: the capital and the full stop are read away (issue 24).
    assert main(["demo", "translate", "--out", str(tmp_path), "--sentence", "La maison bleue."]) == 0
    stdout = capsys.readouterr().out
    assert f"using the model saved in {tmp_path / 'model.json'}\n" in stdout
    assert "greedy:" in stdout and "beam (4):" in stdout
    # The vocabulary comes from the file too: a model that knows only "maison" refuses "bleue".
    small_src, small_tgt = Vocab(["maison"]), Vocab(["house"])
    small = Seq2Seq(small_src.size, small_tgt.size, embedding_dim=2, hidden_size=2)
    save_model(tmp_path / "model.json", small, (small_src, small_tgt))
    with pytest.raises(SystemExit) as info:
        main(["demo", "translate", "--out", str(tmp_path), "--sentence", "la maison bleue"])
    assert info.value.code == 2 and "unknown words 'la', 'bleue'; the model knows 1 French words" in (
        capsys.readouterr().err
    )


def test_sentence_refuses_a_damaged_saved_model(tmp_path, capsys):
    (tmp_path / "model.json").write_text('{"format": "tinygrad_edu.model.v1", "kind": "translate"')
    with pytest.raises(SystemExit) as info:
        main(["demo", "translate", "--out", str(tmp_path), "--sentence", "la maison bleue"])
    error = capsys.readouterr().err
    assert (
        info.value.code == 2 and "not a complete JSON file (truncated?)" in error and "Traceback" not in error
    )
