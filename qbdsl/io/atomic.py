"""Atomic writes, transparent compression, and the one rule for output paths.

Every file qbdsl writes goes through :func:`atomic_write`: missing parent folders are
created, a path that is a folder is refused, and the data goes to a temporary file that is
renamed over the target only once complete. Every compressed file it reads goes through
:func:`read_bytes`, which turns a corrupt archive into a :class:`~qbdsl.errors.FileFormatError`.
"""
from __future__ import annotations

import bz2
import gzip
import lzma
import os
import tempfile
import zlib
from pathlib import Path

from ..errors import FileFormatError, ModelError

# suffix -> (name in messages, compress, decompress)
_CODECS = {
    ".gz": ("gzip", lambda b: gzip.compress(b, mtime=0), gzip.decompress),
    ".xz": ("xz", lzma.compress, lzma.decompress),
    ".bz2": ("bzip2", bz2.compress, bz2.decompress),
}


def split_compression(path) -> tuple[str, str]:
    """(format suffix, compression suffix), e.g. 'a.lp.xz' -> ('.lp', '.xz')."""
    p = Path(path)
    sfx = [s.lower() for s in p.suffixes]
    if sfx and sfx[-1] in _CODECS:
        return (sfx[-2] if len(sfx) > 1 else ""), sfx[-1]
    return (sfx[-1] if sfx else ""), ""


def read_bytes(path) -> bytes:
    """The contents of ``path``, decompressed when it ends in ``.gz``, ``.xz`` or ``.bz2``.

    Raises
    ------
    FileFormatError
        The path is missing, is a folder, cannot be read, or is not valid compressed data
        (e.g. ``x.lp.gz: not a valid gzip file (...)``).
    """
    p = Path(path)
    if p.is_dir():
        raise FileFormatError("is a folder, not a file", str(path))
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise FileFormatError("no such file", str(path)) from None
    except OSError as exc:
        raise FileFormatError(f"cannot read ({exc.strerror or exc})", str(path)) from None
    _, comp = split_compression(p)
    if not comp:
        return raw
    name, _, decompress = _CODECS[comp]
    if not raw:   # gzip and bz2 would return nothing; every archive has at least a header
        raise FileFormatError(f"not a valid {name} file (empty)", str(path))
    try:
        return decompress(raw)
    except (OSError, EOFError, lzma.LZMAError, zlib.error, ValueError) as exc:
        raise FileFormatError(f"not a valid {name} file ({exc})", str(path)) from None


def read_text(path) -> str:
    """:func:`read_bytes` decoded as UTF-8 (undecodable bytes replaced)."""
    return read_bytes(path).decode("utf-8", errors="replace")


def check_output(path, folder: bool = False) -> Path:
    """Refuse an output path that cannot be written, without touching the disk.

    Parameters
    ----------
    path
        The file (or, with ``folder=True``, the folder) qbdsl is about to write.
    folder
        Whether ``path`` names an output folder rather than a file.

    Returns
    -------
    Path
        ``path``. Missing parent folders are fine: :func:`atomic_write` creates them.

    Raises
    ------
    ModelError
        ``path`` is a folder (for a file) or a file (for a folder), or one of its parents
        is a file.
    """
    path = Path(path)
    if not folder and path.is_dir():
        raise ModelError(f"{path} is a folder; give a file name")
    if folder and path.exists() and not path.is_dir():
        raise ModelError(f"{path} is a file; give a folder name")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ModelError(f"cannot write {path}: {parent} is a file, not a folder")
            break
    return path


def atomic_write(path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` atomically, compressing by suffix (.gz, .xz, .bz2).

    Missing parent folders are created (the rule for every file qbdsl writes); the data goes
    to a temporary file beside ``path``, is fsynced, then renamed over it. A failure at any
    point leaves an existing file at ``path`` untouched.

    Raises
    ------
    ModelError
        ``path`` is a folder, or one of its parents is a file (see :func:`check_output`).
    """
    path = check_output(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    _, comp = split_compression(path)
    if comp:
        data = _CODECS[comp][1](data)
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def fmt(v: float) -> str:
    """Shortest text that reads back to exactly the same float ('3' for 3.0)."""
    v = float(v)
    if v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    return repr(v)


def write_csv(path, header: list[str], rows) -> Path:
    """Write a CSV file atomically (rows: sequences, or dicts keyed by ``header``)."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([r[h] for h in header] if isinstance(r, dict) else list(r))
    atomic_write(path, buf.getvalue())
    return Path(path)
