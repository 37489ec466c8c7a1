"""Every user mistake on the command line: one line on stderr, the culprit named, no traceback.

Exit codes: 2 for bad input or usage (ModelError, OptionError, FileFormatError), 1 for a
run that failed (BackendError) or an internal error; ``--debug`` shows the traceback.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import qbdsl as qb
from qbdsl.cli import main
from qbdsl.ir.terms import QuboTerms
from qbdsl.problems import data
from qbdsl.problems import scheduling as sc
from qbdsl.qip import decide, load_profiles

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
    (folder / "q.qubo").write_text("p qubo 0 2 2 1\n0 0 -1\n1 1 -1\n0 1 2\n")
    for ext in ("gz", "xz", "bz2"):
        (folder / f"x.lp.{ext}").write_text("hello\n")
    (folder / "bad.json").write_text("[1, 2")
    (folder / "list.json").write_text(
        json.dumps({"qpus": [{"name": "q", "qubits": "many", "clops": 1, "two_qubit_error": 0.01}]})
    )
    (folder / "jobs.json").write_text(
        json.dumps({"jobs": [{"qubits": "abc", "depth": 1, "shots": 1, "arrival": 0, "deadline": 1}]})
    )
    (folder / "badprof.json").write_text('{\n  "format": "qbdsl-profiles",\n  "profiles": {,\n}\n')
    (folder / "nanprof.json").write_text(
        '{"format": "qbdsl-profiles", "profiles": {"exact": {"name": "exact", '
        '"accepts": ["qubo"], "a": NaN, "b": 1e-8}}}'
    )


KPATH = ["problem", "routing.kpath", "--data", "repetita:Abilene"]
ORCH = ["experiment", "orchestration"]
SCHED = ["problem", "scheduling.qpu", "--data", "5"]
EXPLAIN = ["explain", MODEL]
SOLVE = ["solve", MODEL, "--backend", "anneal"]
SEED_RANGE = "expected a whole number in 0..4294967295"
SECONDS = "expected a positive number of seconds"

# (argv, exit code, text that must appear in the one error line; a regular expression where it has ".*")
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
    "penalty weight": (
        ["compile", MODEL, "--target", "qubo", "--penalty", "cpu=abc", "-o", "x.qubo"],
        2,
        "--penalty cpu=abc",
    ),
    "penalty part": (
        ["compile", MODEL, "--target", "qubo", "--penalty", "cpu=1,oops", "-o", "x.qubo"],
        2,
        "'oops' is not NAME=WEIGHT",
    ),
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
    "data ambiguous": (["problem", "routing.kpath", "--data", "Abilene"], 2, "say repetita:Abilene or sndlib:abilene"),
    "data wrong collection": (
        ["problem", "routing.capacity-design", "--data", "repetita:Abilene"],
        2,
        "'repetita:Abilene' is a REPETITA network",
    ),
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
    "workload bad value": (ORCH + ["--workload", "jobs.json"], 2, "jobs.json: jobs[0]: invalid literal"),
    "experiment unknown": (["experiment", "bogus"], 2, "unknown experiment 'bogus'"),
    "model syntax error": (
        ["compile", "syn.py:build", "--target", "qubo", "-o", "x.qubo"],
        2,
        "syn.py:2: SyntaxError: ",
    ),
    "model raises": (
        ["compile", "raises.py:build", "--target", "qubo", "-o", "x.qubo"],
        2,
        "raises.py:5: build() raised ZeroDivisionError: division by zero",
    ),
    "model module raises": (
        ["solve", "modraise.py:build"],
        2,
        "modraise.py:2: running modraise.py raised RuntimeError: no licence server",
    ),
    "model function missing": (
        ["compile", MODEL.replace("build", "nope"), "--target", "qubo", "-o", "x.qubo"],
        2,
        "no function 'nope'",
    ),
    "qubo negative header": (["info", "neg.qubo"], 2, "neg.qubo:1: maxDiagonals must be >= 0, got -3"),
    "qubo huge header": (["info", "huge.qubo"], 2, "huge.qubo:1: maxDiagonals 100000000000 exceeds"),
    "corrupt gz": (["info", "x.lp.gz"], 2, "x.lp.gz: not a valid gzip file"),
    "corrupt xz": (["info", "x.lp.xz"], 2, "x.lp.xz: not a valid xz file"),
    "corrupt bz2": (["solve", "x.lp.bz2"], 2, "x.lp.bz2: not a valid bzip2 file"),
    "unknown backend": (["solve", MODEL, "--backend", "warp"], 2, "'warp'"),
    "backend option": (["solve", MODEL, "--backend", "anneal", "--opt", "num_reads=0"], 2, "num_reads"),
    "time-scale": (["experiment", "live", "--time-scale", "0"], 2, f"argument --time-scale: {SECONDS}, got '0'"),
    # the size of what a problem allocates is checked before it is allocated
    "slot too fine": (SCHED + ["--opt", "slot=1e-9"], 2, "slot=1e-09 s makes a schedule grid of 4.92e+20 entries"),
    "slot denormal": (SCHED + ["--opt", "slot=1e-320"], 2, "schedule grid of inf entries"),
    "batches too many": (SCHED + ["--opt", "batches=100000000"], 2, "2e+09 (batch, QPU) pairs, above the 1e+07"),
    "jobs too many": (["problem", "scheduling.qpu", "--data", "1000000000"], 2, "--data 1000000000 with these"),
    "waxman too large": (
        ["problem", "routing.min-mlu", "--data", "waxman:100000"],
        2,
        "'waxman:100000': waxman:N takes a whole number N in 2..5000",
    ),
    "waxman 5000 digits": (["problem", "routing.min-mlu", "--data", "waxman:" + "9" * 5000], 2, "N in 2..5000"),
    "grid too large": (
        ["problem", "routing.min-mlu", "--data", "grid:100x100"],
        2,
        "'grid:100x100': grid:RxC takes whole numbers R, C >= 1 with 2..5000 nodes",
    ),
    "min-mlu too large": (
        ["problem", "routing.min-mlu", "--data", "waxman:500"],
        2,
        "flow variables (sources x links), above the 1e+07",
    ),
    "sum-rate too large": (["problem", "ran.sum-rate", "--data", "100000"], 2, "1.6e+11 couplers ((K x levels)^2)"),
    "min-power levels": (
        ["problem", "ran.min-power", "--data", "1", "--opt", "levels=100000000"],
        2,
        "interference terms (K x K x levels)",
    ),
    "slicing too large": (["problem", "slicing.placement", "--data", "waxman:1000"], 2, "placement terms"),
    # --seed, --deadline, --time-limit: checked by argparse, named
    "seed negative": (SOLVE + ["--seed", "-1"], 2, f"argument --seed: {SEED_RANGE}, got '-1'"),
    "seed 2^32": (KPATH + ["--solve", "--seed", "4294967296"], 2, f"{SEED_RANGE}, got '4294967296'"),
    "seed not whole": (SOLVE + ["--seed", "1.5"], 2, f"argument --seed: {SEED_RANGE}, got '1.5'"),
    "experiment deadline nan": (["experiment", "qip", "--deadline", "nan"], 2, f"argument --deadline: {SECONDS}"),
    "explain deadline inf": (EXPLAIN + ["--deadline", "inf"], 2, f"argument --deadline: {SECONDS}, got 'inf'"),
    "solve deadline 0": (["solve", MODEL, "--deadline", "0"], 2, f"argument --deadline: {SECONDS}, got '0'"),
    "solve time-limit inf": (SOLVE + ["--time-limit", "inf"], 2, f"argument --time-limit: {SECONDS}, got 'inf'"),
    "problem time-limit negative": (KPATH + ["--solve", "--time-limit", "-1"], 2, "argument --time-limit: "),
    "gap-time nan": (ORCH + ["--gap-time", "nan"], 2, f"argument --gap-time: {SECONDS}, got 'nan'"),
    # the policy's own arguments
    "explain quality": (EXPLAIN + ["--quality", "5"], 2, "quality target must be a number in [0, 1], got 5.0"),
    "explain quality nan": (EXPLAIN + ["--quality", "nan"], 2, "quality target must be a number in [0, 1], got nan"),
    "explain prefer": (
        EXPLAIN + ["--prefer", "nonsense"],
        2,
        "prefer must be 'quantum', 'classical' or a backend name (anneal, ",
    ),
    # an explicitly named profiles file must exist and parse
    "profiles missing": (EXPLAIN + ["--profiles", "missing.json"], 2, "missing.json: no such file"),
    "profiles folder": (EXPLAIN + ["--profiles", "adir"], 2, "adir: is a folder"),
    "profiles not JSON": (EXPLAIN + ["--profiles", "badprof.json"], 2, "badprof.json:3: not JSON: Expecting"),
    "profiles not profiles": (EXPLAIN + ["--profiles", "list.json"], 2, "list.json: not a qbdsl profiles file"),
    "profiles NaN": (EXPLAIN + ["--profiles", "nanprof.json"], 2, "nanprof.json: profile 'exact': a must be"),
    # argparse's own errors: one line, pointing at the command's help
    "time-limit not a number": (
        ["solve", "m.lp", "--time-limit", "abc"],
        2,
        f"qbdsl: error: argument --time-limit: {SECONDS}, got 'abc' (see qbdsl solve --help)",
    ),
    "required -o missing": (
        ["compile", MODEL, "--target", "qubo"],
        2,
        "the following arguments are required: -o/--output (see qbdsl compile --help)",
    ),
    "bad choice": (
        ["compile", MODEL, "--target", "qpu", "-o", "x.qubo"],
        2,
        "argument --target: invalid choice: 'qpu' (choose from 'qubo', 'milp') (see qbdsl compile --help)",
    ),
    "unknown command": (["bogus"], 2, "argument command: invalid choice: 'bogus'"),
    "no command": ([], 2, "the following arguments are required: command (see qbdsl --help)"),
    "unknown option": (
        ["info", "x.qubo", "--bogus", "3"],
        2,
        "unrecognized arguments: --bogus 3 (see qbdsl info --help)",
    ),
    # a misspelt global flag, before the command: the top-level help lists the global flags
    "unknown global flag": (["--debg", "info", "x"], 2, "unrecognized arguments: --debg (see qbdsl --help)"),
    "unknown flag after the command": (["info", "x", "--debg"], 2, "unrecognized arguments: --debg (see qbdsl info"),
    # options that would be ignored are refused, naming the option and why
    "compile milp encoding": (
        ["compile", MODEL, "--target", "milp", "--encoding", "unary", "-o", "x.lp"],
        2,
        "--encoding: compile options apply only when a model is compiled to a QUBO, and --target milp writes a MILP",
    ),
    "compile qubo file penalty": (
        ["compile", "q.qubo", "--target", "qubo", "--penalty", "3", "-o", "x.qubo"],
        2,
        "--penalty: compile options apply when a model is compiled to a QUBO; this input already is one",
    ),
    "solve ortools encoding": (
        ["solve", MODEL, "--backend", "ortools", "--encoding", "unary"],
        2,
        "--encoding: compile options apply only when a model is compiled to a QUBO, and backend 'ortools' gets a MILP",
    ),
    "solve ortools fallbacks inequality": (
        ["solve", MODEL, "--backend", "ortools", "--fallback", "ortools", "--inequality", "unbalanced"],
        2,
        "--inequality: compile options apply only .* every backend of 'ortools', 'ortools' gets a MILP",
    ),
    "problem solve ortools encoding": (
        ["problem", "routing.min-mlu", "--data", "Cernet", "--solve", "--backend", "ortools", "--encoding", "unary"],
        2,
        "--encoding: compile options apply only when a model is compiled to a QUBO, and --solve with --backend "
        "ortools gets a MILP",
    ),
    "problem milp file and ortools": (
        KPATH + ["--target", "milp", "-o", "k.lp", "--solve", "--backend", "ortools", "--penalty", "2"],
        2,
        "--penalty: compile options apply only .* -o with --target milp and --solve with --backend ortools get a MILP",
    ),
    "problem milp file encoding": (
        KPATH + ["--target", "milp", "-o", "k.lp", "--encoding", "unary"],
        2,
        "--encoding: compile options apply only .* -o with --target milp gets a MILP",
    ),
    "problem encoding alone": (
        KPATH + ["--encoding", "unary"],
        2,
        "--encoding: compile options apply only .* nothing is compiled without -o or --solve",
    ),
    "problem unknown backend encoding": (KPATH + ["--solve", "--backend", "warp", "--encoding", "unary"], 2, "'warp'"),
    "problem solver options without --solve": (
        KPATH + ["--backend", "anneal", "--time-limit", "3", "--target", "qubo", "-o", "k.qubo"],
        2,
        "--backend, --time-limit: solver options apply with --solve",
    ),
    "problem seed without --solve": (KPATH + ["--seed", "3"], 2, "--seed: solver options apply with --solve"),
    "problem backend auto without --solve": (KPATH + ["--backend", "auto"], 2, "--backend: solver options apply"),
    "problem --target without -o": (KPATH + ["--target", "qubo"], 2, "--target qubo: applies with -o FILE"),
    # output folders that cannot be written: refused before any work
    "-o in /proc": (
        ["solve", MODEL, "--backend", "exact", "-o", "/proc/sol.json"],
        2,
        "-o cannot write /proc/sol.json: cannot create files in /proc",
    ),
    "-o folder in /proc": (["experiment", "qip", "-o", "/proc/qbdsl-out"], 2, "cannot create files in /proc"),
}


@pytest.mark.parametrize("argv, code, culprit", list(CASES.values()), ids=list(CASES))
def test_mistake_gives_one_line_and_exit_code(argv, code, culprit, tmp_path, monkeypatch, capsys):
    _files(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    monkeypatch.chdir(tmp_path)
    assert main(argv) == code
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("qbdsl: error: "), lines[0]
    assert re.search(culprit, lines[0]) if ".*" in culprit else culprit in lines[0], lines[0]
    assert "Traceback" not in out + err
    assert sorted(tmp_path.rglob("*")) == before, "a refused command wrote something"


@pytest.mark.parametrize(
    "raised, code, text",
    [
        (
            qb.OptionError("anneal: option num_reads must be >= 1"),
            2,
            "qbdsl: error: anneal: option num_reads must be >= 1",
        ),
        (
            qb.BackendError("ortools: solver crashed\ndetails on a second line"),
            1,
            "qbdsl: error: ortools: solver crashed; details on a second line",
        ),
        (
            RuntimeError("boom"),
            1,
            "qbdsl: error: internal error: RuntimeError: boom (run with --debug for the traceback)",
        ),
        (PermissionError(13, "Permission denied", "/root/x"), 1, "qbdsl: error: /root/x: Permission denied"),
        (KeyboardInterrupt(), 130, "qbdsl: error: interrupted"),
    ],
)
def test_exceptions_from_a_run_map_to_exit_codes(raised, code, text, monkeypatch, capsys):
    import importlib

    def fail(*a, **kw):
        raise raised

    monkeypatch.setattr(importlib.import_module("qbdsl.solve"), "solve", fail)  # the module, not qb.solve
    assert main(["solve", MODEL, "--backend", "exact"]) == code
    assert capsys.readouterr().err == text + "\n"


def test_debug_shows_the_traceback(tmp_path, monkeypatch, capsys):
    _files(tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(qb.ModelError, match="build\\(\\) raised ZeroDivisionError") as err:
        main(["--debug", "compile", "raises.py:build", "--target", "qubo", "-o", "x.qubo"])
    assert isinstance(err.value.__cause__, ZeroDivisionError)  # the user's own frame is in the chain
    with pytest.raises(qb.FileFormatError, match="maxDiagonals must be >= 0"):
        main(["info", "neg.qubo", "--debug"])  # also after the command name


def test_console_entry_prints_no_traceback(tmp_path):
    _files(tmp_path)
    cmd = [sys.executable, "-m", "qbdsl.cli"]
    r = subprocess.run(
        cmd + ["problem", "routing.kpath", "--data", "repetita:Abilene", "--opt", "kk=7"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert r.stderr.splitlines() == [r.stderr.strip()] and r.stderr.startswith("qbdsl: error: routing.kpath: unknown")
    assert "Traceback" not in r.stdout + r.stderr
    r = subprocess.run(cmd + ["--debug", "info", "neg.qubo"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "Traceback" in r.stderr and "maxDiagonals must be >= 0" in r.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["compile", MODEL, "--target", "qubo", "-o", "new/deeper/s.qubo"],
        ["solve", MODEL, "--backend", "exact", "-o", "new/deeper/s.json"],
        KPATH + ["--opt", "demands=3", "--target", "qubo", "-o", "new/deeper/s.qubo"],
    ],
)
def test_output_folders_are_created_by_every_command(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 0
    assert (tmp_path / argv[-1]).is_file()
    assert [p.name for p in (tmp_path / "new" / "deeper").iterdir()] == [Path(argv[-1]).name]  # no temporaries


def test_bare_names_resolve_where_one_collection_fits(capsys):
    assert main(["problem", "routing.min-mlu", "--data", "Cernet"]) == 0  # REPETITA only
    assert main(["problem", "routing.capacity-design", "--data", "abilene"]) == 0  # needs SNDlib's modules
    assert main(["problem", "routing.kpath", "--data", "sndlib:Abilene", "--opt", "demands=4"]) == 0
    out = capsys.readouterr().out
    assert "min-mlu-Cernet" in out and "capacity-design-abilene" in out and "kpath-congestion-abilene" in out


@pytest.mark.parametrize("argv", [["--help"], ["solve", "--help"], ["problem", "-h"]])
def test_help_is_still_the_full_help(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: qbdsl") and "options:" in out and len(out.splitlines()) > 5


@pytest.mark.parametrize(
    "call, error, text",
    [
        (lambda: data.waxman(100000), qb.ModelError, "waxman: 100000 nodes; the generators take 2..5000"),
        (lambda: data.grid(80, 80), qb.ModelError, "grid 80x80: 6400 nodes"),
        (lambda: data.grid(0, 3), qb.ModelError, "rows and cols must be whole numbers >= 1"),
        (lambda: data.random_geometric(10**6), qb.ModelError, "2..5000"),
        (lambda: _schedule(slot=1e-6), qb.ModelError, "slot=1e-06 s makes a schedule grid"),
        (lambda: _schedule(slot=float("nan")), qb.ModelError, "slot length must be positive and finite, got nan"),
        (lambda: _schedule(slot=0.5, horizon=float("inf")), qb.ModelError, "horizon must be a positive number"),
        (lambda: _decide(deadline=float("inf")), qb.OptionError, "deadline must be a positive number of seconds"),
        (lambda: _decide(deadline=float("nan")), qb.OptionError, "deadline must be a positive number of seconds"),
        (lambda: _decide(deadline=-1), qb.OptionError, "deadline must be a positive number of seconds"),
        (lambda: _decide(quality=1.5), qb.OptionError, "quality target must be a number in [0, 1], got 1.5"),
        (lambda: _decide(quality="high"), qb.OptionError, "quality target must be a number in [0, 1], got 'high'"),
        (lambda: _decide(prefer="fastest"), qb.OptionError, "prefer must be 'quantum', 'classical' or a backend name"),
        (lambda: load_profiles("missing.json"), qb.FileFormatError, "missing.json: no such file"),
        (lambda: load_profiles("badprof.json"), qb.FileFormatError, "badprof.json:3: not JSON"),
    ],
)
def test_library_calls_refuse_before_any_work(call, error, text, tmp_path, monkeypatch):
    """The same checks as the command line's, where the library is called directly."""
    import tracemalloc

    _files(tmp_path)
    monkeypatch.chdir(tmp_path)
    tracemalloc.start()
    try:
        with pytest.raises(error) as err:
            call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert text in str(err.value)
    assert isinstance(err.value, qb.ModelError)  # exit 2 on the command line
    assert peak < 50e6, f"{peak / 1e6:.0f} MB allocated before refusing"


