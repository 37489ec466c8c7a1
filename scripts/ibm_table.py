"""The README's IBM table: instance size -> transpiled circuit -> predicted QPU time and ESP.

For each fake device (calibration snapshots shipped with qiskit-ibm-runtime) and each size n,
``backends.ibm_backend.predict`` transpiles the QAOA circuit of a QUBO coupling every pair of
its n binaries (the worst case for routing) and reports its depth, two-qubit gates and layers,
the estimated success probability and the predicted QPU time; nothing is sampled.

Run: ``python scripts/ibm_table.py [--sizes 4 8 12 16 24] [--layers 1] [--shots 4000]``
(prints a markdown table; about 10 s on 2 cores).
"""

from __future__ import annotations

import argparse
import warnings

DEVICES = ("fake_torino", "fake_fez", "fake_marrakesh", "fake_kyiv", "fake_sherbrooke")


def main(argv: list[str] | None = None) -> None:
    """Print the table for the devices and sizes asked for."""
    from qbdsl.backends.ibm_backend import fake_backend, predict, snapshot_date

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[4, 8, 12, 16, 24])
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--shots", type=int, default=4000)
    ap.add_argument("--devices", nargs="+", default=list(DEVICES))
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    print(f"QAOA p={args.layers}, {args.shots} shots, dense QUBO (every pair coupled), optimization_level 3\n")
    print(
        "| device | processor | snapshot | n | active qubits | depth | 2q gates | 2q layers | duration (us) "
        "| ESP | predicted QPU s | too deep |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for device in args.devices:
        backend = fake_backend(device)
        proc = backend._conf_dict.get("processor_type", {})
        kind = f"{proc.get('family', '?')} r{proc.get('revision', '?')}"
        date = (snapshot_date(backend) or "?")[:10]
        for n in args.sizes:
            p = predict(n, device, layers=args.layers, shots=args.shots, seed=args.seed)
            dur = "" if p.duration_seconds is None else f"{p.duration_seconds * 1e6:.1f}"
            flag = "yes" if p.too_deep else "no"
            print(
                f"| {device} | {kind} | {date} | {n} | {p.active_qubits} | {p.depth} | {p.two_qubit_gates} "
                f"| {p.two_qubit_depth} | {dur} | {p.esp:.3g} | {p.predicted_qpu_seconds:.2f} | {flag} |"
            )


if __name__ == "__main__":
    main()
