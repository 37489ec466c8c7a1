"""Network problems built with the qbdsl DSL, on real data (``qbdsl.problems.data``)."""

from . import data, network_design, ran, routing, scheduling, slicing
from .network import Network

__all__ = ["Network", "data", "routing", "network_design", "ran", "slicing", "scheduling"]
