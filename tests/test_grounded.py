"""The grounded orchestration data (qbdsl/orchestrate/data/) and its loader.

The shipped files must parse, agree with each other (a circuit has an entry exactly for the
devices wide enough), carry sources, and have ESPs that obey their definition. The last test
regenerates one circuit with scripts/ground_orchestration.py when qiskit-ibm-runtime and
mqt.bench are installed (the `grounding` / `test` extras) and compares it with the file.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import math
from collections import defaultdict
from pathlib import Path

import pytest

from qbdsl.errors import FileFormatError
from qbdsl.orchestrate import grounded
from qbdsl.orchestrate.grounded import CircuitProfile, circuit_library, ibm_fleet_data

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "qbdsl" / "orchestrate" / "data"


@pytest.fixture(scope="module")
def fleet():
    return ibm_fleet_data()


@pytest.fixture(scope="module")
def devices(fleet):
    return {d["name"]: d for d in fleet["qpus"]}


@pytest.fixture(scope="module")
def library():
    return circuit_library()


@pytest.fixture(scope="module")
def raw_circuits():
    return json.loads((DATA / "mqt_circuits.json").read_text())


def test_fleet_has_the_processor_families(devices):
    families = [d["family"] for d in devices.values()]
    assert families.count("Heron r2") >= 2
    assert "Heron r1" in families and "Eagle r3" in families
    assert {"fez", "marrakesh", "torino", "kyiv"} <= set(devices)
    for d in devices.values():
        assert d["qubits"] in (127, 133, 156)
        assert 0 < d["usable_qubits"] <= d["qubits"]
        assert d["coupling_edges"] >= d["qubits"] - 1  # a connected heavy-hex lattice
        assert 1e-4 < d["median_two_qubit_error"] < 0.05
        assert d["best_two_qubit_error"] <= d["median_two_qubit_error"]
        assert 1e-4 < d["median_readout_error"] < 0.1
        assert 10 < d["median_t1_us"] < 1000 and 10 < d["median_t2_us"] < 1000
        assert d["snapshot_date"][:4].isdigit()


def test_every_device_has_clops_and_its_source(devices):
    for name, d in devices.items():
        assert d["clops"] > 1000, name
        assert d["clops_metric"] in ("CLOPS", "CLOPS_h")
        src = d["sources"]["clops"]
        assert src["value"] == d["clops"]
        assert src["url"].startswith("https://") and name in src["url"]
        assert src["snapshot_date"] and src["definition"].startswith("https://")
        assert d["sources"]["calibration"]
    # Heron's published speed is several times Eagle's (kyiv: 30k CLOPS_h)
    assert devices["fez"]["clops"] > 3 * devices["kyiv"]["clops"]


def test_overhead_and_wire_cut_are_sourced(fleet):
    assert fleet["overhead"]["value"] > 0 and fleet["overhead"]["assumption"] is True
    cut = fleet["wire_cut_sampling_overhead"]
    assert cut["value"] == pytest.approx(cut["gamma"] ** 2) == pytest.approx(9.0)
    refs = " ".join(c["ref"] for c in cut["citations"])
    assert "2302.03366" in refs and "2303.07340" in refs
    assert cut["alternatives"]["peng_2020"]["value"] == 16.0
    for key in ("licence", "versions", "generated_by"):
        assert fleet[key]
    assert "Apache" in fleet["licence"]["qiskit-ibm-runtime"] and "MIT" in fleet["licence"]["mqt.bench"]


def test_fleet_file_is_a_qbdsl_fleet_file(devices):
    from qbdsl.orchestrate.workload import load_fleet

    qpus = load_fleet(DATA / "ibm_fleet.json")
    assert [q.name for q in qpus] == list(devices)
    for q in qpus:
        assert q.clops == devices[q.name]["clops"] and q.qubits == devices[q.name]["qubits"]


def test_library_spans_families_and_sizes(library, raw_circuits):
    assert all(isinstance(c, CircuitProfile) for c in library)
    names = [c.name for c in library]
    assert len(names) == len(set(names)) >= 60
    families = {c.family for c in library}
    assert len(families) >= 10 and {"qaoa", "ghz", "qft"} <= families
    assert min(c.qubits for c in library) <= 5 and max(c.qubits for c in library) >= 125
    assert raw_circuits["versions"]["mqt.bench"] and raw_circuits["licence"]["mqt.bench"]
    assert all(c.name == f"{c.family}-{c.qubits}" for c in library)


def test_each_circuit_is_on_exactly_the_devices_wide_enough(library, devices):
    for c in library:
        wide = {n for n, d in devices.items() if d["usable_qubits"] >= c.qubits}
        assert set(c.depth_on) == wide, c.name
        assert set(c.two_qubit_on) == set(c.esp_on) == set(c.log10_esp_on) == wide
        for n in c.depth_on:
            assert c.qubits <= devices[n]["qubits"]
            assert c.depth_on[n] >= 1 and c.two_qubit_on[n] >= 0
        assert c.depth >= 1


def test_esp_obeys_its_definition(library, devices):
    """ESP is in (0, 1] (0.0 only below double precision), equals 10**log10_esp, and is at most
    (1 - best two-qubit error) ** (two-qubit gates): every factor of the product is <= 1."""
    for c in library:
        for n, p in c.esp_on.items():
            log10 = c.log10_esp_on[n]
            assert 0.0 <= p <= 1.0 and log10 <= 0.0
            if log10 > -300:
                assert p > 0 and p == pytest.approx(10**log10, rel=1e-9), (c.name, n)
            else:
                assert p < 1e-290
            bound = c.two_qubit_on[n] * math.log10(1 - devices[n]["best_two_qubit_error"])
            assert log10 <= bound + 1e-9, (c.name, n, log10, bound)


def test_esp_falls_as_circuits_grow(library):
    """Within a family on one device, the largest circuit succeeds less often than the smallest,
    and the ESP rank-correlates negatively with the two-qubit gate count."""
    groups = defaultdict(list)
    for c in library:
        for n in c.esp_on:
            groups[(c.family, n)].append((c.qubits, c.two_qubit_on[n], c.log10_esp_on[n]))
    checked = 0
    for key, rows in groups.items():
        if len(rows) < 3:
            continue
        rows.sort()
        assert rows[-1][2] < rows[0][2], key
        twoq = [r[1] for r in rows]
        logs = [r[2] for r in rows]
        falling = sum(
            (a2 - a1) * (b2 - b1) < 0
            for i, (a1, b1) in enumerate(zip(twoq, logs))
            for a2, b2 in list(zip(twoq, logs))[i + 1 :]
        )
        pairs = len(rows) * (len(rows) - 1) // 2
        assert falling >= 0.8 * pairs, (key, falling, pairs)
        checked += 1
    assert checked >= 40


def test_loader_imports_nothing_from_the_grounding_extra():
    tree = ast.parse((ROOT / "qbdsl" / "orchestrate" / "grounded.py").read_text())
    mods = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    mods |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and not n.level}
    assert not mods & {"qiskit", "qiskit_ibm_runtime", "mqt", "numpy"}, mods


@pytest.mark.parametrize(
    "filename, text, message",
    [
        ("ibm_fleet.json", "{not json", "not valid JSON"),
        ("ibm_fleet.json", '{"qpus": []}', "non-empty 'qpus'"),
        (
            "ibm_fleet.json",
            '{"qpus": [{"name": "a", "family": "x", "qubits": 5, "clops": 1e5, "overhead": 0.5, '
            '"sources": {}}], "wire_cut_sampling_overhead": {"value": 9}}',
            "two_qubit_error",
        ),
        (
            "mqt_circuits.json",
            '{"circuits": [{"name": "ghz-5", "family": "ghz", "qubits": 5, "depth": 6, '
            '"on": {"fez": {"depth": 9, "two_qubit_gates": 4, "esp": 1.5, "log10_esp": 0}}}]}',
            "esp must be in [0, 1]",
        ),
        ("mqt_circuits.json", None, "missing or unreadable"),
    ],
)
def test_bad_data_files_raise_file_format_error(tmp_path, monkeypatch, filename, text, message):
    (tmp_path / "data").mkdir()
    if text is not None:
        (tmp_path / "data" / filename).write_text(text)
    monkeypatch.setattr(grounded.resources, "files", lambda package: tmp_path)
    load = ibm_fleet_data if filename == "ibm_fleet.json" else circuit_library
    with pytest.raises(FileFormatError) as info:
        load()
    assert filename in str(info.value) and message in str(info.value)


def test_regenerating_one_circuit_reproduces_the_shipped_profile(raw_circuits):
    pytest.importorskip("qiskit_ibm_runtime")
    pytest.importorskip("mqt.bench")
    spec = importlib.util.spec_from_file_location("ground_orchestration", ROOT / "scripts" / "ground_orchestration.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    installed = script.versions()
    for pkg in ("qiskit", "qiskit-ibm-runtime", "mqt.bench"):
        if installed[pkg] != raw_circuits["versions"][pkg]:
            pytest.skip(f"{pkg} {installed[pkg]} installed, the file was made with {raw_circuits['versions'][pkg]}")
    shipped = next(c for c in raw_circuits["circuits"] if c["name"] == "ghz-5")
    fresh = script.circuit_record("ghz", 5, devices=["fez"])
    assert (fresh["qubits"], fresh["depth"]) == (shipped["qubits"], shipped["depth"])
    got, want = fresh["on"]["fez"], shipped["on"]["fez"]
    for key in ("depth", "two_qubit_depth", "two_qubit_gates", "gates", "measurements"):
        assert got[key] == want[key], key
    assert got["esp"] == pytest.approx(want["esp"], rel=1e-12)
    assert got["log10_esp"] == pytest.approx(want["log10_esp"], rel=1e-12)
