"""Instance features for the Quantum Invocation Policy, computed from the lowered problem in
O(nonzeros) without compiling (so a decision on a 10^5-variable model stays cheap).

The QUBO size is what :func:`qbdsl.compile` would produce with the binary encoding and
slack inequalities: bits per integer from its span, slack bits per inequality row from the
row's range at its resolution; couplers are bounded by the objective's products plus, per
penalized row, (row nonzeros + slack bits)^2 / 2.

Annealer embedding (clique bound, used when ``minorminer`` is not installed): a QUBO whose
interaction graph has maximum degree ``d`` embeds in a clique of ``k = min(n, d + 1)``
logical variables' worth of chains at worst; Pegasus P16 embeds cliques up to K_177 with
chains of about ``ceil(k / 12) + 1`` qubits, Zephyr Z15 up to K_232 with about
``ceil(k / 16) + 1``. The estimate of physical qubits is ``n * chain`` and the instance
"fits" when ``k`` is within the clique limit and the qubits within the device.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import ModelError
from ..ir.milp import MilpIR
from ..ir.problem import Problem
from ..ir.qubo import QuboIR

TOPOLOGIES = {  # name: (max clique, logical variables per chain qubit, physical qubits)
    "pegasus": (177, 12, 5627),
    "zephyr": (232, 16, 7440),
}


@dataclass
class Features:
    """What the policy knows about an instance (all sizes after the compile it would get)."""

    n_variables: int  # user variables
    n_binary: int  # user binaries
    n_integer: int
    n_continuous: int
    n_unbounded_integer: int
    n_constraints: int  # rows
    n_equality: int
    n_inequality: int
    n_quadratic_rows: int
    objective_terms: int
    qubo_ok: bool  # can a QUBO target take it at all
    qubo_reason: str  # why not, when it cannot
    qubo_binaries: int  # QUBO size (also the QAOA qubit count)
    qubo_couplers: int  # upper bound
    qubo_density: float
    coefficient_range: float  # max |c| / min |c| over the model's coefficients
    penalty_scale: float  # penalty weight over the largest objective coefficient (0: no penalties)
    milp_variables: int
    milp_rows: int
    milp_nonzeros: int
    max_degree: int
    embed_pegasus_qubits: int  # -1 when it does not fit
    embed_zephyr_qubits: int

    def as_dict(self) -> dict:
        """The features as a plain dict (for JSON and tables)."""
        return asdict(self)


def _bits(span: np.ndarray) -> np.ndarray:
    """Bits of the bounded binary encoding of 0..span."""
    span = np.maximum(np.asarray(span, float), 0)
    return np.where(span > 0, np.floor(np.log2(span + 1)) + (span + 1 > 2 ** np.floor(np.log2(span + 1))), 0)


def _embedding(n: int, max_degree: int) -> dict:
    out = {}
    k = min(n, max_degree + 1)
    for name, (clique, per_qubit, device) in TOPOLOGIES.items():
        chain = math.ceil(k / per_qubit) + 1 if k > 1 else 1
        qubits = n * chain
        out[name] = qubits if k <= clique and qubits <= device else -1
    return out


def features(obj) -> Features:
    """Features of a Model, Problem, QuboIR or MilpIR."""
    if isinstance(obj, QuboIR):
        return _qubo_features(obj)
    if isinstance(obj, MilpIR):
        return _problem_features(obj.source, obj)
    if isinstance(obj, Problem):
        return _problem_features(obj, None)
    if hasattr(obj, "to_problem"):
        return _problem_features(obj.to_problem(), None)
    raise ModelError(f"cannot compute features of a {type(obj).__name__}")


def _qubo_features(q: QuboIR) -> Features:
    t = q.terms
    n = q.n
    deg = np.bincount(np.concatenate([t.i, t.j]), minlength=n) if n else np.zeros(0, int)
    coefs = np.abs(np.concatenate([t.h, t.v]))
    coefs = coefs[coefs > 0]
    rng = float(coefs.max() / coefs.min()) if len(coefs) else 1.0
    obj_max = float(np.abs(np.concatenate([q.objective_terms.h, q.objective_terms.v])).max(initial=0)) or 1.0
    pen = max(q.weights.values()) / obj_max if q.weights else 0.0
    emb = _embedding(n, int(deg.max()) if n else 0)
    m = len(t.v)
    return Features(
        n_variables=n,
        n_binary=n,
        n_integer=0,
        n_continuous=0,
        n_unbounded_integer=0,
        n_constraints=sum(p.rows for p in q.penalties.values()),
        n_equality=0,
        n_inequality=0,
        n_quadratic_rows=0,
        objective_terms=int(np.count_nonzero(t.h) + m),
        qubo_ok=True,
        qubo_reason="",
        qubo_binaries=n,
        qubo_couplers=m,
        qubo_density=2 * m / max(1, n * (n - 1)),
        coefficient_range=rng,
        penalty_scale=pen,
        milp_variables=n + m,
        milp_rows=3 * m,
        milp_nonzeros=7 * m + n,
        max_degree=int(deg.max()) if n else 0,
        embed_pegasus_qubits=emb["pegasus"],
        embed_zephyr_qubits=emb["zephyr"],
    )


def _problem_features(p: Problem, milp: MilpIR | None) -> Features:
    lay = p.layout
    kinds = lay.kinds()
    lb, ub = lay.lb, lay.ub
    ints = kinds == 1
    unbounded = ints & ~(np.isfinite(lb) & np.isfinite(ub))
    n_cont = int(np.sum(kinds == 2))
    quad_rows = sum(int(np.unique(b.poly.qrow).size) for b in p.constraints if not b.poly.is_linear)
    reason = ""
    if n_cont:
        reason = f"{n_cont} continuous variables"
    elif unbounded.any():
        reason = f"{int(unbounded.sum())} unbounded integers"
    elif quad_rows:
        reason = f"{quad_rows} quadratic constraint rows"
    # QUBO size estimate: encoded user variables + slack bits of inequality rows
    span = np.where(ints & ~unbounded, ub - lb, 0)
    enc_bits = np.where(kinds == 0, 1, _bits(span))
    col_bits = enc_bits.astype(float)
    n_bin = float(enc_bits.sum())
    couplers = float(len(p.objective.qcoef))
    # every row of every block at once: a model read from a file holds one block per row, and a
    # Python pass per block cost ~50 us each (8 ms on MIPLIB's p0548, 176 rows)
    blocks = p.constraints
    rows_b = np.array([b.poly.rows for b in blocks], dtype=np.int64)
    sense_b = np.array([{"==": 0, "<=": 1}.get(b.sense, 2) for b in blocks], dtype=np.int8)
    n_eq = int(rows_b[sense_b == 0].sum())
    n_ineq = int(rows_b[sense_b != 0].sum())
    coefs = [np.abs(p.objective.L.data), np.abs(p.objective.qcoef)]
    deg = np.zeros(p.n)
    if blocks:
        nnz = np.concatenate([np.diff(b.poly.L.indptr) for b in blocks])
        idx = np.concatenate([b.poly.L.indices for b in blocks])
        data = np.concatenate([b.poly.L.data for b in blocks])
        const = np.concatenate([b.poly.const for b in blocks])
        n_rows = len(const)
        sense = np.repeat(sense_b, rows_b)
        row_of = np.repeat(np.arange(n_rows), nnz)  # row sums over the CSR entries (no sparse temporaries)
        a = np.where(sense[row_of] == 2, -data, data)  # ">=" rows as "<=" rows
        lo = np.bincount(row_of, weights=np.minimum(a, 0.0), minlength=n_rows)
        hi = np.bincount(row_of, weights=np.maximum(a, 0.0), minlength=n_rows)
        bnd = np.where(sense == 2, const, -const)
        slack = np.where(sense == 0, 0.0, _bits(np.floor(np.maximum(np.minimum(bnd - lo, hi - lo), 0))))
        # bits per row: the encoded width of the row's variables plus its slack
        width = np.bincount(row_of, weights=col_bits[idx], minlength=n_rows) + slack
        n_bin += float(slack.sum())
        couplers += float((width * (width - 1) / 2).sum())
        deg = np.bincount(idx, weights=np.repeat(nnz - 1, nnz).astype(float), minlength=p.n)
        coefs.append(np.abs(data))
    c = np.concatenate(coefs)
    c = c[c > 0]
    n_bin_i = int(n_bin)
    couplers_i = int(min(couplers, n_bin * (n_bin - 1) / 2))
    obj_c = np.abs(np.concatenate([p.objective.L.data, p.objective.qcoef]))
    obj_range = float(obj_c.sum())
    obj_max = float(obj_c.max(initial=0)) or 1.0
    max_deg = int(min(n_bin_i - 1, (deg * np.maximum(col_bits, 1)).max() + 1)) if p.n else 0
    emb = _embedding(n_bin_i, max_deg) if not reason else {"pegasus": -1, "zephyr": -1}
    if milp is not None:
        mv, mr, mnz = milp.num_variables, milp.num_constraints, int(milp.A.nnz)
    else:
        prods = len(p.objective.qcoef) + sum(len(b.poly.qcoef) for b in p.constraints)
        mv = p.n + prods
        mr = n_eq + n_ineq + 4 * prods
        mnz = int(sum(b.poly.L.nnz for b in p.constraints)) + 10 * prods
    return Features(
        n_variables=p.n,
        n_binary=int(np.sum(kinds == 0)),
        n_integer=int(ints.sum()),
        n_continuous=n_cont,
        n_unbounded_integer=int(unbounded.sum()),
        n_constraints=n_eq + n_ineq,
        n_equality=n_eq,
        n_inequality=n_ineq,
        n_quadratic_rows=quad_rows,
        objective_terms=int(p.objective.L.nnz + len(p.objective.qcoef)),
        qubo_ok=not reason,
        qubo_reason=reason,
        qubo_binaries=n_bin_i if not reason else 0,
        qubo_couplers=couplers_i if not reason else 0,
        qubo_density=(2 * couplers_i / max(1.0, n_bin * (n_bin - 1))) if not reason else 0.0,
        coefficient_range=float(c.max() / c.min()) if len(c) else 1.0,
        penalty_scale=(obj_range + 1.0) / obj_max if (n_eq + n_ineq) else 0.0,  # auto weight, p_min = 1
        milp_variables=mv,
        milp_rows=mr,
        milp_nonzeros=mnz,
        max_degree=max_deg,
        embed_pegasus_qubits=emb["pegasus"],
        embed_zephyr_qubits=emb["zephyr"],
    )
