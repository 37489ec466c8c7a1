"""Backend profiles: what each backend accepts, and models of its time and solution quality
as functions of the instance :class:`~qbdsl.qip.features.Features`.

Time models are ``a + b * work`` where ``work`` is a backend-specific size measure
(state-vector amplitudes, spin updates, matrix nonzeros...). The shipped ``a`` and ``b``
are what ``qbdsl calibrate`` fitted on the 2-core development machine (its ladder of random
QUBOs and knapsacks, disjoint from the evaluation suite); run it on your machine to refit
them: it saves a JSON file that ``qb.solve`` reads.

Quality is the expected fraction of the optimum's quality (1.0 = optimal). Exact solvers
are 1.0 when they fit; the heuristics' models follow the measured trend in
``tests/bench/test_bench_backends.py``: quality falls with the QUBO size and with the
steepness of the provable penalties (``penalty_scale``).

Quantum devices: the ``dwave`` and ``ibm`` backends have no constant profile; QIP judges each
of their devices (D-Wave Advantage / Advantage2 and their mocks, IBM Heron devices and their
fake snapshots) from the instance's actual embedding or transpiled circuit and the device's
published timing and calibration data (:mod:`qbdsl.qip.devices`). A profiles file may still
add a ``remote`` profile of its own: it is shown for planning only unless a backend of its
name is registered.
"""

from __future__ import annotations

import json
import math
import os
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import FileFormatError, OptionError
from .features import Features

DEFAULT_PATH = Path(os.environ.get("QBDSL_PROFILES", Path.home() / ".config" / "qbdsl" / "profiles.json"))
MAX_QAOA_QUBITS = 26


# Backends that size their work to a time limit, and how many units their default work has
# (reads for anneal and tabu; restarts x ~100 evaluations for QAOA)
ANYTIME_UNITS = {"anneal": 100, "tabu": 10, "qaoa": 200, "qaoa-qiskit": 200}
# the default work the time models predict, as options: given a time limit and no such option,
# anneal and tabu would fill the whole limit with more reads
DEFAULT_WORK = {"anneal": {"num_reads": 100}, "tabu": {"num_reads": 10}}
# the smallest unit of work where it is not the default work over ANYTIME_UNITS: tabu's one call
# with one read of the 1 ms the backend sizes a read down to (its dense copies are fixed costs)
MIN_WORK = {"tabu": {"num_reads": 1, "timeout": 1}}


def _work(name: str, f: Features, options: dict) -> float:
    n = f.qubo_binaries
    if name == "exact":
        return 2.0**n
    if name == "anneal":
        reads = options.get("num_reads", 100)
        if options.get("penalty_search"):  # num_reads per round (25 by default), 8 rounds (backends.anneal)
            reads = options.get("penalty_rounds", 8) * options.get("num_reads", 25)
        return reads * options.get("num_sweeps", 1000) * (n + f.qubo_couplers)
    if name == "tabu":
        # seconds: the reads' timeouts plus the dense n x n copies every call and read make
        # (backends.anneal's measured rates), which dominate large QUBOs (about 8.5 s for one
        # read at 10 000 binaries)
        from qbdsl.backends.anneal import TABU_CALL_SECONDS_PER_ENTRY, TABU_READ_SECONDS_PER_ENTRY

        dense = float(n) * n
        reads = options.get("num_reads", 10)
        per_read = options.get("timeout", 100) / 1000.0 + TABU_READ_SECONDS_PER_ENTRY * dense
        return reads * per_read + TABU_CALL_SECONDS_PER_ENTRY * dense
    if name in ("qaoa", "qaoa-qiskit"):
        return options.get("reps", 1) * options.get("restarts", 2) * 100 * 2.0 ** min(n, 60)
    if name == "ortools":
        integer = f.n_binary + f.n_integer > 0
        work = f.milp_nonzeros * (1 + 30 * integer) + f.milp_variables
        # a MILP solver's search on linearized products grows with the products per variable:
        # 2^(min(degree, 20) / 2.5) is within 4x of HiGHS on dense random QUBOs of 20, 26, 30
        # and 60 binaries (average degree 9.5-29.5: 4x, 37x, 65x and 180x the linear model; 0.26,
        # 2.8, 6.5 and 82 s measured) and leaves sparse ones (degree < 5) near the linear model
        degree = 2.0 * linearized_products(f) / max(1, f.n_variables)
        return work * 2.0 ** (min(degree, 20.0) / 2.5)
    return float(n)


