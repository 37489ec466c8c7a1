"""qbdsl.problems.qnet.physics and topologies: formulas against hand-computed values and the
cited papers, monotonicity properties, and the vendored Topology Zoo networks."""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qbdsl as qb
from qbdsl.problems.qnet import physics as ph
from qbdsl.problems.qnet import topologies as tp

fid = st.floats(0.25, 1.0)
good = st.floats(0.5001, 0.9999)


# ------------------------------------------------------------------ formulas, by hand
def test_bbpssw_from_08_gives_the_textbook_value():
    # Bennett et al. 1996, Eq. 3 at F = 0.8: e = 1/15; N = 0.64 + 2(0.8)(1/15) + 5/225 = 0.768889,
    # F' = (0.64 + 1/225) / N = 0.838150 (the value of Dur & Briegel 2007, Fig. 6's first step)
    f, p = ph.bbpssw(0.8)
    assert f == pytest.approx(0.8381503, abs=1e-6)
    assert p == pytest.approx(0.7688889, abs=1e-6)


def test_dejmps_two_rounds_by_hand():
    # round 1 on the Werner state (0.8, 1/15, 1/15, 1/15): N = (0.8 + 1/15)^2 + (2/15)^2 = 0.768889,
    # A = 0.838150, B = 2 C D / N = 0.011561, C = (C^2 + D^2) / N = 0.011561, D = 2 A B / N = 0.138728
    c1, p1 = ph.dejmps([0.8, 1 / 15, 1 / 15, 1 / 15])
    np.testing.assert_allclose(c1, [0.838150, 0.011561, 0.011561, 0.138728], atol=1e-6)
    assert p1 == pytest.approx(0.768889, abs=1e-6)
    assert c1.sum() == pytest.approx(1.0)
    # round 2: N = (0.849711)^2 + (0.150289)^2 = 0.744593; A = (0.702495 + 0.000134) / N = 0.943644
    c2, p2 = ph.dejmps(c1)
    assert p2 == pytest.approx(0.744593, abs=1e-5)
    assert c2[0] == pytest.approx(0.943644, abs=1e-5)
    f, cost = ph.purify(0.8, 2, "dejmps")
    assert f == pytest.approx(c2[0]) and cost == pytest.approx(2 / p1 * 2 / p2)
    # BBPSSW twirls back to Werner between rounds: its second round is worse than DEJMPS's
    fb, _ = ph.purify(0.8, 2, "bbpssw")
    assert fb == pytest.approx(ph.bbpssw(ph.bbpssw(0.8)[0])[0]) and fb < f


def test_swapping_and_chain():
    assert ph.swap_fidelity(0.9, 0.9) == pytest.approx(0.81 + 0.01 / 3)
    assert ph.swap_fidelity(0.9, 0.8) == pytest.approx(0.72 + 0.1 * 0.2 / 3)
    # three pairs joined one after the other = Werner parameters multiplied
    f = [0.95, 0.9, 0.85]
    by_hand = ph.swap_fidelity(ph.swap_fidelity(f[0], f[1]), f[2])
    assert ph.chain_fidelity(f) == pytest.approx(by_hand)
    assert ph.chain_fidelity([[0.9, 0.8, 0.1]], axis=1, where=[[True, True, False]])[0] == pytest.approx(
        ph.swap_fidelity(0.9, 0.8)
    )


