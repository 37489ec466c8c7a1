"""The Quantum Invocation Policy: pick a backend per instance under a deadline and a quality
target, from predicted time and quality, and say why every other backend lost."""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

from ..errors import OptionError
from .features import Features, features
from .profiles import DEFAULT_WORK, Profile, load_profiles, validate_deadline

ANYTIME_QUALITY_LOSS = 0.05  # an anytime backend cut to the deadline: less work, a little less quality
QUANTUM = ("qaoa", "qaoa-qiskit", "dwave-advantage", "ibm-heron")


@dataclass
class Option:
    """One backend as the policy weighed it for one instance.

    Attributes
    ----------
    backend : str
    fits : bool
        Whether the backend can take the instance at all.
    predicted_time : float or None
        Predicted seconds, None when it does not fit.
    predicted_quality : float or None
        Predicted fraction of the optimum's quality (1.0 optimal), None when it does not fit.
    verdict : str
        ``"chosen"``, ``"candidate"``, or why it was rejected.
    remote : bool
        A remote device (planned only).
    """

    backend: str
    fits: bool
    predicted_time: float | None
    predicted_quality: float | None
    verdict: str  # "chosen", "candidate", or why it was rejected
    remote: bool = False


@dataclass
class Decision:
    """The chosen backend (None when nobody can meet the deadline), and every option."""

    backend: str | None
    options: dict
    features: Features
    deadline: float | None
    quality: float
    rows: list[Option] = field(default_factory=list)
    note: str = ""
    reason: str = ""
    ranked: list[str] = field(default_factory=list)  # the candidates, best first (``qb.solve``'s fallbacks)

    def explain(self) -> str:
        """A table of every option with its predicted time, quality and verdict, and why the choice won."""
        f = self.features
        head = (
            f"QIP decision: {self.backend or 'none'}"
            f"{'' if self.deadline is None else f' (deadline {self.deadline:g} s'}"
            f"{'' if self.deadline is None else f', quality target {self.quality:g})'}"
        )
        lines = [
            head,
            self.reason or "",
            f"instance: {f.n_variables} variables ({f.n_binary} binary, {f.n_integer} integer, "
            f"{f.n_continuous} continuous), {f.n_constraints} rows; QUBO "
            + (
                f"{f.qubo_binaries} binaries, <= {f.qubo_couplers} couplers, penalty scale {f.penalty_scale:.3g}"
                if f.qubo_ok
                else f"impossible: {f.qubo_reason}"
            ),
            f"profiles: {self.note}",
            f"{'backend':<26}{'time (s)':>12}{'quality':>10}  verdict",
        ]
        for r in self.rows:
            t = "-" if r.predicted_time is None else f"{r.predicted_time:.3g}"
            q = "-" if r.predicted_quality is None else f"{r.predicted_quality:.2f}"
            lines.append(f"{r.backend + (' (remote)' if r.remote else ''):<26}{t:>12}{q:>10}  {r.verdict}")
        return "\n".join(x for x in lines if x)

    def __str__(self) -> str:
        return self.explain()


def _cannot_take(name: str, f) -> str | None:
    """Why a registered backend without a profile cannot take the instance at all (a QUBO-only
    backend and a model no QUBO can hold), or None: said before "no profile", which is only
    about predicting its time."""
    from qbdsl.backends import get

    accepts = get(name).capabilities.accepts
    if "milp" not in accepts and not f.qubo_ok:
        return f"cannot take it as a QUBO ({f.qubo_reason})"
    return None


def _check_prefer(prefer, known: list[str]) -> None:
    """Refuse a ``prefer`` that is not None, "quantum", "classical" or one of ``known``."""
    if prefer is None or prefer in ("quantum", "classical") or (isinstance(prefer, str) and prefer in known):
        return
    raise OptionError(
        f"prefer must be 'quantum', 'classical' or a backend name ({', '.join(sorted(set(known)))}), got {prefer!r}"
    )


