"""Energies agree with PyQUBO's and dimod's on the same model; translators go both ways."""

import itertools

import dimod
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

import qbdsl as qb
from qbdsl.io.dimod_io import cqm_to_model, model_to_cqm
from qbdsl.io.pyqubo_io import from_pyqubo
from qbdsl.io.qiskit_io import from_qp, model_to_qp
from qbdsl.testing import domain_points

from .strategies import small_models

LAMBDA = 17.0


def _all_bits(n):
    return np.array(list(itertools.product([0, 1], repeat=n)), dtype=float)


def _penalized_as_written(m) -> bool:
    """qbdsl penalizes each row divided by the gcd of its integer coefficients (so that a
    violated row costs at least 1; qbdsl.passes.penalize), dimod and PyQUBO the row as
    written: with the same weight their energies agree where the two rows coincide."""
    from qbdsl.passes.penalize import row_scale

    return all(np.all(row_scale(b.poly.L) == 1) for b in m.to_problem().constraints)


def _min_energy_by_point(energies, points):
    out = {}
    for e, x in zip(energies, points):
        key = tuple(np.rint(x).astype(int).tolist())
        out[key] = min(out.get(key, np.inf), float(e))
    return out


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(m=small_models(max_binaries=3, max_integers=1))
def test_energies_match_dimod_cqm_to_bqm(m):
    """For every user point, min over encoding/slack bits of the energy is the same."""
    lay = m.to_problem().layout
    ints = lay.kinds() == 1
    # dimod's cqm_to_bqm takes integers with lower bound 0 and upper bound >= 2 only
    assume(np.all(lay.lb == 0) and np.all(lay.ub[ints] >= 2))
    assume(_penalized_as_written(m))
    try:
        q = qb.compile(m, "qubo", penalty=LAMBDA)
    except qb.ModelError:
        assume(False)
    cqm = model_to_cqm(m)
    bqm, invert = dimod.cqm_to_bqm(cqm, lagrange_multiplier=LAMBDA)
    assume(q.n <= 14 and bqm.num_variables <= 14)
    Y = _all_bits(q.n)
    ours = _min_energy_by_point(q.energy(Y), q.decode_map(Y))
    order = list(bqm.variables)
    labels = m.to_problem().layout.labels()
    B = _all_bits(len(order))
    theirs_e = [bqm.energy(dict(zip(order, b))) for b in B]
    theirs_x = []
    for b in B:
        s = invert(dict(zip(order, b)))
        theirs_x.append([s[v] for v in labels])
    theirs = _min_energy_by_point(theirs_e, theirs_x)
    assert set(ours) == set(theirs)
    for key in ours:
        assert ours[key] == pytest.approx(theirs[key], abs=1e-6), key


def _pyqubo_model(m, lam):
    """The same (binary, equality-constrained) model written directly in PyQUBO."""
    from pyqubo import Array, Constraint

    prob = m.to_problem()
    x = Array.create("x", shape=prob.n, vartype="BINARY")
    labels = prob.layout.labels()

    def poly(p, r):
        row = p.L[r]
        e = float(p.const[r])
        for j, v in zip(row.indices, row.data):
            e = e + float(v) * x[int(j)]
        for i, j, v in zip(p.qi[p.qrow == r], p.qj[p.qrow == r], p.qcoef[p.qrow == r]):
            e = e + float(v) * x[int(i)] * x[int(j)]
        return e

    sign = 1.0 if prob.sense == "min" else -1.0
    H = sign * poly(prob.objective, 0)
    for b in prob.constraints:
        for r in range(b.poly.rows):
            H = H + lam * Constraint(poly(b.poly, r) ** 2, f"{b.name}{r}")
    return H.compile(), labels


@given(m=small_models(max_binaries=5, max_integers=0))
def test_energies_match_pyqubo_on_equality_models(m):
    prob = m.to_problem()
    assume(all(b.sense == "==" for b in prob.constraints) and _penalized_as_written(m))
    q = qb.compile(m, "qubo", penalty=LAMBDA)
    compiled, labels = _pyqubo_model(m, LAMBDA)
    bqm = compiled.to_bqm()
    Y = _all_bits(q.n)
    theirs = np.array([bqm.energy({f"x[{k}]": int(y[k]) for k in range(q.n) if f"x[{k}]" in bqm.variables}) for y in Y])
    qb.testing.assert_energies_match(q, Y, theirs)
    # and the PyQUBO model imported into qbdsl has the same energies
    imported = from_pyqubo(compiled)
    order = [imported.labels.index(f"x[{k}]") if f"x[{k}]" in imported.labels else None for k in range(q.n)]
    Z = np.zeros((len(Y), imported.n))
    for k, pos in enumerate(order):
        if pos is not None:
            Z[:, pos] = Y[:, k]
    np.testing.assert_allclose(imported.energy(Z), theirs, atol=1e-6)


def test_bqm_round_trip_and_solve_a_bqm():
    bqm = dimod.BinaryQuadraticModel(
        {"a": 1.0, "b": -2.0, "c": 0.5}, {("a", "b"): 3.0, ("b", "c"): -1.5}, 0.25, dimod.BINARY
    )
    q = qb.io.dimod_io.from_dimod(bqm)
    assert q.labels == ["a", "b", "c"]
    back = q.to_bqm()
    for s in itertools.product([0, 1], repeat=3):
        sample = dict(zip("abc", s))
        assert back.energy(sample) == pytest.approx(bqm.energy(sample))
    r = qb.solve(bqm, backend="exact")
    assert r.energy == pytest.approx(min(bqm.energies(dimod.ExactSolver().sample(bqm))))
    spin = dimod.BinaryQuadraticModel({"s": 1.0}, {}, 0.0, dimod.SPIN)
    assert qb.solve(spin, backend="exact").energy == pytest.approx(-1.0)


@given(m=small_models(max_binaries=3, max_integers=2))
def test_cqm_and_quadratic_program_round_trips_keep_the_objective(m):
    prob = m.to_problem()
    X = domain_points(prob)
    for back in (cqm_to_model(model_to_cqm(m)), from_qp(model_to_qp(m))):
        p2 = back.to_problem()
        assert p2.n == prob.n and len(p2.constraints) >= 1 or not prob.constraints
        lab = {nm: k for k, nm in enumerate(p2.layout.labels())}
        perm = [lab[nm] for nm in prob.layout.labels()]
        X2 = np.zeros_like(X)
        X2[:, perm] = X
        sign = 1 if p2.sense == prob.sense else -1
        np.testing.assert_allclose(sign * p2.objective_value(X2), prob.objective_value(X), atol=1e-9)
        ok1 = np.all([~np.any(b.violation(X) > 0, axis=1) for b in prob.constraints], axis=0)
        ok2 = np.all([~np.any(b.violation(X2) > 0, axis=1) for b in p2.constraints], axis=0)
        np.testing.assert_array_equal(ok1, ok2)


def test_qubo_to_quadratic_program():
    m = qb.Model("qp")
    x = m.binary("x", 3)
    m.add(x.sum() == 1, name="one")
    m.minimize(x[0] - 2 * x[1] + x[0] * x[2])
    q = qb.compile(m, "qubo")
    qp = q.to_qp()
    assert qp.get_num_binary_vars() == q.n
    for y in _all_bits(q.n):
        assert qp.objective.evaluate(y) == pytest.approx(q.energy(y))
