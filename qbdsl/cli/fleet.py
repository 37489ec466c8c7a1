"""``qbdsl fleet show|write``: the orchestration's fleet, from a fleet file or from backend devices.

- ``qbdsl fleet show [FILE] [--devices ibm:fake_fez,dwave:mock-advantage,...]``: a table of
  the fleet (name, kind, qubits, speed, per-shot and per-batch seconds, two-qubit error,
  source). Without a file or ``--devices``, the default fleet of ``qbdsl experiment
  orchestration``.
- ``qbdsl fleet write --devices ... -o fleet.json``: the fleet of those devices, resolved to
  numbers (see :mod:`qbdsl.orchestrate.devices`), written atomically as a file that
  ``qbdsl experiment orchestration --fleet`` reads without the vendors' SDKs.

``--snapshots`` lets a real device without credentials be described offline: IBM
(``ibm:ibm_fez``) from the calibration snapshot of the same name, D-Wave (``dwave:advantage``)
from the nominal topology and the SDK's timing data.
"""

from __future__ import annotations

import math

from ..errors import ModelError
from .inputs import check_output, load_input
from .parsers import leaf, subcommands


def _fleet(args):
    """The fleet ``args`` name: ``--devices``, a file, or the default."""
    from ..orchestrate import default_fleet, load_fleet
    from ..orchestrate.devices import device_qpus

    devices = getattr(args, "devices", None)
    path = getattr(args, "file", None)
    if devices is not None and path is not None:
        raise ModelError("give a fleet FILE or --devices, not both")
    if devices is not None:
        return device_qpus(devices, snapshot=args.snapshots)
    if path is not None:
        return load_input(lambda p: load_fleet(p, snapshots=args.snapshots), path, "FILE")
    return default_fleet()


def _speed(q) -> str:
    return f"{q.clops:,.0f} CLOPS_h" if math.isfinite(q.clops) else "depth-independent"


def cmd_show(args, console) -> int:
    """``qbdsl fleet show``: print the fleet as a table. Returns the exit code, 0.

    Raises
    ------
    ModelError
        Both a file and ``--devices``, an unreadable or malformed file, or an unknown device.
    BackendError
        A device whose SDK is missing, or a real one without credentials.
    """
    from rich.table import Table

    fleet = _fleet(args)
    t = Table(title=f"fleet: {len(fleet)} QPUs")
    t.add_column("name", no_wrap=True, min_width=max(len(q.name) for q in fleet))
    for col in ("kind", "family", "qubits", "speed", "s/shot", "s/batch", "2q error", "source"):
        t.add_column(col)
    for q in fleet:
        t.add_row(
            q.name,
            q.kind,
            q.family or "-",
            str(q.qubits),
            _speed(q),
            f"{q.shot_seconds:.3g}" if q.shot_seconds else "-",
            f"{q.overhead:.3g}",
            f"{q.two_qubit_error:.3g}" if q.kind == "gate" else "n/a",
            q.source.split(",")[0] if q.source else "given numbers",
        )
    console.print(t)
    for q in fleet:
        if q.source:
            console.print(f"{q.name}: {q.source}", markup=False, highlight=False)
    return 0


def cmd_write(args, console) -> int:
    """``qbdsl fleet write --devices ... -o FILE``: write the devices' fleet file. Returns 0.

    Raises
    ------
    ModelError
        An output path that cannot be written, or an unknown device.
    BackendError
        A device whose SDK is missing, or a real one without credentials.
    """
    from ..io.atomic import write_json
    from ..orchestrate.devices import device_qpus
    from ..orchestrate.workload import fleet_document

    check_output(args.output)
    fleet = device_qpus(args.devices, snapshot=args.snapshots)
    doc = fleet_document(fleet)
    doc["devices"] = [s.strip() for s in args.devices.split(",") if s.strip()]
    path = write_json(args.output, doc)
    console.print(f"[green]wrote[/] {path} ({len(fleet)} QPUs: {', '.join(q.name for q in fleet)})")
    return 0


def add_commands(sub, common) -> None:
    """``fleet show`` and ``fleet write`` on the subparsers ``sub``; ``common`` is the parent
    parser every command gets (``--debug``)."""
    fl = sub.add_parser(
        "fleet",
        noun="fleet command",
        help="the orchestration fleet: show it, or write one from backend devices",
        description="The orchestration fleet; see qbdsl fleet show|write --help.",
    )
    which = subcommands(fl, "fleet", common)
    devices_help = (
        "comma-separated devices: ibm:fake_<name> (snapshot), ibm:ibm_<name> (real, needs an account), "
        "dwave:mock-advantage, dwave:mock-advantage2, dwave:advantage, dwave:advantage2 (real, need a Leap token)"
    )
    snap_help = (
        "a real device without credentials: IBM, the calibration snapshot of the same name; "
        "D-Wave, the nominal topology"
    )
    s = leaf(which, "show", cmd_show, "print the fleet of FILE, of --devices, or the default fleet")
    s.add_argument("file", nargs="?", default=None, metavar="FILE", help="a fleet file (JSON/YAML)")
    s.add_argument("--devices", default=None, help=devices_help)
    s.add_argument("--snapshots", action="store_true", help=snap_help)
    w = leaf(which, "write", cmd_write, "write a fleet file of --devices that experiment orchestration --fleet reads")
    w.add_argument("--devices", required=True, help=devices_help)
    w.add_argument("--snapshots", action="store_true", help=snap_help)
    w.add_argument("-o", "--output", required=True, help="the fleet file to write (JSON)")
