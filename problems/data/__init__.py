"""Network data: REPETITA, SNDlib and QOBLIB readers, shipped instances by name, generators.

Shipped instances (small files copied from their sources, see each folder's SOURCE.md):
``repetita(name)`` for Abilene, Nsfnet, Geant2001, Janetbackbone, Cernet;
``sndlib(name)`` for abilene, atlanta, geant, germany50, nobel-us, polska;
``qoblib_demands(n)`` for the QOBLIB network-design demand matrix.

``network(spec)`` takes any of them by one string: ``repetita:NAME`` or ``sndlib:NAME``
(prefix and name case-insensitive), a bare ``NAME`` when only one collection has it (Abilene
is in both, and a bare ``abilene`` is an error that lists both qualified names), or a
generated ``waxman:N`` / ``grid:RxC`` of 2..``MAX_NODES`` nodes.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from qbdsl.errors import FileFormatError, ModelError

from ..network import Network
from .generators import MAX_NODES, grid, random_geometric, waxman

HERE = Path(__file__).resolve().parent
REPETITA = ("Abilene", "Nsfnet", "Geant2001", "Janetbackbone", "Cernet")
SNDLIB = ("abilene", "atlanta", "geant", "germany50", "nobel-us", "polska")

COLLECTIONS = {"repetita": REPETITA, "sndlib": SNDLIB}
TITLES = {"repetita": "REPETITA", "sndlib": "SNDlib"}
GENERATORS = ("waxman", "grid")

__all__ = ["Network", "load_repetita", "load_sndlib", "load_qoblib_demands", "repetita", "sndlib",
           "qoblib_demands", "repetita_optimal_mlu", "waxman", "grid", "random_geometric", "network",
           "network_forms", "REPETITA", "SNDLIB", "COLLECTIONS", "TITLES", "GENERATORS", "MAX_NODES"]


def _lines(path: Path):
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise FileFormatError(f"cannot read: {exc.strerror}", str(path)) from None
    return text.splitlines()


def _section(lines, k, keyword, path):
    """Find ``KEYWORD count`` at or after line k; return (count, index of its first data line)."""
    while k < len(lines) and not lines[k].strip():
        k += 1
    if k >= len(lines):
        raise FileFormatError(f"missing {keyword} section", str(path), len(lines))
    f = lines[k].split()
    if len(f) != 2 or f[0] != keyword or not f[1].isdigit():
        raise FileFormatError(f"expected '{keyword} <count>'", str(path), k + 1)
    return int(f[1]), k + 2   # skip the column header line


def _rows(lines, first: int, count: int, width: int, expect: str, path: Path):
    """Yield (line number, fields) for ``count`` data lines of ``width`` fields from ``first``."""
    for i in range(count):
        ln = first + i
        f = lines[ln].split() if ln < len(lines) else []
        if len(f) != width:
            raise FileFormatError(f"expected '{expect}'", str(path), ln + 1)
        yield ln + 1, f


def load_repetita(graph_path, demands_path=None, name: str | None = None) -> Network:
    """Read a REPETITA ``.graph`` (and optionally ``.demands``) file into a directed Network."""
    graph_path = Path(graph_path)
    lines = _lines(graph_path)
    n, k = _section(lines, 0, "NODES", graph_path)
    nodes, pos = [], []
    for ln, f in _rows(lines, k, n, 3, "label x y", graph_path):
        nodes.append(f[0])
        try:
            pos.append((float(f[1]), float(f[2])))
        except ValueError:
            raise FileFormatError(f"bad coordinates {f[1]!r} {f[2]!r}", str(graph_path), ln) from None
    m, k = _section(lines, k + n, "EDGES", graph_path)
    src, dst, cost, cap, names = [], [], [], [], []
    for ln, f in _rows(lines, k, m, 6, "label src dest weight bw delay", graph_path):
        try:
            s, t, w, bw = int(f[1]), int(f[2]), float(f[3]), float(f[4])
        except ValueError:
            raise FileFormatError(f"bad edge fields {' '.join(f[1:5])!r}", str(graph_path), ln) from None
        if not (0 <= s < n and 0 <= t < n):
            raise FileFormatError(f"edge {f[0]} joins unknown node {s if not 0 <= s < n else t}", str(graph_path), ln)
        if bw < 0:
            raise FileFormatError(f"edge {f[0]} has negative capacity {bw}", str(graph_path), ln)
        names.append(f[0])
        src.append(s)
        dst.append(t)
        cost.append(w)
        cap.append(bw)
    ds, dt, dv = [], [], []
    if demands_path is not None:
        demands_path = Path(demands_path)
        dl = _lines(demands_path)
        kd, k = _section(dl, 0, "DEMANDS", demands_path)
        for ln, f in _rows(dl, k, kd, 4, "label src dest bw", demands_path):
            try:
                s, t, v = int(f[1]), int(f[2]), float(f[3])
            except ValueError:
                raise FileFormatError(f"bad demand fields {' '.join(f[1:])!r}", str(demands_path), ln) from None
            if not (0 <= s < n and 0 <= t < n):
                raise FileFormatError(f"demand {f[0]} between unknown nodes {s} and {t}", str(demands_path), ln)
            if v < 0:
                raise FileFormatError(f"demand {f[0]} has negative volume {v}", str(demands_path), ln)
            ds.append(s)
            dt.append(t)
            dv.append(v)
    return Network(name or graph_path.name.split(".")[0], nodes, np.array(src), np.array(dst), np.array(cap),
                   True, np.array(cost), np.array(pos), np.array(ds, np.int64), np.array(dt, np.int64),
                   np.array(dv), names)


_SND_SECTION = re.compile(r"^\s*([A-Z_]+)\s*\(\s*$")


def load_sndlib(path, name: str | None = None) -> Network:
    """Read an SNDlib native-format file into an undirected Network (with link modules)."""
    path = Path(path)
    lines = _lines(path)
    nodes, pos, index = [], [], {}
    links: list = []
    demands: list = []
    section = None
    depth = 0   # parenthesis depth inside a section we skip (ADMISSIBLE_PATHS nests)
    for ln, raw in enumerate(lines, start=1):
        s = raw.split("#", 1)[0].strip()
        if not s or s.startswith("?"):
            continue
        m = _SND_SECTION.match(s)
        if m and section is None:
            section = m.group(1)
            depth = 0
            continue
        if section not in (None, "NODES", "LINKS", "DEMANDS"):
            depth += s.count("(") - s.count(")")
            if depth < 0:
                section = None
            continue
        if s == ")":
            section = None
            continue
        if section == "NODES":
            mm = re.match(r"^(\S+)\s*\(\s*(\S+)\s+(\S+)\s*\)$", s)
            if not mm:
                raise FileFormatError("expected 'id ( lon lat )'", str(path), ln)
            index[mm.group(1)] = len(nodes)
            nodes.append(mm.group(1))
            pos.append((float(mm.group(2)), float(mm.group(3))))
        elif section == "LINKS":
            mm = re.match(r"^(\S+)\s*\(\s*(\S+)\s+(\S+)\s*\)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*\((.*)\)\s*$", s)
            if not mm:
                raise FileFormatError("expected 'id ( src dst ) pre_cap pre_cap_cost routing_cost setup_cost "
                                      "( {cap cost}* )'", str(path), ln)
            lid, a, b = mm.group(1), mm.group(2), mm.group(3)
            for node in (a, b):
                if node not in index:
                    raise FileFormatError(f"link {lid} uses unknown node {node!r}", str(path), ln)
            try:
                pre_cap, _, routing_cost, setup = (float(mm.group(i)) for i in range(4, 8))
                mod = [float(v) for v in mm.group(8).split()]
            except ValueError:
                raise FileFormatError(f"link {lid} has a non-numeric field", str(path), ln) from None
            if len(mod) % 2:
                raise FileFormatError(f"link {lid}: modules come in (capacity cost) pairs", str(path), ln)
            if pre_cap < 0 or any(v < 0 for v in mod[0::2]):
                raise FileFormatError(f"link {lid} has a negative capacity", str(path), ln)
            links.append((lid, index[a], index[b], pre_cap, routing_cost, setup,
                          np.array(mod[0::2]), np.array(mod[1::2])))
        elif section == "DEMANDS":
            mm = re.match(r"^(\S+)\s*\(\s*(\S+)\s+(\S+)\s*\)\s+(\S+)\s+(\S+)\s+(\S+)\s*$", s)
            if not mm:
                raise FileFormatError("expected 'id ( src dst ) routing_unit value max_path_length'", str(path), ln)
            a, b = mm.group(2), mm.group(3)
            for node in (a, b):
                if node not in index:
                    raise FileFormatError(f"demand {mm.group(1)} uses unknown node {node!r}", str(path), ln)
            v = float(mm.group(5))
            if v < 0:
                raise FileFormatError(f"demand {mm.group(1)} has negative value {v}", str(path), ln)
            demands.append((index[a], index[b], v))
        elif section is None:
            raise FileFormatError(f"unexpected text {s[:30]!r} outside a section", str(path), ln)
    if not nodes:
        raise FileFormatError("no NODES section", str(path))
    # a link with no pre-installed capacity takes the largest module (capacity of one module)
    cap = np.array([l[3] if l[3] > 0 else (l[6].max() if len(l[6]) else 0.0) for l in links])
    d = np.array(demands).reshape(-1, 3)
    return Network(name or path.name.split(".")[0], nodes, np.array([l[1] for l in links]),
                   np.array([l[2] for l in links]), cap, False, np.array([l[4] for l in links]), np.array(pos),
                   d[:, 0].astype(np.int64), d[:, 1].astype(np.int64), d[:, 2], [l[0] for l in links],
                   [(l[6], l[7]) for l in links], np.array([l[5] for l in links]), np.array([l[3] for l in links]))


def load_qoblib_demands(path=None) -> np.ndarray:
    """The QOBLIB network-design demand matrix (24 x 24) from its ``demand.txt``."""
    path = Path(path) if path is not None else HERE / "qoblib" / "demand.txt"
    rows = []
    for ln, raw in enumerate(_lines(path), start=1):
        s = raw.strip()
        if not s.startswith("|") or s.startswith("| 1,") or s.startswith("|1,"):
            continue
        parts = s.split("|")
        if len(parts) < 3:
            continue
        try:
            rows.append([float(v) for v in parts[2].split(",")])
        except ValueError:
            raise FileFormatError("expected '|i  | t_i1, ..., t_in|'", str(path), ln) from None
    T = np.array(rows)
    if T.ndim != 2 or T.shape[0] != T.shape[1]:
        raise FileFormatError(f"demand matrix is not square: {T.shape}", str(path))
    return T


def qoblib_demands(n: int) -> np.ndarray:
    """The first n x n block of the QOBLIB demand matrix (instance ``network{n:02d}``)."""
    T = load_qoblib_demands()
    if not 2 <= n <= len(T):
        raise ModelError(f"QOBLIB network design has n = 2..{len(T)}, got {n}")
    return T[:n, :n].copy()


def repetita(name: str) -> Network:
    """A shipped REPETITA instance by name (Abilene, Nsfnet, Geant2001, Janetbackbone, Cernet)."""
    match = {k.lower(): k for k in REPETITA}.get(name.lower())
    if match is None:
        raise ModelError(f"no shipped REPETITA instance {name!r}; shipped: {', '.join(REPETITA)}")
    folder = HERE / "repetita"
    return load_repetita(folder / f"{match}.graph", folder / f"{match}.0000.demands", match)


def repetita_optimal_mlu(name: str) -> float:
    """The optimal splittable MLU listed for a shipped REPETITA instance."""
    for line in (HERE / "repetita" / "UPSTREAM-NOTES.md").read_text().splitlines():
        f = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(f) == 5 and f[0].lower() == name.lower():
            return float(f[4])
    raise ModelError(f"no listed optimal MLU for {name!r}")


def sndlib(name: str) -> Network:
    """A shipped SNDlib network by name (abilene, atlanta, geant, germany50, nobel-us, polska)."""
    if name.lower() not in SNDLIB:
        raise ModelError(f"no shipped SNDlib network {name!r}; shipped: {', '.join(SNDLIB)}")
    return load_sndlib(HERE / "sndlib" / f"{name.lower()}.txt", name.lower())


def network_forms(collections: tuple[str, ...] = tuple(COLLECTIONS), generators: bool = True) -> str:
    """The ``network`` specs accepted for these collections, as one line of help text."""
    forms = [f"{c}:NAME ({', '.join(COLLECTIONS[c])})" for c in collections]
    if len(collections) > 1:
        forms.append("a bare NAME that only one of them has")
    else:
        forms.append("or the bare NAME")
    if generators:
        forms += [f"waxman:N (N in 2..{MAX_NODES})", f"grid:RxC (R, C >= 1, R x C in 2..{MAX_NODES})"]
    return ", ".join(forms)


def _generated(kind: str, arg: str, spec: str) -> Network:
    """``waxman:N`` or ``grid:RxC``, checked against the generators' size range before they run."""
    if kind == "waxman":
        if not re.fullmatch(r"\d{1,9}", arg) or not 2 <= int(arg) <= MAX_NODES:
            raise ModelError(f"bad network {spec!r}: waxman:N takes a whole number N in 2..{MAX_NODES}, "
                             "e.g. waxman:20")
        return waxman(int(arg))
    m = re.fullmatch(r"(\d{1,9})[xX](\d{1,9})", arg)
    if not m or min(int(m[1]), int(m[2])) < 1 or not 2 <= int(m[1]) * int(m[2]) <= MAX_NODES:
        raise ModelError(f"bad network {spec!r}: grid:RxC takes whole numbers R, C >= 1 with 2..{MAX_NODES} "
                         "nodes (R x C), e.g. grid:3x4")
    return grid(int(m[1]), int(m[2]))


