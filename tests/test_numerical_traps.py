"""Numerical traps: huge logits, saturated squashes, zero variance, overflow,
and a NaN born in the middle of a model.

Already tested elsewhere, not repeated here: softmax values at +-1000
(test_functional.py::test_softmax_is_stable_for_huge_logits), cross-entropy of
[1000, -1000] (test_cross_entropy_of_huge_logits_is_finite_with_finite_grads),
attention forward with scores of +-90,000
(test_nn_attention.py::test_attention_with_huge_scores_stays_finite),
sigmoid and log_sigmoid *values* at +-1000, LayerNorm's forward on a constant
vector, and the error of every op outside its domain or beyond a float
(test_engine.py::ERRORS: 'exp', 'log', 'sqrt', '**k', '**', '/'). This file
adds the gradients, the mixed cases, the model paths (GPT loss, generate,
attention backward) and anomaly mode inside a model.
"""

from __future__ import annotations

import inspect
import math
import random
from pathlib import Path

import pytest

import tinygrad_edu
from tinygrad_edu import Value, detect_anomaly, engine, gradcheck
from tinygrad_edu import functional as tf
from tinygrad_edu.models.gpt import GPT
from tinygrad_edu.models.word2vec import log_sigmoid
from tinygrad_edu.nn import MLP, AttentionHead, LayerNorm, RMSNorm

HERE = "test_numerical_traps.py"
PACKAGE_DIR = Path(tinygrad_edu.__file__).resolve().parent

MIXED_LOGITS = [
    [1000.0, -1000.0],
    [-1000.0, 1000.0, 0.0],
    [1000.0, 999.5, -1000.0, 3.0],
    [-1000.0, -999.0, -1000.0],  # all hugely negative: exp(z) underflows to 0 without the shift
    [1000.0, 1000.0, 1000.0, 1000.0],
    [1e3, -1e3, 1e3 - 1e-9, 0.5],  # a near tie at the top
]


def values(xs):
    return [Value(x) for x in xs]


def reference_softmax(zs: list[float]) -> list[float]:
    """Softmax in plain floats, the max shifted out: the independent oracle."""
    m = max(zs)
    exps = [math.exp(z - m) for z in zs]
    total = math.fsum(exps)
    return [e / total for e in exps]


def reference_logsumexp(zs: list[float]) -> float:
    m = max(zs)
    return m + math.log(math.fsum(math.exp(z - m) for z in zs))


def all_finite(xs) -> bool:
    return all(math.isfinite(x.data) and math.isfinite(x.grad) for x in xs)


def next_line() -> int:
    return inspect.currentframe().f_back.f_lineno + 1


