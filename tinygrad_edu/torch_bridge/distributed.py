"""Past one machine: the GPT's torch twin trained with DistributedDataParallel.

    python -m tinygrad_edu.torch_bridge.distributed gpt --processes 2 [--steps N] [--out DIR]
    torchrun --nproc-per-node 2 -m tinygrad_edu.torch_bridge.distributed gpt     (the same, by torchrun)

Data parallelism in three lines: every process holds the whole model; each
step, every process draws the *same* batch of names (the same seed) and
keeps its own shard of it (names rank, rank + P, rank + 2P, ...); after
backward, DDP averages the gradients over the processes (an all-reduce), so
every process takes the same optimizer step and the copies never drift.

For that average to be the gradient of the whole batch, each process's loss
is its share of the whole batch's mean: the sum of its tokens' losses over
the batch's token count, times P (DDP divides by P). Then one step on P
processes gives the parameters one process gets on the whole batch, to
float64 rounding (tests/test_torch_distributed.py checks it at 1e-10).

The backend is gloo on CPU, nccl where GPUs are present (one process per
GPU). Run by hand, the script starts its processes itself (on this
machine); under ``torchrun`` it takes the rank and the rendezvous from
torchrun, so the same script runs across machines (see the README's
"Graduate to PyTorch"). At the end, process 0 copies the weights back into
our GPT (`from_torch`) and writes ``model.json`` (one file with the weights,
the settings and the tokenizer, as the demos save theirs: read it back with
`tinygrad_edu.models.saved.load_model`) and ``results.json`` to the output
folder.

The model starts as a GPT of ours, made with a seed (so every process makes
the same one) and moved with `to_torch`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from ..datasets import CharTokenizer, load_names
from ..models.gpt import GPT
from ..models.saved import save_model
from ..nn.module import write_atomically
from .convert import from_torch, to_torch
from .modules import IGNORE, pad_documents

MODELS = ("gpt",)
HELD_OUT = 200  # names kept out of training, the first of a seeded shuffle (as notebook 05)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tinygrad_edu.torch_bridge.distributed",
        description="Train the torch twin of a tinygrad_edu model with DistributedDataParallel.",
    )
    parser.add_argument("model", choices=MODELS, help="the model to train")
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        help="processes on this machine (default 2; ignored under torchrun)",
    )
    parser.add_argument("--steps", type=int, default=200, help="optimizer steps (default 200)")
    parser.add_argument(
        "--batch-size", type=int, default=64, help="names per step, over all processes (default 64)"
    )
    parser.add_argument(
        "--lr", type=float, default=3e-3, help="Adam's step size, falling linearly to 0 (default 3e-3)"
    )
    parser.add_argument("--n-embd", type=int, default=64, help="the GPT's width (default 64)")
    parser.add_argument("--n-layer", type=int, default=2, help="the GPT's blocks (default 2)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument(
        "--backend", choices=("auto", "gloo", "nccl"), default="auto", help="auto: nccl with GPUs, else gloo"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="tinygrad-edu-output/distributed", help="output folder")
    args = parser.parse_args(argv)
    for name in ("processes", "steps", "batch_size", "n_embd", "n_layer"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if args.n_embd % 4:
        parser.error(f"--n-embd must be a multiple of 4 (the 4 heads' widths), got {args.n_embd}")
    if args.batch_size < args.processes:
        parser.error(
            f"--batch-size {args.batch_size} leaves some of the {args.processes} processes without a name"
        )
    if args.backend == "auto":
        args.backend = "nccl" if torch.cuda.is_available() else "gloo"
    if args.backend == "nccl" and not torch.cuda.is_available():
        parser.error("--backend nccl needs GPUs; use gloo on CPU")
    return args


# ------------------------------------------------------------------ data
def the_names(seed: int) -> tuple[CharTokenizer, list[list[int]], list[list[int]]]:
    """(tokenizer, training documents, held-out documents), the same in every process."""
    names = load_names()
    tokenizer = CharTokenizer.from_texts(names)
    random.Random(seed).shuffle(names)
    docs = [tokenizer.encode_document(name) for name in names]
    return tokenizer, docs[HELD_OUT:], docs[:HELD_OUT]


def make_model(vocab_size: int, args: argparse.Namespace) -> GPT:
    random.seed(args.seed)  # every process makes the same model (DDP also copies rank 0's at the start)
    return GPT(vocab_size, block_size=24, n_layer=args.n_layer, n_embd=args.n_embd, n_head=4)


# ------------------------------------------------------------------ training
def train(rank: int, world: int, local_rank: int, args: argparse.Namespace) -> None:
    """One process's part: its shard of every batch, DDP's all-reduce between."""
    device = torch.device(f"cuda:{local_rank}") if args.backend == "nccl" else torch.device("cpu")
    dtype = getattr(torch, args.dtype)
    tokenizer, train_docs, held_docs = the_names(args.seed)
    ours = make_model(tokenizer.vocab_size, args)
    twin = to_torch(ours, dtype=dtype).to(device)
    model = DistributedDataParallel(twin, device_ids=[local_rank] if device.type == "cuda" else None)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.85, 0.99))
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / args.steps)
    draw = random.Random(args.seed + 1)  # the same batches in every process

    cpu_start, wall_start = time.process_time(), time.perf_counter()
    losses, n_tokens = [], 0
    for step in range(args.steps):
        batch = draw.sample(train_docs, args.batch_size)
        batch_tokens = sum(len(d) - 1 for d in batch)
        ids, targets = pad_documents(batch[rank::world], twin.block_size, device)  # this process's shard
        logits = model(ids)  # (B / P, T, vocab)
        summed = F.cross_entropy(
            logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE, reduction="sum"
        )
        loss = summed * (world / batch_tokens)  # DDP averages over P: the whole batch's mean
        optimizer.zero_grad()
        loss.backward()  # the all-reduce of the gradients happens here
        optimizer.step()
        schedule.step()
        whole = summed.detach().clone()
        dist.all_reduce(whole)  # the whole batch's summed loss, for the log only
        losses.append(whole.item() / batch_tokens)
        n_tokens += batch_tokens
        if rank == 0 and (step % max(1, args.steps // 10) == 0 or step == args.steps - 1):
            print(f"step {step + 1:4d}/{args.steps}: loss {losses[-1]:.4f}", flush=True)
    cpu = torch.tensor([time.process_time() - cpu_start], dtype=torch.float64)
    wall = time.perf_counter() - wall_start
    cpus = [torch.zeros_like(cpu) for _ in range(world)]
    dist.all_gather(cpus, cpu)
    if rank == 0:
        report(
            ours, twin, tokenizer, held_docs, losses, n_tokens, wall, [c.item() for c in cpus], world, args
        )


def report(ours, twin, tokenizer, held_docs, losses, n_tokens, wall, cpus, world, args) -> None:
    """Process 0: the held-out loss, the weights back in our GPT, the files."""
    with torch.no_grad():
        held_out = twin.loss(
            *pad_documents(held_docs, twin.block_size, next(twin.parameters()).device)
        ).item()
    from_torch(twin.cpu(), ours)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    figures = {
        "model": args.model,
        "processes": world,
        "backend": args.backend,
        "dtype": args.dtype,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "parameters": ours.num_parameters(),
        "tokens": n_tokens,
        "first_loss": round(losses[0], 6),
        "final_loss": round(losses[-1], 6),
        "heldout_loss": round(held_out, 6),
        "wall_seconds": round(wall, 3),
        "cpu_seconds_per_process": [round(c, 3) for c in cpus],
    }
    save_model(
        out / "model.json", ours, tokenizer, meta={"trained_by": "torch_bridge.distributed", **figures}
    )
    write_atomically(str(out / "results.json"), json.dumps(figures, indent=2), "distributed")
    print(
        f"{world} process(es), {args.backend}, {args.dtype}: {args.steps} steps of {args.batch_size} names "
        f"({n_tokens:,} tokens) in {wall:.1f} s ({', '.join(f'{c:.1f}' for c in cpus)} CPU s per process); "
        f"loss {losses[0]:.3f} -> {losses[-1]:.3f}, held out {held_out:.3f}"
    )
    print(f"wrote {out / 'model.json'} (read it back with load_model) and {out / 'results.json'}")


# ------------------------------------------------------------------ launching
def _worker(rank: int, world: int, args: argparse.Namespace) -> None:
    """A process started by this script: joins the group at MASTER_ADDR:MASTER_PORT."""
    dist.init_process_group(args.backend, rank=rank, world_size=world)
    try:
        torch.set_num_threads(1)  # one core a process: P processes share the machine's cores
        train(rank, world, rank, args)
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ:  # started by torchrun: it did the rendezvous
        dist.init_process_group(args.backend)
        try:
            train(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)), args)
        finally:
            dist.destroy_process_group()
        return 0
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ["MASTER_PORT"] = str(_free_port())
    torch.multiprocessing.spawn(_worker, args=(args.processes, args), nprocs=args.processes, join=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
