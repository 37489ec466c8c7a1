"""dimod translators: QuboIR <-> BinaryQuadraticModel, Model <-> ConstrainedQuadraticModel.

What a ``.bqm`` file keeps
--------------------------
``.bqm`` is dimod's own serialization (``BinaryQuadraticModel.to_file``, format version 2):
float64 biases and the offset (bit for bit: exact), and the variable labels (qbdsl's names).
A BQM is an energy to minimize and has no sense; for a maximize model (``E = -objective +
penalties``) qbdsl adds the key ``"qbdsl": {"sense": "max"}`` to the file's JSON header, which
dimod's reader ignores (it reads only the keys it knows; minimize models get no key, so their
files are dimod's bytes unchanged). The reloaded QuboIR then reports ``objective = -E`` with
sense ``max``. Like ``.qubo`` (:mod:`qbdsl.io.qubo_format`), it does not keep constraints,
penalty blocks, weights or encodings: a reloaded BQM is a bare QUBO whose answers' objective
comes from the merged energy (exact for integer data, float64 rounding otherwise); ``.npz``
keeps the whole IR. Other tools reading a qbdsl ``.bqm`` of a maximize model see the energy
(the negated objective).
"""

from __future__ import annotations

import numpy as np

from ..errors import FileFormatError, ModelError
from ..ir.terms import QuboTerms
from .flat import FlatProblem
from .qubo_format import SENSES, bare_qubo, sense_of

BQM_MAGIC = b"DIMODBQM"
HEADER_KEY = "qbdsl"  # qbdsl's entry in a .bqm file's JSON header: {"sense": "max"}


def qubo_to_bqm(ir):
    """``dimod.BinaryQuadraticModel`` (BINARY) with the IR's string labels."""
    import dimod

    t = ir.terms
    return dimod.BinaryQuadraticModel.from_numpy_vectors(
        t.h, (t.i, t.j, t.v), t.offset, dimod.BINARY, variable_order=ir.labels
    )


def bqm_to_qubo(bqm, name: str = "bqm", sense: str = "min"):
    """A bare QuboIR from any BQM (SPIN models are converted to BINARY first); with
    ``sense="max"`` the BQM's energy is a maximization's negated objective."""
    import dimod

    if bqm.vartype is not dimod.BINARY:
        bqm = bqm.change_vartype(dimod.BINARY, inplace=False)
    order = list(bqm.variables)
    h, (i, j, v), offset = bqm.to_numpy_vectors(variable_order=order)
    terms = QuboTerms.from_coo(len(order), h, i, j, v, float(offset))
    return bare_qubo(terms, [str(x) for x in order], name, sense)


def bqm_to_bytes(ir) -> bytes:
    """dimod's file of the IR's BQM; a maximize model's gets ``"qbdsl": {"sense": "max"}`` in
    its JSON header (module docstring)."""
    import io

    from dimod.serialization.fileview import make_header, read_header

    bqm = qubo_to_bqm(ir)
    with bqm.to_file() as f:
        data = f.read()
    if sense_of(ir) == "min":
        return data
    f = io.BytesIO(data)
    info = read_header(f, BQM_MAGIC)
    header = dict(info.data)
    header[HEADER_KEY] = {"sense": "max"}
    return bytes(make_header(BQM_MAGIC, header, info.version)) + data[f.tell() :]


def _bqm_sense(header: dict) -> str:
    extra = header.get(HEADER_KEY, {})
    sense = extra.get("sense", "min") if isinstance(extra, dict) else None
    if sense not in SENSES:
        raise ValueError(f"header entry {HEADER_KEY!r} must be {{'sense': 'min' or 'max'}}, got {extra!r}")
    return sense


