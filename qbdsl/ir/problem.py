"""The flat, target-neutral problem that compiler passes transform.

A :class:`Problem` is a model lowered to arrays: a :class:`VarLayout` (one entry per
user variable array, flat bounds and kinds), an objective :class:`Poly` with one row,
and named constraint blocks ``poly (sense) 0``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np

from .poly import Poly

BINARY, INTEGER, CONTINUOUS = "binary", "integer", "continuous"
KIND_CODE = {BINARY: 0, INTEGER: 1, CONTINUOUS: 2}


def element_names(name: str, shape: tuple) -> list[str]:
    """``name(i,j)`` for every element of an array of ``shape`` (``name`` for a scalar)."""
    if not shape:
        return [name]
    if len(shape) == 1:
        return [f"{name}({k})" for k in range(shape[0])]
    return [f"{name}({','.join(map(str, idx))})" for idx in np.ndindex(*shape)]


@dataclass
class VarArray:
    """One named variable array of a model."""

    name: str
    kind: str
    shape: tuple
    start: int
    labels: list[str] | None = None  # original per-element names (files read from disk)

    @property
    def size(self) -> int:
        """Number of elements of the array."""
        return int(math.prod(self.shape))  # np.prod costs ~7 us a call: kinds() calls it per array

    @property
    def stop(self) -> int:
        """One past the array's last flat variable index."""
        return self.start + self.size

    def element_label(self, k: int) -> str:
        """The label of the array's ``k``-th element in C order: its file name, or ``name(i,j)``."""
        if self.labels is not None:
            return self.labels[k]
        if not self.shape:
            return self.name
        idx = np.unravel_index(k, self.shape)
        return f"{self.name}({','.join(str(int(i)) for i in idx)})"

    def element_labels(self) -> list[str]:
        """Every element's label, in C order."""
        if self.labels is not None:
            return list(self.labels)
        return element_names(self.name, self.shape)


@dataclass
class VarLayout:
    """All variable arrays of a model, with flat bounds."""

    arrays: list[VarArray]
    lb: np.ndarray
    ub: np.ndarray

    @property
    def n(self) -> int:
        """Number of scalar variables."""
        return len(self.lb)

    def kinds(self) -> np.ndarray:
        """Kind code per scalar variable (0 binary, 1 integer, 2 continuous), read-only.

        Built once per list of arrays (a decode reads it per chunk; a file's model of a
        few hundred scalar arrays took 0.5 ms a build)."""
        return self._cached()[0]

    def _cached(self) -> tuple[np.ndarray, list[tuple]]:
        """``(kinds, spans)``, built once per list of arrays: the kind codes, and per array
        ``(name, start, stop, shape, integral)`` (a decode splits every chunk by them)."""
        # valid while the list holds the same array objects (held here, so compared by identity)
        # with the same names, kinds, starts and shapes, and the bounds have the same length
        sig = [(a.name, a.kind, a.start, a.shape) for a in self.arrays]
        cached = self.__dict__.get("_layout_cache")
        if (
            cached is None
            or cached[1] != sig
            or cached[2] != self.n
            or any(x is not y for x, y in zip(cached[0], self.arrays, strict=True))
        ):
            out = np.empty(self.n, dtype=np.int8)
            spans = []
            for a in self.arrays:
                out[a.start : a.stop] = KIND_CODE[a.kind]
                spans.append((a.name, a.start, a.stop, a.shape, a.kind != CONTINUOUS))
            out.flags.writeable = False
            cached = self.__dict__["_layout_cache"] = (tuple(self.arrays), sig, self.n, (out, spans))
        return cached[3]

    def array_of(self, k: int) -> VarArray:
        """The array holding flat variable ``k``."""
        starts = [a.start for a in self.arrays]
        return self.arrays[int(np.searchsorted(starts, k, side="right")) - 1]

    def label(self, k: int) -> str:
        """The label of flat variable ``k``, e.g. ``x(2,3)``."""
        a = self.array_of(k)
        return a.element_label(k - a.start)

    def labels(self) -> list[str]:
        """Every flat variable's label, in layout order (length ``n``)."""
        out: list[str] = []
        for a in self.arrays:
            out.extend(a.element_labels())
        return out

    def split(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Flat values -> {array name: values in the array's shape and natural dtype}."""
        x = np.asarray(x)
        out = {}
        lead = x.shape[:-1]
        for name, start, stop, shape, integral in self._cached()[1]:
            v = x[..., start:stop]
            if integral:
                v = np.rint(v).astype(np.int64)
            out[name] = v.reshape(lead + shape)
        return out

    def to_json(self) -> str:
        """The arrays' names, kinds, shapes, starts and labels as JSON (the bounds are kept apart)."""
        return json.dumps(
            [
                {"name": a.name, "kind": a.kind, "shape": list(a.shape), "start": a.start, "labels": a.labels}
                for a in self.arrays
            ]
        )

    @classmethod
    def from_json(cls, text: str, lb: np.ndarray, ub: np.ndarray) -> VarLayout:
        """The layout that :meth:`to_json` wrote, with its bounds.

        Parameters
        ----------
        text : str
            What :meth:`to_json` returned.
        lb, ub : array_like, shape (n,)
            Flat bounds.
        """
        arrays = [
            VarArray(d["name"], d["kind"], tuple(d["shape"]), d["start"], d.get("labels")) for d in json.loads(text)
        ]
        return cls(arrays, np.asarray(lb, float), np.asarray(ub, float))


@dataclass
class Block:
    """A named array of constraints ``poly (sense) 0``."""

    name: str
    sense: str
    shape: tuple
    poly: Poly
    labels: list[str] | None = None

    def violation(self, X: np.ndarray, tol: float = 1e-6) -> np.ndarray:
        """Amount by which each row is violated (0 where satisfied), batch-aware."""
        r = self.poly.evaluate(X)
        if self.sense == "==":
            v = np.abs(r)
        elif self.sense == "<=":
            v = np.maximum(r, 0.0)
        else:
            v = np.maximum(-r, 0.0)
        scale = tol * np.maximum(1.0, np.abs(self.poly.const))
        return np.where(v > scale, v, 0.0)


@dataclass
class Problem:
    """A model lowered to arrays."""

    name: str
    layout: VarLayout
    objective: Poly
    sense: str  # "min" or "max"
    constraints: list[Block] = field(default_factory=list)

    @property
    def n(self) -> int:
        """Number of scalar variables."""
        return self.layout.n

    def objective_value(self, X: np.ndarray) -> np.ndarray:
        """The objective at one point or a batch (the user's sense, constant included).

        Parameters
        ----------
        X : ndarray, shape (n,) or (k, n)
            Values of the ``n`` scalar variables in the layout's order, one point or a batch
            of ``k`` points (one per row).

        Returns
        -------
        ndarray, shape () or (k,)
        """
        v = self.objective.evaluate(X)
        return v[..., 0]

    def violations(self, x: np.ndarray, tol: float = 1e-6) -> dict[str, np.ndarray]:
        """{constraint name: violation amounts in the block's shape} for violated blocks only."""
        out = {}
        for b in self.constraints:
            v = b.violation(x, tol)
            if np.any(v > 0):
                out[b.name] = v.reshape(b.shape)
        lb, ub = self.layout.lb, self.layout.ub
        kinds = self.layout.kinds()
        xb = np.asarray(x, float)
        bad = (xb < lb - tol) | (xb > ub + tol) | ((kinds < 2) & (np.abs(xb - np.rint(xb)) > tol))
        if np.any(bad):
            out["bounds"] = np.where(bad, 1.0, 0.0)
        return out