def network(spec: str, collections: tuple[str, ...] = tuple(COLLECTIONS), generators: bool = True) -> Network:
    """A shipped or generated network by one string.

    Parameters
    ----------
    spec
        ``repetita:NAME`` or ``sndlib:NAME`` (prefix and name case-insensitive); a bare ``NAME``,
        looked up in ``collections``; ``waxman:N`` or ``grid:RxC``.
    collections
        The collections this caller takes (``"repetita"``, ``"sndlib"``), e.g. only SNDlib for
        a problem that needs link modules. A bare name is resolved among these alone.
    generators
        Whether generated networks (no link modules) are accepted.

    Raises
    ------
    ModelError
        An unknown or malformed spec, a collection or generator not accepted here, or a
        bare name that two accepted collections share (the message lists both qualified names).
    """
    prefix, sep, arg = spec.strip().partition(":")
    kind = prefix.lower()
    forms = network_forms(collections, generators)
    if sep and kind in GENERATORS:
        if not generators:
            raise ModelError(f"{spec!r} is a generated network; here give {forms}")
        return _generated(kind, arg.strip(), spec)
    if sep and kind in COLLECTIONS:
        if kind not in collections:
            raise ModelError(f"{spec!r} is a {TITLES[kind]} network; here give {forms}")
        return _LOADERS[kind](arg.strip())
    if sep:
        raise ModelError(f"unknown network {spec!r}; give {forms}")
    hits = [f"{c}:{name}" for c in collections for name in COLLECTIONS[c] if name.lower() == kind]
    if len(hits) > 1:
        where = " and ".join(TITLES[h.partition(":")[0]] for h in hits)
        raise ModelError(f"network {spec!r} is in both {where}: say {' or '.join(hits)}")
    if not hits:
        raise ModelError(f"unknown network {spec!r}; give {forms}")
    kind, _, name = hits[0].partition(":")
    return _LOADERS[kind](name)


_LOADERS = {"repetita": repetita, "sndlib": sndlib}
