"""tape(): backward() walks the order the ops ran in instead of searching.

What must hold: the same gradients as the depth-first backward (to rounding:
sums at a shared node may be added in another order), Values made before the
tape taken in correctly, the graph freed when the block ends, one tape per
thread, and the stepper agreeing with backward() to the bit inside a tape.
"""

from __future__ import annotations

import gc
import math
import threading
import weakref
from contextlib import nullcontext

import pytest
from hypothesis import given
from test_fuzz import FUZZ, build_or_reject, cases

from tinygrad_edu import Value, detect_anomaly, no_grad, recording, tape
from tinygrad_edu.nn import MLP


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


@FUZZ
@given(case=cases())
def test_grads_on_a_tape_match_the_depth_first_backward(case):
    program, point = case
    plain_inputs, taped_inputs = [Value(x) for x in point], [Value(x) for x in point]
    root = build_or_reject(program, plain_inputs)
    root.backward()
    plain_order = root.topological_order()
    with tape():
        taped_root = build_or_reject(program, taped_inputs)
        taped_root.backward()
        taped_order = taped_root.topological_order()
        assert all(close(a.grad, b.grad) for a, b in zip(plain_order, taped_order))
    assert all(close(a.grad, b.grad) for a, b in zip(plain_inputs, taped_inputs))


@FUZZ
@given(case=cases())
def test_stepping_on_a_tape_ends_with_the_grads_of_backward_on_one_to_the_bit(case):
    program, point = case
    a_inputs, b_inputs = [Value(x) for x in point], [Value(x) for x in point]
    with tape():
        build_or_reject(program, a_inputs).backward()
    with tape():
        steps = list(build_or_reject(program, b_inputs).backward_steps())
    assert steps
    assert [x.grad for x in a_inputs] == [x.grad for x in b_inputs]


def test_the_tape_is_the_order_the_ops_ran_in_and_holds_no_leaves():
    x, w = Value(2.0), Value(-1.0)
    with tape() as t:
        a = x * w
        b = a.tanh()
        c = Value.dot([a, b], [w, 3.0], bias=1.0)
        assert t.nodes == [a, b, c]
        assert len(t) == 3 and repr(t) == "Tape(3 values)"


def test_a_value_made_before_the_tape_is_taken_in_with_what_it_depends_on():
    # A cached intermediate (two ops deep, from leaves) used inside the tape:
    # its grads must reach the leaves behind it, as without a tape.
    def grads(use_tape: bool) -> list[float]:
        w, v = Value(0.7), Value(-1.3)
        cached = (w * v).exp() + w  # made outside any tape
        context = tape() if use_tape else nullcontext()
        with context:
            loss = Value.dot([cached, w], [v, cached]) * cached
            loss.backward()
        return [w.grad, v.grad, cached.grad]

    plain, taped = grads(False), grads(True)
    assert all(close(a, b) for a, b in zip(plain, taped))
    assert taped[0] != 0.0 and taped[1] != 0.0


def test_linear_takes_in_values_made_before_the_tape_wherever_they_sit():
    # `Value.linear` on a tape puts its own parents on it (x once, each row,
    # each bias): a cached intermediate in x, in a row or as a bias must
    # still pass its grad back to the leaves behind it.
    def grads(use_tape: bool) -> list[float]:
        w, v, u = Value(0.7), Value(-1.3), Value(0.4)
        in_x, in_row, as_bias = (w * v).tanh(), (v + u).exp(), w * u  # made outside any tape
        rows = [[w, in_row], [u, 2.0]]
        with tape() if use_tape else nullcontext():
            first = Value.linear(rows, [in_x, v], [as_bias, 0.5])  # the rows' first use on this tape
            second = Value.linear(rows, [v, in_x], [1.0, as_bias])  # and a second: the rows are on it now
            loss = Value.sum(first) * Value.sum(second)
            loss.backward()
        return [w.grad, v.grad, u.grad]

    plain, taped = grads(False), grads(True)
    assert all(close(a, b) for a, b in zip(plain, taped)) and all(g != 0.0 for g in taped)


