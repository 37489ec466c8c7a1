"""Deciding under uncertainty: pick the backend with the best expected quality among those that
meet the deadline with high probability, not the one with the best point estimate; propose
running two in parallel when the prediction cannot tell them apart.

Pure functions over predictions (:class:`qbdsl.qip.costmodel.Prediction`, or anything with
its attributes): nothing here runs a backend.
"""

from __future__ import annotations

import math
import operator
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from ..errors import ModelError


class PredictionLike(Protocol):
    """What the rule reads of a prediction (see :class:`qbdsl.qip.costmodel.Prediction`)."""

    backend: str
    takes: bool
    time_median: float
    time_p90: float
    p_meet_deadline: float
    quality_mean: float
    quality_low: float
    # optional: prior_weight (the rule reads it with getattr, 0 when absent)


@dataclass(frozen=True)
class Choice:
    """The decision rule's answer.

    Attributes
    ----------
    backend : str or None
        The backend to run (None when no backend takes the instance).
    parallel : tuple of str
        ``(backend, runner_up)`` when running both at once on separate cores is proposed,
        else ``()``.
    confident : bool
        Whether ``backend`` meets the deadline with at least the required probability.
    reason : str
        Why, in one or two sentences.
    ranked : tuple of str
        The backends that take the instance, best first (confident ones first, then by expected
        quality, then by median time).
    race : bool
        Whether ``parallel``'s second run is a prover raced against the first: it may end the
        solve early with a proof of optimality, and is stopped once the first answers
        (:data:`RACE_RATIO`).
    """

    backend: str | None
    parallel: tuple[str, ...]
    confident: bool
    reason: str
    ranked: tuple[str, ...]
    race: bool = False


# below this predicted p90 time a safe choice runs alone: a parallel pair starts two solver
# processes (forks or workers), measured at 5 ms to 0.3 s here, which a 1 ms enumeration never repays
MIN_PARALLEL_SECONDS = 0.05
TIE = 0.02  # expected-quality difference treated as a tie: below the fitted model's quality error
# below this deadline no pair runs that starts solver processes: a pair's two process starts, the
# answers' transfer and two decodes cost 10-25 ms end to end here, so at 0.05 s 9 of 16 pairs
# answered late (the second frozen test split, 2026-12-01) where the simulation, which does not
# charge them, had them in time. Two samplers in threads, or a sampler in a thread beside OR-Tools
# (forked alone too), start none and are spared
PARALLEL_MIN_DEADLINE = 0.25
# once one run of a pair has answered, the other may still answer until this share of the time limit
# past it (qb.solve's pair and the evaluation's scoring of it), not into the grace: less than the QIP
# benchmark's 5 % slack, whose rest is left for the answers' transfer and decode (waiting the whole
# 5 % made a 60 s pair answer at 63.07 s)
IN_HAND_WAIT = 0.02
# a prover (a backend that can prove the user's optimum) races a heuristic chosen alone when its
# median predicted time is below this multiple of the heuristic's: the first proof ends the solve,
# the heuristic's answer stops the prover, so a race costs a process start and no quality. The
# fitted OR-Tools times run about 2x high on the runs it proves fast (mean log ratio 0.6-0.7 on
# small QUBOs and constrained models of the dev runs); on the simulated dev runs and the second to
# fourth splits a ratio of 4 shortened the shifted geometric mean time 4-7 % where 1 did nothing
# and 2 half as much (chosen on those splits, before the fifth was drawn)
RACE_RATIO = 4.0
# a wide time band is a doubt worth a second run only when its 90th percentile reaches this share of
# the deadline: OR-Tools predicted at 0.04 s (p90 0.2 s) on a 5 s deadline ran beside the tuned
# annealer on every knapsack of the fifth split, which cost 50-70 ms of process starts and a second
# compile end to end around proofs of 20-100 ms, and changed no answer (simulated on the dev runs
# and the second to fifth splits: 3-7 pairs fewer per split, the same quality and time)
BAND_DEADLINE_SHARE = 0.25
# a chosen backend whose prediction gives its shipped profile at least this weight against the fit
# (:attr:`Prediction.prior_weight`: the instance lies outside its training rows, as a family the
# model never saw does) runs beside the runner-up, slower or not: held out, k-path was ranked tabu
# first at 0.5-5 s where the tuned annealer reaches the optimum (leave-one-family-out over the
# runs of the dev suite and five splits: k-path 0.846 -> 0.935, all 0.956 -> 0.967 at 1.06x ->
# 1.14x the oracle's time; dev suite 0.977 -> 0.979 at 1.02x -> 1.07x; the simulated test splits,
# families the model knows, unchanged). 0.5 was chosen on those runs; 1 turns it off
EXTRAPOLATED_WEIGHT = 0.5
# a pair in threads of one process sets its two runs up one after the other (the interpreter's
# lock): when the two set-ups take more than this share of the deadline the pair does not run.
# On k-path models of 400 000-600 000 couplers at 0.5 s (the sixth split, end to end) tabu and the
# tuned annealer in two threads answered infeasible or not at all, where tabu alone found 0.78
THREAD_SETUP_SHARE = 0.25


