"""Where each binary of a compiled QUBO came from, kept as arrays (for labels)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

USER, INTEGER_BIT, SLACK_BIT = 0, 1, 2


@dataclass(frozen=True)
class BitSources:
    """The origin of each QUBO binary, one entry per column.

    Attributes
    ----------
    kind : numpy.ndarray of int8, shape (n,)
        0: a user binary, 1: a bit of an encoded integer, 2: a slack bit.
    a : numpy.ndarray, shape (n,)
        User variable index (kinds 0, 1), or index into ``block_names`` (kind 2).
    b : numpy.ndarray, shape (n,)
        Bit index within the integer (kind 1), or the row of the block (kind 2).
    c : numpy.ndarray, shape (n,)
        Bit index within the row's slack (kind 2).
    block_names : list of str
        Names of the inequality blocks that got slacks.
    """

    kind: np.ndarray
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    block_names: list = field(default_factory=list)

    def extend(self, kind, a, b, c, block_names: list | None = None) -> BitSources:
        """A new ``BitSources`` with columns appended (``self`` is left as it is).

        Parameters
        ----------
        kind, a, b, c : numpy.ndarray, shape (k,)
            The appended columns' fields.
        block_names : list of str, optional
            Replaces ``block_names`` (default: a copy of this one).
        """
        cat = np.concatenate
        names = list(self.block_names) if block_names is None else list(block_names)
        return BitSources(cat([self.kind, kind]), cat([self.a, a]), cat([self.b, b]), cat([self.c, c]), names)

    def labels(self, user_labels: list[str]) -> list[str]:
        """``x(0)`` for a user binary, ``p(1)#2`` for bit 2 of ``p(1)``, ``cap#s(3)#0`` for
        slack bit 0 of row 3 of block ``cap``."""
        out = []
        ul = user_labels
        for k, a, b, c in zip(self.kind.tolist(), self.a.tolist(), self.b.tolist(), self.c.tolist()):
            if k == USER:
                out.append(ul[a])
            elif k == INTEGER_BIT:
                out.append(f"{ul[a]}#{b}")
            else:
                out.append(f"{self.block_names[a]}#s({b})#{c}")
        return out
