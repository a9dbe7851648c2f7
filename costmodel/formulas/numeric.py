"""The one array convention of the formulas: a float for scalar input, an array otherwise."""

from __future__ import annotations

import numpy as np

__all__ = ["scalar_or_array"]


def scalar_or_array(x: np.ndarray) -> np.ndarray | float:
    """A Python float for a 0-d result, the array itself otherwise.

    >>> scalar_or_array(np.asarray(2.0)), scalar_or_array(np.ones(2))
    (2.0, array([1., 1.]))
    """
    return x.item() if np.ndim(x) == 0 else x
