"""The same benchmark models written in qbdsl, PyQUBO and qiskit-optimization.

TSP: x[c, t] = 1 when city c is visited at step t; each city once, each step once;
tour length sum_t sum_{u,v} D[u,v] x[u,t] x[v,t+1]. Constraint weight A is fixed so
every tool builds the identical QUBO.

k-path routing: each demand picks one of k candidate paths (one-hot); the objective
is the sum over links of the squared link load, load_e = sum_{d,p} vol_d inc[d,p,e] x[d,p].
"""

import numpy as np

import qbdsl as qb

PENALTY = 500.0


def tsp_data(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pts = rng.random((n, 2))
    return np.round(np.linalg.norm(pts[:, None] - pts[None], axis=-1) * 100)


def routing_data(demands: int, links: int, k: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    vol = rng.integers(1, 10, demands).astype(float)
    inc = (rng.random((demands, k, links)) < 4.0 / links).astype(float)  # ~4 links per path
    return vol, inc


def tsp_qbdsl(D: np.ndarray) -> qb.Model:
    n = len(D)
    m = qb.Model("tsp")
    x = m.binary("x", (n, n))
    m.add(x.sum(axis=1) == 1, name="city")
    m.add(x.sum(axis=0) == 1, name="step")
    nxt = x[:, np.r_[1:n, 0]]  # x[v, t+1]
    m.minimize(((x.T @ D) * nxt.T).sum())  # sum_t sum_v (sum_u x[u,t] D[u,v]) x[v,t+1]
    return m


def tsp_qbdsl_bqm(D: np.ndarray):
    q = qb.compile(tsp_qbdsl(D), "qubo", penalty=PENALTY)
    return q.to_bqm()


def tsp_pyqubo_bqm(D: np.ndarray):
    from pyqubo import Array, Constraint

    n = len(D)
    x = Array.create("x", shape=(n, n), vartype="BINARY")
    length = sum(D[u, v] * x[u, t] * x[v, (t + 1) % n] for t in range(n) for u in range(n) for v in range(n) if D[u, v])
    city = sum(Constraint((sum(x[c, t] for t in range(n)) - 1) ** 2, f"city{c}") for c in range(n))
    step = sum(Constraint((sum(x[c, t] for c in range(n)) - 1) ** 2, f"step{t}") for t in range(n))
    model = (length + PENALTY * (city + step)).compile()
    return model.to_bqm()


def tsp_qiskit_bqm(D: np.ndarray):
    """qiskit-optimization: QuadraticProgram -> QuadraticProgramToQubo -> dimod BQM."""
    import dimod
    from qiskit_optimization import QuadraticProgram
    from qiskit_optimization.converters import QuadraticProgramToQubo

    n = len(D)
    qp = QuadraticProgram("tsp")
    for c in range(n):
        for t in range(n):
            qp.binary_var(f"x({c},{t})")
    quad = {}
    for t in range(n):
        for u in range(n):
            for v in range(n):
                if D[u, v]:
                    key = (f"x({u},{t})", f"x({v},{(t + 1) % n})")
                    quad[key] = quad.get(key, 0.0) + D[u, v]
    qp.minimize(quadratic=quad)
    for c in range(n):
        qp.linear_constraint({f"x({c},{t})": 1 for t in range(n)}, "==", 1, f"city{c}")
    for t in range(n):
        qp.linear_constraint({f"x({c},{t})": 1 for c in range(n)}, "==", 1, f"step{t}")
    qubo = QuadraticProgramToQubo(penalty=PENALTY).convert(qp)
    lin = qubo.objective.linear.to_dict(use_name=True)
    q = qubo.objective.quadratic.to_dict(use_name=True)
    return dimod.BinaryQuadraticModel(lin, q, qubo.objective.constant, dimod.BINARY)


def routing_qbdsl(vol, inc) -> qb.Model:
    d, k, e = inc.shape
    m = qb.Model("k-path")
    x = m.binary("x", (d, k))
    m.add(x.sum(axis=1) == 1, name="one-path")
    load = (vol[:, None] * x).reshape(d * k) @ inc.reshape(d * k, e)  # (e,) link loads
    m.minimize((load**2).sum())
    return m


def routing_qbdsl_bqm(vol, inc):
    return qb.compile(routing_qbdsl(vol, inc), "qubo", penalty=PENALTY).to_bqm()


def routing_pyqubo_bqm(vol, inc):
    from pyqubo import Array, Constraint

    d, k, e = inc.shape
    x = Array.create("x", shape=(d, k), vartype="BINARY")
    cost = 0
    for l in range(e):
        users = [(a, p) for a in range(d) for p in range(k) if inc[a, p, l]]
        if users:
            load = sum(vol[a] * x[a, p] for a, p in users)
            cost += load**2
    one = sum(Constraint((sum(x[a, p] for p in range(k)) - 1) ** 2, f"one{a}") for a in range(d))
    return (cost + PENALTY * one).compile().to_bqm()


def routing_qiskit_bqm(vol, inc):
    import dimod
    from qiskit_optimization import QuadraticProgram
    from qiskit_optimization.converters import QuadraticProgramToQubo

    d, k, e = inc.shape
    qp = QuadraticProgram("k-path")
    for a in range(d):
        for p in range(k):
            qp.binary_var(f"x({a},{p})")
    quad: dict = {}
    for l in range(e):
        users = [(f"x({a},{p})", vol[a]) for a in range(d) for p in range(k) if inc[a, p, l]]
        for u, cu in users:
            for v, cv in users:
                key = (u, v) if u <= v else (v, u)
                quad[key] = quad.get(key, 0.0) + cu * cv
    qp.minimize(quadratic=quad)
    for a in range(d):
        qp.linear_constraint({f"x({a},{p})": 1 for p in range(k)}, "==", 1, f"one{a}")
    qubo = QuadraticProgramToQubo(penalty=PENALTY).convert(qp)
    return dimod.BinaryQuadraticModel(
        qubo.objective.linear.to_dict(use_name=True),
        qubo.objective.quadratic.to_dict(use_name=True),
        qubo.objective.constant,
        dimod.BINARY,
    )
