"""Constraints to penalties (QUBO targets), and the objective sense.

Equality rows ``A y = b`` become ``sum_r (A'_r y - b'_r)^2``.
Inequality rows ``A y <= b`` become either
- ``slack``: ``A'_r y + s_r = b'_r`` with the integer ``s_r`` in ``[0, b'_r - min A'_r y]``
  binary-encoded, then squared; or
- ``unbalanced`` (Montanez-Barrera et al., 2022): ``l1 (A_r y - b_r) + l2 (A_r y - b_r)^2``
  on the rows as given, no extra variables, no feasibility guarantee.

Rescaling (:func:`integral_rows`): ``sigma_r`` is the smallest power of ten (up to 1e6)
that makes every coefficient of row r integral, ``g_r`` the gcd of those integers, and the
row penalized is ``A'_r = A_r sigma_r / g_r`` (coprime integers). For integer ``y`` the
left-hand side ``A_r y`` is a multiple of ``g_r / sigma_r``, so
- an equality holds only if ``b'_r = b_r sigma_r / g_r`` is an integer; otherwise it
  can never hold and compiling says so;
- an inequality ``A'_r y <= b'_r`` holds exactly when ``A'_r y <= floor(b'_r)``, so the
  right-hand side becomes ``floor(b'_r)`` and the slack counts whole units: every feasible
  point has an exact slack, and nothing finer than one unit needs encoding.

Then a violated row misses by a nonzero integer, ``|A'_r y + s_r - b'_r| >= 1``, so its
penalty is at least ``p_min = 1``: the bound ``penalty="auto"`` uses (see
:mod:`qbdsl.passes.weights`). It is the largest bound the row's arithmetic proves (a
larger one would need the smallest nonzero ``|A'_r y - b'_r|`` over binary points, a
subset-sum problem, so it is not sought). Dividing by the gcd matters:
``0.123457 y0 + 0.123457 y1 == 0.123457`` is penalized as ``(y0 + y1 - 1)^2`` with
``p_min = 1``, not with ``p_min = 1e-12`` at scale 1e6, which would need a weight 1e12
times larger. The squared penalty of integer rows is computed exactly while its partial
sums stay below ``2^53`` (:func:`_check_exact`); larger rows are refused.

Rows with no integral scale (e.g. ``pi``) keep their coefficients: an equality block then
gets an estimated ``p_min`` (not a proof); a slack inequality cannot match them exactly
and is refused.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._ragged import ragged_arange
from ..errors import ModelError, UnsupportedTermError
from ..ir.bits import bounded_layout
from ..ir.maps import IdentityMap, SlackMap
from ..ir.problem import Problem
from ..ir.sources import SLACK_BIT
from ..ir.terms import EXACT_INT, MAX_SCALE_DIGITS, PenaltyBlock, QuboTerms, decimal_scale, integral_tol, segment_reduce
from .base import Pass, QuboState
from .encode import _binary_layout

UNBALANCED_DEFAULT = (0.96, 0.0371)  # (l1, l2) from Montanez-Barrera et al., 2022


def row_scale(A: sp.csr_matrix) -> np.ndarray:
    """Per row, ``f = sigma / g`` making ``f * A_r`` coprime integers; NaN if no integral
    scale ``sigma = 10^k`` (``k <= 6``) exists. An empty row gets 1."""
    A = sp.csr_matrix(A)
    sigma = decimal_scale(A.data, A.indptr)
    ints = np.abs(np.rint(A.data * np.nan_to_num(np.repeat(sigma, np.diff(A.indptr))))).astype(np.int64)
    g = segment_reduce(np.gcd, ints, A.indptr, 0)
    return sigma / np.maximum(g, 1)


def integral_rows(A: sp.csr_matrix, b: np.ndarray, sense: str):
    """Rescale rows to coprime integers: ``(A', b', f)`` with ``A' = diag(f) A``.

    ``sense`` is ``"=="`` (``b'`` rounded; :func:`off_grid` tells which rows cannot hold)
    or ``"<="`` (``b' = floor(f b)``). Rows with no integral scale (``f`` NaN) are kept
    as given (factor 1).
    """
    A = sp.csr_matrix(A)
    f = row_scale(A)
    ok = np.isfinite(f)
    fs = np.where(ok, f, 1.0)
    per_entry = np.repeat(fs, np.diff(A.indptr))
    data = A.data * per_entry
    data = np.where(np.repeat(ok, np.diff(A.indptr)), np.rint(data), data)
    A2 = sp.csr_matrix((data, A.indices.copy(), A.indptr.copy()), shape=A.shape)
    fb = b * fs
    tol = integral_tol(fb)
    rounded = np.rint(fb) if sense == "==" else np.floor(fb + tol)
    return A2, np.where(ok, rounded, fb), f


def off_grid(b: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Integral rows whose scaled right-hand side ``f b`` is not an integer."""
    fb = b * f
    return np.isfinite(f) & (np.abs(fb - np.rint(fb)) > integral_tol(fb))


def _check_exact(block, A: sp.csr_matrix, b: np.ndarray, rows_idx: np.ndarray) -> None:
    """Refuse integer rows whose squared penalty float64 cannot compute exactly.

    Every coefficient of ``sum_r (A_r y - b_r)^2`` (``A^T A``, ``A^T b``) is a sum of
    products whose partial sums are bounded, for column i, by
    ``2 sum_r |a_ri| s_r`` with ``s_r = sum_j |a_rj| + |b_r|``; below ``2^53`` all are
    exact integers (Higham 2002, Sec. 2.1). The offset ``b . b`` shifts every energy
    alike and need not be exact.
    """
    absA = abs(A)
    s = np.asarray(absA.sum(axis=1)).ravel() + np.abs(b)
    bound = 2.0 * np.asarray(absA.T @ s).ravel()
    if len(bound) and bound.max() > EXACT_INT:
        r = int(np.argmax(s))
        raise ModelError(
            f"constraint {_row_label(block, int(rows_idx[r]))} is too large to penalize exactly: "
            f"after rescaling to coprime integers its squared penalty has coefficients up to "
            f"{bound.max():.3g}, beyond 2^53 = {EXACT_INT:.3g} where float64 skips integers; "
            "rescale the data or use target='milp'"
        )


class ToMinimize(Pass):
    """Negate a maximization objective (QUBO energies are minimized); the variables stay."""

    name = "to-minimize"

    def apply(self, state: QuboState) -> tuple[QuboState, IdentityMap]:
        """``(state with a "min" objective, IdentityMap)``: a maximized objective is negated."""
        p = state.problem
        if p.sense == "max":
            p = Problem(p.name, p.layout, p.objective.scaled(-1.0), "min", p.constraints)
        return QuboState(p, list(state.penalties), state.sources), IdentityMap(p.n)


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
    """Turn every ``<=``/``>=`` block into a penalty block (slack or unbalanced).

    Parameters
    ----------
    method : {"slack", "unbalanced"}
        ``slack`` appends binary slack variables (inverse data: a
        :class:`~qbdsl.ir.maps.SlackMap`); ``unbalanced`` adds none (an
        :class:`~qbdsl.ir.maps.IdentityMap`).
    unbalanced : (float, float)
        ``(l1, l2)`` of unbalanced penalization.

    Raises
    ------
    ModelError
        An unknown method.
    """

    name = "inequalities"

    def __init__(self, method: str = "slack", unbalanced=UNBALANCED_DEFAULT):
        if method not in ("slack", "unbalanced"):
            raise ModelError(f"unknown inequality method {method!r}; choose 'slack' or 'unbalanced'")
        self.method = method
        self.unbalanced = tuple(unbalanced)

    def apply(self, state: QuboState) -> tuple[QuboState, SlackMap | IdentityMap]:
        """``(state whose constraints are all equalities, SlackMap or IdentityMap)``.

        Raises
        ------
        ModelError
            A row that can never hold, a slack row with no integral scale, or one too large
            to penalize exactly.
        UnsupportedTermError
            A quadratic inequality.
        """
        prob = state.problem
        n0 = prob.n
        n = n0
        keep, new_pen = [], []
        slack_cols = []  # (A_slack blocks) built after n is known
        slack_rows = []  # (A, b, span) of every slack block, for the SlackMap
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
            A, b = A[active], b[active]
            rows_idx = np.flatnonzero(active)
            if self.method == "unbalanced":
                l1, l2 = self.unbalanced
                t = QuboTerms.squared_rows(A, b, linear_weight=l1 / l2)
                t = QuboTerms(t.n, l2 * t.h, t.i, t.j, l2 * t.v, l2 * t.offset)
                new_pen.append(PenaltyBlock(block.name, "inequality", "unbalanced", len(b), t, 0.0, False))
                continue
            A, b, f = integral_rows(A, b, "<=")
            if np.isnan(f).any():
                r = int(rows_idx[np.flatnonzero(np.isnan(f))[0]])
                raise ModelError(
                    f"constraint {_row_label(block, r)} has coefficients that are not multiples of "
                    f"1e-{MAX_SCALE_DIGITS}: a slack cannot match it exactly; round the data or use "
                    "inequality='unbalanced'"
                )
            lo = np.asarray(A.minimum(0).sum(axis=1)).ravel()
            hi = np.asarray(A.maximum(0).sum(axis=1)).ravel()
            span = np.maximum(np.minimum(b - lo, hi - lo), 0).astype(np.int64)
            counts, _, w = bounded_layout(span)
            w = w.astype(float)
            total = int(counts.sum())
            slack_cols.append((len(new_pen), n, counts, w))
            slack_rows.append((A, b, span))
            bidx = len(block_names)
            block_names.append(block.name)
            if sources is not None:
                sources = sources.extend(
                    np.full(total, SLACK_BIT, np.int8),
                    np.full(total, bidx),
                    np.repeat(rows_idx, counts),
                    ragged_arange(counts),
                    block_names,
                )
            new_pen.append((block, A, b, rows_idx))
            n += total
        # second sweep: now that the final variable count is known, build slack penalties
        out_pen = []
        for k, item in enumerate(new_pen):
            if isinstance(item, PenaltyBlock):
                out_pen.append(item)
                continue
            block, A, b, rows_idx = item
            _, first, counts, w = next(s for s in slack_cols if s[0] == k)
            rows = np.repeat(np.arange(len(b)), counts)
            S = sp.csr_matrix((w, (rows, first + np.arange(len(w)))), shape=(len(b), n))
            Afull = sp.csr_matrix((A.data, A.indices, A.indptr), shape=(A.shape[0], n)) + S
            _check_exact(block, Afull, b, rows_idx)
            t = QuboTerms.squared_rows(Afull, b)
            out_pen.append(PenaltyBlock(block.name, "inequality", "slack", len(b), t, 1.0, True))
        new_prob = Problem(
            prob.name, _binary_layout(n), prob.objective.with_n(n), prob.sense, [_widen(bk, n) for bk in keep]
        )
        penalties = [_pad(p, n) for p in state.penalties] + [_pad(p, n) for p in out_pen]
        if self.method == "unbalanced":
            return QuboState(new_prob, penalties, sources), IdentityMap(n0)
        return QuboState(new_prob, penalties, sources), _slack_map(slack_rows, n0)


class EqualitiesToPenalties(Pass):
    """Turn every ``==`` block into a squared penalty block; the variables stay."""

    name = "equalities"

    def apply(self, state: QuboState) -> tuple[QuboState, IdentityMap]:
        """``(state with no constraints left, IdentityMap)``.

        Raises
        ------
        ModelError
            A row that can never hold, or one too large to penalize exactly.
        UnsupportedTermError
            A quadratic equality.
        """
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
            A, b, p_min, proven = _equality_rows(block, A, b)
            pens.append(
                PenaltyBlock(block.name, "equality", "squared", len(b), QuboTerms.squared_rows(A, b), p_min, proven)
            )
        return QuboState(
            Problem(prob.name, prob.layout, prob.objective, prob.sense, []), pens, state.sources
        ), IdentityMap(n)


def _slack_map(slack_rows: list, n0: int) -> SlackMap:
    """The rows of every slack block (over the ``n0`` variables before the pass), stacked."""
    if not slack_rows:
        return SlackMap(sp.csr_matrix((0, n0)), np.zeros(0), np.zeros(0, np.int64))
    A = sp.vstack([sp.csr_matrix(a) for a, _, _ in slack_rows], format="csr")
    return SlackMap(A, np.concatenate([b for _, b, _ in slack_rows]), np.concatenate([s for _, _, s in slack_rows]))


def _equality_rows(block, A: sp.csr_matrix, b: np.ndarray):
    """Rescaled rows and ``(p_min, proven)`` of an equality block.

    Integral rows: ``p_min = 1`` (see the module docstring); a row whose right-hand side
    is off its left-hand side's grid can never hold. Rows with no integral scale keep
    their coefficients and the estimate ``p_min = min |a|^2 * 1e-6`` (not a proof).
    """
    A2, b2, f = integral_rows(A, b, "==")
    bad = off_grid(b, f)
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise ModelError(
            f"constraint {_row_label(block, r)} can never hold: its left-hand side only takes "
            f"multiples of {1.0 / f[r]:.6g}, and the right-hand side {b[r]:g} is not one"
        )
    ok = np.isfinite(f)
    proven = bool(ok.all())
    if proven:
        _check_exact(block, A2, b2, np.arange(len(b2)))
        return A2, b2, 1.0, True
    loose = np.repeat(~ok, np.diff(A2.indptr))
    estimate = float(np.min(np.abs(A2.data[loose]))) ** 2 * 1e-6 if loose.any() else 1.0
    return A2, b2, min(estimate, 1.0), False


def _widen(block, n):
    from ..ir.problem import Block

    return Block(block.name, block.sense, block.shape, block.poly.with_n(n), block.labels)


def _pad(p: PenaltyBlock, n: int) -> PenaltyBlock:
    if p.terms.n == n:
        return p
    return PenaltyBlock(p.name, p.kind, p.method, p.rows, p.terms.with_n(n), p.p_min, p.proven)
