"""Model vs ReQuSim on SURFnet routes of 1-7 hops (issue 19, item 5): the README's agreement table.

Runs :func:`qbdsl.problems.qnet.requsim_check.compare_route_requsim` on
:func:`~qbdsl.problems.qnet.requsim_check.requsim_surfnet_routes` under both swap orders, the
default memories (T2 = 1.58 s) and short ones (T2 = 50 ms), geometric attempts, 4 seeds x 200
pairs; then one 20 km hop purified 1-3 rounds (:mod:`qbdsl.problems.qnet.requsim_purify`);
prints the Markdown tables and writes them to ``out/qnet-requsim.md``. About 6 minutes on 2
cores. Needs the ``qnet`` extra.

Usage: python scripts/qnet_requsim_table.py [n_pairs]
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

from qbdsl.io.atomic import atomic_write
from qbdsl.problems.qnet import physics
from qbdsl.problems.qnet import requsim_check as RC
from qbdsl.problems.qnet import requsim_purify as RP


def main(n_pairs: int = 200) -> str:
    rows, start = [], time.time()
    for T2 in (physics.DEFAULT.coherence_time_s, 0.05):
        for order in ("asap", "nested"):
            params = dataclasses.replace(physics.DEFAULT, coherence_time_s=T2, swap_order=order)
            for label, _, L in RC.requsim_surfnet_routes():
                rows.append(RC.compare_route_requsim(L, params, n_pairs=n_pairs, label=label))
                print(f"{time.time() - start:6.0f} s  {label} T2={T2:g} {order}", file=sys.stderr)
    table = RC.requsim_table(rows)
    agree = sum(c.fidelity_agrees(pooled=True) for c in rows)
    before = sum(
        RC.RequsimComparison(c.label, c.sim, c.historical_fidelity, c.model_rate).fidelity_agrees(True) for c in rows
    )
    rate = sum(c.rate_agrees() for c in rows)
    summary = (
        f"\nfidelity inside the pooled 95 % interval: model {agree}/{len(rows)}, before the correction "
        f"{before}/{len(rows)}; rate inside the t-interval: {rate}/{len(rows)}; {time.time() - start:.0f} s"
    )
    hops = []
    for T2 in (physics.DEFAULT.coherence_time_s, 0.05):
        params = dataclasses.replace(physics.DEFAULT, coherence_time_s=T2)
        hops += [RP.simulate_hop_purification(20.0, r, params, n_pairs=n_pairs) for r in (1, 2, 3)]
    heavy = dataclasses.replace(physics.DEFAULT, coherence_time_s=0.2)  # a 60 km hop, heavy decay
    hops += [RP.simulate_hop_purification(60.0, r, heavy, n_pairs=n_pairs) for r in (1, 2, 3, 4)]
    purified = RP.purification_table(hops)
    text = table + "\n" + summary + "\n\n" + purified + "\n"
    atomic_write(Path("out") / "qnet-requsim.md", text)
    return text


if __name__ == "__main__":
    print(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
