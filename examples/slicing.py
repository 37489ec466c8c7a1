"""Slice placement on Abilene: VNF chains with CPU demands and bandwidth, maximizing revenue."""

from pathlib import Path

import qbdsl as qb
from qbdsl.problems import data, plot, slicing

out = Path(__file__).resolve().parent.parent / "out"
out.mkdir(exist_ok=True)
net = data.repetita("Abilene")
net.capacity = net.capacity / net.capacity.max() * 6  # bandwidth units of the slices
sl = slicing.random_slices(5, seed=0)
model = slicing.slice_placement(net, sl, cpu_capacity=6.0, node_cost=0.2)
r = qb.solve(model, backend="ortools", time_limit=60)
a = slicing.interpret_placement(model, r)
problems = slicing.check_placement(net, sl, 6.0, a["node"], a["accepted"])
print(
    f"revenue - cost {r.objective:g}; accepted slices {a['accepted'].nonzero()[0].tolist()}; "
    f"check {'ok' if not problems else problems[0]}"
)
print("plot:", plot.plot_placement(net, a["node"], sl.vnf_slice, out / "slicing.png"))
