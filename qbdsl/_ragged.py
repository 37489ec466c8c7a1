"""Vectorized helpers for ragged (variable-length group) index arithmetic.

These are the kernels behind products, broadcasting and substitutions: they expand
per-group counts into flat index arrays without a Python loop over terms.
"""

from __future__ import annotations

import numpy as np


def ragged_arange(counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(c) for c in counts])`` without the loop."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(starts, counts)


def group_index(keys: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort items by integer group key.

    Returns ``order`` (items sorted by key), ``start`` and ``count`` per group, so the
    items of group g are ``order[start[g]:start[g] + count[g]]``.
    """
    keys = np.asarray(keys, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    count = np.bincount(keys, minlength=n_groups).astype(np.int64)
    start = np.cumsum(count) - count
    return order, start, count


def expand_pairs(key_a: np.ndarray, key_b: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """All pairs (a, b) of items with ``key_a[a] == key_b[b]``, as two index arrays."""
    order_b, start_b, count_b = group_index(key_b, n_groups)
    reps = count_b[key_a]
    ia = np.repeat(np.arange(len(key_a), dtype=np.int64), reps)
    ib = order_b[np.repeat(start_b[key_a], reps) + ragged_arange(reps)]
    return ia, ib


def check_finite(values: np.ndarray, what: str) -> None:
    """Raise ModelError if ``values`` has a NaN or infinite entry, naming ``what``."""
    from .errors import ModelError

    values = np.asarray(values)
    if values.size and not np.isfinite(values).all():
        bad = np.flatnonzero(~np.isfinite(values.ravel()))[0]
        idx = np.unravel_index(bad, values.shape) if values.ndim else ()
        raise ModelError(
            f"{what} has a non-finite coefficient {values.ravel()[bad]!r} at index {tuple(int(i) for i in idx)}"
        )
