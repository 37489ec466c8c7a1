"""The fitted cost model (qbdsl.qip.costmodel), the decision rule under uncertainty
(qbdsl.qip.uncertain) and the cost-model rows of qbdsl.qip.calibrate."""

from __future__ import annotations

import csv
import inspect
import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qbdsl as qb
from qbdsl.qip import costmodel as cm
from qbdsl.qip.calibrate import FEATURE_COLUMNS, ROW_COLUMNS, measure_rows, run_quality, write_rows
from qbdsl.qip.uncertain import Choice, choose, uncertain

# ---- synthetic rows with known laws -----------------------------------------------------------


def _features(n: int, rng: np.random.Generator, qubo: bool = False) -> dict:
    """A full f_* feature row for a size-n instance; the other features vary independently of n."""
    f = {c: 0 for c in FEATURE_COLUMNS}
    f.update(
        f_n_variables=n,
        f_n_binary=n,
        f_qubo_ok=qubo,
        f_qubo_reason="" if qubo else "synthetic",
        f_qubo_binaries=n if qubo else 0,
        f_qubo_density=float(rng.uniform(0, 1)),
        f_coefficient_range=float(rng.uniform(1, 100)),
        f_penalty_scale=float(rng.uniform(0, 10)),
        f_n_constraints=int(rng.integers(0, 50)),
        f_milp_variables=n,
        f_milp_nonzeros=int(rng.integers(1, 500)),
        f_max_degree=int(rng.integers(1, 20)),
    )
    return f


def _row(family, instance, deadline, backend, seconds, quality, status, feats) -> dict:
    r = {
        "family": family,
        "instance": instance,
        "deadline": deadline,
        "backend": backend,
        "seconds": seconds,
        "objective": 1.0,
        "feasible": quality > 0,
        "status": status,
        "best_known": 1.0,
        "quality": quality,
    }
    r.update(feats)
    return r