@pytest.mark.parametrize("shared", [False, True], ids=["distinct inputs", "inputs sharing a Value"])
@pytest.mark.parametrize("on_tape", [False, True], ids=["off a tape", "on a tape"])
def test_linear_batch_is_linear_of_each_input(on_tape, shared):
    # The same nodes as one `linear` call per input, made row by row: the same
    # numbers to the bit, and the same grads. Off a tape backward() walks the
    # same graph in the same order, so they agree to the bit. On a tape it
    # walks the order the nodes were made in, which is the same for every
    # Value that only one input reads (a sequence's positions, as in the GPT):
    # to the bit again. A Value in two inputs sums its grads in another order.
    def run(batched: bool):
        import random

        random.seed(5)
        rows = [[Value(random.uniform(-1, 1)) for _ in range(3)] for _ in range(4)]
        biases = [Value(random.uniform(-1, 1)) for _ in range(3)] + [0.25]
        x0 = [Value(random.uniform(-1, 1)) for _ in range(3)]
        with tape() if on_tape else nullcontext():
            third = [1.5, x0[1] if shared else Value(0.7), -0.5]
            xs = [x0, [a.tanh() for a in x0], third]  # leaves, intermediates, numbers
            ys = (
                Value.linear_batch(rows, xs, biases)
                if batched
                else [Value.linear(rows, x, biases) for x in xs]
            )
            loss = Value.sum([y * y * (i + 1) for i, y in enumerate(v for row in ys for v in row)])
            loss.backward()
        params = [*sum(rows, []), *biases[:3], *x0]
        return [v.data for row in ys for v in row], [p.grad for p in params], loss.data

    (data, grads, loss), (data_each, grads_each, loss_each) = run(True), run(False)
    assert data == data_each and loss == loss_each
    if on_tape and shared:
        assert all(close(a, b) for a, b in zip(grads, grads_each))
    else:
        assert grads == grads_each


def test_linear_on_a_tape_sees_a_row_changed_between_two_calls():
    w, v = Value(0.5), Value(-2.0)
    cached = (w * v).relu() + v  # outside the tape: an intermediate
    row = [w, v]
    with tape() as t:
        Value.linear([row], [1.0, 1.0])
        row[1] = cached  # the same list, now holding a Value the tape has not seen
        out = Value.linear([row], [3.0, 1.0])[0]
        assert t.nodes.index(cached) < t.nodes.index(out)
        out.backward()
    assert (w.grad, v.grad) == (3.0, 1.0)  # d/dw (3w + relu(wv) + v) at wv < 0; d/dv through cached


@pytest.mark.parametrize(
    "call, error, fragment",
    [
        (lambda w: Value.linear([[w, [1.0]]], [1.0, 1.0]), TypeError, "[1.0]"),  # unhashable, in a row
        (lambda w: Value.linear([[w, "a"]], [1.0, 1.0]), TypeError, "'a'"),
        (lambda w: Value.linear([[w, math.nan]], [1.0, 1.0]), ValueError, "finite"),
        (lambda w: Value.linear([[w, w]], [1.0]), ValueError, "same length"),
        (lambda w: Value.linear([[w]], [1.0], [[0.0]]), TypeError, "[0.0]"),  # an unhashable bias
        (lambda w: Value.linear([[w]], [1.0], ["b"]), TypeError, "'b'"),
        (lambda w: Value.linear([w], [1.0]), TypeError, "Value"),  # a row that is not a list
    ],
)
def test_linear_on_a_tape_refuses_what_it_refuses_off_one(call, error, fragment):
    w = Value(1.5)
    with pytest.raises(error) as off_tape:
        call(w)
    with tape():
        Value.linear([[w, w]], [1.0, 1.0], [w])  # w is on the tape: the rows' fast path is open
        with pytest.raises(error) as on_tape:
            call(w)
    assert str(on_tape.value) == str(off_tape.value) and fragment in str(on_tape.value)


def test_a_value_from_an_earlier_tape_is_taken_in_too():
    w = Value(0.5)
    with tape():
        h = (w * 3.0).tanh()  # on the first tape
    with tape() as second:
        out = h * h
        assert second.nodes[0] is not out and h in second.nodes  # taken in, before out
        assert second.nodes.index(h) < second.nodes.index(out)
        out.backward()
    t = math.tanh(1.5)
    assert close(w.grad, 2 * t * (1 - t * t) * 3.0)


def test_taking_in_never_puts_a_value_on_the_tape_twice():
    w = Value(0.5)
    shared = w * 2.0  # outside
    with tape() as t:
        total = Value.sum([shared * k for k in range(1, 6)] + [shared.relu()])
        assert len(t.nodes) == len(set(t.nodes))
        total.backward()
    assert close(w.grad, 2.0 * (1 + 2 + 3 + 4 + 5 + 1))


def test_a_graph_made_in_the_block_is_freed_when_the_block_ends():
    was_enabled = gc.isenabled()
    gc.disable()  # only reference counting frees
    try:
        x = Value(2.0)
        with tape():
            hidden = x * 3.0
            out = (hidden + 1.0).tanh() ** 2
            out.backward()
            refs = [weakref.ref(v) for v in out.topological_order() if v is not x]
            del hidden, out
            assert all(r() is not None for r in refs)  # the tape holds them: the price of it
        assert all(r() is None for r in refs)
        assert x.grad != 0.0
    finally:
        if was_enabled:
            gc.enable()


