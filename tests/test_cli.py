"""The qbdsl command line."""

import json
from pathlib import Path

import pytest

import qbdsl as qb
from qbdsl.cli import main

ROOT = Path(__file__).resolve().parent.parent
MODEL = f"{ROOT / 'examples' / 'slice_placement.py'}:build"
QOBLIB = ROOT / "problems" / "data" / "qoblib" / "network05.lp.xz"


def test_compile_model_function_to_qubo_and_milp(tmp_path, capsys):
    assert main(["compile", MODEL, "--target", "qubo", "-o", str(tmp_path / "s.qubo")]) == 0
    assert main(["compile", MODEL, "--target", "milp", "-o", str(tmp_path / "s.mps")]) == 0
    q = qb.load(tmp_path / "s.qubo")
    assert q.n == 22
    assert qb.load(tmp_path / "s.mps").var("x").shape == (3, 4)
    assert "wrote" in capsys.readouterr().out


def test_compile_files_across_targets(tmp_path):
    assert main(["compile", str(QOBLIB), "--target", "milp", "-o", str(tmp_path / "n5.lp")]) == 0
    assert qb.load(tmp_path / "n5.lp").n_vars == 101
    assert (
        main(
            [
                "compile",
                MODEL,
                "--target",
                "qubo",
                "--encoding",
                "unary",
                "--penalty",
                "cpu=99,place-once=auto",
                "-o",
                str(tmp_path / "s.npz"),
            ]
        )
        == 0
    )
    assert qb.load(tmp_path / "s.npz").weights["cpu"] == 99.0
    assert main(["compile", str(tmp_path / "s.npz"), "--target", "milp", "-o", str(tmp_path / "q.lp")]) == 0


def test_info_reports_counts_density_and_ranges(tmp_path, capsys):
    main(["compile", MODEL, "--target", "qubo", "-o", str(tmp_path / "s.qubo")])
    capsys.readouterr()
    assert main(["info", str(tmp_path / "s.qubo")]) == 0
    out = capsys.readouterr().out
    assert "QUBO" in out and "22" in out and "density" in out and "coefficient range" in out
    assert main(["info", str(QOBLIB)]) == 0
    out = capsys.readouterr().out
    assert "101 integer" in out and "130 rows" in out and "c100" in out


