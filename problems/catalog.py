"""Problems by name, for the CLI: ``qbdsl problem LIST`` and ``qbdsl problem NAME --data ... --opt K=V``.

Each entry declares what ``--data`` it takes (a network, or a whole number in a range) and
its options (name, type, default, range or choices), so a misspelt key, a value that does
not parse and a value out of range are refused with one :class:`~qbdsl.errors.ModelError`
that names the problem, the key, the value and what is valid.

Networks: ``repetita:NAME`` and ``sndlib:NAME`` always work; a bare ``NAME`` is looked up in
the collections the problem takes. ``routing.capacity-design`` needs SNDlib's link modules, so
it takes SNDlib only and a bare ``abilene`` means SNDlib's. The other network problems take
either collection, and a bare name both have (``Abilene``) is an error listing both choices.

Topologies: the quantum-network problems (``qnet.*``) take ``--data surfnet``, ``geant`` (the
Internet Topology Zoo networks shipped with fibre lengths, :mod:`qbdsl.problems.qnet.topologies`)
or the path of a Zoo ``.gml`` file; their requests or slices are drawn at random (``seed``).

Sizes: an entry may declare the size of the largest array its model needs (flow variables,
quadratic terms, (batch, QPU) pairs...) as a function of the parsed data and options;
:func:`build` refuses one above :data:`MAX_SIZE` before building it, so a large ``--data``
or option is one line naming it rather than a ``MemoryError`` minutes later.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from qbdsl.errors import ModelError

from . import data, network_design, ran, routing, scheduling, slicing
from .qnet import routing as qnet_routing
from .qnet import slicing as qnet_slicing
from .qnet import topologies

_KIND_WORDS = {int: "a whole number", float: "a number"}
MAX_SIZE = 10**7  # entries of a built model's largest array (~1 GB with the index arrays around it)


@dataclass(frozen=True)
class Option:
    """A problem option: ``kind`` int, float or str; numbers within [low, high] (above ``low`` if
    ``low_open``), strings in ``choices``."""

    name: str
    kind: type
    default: object
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    low_open: bool = False
    note: str = ""

    def valid(self) -> str:
        """What this option accepts, e.g. 'a whole number >= 1' or 'one of congestion|mlu'."""
        if self.kind is str:
            return f"one of {'|'.join(self.choices)}"
        return f"{_KIND_WORDS[self.kind]}{_range_text(self.low, self.high, self.low_open)}{self.note}"

    def describe(self) -> str:
        """``name=default (valid values)`` for help text."""
        return f"{self.name}={'all' if self.default is None else self.default} ({self.valid()})"

    def parse(self, value, problem: str):
        """``value`` (text from the command line, or a number) as this option's type, checked.

        Raises
        ------
        ModelError
            Naming ``problem``, the option and the value, with what is valid.
        """
        try:
            if self.kind is str:
                out = str(value)
                ok = out in self.choices
            else:
                out = _number(value, self.kind)
                ok = (self.low is None or out > self.low or (out == self.low and not self.low_open)) and (
                    self.high is None or out <= self.high
                )
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ModelError(f"{problem}: bad option {self.name}={value} (expected {self.valid()})")
        return out


def _number(value, kind: type):
    """``value`` (text or a number) as an int or a finite float; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(value)
    if kind is int:
        if isinstance(value, str):
            if not re.fullmatch(r"[+-]?\d+", value.strip()):
                raise ValueError(value)
            return int(value)
        if float(value) != int(value):
            raise ValueError(value)
        return int(value)
    out = float(value)
    if not np.isfinite(out):
        raise ValueError(value)
    return out


def _range_text(low, high, low_open: bool = False) -> str:
    if low is not None and high is not None:
        return f" in {low:g}..{high:g}"
    if low is not None:
        return f" {'>' if low_open else '>='} {low:g}"
    return f" <= {high:g}" if high is not None else ""


def check_range(problem: str, name: str, value, low: float, high: float, what: str = "") -> None:
    """Refuse an option value outside [low, high] that depends on the data (e.g. demands <= those of the network)."""
    if not low <= value <= high:
        raise ModelError(
            f"{problem}: bad option {name}={value} (expected a whole number{_range_text(low, high)}"
            f"{', ' + what if what else ''})"
        )


@dataclass(frozen=True)
class Networks:
    """``--data`` names a network from these collections (and generated ones if ``generators``)."""

    collections: tuple[str, ...] = tuple(data.COLLECTIONS)
    generators: bool = True
    why: str = ""

    def help(self) -> str:
        """Short help: the spec forms (the shipped names are in :func:`networks_help` and in errors)."""
        names = [f"{c}:NAME" for c in self.collections]
        names.append("NAME if only one of them has it" if len(self.collections) > 1 else "or a bare NAME")
        if self.generators:
            names += ["waxman:N", "grid:RxC"]
        return f"a network{' (' + self.why + ')' if self.why else ''}: {', '.join(names)}"

    def parse(self, text: str, problem: str):
        """The :class:`Network` that ``text`` names.

        Raises
        ------
        ModelError
            When ``text`` names no network of these collections; the message names ``problem``.
        """
        try:
            return data.network(text, self.collections, self.generators)
        except ModelError as exc:
            why = f" ({self.why})" if self.why else ""
            raise ModelError(f"{problem} --data{why}: {exc}") from None


