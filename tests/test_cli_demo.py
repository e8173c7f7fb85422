"""The command line and the moons demo: `tinygrad-edu demo moons` writes its
pictures where it says it does, and the full run reaches 100% accuracy."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from demos.cli import main

OUTPUTS = ("loss.svg", "decision_boundary.svg")


def assert_svg(path: Path) -> None:
    assert path.is_file(), f"{path} was not written"
    assert "<svg" in path.read_text(encoding="utf-8")[:2000], f"{path} is not an SVG"


def test_moons_quick_writes_its_pictures_and_says_where(tmp_path, capsys):
    out = tmp_path / "moons"
    assert main(["demo", "moons", "--quick", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "MLP(2 -> 16 -> 16 -> 1" in stdout and "337 parameters" in stdout
    assert re.search(r"after 20 steps .*training accuracy \d+%", stdout)
    assert "wrote:" in stdout
    for name in OUTPUTS:
        assert_svg(out / name)
        assert str(out / name) in stdout
    player = (out / "training.html").read_text(encoding="utf-8")
    assert str(out / "training.html") in stdout
    assert "20 recorded steps (every step, 0 to 19), 337 parameters" in player


def test_moons_full_run_reaches_100_percent_in_the_default_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "moons"]) == 0
    stdout = capsys.readouterr().out
    assert "after 100 steps" in stdout
    assert "training accuracy 100%" in stdout, stdout
    default = Path("tinygrad-edu-output") / "moons"
    for name in OUTPUTS:
        assert_svg(tmp_path / default / name)
        assert str(default / name) in stdout
    player = tmp_path / default / "training.html"
    assert "100 recorded steps (every step, 0 to 99)" in player.read_text(encoding="utf-8")
    assert player.stat().st_size < 2_000_000  # the budget for the page


def test_demo_without_a_name_lists_the_demos(capsys):
    assert main(["demo"]) == 0
    assert "moons" in capsys.readouterr().out


def test_an_unknown_demo_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["demo", "no-such-demo"])
    assert info.value.code == 2
    error = capsys.readouterr().err
    assert "unknown demo 'no-such-demo'" in error and "moons" in error


def test_python_dash_m_runs_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_edu", "demo", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "moons" in result.stdout
