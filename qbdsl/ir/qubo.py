"""QuboIR: an objective block plus one weighted penalty block per constraint."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..errors import ModelError, UnsupportedTermError
from ..solution import Solution
from .maps import AffineMap
from .poly import Poly
from .problem import BINARY, Problem, VarArray, VarLayout
from .terms import EXACT_INT, EnergyError, PenaltyBlock, QuboTerms, combine, energy_error_bound, gamma


@dataclass(frozen=True)
class NumericRange:
    """What float64 can tell apart in a QuboIR's energies (:meth:`QuboIR.numeric_range`).

    ``error`` bounds ``|fl(E(y)) - E(y)|`` for every sample as qbdsl computes energies
    (:func:`qbdsl.ir.terms.energy_error_bound`: 0 when every energy is computed exactly,
    else ``gamma_T M`` with ``T = n + d + 1 + K`` for its two-level evaluation);
    ``resolution`` is the smallest gap between distinct objective values
    (:attr:`qbdsl.ir.terms.QuboTerms.resolution_info`), and ``data_error`` how far the
    stored float64 objective can be from its decimal reading.

    The check (:attr:`ok`): ``2 (error + data_error) < delta``. Then, if ``y*`` is an
    optimum of the (decimal) objective and ``y`` any point whose objective value is larger,
    it is larger by at least ``delta``, and the computed energies satisfy
    ``fl(E(y)) - fl(E(y*)) >= delta - 2 data_error - 2 error > 0``: the float64 ground state
    is an optimum (the weights put every infeasible point ``max(1, delta)`` higher; see
    :mod:`qbdsl.passes.weights`). On the stored data it is optimal up to
    ``2 data_error`` (0 for integral data).
    """

    error: EnergyError
    resolution: float  # delta (inf for a constant objective)
    resolution_proven: bool
    objective_magnitude: float  # the objective's own share of M
    dominant: str | None  # penalty block with the largest weight * magnitude
    data_error: float = 0.0  # sum |c - d| between stored float64 and decimal coefficients
    resolution_kind: str = "decimal"  # see qbdsl.ir.terms.Resolution
    objective_max: float = 0.0  # largest |objective coefficient|

    @property
    def magnitude(self) -> float:
        """``M``: the bound on ``|offset| + sum|h| + sum|J|`` of the weighted energy."""
        return self.error.magnitude

    @property
    def separation(self) -> float:
        """``delta - 2 data_error``: the gap float64 energies must keep."""
        return self.resolution - 2.0 * self.data_error

    @property
    def ok(self) -> bool:
        """Distinct objective values keep their order in float64:
        ``2 (error + data_error) < delta``. ``delta`` is rounded to nearest (``g / sigma``)
        and the bounds are float64 sums: the factor ``1 - 2^-40`` covers those relative
        errors of order ``u``."""
        return 2.0 * (self.error.bound + self.data_error) < self.resolution * (1.0 - 2.0**-40)

    @property
    def margin_bits(self) -> float:
        """``log2((delta - 2 data_error) / (2 gamma_T M))``: headroom of the worst-case
        bound, in bits (negative: only exact arithmetic, if any, keeps distinct values
        apart; -inf: the data error alone already blurs them)."""
        if not np.isfinite(self.resolution) or self.error.worst_case == 0:
            return np.inf
        sep = self.separation
        return float(np.log2(sep / (2.0 * self.error.worst_case))) if sep > 0 else -np.inf


class QuboIR:
    """A compiled QUBO: ``E(y) = objective(y) + sum_B weight_B * P_B(y)`` over binaries ``y``.

    Penalty blocks are stored apart from the objective so :meth:`with_penalties` can
    re-weight them without recompiling. :meth:`decode` maps a binary sample back to
    the user's variables, objective and constraint violations through ``decode_map``
    (an :class:`~qbdsl.ir.maps.AffineMap`: the compile chain's inverses composed into one
    sparse map, ``x = c + M y``; ``sources`` is a :class:`~qbdsl.ir.sources.BitSources`).
    """

    def __init__(
        self,
        objective: QuboTerms,
        penalties: list[PenaltyBlock],
        weights: dict[str, float],
        decode_map,
        source: Problem,
        sources=None,
        objective_range: float | None = None,
    ):
        self.objective_terms = objective
        self.penalties = {p.name: p for p in penalties}
        self.weights = dict(weights)
        self.decode_map = decode_map
        self.source = source
        self.sources = sources
        self.objective_range = objective.abs_range() if objective_range is None else objective_range
        self.n = objective.n
        if any(w > 0 for w in self.weights.values()):
            self._check_numeric_range()

    # ------------------------------------------------------------ assembled QUBO
    @cached_property
    def terms(self) -> QuboTerms:
        """The weighted sum of all blocks (cached)."""
        parts = [(1.0, self.objective_terms)] + [(self.weights[k], p.terms) for k, p in self.penalties.items()]
        return combine(parts, self.n)

    @property
    def linear(self) -> np.ndarray:
        """The assembled linear coefficients ``h``, shape ``(n,)``."""
        return self.terms.h

    @property
    def quadratic(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The assembled couplers ``(i, j, v)`` with ``i < j``, each of shape ``(m,)``."""
        t = self.terms
        return t.i, t.j, t.v

    @property
    def offset(self) -> float:
        """The assembled constant term of the energy."""
        return self.terms.offset

    @property
    def num_variables(self) -> int:
        """Number of binaries, ``n``."""
        return self.n

    @property
    def num_interactions(self) -> int:
        """Number of nonzero couplers in the assembled QUBO."""
        return len(self.terms.v)

    def matrix(self):
        """Upper-triangular scipy CSR Q with ``E(y) = y^T Q y + offset``."""
        return self.terms.matrix()

    @cached_property
    def labels(self) -> list[str]:
        """Each binary's label: the user's element labels, then the encoding and slack bits' (cached)."""
        user = self.source.layout.labels()
        if self.sources is None:
            return user
        return self.sources.labels(user)

    # ------------------------------------------------------------ evaluation
    def energy(self, samples) -> np.ndarray | float:
        """Energy of one sample or a batch of 0/1 values, penalties included.

        Parameters
        ----------
        samples : array_like, shape (n,) or (k, n)
            0/1 values of the QUBO's ``n`` binaries (in :attr:`labels` order): one sample, or
            a batch of ``k`` samples, one per row.

        Returns
        -------
        float or ndarray, shape (k,)
            A float for one sample.

        Raises
        ------
        ModelError
            ``samples`` is neither 1-D nor 2-D.
        """
        X = np.asarray(samples)
        if X.ndim not in (1, 2):
            raise ModelError(f"samples must be 1-D or 2-D, got shape {X.shape}")
        e = self.terms.energy(X)
        return float(e) if X.ndim == 1 else e

    def decode(self, sample) -> Solution | list[Solution]:
        """Map a binary sample (or a (k, n) batch, decoded as one batch: a list) back to the
        user's variables.

        Parameters
        ----------
        sample : array_like, shape (n,) or (k, n)
            0/1 values of the QUBO's binaries.

        Returns
        -------
        Solution or list of Solution
            One per row for a batch; encoding penalties that are not met appear as
            violations (``"<var>.one-hot"``...).

        Raises
        ------
        ModelError
            The wrong shape, or a value other than 0 and 1.
        """
        from ..solution import solutions_of

        Y = np.asarray(sample)
        if Y.ndim not in (1, 2) or Y.shape[-1] != self.n:
            raise ModelError(f"sample has shape {Y.shape}, the QUBO has {self.n} variables")
        y = np.atleast_2d(Y).astype(float)
        if np.any((y != 0) & (y != 1)):
            raise ModelError("a QUBO sample must be 0/1")
        X = np.asarray(self.decode_map(y), dtype=float).reshape(len(y), -1)
        extra = {name: p.terms.energy(y) for name, p in self.penalties.items() if p.kind == "encoding"}
        sols = solutions_of(self.source, X, self.terms.energy(y), extra)
        return sols if Y.ndim == 2 else sols[0]

    # ------------------------------------------------------------ penalties
    def with_penalties(self, weights: dict | None = None, **kw) -> QuboIR:
        """A copy with some penalty weights changed (``q.with_penalties(cpu=50.0)``).

        A weight too small to carry the guarantee is accepted (``penalty_report``
        says ``guaranteed: False``).

        Parameters
        ----------
        weights : dict of str to float, optional
            New weights by penalty block name.
        **kw
            More weights by block name; they win over ``weights``.

        Returns
        -------
        QuboIR

        Raises
        ------
        ModelError
            An unknown block name, or a weight that is negative or not finite.
        UnsupportedTermError
            Like ``qb.compile``: the new weights make energies too large for float64 to tell
            distinct objective values apart (:meth:`numeric_range`), so the QUBO's ground
            state need not be the optimum. A subclass of ``ModelError``.
        """
        new = dict(weights or {})
        new.update(kw)
        unknown = set(new) - set(self.weights)
        if unknown:
            raise ModelError(f"no penalty block named {sorted(unknown)}; blocks: {sorted(self.weights)}")
        for k, v in new.items():
            if not np.isfinite(v) or v < 0:
                raise ModelError(f"penalty weight for {k!r} must be a finite number >= 0, got {v!r}")
        w = dict(self.weights)
        w.update({k: float(v) for k, v in new.items()})
        return QuboIR(
            self.objective_terms,
            list(self.penalties.values()),
            w,
            self.decode_map,
            self.source,
            self.sources,
            self.objective_range,
        )

    @cached_property
    def numeric_range(self) -> NumericRange:
        """Energy magnitude, its float64 error bound and the objective's resolution."""
        parts = [(1.0, self.objective_terms)] + [(self.weights[k], p.terms) for k, p in self.penalties.items()]
        obj = self.objective_terms
        res = obj.resolution_info
        share = {k: self.weights[k] * p.terms.magnitude for k, p in self.penalties.items()}
        dominant = max(share, key=share.get) if share else None
        big = float(max(np.abs(obj.h).max(initial=0.0), np.abs(obj.v).max(initial=0.0)))
        return NumericRange(
            energy_error_bound(parts), res.delta, res.proven, obj.magnitude, dominant, res.data_error, res.kind, big
        )

    def _check_numeric_range(self) -> None:
        r = self.numeric_range
        if r.ok:
            return
        e = r.error
        name = r.dominant
        own = self.penalties[name].terms.magnitude
        alone = 2.0 * gamma(e.summands) * r.objective_magnitude >= r.resolution
        note = f" (the objective alone reaches {r.objective_magnitude:.3g})" if alone else ""
        kind = {
            "unproven": " (a thousandth of their range: the data has no decimal scale)",
            "float64": " (the exact gcd of the coefficients as float64 stores them: they have no "
            "decimal scale within 2^53)",
        }.get(r.resolution_kind, "")
        if r.objective_max >= EXACT_INT:
            kind += (
                f"; the objective's coefficients reach {r.objective_max:.3g}, beyond float64's exact "
                f"integers (2^53 = {EXACT_INT:.3g}; 1e16 + 7 is stored as 1e16 + 8)"
            )
        if r.data_error > 0 and 2.0 * r.data_error >= 0.5 * r.resolution:
            kind += f"; the stored float64 coefficients are up to {r.data_error:.3g} (summed) off their decimal values"
        inexact = (
            f"more than the 2^{53 - e.grid:g} up to which they would be exact"
            if np.isfinite(e.grid)
            else "with coefficients that are not binary fractions"
        )
        # the QUBO target cannot take these weights, like a term it cannot take: qb.solve
        # then moves on to its fallbacks (a MILP backend)
        raise UnsupportedTermError(
            f"penalty weight {self.weights[name]:.3g} for {name!r} times its coefficients "
            f"(|offset| + sum|h| + sum|J| = {own:.3g}) gives energies up to {e.magnitude:.3g}{note}, "
            f"{inexact}; float64 then "
            f"resolves only {2.0 * e.worst_case:.3g} (2 gamma_T M, T = n + d + 1 + K = {e.summands}; "
            f"Higham 2002, Lemma 3.1), but objective values differ by {r.resolution:.3g}{kind}: the QUBO's "
            f"ground state may not be the optimum. Rescale the data (fewer decimals, a smaller range of "
            f"coefficients), give {name!r} a smaller weight (it then loses its guarantee), or use "
            "target='milp'"
        )

    def penalty_report(self) -> list[dict]:
        """Per block: weight, p_min, the objective range bound and whether the weight carries
        the guarantee: proven p_min and ``weight * p_min - R`` larger than what float64
        can blur (twice the energy error bound of :meth:`numeric_range`)."""
        blur = 2.0 * self.numeric_range.error.bound
        out = []
        for name, p in self.penalties.items():
            w = self.weights[name]
            out.append(
                {
                    "block": name,
                    "kind": p.kind,
                    "method": p.method,
                    "rows": p.rows,
                    "weight": w,
                    "p_min": p.p_min,
                    "objective_range": self.objective_range,
                    "proven": p.proven,
                    "magnitude": w * p.terms.magnitude,
                    "guaranteed": bool(p.proven and w * p.p_min - self.objective_range > blur),
                }
            )
        return out

    def explain_penalties(self) -> str:
        """The :meth:`penalty_report` as a table, followed by the float64 range facts of :meth:`numeric_range`."""
        lines = [
            f"objective range bound R = sum|h| + sum|J| = {self.objective_range:g}",
            f"{'block':<24}{'method':<12}{'rows':>6}{'weight':>14}{'p_min':>12}  guarantee",
        ]
        for r in self.penalty_report():
            g = (
                "yes (w*p_min > R)"
                if r["guaranteed"]
                else ("no: unproven p_min" if not r["proven"] else "no: w*p_min <= R + float64 error")
            )
            lines.append(f"{r['block']:<24}{r['method']:<12}{r['rows']:>6}{r['weight']:>14.6g}{r['p_min']:>12.3g}  {g}")
        return "\n".join(lines + self._explain_range())

    def _explain_range(self) -> list[str]:
        r = self.numeric_range
        e = r.error
        c = np.abs(np.concatenate([self.terms.h, self.terms.v]))
        c = c[c > 0]
        if len(c):
            dyn = (
                f"QUBO coefficients: largest |c| {c.max():.3g}, smallest nonzero |c| {c.min():.3g}, "
                f"dynamic range {c.max() / c.min():.3g}"
            )
        else:
            dyn = "QUBO coefficients: none nonzero"
        how = {
            "decimal": "proven: gcd / 10^k",
            "constant": "constant objective",
            "float64": "proven: exact gcd of the float64 coefficients, no decimal scale within 2^53",
            "unproven": "not proven: no decimal scale, R / 2^10 asked",
        }[r.resolution_kind]
        if e.exact:
            exact = (
                f"float64 arithmetic: exact (coefficients on the grid 2^-{e.grid:g}, M <= 2^{53 - e.grid:g}; "
                f"{e.exact_headroom_bits:.1f} bits to spare)"
            )
        else:
            exact = "float64 arithmetic: rounded (coefficients not on a binary grid with M 2^e <= 2^53)"
        lines = [
            dyn,
            "energy magnitude bound M = |offset| + sum|h| + sum|J| (objective + weighted penalties) = "
            f"{e.magnitude:.3g}",
            exact,
            f"worst-case float64 error of an energy <= gamma_T M = {e.worst_case:.3g} "
            f"(T = n + d + 1 + K = {e.summands}, d = {e.degree} couplers at a variable, for qbdsl's two-level "
            f"evaluation; a flat sum would need T = {e.flat_summands}; Higham 2002, Lemmas 3.1 and 3.3)",
            f"objective resolution delta = {r.resolution:.6g} ({how})",
        ]
        if r.data_error > 0:
            lines.append(f"stored float64 objective vs its decimal values: sum |c - d| <= {r.data_error:.3g}")
            lines.append(
                f"float64 margin: log2((delta - 2 D) / (2 gamma_T M)) = {r.margin_bits:.1f} bits"
                + (" (not needed: exact)" if e.exact and r.margin_bits < 0 else "")
            )
        else:
            lines.append(
                f"float64 margin: log2(delta / (2 gamma_T M)) = {r.margin_bits:.1f} bits"
                + (" (not needed: exact)" if e.exact and r.margin_bits < 0 else "")
            )
        return lines

    # ------------------------------------------------------------ conversions
    def to_bqm(self):
        """A ``dimod.BinaryQuadraticModel`` with string labels."""
        from ..io.dimod_io import qubo_to_bqm

        return qubo_to_bqm(self)

    def to_qp(self):
        """A qiskit-optimization ``QuadraticProgram`` (unconstrained, binary)."""
        from ..io.qiskit_io import qubo_to_qp

        return qubo_to_qp(self)

    def save(self, path) -> None:
        """Write ``.qubo`` (qbsolv), ``.npz`` (full IR) or ``.bqm`` (dimod file); atomic.

        Raises
        ------
        ModelError
            Any other extension.
        """
        from ..io import save_qubo

        save_qubo(self, path)

    def summary(self) -> str:
        """One line: binaries, couplers, their density and the number of penalty blocks."""
        t = self.terms
        dens = 2 * len(t.v) / max(1, self.n * (self.n - 1))
        return (
            f"QuboIR: {self.n} binaries, {len(t.v)} couplers (density {dens:.3g}), {len(self.penalties)} penalty blocks"
        )

    def __repr__(self) -> str:
        return f"<{self.summary()}>"

    def as_problem(self) -> Problem:
        """The QUBO itself (penalties included) as an unconstrained binary Problem over its
        own variables, e.g. to linearize it for a MILP solver."""
        t = self.terms
        n = self.n
        arr = VarArray("q", BINARY, (n,), 0, list(self.labels))
        obj = Poly.build(
            n, 1, t.offset, (np.zeros(n, np.int64), np.arange(n), t.h), (np.zeros(len(t.v), np.int64), t.i, t.j, t.v)
        )
        return Problem(self.source.name, VarLayout([arr], np.zeros(n), np.ones(n)), obj, "min", [])

    # ------------------------------------------------------------ plain QUBOs
    @classmethod
    def from_terms(cls, terms: QuboTerms, labels: list[str] | None = None, name: str = "qubo") -> QuboIR:
        """A QuboIR for a bare QUBO (no constraints); its variable array is ``x``."""
        n = terms.n
        arr = VarArray("x", BINARY, (n,), 0, list(labels) if labels is not None else None)
        layout = VarLayout([arr], np.zeros(n), np.ones(n))
        obj = Poly.build(
            n,
            1,
            terms.offset,
            (np.zeros(n, np.int64), np.arange(n), terms.h),
            (np.zeros(len(terms.v), np.int64), terms.i, terms.j, terms.v),
        )
        return cls(terms, [], {}, AffineMap.identity(n), Problem(name, layout, obj, "min", []))
