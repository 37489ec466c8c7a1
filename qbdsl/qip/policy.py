"""The Quantum Invocation Policy: pick a backend per instance under a deadline and a quality
target, from predicted time and quality, and say why every other backend lost."""

from __future__ import annotations

import math
import numbers
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import OptionError
from .features import Features, features
from .profiles import DEFAULT_WORK, Profile, load_profiles, validate_deadline
from .variants import VARIANTS, proves, resolve, same_runs

ANYTIME_QUALITY_LOSS = 0.05  # an anytime backend cut to the deadline: less work, a little less quality
QUANTUM = ("qaoa", "qaoa-qiskit", "dwave", "ibm")

# Backend variants: a name "<backend>+<variant>" QIP can choose (and qb.solve run) as the
# registered backend with these options. The one table every caller reads (:func:`resolve`).
# the shipped cost model (qbdsl/qip/data/README.md says how it was made); QBDSL_COSTMODEL names another
SHIPPED_COSTMODEL = Path(__file__).resolve().parent / "data" / "costmodel.json"
COSTMODEL_OFF = ("", "off", "none")  # QBDSL_COSTMODEL values that turn the cost model off
MIN_P_MEET = 0.05  # a cost-model row less likely than this to meet the deadline is not a candidate


@dataclass
class Option:
    """One backend (or one device of a backend) as the policy weighed it for one instance.

    Attributes
    ----------
    backend : str
        The row's name: a registered backend, a profile, or a device ``"<backend>:<device>"``
        (``"dwave:advantage"``, ``"ibm:fake_fez"``).
    fits : bool
        Whether the backend can take the instance at all.
    predicted_time : float or None
        Predicted seconds, None when it does not fit.
    predicted_quality : float or None
        Predicted fraction of the optimum's quality (1.0 optimal), None when it does not fit.
    verdict : str
        ``"chosen"``, ``"candidate"``, or why it was rejected.
    remote : bool
        A remote device: a real QPU, or a planning profile.
    runs_on : str or None
        For a device row, the registered backend that runs it (``"dwave"``).
    run_options : dict
        For a device row, the backend option that selects the device (``{"solver": "advantage"}``).
    label : str
        What the device is, in words (a local simulation says so).
    figures : dict
        The device's figures on this instance (embedding, chains, QPU access time; transpiled
        depth, two-qubit layers, ESP, QPU time).
    configure : str
        For a real device without credentials: the setting and command that configure it.
    time_p90 : float or None
        For a row judged by the cost model: the predicted 90th percentile of the time (seconds);
        ``predicted_time`` is then the predicted median.
    p_meet : float or None
        For a row judged by the cost model: the probability that it returns by the deadline.
    judged_by : str
        ``"profile"`` (a backend profile or a device's own data) or ``"cost model"``.
    """

    backend: str
    fits: bool
    predicted_time: float | None
    predicted_quality: float | None
    verdict: str  # "chosen", "candidate", or why it was rejected
    remote: bool = False
    runs_on: str | None = None
    run_options: dict = field(default_factory=dict)
    label: str = ""
    figures: dict = field(default_factory=dict)
    configure: str = ""
    time_p90: float | None = None
    p_meet: float | None = None
    judged_by: str = "profile"

    @property
    def runner(self) -> str:
        """The registered backend that runs this row."""
        return self.runs_on or self.backend


