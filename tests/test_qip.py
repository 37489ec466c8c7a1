"""The Quantum Invocation Policy: features, profiles, decisions and their explanations."""

import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import qbdsl as qb
from qbdsl.backends import names
from qbdsl.ir.terms import QuboTerms
from qbdsl.qip import decide, default_profiles, features, load_profiles, save_profiles

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
from slice_placement import build  # noqa: E402


def random_qubo(n, seed=0, density=0.3):
    rng = np.random.default_rng(seed)
    iu = np.triu_indices(n, 1)
    keep = rng.random(len(iu[0])) < density
    return qb.QuboIR.from_terms(
        QuboTerms.from_coo(
            n,
            rng.integers(-5, 6, n).astype(float),
            iu[0][keep],
            iu[1][keep],
            rng.integers(-3, 4, int(keep.sum())).astype(float),
        )
    )


def test_features_estimate_the_compiled_qubo():
    m = build()
    f = features(m)
    q = qb.compile(m, "qubo")
    assert f.qubo_ok and f.qubo_binaries == q.n
    assert f.qubo_couplers >= q.num_interactions  # an upper bound
    assert f.n_equality == 3 and f.n_inequality == 4 and f.n_binary == 12
    fq = features(q)
    assert fq.qubo_binaries == q.n and fq.qubo_couplers == q.num_interactions
    assert fq.penalty_scale == pytest.approx(f.penalty_scale, rel=1e-6)
    assert f.embed_pegasus_qubits > 0 and f.embed_zephyr_qubits > 0


def test_continuous_models_never_go_to_a_qubo_backend():
    from qbdsl.problems import data, routing

    m = routing.min_mlu(data.repetita("Abilene"))
    d = decide(m, deadline=10.0)
    assert d.backend == "ortools"
    for row in d.rows:
        if row.backend != "ortools":
            assert not row.fits and "continuous" in row.verdict


def test_too_large_for_qaoa_never_goes_to_qaoa():
    q = random_qubo(40, 1, 0.1)
    d = decide(q, deadline=1e6, prefer="quantum")
    rows = {r.backend: r for r in d.rows}
    assert d.backend != "qaoa" and "exceed the 26" in rows["qaoa"].verdict
    assert "exceed the 24" in rows["qaoa-qiskit"].verdict


def test_explain_names_every_registered_backend_and_the_remote_devices():
    d = decide(build(), deadline=2.0)
    text = d.explain()
    for name in names():
        assert name in text
    assert "dwave:advantage (remote)" in text and "ibm:ibm_fez (remote)" in text
    assert "chosen" in text and "deadline" in text


def test_generous_deadline_on_a_small_qubo_matches_the_measured_best():
    """Run every local backend that takes it; the best measured (quality, then time) wins."""
    q = random_qubo(14, 3)
    best_energy = qb.solve(q, backend="exact").energy
    measured = {}
    for b in ("exact", "anneal", "tabu", "qaoa", "ortools"):
        t = time.perf_counter()
        r = qb.solve(q, backend=b, seed=0)
        measured[b] = (r.energy <= best_energy + 1e-9, time.perf_counter() - t)
    optimal = [b for b, (ok, _) in measured.items() if ok]
    fastest = min(optimal, key=lambda b: measured[b][1])
    d = decide(q, deadline=60.0)
    assert d.backend in optimal
    assert measured[d.backend][1] <= 3 * measured[fastest][1] + 0.05


def test_deadlines_nobody_meets_and_best_effort():
    q = random_qubo(22, 0)
    d = decide(q, deadline=1e-6)
    assert d.backend is None and "no backend can meet the deadline" in d.reason
    with pytest.raises(qb.BackendError, match="no backend can meet the deadline"):
        qb.solve(q, deadline=1e-6)
    d2 = decide(q, deadline=1e-6, best_effort=True)
    assert d2.backend is not None and "best effort" in d2.explain()
    for bad in (-1.0, 0.0, float("nan")):
        with pytest.raises(qb.ModelError, match="deadline must be a positive number"):
            decide(q, deadline=bad)


def test_quality_target_and_preferences():
    q = random_qubo(18, 2)
    d = decide(q, deadline=100.0, quality=0.99)
    assert d.backend in ("exact", "ortools")  # only the exact solvers are predicted to reach it
    d2 = decide(q, deadline=100.0, prefer="anneal")
    qual = {r.backend: r.predicted_quality for r in d2.rows if r.predicted_quality is not None}
    assert qual[d2.backend] == max(v for k, v in qual.items() if k in names())


