"""Recurrent cells: an Elman RNN, a GRU and an LSTM, one time step each.

A recurrent network reads a sequence one vector at a time and carries a state
(a "memory" vector h) from step to step: ``h_t = cell(x_t, h_{t-1})``. The
same weights are used at every step, so the gradient of a loss at the end
flows back through every step, multiplied by the cell's Jacobian each time:
that product is what vanishes (or explodes) over long distances, and what the
GRU's and LSTM's gates are there to fix.

The three cells follow PyTorch exactly: same equations, same gate order, same
parameter names and shapes (``weight_ih`` is (gates * hidden, input),
``weight_hh`` is (gates * hidden, hidden), ``bias_ih`` and ``bias_hh`` are
(gates * hidden,)), so a `state_dict` loads into ``torch.nn.LSTMCell`` as is.

    >>> import random; random.seed(0)
    >>> from tinygrad_edu.nn import shape_of
    >>> cell = LSTMCell(3, 2)
    >>> cell
    LSTMCell(3, 2)
    >>> [(name, shape_of(t)) for name, t in cell.named_parameters()]
    [('weight_ih', (8, 3)), ('weight_hh', (8, 2)), ('bias_ih', (8,)), ('bias_hh', (8,))]
    >>> xs = [[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]]  # a sequence of two input vectors
    >>> hs, (h, c) = run_sequence(cell, xs)        # the state starts at zeros
    >>> len(hs), len(h), len(c)
    (2, 2, 2)
    >>> h is hs[-1]
    True
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

from ..checks import INPUT_ERRORS, check_flag, check_parameter_count, check_size, check_vector, in_module
from ..engine import Operand, Value
from .module import Module

__all__ = ["GRUCell", "LSTMCell", "RNNCell", "run_sequence"]

Vector = Sequence[Operand]


class _RecurrentCell(Module):
    """What the three cells share: the four parameter tensors and the checks.

    `GATES` is how many blocks of `hidden_size` rows the weights stack: 1 for
    the RNN, 3 for the GRU (r, z, n), 4 for the LSTM (i, f, g, o).
    """

    GATES = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        name = type(self).__name__
        check_size(input_size, name, "input_size")
        check_size(hidden_size, name, "hidden_size")
        check_flag(bias, name, "bias")
        rows = self.GATES * hidden_size
        check_parameter_count(
            rows * (input_size + hidden_size + 2 * bias), f"{name}({input_size}, {hidden_size}, bias={bias})"
        )
        # PyTorch's init: every weight and bias uniform in +-1/sqrt(hidden_size).
        bound = 1.0 / math.sqrt(hidden_size)

        def uniform(n: int) -> list[Value]:
            return [Value(random.uniform(-bound, bound)) for _ in range(n)]

        # Attribute order is state_dict order: the same as PyTorch's.
        self.weight_ih = [uniform(input_size) for _ in range(rows)]  # (gates*hidden, input)
        self.weight_hh = [uniform(hidden_size) for _ in range(rows)]  # (gates*hidden, hidden)
        self.bias_ih = uniform(rows) if bias else None  # (gates*hidden,)
        self.bias_hh = uniform(rows) if bias else None  # (gates*hidden,)
        self.input_size = input_size
        self.hidden_size = hidden_size

    def input_gates(self, xs: Sequence[Vector]) -> list[list[Value]]:
        """gi = W_ih x + b_ih for each x of `xs`, one Value per gate row.

        The half of a step that does not wait for the state: `run_sequence`
        makes it for the whole sequence at once (`Value.linear_batch` reads
        each weight row once for all the steps, as cuDNN precomputes it),
        then runs the steps. One dot node per row (the bias is inside it).
        """
        for x in xs:
            self._check_input(x)
        try:
            return Value.linear_batch(self.weight_ih, xs, self.bias_ih)  # (T, gates*hidden)
        except INPUT_ERRORS as error:  # an entry of x that is not a number
            raise in_module(self, error) from None

    def _hidden_gates(self, h: Vector) -> list[Value]:
        """gh = W_hh h + b_hh, one Value per gate row. PyTorch's cells
        compute gi and gh apart and add them; the GRU needs them apart."""
        try:
            return Value.linear(self.weight_hh, h, self.bias_hh)  # (gates*hidden,)
        except INPUT_ERRORS as error:  # an entry of h that is not a number
            raise in_module(self, error) from None

    def __call__(self, x: Vector, state: Any = None) -> Any:
        """One time step: the next state from input `x` and `state` (zeros if None)."""
        return self.step_from_gates(self.input_gates([x])[0], state)

    def step_from_gates(self, gi: list[Value], state: Any = None) -> Any:
        """One time step, given its input gates `gi` (`input_gates`)."""
        raise NotImplementedError

    def _check_input(self, x: Vector) -> Vector:
        check_vector(x, self.input_size, self)
        return x

    def _check_hidden(self, h: Any, what: str) -> Vector:
        if isinstance(h, (str, bytes)) or not isinstance(h, Sequence):
            raise TypeError(
                f"{self!r}: {what} must be a list of {self.hidden_size} numbers or Values, "
                f"got {type(h).__name__}"
            )
        if len(h) != self.hidden_size:
            raise ValueError(
                f"{self!r}: {what} must have length hidden_size={self.hidden_size}, got {len(h)}"
            )
        return h

    def initial_state(self) -> Any:
        """The state before the first step: zeros, as in PyTorch."""
        return [0.0] * self.hidden_size

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias_ih is None:
            text += ", bias=False"
        return text


class RNNCell(_RecurrentCell):
    """Elman's recurrent cell: h' = tanh(W_ih x + b_ih + W_hh h + b_hh).

    `nonlinearity` is 'tanh' (the default) or 'relu', as in PyTorch.

        >>> import random; random.seed(0)
        >>> cell = RNNCell(2, 3)
        >>> h = cell([1.0, -1.0])           # no state given: it starts at zeros
        >>> h = cell([0.5, 0.5], h)         # the next step reads the last state
        >>> len(h), all(-1 < v.data < 1 for v in h)
        (3, True)
    """

    GATES = 1

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh"
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias)
        self.nonlinearity = nonlinearity

    def step_from_gates(self, gi: list[Value], h: Vector | None = None) -> list[Value]:
        h = self.initial_state() if h is None else self._check_hidden(h, "the state h")
        gh = self._hidden_gates(h)
        pre = [a + b for a, b in zip(gi, gh)]  # W_ih x + b_ih + W_hh h + b_hh
        if self.nonlinearity == "tanh":
            return [a.tanh() for a in pre]
        return [a.relu() for a in pre]

    def extra_repr(self) -> str:
        text = super().extra_repr()
        if self.nonlinearity != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text


class GRUCell(_RecurrentCell):
    """The gated recurrent unit (Cho et al., 2014), PyTorch's form.

    Gate rows in `weight_ih`/`weight_hh`: reset r, update z, new n::

        r  = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
        z  = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n  = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h

    When z is near 1 the state is copied through unchanged, and so is the
    gradient: that path is what lets a GRU remember far back.

        >>> import random; random.seed(0)
        >>> from tinygrad_edu.nn import shape_of
        >>> cell = GRUCell(2, 3)
        >>> [(name, shape_of(t)) for name, t in cell.named_parameters()][:2]
        [('weight_ih', (9, 2)), ('weight_hh', (9, 3))]
        >>> len(cell([1.0, -1.0]))
        3
    """

    GATES = 3

    def step_from_gates(self, gi: list[Value], h: Vector | None = None) -> list[Value]:
        h = self.initial_state() if h is None else self._check_hidden(h, "the state h")
        H = self.hidden_size
        gh = self._hidden_gates(h)
        r = [(gi[j] + gh[j]).sigmoid() for j in range(H)]
        z = [(gi[j] + gh[j]).sigmoid() for j in range(H, 2 * H)]
        # In the n rows r scales only the hidden part, bias included
        # (PyTorch's, and cuDNN's, form of the GRU).
        n = [(gi[2 * H + j] + r[j] * gh[2 * H + j]).tanh() for j in range(H)]
        # (1 - z) * n + z * h, written as n + z * (h - n): one node fewer.
        return [n[j] + z[j] * (h[j] - n[j]) for j in range(H)]


class LSTMCell(_RecurrentCell):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997), PyTorch's form.

    The state is a pair (h, c). Gate rows in `weight_ih`/`weight_hh`: input i,
    forget f, cell g, output o::

        i  = sigmoid(W_ii x + b_ii + W_hi h + b_hi)
        f  = sigmoid(W_if x + b_if + W_hf h + b_hf)
        g  = tanh(W_ig x + b_ig + W_hg h + b_hg)
        o  = sigmoid(W_io x + b_io + W_ho h + b_ho)
        c' = f * c + i * g
        h' = o * tanh(c')

    The cell state c is updated by addition, not squashed through a weight
    matrix every step: with f near 1, d(c')/d(c) = f stays near 1 and the
    gradient survives many steps.

        >>> import random; random.seed(0)
        >>> cell = LSTMCell(2, 3)
        >>> h, c = cell([1.0, -1.0])        # no state given: (zeros, zeros)
        >>> h, c = cell([0.5, 0.5], (h, c))
        >>> len(h), len(c)
        (3, 3)
    """

    GATES = 4

    def step_from_gates(
        self, gi: list[Value], state: tuple[Vector, Vector] | None = None
    ) -> tuple[list[Value], list[Value]]:
        if state is None:
            h, c = self.initial_state()
        else:
            if not isinstance(state, (tuple, list)) or len(state) != 2:
                raise TypeError(
                    f"{self!r}: the state must be a pair (h, c) of vectors of length {self.hidden_size}, "
                    f"got {type(state).__name__}"
                    + (f" of length {len(state)}" if isinstance(state, (tuple, list)) else "")
                )
            h = self._check_hidden(state[0], "the state h")
            c = self._check_hidden(state[1], "the cell state c")
        H = self.hidden_size
        gh = self._hidden_gates(h)
        pre = [a + b for a, b in zip(gi, gh)]  # (4*hidden,): the i, f, g, o rows
        i = [a.sigmoid() for a in pre[0:H]]
        f = [a.sigmoid() for a in pre[H : 2 * H]]
        g = [a.tanh() for a in pre[2 * H : 3 * H]]
        o = [a.sigmoid() for a in pre[3 * H :]]
        try:
            c_next = [f[j] * c[j] + i[j] * g[j] for j in range(H)]
        except INPUT_ERRORS as error:  # an entry of c that is not a number
            raise in_module(self, error) from None
        h_next = [o[j] * c_next[j].tanh() for j in range(H)]
        return h_next, c_next

    def initial_state(self) -> tuple[list[float], list[float]]:
        return [0.0] * self.hidden_size, [0.0] * self.hidden_size


