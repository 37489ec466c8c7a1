"""Min-MLU traffic engineering on every shipped REPETITA network (splittable LP, OR-Tools/HiGHS),
against the optimal MLU REPETITA lists; plots the Cernet utilisation."""

from pathlib import Path

import qbdsl as qb
from qbdsl.problems import data, plot, routing

out = Path(__file__).resolve().parent.parent / "out"
out.mkdir(exist_ok=True)
for name in data.REPETITA:
    net = data.repetita(name)
    model = routing.min_mlu(net)  # source-aggregated flows, scaled
    r = qb.solve(model, backend="ortools", solver="HIGHS")
    ans = routing.interpret_mlu(model, r)
    ok = not routing.check_flow(net, ans["flow"].clip(min=0), r.objective * (1 + 1e-7), tol=1e-8)
    print(
        f"{name:14s} MLU {r.objective:.6f}  listed {data.repetita_optimal_mlu(name):.6f}  "
        f"check {'ok' if ok else 'FAILED'}  ({r.timings['solve']:.2f} s)"
    )
print("plot:", plot.plot_utilisation(net, ans["utilisation"], out / f"{name}-mlu.png"))