@dataclass
class Decision:
    """The chosen backend (None when nobody can meet the deadline), and every option.

    ``backend`` is a registered backend's name; when a device row won, ``device`` names it
    (``"dwave:mock-advantage"``) and ``options["backend_options"]`` holds the option that
    selects it. ``plan`` lists every candidate best first as (backend, options selecting its
    device), the chain ``qb.solve`` runs (a device row keeps its device as a fallback too).
    ``planned`` says which real device QIP would choose with credentials, and how to configure
    them, when that device beat every runnable choice.
    """

    backend: str | None
    options: dict
    features: Features
    deadline: float | None
    quality: float
    rows: list[Option] = field(default_factory=list)
    note: str = ""
    reason: str = ""
    ranked: list[str] = field(default_factory=list)  # the candidates' backends, best first
    device: str | None = None
    planned: str = ""
    plan: list[tuple[str, dict]] = field(default_factory=list)  # (backend, options): ``qb.solve``'s chain
    unjudged: str = ""  # the real QPUs left out of this decision (include_remote=False), and how to judge them
    parallel: tuple[str, ...] = ()  # two rows' names to run at once on two cores, or ()
    variant: str | None = None  # the chosen row when it is a backend variant ("anneal+tuned")
    cost_model: str = ""  # which cost model judged the rows it knows ("" when none did)
    race: bool = False  # parallel's second row is a prover raced against the first (uncertain.Choice.race)

    @property
    def parallel_plan(self) -> list[tuple[str, dict]]:
        """The rows of :attr:`parallel` as (backend, options) to run them with (empty when none)."""
        rows = {r.backend: r for r in self.rows}
        return [(rows[n].runner, dict(rows[n].run_options)) for n in self.parallel if n in rows]

    @property
    def fallbacks(self) -> list[tuple[str, dict]]:
        """The candidates after the chosen one, best first, each as (backend, the options that
        select its device): what ``qb.solve`` tries when the chosen one fails."""
        return self.plan[1:]

    def explain(self) -> str:
        """A table of every option with its predicted time, quality and verdict (devices with their
        figures on this instance), why the choice won, and what a real device would need."""
        f = self.features
        head = (
            f"QIP decision: {self.backend or 'none'}"
            f"{'' if self.device is None else f' ({self.device})'}"
            f"{'' if self.variant is None else f' ({self.variant})'}"
            f"{'' if self.deadline is None else f' (deadline {self.deadline:g} s'}"
            f"{'' if self.deadline is None else f', quality target {self.quality:g})'}"
        )
        lines = [
            head,
            self.reason or "",
            self.planned or "",
            self.unjudged or "",
            f"instance: {f.n_variables} variables ({f.n_binary} binary, {f.n_integer} integer, "
            f"{f.n_continuous} continuous), {f.n_constraints} rows; QUBO "
            + (
                f"{f.qubo_binaries} binaries, <= {f.qubo_couplers} couplers, penalty scale {f.penalty_scale:.3g}"
                if f.qubo_ok
                else f"impossible: {f.qubo_reason}"
            ),
            f"profiles: {self.note}",
        ]
        modelled = any(r.judged_by == "cost model" for r in self.rows)
        if modelled:
            lines.append(f"cost model: {self.cost_model}")
        if self.parallel and self.race:
            lines.append(
                f"race: {self.parallel[1]} runs beside {self.parallel[0]}, one core each; a proof of optimality "
                f"from {self.parallel[1]} ends the solve, {self.parallel[0]}'s answer stops {self.parallel[1]}"
            )
        elif self.parallel:
            lines.append(
                f"parallel: {' and '.join(self.parallel)} run at once, one core each, within the deadline; "
                "the better answer is returned (the prediction cannot tell them apart, see above)"
            )
        if modelled:
            lines.append(
                f"{'backend':<32}{'median s':>10}{'p90 s':>10}{'P(meet)':>9}{'quality':>9}  verdict "
                "(time and quality at the deadline; '-': judged by its profile)"
            )
        else:
            lines.append(f"{'backend':<32}{'time (s)':>12}{'quality':>10}  verdict")
        for r in self.rows:
            t = "-" if r.predicted_time is None else f"{r.predicted_time:.3g}"
            q = "-" if r.predicted_quality is None else f"{r.predicted_quality:.2f}"
            name = r.backend + (" (remote)" if r.remote else "")
            if modelled:
                t90 = "-" if r.time_p90 is None else f"{r.time_p90:.3g}"
                pm = "-" if r.p_meet is None else f"{r.p_meet:.2f}"
                lines.append(f"{name:<32}{t:>10}{t90:>10}{pm:>9}{q:>9}  {r.verdict}")
            else:
                lines.append(f"{name:<32}{t:>12}{q:>10}  {r.verdict}")
            if r.label or r.figures:
                figs = ", ".join(f"{k} {v}" for k, v in r.figures.items())
                lines.append(f"    {r.label}{'; ' if r.label and figs else ''}{figs}")
            if r.configure:
                lines.append(f"    to run it: {r.configure}")
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
    cost_model=None,
    confidence: float = 0.9,
) -> Decision:
    """Choose a backend for ``obj`` (Model, Problem, QuboIR or MilpIR).

    Every registered backend (and, for planning, the remote device profiles) is judged:
    does it take the instance, is its predicted time within ``deadline``, is its predicted
    quality at least ``quality``. An anytime backend (annealing, tabu, QAOA, D-Wave: it sizes
    its reads or evaluations to the time limit it is given) whose default work would overrun
    the deadline stays a candidate when its smallest unit fits, at the deadline's time and
    a little less quality. Among the survivors the highest predicted quality wins,
    then the shortest time; ``prefer="quantum"`` (real QPUs first, then simulated quantum
    backends) / ``"classical"`` or a backend or device name breaks ties that way. With nobody
    left, ``backend`` is None and ``reason`` says why, unless ``best_effort`` picks the
    fastest backend that takes the instance.

    The ``dwave`` and ``ibm`` backends are judged per device from the instance's real
    embedding or transpiled circuit (:mod:`qbdsl.qip.devices`): their local simulations
    (``dwave:mock-advantage``, ``ibm:fake_fez``, ...) always, and the real QPUs
    (``dwave:advantage``, ``dwave:advantage2``, ``ibm:ibm_fez``) when ``include_remote``. A real
    QPU without credentials stays in the table as a planning row naming the setting and the
    command that configure it, and ``Decision.planned`` says so when it would have won.
    With ``include_remote=False`` (``qb.solve``'s view: only what runs here) a device whose
    best case (no chains, no gate errors) cannot beat the best candidate is not embedded or
    transpiled at all, so a decision for a classical case stays fast.

    With a ``deadline`` and a cost model (:func:`load_cost_model`: ``cost_model``, else the file
    ``QBDSL_COSTMODEL`` names, else the shipped one), the local backends the model was fitted
    for, and their variants (:data:`VARIANTS`, e.g. ``anneal+tuned``), are judged by it
    instead of by their profiles: each row holds the predicted median and 90th-percentile time,
    the probability of meeting the deadline (``Option.p_meet``; below :data:`MIN_P_MEET` a row is
    no candidate) and the expected quality at the deadline. Among them
    :func:`qbdsl.qip.uncertain.choose` decides (the backend that meets the deadline with
    probability ``>= confidence`` and the best expected quality; its reason becomes
    ``Decision.reason``), and may propose two to run in parallel (``Decision.parallel``). Rows
    the model does not know (devices, plug-ins) keep their profile's judgement and win only
    with a predicted quality above the model's choice's expected quality at the deadline.
    ``prefer`` then picks, among candidates of the winner's expected quality, the preferred
    one. A backend whose profile predicts that even its smallest unit of work misses the
    deadline is not judged by the model (the profile, calibrated on this machine, is a floor).
    Without a deadline or with ``cost_model=False`` the profiles judge every row, as before.

    Parameters
    ----------
    obj : Model, Problem, QuboIR or MilpIR
        The instance.
    deadline : float, optional
        Seconds the chosen backend must answer in.
    quality : float, default 0.0
        The least predicted quality, in [0, 1].
    prefer : str, optional
        ``"quantum"``, ``"classical"``, or a backend, device or profile name.
    backends : list of str, optional
        The backends to judge (default: every registered one).
    profiles : dict of str to Profile, optional
        Backend profiles (default: the calibrated file, else the shipped ones).
    best_effort : bool, default False
        With no candidate, choose the fastest backend that takes the instance.
    include_remote : bool, default True
        Judge the real QPUs (see above).
    cost_model : CostModel, str, os.PathLike, None or False
        The cost model (a :class:`~qbdsl.qip.costmodel.CostModel` or a JSON file of one); None
        (default) looks for one (:func:`load_cost_model`); False uses none.
    confidence : float, default 0.9
        The probability of meeting the deadline the cost-model rule requires, in (0, 1).

    Returns
    -------
    Decision

    Raises
    ------
    OptionError
        ``deadline`` is not a positive finite number, ``quality`` is not a number in [0, 1],
        ``prefer`` is not "quantum", "classical" or a backend, device or profile name,
        ``confidence`` is not in (0, 1), or ``cost_model`` is of another type.
    FileFormatError
        The cost model file named (argument or ``QBDSL_COSTMODEL``) cannot be read.
    """
    from . import devices as dv

    validate_deadline(deadline)
    if isinstance(quality, bool) or not isinstance(quality, numbers.Real) or not 0 <= quality <= 1:
        raise OptionError(f"quality target must be a number in [0, 1], got {quality!r}")
    if backends is None:
        from qbdsl.backends import names

        backends = names()
    note = "given profiles"
    if profiles is None:
        profiles, note = load_profiles()
    variants = [v for v, (runner, _) in VARIANTS.items() if runner in backends]
    _check_prefer(prefer, [*backends, *variants, *profiles, *(d.name for d in dv.DEVICES if d.backend in backends)])
    _check_confidence(confidence)
    model, model_note = load_cost_model(cost_model) if deadline is not None else (None, "")
    f = features(obj)
    names_ = list(backends) + [n for n, p in profiles.items() if include_remote and p.remote and n not in backends]
    rows: list[Option] = []
    pending: list[tuple[dv.Device, Option]] = []
    for name in names_:
        prof = profiles.get(name)
        if prof is None and name in dv.FAMILIES and name in backends:
            for dev in dv.devices(name, include_real=include_remote):
                row = Option(dev.name, False, None, None, "", dev.real, name, dict(dev.option), dev.label)
                rows.append(row)
                pending.append((dev, row))
            continue
        if prof is None:
            why = _cannot_take(name, f) if name in backends else None
            rows.append(Option(name, False, None, None, why or "no profile: cannot predict its time"))
            continue
        ok, why = prof.fits(f)
        if not ok:
            rows.append(Option(name, False, None, None, why, prof.remote))
            continue
        t, q = _judged(prof.predict_time(f), prof.predict_quality(f, deadline), prof.predict_min_time(f), deadline)
        if prof.remote and name not in backends:
            verdict = "planning only: no backend of this name is registered"
        else:
            verdict = _verdict(t, q, deadline, quality, prof.exact)
        rows.append(Option(name, True, t, q, verdict, prof.remote))

    def pref(r: Option) -> int:
        quantum = r.runner in QUANTUM
        if prefer == "quantum":
            return (0 if r.remote else 1) if quantum else 2
        if prefer == "classical":
            return 1 if quantum else 0
        if prefer is not None:
            return 0 if prefer in (r.backend, r.runner) else 1
        return 0

    def key(r: Option):
        return (-round(r.predicted_quality, 6), pref(r), r.predicted_time)

    preds = {}
    if model is not None:
        preds = _judge_by_model(model, f, deadline, quality, backends, profiles, rows)
    for dev, row in pending:
        _assess_device(dev, row, obj, f, profiles, deadline, quality, include_remote, rows, key, prefer)
    cands = [r for r in rows if r.verdict == "candidate"]

    chosen_row, reason, options, ranked, order, parallel, race = None, "", {}, [], [], (), False
    if cands and any(r.judged_by == "cost model" for r in cands):
        order, reason, parallel, race = _order_with_model(cands, preds, deadline, confidence, key, pref, prefer, f)
        ranked = list(dict.fromkeys(r.runner for r in order))
        chosen_row = best = order[0]
        best.verdict = "chosen"
        for r in cands:
            if r is not best:
                r.verdict = _lost(r, best, confidence, parallel, race)
    elif cands:
        order = sorted(cands, key=key)
        ranked = list(dict.fromkeys(r.runner for r in order))
        chosen_row = best = order[0]
        best.verdict = "chosen"
        reason = (
            f"chosen: {best.backend}, predicted {best.predicted_time:.3g} s at quality {best.predicted_quality:.2f}"
        )
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
            order = sorted(fitting, key=lambda r: r.predicted_time)
            ranked = list(dict.fromkeys(r.runner for r in order))
            chosen_row = order[0]
            chosen_row.verdict = "chosen (best effort: no backend meets the target)"
            reason = "no backend meets the deadline and quality target; best effort picks the fastest"
        else:
            # a backend whose start-up rule or fixed cost refuses the deadline could take the instance
            late = [r for r in rows if "would refuse the" in (r.verdict or "") or "fixed cost" in (r.verdict or "")]
            reason = (
                "no backend can meet the deadline and quality target"
                if fitting or late
                else "no registered backend can take this instance"
            )
    chosen = None if chosen_row is None else chosen_row.runner
    if chosen_row is not None:
        work = {}
        if deadline is not None:
            options["time_limit"] = float(deadline)
            if (
                chosen_row.judged_by != "cost model"  # a cost-model row's options hold the work it was measured with
                and chosen_row.predicted_time is not None
                and chosen_row.predicted_time < deadline
            ):
                # the default work fits: run that (and stop), not reads until the deadline
                work = dict(DEFAULT_WORK.get(chosen, {}))
        if chosen_row.runs_on is not None or work or chosen_row.run_options:
            options["backend_options"] = {**work, **chosen_row.run_options}
    planned = _planned(rows, cands, key)
    variant = chosen_row.backend if chosen_row is not None and chosen_row.backend in VARIANTS else None
    device = chosen_row.backend if chosen_row is not None and chosen_row.runs_on and variant is None else None
    plan: list[tuple[str, dict]] = []
    for r in order:
        entry = (r.runner, dict(r.run_options))
        if entry not in plan:
            plan.append(entry)
    if isinstance(prefer, str) and prefer not in ("quantum", "classical") and chosen_row is not None:
        lost = next((r for r in rows if prefer in (r.backend, r.runner) and r is not chosen_row), None)
        if lost is not None and prefer not in (chosen_row.backend, chosen_row.runner):
            reason += f"; prefer={prefer!r} only breaks ties, and {lost.backend} lost: {lost.verdict}"
    real = [d.name for d in dv.DEVICES if d.real and d.backend in backends]
    unjudged = (
        ""
        if include_remote or not real
        else f"real QPUs not judged in this view ({', '.join(real)}): qb.solve(..., remote=True) or "
        "`qbdsl explain` judges them"
    )
    return Decision(
        chosen,
        options,
        f,
        deadline,
        quality,
        rows,
        note,
        reason,
        ranked,
        device,
        planned,
        plan,
        unjudged,
        tuple(parallel),
        variant,
        model_note if preds else "",
        race,
    )


