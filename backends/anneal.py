"""Simulated annealing and tabu search from dwave-samplers (``dwave.samplers``).

Time limits (see :mod:`backends.budget`):

- ``anneal``: the unit of work is one read (``num_sweeps`` sweeps). Two short probe reads
  on the instance itself measure the sampler's set-up cost and its cost per sweep; the
  reads are then sized to the time left and run in one call, which dwave-samplers'
  ``interrupt_function`` stops between reads when the next read would end past the
  deadline. When one read of the default 1000 sweeps cannot fit, the sweeps are lowered
  to fit (status ``time_limit``); when the user fixed ``num_sweeps`` and one read cannot
  fit, :class:`~qbdsl.errors.TimeLimitError` says so at once.
- ``tabu``: each call and each read copy the QUBO into a dense n x n matrix and scan it a
  few times before the read's own timeout starts to count; that cost is predicted from
  n^2 (``TABU_*_SECONDS_PER_ENTRY``). Reads and per-read timeouts are sized so the call
  ends within the limit; when one read cannot fit, :class:`~qbdsl.errors.TimeLimitError`.

dwave-samplers computes its default ``beta_range`` with a Python loop over the couplers
(1.7 s for 1.35 M couplers); :func:`ising_beta_range` computes the same range with numpy.

Seeds: calls draw their seeds from one ``numpy.random.SeedSequence(seed)``, so a fixed
``num_reads`` without a time limit gives the same answer for the same seed; with a time
limit the number of reads depends on the machine's speed.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from qbdsl.errors import OptionError

from .base import BackendOutput, Capabilities, Option, aggregate_reads, validate_options
from .budget import Budget, require_import
from .isolate import cancelled

DEFAULT_SWEEPS = 1000
DEFAULT_READS = 100
STATE_BYTES_CAP = 256 << 20  # samples buffer of one call (int8 per variable and read)
MARGIN = 0.05  # fraction of the budget kept free at the end
SETUP_SECONDS_PER_TERM = 5e-7  # BQM + beta range + one sampler set-up per coupler: 0.3 us measured
SAMPLERS_IMPORT_SECONDS = 0.6  # dwave.samplers' first import in a process: 0.53 s measured on the 2-core VM
PRELOAD_HINT = "qbdsl.backends.anneal.preload()"


def preload() -> None:
    """Import dwave-samplers now, so that a later timed anneal or tabu call does not spend its
    limit on the import (0.53 s, once per process)."""
    import dwave.samplers  # noqa: F401


SA_OPTIONS = {
    "num_reads": Option(int, 1),
    "num_sweeps": Option(int, 1),
    "beta_range": Option("range"),
    "beta_schedule_type": Option(str, choices=("geometric", "linear")),
    "num_sweeps_per_beta": Option(int, 1),
    "randomize_order": Option(bool),
    "proposal_acceptance_criteria": Option(str, choices=("Metropolis", "Gibbs")),
    "batch_reads": Option(int, 1),
    "penalty_search": Option(bool),
    "penalty_rounds": Option(int, 1, 1000),
    "repair": Option(bool),
}
SEARCH_ONLY = ("penalty_rounds",)  # options that need penalty_search=True
REPAIR_SHARE = 0.15  # with repair=True and a time limit: the share of the limit kept for repair
TUNED_ROUND_READS = 25  # reads per round of the tuned-weight mode without a time limit or num_reads
TABU_OPTIONS = {
    "num_reads": Option(int, 1),
    "tenure": Option(int, 0),
    "timeout": Option(int, 1),
    "num_restarts": Option(int, 0),
    "batch_reads": Option(int, 1),
}


def _bqm(ir):
    import dimod

    t = ir.terms
    return dimod.BinaryQuadraticModel.from_numpy_vectors(t.h, (t.i, t.j, t.v), t.offset, dimod.BINARY)


def ising_beta_range(terms, max_excitation_rate: float = 0.01) -> list[float]:
    """dwave-samplers' default ``[hot_beta, cold_beta]`` for a QUBO, vectorized.

    The rule is ``dwave.samplers.sa.sampler._default_ising_beta_range`` (dwave-samplers
    1.8, with ``scale_T_with_N=True``) applied to the Ising form ``y = (1 + s) / 2``:
    ``h'_i = h_i / 2 + sum_j J_ij / 4``, ``J'_ij = J_ij / 4``. Per spin, the largest
    effective field is ``sum |h'_i| + sum |J'_ij|`` and the smallest is the smallest nonzero
    of those biases; ``hot_beta = ln 2 / (2 max_i field_i)`` (a flip against the largest
    field still has probability 1/2) and ``cold_beta = ln(k / rate) / (2 min)`` with ``k``
    the number of spins at the minimum (at most ``rate`` excitations on the last sweep).
    The tests check it equals the library's own on random QUBOs.
    """
    n = terms.n
    i, j, v = terms.i, terms.j, terms.v
    hs = terms.h / 2.0 + (np.bincount(i, v, n) + np.bincount(j, v, n)) / 4.0
    a = np.abs(v) / 4.0
    total = np.abs(hs) + np.bincount(i, a, n) + np.bincount(j, a, n)
    ah = np.abs(hs)
    nonzero_h, nonzero_a = ah[ah != 0], a[a != 0]
    if nonzero_h.size + nonzero_a.size == 0:
        warnings.warn("all QUBO coefficients are zero: annealing at beta in [0.1, 1]", stacklevel=3)
        return [0.1, 1.0]
    low = min(nonzero_h.min(initial=np.inf), nonzero_a.min(initial=np.inf))
    # a spin's smallest bias is the global minimum exactly when one of its biases equals it
    at_min = ah == low
    at_min[i[a == low]] = True
    at_min[j[a == low]] = True
    top = float(total.max())
    hot = 1.0 if top == 0 else float(np.log(2) / (2 * top))
    cold = float(np.log(np.count_nonzero(at_min) / max_excitation_rate) / (2 * low))
    return [hot, cold]


class _Sampled:
    """Every distinct read over several sampler calls (int8 rows in variable order, their
    energies and counts, lowest energy first), and how many reads the calls made.

    At most ``STATE_BYTES_CAP`` bytes of distinct rows are kept: beyond that the
    highest-energy ones are dropped (``dropped`` counts their reads)."""

    def __init__(self, n: int = 1):
        self.X, self.E, self.occ = None, np.zeros(0), np.zeros(0, np.int64)
        self.reads, self.calls, self.dropped = 0, 0, 0
        self.max_rows = max(1, STATE_BYTES_CAP // max(n, 1))

    def add(self, sampleset) -> None:
        rec = sampleset.record
        self.calls += 1
        if len(rec) == 0:
            return
        occ = np.asarray(rec.num_occurrences, np.int64)
        self.reads += int(occ.sum())
        order = np.argsort(np.asarray(list(sampleset.variables)))
        X = np.asarray(rec.sample, dtype=np.int8)[:, order]
        E = np.asarray(rec.energy, dtype=float)
        if self.X is not None:
            X, E, occ = np.concatenate([self.X, X]), np.concatenate([self.E, E]), np.concatenate([self.occ, occ])
        X, E, occ = aggregate_reads(X, E, occ)
        if len(X) > self.max_rows:
            self.dropped += int(occ[self.max_rows :].sum())
            X, E, occ = X[: self.max_rows], E[: self.max_rows], occ[: self.max_rows]
        self.X, self.E, self.occ = X, E, occ


def _seed(seeds: np.random.SeedSequence) -> int:
    return int(seeds.spawn(1)[0].generate_state(1)[0]) % (2**31 - 1)


class _CtrlC:
    """Ctrl-C during a sampler call with an ``interrupt_function``: the KeyboardInterrupt Python
    raises inside dwave-samplers' callback is printed and ignored there ("Exception ignored in
    interrupt_callback"), and the run went on to its time limit. Inside this block (in the main
    thread, where Python's default SIGINT handler is installed) a Ctrl-C only sets ``pressed``,
    which the interrupt function reads to stop the sampler; leaving the block raises it."""

    def __init__(self) -> None:
        self.pressed = False
        self._old = None

    def __enter__(self) -> _CtrlC:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread() and (
            signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            self._old = signal.signal(signal.SIGINT, self._press)
        return self

    def _press(self, signum, frame) -> None:
        self.pressed = True

    def __exit__(self, *exc) -> None:
        import signal

        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
            self._old = None
        if self.pressed and exc[0] is None:
            raise KeyboardInterrupt


class AnnealBackend:
    """Simulated annealing (dwave-samplers): ``num_reads`` (100 without a time limit; with
    one, as many as fit), ``num_sweeps`` (1000), ``beta_range`` (default: dwave-samplers'
    rule, computed with numpy), ``beta_schedule_type`` ("geometric" | "linear"),
    ``num_sweeps_per_beta``, ``randomize_order``, ``proposal_acceptance_criteria``
    ("Metropolis" | "Gibbs"), ``batch_reads`` (reads per sampler call; default all).

    Constrained models (QUBOs with penalty blocks):

    - ``penalty_search`` (bool, default False): tuned penalty weights. The reads run in
      ``penalty_rounds`` rounds (default 8) with weights of their own, started at the
      objective's scale and updated between rounds from the violations of each round's
      best reads (:mod:`backends.penalty_search`); the time limit is shared by the rounds;
      ``num_reads`` is then per round (default with no time limit: 25). The samples are
      points of the QUBO given, with its own energies: the tuned weights only steer.
    - ``repair`` (bool, default False): greedy feasibility repair of the samples that violate
      a penalty block (:mod:`backends.repair`); with a time limit, 15 % of it is kept for it.
      With ``penalty_search``, each round's best fifth is repaired before it is judged.
      ``info["repaired"]`` counts the samples it made penalty-free.
    """

    name = "anneal"
    capabilities = Capabilities(accepts=("qubo",), max_variables=None, exact=False, time_limit=True, in_thread=True)
    options = SA_OPTIONS

    def solve(self, ir, *, time_limit=None, seed=None, **options) -> BackendOutput:
        """Anneal ``ir`` and return every distinct read, lowest energy first.

        Parameters
        ----------
        ir : QuboIR
            The QUBO, over n binaries.
        time_limit : float, optional
            Wall-clock seconds: as many reads as fit (sweeps lowered when even one read does not fit,
            unless ``num_sweeps`` is given); ``None``: ``num_reads`` reads (100 by default).
        seed : int, optional
            Seeds the sampler calls.
        **options
            The options in the class docstring.

        Returns
        -------
        BackendOutput
            ``samples`` (k, n) of 0/1 with their QUBO energies and read counts; status ``feasible``, or
            ``time_limit`` when fewer reads than asked for (or sweeps lowered) fitted.

        Raises
        ------
        OptionError
            An unknown option or invalid value, ``num_sweeps`` not a multiple of ``num_sweeps_per_beta``,
            or ``penalty_rounds`` without ``penalty_search=True``.
        TimeLimitError
            When setting up the sampler, or one read of the ``num_sweeps`` asked for, does not fit
            (with ``penalty_search``: not even in one round over the whole limit).
        """
        opts = validate_options("anneal", options, SA_OPTIONS)
        search = opts.pop("penalty_search", False)
        fix = opts.pop("repair", False)
        if not search:
            given = [k for k in SEARCH_ONLY if k in opts]
            if given:
                raise OptionError(f"anneal: option {given[0]} needs penalty_search=True")
        rounds = opts.pop("penalty_rounds", None)
        if ir.n == 0 or not (search or fix) or not getattr(ir, "penalties", None):
            return self._anneal(ir, time_limit, seed, opts)
        if search:
            from .penalty_search import DEFAULT_ROUNDS, tuned_search

            if time_limit is None:
                opts.setdefault("num_reads", TUNED_ROUND_READS)

            def sample(view, limit, round_seed):
                return self._anneal(view, limit, round_seed, dict(opts))

            return tuned_search(
                ir, sample, time_limit=time_limit, seed=seed, rounds=rounds or DEFAULT_ROUNDS, repair=fix
            )
        return self._repaired(ir, time_limit, seed, opts)

    def _repaired(self, ir, time_limit, seed, opts) -> BackendOutput:
        """Anneal with ``1 - REPAIR_SHARE`` of the limit, then repair the violating samples."""
        from .repair import repair

        budget = Budget(time_limit, "anneal")
        out = self._anneal(ir, None if time_limit is None else (1.0 - REPAIR_SHARE) * time_limit, seed, opts)
        if not len(out):
            return out
        deadline = None if time_limit is None else budget.deadline - 0.5 * MARGIN * time_limit
        fixed = repair(ir, out.samples, deadline=deadline)
        info = dict(out.info)
        info.update(repaired=fixed.num_repaired, repair_complete=fixed.complete, seconds=budget.elapsed())
        return BackendOutput.from_reads(fixed.samples, ir.energy(fixed.samples), out.status, info, out.num_occurrences)

    def _anneal(self, ir, time_limit, seed, opts: dict) -> BackendOutput:
        """Plain annealing of ``ir`` (anything with ``n``, ``terms``, ``offset``) with validated ``opts``."""
        budget = Budget(time_limit, "anneal")
        num_reads = opts.pop("num_reads", None)
        batch = opts.pop("batch_reads", None)
        sweeps_given = "num_sweeps" in opts
        sweeps = opts.pop("num_sweeps", DEFAULT_SWEEPS)
        per_beta = opts.get("num_sweeps_per_beta", 1)
        if sweeps % per_beta:
            raise OptionError(f"anneal: num_sweeps ({sweeps}) must be a multiple of num_sweeps_per_beta ({per_beta})")
        if ir.n == 0:
            return BackendOutput(np.zeros(0), "feasible", float(ir.offset), {"reads": 0})
        require_import(budget, "dwave.samplers", SAMPLERS_IMPORT_SECONDS, "dwave-samplers", PRELOAD_HINT)
        budget.require(
            SETUP_SECONDS_PER_TERM * (ir.n + len(ir.terms.v)),
            f"setting up annealing on {ir.n} binaries and {len(ir.terms.v)} couplers",
            "raise time_limit",
        )
        from dwave.samplers import SimulatedAnnealingSampler

        bqm = _bqm(ir)
        if "beta_range" not in opts:
            opts["beta_range"] = ising_beta_range(ir.terms)
        sampler = SimulatedAnnealingSampler()
        seeds = np.random.SeedSequence(seed)
        best = _Sampled(ir.n)

        def run(reads: int, n_sweeps: int, interrupt=None):
            ss = sampler.sample(
                bqm, num_reads=reads, num_sweeps=n_sweeps, seed=_seed(seeds), interrupt_function=interrupt, **opts
            )
            best.add(ss)

        max_call = max(1, STATE_BYTES_CAP // max(ir.n, 1))
        info = {"sampler": "simulated-annealing", "options": {**opts, "num_sweeps": sweeps}}
        if not budget.limited:
            target = num_reads or DEFAULT_READS
            while best.reads < target:
                run(min(batch or target, max_call, target - best.reads), sweeps)
            return self._output(best, "feasible", info, budget)

        setup, per_sweep = self._probe(run, sweeps, per_beta, budget)
        info.update(probe_reads=best.reads, probe_setup_seconds=setup, probe_seconds_per_sweep=per_sweep)
        status, done, requested = "feasible", 0, sweeps
        last, longest = [0.0], [0.0]
        ctrl_c = _CtrlC()

        def interrupt() -> bool:  # called between reads: stop if the next would end past the deadline
            now = time.perf_counter()
            longest[0], last[0] = max(longest[0], now - last[0]), now
            return (
                ctrl_c.pressed
                or cancelled()  # a pair's run no longer waited for
                or now + max(longest[0], per_read) > budget.deadline - MARGIN * time_limit / 2
            )

        while num_reads is None or done < num_reads:
            usable = budget.left() - MARGIN * time_limit
            sweeps = requested
            if setup + requested * per_sweep > usable:
                if done:  # full reads are in: the budget is spent, nothing was cut short
                    break
                if sweeps_given:
                    budget.require(
                        setup + requested * per_sweep + MARGIN * time_limit,
                        f"one read of {requested} sweeps on {ir.n} binaries and {len(ir.terms.v)} couplers",
                        "lower num_sweeps or raise time_limit",
                    )
                sweeps = int((usable - setup) / per_sweep) // per_beta * per_beta
                if sweeps < per_beta or sweeps_given:
                    break  # the longest useful read no longer fits
                status, info["sweeps_lowered_to_fit"] = "time_limit", True
            per_read = sweeps * per_sweep
            fit = max(1, int((usable - setup) / per_read))
            ask = min(max_call, batch or max_call, fit + 1, (num_reads - done) if num_reads is not None else fit + 1)
            before, longest[0] = best.reads, 0.0
            start = last[0] = time.perf_counter() + setup
            with ctrl_c:
                run(ask, sweeps, interrupt)
            got = best.reads - before
            done += got
            # what the reads took (the set-up estimate may exceed the real set-up: never below half the estimate)
            per_sweep = max((time.perf_counter() - start) / got / sweeps, 0.5 * per_sweep, 1e-12)
            info["options"]["num_sweeps"] = sweeps
            if got < ask:  # interrupted near the deadline
                break
        info["main_reads"] = done
        if (num_reads is not None and done < num_reads) or done == 0:
            status = "time_limit"
        return self._output(best, status, info, budget)

    @staticmethod
    def _probe(run, sweeps: int, per_beta: int, budget: Budget) -> tuple[float, float]:
        """Seconds of set-up per sampler call, and a high estimate of seconds per sweep.

        The first probe is a quench: one read of ``per_beta`` sweeps at the cold end of the
        schedule, which flip few spins, so it costs about the set-up (dwave-samplers builds
        its neighbour lists on every call) and already returns a local minimum. The second,
        one read of ``s = min(sweeps, 16 per_beta)`` sweeps on the same hot-to-cold schedule
        as the real reads (fewer if a tenth of the set-up per sweep would not fit in a
        quarter of the time left), times the sweeps. Timer noise is taken as 2 ms, so the
        estimate is ``(t_s - t_1 + 2 ms) / (s - per_beta)``; while the noise dominates, a
        longer probe (sized to a quarter of the time left) sharpens it. The probes' reads
        are kept as samples.
        """
        noise = 0.002

        def timed(n_sweeps: int) -> float:
            t = time.perf_counter()
            run(1, n_sweeps)
            return time.perf_counter() - t

        t1 = timed(per_beta)
        if sweeps == per_beta:  # the schedule is that one cold beta: the quench was a full read
            return 0.0, t1 / sweeps
        # A hot sweep flips most spins and touches every coupler, as the set-up does; over a
        # hot-to-cold schedule a sweep costs less than a tenth of the set-up (0.03-0.06 seen
        # on dense random QUBOs), and at most ~20 cold ones (0.2 s for 200 000 cold sweeps,
        # 3.9 s hot-to-cold, on 45 k couplers). When the set-up is a large part of the budget,
        # another call would cost another set-up: take that bound instead of measuring.
        prior = min(0.1 * t1, 20.0 * t1 / per_beta) + 1e-7
        s = min(sweeps, 16 * per_beta, int(0.25 * budget.left() / prior) // per_beta * per_beta)
        if t1 > 0.2 * budget.left() or s <= per_beta:
            return t1, prior
        ts = timed(s)
        while s < sweeps and ts - t1 < 2 * noise:
            c = (max(ts - t1, 0.0) + noise) / (s - per_beta)
            nxt = min(sweeps, int((0.25 * budget.left() - t1) / c) // per_beta * per_beta)
            if nxt < 4 * s:
                break
            s, ts = nxt, timed(nxt)
        return t1, (max(ts - t1, 0.0) + noise) / (s - per_beta)

    @staticmethod
    def _output(best: _Sampled, status: str, info: dict, budget: Budget) -> BackendOutput:
        info.update(
            reads=best.reads,
            calls=best.calls,
            distinct_reads=0 if best.X is None else len(best.X),
            seconds=budget.elapsed(),
        )
        if best.dropped:
            info["reads_dropped"] = best.dropped  # highest-energy reads beyond STATE_BYTES_CAP
        if best.X is None:
            return BackendOutput(None, "time_limit", None, info)
        return BackendOutput(best.X, status, best.E, info, num_occurrences=best.occ)


# Tabu's fixed costs, per entry of the dense n x n matrix, from reads with a 1 ms timeout at
# n = 300-6000 on the 2-core development VM (20-80 ns per call, 10-27 ns per further read),
# rounded up: dwave-samplers copies the QUBO into a dense matrix once per call (numpy) and
# again per read (C++), and scans it a few times before a read's timeout starts counting.
# A read also runs 1 ms past its timeout (a millisecond clock, compared with ">"): 2.0 ms per
# read at timeout=1, 6.0 ms at timeout=5, at n = 10-300.
TABU_CALL_SECONDS_PER_ENTRY = 60e-9
TABU_READ_SECONDS_PER_ENTRY = 25e-9
TABU_CLOCK_SECONDS = 1e-3
PROBE_SHARE = 0.1  # reads' fixed costs above this share of the limit: one read first, to measure them
DEFAULT_TABU_TIMEOUT_MS = 100


class TabuBackend:
    """Tabu search (dwave-samplers): ``num_reads`` (10), ``tenure``, ``timeout`` (ms per read;
    100; with a time limit and the default ten reads, the budget shared by them), ``num_restarts``,
    ``batch_reads`` (reads per sampler call)."""

    name = "tabu"
    capabilities = Capabilities(accepts=("qubo",), max_variables=None, exact=False, time_limit=True, in_thread=True)
    options = TABU_OPTIONS

    @staticmethod
    def _plan(
        todo: int,
        calls: int,
        call: float,
        per_read: float,
        usable: float,
        default_reads: bool,
        user_timeout: int | None,
    ) -> tuple[int, int]:
        """Reads for the next call and their timeout (ms), so the rest fits in ``usable`` s.

        The reads still to do share what the calls' and reads' fixed costs leave; each read
        gets at least 1 ms of search, and without a user's ``num_reads`` at least as much
        search as its fixed cost. Fewer reads when that does not fit; (0, 0) when none does.
        The default ten reads fill the budget; reads the user asked for search at most their
        ``timeout`` (100 ms by default), as without a limit.
        """

        def share(r: int) -> float:
            return (usable - min(calls, r) * call - r * per_read) / r

        want = max(1e-3, per_read) if default_reads else 1e-3
        r = next((r for r in range(todo, 0, -1) if share(r) >= want), 1)
        if share(r) < 1e-3:
            return 0, 0
        timeout = int(1000 * share(r))
        if user_timeout is not None or not default_reads:  # the reads asked for, not the whole budget
            timeout = min(timeout, user_timeout or DEFAULT_TABU_TIMEOUT_MS)
        return -(-r // max(1, min(calls, r))), timeout

    def solve(self, ir, *, time_limit=None, seed=None, **options) -> BackendOutput:
        """Run tabu search on ``ir`` and return every distinct read, lowest energy first.

        Parameters
        ----------
        ir : QuboIR
            The QUBO, over n binaries.
        time_limit : float, optional
            Wall-clock seconds: the reads share it (each read's ``timeout`` sized to what is left);
            ``None``: ``num_reads`` reads (10 by default) of ``timeout`` ms each (100 by default).
        seed : int, optional
            Seeds the sampler calls.
        **options
            The options in the class docstring.

        Returns
        -------
        BackendOutput
            ``samples`` (k, n) of 0/1 with their QUBO energies and read counts; status ``feasible``, or
            ``time_limit`` when fewer than ``num_reads`` reads fitted.

        Raises
        ------
        OptionError
            An unknown option or invalid value, or ``tenure`` above n - 1.
        TimeLimitError
            When one read (its dense n x n set-up included) does not fit.
        """
        budget = Budget(time_limit, "tabu")
        opts = validate_options("tabu", options, TABU_OPTIONS)
        num_reads = opts.pop("num_reads", None)
        batch = opts.pop("batch_reads", None)
        if ir.n == 0:
            return BackendOutput(np.zeros(0), "feasible", float(ir.offset), {"reads": 0})
        if opts.get("tenure", 0) > ir.n - 1:
            raise OptionError(f"tabu: option tenure must be at most n - 1 = {ir.n - 1} here, got {opts['tenure']}")
        reads = num_reads or 10
        user_timeout = opts.pop("timeout", None)
        info = {"sampler": "tabu"}
        status = "feasible"
        call = TABU_CALL_SECONDS_PER_ENTRY * ir.n**2 + 2e-3
        per_read = TABU_READ_SECONDS_PER_ENTRY * ir.n**2 + TABU_CLOCK_SECONDS  # besides its timeout
        if budget.limited:
            budget.require(
                call + per_read + 1e-3,
                f"one read on {ir.n} binaries (dense {ir.n} x {ir.n} copies)",
                "use anneal for large sparse QUBOs or raise time_limit",
            )
            info["seconds_per_call"], info["seconds_per_read"] = call, per_read
        require_import(budget, "dwave.samplers", SAMPLERS_IMPORT_SECONDS, "dwave-samplers", PRELOAD_HINT)
        from dwave.samplers import TabuSampler

        sampler = TabuSampler()
        seeds = np.random.SeedSequence(seed)
        best = _Sampled(ir.n)
        bqm = _bqm(ir)
        # with a limit: a few calls, so that what the first ones took re-plans the rest
        calls_left = 1 if not budget.limited or call > 0.02 * time_limit else min(4, reads)
        # reads whose fixed costs are a large share of the limit: a first call of one read
        # measures them (at 10 000 binaries they ran 4x the estimate, 143 s on a 60 s limit)
        probe = budget.limited and reads > 1 and per_read * reads > PROBE_SHARE * time_limit
        while best.reads < reads:
            if best.reads and cancelled():  # a pair's run no longer waited for: what it has
                break
            todo = reads - best.reads
            if budget.limited:
                ask, timeout = self._plan(
                    todo,
                    calls_left,
                    call,
                    per_read,
                    budget.left() - MARGIN * time_limit,
                    num_reads is None,
                    user_timeout,
                )
                if ask == 0:  # not one more read fits
                    break
                ask, opts["timeout"] = min(ask, batch or ask, 1 if probe else ask), timeout
                probe = False
            else:
                ask = min(batch or todo, todo)
                opts["timeout"] = user_timeout or DEFAULT_TABU_TIMEOUT_MS
            t = time.perf_counter()
            best.add(sampler.sample(bqm, num_reads=ask, seed=_seed(seeds), **opts))
            if budget.limited:  # what a read really costs besides its timeout, from this call
                per_read = max(
                    (time.perf_counter() - t - call) / ask - opts["timeout"] / 1000, 0.5 * per_read, TABU_CLOCK_SECONDS
                )
                calls_left = max(1, calls_left - 1)
        if num_reads is not None and best.reads < num_reads:
            status = "time_limit"
        info["options"] = opts
        return AnnealBackend._output(best, status, info, budget)
