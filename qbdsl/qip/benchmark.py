"""The QIP benchmark harness: every backend on every instance of the suite under every deadline.

:func:`measure` solves each (instance, deadline, backend) once with
``qb.solve(obj, backend=b, time_limit=deadline, seed=seed, **DEFAULT_WORK.get(b, {}))`` (each
backend's default work, as :func:`qbdsl.qip.experiment.run_all` runs it) and records a
:class:`Run`. A variant name ``"<backend>+<variant>"`` (:data:`VARIANTS`, e.g.
``anneal+tuned``) runs its backend with the variant's options instead and is recorded under
the variant's name. With ``out=path`` it appends each run to a CSV file as it goes and skips the
(instance, deadline, backend) triples already there, so a long measurement can be stopped and
continued; when it ends it rewrites the file (atomically) with every row's ``best`` and
``quality`` filled in.

Quality of a run (:func:`score`)
--------------------------------
``best`` is the best objective known for the instance: its published ``best_known`` or the
best feasible objective any backend found under any deadline, whichever is better in the
instance's sense. A run's quality is ``max(0, 1 - |objective - best| / max(1, |best|))`` when
its answer is feasible and it returned within the deadline, ``seconds <= deadline *``
:data:`DEADLINE_SLACK` (5 % for timer noise), else 0. ``qb.solve`` may itself run up to
``max(0.5, 0.25 * time_limit)`` s past its time limit to hand back what it found; that grace
is *not* counted as meeting the deadline: a deadline is the user's, and the oracle must see
which backends keep it (at 0.05 s the grace would be ten times the deadline).

The oracle (:func:`oracle_table`) picks, per (instance, deadline), the backend of highest
quality, then the fastest; "none" when no backend has quality above 0.

The CSV has the columns :data:`COLUMNS`: ``family, instance, deadline, backend, seconds,
objective, feasible, status, best_known, quality`` (the schema the cost model reads), then
``sense, best, best_source, seed, build_seconds, feature_seconds, lower_seconds`` and every
field of :class:`qbdsl.qip.features.Features` prefixed ``f_`` (computed once per instance; its
time is ``feature_seconds``, of which ``lower_seconds`` lowered the Model to its Problem, which
``qb.solve(backend="auto")`` does once for the features and the backend alike; the instance's
build time ``build_seconds``; none of them part of ``seconds``). Files written before
``lower_seconds`` existed are read and resumed with it NaN.

Run it from the command line (rich progress bar, resumable)::

    python -m qbdsl.qip.benchmark --quick --deadlines 0.05 0.5 5 --out out/bench
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from ..errors import ModelError
from .experiment import LOCAL
from .features import Features, features
from .variants import VARIANTS, solve_options  # noqa: F401  (re-exported: the harness's variant names)

DEADLINES = (0.05, 0.5, 5.0, 60.0)
# backend variants: "<backend>+<variant>" -> (backend, options); measured like a backend
# (qbdsl.qip's decision uses the same names). anneal+tuned: tuned penalty weights between
# annealing rounds and a greedy feasibility repair (backends.penalty_search, backends.repair);
# on a QUBO without penalty blocks it anneals as plain anneal with a time limit does.
DEADLINE_SLACK = 1.05
FEATURES = tuple(f.name for f in fields(Features))
COLUMNS = (
    ["family", "instance", "deadline", "backend", "seconds", "objective", "feasible", "status", "best_known", "quality"]
    + ["sense", "best", "best_source", "seed", "build_seconds", "feature_seconds", "lower_seconds"]
    + [f"f_{k}" for k in FEATURES]
)


@dataclass
class Run:
    """One solve of the benchmark: an instance under a deadline with a backend, and its outcome.

    Attributes
    ----------
    family, instance : str
        The instance's family and name (:class:`qbdsl.problems.benchmarks.BenchInstance`).
    deadline : float
        The solve's ``time_limit``, in seconds.
    backend : str
    seconds : float
        Wall time of the ``qb.solve`` call, in seconds (until it raised, for an error).
    objective : float
        The best sample's objective in the instance's own sense (NaN without a sample).
    feasible : bool
    status : str
        The result's status, or ``"error: <type>: <message>"`` for a call that raised.
    best_known : float
        The published best value (NaN when there is none).
    quality : float
        See the module docstring; NaN until :func:`score` has seen every run of the instance.
    sense : {"min", "max"}
    best : float
        The reference ``quality`` was computed against (NaN until scored).
    best_source : str
        Where ``best`` comes from (the published source, or ``"best found"``).
    seed : int
    build_seconds, feature_seconds : float
        Time to build the instance and to compute its features (once per instance).
    lower_seconds : float
        The part of ``feature_seconds`` spent lowering a Model to its Problem (0 for an
        instance that is an IR already; NaN in files written before it was recorded).
    features : dict
        The instance's :class:`~qbdsl.qip.features.Features` fields (values as computed, or
        as read back from a CSV file: text); empty when they could not be computed.
    """

    family: str
    instance: str
    deadline: float
    backend: str
    seconds: float
    objective: float
    feasible: bool
    status: str
    best_known: float
    quality: float = math.nan
    sense: str = "min"
    best: float = math.nan
    best_source: str = ""
    seed: int = 0
    build_seconds: float = math.nan
    feature_seconds: float = math.nan
    lower_seconds: float = math.nan
    features: dict = field(default_factory=dict, repr=False)

    @property
    def key(self) -> tuple[str, float, str]:
        """``(instance, deadline, backend)``: what identifies a run in a resumed file."""
        return self.instance, float(self.deadline), self.backend

    def as_row(self) -> dict:
        """The run as a CSV row keyed by :data:`COLUMNS` (text values)."""
        row = {
            "family": self.family,
            "instance": self.instance,
            "deadline": _num(self.deadline),
            "backend": self.backend,
            "seconds": _num(self.seconds),
            "objective": _num(self.objective),
            "feasible": str(bool(self.feasible)),
            "status": self.status,
            "best_known": _num(self.best_known),
            "quality": _num(self.quality),
            "sense": self.sense,
            "best": _num(self.best),
            "best_source": self.best_source,
            "seed": str(self.seed),
            "build_seconds": _num(self.build_seconds),
            "feature_seconds": _num(self.feature_seconds),
            "lower_seconds": _num(self.lower_seconds),
        }
        for k in FEATURES:
            v = self.features.get(k, "")
            row[f"f_{k}"] = _num(v) if isinstance(v, float) else str(v)
        return row

    @classmethod
    def from_row(cls, row: dict) -> Run:
        """A run from a CSV row written by :meth:`as_row` (feature values stay text).

        Raises
        ------
        ValueError
            A field that does not read as its type, or a missing one.
        """
        return cls(
            family=row["family"],
            instance=row["instance"],
            deadline=float(row["deadline"]),
            backend=row["backend"],
            seconds=float(row["seconds"]),
            objective=float(row["objective"]),
            feasible=row["feasible"] == "True",
            status=row["status"],
            best_known=float(row["best_known"]),
            quality=float(row["quality"] or "nan"),
            sense=row["sense"],
            best=float(row["best"] or "nan"),
            best_source=row["best_source"],
            seed=int(row["seed"]),
            build_seconds=float(row["build_seconds"]),
            feature_seconds=float(row["feature_seconds"]),
            lower_seconds=float(row.get("lower_seconds") or "nan"),
            features={k: row[f"f_{k}"] for k in FEATURES if row.get(f"f_{k}", "") != ""},
        )


def _num(v) -> str:
    """A float as the shortest text that reads back the same ('nan' for NaN)."""
    from ..io.atomic import fmt

    v = float(v)
    return fmt(v) if math.isfinite(v) else str(v)


def read_runs(path) -> list[Run]:
    """The runs in a CSV file written by :func:`measure` (none when the file is missing).

    A last line cut short (a measurement killed while writing it) is skipped: its run is
    done again on resume.

    Raises
    ------
    FileFormatError
        A header without the :data:`COLUMNS` it needs, or a complete row that does not read,
        naming ``path:line``.
    """
    from ..errors import FileFormatError
    from ..io.atomic import read_text

    p = Path(path)
    if not p.exists():
        return []
    text = read_text(p)
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS[:16] if c not in (reader.fieldnames or [])]
    if missing:
        raise FileFormatError(f"not a benchmark runs file: no column {', '.join(missing)}", str(path), 1)
    rows = list(reader)
    out = []
    for k, row in enumerate(rows):
        if None in row.values() or None in row:  # too few or too many fields
            if k == len(rows) - 1:
                continue
            raise FileFormatError("a row with the wrong number of fields", str(path), k + 2)
        try:
            out.append(Run.from_row(row))
        except (ValueError, KeyError) as exc:
            raise FileFormatError(f"cannot read the row ({exc})", str(path), k + 2) from None
    return out


def _append(path: Path, runs: list[Run]) -> None:
    """Append runs to ``path`` (the header first when the file is new or empty; to an existing
    file, in its own columns: one written before a column was added keeps its shape)."""
    new = not path.exists() or path.stat().st_size == 0
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = COLUMNS
    if not new:
        with open(path, newline="") as fh:
            columns = next(csv.reader(fh), None) or COLUMNS
    with open(path, "a", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
        if new:
            w.writeheader()
        for r in runs:
            w.writerow(r.as_row())
        fh.flush()


def _sense(obj) -> str:
    s = getattr(obj, "sense", None) or getattr(getattr(obj, "source", None), "sense", "min")
    return "max" if s == "max" else "min"


def _warm_solver_worker(wait: float = 10.0, workers: int = 1) -> None:
    """Have an idle solver worker process before a timed run, outside the time measured.

    In a process with threads (the progress bar's), OR-Tools runs in a worker process instead
    of a fork; after a run its deadline killed, the next call would start one (0.6 s, refused
    under a shorter deadline). The steady state is measured, as the dwave-samplers import is
    preloaded: a start-up cost once per process is not the backend's time on the instance.
    """
    from qbdsl.backends import isolate

    if isolate.startup_seconds(workers) <= 0:
        return
    isolate.prewarm(workers)
    end = time.perf_counter() + wait
    while isolate.startup_seconds(workers) > 0 and time.perf_counter() < end:
        time.sleep(0.01)


QIP = "qip"  # the policy itself as a "backend" of the harness: qb.solve(backend="auto", deadline=...)


def _solve(obj, backend: str, deadline: float, seed: int, cost_model=None) -> tuple[float, float, bool, str]:
    """(seconds, objective, feasible, status) of one ``qb.solve`` call; errors become a status.

    ``backend`` :data:`QIP` runs ``qb.solve(obj, backend="auto", time_limit=deadline,
    deadline=deadline, cost_model=cost_model)``: the decision, its features and any parallel
    or fallback runs count in its seconds; its status ends with what ran (:func:`_ran`)."""
    import qbdsl as qb

    _warm_solver_worker(workers=2 if backend == QIP else 1)  # QIP may run a pair: two workers
    t = time.perf_counter()
    try:
        if backend == QIP:
            r = qb.solve(obj, backend="auto", time_limit=deadline, deadline=deadline, seed=seed, cost_model=cost_model)
        else:
            name, opts = solve_options(backend)
            r = qb.solve(obj, backend=name, time_limit=deadline, seed=seed, **opts)
    except Exception as exc:  # a benchmark row, not a crash: the cost model learns what fails
        msg = " ".join(str(exc).split())[:200]
        return time.perf_counter() - t, math.nan, False, f"error: {type(exc).__name__}: {msg}"
    dt = time.perf_counter() - t
    value = float(r.objective) if r.sample is not None and r.objective is not None else math.nan
    status = str(r.status) + (f" | {_ran(r)}" if backend == QIP else "")
    return dt, value, bool(r.feasible) and math.isfinite(value), status


def _ran(result) -> str:
    """What a ``backend="auto"`` solve ran: ``"ran tabu & anneal"`` (a parallel pair, the
    answer's first), ``"ran anneal+tuned"``, with ``" after ortools failed"`` for fallbacks."""
    par = result.info.get("parallel") or []
    if par:
        ran = " & ".join(str(p["backend"]) for p in par)
    else:
        d = result.decision
        ran = (d.variant or d.backend) if d is not None and not result.attempts else result.backend
    failed = [a["backend"] for a in result.attempts]
    return f"ran {ran}" + (f" after {', '.join(failed)} failed" if failed else "")


def timed_features(obj) -> tuple[dict, float, float]:
    """An instance's features as QIP computes them before deciding, and what they cost.

    Parameters
    ----------
    obj : Model, Problem, QuboIR or MilpIR
        The instance as built.

    Returns
    -------
    features : dict
        :func:`qbdsl.qip.features.features` as a dict; empty when they cannot be computed.
    feature_seconds : float
        Wall seconds of the lowering (a Model's, once, as ``qb.solve(backend="auto")`` does)
        and the features together.
    lower_seconds : float
        The lowering's part of ``feature_seconds`` (0 for an object that is not a Model).
    """
    t = time.perf_counter()
    lower_s = 0.0
    try:
        if hasattr(obj, "to_problem"):  # a Model: lowered once, as qb.solve(backend="auto") does
            problem = obj.to_problem()
            lower_s = time.perf_counter() - t
            feats = features(problem).as_dict()
        else:
            feats = features(obj).as_dict()
    except ModelError:
        feats = {}
    return feats, time.perf_counter() - t, lower_s


def measure(
    instances: Sequence,
    deadlines: Sequence[float] = DEADLINES,
    backends: Sequence[str] = LOCAL,
    progress: Callable[[int, int, str], None] | None = None,
    seed: int = 0,
    out=None,
    cost_model=None,
) -> list[Run]:
    """Solve every instance under every deadline with every backend, one after another.

    Parameters
    ----------
    instances : sequence of BenchInstance
        From :func:`qbdsl.problems.benchmarks.instances` (anything with ``family``, ``name``,
        ``build()``, ``best_known``, ``best_known_source`` and ``sense``). Each is built
        once, only when one of its runs is still to do.
    deadlines : sequence of float, default DEADLINES
        Time limits in seconds, each a positive finite number.
    backends : sequence of str, default LOCAL
        Backend names for :func:`qbdsl.solve`, or variant names of :data:`VARIANTS`
        (``"anneal+tuned"``: :func:`solve_options`); :data:`~qbdsl.qip.experiment.LOCAL` is
        ``("exact", "anneal", "tabu", "qaoa", "ortools")``. :data:`QIP` (``"qip"``) runs the
        policy end to end (``qb.solve(backend="auto", deadline=...)``).
    progress : callable, optional
        Called after each run (and once for the runs a resumed file already has) as
        ``progress(done, total, "instance / deadline / backend")``.
    seed : int, default 0
        Passed to every solve, so stochastic backends repeat their runs.
    out : str or os.PathLike, optional
        A CSV file: runs already in it are kept and not done again; each new run is appended
        as soon as it ends; at the end the file is rewritten atomically with every row scored.
    cost_model : CostModel or callable, optional
        The model :data:`QIP` runs decide by: a :class:`~qbdsl.qip.costmodel.CostModel`, or a
        callable ``family -> CostModel`` (a model fitted without the instance's family, for a
        held-out measurement: :func:`held_out_models`); None: the shipped model.

    Returns
    -------
    list of Run
        Every run of the file (when given) and of this call, scored (:func:`score`), in the
        order they were done.

    Raises
    ------
    ModelError
        An empty or non-positive deadline, no backend, an unknown variant name (``"x+y"``
        not in :data:`VARIANTS`), two instances of one name, or a
        resumed file whose rows for an instance name another family.
    FileFormatError
        ``out`` exists and is not a runs file (:func:`read_runs`).
    """
    deadlines = [float(d) for d in deadlines]
    if not deadlines or any(not (math.isfinite(d) and d > 0) for d in deadlines):
        raise ModelError(f"deadlines must be positive finite seconds, got {list(deadlines)}")
    if not backends:
        raise ModelError("measure needs at least one backend")
    for b in backends:
        if b != QIP:
            solve_options(b)  # an unknown variant fails before any run
    names = [b.name for b in instances]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ModelError(f"two instances share the name {dup[0]!r}")
    path = Path(out) if out is not None else None
    runs = read_runs(path) if path is not None else []
    families = {b.name: b.family for b in instances}
    for r in runs:
        if r.instance in families and families[r.instance] != r.family:
            raise ModelError(
                f"{path}: instance {r.instance!r} is of family {r.family!r} there, {families[r.instance]!r} here"
            )
    have = {r.key for r in runs}
    if any(b == QIP or solve_options(b)[0] in ("anneal", "tabu") for b in backends):
        # the steady state is measured: dwave-samplers' one-time import (0.5 s per process)
        # would otherwise refuse the first short-deadline anneal/tabu run of each process
        from qbdsl.backends.anneal import preload

        preload()
    if any(solve_options(b)[0] == "ortools" for b in backends if b != QIP):
        # likewise OR-Tools' model builder, imported in this process before any solver worker forks
        from qbdsl.backends.ortools_backend import _import_solver_module

        _import_solver_module()
    if QIP in backends and instances:
        first = instances[0].family
        from .warm import warm_up

        # the steady state is measured: a process's first decision pays one-time imports (the
        # first case of the third split's end-to-end run, at 0.05 s, had no time left for any backend)
        warm_up(cost_model(first) if callable(cost_model) else cost_model)
    total = len(instances) * len(deadlines) * len(backends)
    todo = [(b, d, k) for b in instances for d in deadlines for k in backends]
    done = sum((b.name, d, k) in have for b, d, k in todo)
    if progress and done:
        progress(done, total, "(resumed)")
    for inst in instances:
        if all((inst.name, d, k) in have for d in deadlines for k in backends):
            continue
        t = time.perf_counter()
        obj = inst.build()
        build_s = time.perf_counter() - t
        feats, feat_s, lower_s = timed_features(obj)
        sense = _sense(obj)
        if sense != inst.sense:
            raise ModelError(f"instance {inst.name!r} says sense {inst.sense!r}, its model {sense!r}")
        for d in deadlines:
            for k in backends:
                if (inst.name, d, k) in have:
                    continue
                if k == QIP:
                    model = cost_model(inst.family) if callable(cost_model) else cost_model
                    secs, value, feas, status = _solve(obj, k, d, seed, cost_model=model)
                else:
                    secs, value, feas, status = _solve(obj, k, d, seed)
                best_known = math.nan if inst.best_known is None else float(inst.best_known)
                run = Run(inst.family, inst.name, d, k, secs, value, feas, status, best_known, sense=sense, seed=seed,
                          build_seconds=build_s, feature_seconds=feat_s, lower_seconds=lower_s,
                          features=feats)  # fmt: skip
                run.best_source = inst.best_known_source
                runs.append(run)
                have.add(run.key)
                if path is not None:
                    _append(path, [run])
                done += 1
                if progress:
                    progress(done, total, f"{inst.name} / {d:g} s / {k}")
    score(runs)
    if path is not None:
        from ..io.atomic import write_csv

        write_csv(path, COLUMNS, (r.as_row() for r in runs))
    return runs


def held_out_models(rows, groups: str = "family") -> Callable[[str], object]:
    """``family -> CostModel`` fitted on the rows of every other family (each fitted once, on
    first use): QIP judged end to end on a family it never saw.

    Parameters
    ----------
    rows : list of dict, or str or Path
        Run rows (:func:`qbdsl.qip.costmodel.read_rows`), or a runs file such as a
        ``bench-runs.csv`` (read as ``qbdsl costmodel fit`` reads it).
    groups : str, default "family"
        The column whose value is left out of each model.

    Raises
    ------
    ModelError
        Bad rows (see :func:`qbdsl.qip.costmodel.read_rows`); when called, no backend left to
        fit without that family.
    """
    from . import costmodel as cm

    rows, where = _run_rows(rows)
    try:
        cols = cm.read_rows(rows, extra=(groups,))
    except ModelError as exc:
        raise ModelError(f"{where}: {exc}") from None
    cache: dict[str, object] = {}

    def model(family: str):
        if family not in cache:
            try:
                cache[family] = cm.fit_indices(cols, np.flatnonzero(cols[groups] != family))
            except ModelError as exc:
                raise ModelError(f"{where}, without the {groups} {family!r}: {exc}") from None
        return cache[family]

    return model


def fitted_model(rows):
    """One cost model fitted on every row of ``rows`` (a runs file read as ``qbdsl costmodel
    fit`` reads it, several such files as a comma-separated string or a list, or rows): what
    QIP decides a frozen test split by.

    Raises
    ------
    ModelError
        Bad rows (see :func:`qbdsl.qip.costmodel.read_rows`), or no backend with enough runs.
    """
    from . import costmodel as cm

    paths = rows.split(",") if isinstance(rows, str) else rows
    if isinstance(paths, (list, tuple)) and paths and all(isinstance(p, (str, Path)) for p in paths):
        twice = sorted(p for p, k in Counter(map(str, paths)).items() if k > 1)
        if twice:
            raise ModelError(f"runs file {twice[0]} given twice: its runs would count twice")
        got = [_run_rows(p) for p in paths]
        rows, where = [r for g, _ in got for r in g], " + ".join(w for _, w in got)
    else:
        rows, where = _run_rows(rows)
    try:
        return cm.fit(rows)
    except ModelError as exc:
        raise ModelError(f"{where}: {exc}") from None


def _run_rows(rows) -> tuple[list, str]:
    """Rows, and what to call them in errors: a runs file is read as ``qbdsl costmodel fit``
    reads it (:func:`qbdsl.cli.policy.read_run_rows`: error statuses in calibrate's terms)."""
    if not isinstance(rows, (str, Path)):
        return rows, "the rows"
    from ..cli.policy import read_run_rows

    return read_run_rows(str(rows)), str(rows)


def score(runs: list[Run]) -> list[Run]:
    """Fill in every run's ``best``, ``best_source`` and ``quality`` (in place; also returned).

    ``best`` is, per instance, the better of its ``best_known`` and the best feasible
    objective any of ``runs`` found; quality is as the module docstring says.
    """
    by: dict[str, list[Run]] = {}
    for r in runs:
        by.setdefault(r.instance, []).append(r)
    for group in by.values():
        sign = -1.0 if group[0].sense == "max" else 1.0
        known = group[0].best_known
        found = [sign * r.objective for r in group if r.feasible and math.isfinite(r.objective)]
        found_best = min(found) if found else math.inf
        published = next((r.best_source for r in group if r.best_source and r.best_source != "best found"), "")
        # a found value better than the published one by float noise only keeps the published
        if math.isfinite(known) and sign * known <= found_best + 1e-9 * max(1.0, abs(known)):
            best, source = known, published or "published"
        elif found:
            best, source = sign * found_best, "best found"
        else:
            best, source = math.nan, "none"
        for r in group:
            r.best, r.best_source = best, source
            r.quality = quality(r.objective, r.feasible, r.seconds, r.deadline, best)
    return runs


def quality(objective: float, feasible: bool, seconds: float, deadline: float, best: float) -> float:
    """``max(0, 1 - |objective - best| / max(1, |best|))`` for a feasible answer returned
    within ``deadline * DEADLINE_SLACK`` seconds, else 0 (also when ``best`` is NaN)."""
    if not (feasible and math.isfinite(objective) and math.isfinite(best) and seconds <= deadline * DEADLINE_SLACK):
        return 0.0
    return max(0.0, 1.0 - abs(objective - best) / max(1.0, abs(best)))


# ------------------------------------------------------------------ the oracle's table
def oracle_table(runs: Sequence[Run]) -> list[dict]:
    """Per (family, deadline): which backend the oracle picks, how often, and the fixed policies.

    Parameters
    ----------
    runs : sequence of Run
        Scored runs (:func:`measure` returns them so; NaN qualities count as 0).

    Returns
    -------
    list of dict
        One per (family, deadline), sorted by family then deadline, then one per deadline
        with family ``"all"``. Keys: ``family``, ``deadline``, ``instances``, ``picks``
        (backend -> instances where the oracle picks it; ``"none"`` when no backend had
        quality above 0), ``oracle_quality`` and ``oracle_seconds`` (means over the
        instances), ``always`` (backend -> mean quality of the fixed policy "always that
        backend") and ``always_seconds`` (backend -> its mean seconds).
    """
    backends = sorted({r.backend for r in runs})
    cell: dict[tuple[str, float, str], dict[str, Run]] = {}
    for r in runs:
        cell.setdefault((r.family, float(r.deadline), r.instance), {})[r.backend] = r
    groups: dict[tuple[str, float], list[dict]] = {}
    for (fam, d, _inst), by in cell.items():
        q = {b: (_q(by[b]) if b in by else 0.0) for b in backends}
        t = {b: (by[b].seconds if b in by and math.isfinite(by[b].seconds) else d) for b in backends}
        ok = [b for b in backends if q[b] > 0]
        pick = max(ok, key=lambda b: (q[b], -t[b])) if ok else "none"
        entry = {"pick": pick, "q": q, "t": t, "oq": q[pick] if ok else 0.0, "ot": t[pick] if ok else d}
        groups.setdefault((fam, d), []).append(entry)
        groups.setdefault(("all", d), []).append(entry)
    out = []
    order = sorted(groups, key=lambda k: (k[0] == "all", k[0], k[1]))
    for fam, d in order:
        es = groups[(fam, d)]
        out.append(
            {
                "family": fam,
                "deadline": d,
                "instances": len(es),
                "picks": dict(Counter(e["pick"] for e in es).most_common()),
                "oracle_quality": float(np.mean([e["oq"] for e in es])),
                "oracle_seconds": float(np.mean([e["ot"] for e in es])),
                "always": {b: float(np.mean([e["q"][b] for e in es])) for b in backends},
                "always_seconds": {b: float(np.mean([e["t"][b] for e in es])) for b in backends},
            }
        )
    return out


def _q(r: Run) -> float:
    return r.quality if math.isfinite(r.quality) else 0.0


def format_table(table: Sequence[dict]) -> str:
    """The oracle table as Markdown: one line per (family, deadline), the oracle's picks and
    the mean quality of the oracle and of every fixed policy."""
    backends = sorted({b for row in table for b in row["always"]})
    head = ["family", "deadline (s)", "n", "oracle picks", "oracle q"] + [f"always-{b}" for b in backends]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for row in table:
        picks = ", ".join(f"{b} {c}" for b, c in row["picks"].items())
        cells = [row["family"], f"{row['deadline']:g}", str(row["instances"]), picks, f"{row['oracle_quality']:.3f}"]
        cells += [f"{row['always'][b]:.3f}" for b in backends]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_outputs(runs: Sequence[Run], table: Sequence[dict], out) -> list[Path]:
    """Write ``bench-runs.csv``, ``bench-oracle.csv``, ``bench-oracle.md`` and the heat map
    ``bench-oracle.png`` (the oracle's most frequent pick per family and deadline) into the
    folder ``out``, each atomically. Returns the paths written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    from ..io.atomic import atomic_write, write_csv

    out = Path(out)
    backends = sorted({b for row in table for b in row["always"]})
    paths = [
        write_csv(out / "bench-runs.csv", COLUMNS, (r.as_row() for r in runs)),
        write_csv(
            out / "bench-oracle.csv",
            ["family", "deadline", "instances", "picks", "oracle_quality", "oracle_seconds"]
            + [f"always_{b}" for b in backends]
            + [f"always_{b}_seconds" for b in backends],
            (
                [
                    row["family"],
                    _num(row["deadline"]),
                    row["instances"],
                    " ".join(f"{b}:{c}" for b, c in row["picks"].items()),
                    f"{row['oracle_quality']:.4f}",
                    f"{row['oracle_seconds']:.4g}",
                ]
                + [f"{row['always'][b]:.4f}" for b in backends]
                + [f"{row['always_seconds'][b]:.4g}" for b in backends]
                for row in table
            ),
        ),  # fmt: skip
    ]
    md = out / "bench-oracle.md"
    atomic_write(md, format_table(table))
    paths.append(md)

    fams = list(dict.fromkeys(row["family"] for row in table))
    dls = sorted({row["deadline"] for row in table})
    names = backends + ["none"]
    grid = np.full((len(fams), len(dls)), np.nan)
    fig, ax = plt.subplots(figsize=(1.9 * len(dls) + 2.5, 0.6 * len(fams) + 1.6))
    for row in table:
        y, x = fams.index(row["family"]), dls.index(row["deadline"])
        top = next(iter(row["picks"]))
        grid[y, x] = names.index(top)
        text = "\n".join(f"{b} {c}/{row['instances']}" for b, c in list(row["picks"].items())[:3])
        ax.text(x, y, text, ha="center", va="center", fontsize=7)
    colors = plt.get_cmap("tab10").colors[: len(backends)] + ((0.85, 0.85, 0.85),)
    ax.imshow(np.ma.masked_invalid(grid), cmap=ListedColormap(colors), vmin=-0.5, vmax=len(names) - 0.5, aspect="auto")
    ax.set_xticks(range(len(dls)), [f"{d:g} s" for d in dls])
    ax.set_yticks(range(len(fams)), fams)
    ax.set_xlabel("deadline")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colors]
    ax.legend(handles, names, bbox_to_anchor=(1.01, 1), loc="upper left", fontsize=8, title="oracle's pick")
    ax.set_title("Backend the oracle picks (most often), per family and deadline")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    png = out / "bench-oracle.png"
    atomic_write(png, buf.getvalue())
    paths.append(png)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m qbdsl.qip.benchmark``: measure the suite (resumable) and write the table and plot."""
    from rich.console import Console

    from qbdsl.problems import benchmarks

    from ..cli.progress import counting_progress

    ap = argparse.ArgumentParser(prog="python -m qbdsl.qip.benchmark", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="1-2 small instances per family")
    ap.add_argument("--families", nargs="+", choices=benchmarks.families(), help="default: all")
    ap.add_argument("--instances", nargs="+", help="only these instance names")
    ap.add_argument("--deadlines", nargs="+", type=float, default=list(DEADLINES), help="seconds")
    ap.add_argument("--backends", nargs="+", default=list(LOCAL), help=f"also variants: {', '.join(VARIANTS)}")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="out/bench", help="folder of the outputs (bench-runs.csv is resumed)")
    ap.add_argument(
        "--qip-held-out",
        metavar="RUNS",
        help="run QIP end to end (backend 'qip', to OUT/qip-runs.csv), each family decided by a cost model "
        "fitted on the other families' rows of RUNS",
    )
    ap.add_argument(
        "--qip-fit",
        metavar="RUNS",
        help="run QIP end to end (to OUT/qip-runs.csv) with one cost model fitted on all of RUNS (for a frozen "
        "test split; several runs files comma-separated)",
    )
    ap.add_argument("--split", choices=benchmarks.SPLITS, default="dev", help="the dev suite or a frozen test split")
    args = ap.parse_args(argv)
    chosen = [
        b
        for fam in (args.families or benchmarks.families())
        for b in benchmarks.instances(fam, quick=args.quick, split=args.split)
        if not args.instances or b.name in args.instances
    ]
    console = Console(stderr=True)
    out = Path(args.out)
    if args.qip_held_out or args.qip_fit:
        models = held_out_models(args.qip_held_out) if args.qip_held_out else fitted_model(args.qip_fit)
        with counting_progress(console, "QIP end to end") as tick:
            measure(chosen, args.deadlines, [QIP], tick, args.seed, out / "qip-runs.csv", cost_model=models)
        console.print(f"wrote {out / 'qip-runs.csv'}")
        return 0
    with counting_progress(console, "measuring") as tick:
        runs = measure(chosen, args.deadlines, args.backends, progress=tick, seed=args.seed, out=out / "bench-runs.csv")
    table = oracle_table(runs)
    for p in write_outputs(runs, table, out):
        console.print(f"wrote {p}")
    print(format_table(table))
    return 0


def _main_or_error(argv: Sequence[str] | None = None) -> int:
    """:func:`main`, a bad input (a missing runs file, bad rows) as one line on stderr and exit 2."""
    import sys

    try:
        return main(argv)
    except (ModelError, OSError) as exc:  # FileFormatError is a ModelError
        print(f"python -m qbdsl.qip.benchmark: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(_main_or_error())