def available_cores() -> int:
    """CPU cores this process may run on (``os.sched_getaffinity``; ``os.cpu_count`` elsewhere)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _check_unit(name: str, v: float, low_open: bool = True) -> float:
    if (
        isinstance(v, bool)
        or not isinstance(v, (int, float))
        or not math.isfinite(v)
        or not (0 < v < 1 if low_open else 0 <= v <= 1)
    ):
        bounds = "strictly between 0 and 1" if low_open else "between 0 and 1"
        raise ModelError(f"decision rule: {name} must be {bounds}, got {v!r}")
    return float(v)


def _as_list(predictions) -> list:
    if isinstance(predictions, Mapping):
        preds = list(predictions.values())
    elif isinstance(predictions, Sequence):
        preds = list(predictions)
    else:
        raise ModelError(f"decision rule: predictions must be a dict or a list, got a {type(predictions).__name__}")
    for p in preds:
        for a in ("backend", "takes", "time_median", "time_p90", "p_meet_deadline", "quality_mean", "quality_low"):
            if not hasattr(p, a):
                raise ModelError(f"decision rule: a prediction ({type(p).__name__}) has no {a!r}")
    return preds


def _names_arg(names, what: str) -> frozenset[str]:
    """``names`` (a collection of backend names, not one string) as a set, or ModelError."""
    if isinstance(names, str) or not isinstance(names, Collection) or not all(isinstance(n, str) for n in names):
        raise ModelError(f"decision rule: {what} must be a collection of backend names, got {names!r}")
    return frozenset(names)


def _pairs_arg(pairs) -> frozenset[frozenset[str]]:
    """``same`` (a collection of pairs of names: sets, frozensets, tuples or lists) as a set of
    frozensets, or ModelError (one bare pair or a string, where a collection of pairs was meant)."""
    ok = (
        not isinstance(pairs, str)
        and isinstance(pairs, Collection)
        and all(
            isinstance(p, (set, frozenset, tuple, list)) and len(set(p)) == 2 and all(isinstance(n, str) for n in p)
            for p in pairs
        )
    )
    if not ok:
        raise ModelError(f"decision rule: same must be a collection of pairs of backend names, got {pairs!r}")
    return frozenset(frozenset(p) for p in pairs)


def uncertain(p: PredictionLike, band: float, spread: float, confidence: float, deadline: float | None = None) -> str:
    """Why a prediction is uncertain ('' when it is not): its time band ``p90 / median`` wider than
    ``band`` (with a ``deadline``: only when the 90th percentile reaches
    :data:`BAND_DEADLINE_SHARE` of it), its quality's 10th percentile more than ``spread`` below
    its mean, or its probability of meeting the deadline within 0.05 of ``confidence`` or below it."""
    why = []
    wide = p.time_median > 0 and p.time_p90 / p.time_median > band
    if wide and (deadline is None or p.time_p90 >= BAND_DEADLINE_SHARE * deadline):
        why.append(f"time band p90/median {p.time_p90 / p.time_median:.1f}x > {band:g}x")
    if p.quality_mean - p.quality_low > spread:
        why.append(f"quality spread {p.quality_mean - p.quality_low:.2f} > {spread:g}")
    if p.p_meet_deadline < min(1.0, confidence + 0.05):
        why.append(f"P(meet) {p.p_meet_deadline:.2f}")
    return ", ".join(why)


def choose(
    predictions,
    deadline: float,
    confidence: float = 0.9,
    *,
    tie: float = TIE,
    close: float = 0.02,
    band: float = 3.0,
    spread: float = 0.1,
    cores: int | None = None,
    min_parallel_seconds: float | None = None,
    optimism: float = 1.0,
    min_parallel_deadline: float | None = None,
    in_thread: Collection[str] = (),
    in_child: Collection[str] = (),
    same: Collection[frozenset] = (),
    provers: Collection[str] = (),
    race_ratio: float | None = None,
    startup: Mapping[str, float] | None = None,
) -> Choice:
    """Choose a backend from predictions at one deadline.

    The rule: among backends that take the instance and meet the deadline with probability
    ``>= confidence``, the best expected quality; within ``tie`` of it, the shortest median time.
    When none is that safe, the best expected quality *at the deadline*
    ``p_meet_deadline * quality_mean``, then the shortest time (and ``confident`` is False).
    When the runner-up (from the same pool) is within ``close`` of the chosen one's expected
    quality and either prediction is uncertain (:func:`uncertain` at ``deadline``), and two or more cores are
    available, both are proposed to run in parallel. Otherwise, with two or more cores, a backend
    that misses the confidence but whose ``p_meet_deadline * quality_mean`` beats the chosen
    one's expected quality by more than ``close`` is proposed beside it as a hedge (the safe
    answer is kept; the risky one may be better). Else, with two or more cores, a safe backend
    whose optimistic quality, ``quality_mean + optimism * (quality_mean - quality_low)`` (about
    its 90th percentile at the default), beats the chosen one's expected quality by more than
    ``close`` runs beside it: the held-out quality errors of the fitted model are 0.1-0.2
    (README, "QIP where the choice matters"), larger than most gaps between the first two.
    A safe choice whose prediction leans on its shipped profile (``prior_weight`` at least
    :data:`EXTRAPOLATED_WEIGHT`: the instance lies outside the runs it was fitted on) runs beside
    the runner-up, slower or not. When several partners qualify, the one with the best
    ``p_meet_deadline * quality_mean`` takes the second core. When none does, a safe choice that
    cannot prove its answer optimal races the fastest backend of ``provers`` whose median time is
    below ``race_ratio`` times its own and below the deadline (``Choice.race``): a proof ends the
    solve, the chosen one's answer stops the prover (it never lowers the quality; end to end both
    runs then start as solver processes, which costs 20-25 ms in a plain script). A pair of backends both
    named in ``in_thread`` runs in two threads of the caller's process (``qb.solve``; their solvers
    release the GIL), which cost nothing to start; a pair of one named in ``in_thread`` and one in
    ``in_child`` (a backend that runs in a child process of its own even alone) runs the first in a
    thread beside the second's child, which starts no process the two runs alone would not: the
    floors ``min_parallel_deadline`` and ``min_parallel_seconds``, which are there for the two solver
    processes any other pair starts, do not apply to either.

    Parameters
    ----------
    predictions : dict of str to Prediction, or list of Prediction
        One per backend (:meth:`qbdsl.qip.costmodel.CostModel.predict_all`).
    deadline : float
        Seconds (named in the reason).
    confidence : float, default 0.9
        Required probability of meeting the deadline, in (0, 1).
    tie : float, default :data:`TIE` (0.02)
        Expected-quality difference treated as a tie (then the faster wins).
    close : float, default 0.02
        Expected-quality difference under which two backends are "close".
    band, spread : float
        Uncertainty thresholds (:func:`uncertain`).
    cores : int, optional
        Cores available (default :func:`available_cores`).
    optimism : float, default 1.0
        How many ``quality_mean - quality_low`` spreads (each about 1.28 standard deviations)
        above its mean a safe runner-up's quality may lie for it to run beside the chosen one;
        0 turns this partner off.
    min_parallel_deadline : float, optional
        No second run under this deadline in seconds (default :data:`PARALLEL_MIN_DEADLINE`; 0
        allows pairs at any deadline).
    min_parallel_seconds : float, optional
        No second run beside a safe choice whose 90th-percentile time is below this (default
        :data:`MIN_PARALLEL_SECONDS`) and below half the deadline: starting two solver
        processes costs more than such a run could lose.
    in_thread : collection of str, default ()
        Backends that run in a thread of the caller's process beside another run
        (:func:`qbdsl.qip.variants.runs_in_thread`); a pair of two of them has no floor.
    in_child : collection of str, default ()
        Backends that run in a child process of their own even alone
        (:func:`qbdsl.qip.variants.runs_in_child`); a pair of one of them and one of
        ``in_thread`` has no floor.
    same : collection of frozenset, default ()
        Pairs of backends that run the same algorithm on this instance
        (:func:`qbdsl.qip.variants.same_runs`): never proposed together.
    provers : collection of str, default ()
        Backends that can prove the user's optimum on this instance
        (:func:`qbdsl.qip.variants.proves`).
    race_ratio : float, optional
        A prover races a chosen heuristic when its median time is below this multiple of the
        heuristic's (default :data:`RACE_RATIO`); 0 turns races off.
    startup : mapping of str to float, optional
        Seconds each backend needs before any answer by its own pre-flight rule
        (:func:`qbdsl.qip.profiles.startup_seconds`): a pair in threads whose two set-ups take
        more than :data:`THREAD_SETUP_SHARE` of the deadline does not run (they would set up one
        after the other, under the interpreter's lock).

    Returns
    -------
    Choice

    Raises
    ------
    ModelError
        A confidence outside (0, 1), a negative tie/close, a deadline that is not positive,
        ``cores`` not a whole number >= 1, ``in_thread``, ``in_child`` or ``provers`` not a collection of names,
        ``same`` not a collection of pairs of names, ``startup`` not a mapping of names to seconds
        >= 0, or a prediction lacking a field the rule reads.
    """
    confidence = _check_unit("confidence", confidence)
    race_ratio = RACE_RATIO if race_ratio is None else race_ratio
    numbers = [("tie", tie), ("close", close), ("spread", spread), ("optimism", optimism), ("race_ratio", race_ratio)]
    if min_parallel_deadline is not None:
        numbers.append(("min_parallel_deadline", min_parallel_deadline))
    for name, v in numbers:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (v >= 0 and math.isfinite(v)):
            raise ModelError(f"decision rule: {name} must be a finite number >= 0, got {v!r}")
    if (
        isinstance(deadline, bool)
        or not isinstance(deadline, (int, float))
        or not (math.isfinite(deadline) and deadline > 0)
    ):
        raise ModelError(f"decision rule: deadline must be positive and finite, got {deadline!r}")
    preds = _as_list(predictions)
    in_thread, same = _names_arg(in_thread, "in_thread"), _pairs_arg(same)
    in_child = _names_arg(in_child, "in_child")

    def starts_nothing(a: str, b: str) -> bool:
        """Whether a pair of ``a`` and ``b`` starts no solver process their runs alone would not."""
        return (a in in_thread and (b in in_thread or b in in_child)) or (a in in_child and b in in_thread)

    provers = _names_arg(provers, "provers")
    seconds_ok = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0  # noqa: E731
    if startup is not None and not (
        isinstance(startup, Mapping) and all(isinstance(k, str) and seconds_ok(v) for k, v in startup.items())
    ):
        raise ModelError(f"decision rule: startup must map backend names to seconds >= 0, got {startup!r}")
    if cores is None:
        cores = available_cores()
    else:
        try:
            n = -1 if isinstance(cores, bool) else operator.index(cores)
        except TypeError:
            n = -1
        if n < 1:
            raise ModelError(f"decision rule: cores must be a whole number >= 1, got {cores!r}")
        cores = n
    takers = [p for p in preds if p.takes]
    if not takers:
        why = (
            "; ".join(f"{p.backend}: {getattr(p, 'reason', '') or 'cannot take it'}" for p in preds) or "no predictions"
        )
        return Choice(None, (), False, f"no backend takes this instance ({why})", ())
    safe = [p for p in takers if p.p_meet_deadline >= confidence]
    if safe:
        pool = safe
        value = lambda p: p.quality_mean  # noqa: E731
    else:
        pool = takers
        value = lambda p: p.p_meet_deadline * p.quality_mean  # noqa: E731
    best = max(value(p) for p in pool)
    near = [p for p in pool if value(p) >= best - tie]
    chosen = min(near, key=lambda p: (p.time_median, p.backend))
    ranked = sorted(takers, key=lambda p: (p.p_meet_deadline < confidence, -value(p), p.time_median, p.backend))
    if safe:
        reason = (
            f"{chosen.backend}: expected quality {chosen.quality_mean:.3f}, the best among the backends that meet "
            f"the {deadline:g} s deadline with P >= {confidence:g} (its P = {chosen.p_meet_deadline:.2f}, "
            f"median {chosen.time_median:.3g} s)"
        )
        if len(near) > 1:
            reason += f"; fastest of {len(near)} within {tie:g} of the best quality"
    else:
        reason = (
            f"no backend meets the {deadline:g} s deadline with P >= {confidence:g}; {chosen.backend} has the best "
            f"expected quality at the deadline, P(meet) {chosen.p_meet_deadline:.2f} "
            f"x quality {chosen.quality_mean:.3f}"
        )
    parallel: tuple[str, ...] = ()
    at_deadline = lambda p: p.p_meet_deadline * p.quality_mean  # noqa: E731
    partners: list[tuple[float, str, str]] = []  # (P(meet) x quality, backend, why)
    others = sorted((p for p in pool if p is not chosen), key=lambda p: (-value(p), p.time_median, p.backend))
    if others:
        runner = others[0]
        gap = value(chosen) - value(runner)
        doubt = uncertain(chosen, band, spread, confidence, deadline) or uncertain(
            runner, band, spread, confidence, deadline
        )
        if gap <= close and doubt:
            if cores >= 2:
                partners.append((
                    at_deadline(runner), runner.backend,
                    f". Running {runner.backend} in parallel on a second core: its expected quality is within "
                    f"{max(gap, 0.0):.3f} and the prediction is uncertain ({doubt})",
                ))  # fmt: skip
            else:
                reason += f". {runner.backend} is as good within {max(gap, 0.0):.3f} but only {cores} core is available"
    if safe and cores >= 2:
        # a hedge: a backend outside the safe pool whose expected quality, even counted 0 when
        # late (P(meet) x quality), beats the safe choice by more than `close` runs beside it
        risky = [p for p in takers if p.p_meet_deadline < confidence]
        gain = lambda p: at_deadline(p) - chosen.quality_mean  # noqa: E731
        better = max(risky, key=lambda p: (gain(p), -p.time_median), default=None)
        if better is not None and gain(better) > close:
            partners.append((
                at_deadline(better), better.backend,
                f". Running {better.backend} in parallel on a second core as a hedge: it may miss the deadline "
                f"(P = {better.p_meet_deadline:.2f}), but its expected quality {better.quality_mean:.3f} "
                f"x P beats {chosen.quality_mean:.3f}",
            ))  # fmt: skip
    if safe and cores >= 2 and optimism > 0:
        # a safe backend the model ranks lower but whose optimistic quality beats the chosen one's
        # expectation: the model's quality error is larger than the gap, so let the runs decide
        hope = lambda p: p.quality_mean + optimism * (p.quality_mean - p.quality_low)  # noqa: E731
        hopeful = [
            p for p in safe
            if p is not chosen and hope(p) > chosen.quality_mean + close and p.time_median <= chosen.time_median
        ]  # fmt: skip
        if hopeful:
            h = max(hopeful, key=lambda p: (at_deadline(p), -p.time_median))
            partners.append((
                at_deadline(h), h.backend,
                f". Running {h.backend} in parallel on a second core: its expected quality "
                f"{h.quality_mean:.3f} is lower, but its optimistic quality {min(hope(h), 1.0):.3f} beats "
                f"{chosen.quality_mean:.3f} by more than the model's error allows to rule out",
            ))  # fmt: skip
    if safe and others and cores >= 2 and EXTRAPOLATED_WEIGHT < 1.0:
        # the instance lies outside the rows the chosen one was fitted on (an unseen family): its
        # prediction leans on the shipped profile, and the ranking cannot be trusted to the model's
        # quality error; the runner-up runs beside it, slower or not
        w = getattr(chosen, "prior_weight", 0.0)
        runner = next((p for p in others if frozenset((chosen.backend, p.backend)) not in same), None)
        if runner is not None and w >= EXTRAPOLATED_WEIGHT and at_deadline(runner) > 0:
            partners.append((
                at_deadline(runner), runner.backend,
                f". Running {runner.backend} in parallel on a second core: this instance lies outside the "
                f"runs {chosen.backend}'s model was fitted on (prior weight {w:.2f}), so the ranking is a guess",
            ))  # fmt: skip
    if not safe and others and cores >= 2 and at_deadline(others[0]) > 0:
        # nothing is safe: the second core is not left idle, the next best at the deadline runs too
        partners.append((
            at_deadline(others[0]), others[0].backend,
            f". No backend is safe: {others[0].backend} (P(meet) {others[0].p_meet_deadline:.2f} x quality "
            f"{others[0].quality_mean:.3f}) runs in parallel on a second core",
        ))  # fmt: skip
    partners = [t for t in partners if frozenset((chosen.backend, t[1])) not in same]  # one algorithm twice
    # a pair that starts no process (two thread backends, or one beside a backend that runs in a child
    # of its own anyway): the floors below, for process starts, spare it
    in_threads = [t for t in partners if starts_nothing(chosen.backend, t[1])]
    if startup and in_threads:
        setup = lambda t: startup.get(chosen.backend, 0.0) + startup.get(t[1], 0.0)  # noqa: E731
        heavy = [t for t in in_threads if setup(t) > THREAD_SETUP_SHARE * deadline]
        if heavy:
            partners = [t for t in partners if t not in heavy]
            in_threads = [t for t in in_threads if t not in heavy]
            if not partners:
                reason += (
                    f". No second run beside it: in threads of one process the two set-ups "
                    f"(about {setup(heavy[0]):.2g} s together) would leave neither its time"
                )
    floor = MIN_PARALLEL_SECONDS if min_parallel_seconds is None else min_parallel_seconds
    if partners and safe and chosen.time_p90 < min(floor, 0.5 * deadline):
        partners = in_threads  # a pair's two process starts cost more than this run takes
    least = PARALLEL_MIN_DEADLINE if min_parallel_deadline is None else min_parallel_deadline
    if partners and deadline < least:
        if not in_threads:
            reason += (
                f". No second run beside it: under a {least:g} s deadline a pair's process starts and "
                "two decodes make the answer late"
            )
        partners = in_threads
    if partners:  # the second core goes to the partner worth most at the deadline
        best_partner = max(partners, key=lambda t: t[0])
        parallel = (chosen.backend, best_partner[1])
        reason += best_partner[2]
        if best_partner in in_threads and chosen.backend in in_thread and best_partner[1] in in_thread:
            reason += " (both in threads of this process: their solvers release the GIL, nothing to start)"
        elif best_partner in in_threads:
            child = chosen.backend if chosen.backend not in in_thread else best_partner[1]
            reason += f" (in a thread of this process beside {child}'s own solver process: nothing more to start)"
    race = False
    if not parallel and safe and cores >= 2 and race_ratio > 0 and chosen.backend not in provers:
        # the second core idle beside a heuristic: a prover may end the solve sooner with a proof
        quick = [
            p for p in takers
            if p.backend in provers and p is not chosen and frozenset((chosen.backend, p.backend)) not in same
            and p.time_median < min(race_ratio * chosen.time_median, deadline)  # a proof past the deadline ends nothing
        ]  # fmt: skip
        quick = [
            p for p in quick
            if starts_nothing(chosen.backend, p.backend)
            or (deadline >= least and chosen.time_p90 >= min(floor, 0.5 * deadline))
        ]  # fmt: skip
        if quick:
            p = min(quick, key=lambda p: (p.time_median, p.backend))
            parallel, race = (chosen.backend, p.backend), True
            reason += (
                f". Racing {p.backend} on a second core: it can prove the optimum, and its median time "
                f"{p.time_median:.3g} s is below {race_ratio:g}x {chosen.backend}'s {chosen.time_median:.3g} s; "
                f"its proof ends the solve, {chosen.backend}'s answer stops it"
            )
    return Choice(
        chosen.backend, parallel, chosen.p_meet_deadline >= confidence, reason, tuple(p.backend for p in ranked), race
    )