def test_the_tape_lets_go_when_the_block_raises():
    x = Value(1.0)
    with pytest.raises(ZeroDivisionError):
        with tape() as t:
            y = x * 2.0
            y / 0.0
    assert len(t) == 0 and recording.running_tape() is None
    assert y.parents[0] is x  # made inside: still a working graph
    y.backward()
    assert x.grad == 2.0


def test_backward_after_the_block_searches_as_usual():
    x = Value(3.0)
    with tape():
        y = x * x
    y.backward()
    assert x.grad == 6.0


def test_backward_inside_the_block_zeroes_the_intermediates_and_accumulates_leaves():
    x = Value(3.0)
    with tape():
        y = x * x
        z = y + 1.0
        z.backward()
        z.backward()
        assert x.grad == 12.0 and y.grad == 1.0  # leaves add up; intermediates restart
        y.backward()  # from an intermediate: z comes later on the tape and is skipped
        assert x.grad == 18.0 and z.grad == 0.0


def test_a_tape_inside_a_tape_continues_the_running_one():
    x = Value(1.0)
    with tape() as outer:
        a = x * 2.0
        with tape() as inner:
            b = a * 3.0
        assert inner is outer and outer.nodes == [a, b]
        b.backward()
    assert x.grad == 6.0


def test_no_grad_inside_a_tape_records_nothing():
    x = Value(1.0)
    with tape() as t:
        with no_grad():
            y = x * 2.0
        z = y * x  # y is a leaf now: a constant
        assert t.nodes == [z]
        z.backward()
    assert x.grad == 2.0


def test_anomaly_mode_inside_a_tape_records_and_checks():
    x = Value(1.0)
    with tape() as t, detect_anomaly():
        y = (x * 2.0).exp()
        assert [v.op for v in t.nodes] == ["*", "exp"]
        y.backward()
    assert close(x.grad, 2.0 * math.exp(2.0))


def test_the_tape_is_per_thread():
    seen = {}

    def other():
        seen["tape"] = recording.running_tape()
        seen["value"] = Value(1.0) * 2.0

    with tape() as t:
        worker = threading.Thread(target=other)
        worker.start()
        worker.join()
        assert t.nodes == []  # the other thread's op is not on this thread's tape
    assert seen["tape"] is None


def test_stepping_inside_a_tape_ends_with_the_grads_of_backward_to_the_bit():
    # x is used by a, b, c in the reverse of the order they were made: the
    # tape's order and the depth-first one add x's contributions differently.
    k = (1.6394127483935201, 1.814115305835207, 0.6892803817067319)
    m = (1.4866803216942444, 1.8077927471391877, 1.3995694706393385)

    def graph():
        x = Value(0.1)
        a, b, c = x * k[0], x * k[1], x * k[2]
        return x, Value.sum([c * m[2], b * m[1], a * m[0]])

    with tape():
        x1, out1 = graph()
        out1.backward()
        x2, out2 = graph()
        list(out2.backward_steps())
    assert x1.grad == x2.grad


def test_a_training_step_on_a_tape_matches_one_without():
    def step(use_tape: bool) -> list[float]:
        import random

        random.seed(3)
        model = MLP(3, [4, 4, 1])
        context = tape() if use_tape else nullcontext()
        with context:
            loss = Value.sum(
                [(model(x)[0] - y) ** 2 for x, y in [([1.0, -2.0, 0.5], 1.0), ([0.3, 0.1, -1.0], -1.0)]]
            )
            loss.backward()
        return [p.grad for p in model.parameters()]

    assert all(close(a, b) for a, b in zip(step(False), step(True)))


def collecting() -> bool:
    """Is automatic collection on? A tape pauses it with a threshold of 0,
    leaving gc.isenabled() to the caller."""
    return gc.isenabled() and gc.get_threshold()[0] != 0


def test_the_block_frees_its_graph_before_the_collector_is_back_on():
    # Otherwise the collector's first run, due at once after a step's many
    # new objects, would walk the whole graph just before it is freed.
    assert collecting()
    collector_on_when_freed = []
    w = Value(0.5)
    with tape():
        out = (w * 2.0).tanh()
        out.backward()
        watch = weakref.ref(out, lambda _: collector_on_when_freed.append(collecting()))
        del out  # now only the tape holds it
    assert watch() is None and collector_on_when_freed == [False]
    assert collecting()


def test_the_cyclic_collector_is_paused_while_a_tape_runs():
    assert collecting()
    with tape():
        assert not collecting()  # a graph of Values has no cycles to find
        with tape():
            assert not collecting()
        assert not collecting()  # the inner block continued the outer one
    assert collecting()
    gc.disable()
    try:
        with tape():
            pass
        assert not gc.isenabled(), "a collector the caller switched off stays off"
        with tape():
            gc.enable()  # the caller's own switch, inside the block: left as set
        assert gc.isenabled()
    finally:
        gc.enable()
    with tape():
        gc.disable()
    try:
        assert not gc.isenabled(), "a gc.disable() inside the block stays"
        assert gc.get_threshold()[0] != 0  # and the pause is over
    finally:
        gc.enable()


