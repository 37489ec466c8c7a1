"""Every user mistake on the command line: one line on stderr, the culprit named, no traceback.

Exit codes: 2 for bad input or usage (ModelError, OptionError, FileFormatError), 1 for a
run that failed (BackendError) or an internal error; ``--debug`` shows the traceback.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

import qbdsl as qb
from qbdsl.cli import main

ROOT = Path(__file__).resolve().parent.parent
MODEL = f"{ROOT / 'examples' / 'slice_placement.py'}:build"


def _files(folder: Path) -> None:
    """The broken inputs the cases below refer to, by relative name."""
    (folder / "adir").mkdir()
    (folder / "afile").write_text("not a folder\n")
    (folder / "syn.py").write_text("import qbdsl as qb\ndef build(:\n    pass\n")
    (folder / "raises.py").write_text("import qbdsl as qb\n\n\ndef build():\n    return 1 / 0\n")
    (folder / "modraise.py").write_text("import qbdsl as qb\nraise RuntimeError('no licence server')\n")
    (folder / "neg.qubo").write_text("p qubo 0 -3 0 0\n")
    (folder / "huge.qubo").write_text("p qubo 0 100000000000 0 0\n")
    for ext in ("gz", "xz", "bz2"):
        (folder / f"x.lp.{ext}").write_text("hello\n")
    (folder / "bad.json").write_text("[1, 2")
    (folder / "list.json").write_text(json.dumps({"qpus": [{"name": "q", "qubits": "many", "clops": 1,
                                                              "two_qubit_error": 0.01}]}))
    (folder / "jobs.json").write_text(json.dumps({"jobs": [{"qubits": "abc", "depth": 1, "shots": 1,
                                                             "arrival": 0, "deadline": 1}]}))


KPATH = ["problem", "routing.kpath", "--data", "repetita:Abilene"]
ORCH = ["experiment", "orchestration"]

# (argv, exit code, text that must appear in the one error line)
CASES = {
    "compile -o folder": (["compile", MODEL, "--target", "qubo", "-o", "adir"], 2, "adir is a folder"),
    "compile -o under a file": (["compile", MODEL, "--target", "qubo", "-o", "afile/x.qubo"], 2, "afile is a file"),
    "solve -o folder": (["solve", MODEL, "--backend", "exact", "-o", "adir"], 2, "adir is a folder"),
    "problem -o folder": (KPATH + ["--target", "qubo", "-o", "adir"], 2, "adir is a folder"),
    "problem -o without --target": (KPATH + ["-o", "k.qubo"], 2, "-o needs --target"),
    "calibrate -o folder": (["calibrate", "--quick", "-o", "adir"], 2, "adir is a folder"),
    "experiment -o file": (["experiment", "qip", "-o", "afile"], 2, "afile is a file"),
    "info folder": (["info", "adir"], 2, "adir: is a folder"),
    "info missing": (["info", "missing.qubo"], 2, "missing.qubo: no such file"),
    "explain missing": (["explain", "missing.lp"], 2, "missing.lp: no such file"),
    "compile missing .py": (["compile", "nope.py:f", "--target", "qubo", "-o", "x.qubo"], 2, "nope.py: no such file"),
    "penalty word": (["compile", MODEL, "--target", "qubo", "--penalty", "xyz", "-o", "x.qubo"], 2, "'xyz'"),
    "penalty weight": (["compile", MODEL, "--target", "qubo", "--penalty", "cpu=abc", "-o", "x.qubo"], 2,
                       "--penalty cpu=abc"),
    "penalty part": (["compile", MODEL, "--target", "qubo", "--penalty", "cpu=1,oops", "-o", "x.qubo"], 2,
                     "'oops' is not NAME=WEIGHT"),
    "opt not a number": (KPATH + ["--opt", "k=abc"], 2, "bad option k=abc (expected a whole number >= 1)"),
    "opt out of range": (KPATH + ["--opt", "k=0"], 2, "bad option k=0"),
    "opt too many demands": (KPATH + ["--opt", "demands=200"], 2, "demands=200 (expected a whole number in 1..110"),
    "opt misspelt": (KPATH + ["--opt", "kk=7"], 2, "unknown option 'kk'; options: k=3"),
    "opt bad choice": (KPATH + ["--opt", "objective=max"], 2, "objective=max (expected one of congestion|mlu)"),
    "opt without =": (KPATH + ["--opt", "k"], 2, "--opt takes KEY=VALUE, got 'k'"),
    "data waxman": (["problem", "routing.kpath", "--data", "waxman:abc"], 2, "'waxman:abc': waxman:N takes"),
    "data grid": (["problem", "routing.kpath", "--data", "grid:3"], 2, "'grid:3': grid:RxC takes"),
    "data grid zero": (["problem", "routing.kpath", "--data", "grid:0x3"], 2, "'grid:0x3'"),
    "data unknown": (["problem", "routing.min-mlu", "--data", "Atlantis"], 2, "unknown network 'Atlantis'"),
    "data ambiguous": (["problem", "routing.kpath", "--data", "Abilene"], 2,
                       "say repetita:Abilene or sndlib:abilene"),
    "data wrong collection": (["problem", "routing.capacity-design", "--data", "repetita:Abilene"], 2,
                              "'repetita:Abilene' is a REPETITA network"),
    "data not a count": (["problem", "ran.min-power", "--data", "abc"], 2, "bad --data 'abc'"),
    "data count range": (["problem", "network-design.qoblib", "--data", "30"], 2, "'30' (expected n"),
    "problem unknown": (["problem", "routing.teleport", "--data", "x"], 2, "unknown problem 'routing.teleport'"),
    "problem no data": (["problem", "routing.kpath"], 2, "routing.kpath needs --data"),
    "loads": (ORCH + ["--loads", "abc"], 2, "--loads takes positive numbers"),
    "tightness": (ORCH + ["--tightness", "1,0"], 2, "--tightness takes positive numbers separated by commas, got '0'"),
    "seeds": (ORCH + ["--seeds", "1"], 2, "--seeds must be at least 2"),
    "fleet missing": (ORCH + ["--fleet", "missing.yaml"], 2, "--fleet missing.yaml: no such file"),
    "fleet folder": (ORCH + ["--fleet", "adir"], 2, "--fleet adir: is a folder"),
    "fleet malformed": (ORCH + ["--fleet", "bad.json"], 2, "bad.json: cannot parse"),
    "fleet bad value": (ORCH + ["--fleet", "list.json"], 2, "list.json: qpus[0]"),
    "workload bad value": (ORCH + ["--workload", "jobs.json"], 2, "jobs.json: ValueError"),
    "experiment unknown": (["experiment", "bogus"], 2, "unknown experiment 'bogus'"),
    "model syntax error": (["compile", "syn.py:build", "--target", "qubo", "-o", "x.qubo"], 2,
                           "syn.py:2: SyntaxError: "),
    "model raises": (["compile", "raises.py:build", "--target", "qubo", "-o", "x.qubo"], 2,
                     "raises.py:5: build() raised ZeroDivisionError: division by zero"),
    "model module raises": (["solve", "modraise.py:build"], 2,
                            "modraise.py:2: running modraise.py raised RuntimeError: no licence server"),
    "model function missing": (["compile", MODEL.replace("build", "nope"), "--target", "qubo", "-o", "x.qubo"], 2,
                               "no function 'nope'"),
    "qubo negative header": (["info", "neg.qubo"], 2, "neg.qubo:1: maxDiagonals must be >= 0, got -3"),
    "qubo huge header": (["info", "huge.qubo"], 2, "huge.qubo:1: maxDiagonals 100000000000 exceeds"),
    "corrupt gz": (["info", "x.lp.gz"], 2, "x.lp.gz: not a valid gzip file"),
    "corrupt xz": (["info", "x.lp.xz"], 2, "x.lp.xz: not a valid xz file"),
    "corrupt bz2": (["solve", "x.lp.bz2"], 2, "x.lp.bz2: not a valid bzip2 file"),
    "unknown backend": (["solve", MODEL, "--backend", "warp"], 2, "'warp'"),
    "backend option": (["solve", MODEL, "--backend", "anneal", "--opt", "num_reads=0"], 2, "num_reads"),
    "time-scale": (["experiment", "live", "--time-scale", "0"], 2, "--time-scale must be positive"),
}


@pytest.mark.parametrize("argv, code, culprit", list(CASES.values()), ids=list(CASES))
def test_mistake_gives_one_line_and_exit_code(argv, code, culprit, tmp_path, monkeypatch, capsys):
    _files(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(argv) == code
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("qbdsl: error: ") and culprit in lines[0], lines[0]
    assert "Traceback" not in out + err


@pytest.mark.parametrize("raised, code, text", [
    (qb.OptionError("anneal: option num_reads must be >= 1"), 2, "qbdsl: error: anneal: option num_reads must be >= 1"),
    (qb.BackendError("ortools: solver crashed\ndetails on a second line"), 1,
     "qbdsl: error: ortools: solver crashed; details on a second line"),
    (RuntimeError("boom"), 1, "qbdsl: error: internal error: RuntimeError: boom (run with --debug for the traceback)"),
    (PermissionError(13, "Permission denied", "/root/x"), 1, "qbdsl: error: /root/x: Permission denied"),
    (KeyboardInterrupt(), 130, "qbdsl: error: interrupted"),
])
def test_exceptions_from_a_run_map_to_exit_codes(raised, code, text, monkeypatch, capsys):
    import importlib

    def fail(*a, **kw):
        raise raised

    monkeypatch.setattr(importlib.import_module("qbdsl.solve"), "solve", fail)   # the module, not qb.solve
    assert main(["solve", MODEL, "--backend", "exact"]) == code
    assert capsys.readouterr().err == text + "\n"


def test_debug_shows_the_traceback(tmp_path, monkeypatch, capsys):
    _files(tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(qb.ModelError, match="build\\(\\) raised ZeroDivisionError") as err:
        main(["--debug", "compile", "raises.py:build", "--target", "qubo", "-o", "x.qubo"])
    assert isinstance(err.value.__cause__, ZeroDivisionError)      # the user's own frame is in the chain
    with pytest.raises(qb.FileFormatError, match="maxDiagonals must be >= 0"):
        main(["info", "neg.qubo", "--debug"])                      # also after the command name


def test_console_entry_prints_no_traceback(tmp_path):
    _files(tmp_path)
    cmd = [sys.executable, "-m", "qbdsl.cli"]
    r = subprocess.run(cmd + ["problem", "routing.kpath", "--data", "repetita:Abilene", "--opt", "kk=7"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.splitlines() == [r.stderr.strip()] and r.stderr.startswith("qbdsl: error: routing.kpath: unknown")
    assert "Traceback" not in r.stdout + r.stderr
    r = subprocess.run(cmd + ["--debug", "info", "neg.qubo"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 1 and "Traceback" in r.stderr and "maxDiagonals must be >= 0" in r.stderr


@pytest.mark.parametrize("argv", [
    ["compile", MODEL, "--target", "qubo", "-o", "new/deeper/s.qubo"],
    ["solve", MODEL, "--backend", "exact", "-o", "new/deeper/s.json"],
    KPATH + ["--opt", "demands=3", "--target", "qubo", "-o", "new/deeper/s.qubo"],
])
def test_output_folders_are_created_by_every_command(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 0
    assert (tmp_path / argv[-1]).is_file()
    assert [p.name for p in (tmp_path / "new" / "deeper").iterdir()] == [Path(argv[-1]).name]   # no temporaries


def test_bare_names_resolve_where_one_collection_fits(capsys):
    assert main(["problem", "routing.min-mlu", "--data", "Cernet"]) == 0               # REPETITA only
    assert main(["problem", "routing.capacity-design", "--data", "abilene"]) == 0      # needs SNDlib's modules
    assert main(["problem", "routing.kpath", "--data", "sndlib:Abilene", "--opt", "demands=4"]) == 0
    out = capsys.readouterr().out
    assert "min-mlu-Cernet" in out and "capacity-design-abilene" in out and "kpath-congestion-abilene" in out
