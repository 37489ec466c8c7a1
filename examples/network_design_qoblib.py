"""QOBLIB network design (degree-2 digraph, min max load) for n = 5 and 6 with OR-Tools."""

from pathlib import Path

import qbdsl as qb
from qbdsl.problems import data, network_design, plot

out = Path(__file__).resolve().parent.parent / "out"
out.mkdir(exist_ok=True)

for n, published in ((5, 65.5), (6, 101.0)):
    model = network_design.qoblib(n)
    r = qb.solve(model, backend="ortools", time_limit=120, seed=0)
    ok = not network_design.check_design(data.qoblib_demands(n), model.arcs, r.values["x"])
    print(
        f"network{n:02d}: max load {r.objective:g} (published {published:g}), design check {'ok' if ok else 'FAILED'}"
    )
    design, util = network_design.design_network(model, r)
    print(
        "plot:",
        plot.plot_utilisation(design, util, out / f"qoblib-{n}.png", f"network{n:02d}: built arcs, load / max load"),
    )
