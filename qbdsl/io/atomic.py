"""Atomic writes, transparent compression, and the one rule for output paths.

Every file qbdsl writes goes through :func:`atomic_write`: missing parent folders are
created, a path that is a folder or lies in a folder qbdsl cannot write is refused, and the
data goes to a temporary file that is renamed over the target only once complete, with the
mode a plain ``open(path, "w")`` would give (``0o666 & ~umask``, or the mode of the file it
replaces). JSON goes through :func:`write_json`, which writes ``null`` for NaN and infinity.
Every compressed file qbdsl reads goes through :func:`read_bytes`, which turns a corrupt
archive into a :class:`~qbdsl.errors.FileFormatError`.
"""

from __future__ import annotations

import bz2
import functools
import gzip
import json
import lzma
import math
import numbers
import os
import stat
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
    if not raw:  # gzip and bz2 would return nothing; every archive has at least a header
        raise FileFormatError(f"not a valid {name} file (empty)", str(path))
    try:
        return decompress(raw)
    except (OSError, EOFError, lzma.LZMAError, zlib.error, ValueError) as exc:
        raise FileFormatError(f"not a valid {name} file ({exc})", str(path)) from None


def read_text(path) -> str:
    """:func:`read_bytes` decoded as UTF-8 (undecodable bytes replaced)."""
    return read_bytes(path).decode("utf-8", errors="replace")


def _check_writable(path: Path, folder: Path) -> None:
    """Refuse ``path`` when files cannot be created in ``folder``, its nearest existing ancestor.

    ``os.access`` answers for permissions; a probe file (created and removed at once) answers
    for what it cannot see, e.g. root in ``/proc`` or on a filesystem that refuses new files.
    """
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ModelError(f"cannot write {path}: no permission to create files in {folder}")
    try:
        fd, probe = tempfile.mkstemp(prefix=".qbdsl-probe.", dir=folder)
    except OSError as exc:
        raise ModelError(f"cannot write {path}: cannot create files in {folder} ({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(probe)


def check_output(path, folder: bool = False) -> Path:
    """Refuse an output path that cannot be written, before any work is done.

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
        ``path`` is a folder (for a file) or a file (for a folder), one of its parents is a
        file, or no file can be created in its nearest existing folder (checked with
        ``os.access`` and a probe file created and removed there).
    """
    path = Path(path)
    if not folder and path.is_dir():
        raise ModelError(f"{path} is a folder; give a file name")
    if folder and path.exists() and not path.is_dir():
        raise ModelError(f"{path} is a file; give a folder name")
    start = path if folder and path.is_dir() else path.parent
    for parent in (start, *start.parents):
        if parent.exists():
            if not parent.is_dir():
                raise ModelError(f"cannot write {path}: {parent} is a file, not a folder")
            _check_writable(path, parent)
            break
    return path


@functools.cache
def _umask() -> int:
    """The process umask, read once: from /proc/self/status where Linux has it (no race), else
    by setting it and putting it back."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _new_mode(path: Path) -> int:
    """The mode for ``path``: that of the file it replaces, else ``0o666 & ~umask`` (as ``open``)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def atomic_write(path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` atomically, compressing by suffix (.gz, .xz, .bz2).

    Missing parent folders are created (the rule for every file qbdsl writes); the data goes
    to a temporary file beside ``path``, is fsynced, then renamed over it. A failure at any
    point leaves an existing file at ``path`` untouched. A new file gets ``0o666 & ~umask``
    (what ``open(path, "w")`` gives), a replaced one keeps its mode.

    Raises
    ------
    ModelError
        ``path`` is a folder, one of its parents is a file, or its folder cannot be written
        (see :func:`check_output`).
    OSError
        Writing failed (a full disk...); the error names ``path``, never the temporary file.
    """
    path = check_output(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    _, comp = split_compression(path)
    if comp:
        data = _CODECS[comp][1](data)
    directory = path.parent if str(path.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        _write_replace(path, directory, data)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None


def _write_replace(path: Path, directory: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file in ``directory`` with ``path``'s mode, fsync, rename
    it over ``path``; the temporary file is removed on any failure."""
    mode = _new_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
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


def _plain(x):
    """``x`` for ``json.dumps``: containers walked, numpy values as Python ones, NaN and
    infinities as None."""
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if hasattr(x, "tolist"):  # numpy arrays and scalars
        return _plain(x.tolist())
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, numbers.Real):
        return float(x) if math.isfinite(x) else None
    return x


def write_json(path, doc) -> Path:
    """Write ``doc`` as strict JSON (``null`` for NaN and infinities, which JSON cannot hold)
    atomically; any other value JSON cannot hold is a ValueError or TypeError."""
    atomic_write(path, json.dumps(_plain(doc), indent=2, allow_nan=False))
    return Path(path)


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
