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

import time
from functools import lru_cache

import numpy as np

from qbdsl.errors import BackendError

from .base import BackendOutput, Capabilities, check_options
from .exact import dense_coefficients, energy_table

BYTES_PER_AMPLITUDE = 64   # E (8) + scaled E (8) + state (16) + buffer (16) + |psi|^2 temporaries (16)
OPTIONS = ("reps", "optimizer", "maxiter", "restarts", "shots", "normalize", "max_memory")


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


@lru_cache(maxsize=None)
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

    def __init__(self, E: np.ndarray):
        self.E = E
        self.n = int(np.log2(len(E)))
        self.psi = np.empty(len(E), dtype=np.complex128)
        self._buf = np.empty(len(E), dtype=np.complex128)
        # QUBO energies usually take few distinct values: then a phase layer is a gather
        # from a small table instead of a complex exp over the whole state
        self._levels = self._inverse = None
        levels, inverse = np.unique(E, return_inverse=True)
        if len(levels) <= max(1 << 16, len(E) // 4):
            self._levels = levels
            self._inverse = inverse.astype(np.uint16 if len(levels) <= 1 << 16 else np.uint32)

    def _phase(self, gamma: float, out: np.ndarray, scale: float = 1.0) -> np.ndarray:
        """``out = scale * exp(-i gamma E)``."""
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
        for layer, (g, b) in enumerate(zip(gammas, betas)):
            if layer == 0:   # the uniform start state times the phase, in one pass
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
            if k not in mats:   # kron^k of [[c, s], [s, c]] is c^(k - flips) s^flips
                flips = _flip_counts(k)
                powers = np.arange(k + 1)
                mats[k] = (c ** powers)[k - flips] * (s ** powers)[flips]
            mk = mats[k]
            src = self.psi.reshape(-1, 1 << k)               # [rest, low k qubits]
            np.matmul(mk, src.T, out=self._buf.reshape(1 << k, -1))
            self.psi, self._buf = self._buf, self.psi
            q += k

    def expectation(self, gammas, betas, E: np.ndarray | None = None) -> float:
        psi = self.evolve(gammas, betas)
        p = psi.real ** 2 + psi.imag ** 2
        return float(p @ (self.E if E is None else E))


def qaoa_expectation(ir, gammas, betas) -> float:
    """<E> of the QAOA state for these angles, with the QUBO's raw energies (offset included)."""
    h, J = dense_coefficients(ir.terms)
    E = energy_table(h, J, ir.terms.offset)
    return Statevector(E).expectation(np.atleast_1d(gammas), np.atleast_1d(betas))


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


class QaoaBackend:
    """Native statevector QAOA: ``reps`` (1), ``optimizer`` (a scipy method, "Nelder-Mead" by
    default: since scipy 1.16 COBYLA is a pure-Python port whose per-iteration overhead,
    ~0.7 ms, exceeds a 16-qubit statevector evaluation), ``maxiter`` (200 per layer), ``restarts`` (2), ``shots`` (1024), ``normalize`` (True: energies scaled to
    [0, 1] for the phase so angles are problem-independent), ``max_memory`` (bytes)."""

    name = "qaoa"
    capabilities = Capabilities(accepts=("qubo",), max_variables=None, exact=False, time_limit=True)

    def check(self, ir, max_memory: int | None = None) -> None:
        limit = max_qubits(max_memory)
        if ir.n > limit:
            log2_gib = ir.n + np.log2(BYTES_PER_AMPLITUDE) - 30
            need = f"{2 ** log2_gib:.3g} GiB" if log2_gib < 40 else f"2^{log2_gib:.0f} GiB"
            raise BackendError(f"qaoa: {ir.n} qubits exceed the {limit} that fit in memory (needs about {need})")

    def solve(self, ir, *, time_limit=None, seed=None, **options) -> BackendOutput:
        from scipy.optimize import minimize

        check_options("qaoa", options, OPTIONS)
        self.check(ir, options.get("max_memory"))
        reps = int(options.get("reps", 1))
        maxiter = int(options.get("maxiter", 200))
        restarts = int(options.get("restarts", 2))
        shots = int(options.get("shots", 1024))
        method = options.get("optimizer", "Nelder-Mead")
        if reps < 1 or restarts < 1 or shots < 1:
            raise BackendError("qaoa: reps, restarts and shots must be >= 1")
        t0 = time.perf_counter()
        if ir.n == 0:
            return BackendOutput(np.zeros(0), "feasible", float(ir.terms.offset), {})
        h, J = dense_coefficients(ir.terms)
        E = energy_table(h, J, ir.terms.offset)
        lo, hi = float(E.min()), float(E.max())
        scaled = (E - lo) / (hi - lo) if options.get("normalize", True) and hi > lo else E
        sv = Statevector(scaled)
        rng = np.random.default_rng(seed)
        best = {"f": np.inf, "x": None}
        evals = [0]

        def f(x):
            if time_limit is not None and time.perf_counter() - t0 > time_limit:
                raise _OutOfTime
            evals[0] += 1
            p = len(x) // 2
            val = sv.expectation(x[:p], x[p:])
            if val < best["f"]:
                best["f"], best["x"] = val, x.copy()
            return val

        status = "feasible"
        try:
            angles = None
            for p in range(1, reps + 1):
                starts = []
                if angles is None:
                    starts = [np.array([0.5, 0.4])] + [rng.uniform([0, 0], [np.pi, np.pi / 2]) for _ in range(restarts - 1)]
                else:  # INTERP: stretch the p-1 layer schedule onto p layers
                    g, b = angles[: p - 1], angles[p - 1:]
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
            if best["x"] is None:
                return BackendOutput(None, "time_limit", None, {"evaluations": evals[0]})
            angles = best["x"]
        if len(angles) != 2 * reps:  # stopped inside a shallower layer
            reps_done = len(angles) // 2
        else:
            reps_done = reps
        psi = sv.evolve(angles[:reps_done], angles[reps_done:])
        prob = psi.real ** 2 + psi.imag ** 2
        prob /= prob.sum()
        draws = rng.choice(len(prob), size=shots, p=prob)
        k = int(draws[np.argmin(E[draws])])
        sample = ((k >> np.arange(ir.n)) & 1).astype(float)
        info = {"angles": {"gamma": angles[:reps_done].tolist(), "beta": angles[reps_done:].tolist()},
                "expectation": float(prob @ E), "evaluations": evals[0], "reps": reps_done,
                "p_best_sample": float(prob[k]), "seconds": time.perf_counter() - t0}
        return BackendOutput(sample, status, float(E[k]), info)


class QaoaQiskitBackend:
    """qiskit-optimization's ``MinimumEigenOptimizer(QAOA)`` with the qiskit-aer sampler:
    ``reps`` (1), ``maxiter`` (200), ``shots`` (1024), ``optimizer`` ("Nelder-Mead" or
    "COBYLA"; the same default as the native path, so the two differ only in the simulator)."""

    name = "qaoa-qiskit"
    capabilities = Capabilities(accepts=("qubo",), max_variables=24, exact=False, time_limit=False)

    def solve(self, ir, *, time_limit=None, seed=None, **options) -> BackendOutput:
        from qiskit.transpiler.preset_passmanagers import generate_preset_pass_manager
        from qiskit_aer import AerSimulator
        from qiskit_aer.primitives import SamplerV2
        from qiskit_optimization.algorithms import MinimumEigenOptimizer
        from qiskit_optimization.minimum_eigensolvers import QAOA
        from qiskit_optimization.optimizers import COBYLA

        from qiskit_optimization.optimizers import NELDER_MEAD

        check_options("qaoa-qiskit", options, ("reps", "maxiter", "shots", "optimizer"))
        optimizers = {"COBYLA": COBYLA, "NELDER-MEAD": NELDER_MEAD}
        opt_name = str(options.get("optimizer", "Nelder-Mead")).upper()
        if opt_name not in optimizers:
            raise BackendError(f"qaoa-qiskit: optimizer must be one of {sorted(optimizers)}")
        t0 = time.perf_counter()
        qp = ir.to_qp()
        shots = int(options.get("shots", 1024))
        sampler = SamplerV2(default_shots=shots, seed=seed)
        qaoa = QAOA(sampler=sampler, optimizer=optimizers[opt_name](maxiter=int(options.get("maxiter", 200))),
                    reps=int(options.get("reps", 1)), initial_point=np.array([0.4, 0.5] * int(options.get("reps", 1))),
                    pass_manager=generate_preset_pass_manager(optimization_level=1, backend=AerSimulator()))
        evals = [0]
        qaoa.callback = lambda count, *rest: evals.__setitem__(0, count)
        res = MinimumEigenOptimizer(qaoa).solve(qp)
        x = np.asarray(res.x, dtype=float)
        return BackendOutput(x, "feasible", float(ir.energy(x)),
                             {"qiskit_status": res.status.name, "evaluations": evals[0],
                              "seconds": time.perf_counter() - t0})
