"""The README's D-Wave table: instance size -> embedding -> predicted QPU access time and quality.

For dense random QUBOs (every pair coupled) and sparse ones (about 4 couplers per variable),
embeds each on Advantage (Pegasus P16) and Advantage2 (Zephyr Z12, t=4) with
:func:`qbdsl.backends.dwave_backend.embed` (busclique's clique embedding for dense models,
minorminer for sparse ones, seed 0) and predicts the QPU access time of 100 reads at the
default 20 us anneal (:func:`~qbdsl.backends.dwave_backend.predict_qpu_access_time`), QIP's
predicted quality on that embedding (:func:`qbdsl.qip.devices.chain_quality`: the annealer's
quality less the longest chain's loss), and, measured on the mock with the SDK's chain
strength (100 reads, seed 0), the mean chain-break fraction and the share of reads within 1 %
of the best energy any read found. No token and no network needed. Prints a Markdown table.

Run: ``.venv/bin/python scripts/dwave_table.py``
"""

from __future__ import annotations

import numpy as np

import qbdsl as qb
from qbdsl.backends.dwave_backend import TOPOLOGIES, embed, predict_qpu_access_time
from qbdsl.ir.terms import QuboTerms
from qbdsl.qip.devices import annealer_quality, chain_quality
from qbdsl.qip.features import features

READS = 100
DENSE = (8, 16, 32, 64, 128, 180)
SPARSE = (50, 200, 500)
SPARSE_DEGREE = 4.0


def instance(n: int, density: float, seed: int = 0) -> qb.QuboIR:
    """A QUBO of n binaries with about ``density`` of all pairs coupled (normal coefficients)."""
    rng = np.random.default_rng(seed)
    i, j = np.triu_indices(n, 1)
    keep = rng.random(len(i)) < density
    return qb.QuboIR.from_terms(
        QuboTerms.from_coo(n, rng.normal(size=n), i[keep], j[keep], rng.normal(size=int(keep.sum())))
    )


def row(kind: str, q: qb.QuboIR) -> str:
    """One Markdown row: the instance, then qubits / longest chain / predicted time and quality /
    measured chain breaks and near-best reads per topology."""
    cells = [kind, str(q.n), str(len(q.terms.v))]
    base = annealer_quality(features(q))
    for topology in TOPOLOGIES:
        s = embed(q, topology, timeout=60.0, seed=0)
        if not s.ok:
            cells += ["does not embed", "-", "-", "-", "-"]
            continue
        t = predict_qpu_access_time(s.physical_qubits, READS, topology=topology)
        r = qb.solve(q, backend="dwave", solver=f"mock-{topology}", num_reads=READS, seed=0)
        e = np.repeat(r.raw.energies, r.raw.num_occurrences)
        near = float(np.mean(e <= e.min() + 0.01 * max(1.0, abs(e.min()))))
        cells += [
            f"{s.physical_qubits} ({s.method}, {s.seconds:.2f} s)",
            str(s.longest_chain),
            f"{t * 1e3:.1f}",
            f"{chain_quality(base, s.longest_chain):.2f}",
            f"{r.raw.info['chain_break_fraction_mean']:.3f} / {near:.2f}",
        ]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    heads = ["instance", "variables", "couplers"]
    for topology in TOPOLOGIES:
        short = "Advantage" if topology == "advantage" else "Advantage2"
        heads += [
            f"{short} qubits (method, search)",
            f"{short} longest chain",
            f"{short} QPU ms",
            f"{short} predicted quality",
            f"{short} mock: chain breaks / near-best reads",
        ]
    print("| " + " | ".join(heads) + " |")
    print("|" + "---|" * len(heads))
    for n in DENSE:
        print(row("dense", instance(n, 1.0)))
    for n in SPARSE:
        print(row("sparse", instance(n, SPARSE_DEGREE / (n - 1))))


if __name__ == "__main__":
    main()
