"""Tuned penalty weights for anneal (backends/penalty_search.py, ``penalty_search=True``):
feasibility judged as the decode judges it, objectives that match brute force, the IR's own
energies, time limits held, options checked."""

import itertools
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qbdsl as qb
from qbdsl.backends.budget import grace
from qbdsl.backends.penalty_search import FLOOR, STEP, block_violations, objective_flip_scale, start_weights
from qbdsl.errors import OptionError

from .strategies import small_models

FAST = {"num_reads": 8, "num_sweeps": 50, "penalty_rounds": 3}


def knapsack(seed: int, n: int):
    rng = np.random.default_rng(seed)
    m = qb.Model("knap")
    x = m.binary("x", n)
    w = rng.integers(1, 8, n)
    v = rng.integers(1, 12, n)
    cap = int(w.sum() // 2)
    m.add((w * x).sum() <= cap, name="weight")
    m.maximize((v * x).sum())
    return m, w, v, cap


def assignment(seed: int, rows: int, cols: int):
    rng = np.random.default_rng(seed)
    m = qb.Model("assign")
    x = m.binary("x", (rows, cols))
    w = rng.integers(1, 4, (rows, cols))
    c = rng.integers(1, 9, (rows, cols))
    cap = 3
    m.add(x.sum(axis=1) == 1, name="one")
    m.add((w * x).sum(axis=0) <= cap, name="cap")
    m.minimize((c * x).sum())
    return m, w, c, cap


def brute_knapsack(w, v, cap):
    X = np.array(list(itertools.product((0, 1), repeat=len(w))))
    ok = X @ w <= cap
    return float((X[ok] @ v).max())


@settings(max_examples=20)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(6, 10), solve_seed=st.integers(0, 2**31 - 1))
def test_knapsack_feasible_reports_are_true_and_objectives_match(seed, n, solve_seed):
    m, w, v, cap = knapsack(seed, n)
    r = qb.solve(m, backend="anneal", seed=solve_seed, penalty_search=True, **FAST)
    for s in r.samples:
        x = s.values["x"]
        truly = bool(w @ x <= cap)
        assert s.feasible == truly  # never a violating sample reported feasible (nor the reverse)
        assert s.objective == pytest.approx(float(v @ x))  # recomputed from the values
    if r.feasible:
        assert r.objective <= brute_knapsack(w, v, cap) + 1e-9
        best = r.raw.info["penalty_search"]["best_feasible_objective"]
        assert best is not None and -best <= r.objective + 1e-9  # the best kept is returned (max: -energy)


@settings(max_examples=20)
@given(seed=st.integers(0, 2**31 - 1), solve_seed=st.integers(0, 2**31 - 1), fix=st.booleans())
def test_assignment_feasible_reports_are_true(seed, solve_seed, fix):
    m, w, c, cap = assignment(seed, 3, 3)
    r = qb.solve(m, backend="anneal", seed=solve_seed, penalty_search=True, repair=fix, **FAST)
    for s in r.samples:
        x = s.values["x"]
        truly = bool(np.all(x.sum(axis=1) == 1) and np.all((w * x).sum(axis=0) <= cap))
        assert s.feasible == truly
        assert s.objective == pytest.approx(float((c * x).sum()))
    if r.feasible:
        X = np.array(list(itertools.product((0, 1), repeat=9))).reshape(-1, 3, 3)
        ok = np.all(X.sum(axis=2) == 1, axis=1) & np.all((w * X).sum(axis=1) <= cap, axis=1)
        assert r.objective >= float((c * X[ok]).sum(axis=(1, 2)).min()) - 1e-9


@settings(max_examples=40)
@given(m=small_models(max_binaries=4, max_integers=2), seed=st.integers(0, 2**31 - 1))
def test_block_violations_agree_with_the_decode(m, seed):
    try:
        q = qb.compile(m, "qubo")
    except qb.ModelError:
        return
    Y = np.random.default_rng(seed).integers(0, 2, (16, q.n))
    violated, feasible = block_violations(q, Y)
    sols = q.decode(Y)
    assert feasible.tolist() == [s.feasible for s in sols]
    names = list(q.penalties)
    for row, s in zip(violated, sols):
        for b, v in zip(names, row):
            assert v == (b in s.violations)


def test_start_weights_sit_at_the_objective_scale_below_auto():
    m, *_ = assignment(0, 4, 5)
    q = qb.compile(m, "qubo")
    f = objective_flip_scale(q.objective_terms)
    start = start_weights(q)
    assert set(start) == set(q.weights)
    for b, w0 in start.items():
        assert 0 < w0 <= q.weights[b]
        assert w0 == pytest.approx(min(q.weights[b], f / q.penalties[b].p_min))
    assert any(start[b] < q.weights[b] for b in start)  # "auto" is far above the objective's scale