def startup_seconds(name: str, f: Features) -> float:
    """Seconds a backend spends before it can return any answer, by its own pre-flight rule.

    The same constants the backends refuse a time limit by (``budget.require`` in
    :mod:`backends.anneal` and :mod:`backends.ortools_backend`): OR-Tools linearizes each
    product (``LINEARIZE_SECONDS_PER_PRODUCT``) and hands the MILP to HiGHS
    (``TRANSFER_FIXED + TRANSFER_SECONDS["HIGHS"] * (nonzeros + columns)``); tabu makes its
    dense n x n copies and one read; annealing sets up one sampler per term. A deadline
    shorter than this is refused by the backend at once (``TimeLimitError``), so QIP does not
    count on it. The cost of compiling a model to a QUBO is not included: the features do not
    say whether the input is a model or an already compiled QUBO.

    Parameters
    ----------
    name : str
        A backend (a variant ``"anneal+tuned"`` counts as its base backend).
    f : Features
        The instance's features (``qubo_binaries``, ``qubo_couplers``, ``milp_nonzeros``,
        ``milp_variables``, ``n_variables`` are read).

    Returns
    -------
    float
        Seconds, >= 0 (0 for a backend without such a rule).
    """
    base = name.split("+", 1)[0]
    n = float(f.qubo_binaries)
    if base == "ortools":
        from qbdsl.backends.ortools_backend import TRANSFER_FIXED, TRANSFER_SECONDS
        from qbdsl.routing import LINEARIZE_SECONDS_PER_PRODUCT

        products = linearized_products(f)
        return (
            LINEARIZE_SECONDS_PER_PRODUCT * products
            + TRANSFER_FIXED
            + TRANSFER_SECONDS["HIGHS"] * (f.milp_nonzeros + f.milp_variables)
        )
    if not f.qubo_ok:
        return 0.0
    if base == "tabu":
        from qbdsl.backends.anneal import TABU_CALL_SECONDS_PER_ENTRY, TABU_CLOCK_SECONDS, TABU_READ_SECONDS_PER_ENTRY

        return (TABU_CALL_SECONDS_PER_ENTRY + TABU_READ_SECONDS_PER_ENTRY) * n * n + 2e-3 + TABU_CLOCK_SECONDS + 1e-3
    if base == "anneal":
        from qbdsl.backends.anneal import SETUP_SECONDS_PER_TERM

        return SETUP_SECONDS_PER_TERM * (n + f.qubo_couplers)
    return 0.0


def linearized_products(f: Features) -> int:
    """Columns a MILP compile adds for products (and integer bits) beyond the user's variables."""
    return max(0, f.milp_variables - f.n_variables)


@dataclass
class Profile:
    """Accepts, limits, and the time/quality model of one backend."""

    name: str
    accepts: tuple
    a: float  # seconds of fixed cost (imports, setup, queue)
    b: float  # seconds per unit of work
    exact: bool = False
    max_variables: int | None = None
    remote: bool = False
    quality_slope: float = 0.0  # heuristics: loss per log2(size) per log10(1 + penalty_scale)
    size_slope: float = 0.0  # heuristics: loss per variable
    description: str = ""
    measured: dict = field(default_factory=dict)

    def fits(self, f: Features) -> tuple[bool, str]:
        """Whether the backend can take an instance of these features, and why not.

        Returns
        -------
        fits : bool
        reason : str
            Empty when it fits.
        """
        if "qubo" in self.accepts and "milp" not in self.accepts:
            if not f.qubo_ok:
                return False, f"cannot take it as a QUBO ({f.qubo_reason})"
            if self.max_variables is not None and f.qubo_binaries > self.max_variables:
                return False, f"{f.qubo_binaries} binaries exceed the {self.max_variables} it takes"
        return True, ""

    def predict_time(self, f: Features, options: dict | None = None) -> float:
        """Predicted wall time in seconds: ``a + b * work`` for ``options`` (default work when omitted)."""
        return self.a + self.b * _work(self.name, f, options or {})

    def predict_min_time(self, f: Features) -> float | None:
        """For an anytime backend (one that sizes its work to a time limit: reads, evaluations),
        the time of its smallest unit of work (one read, one QAOA evaluation); None otherwise."""
        if self.name in MIN_WORK:  # a smallest unit that is not a share of the default work
            return self.a + self.b * _work(self.name, f, MIN_WORK[self.name])
        units = ANYTIME_UNITS.get(self.name)
        return None if units is None else self.a + self.b * _work(self.name, f, {}) / units

    def predict_quality(self, f: Features, time_budget: float | None = None) -> float:
        """Predicted fraction of the optimum's quality (1.0 = optimal, in [0, 1]).

        Parameters
        ----------
        f : Features
            The instance's features: exact backends use the predicted time (and, for
            ``ortools``, the linearized products); heuristics lose quality with the QUBO's
            binaries and its ``penalty_scale``.
        time_budget : float, optional
            Seconds available: an exact backend that would not finish in it is predicted lower
            (0.0 when it would have no incumbent).

        Returns
        -------
        float
        """
        if self.exact:
            if time_budget is not None and self.predict_time(f) > time_budget:
                # a MILP solver stopped at its limit still has an incumbent, if it got started;
                # on a linearized QUBO that incumbent is weak (HiGHS: -41 at 2 s on a dense
                # 60-binary QUBO whose optimum SCIP reaches at -85)
                if self.name != "ortools" or time_budget <= 2 * self.a:
                    return 0.0
                return 0.5 if linearized_products(f) else 0.9
            return 1.0
        n = max(f.qubo_binaries, 1)
        loss = self.quality_slope * math.log2(1 + n) * math.log10(1 + f.penalty_scale) + self.size_slope * n
        return max(0.0, min(1.0, 1.0 - loss))

    def to_json(self) -> dict:
        """The profile as a JSON-ready dict (``accepts`` as a list)."""
        d = asdict(self)
        d["accepts"] = list(self.accepts)
        return d