def test_link_generation_by_hand():
    p = ph.Params()
    # 0.5 x 0.8649 x 0.7225 = 0.3124451; 50 km at 0.2 dB/km is 10 dB: x 0.1
    assert ph.link_success(0.0, p) == pytest.approx(0.5 * 0.93**2 * 0.85**2)
    assert ph.link_success(50.0, p) == pytest.approx(0.03124451, rel=1e-6)
    assert ph.transmissivity(100.0) == pytest.approx(0.01)
    # Barrett-Kok: two heralded rounds of L / v = 50 / 2.04e5 s, the second after round one clicks:
    # eta = 0.85 x 0.93 x 10^(-0.2 x 50 / 20) = 0.7905 x 0.3162278 = 0.2499780,
    # P1 = 1 - (1 - 0.1249890)^2 = 0.2343558, so 4080 / 1.2343558 = 3305.37 attempts/s
    assert ph.first_round_click(50.0, p) == pytest.approx(0.2343558, rel=1e-6)
    assert ph.attempt_rate(50.0, p) == pytest.approx(3305.37, rel=1e-5)
    assert ph.link_rate(50.0, p) == pytest.approx(0.03124451 * 3305.37, rel=1e-5)
    # SeQUeNCe's protocol (one NEGOTIATE / ACK per round, one re-pairing delay): 1 + 3 x 1.2343558 delays
    seq = ph.Params(classical_exchange_rounds=1, reset_delays=1)
    assert ph.attempt_delays(50.0, seq) == pytest.approx(4.7030674, rel=1e-6)
    assert ph.attempt_rate(0.0, p) == np.inf
    np.testing.assert_allclose(ph.link_success([[10.0, 20.0]], p).shape, (1, 2))


def test_decoherence_by_hand():
    assert ph.decohere(0.9, 1.0, 1.0) == pytest.approx(0.25 + 0.65 / math.e)
    assert ph.decohere(0.9, 0.0, 1.0) == pytest.approx(0.9)
    assert ph.decohere(0.9, 5.0, np.inf) == pytest.approx(0.9)


def test_path_metrics_one_hop_and_two_hops_by_hand():
    p = ph.Params()
    f, r = ph.path_metrics([[50.0, np.nan]], 0, p)
    # one hop: the cycle is the hop's mean waiting time 1 / R (103.2746 pairs/s), no swap to signal;
    # the pair is delivered at its herald, held only while heralded: two rounds of 50 / v each
    assert r[0] == pytest.approx(103.2746, rel=1e-6)
    assert f[0] == pytest.approx(ph.decohere(0.92, 2 * 50 / p.fibre_speed_km_s, 1.58 / 2))
    f2, r2 = ph.path_metrics([[50.0, 30.0]], [[1, 0]], p)
    c = 2 / 1.58
    # the 50 km hop's round: the first heralded pair waits for the second (mean decay R / (R + c)),
    # then the outcome travels 50 km (physics.purify_stored; checked against ReQuSim elsewhere)
    R50, h50 = ph.link_rate(50.0, p), ph.decohere(0.92, 2 * 50 / p.fibre_speed_km_s, 0.79)
    f50, c50 = ph.purify_stored(h50, 1, R50, c, 50 / p.fibre_speed_km_s)
    e = (1 - h50) / 3
    made = np.array([h50, e, e, e])
    waited = R50 / (R50 + c) * made + (1 - R50 / (R50 + c)) / 4
    out, n = ph.dejmps_pair(waited, made)
    assert float(c50) == pytest.approx(2 / n)
    assert float(f50) == pytest.approx(0.25 + (out[0] - 0.25) * np.exp(-c * 50 / p.fibre_speed_km_s))
    a, b = R50 / c50, ph.link_rate(30.0, p)
    # both hops must hold a pair at once: E[max(X_a, X_b)] = 1/a + 1/b - 1/(a + b), then the swap's
    # outcome travels 80 km; half the swaps succeed
    cycle = 1 / a + 1 / b - 1 / (a + b) + 80 / p.fibre_speed_km_s
    assert r2[0] == pytest.approx(0.5 / cycle)
    assert r2[0] < 0.5 * min(a, b)  # below the slowest hop's pace, the model before the SeQUeNCe check
    # storage: the first pair waits for the second, exponential with the other's rate, whatever the swaps
    # did before (a failure forgets everything): E[exp(-c Y)] = a/(a+b) b/(b+c) + b/(a+b) a/(a+c), c = 2 / T2
    storage = a / (a + b) * b / (b + c) + b / (a + b) * a / (a + c)
    heralded = [f50, ph.decohere(0.92, 2 * 30 / p.fibre_speed_km_s, 0.79)]
    w = ph.werner_parameter(heralded[0]) * ph.werner_parameter(heralded[1]) * storage
    assert f2[0] == pytest.approx(ph.werner_fidelity(w * np.exp(-c * 80 / p.fibre_speed_km_s)), rel=1e-12)
    assert float(ph.chain_storage([a, b], 0.5, 0.0, c)) == pytest.approx(storage, rel=1e-12)


