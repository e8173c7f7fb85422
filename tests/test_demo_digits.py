"""The digits demo: --quick runs, prints both models' accuracies and sizes,
and writes its pictures, its training player and results.json; the two
models are the sizes the docstring says, and they read the digits the way it
says; the player opens a step through the URL fragment in Chromium."""

from __future__ import annotations

import contextlib
import io
import json
import random
import re

import pytest
from test_viz_page import dump_dom, needs_chromium, parse

from demos import digits
from tinygrad_edu.datasets import as_image, as_vector, load_digits


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One --quick run for every test here: (its folder, what it printed)."""
    out, stdout = tmp_path_factory.mktemp("digits"), io.StringIO()
    with contextlib.redirect_stdout(stdout):  # capsys is for one test only
        assert digits.main(["--quick", "--out", str(out)]) == 0
    return out, stdout.getvalue()


def test_quick_run_writes_pictures_and_results(quick_run):
    out, stdout = quick_run
    assert "--quick" in stdout and "1370 parameters" in stdout and "1360 parameters" in stdout
    assert "CNN: test accuracy" in stdout and "MLP: test accuracy" in stdout
    for name in ("loss.svg", "kernels.png", "feature_maps.png", "confusion.svg", "misclassified.png"):
        assert (out / name).stat().st_size > 1000, name
        assert str(out / name) in stdout
    results = json.loads((out / "results.json").read_text())
    assert results["demo"] == "digits" and results["quick"] is True
    assert 0.0 <= results["test_accuracy"] <= 1.0 and 0.0 <= results["mlp_test_accuracy"] <= 1.0
    assert (results["parameters"], results["mlp_parameters"]) == (1370, 1360)
    assert results["seconds"] > 0 and results["test_digits"] == 100
    assert results["player_steps"] == 10 and results["player_cpu_seconds"] >= 0  # --quick: 10 steps, all kept
    assert str(out / "training.html") in stdout
    assert "training.html plays 10 of the CNN's 10 steps" in stdout


def test_the_full_runs_player_keeps_about_30_steps_and_stays_well_under_2_mb(quick_run):
    out, _ = quick_run
    assert [digits.player_every(steps) for steps in (10, 59, 60, 656)] == [1, 1, 2, 21]
    steps = len(digits.make_batches(1297, 16, 8, random.Random(0)))  # the default run's
    kept = len(range(0, steps, digits.player_every(steps)))
    assert (steps, kept) == (656, 32)
    per_step = (out / "training.html").stat().st_size / 10  # the quick page's 10 steps, and its code
    assert kept * per_step < 1_500_000


def run_data(page: str) -> dict:
    return json.loads(re.search(r'id="run">(.*?)</script>', page, re.S).group(1))


def test_the_player_records_the_cnn_with_each_batchs_accuracy(quick_run):
    out, _ = quick_run
    page = (out / "training.html").read_text(encoding="utf-8")
    assert "10 recorded steps (every step, 0 to 9), 1370 parameters" in page
    data = run_data(page)
    assert len(data["names"]) == 1370 and data["names"][:2] == [
        "conv.weight[0][0][0][0]",
        "conv.weight[0][0][0][1]",
    ]
    assert data["points"] == [] and "grid" not in data["frames"][0]  # no decision boundary for 64 inputs
    shares = {float(f"{right / 16:.3g}") for right in range(17)}  # 16 digits a batch, stored to 3 digits
    assert all(frame["metrics"]["batch_accuracy"] in shares for frame in data["frames"])
    assert len({frame["metrics"]["batch_accuracy"] for frame in data["frames"]}) > 1  # not one fixed number
    assert all(frame["update"] is not None for frame in data["frames"])


def test_loss_and_accuracy_counts_the_highest_score_as_the_guess():
    class Fixed:  # scores that do not depend on the input: it always guesses digit 3
        def __call__(self, x):
            return [digits.Value(1.0 if k == 3 else 0.0) for k in range(10)]

    loss, accuracy = digits.loss_and_accuracy(Fixed(), [None] * 4, [3, 3, 1, 7])
    assert accuracy == 0.5
    assert loss.data == pytest.approx(digits.batch_loss(Fixed(), [None] * 4, [3, 3, 1, 7]).data)


def test_the_cnn_sees_an_image_and_the_mlp_a_vector_of_the_same_pixels():
    pixels, _ = load_digits()[0]
    image, vector = as_image(pixels), as_vector(pixels)
    assert len(image) == 1 and len(image[0]) == 8 and len(image[0][0]) == 8
    assert vector == [p for row in image[0] for p in row]
    assert max(vector) <= 1.0 and min(vector) >= 0.0
    stages = digits.make_cnn().stages(image)
    shapes = {name: (len(t), len(t[0]), len(t[0][0])) for name, t in stages.items() if name != "scores"}
    assert shapes == {"conv": (8, 8, 8), "relu": (8, 8, 8), "pool": (8, 4, 4)}
    assert len(stages["scores"]) == 10 and len(digits.make_mlp()(vector)) == 10


def test_batches_cover_every_digit_once_per_epoch():
    import random

    batches = digits.make_batches(10, 4, 2, random.Random(0))
    assert [len(b) for b in batches] == [4, 4, 2, 4, 4, 2]
    assert sorted(i for b in batches[:3] for i in b) == list(range(10))
    assert sorted(i for b in batches[3:] for i in b) == list(range(10))


@needs_chromium
def test_a_step_of_the_player_opens_through_the_fragment(quick_run):
    out, _ = quick_run
    path = out / "training.html"
    data = run_data(path.read_text(encoding="utf-8"))
    frame = data["frames"][6]
    dom, log = dump_dom(path, "#step=6")
    page = parse(dom)
    assert "Uncaught" not in log
    assert page.text["counter"] == "step 6 (7 of 10 recorded)"
    assert (
        page.text["numbers"]
        == f"loss {frame['loss']:.3g}, batch accuracy {frame['metrics']['batch_accuracy']:.3g}"
    )
    assert "dashed: batch accuracy (0..1" in page.text["curve-caption"]
    assert "display: none" in page.attrs["boundary-box"].get("style", "")  # no empty boundary panel
    largest = max(range(1370), key=lambda i: (abs(frame["grad"][i]), -i))
    assert page.text["param-rank-0"].startswith("1" + data["names"][largest])
