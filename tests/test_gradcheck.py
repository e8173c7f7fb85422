"""`gradcheck`: backward() against central finite differences, as a report."""

from __future__ import annotations

import pytest
from test_engine import OPS

import tinygrad_edu
from tinygrad_edu import Value, gradcheck
from tinygrad_edu.gradcheck import InputCheck


def test_a_smooth_function_passes_with_a_readable_report():
    report = gradcheck(lambda x, y: (x * y).tanh() + y.exp(), [0.5, -1.5])
    assert report.ok
    assert report.worst < 1e-8
    assert [c.index for c in report.inputs] == [0, 1]
    for check in report.inputs:
        assert check.analytic == pytest.approx(check.numeric, rel=1e-7)
    text = str(report)
    assert text.startswith("gradcheck: 2 inputs, worst relative error")
    assert text.splitlines()[0].endswith(": ok")
    assert "input 0: backward" in text and "input 1: backward" in text


def test_a_wrong_derivative_is_reported_as_FAILED():
    # Reading `.data` turns x into a constant the engine cannot see through:
    # backward() says d(x * x.data)/dx = x, finite differences say 2x.
    report = gradcheck(lambda x: x * x.data, [3.0])
    assert not report.ok
    (check,) = report.inputs
    assert check.analytic == 3.0
    assert check.numeric == pytest.approx(6.0, rel=1e-8)
    assert report.worst == pytest.approx(0.5, rel=1e-8)
    assert str(report).splitlines()[0] == (
        "gradcheck: 1 input, worst relative error 0.5 (tolerance 1e-05): FAILED"
    )


def test_only_the_input_with_the_wrong_gradient_is_flagged():
    report = gradcheck(lambda x, y: x * y.data + y, [2.0, 5.0])  # dy is wrong: 1 instead of x + 1
    good, bad = report.inputs
    assert good.relative_error < 1e-8
    assert bad.relative_error == pytest.approx(2.0 / 3.0, rel=1e-6)
    assert report.worst == bad.relative_error


def test_tolerance_decides_ok():
    assert gradcheck(lambda x: x * x.data, [3.0], tolerance=0.6).ok
    assert not gradcheck(lambda x: x * x.data, [3.0], tolerance=0.4).ok


def test_relative_error_is_absolute_for_small_gradients():
    assert InputCheck(0, 1e-9, 2e-9).relative_error == pytest.approx(1e-9)
    assert InputCheck(0, 100.0, 101.0).relative_error == pytest.approx(1 / 101)


def test_an_input_that_does_not_matter_has_gradient_zero():
    report = gradcheck(lambda x, y: x.exp(), [0.1, 7.0])
    assert report.ok and report.inputs[1].analytic == 0.0 and report.inputs[1].numeric == 0.0


def test_values_are_accepted_as_inputs():
    assert gradcheck(lambda x: x.log(), [Value(2.0)]).inputs[0].analytic == 0.5


@pytest.mark.parametrize("name", list(OPS))
def test_every_op_passes_gradcheck(name):
    f, points = OPS[name]
    for point in points:
        report = gradcheck(f, point)
        assert report.ok, f"{name} at {point}:\n{report}"


@pytest.mark.parametrize(
    ("f", "inputs", "exception_type", "fragment"),
    [
        (3.0, [1.0], TypeError, "callable"),
        (lambda x: x, [], ValueError, "at least one input"),
        (lambda x: x.data * 2, [1.0], TypeError, "return a Value, got float"),
        (lambda x: x, ["abc"], TypeError, "'abc'"),
        (lambda x: x, [True], TypeError, "bool"),
    ],
)
def test_errors(f, inputs, exception_type, fragment):
    with pytest.raises(exception_type, match="gradcheck") as info:
        gradcheck(f, inputs)
    assert fragment in str(info.value)


def test_gradcheck_is_exported():
    assert tinygrad_edu.gradcheck is gradcheck and "gradcheck" in tinygrad_edu.__all__
