"""The benchmark's baselines compute what they claim to (no timing here).

benchmarks/plain_floats.py is the hand-written backward of the moons MLP that
benchmark W1 compares tinygrad_edu with: it must give the same loss and
gradients. And micrograd's step in the benchmark must do the same work as
tinygrad_edu's: the same losses, step after step.
"""

import gc
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import bench  # noqa: E402
import plain_floats  # noqa: E402


def test_plain_floats_gradients_match_tinygrad_edu():
    assert bench.check_plain_floats() <= 1e-9


def test_plain_floats_follows_the_same_trajectory_as_tinygrad_edu():
    points, labels = bench.moons_data()
    layers = bench.initial_layers()
    te_step = bench.make_step_tinygrad_edu(layers, points, labels)
    plain_step = bench.make_step_plain(layers, points, labels)
    for _ in range(3):
        assert plain_step() == pytest.approx(te_step(), rel=1e-12)


def test_micrograd_step_does_the_same_work():
    pytest.importorskip("micrograd")
    points, labels = bench.moons_data()
    layers = bench.initial_layers()
    te_step = bench.make_step_tinygrad_edu(layers, points, labels)
    mg_step = bench.make_step_micrograd(layers, points, labels)
    gc.disable()  # micrograd's graphs are reference cycles: collecting them is slow, and not tested here
    try:
        for _ in range(2):
            assert mg_step() == pytest.approx(te_step(), rel=1e-12)
    finally:
        gc.enable()
        gc.collect()


def test_plain_floats_gradient_of_one_neuron_by_hand():
    # s = 0.5 x - y + 0.25 at (1, 2) is -1.25; with label +1 the margin is 2.25.
    loss, grads = plain_floats.loss_and_grads([([[0.5, -1.0]], [0.25])], [(1.0, 2.0)], [1], alpha=0.0)
    assert loss == 2.25
    assert grads == [([[-1.0, -2.0]], [-1.0])]


def test_w5_pytorch_runs_the_same_cnn_from_the_same_weights():
    pytest.importorskip("torch")
    import w5_cnn

    step, images, drift = w5_cnn.make_torch_step(seed=0)
    assert images == 16 and drift < 1e-5  # float32 against our float64
    ours, _, _ = w5_cnn.make_cnn_step(seed=0)
    for _ in range(2):  # and both follow the same Adam trajectory
        assert step() == pytest.approx(ours(), rel=1e-4)


def test_w7_runs_the_same_gpt_step_on_our_engine_and_on_its_torch_twin():
    """W7's ratio compares engines doing the same work: the same losses, step after step."""
    pytest.importorskip("torch")
    import w7_torch_gpt

    ours, names = w7_torch_gpt.make_step("tinygrad_edu")
    twin64, _ = w7_torch_gpt.make_step("pytorch float64")
    twin32, _ = w7_torch_gpt.make_step("pytorch float32")
    assert names == 8
    for _ in range(2):
        a, b, c = ours(), twin64(), twin32()
        assert b == pytest.approx(a, abs=1e-10)
        assert c == pytest.approx(a, rel=1e-5)


def test_w6_runs_the_same_hand_written_gpt_on_both_engines():
    """W6 compares engines, so both must do the same arithmetic: the same losses, step after step."""
    import w6_microgpt

    from tinygrad_edu import Value

    ours, positions = w6_microgpt.make_step(Value)
    theirs, _ = w6_microgpt.make_step(w6_microgpt.MicroValue)
    assert positions == len(w6_microgpt.NAME) + 1
    losses = [(ours(), theirs()) for _ in range(2)]
    for a, b in losses:
        assert a == pytest.approx(b, rel=1e-12)
    assert losses[1][0] < losses[0][0]  # Adam moved the weights downhill on both


def test_micro_value_backward_is_the_chain_rule():
    from w6_microgpt import MicroValue

    a, b = MicroValue(2.0), MicroValue(-3.0)
    out = (a * b + a**2 - b / a).exp().log().relu()  # -6 + 4 + 1.5 < 0: relu gives 0
    out.backward()
    assert (out.data, a.grad, b.grad) == (0, 0, 0)
    out = a * b + a**2 - b / a  # d/da = b + 2a + b/a**2, d/db = a - 1/a
    out.backward()
    assert a.grad == pytest.approx(-3.0 + 4.0 - 0.75) and b.grad == pytest.approx(2.0 - 0.5)


@pytest.mark.parametrize("workload", ["W1", "W4", "W6"])
def test_the_taped_steps_do_the_same_work(workload):
    """Each workload's "in tape()" row must train the same model the same way."""
    if workload == "W4":
        pytest.importorskip("w4_gpt")
    plain = bench.make_counted_step(workload, bench.TE)
    taped = bench.make_counted_step(workload, bench.TAPED)
    for _ in range(2):
        assert taped() == pytest.approx(plain(), rel=1e-12)
