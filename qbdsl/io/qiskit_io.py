"""qiskit-optimization translators: QuboIR -> QuadraticProgram, Model <-> QuadraticProgram."""

from __future__ import annotations

from ..errors import ModelError
from .flat import FlatProblem


def qubo_to_qp(ir):
    """An unconstrained binary ``QuadraticProgram`` with the IR's labels."""
    from qiskit_optimization import QuadraticProgram

    t = ir.terms
    qp = QuadraticProgram(ir.source.name)
    for nm in ir.labels:
        qp.binary_var(nm)
    qp.minimize(constant=t.offset, linear=t.h, quadratic={(int(i), int(j)): float(v) for i, j, v in zip(t.i, t.j, t.v)})
    return qp


def model_to_qp(model):
    """A ``QuadraticProgram`` with the model's variables, objective and constraints."""
    from qiskit_optimization import QuadraticProgram

    prob = model.to_problem()
    lay = prob.layout
    labels = lay.labels()
    kinds = lay.kinds()
    qp = QuadraticProgram(prob.name)
    for k, nm in enumerate(labels):
        if kinds[k] == 0:
            qp.binary_var(nm)
        elif kinds[k] == 1:
            qp.integer_var(lowerbound=lay.lb[k], upperbound=lay.ub[k], name=nm)
        else:
            qp.continuous_var(lowerbound=lay.lb[k], upperbound=lay.ub[k], name=nm)

    def parts(poly, row):
        cols = poly.L[row]
        lin = {labels[j]: v for j, v in zip(cols.indices.tolist(), cols.data.tolist())}
        m = poly.qrow == row
        quad = {
            (labels[i], labels[j]): v
            for i, j, v in zip(poly.qi[m].tolist(), poly.qj[m].tolist(), poly.qcoef[m].tolist())
        }
        return lin, quad, float(poly.const[row])

    lin, quad, const = parts(prob.objective, 0)
    (qp.minimize if prob.sense == "min" else qp.maximize)(constant=const, linear=lin, quadratic=quad)
    for b in prob.constraints:
        for r in range(b.poly.rows):
            lin, quad, const = parts(b.poly, r)
            name = b.labels[r] if b.labels else (f"{b.name}({r})" if b.shape else b.name)
            if quad:
                qp.quadratic_constraint(linear=lin, quadratic=quad, sense=b.sense, rhs=-const, name=name)
            else:
                qp.linear_constraint(linear=lin, sense=b.sense, rhs=-const, name=name)
    return qp


def from_qp(qp):
    """A :class:`~qbdsl.model.Model` from a qiskit-optimization ``QuadraticProgram``.

    Parameters
    ----------
    qp : qiskit_optimization.QuadraticProgram
        The program to convert.

    Returns
    -------
    Model

    Raises
    ------
    ModelError
        ``qp`` is not a ``QuadraticProgram`` (its type is named), or a program without
        variables.
    """
    if not type(qp).__module__.startswith("qiskit_optimization"):
        raise ModelError(f"from_qp takes a qiskit_optimization QuadraticProgram, got a {type(qp).__name__}")
    from qiskit_optimization import QuadraticProgram
    from qiskit_optimization.problems import Constraint, QuadraticObjective, VarType

    if not isinstance(qp, QuadraticProgram):
        raise ModelError(f"from_qp takes a qiskit_optimization QuadraticProgram, got a {type(qp).__name__}")

    fp = FlatProblem(name=qp.name or "qp")
    kind = {VarType.BINARY: "binary", VarType.INTEGER: "integer", VarType.CONTINUOUS: "continuous"}
    for v in qp.variables:
        k = fp.var(v.name)
        fp.kinds[k] = kind[v.vartype]
        fp.lb[k], fp.ub[k] = float(v.lowerbound), float(v.upperbound)
    order = [fp.index[v.name] for v in qp.variables]

    def lin_of(expr):
        return {order[j]: float(c) for (_, j), c in expr.coefficients.items()}

    def quad_of(expr):
        return [(order[i], order[j], float(c)) for (i, j), c in expr.coefficients.items()]

    obj = qp.objective
    fp.sense = "max" if obj.sense == QuadraticObjective.Sense.MAXIMIZE else "min"
    fp.obj, fp.obj_quad, fp.offset = lin_of(obj.linear), quad_of(obj.quadratic), float(obj.constant)
    sense = {Constraint.Sense.EQ: "==", Constraint.Sense.LE: "<=", Constraint.Sense.GE: ">="}
    for c in qp.linear_constraints:
        fp.add_row(c.name, sense[c.sense], lin_of(c.linear), float(c.rhs))
    for c in qp.quadratic_constraints:
        fp.add_row(c.name, sense[c.sense], lin_of(c.linear), float(c.rhs), quad_of(c.quadratic))
    if not fp.var_names:
        raise ModelError("the QuadraticProgram has no variables")
    return fp.to_model()
