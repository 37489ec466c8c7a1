"""RAN power control on 3GPP UMi channels: the QUBO sum-rate surrogate (exact and annealing)
against max-power and WMMSE baselines, and the MILP minimum power for an SINR target."""

from pathlib import Path

import qbdsl as qb
from qbdsl.problems import plot, ran

out = Path(__file__).resolve().parent.parent / "out"
out.mkdir(exist_ok=True)
ch = ran.umi_channels(6, seed=2)
model = ran.sum_rate_qubo(ch)
for backend in ("exact", "anneal"):
    ans = ran.interpret_power(model, qb.solve(model, backend=backend, seed=0))
    print(f"QUBO via {backend:6s}: sum rate {ans['sum_rate']:.3f} bit/s/Hz, levels {ans['level'].tolist()}")
print(f"max power        : sum rate {ran.sum_rate(ch, ran.max_power(ch)):.3f} bit/s/Hz")
print(f"WMMSE            : sum rate {ran.sum_rate(ch, ran.wmmse(ch)):.3f} bit/s/Hz")
mp = ran.min_power(ch, gamma=1.0)
r = qb.solve(mp, backend="ortools")
a = ran.interpret_power(mp, r)
print(
    f"min power for SINR >= 0 dB: {1e3 * a['total_power']:.1f} mW, check "
    f"{'ok' if not ran.check_power(ch, a['power'], 1.0) else 'FAILED'}"
)
print("plot:", plot.plot_power(a["power"], a["sinr"], ch.levels, out / "ran-power.png", "min power, SINR >= 0 dB"))
