"""Anomaly mode: stop at the first op that produces a NaN or an infinity.

Every op refuses a result beyond a float (an OverflowError naming the op),
but it cannot say which line of *your* code ran it, and `backward` does not
check the gradients it passes on. Inside `detect_anomaly()` every op also
checks its local derivatives and records where it was created, and
`backward` checks every gradient, so the error names the op, its operands
and the line of your code that created it.

    >>> from tinygrad_edu import Value, detect_anomaly
    >>> x = Value(1e200)
    >>> with detect_anomaly():
    ...     y = x * x
    Traceback (most recent call last):
    ...
    FloatingPointError: '*' produced inf from operands (1e+200, 1e+200), created at ...

Outside the mode it costs nothing extra: `_node` reads one folded switch per op
(`recording.current_mode`), the same read that grad mode and the tape use.
"""

from __future__ import annotations

import math
import os
import sys
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from .engine import Value, operands_text
from .recording import anomaly_checker

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class AnomalyChecker:
    """What `detect_anomaly()` puts in the anomaly slot (`recording.anomaly_checker`)."""

    def __init__(self) -> None:
        # Where each node was created; weak, so the mode does not keep graphs alive.
        self.created_at: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def check_forward(self, node: Value, edges: tuple) -> None:
        site = _caller_outside_package()
        self.created_at[node] = site
        half = len(edges) // 2  # edges: the parents, then the local derivatives
        parents, local_grads = edges[:half], edges[half:]
        if not math.isfinite(node.data):
            raise FloatingPointError(
                f"'{node.op}' produced {node.data!r} from operands {operands_text(parents)}, created at {site}"
            )
        if not all(math.isfinite(g) for g in local_grads):
            raise FloatingPointError(
                f"'{node.op}' has a non-finite local derivative {local_grads!r} at operands "
                f"{operands_text(parents)}, created at {site}"
            )

    def check_backward(self, node: Value) -> None:
        if any(not math.isfinite(p.grad) for p in node.parents):
            site = self.created_at.get(node, "an unknown place (made outside detect_anomaly)")
            raise FloatingPointError(
                f"backward through '{node.op}' (grad {node.grad!r}, local derivatives "
                f"{node.local_grads!r}) gave a non-finite gradient to its operands "
                f"{operands_text(node.parents)}, created at {site}"
            )


def _caller_outside_package() -> str:
    """file:line of the innermost frame that is not tinygrad_edu's own code."""
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)).startswith(
        _PACKAGE_DIR
    ):
        frame = frame.f_back
    if frame is None:  # pragma: no cover - only tinygrad_edu on the stack
        return "an unknown place"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise FloatingPointError at the first op or gradient that is NaN or infinite.

    Like `no_grad()`, it is a switch of the calling thread only."""
    with anomaly_checker(AnomalyChecker()):
        yield
