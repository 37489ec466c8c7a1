"""Model definition -> dimod BQM: qbdsl vs PyQUBO vs qiskit-optimization, same models.

``make bench`` times every tool (pytest-benchmark groups put them side by side) and
``test_speed_and_memory_ratios`` writes the ratios to ``out/bench/ratios.json``.
``make test`` runs each build once (benchmarks disabled) and checks that every tool
builds the identical BQM.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from . import models

HERE = Path(__file__).resolve().parent
OUT = HERE.parent.parent / "out" / "bench"
TSP_SIZES = [30, 60, 100]
ROUTING_SIZES = [200, 800]


def _pyqubo_label(v: str) -> str:
    """qbdsl's ``x(3,4)`` is PyQUBO's ``x[3][4]``."""
    return "x" + "".join(f"[{i}]" for i in v[2:-1].split(","))


def assert_same_bqm(ours, ref, ref_labels=lambda v: v, samples: int = 20, seed: int = 0):
    assert ours.num_variables == ref.num_variables
    assert ours.num_interactions == ref.num_interactions
    rng = np.random.default_rng(seed)
    for _ in range(samples):
        s = {v: int(rng.integers(2)) for v in ours.variables}
        assert ours.energy(s) == pytest.approx(ref.energy({ref_labels(v): b for v, b in s.items()}), rel=1e-12)


def _slow_if(cond):
    return pytest.mark.slow if cond else []


@pytest.mark.parametrize("n", TSP_SIZES)
def test_tsp_qbdsl(benchmark, n):
    D = models.tsp_data(n)
    bqm = benchmark.pedantic(models.tsp_qbdsl_bqm, args=(D,), rounds=3 if not benchmark.disabled else 1)
    benchmark.group = f"tsp-{n}"
    assert bqm.num_variables == n * n
    # n^2 (n-1) tour couplers plus 2 n^2 (n-1)/2 constraint couplers, disjoint except none
    assert bqm.num_interactions == n * n * (n - 1) + n * n * (n - 1)


@pytest.mark.parametrize("n", [pytest.param(n, marks=_slow_if(n > 60)) for n in TSP_SIZES])
def test_tsp_pyqubo(benchmark, n):
    D = models.tsp_data(n)
    ref = benchmark.pedantic(models.tsp_pyqubo_bqm, args=(D,), rounds=1)
    benchmark.group = f"tsp-{n}"
    assert_same_bqm(models.tsp_qbdsl_bqm(D), ref, _pyqubo_label)


@pytest.mark.parametrize("n", [pytest.param(n, marks=_slow_if(n > 30)) for n in TSP_SIZES])
def test_tsp_qiskit(benchmark, n):
    D = models.tsp_data(n)
    ref = benchmark.pedantic(models.tsp_qiskit_bqm, args=(D,), rounds=1)
    benchmark.group = f"tsp-{n}"
    assert_same_bqm(models.tsp_qbdsl_bqm(D), ref)


@pytest.mark.parametrize("d", ROUTING_SIZES)
@pytest.mark.parametrize("tool", ["qbdsl", "pyqubo", "qiskit"])
def test_routing(benchmark, d, tool):
    if tool == "qiskit" and d > 200 and benchmark.disabled:
        pytest.skip("qiskit at this size only under make bench")
    vol, inc = models.routing_data(d, d // 2, 4)
    fn = getattr(models, f"routing_{tool}_bqm")
    bqm = benchmark.pedantic(fn, args=(vol, inc), rounds=1)
    benchmark.group = f"k-path-routing-{d}"
    if tool != "qbdsl":
        assert_same_bqm(models.routing_qbdsl_bqm(vol, inc), bqm, _pyqubo_label if tool == "pyqubo" else (lambda v: v))


def test_million_quadratic_terms(benchmark):
    """A model with >= 10^6 quadratic terms compiles (model -> QuboIR) in one pass."""
    import qbdsl as qb

    D = models.tsp_data(100)
    m = models.tsp_qbdsl(D)
    q = benchmark.pedantic(qb.compile, args=(m, "qubo"), kwargs={"penalty": models.PENALTY}, rounds=1)
    assert q.num_interactions >= 1_000_000
    x = np.zeros((100, 100))
    x[np.arange(100), np.arange(100)] = 1  # the identity tour is feasible
    sol = q.decode(x.ravel())
    assert sol.feasible
    assert sol.objective == pytest.approx(sum(D[t, (t + 1) % 100] for t in range(100)))


def _best_of(fn, args, repeat):
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - t)
    return best


def _peak_mib(func: str, n: int) -> tuple[float, int]:
    out = subprocess.run(
        [sys.executable, str(HERE / "memprobe.py"), func, str(n)],
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    mib, terms = out.stdout.split()
    return float(mib), int(terms)


def test_speed_and_memory_ratios(benchmark):
    """qbdsl vs PyQUBO on TSP, one run: time ratio and peak-memory ratio.

    With benchmarks disabled (``make test``) only the smallest size runs, to keep the
    check itself tested; ``make bench`` measures n = 30, 60, 100.
    """
    sizes = [30] if benchmark.disabled else TSP_SIZES
    rows = []
    for n in sizes:
        D = models.tsp_data(n)
        models.tsp_qbdsl_bqm(models.tsp_data(8))  # warm imports
        t_q = _best_of(models.tsp_qbdsl_bqm, (D,), 3)
        t_p = _best_of(models.tsp_pyqubo_bqm, (D,), 1)
        m_q, terms_q = _peak_mib("tsp_qbdsl_bqm", n)
        m_p, terms_p = _peak_mib("tsp_pyqubo_bqm", n)
        assert terms_q == terms_p
        rows.append(
            {
                "n": n,
                "qbdsl_s": t_q,
                "pyqubo_s": t_p,
                "speedup": t_p / t_q,
                "qbdsl_peak_mib": m_q,
                "pyqubo_peak_mib": m_p,
                "memory_ratio": m_q / max(m_p, 1e-9),
            }
        )
    benchmark.extra_info["ratios"] = rows
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "ratios.json").write_text(json.dumps(rows, indent=2))
    for r in rows:
        print(
            f"TSP n={r['n']}: qbdsl {r['qbdsl_s']:.3f}s vs PyQUBO {r['pyqubo_s']:.3f}s "
            f"-> {r['speedup']:.1f}x; peak memory {r['qbdsl_peak_mib']:.0f} vs {r['pyqubo_peak_mib']:.0f} MiB"
        )
    benchmark.pedantic(lambda: None, rounds=1)