_MODELS: dict[tuple[str, int], object] = {}  # (path, mtime_ns) -> CostModel, read once per process


def load_cost_model(cost_model=None) -> tuple[object | None, str]:
    """The cost model QIP judges by, and where it came from, in words.

    Parameters
    ----------
    cost_model : CostModel, str, os.PathLike, None or False
        A :class:`~qbdsl.qip.costmodel.CostModel`, or a JSON file written by its ``save``; None
        (default): the file the environment variable ``QBDSL_COSTMODEL`` names (``off`` or
        ``none`` for no model), else the shipped ``qbdsl/qip/data/costmodel.json`` when
        present; False: no model. A file is read once per process (again when it changes).

    Returns
    -------
    model : CostModel or None
    note : str
        ``"<path> (N runs)"``, ``"given"``, or ``""`` when there is no model.

    Raises
    ------
    OptionError
        ``cost_model`` of another type.
    FileFormatError
        A named file (argument or environment) that is missing or not a cost model.
    """
    from .costmodel import CostModel

    if cost_model is False:
        return None, ""
    if isinstance(cost_model, CostModel):
        return cost_model, f"given ({cost_model.meta.get('rows', '?')} runs)"
    if cost_model is None:
        env = os.environ.get("QBDSL_COSTMODEL")
        if env is not None:
            if env.strip().lower() in COSTMODEL_OFF:
                return None, ""
            cost_model = env
        elif SHIPPED_COSTMODEL.is_file():
            cost_model = SHIPPED_COSTMODEL
        else:
            return None, ""
    if not isinstance(cost_model, (str, os.PathLike)) or isinstance(cost_model, bool):
        raise OptionError(f"cost_model must be a CostModel, a path to its JSON file, None or False, got {cost_model!r}")
    path = Path(cost_model)
    try:
        stamp = (str(path.resolve()), path.stat().st_mtime_ns)
    except OSError:
        stamp = None
    model = _MODELS.get(stamp) if stamp else None
    if model is None:
        model = CostModel.load(path)  # a missing or bad file: FileFormatError naming it
        if stamp:
            _MODELS[stamp] = model
    return model, f"{path} ({model.meta.get('rows', '?')} runs)"


