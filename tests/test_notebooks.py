"""Every notebook in notebooks/ runs top to bottom in a fresh kernel.

They run in a kernel of this very Python (a kernel spec made for the test,
so a stray "python3" spec elsewhere cannot swap the interpreter), with this
checkout first on the path, and with the in-process WebAssembly Graphviz
forced, so a graph that shows here shows on a machine without ``dot``.

Needs the ``notebooks`` extra (``pip install -e ".[notebooks]"``). Without it
the tests are skipped on a developer's machine, but FAIL in CI (``CI=true``):
a CI that quietly skipped them would let the notebooks go stale.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _need(modules: tuple[str, ...], message: str) -> None:
    """Skip (fail, in CI) unless every module in `modules` imports; `message`
    says what is missing and how to install it."""
    try:
        for name in modules:
            importlib.import_module(name)
    except ImportError as error:
        message = message.format(error=error)
        if in_ci():
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)


def _need_extra():
    _need(
        ("ipykernel", "nbclient", "nbformat"),
        "the notebooks extra is not installed ({error}): pip install -e '.[notebooks]'",
    )


# Notebooks that move a model to PyTorch (the torch extra) and back.
NEEDS_TORCH = ("05_graduate_to_pytorch.ipynb",)


def _need_torch():
    _need(
        ("torch",),
        "this notebook needs PyTorch, which is not installed: "
        "python -m pip install torch --index-url https://download.pytorch.org/whl/cpu",
    )


def test_a_missing_torch_fails_in_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true: this notebook needs PyTorch"):
        _need_torch()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="download.pytorch.org/whl/cpu"):
        _need_torch()


def test_a_missing_extra_fails_in_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setitem(sys.modules, "nbclient", None)  # import nbclient now raises ImportError
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true: the notebooks extra is not installed"):
        _need_extra()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="pip install"):
        _need_extra()


def test_there_are_the_notebooks_the_readme_links():
    names = [path.name for path in NOTEBOOKS]
    assert names == [
        "01_backprop_by_hand.ipynb",
        "02_mlp_on_moons.ipynb",
        "03_attention_and_tiny_gpt.ipynb",
        "04_word_vectors_and_recurrent_nets.ipynb",
        "05_graduate_to_pytorch.ipynb",
        "06_differentiable_programming.ipynb",
    ]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in names:
        assert f"notebooks/{name}" in readme, name
        book = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))
        # Stored without outputs: what CI runs is what a learner gets.
        assert all(not cell.get("outputs") for cell in book["cells"]), name


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory, monkeypatch_module):
    _need_extra()
    spec_dir = tmp_path_factory.mktemp("jupyter") / "kernels" / "tinygrad-edu-test"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "tinygrad_edu test",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    monkeypatch_module.setenv("JUPYTER_PATH", str(spec_dir.parent.parent))
    monkeypatch_module.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    monkeypatch_module.setenv("TINYGRAD_EDU_RENDERER", "wasm")
    monkeypatch_module.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    return "tinygrad-edu-test"


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_notebook_runs_from_a_clean_kernel(path, kernel_name, tmp_path):
    if path.name in NEEDS_TORCH:
        _need_torch()
    import nbclient
    import nbformat

    book = nbformat.read(path, as_version=4)
    book.cells.append(
        nbformat.v4.new_code_cell(
            "import sys, tinygrad_edu\nprint(sys.executable)\nprint(tinygrad_edu.__file__)"
        )
    )
    client = nbclient.NotebookClient(
        book,
        kernel_name=kernel_name,
        timeout=300,
        resources={"metadata": {"path": str(tmp_path)}},  # files a notebook writes go here
    )
    client.execute()  # raises CellExecutionError, with the cell and the traceback, on any error
    executable, package = book.cells[-1].outputs[0]["text"].split()
    assert executable == sys.executable
    assert Path(package).resolve().is_relative_to(ROOT)  # this checkout, not an installed copy
    kinds = {kind for cell in book.cells for out in cell.get("outputs", []) for kind in out.get("data", {})}
    if not path.name.startswith(("04", "05")):
        assert "image/svg+xml" in kinds  # a graph drawn inline by viz's renderer
    if not path.name.startswith("01"):
        assert "image/png" in kinds  # a matplotlib figure inline
