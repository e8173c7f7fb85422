"""Benchmarks: tinygrad_edu against karpathy's micrograd (PyPI 0.1.0) and plain floats.

    python benchmarks/bench.py [--quick] [--repeats N] [--only W1,W2,...]
    python benchmarks/bench.py --instructions [--only W1,W4,W6]

Workloads:

* W1  one full-batch training step of micrograd's moons demo: MLP 2-16-16-1
      (ReLU), 100 points, hinge loss + 1e-4 * L2, backward, SGD update. The
      same data and initial weights on every engine, and the same step done
      with plain floats and a hand-written backward (plain_floats.py).
* W2  backward() through a chain of N ops (x * 1.0000001 and x + 0.5,
      alternating): time per op node at N = 400 on both engines, and at
      N = 1,000,000 on tinygrad_edu; where micrograd's recursive sort fails.
* W3  bytes per graph node (tracemalloc) for single op nodes.
* W4  one training step of a tiny GPT (benchmarks/w4_gpt.py, if present).
* W5  one training step of the digits CNN on 16 images, beside PyTorch
      float32 on the same model (benchmarks/w5_cnn.py; PyTorch skipped if absent).
* W6  the scalar GPT a learner writes by hand (microgpt's design, unfused),
      run on tinygrad_edu's Value and on a microgpt-style Value
      (benchmarks/w6_microgpt.py): one training step, ms per position.
* W7  the demo GPT's training step on a batch of 8 names, ours against its
      torch twin (tinygrad_edu.torch_bridge) in float64 and float32, one
      thread (benchmarks/w7_torch_gpt.py; PyTorch skipped if absent).

`--instructions` counts instructions per step instead of seconds, with
valgrind's callgrind: on a shared machine whose speed swings from minute to
minute, the count is what stays put when nothing changed (W1, W4, W6).

Each (workload, engine) runs in a fresh process, and the processes take turns
(tinygrad_edu, micrograd, tinygrad_edu, micrograd, ...) so that whatever else
the machine is doing hits both alike. The garbage collector is left as it is:
micrograd's closures make every graph a reference cycle, and the time the
cyclic collector then spends is part of what a user of micrograd pays.
Reported: the median over processes of each process's median.

These are measurements, not tests: nothing here fails a build. `--quick` runs
a few seconds' worth, to check that the script still works.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]  # tinygrad_edu and demos from this checkout; plain_floats, w4_gpt, ...

TE, MG, PLAIN = "tinygrad_edu", "micrograd", "plain floats"
MICRO = "microgpt-style"  # W6's peer: benchmarks/w6_microgpt.py's MicroValue
TAPED = "tinygrad_edu in tape()"  # each step inside `with tape():`, as the demos' train_loop runs it


def on_tape(step):
    """`step` run inside `with tinygrad_edu.tape():`, one tape per step."""
    from tinygrad_edu import tape

    def taped_step() -> float:
        with tape():
            return step()

    return taped_step


ALPHA = 1e-4  # the L2 weight of micrograd's demo
LR = 0.05  # a constant step: every engine must follow the same trajectory


# =========================================================== W1: moons MLP step
def initial_layers(seed: int = 0) -> list:
    """The starting weights for every engine: a tinygrad_edu MLP(2, [16, 16, 1])
    made with `seed`, as (weight, bias) lists per layer, weight shaped (out, in)."""
    from tinygrad_edu.nn import MLP

    random.seed(seed)
    model = MLP(2, [16, 16, 1])
    return [
        ([[w.data for w in n.weight] for n in layer.neurons], [n.bias.data for n in layer.neurons])
        for layer in model.layers
    ]


def moons_data():
    from tinygrad_edu.datasets import make_moons

    return make_moons(100, noise=0.1, rng=random.Random(0))


def make_step_tinygrad_edu(layers, points, labels):
    from tinygrad_edu.functional import hinge, l2
    from tinygrad_edu.nn import MLP
    from tinygrad_edu.optim import SGD

    model = MLP(2, [16, 16, 1])
    for layer, (weight, bias) in zip(model.layers, layers):
        for neuron, row, b in zip(layer.neurons, weight, bias):
            for w, x in zip(neuron.weight, row):
                w.data = x
            neuron.bias.data = b
    params = model.parameters()
    optimizer = SGD(params, lr=LR)

    def step() -> float:
        scores = [model(p)[0] for p in points]
        loss = hinge(scores, labels) + ALPHA * l2(params)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.data  # the graph is freed here, by reference counting

    return step


def make_step_micrograd(layers, points, labels):
    # micrograd's own demo (demo.ipynb), with SGD at a constant rate.
    from micrograd.engine import Value
    from micrograd.nn import MLP

    model = MLP(2, [16, 16, 1])
    for layer, (weight, bias) in zip(model.layers, layers):
        for neuron, row, b in zip(layer.neurons, weight, bias):
            for w, x in zip(neuron.w, row):
                w.data = x
            neuron.b.data = b
    params = model.parameters()

    def step() -> float:
        inputs = [list(map(Value, p)) for p in points]
        scores = list(map(model, inputs))
        losses = [(1 + -y * s).relu() for y, s in zip(labels, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in params)
        loss = data_loss + reg_loss
        model.zero_grad()
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
        return loss.data  # the graph is a reference cycle: the cyclic GC frees it, later

    return step


def make_step_plain(layers, points, labels):
    import plain_floats

    layers = [([list(row) for row in weight], list(bias)) for weight, bias in layers]

    def step() -> float:
        return plain_floats.train_step(layers, points, labels, LR, ALPHA)

    return step


def run_w1(engine: str, quick: bool) -> dict:
    points, labels = moons_data()
    layers = initial_layers()
    make = {TE: make_step_tinygrad_edu, TAPED: make_step_tinygrad_edu, MG: make_step_micrograd}
    step = make.get(engine, make_step_plain)(layers, points, labels)
    if engine == TAPED:
        step = on_tape(step)
    warmup = 1
    steps = (8 if engine == MG else 20) if not quick else 3
    times, losses = [], []
    for _ in range(warmup + steps):
        start = time.perf_counter()
        losses.append(step())
        times.append(time.perf_counter() - start)
    return {"seconds": statistics.median(times[warmup:]), "losses": losses}


def check_plain_floats() -> float:
    """The hand-written backward must give tinygrad_edu's gradients: returns
    the largest difference, relative to max(1, |grad|). Raises if over 1e-9."""
    import plain_floats

    from tinygrad_edu.functional import hinge, l2
    from tinygrad_edu.nn import MLP

    points, labels = moons_data()
    layers = initial_layers()
    random.seed(0)
    model = MLP(2, [16, 16, 1])  # the same seed: the same weights as `layers`
    loss = hinge([model(p)[0] for p in points], labels) + ALPHA * l2(model.parameters())
    loss.backward()
    plain_loss, grads = plain_floats.loss_and_grads(layers, points, labels, ALPHA)
    worst = abs(plain_loss - loss.data) / max(1.0, abs(loss.data))
    for layer, (grad_weight, grad_bias) in zip(model.layers, grads):
        for neuron, grad_row, grad_b in zip(layer.neurons, grad_weight, grad_bias):
            for w, g in zip([*neuron.weight, neuron.bias], [*grad_row, grad_b]):
                worst = max(worst, abs(w.grad - g) / max(1.0, abs(w.grad)))
    if worst > 1e-9:
        raise RuntimeError(f"plain_floats disagrees with tinygrad_edu: worst relative difference {worst:.3g}")
    return worst


# ======================================================= W2: a long chain of ops
def build_chain(value_class, n: int):
    x = value_class(1.0)
    for i in range(n):
        x = x * 1.0000001 if i % 2 == 0 else x + 0.5
    return x


def time_chain(value_class, n: int, repeats: int, taped: bool = False) -> tuple[float, float]:
    """Median seconds per op node to build a fresh chain of n ops, and to run
    backward() on it (both inside one `tape()` per chain if `taped`)."""
    from contextlib import nullcontext

    from tinygrad_edu import tape

    build, backward = [], []
    for _ in range(repeats):
        with tape() if taped else nullcontext():
            start = time.perf_counter()
            out = build_chain(value_class, n)
            middle = time.perf_counter()
            out.backward()
            build.append(middle - start)
            backward.append(time.perf_counter() - middle)
            del out
    return statistics.median(build) / n, statistics.median(backward) / n


def first_failing_length(value_class, lo: int, hi: int) -> int | None:
    """The shortest chain (in lo..hi) whose backward raises RecursionError."""
    try:
        build_chain(value_class, hi).backward()
        return None
    except RecursionError:
        pass
    while lo < hi:
        mid = (lo + hi) // 2
        try:
            build_chain(value_class, mid).backward()
            lo = mid + 1
        except RecursionError:
            hi = mid
    return lo


def run_w2(engine: str, quick: bool) -> dict:
    long_n = 100_000 if quick else 1_000_000
    if engine == TAPED:
        from tinygrad_edu import Value

        return dict(zip(("short_build", "short"), time_chain(Value, 400, 50 if quick else 300, taped=True)))
    if engine == TE:
        from tinygrad_edu import Value

        result = dict(zip(("short_build", "short"), time_chain(Value, 400, 50 if quick else 300)))
        start = time.perf_counter()
        out = build_chain(Value, long_n)
        result["long_build"] = (time.perf_counter() - start) / long_n
        start = time.perf_counter()
        out.backward()
        result["long"] = (time.perf_counter() - start) / long_n
        result["long_n"] = long_n
        return result
    from micrograd.engine import Value

    return {
        **dict(zip(("short_build", "short"), time_chain(Value, 400, 50 if quick else 300))),
        "fails_at": first_failing_length(Value, 400, 5000),
        "recursion_limit": sys.getrecursionlimit(),
    }


# ===================================================== W3: bytes per graph node
def bytes_per_node(make, count: int) -> float:
    """Memory allocated per node when `count` nodes are made and kept alive."""
    nodes = [None] * count  # allocated before tracing starts: not counted
    # CPython recycles small tuples and floats through free lists, which
    # tracemalloc does not see; empty them first so every node is counted.
    drain = [tuple(range(size)) for size in range(1, 21) for _ in range(2_100)]
    drain += [float(i) + 0.5 for i in range(200)]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(count):
        nodes[i] = make()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del drain
    return (after - before) / count


W3_OPS = ("a*b", "a+b", "relu(a)", "tanh(a)")


def run_w3(engine: str, quick: bool) -> dict:
    if engine == TE:
        from tinygrad_edu import Value
    else:
        from micrograd.engine import Value
    a, b = Value(0.5), Value(-1.5)
    ops = {"a*b": lambda: a * b, "a+b": lambda: a + b, "relu(a)": lambda: a.relu()}
    if hasattr(Value, "tanh"):  # micrograd 0.1.0 has no tanh
        ops["tanh(a)"] = lambda: a.tanh()
    count = 10_000 if quick else 100_000
    return {name: bytes_per_node(make, count) for name, make in ops.items()}


# ====================================================== W4: a tiny GPT's step
W4_MODULE = HERE / "w4_gpt.py"


def run_w4(engine: str, quick: bool) -> dict:
    try:
        import w4_gpt

        step, positions, nodes = w4_gpt.make_gpt_step(seed=0)
        if engine == TAPED:
            step = on_tape(step)
    except ImportError as error:  # the GPT demo or one of its parts is not there yet
        return {"skipped": f"benchmarks/w4_gpt.py could not be set up: {error}"}
    warmup, steps = (1, 2) if quick else (3, 20)
    times = []
    for _ in range(warmup + steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return {"seconds": statistics.median(times[warmup:]), "positions": positions, "nodes": nodes}


# ================================================= W5: the digits CNN's step
def run_w5(engine: str, quick: bool) -> dict:
    import w5_cnn

    return w5_cnn.run(engine, quick)


# ========================================= W6: microgpt's hand-written GPT, two engines
def make_step_w6(engine: str):
    import w6_microgpt

    from tinygrad_edu import Value

    step, positions = w6_microgpt.make_step(w6_microgpt.MicroValue if engine == MICRO else Value)
    return (on_tape(step) if engine == TAPED else step), positions


def run_w6(engine: str, quick: bool) -> dict:
    step, positions = make_step_w6(engine)
    warmup, steps = (1, 2) if quick else (2, 10)
    times, losses = [], []
    for _ in range(warmup + steps):
        # CPU time of this process, as W5: on the shared host the clock gave
        # ours 1.2-1.3x microgpt's time in run after run, while the CPU time
        # of the same steps was 0.9x.
        start = time.process_time()
        losses.append(step())
        times.append(time.process_time() - start)
    return {"seconds": statistics.median(times[warmup:]), "positions": positions, "losses": losses}


# ============================== W7: the demo GPT against its torch twin
def run_w7(engine: str, quick: bool) -> dict:
    import w7_torch_gpt

    return w7_torch_gpt.run(engine, quick)


WORKLOADS = {
    "W1": (run_w1, (TE, TAPED, MG, PLAIN)),
    "W2": (run_w2, (TE, TAPED, MG)),
    "W3": (run_w3, (TE, MG)),
    "W4": (run_w4, (TE, TAPED)),
    "W5": (run_w5, (TE, "pytorch float32")),
    "W6": (run_w6, (TE, TAPED, MICRO)),
    "W7": (run_w7, (TE, "pytorch float64", "pytorch float32")),
}


# ================================================= --instructions: callgrind counts
def make_counted_step(workload: str, engine: str):
    """A no-argument step of `workload` on `engine`, for counting instructions."""
    if engine == TAPED:
        return on_tape(make_counted_step(workload, TE))
    if workload == "W1":
        make = {TE: make_step_tinygrad_edu, MG: make_step_micrograd, PLAIN: make_step_plain}[engine]
        return make(initial_layers(), *moons_data())
    if workload == "W4":
        import w4_gpt

        return w4_gpt.make_gpt_step(seed=0)[0]
    if workload == "W6":
        return make_step_w6(engine)[0]
    raise ValueError(f"{workload}: no instruction count for this workload")


COUNTED = {
    "W1": (TE, TAPED, PLAIN),
    "W4": (TE, TAPED),
    "W6": (TE, TAPED, MICRO),
}  # micrograd's W1 takes minutes under valgrind


def run_counted_steps(workload: str, engine: str, steps: int) -> None:
    step = make_counted_step(workload, engine)
    step()  # a warm-up step in every run: caches filled, the same in the subtraction below
    for _ in range(steps):
        step()


def count_instructions(workload: str, engine: str, steps: int) -> int:
    """Instructions of a whole worker process that sets up and runs `steps` steps."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable]
    command += [str(Path(__file__).resolve()), "--worker", workload, engine, "--steps", str(steps)]
    done = subprocess.run(command, capture_output=True, text=True)
    found = [line for line in done.stderr.splitlines() if "Collected :" in line]
    if done.returncode != 0 or not found:
        sys.stderr.write(done.stderr[-2000:])
        raise RuntimeError(f"{workload} on {engine}: callgrind failed (exit {done.returncode})")
    return int(found[-1].split(":")[-1])


