"""Every file the package writes is written atomically (issue 23, item 1).

A run stopped mid-write (Ctrl-C, a full disk, a character with no UTF-8)
must leave the file that was there whole: a training player, a picture, a
page, a model, a vocabulary, results.json. Each writer below is stopped
half-way through its write by a KeyboardInterrupt, deterministically: every
file opened for writing while `interrupted_writes` runs writes half of what
it is given and then raises.
"""

from __future__ import annotations

import argparse
import builtins
import contextlib
import io
import os
from pathlib import Path

import pytest

import viz
from tinygrad_edu import Value
from tinygrad_edu.datasets.treebank import Sentence, write_conllu
from tinygrad_edu.nn import MLP
from tinygrad_edu.nn.module import write_atomically

OLD = "the file as it was before\n"


class HalfWritten:
    """A file that writes half of its first write, then is interrupted."""

    def __init__(self, file):
        self._file = file

    def write(self, data):
        self._file.write(data[: len(data) // 2])
        self._file.flush()
        raise KeyboardInterrupt

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._file.close()

    def __getattr__(self, name):
        return getattr(self._file, name)


@contextlib.contextmanager
def interrupted_writes(monkeypatch):
    real_open = io.open

    def opening(file, mode="r", *args, **kwargs):
        opened = real_open(file, mode, *args, **kwargs)
        return HalfWritten(opened) if any(c in mode for c in "wax+") else opened

    with monkeypatch.context() as patch:
        patch.setattr(io, "open", opening)
        patch.setattr(builtins, "open", opening)
        yield


def player(path):
    rec = viz.TrainingRecorder([Value(1.0, label="w")])
    rec.record(0, 1.0)
    return rec.write(path)


def figure(path):
    from demos.common import pyplot, save_figure

    fig, ax = pyplot().subplots()
    ax.plot([0, 1], [1, 0])
    return save_figure(fig, path)


def vectors(path):
    from demos.word2vec import write_vectors
    from tinygrad_edu.models.word2vec import Word2Vec

    return write_vectors(Word2Vec(["the", "cat"], dim=2), path)


def results(path):
    from demos.common import write_results

    args = argparse.Namespace(demo="moons", quick=True, seed=0)
    return write_results(path.parent, args, 1.0, train_accuracy=0.5)


WRITERS = {
    "training.html": player,
    "page.html": lambda path: viz.write_stepping_page(Value(2.0) * 3.0, path),
    "graph.dot": lambda path: viz.render(Value(2.0) * 3.0, path),
    "graph.svg": figure,
    "model.json": lambda path: MLP(2, [2]).save(path),
    "trees.conllu": lambda path: write_conllu(
        [Sentence(["a", "b"], ["X", "Y"], [2, 0], ["x", "root"])], path
    ),
    "vectors.txt": vectors,
    "results.json": results,
}


@pytest.mark.parametrize("name", WRITERS)
def test_a_write_stopped_half_way_leaves_the_old_file_whole(name, tmp_path, monkeypatch):
    path = tmp_path / name
    WRITERS[name](path)  # the writer works...
    assert path.stat().st_size > 0
    path.write_text(OLD, encoding="utf-8")
    with interrupted_writes(monkeypatch), pytest.raises(KeyboardInterrupt):
        WRITERS[name](path)  # ...and is stopped half-way
    assert path.read_text(encoding="utf-8") == OLD
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left behind


def test_a_training_player_whose_page_has_no_utf8_leaves_the_old_player_whole(tmp_path, monkeypatch):
    # The case: a lone surrogate (os.fsdecode of a non-UTF-8 name)
    # raised UnicodeEncodeError after the player was truncated to 0 bytes.
    path = player(tmp_path / "p.html")
    before = path.read_bytes()
    rec = viz.TrainingRecorder([Value(1.0, label=os.fsdecode(b"caf\xe9"))], title=os.fsdecode(b"caf\xe9"))
    rec.record(0, 1.0)
    rec.write(path)  # the page escapes it: written, as text \udce9
    assert "\\udce9" in path.read_text(encoding="utf-8")
    path.write_bytes(before)
    monkeypatch.setattr(viz.TrainingRecorder, "page", lambda self: "caf" + os.fsdecode(b"\xe9"))
    with pytest.raises(
        ValueError, match=r"TrainingRecorder.write\('.*p.html'\): the text has no UTF-8 for '\\udce9'"
    ):
        rec.write(path)
    assert path.read_bytes() == before


def test_write_atomically_names_the_character_it_cannot_write(tmp_path):
    path = tmp_path / "x.txt"
    with pytest.raises(
        ValueError, match=r"^here: the text has no UTF-8 for '\\udcff'.* at character 2; nothing"
    ):
        write_atomically(path, "ab\udcff", "here")
    assert not path.exists()
    write_atomically(path, b"\xff\x00", "here")  # bytes as they are
    assert Path(path).read_bytes() == b"\xff\x00"
