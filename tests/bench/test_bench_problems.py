"""Build and compile time of every library problem against instance size, with the compiled
size; rows in ``out/bench/problems.json``. ``make test`` builds the smallest size of each."""

import json
import time
from pathlib import Path

import pytest

import qbdsl as qb
from qbdsl.problems import data, network_design, ran, routing, scheduling, slicing

OUT = Path(__file__).resolve().parent.parent.parent / "out" / "bench"

CASES = {
    "routing.min-mlu": [
        ("Abilene", lambda: routing.min_mlu(data.repetita("Abilene")), "milp"),
        ("Geant2001", lambda: routing.min_mlu(data.repetita("Geant2001")), "milp"),
        ("Cernet", lambda: routing.min_mlu(data.repetita("Cernet")), "milp"),
    ],
    "routing.kpath": [
        ("Abilene k=3", lambda: routing.kpath_routing(data.repetita("Abilene"), 3), "qubo"),
        ("Geant2001 k=3", lambda: routing.kpath_routing(data.repetita("Geant2001"), 3), "qubo"),
        ("Cernet k=3", lambda: routing.kpath_routing(data.repetita("Cernet"), 3), "qubo"),
    ],
    "ran.sum-rate": [
        (f"K={k}", (lambda k=k: ran.sum_rate_qubo(ran.umi_channels(k, seed=0))), "qubo") for k in (25, 50, 100, 200)
    ],
    "ran.min-power": [
        (f"K={k}", (lambda k=k: ran.min_power(ran.umi_channels(k, seed=0, area=5000), 0.5)), "milp") for k in (25, 100)
    ],
    "slicing.placement": [
        (
            f"grid {r}x{r}, {s} slices",
            (lambda r=r, s=s: slicing.slice_placement(data.grid(r, r), slicing.random_slices(s), 8.0, 0.1)),
            "milp",
        )
        for r, s in ((3, 4), (5, 10))
    ],
    "scheduling.qpu": [
        (
            f"{n} jobs",
            (
                lambda n=n: scheduling.schedule_model(
                    scheduling.random_jobs(n, seed=0, horizon=n), scheduling.default_fleet(), slot=0.5
                )
            ),
            "milp",
        )
        for n in (20, 100)
    ],
    "network-design.qoblib": [(f"n={n}", (lambda n=n: network_design.qoblib(n)), "milp") for n in (5, 10, 24)],
}


@pytest.mark.parametrize("problem", list(CASES))
def test_build_and_compile(benchmark, problem):
    cases = CASES[problem][:1] if benchmark.disabled else CASES[problem]
    rows = []
    for label, build, target in cases:
        t = time.perf_counter()
        model = build()
        t_build = time.perf_counter() - t
        t = time.perf_counter()
        ir = qb.compile(model, target)
        t_compile = time.perf_counter() - t
        size = (
            {"binaries": ir.n, "couplers": ir.num_interactions}
            if target == "qubo"
            else {"variables": ir.num_variables, "rows": ir.num_constraints, "nonzeros": int(ir.A.nnz)}
        )
        rows.append(
            {
                "problem": problem,
                "instance": label,
                "target": target,
                "build_s": t_build,
                "compile_s": t_compile,
                **size,
            }
        )
        assert (ir.n if target == "qubo" else ir.num_variables) > 0
    benchmark.extra_info["rows"] = rows
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "problems.json"
    old = json.loads(path.read_text()) if path.exists() else []
    old = [r for r in old if r["problem"] != problem] + rows
    path.write_text(json.dumps(old, indent=2))
    for r in rows:
        print(r)
    benchmark.pedantic(lambda: None, rounds=1)