def test_expected_max_by_hand():
    assert ph.expected_max([4.0]) == pytest.approx(0.25)
    assert ph.expected_max([2.0, 2.0]) == pytest.approx(1.5 / 2.0)  # 1/r (1 + 1/2)
    a, b = 3.0, 7.0
    assert ph.expected_max([a, b]) == pytest.approx(1 / a + 1 / b - 1 / (a + b))
    # rows of paths padded with nan: harmonic numbers H_3 and H_1 and a hop that never succeeds
    rows = ph.expected_max([[1.0, 1.0, 1.0], [2.0, np.nan, np.nan], [0.0, 1.0, np.nan]])
    np.testing.assert_allclose(rows, [1 + 1 / 2 + 1 / 3, 0.5, np.inf])
    assert ph.expected_max([[1.0, 1.0]], axis=0) == pytest.approx([1.0, 1.0])
    with pytest.raises(qb.ModelError, match="rates >= 0"):
        ph.expected_max([1.0, -2.0])
    # beyond 16 hops by quadrature of the same integral: 20 equal rates give the harmonic number H_20
    assert ph.expected_max(np.full(20, 2.0)) == pytest.approx(sum(1 / k for k in range(1, 21)) / 2, rel=1e-8)
    assert ph.expected_max(np.append(np.ones(17), 0.0)) == np.inf


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.1, 1e3), min_size=1, max_size=10))
def test_expected_max_quadrature_matches_inclusion_exclusion(rates):
    r = np.array(rates)
    assert ph._expected_max_quad(r) == pytest.approx(ph.expected_max(r), rel=1e-7)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.1, 1e4), min_size=1, max_size=8))
def test_expected_max_between_slowest_and_sum_and_order_free(rates):
    r = np.array(rates)
    e = ph.expected_max(r)
    assert np.max(1 / r) * (1 - 1e-9) <= e <= np.sum(1 / r) * (1 + 1e-9)
    assert ph.expected_max(r[::-1]) == pytest.approx(e, rel=1e-9)
    padded = np.concatenate([r, [np.nan, np.nan]])
    assert ph.expected_max(padded) == pytest.approx(e, rel=1e-12)


def test_expected_max_matches_sampling():
    rng = np.random.default_rng(0)
    r = np.array([5.0, 20.0, 8.0])
    x = rng.exponential(1 / r, size=(200_000, 3)).max(axis=1)
    assert ph.expected_max(r) == pytest.approx(x.mean(), rel=0.01)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(1, 200), min_size=1, max_size=6), st.floats(0, 3), st.floats(0, 3))
def test_protocol_overheads_only_slow_the_rate(lengths, c, d):
    L = np.array([lengths])
    _, r = ph.path_metrics(L, 0)
    _, r_slow = ph.path_metrics(L, 0, ph.Params(classical_exchange_rounds=c, reset_delays=d))
    assert r_slow[0] <= r[0] * (1 + 1e-12)


def test_params_are_sourced_and_checked():
    p = ph.Params()
    numeric = [f.name for f in dataclasses.fields(p) if f.name != "sources"]
    assert set(p.sources) == set(numeric)
    assert all(len(s) > 40 for s in p.sources.values())
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.link_fidelity = 0.5
    with pytest.raises(qb.ModelError, match="detector_efficiency"):
        ph.Params(detector_efficiency=1.2)
    with pytest.raises(qb.ModelError, match="link_fidelity"):
        ph.Params(link_fidelity=0.1)
    with pytest.raises(qb.ModelError, match="classical_exchange_rounds"):
        ph.Params(classical_exchange_rounds=-1)
    with pytest.raises(qb.ModelError, match="reset_delays"):
        ph.Params(reset_delays=np.inf)
    with pytest.raises(qb.ModelError, match="lengths"):
        ph.link_success([-1.0])
    with pytest.raises(qb.ModelError, match="protocol"):
        ph.purify(0.9, 1, "pumping")
    with pytest.raises(qb.ModelError, match="rounds"):
        ph.purify(0.9, -1)


