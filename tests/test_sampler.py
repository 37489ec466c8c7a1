"""QbdslSampler passes dimod's own sampler tests and routes through qb.solve."""

import unittest

import dimod
import dimod.testing
import numpy as np
import pytest

from qbdsl.io.dimod_sampler import QbdslSampler


@dimod.testing.load_sampler_bqm_tests(QbdslSampler("exact"))
class TestQbdslSamplerDimod(unittest.TestCase):
    def test_api(self):
        dimod.testing.assert_sampler_api(QbdslSampler())


@pytest.mark.parametrize("backend", ["exact", "anneal", "ortools"])
def test_ground_state_of_a_spin_model(backend):
    bqm = dimod.BinaryQuadraticModel(
        {"a": 0.5, "b": -1.0, "c": 0.2}, {("a", "b"): -1.0, ("b", "c"): 1.5}, 0.0, dimod.SPIN
    )
    ss = QbdslSampler(backend, seed=3).sample(bqm)
    truth = dimod.ExactSolver().sample(bqm).first
    assert ss.first.energy == pytest.approx(truth.energy)
    assert set(ss.first.sample.values()) <= {-1, 1}
    assert ss.info["backend"] == backend
    dimod.testing.assert_sampleset_energies(ss, bqm)


def test_fallback_is_reported():
    bqm = dimod.generators.gnp_random_bqm(30, 0.3, dimod.BINARY, random_state=1)
    ss = QbdslSampler("exact", fallback=["anneal"], seed=0).sample(bqm)
    assert ss.info["backend"] == "anneal"
    assert ss.info["attempts"][0]["backend"] == "exact"
    assert "exceed the 26" in ss.info["attempts"][0]["error"]
    assert np.isfinite(ss.first.energy)
