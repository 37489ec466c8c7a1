"""``.npz``: a whole QuboIR (objective, penalty blocks, weights, decode map, user model)
as numpy arrays plus a JSON header, written deterministically (fixed zip timestamps)
so the same IR always gives the same bytes."""

from __future__ import annotations

import io
import json
import zipfile
import zlib

import numpy as np
import scipy.sparse as sp

from ..errors import FileFormatError
from ..ir.poly import Poly
from ..ir.problem import Block, Problem, VarLayout
from ..ir.terms import PenaltyBlock, QuboTerms

FORMAT = "qbdsl-qubo-ir"
VERSION = 1


def _terms_arrays(prefix: str, t: QuboTerms, out: dict) -> None:
    out[f"{prefix}.h"] = t.h
    out[f"{prefix}.i"] = t.i
    out[f"{prefix}.j"] = t.j
    out[f"{prefix}.v"] = t.v
    out[f"{prefix}.offset"] = np.array(t.offset)


def _terms_from(prefix: str, a, n: int) -> QuboTerms:
    return QuboTerms(
        n, a[f"{prefix}.h"], a[f"{prefix}.i"], a[f"{prefix}.j"], a[f"{prefix}.v"], float(a[f"{prefix}.offset"])
    )


def _csr(prefix: str, M, out: dict) -> None:
    M = sp.csr_matrix(M)
    out[f"{prefix}.data"], out[f"{prefix}.indices"], out[f"{prefix}.indptr"] = M.data, M.indices, M.indptr
    out[f"{prefix}.shape"] = np.asarray(M.shape, np.int64)


def _csr_from(prefix: str, a) -> sp.csr_matrix:
    return sp.csr_matrix(
        (a[f"{prefix}.data"], a[f"{prefix}.indices"], a[f"{prefix}.indptr"]), shape=tuple(a[f"{prefix}.shape"])
    )


def _poly(prefix: str, p: Poly, out: dict) -> None:
    out[f"{prefix}.const"] = p.const
    _csr(f"{prefix}.L", p.L, out)
    for k in ("qrow", "qi", "qj", "qcoef"):
        out[f"{prefix}.{k}"] = getattr(p, k)


def _poly_from(prefix: str, a, n: int) -> Poly:
    return Poly(
        n,
        a[f"{prefix}.const"],
        _csr_from(f"{prefix}.L", a),
        a[f"{prefix}.qrow"],
        a[f"{prefix}.qi"],
        a[f"{prefix}.qj"],
        a[f"{prefix}.qcoef"],
    )


def to_npz_bytes(ir) -> bytes:
    """The ``.npz`` bytes of a QuboIR: its arrays plus a JSON header, the same bytes for the same IR."""
    arrays: dict[str, np.ndarray] = {}
    src = ir.source
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "n": ir.n,
        "name": src.name,
        "sense": src.sense,
        "layout": src.layout.to_json(),
        "objective_range": ir.objective_range,
        "blocks": [
            {"name": b.name, "sense": b.sense, "shape": list(b.shape), "labels": b.labels} for b in src.constraints
        ],
        "penalties": [
            {
                "name": p.name,
                "kind": p.kind,
                "method": p.method,
                "rows": p.rows,
                "p_min": p.p_min,
                "proven": p.proven,
                "weight": ir.weights[p.name],
            }
            for p in ir.penalties.values()
        ],
        "sources": None if ir.sources is None else ir.sources.block_names,
    }
    _terms_arrays("objective", ir.objective_terms, arrays)
    for k, p in enumerate(ir.penalties.values()):
        _terms_arrays(f"penalty{k}", p.terms, arrays)
    _csr("decode.M", ir.decode_map.M, arrays)
    arrays["decode.c"] = ir.decode_map.c
    arrays["layout.lb"], arrays["layout.ub"] = src.layout.lb, src.layout.ub
    _poly("source.objective", src.objective, arrays)
    for k, b in enumerate(src.constraints):
        _poly(f"source.block{k}", b.poly, arrays)
    if ir.sources is not None:
        for k in ("kind", "a", "b", "c"):
            arrays[f"sources.{k}"] = getattr(ir.sources, k)
    arrays["meta"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(arrays):
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            b = io.BytesIO()
            arr = np.asarray(arrays[key])
            np.lib.format.write_array(b, arr if arr.flags.c_contiguous else arr.copy(), allow_pickle=False)
            zf.writestr(info, b.getvalue())
    return buf.getvalue()


def from_npz_bytes(data: bytes, path: str = "<npz>"):
    """The QuboIR saved by :func:`to_npz_bytes`.

    Raises
    ------
    FileFormatError
        Not a zip, not a qbdsl QUBO IR, a newer format version, a missing array, or a
        corrupt member, named after ``path``.
    """
    from ..ir.maps import AffineMap
    from ..ir.qubo import QuboIR
    from ..ir.sources import BitSources

    try:
        a = np.load(io.BytesIO(data), allow_pickle=False)
        meta = json.loads(bytes(a["meta"]).decode())
    except Exception as exc:
        raise FileFormatError(f"not a qbdsl .npz file ({type(exc).__name__}: {exc})", path) from None
    if meta.get("format") != FORMAT:
        raise FileFormatError(f"not a qbdsl QUBO IR (format {meta.get('format')!r})", path)
    if meta.get("version", 0) > VERSION:
        raise FileFormatError(f"written by a newer qbdsl (format version {meta['version']})", path)
    try:
        n = int(meta["n"])
        layout = VarLayout.from_json(meta["layout"], a["layout.lb"], a["layout.ub"])
        nu = layout.n
        blocks = [
            Block(b["name"], b["sense"], tuple(b["shape"]), _poly_from(f"source.block{k}", a, nu), b.get("labels"))
            for k, b in enumerate(meta["blocks"])
        ]
        src = Problem(meta["name"], layout, _poly_from("source.objective", a, nu), meta["sense"], blocks)
        pens = [
            PenaltyBlock(
                p["name"], p["kind"], p["method"], p["rows"], _terms_from(f"penalty{k}", a, n), p["p_min"], p["proven"]
            )
            for k, p in enumerate(meta["penalties"])
        ]
        weights = {p["name"]: p["weight"] for p in meta["penalties"]}
        sources = None
        if meta.get("sources") is not None:
            sources = BitSources(a["sources.kind"], a["sources.a"], a["sources.b"], a["sources.c"], meta["sources"])
        dm = AffineMap(_csr_from("decode.M", a), a["decode.c"])
        return QuboIR(_terms_from("objective", a, n), pens, weights, dm, src, sources, meta["objective_range"])
    except KeyError as exc:
        raise FileFormatError(f"qbdsl .npz file is missing array {exc}", path) from None
    except FileFormatError:
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        ValueError,
        TypeError,
        IndexError,
        OSError,
        EOFError,
        NotImplementedError,
        RuntimeError,
        MemoryError,
    ) as exc:  # a corrupt member: zipfile, zlib, numpy
        raise FileFormatError(f"corrupt qbdsl .npz file ({type(exc).__name__}: {exc})", path) from None
