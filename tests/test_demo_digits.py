"""The digits demo: --quick runs, prints both models' accuracies and sizes,
and writes its pictures and results.json; the two models are the sizes the
docstring says, and they read the digits the way it says."""

from __future__ import annotations

import json

from demos import digits
from tinygrad_edu.datasets import load_digits


def test_quick_run_writes_pictures_and_results(tmp_path, capsys):
    out = tmp_path / "digits"
    assert digits.main(["--quick", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
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


def test_the_cnn_sees_an_image_and_the_mlp_a_vector_of_the_same_pixels():
    pixels, _ = load_digits()[0]
    image, vector = digits.as_image(pixels), digits.as_vector(pixels)
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