def _check_confidence(confidence) -> None:
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, numbers.Real)
        or not math.isfinite(confidence)
        or not 0 < confidence < 1
    ):
        raise OptionError(f"confidence must be a probability strictly between 0 and 1, got {confidence!r}")


def _judge_by_model(model, f, deadline: float, quality: float, backends, profiles, rows: list[Option]) -> dict:
    """Judge the rows of the backends (and variants) ``model`` knows by its predictions, in
    place; a variant gets a row of its own after its backend's. Returns the predictions used
    (by row name). A backend its profile or capabilities refuse stays refused; time and quality
    are the model's alone (the same predictions :func:`qbdsl.qip.costmodel.evaluate` scores)."""
    from .devices import FAMILIES

    names = [n for n in sorted(model.backends) if resolve(n)[0] in backends and resolve(n)[0] not in FAMILIES]
    if not names:
        return {}
    preds = model.predict_all(f, deadline, names)
    by = {r.backend: r for r in rows}
    used = {}
    for name, p in preds.items():
        runner, opts = resolve(name)
        row = by.get(name)
        if row is None:
            row = Option(name, False, None, None, "", runs_on=runner if runner != name else None)
            at = next((i + 1 for i, r in enumerate(rows) if r.backend == runner), len(rows))
            rows.insert(at, row)
            by[name] = row
        prof = profiles.get(runner)
        refused = prof.fits(f)[1] if prof is not None and not prof.fits(f)[0] else _cannot_take(runner, f)
        if refused:
            row.fits, row.predicted_time, row.predicted_quality, row.verdict = False, None, None, refused
            continue
        if prof is not None and prof.a > deadline:
            # the profile calibrated on this machine is a floor: its fixed cost alone misses the
            # deadline. Not its "smallest unit of work" (one read of the default sweeps), which
            # is not annealing's: with a short limit it anneals fewer sweeps, and answered
            # bqp1000 at 0.05 s that such a floor ruled out. The cost model's own floor (the
            # backend's start-up rule and the shipped fixed cost) is what evaluate() scores.
            row.fits = True
            row.verdict = f"its fixed cost, {prof.a:.3g} s ({runner}'s profile), exceeds the {deadline:g} s deadline"
            continue
        row.judged_by = "cost model"
        row.run_options = {**(DEFAULT_WORK.get(runner, {}) if name == runner else {}), **opts}
        if not p.takes:
            row.fits, row.predicted_time, row.predicted_quality = False, None, None
            row.verdict = p.reason or "the cost model says it cannot take it"
            continue
        used[name] = p
        row.fits = True
        row.predicted_time, row.time_p90 = p.time_median, p.time_p90
        row.p_meet, row.predicted_quality = p.p_meet_deadline, p.quality_mean
        if p.p_meet_deadline < MIN_P_MEET:
            row.verdict = f"P(meet the {deadline:g} s deadline) {p.p_meet_deadline:.2f} < {MIN_P_MEET:g}"
        elif p.quality_mean < quality:
            row.verdict = f"expected quality {p.quality_mean:.2f} is below the {quality:g} target"
        else:
            row.verdict = "candidate"
    return used


