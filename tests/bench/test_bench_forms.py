"""Every way of writing the same model, timed side by side against PyQUBO.

Two models, each written six ways:

- TSP tour length (n = 20, 30, 50): ``sum_t x[:, t] @ d @ x[:, t + 1]``;
- k-path routing congestion (200 demands x 4 paths x 100 links, 800 x 4 x 400):
  ``sum_e (sum_{a, p} vol_a inc[a, p, e] x[a, p])^2``.

Forms: ``vectorized`` (whole-array expressions), ``sum`` (Python ``sum()`` over one vector
expression per tour position / per demand), ``iadd`` (``h += ...`` in a loop over the same),
``quicksum`` (``qb.quicksum`` over the same), ``scalar`` (one term per ``x[i, j]``, the PyQUBO
tutorial style) and ``pyqubo`` (PyQUBO 1.5 on the scalar form). Each is timed building the
objective expression, and building and compiling it to a dimod BQM (best of a few rounds);
the table gives each time and its ratio to the vectorized form and to PyQUBO and goes to
``out/bench/forms.json``. Times are reported, never asserted (shared machines are noisy);
that every form gives the same BQM energies is asserted.
"""

import json
import time
from pathlib import Path

import numpy as np
import pytest

import qbdsl as qb

from . import models

OUT = Path(__file__).resolve().parent.parent.parent / "out" / "bench"
TSP_SIZES = [20, 30, 50]
ROUTING_SIZES = [(200, 4, 100), (800, 4, 400)]
FORMS = ["vectorized", "sum", "iadd", "quicksum", "scalar", "pyqubo"]


# ---------------------------------------------------------------- TSP tour length
def tsp_form(form: str, d: np.ndarray):
    """``(model, objective)`` of the TSP tour length written in ``form`` (not pyqubo)."""
    n = len(d)
    m = qb.Model("tsp")
    x = m.binary("x", (n, n))
    if form == "vectorized":
        return m, ((x.T @ d) * x[:, np.r_[1:n, 0]].T).sum()
    if form == "scalar":
        return m, sum(d[i, j] * x[i, t] * x[j, (t + 1) % n] for i in range(n) for j in range(n) for t in range(n))
    steps = (x[:, t] @ d @ x[:, (t + 1) % n] for t in range(n))
    if form == "sum":
        return m, sum(steps)
    if form == "quicksum":
        return m, qb.quicksum(steps)
    h = 0
    for step in steps:
        h += step
    return m, h


def tsp_pyqubo(d: np.ndarray):
    from pyqubo import Array

    n = len(d)
    x = Array.create("x", (n, n), "BINARY")
    return sum(d[i, j] * x[i, t] * x[j, (t + 1) % n] for i in range(n) for j in range(n) for t in range(n))


# ---------------------------------------------------------------- k-path routing congestion
def routing_form(form: str, vol: np.ndarray, inc: np.ndarray):
    """``(model, objective)`` of the k-path routing congestion written in ``form``."""
    dem, k, links = inc.shape
    m = qb.Model("k-path")
    x = m.binary("x", (dem, k))
    if form == "vectorized":
        load = (vol[:, None] * x).reshape(dem * k) @ inc.reshape(dem * k, links)
        return m, (load**2).sum()
    if form == "scalar":
        h = 0
        for e in range(links):
            users = np.argwhere(inc[:, :, e]).tolist()
            if users:
                h += sum(vol[a] * x[a, p] for a, p in users) ** 2
        return m, h
    per_demand = (vol[a] * (x[a] @ inc[a]) for a in range(dem))  # (links,) each
    if form == "sum":
        load = sum(per_demand)
    elif form == "quicksum":
        load = qb.quicksum(per_demand)
    else:
        load = 0
        for part in per_demand:
            load += part
    return m, (load**2).sum()


def routing_pyqubo(vol: np.ndarray, inc: np.ndarray):
    from pyqubo import Array

    dem, k, links = inc.shape
    x = Array.create("x", (dem, k), "BINARY")
    h = 0
    for e in range(links):
        users = np.argwhere(inc[:, :, e]).tolist()
        if users:
            h += sum(vol[a] * x[a, p] for a, p in users) ** 2
    return h


