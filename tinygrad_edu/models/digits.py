"""A small CNN for 8x8 handwritten digits, the model `demo digits` trains.

    image [1][8][8] -> conv 3x3, 8 channels, padding 1 -> ReLU -> [8][8][8]
                    -> max-pool 2x2                      -> [8][4][4]
                    -> flatten                           -> 128 numbers
                    -> Linear(128, 10)                   -> 10 scores, one per digit

The convolution looks at every 3x3 patch with the same 8 small kernels
(strokes, edges, corners); pooling keeps whether a kernel found its pattern
near a place and forgets exactly where; the Linear layer reads the result.
1,370 parameters in all. `stages` returns every stage's output, for the
pictures of what each stage makes of one digit.

    >>> import random; random.seed(0)
    >>> from tinygrad_edu.datasets import as_image, load_digits
    >>> cnn = DigitCNN()
    >>> cnn.num_parameters()
    1370
    >>> pixels, label = load_digits()[0]
    >>> {name: len(out) for name, out in cnn.stages(as_image(pixels)).items()}
    {'conv': 8, 'relu': 8, 'pool': 8, 'scores': 10}
"""

from __future__ import annotations

from ..checks import check_size
from ..datasets.digits import Image
from ..engine import Value
from ..nn import Conv2d, Flatten, Linear, MaxPool2d, Module

__all__ = ["DigitCNN"]


class DigitCNN(Module):
    """conv 3x3 (1 -> 8 channels, padding 1), ReLU, max-pool 2x2, flatten, Linear(128, 10)."""

    def __init__(self, channels: int = 8) -> None:
        check_size(channels, "DigitCNN", "channels")
        self.conv = Conv2d(1, channels, kernel_size=3, padding=1)
        self.pool = MaxPool2d(2)
        self.flatten = Flatten()
        self.fc = Linear(channels * 4 * 4, 10)
        self.channels = channels

    def config(self) -> dict:
        """The constructor's keyword arguments: ``DigitCNN(**cnn.config())``."""
        return {"channels": self.channels}

    def stages(self, image: Image) -> dict[str, list]:
        """Every stage's output for one [1][8][8] image, the last the 10 scores."""
        conv = self.conv(image)  # (8, 8, 8)
        relu = [[[v.relu() for v in row] for row in channel] for channel in conv]  # (8, 8, 8)
        pool = self.pool(relu)  # (8, 4, 4)
        return {
            "conv": conv,
            "relu": relu,
            "pool": pool,
            "scores": self.fc(self.flatten(pool)),
        }  # scores (10,)

    def __call__(self, image: Image) -> list[Value]:
        return self.stages(image)["scores"]
