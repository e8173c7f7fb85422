"""`tinygrad-edu draw` / `step`, the expression whitelist, and `demo neuron`."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest

import viz.expr
from demos.cli import main
from tinygrad_edu import Value
from viz.expr import ExpressionError, build_expression, parse_assignments


# -------------------------------------------------------------- expressions
def test_an_expression_builds_the_same_graph_as_python():
    out = build_expression("(a*b + c).tanh()", {"a": 2, "b": -3, "c": 10})
    out.backward()
    a, b, c = Value(2.0), Value(-3.0), Value(10.0)
    expected = (a * b + c).tanh()
    expected.backward()
    assert out.data == expected.data
    leaves = {v.label: v.grad for v in out.topological_order() if not v.parents}
    assert leaves == {"a": a.grad, "b": b.grad, "c": c.grad}


def test_a_name_is_one_value_however_often_it_appears():
    out = build_expression("a*a + a", {"a": 3.0})
    out.backward()
    (a,) = [v for v in out.topological_order() if v.label == "a"]
    assert a.grad == 2 * 3.0 + 1


@pytest.mark.parametrize(
    "text, op, data",
    [
        ("tanh(a)", "tanh", math.tanh(0.5)),
        ("a.exp()", "exp", math.exp(0.5)),
        ("sigmoid(a) * 2", "*", 2 / (1 + math.exp(-0.5))),
        ("a ** 2", "**2.0", 0.25),
        ("a ** -1", "**-1.0", 2.0),
        ("2 ** a", "**", 2**0.5),
        ("-a", "neg", -0.5),
        ("+a - b", "-", 0.5 - 4.0),
        ("b / a", "/", 8.0),
        ("sum(a, b, 1)", "sum", 5.5),
        ("max(a, b, 1)", "max", 4.0),
        ("sum([a, b, 1])", "sum", 5.5),  # Python's own spelling
        ("max([a, b, 1])", "max", 4.0),
        ("dot([a, b], [b, 2])", "dot", 0.5 * 4 + 4 * 2),
        ("relu(b - a).abs().sqrt()", "sqrt", math.sqrt(3.5)),
        ("log(b) + a.sigmoid()", "+", math.log(4.0) + 1 / (1 + math.exp(-0.5))),
    ],
)
def test_every_allowed_form(text, op, data):
    out = build_expression(text, {"a": 0.5, "b": 4.0})
    assert out.op == op
    assert math.isclose(out.data, data)


def test_intermediate_nodes_are_labelled_with_their_source():
    out = build_expression("(a*b + c).tanh()", {"a": 2, "b": -3, "c": 10})
    labels = [v.label for v in out.topological_order()]
    assert labels == ["a", "b", "a*b", "c", "a*b + c", "L"]  # the output is L


@pytest.mark.parametrize(
    "text, refused",
    [
        ("__import__('os').system('echo hi')", "the method 'system'"),
        ("__import__('os')", "a call of '__import__'"),
        ("a.__class__", "the attribute '__class__'"),
        ("a.__class__.__mro__", "the attribute '__mro__'"),
        ("a.data", "the attribute 'data'"),
        ("a.backward()", "the method 'backward'"),
        ("a[0]", "a subscript"),
        ("(lambda: a)()", "calling something that is not an op name"),
        ("lambda: a", "a lambda"),
        ("x + 1", "the name 'x'"),
        ("open('f')", "a call of 'open'"),
        ("eval('1')", "a call of 'eval'"),
        ("a if a else a", "a conditional expression"),
        ("'text'", "the constant 'text'"),
        ("a < 1", "a comparison"),
        ("a and a", "'and'/'or'"),
        ("[a for a in b]", "a comprehension"),
        ("(a := 1)", "an assignment (:=)"),
        ("f'{a}'", "an f-string"),
        ("tanh(a, a)", "tanh() with 2 arguments"),
        ("tanh(x=a)", "the keyword argument 'x'"),
        ("a.tanh(1)", "arguments to .tanh()"),
        ("tanh", "the op name 'tanh' on its own"),
        ("sum(*a)", "a starred argument"),
        ("a @ a", "the operator MatMult"),
        ("~a", "the operator Invert"),
        ("True + a", "the constant True"),
        ("dot(a, a)", "this dot()"),
        ("(a, a)", "a tuple"),
    ],
)
def test_anything_else_is_refused_by_name(text, refused):
    with pytest.raises(ExpressionError) as error:
        build_expression(text, {"a": 1.0, "b": 2.0})
    assert str(error.value).startswith("refused: ")
    assert refused in str(error.value)


@pytest.mark.parametrize(
    "text, message",
    [
        ("import os", "not a single Python expression"),
        ("a = 1", "names the output .a., which --set already gives an input"),
        ("L = a = 1", "not a single Python expression"),
        ("a +", "not a single Python expression"),
        ("a / 0", "cannot compute the expression: '/': division by zero"),
        ("log(-a)", "cannot compute the expression: 'log'"),
        ("9 ** 9 ** 9 ** 9", "overflows"),
        ("a" + " + a" * 1500, "more than 2000"),
        ("-" * 1900 + "a", "nested too deeply"),
        ("(" * 300 + "a" + ")" * 300, "not a single Python expression"),
    ],
)
def test_bad_expressions_fail_cleanly(text, message):
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace("*", r"\*")):
        build_expression(text, {"a": 1.0})


def test_the_expression_module_never_evaluates_code():
    source = Path(viz.expr.__file__).read_text(encoding="utf-8")
    names = {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}
    assert not names & {"eval", "exec", "compile", "__import__"}


def test_set_assignments():
    assert parse_assignments(["a=2", "b=-3", "w_1=0.5"]) == {"a": 2.0, "b": -3.0, "w_1": 0.5}
    for bad, message in [
        (["a"], "NAME=NUMBER"),
        (["a=x"], "expected a number"),
        (["a=nan"], "finite"),
        (["a=1", "a=2"], "twice"),
        (["1a=2"], "not a usable name"),
        (["__class__=1"], "not a usable name"),
        (["tanh=1"], "the name of an op"),
        (["a=1", "\uff41=5"], "gives 'a' twice"),  # a fullwidth a is the name a to Python
    ]:
        with pytest.raises(ExpressionError, match=message):
            parse_assignments(bad)


# ---------------------------------------------------------------- commands
def test_draw_writes_the_graph(tmp_path, capsys):
    out = tmp_path / "graph.svg"
    code = main(["draw", "(a*b + c).tanh()", "--set", "a=2", "b=-3", "c=10", "--out", str(out)])
    assert code == 0
    text = out.read_text(encoding="utf-8")
    assert "<svg" in text and "a*b + c" in text and "grad" in text
    assert f"wrote {out}" in capsys.readouterr().out


def test_draw_writes_dot_source_without_grads(tmp_path):
    out = tmp_path / "graph.dot"
    assert main(["draw", "a*b", "--set", "a=2", "b=3", "--out", str(out), "--no-grad", "--no-legend"]) == 0
    source = out.read_text(encoding="utf-8")
    assert source.startswith("// computation graph of L") and "grad" not in source


def test_draw_refuses_unsafe_expressions_with_exit_code_2(tmp_path, capsys):
    out = tmp_path / "graph.svg"
    code = main(["draw", "__import__('os').system('touch pwned')", "--out", str(out)])
    assert code == 2
    assert "refused: the method 'system'" in capsys.readouterr().err
    assert not out.exists() and not Path("pwned").exists()


def test_draw_reports_a_missing_renderer(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot, and wasm writes no PNG
    code = main(["draw", "a*2", "--set", "a=1", "--out", str(tmp_path / "graph.png")])
    assert code == 1
    assert "writes SVG only" in capsys.readouterr().err


def test_step_prints_forward_and_every_backward_step(tmp_path, capsys):
    page = tmp_path / "steps.html"
    code = main(["step", "(a*b + c).tanh()", "--set", "a=2", "b=-3", "c=10", "--html", str(page)])
    assert code == 0
    stdout = capsys.readouterr().out
    assert "'a*b' = a * b = 2.0 * (-3.0) = -6.0" in stdout
    assert "[1/6] node L is the output: the output's grad starts at 1 (dL/dL = 1)" in stdout
    assert "d(a*b)/da = b = -3.0; a.grad 0.0 -> -0.00402285" in stdout
    assert "grads: dL/da = -0.00402285, dL/db = 0.0026819, dL/dc = 0.00134095" in stdout
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "<title>Backprop through L, step by step</title>" in page.read_text(encoding="utf-8")


def test_step_names_a_long_expressions_output_L_or_as_told(tmp_path, capsys):
    """Issue 24: the output of a longer expression was '#8' ('Backprop
    through #8', 'grads: d#8/dp')."""
    text = "(p*q).sigmoid() + log(p**2) - relu(q)"
    page = tmp_path / "s.html"
    assert main(["step", text, "--set", "p=3", "q=0.5", "--html", str(page)]) == 0
    stdout = capsys.readouterr().out
    assert "#8" not in stdout and "grads: dL/dp = 0.74124, dL/dq = -0.552561" in stdout
    assert "<title>Backprop through L, step by step</title>" in page.read_text(encoding="utf-8")
    assert main(["step", f"loss = {text}", "--set", "p=3", "q=0.5"]) == 0
    assert "grads: dloss/dp = 0.74124" in capsys.readouterr().out
    assert main(["step", "p = q*2", "--set", "p=3", "q=0.5"]) == 2  # p is an input already
    assert "names the output 'p', which --set already gives an input" in capsys.readouterr().err
    assert build_expression("L*2", {"L": 1.0}).label == "out"  # L is taken
    assert build_expression("a", {"a": 1.0}).label == "a"  # an input keeps its name


def test_step_refuses_an_unset_name(capsys):
    assert main(["step", "a*z", "--set", "a=1"]) == 2
    assert "the name 'z'" in capsys.readouterr().err


def test_neuron_demo_prints_the_steps_and_writes_svg_and_page(tmp_path, capsys):
    out = tmp_path / "neuron"
    assert main(["demo", "neuron", "--quick", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "o = tanh(x1*w1 + x2*w2 + b) = 0.7071" in stdout
    assert "d(tanh(n))/dn = 1 - tanh(n)**2 = 1 - o**2 = 0.5; n.grad 0.0 -> 0.5" in stdout
    assert "d(x1*w1)/dx1 = w1 = -3.0; x1.grad 0.0 -> -1.5" in stdout
    assert "do/dw1 = 1.0000, do/dw2 = 0.0000, do/db = 0.5000" in stdout
    assert "<svg" in (out / "neuron.svg").read_text(encoding="utf-8")
    assert "<svg" in (out / "neuron.html").read_text(encoding="utf-8")
    assert str(out / "neuron.html") in stdout


def test_a_fullwidth_name_is_the_same_name_as_python_reads_it(capsys):
    assert parse_assignments(["\uff41=5"]) == {"a": 5.0}
    assert build_expression("a + \uff41", {"a": 1.0}).data == 2.0  # one name, used twice
    assert main(["draw", "a+\uff41", "--set", "a=1", "\uff41=5"]) == 2
    assert "--set gives 'a' twice" in capsys.readouterr().err


def test_an_expression_may_start_with_a_minus_sign(tmp_path, capsys):
    out = tmp_path / "neg.dot"
    assert main(["draw", "-a*b", "--set", "a=2", "b=3", "--out", str(out)]) == 0
    assert "output -6" in capsys.readouterr().out
    assert main(["step", "--set", "a=2", "--", "-a"]) == 0
    assert "-a = -2.0" in capsys.readouterr().out.replace("'-a' = -a", "-a")


def test_step_refuses_a_page_name_that_is_not_html(tmp_path, capsys):
    for bad in ["p.png", ""]:
        with pytest.raises(SystemExit) as exit_info:
            main(["step", "a*b", "--set", "a=1", "b=2", "--html", str(tmp_path / bad) if bad else ""])
        assert exit_info.value.code == 2
        assert "--html takes a file name ending in .html" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["draw", "step"])
def test_a_file_that_cannot_be_written_is_a_message_and_exit_code_2(tmp_path, capsys, command):
    folder = tmp_path / "graph.html" if command == "step" else tmp_path / "graph.svg"
    folder.mkdir()  # a directory where the file should go
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    option = "--html" if command == "step" else "--out"
    paths = [folder, blocked / ("p.html" if command == "step" else "p.svg")]
    if command == "draw":
        paths.append(tmp_path)  # a folder with no suffix at all
    for path in paths:
        assert main([command, "a*b", "--set", "a=1", "b=2", option, str(path)]) == 2
        err = capsys.readouterr().err
        assert f"tinygrad-edu {command}: cannot write {str(path)!r}" in err and "Traceback" not in err


def test_piping_a_demo_into_head_ends_quietly(tmp_path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        f"{sys.executable} -m tinygrad_edu demo neuron --out {tmp_path} | head -3",
        shell=True,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert len(done.stdout.splitlines()) == 3
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