def test_overlapping_tapes_of_two_threads_switch_the_collector_on_once_both_end():
    inside, leave = threading.Event(), threading.Event()

    def other():
        with tape():
            inside.set()
            leave.wait(5)

    worker = threading.Thread(target=other)
    with tape():
        worker.start()
        inside.wait(5)
    assert not collecting()  # this thread's tape ended; the other's still runs
    leave.set()
    worker.join()
    assert collecting()


# ------------------------------------- issue 23: a tape belongs to its thread and its block
def squared_step(w: Value, k: float, wait=lambda: None) -> tuple[float, bool, bool]:
    """loss = (k * w)**2 and its backward: (w.grad, was a tape running,
    is the loss on one). `wait` lines the threads up between forward and
    backward, where sharing a tape zeroed the other's grads."""
    w.grad = 0.0
    loss = (w * k) ** 2
    on_a_tape = recording.tape_holding(loss) is not None
    wait()
    loss.backward()
    return w.grad, recording.running_tape() is not None, on_a_tape


def test_a_copied_context_in_another_thread_records_nothing_onto_the_tape():
    import contextvars

    barrier = threading.Barrier(2, timeout=30)
    seen = []
    w_main, w_other = Value(1.0), Value(1.0)
    with tape() as t:
        copied = contextvars.copy_context()  # holds the running tape
        worker = threading.Thread(
            target=lambda: seen.append(copied.run(squared_step, w_other, 3.0, barrier.wait))
        )
        worker.start()
        mine = squared_step(w_main, 2.0, barrier.wait)
        worker.join(30)
        assert [v.op for v in t.nodes] == ["*", "**2.0"]  # only this thread's ops
    assert mine == (8.0, True, True)
    assert seen == [(18.0, False, False)]  # d/dw (3w)^2 = 18, by the search


def test_asyncio_to_thread_workers_inside_a_tape_each_get_their_own_grads():
    import asyncio

    barrier = threading.Barrier(2, timeout=30)
    ws = {1: Value(1.0), 2: Value(1.0)}

    async def main():
        with tape():
            return await asyncio.gather(
                *(asyncio.to_thread(squared_step, ws[k], float(k), barrier.wait) for k in (1, 2))
            )

    # Both workers recorded onto the one tape, and each backward zeroed the
    # other's grads: all-zero grads on some steps, depending on the timing.
    # The deterministic part: neither worker's loss may be on the tape.
    assert asyncio.run(main()) == [(2.0, False, False), (8.0, False, False)]


def test_a_task_started_in_a_tape_block_records_nothing_after_the_block():
    import asyncio

    w = Value(1.0)

    async def main():
        go = asyncio.Event()

        async def later():
            await go.wait()
            return squared_step(w, 2.0)

        with tape() as t:
            task = asyncio.create_task(later())
            await asyncio.sleep(0)  # the task starts, inside the block
        go.set()
        return await task, t

    result, t = asyncio.run(main())
    assert result == (8.0, False, False) and len(t) == 0 and t.owner is None


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="fork only")
def test_a_process_forked_inside_a_tape_has_no_tape_and_its_collector_back():
    import os

    w = Value(1.0)
    with tape() as t:
        before = len(t)
        pid = os.fork()
        if pid == 0:  # the child: report by its exit status, never return into pytest
            ok = squared_step(w, 2.0) == (8.0, False, False) and len(t) == before and collecting()
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        assert not collecting()  # the parent's block still runs
    assert os.waitstatus_to_exitcode(status) == 0
    assert collecting()


def test_a_generator_paused_in_a_tape_block_pauses_the_collector_until_it_is_dropped():
    def steps():
        with tape():
            yield

    paused = steps()
    next(paused)
    assert not collecting()
    del paused  # closed: its block ends
    assert collecting() and recording.running_tape() is None


def test_a_task_or_worker_started_inside_no_grad_keeps_it_unlike_torchs_per_thread_mode():
    # What the tape() docstring says of grad mode: a copied setting here,
    # a per-thread one in PyTorch.
    import asyncio

    from tinygrad_edu import is_grad_enabled

    async def started_inside(no_grad_block, enabled):
        with no_grad_block():
            worker = asyncio.create_task(asyncio.to_thread(enabled))  # a task, then a thread
        later = asyncio.create_task(asyncio.to_thread(enabled))  # started after the block
        return await worker, await later

    assert asyncio.run(started_inside(no_grad, is_grad_enabled)) == (False, True)
    torch = pytest.importorskip("torch")
    assert asyncio.run(started_inside(torch.no_grad, torch.is_grad_enabled)) == (True, True)
