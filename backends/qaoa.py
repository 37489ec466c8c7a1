"""QAOA on a native numpy statevector, and the qiskit-optimization reference path.

Native path: a QUBO's cost Hamiltonian is diagonal, so the phase layer is one elementwise
product with ``exp(-i gamma E)`` (E, the 2^n energies, computed once by matrix products,
see :func:`backends.exact.energy_table`); the mixer ``exp(-i beta X)`` acts on each qubit
of the state viewed as a (2^(n-q-1), 2, 2^q) array, in place, with two preallocated
half-size buffers. The angles are optimized by scipy (Nelder-Mead by default) on
``<E>``, layer by layer (the INTERP initialisation of Zhou et al., PRX 10, 021067, 2020),
with seeded random restarts; the final state is sampled and the lowest-energy sample returned.

Qubit q is variable q of the QuboIR and basis index bit q (little-endian, as in qiskit),
and |1> means y_q = 1, so the same angles give the same state as qiskit's ``QAOAAnsatz``
for ``QuadraticProgram.to_ising()``.
"""

from __future__ import annotations

import threading
import time
import weakref
from functools import cache

import numpy as np

from qbdsl.errors import BackendError, OptionError

from .base import BackendOutput, Capabilities, Option, validate_options
from .budget import Budget
from .exact import dense_coefficients, energy_table

BYTES_PER_AMPLITUDE = 64  # E (8) + scaled E (8) + state (16) + buffer (16) + |psi|^2 temporaries (16)
# scipy.optimize.minimize methods that need no user-supplied gradient or Hessian
OPTIMIZERS = ("Nelder-Mead", "Powell", "COBYLA", "COBYQA", "L-BFGS-B", "BFGS", "CG", "TNC", "SLSQP", "trust-constr")
OPTIONS = {
    "reps": Option(int, 1, 50),
    "optimizer": Option(str, choices=OPTIMIZERS),
    "maxiter": Option(int, 1),
    "restarts": Option(int, 1),
    "shots": Option(int, 1, 10**8),
    "normalize": Option(bool),
    "max_memory": Option(int, 1),
}

# Seconds per amplitude of each step, measured at 20-24 qubits on the 2-core development VM
# (tests/bench/test_bench_time_limits.py): the energy table, np.unique over it, one QAOA
# layer (phase + mixer), and drawing the shots. They decide, before any work, whether the
# first sample can fit in the time limit; once the table is built they are rescaled by how
# fast it actually was, and every evaluation is timed.
TABLE_SECONDS = 70e-9
UNIQUE_SECONDS = 180e-9
LAYER_SECONDS = 100e-9
SAMPLE_SECONDS = 25e-9  # per amplitude: |psi|^2 and its cumulative sum
SHOT_SECONDS_PER_QUBIT = 50e-9  # per shot and qubit: a binary search in the cumulative sum (75-710 ns at 10-22 qubits)
MULTINOMIAL_SECONDS = 80e-9  # per amplitude: all shots at once as multinomial counts (50-85 ns), any shot count
MAX_SAMPLES = 1 << 16  # distinct sampled states returned (the lowest-energy ones)


