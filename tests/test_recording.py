"""The switches around the engine (`recording.py`): grad mode, the tape's
look-ups and the anomaly slot, each per thread. The tape itself is tested in
test_tape.py, anomaly mode in test_anomaly.py."""

from __future__ import annotations

import math
import threading

import pytest

from tinygrad_edu import Value, detect_anomaly, is_grad_enabled, no_grad, recording, tape
from tinygrad_edu.anomaly import AnomalyChecker


# ------------------------------------------------------------ no_grad
def test_no_grad_builds_no_graph():
    x = Value(2.0)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = (x * x + 1).tanh()
        s = Value.sum([x, y])
        d = Value.dot([x], [y])
    assert is_grad_enabled()
    for v in (y, s, d):
        assert v.parents == () and v.local_grads == ()
    assert y.data == math.tanh(5.0)
    y.backward()
    assert x.grad == 0.0


def test_no_grad_restores_recording_after_an_error_and_when_nested():
    with pytest.raises(ZeroDivisionError), no_grad():
        Value(1.0) / 0
    assert is_grad_enabled()
    with no_grad():
        with no_grad():
            pass
        assert not is_grad_enabled()  # the inner exit restores the outer state
    assert is_grad_enabled()
    assert (Value(1.0) * 2).parents != ()


# ------------------------------------------------------------ no_grad is per thread (as PyTorch)
def run_in_thread(target) -> None:
    """Run `target` in a new thread; re-raise what it raised, here."""
    errors = []

    def wrapped():
        try:
            target()
        except BaseException as error:  # noqa: BLE001 - handed to the main thread
            errors.append(error)

    thread = threading.Thread(target=wrapped)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the thread did not finish"
    if errors:
        raise errors[0]


def test_a_thread_inside_no_grad_does_not_switch_off_the_training_thread():
    # A generating thread sits inside no_grad while this thread trains.
    inside, done = threading.Event(), threading.Event()

    def generate():
        with no_grad():
            inside.set()
            assert done.wait(timeout=30)
            assert not is_grad_enabled()  # still off in its own thread

    thread = threading.Thread(target=generate)
    thread.start()
    try:
        assert inside.wait(timeout=30)
        w = Value(3.0)
        for _ in range(5):
            loss = w * w
            assert loss.parents == (w, w)  # recorded
            loss.backward()
        assert w.grad == 30.0
    finally:
        done.set()
        thread.join(timeout=30)


def test_interleaved_no_grad_blocks_in_two_threads_leave_recording_on():
    # A enters, B enters, A leaves, B leaves: a process-wide switch would be
    # left off for good (B restores the 'off' it saw when it entered).
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    after = {}

    def thread_a():
        with no_grad():
            a_in.set()
            assert b_in.wait(timeout=30)
        a_out.set()
        after["a"] = is_grad_enabled()

    def thread_b():
        assert a_in.wait(timeout=30)
        with no_grad():
            b_in.set()
            assert a_out.wait(timeout=30)
        after["b"] = is_grad_enabled()

    threads = [threading.Thread(target=thread_a), threading.Thread(target=thread_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert after == {"a": True, "b": True}
    assert is_grad_enabled()
    run_in_thread(lambda: None if is_grad_enabled() else pytest.fail("a new thread starts recording"))


def test_a_new_thread_starts_recording_even_when_started_inside_no_grad():
    seen = []
    with no_grad():
        run_in_thread(lambda: seen.append((is_grad_enabled(), (Value(1.0) * 2).parents != ())))
    assert seen == [(True, True)]


# ------------------------------------------------------------ the public look-ups
def test_running_tape_and_tape_holding_name_the_calling_threads_tape():
    w = Value(2.0)
    made_before = w * 3.0
    assert recording.running_tape() is None and recording.tape_holding(made_before) is None
    with tape() as t:
        y = made_before * w
        assert recording.running_tape() is t
        assert recording.tape_holding(y) is t
        assert recording.tape_holding(w) is None  # a leaf: backward() searches from it as usual
        assert recording.tape_holding(made_before) is t  # y's op took it in
        assert recording.tape_holding(w * 1.0 - w * 1.0) is t
    assert recording.running_tape() is None and recording.tape_holding(y) is None


def test_the_anomaly_slot_holds_detect_anomalys_checker_and_is_restored_after_an_error():
    assert recording.current_anomaly_checker() is None
    with detect_anomaly():
        assert isinstance(recording.current_anomaly_checker(), AnomalyChecker)
    mine = AnomalyChecker()
    with pytest.raises(ZeroDivisionError), recording.anomaly_checker(mine):
        assert recording.current_anomaly_checker() is mine
        Value(1.0) / 0
    assert recording.current_anomaly_checker() is None


def test_a_checker_in_the_slot_sees_every_op_and_every_backward_step():
    class Log:
        def __init__(self) -> None:
            self.forward, self.backward = [], []

        def check_forward(self, node, edges):
            self.forward.append((node.op, edges[: len(edges) // 2]))

        def check_backward(self, node):
            self.backward.append(node.op)

    log, x = Log(), Value(0.5)
    with recording.anomaly_checker(log):
        y = (x * 2.0).tanh()
        y.backward()
    assert [op for op, _ in log.forward] == ["*", "tanh"] and log.forward[0][1][0] is x
    assert log.backward == ["tanh", "*"]
    t = math.tanh(1.0)
    assert x.grad == 2.0 * (1.0 - t * t)  # as backward() computes it: to the bit


def test_the_folded_mode_follows_the_switches():
    assert recording.current_mode() is None  # just record
    with tape() as t:
        assert recording.current_mode() is t
        with no_grad():
            assert recording.current_mode() is recording.UNUSUAL
        with detect_anomaly():
            assert recording.current_mode() is recording.UNUSUAL
        assert recording.current_mode() is t
    assert recording.current_mode() is None
