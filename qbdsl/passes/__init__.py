"""Compiler passes, each a reduction with an inverse (:mod:`~qbdsl.passes.base`).

- :mod:`~qbdsl.passes.penalize`: the objective sense, and constraints to penalties (QUBO targets);
- :mod:`~qbdsl.passes.encode`: integer variables to binaries (QUBO targets);
- :mod:`~qbdsl.passes.weights`: penalty weights that provably keep infeasible points above the optimum;
- :mod:`~qbdsl.passes.linearize`: exact linearization of products (MILP targets).

:mod:`qbdsl.compiler` assembles them into the chain for a target.
"""