def _order_with_model(
    cands, preds, deadline, confidence, key, pref, prefer, f: Features
) -> tuple[list, str, tuple, bool]:
    """The candidates best first, the reason, the pair to run in parallel and whether it is a race:
    the cost model's rows in :func:`~qbdsl.qip.uncertain.choose`'s order, the profile-judged rows
    after them unless the best of those has a higher predicted quality than the model's choice;
    never two rows that run one algorithm on instance ``f`` (:func:`~qbdsl.qip.variants.same_runs`);
    a row that can prove the user's optimum (:func:`~qbdsl.qip.variants.proves`) may race a chosen
    heuristic; each row's set-up (:func:`~qbdsl.qip.costmodel.startups`) bounds a pair in threads."""
    from .costmodel import startups
    from .uncertain import TIE, choose
    from .variants import runs_in_child, runs_in_thread

    modelled = {r.backend: r for r in cands if r.judged_by == "cost model"}
    others = sorted((r for r in cands if r.judged_by != "cost model"), key=key)
    in_thread = {n for n, r in modelled.items() if runs_in_thread(r.runner)}
    ch = choose(
        {n: preds[n] for n in modelled},
        deadline,
        confidence=confidence,
        tie=TIE,
        in_thread=in_thread,
        in_child={n for n, r in modelled.items() if runs_in_child(r.runner)},
        same=same_runs(f.n_constraints, f.n_integer),
        provers={n for n, r in modelled.items() if proves(r.runner, f.n_constraints, f.n_integer)},
        startup=startups(modelled, f),
    )
    order = [modelled[n] for n in ch.ranked]
    win, reason, parallel, race = modelled[ch.backend], ch.reason, tuple(ch.parallel), ch.race
    if others and others[0].predicted_quality > win.predicted_quality + TIE:
        best = others[0]
        reason = (
            f"{best.backend} (judged by its profile: the cost model does not know it): predicted quality "
            f"{best.predicted_quality:.2f} at the deadline, above the cost model's choice {win.backend} "
            f"({win.predicted_quality:.2f}); the cost model said: {reason}"
        )
        win, parallel, order = best, (), [*others, *order]
    else:
        order = [*order, *others]
    if prefer is not None:  # breaks ties of expected quality, as with profiles
        near = [r for r in order if round(r.predicted_quality, 6) >= round(win.predicted_quality, 6)]
        best = min(near, key=lambda r: (pref(r), order.index(r)))
        if best is not win:
            reason += f"; prefer={prefer!r} picks {best.backend}, of the same expected quality"
            win, parallel = best, ()
    order.remove(win)
    return [win, *order], reason, parallel, race and bool(parallel)


