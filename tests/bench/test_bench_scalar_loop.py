"""Per-term scalar loops (the PyQUBO / qiskit tutorial style) vs PyQUBO vs qbdsl's vectorized form.

TSP tour length with n = 20 cities, ``sum(d[i, j] * x[i, t] * x[j, (t + 1) % n] ...)``:
8000 scalar terms. One run times building the expression only and building + compiling
to a QUBO/BQM, for each form, prints the times and ratios and writes them to
``out/bench/scalar_loop.json``. Timings are reported, never asserted (shared machines are
noisy); correctness (same BQM energies) is asserted.
"""

import json
import time
from pathlib import Path

import numpy as np
import pytest

import qbdsl as qb

N = 20
OUT = Path(__file__).resolve().parent.parent.parent / "out" / "bench"


def _scalar(d, how="sum"):
    n = len(d)
    m = qb.Model("tsp")
    x = m.binary("x", (n, n))
    terms = (d[i, j] * x[i, t] * x[j, (t + 1) % n] for i in range(n) for j in range(n) for t in range(n))
    if how == "quicksum":
        h = qb.quicksum(terms)
    elif how == "iadd":
        h = 0
        for term in terms:
            h += term
    else:
        h = sum(terms)
    return m, h


def _vectorized(d):
    n = len(d)
    m = qb.Model("tsp")
    x = m.binary("x", (n, n))
    return m, ((x.T @ d) * x[:, np.r_[1:n, 0]].T).sum()


def _qbdsl_bqm(build, d):
    m, h = build(d)
    m.minimize(h)
    return qb.compile(m, "qubo").to_bqm()


def _pyqubo_expr(d):
    from pyqubo import Array

    n = len(d)
    x = Array.create("x", (n, n), "BINARY")
    return sum(d[i, j] * x[i, t] * x[j, (t + 1) % n] for i in range(n) for j in range(n) for t in range(n))


def _pyqubo_bqm(d):
    return _pyqubo_expr(d).compile().to_bqm()


def _best(fn, *args, rounds=5):
    out, best = None, float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def test_scalar_loop_vs_pyqubo_vs_vectorized():
    pytest.importorskip("pyqubo")
    d = np.round(np.random.default_rng(0).random((N, N)) * 100)
    times, bqms = {}, {}
    times["build_scalar_sum"], _ = _best(_scalar, d)
    times["build_scalar_iadd"], _ = _best(_scalar, d, "iadd")
    times["build_scalar_quicksum"], _ = _best(_scalar, d, "quicksum")
    times["build_vectorized"], _ = _best(_vectorized, d)
    times["build_pyqubo"], _ = _best(_pyqubo_expr, d)
    times["compile_scalar_sum"], bqms["scalar"] = _best(_qbdsl_bqm, _scalar, d)
    times["compile_vectorized"], bqms["vectorized"] = _best(_qbdsl_bqm, _vectorized, d)
    times["compile_pyqubo"], bqms["pyqubo"] = _best(_pyqubo_bqm, d)

    ratios = {
        "build_scalar_over_pyqubo": times["build_scalar_sum"] / times["build_pyqubo"],
        "build_scalar_over_vectorized": times["build_scalar_sum"] / times["build_vectorized"],
        "build_iadd_over_sum": times["build_scalar_iadd"] / times["build_scalar_sum"],
        "compile_scalar_over_pyqubo": times["compile_scalar_sum"] / times["compile_pyqubo"],
        "compile_scalar_over_vectorized": times["compile_scalar_sum"] / times["compile_vectorized"],
    }
    report = {"n": N, "terms": N**3, "seconds": times, "ratios": ratios}
    print(json.dumps(report, indent=2))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "scalar_loop.json").write_text(json.dumps(report, indent=2))

    ours, vec, ref = bqms["scalar"], bqms["vectorized"], bqms["pyqubo"]
    assert ours.num_variables == vec.num_variables == ref.num_variables == N * N
    # PyQUBO keeps the zero-weight couplers of d[i, j] == 0; qbdsl drops zero terms
    assert ours.num_interactions == vec.num_interactions
    assert ours.num_interactions == sum(1 for b in ref.quadratic.values() if b != 0)
    rng = np.random.default_rng(1)
    for _ in range(20):
        s = rng.integers(0, 2, (N, N))
        sample = {f"x({i},{j})": int(s[i, j]) for i in range(N) for j in range(N)}
        e = ours.energy(sample)
        assert e == pytest.approx(vec.energy(sample), rel=1e-12)
        assert e == pytest.approx(
            ref.energy({f"x[{i}][{j}]": int(s[i, j]) for i in range(N) for j in range(N)}), rel=1e-12
        )