def instructions_per_step(workload: str, engine: str, steps: int) -> float:
    """(count with 1 + steps steps - count with 1 step) / steps: set-up cancels out."""
    return (count_instructions(workload, engine, steps) - count_instructions(workload, engine, 0)) / steps


# What tinygrad_edu's count is judged by: (peer or None, target ratio or count, its text).
INSTRUCTION_TARGETS = {
    "W1": (PLAIN, 2.0, "<= 2.0x plain floats"),
    "W4": (None, 100e6, "<= 100 M"),
    "W6": (MICRO, None, "(time is the target: <= 0.85x)"),
}


def report_instructions(workloads: list[str], steps: int) -> list[str]:
    rows = []
    for workload in workloads:
        counts = {}
        for engine in COUNTED[workload]:
            print(f"  {workload} {engine:<13} under callgrind", file=sys.stderr, flush=True)
            counts[engine] = instructions_per_step(workload, engine, steps)
        peer, target, target_text = INSTRUCTION_TARGETS[workload]
        for ours_engine in (TE, TAPED):
            rows.append(instruction_row(workload, ours_engine, counts, peer, target, target_text))
    return rows


def instruction_row(workload: str, engine: str, counts: dict, peer, target, target_text: str) -> str:
    ours = counts[engine]
    name = workload if engine == TE else f"{workload} in tape()"
    if peer is None:
        return f"| {name} | {ours / 1e6:.1f} M | | | {target_text} | {verdict(ours <= target)} |"
    ratio = ours / counts[peer]
    met = verdict(ratio <= target) if target is not None else ""
    return (
        f"| {name} | {ours / 1e6:.1f} M | {peer}: {counts[peer] / 1e6:.1f} M | {ratio:.2f}x "
        f"| {target_text} | {met} |"
    )