def _lost(r: Option, best: Option, confidence: float, parallel: tuple, race: bool = False) -> str:
    """Why a candidate ``r`` lost to ``best`` (a cost-model decision)."""
    if r.backend in parallel:
        if race:
            return f"races {best.backend} to prove the optimum sooner (see above)"
        return f"runs in parallel with {best.backend} (see above)"
    if r.p_meet is not None and r.p_meet < confidence <= (best.p_meet if best.p_meet is not None else 1.0):
        return f"P(meet) {r.p_meet:.2f} is below the {confidence:g} required"
    if r.predicted_quality < best.predicted_quality - 1e-6:
        return "lower expected quality"
    if r.predicted_time > best.predicted_time:
        return "slower for the same expected quality"
    return "not preferred"


def _judged(t: float, q: float, t_min: float | None, deadline: float | None) -> tuple[float, float]:
    """(time, quality) as the policy counts them: an anytime backend whose default work overruns
    the deadline but whose smallest unit fits answers by the deadline, a little worse."""
    if deadline is not None and t > deadline and t_min is not None and t_min <= deadline:
        return float(deadline), max(0.0, q - ANYTIME_QUALITY_LOSS)
    return t, q


def _verdict(t: float, q: float, deadline: float | None, quality: float, exact: bool = False) -> str:
    """``"candidate"``, or why the predicted time or quality misses the target."""
    if deadline is not None and t > deadline and not (exact and q > 0):
        return f"predicted {t:.3g} s exceeds the {deadline:g} s deadline"
    if q < quality:
        return f"predicted quality {q:.2f} is below the {quality:g} target"
    return "candidate"


