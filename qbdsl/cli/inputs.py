"""What the commands read from their arguments: a model (``path.py:function`` or a file),
compile options, backend options, output paths checked before the work, and input files
whose problems are named by their flag."""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path

from ..errors import FileFormatError, ModelError
from .parsers import positive_float


def _where(exc: BaseException, path: Path, shown: str) -> str:
    """``shown:LINE`` of the innermost traceback frame inside ``path``, else ``shown``."""
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if Path(frame.f_code.co_filename).resolve() == path.resolve():
            line = lineno
    return f"{shown}:{line}" if line is not None else shown


def _import_model_file(p: Path, shown: str):
    """Run the model file ``p`` as a module; a syntax error or a failing import is a ModelError at file:line."""
    mod_spec = importlib.util.spec_from_file_location(p.stem, p)
    module = importlib.util.module_from_spec(mod_spec)
    sys.path.insert(0, str(p.parent.resolve()))
    try:
        mod_spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise ModelError(f"{shown}:{exc.lineno}: {type(exc).__name__}: {exc.msg}") from exc
    except Exception as exc:
        raise ModelError(f"{_where(exc, p, shown)}: running {shown} raised {type(exc).__name__}: {exc}") from exc
    finally:
        sys.path.pop(0)
    return module


def load_model_spec(spec: str):
    """A model from ``path.py:function`` (called with no arguments) or a model/QUBO file.

    Returns
    -------
    Model or QuboIR
        What the function returns, or what :func:`qbdsl.load` reads.

    Raises
    ------
    ModelError
        A missing file or function, a model file with a syntax error (``file:line``), a
        function that raises (``file:line: function() raised Type: message``) or returns
        something other than a Model, or an unreadable model file.
    """
    from ..io import load

    path, _, func = spec.partition(":")
    p = Path(path)
    if p.suffix != ".py":
        return load(spec)
    if not p.is_file():
        raise ModelError(f"{path}: {'is a folder, not a file' if p.is_dir() else 'no such file'}")
    if not func:
        raise ModelError(f"{spec}: say which function builds the model, as {path}:FUNCTION")
    module = _import_model_file(p, path)
    if not callable(getattr(module, func, None)):
        raise ModelError(f"{path} has no function {func!r}")
    try:
        model = getattr(module, func)()
    except Exception as exc:
        raise ModelError(f"{_where(exc, p, path)}: {func}() raised {type(exc).__name__}: {exc}") from exc
    if not hasattr(model, "to_problem"):
        raise ModelError(f"{spec} returned a {type(model).__name__}, not a qbdsl.Model")
    return model


def _weight(text: str, what: str) -> float | str:
    """A penalty weight: ``auto`` or a number."""
    text = text.strip()
    if text == "auto":
        return text
    try:
        return float(text)
    except ValueError:
        raise ModelError(f"--penalty {what}: {text!r} is not a number or 'auto'") from None


def penalty(text: str | None):
    """``--penalty``: 'auto', a number, or NAME=WEIGHT[,NAME=WEIGHT...] (WEIGHT a number or 'auto').

    Raises
    ------
    ModelError
        Text that is none of these (the part at fault is named).
    """
    if text is None or text.strip() == "auto":
        return "auto"
    if "=" not in text:
        try:
            return float(text)
        except ValueError:
            raise ModelError(
                f"--penalty takes 'auto', a number, or NAME=WEIGHT[,NAME=WEIGHT...]; got {text!r}"
            ) from None
    out: dict = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise ModelError(f"--penalty {text!r}: {part!r} is not NAME=WEIGHT")
        out[name.strip()] = _weight(value, f"{name.strip()}={value.strip()}")
    return out


def compile_options(args) -> dict:
    """The compile options given on the command line (``--encoding --penalty --inequality``),
    as :func:`qbdsl.compile` takes them; options not given are left out."""
    out: dict = {}
    if args.encoding is not None:
        out["encoding"] = args.encoding
    if args.penalty is not None:
        out["penalty"] = penalty(args.penalty)
    if args.inequality is not None:
        out["inequality"] = args.inequality
    return out


def check_output(path: str | None, flag: str = "-o", folder: bool = False) -> None:
    """Refuse an output path before the work starts (missing parent folders are created when writing).

    Raises
    ------
    ModelError
        A path that cannot be written, prefixed by ``flag``.
    """
    from ..io.atomic import check_output as _check

    if path is not None:
        try:
            _check(path, folder)
        except ModelError as exc:
            raise ModelError(f"{flag} {exc}") from None


def load_input(loader, path: str, flag: str):
    """``loader(path)`` for a file given by ``flag``.

    Raises
    ------
    ModelError
        A missing file, a folder, or content the loader cannot convert (FileFormatError),
        naming the flag or the file.
    """
    p = Path(path)
    if not p.is_file():
        raise ModelError(f"{flag} {path}: {'is a folder, not a file' if p.is_dir() else 'no such file'}")
    try:
        return loader(p)
    except ModelError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, OSError) as exc:
        raise FileFormatError(f"{type(exc).__name__}: {exc}", path) from None


def floats(text: str, flag: str) -> list[float]:
    """``"0.3,0.6"`` -> ``[0.3, 0.6]``: positive finite numbers, comma-separated, for ``flag``.

    Raises
    ------
    ModelError
        A part that is not a positive finite number (named with the flag).
    """
    out = []
    for part in text.split(","):
        v = positive_float(part)
        if v is None:
            raise ModelError(f"{flag} takes positive numbers separated by commas, got {part.strip()!r} in {text!r}")
        out.append(v)
    return out


def pairs(items: list[str] | None) -> dict[str, str]:
    """``["k=3", "objective=mlu"]`` -> ``{"k": "3", "objective": "mlu"}`` (values as text).

    Raises
    ------
    ModelError
        An item without ``=`` or without a key.
    """
    out = {}
    for pair in items or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ModelError(f"--opt takes KEY=VALUE, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def backend_options(items: list[str] | None) -> dict:
    """``["num_reads=50", "solver=HIGHS"]`` -> ``{"num_reads": 50, "solver": "HIGHS"}``:
    whole numbers, then numbers, then true/false, else text."""
    out = {}
    for key, value in pairs(items).items():
        for conv in (int, float):
            try:
                out[key] = conv(value)
                break
            except ValueError:
                continue
        else:
            out[key] = {"true": True, "false": False}.get(value.lower(), value)
    return out