# ---------------------------------------------------- the softmax family at +-1000
@pytest.mark.parametrize("zs", MIXED_LOGITS)
def test_logsumexp_and_its_gradient_at_huge_logits(zs):
    xs = values(zs)
    out = tf.logsumexp(xs)
    out.backward()
    assert out.data == pytest.approx(reference_logsumexp(zs), rel=1e-15)
    # d logsumexp / dz = softmax(z): exactly the probabilities, each in [0, 1]
    assert [x.grad for x in xs] == pytest.approx(reference_softmax(zs), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("zs", MIXED_LOGITS)
def test_log_softmax_and_its_gradient_at_huge_logits(zs):
    xs = values(zs)
    out = tf.log_softmax(xs)
    p = reference_softmax(zs)
    lse = reference_logsumexp(zs)
    assert [o.data for o in out] == pytest.approx([z - lse for z in zs], rel=1e-15, abs=1e-12)
    # d(sum_i c_i log_softmax_i)/dz_j = c_j - p_j * sum_i c_i
    coeffs = [0.5 * (i + 1) for i in range(len(zs))]
    Value.dot(out, coeffs).backward()
    expected = [c - pj * sum(coeffs) for c, pj in zip(coeffs, p)]
    assert [x.grad for x in xs] == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("zs", MIXED_LOGITS)
@pytest.mark.parametrize("target", [0, -1])
def test_cross_entropy_and_its_gradient_at_huge_logits(zs, target):
    target %= len(zs)
    xs = values(zs)
    loss = tf.cross_entropy(xs, target)
    loss.backward()
    assert loss.data == pytest.approx(reference_logsumexp(zs) - zs[target], rel=1e-15, abs=1e-12)
    onehot = [1.0 if i == target else 0.0 for i in range(len(zs))]
    assert [x.grad for x in xs] == pytest.approx(
        [p - t for p, t in zip(reference_softmax(zs), onehot)], rel=1e-12, abs=1e-12
    )


@pytest.mark.parametrize("temperature", [1e-3, 0.5, 1e3])
def test_softmax_temperature_cannot_push_exp_over_the_edge(temperature):
    """A small temperature multiplies the logits: 1000 / 1e-3 = 1e6, still safe."""
    zs = [1000.0, -1000.0, 999.0]
    xs = values(zs)
    ps = tf.softmax(xs, temperature=temperature)
    assert [p.data for p in ps] == pytest.approx(
        reference_softmax([z / temperature for z in zs]), rel=1e-12, abs=1e-300
    )
    Value.dot(ps, [1.0, -2.0, 3.0]).backward()
    assert all_finite(xs) and all_finite(ps)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("position", [0, 2])
def test_a_non_finite_logit_is_refused_wherever_it_sits(bad, position):
    """max() skips a NaN that is not first, so without a check the result
    would depend on where the NaN sits: NaN out here, an error there."""
    functions = {
        "softmax": tf.softmax,
        "log_softmax": tf.log_softmax,
        "logsumexp": tf.logsumexp,
        "cross_entropy": lambda xs: tf.cross_entropy(xs, 1),
    }
    for name, f in functions.items():
        xs = values([1.0, 2.0, 3.0])
        xs[position].data = bad  # set by hand (every op refuses to make one)
        # -inf too: the engine's ops refuse infinities, so a logit is masked by leaving
        # it out of the softmax (as attention does), not by setting it to -inf.
        with pytest.raises(ValueError) as info:
            f(xs)
        assert str(info.value).startswith(f"{name}: logit {position} of 3 is {bad!r}"), info.value
        assert "detect_anomaly()" in str(info.value)


def test_the_softmax_family_matches_torch_at_huge_logits():
    torch = pytest.importorskip("torch")
    for zs in MIXED_LOGITS:
        for target in range(len(zs)):
            xs = values(zs)
            tf.cross_entropy(xs, target).backward()
            t = torch.tensor(zs, dtype=torch.float64, requires_grad=True)
            ref = torch.nn.functional.cross_entropy(t.unsqueeze(0), torch.tensor([target]))
            ref.backward()
            assert [x.grad for x in xs] == pytest.approx(t.grad.tolist(), rel=1e-12, abs=1e-15)
        assert tf.logsumexp(values(zs)).data == pytest.approx(
            torch.logsumexp(torch.tensor(zs, dtype=torch.float64), 0).item(), rel=1e-15
        )


# ---------------------------------------------------------- through the models
def huge_logit_gpt() -> GPT:
    """A tiny GPT whose lm_head turns the normalised features into logits of
    about +-1000 (the weights are 400: |x| after ln_f is up to 2)."""
    random.seed(0)
    model = GPT(vocab_size=5, block_size=4, n_layer=1, n_embd=4, n_head=2)
    sign = 1.0
    for row in model.lm_head.weight:
        for w in row:
            w.data = 400.0 * sign
            sign = -sign
    return model


def test_gpt_loss_with_logits_of_a_thousand_is_finite_and_exact():
    model = huge_logit_gpt()
    ids, targets = [0, 3, 1, 2], [3, 1, 2, 4]
    logits = [[v.data for v in row] for row in model(ids)]
    assert max(abs(z) for row in logits for z in row) > 500.0  # the trap is really set
    loss = model.loss(ids, targets)
    expected = sum(reference_logsumexp(row) - row[y] for row, y in zip(logits, targets)) / len(ids)
    assert loss.data == pytest.approx(expected, rel=1e-12)
    loss.backward()
    assert all_finite(model.parameters())
    assert any(p.grad != 0.0 for p in model.lm_head.parameters())


def test_gpt_generate_with_huge_logits_and_a_tiny_temperature_is_greedy():
    model = huge_logit_gpt()
    ids = [0]
    for _ in range(3):  # argmax by hand
        row = [v.data for v in model(ids[-4:])[-1]]
        ids.append(max(range(5), key=row.__getitem__))
    for seed in range(3):
        assert model.generate([0], 3, temperature=1e-3, seed=seed) == ids


def test_attention_backward_through_saturated_scores_is_finite_and_exact():
    head = AttentionHead(1, 1, causal=True)
    head.query.weight = [[Value(30.0)]]
    head.key.weight = [[Value(30.0)]]
    head.value.weight = [[Value(1.0)]]
    xs = values([10.0, -10.0, 10.0])
    out = head([[x] for x in xs])  # scores of +-90,000 / sqrt(1)
    out[2][0].backward()  # = 0.5 * v_0 + 0.5 * v_2, the weights exactly (0.5, 0, 0.5)
    assert out[2][0].data == pytest.approx(10.0)
    assert head.value.weight[0][0].grad == pytest.approx(10.0)  # 0.5 * x_0 + 0.5 * x_2
    assert all_finite([*xs, *head.parameters()])
    # Saturated softmax: the scores get (almost) no gradient, and none is NaN.
    assert abs(head.query.weight[0][0].grad) < 1e-9 and abs(head.key.weight[0][0].grad) < 1e-9


# ------------------------------------------------------------ squashing at +-1000
@pytest.mark.parametrize("x", [-1e308, -1000.0, -745.0, -40.0, 40.0, 745.0, 1000.0, 1e308])
def test_sigmoid_tanh_and_log_sigmoid_never_overflow_and_have_exact_slopes(x):
    for f, slope in [
        (lambda v: v.sigmoid(), lambda s: s * (1 - s)),
        (lambda v: v.tanh(), lambda t: 1 - t * t),
    ]:
        v = Value(x)
        out = f(v)
        out.backward()
        assert math.isfinite(out.data) and v.grad == pytest.approx(slope(out.data), abs=1e-300)
    v = Value(x)
    out = log_sigmoid(v)
    out.backward()
    # log sigmoid(x) = -log(1 + e**-x), slope 1 - sigmoid(x) = sigmoid(-x)
    assert out.data == pytest.approx(min(x, 0.0) - math.log1p(math.exp(-abs(x))), rel=1e-15)
    assert v.grad == pytest.approx(Value(-x).sigmoid().data, rel=1e-12, abs=1e-300)


def test_exp_overflows_exactly_at_the_float_limit_and_says_so():
    limit = engine.EXP_OVERFLOW_AT
    assert math.isfinite(Value(limit).exp().data)
    above = math.nextafter(limit, math.inf)
    with pytest.raises(
        OverflowError, match=r"'exp': exp\(709\.78\d*\) overflows a float \(the limit is about 709\.78\)"
    ):
        Value(above).exp()
    with pytest.raises(OverflowError, match=r"'\*\*': exp\("):
        2 ** Value(1100.0)  # the reflected form overflows in the same place


def test_a_domain_error_deep_in_a_graph_still_names_the_op():
    x = Value(0.5)
    y = (x - 0.5) * 3  # exactly 0
    with pytest.raises(ValueError, match=r"'log': needs a positive number, got a=0\.0"):
        (y.tanh() + y).log()
    with pytest.raises(ValueError, match=r"'\*\*0\.5': a negative base to a fractional power, a=-1\.5"):
        (y - 1.5) ** 0.5


# ------------------------------------------------------------ zero variance
@pytest.mark.parametrize("c", [0.0, 2.0, -1e6])
def test_layernorm_of_a_constant_vector_is_finite_with_the_exact_gradient(c):
    n = 4
    norm = LayerNorm(n, elementwise_affine=False)
    xs = values([c] * n)
    out = norm(xs)
    assert [o.data for o in out] == [0.0] * n  # centred to exactly 0; 0 / sqrt(0 + eps)
    out[1].backward()
    # At zero variance d y_i / d x_j = (delta_ij - 1/n) / sqrt(eps): the variance term vanishes.
    expected = [((1.0 if j == 1 else 0.0) - 1 / n) / math.sqrt(norm.eps) for j in range(n)]
    assert [x.grad for x in xs] == pytest.approx(expected, rel=1e-9)


def test_rmsnorm_of_a_zero_vector_is_finite_with_the_exact_gradient():
    norm = RMSNorm(3, elementwise_affine=False)
    xs = values([0.0, 0.0, 0.0])
    out = norm(xs)
    assert [o.data for o in out] == [0.0, 0.0, 0.0]
    out[0].backward()
    assert [x.grad for x in xs] == pytest.approx([1 / math.sqrt(norm.eps), 0.0, 0.0], rel=1e-12)


@pytest.mark.parametrize("make", [lambda: LayerNorm(3), lambda: RMSNorm(3)], ids=["layernorm", "rmsnorm"])
def test_norms_next_to_a_constant_vector_pass_gradcheck(make):
    norm = make()
    weights = [0.3, -1.2, 2.0]

    def f(a, b, c):
        return Value.dot(norm([a, b, c]), weights)

    report = gradcheck(f, [1.0, 1.0 + 1e-3, 1.0 - 1e-3], eps=1e-7, tolerance=1e-4)
    assert report.ok, report


# ------------------------------------------------------------ a NaN in the middle of a model
def test_detect_anomaly_pinpoints_a_nan_parameter_deep_inside_a_gpt():
    random.seed(0)
    model = GPT(vocab_size=5, block_size=4, n_layer=2, n_embd=4, n_head=2)
    # What an update with a NaN gradient leaves behind, in the second block's second head.
    model.blocks[1].attn.heads[1].key.weight[0][0].data = math.nan
    # Without the mode the first op that reads it refuses it, without the line of the call.
    with pytest.raises(ValueError, match=r"'dot': operand 0 is nan; a Value's data was set .* by hand"):
        model.loss([0, 1, 2], [1, 2, 3])
    with pytest.raises(FloatingPointError) as info, detect_anomaly():
        line = next_line()
        model.loss([0, 1, 2], [1, 2, 3])
    message = str(info.value)
    # The first op to see the NaN: the key projection's dot, w . x with w[0] = nan.
    assert message.startswith("'dot' produced nan from operands (nan, ")
    # The reported place is the user's line (this file), not a frame inside the library.
    # (Compare paths, not names: a clone may itself live in a folder called tinygrad_edu.)
    location = message.split("created at ")[1]
    assert location == f"{Path(__file__).resolve()}:{line}"
    assert str(PACKAGE_DIR) not in location


def test_detect_anomaly_pinpoints_a_huge_parameter_and_the_line_of_the_call():
    random.seed(0)
    model = MLP(3, [4, 4, 1])
    model.layers[0].neurons[2].weight[2].data = 1e308  # a diverged weight: 2.0 * 1e308 is beyond a float
    with pytest.raises(OverflowError, match="'dot': the result overflows a float"):
        model([0.5, -1.0, 2.0])  # without the mode: the op refuses it, but cannot name your line
    with pytest.raises(FloatingPointError) as info, detect_anomaly():
        line = next_line()
        out = model([0.5, -1.0, 2.0])
    message = str(info.value)
    assert message.startswith("'dot' produced inf from operands (")
    assert "1e+308" in message and f"{HERE}:{line}" in message
    assert "out" not in locals()  # it stopped at the first overflow, inside the call


def test_an_anomaly_in_a_long_dot_shows_the_culprit_not_every_operand():
    ws = values([1.0] * 10)
    ws[8].data = math.nan
    with pytest.raises(FloatingPointError) as info, detect_anomaly():
        Value.dot(ws, [0.5] * 10)
    message = str(info.value)
    # 20 operands: the first six, how many there are, and the non-finite one by position.
    assert message.startswith(
        "'dot' produced nan from operands (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, ... 20 in all; #8=nan)"
    )


# ------------------------------------------------------------ overflow is refused at the op (issue 10)
OVERFLOWS = {
    "+": lambda: Value(1e308) + Value(1e308),
    "-": lambda: Value(1e308) - Value(-1e308),
    "*": lambda: Value(1e200) * Value(1e200),
    "sum": lambda: Value.sum([Value(1e308), 1e308]),
    "dot": lambda: Value.dot([Value(1e200)], [1e200]),
    "dot (inf - inf)": lambda: Value.linear([[Value(1e200), Value(1e200)]], [1e200, -1e200])[0],
    "**-10000": lambda: Value(0.9318) ** -10000,  # finite (about 1e306), but its slope is not
}


@pytest.mark.parametrize("name", list(OVERFLOWS))
def test_every_op_refuses_to_overflow_and_anomaly_mode_still_names_the_line(name):
    make = OVERFLOWS[name]
    with pytest.raises(OverflowError, match="overflows a float"):
        make()
    with pytest.raises(OverflowError), tinygrad_edu.no_grad():  # the numbers are checked without a graph too
        make()
    with pytest.raises(FloatingPointError, match=rf"created at .*{HERE}"), detect_anomaly():
        make()


def test_layernorm_and_rmsnorm_of_huge_vectors_are_those_of_the_same_vector_scaled_down():
    huge = [1e155, -1e155]
    assert [y.data for y in LayerNorm(2)(huge)] == pytest.approx([1.0, -1.0], rel=1e-12)
    xs = [3e200, -1e200, 5e199, 1e160]
    scale = 2.0**-655  # exact: the same vector near 1e3, where eps is as negligible as for the huge one
    for norm in (LayerNorm(4), RMSNorm(4)):
        big = values(xs)
        small = values([x * scale for x in xs])
        out_big, out_small = norm(big), norm(small)
        assert [y.data for y in out_big] == pytest.approx([y.data for y in out_small], rel=1e-9)
        Value.dot(out_big, [1.0, -2.0, 0.5, 3.0]).backward()
        Value.dot(out_small, [1.0, -2.0, 0.5, 3.0]).backward()
        # y(x) = y(s x): dy/dx = s * dy/d(sx)
        assert [x.grad for x in big] == pytest.approx([x.grad * scale for x in small], rel=1e-9)


def test_layernorm_of_huge_values_matches_torch():
    torch = pytest.importorskip("torch")
    xs = [1e155, -2e155, 5e154]
    ours = [y.data for y in LayerNorm(3, elementwise_affine=False)(xs)]
    t = torch.tensor(xs, dtype=torch.float64) * 2.0**-520  # torch overflows too, so compare the scaled vector
    ref = torch.nn.functional.layer_norm(t, (3,), eps=1e-5 * 2.0**-1040).tolist()
    assert ours == pytest.approx(ref, rel=1e-12)


def test_gradcheck_is_never_ok_with_a_nan_wherever_it_sits():
    from tinygrad_edu.gradcheck import GradcheckReport, InputCheck

    fine = InputCheck(0, 1.0, 1.0)
    for bad in (
        InputCheck(1, math.nan, 1.0),
        InputCheck(1, 1.0, math.nan),
        InputCheck(1, math.inf, math.inf),
    ):
        for inputs in ((fine, bad), (bad, fine)):
            report = GradcheckReport(inputs, 1e-5)
            assert not report.ok, report
            assert math.isnan(report.worst) and "FAILED" in str(report)


# ------------------------------------------------- issue 23: large logits, huge constants
@pytest.mark.parametrize("big", [1e15, 1e16, 1e300])
def test_cross_entropy_and_log_softmax_keep_the_log_term_at_large_logits_as_torch(big):
    # log(sum) + max - z_target rounded the log term away: 0.375 at 1e15, 0 from 1e16.
    torch = pytest.importorskip("torch")
    zs = [big, big - 1.0, big - 2.0]
    t = torch.tensor(zs, dtype=torch.float64)
    for target in range(3):
        ref = torch.nn.functional.cross_entropy(t[None], torch.tensor([target])).item()
        assert tf.cross_entropy(values(zs), target).data == pytest.approx(ref, rel=1e-14)
    ref = torch.log_softmax(t, 0).tolist()
    assert [v.data for v in tf.log_softmax(values(zs))] == pytest.approx(ref, rel=1e-14)


def test_softmax_of_logits_whose_difference_is_beyond_a_float_is_torchs():
    torch = pytest.importorskip("torch")
    for zs in ([1e308, -1e308], [-1e308, 0.0, 1e308], [1.5e308, -1.7e308, 1.5e308]):
        xs = values(zs)
        ps = tf.softmax(xs)
        ref = torch.softmax(torch.tensor(zs, dtype=torch.float64), 0).tolist()
        assert [p.data for p in ps] == ref
        ps[0].backward()
        assert all_finite(xs)


@pytest.mark.parametrize("temperature", [1e-308, 5.7e-309])
def test_a_tiny_temperature_scales_the_differences_not_the_logits(temperature):
    torch = pytest.importorskip("torch")
    zs = [2.0, 1.0, 2.0 - 2**-51, -3.0]
    t = torch.tensor(zs, dtype=torch.float64)
    ref = torch.softmax((t - t.max()) / temperature, 0).tolist()  # torch's own softmax(t / T) is NaN here
    assert [p.data for p in tf.softmax(values(zs), temperature)] == ref


def test_gpt_generate_at_the_smallest_temperature_is_greedy():
    model = huge_logit_gpt()  # logits of about +-1000: / 1e-308 overflowed in '-'
    greedy = model.generate([0], 3, temperature=1e-3, seed=0)
    assert model.generate([0], 3, temperature=1e-308, seed=1) == greedy


@pytest.mark.parametrize("c", [1e14, 1e99, 1e101, 1e200, -3.3e250, 1.7e308])
def test_layernorm_of_a_huge_constant_vector_is_zero_with_the_exact_gradient_as_torch_at_zero(c):
    # The rounded mean made [1e99] * 3 give [1, 1, 1]; 1e101 raised at '**-0.5'.
    # LayerNorm does not change when every entry moves by c, so torch's
    # answer for the zero vector is the answer (torch itself is NaN above 1e160).
    torch = pytest.importorskip("torch")
    xs = values([c] * 3)
    out = LayerNorm(3)(xs)
    (out[0] * 2.0 + out[1]).backward()
    t = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    ref = torch.nn.functional.layer_norm(t, (3,), eps=1e-5)
    (ref[0] * 2.0 + ref[1]).backward()
    assert [o.data for o in out] == ref.tolist()
    assert [x.grad for x in xs] == pytest.approx(t.grad.tolist(), rel=1e-12)
