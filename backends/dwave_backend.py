"""D-Wave quantum annealers through Ocean (dwave-system, minorminer, dwave-graphs).

One code path for every D-Wave target: the QUBO becomes a ``dimod`` BQM, a minor
embedding onto the QPU's working graph is found here (busclique's clique embedding for
dense models, minorminer's heuristic for sparse ones) so its size can be reported, and
``FixedEmbeddingComposite`` over the structured sampler spreads each variable over a chain
of physical qubits, samples, and unembeds by majority vote. The chain strength is the
SDK's own rule (``uniform_torque_compensation``) applied to the model's SPIN form, because
the composite embeds in SPIN units (``smear_vartype=SPIN``). Energies are recomputed on the
LOGICAL QUBO (``QuboIR.energy``), so a broken chain costs exactly what its unembedded value
costs.

The structured sampler (option ``solver``):

- ``"mock-advantage"`` / ``"mock-advantage2"``: ``dwave.system.testing.MockDWaveSampler``
  over the real Advantage (Pegasus P16, 5640 working qubits) or Advantage2 (Zephyr Z12,
  t=4, 4800 qubits) topology; the physical (embedded) model is sampled by simulated
  annealing (``dwave.samplers.SimulatedAnnealingSampler``, 1000 sweeps) as the mock's
  substitute sampler, so answers are meaningful; ``info["sampler"]`` says so. Needs no
  token and no network.
- ``"advantage"`` / ``"advantage2"`` or a solver's name (``"Advantage_system4.1"``): a
  real QPU through Leap (``DWaveSampler``), and ``"hybrid"`` (or a ``hybrid_*`` name):
  ``LeapHybridSampler``. They need a Leap API token in the SDK's own configuration
  (``export DWAVE_API_TOKEN=...`` or ``dwave config create``).
- ``"auto"`` (default): with a token, the Advantage QPU, and Leap hybrid for a model that
  does not embed; without one, ``"mock-advantage"``.

QPU access time is predicted by D-Wave's published model (:func:`predict_qpu_access_time`).
Network calls are bounded (:data:`REQUEST_TIMEOUT` per request, one retry), so an expired
token or an unreachable endpoint fails within seconds as a :class:`BackendError`, which
``qb.solve(..., fallback=[...])`` records in ``result.attempts``.
"""

from __future__ import annotations

import copy
import time
import warnings
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from qbdsl.errors import BackendError, OptionError, TimeLimitError

from .base import BackendOutput, Capabilities, Option, validate_options
from .budget import Budget, require_import

INSTALL_HINT = "pip install qbdsl[dwave]"
TOKEN_HINT = "set a Leap API token: `export DWAVE_API_TOKEN=<token>` or run `dwave config create`"

# Topologies by name: (graph family, shape, what it is). Shapes are the production systems':
# Advantage is Pegasus P16 (5640 working qubits in the fabric), Advantage2 Zephyr Z12 with t=4.
TOPOLOGIES: dict[str, tuple[str, tuple[int, ...], str]] = {
    "advantage": ("pegasus", (16,), "Advantage (Pegasus P16)"),
    "advantage2": ("zephyr", (12, 4), "Advantage2 (Zephyr Z12, t=4)"),
}
MOCKS = {"mock-advantage": "advantage", "mock-advantage2": "advantage2"}
REAL = {"advantage": "pegasus", "advantage2": "zephyr"}

DEFAULT_READS = 100
DEFAULT_EMBEDDING_TIMEOUT = 60.0  # s: minorminer's own default is 1000 s
MOCK_SWEEPS = 1000  # sweeps of the mock's simulated-annealing substitute per read
# Mock cost model, measured on the 2-core development VM (Pegasus P16 and Zephyr Z12, dense
# models of 16-150 variables, 48-2074 physical qubits): the embedded model has about
# qubits + (chain links) + (logical couplers) terms (0.8-1.2x the real count); simulated
# annealing costs 0.75-1.8 ns per term per sweep (idle to loaded machine) plus ~1 ms per read,
# taken here as 1.5 ns and 1 ms: a prediction for QIP, not a promise. Under a time limit the
# backend times a probe of MOCK_PROBE_READS reads and sizes the rest from the measured rate
# (the former 3 ns cut reads about 2-4x more than needed). Composite and embedding: under 50 ms.
MOCK_SETUP_SECONDS = 0.05
MOCK_SECONDS_PER_READ = 1e-3
MOCK_SECONDS_PER_TERM_SWEEP = 1.5e-9
MOCK_PROBE_READS = 4
MOCK_MAX_CALLS = 4  # probe, then up to three calls sized by the last call's measured rate
MOCK_PROBE_SHARE = 0.3  # sample in one call when the predicted reads take under this share of the time left
CHAIN_FACTOR = 4  # physical terms per logical term assumed before the embedding is known
# Real QPU: seconds of network and queueing around one problem (an assumption, not a
# published figure: Leap's round trip is typically well under a second with an empty queue).
REMOTE_OVERHEAD_SECONDS = 1.0
REQUEST_TIMEOUT = 5.0  # s per HTTP request to SAPI
DENSE_FRACTION = 0.25  # couplers / (n (n-1) / 2) from which "auto" embeds as a clique
MARGIN = 0.05  # fraction of the time limit kept free at the end
CLIQUE_MAX = {"advantage": 180, "advantage2": 184}  # largest K_n busclique embeds on the nominal graphs
MINORMINER_SHARE = 0.5  # of the time left for the search: minorminer overruns its own timeout (see _embed)

OPTIONS = {
    "solver": Option(str),
    "num_reads": Option(int, 1, 10_000),
    "annealing_time": Option(float, 0.5, 2000.0),
    "chain_strength": Option(float, 0.0),
    "embedding": Option(str, choices=("auto", "clique", "minorminer")),
    "embedding_timeout": Option(float, 0.0),
    "hybrid_time_limit": Option(float, 0.0),
}


