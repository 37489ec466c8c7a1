"""Penalty weights that provably keep infeasible points above the optimum.

Let the objective (as a QUBO over the final binaries) range within ``[f_lo, f_hi]``,
bounded by ``R = sum |h_i| + sum |J_ij|  >=  f_hi - f_lo``, and let ``delta`` be its
resolution (:attr:`qbdsl.ir.terms.QuboTerms.resolution`: distinct objective values differ
by at least ``delta``). Every penalty block ``B`` is 0 on points satisfying it and at
least ``p_min(B)`` on points violating it (see
:mod:`qbdsl.passes.penalize` and :mod:`qbdsl.passes.encode`; ``p_min = 1`` for rescaled
integral rows and for encodings). With

    lambda_B = (R (1 + 1e-9) + m) / p_min(B),   m = max(1, delta)   (m = 1 for a constant objective),

rounded up to the objective's binary grid (see :func:`auto_weight`), any point violating
some block ``B`` has energy ``>= f_lo + lambda_B p_min(B) >= f_lo + R + m >= f(x*) + m``:
strictly above every feasible point's energy, in particular the constrained optimum's
(with its exact slack), and by at least ``delta``, the gap between the optimum and the
next feasible value: the one gap the float64 check of :class:`qbdsl.ir.qubo.QuboIR` then
has to resolve. The factor ``1 + 1e-9`` covers the rounding of ``R`` itself (a float64
sum of ``N`` terms errs by at most ``gamma_N R``, below ``1e-9 R`` for ``N < 9e6``; Higham
2002, Lemma 3.1); it is left out when the objective lies on a binary grid ``2^-e`` with
``R <= 2^(53-e)``, where ``R`` is exact (integral objective, ``p_min = 1``:
``lambda = R + max(1, delta)``).
The guarantee needs ``proven`` blocks (integral rows); unbalanced penalization has none.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import ModelError
from ..ir.terms import EXACT_INT, PenaltyBlock, QuboTerms
from .base import per_name


def auto_weight(objective_range: float, p_min: float, margin: float = 1.0, grid: float = np.inf) -> float:
    """``(R (1 + 1e-9) + margin) / p_min``, rounded up to a multiple of ``2^-grid``.

    ``margin = max(1, delta)``; ``grid`` is the objective's :func:`dyadic_exponent`:
    rounding up keeps the proof (a larger weight) and keeps an integral (or binary-fraction)
    QUBO on its grid, where float64 computes every energy exactly
    (:func:`qbdsl.ir.terms.energy_error_bound`).
    """
    on_grid = grid <= 52 and np.ldexp(objective_range, int(min(grid, 52))) <= EXACT_INT
    # on the grid, R (a sum of |coefficients| whose partial sums stay below R) is exact
    w = (objective_range * (1.0 if on_grid else 1.0 + 1e-9) + margin) / p_min
    if grid <= 52:
        w = float(np.ldexp(np.ceil(np.ldexp(w, int(grid))), -int(grid)))
    return w


def resolve_weights(penalty, objective: QuboTerms, blocks: list[PenaltyBlock]) -> dict[str, float]:
    """Weights per block from ``"auto"``, a number, or a dict of per-block overrides.

    Parameters
    ----------
    penalty : "auto", float or dict
        One setting for every block, or ``{block name: setting, "default": ...}``.
    objective : QuboTerms
        The objective over the final binaries (its range and resolution size the proof).
    blocks : list of PenaltyBlock
        The penalties to weigh, one per constraint or integer encoding, by name; ``"auto"``
        uses each block's ``p_min`` (the least penalty of a violation) and ``method``
        (unbalanced blocks get the objective's range, 1 when it is 0).

    Returns
    -------
    dict of str to float
        A weight per block name.

    Raises
    ------
    ModelError
        A dict naming an unknown block, a string other than ``"auto"``, or a weight that is
        negative, NaN or infinite.
    """
    per, default = per_name(penalty, [b.name for b in blocks], "auto", "penalty", "constraint")
    R = objective.abs_range()
    delta = objective.resolution[0]
    margin = max(1.0, delta) if np.isfinite(delta) else 1.0
    out = {}
    for b in blocks:
        w = per.get(b.name, default)
        if isinstance(w, str):
            if w != "auto":
                raise ModelError(f"penalty for {b.name!r} must be 'auto' or a number, got {w!r}")
            if b.method == "unbalanced":
                w = 1.0 if R == 0 else R  # no provable weight exists; scale with the objective
            else:
                w = auto_weight(R, b.p_min, margin, objective.dyadic)
        elif not isinstance(w, numbers.Real) or not (w == w) or w < 0 or w == float("inf"):
            raise ModelError(f"penalty weight for {b.name!r} must be a finite number >= 0, got {w!r}")
        out[b.name] = float(w)
    return out
