"""Module.save / Module.load: JSON, atomic writes, loads that change nothing on error."""

import json
import os
import random
import stat

import pytest

from tinygrad_edu import Value
from tinygrad_edu.nn import MLP, Linear, Module
from tinygrad_edu.nn import module as module_py


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


# ------------------------------------------------------------ load: size limit
def test_a_file_far_larger_than_the_model_is_refused_from_its_size_alone(tmp_path, monkeypatch):
    path = tmp_path / "huge.json"
    with open(path, "wb") as file:
        file.truncate(128 * 2**20)  # 128 MB, sparse: costs no disk
    layer = Linear(2, 1)  # 3 parameters
    before = numbers(layer)

    def no_reading(*args, **kwargs):
        raise AssertionError("load() opened the file instead of refusing it from its size")

    monkeypatch.setattr(module_py, "open", no_reading, raising=False)
    with pytest.raises(ValueError) as info:
        layer.load(path)
    message = str(info.value)
    assert f"Linear.load({str(path)!r})" in message
    assert "134,217,728 bytes" in message and "saves to at most" in message
    assert numbers(layer) == before


def test_a_file_the_size_of_the_model_loads_even_pretty_printed(tmp_path):
    path = tmp_path / "pretty.json"
    model = make_mlp(0)
    for p in model.parameters():
        p.data = -2.2250738585072014e-308  # the longest a float prints
    model.save(path)
    path.write_text(json.dumps(json.loads(path.read_text()), indent=8))
    make_mlp(1).load(path)


def test_a_file_larger_than_its_reported_size_is_read_only_up_to_the_limit(tmp_path, monkeypatch):
    """A device (/dev/zero reports size 0) or a file still growing: the read itself is bounded."""
    path = tmp_path / "growing.json"
    path.write_bytes(b" " * 2**20)
    real_stat = os.stat
    monkeypatch.setattr(
        os, "stat", lambda p, *a, **k: os.stat_result((0,) * 10) if p == str(path) else real_stat(p, *a, **k)
    )
    with pytest.raises(
        ValueError, match=r"Linear.load\(.*growing.json'\): the file is more than [\d,]+ bytes"
    ):
        Linear(1, 1).load(path)


def test_a_5000_digit_integer_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "digits.json"
    layer = Linear(1, 1)
    layer.save(path)
    document = '{"format": "tinygrad_edu.state_dict.v1", "module": "Linear", "state_dict": '
    path.write_text(document + '{"weight": [[' + "7" * 5000 + ']], "bias": [0.5]}}')
    before = numbers(layer)
    with pytest.raises(ValueError) as info:
        layer.load(path)
    assert f"Linear.load({str(path)!r})" in str(info.value)
    assert "digits" in str(info.value)
    assert numbers(layer) == before


# ------------------------------------------------------------ save: what it leaves behind
def test_overwriting_keeps_the_file_mode(tmp_path):
    path = tmp_path / "model.json"
    make_mlp(0).save(path)
    os.chmod(path, 0o644)
    make_mlp(1).save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    os.chmod(path, 0o640)
    make_mlp(2).save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_a_new_file_gets_the_mode_open_would_give(tmp_path):
    old = os.umask(0o022)
    try:
        make_mlp(0).save(tmp_path / "new.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.json").st_mode) == 0o644  # not mkstemp's 0600


def test_saving_through_a_symlink_writes_its_target(tmp_path):
    target = tmp_path / "runs" / "model.json"
    target.parent.mkdir()
    make_mlp(0).save(target)
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    make_mlp(1).save(link)
    assert link.is_symlink()
    other = make_mlp(2)
    other.load(target)
    assert numbers(other) == numbers(make_mlp(1))
    assert sorted(p.name for p in target.parent.iterdir()) == ["model.json"]


def assert_names_the_path_not_a_temporary(error: BaseException, path) -> None:
    message = str(error)
    assert f"MLP.save({str(path)!r})" in message, message
    assert ".tmp" not in message, message


@pytest.mark.parametrize(
    ("make_path", "error_type", "fragment"),
    [
        (lambda tmp: tmp / "missing" / "model.json", FileNotFoundError, "does not exist"),
        (lambda tmp: tmp, IsADirectoryError, "is a folder"),
    ],
    ids=["missing folder", "a folder as the path"],
)
def test_save_errors_name_the_users_path(tmp_path, make_path, error_type, fragment):
    path = make_path(tmp_path)
    with pytest.raises(error_type) as info:
        make_mlp(0).save(path)
    assert_names_the_path_not_a_temporary(info.value, path)
    assert fragment in str(info.value)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_save_of_an_empty_path_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"MLP.save\(''\): the path is empty"):
        make_mlp(0).save("")
    with pytest.raises(TypeError, match=r"MLP.save: path must be a str or os.PathLike, got int"):
        make_mlp(0).save(3)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_the_os_refuses_names_the_users_path(tmp_path, monkeypatch):
    """Simulated: this machine's tests may run as root, whom permissions never stop."""
    path = tmp_path / "model.json"
    real_open = os.open

    def refuse(name, *args, **kwargs):
        if os.path.dirname(name) == str(tmp_path):
            raise PermissionError(13, "Permission denied", name)
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(PermissionError) as info:
        make_mlp(0).save(path)
    assert_names_the_path_not_a_temporary(info.value, path)
    assert "Permission denied" in str(info.value) and str(tmp_path) in str(info.value)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_or_file_names_the_users_path(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    path = folder / "model.json"
    make_mlp(0).save(path)
    os.chmod(path, 0o444)
    with pytest.raises(PermissionError) as info:
        make_mlp(1).save(path)  # a rename would replace it: refuse as open() would
    assert_names_the_path_not_a_temporary(info.value, path)
    os.chmod(path, 0o644)
    os.chmod(folder, 0o555)
    try:
        with pytest.raises(PermissionError) as info:
            make_mlp(1).save(path)
        assert_names_the_path_not_a_temporary(info.value, path)
    finally:
        os.chmod(folder, 0o755)
