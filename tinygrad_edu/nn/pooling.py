"""Pooling: many numbers in, one out, to summarise and to shrink.

Max-pooling slides a window (2x2, say) over each channel of a feature map
and keeps the largest number under it; with the stride equal to the window
(PyTorch's default) the windows do not overlap, and an 8x8 map becomes 4x4.
It keeps *whether* a kernel found its pattern somewhere in the window and
forgets exactly where, which is the small shift a handwritten stroke makes.
Average pooling keeps the mean instead. `Flatten` then lays a feature map out
as one vector, channel by channel (C-major, as ``torch.flatten``), for a
`Linear` layer to read.

    >>> from tinygrad_edu.nn import shape_of
    >>> fmap = [[[1.0, 2.0, 0.0, 1.0],
    ...          [3.0, 4.0, 1.0, 0.0]]]                 # [C=1][H=2][W=4]
    >>> [[v.data for v in row] for row in MaxPool2d(2)(fmap)[0]]
    [[4.0, 1.0]]
    >>> [[v.data for v in row] for row in AvgPool2d(2)(fmap)[0]]
    [[2.5, 0.5]]
    >>> len(Flatten()(fmap))
    8

A classifier needs ONE vector at the end, however long the sentence or
however large the image. `Collapse` makes it from a sequence of vectors (a
list of T vectors of d numbers, (T, d)), one coordinate at a time:

    mean:   out[j] = (x_0[j] + ... + x_{T-1}[j]) / T     every position votes
    max:    out[j] = max_t x_t[j]                         the strongest one wins
    first:  out    = x_0                                  a [CLS] position, as in BERT
    last:   out    = x_{T-1}                              what an RNN has read by the end

PyTorch has no layer for this: code writes it by hand, most often as mean
pooling, ``hidden.mean(dim=1)`` (sentence embeddings; for images
``x.mean(dim=(2, 3))``, the global average pooling of a ResNet), or as the
[CLS] vector, ``hidden[:, 0]`` (BERT's pooler). On a feature map [C][H][W]
(C channels of H rows of W numbers) "mean" and "max" pool each channel over
all its positions, to a vector of C: global pooling, as
``nn.AdaptiveAvgPool2d(1)`` and ``nn.AdaptiveMaxPool2d(1)`` then a flatten.

The gradient of "max" goes to the winner alone (`Value.max`: on a tie, the
first maximal entry, as ``torch.max(x, dim)`` does); "mean" gives each entry
1/T of it.

    >>> from tinygrad_edu import Value
    >>> xs = [[Value(1.0), Value(-2.0)], [Value(3.0), Value(0.0)]]   # (T=2, d=2)
    >>> [v.data for v in Collapse("mean")(xs)], [v.data for v in Collapse("max")(xs)]
    ([2.0, -1.0], [3.0, 0.0])
    >>> Collapse("first")(xs) == xs[0]     # the vector itself, not a copy of its numbers
    True
    >>> [v.data for v in Collapse("max")([[[1.0, 5.0], [2.0, 0.0]]])]   # [C=1][H=2][W=2] -> [C]
    [5.0]
"""

from __future__ import annotations

from collections.abc import Sequence

from ..checks import check_nested, check_size, describe, in_module, nesting_depth, pair
from ..engine import Value
from .module import Module

__all__ = ["AvgPool2d", "Collapse", "Flatten", "MaxPool1d", "MaxPool2d"]

COLLAPSE_MODES = ("mean", "max", "first", "last")


class Collapse(Module):
    """A sequence (T, d) to one vector (d,), or a feature map [C][H][W] to (C,),
    by `mode`: "mean", "max", "first" or "last" (see the module docstring).

    No parameters: it is a choice of how to summarise, like a pooling layer.
    """

    def __init__(self, mode: str = "mean") -> None:
        if not isinstance(mode, str) or mode not in COLLAPSE_MODES:
            raise ValueError(f"Collapse: unknown mode {mode!r}; expected one of {COLLAPSE_MODES}")
        self.mode = mode

    def __call__(self, xs: Sequence) -> list:
        if nesting_depth(xs) == 3:  # a feature map: pool each channel over all its positions
            if self.mode not in ("mean", "max"):
                raise ValueError(
                    f"{describe(self)}: a feature map [C][H][W] has no first or last position; "
                    "use mode 'mean' or 'max' (global pooling), or Flatten"
                )
            check_nested(xs, "[C][H][W]", self)
            columns = [[v for row in channel for v in row] for channel in xs]  # (C, H*W)
        else:
            T, d = check_nested(xs, "[T][d]", self)
            if self.mode == "first":
                return list(xs[0])  # (d,)
            if self.mode == "last":
                return list(xs[-1])  # (d,)
            columns = [list(column) for column in zip(*xs)]  # (d, T): column j holds x_t[j] for every t
        try:
            if self.mode == "max":
                return [Value.max(column) for column in columns]
            return [Value.sum(column) * (1.0 / len(column)) for column in columns]
        except TypeError as error:  # an entry that is not a number
            raise in_module(self, error) from None

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}"


