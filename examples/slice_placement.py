"""A small network-slice placement model: the example used by the README, the demo and the CLI.

Three virtual functions (CPU demands 2, 3, 2) go onto four substrate nodes (CPU capacity
4, 3, 5, 2); each node has a per-unit hosting cost. Functions 0 and 1 exchange traffic,
so putting them on different nodes costs extra (a quadratic term).
"""

import numpy as np

import qbdsl as qb

CPU = np.array([2.0, 3.0, 2.0])  # demand per function
CAP = np.array([4.0, 3.0, 5.0, 2.0])  # capacity per node
COST = np.array(
    [
        [4, 2, 5, 1],  # cost of function s on node n
        [3, 6, 2, 4],
        [5, 1, 3, 2],
    ],
    dtype=float,
)


def build() -> qb.Model:
    m = qb.Model("slice-placement")
    x = m.binary("x", shape=COST.shape)  # x[s, n] = 1: function s on node n
    m.add(x.sum(axis=1) == 1, name="place-once")  # every function placed once
    m.add((CPU[:, None] * x).sum(axis=0) <= CAP, name="cpu")
    same_node = (x[0] * x[1]).sum()  # 1 when functions 0 and 1 share a node
    m.minimize((COST * x).sum() + 3.0 * (1 - same_node))
    return m
