"""SNDlib capacity installation on polska: module counts per link at minimum cost."""

from pathlib import Path

import qbdsl as qb
from qbdsl.problems import data, plot, routing

out = Path(__file__).resolve().parent.parent / "out"
out.mkdir(exist_ok=True)

net = data.sndlib("polska")
model = routing.capacity_design(net)
r = qb.solve(model, backend="ortools", time_limit=60, seed=0)
ans = routing.interpret_capacity_design(model, r)
problems = routing.check_capacity_design(net, ans["modules"], ans["flow"], model.module_capacity)
print(f"{net}: cost {r.objective:g} ({r.status}); check {'ok' if not problems else problems[0]}")
for e in (ans["modules"].sum(axis=1) > 0).nonzero()[0][:5]:
    print(f"  {net.link_names[e]}: modules {ans['modules'][e].tolist()}, utilisation {ans['utilisation'][e]:.2f}")
print(
    "plot:",
    plot.plot_utilisation(
        net, ans["utilisation"], out / "polska-design.png", "polska: utilisation of the installed capacity"
    ),
)
