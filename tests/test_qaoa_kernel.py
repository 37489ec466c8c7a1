"""The public QAOA evaluation (qaoa_expectation / qaoa_kernel) against the bare kernel
(Statevector on an energy table built by hand): identical values, the table reused."""

import gc

import numpy as np
import pytest

import qbdsl as qb
from qbdsl.backends import qaoa
from qbdsl.backends.exact import dense_coefficients, energy_table
from qbdsl.ir.terms import QuboTerms


def random_qubo(n, seed=0, integer=True):
    rng = np.random.default_rng(seed)
    iu = np.triu_indices(n, 1)
    keep = rng.random(len(iu[0])) < 0.3
    draw = (
        (lambda lo, hi, k: rng.integers(lo, hi, k).astype(float))
        if integer
        else (lambda lo, hi, k: rng.uniform(lo, hi, k))
    )
    return qb.QuboIR.from_terms(
        QuboTerms.from_coo(n, draw(-5, 6, n), iu[0][keep], iu[1][keep], draw(-3, 4, int(keep.sum())))
    )


def bare_kernel(q):
    h, J = dense_coefficients(q.terms)
    return qaoa.Statevector(energy_table(h, J, q.terms.offset))


ANGLES = [(0.3, 0.4), ([0.3, 0.7], [0.5, 0.2]), ([0.1, 0.9, 0.4], [0.6, 0.3, 0.1])]


@pytest.mark.parametrize("integer", [True, False])
@pytest.mark.parametrize("n", [3, 10])
def test_public_and_cached_paths_equal_the_kernel(n, integer):
    q = random_qubo(n, integer=integer)
    sv = bare_kernel(q)
    k = qaoa.qaoa_kernel(q, cached=False)
    for g, b in ANGLES:
        want = sv.expectation(np.atleast_1d(g), np.atleast_1d(b))
        assert qaoa.qaoa_expectation(q, g, b) == want  # first call builds, later ones reuse
        assert qaoa.qaoa_expectation(q, g, b) == want
        assert k.expectation(g, b) == want


def test_levels_table_matches_a_direct_phase():
    """The integer level table, the np.unique one and no table give the same state."""
    for integer in (True, False):
        q = random_qubo(9, 2, integer)
        h, J = dense_coefficients(q.terms)
        E = energy_table(h, J, q.terms.offset)
        a, b = qaoa.Statevector(E), qaoa.Statevector(E, levels=False)
        assert (a._levels is not None) and (b._levels is None)
        assert np.array_equal(a._levels[a._inverse], E)
        np.testing.assert_allclose(
            a.evolve([0.3, 0.8], [0.2, 0.5]), b.evolve([0.3, 0.8], [0.2, 0.5]), rtol=0, atol=1e-12
        )


def test_levels_are_lazy_and_built_once():
    q = random_qubo(8)
    k = qaoa.qaoa_kernel(q, cached=False)
    assert k.statevector._levels is None and k.statevector._levels_pending
    k.expectation([], [])  # p = 0: no phase, no table
    assert k.statevector._levels_pending
    k.expectation(0.2, 0.3)
    assert not k.statevector._levels_pending and k.statevector._levels is not None


def test_cache_is_keyed_by_the_qubo_and_its_terms():
    q1, q2 = random_qubo(6, 1), random_qubo(6, 2)
    assert qaoa.qaoa_kernel(q1) is qaoa.qaoa_kernel(q1)
    k1 = qaoa.qaoa_kernel(q1)
    assert qaoa.qaoa_kernel(q2) is not k1
    assert qaoa.qaoa_expectation(q1, 0.3, 0.4) == bare_kernel(q1).expectation([0.3], [0.4])
    assert qaoa.qaoa_expectation(q2, 0.3, 0.4) == bare_kernel(q2).expectation([0.3], [0.4])
    # reassembled terms (as after re-weighting) are a different QUBO
    k = qaoa.qaoa_kernel(q1)
    del q1.__dict__["terms"]
    assert qaoa.qaoa_kernel(q1) is not k
    # the cache lets go of a QUBO that is gone
    del q1, k, k1
    gc.collect()
    assert qaoa._LAST[0] is None


def test_kernel_keeps_the_memory_check():
    with pytest.raises(qb.OptionError, match="max_memory"):
        qaoa.QaoaKernel(random_qubo(4), max_memory=1)
    with pytest.raises(qb.BackendError, match="exceed"):
        qaoa.QaoaKernel(random_qubo(12), max_memory=1 << 16)


def test_public_path_matches_qiskit_still():
    pytest.importorskip("qiskit")
    q = random_qubo(5, 3)
    assert qaoa.qaoa_expectation(q, [0.3, 0.5], [0.2, 0.4]) == pytest.approx(
        qaoa.qiskit_expectation(q, [0.3, 0.5], [0.2, 0.4]), abs=1e-6
    )
