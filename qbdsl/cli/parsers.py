"""The argument parsers of the command line: one-line usage errors, argument types, and the
parent parsers shared by several commands (``--debug``; the compile options; the solver
options)."""

from __future__ import annotations

import argparse
import math
import re
import sys

from ..errors import ModelError

SEED_MAX = 2**32 - 1  # what qb.solve and numpy's seeding take
ENCODINGS = ("binary", "unary", "one-hot", "domain-wall")
INEQUALITIES = ("slack", "unbalanced")


class UsageError(ModelError):
    """A mistake argparse caught, already one line: ``MESSAGE (see qbdsl [COMMAND] --help)``."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one :class:`UsageError` instead of usage text and
    an exit.

    Unrecognized arguments are blamed on the (sub)command they were given to: each leaf
    command stores its parser as the default ``_parser``. A parser given ``noun`` (such as
    ``"experiment"``) words an unknown subcommand as ``unknown experiment 'NAME'; known: ...``.
    """

    def __init__(self, *a, noun: str | None = None, **kw):
        super().__init__(*a, **kw)
        self.noun = noun

    def error(self, message: str):
        """Raise the message as one :class:`UsageError` line, naming the command's ``--help``.

        Raises
        ------
        UsageError
            Always; an invalid subcommand choice is worded with the parser's ``noun``.
        """
        m = re.search(r"invalid choice: (?P<name>'.*?') \(choose from (?P<known>.*)\)$", message)
        if self.noun and m:
            known = ", ".join(k.strip().strip("'") for k in m.group("known").split(","))
            message = f"unknown {self.noun} {m.group('name')}; known: {known}"
        raise UsageError(f"{message} (see {self.prog} --help)")

    def parse_args(self, args=None, namespace=None):
        """Parse like ``parse_known_args``, blaming unrecognized arguments on the command given them.

        Unrecognized arguments given before the command name are blamed on this (top-level)
        parser, so that the hint points at ``qbdsl --help``.

        Raises
        ------
        UsageError
            Unrecognized arguments or any other argparse error.
        """
        args = sys.argv[1:] if args is None else list(args)
        ns, extra = self.parse_known_args(args, namespace)
        if extra:
            before = _before_command(args, extra, getattr(ns, "command", None))
            if before:  # a misspelt global flag: the top-level help lists those
                self.error(f"unrecognized arguments: {' '.join(before)}")
            getattr(ns, "_parser", self).error(f"unrecognized arguments: {' '.join(extra)}")
        return ns


def _before_command(args: list[str], extra: list[str], command: str | None) -> list[str]:
    """The unrecognized arguments of ``extra`` that ``args`` gives before the ``command`` name."""
    if command is None or command not in args:
        return []
    at = args.index(command)
    return [e for e in extra if e in args and args.index(e) < at]


def leaf(sub, name: str, handler, help: str, parents: tuple = (), **kw) -> Parser:
    """A command ``name`` of the subparsers ``sub``, run by ``handler(args, console)``."""
    p = sub.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".", parents=list(parents), **kw)
    p.set_defaults(handler=handler, _parser=p)
    return p


def subcommands(parser: argparse.ArgumentParser, dest: str, common: argparse.ArgumentParser):
    """Required subcommands of ``parser``, each given the options of ``common``."""

    class Sub(Parser):
        def __init__(self, *a, **kw):
            kw.setdefault("parents", [])
            kw["parents"] = [common, *kw["parents"]]
            super().__init__(*a, **kw)

    return parser.add_subparsers(dest=dest, required=True, parser_class=Sub, metavar=None)


def debug_parent() -> argparse.ArgumentParser:
    """``--debug`` after a command name too (hidden from the commands' help)."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return p


def compile_parent() -> argparse.ArgumentParser:
    """The compile options of a Model -> QUBO compile; unset ones keep the compiler's defaults."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("compile options (Model -> QUBO)")
    g.add_argument("--encoding", default=None, choices=ENCODINGS, help="integer encoding (default: binary)")
    g.add_argument("--penalty", default=None, help="'auto' (default), a number, or NAME=WEIGHT[,NAME=WEIGHT...]")
    g.add_argument(
        "--inequality", default=None, choices=INEQUALITIES, help="how inequalities become penalties (default: slack)"
    )
    return p


def solver_parent() -> argparse.ArgumentParser:
    """The backend, its time limit and its seed."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("solver options")
    # None: not given (auto), so that a command can tell a --backend given where it does not apply
    g.add_argument(
        "--backend",
        default=None,
        help="a backend name (anneal, tabu, exact, qaoa, qaoa-qiskit, ortools, dwave, ibm, or a plug-in's), "
        "or 'auto' for the QIP policy's choice (default: auto)",
    )
    g.add_argument("--time-limit", type=seconds, default=None, help="seconds for the whole call")
    g.add_argument("--seed", type=seed, default=None, help=f"0..{SEED_MAX}")
    return p


def positive_float(text: str) -> float | None:
    """``text`` as a positive finite number, or None when it is not one ('abc', '0', 'nan', 'inf')."""
    try:
        v = float(text)
    except ValueError:
        return None
    return v if 0 < v < math.inf else None


def seconds(text: str) -> float:
    """argparse type of ``--time-limit``, ``--deadline``...: a positive finite number of seconds."""
    v = positive_float(text)
    if v is None:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return v


def seed(text: str) -> int:
    """argparse type of ``--seed``: a whole number in 0..2^32 - 1, what ``qb.solve`` takes."""
    try:
        v = int(text)
    except ValueError:
        v = -1
    if not 0 <= v <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"expected a whole number in 0..{SEED_MAX}, got {text!r}")
    return v
