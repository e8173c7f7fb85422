"""Module.save / Module.load: JSON, atomic writes, loads that change nothing on error."""

import json
import os
import random

import pytest

from tinygrad_edu import Value
from tinygrad_edu.nn import MLP, Linear, Module


def make_mlp(seed: int) -> MLP:
    random.seed(seed)
    return MLP(3, [4, 2])


def numbers(model):
    return [p.data for p in model.parameters()]


def test_round_trip_restores_every_number_exactly(tmp_path):
    original, other = make_mlp(0), make_mlp(1)
    assert numbers(original) != numbers(other)
    path = tmp_path / "model.json"
    original.save(path)
    other.load(path)
    assert numbers(other) == numbers(original)


def test_file_is_plain_json_with_pytorch_names(tmp_path):
    path = tmp_path / "linear.json"
    layer = Linear(3, 2)
    layer.save(path)
    document = json.loads(path.read_text())
    assert document["module"] == "Linear"
    assert set(document["state_dict"]) == {"weight", "bias"}
    assert len(document["state_dict"]["weight"]) == 2  # (out, in)
    assert len(document["state_dict"]["weight"][0]) == 3


def test_crash_mid_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    first = make_mlp(0)
    first.save(path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk pulled out mid-save")

    monkeypatch.setattr(os, "fsync", crash)  # fails after the data is half written
    with pytest.raises(OSError, match="disk pulled out"):
        make_mlp(1).save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]  # no temporary left behind


def test_crash_at_rename_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    make_mlp(0).save(path)
    before = path.read_bytes()
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError("power cut")))
    with pytest.raises(OSError, match="power cut"):
        make_mlp(1).save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda text: text[: len(text) // 2], "truncated"),
        (lambda text: "", "truncated"),
        (lambda text: json.dumps({"format": "something else"}), "not a tinygrad_edu model file"),
        (lambda text: text.replace('"module": "MLP"', '"module": "Linear"'), "holds a 'Linear'"),
    ],
)
def test_bad_files_raise_and_change_nothing(tmp_path, corrupt, message):
    path = tmp_path / "model.json"
    make_mlp(0).save(path)
    path.write_text(corrupt(path.read_text()))
    model = make_mlp(1)
    before = numbers(model)
    with pytest.raises(ValueError, match=message):
        model.load(path)
    assert numbers(model) == before


def test_other_architecture_raises_and_changes_nothing(tmp_path):
    path = tmp_path / "model.json"
    make_mlp(0).save(path)
    random.seed(2)
    wider = MLP(3, [5, 2])
    before = numbers(wider)
    with pytest.raises(ValueError, match="keys do not match"):
        wider.load(path)
    assert numbers(wider) == before


@pytest.mark.parametrize("bad", ["0.5", None, True, [1.0]])
def test_non_numeric_values_raise_and_change_nothing(tmp_path, bad):
    path = tmp_path / "model.json"
    make_mlp(0).save(path)
    document = json.loads(path.read_text())
    # Corrupt the LAST tensor, so a loader that copied as it checked would
    # already have changed the earlier ones.
    last = list(document["state_dict"])[-1]  # a neuron's bias: a scalar
    document["state_dict"][last] = bad
    path.write_text(json.dumps(document))
    model = make_mlp(1)
    before = numbers(model)
    with pytest.raises(ValueError, match=last):
        model.load(path)
    assert numbers(model) == before


def test_nan_in_file_is_refused(tmp_path):
    path = tmp_path / "model.json"
    make_mlp(0).save(path)
    document = json.loads(path.read_text())
    first = list(document["state_dict"])[0]
    document["state_dict"][first][0] = float("nan")
    path.write_text(json.dumps(document))  # json writes NaN, a non-standard literal
    model = make_mlp(1)
    before = numbers(model)
    with pytest.raises(ValueError, match="finite"):
        model.load(path)
    assert numbers(model) == before


def test_saving_a_non_finite_parameter_is_refused(tmp_path):
    model = make_mlp(0)
    model.parameters()[0].data = float("inf")
    with pytest.raises(ValueError, match=r"MLP.save: parameters \['layers.0.neurons.0.weight'\]"):
        model.save(tmp_path / "model.json")
    assert not (tmp_path / "model.json").exists()


class Assorted(Module):
    """Parameters in a dict of modules, a mixed list, a 3-D table and ragged rows."""

    def __init__(self, seed: int) -> None:
        random.seed(seed)
        self.heads = {"q": Linear(2, 1), "k": Linear(2, 1)}
        self.parts = [Linear(1, 1), Value(random.random())]
        self.cube = [[[Value(random.random()) for _ in range(2)] for _ in range(2)] for _ in range(2)]
        self.rows = [[Value(random.random()) for _ in range(n)] for n in (3, 1)]


def test_parameters_in_any_container_are_saved_and_load_back(tmp_path):
    path = tmp_path / "assorted.json"
    original, other = Assorted(0), Assorted(1)
    assert numbers(original) != numbers(other)
    original.save(path)
    saved = json.loads(path.read_text())["state_dict"]
    assert {"heads.q.weight", "heads.k.bias", "parts.1", "cube", "rows.0", "rows.1"} <= set(saved)
    other.load(path)  # the ragged rows used to save as [[a, b, c], [d]] and fail here
    assert numbers(other) == numbers(original)
    assert len(numbers(original)) == 3 + 3 + 2 + 1 + 8 + 4
