"""Anomaly mode: the first NaN or infinity names its op, its operands and the
line of the caller's code that made it; outside the mode nothing is checked."""

from __future__ import annotations

import gc
import inspect
import math
import random
import threading
import weakref

import pytest

from tinygrad_edu import Value, detect_anomaly, recording
from tinygrad_edu import functional as tf
from tinygrad_edu.nn import MLP

HERE = "test_anomaly.py"


def next_line() -> int:
    """The line number after the caller's line."""
    return inspect.currentframe().f_back.f_lineno + 1


def test_forward_inf_names_the_op_the_operands_and_the_line():
    x = Value(1e200)
    with pytest.raises(FloatingPointError) as info, detect_anomaly():
        line = next_line()
        x * x
    message = str(info.value)
    assert "'*' produced inf from operands (1e+200, 1e+200)" in message
    assert f"{HERE}:{line}" in message


def test_forward_nan_is_caught():
    x = Value(1.0)
    x.data = math.inf  # as an optimizer step with an infinite gradient would leave it
    with pytest.raises(FloatingPointError, match=r"'\*' produced nan from operands \(inf, 0.0\)"):
        with detect_anomaly():
            x * 0


def test_a_non_finite_local_derivative_is_caught():
    with pytest.raises(FloatingPointError) as info, detect_anomaly():
        line = next_line()
        Value(5e-324).log()  # log is finite (-744.4), but 1/a is inf
    message = str(info.value)
    assert "'log' has a non-finite local derivative (inf,) at operands (5e-324,)" in message
    assert f"{HERE}:{line}" in message


def test_the_site_is_the_callers_line_not_the_librarys():
    with pytest.raises(FloatingPointError) as info, detect_anomaly():
        line = next_line()
        tf.l2([Value(1e200), Value(1.0)])  # the dot inside l2 overflows
    message = str(info.value)
    assert "'dot' produced inf" in message
    assert f"{HERE}:{line}" in message and "functional.py" not in message


def test_backward_non_finite_grad_names_the_op_and_where_it_was_made():
    a = Value(1e-300)
    with detect_anomaly():
        line = next_line()
        b = a * 1e300  # data about 1, but d(b)/d(a) = 1e300
        c = b * 1e300  # d(c)/d(b) = 1e300: a.grad = 1e300 * 1e300 = inf
        with pytest.raises(FloatingPointError) as info:
            c.backward()
    message = str(info.value)
    assert message.startswith("backward through '*' (grad 1e+300")
    assert "non-finite gradient to its operands (1e-300, 1e+300)" in message
    assert f"{HERE}:{line}" in message


def test_backward_inside_the_mode_through_a_graph_made_outside_it():
    a = Value(1e-300)
    c = (a * 1e300) * 1e300
    with pytest.raises(FloatingPointError, match="made outside detect_anomaly"), detect_anomaly():
        c.backward()


def test_outside_the_mode_the_op_refuses_an_overflow_and_no_checker_is_installed():
    assert recording.current_anomaly_checker() is None
    with pytest.raises(OverflowError, match=r"'\*': the result overflows a float \(gives inf\)"):
        Value(1e200) * Value(1e200)  # the engine's own check: no site, no FloatingPointError
    with detect_anomaly():
        assert recording.current_anomaly_checker() is not None
    assert recording.current_anomaly_checker() is None


def test_the_mode_is_switched_off_after_an_error_and_restored_when_nested():
    with pytest.raises(ZeroDivisionError), detect_anomaly():
        Value(1.0) / 0
    assert recording.current_anomaly_checker() is None
    with detect_anomaly():
        outer = recording.current_anomaly_checker()
        with detect_anomaly():
            assert recording.current_anomaly_checker() is not outer
        assert recording.current_anomaly_checker() is outer
    assert recording.current_anomaly_checker() is None


def test_the_mode_does_not_change_results():
    random.seed(0)
    model = MLP(3, [4, 2])

    def grads():
        model.zero_grad()
        loss = tf.cross_entropy(model([0.5, -1.0, 2.0]), 0)
        loss.backward()
        return loss.data, [p.grad for p in model.parameters()]

    plain = grads()
    with detect_anomaly():
        checked = grads()
    assert checked == plain


def test_the_mode_does_not_keep_graphs_alive():
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        x = Value(2.0)
        with detect_anomaly():
            hidden = x * 3
            out = (hidden + 1).tanh()
            out.backward()
            ref = weakref.ref(hidden)
            del hidden, out
            assert ref() is None
    finally:
        if was_enabled:
            gc.enable()


# ------------------------------------------------------------ the switch is per thread
def test_anomaly_mode_in_one_thread_does_not_check_another():
    inside, done = threading.Event(), threading.Event()
    caught = []

    def checked_thread():
        with detect_anomaly():
            inside.set()
            assert done.wait(timeout=30)
            try:
                Value(1e200) * Value(1e200)
            except FloatingPointError as error:  # its own ops are still checked
                caught.append(str(error))

    thread = threading.Thread(target=checked_thread)
    thread.start()
    try:
        assert inside.wait(timeout=30)
        assert recording.current_anomaly_checker() is None  # not switched on here
        with pytest.raises(OverflowError):  # the engine's own check, not anomaly mode's
            Value(1e200) * Value(1e200)
    finally:
        done.set()
        thread.join(timeout=30)
    assert len(caught) == 1 and "'*' produced inf" in caught[0]