def default_profiles() -> dict[str, Profile]:
    """Shipped profiles (measured on the 2-core development machine; see the module docstring)."""
    return {
        p.name: p
        for p in [
            Profile(
                "exact",
                ("qubo",),
                0.0007,
                1.0e-8,
                exact=True,
                max_variables=26,
                description="vectorized enumeration, 2^n energies (7-8 ns per state measured at 22-26 binaries)",
            ),
            Profile(
                "anneal",
                ("qubo",),
                0.0009,
                3.1e-9,
                quality_slope=0.03,
                description="simulated annealing, 100 reads x 1000 sweeps",
            ),
            Profile("tabu", ("qubo",), 0.01, 1.0, quality_slope=0.025, description="tabu search, 10 reads x 100 ms"),
            Profile(
                "qaoa",
                ("qubo",),
                0.0012,
                2.65e-8,
                max_variables=MAX_QAOA_QUBITS,
                quality_slope=0.04,
                size_slope=0.004,
                description="native statevector QAOA, reps 1, 2 restarts",
            ),
            Profile(
                "qaoa-qiskit",
                ("qubo",),
                1.0,
                2.0e-7,
                max_variables=24,
                quality_slope=0.05,
                size_slope=0.006,
                description="qiskit-optimization QAOA on qiskit-aer",
            ),
            Profile("ortools", ("milp", "qubo"), 0.002, 1.18e-6, exact=True, description="OR-Tools SCIP/HiGHS"),
        ]
    }


def machine() -> dict:
    """Platform, Python version, CPU count and processor of this machine (stored with calibrated profiles)."""
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def save_profiles(profiles: dict[str, Profile], path=None) -> Path:
    """Write ``profiles`` as a JSON file (default: where :func:`load_profiles` looks), atomically.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ModelError
        The path is a folder, or its folder cannot be written.
    OSError
        Writing failed.
    """
    from ..io.atomic import atomic_write

    path = Path(path or DEFAULT_PATH)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "format": "qbdsl-profiles",
        "version": 1,
        "machine": machine(),
        "profiles": {k: p.to_json() for k, p in profiles.items()},
    }
    atomic_write(path, json.dumps(doc, indent=2))
    return path


def load_profiles(path=None) -> tuple[dict[str, Profile], str]:
    """Profiles from ``path`` (default: the calibrated file, if any) merged over the defaults.

    Returns (profiles, note): the note says where they came from. Only the default file may
    be missing (a user who never calibrated) or unusable: the shipped defaults are used and
    the note says why.

    Raises
    ------
    FileFormatError
        ``path`` was given and is missing, unreadable, not JSON (with the line) or not a
        qbdsl profiles file.
    """
    if path is None:
        if not DEFAULT_PATH.exists():
            return default_profiles(), "shipped default profiles (no calibration file)"
        try:
            return _read_profiles(DEFAULT_PATH), f"calibrated profiles from {DEFAULT_PATH}"
        except FileFormatError as exc:
            return default_profiles(), f"ignored {exc}; using shipped defaults"
    return _read_profiles(path), f"calibrated profiles from {path}"


def _read_profiles(path) -> dict[str, Profile]:
    """The defaults with the profiles of the file ``path`` over them; FileFormatError naming ``path``."""
    from ..io.atomic import read_text

    text = read_text(path)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"not JSON: {exc.msg} (column {exc.colno})", str(path), exc.lineno) from None
    if not isinstance(doc, dict) or doc.get("format") != "qbdsl-profiles":
        raise FileFormatError('not a qbdsl profiles file (no "format": "qbdsl-profiles")', str(path))
    entries = doc.get("profiles")
    if not isinstance(entries, dict):
        raise FileFormatError("'profiles' must be an object of backend name -> profile", str(path))
    profiles = default_profiles()
    profiles.update({name: _profile(name, d, path) for name, d in entries.items()})
    return profiles


def _profile(name: str, d, path) -> Profile:
    """One profile of a profiles file; FileFormatError naming ``path`` and the profile."""
    try:
        d = dict(d)
        d["accepts"] = tuple(d["accepts"])
        prof = Profile(**d)
    except (ValueError, KeyError, TypeError) as exc:
        raise FileFormatError(f"profile {name!r}: {type(exc).__name__}: {exc}", str(path)) from None
    for key in ("a", "b"):
        v = getattr(prof, key)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < math.inf:
            raise FileFormatError(f"profile {name!r}: {key} must be a finite number >= 0, got {v!r}", str(path))
    return prof


def validate_deadline(deadline) -> None:
    """Refuse a deadline that is not None or a positive finite number of seconds (OptionError)."""
    if deadline is not None and (
        isinstance(deadline, bool) or not isinstance(deadline, (int, float)) or not 0 < deadline < math.inf
    ):
        raise OptionError(f"deadline must be a positive number of seconds, got {deadline!r}")
