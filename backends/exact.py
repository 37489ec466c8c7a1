"""Exact brute force for small QUBOs: the ground truth of the tests.

Enumeration is split: the low ``k`` bits are enumerated once as a (2^k, k) matrix,
the high bits in chunks; ``E = E_low + E_high + l^T C h`` is a matrix product per
chunk, so 2^24 states take a few seconds with no Python loop over states.
"""
from __future__ import annotations

import time

import numpy as np

from qbdsl.errors import BackendError

from .base import BackendOutput, Capabilities, check_options

MAX_VARIABLES = 26
LOW_BITS = 14
CHUNK_BITS = 8


def _bits(count: int, width: int, start: int = 0) -> np.ndarray:
    r = np.arange(start, start + count, dtype=np.int64)[:, None]
    return ((r >> np.arange(width, dtype=np.int64)) & 1).astype(np.float64)


def _block_energy(Y: np.ndarray, h: np.ndarray, J: np.ndarray) -> np.ndarray:
    return Y @ h + np.einsum("ki,ki->k", Y @ J, Y)


def _energy_chunks(h: np.ndarray, J: np.ndarray, chunk_bits: int | None = None):
    """Yield ``(first_high_state, E)`` with ``E[l, c]`` the energy (no offset) of the state
    whose low bits are ``l`` and high bits are ``first_high_state + c``."""
    n = len(h)
    k = min(n, LOW_BITS)
    hi = n - k
    low = _bits(1 << k, k)
    e_low = _block_energy(low, h[:k], J[:k, :k])
    C = (J + J.T)[:k, k:]
    chunk = 1 << min(hi, CHUNK_BITS if chunk_bits is None else chunk_bits)
    for start in range(0, 1 << hi, chunk):
        if hi == 0:
            yield start, e_low[:, None]
            return
        H = _bits(chunk, hi, start)
        e_high = _block_energy(H, h[k:], J[k:, k:])
        yield start, e_low[:, None] + e_high[None, :] + low @ (C @ H.T)


def energy_table(h: np.ndarray, J: np.ndarray, offset: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
    """Energies of all 2^n states in index order (bit i of the index is y_i)."""
    n = len(h)
    out = np.empty(1 << n) if out is None else out
    k = min(n, LOW_BITS)
    view = out.reshape(-1, 1 << k)          # [high state, low state]
    for start, E in _energy_chunks(h, J):
        view[start:start + E.shape[1]] = E.T
    if offset:
        out += offset
    return out


def ground_states(h: np.ndarray, J: np.ndarray, offset: float = 0.0, max_variables: int = MAX_VARIABLES):
    """Minimum energy and one minimizer of ``offset + h.y + y^T J y`` (J upper, dense).

    Ties are broken towards the smallest state index (bit i of the index is y_i).
    Returns ``(energy, sample, count)`` where ``count`` is the number of minimizers.
    """
    n = len(h)
    if n > max_variables:
        raise BackendError(f"exact: {n} binary variables exceed the {max_variables} it can enumerate")
    if n == 0:
        return float(offset), np.zeros(0), 1
    k = min(n, LOW_BITS)
    best, best_idx, count = np.inf, -1, 0
    tol = 1e-9 * max(1.0, float(np.abs(h).sum() + np.abs(J).sum()))
    for start, E in _energy_chunks(h, J):
        m = float(E.min())
        if m < best - tol:
            best, count = m, 0
            flat = int(np.argmin(E.T.ravel()))  # lowest high index first, then lowest low index
            col, row = divmod(flat, E.shape[0])
            best_idx = ((start + col) << k) | row
        if m <= best + tol:
            count += int(np.count_nonzero(E <= best + tol))
    sample = ((best_idx >> np.arange(n)) & 1).astype(np.float64)
    return best + offset, sample, count


def dense_coefficients(terms) -> tuple[np.ndarray, np.ndarray]:
    """(h, J) of a QuboTerms with J dense upper-triangular."""
    J = np.zeros((terms.n, terms.n))
    np.add.at(J, (terms.i, terms.j), terms.v)
    return terms.h, J


class ExactBackend:
    """Brute force over all 2^n assignments of a QUBO (n <= 26)."""

    name = "exact"
    capabilities = Capabilities(accepts=("qubo",), max_variables=MAX_VARIABLES, exact=True, time_limit=False)

    def solve(self, ir, *, time_limit=None, seed=None, **options) -> BackendOutput:
        check_options("exact", options, ())
        t = ir.terms
        h, J = dense_coefficients(t)
        t0 = time.perf_counter()
        energy, sample, count = ground_states(h, J, t.offset)
        return BackendOutput(sample, "optimal", energy,
                             {"ground_states": count, "enumerated": 2 ** t.n,
                              "seconds": time.perf_counter() - t0})
