"""Exceptions raised by qbdsl. Every message names the variable, constraint or file line.

Two families, which the command line maps to exit codes:
- :class:`ModelError` (and its subclasses): the input is wrong (a model, a file, an
  option). ``qbdsl`` exits with 2.
- :class:`BackendError`: a run that could not be done or failed. ``qbdsl`` exits with 1.

:class:`OptionError` is both: a backend option with a bad name or value is the user's
mistake (exit 2), and code that catches ``BackendError`` around a solve still sees it.
"""

from __future__ import annotations


class ModelError(ValueError):
    """A model, file or option that qbdsl cannot accept, with the culprit named."""


class UnsupportedTermError(ModelError):
    """A term that the requested target cannot take (degree 3, continuous in a QUBO...)."""


class FileFormatWarning(UserWarning):
    """A file read by a documented dialect rule where tools disagree (README, "Files other
    tools read"); the message names ``file:line`` and the rule."""


class FileFormatError(ModelError):
    """A malformed input file; ``path`` and ``line`` locate the problem."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message)
        self.path = path
        self.line = line


class BackendError(RuntimeError):
    """A backend that cannot take a problem, or that failed while solving it."""


class OptionError(ModelError, BackendError):
    """A backend, fallback or solve option with an unknown name or an invalid value."""


class TimeLimitError(BackendError):
    """The time limit cannot fit even the smallest unit of a backend's work; raised at once,
    before any of it runs, instead of overrunning the limit."""