def law_rows(seed=0, m=400, c=1e-6, sigma=0.3, deadline=None, lo=10, hi=1000) -> list[dict]:
    """Runs of one backend 'synth' with t = c n^2 (lognormal noise); cut at ``deadline`` when given."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(m):
        n = int(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        t = c * n**2 * float(np.exp(rng.normal(0, sigma)))
        d = 1e6 if deadline is None else deadline
        status = "optimal"
        if t >= d:
            t, status = d * float(rng.uniform(1.0, 1.02)), "time_limit"
        rows.append(_row("f", f"i{i}", d, "synth", t, 1.0, status, _features(n, rng)))
    return rows


def two_backend_rows(seed=0) -> list[dict]:
    """Three families of sizes; 'precise' (t = 1e-4 n^2, quality 1 when it finishes, 0 when cut)
    and 'quick' (t = 1e-5 n, quality 0.9): the right choice depends on size and deadline."""
    rng = np.random.default_rng(seed)
    rows = []
    fams = {"small": (10, 40), "mid": (40, 150), "large": (150, 600)}
    for fam, (lo, hi) in fams.items():
        for k in range(12):
            n = int(rng.integers(lo, hi))
            feats = _features(n, rng)
            for d in (0.05, 0.5, 5.0):
                t = 1e-4 * n**2 * float(np.exp(rng.normal(0, 0.2)))
                if t >= d:
                    rows.append(_row(fam, f"{fam}{k}", d, "precise", d * 1.01, 0.0, "time_limit", feats))
                else:
                    rows.append(_row(fam, f"{fam}{k}", d, "precise", t, 1.0, "optimal", feats))
                tq = 1e-5 * n * float(np.exp(rng.normal(0, 0.2)))
                rows.append(_row(fam, f"{fam}{k}", d, "quick", tq, 0.9, "feasible", feats))
    return rows


def test_the_decision_charge_leaves_out_the_lowering_the_backend_run_contains():
    """qb.solve(backend="auto") lowers a Model once, for the features and the backend; a
    backend's own benchmark run contains that lowering, so the simulation charges the features'
    time without it (a file without lower_seconds: all of feature_seconds, as before)."""
    rows = two_backend_rows(seed=0)
    for r in rows:
        r["feature_seconds"] = "0.02"
    test = [dict(r, family="t" + r["family"], instance="t" + r["instance"]) for r in rows]
    old = cm.evaluate(rows, test_rows=test)
    assert all(c["decision_seconds"] == pytest.approx(cm.DECISION_SECONDS + 0.02) for c in old.cases)
    for r in test:
        r["lower_seconds"] = "0.015"
    new = cm.evaluate(rows, test_rows=test)
    assert all(c["decision_seconds"] == pytest.approx(cm.DECISION_SECONDS + 0.005) for c in new.cases)
    for r in test:
        r["lower_seconds"] = "0.5"  # never a negative charge
    assert all(c["decision_seconds"] == cm.DECISION_SECONDS for c in cm.evaluate(rows, test_rows=test).cases)


# ---- the time law ------------------------------------------------------------------------------


def test_fit_recovers_a_power_law_and_its_90_percent_band():
    model = cm.fit(law_rows(seed=1))
    co = model.coefficients("synth")["time"]
    assert co["log_variables"] == pytest.approx(2.0, abs=0.1)
    assert co["sigma"] == pytest.approx(0.3, abs=0.05)
    assert co["intercept"] == pytest.approx(math.log(1e-6), abs=0.5)
    # fresh draws: the median follows c n^2 and about 90 % fall at or below the p90
    fresh = law_rows(seed=2, m=2000)
    inside, ratios = [], []
    for r in fresh:
        p = model.predict(r, "synth", r["deadline"])
        n = r["f_n_variables"]
        ratios.append(p.time_median / (1e-6 * n**2))
        inside.append(r["seconds"] <= p.time_p90)
    assert np.median(ratios) == pytest.approx(1.0, abs=0.08)
    assert 0.86 <= np.mean(inside) <= 0.94


def test_censored_runs_are_lower_bounds_not_measurements():
    """A third of the runs are cut at the deadline: Tobit still finds the exponent, least squares
    on the cut times would not."""
    rows = law_rows(seed=3, deadline=0.3, hi=1500)
    cut = np.mean([r["status"] == "time_limit" for r in rows])
    assert 0.2 < cut < 0.5
    co = cm.fit(rows).coefficients("synth")["time"]
    assert co["log_variables"] == pytest.approx(2.0, abs=0.15)
    n = np.array([r["f_n_variables"] for r in rows], float)
    y = np.log([r["seconds"] for r in rows])
    naive = np.polyfit(np.log(n), y, 1)[0]
    assert naive < 1.8  # what ignoring the cut would have said
    # P(meet) follows the fraction of fresh runs that return in time
    model = cm.fit(rows)
    for n0 in (300, 550, 800):
        p = model.predict(_features(n0, np.random.default_rng(0)), "synth", 0.3)
        true = float(np.mean(1e-6 * n0**2 * np.exp(np.random.default_rng(n0).normal(0, 0.3, 4000)) < 0.3))
        # a cut run returns at 1.0-1.02 x the deadline: within the slack, so it meets the deadline too
        assert p.p_finish == pytest.approx(true, abs=0.1)
        assert p.p_meet_deadline >= p.p_finish - 1e-12
        assert p.time_p90 <= 0.3 * 1.02 + 1e-9


def test_a_backend_always_cut_by_its_time_limit_still_fits():
    """An anytime backend that fills every deadline: every run is a lower bound on its natural
    time; the model stays finite and says it returns at the deadline."""
    rows = [
        _row("f", f"i{i}", d, "filler", d * 1.01, 0.8, "time_limit", _features(20 + i, np.random.default_rng(i)))
        for i in range(12)
        for d in (0.1, 1.0)
    ]
    p = cm.fit(rows).predict(_features(30, np.random.default_rng(0)), "filler", 0.5)
    assert p.p_finish < 0.5 and p.p_meet_deadline > 0.9
    assert p.time_median == pytest.approx(0.505, rel=0.01) and p.quality_mean == pytest.approx(0.8, abs=0.05)


def test_predictions_are_in_range():
    model = cm.fit(two_backend_rows())
    f = _features(100, np.random.default_rng(0))
    preds = model.predict_all(f, 0.5)
    assert set(preds) == {"precise", "quick"} and preds["quick"] == model.predict(f, "quick", 0.5)
    for p in preds.values():
        assert 0 <= p.quality_low <= p.quality_mean <= 1 and p.time_median <= p.time_p90
        assert 0 <= p.p_finish <= p.p_meet_deadline <= 1


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 100_000),
    density=st.floats(0, 1),
    pen=st.floats(0, 1e6),
    crange=st.floats(1, 1e12),
    deadline=st.floats(1e-3, 1e3),
)
def test_predictions_stay_in_range_for_any_instance(n, density, pen, crange, deadline):
    model = _MODEL()
    f = _features(n, np.random.default_rng(0))
    f.update(f_qubo_density=density, f_penalty_scale=pen, f_coefficient_range=crange)
    for p in model.predict_all(f, deadline).values():
        assert 0 <= p.quality_low <= p.quality_mean <= 1
        assert 0 < p.time_median <= p.time_p90 < math.inf
        assert 0 <= p.p_finish <= p.p_meet_deadline <= 1


_CACHE: dict = {}


def _MODEL():
    if "m" not in _CACHE:
        _CACHE["m"] = cm.fit(two_backend_rows())
    return _CACHE["m"]


# ---- save / load -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["model.json", "model.json.gz"])
def test_save_load_round_trip_gives_identical_predictions(tmp_path, name):
    model = _MODEL()
    path = model.save(tmp_path / "sub" / name)
    back = cm.CostModel.load(path)
    rng = np.random.default_rng(5)
    for n in (5, 50, 500):
        f = _features(n, rng)
        for d in (0.01, 0.5, 20.0):
            assert back.predict_all(f, d) == model.predict_all(f, d)
    if name.endswith(".json"):
        doc = json.loads(path.read_text())
        assert doc["format"] == "qbdsl-costmodel" and set(doc["backends"]) == {"precise", "quick"}


def test_load_refuses_what_is_not_a_cost_model(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"format": "something-else"}')
    with pytest.raises(qb.FileFormatError, match="x.json.*not a qbdsl cost model"):
        cm.CostModel.load(p)
    p.write_text("{")
    with pytest.raises(qb.FileFormatError, match="not JSON"):
        cm.CostModel.load(p)
    doc = _MODEL().to_json()
    doc["backends"]["quick"]["time"]["coef"] = [1.0]
    p.write_text(json.dumps(doc))
    with pytest.raises(qb.FileFormatError, match="malformed cost model"):
        cm.CostModel.load(p)
    doc = _MODEL().to_json()
    doc["version"] = 99
    p.write_text(json.dumps(doc))
    with pytest.raises(qb.FileFormatError, match="refit it"):
        cm.CostModel.load(p)
    with pytest.raises(qb.FileFormatError, match="no such file"):
        cm.CostModel.load(tmp_path / "missing.json")


# ---- bad input ---------------------------------------------------------------------------------


def test_bad_input_raises_one_clear_error_naming_it(tmp_path):
    model = _MODEL()
    f = _features(10, np.random.default_rng(0))
    with pytest.raises(qb.ModelError, match="unknown backend 'nope'.*precise, quick"):
        model.predict(f, "nope", 1.0)
    with pytest.raises(qb.ModelError, match="unknown backend 'nope'"):
        model.predict_all(f, 1.0, backends=["quick", "nope"])
    g = dict(f)
    del g["f_qubo_density"]
    with pytest.raises(qb.ModelError, match="feature 'qubo_density' missing"):
        model.predict(g, "quick", 1.0)
    for bad in (0, -1.0, math.inf, "1", True):
        with pytest.raises(qb.ModelError, match="deadline"):
            model.predict(f, "quick", bad)
    with pytest.raises(qb.ModelError, match="no rows"):
        cm.fit([])
    rows = two_backend_rows()
    del rows[7]["f_qubo_density"]
    with pytest.raises(qb.ModelError, match=r"column 'f_qubo_density' missing \(row 7 of rows\)"):
        cm.fit(rows)
    rows = two_backend_rows()
    rows[3]["seconds"] = "fast"
    with pytest.raises(qb.ModelError, match="column 'seconds' of row 3 of rows is not a number: 'fast'"):
        cm.fit(rows)
    rows = two_backend_rows()
    rows[2]["deadline"] = 0
    with pytest.raises(qb.ModelError, match="'deadline' of row 2 of rows must be positive"):
        cm.fit(rows)
    with pytest.raises(qb.ModelError, match="backend 'annealer' has no rows"):
        cm.fit(two_backend_rows(), backends=["annealer"])
    with pytest.raises(qb.ModelError, match="backend 'quick' has 2 usable runs"):
        cm.fit(two_backend_rows()[:4], backends=["quick"])
    # a CSV file missing a column says which file
    path = tmp_path / "rows.csv"
    cols = [c for c in ROW_COLUMNS if c != "f_max_degree"]
    write_rows_subset(path, cols, two_backend_rows())
    with pytest.raises(qb.ModelError, match=r"column 'f_max_degree' missing \(row 0 of .*rows.csv\)"):
        cm.fit(path)
    empty = tmp_path / "empty.csv"
    empty.write_text(",".join(ROW_COLUMNS) + "\n")
    with pytest.raises(qb.ModelError, match="empty.csv has no rows"):
        cm.fit(empty)
    with pytest.raises(qb.ModelError, match="column 'team' missing"):
        cm.evaluate(two_backend_rows(), groups="team")
    one = [r for r in two_backend_rows() if r["family"] == "small"]
    with pytest.raises(qb.ModelError, match="two or more"):
        cm.evaluate(one)


def write_rows_subset(path, header, rows):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow([r[h] for h in header])


def test_rows_read_from_csv_fit_the_same_model(tmp_path):
    rows = two_backend_rows()
    path = write_rows(tmp_path / "rows.csv", [{c: r.get(c, 0) for c in ROW_COLUMNS} for r in rows])
    a, b = cm.fit(rows), cm.fit(path)
    f = _features(80, np.random.default_rng(1))
    pa, pb = a.predict(f, "precise", 0.5), b.predict(f, "precise", 0.5)
    assert pa.time_median == pytest.approx(pb.time_median, rel=1e-6)
    assert pa.quality_mean == pytest.approx(pb.quality_mean, rel=1e-6)


def test_a_qubo_only_backend_does_not_take_what_cannot_be_a_qubo():
    rng = np.random.default_rng(0)
    rows = []
    for i in range(10):
        n = int(rng.integers(5, 20))
        rows.append(_row("q", f"q{i}", 1.0, "anneal", 1e-3 * n, 1.0, "feasible", _features(n, rng, qubo=True)))
    model = cm.fit(rows)
    p = model.predict(_features(10, rng, qubo=False), "anneal", 1.0)
    assert not p.takes and "QUBOs only" in p.reason and p.quality_mean == 0 and p.p_meet_deadline == 0
    assert model.predict(_features(10, rng, qubo=True), "anneal", 1.0).takes


# ---- leave one family out ----------------------------------------------------------------------


def test_leave_one_family_out_never_trains_on_the_held_out_family(monkeypatch):
    rows = two_backend_rows()
    fam = np.array([r["family"] for r in rows])
    splits = list(cm.logo_splits(fam))
    assert [s[2] for s in splits] == ["large", "mid", "small"]
    for train, test, name in splits:
        assert not set(fam[train]) & {name} and set(fam[test]) == {name}
        assert sorted(np.concatenate([train, test])) == list(range(len(rows)))
    seen = []
    real = cm._fit_cols

    def spy(cols, idx, backends, ridge):
        seen.append(np.asarray(idx))
        return real(cols, idx, backends, ridge)

    monkeypatch.setattr(cm, "_fit_cols", spy)
    ev = cm.evaluate(rows)
    assert len(seen) == 3
    for idx, fold in zip(seen, ev.folds, strict=True):
        assert fold["family"] not in set(fam[idx]) and not fold["skipped"]
        assert list(idx) == list(fold["train"])
    # every case is scored by a model that did not see its family
    assert {c["family"] for c in ev.cases} == {"small", "mid", "large"}


def test_evaluation_reports_errors_and_the_rule_beats_every_fixed_policy():
    ev = cm.evaluate(two_backend_rows())
    errs = {e["backend"]: e for e in ev.errors}
    assert set(errs) == {"precise", "quick"}
    for e in errs.values():
        assert e["runs"] > 0 and 0 <= e["time_in_band"] <= 1 and e["time_mdlr"] >= 0 and 0 <= e["quality_mae"] <= 1
    assert errs["quick"]["time_mdlr"] < 0.5  # a clean law, interpolated and extrapolated
    s = ev.summary()
    assert set(s) == {"qip", "qip-parallel", "always-precise", "always-quick"}
    for v in s.values():
        assert 0 <= v["quality_vs_oracle"] <= 1 + 1e-9 and v["cases"] == 108
    assert s["qip"]["quality"] > max(s["always-precise"]["quality"], s["always-quick"]["quality"])
    assert s["qip"]["quality_vs_oracle"] >= 0.97
    table = ev.table()
    assert "| all | qip | 108 |" in table and "| quick |" in table


# ---- the decision rule -------------------------------------------------------------------------


def P(backend, q, t50, p_meet, *, t90=None, qlow=None, takes=True):
    return cm.Prediction(
        backend, 1.0, takes, t50, t90 or t50 * 1.5, p_meet, p_meet, q, q - 0.01 if qlow is None else qlow, 0.01
    )


def test_a_better_median_with_low_probability_of_meeting_loses_to_a_safe_backend():
    risky = P("risky", 0.99, 0.5, 0.6)
    safe = P("safe", 0.95, 0.8, 0.97)
    ch = choose({"risky": risky, "safe": safe}, 1.0, cores=1)
    assert isinstance(ch, Choice) and ch.backend == "safe" and ch.confident
    assert ch.ranked == ("safe", "risky") and "P >= 0.9" in ch.reason
    # at a lower confidence the risky one is allowed, and wins on quality
    assert choose([risky, safe], 1.0, confidence=0.5, cores=1).backend == "risky"


def test_ties_in_quality_go_to_the_faster_backend():
    ch = choose([P("slow", 0.999, 0.9, 0.99), P("fast", 0.997, 0.01, 0.99)], 1.0, cores=1)
    assert ch.backend == "fast" and "fastest of 2" in ch.reason


def test_when_nothing_is_safe_the_best_expected_quality_at_the_deadline_wins():
    ch = choose([P("a", 0.99, 2.0, 0.3), P("b", 0.6, 0.9, 0.8)], 1.0, cores=1)
    assert ch.backend == "b" and not ch.confident and "no backend meets" in ch.reason


def test_two_close_uncertain_backends_run_in_parallel_on_two_cores():
    a = P("a", 0.95, 0.1, 0.92, t90=0.9)  # wide band: p90 9x the median
    b = P("b", 0.94, 0.2, 0.95)
    ch = choose([a, b], 1.0, cores=2)
    assert ch.backend == "a" and ch.parallel == ("a", "b") and "in parallel" in ch.reason
    one = choose([a, b], 1.0, cores=1)
    assert one.parallel == () and "only 1 core" in one.reason
    # certain predictions, or a clear winner: no parallel run
    assert choose([P("a", 0.95, 0.1, 1.0), P("b", 0.94, 0.1, 1.0)], 1.0, cores=2).parallel == ()
    assert choose([a, P("b", 0.5, 0.2, 0.95)], 1.0, cores=2).parallel == ()
    assert uncertain(a, 3.0, 0.1, 0.9) and not uncertain(P("c", 0.9, 0.1, 1.0), 3.0, 0.1, 0.9)
    # a wide band far inside the deadline is no doubt: a 0.04 s median, 0.2 s p90, at 5 s
    quick = P("quick", 0.95, 0.04, 1.0, t90=0.2)
    assert uncertain(quick, 3.0, 0.1, 0.9) and not uncertain(quick, 3.0, 0.1, 0.9, deadline=5.0)
    assert uncertain(quick, 3.0, 0.1, 0.9, deadline=0.5)  # p90 0.2 s reaches a quarter of 0.5 s
    assert choose([quick, P("b", 0.94, 0.2, 1.0)], 5.0, cores=2).parallel == ()
    assert choose([quick, P("b", 0.94, 0.2, 1.0)], 0.5, cores=2).parallel == ("quick", "b")


def test_no_taker_no_choice_and_bad_arguments_are_named():
    ch = choose([P("a", 0.0, math.nan, 0.0, takes=False)], 1.0)
    assert ch.backend is None and "no backend takes" in ch.reason
    with pytest.raises(qb.ModelError, match="confidence must be strictly between 0 and 1"):
        choose([P("a", 0.9, 0.1, 1.0)], 1.0, confidence=1.0)
    with pytest.raises(qb.ModelError, match="deadline must be positive"):
        choose([P("a", 0.9, 0.1, 1.0)], -1.0)
    half = SimpleNamespace(backend="x", takes=True, time_median=0.1, time_p90=0.2, p_meet_deadline=1.0)
    with pytest.raises(qb.ModelError, match=r"a prediction \(SimpleNamespace\) has no 'quality_mean'"):
        choose([half], 1.0)
    with pytest.raises(qb.ModelError, match="tie must be"):
        choose([P("a", 0.9, 0.1, 1.0)], 1.0, tie=-1)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 1), st.floats(1e-3, 10), st.floats(0, 1), st.booleans()),
        min_size=1,
        max_size=6,
    ),
    st.floats(0.05, 0.99),
    st.integers(1, 4),
)
def test_rule_properties(specs, confidence, cores):
    preds = [P(f"b{i}", q, t, pm, takes=tk) for i, (q, t, pm, tk) in enumerate(specs)]
    ch = choose(preds, 1.0, confidence=confidence, cores=cores)
    takers = [p for p in preds if p.takes]
    assert set(ch.ranked) == {p.backend for p in takers}
    if not takers:
        assert ch.backend is None
        return
    chosen = next(p for p in preds if p.backend == ch.backend)
    safe = [p for p in takers if p.p_meet_deadline >= confidence]
    assert ch.confident == bool(safe)
    if safe:  # never a risky backend when a safe one exists, and never much worse than the best safe one
        tie = inspect.signature(choose).parameters["tie"].default  # within a tie the faster one wins
        assert chosen in safe and chosen.quality_mean >= max(p.quality_mean for p in safe) - tie
    assert not ch.parallel or (cores >= 2 and len(ch.parallel) == 2 and ch.parallel[0] == ch.backend)


# ---- rows from calibrate -----------------------------------------------------------------------


def test_measure_rows_records_the_schema_and_quality():
    m = qb.Model("knap")
    x = m.binary("x", 6)
    m.add((np.arange(1, 7) * x).sum() <= 8, name="cap")
    m.maximize((np.array([3, 1, 4, 1, 5, 9]) * x).sum())
    c = qb.Model("cont")
    y = c.continuous("y", 2, lb=0, ub=3)
    c.add(y.sum() >= 1, name="cover")
    c.minimize(y.sum())
    rows = measure_rows({"knap": ("k", m), "cont": ("c", c)}, ["exact", "ortools"], [0.5, 2.0])
    assert len(rows) == 8 and all(list(r) == ROW_COLUMNS for r in rows)
    knap = [r for r in rows if r["instance"] == "knap"]
    assert all(r["quality"] == 1.0 and r["best_known"] == 12.0 and r["feasible"] for r in knap)
    cont_exact = [r for r in rows if r["instance"] == "cont" and r["backend"] == "exact"]
    assert all(r["status"].startswith("cannot") and r["quality"] == 0 for r in cont_exact)
    assert all(r["f_qubo_ok"] is False for r in rows if r["instance"] == "cont")
    assert run_quality(12.0, True, 13.0, "max") == pytest.approx(1 - 1 / 13)
    assert run_quality(14.0, True, 13.0, "max") == 1.0 and run_quality(1.0, False, 1.0, "min") == 0.0


def test_calibrate_writes_cost_model_rows_and_keeps_its_outputs(tmp_path):
    from qbdsl.qip.calibrate import calibrate

    out = tmp_path / "rows.csv"
    profiles, rows = calibrate(quick=True, backends=["exact", "ortools"], rows_out=out, deadlines=(0.5,))
    assert {r["backend"] for r in rows} == {"exact", "ortools"} and profiles["exact"].b >= 0
    cols = cm.read_rows(out)
    assert set(cols["family"]) == {"calib-qubo", "calib-knapsack"}
    assert set(cols["backend"]) == {"exact", "ortools"}
    assert list(csv.reader(out.open()))[0] == ROW_COLUMNS
    model = cm.fit(out)
    assert set(model.backends) <= {"exact", "ortools"} and model.backends


# ---- the structural prior (the shipped profiles) -------------------------------------------------


def _qubo_features(n: int) -> dict:
    f = _features(n, np.random.default_rng(n), qubo=True)
    f.update(f_qubo_couplers=n * (n - 1) // 4, f_milp_variables=n + n * (n - 1) // 4)
    return f


def test_a_backend_without_usable_rows_is_predicted_by_its_profile():
    """exact ran only where it refused (too many binaries): its prediction is the shipped
    profile's 2^n law, its quality 1 when that fits the deadline, not a guess from refusals."""
    from qbdsl.qip.profiles import default_profiles

    rng = np.random.default_rng(3)
    rows = []
    for i in range(30):
        n = int(rng.integers(30, 200))
        f = _qubo_features(n)
        rows.append(_row("big", f"b{i}", 1.0, "anneal", 1e-4 * n, 0.9, "feasible", f))
        rows.append(
            _row("big", f"b{i}", 1.0, "exact", 1e-3, 0.0, f"error: BackendError: exact: at least {n} binaries", f)
        )
    model = cm.fit(rows)
    assert model.backends["exact"].prior_only and model.backends["exact"].rows == 0
    assert not model.backends["anneal"].prior_only and model.backends["anneal"].prior
    prof = default_profiles()["exact"]
    for n in (8, 16, 22):
        f = _qubo_features(n)
        p = model.predict(f, "exact", 10.0)
        want = prof.predict_time(SimpleNamespace(**{k[2:]: v for k, v in f.items()}))
        assert p.takes and p.time_median == pytest.approx(want, rel=1e-9)
        assert p.quality_mean > 0.99
    # 2^26 states take ~0.7 s: a 0.01 s deadline is missed, and its quality says so
    late = model.predict(_qubo_features(26), "exact", 0.01)
    assert late.p_meet_deadline < 0.01 and late.quality_mean < 0.01
    # and the rule picks the enumeration on a tiny QUBO, annealing's 0.9 cannot compete
    assert choose(model.predict_all(_qubo_features(10), 1.0), 1.0).backend == "exact"
    # explicitly named, a profile backend absent from the rows is prior-only too
    named = cm.fit(rows, backends=["anneal", "qaoa"])
    assert named.backends["qaoa"].prior_only