@dataclass(frozen=True)
class Count:
    """``--data`` is a whole number in [low, high] (links, jobs, nodes...)."""

    what: str
    low: int
    high: int | None = None

    def help(self) -> str:
        """What ``--data`` must be, e.g. ``"links: a whole number >= 1"``."""
        return f"{self.what}: a whole number{_range_text(self.low, self.high)}"

    def parse(self, text: str, problem: str) -> int:
        """``text`` as a whole number within the range.

        Raises
        ------
        ModelError
            When ``text`` is not a whole number in range; the message names ``problem``.
        """
        try:
            n = _number(text, int)
            ok = n >= self.low and (self.high is None or n <= self.high)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ModelError(f"{problem}: bad --data {text!r} (expected {self.help()})")
        return n


@dataclass(frozen=True)
class Topologies:
    """``--data`` names a fibre topology: a shipped one (surfnet, geant) or a Zoo ``.gml`` file."""

    def help(self) -> str:
        """What ``--data`` takes: the shipped topologies, or a file."""
        return f"a fibre topology: {', '.join(topologies.SHIPPED)} (Topology Zoo, fibre lengths), or a Zoo .gml file"

    def parse(self, text: str, problem: str):
        """The :class:`~qbdsl.problems.qnet.topologies.Topology` that ``text`` names.

        Raises
        ------
        ModelError
            An unknown topology or an unreadable file; the message names ``problem``.
        """
        try:
            return topologies.load_topology(text)
        except ModelError as exc:
            raise ModelError(f"{problem} --data: {exc}") from None


@dataclass
class Entry:
    """A problem the CLI can build: ``build(name, parsed data, parsed options) -> Model``."""

    name: str
    summary: str
    data: Networks | Count | Topologies
    build: Callable[[str, object, dict], object]
    options: tuple[Option, ...] = field(default_factory=tuple)
    size: Callable[[object, dict], tuple[float, str]] | None = None  # (entries, what they are)

    @property
    def data_help(self) -> str:
        """What ``--data`` takes for this problem."""
        return self.data.help()

    @property
    def options_help(self) -> str:
        """The options with their defaults and valid values, comma-separated (``"none"``)."""
        return ", ".join(o.describe() for o in self.options) or "none"

    def parse_options(self, options: dict) -> dict:
        """Options by name, typed and range-checked; unknown keys are refused with the valid ones.

        Raises
        ------
        ModelError
            An unknown option (the valid ones are listed) or a bad value.
        """
        known = {o.name: o for o in self.options}
        for key in options:
            if key not in known:
                raise ModelError(f"{self.name}: unknown option {key!r}; options: {self.options_help}")
        return {o.name: o.parse(options[o.name], self.name) if o.name in options else o.default for o in self.options}

    def check_size(self, data, options: dict, data_arg: str) -> None:
        """Refuse, before building, a model whose largest array would exceed :data:`MAX_SIZE` entries.

        Raises
        ------
        ModelError
            Naming ``data_arg``, the entries needed and the limit.
        """
        if self.size is None:
            return
        count, what = self.size(data, options)
        if count > MAX_SIZE:
            raise ModelError(
                f"{self.name}: --data {data_arg} with these options needs {count:.3g} {what}, above "
                f"the {MAX_SIZE:.0e} a problem may take; use a smaller --data or smaller options"
            )


def _kpath(name: str, net, o: dict):
    demands = None
    if o["demands"] is not None:
        n_dem = len(net.demand_volume)
        check_range(name, "demands", o["demands"], 1, n_dem, f"the demands of {net.name}")
        demands = np.arange(o["demands"])
    return routing.kpath_routing(net, k=o["k"], objective=o["objective"], demands=demands)


def _umi(K: int, o: dict):
    return ran.umi_channels(K, seed=o["seed"], n_levels=o["levels"])


def _positive(name: str, default: float, note: str = "") -> Option:
    return Option(name, float, default, 0.0, low_open=True, note=note)


def _sources_x_links(net, o: dict) -> tuple[float, str]:
    return len(np.unique(net.demand_src[net.demand_volume > 0])) * net.n_links, "flow variables (sources x links)"


def _kpath_size(net, o: dict) -> tuple[float, str]:
    demands = int(np.count_nonzero(net.demand_volume > 0))
    if o["demands"] is not None:
        demands = min(demands, o["demands"])
    return demands * o["k"], "candidate paths (demands x k)"


