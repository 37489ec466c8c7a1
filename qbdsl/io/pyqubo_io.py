"""PyQUBO compiled models into qbdsl."""

from __future__ import annotations

import numpy as np

from ..errors import ModelError
from ..ir.terms import QuboTerms


def from_pyqubo(compiled, feed_dict: dict | None = None, name: str = "pyqubo"):
    """A bare :class:`~qbdsl.ir.qubo.QuboIR` from a ``pyqubo`` compiled model.

    Placeholders are resolved with ``feed_dict``; labels are PyQUBO's variable names.

    Raises
    ------
    ModelError
        ``compiled`` is not a compiled PyQUBO model.
    """
    from ..ir.qubo import QuboIR

    if not hasattr(compiled, "to_qubo"):
        raise ModelError(f"expected a compiled PyQUBO model (model.compile()), got {type(compiled).__name__}")
    qubo, offset = compiled.to_qubo(index_label=False, feed_dict=feed_dict or {})
    labels = sorted({v for key in qubo for v in key} | set(compiled.variables))
    index = {v: k for k, v in enumerate(labels)}
    n = len(labels)
    i = np.fromiter((index[a] for a, _ in qubo), np.int64, len(qubo))
    j = np.fromiter((index[b] for _, b in qubo), np.int64, len(qubo))
    v = np.fromiter(qubo.values(), float, len(qubo))
    terms = QuboTerms.from_coo(n, np.zeros(n), i, j, v, float(offset))
    return QuboIR.from_terms(terms, labels, name)
