"""Convolution: one small neuron slid over every position of an image.

A `Linear` layer gives every input pixel its own weight, so a pattern it
learned in the top-left corner means nothing to it in the bottom-right. A
convolution learns a small kernel instead (3x3 numbers per input channel)
and applies the SAME kernel at every position: output pixel (i, j) of
channel o is the dot product of the kernel with the patch of the input under
it, plus a bias:

    out[o][i][j] = b[o] + sum over c, u, v of  w[o][c][u][v] * x[c][i*s + u - p][j*s + v - p]

    input x (1 channel, 4x4)        kernel w (3x3)       output (2x2)
    . . . .                         1 0 -1               the kernel placed at
    . a b c .   patch under the     1 0 -1               (0, 0), then moved by
    . d e f .   kernel at (0, 0)    1 0 -1               the stride s: 4 - 3 + 1 = 2
    . g h i .                                            positions in each direction

Sharing the kernel means few parameters (3*3 + 1 per channel pair, whatever
the image size) and a pattern is found wherever it is. Its gradient adds up
what every position asked of it: `backward` does that sum without being told,
because the same weight Values sit in every output's dot product.

Each output is ONE fused `dot` node (w . patch + b), so a 3x3 conv on one
channel makes a node of 9 + 9 + 1 parents per output pixel, not a chain of 18
binary nodes. Zero padding p adds a border of zeros; a zero adds nothing to
a dot product, so the padded positions are simply left out of the patch (the
output is the same, the graph smaller). Sizes follow PyTorch: with input
size n, kernel k, stride s and padding p the output has
``(n + 2p - k) // s + 1`` positions. Parameters are named and shaped as in
``torch.nn.Conv2d``: `weight` (out_channels, in_channels, kh, kw) and `bias`
(out_channels,), initialised like PyTorch, uniform in +-1/sqrt(in * kh * kw).

An image is nested lists [C][H][W] (C channels of H rows of W numbers or
Values); a 1-D signal is [C][L].

    >>> import random; random.seed(0)
    >>> from tinygrad_edu.nn import shape_of
    >>> conv = Conv2d(1, 8, kernel_size=3, padding=1)
    >>> conv
    Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=True)
    >>> [(name, shape_of(t)) for name, t in conv.named_parameters()]
    [('weight', (8, 1, 3, 3)), ('bias', (8,))]
    >>> image = [[[0.0] * 8 for _ in range(8)]]           # [C=1][H=8][W=8]
    >>> shape_of(conv(image))                              # [8][8][8]: padding 1 keeps 8x8
    (8, 8, 8)
    >>> shape_of(Conv2d(1, 4, kernel_size=(3, 2), stride=2)(image))   # (8-3)//2+1, (8-2)//2+1
    (4, 3, 4)
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from ..checks import (
    INPUT_ERRORS,
    check_flag,
    check_int,
    check_nested,
    check_parameter_count,
    check_size,
    describe,
    in_module,
    pair,
)
from ..engine import Value
from .module import Module

__all__ = ["Conv1d", "Conv2d"]


class Conv2d(Module):
    """A 2-D convolution [C_in][H][W] -> [C_out][H_out][W_out], as ``torch.nn.Conv2d``
    (zero padding, no dilation or groups). `kernel_size`, `stride` and
    `padding` are an int or a pair (height, width)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        bias: bool = True,
    ) -> None:
        name = type(self).__name__
        check_size(in_channels, name, "in_channels")
        check_size(out_channels, name, "out_channels")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = pair(kernel_size, name, "kernel_size", smallest=1)
        self.stride = pair(stride, name, "stride", smallest=1)
        self.padding = pair(padding, name, "padding", smallest=0)
        kh, kw = self.kernel_size
        check_flag(bias, name, "bias")
        check_parameter_count(
            out_channels * (in_channels * kh * kw + bias),
            f"{name}({in_channels}, {out_channels}, kernel_size={self.kernel_size}, bias={bias})",
        )
        bound = 1.0 / math.sqrt(in_channels * kh * kw)  # PyTorch's default: 1/sqrt(fan_in)
        self.weight = [
            [
                [[Value(random.uniform(-bound, bound)) for _ in range(kw)] for _ in range(kh)]
                for _ in range(in_channels)
            ]
            for _ in range(out_channels)
        ]  # (out, in, kh, kw)
        self.bias = [Value(random.uniform(-bound, bound)) for _ in range(out_channels)] if bias else None

    def __call__(self, x: Sequence) -> list[list[list[Value]]]:
        C, H, W = check_nested(x, "[C][H][W]", self)
        self._check_channels(C)
        H_out = _output_size(self, H, 0, "height")
        W_out = _output_size(self, W, 1, "width")
        rows = [
            [w for channel in kernel for row in channel for w in row] for kernel in self.weight
        ]  # (out, in*kh*kw)
        return _convolve(self, rows, x, (C, H, W), (H_out, W_out))

    def _check_channels(self, C: int) -> None:
        if C != self.in_channels:
            raise ValueError(
                f"{describe(self)}: expected {self.in_channels} input channel(s), got {C} "
                f"(the first axis of the input is the channel: a grey image is [[row, row, ...]])"
            )

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, bias={self.bias is not None}"
        )