def _slicing_size(net, o: dict) -> tuple[float, str]:
    # up to 3 virtual links per slice (chains of 2..4 VNFs), each a quadratic term per node pair
    return 3 * o["slices"] * net.n_nodes**2, "placement terms (virtual links x node pairs)"


def _power_size(K: int, o: dict) -> tuple[float, str]:
    return K * K * o["levels"], "interference terms (K x K x levels)"


def _rate_size(K: int, o: dict) -> tuple[float, str]:
    return (K * o["levels"]) ** 2, "couplers ((K x levels)^2)"


def _scheduling_size(n: int, o: dict) -> tuple[float, str]:
    return n * o["batches"] * len(scheduling.default_fleet()), "(batch, QPU) pairs"


def _qnet_common(name: str, topo, o: dict) -> dict:
    """Capacities and physics options shared by the quantum-network problems."""
    return {
        "k": o["k"],
        "channels": o["channels"] * topo.fibres,
        "memory": o["memory"],
        "protocol": o["protocol"],
        "max_rounds": o["max_rounds"],
        "params": _qnet_params(o),
    }


def _qnet_params(o: dict):
    """:class:`~qbdsl.problems.qnet.physics.Params` from the options: repeater stations, memories, swap order."""
    physics = qnet_routing.physics
    spacing = np.inf if o["repeater_spacing_km"] is None else o["repeater_spacing_km"]
    start = physics.DEFAULT if o["platform"] == "composite" else physics.platform(o["platform"])
    base = dataclasses.replace(start, repeater_spacing_km=spacing, swap_order=o["swap_order"])
    return physics.repeater_grade(spacing, base) if o["memories"] == "repeater-grade" else base


def _draw(name: str, what: str, n: int, draw):
    """``draw()``, with a refusal naming the option ``what`` (too many for the topology's pairs)."""
    try:
        return draw()
    except ModelError as exc:
        raise ModelError(f"{name}: bad option {what}={n} ({exc})") from None


def _qnet_routing(name: str, topo, o: dict):
    req = _draw(
        name,
        "requests",
        o["requests"],
        lambda: qnet_routing.random_requests(topo, o["requests"], o["seed"], max_km=o["max_km"]),
    )
    return qnet_routing.entanglement_routing(
        topo, req, objective=o["objective"], form=o["form"], levels=o["levels"], **_qnet_common(name, topo, o)
    )


def _qnet_slicing(name: str, topo, o: dict):
    sl = _draw(
        name,
        "slices",
        o["slices"],
        lambda: qnet_slicing.random_qslices(topo, o["slices"], o["seed"], max_km=o["max_km"]),
    )
    return qnet_slicing.quantum_classical_slicing(
        topo,
        sl,
        bandwidth=o["bandwidth"] * topo.fibres,
        channel_bandwidth=o["channel_bandwidth"],
        layers=o["layers"],
        **_qnet_common(name, topo, o),
    )


def _qnet_size(what: str):
    def size(topo, o: dict) -> tuple[float, str]:
        return o[what] * o["k"] * topo.network.n_links, f"path-link entries ({what} x k x links)"

    return size


_SEED = Option("seed", int, 0, 0)
_LEVELS = Option("levels", int, 4, 2)
_QNET = (
    _SEED,
    Option("k", int, 3, 1),
    Option("channels", int, 2, 0, note=" per fibre of a link"),
    Option("memory", int, 10, 0, note=" qubits per node"),
    Option("max_rounds", int, 3, 0, 8, note=" purification rounds per hop"),
    Option("protocol", str, "dejmps", choices=qnet_routing.physics.PROTOCOLS),
    _positive("max_km", None, ": only endpoints at most this far apart (great circle x routing factor)"),
    _positive("repeater_spacing_km", None, ": repeater stations every this many km of fibre (all: none)"),
    Option("memories", str, "today", choices=("today", "repeater-grade")),
    Option("swap_order", str, "asap", choices=qnet_routing.physics.SWAP_ORDERS),
    Option("platform", str, "composite", choices=("composite", *qnet_routing.physics.PLATFORMS)),
)

