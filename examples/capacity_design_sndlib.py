"""SNDlib capacity installation on polska: module counts per link at minimum cost."""
import numpy as np

import qbdsl as qb
from qbdsl.problems import data, routing

net = data.sndlib("polska")
model = routing.capacity_design(net)
r = qb.solve(model, backend="ortools", time_limit=60, seed=0)
flow = np.clip(np.asarray(r.values["flow"]) * model.unit, 0, None)
problems = routing.check_capacity_design(net, r.values["modules"], flow, model.module_capacity)
print(f"{net}: module cost {r.objective:g} ({r.status}); check {'ok' if not problems else problems[0]}")
for e in np.flatnonzero(r.values["modules"].sum(axis=1))[:5]:
    print(f"  {net.link_names[e]}: modules {r.values['modules'][e].tolist()}")