class Conv1d(Conv2d):
    """A 1-D convolution [C_in][L] -> [C_out][L_out], as ``torch.nn.Conv1d``:
    `weight` (out_channels, in_channels, k), `bias` (out_channels,). It is a
    Conv2d whose image is one row high.

        >>> import random; random.seed(0)
        >>> conv = Conv1d(2, 3, kernel_size=3, stride=2)
        >>> out = conv([[1.0, 2.0, 3.0, 4.0, 5.0], [0.0, 1.0, 0.0, 1.0, 0.0]])   # [C=2][L=5]
        >>> len(out), len(out[0]), out[0][0].op                                 # [3][(5-3)//2+1]
        (3, 2, 'dot')
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int],
        stride: int | tuple[int] = 1,
        padding: int | tuple[int] = 0,
        bias: bool = True,
    ) -> None:
        kernel_size = _single(kernel_size, "kernel_size", 1)
        stride = _single(stride, "stride", 1)
        padding = _single(padding, "padding", 0)
        super().__init__(in_channels, out_channels, (1, kernel_size), (1, stride), (0, padding), bias)
        self.weight = [[channel[0] for channel in kernel] for kernel in self.weight]  # (out, in, k)
        self.kernel_size, self.stride, self.padding = (kernel_size,), (stride,), (padding,)

    def __call__(self, x: Sequence) -> list[list[Value]]:
        C, L = check_nested(x, "[C][L]", self)
        self._check_channels(C)
        L_out = _output_size(self, L, 0, "length")
        rows = [[w for channel in kernel for w in channel] for kernel in self.weight]  # (out, in*k)
        image = [[signal] for signal in x]  # [C][1][L]: one row high
        out = _convolve(
            self,
            rows,
            image,
            (C, 1, L),
            (1, L_out),
            (1, *self.kernel_size),
            (1, *self.stride),
            (0, *self.padding),
        )
        return [channel[0] for channel in out]  # [out][L_out]


# ------------------------------------------------------------------ helpers
def _single(n: int | tuple[int], name: str, smallest: int) -> int:
    """Conv1d's sizes: an int, or a 1-tuple as PyTorch also takes."""
    if isinstance(n, (tuple, list)) and len(n) == 1:
        n = n[0]
    check_int(n, "Conv1d", name, smallest)
    return n


def _convolve(
    module: Conv2d,
    rows: list[list[Value]],
    x: Sequence,
    in_shape: tuple[int, int, int],
    out_shape: tuple[int, int],
    kernel: tuple[int, int] | None = None,
    stride: tuple[int, int] | None = None,
    padding: tuple[int, int] | None = None,
) -> list[list[list[Value]]]:
    """The convolution itself: for each output position, the in-bounds patch
    (padding is zeros, which add nothing, so they are left out) against the
    matching entries of every kernel row, one `Value.linear` call (one `dot`
    node per output channel)."""
    C, H, W = in_shape
    H_out, W_out = out_shape
    kh, kw = kernel or module.kernel_size
    sh, sw = stride or module.stride
    ph, pw = padding or module.padding
    try:
        xs = [
            [[v if type(v) is Value else Value(v) for v in row] for row in channel] for channel in x
        ]  # once
    except INPUT_ERRORS as error:  # an entry that is not a number, a NaN, an infinity
        raise in_module(module, error) from None
    out = [[[None] * W_out for _ in range(H_out)] for _ in range(module.out_channels)]  # (out, H_out, W_out)
    cropped: dict[tuple, list[list[Value]]] = {}  # the kernel rows cut to a border window, cut once per call
    for i_out in range(H_out):
        top = i_out * sh - ph  # the input row under kernel row 0 (negative: in the padding)
        us = [u for u in range(kh) if 0 <= top + u < H]  # kernel rows that land on the image
        for j_out in range(W_out):
            left = j_out * sw - pw
            vs = [v for v in range(kw) if 0 <= left + v < W]
            patch = [xs[c][top + u][left + v] for c in range(C) for u in us for v in vs]  # (C*|us|*|vs|,)
            if len(us) == kh and len(vs) == kw:
                weights = rows
            elif not patch:  # the window lies wholly in the padding: it sees only zeros
                weights, patch = [row[:1] for row in rows], [0.0]
            else:
                key = (tuple(us), tuple(vs))
                if key not in cropped:
                    keep = [(c * kh + u) * kw + v for c in range(C) for u in us for v in vs]
                    cropped[key] = [[row[k] for k in keep] for row in rows]
                weights = cropped[key]
            for o, y in enumerate(Value.linear(weights, patch, module.bias)):
                out[o][i_out][j_out] = y
    return out


def _output_size(module: Conv2d, n: int, axis: int, what: str) -> int:
    """PyTorch's output size (n + 2p - k) // s + 1, or an error naming the
    module when the kernel does not fit the padded input."""
    k, s, p = module.kernel_size[axis], module.stride[axis], module.padding[axis]
    if k > n + 2 * p:
        raise ValueError(
            f"{describe(module)}: the kernel ({k} along the {what}) is bigger than the padded input "
            f"({n} + 2*{p} = {n + 2 * p}); use a smaller kernel, more padding or a larger input"
        )
    return (n + 2 * p - k) // s + 1
