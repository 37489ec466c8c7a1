"""dimod translators: QuboIR <-> BinaryQuadraticModel, Model <-> ConstrainedQuadraticModel."""
from __future__ import annotations

import numpy as np

from ..errors import FileFormatError, ModelError
from ..ir.terms import QuboTerms
from .flat import FlatProblem


def qubo_to_bqm(ir):
    """``dimod.BinaryQuadraticModel`` (BINARY) with the IR's string labels."""
    import dimod

    t = ir.terms
    return dimod.BinaryQuadraticModel.from_numpy_vectors(
        t.h, (t.i, t.j, t.v), t.offset, dimod.BINARY, variable_order=ir.labels)


def bqm_to_qubo(bqm, name: str = "bqm"):
    """A bare QuboIR from any BQM (SPIN models are converted to BINARY first)."""
    import dimod

    if bqm.vartype is not dimod.BINARY:
        bqm = bqm.change_vartype(dimod.BINARY, inplace=False)
    order = list(bqm.variables)
    h, (i, j, v), offset = bqm.to_numpy_vectors(variable_order=order)
    from ..ir.qubo import QuboIR

    terms = QuboTerms.from_coo(len(order), h, i, j, v, float(offset))
    return QuboIR.from_terms(terms, [str(x) for x in order], name)


def bqm_to_bytes(ir) -> bytes:
    bqm = qubo_to_bqm(ir)
    with bqm.to_file() as f:
        return f.read()


def bqm_from_bytes(data: bytes, path: str = "<bqm>"):
    import io

    import dimod

    try:
        bqm = dimod.BinaryQuadraticModel.from_file(io.BytesIO(data))
    except Exception as exc:
        raise FileFormatError(f"not a dimod BQM file ({exc})", path) from None
    return bqm_to_qubo(bqm)


def from_dimod(obj):
    """A BQM becomes a QuboIR; a CQM becomes a Model."""
    import dimod

    if isinstance(obj, dimod.BinaryQuadraticModel):
        return bqm_to_qubo(obj)
    if isinstance(obj, dimod.ConstrainedQuadraticModel):
        return cqm_to_model(obj)
    raise ModelError(f"cannot read a {type(obj).__name__} (use a BQM or a CQM)")


_VT = {"BINARY": "binary", "INTEGER": "integer", "REAL": "continuous"}


def cqm_to_model(cqm, name: str = "cqm"):
    """A :class:`~qbdsl.model.Model` from a dimod CQM (SPIN variables become binary)."""
    import dimod

    if any(cqm.vartype(v) is dimod.SPIN for v in cqm.variables):
        cqm = cqm.copy()
        cqm.spin_to_binary(inplace=True)
    fp = FlatProblem(name=name)
    for v in cqm.variables:
        k = fp.var(str(v))
        vt = cqm.vartype(v).name
        if vt not in _VT:
            raise ModelError(f"CQM variable {v!r} has unsupported type {vt}")
        fp.kinds[k] = _VT[vt]
        fp.lb[k], fp.ub[k] = float(cqm.lower_bound(v)), float(cqm.upper_bound(v))

    def terms(qm):
        lin = {fp.index[str(v)]: float(b) for v, b in qm.iter_linear() if b}
        quad = [(fp.index[str(u)], fp.index[str(v)], float(b)) for u, v, b in qm.iter_quadratic() if b]
        return lin, quad, float(qm.offset)

    fp.obj, fp.obj_quad, fp.offset = terms(cqm.objective)
    senses = {"Le": "<=", "Ge": ">=", "Eq": "=="}
    for label, comp in cqm.constraints.items():
        lin, quad, off = terms(comp.lhs)
        fp.add_row(str(label), senses[comp.sense.name], lin, float(comp.rhs) - off, quad)
    return fp.to_model()


def model_to_cqm(model):
    """A dimod CQM with the model's variables (labels like ``x(0,1)``) and constraints."""
    import dimod

    prob = model.to_problem()
    lay = prob.layout
    labels = lay.labels()
    kinds = lay.kinds()
    cqm = dimod.ConstrainedQuadraticModel()
    vt = {0: dimod.BINARY, 1: dimod.INTEGER, 2: dimod.REAL}
    for k, nm in enumerate(labels):
        if kinds[k] == 0:
            cqm.add_variable(dimod.BINARY, nm)
        else:
            lb = lay.lb[k] if np.isfinite(lay.lb[k]) else -1e30
            ub = lay.ub[k] if np.isfinite(lay.ub[k]) else 1e30
            cqm.add_variable(vt[int(kinds[k])], nm, lower_bound=lb, upper_bound=ub)

    def ensure(qm, j):
        if labels[j] not in qm.variables:
            if kinds[j] == 0:
                qm.add_variable(dimod.BINARY, labels[j])
            else:
                qm.add_variable(vt[int(kinds[j])], labels[j], lower_bound=cqm.lower_bound(labels[j]),
                                upper_bound=cqm.upper_bound(labels[j]))

    def qm_of(poly, row):
        qm = dimod.QM()
        cols = poly.L[row]
        for j, v in zip(cols.indices.tolist(), cols.data.tolist()):
            ensure(qm, j)
            qm.add_linear(labels[j], v)
        m = poly.qrow == row
        for i, j, v in zip(poly.qi[m].tolist(), poly.qj[m].tolist(), poly.qcoef[m].tolist()):
            ensure(qm, i)
            ensure(qm, j)
            if i == j and kinds[i] == 0:
                qm.add_linear(labels[i], v)  # x*x == x for binaries
            else:
                qm.add_quadratic(labels[i], labels[j], v)
        qm.offset += float(poly.const[row])
        return qm

    obj = qm_of(prob.objective, 0)
    cqm.set_objective(obj if prob.sense == "min" else -obj)
    for b in prob.constraints:
        for r in range(b.poly.rows):
            qm = qm_of(b.poly, r)
            rhs = -qm.offset
            qm.offset = 0.0
            label = b.labels[r] if b.labels else (f"{b.name}({r})" if b.shape else b.name)
            cqm.add_constraint(qm, b.sense, rhs, label=label)
    return cqm
