"""The distributed script: one step of DistributedDataParallel on 2 CPU
processes (gloo), each on its half of the batch, gives the parameters of one
plain step on the whole batch, in float64 to 1e-10."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from tinygrad_edu.models.saved import load_model  # noqa: E402
from tinygrad_edu.torch_bridge import distributed, to_torch  # noqa: E402
from tinygrad_edu.torch_bridge.modules import pad_documents  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SMALL = ["--n-embd", "8", "--n-layer", "1", "--batch-size", "6", "--lr", "0.01", "--dtype", "float64"]


def run(*argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-m", "tinygrad_edu.torch_bridge.distributed", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def one_step_on_the_whole_batch(argv: list[str]) -> tuple[dict, dict]:
    """(parameters after one step, before it) of one process without DDP: the same model, batch and step."""
    args = distributed.parse_args(["gpt", "--processes", "1", "--steps", "1", *argv])
    tokenizer, train_docs, _ = distributed.the_names(args.seed)
    ours = distributed.make_model(tokenizer.vocab_size, args)
    twin = to_torch(ours)
    optimizer = torch.optim.Adam(twin.parameters(), lr=args.lr, betas=(0.85, 0.99))
    batch = random.Random(args.seed + 1).sample(train_docs, args.batch_size)
    twin.loss(*pad_documents(batch, twin.block_size, "cpu")).backward()  # the mean over every token
    optimizer.step()
    return {name: tensor.tolist() for name, tensor in twin.state_dict().items()}, ours.state_dict()


def test_one_ddp_step_on_two_processes_is_one_step_on_the_whole_batch(tmp_path):
    result = run("gpt", "--processes", "2", "--steps", "1", *SMALL, "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    expected, initial = one_step_on_the_whole_batch(SMALL)

    saved = load_model(tmp_path / "model.json", kind="gpt")  # the weights came back into our GPT
    assert saved.meta["processes"] == 2 and saved.vocab.vocab_size == 27
    got = saved.model.state_dict()
    flat = {name: torch.tensor(values, dtype=torch.float64) for name, values in got.items()}
    moved = 0.0
    for name, values in expected.items():
        want = torch.tensor(values, dtype=torch.float64)
        assert torch.allclose(flat[name], want, atol=1e-10, rtol=0), name
        moved = max(moved, (want - torch.tensor(initial[name], dtype=torch.float64)).abs().max().item())
    assert moved > 1e-3  # the step did something: the comparison is not of two untouched models

    results = json.loads((tmp_path / "results.json").read_text())
    assert results["processes"] == 2 and results["backend"] == "gloo" and results["steps"] == 1
    assert results["tokens"] > 0 and len(results["cpu_seconds_per_process"]) == 2


def test_bad_arguments_are_messages_with_exit_code_2(capsys):
    for argv, message in (
        (["gpt", "--processes", "0"], "--processes must be at least 1, got 0"),
        (["gpt", "--n-embd", "6"], "--n-embd must be a multiple of 4"),
        (["gpt", "--processes", "4", "--batch-size", "2"], "leaves some of the 4 processes without a name"),
        (["bert"], "invalid choice: 'bert'"),
    ):
        with pytest.raises(SystemExit) as exit_:
            distributed.main(argv)
        assert exit_.value.code == 2
        assert message in capsys.readouterr().err