# ---------------------------------------------------------------- timing
def _best(fn, rounds: int):
    out, best = None, float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _qbdsl_bqm(build):
    m, h = build()
    m.minimize(h)
    return qb.compile(m, "qubo").to_bqm()


def run_forms(build, pyqubo_expr, rounds: int = 3) -> tuple[dict, dict]:
    """Time every form: ``({form: {"build": s, "bqm": s}}, {form: BQM})``."""
    times, bqms = {}, {}
    for form in FORMS:
        if form == "pyqubo":
            tb, _ = _best(pyqubo_expr, rounds)
            tc, bqms[form] = _best(lambda: pyqubo_expr().compile().to_bqm(), rounds)
        else:
            tb, _ = _best(lambda form=form: build(form), rounds)
            tc, bqms[form] = _best(lambda form=form: _qbdsl_bqm(lambda: build(form)), rounds)
        times[form] = {"build": tb, "bqm": tc}
    return times, bqms


def table(name: str, times: dict) -> tuple[str, dict]:
    """A printable table and the ratios: each form over vectorized and over PyQUBO."""
    ratios = {
        f: {
            f"{w}_over_{ref}": times[f][w] / times[ref][w] for w in ("build", "bqm") for ref in ("vectorized", "pyqubo")
        }
        for f in FORMS
    }
    lines = [name, f"{'form':<11}{'build s':>10}{'/vec':>7}{'/pyqubo':>9}{'to BQM s':>10}{'/vec':>7}{'/pyqubo':>9}"]
    for f in FORMS:
        r = ratios[f]
        lines.append(
            f"{f:<11}{times[f]['build']:>10.4f}{r['build_over_vectorized']:>7.2f}"
            f"{r['build_over_pyqubo']:>9.2f}{times[f]['bqm']:>10.4f}{r['bqm_over_vectorized']:>7.2f}"
            f"{r['bqm_over_pyqubo']:>9.2f}"
        )
    return "\n".join(lines), ratios


def assert_same_energies(bqms: dict, pyqubo_label, shape: tuple, samples: int = 10):
    ours = bqms["vectorized"]
    labels = [f"x({i},{j})" for i in range(shape[0]) for j in range(shape[1])]
    rng = np.random.default_rng(1)
    for _ in range(samples):
        s = dict(zip(labels, rng.integers(0, 2, len(labels)).tolist()))
        want = ours.energy(s)
        for form in FORMS:
            b = bqms[form]
            got = b.energy({pyqubo_label(v): s[v] for v in labels} if form == "pyqubo" else s)
            assert got == pytest.approx(want, rel=1e-12, abs=1e-9), form


def _pyqubo_label(v: str) -> str:
    """qbdsl's ``x(3,4)`` is PyQUBO's ``x[3][4]``."""
    return "x" + "".join(f"[{i}]" for i in v[2:-1].split(","))


def _write(key: str, report: dict):
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "forms.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[key] = report
    path.write_text(json.dumps(data, indent=2))


@pytest.mark.parametrize("n", TSP_SIZES)
def test_tsp_every_form(n):
    pytest.importorskip("pyqubo")
    d = models.tsp_data(n)
    times, bqms = run_forms(lambda form: tsp_form(form, d), lambda: tsp_pyqubo(d), rounds=3 if n < 50 else 1)
    text, ratios = table(f"TSP tour length n = {n} ({n**3} scalar terms)", times)
    print("\n" + text)
    _write(f"tsp-{n}", {"terms": n**3, "seconds": times, "ratios": ratios})
    assert all(b.num_variables == n * n for b in bqms.values())
    assert_same_energies(bqms, _pyqubo_label, (n, n))


@pytest.mark.parametrize("size", ROUTING_SIZES, ids=lambda s: "x".join(map(str, s)))
def test_routing_every_form(size):
    pytest.importorskip("pyqubo")
    dem, k, links = size
    vol, inc = models.routing_data(dem, links, k)
    times, bqms = run_forms(
        lambda form: routing_form(form, vol, inc), lambda: routing_pyqubo(vol, inc), rounds=3 if dem < 800 else 1
    )
    text, ratios = table(f"k-path routing congestion, {dem} demands x {k} paths x {links} links", times)
    print("\n" + text)
    _write(f"routing-{dem}x{k}x{links}", {"seconds": times, "ratios": ratios})
    assert_same_energies(bqms, _pyqubo_label, (dem, k))