def test_profiles_round_trip_and_only_the_default_file_falls_back(tmp_path, monkeypatch):
    import qbdsl.qip.profiles as prof_mod

    p = tmp_path / "profiles.json"
    prof = default_profiles()
    prof["exact"].b = 1e-6
    save_profiles(prof, p)
    loaded, note = load_profiles(p)
    assert loaded["exact"].b == 1e-6 and "calibrated profiles" in note
    p.write_text("{not json")
    with pytest.raises(qb.FileFormatError, match="profiles.json:1: not JSON"):
        load_profiles(p)  # a file the user named must work
    monkeypatch.setattr(prof_mod, "DEFAULT_PATH", p)
    loaded, note = load_profiles()  # the default one falls back, and says why
    assert loaded["exact"].b == default_profiles()["exact"].b and "ignored" in note and "shipped defaults" in note
    p.write_text(json.dumps({"format": "something-else"}))
    assert "ignored" in load_profiles()[1]
    with pytest.raises(qb.FileFormatError, match="not a qbdsl profiles file"):
        load_profiles(p)
    monkeypatch.setattr(prof_mod, "DEFAULT_PATH", tmp_path / "missing.json")
    assert "no calibration file" in load_profiles()[1]
    with pytest.raises(qb.FileFormatError, match="missing.json: no such file"):
        load_profiles(tmp_path / "missing.json")


def test_calibrate_measures_and_fits(tmp_path):
    from qbdsl.qip.calibrate import calibrate

    profiles, rows = calibrate(quick=True, backends=["exact", "anneal"])
    assert {r["backend"] for r in rows} == {"exact", "anneal"} and all(r["seconds"] > 0 for r in rows)
    assert profiles["exact"].a >= 0 and profiles["exact"].b >= 0
    assert profiles["exact"].measured["sizes"] == [12, 16]
    path = save_profiles(profiles, tmp_path / "p.json")
    assert json.loads(path.read_text())["machine"]["cpus"] >= 1


def test_solve_auto_attaches_the_decision():
    r = qb.solve(build(), deadline=5.0)
    # the answer comes from the chosen backend, or from the one the decision ran beside it
    assert r.decision is not None and r.backend in (r.decision.backend, *r.decision.parallel)
    assert r.feasible and r.objective == 7.0


def test_experiment_scores_policies_against_the_oracle(tmp_path):
    from qbdsl.qip import experiment as ex

    inst = dict(list(ex.suite(quick=True).items())[:4])
    runs = ex.run_all(inst, deadline=1.0, backends=("exact", "ortools", "anneal"))
    res = ex.score(inst, runs, 1.0)
    s = res["summary"]
    assert {"qip", "always-exact", "always-ortools", "always-anneal", "always-quantum", "always-classical"} <= set(s)
    for v in s.values():  # nobody beats the oracle on quality
        assert 0 <= v["quality_vs_oracle"] <= 1 + 1e-9 and v["instances"] == len(res["rows"])
    assert s["qip"]["quality_vs_oracle"] >= 0.95
    assert sum(sum(d.values()) for d in res["confusion"].values()) == len(res["rows"])
    paths = ex.write_outputs(res, runs, tmp_path)
    assert [p.name for p in paths] == ["qip-runs.csv", "qip-summary.csv", "qip-policies.png"]
    assert "qip," in paths[1].read_text()


def test_cli_explain_and_experiment(tmp_path, capsys):
    from qbdsl.cli import main

    model = f"{Path(__file__).resolve().parent.parent / 'examples' / 'slice_placement.py'}:build"
    assert main(["explain", model, "--deadline", "2"]) == 0
    out = capsys.readouterr().out
    assert "QIP decision" in out and "ortools" in out
    assert main(["explain", model, "--deadline", "0.000001"]) == 3
    assert main(["explain", model, "--deadline", "-1"]) == 2


