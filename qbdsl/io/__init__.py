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


# Seconds per byte on disk to read each format, measured on files of 14-39 MB on the 2-core
# development VM (.qubo 30 ns, .mps 63 ns, .lp 212 ns per byte), doubled; compressed files
# are taken to expand 5x.
READ_SECONDS_PER_BYTE = {".qubo": 60e-9, ".mps": 130e-9, ".lp": 420e-9, ".npz": 20e-9, ".bqm": 20e-9}
COMPRESSION_RATIO = 5.0


def read_seconds(path) -> float:
    """A high estimate of how long :func:`load` takes on ``path`` (0 for a missing file)."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError:
        return 0.0
    fmt_, comp = split_compression(p)
    rate = READ_SECONDS_PER_BYTE.get(fmt_, max(READ_SECONDS_PER_BYTE.values()))
    return size * rate * (COMPRESSION_RATIO if comp else 1.0)


def load(path, name: str | None = None):
    """Read a file: ``.qubo``/``.npz``/``.bqm`` give a QuboIR; ``.lp``/``.mps`` give a Model.

    ``.gz``, ``.xz`` and ``.bz2`` compressed files are read transparently.

    Raises
    ------
    FileFormatError
        A missing file, a folder, a corrupt compressed file, an unknown format, or a
        malformed file (with the line, where the format has lines).
    """
    p = Path(path)
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


_WRITERS = {
    ".qubo": ("qubo_format", "write_qubo"), ".npz": ("npz_format", "to_npz_bytes"),
    ".bqm": ("dimod_io", "bqm_to_bytes"), ".lp": ("lp_format", "write_lp"), ".mps": ("mps_format", "write_mps"),
}


def _save(ir, path, formats: tuple[str, ...], other: str) -> None:
    import importlib

    fmt_, _ = split_compression(path)
    if fmt_ not in formats:
        raise ModelError(f"unknown file type {Path(path).name!r} for a {type(ir).__name__}: use "
                         f"{', '.join(formats[:-1])} or {formats[-1]} ({other})")
    module, func = _WRITERS[fmt_]
    writer = getattr(importlib.import_module(f"{__name__}.{module}"), func)
    atomic_write(path, writer(ir))


def save_qubo(ir, path) -> None:
    """Write a QuboIR as .qubo, .npz or .bqm (optionally compressed), atomically."""
    _save(ir, path, QUBO_FORMATS, "a MILP compile writes .lp/.mps")


def save_milp(ir, path) -> None:
    """Write a MilpIR as .lp or .mps (optionally compressed), atomically."""
    _save(ir, path, MILP_FORMATS, "a QUBO compile writes .qubo/.npz/.bqm")
