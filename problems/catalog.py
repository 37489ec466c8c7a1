"""Problems by name, for the CLI: ``qbdsl problem LIST`` and ``qbdsl problem NAME --data ...``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from qbdsl.errors import ModelError

from . import data, network_design, ran, routing, scheduling, slicing


def _network(name: str):
    """A shipped network by name: REPETITA first, then SNDlib, or ``waxman:N`` / ``grid:RxC``."""
    if name.startswith("waxman:"):
        return data.waxman(int(name.split(":")[1]))
    if name.startswith("grid:"):
        r, c = name.split(":")[1].lower().split("x")
        return data.grid(int(r), int(c))
    if name.lower() in {n.lower() for n in data.REPETITA}:
        return data.repetita(name)
    if name.lower() in data.SNDLIB:
        return data.sndlib(name)
    raise ModelError(f"unknown network {name!r}; shipped: {', '.join(data.REPETITA + data.SNDLIB)}, "
                     "or waxman:N, grid:RxC")


@dataclass
class Entry:
    name: str
    summary: str
    data_help: str
    build: Callable[[str, dict], object]


CATALOG = {e.name: e for e in [
    Entry("routing.min-mlu", "splittable min-max link utilisation (LP)", "a network name",
          lambda d, o: routing.min_mlu(_network(d))),
    Entry("routing.kpath", "one of k shortest paths per demand; congestion (QUBO-shaped) or mlu (MILP)",
          "a network name; options k=3, objective=congestion|mlu, demands=N (first N demands)",
          lambda d, o: routing.kpath_routing(
              _network(d), k=int(o.get("k", 3)), objective=o.get("objective", "congestion"),
              demands=None if "demands" not in o else __import__("numpy").arange(int(o["demands"])))),
    Entry("routing.capacity-design", "SNDlib module installation at minimum cost (MILP)", "an SNDlib network name",
          lambda d, o: routing.capacity_design(_network(d))),
    Entry("ran.min-power", "RAN power control: min total power under SINR targets (MILP)",
          "K links (3GPP UMi channels); options seed=0, gamma=2, levels=4",
          lambda d, o: ran.min_power(ran.umi_channels(int(d), seed=int(o.get("seed", 0)),
                                                      n_levels=int(o.get("levels", 4))), float(o.get("gamma", 2.0)))),
    Entry("ran.sum-rate", "RAN power control: pairwise sum-rate surrogate (QUBO)",
          "K links (3GPP UMi channels); options seed=0, levels=4",
          lambda d, o: ran.sum_rate_qubo(ran.umi_channels(int(d), seed=int(o.get("seed", 0)),
                                                          n_levels=int(o.get("levels", 4))))),
    Entry("slicing.placement", "place VNF chains on a substrate: revenue, CPU and link bandwidth (MILP)",
          "a network name; options slices=4, seed=0, cpu=8 (per node)",
          lambda d, o: slicing.slice_placement(_network(d), slicing.random_slices(int(o.get("slices", 4)),
                                                                                  int(o.get("seed", 0))),
                                               float(o.get("cpu", 8.0)), node_cost=0.1)),
    Entry("scheduling.qpu", "quantum jobs (or shot batches) on heterogeneous QPUs by deadline (MILP/QUBO)",
          "number of jobs; options seed=0, horizon=20, tightness=2, slot=0.5, batches=1",
          lambda d, o: scheduling.schedule_model(
              scheduling.random_jobs(int(d), int(o.get("seed", 0)), float(o.get("horizon", 20)),
                                     float(o.get("tightness", 2.0))),
              scheduling.default_fleet(), float(o.get("slot", 0.5)), batches=int(o.get("batches", 1)))),
    Entry("network-design.qoblib", "QOBLIB degree-constrained network design (MILP)", "n, 5..24",
          lambda d, o: network_design.qoblib(int(d))),
]}


def build(name: str, data_arg: str, options: dict | None = None):
    if name not in CATALOG:
        raise ModelError(f"unknown problem {name!r}; known: {', '.join(CATALOG)}")
    return CATALOG[name].build(data_arg, options or {})
