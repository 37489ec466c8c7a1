"""Bounded binary encoding of integers ``0..span``: the weights and the bits of a value.

The weights are ``1, 2, 4, ..., 2^(k-1)`` with ``k = floor(log2(span + 1))``, then the
remainder ``rest = span - (2^k - 1)`` when it is positive, so the subsets of the weights
sum to every integer in ``0..span`` and to nothing above it (no out-of-range patterns).
Integer encodings, inequality slacks and the MILP's expansion of product factors all use
it; the functions here work on many groups (one span each) at once.
"""

from __future__ import annotations

import numpy as np

from .._ragged import ragged_arange


def bounded_binary_weights(span: int) -> np.ndarray:
    """Weights 1, 2, 4, ... (last clipped) whose subsets sum to every integer in 0..span.

    Parameters
    ----------
    span : int
        Largest value to encode; ``span <= 0`` needs no bits.

    Returns
    -------
    numpy.ndarray
        int64 weights, shape ``(number of bits,)``.
    """
    _, _, weights = bounded_layout(np.array([max(int(span), 0)]))
    return weights


def _pow2_count(spans: np.ndarray) -> np.ndarray:
    """``k = floor(log2(span + 1))`` per span (exact for spans below 2^53)."""
    return (np.frexp((spans + 1).astype(np.float64))[1] - 1).astype(np.int64)


def bounded_layout(spans) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bit columns of many bounded binary encodings, concatenated group by group.

    Parameters
    ----------
    spans : array_like of int, shape (g,)
        Largest value of each group; values below 0 count as 0 (no bits).

    Returns
    -------
    counts : numpy.ndarray, shape (g,)
        Bits per group.
    pos : numpy.ndarray, shape (counts.sum(),)
        Position of each bit within its group.
    weights : numpy.ndarray, shape (counts.sum(),)
        int64 weight of each bit.
    """
    spans = np.maximum(np.asarray(spans, dtype=np.int64), 0)
    k = _pow2_count(spans)
    rest = spans - ((np.int64(1) << k) - 1)
    counts = k + (rest > 0)
    pos = ragged_arange(counts)
    group = np.repeat(np.arange(len(spans)), counts)
    weights = np.where(pos < k[group], np.int64(1) << pos, rest[group])
    return counts, pos, weights.astype(np.int64)


def bounded_bits(values: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """The bits of each group's value in its bounded binary encoding (:func:`bounded_layout`).

    Parameters
    ----------
    values : numpy.ndarray, shape (..., g)
        Integer values, ``0 <= values <= spans`` (a batch of points on leading axes).
    spans : numpy.ndarray, shape (g,)
        Span of each group.

    Returns
    -------
    numpy.ndarray, shape (..., counts.sum())
        0/1 floats with ``bits @ weights == values`` per group.

    Raises
    ------
    ValueError
        A value outside ``0..span`` (named by group index).
    """
    spans = np.maximum(np.asarray(spans, dtype=np.int64), 0)
    values = np.rint(np.asarray(values, dtype=np.float64)).astype(np.int64)
    bad = (values < 0) | (values > spans)
    if bad.any():
        g = int(np.flatnonzero(bad.reshape(-1, len(spans)).any(axis=0))[0])
        raise ValueError(f"value outside 0..{int(spans[g])} in group {g}: it has no bounded binary encoding")
    counts, pos, _ = bounded_layout(spans)
    group = np.repeat(np.arange(len(spans)), counts)
    return column_bits(values[..., group], pos, spans[group])


def column_bits(values: np.ndarray, pos: np.ndarray, spans: np.ndarray) -> np.ndarray:
    """Bit ``pos`` of ``values`` in the bounded binary encoding of ``0..spans``, per column.

    Parameters
    ----------
    values : numpy.ndarray of int, shape (..., c)
        The value each column's bit belongs to, in ``0..spans`` (not checked here).
    pos : numpy.ndarray of int, shape (c,)
        The bit's position in its encoding (see :func:`bounded_layout`).
    spans : numpy.ndarray of int, shape (c,)
        The span of each column's encoding.

    Returns
    -------
    numpy.ndarray of float, shape (..., c)
        0/1.
    """
    values = np.asarray(values, dtype=np.int64)
    k = _pow2_count(spans)
    rest = spans - ((np.int64(1) << k) - 1)  # the clipped weight (0: none)
    take = (rest > 0) & (values > (np.int64(1) << k) - 1)  # the clipped weight is used
    rem = values - np.where(take, rest, 0)
    bits = np.where(pos < k, (rem >> np.minimum(pos, 62)) & 1, take)
    return bits.astype(np.float64)
