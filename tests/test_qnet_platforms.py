"""Platform presets of the physical model (issue 19 item 1): each reproduces its experiment."""

import numpy as np
import pytest

from qbdsl.errors import ModelError
from qbdsl.problems.qnet import physics as P

# Relative tolerance of the reproduced per-attempt success: the preset's efficiency is solved
# from the published number, so only float rounding separates them.
RTOL = 1e-9

# (fibre km, per-attempt success, link fidelity, T2 s), typed in from the papers (see sources).
PUBLISHED = {"trapped_ion_230m": (0.52, 4e-5, 0.882, 2.1)}


def test_every_preset_has_published_numbers():
    assert set(P.PLATFORMS) == set(PUBLISHED)
    assert dict(P.PLATFORM_EXPERIMENTS) == PUBLISHED


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_preset_reproduces_its_experiment(name):
    L, p, F, T2 = PUBLISHED[name]
    par = P.platform(name)
    np.testing.assert_allclose(P.link_success(L, par), p, rtol=RTOL)
    assert par.link_fidelity == F
    assert par.coherence_time_s == T2
    # a wrong length would not reproduce it (the check can fail)
    assert not np.isclose(P.link_success(2 * L, par), p, rtol=1e-3)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_preset_sources_name_their_papers(name):
    par = P.platform(name)
    assert set(par.sources) == set(P.DEFAULT.sources)
    assert "3.0 dB/km" in par.sources["attenuation_db_per_km"]
    assert "4e-5" in par.sources["memory_efficiency"] and "520(2) m" in par.sources["memory_efficiency"]
    assert "0.882" in par.sources["link_fidelity"] and "2.1 s" in par.sources["coherence_time_s"]
    assert "Phys. Rev. Lett. 130, 050803" in par.sources["link_fidelity"]
    assert "folded" in par.sources["memory_efficiency"] and "folded" in par.sources["detector_efficiency"]


def test_presets_far_below_the_composite_default():
    # the point of the presets: DEFAULT succeeds 0.294 per attempt at 1.3 km (unchanged)
    np.testing.assert_allclose(P.link_success(1.3), 0.294, atol=5e-4)
    for name in P.PLATFORMS:
        assert P.link_success(1.3, P.platform(name)) < 1e-3 * P.link_success(1.3)


def test_preset_is_fresh_and_valid_params():
    a, b = P.platform("trapped_ion_230m"), P.platform("trapped_ion_230m")
    assert a == b and isinstance(a, P.Params)
    assert a.detector_efficiency == 1.0 and 0 < a.memory_efficiency < 1


@pytest.mark.parametrize("bad", ["nv", "", "TRAPPED_ION_230M", None, 3])
def test_unknown_platform_names_the_valid_ones(bad):
    with pytest.raises(ModelError) as e:
        P.platform(bad)
    assert repr(bad) in str(e.value)
    for name in P.PLATFORMS:
        assert name in str(e.value)