def test_the_fit_calibrates_the_profile_law_and_extrapolates_it():
    """exact measured at 3x its profile's time on 8-14 binaries: at 24 binaries the prediction
    follows the profile's 2^n law times the fitted factor (the offset carries the law)."""
    from qbdsl.qip.profiles import default_profiles

    prof = default_profiles()["exact"]
    rng = np.random.default_rng(4)
    rows = []
    for i in range(60):
        n = int(rng.integers(8, 15))
        f = _qubo_features(n)
        t = (
            3.0
            * prof.predict_time(SimpleNamespace(**{k[2:]: v for k, v in f.items()}))
            * float(np.exp(rng.normal(0, 0.1)))
        )
        rows.append(_row("small", f"s{i}", 5.0, "exact", t, 1.0, "optimal", f))
    model = cm.fit(rows)
    f = _qubo_features(24)
    want = 3.0 * prof.predict_time(SimpleNamespace(**{k[2:]: v for k, v in f.items()}))
    assert model.predict(f, "exact", 100.0).time_median == pytest.approx(want, rel=0.35)
    assert model.coefficients("exact")["time"]["log_prior_time"] == pytest.approx(1.0, abs=0.35)


def test_refusals_do_not_train_and_time_refusals_are_lower_bounds():
    st_ = np.array(
        ["optimal", "cannot: x", "error: BackendError: too big", "error: TimeLimitError: one read", "time_limit"]
    )
    assert list(cm.taken(st_)) == [True, False, False, True, True]
    assert list(cm.refused_for_time(st_)) == [False, False, False, True, False]
    cut = cm.cut(st_, np.array([0.1, 0.1, 0.1, 0.001, 0.5]), np.ones(5))
    assert list(cut) == [False, False, False, True, True]
    # a backend refused for time at 0.05 s on big instances: its natural time there is > 0.05 s
    rng = np.random.default_rng(6)
    rows = []
    for i in range(40):
        n = int(rng.integers(10, 1000))
        f = _features(n, rng)
        if n > 300:
            rows.append(_row("f", f"i{i}", 0.05, "synth", 1e-3, 0.0, "error: TimeLimitError: one read", f))
        else:
            rows.append(_row("f", f"i{i}", 0.05, "synth", 1e-4 * n, 1.0, "optimal", f))
    p = cm.fit(rows).predict(_features(900, rng), "synth", 0.05)
    assert p.p_finish < 0.5 and p.quality_mean < 0.5


