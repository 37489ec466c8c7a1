"""The public QAOA evaluation (``qaoa_expectation``, which reuses the QUBO's energy table)
against the bare kernel (``Statevector.expectation`` on a table built beforehand), on the
same 20-qubit QUBO and angles. Compare their min times in ``make bench`` (1.2x promised,
about 1.0x measured); only correctness is asserted, and under ``make test`` (benchmarks
disabled) each runs once."""

import numpy as np
import pytest

from qbdsl.backends import qaoa
from qbdsl.backends.exact import dense_coefficients, energy_table
from tests.bench.test_bench_backends import random_qubo

N = 20
GAMMAS, BETAS = np.array([0.3, 0.7]), np.array([0.5, 0.2])


@pytest.fixture(scope="module")
def qubo_and_reference():
    q = random_qubo(N)
    h, J = dense_coefficients(q.terms)
    sv = qaoa.Statevector(energy_table(h, J, q.terms.offset))
    return q, sv, sv.expectation(GAMMAS, BETAS)


def test_kernel(benchmark, qubo_and_reference):
    _, sv, want = qubo_and_reference
    assert benchmark(sv.expectation, GAMMAS, BETAS) == want


def test_public(benchmark, qubo_and_reference):
    q, _, want = qubo_and_reference
    qaoa.qaoa_expectation(q, GAMMAS, BETAS)  # the first call builds the table, as a user's first call would
    assert benchmark(qaoa.qaoa_expectation, q, GAMMAS, BETAS) == want