def _check_bqm_layout(data: bytes) -> str:
    """Check a BQM file's sizes and indices before dimod reads it; return qbdsl's sense entry.

    dimod trusts the file: a corrupt neighbour index makes its C++ core allocate without bound
    or crash the process, so the arrays are checked here first, from views of ``data``
    (nothing sized by the header is allocated). The layout follows dimod's ``to_file``
    (versions 1 and 2): header, offset, one ``(neighbourhood start, bias)`` per variable, then
    ``2 * num_interactions`` ``(neighbour, bias)`` records ordered by variable.
    """
    import io

    from dimod.serialization.fileview import read_header

    f = io.BytesIO(data)
    info = read_header(f, BQM_MAGIC)
    if info.version >= (3, 0):
        raise ValueError(f"format version {info.version} is newer than this reader")
    sense = _bqm_sense(info.data)
    nv, ni = (int(x) for x in info.data["shape"])
    dtype, itype, ntype = (np.dtype(info.data[k]) for k in ("dtype", "itype", "ntype"))
    if nv < 0 or ni < 0 or itype.kind not in "iu" or ntype.kind not in "iu" or dtype.kind != "f":
        raise ValueError(f"bad shape {info.data['shape']} or types {dtype}, {itype}, {ntype}")
    lin = np.dtype([("nidx", ntype), ("bias", dtype)])
    quad = np.dtype([("outvar", itype), ("bias", dtype)])
    start = f.tell() + dtype.itemsize
    need = start + nv * lin.itemsize + 2 * ni * quad.itemsize
    if len(data) < need:
        raise ValueError(f"file ends at byte {len(data)}, its header announces {need} bytes")
    if not nv:
        return sense
    nidx = np.frombuffer(data, lin, nv, start)["nidx"].astype(np.int64)
    ends = np.append(nidx[1:], 2 * ni)
    if nidx[0] != 0 or np.any(ends < nidx):
        raise ValueError("neighbourhood starts are not increasing from 0")
    out = np.frombuffer(data, quad, 2 * ni, start + nv * lin.itemsize)["outvar"].astype(np.int64)
    owner = np.repeat(np.arange(nv), ends - nidx)
    if np.any(out < 0) or np.any(out >= nv) or np.any(out == owner):
        raise ValueError("a neighbour index is out of range or a variable's own")
    if np.any((np.diff(out) <= 0) & (owner[1:] == owner[:-1])):
        raise ValueError("neighbours are not sorted")
    return sense


def bqm_from_bytes(data: bytes, path: str = "<bqm>"):
    """A bare QuboIR from the bytes of a dimod BQM file (with the sense qbdsl's header entry
    keeps: module docstring).

    Raises
    ------
    FileFormatError
        Bytes that dimod cannot read, or that are corrupt (truncated arrays, indices out
        of range), named after ``path``.
    """
    import io
    import struct

    import dimod

    try:
        sense = _check_bqm_layout(data)
        return bqm_to_qubo(dimod.BinaryQuadraticModel.from_file(io.BytesIO(data)), sense=sense)
    except FileFormatError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OSError, EOFError, struct.error) as exc:
        raise FileFormatError(f"not a valid dimod BQM file ({type(exc).__name__}: {exc})", path) from None


def from_dimod(obj):
    """A BQM becomes a QuboIR; a CQM becomes a Model.

    Raises
    ------
    ModelError
        Neither a BQM nor a CQM, or a CQM variable of a type qbdsl has no kind for.
    """
    import dimod

    if isinstance(obj, dimod.BinaryQuadraticModel):
        return bqm_to_qubo(obj)
    if isinstance(obj, dimod.ConstrainedQuadraticModel):
        return cqm_to_model(obj)
    raise ModelError(f"cannot read a {type(obj).__name__} (use a BQM or a CQM)")


_VT = {"BINARY": "binary", "INTEGER": "integer", "REAL": "continuous"}


def cqm_to_model(cqm, name: str = "cqm"):
    """A :class:`~qbdsl.model.Model` from a dimod CQM (SPIN variables become binary).

    Raises
    ------
    ModelError
        A variable of a type qbdsl has no kind for.
    """
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
                qm.add_variable(
                    vt[int(kinds[j])],
                    labels[j],
                    lower_bound=cqm.lower_bound(labels[j]),
                    upper_bound=cqm.upper_bound(labels[j]),
                )

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
