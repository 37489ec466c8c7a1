"""Atomic writes and transparent compression."""
from __future__ import annotations

import bz2
import gzip
import lzma
import os
import tempfile
from pathlib import Path

_OPENERS = {".gz": gzip.open, ".xz": lzma.open, ".bz2": bz2.open}


def split_compression(path) -> tuple[str, str]:
    """(format suffix, compression suffix), e.g. 'a.lp.xz' -> ('.lp', '.xz')."""
    p = Path(path)
    sfx = [s.lower() for s in p.suffixes]
    if sfx and sfx[-1] in _OPENERS:
        return (sfx[-2] if len(sfx) > 1 else ""), sfx[-1]
    return (sfx[-1] if sfx else ""), ""


def read_bytes(path) -> bytes:
    _, comp = split_compression(path)
    if comp:
        with _OPENERS[comp](path, "rb") as f:
            return f.read()
    return Path(path).read_bytes()


def read_text(path) -> str:
    return read_bytes(path).decode("utf-8", errors="replace")


def atomic_write(path, data: bytes | str) -> None:
    """Write to a temporary file beside ``path``, fsync, then rename over it.

    A failure at any point leaves an existing file at ``path`` untouched.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    _, comp = split_compression(path)
    if comp == ".gz":
        data = gzip.compress(data, mtime=0)
    elif comp == ".xz":
        data = lzma.compress(data)
    elif comp == ".bz2":
        data = bz2.compress(data)
    directory = path.parent if str(path.parent) else Path(".")
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
