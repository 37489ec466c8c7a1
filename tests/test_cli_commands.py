"""The command line as a package: per-command help, nested experiments, shared parents, and
one routing answer for the CLI and ``qb.solve``."""

import numpy as np
import pytest

import qbdsl as qb
from qbdsl import routing
from qbdsl.cli import build_parser, main
from qbdsl.ir.terms import QuboTerms

ORCH_ONLY = (
    "--loads",
    "--tightness",
    "--seeds",
    "--robustness",
    "--jobs",
    "--dask",
    "--fleet",
    "--workload",
    "--bound-time",
    "--gap-seeds",
    "--gap-jobs",
    "--gap-time",
)
QIP_ONLY = ("--deadline", "--quick")
LIVE_ONLY = ("--policies", "--time-scale")
COMPILE_OPTIONS = ("--encoding", "--penalty", "--inequality")


def _help(argv, capsys) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(argv + ["--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    "which, own, others",
    [
        ("orchestration", ORCH_ONLY, QIP_ONLY + LIVE_ONLY),
        ("qip", QIP_ONLY, ORCH_ONLY + LIVE_ONLY),
        ("live", LIVE_ONLY, ORCH_ONLY + QIP_ONLY + ("-o",)),
    ],
)
def test_each_experiment_lists_only_its_own_flags(which, own, others, capsys):
    out = _help(["experiment", which], capsys)
    assert out.startswith(f"usage: qbdsl experiment {which}")
    words = set(out.replace("[", " ").replace("]", " ").replace(",", " ").split())
    assert set(own) <= words, sorted(set(own) - words)
    assert not set(others) & words, sorted(set(others) & words)


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["experiment", "orchestration", "--quick"], "--quick"),
        (["experiment", "orchestration", "--deadline", "3"], "--deadline 3"),
        (["experiment", "qip", "--seeds", "3"], "--seeds 3"),
        (["experiment", "live", "-o", "somewhere"], "-o somewhere"),
    ],
)
def test_a_flag_of_another_experiment_is_a_one_line_usage_error(argv, flag, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    which = argv[1]
    assert err == f"qbdsl: error: unrecognized arguments: {flag} (see qbdsl experiment {which} --help)\n"
    assert not (tmp_path / "out").exists()  # refused before any work


def test_an_unknown_or_missing_experiment_is_named(capsys):
    assert main(["experiment", "bogus"]) == 2
    assert capsys.readouterr().err == (
        "qbdsl: error: unknown experiment 'bogus'; known: qip, orchestration, bench, live "
        "(see qbdsl experiment --help)\n"
    )
    assert main(["experiment"]) == 2
    assert "required: experiment" in capsys.readouterr().err


def test_compile_options_come_from_one_parent_parser(capsys):
    for command in (["compile"], ["solve"], ["problem"]):
        out = _help(command, capsys)
        assert "compile options (Model -> QUBO)" in out and all(f in out for f in COMPILE_OPTIONS), command
    for command in (["info"], ["explain"], ["calibrate"], ["experiment", "qip"]):
        out = _help(command, capsys)
        assert not any(f in out for f in COMPILE_OPTIONS), command
    parser = build_parser()
    assert parser.parse_args(["solve", "m.lp"]).encoding is None  # unset: the compiler's default


def test_the_package_docstring_lists_every_command():
    import qbdsl.cli as cli

    commands = build_parser()._subparsers._group_actions[0].choices
    assert set(commands) == {
        "compile",
        "info",
        "solve",
        "problem",
        "explain",
        "calibrate",
        "costmodel",
        "experiment",
        "fleet",
    }
    for name in commands:
        assert f"``{name}" in cli.__doc__, name
    for which in ("qip", "orchestration", "live"):
        assert which in cli.__doc__


def test_solve_passes_compile_options_only_when_given(tmp_path, monkeypatch, capsys):
    import importlib

    seen = {}

    def fake(obj, **kw):
        seen.update(kw)
        raise qb.BackendError("stop here")

    monkeypatch.setattr(importlib.import_module("qbdsl.solve"), "solve", fake)
    (tmp_path / "m.lp").write_text("Minimize\n obj: x + y\nSubject To\n c1: x + y >= 1\nBinary\n x y\nEnd\n")
    assert main(["solve", str(tmp_path / "m.lp"), "--backend", "anneal"]) == 1
    assert not {"encoding", "penalty", "inequality"} & set(seen)
    assert main(["solve", str(tmp_path / "m.lp"), "--penalty", "c1=3,auto_x=auto", "--inequality", "unbalanced"]) == 1
    assert seen["penalty"] == {"c1": 3.0, "auto_x": "auto"} and seen["inequality"] == "unbalanced"


def _random_qubo(n: int, seed: int) -> qb.QuboIR:
    rng = np.random.default_rng(seed)
    i, j = np.triu_indices(n, 1)
    keep = rng.random(i.size) < 0.5
    return qb.QuboIR.from_terms(
        QuboTerms.from_coo(n, rng.normal(size=n), i[keep], j[keep], rng.normal(size=int(keep.sum())))
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_cli_compile_and_solve_build_the_same_milp_from_a_qubo(seed, tmp_path, monkeypatch):
    """QUBO -> MILP is answered once (qbdsl.routing): the QUBO itself, linearized."""
    q = _random_qubo(7, seed)
    q.save(tmp_path / "r.qubo")
    assert main(["compile", str(tmp_path / "r.qubo"), "--target", "milp", "-o", str(tmp_path / "r.lp")]) == 0
    built = []
    real = routing.build
    monkeypatch.setattr(routing, "build", lambda *a, **kw: built.append(real(*a, **kw)) or built[-1])
    result = qb.solve(tmp_path / "r.qubo", backend="ortools")
    solved = built[-1].ir
    written = real(qb.load(tmp_path / "r.lp"), "milp").ir
    assert isinstance(solved, qb.MilpIR) and solved.num_variables == 7 + len(q.terms.v)
    assert written.var_names == solved.var_names and written.A.shape == solved.A.shape
    rng = np.random.default_rng(seed)
    x = (rng.random((50, solved.num_variables)) < 0.5).astype(float)
    np.testing.assert_allclose(x @ written.c + written.offset, x @ solved.c + solved.offset, atol=1e-9)
    np.testing.assert_allclose((written.A @ x.T), (solved.A @ x.T), atol=1e-9)
    np.testing.assert_array_equal(written.row_lb, solved.row_lb)
    np.testing.assert_array_equal(written.row_ub, solved.row_ub)
    brute = min(q.energy(np.array(b)) for b in np.ndindex(*(2,) * 7))
    assert result.objective == pytest.approx(brute, abs=1e-6)
