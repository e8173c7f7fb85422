"""What every demo shares (demos/common.py): checked options, the --quick
notice, results.json. Every demo in DEMOS is run once with --quick here, so a
new demo that forgets results.json or the notice fails."""

from __future__ import annotations

import argparse
import json
import os
import re
import stat

import pytest

from demos import DEMOS, common
from demos.cli import main
from tinygrad_edu import Value
from tinygrad_edu.models.digits import DigitCNN
from tinygrad_edu.models.saved import load_model
from tinygrad_edu.optim import SGD

COMMON_KEYS = {"demo", "quick", "seed", "seconds"}
# The demos that train a whole system, and the kind of the one file they save it in.
SAVED_KINDS = {
    "gpt": "gpt",
    "bert": "bert",
    "translate": "translate",
    "parse": "parser",
    "word2vec": "word2vec",
    "digits": "digits",
}


def run_demo(name: str, *options: str) -> int:
    return main(["demo", name, *options])


def usage_error(capsys, name: str, *options: str) -> str:
    with pytest.raises(SystemExit) as info:
        run_demo(name, *options)
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.err


# ------------------------------------------------------------ bad options
BAD_OPTIONS = [
    ("moons", ["--steps", "0"], "--steps: expected a whole number >= 1, got 0"),
    ("moons", ["--steps", "-3"], "--steps: expected a whole number >= 1, got -3"),
    ("moons", ["--steps", "ten"], "--steps: expected a whole number >= 1, got 'ten'"),
    ("attention", ["--steps", "0"], "--steps"),
    ("attention", ["--batch", "0"], "--batch"),
    ("gpt", ["--samples", "0"], "--samples"),
    ("word2vec", ["--epochs", "0"], "--epochs"),
    ("word2vec", ["--dim", "0"], "--dim"),
    ("word2vec", ["--lr", "nan"], "--lr: expected a finite number > 0"),
    ("word2vec", ["--corpus", "/bin/ls"], "is not a UTF-8 text file"),
    ("word2vec", ["--corpus", "/no/such/file.txt"], "is not a file"),
    ("long-range", ["--models", "foo"], "unknown 'foo'; choose from rnn, lstm, attention"),
    ("long-range", ["--models", ","], "--models"),
    ("long-range", ["--distances", "2,0"], "--distances: expected whole numbers >= 1"),
    ("digits", ["--epochs", "0"], "--epochs: expected a whole number >= 1, got 0"),
    ("digits", ["--batch-size", "-2"], "--batch-size"),
    ("digits", ["--lr", "0"], "--lr: expected a finite number > 0"),
    ("bert", ["--batch", "0"], "--batch: expected a whole number >= 1, got 0"),
    ("bert", ["--d-model", "10", "--heads", "4"], "--d-model 10 must be divisible by --heads 4"),
]


@pytest.mark.parametrize(("name", "options", "message"), BAD_OPTIONS)
def test_a_bad_option_is_a_message_and_exit_code_2(name, options, message, capsys, tmp_path):
    error = usage_error(capsys, name, *options, "--out", str(tmp_path / "out"))
    assert f"tinygrad-edu demo {name}: error:" in error
    assert message in error
    assert not (tmp_path / "out").exists(), "nothing is written for a refused run"


