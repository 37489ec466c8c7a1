"""Constraints to penalties (QUBO targets), and the objective sense.

Equality rows ``A y = b`` become ``sum_r (A_r y - b_r)^2``.
Inequality rows ``A y <= b`` become either
- ``slack``: ``A_r y + s_r = b_r`` with ``s_r`` in ``[0, b_r - min A_r y]`` binary-encoded
  at the row's resolution ``1/sigma_r``, then squared; or
- ``unbalanced`` (Montanez-Barrera et al., 2022): ``l1 (A_r y - b_r) + l2 (A_r y - b_r)^2``,
  no extra variables, no feasibility guarantee.

Row resolution: ``sigma_r`` is the smallest power of ten (up to 1e6) that makes every
coefficient and the right-hand side of row r integral. Then a violated row has
``|A_r y + s_r - b_r| >= 1/sigma_r``, so its penalty is at least ``p_min = 1/sigma_r^2``:
that is the bound ``penalty="auto"`` uses (see :mod:`qbdsl.passes.weights`).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._ragged import ragged_arange
from ..errors import ModelError, UnsupportedTermError
from ..ir.problem import Problem
from ..ir.terms import PenaltyBlock, QuboTerms
from .base import AffineMap, Pass, QuboState
from .encode import _binary_layout, bounded_binary_weights

MAX_SCALE_DIGITS = 6
UNBALANCED_DEFAULT = (0.96, 0.0371)  # (l1, l2) from Montanez-Barrera et al., 2022


def row_scale(A: sp.csr_matrix, b: np.ndarray) -> np.ndarray:
    """Per row, the smallest 10^k (k <= 6) making the row integral; NaN if none does."""
    rows = A.shape[0]
    sigma = np.full(rows, np.nan)
    row_of = np.repeat(np.arange(rows), np.diff(A.indptr))
    for k in range(MAX_SCALE_DIGITS + 1):
        s = 10.0 ** k
        off_a = np.abs(A.data * s - np.rint(A.data * s)) > 1e-9 * np.maximum(1.0, np.abs(A.data * s))
        bad = np.zeros(rows, bool)
        np.logical_or.at(bad, row_of[off_a], True)
        bad |= np.abs(b * s - np.rint(b * s)) > 1e-9 * np.maximum(1.0, np.abs(b * s))
        newly = np.isnan(sigma) & ~bad
        sigma[newly] = s
        if not np.isnan(sigma).any():
            break
    return sigma


class ToMinimize(Pass):
    """Negate a maximization objective (QUBO energies are minimized)."""

    name = "to-minimize"

    def apply(self, state: QuboState):
        p = state.problem
        n = p.n
        if p.sense == "max":
            p = Problem(p.name, p.layout, p.objective.scaled(-1.0), "min", p.constraints)
        return QuboState(p, state.penalties, state.sources), AffineMap.identity(n)


def _linear_rows(block, what: str):
    if not block.poly.is_linear:
        raise UnsupportedTermError(
            f"constraint {block.name!r} is quadratic: a QUBO needs linear constraints "
            f"(its squared penalty would have degree 4); use target='milp' for {what}"
        )
    return block.poly.L, -block.poly.const


def _row_label(block, r: int) -> str:
    if block.shape:
        return f"{block.name}{[int(i) for i in np.unravel_index(r, block.shape)]}"
    return block.name


class InequalitiesToPenalties(Pass):
    """Turn every ``<=``/``>=`` block into a penalty block (slack or unbalanced)."""

    name = "inequalities"

    def __init__(self, method: str = "slack", unbalanced=UNBALANCED_DEFAULT):
        if method not in ("slack", "unbalanced"):
            raise ModelError(f"unknown inequality method {method!r}; choose 'slack' or 'unbalanced'")
        self.method = method
        self.unbalanced = tuple(unbalanced)

    def apply(self, state: QuboState):
        prob = state.problem
        n0 = prob.n
        n = n0
        keep, new_pen = [], []
        slack_cols = []  # (A_slack blocks) built after n is known
        sources = state.sources
        block_names = list(sources.block_names) if sources is not None else []
        for block in prob.constraints:
            if block.sense == "==":
                keep.append(block)
                continue
            A, b = _linear_rows(block, "inequality constraints with products")
            if block.sense == ">=":
                A, b = -A, -b
            A = sp.csr_matrix(A)
            lo = np.asarray(A.minimum(0).sum(axis=1)).ravel()
            hi = np.asarray(A.maximum(0).sum(axis=1)).ravel()
            tol = 1e-9 * np.maximum(1.0, np.abs(b))
            impossible = lo > b + tol
            if impossible.any():
                r = int(np.flatnonzero(impossible)[0])
                raise ModelError(
                    f"constraint {_row_label(block, r)} can never hold: smallest left-hand side "
                    f"{lo[r]:g} exceeds the bound {b[r]:g}"
                )
            active = hi > b + tol  # rows that some point violates; the rest are always true
            if not active.any():
                continue
            A, b, lo, hi = A[active], b[active], lo[active], hi[active]
            rows_idx = np.flatnonzero(active)
            if self.method == "unbalanced":
                l1, l2 = self.unbalanced
                t = QuboTerms.squared_rows(A, b, linear_weight=l1 / l2)
                t = QuboTerms(t.n, l2 * t.h, t.i, t.j, l2 * t.v, l2 * t.offset)
                new_pen.append(PenaltyBlock(block.name, "inequality", "unbalanced", len(b), t, 0.0, False))
                continue
            sigma = row_scale(A, b)
            if np.isnan(sigma).any():
                r = int(rows_idx[np.flatnonzero(np.isnan(sigma))[0]])
                raise ModelError(
                    f"constraint {_row_label(block, r)} has coefficients that are not multiples of "
                    f"1e-{MAX_SCALE_DIGITS}: a slack cannot match it exactly; round the data or use "
                    "inequality='unbalanced'"
                )
            span = np.floor((np.minimum(b - lo, hi - lo)) * sigma + 1e-6).astype(np.int64)
            weights = {s: bounded_binary_weights(s) for s in np.unique(span).tolist()}
            counts = np.array([len(weights[s]) for s in span.tolist()], dtype=np.int64)
            w = np.concatenate([weights[s] for s in span.tolist()]) / np.repeat(sigma, counts)
            total = int(counts.sum())
            slack_cols.append((len(new_pen), n, counts, w))
            bidx = len(block_names)
            block_names.append(block.name)
            if sources is not None:
                sources = sources.extend(np.full(total, 2, np.int8), np.full(total, bidx),
                                         np.repeat(rows_idx, counts), ragged_arange(counts))
            new_pen.append((block, A, b, sigma))
            n += total
        # second sweep: now that the final variable count is known, build slack penalties
        out_pen = []
        for k, item in enumerate(new_pen):
            if isinstance(item, PenaltyBlock):
                out_pen.append(item)
                continue
            block, A, b, sigma = item
            _, first, counts, w = next(s for s in slack_cols if s[0] == k)
            rows = np.repeat(np.arange(len(b)), counts)
            S = sp.csr_matrix((w, (rows, first + np.arange(len(w)))), shape=(len(b), n))
            Afull = sp.csr_matrix((A.data, A.indices, A.indptr), shape=(A.shape[0], n)) + S
            t = QuboTerms.squared_rows(Afull, b)
            out_pen.append(PenaltyBlock(block.name, "inequality", "slack", len(b), t,
                                        float(np.min(1.0 / sigma**2)), True))
        if sources is not None:
            sources.block_names = block_names
        new_prob = Problem(prob.name, _binary_layout(n), prob.objective.with_n(n), prob.sense,
                           [_widen(bk, n) for bk in keep])
        penalties = [_pad(p, n) for p in state.penalties] + [_pad(p, n) for p in out_pen]
        return QuboState(new_prob, penalties, sources), AffineMap.identity(n0, n)


class EqualitiesToPenalties(Pass):
    """Turn every ``==`` block into a squared penalty block."""

    name = "equalities"

    def apply(self, state: QuboState):
        prob = state.problem
        n = prob.n
        pens = list(state.penalties)
        for block in prob.constraints:
            A, b = _linear_rows(block, "equality constraints with products")
            A = sp.csr_matrix(A)
            empty = np.diff(A.indptr) == 0
            if np.any(empty & (np.abs(b) > 1e-9)):
                r = int(np.flatnonzero(empty & (np.abs(b) > 1e-9))[0])
                raise ModelError(f"constraint {_row_label(block, r)} can never hold: 0 == {b[r]:g}")
            sigma = row_scale(A, b)
            proven = not np.isnan(sigma).any()
            if proven:
                p_min = float(np.min(1.0 / sigma**2))
            else:  # no integral scale: estimate from the smallest coefficient
                p_min = float(np.min(np.abs(A.data))) ** 2 * 1e-6 if A.nnz else 1.0
            pens.append(PenaltyBlock(block.name, "equality", "squared", len(b),
                                     QuboTerms.squared_rows(A, b), p_min, proven))
        return QuboState(Problem(prob.name, prob.layout, prob.objective, prob.sense, []), pens,
                         state.sources), AffineMap.identity(n)


def _widen(block, n):
    from ..ir.problem import Block

    return Block(block.name, block.sense, block.shape, block.poly.with_n(n), block.labels)


def _pad(p: PenaltyBlock, n: int) -> PenaltyBlock:
    if p.terms.n == n:
        return p
    return PenaltyBlock(p.name, p.kind, p.method, p.rows, p.terms.with_n(n), p.p_min, p.proven)