def test_prior_json_round_trip(tmp_path):
    rng = np.random.default_rng(7)
    rows = [
        _row("f", f"i{i}", 1.0, "anneal", 1e-4 * (10 + i), 0.9, "feasible", _qubo_features(10 + i)) for i in range(8)
    ]
    model = cm.fit(rows, backends=["anneal", "exact"])
    back = cm.CostModel.load(model.save(tmp_path / "m.json"))
    assert back.backends["exact"].prior_only and back.backends["anneal"].prior
    for n in (6, 20):
        assert back.predict_all(_qubo_features(n), 0.5) == model.predict_all(_qubo_features(n), 0.5)
    del rng


def test_far_outside_its_rows_a_fitted_backend_gives_way_to_its_profile():
    """anneal fitted on small QUBOs where it always scores 1.0: on a model with integer
    columns and a thousandfold penalty scale (never seen) its quality is the profile's, not
    the rows' 1.0; inside the rows' range the fit stands alone."""
    from qbdsl.qip.profiles import default_profiles

    rng = np.random.default_rng(8)
    rows = []
    for i in range(40):
        n = int(rng.integers(10, 60))
        f = _qubo_features(n)
        f.update(f_penalty_scale=1.0, f_n_integer=0, f_n_constraints=0)
        rows.append(_row("small", f"s{i}", 1.0, "anneal", 1e-4 * n, 1.0, "feasible", f))
    model = cm.fit(rows)
    inside = dict(rows[0])
    p_in = model.predict({k: v for k, v in inside.items() if k.startswith("f_")}, "anneal", 1.0)
    assert p_in.extrapolation == 0 and p_in.prior_weight == 0 and p_in.quality_mean > 0.9
    far = _qubo_features(40)
    far.update(f_penalty_scale=1000.0, f_n_integer=40, f_n_constraints=30, f_coefficient_range=1e6)
    p = model.predict(far, "anneal", 1.0)
    assert p.extrapolation > 3 and p.prior_weight > 0.95
    prof = default_profiles()["anneal"].predict_quality(SimpleNamespace(**{k[2:]: v for k, v in far.items()}), 1.0)
    assert p.quality_mean == pytest.approx(prof, abs=0.05) and p.quality_mean < 0.9


def test_a_much_better_risky_backend_runs_beside_the_safe_choice_as_a_hedge():
    safe = P("safe", 0.45, 0.5, 0.95)
    risky = P("risky", 0.99, 0.04, 0.8)  # P(meet) below 0.9, yet 0.8 x 0.99 >> 0.45
    ch = choose([safe, risky], 1.0, cores=2)
    assert ch.backend == "safe" and ch.confident and ch.parallel == ("safe", "risky") and "hedge" in ch.reason
    assert choose([safe, risky], 1.0, cores=1).parallel == ()
    # a risky backend that is not clearly better is no hedge
    assert choose([P("safe", 0.9, 0.5, 0.95), risky], 1.0, cores=2).parallel == ()


def test_a_lower_ranked_backend_whose_optimistic_quality_beats_the_choice_runs_beside_it():
    """The case of the knapsacks at 0.05 s: the tuned annealer is predicted 0.93, OR-Tools 0.91
    with a wide spread (its 10th percentile 0.68): the model cannot tell them apart, OR-Tools is
    the faster, and it runs on the second core; with a narrow spread, or when it is the slower
    one, or on one core, or with ``optimism=0``, the choice runs alone."""
    chosen = P("anneal+tuned", 0.934, 0.0477, 0.95, t90=0.0488, qlow=0.868)
    wide = P("ortools", 0.906, 0.028, 0.96, t90=0.05, qlow=0.683)
    anyway = dict(cores=2, min_parallel_deadline=0.0)  # pairs allowed at 0.05 s
    ch = choose([chosen, wide], 0.05, **anyway)
    assert ch.backend == "anneal+tuned" and ch.parallel == ("anneal+tuned", "ortools")
    assert "optimistic quality" in ch.reason
    assert choose([chosen, wide], 0.05, cores=1).parallel == ()
    assert choose([chosen, wide], 0.05, optimism=0.0, **anyway).parallel == ()
    narrow = P("ortools", 0.906, 0.028, 0.96, t90=0.05, qlow=0.89)  # 0.906 + 0.016 < 0.934 + 0.02
    assert choose([chosen, narrow], 0.05, **anyway).parallel == ()
    slower = P("ortools", 0.906, 0.06, 0.96, t90=0.1, qlow=0.683)  # it would hold the pair back
    assert choose([chosen, slower], 0.5, cores=2).parallel == ()
    # by default no pair runs under 0.25 s: its process starts and decodes make it late
    short = choose([chosen, wide], 0.05, cores=2)
    assert short.parallel == () and "no second run" in short.reason.lower()
    for bad in (-1, math.nan, math.inf, True):
        with pytest.raises(cm.ModelError, match="optimism must be a finite number"):
            choose([chosen, wide], 0.05, optimism=bad)
    for bad in (-1, math.nan, True, "0.1"):
        with pytest.raises(cm.ModelError, match="min_parallel_deadline must be a finite number"):
            choose([chosen, wide], 0.05, min_parallel_deadline=bad)


# ---- start-up rules, the second core, and how the pair is scored --------------------------------


def test_a_backend_its_own_start_up_rule_refuses_is_no_candidate():
    """QIP's start-up floor is the backend's own pre-flight rule: where the cost model calls
    OR-Tools unable to start in time, ``qb.solve(backend="ortools")`` refuses at once too, and
    where it can start, the backend does not refuse."""
    from qbdsl.ir.terms import QuboTerms
    from qbdsl.qip.features import features
    from qbdsl.qip.profiles import startup_seconds

    rng = np.random.default_rng(0)
    n = 400
    i, j = np.triu_indices(n, 1)
    keep = rng.random(len(i)) < 0.3
    q = qb.QuboIR.from_terms(QuboTerms.from_coo(n, rng.normal(size=n), i[keep], j[keep], rng.normal(size=keep.sum())))
    f = features(q)
    need = startup_seconds("ortools", f)
    assert need > 0.1  # ~24 000 products to linearize and a MILP of ~100 000 nonzeros to hand over
    model = cm.prior_model("ortools")
    fd = {k: float(v) for k, v in f.as_dict().items() if k in cm.FEATURES_USED}
    short, long_ = 0.5 * need, 20 * need
    p = cm.CostModel({"ortools": model}).predict(fd, "ortools", short)
    assert not p.takes and "would refuse" in p.reason and "start-up" in p.reason
    assert cm.CostModel({"ortools": model}).predict(fd, "ortools", long_).takes
    with pytest.raises(qb.TimeLimitError):
        qb.solve(q, backend="ortools", time_limit=short)
    # tabu's dense copies: the floor grows as n^2
    small, large = SimpleNamespace(qubo_ok=True, qubo_binaries=100), SimpleNamespace(qubo_ok=True, qubo_binaries=1000)
    from qbdsl.backends.anneal import TABU_CALL_SECONDS_PER_ENTRY, TABU_READ_SECONDS_PER_ENTRY

    per_entry = TABU_CALL_SECONDS_PER_ENTRY + TABU_READ_SECONDS_PER_ENTRY
    grow = startup_seconds("tabu", large) - startup_seconds("tabu", small)
    assert grow == pytest.approx(per_entry * (1000**2 - 100**2))
    assert startup_seconds("exact", small) == 0.0