def test_out_pointing_at_a_file_or_inside_one_is_refused(capsys, tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine\n")
    assert "is a file, not a folder" in usage_error(capsys, "moons", "--out", str(a_file))
    assert "is a file" in usage_error(capsys, "moons", "--out", str(a_file / "sub"))
    assert a_file.read_text() == "mine\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_out_in_a_read_only_folder_is_refused(capsys, tmp_path):  # pragma: no cover - CI runs as root
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    assert "permission denied" in usage_error(capsys, "moons", "--out", str(locked / "x"))


def test_a_word2vec_corpus_with_nothing_to_learn_is_refused(capsys, tmp_path):
    corpus = tmp_path / "one.txt"
    corpus.write_text("hello\n")
    error = usage_error(capsys, "word2vec", "--corpus", str(corpus), "--out", str(tmp_path / "o"))
    assert "no sentence of two or more words" in error


# ------------------------------------------------ every demo, --quick
@pytest.mark.parametrize("name", list(DEMOS))
def test_every_demo_says_quick_once_and_writes_results_json(name, tmp_path, capsys):
    out = tmp_path / name
    assert run_demo(name, "--quick", "--out", str(out), "--seed", "7") == 0
    stdout = capsys.readouterr().out
    assert stdout.startswith("--quick: "), "the notice comes first"
    assert stdout.count("--quick") == 1, "and is said once"
    if name != "neuron":  # one neuron has nothing to shorten, and says so instead
        assert stdout.startswith(common.QUICK_NOTICE)
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert COMMON_KEYS <= results.keys()
    assert results["demo"] == name and results["quick"] is True and results["seed"] == 7
    assert results["seconds"] >= 0
    # `seconds` is the whole run in every demo (moons once wrote its training
    # time there): each part of the wall time timed on its own fits inside it.
    for key, value in results.items():
        if key.endswith("seconds") and "cpu" not in key:
            assert value <= results["seconds"], f"{key} {value} > the whole run's {results['seconds']}"
    assert len(results) > len(COMMON_KEYS), "a demo writes its own figures too"
    assert str(out / "results.json") in stdout, "the demo says where it wrote it"
    for key, value in results.items():
        if "accuracy" in key and isinstance(value, float):
            assert 0.0 <= value <= 1.0, f"{key} is a fraction in 0..1, got {value}"
    if name in SAVED_KINDS:  # one file holds the trained system, and says it came from a --quick run
        saved = load_model(out / common.MODEL_FILE, kind=SAVED_KINDS[name])
        assert saved.meta["demo"] == name and saved.meta["quick"] is True and saved.meta["seed"] == 7
        assert str(out / common.MODEL_FILE) in stdout
        assert not [p.name for p in out.iterdir() if p.name.startswith(".")], "no temporary file left"


def test_moons_results_hold_what_it_printed(tmp_path, capsys):
    out = tmp_path / "moons"
    assert run_demo("moons", "--steps", "30", "--out", str(out)) == 0
    stdout = capsys.readouterr().out
    assert common.QUICK_NOTICE not in stdout
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["quick"] is False and results["steps"] == 30 and results["parameters"] == 337
    assert f"training accuracy {results['train_accuracy']:.0%}" in stdout
    assert f"loss {results['final_loss']:.4f}" in stdout


# ------------------------------------------------------------ the pieces
def test_a_quick_model_never_replaces_a_full_runs(tmp_path, capsys):
    full = argparse.Namespace(demo="digits", quick=False, seed=1)
    quick = argparse.Namespace(demo="digits", quick=True, seed=2)
    assert common.save_trained(full, tmp_path, DigitCNN(channels=1), steps=500) == [tmp_path / "model.json"]
    assert common.save_trained(quick, tmp_path, DigitCNN(channels=1)) == []
    assert "the fully trained model in" in capsys.readouterr().out
    assert load_model(tmp_path / "model.json").meta == {
        "demo": "digits",
        "quick": False,
        "seed": 1,
        "steps": 500,
    }
    common.save_trained(full, tmp_path, DigitCNN(channels=2))  # a full run replaces a full run
    assert load_model(tmp_path / "model.json").model.config() == {"channels": 2}
    (tmp_path / "model.json").write_text("{damaged")  # nothing worth keeping: a quick model replaces it
    assert common.save_trained(quick, tmp_path, DigitCNN(channels=1)) == [tmp_path / "model.json"]


def test_write_results_is_atomic_and_keeps_the_common_keys_first(tmp_path, monkeypatch):
    args = argparse.Namespace(demo="x", quick=False, seed=3)
    path = common.write_results(tmp_path, args, 2.0, score=0.25)
    assert list(json.loads(path.read_text())) == ["demo", "quick", "seed", "seconds", "score"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o644

    def crash(*_):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        common.write_results(tmp_path, args, 3.0, score=0.5)
    assert json.loads(path.read_text())["score"] == 0.25, "the old file is whole"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"], "no temporary file left"


def test_write_results_refuses_a_common_key_and_nan(tmp_path):
    args = argparse.Namespace(demo="x", quick=False, seed=3)
    with pytest.raises(ValueError, match="common keys"):
        common.write_results(tmp_path, args, 1.0, seed=4)
    with pytest.raises(ValueError):
        common.write_results(tmp_path, args, 1.0, loss=float("nan"))
    assert not (tmp_path / "results.json").exists()


def test_train_loop_decays_the_learning_rate_clips_and_restores_it():
    w = Value(10.0)
    opt = SGD([w], lr=0.5)
    seen = []

    def loss(step):
        seen.append(opt.lr)
        return w * w  # grad 2w = 20: clipped to 1

    losses = [loss_value for _, loss_value in common.train_loop(opt, loss, 4, decay_to=0.5, clip=1.0)]
    assert losses[0] == 100.0
    assert seen == [0.5, 0.5, 0.4375, 0.375]  # set after each loss: lr * (1 - 0.5 * step / 4)
    assert w.data == pytest.approx(10.0 - 0.5 - 0.4375 - 0.375 - 0.3125)  # each step moves lr * 1
    assert opt.lr == 0.5


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        (common.positive_int, "0"),
        (common.positive_int, "1.5"),
        (common.positive_float, "-1"),
        (common.positive_float, "inf"),
        (common.positive_ints, "3,,4"),
        (common.output_folder, ""),
    ],
)
def test_the_option_types_refuse(parse, text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse(text)


def test_the_option_types_accept():
    assert common.positive_int("3") == 3
    assert common.positive_float("0.5") == 0.5
    assert common.positive_ints("2,5,10") == [2, 5, 10]
    assert common.comma_list(["a", "b"])("b, a") == ["b", "a"]


def test_train_loop_pauses_the_cyclic_collector_during_a_step_only():
    import gc

    w = Value(1.0)
    opt = SGD([w], lr=0.1)
    during = []

    def loss(step):
        during.append(gc.get_threshold()[0] != 0)
        return w * w

    assert gc.isenabled()
    after_each = [gc.get_threshold()[0] != 0 for _ in common.train_loop(opt, loss, 3)]
    assert during == [False, False, False]  # a graph of Values has no cycles to collect
    assert after_each == [True, True, True]  # the caller's code between steps runs as usual
    gc.disable()
    try:
        list(common.train_loop(opt, loss, 1))
        assert not gc.isenabled(), "a collector the caller switched off stays off"
    finally:
        gc.enable()


def test_save_figure_keeps_what_hangs_below_the_figure(tmp_path):
    """Issue 24: the attention heat maps lost the bottom of "key: position /
    token", which their layout left partly below the figure's edge. The file
    is cropped to what is drawn, wherever it is."""
    plt = common.pyplot()
    fig, ax = plt.subplots(figsize=(4.0, 3.0), layout="constrained")
    ax.plot([0, 1], [0, 1])
    fig.text(0.5, -0.15, "a label under the bottom edge", ha="center")
    path = common.save_figure(fig, tmp_path / "below.svg")[0]
    height = float(re.search(r'<svg[^>]* height="([\d.]+)pt"', path.read_text(encoding="utf-8")).group(1))
    assert height > 3.0 * 72 + 0.15 * 3.0 * 72 * 0.8, height  # the file reaches down to the label


def test_label_points_keeps_close_words_apart():
    """Issue 24: BERT's word2vec panels wrote "money", "loan" and "cash" on
    top of each other."""
    plt = common.pyplot()
    fig, ax = plt.subplots(figsize=(3, 3))
    points = {"money": (0.50, 0.50), "loan": (0.505, 0.505), "cash": (0.51, 0.495), "river": (0.1, 0.9)}
    ax.scatter(*zip(*points.values()))
    common.label_points(ax, points, fontsize=8, bold=["money"])
    fig.canvas.draw()
    boxes = {t.get_text(): t.get_window_extent() for t in ax.texts}
    assert set(boxes) == set(points)
    for a, b in [("money", "loan"), ("money", "cash"), ("loan", "cash")]:
        assert not boxes[a].overlaps(boxes[b]), (a, b)
    assert [t.get_weight() for t in ax.texts if t.get_text() == "money"] == ["bold"]
    plt.close(fig)
