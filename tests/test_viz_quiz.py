"""The stepping page's quiz and its "Why this grad?" panel.

In Chromium the tests act as a learner does: they type answers with key
presses and press Enter (`cdp.Browser`, over the DevTools pipe), or click a
value, and read what the page then shows.
"""

from __future__ import annotations

import json
import re

import pytest
from cdp import Browser
from test_viz_page import CHROMIUM, PWN_LABELS, needs_chromium

import viz
from tinygrad_edu import Value
from viz.cli import step_main


def tour() -> Value:
    """The README's tour: L = tanh(a*b + c)."""
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    L = (a * b + c).tanh()
    L.label = "L"
    return L


def embedded(page: str) -> dict:
    return json.loads(
        re.search(r'<script type="application/json" id="frames">(.*?)</script>', page, re.S).group(1)
    )


# ---------------------------------------------------------- without a browser
def test_the_quiz_asks_every_edge_for_its_local_derivative():
    L = tour()
    data = embedded(viz.stepping_page(L, quiz=True))
    order = L.topological_order()
    n = len(order)
    asked = [(q["frame"], item[1]) for q in data["quiz"] for item in q["ask"]]
    expected = [
        (n + step, local)
        for step, node in enumerate(reversed(order))
        for local in node.local_grads  # the numbers backward() multiplies by
    ]
    assert asked == expected
    assert data["quiz"][0]["ask"][0][0] == "d(tanh(#4))/d#4"
    assert embedded(viz.stepping_page(L))["quiz"] is None  # an ordinary page asks nothing
    assert 'id="quiz"' not in viz.stepping_page(L)


def test_the_why_data_holds_each_grads_terms_at_the_step_they_arrive():
    x = Value(0.5, label="x")
    y = x * x + x.tanh()
    y.label = "y"
    data = embedded(viz.stepping_page(y))
    order = y.topological_order()
    n = len(order)
    y.backward()
    for i, v in enumerate(order):
        why = data["why"][i]
        terms = viz.explain_grad(v, y).contributions
        assert [t[1] for t in why["terms"]] == [str(c) for c in terms]
        assert [t[0] for t in why["terms"]] == [n + (n - 1 - c.user_index) for c in terms]
        assert why["total"] == viz.format_number(v.grad)
    assert len(data["why"][order.index(x)]["terms"]) == 3


