"""The policy registry: every dispatch policy by name.

- raw baselines (:mod:`qbdsl.orchestrate.baselines`): ``fcfs``, ``round-robin``, ``random``,
  ``least-busy``, ``greedy-earliest``, ``edf``, ``fidelity-aware``;
- matched baselines, the same rules with admission control and the QIP classical fallback:
  ``fcfs+ac``, ``edf+ac``, ..., and ``edf+ac+chunk`` (also qip-edf's chunks of a long batch);
- the qbdsl policy (:mod:`qbdsl.orchestrate.deadline`): ``qip-edf``, which never aborts work
  in service; ``qip-edf+abort``, which may; ``qip-edf+lookahead``, which also turns away a job
  whose sampled futures say it costs more jobs than it is (:mod:`qbdsl.orchestrate.admission`,
  8 futures): more jobs served, less work; ablations ``qip-edf-no-<part>[-no-<part>...]``
  with parts ``admission``, ``split``, ``cutting``, ``fallback``, ``move``, ``withdraw``,
  ``defer``, ``chunk`` (also with ``+abort``).
"""

from __future__ import annotations

from ..errors import ModelError
from .baselines import RULES, Policy
from .deadline import QipEdf

RAW = tuple(RULES)
MATCHED = tuple(f"{r}+ac" for r in RULES) + ("edf+ac+chunk",)  # chunks only help under EDF queues
ALL = RAW + MATCHED + ("qip-edf", "qip-edf+abort", "qip-edf+lookahead")
PARTS = {
    "admission": "admission",
    "split": "split",
    "cutting": "cut",
    "fallback": "fallback",
    "move": "move",
    "withdraw": "withdraw",
    "defer": "defer",
    "chunk": "chunk",
}


def make(name: str, seed: int = 0) -> Policy:
    """A policy by name (see the module docstring).

    Raises
    ------
    ModelError
        When ``name`` is no known policy; the known names are listed.
    """
    if name in RULES:
        return RULES[name](seed)
    if name.endswith("+ac") and name[:-3] in RULES:
        return RULES[name[:-3]](seed, admission=True, fallback=True)
    if name.endswith("+ac+chunk") and name[:-9] in RULES:
        return RULES[name[:-9]](seed, admission=True, fallback=True, chunk=True)
    if name == "qip-edf+lookahead":
        from .admission import SampledAdmission

        p = SampledAdmission(seed, lookahead=8)
        p.name = name
        return p
    if name.startswith("qip-edf"):
        rest, abort = name[len("qip-edf") :], False
        if rest.endswith("+abort"):
            rest, abort = rest[: -len("+abort")], True
        off = rest.split("-no-")[1:] if rest.startswith("-no-") else ([] if not rest else None)
        if off is not None and all(o in PARTS for o in off):
            return QipEdf(seed, abort=abort, **{PARTS[o]: False for o in off})
    raise ModelError(f"unknown policy {name!r}; known: {', '.join(ALL)}, or qip-edf-no-<{'|'.join(PARTS)}>[+abort]")
