"""Every backend option is checked, by name and value, before any work starts."""

import numpy as np
import pytest

import qbdsl as qb
from qbdsl.backends.base import Option, validate_options


def tiny():
    m = qb.Model("tiny")
    x = m.binary("x", 3)
    m.add(x.sum() == 1, name="one")
    m.minimize((np.array([3.0, 1.0, 2.0]) * x).sum())
    return m


@pytest.mark.parametrize(
    "backend, options, match",
    [
        ("anneal", {"num_reads": 0}, "anneal: option num_reads must be an integer >= 1, got 0"),
        ("anneal", {"num_reads": -5}, "option num_reads must be an integer >= 1, got -5"),
        ("anneal", {"num_reads": 2.5}, "option num_reads must be an integer >= 1, got 2.5"),
        ("anneal", {"num_reads": "many"}, "option num_reads must be an integer >= 1, got 'many'"),
        ("anneal", {"num_reads": True}, "option num_reads must be an integer"),
        ("anneal", {"num_sweeps": 0}, "option num_sweeps must be an integer >= 1"),
        ("anneal", {"beta_range": [2, 1]}, "option beta_range must be a pair"),
        ("anneal", {"beta_schedule_type": "cubic"}, "option beta_schedule_type must be one of geometric, linear"),
        ("anneal", {"num_sweeps": 10, "num_sweeps_per_beta": 3}, r"num_sweeps \(10\) must be a multiple"),
        ("anneal", {"sweeps": 10}, r"anneal: unknown option\(s\) \['sweeps'\]; known: \["),
        ("tabu", {"timeout": 0}, "tabu: option timeout must be an integer >= 1"),
        ("tabu", {"tenure": 5}, "tabu: option tenure must be at most n - 1 = 2 here, got 5"),
        ("qaoa", {"reps": 0}, "qaoa: option reps must be an integer in \\[1, 50\\]"),
        ("qaoa", {"shots": -1}, "qaoa: option shots must be"),
        ("qaoa", {"optimizer": "adam"}, "qaoa: option optimizer must be one of Nelder-Mead, Powell"),
        ("qaoa-qiskit", {"maxiter": 0}, "qaoa-qiskit: option maxiter must be an integer >= 1"),
        ("ortools", {"threads": 0}, "ortools: option threads must be an integer in \\[1, 1024\\]"),
        ("ortools", {"gap": float("nan")}, "ortools: option gap must be a number in \\[0, 1\\)"),
        ("ortools", {"verbose": "yes"}, "ortools: option verbose must be true or false"),
        ("exact", {"num_reads": 3}, r"exact: unknown option\(s\) \['num_reads'\]; known: \[\]"),
    ],
)
def test_bad_options_are_refused_with_the_culprit_named(backend, options, match):
    with pytest.raises(qb.OptionError, match=match):
        qb.solve(tiny(), backend=backend, **options)


def test_options_are_checked_before_compiling_or_solving(monkeypatch):
    import sys

    monkeypatch.setattr(
        sys.modules["qbdsl.routing"], "build", lambda *a: pytest.fail("compiled before the options were checked")
    )
    with pytest.raises(qb.OptionError, match="num_reads"):
        qb.solve(tiny(), backend="anneal", num_reads=0)


def test_an_option_error_is_not_swallowed_by_the_fallback_chain():
    with pytest.raises(qb.OptionError, match="num_reads"):
        qb.solve(tiny(), backend="anneal", num_reads=-1, fallback=["exact"])


def test_fallback_names_are_checked_up_front_even_when_the_first_backend_succeeds():
    with pytest.raises(qb.OptionError, match="unknown fallback backend 'nosuch'; known backends: .*exact"):
        qb.solve(tiny(), backend="exact", fallback=["nosuch"])
    with pytest.raises(qb.OptionError, match="fallback must be a list of backend names"):
        qb.solve(tiny(), backend="exact", fallback="anneal")
    with pytest.raises(qb.OptionError, match="unknown backend 'warp'"):
        qb.solve(tiny(), backend="warp")


def test_time_limit_must_be_positive_and_finite():
    for bad in (0, -1, float("nan"), float("inf"), "5", True):
        with pytest.raises(qb.OptionError, match="time_limit must be a positive, finite number"):
            qb.solve(tiny(), backend="exact", time_limit=bad)
    for good in (np.int64(5), np.float32(5.0), 5, 1e9):
        assert qb.solve(tiny(), backend="exact", time_limit=good).status == "optimal"
    for huge in (1e12, 1e300):  # OR-Tools' waits raised OverflowError ("timestamp out of range")
        with pytest.raises(qb.OptionError, match=r"time_limit must be at most 1e\+09 s .*None sets no limit"):
            qb.solve(tiny(), backend="ortools", time_limit=huge)


def test_seed_must_be_a_32_bit_unsigned_integer():
    for bad in (-1, 2**32, 1.5, "7", True):
        with pytest.raises(qb.OptionError, match=r"seed must be an integer in \[0, 2\^32 - 1\]"):
            qb.solve(tiny(), backend="anneal", seed=bad)
    assert qb.solve(tiny(), backend="anneal", seed=np.uint32(2**32 - 1), num_reads=2).feasible


def test_auto_routes_each_option_to_the_backends_that_declare_it():
    with pytest.raises(qb.OptionError, match=r"unknown option\(s\) \['warp'\]: no registered backend takes them"):
        qb.solve(tiny(), warp=9)
    r = qb.solve(tiny(), num_reads=5, solver="SCIP")  # whichever backend runs takes what is its own
    assert r.feasible and r.objective == 1.0


def test_valid_options_are_converted():
    spec = {
        "n": Option(int, 1),
        "gap": Option(float, 0.0, 1.0, open_high=True),
        "mode": Option(str, choices=("A", "B")),
        "r": Option("range"),
        "flag": Option(bool),
    }
    out = validate_options(
        "demo", {"n": 3.0, "gap": np.float32(0.5), "mode": "b", "r": (0.1, 2), "flag": np.bool_(True)}, spec
    )
    assert out == {"n": 3, "gap": 0.5, "mode": "B", "r": [0.1, 2.0], "flag": True}
    assert type(out["n"]) is int


def test_options_that_would_be_ignored_are_refused():
    with pytest.raises(qb.OptionError, match="deadline, prefer and remote are the policy's"):
        qb.solve(tiny(), backend="exact", deadline=5)
    q = qb.compile(tiny(), "qubo")
    with pytest.raises(qb.OptionError, match="encoding: compile options apply when a model is compiled"):
        qb.solve(q, backend="exact", encoding="unary")
    with pytest.raises(qb.OptionError, match="qaoa: option max_memory=1 bytes fits no statevector"):
        qb.solve(q, backend="qaoa", max_memory=1)