def _schedule(**kw):
    return sc.schedule_model(sc.random_jobs(5, 0, 20.0, 2.0), sc.default_fleet(), **kw)


def _decide(**kw):
    q = qb.QuboIR.from_terms(
        QuboTerms.from_coo(2, np.array([1.0, -1.0]), np.array([0]), np.array([1]), np.array([2.0]))
    )
    return decide(q, **kw)


def test_default_profiles_file_falls_back_quietly_but_a_named_one_must_work(tmp_path, monkeypatch, capsys):
    import qbdsl.qip.profiles as prof

    _files(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(prof, "DEFAULT_PATH", tmp_path / "never-calibrated.json")
    assert "no calibration file" in prof.load_profiles()[1]
    monkeypatch.setattr(prof, "DEFAULT_PATH", tmp_path / "badprof.json")
    profiles, note = prof.load_profiles()
    assert profiles["exact"].b == prof.default_profiles()["exact"].b
    assert note.startswith("ignored ") and "badprof.json:3: not JSON" in note and "shipped defaults" in note
    assert main(["explain", MODEL]) == 0  # the default file: a note, not an error
    assert "profiles: ignored " in capsys.readouterr().out


def test_solution_file_is_strict_json_when_there_is_no_answer(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "inf.lp").write_text("Minimize\n obj: x\nSubject To\n c1: x >= 2\nBounds\n 0 <= x <= 1\nEnd\n")
    assert main(["solve", "inf.lp", "--backend", "ortools", "-o", "sol.json"]) == 0

    def no_constants(name):
        raise AssertionError(f"{name} is not JSON")

    doc = json.loads((tmp_path / "sol.json").read_text(), parse_constant=no_constants)
    assert doc["status"] == "infeasible" and doc["objective"] is None


def test_write_json_nulls_non_finite_numbers_and_refuses_the_rest(tmp_path):
    from qbdsl.io.atomic import write_json

    write_json(
        tmp_path / "a.json",
        {"x": float("nan"), "y": [np.float32("inf"), np.int64(3), np.bool_(True)], "z": np.array([1.5, -np.inf])},
    )
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": None, "y": [None, 3, True], "z": [1.5, None]}
    with pytest.raises(TypeError):
        write_json(tmp_path / "b.json", {"x": object()})
    assert not (tmp_path / "b.json").exists()


def test_write_errors_name_the_users_path_not_the_temporary_file(tmp_path, monkeypatch):
    import errno
    import os

    from qbdsl.io import atomic

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device", src, None, dst)

    monkeypatch.setattr(atomic.os, "replace", full)
    target = tmp_path / "sol.json"
    with pytest.raises(OSError) as err:
        atomic.atomic_write(target, "{}")
    assert err.value.filename == str(target) and err.value.errno == errno.ENOSPC
    assert ".tmp" not in str(err.value)
    assert os.listdir(tmp_path) == []  # the temporary file is gone


def test_unwritable_folders_are_refused_before_the_work(tmp_path, monkeypatch, capsys):
    import importlib

    from qbdsl.io import atomic

    def never(*a, **kw):
        raise AssertionError("solved although the output cannot be written")

    monkeypatch.setattr(importlib.import_module("qbdsl.solve"), "solve", never)
    monkeypatch.setattr(atomic.os, "access", lambda path, mode: False)  # as a non-root user in a read-only folder
    assert main(["solve", MODEL, "--backend", "exact", "-o", str(tmp_path / "new" / "sol.json")]) == 2
    err = capsys.readouterr().err
    target = tmp_path / "new" / "sol.json"
    assert err == f"qbdsl: error: -o cannot write {target}: no permission to create files in {tmp_path}\n"


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077, 0o002])
def test_output_files_get_the_mode_open_would_give(umask, tmp_path):
    import os
    import stat

    from qbdsl.io import atomic

    old = os.umask(umask)
    atomic._umask.cache_clear()
    try:
        atomic.atomic_write(tmp_path / "new.json", "{}")
        atomic.atomic_write(tmp_path / "new.lp.gz", "x")
        with open(tmp_path / "plain.json", "w"):
            pass
        (tmp_path / "kept.json").write_text("old")
        os.chmod(tmp_path / "kept.json", 0o640)
        atomic.atomic_write(tmp_path / "kept.json", "new")
    finally:
        os.umask(old)
        atomic._umask.cache_clear()

    def mode(name):
        return stat.S_IMODE(os.stat(tmp_path / name).st_mode)

    assert mode("new.json") == mode("new.lp.gz") == mode("plain.json") == 0o666 & ~umask
    assert mode("kept.json") == 0o640 and (tmp_path / "kept.json").read_text() == "new"