def test_solve_writes_json(tmp_path, capsys):
    out = tmp_path / "sol.json"
    assert main(["solve", MODEL, "--backend", "exact", "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["feasible"] and doc["objective"] == 7.0 and len(doc["values"]["x"]) == 3
    assert "optimal" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, match",
    [
        (["compile", "nope.py:f", "--target", "qubo", "-o", "x.qubo"], "no such file"),
        (["compile", MODEL.split(":")[0], "--target", "qubo", "-o", "x.qubo"], "say which function"),
        (["compile", MODEL.replace("build", "missing"), "--target", "qubo", "-o", "x.qubo"], "no function 'missing'"),
        (["compile", MODEL, "--target", "qubo", "-o", "x.lp"], "use .qubo, .npz or .bqm"),
        (["solve", MODEL, "--backend", "warp"], "unknown backend 'warp'"),
    ],
)
def test_errors_exit_2_with_a_message(argv, match, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert match in capsys.readouterr().err.replace("\n", " ")


def test_solve_with_backend_options_and_fallback(tmp_path, capsys):
    out = tmp_path / "a.json"
    assert (
        main(
            [
                "solve",
                MODEL,
                "--backend",
                "anneal",
                "--seed",
                "1",
                "--opt",
                "num_reads=20",
                "--opt",
                "num_sweeps=500",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    doc = json.loads(out.read_text())
    assert doc["backend"] == "anneal" and doc["feasible"] and doc["objective"] >= 7.0  # 7 is optimal
    m = tmp_path / "cont.py"
    m.write_text(
        "import qbdsl as qb\n\ndef build():\n    m = qb.Model('c')\n    f = m.continuous('f', lb=1, ub=3)\n"
        "    m.minimize(2 * f)\n    return m\n"
    )
    assert main(["solve", f"{m}:build", "--backend", "anneal", "--fallback", "ortools", "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["backend"] == "ortools" and doc["objective"] == 2.0 and doc["attempts"][0]["backend"] == "anneal"
    assert "fell back from anneal" in capsys.readouterr().out
    assert main(["solve", MODEL, "--opt", "novalue"]) == 2


def test_progress_wrapper_returns_and_reraises():
    import time

    from rich.console import Console

    from qbdsl.cli.progress import with_progress as _with_progress

    console = Console(file=open("/dev/null", "w"))
    assert _with_progress(console, "x", 0.2, lambda: (time.sleep(0.3), 5)[1], delay=0.05) == 5
    assert _with_progress(console, "x", None, lambda: (time.sleep(0.2), 6)[1], delay=0.05) == 6
    with pytest.raises(qb.ModelError, match="inner"):
        _with_progress(console, "x", None, lambda: (_ for _ in ()).throw(qb.ModelError("inner")), delay=0.05)


def test_problem_list_build_write_and_solve(tmp_path, capsys):
    assert main(["problem", "LIST"]) == 0
    out = capsys.readouterr().out
    assert "routing.min-mlu" in out and "network-design.qoblib" in out
    assert (
        main(
            [
                "problem",
                "routing.min-mlu",
                "--data",
                "repetita:Abilene",
                "--target",
                "milp",
                "-o",
                str(tmp_path / "ab.mps"),
                "--solve",
                "--backend",
                "ortools",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "objective 0.899999" in out
    assert qb.load(tmp_path / "ab.mps").var("flow").shape == (11, 28)
    assert (
        main(
            [
                "problem",
                "routing.kpath",
                "--data",
                "repetita:Abilene",
                "--opt",
                "k=2",
                "--opt",
                "demands=5",
                "--target",
                "qubo",
                "-o",
                str(tmp_path / "kp.qubo"),
            ]
        )
        == 0
    )
    assert qb.load(tmp_path / "kp.qubo").n <= 10
    assert main(["problem", "routing.min-mlu", "--data", "Atlantis"]) == 2
    assert "unknown network 'Atlantis'" in capsys.readouterr().err
    assert main(["problem", "routing.teleport", "--data", "Abilene"]) == 2


def test_experiment_orchestration_and_live(tmp_path, capsys):
    out = tmp_path / "orch"
    assert (
        main(
            [
                "experiment",
                "orchestration",
                "--loads",
                "0.9",
                "--tightness",
                "1.5",
                "--seeds",
                "2",
                "--jobs",
                "30",
                "--gap-seeds",
                "2",
                "--gap-jobs",
                "6",
                "--gap-time",
                "2",
                "--robustness",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "strongest matched" in text and "fraction of the hindsight bound" in text
    assert (out / "report.md").exists() and (out / "orchestration-gap.csv").exists()
    assert "| 0.9 | 1.5 | +0.5 | 0 |" in (out / "report.md").read_text()  # the robustness rows
    assert "Regenerate: `qbdsl experiment orchestration --loads 0.9 " in (out / "report.md").read_text()
    assert main(["experiment", "live", "--policies", "qip-edf"]) == 0
    text = capsys.readouterr().out
    assert text.count("served") >= 3 and "rejected" in text  # the 1 ms job is rejected up front
    assert main(["experiment", "live", "--time-scale", "0"]) == 2
    assert main(["experiment", "orchestration", "--gap-seeds", "1"]) == 2


def test_experiment_orchestration_on_fleet_and_workload_files(tmp_path, capsys):
    import json

    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(
        "qpus:\n  - {name: big, qubits: 40, clops: 1000, two_qubit_error: 0.01, overhead: 1}\n"
        "  - {name: small, qubits: 10, clops: 500, two_qubit_error: 0.001}\n"
    )
    work = tmp_path / "jobs.json"
    work.write_text(
        json.dumps(
            {
                "jobs": [
                    {"qubits": 30, "depth": 10, "shots": 1000, "arrival": 0, "deadline": 12},
                    {"qubits": 30, "depth": 10, "shots": 100, "arrival": 0, "deadline": 0.01},
                ]
            }
        )
    )
    assert main(["experiment", "orchestration", "--fleet", str(fleet), "--workload", str(work)]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "every policy on this trace (2 QPUs, 2 CPU workers)" in text
    from qbdsl.orchestrate import experiment as ox
    from qbdsl.orchestrate import load_fleet, load_jobs

    rows = {r["policy"]: r for r in ox.trace(load_jobs(work), load_fleet(fleet))}
    assert rows["qip-edf"]["served"] == 1 and all(r["impossible"] == 1 for r in rows.values())
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"qpus": [{"name": "x", "qubits": 5}]}))
    assert main(["experiment", "orchestration", "--fleet", str(bad), "--workload", str(work)]) == 2
    assert "missing field 'clops'" in capsys.readouterr().err