def test_returned_energies_are_the_irs_own_and_weights_move():
    m, *_ = assignment(1, 5, 6)
    q = qb.compile(m, "qubo")
    out = qb.backends.get("anneal").solve(q, seed=3, penalty_search=True, **FAST)
    assert np.allclose(out.energies, q.energy(out.samples))
    assert np.all(np.diff(out.energies) >= 0)
    ps = out.info["penalty_search"]
    assert ps["rounds"] == 3 and len(ps["history"]) == 3
    assert ps["history"][0]["weights"] == ps["start_weights"]
    for h in ps["history"]:
        assert set(h["violated"]) == set(q.weights)
        assert all(0.0 <= v <= 1.0 for v in h["violated"].values())
    for h, nxt in zip(ps["history"], ps["history"][1:] + [{"weights": ps["weights"]}]):
        for b, v in h["violated"].items():
            want = h["weights"][b] * STEP ** (2 * v - 1)  # up when most of the elite violates, else down
            want = min(max(want, FLOOR * ps["start_weights"][b]), q.weights[b])
            assert nxt["weights"][b] == pytest.approx(want)
    for b, w in ps["weights"].items():
        assert w <= q.weights[b]  # guaranteed weights cap the search


def test_same_seed_same_answer_without_time_limit():
    m, *_ = knapsack(4, 9)
    a = qb.solve(m, backend="anneal", seed=11, penalty_search=True, **FAST)
    b = qb.solve(m, backend="anneal", seed=11, penalty_search=True, **FAST)
    assert np.array_equal(a.sample, b.sample) and a.objective == b.objective


def test_model_without_penalties_anneals_plainly():
    m = qb.Model("free")
    x = m.binary("x", 5)
    m.minimize((np.arange(5) - 2.0) @ x)
    r = qb.solve(m, backend="anneal", seed=0, penalty_search=True, num_reads=5, num_sweeps=50)
    assert r.feasible and r.objective == -3.0
    assert "penalty_search" not in r.raw.info


@pytest.mark.parametrize("limit", [0.3, 1.0])
@pytest.mark.parametrize("fix", [False, True])
def test_time_limit_held(limit, fix):
    m, *_ = assignment(2, 8, 8)
    t = time.perf_counter()
    r = qb.solve(m, backend="anneal", time_limit=limit, seed=0, penalty_search=True, repair=fix)
    took = time.perf_counter() - t
    assert took <= limit + grace(limit)
    assert r.sample is not None
    assert r.raw.info["penalty_search"]["rounds"] >= 1


@pytest.mark.parametrize("limit", [0.3, 1.0])
def test_repair_alone_holds_the_time_limit(limit):
    m, *_ = assignment(2, 8, 8)
    t = time.perf_counter()
    r = qb.solve(m, backend="anneal", time_limit=limit, seed=0, repair=True)
    assert time.perf_counter() - t <= limit + grace(limit)
    assert "repaired" in r.raw.info


@pytest.mark.parametrize(
    "options, message",
    [
        ({"penalty_search": "yes"}, "option penalty_search must be true or false, got 'yes'"),
        ({"penalty_search": 1}, "option penalty_search must be true or false"),
        ({"repair": "on"}, "option repair must be true or false, got 'on'"),
        ({"penalty_search": True, "penalty_rounds": 0}, r"option penalty_rounds must be an integer in \[1, 1000\]"),
        ({"penalty_search": True, "penalty_rounds": 2.5}, "option penalty_rounds must be an integer"),
        ({"penalty_rounds": 3}, "option penalty_rounds needs penalty_search=True"),
    ],
)
def test_bad_options_name_the_culprit(options, message):
    m, *_ = knapsack(0, 6)
    with pytest.raises(OptionError, match=message):
        qb.solve(m, backend="anneal", **options)


def test_qip_work_counts_the_rounds():
    """QIP's time model counts the tuned mode's reads: rounds x reads per round."""
    from qbdsl.backends.anneal import TUNED_ROUND_READS
    from qbdsl.backends.penalty_search import DEFAULT_ROUNDS
    from qbdsl.qip.features import features
    from qbdsl.qip.profiles import _work

    m, *_ = knapsack(0, 8)
    f = features(qb.compile(m, "qubo"))
    one = _work("anneal", f, {"num_reads": 1})
    assert _work("anneal", f, {"penalty_search": True}) == DEFAULT_ROUNDS * TUNED_ROUND_READS * one
    assert _work("anneal", f, {"penalty_search": True, "penalty_rounds": 3, "num_reads": 7}) == 21 * one
    assert _work("anneal", f, {"repair": True}) == _work("anneal", f, {})
