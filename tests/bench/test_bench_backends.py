"""All backends on the same instances, one run: time, objective, gap to the best known.

Rows go to ``out/bench/backends.jsonl`` (one per backend and instance) and to the
benchmark's extra_info; ``test_qaoa_native_vs_qiskit`` writes ``out/bench/qaoa.json``.
Under ``make test`` (benchmarks disabled) every pair but three QAOA runs of 10-11 s each
(:data:`SLOW_PAIRS`, which ``make bench`` runs) still runs once and its answer is checked; the
QAOA comparison runs only its smallest size there.
"""

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import qbdsl as qb
from qbdsl.ir.terms import QuboTerms

ROOT = Path(__file__).resolve().parent.parent.parent
OUT = ROOT / "out" / "bench"
sys.path.insert(0, str(ROOT / "examples"))


def random_qubo(n: int, seed: int = 0) -> qb.QuboIR:
    rng = np.random.default_rng(seed)
    iu = np.triu_indices(n, 1)
    keep = rng.random(len(iu[0])) < 0.3
    return qb.QuboIR.from_terms(
        QuboTerms.from_coo(
            n,
            rng.integers(-5, 6, n).astype(float),
            iu[0][keep],
            iu[1][keep],
            rng.integers(-3, 4, int(keep.sum())).astype(float),
        )
    )


def knapsack():
    rng = np.random.default_rng(4)
    m = qb.Model("knapsack")
    x = m.binary("x", 12)
    w, v = rng.integers(2, 9, 12), rng.integers(1, 10, 12)
    m.add((w * x).sum() <= 20, name="weight")
    m.maximize((v * x).sum())
    return m


def instances():
    from slice_placement import build

    return {
        "random-qubo-16": (random_qubo(16), None),  # best known: the exact backend's
        "slice-placement": (build(), 7.0),
        "knapsack-12": (knapsack(), None),  # best known: the exact backend's
        "qoblib-network05": (ROOT / "problems" / "data" / "qoblib" / "network05.lp.xz", 65500.0),
    }


BACKENDS = {
    "exact": {},
    "anneal": {"num_reads": 100},
    "tabu": {"num_reads": 10},
    "qaoa": {"reps": 2},
    "qaoa-qiskit": {"reps": 1, "maxiter": 60},
    "ortools": {},
}


# QAOA's statevector runs of 16-17 qubits: 10-11 s each under make test; QAOA on the random QUBO
# stays there (its answer checked), these run with -m slow (make bench)
SLOW_PAIRS = {("qaoa", "knapsack-12"), ("qaoa", "slice-placement"), ("qaoa-qiskit", "random-qubo-16")}


def _pairs():
    for b in BACKENDS:
        for i in instances():
            yield pytest.param(b, i, marks=[pytest.mark.slow] if (b, i) in SLOW_PAIRS else [], id=f"{b}-{i}")


@pytest.mark.parametrize("backend, instance", list(_pairs()))
def test_backend_on_instance(benchmark, backend, instance):
    obj, best = instances()[instance]
    if backend == "qaoa-qiskit" and instance != "random-qubo-16":
        pytest.skip("the qiskit reference path is compared with the native one in test_qaoa_native_vs_qiskit")
    warnings.filterwarnings("ignore")
    row = {"backend": backend, "instance": instance}
    t = time.perf_counter()
    try:
        r = benchmark.pedantic(
            qb.solve,
            args=(obj,),
            kwargs={"backend": backend, "seed": 0, "time_limit": 10, **BACKENDS[backend]},
            rounds=1,
        )
    except (qb.BackendError, qb.UnsupportedTermError) as exc:
        row.update(status="cannot take it", reason=str(exc).split(";")[0][:90])
        _record(row)
        assert instance == "qoblib-network05" or backend in ("exact",), str(exc)
        return
    row.update(seconds=time.perf_counter() - t, status=r.status, objective=r.objective, feasible=r.feasible)
    if best is None:
        best = qb.solve(obj, backend="exact").objective
    row["best_known"] = best
    row["gap"] = abs(r.objective - best) / max(1.0, abs(best)) if r.feasible else None
    _record(row)
    benchmark.extra_info.update(row)
    if qb.backends.get(backend).capabilities.exact:
        assert r.feasible and r.objective == pytest.approx(best)
    elif r.feasible:  # a heuristic's feasible answer is never better than the optimum
        assert (r.objective >= best - 1e-9) if instance != "knapsack-12" else (r.objective <= best + 1e-9)


def _record(row):
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "backends.jsonl", "a") as f:
        f.write(json.dumps(row) + "\n")


def test_qaoa_native_vs_qiskit(benchmark):
    """Same QUBO, reps, optimizer, iterations and shots; native statevector vs qiskit-aer."""
    from qbdsl.backends.qaoa import QaoaBackend, QaoaQiskitBackend

    warnings.filterwarnings("ignore")
    sizes = [8] if benchmark.disabled else [12, 14, 16]
    rows = []
    for n in sizes:
        q = random_qubo(n, 1)
        exact = qb.solve(q, backend="exact").energy
        for opt in ("Nelder-Mead", "COBYLA"):
            kw = dict(reps=1, maxiter=60, shots=1024, optimizer=opt)
            QaoaBackend().solve(q, seed=0, restarts=1, **kw)  # warm-up (imports, caches)
            t = time.perf_counter()
            a = QaoaBackend().solve(q, seed=0, restarts=1, normalize=False, **kw)
            t_native = time.perf_counter() - t
            t = time.perf_counter()
            b = QaoaQiskitBackend().solve(q, seed=0, **kw)
            t_qiskit = time.perf_counter() - t
            per_native = t_native / a.info["evaluations"]
            per_qiskit = t_qiskit / max(b.info["evaluations"], 1)
            rows.append(
                {
                    "qubits": n,
                    "optimizer": opt,
                    "native_s": t_native,
                    "qiskit_s": t_qiskit,
                    "speedup": t_qiskit / t_native,
                    "native_evaluations": a.info["evaluations"],
                    "qiskit_evaluations": b.info["evaluations"],
                    "per_evaluation_speedup": per_qiskit / per_native,
                    "native_energy": a.energy,
                    "qiskit_energy": b.energy,
                    "exact": exact,
                }
            )
            assert a.energy >= exact - 1e-9 and b.energy >= exact - 1e-9
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "qaoa.json").write_text(json.dumps(rows, indent=2))
    for r in rows:
        print(
            f"QAOA {r['qubits']} qubits, {r['optimizer']}: native {r['native_s']:.3f}s vs qiskit "
            f"{r['qiskit_s']:.3f}s -> {r['speedup']:.1f}x ({r['per_evaluation_speedup']:.1f}x per evaluation)"
        )
    benchmark.extra_info["qaoa"] = rows
    benchmark.pedantic(lambda: None, rounds=1)