def run_sequence(
    cell: _RecurrentCell, xs: Sequence[Vector], state: Any = None
) -> tuple[list[list[Value]], Any]:
    """Run `cell` over the vectors `xs`, one step each, carrying the state.

    Returns ``(outputs, state)``: the hidden vector h after every step, and the
    final state (h for an RNN or GRU, (h, c) for an LSTM), as
    ``torch.nn.RNN``/``LSTM`` return them. `state` defaults to zeros.

        >>> import random; random.seed(0)
        >>> cell = RNNCell(1, 2)
        >>> outputs, h = run_sequence(cell, [[1.0], [0.0], [0.0]])
        >>> len(outputs), outputs[-1] is h
        (3, True)
    """
    if not isinstance(cell, _RecurrentCell):
        raise TypeError(f"run_sequence: expected an RNNCell, GRUCell or LSTMCell, got {type(cell).__name__}")
    if isinstance(xs, (str, bytes)) or not isinstance(xs, Sequence):
        raise TypeError(f"run_sequence: xs must be a list of input vectors, got {type(xs).__name__}")
    if not xs:
        raise ValueError("run_sequence: xs must hold at least one input vector, got an empty sequence")
    if isinstance(xs[0], (Value, int, float)):
        raise TypeError(
            f"run_sequence: xs must be a list of input vectors, got a single vector of {len(xs)} numbers; "
            "wrap it: [x]"
        )
    outputs = []
    for gi in cell.input_gates(xs):  # every step's input half at once: only W_hh h waits for the state
        state = cell.step_from_gates(gi, state)
        outputs.append(state[0] if isinstance(cell, LSTMCell) else state)
    return outputs, state
