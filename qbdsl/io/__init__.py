"""File formats and translators. ``load`` picks the reader by extension, then content."""
from __future__ import annotations

from pathlib import Path

from ..errors import FileFormatError, ModelError
from .atomic import atomic_write, read_bytes, split_compression

QUBO_FORMATS = (".qubo", ".npz", ".bqm")
MILP_FORMATS = (".lp", ".mps")


def _sniff(data: bytes) -> str:
    head = data[:4096].lstrip()
    if data[:2] == b"PK":
        return ".npz"
    if data[:8] == b"DIMODBQM":
        return ".bqm"
    text = head.decode("utf-8", errors="replace")
    for line in text.splitlines():
        s = line.strip()
        if not s:
            continue
        if s.startswith("p qubo") or s.startswith("c "):
            return ".qubo"
        if s.startswith("\\") or s.lower().split()[0] in ("minimize", "maximize", "min", "max", "minimum", "maximum"):
            return ".lp"
        if s.split()[0].upper() in ("NAME", "ROWS", "OBJSENSE", "*"):
            return ".mps"
        break
    return ""


def load(path, name: str | None = None):
    """Read a file: ``.qubo``/``.npz``/``.bqm`` give a QuboIR; ``.lp``/``.mps`` give a Model.

    ``.gz``, ``.xz`` and ``.bz2`` compressed files are read transparently.
    """
    p = Path(path)
    if not p.exists():
        raise FileFormatError("no such file", str(path))
    fmt_, _ = split_compression(p)
    data = read_bytes(p)
    if fmt_ not in QUBO_FORMATS + MILP_FORMATS:
        fmt_ = _sniff(data)
        if not fmt_:
            raise FileFormatError("unknown file format (use .qubo, .npz, .bqm, .lp or .mps)", str(path))
    stem = p.name.split(".")[0]
    if fmt_ == ".npz":
        from .npz_format import from_npz_bytes

        return from_npz_bytes(data, str(path))
    if fmt_ == ".bqm":
        from .dimod_io import bqm_from_bytes

        return bqm_from_bytes(data, str(path))
    text = data.decode("utf-8", errors="replace")
    if fmt_ == ".qubo":
        from .qubo_format import read_qubo

        return read_qubo(text, str(path))
    if fmt_ == ".lp":
        from .lp_format import read_lp

        return read_lp(text, str(path), name, default_name=stem)
    from .mps_format import read_mps

    return read_mps(text, str(path), name)


def save_qubo(ir, path) -> None:
    fmt_, _ = split_compression(path)
    if fmt_ == ".qubo":
        from .qubo_format import write_qubo

        atomic_write(path, write_qubo(ir))
    elif fmt_ == ".npz":
        from .npz_format import to_npz_bytes

        atomic_write(path, to_npz_bytes(ir))
    elif fmt_ == ".bqm":
        from .dimod_io import bqm_to_bytes

        atomic_write(path, bqm_to_bytes(ir))
    else:
        raise ModelError(f"unknown QUBO file type {Path(path).name!r}: use .qubo, .npz or .bqm "
                         "(a MILP compile writes .lp/.mps)")


def save_milp(ir, path) -> None:
    fmt_, _ = split_compression(path)
    if fmt_ == ".lp":
        from .lp_format import write_lp

        atomic_write(path, write_lp(ir))
    elif fmt_ == ".mps":
        from .mps_format import write_mps

        atomic_write(path, write_mps(ir))
    else:
        raise ModelError(f"unknown MILP file type {Path(path).name!r}: use .lp or .mps "
                         "(a QUBO compile writes .qubo/.npz/.bqm)")
