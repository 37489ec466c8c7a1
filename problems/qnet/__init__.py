"""Quantum-network problems: entanglement distribution physics, real topologies, entanglement routing.

``physics``: link generation, swapping, decoherence and purification formulas with their
sources, and the :class:`~.physics.Params` of published experiments. ``topologies``: SURFnet
and GEANT from the Internet Topology Zoo with fibre lengths. ``routing``: the entanglement
routing models (path-based MILP and all-binary QUBO forms) and their second-implementation check.
``slicing``: joint quantum-classical slicing against the two layers placed in turn. The
simulator checks (the ``qnet`` extra, imported on demand): ``simulate`` (SeQUeNCe: rates) and
``requsim_check`` (ReQuSim, density matrices with memory noise: fidelity and rate).
"""

from . import physics, routing, topologies
from .physics import Params
from .routing import Requests, entanglement_routing
from .topologies import Topology, load_topology

__all__ = [
    "Params",
    "Requests",
    "Topology",
    "entanglement_routing",
    "load_topology",
    "physics",
    "routing",
    "topologies",
]
