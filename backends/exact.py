"""Exact brute force for small QUBOs: the ground truth of the tests.

Enumeration is split: the low ``k`` bits are enumerated once as a (2^k, k) matrix,
the high bits in chunks; ``E = E_low + E_high + l^T C h`` is a matrix product per
chunk, so 2^24 states take a few seconds with no Python loop over states.
"""

from __future__ import annotations

import time

import numpy as np

from qbdsl.errors import BackendError
from qbdsl.ir.terms import gamma

from .base import BackendOutput, Capabilities, validate_options
from .budget import Budget

MAX_VARIABLES = 26
KEEP_STATES = 16  # states returned: the ground state and the next-lowest ones
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
    view = out.reshape(-1, 1 << k)  # [high state, low state]
    for start, E in _energy_chunks(h, J):
        view[start : start + E.shape[1]] = E.T
    if offset:
        out += offset
    return out


def ground_states(h: np.ndarray, J: np.ndarray, offset: float = 0.0, max_variables: int = MAX_VARIABLES):
    """Minimum energy and one minimizer of ``offset + h.y + y^T J y`` (J upper, dense).

    Ties are broken towards the smallest state index (bit i of the index is y_i).
    Returns ``(energy, sample, count)`` where ``count`` is the number of minimizers.
    """
    energy, sample, count, _ = search(h, J, offset, max_variables)
    return energy, sample, count


def search(
    h: np.ndarray, J: np.ndarray, offset: float = 0.0, max_variables: int = MAX_VARIABLES, budget: Budget | None = None
):
    """:func:`ground_states` under a time budget: ``(energy, sample, count, complete)``.

    ``complete`` is False when ``budget`` ran out before every state was seen; the energy is
    then the best of the states enumerated (in index order), not a proven minimum.
    """
    return _search(h, J, offset, max_variables, budget)[:4]


def _search(
    h: np.ndarray,
    J: np.ndarray,
    offset: float = 0.0,
    max_variables: int = MAX_VARIABLES,
    budget: Budget | None = None,
    keep: int = 0,
):
    """:func:`search`, and the ``keep`` lowest-energy states seen: ``(energy, sample, count,
    complete, (energies, indices))``, those ordered by energy.

    Keeping them costs one comparison per state against the current ``keep``-th lowest
    energy (as cheap as the minimum already taken), and a partial sort of the few below it.
    """
    n = len(h)
    if n > max_variables:
        raise BackendError(f"exact: {n} binary variables exceed the {max_variables} it can enumerate")
    if n == 0:
        return float(offset), np.zeros(0), 1, True, (np.array([float(offset)]), np.zeros(1, np.int64))
    k = min(n, LOW_BITS)
    best, best_idx, count = np.inf, -1, 0
    low_e, low_i = np.zeros(0), np.zeros(0, np.int64)  # the `keep` lowest so far
    # The minimum is taken exactly as computed (a strictly lower energy wins). Energies within
    # twice float64's error of the chunked products count as ground states: each term passes
    # through at most n + d + 1 roundings, d the most couplers at one variable (Higham 2002,
    # Lemma 3.1 level by level; see qbdsl.ir.terms), so error <= gamma_{n+d+1} * sum |coef|.
    d = int((np.count_nonzero(J, axis=0) + np.count_nonzero(J, axis=1)).max())
    tol = 2.0 * gamma(n + d + 1) * float(np.abs(h).sum() + np.abs(J).sum())
    complete, slowest = True, 0.0
    t = time.perf_counter()
    for start, E in _energy_chunks(h, J):
        m = float(E.min())
        if m < best:
            count = count if m >= best - tol else 0  # earlier ground states within the tolerance stay
            best = m
            flat = int(np.argmin(E.T.ravel()))  # lowest high index first, then lowest low index
            col, row = divmod(flat, E.shape[0])
            best_idx = ((start + col) << k) | row
        if m <= best + tol:
            count += int(np.count_nonzero(E <= best + tol))
        if keep:
            if len(low_e) >= keep:  # only states below the keep-th lowest so far matter
                if m >= low_e[-1]:
                    rows = cols = np.zeros(0, np.int64)
                else:
                    rows, cols = np.nonzero(E < low_e[-1])
                if len(rows) > keep:
                    part = np.argpartition(E[rows, cols], keep - 1)[:keep]
                    rows, cols = rows[part], cols[part]
            else:
                seen = E.ravel()
                part = np.argpartition(seen, keep - 1)[:keep] if seen.size > keep else np.arange(seen.size)
                rows, cols = np.unravel_index(part, E.shape)
            idx = ((start + cols.astype(np.int64)) << k) | rows.astype(np.int64)
            e = np.concatenate([low_e, E[rows, cols]])
            i = np.concatenate([low_i, idx])
            order = np.lexsort((i, e))[:keep]
            low_e, low_i = e[order], i[order]
        now = time.perf_counter()
        slowest, t = max(slowest, now - t), now
        if budget is not None and start + E.shape[1] < 1 << (n - k) and not budget.fits(1.25 * slowest):
            complete = False  # the next chunk (computed lazily, about as long as the slowest) would not fit
            break
    sample = ((best_idx >> np.arange(n)) & 1).astype(np.float64)
    return best + offset, sample, count, complete, (low_e + offset, low_i)