def test_solve_uses_the_saved_profiles(tmp_path, monkeypatch):
    from qbdsl.qip import profiles as prof_mod

    q = random_qubo(10, 4)
    assert qb.solve(q, deadline=5.0).backend == "exact"
    slow = default_profiles()
    slow["exact"].a = 100.0  # as if this machine took 100 s to start enumerating
    path = save_profiles(slow, tmp_path / "profiles.json")
    monkeypatch.setattr(prof_mod, "DEFAULT_PATH", path)
    r = qb.solve(q, deadline=5.0)
    assert r.backend != "exact" and "calibrated profiles" in r.decision.note
    assert "exceeds the 5 s deadline" in {o.backend: o for o in r.decision.rows}["exact"].verdict


def test_a_model_no_backend_can_take_says_why_for_each():
    m = qb.Model("c")
    m.minimize(m.continuous("f", lb=0, ub=1))
    d = decide(m, backends=["exact", "anneal", "qaoa"], include_remote=False)
    assert d.backend is None and d.reason == "no registered backend can take this instance"
    assert all("cannot take it as a QUBO (1 continuous variables)" in r.verdict for r in d.rows)


def _problem_with_rows(blocks_of_rows, seed):
    """A Problem over 4 binaries and 3 bounded integers whose constraint rows are grouped into
    blocks as ``blocks_of_rows`` says (a list of (sense, row indices)); the same rows every time."""
    from qbdsl.ir.poly import Poly
    from qbdsl.ir.problem import Block, Problem, VarArray, VarLayout

    rng = np.random.default_rng(seed)
    n = 7
    A = rng.integers(-4, 5, (9, n)) * (rng.random((9, n)) < 0.6)
    const = rng.integers(-6, 3, 9).astype(float)
    layout = VarLayout(
        [VarArray("x", "binary", (4,), 0), VarArray("y", "integer", (3,), 4)],
        np.zeros(n),
        np.array([1, 1, 1, 1, 3, 7, 2], float),
    )
    objective = Poly.build(n, 1, 0.0, (np.zeros(n, int), np.arange(n), rng.integers(1, 9, n)), (
        np.zeros(2, int), np.array([0, 4]), np.array([1, 5]), np.array([2.0, -3.0])))  # fmt: skip
    blocks = []
    for k, (sense, rows) in enumerate(blocks_of_rows):
        r, c = np.nonzero(A[rows])
        lin = (r, c, A[rows][r, c].astype(float))
        blocks.append(Block(f"b{k}", sense, (len(rows),), Poly.build(n, len(rows), const[rows], lin)))
    return Problem("p", layout, objective, "min", blocks)


@pytest.mark.parametrize("seed", range(6))
def test_features_do_not_depend_on_how_rows_are_grouped_into_blocks(seed):
    """A model read from a file holds one block per row; the features (computed for all blocks at
    once) are those of the same rows held in one block per sense."""
    senses = ["<=", ">=", "==", "<=", ">=", "<=", "==", ">=", "<="]
    per_row = _problem_with_rows([(s, [r]) for r, s in enumerate(senses)], seed)
    by_sense = _problem_with_rows([(s, [r for r, t in enumerate(senses) if t == s]) for s in ("<=", ">=", "==")], seed)
    a, b = features(per_row), features(by_sense)
    assert a == b
    assert a.n_inequality == 7 and a.n_equality == 2 and a.qubo_binaries > 7  # slack bits were counted


def test_features_count_the_slack_bits_of_a_greater_or_equal_row():
    """x0 + x1 + x2 >= 1 over binaries: slack range 0..2 (two bits), like 1 - x0 - x1 - x2 <= 0;
    the same row as an equality has none."""
    from qbdsl.ir.poly import Poly
    from qbdsl.ir.problem import Block, Problem, VarArray, VarLayout

    layout = VarLayout([VarArray("x", "binary", (3,), 0)], np.zeros(3), np.ones(3))
    objective = Poly.build(3, 1, 0.0, (np.zeros(3, int), np.arange(3), np.ones(3)))

    def row(sense, coef):
        return Block("r", sense, (1,), Poly.build(3, 1, -coef, (np.zeros(3, int), np.arange(3), coef * np.ones(3))))

    ge = features(Problem("p", layout, objective, "min", [row(">=", 1.0)]))
    le = features(Problem("p", layout, objective, "min", [row("<=", -1.0)]))
    eq = features(Problem("p", layout, objective, "min", [row("==", 1.0)]))
    assert ge.qubo_binaries == le.qubo_binaries == 3 + 2
    assert eq.qubo_binaries == 3 and eq.n_equality == 1 and ge.n_inequality == 1
