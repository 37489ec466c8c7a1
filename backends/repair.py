"""Feasibility repair: greedy descent on a QUBO's penalty energy, objective second.

A sample returned by a heuristic often violates a constraint by one or two bits. For each
sample whose penalty energy ``P(y) = sum_B w_B P_B(y)`` is positive, :func:`repair` makes
the move that lowers ``P`` most (a single-bit flip, or a swap of a 1 and a 0 coupled by a
penalty term, as one-hot and equality rows need), breaking ties by the objective, until
``P(y) = 0`` or no move lowers ``P``. Every accepted move lowers ``P`` strictly, so the
penalty energy never grows and the descent ends.

Only blocks whose penalty is ``>= 0`` with ``0`` exactly at feasible points take part
(squared equalities, slack inequalities, one-hot and domain-wall encodings); unbalanced
inequality penalties (``method == "unbalanced"``) are not zero at feasible points and are
left out. Whether a repaired sample is feasible is then said by the QUBO's own decode, as
for any other sample.

Speed: every sample in a chunk moves at once. Per chunk the flip gains are kept as dense
(c, n) arrays of local fields ``F = h + y S`` (``S`` the symmetric coupler matrix) and
updated after each move from the CSR rows of the flipped variables; swap gains are read
off the fields at the penalty couplers' endpoints (COO arrays). No Python object per term.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from qbdsl.ir.terms import QuboTerms, combine

CHUNK_BYTES = 64 << 20  # dense float64 work arrays of one chunk of samples


@dataclass
class RepairResult:
    """What :func:`repair` did, per sample.

    Attributes
    ----------
    samples : ndarray of int8, shape (k, n)
        The samples after repair (rows with no violation are unchanged).
    penalty_before, penalty_after : ndarray of float64, shape (k,)
        The penalty energy ``sum_B w_B P_B(y)`` (repairable blocks) before and after.
    moves : ndarray of int64, shape (k,)
        Moves made per sample (a swap counts once).
    repaired : ndarray of bool, shape (k,)
        Samples that had a positive penalty energy and have none now.
    complete : bool
        False when the deadline stopped the descent before every sample was done.
    """

    samples: np.ndarray
    penalty_before: np.ndarray
    penalty_after: np.ndarray
    moves: np.ndarray
    repaired: np.ndarray
    complete: bool = True

    @property
    def num_repaired(self) -> int:
        """How many samples went from a positive penalty energy to zero."""
        return int(self.repaired.sum())


def penalty_terms(ir, weights: dict[str, float] | None = None) -> QuboTerms:
    """The weighted sum of ``ir``'s repairable penalty blocks (not the unbalanced ones).

    Parameters
    ----------
    ir : QuboIR
        The QUBO with its penalty blocks.
    weights : dict of str to float, optional
        Weights by block name (default: the IR's own).

    Returns
    -------
    QuboTerms
        Over the IR's n binaries; zero terms when there is no repairable block.
    """
    w = ir.weights if weights is None else weights
    parts = [(float(w[name]), p.terms) for name, p in ir.penalties.items() if p.method != "unbalanced"]
    return combine(parts, ir.n)


def _symmetric(t: QuboTerms) -> sp.csr_matrix:
    C = sp.csr_matrix((t.v, (t.i, t.j)), shape=(t.n, t.n))
    return sp.csr_matrix(C + C.T)


def repair(
    ir,
    samples,
    *,
    weights: dict[str, float] | None = None,
    max_moves: int | None = None,
    deadline: float | None = None,
    swaps: bool = True,
) -> RepairResult:
    """Greedy feasibility repair of QUBO samples: penalty energy first, objective second.

    Parameters
    ----------
    ir : QuboIR
        The QUBO the samples are points of (its objective block and penalty blocks).
    samples : array_like of 0/1, shape (k, n) or (n,)
        The points to repair.
    weights : dict of str to float, optional
        Penalty weights by block name that rank the moves (default: the IR's own).
    max_moves : int, optional
        At most this many moves per sample (default: ``2 n``).
    deadline : float, optional
        A ``time.perf_counter()`` instant: the descent stops there, keeping the moves made
        (each of which lowered the penalty energy).
    swaps : bool, default True
        Also try swapping a 1 and a 0 of every pair of variables coupled in the penalty
        blocks (keeps one-hot and equality rows' sums; one flip alone cannot).

    Returns
    -------
    RepairResult
        The repaired samples (int8, shape (k, n)) and what was done.

    Raises
    ------
    ValueError
        ``samples`` has the wrong number of columns or values other than 0 and 1
        (the shape is named).
    """
    Y = np.asarray(samples)
    if Y.ndim == 1:
        Y = Y[None, :]
    if Y.ndim != 2 or Y.shape[1] != ir.n:
        raise ValueError(f"repair: samples of shape {np.shape(samples)}, the QUBO has {ir.n} variables")
    if Y.size and not np.all((Y == 0) | (Y == 1)):
        raise ValueError("repair: samples must be 0/1")
    Y = Y.astype(np.int8, copy=True)
    k, n = Y.shape
    pen = penalty_terms(ir, weights)
    before = pen.energy(Y) if k else np.zeros(0)
    tol = 1e-9 * max(1.0, pen.magnitude)
    moves = np.zeros(k, np.int64)
    todo = np.flatnonzero(before > tol)
    complete = True
    if len(todo) and n:
        SP, SO = _symmetric(pen), _symmetric(ir.objective_terms)
        pi, pj, pv = (pen.i, pen.j, pen.v) if swaps else (np.zeros(0, np.int64),) * 2 + (np.zeros(0),)
        ov = np.asarray(SO[pi, pj]).ravel() if len(pi) else np.zeros(0)
        limit = 2 * n if max_moves is None else int(max_moves)
        rows = max(1, CHUNK_BYTES // (8 * 6 * (n + len(pi))))
        for lo in range(0, len(todo), rows):
            idx = todo[lo : lo + rows]
            Y[idx], moves[idx], done = _descend(
                Y[idx], pen, ir.objective_terms, SP, SO, (pi, pj, pv, ov), tol, limit, deadline
            )
            if not done:
                complete = False
                break
    after = pen.energy(Y) if k else np.zeros(0)
    return RepairResult(Y, before, after, moves, (before > tol) & (after <= tol), complete)


def _descend(Y, pen, obj, SP, SO, pairs, tol, limit, deadline):
    """Move every row of ``Y`` (c, n) until its penalty is 0 or no move lowers it.

    Returns the rows, the moves per row and whether the deadline left every row done."""
    pi, pj, pv, ov = pairs
    c, n = Y.shape
    y = Y.astype(np.float64)
    FP = np.asarray(SP.T @ y.T).T + pen.h  # local fields: flip gain = (1 - 2y) F
    FO = np.asarray(SO.T @ y.T).T + obj.h
    P = pen.energy(y)
    moves = np.zeros(c, np.int64)
    active = np.flatnonzero(P > tol)
    while len(active):
        if deadline is not None and time.perf_counter() >= deadline:
            return Y, moves, False
        a = active
        s = 1.0 - 2.0 * y[a]
        dP, dO = s * FP[a], s * FO[a]
        if len(pi):  # swaps: exactly one of the two endpoints is 1
            sij = s[:, pi] * s[:, pj]
            ok = sij < 0
            sP = np.where(ok, dP[:, pi] + dP[:, pj] + sij * pv, np.inf)
            sO = dO[:, pi] + dO[:, pj] + sij * ov
            dP, dO = np.concatenate([dP, sP], axis=1), np.concatenate([dO, sO], axis=1)
        best = dP.min(axis=1)
        go = best < -tol
        if not go.any():
            break
        a, dP, dO, best = a[go], dP[go], dO[go], best[go]
        slack = tol + 1e-12 * np.abs(best)
        pick = np.argmin(np.where(dP <= (best + slack)[:, None], dO, np.inf), axis=1)
        first = np.where(pick < n, pick, pi[np.maximum(pick - n, 0)])
        second = np.where(pick < n, -1, pj[np.maximum(pick - n, 0)])
        for var, who in ((first, a), (second[second >= 0], a[second >= 0])):
            if not len(who):
                continue
            sign = 1.0 - 2.0 * y[who, var]  # +1: 0 -> 1, -1: 1 -> 0
            D = sp.diags(sign) @ SP[var]
            FP[who] += D.toarray()
            FO[who] += (sp.diags(sign) @ SO[var]).toarray()
            y[who, var] = 1.0 - y[who, var]
        P[a] += best
        moves[a] += 1
        active = a[(P[a] > tol) & (moves[a] < limit)]
    return y.astype(np.int8), moves, True