# ------------------------------------------------------------------ properties
@settings(max_examples=60, deadline=None)
@given(good, st.sampled_from(ph.PROTOCOLS))
def test_purification_raises_fidelity_above_half(f, protocol):
    f1, cost = ph.purify(f, 1, protocol)
    assert f1 > f and 2 <= cost <= 4
    f2, cost2 = ph.purify(f, 2, protocol)
    assert f2 > f1 and cost2 > cost


@settings(max_examples=60, deadline=None)
@given(fid, fid)
def test_swapping_lowers_fidelity(f1, f2):
    out = ph.swap_fidelity(f1, f2)
    assert 0.25 - 1e-12 <= out <= min(f1, f2) + 1e-12


@settings(max_examples=60, deadline=None)
@given(fid, st.floats(0, 10), st.floats(0, 10), st.floats(0.01, 5))
def test_decoherence_decays_to_a_quarter(f, t1, t2, T):
    a, b = sorted([t1, t2])
    assert ph.decohere(f, b, T) <= ph.decohere(f, a, T) + 1e-12
    assert ph.decohere(f, 1e3 * T, T) == pytest.approx(0.25, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(1, 200), min_size=1, max_size=6), st.floats(1, 50))
def test_longer_fibre_and_more_hops_cost_rate(lengths, extra):
    L = np.array([lengths])
    _, r = ph.path_metrics(L, 0)
    _, r_long = ph.path_metrics(L + extra, 0)
    assert r_long[0] < r[0]
    f, _ = ph.path_metrics(L, 0)
    f_more, _ = ph.path_metrics(np.append(L, [[lengths[0]]], axis=1), 0)
    assert f_more[0] <= f[0]
    assert f_more[0] < f[0] or f[0] == pytest.approx(0.25)  # strictly, unless fully decohered


# ------------------------------------------------------------------ topologies
def test_great_circle_by_hand():
    # one degree of latitude on the IUGG mean sphere: 6371.0088 x pi / 180 = 111.1951 km
    assert tp.great_circle_km(0.0, 0.0, 0.0, 1.0) == pytest.approx(111.1951, abs=1e-3)
    assert tp.great_circle_km(10.0, 50.0, 10.0, 50.0) == 0.0


def test_shipped_surfnet_and_geant():
    s = tp.load_topology("surfnet")
    assert s.network.n_nodes == 50 and s.dropped == ()
    assert s.fibres.sum() == 73 and s.network.n_links == 68  # the Zoo's 73 links, parallel ones merged
    assert tp.ROUTING_FACTOR == 1.3 == s.routing_factor  # Bozkurt et al. 2018's median (topologies docstring)
    np.testing.assert_allclose(s.length_km, 1.3 * s.great_circle_km)
    np.testing.assert_allclose(s.network.cost, s.length_km)
    i, j = s.index("Leiden"), s.index("Oegstgeest")
    e = int(
        np.flatnonzero(((s.network.src == i) & (s.network.dst == j)) | ((s.network.src == j) & (s.network.dst == i)))[0]
    )
    lon, lat = s.network.pos[[i, j]].T
    assert s.great_circle_km[e] == pytest.approx(tp.great_circle_km(lon[0], lat[0], lon[1], lat[1]))
    g = tp.load_topology("GEANT", routing_factor=1.2)
    assert g.dropped == ("UA", "MD", "BY") and g.network.n_nodes == 37
    assert "UA" not in g.nodes and not g.network.directed
    np.testing.assert_allclose(g.length_km, 1.2 * g.great_circle_km)
    with pytest.raises(qb.ModelError, match="UA, MD, BY"):
        tp.load_topology("geant", drop_missing=False)


