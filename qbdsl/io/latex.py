"""LaTeX rendering of a model through sympy (for notebooks: ``Model._repr_latex_``)."""

from __future__ import annotations

import numpy as np

_REL = {"==": "=", "<=": r"\le", ">=": r"\ge"}


def _symbols(prob):
    import sympy

    bases = {a.name: sympy.IndexedBase(a.name.replace("_", r"\_")) for a in prob.layout.arrays}
    lay = prob.layout

    def sym(k: int):
        a = lay.array_of(k)
        if not a.shape:
            return sympy.Symbol(a.name)
        idx = np.unravel_index(k - a.start, a.shape)
        return bases[a.name][tuple(int(i) for i in idx)]

    return sym


def _row_latex(poly, row: int, sym, max_terms: int) -> str:
    import sympy

    cols = poly.L[row]
    terms = [sympy.Float(v) if not float(v).is_integer() else sympy.Integer(int(v)) for v in cols.data]
    expr_terms = [c * sym(j) for c, j in zip(terms, cols.indices.tolist())]
    m = np.flatnonzero(poly.qrow == row)
    for k in m.tolist():
        v = float(poly.qcoef[k])
        c = sympy.Integer(int(v)) if v.is_integer() else sympy.Float(v)
        expr_terms.append(c * sym(int(poly.qi[k])) * sym(int(poly.qj[k])))
    extra = len(expr_terms) - max_terms
    expr = sympy.Add(*expr_terms[:max_terms], evaluate=False) if expr_terms else sympy.Integer(0)
    s = sympy.latex(expr)
    if extra > 0:
        s += rf" + \dots\ ({extra}\ \text{{more terms}})"
    return s


def model_to_latex(model, max_rows: int = 3, max_terms: int = 12) -> str:
    """An ``aligned`` LaTeX block: objective, the first rows of each constraint, domains."""
    prob = model.to_problem()
    sym = _symbols(prob)
    obj = _row_latex(prob.objective, 0, sym, max_terms)
    c = float(prob.objective.const[0])
    if c:
        obj += f" + {c:g}"
    lines = [rf"\text{{{'minimize' if prob.sense == 'min' else 'maximize'}}} \quad & {obj}"]
    first = True
    for b in prob.constraints:
        for r in range(min(b.poly.rows, max_rows)):
            lhs = _row_latex(b.poly, r, sym, max_terms)
            rhs = -float(b.poly.const[r])
            head = r"\text{subject to} \quad" if first else ""
            first = False
            lines.append(rf"{head} & {lhs} {_REL[b.sense]} {rhs:g} \quad \text{{({b.name.replace('_', '-')})}}")
        if b.poly.rows > max_rows:
            lines.append(rf"& \dots\ \text{{{b.poly.rows - max_rows} more rows of {b.name.replace('_', '-')}}}")
    doms = []
    for a in prob.layout.arrays:
        nm = a.name.replace("_", r"\_")
        if a.kind == "binary":
            dims = r" \times ".join(map(str, a.shape)) or "1"
            doms.append(rf"{nm} \in \{{0,1\}}^{{{dims}}}")
        else:
            lb = prob.layout.lb[a.start : a.stop]
            ub = prob.layout.ub[a.start : a.stop]
            dom = r"\mathbb{Z}" if a.kind == "integer" else r"\mathbb{R}"
            doms.append(rf"{nm} \in {dom},\ {lb.min():g} \le {nm} \le {ub.max():g}".replace("inf", r"\infty"))
    lines.append(r"& " + r",\quad ".join(doms))
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"
