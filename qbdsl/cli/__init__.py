"""The ``qbdsl`` command line.

Commands (``qbdsl COMMAND --help`` lists each one's options, and only those):

- ``compile MODEL --target qubo|milp -o FILE``: compile a model (``path.py:function`` or a
  .lp/.mps/.qubo/.npz/.bqm file) to a QUBO or MILP file.
- ``info FILE``: variables, terms, density, coefficient range and constraints of a file.
- ``solve MODEL``: solve with a backend (or ``--backend auto``, the QIP policy) and print a table.
- ``problem LIST`` / ``problem NAME --data ...``: build a library problem on shipped data;
  write it (``--target``, ``-o``) or solve it (``--solve``).
- ``explain MODEL``: which backend QIP picks under a deadline, and why.
- ``calibrate``: re-measure the local backends and save their profiles (``--rows-out``: and
  cost-model rows).
- ``costmodel fit|evaluate``: fit the QIP cost model on run rows, or evaluate it leaving whole
  families out.
- ``experiment qip|bench|orchestration|live``: the evaluation experiments, nested commands
  with their own flags.
- ``fleet show|write``: the orchestration fleet as a table, or a fleet file written from devices.

``compile``, ``solve`` and ``problem`` share the compile options (``--encoding --penalty
--inequality``, one parent parser); ``solve`` and ``problem`` share the solver options
(``--backend --time-limit --seed``). Which IR a target or backend gets is
:mod:`qbdsl.routing`'s answer, as for ``qb.solve``. Options that would be ignored are
refused by name: compile options where nothing is compiled to a QUBO (``--target milp``, a
backend chain that gets MILPs only, ``problem`` without ``-o``/``--solve``), ``problem``'s
solver options without ``--solve`` and its ``--target`` without ``-o``.

Every mistake ends in one line on stderr, ``qbdsl: error: ...``, naming the culprit, and an
exit code: 2 for bad input or usage (:class:`~qbdsl.errors.ModelError` and its subclasses,
``OptionError`` included), 1 for a run that failed (:class:`~qbdsl.errors.BackendError`, an
operating-system error, or an internal error), 3 for ``explain`` when no backend can meet
the deadline. ``qbdsl --debug ...`` shows the traceback instead. Mistakes argparse catches
(an unknown command or option, a value of the wrong type, a missing required option) are one
line too, ``qbdsl: error: MESSAGE (see qbdsl COMMAND --help)``, exit 2 (``qbdsl --help`` for an
unknown flag given before the command).

Importing this package loads argparse and numpy only; rich and the solvers load inside the
commands.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import BackendError, ModelError
from . import experiment, fleet, models, policy
from .inputs import load_model_spec
from .parsers import Parser, UsageError, compile_parent, debug_parent, solver_parent, subcommands

__all__ = ["main", "build_parser", "error_line", "load_model_spec", "UsageError"]


def build_parser() -> argparse.ArgumentParser:
    """The ``qbdsl`` parser: every command, each with its own options and the shared parents."""
    p = Parser(prog="qbdsl", description="Compile, inspect and solve qbdsl models.")
    p.add_argument("--debug", action="store_true", help="show the Python traceback of an error")
    common = debug_parent()  # --debug also after the command name
    sub = subcommands(p, "command", common)
    compiling, solving = compile_parent(), solver_parent()
    models.add_commands(sub, compiling, solving)
    policy.add_commands(sub)
    experiment.add_commands(sub, common)
    fleet.add_commands(sub, common)
    return p


def error_line(exc: BaseException) -> tuple[int, str]:
    """(exit code, one-line message) for an exception that ends a command.

    2: bad input or usage (ModelError and subclasses, OptionError included); 1: a failed run
    (BackendError, an operating-system error) or an internal error, which says so and points
    to ``--debug``.
    """
    text = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    if isinstance(exc, ModelError):
        return 2, text or type(exc).__name__
    if isinstance(exc, BackendError):
        return 1, text or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        return 1, f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    if isinstance(exc, KeyboardInterrupt):
        return 130, "interrupted"
    what = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return 1, f"internal error: {what} (run with --debug for the traceback)"


def main(argv: list[str] | None = None) -> int:
    """Run the ``qbdsl`` command line on ``argv``; returns the exit code (see the module docstring)."""
    from rich.console import Console

    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        print(f"qbdsl: error: {exc}", file=sys.stderr, flush=True)
        return 2
    args.argv = [a for a in argv if a != "--debug"]  # the command as given, for reports that regenerate it
    console = Console(stderr=False)
    try:
        return args.handler(args, console)
    except (Exception, KeyboardInterrupt) as exc:
        if args.debug:
            raise
        code, line = error_line(exc)
        console.file.flush()
        print(f"qbdsl: error: {line}", file=sys.stderr, flush=True)
        return code
