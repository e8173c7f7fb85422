"""The training player: what it records is right, the page is small, and a
step opened through the URL fragment shows that step's numbers in Chromium."""

from __future__ import annotations

import json
import random
import re

import pytest
from test_viz_page import PWN_LABELS, XSS_LABELS, dump_dom, needs_chromium, parse

import viz
from demos.moons import loss_and_accuracy
from tinygrad_edu import Value
from tinygrad_edu.datasets import make_moons
from tinygrad_edu.nn import MLP
from tinygrad_edu.optim import SGD, Adam


def train_moons(steps: int, **options) -> tuple[viz.TrainingRecorder, MLP]:
    """The moons demo's run, recorded (the same calls the demo makes)."""
    random.seed(1337)
    points, labels = make_moons(100, noise=0.1, rng=random.Random(1337))
    model = MLP(2, [16, 16, 1])
    recorder = viz.TrainingRecorder(model, points=points, labels=labels, title="moons", **options)
    optimizer = SGD(model.parameters(), lr=0.5)
    for step in range(steps):
        loss, accuracy = loss_and_accuracy(model, points, labels)
        optimizer.zero_grad()
        loss.backward()
        recorder.record(step, loss.data, accuracy=accuracy)
        optimizer.step()
    return recorder, model


@pytest.fixture(scope="module")
def moons_run():
    return train_moons(12)


def embedded(page: str) -> dict:
    return json.loads(
        re.search(r'<script type="application/json" id="run">(.*?)</script>', page, re.S).group(1)
    )


# ---------------------------------------------------------- without a browser
def test_it_records_values_grads_and_the_update_the_optimizer_then_applied():
    w, b = Value(0.5, label="w"), Value(-1.0, label="b")
    recorder = viz.TrainingRecorder([w, b])
    optimizer = Adam([w, b], lr=0.1)
    before = []
    for step in range(4):
        loss = (w * 2.0 + b - 3.0) ** 2
        optimizer.zero_grad()
        loss.backward()
        recorder.record(step, loss, note=0.5)
        before.append((w.data, b.data, w.grad, b.grad))
        optimizer.step()
    assert [f["step"] for f in recorder.frames] == [0, 1, 2, 3]
    assert recorder.frames[0]["metrics"] == {"note": 0.5}
    for frame, (wd, bd, wg, bg) in zip(recorder.frames[:-1], before):
        assert frame["value"] == [float(f"{wd:.3g}"), float(f"{bd:.3g}")]
        assert frame["grad"] == [float(f"{wg:.3g}"), float(f"{bg:.3g}")]
    # Adam's update is not -lr * grad; the recorder measured what really happened.
    for frame, now, then in zip(recorder.frames, before[1:], before):
        assert frame["update"] == [float(f"{now[0] - then[0]:.3g}"), float(f"{now[1] - then[1]:.3g}")]
    assert recorder.frames[-1]["update"] is None  # the last step's update is measured at write time
    recorder.page()
    assert recorder.frames[-1]["update"] == [
        float(f"{w.data - before[-1][0]:.3g}"),
        float(f"{b.data - before[-1][1]:.3g}"),
    ]


def test_every_k_keeps_every_kth_step():
    w = Value(1.0)
    recorder = viz.TrainingRecorder([w], every=3)
    for step in range(10):
        w.grad = float(step)
        recorder.record(step, 1.0)
    assert [f["step"] for f in recorder.frames] == [0, 3, 6, 9]
    assert [f["grad"] for f in recorder.frames] == [[0.0], [3.0], [6.0], [9.0]]
    assert "4 recorded steps (every 3rd step, 0 to 9), 1 parameter." in recorder.page()
    assert recorder.cpu_seconds > 0 and recorder.seconds > 0  # a demo subtracts these from its training time
    assert [viz.training._ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "23rd",
        "101st",
        "111th",
    ]


def test_the_boundary_grid_is_the_sign_of_the_models_score(moons_run):
    recorder, model = moons_run
    scores = viz.mlp_grid_scores(model)(recorder.grid_x, recorder.grid_y)
    assert len(scores) == len(scores[0]) == 40
    for j in (0, 17, 39):
        for i in (0, 21, 39):
            assert scores[j][i] == pytest.approx(
                model([recorder.grid_x[i], recorder.grid_y[j]])[0].data, abs=1e-12
            )
    assert len(recorder.frames[-1]["grid"]) == 1600
    # A recording of the model as it is now holds these scores' letters.
    check = viz.TrainingRecorder(model, points=recorder.points, labels=recorder.labels)
    check.record(0, 1.0)
    assert check.frames[0]["grid"] == viz.training.grid_letters(scores)
    assert {c.isupper() for c in check.frames[0]["grid"]} == {True, False}  # both sides appear


def test_the_page_is_one_small_file_with_nothing_to_fetch():
    few = train_moons(4)[0].page()
    more = train_moons(14)[0].page()
    per_step = (len(more.encode()) - len(few.encode())) / 10
    projected = len(few.encode()) + 96 * per_step  # the demo's 100 recorded steps
    assert projected < 2_000_000, projected
    assert not re.search(r"\b(src|href)\s*=", more)
    urls = set(re.findall(r"https?://[^\s\"'<>]+", more))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls


def test_labels_and_title_are_escaped_in_the_html_and_the_json():
    a, b = Value(1.0, label=XSS_LABELS[0]), Value(2.0, label=XSS_LABELS[1])
    recorder = viz.TrainingRecorder([a, b], title="@DATA@ </script><img src=x>")
    recorder.record(0, 1.0)
    page = recorder.page()
    assert "<img" not in page and page.count("<script") == 2 and page.count("</script>") == 2
    data = re.search(r'id="run">(.*?)</script>', page, re.S).group(1)
    assert "<" not in data and ">" not in data and "&" not in data
    assert embedded(page)["names"] == XSS_LABELS


# ------------------------------------------------------------- in a browser
@needs_chromium
def test_a_step_opened_through_the_fragment_shows_its_numbers(moons_run, tmp_path):
    recorder, _model = moons_run
    path = recorder.write(tmp_path / "training.html")
    frame = recorder.frames[7]
    dom, log = dump_dom(path, "#step=7")
    page = parse(dom)
    assert "Uncaught" not in log
    assert page.text["counter"] == f"step 7 (8 of {len(recorder.frames)} recorded)"
    assert page.text["numbers"].startswith(f"loss {frame['loss']:.3g}, accuracy")
    # The table: largest |grad| first, with that parameter's value, grad and update.
    ranked = sorted(range(len(recorder.names)), key=lambda i: (-abs(frame["grad"][i]), i))
    for rank in (0, 1, 2, len(ranked) - 1):
        i = ranked[rank]
        cells = page.text[f"param-rank-{rank}"]
        assert cells.startswith(f"{rank + 1}{recorder.names[i]}"), cells
    top = ranked[0]
    shown = _fmt(frame["value"][top]) + _fmt(frame["grad"][top]) + _fmt(frame["update"][top])
    assert page.text["param-rank-0"] == f"1{recorder.names[top]}{shown}"
    # The decision boundary: each grid cell takes the side its letter says.
    letters = frame["grid"]
    for j, i in [(0, 0), (20, 20), (39, 39), (10, 30)]:
        side = "pos" if letters[j * 40 + i].isupper() else "neg"
        assert page.classes[f"cell-{j}-{i}"] == side


@needs_chromium
def test_a_step_that_was_not_recorded_opens_the_nearest_and_says_so(tmp_path):
    """Issue 24: the digits player at #step=300 opened step 294 without a word."""
    w = Value(1.0, label="w")
    recorder = viz.TrainingRecorder([w], title="every 10th step")
    for step in range(0, 50, 10):
        w.grad = 0.5
        recorder.record(step, 1.0 / (step + 1))
    path = recorder.write(tmp_path / "sparse.html")
    counter = parse(dump_dom(path, "#step=34")[0]).text["counter"]
    assert (
        counter
        == "step 30 (4 of 5 recorded): step 34 was not recorded; this is the last recorded step before it"
    )
    assert parse(dump_dom(path, "#step=30")[0]).text["counter"] == "step 30 (4 of 5 recorded)"


@needs_chromium
def test_hostile_names_run_no_script_in_the_player(tmp_path):
    a, b = Value(1.0, label=PWN_LABELS[0]), Value(2.0, label=PWN_LABELS[1])
    recorder = viz.TrainingRecorder([a, b], title=PWN_LABELS[1])
    for step in range(2):
        a.grad, b.grad = 1.0, -2.0
        recorder.record(step, 1.0 / (step + 1))
    path = recorder.write(tmp_path / "xss.html")
    page = parse(dump_dom(path, "#step=1")[0])
    assert not any("data-pwned" in attrs for _, attrs in page.tags)
    assert [tag for tag, _ in page.tags if tag == "img"] == []
    assert len([tag for tag, _ in page.tags if tag == "script"]) == 2
    assert page.text["param-rank-0"].startswith("1" + PWN_LABELS[1])  # |grad| 2 first, as text


def _fmt(x: float) -> str:
    """The page's number format (its fmt())."""
    if x == 0:
        return "0"
    if abs(x) >= 1e4 or abs(x) < 1e-3:
        mantissa, exponent = f"{x:.2e}".split("e")
        return f"{mantissa}e{int(exponent):+d}"
    return f"{float(f'{x:.3g}'):g}"


# ------------------------------------------------ issue 23: a size cap, as the stepping page's
def test_a_big_model_is_shown_by_its_largest_grads_and_the_page_says_so():
    # 10,000 parameters x 100 steps made a 21 MB page; it keeps max_params.
    params = [Value(0.0, label=f"w{i}") for i in range(50)]
    first_grads = [float((i * 37) % 50) - 24.5 for i in range(50)]
    for p, g in zip(params, first_grads):
        p.grad = g
    rec = viz.TrainingRecorder(params, max_params=10)
    rec.record(0, 1.0)
    for p in params:
        p.grad = 0.0  # later grads do not change the choice
    rec.record(1, 0.5)
    largest = sorted(range(50), key=lambda i: -abs(first_grads[i]))[:10]
    assert rec.names == [f"w{i}" for i in sorted(largest)]
    assert all(len(frame["grad"]) == 10 for frame in rec.frames)
    assert "10 parameters of 50: those with the largest |grad| at step 0 (max_params=10" in rec.page()
    uncut = viz.TrainingRecorder(params, max_params=50)
    uncut.record(0, 1.0)
    assert len(uncut.names) == 50 and "largest |grad| at step" not in uncut.page()


def test_max_params_is_checked():
    with pytest.raises(ValueError, match="max_params"):
        viz.TrainingRecorder([Value(1.0)], max_params=0)