def test_with_no_safe_backend_the_two_best_at_the_deadline_run_in_parallel():
    a = P("a", 0.5, 0.9, 0.8)  # 0.40 at the deadline
    b = P("b", 0.9, 0.9, 0.4)  # 0.36
    c = P("c", 0.2, 0.9, 0.7)  # 0.14
    ch = choose([a, b, c], 1.0, cores=2)
    assert not ch.confident and ch.backend == "a" and ch.parallel == ("a", "b") and "No backend is safe" in ch.reason
    assert choose([a, b, c], 1.0, cores=1).parallel == ()


def test_the_second_core_goes_to_the_partner_worth_most_at_the_deadline():
    chosen = P("chosen", 0.60, 0.5, 0.95, t90=2.0)  # uncertain time band: a close runner-up would join
    close = P("close", 0.59, 0.5, 0.95)  # 0.56 at the deadline
    hedge = P("hedge", 0.99, 0.05, 0.85)  # 0.84 at the deadline, though not safe
    ch = choose([chosen, close, hedge], 1.0, cores=2)
    assert ch.backend == "chosen" and ch.parallel == ("chosen", "hedge") and "hedge" in ch.reason
    assert choose([chosen, close], 1.0, cores=2).parallel == ("chosen", "close")


def test_a_parallel_pair_is_scored_as_stopped_by_the_first_proof():
    """qb.solve stops both runs once one proves its answer optimal; the scoring does the same;
    without a proof it waits for the later run and keeps the better answer, but no longer than
    the deadline once one answer is in hand (then that answer, at the deadline)."""
    base = {"family": "f", "instance": "i", "deadline": 1.0, "oracle": "exact", "qip_choice": "heur",
            "reason": "", "measured": ["exact", "heur"]}  # fmt: skip
    runs = {"exact": (1.0, 0.02), "heur": (0.9, 1.0)}
    proved = {**base, "qip": "heur", "qip_parallel": ("heur", "exact"), "runs": runs, "proven": ["exact"]}
    # heur ends at 1.2 s, past the deadline and its slack, with exact's answer in hand: it is
    # stopped at 1.02 s (IN_HAND_WAIT) and exact's answer returned then
    cut = {**proved, "proven": [], "runs": {"exact": (1.0, 0.02), "heur": (0.9, 1.2)}}
    both = {**cut, "runs": {"exact": (1.0, 0.02), "heur": (0.9, 0.5)}}
    # both past the in-hand stop: the first answer ends the wait (1.03 s, in the 5 % slack) and
    # is returned alone, as _fork_all returns it; a failed run answers nothing
    late = {**cut, "runs": {"exact": (1.0, 1.04), "heur": (0.9, 1.03 - cm.DECISION_SECONDS)}}
    failed = {**cut, "oracle": "heur", "runs": {"heur": (0.9, 0.5)}, "measured": ["heur"]}
    nothing = {**base, "qip": None, "qip_parallel": (), "runs": runs, "proven": []}
    d = cm.DECISION_SECONDS  # the decision's time is QIP's too
    for case, want in (
        (proved, (1.0, (0.02 + d) / 0.02)),
        (cut, (1.0, 1.02 / 0.02)),
        (both, (1.0, (0.5 + d) / 0.02)),
        (late, (0.9, 1.03 / 1.04)),
        (failed, (1.0, (0.5 + d) / 0.5)),
    ):
        got = {d["policy"]: d for d in cm.score_cases([case], ["exact", "heur"])}
        assert got["qip-parallel"]["quality_vs_oracle"] == pytest.approx(want[0])
        assert got["qip-parallel"]["time_vs_oracle"] == pytest.approx(want[1])
        alone = {id(cut): 0.0, id(failed): 1.0}.get(id(case), 0.9)  # heur run alone
        assert got["qip"]["quality_vs_oracle"] == pytest.approx(alone)
    got = {d["policy"]: d for d in cm.score_cases([nothing], ["exact", "heur"])}
    assert got["qip"]["quality"] == 0.0 and got["qip"]["time"] == cm.DECISION_SECONDS


def test_shifted_geometric_mean_by_hand():
    # exp(mean(log([1.01, 0.11]))) - 0.01 = sqrt(1.01 * 0.11) - 0.01
    assert cm.shifted_geomean([1.0, 0.1]) == pytest.approx(math.sqrt(1.01 * 0.11) - 0.01)
    assert cm.shifted_geomean([2.0, 2.0, 2.0]) == pytest.approx(2.0)
    # beside a 1 s case, 4 ms against 1 ms moves the ratio by 1.14x, where a plain geometric mean says 2x
    ratio = cm.shifted_geomean([0.004, 1.0]) / cm.shifted_geomean([0.001, 1.0])
    assert ratio == pytest.approx((math.sqrt(0.014 * 1.01) - 0.01) / (math.sqrt(0.011 * 1.01) - 0.01))
    assert ratio < 1.2


def test_the_held_out_tables_script_lists_every_family_and_deadline_with_the_fixed_policies(tmp_path, capsys):
    """scripts/qip_heldout.py: per family, per (family, deadline) and per deadline over all,
    QIP on two cores and on one beside every fixed policy, from a runs CSV."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("qip_heldout", root / "scripts" / "qip_heldout.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    rows = two_backend_rows()
    path = tmp_path / "runs.csv"
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    # a missing folder is created, as for every file qbdsl writes (the write is atomic)
    assert mod.main([str(path), "--md", str(tmp_path / "new" / "t.md")]) == 0
    text = (tmp_path / "new" / "t.md").read_text()
    assert text == capsys.readouterr().out.strip() + "\n"
    for fam in ("small", "mid", "large"):
        for d in ("0.05", "0.5", "5"):
            assert f"| {fam} | {d} | 12 |" in text
    for d in ("0.05", "0.5", "5"):
        assert f"| all | {d} | 36 |" in text
    assert "always-precise" in text and "always-quick" in text and "qip, 2 cores" in text
    ev = cm.evaluate(rows)
    line = next(x for x in text.splitlines() if x.startswith("| all | 108 |"))
    assert f"{ev.summary()['qip-parallel']['quality_vs_oracle']:.3f}" in line


def _heldout_script():
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("qip_heldout", root / "scripts" / "qip_heldout.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_held_out_script_charges_the_feature_seconds_measured_today(tmp_path, capsys, monkeypatch):
    """--feature-seconds: the decision's charge comes from the file (lowering left out) instead of
    the runs' own columns; a bad value is one error naming the file and line."""
    mod = _heldout_script()
    rows = two_backend_rows(seed=1)
    for r in rows:
        r["feature_seconds"], r["lower_seconds"] = "0.03", ""
    runs = tmp_path / "runs.csv"
    with runs.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    costs = tmp_path / "fs.csv"
    lines = ["instance,feature_seconds,lower_seconds"] + [
        f"{i},0.005,0.004" for i in sorted({r["instance"] for r in rows})
    ]
    costs.write_text("\n".join(lines) + "\n")
    charged = []
    real = cm.evaluate

    def spy(rows_, **kw):
        ev = real(rows_, **kw)
        charged.append({c["decision_seconds"] for c in ev.cases})
        return ev

    monkeypatch.setattr(cm, "evaluate", spy)
    assert mod.main([str(runs)]) == 0
    assert mod.main([str(runs), "--feature-seconds", str(costs)]) == 0
    assert sorted(charged[0]) == pytest.approx([cm.DECISION_SECONDS + 0.03])
    assert sorted(charged[1]) == pytest.approx([cm.DECISION_SECONDS + 0.001])
    capsys.readouterr()
    costs.write_text(lines[0] + "\n" + lines[1] + "\nx,-1,0\n")
    assert mod.main([str(runs), "--feature-seconds", str(costs)]) == 2
    err = capsys.readouterr().err
    assert "fs.csv:3: feature_seconds '-1'" in err and "Traceback" not in err
    for text, words in (
        (lines[0] + "\n", "fs.csv:1: no rows"),
        (lines[0] + "\n" + lines[1] + "\n" + lines[1] + "\n", "fs.csv:3: instance"),
        (lines[0] + "\nelsewhere,0.1,0\n", "none of the runs' instances is in it"),
    ):
        costs.write_text(text)
        assert mod.main([str(runs), "--feature-seconds", str(costs)]) == 2
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err, err