def dense_coefficients(terms) -> tuple[np.ndarray, np.ndarray]:
    """(h, J) of a QuboTerms with J dense upper-triangular."""
    J = np.zeros((terms.n, terms.n))
    np.add.at(J, (terms.i, terms.j), terms.v)
    return terms.h, J


# Seconds per enumerated state (low-bit table and one chunk of high bits): 7-8 ns measured
# at 22-26 binaries on the 2-core development VM, rounded up.
SECONDS_PER_STATE = 10e-9


class ExactBackend:
    """Brute force over all 2^n assignments of a QUBO (n <= 26).

    With ``time_limit``, enumeration stops between chunks of 2^22 states when the next
    would not fit, and returns the best state seen with status ``time_limit`` (not proven
    optimal); when not even the first chunk fits, :class:`~qbdsl.errors.TimeLimitError`.
    """

    name = "exact"
    capabilities = Capabilities(accepts=("qubo",), max_variables=MAX_VARIABLES, exact=True, time_limit=True)
    options: dict = {}

    def solve(self, ir, *, time_limit=None, seed=None, **options) -> BackendOutput:
        """Enumerate all 2^n states of ``ir``; return the ground state and the next-lowest ones.

        Parameters
        ----------
        ir : QuboIR
            The QUBO, over n binaries.
        time_limit : float, optional
            Wall-clock seconds: enumeration stops between chunks when the next would not fit; ``None``:
            enumerate everything.
        seed : int, optional
            Seeds nothing (the search is deterministic).
        **options
            None are accepted.

        Returns
        -------
        BackendOutput
            ``samples`` (k, n) of 0/1, k <= 16: the ground state (lowest index on ties) then the
            next-lowest states seen, with their energies; status ``optimal`` (with ``bound`` and
            ``gap`` 0) when every state was enumerated, else ``time_limit``.

        Raises
        ------
        OptionError
            When any option is given.
        TimeLimitError
            When the first chunk of states does not fit in ``time_limit``.
        BackendError
            When n exceeds the 26 binaries it can enumerate.
        """
        budget = Budget(time_limit, "exact")
        validate_options("exact", options, {})
        t = ir.terms
        first = 2.0 ** min(t.n, LOW_BITS + CHUNK_BITS)
        budget.require(
            SECONDS_PER_STATE * first,
            f"enumerating the first {first:.0f} of 2^{t.n} states",
            "use a heuristic backend or raise time_limit",
        )
        h, J = dense_coefficients(t)
        energy, sample, count, complete, (low_e, low_i) = _search(
            h, J, t.offset, budget=budget if budget.limited else None, keep=KEEP_STATES
        )
        # the ground state first (the minimum as computed, lowest index on ties), then the
        # next-lowest states seen
        best_idx = int(sample @ (1 << np.arange(t.n, dtype=np.int64))) if t.n else 0
        rest = low_i != best_idx
        idx = np.concatenate([[best_idx], low_i[rest]])[:KEEP_STATES]
        samples = ((idx[:, None] >> np.arange(t.n, dtype=np.int64)) & 1).astype(np.float64)
        energies = np.concatenate([[energy], low_e[rest]])[:KEEP_STATES]
        info = {"ground_states": count, "enumerated": 2**t.n, "seconds": budget.elapsed(), "states_returned": len(idx)}
        if not complete:
            info["enumerated"] = None
            return BackendOutput(samples, "time_limit", energies, info)
        return BackendOutput(samples, "optimal", energies, info, bound=energy, gap=0.0)
