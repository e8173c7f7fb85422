"""Optimizers: turn gradients into parameter updates.

>>> from tinygrad_edu import Value
>>> w = Value(3.0)
>>> opt = SGD([w], lr=0.1)
>>> loss = w * w
>>> loss.backward(); opt.step(); opt.zero_grad()
>>> w.data  # 3 - 0.1 * 6
2.4
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from .engine import Value


class Optimizer:
    """Holds the parameters; `zero_grad()` clears their grads."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = list(params)
        name = type(self).__name__
        if not self.params:
            raise ValueError(f"{name}: got an empty parameter list")
        for p in self.params:
            if not isinstance(p, Value):
                raise TypeError(f"{name}: parameters must be Values, got {type(p).__name__}")
        if not (isinstance(lr, (int, float)) and lr > 0 and math.isfinite(lr)):
            raise ValueError(f"{name}: lr must be a positive number, got {lr!r}")
        self.lr = float(lr)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:  # pragma: no cover - every optimizer overrides it
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr:g})"


class SGD(Optimizer):
    """p -= lr * (grad + weight_decay * p), with optional momentum:
    v = momentum * v + g; p -= lr * v  (PyTorch's form)."""

    def __init__(
        self, params: Iterable[Value], lr: float = 0.01, momentum: float = 0.0, weight_decay: float = 0.0
    ) -> None:
        super().__init__(params, lr)
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.velocity = [0.0] * len(self.params)

    def step(self) -> None:
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            g = p.grad + wd * p.data
            if mu:
                g = self.velocity[i] = mu * self.velocity[i] + g
            p.data -= lr * g


class Adam(Optimizer):
    """Adam: a per-parameter step size from running averages of the gradient
    (m) and of its square (v), both corrected for starting at zero.

    `weight_decay` is decoupled (AdamW): p -= lr * weight_decay * p."""

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)
        self.t = 0

    def step(self) -> None:
        self.t += 1
        b1, b2, lr, eps, wd = self.beta1, self.beta2, self.lr, self.eps, self.weight_decay
        correction1 = 1.0 - b1**self.t
        correction2 = 1.0 - b2**self.t
        m, v = self.m, self.v
        for i, p in enumerate(self.params):
            g = p.grad
            m[i] = b1 * m[i] + (1.0 - b1) * g
            v[i] = b2 * v[i] + (1.0 - b2) * g * g
            if wd:
                p.data -= lr * wd * p.data
            p.data -= lr * (m[i] / correction1) / (math.sqrt(v[i] / correction2) + eps)


class AdamW(Adam):
    """Adam with decoupled weight decay, 0.01 by default as in PyTorch."""

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)
