"""Two interleaving half circles: micrograd's classic toy data set.

Two classes that no straight line separates, so a model needs a hidden layer
(or a kernel) to learn them: the upper moon is labelled -1, the lower one +1,
and a little Gaussian noise blurs the edge between them. The points are
generated from a seeded `random.Random`, so every run (and every machine)
sees the same set; as scikit-learn's ``make_moons``, without the dependency.
"""

from __future__ import annotations

import math
import numbers
import random

from ..checks import check_int

__all__ = ["make_moons"]


def make_moons(n: int = 100, noise: float = 0.1, rng: random.Random | None = None):
    """Two half circles, one upside down and shifted into the other's gap.

    Returns (points, labels) with labels -1 (upper moon) and +1 (lower moon).

        >>> points, labels = make_moons(4, noise=0.0)
        >>> [(round(x, 2), round(y, 2)) for x, y in points[:2]], labels
        ([(1.0, 0.0), (-1.0, 0.0)], [-1, -1, 1, 1])
    """
    check_int(n, "make_moons", "n", smallest=2)
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not 0.0 <= noise < math.inf:
        raise ValueError(f"make_moons: noise must be a finite number >= 0, got {noise!r:.40}")
    if rng is not None and not isinstance(rng, random.Random):
        raise TypeError(f"make_moons: rng must be a random.Random (or None), got {type(rng).__name__}")
    rng = rng or random.Random(0)
    n_upper = n // 2
    points, labels = [], []
    for i in range(n):
        upper = i < n_upper
        count = n_upper if upper else n - n_upper
        k = i if upper else i - n_upper
        t = math.pi * k / max(count - 1, 1)
        if upper:
            x, y = math.cos(t), math.sin(t)
        else:
            x, y = 1.0 - math.cos(t), 0.5 - math.sin(t)
        points.append((x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)))
        labels.append(-1 if upper else 1)
    return points, labels