# measured: importing dwave.system (it loads dwave.optimization for the hybrid samplers),
# dwave.graphs and minorminer takes 1.9-2.4 s on the 2-core VM; counted when not imported yet
SDK_IMPORT_SECONDS = 2.5


def preload() -> None:
    """Import the D-Wave SDK now, so a later timed call does not spend its limit importing it.

    Raises
    ------
    BackendError
        When the SDK is not installed (``pip install qbdsl[dwave]``).
    """
    _require_sdk()


def _require_sdk() -> None:
    """Import the Ocean packages this backend needs, or say how to install them.

    Raises
    ------
    BackendError
        Naming the missing package and ``pip install qbdsl[dwave]``.
    """
    try:
        import dimod  # noqa: F401
        import dwave.graphs  # noqa: F401
        import dwave.system  # noqa: F401
        import minorminer  # noqa: F401
    except ImportError as exc:
        raise BackendError(f"dwave: the D-Wave SDK is not installed ({exc.name} missing): {INSTALL_HINT}") from None


def token_configured() -> bool:
    """Whether a Leap API token is configured, read from the SDK's own configuration without network.

    The D-Wave Cloud Client looks at ``DWAVE_API_TOKEN``, then the ``token`` of the profile in
    its configuration file (``dwave config create`` writes it; ``DWAVE_CONFIG_FILE`` /
    ``DWAVE_PROFILE`` choose another).

    Returns
    -------
    bool
        ``True`` when a non-empty token is configured.

    Raises
    ------
    BackendError
        When the SDK is missing, or its configuration file cannot be read (the SDK's reason).
    """
    _require_sdk()
    from dwave.cloud.config import load_config

    try:
        return bool(load_config().get("token"))
    except Exception as exc:  # ConfigFileError and friends: the user's file, name it
        raise BackendError(f"dwave: cannot read the D-Wave configuration: {exc}") from None


def _no_token(solver: str) -> BackendError:
    return BackendError(f"dwave: solver={solver!r} needs a Leap API token and none is configured; {TOKEN_HINT}")


# --- QPU access time -----------------------------------------------------------------------


@cache
def qpu_timing_data(topology: str = "advantage") -> dict:
    """The ``problem_timing_data`` solver property the SDK ships for offline estimates.

    dwave-cloud-client's mocks carry the figures of Advantage_system4.1 (August 2022); the SDK
    ships none for Advantage2, so both topologies use them (a real solver's own
    ``problem_timing_data`` is used instead when sampling with a token).

    Parameters
    ----------
    topology : str
        ``"advantage"``, ``"advantage2"`` or their ``mock-`` names.

    Returns
    -------
    dict
        The timing-model fields (microseconds), version ``1.0.x``.

    Raises
    ------
    BackendError
        An unknown topology name, or the SDK missing.
    """
    _topology(topology)
    _require_sdk()
    from dwave.cloud.testing.mocks import qpu_problem_timing_data

    return qpu_problem_timing_data("advantage")


