"""The quantum-network problems through the catalogue and the command line's main()."""

import numpy as np
import pytest

import qbdsl as qb
from qbdsl.cli import main
from qbdsl.errors import ModelError
from qbdsl.problems.catalog import CATALOG, build
from qbdsl.problems.qnet import physics as qnet_physics

from .test_qnet_slicing import RING


def _run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, " ".join(out.out.split()), " ".join(out.err.split())


def test_listed(capsys):
    code, out, _ = _run(["problem", "LIST"], capsys)
    assert code == 0 and "qnet.routing" in out and "qnet.slicing" in out


def test_routing_builds_and_solves(capsys):
    argv = ["problem", "qnet.routing", "--data", "surfnet", "--opt", "requests=10", "--opt", "max_km=150"]
    code, out, err = _run(argv + ["--solve", "--backend", "ortools"], capsys)
    assert code == 0, err
    assert "ortools: status optimal" in out and "feasible True" in out


def test_slicing_builds_writes_and_solves(tmp_path, capsys):
    argv = ["problem", "qnet.slicing", "--data", "surfnet", "--opt", "slices=6", "--opt", "max_km=120"]
    f = tmp_path / "s.lp"
    code, out, err = _run(argv + ["-o", str(f), "--target", "milp", "--solve", "--backend", "ortools"], capsys)
    assert code == 0, err
    assert f.exists() and "ortools: status optimal" in out
    # the file holds the same problem: solving it gives the same optimum
    best = float(out.split("objective ")[1].split(",")[0])
    assert qb.solve(str(f), backend="ortools").objective == pytest.approx(best)


def test_options_reach_the_model():
    m = build(
        "qnet.routing",
        "surfnet",
        {"requests": "6", "max_km": "120", "channels": "1", "memory": "4", "form": "qubo", "seed": "3", "k": "2"},
    )
    assert m.form == "qubo" and list(m.variables) == ["serve"]
    np.testing.assert_array_equal(m.channels, m.topology.fibres)
    assert np.all(m.memory == 4) and m.requests.n == 6
    first_row = np.unique(m.candidates.path, return_index=True)[1]  # one row per candidate path
    assert np.bincount(m.candidates.owner[first_row]).max() <= 2
    s = build(
        "qnet.slicing",
        "surfnet",
        {"slices": 5, "bandwidth": 2.5, "channel_bandwidth": 1, "layers": "classical", "max_km": 100},
    )
    assert s.layers == "classical" and "quantum" not in s.variables
    np.testing.assert_allclose(s.capacities.bandwidth, 2.5 * s.topology.fibres)
    assert s.capacities.channel_bandwidth == 1.0 and s.slices.n == 5


def test_a_zoo_gml_file_is_data(tmp_path):
    f = tmp_path / "ring.gml"
    f.write_text(RING)
    m = build("qnet.slicing", str(f), {"slices": 3})
    assert m.topology.name == "ring" and m.slices.n == 3
    assert qb.solve(m, backend="ortools").feasible


@pytest.mark.parametrize(
    "argv, message",
    [
        (["qnet.routing", "--data", "atlantis"], "qnet.routing --data: unknown topology 'atlantis'"),
        (["qnet.routing"], "qnet.routing needs --data (a fibre topology: surfnet, geant"),
        (["qnet.routing", "--data", "surfnet", "--opt", "requests=5000"], "bad option requests=5000 (cannot draw"),
        (["qnet.routing", "--data", "surfnet", "--opt", "requests=0"], "bad option requests=0 (expected"),
        (["qnet.routing", "--data", "surfnet", "--opt", "protocol=magic"], "protocol=magic (expected one of dejmps"),
        (["qnet.routing", "--data", "surfnet", "--opt", "objective=fast"], "objective=fast (expected one of served"),
        (
            ["qnet.routing", "--data", "surfnet", "--opt", "max_rounds=9"],
            "max_rounds=9 (expected a whole number in 0..8",
        ),
        (["qnet.routing", "--data", "surfnet", "--opt", "warp=1"], "unknown option 'warp'"),
        (["qnet.routing", "--data", "geant"], "no request can be served on 'geant'"),
        (["qnet.slicing", "--data", "surfnet", "--opt", "max_km=0"], "max_km=0 (expected a number > 0"),
        (["qnet.slicing", "--data", "surfnet", "--opt", "bandwidth=-2"], "bandwidth=-2 (expected a number > 0"),
        (["qnet.slicing", "--data", "surfnet", "--opt", "layers=both"], "layers=both (expected one of joint"),
        (["qnet.slicing", "--data", "surfnet", "--opt", "channel_bandwidth=x"], "channel_bandwidth=x (expected"),
        (["qnet.slicing", "--data", "geant"], "no slice can be admitted on 'geant'"),
    ],
)
def test_bad_input_is_one_clear_error(argv, message, capsys):
    code, _, err = _run(["problem", *argv], capsys)
    assert code == 2
    assert err.count("qbdsl: error:") == 1 and message in err, err


def test_size_is_declared():
    for name in ("qnet.routing", "qnet.slicing"):
        assert CATALOG[name].size is not None
    with pytest.raises(qb.ModelError, match="path-link entries"):
        build("qnet.routing", "surfnet", {"requests": 1225, "k": 200})


def test_physics_options_reach_the_model(capsys):
    base = {"requests": "6", "max_km": "1500", "seed": "1", "memory": "6"}
    assert build("qnet.routing", "surfnet", base).params == qnet_physics.DEFAULT  # no stations, asap swaps
    # GEANT's fibres serve something only with stations and long memories (README): options, not Python
    with pytest.raises(qb.ModelError, match="no request can be served on 'geant'"):
        build("qnet.routing", "geant", base)
    m = build("qnet.routing", "geant", {**base, "repeater_spacing_km": "25", "memories": "repeater-grade"})
    assert m.params == qnet_physics.repeater_grade(25.0) and m.candidates.owner.size > 0
    from qbdsl.problems.catalog import _qnet_params

    opts = {"repeater_spacing_km": None, "swap_order": "asap", "memories": "today", "platform": "trapped_ion_230m"}
    assert _qnet_params(opts) == qnet_physics.platform("trapped_ion_230m")  # the preset, options on top
    with pytest.raises(ModelError, match="no request can be served"):  # 854 nm light over SURFnet (README)
        build("qnet.routing", "surfnet", {"requests": 3, "platform": "trapped_ion_230m"})
    s = build("qnet.slicing", "surfnet", {"slices": 4, "repeater_spacing_km": 30, "swap_order": "nested"})
    assert s.params.repeater_spacing_km == 30.0 and s.params.swap_order == "nested"
    argv = ["problem", "qnet.routing", "--data", "geant", "--opt", "requests=6", "--opt", "max_km=1500"]
    argv += ["--opt", "repeater_spacing_km=25", "--opt", "memories=repeater-grade", "--solve", "--backend", "ortools"]
    code, out, err = _run(argv, capsys)
    assert code == 0, err
    assert "feasible True" in out
    code, _, err = _run(argv[:-3] + ["--opt", "repeater_spacing_km=-5"], capsys)
    assert code != 0 and "repeater_spacing_km=-5" in err
