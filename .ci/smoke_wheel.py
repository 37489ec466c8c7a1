"""Smoke test of an installed qbdsl wheel; .ci/run runs it in a fresh venv, outside the checkout.

Imports nothing from the checkout: it checks that qbdsl comes from this interpreter's
site-packages, that every subpackage imports, and that qb.solve with the default backend
("auto", which goes through qbdsl.qip) solves a small model to its known optimum.
"""

import importlib
import sys
import sysconfig
from pathlib import Path

import numpy as np

import qbdsl as qb

site = Path(sysconfig.get_paths()["purelib"]).resolve()
where = Path(qb.__file__).resolve()
assert where.is_relative_to(site), f"qbdsl imported from {where}, not from this venv's {site}"
assert not (where.parent.parent / "pyproject.toml").exists(), f"qbdsl imported from a checkout: {where}"

for name in (
    "qbdsl.qip",
    "qbdsl.orchestrate",
    "qbdsl.problems",
    "qbdsl.problems.data",
    "qbdsl.backends",
    "qbdsl.io",
    "qbdsl.ir",
    "qbdsl.passes",
    "qbdsl.cli",
):
    mod = importlib.import_module(name)
    assert Path(mod.__file__).resolve().is_relative_to(site), f"{name} imported from {mod.__file__}"

# Pick exactly two of three items at least cost: costs 3, 1, 2 -> items 1 and 2, objective 3.
m = qb.Model("smoke")
x = m.binary("x", shape=3)
m.add(x.sum() == 2, name="two")
m.minimize((np.array([3.0, 1.0, 2.0]) * x).sum())
r = qb.solve(m)  # default backend: "auto" (the QIP policy picks one)
assert r.decision is not None, "backend='auto' made no QIP decision"
assert r.feasible, f"infeasible answer from {r.backend}: {r.violations}"
assert abs(r.objective - 3.0) < 1e-6, f"objective {r.objective} from {r.backend}, expected 3"
assert list(np.asarray(r.values["x"]).ravel()) == [0, 1, 1], r.values["x"]

# A parallel pair, as qb.solve(backend="auto") runs one on two cores: outside the checkout no
# module of it may import the checkout's top-level folders (every pair failed that way once).
from qbdsl.ir.terms import QuboTerms  # noqa: E402
from qbdsl.qip import uncertain  # noqa: E402
from qbdsl.qip.costmodel import CostModel, prior_model  # noqa: E402

rng = np.random.default_rng(0)
i, j = np.triu_indices(22, 1)
q = qb.QuboIR.from_terms(QuboTerms.from_coo(22, rng.normal(size=22), i, j, rng.normal(size=len(i))))
cm = CostModel({b: prior_model(b) for b in ("exact", "anneal", "tabu")})
# exact's wide time band is the doubt that proposes the pair; at 5 s it lies far inside the
# deadline, which the rule no longer counts as doubt (uncertain.BAND_DEADLINE_SHARE): counted here
uncertain.BAND_DEADLINE_SHARE = 0.0
d = qb.qip.decide(q, deadline=5.0, cost_model=cm, include_remote=False)
assert len(d.parallel) == 2, f"expected a parallel pair, got {d.parallel}: {d.reason}"
rp = qb.solve(q, deadline=5.0, cost_model=cm, seed=0)
pair = rp.info.get("parallel") or []
assert len(pair) == 2 and not any(p["status"].startswith("error") for p in pair), pair

print(
    f"smoke ok: qbdsl {qb.__version__ if hasattr(qb, '__version__') else ''} from {where.parent}; "
    f"auto picked {r.backend}, objective {r.objective:g}; Python {sys.version.split()[0]}"
)