def available_memory() -> int:
    """Bytes the kernel reports as available (MemAvailable), or 8 GiB if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 8 << 30


def max_qubits(memory: int | None = None) -> int:
    """Largest qubit count whose statevector work fits in ``memory`` bytes (80 % of it)."""
    memory = available_memory() if memory is None else memory
    return int(np.floor(np.log2(0.8 * memory / BYTES_PER_AMPLITUDE)))


@cache
def _flip_counts(k: int) -> np.ndarray:
    """popcount(a xor b) for a, b < 2^k: how many qubits an X-mixer entry flips."""
    a = np.arange(1 << k)
    return np.array([bin(v).count("1") for v in range(1 << k)])[a[:, None] ^ a[None, :]]


class Statevector:
    """QAOA state evolution for a diagonal cost ``E`` over n qubits.

    The mixer acts on groups of ``GROUP`` qubits at once: one BLAS product of the
    2^k x 2^k tensor power of ``exp(-i beta X)`` with the state viewed as
    (2^(n-k), 2^k), instead of one numpy pass per qubit (2-4x faster).
    """

    GROUP = 4

    def __init__(self, E: np.ndarray, levels: bool = True, lazy: bool = False):
        self.E = E
        self.n = int(np.log2(len(E)))
        self.psi = np.empty(len(E), dtype=np.complex128)
        self._buf = np.empty(len(E), dtype=np.complex128)
        # QUBO energies usually take few distinct values: then a phase layer is a gather
        # from a small table instead of a complex exp over the whole state. With ``lazy``
        # the table is built by the first phase layer that needs it, not here.
        self._levels = self._inverse = None
        self._levels_pending = bool(levels)
        if levels and not lazy:
            self.prepare_levels()

    def prepare_levels(self) -> None:
        """Build the level table now (once): integer-valued energies over a short range
        take their levels from ``E - min`` in a few linear passes (no sort; unused levels
        cost one complex exp each per layer, so the range is kept under 2^n / 16);
        otherwise ``np.unique`` (a sort, ~180 ns per amplitude), unless a sample shows too
        many distinct values."""
        if not self._levels_pending:
            return
        self._levels_pending = False
        E = self.E
        limit = max(1 << 16, len(E) // 4)
        lo, hi = float(E.min()), float(E.max())
        if hi - lo < max(1 << 16, len(E) // 16) and lo == np.floor(lo):
            d = E - lo
            inverse = d.astype(np.uint16 if hi - lo < 1 << 16 else np.uint32)
            if np.array_equal(inverse, d):  # every energy is lo + an integer
                self._levels = lo + np.arange(int(hi - lo) + 1, dtype=np.float64)
                self._inverse = inverse
                return
        if self.few_levels(E):
            levels, inverse = np.unique(E, return_inverse=True)
            if len(levels) <= limit:
                self._levels = levels
                self._inverse = inverse.astype(np.uint16 if len(levels) <= 1 << 16 else np.uint32)

    @staticmethod
    def few_levels(E: np.ndarray) -> bool:
        """Whether sorting all of ``E`` may find few distinct values: false when 2^16
        evenly spaced entries are already more than half distinct (real-valued
        coefficients), which spares a sort that costs two QAOA layers at 24 qubits."""
        if len(E) <= 1 << 18:
            return True
        return len(np.unique(E[:: len(E) >> 16])) <= 1 << 15

    def _phase(self, gamma: float, out: np.ndarray, scale: float = 1.0) -> np.ndarray:
        """``out = scale * exp(-i gamma E)``."""
        if self._levels_pending:
            self.prepare_levels()
        if self._levels is not None:
            np.take(scale * np.exp(-1j * gamma * self._levels), self._inverse, out=out)
            return out
        tmp = np.multiply(self.E, gamma)
        re, im = out.view(np.float64)[0::2], out.view(np.float64)[1::2]
        np.cos(tmp, out=re)
        np.sin(tmp, out=im)
        np.multiply(im, -scale, out=im)
        if scale != 1.0:
            re *= scale
        return out

    def evolve(self, gammas, betas) -> np.ndarray:
        """The QAOA state for these angles, from the uniform superposition.

        Parameters
        ----------
        gammas, betas : array_like, shape (p,)
            Phase and mixer angles (radians), one per layer; p = 0 gives the uniform state.

        Returns
        -------
        ndarray of complex128, shape (2^n,)
            The state, indexed little-endian (bit q is qubit q). It is the object's own buffer,
            overwritten by the next evaluation: copy it to keep it.
        """
        for layer, (g, b) in enumerate(zip(gammas, betas)):
            if layer == 0:  # the uniform start state times the phase, in one pass
                self._phase(g, self.psi, 1.0 / np.sqrt(len(self.psi)))
            else:
                self.psi *= self._phase(g, self._buf)
            self._mix(b)
        if len(gammas) == 0:
            self.psi.fill(1.0 / np.sqrt(len(self.psi)))
        return self.psi

    def _mix(self, beta: float) -> None:
        # Each step applies the mixer to the lowest k qubits and, in the same GEMM, rotates
        # the qubit order by k (the result is written transposed); after groups summing to
        # n qubits the order is back where it started.
        c, s = np.cos(beta), -1j * np.sin(beta)
        mats: dict[int, np.ndarray] = {}
        q = 0
        while q < self.n:
            k = min(self.GROUP, self.n - q)
            if k not in mats:  # kron^k of [[c, s], [s, c]] is c^(k - flips) s^flips
                flips = _flip_counts(k)
                powers = np.arange(k + 1)
                mats[k] = (c**powers)[k - flips] * (s**powers)[flips]
            mk = mats[k]
            src = self.psi.reshape(-1, 1 << k)  # [rest, low k qubits]
            np.matmul(mk, src.T, out=self._buf.reshape(1 << k, -1))
            self.psi, self._buf = self._buf, self.psi
            q += k

    def expectation(self, gammas, betas, E: np.ndarray | None = None) -> float:
        """<E> of the QAOA state for these angles (one per layer in each, radians).

        ``E`` (shape (2^n,)) replaces the cost whose expectation is taken (the evolution still
        uses the object's own); default: that same cost.
        """
        psi = self.evolve(gammas, betas)
        p = psi.real**2 + psi.imag**2
        return float(p @ (self.E if E is None else E))


class QaoaKernel:
    """The QAOA evaluation of one QUBO, built once: ``k = qaoa_kernel(ir)`` then
    ``k.expectation(gammas, betas)`` as often as wanted.

    The energy table (raw energies, offset included) is built here; the statevector buffers
    and the level table (see :class:`Statevector`) on the first evaluation. Refuses, like
    the ``qaoa`` backend, a QUBO whose statevector does not fit in memory. Evaluations on one
    kernel are serialised (they share the state buffers).
    """

    def __init__(self, ir, max_memory: int | None = None):
        QaoaBackend().check(ir, max_memory)
        self.n = ir.n
        self._terms = ir.terms
        h, J = dense_coefficients(self._terms)
        self.energies = energy_table(h, J, self._terms.offset)
        self._sv: Statevector | None = None
        self._lock = threading.Lock()

    @property
    def statevector(self) -> Statevector:
        """The :class:`Statevector` of this QUBO's energies, built on first use."""
        if self._sv is None:
            self._sv = Statevector(self.energies, lazy=True)
        return self._sv

    def expectation(self, gammas, betas) -> float:
        """<E> of the QAOA state for these angles (one value per layer in each)."""
        with self._lock:
            return self.statevector.expectation(np.atleast_1d(gammas), np.atleast_1d(betas))

    def state(self, gammas, betas) -> np.ndarray:
        """A copy of the QAOA statevector for these angles."""
        with self._lock:
            return self.statevector.evolve(np.atleast_1d(gammas), np.atleast_1d(betas)).copy()

    def _matches(self, ir) -> bool:
        return ir.terms is self._terms


# The kernel of the QUBO evaluated last by qaoa_expectation, keyed by the QuboIR's identity
# (and its assembled terms, which QuboIR rebuilds when re-weighted); one entry, as a kernel
# holds 2^n * 40 bytes, and dropped with the QuboIR (weak reference).
_LAST: list = [None]  # [(weakref to the QuboIR, QaoaKernel)] or [None]
_LAST_LOCK = threading.Lock()


def qaoa_kernel(ir, cached: bool = True) -> QaoaKernel:
    """The :class:`QaoaKernel` of ``ir``: the one qaoa_expectation last built for this same
    QuboIR if ``cached`` (and its terms were not reassembled since), else a new one. Arrays
    of the QUBO modified in place are not noticed: build a new kernel (``cached=False``)."""
    if not cached:
        return QaoaKernel(ir)
    with _LAST_LOCK:
        entry = _LAST[0]
        if entry is not None and entry[0]() is ir and entry[1]._matches(ir):
            return entry[1]
        _LAST[0] = None  # free the old tables before allocating the new ones
        kernel = QaoaKernel(ir)
        try:
            ref = weakref.ref(ir, lambda _r: _drop(_r))
        except TypeError:  # not weak-referenceable: not cached
            return kernel
        _LAST[0] = (ref, kernel)
        return kernel


def _drop(ref) -> None:
    entry = _LAST[0]
    if entry is not None and entry[0] is ref:
        _LAST[0] = None


def qaoa_expectation(ir, gammas, betas) -> float:
    """<E> of the QAOA state for these angles, with the QUBO's raw energies (offset included).

    Repeated calls on the same QuboIR reuse its energy table (see :func:`qaoa_kernel`)."""
    return qaoa_kernel(ir).expectation(gammas, betas)


def qiskit_expectation(ir, gammas, betas) -> float:
    """The same expectation through qiskit (QAOAAnsatz, exact Statevector) for cross-checks."""
    from qiskit.circuit.library import qaoa_ansatz
    from qiskit.quantum_info import Statevector as QSV

    op, offset = ir.to_qp().to_ising()
    ansatz = qaoa_ansatz(op, reps=len(np.atleast_1d(gammas)))
    values = {}
    for p in ansatz.parameters:
        idx = p.index
        values[p] = float(np.atleast_1d(betas)[idx] if p.vector.name.startswith("β") else np.atleast_1d(gammas)[idx])
    state = QSV(ansatz.assign_parameters(values))
    return float(np.real(state.expectation_value(op))) + float(offset)


class _OutOfTime(Exception):
    pass


def sampling_seconds(n: int, shots: int) -> float:
    """Predicted seconds to draw ``shots`` from an n-qubit state: the cheaper of drawing them
    one by one and drawing their counts at once (see :func:`best_of_shots`)."""
    amps = 2.0**n
    return min(amps * SAMPLE_SECONDS + shots * n * SHOT_SECONDS_PER_QUBIT, amps * MULTINOMIAL_SECONDS)


def draw_shots(prob: np.ndarray, shots: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """The distinct basis states among ``shots`` draws from ``prob`` (ascending) and how
    many times each was drawn.

    Many shots are drawn as multinomial counts (one pass over the amplitudes, whatever the
    shot count), few one by one.
    """
    n = int(np.log2(len(prob)))
    if len(prob) * SAMPLE_SECONDS + shots * n * SHOT_SECONDS_PER_QUBIT <= len(prob) * MULTINOMIAL_SECONDS:
        states, counts = np.unique(rng.choice(len(prob), size=shots, p=prob), return_counts=True)
    else:
        counts = rng.multinomial(shots, prob)
        states = np.flatnonzero(counts)
        counts = counts[states]
    return states, counts.astype(np.int64)


def best_of_shots(prob: np.ndarray, E: np.ndarray, shots: int, rng) -> int:
    """The lowest-energy basis state among ``shots`` draws from ``prob`` (see :func:`draw_shots`)."""
    states, _ = draw_shots(prob, shots, rng)
    return int(states[np.argmin(E[states])])


class QaoaBackend:
    """Native statevector QAOA: ``reps`` (1), ``optimizer`` (a scipy method, "Nelder-Mead" by
    default: since scipy 1.16 COBYLA is a pure-Python port whose per-iteration overhead,
    ~0.7 ms, exceeds a 16-qubit statevector evaluation), ``maxiter`` (200 per layer), ``restarts`` (2),
    ``shots`` (1024), ``normalize`` (True: energies scaled to
    [0, 1] for the phase so angles are problem-independent), ``max_memory`` (bytes)."""

    name = "qaoa"
    capabilities = Capabilities(accepts=("qubo",), max_variables=None, exact=False, time_limit=True)
    options = OPTIONS

    def check(self, ir, max_memory: int | None = None) -> None:
        """Refuse a QUBO whose statevector work does not fit in memory.

        Parameters
        ----------
        ir : QuboIR
            The QUBO: n qubits, 2^n amplitudes of ``BYTES_PER_AMPLITUDE`` (64) bytes of work each.
        max_memory : int, optional
            Bytes the work may use (80 % of it is planned for); default: what the kernel reports
            as available.

        Raises
        ------
        OptionError
            When ``max_memory`` fits no statevector at all.
        BackendError
            When n exceeds the qubits that fit (the memory needed is named).
        """
        limit = max_qubits(max_memory)
        if max_memory is not None and limit < 1:
            raise OptionError(
                f"qaoa: option max_memory={max_memory} bytes fits no statevector "
                f"({BYTES_PER_AMPLITUDE * 2**ir.n / 0.8:.3g} bytes needed for {ir.n} qubits)"
            )
        if ir.n > limit:
            log2_gib = ir.n + np.log2(BYTES_PER_AMPLITUDE) - 30
            need = f"{2**log2_gib:.3g} GiB" if log2_gib < 40 else f"2^{log2_gib:.0f} GiB"
            raise BackendError(f"qaoa: {ir.n} qubits exceed the {limit} that fit in memory (needs about {need})")

    def solve(self, ir, *, time_limit=None, seed=None, **options) -> BackendOutput:
        """Optimize QAOA angles for ``ir`` on the native statevector, then sample the final state.

        Parameters
        ----------
        ir : QuboIR
            The QUBO, over n binaries.
        time_limit : float, optional
            Wall-clock seconds: every evaluation is timed and the search stops when the next one and the
            final sampling would not fit; ``None``: ``maxiter`` evaluations per layer and restart.
        seed : int, optional
            Seeds the restarts and the shots.
        **options
            The options in the class docstring.

        Returns
        -------
        BackendOutput
            ``samples`` (k, n) of 0/1: the distinct sampled states (at most 2^16, the lowest-energy
            ones), lowest energy first, with their counts among the ``shots``; status ``feasible``
            or ``time_limit`` when the search was cut short.

        Raises
        ------
        OptionError
            An unknown option or invalid value, or a ``max_memory`` that fits no statevector.
        BackendError
            When the n qubits do not fit in memory.
        TimeLimitError
            When the energy table, one evaluation and the final sampling do not fit.
        """
        budget = Budget(time_limit, "qaoa")
        opts = validate_options("qaoa", options, OPTIONS)
        self.check(ir, opts.get("max_memory"))
        reps = opts.get("reps", 1)
        maxiter = opts.get("maxiter", 200)
        restarts = opts.get("restarts", 2)
        shots = opts.get("shots", 1024)
        method = opts.get("optimizer", "Nelder-Mead")
        if ir.n == 0:
            return BackendOutput(np.zeros(0), "feasible", float(ir.terms.offset), {})
        amps = 2.0**ir.n
        budget.require(
            amps * (TABLE_SECONDS + 2 * LAYER_SECONDS) + sampling_seconds(ir.n, shots),
            f"{ir.n} qubits: the energy table, one QAOA evaluation and the final sampling",
            "use fewer qubits or raise time_limit",
        )
        from scipy.optimize import minimize

        h, J = dense_coefficients(ir.terms)
        t = time.perf_counter()
        E = energy_table(h, J, ir.terms.offset)
        speed = max(1.0, (time.perf_counter() - t) / (amps * TABLE_SECONDS))  # > 1 on a slower machine
        lo, hi = float(E.min()), float(E.max())
        scaled = (E - lo) / (hi - lo) if opts.get("normalize", True) and hi > lo else E
        layer = speed * amps * LAYER_SECONDS  # one layer's evolution, until measured
        final = speed * sampling_seconds(ir.n, shots)
        sort_ok = budget.fits(speed * amps * UNIQUE_SECONDS + 3 * layer + final) or not budget.limited
        sv = Statevector(scaled, levels=sort_ok)
        rng = np.random.default_rng(seed)
        best = {"f": np.inf, "x": None}
        evals, observed = [0], []

        def f(x):
            p = len(x) // 2
            per_layer = max(observed) if observed else layer
            if not budget.fits(2 * p * per_layer + final):  # this evaluation, then the final state
                raise _OutOfTime
            t = time.perf_counter()
            val = sv.expectation(x[:p], x[p:])
            observed.append((time.perf_counter() - t) / p)
            evals[0] += 1
            if val < best["f"]:
                best["f"], best["x"] = val, x.copy()
            return val

        status = "feasible"
        angles = None
        try:
            for p in range(1, reps + 1):
                if angles is None:
                    starts = [np.array([0.5, 0.4])] + [
                        rng.uniform([0, 0], [np.pi, np.pi / 2]) for _ in range(restarts - 1)
                    ]
                else:  # INTERP: stretch the p-1 layer schedule onto p layers
                    g, b = angles[: p - 1], angles[p - 1 :]
                    grid = np.linspace(0, 1, p)
                    old = np.linspace(0, 1, p - 1) if p > 2 else np.array([0.0])
                    starts = [np.concatenate([np.interp(grid, old, g), np.interp(grid, old, b)])]
                    starts += [starts[0] + rng.normal(0, 0.1, 2 * p) for _ in range(restarts - 1)]
                layer_best = (np.inf, None)
                for x0 in starts:
                    res = minimize(f, x0, method=method, options={"maxiter": maxiter})
                    if res.fun < layer_best[0]:
                        layer_best = (res.fun, res.x)
                angles = layer_best[1]
        except _OutOfTime:
            status = "time_limit"
            angles = best["x"]
        info = {
            "evaluations": evals[0],
            "seconds_per_layer": max(observed) if observed else layer,
            "energy_levels_table": sv._levels is not None,
        }
        if angles is None:  # not one evaluation fitted: the p = 0 state, the uniform superposition
            angles = np.zeros(0)
            info["reason"] = "no QAOA evaluation fitted in the time limit: shots drawn from the uniform superposition"
        reps_done = len(angles) // 2
        psi = sv.evolve(angles[:reps_done], angles[reps_done:])
        prob = psi.real**2 + psi.imag**2
        prob /= prob.sum()
        states, counts = draw_shots(prob, shots, rng)
        order = np.argsort(E[states], kind="stable")  # lowest energy first
        states, counts = states[order], counts[order]
        info["distinct_states"] = len(states)
        if len(states) > MAX_SAMPLES:  # the highest-energy states beyond the cap are not returned
            info["shots_dropped"] = int(counts[MAX_SAMPLES:].sum())
            states, counts = states[:MAX_SAMPLES], counts[:MAX_SAMPLES]
        k = int(states[0])
        samples = ((states[:, None] >> np.arange(ir.n)) & 1).astype(np.int8)
        info.update(
            {
                "angles": {"gamma": angles[:reps_done].tolist(), "beta": angles[reps_done:].tolist()},
                "expectation": float(prob @ E),
                "reps": reps_done,
                "p_best_sample": float(prob[k]),
                "shots": shots,
                "seconds": budget.elapsed(),
            }
        )
        return BackendOutput(samples, status, E[states], info, num_occurrences=counts)


QISKIT_OPTIONS = {
    "reps": Option(int, 1, 50),
    "maxiter": Option(int, 1),
    "shots": Option(int, 1, 10**8),
    "optimizer": Option(str, choices=("Nelder-Mead", "COBYLA")),
}
QISKIT_SETUP_SECONDS = 1.0  # QuadraticProgram, Ising operator, ansatz and transpilation (~0.5 s seen)
QISKIT_LAYER_SECONDS = 400e-9  # one layer per amplitude on qiskit-aer, until measured (about 3x native)
# MinimumEigenOptimizer interprets every distinct bitstring of the final sampling in Python:
# 410-470 us each at 12-20 qubits (0.27 s for 609 bitstrings, 3.6 s for 7 302)
QISKIT_SECONDS_PER_BITSTRING = 5e-4
# every evaluation samples its shots on qiskit-aer and counts them: 2-7 us per shot at 8-14
# qubits (3.5 s per evaluation at 10^6 shots)
QISKIT_SECONDS_PER_SHOT = 5e-6


class QaoaQiskitBackend:
    """qiskit-optimization's ``MinimumEigenOptimizer(QAOA)`` with the qiskit-aer sampler:
    ``reps`` (1), ``maxiter`` (200), ``shots`` (1024), ``optimizer`` ("Nelder-Mead" or
    "COBYLA"; the same default as the native path, so the two differ only in the simulator).

    The optimizer is scipy's, handed to qiskit as a callable (``SamplingVQE`` accepts one),
    so the time limit is kept the same way as on the native path: every evaluation is
    timed, and the search stops when the next evaluation, qiskit's final sampling and its
    interpretation (``QISKIT_SECONDS_PER_BITSTRING`` per distinct bitstring) would not all
    fit; qiskit then samples the best angles found.
    """

    name = "qaoa-qiskit"
    capabilities = Capabilities(accepts=("qubo",), max_variables=24, exact=False, time_limit=True)
    options = QISKIT_OPTIONS

    def solve(self, ir, *, time_limit=None, seed=None, **options) -> BackendOutput:
        """Run qiskit-optimization's QAOA on ``ir`` with the qiskit-aer sampler.

        Parameters
        ----------
        ir : QuboIR
            The QUBO, over n binaries.
        time_limit : float, optional
            Wall-clock seconds: the optimizer stops when the next evaluation, the final sampling and its
            interpretation would not fit; ``None``: ``maxiter`` evaluations.
        seed : int, optional
            Seeds the simulator's sampling (the start angles are fixed).
        **options
            The options in the class docstring.

        Returns
        -------
        BackendOutput
            ``samples`` (k, n) of 0/1: the bitstrings qiskit sampled at the best angles, lowest
            energy first, with their counts; status ``feasible`` or ``time_limit``.

        Raises
        ------
        OptionError
            An unknown option or invalid value.
        TimeLimitError
            When building the circuit, one evaluation and the final sampling do not fit.
        """
        budget = Budget(time_limit, "qaoa-qiskit")
        opts = validate_options("qaoa-qiskit", options, QISKIT_OPTIONS)
        reps, maxiter = opts.get("reps", 1), opts.get("maxiter", 200)
        amps, shots = 2.0**ir.n, opts.get("shots", 1024)
        evaluation = reps * amps * QISKIT_LAYER_SECONDS + shots * QISKIT_SECONDS_PER_SHOT
        finish = 0.05 + QISKIT_SECONDS_PER_BITSTRING * min(shots, amps)
        budget.require(
            QISKIT_SETUP_SECONDS + 2 * evaluation + finish,
            f"{ir.n} qubits on qiskit-aer: building and transpiling the circuit, one evaluation, the "
            "final sampling and its interpretation",
            "use backend='qaoa' (native, faster), fewer shots, or raise time_limit",
        )
        from qiskit.transpiler.preset_passmanagers import generate_preset_pass_manager
        from qiskit_aer import AerSimulator
        from qiskit_aer.primitives import SamplerV2
        from qiskit_optimization.algorithms import MinimumEigenOptimizer
        from qiskit_optimization.minimum_eigensolvers import QAOA
        from qiskit_optimization.optimizers import OptimizerResult
        from scipy.optimize import minimize

        observed: list[float] = []
        stopped = [False]

        def optimizer(fun, x0, jac=None, bounds=None):
            best = {"fun": np.inf, "x": np.asarray(x0, float)}

            def timed(x):
                per_eval = max(observed) if observed else evaluation
                if not budget.fits(2 * per_eval + finish):  # this evaluation, then qiskit's final sampling
                    raise _OutOfTime
                t = time.perf_counter()
                value = float(fun(x))
                observed.append(time.perf_counter() - t)
                if value < best["fun"]:
                    best["fun"], best["x"] = value, np.array(x, float)
                return value

            try:
                minimize(timed, x0, method=opts.get("optimizer", "Nelder-Mead"), options={"maxiter": maxiter})
            except _OutOfTime:
                stopped[0] = True
            out = OptimizerResult()
            out.x, out.fun, out.nfev = best["x"], best["fun"], len(observed)
            return out

        qp = ir.to_qp()
        sampler = SamplerV2(default_shots=shots, seed=seed)
        qaoa = QAOA(
            sampler=sampler,
            optimizer=optimizer,
            reps=reps,
            initial_point=np.array([0.4, 0.5] * reps),
            pass_manager=generate_preset_pass_manager(optimization_level=1, backend=AerSimulator()),
        )
        res = MinimumEigenOptimizer(qaoa).solve(qp)
        info = {
            "qiskit_status": res.status.name,
            "evaluations": len(observed),
            "seconds_per_evaluation": max(observed) if observed else None,
            "seconds": budget.elapsed(),
        }
        status = "time_limit" if stopped[0] else "feasible"
        # every distinct bitstring of qiskit's final sampling, with its count (probability x shots)
        drawn = list(res.samples or [])
        if not drawn:
            x = np.asarray(res.x, dtype=float)
            return BackendOutput(x, status, float(ir.energy(x)), info)
        X = np.array([np.asarray(d.x, dtype=float) for d in drawn]).reshape(len(drawn), ir.n)
        counts = np.maximum(1, np.rint([d.probability * shots for d in drawn])).astype(np.int64)
        info["distinct_states"] = len(drawn)
        return BackendOutput.from_reads(X.astype(np.int8), ir.energy(X), status, info, counts)