def test_qip_runs_end_to_end_in_the_harness_with_a_model_fitted_without_its_family(tmp_path):
    """`qbdsl experiment bench --qip-held-out`: each family is decided by a model that never saw
    it; the run is qb.solve(backend="auto"), recorded under "qip" with what ran, and the cost
    model never fits "qip" rows."""
    from qbdsl.problems import benchmarks as bm
    from qbdsl.qip import benchmark as hb

    rows = two_backend_rows()
    models = hb.held_out_models(rows)
    small = models("small")
    assert small.meta["rows"] == sum(r["family"] != "small" for r in rows)
    assert models("small") is small  # fitted once
    shipped = cm.CostModel.load(Path(cm.__file__).parent / "data" / "costmodel.json")
    tiny = [b for b in bm.instances("tiny") if b.name in ("tiny-6-1", "tiny-14-1")]
    out = tmp_path / "qip-runs.csv"
    runs = hb.measure(tiny, [1.0], [hb.QIP], out=out, cost_model=lambda family: shipped)
    assert [r.backend for r in runs] == ["qip", "qip"]
    for r in runs:
        assert r.feasible and r.quality == 1.0 and " | ran " in r.status, r.status  # tiny: the optimum
        assert r.seconds <= 1.0 * hb.DEADLINE_SLACK
    written = [dict(r.as_row()) for r in hb.read_runs(out)]
    with pytest.raises(cm.ModelError, match="no rows"):
        cm.read_rows(written)  # the policy's own runs train nothing