GML = """graph [
  label "toy"
  node [ id 0 label "A" Longitude 0.0 Latitude 0.0 ]
  node [ id 1 label "B" Longitude 0.0 Latitude 1.0 ]
  node [ id 2 label "C" Longitude 1.0 Latitude 1.0 ]
  node [ id 3 label "D" ]
  edge [ source 0 target 1 ]
  edge [ source 1 target 0 ]
  edge [ source 1 target 2 ]
  edge [ source 2 target 3 ]
]"""


def test_gml_reader_merges_parallel_links_and_drops_uncoordinated_nodes(tmp_path):
    t = tp.from_gml(GML, routing_factor=2.0)
    assert t.name == "toy" and t.nodes == ["A", "B", "C"] and t.dropped == ("D",)
    assert t.fibres.tolist() == [2, 1]
    assert t.length_km[0] == pytest.approx(2 * 111.1951, abs=1e-2)
    path = tmp_path / "toy.gml"
    path.write_text(GML)
    assert tp.load_topology(str(path)).nodes == ["A", "B", "C"]


@pytest.mark.parametrize(
    "text, kw, match",
    [
        (GML, {"drop_missing": False}, "without coordinates: D"),
        (GML, {"routing_factor": 0.9}, "routing_factor"),
        (GML.replace("edge [ source 1 target 2 ]", ""), {}, "disconnected once D .*: C cut off"),
        (GML.replace('label "C"', 'label "B"'), {}, "label 'B' is used twice"),
        (GML.replace("target 3", "target 9"), {}, "node id 9"),
        (GML[:-1], {}, "never closed"),
        ("graph [ label ]", {}, "no value"),
    ],
)
def test_gml_errors_name_the_culprit(text, kw, match):
    with pytest.raises(qb.ModelError, match=match):
        tp.from_gml(text, **kw)


def test_unknown_topology():
    with pytest.raises(qb.ModelError, match="unknown topology 'atlantis'"):
        tp.load_topology("atlantis")
    with pytest.raises(qb.ModelError, match="no node 'Atlantis'"):
        tp.load_topology("surfnet").index("Atlantis")


def test_unreachable_hops_give_a_useless_path_not_nan():
    f, r = ph.path_metrics([[1e6, 10.0]], 0, ph.Params(coherence_time_s=np.inf))
    assert np.isfinite(f[0]) and r[0] == 0.0
    f, r = ph.path_metrics([[1e6, 10.0]], 0)
    assert f[0] == pytest.approx(0.25) and r[0] == 0.0


def test_long_paths_beyond_inclusion_exclusion():
    # 20 equal hops of 5 km: the cycle is H_20 / R (quadrature past 16 hops) plus 100 km of signalling
    p = ph.Params()
    R = float(ph.link_rate(5.0, p))
    f, r = ph.path_metrics(np.full((1, 20), 5.0), 0, p)
    cycle = sum(1 / k for k in range(1, 21)) / R + 100 / p.fibre_speed_km_s
    assert r[0] == pytest.approx(0.5**19 / cycle, rel=1e-8)
    # beyond MAX_CHAIN_LINKS every pair is charged its heralding and one cycle (the approximation)
    herald = 2 * 5 / p.fibre_speed_km_s
    assert f[0] == pytest.approx(ph.chain_fidelity(ph.decohere(np.full(20, 0.92), herald + cycle, 0.79)), rel=1e-8)


