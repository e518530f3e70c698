"""Intervals for figures measured on few cases."""

import math
from typing import Tuple

Z95 = 1.96


def wilson(successes: int, n: int, z: float = Z95) -> Tuple[float, float]:
    """The 95% Wilson score interval of a proportion (0, 1 for n = 0): few cases give a wide one."""
    if not n:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)