def test_qip_fit_takes_several_runs_files(tmp_path, capsys):
    """--qip-fit A,B fits one model on the rows of both files (the dev runs and an earlier split's);
    a missing file is named in one line before anything runs."""
    from qbdsl.cli import main
    from qbdsl.qip import benchmark as hb

    rows = two_backend_rows()
    paths = []
    for k, fams in enumerate((("small",), ("mid", "large"))):
        paths.append(tmp_path / f"runs{k}.csv")
        part = [r for r in rows if r["family"] in fams]
        with paths[-1].open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(part[0]))
            w.writeheader()
            w.writerows(part)
    both = hb.fitted_model(f"{paths[0]},{paths[1]}")
    assert both.meta["rows"] == len(rows) == hb.fitted_model([str(p) for p in paths]).meta["rows"]
    assert hb.fitted_model(str(paths[0])).meta["rows"] == sum(r["family"] == "small" for r in rows)
    with pytest.raises(cm.ModelError, match="given twice"):
        hb.fitted_model(f"{paths[0]},{paths[0]}")
    assert main(["costmodel", "fit", str(paths[0]), str(paths[0]), "-o", str(tmp_path / "m.json")]) == 2
    assert "given twice" in capsys.readouterr().err
    assert hb._main_or_error(["--qip-fit", f"{paths[0]},{tmp_path / 'gone.csv'}", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "gone.csv" in err[0] and "Traceback" not in err[0], err
    missing = tmp_path / "nope.csv"
    argv = ["experiment", "bench", "--quick", "--out", str(tmp_path / "o"), "--qip-fit", f"{paths[0]},{missing}"]
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and f"--qip-fit: no such runs file '{missing}'" in err[0], err


def test_a_safe_choice_of_milliseconds_runs_alone(monkeypatch):
    """Two solver processes cost more than a 2 ms enumeration: no pair beside it; the same
    close, uncertain pair runs when the chosen run is long enough to be worth a second core.
    (The time bands here count as doubt at any deadline: the floors are what is tested.)"""
    from qbdsl.qip import uncertain as uncertain_mod

    monkeypatch.setattr(uncertain_mod, "BAND_DEADLINE_SHARE", 0.0)
    fast = P("exact", 1.0, 0.002, 0.99, t90=0.01)  # uncertain time band, but milliseconds
    other = P("ortools", 0.985, 0.01, 0.99, t90=0.05)
    assert choose([fast, other], 60.0, cores=2).parallel == ()
    assert choose([fast, other], 60.0, cores=2, min_parallel_seconds=0.0).parallel == ("exact", "ortools")
    slow = P("exact", 1.0, 0.2, 0.99, t90=1.0)
    assert choose([slow, other], 60.0, cores=2, tie=0.005).parallel == ("exact", "ortools")
    # within the default tie (0.02) the faster one is chosen; the better one still runs beside it
    assert choose([slow, other], 60.0, cores=2).parallel == ("ortools", "exact")
    # at a deadline close to the run's own time the pair still runs (half the deadline rule)
    short = P("a", 1.0, 0.02, 0.95, t90=0.04)
    pair = [short, P("b", 0.999, 0.02, 0.95, t90=0.04)]
    assert choose(pair, 0.05, cores=2, min_parallel_deadline=0.0).parallel == ("a", "b")
    assert choose(pair, 0.05, cores=2).parallel == ()  # under PARALLEL_MIN_DEADLINE


def test_a_pair_of_threads_has_no_process_floor(monkeypatch):
    """Two backends that run in threads of the caller's process start nothing: neither the
    deadline floor nor the milliseconds floor (both there for solver processes) applies to them;
    a pair with one backend that needs a process keeps both floors."""
    from qbdsl.qip import uncertain as uncertain_mod

    monkeypatch.setattr(uncertain_mod, "BAND_DEADLINE_SHARE", 0.0)  # the bands are doubt at any deadline here
    pair = [P("a", 1.0, 0.02, 0.95, t90=0.04), P("b", 0.999, 0.02, 0.95, t90=0.04)]
    both = choose(pair, 0.05, cores=2, in_thread={"a", "b"})
    assert both.parallel == ("a", "b") and "threads" in both.reason
    assert choose(pair, 0.05, cores=2, in_thread={"a"}).parallel == ()
    assert choose(pair, 0.05, cores=2, in_thread={"b"}).parallel == ()
    assert choose(pair, 0.05, cores=1, in_thread={"a", "b"}).parallel == ()  # one core: no pair at all
    # one algorithm twice is no pair: the tuned annealer is plain annealing without constraints
    from qbdsl.qip.variants import same_runs

    twins = [P("anneal+tuned", 1.0, 0.02, 0.95, t90=0.04), P("anneal", 0.999, 0.02, 0.95, t90=0.04)]
    both = {"anneal", "anneal+tuned"}
    assert set(choose(twins, 0.05, cores=2, in_thread=both).parallel) == both
    assert same_runs(0) == {frozenset(both)} and same_runs(3) == set()
    assert choose(twins, 0.05, cores=2, in_thread=both, same=same_runs(0)).parallel == ()
    assert same_runs(0, 3) == set()  # integers: an encoding's penalty blocks make the tuned annealer differ
    for kw in ({"in_thread": "anneal+tuned"}, {"in_thread": None}, {"in_thread": [1]}, {"same": None},
               {"same": frozenset(both)}, {"same": [("anneal",)]}, {"same": ["anneal", "anneal+tuned"]}):  # fmt: skip
        with pytest.raises(cm.ModelError, match="decision rule: (in_thread|same) must be a collection"):
            choose(twins, 0.05, cores=2, **kw)
    for same in ([("anneal", "anneal+tuned")], {("anneal", "anneal+tuned")}, [frozenset(both)]):
        assert choose(twins, 0.05, cores=2, in_thread=both, same=same).parallel == ()
    for bad in (0, -2, 1.5, True, "2"):
        with pytest.raises(cm.ModelError, match="cores must be a whole number"):
            choose(pair, 0.05, cores=bad)
    fast = [P("a", 1.0, 0.002, 0.99, t90=0.01), P("b", 0.985, 0.01, 0.99, t90=0.05)]
    assert choose(fast, 60.0, cores=2).parallel == ()
    assert choose(fast, 60.0, cores=2, in_thread={"a", "b"}).parallel == ("a", "b")


def _heldout_script_and_runs(tmp_path):
    """scripts/qip_heldout.py as a module, and a runs file of :func:`two_backend_rows` (its rows too)."""
    import importlib.util

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("qip_heldout", root / "scripts" / "qip_heldout.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    runs = tmp_path / "runs.csv"
    rows = two_backend_rows()
    with runs.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return mod, runs, rows


def _bad_same_day_files(tmp_path, rows, qip_only):
    """(file, words of its one-line error) for --same-day: QIP's runs, backend runs mixed with
    QIP's, no quality column, a time that is no number, another split's instances."""

    def write(name, table):
        path = tmp_path / name
        with path.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(table[0]))
            w.writeheader()
            w.writerows(table)
        return path

    no_quality = [{k: v for k, v in r.items() if k != "quality"} for r in rows]
    return [
        (qip_only, "a run of QIP itself (backend 'qip')"),
        (write("mixed.csv", [*rows[:3], dict(rows[3], backend="qip")]), "mixed.csv:5: a run of QIP itself"),
        (write("noq.csv", no_quality), "not a same-day runs file: no column quality"),
        (write("secs.csv", [dict(rows[0], seconds="soon"), *rows[1:]]), "secs.csv:2: seconds 'soon' is not"),
        (write("other.csv", [dict(r, instance="x" + r["instance"]) for r in rows]), "(another split?)"),
    ]


def test_the_held_out_tables_script_refuses_bad_input_in_one_line(tmp_path, capsys):
    mod, runs, rows = _heldout_script_and_runs(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    qip_only = tmp_path / "qip-runs.csv"
    with qip_only.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows([dict(r, backend="qip") for r in rows])
    elsewhere = tmp_path / "qip-runs-other-split.csv"
    with elsewhere.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows([dict(r, backend="qip", instance=r["instance"] + "-x") for r in rows])
    for argv, words in (
        ([str(runs), "--measured", str(elsewhere)], "none of its runs is of an (instance, deadline)"),
        ([str(tmp_path / "nope.csv")], "no such file"),
        ([str(bad)], "bad.csv:1: not a runs file: no column family"),
        ([str(runs), "--measured", str(runs)], "not QIP's end-to-end runs"),
        ([str(runs), "--confidence", "2"], "--confidence must be in (0, 1)"),
        ([str(runs), "--pair", "quick"], "--pair takes two different backends"),
        ([str(runs), "--pair", "quick,quick"], "--pair takes two different backends"),
        ([str(runs), "--pair", "quick,nope"], "--pair quick,nope: no case has runs of both"),
        ([str(runs), "--in-hand-wait", "-1"], "--in-hand-wait must be a finite number >= 0"),
        ([str(runs), "--race-ratio", "inf"], "--race-ratio must be a finite number >= 0"),
        ([str(runs), "--thread-setup-share", "-1"], "--thread-setup-share must be a number >= 0"),
        ([str(runs), "--extrapolated-weight", "nan"], "--extrapolated-weight must be a number >= 0"),
        ([str(runs), "--test", str(qip_only)], "QIP's end-to-end runs, not the split's single-backend runs"),
        *(
            ([str(runs), "--measured", str(qip_only), "--same-day", str(f)], words)
            for f, words in _bad_same_day_files(tmp_path, rows, qip_only)
        ),
    ):
        assert mod.main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("qip_heldout: error: ") and words in err and "Traceback" not in err, err


def test_the_measured_table_caps_each_case_at_the_oracle_as_the_simulation_does(tmp_path):
    """An end-to-end answer better than the oracle's run (a randomized backend run again) counts
    1.25 in the plain mean and 1 in the capped one, the simulation's scale."""
    mod, _, _ = _heldout_script_and_runs(tmp_path)
    case = {"family": "f", "instance": "i1", "deadline": 1.0, "oracle": "a", "qip": "a", "qip_parallel": (),
            "runs": {"a": (0.8, 0.5)}, "measured": ["a"], "proven": [], "decision_seconds": 0.0}  # fmt: skip
    ev = cm.Evaluation([], [], [], [case])
    rows = [{"instance": "i1", "best": "10", "sense": "min"}]
    qip = [{"instance": "i1", "deadline": "1", "objective": "10", "feasible": "True", "seconds": "0.5",
            "status": "feasible | ran a"}]  # fmt: skip
    line = next(x for x in mod.measured_table(ev, rows, qip).splitlines() if x.startswith("| all |"))
    assert line == "| all | 1 | 1.250 | 1.000 | 1.00x | 1.000 | 1.00x | 1.000 | 0.800 |", line


def test_the_measured_table_scores_against_the_same_days_oracle(tmp_path, capsys):
    """--same-day: the early runs measured again on the QIP runs' day take the recorded ones'
    place for the oracle only; a machine twice as slow that day halves QIP's time ratio there,
    a run late that day loses the oracle to the next best, and the recorded columns stay."""
    mod, runs, rows = _heldout_script_and_runs(tmp_path)
    case = {"family": "f", "instance": "i1", "deadline": 1.0, "oracle": "a", "qip": "a", "qip_parallel": (),
            "runs": {"a": (1.0, 0.05), "b": (0.5, 0.01)}, "measured": ["a", "b"], "proven": [],
            "decision_seconds": 0.0}  # fmt: skip
    ev = cm.Evaluation([], [], [], [case])
    base = {"instance": "i1", "deadline": "1", "best": "10", "sense": "min"}
    recorded = [dict(base, backend="a", quality="1.0", seconds="0.05", status="optimal"),
                dict(base, backend="b", quality="0.5", seconds="0.01", status="feasible"),
                dict(base, backend="c", quality="1.0", seconds="0.02", status="error: BackendError: no")]  # fmt: skip
    qip = [{"instance": "i1", "deadline": "1", "objective": "10", "feasible": "True", "seconds": "0.11",
            "status": "optimal | ran a"}]  # fmt: skip
    today = [dict(base, backend="a", quality="1.0", seconds="0.1", status="optimal")]
    assert mod.same_day_oracle(recorded, today) == {("i1", 1.0): (1.0, 0.1)}  # c did not take it
    line = next(x for x in mod.measured_table(ev, recorded, qip, today).splitlines() if x.startswith("| all |"))
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[4] == f"{cm.shifted_geomean([0.11]) / cm.shifted_geomean([0.05]):.2f}x"  # the recorded oracle
    assert cells[5:7] == ["1.000", f"{cm.shifted_geomean([0.11]) / cm.shifted_geomean([0.1]):.2f}x"]
    late = [dict(base, backend="a", quality="1.0", seconds="1.2", status="time_limit")]
    assert mod.same_day_oracle(recorded, late) == {("i1", 1.0): (0.5, 0.01)}
    assert mod.main([str(runs), "--same-day", str(runs)]) == 2
    assert "--same-day scores the --measured runs" in capsys.readouterr().err


def test_the_same_day_script_redoes_the_early_runs_that_could_be_the_oracle():
    """Only runs that ended before half their deadline, took the instance and reached the
    case's best quality: a faster run of lower quality never becomes the oracle."""
    import importlib.util

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("qip_same_day", root / "scripts" / "qip_same_day.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)

    def r(b, dl, t, q, st="feasible"):
        return {"instance": "i", "deadline": str(dl), "backend": b, "seconds": str(t), "quality": str(q), "status": st}

    rows = [r("exact", 1, 0.01, 1.0, "optimal"), r("anneal", 1, 0.02, 1.0), r("tabu", 1, 0.99, 1.0),
            r("qaoa", 1, 0.01, 0.4), r("ortools", 1, 0.001, 1.0, "error: BackendError: no"),
            r("exact", 5, 3.0, 1.0, "optimal"), r("anneal", 5, 0.02, 0.9)]  # fmt: skip
    assert mod.early_runs(rows) == {("i", "exact"): [1.0], ("i", "anneal"): [1.0]}
    assert mod.early_runs(rows, share=1.0) == {("i", "exact"): [1.0, 5.0], ("i", "anneal"): [1.0],
                                               ("i", "tabu"): [1.0]}  # fmt: skip


def test_the_same_day_script_refuses_qips_runs_and_bad_rows_in_one_line(tmp_path, capsys):
    """Given QIP's end-to-end runs it would have run QIP again (with the shipped model, not a
    held-out one); a time that is no number gave a traceback."""
    import importlib.util

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("qip_same_day", root / "scripts" / "qip_same_day.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    _, runs, rows = _heldout_script_and_runs(tmp_path)
    qip = tmp_path / "qip-runs.csv"
    bad = tmp_path / "bad.csv"
    for path, table in ((qip, [dict(r, backend="qip") for r in rows]), (bad, [dict(rows[0], seconds="x")])):
        with path.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(table)
    for argv, words in (
        ([str(qip), "--out", str(tmp_path / "o.csv")], "qip-runs.csv:2: a run of QIP itself"),
        ([str(bad), "--out", str(tmp_path / "o.csv")], "bad.csv:2: seconds 'x' is not a non-negative number"),
        ([str(runs), "--out", str(tmp_path / "o.csv"), "--share", "0"], "--share must be in (0, 1]"),
    ):
        assert mod.main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("qip_same_day: error: ") and words in err and "Traceback" not in err, err
    assert not (tmp_path / "o.csv").exists()


def test_the_held_out_tables_script_scores_a_fixed_pair_without_a_decision(tmp_path, capsys, monkeypatch):
    """--pair A,B: the fixed two-core pair beside QIP, scored as qb.solve stops a pair and charged
    no decision; the rule overrides reach the evaluation (and are restored here)."""
    from qbdsl.qip import uncertain

    mod, runs, rows = _heldout_script_and_runs(tmp_path)
    monkeypatch.setattr(uncertain, "PARALLEL_MIN_DEADLINE", uncertain.PARALLEL_MIN_DEADLINE)
    monkeypatch.setattr(uncertain, "IN_HAND_WAIT", uncertain.IN_HAND_WAIT)
    assert mod.main([str(runs), "--pair", "precise,quick", "--min-parallel-deadline", "0", "--in-hand-wait", "0"]) == 0
    out = capsys.readouterr().out
    assert "| family | cases | always precise & quick: q/oracle |" in out and "\n| all |" in out
    assert uncertain.PARALLEL_MIN_DEADLINE == 0 and uncertain.IN_HAND_WAIT == 0
    ev = cm.evaluate(rows)
    fixed = [dict(c, qip="precise", qip_parallel=("precise", "quick"), qip_race=False, decision_seconds=0.0)
             for c in ev.cases]  # fmt: skip
    want = {d["family"]: d for d in cm.score_cases(fixed, []) if d["policy"] == "qip-parallel"}["all"]
    line = next(ln for ln in out.splitlines() if ln.startswith("| all |") and "x |" in ln and ln.count("|") == 7)
    assert f"| {want['quality_vs_oracle']:.3f} | {want['time_sgm_vs_oracle']:.2f}x |" in line
    charged = [dict(c, decision_seconds=0.5) for c in fixed]  # a decision's charge would show
    slower = {d["family"]: d for d in cm.score_cases(charged, []) if d["policy"] == "qip-parallel"}["all"]
    assert slower["time_sgm_vs_oracle"] > want["time_sgm_vs_oracle"]


def test_a_refusal_for_time_reads_the_same_from_either_reader():
    st = np.array(["error: TimeLimitError: ortools: linearizing ...", "time_limit: ortools: linearizing ...",
                   "time_limit", "optimal"])  # fmt: skip
    assert cm.refused_for_time(st).tolist() == [True, True, False, False]


def test_the_frozen_test_split_is_disjoint_and_scored_by_one_model_fitted_on_the_dev_rows():
    from qbdsl.problems import benchmarks as bm

    dev = {b.name for b in bm.instances()}
    test = bm.instances(split="test")
    assert len(test) == 19 and not ({b.name for b in test} & dev)
    assert {b.family for b in test} <= set(bm.families())
    test2 = bm.instances(split="test2")
    assert len(test2) == 30 and not ({b.name for b in test2} & (dev | {b.name for b in test}))
    assert {b.family for b in test2} <= set(bm.families()) and bm.instances("kpath", split="test2")
    test3 = bm.instances(split="test3")
    seen = dev | {b.name for b in test} | {b.name for b in test2}
    assert len(test3) == 26 and len({b.name for b in test3}) == 26 and not ({b.name for b in test3} & seen)
    assert {b.family for b in test3} <= set(bm.families()) and bm.instances("kpath", split="test3")
    seen |= {b.name for b in test3}
    for split in ("test4", "test5", "test6", "test7"):  # 25 instances each, five of them k-path
        names = {b.name for b in bm.instances(split=split)}
        assert len(names) == len(bm.instances(split=split)) == 25 and not (names & seen), split
        assert {b.family for b in bm.instances(split=split)} <= set(bm.families())
        assert len(bm.instances("kpath", split=split)) == 5
        seen |= names
    test8 = bm.instances(split="test8")  # two families no other split has
    assert len(test8) == 14 and not ({b.name for b in test8} & seen)
    assert {b.family for b in test8} == {"linksched", "misqubo"}
    test9 = bm.instances(split="test9")  # two more
    assert len(test9) == 13 and not ({b.name for b in test9} & (seen | {b.name for b in test8}))
    assert {b.family for b in test9} == {"ctrlplace", "bisection"}
    test10 = bm.instances(split="test10")  # two more
    assert len(test10) == 14 and not ({b.name for b in test10} & (seen | {b.name for b in test8 + test9}))
    assert {b.family for b in test10} == {"chanassign", "vnfplace"}
    assert {b.family for b in test8 + test9 + test10} == set(bm.HELD_OUT_FAMILIES)
    assert [b.name for b in bm.instances(split="test9", quick=True)] == ["ctrlplace-5-4", "bisection-12-3"]
    assert not {b.family for b in bm.instances()} & set(bm.HELD_OUT_FAMILIES)
    with pytest.raises(cm.ModelError, match="split must be"):
        bm.instances(split="train")
    rows = two_backend_rows(seed=0)
    fresh = [dict(r, instance=r["instance"] + "-t") for r in two_backend_rows(seed=5) if r["family"] == "mid"]
    ev = cm.evaluate(rows, test_rows=fresh)
    assert {c["family"] for c in ev.cases} == {"mid"} and len(ev.cases) == 36
    assert [f["family"] for f in ev.folds] == ["test"]


def test_a_run_stopped_at_its_limit_is_given_the_time_left_after_the_decision():
    """qb.solve gives the chosen backend the time left after deciding (less the answer reserve):
    a run that stopped at its limit and returned in time alone, but not once the decision's
    seconds are added, is scored in time with its quality; a run that ended with a proof keeps
    its own time plus the decision (with less time it might not end)."""
    d, dl = 0.004, 0.05
    reserve = min(2e-3 + 0.02 * dl, 0.1)  # qbdsl.solve.answer_reserve at a 0.05 s deadline
    # 49 ms alone, 53 ms with the decision: late (past 52.5 ms) unless given the time left
    stopped = cm.qip_seconds(0.049, d, dl, stops_at_limit=True)
    assert stopped == pytest.approx(d + (dl - d - reserve) * 0.049 / dl)
    assert stopped <= dl
    assert cm.qip_seconds(0.049, d, dl, stops_at_limit=False) == pytest.approx(0.053)
    # an overrun of its limit alone is kept; a run in time either way, or late alone, is unchanged
    assert cm.qip_seconds(0.051, d, dl, True) == pytest.approx(d + (dl - d - reserve) + 0.001)
    assert cm.qip_seconds(0.030, d, dl, True) == pytest.approx(0.034)
    assert cm.qip_seconds(0.060, d, dl, True) == pytest.approx(0.064)
    # a decision that leaves little time: the backend still gets half of what is left
    assert cm.qip_seconds(0.049, 0.045, dl, True) == pytest.approx(0.045 + 0.5 * 0.005 * 0.049 / dl)

    base = {"family": "f", "instance": "i", "deadline": dl, "oracle": "heur", "qip": "heur",
            "qip_choice": "heur", "qip_parallel": (), "qip_race": False, "reason": "",
            "measured": ["heur"], "proven": [], "decision_seconds": d,
            "runs": {"heur": (0.9, 0.049)}}  # fmt: skip
    scored = lambda case: {r["policy"]: r for r in cm.score_cases([case], ["heur"])}  # noqa: E731
    got = scored({**base, "finished": []})
    assert got["qip"]["quality_vs_oracle"] == pytest.approx(1.0)
    assert got["qip"]["time"] == pytest.approx(stopped)
    assert got["qip-parallel"]["quality_vs_oracle"] == pytest.approx(1.0)
    # the same run ending with a proof, or a case without the list: late once decided
    for case in ({**base, "finished": ["heur"]}, base):
        got = scored(case)
        assert got["qip"]["quality"] == 0.0 and got["qip"]["time"] == pytest.approx(0.053)
    # a pair: each run's end is its own; the stopped one answers in time beside a late prover
    pair = {**base, "qip_parallel": ("heur", "exact"), "measured": ["heur", "exact"], "finished": ["exact"],
            "runs": {"heur": (0.9, 0.049), "exact": (1.0, 0.049)}}  # fmt: skip
    got = scored(pair)["qip-parallel"]
    assert got["quality"] == pytest.approx(0.9)


def test_evaluate_lists_the_runs_that_ended_with_a_proof():
    ev = cm.evaluate(two_backend_rows())
    for c in ev.cases:
        assert set(c["finished"]) <= set(c["runs"])
        assert set(c["proven"]) <= set(c["finished"])


def test_the_plain_script_measurement_runs_and_refuses_bad_input(tmp_path, capsys):
    """scripts/qip_plain.py: QIP from one thread after warm_up, the pair rule on and off per case,
    scored against the split's oracle; bad input is one line."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("qip_plain", root / "scripts" / "qip_plain.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    data = root / "qbdsl" / "qip" / "data"
    out = tmp_path / "plain.csv"
    argv = ["--split", "test8", "--runs", str(data / "test8-bench-runs.csv.xz"), "--fit",
            str(data / "bench-runs.csv.xz"), "--deadlines", "0.5", "--instances", "misqubo-14-2",
            "--compare-in-child", "--out", str(out)]  # fmt: skip
    assert mod.main(argv) == 0
    rows = list(csv.DictReader(out.open()))
    assert [(r["instance"], r["mode"]) for r in rows] == [("misqubo-14-2", "off"), ("misqubo-14-2", "on")]
    assert all(0.0 <= float(r["quality"]) <= 1.0 and float(r["seconds"]) > 0 for r in rows)
    printed = capsys.readouterr().out
    assert "| on | all | 1 |" in printed and "| off | 0.5 s | 1 |" in printed
    for bad, words in (
        (["--runs", str(tmp_path / "nope.csv"), "--held-out"], "no such file"),
        (["--split", "test9", "--runs", str(data / "test8-bench-runs.csv.xz"), "--held-out"], "no run of a test9 case"),
        (["--runs", str(data / "bench-runs.csv.xz"), "--held-out", "--deadlines", "0,x"], "--deadlines"),
    ):
        assert mod.main([*bad, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("qip_plain: error: ") and words in err and "Traceback" not in err, err