def predict_qpu_access_time(
    num_qubits,
    num_reads: int = DEFAULT_READS,
    anneal_time_us: float | None = None,
    topology: str = "advantage",
    timing_data: dict | None = None,
):
    """Predicted QPU access time (seconds) of one problem, by D-Wave's published model.

    The model (D-Wave, "Operation and Timing: Breakdown of QPU Access Time",
    https://docs.dwavesys.com/docs/latest/c_qpu_timing.html and
    https://docs.dwavesys.com/docs/latest/timing_qa_cycle_time.html), as implemented by
    ``dwave.cloud.solver.StructuredSolver.estimate_qpu_access_time`` (timing model 1.0.x,
    https://docs.ocean.dwavesys.com/en/stable/docs_cloud/reference/generated/dwave.cloud.solver.StructuredSolver.estimate_qpu_access_time.html)
    for a forward anneal::

        T = T_p + R * (T_a + T_r(q) + T_d + T_rt)
        T_p = typical_programming_time + default_programming_thermalization
        T_r(q) = 10 ** interp(log10(q), Q, T)   (readout, piecewise linear in log-log)

    with R reads, T_a the anneal time, T_d ``qpu_delay_time_per_sample`` and T_rt the
    readout thermalization. It is the SDK's estimator, vectorized over ``num_qubits``; the
    tests check both agree.

    Parameters
    ----------
    num_qubits : int or array_like of int, shape (m,)
        Physical qubits of the embedded problem (>= 1).
    num_reads : int
        Reads (anneal-readout cycles), >= 1.
    anneal_time_us : float, optional
        Anneal time in microseconds (default: the timing data's ``default_annealing_time``).
    topology : str
        Whose timing data to use (see :func:`qpu_timing_data`) when ``timing_data`` is not given.
    timing_data : dict, optional
        A solver's ``problem_timing_data`` property.

    Returns
    -------
    float or ndarray of float, shape (m,)
        Seconds of QPU access time.

    Raises
    ------
    BackendError
        A timing model other than 1.0.x with ``pwl_log_log`` / ``pwl_linear`` readout, or an unknown topology.
    ValueError
        ``num_qubits`` or ``num_reads`` below 1, or a negative anneal time.
    """
    d = qpu_timing_data(topology) if timing_data is None else timing_data
    q = np.asarray(num_qubits, dtype=float)
    if np.any(q < 1) or num_reads < 1 or (anneal_time_us is not None and anneal_time_us < 0):
        raise ValueError(
            f"predict_qpu_access_time: num_qubits {num_qubits!r} and num_reads {num_reads!r} must be >= 1, "
            f"anneal_time_us {anneal_time_us!r} >= 0"
        )
    if not str(d.get("version", "")).startswith("1.0."):
        raise BackendError(f"dwave: timing model version {d.get('version')!r} is not supported (1.0.x is)")
    params = list(d["readout_time_model_parameters"])
    xs, ts = params[: len(params) // 2], params[len(params) // 2 :]
    if d["readout_time_model"] == "pwl_log_log":
        readout = 10.0 ** np.interp(np.log10(q), xs, ts)
    elif d["readout_time_model"] == "pwl_linear":
        readout = np.interp(q, xs, ts)
    else:
        raise BackendError(f"dwave: readout time model {d['readout_time_model']!r} is not supported")
    anneal = d["default_annealing_time"] if anneal_time_us is None else anneal_time_us
    programming = d["typical_programming_time"] + d["default_programming_thermalization"]
    per_read = anneal + readout + d["qpu_delay_time_per_sample"] + d["default_readout_thermalization"]
    seconds = (programming + num_reads * per_read) * 1e-6
    return float(seconds) if np.ndim(seconds) == 0 else seconds


# --- embedding ----------------------------------------------------------------------------


def _topology(name: str) -> str:
    """The topology key ("advantage" / "advantage2") of a topology or mock name."""
    key = MOCKS.get(name, name)
    if key not in TOPOLOGIES:
        known = ", ".join([*TOPOLOGIES, *MOCKS])
        raise BackendError(f"dwave: unknown topology {name!r}; known: {known}")
    return key


@dataclass(frozen=True)
class LiveSolver:
    """A Leap QPU as it is now (:func:`live_solver`).

    Attributes
    ----------
    name : str
        The solver's name (``"Advantage_system4.1"``).
    graph : networkx.Graph
        Its working graph: the qubits and couplers in service today (yield defects left out).
    timing : dict
        Its ``problem_timing_data`` (the access-time model's parameters for this solver).
    """

    name: str
    graph: Any
    timing: dict


LIVE_TTL_SECONDS = 900.0  # a solver's working graph changes rarely; re-read after this long
_LIVE: dict[str, tuple[float, LiveSolver]] = {}


def live_solver(topology: str, timeout: float = REQUEST_TIMEOUT) -> LiveSolver:
    """The Leap QPU of a topology (``"advantage"``: Pegasus, ``"advantage2"``: Zephyr) as it is
    now: name, working graph and timing data, read from Leap (cached :data:`LIVE_TTL_SECONDS`).

    Raises
    ------
    BackendError
        The SDK is missing, no Leap token is configured (:data:`TOKEN_HINT`), or Leap cannot be
        reached or refuses the token within ``timeout`` seconds per request.
    """
    if topology not in REAL:
        raise BackendError(f"dwave: no real QPU topology {topology!r}; known: {', '.join(REAL)}")
    if not token_configured():
        raise BackendError(f"dwave: reading the live {topology} QPU needs a Leap token: {TOKEN_HINT}")
    hit = _LIVE.get(topology)
    if hit is not None and time.monotonic() - hit[0] < LIVE_TTL_SECONDS:
        return hit[1]
    from dwave.system import DWaveSampler

    sampler = _remote(
        f"connecting to a {REAL[topology]} QPU",
        DWaveSampler,
        solver={"topology__type": REAL[topology]},
        request_timeout=timeout,
        http_retry_total=1,
    )
    live = LiveSolver(
        str(sampler.solver.name),
        sampler.to_networkx_graph(),
        sampler.properties.get("problem_timing_data") or qpu_timing_data(topology),
    )
    _LIVE[topology] = (time.monotonic(), live)
    return live


@cache
def target_graph(topology: str = "advantage"):
    """The working graph of a topology, as ``dwave.graphs`` builds it (cached).

    Parameters
    ----------
    topology : str
        ``"advantage"`` (Pegasus P16, fabric only: 5640 qubits) or ``"advantage2"`` (Zephyr
        Z12, t=4: 4800 qubits), or their ``mock-`` names.

    Returns
    -------
    networkx.Graph
        Qubits as nodes, couplers as edges, with the family and shape as graph attributes.

    Raises
    ------
    BackendError
        An unknown topology, or the SDK missing.
    """
    family, shape, _ = TOPOLOGIES[_topology(topology)]
    _require_sdk()
    import dwave.graphs as dg

    if family == "pegasus":
        return dg.pegasus_graph(shape[0], fabric_only=True)
    return dg.zephyr_graph(*shape)


@dataclass
class EmbeddingSummary:
    """A minor embedding of a logical model on a QPU graph, or why there is none.

    Attributes
    ----------
    num_variables, num_couplers : int
        The logical model's size.
    target_qubits : int
        Working qubits of the target graph.
    topology : str
        What the target is, in words.
    method : str
        ``"clique"`` (busclique) or ``"minorminer"`` (the heuristic that found it, or tried last).
    seconds : float
        Wall time of the search.
    embedding : dict
        Variable index -> list of physical qubits (its chain); empty when it does not embed.
    refusal : str or None
        Why there is no embedding, with the sizes; ``None`` when there is one.
    """

    num_variables: int
    num_couplers: int
    target_qubits: int
    topology: str
    method: str
    seconds: float
    embedding: dict = field(default_factory=dict)
    refusal: str | None = None
    search_cut: bool = False  # minorminer found none and used its whole timeout

    @property
    def ok(self) -> bool:
        """Whether an embedding was found."""
        return self.refusal is None

    @property
    def physical_qubits(self) -> int:
        """Physical qubits used (0 without an embedding)."""
        return sum(len(c) for c in self.embedding.values())

    @property
    def longest_chain(self) -> int:
        """The longest chain's length in qubits (0 without an embedding)."""
        return max((len(c) for c in self.embedding.values()), default=0)

    @property
    def mean_chain(self) -> float:
        """The mean chain length (0 without an embedding)."""
        return self.physical_qubits / len(self.embedding) if self.embedding else 0.0

    def as_info(self) -> dict[str, Any]:
        """The summary as plain values for a result's ``info`` (the embedding itself included)."""
        return {
            "topology": self.topology,
            "physical_qubits": self.physical_qubits,
            "longest_chain": self.longest_chain,
            "mean_chain": self.mean_chain,
            "embedding_method": self.method,
            "embedding_seconds": self.seconds,
            "embedding": {int(k): [int(q) for q in v] for k, v in self.embedding.items()},
        }


def _structure(model) -> tuple[int, np.ndarray, np.ndarray]:
    """(n, i, j) of a QuboIR (its coupled pairs) or a dimod BQM with variables 0..n-1 or any labels."""
    terms = getattr(model, "terms", None)
    if terms is not None and hasattr(terms, "i"):
        nz = terms.v != 0
        return int(terms.n), np.asarray(terms.i)[nz], np.asarray(terms.j)[nz]
    if hasattr(model, "quadratic") and hasattr(model, "variables"):
        index = {v: k for k, v in enumerate(model.variables)}
        pairs = np.array([(index[u], index[v]) for (u, v), b in model.quadratic.items() if b != 0], dtype=np.int64)
        pairs = pairs.reshape(-1, 2)
        return len(index), pairs[:, 0], pairs[:, 1]
    raise BackendError(f"dwave: embed takes a QuboIR or a dimod BinaryQuadraticModel, got {type(model).__name__}")


def embed(
    model,
    topology="advantage",
    timeout: float = DEFAULT_EMBEDDING_TIMEOUT,
    method: str = "auto",
    seed: int | None = None,
    label: str | None = None,
    deadline: float | None = None,
) -> EmbeddingSummary:
    """Find a minor embedding of ``model`` on a QPU topology, without sampling.

    ``method="clique"`` uses busclique's clique embedding (native chains, cached on disk:
    0.02 s after the first call per graph), which embeds any model of n variables when K_n
    fits (K_180 on Advantage, K_184 on Advantage2); ``"minorminer"`` the heuristic search on
    the model's own couplers (fewer qubits on sparse models, seconds on dense ones);
    ``"auto"``: clique for models with at least a quarter of all pairs coupled, else
    minorminer, then clique when minorminer finds none and K_n fits.

    Parameters
    ----------
    model : QuboIR or dimod.BinaryQuadraticModel
        The logical model, n variables (a BQM's variables are indexed in its own order).
    topology : str or networkx.Graph
        ``"advantage"``, ``"advantage2"`` (or their ``mock-`` names), or a solver's working graph.
    timeout : float
        Seconds minorminer may search (the clique embedding takes no timeout).
    method : str
        ``"auto"``, ``"clique"`` or ``"minorminer"``.
    seed : int, optional
        minorminer's random seed.
    label : str, optional
        What the target is called in the summary and its refusal (default: the topology's name).
    deadline : float, optional
        A ``time.perf_counter()`` instant: past it, ``"auto"`` does not try the clique embedding
        after minorminer found none (a caller under a time limit).

    Returns
    -------
    EmbeddingSummary
        Physical qubits, the longest chain and the chains, or ``refusal`` naming the sizes
        when the model does not embed (more variables than qubits, or no embedding found).

    Raises
    ------
    BackendError
        An unknown topology or method, a model of another type, or the SDK missing.
    """
    if method not in ("auto", "clique", "minorminer"):
        raise BackendError(f"dwave: unknown embedding method {method!r}; known: auto, clique, minorminer")
    _require_sdk()
    if isinstance(topology, str):
        G, what = target_graph(topology), TOPOLOGIES[_topology(topology)][2]
    else:
        G, what = topology, f"{topology.graph.get('family', 'custom')} graph"
    what = label or what
    n, i, j = _structure(model)
    m = len(i)
    summary = EmbeddingSummary(n, m, G.number_of_nodes(), what, method, 0.0)
    t0 = time.perf_counter()
    if n > G.number_of_nodes():
        summary.refusal = f"dwave: {n} variables exceed the {G.number_of_nodes()} working qubits of {what}"
        return summary
    if n == 0:
        return summary
    dense = m >= DENSE_FRACTION * n * (n - 1) / 2
    order = {"clique": ["clique"], "minorminer": ["minorminer"]}.get(method, ["clique"] if dense else ["minorminer"])
    if method == "auto" and not dense:
        order.append("clique")
    tried = []
    for how in order:
        if how == "clique" and tried and deadline is not None and time.perf_counter() > deadline:
            break  # no time left for the fallback: the caller says the search was cut short
        summary.method = how
        if how == "clique":
            emb, note = _clique(n, G)
        else:
            t_search = time.perf_counter()
            emb, note = _minorminer(n, i, j, G, timeout, seed)
            summary.search_cut = not emb and time.perf_counter() - t_search >= 0.9 * timeout
        tried.append(note)
        if emb:
            summary.embedding, summary.seconds = emb, time.perf_counter() - t0
            return summary
    summary.seconds = time.perf_counter() - t0
    summary.refusal = (
        f"dwave: the model ({n} variables, {m} couplers) does not embed in {what} "
        f"({G.number_of_nodes()} working qubits): {'; '.join(tried)}"
    )
    return summary


def _clique(n: int, G) -> tuple[dict, str]:
    """busclique's clique embedding of K_n (variables 0..n-1), or {} and the largest clique's size."""
    from minorminer import busclique

    try:
        emb = busclique.find_clique_embedding(n, G)
    except Exception as exc:  # a graph busclique cannot read (not Chimera/Pegasus/Zephyr-labelled)
        return {}, f"no clique embedding ({type(exc).__name__}: {exc})"
    if emb:
        return {int(k): list(v) for k, v in emb.items()}, "clique"
    largest = len(busclique.busgraph_cache(G).largest_clique())
    return {}, f"a clique embedding needs K_{n}, the largest that fits is K_{largest}"


def _minorminer(n: int, i, j, G, timeout: float, seed: int | None) -> tuple[dict, str]:
    """minorminer's heuristic embedding of the coupled pairs; isolated variables on free qubits."""
    import minorminer

    edges = list(zip(i.tolist(), j.tolist(), strict=True))
    emb = {}
    if edges:
        kw = {"timeout": max(float(timeout), 0.01)}
        if seed is not None:
            kw["random_seed"] = int(seed) % (2**31 - 1)
        emb = minorminer.find_embedding(edges, G, **kw)
        if not emb:
            return {}, f"minorminer found none in {timeout:.3g} s"
    emb = {int(k): list(v) for k, v in emb.items()}
    missing = [v for v in range(n) if v not in emb]
    if missing:
        used = {q for chain in emb.values() for q in chain}
        free = (q for q in G.nodes if q not in used)
        for v in missing:
            q = next(free, None)
            if q is None:
                return {}, f"no free qubit left for {len(missing)} uncoupled variables"
            emb[v] = [q]
    return emb, "minorminer"


# --- samplers ------------------------------------------------------------------------------


@cache
def _mock_prototype(topology: str):
    """One MockDWaveSampler per topology (0.1-0.3 s to build); calls work on shallow copies."""
    from dwave.samplers import SimulatedAnnealingSampler
    from dwave.system.testing import MockDWaveSampler

    family, shape, _ = TOPOLOGIES[topology]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return MockDWaveSampler(
            topology_type=family,
            topology_shape=list(shape),
            substitute_sampler=SimulatedAnnealingSampler(),
            exact_solver_cutoff=0,  # no exact ground state swapped in: every read is the annealer's
            parameter_warnings=False,
        )


def _mock(topology: str, seed: int | None):
    """A view of the topology's mock whose annealer uses ``seed`` (the shared prototype is untouched)."""
    sampler = copy.copy(_mock_prototype(topology))
    kwargs = {"num_sweeps": MOCK_SWEEPS}
    if seed is not None:
        kwargs["seed"] = int(seed) % (2**31 - 1)
    sampler.substitute_kwargs = kwargs
    return sampler


def _client_config(budget: Budget) -> dict:
    """Cloud-client settings that bound every network wait (the token comes from the SDK's config)."""
    cfg: dict[str, Any] = {"request_timeout": REQUEST_TIMEOUT, "http_retry_total": 1}
    if budget.limited:
        cfg["polling_timeout"] = max(budget.left(), 0.1)
    return cfg


def _remote(what: str, fn, *args, **kwargs):
    """Call into the cloud client; any failure (auth, network, solver) becomes a BackendError."""
    try:
        return fn(*args, **kwargs)
    except (BackendError, TimeLimitError):
        raise
    except Exception as exc:
        root = _root_cause(exc)
        cause = "" if root is exc else f" (underneath: {type(root).__name__}: {root})"
        raise BackendError(
            f"dwave: {what} failed: {type(exc).__name__}: {exc}{cause}; check the token, the endpoint "
            f"(DWAVE_API_ENDPOINT) and the network ({TOKEN_HINT})"
        ) from exc


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost exception of a chain (the cloud client reports a refused connection as a
    request timeout; the socket's ``ConnectionRefusedError`` is underneath)."""
    seen = {id(exc)}
    while True:
        nxt = exc.__cause__ or exc.__context__
        if nxt is None or id(nxt) in seen:
            return exc
        seen.add(id(nxt))
        exc = nxt


@dataclass
class _Plan:
    """What one solve will run on."""

    kind: str  # "mock" | "qpu" | "hybrid"
    solver: str  # the option's value, resolved
    topology: str | None  # "advantage" / "advantage2" for mocks and named real topologies
    hybrid_fallback: bool  # "auto" with a token: hybrid when the model does not embed


def _plan(solver: str) -> _Plan:
    """What ``solver`` runs on; a real solver without a token is refused here, before any work."""
    key = solver.lower()
    if key in MOCKS:
        return _Plan("mock", key, MOCKS[key], False)
    if key == "auto":
        if token_configured():
            return _Plan("qpu", "advantage", "advantage", True)
        return _Plan("mock", "mock-advantage", "advantage", False)
    if not token_configured():
        raise _no_token(solver)
    if key == "hybrid" or key.startswith("hybrid_"):
        return _Plan("hybrid", solver, None, False)
    return _Plan("qpu", solver, key if key in REAL else None, False)


@dataclass
class _Target:
    """A structured sampler and what the solve needs to know of it."""

    sampler: Any
    graph: Any  # networkx.Graph of its working qubits
    timing: dict  # problem_timing_data
    label: str  # what it is called in errors
    description: str  # info["sampler"]: what actually samples
    remote: bool  # a real QPU (network, QPU time) rather than the mock
    topology: str | None = None  # the mock's topology key (its graph is cached under it)


def mock_read_seconds(terms: int) -> float:
    """Predicted seconds of one mock read: the substitute's sweeps over the physical model's terms.

    Parameters
    ----------
    terms : int
        Terms of the embedded (physical) model: qubits + chain links + couplers.

    Returns
    -------
    float
        Seconds, from the constants measured on the 2-core development VM (see above).
    """
    return MOCK_SECONDS_PER_READ + MOCK_SECONDS_PER_TERM_SWEEP * MOCK_SWEEPS * max(terms, 1)


def _checked(options: dict) -> dict:
    """The options, converted (:func:`validate_options`), with the strictly positive ones checked.

    Raises
    ------
    OptionError
        An unknown option or an invalid value, named.
    """
    opts = validate_options("dwave", options, OPTIONS)
    for key in ("chain_strength", "embedding_timeout", "hybrid_time_limit"):
        if key in opts and opts[key] <= 0:
            raise OptionError(f"dwave: option {key} must be a number > 0, got {options[key]!r}")
    return opts


class DWaveBackend:
    """D-Wave annealers (see the module docstring): ``solver`` ("auto", "mock-advantage",
    "mock-advantage2", "advantage", "advantage2", "hybrid" or a Leap solver name),
    ``num_reads`` (100), ``annealing_time`` (us; the solver's default, 20), ``chain_strength``
    (SPIN units; default the SDK's ``uniform_torque_compensation``), ``embedding`` ("auto",
    "clique", "minorminer"), ``embedding_timeout`` (s, 60), ``hybrid_time_limit`` (s; the
    hybrid solver's minimum for the model by default)."""

    name = "dwave"
    capabilities = Capabilities(accepts=("qubo",), max_variables=None, exact=False, time_limit=True)
    options = OPTIONS

    def solve(self, ir, *, time_limit=None, seed=None, **options) -> BackendOutput:
        """Embed ``ir``, sample it on a D-Wave (or mock) QPU and return every read, lowest energy first.

        Parameters
        ----------
        ir : QuboIR
            The QUBO, over n binaries.
        time_limit : float, optional
            Wall-clock seconds: the embedding search gets what is left after one read's predicted
            cost; mock reads are lowered to fit (status ``time_limit``); a real QPU's reads are
            lowered so the predicted access time plus network overhead fits.
        seed : int, optional
            Seeds minorminer and the mock's annealer (a real QPU is not seedable).
        **options
            The options in the class docstring.

        Returns
        -------
        BackendOutput
            ``samples`` (k, n) of 0/1 with their LOGICAL QUBO energies and read counts; status
            ``feasible``, or ``time_limit`` when fewer reads than asked for fitted. ``info`` holds
            ``sampler`` (what actually sampled), ``solver``, ``topology``, ``physical_qubits``,
            ``longest_chain``, ``mean_chain``, ``embedding`` (variable -> qubits),
            ``embedding_method``, ``embedding_seconds``, ``chain_strength`` (SPIN units),
            ``chain_break_fraction_mean`` / ``_max`` (in [0, 1]), ``predicted_qpu_access_time``
            (s), ``qpu_access_time`` (s, real QPUs only), ``num_reads``, ``annealing_time_us``.

        Raises
        ------
        OptionError
            An unknown option or invalid value.
        BackendError
            The SDK missing (``pip install qbdsl[dwave]``); a real solver without a Leap token (the
            setting and the command to set it); a model that does not embed or has more variables
            than the QPU has qubits (the sizes); an authentication, network or solver failure.
        TimeLimitError
            When not even one read (and, for a real QPU, its programming and network round trip) fits.
        """
        budget = Budget(time_limit, "dwave")
        opts = _checked(options)
        require_import(
            budget, "dwave.system", SDK_IMPORT_SECONDS, "the D-Wave SDK", "qbdsl.backends.dwave_backend.preload()"
        )
        _require_sdk()
        plan = _plan(opts.get("solver", "auto"))
        if plan.kind != "hybrid" and "hybrid_time_limit" in opts and not plan.hybrid_fallback:
            raise OptionError(f"dwave: option hybrid_time_limit applies to Leap hybrid solvers, not {plan.solver!r}")
        if ir.n == 0:
            return BackendOutput(np.zeros(0), "feasible", float(ir.offset), {"reads": 0, "solver": plan.solver})
        bqm = _bqm(ir)
        if plan.kind == "hybrid":
            return self._hybrid(ir, bqm, plan, opts, budget)
        target = (
            self._mock_target(plan, ir, seed, budget)
            if plan.kind == "mock"
            else self._qpu_target(plan, ir, opts, budget)
        )
        summary = self._embed(ir, target, opts, seed, budget)
        if not summary.ok:
            if plan.hybrid_fallback:
                return self._hybrid(ir, bqm, _Plan("hybrid", "hybrid", None, False), opts, budget, summary.refusal)
            raise BackendError(summary.refusal)
        reads, status = self._reads(ir, target, summary, opts, budget)
        if target.remote or not budget.limited:
            ss, info = self._sample(bqm, target, summary, reads, opts)
        else:
            ss, info, status = self._sample_mock_within(bqm, ir, target, summary, opts, budget, seed)
        X = _in_order(ss)
        cbf = np.asarray(ss.record.chain_break_fraction, dtype=float)
        occ = np.asarray(ss.record.num_occurrences, np.int64)
        info.update(
            solver=plan.solver,
            sampler=target.description,
            chain_break_fraction_mean=float(np.average(cbf, weights=occ)) if cbf.size else 0.0,
            chain_break_fraction_max=float(cbf.max()) if cbf.size else 0.0,
            num_reads=int(occ.sum()),
            seconds=budget.elapsed(),
        )
        return BackendOutput.from_reads(X, ir.energy(X), status, info, num_occurrences=occ)

    def _mock_target(self, plan: _Plan, ir, seed, budget: Budget) -> _Target:
        """The mock over the plan's topology, once one mock read of the logical size fits."""
        target = _Target(
            sampler=_mock(plan.topology, seed),
            graph=target_graph(plan.topology),
            timing=qpu_timing_data(plan.topology),
            label=TOPOLOGIES[plan.topology][2],
            description=(
                f"MockDWaveSampler ({TOPOLOGIES[plan.topology][2]}) with SimulatedAnnealingSampler "
                f"({MOCK_SWEEPS} sweeps) as its substitute: a classical stand-in, no QPU"
            ),
            remote=False,
            topology=plan.topology,
        )
        budget.require(
            MOCK_SETUP_SECONDS + mock_read_seconds(ir.n + len(ir.terms.v)),
            f"one mock read on {ir.n} binaries",
            "raise time_limit",
        )
        return target

    def _qpu_target(self, plan: _Plan, ir, opts: dict, budget: Budget) -> _Target:
        """A real QPU through Leap, once its programming, one read and the round trip fit."""
        from dwave.system import DWaveSampler

        budget.require(REMOTE_OVERHEAD_SECONDS, f"reaching Leap for solver {plan.solver!r}", "raise time_limit")
        features = {"topology__type": REAL[plan.topology]} if plan.topology else {"name": plan.solver}
        sampler = _remote(
            f"connecting to solver {plan.solver!r}", DWaveSampler, solver=features, **_client_config(budget)
        )
        name = sampler.solver.name
        target = _Target(
            sampler=sampler,
            graph=sampler.to_networkx_graph(),
            timing=sampler.properties.get("problem_timing_data") or qpu_timing_data("advantage"),
            label=name,
            description=f"DWaveSampler on {name} (QPU)",
            remote=True,
        )
        one = predict_qpu_access_time(ir.n, 1, opts.get("annealing_time"), timing_data=target.timing)
        budget.require(REMOTE_OVERHEAD_SECONDS + one, f"programming and one read of {ir.n} variables on {name}")
        return target

    @staticmethod
    def _embed(ir, target: _Target, opts: dict, seed, budget: Budget) -> EmbeddingSummary:
        """The embedding, its search bounded by ``embedding_timeout`` and by the time a few reads leave.

        Raises
        ------
        TimeLimitError
            When minorminer ran out of the time the limit left it (rather than of its own timeout).
        """
        asked = timeout = opts.get("embedding_timeout", DEFAULT_EMBEDDING_TIMEOUT)
        if budget.limited:
            guess = CHAIN_FACTOR * (ir.n + len(ir.terms.v))  # physical terms before the embedding is known
            reads = min(opts.get("num_reads", DEFAULT_READS), 10)
            if target.remote:
                reserve = REMOTE_OVERHEAD_SECONDS + predict_qpu_access_time(
                    CHAIN_FACTOR * ir.n, reads, opts.get("annealing_time"), timing_data=target.timing
                )
            else:
                reserve = MOCK_SETUP_SECONDS + reads * mock_read_seconds(guess)
            avail = max(budget.left() - reserve - MARGIN * budget.time_limit, 0.01)
            # minorminer checks its timeout between rounds: measured up to 2.2x over on a loaded 2-core VM
            timeout = min(timeout, max(MINORMINER_SHARE * avail, 0.01))
            deadline = time.perf_counter() + avail
        else:
            deadline = None
        graph = target.topology or target.graph
        summary = embed(ir, graph, timeout, opts.get("embedding", "auto"), seed, label=target.label, deadline=deadline)
        if not summary.ok and summary.search_cut and timeout < asked:
            raise TimeLimitError(
                f"dwave: no embedding of {ir.n} variables found in the {timeout:.3g} s the time limit "
                f"({budget.time_limit:.3g} s) left for the search; raise time_limit"
                + (
                    f", or use embedding='clique' (K_{ir.n} fits {target.label})"
                    if ir.n <= CLIQUE_MAX.get(target.topology or "", 0)
                    else ""
                )
            )
        return summary

    @staticmethod
    def _reads(ir, target: _Target, summary: EmbeddingSummary, opts: dict, budget: Budget) -> tuple[int, str]:
        """The reads that fit in the time left, and ``"time_limit"`` when fewer than asked for."""
        reads = opts.get("num_reads", DEFAULT_READS)
        if not budget.limited:
            return reads, "feasible"
        usable = budget.left() - MARGIN * budget.time_limit
        q = summary.physical_qubits
        if target.remote:
            usable -= REMOTE_OVERHEAD_SECONDS
            fit = reads
            while (
                fit > 1
                and predict_qpu_access_time(q, fit, opts.get("annealing_time"), timing_data=target.timing) > usable
            ):
                fit //= 2
        else:
            links = sum(len(c) - 1 for c in summary.embedding.values())
            per_read = mock_read_seconds(q + links + len(ir.terms.v))
            fit = int((usable - MOCK_SETUP_SECONDS) / per_read)
            if fit < 1:
                budget.require(MOCK_SETUP_SECONDS + per_read + MARGIN * budget.time_limit, "one mock read")
        return (reads, "feasible") if fit >= reads else (max(fit, 1), "time_limit")

    def _sample_mock_within(self, bqm, ir, target: _Target, summary: EmbeddingSummary, opts, budget: Budget, seed):
        """The mock's reads under a time limit: all at once when the prediction leaves ample room,
        else a timed probe of :data:`MOCK_PROBE_READS` reads, then calls sized by the last call's
        measured rate (its setup included, so conservative) to fill the time left: the rate of
        this machine, not the constant's; at most :data:`MOCK_MAX_CALLS` calls.

        Returns
        -------
        (SampleSet, dict, str)
            The reads, the info, and ``"time_limit"`` when fewer reads than asked for fit.
        """
        import dimod

        asked = opts.get("num_reads", DEFAULT_READS)
        links = sum(len(c) - 1 for c in summary.embedding.values())
        per_read = mock_read_seconds(summary.physical_qubits + links + len(ir.terms.v))
        usable = budget.left() - MARGIN * budget.time_limit - MOCK_SETUP_SECONDS
        if asked * per_read <= MOCK_PROBE_SHARE * usable or asked <= MOCK_PROBE_READS:
            reads, status = self._reads(ir, target, summary, opts, budget)
            ss, info = self._sample(bqm, target, summary, reads, opts)
            return ss, info, status
        budget.require(MOCK_SETUP_SECONDS + per_read + MARGIN * budget.time_limit, "one mock read")
        parts, done, batch = [], 0, MOCK_PROBE_READS
        for call in range(MOCK_MAX_CALLS):
            if call and seed is not None:  # the same seed again would repeat the earlier reads
                kw = target.sampler.substitute_kwargs
                target.sampler.substitute_kwargs = {**kw, "seed": (int(seed) + call) % (2**31 - 1)}
            t0 = time.perf_counter()
            ss, got = self._sample(bqm, target, summary, batch, opts)
            info = info if call else got
            parts.append(ss)
            done += batch
            # the call's own setup is in its rate, so the next (larger) call is not underestimated
            rate = (time.perf_counter() - t0) / batch
            batch = min(asked - done, int((budget.left() - MARGIN * budget.time_limit) / rate))
            if batch <= 0:
                break
        ss = parts[0] if len(parts) == 1 else dimod.concatenate(parts)
        info["predicted_qpu_access_time"] = predict_qpu_access_time(
            summary.physical_qubits, done, opts.get("annealing_time"), timing_data=target.timing
        )
        info["mock_calls"] = len(parts)
        return ss, info, "feasible" if done >= asked else "time_limit"

    @staticmethod
    def _sample(bqm, target: _Target, summary: EmbeddingSummary, reads: int, opts: dict):
        """Sample through ``FixedEmbeddingComposite``: the raw reads (unembedded) and the info so far."""
        from dwave.embedding.chain_strength import uniform_torque_compensation
        from dwave.system import FixedEmbeddingComposite

        info: dict[str, Any] = summary.as_info()
        cs = opts.get("chain_strength")
        if cs is None:  # the composite's own default, in the SPIN units it embeds in
            cs = float(uniform_torque_compensation(bqm.spin))
            info["chain_strength_rule"] = "uniform_torque_compensation(bqm.spin), prefactor 1.414"
        anneal_us = opts.get("annealing_time")
        info.update(
            chain_strength=cs,
            annealing_time_us=target.timing["default_annealing_time"] if anneal_us is None else anneal_us,
            predicted_qpu_access_time=predict_qpu_access_time(
                summary.physical_qubits, reads, anneal_us, timing_data=target.timing
            ),
        )
        kwargs: dict[str, Any] = {"num_reads": reads, "chain_strength": cs, "answer_mode": "raw", "label": "qbdsl"}
        if anneal_us is not None:
            kwargs["annealing_time"] = anneal_us
        composite = FixedEmbeddingComposite(target.sampler, summary.embedding)
        if not target.remote:
            return composite.sample(bqm, **kwargs), info
        ss = _remote(f"sampling on {target.label!r}", lambda: _resolved(composite.sample(bqm, **kwargs)))
        timing = ss.info.get("timing", {})
        if "qpu_access_time" in timing:
            info["qpu_access_time"] = timing["qpu_access_time"] * 1e-6
        return ss, info

    def _hybrid(self, ir, bqm, plan: _Plan, opts: dict, budget: Budget, why: str | None = None) -> BackendOutput:
        """Leap's hybrid BQM solver: the whole model, no embedding (needs a token)."""
        from dwave.system import LeapHybridSampler

        features = {} if plan.solver == "hybrid" else {"name": plan.solver}
        kw = {"solver": features} if features else {}
        sampler = _remote("connecting to Leap hybrid", LeapHybridSampler, **kw, **_client_config(budget))
        minimum = float(sampler.min_time_limit(bqm))
        limit = max(opts.get("hybrid_time_limit", minimum), minimum)
        budget.require(
            limit + REMOTE_OVERHEAD_SECONDS,
            f"the hybrid solver's {limit:.3g} s run on {ir.n} variables",
            "raise time_limit",
        )
        ss = _remote("sampling on Leap hybrid", lambda: _resolved(sampler.sample(bqm, time_limit=limit, label="qbdsl")))
        X = _in_order(ss)
        info = {
            "sampler": f"LeapHybridSampler on {sampler.solver.name}",
            "solver": plan.solver,
            "hybrid_time_limit": limit,
            "seconds": budget.elapsed(),
        }
        if why:
            info["hybrid_because"] = why
        t = ss.info.get("qpu_access_time")
        if t is not None:
            info["qpu_access_time"] = t * 1e-6
        occ = np.asarray(ss.record.num_occurrences, np.int64)
        return BackendOutput.from_reads(X, ir.energy(X), "feasible", info, num_occurrences=occ)


def _resolved(sampleset):
    """Wait for a (possibly remote, lazy) SampleSet so that its failures surface here."""
    sampleset.resolve()
    return sampleset


def _in_order(sampleset) -> np.ndarray:
    """The samples (k, n) as int8, columns in variable order 0..n-1."""
    order = np.argsort(np.asarray(list(sampleset.variables)))
    return np.asarray(sampleset.record.sample, dtype=np.int8)[:, order]


def _bqm(ir):
    """The QUBO as a BINARY dimod BQM over variables 0..n-1 (zero couplers dropped)."""
    import dimod

    t = ir.terms
    nz = t.v != 0  # a zero coupler would still need adjacent chains
    return dimod.BinaryQuadraticModel.from_numpy_vectors(t.h, (t.i[nz], t.j[nz], t.v[nz]), t.offset, dimod.BINARY)


__all__ = [
    "DWaveBackend",
    "EmbeddingSummary",
    "LiveSolver",
    "live_solver",
    "embed",
    "predict_qpu_access_time",
    "qpu_timing_data",
    "target_graph",
    "token_configured",
]