def test_step_quiz_needs_a_page_and_prints_no_answers(tmp_path, capsys):
    assert (
        step_main(["a*b + c", "--set", "a=2", "b=-3", "c=10", "--quiz", "--html", str(tmp_path / "q.html")])
        == 0
    )
    out = capsys.readouterr().out
    assert "a quiz of 4 local derivatives" in out and "d(" not in out  # no rule, no number given away
    assert '"quiz":[{' in (tmp_path / "q.html").read_text(encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        step_main(["a*b", "--set", "a=2", "b=3", "--quiz"])
    assert exit_info.value.code == 2
    assert "--quiz makes a page" in capsys.readouterr().err


# ------------------------------------------------------------- in a browser
@needs_chromium
def test_typing_a_right_and_a_wrong_answer(tmp_path):
    L = tour()
    path = viz.write_stepping_page(L, tmp_path / "quiz.html", quiz=True)
    order = L.topological_order()
    n = len(order)
    local = L.local_grads[0]  # d tanh(u)/du = 1 - tanh(u)**2 = 0.00134095
    with Browser(CHROMIUM) as browser:
        browser.open(path.as_uri() + f"#step={n + 3}")  # asks to go past the first question
        assert browser.text("counter") == f"step {n + 1} of {2 * n}"  # held at the first question
        assert browser.evaluate("document.activeElement.id") == "quiz-answer-0"  # ready to type
        assert browser.text("explain") == ""  # the rule and the numbers are not shown yet
        assert browser.text(f"grad-n{n - 2}") == "0.0000"  # nor the grad L hands to its parent
        assert browser.text(f"grad-n{n - 1}") == "1.0000"  # L's own grad is known before its step

        browser.type(f"{local:.3g}")  # 0.00134: right, within 1%
        browser.press("Enter")
        assert browser.text("quiz-result").startswith("right: d(tanh(#4))/d#4 = 0.00134095")
        assert "passes grad 1.0 to #4" in browser.text("explain")  # revealed
        assert browser.text(f"grad-n{n - 2}") == "0.0013"
        assert browser.text("score") == "score: 1 of 1 right (4 to go)"

        browser.press("ArrowRight")  # on to '+': two answers, d/d#2 = 1 and d/dc = 1
        assert browser.evaluate("document.activeElement.id") == "quiz-answer-0"
        browser.type("-1")  # wrong (and typing '-' and '1' neither zoomed nor stepped)
        browser.press("Enter")  # to the second box
        browser.type("1")
        browser.press("Enter")
        result = browser.text("quiz-result")
        assert "wrong: d(#2 + c)/d#2 = 1 (you typed -1)" in result
        assert "right: d(#2 + c)/dc = 1" in result
        assert browser.evaluate("document.getElementById('quiz-answer-0').className") == "wrong"
        assert browser.text("score") == "score: 2 of 3 right (2 to go)"

        browser.press("ArrowRight")  # a leaf (c): nothing to ask
        browser.press("ArrowRight")  # '*': d(a*b)/da = b = -3, d(a*b)/db = a = 2
        browser.type("-3")
        browser.press("Enter")
        browser.type("2.0")
        browser.press("Enter")
        for _ in range(3):
            browser.press("ArrowRight")
        assert browser.text("counter") == f"step {2 * n} of {2 * n}"
        assert browser.text("score") == "Done: 4 of 5 right"
        assert browser.text(f"grad-n{order.index(L.parents[0].parents[0].parents[0])}") == "-0.0040"  # a.grad


@needs_chromium
def test_selecting_a_value_shows_its_grad_as_a_sum_so_far(tmp_path):
    x = Value(0.5, label="x")
    y = x * x + x.tanh()
    y.label = "y"
    path = viz.write_stepping_page(y, tmp_path / "why.html")
    order = y.topological_order()
    n, xi = len(order), order.index(x)
    tanh_step = n + (n - 1 - order.index(y.parents[1]))  # the frame where tanh hands x its term
    with Browser(CHROMIUM) as browser:
        browser.open(path.as_uri() + f"#step={tanh_step + 1}")
        browser.evaluate(
            f"document.getElementById('n{xi}').dispatchEvent(new MouseEvent('click', {{bubbles: true}}))"
        )
        text = browser.text("why")
        assert text.startswith(f"x.grad is 0.7864 at step {tanh_step + 1}")
        assert "from #2 (tanh(x)): 1.0 x 0.786448 = 0.786448" in text
        assert text.count("still to come: from #1") == 2  # x*x has not had its turn yet
        # The last step: every term is in, and the total is backward()'s.
        browser.evaluate(f"location.hash = '#step={2 * n}'")
        browser.evaluate("0")  # let the hashchange run
        text = browser.text("why")
        y.backward()
        assert "still to come" not in text and f"total: {viz.format_number(x.grad)}" in text
        assert "selected" in browser.evaluate(f"document.getElementById('row-n{xi}').className")
        # From the keyboard: a row takes the focus (Tab) and Enter selects it.
        root_row = f"row-n{n - 1}"
        assert browser.evaluate(f"document.getElementById('{root_row}').tabIndex") == 0
        browser.evaluate(f"document.getElementById('{root_row}').focus()")
        browser.press("Enter")
        assert browser.text("why").startswith("y.grad is 1.0000")
        assert "it is the output" in browser.text("why")


@needs_chromium
def test_hostile_labels_run_no_script_in_the_quiz(tmp_path):
    a, b = Value(2.0, label=PWN_LABELS[0]), Value(3.0, label=PWN_LABELS[1])
    out = a * b
    out.label = "out"
    path = viz.write_stepping_page(out, tmp_path / "xss.html", quiz=True)
    text = path.read_text(encoding="utf-8")
    assert text.count("<script") == 2 and "<img" not in text
    with Browser(CHROMIUM) as browser:
        browser.open(path.as_uri() + "#step=4")
        assert browser.evaluate("document.documentElement.getAttribute('data-pwned')") is None
        assert browser.evaluate("document.images.length") == 0
        assert browser.evaluate("document.scripts.length") == 2
        labels = browser.evaluate(
            "Array.from(document.querySelectorAll('#quiz label')).map(l => l.textContent)"
        )
        assert "data-pwned" in labels[0] and labels[0].endswith(" =")  # the label shows as text
        browser.evaluate("document.getElementById('row-n0').click()")
        assert browser.text("why").startswith(repr(PWN_LABELS[0]) + ".grad")
        assert browser.evaluate("document.documentElement.getAttribute('data-pwned')") is None


@needs_chromium
def test_an_answer_worked_out_from_the_shown_numbers_is_right(tmp_path):
    """Issue 24: the data column showed a = 0.0012 for 0.00123, and 1/0.0012
    (833) was marked wrong against 1/0.00123 (813)."""
    path = tmp_path / "q.html"
    assert step_main(["a.log() * b", "--set", "a=0.00123", "b=2", "--quiz", "--html", str(path)]) == 0
    names = [node["name"] for node in embedded(path.read_text(encoding="utf-8"))["nodes"]]
    assert names[0] == "a" and names[2] == "b"  # a, log(a), b, the product
    with Browser(CHROMIUM) as browser:
        browser.open(path.as_uri() + "#step=8")  # held at the first question, after the forward pass
        shown = [float(browser.text(f"data-n{i}")) for i in range(4)]
        assert browser.text("data-n0") == "0.00123"
        browser.type(repr(shown[2]))  # d(log(a)*b)/d log(a) = b
        browser.press("Enter")
        browser.type(repr(shown[1]))  # d(log(a)*b)/db = log(a)
        browser.press("Enter")
        browser.press("ArrowRight")  # b: a leaf, nothing to ask
        browser.press("ArrowRight")  # log: d(log(a))/da = 1/a
        browser.type(repr(1 / shown[0]))
        browser.press("Enter")
        debug = [browser.text(x) for x in ("counter", "score", "quiz-question", "quiz-result")]
        assert browser.text("quiz-result").startswith("right: d(log(a))/da"), debug
        assert browser.text("score").startswith("score: 3 of 3 right")


def test_the_quiz_question_and_column_carry_six_significant_digits():
    a, b = Value(0.00123, label="a"), Value(2.0, label="b")
    L = a.log() * b
    data = embedded(viz.stepping_page(L, quiz=True))
    assert data["nodes"][0]["exact"] == "0.00123"
    assert data["nodes"][0]["data"] == "0.0012"  # the box keeps draw_dot's 4 decimals
    assert f"= {viz.format_exact(L.data)} is about" in data["quiz"][0]["head"]
    assert viz.format_exact(L.data) == "-13.4015"
