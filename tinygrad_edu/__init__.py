"""tinygrad_edu: neural networks from one scalar up to a tiny GPT.

>>> from tinygrad_edu import Value
>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> out = (a * b).tanh()
>>> out.backward()
>>> round(a.grad, 6)  # d tanh(a*b)/da = (1 - tanh(a*b)**2) * b
-7.4e-05
"""

from . import functional, nn, optim
from .anomaly import detect_anomaly
from .engine import Value
from .gradcheck import gradcheck
from .recording import is_grad_enabled, no_grad, tape

__all__ = [
    "Value",
    "functional",
    "nn",
    "optim",
    "detect_anomaly",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "tape",
]
__version__ = "0.1.0"
