"""Penalty weights that provably keep infeasible points above the optimum.

Let the objective (as a QUBO over the final binaries) range within ``[f_lo, f_hi]``,
bounded by ``R = sum |h_i| + sum |J_ij|  >=  f_hi - f_lo``. Every penalty block ``B`` is
0 on points satisfying it and at least ``p_min(B)`` on points violating it (see
:mod:`qbdsl.passes.penalize` and :mod:`qbdsl.passes.encode`). With

    lambda_B = R / p_min(B) * (1 + 1e-9) + 1

any point violating some block ``B`` has energy
``>= f_lo + lambda_B p_min(B) > f_lo + R >= f_hi >= f(x*)``, i.e. strictly above every
feasible point's energy, in particular the constrained optimum's (with its exact slack).
The guarantee needs ``proven`` blocks (integral rows); unbalanced penalization has none.
"""
from __future__ import annotations

import numbers

from ..errors import ModelError
from ..ir.terms import PenaltyBlock, QuboTerms
from .base import per_name


def auto_weight(objective_range: float, p_min: float) -> float:
    return objective_range / p_min * (1.0 + 1e-9) + 1.0


def resolve_weights(penalty, objective: QuboTerms, blocks: list[PenaltyBlock]) -> dict[str, float]:
    """Weights per block from ``"auto"``, a number, or a dict of per-block overrides."""
    per, default = per_name(penalty, [b.name for b in blocks], "auto", "penalty", "constraint")
    R = objective.abs_range()
    out = {}
    for b in blocks:
        w = per.get(b.name, default)
        if isinstance(w, str):
            if w != "auto":
                raise ModelError(f"penalty for {b.name!r} must be 'auto' or a number, got {w!r}")
            if b.method == "unbalanced":
                w = 1.0 if R == 0 else R  # no provable weight exists; scale with the objective
            else:
                w = auto_weight(R, b.p_min)
        elif not isinstance(w, numbers.Real) or not (w == w) or w < 0 or w == float("inf"):
            raise ModelError(f"penalty weight for {b.name!r} must be a finite number >= 0, got {w!r}")
        out[b.name] = float(w)
    return out