def test_options_are_kept_where_a_route_uses_them(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    small = KPATH + ["--opt", "demands=2"]
    # the QUBO file gets the encoding, the MILP solver does not need it
    assert (
        main(small + ["--target", "qubo", "-o", "k.qubo", "--solve", "--backend", "ortools", "--encoding", "unary"])
        == 0
    )
    # with a QUBO fallback, or the policy's choice, the options may apply
    assert main(["solve", MODEL, "--backend", "ortools", "--fallback", "exact", "--penalty", "auto"]) == 0
    assert main(small + ["--target", "milp", "-o", "k.lp", "--solve", "--time-limit", "20", "--encoding", "unary"]) == 0
    assert (tmp_path / "k.qubo").is_file() and (tmp_path / "k.lp").is_file()
    capsys.readouterr()


def test_every_option_of_every_command_has_help():
    import argparse

    from qbdsl.cli import build_parser

    def walk(parser, path):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from walk(sub, path + [name])
            elif action.help != argparse.SUPPRESS:  # options and positional arguments
                yield " ".join(path), action

    missing = [
        f"{path} {'/'.join(a.option_strings) or a.dest}" for path, a in walk(build_parser(), ["qbdsl"]) if not a.help
    ]
    assert missing == []
    commands = {path: a for path, a in walk(build_parser(), ["qbdsl"])}
    assert "qbdsl experiment orchestration" in commands  # nested commands are walked too