# ================================================================ the driver
def run_in_subprocess(workload: str, engine: str, quick: bool) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", workload, engine]
    if quick:
        command.append("--quick")
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise RuntimeError(f"{workload} on {engine}: the worker process failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def collect(workloads: list[str], repeats: int, quick: bool) -> dict:
    """{workload: {engine: [result of each process]}}, processes interleaved."""
    results: dict = {}
    for workload in workloads:
        engines = WORKLOADS[workload][1]
        results[workload] = {engine: [] for engine in engines}
        for r in range(repeats):
            for engine in engines:
                print(f"  {workload} {engine:<13} process {r + 1}/{repeats}", file=sys.stderr, flush=True)
                results[workload][engine].append(run_in_subprocess(workload, engine, quick))
    return results


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def spread(runs: list[dict], key: str, scale: float, unit: str) -> str:
    values = sorted(run[key] * scale for run in runs)
    return f"{values[0]:.3g} .. {values[-1]:.3g} {unit}" if len(values) > 1 else f"{values[0]:.3g} {unit}"


def verdict(ok: bool) -> str:
    return "yes" if ok else "**no**"


def report(results: dict, quick: bool) -> list[str]:
    """The table rows, as markdown, and notes under it."""
    rows, notes = [], []
    if "W1" in results:
        te, taped, mg, plain = (results["W1"][e] for e in (TE, TAPED, MG, PLAIN))
        t_mg, t_plain = median_of(mg, "seconds"), median_of(plain, "seconds")
        # The same workload: every engine follows the same trajectory.
        first = [runs[0]["losses"] for runs in (te, taped, mg, plain)]
        k = min(map(len, first))
        drift = max(abs(a - b) for losses in first[1:] for a, b in zip(first[0][:k], losses[:k]))
        for name, runs in (("", te), (" in tape()", taped)):
            t_te = median_of(runs, "seconds")
            rows.append(
                f"| W1 moons MLP 2-16-16-1, 100 points: one training step{name} | {1e3 * t_te:.1f} ms "
                f"| {1e3 * t_mg:.0f} ms | {t_mg / t_te:.0f}x faster | >= 65x | {verdict(t_mg / t_te >= 65)} |"
            )
            rows.append(
                f"| W1 the same step{name}, against plain floats with a backward by hand | {1e3 * t_te:.1f} ms "
                f"| plain floats: {1e3 * t_plain:.1f} ms | {t_te / t_plain:.2f}x the plain cost | < 3x "
                f"| {verdict(t_te / t_plain < 3)} |"
            )
        notes.append(
            f"W1: per-process medians: {TE} {spread(te, 'seconds', 1e3, 'ms')}, "
            f"{TAPED} {spread(taped, 'seconds', 1e3, 'ms')}, "
            f"{MG} {spread(mg, 'seconds', 1e3, 'ms')}, {PLAIN} {spread(plain, 'seconds', 1e3, 'ms')}; "
            f"losses of the four agree to {drift:.1e} over {k} steps; "
            f"plain-float gradients match tinygrad_edu's to {check_plain_floats():.1e} (relative)."
        )
    if "W2" in results:
        te, mg = results["W2"][TE], results["W2"][MG]
        short_te, short_mg = median_of(te, "short"), median_of(mg, "short")
        long_n = te[0]["long_n"]
        fails = mg[0]["fails_at"]
        failure = (
            f"RecursionError from N = {fails:,}" if fails is not None else "no RecursionError up to N = 5,000"
        )
        rows.append(
            f"| W2 backward() through a chain of 400 ops | {1e9 * short_te:.0f} ns/node "
            f"| {1e9 * short_mg:.0f} ns/node | {short_mg / short_te:.1f}x faster | >= 4x "
            f"| {verdict(short_mg / short_te >= 4)} |"
        )
        both_te = short_te + median_of(te, "short_build")
        both_mg = short_mg + median_of(mg, "short_build")
        rows.append(
            f"| W2 build the chain of 400 ops, then backward() | {1e9 * both_te:.0f} ns/node "
            f"| {1e9 * both_mg:.0f} ns/node | {both_mg / both_te:.1f}x faster | (for information) | |"
        )
        taped = results["W2"][TAPED]
        short_taped = median_of(taped, "short")
        both_taped = short_taped + median_of(taped, "short_build")
        rows.append(
            f"| W2 backward() through the chain of 400 ops, in tape() | {1e9 * short_taped:.0f} ns/node "
            f"| {1e9 * short_mg:.0f} ns/node | {short_mg / short_taped:.1f}x faster | >= 4x "
            f"| {verdict(short_mg / short_taped >= 4)} |"
        )
        rows.append(
            f"| W2 build the chain of 400 ops, then backward(), in tape() | {1e9 * both_taped:.0f} ns/node "
            f"| {1e9 * both_mg:.0f} ns/node | {both_mg / both_taped:.1f}x faster | (for information) | |"
        )
        rows.append(
            f"| W2 backward() through a chain of {long_n:,} ops | {1e9 * median_of(te, 'long'):.0f} ns/node "
            f"| {failure} | | works | yes |"
        )
        notes.append(
            f"W2: ops alternate x * 1.0000001 and x + 0.5 (each with a constant leaf); micrograd's "
            f"recursive topological sort hits the recursion limit ({mg[0]['recursion_limit']}) at "
            f"N = {fails}; building the long chain on {TE} took "
            f"{1e9 * median_of(te, 'long_build'):.0f} ns/node; per-process medians at N = 400: "
            f"{TE} {spread(te, 'short', 1e9, 'ns')}, {MG} {spread(mg, 'short', 1e9, 'ns')}."
        )
    if "W3" in results:
        te, mg = results["W3"][TE][0], results["W3"][MG][0]
        for op in W3_OPS:
            if op not in te:
                continue
            mg_text = f"{mg[op]:.0f} B" if op in mg else "(no such op)"
            ratio = f"{mg[op] / te[op]:.1f}x smaller" if op in mg else ""
            rows.append(
                f"| W3 memory of one `{op}` node (tracemalloc) | {te[op]:.0f} B | {mg_text} | {ratio} "
                f"| <= 200 B | {verdict(te[op] <= 200)} |"
            )
    if "W4" in results:
        runs = results["W4"][TE]
        if "skipped" in runs[0]:
            notes.append(f"W4: skipped: {runs[0]['skipped']}")
        else:
            for name, runs in (("", results["W4"][TE]), (" in tape()", results["W4"][TAPED])):
                per_position = median_of(runs, "seconds") / runs[0]["positions"]
                rows.append(
                    f"| W4 tiny GPT training step{name} ({runs[0]['positions']} positions, "
                    f"{runs[0]['nodes']:,} nodes) | {1e3 * per_position:.2f} ms/position | (no GPT) | "
                    f"| <= 1.6 ms | {verdict(per_position <= 1.6e-3)} |"
                )
                notes.append(f"W4{name}: step time {spread(runs, 'seconds', 1e3, 'ms')} per process.")
    if "W5" in results:
        import w5_cnn

        w5_rows, w5_notes = w5_cnn.report(results["W5"], median_of, spread)
        rows += w5_rows
        notes += w5_notes
    if "W6" in results:
        report_w6(results["W6"], rows, notes)
    if "W7" in results:
        import w7_torch_gpt

        w7_rows, w7_notes = w7_torch_gpt.report(results["W7"], median_of, spread)
        rows += w7_rows
        notes += w7_notes
    return rows, notes


def report_w6(results: dict, rows: list[str], notes: list[str]) -> None:
    te, taped, micro = results[TE], results[TAPED], results[MICRO]
    positions = te[0]["positions"]
    t_micro = median_of(micro, "seconds") / positions
    drift = max(abs(a - b) for runs in (te, taped) for a, b in zip(runs[0]["losses"], micro[0]["losses"]))
    for name, runs in (("", te), (", in tape()", taped)):
        t_te = median_of(runs, "seconds") / positions
        rows.append(
            f"| W6 microgpt's hand-written scalar GPT (unfused), one step{name}, CPU time "
            f"| {1e3 * t_te:.1f} ms/position | {MICRO} Value: {1e3 * t_micro:.1f} ms/position "
            f"| {t_te / t_micro:.2f}x its time | <= 0.85x | {verdict(t_te / t_micro <= 0.85)} |"
        )
    notes.append(
        f"W6: per-process medians: {TE} {spread(te, 'seconds', 1e3, 'ms')}, "
        f"{TAPED} {spread(taped, 'seconds', 1e3, 'ms')}, "
        f"{MICRO} {spread(micro, 'seconds', 1e3, 'ms')} per step of {positions} positions; "
        f"the engines' losses agree to {drift:.1e}."
    )


def header(repeats: int, quick: bool) -> str:
    from importlib.metadata import version

    try:
        mg_version = version("micrograd")
    except Exception:  # noqa: BLE001 - only for the header
        mg_version = "?"
    import tinygrad_edu

    return (
        f"tinygrad_edu {tinygrad_edu.__version__} vs micrograd {mg_version}, "
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"{datetime.date.today().isoformat()}; {repeats} process(es) per engine and workload"
        + (", --quick" if quick else "")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds' run, to check the script works")
    parser.add_argument("--repeats", type=int, default=None, help="processes per engine and workload")
    parser.add_argument(
        "--only", default="W1,W2,W3,W4,W5,W6,W7", help="workloads to run (default: %(default)s)"
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="instructions per step under valgrind's callgrind, not seconds",
    )
    parser.add_argument("--worker", nargs=2, metavar=("WORKLOAD", "ENGINE"), help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker and args.steps is not None:  # under callgrind: just run the steps
        run_counted_steps(*args.worker, args.steps)
        return 0
    if args.worker:  # inside one measuring process: print one JSON line
        workload, engine = args.worker
        print(json.dumps(WORKLOADS[workload][0](engine, args.quick)))
        return 0
    if args.instructions:
        return main_instructions(parser, args)

    workloads = [w.strip().upper() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in workloads if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")
    if any(w in workloads for w in ("W1", "W2", "W3")):
        try:
            import micrograd  # noqa: F401
        except ImportError:
            parser.error(
                "micrograd is not installed: pip install micrograd==0.1.0 (or, in your clone, pip install -e '.[bench]')"
            )
    skip_w4 = "W4" in workloads and not W4_MODULE.exists()
    if skip_w4:
        workloads.remove("W4")
    repeats = args.repeats or (1 if args.quick else 5)

    print(header(repeats, args.quick), flush=True)
    results = collect(workloads, repeats, args.quick)
    rows, notes = report(results, args.quick)
    if skip_w4:
        notes.append(f"W4: skipped: {W4_MODULE.relative_to(ROOT)} does not exist (yet).")
    print()
    print("| workload | tinygrad_edu | micrograd | ratio | target | met |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    for note in notes:
        print(f"- {note}")
    return 0


def main_instructions(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    import shutil

    if shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind (callgrind) installed")
    only = args.only if args.only != parser.get_default("only") else ",".join(COUNTED)
    workloads = [w.strip().upper() for w in only.split(",") if w.strip()]
    if any(w not in COUNTED for w in workloads):
        parser.error(f"--instructions counts the workloads {list(COUNTED)}; got {workloads}")
    steps = 1 if args.quick else 3
    print(
        header(1, args.quick) + f"; callgrind instruction counts, {steps} step(s) after a warm-up", flush=True
    )
    rows = report_instructions(workloads, steps)
    print()
    print("| workload | tinygrad_edu | peer | ratio | target | met |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