CATALOG = {
    e.name: e
    for e in [
        Entry(
            "routing.min-mlu",
            "splittable min-max link utilisation (LP)",
            Networks(),
            lambda p, net, o: routing.min_mlu(net),
            size=_sources_x_links,
        ),
        Entry(
            "routing.kpath",
            "one of k shortest paths per demand; congestion (QUBO-shaped) or mlu (MILP)",
            Networks(),
            _kpath,
            (
                Option("k", int, 3, 1),
                Option("objective", str, "congestion", choices=("congestion", "mlu")),
                Option("demands", int, None, 1, note=": route the first N demands of the network"),
            ),
            _kpath_size,
        ),
        Entry(
            "routing.capacity-design",
            "SNDlib module installation at minimum cost (MILP)",
            Networks(("sndlib",), generators=False, why="SNDlib only: it needs link modules"),
            lambda p, net, o: routing.capacity_design(net),
        ),
        Entry(
            "ran.min-power",
            "RAN power control: min total power under SINR targets (MILP)",
            Count("K links (3GPP UMi channels)", 1),
            lambda p, K, o: ran.min_power(_umi(K, o), o["gamma"]),
            (_SEED, _positive("gamma", 2.0), _LEVELS),
            _power_size,
        ),
        Entry(
            "ran.sum-rate",
            "RAN power control: pairwise sum-rate surrogate (QUBO)",
            Count("K links (3GPP UMi channels)", 1),
            lambda p, K, o: ran.sum_rate_qubo(_umi(K, o)),
            (_SEED, _LEVELS),
            _rate_size,
        ),
        Entry(
            "slicing.placement",
            "place VNF chains on a substrate: revenue, CPU and link bandwidth (MILP)",
            Networks(),
            lambda p, net, o: slicing.slice_placement(
                net, slicing.random_slices(o["slices"], o["seed"]), o["cpu"], node_cost=0.1
            ),
            (Option("slices", int, 4, 1), _SEED, _positive("cpu", 8.0)),
            _slicing_size,
        ),
        Entry(
            "scheduling.qpu",
            "quantum jobs (or shot batches) on heterogeneous QPUs by deadline (MILP/QUBO)",
            Count("number of jobs", 1),
            lambda p, n, o: scheduling.schedule_model(
                scheduling.random_jobs(n, o["seed"], o["horizon"], o["tightness"]),
                scheduling.default_fleet(),
                o["slot"],
                batches=o["batches"],
            ),
            (
                _SEED,
                _positive("horizon", 20.0),
                _positive("tightness", 2.0),
                _positive("slot", 0.5, f" (the time grid must fit {scheduling.MAX_ENTRIES:.0e} entries)"),
                Option("batches", int, 1, 1),
            ),
            _scheduling_size,
        ),
        Entry(
            "qnet.routing",
            "entanglement routing: requests served or max-min rate, purification, memory (MILP/QUBO)",
            Topologies(),
            _qnet_routing,
            (
                Option("requests", int, 10, 1),
                Option("objective", str, "served", choices=qnet_routing.OBJECTIVES),
                Option("form", str, "milp", choices=qnet_routing.FORMS),
                Option("levels", int, 8, 1, note=": grid steps of t (maxmin, qubo)"),
                *_QNET,
            ),
            _qnet_size("requests"),
        ),
        Entry(
            "qnet.slicing",
            "joint quantum-classical slices: bandwidth and entanglement admitted together (MILP/QUBO)",
            Topologies(),
            _qnet_slicing,
            (
                Option("slices", int, 8, 1),
                _positive("bandwidth", 10.0, " per fibre of a link"),
                Option("channel_bandwidth", float, 0.0, 0.0, note=": bandwidth one quantum channel takes"),
                Option("layers", str, "joint", choices=qnet_slicing.LAYERS),
                *_QNET,
            ),
            _qnet_size("slices"),
        ),
        Entry(
            "network-design.qoblib",
            "QOBLIB degree-constrained network design (MILP)",
            Count("n, the QOBLIB instance size", 5, 24),
            lambda p, n, o: network_design.qoblib(n),
        ),
    ]
}


def networks_help() -> str:
    """The shipped networks by collection, and the rule for a bare name, for ``qbdsl problem LIST``."""
    shipped = "; ".join(f"{data.TITLES[c]}: {', '.join(names)}" for c, names in data.COLLECTIONS.items())
    shared = sorted({n for n in data.REPETITA if n.lower() in data.SNDLIB})
    return (
        f"Networks shipped: {shipped}. A name in both ({', '.join(shared)}) needs its prefix "
        "(repetita:Abilene, sndlib:abilene) where a problem takes both collections; a problem that takes "
        "one collection resolves a bare name there. Prefixes and names are case-insensitive."
    )


def build(name: str, data_arg: str, options: dict | None = None):
    """Build problem ``name`` on ``data_arg`` with ``options`` (text or numbers, by option name).

    Raises
    ------
    ModelError
        An unknown problem, bad ``--data``, an unknown, unparsable or out-of-range option, or
        an instance whose model would exceed :data:`MAX_SIZE` entries; the message names the
        culprit and lists what is valid.
    """
    if name not in CATALOG:
        raise ModelError(f"unknown problem {name!r}; known: {', '.join(CATALOG)}")
    entry = CATALOG[name]
    opts = entry.parse_options(options or {})
    data = entry.data.parse(str(data_arg), name)
    entry.check_size(data, opts, str(data_arg))
    return entry.build(name, data, opts)