# ------------------------------------------------------------------ repeater stations
def test_two_segment_link_by_hand():
    # 100 km with a station every 50 km: two 50 km links (the 50 km figures of test_link_generation_by_hand)
    p = ph.Params(repeater_spacing_km=50.0)
    assert ph.segments([100.0, 50.0, 49.0, 120.0], p).tolist() == [2, 1, 1, 3]
    assert ph.segments([100.0, 1e4], ph.DEFAULT).tolist() == [1, 1]  # no stations by default
    seg = 0.03124451 * 3305.37  # pairs/s of one 50 km link: p = 0.5 (0.93 0.85)^2 10^-1, v / (L (1 + P1))
    cycle = 1.5 / seg + 100.0 / 2.04e5  # E[max] of two equal links, then the station's swap signalled
    rate = 0.5 / cycle  # the station's linear-optics swap (repeater_swap_success) halves it
    assert cycle == pytest.approx(0.0150145, rel=1e-5)
    heralded = 0.25 + (0.92 - 0.25) * math.exp(-(2 * 50 / 2.04e5) / (1.58 / 2))  # two rounds of 50 / v
    w = (4 * heralded - 1) / 3
    c = 2 / 1.58
    storage = seg / (seg + c)  # the first pair waits Exp(seg) for the second: E[exp(-c Y)]
    fidelity = (1 + 3 * w * w * storage * math.exp(-c * 100 / 2.04e5)) / 4  # one Werner swap, then signalled
    assert (heralded, fidelity) == pytest.approx((0.919584, 0.840186), abs=2e-6)
    f, r = ph.path_metrics([[100.0]], 0, p)
    assert (f[0], r[0]) == pytest.approx((fidelity, rate), rel=1e-5)
    # the same as a two-hop path of 50 km fibres whose middle node swaps with the same success
    f2, r2 = ph.path_metrics([[50.0, 50.0]], 0)
    assert (f2[0], r2[0]) == pytest.approx((f[0], r[0]), rel=1e-12)
    # deterministic station swaps double the rate, leave the fidelity
    f1, r1 = ph.path_metrics([[100.0]], 0, dataclasses.replace(p, repeater_swap_success=1.0))
    assert (f1[0], r1[0]) == pytest.approx((f[0], 2 * r[0]), rel=1e-12)


def test_segments_carry_the_hops_rounds_and_padding():
    p = ph.Params(repeater_spacing_km=40.0)
    L, r = ph.expand_segments([[100.0, 30.0], [50.0, np.nan]], [[2, 1], [3, 0]], p)
    np.testing.assert_allclose(L[0], [100 / 3] * 3 + [30.0])
    np.testing.assert_allclose(L[1, :2], [25.0, 25.0])
    assert np.isnan(L[1, 2:]).all()
    assert r.tolist() == [[2, 2, 2, 1], [3, 3, 0, 0]]
    # a path with stations equals the path of its elementary links, but for the swaps' success
    q = ph.Params(repeater_spacing_km=40.0, repeater_swap_success=0.5)
    f, rate = ph.path_metrics([[100.0, 30.0]], [[2, 1]], q)
    f_flat, rate_flat = ph.path_metrics([L[0]], [r[0]], ph.DEFAULT)
    assert (f[0], rate[0]) == pytest.approx((f_flat[0], rate_flat[0]), rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(1, 400), min_size=1, max_size=4), st.floats(10, 400), st.integers(0, 2))
def test_stations_give_what_route_physics_recomputes(lengths, spacing, rounds):
    from qbdsl.problems.qnet import routing as R

    p = ph.repeater_grade(spacing)
    f, r = ph.path_metrics([lengths], rounds, p)
    f2, r2 = R.route_physics(lengths, [rounds] * len(lengths), p)
    assert f[0] == pytest.approx(f2, rel=1e-9)
    assert r[0] == pytest.approx(r2, rel=1e-7)


def test_repeaters_make_long_fibres_usable_only_with_long_memories():
    L = [[700.0]]
    assert ph.path_metrics(L, 3)[1][0] < 1e-12  # one 700 km link: nothing arrives (pairs/s)
    today = ph.Params(repeater_spacing_km=25.0)
    assert max(ph.path_metrics(L, r, today)[0][0] for r in range(4)) < 0.5  # storage eats it
    grade = ph.repeater_grade(25.0)
    assert (grade.coherence_time_s, grade.repeater_swap_success, grade.repeater_spacing_km) == (60.0, 1.0, 25.0)
    f, r = ph.path_metrics(L, 3, grade)
    assert f[0] > 0.9 and r[0] > 1.0
    with pytest.raises(qb.ModelError, match="repeater_spacing_km"):
        ph.repeater_grade(0.0)
    with pytest.raises(qb.ModelError, match="repeater_swap_success"):
        ph.Params(repeater_swap_success=0.0)
