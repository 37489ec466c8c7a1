"""Hypothesis strategies: random small models the exact backend can check."""

import numpy as np
from hypothesis import strategies as st

import qbdsl as qb


@st.composite
def small_models(draw, max_binaries=4, max_integers=2, with_max=True):
    rng_seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(rng_seed)
    nb = draw(st.integers(1, max_binaries))
    ni = draw(st.integers(0, max_integers))
    m = qb.Model("random")
    x = m.binary("x", nb)
    terms = [x]
    p = None
    if ni:
        lb = rng.integers(-2, 2, ni)
        span = rng.integers(1, 4, ni)
        p = m.integer("p", ni, lb=lb, ub=lb + span)
        terms.append(p)
    n_cons = draw(st.integers(0, 3))
    for k in range(n_cons):
        a = rng.integers(-3, 4, nb).astype(float)
        if not a.any():
            a[0] = 1
        lhs = (a * x).sum()
        if p is not None:
            lhs = lhs + (rng.integers(-2, 3, ni) * p).sum()
        sense = draw(st.sampled_from(["==", "<=", ">="]))
        rhs = float(rng.integers(-2, 4))
        c = {"==": lhs == rhs, "<=": lhs <= rhs, ">=": lhs >= rhs}[sense]
        m.add(c, name=f"k{k}")
    c = rng.integers(-5, 6, nb)
    c[0] = c[0] or 1  # never an empty model
    obj = (c * x).sum()
    if nb > 1:
        i, j = rng.choice(nb, 2, replace=False)
        obj = obj + float(rng.integers(-4, 5)) * x[i] * x[j]
    if p is not None:
        obj = obj + (rng.integers(-3, 4, ni) * p).sum() + float(rng.integers(-2, 3)) * x[0] * p[0]
        if draw(st.booleans()):
            obj = obj + 0.5 * (p**2).sum()
    if with_max and draw(st.booleans()):
        m.maximize(obj)
    else:
        m.minimize(obj)
    return m
