"""File formats and translators. ``load`` picks the reader by extension, then content."""

from __future__ import annotations

import lzma
import os
import zlib
from pathlib import Path

from ..errors import FileFormatError, ModelError
from .atomic import atomic_write, read_bytes, split_compression

QUBO_FORMATS = (".qubo", ".npz", ".bqm")
MILP_FORMATS = (".lp", ".mps")


LP_SENSES = ("minimize", "maximize", "minimise", "maximise", "min", "max", "minimum", "maximum")
MPS_SECTIONS = ("NAME", "ROWS", "OBJSENSE", "OBJSENS", "OBJNAME", "COLUMNS", "RHS", "RANGES", "BOUNDS")
SNIFF_BYTES = 1 << 20  # content looked at to tell a format; comment headers longer than this decide by their kind


def _sniff(data: bytes) -> str:
    """The format suffix that ``data`` looks like ("" when it looks like none).

    Binary formats are told by their magic bytes. Text formats are told by their first line
    that is neither blank nor a comment: ``p qubo`` or a ``c`` comment (qbsolv), an objective
    sense (LP), a section name such as ``NAME`` or ``ROWS`` (MPS). Comment lines are skipped:
    ``*`` in column 1 for MPS (MIPLIB 3's originals open with ``*NAME: flugpl``), ``\\`` for LP.
    A head made only of comments (within :data:`SNIFF_BYTES`) decides by the comments' kind.
    """
    if data[:2] == b"PK":
        return ".npz"
    if data[:8] == b"DIMODBQM":
        return ".bqm"
    text = data[:SNIFF_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff")
    comments = ""
    for line in text.splitlines():
        s = line.strip()
        if not s:
            continue
        if line.startswith("*"):  # MPS comment: '*' in column 1 only
            comments = comments or ".mps"
            continue
        if s.startswith("\\"):  # LP comment
            comments = comments or ".lp"
            continue
        if s.startswith("p qubo") or s == "c" or s.startswith("c "):
            return ".qubo"
        word = s.split()[0]
        if word.lower().rstrip(":") in LP_SENSES:
            return ".lp"
        if word.upper() in MPS_SECTIONS:
            return ".mps"
        return ""
    return comments


_MAGIC = ((b"\x1f\x8b", ".gz"), (b"\xfd7zXZ\x00", ".xz"), (b"BZh", ".bz2"))


def _decompress_by_magic(data: bytes, path) -> bytes:
    """``data`` decompressed when its magic bytes say gzip, xz or bzip2 (a compressed file
    whose name does not say so, such as MIPLIB 3's ``flugpl`` saved without ``.gz``)."""
    from .atomic import _CODECS

    for magic, comp in _MAGIC:
        if data.startswith(magic):
            name, _, decompress = _CODECS[comp]
            try:
                return decompress(data)
            except (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error) as exc:
                if comp == ".bz2":  # 'BZh' may begin a text line; only then is it not bzip2
                    return data
                raise FileFormatError(f"not a valid {name} file ({exc})", str(path)) from None
    return data


# Seconds per byte on disk to read each format, measured on files of 14-39 MB on the 2-core
# development VM (.qubo 30 ns, .mps 63 ns, .lp 212 ns per byte), doubled; compressed files
# are taken to expand 5x.
READ_SECONDS_PER_BYTE = {".qubo": 60e-9, ".mps": 130e-9, ".lp": 420e-9, ".npz": 20e-9, ".bqm": 20e-9}
COMPRESSION_RATIO = 5.0


def _check_path(path, who: str) -> None:
    """Refuse a ``path`` that is not a str or os.PathLike, naming its type and ``who`` took it.

    Raises
    ------
    ModelError
        ``path`` is of another type.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ModelError(f"{who} takes a path (a str or os.PathLike), got a {type(path).__name__}")


def read_seconds(path) -> float:
    """A high estimate of how long :func:`load` takes on ``path``, in seconds (0 for a missing file)."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError:
        return 0.0
    fmt_, comp = split_compression(p)
    rate = READ_SECONDS_PER_BYTE.get(fmt_, max(READ_SECONDS_PER_BYTE.values()))
    return size * rate * (COMPRESSION_RATIO if comp else 1.0)


def load(path, name: str | None = None, *, group_rows: bool = False):
    """Read a file: ``.qubo``/``.npz``/``.bqm`` give a QuboIR; ``.lp``/``.mps`` give a Model.

    ``group_rows`` (``.lp``/``.mps``): rows numbered alike of one sense become one constraint
    block named by their stem (:func:`qbdsl.io.flat.flat_to_model`).

    ``.gz``, ``.xz`` and ``.bz2`` compressed files are read transparently (told by the
    suffix, or by their magic bytes when the name does not say). Without one of the five
    suffixes the format is told by content (:func:`_sniff`), past comment and blank lines.

    Raises
    ------
    FileFormatError
        A missing file, a folder, a corrupt compressed file, an unknown format, or a
        malformed file (with the line, where the format has lines).
    ModelError
        ``path`` is not a str or os.PathLike (its type is named), ``name`` is not a str, or
        ``group_rows`` is not a bool.
    """
    _check_path(path, "load")
    if name is not None and not isinstance(name, str):
        raise ModelError(f"load: name must be a str, got a {type(name).__name__}")
    if not isinstance(group_rows, bool):
        raise ModelError(f"load: group_rows must be True or False, got {group_rows!r}")
    p = Path(path)
    fmt_, comp = split_compression(p)
    data = read_bytes(p)
    if not comp:
        data = _decompress_by_magic(data, path)
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

        return read_lp(text, str(path), name, default_name=stem, group_rows=group_rows)
    from .mps_format import read_mps

    return read_mps(text, str(path), name, group_rows=group_rows)


_WRITERS = {
    ".qubo": ("qubo_format", "write_qubo"),
    ".npz": ("npz_format", "to_npz_bytes"),
    ".bqm": ("dimod_io", "bqm_to_bytes"),
    ".lp": ("lp_format", "write_lp"),
    ".mps": ("mps_format", "write_mps"),
}


def _save(ir, path, formats: tuple[str, ...], other: str) -> None:
    import importlib

    fmt_, _ = split_compression(path)
    if fmt_ not in formats:
        raise ModelError(
            f"unknown file type {Path(path).name!r} for a {type(ir).__name__}: use "
            f"{', '.join(formats[:-1])} or {formats[-1]} ({other})"
        )
    module, func = _WRITERS[fmt_]
    writer = getattr(importlib.import_module(f"{__name__}.{module}"), func)
    atomic_write(path, writer(ir))


def save_qubo(ir, path) -> None:
    """Write a QuboIR as .qubo, .npz or .bqm (optionally compressed), atomically.

    Raises
    ------
    ModelError
        Any other extension.
    """
    _save(ir, path, QUBO_FORMATS, "a MILP compile writes .lp/.mps")


def save_milp(ir, path) -> None:
    """Write a MilpIR as .lp or .mps (optionally compressed), atomically.

    Raises
    ------
    ModelError
        Any other extension.
    """
    _save(ir, path, MILP_FORMATS, "a QUBO compile writes .qubo/.npz/.bqm")


def save(obj, path, **compile_opts) -> None:
    """Write a Model, QuboIR or MilpIR to ``path``, the format told by its extension; atomic.

    Parameters
    ----------
    obj : Model, QuboIR or MilpIR
        A Model is compiled first (:mod:`qbdsl.routing`): to a QUBO for ``.qubo``/``.npz``/
        ``.bqm``, to a MILP for ``.lp``/``.mps``. A QuboIR written as ``.lp``/``.mps`` is
        the QUBO linearized; a MilpIR written as a QUBO format is its source compiled.
    path : str or os.PathLike
        ``.qubo``, ``.npz``, ``.bqm``, ``.lp`` or ``.mps``, optionally ``.gz``/``.xz``/``.bz2``.
    **compile_opts
        ``encoding``, ``penalty``, ``inequality``, ``unbalanced`` for a QUBO compile: a
        Model or MilpIR written as ``.qubo``/``.npz``/``.bqm``.

    Raises
    ------
    ModelError
        An unknown extension, a ``path`` that is not a str or os.PathLike, or an object
        that is none of the three.
    OptionError
        An unknown compile option (the known ones are named), or compile options that would
        be ignored: for a QuboIR, or for a ``.lp``/``.mps`` file (a MILP).
    """
    from ..ir.milp import MilpIR
    from ..ir.qubo import QuboIR
    from ..routing import build, check_compile_options

    if not (isinstance(obj, (QuboIR, MilpIR)) or hasattr(obj, "to_problem")):
        raise ModelError(f"save takes a Model, QuboIR or MilpIR, got a {type(obj).__name__}")
    _check_path(path, "save")
    fmt_, _ = split_compression(path)
    if fmt_ not in QUBO_FORMATS + MILP_FORMATS:
        raise ModelError(
            f"unknown file type {Path(path).name!r}: use {', '.join(QUBO_FORMATS)} for a QUBO, "
            f"{', '.join(MILP_FORMATS)} for a MILP"
        )
    kind = "qubo" if fmt_ in QUBO_FORMATS else "milp"
    check_compile_options(obj, compile_opts, (kind,), gets=f"a {fmt_} file holds a MILP")
    ir = build(obj, kind, compile_opts).ir
    if fmt_ in QUBO_FORMATS:
        save_qubo(ir, path)
    else:
        save_milp(ir, path)
