"""The switches around the engine: what happens to each Value as an op makes it.

`engine.py` makes Values; this module holds the three switches that decide,
for the calling thread, what else happens when one is made:

* grad mode: inside `no_grad()` an op keeps its number and drops its graph
  (evaluation, generation); `is_grad_enabled()` says which mode is on;
* the tape: inside ``with tape():`` each op's output is also appended to a
  `Tape`, in the order the ops ran, which `backward()` then walks instead of
  searching the graph (`running_tape()`, `tape_holding(value)`);
* the anomaly slot: `detect_anomaly()` (in `anomaly.py`) puts a checker in
  it with `anomaly_checker(checker)`; the engine calls the checker's
  ``check_forward(node, edges)`` as each op runs and ``check_backward(node)``
  as backward passes each node on (`current_anomaly_checker()`).

    >>> from tinygrad_edu import Value
    >>> is_grad_enabled(), running_tape(), current_anomaly_checker()
    (True, None, None)
    >>> with no_grad():
    ...     is_grad_enabled()
    False
    >>> w = Value(3.0)
    >>> with tape() as t:
    ...     loss = w * w
    ...     tape_holding(loss) is t is running_tape()
    True
    >>> tape_holding(loss), running_tape()  # the block is over
    (None, None)

Design notes, for the curious:

* Below the engine. `engine` imports this module and never the reverse, so
  the tape knows a node by what it reads of it (duck typing): its ``_edges``
  tuple (the parents, then the local derivatives, as `engine.Value` keeps
  them) and `topological_order`.
* Per thread, as PyTorch's grad mode: a thread generating text under
  `no_grad()` must not switch off the graph of a thread that is training.
  Each switch lives in a `contextvars.ContextVar`, which is per thread (and,
  in asyncio, per task): every new thread starts with the defaults
  (recording, no anomaly checker, no tape), whatever the thread that started
  it had. A context can be copied, though (`asyncio.to_thread`, a task,
  Python 3.14's threads started with the starter's context): the copy keeps
  grad mode and the anomaly checker, but a tape records only for the
  thread that opened it and only while its block runs (`Tape.owner`), so
  two threads never share, or zero, one tape.
* One read per op. The three switches are folded into a fourth, which the
  engine reads once per op with `current_mode()`: None (just record, the
  common case), the running `Tape` (record onto it) or `UNUSUAL` (inside
  `no_grad()` or with an anomaly checker: read the switches one by one).
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from threading import get_ident
from typing import Any

__all__ = [
    "UNUSUAL",
    "Tape",
    "anomaly_checker",
    "collector_paused",
    "current_anomaly_checker",
    "current_mode",
    "is_grad_enabled",
    "no_grad",
    "running_tape",
    "tape",
    "tape_holding",
]

# An `engine.Value`, read by duck typing: this module sits below the engine.
Node = Any


# ------------------------------------------------------------------ the tape
class Tape:
    """The intermediate Values made inside one `tape()` block, in the order
    the ops ran: a topological order (every node comes after its parents),
    found for free while the forward pass runs.

    `record` keeps that promise for Values made before the tape began (a
    cached intermediate, say): the first op that uses one puts it on the
    tape, with whatever it depends on that is not on it yet, before itself.
    `Value.linear` does the same with `take_in` for its whole layer at once.

    A tape belongs to the thread that opened its block, and only while the
    block runs: `owner` is that thread's id, None once the block has ended
    (or in a process forked from it). An op run anywhere else (another
    thread or a task that copied the context, the block's own task after
    the block) records nothing onto it: its graph is an ordinary one, and
    `backward()` searches it.
    """

    __slots__ = ("nodes", "known", "owner")

    def __init__(self, owner: int | None = None) -> None:
        self.owner = owner
        self.nodes: list[Node] = []
        # The nodes on it and the leaves their ops have used: a parent in
        # here needs nothing done. A set, so that a `dot`'s many parents are
        # looked up in C, not by a Python loop over them.
        self.known: set[Node] = set()

    def record(self, node: Node, edges: tuple) -> None:
        """Put an op's output on the tape, after any parent not on it yet;
        nothing, unless the calling thread owns the tape's running block."""
        if self.owner != get_ident():
            return
        known = self.known
        n = len(edges)
        # Ops with one or two parents are most of a graph: a leaf among them
        # (no edges) needs no look-up. A `dot`'s many parents go to C at once.
        if n == 4:
            a, b = edges[0], edges[1]
            if (a._edges and a not in known) or (b._edges and b not in known):
                self.take_in(edges[:2])
        elif n == 2:
            a = edges[0]
            if a._edges and a not in known:
                self.take_in(edges[:1])
        elif not known.issuperset(edges[: n // 2]):
            self.take_in(edges[: n // 2])
        self.nodes.append(node)
        known.add(node)

    def take_in(self, parents: tuple) -> None:
        """Note the new leaves among `parents`, and append the intermediate
        Values they depend on (themselves included) that are not on this
        tape, parents first."""
        known = self.known
        for parent in parents:
            if parent in known:
                continue
            if not parent._edges:
                known.add(parent)
                continue
            for v in parent.topological_order(include_leaves=False):
                if v not in known:  # the ones in it are earlier on it, with their parents
                    self.nodes.append(v)
                    known.add(v)

    def is_recording(self) -> bool:
        """True in the thread that owns the tape, while its block runs."""
        return self.owner == get_ident()

    def __len__(self) -> int:
        return len(self.nodes)

    def __repr__(self) -> str:
        return f"Tape({len(self.nodes)} values)"


@contextmanager
def tape() -> Iterator[Tape]:
    """Record the order the ops run in, so that `backward()` need not search.

    `backward()` needs the graph in a topological order. Without a tape it
    finds one by a depth-first search from the output, every time. Inside
    ``with tape():`` every op's output is also appended to a list as it is
    made, and the order the ops ran in is already a topological order (an op
    runs after its operands exist). `backward()` of a Value made inside walks
    that list backwards. The grads are the same up to rounding: the sums
    at a node used by several others may be added in another order.

    The cost: while the block runs, the tape holds every Value made in it,
    so a graph dropped inside the block is freed when the block ends, not at
    once. Open one per training step, as `demos/common.train_loop` does.
    For the same reason, work the loss never reads is kept and walked (BERT's
    masked loss read 40% of its step's nodes until the last block learned to
    compute only the masked positions: `TransformerBlock(positions=...)`).
    Inside the block, `backward()` zeroes the grads of all the tape's
    intermediate Values, not only the ones its output depends on. A
    `tape()` inside a running one continues that one.

    The tape belongs to the thread that opened the block, and records only
    until the block ends. `asyncio.to_thread`, an asyncio task and
    `contextvars.copy_context().run` copy the context, tape included; what
    runs in the copy records onto this tape only if it runs in this thread
    while the block is open (a task this thread awaits inside the block).
    In another thread, or after the block (a task still running), the copy
    sees no running tape: its ops make an ordinary graph, which `backward()`
    searches, and the tape's grads are never zeroed by it. A process forked
    inside the block sees no running tape either, and its collector as it was
    before the block. (Grad mode is a plain copied setting, as it is
    meant to be: a task or `to_thread` worker started inside `no_grad()`
    keeps no_grad for its whole life. PyTorch's grad mode is per thread
    instead: its `to_thread` worker starts recording, and a task started
    inside `torch.no_grad()` records again once the block has ended.)

    While any tape runs, Python's cyclic garbage collector is paused
    (`collector_paused`). Values make no reference cycles (a node holds its
    parents, never its children, and no closures), so reference counting
    frees every graph, and the collector, which runs every 700 new objects,
    would only walk the growing graph again and again. Anything with a cycle
    made in the block is collected once it is on again.

        >>> from tinygrad_edu import Value
        >>> w = Value(3.0)
        >>> with tape() as t:
        ...     loss = (w * w + 1.0).relu()
        ...     loss.backward()
        ...     [v.op for v in t.nodes]  # the constant 1.0 is a leaf: not on it
        ['*', '+', 'relu']
        >>> w.grad, len(t)  # the block is over: the tape has let go
        (6.0, 0)
    """
    running = running_tape()
    if running is not None:
        yield running
        return
    new = Tape(owner=get_ident())
    with collector_paused(), _switched(_tape, new):
        _open_tapes.add(new)
        try:
            yield new
        finally:
            new.owner = None  # closed: a copied context records nothing more
            _open_tapes.discard(new)
            # Let go of the Values while the collector is still paused, so
            # that reference counting alone frees the graphs: its first run,
            # due at once after so many new objects, would walk them all.
            new.nodes = []
            new.known = set()


def running_tape() -> Tape | None:
    """The calling thread's running tape, or None outside any `tape()` block
    (and in a thread or task that only copied the context of one)."""
    running = _tape.get()
    if running is not None and running.owner == get_ident():
        return running
    return None


def tape_holding(value: Node) -> Tape | None:
    """The running tape, if `value` is an intermediate Value on it (then
    `backward()` and the stepper walk the tape's order), else None."""
    running = running_tape()
    if running is not None and value._edges and value in running.known:
        return running
    return None


# The tapes whose blocks are open, in any thread: a forked child closes them.
_open_tapes: set[Tape] = set()


# ----------------------------------------------------------------- grad mode
@contextmanager
def no_grad() -> Iterator[None]:
    """Compute numbers without recording a graph (evaluation, generation).

    It switches recording off for the calling thread only.

    >>> from tinygrad_edu import Value
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.data, y.parents
    (4.0, ())
    """
    with _switched(_recording, False):
        yield


def is_grad_enabled() -> bool:
    """False inside `no_grad()`."""
    return _recording.get()


# --------------------------------------------------------- the anomaly slot
@contextmanager
def anomaly_checker(checker: Any) -> Iterator[None]:
    """Put `checker` in the calling thread's anomaly slot for the block, and
    the previous one back after it (on an error too). A checker has
    ``check_forward(node, edges)``, called as each op makes its node, and
    ``check_backward(node)``, called after backward passes a node's grad on;
    `anomaly.detect_anomaly()` installs its `AnomalyChecker` with this.

        >>> class Counter:
        ...     made = 0
        ...     def check_forward(self, node, edges): self.made += 1
        ...     def check_backward(self, node): pass
        >>> from tinygrad_edu import Value
        >>> counter = Counter()
        >>> with anomaly_checker(counter):
        ...     current_anomaly_checker() is counter
        ...     y = Value(2.0) * 3.0 + 1.0
        True
        >>> counter.made, current_anomaly_checker()
        (2, None)
    """
    with _switched(_anomaly, checker):
        yield


def current_anomaly_checker() -> Any:
    """The checker in the calling thread's anomaly slot, or None."""
    return _anomaly.get()


# -------------------------------------------------------------- the switches
_recording: ContextVar[bool] = ContextVar("tinygrad_edu.recording", default=True)
_anomaly: ContextVar[Any] = ContextVar("tinygrad_edu.anomaly", default=None)
_tape: ContextVar[Tape | None] = ContextVar("tinygrad_edu.tape", default=None)

UNUSUAL = object()  # the mode inside no_grad() or with an anomaly checker

# The three switches folded into the one thing the engine reads per op:
# None (just record), the running Tape (record onto it) or UNUSUAL. A
# ContextVar's get() is done in C, the cheapest per-thread read there is.
_mode: ContextVar[Tape | object | None] = ContextVar("tinygrad_edu.mode", default=None)
current_mode = _mode.get


def _switch(switch: ContextVar, value: Any) -> None:
    """Set one switch, and the folded mode to match."""
    switch.set(value)
    running = _tape.get() if _recording.get() and _anomaly.get() is None else UNUSUAL
    _mode.set(running)


@contextmanager
def _switched(switch: ContextVar, value: Any) -> Iterator[None]:
    """`switch` set to `value` for the block, and back to what it was after
    it (on an error too): nested blocks restore each other's settings."""
    previous = switch.get()
    _switch(switch, value)
    try:
        yield
    finally:
        _switch(switch, previous)


# ----------------------------------------------------- the cyclic collector
# The collector is one per process, paused by the tapes of all threads: the
# first pause sets its threshold to 0 (automatic collections off, as
# gc.set_threshold documents) and the last puts back the thresholds it found.
# gc.isenabled() is left to its owner: a gc.disable() inside a block stays.
_pauses: dict[str, Any] = {"count": 0, "thresholds": None}
_pauses_lock = threading.Lock()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic collection until the last of the overlapping pauses (any
    thread's) ends; then the collector's thresholds as they were before the
    first began (unless the block changed them: what it set stays).

        >>> import gc
        >>> with collector_paused():
        ...     gc.get_threshold()[0]  # 0: automatic collection is off
        0
        >>> gc.get_threshold()[0] > 0
        True

    A generator paused inside a `tape()` block (a ``yield`` in it) keeps the
    pause, as it keeps any ``with`` block open, until it is resumed to the
    block's end, closed, or dropped.
    """
    with _pauses_lock:
        if _pauses["count"] == 0:
            _pauses["thresholds"] = gc.get_threshold()
            gc.set_threshold(0, *_pauses["thresholds"][1:])
        _pauses["count"] += 1
        pauses = _pauses  # a forked child gets a fresh dict: this pause is not its
    try:
        yield
    finally:
        with _pauses_lock:
            if pauses is _pauses:
                _pauses["count"] -= 1
                if _pauses["count"] == 0:
                    _resume_collector()


def _resume_collector() -> None:
    """Put back the thresholds found by the first pause, unless changed since."""
    found = _pauses["thresholds"]
    if gc.get_threshold() == (0, *found[1:]):
        gc.set_threshold(*found)


def _after_fork_in_child() -> None:
    """A child forked inside a tape block: no tape of its parent records in
    it, and its collector runs as it did before the block."""
    global _pauses, _pauses_lock
    for running in _open_tapes:
        running.owner = None
    _open_tapes.clear()
    _pauses_lock = threading.Lock()  # the parent may have held it at the fork
    old, _pauses = _pauses, {"count": 0, "thresholds": None}
    if old["count"]:
        _pauses["thresholds"] = old["thresholds"]
        _resume_collector()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_after_fork_in_child)