class MaxPool2d(Module):
    """The largest value in each kernel_size window, per channel:
    [C][H][W] -> [C][H_out][W_out], as ``torch.nn.MaxPool2d`` (no padding).
    `stride` defaults to `kernel_size` (windows side by side); the output has
    ``(H - kh) // sh + 1`` rows. Each output is one `Value.max` node: its
    gradient goes to the window's largest entry (the first, on a tie, as in
    PyTorch)."""

    def __init__(
        self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None
    ) -> None:
        name = type(self).__name__
        self.kernel_size = pair(kernel_size, name, "kernel_size", smallest=1)
        self.stride = self.kernel_size if stride is None else pair(stride, name, "stride", smallest=1)

    def __call__(self, x: Sequence) -> list[list[list[Value]]]:
        return _pool(self, x, Value.max)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class AvgPool2d(MaxPool2d):
    """The mean of each window, per channel, as ``torch.nn.AvgPool2d`` (no
    padding): a sum node times 1/(kh*kw), so each entry gets 1/(kh*kw) of the
    gradient."""

    def __call__(self, x: Sequence) -> list[list[list[Value]]]:
        return _pool(self, x, _mean)


class MaxPool1d(Module):
    """The largest value in each window of a [C][L] signal: [C][L] ->
    [C][(L - k) // s + 1], as ``torch.nn.MaxPool1d`` (stride defaults to
    kernel_size).

        >>> [[v.data for v in channel] for channel in MaxPool1d(2)([[1.0, 3.0, 2.0, 0.0, 9.0]])]
        [[3.0, 2.0]]
    """

    def __init__(self, kernel_size: int, stride: int | None = None) -> None:
        check_size(kernel_size, "MaxPool1d", "kernel_size")
        if stride is not None:
            check_size(stride, "MaxPool1d", "stride")
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride

    def __call__(self, x: Sequence) -> list[list[Value]]:
        C, L = check_nested(x, "[C][L]", self)
        L_out = _pooled_size(self, L, self.kernel_size, self.stride, "length")
        k, s = self.kernel_size, self.stride
        try:
            return [[Value.max(signal[j * s : j * s + k]) for j in range(L_out)] for signal in x]
        except TypeError as error:  # an entry that is not a number
            raise in_module(self, error) from None

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class Flatten(Module):
    """Nested lists (a feature map [C][H][W], say) to one flat vector, C-major:
    channel 0 row by row, then channel 1, ... as ``torch.flatten`` lays it out.
    The entries are the same Values (no new nodes), so gradients flow back
    into the map."""

    def __call__(self, x: Sequence) -> list:
        depth = nesting_depth(x)
        layout = {3: "[C][H][W]", 2: "[C][L]"}.get(depth, "".join(f"[n{i}]" for i in range(max(depth, 1))))
        check_nested(x, layout, self)
        flat = list(x)
        for _ in range(depth - 1):
            flat = [v for item in flat for v in item]
        return flat


def _pool(module: MaxPool2d, x: Sequence, reduce) -> list[list[list[Value]]]:
    """`reduce` (Value.max, or the mean) of every window of every channel."""
    C, H, W = check_nested(x, "[C][H][W]", module)
    (kh, kw), (sh, sw) = module.kernel_size, module.stride
    H_out = _pooled_size(module, H, kh, sh, "height")
    W_out = _pooled_size(module, W, kw, sw, "width")
    try:
        return [
            [
                [
                    reduce([v for row in channel[i * sh : i * sh + kh] for v in row[j * sw : j * sw + kw]])
                    for j in range(W_out)
                ]
                for i in range(H_out)
            ]
            for channel in x
        ]  # (C, H_out, W_out); each window read row by row, as PyTorch scans it
    except TypeError as error:  # an entry that is not a number
        raise in_module(module, error) from None


def _mean(window: list) -> Value:
    return Value.sum(window) * (1.0 / len(window))


def _pooled_size(module: Module, n: int, k: int, s: int, what: str) -> int:
    if k > n:
        raise ValueError(
            f"{describe(module)}: the window ({k} along the {what}) is bigger than the input ({n}); "
            "use a smaller kernel_size (pooling has no padding here)"
        )
    return (n - k) // s + 1
