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
    "data",
    "scored_on",
    "parameters",
    "transformer_exact_match",
    "transformer_bleu",
    "transformer_exact_match_long",
    "transformer_parameters",
    "transformer_cpu_seconds",
}
TATOEBA_KEYS = {
    "demo",
    "quick",
    "seed",
    "seconds",
    "data",
    "scored_on",
    "bleu",
    "exact_match",
    "baseline_bleu",
    "baseline_exact_match",
    "nearest_neighbour_bleu",
    "nearest_neighbour_exact_match",
    "test_sentences",
    "seen_target_fraction",
    "parameters",
    "steps",
    "epochs",
    "trainer",
    "model",
    "cpu_seconds",
}


def test_quick_run_writes_pictures_and_results(tmp_path, capsys):
    out = tmp_path / "translate"
    assert main(["demo", "translate", "--quick", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "--quick" in stdout and "GRU, no attention" in stdout and "exact match" in stdout
    assert "Transformer, greedy" in stdout
    for name in ("attention_alignment.svg", "transformer_alignment.svg", "accuracy_by_length.svg"):
        assert "<svg" in (out / name).read_text(encoding="utf-8")[:2000]
    results = json.loads((out / "results.json").read_text())
    assert set(results) == KEYS
    assert (
        results["quick"] is True and 0.0 <= results["exact_match"] <= 1.0 and 0.0 <= results["bleu"] <= 100.0
    )
    assert load_model(out / "model.json", kind="translate").meta["quick"] is True
    assert results["data"] == "toy" and results["transformer_parameters"] > 0


def test_a_model_that_wrote_no_word_gets_a_picture_that_says_so(tmp_path):
    random.seed(0)
    src, tgt = translate.vocabularies()
    model = Seq2Seq(src.size, tgt.size, embedding_dim=2, hidden_size=2)
    pairs = [("la maison bleue", "the blue house"), ("le chat", "the cat")]
    path = translate.plot_alignments(model, pairs, ["", ""], src, tgt, tmp_path / "a.svg", "GRU")
    assert "no attention map to draw" in path.read_text(encoding="utf-8")


def test_seeds_report_the_spread_on_the_validation_split(tmp_path, capsys):
    out = tmp_path / "seeds"
    assert main(["demo", "translate", "--quick", "--seeds", "3,4", "--validation", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "seed     3:" in stdout and "validation sentences" in stdout and "over 2 seeds: mean" in stdout
    results = json.loads((out / "results.json").read_text())
    assert results["seeds"] == [3, 4] and results["scored_on"] == "validation"
    assert (
        len(results["exact_match_by_seed"]) == 2 and results["exact_match_min"] <= results["exact_match_mean"]
    )


def test_tatoeba_quick_run_scores_against_every_reference(tmp_path, capsys):
    out = tmp_path / "real"
    assert main(["demo", "translate", "--data", "tatoeba", "--quick", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "nearest neighbour" in stdout and "held-out French sentences" in stdout
    results = json.loads((out / "results.json").read_text())
    assert set(results) == TATOEBA_KEYS and results["data"] == "tatoeba" and results["quick"] is True
    assert results["test_sentences"] == 40 and 0.0 < results["seen_target_fraction"] <= 1.0
    assert results["trainer"] == "engine" and results["steps"] == 6


def test_tatoeba_trained_by_the_torch_twin_comes_back_as_our_model(tmp_path, capsys):
    pytest.importorskip("torch")
    import torch

    from demos import translate_tatoeba

    threads = torch.get_num_threads()
    out = tmp_path / "real"
    assert (
        main(["demo", "translate", "--data", "tatoeba", "--trainer", "torch", "--quick", "--out", str(out)])
        == 0
    )
    assert torch.get_num_threads() == threads  # the one-thread loop gives the setting back
    stdout = capsys.readouterr().out
    assert "(torch trained it)" in stdout and "nearest neighbour" in stdout
    results = json.loads((out / "results.json").read_text())
    assert set(results) == TATOEBA_KEYS and results["trainer"] == "torch"
    # The saved model is ours, as wide as the torch settings say, and its
    # weights are the trained ones: not the ones a fresh model starts from.
    saved = load_model(out / "model.json", kind="translate")
    assert saved.meta["trainer"] == "torch" and isinstance(saved.model, Seq2Seq)
    assert saved.model.hidden_size == translate_tatoeba.TORCH_SIZES["hidden_size"]
    assert saved.model.scoring == translate_tatoeba.TORCH_ATTENTION == "additive"
    assert results["parameters"] == saved.model.num_parameters()


def test_trainer_torch_without_torch_is_a_message_not_a_traceback(tmp_path, capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    with pytest.raises(SystemExit) as info:
        main(
            [
                "demo",
                "translate",
                "--data",
                "tatoeba",
                "--trainer",
                "torch",
                "--quick",
                "--out",
                str(tmp_path),
            ]
        )
    error = capsys.readouterr().err
    assert info.value.code == 2 and "--trainer torch needs PyTorch" in error and "Traceback" not in error
    assert not (tmp_path / "real").exists()  # nothing made before the message


def test_torch_loop_changes_the_weights_it_copies_back():
    pytest.importorskip("torch")
    from demos import translate_tatoeba

    src, tgt = Vocab(["la", "maison"]), Vocab(["the", "house"])
    random.seed(0)  # the first weights; the loop's dropout is seeded from its rng
    model = Seq2Seq(src.size, tgt.size, embedding_dim=4, hidden_size=4)
    pairs = [(src.encode("la maison"), tgt.encode("the house"))]
    before = model.state_dict()
    losses = translate_tatoeba.train_in_torch(model, pairs, 30, 1, random.Random(0), "test", lr=0.05)
    assert len(losses) == 30 and losses[-1] < losses[0] / 2  # it learnt the one pair
    twin_again = Seq2Seq(src.size, tgt.size, embedding_dim=4, hidden_size=4)
    twin_again.load_state_dict(before)
    again = translate_tatoeba.train_in_torch(twin_again, pairs, 30, 1, random.Random(0), "test", lr=0.05)
    assert again == losses  # the same rng, the same dropout masks: a run repeats
    assert model.state_dict() != before
    with_ours = model.loss(src.encode("la maison"), tgt.encode("the house")).data
    assert with_ours < losses[0] / 2  # our engine, with the copied weights, agrees the loss fell


def test_options_of_the_other_data_set_are_usage_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["demo", "translate", "--data", "tatoeba", "--seeds", "1,2", "--out", str(tmp_path)])
    assert info.value.code == 2 and "--seeds is for the toy data" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["demo", "translate", "--seeds", "1,x", "--out", str(tmp_path)])
    assert info.value.code == 2 and "expected whole numbers separated by commas" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["demo", "translate", "--trainer", "torch", "--out", str(tmp_path)])
    assert info.value.code == 2 and "--trainer is for the real data" in capsys.readouterr().err


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


def test_tatoeba_sentence_uses_the_saved_real_model_and_names_unknown_words(tmp_path, capsys):
    from demos import translate_tatoeba

    with pytest.raises(SystemExit) as info:  # no model yet: a message, not a quick retrain
        main(["demo", "translate", "--data", "tatoeba", "--out", str(tmp_path), "--sentence", "je suis là ."])
    assert (
        info.value.code == 2
        and "run `tinygrad-edu demo translate --data tatoeba` first" in capsys.readouterr().err.lower()
    )
    random.seed(0)
    data = translate_tatoeba.tatoeba_data(1337, translate_tatoeba.FULL["min_count"])
    model = Seq2Seq(data.src.size, data.tgt.size, **translate_tatoeba.SIZES, attention="dot")
    save_model(tmp_path / "model.json", model, (data.src, data.tgt), meta={"quick": False, "data": "tatoeba"})
    sentence = "Je suis fatigué, xylophone !"
    assert (
        main(["demo", "translate", "--data", "tatoeba", "--out", str(tmp_path), "--sentence", sentence]) == 0
    )
    stdout = capsys.readouterr().out
    assert "je suis fatigué , xylophone !" in stdout and "greedy:" in stdout
    assert "unknown to the model (read as <unk>): xylophone;" in stdout


def test_one_shape_batches_cover_every_pair_once_each_batch_of_one_shape():
    from demos.translate_tatoeba import one_shape_batches

    rng = random.Random(3)
    pairs = [
        ([rng.randrange(9)] * rng.randint(1, 3), [rng.randrange(9)] * rng.randint(1, 3)) for _ in range(60)
    ]
    batches = one_shape_batches(pairs, 4, random.Random(0))
    assert sorted(p for b in batches for p in b) == sorted(pairs)
    assert all(1 <= len(b) <= 4 for b in batches)
    assert all(len({(len(s), len(t)) for s, t in b}) == 1 for b in batches)
    assert batches != one_shape_batches(pairs, 4, random.Random(1))  # the order is the rng's


def test_the_twins_dropout_trains_only_and_leaves_eval_equal_to_ours():
    torch = pytest.importorskip("torch")
    from tinygrad_edu.torch_bridge import to_torch

    random.seed(2)
    model = Seq2Seq(6, 7, 4, 5)
    src, tgt = [2, 5, 3], [4, 2, 6]
    twin = to_torch(model)
    twin.dropout = 0.5
    args = torch.tensor([src]), torch.tensor([tgt])
    ours = model.loss(src, tgt).data
    twin.eval()
    assert twin.loss(*args).item() == pytest.approx(ours, rel=1e-12)
    twin.train()
    torch.manual_seed(0)
    assert twin.loss(*args).item() != pytest.approx(ours, rel=1e-6)


def test_tatoeba_validation_scores_training_sentences_and_saves_no_model(tmp_path, capsys):
    from demos.translate_tatoeba import tatoeba_data

    test_split, validation_split = tatoeba_data(5, 2), tatoeba_data(5, 2, validation=True)
    held_out = {f for f, _ in test_split.test}
    assert not held_out & {f for f, _ in validation_split.train + validation_split.test}
    assert {f for f, _ in validation_split.test} <= {f for f, _ in test_split.train}
    out = tmp_path / "valid"
    assert main(["demo", "translate", "--data", "tatoeba", "--validation", "--quick", "--out", str(out)]) == 0
    assert "validation French sentences" in capsys.readouterr().out
    assert json.loads((out / "results.json").read_text())["scored_on"] == "validation"
    assert not (out / "model.json").exists()