def decide(
    obj,
    deadline: float | None = None,
    quality: float = 0.0,
    prefer: str | None = None,
    backends: list[str] | None = None,
    profiles: dict[str, Profile] | None = None,
    best_effort: bool = False,
    include_remote: bool = True,
) -> Decision:
    """Choose a backend for ``obj`` (Model, Problem, QuboIR or MilpIR).

    Every registered backend (and, for planning, the remote device profiles) is judged:
    does it take the instance, is its predicted time within ``deadline``, is its predicted
    quality at least ``quality``. An anytime backend (annealing, tabu, QAOA: it sizes its
    reads or evaluations to the time limit it is given) whose default work would overrun
    the deadline stays a candidate when its smallest unit fits, at the deadline's time and
    a little less quality. Among the survivors the highest predicted quality wins,
    then the shortest time; ``prefer="quantum"``/``"classical"`` or a backend name breaks
    ties that way. With nobody left, ``backend`` is None and ``reason`` says why, unless
    ``best_effort`` picks the fastest backend that takes the instance.

    Raises
    ------
    OptionError
        ``deadline`` is not a positive finite number, ``quality`` is not a number in [0, 1],
        or ``prefer`` is not "quantum", "classical" or a backend or profile name.
    """
    validate_deadline(deadline)
    if isinstance(quality, bool) or not isinstance(quality, numbers.Real) or not 0 <= quality <= 1:
        raise OptionError(f"quality target must be a number in [0, 1], got {quality!r}")
    if backends is None:
        from qbdsl.backends import names

        backends = names()
    note = "given profiles"
    if profiles is None:
        profiles, note = load_profiles()
    _check_prefer(prefer, [*backends, *profiles])
    f = features(obj)
    names_ = list(backends) + [n for n, p in profiles.items() if include_remote and p.remote and n not in backends]
    rows: list[Option] = []
    for name in names_:
        prof = profiles.get(name)
        if prof is None:
            why = _cannot_take(name, f) if name in backends else None
            rows.append(Option(name, False, None, None, why or "no profile: cannot predict its time"))
            continue
        ok, why = prof.fits(f)
        if not ok:
            rows.append(Option(name, False, None, None, why, prof.remote))
            continue
        t = prof.predict_time(f)
        q = prof.predict_quality(f, deadline)
        t_min = prof.predict_min_time(f)
        if deadline is not None and t > deadline and t_min is not None and t_min <= deadline:
            # an anytime backend sizes its work to the limit it is given: it answers by the
            # deadline with less work than its default (taken as 0.05 of quality)
            t, q = float(deadline), max(0.0, q - ANYTIME_QUALITY_LOSS)
        if prof.remote and name not in backends:
            verdict = "planning only: no backend of this name is registered"
        elif deadline is not None and t > deadline and not (prof.exact and q > 0):
            verdict = f"predicted {t:.3g} s exceeds the {deadline:g} s deadline"
        elif q < quality:
            verdict = f"predicted quality {q:.2f} is below the {quality:g} target"
        else:
            verdict = "candidate"
        rows.append(Option(name, True, t, q, verdict, prof.remote))
    cands = [r for r in rows if r.verdict == "candidate"]

    def key(r: Option):
        pref = 0
        if prefer == "quantum":
            pref = 0 if r.backend in QUANTUM else 1
        elif prefer == "classical":
            pref = 1 if r.backend in QUANTUM else 0
        elif prefer is not None:
            pref = 0 if r.backend == prefer else 1
        return (-round(r.predicted_quality, 6), pref, r.predicted_time)

    chosen, reason, options, ranked = None, "", {}, []
    if cands:
        ranked = [r.backend for r in sorted(cands, key=key)]
        best = min(cands, key=key)
        chosen = best.backend
        best.verdict = "chosen"
        reason = f"chosen: {chosen}, predicted {best.predicted_time:.3g} s at quality {best.predicted_quality:.2f}"
        for r in cands:
            if r is not best:
                r.verdict = (
                    "lower predicted quality"
                    if r.predicted_quality < best.predicted_quality - 1e-6
                    else "slower for the same predicted quality"
                    if r.predicted_time > best.predicted_time
                    else "not preferred"
                )
    else:
        fitting = [r for r in rows if r.fits and r.predicted_time is not None and not r.verdict.startswith("planning")]
        if best_effort and fitting:
            best = min(fitting, key=lambda r: r.predicted_time)
            ranked = [r.backend for r in sorted(fitting, key=lambda r: r.predicted_time)]
            chosen = best.backend
            best.verdict = "chosen (best effort: no backend meets the target)"
            reason = "no backend meets the deadline and quality target; best effort picks the fastest"
        else:
            reason = (
                "no backend can meet the deadline and quality target"
                if fitting
                else "no registered backend can take this instance"
            )
    if chosen is not None and deadline is not None:
        options["time_limit"] = float(deadline)
        best_row = next(r for r in rows if r.backend == chosen)
        if best_row.predicted_time is not None and best_row.predicted_time < deadline:
            # the default work fits: run that (and stop), not reads until the deadline
            options["backend_options"] = dict(DEFAULT_WORK.get(chosen, {}))
    return Decision(chosen, options, f, deadline, quality, rows, note, reason, ranked)