# what a local simulation of a QPU family runs: the native backend on the model itself
SIMULATED_BY = {"dwave": "anneal", "ibm": "qaoa"}


def _assess_device(
    dev, row: Option, obj, f, profiles, deadline, quality, include_remote, rows, key, prefer=None
) -> None:
    """Fill a device row: pruned by its best case (``include_remote=False`` only), else assessed
    from its embedding or transpiled circuit; a real QPU without credentials becomes a planning row.

    With ``include_remote=False`` (``qb.solve``'s view) a local simulation of a QPU (the mock
    D-Wave: simulated annealing on the embedded, larger model; a fake IBM device: QAOA with
    noise) is assessed only when ``prefer`` asks for it: it is never predicted to beat the
    native backend on the model itself, and assessing it costs the SDK's import (seconds, once
    per process) and an embedding or a transpilation, which a time limit must not pay for.
    """
    from . import devices as dv

    if not include_remote and not dev.real and prefer not in ("quantum", dev.name, dev.backend):
        if not f.qubo_ok:
            row.verdict = f"cannot take it as a QUBO ({f.qubo_reason})"
            return
        native = SIMULATED_BY.get(dev.backend, "the native backend")
        row.fits = True
        row.verdict = (
            f"not assessed: a local simulation of the QPU is not predicted to beat {native} on the model "
            f"itself (prefer='{dev.name}' or prefer='quantum' assesses it)"
        )
        return
    if deadline is not None and f.qubo_ok:
        too_large = dv.size_refusal(dev, f)
        if too_large:  # said before the deadline's verdict: the size rules it out on any deadline
            row.verdict = too_large
            return
        t_lb, _ = dv.bound(dev, f, profiles)
        if t_lb > deadline:  # an embedding (seconds to minutes) cannot make it fit
            row.fits = True
            row.verdict = (
                f"not assessed: even at best (before embedding or transpiling) it needs {t_lb:.3g} s, "
                f"more than the {deadline:g} s deadline"
            )
            if dev.real:  # a preferred QPU without credentials is still named as such (qb.solve raises)
                configured, how = dv.credentials(dev.backend)
                if not configured:
                    row.configure = how
            return
    best = min((r for r in rows if r.verdict == "candidate"), key=key, default=None)
    if not include_remote and best is not None and f.qubo_ok:
        t_lb, q_ub = dv.bound(dev, f, profiles)
        probe = Option(row.backend, True, t_lb, q_ub, "", row.remote, row.runs_on)
        if _verdict(t_lb, q_ub, deadline, quality) != "candidate" or key(probe) > key(best):
            row.fits = True
            row.verdict = (
                f"not assessed: even at best (quality {q_ub:.2f} in {t_lb:.3g} s, before embedding or "
                f"transpiling) it loses to {best.backend}"
            )
            return
    a = dv.assess(dev, obj, f, profiles)
    row.figures = a.figures
    if a.fits:
        row.fits = True
        row.predicted_time, row.predicted_quality = _judged(a.time, a.quality, a.min_time, deadline)
        row.verdict = _verdict(row.predicted_time, row.predicted_quality, deadline, quality)
    else:
        row.verdict = a.reason
    if dev.real:
        configured, how = dv.credentials(dev.backend)
        if not configured and row.fits:  # how to configure a device only where it could run
            row.configure = how
            if row.verdict == "candidate":
                row.verdict = "planning only: credentials not configured (see below)"
        elif configured and row.verdict == "candidate":
            live, note = dv.live_device(dev)  # a failure is remembered: no second wait here
            if live is None and note:  # credentials, but the vendor cannot be reached now
                row.verdict = f"not reachable now: {note}"


def _planned(rows: list[Option], cands: list[Option], key) -> str:
    """Which unconfigured real QPU would win against every runnable candidate, and how to configure it."""
    waiting = [r for r in rows if r.configure and r.verdict.startswith("planning only")]
    if not waiting:
        return ""
    best = min([*cands, *waiting], key=key)
    if best in cands:
        return ""
    return (
        f"with credentials QIP would choose {best.backend} ({best.label}): predicted "
        f"{best.predicted_time:.3g} s at quality {best.predicted_quality:.2f}; to configure it: {best.configure}"
    )
